/*
 * The running hart: its identity, its interrupt-enable bit, and a few instructions
 * (wfi, fences) that the kernel above the HAL needs by name.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hal/csr.h"

/* Interrupt-enable state of this hart, as a value that can be saved and restored. */
typedef uint64_t irq_state_t;

/* Turns interrupts off on this hart and returns whether they were on. Any context. */
static inline irq_state_t cpu_irq_save(void)
{
	return csr_read_clear(sstatus, SSTATUS_SIE) & SSTATUS_SIE;
}

/* Caller must pass a value returned by cpu_irq_save() on this same hart. */
static inline void cpu_irq_restore(irq_state_t saved)
{
	if (saved)
		csr_set(sstatus, SSTATUS_SIE);
}

static inline void cpu_irq_enable(void)
{
	csr_set(sstatus, SSTATUS_SIE);
}
static inline void cpu_irq_disable(void)
{
	csr_clear(sstatus, SSTATUS_SIE);
}
static inline bool cpu_irq_enabled(void)
{
	return csr_read(sstatus) & SSTATUS_SIE;
}

/*
 * Which interrupts this hart takes (sie), by cause code (enum trap_interrupt in
 * kernel/hal/trapframe.h). Caller must have a handler for the cause before enabling it.
 */
static inline void cpu_irq_source_enable(unsigned code)
{
	csr_set(sie, 1UL << code);
}
static inline void cpu_irq_source_disable(unsigned code)
{
	csr_clear(sie, 1UL << code);
}

/*
 * The supervisor software interrupt of this hart (sip.SSIP): inter-processor interrupts
 * arrive through it (lab 3), and a hart may also raise it for itself. Caller must
 * expect the trap (sie.SSIE is on from trap_init_hart()) and, when handling it, clear
 * it before returning, or it fires again at once.
 */
static inline void cpu_software_interrupt_raise(void)
{
	csr_set(sip, SIE_SSIE);
}
static inline void cpu_software_interrupt_clear(void)
{
	csr_clear(sip, SIE_SSIE);
}

/*
 * Instructions retired. Under QEMU it counts guest instructions only with -icount
 * (otherwise it follows the host clock), and then in units of 2^shift per instruction
 * (QEMU's guest nanoseconds), for all harts together: with several harts it is the
 * machine's count, not this hart's. OpenSBI lets S-mode read it.
 */
static inline uint64_t cpu_instret(void)
{
	return csr_read(instret);
}

/* Traps into the kernel's own breakpoint handler; it steps over and returns. */
static inline void cpu_breakpoint(void)
{
	__asm__ volatile("ebreak" ::: "memory");
}

/* Waits for an interrupt; returns at once if one is pending even while disabled. */
static inline void cpu_wait_for_interrupt(void)
{
	__asm__ volatile("wfi" ::: "memory");
}

/*
 * Executes exactly 256 instructions that do nothing: a block of known length, to learn
 * how many instret units one instruction counts for (QEMU -icount scales instret).
 */
static inline void cpu_run_256_nops(void)
{
	__asm__ volatile(".rept 256\n\tnop\n\t.endr" ::: "memory");
}

/* The frame pointer of the calling function (s0), for backtraces. */
static inline uintptr_t cpu_frame_pointer(void)
{
	uintptr_t fp;
	__asm__ volatile("mv %0, s0" : "=r"(fp));
	return fp;
}

static inline uintptr_t cpu_stack_pointer(void)
{
	uintptr_t sp;
	__asm__ volatile("mv %0, sp" : "=r"(sp));
	return sp;
}

/*
 * tp holds the address of this hart's struct hart (kernel/hart/hart.h). Caller must pass
 * memory that lives as long as the hart runs the kernel.
 */
static inline void cpu_set_hart_pointer(void *p)
{
	__asm__ volatile("mv tp, %0" ::"r"(p));
}
static inline void *cpu_hart_pointer(void)
{
	void *p;
	__asm__ volatile("mv %0, tp" : "=r"(p));
	return p;
}

/* Spins this hart forever with interrupts off: the end of a hart that must stop. */
static inline __attribute__((noreturn)) void cpu_halt(void)
{
	cpu_irq_disable();
	for (;;)
		cpu_wait_for_interrupt();
}
