/*
 * Tests of lab 3, spinlocks (kernel/sync/spinlock.c, kernel/sync/irqnest.c) and the harts that
 * use them (kernel/smp/smp.c). They run right after every hart has come up. Tests that
 * look for races need harts that really run in parallel: the grader boots them with
 * two harts on multi-threaded TCG, without -icount (see docs/labs/3-lock.md).
 * Misuse, which must panic, is in lock_misuse_test.c.
 */
#include "debug/ktest.h"
#include "dev/platform.h"
#include "hal/atomic.h"
#include "hal/cpu.h"
#include "hart/hart.h"
#include "hart/stop.h"
#include "lib/format.h"
#include "lib/ksyms.h"
#include "lib/string.h"
#include "smp/smp.h"
#include "sync/irqnest.h"
#include "sync/spinlock.h"
#include "tests/test_util.h"
#include "trap/timer.h"

/* ktest_rng streams: each seeded draw of this file has its own. */
enum {
	STREAM_WITNESS = 0x30,
	STREAM_STATS,
};

/* The function `addr` lies in, by name, for checking recorded sites. */
static const char *function_at(void *addr)
{
	uintptr_t offset;
	const char *name = ksym_lookup((uintptr_t)addr, &offset);
	return name ? name : "?";
}

/* ---- The witness: a seeded walk through nested locks and irq_push/irq_pop ---- */

#define WITNESS_LOCKS 4
#define WITNESS_STEPS 48

static struct spinlock witness_locks[WITNESS_LOCKS] = {
        SPINLOCK_INIT("witness.0"), SPINLOCK_INIT("witness.1"), SPINLOCK_INIT("witness.2"),
        SPINLOCK_INIT("witness.3")};

/*
 * Takes and releases four locks in a seeded order (taking only locks above the highest
 * held, so the lock-order checker has nothing to report; releasing in any order), with
 * irq_push() and irq_pop() in between. After each step it checks the interrupt state,
 * the nesting depth and which locks this hart holds, and folds them into a digest the
 * grader recomputes from the seed.
 */
