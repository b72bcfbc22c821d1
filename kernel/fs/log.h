/*
 * The write-ahead log: every change to the disk is part of a transaction, and a
 * transaction reaches the disk whole or not at all, whenever the machine stops.
 *
 *   int err = log_begin(FS_TX_SMALL);   // may wait for room in the log
 *   if (err) return err;
 *   ... bread(), change b->data, log_write(b), brelse(), as often as needed ...
 *   err = log_end();                    // the last operation to end commits
 *
 * log_write() does not write: it records that the cached block is part of the
 * transaction and keeps it cached (pinned). When the last operation of the transaction
 * ends, the commit writes the new contents of every recorded block to the log, then the
 * log header naming them (the commit point: one sector, written whole or not at all),
 * then each block to its home, then the header again with a count of 0. After a crash,
 * the mount finds a header with a count and copies the blocks home again (recovery);
 * a header without a count means the transaction never happened.
 *
 * Several operations may be in one transaction (group commit): log_begin() admits an
 * operation while the blocks it reserves fit in the log beside those already promised;
 * all of them commit together when the last ends. An operation must log no more
 * distinct blocks than it reserved.
 *
 * See docs/labs/8-fs.md for the on-disk picture and the lab's part of this file.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "abi/fs_format.h"

struct buf;

/* Reservations: the most distinct blocks an operation of each kind logs. */
#define FS_TX_SMALL  10 /* create, link, unlink, mkdir, an inode update */
#define FS_TX_WRITE  16 /* one piece of a file write or truncation (see inode.h) */
#define FS_TX_UNLINK 20 /* an unlink that frees a small file in the same transaction */

/*
 * At mount, with the superblock checked: the log's place and size, then recovery. Returns
 * 0, or -ECORRUPT (a header that cannot be right: the mount fails) or -EIO.
 */
int log_init(const struct fs_superblock *sb);

/* Blocks a transaction can hold: the log's copies, at most FS_LOG_MAX. */
uint32_t log_capacity(void);

/*
 * Starts an operation that will log at most `blocks` distinct blocks, waiting while the
 * log has no room or is committing. Returns 0, -EINVAL if `blocks` exceeds the log, or
 * -EIO once a commit has failed (the file system refuses changes until the next mount).
 * Caller must be a thread holding no spinlock and not already inside an operation.
 */
int log_begin(uint32_t blocks);

/*
 * Makes b part of the running transaction: it is written at the commit. Caller must hold
 * b (bread) and be inside an operation.
 */
void log_write(struct buf *b);

/*
 * Ends the operation; the last one to end commits the transaction before returning.
 * Returns 0, or -EIO if the commit failed (a log line says why).
 */
int log_end(void);

/*
 * Blocks in the running transaction now, all operations together. An operation that
 * logs a varying number of blocks (a long write, a truncation) compares this with its
 * value at log_begin() to stay inside its reservation: the growth counts every
 * operation's blocks, so it is never less than the operation's own.
 */
uint32_t log_logged(void);

struct log_stats {
	uint64_t commits;   /* transactions written */
	uint64_t blocks;    /* blocks written through the log (each twice on the disk) */
	uint64_t absorbed;  /* log_write()s of a block already in the transaction */
	uint64_t recovered; /* blocks installed by recovery at the last mount */
	bool crash_safe;    /* false while the log is the lab's stub */
};
struct log_stats log_stats(void);
