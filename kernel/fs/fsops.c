/*
 * Operations on names: the in-transaction steps of kernel/fs/fsops.h, and the
 * path-based calls of kernel/fs/fs.h that lab 7's system calls wrap (mkdir, mknod,
 * link, unlink, chdir), each one transaction.
 *
 * Link counts follow the format's rule: every entry naming an inode counts, "." and ".."
 * included. A new directory has 2 (its entry in the parent, its own "."), and its
 * parent gains 1 (the child's "..").
 */
#include "fs/fsops.h"

#include <stddef.h>

#include "fs/dir.h"
#include "fs/errno.h"
#include "fs/fs.h"
#include "fs/inode.h"
#include "fs/log.h"
#include "fs/super.h"
#include "lib/string.h"

#define NLINK_MAX 0xffff

int fsop_create(struct inode *dp, const char *name, uint16_t type, uint16_t major, uint16_t minor,
                struct inode **out)
{
	*out = NULL;
	if (dp->d.type != T_DIR)
		return -ENOTDIR;
	int err = dir_check_name(name);
	if (err)
		return err;
	uint32_t inum;
	err = dir_find(dp, name, &inum, NULL);
	if (err == 0)
		return type == T_FILE ? iget(inum, out) : -EEXIST;
	if (err != -ENOENT)
		return err;
	if (type == T_DIR && dp->d.nlink == NLINK_MAX)
		return -EMLINK;

	struct inode *ip;
	err = ialloc(type, &ip);
	if (err)
		return err;
	*out = ip;
	err = ilock(ip);
	if (err)
		return err;
	ip->d.major = major;
	ip->d.minor = minor;
	ip->d.nlink = type == T_DIR ? 2 : 1;
	if (type == T_DIR) {
		err = dir_link(ip, ".", ip->inum);
		if (err == 0)
			err = dir_link(ip, "..", dp->inum);
	}
	if (err == 0)
		err = dir_link(dp, name, ip->inum);
	if (err == 0 && type == T_DIR) {
		dp->d.nlink++;
		err = iupdate(dp);
	}
	if (err)
		ip->d.nlink = 0; /* freed when the caller puts it */
	int uerr = iupdate(ip);
	iunlock(ip);
	return err ? err : uerr;
}

int fsop_link(struct inode *dp, const char *name, struct inode *ip)
{
	if (ip == dp)
		return -EPERM; /* a directory: and dp's lock is held already */
	int err = ilock(ip);
	if (err)
		return err;
	if (ip->d.type == T_DIR)
		err = -EPERM;
	else if (ip->d.nlink == NLINK_MAX)
		err = -EMLINK;
	if (err == 0) {
		ip->d.nlink++;
		err = iupdate(ip);
	}
	iunlock(ip);
	if (err)
		return err;
	err = dir_link(dp, name, ip->inum);
	if (err) {
		/* Same transaction: undoing the count leaves no trace on the disk. */
		if (ilock(ip) == 0) {
			ip->d.nlink--;
			iupdate(ip);
			iunlock(ip);
		}
	}
	return err;
}

int fsop_unlink(struct inode *dp, const char *name, uint32_t budget, struct inode **victim)
{
	*victim = NULL;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EPERM;
	uint32_t inum, off;
	int err = dir_find(dp, name, &inum, &off);
	if (err)
		return err;
	struct inode *ip;
	err = iget(inum, &ip);
	if (err)
		return err;
	*victim = ip;
	if (ip == dp)
		return fs_corrupt("directory %u: entry '%s' names the directory itself", dp->inum,
		                  name);
	err = ilock(ip);
	if (err)
		return err;
	bool is_dir = ip->d.type == T_DIR, empty = true;
	if (is_dir)
		err = dir_is_empty(ip, &empty);
	if (err == 0 && !empty)
		err = -ENOTEMPTY;
	if (err == 0)
		err = dir_clear(dp, off);
	if (err == 0 && is_dir) {
		/* The child's ".." no longer names dp; the child's own "." goes with it. */
		if (dp->d.nlink > 0)
			dp->d.nlink--;
		err = iupdate(dp);
		ip->d.nlink = ip->d.nlink >= 2 ? ip->d.nlink - 2 : 0;
	} else if (err == 0) {
		ip->d.nlink = ip->d.nlink ? ip->d.nlink - 1 : 0;
	}
	if (err == 0)
		err = iupdate(ip);
	/* The last name of an inode nobody has open: free it now, as far as room allows. */
	if (err == 0 && ip->d.nlink == 0 && inode_refs(ip) == 1) {
		bool done;
		err = inode_truncate(ip, 0, budget, &done);
		if (err == 0 && done) {
			ip->d.type = 0;
			err = iupdate(ip);
		}
	}
	iunlock(ip);
	return err;
}

/* ---- Path-based calls, one transaction each ---- */

int fs_root(struct inode **out)
{
	return namei("/", NULL, out);
}

/* Looks up the parent of path, then runs step(dp, name, ...) in one transaction. */
static int in_parent(const char *path, struct inode *cwd, uint32_t room, uint16_t type,
                     uint16_t major, uint16_t minor)
{
	char name[FS_NAME_LEN + 1];
	struct inode *dp, *ip = NULL;
	int err = nameiparent(path, cwd, &dp, name);
	if (err)
		return err;
	err = log_begin(room);
	if (err == 0) {
		err = ilock(dp);
		if (err == 0) {
			if (type)
				err = fsop_create(dp, name, type, major, minor, &ip);
			else
				err = fsop_unlink(dp, name, room - 3, &ip);
			iunlock(dp);
		}
		int eerr = log_end();
		if (err == 0)
			err = eerr;
	}
	if (ip)
		iput(ip);
	iput(dp);
	return err;
}

int fs_mkdir(const char *path, struct inode *cwd)
{
	return in_parent(path, cwd, FS_TX_SMALL, T_DIR, 0, 0);
}

int fs_mknod(const char *path, struct inode *cwd, uint16_t major, uint16_t minor)
{
	return in_parent(path, cwd, FS_TX_SMALL, T_DEVICE, major, minor);
}

int fs_unlink(const char *path, struct inode *cwd)
{
	return in_parent(path, cwd, FS_TX_UNLINK, 0, 0, 0);
}

int fs_link(const char *oldpath, const char *newpath, struct inode *cwd)
{
	struct inode *ip, *dp;
	char name[FS_NAME_LEN + 1];
	int err = namei(oldpath, cwd, &ip);
	if (err)
		return err;
	err = nameiparent(newpath, cwd, &dp, name);
	if (err) {
		iput(ip);
		return err;
	}
	err = log_begin(FS_TX_SMALL);
	if (err == 0) {
		err = ilock(dp);
		if (err == 0) {
			err = fsop_link(dp, name, ip);
			iunlock(dp);
		}
		int eerr = log_end();
		if (err == 0)
			err = eerr;
	}
	iput(dp);
	iput(ip);
	return err;
}

int fs_chdir(const char *path, struct inode *cwd, struct inode **newcwd)
{
	struct inode *ip;
	int err = namei(path, cwd, &ip);
	if (err)
		return err;
	err = ilock(ip);
	if (err) {
		iput(ip);
		return err;
	}
	bool dir = ip->d.type == T_DIR;
	iunlock(ip);
	if (!dir) {
		iput(ip);
		return -ENOTDIR;
	}
	*newcwd = ip;
	return 0;
}
