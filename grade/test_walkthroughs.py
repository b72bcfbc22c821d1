"""The handouts' GDB walk-throughs, run as written: for each docs/labs/*.md, the
`make qemu-gdb ...` line of its GDB section boots QEMU (on a free port), and the
`(gdb) ...` lines of the section run in one gdb-multiarch session in batch mode, as a
student would type them. A walk-through fails if a command finds no symbol or an
optimized-out value, QEMU ends before the last command, GDB's Python commands raise, or
a `continue` stops nowhere. Skipped when gdb-multiarch or QEMU is missing.
Run: python3 -m unittest discover -s grade -p 'test_*.py'
"""

import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

import test_gdb  # noqa: E402  (its port and QEMU helpers)

ROOT = Path(__file__).resolve().parent.parent
HANDOUTS = ROOT / "docs" / "labs"
GDB = "gdb-multiarch"
MARK = "@@walk@@"
TROUBLE = re.compile(r"No symbol|Remote connection closed|Cannot access memory|"
                     r"Python Exception|Traceback|is not defined|No frame selected|"
                     r"The program is not being run|Undefined command")
# What a print of a value must not say (a backtrace may: its other frames are not asked).
UNSEEN = re.compile(r"<optimized out>")


def walkthrough(path):
    """(make arguments, [gdb commands]) of the handout's GDB section, or None."""
    text = path.read_text()
    start = re.search(r"^## .*GDB.*$", text, re.M)
    if not start:
        return None
    section = text[start.end():]
    end = re.search(r"^## ", section, re.M)
    section = section[:end.start()] if end else section
    make = re.search(r"make qemu-gdb([^\n`]*)", section)
    commands = [re.sub(r"\s+#.*$", "", line[len("(gdb) "):]).strip()
                for line in section.splitlines() if line.startswith("(gdb) ")]
    if not commands:
        return None
    return shlex.split(make.group(1)) if make else [], commands


class Walkthroughs(unittest.TestCase):
    skip_reason = None

    @classmethod
    def setUpClass(cls):
        if shutil.which(GDB) is None or shutil.which("qemu-system-riscv64") is None:
            cls.skip_reason = "needs gdb-multiarch and qemu-system-riscv64"

    @classmethod
    def tearDownClass(cls):
        # Leave the default build behind for whatever runs next.
        subprocess.run(["make", "-s", "kernel"], cwd=ROOT, stdout=subprocess.DEVNULL,
                       stderr=subprocess.STDOUT)

    def walk(self, handout):
        if self.skip_reason:
            self.skipTest(self.skip_reason)
        # On a lab branch, the walk-throughs of its own lab and later ones need code a
        # student may not have written yet.
        branch = test_gdb.branch_lab()
        number = int(handout.split("-")[0])
        if branch is not None and number >= branch[0]:
            self.skipTest(f"needs lab {number}; this is the branch of lab {branch[0]} "
                          f"({branch[1]})")
        found = walkthrough(HANDOUTS / handout)
        self.assertIsNotNone(found, f"{handout} has no GDB walk-through")
        args, commands = found
        self.assertTrue(args, f"{handout}: the walk-through says no `make qemu-gdb ...` line")
        variables = [a for a in args if "=" in a]
        built = subprocess.run(["make", "-s", "kernel"] + [a for a in variables
                                                          if a.startswith(("OPT=", "DEBUG="))],
                               cwd=ROOT, capture_output=True, text=True)
        self.assertEqual(built.returncode, 0, built.stdout + built.stderr)
        port = test_gdb.free_port()
        log = tempfile.TemporaryFile()
        self.addCleanup(log.close)
        qemu = subprocess.Popen(["make", "-s", "qemu-gdb", f"GDBPORT={port}"] + variables,
                                cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 20
            while not test_gdb.listening(port) and time.monotonic() < deadline:
                time.sleep(0.05)
            gdb = [GDB, "-batch", "-nx", "-ex", "set pagination off", "-ex", "set confirm off",
                   "-ex", "set width 0", "-ex", "set architecture riscv:rv64",
                   "-ex", "file build/kernel.elf", "-ex", "source kernel/scripts/gdb_sprout.py",
                   "-ex", f"target remote 127.0.0.1:{port}"]
            for c in commands:
                gdb += ["-ex", f"echo \\n{MARK} {c}\\n", "-ex", c]
            out = subprocess.run(gdb, cwd=ROOT, capture_output=True, text=True,
                                 errors="replace", timeout=120)
        finally:
            try:
                os.killpg(qemu.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            qemu.wait(10)
        transcript = out.stdout + out.stderr
        steps = transcript.split(f"\n{MARK} ")
        for step in steps[1:]:
            command, _, said = step.partition("\n")
            bad = TROUBLE.search(said)
            if not bad and re.match(r"(p|print|p/\w+|info args|info locals)\b", command):
                bad = UNSEEN.search(said)
            self.assertIsNone(bad, f"{handout}: `{command}` says {bad and bad.group(0)!r}:\n"
                              f"{said[:1500]}")
            if command in ("continue", "c"):
                self.assertRegex(said, r"Breakpoint \d+|Temporary breakpoint",
                                 f"{handout}: `continue` stopped at no breakpoint:\n{said[:800]}")
        self.assertEqual(len(steps) - 1, len(commands), transcript[-2000:])

    def test_bump(self):
        self.walk("1-bump.md")

    def test_trap(self):
        self.walk("2-trap.md")

    def test_lock(self):
        self.walk("3-lock.md")

    def test_sched(self):
        self.walk("4-sched.md")

    def test_buddy(self):
        self.walk("5-buddy.md")

    def test_vm(self):
        self.walk("6-vm.md")


if __name__ == "__main__":
    unittest.main()
