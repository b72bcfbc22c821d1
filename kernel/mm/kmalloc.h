/*
 * The object allocator (lab 5): memory of any size, carved from pages of the page
 * allocator. Requests up to KHEAP_MAX_CLASS bytes come from slabs (blocks of pages cut
 * into equal objects of one size class); larger ones get whole blocks of pages. See the
 * top of kmalloc.c for how and why.
 *
 * A `struct kheap` is one instance, fed by a page source; the host tests make many.
 * kmalloc()/kfree() use the kernel's instance, chosen with kmalloc_use_heap().
 *
 * Locking: the kheap_* functions take no lock; the caller serializes every call on one
 * heap, and concurrent calls are caught by a cheap check and panic. kmalloc(),
 * kfree() and the other kmalloc_* functions take the kernel heap's lock (mm_lock,
 * kernel/mm/mm_port.h: a spinlock in the kernel) around each call; the page source does
 * its own locking.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/buddy.h"
#include "mm/mm_port.h"

#define KHEAP_MIN_CLASS 16
#define KHEAP_MAX_CLASS 2048
#define KHEAP_NCLASSES  8    /* 16, 32, 64, ..., 2048 bytes */
#define KHEAP_ALIGN     16   /* every object is aligned to min(class size, this) */
#define KHEAP_POISON    0x6b /* fills free objects when MM_DEBUG is on */

/*
 * Where a heap gets its pages. alloc returns a block of 2^order pages tagged with
 * `owner`, or NULL; free gives one back; find describes the block containing an
 * address (false if the address is not in memory the source manages). The kernel's
 * heap takes its pages from the page allocator (kernel/mm/handover.c); the host tests
 * give theirs a buddy allocator of their own or sources that fail.
 */
struct kheap_pages {
	void *(*alloc)(void *ctx, unsigned order, uint32_t owner);
	void (*free)(void *ctx, void *block, unsigned order);
	bool (*find)(void *ctx, const void *addr, struct buddy_block *out);
	void *ctx;
};

struct slab;

struct kheap_class {
	unsigned size;        /* bytes per object */
	unsigned slab_order;  /* slabs of this class are blocks of 2^slab_order pages */
	unsigned per_slab;    /* objects in one slab */
	struct slab *partial; /* slabs with at least one free object */
	size_t slabs;         /* slabs held, partial or full */
	size_t in_use;        /* objects handed out */
	uint64_t allocs, frees;
};

struct kheap {
	struct kheap_pages pages;
	struct kheap_class classes[KHEAP_NCLASSES];
	size_t large_blocks, large_pages; /* held by large requests now */
	uint64_t large_allocs, large_frees;
	uint64_t failures;            /* requests that got NULL */
	const char *volatile in_call; /* for mm_serial_enter */
};

struct kheap_class_stats {
	unsigned size, slab_order, per_slab;
	size_t slabs, in_use;
	uint64_t allocs, frees;
};

struct kheap_stats {
	struct kheap_class_stats classes[KHEAP_NCLASSES];
	size_t slab_pages; /* pages held by slabs */
	size_t large_blocks, large_pages;
	uint64_t large_allocs, large_frees, failures;
};

void kheap_init(struct kheap *h, const struct kheap_pages *pages);

/*
 * Returns `size` bytes aligned to min(class size, KHEAP_ALIGN) (whole blocks of pages,
 * page-aligned, above KHEAP_MAX_CLASS), or NULL if the page source has no memory left
 * or the request exceeds the largest block. Size 0 is served as size 1. The contents
 * are not zeroed (MM_DEBUG: they are poison).
 */
void *kheap_alloc(struct kheap *h, size_t size);

/*
 * Gives back memory from kheap_alloc() on the same heap; NULL is ignored. Caller must
 * not touch it afterwards. Panics on a pointer the heap never handed out, a double
 * free, or a pointer into the middle of an object or block.
 */
void kheap_free(struct kheap *h, void *p);

/* Returns every slab with no object in use to the page source. */
void kheap_trim(struct kheap *h);

struct kheap_stats kheap_stats(const struct kheap *h);

/* The kernel's heap: kmalloc() and kfree() serve from it once chosen here. */
void kmalloc_use_heap(struct kheap *h);
void *kmalloc(size_t size);
void kfree(void *p);
void kmalloc_trim(void);
struct kheap_stats kmalloc_stats(void);
void kmalloc_print_stats(void);
