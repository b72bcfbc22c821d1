"""Lab 5, the buddy allocator: graded tests.

Each test boots the kernel with in-kernel tests selected (kernel/tests/buddy_test.c,
buddy_misuse_test.c, buddy_smp_test.c, kmalloc_test.c); they run right after the
handover from the boot allocator. Misuse must end in a panic that names what went
wrong. The tests on several harts run without -icount, so that the harts really run in
parallel and a missing lock or a page handed out twice can show.
"""
import re

from gradelib import Lab, SplitMix

lab = Lab("buddy")

MAX_ORDER = 10
# The kernel's ktest_rng streams (kernel/tests/buddy_test.c, buddy_misuse_test.c).
STREAM_WITNESS = 0x50
STREAM_KFREE_INTERIOR, STREAM_KFREE_DOUBLE, STREAM_KMALLOC_UAF, STREAM_FREE_INTERIOR = \
    0x58, 0x59, 0x5A, 0x5B
WITNESS_OPS, WITNESS_HELD = 48, 24
KHEAP_MAX_CLASS, KHEAP_POISON = 2048, 0x6B


class BuddyModel:
    """The buddy system as lab 5's handout specifies it, in pages: a split keeps the
    lower half and puts the upper half first on the list one order down; a freed block
    merges while its buddy is free as a whole block of its order; an allocation takes
    the first block of the smallest order that has one."""

    def __init__(self, pages_log2=MAX_ORDER):
        self.free = [[] for _ in range(MAX_ORDER + 1)]  # page offsets, first = newest
        self.free[pages_log2].insert(0, 0)
        self.splits = self.merges = 0

    def alloc(self, order):
        have = order
        while have <= MAX_ORDER and not self.free[have]:
            have += 1
        if have > MAX_ORDER:
            return None
        page = self.free[have].pop(0)
        while have > order:
            have -= 1
            self.free[have].insert(0, page + (1 << have))
            self.splits += 1
        return page

    def release(self, page, order):
        while order < MAX_ORDER and (page ^ (1 << order)) in self.free[order]:
            self.free[order].remove(page ^ (1 << order))
            page &= ~(1 << order)
            order += 1
            self.merges += 1
        self.free[order].insert(0, page)


@lab.witness("buddy")
def buddy_model(run, info):
    """The seeded sequence in a fresh 4 MiB arena gives the model's pages and counts."""
    r, model, held, pages = SplitMix(run.seed, STREAM_WITNESS), BuddyModel(), [], []
    for _ in range(WITNESS_OPS):
        if held and (len(held) >= WITNESS_HELD or r.range(0, 2) == 2):
            model.release(*held.pop(r.range(0, len(held) - 1)))
            continue
        order = r.range(0, 5)
        page = model.alloc(order)
        held.append((page, order))
        pages.append((page, order))
    raw = info["raw"]
    got = [int(x, 16) for w in range(4) if f"pages{w}" in raw for x in raw[f"pages{w}"].split(",")]
    for i, (page, order) in enumerate(pages):
        if i >= len(got) or got[i] != page:
            said = f"page {got[i]:#x}" if i < len(got) else "nothing"
            raise AssertionError(f"allocation {i + 1} of the seeded sequence (order {order}) got "
                                 f"{said} of the arena; the model hands out page {page:#x}")
    counts = ",".join(str(len(f)) for f in model.free)
    want = f"{counts} splits {model.splits} merges {model.merges}"
    have = f"{raw.get('free')} splits {raw.get('splits')} merges {raw.get('merges')}"
    if have != want:
        raise AssertionError(f"after the seeded sequence the free blocks by order are {have}; "
                             f"the model has {want}")

# Enough harts to share pages among; QEMU runs each on a host thread (gradelib lends
# each boot as many host cores as it has, at most the host's).
SMP = 4


@lab.test(points=10)
def align(t):
    """Blocks of every order are aligned to their size and writable end to end."""
    t.boot("buddy.align").expect_pass("buddy.align")


@lab.test(points=10)
def split_merge(t):
    """Splitting leaves one free block of each smaller order; freeing merges them back."""
    t.boot("buddy.split_merge").expect_pass("buddy.split_merge")


@lab.test(points=10)
def free_all(t):
    """All free memory, taken in blocks of random orders and freed, merges back exactly."""
    run = t.boot("buddy.free_all", timeout=60)
    run.expect_pass("buddy.free_all")
    info = run.info("buddy.free_all")
    if info["taken"] != info["free_before"] or info["free_after"] != info["free_before"]:
        raise AssertionError(f"free pages before, taken, after: {info['free_before']}, "
                             f"{info['taken']}, {info['free_after']}")
    if info["free_before"] < info["managed"] // 2:
        raise AssertionError(f"only {info['free_before']} of {info['managed']} pages were "
                             "free: the allocator does not manage the memory it was given")


@lab.test(points=10)
def fragmentation(t):
    """Every other page free gives no larger block; freeing their buddies gives 4 MiB."""
    t.boot("buddy.fragmentation").expect_pass("buddy.fragmentation")


