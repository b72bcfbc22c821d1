"""Lab 8, a crash-safe file system: graded tests.

Each test boots the kernel with a disk: a copy of build/fs.img (`make fsimage`) made for
that test, so parallel tests never share one, kept as build/grade-fs/<test>.img so that a
failure can be looked at. The in-kernel tests (kernel/tests/fs_*.c) run right after the
file system's boot step. After a test's boots, the host checker (`build/mkfs --check`)
must find the image clean.

The crash tests boot one image again and again. Each boot stops the machine at a crash
point (kernel argument crash=POINT:N, kernel/fs/crash.h) or is killed at a random moment;
then the image is checked on the host (a copy, recovered the way the kernel must: clean
for mkfs --check, every file as after some whole step of the workload), and the next
boot's kernel must recover to exactly that state. grade/fsimage.py models the workload.
"""
import random
import re
import shutil
import struct
import subprocess

from gradelib import GradeFailure, Lab
import fsimage

lab = Lab("fs")

COMMIT_POINTS = ("logged", "header", "install", "installed")
STEPS_PER_BOOT = 30  # kernel/tests/fs_crash_test.c


def own_image(t, keep=False):
    """A copy of build/fs.img for boots that share it: in the test's scratch directory, or
    with keep, as build/grade-fs/<test>.img, which stays after the test so that a failure
    can be looked at (`build/mkfs --check` it, or `make qemu DISK=` it)."""
    if keep:
        path = t.session.root / "build" / "grade-fs" / f"{t.test.name}.img"
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        path = t.scratch() / "fs.img"
    shutil.copyfile(t.session.image, path)
    return path


def kept(image, func):
    """Runs func(); a failure says where the image it worked on is."""
    note = f"\n          (the image, as the last boot left it: {image})"
    try:
        return func()
    except GradeFailure as e:
        raise GradeFailure(f"{e.got}{note}", e.expected, e.run)
    except AssertionError as e:
        raise GradeFailure(f"{e}{note}")


def expect_clean(t, image, when):
    """build/mkfs --check finds image clean."""
    clean, said = fsimage.mkfs_check(t.session.root, image)
    if not clean:
        t.fail(f"mkfs --check {when}:\n" + "\n".join("    " + l for l in said.splitlines()),
               "mkfs --check finds the image clean")


def boot_and_check(t, test, **options):
    """Boots test on a fresh image of its own, kept as build/grade-fs/<test>.img; it must
    pass and leave the image clean."""
    image = own_image(t, keep=True)
    run = t.boot(test, disk=image, disk_copy=False, **options)
    # The boot started from a fresh copy of build/fs.img: so must its reproduction.
    run.disk = (t.session.image, True)
    run.expect_pass(test)
    expect_clean(t, image, f"after {test}")
    return run


@lab.test(points=10)
def large_file(t):
    """A file mkfs made and a 1 MiB file, read and written through the direct, indirect
    and double-indirect blocks; the block map at each boundary; many requests in flight."""
    run = boot_and_check(t, "fs.large_file", timeout=60)
    info = run.info("fs.large_file")
    if info["max_in_flight"] < 2:
        raise AssertionError(f"at most {info['max_in_flight']} disk request in flight: the "
                             "commit does not keep several at once")


@lab.test(points=10)
def max_file(t):
    """The largest file the format allows (65803 blocks, 64.3 MiB) on a 68 MiB disk: one
    byte more fails with EFBIG, every block reads back, and the unlink frees them all."""
    image = t.session.root / "build" / "grade-fs" / "max_file.img"
    image.parent.mkdir(parents=True, exist_ok=True)
    made = subprocess.run([str(t.session.root / "build" / "mkfs"), str(image), "--blocks",
                           "70000", "--inodes", "64", str(t.session.root / "README.md")],
                          capture_output=True, text=True)
    if made.returncode != 0:
        t.fail(f"mkfs could not make a 68 MiB image: {made.stderr.strip()}")
    t.boot("fs.max_file", disk=image, disk_copy=False, timeout=240).expect_pass("fs.max_file")
    expect_clean(t, image, "after fs.max_file")
    image.unlink()  # 68 MiB: kept only when the test fails


