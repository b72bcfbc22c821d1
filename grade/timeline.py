"""The timeline of a run: what each hart did and when, drawn as an SVG from the kernel's
event trace (kernel/debug/trace.h).

    make timeline TEST=sched.mutex_parked          a kernel test, CPUS=2 by default
    make timeline TEST=lock/counter                a graded test, booted as the grader does
    make timeline KARGS='hz=1000'                  a whole boot, no test
    python3 grade/timeline.py --log FILE           from a console log of a trace=1 run

A run is booted with `trace=1` added to its kernel command line: at shutdown (or after a
panic's report) the kernel prints every hart's trace ring as TRACE lines, and this tool
turns them into build/timeline-<test>.svg: one lane per hart on one time axis, with the
threads running, the traps, the contended spinlocks (the wait, then the hold), sleeps,
wakeups (an arrow to the thread woken) and test starts and ends. Hovering a shape shows
its details. --from-us/--to-us/--last-us pick a window of the run.

The records' layout is kernel/debug/trace.h's struct trace_record; the dump's lines are
described in kernel/debug/trace.c.
"""

import argparse
import base64
import bisect
import html
import re
import shutil
import struct
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------- the records

KINDS = {1: "run", 2: "stop", 3: "trap_in", 4: "trap_out", 5: "lock_wait", 6: "lock_acq",
         7: "lock_rel", 8: "sleep", 9: "wake", 10: "syscall", 11: "test", 12: "again",
         13: "note"}
TEST_EVENTS = {1: "start", 2: "pass", 3: "fail"}
RECORD = struct.Struct("<QII")
TIME_BITS = 40

INTERRUPTS = {1: "software interrupt (IPI)", 5: "timer interrupt", 9: "external interrupt",
              13: "counter-overflow interrupt"}
EXCEPTIONS = {0: "instruction address misaligned", 1: "instruction access fault",
              2: "illegal instruction", 3: "breakpoint", 4: "load address misaligned",
              5: "load access fault", 6: "store address misaligned", 7: "store access fault",
              8: "ecall from U-mode (system call)", 9: "ecall from S-mode",
              12: "instruction page fault", 13: "load page fault", 15: "store page fault"}

Record = namedtuple("Record", "time hart seq kind x a b")


class TraceError(Exception):
    """The console holds no usable trace."""


class Trace:
    """The TRACE block of a console: records of every hart, sorted by time; thread names;
    the strings records point at; problems found while reading (bad hashes, records cut
    short)."""

    def __init__(self):
        self.timebase, self.now, self.ring_size = 10_000_000, 0, 0
        self.records, self.threads, self.strings, self.problems = [], {}, {}, []
        self.first_seq = {}  # hart -> sequence number of its oldest record kept
        self.dropped = 0

    def string(self, addr):
        return self.strings.get(addr, f"0x{addr:x}")

    def thread(self, tid):
        if not tid:
            return "(none)"
        name = self.threads.get(tid)
        return f"'{name}' (#{tid})" if name else f"thread #{tid}"

    def harts(self):
        return sorted(self.first_seq)