@lab.test(points=15)
def stress(t):
    """Threads on every hart allocate and free tagged pages: none lost, none shared."""
    run = t.boot("buddy.stress", cpus=SMP, timeout=120)
    run.expect_pass("buddy.stress")
    info = run.info("buddy.stress")
    if info["harts_used"] < 2:
        raise AssertionError(f"the workers ran on {info['harts_used']} hart(s) of "
                             f"{info['harts']}: nothing ran in parallel")


@lab.test(points=10)
def double_free(t):
    """Freeing a page or a block twice panics, whether it sits in a cache or not, and
    when two threads free one page at the same time."""
    t.boot("buddy.double_free").expect_panic(
        r"page_free\(0x[0-9a-f]+, order 0\): double free")
    # Two threads free one page at once, on two harts: the second is refused either way.
    t.boot("buddy.double_free_race", cpus=2).expect_panic(
        r"page_free\(0x[0-9a-f]+, order 0\): double free")
    t.boot("buddy.double_free_block").expect_panic(
        r"buddy_free\(0x[0-9a-f]+, order 3\): not allocated: .* a double free")


@lab.test(points=10)
def never_allocated(t):
    """Freeing memory the allocator never handed out panics and says so."""
    t.boot("buddy.free_foreign").expect_panic(
        r"buddy_free\(0x[0-9a-f]+, order 0\): outside the memory this allocator manages")
    t.boot("buddy.free_unallocated").expect_panic(
        r"buddy_free\(0x[0-9a-f]+, order 0\): not allocated: it lies in the free block")


@lab.test(points=5)
def wrong_order(t):
    """Freeing with another order than the allocation's panics, naming both."""
    t.boot("buddy.wrong_order").expect_panic(
        r"buddy_free\(0x[0-9a-f]+, order 1\): wrong order: the block was allocated with "
        r"order 2")


@lab.test(points=5)
def free_interior(t):
    """Freeing a page inside an allocated block panics, naming the block and its order."""
    run = t.boot("buddy.free_interior")
    r = SplitMix(run.seed, STREAM_FREE_INTERIOR)
    order = r.range(1, 4)
    page = r.range(1, (1 << order) - 1)
    block = run.info("buddy.free_interior")["block"]
    m = run.expect_panic(r"buddy_free\((0x[0-9a-f]+), order 0\): interior pointer: not the start "
                         r"of a block, it lies inside the allocated block (0x[0-9a-f]+) of "
                         r"order (\d+)")
    got = (int(m.group(1), 16), int(m.group(2), 16), int(m.group(3)))
    if got != (block + page * 4096, block, order):
        raise AssertionError(f"the panic names {m.group(1)} inside {m.group(2)} of order "
                             f"{m.group(3)}; the test freed page {page} of the order-{order} "
                             f"block {block:#x}")


@lab.test(points=5)
def misaligned(t):
    """Freeing an address that does not start a block of its order panics."""
    t.boot("buddy.misaligned").expect_panic(
        r"buddy_free\(0x[0-9a-f]+, order 0\): misaligned: not the start of a page")
    t.boot("buddy.misaligned_block").expect_panic(
        r"buddy_free\(0x[0-9a-f]+, order 2\): misaligned: blocks of order 2 start at "
        r"multiples of 0x4000")


@lab.test(points=10)
def use_after_free(t):
    """A write to a freed page is found when the page is handed out again."""
    for test in ("buddy.use_after_free", "buddy.use_after_free_block"):
        run = t.boot(test, timeout=60)
        m = run.expect_panic(r"use after free: page (0x[0-9a-f]+) was written while free"
                             r".*?: offset 0x([0-9a-f]+)")
        if run.info(test).get("mm_debug") != 1:
            raise AssertionError(f"{test} ran with mm_debug off")
        want = 100 if test == "buddy.use_after_free" else 8
        if int(m.group(2), 16) != want:
            raise AssertionError(f"the panic names offset 0x{m.group(2)}, but the test wrote "
                                 f"at offset {want:#x}")


@lab.test(points=10)
def kmalloc(t):
    """kmalloc of many sizes: aligned, writable, no two objects overlap; all freed."""
    t.boot("buddy.kmalloc").expect_pass("buddy.kmalloc")


@lab.test(points=5)
def kfree_interior(t):
    """kfree() of a pointer into the middle of an object panics, naming the offset and
    the object."""
    run = t.boot("buddy.kfree_interior")
    r = SplitMix(run.seed, STREAM_KFREE_INTERIOR)
    size = r.range(16, KHEAP_MAX_CLASS)
    offset = r.range(1, size - 1)
    obj = run.info("buddy.kfree_interior")["object"]
    m = run.expect_panic(r"kfree\((0x[0-9a-f]+)\): interior pointer: (\d+) bytes into the "
                         r"(\d+)-byte object (0x[0-9a-f]+)")
    got = (int(m.group(1), 16), int(m.group(2)), int(m.group(4), 16))
    if got != (obj + offset, offset, obj):
        raise AssertionError(f"the panic names kfree({m.group(1)}), {m.group(2)} bytes into "
                             f"{m.group(4)}; the test freed {obj + offset:#x}, {offset} bytes "
                             f"into the object {obj:#x}")


