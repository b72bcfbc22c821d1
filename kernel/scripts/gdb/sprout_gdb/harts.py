"""`harts` and `locks`: what each hart is doing, and the spinlocks of lab 3.

Per-hart state is the table `harts[]` (kernel/hart/hart.c): online, activity (kernel/smp/smp.c),
trap_depth, irq_depth, the held locks (held[0 .. nheld)) and the lock a hart spins on
(waiting_for, waiting_site). Each GDB thread is one of QEMU's CPUs; the CPU whose tp
points at harts[i] runs hart i.
"""

import gdb

from .command import SproutCommand, out
from .core import (NotUp, Selection, UsageError, address_of, array_len, describe_code,
                   describe_pc, enum_names, find_variable, function_name, harts_table,
                   kernel_entered, lock_name, lookup_type, member, num, phase, symbolize)
from .threads import hart_thread_text, try_scheduler

MAX_HELD_SHOWN = 64  # more than any HART_MAX_HELD: a larger nheld is garbage


def held_locks(h):
    """[(lock pointer value, site)] of the locks hart h holds, oldest first."""
    n = int(h["nheld"])
    cap = array_len(h["held"])
    if n < 0 or n > cap:
        raise gdb.error("hart %d's nheld is %d, more than its held[] holds (%d)" %
                        (int(h["id"]), n, cap))
    result = []
    for i in range(n):
        lk = h["held"][i]
        site = num(lk.dereference()["site"]) if num(lk) else 0
        result.append((lk, site))
    return result


def activity_name(h, names):
    a = int(h["activity"])
    return names.get(a, "invalid(%d)" % a)


def present_harts(table):
    """Indices of the harts that are, or were, in the kernel."""
    names = enum_names("enum hart_activity", "HART_")
    offline = [v for v, n in names.items() if n == "offline"]
    offline = offline[0] if offline else 0
    return [i for i in range(array_len(table))
            if bool(int(table[i]["online"])) or int(table[i]["activity"]) != offline]


def hart_problem(h, i, names):
    """Why harts[i] cannot be the state of a real hart, or None."""
    if bool(int(h["online"])) and int(h["id"]) != i:
        return "harts[%d] says it is online with id %d" % (i, int(h["id"]))
    if names and int(h["activity"]) not in names:
        return "harts[%d].activity is %d" % (i, int(h["activity"]))
    if not 0 <= int(h["nheld"]) <= array_len(h["held"]):
        return "harts[%d].nheld is %d" % (i, int(h["nheld"]))
    if not 0 <= int(h["trap_depth"]) < 1000 or not 0 <= int(h["irq_depth"]) < 1000000:
        return "harts[%d] has trap depth %d, irq depth %d" % (
            i, int(h["trap_depth"]), int(h["irq_depth"]))
    return None


def require_harts(table):
    """The harts to show; raises NotUp before hart_bind() or when the table is garbage."""
    shown = present_harts(table)
    if not shown:
        raise NotUp("not up yet: no hart has run hart_bind() (the first line of kmain)")
    names = enum_names("enum hart_activity", "HART_")
    for i in shown:
        why = hart_problem(table[i], i, names)
        if why:
            raise NotUp("not up yet, or overwritten: %s (stopped before kmain set the table "
                        "up?)" % why)
    return shown


