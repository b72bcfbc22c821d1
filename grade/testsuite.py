"""What `make test` runs (and CI): every check of the tree, one step after another.

Each step is a command run from the repository root, its output shown as it comes.
A step that prints its own `N passed, N failed` line (or a unittest summary) adds its
counts; any other step counts as one check. The last line is `N passed, N failed`,
and the exit status is non-zero if anything failed. --skip-labs skips the slow step
that generates and verifies every lab branch.
"""

import argparse
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


class Step:
    """One command of the suite. needs: a file that must exist for the step to run
    (reported as a failure otherwise); count: how to read its pass/fail counts."""

    def __init__(self, title, command, needs=None, count=None, slow=False):
        self.title, self.command, self.needs, self.slow = title, command, needs, slow
        self.count = count or count_summary_line


def count_summary_line(output):
    """(passed, failed) from the last `N passed, N failed` line, or None."""
    found = re.findall(r"^(\d+) passed, (\d+) failed\s*$", output, re.M)
    return tuple(map(int, found[-1])) if found else None


def count_unittest(output):
    """(passed, failed) from unittest's `Ran N tests` and `FAILED (...)` lines."""
    ran = re.search(r"^Ran (\d+) tests?", output, re.M)
    if not ran:
        return None
    summary = re.search(r"^(OK|FAILED)\b(.*)$", output, re.M)
    counts = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", summary.group(2))) \
        if summary else {}
    failed = counts.get("failures", 0) + counts.get("errors", 0) + \
        counts.get("unexpected_successes", 0)
    return int(ran.group(1)) - failed - counts.get("skipped", 0), failed


# The suite, in order. Later labs add steps here.
STEPS = [
    Step("build the kernel from clean (warnings are errors)",
         "make -s clean && make -s kernel"),
    Step("the kernel's C files satisfy .clang-format",
         "git ls-files 'kernel/*.c' 'kernel/*.h' | xargs clang-format --dry-run --Werror"),
    Step("check the lab catalog", [PY, "labs/labs.py", "--check"], needs="labs/labs.py"),
    Step("the grader's own tests",
         [PY, "-m", "unittest", "discover", "-s", "grade", "-p", "test_*.py"],
         count=count_unittest),
    Step("the allocators on the host: random sequences against a model, misuse (ASan, UBSan)",
         "make -s hosttest", needs="kernel/hosttest/hosttest.mk"),
    Step("mkfs on the host: images read back, --check on damaged images, refusals, fuzz",
         [PY, "-m", "unittest", "discover", "-s", "mkfs", "-p", "test_*.py"],
         count=count_unittest, needs="mkfs/test_mkfs.py"),
    Step("user programs: build, the library and the shell's parser on the host, ELF checks",
         [PY, "-m", "unittest", "discover", "-s", "user", "-p", "test_*.py"],
         count=count_unittest, needs="user/test_user.py"),
    Step("the lab machinery's own tests",
         [PY, "-m", "unittest", "discover", "-s", "labs", "-p", "test_*.py"],
         count=count_unittest, needs="labs/test_labs.py"),
    Step("plant the quick mutants of labs/mutants/ (make mutants plants them all): each "
         "must be caught", [PY, "labs/mutants.py", "--quick"], needs="labs/mutants.py"),
    Step("generate and verify every lab branch, the forger included", [PY, "labs/verify.py"],
         needs="labs/verify.py", slow=True),
]


def run_step(step):
    """Runs step, echoing its output; returns (passed, failed, note)."""
    if step.needs and not (ROOT / step.needs).exists():
        return 0, 1, f"{step.needs} does not exist yet"
    shell = isinstance(step.command, str)
    proc = subprocess.Popen(step.command, shell=shell, cwd=ROOT, text=True, errors="replace",
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = []
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        output.append(line)
    status = proc.wait()
    counts = step.count("".join(output))
    if counts is None:
        return (1, 0, "ok") if status == 0 else (0, 1, f"exit status {status}")
    passed, failed = counts
    if status != 0 and failed == 0:  # it counted nothing wrong, yet failed
        return passed, 1, f"exit status {status} after {passed} passed"
    return passed, failed, "ok" if status == 0 else f"exit status {status}"


def main(argv=None):
    p = argparse.ArgumentParser(prog="testsuite.py", description=__doc__.splitlines()[0])
    p.add_argument("--skip-labs", action="store_true",
                   help="skip generating and verifying the lab branches (slow)")
    args = p.parse_args(argv)
    steps = [s for s in STEPS if not (args.skip_labs and s.slow)]
    total_passed = total_failed = 0
    broken = []
    for n, step in enumerate(steps, 1):
        shown = step.command if isinstance(step.command, str) else shlex.join(step.command)
        print(f"== [{n}/{len(steps)}] {step.title}: {shown.replace(PY, 'python3')}", flush=True)
        start = time.monotonic()
        passed, failed, note = run_step(step)
        total_passed, total_failed = total_passed + passed, total_failed + failed
        print(f"-- {passed} passed, {failed} failed ({note}, {time.monotonic() - start:.1f} s)\n")
        if failed:
            broken.append(f"{step.title}: {note}, {failed} failed")
    for line in broken:
        print(f"FAILED  {line}")
    print(f"{total_passed} passed, {total_failed} failed")
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main())
