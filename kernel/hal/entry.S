/*
 * The first instructions of the kernel. OpenSBI enters _start in S-mode on one hart
 * (the boot hart, not necessarily hart 0) with a0 = hart id and a1 = device-tree
 * address, the MMU off and interrupts disabled. Other harts arrive later at
 * _start_secondary, started through SBI HSM with a1 = the top of their stack (or, now
 * and then, at _start itself: see arrived_late).
 */
#include "config.h"

/* \reg = the top of hart a0's boot stack, boot_stacks + (a0 + 1) * KSTACK_SIZE; uses t0, t1. */
.macro boot_stack_top reg
	la	\reg, boot_stacks
	li	t0, KSTACK_SIZE
	addi	t1, a0, 1
	mul	t0, t0, t1
	add	\reg, \reg, t0
.endm

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

	/*
	 * Claim the boot. The firmware should send one hart here, but under a loaded host
	 * OpenSBI 1.1 in QEMU 7.2 now and then lets a second hart through to this address
	 * (about 1 boot in 200); it must not zero .bss under the boot hart's feet.
	 */
	la	t0, boot_claimed
	li	t1, 1
	amoswap.w.aqrl t1, t1, (t0)
	bnez	t1, arrived_late

	/* Zero .bss (the boot stacks live there too, not yet in use). */
	la	t0, bss_start
	la	t1, bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:
	/* fp = 0 ends backtraces. */
	boot_stack_top sp
	mv	fp, zero
	call	kmain
	j	park

	/*
	 * A hart that lost the claim waits until the boot hart opens the door for
	 * secondaries (smp_start_secondaries), then starts as if HSM had started it: on
	 * its own boot stack, which the boot hart zeroed with .bss before opening.
	 */
arrived_late:
	/* Leave a mark for the boot hart to report: bit a0 of late_harts. */
	la	t0, late_harts
	li	t1, 1
	sll	t1, t1, a0
	amoor.d	zero, t1, (t0)
	la	t0, secondaries_welcome
1:	lw	t1, 0(t0)
	beqz	t1, 1b
	fence	r, rw
	boot_stack_top a1
	/* fall through */

	.globl _start_secondary
_start_secondary:
	/* The outermost frame of a secondary hart: nothing to unwind past (for GDB). */
	.cfi_startproc
	.cfi_undefined ra
	csrw	sie, zero
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	mv	sp, a1
	mv	fp, zero
	call	kmain_secondary
	.cfi_endproc
park:
	wfi
	j	park

	/* In .data, not .bss: a late hart reads them before and while .bss is zeroed. */
	.data
	.align	2
boot_claimed:
	.word	0
	.globl	secondaries_welcome
secondaries_welcome:
	.word	0
	.align	3
	.globl	late_harts
late_harts:
	.dword	0
