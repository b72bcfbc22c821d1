"""`trapframe`: a struct trapframe (kernel/hal/trapframe.h) decoded.

The trap entry saves x1..x31 by register number and then sepc, sstatus, scause, stval,
and calls trap_handler(tf) with tf = sp, so the frame being handled is trap_handler's
argument, and also the sp of trap_handler's caller. Cause names follow the RISC-V
privileged specification's table of scause values (interrupt bit 63 set or clear).
"""

import gdb

from .command import SproutCommand, out
from .core import (NotUp, UsageError, address_of, array_len, describe_code,
                   function_name, harts_table, kernel_entered, member, num, read_bytes,
                   selected_cpu, symbol_at)
from .harts import fault_reason_name

ABI_NAMES = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
             "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
             "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
             "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"]

# scause with bit 63 set. Codes 0-15 not listed are reserved; 16 and up are for the
# platform.
INTERRUPTS = {
    1: "supervisor software interrupt",
    5: "supervisor timer interrupt",
    9: "supervisor external interrupt",
    13: "counter-overflow interrupt",
}
# The machine-level ones appear in mcause only; named in case a frame was built by hand.
MACHINE_INTERRUPTS = {3: "machine software interrupt", 7: "machine timer interrupt",
                      11: "machine external interrupt"}

# scause with bit 63 clear.
EXCEPTIONS = {
    0: "instruction address misaligned",
    1: "instruction access fault",
    2: "illegal instruction",
    3: "breakpoint",
    4: "load address misaligned",
    5: "load access fault",
    6: "store/AMO address misaligned",
    7: "store/AMO access fault",
    8: "environment call from U-mode",
    9: "environment call from S-mode",
    11: "environment call from M-mode",
    12: "instruction page fault",
    13: "load page fault",
    15: "store/AMO page fault",
    18: "software check",
    19: "hardware error",
    20: "instruction guest-page fault",
    21: "load guest-page fault",
    22: "virtual instruction",
    23: "store/AMO guest-page fault",
}

# What stval holds for each exception.
ADDRESS_CAUSES = (0, 1, 4, 5, 6, 7, 12, 13, 15, 20, 21, 23)

INTERRUPT_BIT = 1 << 63
SRET = 0x10200073


def cause_name(scause):
    """('interrupt'|'exception', code, name) of an scause value."""
    code = scause & ~INTERRUPT_BIT
    if scause & INTERRUPT_BIT:
        name = INTERRUPTS.get(code) or MACHINE_INTERRUPTS.get(code)
        if name is None:
            name = "platform interrupt" if code >= 16 else "reserved interrupt code"
        return "interrupt", code, name
    name = EXCEPTIONS.get(code)
    if name is None:
        if 24 <= code <= 31 or 48 <= code <= 63:
            name = "custom exception code"
        else:
            name = "reserved exception code"
    return "exception", code, name


def stval_meaning(scause, stval):
    kind, code, _ = cause_name(scause)
    if kind == "interrupt":
        return "0 for interrupts" if stval == 0 else "not defined for interrupts"
    if code in ADDRESS_CAUSES:
        return "the faulting address"
    if code == 2:
        return "the instruction's bits" if stval else "0: the hart did not record the instruction"
    if code == 3:
        return "the ebreak's address" if stval else "0: the hart did not record the address"
    return ""


def sstatus_text(s):
    spp = (s >> 8) & 1
    parts = ["from %s (SPP=%d)" % ("S-mode, the kernel" if spp else "U-mode", spp),
             "SPIE=%d (interrupts were %s)" % ((s >> 5) & 1, "on" if (s >> 5) & 1 else "off"),
             "SIE=%d" % ((s >> 1) & 1)]
    if (s >> 18) & 1:
        parts.append("SUM=1")
    if (s >> 19) & 1:
        parts.append("MXR=1")
    return ", ".join(parts)


def decode(addr, header):
    """Prints the struct trapframe at addr (36 words: x0..x31, sepc, sstatus, scause, stval)."""
    raw = read_bytes(addr, 36 * 8)
    words = [int.from_bytes(raw[i * 8:i * 8 + 8], "little") for i in range(36)]
    x = words[:32]
    sepc, sstatus, scause, stval = words[32:36]
    kind, code, name = cause_name(scause)
    out(header)
    out("  scause  0x%016x  %s %d: %s" % (scause, kind, code, name))
    out("  sepc    0x%016x  %s" % (sepc, describe_code(sepc)))
    meaning = stval_meaning(scause, stval)
    out("  stval   0x%016x%s" % (stval, "  (%s)" % meaning if meaning else ""))
    out("  sstatus 0x%016x  %s" % (sstatus, sstatus_text(sstatus)))
    out("  ra      0x%016x  %s" % (x[1], describe_code(x[1], is_return=True)))
    for r in range(0, 32, 4):
        out("  " + "  ".join("%-4s 0x%016x" % (ABI_NAMES[r + i], 0 if r + i == 0 else x[r + i])
                             for i in range(4)))
    return scause


def frames_on_cpu():
    """Addresses of the trap frames trap_handler() is handling on the selected CPU,
    innermost first, as far as GDB can unwind."""
    found = []
    try:
        f = gdb.newest_frame()
    except gdb.error:
        return found
    depth = 0
    while f is not None and depth < 256:
        if function_name(f) == "trap_handler":
            addr = None
            try:
                addr = num(f.read_var("tf"))
            except (ValueError, gdb.error):
                addr = None
            if not addr:
                older = f.older()
                if older is not None:
                    try:
                        addr = int(older.read_register("sp")) & ((1 << 64) - 1)
                    except gdb.error:
                        addr = None
            if addr:
                found.append(addr)
        try:
            f = f.older()
        except gdb.error:
            break
        depth += 1
    return found


