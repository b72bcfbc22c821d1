/*
 * The report of an interrupt-context violation (kernel/debug/context_check.h).
 */
#include "debug/context_check.h"

#include "debug/panic.h"
#include "hal/cpu.h"

void context_violation(const char *operation, const char *must_not, void *caller)
{
	/* Interrupts off before naming the hart, so the report cannot name one it left. */
	cpu_irq_disable();
	struct hart *h = this_hart();
	panic("%s() called in interrupt context from %pS (hart %u, trap depth %d: a trap "
	      "handler must not %s)",
	      operation, caller, h->id, h->trap_depth, must_not);
}
