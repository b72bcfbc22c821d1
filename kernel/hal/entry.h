/*
 * The symbols kernel/hal/entry.S shares with C, declared in one place: where harts
 * enter, the boot stacks they switch to, and the words the boot claim uses (docs/boot.md).
 */
#pragma once

#include <stdint.h>

#include "config.h"

/*
 * Where the firmware enters the boot hart, and where SBI HSM starts the others. Never
 * called from C: they expect a0 = hart id and a1 = the device tree (_start) or the top
 * of the hart's boot stack (_start_secondary), with the MMU off; C passes their
 * addresses to sbi_hart_start().
 */
extern char _start[], _start_secondary[];

/*
 * One kernel stack per hart id, for boot and for a hart's first steps; entry.S points
 * sp at the top of boot_stacks[hartid]. Defined in C (kernel/hart/hart.c) so that its
 * size comes from config.h.
 */
extern uint8_t boot_stacks[MAX_HARTS][KSTACK_SIZE];

/*
 * Set (release) by the boot hart once harts that came in through _start may go on as
 * secondaries; entry.S spins on it with an acquire fence.
 */
extern uint32_t secondaries_welcome;

/* Bit i: hart i came in through _start instead of _start_secondary (set by entry.S). */
extern volatile uint64_t late_harts;
_Static_assert(MAX_HARTS <= 64, "late_harts has one bit per hart");
