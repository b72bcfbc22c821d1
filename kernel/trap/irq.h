/*
 * Device interrupts through the PLIC: drivers register a handler for their source
 * (the "interrupts" property of their device-tree node); the external-interrupt trap
 * claims each pending source, runs its handler and completes it. A claim that finds
 * nothing (spurious) and a source without a handler (masked then) are counted, not fatal.
 */
#pragma once

#include <stdint.h>

/* Boot hart, once. */
void irq_init(void);

/*
 * Caller must be the hart to set up, with traps set up: lets every registered source
 * through to this hart's S-mode context and enables its external interrupt. Lab 3
 * calls it on each hart it starts.
 */
void irq_init_hart(void);

/*
 * Boot only, never in a handler: `handler` runs in interrupt context for each claim of
 * `source` and must make the device stop asserting it. Enabled on the calling hart.
 */
void irq_register(uint32_t source, const char *name, void (*handler)(void));

/* The external-interrupt handler (interrupt context). */
void irq_external_interrupt(void);

/* Times `source` was claimed and handled. */
uint64_t irq_count(uint32_t source);

/* Claims that found no source, and claims of sources nobody handles (this hart). */
uint64_t irq_spurious(void);
uint64_t irq_unhandled(void);

void irq_print_stats(void);
