"""The grader's own tests: gradelib and grade.py against a fake QEMU, no kernel needed.

The fake QEMU is a small Python script that acts out the kernel test named in its
`-append test=...` argument (pass, fail, panic, hang, ignore SIGTERM, echo input...),
run in a throwaway tree with its own lab catalog and lab files. With `fakemon=1` on its
kernel command line it also answers on the monitor socket the grader gives it, as
QEMU 7.2's human monitor does. The tests in RealQemu boot the real kernel
(build/kernel.elf) and are skipped where QEMU or the kernel is missing.
Run: python3 -m unittest discover -s grade -p 'test_*.py'
"""

import contextlib
import inspect
import io
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import grade  # noqa: E402
import gradelib  # noqa: E402
import process  # noqa: E402

FAKE_QEMU = r'''
import os, signal, socket, sys, threading, time
words = dict(w.split("=", 1) for w in sys.argv[sys.argv.index("-append") + 1].split())
token, test = words.get("token", "-"), words.get("test", "")
if "pidfile" in words:
    with open(words["pidfile"], "w") as f:
        f.write(str(os.getpid()))

def monitor(path):
    """QEMU's human monitor: a greeting, each command echoed with terminal escapes, its
    answer, a prompt. pcs=0x..,0x.. are the harts' pcs; guest time runs guestrate
    times as fast as the host's clock (0: it stands still). fakemon=silent: a monitor
    that never answers, as QEMU's under -icount when no timer is due."""
    pcs = [int(pc, 16) for pc in words.get("pcs", "0x80202010").split(",")]
    rate, start = float(words.get("guestrate", "0")), time.monotonic()
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(1)
    def serve():
        conn, _ = server.accept()
        if words["fakemon"] == "silent":
            time.sleep(1000)
        conn.sendall(b"QEMU 7.2.0 monitor - type 'help' for more information\r\n(qemu) ")
        for line in conn.makefile("rb"):
            command, answer = line.decode().strip(), ""
            if command == "info registers -a":
                answer = "".join(f"\r\nCPU#{i}\r\n V      =   0\r\n pc       {pc:016x}\r\n"
                                 f" mhartid  {i:016x}\r\n" for i, pc in enumerate(pcs))
            elif command.startswith("xp "):
                mtime = int((time.monotonic() - start) * rate * 10_000_000)
                answer = f"000000000200bff8: 0x{mtime:016x}\r\n"
            conn.sendall(f"{command[:1]}\x1b[K\x1b[D{command}\x1b[K\r\n{answer}(qemu) ".encode())
    threading.Thread(target=serve, daemon=True).start()

if words.get("fakemon") in ("1", "silent"):
    monitor(sys.argv[sys.argv.index("-monitor") + 1].split(",")[0][len("unix:"):])

def say(*lines):
    for line in lines:
        print(line, flush=True)

def k(verb, rest, tok=None):
    say(f"KTEST {tok or token} {verb} {rest}")

def passing(name):
    k("START", name); k("PASS", name)

def done(passed=1, failed=0):
    k("DONE", f"passed={passed} failed={failed} skipped=0")

def panic(message):
    say("", f"panic: {message}", "panic: hart 0, phase run", "backtrace:",
        "  #0 0x0000000080201234 boot_alloc+0x44", "end of backtrace")
    return 1

def ok_one():
    passing("ok.one"); done(); say("sprout: shutdown"); return 0

def ok():  # a whole suite
    passing("ok.a"); passing("ok.b"); k("SKIP", "ok.death: death test"); done(2); return 0

def ok_info():
    k("START", "ok.info")
    k("INFO", "ok.info used=1 stale=yes", tok="00000000deadbeef")
    k("INFO", "ok.info used=128 base=0x80200000 name=first")
    k("INFO", "ok.info ratio=0.5 used=256")
    k("BENCH", "bench_tick 1234 cycles")
    k("BENCH", "stale 1 s", tok="-")
    k("PASS", "ok.info"); done(); return 0

def bad_fail():
    k("START", "bad.fail"); k("FAIL", "bad.fail: 0x80201003 is not aligned"); done(0, 1)
    return 2

def bad_stale():
    passing_other = ("00000000deadbeef", "-")
    for tok in passing_other:
        k("START", "bad.stale", tok=tok); k("PASS", "bad.stale", tok=tok)
    done(); return 0

def bad_panic_after_pass():
    passing("bad.panic_after_pass"); return panic("lock held twice")

def bad_nodone():
    passing("bad.nodone"); return 0

def bad_status():
    passing("bad.status"); done(); return 2

def death_oom(name="death.oom"):
    k("START", name); return panic("out of memory: 64 bytes requested, 12 left")

def death_status0():
    death_oom("death.status0"); return 0

def death_other():
    k("START", "death.other"); return panic("page fault at 0x0")

def death_passes():
    passing("death.passes"); done(); return 0

def death_returns():  # what kernel/ktest.c prints when a death test returns
    k("START", "death.returns")
    k("FAIL", "death.returns: expected a panic, but the test returned (kernel/ktest.c:187)")
    done(0, 1); return 2

def death_check():  # a check in the test itself failed
    k("START", "death.check")
    k("FAIL", "death.check: the pool was not empty (kernel/tests/death_test.c:12)")
    done(0, 1); return 2

def other_one():  # unimplemented while labs/stub-other exists (the fake runs in the tree)
    if os.path.exists("labs/stub-other"):
        say("", "spinlocks is not implemented yet: see docs/labs/3-lock.md",
            "(reached from spin_lock+0x10)")
        return 3
    passing("other.one"); done(); return 0

def chatty():  # more kernel lines than the tail shows
    say(*(f"line {i}" for i in range(40))); k("START", "chatty"); return 2

def hang():
    k("START", "hang"); time.sleep(1000)

def hang_stubborn():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = os.fork()
    if child == 0:
        time.sleep(1000); os._exit(0)
    with open(words["pidfile"] + ".child", "w") as f:
        f.write(str(child))
    k("START", "hang.stubborn"); time.sleep(1000)

def orphan():
    child = os.fork()
    if child == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(1000); os._exit(0)
    with open(words["pidfile"] + ".child", "w") as f:
        f.write(str(child))
    passing("orphan"); done(); return 0

def echo():
    sys.stdout.write("login: "); sys.stdout.flush()
    say("got: " + sys.stdin.readline().strip())
    sys.stdout.write("again> "); sys.stdout.flush()
    say("got2: " + sys.stdin.readline().strip())
    passing("echo"); done(); return 0

def until():
    say("sprout: ready"); time.sleep(1000)

def disk_write():  # writes to the disk image it was given, as the kernel's fs tests do
    path = sys.argv[sys.argv.index("-drive") + 1].split(",")[0][len("file="):]
    with open(path, "a") as f:
        f.write("written\n")
    say("disk: " + path); passing("disk.write"); done(); return 0

say("", "OpenSBI v1.1", *(f"  (logo line {i})" for i in range(8)), "",
    "Platform Name             : fake", "Boot HART ID              : 0", "")
say("sprout: fake QEMU", "args: " + " ".join(sys.argv[1:]))
sys.exit(globals()[test.replace(".", "_")]())
'''

