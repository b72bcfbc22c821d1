/*
 * The assembly half of the trap tests: code whose exact instructions matter (the size
 * of a breakpoint, every register holding a known value while interrupts arrive).
 */
#include "tests/trap_test.h"

	.section .text

	.globl trap_test_breakpoints
trap_test_breakpoints:
	li	a0, 0
	.option push
	.option norvc
	ebreak			/* 4 bytes, followed by a 2-byte instruction */
	.option pop
	c.addi	a0, 1
	c.ebreak		/* 2 bytes, followed by a 4-byte instruction */
	.option push
	.option norvc
	addi	a0, a0, 10
	.option pop
	ret

#define SAVED 18 /* ra, s0-s11, gp, tp, out, sp before the spin, padding */

	.globl trap_test_spin_registers
trap_test_spin_registers:
	addi	sp, sp, -SAVED * 8
	sd	ra, 0(sp)
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	sd	s\n, (8 + \n * 8)(sp)
	.endr
	sd	gp, 104(sp)
	sd	tp, 112(sp)
	sd	a2, 120(sp)
	sd	sp, 128(sp)
	mv	t4, a1
	mv	t5, a0
	li	x1, REG_PATTERN(1)
	.irp	n, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28
	li	x\n, REG_PATTERN(\n)
	.endr
	/* Only t6 changes while the timer interrupts this loop. */
1:	ld	t6, 0(t5)
	bltu	t6, t4, 1b

	addi	sp, sp, -256
	.irp	n, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	sd	x\n, (\n * 8)(sp)
	.endr
	addi	t0, sp, 256
	sd	t0, 16(sp)
	ld	t0, (256 + 128)(sp)
	sd	t0, 0(sp)
	ld	t1, (256 + 120)(sp)
	mv	t2, sp
	li	t3, 32
2:	ld	t0, 0(t2)
	sd	t0, 0(t1)
	addi	t2, t2, 8
	addi	t1, t1, 8
	addi	t3, t3, -1
	bnez	t3, 2b
	addi	sp, sp, 256

	ld	ra, 0(sp)
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	ld	s\n, (8 + \n * 8)(sp)
	.endr
	ld	gp, 104(sp)
	ld	tp, 112(sp)
	addi	sp, sp, SAVED * 8
	ret

	.globl trap_test_illegal_insn
trap_test_illegal_insn:
	nop
	.2byte	0		/* c.unimp: all-zero is defined to be illegal */
	ret

	.globl trap_test_load
trap_test_load:
	ld	a0, 0(a0)
	ret
