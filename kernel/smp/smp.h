/*
 * The other harts: starting every hart the device tree lists (SBI hart state
 * management), parking them until there is work and running a function on one of
 * them. Stopping them all is kernel/hart/stop.h's.
 *
 * Until lab 4's scheduler takes over, a started hart waits in a parking loop and runs
 * what is posted to its mailbox:
 *
 *   smp_run_on(1, count_to_a_million, &result);   // hart 1 starts on it
 *   ...                                            // this hart goes on meanwhile
 *   smp_join(1);                                   // wait until hart 1 is done
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum smp_work_state {
	SMP_WORK_IDLE,   /* mailbox empty */
	SMP_WORK_POSTED, /* fn and arg written, the hart not yet on it */
	SMP_WORK_RUNNING,
};

/* Starts every other hart the device tree lists and waits until each is parked. */
void smp_start_secondaries(void);

/* The rest of kmain_secondary(): per-hart set-up, then the parking loop. */
__attribute__((noreturn)) void smp_secondary_main(void);

/* Harts running the kernel (the boot hart included). */
int smp_online(void);

/*
 * Posts fn(arg) to the mailbox of parked hart `hartid` and wakes it; returns false if
 * that hart is not online or its mailbox is busy. fn runs with interrupts as the
 * parking loop has them and must return with no lock held.
 */
bool smp_run_on(uint32_t hartid, void (*fn)(void *arg), void *arg);

/*
 * Sends hart `hartid` an inter-processor interrupt: it ends a wfi there even with
 * interrupts off, and its handler only looks for a stop request. Lab 4 wakes idle
 * scheduler loops with it. Any context.
 */
void smp_kick(uint32_t hartid);

/*
 * Runs fn() on every online hart, this one included, and returns once all have run it:
 * on the others in interrupt context (an IPI), so fn must not sleep or take a lock a
 * thread may hold. Any thread or boot code; not from a trap handler. Paging (lab 6)
 * uses it to switch every hart to the kernel's page table.
 */
void smp_call_all(void (*fn)(void));

/* Waits until hart `hartid` has finished the work posted to it. */
void smp_join(uint32_t hartid);

/* Like smp_join(), but gives up after `ms` of guest time; returns false then. */
bool smp_join_timeout(uint32_t hartid, uint64_t ms);

/* Milliseconds of guest time (the time CSR) as ticks of it. */
uint64_t smp_ms_to_ticks(uint64_t ms);
