/*
 * The trap side of the memory probes (kernel/hal/probe.h).
 */
#include "hal/probe.h"

#include "hal/trapframe.h"

extern char probe_load_insn[], probe_store_insn[], probe_faulted[];

bool probe_fixup(struct trapframe *tf)
{
	if (trap_is_interrupt(tf))
		return false;
	if (tf->sepc != (uintptr_t)probe_load_insn && tf->sepc != (uintptr_t)probe_store_insn)
		return false;
	tf->sepc = (uintptr_t)probe_faulted;
	return true;
}
