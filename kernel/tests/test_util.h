/*
 * Helpers the in-kernel tests share: running code on several harts at once, waiting
 * for a flag, a spinning hart or a sleeping thread, and spawning threads. Every wait
 * has a timeout in guest time (the time CSR), so that a broken kernel fails a test
 * instead of hanging it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct spinlock;
struct thread;

/* ---- Harts (lab 3 and later) ---- */

/*
 * Runs fn(arg) on every online hart, this one last, and waits for the others; returns
 * false if one of them had not finished after `ms` of guest time.
 */
bool run_on_all_harts(void (*fn)(void *arg), void *arg, uint64_t ms);

/* Some online hart other than this one, or -1 (and a line saying why) if none is. */
int another_hart(void);

/* Spins until *word == value; false if `ms` of guest time pass first. */
bool wait_for_value(const volatile uint32_t *word, uint32_t value, uint64_t ms);

/* Spins until hart `hartid` spins on lock `lk`; false if `ms` pass first. */
bool wait_for_spinner(uint32_t hartid, const struct spinlock *lk, uint64_t ms);

/* Keeps this hart busy for `ms` of guest time without yielding (a tick may still
   preempt a thread), halting if another hart stops the machine meanwhile. */
void delay_ms(uint64_t ms);

/* ---- Threads (lab 4 and later) ---- */

/* Like wait_for_value(), but yields the hart between looks. */
bool yield_until_value(const volatile uint32_t *word, uint32_t value, uint64_t ms);

/* Yields until t is asleep (parked); false if `ms` pass first. */
bool yield_until_sleeping(const struct thread *t, uint64_t ms);

/* Yields for `ms`. */
void yield_for_ms(uint64_t ms);

/* Creates a thread or fails the running test (and returns NULL). */
struct thread *spawn(void (*fn)(void *arg), void *arg, const char *name);
