"""The grader's own tests of what makes forging costly and grading honest: the seeded
numbers shared with the kernel, the witness check, the models of the labs, reading the
kernel's machine code, and grading with the published files (published.py). No QEMU
or kernel needed. Run: python3 -m unittest discover -s grade -p 'test_*.py'
"""

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gradelib  # noqa: E402
import published  # noqa: E402


def run_of(text, seed=7, tests=("w.one",), status=0, token="t0k"):
    """A Run as if a boot had printed text (KTEST lines with token t0k)."""
    return gradelib.Run(list(tests), token, f"test={tests[0]} token={token} seed={seed}", 1, [],
                        [], None, 30.0, text, status, None, 0.1, seed=seed)


class Numbers(unittest.TestCase):
    """SplitMix and fold must give exactly what kernel/debug/ktest.c gives."""

    def test_splitmix_is_splitmix64(self):
        # splitmix64's published first outputs from state 0 (seed 0, stream 0).
        r = gradelib.SplitMix(0, 0)
        self.assertEqual([r.next() for _ in range(3)],
                         [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F])

    def test_streams_differ_and_range_is_inclusive(self):
        a, b = gradelib.SplitMix(5, 1), gradelib.SplitMix(5, 2)
        self.assertNotEqual(a.next(), b.next())
        r = gradelib.SplitMix(9, 3)
        values = {r.range(3, 5) for _ in range(200)}
        self.assertEqual(values, {3, 4, 5})

    def test_fold_is_fnv1a_over_the_bytes(self):
        def fnv(data):
            h = 0xCBF29CE484222325
            for byte in data:
                h = ((h ^ byte) * 0x100000001B3) % (1 << 64)
            return h
        value = 0x0123456789ABCDEF
        self.assertEqual(gradelib.fold(gradelib.DIGEST_INIT, value),
                         fnv(value.to_bytes(8, "little")))
        self.assertEqual(gradelib.fold_all([1, 2]),
                         fnv((1).to_bytes(8, "little") + (2).to_bytes(8, "little")))


def witness_lab(model):
    lab = gradelib.Lab("w")

    @lab.test(points=1)
    def one(t):
        pass

    lab.witness("w")(model)
    return lab.tests[0]


class Witness(unittest.TestCase):
    """A passing test's boots must show their suite's witness, right for the seed."""

    def setUp(self):
        def model(run, info):
            want = gradelib.SplitMix(run.seed, 1).range(0, 99)
            if info.get("value") != want:
                raise AssertionError(f"value {info.get('value')}, the model says {want}")
        self.test = witness_lab(model)
        self.value = gradelib.SplitMix(7, 1).range(0, 99)

    def text(self, witness):
        return "\n".join([witness, "KTEST t0k START w.one", "KTEST t0k PASS w.one",
                          "KTEST t0k DONE passed=1 failed=0 skipped=0"])

    def check(self, witness, seed=7):
        gradelib.check_witnesses(self.test, run_of(self.text(witness), seed))

    def test_right_witness_passes(self):
        self.check(f"KTEST t0k INFO w.witness seed=7 value={self.value}")

    def test_missing_witness_fails(self):
        with self.assertRaises(gradelib.GradeFailure) as caught:
            self.check("")
        self.assertIn("no w.witness line", caught.exception.got)

    def test_witness_of_another_seed_fails(self):
        with self.assertRaises(gradelib.GradeFailure) as caught:
            self.check(f"KTEST t0k INFO w.witness seed=8 value={self.value}")
        self.assertIn("seed=8", caught.exception.got)

    def test_wrong_values_fail_with_the_models_words(self):
        with self.assertRaises(gradelib.GradeFailure) as caught:
            self.check(f"KTEST t0k INFO w.witness seed=7 value={self.value + 1}")
        self.assertIn("the model says", caught.exception.got)

    def test_a_witness_with_another_token_does_not_count(self):
        with self.assertRaises(gradelib.GradeFailure):
            self.check(f"KTEST f00 INFO w.witness seed=7 value={self.value}")

    def test_failed_witness_fails_the_test(self):
        run = run_of(self.text("KTEST t0k FAIL w.witness: the relay stopped"), status=2)
        with self.assertRaises(gradelib.GradeFailure) as caught:
            run.expect_pass("w.one")
        self.assertIn("the relay stopped", caught.exception.got)

    def test_a_test_registered_twice_fails_the_test(self):
        run = run_of("KTEST t0k FAIL harness: w.one is registered twice\n" + self.text(""))
        with self.assertRaises(gradelib.GradeFailure) as caught:
            run.expect_pass("w.one")
        self.assertIn("registered twice", caught.exception.got)


