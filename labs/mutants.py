#!/usr/bin/env python3
"""Plants known mistakes in the solution and proves the graded tests catch each one.

The catalogue is labs/mutants/<lab>.txt: each mutant is a small change to the solution
tree (search and replace, exactly once each) and the graded tests that must catch it.
For every mutant this tool copies the tree once (the tracked files of the working tree,
into a temporary directory), applies the change, builds, runs only the named tests and
requires each of them to fail, with a failure that says what went wrong: the mutant's
`says` pattern must match the output of one of them. Then it undoes the change. A
mutant whose change does not apply or does not build is an error of the catalogue, not
a catch.

    python3 labs/mutants.py [--labs bump,trap] [--quick] [-j N] [--list] [MUTANT ...]

--quick runs the mutants marked `quick: yes`, the subset `make test` runs. The last
lines are `caught N of M` per lab and in all, then `N passed, N failed`.

Catalogue format (blank lines and lines starting with # between mutants are ignored):

    == no_align: boot_alloc ignores the alignment
    file: kernel/mm/bump.c
    catch: align
    says: not aligned|puts the block
    quick: yes
    <<<<
    	start &= ~(uintptr_t)(align - 1);
    ====
    >>>>

The lines between <<<< and ==== must occur exactly once in the file; they are replaced
by the lines between ==== and >>>>. A mutant may have several such blocks, and a
`file:` line before any of them switches the file.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CATALOGUE = os.path.join(HERE, "mutants")
BUILD_TIMEOUT = 600
GRADE_TIMEOUT = 900


class CatalogueError(Exception):
    pass


class Mutant:
    def __init__(self, lab, name, what, line):
        self.lab, self.name, self.what, self.line = lab, name, what, line
        self.catch, self.says, self.quick = [], None, False
        self.edits = []  # (file, search, replace)

    @property
    def full_name(self):
        return "%s/%s" % (self.lab, self.name)


def parse(lab, text, where):
    """The mutants of one catalogue file."""
    mutants, current, path = [], None, None
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line, number = lines[i], i + 1
        i += 1
        if line.startswith("== "):
            m = re.match(r"^== (\w+): (.+)$", line)
            if not m:
                raise CatalogueError("%s:%d: expected '== name: what it does'" % (where, number))
            current, path = Mutant(lab, m.group(1), m.group(2).strip(), number), None
            mutants.append(current)
        elif current is None and (not line.strip() or line.startswith("#")):
            continue
        elif current is None:
            raise CatalogueError("%s:%d: text before the first mutant" % (where, number))
        elif line.startswith("file: "):
            path = line[len("file: "):].strip()
        elif line.startswith("catch: "):
            current.catch = line[len("catch: "):].split()
        elif line.startswith("says: "):
            current.says = line[len("says: "):].strip()
        elif line.startswith("quick: "):
            current.quick = line[len("quick: "):].strip() == "yes"
        elif line == "<<<<":
            if path is None:
                raise CatalogueError("%s:%d: a change before any 'file:'" % (where, number))
            block = {"search": [], "replace": []}
            part = "search"
            while i < len(lines) and lines[i] != ">>>>":
                if lines[i] == "====":
                    part = "replace"
                else:
                    block[part].append(lines[i])
                i += 1
            if i == len(lines) or part != "replace":
                raise CatalogueError("%s:%d: a change needs ==== and >>>>" % (where, number))
            i += 1
            current.edits.append((path, "\n".join(block["search"]) + "\n",
                                  "".join(l + "\n" for l in block["replace"])))
        elif not line.strip() or line.startswith("#"):
            continue
        else:
            raise CatalogueError("%s:%d: unexpected line %r" % (where, number, line))
    for m in mutants:
        if not m.edits or not m.catch or not m.says:
            raise CatalogueError("%s:%d: mutant %s needs a change, catch: and says:"
                                 % (where, m.line, m.name))
    return mutants


def load(labs=None):
    """Every mutant of the catalogue, in lab order (labs/labs.json)."""
    with open(os.path.join(HERE, "labs.json")) as f:
        order = [lab["name"] for lab in json.load(f)["labs"]]
    mutants = []
    for lab in order:
        path = os.path.join(CATALOGUE, lab + ".txt")
        if (labs and lab not in labs) or not os.path.exists(path):
            continue
        with open(path) as f:
            mutants += parse(lab, f.read(), os.path.relpath(path, ROOT))
    names = [m.full_name for m in mutants]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CatalogueError("mutants named twice: %s" % ", ".join(dupes))
    return mutants


def run(cmd, cwd, timeout, env=None):
    """(status or None on timeout, output)."""
    proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True, env=env)
    try:
        out, _ = proc.communicate(timeout=timeout)
        status = proc.returncode
    except subprocess.TimeoutExpired:
        status = None
        os.killpg(proc.pid, 9)
        out, _ = proc.communicate()
    finally:
        try:
            os.killpg(proc.pid, 9)
        except (ProcessLookupError, PermissionError):
            pass
    return status, out.decode("utf-8", "replace")


def copy_tree(dest):
    """The working tree's tracked files, copied to dest (no .git: nothing there may
    look like a lab branch's history)."""
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                         check=True).stdout.decode()
    for path in filter(None, out.split("\0")):
        src = os.path.join(ROOT, path)
        if not os.path.isfile(src) or path.startswith("labs/mutants/"):
            continue
        os.makedirs(os.path.dirname(os.path.join(dest, path)) or dest, exist_ok=True)
        shutil.copy2(src, os.path.join(dest, path))


