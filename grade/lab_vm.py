"""Lab 6, paging: graded tests.

Each test boots the kernel with in-kernel tests selected (kernel/tests/vm_test.c); they
run right after the paging boot step, with every hart on the kernel map. Faults that a
test expects are seen through memory probes, which return -1 instead of stopping the
kernel; the death tests check the fault reports themselves.
"""
import re

from gradelib import Lab

lab = Lab("vm")


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
