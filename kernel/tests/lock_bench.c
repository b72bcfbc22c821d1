/*
 * Benchmarks of lab 3: what a spinlock costs, in guest instructions. They print BENCH
 * lines and judge nothing; each runs alone. They are meant for QEMU -icount (grade/
 * bench.py), where instret counts the instructions of all harts together, scaled by
 * 2^shift; without -icount QEMU's instret is a host clock and the figures mean nothing.
 *
 *   test=lock.bench_uncontended   one hart: acquire+release, nested, checker off, irq
 *   test=lock.bench_counter       every hart adds to one counter under one lock, with a
 *                                 little work of varying length outside it each time
 */
#include "debug/ktest.h"
#include "hal/atomic.h"
#include "hal/cpu.h"
#include "hart/hart.h"
#include "lib/format.h"
#include "smp/smp.h"
#include "sync/irqnest.h"
#include "sync/lockorder.h"
#include "sync/spinlock.h"
#include "tests/test_util.h"

/*
 * instret units per instruction. The cleanest of a few tries: under -icount another
 * hart may run in the middle of one and inflate it.
 */
static uint64_t instret_per_instruction(void)
{
	uint64_t best = UINT64_MAX, per = 1;
	for (int i = 0; i < 8; i++) {
		uint64_t a = cpu_instret();
		cpu_run_256_nops();
		uint64_t b = cpu_instret();
		cpu_run_256_nops();
		cpu_run_256_nops();
		uint64_t c = cpu_instret();
		/* (c - b) - (b - a) is 256 instructions; the reading overhead cancels. */
		if (c - a < best && c - b > b - a) {
			best = c - a;
			per = ((c - b) - (b - a) + 128) / 256;
		}
	}
	return per ? per : 1;
}

enum { UNCONTENDED_ROUNDS = 20000 };

static struct spinlock outer_lock = SPINLOCK_INIT("bench.outer");
static struct spinlock bench_lock = SPINLOCK_INIT("bench.lock");

enum what { EMPTY, LOCK, IRQ };

/* instret units for UNCONTENDED_ROUNDS rounds of `what`: the least of a few runs. */
static uint64_t measure(enum what what)
{
	uint64_t best = UINT64_MAX;
	for (int run = 0; run < 5; run++) {
		uint64_t start = cpu_instret();
		for (int i = 0; i < UNCONTENDED_ROUNDS; i++) {
			if (what == LOCK) {
				spin_lock(&bench_lock);
				spin_unlock(&bench_lock);
			} else if (what == IRQ) {
				irq_push();
				irq_pop();
			} else {
				__asm__ volatile("" ::: "memory");
			}
		}
		uint64_t used = cpu_instret() - start;
		if (used < best)
			best = used;
	}
	return best;
}

static uint64_t per_round(uint64_t units, uint64_t empty, uint64_t per_insn)
{
	return (units > empty ? units - empty : 0) / per_insn / UNCONTENDED_ROUNDS;
}

KTEST_ALONE(lock, bench_uncontended)
{
	uint64_t per_insn = instret_per_instruction();
	uint64_t empty = measure(EMPTY);
	uint64_t plain = measure(LOCK);
	spin_lock(&outer_lock); /* the checker now has an order to look up every time */
	uint64_t nested = measure(LOCK);
	bool was = lock_order_set_enabled(false);
	uint64_t nested_unchecked = measure(LOCK);
	lock_order_set_enabled(was);
	spin_unlock(&outer_lock);
	uint64_t irq = measure(IRQ);
	ktest_info("instret_per_instruction=%lu harts=%d", per_insn, smp_online());
	ktest_bench("lock.acq_rel", per_round(plain, empty, per_insn), "instructions");
	ktest_bench("lock.acq_rel_nested", per_round(nested, empty, per_insn), "instructions");
	ktest_bench("lock.acq_rel_nested_nocheck", per_round(nested_unchecked, empty, per_insn),
	            "instructions");
	ktest_bench("lock.irq_push_pop", per_round(irq, empty, per_insn), "instructions");
}

/* ---- Contended: every hart adds to one counter under one lock ---- */

enum { COUNTER_ROUNDS = 500000 };