KTEST_WITNESS(lock)
{
	struct ktest_rng r = ktest_rng(STREAM_WITNESS);
	bool on0 = ktest_range(&r, 0, 1);
	int held[WITNESS_LOCKS], nheld = 0, pushes = 0;
	uint64_t acquired[WITNESS_LOCKS] = {0}, digest = KTEST_DIGEST_INIT;
	struct spin_stats stats0[WITNESS_LOCKS];
	for (int i = 0; i < WITNESS_LOCKS; i++)
		stats0[i] = spin_stats(&witness_locks[i]);
	irq_state_t was = cpu_irq_save();
	if (on0)
		cpu_irq_enable();
	for (int step = 0; step < WITNESS_STEPS; step++) {
		uint64_t what = ktest_range(&r, 0, 2);
		int top = nheld ? held[nheld - 1] : -1;
		for (int i = 0; i < nheld; i++)
			top = held[i] > top ? held[i] : top;
		if (what == 0 && top < WITNESS_LOCKS - 1) {
			int l = (int)ktest_range(&r, (uint64_t)(top + 1), WITNESS_LOCKS - 1);
			spin_lock(&witness_locks[l]);
			held[nheld++] = l;
			acquired[l]++;
		} else if (what == 1 && nheld > 0) {
			int j = (int)ktest_range(&r, 0, (uint64_t)nheld - 1);
			spin_unlock(&witness_locks[held[j]]);
			for (int k = j; k + 1 < nheld; k++)
				held[k] = held[k + 1];
			nheld--;
		} else if (what == 2 && pushes < 2 && ktest_range(&r, 0, 1) == 0) {
			irq_push();
			pushes++;
		} else if (what == 2 && pushes > 0) {
			irq_pop();
			pushes--;
		}
		uint32_t mask = 0, want_mask = 0;
		for (int i = 0; i < WITNESS_LOCKS; i++)
			mask |= (uint32_t)spin_holding(&witness_locks[i]) << i;
		for (int i = 0; i < nheld; i++)
			want_mask |= 1u << held[i];
		bool on = cpu_irq_enabled();
		uint32_t depth = irq_depth();
		bool want_on = on0 && nheld + pushes == 0;
		digest = ktest_fold(digest, (uint64_t)on | (uint64_t)depth << 8 |
		                                    (uint64_t)mask << 16 |
		                                    (uint64_t)this_hart()->nheld << 24);
		if (on != want_on || depth != (uint32_t)(nheld + pushes) || mask != want_mask) {
			ktest_fail(
			        __FILE__, __LINE__,
			        "step %d: %d lock(s) held and %d irq_push() open: interrupts %s at "
			        "depth %u, holding mask 0x%x; expected interrupts %s at depth %d, "
			        "mask 0x%x",
			        step, nheld, pushes, on ? "on" : "off", depth, mask,
			        want_on ? "on" : "off", nheld + pushes, want_mask);
			break;
		}
	}
	while (nheld > 0)
		spin_unlock(&witness_locks[held[--nheld]]);
	while (pushes-- > 0)
		irq_pop();
	cpu_irq_restore(was);
	char counts[64];
	size_t len = 0;
	for (int i = 0; i < WITNESS_LOCKS; i++)
		len += snprintf(counts + len, sizeof counts - len, "%s%lu", i ? "," : "",
		                spin_stats(&witness_locks[i]).acquisitions -
		                        stats0[i].acquisitions);
	ktest_info("seed=%lu trace=0x%lx acquisitions=%s", ktest_seed(), digest, counts);
	for (int i = 0; i < WITNESS_LOCKS; i++)
		KCHECK(spin_stats(&witness_locks[i]).acquisitions - stats0[i].acquisitions ==
		               acquired[i],
		       "lock witness.%d was taken %lu times, its statistics say %lu", i,
		       acquired[i],
		       spin_stats(&witness_locks[i]).acquisitions - stats0[i].acquisitions);
}

/* ---- Every hart is up, on its own stack, with its own struct hart ---- */

static struct {
	bool ran;
	uint32_t id;
	uintptr_t sp;
	struct hart *tp;
	uint64_t ticks[2]; /* this hart's timer ticks, at two visits */
} seen[MAX_HARTS];

static void report_self(void *arg)
{
	int visit = *(int *)arg;
	struct hart *h = this_hart();
	seen[h->id].ran = true;
	seen[h->id].id = h->id;
	seen[h->id].sp = cpu_stack_pointer();
	seen[h->id].tp = h;
	seen[h->id].ticks[visit] = timer_ticks();
}

KTEST(lock, harts)
{
	int online = smp_online();
	ktest_info("listed=%d online=%d", platform.nharts, online);
	KCHECK(online == platform.nharts, "%d harts listed in the device tree, %d online",
	       platform.nharts, online);
	int first = 0, second = 1;
	KCHECK(run_on_all_harts(report_self, &first, 1000), "a hart did not run its work");
	delay_ms(100); /* 10 ticks at the default 100 Hz */
	KCHECK(run_on_all_harts(report_self, &second, 1000), "a hart did not run its work");
	for (int i = 0; i < platform.nharts; i++) {
		uint32_t id = platform.hart_ids[i];
		uintptr_t lo = (uintptr_t)boot_stacks[id], hi = lo + KSTACK_SIZE;
		KCHECK(seen[id].ran, "hart %u did not run the work posted to it", id);
		KCHECK(seen[id].tp == &harts[id], "on hart %u, this_hart() is %p, not &harts[%u]",
		       id, (void *)seen[id].tp, id);
		KCHECK(seen[id].id == id, "hart %u calls itself %u", id, seen[id].id);
		KCHECK(seen[id].sp > lo && seen[id].sp <= hi,
		       "hart %u runs on sp %p, outside its stack %p-%p", id, (void *)seen[id].sp,
		       (void *)lo, (void *)hi);
		KCHECK(seen[id].ticks[1] > seen[id].ticks[0],
		       "hart %u took no timer tick in 100 ms (%lu, then %lu): its timer is off", id,
		       seen[id].ticks[0], seen[id].ticks[1]);
	}
}

