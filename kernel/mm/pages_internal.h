/*
 * The state of the kernel's page allocator, for the files that make it up and no
 * others: kernel/mm/pages.c (the buddy allocator behind its lock) and
 * kernel/mm/pagecache.c (the per-hart caches, which refill and drain under that lock
 * and check a free without it). The test helpers that look inside the allocator
 * (kernel/tests/pages_util.c: its lock's statistics, a full check under the lock,
 * turning the caches off) include it too, so that the allocator's own files keep
 * nothing that only tests call. Everyone else uses kernel/mm/pages.h.
 */
#pragma once

#include <stdbool.h>

#include "mm/buddy.h"
#include "sync/spinlock.h"

struct kpages {
	struct spinlock lock; /* "pages": guards buddy */
	struct buddy buddy;
	bool ready;            /* pages_init() has run */
	volatile bool caching; /* single pages go through the per-hart caches (pagecache.h) */
};

/* The one instance, in pages.c; gdb's buddy-free and buddy-list (.gdbinit) read it. */
extern struct kpages kpages;
