/*
 * The trap entry: stvec points here, so every interrupt and exception taken in S-mode
 * starts at trap_entry with interrupts off, sepc = where it happened and scause/stval
 * saying why. It saves the interrupted state in a struct trapframe (kernel/hal/
 * trapframe.h), calls trap_handler() in C, restores everything and returns with sret.
 *
 * It trusts no register of the interrupted code. sscratch holds this hart's
 * struct hart_entry (kernel/hal/trap_entry.h), which says where the hart's kernel stack
 * is. Before storing anything
 * on the interrupted stack, the entry checks that sp lies inside that stack with room
 * for a frame and the handler, and that the canary at the top of the stack's guard band
 * is intact. If not (a stack overflow), or if a trap arrives while the entry itself is
 * still saving state, it switches to the hart's emergency stack and the C side prints a
 * "double fault" report instead of the kernel corrupting memory or hanging.
 */
#include "config.h"
#include "hal/asm.h"

	.section .text
	.balign 4
	.globl trap_entry
trap_entry:
	/* sp = this hart's struct hart_entry; sscratch = the interrupted sp. */
	csrrw	sp, sscratch, sp
	sd	t0, ENTRY_SCRATCH0(sp)
	sd	t1, ENTRY_SCRATCH1(sp)
	ld	t0, ENTRY_BUSY(sp)
	bnez	t0, .Lnested_entry
	li	t0, 1
	sd	t0, ENTRY_BUSY(sp)

	/*
	 * From user mode (SPP clear): the interrupted sp is the program's and means
	 * nothing here. The frame goes at the top of the kernel stack of the thread that
	 * runs the program, which is empty while the program runs (lab 7).
	 */
	csrr	t0, sstatus
	andi	t0, t0, ASM_SSTATUS_SPP
	bnez	t0, .Lfrom_kernel
	ld	t0, ENTRY_STACK_HI(sp)
	addi	t0, t0, -TRAPFRAME_SIZE
	j	.Lhave_frame

.Lfrom_kernel:
	/* Room on the interrupted stack for a frame plus what the handler needs? */
	csrr	t0, sscratch
	ld	t1, ENTRY_STACK_HI(sp)
	bgtu	t0, t1, .Lbad_stack
	ld	t1, ENTRY_TRAP_SP_MIN(sp)
	bltu	t0, t1, .Lbad_stack
	/* An intact canary says the stack never overflowed since the last trap. */
	ld	t1, ENTRY_STACK_LO(sp)
	ld	t1, (KSTACK_GUARD - 8)(t1)
	ld	t0, ENTRY_STACK_CANARY(sp)
	bne	t0, t1, .Lbad_canary

	/* The frame goes right below the interrupted sp (kept 16-byte aligned). */
	csrr	t0, sscratch
	andi	t0, t0, -16
	addi	t0, t0, -TRAPFRAME_SIZE

.Lhave_frame:
	/*
	 * t0 = the frame, sp = struct hart_entry, sscratch = interrupted sp, the
	 * interrupted t0 and t1 parked in the struct hart_entry. Move those three into the
	 * frame, give sscratch back its struct hart_entry for the next trap, and run on the
	 * frame's stack.
	 */
	csrr	t1, sscratch
	sd	t1, TF_X(2)(t0)
	ld	t1, ENTRY_SCRATCH0(sp)
	sd	t1, TF_X(5)(t0)
	ld	t1, ENTRY_SCRATCH1(sp)
	sd	t1, TF_X(6)(t0)
	csrw	sscratch, sp
	mv	sp, t0

	/*
	 * Save the rest of the interrupted state into the frame at sp: every register
	 * not saved yet (all but sp, t0, t1) and sepc, sstatus, scause, stval.
	 */
	// LAB trap: BEGIN
	sd	x1, TF_X(1)(sp)
	.irp	n, 3, 4, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	sd	x\n, TF_X(\n)(sp)
	.endr
	csrr	t0, sepc
	sd	t0, TF_SEPC(sp)
	csrr	t0, sstatus
	sd	t0, TF_SSTATUS(sp)
	csrr	t0, scause
	sd	t0, TF_SCAUSE(sp)
	csrr	t0, stval
	sd	t0, TF_STVAL(sp)
	// LAB trap: STUB
	// /* Your code here: see docs/labs/2-trap.md. */
	// call	trap_entry_missing
	// LAB trap: END

	/*
	 * Everything is saved: C may run. tp = sscratch, this hart's per-hart pointer,
	 * whatever the interrupted code left in tp (the kernel's struct hart starts with
	 * the struct hart_entry); the interrupted s0 stays in s0, so backtraces from the handler
	 * continue into the interrupted code.
	 */
	csrr	tp, sscratch
	sd	zero, ENTRY_BUSY(tp)
	mv	a0, sp
	call	trap_handler

	/* trap_return_to_user() joins here with sp = a frame to return through. */
.Ltrap_exit:

	/*
	 * Restore the state from the frame at sp (trap_handler may have changed sepc,
	 * e.g. to step over an ebreak) and return to it. sp comes last: it is the base
	 * register of every load.
	 */
	// LAB trap: BEGIN
	ld	t0, TF_SEPC(sp)
	csrw	sepc, t0
	ld	t0, TF_SSTATUS(sp)
	csrw	sstatus, t0
	ld	x1, TF_X(1)(sp)
	.irp	n, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	ld	x\n, TF_X(\n)(sp)
	.endr
	ld	x2, TF_X(2)(sp)
	// LAB trap: STUB
	// /* Your code here: see docs/labs/2-trap.md. */
	// LAB trap: END
	sret

	/*
	 * The emergency path: record why, and build the frame at the top of this hart's
	 * emergency stack instead. A fault while a double fault is being reported (the
	 * emergency stack is busy) cannot be reported the same way: stop the machine.
	 */
.Lnested_entry:
	li	t0, FAULT_NESTED_ENTRY
	j	.Lemergency
.Lbad_stack:
	li	t0, FAULT_STACK_BOUNDS
	j	.Lemergency
.Lbad_canary:
	li	t0, FAULT_STACK_CANARY
.Lemergency:
	sd	t0, ENTRY_FAULT_REASON(sp)
	ld	t0, ENTRY_EMERGENCY_BUSY(sp)
	bnez	t0, .Ltriple_fault
	li	t0, 1
	sd	t0, ENTRY_EMERGENCY_BUSY(sp)
	ld	t0, ENTRY_EMERGENCY_TOP(sp)
	addi	t0, t0, -TRAPFRAME_SIZE
	j	.Lhave_frame

.Ltriple_fault:
	mv	tp, sp
	ld	sp, ENTRY_EMERGENCY_TOP(tp)
	mv	fp, zero
	call	trap_triple_fault
1:	wfi
	j	1b

	/*
	 * void trap_return_to_user(struct trapframe *tf): leaves the kernel for the program
	 * whose state tf holds, as if returning from a trap it took. Caller must have
	 * interrupts off, tf at the top of the running thread's kernel stack (where the
	 * entry puts a frame from user mode), tf->sstatus with SPP clear, and this hart
	 * translating through the program's address space (lab 7).
	 */
	.globl trap_return_to_user
trap_return_to_user:
	mv	sp, a0
	j	.Ltrap_exit