/* ---- n harts add to one counter m times each: the total is exact ---- */

enum { COUNTER_ROUNDS = 100000 };

static struct spinlock counter_lock = SPINLOCK_INIT("test.counter");
static volatile uint64_t counter;      /* guarded by counter_lock */
static volatile uint64_t racy_counter; /* guarded by nothing: shows what the lock is for */
static volatile uint32_t arrived, go;

/* All harts start their loops together, or the first would finish before the last began. */
static void start_together(void)
{
	atomic_fetch_add_acq_rel(&arrived, 1);
	while (atomic_load_acquire(&go) == 0)
		cpu_relax();
}

static void add_without_lock(void *arg)
{
	(void)arg;
	start_together();
	for (int i = 0; i < COUNTER_ROUNDS; i++)
		racy_counter = racy_counter + 1;
}

static void add_with_lock(void *arg)
{
	(void)arg;
	start_together();
	for (int i = 0; i < COUNTER_ROUNDS; i++) {
		spin_lock(&counter_lock);
		counter = counter + 1;
		spin_unlock(&counter_lock);
	}
}

/* Runs fn on every hart; this one opens the gate once the others wait at it. */
static bool race(void (*fn)(void *), int nharts)
{
	arrived = 0;
	go = 0;
	for (int i = 0; i < MAX_HARTS; i++)
		if (&harts[i] != this_hart() && harts[i].activity == HART_PARKED)
			smp_run_on((uint32_t)i, fn, NULL);
	if (!wait_for_value(&arrived, (uint32_t)nharts - 1, 1000))
		return false;
	atomic_fetch_add_acq_rel(&arrived, 1);
	atomic_store_release(&go, 1);
	fn(NULL);
	for (int i = 0; i < MAX_HARTS; i++)
		if (&harts[i] != this_hart() && !smp_join_timeout((uint32_t)i, 20000))
			return false;
	return true;
}

KTEST(lock, counter)
{
	int n = smp_online();
	uint64_t expected = (uint64_t)n * COUNTER_ROUNDS;
	struct spin_stats before = spin_stats(&counter_lock);
	KCHECK(race(add_without_lock, n), "the harts did not finish the unlocked rounds");
	KCHECK(race(add_with_lock, n), "the harts did not finish the locked rounds");
	struct spin_stats after = spin_stats(&counter_lock);
	ktest_info("harts=%d rounds=%d total=%lu expected=%lu unlocked_total=%lu "
	           "acquisitions=%lu contended=%lu spins=%lu",
	           n, COUNTER_ROUNDS, counter, expected, racy_counter,
	           after.acquisitions - before.acquisitions, after.contended - before.contended,
	           after.spins - before.spins);
	KCHECK(counter == expected, "%d harts each added %d under the lock: total %lu, not %lu", n,
	       COUNTER_ROUNDS, counter, expected);
	KCHECK(after.acquisitions - before.acquisitions == expected,
	       "the lock counted %lu acquisitions for %lu spin_lock() calls",
	       after.acquisitions - before.acquisitions, expected);
}

/* ---- Nesting: interrupts come back with the outermost release, as they were ---- */

static struct spinlock nest_a = SPINLOCK_INIT("test.nest_a");
static struct spinlock nest_b = SPINLOCK_INIT("test.nest_b");

/* One observation: the interrupt-enable bit and the nesting depth at a step. */
struct irq_seen {
	bool on;
	uint32_t depth;
};

static struct irq_seen look(void)
{
	return (struct irq_seen){cpu_irq_enabled(), irq_depth()};
}

