"""Lab 2, traps: graded tests.

Each test boots the kernel with one in-kernel test selected (kernel/tests/trap_test.c)
and checks its result line, or, for faults, the report the kernel must end in. The tick
rate is judged in guest time: QEMU runs it with -icount, so the time CSR follows the
instructions executed, and sleep=off makes an idle hart's wait jump straight to the next
timer deadline instead of following the host clock, so a slow or busy host cannot
change the count. A budget of guest time (guest_seconds=) stops such a boot that does
not end within a few times what it needs, whatever the host's load.

The register tests set every register from a base drawn from the boot's seed and check
what comes back (kernel/tests/trap_test.S); the grader derives the same values from
the seed, so a digest or a register dump printed without taking the traps does not
match. Every boot first runs the suite's witness: all registers across an ebreak.
"""
import random
import re
import string

from gradelib import MASK64, Lab, SplitMix, fold_all

lab = Lab("trap")

# The kernel's ktest_rng streams (kernel/tests/trap_test.c).
STREAM_WITNESS, STREAM_EBREAK, STREAM_REGISTERS, STREAM_FRAME, STREAM_ILLEGAL, \
    STREAM_NESTED, STREAM_LOAD, STREAM_UNEXPECTED, STREAM_COUNTERS = range(0x70, 0x79)
REG_STEP = 0x0101010101010101
NAMES = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2",
         "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9",
         "s10", "s11", "t3", "t4", "t5", "t6"]


def seeded(base, n):
    """reg_seeded(): what the all-register routines put in xN."""
    return (base + n * REG_STEP) & MASK64


def digest(base):
    """registers_digest() of x1, x3..x31 set from base."""
    return fold_all(seeded(base, n) for n in range(1, 32) if n != 2)


@lab.witness("trap")
def trap_model(run, info):
    """Every register comes back from an ebreak as it was, and one breakpoint counts."""
    base = SplitMix(run.seed, STREAM_WITNESS).next()
    if info.get("registers") != digest(base) or info.get("breakpoints") != 1:
        raise AssertionError(f"the registers read back after an ebreak digest to "
                             f"{info.get('registers'):#x} and {info.get('breakpoints')} "
                             f"breakpoint(s) were counted; the seeded values digest to "
                             f"{digest(base):#x}, with 1 breakpoint")


def register_dump(run):
    """{name: value} from the last trap report's register lines (four to a line)."""
    regs = {}
    for line in run.lines:
        pairs = re.findall(r"\b([a-z]+\d*)\s+0x([0-9a-f]{16})\b", line)
        if len(pairs) == 4 and line.startswith("  "):
            regs.update((name, int(value, 16)) for name, value in pairs)
    return regs


def check_dump(run, base, skip=("zero", "ra", "sp", "s0")):
    """The report's registers are those the test set from base."""
    regs = register_dump(run)
    if len(regs) != 32:
        raise AssertionError(f"the report lists {len(regs)} registers, not 32")
    for n, name in enumerate(NAMES):
        if name not in skip and regs[name] != seeded(base, n):
            raise AssertionError(f"the report shows {name} = {regs[name]:#x}, but the code that "
                                 f"trapped had set it to {seeded(base, n):#x}: the entry did "
                                 f"not save {name} in the frame")


@lab.test(points=10)
def ebreak(t):
    """An ebreak and a c.ebreak are stepped over by their own size and counted, and
    every register comes back from each."""
    run = t.boot("trap.ebreak")
    run.expect_pass("trap.ebreak")
    r = SplitMix(run.seed, STREAM_EBREAK)
    info = run.info("trap.ebreak")
    for i in range(2):
        want = digest(r.next())
        if info.get(f"registers{i}") != want:
            raise AssertionError(f"the registers after the {('ebreak', 'c.ebreak')[i]} digest "
                                 f"to {info.get(f'registers{i}')}, not {want:#x} as the seeded "
                                 "values do")


@lab.test(points=15)
def registers(t):
    """Every register holds its value across timer interrupts (checked in assembly)."""
    run = t.boot("trap.registers")
    run.expect_pass("trap.registers")
    info = run.info("trap.registers")
    if info["interrupts"] < 5 or info["wfi_timer_interrupts"] < 3:
        raise AssertionError("the registers were checked across fewer than 5 interrupts in "
                             f"the spin loop or 3 in wfi: {info}")


