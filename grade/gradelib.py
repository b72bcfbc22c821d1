"""Sprout's grading framework: boots the kernel in QEMU and judges what it prints.

A lab's grader, grade/lab_<name>.py, makes a Lab and lists its tests; each test boots
the kernel with t.boot(...) and states what the run must show (run.expect_pass,
run.expect_panic, run.expect). The contract between kernel and grader is
docs/protocol.md. process.py runs one QEMU; grade.py is the command line.
"""

import bisect
import concurrent.futures
import contextlib
import importlib.util
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

# Lab files (`from gradelib import Lab`) and process.py are found beside this file.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
from monitor import Monitor, MonitorError  # noqa: E402
from process import MAX_CONSOLE, run_process  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TIMEOUT = 30.0  # seconds per boot, before --timeout-scale
TAIL_LINES = 25

# Under -icount, guest time follows the instructions executed, so a budget in guest
# seconds holds on any host: a boot that spins past it is stopped (as a timeout) after
# its budget of guest time, however busy the host. A graded boot with icount= gets
# DEFAULT_GUEST_SECONDS unless it says guest_seconds=. Guest time is read through QEMU's
# monitor every GUEST_POLL seconds. A boot whose guest clock stands still for
# STALL_SECONDS of host time is stopped too, and so is one whose monitor stops
# answering for that long, as QEMU 7.2 under -icount,sleep=off does once every hart
# waits in wfi with no timer due (say, a tick handler that never arms the next tick).
DEFAULT_GUEST_SECONDS = 5.0
STALL_SECONDS = 3.0  # before --timeout-scale
GUEST_POLL = 0.2

RAM_BASE = 0x80000000  # QEMU virt: OpenSBI is loaded here, the kernel above it

EXIT_MEANING = {0: "clean shutdown", 1: "panic", 2: "a test failed",
                3: "reached code a lab has not implemented yet"}
EXIT_LAB_MISSING = 3
# What kernel/lab.c prints before it exits with EXIT_LAB_MISSING.
LAB_MISSING = re.compile(r"^(.+) is not implemented yet: see (\S+)$", re.M)

# Ways a boot was stopped because it went on too long.
TIMEOUTS = ("timeout", "guest-timeout", "stalled", "silent")


# ---------------------------------------------------------------- registering tests

class GradeFailure(Exception):
    """An expectation that was not met: what came out, what was expected, on which run."""

    def __init__(self, got, expected=None, run=None):
        super().__init__(got)
        self.got, self.expected, self.run = got, expected, run


class Test:
    """One graded test: a function of a Context, worth some points. owner: its Lab."""

    def __init__(self, lab, name, points, func, owner=None):
        self.lab, self.name, self.points, self.func = lab, name, points, func
        self.owner = owner
        self.doc = (func.__doc__ or "").strip().split("\n")[0]

    @property
    def full_name(self):
        return f"{self.lab}/{self.name}"


class Lab:
    """The graded tests of one lab, in the order they are registered:

        lab = Lab("bump")

        @lab.test(points=10)
        def align(t):
            t.boot("bump.align").expect_pass()
    """

    def __init__(self, name):
        self.name = name
        self.tests = []
        self.witnesses = {}  # kernel suite: model(run, info) of its witness

    def test(self, points):
        """Decorator: registers the function as a test named after it."""
        def register(func):
            if any(t.name == func.__name__ for t in self.tests):
                raise ValueError(f"lab {self.name}: two tests named {func.__name__}")
            self.tests.append(Test(self.name, func.__name__, points, func, self))
            return func
        return register

    def witness(self, suite):
        """Decorator: registers model(run, info) as the check of kernel suite `suite`'s
        witness (KTEST_WITNESS in the kernel: a seeded workload that runs before the
        suite's first test). After a test of this lab passes, every boot it made that
        started a test of the suite must show the witness's INFO lines, and model must
        accept them (it raises GradeFailure or AssertionError saying what differs)."""
        def register(func):
            self.witnesses[suite] = func
            return func
        return register


# ---------------------------------------------------------------- seeded workloads

MASK64 = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15


class SplitMix:
    """The kernel's struct ktest_rng (kernel/debug/ktest.c): splitmix64, seeded with the
    boot's seed mixed with a stream number, so that both sides draw the same numbers."""

    def __init__(self, seed, stream):
        self.state = (seed ^ (stream * _GAMMA)) & MASK64

    def next(self):
        self.state = (self.state + _GAMMA) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def range(self, lo, hi):
        """ktest_range(): a number in [lo, hi]."""
        width = (hi - lo + 1) & MASK64
        v = self.next()
        return v if width == 0 else lo + v % width


DIGEST_INIT = 0xCBF29CE484222325


def fold(digest, value):
    """ktest_fold(): FNV-1a over the 8 bytes of value, lowest first."""
    for i in range(8):
        digest ^= (value >> (8 * i)) & 0xFF
        digest = (digest * 0x100000001B3) & MASK64
    return digest


