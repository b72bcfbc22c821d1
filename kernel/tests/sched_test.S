/*
 * uint64_t sched_test_registers(void (*yield)(void), uint64_t seed)
 *
 * Fills s0..s11 with values made from seed, calls yield() (which switches to other
 * threads and back), and returns a mask with bit n set for each sn that came back
 * changed, and bit 12 if sp did: what a context switch that forgot a callee-saved
 * register looks like. s0 is the frame pointer, so during the call a backtrace from
 * this thread stops here; the function restores it before it returns.
 */
	.section .text
	.balign 4
	.globl sched_test_registers
sched_test_registers:
	addi	sp, sp, -128
	sd	ra, 0(sp)
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	sd	s\n, (8 + \n * 8)(sp)
	.endr
	sd	a1, 104(sp)
	sd	sp, 112(sp)		/* what sp must be when yield() returns */

	li	t1, 0x0101010101010101
	add	s0, a1, t1
	add	s1, s0, t1
	add	s2, s1, t1
	add	s3, s2, t1
	add	s4, s3, t1
	add	s5, s4, t1
	add	s6, s5, t1
	add	s7, s6, t1
	add	s8, s7, t1
	add	s9, s8, t1
	add	s10, s9, t1
	add	s11, s10, t1
	jalr	a0

	/* Recompute each value from the seed on the stack and compare. */
	li	a0, 0
	ld	t2, 112(sp)
	beq	t2, sp, 2f
	li	a0, 1 << 12
2:	li	t1, 0x0101010101010101
	ld	t2, 104(sp)
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	add	t2, t2, t1
	beq	s\n, t2, 1f
	li	t3, 1 << \n
	or	a0, a0, t3
1:
	.endr

	ld	ra, 0(sp)
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	ld	s\n, (8 + \n * 8)(sp)
	.endr
	addi	sp, sp, 128
	ret

/*
 * uint64_t sched_test_switch(struct context *mine, struct context *partner, uint64_t seed)
 *
 * The same check around one direct context_switch(mine, partner), with interrupts off
 * (the caller's job): the partner context, sched_test_partner, sets every callee-saved
 * register to other values and switches straight back. No function in between saves
 * and restores s0 on the way, as thread_yield() and its callees do, so a switch that
 * forgets a register shows here even when the scheduler's own calls hide it.
 */
	.globl sched_test_switch
sched_test_switch:
	addi	sp, sp, -128
	sd	ra, 0(sp)
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	sd	s\n, (8 + \n * 8)(sp)
	.endr
	sd	a2, 104(sp)
	sd	sp, 112(sp)
	la	t0, sched_test_partner_back
	sd	a0, 0(t0)		/* where the partner switches back to */

	li	t1, 0x0101010101010101
	add	s0, a2, t1
	add	s1, s0, t1
	add	s2, s1, t1
	add	s3, s2, t1
	add	s4, s3, t1
	add	s5, s4, t1
	add	s6, s5, t1
	add	s7, s6, t1
	add	s8, s7, t1
	add	s9, s8, t1
	add	s10, s9, t1
	add	s11, s10, t1
	call	context_switch

	li	a0, 0
	ld	t2, 112(sp)
	beq	t2, sp, 2f
	li	a0, 1 << 12
2:	li	t1, 0x0101010101010101
	ld	t2, 104(sp)
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	add	t2, t2, t1
	beq	s\n, t2, 1f
	li	t3, 1 << \n
	or	a0, a0, t3
1:
	.endr

	ld	ra, 0(sp)
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	ld	s\n, (8 + \n * 8)(sp)
	.endr
	addi	sp, sp, 128
	ret

/* The partner: entered through context_start, with its own context in a0's place. */
	.globl sched_test_partner
sched_test_partner:
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	li	s\n, 0x0dd0000000000000 + \n
	.endr
	la	a0, sched_test_partner_ctx
	la	t0, sched_test_partner_back
	ld	a1, 0(t0)
	call	context_switch
1:	j	1b

	.section .bss
	.balign 8
sched_test_partner_back:
	.zero	8
