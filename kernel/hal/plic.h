/*
 * The platform-level interrupt controller (PLIC, RISC-V PLIC specification v1.0.0):
 * device interrupt lines ("sources", numbered from 1) go through it to the harts. Each
 * hart has a "context" per privilege mode; a context enables the sources it takes, has
 * a priority threshold, and claims an interrupt (learning its source) and completes it.
 * Which context is whose comes from the device tree (platform.plic_context).
 */
#pragma once

#include <stdint.h>

#define PLIC_MAX_SOURCES 1024

/*
 * Caller must pass the PLIC's base address from the device tree and be the boot hart,
 * before any other plic_*() call on any hart.
 */
void plic_init(uintptr_t base);

/*
 * Priority 0 masks a source everywhere; 1 and up let it through a threshold below.
 * Caller must pass a source from 1 to PLIC_MAX_SOURCES - 1. The priority is one
 * register for every context and is written without a lock: callers must not race
 * each other on the same source (irq_register() runs in boot, in thread context).
 */
void plic_set_priority(uint32_t source, uint32_t priority);

/*
 * Caller must pass a context of the calling hart (so no other hart writes the same
 * enable words at the same time) and a source below PLIC_MAX_SOURCES.
 */
void plic_enable(int context, uint32_t source);
void plic_disable(int context, uint32_t source);
void plic_set_threshold(int context, uint32_t threshold);

/*
 * The highest-priority pending source for `context`, now claimed; 0 if none (another
 * hart's context claimed it first, or the device dropped its line). Reading claims: the
 * PLIC raises a claimed source on no context again until it is completed, so caller
 * must pass every nonzero result to plic_complete() on the same context, handler or no
 * handler. Caller must pass a context of the calling hart, from the handler of the
 * supervisor external interrupt (interrupts off).
 */
uint32_t plic_claim(int context);

/* Caller must pass a source it claimed on this context and has now served. */
void plic_complete(int context, uint32_t source);
