/*
 * Sleep and wakeup (lab 4): how a thread waits for a condition without using a hart
 * while it waits. The condition lives in data guarded by a spinlock; the waiter
 * checks it under that lock and sleeps on a channel (any address that names the
 * condition, usually the data's own):
 *
 *   spin_lock(&q->lock);
 *   while (q->count == 0)
 *           sleep_on(q, &q->lock);     // lets go of the lock while asleep
 *   ... take an item ...
 *   spin_unlock(&q->lock);
 *
 * and whoever makes the condition true does so under the same lock, then wakes the
 * channel:
 *
 *   spin_lock(&q->lock);
 *   q->count++;
 *   wakeup(q);
 *   spin_unlock(&q->lock);
 *
 * sleep_on() lets go of the lock and goes to sleep as one step for wakeup(): no
 * wakeup can fall between the waiter's last look at the condition and its sleep (the
 * lost-wakeup problem, docs/labs/4-sched.md). A woken thread must look at the
 * condition again: wakeup() wakes every sleeper on the channel, and another may have
 * taken the item first.
 */
#pragma once

#include <stdbool.h>

struct spinlock;
struct thread;

struct spinlock;

/*
 * Releases lk, sleeps until wakeup(chan), and takes lk again before returning.
 * Caller must be a thread (not a trap handler) holding lk and no other spinlock.
 */
void sleep_on(void *chan, struct spinlock *lk);

/* Wakes every thread sleeping on chan. Any context, trap handlers included. */
void wakeup(void *chan);

/* ---- For the scheduler's own users (kernel/sched/thread.c), under sched_lock ---- */

/*
 * Caller must be a thread holding sched_lock (and no other spinlock), having just
 * found its condition false under it: sleeps on chan; returns holding sched_lock.
 */
void sleep_locked(void *chan, const char *why);

/* Caller must hold sched_lock: makes every thread sleeping on chan runnable. */
void wakeup_locked(void *chan);

/*
 * sleep_on(), but thread_interrupt() ends the sleep too: returns true if woken by a
 * wakeup (the caller rechecks its condition, as always), false if the thread has been
 * interrupted, now or before it slept (the flag stays set). For waits a process must
 * be able to leave when it is killed (lab 7): pipes, the console, wait(), sleep().
 */
bool sleep_on_interruptible(void *chan, struct spinlock *lk);

/* Interrupts thread t for good: its interruptible sleeps end now and at once from now
   on. Any thread; not from a trap handler. */
void thread_interrupt(struct thread *t);