#define EXPECT(step, obs, on_, depth_)                                           \
	KCHECK((obs).on == (on_) && (obs).depth == (depth_),                     \
	       "%s: interrupts %s at depth %u, expected %s at depth %u", (step), \
	       (obs).on ? "on" : "off", (obs).depth, (on_) ? "on" : "off", (depth_))

KTEST(lock, nesting)
{
	bool was_on = cpu_irq_enabled();
	struct irq_seen s[12];

	/* Interrupts on before: off while anything is held, on after the outermost release. */
	cpu_irq_enable();
	spin_lock(&nest_a);
	s[0] = look();
	spin_lock(&nest_b);
	s[1] = look();
	spin_unlock(&nest_b);
	s[2] = look();
	spin_unlock(&nest_a);
	s[3] = look();

	/* Released in the order taken, not the reverse: still only the last one restores. */
	spin_lock(&nest_a);
	spin_lock(&nest_b);
	spin_unlock(&nest_a);
	s[4] = look();
	spin_unlock(&nest_b);
	s[5] = look();

	/* Interrupts off before: they stay off. */
	cpu_irq_disable();
	spin_lock(&nest_a);
	spin_lock(&nest_b);
	spin_unlock(&nest_b);
	spin_unlock(&nest_a);
	s[6] = look();

	/* irq_push() and locks nest with each other. */
	cpu_irq_enable();
	irq_push();
	spin_lock(&nest_a);
	irq_pop();
	s[7] = look();
	spin_unlock(&nest_a);
	s[8] = look();
	spin_lock(&nest_a);
	irq_push();
	spin_unlock(&nest_a);
	s[9] = look();
	irq_pop();
	s[10] = look();

	if (!was_on)
		cpu_irq_disable();
	s[11] = look();

	EXPECT("holding a", s[0], false, 1);
	EXPECT("holding a and b", s[1], false, 2);
	EXPECT("b released, a held", s[2], false, 1);
	EXPECT("a released", s[3], true, 0);
	EXPECT("a released first, b held", s[4], false, 1);
	EXPECT("then b released", s[5], true, 0);
	EXPECT("a and b taken and released with interrupts off", s[6], false, 0);
	EXPECT("irq_push, lock a, irq_pop", s[7], false, 1);
	EXPECT("then unlock a", s[8], true, 0);
	EXPECT("lock a, irq_push, unlock a", s[9], false, 1);
	EXPECT("then irq_pop", s[10], true, 0);
	KCHECK(s[11].depth == 0, "depth %u at the end", s[11].depth);
}

/* ---- Each lock records its name, its holder and where it was taken ---- */

static struct spinlock owner_lock = SPINLOCK_INIT("test.owner");
static struct spinlock remote_lock = SPINLOCK_INIT("test.remote");
static volatile uint32_t remote_taken, remote_may_release;

static void table_operation(void)
{
	assert_held(&owner_lock);
}

static void hold_remote_lock(void *arg)
{
	(void)arg;
	spin_lock(&remote_lock);
	atomic_store_release(&remote_taken, 1);
	while (atomic_load_acquire(&remote_may_release) == 0) {
		stop_poll();
		cpu_relax();
	}
	spin_unlock(&remote_lock);
}

