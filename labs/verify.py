#!/usr/bin/env python3
"""Proves that every lab's generated branches behave as the course promises.

Clones the committed HEAD into a temporary directory, generates the branches there, and
for each lab checks that the solution branch builds and gets full marks on its lab and
every earlier one, while the student branch builds, fails every test of its own lab,
passes every earlier lab, names the lab's handout when booted with no test (stopping
there, or going on for a lab whose stubs keep the kernel working, as lab fs's do), and
carries no fence marker, the right labs/published.json and none of the instructor's
files. Then the forger: the student branch with labs/forge/forge.c in place of
kernel/debug/lab.c (a kernel that prints what passing runs print without doing the
work) and a grade/lab_<name>.py that passes everything must score 0: the grader puts the
published grader back and its seeded checks catch the forgery. Prints one `ok - ...` or
`FAIL - ...` line per check and ends with `N passed, N failed`. `make test` runs it.
"""

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labs as labtool  # noqa: E402  (the sibling module, found through the line above)

BUILD_TIMEOUT = 900
# The grader has its own per-test timeouts; this only stops a grader that hangs.
GRADE_TIMEOUT = 900
BOOT_TIMEOUT = 30
TAIL_LINES = 25


# Graded tests a forger still passes: lab 7's kernel-side tests print only PASS lines
# for programs whose results a kernel can claim without running them. Lab 7's program
# tests (the shell, usertests, the fuzzer) and every other lab's tests are forge-proof.
# Listed here, and named in every run's report, until seeded checks close the gap.
NOT_FORGE_PROOF = {
    "user": ("exit_status", "fork_wait", "bad_calls", "sbrk", "args", "kill"),
}

class Run:
    def __init__(self, status, output, timed_out):
        self.status = status
        self.output = output
        self.timed_out = timed_out

    def describe(self):
        if self.timed_out:
            return "timed out"
        return "exit status %s" % self.status


def run(cmd, cwd, timeout):
    """Runs cmd in its own process group with stdin closed; always kills the group after."""
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                env=labtool.git_env())
    except OSError as e:
        return Run(None, "cannot run %s: %s" % (cmd[0], e), False)
    timed_out = False
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc.pid)
        out, _ = proc.communicate()
    finally:
        # QEMU or a grader's children may outlive the command that started them.
        _kill_group(proc.pid)
    return Run(proc.returncode, out.decode("utf-8", "replace"), timed_out)


def _kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def tail(text, lines=TAIL_LINES):
    kept = [l for l in text.rstrip().splitlines()][-lines:]
    if not kept:
        return "    (no output)"
    return "\n".join("    | " + l for l in kept)


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, what):
        self.passed += 1
        print("ok - %s" % what, flush=True)

    def fail(self, what, why):
        self.failed += 1
        print("FAIL - %s: %s" % (what, why), flush=True)

    def check(self, what, why):
        """Records a check that failed when `why` is a message, passed when it is None."""
        if why:
            self.fail(what, why)
        else:
            self.ok(what)
        return not why


