"""`threads`: the kernel threads of lab 4, and backtraces of the ones not on a hart.

The kernel keeps no single list of its threads. A thread is found where the scheduler
keeps it: in the static thread table (kernel/sched/threadtable.c: `slots`, `slot_used`), on a
hart (`per_hart[i].current`, kernel/sched/sched.c), on the run queue (`runq`), on the sleep
list (`sleepers`, kernel/sched/sleep.c); an exited thread that came from kmalloc() (lab 5) is
found through the thread that sleeps in thread_join() on it.

A thread that is not running has its callee-saved registers in t->context, saved by
context_switch(): ra is where it will resume (in sched_switch_out) and s[0] its frame
pointer. With -fno-omit-frame-pointer every frame keeps its return address at fp - 8 and
the caller's frame pointer at fp - 16; the walk follows that chain up the thread's stack.
"""

import gdb

from .command import SproutCommand, out
from .core import (NotUp, Selection, UsageError, enum_names, find_variable, is_array_of,
                   is_struct, kernel_entered, lookup_type, num, read_u64, source_line,
                   string_of, symbol_at, symbolize)

MAX_THREADS = 4096  # stop walking a list after this many: it must be corrupt
MAX_FRAMES = 64


def _is_bool(t):
    return t.strip_typedefs().code == gdb.TYPE_CODE_BOOL


class Thread:
    """One struct thread, read once."""

    def __init__(self, ptr, where):
        self.ptr = ptr  # gdb.Value, struct thread *
        self.addr = num(ptr)
        self.v = ptr.dereference()
        self.where = set([where])
        self.id = int(self.v["id"])
        self.name = string_of(self.v["name"])
        self.state_value = int(self.v["state"])
        self.hart = int(self.v["hart"])
        self.chan = num(self.v["chan"])
        self.runs = int(self.v["runs"])
        self.stack_lo = num(self.v["stack_lo"])
        self.stack_hi = num(self.v["stack_hi"])

    def state(self, names):
        return names.get(self.state_value, "invalid(%d)" % self.state_value)

    def label(self):
        return "'%s' (#%d)" % (self.name, self.id)

    def problems(self, state):
        """Where the thread was found that its state does not allow (lab 4 bugs)."""
        found = []
        if state == "runnable" and "run queue" not in self.where:
            found.append("runnable but not on the run queue")
        if state != "runnable" and "run queue" in self.where:
            found.append("on the run queue but %s" % state)
        if state == "sleeping" and "sleep list" not in self.where:
            found.append("sleeping but not on the sleep list")
        if state != "sleeping" and "sleep list" in self.where:
            found.append("on the sleep list but %s" % state)
        return found


