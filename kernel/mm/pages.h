/*
 * The kernel's page allocator (lab 5): one buddy allocator (kernel/mm/buddy.h) over all
 * free memory, behind a spinlock, with a small cache of free pages on each hart in
 * front of it (kernel/mm/pagecache.h) so that harts allocating and freeing single
 * pages rarely meet on that lock. It exists from the handover on (pages_init(), the
 * production phase); before, boot_alloc() is the allocator.
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

struct pages_stats {
	struct buddy_stats buddy; /* the buddy allocator's figures */
	size_t cached_pages;      /* free pages in the caches of all harts */
};
struct pages_stats pages_stats(void);

/* Prints the free blocks of each order, the caches and the counters. */
void pages_print_stats(void);
