"""Lab 6, paging: graded tests.

Each test boots the kernel with in-kernel tests selected (kernel/tests/vm_test.c); they
run right after the paging boot step, with every hart on the kernel map. Faults that a
test expects are seen through memory probes, which return -1 instead of stopping the
kernel; the death tests check the fault reports themselves.
"""
import re

from gradelib import DIGEST_INIT, MASK64, Lab, SplitMix, fold

lab = Lab("vm")

# The kernel's ktest_rng stream and choices (kernel/tests/vm_test.c).
STREAM_WITNESS = 0x60
WITNESS_MAPS, WITNESS_PROBES, PAGE = 12, 24, 4096
L2_CHOICES, L1_CHOICES = [0, 1, 2, 255, 256, 510], [0, 1, 2, 3, 510]
R, W, X, U, G = 2, 4, 8, 16, 32
PERMS = [R, R | W, R | X, X, R | W | U, R | X | G, R | W | G]


class PageTableModel:
    """Sv39 as lab 6's handout specifies pt_map(): 4 KiB leaves only; a walk with alloc
    makes each missing table on the way; a range that runs into a mapped page fails
    with PT_MAPPED and unmaps what it mapped, keeping the tables."""

    def __init__(self):
        self.leaves, self.tables = {}, set()

    def count_tables(self):
        return 1 + len(self.tables)

    def map(self, va, pa, pages, perm):
        for k in range(pages):
            v = (va + k * PAGE) & MASK64
            l2, l1 = (v >> 30) & 511, (v >> 21) & 511
            self.tables |= {(l2,), (l2, l1)}
            if v in self.leaves:
                for j in range(k):
                    del self.leaves[(va + j * PAGE) & MASK64]
                return -2
            self.leaves[v] = (pa + k * PAGE, perm)
        return 0

    def translate(self, va):
        leaf = self.leaves.get(va & ~(PAGE - 1) & MASK64)
        return (leaf[0] + va % PAGE, leaf[1]) if leaf else None


@lab.witness("vm")
def vm_model(run, info):
    """Seeded ranges map, fail, grow the tree and translate as the model says."""
    r, model, maps, results, tables = SplitMix(run.seed, STREAM_WITNESS), PageTableModel(), [], [], []
    for _ in range(WITNESS_MAPS):
        l2, l1 = L2_CHOICES[r.range(0, 5)], L1_CHOICES[r.range(0, 4)]
        l0 = r.range(0, 15)
        l0 = l0 if l0 < 8 else 496 + l0
        pages, perm = r.range(1, 4), PERMS[r.range(0, 6)]
        pa = 0x100000000 + (r.range(0, 0xFFFF) << 12)
        va = l2 << 30 | l1 << 21 | l0 << 12
        if l2 >= 256:
            va |= MASK64 & ~((1 << 39) - 1)
        maps.append((va, pages))
        results.append(-model.map(va, pa, pages, perm))
        tables.append(model.count_tables())
    digest = DIGEST_INIT
    for _ in range(WITNESS_PROBES):
        va, pages = maps[r.range(0, WITNESS_MAPS - 1)]
        got = model.translate(va + r.range(0, pages * PAGE + 2 * PAGE))
        digest = fold(fold(digest, got[0] if got else 1), got[1] if got else 0)
    raw = info["raw"]
    for i, (va, pages) in enumerate(maps):
        got_r = raw.get("results", "").split(",")[i:i + 1]
        got_t = raw.get("tables", "").split(",")[i:i + 1]
        if got_r != [str(results[i])]:
            raise AssertionError(f"map {i + 1}, {pages} page(s) at {va:#x}, returned "
                                 f"{'-' + got_r[0] if got_r else 'nothing'}; the model says "
                                 f"{-results[i]}")
        if got_t != [str(tables[i])]:
            raise AssertionError(f"after map {i + 1}, {pages} page(s) at {va:#x}, the tree has "
                                 f"{got_t[0] if got_t else 'no count of'} tables; the model "
                                 f"has {tables[i]}")
    if info.get("translations") != digest:
        raise AssertionError("the seeded probes translate to other addresses or permissions "
                             "than the model's")