class HartsCommand(SproutCommand):
    """List the harts: id, CPU, activity, pc, current thread, trap and irq depth, locks.

Usage: harts [-v]

HART is the kernel's hart id; CPU is GDB's thread (`thread N` selects it; * marks the
selected one). TRAP is trap_depth (traps being handled: > 0 is interrupt context), IRQ
is irq_depth (irq_push() not yet undone). -v adds each hart's stack bounds and
trap-entry state."""

    name = "harts"
    summary = "each hart: online/activity, pc, current thread, trap and irq depth, held locks"
    usage = "harts [-v]"
    since = "kmain (hart_bind); threads from lab 4, locks from lab 3"

    def run(self, args):
        verbose = False
        for a in args:
            if a in ("-v", "--verbose"):
                verbose = True
            else:
                raise UsageError("unexpected %s" % a)
        all_cpus = kernel_entered()
        table = harts_table()
        shown = require_harts(table)
        names = enum_names("enum hart_activity", "HART_")
        sched = try_scheduler()
        by_hart = {c.hart: c for c in all_cpus if c.hart is not None}
        online = sum(1 for i in shown if bool(int(table[i]["online"])))
        p = phase()
        out("%d hart%s online%s" % (online, "" if online == 1 else "s",
                                    ", phase %s" % p if p else ""))
        out("%-4s %-7s %-9s %-30s %-22s %5s %4s  %s" % (
            "HART", "CPU", "STATE", "PC", "THREAD", "TRAP", "IRQ", "LOCKS HELD"))
        spinning = []
        for i in shown:
            h = table[i]
            cpu = by_hart.get(i)
            state = activity_name(h, names)
            if not bool(int(h["online"])):
                state += "!"  # activity says present, online says not
            locks = held_locks(h)
            held = ",".join(lock_name(lk).strip("'") for lk, _ in locks) or "-"
            pc = describe_pc(cpu.pc) if cpu is not None else "?"
            cpu_text = "-" if cpu is None else cpu.label + ("*" if cpu.selected else "")
            out("%-4d %-7s %-9s %-30s %-22s %5d %4d  %s" % (
                int(h["id"]), cpu_text, state, pc[:30], hart_thread_text(sched, i)[:22],
                int(h["trap_depth"]), int(h["irq_depth"]), held))
            if num(h["waiting_for"]):
                spinning.append(i)
            if verbose:
                self.details(h, cpu)
        for i in spinning:
            h = table[i]
            lk = h["waiting_for"]
            holder = int(lk.dereference()["holder"])
            out("  hart %d spins on %s (asked at %s)%s" % (
                i, lock_name(lk), symbolize(num(h["waiting_site"])),
                ", held by hart %d" % (holder - 1) if holder else ", which is free now"))
        start = address_of("_start")
        for c in all_cpus:
            if c.hart is None:
                if c.pc is not None and start is not None and c.pc < start:
                    out("  %s: in the firmware (pc 0x%x): not started by the kernel yet" %
                        (c.label, c.pc))
                else:
                    out("  %s: not bound to a hart (tp 0x%x), pc %s" % (
                        c.label, c.tp or 0, symbolize(c.pc) if c.pc is not None else "?"))
        if sched is None or not sched.is_running():
            out("THREAD: the scheduler is not running yet (lab 4)")

    def details(self, h, cpu):
        lo = num(member(h, "entry.stack_lo", "stack_lo"))
        hi = num(member(h, "entry.stack_hi", "stack_hi"))
        sp_min = num(member(h, "entry.trap_sp_min", "trap_sp_min"))
        emergency = num(member(h, "entry.emergency_top", "emergency_top"))
        busy = int(member(h, "entry.entry_busy", "entry_busy"))
        ebusy = int(member(h, "entry.emergency_busy", "emergency_busy"))
        reason = int(member(h, "entry.fault_reason", "fault_reason"))
        sp = "" if cpu is None or cpu.sp is None else ", sp 0x%x%s" % (
            cpu.sp, "" if lo <= cpu.sp <= hi else " (outside)")
        out("       stack [0x%x, 0x%x)%s; traps need sp >= 0x%x; emergency stack top 0x%x" %
            (lo, hi, sp, sp_min, emergency))
        out("       entry busy %d, emergency busy %d, fault reason %s; irq saved 0x%x" %
            (busy, ebusy, fault_reason_name(reason), num(h["irq_saved"])))
        work = h["work"]
        fn = num(work["fn"])
        if fn:
            out("       mailbox: %s (state %d)" % (symbolize(fn), int(work["state"])))


def fault_reason_name(value):
    names = {0: "none", 1: "stack bounds", 2: "stack canary", 3: "nested entry"}
    return names.get(value, str(value))


def wait_spins(cpu):
    """The turns a spinning CPU has waited so far (spin_lock's struct spin_wait), or None."""
    if cpu is None:
        return None
    with Selection():
        cpu.thread.switch()
        f = gdb.newest_frame()
        depth = 0
        while f is not None and depth < 32:
            if function_name(f) in ("spin_wait_check", "spin_wait_turn", "spin_lock"):
                try:
                    w = f.read_var("w")
                    if w.type.strip_typedefs().code == gdb.TYPE_CODE_PTR:
                        w = w.dereference()
                    return int(w["spins"])
                except (ValueError, gdb.error, gdb.MemoryError):
                    pass
            f = f.older()
            depth += 1
    return None


