/*
 * Tests of sleeping mutexes (lab 4): mutual exclusion under contention on every hart,
 * a parked waiter that uses no CPU, the owner record, the misuse reports, and the
 * benchmark of a hand-off to a parked waiter.
 */
#include "debug/ktest.h"
#include "dev/platform.h"
#include "hal/atomic.h"
#include "hal/cpu.h"
#include "hart/hart.h"
#include "sched/mutex.h"
#include "sched/sched.h"
#include "sched/thread.h"
#include "sync/lockorder.h"
#include "tests/test_util.h"
#include "trap/timer.h"
#include "trap/trap.h"

/* ---- Mutual exclusion under contention ---- */

#define WORKERS    4
#define ITERATIONS 2000

static struct mutex counter_mutex = MUTEX_INIT("counter");
static volatile uint64_t counter;
static volatile uint32_t inside, overlaps;

static void increment(void *arg)
{
	(void)arg;
	for (int i = 0; i < ITERATIONS; i++) {
		mutex_lock(&counter_mutex);
		if (atomic_fetch_add_acq_rel(&inside, 1) != 0)
			atomic_fetch_add_acq_rel(&overlaps, 1);
		/* A read-modify-write stretched out, so that two holders would collide. */
		uint64_t v = counter;
		for (volatile int d = 0; d < 50; d++)
			;
		if (i % 16 == 0)
			thread_yield(); /* a holder may yield: waiters must park meanwhile */
		counter = v + 1;
		atomic_fetch_add_acq_rel(&inside, (uint32_t)-1);
		mutex_unlock(&counter_mutex);
	}
}

KTEST(sched, mutex_exclusion)
{
	struct thread *t[WORKERS];
	counter = inside = overlaps = 0;
	uint64_t acq0 = counter_mutex.acquisitions, cont0 = counter_mutex.contended;
	for (int i = 0; i < WORKERS; i++) {
		t[i] = spawn(increment, NULL, "incrementer");
		KCHECK(t[i], "no thread");
	}
	uint64_t harts_used = 0;
	for (int i = 0; i < WORKERS; i++) {
		harts_used |= t[i]->harts_seen;
		thread_join(t[i]);
	}
	ktest_info("counter=%lu expected=%d overlaps=%u acquisitions=%lu contended=%lu "
	           "harts_used=0x%lx",
	           counter, WORKERS * ITERATIONS, overlaps, counter_mutex.acquisitions - acq0,
	           counter_mutex.contended - cont0, harts_used);
	KCHECK(overlaps == 0, "%u times a thread got the mutex while another held it", overlaps);
	KCHECK(counter == WORKERS * ITERATIONS, "counter is %lu, expected %d: updates were lost",
	       counter, WORKERS * ITERATIONS);
	KCHECK(counter_mutex.contended > cont0, "no thread ever waited for the mutex");
	KCHECK(mutex_owner(&counter_mutex) == NULL, "the mutex is still held by '%s'",
	       mutex_owner(&counter_mutex)->name);
}

/* ---- A parked waiter uses no CPU ---- */

static struct mutex park_mutex = MUTEX_INIT("park");
static volatile uint32_t waiter_got_it;

static void park_waiter(void *arg)
{
	(void)arg;
	mutex_lock(&park_mutex);
	waiter_got_it = 1;
	mutex_unlock(&park_mutex);
}

/*
 * This thread holds the mutex for 300 ms of guest time while yielding all along, so a
 * waiter that spins or polls would keep running. A parked waiter must not run at all.
 */
KTEST(sched, mutex_parked)
{
	struct thread *me = thread_current();
	waiter_got_it = 0;
	mutex_lock(&park_mutex);
	KCHECK(mutex_owner(&park_mutex) == me && mutex_held(&park_mutex),
	       "mutex_lock() returned, but the owner is recorded as '%s'",
	       mutex_owner(&park_mutex) ? mutex_owner(&park_mutex)->name : "(none)");
	struct thread *w = spawn(park_waiter, NULL, "waiter");
	KCHECK(w, "no thread");
	bool parked = yield_until_sleeping(w, 1000);
	uint64_t runs0 = w->runs, ticks0 = w->ticks;
	yield_for_ms(300);
	uint64_t runs = w->runs - runs0, ticks = w->ticks - ticks0;
	enum thread_state state = w->state;
	uint32_t waiters = park_mutex.waiters;
	mutex_unlock(&park_mutex);
	thread_join(w);
	ktest_info("parked=%d runs_while_waiting=%lu ticks_while_waiting=%lu state=%d waiters=%u "
	           "got_it=%u",
	           parked, runs, ticks, state, waiters, waiter_got_it);
	KCHECK(parked, "the waiter never went to sleep on a held mutex (state %d)", w->state);
	KCHECK(runs == 0 && ticks == 0,
	       "the parked waiter ran %lu times (%lu ticks) in 300 ms while the mutex was held",
	       runs, ticks);
	KCHECK(state == THREAD_SLEEPING && waiters == 1,
	       "while held: waiter state %d, %u waiters recorded", state, waiters);
	KCHECK(waiter_got_it, "the waiter never got the mutex after the release");
}

