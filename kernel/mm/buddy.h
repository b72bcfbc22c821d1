/*
 * The page allocator (lab 5): a buddy allocator for physical pages. It hands out
 * blocks of 2^order pages (order 0 is one 4 KiB page, BUDDY_MAX_ORDER is 4 MiB),
 * each aligned to its own size, and merges a freed block with its buddy whenever
 * both are free. See the top of buddy.c for how and why.
 *
 * Locking: no function here takes a lock. The caller serializes every call on one
 * instance; in the kernel that is the wrapper that owns the global instance (a
 * spinlock around each call, with per-hart caches of pages in front of it).
 * Concurrent calls are caught by a cheap check (mm_serial_enter in mm_port.h) and
 * panic.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/mm_port.h"

#define BUDDY_MAX_ORDER  10 /* largest block: 2^10 pages, 4 MiB */
#define BUDDY_ORDERS     (BUDDY_MAX_ORDER + 1)
#define BUDDY_MAX_BLOCK  ((size_t)PAGE_SIZE << BUDDY_MAX_ORDER)
#define BUDDY_POISON     0xa5 /* fills free pages when MM_DEBUG is on */
#define BUDDY_OWNER_NONE 0    /* owner tag of a block nobody has tagged */

/* A page-aligned range of free RAM, [base, base + size). */
struct buddy_run {
	uintptr_t base;
	size_t size;
};

/* Returns `size` bytes aligned to `align`, or panics; boot_alloc() fits. */
typedef void *(*buddy_early_alloc_fn)(size_t size, size_t align);

struct buddy_page; /* per-page state, private to buddy.c */

struct buddy_counters {
	uint64_t allocs; /* successful buddy_alloc() calls */
	uint64_t frees;
	uint64_t splits;   /* blocks cut in two to serve a smaller request */
	uint64_t merges;   /* pairs of buddies joined on free */
	uint64_t failures; /* buddy_alloc() calls that found no block */
};

struct buddy {
	uintptr_t base; /* pages[i] describes base + i * PAGE_SIZE */
	size_t npages;  /* from the lowest run's start to the highest's end */
	struct buddy_page *pages;
	uint32_t free_head[BUDDY_ORDERS]; /* first free block of each order (page index) */
	size_t free_blocks[BUDDY_ORDERS];
	size_t free_pages;
	size_t managed_pages; /* pages in the runs, minus the metadata */
	uintptr_t meta_base;  /* where pages[] lives, rounded out to pages */
	size_t meta_size;
	struct buddy_counters counters;
	const char *volatile in_call; /* the call running now, for mm_serial_enter */
};

/* What buddy_find_block() reports about the block containing an address. */
struct buddy_block {
	uintptr_t start;
	unsigned order;
	bool allocated;
	uint32_t owner; /* as set by buddy_set_owner(); allocated only */
};

struct buddy_stats {
	size_t managed_pages;
	size_t free_pages;
	size_t free_blocks[BUDDY_ORDERS];
	size_t metadata_bytes;
	struct buddy_counters counters;
};

/*
 * Takes over the runs: every page in them is free afterwards, in blocks of the largest
 * order that is aligned and fits at each address. The per-page metadata (16 bytes per
 * page from the lowest run to the highest) comes from early_alloc; if early_alloc
 * carves it out of one of the runs (boot_alloc at the handover does), those pages are
 * left out. Caller must own every byte of the runs (page-aligned, non-overlapping, in
 * any order) and must not touch them afterwards except through this allocator. Panics
 * on malformed runs.
 */
void buddy_init(struct buddy *b, const struct buddy_run *runs, size_t nruns,
                buddy_early_alloc_fn early_alloc);

/*
 * Returns a block of 2^order pages aligned to its size, or NULL if no free block of
 * that order or larger exists. The contents are not zeroed. Panics if order exceeds
 * BUDDY_MAX_ORDER, or (MM_DEBUG) if the poison of the block was overwritten while it
 * was free, naming the page and the offset.
 */
void *buddy_alloc(struct buddy *b, unsigned order);

/*
 * Gives back a block from buddy_alloc() with the same order. Caller must not touch the
 * block afterwards. Panics on a double free, a block it never handed out, a wrong
 * order, a misaligned or interior address.
 */
void buddy_free(struct buddy *b, void *block, unsigned order);

/* As buddy_alloc() and buddy_free(), naming `caller` in panics: for wrappers. */
void *buddy_alloc_from(struct buddy *b, unsigned order, void *caller);
void buddy_free_from(struct buddy *b, void *block, unsigned order, void *caller);

/* The smallest order whose block holds `bytes`, or BUDDY_ORDERS if none does. */
unsigned buddy_order_for(size_t bytes);

/*
 * Finds the block (free or allocated) that contains addr. Returns false if addr is not
 * in a page this allocator manages.
 */
bool buddy_find_block(const struct buddy *b, const void *addr, struct buddy_block *out);

/*
 * Tags an allocated block with a word its owner chooses (kmalloc records what kind of
 * block it is), reported by buddy_find_block(). buddy_alloc() clears the tag to
 * BUDDY_OWNER_NONE. Panics unless block is the start of an allocated block.
 */
void buddy_set_owner(struct buddy *b, void *block, uint32_t owner);

/*
 * Atomically: if block's tag is `expected`, makes it `owner` and returns true; else
 * returns false and changes nothing. For callers without the allocator's lock that race
 * to retag one block (two harts freeing one page into their caches); same panic as
 * buddy_set_owner().
 */
bool buddy_swap_owner(struct buddy *b, void *block, uint32_t expected, uint32_t owner);

struct buddy_stats buddy_stats(const struct buddy *b);
void buddy_print_stats(const struct buddy *b);

/*
 * Walks every page and every free list and panics on the first broken invariant: the
 * blocks tile the managed pages, each aligned to its size; the free lists hold exactly
 * the free blocks; the counts agree; no two free buddies are left unmerged. Costs time
 * in proportion to the memory managed: for tests and debugging.
 */
void buddy_check(const struct buddy *b);
