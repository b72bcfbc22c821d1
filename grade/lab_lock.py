"""Lab 3, spinlocks: graded tests.

Each test boots the kernel with one in-kernel test selected (kernel/tests/lock_test.c,
kernel/tests/lock_misuse_test.c) and checks its result line, or, for misuse, the report
the kernel must end in.

Tests that look for races boot two harts on QEMU's multi-threaded TCG, without -icount:
with -icount every hart runs on one host thread, taking turns, and a broken lock that
loses updates in parallel can pass. Two harts, because the grader never runs more
parallel harts than the host has cores (CI has two). Tests that judge time read the
guest's time CSR in the kernel.
"""
import re

from gradelib import Lab

lab = Lab("lock")

# The harts a test runs on: real parallelism, no more harts than CI's cores.
PARALLEL = 2

# A site in a report, function+0xoffset; the group is the function.
SITE = r"([A-Za-z_]\w*)\+0x[0-9a-f]+"


@lab.test(points=5)
def harts(t):
    """Every hart the device tree lists starts, on its own stack, with its own timer,
    also one that the firmware lets into _start."""
    run = t.boot("lock.harts", cpus=4, timeout=60)
    run.expect_pass("lock.harts")
    info = run.info("lock.harts")
    if info["listed"] != 4 or info["online"] != 4:
        raise AssertionError(f"booted with 4 harts: {info}")
    # The firmware now and then lets a second hart into _start (docs/boot.md):
    # hartentry=start does so on purpose, and the hart must join, not boot again.
    late = t.boot("lock.harts", cpus=2, timeout=60, extra_args="hartentry=start")
    late.expect(r"^sprout: hart \d+ came in through _start, not _start_secondary; "
                r"it joined as a secondary$")
    late.expect_pass("lock.harts")
    info = late.info("lock.harts")
    if info["listed"] != 2 or info["online"] != 2:
        raise AssertionError(f"booted with 2 harts, one entering at _start: {info}")


@lab.test(points=15)
def counter(t):
    """Harts adding to one counter under a lock, in parallel, lose no update."""
    run = t.boot("lock.counter", cpus=PARALLEL, timeout=60)
    run.expect_pass("lock.counter")
    info = run.info("lock.counter")
    if info["harts"] != PARALLEL or info["total"] != info["expected"]:
        raise AssertionError(f"expected {PARALLEL} harts and an exact total: {info}")


@lab.test(points=10)
def nesting(t):
    """Interrupts come back with the outermost release, and only if they were on."""
    t.boot("lock.nesting", cpus=PARALLEL).expect_pass("lock.nesting")


@lab.test(points=5)
def owner(t):
    """A lock records its holder and where it was taken; spin_holding() is per hart."""
    run = t.boot("lock.owner", cpus=PARALLEL)
    run.expect_pass("lock.owner")


@lab.test(points=15)
def timer(t):
    """A timer handler that takes a lock the interrupted code also takes does not
    deadlock, on every hart."""
    run = t.boot("lock.timer", cpus=PARALLEL, timeout=60)
    run.expect_pass("lock.timer")
    info = run.info("lock.timer")
    if info["handler_takes"] < PARALLEL or info["ticks_at_release"] < 1:
        raise AssertionError(f"the handler barely ran, or never inside a critical section: "
                             f"{info}")


@lab.test(points=10)
def stats(t):
    """Acquisitions, contended acquisitions and spins are counted, and printed."""
    run = t.boot("lock.stats", cpus=PARALLEL)
    run.expect_pass("lock.stats")
    info = run.info("lock.stats")
    if info["acquisitions"] != 16 or info["contended"] != 3 or info["spins"] < 3:
        raise AssertionError(f"expected 16 acquisitions, 3 contended, spins: {info}")
    m = run.expect(r"^\s+test\.stats\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$")
    if (int(m.group(1)), int(m.group(2))) != (16, 3):
        raise AssertionError(f"spin_stats_print() shows {m.group(0).strip()!r}")


@lab.test(points=10)
def double_acquire(t):
    """Taking a lock this hart holds panics, naming where it was taken both times."""
    m = t.boot("lock.double_acquire", cpus=PARALLEL).expect_panic(
        rf"already holds lock 'test\.twice' \(taken at {SITE}\) and takes it again at {SITE}")
    if (m.group(1), m.group(2)) != ("take_first", "take_again"):
        raise AssertionError(f"the sites are {m.group(1)} and {m.group(2)}, "
                             "not take_first and take_again")


@lab.test(points=5)
def release_unheld(t):
    """Releasing a lock nobody holds panics, naming the lock and the release site."""
    m = t.boot("lock.release_unheld", cpus=PARALLEL).expect_panic(
        rf"spin_unlock: lock 'test\.never' is not held; released at {SITE}")
    if m.group(1) != "release_unheld":
        raise AssertionError(f"the release site is {m.group(1)}, not release_unheld")


