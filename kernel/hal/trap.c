/*
 * The CSR side of traps: installing the vector and naming causes.
 */
#include "hal/trap.h"

#include <stdint.h>

#include "hal/csr.h"
#include "hal/trap_entry.h"
#include "hal/trapframe.h"

void trap_vector_install(void *per_hart)
{
	csr_write(sscratch, (uintptr_t)per_hart);
	/* Direct mode (low bits 00): every trap enters at trap_entry, which is 4-aligned. */
	csr_write(stvec, (uintptr_t)trap_entry);
}

void trap_read_csrs(struct trapframe *tf)
{
	tf->sepc = csr_read(sepc);
	tf->sstatus = csr_read(sstatus);
	tf->scause = csr_read(scause);
	tf->stval = csr_read(stval);
}

bool trap_from_kernel(const struct trapframe *tf)
{
	return tf->sstatus & SSTATUS_SPP;
}

static const char *const exception_names[] = {
        [EXC_INSN_MISALIGNED] = "instruction address misaligned",
        [EXC_INSN_ACCESS] = "instruction access fault",
        [EXC_ILLEGAL_INSN] = "illegal instruction",
        [EXC_BREAKPOINT] = "breakpoint",
        [EXC_LOAD_MISALIGNED] = "load address misaligned",
        [EXC_LOAD_ACCESS] = "load access fault",
        [EXC_STORE_MISALIGNED] = "store/AMO address misaligned",
        [EXC_STORE_ACCESS] = "store/AMO access fault",
        [EXC_ECALL_U] = "environment call from U-mode",
        [EXC_ECALL_S] = "environment call from S-mode",
        [EXC_INSN_PAGE_FAULT] = "instruction page fault",
        [EXC_LOAD_PAGE_FAULT] = "load page fault",
        [EXC_STORE_PAGE_FAULT] = "store/AMO page fault",
};

static const char *const interrupt_names[] = {
        [IRQ_S_SOFTWARE] = "supervisor software interrupt",
        [IRQ_S_TIMER] = "supervisor timer interrupt",
        [IRQ_S_EXTERNAL] = "supervisor external interrupt",
};

const char *trap_cause_name(const struct trapframe *tf)
{
	uint64_t code = trap_cause_code(tf);
	const char *name = NULL;
	if (trap_is_interrupt(tf)) {
		if (code < sizeof interrupt_names / sizeof interrupt_names[0])
			name = interrupt_names[code];
	} else if (code < sizeof exception_names / sizeof exception_names[0]) {
		name = exception_names[code];
	}
	return name ? name : "unknown cause";
}

void trapframe_init_user(struct trapframe *tf, uintptr_t entry, uintptr_t sp)
{
	*tf = (struct trapframe){.sepc = entry};
	tf->x[REG_SP] = sp;
	/* SPP clear: sret goes to user mode; SPIE set: with interrupts on there. */
	tf->sstatus = (csr_read(sstatus) & ~SSTATUS_SPP & ~SSTATUS_SIE) | SSTATUS_SPIE;
}