@lab.test(points=10)
def large_delete(t):
    """A 601-block file takes exactly its blocks and indirect blocks, and every one comes
    back when it is unlinked, truncated, or closed after an unlink while open."""
    boot_and_check(t, "fs.large_delete", timeout=60)


@lab.test(points=10)
def files(t):
    """Files of every size around the block boundaries, directories and their link counts,
    relative paths, hard links, and the error of each kind of bad request."""
    boot_and_check(t, "fs.files")


@lab.test(points=10)
def descriptors(t):
    """Descriptor tables (dup, fork's copy, a full table), pipes, the console device file,
    and reads into a user address space with a bad user address."""
    boot_and_check(t, "fs.descriptors")


@lab.test(points=10)
def concurrent(t):
    """Threads on two harts write, check and delete files and directories at once: their
    operations share transactions, and nothing is lost."""
    boot_and_check(t, "fs.concurrent", cpus=2, timeout=60)


# ---- crash tests

def check_kernel_state(run, test, state):
    """The state the crash workload reports after recovery is `state` (a CrashState or
    None). Returns its first INFO line's values (step, recovered)."""
    infos = run.infos(test)
    head = next((i for i in infos if "state" in i), None)
    if head is None:
        raise AssertionError(f"{test} reported no state after the mount")
    step = state.step if state else 0
    if head["step"] != step:
        raise AssertionError(f"after recovery /crash/step says {head['step']}, but the disk "
                             f"must hold the state after step {step}")
    files = {i["file"]: i for i in infos if "file" in i}
    dirs = {i["dir"]: str(i["entries"]) for i in infos if "dir" in i}
    want = state.files() if state else {}
    got_names = set(dirs.get("/crash", "-").split(",")) - {"-"}
    want_names = state.entries() if state else set()
    if got_names != want_names:
        raise AssertionError(f"after recovery /crash lists {sorted(got_names)}, but after step "
                             f"{step} it holds {sorted(want_names)}")
    for name, (data, nlink) in want.items():
        got = files.get(f"/crash/{name}")
        expected = (len(data), fsimage.fnv1a(data), nlink)
        if got is None or (got["size"], got["hash"], got["nlink"]) != expected:
            seen = got and (got["size"], hex(got["hash"]), got["nlink"])
            raise AssertionError(
                f"after recovery /crash/{name} has (size, hash, nlink) {seen}, but after "
                f"step {step} it is ({expected[0]}, {hex(expected[1])}, {expected[2]})")
    if state and state.sub is not None:
        got = files.get("/crash/sub/inner")
        if got is None or (got["size"], got["hash"]) != (4000, fsimage.fnv1a(state.sub)):
            raise AssertionError(f"after recovery /crash/sub/inner is wrong after step {step}")
    return head


def host_state(t, image, when):
    """Recovers a copy of image as the kernel must, checks it with mkfs --check, and returns
    what /crash holds: (step, files, entries, sub)."""
    copy = t.scratch() / "recovered.img"
    shutil.copyfile(image, copy)
    img = fsimage.Image(copy)
    try:
        img.recover()
    except fsimage.ImageError as e:
        t.fail(f"{when}, the log cannot be recovered: {e}")
    img.save()
    expect_clean(t, copy, f"{when}, once the log is installed")
    try:
        return fsimage.image_crash_state(img)
    except (fsimage.ImageError, KeyError, IndexError) as e:
        t.fail(f"{when}, /crash cannot be read on the host: {e}")


