/*
 * Sleeping mutexes (lab 4): mutual exclusion between threads for sections that may be
 * long or may themselves sleep. A thread that finds the mutex taken is parked (it
 * sleeps, using no hart) until the owner releases it; a spinlock would keep a hart
 * spinning for as long as the owner holds it.
 *
 *   static struct mutex table_mutex = MUTEX_INIT("table");
 *
 *   mutex_lock(&table_mutex);
 *   ... may sleep, yield, be preempted ...
 *   mutex_unlock(&table_mutex);
 *
 * Rules, each checked: only threads take mutexes, and only once the scheduler runs
 * (phase scheduler); never in a trap handler; never while holding a spinlock; only the
 * owner releases; an owner does not take it again. Violations panic naming the mutex,
 * the threads and where it was taken.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sync/spinlock.h"

struct thread;

struct mutex {
	struct spinlock guard; /* guards the fields below; held only inside these calls */
	struct thread *owner;  /* NULL while free */
	void *site;            /* where the owner locked it */
	const char *name;
	uint32_t waiters;      /* threads parked in mutex_lock() */
	uint64_t acquisitions; /* statistics */
	uint64_t contended;    /* acquisitions that had to wait */
};

/* Every mutex's guard is in the spinlock class "mutex": one never nests in another. */
#define MUTEX_INIT(mutexname)                                        \
	{                                                            \
		.guard = SPINLOCK_INIT("mutex"), .name = (mutexname) \
	}

/* Initialises a free mutex named `name` (a string that outlives the mutex). */
void mutex_init(struct mutex *m, const char *name);

/* Before a mutex's memory is reused: takes its guard off the spinlock statistics. */
void mutex_deinit(struct mutex *m);

/* Takes m, parking the calling thread while another thread owns it. */
void mutex_lock(struct mutex *m);

/* Releases m, which the calling thread must own, and wakes its waiters. */
void mutex_unlock(struct mutex *m);

/* True if the calling thread owns m. */
bool mutex_held(const struct mutex *m);

/* The owner of m right now, or NULL (for reports and tests). */
struct thread *mutex_owner(const struct mutex *m);
