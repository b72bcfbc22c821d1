"""Lab 4, the scheduler: graded tests.

Each test boots the kernel with one in-kernel test selected (kernel/tests/sched_test.c,
sleep_test.c, mutex_test.c) and checks its result line, the figures it reports, or,
for misuse, the panic it must end in.

Where a test judges time or shares of the CPU, QEMU runs with -icount: guest time then
follows the instructions executed, so a slow or busy host cannot change the verdict.
Where a test must expose a race (sleep/wakeup, mutual exclusion, spreading over harts),
it runs on two harts without -icount, so that they really run at the same time (QEMU's
multi-threaded TCG; with -icount the harts would take turns). A boot under -icount has
a budget of guest time (guest_seconds=), a few times what it needs: a kernel that hangs
is stopped after it, in a few seconds, however busy the host.
"""
from gradelib import Lab, SplitMix

lab = Lab("sched")

# The kernel's ktest_rng streams (kernel/tests/sched_test.c).
STREAM_WITNESS = 0x40
RELAY_HANDOFFS = 16


def relay_model(run, info):
    """Threads waiting asleep for their turns take them in the seeded order."""
    r = SplitMix(run.seed, STREAM_WITNESS)
    n = r.range(3, 5)
    order = "".join(chr(ord("A") + r.range(0, n - 1)) for _ in range(RELAY_HANDOFFS))
    if info.get("threads") != n or info.get("order") != order:
        raise AssertionError(f"{info.get('threads')} threads took turns in the order "
                             f"{info.get('order')}; the seeded relay has {n} threads taking "
                             f"them in the order {order}")


lab.witness("sched")(relay_model)
lab.witness("sched_boot")(relay_model)

# Guest time from instruction counts; sleep=off: idle harts do not wait in host time,
# so host load cannot change what a test sees.
GUEST_TIME = "shift=3,sleep=off"

# No preemption during the yield-order test: a tick between a thread's step and its
# yield would legitimately change the order.
NO_PREEMPTION = "slice=100000"

# Each CPU-bound thread's share must be within this fraction of the mean share
# (one hart, guest time).
SHARE_TOLERANCE = 0.20


@lab.test(points=10)
def yield_order(t):
    """Two threads that yield after each step alternate: ABABABABAB."""
    run = t.boot("sched.yield_order", cpus=1, extra_args=NO_PREEMPTION)
    run.expect_pass("sched.yield_order")
    order = run.info("sched.yield_order")["order"]
    t.check(order == "ABABABABAB", f"order {order}", "ABABABABAB")


@lab.test(points=10)
def registers(t):
    """s0..s11 and sp of three threads that yield to each other 900 times survive every
    switch."""
    run = t.boot("sched.registers", cpus=1)
    run.expect_pass("sched.registers")
    mask = run.info("sched.registers")["clobbered"]
    t.check(mask == 0, f"registers changed across switches (mask {mask:#x})", "mask 0")


@lab.test(points=10)
def wake_latency(t):
    """A thread made runnable while another hart idles runs there at once: the idle
    hart is kicked, not left to wait for its next tick (guest time)."""
    # It ends after about 0.4 s of guest time; no preemption, so the test thread keeps
    # its hart and only the idle one can run the new thread.
    run = t.boot("sched.wake_latency", cpus=2, icount=GUEST_TIME, extra_args="slice=100000",
                 timeout=60, guest_seconds=4)
    run.expect_pass("sched.wake_latency")
    info = run.info("sched.wake_latency")
    t.check(info["median"] * 10 < info["period"],
            f"a median wait of {info['median']} timebase units, tick period {info['period']}",
            "under a tenth of a tick period")


def spinner_counts(run):
    info = run.info("sched.preempt")
    return [info[f"spinner{i}"] for i in range(info["spinners"])], info


@lab.test(points=15)
def preempt(t):
    """CPU-bound threads that never yield all get equal shares of one hart (guest time)."""
    # It ends after about 0.75 s of guest time.
    run = t.boot("sched.preempt", cpus=1, icount=GUEST_TIME, extra_args="slice=1",
                 timeout=60, guest_seconds=3)
    run.expect_pass("sched.preempt")
    counts, info = spinner_counts(run)
    mean = sum(counts) / len(counts)
    low, high = (1 - SHARE_TOLERANCE) * mean, (1 + SHARE_TOLERANCE) * mean
    t.check(all(low <= c <= high for c in counts),
            f"spinner iterations {counts} (mean {mean:.0f})",
            f"each within {SHARE_TOLERANCE:.0%} of the mean, [{low:.0f}, {high:.0f}]")
    t.check(info["preemptions"] >= 30, f"{info['preemptions']} preemptions in 600 ms",
            "at least 30 at slice=1, 100 Hz")


@lab.test(points=10)
def preempt_smp(t):
    """On two harts, five CPU-bound threads all progress and move between the harts."""
    # It ends after about 2 s of guest time (the second hart's start included).
    run = t.boot("sched.preempt", cpus=2, icount=GUEST_TIME, extra_args="slice=1",
                 timeout=60, guest_seconds=5)
    run.expect_pass("sched.preempt")
    counts, info = spinner_counts(run)
    t.check(len(counts) == 5 and min(counts) * 2 >= sum(counts) / len(counts),
            f"spinner iterations {counts}", "5 spinners, each at least half the mean")


