/*
 * irq_push() and irq_pop(): interrupt nesting per hart, on top of the HAL's
 * cpu_irq_save() and cpu_irq_restore(). See kernel/sync/irqnest.h.
 */
#include "sync/irqnest.h"

#include "debug/lab.h"
#include "debug/panic.h"
#include "hal/cpu.h"
#include "hart/hart.h"

void irq_push(void)
{
	// LAB lock: BEGIN
	/*
	 * Interrupts off first, then touch the per-hart state: a handler that ran between
	 * the two could push and pop on this hart and leave a stale saved state behind.
	 */
	irq_state_t was = cpu_irq_save();
	struct hart *h = this_hart();
	if (h->irq_depth == 0)
		h->irq_saved = was;
	h->irq_depth++;
	// LAB lock: STUB
	// /* Your code here: see docs/labs/3-lock.md. */
	// lab_missing("spinlocks", "docs/labs/3-lock.md");
	// LAB lock: END
}

void irq_pop(void)
{
	// LAB lock: BEGIN
	struct hart *h = this_hart();
	if (cpu_irq_enabled())
		panic("irq_pop: interrupts are on at depth %u: something turned them on inside a "
		      "section that needs them off (irq_pop called from %pS)",
		      h->irq_depth, __builtin_return_address(0));
	if (h->irq_depth == 0)
		panic("irq_pop: no irq_push() to undo on hart %u (called from %pS)", h->id,
		      __builtin_return_address(0));
	if (--h->irq_depth == 0)
		cpu_irq_restore(h->irq_saved);
	// LAB lock: STUB
	// /* Your code here: see docs/labs/3-lock.md. */
	// lab_missing("spinlocks", "docs/labs/3-lock.md");
	// LAB lock: END
}

uint32_t irq_depth(void)
{
	return this_hart()->irq_depth;
}
