/*
 * Blocking block I/O over the virtio block driver (kernel/fs/disk.h): the spinlock that
 * serialises the driver, threads sleeping on their requests, the interrupt handler that
 * finishes them, and the crash points on the write path.
 */
#include "fs/disk.h"

#include <stddef.h>

#include "abi/fs_format.h"
#include "dev/console.h"
#include "dev/platform.h"
#include "dev/virtio_blk.h"
#include "fs/crash.h"
#include "fs/errno.h"
#include "lib/format.h"
#include "mm/pages.h"
#include "sched/sleep.h"
#include "sync/spinlock.h"

#define SECTORS_PER_BLOCK (FS_BLOCK_SIZE / VBLK_SECTOR_SIZE)
#define MAX_BATCH         32 /* blocks one disk_rw_many() call keeps in flight */

static struct {
	struct spinlock lock; /* serialises the driver; the condition of every sleeper */
	struct vblk dev;
	bool present;
	uint32_t irq;
	uint32_t nblocks;
	char description[80];
	uint32_t in_flight;
	struct disk_stats stats;
	/* disk_inject_error(): requests for this block fail while count lasts */
	uint32_t bad_block, bad_count;
} disk = {.lock = SPINLOCK_INIT("disk")};

int disk_probe(void)
{
	for (int i = 0; i < platform.nvirtio; i++) {
		const struct platform_virtio *slot = &platform.virtio[i];
		struct virtio_mmio_id id = virtio_mmio_identify(slot->base);
		if (id.magic != VIRTIO_MMIO_MAGIC || id.device != VIRTIO_ID_BLOCK)
			continue;
		void *rings = page_alloc(0);
		if (rings == NULL) {
			printf("sprout: fs: no memory for the disk's rings\n");
			return -ENOMEM;
		}
		const char *why = vblk_init(&disk.dev, slot->base, rings);
		if (why) {
			page_free(rings, 0);
			printf("sprout: fs: virtio disk at 0x%lx: %s\n", (unsigned long)slot->base,
			       why);
			return -EIO;
		}
		disk.present = true;
		disk.irq = slot->irq;
		disk.nblocks = disk.dev.capacity / SECTORS_PER_BLOCK > UINT32_MAX
		                       ? UINT32_MAX
		                       : (uint32_t)(disk.dev.capacity / SECTORS_PER_BLOCK);
		snprintf(disk.description, sizeof disk.description,
		         "virtio-blk at 0x%lx, irq %u%s%s", (unsigned long)slot->base, slot->irq,
		         disk.dev.can_flush ? ", write cache" : "",
		         disk.dev.read_only ? ", read-only" : "");
		return 0;
	}
	return -ENODEV;
}

bool disk_present(void)
{
	return disk.present;
}

uint32_t disk_irq(void)
{
	return disk.irq;
}

uint32_t disk_nblocks(void)
{
	return disk.nblocks;
}

bool disk_read_only(void)
{
	return disk.dev.read_only;
}

const char *disk_describe(void)
{
	return disk.present ? disk.description : "no disk";
}

/* From vblk_complete(), with disk.lock held: the request's thread may go on. */
static void finished(struct vblk_req *req, void *ctx)
{
	(void)ctx;
	disk.in_flight--;
	wakeup(req);
}

void disk_interrupt(void)
{
	spin_lock(&disk.lock);
	disk.stats.interrupts++;
	if (disk.present && vblk_complete(&disk.dev, finished, NULL) > 0)
		wakeup(&disk.in_flight); /* descriptors came free */
	spin_unlock(&disk.lock);
}

/* With disk.lock held: queues req, sleeping while every descriptor is taken. */
static void submit(struct vblk_req *req)
{
	if (disk.bad_count && !req->flush &&
	    req->sector == (uint64_t)disk.bad_block * SECTORS_PER_BLOCK) {
		disk.bad_count--;
		req->status = VBLK_IOERR;
		req->done = true;
		return;
	}
	enum vblk_submit_result r;
	while ((r = vblk_submit(&disk.dev, req)) == VBLK_BUSY)
		sleep_on(&disk.in_flight, &disk.lock);
	if (r == VBLK_QUEUED && ++disk.in_flight > disk.stats.max_in_flight)
		disk.stats.max_in_flight = disk.in_flight;
}

/* With disk.lock held: sleeps until the device is done with req; 0 or -EIO. */
static int finish(struct vblk_req *req, bool write)
{
	while (!req->done)
		sleep_on(req, &disk.lock);
	uint32_t blockno = (uint32_t)(req->sector / SECTORS_PER_BLOCK);
	if (req->status == VBLK_OK)
		return 0;
	disk.stats.errors++;
	static const char *const why[] = {"ok", "I/O error", "unsupported request", "bad reply"};
	const char *what = req->status <= VBLK_BADREPLY ? why[req->status] : why[VBLK_BADREPLY];
	if (req->flush)
		printf("sprout: fs: disk flush failed: %s\n", what);
	else
		printf("sprout: fs: disk %s of block %u failed: %s\n", write ? "write" : "read",
		       blockno, what);
	return -EIO;
}

int disk_rw_many(const struct disk_io *ios, int n, bool write)
{
	if (!disk.present)
		return -ENODEV;
	int err = 0;
	for (int start = 0; start < n; start += MAX_BATCH) {
		struct vblk_req reqs[MAX_BATCH];
		int count = n - start < MAX_BATCH ? n - start : MAX_BATCH, submitted = 0;
		bool crash = false;
		spin_lock(&disk.lock);
		for (; submitted < count; submitted++) {
			const struct disk_io *io = &ios[start + submitted];
			/* Checked here, not only by the driver, so the log line names the block. */
			if (io->blockno >= disk.nblocks) {
				printf("sprout: fs: block %u is past the disk's end (%u blocks)\n",
				       io->blockno, disk.nblocks);
				err = -EIO;
				break;
			}
			if (write && crash_before_write(io->blockno, io->data)) {
				crash = true;
				break;
			}
			reqs[submitted] = (struct vblk_req){
			        .sector = (uint64_t)io->blockno * SECTORS_PER_BLOCK,
			        .data = io->data,
			        .len = FS_BLOCK_SIZE,
			        .write = write,
			};
			submit(&reqs[submitted]);
		}
		for (int i = 0; i < submitted; i++) {
			int e = finish(&reqs[i], write);
			if (e && !err)
				err = e;
		}
		if (write)
			disk.stats.writes += submitted;
		else
			disk.stats.reads += submitted;
		spin_unlock(&disk.lock);
		if (crash)
			crash_stop(); /* every write before the point has completed */
		if (err)
			break;
	}
	return err;
}

int disk_flush(void)
{
	if (!disk.present)
		return -ENODEV;
	if (!disk.dev.can_flush)
		return 0; /* no write cache: every completed write is durable already */
	struct vblk_req req = {.flush = true};
	spin_lock(&disk.lock);
	submit(&req);
	int err = finish(&req, true);
	disk.stats.flushes++;
	spin_unlock(&disk.lock);
	return err;
}

struct disk_stats disk_stats(void)
{
	spin_lock(&disk.lock);
	struct disk_stats s = disk.stats;
	spin_unlock(&disk.lock);
	return s;
}

void disk_inject_error(uint32_t blockno, uint32_t count)
{
	spin_lock(&disk.lock);
	disk.bad_block = blockno;
	disk.bad_count = count;
	spin_unlock(&disk.lock);
}
