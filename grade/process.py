"""Running one QEMU for the grader: in a process group of its own, its console read as
it comes, input typed when a prompt appears, stopped on timeout or Ctrl-C, and never
left behind (the whole group is killed and the process reaped). gradelib builds on it.
"""

import contextlib
import os
import re
import signal
import subprocess
import threading
import time

TERM_GRACE = 1.0  # seconds a stopped QEMU gets to exit after SIGTERM before SIGKILL
POLL = 0.05  # seconds between checks of the clock and of the process while it runs
MAX_CONSOLE = 4 << 20  # bytes; a kernel printing in a loop is stopped, not buffered forever


class _Console:
    """Everything a process writes, gathered by a reader thread as it arrives."""

    def __init__(self, stream):
        self._data = bytearray()
        self.closed = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        while True:
            try:
                chunk = os.read(stream.fileno(), 65536)
            except OSError:
                chunk = b""
            with self._cond:
                self._data += chunk
                self.closed = not chunk
                self._cond.notify_all()
            if not chunk:
                return

    def size(self):
        return len(self._data)

    def text(self):
        with self._cond:
            return self._data.decode("utf-8", "replace")

    def wait(self, seen, seconds):
        """Waits until there is more than `seen` bytes, the stream closes, or time is up."""
        with self._cond:
            self._cond.wait_for(lambda: self.closed or len(self._data) > seen, seconds)

    def finish(self):
        self._thread.join(2)


def _exited(proc):
    """True once proc has exited, leaving it unreaped: until it is reaped its pid, which
    is also its process group's id, cannot be reused, so killing the group stays safe."""
    if not hasattr(os, "waitid"):
        return proc.poll() is not None
    try:
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _kill_group(proc, polite):
    """Ends proc's whole process group (QEMU and anything it started) and reaps proc."""
    def signal_group(sig):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
    if polite and not _exited(proc):
        signal_group(signal.SIGTERM)
        deadline = time.monotonic() + TERM_GRACE
        while not _exited(proc) and time.monotonic() < deadline:
            time.sleep(0.01)
    # Also after a clean exit: a child that outlived QEMU must not stay behind.
    signal_group(signal.SIGKILL)
    proc.wait()


def _type_inputs(proc, pending, text, pos):
    """Writes each pending (regex, bytes) in turn while its regex appears after pos;
    returns the position after the last match."""
    while pending:
        match = re.compile(pending[0][0], re.M).search(text, pos)
        if not match:
            break
        pos, data = match.end(), pending.pop(0)[1]
        with contextlib.suppress(OSError):  # QEMU may be gone already
            proc.stdin.write(data)
            proc.stdin.flush()
    return pos


def run_process(command, timeout, inputs=(), until=None, cancel=None, cwd=None,
                watch=None, before_kill=None):
    """Runs command in a process group of its own until it exits, `until` appears on its
    output, the timeout passes or `cancel` is set. Each (regex, bytes) of inputs is
    written to its stdin once the regex appears (after the previous input's match).
    watch(), if given, is called every POLL or so while it runs and may return a reason
    to stop it (a string); before_kill(reason) is called while the process still runs,
    when it is stopped for any reason but `until` or `interrupted` (to ask it where it
    was). Returns (text, exit status or None, why it was stopped or None, seconds)."""
    start = time.monotonic()
    proc = subprocess.Popen(command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    console = _Console(proc.stdout)
    pending, search_from, stopped = list(inputs), 0, None
    try:
        while True:
            seen = console.size()
            if pending or until:
                text = console.text()
                search_from = _type_inputs(proc, pending, text, search_from)
                if until and re.search(until, text, re.M):
                    stopped = "until"
            now = time.monotonic()
            if stopped or _exited(proc):
                break
            if cancel is not None and cancel.is_set():
                stopped = "interrupted"
            elif now >= start + timeout:
                stopped = "timeout"
            elif seen > MAX_CONSOLE:
                stopped = "output"
            elif watch is not None:
                stopped = watch()
            if stopped:
                if before_kill is not None and stopped not in ("until", "interrupted"):
                    before_kill(stopped)
                break
            if console.closed:  # QEMU is exiting: its status comes in a moment
                time.sleep(0.005)
            else:
                console.wait(seen, min(POLL, start + timeout - now))
    finally:
        seconds = time.monotonic() - start
        _kill_group(proc, polite=stopped is not None)
        console.finish()
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError):
                stream.close()
    return console.text(), (None if stopped else proc.returncode), stopped, seconds
