/*
 * What the trap entry (kernel/hal/trap_entry.S) needs of a hart before it can trust
 * any register: where the hart's kernel stack is, its canary, its emergency stack and
 * two words to park registers in. It is the first member of the kernel's struct hart
 * (kernel/hart/hart.h), so sscratch = &hart = &hart.entry; the layer above embeds it
 * and the entry never learns anything else about a hart.
 *
 * The assembly's offsets into it come from this struct itself (kernel/hal/asm.h).
 */
#pragma once

/* Why the entry switched to the emergency stack (struct hart_entry.fault_reason). */
#define FAULT_NONE         0
#define FAULT_STACK_BOUNDS 1 /* sp outside the stack, or too close to its end */
#define FAULT_STACK_CANARY 2 /* the guard band's canary was overwritten */
#define FAULT_NESTED_ENTRY 3 /* a trap arrived while the entry was saving state */

#ifndef __ASSEMBLER__

#include <stdint.h>

struct hart_entry {
	uintptr_t stack_lo; /* the hart's kernel stack now: [stack_lo, stack_hi) */
	uintptr_t stack_hi;
	uintptr_t trap_sp_min;   /* the lowest sp at which a trap can still be handled */
	uint64_t stack_canary;   /* the value at the top of the guard band */
	uintptr_t emergency_top; /* top of this hart's emergency stack */
	uint64_t scratch[2];     /* the entry parks t0 and t1 here */
	uint64_t entry_busy;     /* 1 while the entry saves state */
	uint64_t emergency_busy; /* 1 once a double fault is being reported */
	uint64_t fault_reason;   /* FAULT_*: set by the entry on the emergency path */
};

/*
 * The first instruction of every trap (stvec points here). Never called: only
 * trap_vector_install() takes its address, after the hart's struct hart_entry is
 * filled in.
 */
extern char trap_entry[];

#endif /* __ASSEMBLER__ */
