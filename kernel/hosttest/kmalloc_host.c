/*
 * Host tests of the object allocator (kernel/mm/kmalloc.c), fed by a buddy allocator
 * over a host arena (kheap_pages_from_buddy) or by page sources that fail on purpose.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mm/buddy.h"
#include "mm/kmalloc.h"
#include "tests/mm_util.h"

#define MAX_PAGES ((size_t)1 << BUDDY_MAX_ORDER)

struct fixture {
	struct buddy buddy;
	struct kheap heap;
	size_t initial_free_pages;
};

static void setup(struct fixture *f, size_t pages)
{
	uint8_t *arena = host_memory(pages * PAGE_SIZE, BUDDY_MAX_BLOCK);
	struct buddy_run run = {(uintptr_t)arena, pages * PAGE_SIZE};
	buddy_init(&f->buddy, &run, 1, host_early_alloc);
	f->initial_free_pages = buddy_free_pages(&f->buddy);
	struct kheap_pages source = kheap_pages_from_buddy(&f->buddy);
	kheap_init(&f->heap, &source);
}

/* After everything is freed and trimmed, every page is back in the buddy allocator. */
static void check_all_returned(struct fixture *f)
{
	kheap_trim(&f->heap);
	struct kheap_stats s = kheap_stats(&f->heap);
	for (unsigned c = 0; c < KHEAP_NCLASSES; c++)
		CHECK(s.classes[c].in_use == 0 && s.classes[c].slabs == 0,
		      "class %u: %zu objects in use, %zu slabs after freeing all",
		      s.classes[c].size, s.classes[c].in_use, s.classes[c].slabs);
	CHECK(s.large_blocks == 0 && s.large_pages == 0, "%zu large blocks left", s.large_blocks);
	CHECK(buddy_free_pages(&f->buddy) == f->initial_free_pages,
	      "%zu pages free in the end, %zu at the start", buddy_free_pages(&f->buddy),
	      f->initial_free_pages);
	buddy_check(&f->buddy);
}

static size_t class_size(size_t size)
{
	size_t c = KHEAP_MIN_CLASS;
	while (c < size)
		c *= 2;
	return c;
}

static size_t expected_alignment(size_t size)
{
	if (size > KHEAP_MAX_CLASS)
		return PAGE_SIZE;
	return class_size(size) < KHEAP_ALIGN ? class_size(size) : KHEAP_ALIGN;
}

/* ---- Behaviour ---- */

static void test_classes(void)
{
	struct fixture f;
	setup(&f, MAX_PAGES);
	static const unsigned order[KHEAP_NCLASSES] = {0, 0, 0, 0, 0, 0, 1, 2};
	static const unsigned per_slab[KHEAP_NCLASSES] = {252, 126, 63, 31, 15, 7, 7, 7};
	struct kheap_stats s = kheap_stats(&f.heap);
	for (unsigned c = 0; c < KHEAP_NCLASSES; c++) {
		CHECK(s.classes[c].size == (unsigned)KHEAP_MIN_CLASS << c, "class %u size %u", c,
		      s.classes[c].size);
		CHECK(s.classes[c].slab_order == order[c] && s.classes[c].per_slab == per_slab[c],
		      "class %u: slabs of order %u with %u objects, expected %u and %u",
		      s.classes[c].size, s.classes[c].slab_order, s.classes[c].per_slab, order[c],
		      per_slab[c]);
	}
}

