"""Going back through a failed test: QEMU's record and replay, and GDB's reverse execution.

When a graded test fails in a boot of one hart, the grader boots that run once more
under QEMU's record mode (the same kernel arguments, its token included, and the same
QEMU options; `-icount shift=3` if it had no -icount, as recording needs one) and keeps
what a replay needs in build/replay/<lab>-<test>/: the kernel image as it was, the log of
every non-deterministic event, a disk image that holds QEMU's snapshots, and the
commands. The failure report names them:

    make replay TEST=lab/test       the recorded boot, replayed, stopped before the
                                    firmware and waiting for GDB on port GDBPORT (1234)
    make replay-gdb TEST=lab/test   gdb-multiarch, attached: it runs to the failing
                                    test's start, saves a snapshot there, stops at
                                    ktest_fail() or a panic; then reverse-stepi,
                                    reverse-continue, watch and friends go back in time

A boot of several harts cannot be recorded (QEMU 7.2 records one hart only); its report
says so and offers `make qemu-gdb` with the same arguments instead.

Why record again, after the failure, rather than record every boot of one hart: a
recording costs about what the boot costs (measured on single-hart tests: 0.07 s plain
against 0.09 s recorded, 0.11 s against 0.17 s, 0.34 s against 0.32 s; some 35 KB of log,
plus the snapshot disk and a copy of the kernel, 2.3 MB), so both are cheap, but recording
needs -icount, and many tests are graded on purpose without it. Grading every boot under
record mode would change what is graded; a second boot only for failures does not. The
price: a failure that depends on timing may not fail again, which the report says. A
boot that hung is recorded for as long as it ran (its timeout, again), and at most
MAX_RECORDS failures are recorded in one grading.

What QEMU 7.2 does that shapes this (docs/getting-started.md, "Going back from a
failure", says it for users):
  - Reverse execution reloads the latest snapshot before the point it goes back to and
    replays forward from there. From the snapshot at the start of the boot, that replay
    failed in our probes once the boot was past its first interrupts ("Missing character
    write event in the replay log"); from a snapshot saved during the replay, at the
    failing test's start, it works. The GDB script saves that snapshot (`monitor savevm`).
  - A breakpoint in the same 4 KiB page of code as a wfi at which the replay waits for
    an interrupt stalled the replay. The script sets its breakpoints on ktest_fail() and
    the panic functions only once the test has started, after the boot's waits.
  - `next` drops the connection during a replay; stepi, breakpoints, watchpoints,
    reverse-stepi and reverse-continue work.
"""

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent
RECORDS = Path("build") / "replay"
DEFAULT_ICOUNT = "shift=3"  # for a boot graded without -icount: 8 ns of guest time an instruction
MAX_RECORDS = 8  # failures recorded in one grading; later ones say how to record them
GDB = "gdb-multiarch"
QEMU_IMG = "qemu-img"
PANIC_FUNCTIONS = ("panic", "panic_report", "trap_triple_fault")


def record_dir(root, test_full_name):
    return Path(root) / RECORDS / test_full_name.replace("/", "-")


def rel(root, path):
    """path relative to the tree's root: QEMU and GDB run there, and the tree may move."""
    return os.path.relpath(path, root)


def failing_test(run):
    """The kernel test of run that failed: the first FAIL line's, else the last test to
    START before a panic or the end; None if the run has neither."""
    failed = run.events(("FAIL",))
    if failed:
        return failed[0][2]
    started = run.events(("START",))
    return started[-1][2] if started else None


def kernel_function(test_id):
    """The C function of kernel test `suite.name` (kernel/debug/ktest.h's KTEST_DEFINE)."""
    if not test_id or "." not in test_id:
        return None
    suite, name = test_id.split(".", 1)
    return f"ktest_fn_{suite}_{name}"


def split_icount(options):
    """(the -icount value or None, the other QEMU options)."""
    rest, icount, words = [], None, list(options)
    i = 0
    while i < len(words):
        if words[i] == "-icount" and i + 1 < len(words):
            icount = words[i + 1]
            i += 2
            continue
        rest.append(words[i])
        i += 1
    return icount, rest


def live_debugging(run):
    """`make qemu-gdb` with the arguments of run: the repro for what cannot be recorded."""
    words = ["make", "qemu-gdb", f"CPUS={run.cpus}", "KARGS=" + shlex.quote(run.kargs)]
    if run.options:
        words.append("QEMUEXTRA=" + shlex.quote(shlex.join(run.options)))
    return " ".join(words)


def outcome(run):
    """What a run came to, comparable between two boots of the same arguments."""
    fails = [run.lines[i].split(" ", 3)[-1] for i, *_ in run.events(("FAIL",))]
    panics = [msg for _, msg in run.panics()]
    return {"status": run.status, "stopped": run.stopped,
            "first": (fails or panics or [None])[0]}


