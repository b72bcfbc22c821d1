"""Tests of mkfs and mkfs --check against the on-disk format.

Images are read back by the Image class below, written from the format's description
in kernel/abi/fs_format.h and not from mkfs's code; a small C program checks that the
header's numbers, sizes and offsets are the ones this reader assumes. Then --check must
pass good images, name each problem planted in a damaged one, and survive random
damage; and mkfs must refuse bad input without leaving an image behind.

From the repository root:  python3 -m unittest discover -s mkfs -p 'test_*.py'
MKFS_BUILD=dir builds into dir instead of build/ (`make mkfstest` passes its BUILD).
"""

import os
import random
import shutil
import struct
import subprocess
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("MKFS_BUILD", "build"))
MKFS = REPO / BUILD / "mkfs"
MKFS_ASAN = REPO / BUILD / "mkfs-asan"  # runs every --check and every refusal
SANITIZER_EXIT = 66  # so that a sanitizer report cannot pass for exit status 1
ENV = dict(os.environ,
           ASAN_OPTIONS=f"exitcode={SANITIZER_EXIT}:detect_leaks=0",
           UBSAN_OPTIONS=f"halt_on_error=1:print_stacktrace=1:exitcode={SANITIZER_EXIT}")

# The format, as this reader understands it (checked against the header below).
BSIZE = 1024
MAGIC = 0x53467053
VERSION = 1
ROOT = 1
T_DIR, T_FILE, T_DEVICE = 1, 2, 3
NDIRECT, NINDIRECT = 11, 256
MAX_FILE_BLOCKS = NDIRECT + NINDIRECT + NINDIRECT * NINDIRECT
MAX_FILE_SIZE = MAX_FILE_BLOCKS * BSIZE
NAME_LEN = 28
LOG_MAX = 30

# Every struct field as (name, struct-module format), little-endian, no padding.
STRUCTS = {
    "fs_superblock": [("magic", "I"), ("version", "I"), ("nblocks", "I"), ("ninodes", "I"),
                      ("log_start", "I"), ("nlog", "I"), ("inode_start", "I"),
                      ("bitmap_start", "I"), ("data_start", "I")],
    "fs_inode": [("type", "H"), ("major", "H"), ("minor", "H"), ("nlink", "H"),
                 ("size", "I"), ("addrs", f"{NDIRECT + 2}I")],
    "fs_dirent": [("inum", "I"), ("name", f"{NAME_LEN}s")],
    "fs_log_header": [("count", "I"), ("blocks", f"{LOG_MAX}I")],
    "stat": [("dev", "I"), ("ino", "I"), ("type", "H"), ("nlink", "H"), ("pad", "I"),
             ("size", "Q")],
}
CONSTANTS = {
    "FS_BLOCK_SIZE": BSIZE, "FS_MAGIC": MAGIC, "FS_VERSION": VERSION, "FS_ROOT_INUM": ROOT,
    "T_DIR": T_DIR, "T_FILE": T_FILE, "T_DEVICE": T_DEVICE, "FS_NDIRECT": NDIRECT,
    "FS_NINDIRECT": NINDIRECT, "FS_INDIRECT": NDIRECT, "FS_DOUBLE_INDIRECT": NDIRECT + 1,
    "FS_NADDRS": NDIRECT + 2, "FS_MAX_FILE_BLOCKS": MAX_FILE_BLOCKS,
    "FS_MAX_FILE_SIZE": MAX_FILE_SIZE, "FS_NAME_LEN": NAME_LEN, "FS_LOG_MAX": LOG_MAX,
    "FS_INODES_PER_BLOCK": BSIZE // 64, "FS_DIRENTS_PER_BLOCK": BSIZE // 32,
    "FS_BITS_PER_BLOCK": BSIZE * 8,
}


def fmt(struct_name):
    return struct.Struct("<" + "".join(f for _, f in STRUCTS[struct_name]))


SUPER, INODE, DIRENT, LOGHDR = (fmt(s) for s in
                                ("fs_superblock", "fs_inode", "fs_dirent", "fs_log_header"))


