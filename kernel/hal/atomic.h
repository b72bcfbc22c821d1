/*
 * Atomic memory operations and fences, each named for the ordering it gives. Any
 * context. Caller must pass naturally aligned memory in RAM (a misaligned AMO may
 * fault; device registers go through kernel/hal/mmio.h instead).
 *
 * RISC-V's A extension orders an AMO with its .aq/.rl bits, and FENCE orders the
 * accesses around it. The C11 builtins below compile to those (GCC 12: amoswap.w.aq
 * for an acquire swap; fence iorw,ow then amoswap.w zero for a release store), so the
 * kernel states orderings in C and neither the compiler nor the hart can move ordinary
 * accesses across them in the forbidden direction.
 *
 *   acquire  later loads and stores of this hart stay after the operation: what a
 *            lock's taker needs, so it reads the data only once it holds the lock.
 *   release  earlier loads and stores of this hart are visible before it: what a
 *            lock's releaser needs, so the next holder sees everything it wrote.
 *   relaxed  atomic (never torn, never invented) but unordered: counters, polling.
 */
#pragma once

#include <stdbool.h>
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

/* A store with no ordering: for fields other harts only read for reports. */
static inline void atomic_store_relaxed(volatile uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* Pointer-sized load and store with no ordering, for the same uses. */
static inline void *atomic_load_ptr_relaxed(void *const volatile *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void atomic_store_ptr_relaxed(void *volatile *p, void *v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* Pointer-sized release store and acquire load: publishing a filled-in record. */
static inline void atomic_store_ptr_release(void *volatile *p, void *v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline void *atomic_load_ptr_acquire(void *const volatile *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/*
 * If *p == expected, stores desired and returns true; otherwise returns false. Acquire
 * and release both: a successful claim sees what the previous owner published.
 */
static inline bool atomic_cas_acq_rel(volatile uint32_t *p, uint32_t expected, uint32_t desired)
{
	return __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_ACQ_REL,
	                                   __ATOMIC_ACQUIRE);
}

/*
 * If *p == expected, stores desired. Returns the value *p held: `expected` if the store
 * happened, what stood in the way if not. Acquire: a successful claim's later accesses
 * stay after it.
 */
static inline uint32_t atomic_cas_acquire_value(volatile uint32_t *p, uint32_t expected,
                                                uint32_t desired)
{
	__atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_ACQUIRE,
	                            __ATOMIC_ACQUIRE);
	return expected;
}

/* Adds v and returns the old value; acquire and release both (amoadd.w.aqrl). */
static inline uint32_t atomic_fetch_add_acq_rel(volatile uint32_t *p, uint32_t v)
{
	return __atomic_fetch_add(p, v, __ATOMIC_ACQ_REL);
}

/* Adds v and returns the old value, with no ordering: for counters. */
static inline uint64_t atomic_fetch_add_relaxed(volatile uint64_t *p, uint64_t v)
{
	return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

/* Full fence: all earlier memory accesses complete before any later one. */
static inline void atomic_fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/*
 * Hint that this hart is spinning (Zihintpause's pause, encoded by hand since -march
 * does not name the extension; a no-op on harts without it). Any context.
 */
static inline void cpu_relax(void)
{
	__asm__ volatile(".insn i 0x0f, 0, x0, x0, 0x010");
}