# What QEMU 7.2 with its OpenSBI 1.1 printed before the kernel's first line.
REAL_BANNER = """
OpenSBI v1.1
   ____                    _____ ____ _____
  / __ \\                  / ____|  _ \\_   _|
 | |  | |_ __   ___ _ __ | (___ | |_) || |
 | |  | | '_ \\ / _ \\ '_ \\ \\___ \\|  _ < | |
 | |__| | |_) |  __/ | | |____) | |_) || |_
  \\____/| .__/ \\___|_| |_|_____/|____/_____|
        | |
        |_|

Platform Name             : riscv-virtio,qemu
Platform Features         : medeleg
Platform HART Count       : 1
Platform IPI Device       : aclint-mswi
Platform Timer Device     : aclint-mtimer @ 10000000Hz
Platform Console Device   : uart8250
Platform HSM Device       : ---
Platform Reboot Device    : sifive_test
Platform Shutdown Device  : sifive_test
Firmware Base             : 0x80000000
Firmware Size             : 288 KB
Runtime SBI Version       : 1.0

Domain0 Name              : root
Domain0 Boot HART         : 0
Domain0 HARTs             : 0*
Domain0 Region00          : 0x0000000002000000-0x000000000200ffff (I)
Domain0 Region01          : 0x0000000080000000-0x000000008007ffff ()
Domain0 Region02          : 0x0000000000000000-0xffffffffffffffff (R,W,X)
Domain0 Next Address      : 0x0000000080200000
Domain0 Next Arg1         : 0x0000000087e00000
Domain0 Next Mode         : S-mode
Domain0 SysReset          : yes

Boot HART ID              : 0
Boot HART Domain          : root
Boot HART Priv Version    : v1.12
Boot HART Base ISA        : rv64imafdch
Boot HART ISA Extensions  : time,sstc
Boot HART PMP Count       : 16
Boot HART PMP Granularity : 4
Boot HART PMP Address Bits: 54
Boot HART MHPM Count      : 16
Boot HART MIDELEG         : 0x0000000000001666
Boot HART MEDELEG         : 0x0000000000f0b509

sprout: booting on hart 0, 1 hart, 128 MiB RAM at 0x0000000080000000
"""

FAKE_ADDR2LINE = r'''
import sys
from pathlib import Path
e = sys.argv.index("-e")
root = Path(sys.argv[e + 1]).parent.parent
if "-f" in sys.argv:  # a backtrace frame: function, file and line, inlining
    print(f"boot_alloc at {root}/kernel/mm/bump.c:44 (for {sys.argv[-1]})")
    print(f" (inlined by) test_bump at {root}/kernel/tests/bump_test.c:9")
else:  # pcs: file:line of each
    for pc in sys.argv[e + 2:]:
        print(f"{root}/kernel/spin.c:{int(pc, 16) & 0xff}")
'''

FAKE_NM = r'''
print("0000000080200000 T _start")
print("0000000080201000 T boot_alloc")
print("0000000080202000 t spin_forever")
print("0000000080203000 R kernel_text_end")
'''

DEATH_TEST_C = """/* The fake tree's death tests, for locate_test(). */
#include "ktest.h"

KTEST_DEATH(death, returns)
{
}

KTEST_DEATH(death, check)
{
\tint left = 1;
\t(void)left;
\tKCHECK(left == 0, "the pool was not empty");
}
"""

