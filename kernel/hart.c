/*
 * The per-hart table and the boot stacks that kernel/hal/entry.S switches to.
 */
#include "hart.h"

struct hart harts[MAX_HARTS];
uint8_t boot_stacks[MAX_HARTS][KSTACK_SIZE] __attribute__((aligned(16)));
uint32_t boot_hart_id;

/* Caller must be hart `hartid`, running on boot_stacks[hartid], with hartid < MAX_HARTS. */
void hart_bind(uint32_t hartid)
{
	struct hart *h = &harts[hartid];
	h->id = hartid;
	h->stack_lo = (uintptr_t)boot_stacks[hartid];
	h->stack_hi = h->stack_lo + KSTACK_SIZE;
	cpu_set_hart_pointer(h);
	h->online = true;
}
