"""Lab 2, traps: graded tests.

Each test boots the kernel with one in-kernel test selected (kernel/tests/trap_test.c)
and checks its result line, or, for faults, the report the kernel must end in. The tick
rate is judged in guest time: QEMU runs it with -icount, so the time CSR follows the
instructions executed, and sleep=off makes an idle hart's wait jump straight to the next
timer deadline instead of following the host clock, so a slow or busy host cannot
change the count. A budget of guest time (guest_seconds=) stops such a boot that does
not end within a few times what it needs, whatever the host's load.
"""
import random
import string

from gradelib import Lab

lab = Lab("trap")


@lab.test(points=10)
def ebreak(t):
    """An ebreak and a c.ebreak are stepped over by their own size and counted."""
    t.boot("trap.ebreak").expect_pass("trap.ebreak")


@lab.test(points=15)
def registers(t):
    """Every register holds its value across timer interrupts (checked in assembly)."""
    run = t.boot("trap.registers")
    run.expect_pass("trap.registers")
    if run.info("trap.registers")["interrupts"] < 5:
        raise AssertionError("the registers were checked across fewer than 5 interrupts")


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


@lab.test(points=5)
def load_fault(t):
    """A load the firmware forbids ends in a report with the faulting address."""
    t.boot("trap.load_fault").expect_panic(
        r"load access fault at trap_test_load\+0x[0-9a-f]+ \(sepc 0x[0-9a-f]+, "
        r"stval 0x80000000\)")


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