def check_host_state(t, got, state, when):
    """The host's view of /crash equals `state` exactly: whole steps, nothing torn."""
    step, files, entries, sub = got
    want_step = state.step if state else 0
    if step != want_step:
        t.fail(f"{when}, /crash/step holds {step}", f"step {want_step}")
    want = state.files() if state else {}
    if entries != (state.entries() if state else set()):
        t.fail(f"{when}, /crash lists {sorted(entries)}",
               f"the names after step {want_step}: {sorted(state.entries() if state else [])}")
    for name, (data, nlink) in want.items():
        if name not in files or files[name] != (data, nlink):
            have = files.get(name)
            desc = "missing" if have is None else f"{len(have[0])} bytes, nlink {have[1]}"
            torn = ""
            if have is not None and len(have[0]) == len(data):
                bad = [i // 1024 for i in range(0, len(data), 1024)
                       if have[0][i:i + 1024] != data[i:i + 1024]]
                torn = f"; blocks {bad} differ from the state after step {want_step}"
            t.fail(f"{when}, /crash/{name} is {desc}{torn}",
                   f"{len(data)} bytes, nlink {nlink}, as after step {want_step}")
    if (state.sub if state else None) != sub:
        t.fail(f"{when}, /crash/sub is not as after step {want_step}")


def crash_boot(t, test, image, spec, model, known, until=None):
    """Boots test (fs.crash or fs.crash_random) on image, which holds the state after step
    `known`, with crash=spec or stopped when `until` appears; checks what the kernel
    recovered. Returns the run."""
    extra = f"crash={spec}" if spec else ""
    run = t.boot(test, disk=image, disk_copy=False, extra_args=extra, until=until,
                 timeout=60)
    if spec and not spec.startswith("recover"):
        check_kernel_state(run, test, model[known])
    if spec and not re.search(rf"^sprout: crash point {re.escape(spec)}: the machine stops",
                              run.text, re.M):
        failed = run.events(("FAIL",), test)
        why = run.lines[failed[0][0]] if failed else "it was never reached"
        t.fail(f"no crash at {spec}: {why}", f"the machine stopped at crash point {spec}")
    if spec and run.panics():
        t.fail(f"a panic: {run.panics()[0][1]}")
    return run


def done_steps(run, test):
    """The steps test said it finished in this boot, with their commit counts."""
    return [(i["step"], i["commits"]) for i in run.infos(test) if "done" in i]


def finish_chain(t, test, image, model, known):
    """A last boot without a crash: recovery, then every step of a boot; the image the
    kernel leaves must be clean as it is."""
    run = t.boot(test, disk=image, disk_copy=False, timeout=60)
    check_kernel_state(run, test, model[known])
    run.expect_pass(test)
    expect_clean(t, image, "after the last boot of the chain")
    return known + STEPS_PER_BOOT


@lab.test(points=20)
def crash(t):
    """50 crashes at each step of a commit (after the log copies, after the header, during
    and after the install) and during recovery: the host checker finds each image clean
    once recovered, the disk holds exactly the steps committed, and the kernel recovers
    to that same state."""
    image = own_image(t, keep=True)
    kept(image, lambda: crash_chain(t, "fs.crash", image))


def crash_chain(t, test, image):
    model = fsimage.crash_model(10 * STEPS_PER_BOOT)
    schedule = []
    for r in range(10):
        for i, point in enumerate(COMMIT_POINTS):
            schedule.append((point, 1 + (r + i) % 4))
            if point == "install":
                schedule.append(("recover", 2 + r % 2))
    known, previous = 0, None
    for point, n in schedule:
        spec = f"{point}:{n}"
        run = crash_boot(t, test, image, spec, model, known)
        if point != "recover":
            recovered = run.info(test)["recovered"]
            if previous and (recovered > 0) != (previous != "logged"):
                t.fail(f"after a crash at {previous}, the mount recovered {recovered} blocks",
                       "nothing after a crash before the commit point, the transaction "
                       "after one past it")
        previous = point
        if point == "recover":
            if run.events(("START",), test):
                t.fail(f"crash={spec} let the mount finish", "a crash during recovery")
            after = known
        else:
            done = done_steps(run, test)
            want = [(known + i, i) for i in range(1, n)]
            if done != want:
                t.fail(f"with crash={spec} the steps done were (step, commits) {done}",
                       f"{want}: one commit per step")
            after = known + n - (1 if point == "logged" else 0)
        got = host_state(t, image, f"after crash={spec}")
        check_host_state(t, got, model[after], f"after crash={spec}")
        known = after
    finish_chain(t, test, image, model, known)