@lab.test(points=10)
def spread(t):
    """Threads run on every hart, each hart doing at least a quarter of its fair part.
    Without -icount: under it QEMU runs the harts in turns, and a hart whose turn comes
    while another holds the scheduler lock spins its whole turn away."""
    t.boot("sched.spread", cpus=2, timeout=90).expect_pass("sched.spread")


@lab.test(points=5)
def context_check(t):
    """in_trap_handler() stays false in threads that keep moving between two harts."""
    # -singlestep: QEMU takes interrupts only between its translated blocks, which would
    # never split the check's two reads (tp, then the trap depth); one instruction per
    # block lets the tick land between them, as it can on hardware. hz=5000 and slice=1
    # preempt, and so move threads, often.
    for _ in range(2):  # a race shows up in some runs only
        run = t.boot("sched.context_check", cpus=2, qemu_extra="-singlestep",
                     extra_args="slice=1 hz=5000", timeout=60)
        run.expect_pass("sched.context_check")
        info = run.info("sched.context_check")
        t.check(info["moves"] >= 50, f"the threads moved between harts {info['moves']} times",
                "at least 50 moves, or the check was never put to the test")


@lab.test(points=5)
def idle(t):
    """A hart with nothing to run waits for interrupts instead of spinning."""
    # Without -icount: under it, QEMU 7.2 leaves a hart in wfi halted for as long as
    # another hart keeps running, ticks and IPIs notwithstanding.
    t.boot("sched.idle", cpus=2, timeout=60).expect_pass("sched.idle")


@lab.test(points=15)
def sleep_stress(t):
    """A token passed around four threads on two harts, 40000 hand-offs: no wakeup lost."""
    for _ in range(3):  # a race shows up in some runs only
        run = t.boot("sched.sleep_stress", cpus=2, timeout=90)
        run.expect_pass("sched.sleep_stress")
        info = run.info("sched.sleep_stress")
        t.check(info["passes"] == 40000, f"{info['passes']} hand-offs", "40000")


@lab.test(points=10)
def mutex_exclusion(t):
    """Four threads on two harts increment a counter under a mutex: no update is lost."""
    for _ in range(2):
        run = t.boot("sched.mutex_exclusion", cpus=2, timeout=90)
        run.expect_pass("sched.mutex_exclusion")
        info = run.info("sched.mutex_exclusion")
        t.check(info["counter"] == info["expected"] and info["overlaps"] == 0,
                f"counter {info['counter']}, {info['overlaps']} overlaps",
                f"counter {info['expected']}, no overlap")
        t.check(info["contended"] > 0, "no contention", "some acquisitions had to wait")


@lab.test(points=10)
def mutex_parked(t):
    """A thread waiting for a mutex sleeps: it does not run at all while it waits."""
    # It ends after about 1.75 s of guest time.
    run = t.boot("sched.mutex_parked", cpus=2, icount=GUEST_TIME, timeout=60, guest_seconds=5)
    run.expect_pass("sched.mutex_parked")
    info = run.info("sched.mutex_parked")
    t.check(info["runs_while_waiting"] == 0 and info["ticks_while_waiting"] == 0,
            f"the waiter ran {info['runs_while_waiting']} times", "0 times in 300 ms")


@lab.test(points=5)
def mutex_not_owner(t):
    """Releasing a mutex another thread holds panics naming both threads."""
    t.boot("sched.mutex_not_owner", cpus=2).expect_panic(
        r"mutex_unlock: 'boot' releases mutex 'test_mutex' at \S+, but thread 'holder' "
        r"holds it \(locked at hold_forever\+0x[0-9a-f]+\)")


@lab.test(points=5)
def mutex_twice(t):
    """Locking a mutex the thread already holds panics instead of deadlocking."""
    t.boot("sched.mutex_twice", cpus=2).expect_panic(
        r"mutex_lock: thread 'boot' already holds mutex 'test_mutex'")


@lab.test(points=5)
def mutex_in_interrupt(t):
    """mutex_lock() in an interrupt handler panics naming itself and the handler."""
    t.boot("sched.mutex_in_interrupt", cpus=2).expect_panic(
        r"mutex_lock\(\) called in interrupt context from lock_in_handler\+0x")


@lab.test(points=5)
def mutex_early(t):
    """mutex_lock() before the scheduler phase panics naming the phases."""
    t.boot("sched_boot.mutex_early", cpus=2).expect_panic(
        r"mutex_lock\(\) needs phase scheduler or later, but the kernel is in phase "
        r"bootstrap")


@lab.test(points=5)
def switch_holding_spinlock(t):
    """Yielding or sleeping while holding a spinlock panics naming the lock."""
    t.boot("sched.yield_holding_spinlock", cpus=2).expect_panic(
        r"thread_yield: thread 'boot' would switch away holding spinlock 'test_held'")
    t.boot("sched.sleep_holding_spinlock", cpus=2).expect_panic(
        r"sleep_on: thread 'boot' would switch away holding spinlock 'test_held'")


@lab.test(points=10)
def exit_join(t):
    """Threads end by returning or thread_exit(); joining gives every slot and stack back."""
    run = t.boot("sched.exit_join", cpus=2, timeout=60)
    run.expect_pass("sched.exit_join")
    info = run.info("sched.exit_join")
    t.check(info["created"] == info["joined"] == 96 and
            info["stacks_free"] == info["stacks_total"],
            f"{info['created']} created, {info['joined']} joined, "
            f"{info['stacks_free']} of {info['stacks_total']} stacks free",
            "96 created and joined, every stack free")
