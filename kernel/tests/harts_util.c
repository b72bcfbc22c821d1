/*
 * Helpers for multi-hart tests: run everywhere, wait for a flag or a spinning hart,
 * all with timeouts in guest time so a broken kernel fails a test instead of hanging.
 */
#include "tests/harts_util.h"

#include "boot/platform.h"
#include "config.h"
#include "dev/console.h"
#include "hal/atomic.h"
#include "hal/cpu.h"
#include "smp/hart.h"
#include "smp/smp.h"
#include "smp/stop.h"
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
	printf("harts_util: no other hart online (%d listed, %d online):\n", platform.nharts,
	       smp_online());
	spin_print_harts();
	return -1;
}

bool wait_for_value(const volatile uint32_t *word, uint32_t value, uint64_t ms)
{
	uint64_t deadline = timer_now() + smp_ms_to_ticks(ms);
	while (atomic_load_acquire(word) != value) {
		if (timer_now() > deadline)
			return false;
		stop_poll();
		cpu_relax();
	}
	return true;
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
	while (timer_now() < deadline) {
		stop_poll();
		cpu_relax();
	}
}