KTEST(lock, owner)
{
	uint32_t me = this_hart()->id;
	spin_lock(&owner_lock);
	bool holding = spin_holding(&owner_lock);
	uint32_t holder = owner_lock.holder;
	const char *site = function_at(owner_lock.site);
	table_operation(); /* would panic if the lock did not count as held */
	spin_unlock(&owner_lock);
	KCHECK(holding, "spin_holding() is false right after spin_lock()");
	KCHECK(holder == me + 1, "holder field %u on hart %u (hart id + 1 expected)", holder, me);
	KCHECK(strcmp(site, "ktest_fn_lock_owner") == 0,
	       "taken in ktest_fn_lock_owner, site says %s", site);
	KCHECK(!spin_holding(&owner_lock), "spin_holding() is true after spin_unlock()");
	KCHECK(owner_lock.holder == 0, "holder field %u after release", owner_lock.holder);
	KCHECK(strcmp(owner_lock.name, "test.owner") == 0, "name is %s", owner_lock.name);

	int other = another_hart();
	KCHECK(other >= 0, "this test needs two harts (boot with CPUS=2)");
	remote_taken = remote_may_release = 0;
	KCHECK(smp_run_on((uint32_t)other, hold_remote_lock, NULL), "cannot post to hart %d",
	       other);
	bool taken = wait_for_value(&remote_taken, 1, 1000);
	bool remote_holding_here = spin_holding(&remote_lock);
	uint32_t remote_holder = remote_lock.holder;
	const char *remote_site = function_at(remote_lock.site);
	atomic_store_release(&remote_may_release, 1);
	bool joined = smp_join_timeout((uint32_t)other, 1000);
	ktest_info("holder=%u site=%s remote_holder=%u remote_site=%s", holder - 1, site,
	           remote_holder - 1, remote_site);
	KCHECK(taken && joined, "hart %d did not take and release the lock", other);
	KCHECK(!remote_holding_here, "spin_holding() is true on hart %u for a lock hart %d holds",
	       me, other);
	KCHECK(remote_holder == (uint32_t)other + 1, "lock held by hart %d names hart %u", other,
	       remote_holder - 1);
	KCHECK(strcmp(remote_site, "hold_remote_lock") == 0,
	       "lock taken in hold_remote_lock, site says %s", remote_site);
}

/* ---- Statistics count contention ---- */

static struct spinlock stats_lock = SPINLOCK_INIT("test.stats");

static void take_stats_lock(void *arg)
{
	(void)arg;
	spin_lock(&stats_lock);
	spin_unlock(&stats_lock);
}

KTEST(lock, stats)
{
	struct ktest_rng r = ktest_rng(STREAM_STATS);
	const uint64_t UNCONTENDED = ktest_range(&r, 5, 20), CONTENDED = ktest_range(&r, 2, 5);
	int other = another_hart();
	KCHECK(other >= 0, "this test needs two harts (boot with CPUS=2)");
	struct spin_stats s0 = spin_stats(&stats_lock);
	for (uint64_t i = 0; i < UNCONTENDED; i++) {
		spin_lock(&stats_lock);
		spin_unlock(&stats_lock);
	}
	struct spin_stats s1 = spin_stats(&stats_lock);

	/* Force contention: hold the lock until the other hart is seen spinning on it. */
	bool spun = true, joined = true;
	for (uint64_t i = 0; i < CONTENDED; i++) {
		spin_lock(&stats_lock);
		smp_run_on((uint32_t)other, take_stats_lock, NULL);
		spun = spun && wait_for_spinner((uint32_t)other, &stats_lock, 1000);
		spin_unlock(&stats_lock);
		joined = joined && smp_join_timeout((uint32_t)other, 1000);
	}
	struct spin_stats s2 = spin_stats(&stats_lock);
	spin_stats_print();
	ktest_info("acquisitions=%lu contended=%lu spins=%lu max_spins=%lu "
	           "uncontended_acquisitions=%lu uncontended_spins=%lu",
	           s2.acquisitions - s0.acquisitions, s2.contended - s0.contended,
	           s2.spins - s0.spins, s2.max_spins, s1.acquisitions - s0.acquisitions,
	           s1.spins - s0.spins);
	KCHECK(spun && joined, "hart %d was never seen spinning on the lock, or never got it",
	       other);
	KCHECK(s1.acquisitions - s0.acquisitions == UNCONTENDED && s1.contended == s0.contended &&
	               s1.spins == s0.spins,
	       "%lu uncontended acquisitions counted as %lu, %lu contended, %lu spins", UNCONTENDED,
	       s1.acquisitions - s0.acquisitions, s1.contended - s0.contended, s1.spins - s0.spins);
	KCHECK(s2.acquisitions - s1.acquisitions == 2 * CONTENDED,
	       "%lu acquisitions counted as %lu", 2 * CONTENDED, s2.acquisitions - s1.acquisitions);
	KCHECK(s2.contended - s1.contended == CONTENDED,
	       "%lu contended acquisitions counted as %lu", CONTENDED, s2.contended - s1.contended);
	KCHECK(s2.spins > s1.spins && s2.max_spins > 0, "contended waits counted no spins");
}