def live_csrs():
    vals = {}
    for r in ("scause", "sepc", "stval", "sstatus", "stvec"):
        try:
            vals[r] = int(gdb.parse_and_eval("$" + r)) & ((1 << 64) - 1)
        except gdb.error:
            vals[r] = None
    return vals


class TrapframeCommand(SproutCommand):
    """Decode a trap frame: registers by ABI name, sepc as a function, scause and stval.

Usage: trapframe          the frame trap_handler() is handling on the selected CPU
       trapframe ADDR     the struct trapframe at ADDR (any expression: tf, $sp, 0x...)

Without ADDR the frame is found in the selected CPU's backtrace (trap_handler's `tf`);
stopped inside trap_entry, it is at sp once the entry has moved sp onto it. When no trap
is being handled, the last trap's CSRs (scause, sepc, stval) are decoded instead."""

    name = "trapframe"
    summary = "the current trap frame (or the one at ADDR): registers, sepc, scause, stval"
    usage = "trapframe [ADDR]"
    since = "lab 2 (once trap_init() has set stvec)"

    def run(self, args):
        if args:
            try:
                addr = int(gdb.parse_and_eval(" ".join(args))) & ((1 << 64) - 1)
            except gdb.error as e:
                raise UsageError(str(e))
            decode(addr, "trap frame at 0x%x" % addr)
            return
        all_cpus = kernel_entered()
        cpu = selected_cpu(all_cpus)
        csr = live_csrs()
        entry = address_of("trap_entry")
        hart = cpu.hart if cpu is not None else None
        where = "hart %d" % hart if hart is not None else "this CPU"
        if entry is not None and csr["stvec"] is not None and csr["stvec"] & ~3 != entry:
            raise NotUp("not up yet on %s: stvec is 0x%x, not trap_entry (trap_init(), "
                        "lab 2)" % (where, csr["stvec"]))
        depth, emergency = None, ""
        if hart is not None:
            h = harts_table()[hart]
            depth = int(h["trap_depth"])
            reason = int(member(h, "entry.fault_reason", "fault_reason"))
            if reason:
                emergency = "; on the emergency stack: fault reason %s" % \
                    fault_reason_name(reason)
        sym = symbol_at(cpu.pc) if cpu is not None and cpu.pc is not None else None
        if sym is not None and sym[0] == "trap_entry":
            self.in_entry(cpu, csr, where)
            return
        frames = frames_on_cpu()
        if frames:
            n = len(frames)
            decode(frames[0], "trap frame at 0x%x, %s (trap depth %s)%s%s" % (
                frames[0], where, depth if depth is not None else "?", emergency,
                "; %d frames in this backtrace, outer ones at %s" % (
                    n, ", ".join("0x%x" % a for a in frames[1:])) if n > 1 else ""))
            return
        if depth:
            out("trapframe: %s is handling %d trap%s, but its backtrace does not reach "
                "trap_handler; the trap CSRs:" % (where, depth, "" if depth == 1 else "s"))
        else:
            out("trapframe: no trap is being handled on %s (trap depth %s); `trapframe ADDR` "
                "decodes a frame. The last trap's CSRs:" % (where, depth if depth is not None
                                                            else "?"))
        self.csr_lines(csr)

    def csr_lines(self, csr):
        if csr["scause"] is None:
            out("  (GDB cannot read the CSRs from this target)")
            return
        kind, code, name = cause_name(csr["scause"])
        out("  scause  0x%016x  %s %d: %s" % (csr["scause"], kind, code, name))
        out("  sepc    0x%016x  %s" % (csr["sepc"], describe_code(csr["sepc"])))
        meaning = stval_meaning(csr["scause"], csr["stval"])
        out("  stval   0x%016x%s" % (csr["stval"], "  (%s)" % meaning if meaning else ""))

    def in_entry(self, cpu, csr, where):
        """Stopped inside trap_entry: where the frame is depends on how far it got."""
        table = harts_table()
        base = num(table[0].address)
        size = table.type.strip_typedefs().target().sizeof
        sp = cpu.sp  # the innermost frame's, whichever frame is selected
        try:
            insn = int.from_bytes(read_bytes(cpu.pc, 4), "little")
        except gdb.MemoryError:
            insn = None
        if cpu.pc == address_of("trap_entry"):
            why = "has just arrived in trap_entry: nothing is saved yet"
        elif sp is not None and base <= sp < base + size * array_len(table):
            why = "is in trap_entry before the frame exists (sp holds its struct hart)"
        elif insn == SRET:
            why = "is at trap_entry's sret: the frame is restored and sp is the interrupted sp"
        else:
            # The frame is at sp. Complete once its CSR words match the live CSRs.
            try:
                saved = read_bytes(sp + 32 * 8, 4 * 8)
                sepc = int.from_bytes(saved[0:8], "little")
                scause = int.from_bytes(saved[16:24], "little")
            except gdb.MemoryError:
                sepc = scause = None
            if sepc == csr["sepc"] and scause == csr["scause"]:
                decode(sp, "trap frame at sp 0x%x, %s: stopped in trap_entry (%s)" % (
                    sp, where, describe_code(cpu.pc)))
                return
            why = ("is in trap_entry saving or restoring the frame at sp 0x%x (`trapframe $sp` "
                   "shows it as it is)" % sp)
        out("trapframe: %s %s; the trap's CSRs:" % (where, why))
        self.csr_lines(csr)


COMMANDS = [TrapframeCommand]