@lab.test(points=10)
def crash_random(t):
    """12 crashes at random moments: QEMU killed while steps run, and crashes before a
    random disk write; each time the image is clean once recovered and holds whole steps."""
    image = own_image(t, keep=True)
    kept(image, lambda: random_chain(t, "fs.crash_random", image, random.randrange(1 << 30)))


def random_chain(t, test, image, seed):
    rng = random.Random(seed)
    model = fsimage.crash_model(14 * STEPS_PER_BOOT)
    known = 0
    for r in range(12):
        if r % 2 == 0:
            stop_after = known + rng.randint(1, 12)
            until = rf"^KTEST \S+ INFO {re.escape(test)} done step={stop_after}\b"
            run = crash_boot(t, test, image, None, model, known, until=until)
            check_kernel_state(run, test, model[known])
            if run.stopped != "until":
                t.fail(f"{test} never said it finished step {stop_after} (seed {seed})")
            when, low = f"after a kill past step {stop_after} (seed {seed})", stop_after
        else:
            spec = f"write:{rng.randint(1, 250)}"
            crash_boot(t, test, image, spec, model, known)
            when, low = f"after crash={spec} (seed {seed})", known
        got = host_state(t, image, when)
        if not low <= got[0] <= known + STEPS_PER_BOOT:
            t.fail(f"{when}, /crash/step holds {got[0]}",
                   f"a step from {low} to {known + STEPS_PER_BOOT}")
        check_host_state(t, got, model[got[0]], when)
        known = got[0]
    finish_chain(t, test, image, model, known)


# ---- damaged images

def file_inum(img, path):
    inum = img.lookup(path)
    if inum is None:
        raise AssertionError(f"build/fs.img has no {path}")
    return inum


def set_fields(img, path, **fields):
    ip = img.inode(file_inum(img, path) if isinstance(path, str) else path)
    for k, v in fields.items():
        if k.startswith("addr"):
            ip.addrs[int(k[4:])] = v
        else:
            setattr(ip, k, v)
    img.put_inode(ip)
    return ip.inum


def put_entry(img, block, index, value):
    struct.pack_into("<I", img.data, block * fsimage.BLOCK + 4 * index, value)


