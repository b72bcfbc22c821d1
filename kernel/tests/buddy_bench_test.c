/*
 * Benchmarks of lab 5 (make bench, grade/bench.py): what a page and an object cost.
 * Both run alone and print BENCH lines; they judge nothing.
 *
 *   bench_pages      one hart, under -icount shift=0: instret counts guest
 *                    instructions, one per instruction
 *   bench_pages_smp  every hart at once, under -icount shift=3: QEMU then runs the
 *                    harts in turn and instret counts guest time in ns (8 per
 *                    instruction), shared by all harts; the figure is guest ns per
 *                    alloc+free pair with every hart's instructions in it, spinning
 *                    included
 *
 * The lock-order checker is off while measuring (it is a debug aid, not part of the
 * cost of a lock), and the figures mean most with mmdebug=0: poisoning reads or
 * writes a whole page on every operation.
 */
#include "debug/ktest.h"
#include "hal/atomic.h"
#include "hal/cpu.h"
#include "mm/kmalloc.h"
#include "mm/pages.h"
#include "sched/thread.h"
#include "smp/smp.h"
#include "sync/irqnest.h"
#include "sync/lockorder.h"
#include "tests/pages_util.h"
#include "tests/test_util.h"

#define PAIRS 2000

enum what { PAGE_0, PAGE_3, KMALLOC_64, KMALLOC_12K };

/* Instructions (instret) per allocation and free of `what`, over PAIRS pairs. */
static uint64_t pair_cost(enum what what)
{
	uint64_t t0 = cpu_instret();
	for (int i = 0; i < PAIRS; i++) {
		switch (what) {
		case PAGE_0:
			page_free(page_alloc(0), 0);
			break;
		case PAGE_3:
			page_free(page_alloc(3), 3);
			break;
		case KMALLOC_64:
			kfree(kmalloc(64));
			break;
		case KMALLOC_12K:
			kfree(kmalloc(12 * 1024));
			break;
		}
	}
	return (cpu_instret() - t0) / PAIRS;
}

KTEST_ALONE(buddy, bench_pages)
{
	bool checker = lock_order_set_enabled(false);
	/* Interrupts off: no tick lands in the count, and the thread stays on its hart. */
	irq_push();
	pair_cost(PAGE_0); /* warm up: fill the cache, the heap's slabs */
	pair_cost(KMALLOC_64);
	uint64_t cached = pair_cost(PAGE_0);
	bool was = pages_set_caching(false);
	uint64_t plain = pair_cost(PAGE_0);
	pages_set_caching(was);
	uint64_t order3 = pair_cost(PAGE_3);
	uint64_t small = pair_cost(KMALLOC_64);
	uint64_t large = pair_cost(KMALLOC_12K);
	irq_pop();
	lock_order_set_enabled(checker);
	ktest_info("pairs=%d mm_debug=%d", PAIRS, mm_debug);
	ktest_bench("page_alloc_free_cached", cached, "instructions per alloc+free, 1 hart");
	ktest_bench("page_alloc_free_no_cache", plain, "instructions per alloc+free, 1 hart");
	ktest_bench("page_alloc_free_order3", order3, "instructions per alloc+free, 1 hart");
	ktest_bench("kmalloc_kfree_64", small, "instructions per kmalloc+kfree, 1 hart");
	ktest_bench("kmalloc_kfree_12k", large, "instructions per kmalloc+kfree, 1 hart");
}

/* ---- Every hart at once ---- */

#define SMP_ROUNDS 2500
#define SMP_BURST  8

struct bench_worker {
	volatile uint32_t *start;
	uint32_t nworkers;
	uint64_t t0, t1, ops;
};

static void bench_worker(void *arg)
{
	struct bench_worker *w = arg;
	void *pages[SMP_BURST];
	atomic_fetch_add_acq_rel(w->start, 1);
	while (atomic_load_acquire(w->start) < w->nworkers)
		cpu_relax();
	/* Interrupts off: no tick, no preemption; the thread keeps its hart and cache. */
	irq_push();
	w->t0 = cpu_instret();
	for (int r = 0; r < SMP_ROUNDS; r++) {
		int got = 0;
		for (; got < SMP_BURST; got++)
			if (!(pages[got] = page_alloc(0)))
				break;
		for (int i = 0; i < got; i++)
			page_free(pages[i], 0);
		w->ops += (uint64_t)got;
	}
	w->t1 = cpu_instret();
	irq_pop();
}

/* Guest time per alloc+free pair, from the first worker's start to the last one's end. */
static uint64_t smp_cost(int n, uint64_t *ops)
{
	static struct bench_worker workers[MAX_HARTS];
	static volatile uint32_t start;
	struct thread *t[MAX_HARTS];
	start = 0;
	for (int i = 0; i < n; i++)
		workers[i] = (struct bench_worker){.start = &start, .nworkers = (uint32_t)n};
	int made = 0;
	for (; made < n; made++)
		if (!(t[made] = spawn(bench_worker, &workers[made], "bench")))
			break;
	for (int i = 0; i < made; i++)
		thread_join(t[i]);
	uint64_t first = UINT64_MAX, last = 0;
	*ops = 0;
	for (int i = 0; i < made; i++) {
		first = workers[i].t0 < first ? workers[i].t0 : first;
		last = workers[i].t1 > last ? workers[i].t1 : last;
		*ops += workers[i].ops;
	}
	return *ops ? (last - first) / *ops : 0;
}

KTEST_ALONE(buddy, bench_pages_smp)
{
	int n = smp_online();
	uint64_t ops_cached, ops_plain;
	bool checker = lock_order_set_enabled(false);
	smp_cost(n, &ops_cached); /* warm up */
	struct spin_stats l0 = pages_lock_stats();
	uint64_t cached = smp_cost(n, &ops_cached);
	struct spin_stats l1 = pages_lock_stats();
	bool was = pages_set_caching(false);
	uint64_t plain = smp_cost(n, &ops_plain);
	struct spin_stats l2 = pages_lock_stats();
	pages_set_caching(was);
	lock_order_set_enabled(checker);
	ktest_info("harts=%d ops=%lu,%lu lock_acquisitions=%lu,%lu contended=%lu,%lu "
	           "mm_debug=%d",
	           n, ops_cached, ops_plain, l1.acquisitions - l0.acquisitions,
	           l2.acquisitions - l1.acquisitions, l1.contended - l0.contended,
	           l2.contended - l1.contended, mm_debug);
	ktest_bench("page_alloc_free_smp_cached", cached, "guest-ns per alloc+free, all harts");
	ktest_bench("page_alloc_free_smp_no_cache", plain, "guest-ns per alloc+free, all harts");
}