LAB_FAKE = r'''
from gradelib import Lab
lab = Lab("fake")

@lab.test(points=10)
def one(t):
    t.boot("ok.one").expect_pass()

@lab.test(points=5)
def broken(t):
    fixed = (t.session.root / "fixed").exists()
    t.boot("ok.one" if fixed else "bad.fail").expect_pass()

@lab.test(points=3)
def death(t):
    m = t.boot("death.oom").expect_panic(r"out of memory: (\d+) bytes .* (\d+) left")
    t.check(m.group(1) == "64", f"{m.group(1)} bytes requested", "64 bytes requested")
'''

LAB_OTHER = r'''
from gradelib import Lab
lab = Lab("other")

@lab.test(points=1)
def one(t):
    if (t.session.root / "interrupt").exists():
        raise KeyboardInterrupt
    t.boot("other.one").expect_pass("other.one")
'''

CATALOG = {"labs": [{"number": 1, "name": "fake", "title": "f", "handout": "x"},
                    {"number": 2, "name": "other", "title": "o", "handout": "y"},
                    {"number": 3, "name": "later", "title": "l", "handout": "z"}]}

ROOT = None


def setUpModule():
    global ROOT
    ROOT = Path(tempfile.mkdtemp(prefix="sprout-grade-test-"))
    for path, text in {"fakeqemu.py": FAKE_QEMU, "grade/lab_fake.py": LAB_FAKE,
                       "grade/lab_other.py": LAB_OTHER, "labs/labs.json": json.dumps(CATALOG),
                       "build/kernel.elf": "", "kernel/tests/death_test.c": DEATH_TEST_C,
                       "fake-addr2line": f"#!{sys.executable}\n" + FAKE_ADDR2LINE,
                       "fake-nm": f"#!{sys.executable}\n" + FAKE_NM}.items():
        (ROOT / path).parent.mkdir(parents=True, exist_ok=True)
        (ROOT / path).write_text(text)
    for tool in ("fake-addr2line", "fake-nm"):
        (ROOT / tool).chmod(0o755)


def tearDownModule():
    import shutil
    shutil.rmtree(ROOT, ignore_errors=True)


def fake_qemu(cpus):
    return [sys.executable, str(ROOT / "fakeqemu.py"), "-smp", str(cpus)]


def fake_disk(path):
    return ["-drive", f"file={path},if=none,format=raw,id=x0", "-device", "virtio-blk-device"]


def options(**extra):
    """Session options that put the fakes in place of QEMU, make, addr2line and nm."""
    return {"root": ROOT, "qemu_command": fake_qemu, "build_command": ["true"],
            "addr2line": str(ROOT / "fake-addr2line"), "nm": str(ROOT / "fake-nm"),
            "disk_command": fake_disk, **extra}


def eventually(check, *args):
    """SIGKILL takes effect asynchronously: give a killed process a moment to die."""
    deadline = time.monotonic() + 2
    while not check(*args) and time.monotonic() < deadline:
        time.sleep(0.01)
    return check(*args)


def running(pid):
    """False once pid no longer runs (a zombie left to a non-reaping init counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in "ZX"
    except OSError:
        return False


def gone(pid):
    return eventually(lambda: not running(pid))


def group_gone(pgid):
    return eventually(lambda: not group_running(pgid))


def group_running(pgid):
    """True while a live process is left in process group pgid."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] not in "ZX":
                return True
    return False