def fold_all(values, digest=DIGEST_INIT):
    for v in values:
        digest = fold(digest, v & MASK64)
    return digest


def load_lab(name, root=ROOT):
    """Imports root/grade/lab_<name>.py and returns the Lab it defines."""
    path = Path(root) / "grade" / f"lab_{name}.py"
    spec = importlib.util.spec_from_file_location(f"sprout_lab_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    labs = [v for v in vars(module).values() if isinstance(v, Lab)]
    if len(labs) != 1 or labs[0].name != name:
        raise ValueError(f"{path} must define exactly one Lab named {name!r}")
    return labs[0]


# ---------------------------------------------------------------- judging one boot

_KTEST = re.compile(r"^KTEST (\S+) ([A-Z]+)\s?(.*)$")
_FRAME = re.compile(r"^\s*#(\d+)\s+(0x[0-9a-fA-F]+)")


def _number(text):
    """INFO and BENCH values: ints (decimal or 0x hex) and floats become numbers."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return int(text, 16) if text[:2].lower() == "0x" else float(text)
    except ValueError:
        return text


def _quote(text):
    """Single-quotes for the shell, always, so commands look the same every time."""
    return "'" + text.replace("'", "'\"'\"'") + "'"


def describe_status(status):
    if status is None:
        return "none (QEMU was stopped)"
    if status < 0:
        return f"killed by signal {-status}"
    return f"{status} ({EXIT_MEANING.get(status, 'unknown meaning')})"


_BANNER = re.compile(r"^OpenSBI (v\S+)\s*$")
_QEMU_STOPPED = re.compile(r"^qemu-system-\w+: terminating on signal \d+")
_BANNER_FIELD = re.compile(r"^[A-Z][\w ]{24,}: ")  # "Platform Name             : ..."
BANNER_LOGO = 8  # lines of OpenSBI's logo under its version line


def split_banner(lines):
    """(lines before OpenSBI's banner, the banner as one line, the lines after it: the
    kernel's). Without a banner: ([], None, lines)."""
    start = next((i for i, line in enumerate(lines) if _BANNER.match(line)), None)
    if start is None:
        return [], None, lines
    end = start + 1 + BANNER_LOGO
    while end < len(lines) and (not lines[end].strip() or _BANNER_FIELD.match(lines[end])):
        end += 1
    version = _BANNER.match(lines[start]).group(1)
    return ([line for line in lines[:start] if line.strip()],
            f"[OpenSBI {version} banner: {end - start} lines]", lines[end:])


def locate_test(root, test):
    """(file, line, registration) of kernel test `suite.name`, found by its KTEST...()
    line under root/kernel; None if there is none."""
    suite, _, name = test.partition(".")
    pattern = re.compile(rf"^[ \t]*(KTEST\w*\(\s*{re.escape(suite)}\s*,\s*{re.escape(name)}\s*\))",
                         re.M)
    for path in sorted(Path(root, "kernel").rglob("*.c")):
        with contextlib.suppress(OSError):
            text = path.read_text(errors="replace")
            m = pattern.search(text)
            if m:
                line = text.count("\n", 0, m.start()) + 1
                return str(path.relative_to(root)), line, m.group(1)
    return None


class Run:
    """One boot of the kernel: its console, its exit status, and checks on them.
    Only KTEST lines carrying this run's token count; others are output like any.
    root: the tree booted (to find a test's source); pcs: {hart: pc} read from QEMU
    before it was stopped for taking too long, or a string saying why there are none;
    guest: under -icount, (guest seconds last read, budget, stall seconds); seed: the
    seed= this boot was given, from which the kernel's seeded workloads are drawn."""

    def __init__(self, tests, token, kargs, cpus, options, inputs, until, timeout,
                 text, status, stopped, seconds, root=None, pcs=None, guest=None, disk=None,
                 seed=None):
        self.tests, self.token, self.kargs, self.cpus = tests, token, kargs, cpus
        self.seed = seed  # the seed= of this boot (None: none was given)
        # (image, copied): the disk image the boot had, and whether it got a fresh copy of
        # it (then the image itself was left as it was); None for a boot without a disk.
        self.disk = disk
        self.options, self.inputs, self.until, self.timeout = options, inputs, until, timeout
        self.lines = text.splitlines()
        self.text = "\n".join(self.lines)
        self.status, self.stopped, self.seconds = status, stopped, seconds
        self.root, self.pcs, self.guest = root, pcs, guest
        self._cursor = 0
        self._events = []  # (line index, verb, subject, rest) of this run's KTEST lines
        for i, line in enumerate(self.lines):
            m = _KTEST.match(line.rstrip())
            if m and m.group(1) == token:
                rest = m.group(3)
                subject = re.match(r"[^\s:]*", rest).group()
                self._events.append((i, m.group(2), subject, rest))

    @property
    def timed_out(self):
        return self.stopped in TIMEOUTS

    @property
    def lab_missing(self):
        """The handout named by the kernel's lab-missing stop, if the boot ended in one."""
        m = LAB_MISSING.search(self.text)
        return m.group(2) if m and self.status == EXIT_LAB_MISSING else None

    def events(self, verbs, test=None):
        """This run's KTEST lines with these verbs, about `test` (a suite covers its tests)."""
        def about(subject):
            return test is None or subject == test or \
                ("." not in test and subject.startswith(test + "."))
        return [e for e in self._events if e[1] in verbs and about(e[2])]

    def panics(self):
        """(line index, message) of every `panic: ` line."""
        return [(i, l[7:].strip()) for i, l in enumerate(self.lines) if l.startswith("panic: ")]

    def _fail(self, got, expected):
        raise GradeFailure(got, expected, self)

    def _stopped_why(self):
        if self.stopped == "guest-timeout":
            return (f"no end after {self.guest[1]:g} s of guest time ({self.seconds:.1f} s on "
                    "the host): QEMU was stopped (timeout)")
        if self.stopped == "stalled":
            return (f"guest time stood still at {self.guest[0]:.3f} s for {self.guest[2]:g} s "
                    "on the host (every hart waiting, no timer due): QEMU was stopped (timeout)")
        if self.stopped == "silent":
            return (f"QEMU's monitor did not answer for {self.guest[2]:g} s, as under -icount "
                    "when every hart waits and no timer is due: QEMU was stopped (timeout)")
        return {"timeout": f"no end after {self.timeout:g} s: QEMU was stopped (timeout)",
                "interrupted": "the run was interrupted",
                "output": f"over {MAX_CONSOLE >> 20} MB of console output: QEMU was stopped",
                "until": f"QEMU was stopped once /{self.until}/ appeared"}[self.stopped]

    def _never_started(self, test):
        """Why `test` has no START line."""
        m = LAB_MISSING.search(self.text) if self.lab_missing else None
        if m:
            return f"{test} never started: the boot stopped at `{m.group(0)}`"
        return f"{test} never started (no START line){self._ignored_hint()}"

    def _ignored_hint(self):
        ignored = any(_KTEST.match(l) and not l.startswith(f"KTEST {self.token} ")
                      for l in self.lines)
        return "; KTEST lines with another token were ignored" if ignored else ""

    def witness_failures(self, test):
        """The FAIL lines of the witness of test's suite (`bump.witness` for bump.align)."""
        suite = test.split(".")[0]
        return [self.lines[i].strip() for i, *_ in self.events(("FAIL",), suite + ".witness")]

    def _check_witness(self, tests, expected):
        harness = [self.lines[i].strip() for i, *_ in self.events(("FAIL",), "harness")]
        if harness:
            self._fail(f"the test harness failed: {harness[0]}", expected)
        for test in tests:
            said = self.witness_failures(test)
            if said:
                self._fail("the seeded workload that runs before the suite's first test "
                           f"failed: {said[0]}", expected)

    def expect_pass(self, *tests):
        """START and PASS for each test (default: those booted), then DONE, no panic,
        exit status 0. A suite name (`bump`) needs every test of it that started to pass."""
        tests = tests or tuple(self.tests)
        expected = (f"START and PASS for {', '.join(tests)} with this run's token, "
                    "then DONE, no panic, and exit status 0")
        self._check_witness(tests, expected)
        for test in tests:
            # A suite lists its death tests as SKIP; a test named in full must not skip.
            for i, verb, subject, _ in self.events(("FAIL", "SKIP"), test):
                if verb == "FAIL" or subject == test:
                    self._fail(f"the kernel printed: {self.lines[i].strip()}", expected)
        if self.panics():
            self._fail(f"a panic: {self.panics()[0][1]}", expected)
        if self.stopped:
            self._fail(self._stopped_why(), expected)
        last = -1
        for test in tests:
            started = self.events(("START",), test)
            if not started:
                self._fail(self._never_started(test), expected)
            passed = {e[2]: e[0] for e in self.events(("PASS",), test)}
            for _, _, name, _ in started:
                if name not in passed:
                    self._fail(f"{name} started but never printed PASS", expected)
                last = max(last, passed[name])
        if not any(e[0] > last for e in self.events(("DONE",))):
            self._fail("no DONE line after the results: the kernel did not finish its tests",
                       expected)
        if self.status != 0:
            self._fail(f"exit status {describe_status(self.status)}", expected)

    def expect_panic(self, pattern, test=None):
        """START for the death test, then a panic whose message matches pattern, then exit
        status 1. Returns the re.Match of the panic message."""
        test = test or self.tests[0]
        expected = f"START {test}, then a panic matching /{pattern}/, and exit status 1"
        self._check_witness([test], expected)
        started = self.events(("START",), test)
        if not started:
            self._fail(self._never_started(test), expected)
        if self.events(("PASS",), test):
            self._fail(self._returned(test, "it printed PASS"), expected)
        panics = [msg for i, msg in self.panics() if i > started[0][0]]
        match = next(filter(None, (re.search(pattern, msg) for msg in panics)), None)
        if not match:
            if panics:
                self._fail(f"a panic that does not match: {panics[0]}", expected)
            if self.events(("FAIL",), test) or self.events(("DONE",)):
                self._fail(self._returned(test, f"exit status {describe_status(self.status)}"),
                           expected)
            if self.stopped:
                self._fail(self._stopped_why() + ", without a panic", expected)
            self._fail(f"no panic; exit status {describe_status(self.status)}", expected)
        if self.status != 1:
            why = self._stopped_why() if self.stopped else describe_status(self.status)
            self._fail(f"the panic matched, but exit status {why}", expected)
        return match

    def _returned(self, test, how):
        """Why death test `test` failed by returning: what the kernel printed about it, and
        where: the file:line of its FAIL line when that is in the test's own file (a
        failed KCHECK), else the test's KTEST registration, found in the sources."""
        said = [self.lines[i].strip() for i, *_ in self.events(("FAIL",), test)]
        why = f"{test} returned instead of panicking ({how})"
        if said:
            why += f"; the kernel printed: {said[0]}"
        found = locate_test(self.root, test) if self.root else None
        if not found:
            return why + f"; no KTEST registration of {test} was found under kernel/"
        path, line, registration = found
        at = re.search(r"\((\S+):(\d+)\)$", said[0]) if said else None
        if at and Path(at.group(1)).as_posix().endswith(path):
            return why + f"; the kernel points at {path}:{at.group(2)}"
        return why + f"; the test is {registration} at {path}:{line}"

    def expect(self, regex, flags=0):
        """The next match of regex on the console after the previous expect's match."""
        line = self.text.count("\n", 0, self._cursor) + 1
        where = "the start" if self._cursor == 0 else f"line {line}"
        match = re.compile(regex, flags | re.M).search(self.text, self._cursor)
        if not match:
            self._fail("no such output", f"/{regex}/ on the console after {where}")
        self._cursor = match.end()
        return match

    def infos(self, test, raw=False):
        """One dict per INFO line of test (key=value words; numbers converted unless raw)."""
        convert = str if raw else _number
        return [{k: convert(v) for k, _, v in (w.partition("=") for w in rest.split()[1:])}
                for *_, rest in self.events(("INFO",), test)]

    def info(self, test, raw=False):
        """All INFO key=value pairs of test merged into one dict (later lines win)."""
        infos = self.infos(test, raw)
        if not infos:
            why = self._never_started(test) if self.lab_missing else \
                f"no INFO line for {test}{self._ignored_hint()}"
            self._fail(why, f"INFO lines from {test} with this run's token")
        return {k: v for d in infos for k, v in d.items()}

    def bench(self):
        """(name, value, unit) of every BENCH line."""
        return [(w[0], _number(w[1]), w[2] if len(w) > 2 else "")
                for w in (e[3].split(None, 2) for e in self.events(("BENCH",))) if len(w) > 1]

    def reproduce(self):
        """The `make qemu` command that boots the same way. A boot with a copy of a disk
        image boots a copy too, so that the image stays as it was. (`make qemu` always
        attaches a disk; for a boot the grader made without one, the tests end before the
        file system's boot step, so the disk changes nothing.)"""
        words = ["make", "qemu", f"CPUS={self.cpus}", f"KARGS={_quote(self.kargs)}"]
        if self.options:
            words.append(f"QEMUEXTRA={_quote(shlex.join(self.options))}")
        if self.disk is None:
            return " ".join(words)
        image, copied = self.disk
        if not copied:
            return " ".join(words + [f"DISK={_quote(str(image))}"])
        scratch = "/tmp/sprout-disk.img"
        return " ".join([f"cp {_quote(str(image))} {scratch} &&"] + words + [f"DISK={scratch}"])

    def report(self, session):
        """Lines telling what this run did: the kernel's console lines (OpenSBI's banner
        as one line), where the harts were if it hung, backtrace, how to rerun it."""
        before, banner, kernel = split_banner(
            [line for line in self.lines if not _QEMU_STOPPED.match(line)])
        tail = kernel[-TAIL_LINES:]
        if len(tail) == len(kernel):  # the whole console fits: show where it starts
            tail = before + ([banner] if banner else []) + tail
        end = self._stopped_why() if self.stopped else \
            f"exit status {describe_status(self.status)}"
        out = [f"console (last {min(len(kernel), TAIL_LINES)} of {len(kernel)} kernel lines; "
               f"{end}):"]
        out += [f"  | {line}" for line in tail]
        if self.pcs is not None:
            out += ["where the harts were when QEMU was stopped:"]
            out += [f"  {line}" for line in session.where(self.pcs)]
            last = next((line for line in reversed(kernel) if line.strip()), None)
            out += [f"  last kernel line: {last.strip() if last else '(none)'}"]
        frames = session.symbolize([l for l in self.lines if _FRAME.match(l)])
        if frames:
            out += ["backtrace:"] + [f"  {f}" for f in frames]
        out += ["reproduce this boot:", f"  {self.reproduce()}"]
        out += [f"  then type {data!r} once /{regex}/ appears" for regex, data in self.inputs]
        return out


# ---------------------------------------------------------------- witnesses

def check_witnesses(test, run):
    """Checks, for each suite of test's lab that has a witness model and that started a
    test in this run, the witness's INFO lines against the model."""
    owner = getattr(test, "owner", None)
    for suite, model in (owner.witnesses.items() if owner else ()):
        if not run.events(("START",), suite):
            continue
        name = f"{suite}.witness"
        expected = (f"{name} INFO lines (the seeded workload the published tests run "
                    "before the suite's first test) that match the grader's model")
        infos = run.infos(name)
        if not infos:
            run._fail(f"no {name} line with this run's token: the kernel that ran is not the "
                      "published test code (kernel/tests/, kernel/debug/ktest.c), or it "
                      "printed its results without running them", expected)
        info = {k: v for d in infos for k, v in d.items()}
        info["raw"] = {k: v for d in run.infos(name, raw=True) for k, v in d.items()}
        if info.get("seed") != run.seed:
            run._fail(f"{name} ran with seed={info.get('seed')}, but this boot was given "
                      f"seed={run.seed}", expected)
        try:
            model(run, info)
        except (GradeFailure, AssertionError) as e:
            why = getattr(e, "got", None) or str(e)
            run._fail(f"{name} does not match the grader's model of a working lab: {why}",
                      expected)


# ---------------------------------------------------------------- sessions and tests

class Context:
    """What a test function receives as `t`: boots the kernel and keeps its runs."""

    def __init__(self, session, test):
        self.session, self.test, self.runs = session, test, []
        self._scratch = None

    def scratch(self):
        """A directory of this test's own, removed when the test ends (disk images that
        several boots share, files made on the host)."""
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix=f"sprout-{self.test.name}-"))
        return self._scratch

    def cleanup(self):
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def boot(self, tests, **options):
        """Session.boot, keeping the run so that a failure can show it. Under -icount a
        graded boot has a budget of guest time (DEFAULT_GUEST_SECONDS unless given)."""
        if options.get("icount") is not None:
            options.setdefault("guest_seconds", DEFAULT_GUEST_SECONDS)
        run = self.session.boot(tests, **options)
        self.runs.append(run)
        return run

    def fail(self, got, expected=None):
        """Fails the test, saying what came out and what was expected."""
        raise GradeFailure(got, expected)

    def check(self, condition, got, expected=None):
        """Fails the test with got/expected unless condition holds."""
        if not condition:
            raise GradeFailure(got, expected)


