/*
 * System-call dispatch and argument fetching (kernel/syscall/syscall.h). The table of
 * handlers is built from the one list in kernel/abi/syscall.h, so a call's number can
 * only mean one handler.
 */
#include "syscall/syscall.h"

#include "debug/lab.h"
#include "hal/trapframe.h"
#include "proc/proc.h"
#include "sched/thread.h"
#include "vm/addrspace.h"

static long (*const handlers[SYS_LAST + 1])(void) = {
#define SYSCALL_ENTRY(name, number, ret, params) [number] = sys_##name,
        SYSCALLS(SYSCALL_ENTRY)
#undef SYSCALL_ENTRY
};

/* The frame of the program this thread serves: its registers as of the ecall. */
static struct trapframe *current_frame(void)
{
	return proc_frame(proc_current());
}

void syscall(struct trapframe *tf)
{
	// LAB user: BEGIN
	uint64_t number = tf->x[17]; /* a7 */
	long result = -1;
	/* An unsigned compare: a7 may hold anything, negative numbers too. */
	if (number <= SYS_LAST && handlers[number])
		result = handlers[number]();
	tf->x[REG_A0] = (uint64_t)result;
	// LAB user: STUB
	// /* Your code here: see docs/labs/7-user.md. */
	// (void)tf;
	// (void)handlers;
	// lab_missing("system calls", "docs/labs/7-user.md");
	// LAB user: END
}

long arg_long(int n)
{
	// LAB user: BEGIN
	/* a0..a5 are x10..x15. */
	return (long)current_frame()->x[REG_A0 + n];
	// LAB user: STUB
	// /* Your code here: see docs/labs/7-user.md. */
	// (void)n;
	// (void)current_frame;
	// lab_missing("system calls", "docs/labs/7-user.md");
	// LAB user: END
}

int arg_int(int n)
{
	/* The convention sign-extends an int to 64 bits; its low 32 bits are the int. */
	return (int)arg_long(n);
}

uintptr_t arg_addr(int n)
{
	return (uintptr_t)arg_long(n);
}

long arg_str(int n, char *buf, size_t size)
{
	// LAB user: BEGIN
	return copyinstr(proc_current()->as, buf, arg_addr(n), size);
	// LAB user: STUB
	// /* Your code here: see docs/labs/7-user.md. */
	// (void)n;
	// (void)buf;
	// (void)size;
	// lab_missing("system calls", "docs/labs/7-user.md");
	// LAB user: END
}
