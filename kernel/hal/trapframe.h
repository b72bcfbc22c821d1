/*
 * The trap frame: everything kernel/hal/trap_entry.S saves when a trap arrives and
 * restores before sret. The assembly reaches its fields through TF_* offsets generated
 * from this struct at build time (kernel/hal/asm.h), so the layout has one source.
 *
 * Also here: how to read scause (interrupt bit, cause code) and the cause codes of the
 * privileged spec (v1.12, table "Supervisor cause register (scause) values").
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trapframe {
	uint64_t x[32];   /* x[2] is the interrupted sp; x[0] is unused */
	uint64_t sepc;    /* where the trap happened; sret returns here */
	uint64_t sstatus; /* SPP and SPIE say where to return and with what SIE */
	uint64_t scause;
	uint64_t stval; /* faulting address or instruction, depending on the cause */
};

_Static_assert(sizeof(struct trapframe) % 16 == 0, "trap frame must keep sp 16-byte aligned");

/* Register numbers by ABI name, for code that reads the frame. */
enum { REG_RA = 1, REG_SP = 2, REG_GP = 3, REG_TP = 4, REG_S0 = 8, REG_A0 = 10 };

/* Interrupt causes (scause with the top bit set). */
enum trap_interrupt {
	IRQ_S_SOFTWARE = 1,
	IRQ_S_TIMER = 5,
	IRQ_S_EXTERNAL = 9,
};

/* Exception causes (scause with the top bit clear). */
enum trap_exception {
	EXC_INSN_MISALIGNED = 0,
	EXC_INSN_ACCESS = 1,
	EXC_ILLEGAL_INSN = 2,
	EXC_BREAKPOINT = 3,
	EXC_LOAD_MISALIGNED = 4,
	EXC_LOAD_ACCESS = 5,
	EXC_STORE_MISALIGNED = 6,
	EXC_STORE_ACCESS = 7,
	EXC_ECALL_U = 8,
	EXC_ECALL_S = 9,
	EXC_INSN_PAGE_FAULT = 12,
	EXC_LOAD_PAGE_FAULT = 13,
	EXC_STORE_PAGE_FAULT = 15,
};

/* True if the trap was an interrupt, false if an exception. */
static inline bool trap_is_interrupt(const struct trapframe *tf)
{
	return (int64_t)tf->scause < 0;
}

/* The cause code: an enum trap_interrupt or an enum trap_exception. */
static inline uint64_t trap_cause_code(const struct trapframe *tf)
{
	return tf->scause & ~(1UL << 63);
}

/* True if the trap came from S-mode (the kernel) rather than U-mode. */
bool trap_from_kernel(const struct trapframe *tf);

/* "illegal instruction", "supervisor timer interrupt", ... or "unknown cause". */
const char *trap_cause_name(const struct trapframe *tf);

/*
 * Length in bytes (2 or 4) of the instruction at pc: the low two bits of its first
 * halfword are 11 for a 32-bit instruction and anything else for a compressed one.
 * Caller must pass the address of an instruction the kernel can read (e.g. the sepc of
 * an exception taken in the kernel).
 */
static inline uint64_t insn_length(uint64_t pc)
{
	uint16_t first = *(const volatile uint16_t *)pc;
	return (first & 3) == 3 ? 4 : 2;
}
