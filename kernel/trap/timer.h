/*
 * The periodic tick: every running hart takes a timer interrupt hz times a second
 * (kernel argument hz=N, default DEFAULT_HZ) and counts it. Deadlines advance by a
 * fixed interval from the previous deadline, not from when the handler ran, so the
 * rate does not drift with handler latency.
 */
#pragma once

#include <stdint.h>

/* Boot hart, once: reads hz= and picks the timer hardware (Sstc or SBI). */
void timer_init(void);

/*
 * Caller must be the hart to start ticking, with traps set up (trap_init_hart()):
 * arms its first deadline and enables its timer interrupt. Lab 3 calls it on each hart
 * it starts.
 */
void timer_init_hart(void);

/* The timer interrupt handler (interrupt context): counts the tick, arms the next. */
void timer_interrupt(void);

/*
 * Has hook() called on every tick of every hart, in interrupt context, after the next
 * deadline is armed; NULL removes it. For tests (lab 3) and lab 4's scheduler tick.
 */
void timer_set_tick_hook(void (*hook)(void));

/* Ticks this hart has taken. */
uint64_t timer_ticks(void);

/* This hart's tick counter itself, for code that watches it change (tests). */
const volatile uint64_t *timer_tick_counter(void);

/* Ticks that never came because their deadline passed while interrupts were off. */
uint64_t timer_missed_ticks(void);

unsigned timer_hz(void);
uint64_t timer_now(void);       /* the time CSR, in timebase units */
uint64_t timer_timebase(void);  /* timebase units per second */
const char *timer_source(void); /* "sstc" or "sbi" */
