/*
 * Tiny user programs for the tests of lab 7 (kernel/tests/user_test.c), written in
 * assembly so that they need nothing from user/: each is position-independent code that
 * the test copies into an ELF image in memory and runs as a process. Each ends with
 * exit(); the exit status tells the test what the program saw.
 */
#include "abi/syscall.h"

/* SYS_fork, SYS_exit, ... as assembler symbols, from the one list: .L names, so that
   they stay out of the kernel's symbol table (where a hang report would find them). */
#define SYSCALL_EQU(name, number, ret, params) .equ .LSYS_##name, number;
SYSCALLS(SYSCALL_EQU)

.macro syscall number
	li	a7, \number
	ecall
.endm

.macro exit_with value
	li	a0, \value
	syscall	.LSYS_exit
.endm

.macro program name
	.globl	\name, \name\()_end
	.balign	4
\name:
.endm

	.section .rodata.usercode, "a"

	/* exit(42) after a getpid that must be positive. */
	program	user_exit42
	syscall	.LSYS_getpid
	blez	a0, 1f
	exit_with 42
1:	exit_with 1
user_exit42_end:

	/* A load from address 16: the kernel kills it. */
	program	user_fault
	li	t0, 16
	ld	t1, 0(t0)
	exit_with 0
user_fault_end:

	/* fork; the child exits 7; the parent waits for it and exits 1 + its status. */
	program	user_fork
	syscall	.LSYS_fork
	bltz	a0, 2f
	bnez	a0, 1f
	exit_with 7
1:	mv	s1, a0
	addi	sp, sp, -16
	mv	a0, sp
	syscall	.LSYS_wait
	bne	a0, s1, 2f
	lw	a0, 0(sp)
	addi	a0, a0, 1
	syscall	.LSYS_exit
2:	exit_with 99
user_fork_end:

	/* Bad calls all return -1; exits 0, or the number of the first check that failed. */
	program	user_badcalls
	li	s1, 1
	syscall	999			/* no such call */
	li	t0, -1
	bne	a0, t0, 9f
	li	s1, 2
	li	a7, -5			/* a negative number */
	ecall
	bne	a0, t0, 9f
	li	s1, 3
	li	a0, 1
	slli	a0, a0, 30		/* sbrk(1 GiB): past the limit */
	syscall	.LSYS_sbrk
	bne	a0, t0, 9f
	li	s1, 4
	syscall	.LSYS_wait		/* no children */
	bne	a0, t0, 9f
	li	s1, 5
	li	a0, 99999
	syscall	.LSYS_kill		/* no such process */
	bne	a0, t0, 9f
	li	s1, 6
	li	a0, 0x80200000		/* a kernel address for sysstats to write to */
	syscall	.LSYS_sysstats
	bne	a0, t0, 9f
	li	s1, 7
	li	a0, -4096		/* sbrk below the heap's start */
	syscall	.LSYS_sbrk
	bne	a0, t0, 9f
	exit_with 0
9:	mv	a0, s1
	syscall	.LSYS_exit
user_badcalls_end:

	/* sbrk(4096), write the new page, sbrk(-4096), exit 0; 1 or 2 if a step failed. */
	program	user_sbrk
	li	a0, 4096
	syscall	.LSYS_sbrk
	li	t0, -1
	beq	a0, t0, 1f
	li	t1, 0x5a
	li	t2, 4095
	add	t2, t2, a0
	sb	t1, 0(t2)
	li	a0, -4096
	syscall	.LSYS_sbrk
	li	t0, -1
	beq	a0, t0, 2f
	exit_with 0
1:	exit_with 1
2:	exit_with 2
user_sbrk_end:

	/* sleep(100000) ticks: only a kill ends it early; exits 0 if it ever wakes. */
	program	user_sleeper
	li	a0, 100000
	syscall	.LSYS_sleep
	exit_with 0
user_sleeper_end:

	/* Spins in user mode forever: the tick must preempt it, and kill must end it. */
	program	user_spinner
1:	j	1b
user_spinner_end:

	/* exit(10 * argc + the first digit of argv[1]). */
	program	user_args
	mv	s1, a0
	li	t0, 2
	bne	a0, t0, 1f
	ld	t1, 8(a1)		/* argv[1] */
	lbu	t1, 0(t1)
	addi	t1, t1, -'0'
	li	t2, 10
	mul	a0, s1, t2
	add	a0, a0, t1
	syscall	.LSYS_exit
1:	exit_with 99
user_args_end:
