/*
 * Per-hart state. Each hart's tp register points at its own struct hart, so
 * this_hart() is one register read, valid from the first line of kmain on. Once traps
 * are set up, sscratch holds the same pointer, so the trap entry (kernel/hal/
 * trap_entry.S) finds the hart without trusting any register of the code it interrupted.
 */
#pragma once

#include "config.h"

/* Offsets of the fields the trap entry uses; the _Static_asserts below pin them. */
#define HART_STACK_LO       8
#define HART_STACK_HI       16
#define HART_TRAP_SP_MIN    24
#define HART_STACK_CANARY   32
#define HART_EMERGENCY_TOP  40
#define HART_SCRATCH0       48
#define HART_SCRATCH1       56
#define HART_ENTRY_BUSY     64
#define HART_EMERGENCY_BUSY 72
#define HART_FAULT_REASON   80

/* Why the trap entry switched to the emergency stack (struct hart.fault_reason). */
#define FAULT_NONE         0
#define FAULT_STACK_BOUNDS 1 /* sp outside the stack, or too close to its end */
#define FAULT_STACK_CANARY 2 /* the guard band's canary was overwritten */
#define FAULT_NESTED_ENTRY 3 /* a trap arrived while the entry was saving state */

#ifndef __ASSEMBLER__

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/cpu.h"

struct spinlock;

/* What a hart is doing, for reports about other harts (kernel/smp.c). */
enum hart_activity {
	HART_OFFLINE,  /* not started, or failed to start */
	HART_STARTING, /* asked to start through SBI, not yet in the kernel */
	HART_PARKED,   /* waiting for work (kernel/smp.c) */
	HART_WORKING,  /* running boot code or a posted work function */
	HART_HALTED,   /* stopped for good by stop_other_harts() */
};

/* A parked hart's mailbox: one function to run (kernel/smp.c). */
struct hart_work {
	void (*fn)(void *arg);
	void *arg;
	volatile uint32_t state; /* enum smp_work_state */
};

struct hart {
	uint32_t id;        /* the hart id the firmware uses */
	bool online;        /* running the kernel */
	uintptr_t stack_lo; /* this hart's kernel stack: [stack_lo, stack_hi) */
	uintptr_t stack_hi;
	/* Read by the trap entry; set by hart_set_stack() and trap_init_hart(). */
	uintptr_t trap_sp_min;   /* the lowest sp at which a trap can still be handled */
	uint64_t stack_canary;   /* the value at the top of the guard band */
	uintptr_t emergency_top; /* top of this hart's emergency stack */
	uint64_t scratch[2];     /* the trap entry parks t0 and t1 here */
	uint64_t entry_busy;     /* 1 while the trap entry saves state */
	uint64_t emergency_busy; /* 1 once a double fault is being reported */
	uint64_t fault_reason;   /* FAULT_*: set by the entry on the emergency path */
	/* Traps being handled on this hart right now; > 0 means interrupt context. */
	int trap_depth;

	/* Interrupt nesting (kernel/irqnest.c); only this hart touches these. */
	uint32_t irq_depth;    /* irq_push() calls not yet matched by irq_pop() */
	irq_state_t irq_saved; /* interrupt state before the outermost irq_push() */

	/*
	 * Spinlocks (kernel/spinlock.c). Written only by this hart; other harts read them
	 * only to print a deadlock report.
	 */
	struct spinlock *held[HART_MAX_HELD]; /* held locks, in the order taken */
	uint32_t nheld;
	struct spinlock *volatile waiting_for; /* the lock this hart spins on, or NULL */
	void *volatile waiting_site;           /* where it asked for it */

	/* Starting, parking and stopping (kernel/smp.c). */
	volatile uint32_t activity; /* enum hart_activity */
	struct hart_work work;
};

_Static_assert(offsetof(struct hart, stack_lo) == HART_STACK_LO, "hart stack_lo");
_Static_assert(offsetof(struct hart, stack_hi) == HART_STACK_HI, "hart stack_hi");
_Static_assert(offsetof(struct hart, trap_sp_min) == HART_TRAP_SP_MIN, "hart trap_sp_min");
_Static_assert(offsetof(struct hart, stack_canary) == HART_STACK_CANARY, "hart canary");
_Static_assert(offsetof(struct hart, emergency_top) == HART_EMERGENCY_TOP, "hart emergency");
_Static_assert(offsetof(struct hart, scratch[0]) == HART_SCRATCH0, "hart scratch0");
_Static_assert(offsetof(struct hart, scratch[1]) == HART_SCRATCH1, "hart scratch1");
_Static_assert(offsetof(struct hart, entry_busy) == HART_ENTRY_BUSY, "hart entry_busy");
_Static_assert(offsetof(struct hart, emergency_busy) == HART_EMERGENCY_BUSY, "hart e_busy");
_Static_assert(offsetof(struct hart, fault_reason) == HART_FAULT_REASON, "hart fault");

extern struct hart harts[MAX_HARTS];
extern uint8_t boot_stacks[MAX_HARTS][KSTACK_SIZE];

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

/* The boot hart's id, for code that must run there only. */
extern uint32_t boot_hart_id;

#endif /* __ASSEMBLER__ */
