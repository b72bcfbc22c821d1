/*
 * Host tests of the buddy allocator (kernel/mm/buddy.c). Memory comes from arenas aligned
 * to the largest block, so page i of an arena is aligned exactly as a physical page
 * with the same offset from a 4 MiB boundary would be. A model (who owns each page)
 * checks what the allocator claims: no overlap, alignment, exact free counts, full
 * merging; the death tests check that misuse panics with a message that says what
 * went wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mm/buddy.h"
#include "tests/mm_util.h"

#define MAX_PAGES ((size_t)1 << BUDDY_MAX_ORDER)

/* ---- Fixtures ---- */

static uintptr_t block_size(unsigned order)
{
	return (uintptr_t)PAGE_SIZE << order;
}

/* An arena of `pages` pages starting on a BUDDY_MAX_BLOCK boundary. */
static uint8_t *new_arena(size_t pages)
{
	return host_memory(pages * PAGE_SIZE, BUDDY_MAX_BLOCK);
}

static struct buddy_run run_of(const uint8_t *arena, size_t first_page, size_t npages)
{
	return (struct buddy_run){(uintptr_t)arena + first_page * PAGE_SIZE, npages * PAGE_SIZE};
}

/* A buddy allocator over `pages` pages of a fresh arena, all of them one run. */
static uint8_t *buddy_over_arena(struct buddy *b, size_t pages)
{
	uint8_t *arena = new_arena(pages);
	struct buddy_run run = run_of(arena, 0, pages);
	buddy_init(b, &run, 1, host_early_alloc);
	return arena;
}

static size_t total_blocks(const struct buddy *b)
{
	size_t n = 0;
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
		n += buddy_free_blocks(b, k);
	return n;
}

/*
 * The blocks a correct initialization makes of [lo, hi), counted top-down: a block
 * inside the range is one block, a block straddling its edge is two halves. buddy.c
 * carves bottom-up, address by address, so the two must agree independently.
 */
static void expected_blocks(uintptr_t block, unsigned order, uintptr_t lo, uintptr_t hi,
                            size_t *counts)
{
	uintptr_t end = block + block_size(order);
	if (end <= lo || block >= hi)
		return;
	if (block >= lo && end <= hi) {
		counts[order]++;
		return;
	}
	expected_blocks(block, order - 1, lo, hi, counts);
	expected_blocks(block + block_size(order - 1), order - 1, lo, hi, counts);
}

static void expected_for_range(uintptr_t lo, uintptr_t hi, size_t *counts)
{
	for (uintptr_t block = lo & ~(BUDDY_MAX_BLOCK - 1); block < hi; block += BUDDY_MAX_BLOCK)
		expected_blocks(block, BUDDY_MAX_ORDER, lo, hi, counts);
}

static void check_counts_equal(const struct buddy *b, const size_t *expected, const char *what)
{
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
		CHECK(buddy_free_blocks(b, k) == expected[k],
		      "%s: %zu free blocks of order %u, expected %zu", what,
		      buddy_free_blocks(b, k), k, expected[k]);
}

/* ---- Initialization ---- */

static void test_init_aligned(void)
{
	struct buddy b;
	buddy_over_arena(&b, 4 * MAX_PAGES);
	buddy_check(&b);
	CHECK(buddy_free_pages(&b) == 4 * MAX_PAGES, "%zu pages free", buddy_free_pages(&b));
	CHECK(buddy_free_blocks(&b, BUDDY_MAX_ORDER) == 4, "%zu blocks of the top order",
	      buddy_free_blocks(&b, BUDDY_MAX_ORDER));
	CHECK(total_blocks(&b) == 4, "%zu free blocks in all", total_blocks(&b));
	CHECK(buddy_stats(&b).managed_pages == 4 * MAX_PAGES, "managed pages wrong");
}

static void check_range_init(const uint8_t *arena, size_t first, size_t last)
{
	struct buddy b;
	struct buddy_run run = run_of(arena, first, last - first);
	buddy_init(&b, &run, 1, host_early_alloc);
	size_t expected[BUDDY_ORDERS] = {0};
	expected_for_range(run.base, run.base + run.size, expected);
	host_set_context("run of pages [%zu, %zu)", first, last);
	check_counts_equal(&b, expected, "after init");
	CHECK(buddy_free_pages(&b) == last - first, "%zu pages free", buddy_free_pages(&b));
	buddy_check(&b);
}

