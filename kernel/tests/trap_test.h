/*
 * What kernel/tests/trap_test.c and its assembly half, trap_test.S, share.
 */
#pragma once

/* The value register xN holds while trap_test_spin_registers() waits for interrupts. */
#define REG_PATTERN(n) (0x5EED000000000000 + (n)*0x10000000101)

/* The step between the values the all-register routines give x1, x2, ..., x31. */
#define REG_STEP 0x0101010101010101

#ifndef __ASSEMBLER__

#include <stdint.h>

/* Returns 11 if an ebreak and a c.ebreak were each stepped over by exactly their size. */
uint64_t trap_test_breakpoints(void);

/*
 * Fills x1, x3..x28 with REG_PATTERN(n), spins until *ticks reaches target (t4 = target,
 * t5 = ticks, t6 = the last value read), then stores every register in out[n]; out[0]
 * is sp before the spin, out[2] sp after it.
 */
void trap_test_spin_registers(const volatile uint64_t *ticks, uint64_t target, uint64_t out[32]);

/* The value the all-register routines below give xN: base + N * REG_STEP. */
static inline uint64_t reg_seeded(uint64_t base, int n)
{
	return base + (uint64_t)n * REG_STEP;
}

/*
 * Each sets every register but sp (x1, x3..x31) to reg_seeded(base, n), takes one trap
 * and stores every register as it came back in out[n] (out[0] = 0, out[2] = the
 * caller's sp): through a 4-byte ebreak, a c.ebreak, a wfi ended by an interrupt
 * (interrupts must be on), or a software interrupt it raises itself (interrupts on; it
 * stores its own sp in trap_test_soft_sp first, so the handler can find the frame).
 */
void trap_test_regs_ebreak(uint64_t base, uint64_t out[32]);
void trap_test_regs_c_ebreak(uint64_t base, uint64_t out[32]);
void trap_test_regs_wfi(uint64_t base, uint64_t out[32]);
void trap_test_regs_soft(uint64_t base, uint64_t out[32]);
extern uint64_t trap_test_soft_sp;

/*
 * Sets every register but ra, sp and s0 to reg_seeded(base, n) and executes an illegal
 * instruction (c.unimp). Does not return.
 */
void trap_test_illegal_insn(uint64_t base);

/* Loads from `addr`. */
uint64_t trap_test_load(uint64_t addr);

#endif
