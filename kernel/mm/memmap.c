/*
 * Builds the free-memory map by cutting the taken regions out of RAM.
 */
#include "mm/memmap.h"

#include "config.h"
#include "debug/panic.h"
#include "dev/console.h"

static uint64_t round_up(uint64_t x)
{
	return (x + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
}
static uint64_t round_down(uint64_t x)
{
	return x & ~(uint64_t)(PAGE_SIZE - 1);
}

static void keep(struct mem_range *out, int *n, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return;
	if (*n == MEMMAP_MAX_RUNS)
		panic("memmap: more than %d free runs of memory", MEMMAP_MAX_RUNS);
	out[(*n)++] = (struct mem_range){lo, hi - lo};
}

/* Removes [base, base+size), widened to whole pages, from the free runs. */
static void cut(struct memmap *map, uint64_t base, uint64_t size)
{
	uint64_t lo = round_down(base), hi = round_up(base + size);
	struct mem_range out[MEMMAP_MAX_RUNS];
	int n = 0;
	for (int i = 0; i < map->nfree; i++) {
		uint64_t rlo = map->free[i].base, rhi = rlo + map->free[i].size;
		if (hi <= rlo || lo >= rhi) {
			keep(out, &n, rlo, rhi);
			continue;
		}
		keep(out, &n, rlo, lo);
		keep(out, &n, hi, rhi);
	}
	for (int i = 0; i < n; i++)
		map->free[i] = out[i];
	map->nfree = n;
}

void memmap_cut(struct memmap *map, uint64_t base, uint64_t size)
{
	cut(map, base, size);
}

static void build(struct memmap *map, bool with_dtb)
{
	map->nfree = 0;
	uint64_t lo = round_up(platform.ram.base),
	         hi = round_down(platform.ram.base + platform.ram.size);
	if (hi > lo)
		map->free[map->nfree++] = (struct mem_range){lo, hi - lo};
	cut(map, (uintptr_t)kernel_start, (uintptr_t)kernel_end - (uintptr_t)kernel_start);
	/* Below the kernel is the firmware's (OpenSBI) even where no node says so. */
	cut(map, platform.ram.base, (uintptr_t)kernel_start - platform.ram.base);
	if (with_dtb)
		cut(map, platform.dtb.base, platform.dtb.size);
	for (int i = 0; i < platform.nreserved; i++)
		cut(map, platform.reserved[i].base, platform.reserved[i].size);
}

void memmap_build(struct memmap *map)
{
	build(map, true);
}

void memmap_build_without_dtb(struct memmap *map)
{
	if (!platform.dtb_copy)
		panic("memmap_build_without_dtb() before the device tree was copied (called from "
		      "%pS)",
		      __builtin_return_address(0));
	build(map, false);
}

void memmap_print(const struct memmap *map)
{
	for (int i = 0; i < map->nfree; i++)
		printf("sprout: free memory %p-%p (%lu KiB)\n", (void *)map->free[i].base,
		       (void *)(map->free[i].base + map->free[i].size), map->free[i].size / 1024);
}

struct mem_range memmap_largest(const struct memmap *map)
{
	struct mem_range best = {0, 0};
	for (int i = 0; i < map->nfree; i++)
		if (map->free[i].size > best.size)
			best = map->free[i];
	return best;
}
