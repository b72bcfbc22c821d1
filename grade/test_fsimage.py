"""Tests of grade/fsimage.py, the host side of lab 8's grader: that it reads images as the
kernel writes them, recovers a log as the kernel must, and agrees with the kernel tests
on the bytes of their files. Needs build/mkfs (make -f mkfs/mkfs.mk build/mkfs) and a
host C compiler; what is missing is skipped.
Run: python3 -m unittest discover -s grade -p 'test_*.py'
"""

import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fsimage  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MKFS = ROOT / "build" / "mkfs"

# Prints what kernel/tests/fs_util.h computes, to compare with fsimage's formulas.
PROBE_C = r"""
#include <stdio.h>
#include "tests/fs_util.h"
int main(void)
{
	for (unsigned i = 0; i < 3000; i += 7)
		printf("%u %u %u\n", fs_pattern(3, 77, i), fs_pattern(5, 1, i + 1024), pattern_bin(i));
	return 0;
}
"""


class WithImage(unittest.TestCase):
    def setUp(self):
        if not MKFS.exists():
            self.skipTest("needs build/mkfs (make -f mkfs/mkfs.mk build/mkfs)")
        self.dir = Path(tempfile.mkdtemp(prefix="sprout-fsimage-test-"))
        self.data = bytes(range(256)) * 60  # 15 KiB: past the direct blocks
        (self.dir / "data.bin").write_bytes(self.data)
        (self.dir / "small.txt").write_bytes(b"hello\n")
        self.path = self.dir / "fs.img"
        subprocess.run([str(MKFS), str(self.path), "--blocks", "600", "--inodes", "32",
                        str(self.dir / "data.bin"), str(self.dir / "small.txt")],
                       check=True, capture_output=True)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_reads_what_mkfs_wrote(self):
        img = fsimage.Image(self.path)
        self.assertEqual(img.sb["nblocks"], 600)
        names = {name for name, _, _ in img.entries(fsimage.ROOT_INUM)}
        self.assertEqual(names, {".", "..", "data.bin", "small.txt"})
        self.assertEqual(img.read(img.lookup("/data.bin")), self.data)
        self.assertEqual(img.read(img.lookup("/small.txt")), b"hello\n")
        self.assertIsNone(img.lookup("/nope"))
        self.assertIsNone(img.lookup("/small.txt/x"))

    def test_recovery_installs_the_log_once(self):
        img = fsimage.Image(self.path)
        inum = img.lookup("/small.txt")
        ip = img.inode(inum)
        home = ip.addrs[0]
        img.set_log([home], [b"new contents\n".ljust(fsimage.BLOCK, b"\0")])
        img.save()
        clean, said = fsimage.mkfs_check(ROOT, self.path)
        self.assertFalse(clean)
        self.assertIn("log: not empty", said)
        img = fsimage.Image(self.path)
        self.assertEqual(img.recover(), 1)
        self.assertEqual(img.recover(), 0)
        self.assertEqual(bytes(img.block(home)[:13]), b"new contents\n")
        img.save()
        self.assertTrue(fsimage.mkfs_check(ROOT, self.path)[0])

    def test_refuses_a_bad_log(self):
        img = fsimage.Image(self.path)
        struct.pack_into("<I", img.data, img.sb["log_start"] * fsimage.BLOCK, 999)
        with self.assertRaises(fsimage.ImageError):
            img.recover()
        img.set_log([1], [bytes(fsimage.BLOCK)])
        with self.assertRaises(fsimage.ImageError):
            img.recover()


class Model(unittest.TestCase):
    def test_steps(self):
        states = fsimage.crash_model(40)
        self.assertIsNone(states[0])
        self.assertEqual(states[1].entries(), {"step"})
        for k in range(1, 41):
            step, _ = states[k].files()["step"]
            self.assertEqual(struct.unpack("<I", step)[0], k)
        # Every kind of step happens: links (nlink 2), a subdirectory, unlinks.
        self.assertTrue(any(n == 2 for s in states[1:] for _, n in s.files().values()))
        self.assertTrue(any(s.sub is not None for s in states[1:]))
        self.assertTrue(any(len(s.entries()) < len(p.entries())
                            for p, s in zip(states[1:], states[2:])))
        sizes = {len(d) for s in states[1:] for d, _ in s.files().values()}
        self.assertTrue(max(sizes) > fsimage.NDIRECT * fsimage.BLOCK)

    def test_formulas_agree_with_the_kernel_tests(self):
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            self.skipTest("needs a host C compiler")
        with tempfile.TemporaryDirectory() as tmp:
            src, exe = Path(tmp) / "probe.c", Path(tmp) / "probe"
            src.write_text(PROBE_C)
            subprocess.run([cc, "-std=c11", "-I", str(ROOT / "kernel"), "-o", str(exe),
                            str(src)], check=True)
            out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
        a, b = fsimage.pattern(3, 77, 3000), fsimage.pattern(5, 1, 4100)
        for i, line in zip(range(0, 3000, 7), out.splitlines()):
            p, q, r = map(int, line.split())
            self.assertEqual((p, q, r), (a[i], b[i + 1024], (i + i // 1024 * 7) % 251), i)

    def test_fnv(self):
        self.assertEqual(fsimage.fnv1a(b""), 2166136261)
        self.assertEqual(fsimage.fnv1a(b"a"), 0xe40c292c)


if __name__ == "__main__":
    unittest.main()
