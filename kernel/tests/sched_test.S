/*
 * uint64_t sched_test_registers(void (*yield)(void), uint64_t seed)
 *
 * Fills s1..s11 with values made from seed, calls yield() (which switches to other
 * threads and back), and returns a mask with bit n set for each sn that came back
 * changed: what a context switch that forgot a callee-saved register looks like.
 * (s0 is the frame pointer: without it nothing would come back at all.)
 */
	.section .text
	.balign 4
	.globl sched_test_registers
sched_test_registers:
	addi	sp, sp, -112
	sd	ra, 0(sp)
	sd	s0, 8(sp)
	.irp	n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	sd	s\n, (8 + \n * 8)(sp)
	.endr
	sd	a1, 104(sp)

	li	t1, 0x0101010101010101
	add	s1, a1, t1
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
	li	t1, 0x0101010101010101
	ld	t2, 104(sp)
	.irp	n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	add	t2, t2, t1
	beq	s\n, t2, 1f
	li	t3, 1 << \n
	or	a0, a0, t3
1:
	.endr

	ld	ra, 0(sp)
	ld	s0, 8(sp)
	.irp	n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	ld	s\n, (8 + \n * 8)(sp)
	.endr
	addi	sp, sp, 112
	ret
