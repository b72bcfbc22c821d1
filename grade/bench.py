"""What `make bench` runs: prints figures about the tree, never a pass or a fail.

Figures: clean build time, boot-to-banner time (median of several boots), the
in-kernel benchmarks listed in KERNEL_BENCHES (every BENCH line they print), the event
trace on and off (a whole boot's time, and the benchmarks it touches, with a kernel built
with TRACE=0), the allocators' host benchmark (`make hostbench`, operations per second of
the host), and the time of a full `make grade LAB=all`.
"""

import argparse
import statistics
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gradelib  # noqa: E402  (found through the line above)

ROOT = gradelib.ROOT


class KernelBench:
    """Kernel test ids to boot for their BENCH lines. Guest time from instruction
    counts (-icount) by default, so figures do not depend on the host's load. args: more
    kernel arguments; ns_per_instruction: for figures in guest ns (instret under
    -icount shift=N counts 2^N ns per instruction), also print them in instructions;
    disk: boot with a fresh copy of build/fs.img."""

    def __init__(self, tests, cpus=1, icount="shift=0", timeout=120, args="",
                 ns_per_instruction=None, disk=False):
        self.tests, self.cpus, self.icount, self.timeout = tests, cpus, icount, timeout
        self.args, self.ns_per_instruction = args, ns_per_instruction
        self.disk = disk  # boot with a fresh copy of build/fs.img (lab 8)


# Labs add their benchmarks here, e.g. KernelBench("trap.bench_tick").
KERNEL_BENCHES = [
    # One timer interrupt, trap entry to sret, in guest instructions (instret counts
    # instructions only under -icount; shift=0 makes one instruction one count).
    KernelBench("trap.bench_tick"),
    # Lab 3: an uncontended spin_lock()+spin_unlock() (alone, nested in another lock,
    # nested with the lock-order checker off) and irq_push()+irq_pop(), in guest
    # instructions on one hart; and one counter under one lock on 1, 2 and 4 harts:
    # operations per million guest instructions, spins per 1000 acquisitions, contended
    # acquisitions per million. Under -icount the harts run in turns on one thread, so
    # contention comes from a holder's turn ending mid-hold (lock-holder preemption).
    # shift=3 on 1 and 2 harts: shift 0-2 stall with several harts, and shift=auto
    # changes the scale of instret during the run. On 4 harts QEMU 7.2's turn-taking
    # also stalls now and then at a higher shift, depending on the exact instructions the
    # kernel runs: guest time stops for good (the boot is stopped as stalled). With this
    # tree, 4 harts stalled at shift=3 (and a TRACE=0 build at shift=5), and ran at 4; the
    # figures are per guest instruction, so the shift does not change their scale.
    KernelBench("lock.bench_uncontended"),
    KernelBench("lock.bench_counter", cpus=1, icount="shift=3"),
    KernelBench("lock.bench_counter", cpus=2, icount="shift=3"),
    KernelBench("lock.bench_counter", cpus=4, icount="shift=4", timeout=300),
    # A yield round trip between two threads (one switch each way), and the hand-off of
    # a mutex to a parked waiter, in guest instructions on one hart.
    KernelBench("sched.bench_yield"),
    KernelBench("sched.bench_mutex"),
    # Lab 5: a page (cached on the hart, and straight from the buddy allocator) and a
    # kmalloc object, allocated and freed, in guest instructions on one hart; poisoning
    # off (mmdebug=0), as it reads or writes whole pages.
    KernelBench("buddy.bench_pages", args="mmdebug=0"),
    # Lab 6: pt_map+pt_unmap of one 4 KiB page (its tables already there), one
    # three-level pt_walk, and an address space made, given 16 pages and destroyed, in
    # guest instructions on one hart.
    KernelBench("vm.bench", args="mmdebug=0"),
    # The same pages on 4 harts at once, with and without the per-hart caches. QEMU runs
    # the harts in turn under -icount, so instret is guest time shared by all harts: the
    # figure is every hart's instructions per alloc+free, spinning on the lock included.
    KernelBench("buddy.bench_pages_smp", cpus=4, icount="shift=3", args="mmdebug=0",
                ns_per_instruction=8, timeout=300),
    # Lab 8: a 1 MiB file written and read in 4 KiB pieces (per KiB), a small file
    # created and deleted, and one block read from the buffer cache and from the disk, on
    # one hart. Under -icount instret is guest time: instructions, plus the time the hart
    # waits for the disk, which depends on the host; the disk requests each operation
    # needs are printed beside them (kernel/tests/fs_bench_test.c).
    KernelBench("fs.bench", args="mmdebug=0", disk=True),
    # The event trace (kernel/debug/trace.h): one record through trace_record(), a trap's
    # entry and exit records, a system call's record, and the check every spin_unlock()
    # makes for a contended hold, in guest instructions on one hart, calls included.
    KernelBench("core.bench_trace"),
]

