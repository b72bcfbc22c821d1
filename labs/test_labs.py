#!/usr/bin/env python3
"""Tests of the lab machinery: the fence parser, `labs.py --check`, the branch generator
and verify.py, each run against small throwaway git repositories.

Fence markers are spelled here as `@begin NAME`, `@stub NAME` and `@end NAME` and turned
into real markers by mark(), so that this file holds no line that looks like a marker.
Run: python3 labs/test_labs.py
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import labs  # noqa: E402  (the sibling module, found through the line above)

LABS_PY = os.path.join(HERE, "labs.py")
VERIFY_PY = os.path.join(HERE, "verify.py")


def mark(text, leader="//"):
    """Turns the `@begin NAME` / `@stub NAME` / `@end NAME` shorthand into fence markers."""
    def repl(m):
        return "%s%s LAB %s: %s%s" % (m.group(1), leader, m.group(3), m.group(2).upper(),
                                      m.group(4))
    return re.sub(r"(?m)^([ \t]*)@(begin|stub|end) (\S+?)([ \t]*\r?)$", repl,
                  textwrap.dedent(text))


def clean_env():
    """An environment with no git identity and no user or system git config, like CI."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GIT_") and k not in ("EMAIL",)}
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    return env


def sh(cwd, *cmd, check=True, **kw):
    result = subprocess.run(list(cmd), cwd=cwd, env=clean_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, **kw)
    if check and result.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s%s" % (" ".join(cmd), result.returncode,
                                                        result.stdout, result.stderr))
    return result


def git(cwd, *args, **kw):
    return sh(cwd, "git", *args, **kw).stdout.strip()