class Judging(unittest.TestCase):
    """Run's expectations on the console and exit status of one boot."""

    def setUp(self):
        self.session = gradelib.Session(**options())

    def boot(self, test, **kw):
        return self.session.boot(test, **kw)

    def assertFails(self, expectation, *words):
        with self.assertRaises(gradelib.GradeFailure) as caught:
            expectation()
        text = f"{caught.exception.expected} / {caught.exception.got}"
        for word in words:
            self.assertIn(word, text)
        return caught.exception

    def test_pass(self):
        run = self.boot("ok.one")
        run.expect_pass()
        run.expect_pass("ok.one")
        self.assertEqual(run.status, 0)
        self.assertIn(f"token={run.token}", run.kargs)
        self.assertRegex(run.token, r"^[0-9a-f]{16}$")

    def test_fresh_token_per_boot(self):
        self.assertNotEqual(self.boot("ok.one").token, self.boot("ok.one").token)

    def test_suite_pass_ignores_skipped_death_tests(self):
        self.boot("ok").expect_pass()

    def test_options_reach_qemu_and_reproduce(self):
        run = self.boot("ok.one", cpus=2, icount=3, qemu_extra=["-d", "guest_errors"],
                        extra_args="hz=100")
        run.expect(r"^args: -smp 2 -append test=ok.one token=\w+ seed=\d+ hz=100 "
                   r"-icount shift=3 -d guest_errors -monitor unix:\S+,server,nowait$")
        self.assertEqual(run.reproduce(),
                         f"make qemu CPUS=2 KARGS='test=ok.one token={run.token} "
                         f"seed={run.seed} hz=100' QEMUEXTRA='-icount shift=3 -d guest_errors'")

    def test_info_and_bench(self):
        run = self.boot("ok.info")
        self.assertEqual(run.info("ok.info"),
                         {"used": 256, "base": 0x80200000, "name": "first", "ratio": 0.5})
        self.assertEqual(len(run.infos("ok.info")), 2)
        self.assertEqual(run.bench(), [("bench_tick", 1234, "cycles")])
        self.assertFails(lambda: run.info("ok.other"), "no INFO line")

    def test_stale_tokens_never_count(self):
        run = self.boot("bad.stale")
        self.assertFails(run.expect_pass, "never started", "another token")

    def test_fail_line(self):
        run = self.boot("bad.fail")
        self.assertFails(run.expect_pass, "FAIL bad.fail: 0x80201003 is not aligned")

    def test_panic_after_pass_fails(self):
        run = self.boot("bad.panic_after_pass")
        self.assertFails(run.expect_pass, "panic: lock held twice")

    def test_missing_done_fails(self):
        self.assertFails(self.boot("bad.nodone").expect_pass, "no DONE")

    def test_exit_status_checked(self):
        self.assertFails(self.boot("bad.status").expect_pass, "exit status 2")

    def test_death_test(self):
        run = self.boot("death.oom")
        m = run.expect_panic(r"out of memory: (\d+) bytes .* (\d+) left")
        self.assertEqual(m.groups(), ("64", "12"))
        self.assertEqual(run.status, 1)

    def test_death_test_needs_status_1(self):
        run = self.boot("death.status0")
        self.assertFails(lambda: run.expect_panic("out of memory"), "exit status 0")

    def test_death_test_needs_matching_panic(self):
        run = self.boot("death.other")
        self.assertFails(lambda: run.expect_panic("out of memory"), "page fault at 0x0")

    def test_death_test_must_not_pass(self):
        run = self.boot("death.passes")
        self.assertFails(lambda: run.expect_panic("out of memory"), "printed PASS")

    def test_death_test_that_returns_names_its_source(self):
        run = self.boot("death.returns")
        self.assertFails(lambda: run.expect_panic("out of memory"),
                         "death.returns returned instead of panicking (exit status 2",
                         "the kernel printed: KTEST", "expected a panic, but the test returned",
                         "the test is KTEST_DEATH(death, returns) at "
                         "kernel/tests/death_test.c:4")

    def test_death_test_whose_check_failed_names_the_check(self):
        run = self.boot("death.check")
        self.assertFails(lambda: run.expect_panic("out of memory"),
                         "the kernel points at kernel/tests/death_test.c:12")

    def test_guest_seconds_need_icount(self):
        with self.assertRaises(ValueError):
            self.boot("ok.one", guest_seconds=1)

    def test_expect_is_ordered(self):
        run = self.boot("ok.one")
        run.expect(r"PASS ok\.one")
        run.expect(r"^sprout: shutdown")
        self.assertFails(lambda: run.expect(r"START ok\.one"), "after line")

    def test_input_after_regex(self):
        run = self.boot("echo", input=[(r"login: ", b"alice\n"), (r"again> ", b"bob\n")],
                        timeout=10)
        run.expect(r"^login: got: alice$")  # no echo: the answer follows the prompt
        run.expect(r"^again> got2: bob$")
        run.expect_pass()

    def test_until_stops_qemu(self):
        run = self.boot("until", until=r"^sprout: ready")
        self.assertEqual((run.stopped, run.status), ("until", None))
        self.assertLess(run.seconds, 5)


class Disks(unittest.TestCase):
    """t.boot(disk=...): a fresh copy of the image per boot unless disk_copy=False, so that
    parallel boots never share one; a test's scratch directory goes with the test."""

    def setUp(self):
        self.session = gradelib.Session(**options())
        self.dir = Path(tempfile.mkdtemp(prefix="sprout-disk-test-"))
        self.image = self.dir / "fs.img"
        self.image.write_text("image\n")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def written_to(self, run):
        return run.expect(r"^disk: (\S+)$").group(1)

    def test_each_boot_gets_a_fresh_copy(self):
        first = self.session.boot("disk.write", disk=self.image)
        second = self.session.boot("disk.write", disk=self.image)
        first.expect_pass()
        paths = {self.written_to(first), self.written_to(second)}
        self.assertEqual(len(paths), 2)
        self.assertNotIn(str(self.image), paths)
        self.assertEqual(self.image.read_text(), "image\n")
        self.assertFalse(any(Path(p).exists() for p in paths))
        self.assertEqual(first.disk, (self.image, True))
        self.assertEqual(first.reproduce(),
                         f"cp '{self.image}' /tmp/sprout-disk.img && make qemu CPUS=1 "
                         f"KARGS='test=disk.write token={first.token} seed={first.seed}' "
                         "DISK=/tmp/sprout-disk.img")

    def test_the_image_itself_when_asked(self):
        for _ in range(2):
            run = self.session.boot("disk.write", disk=self.image, disk_copy=False)
            self.assertEqual(self.written_to(run), str(self.image))
        self.assertEqual(self.image.read_text(), "image\nwritten\nwritten\n")
        self.assertTrue(run.reproduce().endswith(f" DISK='{self.image}'"))

    def test_default_image_and_missing_image(self):
        built = ROOT / "build" / "fs.img"
        built.write_text("built\n")
        try:
            run = self.session.boot("disk.write", disk=True)
            self.assertEqual(run.disk, (built, True))
        finally:
            built.unlink()
        with self.assertRaises(gradelib.GradeFailure) as caught:
            self.session.boot("disk.write", disk=self.dir / "nope.img")
        self.assertIn("no disk image", caught.exception.got)
        run = self.session.boot("ok.one")
        self.assertIsNone(run.disk)
        self.assertNotIn("-drive", run.text)

    def test_scratch_goes_with_the_test(self):
        made = []

        def uses_scratch(t):
            made.append(t.scratch())
            (t.scratch() / "x").write_text("x")
            raise AssertionError("fails, and the scratch still goes")
        test = gradelib.Test("fake", "uses_scratch", 1, uses_scratch)
        result = self.session.run_one(test)
        self.assertFalse(result.passed)
        self.assertEqual(len(made), 1)
        self.assertFalse(made[0].exists())


