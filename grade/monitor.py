"""Asking a running QEMU about its guest, through QEMU's human monitor (HMP).

gradelib starts every QEMU with `-monitor unix:PATH,server,nowait`; a Monitor connects
to PATH and types commands as a person would at the `(qemu)` prompt. The grader uses it
for two things: every hart's pc when a boot hangs (`info registers -a`), and the guest
clock under -icount (the CLINT's mtime register, read with `xp`).

What QEMU 7.2 prints, as the parsers below expect it:

    (qemu) info registers -a
    CPU#0
     V      =   0
     pc       00000000802147fc
     ...
    CPU#1
     ...
    (qemu) xp /1gx 0x200bff8
    000000000200bff8: 0x00000000001a9c51
"""

import re
import socket
import time

PROMPT = b"(qemu) "
# QEMU virt: the CLINT's mtime, counting at the timebase-frequency of the device tree's
# /cpus node. Under -icount it follows the instructions executed (guest time).
MTIME = 0x0200BFF8
TIMEBASE_HZ = 10_000_000


class MonitorError(Exception):
    """The monitor could not be reached, or did not answer in time."""


class Monitor:
    """One connection to QEMU's human monitor on a Unix socket."""

    def __init__(self, path, timeout=1.0):
        self.path, self.timeout = str(path), timeout
        self._sock = None

    def _connect(self):
        if self._sock is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            try:
                sock.connect(self.path)
            except OSError as e:
                sock.close()
                raise MonitorError(f"no QEMU monitor at {self.path}: {e}") from None
            self._sock = sock
            self._read_to_prompt()  # the greeting

    def _read_to_prompt(self):
        """What QEMU printed up to its next prompt. On any failure the connection is
        closed (a late answer must not pass for the next one's) and reopened next time."""
        data, deadline = b"", time.monotonic() + self.timeout
        try:
            while not data.endswith(PROMPT):
                if time.monotonic() > deadline:
                    raise MonitorError(f"the QEMU monitor did not answer within "
                                       f"{self.timeout:g} s")
                try:
                    chunk = self._sock.recv(65536)
                except OSError as e:
                    raise MonitorError(f"the QEMU monitor did not answer: {e}") from None
                if not chunk:
                    raise MonitorError("the QEMU monitor closed the connection")
                data += chunk
        except MonitorError:
            self.close()
            raise
        return data[:-len(PROMPT)].decode("utf-8", "replace")

    def command(self, line):
        """Types one command and returns what it printed. The monitor echoes the typed
        line with terminal escapes; the answer is everything after the echo's newline."""
        self._connect()
        try:
            self._sock.sendall(line.encode() + b"\n")
        except OSError as e:
            self.close()
            raise MonitorError(f"the QEMU monitor went away: {e}") from None
        answer = self._read_to_prompt()
        return answer.split("\n", 1)[1].replace("\r", "") if "\n" in answer else ""

    def pcs(self):
        """{hart: pc} of every hart, after stopping the machine (a running hart's pc is
        only brought up to date when it leaves its translated block)."""
        self.command("stop")
        out, pcs, cpu = self.command("info registers -a"), {}, 0
        for line in out.splitlines():
            m = re.match(r"CPU#(\d+)", line)
            if m:
                cpu = int(m.group(1))
            m = re.match(r"\s*pc\s+([0-9a-fA-F]+)\s*$", line)
            if m:
                pcs[cpu] = int(m.group(1), 16)
        if not pcs:
            raise MonitorError(f"no pc in `info registers -a`: {out.strip()[:200]!r}")
        return pcs

    def guest_seconds(self):
        """Guest time: the CLINT's mtime in seconds."""
        out = self.command(f"xp /1gx {MTIME:#x}")
        m = re.search(r"^[0-9a-fA-F]+: 0x([0-9a-fA-F]+)", out, re.M)
        if not m:
            raise MonitorError(f"no value in `xp`: {out.strip()[:200]!r}")
        return int(m.group(1), 16) / TIMEBASE_HZ

    def close(self):
        if self._sock is not None:
            self._sock.close()
            self._sock = None