class Image:
    """Reads and edits an image, knowing only the format."""

    def __init__(self, data):
        self.data = bytearray(data)
        self.sb = dict(zip((n for n, _ in STRUCTS["fs_superblock"]),
                           SUPER.unpack_from(self.data, BSIZE)))

    def set_super(self, **fields):
        self.sb.update(fields)
        SUPER.pack_into(self.data, BSIZE, *self.sb.values())

    def block(self, b):
        return bytes(self.data[b * BSIZE:(b + 1) * BSIZE])

    def word(self, b, i):
        return struct.unpack_from("<I", self.data, b * BSIZE + 4 * i)[0]

    def inode(self, inum):
        v = INODE.unpack_from(self.data, self.sb["inode_start"] * BSIZE + inum * INODE.size)
        return dict(type=v[0], major=v[1], minor=v[2], nlink=v[3], size=v[4], addrs=list(v[5:]))

    def set_inode(self, inum, **fields):
        ino = dict(self.inode(inum), **fields)
        INODE.pack_into(self.data, self.sb["inode_start"] * BSIZE + inum * INODE.size,
                        ino["type"], ino["major"], ino["minor"], ino["nlink"], ino["size"],
                        *ino["addrs"])

    def set_addr(self, inum, i, b):
        addrs = self.inode(inum)["addrs"]
        addrs[i] = b
        self.set_inode(inum, addrs=addrs)

    def bmap(self, inum, n):
        """The disk block holding file block n of inode inum."""
        addrs = self.inode(inum)["addrs"]
        if n < NDIRECT:
            return addrs[n]
        n -= NDIRECT
        if n < NINDIRECT:
            return self.word(addrs[NDIRECT], n)
        n -= NINDIRECT
        return self.word(self.word(addrs[NDIRECT + 1], n // NINDIRECT), n % NINDIRECT)

    def blocks_of(self, inum):
        """Every block inode inum uses: its data blocks, then its indirect blocks."""
        ino = self.inode(inum)
        data = [self.bmap(inum, n) for n in range(-(-ino["size"] // BSIZE))]
        ind, dind = ino["addrs"][NDIRECT], ino["addrs"][NDIRECT + 1]
        meta = [b for b in [ind, dind] if b]
        if dind:
            meta += [self.word(dind, i) for i in range(NINDIRECT) if self.word(dind, i)]
        return data + meta

    def read(self, inum):
        size = self.inode(inum)["size"]
        return b"".join(self.block(self.bmap(inum, n)) for n in range(-(-size // BSIZE)))[:size]

    def entries(self, inum):
        """[(name, inum)] of a directory, empty slots left out."""
        data = self.read(inum)
        found = (DIRENT.unpack_from(data, off) for off in range(0, len(data), DIRENT.size))
        return [(name.rstrip(b"\0").decode(), i) for i, name in found if i]

    def entry_offset(self, dir_inum, name):
        """Byte offset in the image of the entry called name."""
        for off in range(0, self.inode(dir_inum)["size"], DIRENT.size):
            b = self.bmap(dir_inum, off // BSIZE)
            at = b * BSIZE + off % BSIZE
            if DIRENT.unpack_from(self.data, at)[1].rstrip(b"\0").decode() == name:
                return at
        raise KeyError(name)

    def set_entry(self, dir_inum, name, inum=None, new_name=None):
        at = self.entry_offset(dir_inum, name)
        old_inum, old_name = DIRENT.unpack_from(self.data, at)
        DIRENT.pack_into(self.data, at, old_inum if inum is None else inum,
                         old_name if new_name is None else new_name.encode())

    def add_entry(self, dir_inum, name, inum):
        """Appends an entry; the directory's last block must have room."""
        size = self.inode(dir_inum)["size"]
        assert size % BSIZE, "the test directory's last block is full"
        DIRENT.pack_into(self.data, self.bmap(dir_inum, size // BSIZE) * BSIZE + size % BSIZE,
                         inum, name.encode())
        self.set_inode(dir_inum, size=size + DIRENT.size)

    def used(self, b):
        return self.data[self.sb["bitmap_start"] * BSIZE + b // 8] >> (b % 8) & 1

    def set_used(self, b, used):
        at = self.sb["bitmap_start"] * BSIZE + b // 8
        self.data[at] = self.data[at] | 1 << (b % 8) if used else self.data[at] & ~(1 << (b % 8))

    def add_dir(self, parent, name):
        """A new, empty directory in parent, the way the kernel's mkdir will leave it."""
        inum = next(i for i in range(ROOT + 1, self.sb["ninodes"]) if not self.inode(i)["type"])
        b = next(b for b in range(self.sb["data_start"], self.sb["nblocks"]) if not self.used(b))
        self.set_used(b, True)
        self.data[b * BSIZE:(b + 1) * BSIZE] = bytes(BSIZE)
        DIRENT.pack_into(self.data, b * BSIZE, inum, b".")
        DIRENT.pack_into(self.data, b * BSIZE + DIRENT.size, parent, b"..")
        self.set_inode(inum, type=T_DIR, major=0, minor=0, nlink=2, size=2 * DIRENT.size,
                       addrs=[b] + [0] * (NDIRECT + 1))
        self.add_entry(parent, name, inum)
        self.set_inode(parent, nlink=self.inode(parent)["nlink"] + 1)  # its ".." names parent
        return inum


def run(*args, binary=MKFS_ASAN):
    return subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True,
                          env=ENV, errors="replace", timeout=120)


def setUpModule():
    subprocess.run(["make", "-s", "-f", "mkfs/mkfs.mk", f"BUILD={BUILD}", str(BUILD / "mkfs"),
                    str(BUILD / "mkfs-asan")], cwd=REPO, check=True)


class TempDirTest(unittest.TestCase):
    maxDiff = None  # show the whole difference: a layout mismatch is worth reading

    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="mkfs-test-"))
        self.addCleanup(shutil.rmtree, self.dir)

    def write_files(self, files, under="in"):
        """Writes {name: bytes} into a fresh folder; returns their paths."""
        folder = self.dir / under
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)
        return [folder / name for name in files]

    def check(self, image_path):
        """--check's output; fails the test on any exit status but 0 or 1."""
        proc = run("--check", image_path)
        self.assertIn(proc.returncode, (0, 1), f"--check crashed:\n{proc.stdout}{proc.stderr}")
        return proc

    def build(self, files, *options):
        """An image of files ({name: bytes}) that --check passes."""
        image_path = self.dir / "fs.img"
        proc = run(image_path, *options, *self.write_files(files), binary=MKFS)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr, "")
        checked = self.check(image_path)
        self.assertEqual(checked.returncode, 0, checked.stdout)
        self.assertTrue(checked.stdout.startswith("clean:"), checked.stdout)
        return Image(image_path.read_bytes())


def pattern(nbytes, seed):
    """nbytes of which each 1 KiB block differs from every other block of every pattern,
    so that a block read from the wrong place shows."""
    nblocks = -(-nbytes // BSIZE)
    return b"".join(struct.pack("<II", seed, n) * (BSIZE // 8) for n in range(nblocks))[:nbytes]


class FormatTest(TempDirTest):
    """The header says what the reader above assumes."""

    def test_header_matches_the_reader(self):
        # label -> (C expression, the value this file assumes)
        shown = {name: (name, value) for name, value in CONSTANTS.items()}
        for sname, fields in STRUCTS.items():
            shown[f"sizeof {sname}"] = (f"sizeof(struct {sname})", fmt(sname).size)
            for i, (field, _) in enumerate(fields):
                offset = struct.calcsize("<" + "".join(f for _, f in fields[:i]))
                shown[f"{sname}.{field}"] = (f"offsetof(struct {sname}, {field})", offset)
        program = "".join(
            ["#include <stddef.h>\n#include <stdio.h>\n",
             '#include "abi/fs_format.h"\n#include "abi/stat.h"\n', "int main(void)\n{\n"]
            + [f'\tprintf("{label}=%llu\\n", (unsigned long long)({expr}));\n'
               for label, (expr, _) in shown.items()]
            + ["\treturn 0;\n}\n"])
        (self.dir / "layout.c").write_text(program)
        subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", f"-I{REPO / 'kernel'}",
                        "-o", str(self.dir / "layout"), str(self.dir / "layout.c")], check=True)
        out = subprocess.run([str(self.dir / "layout")], capture_output=True, text=True,
                             check=True).stdout
        found = dict(line.split("=") for line in out.splitlines())
        self.assertEqual({label: int(value) for label, value in found.items()},
                         {label: value for label, (_, value) in shown.items()})

    def compile_alone(self, header, compiler, *flags):
        src = self.dir / "alone.c"
        src.write_text(f'#include "abi/{header}"\n')
        subprocess.run([compiler, "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic",
                        *flags, f"-I{REPO / 'kernel'}", "-fsyntax-only", str(src)], check=True)

    def test_headers_stand_alone(self):
        text = (REPO / "kernel/abi/fs_format.h").read_text()
        includes = [line for line in text.splitlines() if line.startswith("#include")]
        self.assertEqual(includes, ["#include <stdint.h>"])
        for header in ("fs_format.h", "stat.h"):
            self.compile_alone(header, "cc")

    @unittest.skipUnless(shutil.which("riscv64-unknown-elf-gcc"), "no RISC-V compiler")
    def test_kernel_compiler_agrees(self):
        """The _Static_asserts hold for the compiler the kernel is built with."""
        for header in ("fs_format.h", "stat.h"):
            self.compile_alone(header, "riscv64-unknown-elf-gcc", "-ffreestanding",
                               "-march=rv64imac_zicsr_zifencei", "-mabi=lp64")


class BuildTest(TempDirTest):
    """mkfs writes what the format says, read back by Image."""

    def assert_files(self, img, files):
        """Root holds ".", ".." and files (in order, names as given), each read back."""
        root = img.inode(ROOT)
        self.assertEqual((root["type"], root["nlink"]), (T_DIR, 2))
        entries = img.entries(ROOT)
        self.assertEqual([name for name, _ in entries], [".", ".."] + list(files))
        self.assertEqual(entries[:2], [(".", ROOT), ("..", ROOT)])
        for name, inum in entries[2:]:
            ino = img.inode(inum)
            self.assertEqual((ino["type"], ino["nlink"], ino["size"]),
                             (T_FILE, 1, len(files[name])), name)
            self.assertEqual(img.read(inum), files[name], name)
        return dict(entries)

    def assert_blocks_accounted(self, img, ninodes_used):
        """Each used block belongs to one inode, and the bitmap says exactly that."""
        used = [b for i in range(ROOT, ROOT + ninodes_used) for b in img.blocks_of(i)]
        self.assertEqual(len(used), len(set(used)), "a block is used twice")
        expected = set(range(img.sb["data_start"])) | set(used)
        self.assertEqual({b for b in range(img.sb["nblocks"]) if img.used(b)}, expected)

    def test_small_files_read_back(self):
        files = {"_sh": b"#!shell\n" * 10, "README": b"hello\n", "empty": b"",
                 "one_block": pattern(BSIZE, 1), "all_direct": pattern(NDIRECT * BSIZE, 2)}
        img = self.build(files)
        files = {name.removeprefix("_"): data for name, data in files.items()}
        sb = img.sb
        self.assertEqual((sb["magic"], sb["version"], sb["nblocks"], sb["ninodes"]),
                         (MAGIC, VERSION, 4096, 256))
        self.assertEqual((sb["log_start"], sb["nlog"]), (2, 1 + LOG_MAX))
        self.assertEqual(sb["inode_start"], sb["log_start"] + sb["nlog"])
        self.assertEqual(sb["bitmap_start"], sb["inode_start"] + 256 // 16)
        self.assertEqual(sb["data_start"], sb["bitmap_start"] + 1)
        self.assertEqual(len(img.data), 4096 * BSIZE)
        self.assertEqual(img.block(0), bytes(BSIZE))
        self.assertEqual(LOGHDR.unpack_from(img.data, sb["log_start"] * BSIZE)[0], 0)
        self.assertEqual(img.inode(0)["type"], 0)
        inums = self.assert_files(img, files)
        self.assertEqual(img.inode(inums["all_direct"])["addrs"][NDIRECT:], [0, 0])
        self.assertEqual(img.inode(len(files) + ROOT + 1)["type"], 0)
        self.assert_blocks_accounted(img, 1 + len(files))

    def test_file_past_the_direct_blocks_uses_the_indirect_block(self):
        files = {"seventy": pattern(70 * 1024 + 123, 3)}
        img = self.build(files)
        inum = self.assert_files(img, files)["seventy"]
        self.assertNotEqual(img.inode(inum)["addrs"][NDIRECT], 0)
        self.assertEqual(img.inode(inum)["addrs"][NDIRECT + 1], 0)
        self.assert_blocks_accounted(img, 2)

    def test_file_of_several_mib_uses_the_double_indirect_block(self):
        files = {"big": pattern(3 * 1024 * 1024 + 5, 4), "after": b"still here"}
        img = self.build(files, "--blocks", 8192)
        inum = self.assert_files(img, files)["big"]
        self.assertNotEqual(img.inode(inum)["addrs"][NDIRECT + 1], 0)
        self.assert_blocks_accounted(img, 3)

    def test_largest_file_fits(self):
        files = {"largest": pattern(MAX_FILE_SIZE, 5)}
        img = self.build(files, "--blocks", MAX_FILE_BLOCKS + 400)
        self.assert_files(img, files)

    def test_root_directory_grows_past_its_direct_blocks(self):
        files = {f"f{i:03}": bytes([i % 256]) for i in range(400)}
        img = self.build(files, "--inodes", 512)
        self.assertGreater(img.inode(ROOT)["size"], NDIRECT * BSIZE)
        self.assert_files(img, files)
        self.assert_blocks_accounted(img, 401)

    def test_name_of_exactly_the_entry_length_fits(self):
        name = "n" * NAME_LEN
        img = self.build({"_" + name: b"x"})
        self.assertEqual(img.entries(ROOT)[2][0], name)

    def test_same_input_gives_the_same_image(self):
        files = {"a": b"a", "b": pattern(5000, 6)}
        self.assertEqual(self.build(files).data, self.build(files).data)

    def test_replaces_an_older_image_and_leaves_no_temporary_file(self):
        (self.dir / "fs.img").write_bytes(b"an older image")
        self.build({"a": b"a"})
        self.assertEqual(sorted(p.name for p in self.dir.iterdir()), ["fs.img", "in"])

    def test_a_directory_added_later_passes_the_check(self):
        img = self.build({"a": b"a"})
        sub = img.add_dir(ROOT, "sub")
        img.add_dir(sub, "deeper")
        (self.dir / "fs.img").write_bytes(img.data)
        proc = self.check(self.dir / "fs.img")
        self.assertEqual(proc.returncode, 0, proc.stdout)

    def test_help_explains_the_underscore(self):
        proc = run("--help")
        self.assertEqual(proc.returncode, 0)
        self.assertIn("user/_sh", proc.stdout)
        self.assertIn("--check", proc.stdout)


class CheckTest(TempDirTest):
    """--check names each problem planted in a good image."""

    FILES = {"_small": b"s" * 100, "medium": pattern(20 * 1024, 7), "other": b"o" * 3000}
    SMALL, MEDIUM, OTHER = 2, 3, 4  # their inodes, in command-line order after the root

    def setUp(self):
        super().setUp()
        self.good = self.build(self.FILES, "--blocks", 512, "--inodes", 64).data

    def damaged(self, damage, *expected):
        """Applies damage(img) to a copy of the good image; --check must fail and say each
        expected string. Returns its output."""
        img = Image(self.good)
        damage(img)
        path = self.dir / "damaged.img"
        path.write_bytes(img.data)
        proc = self.check(path)
        self.assertEqual(proc.returncode, 1, proc.stdout)
        for text in expected:
            self.assertIn(text, proc.stdout)
        return proc.stdout

    def test_bad_magic(self):
        self.damaged(lambda img: img.set_super(magic=0x12345678),
                     "superblock: magic is 0x12345678")

    def test_bad_version(self):
        self.damaged(lambda img: img.set_super(version=7), "format version 7")

    def test_overlapping_regions(self):
        self.damaged(lambda img: img.set_super(inode_start=img.sb["log_start"] + 1),
                     "overlaps the log")

    def test_truncated_image(self):
        for size in (len(self.good) - BSIZE, len(self.good) - 100):
            self.damaged(lambda img: img.data.__delitem__(slice(size, None)),
                         f"says 512 blocks ({512 * BSIZE} bytes) but the image is {size} bytes")
        self.damaged(lambda img: img.data.__delitem__(slice(1000, None)),
                     "1000 bytes, too small to hold a superblock")

    def test_data_block_out_of_range(self):
        self.damaged(lambda img: img.set_addr(self.SMALL, 0, 600),
                     f"inode {self.SMALL}: data block 600 is out of range")

    def test_indirect_block_out_of_range(self):
        self.damaged(lambda img: img.set_addr(self.MEDIUM, NDIRECT, 1),
                     f"inode {self.MEDIUM}: indirect block 1 is out of range")

    def test_block_used_twice(self):
        shared = Image(self.good).inode(self.SMALL)["addrs"][0]
        self.damaged(lambda img: img.set_addr(self.OTHER, 0, shared),
                     f"block {shared}: used twice, by inode {self.SMALL} and by inode {self.OTHER}")

    def test_used_block_free_in_bitmap(self):
        b = Image(self.good).inode(self.OTHER)["addrs"][1]
        self.damaged(lambda img: img.set_used(b, False),
                     f"block {b}: used by inode {self.OTHER} but free in the bitmap")

    def test_metadata_block_free_in_bitmap(self):
        self.damaged(lambda img: img.set_used(1, False), "block 1: a metadata block")

    def test_many_problems_are_cut_short(self):
        def damage(img):
            start = img.sb["bitmap_start"] * BSIZE
            img.data[start:start + BSIZE] = b"\xff" * BSIZE
        good = Image(self.good)
        free = sum(not good.used(b) for b in range(good.sb["nblocks"]))
        out = self.damaged(damage, f"... and {free - 100} more problems", f": {free} problems")
        self.assertEqual(len(out.splitlines()), 100 + 2)

    def test_unused_block_marked_in_bitmap(self):
        self.damaged(lambda img: img.set_used(511, True),
                     "block 511: in use in the bitmap but no inode uses it")

    def test_wrong_link_count(self):
        self.damaged(lambda img: img.set_inode(self.SMALL, nlink=2),
                     f"inode {self.SMALL}: nlink is 2, but directory entries naming it: 1")
        self.damaged(lambda img: img.set_inode(ROOT, nlink=3),
                     f"inode {ROOT}: nlink is 3, but directory entries naming it: 2")

    def test_root_dotdot_not_root(self):
        self.damaged(lambda img: img.set_entry(ROOT, "..", inum=self.SMALL),
                     f"directory {ROOT} (root): '..' names inode {self.SMALL}")

    def test_subdirectory_dotdot_wrong(self):
        def damage(img):
            a, b = img.add_dir(ROOT, "a"), img.add_dir(ROOT, "b")
            img.set_entry(a, "..", inum=b)
            img.set_inode(ROOT, nlink=3)
            img.set_inode(b, nlink=3)
        self.damaged(damage, "directory 5: '..' names inode 6, but its entry is in directory 1")

    def test_dot_missing_or_wrong(self):
        self.damaged(lambda img: img.set_entry(ROOT, ".", new_name="dot"),
                     f"directory {ROOT}: no '.' entry")
        self.damaged(lambda img: img.set_entry(ROOT, ".", inum=self.SMALL),
                     f"directory {ROOT}: '.' names inode {self.SMALL}, not itself")

    def test_directories_cut_off_in_a_loop(self):
        def damage(img):
            a = img.add_dir(ROOT, "a")
            b = img.add_dir(a, "b")
            img.set_entry(ROOT, "a", inum=0)  # unlink a from the root...
            img.set_inode(ROOT, nlink=2)
            img.add_entry(b, "a", a)  # ...and hang it below b
            img.set_entry(a, "..", inum=b)
            img.set_inode(b, nlink=3)  # a's ".." names it now
        self.damaged(damage, "directory 5: not reachable from the root",
                     "directory 6: not reachable from the root")

    def test_entry_names_a_free_inode(self):
        self.damaged(lambda img: img.add_entry(ROOT, "ghost", 10),
                     f"directory {ROOT}: entry 'ghost' names free inode 10")

    def test_odd_name_stays_on_one_line(self):
        out = self.damaged(lambda img: img.add_entry(ROOT, "two\nlines", 10),
                           f"directory {ROOT}: entry 'two?lines' names free inode 10")
        self.assertEqual(len(out.splitlines()), 2)

    def test_entry_names_an_inode_past_the_table(self):
        self.damaged(lambda img: img.add_entry(ROOT, "far", 1000),
                     f"directory {ROOT}: entry 'far' names inode 1000, past the last inode 63")

    def test_name_twice_in_a_directory(self):
        self.damaged(lambda img: img.add_entry(ROOT, "other", self.OTHER),
                     f"directory {ROOT}: name 'other' appears twice")

    def test_size_larger_than_the_blocks(self):
        self.damaged(lambda img: img.set_inode(self.SMALL, size=5000),
                     f"inode {self.SMALL}: size 5000 needs 5 blocks but 4 of them are not mapped")

    def test_size_smaller_than_the_blocks(self):
        self.damaged(lambda img: img.set_inode(self.MEDIUM, size=100),
                     f"inode {self.MEDIUM}: 20 blocks mapped past its size 100")

    def test_unknown_inode_type(self):
        self.damaged(lambda img: img.set_inode(self.OTHER, type=9),
                     f"inode {self.OTHER}: unknown type 9")

    def test_root_not_a_directory(self):
        self.damaged(lambda img: img.set_inode(ROOT, type=T_FILE), "not a directory")

    def test_log_not_empty(self):
        def damage(img):
            LOGHDR.pack_into(img.data, img.sb["log_start"] * BSIZE, 2, img.sb["data_start"],
                             1, *[0] * (LOG_MAX - 2))
        self.damaged(damage, "log: not empty: 2 committed blocks not yet installed",
                     "log: entry 1 is block 1, outside")

    def test_log_count_past_the_log(self):
        def damage(img):
            struct.pack_into("<I", img.data, img.sb["log_start"] * BSIZE, 99)
        self.damaged(damage, "log: header counts 99 blocks, but the log holds at most 30")

    def test_unreadable_image(self):
        proc = run("--check", self.dir / "missing.img")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("missing.img: No such file or directory", proc.stderr)


class RefusalTest(TempDirTest):
    """mkfs refuses bad input: status 1, one line saying why, and no image written."""

    def refuse(self, args, reason):
        """Runs mkfs with no image present, then with an older one: the reason must be
        given both times, and the folder must be left as it was."""
        image = self.dir / "fs.img"
        for old in (None, b"an older image"):
            if old is not None:
                image.write_bytes(old)
            before = sorted(p.name for p in self.dir.iterdir())
            proc = run(*[image if a == "IMAGE" else a for a in args])
            self.assertEqual(proc.returncode, 1, proc.stderr)
            self.assertEqual(proc.stdout, "")
            lines = proc.stderr.splitlines()
            self.assertEqual(len(lines), 1, proc.stderr)
            self.assertTrue(lines[0].startswith("mkfs: "), lines[0])
            self.assertIn(reason, lines[0])
            self.assertEqual(sorted(p.name for p in self.dir.iterdir()), before)
            if old is not None:
                self.assertEqual(image.read_bytes(), old)

    def test_missing_file(self):
        self.refuse(["IMAGE", self.dir / "nothere"], "nothere: No such file or directory")

    def test_directory_as_file(self):
        (self.dir / "folder").mkdir()
        self.refuse(["IMAGE", self.dir / "folder"], "folder: not a regular file")

    @unittest.skipIf(os.geteuid() == 0, "root reads any file")
    def test_unreadable_file(self):
        path, = self.write_files({"secret": b"x"})
        path.chmod(0)
        self.refuse(["IMAGE", path], "secret: Permission denied")

    @unittest.skipUnless(os.path.exists("/proc/self/mem"), "no /proc/self/mem")
    def test_file_that_cannot_be_read(self):
        # A regular file whose first byte fails to read, even for root.
        self.refuse(["IMAGE", "/proc/self/mem"], "/proc/self/mem: Input/output error")

    def test_name_too_long(self):
        path, = self.write_files({"n" * (NAME_LEN + 1): b"x"})
        self.refuse(["IMAGE", path], f"is longer than the {NAME_LEN} characters")

    def test_duplicate_name(self):
        a, = self.write_files({"_x": b"1"}, under="a")
        b, = self.write_files({"x": b"2"}, under="b")
        self.refuse(["IMAGE", a, b], f"name 'x' is already taken by {a}")

    def test_reserved_and_empty_names(self):
        dot, bare = self.write_files({"_.": b"1", "_": b"2"})
        self.refuse(["IMAGE", dot], "name '.' is taken by the directory itself")
        self.refuse(["IMAGE", bare], "leaves an empty file name")

    def test_out_of_blocks(self):
        path, = self.write_files({"big": bytes(200 * 1024)})
        self.refuse(["IMAGE", "--blocks", 100, path], "big: does not fit in 100 blocks")

    def test_out_of_blocks_for_the_directory(self):
        # 150 empty files need no data blocks, but their entries need 5 directory blocks,
        # and 53 blocks leave 3 after the metadata.
        files = self.write_files({f"e{i}": b"" for i in range(150)})
        self.refuse(["IMAGE", "--blocks", 53, *files], "no room for the directory entry")

    def test_out_of_inodes(self):
        files = self.write_files({"a": b"a", "b": b"b", "c": b"c"})
        self.refuse(["IMAGE", "--inodes", 4, *files], "c: no free inode left (--inodes 4")

    def test_file_too_large(self):
        path = self.dir / "in" / "huge"
        path.parent.mkdir()
        with open(path, "wb") as f:
            f.truncate(MAX_FILE_SIZE + 1)  # sparse: no disk space needed
        self.refuse(["IMAGE", "--blocks", 70000, path],
                    f"huge: too large: a file holds at most {MAX_FILE_SIZE} bytes")

    def test_too_few_blocks_for_the_layout(self):
        self.refuse(["IMAGE", "--blocks", 40], "--blocks 40 is too small")

    def test_nonsense_options(self):
        cases = [
            (["IMAGE", "--blocks"], "--blocks needs a number"),
            (["IMAGE", "--blocks", "abc"], "--blocks abc: not a number"),
            (["IMAGE", "--blocks", "0"], "--blocks 0: not a number from 1"),
            (["IMAGE", "--blocks", "-5"], "--blocks -5: not a number"),
            (["IMAGE", "--blocks", "12x"], "--blocks 12x: not a number"),
            (["IMAGE", "--blocks", "99999999999"], "not a number from 1 to 262144"),
            (["IMAGE", "--inodes", "1"], "--inodes 1: not a number from 2"),
            (["IMAGE", "--frobnicate"], "unknown option --frobnicate"),
            ([], "no IMAGE given"),
            (["--check"], "no IMAGE given"),
            (["--check", "IMAGE", "extra"], "--check takes one IMAGE and nothing else"),
            (["--check", "--blocks", "64", "IMAGE"], "--check takes one IMAGE"),
        ]
        for args, reason in cases:
            with self.subTest(args=args):
                self.refuse(args, reason)


class FuzzTest(TempDirTest):
    """--check on randomly damaged images: any verdict, but always a verdict."""

    SEED, ROUNDS = 20240611, 300

    def test_random_damage_never_crashes(self):
        # Big enough for a double-indirect file, small enough to damage often.
        files = {"big": pattern(300 * 1024, 8), "_small": b"x" * 50, "empty": b""}
        good = self.build(files, "--blocks", 420, "--inodes", 32).data
        meta_end = Image(good).sb["data_start"] * BSIZE
        rng = random.Random(self.SEED)
        path = self.dir / "fuzz.img"
        verdicts = set()
        for round_ in range(self.ROUNDS):
            data = bytearray(good)
            kind = rng.choice(["metadata", "anywhere", "superblock", "garbage", "truncate"])
            if kind == "truncate":
                del data[rng.randrange(len(data)):]
            elif kind == "superblock":
                value = rng.choice([0, 1, 2, 31, 420, 2**31, 2**32 - 1, rng.getrandbits(32)])
                struct.pack_into("<I", data, BSIZE + 4 * rng.randrange(9), value)
            elif kind == "garbage":
                b = rng.randrange(2, 40)
                data[b * BSIZE:(b + 1) * BSIZE] = rng.randbytes(BSIZE)
            else:
                end = meta_end if kind == "metadata" else len(data)
                for _ in range(rng.randint(1, 8)):
                    data[rng.randrange(BSIZE, end)] ^= 1 << rng.randrange(8)
            path.write_bytes(data)
            proc = self.check(path)  # fails on a signal or a sanitizer report
            if proc.returncode == 1:
                self.assertTrue(proc.stdout.strip(), f"round {round_}: status 1, no reason")
            verdicts.add(proc.returncode)
        self.assertEqual(verdicts, {0, 1})  # some flips are harmless, most are not
