/*
 * Tests of lab 5 on several harts at once: the page allocator (and kmalloc beside it)
 * under stress from threads on every hart, the per-hart page caches seen through the lock statistics
 * of lab 3, and the thread table that grows past lab 4's static capacity.
 * Meaningful with CPUS >= 2 and without -icount (harts really in parallel).
 */
#include "config.h"
#include "debug/ktest.h"
#include "debug/trace.h"
#include "hal/atomic.h"
#include "hart/hart.h"
#include "lib/format.h"
#include "mm/kmalloc.h"
#include "mm/pages.h"
#include "sched/thread.h"
#include "sched/threadtable.h"
#include "smp/smp.h"
#include "sync/spinlock.h"
#include "tests/pages_util.h"
#include "tests/test_util.h"

/* A small generator (xorshift): each worker its own fixed sequence. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Starts n threads running fn(args + i * size) and joins them all; false on failure. */
static bool run_workers(void (*fn)(void *), void *args, size_t size, int n, const char *name)
{
	struct thread *t[MAX_HARTS * 4];
	if (n > (int)(sizeof t / sizeof t[0]))
		n = sizeof t / sizeof t[0];
	int started = 0;
	for (; started < n; started++)
		if (!(t[started] = spawn(fn, (char *)args + (size_t)started * size, name)))
			break;
	for (int i = 0; i < started; i++)
		thread_join(t[i]);
	return started == n;
}

/* ---- Stress: many harts, no page lost or handed out twice ---- */

#define STRESS_SLOTS     24
#define STRESS_MAX_ORDER 3

struct stress_worker {
	uint32_t id;
	unsigned iterations;
	volatile uint32_t *start; /* all workers begin together */
	uint32_t nworkers;
	/* Results. */
	uint64_t allocs, frees, failed_allocs;
	uint64_t harts; /* bit n: ran on hart n */
	char error[120];
};

/* The tag of page `page` of a block: who holds it and which allocation it is. */
static uint64_t tag_of(uint32_t worker, uint64_t serial, size_t page)
{
	return (uint64_t)worker << 48 | serial << 12 | page;
}

/*
 * Writes the tag into the first and last word of every page of the block. Caller must
 * hold the block: 2^order pages from page_alloc(order).
 */
static void tag_block(uint64_t *block, unsigned order, uint32_t worker, uint64_t serial)
{
	for (size_t i = 0; i < ((size_t)1 << order); i++) {
		uint64_t *page = block + i * (PAGE_SIZE / 8);
		page[0] = page[PAGE_SIZE / 8 - 1] = tag_of(worker, serial, i);
	}
}

/*
 * True if every page still carries its tag; else says whose tag replaced it. Caller must
 * hold the block, tagged by tag_block().
 */
static bool tags_intact(struct stress_worker *w, uint64_t *block, unsigned order, uint64_t serial)
{
	for (size_t i = 0; i < ((size_t)1 << order); i++) {
		uint64_t *page = block + i * (PAGE_SIZE / 8), want = tag_of(w->id, serial, i);
		for (size_t at = 0; at < PAGE_SIZE / 8; at += PAGE_SIZE / 8 - 1) {
			if (page[at] != want) {
				snprintf(w->error, sizeof w->error,
				         "page %p of worker %u holds tag 0x%lx (worker %lu), not "
				         "0x%lx: "
				         "handed out twice",
				         (void *)page, w->id, page[at], page[at] >> 48, want);
				return false;
			}
		}
	}
	return true;
}

/*
 * True if the kmalloc object still carries its tag in every word (NULL: none made).
 * Caller must hold the object, `words` words from kmalloc().
 */
static bool note_intact(struct stress_worker *w, const uint64_t *note, size_t words,
                        uint64_t serial)
{
	uint64_t want = tag_of(w->id, serial, 0xfff);
	for (size_t i = 0; note && i < words; i++) {
		if (note[i] != want) {
			snprintf(w->error, sizeof w->error,
			         "word %zu of the kmalloc object %p of worker %u holds 0x%lx, not "
			         "0x%lx: handed out twice",
			         i, (const void *)note, w->id, note[i], want);
			return false;
		}
	}
	return true;
}