class Processes(unittest.TestCase):
    """Timeouts and Ctrl-C end the whole process group, and nothing is left behind."""

    def test_timeout_kills_group_even_if_sigterm_is_ignored(self):
        pidfile = ROOT / "stubborn.pid"
        session = gradelib.Session(**options(timeout_scale=1 / 30))  # 30 s becomes 1 s
        start = time.monotonic()
        run = session.boot("hang.stubborn", extra_args=f"pidfile={pidfile}")
        self.assertLess(time.monotonic() - start, 1 + process.TERM_GRACE + 2)
        self.assertTrue(run.timed_out)
        self.assertIsNone(run.status)
        leader = int(pidfile.read_text())
        child = int(Path(f"{pidfile}.child").read_text())
        self.assertTrue(gone(leader) and gone(child) and group_gone(leader))
        with self.assertRaises(gradelib.GradeFailure) as caught:
            run.expect_pass()
        self.assertIn("timeout", caught.exception.got)

    def test_leftover_child_is_killed_after_clean_exit(self):
        pidfile = ROOT / "orphan.pid"
        run = gradelib.Session(**options()).boot("orphan", extra_args=f"pidfile={pidfile}")
        run.expect_pass()
        self.assertLess(run.seconds, 5)
        self.assertTrue(gone(int(Path(f"{pidfile}.child").read_text())))

    def test_timeout_is_a_failure_in_the_results(self):
        lab = gradelib.Lab("x")

        @lab.test(points=2)
        def hangs(t):
            t.boot("hang", timeout=0.5).expect_pass()

        result, = gradelib.Session(**options()).run_tests(lab.tests, out=io.StringIO())
        self.assertFalse(result.passed)
        self.assertIn("timeout", result.output)

    def test_ctrl_c_stops_every_qemu(self):
        pidfile = ROOT / "interrupted.pid"
        pidfile.unlink(missing_ok=True)
        lab = gradelib.Lab("x")

        @lab.test(points=1)
        def hangs(t):
            t.boot("hang", extra_args=f"pidfile={pidfile}")

        def interrupt_once_booted():
            while not pidfile.exists():
                time.sleep(0.01)
            time.sleep(0.1)
            os.kill(os.getpid(), signal.SIGINT)

        # A shell may start background jobs with SIGINT ignored; Ctrl-C must arrive here.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        self.addCleanup(signal.signal, signal.SIGINT, previous)
        threading.Thread(target=interrupt_once_booted, daemon=True).start()
        with self.assertRaises(KeyboardInterrupt):
            gradelib.Session(**options()).run_tests(lab.tests, out=io.StringIO())
        self.assertTrue(gone(int(pidfile.read_text())))


