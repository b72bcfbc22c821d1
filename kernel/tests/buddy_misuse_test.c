/*
 * Death tests of lab 5: misuse of the page allocator must stop the kernel with a panic
 * that says what went wrong, at the call that went wrong. Each runs alone
 * (test=buddy.double_free); the grader checks the message.
 */
#include "debug/ktest.h"
#include "hal/atomic.h"
#include "hal/cpu.h"
#include "mm/buddy.h"
#include "mm/bump.h"
#include "mm/kmalloc.h"
#include "mm/memmap.h"
#include "mm/pagecache.h"
#include "mm/pages.h"
#include "sched/thread.h"
#include "sync/irqnest.h"
#include "tests/test_util.h"

/* A single page, freed twice: the second free finds it in this hart's page cache. */
KTEST_DEATH(buddy, double_free)
{
	void *p = page_alloc(0);
	KCHECK(p, "page_alloc(0) returned NULL");
	page_free(p, 0);
	page_free(p, 0);
}

/*
 * One page, freed by two threads at once (on two harts when there are two): whichever
 * comes second must be refused, also when both check the page before either has
 * cached it.
 */
static struct {
	void *page;
	volatile uint32_t ready;
} race;

static void free_in_race(void *arg)
{
	(void)arg;
	atomic_fetch_add_acq_rel(&race.ready, 1);
	while (atomic_load_acquire(&race.ready) < 2)
		cpu_relax();
	page_free(race.page, 0);
}

KTEST_DEATH(buddy, double_free_race)
{
	race.page = page_alloc(0);
	KCHECK(race.page, "page_alloc(0) returned NULL");
	struct thread *a = spawn(free_in_race, NULL, "racer");
	struct thread *b = spawn(free_in_race, NULL, "racer");
	KCHECK(a && b, "cannot start two threads");
	thread_join(a);
	thread_join(b);
}

/* A larger block, freed twice: the buddy allocator itself finds it free. */
KTEST_DEATH(buddy, double_free_block)
{
	void *p = page_alloc(3);
	KCHECK(p, "page_alloc(3) returned NULL");
	page_free(p, 3);
	page_free(p, 3);
}

/* A page of the kernel image: never the page allocator's. */
KTEST_DEATH(buddy, free_foreign)
{
	page_free((void *)kernel_start, 0);
}

/* A page inside free memory that no one allocated. */
KTEST_DEATH(buddy, free_unallocated)
{
	uint8_t *p = page_alloc(1);
	KCHECK(p, "page_alloc(1) returned NULL");
	page_free(p, 1);
	pagecache_drain_all();
	page_free(p + PAGE_SIZE, 0);
}

KTEST_DEATH(buddy, wrong_order)
{
	void *p = page_alloc(2);
	KCHECK(p, "page_alloc(2) returned NULL");
	page_free(p, 1);
}

/* Not the start of a page. */
KTEST_DEATH(buddy, misaligned)
{
	uint8_t *p = page_alloc(0);
	KCHECK(p, "page_alloc(0) returned NULL");
	page_free(p + 16, 0);
}

/* The second page of an order-2 block, freed as if it were an order-2 block itself. */
KTEST_DEATH(buddy, misaligned_block)
{
	uint8_t *p = page_alloc(2);
	KCHECK(p, "page_alloc(2) returned NULL");
	page_free(p + PAGE_SIZE, 2);
}

/*
 * A write through a stale pointer: the page goes back to this hart's page cache, and
 * the next page_alloc(0) hands the same page out again and must find its poison
 * damaged. Interrupts stay off throughout, so that the thread cannot be moved to
 * another hart (and cache) in between.
 */
KTEST_DEATH(buddy, use_after_free)
{
	ktest_info("mm_debug=%d", mm_debug);
	irq_push();
	volatile uint8_t *p = page_alloc(0);
	page_free((void *)p, 0);
	p[100] = 1;
	void *q = page_alloc(0);
	irq_pop();
	KCHECK(q == p, "the page freed last came back as %p, not %p: no cache?", q, (void *)p);
}