def commit_all(repo, message="change"):
    git(repo, "add", "-A")
    # The identity is given for this commit only: the tools under test must not need one.
    git(repo, "-c", "user.name=Test", "-c", "user.email=test@example.invalid",
        "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


CATALOG3 = {"labs": [
    {"number": 1, "name": "alpha", "title": "first lab", "handout": "docs/labs/1-alpha.md"},
    {"number": 2, "name": "beta", "title": "second lab", "handout": "docs/labs/2-beta.md"},
    {"number": 3, "name": "gamma", "title": "third lab", "handout": "docs/labs/3-gamma.md"},
]}

KERNEL_C = """\
int common(void);

int alpha(void)
{
	@begin alpha
	return 1;
	@stub alpha
	// lab_missing("alpha", "docs/labs/1-alpha.md");
	//
	// return 0;
	@end alpha
}

int beta(void)
{
	@begin beta
	return 2;
	@stub beta
	// return -2;
	@end beta
}

@begin gamma
int gamma(void) { return 3; }
@end gamma
"""

RUN_SH = """\
#!/bin/sh
    @begin beta
echo beta solved
    @stub beta
    # echo beta missing
    @end beta
"""


def write(root, path, text, mode=None):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", newline="") as f:
        f.write(text)
    if mode is not None:
        os.chmod(full, mode)


def make_repo(root, files, catalog=CATALOG3, handouts=True):
    git(root, "init", "-q", "-b", "main")
    write(root, "labs/labs.json", json.dumps(catalog, indent=2) + "\n")
    if handouts:
        for lab in catalog["labs"]:
            write(root, lab["handout"], "# %s\n" % lab["title"])
    for path, text in files.items():
        write(root, path, text)


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sprout-test-labs-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.repo = os.path.join(self.tmp, "repo")
        os.mkdir(self.repo)

    def labs_py(self, *args, check=False):
        return sh(self.repo, sys.executable, LABS_PY, *args, check=check)


def parse(text, leader="//", names=("alpha", "beta", "gamma"), path="k.c"):
    return labs.parse_fences(path, text, leader, set(names))


CATALOG_LABS, _ = labs.parse_catalog(json.dumps(CATALOG3).encode())


class FenceParserTest(unittest.TestCase):
    def render(self, text, lab, mode, leader="//"):
        parsed, problems = parse(mark(text, leader), leader)
        self.assertEqual(problems, [])
        return labs.render(parsed, labs.solved_labs(CATALOG_LABS, labs.find_lab(CATALOG_LABS, lab),
                                                    mode))

    def test_student_and_solution_of_each_lab(self):
        a_sol, a_stub = "\treturn 1;\n", '\tlab_missing("alpha", "docs/labs/1-alpha.md");\n\n\treturn 0;\n'
        b_sol, b_stub = "\treturn 2;\n", "\treturn -2;\n"
        g_sol = "int gamma(void) { return 3; }\n"

        def expect(a, b, g):
            return ("int common(void);\n\nint alpha(void)\n{\n%s}\n\nint beta(void)\n{\n%s}\n\n%s"
                    % (a, b, g))
        cases = {
            ("alpha", "student"): expect(a_stub, b_stub, ""),
            ("alpha", "solution"): expect(a_sol, b_stub, ""),
            ("beta", "student"): expect(a_sol, b_stub, ""),
            ("beta", "solution"): expect(a_sol, b_sol, ""),
            ("gamma", "student"): expect(a_sol, b_sol, ""),
            ("gamma", "solution"): expect(a_sol, b_sol, g_sol),
        }
        for (lab, mode), want in cases.items():
            with self.subTest(lab=lab, mode=mode):
                self.assertEqual(self.render(KERNEL_C, lab, mode), want)

    def test_hash_leader_keeps_indentation_and_line_ends(self):
        text = mark("x = 1\r\n  @begin alpha\r\n  y = 2\r\n  @stub alpha\r\n  # y = None\r\n"
                    "  #\r\n  #    z = 3\r\n  @end alpha   \r\nw = 4", "#")
        parsed, problems = parse(text, "#", path="x.py")
        self.assertEqual(problems, [])
        solved = {"alpha"}
        self.assertEqual(labs.render(parsed, solved), "x = 1\r\n  y = 2\r\nw = 4")
        self.assertEqual(labs.render(parsed, set()),
                         "x = 1\r\n  y = None\r\n\r\n     z = 3\r\nw = 4")

    def test_block_without_stub_vanishes_from_student_code(self):
        self.assertEqual(self.render("a\n@begin gamma\nb\n@end gamma\nc\n", "gamma", "student"),
                         "a\nc\n")

    def test_leader_by_file_type(self):
        for path in ("k/a.c", "k/a.h", "k/e.S", "k/e.s", "k/kernel.ld"):
            self.assertEqual(labs.comment_leader(path), "//", path)
        for path in ("g/x.py", "Makefile", "k/rules.mk", "t.sh", "setup.cfg", ".gdbinit",
                     "k/sprout.gdbinit"):
            self.assertEqual(labs.comment_leader(path), "#", path)
        for path in ("README.txt", "k/a.cpp", "docs/x.md"):
            self.assertIsNone(labs.comment_leader(path), path)
        self.assertFalse(labs.is_scanned("labs/labs.py"))
        self.assertFalse(labs.is_scanned("docs/labs/1-bump.md"))
        self.assertTrue(labs.is_scanned("kernel/main.c"))

    def assertProblems(self, text, expected, leader="//", path="k.c", written_with=None):
        _, problems = parse(mark(text, written_with or leader), leader, path=path)
        got = [(p.line, p.message) for p in problems]
        self.assertEqual(len(got), len(expected), got)
        for (line, message), (want_line, want_text) in zip(got, expected):
            self.assertEqual(line, want_line, got)
            self.assertIn(want_text, message)

    def test_unbalanced(self):
        self.assertProblems("a\n@begin alpha\nb\n", [(2, "has no END")])
        self.assertProblems("a\n@end alpha\n", [(2, "without a BEGIN")])
        self.assertProblems("@stub alpha\n// x\n", [(1, "outside any block")])
        self.assertProblems("@begin alpha\n@stub alpha\n@stub alpha\n@end alpha\n",
                            [(3, "second STUB")])
        self.assertProblems("@begin alpha\n@end beta\n", [(2, "closes the block of lab alpha")])
        self.assertProblems("@begin alpha\n@stub beta\n@end alpha\n",
                            [(2, "inside the block of lab alpha")])

    def test_nesting(self):
        self.assertProblems("@begin alpha\n@begin beta\n@end beta\n@end alpha\n",
                            [(2, "do not nest"), (4, "without a BEGIN")])

    def test_unknown_lab(self):
        self.assertProblems("@begin delta\n@end delta\n",
                            [(1, "unknown lab 'delta'"), (2, "unknown lab 'delta'")])

    def test_bad_stub_lines(self):
        self.assertProblems("@begin alpha\n@stub alpha\n//x\nreturn 0;\n\n// ok\n@end alpha\n",
                            [(3, "stub line"), (4, "stub line"), (5, "stub line")])

    def test_wrong_leader(self):
        self.assertProblems("@begin alpha\n@end alpha\n",
                            [(1, "written with '#'"), (2, "written with '#'")], written_with="#")
        self.assertProblems("@begin alpha\n@end alpha\n",
                            [(1, "written with '//'"), (2, "written with '//'")], path="x.py",
                            leader="#", written_with="//")

    def test_malformed_marker(self):
        for line in ("//LAB alpha: BEGIN", "// LAB alpha: BEGIN here", "/* LAB alpha: END */",
                     "// LAB alpha BEGIN", "  //  LAB alpha: STUB"):
            with self.subTest(line=line):
                self.assertProblems("x\n" + line + "\n", [(2, "malformed fence marker")])

    def test_catalog_validation(self):
        def problems(doc):
            return [p.message for p in labs.parse_catalog(json.dumps(doc).encode())[1]]
        good = {"number": 1, "name": "bump", "title": "t", "handout": "docs/labs/1-bump.md"}
        self.assertEqual(problems({"labs": [good]}), [])
        self.assertEqual(problems({"labs": []}), [])
        self.assertIn("number is 2", problems({"labs": [dict(good, number=2)]})[0])
        # A number may be skipped (reserved for a later lab), but never repeated or reversed.
        later = dict(good, number=8, name="fs", handout="docs/labs/8-fs.md")
        self.assertEqual(problems({"labs": [good, later]}), [])
        self.assertIn("expected a number above 8",
                      problems({"labs": [good, later, dict(later, number=8, name="x")]})[0])
        self.assertIn("expected a number above 8",
                      problems({"labs": [good, later, dict(later, number=7, name="x")]})[0])
        self.assertIn("lowercase", problems({"labs": [dict(good, name="Bump")]})[0])
        dup = problems({"labs": [good, dict(good, number=2)]})
        self.assertIn("already used by lab 1", dup[0])
        self.assertIn("missing title", problems({"labs": [{"number": 1, "name": "x",
                                                            "handout": "a.md"}]})[0])
        self.assertIn("not valid JSON", labs.parse_catalog(b"{")[1][0].message)


class CheckCommandTest(TempDirTest):
    def test_clean_tree(self):
        make_repo(self.repo, {"kernel/k.c": mark(KERNEL_C), "tools/run.sh": mark(RUN_SH, "#"),
                              "docs/fences.md": mark("@begin nolab\n"),
                              "labs/example.c": mark("@begin nolab\n")})
        write(self.repo, "kernel/untracked.c", mark("@begin nolab\n"))
        git(self.repo, "add", "labs", "docs", "kernel/k.c", "tools")
        result = self.labs_py("--check")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.count("\n"), 1)
        self.assertIn("alpha: 1 block in 1 file", result.stdout)
        self.assertIn("beta: 2 blocks in 2 files", result.stdout)

    def test_problems_are_reported_with_file_and_line(self):
        make_repo(self.repo, {
            "kernel/k.c": mark("int x;\n@begin alpha\nint y;\n"),
            "kernel/j.c": mark('@begin beta\n@stub beta\n// lab_missing("b", "docs/labs/9-x.md");\n'
                               '@end beta\n'),
            "kernel/w.c": mark('@begin alpha\n@stub alpha\n// lab_missing("a", "docs/labs/2-beta.md");\n'
                               '@end alpha\n'),
            "Makefile": mark("all:\n@begin alpha\n@end alpha\n"),
            "notes.txt": mark("@begin alpha\n"),
        }, handouts=False)
        write(self.repo, "docs/labs/1-alpha.md", "# alpha\n")
        write(self.repo, "docs/labs/2-beta.md", "# beta\n")
        git(self.repo, "add", "-A")
        result = self.labs_py("--check")
        self.assertEqual(result.returncode, 1)
        lines = result.stderr.splitlines()
        expected = [
            "Makefile:2: fence marker written with '//'",
            "Makefile:3: fence marker written with '//'",
            "kernel/j.c:3: lab_missing() names the handout docs/labs/9-x.md",
            "kernel/k.c:2: BEGIN of lab alpha has no END",
            "kernel/w.c:3: the stub of lab alpha names the handout of lab beta",
            "labs/labs.json:",   # the handout of gamma
            "notes.txt:1: fence marker in a file of a type",
        ]
        self.assertEqual(len(lines), len(expected) + 1, result.stderr)
        for line, want in zip(lines, expected):
            self.assertTrue(line.startswith(want), (line, want))
        self.assertIn("docs/labs/3-gamma.md of lab gamma is not in the tree", lines[5])

    def test_bad_catalog(self):
        make_repo(self.repo, {}, catalog={"labs": [{"number": 2, "name": "x", "title": "t",
                                                    "handout": "docs/x.md"}]})
        git(self.repo, "add", "-A")
        result = self.labs_py("--check")
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stderr, r"labs/labs\.json:\d+: lab 'x': number is 2")


