/*
 * The table of device interrupt handlers and the claim/complete loop.
 */
#include "trap/irq.h"

#include "debug/context_check.h"
#include "debug/panic.h"
#include "dev/console.h"
#include "dev/platform.h"
#include "hal/cpu.h"
#include "hal/plic.h"
#include "hal/trapframe.h"
#include "hart/hart.h"
#include "lib/format.h"

#define IRQ_MAX 128

static struct {
	const char *name;
	void (*handler)(void);
	volatile uint64_t count;
} lines[IRQ_MAX];

static struct {
	uint64_t spurious;
	uint64_t unhandled;
} per_hart[MAX_HARTS];

static int my_context(void)
{
	return platform.plic_context[this_hart()->id];
}

void irq_init(void)
{
	if (platform.plic_base == 0)
		panic("the device tree lists no PLIC (riscv,plic0): no device interrupts");
	plic_init(platform.plic_base);
}

void irq_init_hart(void)
{
	int ctx = my_context();
	if (ctx < 0)
		panic("the PLIC has no S-mode context for hart %u in the device tree",
		      this_hart()->id);
	plic_set_threshold(ctx, 0);
	for (uint32_t src = 1; src < IRQ_MAX; src++)
		if (lines[src].handler)
			plic_enable(ctx, src);
	cpu_irq_source_enable(IRQ_S_EXTERNAL);
}

void irq_register(uint32_t source, const char *name, void (*handler)(void))
{
	assert_may_sleep();
	if (source == 0 || source >= IRQ_MAX)
		panic("irq_register(%u, %s): sources are 1 to %d", source, name, IRQ_MAX - 1);
	if (lines[source].handler)
		panic("irq_register(%u, %s): already taken by %s", source, name,
		      lines[source].name);
	lines[source].name = name;
	lines[source].handler = handler;
	plic_set_priority(source, 1);
	if (my_context() >= 0)
		plic_enable(my_context(), source);
}

void irq_external_interrupt(void)
{
	int ctx = my_context();
	uint32_t src = plic_claim(ctx);
	if (src == 0) {
		/* Another hart claimed it first, or the device dropped its line. */
		per_hart[this_hart()->id].spurious++;
		return;
	}
	do {
		if (src < IRQ_MAX && lines[src].handler) {
			lines[src].count++;
			lines[src].handler();
		} else {
			per_hart[this_hart()->id].unhandled++;
			plic_disable(ctx, src);
			printf("sprout: interrupt from PLIC source %u, which has no handler: "
			       "counted and masked on hart %u\n",
			       src, this_hart()->id);
		}
		plic_complete(ctx, src);
	} while ((src = plic_claim(ctx)) != 0);
}

uint64_t irq_count(uint32_t source)
{
	return source < IRQ_MAX ? lines[source].count : 0;
}

uint64_t irq_spurious(void)
{
	return per_hart[this_hart()->id].spurious;
}

uint64_t irq_unhandled(void)
{
	return per_hart[this_hart()->id].unhandled;
}

void irq_print_stats(void)
{
	/* One printf, so the line stays whole when other harts print too. */
	char sources[200] = "";
	size_t len = 0;
	for (uint32_t src = 1; src < IRQ_MAX && len < sizeof sources; src++)
		if (lines[src].handler)
			len += snprintf(sources + len, sizeof sources - len, " %s (source %u) %lu;",
			                lines[src].name, src, lines[src].count);
	printf("sprout: device interrupts on hart %u: %lu spurious, %lu unhandled;%s\n",
	       this_hart()->id, irq_spurious(), irq_unhandled(), sources);
}
