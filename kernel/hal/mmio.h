/*
 * Memory-mapped device registers. Every access is volatile so the compiler neither
 * merges nor reorders it with other device accesses; on QEMU virt devices are
 * strongly ordered I/O regions, so no fence is needed between two accesses.
 */
#pragma once

#include <stdint.h>

/*
 * Caller must pass the address of a device register of this width, naturally aligned,
 * inside a region the device tree lists for that device, and must hold whatever lock
 * serialises that device.
 */
static inline uint8_t mmio_read8(uintptr_t addr)
{
	return *(volatile uint8_t *)addr;
}
static inline void mmio_write8(uintptr_t addr, uint8_t v)
{
	*(volatile uint8_t *)addr = v;
}
static inline uint32_t mmio_read32(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}
static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}