static void test_sizes_and_alignment(void)
{
	struct fixture f;
	setup(&f, 16 * MAX_PAGES);
	enum { N = 2600 };
	static uint8_t *p[N];
	static size_t size[N];
	size_t n = 0;
	for (size_t s = 0; s <= 2100; s++)
		size[n++] = s;
	for (size_t s = 2101; n < N; s += 37, n++)
		size[n] = n % 5 == 0 ? 3 * s : s; /* up to 60 KiB */
	for (size_t i = 0; i < N; i++) {
		p[i] = kheap_alloc(&f.heap, size[i]);
		CHECK(p[i] != NULL, "kheap_alloc(%zu) failed", size[i]);
		CHECK((uintptr_t)p[i] % expected_alignment(size[i]) == 0,
		      "kheap_alloc(%zu) = %p, not aligned to %zu", size[i], (void *)p[i],
		      expected_alignment(size[i]));
		size_t usable = kheap_usable_size(&f.heap, p[i]);
		CHECK(usable >= size[i] && usable >= 1, "usable size %zu for a request of %zu",
		      usable, size[i]);
		memset(p[i], (int)(i & 0xff), usable);
	}
	/* Every byte still holds its owner's pattern: no two allocations overlap. */
	for (size_t i = 0; i < N; i++) {
		size_t usable = kheap_usable_size(&f.heap, p[i]);
		for (size_t j = 0; j < usable; j++)
			CHECK(p[i][j] == (uint8_t)(i & 0xff),
			      "byte %zu of allocation %zu (%p, %zu "
			      "bytes) was overwritten",
			      j, i, (void *)p[i], size[i]);
	}
	for (size_t i = 0; i < N; i++)
		kheap_free(&f.heap, p[i]);
	check_all_returned(&f);
}

static void test_slab_reuse(void)
{
	struct fixture f;
	setup(&f, MAX_PAGES);
	void *a = kheap_alloc(&f.heap, 16);
	kheap_free(&f.heap, a);
	CHECK(kheap_alloc(&f.heap, 16) == a, "the lowest free object should come back");
	CHECK(kheap_stats(&f.heap).classes[0].slabs == 1, "one slab for one object");

	/* Two full slabs of the 64-byte class; emptying both keeps one, returns the other. */
	enum { PER = 63 };
	void *objs[2 * PER];
	for (int i = 0; i < 2 * PER; i++)
		objs[i] = kheap_alloc(&f.heap, 64);
	CHECK(kheap_stats(&f.heap).classes[2].slabs == 2, "%zu slabs for 126 objects",
	      kheap_stats(&f.heap).classes[2].slabs);
	size_t free_before = buddy_free_pages(&f.buddy);
	for (int i = 0; i < 2 * PER; i++)
		kheap_free(&f.heap, objs[i]);
	CHECK(kheap_stats(&f.heap).classes[2].slabs == 1, "%zu slabs kept",
	      kheap_stats(&f.heap).classes[2].slabs);
	CHECK(buddy_free_pages(&f.buddy) == free_before + 1, "one page went back");
	kheap_free(&f.heap, a);
	check_all_returned(&f);
}

static void test_large(void)
{
	struct fixture f;
	setup(&f, 4 * MAX_PAGES);
	static const size_t sizes[] = {2049,           4096, 4097, 3 * PAGE_SIZE, 5 * PAGE_SIZE + 1,
	                               BUDDY_MAX_BLOCK};
	static const unsigned orders[] = {0, 0, 1, 2, 3, BUDDY_MAX_ORDER};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		void *p = kheap_alloc(&f.heap, sizes[i]);
		struct buddy_block blk;
		CHECK(p && buddy_find_block(&f.buddy, p, &blk), "kheap_alloc(%zu) failed",
		      sizes[i]);
		CHECK(blk.start == (uintptr_t)p && blk.order == orders[i],
		      "kheap_alloc(%zu): block %p of order %u, expected order %u", sizes[i],
		      (void *)blk.start, blk.order, orders[i]);
		CHECK(kheap_usable_size(&f.heap, p) == (size_t)PAGE_SIZE << orders[i], "usable");
		kheap_free(&f.heap, p);
	}
	CHECK(kheap_alloc(&f.heap, BUDDY_MAX_BLOCK + 1) == NULL, "more than the largest block");
	CHECK(kheap_alloc(&f.heap, SIZE_MAX) == NULL, "SIZE_MAX");
	CHECK(kheap_stats(&f.heap).failures == 2, "failures not counted");
	check_all_returned(&f);
}