static struct spinlock counter_lock = SPINLOCK_INIT("bench.counter");
static volatile uint64_t counter;
static volatile uint32_t arrived, go, finished;
static volatile uint64_t start_instret, end_instret; /* a racy first-writer is fine */

/*
 * Every hart counts with interrupts off and turns them on again only once the last one
 * is done. Under -icount a hart that takes timer ticks while the others spin with
 * interrupts off barely gets a turn (each tick's timer write ends its turn, and the
 * others run past its next deadline), so the harts wait for each other with interrupts
 * on and all turn them off together.
 */
static void add_many(void *arg)
{
	uint32_t nharts = *(const uint32_t *)arg;
	if (atomic_fetch_add_acq_rel(&arrived, 1) + 1 == nharts)
		atomic_store_release(&go, 1);
	while (atomic_load_acquire(&go) == 0)
		cpu_relax();
	irq_push();
	if (start_instret == 0)
		start_instret =
		        cpu_instret(); /* the first hart through the gate starts the clock */
	/*
	 * Between increments, a little work outside the lock, of varying length. Under
	 * -icount each hart's turn is a fixed number of instructions; with a loop of fixed
	 * length, turns would end at the same point of the loop every time, and if that
	 * point is inside the lock, the other harts would never find it free.
	 */
	uint32_t seed = this_hart()->id * 2654435761u + 1;
	for (int i = 0; i < COUNTER_ROUNDS; i++) {
		spin_lock(&counter_lock);
		counter = counter + 1;
		spin_unlock(&counter_lock);
		seed = seed * 1103515245u + 12345u;
		for (volatile uint32_t j = (seed >> 16) % 16; j > 0; j--)
			;
	}
	if (atomic_fetch_add_acq_rel(&finished, 1) + 1 == nharts)
		end_instret = cpu_instret();
	while (atomic_load_acquire(&finished) != nharts)
		cpu_relax();
	irq_pop();
}

KTEST_ALONE(lock, bench_counter)
{
	uint32_t n = (uint32_t)smp_online();
	uint64_t per_insn = instret_per_instruction();
	/* Under -icount a holder can sit out many turns of 100 ms: not a deadlock here. */
	uint32_t limit = spin_set_deadlock_ms(60000);
	struct spin_stats before = spin_stats(&counter_lock);
	for (int i = 0; i < MAX_HARTS; i++)
		if (&harts[i] != this_hart() && harts[i].activity == HART_PARKED)
			KCHECK(smp_run_on((uint32_t)i, add_many, &n), "cannot post to hart %d", i);
	add_many(&n);
	for (int i = 0; i < MAX_HARTS; i++)
		if (&harts[i] != this_hart() && harts[i].activity != HART_OFFLINE)
			KCHECK(smp_join_timeout((uint32_t)i, 600000), "hart %d did not finish", i);
	spin_set_deadlock_ms(limit);
	uint64_t insns = (end_instret - start_instret) / per_insn;
	struct spin_stats after = spin_stats(&counter_lock);
	uint64_t ops = (uint64_t)n * COUNTER_ROUNDS;
	uint64_t acq = after.acquisitions - before.acquisitions;
	uint64_t spins = after.spins - before.spins;
	ktest_info("harts=%u ops=%lu total=%lu instructions=%lu contended=%lu spins=%lu "
	           "instret_per_instruction=%lu",
	           n, ops, counter, insns, after.contended - before.contended, spins, per_insn);
	KCHECK(counter == ops, "counter is %lu after %lu additions", counter, ops);
	char name[64];
	snprintf(name, sizeof name, "lock.counter_%uharts_ops", n);
	ktest_bench(name, ops * 1000000 / (insns ? insns : 1), "ops/Minsn");
	snprintf(name, sizeof name, "lock.counter_%uharts_spins", n);
	ktest_bench(name, spins * 1000 / (acq ? acq : 1), "spins/1000acq");
	snprintf(name, sizeof name, "lock.counter_%uharts_contended", n);
	ktest_bench(name, (after.contended - before.contended) * 1000000 / (acq ? acq : 1),
	            "per_million_acq");
}