# Benchmarks run again on a kernel built with TRACE=0, to show what the trace adds.
TRACE_OFF_BENCHES = [KernelBench("trap.bench_tick"), KernelBench("lock.bench_uncontended"),
                     KernelBench("sched.bench_yield")]


def figure(label, text):
    print(f"{label + ':':<34} {text}")


def timed(command):
    """Runs command from the repository root; returns (wall seconds, exit status, output)."""
    start = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, errors="replace")
    return time.monotonic() - start, done.returncode, done.stdout + done.stderr


def clean_build():
    # Build into a scratch directory so build/ (and the grader's records there) survive.
    scratch = ROOT / "build" / "bench-clean"
    shutil.rmtree(scratch, ignore_errors=True)
    seconds, status, output = timed(["make", "-s", f"BUILD={scratch}", "kernel"])
    shutil.rmtree(scratch, ignore_errors=True)
    if status != 0:
        print(output, end="")
        print("bench.py: the kernel does not build; no figures", file=sys.stderr)
        return False
    figure("clean build (make kernel)", f"{seconds:7.2f} s")
    return True


def boot_to_banner(session, boots):
    """Wall time from starting QEMU until the first `sprout: ` line, over several boots."""
    command = session.qemu_base(1) + ["-append", "bench=boot"]
    times = []
    for _ in range(boots):
        _, _, stopped, seconds = gradelib.run_process(command, 30, until=r"^sprout: ",
                                                      cwd=ROOT)
        if stopped != "until":
            figure("boot to banner", f"no `sprout: ` line ({stopped or 'QEMU exited'})")
            return
        times.append(seconds)
    shown = " ".join(f"{t:.3f}" for t in times)
    figure(f"boot to banner (median of {boots})", f"{statistics.median(times):7.3f} s  ({shown})")


def kernel_benches(session):
    if not KERNEL_BENCHES:
        figure("in-kernel benchmarks", "none listed yet (KERNEL_BENCHES in grade/bench.py)")
        return
    print("in-kernel benchmarks:")
    for bench in KERNEL_BENCHES:
        run = session.boot(bench.tests, cpus=bench.cpus, icount=bench.icount,
                           timeout=bench.timeout, extra_args=bench.args,
                           disk=True if bench.disk else None)
        figures = run.bench()
        for name, value, unit in figures:
            print(f"  {name:<30} {value:>14} {unit}")
            if bench.ns_per_instruction and unit.startswith("guest-ns"):
                insns = value / bench.ns_per_instruction
                unit = unit.replace("guest-ns", "instructions", 1)
                print(f"  {'':<30} {insns:>14.0f} {unit} (-icount {bench.icount})")
        if not figures or run.status != 0:
            end = f"exit status {gradelib.describe_status(run.status)}"
            print(f"  ({run.kargs}: {len(figures)} figures, {end}; try {run.reproduce()})")