@lab.test(points=15)
def walk(t):
    """Addresses that differ at every level translate right; the tree grows by exactly
    the tables each needs; unmapping and destroying give every page back."""
    run = t.boot("vm.walk")
    run.expect_pass("vm.walk")
    if run.info("vm.walk")["tables"] != 10:
        raise AssertionError(f"{run.info('vm.walk')['tables']} tables for five mappings "
                             "that need 10")


@lab.test(points=10)
def map_range(t):
    """A range across a level-0 table's end maps page by page; a range that runs into a
    mapped page fails with PT_MAPPED and undoes what it mapped."""
    t.boot("vm.map_range").expect_pass("vm.map_range")


@lab.test(points=15)
def kernel_map(t):
    """Text is r-x, read-only data r--, data and free memory rw-, no page is writable and
    executable, every device is mapped, and every hart translates through the map."""
    run = t.boot("vm.kernel_map", cpus=2)
    run.expect_pass("vm.kernel_map")
    info = run.info("vm.kernel_map")
    if info["harts"] != 2:
        raise AssertionError(f"{info['harts']} harts on the kernel map, not 2")
    if info["devices"] < 3:
        raise AssertionError(f"only {info['devices']} devices mapped: the UART, the PLIC "
                             "and the test device at least")


def expect_page_fault(run, test, access, cause):
    """The panic names the cause, the function, the access and the address the test
    aimed at, and lists the page-table entries down to the leaf."""
    target = run.info(test)["target"]
    m = run.expect_panic(rf"{cause} at (\S+): {access} of (0x[0-9a-f]+)")
    if int(m.group(2), 16) != target:
        raise AssertionError(f"the report names address {m.group(2)}, but the test "
                             f"touched {target:#x}")
    run.expect(rf"^page fault: {access} at {target:#x}", re.M)
    run.expect(r"^  level 2 entry +\d+: 0x[0-9a-f]+ table", re.M)
    run.expect(r"^  level 1 entry +\d+: 0x[0-9a-f]+ table", re.M)
    return run.expect(r"^  level 0 entry +\d+: 0x[0-9a-f]+ (\S+)", re.M)


@lab.test(points=10)
def write_text(t):
    """A store to kernel text faults, and the report shows the read-only leaf."""
    run = t.boot("vm.write_text")
    m = expect_page_fault(run, "vm.write_text", "store", r"store/AMO page fault")
    if not m.group(1).startswith("r-x"):
        raise AssertionError(f"kernel text's leaf has permissions {m.group(1)}, not r-x")


@lab.test(points=10)
def exec_data(t):
    """Jumping into data faults on the fetch: data is never executable."""
    run = t.boot("vm.exec_data")
    m = expect_page_fault(run, "vm.exec_data", "fetch", r"instruction page fault")
    if "x" in m.group(1):
        raise AssertionError(f"a data page is executable: {m.group(1)}")


@lab.test(points=10)
def unmap_touch(t):
    """A page unmapped from the kernel map can no longer be read or written: no stale
    TLB entry is used."""
    t.boot("vm.unmap_touch").expect_pass("vm.unmap_touch")


@lab.test(points=10)
def unmap_other_hart(t):
    """A page unmapped on one hart faults on the other harts too: the flush reaches
    every hart."""
    run = t.boot("vm.unmap_other_hart", cpus=2)
    run.expect_pass("vm.unmap_other_hart")
    if run.info("vm.unmap_other_hart")["harts"] < 2:
        raise AssertionError("the test ran on one hart only")


@lab.test(points=10)
def no_leak(t):
    """Address spaces with 80 pages in many tables, copied, grown, shrunk and destroyed:
    every page comes back."""
    t.boot("vm.no_leak").expect_pass("vm.no_leak")


@lab.test(points=10)
def stack_overflow(t):
    """A thread that overflows its stack faults in the guard page below it, and the
    report says stack overflow and names the thread."""
    run = t.boot("vm.stack_overflow")
    run.expect_panic(r"stack overflow.*thread 'vm_overflower'")
    # At once: the trap is the store into the guard page, not a later tick that finds
    # sp (or the canary) wrong.
    run.expect(r"^trap: store/AMO page fault \(scause 0xf\)", re.M)


@lab.test(points=15)
def copy(t):
    """copyin, copyout and copyinstr work across pages and fail, without faulting, on
    every kind of bad pointer."""
    t.boot("vm.copy").expect_pass("vm.copy")