/*
 * The same through the buddy allocator (an order-1 block is never cached). Where the
 * freed block goes depends on what merges with it, so order-1 blocks are taken until
 * the damaged one is among them.
 */
KTEST_DEATH(buddy, use_after_free_block)
{
	ktest_info("mm_debug=%d", mm_debug);
	volatile uint8_t *p = page_alloc(1);
	KCHECK(p, "page_alloc(1) returned NULL");
	page_free((void *)p, 1);
	p[PAGE_SIZE + 8] = 1;
	size_t n = 0;
	for (void *q; (q = page_alloc(1)) != NULL; n++)
		if (q == p)
			break;
	ktest_info("%zu blocks of order 1 taken", n);
}

/* ---- kfree() misuse ---- */

enum {
	STREAM_KFREE_INTERIOR = 0x58,
	STREAM_KFREE_DOUBLE,
	STREAM_KMALLOC_UAF,
	STREAM_FREE_INTERIOR
};

/* A page inside an allocated block, at a seeded place, freed as if it were a block. */
KTEST_DEATH(buddy, free_interior)
{
	struct ktest_rng r = ktest_rng(STREAM_FREE_INTERIOR);
	unsigned order = (unsigned)ktest_range(&r, 1, 4);
	size_t page = ktest_range(&r, 1, ((size_t)1 << order) - 1);
	uint8_t *p = page_alloc(order);
	KCHECK(p, "page_alloc(%u) returned NULL", order);
	ktest_info("block=%p order=%u page=%zu", (void *)p, order, page);
	page_free(p + page * PAGE_SIZE, 0);
}

/* A pointer into the middle of an object, at a seeded offset. */
KTEST_DEATH(buddy, kfree_interior)
{
	struct ktest_rng r = ktest_rng(STREAM_KFREE_INTERIOR);
	size_t size = ktest_range(&r, 16, KHEAP_MAX_CLASS);
	size_t offset = ktest_range(&r, 1, size - 1);
	uint8_t *p = kmalloc(size);
	KCHECK(p, "kmalloc(%zu) returned NULL", size);
	ktest_info("object=%p size=%zu offset=%zu", (void *)p, size, offset);
	kfree(p + offset);
}

/* One object freed twice, while another keeps its slab in use. */
KTEST_DEATH(buddy, kfree_double)
{
	struct ktest_rng r = ktest_rng(STREAM_KFREE_DOUBLE);
	size_t size = ktest_range(&r, 1, KHEAP_MAX_CLASS);
	void *keeper = kmalloc(size), *p = kmalloc(size);
	KCHECK(keeper && p, "kmalloc(%zu) returned NULL", size);
	ktest_info("object=%p size=%zu", p, size);
	kfree(p);
	kfree(p);
}

/*
 * A write into a freed object at a seeded offset: objects of its class are taken until
 * the damaged one is handed out again, which must find its poison overwritten.
 */
KTEST_DEATH(buddy, kmalloc_use_after_free)
{
	struct ktest_rng r = ktest_rng(STREAM_KMALLOC_UAF);
	size_t size = ktest_range(&r, 16, KHEAP_MAX_CLASS);
	size_t offset = ktest_range(&r, 0, size - 1);
	uint8_t value = (uint8_t)ktest_range(&r, 0, 255);
	if (value == KHEAP_POISON)
		value ^= 1;
	ktest_info("mm_debug=%d size=%zu offset=%zu value=%u", mm_debug, size, offset, value);
	volatile uint8_t *p = kmalloc(size);
	KCHECK(p, "kmalloc(%zu) returned NULL", size);
	ktest_info("object=%p", (void *)p);
	kfree((void *)p);
	p[offset] = value;
	for (int n = 0; n < 4096; n++)
		if (kmalloc(size) == p)
			break;
}

/* After the handover, the boot allocator is sealed. */
KTEST_DEATH(buddy, sealed)
{
	ktest_info("sealed=%d", bump_sealed());
	boot_alloc(16, 8);
}
