/*
 * Directories and path lookup (kernel/fs/dir.h). Entries are checked as they are read:
 * an inode number past the inode table is reported as corruption, not followed.
 */
#include "fs/dir.h"

#include <stddef.h>

#include "fs/errno.h"
#include "fs/inode.h"
#include "fs/iobuf.h"
#include "fs/log.h"
#include "fs/super.h"
#include "lib/string.h"

#define DIRENT_SIZE ((uint32_t)sizeof(struct fs_dirent))

int dir_check_name(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || strchr(name, '/'))
		return -EINVAL;
	return n > FS_NAME_LEN ? -ENAMETOOLONG : 0;
}

/* Reads the entry at off into *de and checks its inode number. */
static int read_entry(struct inode *dp, uint32_t off, struct fs_dirent *de)
{
	struct iobuf io = iobuf_kernel(de);
	long n = inode_read(dp, &io, 0, off, DIRENT_SIZE);
	if (n < 0)
		return (int)n;
	if (n != DIRENT_SIZE)
		return fs_corrupt("directory %u: entry at %u is cut short", dp->inum, off);
	if (de->inum >= fs_sb.ninodes)
		return fs_corrupt("directory %u: entry at offset %u names inode %u, past the last "
		                  "inode %u",
		                  dp->inum, off, de->inum, fs_sb.ninodes - 1);
	return 0;
}

static bool same_name(const struct fs_dirent *de, const char *name)
{
	size_t n = strlen(name);
	return n <= FS_NAME_LEN && strncmp(de->name, name, FS_NAME_LEN) == 0 &&
	       (n == FS_NAME_LEN || de->name[n] == '\0');
}

int dir_find(struct inode *dp, const char *name, uint32_t *inum, uint32_t *off)
{
	if (dp->d.type != T_DIR)
		return -ENOTDIR;
	for (uint32_t at = 0; at < dp->d.size; at += DIRENT_SIZE) {
		struct fs_dirent de;
		int err = read_entry(dp, at, &de);
		if (err)
			return err;
		if (de.inum == 0 || !same_name(&de, name))
			continue;
		if (off)
			*off = at;
		*inum = de.inum;
		return 0;
	}
	return -ENOENT;
}

int dir_lookup(struct inode *dp, const char *name, struct inode **out, uint32_t *off)
{
	uint32_t inum;
	int err = dir_find(dp, name, &inum, off);
	return err ? err : iget(inum, out);
}

int dir_link(struct inode *dp, const char *name, uint32_t inum)
{
	int err = dir_check_name(name);
	if (err)
		return err;
	uint32_t free_at = dp->d.size;
	for (uint32_t at = 0; at < dp->d.size; at += DIRENT_SIZE) {
		struct fs_dirent de;
		err = read_entry(dp, at, &de);
		if (err)
			return err;
		if (de.inum == 0) {
			if (free_at == dp->d.size)
				free_at = at;
		} else if (same_name(&de, name)) {
			return -EEXIST;
		}
	}
	struct fs_dirent de = {.inum = inum};
	for (size_t i = 0; i < FS_NAME_LEN && name[i]; i++)
		de.name[i] = name[i];
	struct iobuf io = iobuf_kernel(&de);
	long n = inode_write(dp, &io, 0, free_at, DIRENT_SIZE, FS_TX_PER_BLOCK + 1);
	if (n < 0)
		return (int)n;
	return n == DIRENT_SIZE ? 0 : -EIO;
}

int dir_clear(struct inode *dp, uint32_t off)
{
	struct fs_dirent de = {0};
	struct iobuf io = iobuf_kernel(&de);
	long n = inode_write(dp, &io, 0, off, DIRENT_SIZE, FS_TX_PER_BLOCK + 1);
	if (n < 0)
		return (int)n;
	return n == DIRENT_SIZE ? 0 : -EIO;
}

int dir_is_empty(struct inode *dp, bool *empty)
{
	for (uint32_t at = 0; at < dp->d.size; at += DIRENT_SIZE) {
		struct fs_dirent de;
		int err = read_entry(dp, at, &de);
		if (err)
			return err;
		if (de.inum != 0 && !same_name(&de, ".") && !same_name(&de, "..")) {
			*empty = false;
			return 0;
		}
	}
	*empty = true;
	return 0;
}

/* Copies the next name of *path into name and moves *path past it; 0 at the end. */
static int next_name(const char **path, char name[FS_NAME_LEN + 1])
{
	const char *p = *path;
	while (*p == '/')
		p++;
	if (*p == '\0')
		return 0;
	const char *start = p;
	while (*p && *p != '/')
		p++;
	size_t n = (size_t)(p - start);
	if (n > FS_NAME_LEN)
		return -ENAMETOOLONG;
	memcpy(name, start, n);
	name[n] = '\0';
	while (*p == '/')
		p++;
	*path = p;
	return 1;
}

/* The walk of namei() and nameiparent(): with `parent`, stops before the last name. */
static int walk(const char *path, struct inode *cwd, bool parent, struct inode **out,
                char name[FS_NAME_LEN + 1])
{
	if (!fs_mounted())
		return -ENODEV;
	if (path[0] == '\0')
		return -ENOENT;
	struct inode *ip;
	int err;
	if (path[0] == '/' || cwd == NULL) {
		err = iget(FS_ROOT_INUM, &ip);
		if (err)
			return err;
	} else {
		ip = idup(cwd);
	}
	char elem[FS_NAME_LEN + 1];
	int more;
	while ((more = next_name(&path, elem)) > 0) {
		err = ilock(ip);
		if (err) {
			iput(ip);
			return err;
		}
		if (ip->d.type != T_DIR) {
			iunlockput(ip);
			return -ENOTDIR;
		}
		if (parent && *path == '\0') {
			/* The last name: ip is the directory that holds it. */
			iunlock(ip);
			memcpy(name, elem, sizeof elem);
			*out = ip;
			return 0;
		}
		struct inode *next;
		err = dir_lookup(ip, elem, &next, NULL);
		iunlockput(ip);
		if (err)
			return err;
		ip = next;
	}
	if (more < 0 || parent) {
		iput(ip);
		return more < 0 ? more : -EINVAL;
	}
	*out = ip;
	return 0;
}

int namei(const char *path, struct inode *cwd, struct inode **out)
{
	return walk(path, cwd, false, out, NULL);
}

int nameiparent(const char *path, struct inode *cwd, struct inode **dir, char name[FS_NAME_LEN + 1])
{
	return walk(path, cwd, true, dir, name);
}
