/*
 * The virtio block driver: feature negotiation, the request queue's descriptor chains,
 * and handing finished requests back (virtio 1.x specification sections 2.7, 3.1 and
 * 5.2). Locking and waiting are the caller's (kernel/dev/virtio_blk.h says why).
 *
 * A request is a chain of three descriptors: a 16-byte header the device reads (kind
 * and first sector), the data, and one status byte the device writes. The headers and
 * status bytes live in the same page as the rings, one per possible head descriptor,
 * so a request in flight needs no memory of its own beyond its data.
 */
#include "dev/virtio_blk.h"

#include <stddef.h>

#include "lib/string.h"

/* Block device feature bits (section 5.2.3) and request kinds (section 5.2.6). */
#define VIRTIO_BLK_F_RO    5 /* the disk is read-only */
#define VIRTIO_BLK_F_FLUSH 9 /* the device has a write cache and takes flush requests */
#define VIRTIO_BLK_T_IN    0
#define VIRTIO_BLK_T_OUT   1
#define VIRTIO_BLK_T_FLUSH 4

#define CONFIG_CAPACITY    0 /* u64 at offset 0 of the configuration: size in sectors */

/* Each in-flight chain's header and status, shared with the device. */
struct vblk_slot {
	struct {
		uint32_t type;
		uint32_t reserved;
		uint64_t sector;
	} header;
};
_Static_assert(sizeof(struct vblk_slot) == 16, "virtio_blk_req header layout");

/* Where each part lives in the page vblk_init() is given. */
#define OFF_DESC     0
#define OFF_AVAIL    (OFF_DESC + VIRTQ_DESC_BYTES(VBLK_QUEUE_SIZE))
#define OFF_USED     ((OFF_AVAIL + VIRTQ_AVAIL_BYTES(VBLK_QUEUE_SIZE) + 3) & ~3u)
#define OFF_SLOTS    ((OFF_USED + VIRTQ_USED_BYTES(VBLK_QUEUE_SIZE) + 15) & ~15u)
#define OFF_STATUS   (OFF_SLOTS + VBLK_QUEUE_SIZE * sizeof(struct vblk_slot))
#define OFF_INFLIGHT ((OFF_STATUS + VBLK_QUEUE_SIZE + 7) & ~7u)
#define OFF_END      (OFF_INFLIGHT + VBLK_QUEUE_SIZE * sizeof(struct vblk_req *))
_Static_assert(OFF_END <= VBLK_MEMORY_BYTES, "the rings do not fit in their page");
_Static_assert((VBLK_QUEUE_SIZE & (VBLK_QUEUE_SIZE - 1)) == 0, "queue size: a power of 2");

static uint8_t *status_byte(struct vblk *d, uint16_t head)
{
	return (uint8_t *)d->desc + OFF_STATUS + head;
}

