/*
 * Inodes: the files of the disk, each a size and a map from file blocks to disk blocks
 * (kernel/abi/fs_format.h draws it). In memory, a table of INODE_CACHE inodes that
 * threads hold by reference:
 *
 *   struct inode *ip;
 *   int err = iget(inum, &ip);     // a reference: the inode stays in the table
 *   err = ilock(ip);               // its sleeping lock; reads (and checks) it the first time
 *   ... inode_read(), or inside an operation inode_write(), iupdate() ...
 *   iunlock(ip);
 *   iput(ip);                      // drops the reference, outside any operation
 *
 * An inode no directory names (nlink 0) is freed, blocks and all, when its last
 * reference goes: an unlinked file that is still open lives until its last close.
 * iput() runs the transactions that free it itself, so it must not be called inside an
 * operation. A crash while such a file is open leaves an orphan, which the next mount
 * frees (inode_free_orphans).
 *
 * Every number read from the disk is checked before use: a type, size or block number
 * that cannot be right fails the operation with -ECORRUPT and a log line.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/fs_format.h"
#include "abi/stat.h"
#include "sched/mutex.h"

struct iobuf;

#define INODE_CACHE 50 /* inodes in memory at once */

/* Room a write or truncation needs per file block, on top of the inode itself. */
#define FS_TX_PER_BLOCK 6

struct inode {
	uint32_t inum;
	uint32_t refs;     /* references; the table's lock */
	struct mutex lock; /* guards valid and d */
	bool valid;        /* d holds the disk inode, checked */
	struct fs_inode d; /* the disk inode: type, device, nlink, size, block map */
};

/* A reference to inode inum: 0, -ECORRUPT (no such inode number), -ENFILE (table full). */
int iget(uint32_t inum, struct inode **out);

/* One more reference to ip (a descriptor duplicated, a cwd inherited). */
struct inode *idup(struct inode *ip);

/*
 * Locks ip, reading it from the disk if it is not in memory yet: 0, or -EIO, -ECORRUPT
 * (a type, size or link count that cannot be right), in which case ip is not locked.
 * Caller must hold a reference and no spinlock.
 */
int ilock(struct inode *ip);
void iunlock(struct inode *ip);

/*
 * Drops a reference; the last one to an inode with nlink 0 frees it (in transactions of
 * its own). Caller must not hold ip's lock, and must be outside any operation.
 */
void iput(struct inode *ip);

/* iunlock() then iput(). */
void iunlockput(struct inode *ip);

/*
 * A fresh inode of this type (nlink 0, size 0), referenced and unlocked: 0, -ENOSPC,
 * -ENFILE, -EIO. Caller must be inside an operation.
 */
int ialloc(uint16_t type, struct inode **out);

/* Writes ip's in-memory copy to its disk block, through the log. Caller must hold ip's
   lock and be inside an operation. */
int iupdate(struct inode *ip);

/*
 * The disk block holding file block bn: 0 with *out set, or *out = 0 if it has none
 * (without `alloc`). With `alloc`, missing blocks are allocated (indirect blocks too).
 * Errors: -EFBIG past the largest file, -ENOSPC, -EIO, -ECORRUPT (a block number on the
 * disk outside the data blocks). Caller must hold ip's lock; with `alloc`, be inside an
 * operation with room for FS_TX_PER_BLOCK blocks.
 */
int bmap(struct inode *ip, uint32_t bn, bool alloc, uint32_t *out);

/*
 * Reads up to n bytes at offset off into io (starting at io offset `at`): the bytes read
 * (0 at or past the end), or an error. Caller must hold ip's lock.
 */
long inode_read(struct inode *ip, const struct iobuf *io, size_t at, uint32_t off, uint32_t n);

/*
 * Writes up to n bytes from io (at io offset `at`) at offset off, growing the file, as
 * far as fits in an operation that reserved `budget` blocks (at least one block's worth):
 * the bytes written, which may be fewer than n (call again in a new operation), or an
 * error if none could be. off must not be past the end (files have no holes). Caller
 * must hold ip's lock and be inside that operation.
 */
long inode_write(struct inode *ip, const struct iobuf *io, size_t at, uint32_t off, uint32_t n,
                 uint32_t budget);

/*
 * Shrinks the file towards `size` bytes, freeing blocks from its end, as far as fits in
 * an operation that reserved `budget` blocks; *done tells whether it got there. Each step
 * leaves a consistent file (its size covers exactly its blocks), so a crash between two
 * operations leaves a shorter file, not a broken one. Caller must hold ip's lock and be
 * inside that operation; size must not exceed the file's.
 */
int inode_truncate(struct inode *ip, uint32_t size, uint32_t budget, bool *done);

/* The whole truncation, in as many operations as it takes. Caller must hold a reference,
   not the lock, and be outside any operation. */
int inode_truncate_all(struct inode *ip, uint32_t size);

/* Disk blocks the file holds, indirect blocks included. Caller must hold ip's lock. */
uint32_t inode_blocks(const struct inode *ip);

/* What fstat() reports. Caller must hold ip's lock. */
void inode_stat(const struct inode *ip, struct stat *st);

/* At mount: frees every inode with a type but no link, left by a crash. Returns how
   many, or an error. */
int inode_free_orphans(void);

/* References to ip now (an unlink frees a file at once if it holds the only one). */
uint32_t inode_refs(struct inode *ip);

/* Inodes referenced now (tests: every reference was dropped). */
uint32_t inode_in_use(void);