class Scheduler:
    """The scheduler's state (kernel/sched/sched.c, sleep.c, threadtable.c), found by name."""

    def __init__(self):
        if lookup_type("struct thread") is None:
            raise NotUp("not available yet: kernel threads arrive in lab 4 (no struct thread "
                        "in this kernel)")
        self.running = find_variable("running", want=_is_bool, near="sched_lock")
        self.per_hart = find_variable("per_hart", want=lambda t: is_array_of(t, "sched_hart"))
        self.runq = find_variable("runq", want=lambda t: _has_fields(t, "head", "tail"),
                                  near="sched_lock")
        self.sleepers = find_variable("sleepers",
                                      want=lambda t: _points_to(t, "thread"))
        self.slots = find_variable("slots", want=lambda t: is_array_of(t, "thread"))
        self.slot_used = find_variable("slot_used", want=_is_bool_array)
        self.state_names = enum_names("enum thread_state", "THREAD_")
        self.thread_ptr = lookup_type("struct thread").pointer()

    def is_running(self):
        if self.running is not None:
            flag = int(self.running)
            if flag not in (0, 1):
                raise NotUp("not up yet, or overwritten: the scheduler's `running` flag "
                            "reads %d" % flag)
            return bool(flag)
        if self.per_hart is not None:
            return any(bool(int(self.per_hart[i]["started"]))
                       for i in range(_len(self.per_hart)))
        return False

    def require_running(self):
        if not self.is_running():
            raise NotUp("not up yet: the scheduler has not started (sched_start(), lab 4); "
                        "until then the boot code runs on each hart's boot stack")

    def current(self, hart):
        """The struct thread * running on hart `hart`, or None (scheduler loop, boot)."""
        if self.per_hart is None or not 0 <= hart < _len(self.per_hart):
            return None
        p = self.per_hart[hart]["current"]
        return p if num(p) else None

    def loop_started(self, hart):
        if self.per_hart is None or not 0 <= hart < _len(self.per_hart):
            return False
        return bool(int(self.per_hart[hart]["started"]))

    def threads(self):
        """Every thread that can be found, by id."""
        found = {}

        def add(ptr, where):
            a = num(ptr)
            if a == 0:
                return
            if a in found:
                found[a].where.add(where)
            else:
                found[a] = Thread(ptr.cast(self.thread_ptr), where)

        if self.slots is not None:
            for i in range(_len(self.slots)):
                used = self.slot_used is not None and i < _len(self.slot_used) and \
                    bool(int(self.slot_used[i]))
                if used:
                    add(self.slots[i].address, "table")
        if self.per_hart is not None:
            for i in range(_len(self.per_hart)):
                add(self.per_hart[i]["current"], "hart %d" % i)
        if self.runq is not None:
            for p in walk(self.runq["head"]):
                add(p, "run queue")
        if self.sleepers is not None:
            for p in walk(self.sleepers):
                add(p, "sleep list")
        # Exited threads from kmalloc(): their joiner sleeps on them.
        for t in list(found.values()):
            if t.chan and t.chan not in found and self.state_value_of(t) == "sleeping":
                try:
                    cand = gdb.Value(t.chan).cast(self.thread_ptr)
                    if num(cand.dereference()["joiner"]) == t.addr:
                        add(cand, "joined by #%d" % t.id)
                except (gdb.error, gdb.MemoryError):
                    pass
        return sorted(found.values(), key=lambda t: (t.id, t.addr))

    def lock_holder(self):
        """The hart holding sched_lock, or None."""
        lk = find_variable("sched_lock", want=lambda t: is_struct(t, "spinlock"))
        if lk is None:
            return None
        holder = int(lk["holder"])
        return holder - 1 if holder else None

    def state_value_of(self, t):
        return t.state(self.state_names)

    def run_queue(self):
        return [] if self.runq is None else list(walk(self.runq["head"]))


def _len(array):
    lo, hi = array.type.strip_typedefs().range()
    return hi - lo + 1


def _is_bool_array(t):
    t = t.strip_typedefs()
    return t.code == gdb.TYPE_CODE_ARRAY and _is_bool(t.target())


def _has_fields(t, *names):
    t = t.strip_typedefs()
    if t.code != gdb.TYPE_CODE_STRUCT:
        return False
    have = set(f.name for f in t.fields())
    return all(n in have for n in names)


def _points_to(t, struct):
    t = t.strip_typedefs()
    return t.code == gdb.TYPE_CODE_PTR and is_struct(t.target(), struct)


def walk(head, field="link"):
    """The struct thread pointers of a list linked through `field`."""
    seen = set()
    p = head
    while num(p) and num(p) not in seen and len(seen) < MAX_THREADS:
        seen.add(num(p))
        yield p
        p = p.dereference()[field]


def describe_chan(chan, by_addr):
    """What a sleeping thread waits for, from its channel address."""
    if chan == 0:
        return "-"
    t = by_addr.get(chan)
    if t is not None:
        return "thread %s to exit (thread_join)" % t.label()
    sym = symbol_at(chan)
    if sym is None:
        return "0x%x" % chan
    name, off = sym
    text = "%s+0x%x" % (name, off) if off else name
    if off == 0:
        mutex_type = lookup_type("struct mutex")
        var = find_variable(name)
        if mutex_type is not None and var is not None and is_struct(var.type, "mutex"):
            m = var
            owner = num(m["owner"])
            owner_text = "free"
            if owner:
                o = by_addr.get(owner)
                owner_text = "owner %s" % (o.label() if o else "0x%x" % owner)
            text = "%s (mutex '%s', %s, %d waiting)" % (
                text, string_of(m["name"]), owner_text, int(m["waiters"]))
    return text


