/*
 * What the image builder (mkfs.c) and the checker (check.c) share: the one way to
 * report a fatal error, and the sizes of the regions that follow from the superblock.
 */
#pragma once

#include <stdint.h>

#include "abi/fs_format.h"

/* The structs are written as they lie in memory, which is the disk's order only here. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "mkfs needs a little-endian host");

/* Prints "mkfs: " and the message on one line to stderr, removes any temporary image,
 * and exits with status 1. */
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* `mkfs --check IMAGE`: prints the problems found, one a line; returns the exit status. */
int check_image(const char *path);

/* 64-bit, so that the checker can compute them from garbage without overflow. */
static inline uint64_t inode_table_blocks(uint64_t ninodes)
{
	return (ninodes + FS_INODES_PER_BLOCK - 1) / FS_INODES_PER_BLOCK;
}

static inline uint64_t bitmap_blocks(uint64_t nblocks)
{
	return (nblocks + FS_BITS_PER_BLOCK - 1) / FS_BITS_PER_BLOCK;
}

/* File blocks needed to hold `size` bytes. */
static inline uint64_t blocks_for(uint64_t size)
{
	return (size + FS_BLOCK_SIZE - 1) / FS_BLOCK_SIZE;
}
