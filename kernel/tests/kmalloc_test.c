/*
 * Tests of lab 5's object allocator as the kernel uses it (kmalloc, kernel/mm/kmalloc.h),
 * and of the free-memory check around the tests. Suite "buddy": they run after the
 * handover with the rest of the lab.
 */
#include "debug/ktest.h"
#include "mm/kmalloc.h"
#include "mm/pages.h"

#define OBJECTS 320

struct object {
	uint8_t *p;
	size_t size;
};

/* The sizes tried: every size up to 64, both sides of each power of two, odd ones. */
static size_t size_number(int i)
{
	if (i < 64)
		return (size_t)i + 1;
	int j = i - 64;
	if (j < 3 * 14) {
		size_t pow = (size_t)16 << (j / 3); /* 16 B .. 128 KiB */
		return pow - 1 + (size_t)(j % 3);
	}
	return 37 + (size_t)(i * 997 % 9000);
}

/* What kmalloc promises for `size`: min(class size, 16) below 2 KiB, pages above. */
static size_t alignment_for(size_t size)
{
	if (size > KHEAP_MAX_CLASS)
		return PAGE_SIZE;
	size_t class = KHEAP_MIN_CLASS;
	while (class < size)
		class *= 2;
	return class < KHEAP_ALIGN ? class : KHEAP_ALIGN;
}

static uint8_t fill_byte(int i)
{
	return (uint8_t)(0x11 * (i % 15 + 1));
}

/* Sorts by address (insertion sort: a few hundred objects). */
static void sort_objects(struct object *o, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && o[j - 1].p > o[j].p; j--) {
			struct object t = o[j];
			o[j] = o[j - 1];
			o[j - 1] = t;
		}
}

static void check_objects(struct object *o)
{
	for (int i = 0; i < OBJECTS; i++) {
		size_t size = size_number(i);
		uint8_t *p = o[i].p = kmalloc(size);
		o[i].size = size;
		KCHECK(p, "kmalloc(%zu) returned NULL", size);
		KCHECK((uintptr_t)p % alignment_for(size) == 0,
		       "kmalloc(%zu) returned %p, not aligned to %zu", size, (void *)p,
		       alignment_for(size));
		for (size_t b = 0; b < size; b++)
			p[b] = fill_byte(i);
	}
	/* Every object still holds its own bytes: nothing overlapped and overwrote it. */
	for (int i = 0; i < OBJECTS; i++)
		for (size_t b = 0; b < o[i].size; b++)
			KCHECK(o[i].p[b] == fill_byte(i),
			       "byte %zu of the %zu-byte object %p changed from 0x%02x to 0x%02x",
			       b, o[i].size, (void *)o[i].p, fill_byte(i), o[i].p[b]);
	static struct object sorted[OBJECTS];
	for (int i = 0; i < OBJECTS; i++)
		sorted[i] = o[i];
	sort_objects(sorted, OBJECTS);
	for (int i = 1; i < OBJECTS; i++)
		KCHECK(sorted[i - 1].p + sorted[i - 1].size <= sorted[i].p,
		       "the %zu-byte object %p overlaps the %zu-byte object %p", sorted[i - 1].size,
		       (void *)sorted[i - 1].p, sorted[i].size, (void *)sorted[i].p);
}

KTEST(buddy, kmalloc)
{
	static struct object o[OBJECTS];
	size_t free_before = pages_free_count();
	check_objects(o);
	for (int i = 0; i < OBJECTS; i++)
		kfree(o[i].p);
	struct kheap_stats s = kmalloc_stats();
	size_t in_use = 0;
	for (int c = 0; c < KHEAP_NCLASSES; c++)
		in_use += s.classes[c].in_use;
	kmalloc_trim();
	ktest_info("objects=%d in_use=%zu large_blocks=%zu free_before=%zu free_after=%zu", OBJECTS,
	           in_use, s.large_blocks, free_before, pages_free_count());
	KCHECK(in_use == 0 && s.large_blocks == 0,
	       "%zu objects and %zu large blocks still in use after freeing all", in_use,
	       s.large_blocks);
	KCHECK(pages_free_count() >= free_before,
	       "%zu pages free after kfree of everything, "
	       "%zu before",
	       pages_free_count(), free_before);
}

/*
 * Leaks a page on purpose: the test itself passes, and the free-memory check at the
 * end of the run must report it. Runs alone (test=buddy.leak).
 */
KTEST_ALONE(buddy, leak)
{
	void *p = page_alloc(0);
	KCHECK(p, "page_alloc(0) returned NULL");
	ktest_info("leaked=%p", p);
}