def damage_dirent(img):
    root = img.inode(fsimage.ROOT_INUM)
    off = next(o for name, _, o in img.entries(fsimage.ROOT_INUM) if name == "README.md")
    put_entry(img, img.bmap(root, off // fsimage.BLOCK), off % fsimage.BLOCK // 4, 60000)


def damage_indirect(img):
    ip = img.inode(file_inum(img, "/pattern.bin"))
    put_entry(img, ip.addrs[fsimage.NDIRECT], 5, 5000000)


def damage_garbage(img):
    rng = random.Random(8)
    sb = img.sb
    # The inode table past the root's block, and the root directory's data.
    for b in range(sb["inode_start"] + 1, sb["bitmap_start"]):
        img.block(b)[:] = bytes(rng.randrange(256) for _ in range(fsimage.BLOCK))
    root = img.inode(fsimage.ROOT_INUM)
    data = bytearray(img.block(root.addrs[0]))
    for i in range(64, len(data), 7):
        data[i] = rng.randrange(256)
    img.block(root.addrs[0])[:] = data


def committed_log(img):
    """A committed transaction in the log: README.md's first block and its inode block,
    new contents; the mount must install both."""
    ip = img.inode(file_inum(img, "/README.md"))
    new_data = b"recovered by the kernel\n".ljust(fsimage.BLOCK, b"\0")
    inode_block = img.sb["inode_start"] + ip.inum // fsimage.INODES_PER_BLOCK
    table = bytearray(img.block(inode_block))
    at = ip.inum % fsimage.INODES_PER_BLOCK * fsimage.INODE.size
    ip.size = 24
    table[at:at + fsimage.INODE.size] = ip.pack()
    img.set_log([ip.addrs[0], inode_block], [new_data, bytes(table)])


# (name, damage, lines the boot must print, whether the kernel's check runs mounted)
DAMAGE = [
    ("bad magic", lambda img: img.set_super(magic=0x12345678),
     [r"^sprout: fs: cannot mount: bad magic 0x12345678"]),
    ("more blocks than the disk", lambda img: img.set_super(nblocks=img.sb["nblocks"] * 2),
     [r"^sprout: fs: cannot mount: the superblock says \d+ blocks, but the disk has \d+"]),
    ("inode table over the log", lambda img: img.set_super(inode_start=img.sb["log_start"] + 4),
     [r"^sprout: fs: cannot mount: .*overlaps the log"]),
    ("log count too large", lambda img: struct.pack_into(
        "<I", img.data, img.sb["log_start"] * fsimage.BLOCK, 999),
     [r"^sprout: fs: corrupt: log header counts 999 blocks",
      r"^sprout: fs: cannot mount: the log cannot be recovered"]),
    ("log entry on the superblock", lambda img: img.set_log([1], [bytes(fsimage.BLOCK)]),
     [r"^sprout: fs: corrupt: log header entry 0 is block 1,",
      r"^sprout: fs: cannot mount: the log cannot be recovered"]),
    ("committed transaction", committed_log,
     [r"^sprout: fs: recovered a committed transaction of 2 blocks",
      r"^sprout: fs: mounted"]),
    ("root not a directory", lambda img: set_fields(img, fsimage.ROOT_INUM, type=7),
     [r"^sprout: fs: cannot mount: the root \(inode 1\) is not a usable directory"]),
    ("unknown file type", lambda img: set_fields(img, "/README.md", type=9),
     [r"^sprout: fs: corrupt: inode \d+: type 9 is unknown"]),
    ("direct block out of range", lambda img: set_fields(img, "/README.md", addr0=999999),
     [r"^sprout: fs: corrupt: inode \d+: its block map names block 999999"]),
    ("indirect entry out of range", damage_indirect,
     [r"^sprout: fs: corrupt: inode \d+: an indirect block names block 5000000"]),
    ("double-indirect on the superblock", lambda img: set_fields(img, "/pattern.bin", addr12=1),
     [r"^sprout: fs: corrupt: inode \d+: its block map names block 1,"]),
    ("entry past the inode table", damage_dirent,
     [r"^sprout: fs: corrupt: directory 1: entry at offset \d+ names inode 60000"]),
    ("huge size", lambda img: set_fields(img, "/README.md", size=0xffffffff),
     [r"^sprout: fs: corrupt: inode \d+: size 4294967295 is more than a file can hold"]),
    ("directory size", lambda img: set_fields(
        img, fsimage.ROOT_INUM, size=img.inode(fsimage.ROOT_INUM).size + 5),
     [r"^sprout: fs: cannot mount: the root"]),
    ("a hole", lambda img: set_fields(img, "/pattern.bin", addr3=0),
     [r"^sprout: fs: corrupt: inode \d+: file block 3, below its size \d+, has no disk block"]),
    ("garbage inodes", damage_garbage, [r"^sprout: fs: (corrupt|mounted)"]),
]


@lab.test(points=10)
def damaged(t):
    """Damaged images (a bad superblock, a corrupt log header, block numbers out of range
    in inodes and indirect blocks, bad entries, types and sizes, garbage) and a disk that
    fails requests: errors and log lines, never a panic; a committed log is installed."""
    path = own_image(t, keep=True)
    for name, damage, lines in DAMAGE:
        shutil.copyfile(t.session.image, path)
        img = fsimage.Image(path)
        damage(img)
        img.save()
        run = t.boot("fs.damaged", disk=path, disk_copy=False)
        try:
            run.expect_pass("fs.damaged")
            for line in lines:
                run.expect(line)
        except GradeFailure as e:
            raise GradeFailure(f"on an image with {name} ({path}, as the boot left it): "
                               f"{e.got}", e.expected, e.run)
    t.boot("fs.io_error", disk=True).expect_pass("fs.io_error")