def saved_frames(t):
    """[(pc, is_return)] of a thread that is not on a hart, from its saved context."""
    ctx = t.v["context"]
    ra = num(ctx["ra"])
    fp = num(ctx["s"][0])
    frames = [ra]
    lo, hi = t.stack_lo, t.stack_hi
    while fp and lo < fp <= hi and len(frames) < MAX_FRAMES:
        try:
            ret = read_u64(fp - 8)
            prev = read_u64(fp - 16)
        except gdb.MemoryError:
            break
        if ret == 0:
            break
        frames.append(ret)
        if prev != 0 and prev <= fp:
            frames.append(None)  # a frame pointer that goes the wrong way: stop
            break
        fp = prev
    return frames


def print_saved_backtrace(t, indent="    "):
    ra = num(t.v["context"]["ra"])
    start = symbol_at(ra)
    if start is not None and start[0] == "context_start" and start[1] == 0:
        fn = num(t.v["fn"])
        out("%snot started yet: its first switch-in runs context_start -> thread_start -> %s" %
            (indent, symbolize(fn) if fn else "?"))
        return
    for i, pc in enumerate(saved_frames(t)):
        if pc is None:
            out("%s(the frame chain leaves the thread's stack here)" % indent)
            break
        where = source_line(pc, is_return=True)
        out("%s#%-2d 0x%016x %s%s" % (indent, i, pc, symbolize(pc),
                                       " at %s" % where if where else ""))


def running_backtrace(hart, all_cpus):
    """(cpu, GDB's own backtrace of the CPU that runs `hart`)."""
    for c in all_cpus:
        if c.hart == hart:
            with Selection():
                c.thread.switch()
                text = gdb.execute("bt", to_string=True)
            return c, text
    return None, None


