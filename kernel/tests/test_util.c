/*
 * Helpers the in-kernel tests share (kernel/tests/test_util.h). Each wait is one loop,
 * until a deadline in guest time, around a different pause: spinning, or yielding.
 */
#include "tests/test_util.h"

#include "config.h"
#include "debug/ktest.h"
#include "dev/console.h"
#include "dev/platform.h"
#include "hal/atomic.h"
#include "hal/cpu.h"
#include "hart/hart.h"
#include "hart/stop.h"
#include "sched/thread.h"
#include "smp/smp.h"
#include "sync/spinlock.h"
#include "trap/timer.h"

static bool is_other_online(int id)
{
	uint32_t a = atomic_load_relaxed(&harts[id].activity);
	return &harts[id] != this_hart() && (a == HART_PARKED || a == HART_WORKING);
}

bool run_on_all_harts(void (*fn)(void *arg), void *arg, uint64_t ms)
{
	bool posted[MAX_HARTS] = {false};
	for (int i = 0; i < MAX_HARTS; i++)
		if (is_other_online(i))
			posted[i] = smp_run_on((uint32_t)i, fn, arg);
	fn(arg);
	bool ok = true;
	for (int i = 0; i < MAX_HARTS; i++)
		if (posted[i] && !smp_join_timeout((uint32_t)i, ms))
			ok = false;
	return ok;
}

int another_hart(void)
{
	for (int i = 0; i < MAX_HARTS; i++)
		if (is_other_online(i))
			return i;
	/* Say why, for the test's failure report. */
	printf("test_util: no other hart online (%d listed, %d online):\n", platform.nharts,
	       smp_online());
	spin_print_harts();
	return -1;
}

/* Spinning between looks, but halting if another hart stops the machine. */
static void spin_pause(void)
{
	stop_poll();
	cpu_relax();
}

/* Waits until *word == value, pausing between looks; false if `ms` pass first. */
static bool poll_until_value(const volatile uint32_t *word, uint32_t value, uint64_t ms,
                             void (*pause)(void))
{
	uint64_t deadline = timer_now() + smp_ms_to_ticks(ms);
	while (atomic_load_acquire(word) != value) {
		if (timer_now() > deadline)
			return false;
		pause();
	}
	return true;
}

bool wait_for_value(const volatile uint32_t *word, uint32_t value, uint64_t ms)
{
	return poll_until_value(word, value, ms, spin_pause);
}

bool wait_for_spinner(uint32_t hartid, const struct spinlock *lk, uint64_t ms)
{
	uint64_t deadline = timer_now() + smp_ms_to_ticks(ms);
	while (atomic_load_ptr_relaxed((void *const volatile *)&harts[hartid].waiting_for) != lk) {
		if (timer_now() > deadline)
			return false;
		cpu_relax();
	}
	return true;
}

void delay_ms(uint64_t ms)
{
	uint64_t deadline = timer_now() + smp_ms_to_ticks(ms);
	while (timer_now() < deadline)
		spin_pause();
}

bool yield_until_value(const volatile uint32_t *word, uint32_t value, uint64_t ms)
{
	return poll_until_value(word, value, ms, thread_yield);
}

bool yield_until_sleeping(const struct thread *t, uint64_t ms)
{
	uint64_t deadline = timer_now() + smp_ms_to_ticks(ms);
	while (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != THREAD_SLEEPING) {
		if (timer_now() > deadline)
			return false;
		thread_yield();
	}
	return true;
}

void yield_for_ms(uint64_t ms)
{
	uint64_t deadline = timer_now() + smp_ms_to_ticks(ms);
	while (timer_now() < deadline)
		thread_yield();
}

struct thread *spawn(void (*fn)(void *arg), void *arg, const char *name)
{
	struct thread *t = thread_create(fn, arg, name);
	if (t == NULL)
		ktest_fail(__FILE__, __LINE__, "thread_create(%s) returned NULL", name);
	return t;
}