@lab.test(points=15)
def frame(t):
    """The frame holds every register when the handler runs, and every register comes
    back from the frame, as the handler left it."""
    run = t.boot("trap.frame")
    run.expect_pass("trap.frame")
    r = SplitMix(run.seed, STREAM_FRAME)
    saved, restored = digest(r.next()), digest(r.next())
    info = run.info("trap.frame")
    if (info.get("saved"), info.get("restored")) != (saved, restored):
        raise AssertionError(f"the frame and the registers after the trap digest to "
                             f"{info.get('saved')} and {info.get('restored')}; the seeded "
                             f"values digest to {saved:#x} and {restored:#x}")


@lab.test(points=15)
def tick_rate(t):
    """Ticks arrive at the rate hz= asks for, in guest time."""
    hz = random.choice([50, 250, 400])  # not the default: hz= must be read
    # It measures one second of guest time and ends after about 1.2 s of it.
    run = t.boot("trap.tick_rate", icount="shift=3,sleep=off", extra_args=f"hz={hz}", timeout=60,
                 guest_seconds=3)
    run.expect_pass("trap.tick_rate")
    info = run.info("trap.tick_rate")
    if info["hz"] != hz:
        raise AssertionError(f"booted with hz={hz}, but the kernel ticks at {info['hz']} Hz")
    expected = info["elapsed"] * hz / info["timebase"]
    if info["elapsed"] < info["timebase"] * 9 // 10:
        raise AssertionError(f"measured over {info['elapsed']} timebase units, under 0.9 s")
    if abs(info["ticks"] - expected) > 1 + expected / 50:
        raise AssertionError(f"{info['ticks']} ticks ({info['missed']} missed) in "
                             f"{info['elapsed']} timebase units at {hz} Hz; "
                             f"expected about {expected:.0f}")


@lab.test(points=10)
def illegal(t):
    """An illegal instruction ends in a report naming the cause, function and registers."""
    run = t.boot("trap.illegal")
    m = run.expect_panic(r"illegal instruction at (\S+) \(sepc 0x[0-9a-f]+, stval 0x[0-9a-f]+\)")
    if not m.group(1).startswith("trap_test_illegal_insn+0x"):
        raise AssertionError(f"the report places the fault at {m.group(1)}, "
                             "not in trap_test_illegal_insn")
    run.expect(r"^trap: illegal instruction \(scause 0x2\)")
    run.expect(r"^\s+sepc\s+0x[0-9a-f]{16} trap_test_illegal_insn\+0x")
    run.expect(r"^\s+ra\s+0x[0-9a-f]{16} ktest_fn_trap_illegal\+0x")
    run.expect(r"^\s+s0\s+0x[0-9a-f]{16}\s+s1\s+0x[0-9a-f]{16}\s+a0\s+0x")
    check_dump(run, SplitMix(run.seed, STREAM_ILLEGAL).next())


@lab.test(points=10)
def nested_fault(t):
    """A fault inside an interrupt handler is reported as that fault, with the
    registers of the handler, and the backtrace runs on into the interrupted code."""
    run = t.boot("trap.nested_fault")
    run.expect_panic(r"illegal instruction at trap_test_illegal_insn\+0x[0-9a-f]+ ")
    run.expect(r"^\s+ra\s+0x[0-9a-f]{16} nested_fault_handler\+0x")
    check_dump(run, SplitMix(run.seed, STREAM_NESTED).next())
    frames = re.findall(r"^\s+#\d+ 0x[0-9a-f]+ (\w+)\+0x", run.text, re.M)
    for fn in ("trap_handler", "ktest_fn_trap_nested_fault"):
        if fn not in frames:
            raise AssertionError(f"the backtrace ({' '.join(frames) or 'empty'}) does not reach "
                                 f"{fn}: it starts from the frame's s0, which must be the "
                                 "handler's frame pointer, and goes on through the interrupt's "
                                 "frame")


@lab.test(points=5)
def load_fault(t):
    """A load the firmware forbids ends in a report with the faulting address."""
    run = t.boot("trap.load_fault")
    target = 0x80000000 + 8 * SplitMix(run.seed, STREAM_LOAD).range(0, 0x1FFF)
    m = run.expect_panic(r"load access fault at trap_test_load\+0x[0-9a-f]+ \(sepc 0x[0-9a-f]+, "
                         r"stval (0x[0-9a-f]+)\)")
    if int(m.group(1), 16) != target:
        raise AssertionError(f"the report names stval {m.group(1)}, but the test loaded from "
                             f"{target:#x}")