/* ---- Misuse ---- */

static struct mutex misuse_mutex = MUTEX_INIT("test_mutex");
static volatile uint32_t holder_ready;

static void hold_forever(void *arg)
{
	(void)arg;
	mutex_lock(&misuse_mutex);
	atomic_store_release(&holder_ready, 1);
	for (;;)
		thread_yield();
}

KTEST_DEATH(sched, mutex_not_owner)
{
	holder_ready = 0;
	spawn(hold_forever, NULL, "holder");
	KCHECK(yield_until_value(&holder_ready, 1, 1000), "the holder never took the mutex");
	mutex_unlock(&misuse_mutex);
}

KTEST_DEATH(sched, mutex_twice)
{
	mutex_lock(&misuse_mutex);
	mutex_lock(&misuse_mutex);
}

static void lock_in_handler(void)
{
	mutex_lock(&misuse_mutex);
}

KTEST_DEATH(sched, mutex_in_interrupt)
{
	trap_set_software_handler(lock_in_handler);
	cpu_software_interrupt_raise();
	delay_ms(100);
}

/*
 * Runs in thread "boot" just before the kernel enters the scheduler phase
 * (ktest_checkpoint("sched_boot") in kernel/boot/main.c): too early for a mutex.
 */
KTEST_DEATH(sched_boot, mutex_early)
{
	mutex_lock(&misuse_mutex);
}

/* ---- Benchmarks: a hand-off to a parked waiter, and an uncontended lock ---- */

#define HANDOFFS 2000

static struct mutex bench_mutex = MUTEX_INIT("bench");
static volatile uint32_t round_posted, round_done;
static volatile uint64_t released_at, handoff_total;

static void handoff_waiter(void *arg)
{
	(void)arg;
	for (uint32_t r = 1; r <= HANDOFFS; r++) {
		while (atomic_load_acquire(&round_posted) != r)
			thread_yield();
		mutex_lock(&bench_mutex); /* parks: the test thread holds it */
		handoff_total += cpu_instret() - released_at;
		mutex_unlock(&bench_mutex);
		atomic_store_release(&round_done, r);
	}
}

/*
 * Each round: this thread holds the mutex, the waiter parks on it, this thread
 * releases it and yields; measured from just before the release to the moment the
 * waiter returns from mutex_lock(), which includes one switch. Meant for one hart
 * under -icount, where instret counts guest instructions.
 */
KTEST_ALONE(sched, bench_mutex)
{
	round_posted = round_done = 0;
	handoff_total = 0;
	bool was = lock_order_set_enabled(false); /* the mutex's cost, not the checker's */
	struct thread *w = spawn(handoff_waiter, NULL, "waiter");
	KCHECK(w, "no thread");
	for (uint32_t r = 1; r <= HANDOFFS; r++) {
		mutex_lock(&bench_mutex);
		atomic_store_release(&round_posted, r);
		KCHECK(yield_until_sleeping(w, 1000), "round %u: the waiter did not park", r);
		released_at = cpu_instret();
		mutex_unlock(&bench_mutex);
		KCHECK(yield_until_value(&round_done, r, 1000), "round %u: no hand-off", r);
	}
	thread_join(w);

	enum { PAIRS = 10000 };
	uint64_t i0 = cpu_instret();
	for (int i = 0; i < PAIRS; i++) {
		mutex_lock(&bench_mutex);
		mutex_unlock(&bench_mutex);
	}
	uint64_t pair = (cpu_instret() - i0) / PAIRS;
	lock_order_set_enabled(was);
	ktest_info("handoffs=%d contended=%lu harts=%d", HANDOFFS, bench_mutex.contended,
	           platform.nharts);
	ktest_bench("mutex_handoff", handoff_total / HANDOFFS, "instructions");
	ktest_bench("mutex_uncontended_pair", pair, "instructions");
}