def record_failure(session, test, run):
    """Records run again under QEMU's record mode, for the failure report of test; returns
    the report's lines. Called by gradelib.Session.run_one for a failed test's boot."""
    title = "going back in time through this boot:"
    if run.lab_missing:
        return []
    if run.cpus != 1:
        return [f"{title} not recorded: it ran {run.cpus} harts, and QEMU 7.2 records and "
                "replays one hart only; debug it live instead:",
                f"  {live_debugging(run)}",
                "  then gdb-multiarch in a second terminal (break ktest_fail, break panic)"]
    with session._lock:
        session.records_made += 1
        over = session.records_made > MAX_RECORDS
    if over:
        return [f"{title} not recorded ({MAX_RECORDS} failures already were in this grading); "
                f"`make grade TEST={test.full_name}` records it"]
    if not shutil.which(QEMU_IMG):
        return [f"{title} not recorded: {QEMU_IMG} is missing (Debian: apt-get install "
                "qemu-utils)"]
    try:
        meta = record(session, test.full_name, run)
    except Exception as e:  # the grading goes on, whatever happened to the recording
        return [f"{title} the recording failed: {type(e).__name__}: {e}"]
    same = meta["same"]
    lines = [f"{title} recorded again under QEMU's record mode, with the same kernel "
             f"arguments (token included) and -icount {meta['icount']}; "
             + ("it failed the same way:" if same else
                f"it ended differently ({meta['recorded_outcome']}), so the replay shows "
                "that boot, not the graded one:")]
    lines += [f"  make replay TEST={test.full_name}        # the replay, waiting for GDB",
              f"  make replay-gdb TEST={test.full_name}    # in a second terminal: GDB at "
              "the failure; reverse-stepi, reverse-continue (docs/getting-started.md)"]
    return lines


