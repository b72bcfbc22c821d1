/*
 * Inter-processor interrupts: one hart pokes another through SBI, which raises the
 * supervisor software interrupt there. Before traps exist (lab 2) they serve only to
 * wake a hart out of wfi: a pending interrupt that the hart has enabled in sie ends
 * wfi even while interrupts are globally off.
 */
#pragma once

#include <stdint.h>

/* Raises the software interrupt on hart `hartid`. Any context. */
void ipi_send(uint32_t hartid);

/* Lets a pending IPI end wfi on this hart (whether or not interrupts are on). */
void ipi_enable(void);

/* Acknowledges any IPI pending on this hart, so that the next wfi waits again. */
void ipi_clear(void);