class Models(unittest.TestCase):
    """The labs' models against cases worked out by hand."""

    def test_buddy_model_splits_low_and_merges_back(self):
        import lab_buddy
        m = lab_buddy.BuddyModel()
        self.assertEqual(m.alloc(0), 0)  # the lower half each time
        self.assertEqual(m.alloc(0), 1)  # its buddy, split off first
        self.assertEqual(m.alloc(3), 8)
        self.assertEqual(m.splits, 10)
        m.release(1, 0)
        m.release(8, 3)
        m.release(0, 0)
        self.assertEqual([len(f) for f in m.free], [0] * 10 + [1])
        self.assertEqual(m.merges, 10)

    def test_page_table_model_counts_tables_and_undoes(self):
        import lab_vm
        m = lab_vm.PageTableModel()
        self.assertEqual(m.map(0x1000, 0x90000000, 1, 2), 0)
        self.assertEqual(m.count_tables(), 3)
        self.assertEqual(m.map(0x1FF000, 0x91000000, 2, 2), 0)  # into the next level-0 table
        self.assertEqual(m.count_tables(), 4)
        self.assertEqual(m.map(0x1FE000, 0x92000000, 2, 2), -2)  # runs into 0x1ff000
        self.assertIsNone(m.translate(0x1FE000))  # undone
        self.assertEqual(m.translate(0x1FF123), (0x91000123, 2))

    def test_bump_model_rounds_up_each_block(self):
        import lab_bump
        self.assertEqual(lab_bump.align_up(0x1001, 0x1000), 0x2000)
        self.assertEqual(lab_bump.align_up(0x1000, 0x1000), 0x1000)


FAKE_OBJDUMP = r'''
print("""
build/kernel.elf:     file format elf64-littleriscv

Disassembly of section .text:

0000000080200000 <spin_lock>:
    80200000:	amoswap.w.aq	a5,a5,(s1)
    80200004:	jalr	-726(ra) # 80200100 <helper>
    80200008:	ret

0000000080200100 <helper>:
    80200100:	fence	iorw,ow
""")
'''


class Disassembly(unittest.TestCase):
    def test_functions_offsets_and_call_targets(self):
        tmp = Path(tempfile.mkdtemp(prefix="sprout-objdump-"))
        self.addCleanup(shutil.rmtree, tmp, True)
        tool = tmp / "objdump"
        tool.write_text(f"#!{sys.executable}\n" + FAKE_OBJDUMP)
        tool.chmod(0o755)
        session = gradelib.Session(root=tmp, qemu_command=lambda n: [], objdump=str(tool))
        self.assertEqual(session.disassemble("spin_lock"),
                         [(0, "amoswap.w.aq", "a5,a5,(s1)"),
                          (4, "jalr", "-726(ra) <helper>"), (8, "ret", "")])
        self.assertEqual(session.disassemble("helper"), [(0, "fence", "iorw,ow")])
        self.assertIsNone(session.disassemble("nothing"))

    def test_fence_orders(self):
        import lab_lock
        self.assertTrue(lab_lock.fence_orders("iorw,ow", "rw", "w"))
        self.assertTrue(lab_lock.fence_orders("r,rw", "r", "rw"))
        self.assertFalse(lab_lock.fence_orders("w,unknown", "r", "rw"))
        self.assertFalse(lab_lock.fence_orders("w,w", "rw", "w"))


