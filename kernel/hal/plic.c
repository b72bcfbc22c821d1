/*
 * PLIC registers: priorities at base + 4 * source, the enable bits of context c at
 * base + 0x2000 + 0x80 * c, and its threshold and claim/complete registers at
 * base + 0x200000 + 0x1000 * c (PLIC specification, "Memory Map").
 */
#include "hal/plic.h"

#include "hal/mmio.h"

static uintptr_t plic_base;

#define PRIORITY(src)         (plic_base + 4 * (uintptr_t)(src))
#define ENABLE_WORD(ctx, src) (plic_base + 0x2000 + 0x80 * (uintptr_t)(ctx) + 4 * ((src) / 32))
#define THRESHOLD(ctx)        (plic_base + 0x200000 + 0x1000 * (uintptr_t)(ctx))
#define CLAIM(ctx)            (THRESHOLD(ctx) + 4)

void plic_init(uintptr_t base)
{
	plic_base = base;
}

void plic_set_priority(uint32_t source, uint32_t priority)
{
	mmio_write32(PRIORITY(source), priority);
}

void plic_enable(int context, uint32_t source)
{
	uintptr_t word = ENABLE_WORD(context, source);
	mmio_write32(word, mmio_read32(word) | 1u << (source % 32));
}

void plic_disable(int context, uint32_t source)
{
	uintptr_t word = ENABLE_WORD(context, source);
	mmio_write32(word, mmio_read32(word) & ~(1u << (source % 32)));
}

void plic_set_threshold(int context, uint32_t threshold)
{
	mmio_write32(THRESHOLD(context), threshold);
}

uint32_t plic_claim(int context)
{
	return mmio_read32(CLAIM(context));
}

void plic_complete(int context, uint32_t source)
{
	mmio_write32(CLAIM(context), source);
}
