/*
 * Pointing the hart's trap machinery at the kernel: stvec at kernel/hal/trap_entry.S
 * and sscratch at the hart's per-hart data, which the entry needs before it can trust
 * any register.
 */
#pragma once

#include <stdint.h>

/*
 * Caller must be the hart that owns `per_hart` (its struct hart), running in the
 * kernel with interrupts off and with the struct hart's stack bounds, canary and
 * emergency stack already set: the next trap on this hart goes through them.
 */
void trap_vector_install(void *per_hart);

struct trapframe;

/*
 * Copies the trap CSRs (sepc, sstatus, scause, stval) into tf and leaves its registers
 * alone. For the last-resort report, when no frame could be saved: the CSRs still
 * describe the latest trap as long as interrupts stay off. Caller must be handling a
 * trap on this hart with interrupts off and must not have trapped since (an ebreak or a
 * fault would overwrite them).
 */
void trap_read_csrs(struct trapframe *tf);

/*
 * Makes tf the state of a program about to start in user mode: pc = entry, sp = sp,
 * every other register 0, and sstatus set to return to user mode with interrupts on.
 * Caller must own tf.
 */
void trapframe_init_user(struct trapframe *tf, uintptr_t entry, uintptr_t sp);

/*
 * Leaves the kernel for the program whose state tf holds (kernel/hal/trap_entry.S).
 * Caller must have interrupts off, tf at the top of the running thread's kernel stack,
 * tf set up to return to user mode, and this hart translating through the program's
 * address space.
 */
__attribute__((noreturn)) void trap_return_to_user(struct trapframe *tf);
