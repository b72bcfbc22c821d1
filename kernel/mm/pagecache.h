/*
 * The per-hart page caches (lab 5, given): each hart keeps a few free single pages in
 * front of the page allocator (kernel/mm/pages.h), so that harts allocating and
 * freeing single pages rarely meet on its lock. page_alloc(0) and page_free(p, 0) go
 * through them; see the top of pagecache.c for how a cached free still catches misuse.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_CACHE_MAX   64 /* order-0 pages a hart's cache holds at most */
#define PAGE_CACHE_BATCH 16 /* pages moved between a cache and the buddy allocator at once */

/* Sets up the cache of every hart. Caller must be pages_init(), before any page_alloc(). */
void pagecache_init(void);

/*
 * A page from this hart's cache, which refills from the buddy allocator when empty;
 * NULL if the buddy allocator has no single page left either. `caller` is named in
 * panics (a cached page found written while free).
 */
void *pagecache_alloc(void *caller);

/*
 * Keeps the single page p in this hart's cache and returns true. Returns false, and
 * keeps nothing, if p does not read as an allocated single page: then the caller
 * frees it under the buddy allocator's lock, where buddy_free() names the misuse.
 * Panics on a double free it sees itself (p is already in a cache). Caller must be
 * page_free(p, 0).
 */
bool pagecache_free(void *p, void *caller);

/* Moves every cached page back into the buddy allocator (exact per-order figures). */
void pagecache_drain_all(void);

struct pagecache_stats {
	size_t pages;             /* free pages in the caches of all harts */
	uint64_t hits;            /* page_alloc(0) served by a hart's cache */
	uint64_t frees;           /* page_free(.., 0) kept in a hart's cache */
	uint64_t refills, drains; /* batches moved from / to the buddy allocator */
};
struct pagecache_stats pagecache_stats(void);

/* Prints the pages in each online hart's cache and the counters. */
void pagecache_print_stats(void);
