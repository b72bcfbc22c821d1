/*
 * The kernel's page allocator (lab 5): one buddy allocator (kernel/mm/buddy.h) over all
 * free memory, behind a spinlock, with a small cache of free pages on each hart in
 * front of it so that harts allocating and freeing single pages rarely meet on that
 * lock. It exists from the handover on (pages_init(), the production phase); before,
 * boot_alloc() is the allocator.
 *
 *   void *p = page_alloc(0);        // one page, or NULL when memory is used up
 *   ...
 *   page_free(p, 0);                // the same order it was allocated with
 *
 * Blocks are 2^order pages aligned to their size, not zeroed. Misuse panics with the
 * reason (double free, a wrong order, a misaligned address, memory this allocator
 * never handed out). With mm_debug on (the default; mmdebug=0 on the command line turns
 * it off) free pages are poisoned and the poison is checked when they are handed out
 * again, cached pages included.
 *
 * Any thread on any hart may call these; never a trap handler.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/buddy.h"
#include "sync/spinlock.h"

#define PAGE_CACHE_MAX   64 /* order-0 pages a hart's cache holds at most */
#define PAGE_CACHE_BATCH 16 /* pages moved between a cache and the buddy allocator at once */

/*
 * The handover: builds the buddy allocator over the runs (its metadata comes from
 * boot_alloc(), so call it before bump_seal()) and reads mmdebug=. Caller must be the
 * boot hart, once, and give up every byte of the runs (as for buddy_init()).
 */
void pages_init(const struct buddy_run *runs, size_t nruns);

/* True once pages_init() has run. */
bool pages_ready(void);

/* A block of 2^order pages, or NULL if none is free. Panics if order > BUDDY_MAX_ORDER. */
void *page_alloc(unsigned order);

/*
 * Gives back a block from page_alloc() with the same order. Caller must not touch the
 * block afterwards.
 */
void page_free(void *block, unsigned order);

/*
 * Tags a block the caller holds with a word of its own (kmalloc marks its slabs),
 * reported by page_find_block(). Caller must hold the block (from page_alloc()).
 */
void page_set_owner(void *block, uint32_t owner);

/* Describes the block containing addr; false if the page allocator does not manage it. */
bool page_find_block(const void *addr, struct buddy_block *out);

/* Free pages: in the buddy allocator and in every hart's cache. */
size_t pages_free_count(void);

/* Pages the allocator manages, free or not. */
size_t pages_managed_count(void);

/* Panics on the first broken invariant of the buddy allocator (buddy_check()). */
void pages_check(void);

/* Moves every cached page back into the buddy allocator (exact per-order figures). */
void pages_drain_caches(void);

/*
 * Turns the per-hart caches on or off (they start on) and returns the previous
 * setting; turning them off drains them. For benchmarks and tests that compare.
 */
bool pages_set_caching(bool on);

struct pages_stats {
	struct buddy_stats buddy; /* the buddy allocator's figures */
	size_t cached_pages;      /* free pages in the caches of all harts */
	uint64_t cache_hits;      /* page_alloc(0) served by a hart's cache */
	uint64_t cache_frees;     /* page_free(.., 0) kept in a hart's cache */
	uint64_t refills, drains; /* batches moved from / to the buddy allocator */
};
struct pages_stats pages_stats(void);

/* The statistics of the buddy allocator's lock (lab 3), for tests and benchmarks. */
struct spin_stats pages_lock_stats(void);

/* Prints the free blocks of each order, the caches and the counters. */
void pages_print_stats(void);