class Verifier:
    def __init__(self, workdir, clone, jobs, report):
        self.workdir = workdir
        self.clone = clone
        self.jobs = jobs
        self.report = report

    def worktree(self, branch):
        path = os.path.join(self.workdir, branch.replace("/", "-"))
        labtool.git(self.clone, "worktree", "add", "-q", "--detach", path, branch)
        return path

    def grade(self, tree, lab):
        """Runs the grader on one lab; returns (Run, tests or None, why-not-parsed)."""
        out = os.path.join(self.workdir, "grade-%s.json" % os.path.basename(tree))
        if os.path.exists(out):
            os.unlink(out)
        cmd = [sys.executable, "grade/grade.py", "--lab", lab.name, "--json", out]
        if self.jobs:
            cmd += ["-j", str(self.jobs)]
        result = run(cmd, tree, GRADE_TIMEOUT)
        if not os.path.exists(out):
            return result, None, "the grader wrote no JSON report (%s)\n%s" % (
                result.describe(), tail(result.output))
        try:
            with open(out) as f:
                doc = json.load(f)
            tests = doc["tests"]
            if not isinstance(tests, list):
                raise ValueError("'tests' is not a list")
            for t in tests:
                t["name"], t["status"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            return result, None, "unusable JSON report from the grader (%s; %s)\n%s" % (
                e, result.describe(), tail(result.output))
        return result, tests, None

    def markers(self, branch, lab):
        """Why the branch has a fence marker or the wrong labs/current, or None."""
        commit = labtool.rev_parse(self.clone, "refs/heads/%s^{commit}" % branch)
        source = labtool.CommitSource(self.clone, commit)
        found = []
        for path in source.paths:
            data = source.read(path)
            # Markdown may show markers as examples; everything else must be clean.
            if data is None or b"\0" in data or path.lower().endswith(".md"):
                continue
            for line in labtool.marker_lines(labtool.decode(data)):
                found.append("%s:%d" % (path, line))
        if found:
            return "fence markers remain at %s" % ", ".join(found[:20])
        current = source.read(labtool.CURRENT_PATH)
        if current != (lab.name + "\n").encode():
            return "%s holds %r, expected %r" % (labtool.CURRENT_PATH, current, lab.name + "\n")
        leaked = [p for p in source.paths if p.startswith(labtool.INSTRUCTOR_ONLY)]
        if leaked:
            return "instructor-only files are on the branch: %s" % ", ".join(leaked[:10])
        manifest = source.read(labtool.PUBLISHED_PATH)
        entries = {p: e for p, e in source.entries.items() if p != labtool.PUBLISHED_PATH}
        if manifest != labtool.published_manifest(entries):
            return "%s does not list the branch's published files as they are" % (
                labtool.PUBLISHED_PATH)
        return None

    def build(self, branch, tree):
        result = run(["make", "-s", "kernel"], tree, BUILD_TIMEOUT)
        why = None
        if result.status != 0:
            why = "%s\n%s" % (result.describe(), tail(result.output))
        return self.report.check("%s: make -s kernel" % branch, why)

    def formatted(self, branch, tree):
        """Student branches too: a stub is code the student starts from."""
        what = "%s: the kernel's C files satisfy .clang-format" % branch
        files = run(["git", "ls-files", "kernel/*.c", "kernel/*.h"], tree, 60)
        names = files.output.split()
        if files.status != 0:
            self.report.fail(what, "git ls-files: %s\n%s" % (files.describe(),
                                                             tail(files.output)))
            return
        if not names:
            return  # a tree without kernel sources (the lab tools' own test trees)
        if shutil.which("clang-format") is None:
            self.report.fail(what, "clang-format is not installed (Debian: apt-get install "
                             "clang-format)")
            return
        result = run(["clang-format", "--dry-run", "--Werror"] + names, tree, 120)
        why = None
        if result.status != 0:
            why = "%s\n%s" % (result.describe(), tail(result.output))
        self.report.check(what, why)

    def all_pass(self, branch, tree, lab):
        what = "%s: every %s test passes" % (branch, lab.name)
        result, tests, why = self.grade(tree, lab)
        if why is None and not tests:
            why = "the grader ran no tests (%s)\n%s" % (result.describe(), tail(result.output))
        if why is None:
            failing = [t for t in tests if t["status"] != "passed"]
            if failing:
                why = "%d of %d failed: %s\n%s" % (
                    len(failing), len(tests), ", ".join(t["name"] for t in failing),
                    tail(str(failing[0].get("output", ""))))
            elif result.status != 0:
                why = "every test passed but the grader says %s\n%s" % (
                    result.describe(), tail(result.output))
        if why is None:
            what += " (%d test%s)" % (len(tests), "" if len(tests) == 1 else "s")
        self.report.check(what, why)

    def all_fail(self, branch, tree, lab):
        result, tests, why = self.grade(tree, lab)
        if why is None and not tests:
            why = "the grader ran no tests (%s)\n%s" % (result.describe(), tail(result.output))
        if why is not None:
            self.report.fail("%s: every %s test fails on the stub" % (branch, lab.name), why)
            return None
        for t in tests:
            what = "%s: %s fails on the stub" % (branch, t["name"])
            if t["status"] == "passed":
                self.report.fail(what, "it passes, so it does not test the work of lab %s"
                                 % lab.name)
            else:
                self.report.ok(what)
        return tests

    def disk_options(self, tree):
        """QEMU options attaching a copy of the tree's file-system image, as `make qemu`
        does, or [] for a tree without one (before lab 8)."""
        if run(["make", "-s", "fsimage"], tree, BUILD_TIMEOUT).status != 0:
            return []
        image = os.path.join(tree, "build", "fs.img")
        if not os.path.exists(image):
            return []
        copy = os.path.join(self.workdir, "boot-disk.img")
        shutil.copyfile(image, copy)
        printed = run(["make", "-s", "print-qemu-disk", "DISK=" + copy], tree, 60)
        lines = [l for l in printed.output.splitlines() if l.strip()]
        return shlex.split(lines[-1]) if printed.status == 0 and lines else []

    def boot(self, branch, tree, lab):
        """Booting the student branch with no test names the lab's handout, and stops
        there (exit status 3), or, where the lab's stubs keep the kernel working, goes on
        to a clean end (exit status 0) having said so."""
        expected = "see %s" % lab.handout
        what = "%s: booting with no test stops with exit status 3 and '%s'" % (branch, expected)
        printed = run(["make", "-s", "print-qemu", "CPUS=1"], tree, 60)
        lines = [l for l in printed.output.splitlines() if l.strip()]
        if printed.status != 0 or not lines:
            self.report.fail(what, "make -s print-qemu CPUS=1: %s\n%s"
                             % (printed.describe(), tail(printed.output)))
            return
        # init=/true: a kernel that goes on working runs one program that exits at once,
        # then shuts down, instead of waiting at the shell's prompt.
        result = run(shlex.split(lines[-1]) + self.disk_options(tree) +
                     ["-append", "init=/true"], tree, BOOT_TIMEOUT)
        if result.status == 0:
            what = ("%s: booting with no test says '%s' and goes on to exit status 0 (the "
                    "stubs keep the kernel working)" % (branch, expected))
        problems = []
        if not any(expected in line for line in result.output.splitlines()):
            problems.append("no line says '%s'" % expected)
        if result.timed_out:
            problems.append("QEMU still ran after %d s" % BOOT_TIMEOUT)
        elif result.status not in (0, 3):
            problems.append("QEMU exited with status %s, not 3" % result.status)
        why = None
        if problems:
            why = "%s\n%s" % ("; ".join(problems), tail(result.output))
        self.report.check(what, why)

    def forged(self, branch, tree, lab, tests):
        """The forger scores nothing, even with a grader of its own that passes all."""
        what = "%s: the forger scores 0 on %s" % (branch, lab.name)
        forge = os.path.join(self.clone, "labs", "forge", "forge.c")
        if not os.path.exists(forge):
            return  # a tree without a forger (the lab tools' own test trees)
        shutil.copyfile(forge, os.path.join(tree, "kernel", "debug", "lab.c"))
        lenient = ["from gradelib import Lab", "lab = Lab(%r)" % lab.name, ""]
        for t in tests:
            name = t["name"].split("/", 1)[1]
            lenient += ["@lab.test(points=%d)" % t.get("max_score", 1),
                        "def %s(t):" % name, "    pass", ""]
        with open(os.path.join(tree, "grade", "lab_%s.py" % lab.name), "w") as f:
            f.write("\n".join(lenient))
        built = run(["make", "-s", "kernel"], tree, BUILD_TIMEOUT)
        if built.status != 0:
            self.report.fail(what, "the forger does not build: %s\n%s" % (
                built.describe(), tail(built.output)))
            return
        result, graded, why = self.grade(tree, lab)
        if why is None and "differ from the published ones" not in result.output:
            why = ("the grader did not say that grade/lab_%s.py differs from the published "
                   "one\n%s" % (lab.name, tail(result.output)))
        if why is None:
            # Tests the catalog lists as not forge-proof yet: reported on every run, so
            # the gap stays in sight until a seeded check closes it.
            known = set(NOT_FORGE_PROOF.get(lab.name, ()))
            passed = [t for t in graded if t["status"] == "passed"
                      and t["name"].split("/", 1)[1] not in known]
            graded = [t for t in graded if t["name"].split("/", 1)[1] not in known]
            if known:
                what += "; not forge-proof yet: %s" % ", ".join(sorted(known))
            score = sum(t.get("score", 0) for t in graded)
            total = sum(t.get("max_score", 0) for t in graded)
            if passed:
                why = "it scores %s/%s: %s pass" % (score, total,
                                                    ", ".join(t["name"] for t in passed))
            else:
                what += " (0/%s, %d tests)" % (total, len(graded))
        self.report.check(what, why)

    def verify_lab(self, labs, lab):
        earlier = [l for l in labs if l.number < lab.number]
        for branch, student in ((lab.solution_branch, False), (lab.student_branch, True)):
            try:
                tree = self.worktree(branch)
            except labtool.LabsError as e:
                self.report.fail("%s: check out" % branch, str(e))
                continue
            self.report.check("%s: no fence marker, %s names %s"
                              % (branch, labtool.CURRENT_PATH, lab.name),
                              self.markers(branch, lab))
            if not self.build(branch, tree):
                continue
            for other in earlier:
                self.all_pass(branch, tree, other)
            if student:
                self.formatted(branch, tree)
                tests = self.all_fail(branch, tree, lab)
                self.boot(branch, tree, lab)
                if tests:
                    self.forged(branch, tree, lab, tests)
            else:
                self.all_pass(branch, tree, lab)


def prepare(repo, workdir, report):
    """Clones repo's committed HEAD and generates the branches; returns the clone or None."""
    head = labtool.rev_parse(repo, "HEAD^{commit}")
    if head is None:
        report.fail("clone the committed HEAD", "%s has no commit yet" % repo)
        return None
    if labtool.dirty(repo):
        print("verify.py: warning: uncommitted changes in %s are not verified (only HEAD %s is)"
              % (repo, head[:12]), file=sys.stderr, flush=True)
    clone = os.path.join(workdir, "repo")
    try:
        # Fetching HEAD itself works even when it is detached or not on any branch.
        labtool.git(workdir, "init", "-q", clone)
        labtool.git(clone, "fetch", "-q", "--no-tags", os.path.abspath(repo), head)
        labtool.git(clone, "checkout", "-q", "--detach", head)
    except labtool.LabsError as e:
        report.fail("clone the committed HEAD", str(e))
        return None
    report.ok("clone the committed HEAD (%s)" % head[:12])
    result = run([sys.executable, "labs/labs.py", "generate"], clone, 300)
    if result.status != 0:
        report.fail("generate the lab branches", "%s\n%s" % (result.describe(), tail(result.output)))
        return None
    report.ok("generate the lab branches")
    return clone


def main(argv=None):
    parser = argparse.ArgumentParser(prog="verify.py", description=__doc__.splitlines()[0])
    parser.add_argument("--labs", help="only these labs (comma-separated names or numbers)")
    parser.add_argument("-j", "--jobs", type=int, help="passed to the grader")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--repo", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                       os.pardir),
                        help="the repository to verify (default: the one holding this script)")
    args = parser.parse_args(argv)
    report = Report()
    workdir = tempfile.mkdtemp(prefix="sprout-verify-")
    try:
        repo = labtool.repo_toplevel(args.repo)
        clone = prepare(repo, workdir, report)
        if clone is not None:
            with open(os.path.join(clone, labtool.CATALOG_PATH), "rb") as f:
                labs, problems = labtool.parse_catalog(f.read())
            if problems:
                report.fail("read the catalog", "; ".join(str(p) for p in problems))
            else:
                verifier = Verifier(workdir, clone, args.jobs, report)
                for lab in labtool.select_labs(labs, args.labs):
                    verifier.verify_lab(labs, lab)
    except labtool.LabsError as e:
        report.fail("verify", str(e))
    finally:
        if args.keep:
            print("kept %s" % workdir, file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print("%d passed, %d failed" % (report.passed, report.failed))
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
