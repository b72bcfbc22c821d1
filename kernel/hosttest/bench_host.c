/*
 * Host benchmark of the allocators: operations per second for a few fixed sequences.
 * Figures only, no pass or fail; built with -O2 and without sanitizers. MM_DEBUG
 * (poisoning) is whatever the build chose, and printed, since it dominates the cost
 * of large blocks.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "harness.h"
#include "mm/buddy.h"
#include "mm/kmalloc.h"
#include "tests/mm_util.h"

#define ARENA_PAGES (16u << BUDDY_MAX_ORDER) /* 64 MiB */
#define POOL        4096

static volatile uintptr_t sink;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void report(const char *name, uint64_t ops, const char *unit, double seconds)
{
	printf("bench: %-44s %12.0f %s/s  %8.1f ns each\n", name, (double)ops / seconds, unit,
	       seconds * 1e9 / (double)ops);
}

static void fresh_buddy(struct buddy *b)
{
	host_release_all();
	uint8_t *arena = host_memory((size_t)ARENA_PAGES * PAGE_SIZE, BUDDY_MAX_BLOCK);
	struct buddy_run run = {(uintptr_t)arena, (size_t)ARENA_PAGES * PAGE_SIZE};
	buddy_init(b, &run, 1, host_early_alloc);
}

/*
 * One page out and back, n times. With `hold_buddy`, the page's buddy stays allocated,
 * so nothing splits or merges: the shortest path. Without it, every allocation splits
 * a 4 MiB block ten times and every free merges it back.
 */
static void bench_page_pairs(bool hold_buddy, const char *name)
{
	enum { N = 5000000 };
	struct buddy b;
	fresh_buddy(&b);
	void *held = hold_buddy ? buddy_alloc(&b, 0) : NULL;
	double t = now();
	for (int i = 0; i < N; i++) {
		void *p = buddy_alloc(&b, 0);
		sink = (uintptr_t)p;
		buddy_free(&b, p, 0);
	}
	report(name, N, "pairs", now() - t);
	if (held)
		buddy_free(&b, held, 0);
}

/* An order-3 block out and back, n times: the kernel's page_alloc_free_order3. */
static void bench_order3_pairs(void)
{
	enum { N = 5000000 };
	struct buddy b;
	fresh_buddy(&b);
	double t = now();
	for (int i = 0; i < N; i++) {
		void *p = buddy_alloc(&b, 3);
		sink = (uintptr_t)p;
		buddy_free(&b, p, 3);
	}
	report("buddy_alloc+free order 3", N, "pairs", now() - t);
}

/* Bursts of 8 single pages out, then back: the kernel's bench_pages_smp on one hart. */
static void bench_page_bursts(void)
{
	enum { ROUNDS = 1000000, BURST = 8 };
	struct buddy b;
	fresh_buddy(&b);
	void *pages[BURST];
	double t = now();
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < BURST; i++)
			pages[i] = buddy_alloc(&b, 0);
		for (int i = 0; i < BURST; i++)
			buddy_free(&b, pages[i], 0);
	}
	report("buddy bursts of 8 pages out and back", (uint64_t)ROUNDS * BURST, "pairs",
	       now() - t);
}

static void bench_page_random(void)
{
	enum { N = 5000000 };
	struct buddy b;
	fresh_buddy(&b);
	static void *slot[POOL];
	static unsigned order[POOL];
	struct rng r = {1};
	double t = now();
	for (int i = 0; i < N; i++) {
		size_t s = rng_below(&r, POOL);
		if (slot[s]) {
			buddy_free(&b, slot[s], order[s]);
			slot[s] = NULL;
		} else {
			order[s] = (unsigned)rng_below(&r, 4);
			slot[s] = buddy_alloc(&b, order[s]);
		}
	}
	report("buddy random alloc/free, orders 0-3, ~2k live", N, "ops", now() - t);
	for (size_t s = 0; s < POOL; s++)
		if (slot[s])
			buddy_free(&b, slot[s], order[s]);
}

static void bench_page_fill_drain(void)
{
	struct buddy b;
	fresh_buddy(&b);
	size_t n = buddy_free_pages(&b);
	void **pages = host_memory(n * sizeof *pages, 8);
	struct rng r = {2};
	double t_alloc = 0, t_free = 0;
	for (int round = 0; round < 5; round++) {
		double t = now();
		for (size_t i = 0; i < n; i++)
			pages[i] = buddy_alloc(&b, 0);
		t_alloc += now() - t;
		for (size_t i = n; i > 1; i--) {
			size_t j = rng_below(&r, i);
			void *x = pages[j];
			pages[j] = pages[i - 1];
			pages[i - 1] = x;
		}
		t = now();
		for (size_t i = 0; i < n; i++)
			buddy_free(&b, pages[i], 0);
		t_free += now() - t;
	}
	report("buddy_alloc order 0 until 64 MiB are out", 5 * n, "ops", t_alloc);
	report("buddy_free of all of them, random order", 5 * n, "ops", t_free);
}

static void fresh_heap(struct buddy *b, struct kheap *h)
{
	fresh_buddy(b);
	struct kheap_pages source = kheap_pages_from_buddy(b);
	kheap_init(h, &source);
}

static void bench_kmalloc_pairs(size_t size, const char *name)
{
	enum { N = 5000000 };
	struct buddy b;
	struct kheap h;
	fresh_heap(&b, &h);
	double t = now();
	for (int i = 0; i < N; i++) {
		void *p = kheap_alloc(&h, size);
		sink = (uintptr_t)p;
		kheap_free(&h, p);
	}
	report(name, N, "pairs", now() - t);
}

static void bench_kmalloc_random(void)
{
	enum { N = 5000000 };
	struct buddy b;
	struct kheap h;
	fresh_heap(&b, &h);
	static void *slot[POOL];
	struct rng r = {3};
	double t = now();
	for (int i = 0; i < N; i++) {
		size_t s = rng_below(&r, POOL);
		if (slot[s]) {
			kheap_free(&h, slot[s]);
			slot[s] = NULL;
		} else {
			slot[s] = kheap_alloc(&h, 1 + rng_below(&r, KHEAP_MAX_CLASS));
		}
	}
	report("kmalloc/kfree random 1-2048 bytes, ~2k live", N, "ops", now() - t);
	for (size_t s = 0; s < POOL; s++)
		kheap_free(&h, slot[s]);
}

int main(void)
{
	printf("bench: MM_DEBUG=%d (poisoning %s), BUDDY_MAX_ORDER=%d\n", MM_DEBUG,
	       MM_DEBUG ? "on" : "off", BUDDY_MAX_ORDER);
	bench_page_pairs(true, "buddy_alloc+free order 0, no split/merge");
	bench_page_pairs(false, "buddy_alloc+free order 0, 10 splits+10 merges");
	bench_order3_pairs();
	bench_page_bursts();
	bench_page_random();
	bench_page_fill_drain();
	bench_kmalloc_pairs(64, "kmalloc(64)+kfree");
	bench_kmalloc_pairs(2048, "kmalloc(2048)+kfree");
	bench_kmalloc_pairs(3 * PAGE_SIZE, "kmalloc(12 KiB)+kfree (order-2 block)");
	bench_kmalloc_random();
	host_release_all();
	return 0;
}
