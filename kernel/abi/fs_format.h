/*
 * The on-disk format of Sprout's file system: the bytes mkfs writes, the kernel reads
 * and logs, and `mkfs --check` verifies. User programs see it too: a directory is read
 * as an array of struct fs_dirent, and stat.h's file types are the ones below.
 *
 * It includes only <stdint.h> so that the kernel, user programs and host tools can all
 * include it. Every field is a fixed-width little-endian integer: RISC-V and the hosts
 * mkfs runs on are little-endian, so these structs are the bytes on disk as they are.
 *
 * The disk is an array of FS_BLOCK_SIZE-byte blocks, numbered from 0:
 *
 *   0        1        2             inode_start   bitmap_start             nblocks-1
 *   +--------+--------+-------------+-------------+-----------+--------------------+
 *   |  boot  | super- |     log     | inode table |  bitmap   |    data blocks     |
 *   | unused | block  | header and  | 16 inodes a | 1 bit per |  file contents,    |
 *   |        |        | copies      | block       | block     |  directories,      |
 *   |        |        |             |             |           |  indirect blocks   |
 *   +--------+--------+-------------+-------------+-----------+--------------------+
 *                     log_start                               data_start
 *
 * The superblock says where each region starts; they come in this order and do not
 * overlap. mkfs leaves no gaps between them, but the kernel only needs the superblock.
 */
#pragma once

#include <stdint.h>

#define FS_BLOCK_SIZE 1024       /* small blocks keep a teaching image small */
#define FS_MAGIC      0x53467053 /* "SpFS" in the first four bytes of block 1 */
#define FS_VERSION    1          /* bumped when this file changes the bytes on disk */
#define FS_ROOT_INUM  1          /* inode 0 is never used: inum 0 marks an empty entry */

/* File types, shared with user programs through stat.h; 0 marks a free inode. */
#define T_DIR    1
#define T_FILE   2
#define T_DEVICE 3 /* contents come from driver `major`, not from blocks */

/* Block 1. Everything else on the disk is found from here. */
struct fs_superblock {
	uint32_t magic;        /* FS_MAGIC */
	uint32_t version;      /* FS_VERSION */
	uint32_t nblocks;      /* the whole disk, boot block included */
	uint32_t ninodes;      /* slots in the inode table, the unused inode 0 included */
	uint32_t log_start;    /* the log header's block */
	uint32_t nlog;         /* log blocks: the header, then up to FS_LOG_MAX copies */
	uint32_t inode_start;  /* first block of the inode table */
	uint32_t bitmap_start; /* first block of the free bitmap */
	uint32_t data_start;   /* first block that may hold file data */
};
_Static_assert(sizeof(struct fs_superblock) == 36, "superblock layout changed");

/*
 * An inode maps file block n (bytes n*1024 .. n*1024+1023) to a disk block:
 *
 *   addrs[0..10]   n = 0..10         directly
 *   addrs[11]      n = 11..266       through one indirect block of 256 block numbers
 *   addrs[12]      n = 267..65802    through a double-indirect block: 256 numbers of
 *                                    indirect blocks, each with 256 block numbers
 *
 * so a file holds up to 65803 blocks (64.3 MiB). Address 0 means "no block" (block 0
 * is the boot block). Files have no holes: every block below `size` is mapped and none
 * past it, indirect blocks included.
 */
#define FS_NDIRECT         11 /* what fills a 64-byte inode after the other fields */
#define FS_NINDIRECT       (FS_BLOCK_SIZE / sizeof(uint32_t))
#define FS_INDIRECT        FS_NDIRECT       /* addrs[] index of the indirect block */
#define FS_DOUBLE_INDIRECT (FS_NDIRECT + 1) /* addrs[] index of the double-indirect block */
#define FS_NADDRS          (FS_NDIRECT + 2)
#define FS_MAX_FILE_BLOCKS (FS_NDIRECT + FS_NINDIRECT + FS_NINDIRECT * FS_NINDIRECT)
#define FS_MAX_FILE_SIZE   ((uint32_t)FS_MAX_FILE_BLOCKS * FS_BLOCK_SIZE)

struct fs_inode {
	uint16_t type;  /* T_DIR, T_FILE, T_DEVICE; 0 = free */
	uint16_t major; /* T_DEVICE only: which driver */
	uint16_t minor; /* T_DEVICE only: which unit of that driver */
	/*
	 * Directory entries naming this inode, "." and ".." included, so a directory has
	 * 2 + its number of subdirectories (the Unix rule). The inode is freed when nlink
	 * drops to 0 and no process has it open.
	 */
	uint16_t nlink;
	uint32_t size; /* bytes */
	uint32_t addrs[FS_NADDRS];
};
_Static_assert(sizeof(struct fs_inode) == 64, "inode layout changed");

#define FS_INODES_PER_BLOCK (FS_BLOCK_SIZE / sizeof(struct fs_inode))

/*
 * A directory is a file of these, at any offset a multiple of 32. Names are NUL-padded;
 * a name of exactly FS_NAME_LEN characters has no NUL. 28 characters makes an entry 32
 * bytes, which divides a block evenly, and is long enough for descriptive test-program
 * names where 14 was not.
 */
#define FS_NAME_LEN 28

struct fs_dirent {
	uint32_t inum; /* 0: an empty slot, free for the next entry */
	char name[FS_NAME_LEN];
};
_Static_assert(sizeof(struct fs_dirent) == 32, "directory entry layout changed");

#define FS_DIRENTS_PER_BLOCK (FS_BLOCK_SIZE / sizeof(struct fs_dirent))

/*
 * The free bitmap: bit b % 8 of byte b / 8 (counting bytes across the bitmap blocks)
 * is 1 when block b is in use. The blocks before data_start are marked in use too, so
 * an allocator needs no special case for them. Bits past nblocks are 0 and unused.
 */
#define FS_BITS_PER_BLOCK (FS_BLOCK_SIZE * 8)

/*
 * The log's first block. count == 0: nothing to recover. count == n: a transaction is
 * committed but maybe not yet installed, and log block 1 + i holds the new contents of
 * disk block blocks[i]; recovery copies them home, then writes count = 0. The header is
 * at most 512 bytes, one disk sector, so the disk writes a commit all or nothing.
 */
#define FS_LOG_MAX 30 /* copies a transaction can hold: a few system calls' worth */

struct fs_log_header {
	uint32_t count;
	uint32_t blocks[FS_LOG_MAX];
};
_Static_assert(sizeof(struct fs_log_header) == 124, "log header layout changed");
_Static_assert(sizeof(struct fs_log_header) <= 512, "a commit must be one sector");
