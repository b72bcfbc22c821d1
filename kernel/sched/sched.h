/*
 * The scheduler (lab 4): one run queue for every hart, and on each hart a scheduler
 * loop that takes the thread at the head of the queue, switches to it, and gets the
 * hart back when the thread yields, sleeps, exits or is preempted by the timer tick.
 * Round robin: a thread that gives the hart back while still runnable goes to the tail.
 *
 * One spinlock, sched_lock, guards the run queue, the sleep list and every thread's
 * state. A thread that gives up its hart holds it across context_switch(), and the
 * code on the other side (the scheduler loop, or a thread coming back) releases it:
 * no other hart can pick a thread before it is completely off its previous hart.
 *
 * Users start threads with kernel/sched/thread.h and wait with kernel/sched/sleep.h and
 * kernel/sched/mutex.h; this header is for those layers and for boot.
 *
 * The one call circle the kernel keeps is here, inside this folder: sched.c runs and
 * reports on threads (thread.c), and a thread's exit and join give up the hart through
 * sched.c and sleep.c. They are one subsystem, split into files for reading, and all
 * of it works under one lock, sched_lock; splitting them further would only hide that.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sync/spinlock.h"

struct thread;

extern struct spinlock sched_lock;

/* Boot hart, bootstrap phase: reads slice=, sets up the thread table and stack pool. */
void sched_init(void);

/*
 * Boot hart, bootstrap phase: the code calling it becomes the thread `name` (keeping
 * the stack it runs on), every online hart starts its scheduler loop, and the call
 * returns in that thread once a scheduler loop has picked it up, on any hart.
 */
void sched_start(const char *name);

/* True once sched_start() has run. */
bool sched_running(void);

/* Timer ticks per time slice (slice=N on the kernel command line). */
unsigned sched_slice(void);

/*
 * Called through trap_set_interrupt_exit() by trap_handler() (kernel/trap/trap.c) when it is about to return from an
 * interrupt to code that had interrupts on: charges the tick to the running thread
 * and, if its time slice is used up, sends it to the back of the run queue. Returns
 * true if it did: the thread has run again since, maybe on another hart. Interrupts
 * are off.
 */
bool sched_interrupt_exit(void);

/* ---- For kernel/sched/thread.c, kernel/sched/sleep.c and kernel/sched/mutex.c ---- */

/* Caller must hold sched_lock: puts t, not on any queue, at the tail of the run queue. */
void sched_make_runnable(struct thread *t);

/*
 * Caller must hold sched_lock and no other spinlock, be the thread `me`, and have set
 * me->state to why it stops (and queued it wherever it waits). Switches to this hart's
 * scheduler loop; returns, still holding sched_lock, when a scheduler loop picks `me`
 * again, possibly on another hart. `why` names the caller's operation in panics.
 */
void sched_switch_out(struct thread *me, const char *why);

/*
 * Panics, naming `operation` and the lock, if the calling thread holds a spinlock
 * other than `allowed` (may be NULL): a thread that switches away holding one would
 * leave interrupts off and the lock taken for as long as it is away. Anything that may
 * switch calls it first.
 */
void sched_assert_may_switch(const char *operation, const struct spinlock *allowed);

/* Scheduler statistics of one hart (for tests and the end-of-boot report). */
struct sched_hart_stats {
	uint64_t loops;      /* turns of the scheduler loop */
	uint64_t switches;   /* threads switched to */
	uint64_t idle_waits; /* times the loop waited for an interrupt with nothing to run */
	uint64_t kicks;      /* IPIs other harts sent to wake this hart for work */
	bool started;        /* the loop runs on this hart */
};
struct sched_hart_stats sched_hart_stats(uint32_t hartid);
void sched_print_stats(void);
