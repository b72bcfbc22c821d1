/*
 * The write-ahead log (kernel/fs/log.h): admitting operations, group commit, the commit
 * itself and recovery. The commit, log_write() and recovery are lab 8's
 * (docs/labs/8-fs.md); the rest is given.
 *
 * On the disk (blocks of the superblock's log region):
 *
 *   log_start      log_start+1   log_start+2         log_start+nlog-1
 *   +------------+-------------+-------------+-----+-------------+
 *   | header:    | copy 0      | copy 1      | ... | copy 29     |
 *   | count,     | (new data   | (new data   |     |             |
 *   | blocks[30] | of blocks[0]| of blocks[1]|     |             |
 *   +------------+-------------+-------------+-----+-------------+
 */
#include "fs/log.h"

#include <stddef.h>

#include "debug/panic.h"
#include "dev/console.h"
#include "fs/bcache.h"
#include "fs/disk.h"
#include "fs/errno.h"
#include "fs/super.h"
#include "lib/string.h"
#include "sched/sleep.h"
#include "sync/spinlock.h"

static struct {
	struct spinlock lock;    /* everything below but the header buffer */
	uint32_t start;          /* the header's block */
	uint32_t capacity;       /* copies the log holds */
	uint32_t first_loggable; /* blocks below this (boot, superblock, log) are never logged */
	uint32_t nblocks;
	uint32_t outstanding; /* operations between log_begin() and log_end() */
	uint32_t reserved;    /* blocks promised to operations since the last commit */
	bool committing;
	bool failed; /* a commit failed: no more transactions until the next mount */
	/* The running transaction: count blocks, their home numbers and their buffers. */
	uint32_t count;
	uint32_t blocks[FS_LOG_MAX];
	struct buf *bufs[FS_LOG_MAX];
	struct log_stats stats;
} log = {.lock = SPINLOCK_INIT("log")};

/* The header block as read or written; only the committer or the mount uses it. */
static uint8_t header_block[FS_BLOCK_SIZE] __attribute__((aligned(64)));

/* ---- Helpers for the commit and recovery ---- */

/*
 * Writes the data of from[i] to block to[i] for each i < n, all in flight at once, and
 * returns when all are on the disk: 0 or -EIO.
 */
static int write_blocks(const uint32_t *to, struct buf *const *from, uint32_t n)
{
	struct disk_io ios[FS_LOG_MAX];
	for (uint32_t i = 0; i < n; i++)
		ios[i] = (struct disk_io){to[i], from[i]->data};
	return disk_rw_many(ios, (int)n, true);
}

/*
 * Writes the log header: count, and blocks[0..count) of the running transaction. The
 * header orders everything: the disk may keep completed writes in a cache and write them
 * out in any order, so every write before the header is flushed to stable storage first,
 * and a header with a count is flushed before any write after it. (A header of 0 needs no
 * flush after it: if it is lost, recovery installs the same blocks again.)
 */
static int write_header(uint32_t count)
{
	struct fs_log_header h = {.count = count};
	memcpy(h.blocks, log.blocks, count * sizeof h.blocks[0]);
	memset(header_block, 0, sizeof header_block);
	memcpy(header_block, &h, sizeof h);
	int err = disk_flush();
	if (err == 0)
		err = disk_write(log.start, header_block);
	if (err == 0 && count > 0)
		err = disk_flush();
	return err;
}

/*
 * Reads the log header into *h and checks it: a count the log can hold and block numbers
 * that may be logged. 0, -EIO, or -ECORRUPT with a line saying what is wrong.
 */
static int read_header(struct fs_log_header *h)
{
	int err = disk_read(log.start, header_block);
	if (err)
		return err;
	memcpy(h, header_block, sizeof *h);
	if (h->count > log.capacity)
		return fs_corrupt("log header counts %u blocks, but the log holds %u", h->count,
		                  log.capacity);
	for (uint32_t i = 0; i < h->count; i++)
		if (h->blocks[i] < log.first_loggable || h->blocks[i] >= log.nblocks)
			return fs_corrupt("log header entry %u is block %u, outside blocks %u-%u",
			                  i, h->blocks[i], log.first_loggable, log.nblocks - 1);
	return 0;
}

/* The block where copy i of a transaction goes. */
static uint32_t log_slot(uint32_t i)
{
	return log.start + 1 + i;
}

/* Marks the file system failed after a disk error in the middle of a change. */
static void fail(const char *what, int err)
{
	spin_lock(&log.lock);
	bool first = !log.failed;
	log.failed = true;
	spin_unlock(&log.lock);
	if (first)
		printf("sprout: fs: %s failed (%s): the file system refuses changes until the "
		       "next mount\n",
		       what, fs_strerror(err));
}

/* ---- The lab's part: recording, committing, recovering ---- */

void log_write(struct buf *b)
{
	// LAB fs: BEGIN
	spin_lock(&log.lock);
	if (log.outstanding == 0)
		panic("log_write of block %u outside a transaction", b->blockno);
	for (uint32_t i = 0; i < log.count; i++) {
		if (log.blocks[i] == b->blockno) {
			/* Already in the transaction: the commit writes its latest data. */
			log.stats.absorbed++;
			spin_unlock(&log.lock);
			return;
		}
	}
	if (log.count == log.capacity)
		panic("a transaction logs more than the log's %u blocks: an operation logged more "
		      "than it reserved",
		      log.capacity);
	log.blocks[log.count] = b->blockno;
	log.bufs[log.count] = b;
	log.count++;
	/* Keep it cached: until it is installed, the cache holds its only new copy. */
	bpin(b);
	spin_unlock(&log.lock);
	// LAB fs: STUB
	// /* No log yet: the block goes straight to its home, now. A crash between two
	//    writes of one operation leaves the operation half done. */
	// int err = bwrite(b);
	// if (err)
	// 	fail("a write", err);
	// LAB fs: END
}