def stats_text(lk):
    s = lk.dereference()["stats"]
    return "%d acquisitions, %d contended, %d spins, longest wait %d" % (
        int(s["acquisitions"]), int(s["contended"]), int(s["spins"]), int(s["max_spins"]))


class LocksCommand(SproutCommand):
    """Show the spinlocks each hart holds and the harts spinning on one.

Usage: locks [-a]

For each hart: the locks it holds in the order it took them, with where it took each
one (lk->site). For each hart that spins: the lock, where it asked for it, the holder,
how many turns this wait has taken so far (read from spin_lock()'s struct spin_wait in
that CPU's frames, when GDB can see it) and the lock's statistics. -a also lists every
lock on the statistics list (kernel/sync/lockstat.c) with its holder and counters."""

    name = "locks"
    summary = "locks held by each hart (with where taken), spinning harts and spin counts"
    usage = "locks [-a]"
    since = "lab 3 (spinlocks); every hart from kmain on"

    def run(self, args):
        show_all = False
        for a in args:
            if a in ("-a", "--all"):
                show_all = True
            else:
                raise UsageError("unexpected %s" % a)
        if lookup_type("struct spinlock") is None:
            raise NotUp("not available yet: spinlocks arrive in lab 3")
        all_cpus = kernel_entered()
        table = harts_table()
        shown = require_harts(table)
        by_hart = {c.hart: c for c in all_cpus if c.hart is not None}
        any_held = False
        for i in shown:
            h = table[i]
            locks = held_locks(h)
            if not locks:
                out("hart %d holds no lock" % i)
            else:
                any_held = True
                out("hart %d holds %d lock%s:" % (i, len(locks), "" if len(locks) == 1 else "s"))
                for lk, site in locks:
                    holder = int(lk.dereference()["holder"])
                    odd = "" if holder == int(h["id"]) + 1 else \
                        "  (but the lock names holder %s)" % (
                            "none" if holder == 0 else "hart %d" % (holder - 1))
                    out("  %-16s taken at %s%s" % (lock_name(lk), describe_code(site, True)
                                                   if site else "?", odd))
            lk = h["waiting_for"]
            if num(lk):
                holder = int(lk.dereference()["holder"])
                spins = wait_spins(by_hart.get(i))
                out("hart %d spins on %s, asked at %s" % (
                    i, lock_name(lk), describe_code(num(h["waiting_site"]), True)))
                if holder:
                    site = num(lk.dereference()["site"])
                    out("  held by hart %d, taken at %s" % (
                        holder - 1, describe_code(site, True) if site else "?"))
                else:
                    out("  the lock is free now: this hart takes it on its next turn")
                out("  %s; the lock so far: %s" % (
                    "%d turns of the wait loop in this wait" % spins if spins is not None
                    else "turns in this wait: not visible in this hart's frames",
                    stats_text(lk)))
        if not any_held:
            out("(no hart holds a spinlock)")
        if show_all:
            self.all_locks(shown, table)

    def all_locks(self, shown, table):
        head = find_variable("all_locks")
        if head is None:
            out("(no statistics list `all_locks` in this kernel)")
            return
        out("")
        out("%-20s %-8s %12s %10s %12s %10s  %s" % (
            "LOCK", "HOLDER", "acquisitions", "contended", "spins", "max spins", "WAITERS"))
        waiting = {}
        for i in shown:
            w = num(table[i]["waiting_for"])
            if w:
                waiting.setdefault(w, []).append(i)
        p = head
        seen = set()
        while num(p) and num(p) not in seen and len(seen) < 10000:
            seen.add(num(p))
            lk = p.dereference()
            holder = int(lk["holder"])
            s = lk["stats"]
            out("%-20s %-8s %12d %10d %12d %10d  %s" % (
                lock_name(p).strip("'")[:20], "hart %d" % (holder - 1) if holder else "-",
                int(s["acquisitions"]), int(s["contended"]), int(s["spins"]),
                int(s["max_spins"]),
                ",".join("hart %d" % i for i in waiting.get(num(p), [])) or "-"))
            p = lk["next"]
        out("%d locks on the statistics list (a SPINLOCK_INIT lock joins when first taken)" %
            len(seen))


COMMANDS = [HartsCommand, LocksCommand]
