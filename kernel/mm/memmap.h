/*
 * The map of physical memory: RAM from the device tree minus what is already taken
 * (the kernel image, the device tree blob, firmware-reserved regions). The bump
 * allocator serves the largest free run; lab 5's page allocator takes all of them.
 */
#pragma once

#include <stdint.h>

#include "dev/platform.h"

#define MEMMAP_MAX_RUNS 16

struct memmap {
	struct mem_range free[MEMMAP_MAX_RUNS]; /* page-aligned, sorted by address */
	int nfree;
};

void memmap_build(struct memmap *map);

/*
 * The same map with the device tree blob's pages free: for the page allocator's
 * handover (lab 5), once platform.dtb_copy holds the tree. Panics before that.
 */
void memmap_build_without_dtb(struct memmap *map);

/* Removes [base, base + size), widened to whole pages, from the free runs. */
void memmap_cut(struct memmap *map, uint64_t base, uint64_t size);
void memmap_print(const struct memmap *map);

/* The largest free run. */
struct mem_range memmap_largest(const struct memmap *map);

extern const char kernel_start[], kernel_end[];
