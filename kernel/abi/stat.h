/*
 * What fstat() tells a user program about an open file. The kernel fills it in from the
 * inode; user programs (ls, the shell) read it. The file types T_DIR, T_FILE and
 * T_DEVICE are the ones stored in inodes, so they come from fs_format.h.
 */
#pragma once

#include <stdint.h>

#include "fs_format.h"

struct stat {
	uint32_t dev;   /* device number of the disk holding the file */
	uint32_t ino;   /* inode number on that disk */
	uint16_t type;  /* T_DIR, T_FILE or T_DEVICE */
	uint16_t nlink; /* directory entries naming the file */
	uint32_t pad;   /* written as 0: makes the gap before size visible, same on any ABI */
	uint64_t size;  /* bytes */
};
_Static_assert(sizeof(struct stat) == 24, "struct stat layout changed");
