/*
 * What kernel/tests/trap_test.c and its assembly half, trap_test.S, share.
 */
#pragma once

/* The value register xN holds while trap_test_spin_registers() waits for interrupts. */
#define REG_PATTERN(n) (0x5EED000000000000 + (n)*0x10000000101)

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

/* Executes an illegal instruction (c.unimp). */
void trap_test_illegal_insn(void);

/* Loads from `addr`. */
uint64_t trap_test_load(uint64_t addr);

#endif
