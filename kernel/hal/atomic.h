/*
 * Atomic memory operations and fences, each named for the ordering it gives.
 *
 * RISC-V's A extension orders an AMO with its .aq/.rl bits; the C11 builtins below
 * compile to exactly those (amoswap.w.aq for an acquire swap, fence rw,w + sw for a
 * release store), so the kernel states orderings in C and the compiler cannot move
 * ordinary accesses across them.
 */
#pragma once

#include <stdint.h>

/* Swaps in v and returns the old value; later loads and stores stay after it (acquire). */
static inline uint32_t atomic_swap_acquire(volatile uint32_t *p, uint32_t v)
{
	return __atomic_exchange_n(p, v, __ATOMIC_ACQUIRE);
}

/* Stores v; earlier loads and stores are visible before it (release). */
static inline void atomic_store_release(volatile uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* A load that later accesses cannot move before (pairs with a release store). */
static inline uint32_t atomic_load_acquire(const volatile uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* A load with no ordering: for statistics and polling loops. */
static inline uint32_t atomic_load_relaxed(const volatile uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Adds v and returns the old value, with no ordering: for counters. */
static inline uint64_t atomic_fetch_add_relaxed(volatile uint64_t *p, uint64_t v)
{
	return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

/* Full fence: all earlier memory accesses complete before any later one. */
static inline void atomic_fence(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

/* Hint that this hart is spinning (Zihintpause; a no-op where absent). */
static inline void cpu_relax(void) { __asm__ volatile(".insn i 0x0f, 0, x0, x0, 0x010"); }