static void test_init_edges(void)
{
	uint8_t *arena = new_arena(3 * MAX_PAGES);
	static const size_t fixed[][2] = {
	        {0, 1},
	        {1, 2},
	        {3, 40},
	        {1, 3 * MAX_PAGES - 1},
	        {MAX_PAGES - 1, MAX_PAGES + 1},
	        {5, MAX_PAGES},
	        {MAX_PAGES, 3 * MAX_PAGES},
	        {7, 2 * MAX_PAGES + 9},
	};
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		check_range_init(arena, fixed[i][0], fixed[i][1]);
	struct rng r = {7};
	for (int i = 0; i < 300; i++) {
		size_t a = rng_below(&r, 3 * MAX_PAGES), c = rng_below(&r, 3 * MAX_PAGES);
		if (a == c)
			continue;
		check_range_init(arena, a < c ? a : c, a < c ? c : a);
	}
}

static void test_init_several_runs(void)
{
	/* Given out of order, with a hole, and two runs that touch: they form one stretch. */
	uint8_t *arena = new_arena(4 * MAX_PAGES);
	struct buddy_run runs[] = {
	        run_of(arena, 2 * MAX_PAGES + 3, MAX_PAGES - 10),
	        run_of(arena, 700, MAX_PAGES - 700 + 5), /* ends where the next begins */
	        run_of(arena, 5, 600),
	        run_of(arena, MAX_PAGES + 5, 300),
	};
	struct buddy b;
	buddy_init(&b, runs, 4, host_early_alloc);
	buddy_check(&b);
	size_t expected[BUDDY_ORDERS] = {0};
	expected_for_range(runs[0].base, runs[0].base + runs[0].size, expected);
	expected_for_range(runs[1].base, runs[3].base + runs[3].size, expected);
	expected_for_range(runs[2].base, runs[2].base + runs[2].size, expected);
	check_counts_equal(&b, expected, "several runs");
	size_t pages = 0;
	for (int i = 0; i < 4; i++)
		pages += runs[i].size / PAGE_SIZE;
	CHECK(buddy_free_pages(&b) == pages, "%zu pages free, runs hold %zu", buddy_free_pages(&b),
	      pages);
}

/* An early allocator that carves from a run, as boot_alloc does at the handover. */
static uintptr_t carve_next;

static void *carve_early_alloc(size_t size, size_t align)
{
	uintptr_t p = (carve_next + align - 1) & ~(uintptr_t)(align - 1);
	carve_next = p + size;
	return (void *)p;
}

static uint8_t *buddy_with_metadata_inside(struct buddy *b, uintptr_t *meta_lo, uintptr_t *meta_hi)
{
	uint8_t *arena = new_arena(2 * MAX_PAGES);
	struct buddy_run run = run_of(arena, 3, 2 * MAX_PAGES - 3);
	carve_next = run.base + 100;
	buddy_init(b, &run, 1, carve_early_alloc);
	*meta_lo = (run.base + 100) & ~(uintptr_t)(PAGE_SIZE - 1);
	*meta_hi = (carve_next + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1);
	return arena;
}

static void test_metadata_inside_run(void)
{
	struct buddy b;
	uintptr_t meta_lo, meta_hi;
	buddy_with_metadata_inside(&b, &meta_lo, &meta_hi);
	size_t meta_pages = (meta_hi - meta_lo) / PAGE_SIZE;
	CHECK(meta_pages == 9, "metadata takes %zu pages, expected 9", meta_pages);
	CHECK(buddy_stats(&b).managed_pages == 2 * MAX_PAGES - 3 - meta_pages, "%zu pages managed",
	      buddy_stats(&b).managed_pages);
	buddy_check(&b);
	size_t n = 0;
	for (uintptr_t p; (p = (uintptr_t)buddy_alloc(&b, 0)) != 0; n++)
		CHECK(p < meta_lo || p >= meta_hi, "page %p lies in the metadata [%p, %p)",
		      (void *)p, (void *)meta_lo, (void *)meta_hi);
	CHECK(n == buddy_stats(&b).managed_pages, "handed out %zu pages of %zu", n,
	      buddy_stats(&b).managed_pages);
	buddy_check(&b);
}

