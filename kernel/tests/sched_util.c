/*
 * Waiting helpers for the tests of lab 4 (kernel/tests/sched_util.h).
 */
#include "tests/sched_util.h"

#include "debug/ktest.h"
#include "hal/atomic.h"
#include "sched/thread.h"
#include "trap/timer.h"

uint64_t ms_to_time(uint64_t ms)
{
	return timer_timebase() * ms / 1000;
}

bool yield_until_value(const volatile uint32_t *word, uint32_t value, uint64_t ms)
{
	uint64_t deadline = timer_now() + ms_to_time(ms);
	while (atomic_load_acquire(word) != value) {
		if (timer_now() > deadline)
			return false;
		thread_yield();
	}
	return true;
}

bool yield_until_sleeping(const struct thread *t, uint64_t ms)
{
	uint64_t deadline = timer_now() + ms_to_time(ms);
	while (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != THREAD_SLEEPING) {
		if (timer_now() > deadline)
			return false;
		thread_yield();
	}
	return true;
}

void yield_for_ms(uint64_t ms)
{
	uint64_t deadline = timer_now() + ms_to_time(ms);
	while (timer_now() < deadline)
		thread_yield();
}

void busy_for_ms(uint64_t ms)
{
	uint64_t deadline = timer_now() + ms_to_time(ms);
	while (timer_now() < deadline)
		cpu_relax();
}

struct thread *spawn(void (*fn)(void *arg), void *arg, const char *name)
{
	struct thread *t = thread_create(fn, arg, name);
	if (t == NULL)
		ktest_fail(__FILE__, __LINE__, "thread_create(%s) returned NULL", name);
	return t;
}