class ThreadsCommand(SproutCommand):
    """List the kernel's threads: id, name, state, hart, what a sleeper waits for.

Usage: threads            every thread
       threads -bt        every thread, with a backtrace of each one not on a hart
       threads bt NAME|ID the backtrace of one thread (GDB's own if it is running)

A sleeping or runnable thread's backtrace comes from the context context_switch() saved:
its return address, then the frame-pointer chain on its stack (ra at fp-8, the caller's
fp at fp-16)."""

    name = "threads"
    summary = "each thread: id, name, state, hart, wait channel; -bt or bt NAME: backtraces"
    usage = "threads [-bt] | threads bt NAME|ID"
    since = "lab 4 (once sched_start() has run)"

    def run(self, args):
        all_cpus = kernel_entered()
        sched = Scheduler()
        sched.require_running()
        want_bt, only = False, None
        if args[:1] in (["-bt"], ["--bt"], ["-b"]):
            want_bt = True
            args = args[1:]
        if args[:1] == ["bt"]:
            if len(args) != 2:
                raise UsageError("`threads bt` needs a thread name or id")
            want_bt, only = True, args[1]
            args = []
        if args:
            raise UsageError("unexpected %s" % " ".join(args))
        threads = sched.threads()
        by_addr = {t.addr: t for t in threads}
        names = sched.state_names
        if only is not None:
            chosen = [t for t in threads if t.name == only or str(t.id) == only.lstrip("#")]
            if not chosen:
                raise UsageError("no thread named or numbered '%s' (threads: %s)" % (
                    only, ", ".join(t.label() for t in threads)))
            for t in chosen:
                self.one_backtrace(t, names, by_addr, all_cpus)
            return
        on_hart = self.on_harts(sched, all_cpus)
        lock_holder = sched.lock_holder()
        out("%4s  %-23s %-9s %-5s %s" % ("ID", "NAME", "STATE", "HART", "WAITING ON"))
        counts = {}
        for t in threads:
            state = t.state(names)
            counts[state] = counts.get(state, 0) + 1
            where = on_hart.get(t.addr)
            if where is not None:
                hart = "%d" % where[0]
            elif state == "running":
                hart = "%d?" % t.hart  # running, but no hart's `current` says so
            elif t.runs:
                hart = "(%d)" % t.hart
            else:
                hart = "-"
            notes = [describe_chan(t.chan, by_addr)] if state == "sleeping" else []
            if where is not None and state != "running":
                notes.append("still on hart %d, %s" % (where[0], "switching out" if where[1]
                                                       else "its context saved"))
            if lock_holder is None:  # while it is held the lists may be mid-update
                notes += ["! " + p for p in t.problems(state)]
            wait = "; ".join(notes) or "-"
            out("%4d  %-23s %-9s %-5s %s" % (t.id, t.name, state, hart, wait))
            if want_bt and (where is None or not where[1]):
                if state not in ("running", "free", "exited"):
                    print_saved_backtrace(t, "        ")
        summary = ", ".join("%d %s" % (n, s) for s, n in sorted(counts.items()))
        queue = [by_addr.get(num(p)) for p in sched.run_queue()]
        out("%d thread%s: %s; run queue: %s. HART: where it runs; (n): where it last ran" % (
            len(threads), "" if len(threads) == 1 else "s", summary or "none",
            ", ".join(t.name for t in queue if t) or "empty"))
        if lock_holder is not None:
            out("(hart %d holds sched_lock: states and lists may be mid-update)" % lock_holder)

    @staticmethod
    def on_harts(sched, all_cpus):
        """{thread address: (hart, live)} of the threads some hart calls `current`; live
        when that CPU's sp is on the thread's stack (its registers are the CPU's, not the
        saved context, which may be stale or not written yet)."""
        cpu_of = {c.hart: c for c in all_cpus if c.hart is not None}
        result = {}
        if sched.per_hart is None:
            return result
        for h in range(_len(sched.per_hart)):
            cur = sched.current(h)
            if cur is None:
                continue
            t = cur.dereference()
            lo, hi = num(t["stack_lo"]), num(t["stack_hi"])
            cpu = cpu_of.get(h)
            live = cpu is not None and cpu.sp is not None and lo <= cpu.sp <= hi
            result[num(cur)] = (h, live)
        return result

    def one_backtrace(self, t, names, by_addr, all_cpus):
        state = t.state(names)
        out("thread %s: %s%s" % (t.label(), state,
                                 ", waiting on %s" % describe_chan(t.chan, by_addr)
                                 if state == "sleeping" else ""))
        where = self.on_harts(Scheduler(), all_cpus).get(t.addr)
        if where is not None and where[1]:
            cpu, text = running_backtrace(where[0], all_cpus)
            out("    on hart %d (%s)%s: GDB's backtrace of that CPU:" % (
                where[0], cpu.label, "" if state == "running" else ", switching out"))
            for line in text.rstrip().splitlines():
                out("    " + line)
            return
        if state == "running":
            out("    running, but no CPU runs on its stack [0x%x, 0x%x): switching in?" %
                (t.stack_lo, t.stack_hi))
        if state in ("free", "exited"):
            out("    %s: nothing to show" % state)
            return
        if where is not None:
            out("    hart %d is switching to or from it; from its saved context:" % where[0])
        print_saved_backtrace(t)


COMMANDS = [ThreadsCommand]


def hart_thread_text(sched, hart):
    """What hart `hart` runs, for `harts`: a thread, its scheduler loop, or boot code."""
    if sched is None or not sched.is_running():
        return "-"
    cur = sched.current(hart)
    if cur is not None:
        try:
            return "'%s' (#%d)" % (string_of(cur.dereference()["name"]),
                                   int(cur.dereference()["id"]))
        except (gdb.error, gdb.MemoryError):
            return "0x%x" % num(cur)
    if sched.loop_started(hart):
        return "(scheduler loop)"
    return "-"


def try_scheduler():
    try:
        return Scheduler()
    except NotUp:
        return None

