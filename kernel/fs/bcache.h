/*
 * The buffer cache: BCACHE_NBUF copies of disk blocks in memory, so that a block read
 * twice is read from the disk once, and one place where each cached block lives, so
 * that two threads working on the same block see the same bytes.
 *
 *   struct buf *b;
 *   int err = bread(blockno, &b);      // b is locked, b->data holds the block
 *   if (err) return err;
 *   ... read or change b->data (a change goes through the log: log_write(b)) ...
 *   brelse(b);                         // unlocked; stays cached until recycled
 *
 * Each buffer has a sleeping lock (kernel/sched/mutex.h), held from bread() to brelse():
 * one thread at a time works on a block, and may sleep (on the disk) while it does.
 * Buffers nobody holds are recycled least recently used first. A buffer the log has
 * pinned (changed by a transaction not yet installed) is never recycled.
 *
 * The cache never writes by itself: blocks reach the disk through the log (or bwrite()).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "abi/fs_format.h"
#include "sched/mutex.h"

#define BCACHE_NBUF 64 /* 64 KiB: a transaction's 30 blocks pinned, and room besides */

struct buf {
	uint32_t blockno;
	bool valid;                /* data holds the block as the disk (or the log) has it */
	uint32_t refs;             /* threads holding or waiting for it; cache lock */
	uint32_t pins;             /* transactions that changed it and are not installed */
	struct mutex lock;         /* whoever holds it may use data */
	struct buf *newer, *older; /* the recycling order; cache lock */
	uint8_t data[FS_BLOCK_SIZE] __attribute__((aligned(64)));
};

/* Boot, once, scheduler phase. */
void bcache_init(void);

/*
 * The block, locked, with its contents: 0, or -EIO (the disk failed; a log line says
 * so), -ENOBUFS (every buffer is held or pinned). Caller must be a thread holding no
 * spinlock and not already holding this block.
 */
int bread(uint32_t blockno, struct buf **out);

/*
 * Like bread(), but without reading the disk: for a block the caller is about to
 * overwrite whole. Its data is whatever the buffer held (zero it or fill it).
 */
int bget_blank(uint32_t blockno, struct buf **out);

/* Writes b's data to its block now: 0 or -EIO. Caller must hold b (bread). */
int bwrite(struct buf *b);

/* Unlocks b and lets it be recycled once nobody else holds it. Caller must hold b. */
void brelse(struct buf *b);

/* The log keeps a changed block cached until it is installed. Caller must hold b. */
void bpin(struct buf *b);
/* Any thread; b need not be held (the log unpins after installing). */
void bunpin(struct buf *b);

/*
 * Drops the cached copy of blockno if nobody holds or pins it, so that the next bread()
 * reads the disk (for tests and benchmarks); returns whether it did.
 */
bool bcache_forget(uint32_t blockno);

struct bcache_stats {
	uint64_t hits, misses; /* bread()s served from memory, from the disk */
	uint32_t held, pinned; /* buffers held by a thread, pinned by the log now */
};
struct bcache_stats bcache_stats(void);