class Result:
    """How one test went; output explains a failure."""

    def __init__(self, test, passed, seconds, output, runs=()):
        self.test, self.passed, self.seconds, self.output = test, passed, seconds, output
        self.runs = list(runs)  # the boots the test made

    @property
    def score(self):
        return self.test.points if self.passed else 0


class _Cores:
    """Host cores lent to running QEMUs, so that parallel tests never run more
    multi-threaded harts than there are cores: starved harts hide races and slow down."""

    def __init__(self, total):
        self.total, self.free = total, total
        self._cond = threading.Condition()

    @contextlib.contextmanager
    def hold(self, n):
        n = max(1, min(n, self.total))
        with self._cond:
            self._cond.wait_for(lambda: self.free >= n)
            self.free -= n
        try:
            yield
        finally:
            with self._cond:
                self.free += n
                self._cond.notify_all()


def make_print_qemu(root):
    """The QEMU command from `make print-qemu CPUS=n`, as a list of words."""
    def command(cpus):
        done = subprocess.run(["make", "-s", "--no-print-directory", "print-qemu",
                               f"CPUS={cpus}"], cwd=root, capture_output=True, text=True)
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            raise GradeFailure(f"`make print-qemu` failed: {done.stderr.strip()}",
                               "the QEMU command from `make print-qemu`")
        return shlex.split(lines[-1])
    return command


