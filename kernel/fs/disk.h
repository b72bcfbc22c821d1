/*
 * The disk as the file system sees it: an array of FS_BLOCK_SIZE-byte blocks that a
 * thread reads and writes, sleeping until the device is done. Below it is the virtio
 * block driver (kernel/dev/virtio_blk.h), which never waits; this file adds the lock,
 * the sleeping and the interrupt handler that wakes the sleepers.
 *
 * Several requests are in flight at once: each thread's, and every block of a
 * disk_rw_many() call, which submits them all before waiting for any.
 *
 * Every failure is an error return (-EIO) and a kernel log line, never a panic: a block
 * number past the disk's end, a write to a read-only disk, a status other than OK.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * Boot, once, paging on (the device's registers are mapped by the kernel map): finds the
 * first virtio block device among the device tree's virtio-mmio slots and starts it.
 * Returns 0, -ENODEV if there is none, or -EIO if one is there but would not start (a
 * line says why). The caller wires disk_irq() to disk_interrupt() before any I/O.
 */
int disk_probe(void);

bool disk_present(void);
uint32_t disk_irq(void);     /* the device's PLIC source */
uint32_t disk_nblocks(void); /* whole blocks on the disk, from the device's capacity */
bool disk_read_only(void);
const char *disk_describe(void); /* "virtio-blk at 0x10001000, irq 1" */

/* The device's interrupt (interrupt context): completes requests and wakes waiters. */
void disk_interrupt(void);

/* One block of a disk_rw_many() call. */
struct disk_io {
	uint32_t blockno;
	void *data; /* FS_BLOCK_SIZE bytes of RAM (the map is direct: it is DMA-able) */
};

/*
 * Reads or writes the blocks of ios[0..n), all in flight at once, and returns once the
 * device has finished every one: 0, or -EIO if any failed (each failure has its log
 * line; the others still happened). Writes pass through the crash points first
 * (kernel/fs/crash.h): one of them may stop the machine, after the writes before it
 * have completed. Caller must be a thread that holds no spinlock, and must keep the
 * data untouched until this returns.
 */
int disk_rw_many(const struct disk_io *ios, int n, bool write);

static inline int disk_read(uint32_t blockno, void *data)
{
	struct disk_io io = {blockno, data};
	return disk_rw_many(&io, 1, false);
}

static inline int disk_write(uint32_t blockno, void *data)
{
	struct disk_io io = {blockno, data};
	return disk_rw_many(&io, 1, true);
}

/*
 * Makes every write completed so far durable: 0, or -EIO. A disk with a write cache
 * (QEMU's, with the flush feature the driver accepts) may otherwise keep completed writes
 * in volatile memory and write them out in any order; the log flushes around its commit
 * point. A no-op on a disk without a cache. Caller as for disk_rw_many().
 */
int disk_flush(void);

struct disk_stats {
	uint64_t reads, writes; /* blocks */
	uint64_t flushes;
	uint64_t errors; /* requests that failed */
	uint64_t interrupts;
	uint32_t max_in_flight; /* most requests in flight at one time */
};
struct disk_stats disk_stats(void);

/*
 * For tests: the next `count` requests for block `blockno` fail as if the device had
 * reported an I/O error (count 0 stops it). Any thread.
 */
void disk_inject_error(uint32_t blockno, uint32_t count);
