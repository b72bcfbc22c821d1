/*
 * Interrupt nesting: sections of code that need interrupts off on this hart, nested
 * to any depth. Spinlocks use it (a lock held with interrupts on can be wanted by a
 * handler that interrupted its holder, and that hart then spins forever); code that
 * only needs this hart's interrupts off for a moment may use it directly.
 *
 *   irq_push();         interrupts off; depth 1 remembers whether they were on
 *     irq_push();       depth 2
 *     irq_pop();        depth 1: still off
 *   irq_pop();          depth 0: back on only if they were on at the first push
 *
 * The depth and the saved state live in this hart's struct hart (kernel/hart/hart.h).
 */
#pragma once

#include <stdint.h>

/* Turns interrupts off on this hart and counts one more level of nesting. Any context. */
void irq_push(void);

/*
 * Undoes one irq_push(). When the depth comes back to 0, turns interrupts back on if
 * they were on before the outermost irq_push(). Panics when nothing was pushed, or
 * when interrupts are on (someone turned them on inside the section).
 */
void irq_pop(void);

/* How many irq_push() calls of this hart are not yet undone. */
uint32_t irq_depth(void);
