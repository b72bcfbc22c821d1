/*
 * Tick rate, per-hart deadlines and tick counters.
 */
#include "trap/timer.h"

#include "config.h"
#include "dev/bootargs.h"
#include "dev/console.h"
#include "dev/platform.h"
#include "hal/timer.h"
#include "hart/hart.h"

#define MAX_HZ 10000

static unsigned hz = DEFAULT_HZ;
static uint64_t interval; /* timebase units between ticks */

static struct {
	volatile uint64_t ticks;
	uint64_t next;   /* the deadline armed now */
	uint64_t missed; /* deadlines that passed before the handler could arm them */
} per_hart[MAX_HARTS];

static void (*volatile tick_hook)(void);

void timer_init(void)
{
	hz = bootarg_uint("hz", 1, MAX_HZ, DEFAULT_HZ, "a rate");
	interval = platform.timebase_hz / hz;
	if (interval == 0)
		interval = 1;
	timer_hw_init(platform.has_sstc);
}

void timer_init_hart(void)
{
	uint32_t id = this_hart()->id;
	per_hart[id].next = timer_hw_now() + interval;
	timer_hw_set(per_hart[id].next);
	timer_hw_enable_interrupt();
}

void timer_interrupt(void)
{
	uint32_t id = this_hart()->id;
	per_hart[id].ticks++;
	per_hart[id].next += interval;
	uint64_t now = timer_hw_now();
	if (per_hart[id].next <= now) {
		/* Whole ticks went by unseen (interrupts off that long): count them as
		 * missed and stay on the same grid of deadlines. */
		uint64_t behind = (now - per_hart[id].next) / interval + 1;
		per_hart[id].missed += behind;
		per_hart[id].next += behind * interval;
	}
	timer_hw_set(per_hart[id].next);
	void (*hook)(void) = tick_hook;
	if (hook)
		hook();
}

void timer_set_tick_hook(void (*hook)(void))
{
	tick_hook = hook;
}

uint64_t timer_ticks(void)
{
	return per_hart[this_hart()->id].ticks;
}

const volatile uint64_t *timer_tick_counter(void)
{
	return &per_hart[this_hart()->id].ticks;
}

uint64_t timer_missed_ticks(void)
{
	return per_hart[this_hart()->id].missed;
}

unsigned timer_hz(void)
{
	return hz;
}

uint64_t timer_now(void)
{
	return timer_hw_now();
}

uint64_t timer_timebase(void)
{
	return platform.timebase_hz;
}

const char *timer_source(void)
{
	return platform.has_sstc ? "sstc" : "sbi";
}
