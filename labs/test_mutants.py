#!/usr/bin/env python3
"""Tests of the mutant catalogue and its runner, without building or booting anything:
the parser, and that every mutant of labs/mutants/ still applies to this tree and names
graded tests that exist. (make mutants, and make test for the quick ones, then prove
each is caught.) Run: python3 -m unittest discover -s labs -p 'test_*.py'
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "grade"))
import mutants  # noqa: E402

GOOD = """# comment
== first: does one thing
file: a.c
catch: one two
says: named
quick: yes
<<<<
	x = 1;
====
	x = 2;
>>>>
file: b.c
<<<<
y
====
>>>>

== second: does another
file: a.c
catch: lab/three
says: other
<<<<
z
====
>>>>
"""


class Parser(unittest.TestCase):
    def test_mutants_fields_and_changes(self):
        first, second = mutants.parse("lab", GOOD, "lab.txt")
        self.assertEqual((first.full_name, first.what), ("lab/first", "does one thing"))
        self.assertEqual((first.catch, first.says, first.quick), (["one", "two"], "named", True))
        self.assertEqual(first.edits, [("a.c", "\tx = 1;\n", "\tx = 2;\n"), ("b.c", "y\n", "")])
        self.assertEqual((second.catch, second.quick), (["lab/three"], False))

    def test_errors_name_the_line(self):
        for text, words in [
                ("stray\n", "text before the first mutant"),
                ("== bad name here\n", "expected '== name"),
                ("== a: b\ncatch: x\nsays: y\n<<<<\nq\n====\n>>>>\n", "before any 'file:'"),
                ("== a: b\nfile: f\ncatch: x\nsays: y\n<<<<\nq\n", "needs ==== and >>>>"),
                ("== a: b\nfile: f\nsays: y\n<<<<\nq\n====\n>>>>\n", "needs a change, catch:"),
                ("== a: b\nfile: f\nwhat: y\n", "unexpected line")]:
            with self.assertRaises(mutants.CatalogueError) as caught:
                mutants.parse("lab", text, "lab.txt")
            self.assertIn(words, str(caught.exception))
            self.assertIn("lab.txt:", str(caught.exception))

    def test_the_explanation_leaves_out_what_was_expected(self):
        result = {"output": "expected: a panic matching /overflow/\ngot:      no panic"}
        self.assertEqual(mutants.explanation(result), "got:      no panic")


class Catalogue(unittest.TestCase):
    """Every mutant applies to this tree exactly, and names graded tests that exist."""

    @classmethod
    def setUpClass(cls):
        cls.mutants = mutants.load()

    def test_at_least_ten_per_lab_and_some_quick(self):
        for lab in ("bump", "trap", "lock", "sched", "buddy", "vm"):
            mine = [m for m in self.mutants if m.lab == lab]
            self.assertGreaterEqual(len(mine), 10, lab)
            self.assertTrue(any(m.quick for m in mine), lab)

    def test_changes_apply_once(self):
        for m in self.mutants:
            for path, search, _ in m.edits:
                with open(os.path.join(ROOT, path)) as f:
                    count = f.read().count(search)
                self.assertEqual(count, 1, "%s: the text to replace occurs %d times in %s"
                                 % (m.full_name, count, path))

    def test_catching_tests_exist(self):
        import gradelib
        tests = {}
        for m in self.mutants:
            if m.lab not in tests:
                tests[m.lab] = {t.name for t in gradelib.load_lab(m.lab).tests}
            for name in m.catch:
                lab, _, test = name.rpartition("/")
                self.assertIn(test, tests[lab or m.lab], "%s catches with %s" % (m.full_name,
                                                                                 name))


if __name__ == "__main__":
    unittest.main()