DISK_PLACEHOLDER = "@SPROUT_DISK@"


def make_print_qemu_disk(root):
    """The QEMU options that attach disk image `path`, from `make print-qemu-disk`."""
    def command(path):
        done = subprocess.run(["make", "-s", "--no-print-directory", "print-qemu-disk",
                               f"DISK={path}"], cwd=root, capture_output=True, text=True)
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            raise GradeFailure(f"`make print-qemu-disk` failed: {done.stderr.strip()}",
                               "the disk options from `make print-qemu-disk`")
        return shlex.split(lines[-1])
    return command


class Session:
    """Settings and shared state of one grading: where the tree is, how QEMU is started
    (replaceable for the grader's own tests), timeouts, parallelism, Ctrl-C."""

    def __init__(self, root=ROOT, qemu_command=None, jobs=None, timeout_scale=1.0,
                 build_command=("make", "-s", "kernel", "fsimage"),
                 addr2line="riscv64-unknown-elf-addr2line", nm="riscv64-unknown-elf-nm",
                 objdump="riscv64-unknown-elf-objdump", seed=None, disk_command=None,
                 record_failures=None):
        self.root = Path(root)
        self.seed = seed  # every boot's seed=; None: a new random one for each boot
        # A failed boot of one hart is recorded again for replay (grade/replay.py); by
        # default only with the real QEMU, not a stand-in.
        self.record_failures = qemu_command is None if record_failures is None \
            else record_failures
        self.records_made = 0
        self.kernel = self.root / "build" / "kernel.elf"
        self.image = self.root / "build" / "fs.img"  # what `make fsimage` builds
        self.qemu_command = qemu_command or make_print_qemu(self.root)
        self.disk_command = disk_command or make_print_qemu_disk(self.root)
        self._disk_words = None
        self.jobs = jobs or os.cpu_count() or 1
        self.timeout_scale = timeout_scale
        self.build_command = list(build_command)
        self.addr2line, self.nm, self.objdump = addr2line, nm, objdump
        self._code = None  # {function: [(offset, mnemonic, operands)]}, read once
        self.cancel = threading.Event()
        self.cores = _Cores(os.cpu_count() or 1)
        self._qemu = {}
        self._symbols = None
        self._lock = threading.Lock()

    def build(self):
        """Builds the kernel; True if it built."""
        try:
            return subprocess.run(self.build_command, cwd=self.root).returncode == 0
        except OSError as e:
            print(f"grade.py: cannot run {self.build_command[0]}: {e}", file=sys.stderr)
            return False

    def disk_options(self, image):
        """The QEMU options that attach `image` as the disk (from `make print-qemu-disk`,
        asked once)."""
        with self._lock:
            if self._disk_words is None:
                self._disk_words = list(self.disk_command(DISK_PLACEHOLDER))
            words = list(self._disk_words)
        return [w.replace(DISK_PLACEHOLDER, str(image)) for w in words]

    def qemu_base(self, cpus):
        """The QEMU command for this many harts, without -append (asked once per count)."""
        with self._lock:
            if cpus not in self._qemu:
                self._qemu[cpus] = list(self.qemu_command(cpus))
            return list(self._qemu[cpus])

    def boot(self, tests, cpus=1, icount=None, timeout=None, extra_args="", qemu_extra=(),
             input=(), until=None, guest_seconds=None, disk=None, disk_copy=True):
        """Boots the kernel once to run kernel tests `tests` (an id or a list of ids) and
        returns the Run. icount: "shift=3" or 3 (guest time from instruction counts);
        timeout: host seconds (before --timeout-scale); guest_seconds: with icount, stop
        QEMU once guest time passes this; input: (regex, bytes) pairs typed once regex
        appears; until: stop QEMU once this regex appears on the console (the run then
        has no exit status). Stopped for taking too long, QEMU is first asked where its
        harts are (run.pcs), through the monitor every boot has. disk: a disk image to
        attach (True: the one `make fsimage` builds); the boot gets a fresh copy of it,
        so parallel boots never share one, unless disk_copy=False, which attaches the
        image itself (a test that boots the same disk again, as the crash tests do)."""
        if guest_seconds is not None and icount is None:
            raise ValueError("guest_seconds needs icount: without -icount guest time "
                             "follows the host's clock")
        ids = [tests] if isinstance(tests, str) else list(tests)
        token = secrets.token_hex(8)
        seed = self.seed if self.seed is not None else secrets.randbelow(1 << 31) + 1
        kargs = " ".join(filter(None, [f"test={','.join(ids)}", f"token={token}",
                                       f"seed={seed}", extra_args]))
        options = [] if icount is None else \
            ["-icount", f"shift={icount}" if isinstance(icount, int) else icount]
        options += shlex.split(qemu_extra) if isinstance(qemu_extra, str) else list(qemu_extra)
        seconds = (timeout or DEFAULT_TIMEOUT) * self.timeout_scale
        if disk is True:
            disk = self.image
        with tempfile.TemporaryDirectory(prefix="sprout-qemu-") as tmp:
            monitor = Monitor(Path(tmp) / "monitor")
            attach = []
            if disk is not None:
                if not Path(disk).is_file():
                    raise GradeFailure(f"no disk image {disk}", "a disk image (make fsimage)")
                image = Path(disk)
                if disk_copy:
                    image = Path(tmp) / "disk.img"
                    shutil.copyfile(disk, image)
                attach = self.disk_options(image)
            command = self.qemu_base(cpus) + attach + ["-append", kargs] + options + \
                ["-monitor", f"unix:{monitor.path},server,nowait"]
            watch = None if icount is None else \
                _GuestWatch(monitor, guest_seconds, STALL_SECONDS * self.timeout_scale)
            hang = {}

            def ask_where(reason):
                try:
                    hang["pcs"] = monitor.pcs()
                except MonitorError as e:
                    hang["pcs"] = str(e)
            # With -icount QEMU runs every hart on one host thread.
            with self.cores.hold(1 if icount is not None else cpus):
                if self.cancel.is_set():
                    raise GradeFailure("the run was interrupted")
                try:
                    result = run_process(command, seconds, input, until, self.cancel,
                                         self.root, watch, ask_where)
                except OSError as e:
                    raise GradeFailure(f"QEMU did not start: {e}",
                                       f"to run {shlex.join(command)}")
                finally:
                    monitor.close()
        guest = watch and (watch.seconds or 0.0, guest_seconds, watch.stall)
        return Run(ids, token, kargs, cpus, options, list(input), until, seconds, *result,
                   root=self.root, pcs=hang.get("pcs"), guest=guest,
                   disk=None if disk is None else (Path(disk), disk_copy), seed=seed)

    def _kernel_symbols(self):
        """[(address, nm type, name)] of the kernel, sorted; read once with nm."""
        with self._lock:
            if self._symbols is None:
                self._symbols = []
                with contextlib.suppress(OSError, subprocess.SubprocessError):
                    out = subprocess.run([self.nm, "-n", str(self.kernel)], capture_output=True,
                                         text=True, timeout=20).stdout
                    for m in re.finditer(r"^([0-9a-fA-F]+) (\w) (\S+)$", out, re.M):
                        self._symbols.append((int(m.group(1), 16), m.group(2), m.group(3)))
            return self._symbols

    def disassemble(self, function):
        """The instructions of a kernel function as [(offset, mnemonic, operands)], from
        objdump -d of the built kernel (read once); None if there is no such function."""
        with self._lock:
            if self._code is None:
                self._code = {}
                try:
                    out = subprocess.run([self.objdump, "-d", "--no-show-raw-insn",
                                          str(self.kernel)], capture_output=True, text=True,
                                         timeout=60).stdout
                except (OSError, subprocess.SubprocessError) as e:
                    raise GradeFailure(f"cannot disassemble the kernel: {e}",
                                       f"{self.objdump} -d {self.kernel}")
                name, start = None, 0
                for line in out.splitlines():
                    head = re.match(r"^([0-9a-f]+) <([\w.]+)>:$", line)
                    insn = re.match(r"^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$", line)
                    if head:
                        name, start = head.group(2), int(head.group(1), 16)
                        self._code[name] = []
                    elif insn and name:
                        ops = re.sub(r"\s*#.*$", "", insn.group(3)).strip()
                        target = re.search(r"#\s*[0-9a-f]+ <([\w.]+)>", insn.group(3))
                        if target and "+" not in target.group(1):
                            ops += f" <{target.group(1)}>"
                        self._code[name].append((int(insn.group(1), 16) - start,
                                                 insn.group(2), ops))
            return self._code.get(function)

    def where(self, pcs):
        """`hart N: pc 0x... function+0xoffset (file:line)` for each hart of {hart: pc}
        (from QEMU's monitor), or one line saying why the pcs could not be read."""
        if isinstance(pcs, str):
            return [f"(the pcs could not be read: {pcs})"]
        symbols = self._kernel_symbols()
        addresses = [a for a, _, _ in symbols]
        places = {}
        for hart, pc in sorted(pcs.items()):
            i = bisect.bisect_right(addresses, pc) - 1
            if not symbols:
                places[hart] = f"({self.nm} or {self.kernel.name} missing: no function)"
            elif i < 0 and pc < RAM_BASE:
                places[hart] = "(QEMU's boot ROM: the firmware has not run yet)"
            elif i < 0:
                places[hart] = "(OpenSBI: a hart the kernel has not started, or an SBI call)"
            elif symbols[i][1] not in "tTwW":
                places[hart] = f"(not kernel code: after {symbols[i][2]})"
            else:
                places[hart] = f"{symbols[i][2]}+{pc - addresses[i]:#x}"
        lines = self._lines_of([pc for hart, pc in sorted(pcs.items())
                                if not places[hart].startswith("(")])
        return [f"hart {hart}: pc {pc:#x} {places[hart]}" + lines.get(pc, "")
                for hart, pc in sorted(pcs.items())]

    def _lines_of(self, pcs):
        """{pc: " (file:line)"} from addr2line, for those it knows."""
        if not pcs or not shutil.which(self.addr2line):
            return {}
        try:
            out = subprocess.run([self.addr2line, "-e", str(self.kernel)] + [hex(p) for p in pcs],
                                 capture_output=True, text=True, timeout=10).stdout.splitlines()
        except (OSError, subprocess.SubprocessError):
            return {}
        return {pc: f" ({line.replace(f'{self.root}/', '')})"
                for pc, line in zip(pcs, out) if not line.startswith("??")}

    def symbolize(self, frames):
        """File and line of each `#N 0x...` backtrace line, through addr2line."""
        if not frames:
            return []
        if not shutil.which(self.addr2line) or not self.kernel.exists():
            return [f"({self.addr2line} or {self.kernel.name} missing: no file and line)"]
        out = []
        for frame in frames:
            number, addr = _FRAME.match(frame).groups()
            # Frames hold return addresses; one byte earlier is inside the call itself.
            try:
                where = subprocess.run(
                    [self.addr2line, "-f", "-i", "-p", "-e", str(self.kernel),
                     hex(int(addr, 16) - 1)], capture_output=True, text=True, timeout=10).stdout
            except (OSError, subprocess.SubprocessError):
                where = "?"
            where = where.strip().replace(f"{self.root}/", "").splitlines() or ["?"]
            out += [f"#{number} {addr} {where[0]}"] + [f"     {w.strip()}" for w in where[1:]]
        return out

    def run_one(self, test):
        """Runs one test; any exception fails it, with the report of the run concerned.
        The test's scratch directory goes once it is over."""
        ctx = Context(self, test)
        try:
            return self._run_one(test, ctx)
        finally:
            ctx.cleanup()

    def _run_one(self, test, ctx):
        start = time.monotonic()
        try:
            test.func(ctx)
            for run in ctx.runs:
                check_witnesses(test, run)
            return Result(test, True, time.monotonic() - start, "", ctx.runs)
        except (GradeFailure, AssertionError) as e:
            got = getattr(e, "got", None) or str(e) or "an assertion failed"
            lines = ([f"expected: {e.expected}"] if getattr(e, "expected", None) else [])
            lines.append(f"got:      {got}")
            run = getattr(e, "run", None) or (ctx.runs[-1] if ctx.runs else None)
        except Exception:  # a bug in the test or the grader: show where
            lines = ["the test raised an error:"] + traceback.format_exc().rstrip().splitlines()
            run = ctx.runs[-1] if ctx.runs else None
        if run is not None:
            lines += run.report(self)
            if self.record_failures:
                import replay  # only now: it is not needed to grade
                lines += replay.record_failure(self, test, run)
        lines += ["rerun this graded test:", f"  make grade LAB={test.lab} TEST={test.name}"]
        return Result(test, False, time.monotonic() - start, "\n".join(lines), ctx.runs)

    def run_tests(self, tests, out=None, on_result=None):
        """Runs tests in parallel, passing each Result to on_result as it ends (default:
        print it); returns the Results in the order of tests. On Ctrl-C, stops every
        QEMU before passing the interrupt on."""
        width = max((len(t.full_name) for t in tests), default=0)
        on_result = on_result or (lambda result: print_result(result, width, out or sys.stdout))
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=self.jobs)
        futures = {pool.submit(self.run_one, t): i for i, t in enumerate(tests)}
        results = [None] * len(tests)
        try:
            for future in concurrent.futures.as_completed(futures):
                result = results[futures[future]] = future.result()
                on_result(result)
        except KeyboardInterrupt:
            self.cancel.set()  # running boots see it within POLL and kill their QEMU
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
        return results


