/*
 * The map of physical memory: RAM from the device tree minus what is already taken
 * (the kernel image, the device tree blob, firmware-reserved regions). The bump
 * allocator serves the largest free run; lab 5's page allocator takes all of them.
 */
#pragma once

#include <stdint.h>

#include "platform.h"

#define MEMMAP_MAX_RUNS 16

struct memmap {
	struct mem_range free[MEMMAP_MAX_RUNS]; /* page-aligned, sorted by address */
	int nfree;
};

void memmap_build(struct memmap *map);
void memmap_print(const struct memmap *map);

/* The largest free run. */
struct mem_range memmap_largest(const struct memmap *map);

extern const char kernel_start[], kernel_end[];