/* ---- A timer handler takes a lock that the code it interrupts also takes ---- */

enum { TIMER_TEST_MS = 300 };

static struct spinlock tick_lock = SPINLOCK_INIT("test.tick");
static volatile uint64_t tick_shared; /* guarded by tick_lock */
static volatile uint32_t tick_hook_on;
static struct {
	bool irq_on;            /* interrupts on when the work began: the point of the test */
	uint64_t holds;         /* critical sections of the work */
	uint64_t ticks_after;   /* of those, how many had a tick handled right at release */
	uint64_t handler_takes; /* acquisitions by this hart's timer handler */
} tick_seen[MAX_HARTS];

static void take_lock_on_tick(void)
{
	if (!atomic_load_acquire(&tick_hook_on))
		return;
	spin_lock(&tick_lock);
	tick_shared = tick_shared + 1;
	tick_seen[this_hart()->id].handler_takes++;
	spin_unlock(&tick_lock);
}

/* Holds tick_lock for a while, again and again, interrupts on in between. */
static void hold_lock_often(void *arg)
{
	uint64_t end = *(const uint64_t *)arg;
	uint32_t me = this_hart()->id;
	const volatile uint64_t *ticks = timer_tick_counter();
	tick_seen[me].irq_on = cpu_irq_enabled();
	while (timer_now() < end) {
		uint64_t before = *ticks;
		spin_lock(&tick_lock);
		tick_shared = tick_shared + 1;
		for (volatile int i = 0; i < 500; i++) /* a hold long enough for ticks to fall in */
			;
		spin_unlock(&tick_lock);
		tick_seen[me].holds++;
		if (*ticks != before)
			tick_seen[me].ticks_after++;
	}
}

KTEST(lock, timer)
{
	uint64_t end = timer_now() + smp_ms_to_ticks(TIMER_TEST_MS);
	timer_set_tick_hook(take_lock_on_tick);
	atomic_store_release(&tick_hook_on, 1);
	bool done = run_on_all_harts(hold_lock_often, &end, TIMER_TEST_MS + 2000);
	atomic_store_release(&tick_hook_on, 0);
	timer_set_tick_hook(NULL);
	KCHECK(done, "a hart did not finish");
	uint64_t holds = 0, handler = 0, after = 0;
	for (int i = 0; i < platform.nharts; i++) {
		uint32_t id = platform.hart_ids[i];
		holds += tick_seen[id].holds;
		handler += tick_seen[id].handler_takes;
		after += tick_seen[id].ticks_after;
	}
	spin_lock(&tick_lock);
	uint64_t total = tick_shared;
	spin_unlock(&tick_lock);
	ktest_info("harts=%d ms=%d holds=%lu handler_takes=%lu ticks_at_release=%lu total=%lu",
	           platform.nharts, TIMER_TEST_MS, holds, handler, after, total);
	for (int i = 0; i < platform.nharts; i++) {
		uint32_t id = platform.hart_ids[i];
		KCHECK(tick_seen[id].irq_on, "hart %u ran the work with interrupts off", id);
		KCHECK(tick_seen[id].handler_takes > 0, "the timer handler of hart %u never ran",
		       id);
	}
	KCHECK(after > 0, "no tick fell inside a critical section in %d ms", TIMER_TEST_MS);
	KCHECK(total == holds + handler, "the shared count is %lu after %lu + %lu increments",
	       total, holds, handler);
}