@lab.test(points=5)
def release_foreign(t):
    """Releasing a lock another hart holds panics, naming that hart and its site."""
    m = t.boot("lock.release_foreign", cpus=PARALLEL).expect_panic(
        rf"spin_unlock: hart (\d+) releases lock 'test\.foreign' at {SITE}, but hart (\d+) "
        rf"holds it \(taken at {SITE}\)")
    if m.group(1) == m.group(3) or m.group(4) != "hold_foreign":
        raise AssertionError(f"expected another hart holding it from hold_foreign: "
                             f"{m.group(0)}")


@lab.test(points=15)
def deadlock(t):
    """A lock whose holder never lets go is reported, naming the holder and its site,
    and the machine stops."""
    run = t.boot("lock.deadlock", cpus=PARALLEL, timeout=60)
    info = run.info("lock.deadlock")
    m = run.expect_panic(rf"deadlock: hart (\d+) spun (\d+) ms on lock 'test\.stuck' at "
                         rf"{SITE}; held by hart (\d+), taken at {SITE}")
    waiter, ms, holder = int(m.group(1)), int(m.group(2)), int(m.group(4))
    if (waiter, holder) != (info["waiter"], info["holder"]):
        raise AssertionError(f"the report names waiter {waiter} and holder {holder}; the test "
                             f"had {info['waiter']} wait for {info['holder']}")
    if ms < info["limit_ms"] or m.group(5) != "stuck_holder":
        raise AssertionError(f"reported after {ms} ms (limit {info['limit_ms']}), holder "
                             f"site {m.group(5)}: {m.group(0)}")
    run.expect(rf"^\s+hart {holder}: running stuck_holder\+0x0, holds 'test\.stuck'")


@lab.test(points=15)
def order(t):
    """Two classes taken in both orders on one hart are reported, with both orders and
    their sites, although this run could not deadlock."""
    m = t.boot("lock.order", cpus=PARALLEL).expect_panic(
        rf"lock order inversion: hart \d+ takes 'test\.order_a' at {SITE} while holding "
        rf"'test\.order_b' \(taken at {SITE}\), the opposite of the order seen before: "
        rf"'test\.order_a' at {SITE} then 'test\.order_b' at {SITE}")
    sites = [m.group(i) for i in range(1, 5)]
    if sites != ["take_b_then_a"] * 2 + ["take_a_then_b"] * 2:
        raise AssertionError(f"the sites are {sites}")


@lab.test(points=10)
def order_chain(t):
    """An inversion through a third class, learned on another hart, is reported too."""
    run = t.boot("lock.order_chain", cpus=PARALLEL)
    learner = run.info("lock.order_chain")["learner"]
    m = run.expect_panic(
        rf"lock order inversion: hart \d+ takes 'test\.order_a' at {SITE} while holding "
        rf"'test\.order_c' .*'test\.order_a' at {SITE} then 'test\.order_b' at {SITE} "
        rf"\(hart (\d+)\); 'test\.order_b' at {SITE} then 'test\.order_c' at {SITE} "
        rf"\(hart (\d+)\)")
    if int(m.group(4)) != learner or int(m.group(7)) != learner:
        raise AssertionError(f"the orders were learned on hart {learner}: {m.group(0)}")


@lab.test(points=5)
def assert_held(t):
    """assert_held() names the operation, the lock and the operation's caller."""
    t.boot("lock.assert_held", cpus=PARALLEL).expect_panic(
        r"table_insert\(\) needs lock 'test\.table' held, but no hart holds it "
        r"\(table_insert called from insert_without_lock\+0x[0-9a-f]+\)")


@lab.test(points=5)
def irq_enabled_inside(t):
    """Turning interrupts on while a lock is held is reported at the release."""
    t.boot("lock.irq_enabled_inside", cpus=PARALLEL).expect_panic(
        r"irq_pop: interrupts are on at depth 1")


@lab.test(points=5)
def sleep_while_holding(t):
    """Something that may sleep, called with a spinlock held, names the lock."""
    t.boot("lock.sleep_while_holding", cpus=PARALLEL).expect_panic(
        r"wait_for_event\(\) may sleep, but hart \d+ holds 1 spinlock, the last "
        r"'test\.sleepy' \(taken at wait_while_holding\+0x[0-9a-f]+\)")


@lab.test(points=5)
def panic_elsewhere(t):
    """A panic on another hart stops every hart, busy ones included, and ends the run."""
    run = t.boot("lock.panic_elsewhere", cpus=PARALLEL)
    info = run.info("lock.panic_elsewhere")
    run.expect_panic(r"spin_unlock: lock 'test\.elsewhere' is not held; released at "
                     r"misuse_elsewhere\+0x[0-9a-f]+ on hart " + str(info["panicker"]))
    if "did not stop" in run.text:
        raise AssertionError(f"hart {info['bystander']} was not stopped by the panic")
