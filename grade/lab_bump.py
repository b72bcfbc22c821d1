"""Lab 1, the bump allocator: graded tests.

Each test boots the kernel with one in-kernel test selected (kernel/tests/bump_test.c)
and checks its result line, or, for misuse, the panic message it must end in.
"""
from gradelib import Lab

lab = Lab("bump")


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


@lab.test(points=10)
def exhaust(t):
    """Running out panics naming the request and what is left."""
    run = t.boot("bump.exhaust")
    left = int(run.info("bump.exhaust")["left"])
    m = run.expect_panic(r"out of memory: (\d+) bytes \(align 1\) requested, (\d+) left")
    if int(m.group(1)) != left + 1 or int(m.group(2)) != left:
        raise AssertionError(
            f"panic names {m.group(1)} requested and {m.group(2)} left, "
            f"but the test asked for {left + 1} with {left} left")


@lab.test(points=10)
def overflow(t):
    """A size that wraps the address space is caught, not handed out."""
    t.boot("bump.overflow").expect_panic(r"boot_alloc: overflow")


@lab.test(points=5)
def huge_align(t):
    """Rounding up to 2^63 is out of memory, not a block past the end."""
    t.boot("bump.huge_align").expect_panic(r"boot_alloc: out of memory: 16 bytes")


@lab.test(points=5)
def bad_align(t):
    """An alignment that is not a power of two is refused by name."""
    t.boot("bump.bad_align").expect_panic(r"alignment 24 is not a power of two")


@lab.test(points=5)
def zero_size(t):
    """A zero-size request is a caller's bug and says so."""
    t.boot("bump.zero_size").expect_panic(r"boot_alloc: zero-size request")


@lab.test(points=10)
def sealed(t):
    """After the handover, boot_alloc() panics and names its successor."""
    t.boot("bump.sealed").expect_panic(r"after the boot allocator was sealed; use kmalloc\(\)")
