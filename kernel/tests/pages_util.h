/*
 * Helpers for the tests and benchmarks of lab 5 that look inside the kernel's page
 * allocator (kernel/mm/pages.h): what they ask of it that the kernel never does.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "sync/spinlock.h"

/* Pages the allocator manages, free or not. */
size_t pages_managed_count(void);

/* Panics on the first broken invariant of the buddy allocator (buddy_check()). */
void pages_check(void);

/*
 * Turns the per-hart caches on or off (they start on) and returns the previous
 * setting; turning them off drains them. For benchmarks and tests that compare.
 */
bool pages_set_caching(bool on);

/* The statistics of the buddy allocator's lock "pages" (lab 3). */
struct spin_stats pages_lock_stats(void);
