/*
 * Helpers for the tests of lab 4: waiting in a thread, with a timeout in guest time
 * (the time CSR) so that a broken scheduler fails a test instead of hanging it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct thread;

/* Milliseconds as units of timer_now(). */
uint64_t ms_to_time(uint64_t ms);

/* Yields until *word == value; false if `ms` pass first. */
bool yield_until_value(const volatile uint32_t *word, uint32_t value, uint64_t ms);

/* Yields until t is asleep (parked); false if `ms` pass first. */
bool yield_until_sleeping(const struct thread *t, uint64_t ms);

/* Yields for `ms`. */
void yield_for_ms(uint64_t ms);

/* Keeps the hart busy for `ms` without yielding (the tick may still preempt). */
void busy_for_ms(uint64_t ms);

/* Creates a thread or fails the running test (and returns NULL). */
struct thread *spawn(void (*fn)(void *arg), void *arg, const char *name);
