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

from gradelib import DIGEST_INIT, Lab, SplitMix, fold

lab = Lab("lock")

# The kernel's ktest_rng streams (kernel/tests/lock_test.c).
STREAM_WITNESS, STREAM_STATS = 0x30, 0x31
WITNESS_LOCKS, WITNESS_STEPS = 4, 48


@lab.witness("lock")
def lock_model(run, info):
    """Interrupts are off while any lock is held or any irq_push() is open, and come back
    (if they were on) with the last release or pop; spin_holding() is true for exactly
    the locks held; each acquisition is counted."""
    r = SplitMix(run.seed, STREAM_WITNESS)
    on0 = r.range(0, 1)
    held, pushes, acquired, digest = [], 0, [0] * WITNESS_LOCKS, DIGEST_INIT
    for _ in range(WITNESS_STEPS):
        what = r.range(0, 2)
        top = max(held, default=-1)
        if what == 0 and top < WITNESS_LOCKS - 1:
            lock = r.range(top + 1, WITNESS_LOCKS - 1)
            held.append(lock)
            acquired[lock] += 1
        elif what == 1 and held:
            del held[r.range(0, len(held) - 1)]
        elif what == 2 and pushes < 2 and r.range(0, 1) == 0:
            pushes += 1
        elif what == 2 and pushes > 0:
            pushes -= 1
        on = int(on0 and not held and not pushes)
        mask = sum(1 << lock for lock in held)
        digest = fold(digest, on | (len(held) + pushes) << 8 | mask << 16 | len(held) << 24)
    want = ",".join(map(str, acquired))
    if info["raw"].get("acquisitions") != want:
        raise AssertionError(f"the four locks were taken {info.get('acquisitions')} times; "
                             f"the seeded walk takes them {want} times")
    if info.get("trace") != digest:
        raise AssertionError("the interrupt state, nesting depth and locks held after each "
                             "step differ from what the seeded walk gives")

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
    r = SplitMix(run.seed, STREAM_STATS)
    uncontended, contended = r.range(5, 20), r.range(2, 5)
    total = uncontended + 2 * contended
    info = run.info("lock.stats")
    if info["acquisitions"] != total or info["contended"] != contended or \
            info["spins"] < contended:
        raise AssertionError(f"expected {total} acquisitions, {contended} contended, as many "
                             f"spins at least: {info}")
    m = run.expect(r"^\s+test\.stats\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$")
    if (int(m.group(1)), int(m.group(2))) != (total, contended):
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
def irq_pop_unbalanced(t):
    """irq_pop() without an irq_push() panics, naming the hart and the caller."""
    run = t.boot("lock.irq_pop_unbalanced", cpus=PARALLEL)
    hart = run.info("lock.irq_pop_unbalanced")["hart"]
    m = run.expect_panic(rf"irq_pop: no irq_push\(\) to undo on hart (\d+) \(called from {SITE}\)")
    if int(m.group(1)) != hart or m.group(2) != "pop_unbalanced":
        raise AssertionError(f"the panic names hart {m.group(1)} and caller {m.group(2)}; the "
                             f"test called irq_pop() on hart {hart} from pop_unbalanced")


# Functions of kernel/sync and the HAL that spin_lock() and spin_unlock() call and that
# students do not write: their atomics are not the lock's own.
GIVEN = {"irq_push", "irq_pop", "spin_holding", "lock_order_check", "spin_wait_check",
         "spin_acquired", "spin_releasing", "spin_panic_recursive", "spin_panic_not_held",
         "lockstat_acquired", "panic", "panic_report", "cpu_irq_save", "cpu_irq_restore"}


def code_of(t, function):
    """The instructions of function and of the functions it calls that are not GIVEN
    (a student's helpers), as (function, offset, mnemonic, operands)."""
    seen, todo, out = set(), [function], []
    while todo:
        name = todo.pop()
        if name in seen or name in GIVEN:
            continue
        seen.add(name)
        insns = t.session.disassemble(name)
        if insns is None:
            t.fail(f"no function {name} in the kernel (riscv64-unknown-elf-objdump -d)",
                   f"{name} in build/kernel.elf")
        for offset, mnemonic, operands in insns:
            out.append((name, offset, mnemonic, operands))
            call = re.search(r"<(\w+)>$", operands)
            if mnemonic in ("jal", "jalr", "call") and call:
                todo.append(call.group(1))
    return out


def is_amo(mnemonic):
    return mnemonic.startswith(("amo", "lr.", "sc."))


def fence_orders(operands, before, after):
    """True if `fence P,S` has every access class of `before` in P and of `after` in S
    (objdump writes fence rw,w as `fence iorw,ow` when GCC adds the device bits)."""
    parts = operands.replace(" ", "").split(",")
    if len(parts) != 2:
        return operands.strip() == ""  # a bare `fence` is fence iorw,iorw
    p, s = parts
    return all(c in p for c in before) and all(c in s.replace("o", "w") for c in after)


@lab.test(points=10)
def ordering(t):
    """spin_lock() takes the lock with acquire ordering and spin_unlock() releases it
    with release ordering, read from the kernel's machine code: without them, accesses
    of the critical section may be performed outside it, which tests on QEMU seldom show."""
    lock = code_of(t, "spin_lock")
    takes = [(fn, off, m) for fn, off, m, ops in lock
             if is_amo(m) and not m.startswith("sc.") and not ops.startswith("zero,")]
    if not takes:
        t.fail("spin_lock() has no atomic read-modify-write (amoswap, amoor, lr/sc) whose "
               "result it uses: nothing takes the lock atomically",
               "an amoswap.w.aq (or lr.w.aq/sc.w) in spin_lock")
    for fn, off, m in takes:
        if ".aq" in m:
            break
        later = [ops for f, o, mm, ops in lock if f == fn and o > off and mm == "fence"]
        if any(fence_orders(ops, "r", "rw") for ops in later):
            break
    else:
        fn, off, m = takes[0]
        t.fail(f"spin_lock() takes the lock with {m} at {fn}+{off:#x}, which has no acquire "
               "ordering (.aq) and no fence r,rw after it: loads and stores of the critical "
               "section may be performed before the lock is held",
               "an acquiring atomic: amoswap.w.aq, lr.w.aq, or a fence r,rw after the swap")
    unlock = code_of(t, "spin_unlock")
    stores = [i for i, (fn, off, m, ops) in enumerate(unlock)
              if m in ("sw", "sd", "sb", "sh") or (is_amo(m) and ops.startswith("zero,"))
              or m.startswith("sc.")]
    for i in stores:
        fn, off, m, _ = unlock[i]
        if ".rl" in m or any(f == fn and mm == "fence" and fence_orders(ops, "rw", "w")
                             for f, o, mm, ops in unlock[:i]):
            break
    else:
        t.fail("spin_unlock() releases the lock with a store that has no release ordering: "
               "no amoswap.w.rl or sc.w.rl, and no fence rw,w before the store, so writes of "
               "the critical section may become visible after the lock reads as free",
               "a releasing store: amoswap.w.rl zero, or fence rw,w then the store")
    # The kernel must also boot and pass a test, so that the machine code read is that
    # of a working lock.
    t.boot("lock.owner", cpus=PARALLEL).expect_pass("lock.owner")


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
