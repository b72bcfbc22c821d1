"""The grader's command line: `make grade` runs it.

    python3 grade/grade.py [--lab NAME|all] [-j N] [--json FILE] [--rerun-failed]
                           [--timeout-scale X] [--list] [TEST ...]

It picks the labs and tests to grade, builds the kernel, runs the tests through
gradelib and prints one line per test, the score and `N passed, N failed`.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gradelib  # noqa: E402  (found through the line above)

STATE_FILE = Path("build") / "grade-last.json"  # what --rerun-failed reads


class UsageError(Exception):
    """A bad command line: reported with its reason, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def parse_args(argv):
    p = _Parser(prog="grade.py", description="Grade Sprout's labs in QEMU.")
    p.add_argument("--lab", help="lab to grade, or 'all' (default: labs/current, else all)")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                   help="tests run at once (default: host cores)")
    p.add_argument("--json", metavar="FILE", help="also write Gradescope's results.json")
    p.add_argument("--rerun-failed", action="store_true",
                   help="run only the tests that failed last time")
    p.add_argument("--timeout-scale", type=float, default=1.0, metavar="X",
                   help="multiply every timeout by X (slow machines)")
    p.add_argument("--list", action="store_true", help="list the selected tests and stop")
    p.add_argument("tests", nargs="*", metavar="TEST", help="test names: align or bump/align")
    args = p.parse_args(argv)
    if args.jobs < 1:
        raise UsageError(f"-j must be at least 1, not {args.jobs}")
    if not args.timeout_scale > 0:
        raise UsageError(f"--timeout-scale must be above 0, not {args.timeout_scale}")
    return args


def catalog(root):
    """Lab names in lab order, from labs/labs.json."""
    path = root / "labs" / "labs.json"
    try:
        return [lab["name"] for lab in json.loads(path.read_text())["labs"]]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UsageError(f"cannot read the lab catalog {path}: {e}")


def choose_labs(root, lab, everything):
    """The labs to load: the one named, all of them, or this branch's (labs/current)."""
    names = catalog(root)
    current = root / "labs" / "current"
    if lab is None:
        lab = "all" if everything or not current.exists() else current.read_text().strip()
    if lab == "all":
        # A lab branch may carry graders only for the labs it has reached.
        return [n for n in names if (root / "grade" / f"lab_{n}.py").exists()]
    if lab not in names:
        raise UsageError(f"unknown lab {lab!r} (labs: {', '.join(names)}, all)")
    if not (root / "grade" / f"lab_{lab}.py").exists():
        raise UsageError(f"lab {lab} has no grader (grade/lab_{lab}.py)")
    return [lab]


def select(tests, names):
    """The tests named (`align` or `bump/align`), in registration order; all if none."""
    if not names:
        return tests
    chosen = set()
    for name in names:
        found = {t.full_name for t in tests if name in (t.name, t.full_name)}
        if not found:
            known = " ".join(t.full_name for t in tests)
            raise UsageError(f"unknown test {name!r} (tests here: {known or 'none'})")
        chosen |= found
    return [t for t in tests if t.full_name in chosen]


def write_json(path, results, seconds):
    """Gradescope's results.json."""
    data = {"score": sum(r.score for r in results), "execution_time": round(seconds, 2),
            "tests": [{"name": r.test.full_name, "score": r.score, "max_score": r.test.points,
                       "status": "passed" if r.passed else "failed", "output": r.output}
                      for r in results]}
    Path(path).write_text(json.dumps(data, indent=2) + "\n")


def save_state(root, results, merge=False):
    """Records which tests passed, for --rerun-failed; a rerun updates the record."""
    path = Path(root) / STATE_FILE
    verdicts = (load_state(root) or {}) if merge else {}
    verdicts.update({r.test.full_name: "passed" if r.passed else "failed" for r in results})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"results": verdicts}, indent=2) + "\n")


def load_state(root):
    """{full test name: "passed"/"failed"} of the previous run, or None if there is none."""
    try:
        return json.loads((Path(root) / STATE_FILE).read_text())["results"]
    except (OSError, ValueError, KeyError):
        return None


def main(argv=None, **session_options):
    """Runs the grader; returns the exit status. session_options go to gradelib.Session
    (the grader's own tests use them to fake QEMU and the build)."""
    session = gradelib.Session(**session_options)
    root = session.root
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        labs = [gradelib.load_lab(n, root) for n in
                choose_labs(root, args.lab, everything=args.rerun_failed)]
        tests = select([t for lab in labs for t in lab.tests], args.tests)
        if args.rerun_failed:
            last = load_state(root)
            if last is None:
                raise UsageError(f"no previous run recorded ({STATE_FILE}); "
                                 "run without --rerun-failed first")
            tests = [t for t in tests if last.get(t.full_name) == "failed"]
    except (UsageError, ValueError) as e:  # ValueError: a lab file defines no proper Lab
        print(f"grade.py: {e}", file=sys.stderr)
        return 2
    if args.list:
        width = max((len(t.full_name) for t in tests), default=0)
        for t in tests:
            print(f"{t.full_name:<{width}}  {t.points:>3} points  {t.doc}".rstrip())
        return 0
    if not tests:
        print("nothing to run: the previous run had no failures" if args.rerun_failed
              else "nothing to run: no lab here has a grader yet")
        gradelib.print_summary([])
        return 0
    session.jobs, session.timeout_scale = args.jobs, args.timeout_scale
    try:
        return grade(session, tests, args)
    except KeyboardInterrupt:  # run_tests has stopped every QEMU by now
        print("\ninterrupted", file=sys.stderr)
        return 130


def grade(session, tests, args):
    """Builds the kernel, runs tests, prints the summary, records the results."""
    start = time.monotonic()
    if session.build():
        labs = ", ".join(dict.fromkeys(t.lab for t in tests))
        count = f"{len(tests)} test{'s' * (len(tests) != 1)}"
        print(f"grading {labs}: {count}, {min(session.jobs, len(tests))} at a time")
        results = session.run_tests(tests)
    else:
        why = f"the kernel does not build (`{' '.join(session.build_command)}` failed)"
        print(f"grade.py: {why}; no test was run", file=sys.stderr)
        results = [gradelib.Result(t, False, 0.0, why) for t in tests]
    gradelib.print_summary(results)
    save_state(session.root, results, merge=args.rerun_failed)
    if args.json:
        write_json(args.json, results, time.monotonic() - start)
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