/* ---- Allocation and freeing ---- */

static void test_split_and_merge(void)
{
	struct buddy b;
	buddy_over_arena(&b, MAX_PAGES);
	void *p = buddy_alloc(&b, 0);
	CHECK(p != NULL, "no page from a full block");
	for (unsigned k = 0; k < BUDDY_MAX_ORDER; k++)
		CHECK(buddy_free_blocks(&b, k) == 1,
		      "after one split chain: %zu blocks of order %u", buddy_free_blocks(&b, k), k);
	CHECK(buddy_free_blocks(&b, BUDDY_MAX_ORDER) == 0, "the top block is still free");
	CHECK(b.counters.splits == BUDDY_MAX_ORDER, "%lu splits", b.counters.splits);
	buddy_check(&b);
	buddy_free(&b, p, 0);
	CHECK(buddy_free_blocks(&b, BUDDY_MAX_ORDER) == 1 && total_blocks(&b) == 1,
	      "freeing the page did not merge back into one block");
	CHECK(b.counters.merges == BUDDY_MAX_ORDER, "%lu merges", b.counters.merges);
	buddy_check(&b);
}

static void test_alignment_every_order(void)
{
	struct buddy b;
	buddy_over_arena(&b, 4 * MAX_PAGES);
	void *held[BUDDY_ORDERS];
	/* Order 0 first so that every later block comes from a split, not a fresh one. */
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
		held[k] = buddy_alloc(&b, k);
		CHECK(held[k] != NULL, "no block of order %u", k);
		CHECK((uintptr_t)held[k] % block_size(k) == 0, "block %p of order %u is misaligned",
		      held[k], k);
	}
	buddy_check(&b);
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
		buddy_free(&b, held[k], k);
	CHECK(buddy_free_blocks(&b, BUDDY_MAX_ORDER) == 4, "not merged back");
}

static void test_exhaust_and_restore(void)
{
	struct buddy b;
	uint8_t *arena = new_arena(3 * MAX_PAGES);
	struct buddy_run run = run_of(arena, 13, 3 * MAX_PAGES - 20);
	buddy_init(&b, &run, 1, host_early_alloc);
	struct buddy_stats before = buddy_stats(&b);
	size_t n = before.managed_pages;
	void **pages = host_memory(n * sizeof *pages, 8);
	for (size_t i = 0; i < n; i++) {
		pages[i] = buddy_alloc(&b, 0);
		CHECK(pages[i] != NULL, "ran out after %zu of %zu pages", i, n);
	}
	CHECK(buddy_alloc(&b, 0) == NULL, "a page beyond all pages");
	CHECK(buddy_free_pages(&b) == 0, "%zu pages free when all are out", buddy_free_pages(&b));
	CHECK(b.counters.failures == 1, "%lu failures counted", b.counters.failures);
	struct rng r = {99};
	for (size_t i = n; i > 1; i--) { /* free in a random order */
		size_t j = rng_below(&r, i);
		void *t = pages[j];
		pages[j] = pages[i - 1];
		pages[i - 1] = t;
	}
	for (size_t i = 0; i < n; i++)
		buddy_free(&b, pages[i], 0);
	check_counts_equal(&b, before.free_blocks, "after freeing everything");
	buddy_check(&b);
}

static int by_address(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
	return x < y ? -1 : x > y;
}