def make_solution_repo(root):
    """A solution tree with fences of three labs; returns its commit."""
    make_repo(root, {
        "kernel/k.c": mark(KERNEL_C),
        "README.md": mark("Markers in docs stay:\n@begin alpha\n"),
        "kernel/plain.c": "int plain;\n",
        "kernel/tests/t.c": "int test;\n",
        "grade/lab_alpha.py": "graded = True\n",
        "labs/mutants/alpha.txt": "== secret: holds a piece of the solution\n",
        "labs/forge/forge.c": "int forged;\n",
    })
    write(root, "tools/run.sh", mark(RUN_SH, "#"), mode=0o755)
    return commit_all(root, "solutions of every lab")


class GeneratedBranches:
    def generate(self, *args):
        return self.labs_py("generate", *args)

    def show(self, rev, path):
        return sh(self.repo, "git", "show", "%s:%s" % (rev, path)).stdout

    def branches(self):
        return ["lab/1-alpha", "solution/1-alpha", "lab/2-beta", "solution/2-beta",
                "lab/3-gamma", "solution/3-gamma"]

    def tips(self):
        lines = git(self.repo, "rev-parse", *self.branches()).splitlines()
        return dict(zip(self.branches(), lines))


class FirstGenerationTest(GeneratedBranches, unittest.TestCase):
    """Looks at the branches of one first run; no test changes the repository."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sprout-test-labs-")
        cls.repo = os.path.join(cls.tmp, "repo")
        os.mkdir(cls.repo)
        cls.source = make_solution_repo(cls.repo)
        cls.result = sh(cls.repo, sys.executable, LABS_PY, "generate", check=False)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def labs_py(self, *args, check=False):
        return sh(self.repo, sys.executable, LABS_PY, *args, check=check)

    def test_creates_every_branch(self):
        result = self.result
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual([l.split(":")[0] for l in result.stdout.splitlines()], self.branches())
        self.assertTrue(all(": created (" in l for l in result.stdout.splitlines()))
        self.assertEqual(result.stderr, "")
        for lab in CATALOG_LABS:
            for mode, branch in (("student", lab.student_branch),
                                 ("solution", lab.solution_branch)):
                parsed, _ = parse(mark(KERNEL_C))
                want = labs.render(parsed, labs.solved_labs(CATALOG_LABS, lab, mode))
                self.assertEqual(self.show(branch, "kernel/k.c"), want)
                self.assertEqual(self.show(branch, "labs/current"), lab.name + "\n")
                self.assertEqual(self.show(branch, "README.md"), self.show("main", "README.md"))
        self.assertIn("echo beta missing", self.show("lab/2-beta", "tools/run.sh"))
        self.assertIn("echo beta solved", self.show("solution/2-beta", "tools/run.sh"))

    def test_no_marker_remains(self):
        for branch in self.branches():
            for path in git(self.repo, "ls-tree", "-r", "--name-only", branch).splitlines():
                if path.endswith(".md"):
                    continue
                text = self.show(branch, path)
                self.assertEqual(labs.marker_lines(text), [], "%s:%s" % (branch, path))

    def test_instructor_files_stay_behind(self):
        for branch in self.branches():
            paths = git(self.repo, "ls-tree", "-r", "--name-only", branch).splitlines()
            self.assertFalse([p for p in paths if p.startswith(("labs/mutants/", "labs/forge/"))],
                             branch)

    def test_published_manifest_names_the_tests_and_grader(self):
        for branch in self.branches():
            manifest = json.loads(self.show(branch, "labs/published.json"))["files"]
            self.assertEqual(sorted(manifest), ["grade/lab_alpha.py", "kernel/tests/t.c"])
            for path, blob in manifest.items():
                self.assertEqual(git(self.repo, "rev-parse", "%s:%s" % (branch, path)), blob)

    def test_file_modes_are_kept(self):
        for branch in self.branches():
            tree = git(self.repo, "ls-tree", "-r", branch)
            self.assertRegex(tree, r"(?m)^100755 blob \w+\ttools/run\.sh$")
            self.assertRegex(tree, r"(?m)^100644 blob \w+\tkernel/k\.c$")

    def test_no_history_leak(self):
        for branch in self.branches():
            log = git(self.repo, "log", "--format=%H %P|%an <%ae>|%s", branch).splitlines()
            self.assertEqual(len(log), 1, log)
            self.assertNotIn(self.source, log[0])
            self.assertIn("|Sprout labs <labs@sprout.invalid>|", log[0])
            self.assertRegex(log[0], r"\|Lab \d \(\w+ lab\): (student|solution) branch generated "
                             r"from %s$" % self.source[:7])
            merged = sh(self.repo, "git", "merge-base", "--is-ancestor", self.source, branch,
                        check=False)
            self.assertEqual(merged.returncode, 1)

    def test_transform_command(self):
        result = self.labs_py("transform", "--lab", "2", "--mode", "student", "kernel/k.c")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("return 1;", result.stdout)
        self.assertIn("return -2;", result.stdout)
        self.assertNotIn("LAB", result.stdout)


class RegenerationTest(GeneratedBranches, TempDirTest):
    def setUp(self):
        super().setUp()
        self.source = make_solution_repo(self.repo)

    def test_rerun_is_idempotent(self):
        self.generate()
        before = self.tips()
        result = self.generate()
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stdout.splitlines(), ["%s: unchanged" % b for b in self.branches()])
        self.assertEqual(self.tips(), before)

    def test_update_fast_forwards(self):
        self.generate()
        before = self.tips()
        with open(os.path.join(self.repo, "kernel/k.c")) as f:
            text = f.read()
        write(self.repo, "kernel/k.c", text.replace("return 3;", "return 33;"))
        commit_all(self.repo, "gamma returns more")
        result = self.generate()
        self.assertEqual(result.returncode, 0, result.stderr)
        after = self.tips()
        for branch in self.branches():
            if branch == "solution/3-gamma":
                self.assertIn("solution/3-gamma: updated (%s..%s)"
                              % (before[branch][:7], after[branch][:7]), result.stdout)
                self.assertEqual(git(self.repo, "rev-parse", branch + "^"), before[branch])
                self.assertIn("return 33;", self.show(branch, "kernel/k.c"))
            else:
                self.assertIn("%s: unchanged" % branch, result.stdout)
                self.assertEqual(after[branch], before[branch])

    def test_working_tree_index_and_branch_untouched(self):
        write(self.repo, "kernel/plain.c", "int plain, changed;\n")
        write(self.repo, "kernel/new.c", "int staged;\n")
        git(self.repo, "add", "kernel/new.c")
        with open(os.path.join(self.repo, ".git/index"), "rb") as f:
            index = f.read()
        status = git(self.repo, "status", "--porcelain")
        result = self.generate()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("uncommitted changes", result.stderr)
        with open(os.path.join(self.repo, ".git/index"), "rb") as f:
            self.assertEqual(f.read(), index)
        self.assertEqual(git(self.repo, "status", "--porcelain"), status)
        self.assertEqual(git(self.repo, "symbolic-ref", "HEAD"), "refs/heads/main")
        self.assertEqual(git(self.repo, "rev-parse", "HEAD"), self.source)
        self.assertEqual(self.show("lab/1-alpha", "kernel/plain.c"), "int plain;\n")
        self.assertNotIn("kernel/new.c", git(self.repo, "ls-tree", "-r", "lab/1-alpha"))

    def test_labs_filter_and_dry_run(self):
        result = self.generate("--labs", "beta", "--dry-run")
        self.assertEqual(result.stdout.splitlines(), ["lab/2-beta: would be created",
                                                      "solution/2-beta: would be created"])
        self.assertEqual(git(self.repo, "branch", "--list"), "* main")
        result = self.generate("--labs", "beta,1")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(git(self.repo, "for-each-ref", "--format=%(refname:short)", "refs/heads"),
                         "lab/1-alpha\nlab/2-beta\nmain\nsolution/1-alpha\nsolution/2-beta")
        self.assertEqual(self.generate("--labs", "nope").returncode, 1)

    def test_skips_branch_checked_out_elsewhere(self):
        self.generate()
        tree = os.path.join(self.tmp, "wt")
        git(self.repo, "worktree", "add", "-q", tree, "lab/3-gamma")
        before = self.tips()
        with open(os.path.join(self.repo, "kernel/k.c")) as f:
            text = f.read()
        write(self.repo, "kernel/k.c", text.replace("return 2;", "return 22;"))
        commit_all(self.repo)
        result = self.generate()
        self.assertEqual(result.returncode, 1)
        self.assertIn("lab/3-gamma: skipped: it is checked out", result.stderr)
        self.assertEqual(git(self.repo, "rev-parse", "lab/3-gamma"), before["lab/3-gamma"])
        self.assertEqual(git(tree, "status", "--porcelain"), "")
        self.assertNotEqual(git(self.repo, "rev-parse", "solution/2-beta"),
                            before["solution/2-beta"])

    def test_refuses_to_extend_foreign_history(self):
        git(self.repo, "branch", "lab/1-alpha", "main")
        result = self.generate()
        self.assertEqual(result.returncode, 1)
        self.assertIn("lab/1-alpha: skipped: its history has commit %s" % self.source[:12],
                      result.stderr)
        self.assertEqual(git(self.repo, "rev-parse", "lab/1-alpha"), self.source)

    def test_refuses_broken_fences_at_head(self):
        write(self.repo, "kernel/bad.c", mark("@begin alpha\n"))
        commit_all(self.repo)
        result = self.generate()
        self.assertEqual(result.returncode, 1)
        self.assertIn("kernel/bad.c:1: BEGIN of lab alpha has no END", result.stderr)
        self.assertEqual(git(self.repo, "branch", "--list"), "* main")

    def test_refuses_to_run_on_a_generated_branch(self):
        self.generate()
        git(self.repo, "checkout", "-q", "lab/2-beta")
        result = self.generate()
        self.assertEqual(result.returncode, 1)
        self.assertIn("generated branch", result.stderr)


FAKE_GRADER = """\
'''A stand-in grader: each test passes when the lab's flag in impl.py is set.'''
import argparse, json, sys
sys.path.insert(0, ".")
import impl
TESTS = {"alpha": ["alpha/one", "alpha/two"], "beta": ["beta/one"] + impl.EXTRA}
p = argparse.ArgumentParser()
p.add_argument("--lab"); p.add_argument("--json"); p.add_argument("-j")
a = p.parse_args()
ok = lambda name: name == "beta/leaky" or getattr(impl, name.split("/")[0].upper())
tests = [{"name": n, "score": int(ok(n)), "max_score": 1,
          "status": "passed" if ok(n) else "failed", "output": ""} for n in TESTS[a.lab]]