def run_benches(session, benches):
    """{figure name: (value, unit)} of every BENCH line of benches."""
    figures = {}
    for bench in benches:
        run = session.boot(bench.tests, cpus=bench.cpus, icount=bench.icount,
                           timeout=bench.timeout, extra_args=bench.args)
        figures.update({name: (value, unit) for name, value, unit in run.bench()})
    return figures


def whole_boot(session, boots, args=""):
    """Median wall time of a whole boot with no test, from QEMU's start to its exit."""
    command = session.qemu_base(1) + ["-append", " ".join(filter(None, ["bench=boot", args]))]
    times = []
    for _ in range(boots):
        _, status, stopped, seconds = gradelib.run_process(command, 60, cwd=ROOT)
        if status != 0 or stopped:
            return None
        times.append(seconds)
    return statistics.median(times)


def trace_on_off(session, boots):
    """The trace's cost: a whole boot (no test) with the trace compiled in and out, and
    with its dump (trace=1), median of `boots`; then the benchmarks the hooks touch."""
    scratch = ROOT / "build" / "bench-notrace"
    shutil.rmtree(scratch, ignore_errors=True)
    _, status, output = timed(["make", "-s", f"BUILD={scratch}", "TRACE=0", "kernel"])
    if status != 0:
        print(output, end="")
        figure("trace on/off", "the TRACE=0 kernel does not build")
        return

    def without_trace(cpus):
        words = session.qemu_base(cpus)
        words[words.index("-kernel") + 1] = str(scratch / "kernel.elf")
        return words
    off = gradelib.Session(qemu_command=without_trace)
    print(f"the event trace, on and off (whole boot without a test, 1 hart, median of {boots}):")
    for label, s, args in (("TRACE=0", off, ""), ("TRACE=1", session, ""),
                           ("TRACE=1 with trace=1 (the dump)", session, "trace=1")):
        seconds = whole_boot(s, boots, args)
        shown = f"{seconds:7.3f} s" if seconds is not None else "the boot failed"
        print(f"  {'boot, ' + label:<44} {shown}")
    on, not_on = run_benches(session, TRACE_OFF_BENCHES), run_benches(off, TRACE_OFF_BENCHES)
    for name in on:
        if name in not_on:
            value, unit = on[name]
            print(f"  {name:<30} {not_on[name][0]:>8} -> {value:>8} {unit} (TRACE=0 -> 1)")
    shutil.rmtree(scratch, ignore_errors=True)


def host_benches():
    """The allocators built for the host (kernel/hosttest/bench_host.c): its lines as is."""
    seconds, status, output = timed(["make", "-s", "hostbench"])
    lines = [l for l in output.splitlines() if l.startswith("bench: ")]
    print(f"host benchmarks of the allocators (make hostbench, {seconds:.1f} s):")
    for line in lines:
        print(f"  {line[len('bench: '):]}")
    if status != 0 or not lines:
        print(f"  (make hostbench: exit status {status}, {len(lines)} figures)")


def full_grade():
    seconds, _, output = timed(["make", "-s", "grade", "LAB=all"])
    score = [l for l in output.splitlines() if l.startswith("Score: ")]
    figure("make grade LAB=all", f"{seconds:7.2f} s  ({score[-1] if score else 'no score'})")


def main(argv=None):
    p = argparse.ArgumentParser(prog="bench.py", description=__doc__.splitlines()[0])
    p.add_argument("--boots", type=int, default=5, help="boots for boot-to-banner (5)")
    p.add_argument("--skip-grade", action="store_true", help="skip the full grading run")
    args = p.parse_args(argv)
    if not clean_build():
        return 1
    session = gradelib.Session()
    boot_to_banner(session, max(1, args.boots))
    kernel_benches(session)
    trace_on_off(session, max(1, args.boots))
    host_benches()
    if not args.skip_grade:
        full_grade()
    return 0


if __name__ == "__main__":
    sys.exit(main())