static void test_fragmentation(void)
{
	/* One top-order block: hand out every page, free every other one. */
	struct buddy b;
	buddy_over_arena(&b, MAX_PAGES);
	void *page[MAX_PAGES];
	for (size_t i = 0; i < MAX_PAGES; i++)
		page[i] = buddy_alloc(&b, 0);
	for (size_t i = 0; i < MAX_PAGES; i++)
		CHECK(page[i] != NULL, "page %zu missing", i);
	qsort(page, MAX_PAGES, sizeof page[0], by_address);
	for (size_t i = 1; i < MAX_PAGES; i++)
		CHECK((uint8_t *)page[i] == (uint8_t *)page[0] + i * PAGE_SIZE,
		      "page %zu is not next to page %zu", i, i - 1);
	for (size_t i = 1; i < MAX_PAGES; i += 2)
		buddy_free(&b, page[i], 0);
	CHECK(buddy_free_pages(&b) == MAX_PAGES / 2, "%zu free", buddy_free_pages(&b));
	CHECK(buddy_alloc(&b, 1) == NULL, "half the pages are free but none pair up: no order 1");
	/* Freeing the buddies merges everything but the block of page 0. */
	for (size_t i = 2; i < MAX_PAGES; i += 2)
		buddy_free(&b, page[i], 0);
	CHECK(buddy_alloc(&b, BUDDY_MAX_ORDER) == NULL, "page 0 is still out: no top block");
	for (unsigned k = 0; k < BUDDY_MAX_ORDER; k++)
		CHECK(buddy_free_blocks(&b, k) == 1, "%zu blocks of order %u around page 0",
		      buddy_free_blocks(&b, k), k);
	void *big = buddy_alloc(&b, BUDDY_MAX_ORDER - 1);
	CHECK(big == (uint8_t *)page[0] + MAX_PAGES / 2 * PAGE_SIZE,
	      "the upper half should serve order %d", BUDDY_MAX_ORDER - 1);
	buddy_free(&b, big, BUDDY_MAX_ORDER - 1);
	buddy_free(&b, page[0], 0);
	void *top = buddy_alloc(&b, BUDDY_MAX_ORDER);
	CHECK(top == page[0], "the whole block (%p) should be free again, got %p", page[0], top);
	buddy_free(&b, top, BUDDY_MAX_ORDER);
	buddy_check(&b);
}

static void test_poison_refill(void)
{
	struct buddy b;
	buddy_over_arena(&b, MAX_PAGES);
	uint8_t *p = buddy_alloc(&b, 1);
	for (size_t i = 0; i < 2 * PAGE_SIZE; i++)
		CHECK(p[i] == BUDDY_POISON, "fresh byte %zu is 0x%02x, not poison", i, p[i]);
	memset(p, 0x11, 2 * PAGE_SIZE);
	buddy_free(&b, p, 1);
	/* Reading a free block is sound here: the test owns the arena; it must be poison. */
	for (size_t i = 0; i < 2 * PAGE_SIZE; i++)
		CHECK(p[i] == BUDDY_POISON, "freed byte %zu is 0x%02x, not poison", i, p[i]);
	uint8_t *q = buddy_alloc(&b, 1);
	CHECK(q == p, "the block just freed should come back first");
}

static void test_find_and_owner(void)
{
	struct buddy b;
	uint8_t *arena = buddy_over_arena(&b, 2 * MAX_PAGES);
	uint8_t *p = buddy_alloc(&b, 3);
	buddy_set_owner(&b, p, 77);
	struct buddy_block blk;
	CHECK(buddy_find_block(&b, p + 5 * PAGE_SIZE + 3, &blk), "inside an allocated block");
	CHECK(blk.start == (uintptr_t)p && blk.order == 3 && blk.allocated && blk.owner == 77,
	      "found start %p order %u allocated %d owner %u", (void *)blk.start, blk.order,
	      blk.allocated, blk.owner);
	CHECK(buddy_find_block(&b, p + 8 * PAGE_SIZE, &blk) && !blk.allocated,
	      "the page after the block is free");
	CHECK(blk.order == 3 && blk.start == (uintptr_t)p + 8 * PAGE_SIZE,
	      "the free buddy: start %p order %u", (void *)blk.start, blk.order);
	CHECK(!buddy_find_block(&b, arena + 2 * MAX_PAGES * PAGE_SIZE, &blk), "past the end");
	CHECK(!buddy_find_block(&b, arena - 1, &blk), "before the start");
	buddy_free(&b, p, 3);
	void *again = buddy_alloc(&b, 3);
	CHECK(buddy_find_block(&b, again, &blk) && blk.owner == BUDDY_OWNER_NONE,
	      "a new allocation keeps the old owner tag %u", blk.owner);
}

