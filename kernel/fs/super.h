/*
 * The mounted file system: its superblock, mounting (with the log's recovery), and the
 * checks that every layer applies to numbers read from the disk. There is one disk and
 * one file system; until a mount succeeds, every operation fails with -ENODEV.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "abi/fs_format.h"

/* The superblock of the mounted file system (valid while fs_mounted()). */
extern struct fs_superblock fs_sb;

/*
 * Reads and checks the superblock, recovers the log, checks the root directory and frees
 * orphans (inodes no directory names, left by a crash while they were open). Prints one
 * line: "sprout: fs: mounted ..." or "sprout: fs: cannot mount: <why>", and returns 0 or
 * the error. Caller must be a thread, with the disk started (kernel/fs/disk.h).
 */
int fs_mount(void);

bool fs_mounted(void);

/* Why the last mount failed ("" if it did not). */
const char *fs_mount_error(void);

/* True if b may hold file data or an indirect block: data_start <= b < nblocks. */
bool fs_data_block(uint32_t b);

/*
 * Reports a contradiction in the image: prints "sprout: fs: corrupt: <what>" and returns
 * -ECORRUPT, for `return fs_corrupt("inode %u: ...", inum);`. Any thread.
 */
int fs_corrupt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Corruption reports printed since boot (tests count them). */
uint32_t fs_corrupt_count(void);
