/*
 * context_switch(save, load): the one place where a hart stops running one kernel
 * context and starts another (kernel/hal/context.h has the contract and the layout).
 *
 * It is a plain function call as far as the compiler knows, so it saves exactly the
 * registers the RISC-V calling convention says a callee must preserve: ra (where to go
 * back), sp, and s0-s11. Everything else is caller-saved: the code that called
 * context_switch() has already put what it needs on its own stack.
 */
#include "hal/asm.h"

	.section .text
	.balign 4
	.globl context_switch
context_switch:
	/* a0 = struct context *save, a1 = const struct context *load */
	// LAB sched: BEGIN
	sd	ra, CTX_RA(a0)
	sd	sp, CTX_SP(a0)
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	sd	s\n, CTX_S(\n)(a0)
	.endr

	ld	ra, CTX_RA(a1)
	ld	sp, CTX_SP(a1)
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	ld	s\n, CTX_S(\n)(a1)
	.endr
	// LAB sched: STUB
	// /* Your code here: see docs/labs/4-sched.md. */
	// call	context_switch_missing
	// LAB sched: END
	ret

/*
 * The first instructions of a fresh context (context_init()): calls the entry function
 * held in s1, with s0 (the frame pointer) still 0. This is the outermost frame of every
 * thread: the zero frame pointer ends the kernel's backtraces here, and .cfi_undefined
 * tells GDB that there is nothing further to unwind.
 */
	.globl context_start
context_start:
	.cfi_startproc
	.cfi_undefined ra
	jalr	s1
	/* Entry functions never return; if one does, say so. */
	call	context_entry_returned
	.cfi_endproc
