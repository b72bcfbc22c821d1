/*
 * What the memory allocators (buddy.c, kmalloc.c) need from their surroundings, in one
 * place, so that the same files build into the kernel and into the host tests
 * (kernel/hosttest/, compiled with -DHOST_TEST). In the kernel, panic() and printf()
 * are the kernel's; on the host, printf() is the C library's and panic() and
 * lab_missing() come from kernel/hosttest/host_env.c (they print and exit with the
 * statuses of docs/protocol.md: 1 for a panic, 3 for a missing lab).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "debug/lab.h"

#ifdef HOST_TEST
#include <stdio.h>

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

/* The host's printf has no %pS: callers print as bare addresses. */
#define MM_CALLER_FMT "%p"

/* The host has no trap handlers. */
#define MM_ASSERT_MAY_ALLOCATE() ((void)0)

/*
 * The lock around the kernel's heap (kmalloc.c). The host tests run one thread, so it
 * only checks that takes and releases pair up.
 */
typedef struct {
	const char *name;
	bool held;
} mm_lock_t;
#define MM_LOCK_INIT(lockname)     \
	{                          \
		.name = (lockname) \
	}

static inline void mm_lock(mm_lock_t *l)
{
	if (l->held)
		panic("mm_lock: %s taken twice", l->name);
	l->held = true;
}

static inline void mm_unlock(mm_lock_t *l)
{
	if (!l->held)
		panic("mm_unlock: %s released but not held", l->name);
	l->held = false;
}
#else
#include "debug/panic.h"
#include "dev/console.h"
#include "sync/spinlock.h"

/* The kernel's printf names a code address as function+offset. */
#define MM_CALLER_FMT "%pS"

#include "debug/context_check.h"

/* Panics, naming the function and its caller, when called in a trap handler. */
#define MM_ASSERT_MAY_ALLOCATE() assert_may_allocate()

/* The lock around the kernel's heap (kmalloc.c): a spinlock (lab 3). */
typedef struct spinlock mm_lock_t;
#define MM_LOCK_INIT(lockname)   SPINLOCK_INIT(lockname)

static inline void mm_lock(mm_lock_t *l)
{
	spin_lock(l);
}

static inline void mm_unlock(mm_lock_t *l)
{
	spin_unlock(l);
}
#endif

#define MM_CALLER() __builtin_return_address(0)

/*
 * Debug checks that cost time in proportion to the memory handed out: poisoning freed
 * memory and checking the poison when it is handed out again. On in the host tests
 * (the benchmark builds both ways with -DMM_DEBUG=0/1). In the kernel it is a switch
 * read at the handover, before any page is free (mmdebug= on the command line; on by
 * default in debug builds, CONFIG_DEBUG: kernel/mm/pages.c), since poison written by one setting would be judged by the
 * other. Code tests it with a plain if, so both settings are compiled and type-checked
 * in every build.
 */
#ifndef MM_DEBUG
#ifdef HOST_TEST
#define MM_DEBUG 1
#else
extern bool mm_debug;
#define MM_DEBUG mm_debug
#endif
#endif

#ifndef PAGE_SHIFT
#define PAGE_SHIFT 12
#endif
_Static_assert((1 << PAGE_SHIFT) == PAGE_SIZE, "PAGE_SHIFT does not match PAGE_SIZE");

/*
 * The locking hook. The allocators take no lock: whoever calls them serializes all
 * calls on one instance (the kernel wraps its global instances in a spinlock). These
 * two catch a caller that does not: a call entering while another is still running on
 * the same instance (another hart, or a trap handler interrupting this one) panics,
 * naming both. The check is racy, so it finds most violations, not all; once spinlocks
 * exist the kernel wrapper adds assert_held() on its lock as the exact check.
 */
static inline void mm_serial_enter(const char *volatile *in_call, const char *what)
{
	const char *other = *in_call;
	if (other)
		panic("%s() entered while %s() is running on the same allocator: callers must "
		      "serialize (hold the allocator's lock around every call)",
		      what, other);
	*in_call = what;
}

static inline void mm_serial_exit(const char *volatile *in_call)
{
	*in_call = NULL;
}

/*
 * Poison: a byte pattern that fills memory nobody owns, so that a write through a
 * stale pointer shows up when the memory is handed out again. The loops are unrolled:
 * the handover poisons all free memory, and unrolled it costs half the instructions.
 */
static inline uint64_t mm_poison_word(uint8_t byte)
{
	return byte * 0x0101010101010101ull;
}

/* Caller must own [p, p + n), with p and n multiples of 8. */
static inline void mm_poison_fill(void *p, size_t n, uint8_t byte)
{
	uint64_t word = mm_poison_word(byte), *w = p;
#pragma GCC unroll 8
	for (size_t i = 0; i < n / 8; i++)
		w[i] = word;
}

/*
 * Returns the offset of the first byte of [p, p + n) that is not `byte`, or n if all
 * are. Caller must own [p, p + n), with p and n multiples of 8.
 */
static inline size_t mm_poison_find_damage(const void *p, size_t n, uint8_t byte)
{
	const uint64_t word = mm_poison_word(byte), *w = p;
#pragma GCC unroll 8
	for (size_t i = 0; i < n / 8; i++) {
		if (w[i] == word)
			continue;
		const uint8_t *bytes = (const uint8_t *)&w[i];
		size_t j = 0;
		while (bytes[j] == byte)
			j++;
		return i * 8 + j;
	}
	return n;
}
