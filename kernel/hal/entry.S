/*
 * The first instructions of the kernel. OpenSBI enters _start in S-mode on one hart
 * (the boot hart, not necessarily hart 0) with a0 = hart id and a1 = device-tree
 * address, the MMU off and interrupts disabled. Other harts arrive later at
 * _start_secondary, started through SBI HSM with a1 = the top of their stack.
 */
#include "config.h"

	.section .text.entry
	.globl _start
_start:
	csrw	sie, zero
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop

	/* A hart id beyond the kernel's tables cannot get a stack: park it. */
	li	t0, MAX_HARTS
	bgeu	a0, t0, park

	/* Zero .bss (the boot stacks live there too, not yet in use). */
	la	t0, bss_start
	la	t1, bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:
	/* sp = boot_stacks + (hartid + 1) * KSTACK_SIZE; fp = 0 ends backtraces. */
	la	sp, boot_stacks
	li	t0, KSTACK_SIZE
	addi	t1, a0, 1
	mul	t0, t0, t1
	add	sp, sp, t0
	mv	fp, zero
	call	kmain
	j	park

	.globl _start_secondary
_start_secondary:
	csrw	sie, zero
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	mv	sp, a1
	mv	fp, zero
	call	kmain_secondary
park:
	wfi
	j	park
