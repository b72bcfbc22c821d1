/*
 * The running hart: its identity, its interrupt-enable bit, and a few instructions
 * (wfi, fences) that the kernel above the HAL needs by name.
 *
 * Everything here acts on the calling hart only. A thread that runs with interrupts on
 * may be preempted and resumed on another hart between any two of these calls (lab 4):
 * whatever must apply to one hart throughout needs interrupts off around it.
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

/*
 * Turns interrupts on, whatever they were. Nothing remembers that they were off: inside
 * an irq_push() section (a spinlock held, kernel/sync/irqnest.c) it breaks the nesting,
 * since a handler can then run and want the lock its own hart holds, and irq_pop()
 * panics on finding them on. Caller must be at irq depth 0 on a hart whose traps,
 * timer and interrupt controller are set up, and be the code that owns the hart's
 * interrupt state: boot once the handlers are in place (kmain, smp_secondary_main), a
 * scheduler loop, a thread's first instructions (thread_start), and tests of exactly
 * this misuse. Everyone else uses cpu_irq_save()/cpu_irq_restore() or irq_push()/irq_pop().
 */
static inline void cpu_irq_enable(void)
{
	csr_set(sstatus, SSTATUS_SIE);
}

/*
 * Turns interrupts off without remembering whether they were on. Any context; caller
 * must either never turn them on again (a panic, a halt) or own the hart's interrupt
 * state as cpu_irq_enable()'s callers do. Sections that end use cpu_irq_save().
 */
static inline void cpu_irq_disable(void)
{
	csr_clear(sstatus, SSTATUS_SIE);
}

/*
 * Whether interrupts are on for this hart. Any context; with interrupts on, the caller
 * may be on another hart by the time it acts on the answer (an "off" stays true).
 */
static inline bool cpu_irq_enabled(void)
{
	return csr_read(sstatus) & SSTATUS_SIE;
}

/*
 * Which interrupts this hart takes (sie), by cause code (enum trap_interrupt in
 * kernel/hal/trapframe.h); other harts are not affected. Caller must pass a code below
 * 64 and, to enable it, have a handler for the cause and the trap vector installed
 * (trap_init_hart()); disabling is safe in any context, a trap handler included.
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
 * machine's count, not this hart's. OpenSBI lets S-mode read it (mcounteren.IR). Any
 * context.
 */
/*
 * Lets user mode read the cycle, time and instret counters (rdcycle, rdtime,
 * rdinstret) on this hart: the scounteren CSR. Caller must be the hart itself; user
 * programs measure their own cost with it (lab 7's benchmarks).
 */
static inline void cpu_user_counters_enable(void)
{
	csr_write(scounteren, 7); /* CY, TM, IR */
}

static inline uint64_t cpu_instret(void)
{
	return csr_read(instret);
}

/*
 * Traps into the kernel's own breakpoint handler; it steps over and returns. Caller must
 * have installed the trap vector (trap_init_hart()): before that an ebreak goes wherever
 * stvec points. Any context after that, a trap handler included (the trap nests).
 */
static inline void cpu_breakpoint(void)
{
	__asm__ volatile("ebreak" ::: "memory");
}

/*
 * Waits for an interrupt; returns at once if one is pending even while disabled, and
 * may return for no reason at all (the spec allows wfi to be a no-op), so callers wait
 * in a loop that rechecks their condition. Any context; with interrupts off the
 * interrupt stays pending and is taken once they are back on.
 */
static inline void cpu_wait_for_interrupt(void)
{
	__asm__ volatile("wfi" ::: "memory");
}

/*
 * Executes exactly 256 instructions that do nothing: a block of known length, to learn
 * how many instret units one instruction counts for (QEMU -icount scales instret). Any
 * context; a trap in the middle counts its own instructions too, so measure with
 * interrupts off.
 */
static inline void cpu_run_256_nops(void)
{
	__asm__ volatile(".rept 256\n\tnop\n\t.endr" ::: "memory");
}

/*
 * The frame pointer (s0) and stack pointer of the calling function, for backtraces and
 * stack checks. Any context. Always inlined: a call of its own would return its own
 * frame, gone by the time the caller looks.
 */
static inline __attribute__((always_inline)) uintptr_t cpu_frame_pointer(void)
{
	uintptr_t fp;
	__asm__ volatile("mv %0, s0" : "=r"(fp));
	return fp;
}

static inline __attribute__((always_inline)) uintptr_t cpu_stack_pointer(void)
{
	uintptr_t sp;
	__asm__ volatile("mv %0, sp" : "=r"(sp));
	return sp;
}

/*
 * tp holds the address of this hart's struct hart (kernel/hart/hart.h). Caller must be
 * the hart itself, once, before anything reads it (hart_bind()), and pass memory that
 * lives as long as the hart runs the kernel. The trap entry reloads tp from sscratch,
 * so the two must name the same struct once traps are installed.
 */
static inline void cpu_set_hart_pointer(void *p)
{
	__asm__ volatile("mv tp, %0" ::"r"(p));
}

/*
 * The calling hart's struct hart, read from tp. Any context once cpu_set_hart_pointer()
 * ran. The answer is about the hart at the moment of the read: a thread with interrupts
 * on can be preempted right after it and go on on another hart, so a caller that keeps
 * using the pointer (or anything it read through it) must have interrupts off from the
 * read until it is done (see in_trap_handler() in kernel/debug/context_check.h).
 */
static inline void *cpu_hart_pointer(void)
{
	void *p;
	__asm__ volatile("mv %0, tp" : "=r"(p));
	return p;
}

/*
 * Spins this hart forever with interrupts off: the end of a hart that must stop. Any
 * context; it holds on to whatever locks the caller held, so only code that ends the
 * kernel (a panic, a stop) calls it.
 */
static inline __attribute__((noreturn)) void cpu_halt(void)
{
	cpu_irq_disable();
	for (;;)
		cpu_wait_for_interrupt();
}
