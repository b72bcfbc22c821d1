"""Sprout file-system images on the host, for lab 8's grader (grade/lab_fs.py).

- Image: reads an image as the kernel does (superblock, inodes, block maps, directories),
  installs a committed log the way recovery must, and writes damage into a copy.
- mkfs_check: runs `build/mkfs --check` on an image.
- crash_model: what /crash holds after each step of the crash workload, which
  kernel/tests/fs_crash_test.c runs (the two must agree on the steps).

The format is kernel/abi/fs_format.h: 1 KiB blocks, little-endian fields.
"""

import functools
import struct
import subprocess
from pathlib import Path

BLOCK = 1024
MAGIC = 0x53467053
ROOT_INUM = 1
NDIRECT, NINDIRECT = 11, BLOCK // 4
MAX_FILE_BLOCKS = NDIRECT + NINDIRECT + NINDIRECT * NINDIRECT
T_DIR, T_FILE, T_DEVICE = 1, 2, 3
LOG_MAX = 30

SUPER = struct.Struct("<9I")  # magic version nblocks ninodes log_start nlog inode_start
#                               bitmap_start data_start
INODE = struct.Struct("<4HI13I")  # type major minor nlink size addrs[13]
DIRENT = struct.Struct("<I28s")
INODES_PER_BLOCK = BLOCK // INODE.size
SUPER_FIELDS = ("magic", "version", "nblocks", "ninodes", "log_start", "nlog", "inode_start",
                "bitmap_start", "data_start")


class ImageError(Exception):
    """The image contradicts itself where the grader reads it."""


class Inode:
    """One disk inode, as fields."""

    def __init__(self, inum, raw):
        self.inum = inum
        self.type, self.major, self.minor, self.nlink, self.size, *addrs = INODE.unpack(raw)
        self.addrs = list(addrs)

    def pack(self):
        return INODE.pack(self.type, self.major, self.minor, self.nlink, self.size, *self.addrs)


