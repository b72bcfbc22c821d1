/*
 * Interrupt-context discipline, as one-line checks. A trap handler runs on whatever
 * stack and with whatever locks the interrupted code had: it must not sleep (nothing
 * could wake the code it interrupted), must not allocate (the allocator may be what it
 * interrupted), and must not take a lock that can block. Each hart counts the traps it
 * is handling (struct hart.trap_depth, kept by trap_handler()); anything that may sleep
 * or allocate starts with one of these checks:
 *
 *   void *boot_alloc(size_t size, size_t align)
 *   {
 *           assert_may_allocate();
 *
 * and a violation panics naming the operation and its caller, e.g.
 * "boot_alloc() called in interrupt context from uart_intr+0x2c".
 */
#pragma once

#include <stdbool.h>

#include "hart/hart.h"

/*
 * True while this hart is inside a trap handler (an interrupt or an exception). Any
 * context. Interrupts are off between reading tp and reading the depth: a thread
 * preempted between the two could resume on another hart and read the depth of the
 * hart it left, which is > 0 whenever that hart is handling a trap of its own.
 */
static inline bool in_trap_handler(void)
{
	irq_state_t irq = cpu_irq_save();
	bool in = this_hart()->trap_depth > 0;
	cpu_irq_restore(irq);
	return in;
}

/* Panics: `operation` was called in interrupt context from `caller` and may not `must_not`. */
__attribute__((noreturn)) void context_violation(const char *operation, const char *must_not,
                                                 void *caller);

#define assert_may_sleep()                                                                 \
	do {                                                                               \
		if (in_trap_handler())                                                     \
			context_violation(__func__, "sleep", __builtin_return_address(0)); \
	} while (0)

#define assert_may_allocate()                                                                 \
	do {                                                                                  \
		if (in_trap_handler())                                                        \
			context_violation(__func__, "allocate", __builtin_return_address(0)); \
	} while (0)
