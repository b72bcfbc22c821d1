/*
 * What kmalloc.c tells the test helpers that look inside a heap
 * (kernel/tests/mm_util.c: the bytes usable at an object): where a pointer lies,
 * checked as kfree() checks it. The kernel itself uses kernel/mm/kmalloc.h only.
 */
#pragma once

#include <stdbool.h>

#include "mm/buddy.h"
#include "mm/kmalloc.h"

/* Where a pointer handed to kfree lies, once it has passed every check. */
struct located {
	bool large;
	struct buddy_block block;
	struct slab *slab; /* for objects: */
	struct kheap_class *class;
	unsigned index;
};

/*
 * Finds what p is in heap h: an object in use or a large block, or panics saying why
 * not, naming `what` and `caller`. Caller must serialize calls on h.
 */
struct located kheap_locate(struct kheap *h, const void *p, const char *what, void *caller);
