/*
 * The virtio block device (virtio 1.x specification, section 5.2) over the virtio-mmio
 * transport (kernel/hal/virtio_mmio.h): one request queue, requests of whole 512-byte
 * sectors, many in flight at once.
 *
 * This driver never waits and takes no lock: dev/ sits below the locks and the
 * scheduler (docs/layout.md). Its user (kernel/fs/disk.c) serialises every call on one
 * device with a spinlock, puts a thread to sleep until its request is done, and calls
 * vblk_complete() from the device's interrupt, which hands each finished request back
 * through a callback.
 *
 *   vblk_submit(d, &req)    queues a request; the device works on it from here on
 *   (interrupt)             vblk_complete(d, done, ctx): done(&req, ctx) for each one
 *                           the device finished, with req.status set
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hal/virtio_mmio.h"

#define VBLK_SECTOR_SIZE  512
#define VBLK_QUEUE_SIZE   64   /* descriptors: a request takes 3, so 21 can be in flight */
#define VBLK_MEMORY_BYTES 4096 /* what vblk_init() needs for its rings: one page */

/* What became of a request (req.status once req.done). */
enum vblk_status {
	VBLK_OK = 0,      /* the device did it */
	VBLK_IOERR = 1,   /* the device says the transfer failed */
	VBLK_UNSUPP = 2,  /* the device does not do this kind of request */
	VBLK_BADREPLY = 3 /* the device wrote a status the specification does not define */
};

struct vblk_req {
	/* Set by the caller before vblk_submit(), then left alone until done. */
	uint64_t sector; /* first sector */
	void *data;      /* physical address = kernel address (the map is direct) */
	uint32_t len;    /* bytes, a whole number of sectors */
	bool write;      /* true: data goes to the disk */
	bool flush;      /* a flush instead (data, len, sector unused): every write the
			    device has completed is on stable storage once this one is done */
	void *owner;     /* the caller's, untouched by the driver */
	/* Set by the driver. */
	uint8_t status; /* enum vblk_status, valid once done */
	bool done;
	uint16_t head; /* the descriptor chain it occupies while in flight */
};

struct vblk_slot; /* per-chain request header and status byte, in the ring memory */

struct vblk {
	uintptr_t regs;
	uint64_t capacity; /* sectors, from the device's configuration */
	bool read_only;    /* the device offered VIRTIO_BLK_F_RO */
	bool can_flush;    /* it offered VIRTIO_BLK_F_FLUSH: it may cache writes, and a
			      flush request makes them durable */
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	struct vblk_slot *slots;    /* indexed by head descriptor */
	struct vblk_req **inflight; /* indexed by head descriptor */
	uint16_t free_head, nfree;  /* free descriptors, chained through desc.next */
	uint16_t used_seen;         /* used-ring entries already handed back */
	uint64_t submitted, completed, errors, bogus;
};

/*
 * Starts the block device in the virtio-mmio window at `regs` and gives it queue 0 in
 * `memory`. Returns NULL, or a sentence saying why not (an empty slot, another kind of
 * device, the legacy interface, a refused feature or queue); the device is left reset
 * and failed then. Caller must pass a mapped window from the device tree and
 * VBLK_MEMORY_BYTES of page-aligned memory at a physical address equal to its address,
 * which stays the device's for as long as it runs, and must not have the device's
 * interrupt enabled yet (or must hold the device's lock).
 */
const char *vblk_init(struct vblk *d, uintptr_t regs, void *memory);

enum vblk_submit_result {
	VBLK_QUEUED,  /* the device has it; done() will be called for it */
	VBLK_BUSY,    /* no free descriptors now: submit again after a completion */
	VBLK_REFUSED, /* a request the device cannot take (past the end, a write to a
			 read-only disk, a length that is not whole sectors, a flush to a
			 device without them): req.done is set, req.status is VBLK_IOERR,
			 done() will not be called */
};

/*
 * Queues req and tells the device. Caller must serialise every call on d (a lock
 * that the interrupt handler calling vblk_complete() takes too), keep req and its data
 * alive and untouched until done, and pass data at a physical address equal to its
 * kernel address.
 */
enum vblk_submit_result vblk_submit(struct vblk *d, struct vblk_req *req);

/*
 * The device's interrupt: acknowledges it and, for each request the device has finished,
 * sets its status and done and calls done(req, ctx). Returns the number finished. Caller
 * must serialise as for vblk_submit(); `done` runs with that serialisation held and must
 * not wait. Entries naming no request in flight (a misbehaving device) are counted in
 * d->bogus and skipped.
 */
int vblk_complete(struct vblk *d, void (*done)(struct vblk_req *req, void *ctx), void *ctx);

/* Descriptor chains free now (for tests and reports). */
int vblk_free_chains(const struct vblk *d);