@lab.test(points=5)
def kfree_double(t):
    """kfree() of an object already free panics and says so."""
    run = t.boot("buddy.kfree_double")
    obj = run.info("buddy.kfree_double")["object"]
    m = run.expect_panic(r"kfree\((0x[0-9a-f]+)\): double kfree: the object \(class (\d+), ")
    size = SplitMix(run.seed, STREAM_KFREE_DOUBLE).range(1, KHEAP_MAX_CLASS)
    if int(m.group(1), 16) != obj or not size <= int(m.group(2)) < 2 * max(size, 16):
        raise AssertionError(f"the panic names {m.group(1)} of class {m.group(2)}; the test "
                             f"freed the {size}-byte object {obj:#x} twice")


@lab.test(points=5)
def kmalloc_use_after_free(t):
    """An object written while free is caught when kmalloc() hands it out again."""
    run = t.boot("buddy.kmalloc_use_after_free", timeout=60)
    info = run.info("buddy.kmalloc_use_after_free")
    if info.get("mm_debug") != 1:
        raise AssertionError("the test ran with mm_debug off")
    r = SplitMix(run.seed, STREAM_KMALLOC_UAF)
    size = r.range(16, KHEAP_MAX_CLASS)
    offset, value = r.range(0, size - 1), r.range(0, 255)
    value ^= value == KHEAP_POISON
    m = run.expect_panic(r"kmalloc: use after free: object (0x[0-9a-f]+) .*? offset "
                         r"0x([0-9a-f]+) holds 0x([0-9a-f]+), not the poison")
    got = (int(m.group(1), 16), int(m.group(2), 16), int(m.group(3), 16))
    if got != (info["object"], offset, value):
        raise AssertionError(f"the panic names object {m.group(1)}, offset 0x{m.group(2)} "
                             f"holding 0x{m.group(3)}; the test wrote {value:#04x} at offset "
                             f"{offset:#x} of {info['object']:#x}")


@lab.test(points=5)
def sealed(t):
    """After the handover, boot_alloc() panics and names kmalloc()."""
    run = t.boot("buddy.sealed")
    run.expect_panic(r"boot_alloc\(16, 8\) called after the boot allocator was sealed; "
                     r"use kmalloc\(\) instead")
    if run.info("buddy.sealed").get("sealed") != 1:
        raise AssertionError("bump_sealed() was false after the handover")


@lab.test(points=10)
def thread_table(t):
    """More threads than lab 4's static table holds are alive at once."""
    run = t.boot("buddy.thread_table", cpus=2, timeout=60)
    run.expect_pass("buddy.thread_table")
    info = run.info("buddy.thread_table")
    if info["created"] <= info["static_slots"] or info["created"] <= info["pool_stacks"]:
        raise AssertionError(f"only {info['created']} threads made: {info}")


@lab.test(points=10)
def page_caches(t):
    """With the per-hart caches, harts rarely take the page allocator's lock."""
    run = t.boot("buddy.page_caches", cpus=SMP, timeout=120)
    run.expect_pass("buddy.page_caches")
    info = run.info("buddy.page_caches")
    if info["cached_acquisitions"] * 8 > info["ops"]:
        raise AssertionError(f"{info['ops']} operations took the lock "
                             f"{info['cached_acquisitions']} times with the caches")
    # The lock statistics (lab 3) list the page allocator's lock: name, acquisitions, ...
    run.expect(r"^\s+pages\s+\d+\s+\d+")


@lab.test(points=5)
def stats(t):
    """The free blocks by order, as printed, add up to the free pages."""
    run = t.boot("buddy.stats")
    run.expect_pass("buddy.stats")
    free = run.info("buddy.stats")["free_pages"]
    rows = re.findall(r"^buddy: +(\d+) +(\d+) +(\d+)\s*$", run.text, re.M)
    if len(rows) != 11:
        raise AssertionError(f"expected a row for each order 0..10, found {len(rows)}")
    pages = sum(int(blocks) << int(order) for order, _, blocks in rows)
    if pages != free:
        raise AssertionError(f"the printed free blocks add up to {pages} pages, "
                             f"the INFO line says {free}")


@lab.test(points=10)
def free_memory(t):
    """After the whole suite free memory is what it was before; a leak is reported."""
    run = t.boot("buddy", cpus=2, timeout=180)
    run.expect_pass("buddy")
    leak = t.boot("buddy.leak")
    m = re.search(r"^KTEST " + leak.token + r" FAIL free_memory: (.*)$", leak.text, re.M)
    if not m or not re.search(r"leaked 1 page\b", m.group(1)):
        raise AssertionError("a test that leaked a page was not reported by the free-memory "
                             "check at the end of the run")
    if leak.status != 2:
        raise AssertionError(f"the run with a leak ended with exit status {leak.status}, not 2")
