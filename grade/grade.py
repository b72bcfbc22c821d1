"""The grader's command line: `make grade` runs it.

    python3 grade/grade.py [--lab NAME|all] [-j N] [--json FILE] [--rerun-failed]
                           [--timeout-scale X] [--seed N] [--list] [--no-record] [TEST ...]

It picks the labs and tests to grade, builds the kernel, runs the tests through
gradelib and prints one line per test, the score and `N passed, N failed`. On a lab
branch it grades with the published tests and grader: if the tree's differ from those
the branch was published with, it grades a copy with the published ones put back and
says which it replaced (grade/published.py). On a lab
branch, a later lab whose boots all stop at the kernel's "not implemented yet" prints
as one line. --json FILE is written however the grading ends.
"""

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gradelib  # noqa: E402  (found through the line above)
import published  # noqa: E402

STATE_FILE = Path("build") / "grade-last.json"  # what --rerun-failed reads


def state_path(root):
    """Where --rerun-failed's record is: STATE_FILE, or, in the copy published.py grades,
    the tree's own (SPROUT_GRADE_STATE)."""
    return Path(os.environ.get("SPROUT_GRADE_STATE") or Path(root) / STATE_FILE)


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
    p.add_argument("--seed", type=int, metavar="N",
                   help="give every boot seed=N (default: a new random seed per boot)")
    p.add_argument("--list", action="store_true", help="list the selected tests and stop")
    p.add_argument("--no-record", action="store_true",
                   help="do not record failed one-hart boots for replay (grade/replay.py)")
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


def json_path(argv):
    """The FILE of --json FILE in argv, found even when the rest of argv is wrong."""
    p = _Parser(add_help=False)
    p.add_argument("--json")
    try:
        return p.parse_known_args(argv)[0].json
    except UsageError:
        return None


class Record:
    """What a grading got to, for --json: the tests chosen, the results in so far, and
    why it ended early (None if it did not)."""

    def __init__(self):
        self.tests, self.results, self.note = [], {}, None
        self.start = time.monotonic()

    def write_json(self, path):
        """Gradescope's results.json; a test without a result counts as failed."""
        results = [self.results.get(t.full_name) or gradelib.Result(
                   t, False, 0.0, f"not run: {self.note or 'the grading stopped'}")
                   for t in self.tests]
        data = {"score": sum(r.score for r in results),
                "execution_time": round(time.monotonic() - self.start, 2),
                "tests": [{"name": r.test.full_name, "score": r.score,
                           "max_score": r.test.points,
                           "status": "passed" if r.passed else "failed", "output": r.output}
                          for r in results]}
        if self.note:
            data["output"] = self.note
        Path(path).write_text(json.dumps(data, indent=2) + "\n")


def save_state(root, results, merge=False):
    """Records which tests passed, for --rerun-failed; a rerun updates the record."""
    path = state_path(root)
    verdicts = (load_state(root) or {}) if merge else {}
    verdicts.update({r.test.full_name: "passed" if r.passed else "failed" for r in results})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"results": verdicts}, indent=2) + "\n")


def load_state(root):
    """{full test name: "passed"/"failed"} of the previous run, or None if there is none."""
    try:
        return json.loads(state_path(root).read_text())["results"]
    except (OSError, ValueError, KeyError):
        return None


def main(argv=None, **session_options):
    """Runs the grader; returns the exit status. session_options go to gradelib.Session
    (the grader's own tests use them to fake QEMU and the build). --json FILE is
    written whatever happens: failures, a refused command line, Ctrl-C, a grader bug."""
    argv = sys.argv[1:] if argv is None else list(argv)
    record = Record()
    try:
        status = run(argv, record, gradelib.Session(**session_options))
    except (UsageError, ValueError) as e:  # ValueError: a lab file defines no proper Lab
        record.note = f"grade.py: {e}"
        print(record.note, file=sys.stderr)
        status = 2
    except KeyboardInterrupt:  # run_tests has stopped every QEMU by now
        record.note = "the grading was interrupted"
        print(f"\n{record.note}", file=sys.stderr)
        status = 130
    except Exception:
        record.note = "the grader failed:\n" + traceback.format_exc()
        print(record.note, file=sys.stderr)
        status = 1
    path = json_path(argv)
    if path and status is not None:
        try:
            record.write_json(path)
        except OSError as e:
            print(f"grade.py: cannot write {path}: {e}", file=sys.stderr)
            status = status or 1
    return status or 0


