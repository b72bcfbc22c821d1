/*
 * The operations on names, as steps inside a transaction the caller runs: the file
 * layer and the path-based calls of kernel/fs/fs.h wrap each in one operation; a test
 * may put several in one transaction (the crash tests do, so that a step of their
 * workload is all or nothing).
 *
 * Each takes the directory locked (ilock) and leaves it locked, and must run inside an
 * operation (log_begin) with the room the comment names. An inode they hand back is
 * referenced and unlocked; drop it with iput() after log_end().
 */
#pragma once

#include <stdint.h>

struct inode;

/*
 * Creates `name` in dp: a file, a directory (with "." and "..") or a device. If the name
 * exists, a T_FILE creation hands back the existing file or device (open with O_CREATE);
 * anything else is -EEXIST. Room: FS_TX_SMALL.
 */
int fsop_create(struct inode *dp, const char *name, uint16_t type, uint16_t major, uint16_t minor,
                struct inode **out);

/* Adds the name `name` in dp for ip (not a directory: -EPERM). Room: FS_TX_SMALL. */
int fsop_link(struct inode *dp, const char *name, struct inode *ip);

/*
 * Removes `name` from dp ("." and ".." cannot be: -EPERM; a directory must be empty:
 * -ENOTEMPTY). If that was the inode's last name and nobody else holds it, its blocks
 * are freed in this same transaction as far as `budget` more blocks allow; what is left
 * is freed when *victim is put. Room: 3 blocks plus budget (FS_TX_UNLINK in all).
 */
int fsop_unlink(struct inode *dp, const char *name, uint32_t budget, struct inode **victim);
