/*
 * The per-hart table and the boot stacks that kernel/hal/entry.S switches to.
 */
#include "hart/hart.h"

#include "hal/atomic.h"
#include "hal/trapframe.h"
#include "lib/format.h"

struct hart harts[MAX_HARTS];
uint8_t boot_stacks[MAX_HARTS][KSTACK_SIZE] __attribute__((aligned(16)));
uint32_t boot_hart_id;

/* Caller must be hart `hartid`, running on boot_stacks[hartid], with hartid < MAX_HARTS. */
void hart_bind(uint32_t hartid)
{
	struct hart *h = &harts[hartid];
	h->id = hartid;
	hart_set_stack(h, (uintptr_t)boot_stacks[hartid],
	               (uintptr_t)boot_stacks[hartid] + KSTACK_SIZE);
	cpu_set_hart_pointer(h);
	h->online = true;
}

void hart_set_stack(struct hart *h, uintptr_t lo, uintptr_t hi)
{
	h->entry.stack_lo = lo;
	h->entry.stack_hi = hi;
	h->entry.trap_sp_min = lo + KSTACK_GUARD + sizeof(struct trapframe) + TRAP_STACK_RESERVE;
	h->entry.stack_canary = STACK_CANARY;
	/* Sound: the guard band is part of the caller's stack and never used as stack. */
	*stack_canary_slot(lo) = STACK_CANARY;
}

int hart_describe(const struct hart *h, char *buf, size_t size)
{
	switch (atomic_load_relaxed(&h->activity)) {
	case HART_OFFLINE:
		return snprintf(buf, size, "offline");
	case HART_STARTING:
		return snprintf(buf, size, "starting");
	case HART_PARKED:
		return snprintf(buf, size, "parked");
	case HART_HALTED:
		return snprintf(buf, size, "halted");
	case HART_WORKING:
		if (h->id == boot_hart_id)
			return snprintf(buf, size, "running boot and tests");
		return snprintf(buf, size, "running %pS", h->work.fn);
	}
	return snprintf(buf, size, "in an unknown state");
}