/*
 * Writes the running transaction (log.count blocks: log.blocks[], log.bufs[]) so that
 * after a crash at any moment, the disk holds all of it or none of it. Returns 0 or the
 * first error.
 */
static int commit(void)
{
	// LAB fs: BEGIN
	uint32_t slots[FS_LOG_MAX];
	for (uint32_t i = 0; i < log.count; i++)
		slots[i] = log_slot(i);
	/* 1. The new contents into the log: nothing at home has changed yet. */
	int err = write_blocks(slots, log.bufs, log.count);
	/* 2. The commit point: from here on, recovery will install the transaction. */
	if (err == 0)
		err = write_header(log.count);
	/* 3. Install: each block to its home. A crash here is repaired by recovery. */
	if (err == 0)
		err = write_blocks(log.blocks, log.bufs, log.count);
	/* 4. The log is empty again: the next transaction may reuse it. */
	if (err == 0)
		err = write_header(0);
	return err;
	// LAB fs: STUB
	// /* log_write() has written every block already. */
	// (void)log_slot;
	// (void)write_header;
	// (void)write_blocks;
	// return 0;
	// LAB fs: END
}

/*
 * At mount: if the log header holds a committed transaction, copies each logged block
 * to its home, then clears the header. Must be correct when run again on the same disk
 * (a crash during recovery runs it again at the next mount). Returns 0, -EIO, or
 * -ECORRUPT for a header that cannot be right (read_header says so).
 */
static int recover(void)
{
	// LAB fs: BEGIN
	struct fs_log_header h;
	int err = read_header(&h);
	if (err || h.count == 0)
		return err;
	for (uint32_t i = 0; i < h.count && err == 0; i++) {
		struct buf *copy, *home;
		err = bread(log_slot(i), &copy);
		if (err)
			break;
		err = bget_blank(h.blocks[i], &home);
		if (err == 0) {
			memcpy(home->data, copy->data, FS_BLOCK_SIZE);
			err = bwrite(home);
			brelse(home);
		}
		brelse(copy);
	}
	if (err == 0)
		err = write_header(0);
	if (err == 0) {
		log.stats.recovered = h.count;
		printf("sprout: fs: recovered a committed transaction of %u blocks from the log\n",
		       h.count);
	}
	return err;
	// LAB fs: STUB
	// /* Without a log there is nothing to recover: say so once, at mount. */
	// (void)read_header;
	// printf("sprout: fs: file system without crash safety: see docs/labs/8-fs.md\n");
	// return 0;
	// LAB fs: END
}

/* True while the log above is the lab's stub (for the boot line and the tests). */
static bool crash_safe(void)
{
	// LAB fs: BEGIN
	return true;
	// LAB fs: STUB
	// return false;
	// LAB fs: END
}

/* ---- Given: admission, group commit, mount ---- */

int log_init(const struct fs_superblock *sb)
{
	spin_lock(&log.lock);
	log.start = sb->log_start;
	log.capacity = sb->nlog - 1 < FS_LOG_MAX ? sb->nlog - 1 : FS_LOG_MAX;
	log.first_loggable = sb->inode_start;
	log.nblocks = sb->nblocks;
	log.outstanding = log.reserved = log.count = 0;
	log.committing = log.failed = false;
	log.stats = (struct log_stats){.crash_safe = crash_safe()};
	spin_unlock(&log.lock);
	return recover();
}

uint32_t log_capacity(void)
{
	return log.capacity;
}

int log_begin(uint32_t blocks)
{
	if (blocks == 0 || blocks > log.capacity)
		return -EINVAL;
	spin_lock(&log.lock);
	for (;;) {
		if (log.failed) {
			spin_unlock(&log.lock);
			return -EIO;
		}
		/* Room for what it may log beside what is logged and promised already. */
		if (!log.committing && log.count + log.reserved + blocks <= log.capacity)
			break;
		sleep_on(&log, &log.lock);
	}
	log.outstanding++;
	log.reserved += blocks;
	spin_unlock(&log.lock);
	return 0;
}

uint32_t log_logged(void)
{
	spin_lock(&log.lock);
	uint32_t n = log.count;
	spin_unlock(&log.lock);
	return n;
}

int log_end(void)
{
	spin_lock(&log.lock);
	if (log.outstanding == 0)
		panic("log_end without log_begin");
	if (--log.outstanding > 0) {
		/* The last operation of this transaction commits it. */
		int err = log.failed ? -EIO : 0;
		spin_unlock(&log.lock);
		return err;
	}
	log.committing = true;
	bool failed = log.failed;
	spin_unlock(&log.lock);

	/* Alone now: no operation runs, none can start, and nobody changes a logged block. */
	int err = failed ? -EIO : 0;
	if (!failed && log.count > 0) {
		err = commit();
		if (err)
			fail("a commit", err);
	}
	for (uint32_t i = 0; i < log.count; i++)
		if (log.bufs[i])
			bunpin(log.bufs[i]);

	spin_lock(&log.lock);
	if (err == 0 && log.count > 0) {
		log.stats.commits++;
		log.stats.blocks += log.count;
	}
	log.count = 0;
	log.reserved = 0;
	log.committing = false;
	wakeup(&log);
	spin_unlock(&log.lock);
	return err;
}

struct log_stats log_stats(void)
{
	spin_lock(&log.lock);
	struct log_stats s = log.stats;
	spin_unlock(&log.lock);
	return s;
}
