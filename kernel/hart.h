/*
 * Per-hart state. Each hart's tp register points at its own struct hart, so
 * this_hart() is one register read, valid from the first line of kmain on.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "hal/cpu.h"

struct spinlock;

/* What a hart is doing, for reports about other harts (kernel/smp.c). */
enum hart_activity {
	HART_OFFLINE,     /* not started, or failed to start */
	HART_STARTING,    /* asked to start through SBI, not yet in the kernel */
	HART_PARKED,      /* waiting for work (kernel/smp.c) */
	HART_WORKING,     /* running boot code or a posted work function */
	HART_HALTED,      /* stopped for good by stop_other_harts() */
};

/* A parked hart's mailbox: one function to run (kernel/smp.c). */
struct hart_work {
	void (*fn)(void *arg);
	void *arg;
	volatile uint32_t state;   /* enum smp_work_state */
};

struct hart {
	uint32_t id;           /* the hart id the firmware uses */
	bool online;           /* running the kernel */
	uintptr_t stack_lo;    /* this hart's kernel stack: [stack_lo, stack_hi) */
	uintptr_t stack_hi;

	/* Interrupt nesting (kernel/irqnest.c); only this hart touches these. */
	uint32_t irq_depth;        /* irq_push() calls not yet matched by irq_pop() */
	irq_state_t irq_saved;     /* interrupt state before the outermost irq_push() */

	/*
	 * Spinlocks (kernel/spinlock.c). Written only by this hart; other harts read them
	 * only to print a deadlock report.
	 */
	struct spinlock *held[HART_MAX_HELD]; /* held locks, in the order taken */
	uint32_t nheld;
	struct spinlock *volatile waiting_for; /* the lock this hart spins on, or NULL */
	void *volatile waiting_site;           /* where it asked for it */

	/* Starting, parking and stopping (kernel/smp.c). */
	volatile uint32_t activity;    /* enum hart_activity */
	struct hart_work work;
};

extern struct hart harts[MAX_HARTS];
extern uint8_t boot_stacks[MAX_HARTS][KSTACK_SIZE];

static inline struct hart *this_hart(void)
{
	return cpu_hart_pointer();
}

/* Binds the calling hart to harts[hartid]; the first thing each hart does in C. */
void hart_bind(uint32_t hartid);

/* The boot hart's id, for code that must run there only. */
extern uint32_t boot_hart_id;