@lab.test(points=5)
def unexpected(t):
    """An interrupt cause nobody handles is counted once and masked, not taken for
    another and not fatal."""
    run = t.boot("trap.unexpected")
    run.expect_pass("trap.unexpected")
    low = [2, 3, 4, 6, 7, 8, 10, 11, 12, 13, 14, 15]
    pick = SplitMix(run.seed, STREAM_UNEXPECTED).range(0, len(low) + 31)
    code = low[pick] if pick < len(low) else 16 + pick - len(low)
    info = run.info("trap.unexpected")
    want = {"code": code, "unexpected": 1, "timer": 0, "external": 0, "software": 0,
            "breakpoints": 0}
    if {k: info.get(k) for k in want} != want:
        raise AssertionError(f"after an interrupt of cause {code} the counts are {info}; "
                             f"expected {want}")
    run.expect(rf"unexpected interrupt {code}\b")


@lab.test(points=5)
def counters(t):
    """The trap statistics count every timer interrupt."""
    run = t.boot("trap.counters")
    run.expect_pass("trap.counters")
    n = SplitMix(run.seed, STREAM_COUNTERS).range(3, 12)
    info = run.info("trap.counters")
    if not (info["waited"] == n and info["ticks"] >= n and info["timer"] == info["ticks"]):
        raise AssertionError(f"waited for {n} ticks: {info}")


@lab.test(points=5)
def panic_fault(t):
    """A fault inside a panic report still ends the run at once with the panic status."""
    run = t.boot("trap.panic_fault", timeout=10)
    run.expect_panic(r"^panic_fault: a panic whose details callback faults$")
    run.expect(r"^panic: the panic report itself faulted: load access fault at "
               r"trap_test_load\+0x")


@lab.test(points=5)
def context(t):
    """A hart knows when it is in a trap handler, nested traps included."""
    t.boot("trap.context").expect_pass("trap.context")


@lab.test(points=10)
def alloc_in_irq(t):
    """boot_alloc() from an interrupt handler panics naming itself and its caller."""
    m = t.boot("trap.alloc_in_irq").expect_panic(
        r"boot_alloc\(\) called in interrupt context from (\w+)\+0x[0-9a-f]+")
    if m.group(1) != "alloc_in_handler":
        raise AssertionError(f"the panic names {m.group(1)} as the caller, "
                             "not the handler alloc_in_handler")


@lab.test(points=10)
def spurious(t):
    """An interrupt nobody handles is acknowledged and counted once, not fatal."""
    run = t.boot("trap.spurious")
    run.expect_pass("trap.spurious")
    info = run.info("trap.spurious")
    if info["unexpected"] != 1 or info["software"] != 1:
        raise AssertionError(f"expected unexpected=1 software=1, got {info}")


@lab.test(points=10)
def uart_echo(t):
    """A line typed on the serial port arrives by interrupt and is echoed back."""
    word = "sprout-" + "".join(random.choice(string.ascii_lowercase) for _ in range(10))
    run = t.boot("trap.uart_echo", input=[(r"INFO trap\.uart_echo ready", word.encode() + b"\r")],
                 timeout=60)
    run.expect_pass("trap.uart_echo")
    info = run.info("trap.uart_echo")
    if info.get("line") != word:
        raise AssertionError(f"typed {word!r}, the kernel read {info.get('line')!r}")
    if info["uart_irqs"] < 1 or info["external"] < 1:
        raise AssertionError(f"{info['uart_irqs']} UART interrupts, {info['external']} "
                             "external interrupts counted")


@lab.test(points=10)
def stack_overflow(t):
    """A kernel stack overflow ends in a double-fault report from the emergency stack."""
    run = t.boot("trap.stack_overflow")
    m = run.expect_panic(r"double fault: kernel stack overflow on hart \d+: sp 0x[0-9a-f]+ is "
                         r"below 0x[0-9a-f]+.*\(taken at (\S+)\)")
    if not m.group(1).startswith("overflow_recurse+0x"):
        raise AssertionError(f"the report places the trap at {m.group(1)}, "
                             "not in the recursion overflow_recurse")
    run.expect(r"^double fault: the trap below was taken on the emergency stack")


@lab.test(points=5)
def canary(t):
    """An overwritten stack canary is noticed at the next trap."""
    t.boot("trap.canary").expect_panic(
        r"double fault: kernel stack overflow on hart \d+: the canary at 0x[0-9a-f]+ was "
        r"overwritten \(0xdead instead of")