static void test_order_for(void)
{
	CHECK(buddy_order_for(0) == 0 && buddy_order_for(1) == 0, "tiny");
	CHECK(buddy_order_for(PAGE_SIZE) == 0 && buddy_order_for(PAGE_SIZE + 1) == 1, "a page");
	CHECK(buddy_order_for(5 * PAGE_SIZE) == 3, "5 pages -> order 3");
	CHECK(buddy_order_for(BUDDY_MAX_BLOCK) == BUDDY_MAX_ORDER, "the largest block");
	CHECK(buddy_order_for(BUDDY_MAX_BLOCK + 1) == BUDDY_ORDERS, "too large");
	CHECK(buddy_order_for(SIZE_MAX) == BUDDY_ORDERS, "SIZE_MAX");
}

static void test_stats_print(void)
{
	struct buddy b;
	buddy_over_arena(&b, MAX_PAGES + 37);
	void *p = buddy_alloc(&b, 2);
	buddy_print_stats(&b);
	struct buddy_stats s = buddy_stats(&b);
	CHECK(s.free_pages == MAX_PAGES + 37 - 4, "%zu free", s.free_pages);
	CHECK(s.metadata_bytes == (MAX_PAGES + 37) * 16, "metadata %zu bytes", s.metadata_bytes);
	CHECK(s.counters.allocs == 1 && s.counters.frees == 0, "counters");
	buddy_free(&b, p, 2);
}

/* ---- Randomized, against a model ---- */

struct live_block {
	uintptr_t addr;
	unsigned order;
	uint32_t id;
};

struct model {
	const uint8_t *arena;
	size_t npages;
	bool *managed;   /* page is in a run */
	uint32_t *owner; /* id of the block holding the page, 0 if free */
	struct live_block *live;
	size_t nlive;
	size_t free_pages;
	uint32_t next_id;
};

static size_t model_page(const struct model *m, uintptr_t addr)
{
	return (addr - (uintptr_t)m->arena) / PAGE_SIZE;
}

/* True if some aligned block of `order` lies wholly in free, managed pages. */
static bool model_has_free_block(const struct model *m, unsigned order)
{
	size_t n = (size_t)1 << order;
	for (size_t first = 0; first + n <= m->npages; first += n) {
		size_t i = 0;
		while (i < n && m->managed[first + i] && m->owner[first + i] == 0)
			i++;
		if (i == n)
			return true;
	}
	return false;
}

/* Random runs over the arena: 1 to 4, ragged edges, sometimes touching. */
static size_t random_runs(struct rng *r, const uint8_t *arena, size_t arena_pages,
                          struct buddy_run *runs)
{
	size_t nruns = 1 + rng_below(r, 4), slot = arena_pages / nruns;
	for (size_t i = 0; i < nruns; i++) {
		size_t lo = i * slot, hi = lo + slot;
		if (rng_below(r, 2))
			lo += rng_below(r, slot / 4);
		if (rng_below(r, 2))
			hi -= rng_below(r, slot / 4);
		runs[i] = run_of(arena, lo, hi - lo);
	}
	for (size_t i = nruns; i > 1; i--) { /* any order */
		size_t j = rng_below(r, i);
		struct buddy_run t = runs[j];
		runs[j] = runs[i - 1];
		runs[i - 1] = t;
	}
	return nruns;
}

static unsigned random_order(struct rng *r)
{
	uint64_t x = rng_below(r, 100);
	if (x < 50)
		return 0;
	if (x < 70)
		return 1;
	if (x < 80)
		return 2;
	if (x < 92)
		return 3 + (unsigned)rng_below(r, 3);
	return 6 + (unsigned)rng_below(r, BUDDY_MAX_ORDER - 5);
}

static void stamp(uintptr_t addr, unsigned order, uint32_t id)
{
	uint64_t *first = (uint64_t *)addr, *last = (uint64_t *)(addr + block_size(order)) - 1;
	*first = id;
	*last = ~(uint64_t)id;
}

static void model_alloc(struct model *m, struct buddy *b, unsigned order)
{
	uintptr_t addr = (uintptr_t)buddy_alloc(b, order);
	if (!addr) {
		CHECK(!model_has_free_block(m, order),
		      "buddy_alloc(order %u) failed, but an aligned free block of that order "
		      "exists",
		      order);
		return;
	}
	CHECK(addr % block_size(order) == 0, "block %p of order %u is misaligned", (void *)addr,
	      order);
	CHECK(addr >= (uintptr_t)m->arena &&
	              model_page(m, addr) + ((size_t)1 << order) <= m->npages,
	      "block %p of order %u is outside the arena", (void *)addr, order);
	uint32_t id = ++m->next_id;
	for (size_t i = model_page(m, addr), n = 0; n < (size_t)1 << order; i++, n++) {
		CHECK(m->managed[i], "block %p of order %u covers page %zu, outside every run",
		      (void *)addr, order, i);
		CHECK(m->owner[i] == 0, "block %p of order %u overlaps block #%u at page %zu",
		      (void *)addr, order, m->owner[i], i);
		m->owner[i] = id;
	}
	stamp(addr, order, id);
	m->live[m->nlive++] = (struct live_block){addr, order, id};
	m->free_pages -= (size_t)1 << order;
}