static void test_out_of_memory(void)
{
	struct fixture f;
	setup(&f, MAX_PAGES);
	enum { MAX = 4096 };
	static void *p[MAX];
	size_t n = 0;
	while (n < MAX && (p[n] = kheap_alloc(&f.heap, 2048)) != NULL)
		n++;
	CHECK(n == MAX_PAGES / 4 * 7, "%zu objects of 2048 bytes from 4 MiB", n);
	CHECK(kheap_alloc(&f.heap, 16) == NULL, "a small object with no page left");
	CHECK(kheap_alloc(&f.heap, 8192) == NULL, "a large object with no page left");
	for (size_t i = 0; i < n; i++)
		kheap_free(&f.heap, p[i]);
	check_all_returned(&f);
}

/* A page source that refuses after a given number of blocks. */
struct stingy {
	struct kheap_pages inner;
	int left;
};

static void *stingy_alloc(void *ctx, unsigned order, uint32_t owner)
{
	struct stingy *s = ctx;
	if (s->left == 0)
		return NULL;
	s->left--;
	return s->inner.alloc(s->inner.ctx, order, owner);
}

static void stingy_free(void *ctx, void *block, unsigned order)
{
	struct stingy *s = ctx;
	s->inner.free(s->inner.ctx, block, order);
}

static bool stingy_find(void *ctx, const void *addr, struct buddy_block *out)
{
	struct stingy *s = ctx;
	return s->inner.find(s->inner.ctx, addr, out);
}

static void test_page_source_failure(void)
{
	struct fixture f;
	setup(&f, MAX_PAGES);
	struct stingy stingy = {kheap_pages_from_buddy(&f.buddy), 1};
	struct kheap_pages source = {stingy_alloc, stingy_free, stingy_find, &stingy};
	kheap_init(&f.heap, &source);
	void *objs[64];
	for (int i = 0; i < 63; i++)
		objs[i] = kheap_alloc(&f.heap, 64);
	CHECK(objs[62] != NULL, "one page holds 63 objects of 64 bytes");
	CHECK(kheap_alloc(&f.heap, 64) == NULL, "the source refused a second page");
	CHECK(kheap_alloc(&f.heap, 5000) == NULL, "the source refused a large block");
	stingy.left = 1;
	objs[63] = kheap_alloc(&f.heap, 64);
	CHECK(objs[63] != NULL, "the heap recovers when the source has pages again");
	for (int i = 0; i < 64; i++)
		kheap_free(&f.heap, objs[i]);
	check_all_returned(&f);
}

static void test_kmalloc_api(void)
{
	struct fixture f;
	setup(&f, MAX_PAGES);
	kmalloc_use_heap(&f.heap);
	char *s = kmalloc(100);
	strcpy(s, "sprout");
	void *big = kmalloc(3 * PAGE_SIZE);
	kfree(NULL);
	struct kheap_stats st = kmalloc_stats();
	CHECK(st.classes[3].in_use == 1 && st.large_blocks == 1,
	      "stats: %zu in class 128, %zu "
	      "large",
	      st.classes[3].in_use, st.large_blocks);
	kmalloc_print_stats();
	kfree(s);
	kfree(big);
	check_all_returned(&f);
}

/* ---- Randomized, against a model ---- */

struct live_object {
	uint8_t *p;
	size_t size;
	uint8_t fill;
};

static size_t random_size(struct rng *r)
{
	uint64_t x = rng_below(r, 100);
	if (x < 60)
		return rng_below(r, 257);
	if (x < 95)
		return 257 + rng_below(r, KHEAP_MAX_CLASS - 256);
	return KHEAP_MAX_CLASS + 1 + rng_below(r, 16 * PAGE_SIZE);
}

static int by_address(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct live_object *)a)->p;
	uintptr_t y = (uintptr_t)((const struct live_object *)b)->p;
	return x < y ? -1 : x > y;
}

