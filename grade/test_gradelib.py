"""The grader's own tests: gradelib and grade.py against a fake QEMU, no kernel needed.

The fake QEMU is a small Python script that acts out the kernel test named in its
`-append test=...` argument (pass, fail, panic, hang, ignore SIGTERM, echo input...),
run in a throwaway tree with its own lab catalog and lab files.
Run: python3 -m unittest discover -s grade -p 'test_*.py'
"""

import contextlib
import io
import json
import os
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
import os, signal, sys, time
words = dict(w.split("=", 1) for w in sys.argv[sys.argv.index("-append") + 1].split())
token, test = words.get("token", "-"), words.get("test", "")
if "pidfile" in words:
    with open(words["pidfile"], "w") as f:
        f.write(str(os.getpid()))

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

say("sprout: fake QEMU", "args: " + " ".join(sys.argv[1:]))
sys.exit(globals()[test.replace(".", "_")]())
'''

FAKE_ADDR2LINE = r'''
import sys
from pathlib import Path
root = Path(sys.argv[sys.argv.index("-e") + 1]).parent.parent
print(f"boot_alloc at {root}/kernel/mm/bump.c:44 (for {sys.argv[-1]})")
print(f" (inlined by) test_bump at {root}/kernel/tests/bump_test.c:9")
'''

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
    t.boot("ok.one").expect_pass("ok.one")
'''

CATALOG = {"labs": [{"number": 1, "name": "fake", "title": "f", "handout": "x"},
                    {"number": 2, "name": "other", "title": "o", "handout": "y"},
                    {"number": 3, "name": "later", "title": "l", "handout": "z"}]}

ROOT = None


def setUpModule():
    global ROOT
    ROOT = Path(tempfile.mkdtemp(prefix="sprout-grade-test-"))
    for path, text in {"fakeqemu.py": FAKE_QEMU, "fake-addr2line": FAKE_ADDR2LINE,
                       "grade/lab_fake.py": LAB_FAKE, "grade/lab_other.py": LAB_OTHER,
                       "labs/labs.json": json.dumps(CATALOG), "build/kernel.elf": ""}.items():
        (ROOT / path).parent.mkdir(parents=True, exist_ok=True)
        (ROOT / path).write_text(text)
    a2l = ROOT / "fake-addr2line"
    a2l.write_text(f"#!{sys.executable}\n" + FAKE_ADDR2LINE)
    a2l.chmod(0o755)


def tearDownModule():
    import shutil
    shutil.rmtree(ROOT, ignore_errors=True)


def fake_qemu(cpus):
    return [sys.executable, str(ROOT / "fakeqemu.py"), "-smp", str(cpus)]


def options(**extra):
    """Session options that put the fakes in place of QEMU, make and addr2line."""
    return {"root": ROOT, "qemu_command": fake_qemu, "build_command": ["true"],
            "addr2line": str(ROOT / "fake-addr2line"), **extra}


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
        run.expect(r"^args: -smp 2 -append test=ok.one token=\w+ hz=100 "
                   r"-icount shift=3 -d guest_errors$")
        self.assertEqual(run.reproduce(),
                         f"make qemu CPUS=2 KARGS='test=ok.one token={run.token} hz=100' "
                         "QEMUEXTRA='-icount shift=3 -d guest_errors'")

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
        for path in ["build/grade-last.json", "labs/current", "fixed"]:
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


if __name__ == "__main__":
    unittest.main()