json.dump({"score": sum(t["score"] for t in tests), "tests": tests}, open(a.json, "w"))
sys.exit(0 if all(t["status"] == "passed" for t in tests) else 1)
"""

FAKE_QEMU = """\
'''A stand-in QEMU: stops at the first lab impl.py does not implement.'''
import sys
sys.path.insert(0, ".")
import impl
for flag, handout in (("ALPHA", "docs/labs/1-alpha.md"), ("BETA", "docs/labs/2-beta.md")):
    if not getattr(impl, flag):
        # A stub that keeps the kernel working says so, or (QUIET) forgets to.
        if flag in getattr(impl, "GOES_ON", ()):
            print("works without it" + ("" if getattr(impl, "QUIET", False) else ": see " + handout))
            sys.exit(0)
        print("not implemented yet: see " + handout)
        sys.exit(3)
"""

IMPL_PY = """\
EXTRA = []
@begin alpha
ALPHA = True
@stub alpha
# ALPHA = False
@end alpha
@begin beta
BETA = True
@stub beta
# BETA = False
@end beta
"""


class VerifyTest(TempDirTest):
    def setUp(self):
        super().setUp()
        catalog = {"labs": CATALOG3["labs"][:2]}
        make_repo(self.repo, {
            "impl.py": mark(IMPL_PY, "#"),
            "grade/grade.py": FAKE_GRADER,
            "fakeqemu.py": FAKE_QEMU,
            "Makefile": "kernel:\n\t@true\nprint-qemu:\n\t@echo %s fakeqemu.py\n" % sys.executable,
        }, catalog=catalog)
        shutil.copy(LABS_PY, os.path.join(self.repo, "labs", "labs.py"))
        commit_all(self.repo)

    def verify(self, *args):
        return sh(self.repo, sys.executable, VERIFY_PY, "--repo", self.repo, *args, check=False)

    def test_good_labs_pass(self):
        # Uncommitted breakage must not matter: verify works from the committed HEAD.
        write(self.repo, "impl.py", "garbage(\n")
        result = self.verify()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("uncommitted changes", result.stderr)
        lines = result.stdout.splitlines()
        self.assertEqual(lines[-1], "%d passed, 0 failed" % (len(lines) - 1))
        self.assertIn("ok - lab/2-beta: beta/one fails on the stub", lines)
        self.assertIn("ok - lab/2-beta: every alpha test passes (2 tests)", lines)
        self.assertIn("ok - lab/1-alpha: booting with no test stops with exit status 3 and "
                      "'see docs/labs/1-alpha.md'", lines)
        self.assertIn("ok - solution/2-beta: every beta test passes (1 test)", lines)
        self.assertEqual(git(self.repo, "branch", "--list"), "* main")

    def test_stub_that_keeps_the_kernel_working(self):
        # Lab fs's stubs leave a working kernel: the boot names the handout, exits 0.
        impl = mark(IMPL_PY, "#").replace("EXTRA = []", 'EXTRA = []\nGOES_ON = ("BETA",)')
        write(self.repo, "impl.py", impl)
        commit_all(self.repo)
        result = self.verify("--labs", "beta")
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertIn("ok - lab/2-beta: booting with no test says 'see docs/labs/2-beta.md' "
                      "and goes on to exit status 0", result.stdout)
        write(self.repo, "impl.py", impl.replace("GOES_ON", "QUIET = True\nGOES_ON"))
        commit_all(self.repo)
        result = self.verify("--labs", "beta")
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("no line says 'see docs/labs/2-beta.md'", result.stdout)

    def test_test_that_passes_on_the_stub_is_named(self):
        write(self.repo, "impl.py", mark(IMPL_PY, "#").replace("EXTRA = []",
                                                              'EXTRA = ["beta/leaky"]'))
        commit_all(self.repo)
        result = self.verify("--labs", "beta")
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("FAIL - lab/2-beta: beta/leaky fails on the stub: it passes", result.stdout)
        self.assertTrue(result.stdout.splitlines()[-1].endswith(" passed, 1 failed"))
        self.assertNotIn("lab/1-alpha", result.stdout)


if __name__ == "__main__":
    unittest.main()