static void check_live(struct fixture *f, struct live_object *live, size_t n)
{
	qsort(live, n, sizeof *live, by_address);
	size_t small = 0, large = 0;
	for (size_t i = 0; i < n; i++) {
		size_t usable = kheap_usable_size(&f->heap, live[i].p);
		if (i + 1 < n)
			CHECK(live[i].p + usable <= live[i + 1].p, "%p (+%zu) overlaps %p",
			      (void *)live[i].p, usable, (void *)live[i + 1].p);
		if (live[i].size > KHEAP_MAX_CLASS)
			large++;
		else
			small++;
	}
	struct kheap_stats s = kheap_stats(&f->heap);
	size_t in_use = 0;
	for (unsigned c = 0; c < KHEAP_NCLASSES; c++)
		in_use += s.classes[c].in_use;
	CHECK(in_use == small && s.large_blocks == large,
	      "stats say %zu objects and %zu large blocks, the model %zu and %zu", in_use,
	      s.large_blocks, small, large);
}

static void random_run(uint64_t seed)
{
	enum { MAX_LIVE = 4000, STEPS = 40000 };
	host_set_context("seed %lu", (unsigned long)seed);
	struct rng r = {seed};
	struct fixture f;
	setup(&f, 16 * MAX_PAGES);
	struct live_object *live = host_memory(MAX_LIVE * sizeof *live, 8);
	size_t n = 0;
	for (int step = 0; step < STEPS; step++) {
		bool alloc = n == 0 ||
		             (n < MAX_LIVE && rng_below(&r, 100) < ((step / 5000) % 2 ? 40 : 65));
		if (alloc) {
			size_t size = random_size(&r);
			uint8_t *p = kheap_alloc(&f.heap, size);
			CHECK(p != NULL, "kheap_alloc(%zu) failed with %zu objects live", size, n);
			CHECK((uintptr_t)p % expected_alignment(size) == 0, "%p misaligned",
			      (void *)p);
			live[n] = (struct live_object){p, size, (uint8_t)rng_next(&r)};
			memset(p, live[n].fill, size);
			n++;
		} else {
			size_t i = rng_below(&r, n);
			for (size_t j = 0; j < live[i].size; j++)
				CHECK(live[i].p[j] == live[i].fill,
				      "byte %zu of %p (%zu bytes) changed", j, (void *)live[i].p,
				      live[i].size);
			kheap_free(&f.heap, live[i].p);
			live[i] = live[--n];
		}
		if (step % 1000 == 0)
			check_live(&f, live, n);
	}
	while (n)
		kheap_free(&f.heap, live[--n].p);
	check_all_returned(&f);
	host_release_all();
}

static void test_random(void)
{
	for (size_t i = 0; i < host_nseeds(); i++)
		random_run(host_seed(i));
}

/* ---- Misuse: each must panic, saying what went wrong ---- */

static void test_kfree_stack_pointer(void)
{
	struct fixture f;
	setup(&f, MAX_PAGES);
	int x;
	kheap_free(&f.heap, &x);
}

static void test_kfree_page_from_buddy(void)
{
	struct fixture f;
	setup(&f, MAX_PAGES);
	void *page = buddy_alloc(&f.buddy, 0);
	kheap_free(&f.heap, page);
}

static void test_kfree_never_allocated(void)
{
	struct fixture f;
	setup(&f, MAX_PAGES);
	uint8_t *p = kheap_alloc(&f.heap, 64);
	kheap_free(&f.heap, p + 64); /* the next object of the slab: never handed out */
}

static void test_double_kfree(void)
{
	struct fixture f;
	setup(&f, MAX_PAGES);
	void *keep = kheap_alloc(&f.heap, 48); /* keeps the slab alive */
	void *p = kheap_alloc(&f.heap, 48);
	kheap_free(&f.heap, p);
	expect_in_panic("kfree(%p)", p);
	kheap_free(&f.heap, p);
	kheap_free(&f.heap, keep);
}

static void test_double_kfree_last_object(void)
{
	/* The slab is the class's only one, so it stays; the bit still says free. */
	struct fixture f;
	setup(&f, MAX_PAGES);
	void *p = kheap_alloc(&f.heap, 200);
	kheap_free(&f.heap, p);
	kheap_free(&f.heap, p);
}

