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

/*
 * Every register but sp set from a base: xN = base + N * REG_STEP. SET_REGISTERS
 * needs the base in a0 and a0's own value at SEEDED_A0(sp); a0 is set last.
 */

/* The stack frame of the all-register routines: the dump of x0..x31, then what they
   save of the caller. */
#define DUMP      0   /* x0..x31 as they were after the trap, x2 = sp */
#define SAVED_RA  256 /* ra, s0..s11, gp, tp */
#define SAVED_S0  264
#define SAVED_GP  360
#define SAVED_TP  368
#define OUT_PTR   376
#define SEEDED_A0 384
#define FRAME     400

	.macro	SET_REGISTERS
	.irp	n, 1, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	li	x\n, \n * REG_STEP
	add	x\n, x\n, a0
	.endr
	ld	a0, SEEDED_A0(sp)
	.endm

	/* The prologue: save what the caller expects back, note out and a0's value. */
	.macro	ALL_REGISTERS_ENTER
	addi	sp, sp, -FRAME
	sd	ra, SAVED_RA(sp)
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	sd	s\n, (SAVED_S0 + \n * 8)(sp)
	.endr
	sd	gp, SAVED_GP(sp)
	sd	tp, SAVED_TP(sp)
	sd	a1, OUT_PTR(sp)
	li	t0, 10 * REG_STEP
	add	t0, t0, a0
	sd	t0, SEEDED_A0(sp)
	.endm

	/* The epilogue: dump every register, copy the dump to out, restore, return. */
	.macro	ALL_REGISTERS_LEAVE
	.irp	n, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	sd	x\n, (DUMP + \n * 8)(sp)
	.endr
	addi	t0, sp, FRAME
	sd	t0, (DUMP + 2 * 8)(sp)
	sd	zero, DUMP(sp)
	ld	t1, OUT_PTR(sp)
	mv	t2, sp
	li	t3, 32
1:	ld	t0, 0(t2)
	sd	t0, 0(t1)
	addi	t2, t2, 8
	addi	t1, t1, 8
	addi	t3, t3, -1
	bnez	t3, 1b
	ld	ra, SAVED_RA(sp)
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	ld	s\n, (SAVED_S0 + \n * 8)(sp)
	.endr
	ld	gp, SAVED_GP(sp)
	ld	tp, SAVED_TP(sp)
	addi	sp, sp, FRAME
	ret
	.endm

	/* void trap_test_regs_ebreak(uint64_t base, uint64_t out[32]): a 4-byte ebreak */
	.globl trap_test_regs_ebreak
trap_test_regs_ebreak:
	ALL_REGISTERS_ENTER
	SET_REGISTERS
	.option push
	.option norvc
	ebreak
	.option pop
	ALL_REGISTERS_LEAVE

	/* void trap_test_regs_c_ebreak(uint64_t base, uint64_t out[32]): a c.ebreak */
	.globl trap_test_regs_c_ebreak
trap_test_regs_c_ebreak:
	ALL_REGISTERS_ENTER
	SET_REGISTERS
	c.ebreak
	ALL_REGISTERS_LEAVE

	/* void trap_test_regs_wfi(uint64_t base, uint64_t out[32]): waits for an interrupt */
	.globl trap_test_regs_wfi
trap_test_regs_wfi:
	ALL_REGISTERS_ENTER
	SET_REGISTERS
	wfi
	ALL_REGISTERS_LEAVE

	/*
	 * void trap_test_regs_soft(uint64_t base, uint64_t out[32]): raises a software
	 * interrupt on this hart, taken at once (interrupts must be on). Before setting the
	 * registers it stores its sp in trap_test_soft_sp, so that the handler can find the
	 * frame the entry builds right below it.
	 */
	.globl trap_test_regs_soft
trap_test_regs_soft:
	ALL_REGISTERS_ENTER
	la	t0, trap_test_soft_sp
	sd	sp, 0(t0)
	SET_REGISTERS
	csrsi	sip, 2
	nop
	nop
	nop
	nop
	ALL_REGISTERS_LEAVE

	/*
	 * void trap_test_illegal_insn(uint64_t base): sets every register but ra, sp and s0
	 * (which the report's backtrace needs) from base, then executes an illegal
	 * instruction. Never returns.
	 */
	.globl trap_test_illegal_insn
trap_test_illegal_insn:
	addi	sp, sp, -16
	li	t0, 10 * REG_STEP
	add	t0, t0, a0
	sd	t0, 0(sp)
	.irp	n, 3, 4, 5, 6, 7, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	li	x\n, \n * REG_STEP
	add	x\n, x\n, a0
	.endr
	ld	a0, 0(sp)
	.2byte	0		/* c.unimp: all-zero is defined to be illegal */
	ret

	.globl trap_test_load
trap_test_load:
	ld	a0, 0(a0)
	ret