class Hangs(unittest.TestCase):
    """A boot that takes too long: where its harts were, and guest-time budgets."""

    def run_lab(self, body, **session_options):
        lab = gradelib.Lab("fake")
        lab.test(points=4)(body)
        result, = gradelib.Session(**options(**session_options)).run_tests(lab.tests,
                                                                           io.StringIO())
        return result

    def test_hang_report(self):
        def hangs(t):
            t.boot("hang", timeout=0.5, extra_args="fakemon=1 "
                   "pcs=0x80202010,0x1000,0x80203008,0x80009b04").expect_pass()
        output = self.run_lab(hangs).output
        report = output[output.index("where the harts were"):].splitlines()
        self.assertEqual(report[:6], [
            "where the harts were when QEMU was stopped:",
            "  hart 0: pc 0x80202010 spin_forever+0x10 (kernel/spin.c:16)",
            "  hart 1: pc 0x1000 (QEMU's boot ROM: the firmware has not run yet)",
            "  hart 2: pc 0x80203008 (not kernel code: after kernel_text_end)",
            "  hart 3: pc 0x80009b04 (OpenSBI: a hart the kernel has not started, or an SBI call)",
            report[5]])
        self.assertRegex(report[5], r"^  last kernel line: KTEST [0-9a-f]{16} START hang$")

    def test_hang_report_without_monitor(self):
        def hangs(t):
            t.boot("hang", timeout=0.5).expect_pass()
        self.assertIn("(the pcs could not be read: no QEMU monitor at", self.run_lab(hangs).output)

    def test_guest_budget_stops_a_spinning_boot(self):
        # Guest time runs 10 times as fast as the host's: 2 s of it take 0.2 s.
        run = gradelib.Session(**options()).boot(
            "hang", icount="shift=3", guest_seconds=2, timeout=30,
            extra_args="fakemon=1 guestrate=10")
        self.assertEqual(run.stopped, "guest-timeout")
        self.assertTrue(run.timed_out)
        self.assertLess(run.seconds, 2)
        self.assertEqual(run.pcs, {0: 0x80202010})
        with self.assertRaises(gradelib.GradeFailure) as caught:
            run.expect_pass()
        self.assertIn("no end after 2 s of guest time", caught.exception.got)

    def test_stalled_guest_clock_stops_the_boot(self):
        session = gradelib.Session(**options(timeout_scale=0.2))  # stalled after 0.6 s
        run = session.boot("hang", icount=3, timeout=60, extra_args="fakemon=1 guestrate=0")
        self.assertEqual(run.stopped, "stalled")
        self.assertLess(run.seconds, 3)
        self.assertIn("guest time stood still", run.report(session)[0])

    def test_silent_monitor_stops_the_boot(self):
        session = gradelib.Session(**options(timeout_scale=0.2))  # silent after 0.6 s
        run = session.boot("hang", icount=3, timeout=60, extra_args="fakemon=silent")
        self.assertEqual(run.stopped, "silent")
        self.assertLess(run.seconds, 5)
        report = "\n".join(run.report(session))
        self.assertIn("QEMU's monitor did not answer for 0.6 s", report)
        self.assertIn("(the pcs could not be read: the QEMU monitor did not answer", report)

    def test_graded_icount_boot_has_a_default_budget(self):
        def spins(t):
            t.boot("hang", icount=3, timeout=60, extra_args="fakemon=1 guestrate=50").expect_pass()
        result = self.run_lab(spins)
        self.assertIn(f"no end after {gradelib.DEFAULT_GUEST_SECONDS:g} s of guest time",
                      result.output)
        self.assertLess(result.seconds, 5)


class Reporting(unittest.TestCase):
    """What a failure shows: expectation, console tail, backtrace, reproduce commands."""

    def run_lab(self, body, **session_options):
        lab = gradelib.Lab("fake")
        lab.test(points=4)(body)
        out = io.StringIO()
        result, = gradelib.Session(**options(**session_options)).run_tests(lab.tests, out)
        return result, out.getvalue()

    def test_failure_report(self):
        def panics(t):
            t.boot("bad.panic_after_pass").expect_pass()
        result, printed = self.run_lab(panics)
        self.assertRegex(printed.splitlines()[0], r"^fake/panics  FAIL    0/4 +\d+\.\ds$")
        for text in ["expected: START and PASS for bad.panic_after_pass",
                     "got:      a panic: lock held twice",
                     "console (last", "  | panic: hart 0, phase run",
                     "#0 0x0000000080201234 boot_alloc at kernel/mm/bump.c:44 (for 0x80201233)",
                     "(inlined by) test_bump at kernel/tests/bump_test.c:9",
                     "make qemu CPUS=1 KARGS='test=bad.panic_after_pass token=",
                     "make grade LAB=fake TEST=panics"]:
            self.assertIn(text, result.output)
            self.assertIn(text, printed)

    def test_console_starts_at_the_kernel(self):
        def fails(t):
            t.boot("bad.fail").expect_pass()
        result, _ = self.run_lab(fails)
        lines = result.output.splitlines()
        start = lines.index("  | [OpenSBI v1.1 banner: 13 lines]")
        self.assertEqual(lines[start - 1][:30], "console (last 5 of 5 kernel li")
        self.assertEqual(lines[start + 1], "  | sprout: fake QEMU")
        self.assertNotIn("logo", result.output)

    def test_long_console_shows_the_last_kernel_lines(self):
        def chatty(t):
            t.boot("chatty").expect_pass()
        result, _ = self.run_lab(chatty)
        self.assertIn("console (last 25 of 43 kernel lines; exit status 2", result.output)
        self.assertNotIn("OpenSBI", result.output)
        self.assertIn("  | line 39\n", result.output)

    def test_real_banner_is_one_line(self):
        lines = REAL_BANNER.splitlines()
        before, banner, kernel = gradelib.split_banner(lines)
        self.assertEqual((before, banner), ([], "[OpenSBI v1.1 banner: 46 lines]"))
        self.assertEqual(kernel, [lines[-1]])
        self.assertEqual(gradelib.split_banner(["sprout: no firmware"]),
                         ([], None, ["sprout: no firmware"]))

    def test_missing_addr2line_is_not_fatal(self):
        def panics(t):
            t.boot("bad.panic_after_pass").expect_pass()
        result, _ = self.run_lab(panics, addr2line="no-such-addr2line")
        self.assertIn("no-such-addr2line or kernel.elf missing", result.output)

    def test_error_in_test_shows_traceback(self):
        def buggy(t):
            {}["missing"]
        result, _ = self.run_lab(buggy)
        self.assertIn("KeyError", result.output)