class Image:
    """An image file in memory; save() writes it back (or elsewhere)."""

    def __init__(self, path):
        self.path = Path(path)
        self.data = bytearray(self.path.read_bytes())
        if len(self.data) < 2 * BLOCK:
            raise ImageError(f"{path}: {len(self.data)} bytes, no superblock")
        self.sb = dict(zip(SUPER_FIELDS, SUPER.unpack_from(self.data, BLOCK)))

    def save(self, path=None):
        Path(path or self.path).write_bytes(self.data)

    # ---- raw access

    def block(self, b):
        if not 0 <= b < len(self.data) // BLOCK:
            raise ImageError(f"block {b} is past the image's end")
        return memoryview(self.data)[b * BLOCK:(b + 1) * BLOCK]

    def set_super(self, **fields):
        self.sb.update(fields)
        SUPER.pack_into(self.data, BLOCK, *(self.sb[f] for f in SUPER_FIELDS))

    def _inode_at(self, inum):
        return (self.sb["inode_start"] + inum // INODES_PER_BLOCK) * BLOCK + \
            inum % INODES_PER_BLOCK * INODE.size

    def inode(self, inum):
        if not 0 < inum < self.sb["ninodes"]:
            raise ImageError(f"inode {inum} is outside 1-{self.sb['ninodes'] - 1}")
        at = self._inode_at(inum)
        return Inode(inum, bytes(self.data[at:at + INODE.size]))

    def put_inode(self, ip):
        at = self._inode_at(ip.inum)
        self.data[at:at + INODE.size] = ip.pack()

    def _entry(self, b, i):
        if not self.sb["data_start"] <= b < self.sb["nblocks"]:
            raise ImageError(f"block {b} is not a data block")
        return struct.unpack_from("<I", self.data, b * BLOCK + 4 * i)[0]

    # ---- files

    def bmap(self, ip, bn):
        """The disk block of file block bn of inode ip (0 if none)."""
        if bn < NDIRECT:
            return ip.addrs[bn]
        bn -= NDIRECT
        if bn < NINDIRECT:
            return ip.addrs[NDIRECT] and self._entry(ip.addrs[NDIRECT], bn)
        bn -= NINDIRECT
        dind = ip.addrs[NDIRECT + 1]
        ind = dind and self._entry(dind, bn // NINDIRECT)
        return ind and self._entry(ind, bn % NINDIRECT)

    def read(self, inum):
        ip = self.inode(inum)
        out = bytearray()
        for bn in range((ip.size + BLOCK - 1) // BLOCK):
            b = self.bmap(ip, bn)
            if not self.sb["data_start"] <= b < self.sb["nblocks"]:
                raise ImageError(f"inode {inum}: file block {bn} is block {b}")
            out += self.block(b)
        return bytes(out[:ip.size])

    def entries(self, inum):
        """[(name, inum, offset)] of directory inum, empty slots left out."""
        data = self.read(inum)
        out = []
        for off in range(0, len(data) - len(data) % DIRENT.size, DIRENT.size):
            n, raw = DIRENT.unpack_from(data, off)
            if n:
                out.append((raw.split(b"\0", 1)[0].decode("latin-1"), n, off))
        return out

    def lookup(self, path):
        """The inode number path names (absolute), or None."""
        inum = ROOT_INUM
        for name in [p for p in path.split("/") if p]:
            if self.inode(inum).type != T_DIR:
                return None
            found = [n for e, n, _ in self.entries(inum) if e == name]
            if not found:
                return None
            inum = found[0]
        return inum

    def dir_block(self, inum, bn=0):
        """The disk block of directory inum's file block bn."""
        return self.bmap(self.inode(inum), bn)

    # ---- the log

    def log_count(self):
        return struct.unpack_from("<I", self.data, self.sb["log_start"] * BLOCK)[0]

    def recover(self):
        """Installs a committed transaction as the kernel's recovery must; returns how
        many blocks it copied home."""
        start = self.sb["log_start"]
        count, *blocks = struct.unpack_from(f"<{1 + LOG_MAX}I", self.data, start * BLOCK)
        if count > min(LOG_MAX, self.sb["nlog"] - 1):
            raise ImageError(f"log header counts {count} blocks")
        for i in range(count):
            if not self.sb["inode_start"] <= blocks[i] < self.sb["nblocks"]:
                raise ImageError(f"log entry {i} is block {blocks[i]}")
            self.block(blocks[i])[:] = self.block(start + 1 + i)
        struct.pack_into("<I", self.data, start * BLOCK, 0)
        return count

    def set_log(self, blocks, copies):
        """Writes a committed transaction into the log: copies[i] for home blocks[i]."""
        start = self.sb["log_start"]
        for i, data in enumerate(copies):
            self.block(start + 1 + i)[:] = data
        struct.pack_into(f"<{1 + len(blocks)}I", self.data, start * BLOCK, len(blocks), *blocks)


def mkfs_check(root, image):
    """(clean?, what `build/mkfs --check image` printed)."""
    done = subprocess.run([str(Path(root) / "build" / "mkfs"), "--check", str(image)],
                          capture_output=True, text=True, timeout=60)
    return done.returncode == 0, (done.stdout + done.stderr).strip()


@functools.lru_cache(maxsize=4096)
def fnv1a(data):
    """FNV-1a, 32 bits, as kernel/tests/fs_util.c computes it."""
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xffffffff
    return h


@functools.lru_cache(maxsize=4096)
def pattern(seed, version, n):
    """fs_pattern(seed, version, i) for i < n (kernel/tests/fs_util.h)."""
    return bytes((i * 31 + (i >> 10) * 17 + version * 101 + seed * 7) % 251 for i in range(n))


# ---- the crash workload's model (kernel/tests/fs_crash_test.c)

SIZES = (100, 1024, 3000, 8192, 11264, 15000, 500)
KINDS = (0, 4, 1, 2, 3)
MAX_SIZE = 20000


class CrashState:
    """What /crash holds after a step: names -> inode ids, ids -> contents; sub is None or
    the contents of sub/inner (it holds nothing else)."""

    def __init__(self, step, names, contents, sub):
        self.step, self.names, self.contents, self.sub = step, names, contents, sub

    def files(self):
        """{name: (contents, nlink)} of /crash's files."""
        links = {}
        for ident in self.names.values():
            links[ident] = links.get(ident, 0) + 1
        return {name: (self.contents[ident], links[ident]) for name, ident in self.names.items()}

    def entries(self):
        """The names /crash lists (besides . and ..)."""
        return set(self.names) | ({"sub"} if self.sub is not None else set())


def crash_model(last):
    """[CrashState after step k for k in 0..last]; state 0 has no /crash (None)."""
    states = [None]
    names, contents, sub, fresh = {}, {}, None, iter(range(1, 1 << 30))

    def write(name, data):
        if name in names:
            contents[names[name]] = data
        else:
            names[name] = next(fresh)
            contents[names[name]] = data

    for s in range(1, last + 1):
        if s >= 2:
            f, seed, kind = "abcd"[s % 4], s % 4 + 1, KINDS[(s // 4) % 5]
            if kind == 0:
                write(f, pattern(seed, s, SIZES[s % 7]))
            elif kind == 1:
                if f not in names or len(contents[names[f]]) + 2500 > MAX_SIZE:
                    write(f, pattern(seed, s, 2500))
                else:
                    contents[names[f]] = contents[names[f]] + pattern(seed, s, 2500)
            elif kind == 2:
                if f in names:
                    del names[f]
                else:
                    write(f, pattern(seed, s, 700))
            elif kind == 3:
                sub = None if sub is not None else pattern(5, s, 4000)
            elif f + ".ln" in names:
                del names[f + ".ln"]
            elif f in names:
                names[f + ".ln"] = names[f]
            else:
                write(f, pattern(seed, s, 900))
        write("step", struct.pack("<I", s))
        live = set(names.values())
        contents = {k: v for k, v in contents.items() if k in live}
        states.append(CrashState(s, dict(names), dict(contents), sub))
    return states


def image_crash_state(image):
    """(step, {name: (contents, nlink)}, entries of /crash, sub/inner's contents or None)
    as image holds them; step 0 and empty for an image without /crash."""
    crash = image.lookup("/crash")
    if crash is None:
        return 0, {}, set(), None
    files, entries, sub = {}, set(), None
    for name, inum, _ in image.entries(crash):
        if name in (".", ".."):
            continue
        entries.add(name)
        ip = image.inode(inum)
        if name == "sub":
            inner = [n for e, n, _ in image.entries(inum) if e == "inner"]
            sub = image.read(inner[0]) if inner else b""
        elif ip.type == T_FILE:
            files[name] = (image.read(inum), ip.nlink)
    step = struct.unpack("<I", files["step"][0])[0] if "step" in files else -1
    return step, files, entries, sub
