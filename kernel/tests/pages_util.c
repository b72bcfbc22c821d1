/*
 * Helpers for the tests of the kernel's page allocator (kernel/tests/pages_util.h).
 *
 * They live here, not in kernel/mm/pages.c, so that the page allocator a student reads
 * holds only what the kernel uses. Three of them need the allocator's private state
 * (its lock, its buddy instance, the switch for the caches): they reach it through
 * kernel/mm/pages_internal.h, which only the allocator's own files and this one
 * include.
 */
#include "tests/pages_util.h"

#include "mm/buddy.h"
#include "mm/pagecache.h"
#include "mm/pages.h"
#include "mm/pages_internal.h"

size_t pages_managed_count(void)
{
	return pages_stats().buddy.managed_pages;
}

void pages_check(void)
{
	spin_lock(&kpages.lock);
	buddy_check(&kpages.buddy);
	spin_unlock(&kpages.lock);
}

bool pages_set_caching(bool on)
{
	bool was = kpages.caching;
	kpages.caching = on;
	if (!on)
		pagecache_drain_all();
	return was;
}

struct spin_stats pages_lock_stats(void)
{
	return spin_stats(&kpages.lock);
}
