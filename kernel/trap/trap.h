/*
 * Traps (lab 2): every interrupt and exception of the kernel enters through
 * kernel/hal/trap_entry.S, which saves the interrupted state in a struct trapframe and
 * calls trap_handler(). The handler sends interrupts to the timer (kernel/trap/timer.c), the
 * interrupt controller (kernel/trap/irq.c) or the software-interrupt handler, steps over
 * breakpoints, and turns any other exception into a report that stops the kernel.
 *
 * Trap handlers run in interrupt context: see kernel/debug/context_check.h for what they must
 * not do.
 */
#pragma once

#include <stdint.h>

#include "hal/trapframe.h"

/* Boot hart, once: emergency stacks, then trap_init_hart(). */
void trap_init(void);

/*
 * Caller must be the hart to set up, bound to its struct hart and running on its
 * kernel stack with interrupts off: installs the trap vector and this hart's emergency
 * stack. Lab 3 calls it on each hart it starts, before timer_init_hart() and
 * irq_init_hart().
 */
void trap_init_hart(void);

/* Checks that a trap round trip works (an ebreak comes back); panics if it does not. */
void trap_self_check(void);

/*
 * The handler of the supervisor software interrupt (inter-processor interrupts, lab 3),
 * called in interrupt context after the interrupt is acknowledged. NULL: such
 * interrupts are counted as unexpected.
 */
void trap_set_software_handler(void (*handler)(void));

/*
 * Installs hook() to run when a trap handler is about to return from an interrupt to
 * kernel code that had interrupts on: the scheduler's preemption point (lab 4). hook
 * runs with interrupts off and returns true if the interrupted thread was switched out
 * and has run again since, maybe on another hart. A hook keeps the trap layer below
 * the scheduler: trap code never calls sched code by name.
 */
void trap_set_interrupt_exit(bool (*hook)(void));

/*
 * Installs the process layer's handlers (lab 7). exception(tf) handles every exception
 * taken in user mode (a system call, a program's fault) in the thread that runs the
 * program, outside interrupt context: it may turn interrupts on and sleep. returning(tf)
 * runs after every trap from user mode, just before the return to it: it may end a
 * killed process, and must leave interrupts off. Boot, before any program runs.
 */
void trap_set_user_handlers(void (*exception)(struct trapframe *tf),
                            void (*returning)(struct trapframe *tf));

/* What this hart's traps have been so far. */
struct trap_stats {
	uint64_t timer;       /* timer interrupts */
	uint64_t external;    /* external (PLIC) interrupts */
	uint64_t software;    /* software interrupts, handled or not */
	uint64_t breakpoints; /* ebreaks stepped over */
	uint64_t unexpected;  /* interrupts nobody handles: counted, never fatal */
};
struct trap_stats trap_stats(void);
void trap_print_stats(void);

/*
 * Caller must be kernel/hal/trap_entry.S, on the stack it chose, with interrupts off
 * and tf holding the complete interrupted state; returns to the entry, which restores
 * tf (with any change to tf->sepc) and returns from the trap.
 */
void trap_handler(struct trapframe *tf);