def tail(text, n=12):
    return "\n".join("    | " + l for l in text.rstrip().splitlines()[-n:]) or "    (no output)"


def explanation(result):
    """A failed test's output without its `expected:` line: what the grader says went
    wrong, which is what must name the mistake."""
    return "\n".join(l for l in result.get("output", "").splitlines()
                     if not l.lstrip().startswith("expected:"))


def check(mutant, tree, jobs):
    """Applies, builds, grades, undoes. Returns (caught, catalogue_error, why)."""
    originals = {}
    try:
        for path, search, replace in mutant.edits:
            full = os.path.join(tree, path)
            if not os.path.exists(full):
                return False, True, "%s does not exist" % path
            if path not in originals:
                with open(full) as f:
                    originals[path] = f.read()
            with open(full) as f:
                text = f.read()
            count = text.count(search)
            if count != 1:
                return False, True, "the text to replace occurs %d times in %s, not once" % (
                    count, path)
            with open(full, "w") as f:
                f.write(text.replace(search, replace))
        status, out = run(["make", "-s", "kernel"], tree, BUILD_TIMEOUT)
        if status != 0:
            return False, True, "it does not build:\n" + tail(out)
        report = os.path.join(tree, "build", "mutant.json")
        if os.path.exists(report):
            os.unlink(report)
        tests = [t if "/" in t else "%s/%s" % (mutant.lab, t) for t in mutant.catch]
        env = dict(os.environ, SPROUT_PUBLISHED_TREE="1")
        status, out = run([sys.executable, "grade/grade.py", "--lab", mutant.lab, "-j",
                           str(jobs), "--json", report] + tests, tree, GRADE_TIMEOUT, env)
        if not os.path.exists(report):
            return False, True, "the grader wrote no report (status %s):\n%s" % (status,
                                                                                 tail(out))
        with open(report) as f:
            results = {t["name"]: t for t in json.load(f)["tests"]}
        missing = [t for t in tests if t not in results]
        if missing:
            return False, True, "no such graded test: %s" % ", ".join(missing)
        survived = [t for t in tests if results[t]["status"] == "passed"]
        if survived:
            return False, False, "it passes %s" % ", ".join(survived)
        said = [t for t in tests if re.search(mutant.says, explanation(results[t]))]
        if not said:
            first = explanation(results[tests[0]]).splitlines()[:6]
            return False, False, ("%s fail, but no failure says /%s/:\n%s"
                                  % (", ".join(tests), mutant.says, tail("\n".join(first))))
        line = next((l.strip() for l in explanation(results[said[0]]).splitlines()
                     if re.search(mutant.says, l)), "")
        return True, False, "%s: %s" % (said[0], line[:160])
    finally:
        for path, text in originals.items():
            with open(os.path.join(tree, path), "w") as f:
                f.write(text)


def main(argv=None):
    p = argparse.ArgumentParser(prog="mutants.py", description=__doc__.splitlines()[0])
    p.add_argument("--labs", help="only these labs (comma-separated names)")
    p.add_argument("--quick", action="store_true", help="only the mutants marked quick")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                   help="tests the grader runs at once (default: host cores)")
    p.add_argument("--list", action="store_true", help="list the catalogue and stop")
    p.add_argument("--keep", action="store_true", help="keep the copy of the tree")
    p.add_argument("mutants", nargs="*", metavar="MUTANT", help="lab/name or name")
    args = p.parse_args(argv)
    try:
        mutants = load(set(args.labs.split(",")) if args.labs else None)
    except CatalogueError as e:
        print("mutants.py: %s" % e, file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    if args.quick:
        mutants = [m for m in mutants if m.quick]
    if args.mutants:
        mutants = [m for m in mutants if m.full_name in args.mutants or m.name in args.mutants]
    if args.list:
        for m in mutants:
            print("%-32s %s  [%s]%s" % (m.full_name, m.what, " ".join(m.catch),
                                        " quick" if m.quick else ""))
        return 0
    tree = tempfile.mkdtemp(prefix="sprout-mutants-")
    caught, errors, escaped = {}, [], []
    start = time.monotonic()
    try:
        copy_tree(tree)
        status, out = run(["make", "-s", "kernel"], tree, BUILD_TIMEOUT)
        if status != 0:
            print("FAIL - the unchanged tree does not build:\n%s" % tail(out))
            print("0 passed, 1 failed")
            return 1
        for m in mutants:
            t0 = time.monotonic()
            ok, error, why = check(m, tree, args.jobs)
            seconds = time.monotonic() - t0
            caught.setdefault(m.lab, [0, 0])
            caught[m.lab][1] += 1
            if ok:
                caught[m.lab][0] += 1
                print("ok - caught %s (%s) in %.0f s: %s" % (m.full_name, m.what, seconds, why),
                      flush=True)
            elif error:
                errors.append(m)
                print("FAIL - catalogue error in %s: %s" % (m.full_name, why), flush=True)
            else:
                escaped.append(m)
                print("FAIL - %s (%s) escaped: %s" % (m.full_name, m.what, why), flush=True)
    finally:
        if args.keep:
            print("kept %s" % tree, file=sys.stderr)
        else:
            shutil.rmtree(tree, ignore_errors=True)
    for lab, (n, total) in caught.items():
        print("%s: caught %d of %d" % (lab, n, total))
    n = sum(c[0] for c in caught.values())
    total = sum(c[1] for c in caught.values())
    print("caught %d of %d mutants%s in %.0f s" % (
        n, total, " (%d catalogue errors)" % len(errors) if errors else "",
        time.monotonic() - start))
    print("%d passed, %d failed" % (n, total - n))
    return 0 if n == total and total > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