static void stress_worker(void *arg)
{
	struct stress_worker *w = arg;
	struct {
		uint64_t *block;
		unsigned order;
		uint64_t serial;
		uint64_t *note; /* a kmalloc object beside each block, tagged the same way */
		size_t note_words;
	} held[STRESS_SLOTS] = {{0}};
	uint64_t seed = 0x9e3779b97f4a7c15ull * (w->id + 1), serial = 0;
	atomic_fetch_add_acq_rel(w->start, 1);
	while (atomic_load_acquire(w->start) < w->nworkers)
		cpu_relax();
	for (unsigned it = 0; it < w->iterations && !w->error[0]; it++) {
		w->harts |= 1ull << this_hart()->id;
		unsigned s = (unsigned)(next_random(&seed) % STRESS_SLOTS);
		if (held[s].block) {
			if (!tags_intact(w, held[s].block, held[s].order, held[s].serial) ||
			    !note_intact(w, held[s].note, held[s].note_words, held[s].serial))
				break;
			page_free(held[s].block, held[s].order);
			kfree(held[s].note);
			held[s].block = NULL;
			w->frees++;
			continue;
		}
		/* Mostly single pages (the cached path), some small blocks. */
		uint64_t r = next_random(&seed) % 8;
		unsigned order = r < 5 ? 0 : (unsigned)(r - 4);
		uint64_t *block = page_alloc(order);
		if (!block) {
			w->failed_allocs++;
			continue;
		}
		tag_block(block, order, w->id, ++serial);
		held[s].block = block;
		held[s].order = order;
		held[s].serial = serial;
		held[s].note_words = 1 + next_random(&seed) % 80;
		held[s].note = kmalloc(held[s].note_words * 8);
		for (size_t i = 0; held[s].note && i < held[s].note_words; i++)
			held[s].note[i] = tag_of(w->id, serial, 0xfff);
		w->allocs++;
	}
	for (unsigned s = 0; s < STRESS_SLOTS; s++) {
		if (!held[s].block)
			continue;
		if (!w->error[0] && tags_intact(w, held[s].block, held[s].order, held[s].serial))
			note_intact(w, held[s].note, held[s].note_words, held[s].serial);
		page_free(held[s].block, held[s].order);
		kfree(held[s].note);
		w->frees++;
	}
}

KTEST(buddy, stress)
{
	enum { ITERATIONS = 20000 };
	int nharts = smp_online(), n = 2 * nharts < 4 ? 4 : 2 * nharts;
	static struct stress_worker workers[MAX_HARTS * 4];
	static volatile uint32_t start;
	start = 0;
	kmalloc_trim(); /* free pages, not counting the heap's empty slabs */
	size_t free_before = pages_free_count();
	for (int i = 0; i < n; i++)
		workers[i] = (struct stress_worker){.id = (uint32_t)i + 1,
		                                    .iterations = ITERATIONS,
		                                    .start = &start,
		                                    .nworkers = (uint32_t)n};
	KCHECK(run_workers(stress_worker, workers, sizeof workers[0], n, "stress"),
	       "could not start %d threads", n);
	uint64_t harts = 0, allocs = 0, frees = 0, failed = 0;
	for (int i = 0; i < n; i++) {
		KCHECK(!workers[i].error[0], "%s", workers[i].error);
		harts |= workers[i].harts;
		allocs += workers[i].allocs;
		frees += workers[i].frees;
		failed += workers[i].failed_allocs;
	}
	kmalloc_trim();
	size_t free_after = pages_free_count();
	int used = 0;
	for (int h = 0; h < MAX_HARTS; h++)
		used += (harts >> h) & 1;
	ktest_info("workers=%d harts=%d harts_used=%d allocs=%lu frees=%lu failed=%lu "
	           "free_before=%zu free_after=%zu",
	           n, nharts, used, allocs, frees, failed, free_before, free_after);
	KCHECK(allocs == frees, "%lu blocks allocated, %lu freed", allocs, frees);
	KCHECK(free_after == free_before, "%zu pages free after the stress, %zu before: %s",
	       free_after, free_before, free_after < free_before ? "pages lost" : "pages gained");
	KCHECK(nharts < 2 || used >= 2, "the workers all ran on one hart of %d", nharts);
}

/* ---- The per-hart caches, seen in the lock statistics ---- */

#define CACHE_ROUNDS 400
#define CACHE_BURST  8

struct cache_worker {
	volatile uint32_t *start;
	uint32_t nworkers;
	uint64_t ops;
};

