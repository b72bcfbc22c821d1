/*
 * The handover from the boot allocator to the page and object allocators.
 *
 * Why it waits until here. The page allocator is shared by every hart and frees
 * memory, so it needs a lock (lab 3); the thread table it makes dynamic belongs to the
 * scheduler (lab 4). Until then boot_alloc() served everything, and all it needs is
 * one hart and a pointer. What the boot allocator handed out stays in use for good
 * (boot stacks of threads, the device tree copy, the buddy metadata itself); the rest
 * of its run, every other free run of RAM and the device tree blob's own pages go to
 * the buddy allocator. From then on boot_alloc() panics: it would hand out pages the
 * buddy allocator owns.
 */
#include "mm/handover.h"

#include "debug/ktest.h"
#include "debug/panic.h"
#include "debug/phase.h"
#include "dev/console.h"
#include "lib/format.h"
#include "mm/buddy.h"
#include "mm/bump.h"
#include "mm/kmalloc.h"
#include "mm/memmap.h"
#include "mm/pages.h"

static struct kheap kernel_heap;

/* ---- The memory the page allocator takes ---- */

/*
 * Every free run of RAM, with the device tree blob's pages (the tree lives on in
 * platform.dtb_copy) and without what boot_alloc() has handed out so far. Caller must
 * pass room for MEMMAP_MAX_RUNS runs.
 */
static size_t handover_runs(struct buddy_run *runs)
{
	struct memmap map;
	memmap_build_without_dtb(&map);
	struct bump_stats bump = bump_stats();
	memmap_cut(&map, bump.start, bump.next - bump.start);
	for (int i = 0; i < map.nfree; i++)
		runs[i] = (struct buddy_run){map.free[i].base, map.free[i].size};
	return (size_t)map.nfree;
}

/*
 * One block of every order out and back, each aligned to its size, the free count
 * the same afterwards: the first use of the split and merge code, so a broken (or
 * not yet written) buddy allocator stops the boot here.
 */
static void pages_self_check(void)
{
	void *blocks[BUDDY_ORDERS];
	size_t before = pages_free_count();
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
		blocks[k] = page_alloc(k);
		if (!blocks[k])
			panic("page allocator self-check: no free block of order %u in %zu free "
			      "pages",
			      k, pages_free_count());
		if ((uintptr_t)blocks[k] % ((uintptr_t)PAGE_SIZE << k) != 0)
			panic("page allocator self-check: the block %p of order %u is not aligned "
			      "to its size",
			      blocks[k], k);
	}
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
		page_free(blocks[k], k);
	if (pages_free_count() != before)
		panic("page allocator self-check: %zu pages free after freeing every block, "
		      "%zu before",
		      pages_free_count(), before);
}

/* ---- The kernel heap's page source ---- */

static void *heap_pages_alloc(void *ctx, unsigned order, uint32_t owner)
{
	(void)ctx;
	void *block = page_alloc(order);
	if (block)
		page_set_owner(block, owner);
	return block;
}

static void heap_pages_free(void *ctx, void *block, unsigned order)
{
	(void)ctx;
	page_free(block, order);
}

static bool heap_pages_find(void *ctx, const void *addr, struct buddy_block *out)
{
	(void)ctx;
	return page_find_block(addr, out);
}

/* ---- The free-memory check of the test kernel ---- */

static size_t free_before_tests;

/* Free pages once the heap has given back its empty slabs. */
static size_t settled_free_pages(void)
{
	kmalloc_trim();
	return pages_free_count();
}

static void record_free_memory(void)
{
	free_before_tests = settled_free_pages();
}

static const char *check_free_memory(void)
{
	static char why[160];
	size_t now = settled_free_pages();
	printf("sprout: %zu pages free before the tests, %zu after\n", free_before_tests, now);
	if (now == free_before_tests)
		return NULL;
	size_t diff = now < free_before_tests ? free_before_tests - now : now - free_before_tests;
	snprintf(why, sizeof why, "%zu pages free after the tests, %zu before: %s %zu page%s", now,
	         free_before_tests,
	         now < free_before_tests ? "the tests leaked" : "freed twice? there are", diff,
	         diff == 1 ? "" : "s");
	pages_print_stats();
	return why;
}

/* ---- The handover ---- */

void handover(void)
{
	struct buddy_run runs[MEMMAP_MAX_RUNS];
	size_t nruns = handover_runs(runs);
	size_t boot_used = bump_stats().used;

	pages_init(runs, nruns);
	pages_self_check();
	bump_seal("kmalloc()");

	struct kheap_pages source = {heap_pages_alloc, heap_pages_free, heap_pages_find, NULL};
	kheap_init(&kernel_heap, &source);
	kmalloc_use_heap(&kernel_heap);

	phase_advance(PHASE_PRODUCTION);
	struct pages_stats s = pages_stats();
	printf("sprout: page allocator on: %zu MiB free from %zu free runs (metadata %zu KiB), "
	       "mm_debug %s; boot allocator sealed after %zu KiB\n",
	       (s.buddy.free_pages * PAGE_SIZE) >> 20, nruns, s.buddy.metadata_bytes / 1024,
	       mm_debug ? "on" : "off", boot_used / 1024);
	if (ktest_active())
		ktest_add_invariant("free_memory", record_free_memory, check_free_memory);
}