static void model_free(struct model *m, struct buddy *b, size_t which)
{
	struct live_block blk = m->live[which];
	uint64_t *first = (uint64_t *)blk.addr;
	uint64_t *last = (uint64_t *)(blk.addr + block_size(blk.order)) - 1;
	CHECK(*first == blk.id && *last == ~(uint64_t)blk.id,
	      "block #%u at %p was overwritten while allocated", blk.id, (void *)blk.addr);
	buddy_free(b, (void *)blk.addr, blk.order);
	for (size_t i = model_page(m, blk.addr), n = 0; n < (size_t)1 << blk.order; i++, n++)
		m->owner[i] = 0;
	m->live[which] = m->live[--m->nlive];
	m->free_pages += (size_t)1 << blk.order;
}

static void model_check(const struct model *m, const struct buddy *b, size_t initial_blocks)
{
	CHECK(buddy_free_pages(b) == m->free_pages, "buddy says %zu pages free, the model %zu",
	      buddy_free_pages(b), m->free_pages);
	/* Every split adds a block and every merge removes one. */
	size_t blocks = total_blocks(b) + m->nlive;
	CHECK(blocks == initial_blocks + b->counters.splits - b->counters.merges,
	      "%zu blocks, but %zu initial + %lu splits - %lu merges", blocks, initial_blocks,
	      b->counters.splits, b->counters.merges);
}

static void random_run(uint64_t seed)
{
	enum { ARENA_PAGES = 8 * MAX_PAGES, STEPS = 20000, PHASE = 2500 };
	host_set_context("seed %lu", (unsigned long)seed);
	struct rng r = {seed};
	uint8_t *arena = new_arena(ARENA_PAGES);
	struct buddy_run runs[4];
	size_t nruns = random_runs(&r, arena, ARENA_PAGES, runs);
	struct buddy b;
	buddy_init(&b, runs, nruns, host_early_alloc);
	struct buddy_stats initial = buddy_stats(&b);
	size_t initial_blocks = total_blocks(&b);

	struct model m = {
	        .arena = arena,
	        .npages = ARENA_PAGES,
	        .managed = host_memory(ARENA_PAGES * sizeof(bool), 8),
	        .owner = host_memory(ARENA_PAGES * sizeof(uint32_t), 8),
	        .live = host_memory(ARENA_PAGES * sizeof(struct live_block), 8),
	        .free_pages = initial.free_pages,
	};
	memset(m.managed, 0, ARENA_PAGES * sizeof(bool));
	memset(m.owner, 0, ARENA_PAGES * sizeof(uint32_t));
	for (size_t i = 0; i < nruns; i++)
		for (size_t p = 0; p < runs[i].size / PAGE_SIZE; p++)
			m.managed[model_page(&m, runs[i].base) + p] = true;

	for (int step = 0; step < STEPS; step++) {
		/* Phases of mostly allocating and mostly freeing fragment the memory. */
		unsigned alloc_percent = (step / PHASE) % 2 ? 35 : 75;
		if (m.nlive == 0 || rng_below(&r, 100) < alloc_percent)
			model_alloc(&m, &b, random_order(&r));
		else
			model_free(&m, &b, rng_below(&r, m.nlive));
		model_check(&m, &b, initial_blocks);
		if (step % 997 == 0)
			buddy_check(&b);
	}
	while (m.nlive)
		model_free(&m, &b, rng_below(&r, m.nlive));
	model_check(&m, &b, initial_blocks);
	check_counts_equal(&b, initial.free_blocks, "after freeing everything");
	buddy_check(&b);
	printf("seed %lu: %lu allocs, %lu failed, %lu splits, %lu merges\n", (unsigned long)seed,
	       b.counters.allocs, b.counters.failures, b.counters.splits, b.counters.merges);
	host_release_all();
}

