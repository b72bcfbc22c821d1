/*
 * Tests of sleep_on() and wakeup() (lab 4): a token passed around a ring of threads
 * on every hart, where each hand-off needs one wakeup, so a single lost wakeup stops
 * the ring for good; and the diagnostics of switching away holding a spinlock.
 */
#include "debug/ktest.h"
#include "dev/platform.h"
#include "hal/atomic.h"
#include "hart/hart.h"
#include "sched/sleep.h"
#include "sched/thread.h"
#include "smp/smp.h"
#include "sync/spinlock.h"
#include "tests/test_util.h"
#include "trap/timer.h"

#define RING   4
#define ROUNDS 10000

static struct {
	struct spinlock lock;
	uint32_t turn;            /* whose turn it is to pass the token */
	volatile uint32_t passes; /* hand-offs so far */
	volatile uint32_t sleeps; /* times a thread went to sleep waiting for its turn */
	volatile uint32_t done;   /* threads finished */
} ring = {.lock = SPINLOCK_INIT("ring")};

static void ring_member(void *arg)
{
	uint32_t me = (uint32_t)(uintptr_t)arg;
	for (int r = 0; r < ROUNDS; r++) {
		spin_lock(&ring.lock);
		while (ring.turn != me) {
			ring.sleeps++;
			sleep_on(&ring, &ring.lock);
		}
		ring.turn = (me + 1) % RING;
		ring.passes++;
		wakeup(&ring);
		spin_unlock(&ring.lock);
	}
	atomic_fetch_add_acq_rel(&ring.done, 1);
}

/*
 * RING threads pass a token ROUNDS times each. Every thread but the holder sleeps, so
 * a lost wakeup leaves every thread asleep with the token never passed again: the
 * test then sees no progress for a second and fails, naming where the ring stopped.
 */
KTEST(sched, sleep_stress)
{
	struct thread *t[RING];
	ring.turn = ring.passes = ring.sleeps = ring.done = 0;
	for (int i = 0; i < RING; i++) {
		t[i] = spawn(ring_member, (void *)(uintptr_t)i, "ring");
		KCHECK(t[i], "no thread");
	}
	uint32_t last = 0;
	uint64_t last_progress = timer_now();
	while (atomic_load_acquire(&ring.done) != RING) {
		uint32_t passes = atomic_load_relaxed(&ring.passes);
		if (passes != last) {
			last = passes;
			last_progress = timer_now();
		} else if (timer_now() - last_progress > smp_ms_to_ticks(1000)) {
			KCHECK(false,
			       "lost wakeup: the ring stopped after %u of %d hand-offs; it is "
			       "thread "
			       "%u's turn and it sleeps (%u sleeps so far)",
			       passes, RING * ROUNDS, ring.turn, ring.sleeps);
		}
		thread_yield();
	}
	for (int i = 0; i < RING; i++)
		thread_join(t[i]);
	ktest_info("passes=%u sleeps=%u harts=%d", ring.passes, ring.sleeps, platform.nharts);
	KCHECK(ring.passes == RING * ROUNDS, "%u hand-offs, expected %d", ring.passes,
	       RING * ROUNDS);
	KCHECK(ring.sleeps > 0, "no thread ever slept waiting for its turn");
}

/* ---- Switching away with a spinlock held ---- */

static struct spinlock held_lock = SPINLOCK_INIT("test_held");

KTEST_DEATH(sched, yield_holding_spinlock)
{
	spin_lock(&held_lock);
	thread_yield();
	spin_unlock(&held_lock);
}

static struct spinlock cond_lock = SPINLOCK_INIT("test_cond");

KTEST_DEATH(sched, sleep_holding_spinlock)
{
	spin_lock(&held_lock);
	spin_lock(&cond_lock);
	sleep_on(&cond_lock, &cond_lock);
}