/* The map is direct (lab 6): the address the kernel uses is the one the device uses. */
static uint64_t phys(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static const char *give_up(struct vblk *d, const char *why)
{
	virtio_mmio_add_status(d->regs, VIRTIO_STATUS_FAILED);
	return why;
}

const char *vblk_init(struct vblk *d, uintptr_t regs, void *memory)
{
	struct virtio_mmio_id id = virtio_mmio_identify(regs);
	if (id.magic != VIRTIO_MMIO_MAGIC)
		return "no virtio device answers there";
	if (id.device == VIRTIO_ID_NONE)
		return "empty slot";
	if (id.device != VIRTIO_ID_BLOCK)
		return "not a block device";
	if (id.version == 1)
		return "a legacy (version 1) virtio interface: start QEMU with "
		       "-global virtio-mmio.force-legacy=false";
	if (id.version != 2)
		return "an unknown virtio-mmio version";

	memset(d, 0, sizeof *d);
	d->regs = regs;
	/* Section 3.1.1: reset, acknowledge, driver, features, features OK, queues, OK. */
	if (!virtio_mmio_reset(regs))
		return "the device does not reset";
	virtio_mmio_add_status(regs, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_mmio_add_status(regs, VIRTIO_STATUS_DRIVER);
	uint64_t offered = virtio_mmio_device_features(regs);
	if (!(offered & (1ull << VIRTIO_F_VERSION_1)))
		return give_up(d, "the device does not offer VIRTIO_F_VERSION_1");
	/*
	 * Only what this driver uses: no indirect chains, no event index. Accepting FLUSH
	 * matters: a device whose driver does not (QEMU's) makes every write write-through,
	 * a host sync per block; with it, writes may be cached and a flush orders them.
	 */
	uint64_t wanted = (1ull << VIRTIO_F_VERSION_1) |
	                  (offered & (1ull << VIRTIO_BLK_F_RO | 1ull << VIRTIO_BLK_F_FLUSH));
	virtio_mmio_set_driver_features(regs, wanted);
	virtio_mmio_add_status(regs, VIRTIO_STATUS_FEATURES_OK);
	if (!(virtio_mmio_status(regs) & VIRTIO_STATUS_FEATURES_OK))
		return give_up(d, "the device refused the features this driver accepted");
	d->read_only = wanted & (1ull << VIRTIO_BLK_F_RO);
	d->can_flush = wanted & (1ull << VIRTIO_BLK_F_FLUSH);
	d->capacity = virtio_mmio_config64(regs, CONFIG_CAPACITY);

	uint32_t max = virtio_mmio_queue_max(regs, 0);
	if (max < VBLK_QUEUE_SIZE)
		return give_up(d, max == 0 ? "the device has no request queue"
		                           : "the device's request queue is too small");
	memset(memory, 0, VBLK_MEMORY_BYTES);
	uint8_t *base = memory;
	d->desc = (struct virtq_desc *)(base + OFF_DESC);
	d->avail = (struct virtq_avail *)(base + OFF_AVAIL);
	d->used = (struct virtq_used *)(base + OFF_USED);
	d->slots = (struct vblk_slot *)(base + OFF_SLOTS);
	d->inflight = (struct vblk_req **)(base + OFF_INFLIGHT);
	for (uint16_t i = 0; i < VBLK_QUEUE_SIZE; i++)
		d->desc[i].next = (uint16_t)(i + 1);
	d->free_head = 0;
	d->nfree = VBLK_QUEUE_SIZE;
	virtio_mmio_queue_setup(regs, 0, VBLK_QUEUE_SIZE, phys(d->desc), phys(d->avail),
	                        phys(d->used));
	virtio_mmio_add_status(regs, VIRTIO_STATUS_DRIVER_OK);
	if (virtio_mmio_status(regs) & VIRTIO_STATUS_NEEDS_RESET)
		return give_up(d, "the device needs a reset right after starting");
	return NULL;
}

static uint16_t take_desc(struct vblk *d)
{
	uint16_t i = d->free_head;
	d->free_head = d->desc[i].next;
	d->nfree--;
	return i;
}

static void put_desc(struct vblk *d, uint16_t i)
{
	d->desc[i] = (struct virtq_desc){.next = d->free_head};
	d->free_head = i;
	d->nfree++;
}

enum vblk_submit_result vblk_submit(struct vblk *d, struct vblk_req *req)
{
	uint64_t sectors = req->len / VBLK_SECTOR_SIZE;
	req->done = false;
	bool bad = req->flush ? !d->can_flush
	                      : req->len == 0 || req->len % VBLK_SECTOR_SIZE != 0 ||
	                                req->sector >= d->capacity ||
	                                sectors > d->capacity - req->sector ||
	                                (req->write && d->read_only);
	if (bad) {
		req->status = VBLK_IOERR;
		req->done = true;
		return VBLK_REFUSED;
	}
	if (d->nfree < 3)
		return VBLK_BUSY;

	/* header -> data -> status; a flush has no data. */
	uint16_t head = take_desc(d), data = req->flush ? 0 : take_desc(d), status = take_desc(d);
	d->slots[head].header.type = req->flush   ? VIRTIO_BLK_T_FLUSH
	                             : req->write ? VIRTIO_BLK_T_OUT
	                                          : VIRTIO_BLK_T_IN;
	d->slots[head].header.reserved = 0;
	d->slots[head].header.sector = req->flush ? 0 : req->sector;
	*status_byte(d, head) = 0xff; /* not a status the device would write */

	d->desc[head] = (struct virtq_desc){phys(&d->slots[head].header), 16, VIRTQ_DESC_F_NEXT,
	                                    req->flush ? status : data};
	if (!req->flush)
		d->desc[data] = (struct virtq_desc){
		        phys(req->data), req->len,
		        VIRTQ_DESC_F_NEXT | (req->write ? 0 : VIRTQ_DESC_F_WRITE), status};
	d->desc[status] = (struct virtq_desc){phys(status_byte(d, head)), 1, VIRTQ_DESC_F_WRITE, 0};
	req->head = head;
	d->inflight[head] = req;

	/* The chain must be complete before the device can see it in the ring. */
	uint16_t idx = d->avail->idx;
	d->avail->ring[idx % VBLK_QUEUE_SIZE] = head;
	virtio_fence();
	*(volatile uint16_t *)&d->avail->idx = (uint16_t)(idx + 1);
	virtio_mmio_notify(d->regs, 0);
	d->submitted++;
	return VBLK_QUEUED;
}

/* Frees the chain starting at head; stops at a loop or an out-of-range link. */
static void free_chain(struct vblk *d, uint16_t head)
{
	uint16_t i = head;
	for (int n = 0; n < 3; n++) {
		uint16_t flags = d->desc[i].flags, next = d->desc[i].next;
		put_desc(d, i);
		if (!(flags & VIRTQ_DESC_F_NEXT) || next >= VBLK_QUEUE_SIZE)
			break;
		i = next;
	}
}

int vblk_complete(struct vblk *d, void (*done)(struct vblk_req *req, void *ctx), void *ctx)
{
	virtio_mmio_ack_interrupt(d->regs);
	int finished = 0;
	for (;;) {
		uint16_t device_idx = *(volatile uint16_t *)&d->used->idx;
		if (device_idx == d->used_seen)
			break;
		/* The entry the index covers was written before the index. */
		virtio_fence();
		struct virtq_used_elem e = d->used->ring[d->used_seen % VBLK_QUEUE_SIZE];
		d->used_seen++;
		struct vblk_req *req = e.id < VBLK_QUEUE_SIZE ? d->inflight[e.id] : NULL;
		if (req == NULL) {
			d->bogus++;
			continue;
		}
		d->inflight[e.id] = NULL;
		uint8_t s = *(volatile uint8_t *)status_byte(d, (uint16_t)e.id);
		free_chain(d, (uint16_t)e.id);
		req->status = s <= VBLK_UNSUPP ? s : VBLK_BADREPLY;
		if (req->status != VBLK_OK)
			d->errors++;
		req->done = true;
		d->completed++;
		finished++;
		done(req, ctx);
	}
	return finished;
}

int vblk_free_chains(const struct vblk *d)
{
	return d->nfree / 3;
}
