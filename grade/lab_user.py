"""Lab 7, user mode: graded tests.

The first tests boot the kernel with in-kernel tests selected (kernel/tests/user_test.c):
small programs written in assembly (kernel/tests/user_code.S), wrapped in ELF images in
memory, run as processes that the test spawns and reaps. Each program's exit status says
what it saw; the kernel test checks it and prints PASS or FAIL with this run's token.
"""
from gradelib import Lab

lab = Lab("user")


@lab.test(points=10)
def exit_status(t):
    """A program runs in user mode, makes system calls, and its exit status comes back;
    running it again loses no page."""
    t.boot("user.exit_status").expect_pass("user.exit_status")


@lab.test(points=10)
def fault(t):
    """A program that loads from address 16 is killed with one line, status -1, and the
    kernel goes on."""
    run = t.boot("user.fault")
    run.expect_pass("user.fault")
    run.expect(r"pid \d+ \(user_fault\): load page fault at 0x10, pc 0x100000002")


@lab.test(points=15)
def fork_wait(t):
    """fork returns 0 in the child and its pid in the parent; wait returns that pid and
    the child's exit status, on 2 harts."""
    t.boot("user.fork_wait", cpus=2).expect_pass("user.fork_wait")


@lab.test(points=15)
def bad_calls(t):
    """An unknown or negative call number, sbrk past the limit or below the heap, wait
    with no child, kill of no process and a kernel pointer all return -1."""
    t.boot("user.bad_calls").expect_pass("user.bad_calls")


@lab.test(points=10)
def sbrk(t):
    """sbrk grows the heap by a writable page and shrinks it back."""
    t.boot("user.sbrk").expect_pass("user.sbrk")


@lab.test(points=10)
def args(t):
    """exec's arguments reach main as argc and argv."""
    t.boot("user.args").expect_pass("user.args")


@lab.test(points=10)
def kill(t):
    """kill ends a process sleeping in the kernel and one spinning in user mode."""
    t.boot("user.kill", cpus=2).expect_pass("user.kill")


@lab.test(points=15)
def bad_elf(t):
    """The loader refuses 14 kinds of bad ELF image, each with its reason, and loses no
    page."""
    run = t.boot("user.bad_elf")
    run.expect_pass("user.bad_elf")
    if run.info("user.bad_elf")["refused"] != 14:
        raise AssertionError("not every hostile image was tried")


# ---- Programs from the disk, through init and the shell ----

PROMPT = rb"^\$ "


def shell(t, commands, until, cpus=2, timeout=60):
    """Boots to the shell with a fresh copy of the disk, types each command after a
    prompt, and stops once `until` appears."""
    inputs = [(r"(?m)^\$ ", (c + "\n").encode()) for c in commands]
    return t.boot((), cpus=cpus, disk=True, input=inputs, until=until, timeout=timeout)


@lab.test(points=10)
def shell_basics(t):
    """init starts sh; sh runs programs with arguments, pipes, redirection, ; and &."""
    run = shell(t, ["echo hello sprout", "echo a b c | wc", "echo one > f; cat f",
                    "mkdir d; ls d", "cat < f | grep one", "echo done"],
                until=r"(?m)^done\r?$")
    run.expect(r"(?m)^hello sprout$")
    run.expect(r"(?m)^\s+1\s+3\s+6$")        # wc of "a b c\n"
    run.expect(r"(?m)^one$")
    run.expect(r"(?m)^\.\s+dir\s+\d+\s+\d+$")  # ls of an empty directory: . and ..
    run.expect(r"(?m)^one$")
    run.expect(r"(?m)^done$")


@lab.test(points=20)
def usertests(t):
    """The hostile suite: forks to exhaustion, bad pointers and descriptors to every call,
    sbrk to exhaustion, pipes closed under blocked readers and writers, exec of garbage,
    file limits, deep directories, kills; then no page, process, file or inode leaked."""
    run = shell(t, ["usertests"], until=r"(?m)^usertests: \d+ ok, \d+ failed\r?$", timeout=180)
    m = run.expect(r"(?m)^usertests: (\d+) ok, (\d+) failed$")
    failed = [l for l in run.lines if l.startswith("usertests: ") and ": FAIL" in l]
    if int(m.group(2)) != 0 or failed:
        raise AssertionError("usertests failed: " + "; ".join(failed))
    if int(m.group(1)) < 40:
        raise AssertionError(f"only {m.group(1)} usertests ran")
    if run.panics():
        raise AssertionError(f"the kernel panicked: {run.panics()[0][1]}")


@lab.test(points=10)
def fuzz(t):
    """Four processes make 300 random system calls each with adversarial arguments (seed
    1): no panic, no leak, and every call that must fail does."""
    run = shell(t, ["fuzz 1 300"], until=r"(?m)^fuzz: seed 1: (ok|FAIL.*)\r?$", timeout=120)
    run.expect(r"(?m)^fuzz: seed 1: ok$")
    if run.panics():
        raise AssertionError(f"the kernel panicked: {run.panics()[0][1]}")