class CommandLine(unittest.TestCase):
    """grade.py: selection, refusals, summary, JSON, --rerun-failed."""

    def setUp(self):
        for path in ["build/grade-last.json", "labs/current", "fixed", "labs/stub-other",
                     "interrupt", "grade/lab_later.py", "results.json"]:
            (ROOT / path).unlink(missing_ok=True)

    def grade(self, *argv, **extra):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = grade.main(list(argv), **options(**extra))
        return status, out.getvalue(), err.getvalue()

    def assertRefused(self, *argv, reason):
        status, _, err = self.grade(*argv)
        self.assertEqual(status, 2)
        self.assertIn(reason, err)

    def test_refusals(self):
        self.assertRefused("--lab", "nope", reason="unknown lab 'nope'")
        self.assertRefused("--lab", "later", reason="has no grader")
        self.assertRefused("--lab", "fake", "nope", reason="unknown test 'nope'")
        self.assertRefused("-j", "0", reason="-j must be at least 1")
        self.assertRefused("--timeout-scale", "0", reason="--timeout-scale")
        self.assertRefused("--bogus", reason="unrecognized arguments")
        self.assertRefused("--rerun-failed", reason="no previous run")

    def test_summary_and_json(self):
        results = ROOT / "results.json"
        status, out, _ = self.grade("--lab", "all", "--json", str(results))
        self.assertEqual(status, 1)
        lines = out.splitlines()
        self.assertEqual(lines[-2:], ["Score: 14/19", "3 passed, 1 failed"])
        data = json.loads(results.read_text())
        self.assertEqual(data["score"], 14)
        self.assertIsInstance(data["execution_time"], float)
        self.assertEqual([t["name"] for t in data["tests"]],
                         ["fake/one", "fake/broken", "fake/death", "other/one"])
        broken = data["tests"][1]
        self.assertEqual({k: broken[k] for k in ("score", "max_score", "status")},
                         {"score": 0, "max_score": 5, "status": "failed"})
        self.assertIn("make grade LAB=fake TEST=broken", broken["output"])
        self.assertEqual(data["tests"][0]["status"], "passed")

    def test_selection(self):
        status, out, _ = self.grade("--lab", "all", "--list", "one")
        self.assertEqual(out.split(), ["fake/one", "10", "points", "other/one", "1", "points"])
        status, out, _ = self.grade("--lab", "all", "--list", "other/one")
        self.assertEqual(out.split()[0::3], ["other/one"])
        (ROOT / "labs/current").write_text("other\n")
        status, out, _ = self.grade("-j", "1")
        self.assertEqual((status, out.splitlines()[-1]), (0, "1 passed, 0 failed"))

    def test_build_failure_stops(self):
        status, out, err = self.grade("--lab", "fake", build_command=["false"])
        self.assertEqual(status, 1)
        self.assertIn("does not build", err)
        self.assertEqual(out.splitlines()[-1], "0 passed, 3 failed")

    def test_later_unimplemented_lab_is_one_line(self):
        (ROOT / "labs/current").write_text("fake\n")
        (ROOT / "labs/stub-other").write_text("")
        status, out, _ = self.grade("--lab", "all", "-j", "2", "--json", str(ROOT / "results.json"))
        self.assertEqual(status, 1)
        self.assertIn("\nother: not implemented yet on this branch, 0/1\n", out)
        self.assertNotIn("other/one", out)
        self.assertEqual(out.splitlines()[-2:], ["Score: 13/19", "2 passed, 2 failed"])
        other = json.loads((ROOT / "results.json").read_text())["tests"][3]
        self.assertEqual((other["name"], other["status"]), ("other/one", "failed"))
        self.assertIn("spinlocks is not implemented yet: see docs/labs/3-lock.md",
                      other["output"])

    def test_later_lab_is_shown_in_full_unless_its_boots_say_so(self):
        (ROOT / "labs/current").write_text("fake\n")
        status, out, _ = self.grade("--lab", "all", "-j", "2")  # other is implemented
        self.assertRegex(out, r"\nother/one +PASS")
        (ROOT / "labs/current").unlink()  # no lab branch: nothing is "later"
        (ROOT / "labs/stub-other").write_text("")
        status, out, _ = self.grade("--lab", "all", "-j", "2")
        self.assertRegex(out, r"\nother/one +FAIL")
        self.assertIn("got:      other.one never started: the boot stopped at `spinlocks is not "
                      "implemented yet: see docs/labs/3-lock.md`", out)
        with self.assertRaises(gradelib.GradeFailure) as caught:
            gradelib.Session(**options()).boot("other.one").info("other.one")
        self.assertIn("other.one never started: the boot stopped at", caught.exception.got)

    def test_rerun_failed_with_nothing_recorded(self):
        results = ROOT / "results.json"
        status, out, err = self.grade("--rerun-failed", "--json", str(results))
        self.assertNotEqual(status, 0)
        self.assertIn("nothing to rerun: no previous run is recorded", err)
        data = json.loads(results.read_text())
        self.assertEqual((data["score"], data["tests"]), (0, []))
        self.assertIn("no previous run is recorded", data["output"])

    def test_rerun_failed_after_a_rename(self):
        (ROOT / "build/grade-last.json").write_text(json.dumps({"results": {
            "fake/exhaustion": "failed", "fake/one": "passed"}}))
        status, out, _ = self.grade("--rerun-failed")
        self.assertEqual(status, 0)
        self.assertIn("nothing to run: what failed last time is not graded here: "
                      "fake/exhaustion", out)

    def test_json_written_when_interrupted(self):
        results = ROOT / "results.json"
        (ROOT / "interrupt").write_text("")  # other/one raises KeyboardInterrupt
        status, _, err = self.grade("--lab", "all", "-j", "1", "--json", str(results))
        self.assertEqual(status, 130)
        self.assertIn("interrupted", err)
        data = json.loads(results.read_text())
        self.assertEqual([t["name"] for t in data["tests"]],
                         ["fake/one", "fake/broken", "fake/death", "other/one"])
        self.assertEqual(data["tests"][0]["status"], "passed")
        self.assertEqual(data["tests"][3]["output"], "not run: the grading was interrupted")

    def test_json_written_when_the_grader_fails(self):
        results = ROOT / "results.json"
        (ROOT / "grade/lab_later.py").write_text("raise RuntimeError('a broken lab file')\n")
        status, _, err = self.grade("--lab", "all", "--json", str(results))
        self.assertEqual(status, 1)
        self.assertIn("a broken lab file", err)
        self.assertIn("a broken lab file", json.loads(results.read_text())["output"])
        status, _, _ = self.grade("--lab", "fake", "--json", str(results),
                                  build_command=["/no/such/make"])
        self.assertEqual(status, 1)
        self.assertEqual(len(json.loads(results.read_text())["tests"]), 3)

    def test_rerun_failed(self):
        results = ROOT / "rerun.json"
        self.assertEqual(self.grade("--lab", "all")[0], 1)
        self.grade("--rerun-failed", "--json", str(results))
        self.assertEqual([t["name"] for t in json.loads(results.read_text())["tests"]],
                         ["fake/broken"])
        (ROOT / "fixed").write_text("")
        status, out, _ = self.grade("--rerun-failed")
        self.assertEqual((status, out.splitlines()[-1]), (0, "1 passed, 0 failed"))
        status, out, _ = self.grade("--rerun-failed")
        self.assertEqual(status, 0)
        self.assertIn("nothing to run", out)


