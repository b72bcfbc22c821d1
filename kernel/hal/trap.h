/*
 * Pointing the hart's trap machinery at the kernel: stvec at kernel/hal/trap_entry.S
 * and sscratch at the hart's per-hart data, which the entry needs before it can trust
 * any register.
 */
#pragma once

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
