/*
 * The virtio-mmio transport, version 2 (the "modern" interface of the virtio 1.x
 * specification, section 4.2.2), and the split virtqueue's memory layout (section 2.7)
 * that a driver shares with the device. Only this file and virtio_mmio.c know the
 * register offsets; drivers above (kernel/dev/virtio_blk.c) call the functions below.
 *
 * QEMU 7.2 presents the legacy interface (version 1) unless it is started with
 * `-global virtio-mmio.force-legacy=false`; virtio_mmio_identify() tells them apart.
 *
 * Every register is 32 bits wide and little-endian, like the hart, and every structure
 * below is little-endian in memory: the layouts are pinned with _Static_assert.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define VIRTIO_MMIO_MAGIC 0x74726976 /* "virt" in the first register */

/* Device IDs (specification section 5). 0 marks an empty slot. */
#define VIRTIO_ID_NONE  0
#define VIRTIO_ID_BLOCK 2

/* Device status bits (section 2.1), written in this order while a driver starts. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1   /* the driver has noticed the device */
#define VIRTIO_STATUS_DRIVER      2   /* and knows how to drive it */
#define VIRTIO_STATUS_DRIVER_OK   4   /* the driver is ready: the device may work */
#define VIRTIO_STATUS_FEATURES_OK 8   /* the driver accepted the features it wrote */
#define VIRTIO_STATUS_NEEDS_RESET 64  /* the device gave up: reset it */
#define VIRTIO_STATUS_FAILED      128 /* the driver gave up on the device */

/* Feature bits every device type shares (section 6). */
#define VIRTIO_F_VERSION_1 32 /* this is a 1.x device; a 1.x driver must accept it */

/* InterruptStatus bits (section 4.2.2). */
#define VIRTIO_INT_USED   1 /* the device put buffers in a used ring */
#define VIRTIO_INT_CONFIG 2 /* the device's configuration space changed */

/* ---- The split virtqueue (section 2.7): memory shared with the device ---- */

#define VIRTQ_DESC_F_NEXT  1 /* the chain goes on at `next` */
#define VIRTQ_DESC_F_WRITE 2 /* the device writes this buffer (otherwise it reads it) */

/* One buffer of a chain. The table of these must be 16-byte aligned. */
struct virtq_desc {
	uint64_t addr; /* physical address */
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc layout");

/* The driver's ring of chains it offers (2-byte aligned), `size` entries. */
struct virtq_avail {
	uint16_t flags;  /* 0: interrupt me when you use a buffer */
	uint16_t idx;    /* where the driver puts the next entry (free-running) */
	uint16_t ring[]; /* head descriptor of each chain offered; then a used_event word */
};
_Static_assert(sizeof(struct virtq_avail) == 4, "virtq_avail layout");

struct virtq_used_elem {
	uint32_t id;  /* head descriptor of the chain the device is done with */
	uint32_t len; /* bytes the device wrote into the chain */
};
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem layout");

/* The device's ring of chains it is done with (4-byte aligned), `size` entries. */
struct virtq_used {
	uint16_t flags;
	uint16_t idx;                  /* where the device puts the next entry (free-running) */
	struct virtq_used_elem ring[]; /* then an avail_event word */
};
_Static_assert(sizeof(struct virtq_used) == 4, "virtq_used layout");

/* Bytes of each part for a queue of `size` entries, the trailing event word included. */
#define VIRTQ_DESC_BYTES(size)  (16u * (size))
#define VIRTQ_AVAIL_BYTES(size) (6u + 2u * (size))
#define VIRTQ_USED_BYTES(size)  (6u + 8u * (size))

/* ---- The transport's registers ---- */

/* What a slot holds, read from its first registers. */
struct virtio_mmio_id {
	uint32_t magic;   /* VIRTIO_MMIO_MAGIC if a virtio device answers at all */
	uint32_t version; /* 2: the modern interface; 1: legacy */
	uint32_t device;  /* VIRTIO_ID_* */
	uint32_t vendor;
};

/*
 * Caller must pass the base of a virtio-mmio register window that the device tree lists
 * and the kernel map maps (readable from any hart). Reads only; safe on an empty slot.
 */
struct virtio_mmio_id virtio_mmio_identify(uintptr_t base);

/*
 * For every function below, caller must pass a mapped window as above holding a version
 * 2 device, and must hold whatever serialises that device (its driver's lock, or be the
 * boot code starting it before its interrupt is wired).
 */

/*
 * Resets the device (status 0) and waits until it reads back 0, as section 4.2.3.1
 * asks; false if it still has not after many reads (a broken device, not a hang).
 */
bool virtio_mmio_reset(uintptr_t base);

/* Sets these status bits, keeping those already set. */
void virtio_mmio_add_status(uintptr_t base, uint32_t bits);
uint32_t virtio_mmio_status(uintptr_t base);

/* The device's feature bits 0..63, and writing the driver's choice. */
uint64_t virtio_mmio_device_features(uintptr_t base);
void virtio_mmio_set_driver_features(uintptr_t base, uint64_t features);

/* Largest size queue `q` can have; 0 if the queue does not exist. */
uint32_t virtio_mmio_queue_max(uintptr_t base, uint32_t q);

/*
 * Gives queue `q` its size and the physical addresses of its three parts, then marks it
 * ready. Caller must pass memory that stays the device's until the next reset, aligned
 * as the structs above say, zeroed, and a size that is a power of 2 up to queue_max.
 */
void virtio_mmio_queue_setup(uintptr_t base, uint32_t q, uint32_t size, uint64_t desc,
                             uint64_t avail, uint64_t used);

/*
 * Tells the device that queue `q` has new entries in its available ring. Caller must
 * have written them (and the ring's idx) first: this function fences before the store,
 * so the device sees the ring before the notification.
 */
void virtio_mmio_notify(uintptr_t base, uint32_t q);

/* Reads InterruptStatus and acknowledges those bits; returns them (VIRTIO_INT_*). */
uint32_t virtio_mmio_ack_interrupt(uintptr_t base);

/*
 * Reads the 32-bit or 64-bit field at `offset` in the device-specific configuration
 * space, retrying until the configuration generation is the same before and after, so
 * that a 64-bit field is never torn by a change in between. Caller must pass a field
 * the device type defines, naturally aligned.
 */
uint32_t virtio_mmio_config32(uintptr_t base, uint32_t offset);
uint64_t virtio_mmio_config64(uintptr_t base, uint32_t offset);

/*
 * Orders the driver's writes to shared ring memory before later reads or writes of
 * shared memory or registers (and the device's writes before the driver's reads of
 * them, when the driver calls it after reading a used index). Any context.
 */
void virtio_fence(void);