def run(argv, record, session):
    """Chooses the tests and grades them; returns the exit status (None after --list)."""
    args = parse_args(argv)
    root = session.root
    labs = [gradelib.load_lab(n, root) for n in
            choose_labs(root, args.lab, everything=args.rerun_failed)]
    tests = select([t for lab in labs for t in lab.tests], args.tests)
    if args.rerun_failed:
        last = load_state(root)
        if last is None:
            raise UsageError(f"nothing to rerun: no previous run is recorded ({STATE_FILE} "
                             "does not exist); run without --rerun-failed first")
        failed = [name for name, verdict in last.items() if verdict == "failed"]
        tests = [t for t in tests if t.full_name in failed]
        if failed and not tests:
            record.note = ("nothing to run: what failed last time is not graded here: "
                           + " ".join(failed))
    if args.list:
        width = max((len(t.full_name) for t in tests), default=0)
        for t in tests:
            print(f"{t.full_name:<{width}}  {t.points:>3} points  {t.doc}".rstrip())
        return None
    record.tests = tests
    if not tests:
        record.note = record.note or ("nothing to run: the previous run had no failures"
                                      if args.rerun_failed else
                                      "nothing to run: no lab here has a grader yet")
        print(record.note)
        gradelib.print_summary([])
        return 0
    session.jobs, session.timeout_scale = args.jobs, args.timeout_scale
    session.record_failures = session.record_failures and not args.no_record
    if args.seed is not None:
        session.seed = args.seed
    return grade(session, tests, args, record)


def later_labs(root):
    """On a lab branch (labs/current names a lab), the labs after it in the catalog."""
    names = catalog(root)
    try:
        return set(names[names.index((root / "labs" / "current").read_text().strip()) + 1:])
    except (OSError, ValueError):
        return set()


def lab_missing_stop(results):
    """The kernel's lab-missing line if every test in results failed in a boot that
    stopped there (exit status 3); None otherwise."""
    stops = [r.runs[-1] for r in results if not r.passed and r.runs]
    if len(stops) < len(results) or not all(run.lab_missing for run in stops):
        return None
    return gradelib.LAB_MISSING.search(stops[0].text).group(0)


def grade(session, tests, args, record):
    """Builds the kernel, runs tests, prints the summary, records the results. On a lab
    branch, a later lab whose every boot stops at the kernel's lab-missing stop prints as
    one line once all its tests are done."""
    width = max(len(t.full_name) for t in tests)
    if session.build():
        labs = ", ".join(dict.fromkeys(t.lab for t in tests))
        count = f"{len(tests)} test{'s' * (len(tests) != 1)}"
        print(f"grading {labs}: {count}, {min(session.jobs, len(tests))} at a time")
        later, held = later_labs(session.root), []

        def arrived(result):
            record.results[result.test.full_name] = result
            if result.test.lab in later:
                held.append(result)
            else:
                gradelib.print_result(result, width, sys.stdout)
        results = session.run_tests(tests, on_result=arrived)
        for lab in dict.fromkeys(r.test.lab for r in held):
            mine = [r for r in results if r.test.lab == lab]
            stop = lab_missing_stop(mine)
            if stop is None:
                for r in mine:
                    gradelib.print_result(r, width, sys.stdout)
                continue
            points = sum(r.test.points for r in mine)
            print(f"{lab}: not implemented yet on this branch, 0/{points}", flush=True)
            for r in mine:
                r.output = f"{lab} is not implemented yet on this branch; the kernel says: {stop}"
    else:
        why = f"the kernel does not build (`{' '.join(session.build_command)}` failed)"
        print(f"grade.py: {why}; no test was run", file=sys.stderr)
        results = [gradelib.Result(t, False, 0.0, why) for t in tests]
        record.results = {r.test.full_name: r for r in results}
    gradelib.print_summary(results)
    save_state(session.root, results, merge=args.rerun_failed)
    return 0 if all(r.passed for r in results) else 1


def absolute_json(argv):
    """argv with the FILE of --json FILE made absolute (the grading may move to a copy)."""
    out = list(argv)
    for i, arg in enumerate(out):
        if arg == "--json" and i + 1 < len(out):
            out[i + 1] = os.path.abspath(out[i + 1])
        elif arg.startswith("--json="):
            out[i] = "--json=" + os.path.abspath(arg[len("--json="):])
    return out


def main_published(argv=None):
    """main(), with the published tests: if the tree's tests or grader differ from those
    it was published with, grades a copy with the published ones (grade/published.py)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if any(a in ("-h", "--help", "--list") for a in argv):
        return main(argv)
    root = gradelib.ROOT
    tree = published.prepare(root, sys.stderr)
    if tree == root:
        return main(argv)
    return published.run_in(tree, absolute_json(argv), state_path(root))


if __name__ == "__main__":
    sys.exit(main_published())
