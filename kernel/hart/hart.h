/*
 * Per-hart state. Each hart's tp register points at its own struct hart, so
 * this_hart() is one register read, valid from the first line of kmain on. Once traps
 * are set up, sscratch holds the same pointer, so the trap entry (kernel/hal/
 * trap_entry.S) finds the hart without trusting any register of the code it interrupted.
 */
#pragma once

#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/cpu.h"
#include "hal/entry.h"
#include "hal/trap_entry.h"

struct spinlock;

/* What a hart is doing, for reports about other harts (kernel/smp/smp.c). */
enum hart_activity {
	HART_OFFLINE,  /* not started, or failed to start */
	HART_STARTING, /* asked to start through SBI, not yet in the kernel */
	HART_PARKED,   /* waiting for work (kernel/smp/smp.c) */
	HART_WORKING,  /* running boot code or a posted work function */
	HART_HALTED,   /* stopped for good by stop_other_harts() */
};

/* A parked hart's mailbox: one function to run (kernel/smp/smp.c). */
struct hart_work {
	void (*fn)(void *arg);
	void *arg;
	volatile uint32_t state; /* enum smp_work_state */
};

struct hart {
	/*
	 * What the trap entry reads through sscratch: this hart's stack bounds and canary
	 * (hart_set_stack()) and its emergency stack (trap_init_hart()). First, so that
	 * the pointer in sscratch and tp is both.
	 */
	struct hart_entry entry;
	uint32_t id; /* the hart id the firmware uses */
	bool online; /* running the kernel */
	/*
	 * For fault reports: the thread running here (set by the scheduler, lab 4), and
	 * whether the page below this hart's current stack is an unmapped guard page
	 * (set with the stack, lab 6).
	 */
	const char *thread_name;
	bool stack_guarded;
	/* Traps being handled on this hart right now; > 0 means interrupt context. */
	int trap_depth;

	/* Interrupt nesting (kernel/sync/irqnest.c); only this hart touches these. */
	uint32_t irq_depth;    /* irq_push() calls not yet matched by irq_pop() */
	irq_state_t irq_saved; /* interrupt state before the outermost irq_push() */

	/*
	 * Spinlocks (kernel/sync/spinlock.c). Written only by this hart; other harts read them
	 * only to print a deadlock report.
	 */
	struct spinlock *held[HART_MAX_HELD]; /* held locks, in the order taken */
	uint32_t nheld;
	struct spinlock *volatile waiting_for; /* the lock this hart spins on, or NULL */
	void *volatile waiting_site;           /* where it asked for it */

	/* The last smp_call_all() this hart has run (kernel/smp/smp.c). */
	volatile uint32_t call_seen;

	/* Starting, parking and stopping (kernel/smp/smp.c). */
	volatile uint32_t activity; /* enum hart_activity */
	struct hart_work work;
};

_Static_assert(offsetof(struct hart, entry) == 0, "sscratch points at both");

extern struct hart harts[MAX_HARTS];

static inline struct hart *this_hart(void)
{
	return cpu_hart_pointer();
}

/* Binds the calling hart to harts[hartid]; the first thing each hart does in C. */
void hart_bind(uint32_t hartid);

/*
 * Tells the trap entry and backtraces which stack this hart runs on now, and plants
 * the canary at the top of its guard band. Caller must be this hart, about to run (or
 * running) on [lo, hi), a region of at least KSTACK_GUARD + 4 KiB that nothing else
 * uses; lab 4 calls it when it switches to a thread's stack.
 */
void hart_set_stack(struct hart *h, uintptr_t lo, uintptr_t hi);

/* The address of the canary word of the stack [lo, hi). */
static inline uint64_t *stack_canary_slot(uintptr_t lo)
{
	return (uint64_t *)(lo + KSTACK_GUARD - 8);
}

/* Writes what hart h is doing ("parked", "running fn+0x0", ...) into buf, for
   reports about other harts. */
int hart_describe(const struct hart *h, char *buf, size_t size);

/* The boot hart's id, for code that must run there only. */
extern uint32_t boot_hart_id;
