"""Sprout's GDB commands (kernel/scripts/gdb_sprout.py) against the real kernel in QEMU.

Each test boots QEMU stopped, under a GDB server on a free port, drives gdb-multiarch in
batch mode with the script loaded explicitly (not through .gdbinit), stops at known
points of the boot and checks what the commands print there: one clean line before a
part of the kernel is up, real content after (the page allocator's figures are checked
against the kernel's own report). Skipped when gdb-multiarch or QEMU is missing.
Run: python3 -m unittest discover -s grade -p 'test_*.py'
"""

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = "kernel/scripts/gdb_sprout.py"
KERNEL = "build/kernel.elf"
GDB = "gdb-multiarch"
MARK = "@@gdb-test-step@@"
GDB_TIMEOUT = 40
COMMANDS = ["harts", "harts -v", "threads", "threads -bt", "locks", "locks -a", "trapframe",
            "bump", "buddy", "buddy 3", "pagetable", "procs"]
NOT_UP = re.compile(r"not up yet|not available yet")
PYTHON_TROUBLE = re.compile(r"Traceback|Python Exception|Error occurred in Python|"
                            r"internal error")


def make(*args, timeout=600):
    return subprocess.run(["make", "-s", *args], cwd=ROOT, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    """True once some process listens on TCP `port` (Linux /proc; True if unknown)."""
    found_table = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        found_table = True
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[3] == "0A" and \
                    int(fields[1].rsplit(":", 1)[1], 16) == port:
                return True
    return not found_table


class Qemu:
    """QEMU stopped at reset, waiting for GDB; kill() ends its whole process group."""

    def __init__(self, base, kargs, smp=None):
        self.base, self.kargs, self.smp = list(base), kargs, smp
        self.proc = None
        self.log = tempfile.NamedTemporaryFile(prefix="sprout-gdb-qemu-", suffix=".log")
        self.port = None

    def command(self, port):
        cmd = list(self.base)
        if self.smp is not None and "-smp" in cmd:
            cmd[cmd.index("-smp") + 1] = str(self.smp)
        return cmd + ["-append", self.kargs, "-S", "-gdb", "tcp:127.0.0.1:%d" % port]

    def start(self):
        for _ in range(3):
            port = free_port()
            self.log.seek(0)
            self.log.truncate()
            self.proc = subprocess.Popen(self.command(port), cwd=ROOT,
                                         stdin=subprocess.DEVNULL, stdout=self.log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                if listening(port):
                    self.port = port
                    return
                time.sleep(0.05)
            self.kill()  # the port was taken meanwhile, or QEMU failed: try again
        raise AssertionError("QEMU did not start a GDB server:\n" + self.output())

    def wait(self, seconds):
        try:
            self.proc.wait(seconds)
        except subprocess.TimeoutExpired:
            pass

    def output(self):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def kill(self):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass


def run_gdb(port, steps):
    """Runs the steps [(label, [commands])] in one GDB session; returns {label: output}."""
    args = [GDB, "-batch", "-nx",
            "-ex", "set pagination off", "-ex", "set confirm off", "-ex", "set width 0",
            "-ex", "set architecture riscv:rv64", "-ex", "file " + KERNEL,
            "-ex", "source " + SCRIPT, "-ex", "set tcp connect-timeout 10",
            "-ex", "target remote 127.0.0.1:%d" % port]
    for label, commands in steps:
        args += ["-ex", "echo \\n%s %s\\n" % (MARK, label)]
        for c in commands:
            args += ["-ex", c]
    proc = subprocess.run(args, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace",
                          timeout=GDB_TIMEOUT)
    sections = {"(start)": []}
    current = "(start)"
    for line in proc.stdout.splitlines():
        if line.startswith(MARK + " "):
            current = line[len(MARK) + 1:]
            sections[current] = []
        else:
            sections[current].append(line)
    # GDB's own last word belongs to no step.
    last = sections[current]
    if last and last[-1].startswith("[Inferior "):
        last.pop()
    return {k: "\n".join(v).strip("\n") for k, v in sections.items()}, proc.stdout


def branch_lab():
    """(number, name) of the lab a generated lab branch is for, or None on the main tree."""
    try:
        current = (ROOT / "labs" / "current").read_text().strip()
        with open(ROOT / "labs" / "labs.json") as f:
            numbers = {lab["name"]: lab["number"] for lab in json.load(f)["labs"]}
    except (OSError, ValueError, KeyError):
        return None
    return (numbers[current], current) if current in numbers else None


def each_command(label, commands):
    """One step per command, so that each command's output can be checked alone."""
    return [("%s: %s" % (label, c), [c]) for c in commands]


class GdbCommandsTest(unittest.TestCase):
    # Each test is skipped on its own (not the class), so that the suite's count of
    # tests run stays the number of tests.
    skip_reason = None

    @classmethod
    def setUpClass(cls):
        if shutil.which(GDB) is None:
            cls.skip_reason = "%s is not installed (Debian: apt-get install gdb-multiarch)" % GDB
            return
        printed = make("print-qemu", timeout=60)
        if printed.returncode != 0 or not printed.stdout.strip():
            raise AssertionError("make -s print-qemu failed:\n" + printed.stdout)
        cls.qemu_base = shlex.split(printed.stdout.strip().splitlines()[-1])
        if shutil.which(cls.qemu_base[0]) is None:
            cls.skip_reason = "%s is not installed (Debian: apt-get install " \
                "qemu-system-misc)" % cls.qemu_base[0]
            return
        built = make("kernel")
        if built.returncode != 0:
            raise AssertionError("make -s kernel failed:\n" + built.stdout)

    def setUp(self):
        if self.skip_reason:
            self.skipTest(self.skip_reason)
        self.qemu = None
        self.transcript = ""

    def needs(self, *labs):
        """Skips the test on a lab branch whose kernel stops before these labs' code (a
        student branch of lab k has the solutions of the labs before k only)."""
        branch = branch_lab()
        if branch is None:
            return
        with open(ROOT / "labs" / "labs.json") as f:
            numbers = {lab["name"]: lab["number"] for lab in json.load(f)["labs"]}
        missing = [name for name in labs if numbers.get(name, 0) >= branch[0]]
        if missing:
            self.skipTest("needs lab %s; this is the branch of lab %d (%s)" % (
                ", ".join(missing), branch[0], branch[1]))

    def tearDown(self):
        if self.qemu is not None:
            self.qemu.kill()
            self.qemu.log.close()

    def session(self, kargs, steps, smp=None):
        self.qemu = Qemu(self.qemu_base, kargs, smp)
        self.qemu.start()
        out, self.transcript = run_gdb(self.qemu.port, steps)
        return out

    def step(self, out, label):
        self.assertIn(label, out, "GDB never reached step '%s'; its output:\n%s\nQEMU's:\n%s" %
                      (label, self.transcript, "\n".join(self.qemu.output().splitlines()[-30:])))
        return out[label]

    def clean(self, text, what):
        self.assertNotRegex(text, PYTHON_TROUBLE, "%s printed a Python error:\n%s" %
                            (what, text))

    def one_line_not_up(self, out, label):
        text = self.step(out, label)
        self.clean(text, label)
        lines = [l for l in text.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, "%s: expected one line, got:\n%s" % (label, text))
        self.assertRegex(lines[0], NOT_UP, "%s: expected 'not up yet' or 'not available "
                         "yet', got:\n%s" % (label, text))

    def test_before_anything_is_up(self):
        """At reset and at _start every command says in one line that it has nothing yet;
        pagetable walks a table built by hand."""
        root, l1, l0 = 0x87000000, 0x87001000, 0x87002000

        def pte(pa, flags):
            return "((0x%x >> 12) << 10) | 0x%x" % (pa, flags)

        build = ["set {unsigned long}(0x%x + %d * 8) = %s" % (t, i, v) for t, i, v in [
            (root, 2, pte(l1, 0x01)),               # VA 0x80000000.. -> level-1 table
            (root, 3, pte(0xC0000000, 0xC7)),       # 1 GiB leaf rw
            (l1, 0, pte(0x80000000, 0xCF)),         # 2 MiB leaf rwx
            (l1, 1, pte(l0, 0x01)),                 # VA 0x80200000.. -> level-0 table
            (l0, 0, pte(0x80200000, 0x4B)),         # three 4 KiB r-x pages, one range
            (l0, 1, pte(0x80201000, 0x4B)),
            (l0, 2, pte(0x80202000, 0x4B)),
            (l0, 7, pte(0x87100000, 0x05)),         # W without R: reserved
        ]]
        clear = ["set {unsigned long}(0x%x + %d * 8) = 0" % (t, i)
                 for t, i in [(root, 2), (root, 3), (l1, 0), (l1, 1), (l0, 0), (l0, 1),
                              (l0, 2), (l0, 7)]]
        steps = each_command("reset", COMMANDS)
        steps += [("to _start", ["break _start", "continue"])]
        steps += each_command("_start", COMMANDS)
        steps += [("build table", build),
                  ("walk", ["pagetable 0x%x" % root]),
                  ("walk satp", ["pagetable 0x%x" % ((8 << 60) | (root >> 12))]),
                  ("translate", ["pagetable -va 0x80201234 0x%x" % root]),
                  ("translate fault", ["pagetable -va 0x80207000 0x%x" % root]),
                  ("clear table", clear),
                  ("help", ["sprout-help"])]
        # Garbage where the kernel's state lives, as after a reset: every command must
        # still answer in one line. (pc moves to kmain so that they look at all.)
        for fill, data in (("random", "random.Random(7).randbytes(hi - lo)"),
                           ("0xff", "b'\\xff' * (hi - lo)"), ("0x01", "b'\\x01' * (hi - lo)")):
            steps += [("fill " + fill, [
                "python import random; lo = int(gdb.parse_and_eval('(unsigned long)&bss_start'));"
                " hi = int(gdb.parse_and_eval('(unsigned long)&bss_end'));"
                " gdb.selected_inferior().write_memory(lo, %s)" % data,
                "set {unsigned int}&boot_claimed = 1", "set $pc = kmain"])]
            steps += each_command("garbage " + fill, COMMANDS)
        out = self.session("", steps)
        for label, _ in steps:
            if label.startswith(("reset: ", "_start: ")):
                self.one_line_not_up(out, label)
        for label, _ in steps:
            if label.startswith("garbage "):
                text = self.step(out, label)
                self.clean(text, label)
                self.assertEqual(len(text.splitlines()), 1, "%s:\n%s" % (label, text))
        for label in ("reset: harts", "_start: harts"):
            self.assertIn("kernel has not started", self.step(out, label))
        walk = self.step(out, "walk")
        self.clean(walk, "pagetable")
        self.assertIn("6 leaf entries in 4 ranges", walk)
        for expected in [
                r"0x0000000080000000-0x00000000801fffff -> 0x00080000000-0x000801fffff\s+2 MiB"
                r"\s+rwx--ad L1",
                r"0x0000000080200000-0x0000000080202fff -> 0x00080200000-0x00080202fff\s+"
                r"12 KiB\s+r-x--a- L0",
                r"0x0000000080207000-0x0000000080207fff .*BAD: W without R",
                r"0x00000000c0000000-0x00000000ffffffff -> 0x000c0000000-0x000ffffffff\s+"
                r"1 GiB\s+rw---ad L2"]:
            self.assertRegex(walk, expected)
        self.assertIn("ASID 0", self.step(out, "walk satp"))
        self.assertIn("-> physical 0x80201234 (4 KiB page)", self.step(out, "translate"))
        self.assertIn("W without R is reserved: page fault", self.step(out, "translate fault"))
        helptext = self.step(out, "help")
        for name in ("harts", "threads", "locks", "trapframe", "bump", "buddy", "pagetable",
                     "procs", "sprout-help"):
            self.assertRegex(helptext, r"(?m)^  %s\s+\S" % re.escape(name))

    def test_locks_threads_and_traps(self):
        """A held lock before the scheduler runs; a sleeping thread's backtrace; a trap
        frame in the timer interrupt."""
        self.needs("trap", "lock", "sched")
        steps = [("to first lock", ["tbreak lockstat_acquired", "continue"]),
                 ("lock name", ["print lk->name"])]
        steps += each_command("first lock", ["locks", "harts", "threads", "buddy", "bump"])
        # The waiter on its way to sleep: its state says sleeping, but it is still on its
        # hart, in context_switch (an assembly frame: the commands must still parse C).
        steps += [("to switch", [
            "tbreak context_switch if ((struct thread *)$a0)->state == THREAD_SLEEPING && "
            "$_streq(((struct thread *)$a0)->name, \"waiter\")", "continue"])]
        steps += each_command("switch", ["threads", "threads bt waiter", "harts"])
        # A tick while the test holds the mutex for 300 ms (after the unlock the kernel may
        # be done before the next tick).
        steps += [("to timer", ["tbreak timer_interrupt", "continue"])]
        steps += each_command("timer", ["trapframe", "harts"])
        steps += [("timer by address", ["frame function trap_handler", "trapframe tf"])]
        # The test unlocks the mutex after those 300 ms: by then the waiter is off its hart
        # for good (when the test starts to wait it may still be switching out).
        steps += [("to parked waiter", ["tbreak mutex_unlock if m == &park_mutex",
                                        "continue"])]
        steps += each_command("parked", ["harts", "harts -v", "threads", "threads bt waiter",
                                         "threads bt boot", "threads -bt", "locks",
                                         "trapframe", "buddy"])
        out = self.session("test=sched.mutex_parked", steps)

        name = re.search(r'"([^"]+)"', self.step(out, "lock name"))
        self.assertIsNotNone(name, self.transcript)
        locks = self.step(out, "first lock: locks")
        self.clean(locks, "locks")
        self.assertRegex(locks, r"hart \d+ holds 1 lock:\n  '%s'\s+taken at \w+" %
                         re.escape(name.group(1)))
        self.assertRegex(self.step(out, "first lock: harts"), r"(?m)\s%s\s*$" %
                         re.escape(name.group(1)))
        self.one_line_not_up(out, "first lock: threads")
        self.one_line_not_up(out, "first lock: buddy")
        self.assertRegex(self.step(out, "first lock: bump"),
                         r"next free  0x[0-9a-f]+[\s\S]*sealed     no")

        switching = self.step(out, "switch: threads")
        self.clean(switching, "threads")
        self.assertRegex(switching, r"(?m)^\s+\d+\s+waiter\s+sleeping\s+\d+\s+park_mutex .*; "
                         r"still on hart \d+, switching out$")
        live = self.step(out, "switch: threads bt waiter")
        self.assertIn("switching out: GDB's backtrace of that CPU", live)
        for fn in ("context_switch ()", "sched_switch_out", "mutex_lock", "park_waiter"):
            self.assertIn(fn, live)
        self.assertRegex(self.step(out, "switch: harts"),
                         r"(?m)^\d+\s+cpu#\d+\*\s+working\s+context_switch\s+'waiter'")

        nharts = int(self.qemu_base[self.qemu_base.index("-smp") + 1]) \
            if "-smp" in self.qemu_base else 1
        harts = self.step(out, "parked: harts")
        self.clean(harts, "harts")
        self.assertIn("%d hart%s online, phase scheduler" % (nharts, "" if nharts == 1
                                                               else "s"), harts)
        for i in range(nharts):
            # Which harts run threads right now is up to the scheduler; each is in the table.
            self.assertRegex(harts, r"(?m)^%d\s+cpu#\d+\*?\s+(working|parked)\s" % i)
        self.assertRegex(harts, r"'boot' \(#1\)")
        verbose = self.step(out, "parked: harts -v")
        self.clean(verbose, "harts -v")
        stacks = re.findall(r"stack \[0x([0-9a-f]+), 0x([0-9a-f]+)\)", verbose)
        self.assertEqual(len(stacks), nharts, verbose)
        for lo, hi in stacks:
            self.assertLess(int(lo, 16), int(hi, 16), verbose)
        self.assertIn("fault reason none", verbose)

        threads = self.step(out, "parked: threads")
        self.clean(threads, "threads")
        self.assertRegex(threads, r"(?m)^\s+1\s+boot\s+running\s+\d+\s")
        self.assertRegex(threads, r"(?m)^\s+\d+\s+waiter\s+sleeping\s+\(\d+\)\s+park_mutex "
                         r"\(mutex 'park', owner 'boot' \(#1\), 1 waiting\)")
        bt = self.step(out, "parked: threads bt waiter")
        self.clean(bt, "threads bt")
        frames = re.findall(r"(?m)^\s+#(\d+)\s+0x[0-9a-f]+ (\w+)\+0x[0-9a-f]+ at ", bt)
        names = [f for _, f in frames]
        self.assertEqual([int(n) for n, _ in frames], list(range(len(frames))), bt)
        for fn in ("sched_switch_out", "mutex_lock", "park_waiter", "thread_start"):
            self.assertIn(fn, names, bt)
        self.assertLess(names.index("mutex_lock"), names.index("park_waiter"), bt)
        running = self.step(out, "parked: threads bt boot")
        self.assertIn("GDB's backtrace of that CPU", running)
        self.assertIn("ktest_fn_sched_mutex_parked", running)
        self.assertIn("sched_switch_out", self.step(out, "parked: threads -bt"))
        self.assertRegex(self.step(out, "parked: locks"), r"hart \d+ holds no lock")
        self.assertIn("no trap is being handled", self.step(out, "parked: trapframe"))
        self.one_line_not_up(out, "parked: buddy")

        tf = self.step(out, "timer: trapframe")
        self.clean(tf, "trapframe")
        self.assertRegex(tf, r"trap frame at 0x[0-9a-f]+, hart \d+ \(trap depth 1\)")
        self.assertRegex(tf, r"scause  0x8000000000000005  interrupt 5: supervisor timer "
                         r"interrupt")
        self.assertRegex(tf, r"sepc    0x[0-9a-f]{16}  \w+(\+0x[0-9a-f]+)? \(\S+:\d+\)")
        self.assertIn("from S-mode, the kernel (SPP=1)", tf)
        for reg in ("zero", "ra", "sp", "gp", "tp", "a0", "a7", "s11", "t6"):
            self.assertRegex(tf, r"\b%s\s+0x[0-9a-f]{16}" % reg)
        self.assertRegex(self.step(out, "timer: harts"), r"(?m)^\d+\s+cpu#\d+\*\s+working\s+"
                         r"timer_interrupt\s.*\s1\s+\d+\s+\S+$")
        by_addr = self.step(out, "timer by address")
        self.assertIn("interrupt 5: supervisor timer interrupt", by_addr)
        sepc = re.search(r"sepc    (0x[0-9a-f]+)", tf).group(1)
        self.assertIn("sepc    " + sepc, by_addr)

    def test_page_allocator_matches_the_kernel(self):
        """After the handover: buddy's figures are the ones the kernel prints itself."""
        self.needs("trap", "lock", "sched", "buddy")
        steps = [("to report", ["tbreak pages_print_stats", "continue"])]
        steps += each_command("report", ["buddy", "buddy 10 4", "buddy 10 all", "buddy 0",
                                         "bump", "harts", "threads", "locks -a", "trapframe"])
        steps += [("finish", ["continue"])]
        out = self.session("", steps)
        self.qemu.wait(15)
        console = self.qemu.output()
        self.assertIn("sprout: boot complete", console)

        buddy = self.step(out, "report: buddy")
        self.clean(buddy, "buddy")
        self.assertRegex(buddy, r"lists total (\d+) pages; free_pages \1: consistent")
        mine = re.findall(r"(?m)^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", buddy)
        theirs = re.findall(r"(?m)^buddy:\s+(\d+)\s+(\d+)\s+(\d+)\s*$", console)
        self.assertTrue(theirs, "no per-order lines in the console:\n" + console)
        self.assertEqual([tuple(m[:3]) for m in mine], [tuple(t) for t in theirs],
                         "gdb:\n%s\nkernel:\n%s" % (buddy, console))
        free = re.search(r"buddy: (\d+) of (\d+) pages free", console)
        self.assertIn("%s of %s pages free" % free.groups(), buddy)
        cached = re.search(r"pages: (\d+) more free pages in the harts' caches", console)
        self.assertIn("per-hart caches: %s pages" % cached.group(1), buddy)

        blocks = self.step(out, "report: buddy 10 all")
        addrs = re.findall(r"(?m)^  0x([0-9a-f]+)-0x([0-9a-f]+)$", blocks)
        order10 = int(dict((m[0], m[2]) for m in mine)["10"])
        self.assertEqual(len(addrs), order10, blocks)
        for lo, hi in addrs:
            self.assertEqual(int(lo, 16) % (4 << 20), 0, blocks)
            self.assertEqual(int(hi, 16) - int(lo, 16), 4 << 20, blocks)
        first4 = self.step(out, "report: buddy 10 4")
        self.assertEqual(re.findall(r"(?m)^  0x[0-9a-f]+-0x[0-9a-f]+$", first4),
                         ["  0x%s-0x%s" % a for a in addrs[:4]], first4)
        self.assertIn("... (%d in all; `buddy 10 all` lists every one)" % order10, first4)
        self.clean(self.step(out, "report: buddy 0"), "buddy 0")
        self.assertRegex(self.step(out, "report: bump"), r"sealed     yes: boot_alloc\(\) "
                         r"panics now; use kmalloc\(\)")
        self.assertRegex(self.step(out, "report: threads"), r"(?m)^\s+1\s+boot\s+running")
        self.assertIn("phase production", self.step(out, "report: harts"))
        self.assertRegex(self.step(out, "report: locks -a"), r"(?m)^pages\s+-\s+\d+")
        for label, _ in steps:
            self.clean(out.get(label, ""), label)

    def test_pagetable_with_paging_on(self):
        """At the end of boot every hart runs on the kernel map: pagetable shows its
        ranges, text read+execute, and translates kernel_start level by level."""
        self.needs("trap", "lock", "sched", "buddy", "vm")
        steps = [("to report", ["tbreak pages_print_stats", "continue"])]
        steps += each_command("report", ["pagetable", "pagetable -va 0x80200000"])
        steps += [("finish", ["continue"])]
        out = self.session("", steps)
        self.qemu.wait(15)
        table = self.step(out, "report: pagetable")
        self.clean(table, "pagetable")
        self.assertRegex(table, r"Sv39 table at 0x[0-9a-f]+, ASID 0: \d+ leaf entries")
        self.assertRegex(table, r"(?m)^  0x0000000080200000-0x[0-9a-f]+ -> 0x00080200000-"
                         r"0x[0-9a-f]+ +[\d.]+ KiB  r-x-ga- L0$")
        self.assertNotRegex(table, r"(?m) -wx| rwx", "a page is writable and executable")
        walk = self.step(out, "report: pagetable -va 0x80200000")
        self.assertRegex(walk, r"level 0: table 0x[0-9a-f]+ \[  0\] = 0x[0-9a-f]+  leaf r-x")
        self.assertIn("-> physical 0x80200000 (4 KiB page)", walk)

    def test_spinning_hart(self):
        """A hart spinning on a lock another hart never releases (lock.deadlock)."""
        self.needs("trap", "lock")
        steps = [("to waiter", ["tbreak wait_for_stuck", "continue"]),
                 ("to spin", ["break spin_wait_check if w->spins >= 2048", "continue",
                              "delete"])]
        steps += each_command("spin", ["locks", "harts", "locks -a"])
        out = self.session("test=lock.deadlock", steps, smp=2)
        locks = self.step(out, "spin: locks")
        self.clean(locks, "locks")
        holder = re.search(r"hart (\d+) holds 1 lock:\n  'test\.stuck'\s+taken at "
                           r"stuck_holder\+0x", locks)
        self.assertIsNotNone(holder, locks)
        spinner = re.search(r"hart (\d+) spins on 'test\.stuck', asked at wait_for_stuck\+0x",
                            locks)
        self.assertIsNotNone(spinner, locks)
        self.assertNotEqual(holder.group(1), spinner.group(1))
        self.assertIn("held by hart %s, taken at stuck_holder" % holder.group(1), locks)
        self.assertRegex(locks, r"(20[4-9]\d|2[1-9]\d\d|[3-9]\d{3}|\d{5,}) turns of the wait "
                         r"loop in this wait")
        self.assertRegex(self.step(out, "spin: harts"),
                         r"hart %s spins on 'test\.stuck'" % spinner.group(1))
        self.assertRegex(self.step(out, "spin: locks -a"),
                         r"(?m)^test\.stuck\s+hart %s\s.*hart %s$" % (holder.group(1),
                                                                     spinner.group(1)))


if __name__ == "__main__":
    unittest.main()