static void test_random(void)
{
	for (size_t i = 0; i < host_nseeds(); i++)
		random_run(host_seed(i));
}

/* ---- Misuse: each must panic, saying what went wrong ---- */

static void test_double_free(void)
{
	struct buddy b;
	buddy_over_arena(&b, MAX_PAGES);
	void *p = buddy_alloc(&b, 2);
	buddy_free(&b, p, 2);
	expect_in_panic("buddy_free(%p, order 2)", p);
	buddy_free(&b, p, 2);
}

static void test_double_free_after_reuse_of_buddy(void)
{
	/* The freed block merged into a larger one: its page is a tail page now. */
	struct buddy b;
	buddy_over_arena(&b, MAX_PAGES);
	uint8_t *p = buddy_alloc(&b, 0), *q = buddy_alloc(&b, 0);
	buddy_free(&b, q, 0);
	buddy_free(&b, p, 0);
	buddy_free(&b, q, 0);
}

static void test_free_never_allocated(void)
{
	struct buddy b;
	uint8_t *arena = buddy_over_arena(&b, 2 * MAX_PAGES);
	buddy_free(&b, arena + 5 * PAGE_SIZE, 0);
}

static void test_free_outside(void)
{
	struct buddy b;
	uint8_t *arena = buddy_over_arena(&b, MAX_PAGES);
	buddy_free(&b, arena + MAX_PAGES * PAGE_SIZE, 0);
}

static void test_free_below(void)
{
	struct buddy b;
	uint8_t *arena = new_arena(2 * MAX_PAGES);
	struct buddy_run run = run_of(arena, MAX_PAGES, MAX_PAGES);
	buddy_init(&b, &run, 1, host_early_alloc);
	buddy_free(&b, arena, 0);
}

static void test_free_hole_between_runs(void)
{
	struct buddy b;
	uint8_t *arena = new_arena(2 * MAX_PAGES);
	struct buddy_run runs[] = {run_of(arena, 0, 10), run_of(arena, 20, 10)};
	buddy_init(&b, runs, 2, host_early_alloc);
	expect_in_panic("buddy_free(%p, order 0)", (void *)(arena + 15 * PAGE_SIZE));
	buddy_free(&b, arena + 15 * PAGE_SIZE, 0);
}

static void test_free_metadata(void)
{
	struct buddy b;
	uintptr_t meta_lo, meta_hi;
	buddy_with_metadata_inside(&b, &meta_lo, &meta_hi);
	buddy_free(&b, (void *)meta_lo, 0);
}

static void test_free_interior(void)
{
	struct buddy b;
	buddy_over_arena(&b, MAX_PAGES);
	uint8_t *p = buddy_alloc(&b, 2);
	expect_in_panic("inside the allocated block %p of order 2", (void *)p);
	buddy_free(&b, p + 2 * PAGE_SIZE, 1);
}

static void test_free_wrong_order(void)
{
	struct buddy b;
	buddy_over_arena(&b, MAX_PAGES);
	void *p = buddy_alloc(&b, 1);
	expect_in_panic("allocated with order 1");
	buddy_free(&b, p, 0);
}

static void test_free_misaligned_in_page(void)
{
	struct buddy b;
	buddy_over_arena(&b, MAX_PAGES);
	uint8_t *p = buddy_alloc(&b, 0);
	buddy_free(&b, p + 8, 0);
}

static void test_free_misaligned_for_order(void)
{
	struct buddy b;
	buddy_over_arena(&b, MAX_PAGES);
	uint8_t *p = buddy_alloc(&b, 2);
	buddy_free(&b, p + PAGE_SIZE, 1);
}

static void test_free_order_too_large(void)
{
	struct buddy b;
	buddy_over_arena(&b, MAX_PAGES);
	void *p = buddy_alloc(&b, 0);
	buddy_free(&b, p, BUDDY_MAX_ORDER + 1);
}

static void test_alloc_order_too_large(void)
{
	struct buddy b;
	buddy_over_arena(&b, MAX_PAGES);
	buddy_alloc(&b, BUDDY_MAX_ORDER + 1);
}