def git(cwd, *args, env=None):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


class Published(unittest.TestCase):
    """grade.py grades with the files a lab branch was published with."""

    def setUp(self):
        if not shutil.which("git"):
            self.skipTest("needs git")
        self.root = Path(tempfile.mkdtemp(prefix="sprout-published-"))
        self.addCleanup(shutil.rmtree, self.root, True)
        files = {"grade/lab_x.py": "graded = True\n", "kernel/tests/x_test.c": "int test;\n",
                 "kernel/debug/ktest.c": "int harness;\n", "kernel/mm/x.c": "int mine;\n"}
        for path, text in files.items():
            (self.root / path).parent.mkdir(parents=True, exist_ok=True)
            (self.root / path).write_text(text)
        manifest = {"files": {p: published.blob_id(t.encode()) for p, t in files.items()
                              if published.is_published(p)}}
        (self.root / "labs").mkdir()
        (self.root / published.MANIFEST).write_text(json.dumps(manifest))
        git(self.root, "init", "-q")
        git(self.root, "add", "-A")
        env = dict(os.environ, GIT_AUTHOR_NAME="Sprout labs",
                   GIT_AUTHOR_EMAIL=published.GENERATOR_EMAIL, GIT_COMMITTER_NAME="Sprout labs",
                   GIT_COMMITTER_EMAIL=published.GENERATOR_EMAIL)
        git(self.root, "commit", "-qm", "published", env=env)
        os.environ.pop(published.CHECKED_ENV, None)

    def test_blob_id_is_gits(self):
        (self.root / "blob").write_bytes(b"hello\n")
        self.assertEqual(published.blob_id(b"hello\n"),
                         git(self.root, "hash-object", "blob"))

    def test_an_untouched_tree_is_graded_as_it_is(self):
        out = io.StringIO()
        self.assertEqual(published.prepare(self.root, out), self.root)
        self.assertEqual(out.getvalue(), "")

    def test_changed_files_are_put_back_in_a_copy(self):
        (self.root / "grade/lab_x.py").write_text("graded = 'always'\n")
        (self.root / "kernel/tests/mine.c").write_text("int extra;\n")
        (self.root / "kernel/mm/x.c").write_text("int changed;\n")
        # Editing the working tree's manifest changes nothing: the commit's is used.
        (self.root / published.MANIFEST).write_text('{"files": {}}')
        out = io.StringIO()
        tree = published.prepare(self.root, out)
        self.assertEqual(tree, self.root / published.SCRATCH)
        self.assertEqual((tree / "grade/lab_x.py").read_text(), "graded = True\n")
        self.assertFalse((tree / "kernel/tests/mine.c").exists())
        self.assertEqual((tree / "kernel/mm/x.c").read_text(), "int changed;\n")
        self.assertIn("grade/lab_x.py (changed)", out.getvalue())
        self.assertIn("kernel/tests/mine.c (not published)", out.getvalue())

    def test_without_history_it_warns_and_grades_the_tree(self):
        shutil.rmtree(self.root / ".git")
        (self.root / "kernel/tests/x_test.c").write_text("int forged;\n")
        out = io.StringIO()
        self.assertEqual(published.prepare(self.root, out), self.root)
        self.assertIn("warning", out.getvalue())
        self.assertIn("kernel/tests/x_test.c (changed)", out.getvalue())

    def test_the_solution_tree_has_no_manifest(self):
        (self.root / published.MANIFEST).unlink()
        shutil.rmtree(self.root / ".git")
        self.assertEqual(published.prepare(self.root, io.StringIO()), self.root)


if __name__ == "__main__":
    unittest.main()