/* Bursts of single pages out and back: what the caches are for. */
static void cache_worker(void *arg)
{
	struct cache_worker *w = arg;
	void *pages[CACHE_BURST];
	atomic_fetch_add_acq_rel(w->start, 1);
	while (atomic_load_acquire(w->start) < w->nworkers)
		cpu_relax();
	for (int r = 0; r < CACHE_ROUNDS; r++) {
		int got = 0;
		for (; got < CACHE_BURST; got++)
			if (!(pages[got] = page_alloc(0)))
				break;
		for (int i = 0; i < got; i++)
			page_free(pages[i], 0);
		w->ops += 2 * (uint64_t)got;
	}
}

/* Runs the workers once; returns the "pages" lock's acquisitions and contended waits. */
static struct spin_stats cache_round(int n, uint64_t *ops)
{
	static struct cache_worker workers[MAX_HARTS];
	static volatile uint32_t start;
	start = 0;
	for (int i = 0; i < n; i++)
		workers[i] = (struct cache_worker){.start = &start, .nworkers = (uint32_t)n};
	struct spin_stats before = pages_lock_stats();
	run_workers(cache_worker, workers, sizeof workers[0], n, "pagecache");
	struct spin_stats after = pages_lock_stats();
	*ops = 0;
	for (int i = 0; i < n; i++)
		*ops += workers[i].ops;
	return (struct spin_stats){.acquisitions = after.acquisitions - before.acquisitions,
	                           .contended = after.contended - before.contended,
	                           .spins = after.spins - before.spins};
}

KTEST(buddy, page_caches)
{
	int n = smp_online();
	uint64_t ops_cached, ops_plain;
	trace_note("caches on");
	struct spin_stats cached = cache_round(n, &ops_cached);
	bool was = pages_set_caching(false);
	trace_note("caches off");
	struct spin_stats plain = cache_round(n, &ops_plain);
	pages_set_caching(was);
	ktest_info("harts=%d ops=%lu cached_acquisitions=%lu cached_contended=%lu "
	           "plain_acquisitions=%lu plain_contended=%lu",
	           n, ops_cached, cached.acquisitions, cached.contended, plain.acquisitions,
	           plain.contended);
	spin_stats_print();
	KCHECK(plain.acquisitions >= ops_plain,
	       "without caches, %lu operations took the lock only %lu times", ops_plain,
	       plain.acquisitions);
	KCHECK(cached.acquisitions * 8 <= ops_cached,
	       "with the caches, %lu operations still took the lock %lu times", ops_cached,
	       cached.acquisitions);
}

/* ---- The thread table grows ---- */

struct waiters {
	volatile uint32_t running;
	volatile uint32_t release;
};

static void waiter(void *arg)
{
	struct waiters *w = arg;
	atomic_fetch_add_acq_rel(&w->running, 1);
	while (!atomic_load_acquire(&w->release))
		thread_yield();
}

KTEST(buddy, thread_table)
{
	/* More threads alive at once than lab 4's static table and stack pool hold. */
	enum { N = THREAD_MAX + 16 };
	_Static_assert(N > THREAD_STACKS, "more threads than pool stacks");
	static struct waiters w;
	w = (struct waiters){0};
	struct thread **t = kmalloc(N * sizeof *t);
	KCHECK(t, "kmalloc(%zu) failed", N * sizeof *t);
	int made = 0;
	for (; made < N; made++)
		if (!(t[made] = thread_create(waiter, &w, "waiter")))
			break;
	struct thread_table_stats s = thread_table_stats();
	bool all_ran = made == N && yield_until_value(&w.running, N, 5000);
	atomic_store_release(&w.release, 1);
	for (int i = 0; i < made; i++)
		thread_join(t[i]);
	kfree(t);
	struct thread_table_stats after = thread_table_stats();
	ktest_info("created=%d wanted=%d static_slots=%d pool_stacks=%d slots_used=%d "
	           "heap_slots=%d heap_stacks=%d running=%u",
	           made, N, THREAD_MAX, THREAD_STACKS, s.slots_used, s.heap_slots, s.heap_stacks,
	           w.running);
	KCHECK(made == N, "thread_create() failed after %d threads (static capacity %d)", made,
	       THREAD_MAX);
	KCHECK(all_ran, "only %u of %d threads ran", w.running, N);
	KCHECK(s.heap_slots > 0 && s.heap_stacks > 0,
	       "%d slots from kmalloc() and %d stacks from page_alloc() with %d threads alive",
	       s.heap_slots, s.heap_stacks, made);
	KCHECK(after.heap_slots == 0 && after.heap_stacks == 0,
	       "%d slots and %d stacks from the heap still in use after joining every thread",
	       after.heap_slots, after.heap_stacks);
}