static void test_use_after_free(void)
{
	struct buddy b;
	buddy_over_arena(&b, MAX_PAGES);
	uint8_t *p = buddy_alloc(&b, 1);
	buddy_free(&b, p, 1);
	/* The bug under test: a write through a stale pointer, into the second page. */
	p[PAGE_SIZE + 0x123] = 0x42;
	expect_in_panic("page %p was written while free: offset 0x123 holds 0x42",
	                (void *)(p + PAGE_SIZE));
	buddy_alloc(&b, 1);
}

static void test_overlapping_runs(void)
{
	struct buddy b;
	uint8_t *arena = new_arena(MAX_PAGES);
	struct buddy_run runs[] = {run_of(arena, 0, 100), run_of(arena, 50, 100)};
	buddy_init(&b, runs, 2, host_early_alloc);
}

static void test_unaligned_run(void)
{
	struct buddy b;
	uint8_t *arena = new_arena(MAX_PAGES);
	struct buddy_run run = {(uintptr_t)arena + 100, 8 * PAGE_SIZE};
	buddy_init(&b, &run, 1, host_early_alloc);
}

static void test_set_owner_on_free_block(void)
{
	struct buddy b;
	uint8_t *arena = buddy_over_arena(&b, MAX_PAGES);
	buddy_set_owner(&b, arena, 1);
}

static void test_unserialized_call(void)
{
	/* What a second hart sees if it enters while the first is inside buddy_free. */
	struct buddy b;
	buddy_over_arena(&b, MAX_PAGES);
	b.in_call = "buddy_free";
	buddy_alloc(&b, 0);
}

static void test_check_catches_corruption(void)
{
	/* buddy_check must notice a broken count, or the random tests prove little. */
	struct buddy b;
	buddy_over_arena(&b, MAX_PAGES);
	b.free_blocks[3]++;
	buddy_check(&b);
}

static const struct host_test tests[] = {
        {"init_aligned", test_init_aligned, NULL},
        {"init_edges", test_init_edges, NULL},
        {"init_several_runs", test_init_several_runs, NULL},
        {"metadata_inside_run", test_metadata_inside_run, NULL},
        {"split_and_merge", test_split_and_merge, NULL},
        {"alignment_every_order", test_alignment_every_order, NULL},
        {"exhaust_and_restore", test_exhaust_and_restore, NULL},
        {"fragmentation", test_fragmentation, NULL},
        {"poison_refill", test_poison_refill, NULL},
        {"find_and_owner", test_find_and_owner, NULL},
        {"order_for", test_order_for, NULL},
        {"stats_print", test_stats_print, NULL},
        {"random", test_random, NULL},
        {"double_free", test_double_free, "double free"},
        {"double_free_merged", test_double_free_after_reuse_of_buddy, "double free"},
        {"free_never_allocated", test_free_never_allocated, "not allocated"},
        {"free_outside", test_free_outside, "outside the memory this allocator manages"},
        {"free_below", test_free_below, "outside the memory this allocator manages"},
        {"free_hole_between_runs", test_free_hole_between_runs, "never handed out"},
        {"free_metadata", test_free_metadata, "never handed out"},
        {"free_interior", test_free_interior, "interior pointer"},
        {"free_wrong_order", test_free_wrong_order, "wrong order"},
        {"free_misaligned_in_page", test_free_misaligned_in_page, "misaligned"},
        {"free_misaligned_for_order", test_free_misaligned_for_order, "misaligned"},
        {"free_order_too_large", test_free_order_too_large, "above BUDDY_MAX_ORDER"},
        {"alloc_order_too_large", test_alloc_order_too_large, "above BUDDY_MAX_ORDER"},
        {"use_after_free", test_use_after_free, "use after free"},
        {"overlapping_runs", test_overlapping_runs, "overlaps another run"},
        {"unaligned_run", test_unaligned_run, "not page-aligned"},
        {"set_owner_on_free_block", test_set_owner_on_free_block, "not the start of an allocated"},
        {"unserialized_call", test_unserialized_call, "callers must serialize"},
        {"check_catches_corruption", test_check_catches_corruption, "buddy_check"},
};

int main(int argc, char **argv)
{
	return host_main("buddy", tests, sizeof tests / sizeof tests[0], argc, argv);
}
