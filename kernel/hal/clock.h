/*
 * The time CSR read in line, for code that counts its own cost in instructions (the
 * event trace, kernel/debug/trace.h): one csrr, where timer_hw_now() (kernel/hal/timer.h)
 * is a call. Both read the same clock: ticks of the device tree's timebase-frequency
 * since reset, one clock shared by every hart (10 MHz on QEMU's virt machine).
 */
#pragma once

#include <stdint.h>

#include "hal/csr.h"

/*
 * The time CSR. Any context, any hart; OpenSBI lets S-mode read it (mcounteren.TM).
 * Orders nothing around itself: a caller that needs the reading to fall between two
 * memory accesses puts its own barrier there.
 */
static inline uint64_t clock_now(void)
{
	return csr_read(time);
}
