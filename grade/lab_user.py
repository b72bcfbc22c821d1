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