static void test_double_kfree_large(void)
{
	struct fixture f;
	setup(&f, MAX_PAGES);
	void *p = kheap_alloc(&f.heap, 3 * PAGE_SIZE);
	kheap_free(&f.heap, p);
	kheap_free(&f.heap, p);
}

static void test_kfree_interior(void)
{
	struct fixture f;
	setup(&f, MAX_PAGES);
	uint8_t *p = kheap_alloc(&f.heap, 64);
	expect_in_panic("8 bytes into the 64-byte object %p", (void *)p);
	kheap_free(&f.heap, p + 8);
}

static void test_kfree_interior_large(void)
{
	struct fixture f;
	setup(&f, MAX_PAGES);
	uint8_t *p = kheap_alloc(&f.heap, 10000);
	expect_in_panic("inside the large block %p", (void *)p);
	kheap_free(&f.heap, p + PAGE_SIZE);
}

static void test_kfree_into_header(void)
{
	struct fixture f;
	setup(&f, MAX_PAGES);
	uint8_t *p = kheap_alloc(&f.heap, 16); /* the first object, right after the header */
	kheap_free(&f.heap, p - 32);
}

static void test_kfree_corrupt_header(void)
{
	struct fixture f;
	setup(&f, MAX_PAGES);
	uint8_t *p = kheap_alloc(&f.heap, 16);
	memset(p - 64, 0, 8); /* an underrun of the first object hits the slab's header */
	kheap_free(&f.heap, p);
}

static void test_kfree_other_heap(void)
{
	struct fixture f;
	setup(&f, MAX_PAGES);
	struct kheap other;
	struct kheap_pages source = kheap_pages_from_buddy(&f.buddy);
	kheap_init(&other, &source);
	void *p = kheap_alloc(&other, 32);
	kheap_free(&f.heap, p);
}

static void test_use_after_kfree(void)
{
	struct fixture f;
	setup(&f, MAX_PAGES);
	void *keep = kheap_alloc(&f.heap, 32);
	uint8_t *p = kheap_alloc(&f.heap, 32);
	kheap_free(&f.heap, p);
	p[5] = 0x77; /* the bug under test */
	expect_in_panic("object %p (class 32", (void *)p);
	expect_in_panic("offset 0x5 holds 0x77");
	kheap_alloc(&f.heap, 32);
	kheap_free(&f.heap, keep);
}

static void test_kmalloc_before_heap(void)
{
	kmalloc(10);
}

static const struct host_test tests[] = {
        {"classes", test_classes, NULL},
        {"sizes_and_alignment", test_sizes_and_alignment, NULL},
        {"slab_reuse", test_slab_reuse, NULL},
        {"large", test_large, NULL},
        {"out_of_memory", test_out_of_memory, NULL},
        {"page_source_failure", test_page_source_failure, NULL},
        {"kmalloc_api", test_kmalloc_api, NULL},
        {"random", test_random, NULL},
        {"kfree_stack_pointer", test_kfree_stack_pointer, "not memory from kmalloc"},
        {"kfree_page_from_buddy", test_kfree_page_from_buddy,
         "allocated from the page allocator directly"},
        {"kfree_never_allocated", test_kfree_never_allocated, "already free"},
        {"double_kfree", test_double_kfree, "double kfree"},
        {"double_kfree_last_object", test_double_kfree_last_object, "double kfree"},
        {"double_kfree_large", test_double_kfree_large, "double kfree (its large block"},
        {"kfree_interior", test_kfree_interior, "interior pointer"},
        {"kfree_interior_large", test_kfree_interior_large, "interior pointer"},
        {"kfree_into_header", test_kfree_into_header, "outside its objects"},
        {"kfree_corrupt_header", test_kfree_corrupt_header, "is corrupt"},
        {"kfree_other_heap", test_kfree_other_heap, "belongs to heap"},
        {"use_after_kfree", test_use_after_kfree, "use after free"},
        {"kmalloc_before_heap", test_kmalloc_before_heap, "before kmalloc_use_heap"},
};

int main(int argc, char **argv)
{
	return host_main("kmalloc", tests, sizeof tests / sizeof tests[0], argc, argv);
}
