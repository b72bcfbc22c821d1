/*
 * Kernel threads (lab 4): each runs a function on a stack of its own, and any hart's
 * scheduler loop (kernel/sched/sched.h) may run it. A thread runs until it yields, sleeps,
 * exits, or uses up its time slice (the timer tick preempts it).
 *
 *   static void worker(void *arg) { ... }
 *
 *   struct thread *t = thread_create(worker, &job, "worker");
 *   ...
 *   thread_join(t);      // waits until worker() has returned; t is gone after this
 *
 * Every thread must be joined exactly once, by another thread: that gives its slot and
 * its stack back (kernel/sched/threadtable.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/context.h"
#include "hal/cpu.h"

struct addrspace;

#define THREAD_NAME_MAX 24

enum thread_state {
	THREAD_FREE,     /* the slot is not a thread (yet) */
	THREAD_RUNNABLE, /* on the run queue, waiting for a hart */
	THREAD_RUNNING,  /* on a hart now */
	THREAD_SLEEPING, /* waiting for wakeup(chan) (kernel/sched/sleep.h) */
	THREAD_EXITED,   /* done; waiting for thread_join() to reclaim it */
};

struct thread {
	/* Switching (kernel/sched/sched.c); the scheduler lock guards every field below. */
	struct context context; /* callee-saved registers while not running */
	enum thread_state state;
	struct thread *link;   /* next on the run queue or the sleep list */
	void *chan;            /* what it sleeps on while THREAD_SLEEPING */
	bool interrupted;      /* thread_interrupt(): interruptible sleeps end (sleep.h) */
	struct thread *joiner; /* the thread waiting in thread_join(), if any */
	irq_state_t irq_saved; /* the hart's outer interrupt state, kept across a switch */
	uint32_t hart;         /* the hart it runs on, or last ran on */

	/* Set once by thread_create(). */
	int id;
	char name[THREAD_NAME_MAX];
	void (*fn)(void *arg);
	void *arg;
	uintptr_t stack_lo, stack_hi; /* its stack: [stack_lo, stack_hi) */
	/* Where the stack's memory starts: stack_lo, or the guard page below it (lab 6). */
	uintptr_t stack_region;
	bool stack_guarded; /* the page below stack_lo is unmapped (lab 6) */
	bool pool_stack;    /* the stack goes back to the pool when joined */

	/* Set by the process layer (lab 7) before the thread first runs. */
	struct addrspace *as; /* the program it runs in user mode, or NULL */
	void *owner;          /* the process it belongs to, or NULL */

	/* Statistics, for tests and reports; written by the hart running it. */
	volatile uint64_t runs;        /* times a scheduler loop switched to it */
	volatile uint64_t ticks;       /* timer ticks taken while it ran */
	volatile uint64_t preemptions; /* times the tick took the hart away from it */
	volatile uint64_t harts_seen;  /* bit n set: it has run on hart n */
};

/*
 * Makes a thread that runs fn(arg) and puts it on the run queue; returns NULL when no
 * slot or no stack is free. `name` is copied (up to THREAD_NAME_MAX - 1 characters).
 * The thread starts with interrupts on and ends when fn returns or calls thread_exit().
 */
struct thread *thread_create(void (*fn)(void *arg), void *arg, const char *name);

/*
 * thread_create(), but the thread's code starts `reserve` bytes below the top of its
 * stack, leaving the top to its owner: a process keeps the trap frame of its program
 * there, where the trap entry puts it (lab 7). reserve must leave most of the stack.
 */
struct thread *thread_create_reserving(void (*fn)(void *arg), void *arg, const char *name,
                                       size_t reserve);

/* Ends the calling thread; its joiner (if any) wakes up. Never returns. */
__attribute__((noreturn)) void thread_exit(void);

/*
 * Waits until t has exited, then gives back its slot and stack; t is invalid after.
 * Panics if t is the caller or if another thread already joins it. Thread context only.
 */
void thread_join(struct thread *t);

/* Gives the hart to the next runnable thread (if any); the caller runs again later. */
void thread_yield(void);

/* The thread running on this hart, or NULL outside a thread (a scheduler loop, boot). */
struct thread *thread_current(void);

/* "name" of the current thread, or a description of where the hart is if none. */
const char *thread_current_name(void);

/* "runnable", "sleeping", ... for reports. */
const char *thread_state_name(enum thread_state state);

/* Threads created and joined since boot. */
struct thread_counts {
	uint64_t created, joined;
};
struct thread_counts thread_counts(void);

/* ---- For kernel/sched/sched.c ---- */

/*
 * Makes the code running now a thread named `name`, on the stack [stack_lo, stack_hi)
 * it already runs on (which never goes to the stack pool). Boot only: sched_start().
 */
struct thread *thread_adopt(const char *name, uintptr_t stack_lo, uintptr_t stack_hi);
