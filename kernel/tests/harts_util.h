/*
 * Helpers for tests that run code on several harts at once (kernel/smp/smp.h underneath).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * Runs fn(arg) on every online hart, this one last, and waits for the others; returns
 * false if one of them had not finished after `ms` of guest time.
 */
bool run_on_all_harts(void (*fn)(void *arg), void *arg, uint64_t ms);

/* Some online hart other than this one, or -1 if this is the only one. */
int another_hart(void);

/* Waits until *word == value; false if `ms` of guest time pass first. */
bool wait_for_value(const volatile uint32_t *word, uint32_t value, uint64_t ms);

/* Waits until hart `hartid` spins on lock `lk`; false if `ms` pass first. */
struct spinlock;
bool wait_for_spinner(uint32_t hartid, const struct spinlock *lk, uint64_t ms);

/* Waits `ms` of guest time. */
void delay_ms(uint64_t ms);
