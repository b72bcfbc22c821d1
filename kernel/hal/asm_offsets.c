/*
 * Not part of the kernel: the build compiles this file to assembly only and turns each
 * OFFSET line into a #define of $(BUILD)/gen/asm_offsets.h, so the assembly takes its
 * structure offsets (and the few CSR bits it tests) from the C headers themselves and
 * no offset is numbered by hand (kernel/hal/asm.h includes the result).
 */
#include <stddef.h>

#include "hal/context.h"
#include "hal/csr.h"
#include "hal/trap_entry.h"
#include "hal/trapframe.h"

/* Emits "->NAME value" into the compiler's assembly output, for the Makefile to pick up. */
#define OFFSET(name, value) __asm__ volatile("\n.ascii \"->" #name " %0\"" : : "i"(value))

void asm_offsets(void);
void asm_offsets(void)
{
	OFFSET(TF_X0, offsetof(struct trapframe, x));
	OFFSET(TF_XSIZE, sizeof(((struct trapframe *)0)->x[0]));
	OFFSET(TF_SEPC, offsetof(struct trapframe, sepc));
	OFFSET(TF_SSTATUS, offsetof(struct trapframe, sstatus));
	OFFSET(TF_SCAUSE, offsetof(struct trapframe, scause));
	OFFSET(TF_STVAL, offsetof(struct trapframe, stval));
	OFFSET(TRAPFRAME_SIZE, sizeof(struct trapframe));

	OFFSET(ASM_SSTATUS_SPP, SSTATUS_SPP);

	OFFSET(CTX_RA, offsetof(struct context, ra));
	OFFSET(CTX_SP, offsetof(struct context, sp));
	OFFSET(CTX_S0, offsetof(struct context, s));
	OFFSET(CTX_SSIZE, sizeof(((struct context *)0)->s[0]));

	OFFSET(ENTRY_STACK_LO, offsetof(struct hart_entry, stack_lo));
	OFFSET(ENTRY_STACK_HI, offsetof(struct hart_entry, stack_hi));
	OFFSET(ENTRY_TRAP_SP_MIN, offsetof(struct hart_entry, trap_sp_min));
	OFFSET(ENTRY_STACK_CANARY, offsetof(struct hart_entry, stack_canary));
	OFFSET(ENTRY_EMERGENCY_TOP, offsetof(struct hart_entry, emergency_top));
	OFFSET(ENTRY_SCRATCH0, offsetof(struct hart_entry, scratch[0]));
	OFFSET(ENTRY_SCRATCH1, offsetof(struct hart_entry, scratch[1]));
	OFFSET(ENTRY_BUSY, offsetof(struct hart_entry, entry_busy));
	OFFSET(ENTRY_EMERGENCY_BUSY, offsetof(struct hart_entry, emergency_busy));
	OFFSET(ENTRY_FAULT_REASON, offsetof(struct hart_entry, fault_reason));
}