class _GuestWatch:
    """Watches guest time under -icount (process.run_process's watch): every GUEST_POLL
    seconds it reads the guest clock through the monitor, and asks to stop QEMU once the
    clock passes `budget` guest seconds ("guest-timeout"), or has stood still for `stall`
    host seconds ("stalled"), or the monitor has not answered for that long ("silent")."""

    def __init__(self, monitor, budget, stall):
        self.monitor, self.budget, self.stall = monitor, budget, stall
        self.seconds = None  # the guest time last read
        self._next = 0.0  # host time of the next reading
        self._moved = self._heard = time.monotonic()  # guest time last moved; last answer

    def __call__(self):
        now = time.monotonic()
        if now < self._next:
            return None
        self._next = now + GUEST_POLL
        try:
            guest = self.monitor.guest_seconds()
        except MonitorError:
            return "silent" if time.monotonic() - self._heard > self.stall else None
        self._heard = now
        if guest != self.seconds:
            self.seconds, self._moved = guest, now
        if self.budget is not None and guest > self.budget:
            return "guest-timeout"
        return "stalled" if now - self._moved > self.stall else None


# ---------------------------------------------------------------- reporting

def print_result(result, width, out):
    """One line per test, failure details indented beneath it."""
    verdict = "PASS" if result.passed else "FAIL"
    print(f"{result.test.full_name:<{width}}  {verdict}  {result.score:>3}/{result.test.points:<3}"
          f" {result.seconds:6.1f}s", file=out)
    for line in result.output.splitlines():
        print(f"    {line}", file=out)
    out.flush()


def print_summary(results, out=None):
    """The score, then `N passed, N failed` as the very last line."""
    out = out or sys.stdout
    passed = sum(r.passed for r in results)
    print(f"Score: {sum(r.score for r in results)}/{sum(r.test.points for r in results)}",
          file=out)
    print(f"{passed} passed, {len(results) - passed} failed", file=out)

