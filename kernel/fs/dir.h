/*
 * Directories and paths. A directory is a file of struct fs_dirent (kernel/abi/
 * fs_format.h); every directory has "." (itself) and ".." (its parent; the root's is
 * the root). A path is names separated by '/', absolute from the root when it starts
 * with '/', relative to a working directory otherwise.
 *
 * Path lookups take and drop inode references, and dropping one may free an inode in
 * transactions of its own (kernel/fs/inode.h): look paths up before log_begin().
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "abi/fs_format.h"

struct inode;

/*
 * The inode named `name` in directory dp, referenced and unlocked, and the entry's
 * offset (if off is not NULL): 0, -ENOENT, -ECORRUPT. Caller must hold dp's lock.
 */
int dir_lookup(struct inode *dp, const char *name, struct inode **out, uint32_t *off);

/*
 * Like dir_lookup(), without taking a reference: the inode number and the entry's offset.
 */
int dir_find(struct inode *dp, const char *name, uint32_t *inum, uint32_t *off);

/*
 * Adds the entry name -> inum to dp, in a free slot or at its end: 0, -EEXIST,
 * -ENAMETOOLONG, -EINVAL (an empty name or one with '/'), or an I/O error. Caller must
 * hold dp's lock and be inside an operation with room for FS_TX_PER_BLOCK + 1 blocks.
 */
int dir_link(struct inode *dp, const char *name, uint32_t inum);

/* Empties the entry at offset off. Caller as for dir_link(). */
int dir_clear(struct inode *dp, uint32_t off);

/* Whether dp has entries besides "." and "..". Caller must hold dp's lock. */
int dir_is_empty(struct inode *dp, bool *empty);

/* Checks a single name: 0, -ENAMETOOLONG or -EINVAL. */
int dir_check_name(const char *name);

/*
 * The inode `path` names, referenced and unlocked: 0, -ENOENT, -ENOTDIR,
 * -ENAMETOOLONG, -ECORRUPT, -EIO. A relative path starts at cwd (the root if NULL).
 * Caller must be outside any operation.
 */
int namei(const char *path, struct inode *cwd, struct inode **out);

/*
 * The directory that would hold `path`'s last name, referenced and unlocked, and that
 * name in `name`: as namei(). A path with no last name ("/", "") is -EINVAL.
 */
int nameiparent(const char *path, struct inode *cwd, struct inode **dir,
                char name[FS_NAME_LEN + 1]);
