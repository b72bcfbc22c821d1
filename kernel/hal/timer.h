/*
 * The hart's timer: the time CSR counts at the device tree's timebase-frequency on
 * every hart alike, and a compare value raises the supervisor timer interrupt when
 * time reaches it. The compare value lives either in M-mode, set through the SBI TIME
 * extension, or, with the Sstc extension, in the stimecmp CSR that S-mode writes itself.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * Caller must be the boot hart, before any hart's timer_hw_set(), and pass sstc = true
 * only if every hart has Sstc (platform.has_sstc) and the firmware lets S-mode use it
 * (OpenSBI 1.1 and later set menvcfg.STCE when it does).
 */
void timer_hw_init(bool sstc);

/*
 * The time CSR: ticks of the timebase since reset, the same clock on every hart. Any
 * context.
 */
uint64_t timer_hw_now(void);

/*
 * Asks for this hart's timer interrupt when time reaches `when`; any later request
 * replaces it, and a request in the future clears a pending timer interrupt. Caller
 * must be the hart whose timer it sets, after timer_hw_init().
 */
void timer_hw_set(uint64_t when);

/*
 * Whether the calling hart takes timer interrupts (sie.STIE); other harts are not
 * affected. Caller must arm a deadline with timer_hw_set() before enabling (the compare
 * value left from before may already have passed, which fires at once) and have the
 * trap vector installed; disabling is safe in any context.
 */
void timer_hw_enable_interrupt(void);
void timer_hw_disable_interrupt(void);