class TestNames(unittest.TestCase):
    """A graded test that checks kernel test suite.name is called name, so that a
    failure names the kernel test to boot (`make qemu KARGS=test=suite.name`)."""

    # Graded tests that check several kernel tests, a property of a whole run, or (ordering)
    # the kernel's machine code; and lab 7's, which run user programs from the disk, named
    # after the programs.
    SEVERAL = {"never_allocated", "switch_holding_spinlock", "free_memory", "ordering",
               "shell_basics", "usertests", "fuzz"}

    def test_graded_tests_are_named_after_kernel_tests(self):
        for path in sorted((gradelib.ROOT / "grade").glob("lab_*.py")):
            for test in gradelib.load_lab(path.stem[len("lab_"):]).tests:
                names = set(re.findall(r'"\w+\.(\w+)"', inspect.getsource(test.func)))
                if test.name in self.SEVERAL or test.name in names:
                    continue
                # The same kernel test on more harts.
                smp = len(names) == 1 and test.name == f"{min(names)}_smp"
                self.assertTrue(smp, f"{test.full_name} checks {', '.join(sorted(names))}")


class RealQemu(unittest.TestCase):
    """The monitor and the hang report against QEMU 7.2 and the real kernel."""

    def setUp(self):
        kernel = gradelib.ROOT / "build" / "kernel.elf"
        if not (shutil.which("qemu-system-riscv64") and kernel.exists()):
            self.skipTest("needs qemu-system-riscv64 and build/kernel.elf (make)")
        self.session = gradelib.Session(jobs=1)

    def test_hart_pcs_of_a_machine_that_never_starts(self):
        run = self.session.boot("bump.align", cpus=2, timeout=1, qemu_extra="-S")
        self.assertEqual((run.stopped, run.pcs), ("timeout", {0: 0x1000, 1: 0x1000}))
        report = "\n".join(run.report(self.session))
        self.assertIn("hart 1: pc 0x1000 (QEMU's boot ROM: the firmware has not run yet)", report)
        self.assertIn("last kernel line: (none)", report)

    def test_frozen_guest_clock_is_stalled(self):
        session = gradelib.Session(jobs=1, timeout_scale=0.5)  # stalled after 1.5 s
        run = session.boot("bump.align", icount="shift=3,sleep=off", qemu_extra="-S",
                           timeout=60)
        self.assertEqual(run.stopped, "stalled")
        self.assertLess(run.seconds, 10)

    def test_guest_budget_on_a_kernel_waiting_for_input(self):
        # uart_echo waits 20 s of guest time for a line; with sleep on, an idle hart's
        # guest time follows the host's clock, so a budget of 1 s ends it first.
        run = self.session.boot("trap.uart_echo", icount="shift=3", guest_seconds=1,
                                timeout=60)
        if not run.timed_out:
            self.skipTest("this branch has no trap.uart_echo that waits for input")
        self.assertEqual(run.stopped, "guest-timeout")
        self.assertLess(run.seconds, 10)
        where = self.session.where(run.pcs)
        self.assertRegex(where[0], r"^hart 0: pc 0x80[0-9a-f]{6} \w+\+0x[0-9a-f]+ "
                                   r"\(kernel/\S+:\d+\)$")


if __name__ == "__main__":
    unittest.main()
