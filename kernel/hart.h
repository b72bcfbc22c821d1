/*
 * Per-hart state. Each hart's tp register points at its own struct hart, so
 * this_hart() is one register read, valid from the first line of kmain on.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "hal/cpu.h"

struct hart {
	uint32_t id;           /* the hart id the firmware uses */
	bool online;           /* running the kernel */
	uintptr_t stack_lo;    /* this hart's kernel stack: [stack_lo, stack_hi) */
	uintptr_t stack_hi;
};

extern struct hart harts[MAX_HARTS];
extern uint8_t boot_stacks[MAX_HARTS][KSTACK_SIZE];

static inline struct hart *this_hart(void)
{
	return cpu_hart_pointer();
}

/* Binds the calling hart to harts[hartid]; the first thing each hart does in C. */
void hart_bind(uint32_t hartid);

/* The boot hart's id, for code that must run there only. */
extern uint32_t boot_hart_id;
