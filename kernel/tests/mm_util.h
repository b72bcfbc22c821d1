/*
 * Helpers for the tests of lab 5's allocators (kernel/mm/buddy.h, kernel/mm/kmalloc.h)
 * that the kernel itself never needs. They build into the kernel and into the host
 * tests (kernel/hosttest/) alike.
 */
#pragma once

#include <stddef.h>

#include "mm/buddy.h"
#include "mm/kmalloc.h"

/* Free pages in b, and free blocks of one order (0 above BUDDY_MAX_ORDER). */
size_t buddy_free_pages(const struct buddy *b);
size_t buddy_free_blocks(const struct buddy *b, unsigned order);

/* A page source backed by buddy allocator b; caller must keep b alive and serialized. */
struct kheap_pages kheap_pages_from_buddy(struct buddy *b);

/* The bytes usable at p (its class size or block size); p as for kheap_free. */
size_t kheap_usable_size(struct kheap *h, const void *p);
