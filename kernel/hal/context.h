/*
 * A saved kernel context: what a thread (or a hart's scheduler loop) needs to resume
 * after context_switch() moved the hart elsewhere. Only the registers the calling
 * convention makes callee-saved are here: context_switch() is an ordinary function
 * call, so the compiler has already saved every caller-saved register its caller still
 * needs before the call, on the stack that sp leaves behind.
 *
 * tp and gp are not part of a context: gp is the same for the whole kernel, and tp
 * names the hart (kernel/hart/hart.h), not the thread, so it must stay with the hart when
 * a thread moves to another one.
 */
#pragma once

/* kernel/hal/context_switch.S reaches these fields through offsets generated from
   this struct (kernel/hal/asm.h). */
#include <stddef.h>
#include <stdint.h>

struct context {
	uint64_t ra; /* where context_switch() returns to when this context resumes */
	uint64_t sp;
	uint64_t s[12]; /* s0 (the frame pointer) .. s11 */
};

/* The assembly stores whole registers: no padding, each slot one x register. */
_Static_assert(sizeof(struct context) == 14 * sizeof(uint64_t), "context has no padding");

/*
 * Saves the callee-saved registers of the caller in *save, loads those of *load and
 * returns into *load: to where *load's owner called context_switch(), or, for a fresh
 * context, to its entry (context_init()). The call "returns" only when some later
 * context_switch() loads *save again, possibly on another hart.
 *
 * Caller must have interrupts off (a trap in the middle would see half of each
 * context), must have told the trap entry about the stack it is switching to
 * (hart_set_stack()), and *load must hold a context saved by context_switch() or made
 * by context_init() that no hart is running.
 */
void context_switch(struct context *save, const struct context *load);

/*
 * The first code of a fresh context: calls the entry function in s1 (context_switch.S).
 * Never called: context_init() stores its address as a fresh context's ra, and only
 * context_switch() "returns" to it.
 */
void context_start(void);

/*
 * Called by context_start if a context's entry function returns, on that context's
 * stack; defined above the HAL (kernel/sched), and must not return either (a panic).
 */
__attribute__((noreturn)) void context_entry_returned(void);

/*
 * Makes *ctx a fresh context that, once loaded by context_switch(), calls entry() on
 * the stack whose top (highest address) is stack_top, with a zero frame pointer so that
 * backtraces end there. Caller must pass a 16-byte-aligned stack_top of a stack no one
 * else uses; entry() must never return (there is nothing to return to).
 */
static inline void context_init(struct context *ctx, void (*entry)(void), uintptr_t stack_top)
{
	*ctx = (struct context){.ra = (uintptr_t)context_start, .sp = stack_top};
	ctx->s[1] = (uintptr_t)entry;
}
