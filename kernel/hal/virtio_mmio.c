/*
 * virtio-mmio version 2 registers (virtio 1.x specification, section 4.2.2): the only
 * code that knows their offsets. The callers' contracts are in virtio_mmio.h.
 */
#include "hal/virtio_mmio.h"

#include "hal/mmio.h"

/* Register offsets from the window's base. */
enum {
	REG_MAGIC = 0x000,
	REG_VERSION = 0x004,
	REG_DEVICE_ID = 0x008,
	REG_VENDOR_ID = 0x00c,
	REG_DEVICE_FEATURES = 0x010,
	REG_DEVICE_FEATURES_SEL = 0x014,
	REG_DRIVER_FEATURES = 0x020,
	REG_DRIVER_FEATURES_SEL = 0x024,
	REG_QUEUE_SEL = 0x030,
	REG_QUEUE_NUM_MAX = 0x034,
	REG_QUEUE_NUM = 0x038,
	REG_QUEUE_READY = 0x044,
	REG_QUEUE_NOTIFY = 0x050,
	REG_INTERRUPT_STATUS = 0x060,
	REG_INTERRUPT_ACK = 0x064,
	REG_STATUS = 0x070,
	REG_QUEUE_DESC_LOW = 0x080,
	REG_QUEUE_DESC_HIGH = 0x084,
	REG_QUEUE_DRIVER_LOW = 0x090,
	REG_QUEUE_DRIVER_HIGH = 0x094,
	REG_QUEUE_DEVICE_LOW = 0x0a0,
	REG_QUEUE_DEVICE_HIGH = 0x0a4,
	REG_CONFIG_GENERATION = 0x0fc,
	REG_CONFIG = 0x100,
};

static uint32_t rd(uintptr_t base, uint32_t reg)
{
	return mmio_read32(base + reg);
}

static void wr(uintptr_t base, uint32_t reg, uint32_t v)
{
	mmio_write32(base + reg, v);
}

void virtio_fence(void)
{
	/* Memory and device I/O alike: ring writes before the notify register's store. */
	__asm__ volatile("fence iorw, iorw" ::: "memory");
}

struct virtio_mmio_id virtio_mmio_identify(uintptr_t base)
{
	return (struct virtio_mmio_id){rd(base, REG_MAGIC), rd(base, REG_VERSION),
	                               rd(base, REG_DEVICE_ID), rd(base, REG_VENDOR_ID)};
}

bool virtio_mmio_reset(uintptr_t base)
{
	wr(base, REG_STATUS, 0);
	/* QEMU resets at once; the loop is what the specification asks of a driver. */
	for (int tries = 0; tries < 1000000; tries++)
		if (rd(base, REG_STATUS) == 0)
			return true;
	return false;
}

void virtio_mmio_add_status(uintptr_t base, uint32_t bits)
{
	wr(base, REG_STATUS, rd(base, REG_STATUS) | bits);
}

uint32_t virtio_mmio_status(uintptr_t base)
{
	return rd(base, REG_STATUS);
}

uint64_t virtio_mmio_device_features(uintptr_t base)
{
	wr(base, REG_DEVICE_FEATURES_SEL, 0);
	uint64_t lo = rd(base, REG_DEVICE_FEATURES);
	wr(base, REG_DEVICE_FEATURES_SEL, 1);
	uint64_t hi = rd(base, REG_DEVICE_FEATURES);
	return hi << 32 | lo;
}

void virtio_mmio_set_driver_features(uintptr_t base, uint64_t features)
{
	wr(base, REG_DRIVER_FEATURES_SEL, 0);
	wr(base, REG_DRIVER_FEATURES, (uint32_t)features);
	wr(base, REG_DRIVER_FEATURES_SEL, 1);
	wr(base, REG_DRIVER_FEATURES, (uint32_t)(features >> 32));
}

uint32_t virtio_mmio_queue_max(uintptr_t base, uint32_t q)
{
	wr(base, REG_QUEUE_SEL, q);
	/* A queue already in use must not be set up again. */
	if (rd(base, REG_QUEUE_READY) != 0)
		return 0;
	return rd(base, REG_QUEUE_NUM_MAX);
}

void virtio_mmio_queue_setup(uintptr_t base, uint32_t q, uint32_t size, uint64_t desc,
                             uint64_t avail, uint64_t used)
{
	wr(base, REG_QUEUE_SEL, q);
	wr(base, REG_QUEUE_NUM, size);
	wr(base, REG_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(base, REG_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	wr(base, REG_QUEUE_DRIVER_LOW, (uint32_t)avail);
	wr(base, REG_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
	wr(base, REG_QUEUE_DEVICE_LOW, (uint32_t)used);
	wr(base, REG_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
	/* The zeroed rings must be in memory before the device may look at them. */
	virtio_fence();
	wr(base, REG_QUEUE_READY, 1);
}

void virtio_mmio_notify(uintptr_t base, uint32_t q)
{
	virtio_fence();
	wr(base, REG_QUEUE_NOTIFY, q);
}

uint32_t virtio_mmio_ack_interrupt(uintptr_t base)
{
	uint32_t bits = rd(base, REG_INTERRUPT_STATUS);
	if (bits)
		wr(base, REG_INTERRUPT_ACK, bits);
	return bits;
}

uint32_t virtio_mmio_config32(uintptr_t base, uint32_t offset)
{
	uint32_t gen, v;
	do {
		gen = rd(base, REG_CONFIG_GENERATION);
		v = rd(base, REG_CONFIG + offset);
	} while (rd(base, REG_CONFIG_GENERATION) != gen);
	return v;
}

uint64_t virtio_mmio_config64(uintptr_t base, uint32_t offset)
{
	uint32_t gen;
	uint64_t lo, hi;
	do {
		gen = rd(base, REG_CONFIG_GENERATION);
		lo = rd(base, REG_CONFIG + offset);
		hi = rd(base, REG_CONFIG + offset + 4);
	} while (rd(base, REG_CONFIG_GENERATION) != gen);
	return hi << 32 | lo;
}
