"""Tests of grade/replay.py: a failed test's boot recorded, replayed, and gone back through.

The kernel test trap.selftest_fail fails on purpose (kernel/tests/trace_test.c): it fills
a table of squares, then a planted bug overwrites squares[7] (49) with 43. A graded test
made here boots it and fails; the grader records the boot again under QEMU's record
mode, and its report names `make replay`. Then QEMU replays the record under a GDB
server, and gdb-multiarch, in batch mode with the script `make replay-gdb` uses, stops
at ktest_fail(), reads squares[7] (43), goes back to the store that wrote it with a
watchpoint and reverse-continue, one more reverse-stepi before it, and reads the earlier
value (49); then a breakpoint earlier in the test and reverse-continue reach the fill
loop. Skipped where QEMU, qemu-img (Debian: qemu-utils) or gdb-multiarch is missing.
Run: python3 -m unittest discover -s grade -p 'test_*.py'
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gradelib  # noqa: E402
import replay  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MARK = "@@replay-step@@"
GDB_TIMEOUT = 120

lab = gradelib.Lab("selftest")


@lab.test(points=1)
def replay_selftest(t):
    """trap.selftest_fail, which fails on purpose, expected to pass."""
    t.boot("trap.selftest_fail").expect_pass()


@lab.test(points=1)
def replay_selftest_smp(t):
    """The same on two harts: too many to record."""
    t.boot("trap.selftest_fail", cpus=2).expect_pass()


def missing():
    for tool in ("qemu-system-riscv64", replay.QEMU_IMG, replay.GDB):
        if not shutil.which(tool):
            return f"{tool} is not installed"
    if subprocess.run(["make", "-s", "kernel"], cwd=ROOT, capture_output=True).returncode:
        return "the kernel does not build"
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False


class Recording(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = missing()
        if why:
            raise unittest.SkipTest(why)
        cls.session = gradelib.Session(jobs=1)
        cls.result = cls.session.run_one(lab.tests[0])
        cls.where = replay.record_dir(ROOT, "selftest/replay_selftest")

    def test_the_report_names_the_replay(self):
        out = self.result.output
        self.assertFalse(self.result.passed)
        self.assertIn("fails on purpose", out)
        self.assertIn("recorded again under QEMU's record mode", out)
        self.assertIn("it failed the same way", out)
        self.assertIn("make replay TEST=selftest/replay_selftest", out)
        self.assertIn("make replay-gdb TEST=selftest/replay_selftest", out)

    def test_the_record_keeps_the_same_boot(self):
        meta = json.loads((self.where / "replay.json").read_text())
        self.assertEqual(meta["kernel_test"], "trap.selftest_fail")
        self.assertEqual(meta["kargs"], self.result.runs[0].kargs)  # the token too
        self.assertTrue(meta["same"])
        for name in ("kernel.elf", "record.bin", "snapshots.qcow2", "console.log"):
            self.assertTrue((self.where / name).exists(), name)
        self.assertIn("rr=replay", " ".join(meta["replay"]))
        self.assertEqual(replay.find(ROOT, "replay_selftest"), self.where)

    def test_gdb_goes_back_from_the_failure(self):
        meta = json.loads((self.where / "replay.json").read_text())
        port = free_port()
        log = tempfile.TemporaryFile()
        qemu = subprocess.Popen(replay.replay_command(meta, port), cwd=ROOT,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            self.assertTrue(wait_listening(port, qemu), "the replay opened no GDB port")
            steps = [
                ("at the failure", ["bt 2", "print selftest_squares[7]"]),
                ("back to the store", ["watch selftest_squares[7]", "reverse-continue",
                                       "reverse-stepi", "print selftest_squares[7]", "bt 1"]),
                ("back to the fill", ["delete", "break selftest_fill", "reverse-continue",
                                      "print selftest_squares[7]"]),
            ]
            script = replay.gdb_script(meta, port, host="127.0.0.1", sprout_commands=False)
            for label, commands in steps:
                script += f"echo \\n{MARK} {label}\\n\n" + "\n".join(commands) + "\n"
            with tempfile.NamedTemporaryFile("w", suffix=".gdb", delete=False) as f:
                f.write(script)
            try:
                out = subprocess.run([replay.GDB, "-batch", "-nx", "-x", f.name], cwd=ROOT,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     timeout=GDB_TIMEOUT).stdout
            finally:
                os.unlink(f.name)
        finally:
            os.killpg(qemu.pid, signal.SIGKILL)
            qemu.wait()
            log.close()
        sections = {}
        for part in out.split(f"{MARK} ")[1:]:
            label, _, text = part.partition("\n")
            sections[label] = text
        self.assertEqual(list(sections), [s[0] for s in steps], out)
        if os.environ.get("SPROUT_SHOW_GDB"):
            print(out)
        failure = sections["at the failure"]
        self.assertIn("ktest_fail", failure)
        self.assertIn("ktest_fn_trap_selftest_fail", failure)
        self.assertRegex(failure, r"\$\d+ = 43\b")
        back = sections["back to the store"]
        self.assertRegex(back, r"\$\d+ = 49\b")  # before the planted bug's store
        self.assertIn("selftest_tidy", back)
        fill = sections["back to the fill"]
        self.assertIn("selftest_fill", fill)
        self.assertRegex(fill, r"\$\d+ = 0\b")  # the table before it was filled


class ManyHarts(unittest.TestCase):
    def test_a_boot_of_two_harts_offers_live_debugging(self):
        run = gradelib.Run(["trap.selftest_fail"], "abc", "test=trap.selftest_fail token=abc",
                           2, [], [], None, 30, "KTEST abc START trap.selftest_fail\n"
                           "KTEST abc FAIL trap.selftest_fail: on purpose\n", 2, None, 0.1)
        session = gradelib.Session(qemu_command=lambda cpus: ["false"], record_failures=True)
        lines = replay.record_failure(session, lab.tests[1], run)
        text = "\n".join(lines)
        self.assertIn("not recorded: it ran 2 harts, and QEMU 7.2 records and replays one "
                      "hart only", text)
        self.assertIn("make qemu-gdb CPUS=2 KARGS='test=trap.selftest_fail token=abc'", text)

    def test_no_recording_with_a_stand_in_qemu(self):
        session = gradelib.Session(qemu_command=lambda cpus: ["false"])
        self.assertFalse(session.record_failures)


if __name__ == "__main__":
    unittest.main()
