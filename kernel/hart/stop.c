/*
 * Stopping the other harts (kernel/hart/stop.h): a request word that every long loop
 * polls, and an IPI to wake harts that wait. No lock is taken on this path: a panic
 * may arrive while a spinlock is held, broken, or spun on by another hart.
 */
#include "hart/stop.h"

#include "dev/console.h"
#include "dev/platform.h"
#include "hal/atomic.h"
#include "hal/cpu.h"
#include "hal/sbi.h"
#include "hal/timer.h"
#include "hart/hart.h"

/* How long stop_other_harts() waits for the others to halt. */
#define STOP_TIMEOUT_MS 100

/* 1 + the id of the hart that asked the others to stop; 0 while none has. */
static volatile uint32_t stopper;

static bool running(const struct hart *h)
{
	uint32_t a = atomic_load_relaxed(&h->activity);
	return a == HART_PARKED || a == HART_WORKING;
}

void stop_poll(void)
{
	uint32_t s = atomic_load_acquire(&stopper);
	struct hart *me = this_hart();
	if (s != 0 && s != me->id + 1) {
		atomic_store_relaxed(&me->activity, HART_HALTED);
		cpu_halt();
	}
}

void stop_other_harts(void)
{
	struct hart *me = this_hart();
	if (!atomic_cas_acq_rel(&stopper, 0, me->id + 1) && stopper != me->id + 1)
		return;
	for (int i = 0; i < MAX_HARTS; i++)
		if (&harts[i] != me && running(&harts[i]))
			sbi_send_ipi(1, harts[i].id); /* hart_mask bit 0 = hart_mask_base */
	if (platform.timebase_hz == 0)
		return; /* before the device tree is read: nothing else runs yet */
	uint64_t deadline = timer_hw_now() + platform.timebase_hz * STOP_TIMEOUT_MS / 1000;
	for (int i = 0; i < MAX_HARTS; i++) {
		struct hart *h = &harts[i];
		while (h != me && running(h)) {
			if (timer_hw_now() > deadline) {
				/* Interrupts off and not polling: powering off will stop it. */
				printf("sprout: hart %u did not stop within %d ms\n", h->id,
				       STOP_TIMEOUT_MS);
				break;
			}
			cpu_relax();
		}
	}
}
