"""Lab 1, the bump allocator: graded tests.

Each test boots the kernel with one in-kernel test selected (kernel/tests/bump_test.c)
and checks its result line, or, for misuse, the panic message it must end in. Before
the first test, every boot runs the suite's witness: ten boot_alloc() calls of seeded
sizes and alignments, whose addresses the model below predicts from the seed. The
death tests draw their requests from the seed too, and the panic must name them.
"""
from gradelib import Lab, SplitMix

lab = Lab("bump")

SIZE_MAX = (1 << 64) - 1

# The kernel's ktest_rng streams (kernel/tests/bump_test.c).
STREAM_WITNESS, STREAM_EXHAUST, STREAM_OVERFLOW, STREAM_HUGE_ALIGN, STREAM_BAD_ALIGN, \
    STREAM_ZERO_SIZE, STREAM_SEALED = range(0xB0, 0xB7)
WITNESS_BLOCKS = 10


def align_up(value, align):
    return (value + align - 1) & ~(align - 1)


@lab.witness("bump")
def bump_model(run, info):
    """A bump allocator puts each block at the end of the previous one, rounded up."""
    r = SplitMix(run.seed, STREAM_WITNESS)
    offsets = [int(x, 16) for x in info["raw"]["offsets"].split(",")]
    if len(offsets) != WITNESS_BLOCKS:
        raise AssertionError(f"{len(offsets)} offsets, not {WITNESS_BLOCKS}")
    start = nxt = info["start"]
    padding = 0
    for i, got in enumerate(offsets):
        size, align = r.range(1, 3000), 1 << r.range(0, 12)
        at = align_up(nxt, align)
        if got != at - start:
            raise AssertionError(f"block {i + 1} of {WITNESS_BLOCKS}, boot_alloc({size}, {align}), "
                                 f"is at start+{got:#x}; the model puts it at "
                                 f"start+{at - start:#x}")
        padding += at - nxt
        nxt = at + size
    want = {"calls": WITNESS_BLOCKS, "padding": padding, "used": nxt - start, "next": nxt}
    got = {k: info.get(k) for k in want}
    if got != want:
        raise AssertionError(f"after the ten blocks the statistics say {got}; the model says "
                             f"{want}")


@lab.test(points=10)
def align(t):
    """Blocks honour every power-of-two alignment up to 2 MiB."""
    t.boot("bump.align").expect_pass("bump.align")


@lab.test(points=10)
def zero(t):
    """Memory comes back zeroed even where it held garbage."""
    t.boot("bump.zero").expect_pass("bump.zero")


@lab.test(points=10)
def disjoint(t):
    """Blocks never overlap each other, the kernel image or the device tree."""
    t.boot("bump.disjoint").expect_pass("bump.disjoint")


@lab.test(points=10)
def stats(t):
    """used + left is the size of the run; calls and padding are counted."""
    run = t.boot("bump.stats")
    run.expect_pass("bump.stats")
    info = run.info("bump.stats")
    calls, used, left = int(info["calls"]), int(info["used"]), int(info["left"])
    if calls < 1 or used < 101 or left <= 0:
        raise AssertionError(f"implausible statistics: {info}")


@lab.test(points=5)
def fill(t):
    """Asking for exactly what is left succeeds and leaves nothing."""
    t.boot("bump.fill").expect_pass("bump.fill")


def called_from(match, test):
    """The panic's `called from` must be the test function itself."""
    fn = "ktest_fn_" + test.replace(".", "_")
    if match.group("caller") != fn:
        raise AssertionError(f"the panic says it was called from {match.group('caller')}, "
                             f"not from the test, {fn}")


CALLER = r".*\(called from (?P<caller>\w+)\+0x[0-9a-f]+\)"


@lab.test(points=10)
def exhaust(t):
    """Running out panics naming the request and what is left."""
    run = t.boot("bump.exhaust")
    info = run.info("bump.exhaust")
    r = SplitMix(run.seed, STREAM_EXHAUST)
    extra, align = r.range(0, 4096), 1 << r.range(0, 6)
    m = run.expect_panic(r"out of memory: (\d+) bytes \(align (\d+)\) requested, (\d+) left"
                         + CALLER)
    size, got_align, left = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if (size, got_align) != (info["left"] + 1 + extra, align) or left != info["left"]:
        raise AssertionError(
            f"the panic names {size} bytes (align {got_align}) requested and {left} left, "
            f"but the test asked for {info['left'] + 1 + extra} bytes (align {align}) with "
            f"{info['left']} left")
    called_from(m, "bump.exhaust")


@lab.test(points=10)
def overflow(t):
    """A size that wraps the address space is caught, not handed out."""
    run = t.boot("bump.overflow")
    size = SIZE_MAX - SplitMix(run.seed, STREAM_OVERFLOW).range(0, 4000)
    m = run.expect_panic(r"boot_alloc: overflow\b.*?(\d{6,})")
    if int(m.group(1)) != size:
        raise AssertionError(f"the panic names {m.group(1)} bytes; the test asked for {size}")


@lab.test(points=5)
def huge_align(t):
    """Rounding up to 2^63 is out of memory, not a block past the end."""
    run = t.boot("bump.huge_align")
    size = SplitMix(run.seed, STREAM_HUGE_ALIGN).range(1, 4096)
    m = run.expect_panic(r"boot_alloc: out of memory: (\d+) bytes \(align (\d+)\)")
    if (int(m.group(1)), int(m.group(2))) != (size, 1 << 63):
        raise AssertionError(f"the panic names {m.group(1)} bytes at align {m.group(2)}; the "
                             f"test asked for {size} at align {1 << 63}")


@lab.test(points=5)
def bad_align(t):
    """An alignment that is not a power of two is refused by name."""
    run = t.boot("bump.bad_align")
    want = SplitMix(run.seed, STREAM_BAD_ALIGN).range(3, 4095)
    want += (want & (want - 1)) == 0
    m = run.expect_panic(r"alignment (\d+) is not a power of two" + CALLER)
    if int(m.group(1)) != want:
        raise AssertionError(f"the panic names alignment {m.group(1)}; the test passed {want}")
    called_from(m, "bump.bad_align")


@lab.test(points=5)
def zero_size(t):
    """A zero-size request is a caller's bug and says so."""
    m = t.boot("bump.zero_size").expect_panic(r"boot_alloc: zero-size request" + CALLER)
    called_from(m, "bump.zero_size")


@lab.test(points=10)
def sealed(t):
    """After the handover, boot_alloc() panics and names its successor."""
    run = t.boot("bump.sealed")
    r = SplitMix(run.seed, STREAM_SEALED)
    size, align = r.range(1, 4096), 1 << r.range(0, 12)
    m = run.expect_panic(r"boot_alloc\((\d+), (\d+)\) called after the boot allocator was "
                         r"sealed; use kmalloc\(\)" + CALLER)
    if (int(m.group(1)), int(m.group(2))) != (size, align):
        raise AssertionError(f"the panic names boot_alloc({m.group(1)}, {m.group(2)}); the "
                             f"test called boot_alloc({size}, {align})")
    called_from(m, "bump.sealed")