def parse(text):
    """The last TRACE block of a console's text, as a Trace. Raises TraceError."""
    lines = text.splitlines()
    begins = [i for i, l in enumerate(lines) if l.startswith("TRACE begin ")]
    if not begins:
        off = next((l for l in lines if l.startswith("TRACE off")), None)
        raise TraceError(off or "the console has no TRACE lines: the run did not end in a "
                         "shutdown or a panic report with trace=1 on its command line")
    trace = Trace()
    header = dict(w.split("=", 1) for w in lines[begins[-1]].split()[2:] if "=" in w)
    if header.get("version") != "1" or header.get("record") != str(RECORD.size):
        raise TraceError(f"unknown trace format: {lines[begins[-1]]}")
    trace.timebase = int(header.get("timebase", 10_000_000))
    trace.now = int(header["now"])
    trace.ring_size = int(header.get("ring", 0))
    data, hart, first, count, ended = None, None, 0, 0, False
    raw = []
    for line in lines[begins[-1] + 1:]:
        if not line.startswith("TRACE "):
            continue  # another hart's stray output, or a blank line
        words = line.split(" ", 3)
        what = words[1]
        if what == "end":
            ended = True
            break
        if what == "ring":
            hart, first, count = int(words[2]), int(words[3].split()[0]), int(line.split()[4])
            data = bytearray()
        elif what == "d" and data is not None:
            data += base64.b64decode(words[2])
        elif what == "ring-end" and data is not None:
            want = int(line.split()[3], 16)
            data = bytes(data[:count * RECORD.size])
            if len(data) != count * RECORD.size:
                trace.problems.append(f"hart {hart}: {len(data) // RECORD.size} of {count} "
                                      "records arrived")
            elif _fnv(data) != want:
                trace.problems.append(f"hart {hart}: the records do not match their hash "
                                      "(the console garbled them)")
            trace.first_seq[hart] = first
            raw.append((hart, first, data))
            data = None
        elif what == "thread":
            tid, _, name = line[len("TRACE thread "):].partition(" ")
            trace.threads[int(tid)] = name
        elif what == "str":
            addr, _, s = line[len("TRACE str "):].partition(" ")
            trace.strings[int(addr, 16)] = s
    if not ended:
        trace.problems.append("the trace ends early (no `TRACE end` line)")
    for hart, first, data in raw:
        for i in range(len(data) // RECORD.size):
            head, a, b = RECORD.unpack_from(data, i * RECORD.size)
            seq = first + i
            kind = head & 0x7F
            lap = (seq // trace.ring_size) & 1 if trace.ring_size else (head >> 7) & 1
            if kind not in KINDS or (head >> 7) & 1 != lap:
                trace.dropped += 1
                continue
            trace.records.append(Record(_unwrap(head >> 24, trace.now), hart, seq, KINDS[kind],
                                        (head >> 8) & 0xFFFF, a, b))
    if trace.dropped:
        trace.problems.append(f"{trace.dropped} record(s) cut short were left out")
    trace.records.sort(key=lambda r: (r.time, r.hart, r.seq))
    return trace


def _fnv(data):
    h = 2166136261
    for byte in data:
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


def _unwrap(low, now):
    """The full clock value of a 40-bit timestamp taken at or before `now`."""
    mask = (1 << TIME_BITS) - 1
    return now - (((now & mask) - low) & mask)


# ---------------------------------------------------------------- what happened

Span = namedtuple("Span", "hart row start end style label title depth")
Arrow = namedtuple("Arrow", "hart time to_hart to_time title")
Mark = namedtuple("Mark", "hart time style label title")


class Lane:
    def __init__(self, hart, start, wrapped):
        self.hart, self.start, self.wrapped = hart, start, wrapped
        self.switches = False  # the scheduler ran threads here


def cause_name(x):
    code = x & 0x7FFF
    if x & 0x8000:
        return INTERRUPTS.get(code, f"interrupt {code}")
    return EXCEPTIONS.get(code, f"exception {code}")


def trap_style(x):
    code = x & 0x7FFF
    if x & 0x8000:
        return {5: "timer", 9: "external", 1: "software"}.get(code, "exception")
    return {3: "breakpoint", 8: "syscall"}.get(code, "exception")


class Model:
    """Spans, arrows and marks built from a Trace; times in clock ticks."""

    def __init__(self, trace, symbolize=None):
        self.trace = trace
        self.symbolize = symbolize or (lambda addr: f"0x{addr:x}")
        self.spans, self.arrows, self.marks = [], [], []
        recs = trace.records
        self.start = recs[0].time if recs else 0
        self.end = max((r.time for r in recs), default=0)
        self.lanes = {}
        for hart in trace.harts():
            mine = [r for r in recs if r.hart == hart]
            self.lanes[hart] = Lane(hart, mine[0].time if mine else self.end,
                                    trace.first_seq[hart] > 0)
            self._hart(hart, mine)
        self._wakeups()
        self.spans.sort(key=lambda s: (s.start, s.depth))

    def us(self, ticks):
        return ticks * 1e6 / self.trace.timebase

    def when(self, t):
        return fmt_us(self.us(t - self.start))

    def span(self, hart, row, start, end, style, label, title, depth=0):
        self.spans.append(Span(hart, row, start, end, style, label,
                               f"{title}\n{self.when(start)} to {self.when(end)} "
                               f"({fmt_us(self.us(end - start))})", depth))

    def _hart(self, hart, recs):
        tr = self.trace
        lane = self.lanes[hart]
        lane_start = lane.start
        running, since, came = None, lane_start, ""  # the thread on this hart
        traps = []  # open trap spans: (record)
        waits = {}  # lock -> wait record
        holds = {}  # lock -> (acquisition time, record)
        loop_since = None
        for r in recs:
            k = r.kind
            if k == "run":
                lane.switches = True
                if loop_since is not None:
                    self.span(hart, "thread", loop_since, r.time, "loop", "",
                              f"hart {hart} in its scheduler loop (no thread)")
                if running is not None:  # a stop was lost: close at the switch
                    self._thread(hart, running, since, r.time, came, "(stop not recorded)")
                running, since, loop_since = r.a, r.time, None
                came = (f"switched in from {tr.thread(r.x)}, which had stopped: "
                        f"{tr.string(r.b)}" if r.x else "switched in")
            elif k == "stop":
                lane.switches = True
                if running is None:
                    self._thread(hart, r.a, lane_start, r.time,
                                 "running since before the first record", tr.string(r.b),
                                 open_start=True)
                else:
                    self._thread(hart, running, since, r.time, came, tr.string(r.b))
                running, loop_since = None, r.time
            elif k == "again":
                dur = r.b
                self.span(hart, "again", r.time, r.time + dur, "again",
                          "", f"{tr.thread(r.a)} gave hart {hart} back and got it straight "
                          f"back {r.x} time(s): nothing else was runnable (thread_yield or "
                          "preemption)")
            elif k == "trap_in":
                traps.append(r)
            elif k == "trap_out":
                start_rec = traps.pop() if traps else None
                start = start_rec.time if start_rec else lane_start
                depth = len(traps)
                what = cause_name(r.x)
                where = self.symbolize(start_rec.a if start_rec else r.a)
                detail = f"{what} on hart {hart}, taken at {where}"
                if start_rec and not (r.x & 0x8000) and start_rec.b:
                    detail += f", stval 0x{start_rec.b:x}"
                if not start_rec:
                    detail += " (entered before the first record)"
                self.span(hart, "trap", start, r.time, trap_style(r.x), "", detail, depth)
            elif k == "lock_wait":
                waits[r.a] = r
            elif k == "lock_acq":
                w = waits.pop(r.a, None)
                name = tr.string(w.b) if w else self._lock_name(r.a)
                start = w.time if w else r.time - r.b
                self.span(hart, "lock", start, r.time, "wait", "",
                          f"hart {hart} spins on lock '{name}' (0x{r.a:x}): waited "
                          f"{fmt_us(self.us(r.b))}, {r.x}{'+' if r.x == 0xFFFF else ''} "
                          "turns of the wait loop", len(holds))
                holds[r.a] = (r.time, name, r)
            elif k == "lock_rel":
                got = holds.pop(r.a, None)
                start = got[0] if got else r.time - r.b
                name = got[1] if got else self._lock_name(r.a)
                waited = f", after waiting {fmt_us(self.us(got[2].b))}" if got else ""
                self.span(hart, "lock", start, r.time, "hold", name,
                          f"hart {hart} holds lock '{name}' (0x{r.a:x}){waited}",
                          len(holds))
            elif k == "sleep":
                self.marks.append(Mark(hart, r.time, "sleep", "",
                                       f"{tr.thread(r.a)} goes to sleep on channel "
                                       f"0x{r.b:x} ({self.when(r.time)})"))
            elif k == "syscall":
                self.marks.append(Mark(hart, r.time, "syscall", "",
                                       f"{tr.thread(r.a)}: system call {r.x} "
                                       f"({self.when(r.time)})"))
            elif k == "note":
                text = tr.string(r.a)
                self.marks.append(Mark(None, r.time, "note", text,
                                       f"note from hart {hart}: {text} ({self.when(r.time)})"))
            elif k == "test":
                event = TEST_EVENTS.get(r.x, "?")
                name = f"{tr.string(r.a)}.{tr.string(r.b)}"
                self.marks.append(Mark(None, r.time, f"test_{event}",
                                       f"{name} {event.upper() if event != 'start' else 'starts'}",
                                       f"test {name}: {event} on hart {hart} "
                                       f"({self.when(r.time)})"))
        # Whatever is still open ran to the end of the trace.
        if running is not None:
            self._thread(hart, running, since, self.end, came,
                         "still running at the end of the trace")
        elif loop_since is not None and lane.switches:
            self.span(hart, "thread", loop_since, self.end, "loop", "",
                      f"hart {hart} in its scheduler loop (no thread)")
        for r in traps:
            self.span(hart, "trap", r.time, self.end, trap_style(r.x), "",
                      f"{cause_name(r.x)} on hart {hart}, still being handled at the end",
                      0)
        for lock, (start, name, _) in holds.items():
            self.span(hart, "lock", start, self.end, "hold", name,
                      f"hart {hart} holds lock '{name}' (0x{lock:x}) to the end of the trace")

    def _lock_name(self, lock):
        for r in self.trace.records:
            if r.kind == "lock_wait" and r.a == lock:
                return self.trace.string(r.b)
        return f"0x{lock:x}"

    def _thread(self, hart, tid, start, end, came, why, open_start=False):
        tr = self.trace
        name = f"{tr.threads[tid]} #{tid}" if tid in tr.threads else f"#{tid}"
        self.span(hart, "thread", start, end, f"thread:{tid}", name,
                  f"thread {tr.thread(tid)} runs on hart {hart}; {came}; it gave the hart "
                  f"back: {why}")

    def _wakeups(self):
        tr = self.trace
        runs = sorted((r.time, r.a, r.hart) for r in tr.records if r.kind == "run")
        times = [t for t, _, _ in runs]
        for r in tr.records:
            if r.kind != "wake":
                continue
            waker = tr.thread(r.x) if r.x else "code outside any thread"
            what = (f"woke {tr.thread(r.a)}, asleep on channel 0x{r.b:x}" if r.b else
                    f"started {tr.thread(r.a)}")
            i = bisect.bisect_left(times, r.time)
            nxt = next(((t, h) for t, tid, h in runs[i:] if tid == r.a), None)
            if nxt:
                title = (f"{waker} on hart {r.hart} {what} ({self.when(r.time)}); it ran on "
                         f"hart {nxt[1]} {fmt_us(self.us(nxt[0] - r.time))} later")
                self.arrows.append(Arrow(r.hart, r.time, nxt[1], nxt[0], title))
            else:
                self.marks.append(Mark(r.hart, r.time, "wake", "",
                                       f"{waker} on hart {r.hart} {what} "
                                       f"({self.when(r.time)}); it did not run again before "
                                       "the end of the trace"))


def fmt_us(us):
    if abs(us) >= 1000:
        return f"{us / 1000:.3f} ms"
    return f"{us:.1f} µs"


# ---------------------------------------------------------------- drawing

WIDTH = 1500
LEFT, RIGHT = 96, 24
TOP = 74
LANE = 84
ROWS = {"thread": (6, 24), "again": (30, 4), "trap": (36, 14), "lock": (54, 20)}
THREAD_COLOURS = ["#8ecae6", "#b5e48c", "#ffd6a5", "#cdb4db", "#a0c4ff", "#fdffb6",
                  "#ffadad", "#9bf6ff", "#caffbf", "#e9c46a", "#bde0fe", "#f4acb7"]
STYLES = {
    "loop": ("#eeeeee", "#bbbbbb", "scheduler loop, no thread"),
    "timer": ("#f77f00", "#b35c00", "timer interrupt"),
    "external": ("#7b2cbf", "#4a1a73", "external interrupt (device)"),
    "software": ("#e5007a", "#8a0049", "software interrupt (IPI)"),
    "exception": ("#c1121f", "#780000", "exception"),
    "breakpoint": ("#8d6e63", "#5d4037", "breakpoint (ebreak)"),
    "syscall": ("#2a9d8f", "#1d6d63", "system call (ecall from U)"),
    "wait": ("url(#spin)", "#d00000", "spinning on a lock"),
    "hold": ("#264653", "#0d1b20", "holding a lock it waited for"),
    "again": ("#6c757d", "#6c757d", "got the hart straight back (yield/preemption, "
                                     "nothing else to run)"),
}


class Svg:
    def __init__(self, model, t0, t1, title):
        self.m, self.t0, self.t1, self.title = model, t0, max(t1, t0 + 1), title
        self.out = []
        self.plot = WIDTH - LEFT - RIGHT
        self.lanes = sorted(model.lanes)
        self.lane_y = {h: TOP + i * LANE for i, h in enumerate(self.lanes)}
        tids = sorted({int(s.style.split(":")[1]) for s in model.spans
                       if s.style.startswith("thread:")})
        self.colour = {tid: THREAD_COLOURS[i % len(THREAD_COLOURS)] for i, tid in enumerate(tids)}

    def x(self, t):
        return LEFT + (t - self.t0) * self.plot / (self.t1 - self.t0)

    def add(self, text):
        self.out.append(text)

    def render(self):
        legend_y = TOP + len(self.lanes) * LANE + 44
        height = legend_y + 96
        self.add(f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
                 f'viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans, Verdana, sans-serif" '
                 'font-size="12">')
        self.add("<defs>"
                 '<pattern id="spin" width="6" height="6" patternUnits="userSpaceOnUse" '
                 'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffd7d7"/>'
                 '<rect width="3" height="6" fill="#e63946"/></pattern>'
                 '<pattern id="gone" width="8" height="8" patternUnits="userSpaceOnUse" '
                 'patternTransform="rotate(45)"><rect width="8" height="8" fill="#f4f4f4"/>'
                 '<rect width="2" height="8" fill="#dddddd"/></pattern>'
                 '<marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
                 'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
                 'fill="#2b9348"/></marker></defs>')
        self.add(f'<rect width="{WIDTH}" height="{height}" fill="white"/>')
        self.add(f'<text x="{LEFT}" y="20" font-size="15" font-weight="bold">'
                 f'{esc(self.title)}</text>')
        self.axis()
        for h in self.lanes:
            self.lane(h)
        self.marks()
        self.arrows()
        self.legend(legend_y)
        self.add("</svg>")
        return "\n".join(self.out) + "\n"

    def axis(self):
        span_us = self.m.us(self.t1 - self.t0)
        step = nice_step(span_us / 10)
        y = TOP - 16
        since = fmt_us(self.m.us(self.t0 - self.m.start))
        self.add(f'<text x="{LEFT}" y="40" fill="#444">time since {since} '
                 f'into the trace (time CSR, {self.m.trace.timebase / 1e6:g} MHz: '
                 f'{1e6 / self.m.trace.timebase:g} µs a tick); '
                 f'{fmt_us(span_us)} shown</text>')
        self.add(f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="#444"/>')
        tick = 0.0
        while tick <= span_us + 1e-9:
            x = LEFT + tick / span_us * self.plot
            self.add(f'<line x1="{x:.2f}" y1="{y - 4}" x2="{x:.2f}" '
                     f'y2="{TOP + len(self.lanes) * LANE - 4}" stroke="#e4e4e4"/>')
            self.add(f'<line x1="{x:.2f}" y1="{y - 4}" x2="{x:.2f}" y2="{y}" stroke="#444"/>')
            self.add(f'<text x="{x:.2f}" y="{y - 7}" text-anchor="middle" fill="#444">'
                     f'{fmt_tick(tick, step)}</text>')
            tick += step

    def lane(self, h):
        y = self.lane_y[h]
        lane = self.m.lanes[h]
        self.add(f'<g class="lane" id="hart{h}">')
        self.add(f'<rect class="lane-bg" x="{LEFT}" y="{y}" width="{self.plot}" '
                 f'height="{LANE - 6}" fill="#fbfbfb" stroke="#d0d0d0"/>')
        self.add(f'<text x="8" y="{y + 20}" font-size="14" font-weight="bold">hart {h}</text>')
        for row, (dy, hh) in ROWS.items():
            if row == "again":
                continue
            self.add(f'<text x="8" y="{y + dy + hh / 2 + 4}" fill="#777" font-size="10">'
                     f'{ {"thread": "", "trap": "traps", "lock": "locks"}[row] }</text>')
        if lane.start > self.t0:
            x1 = min(self.x(lane.start), WIDTH - RIGHT)
            why = ("older records were overwritten (the ring is full)" if lane.wrapped else
                   "nothing recorded yet")
            self.add(f'<rect class="gone" x="{LEFT}" y="{y}" width="{x1 - LEFT:.2f}" '
                     f'height="{LANE - 6}" fill="url(#gone)"><title>hart {h}: {why}</title></rect>')
        if not lane.switches:
            self.add(f'<text x="{LEFT + 6}" y="{y + 20}" fill="#999" font-size="11">'
                     'no thread switches recorded (boot code, or before the scheduler)</text>')
        wide, tiny = split_tiny(self, [s for s in self.m.spans if s.hart == h])
        for s in wide:
            self.shape(s, y)
        for (row, style, depth), spans in tiny.items():
            self.ticks(row, style, depth, spans, y)
        self.add("</g>")

    def ticks(self, row, style, depth, spans, y):
        """Spans too narrow to draw one by one, as one path of 1-pixel ticks."""
        dy, hh = ROWS[row]
        if depth:
            dy, hh = dy + 4, hh - 6
        fill, stroke, what = STYLES[style]
        colour = stroke if fill.startswith("url(") else fill
        xs = sorted({round(self.x(max(s.start, self.t0)), 1) for s in spans})
        path = "".join(f"M{x:.1f},{y + dy}v{hh}" for x in xs)
        longest = max(s.end - s.start for s in spans)
        title = (f"{len(spans)} × {what} on hart {spans[0].hart}, each narrower than a pixel "
                 f"at this scale (the longest {fmt_us(self.m.us(longest))}); --from-us and "
                 f"--to-us draw a shorter stretch. The first: {spans[0].title}")
        self.add(f'<path class="span {style} ticks" d="{path}" stroke="{colour}" '
                 f'stroke-width="1" fill="none"><title>{esc(title)}</title></path>')

    def shape(self, s, y):
        if s.end < self.t0 or s.start > self.t1:
            return
        a, b = max(s.start, self.t0), min(s.end, self.t1)
        x1, x2 = self.x(a), self.x(b)
        w = max(x2 - x1, 0.8)
        dy, hh = ROWS[s.row]
        if s.row == "trap" and s.depth:
            dy, hh = dy + 4, hh - 6
        if s.row == "lock" and s.depth:
            dy, hh = dy + min(s.depth, 3) * 3, hh - min(s.depth, 3) * 4
        if s.style.startswith("thread:"):
            fill, stroke = self.colour[int(s.style.split(":")[1])], "#555555"
            kind = "thread"
        else:
            fill, stroke, _ = STYLES[s.style]
            kind = s.style
        self.add(f'<rect class="span {kind}" x="{x1:.1f}" y="{y + dy}" width="{w:.1f}" '
                 f'height="{hh}" fill="{fill}" stroke="{stroke}" stroke-width="0.5">'
                 f'<title>{esc(s.title)}</title></rect>')
        if s.label and w > 7 * len(s.label) + 6:
            size = 12 if s.row == "thread" else 10
            colour = "white" if s.style == "hold" else "#222"
            self.add(f'<text x="{x1 + 3:.2f}" y="{y + dy + hh / 2 + size / 2 - 1:.1f}" '
                     f'font-size="{size}" fill="{colour}" pointer-events="none">'
                     f'{esc(s.label)}</text>')

    def marks(self):
        bottom = TOP + len(self.lanes) * LANE - 6
        last_note_x, note_row = -1000.0, 0
        for k in self.m.marks:
            if not self.t0 <= k.time <= self.t1:
                continue
            x = self.x(k.time)
            if k.hart is None:  # a test's start or end, a note: a line over every lane
                colour = {"test_start": "#1d3557", "test_pass": "#2b9348",
                          "test_fail": "#d00000", "note": "#7b2cbf"}.get(k.style, "#333")
                # Labels near the right edge go to the left of their line; a test's
                # label goes above the lanes, a note's below them.
                right = x > WIDTH - RIGHT - 8 * len(k.label)
                label_y = TOP - 3
                if k.style == "note":  # notes close together go on lines of their own
                    note_row = note_row + 1 if x - last_note_x < 7 * len(k.label) else 0
                    last_note_x, label_y = x, bottom + 13 + 12 * min(note_row, 2)
                self.add(f'<g class="mark {k.style}"><line x1="{x:.1f}" y1="{TOP - 12}" '
                         f'x2="{x:.1f}" y2="{bottom + (4 if k.style == "note" else 0)}" '
                         f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="5,3"/>'
                         f'<text x="{x + (-3 if right else 3):.1f}" y="{label_y}" '
                         f'text-anchor="{"end" if right else "start"}" fill="{colour}" '
                         f'font-size="11">{esc(k.label)}</text><title>{esc(k.title)}</title></g>')
                continue
            y = self.lane_y[k.hart]
            if k.style == "sleep":
                self.add(f'<g class="mark sleep"><path d="M{x - 5:.2f},{y + 1} '
                         f'L{x + 5:.2f},{y + 1} '
                         f'L{x:.2f},{y + 9} z" fill="#457b9d"/><title>{esc(k.title)}</title></g>')
            elif k.style == "syscall":
                self.add(f'<g class="mark syscall"><circle cx="{x:.2f}" cy="{y + 4}" r="3.5" '
                         f'fill="#2a9d8f"/><title>{esc(k.title)}</title></g>')
            else:  # a wakeup whose thread did not run again
                self.add(f'<g class="mark wake"><circle cx="{x:.2f}" cy="{y + 18}" r="4" '
                         f'fill="none" stroke="#2b9348" stroke-width="2"/>'
                         f'<title>{esc(k.title)}</title></g>')

    def arrows(self):
        for a in self.m.arrows:
            if a.to_time < self.t0 or a.time > self.t1:
                continue
            x1, x2 = self.x(max(a.time, self.t0)), self.x(min(a.to_time, self.t1))
            y1 = self.lane_y[a.hart] + 18
            y2 = self.lane_y[a.to_hart] + (6 if a.to_hart != a.hart else 18)
            if a.to_hart == a.hart:  # same lane: a hop over the thread row
                mid = (x1 + x2) / 2
                path = f"M{x1:.2f},{y1} Q{mid:.2f},{y1 - 22} {x2:.2f},{y2}"
            else:
                path = f"M{x1:.2f},{y1} L{x2:.2f},{y2}"
            self.add(f'<g class="arrow wake"><path d="{path}" fill="none" stroke="#2b9348" '
                     f'stroke-width="2" marker-end="url(#head)"/>'
                     f'<circle cx="{x1:.2f}" cy="{y1}" r="2.5" fill="#2b9348"/>'
                     f'<title>{esc(a.title)}</title></g>')

    def legend(self, y):
        items = [("thread", THREAD_COLOURS[0], "#555555", "a thread running (one colour each)")]
        for key in ("loop", "timer", "external", "software", "exception", "syscall", "wait",
                    "hold", "again"):
            fill, stroke, text = STYLES[key]
            items.append((key, fill, stroke, text))
        self.add('<g class="legend">')
        self.add(f'<text x="8" y="{y + 10}" font-weight="bold">legend</text>')
        x, row = LEFT, 0
        for key, fill, stroke, text in items:
            width = 30 + 6.6 * len(text)
            if x + width > WIDTH - RIGHT:
                x, row = LEFT, row + 1
            yy = y + row * 20
            h = 4 if key == "again" else 12
            self.add(f'<rect class="key {key}" x="{x}" y="{yy + 6 - h / 2 + 6}" width="22" '
                     f'height="{h}" fill="{fill}" stroke="{stroke}" stroke-width="0.5"/>'
                     f'<text x="{x + 28}" y="{yy + 16}">{esc(text)}</text>')
            x += width + 14
        yy = y + (row + 1) * 20
        self.add(f'<path d="M{LEFT},{yy + 12} L{LEFT + 22},{yy + 12}" stroke="#2b9348" '
                 f'stroke-width="2" marker-end="url(#head)"/><text x="{LEFT + 28}" y="{yy + 16}">'
                 'wakeup: from the waker to the woken thread\'s next run</text>')
        x = LEFT + 380
        self.add(f'<path d="M{x - 5},{yy + 7} L{x + 5},{yy + 7} L{x},{yy + 15} z" fill="#457b9d"/>'
                 f'<text x="{x + 12}" y="{yy + 16}">goes to sleep</text>')
        x += 130
        self.add(f'<line x1="{x}" y1="{yy + 4}" x2="{x}" y2="{yy + 18}" stroke="#1d3557" '
                 f'stroke-dasharray="5,3" stroke-width="1.5"/><text x="{x + 8}" y="{yy + 16}">'
                 'a test starts (green: passes, red: fails)</text>')
        x += 300
        self.add(f'<rect x="{x}" y="{yy + 5}" width="22" height="12" fill="url(#gone)" '
                 f'stroke="#cccccc"/><text x="{x + 28}" y="{yy + 16}">no records (before the '
                 'oldest one kept)</text>')
        x += 290
        self.add(f'<line x1="{x}" y1="{yy + 4}" x2="{x}" y2="{yy + 18}" stroke="#7b2cbf" '
                 f'stroke-dasharray="5,3" stroke-width="1.5"/><text x="{x + 8}" y="{yy + 16}">'
                 'a note the test left</text>')
        self.add("</g>")


TINY_PX = 1.5  # traps, locks and round trips narrower than this are drawn as ticks


def split_tiny(svg, spans):
    """(the spans to draw one by one, {(row, style, depth): [spans]} too narrow to tell
    apart at this scale). The narrow ones of a kind are drawn as one path of 1-pixel
    ticks with one title: a whole run's thousand timer interrupts would otherwise be a
    thousand shapes, each with its own title, on a few hundred pixels."""
    wide, tiny = [], {}
    for s in spans:
        if s.end < svg.t0 or s.start > svg.t1:
            continue
        w = svg.x(min(s.end, svg.t1)) - svg.x(max(s.start, svg.t0))
        if s.row == "thread" or w >= TINY_PX:
            wide.append(s)
        else:
            tiny.setdefault((s.row, s.style, s.depth), []).append(s)
    return wide, tiny


def esc(text):
    return html.escape(str(text), quote=True)


def nice_step(rough):
    """1, 2 or 5 times a power of ten, at least `rough`."""
    if rough <= 0:
        return 1.0
    power = 10 ** len(str(int(rough))) / 10 if rough >= 1 else 1.0
    while power > rough:
        power /= 10
    for m in (1, 2, 5, 10):
        if power * m >= rough:
            return power * m
    return power * 10


def fmt_tick(us, step):
    if step >= 1000:
        return f"{us / 1000:g} ms"
    if step >= 1:
        return f"{us:g} µs"
    return f"{us:.{len(str(step).split('.')[1])}f} µs"


def window(model, from_us=None, to_us=None, last_us=None):
    """(t0, t1) in clock ticks."""
    t0, t1 = model.start, model.end
    ticks = model.trace.timebase / 1e6
    if last_us is not None:
        t0 = max(t0, t1 - int(last_us * ticks))
    if from_us is not None:
        t0 = model.start + int(from_us * ticks)
    if to_us is not None:
        t1 = model.start + int(to_us * ticks)
    if t1 <= t0:
        length = fmt_us(model.us(model.end - model.start))
        raise TraceError(f"the window is empty: the trace is {length} long")
    return t0, t1


def symbolizer(elf):
    """addr -> 'function+0xoff' from the kernel's symbols (nm), or hex if none."""
    nm = shutil.which("riscv64-unknown-elf-nm")
    symbols = []
    if nm and elf and Path(elf).exists():
        out = subprocess.run([nm, "-n", str(elf)], capture_output=True, text=True).stdout
        symbols = [(int(a, 16), n) for a, t, n in
                   (l.split(None, 2) for l in out.splitlines() if l.count(" ") >= 2)
                   if t in "tTwW"]
    addrs = [a for a, _ in symbols]

    def name(addr):
        i = bisect.bisect_right(addrs, addr) - 1
        if i < 0 or not symbols:
            return f"0x{addr:x}"
        return f"{symbols[i][1]}+0x{addr - symbols[i][0]:x}"
    return name


def draw(text, title, elf=None, from_us=None, to_us=None, last_us=None):
    """(svg text, Model) for a console's text."""
    trace = parse(text)
    if not trace.records:
        raise TraceError("the trace has no records")
    model = Model(trace, symbolizer(elf))
    t0, t1 = window(model, from_us, to_us, last_us)
    if trace.problems:
        title += "  [" + "; ".join(trace.problems) + "]"
    return Svg(model, t0, t1, title).render(), model


def summary(model):
    tr = model.trace
    counts = {}
    for r in tr.records:
        counts[r.kind] = counts.get(r.kind, 0) + 1
    return (f"{len(tr.harts())} hart(s), {len(tr.records)} records over "
            f"{fmt_us(model.us(model.end - model.start))}; "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


# ---------------------------------------------------------------- booting a run

def slug(text):
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "boot"


def boot_kernel_tests(args, session):
    """Boots once with the kernel tests of args.test; returns [(name, run)]."""
    import gradelib
    tests = [t for t in (args.test or "").split(",") if t]
    kargs = " ".join(filter(None, [args.kargs, "trace=1"]))
    run = session.boot(tests, cpus=args.cpus, icount=args.icount, extra_args=kargs,
                       timeout=args.timeout)
    name = ",".join(tests) or "boot"
    verdict = gradelib.describe_status(run.status) if not run.stopped else run.stopped
    print(f"timeline: booted {run.kargs!r} on {args.cpus} hart(s): exit status {verdict}")
    return [(name, run)]


def boot_graded_test(args, session):
    """Runs one graded test (`lab/name` or `name`) as the grader does, every boot with
    trace=1 added; returns [(name, run)] for each of its boots."""
    import grade
    import gradelib

    class Tracing(type(session)):
        def boot(self, tests, **options):
            options["extra_args"] = " ".join(filter(None, [options.get("extra_args"),
                                                           args.kargs, "trace=1"]))
            return super().boot(tests, **options)
    session.__class__ = Tracing
    labs = [gradelib.load_lab(n, session.root)
            for n in grade.choose_labs(session.root, "all", True)]
    tests = grade.select([t for lab in labs for t in lab.tests], [args.test])
    out = []
    for test in tests:
        result = session.run_one(test)
        print(f"timeline: graded test {test.full_name}: {'PASS' if result.passed else 'FAIL'} "
              f"({len(result.runs)} boot(s))")
        for i, run in enumerate(result.runs):
            suffix = f"-{i + 1}" if len(result.runs) > 1 else ""
            out.append((f"{test.lab}-{test.name}{suffix}", run))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(prog="timeline.py", description=__doc__.splitlines()[0])
    p.add_argument("test", nargs="?", help="kernel test ids (sched.mutex_parked) or a graded "
                   "test (lock/counter, counter); none: a whole boot")
    p.add_argument("--cpus", type=int, default=2, help="harts for kernel tests (2)")
    p.add_argument("--kargs", default="", help="more kernel arguments")
    p.add_argument("--icount", help="QEMU -icount option for kernel tests, e.g. shift=3")
    p.add_argument("--timeout", type=float, default=120, help="host seconds for the boot")
    p.add_argument("--log", help="draw from this console log instead of booting")
    p.add_argument("-o", "--out", help="the SVG to write (default build/timeline-<test>.svg)")
    p.add_argument("--from-us", type=float, help="window start, µs after the first record")
    p.add_argument("--to-us", type=float, help="window end, µs after the first record")
    p.add_argument("--last-us", type=float, help="show only the last N µs")
    p.add_argument("--elf", default=str(ROOT / "build" / "kernel.elf"),
                   help="kernel for naming trap addresses")
    args = p.parse_args(argv)
    build = ROOT / "build"
    if args.log:
        runs = [(Path(args.log).stem.replace("timeline-", "", 1), None)]
        texts = [Path(args.log).read_text(errors="replace")]
    else:
        import gradelib
        session = gradelib.Session()
        if not session.build():
            print("timeline: the kernel does not build", file=sys.stderr)
            return 1
        if args.test and "." not in args.test:
            runs = boot_graded_test(args, session)
        else:
            runs = boot_kernel_tests(args, session)
        texts = [run.text for _, run in runs]
    status = 0
    for (name, run), text in zip(runs, texts):
        out = Path(args.out) if args.out and len(runs) == 1 else \
            build / f"timeline-{slug(name)}.svg"
        if run is not None:
            build.mkdir(exist_ok=True)
            (build / f"timeline-{slug(name)}.log").write_text(text + "\n")
        try:
            svg, model = draw(text, f"Sprout timeline: {name}", args.elf, args.from_us,
                              args.to_us, args.last_us)
        except TraceError as e:
            print(f"timeline: {name}: {e}", file=sys.stderr)
            status = 1
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(svg)
        print(f"timeline: {summary(model)}")
        for problem in model.trace.problems:
            print(f"timeline: warning: {problem}")
        print(f"timeline: wrote {out} (open it in a browser; hover a shape for its details)")
    return status


if __name__ == "__main__":
    sys.exit(main())