def record(session, name, run, compare=True):
    """Boots run's arguments (kernel arguments, QEMU options, typed input) once more under
    record mode, into the record directory of `name`; returns the metadata written there
    (replay.json). compare: run is a boot that happened, to compare the recording with."""
    root = session.root
    where = record_dir(root, name)
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    kernel = where / "kernel.elf"
    shutil.copy2(session.kernel, kernel)
    disk = where / "snapshots.qcow2"
    subprocess.run([QEMU_IMG, "create", "-q", "-f", "qcow2", str(disk), "1M"], check=True,
                   capture_output=True, timeout=30)
    icount, options = split_icount(run.options)
    icount = icount or DEFAULT_ICOUNT
    # Record/replay fixes the clock to the instruction count; auto and sleep are its own.
    icount = ",".join(p for p in icount.split(",") if not p.startswith(("rr", "rrfile",
                                                                           "rrsnapshot")))
    base = _with_kernel(session.qemu_base(1), rel(root, kernel))
    log = rel(root, where / "record.bin")
    command = base + ["-append", run.kargs] + options + [
        "-icount", f"{icount},rr=record,rrfile={log},rrsnapshot=init",
        "-drive", f"file={rel(root, disk)},if=none,id=rr"]
    from process import run_process
    start = time.monotonic()
    with session.cores.hold(1):
        text, status, stopped, seconds = run_process(
            command, run.timeout, run.inputs, run.until, session.cancel, root)
    import gradelib
    again = gradelib.Run(run.tests, run.token, run.kargs, 1, run.options, run.inputs, run.until,
                         run.timeout, text, status, stopped, seconds, root=root)
    (where / "console.log").write_text(text)
    before, after = outcome(run), outcome(again)
    meta = {
        "test": name,
        "kernel_test": failing_test(run if compare else again),
        "kargs": run.kargs,
        "icount": icount,
        "record": [str(w) for w in command],
        "replay": [str(w).replace("rr=record", "rr=replay") for w in command],
        "kernel": rel(root, kernel),
        "graded_outcome": _describe(before) if compare else None,
        "recorded_outcome": _describe(after),
        "same": before == after if compare else None,
        "seconds": round(time.monotonic() - start, 2),
    }
    (where / "replay.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def _with_kernel(base, kernel):
    words = list(base)
    if "-kernel" in words:
        words[words.index("-kernel") + 1] = str(kernel)
    return words


def _describe(o):
    if o["stopped"]:
        why = f"stopped ({o['stopped']})"
    else:
        import gradelib
        why = f"exit status {gradelib.describe_status(o['status'])}"
    return why + (f": {o['first']}" if o["first"] else "")


def record_kernel_test(test_id, root=ROOT):
    """Records one boot of kernel test `test_id` on one hart (a test that fails on
    purpose, or one to look at); returns its metadata."""
    import secrets
    import gradelib
    session = gradelib.Session(root=root)
    if not session.build():
        raise SystemExit("replay: the kernel does not build")
    if not shutil.which(QEMU_IMG):
        raise SystemExit(f"replay: {QEMU_IMG} is missing (Debian: apt-get install qemu-utils)")
    token = secrets.token_hex(8)
    kargs = f"test={test_id} token={token}"
    plan = gradelib.Run([test_id], token, kargs, 1, [], [], None, gradelib.DEFAULT_TIMEOUT, "",
                        None, None, 0.0, root=root)
    return record(session, test_id, plan, compare=False)


# ---------------------------------------------------------------- using a record

def find(root, name):
    """The record directory of graded test `name` (lab/test, or test alone)."""
    base = Path(root) / RECORDS
    if not name:
        raise SystemExit("replay: which test? TEST=lab/test (recorded: "
                         + (", ".join(recorded(root)) or "none yet") + ")")
    exact = base / name.replace("/", "-")
    if (exact / "replay.json").exists():
        return exact
    found = [d for d in sorted(base.glob(f"*-{name}")) if (d / "replay.json").exists()]
    if len(found) == 1:
        return found[0]
    known = recorded(root)
    if found:
        raise SystemExit(f"replay: {name} is ambiguous: {', '.join(known)}")
    raise SystemExit(f"replay: no record of {name}: a graded test that fails in a boot of one "
                     "hart is recorded by `make grade` (recorded now: "
                     + (", ".join(known) or "none") + ")")


def recorded(root):
    base = Path(root) / RECORDS
    if not base.is_dir():
        return []
    return [json.loads((d / "replay.json").read_text())["test"]
            for d in sorted(base.iterdir()) if (d / "replay.json").exists()]


def replay_command(meta, port, stopped=True):
    words = list(meta["replay"])
    if stopped:
        words += ["-S", "-gdb", f"tcp::{port}"]
    return words


def gdb_script(meta, port, host="localhost", sprout_commands=True):
    """The GDB commands that attach to a replay and stop at the failure."""
    fn = kernel_function(meta.get("kernel_test"))
    lines = ["set confirm off", "set pagination off", "set architecture riscv:rv64",
             f"file {meta['kernel']}"]
    if sprout_commands:
        lines += ["python",
                  "try:",
                  "    gdb.execute('source kernel/scripts/gdb_sprout.py')",
                  "except gdb.error as e:",
                  "    print(\"Sprout's GDB commands did not load: %s\" % e)",
                  "end"]
    lines += [f"target remote {host}:{port}"]
    if fn:
        lines += [f"echo \\nRunning the replay to the start of {meta['kernel_test']} ({fn})...\\n",
                  f"tbreak {fn}", "continue",
                  "echo Saving a snapshot here (monitor savevm test): reverse execution "
                  "starts from it.\\n",
                  "monitor savevm test"]
    lines += ["break ktest_fail"] + [f"break {f}" for f in PANIC_FUNCTIONS] + ["continue"]
    lines += ["echo \\nStopped at the failure. Go back with reverse-stepi, reverse-continue "
              "(to an earlier breakpoint or a watchpoint: watch VAR). Use stepi, not next.\\n"]
    return "\n".join(lines) + "\n"


def cmd_serve(args):
    if args.test and "." in args.test and "/" not in args.test:
        meta = record_kernel_test(args.test)
        print(f"replay: recorded {args.test} on one hart: {meta['recorded_outcome']}")
    where = find(ROOT, args.test)
    meta = json.loads((where / "replay.json").read_text())
    built = ROOT / "build" / "kernel.elf"
    if built.exists() and built.read_bytes() != (ROOT / meta["kernel"]).read_bytes():
        print("replay: build/kernel.elf has changed since the recording; the replay runs the "
              f"recorded kernel ({meta['kernel']}), which `make replay-gdb` loads in GDB")
    print(f"replay: {meta['test']}, recorded: {meta['recorded_outcome']}")
    also = " (or gdb-multiarch, whose .gdbinit connects to 1234)" if args.port == 1234 else ""
    print(f"replay: QEMU waits for GDB on port {args.port}: in a second terminal, "
          f"`make replay-gdb TEST={meta['test']}`{also}")
    command = replay_command(meta, args.port)
    print("  " + shlex.join(command), flush=True)
    os.chdir(ROOT)
    os.execvp(command[0], command)


def cmd_gdb(args):
    where = find(ROOT, args.test)
    meta = json.loads((where / "replay.json").read_text())
    script = where / "replay.gdb"
    script.write_text(gdb_script(meta, args.port))
    if args.print:
        print(script.read_text(), end="")
        return 0
    command = [GDB, "-nx", "-x", rel(ROOT, script)]
    print("  " + shlex.join(command), flush=True)
    os.chdir(ROOT)
    os.execvp(command[0], command)


def cmd_list(args):
    for name in recorded(ROOT):
        meta = json.loads((record_dir(ROOT, name) / "replay.json").read_text())
        print(f"{name:<32} {meta['recorded_outcome']}")
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="replay.py", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="replay a recorded boot, stopped, under a GDB server")
    s.add_argument("test", nargs="?")
    s.add_argument("--port", type=int, default=1234)
    g = sub.add_parser("gdb", help="attach gdb-multiarch to `serve`, stopping at the failure")
    g.add_argument("test", nargs="?")
    g.add_argument("--port", type=int, default=1234)
    g.add_argument("--print", action="store_true", help="print the GDB script instead")
    sub.add_parser("list", help="the recorded tests")
    args = p.parse_args(argv)
    return {"serve": cmd_serve, "gdb": cmd_gdb, "list": cmd_list}[args.command](args) or 0


if __name__ == "__main__":
    sys.exit(main())
