"""Tests of grade/timeline.py: reading the kernel's TRACE lines and drawing them.

Most tests feed the reader a dump made here, record by record, in the kernel's format
(kernel/debug/trace.c); one boots the real kernel (sched.mutex_parked on two harts, with
trace=1), draws its timeline, reads the SVG back as XML and looks for the lanes, the
threads, the traps, the wakeup arrows and the test's marks. That one is skipped where
QEMU or the kernel is missing.
Run: python3 -m unittest discover -s grade -p 'test_*.py'
"""

import base64
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import timeline  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"
KIND = {v: k for k, v in timeline.KINDS.items()}
RING = 4096


def head(time, kind, x, seq, ring=RING):
    lap = (seq // ring) & 1
    return (time & ((1 << 40) - 1)) << 24 | (x & 0xFFFF) << 8 | lap << 7 | KIND[kind]


def dump(harts, now, threads=(), strings=(), ring=RING, first=None, garble=None, end=True):
    """TRACE lines for {hart: [(time, kind, x, a, b)]}, as the kernel prints them."""
    lines = ["KTEST x DONE passed=1 failed=0 skipped=0",
             f"TRACE begin version=1 clock=time timebase=10000000 now={now} ring={ring} record=16"]
    for hart, records in sorted(harts.items()):
        start = (first or {}).get(hart, 0)
        data = b"".join(struct.pack("<QII", head(t, k, x, start + i, ring), a, b)
                        for i, (t, k, x, a, b) in enumerate(records))
        fnv = timeline._fnv(data)
        if garble == hart:
            data = data[:-1] + bytes([data[-1] ^ 1])
        lines.append(f"TRACE ring {hart} {start} {len(records)}")
        for i in range(0, len(data), 96):
            chunk = data[i:i + 96]
            chunk += bytes(-len(chunk) % 3)
            lines.append("TRACE d " + base64.b64encode(chunk).decode())
        lines.append(f"TRACE ring-end {hart} {fnv:08x}")
    lines += [f"TRACE thread {tid} {name}" for tid, name in threads]
    lines += [f"TRACE str {addr:x} {text}" for addr, text in strings]
    if end:
        lines.append("TRACE end")
    return "\n".join(lines) + "\n"


# A small story on two harts: 'main' (#1) runs on hart 0, starts 'worker' (#2), which
# runs on hart 1 and sleeps on channel 0x5000; a timer interrupt on hart 0; hart 1 waits
# for lock 'sched' (0x9000) and holds it; 'main' wakes 'worker', which runs again.
STRINGS = [(0x100, "thread_yield"), (0x200, "sleep_on"), (0x300, "sched"), (0x400, "lab"),
           (0x500, "story")]
STORY = {
    0: [(1000, "test", 1, 0x400, 0x500),
        (1010, "run", 0, 1, 0),
        (1100, "wake", 1, 2, 0),
        (1500, "trap_in", 0x8005, 0x80201000, 0),
        (1520, "trap_out", 0x8005, 0x80201000, 0),
        (3000, "wake", 1, 2, 0x5000),
        (3500, "stop", 0, 1, 0x100),
        (3600, "run", 1, 1, 0x100),
        (3700, "again", 40, 1, 900),
        (5000, "test", 2, 0x400, 0x500)],
    1: [(1200, "run", 0, 2, 0),
        (1300, "lock_wait", 0, 0x9000, 0x300),
        (1400, "lock_acq", 12, 0x9000, 100),
        (1450, "lock_rel", 0, 0x9000, 50),
        (2000, "sleep", 0, 2, 0x5000),
        (2010, "stop", 0, 2, 0x200),
        (3100, "run", 2, 2, 0x200),
        (4000, "stop", 0, 2, 0x100)],
}


def story(**kw):
    return dump(STORY, now=6000, threads=[(1, "main"), (2, "worker")], strings=STRINGS, **kw)


def titles(root, cls):
    """The hover texts of the shapes of class `cls` (the legend's keys have none)."""
    return [el.findtext(f"{SVG}title") for el in root.iter()
            if cls in (el.get("class") or "").split() and el.find(f"{SVG}title") is not None]


class Reading(unittest.TestCase):
    def test_records_come_back_in_time_order(self):
        trace = timeline.parse(story())
        self.assertEqual(trace.problems, [])
        self.assertEqual(trace.harts(), [0, 1])
        self.assertEqual(len(trace.records), sum(len(r) for r in STORY.values()))
        times = [r.time for r in trace.records]
        self.assertEqual(times, sorted(times))
        self.assertEqual(trace.threads, {1: "main", 2: "worker"})
        self.assertEqual(trace.string(0x300), "sched")
        self.assertEqual(trace.string(0x777), "0x777")

    def test_40_bit_times_are_placed_before_now(self):
        # The kernel keeps the low 40 bits; `now` (full) places them.
        big = (1 << 40) + 5000
        text = dump({0: [(big - 10, "trap_in", 0x8005, 0, 0), (big - 5, "trap_out", 0x8005, 0, 0)]},
                    now=big)
        self.assertEqual([r.time for r in timeline.parse(text).records], [big - 10, big - 5])

    def test_a_record_of_the_wrong_lap_is_left_out(self):
        # Sequence 4096..4098 are on lap 1; a slot still holding lap 0 was cut short.
        records = [(100, "trap_in", 0x8005, 0, 0), (110, "trap_out", 0x8005, 0, 0),
                   (120, "trap_in", 0x8005, 0, 0)]
        text = dump({0: records}, now=200, first={0: RING})
        lines = text.splitlines()
        data = bytearray(base64.b64decode(lines[3][len("TRACE d "):]))
        data[16] ^= 0x80  # the second record's lap bit
        fnv = timeline._fnv(bytes(data[:48]))
        lines[3] = "TRACE d " + base64.b64encode(bytes(data)).decode()
        lines[4] = f"TRACE ring-end 0 {fnv:08x}"
        trace = timeline.parse("\n".join(lines))
        self.assertEqual([r.time for r in trace.records], [100, 120])
        self.assertIn("1 record(s) cut short were left out", trace.problems)

    def test_a_garbled_ring_and_a_cut_dump_are_reported(self):
        trace = timeline.parse(story(garble=1, end=False))
        self.assertTrue(any("do not match their hash" in p for p in trace.problems))
        self.assertTrue(any("ends early" in p for p in trace.problems))

    def test_no_trace_says_why(self):
        with self.assertRaisesRegex(timeline.TraceError, "no TRACE lines.*trace=1"):
            timeline.parse("sprout: shutdown\n")
        with self.assertRaisesRegex(timeline.TraceError, "TRACE=0"):
            timeline.parse("TRACE off: this kernel was built with TRACE=0\n")


class Drawing(unittest.TestCase):
    def setUp(self):
        self.svg, self.model = timeline.draw(story(), "story")
        self.root = ET.fromstring(self.svg)

    def test_one_lane_per_hart(self):
        lanes = [g.get("id") for g in self.root.iter(f"{SVG}g") if g.get("class") == "lane"]
        self.assertEqual(lanes, ["hart0", "hart1"])

    def test_thread_spans_say_who_ran_and_why_they_stopped(self):
        threads = titles(self.root, "thread")
        self.assertTrue(any("'worker' (#2) runs on hart 1" in t and "sleep_on" in t
                            for t in threads), threads)
        self.assertTrue(any("'main' (#1) runs on hart 0" in t and "thread_yield" in t
                            for t in threads), threads)
        self.assertTrue(any("switched in from 'main' (#1), which had stopped: thread_yield" in t
                            for t in threads), threads)
        self.assertTrue(titles(self.root, "again"))

    def test_traps_and_locks(self):
        timer = titles(self.root, "timer")
        self.assertTrue(any("timer interrupt on hart 0" in t and "2.0 µs" in t for t in timer),
                        timer)
        wait, hold = titles(self.root, "wait"), titles(self.root, "hold")
        self.assertTrue(any("spins on lock 'sched'" in t and "10.0 µs" in t for t in wait), wait)
        self.assertTrue(any("holds lock 'sched'" in t and "5.0 µs" in t for t in hold), hold)

    def test_wakeups_point_at_the_next_run(self):
        arrows = titles(self.root, "arrow")
        self.assertTrue(any("woke 'worker' (#2), asleep on channel 0x5000" in t and "hart 1" in t
                            for t in arrows), arrows)
        self.assertTrue(any("started 'worker' (#2)" in t for t in arrows), arrows)
        self.assertTrue(titles(self.root, "sleep"))

    def test_test_marks_and_legend(self):
        self.assertTrue(titles(self.root, "test_start") and titles(self.root, "test_pass"))
        legend = [el for el in self.root.iter() if el.get("class") == "legend"]
        self.assertEqual(len(legend), 1)
        text = " ".join(t.text or "" for t in legend[0].iter(f"{SVG}text"))
        for words in ("a thread running", "timer interrupt", "spinning on a lock",
                      "holding a lock", "wakeup"):
            self.assertIn(words, text)

    def test_a_window_keeps_what_overlaps_it(self):
        svg, _ = timeline.draw(story(), "story", from_us=20, to_us=40)
        root = ET.fromstring(svg)
        self.assertTrue(titles(root, "thread"))
        self.assertFalse(titles(root, "timer"))  # at 50 µs, outside
        with self.assertRaisesRegex(timeline.TraceError, "window is empty"):
            timeline.draw(story(), "story", from_us=40, to_us=20)


def real_qemu_missing():
    if not shutil.which("qemu-system-riscv64"):
        return "qemu-system-riscv64 is not installed"
    if subprocess.run(["make", "-s", "kernel"], cwd=ROOT, capture_output=True).returncode:
        return "the kernel does not build"
    return None


class RealKernel(unittest.TestCase):
    """sched.mutex_parked on two harts: the waiter sleeps on the held mutex, the unlock
    wakes it, it runs and exits. The rings keep the newest 4096 records of each
    hart, which on two harts may no longer reach back to the test's start (every yield of
    the test thread wakes the other hart's scheduler loop): what is checked is what comes
    last."""

    @classmethod
    def setUpClass(cls):
        why = real_qemu_missing()
        if why:
            raise unittest.SkipTest(why)
        cls.tmp = tempfile.TemporaryDirectory(prefix="sprout-timeline-")
        out = Path(cls.tmp.name) / "t.svg"
        status = timeline.main(["sched.mutex_parked", "--cpus", "2", "-o", str(out)])
        if status != 0 or not out.exists():
            raise AssertionError(f"timeline.py exited with {status}")
        cls.root = ET.parse(out).getroot()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_one_lane_per_hart(self):
        lanes = [g.get("id") for g in self.root.iter(f"{SVG}g") if g.get("class") == "lane"]
        self.assertEqual(lanes, ["hart0", "hart1"])

    def test_threads_and_traps(self):
        threads = " ".join(titles(self.root, "thread"))
        self.assertIn("thread 'waiter' (#", threads)
        self.assertIn("thread 'boot' (#", threads)
        self.assertIn("thread_exit", threads)
        self.assertTrue(titles(self.root, "timer"))

    def test_the_unlock_wakes_the_waiter(self):
        # (Whether the waiter's exit wakes the joiner depends on which comes first.)
        arrows = titles(self.root, "arrow")
        self.assertTrue(any("woke 'waiter'" in t and "asleep on channel" in t for t in arrows),
                        arrows)

    def test_the_test_passes(self):
        marks = titles(self.root, "test_pass")
        self.assertEqual(len(marks), 1, marks)
        self.assertIn("sched.mutex_parked: pass", marks[0])


if __name__ == "__main__":
    unittest.main()
