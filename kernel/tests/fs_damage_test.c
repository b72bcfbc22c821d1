/*
 * The file system on a bad disk: the grader boots damaged images (grade/fsimage.py
 * damages copies of build/fs.img in known ways) and a disk that fails requests. Every
 * case must end in error returns and "sprout: fs: ..." lines, never in a panic, and must
 * give back every inode, file and buffer it took.
 */
#include "debug/ktest.h"
#include "fs/bcache.h"
#include "fs/disk.h"
#include "fs/fs.h"
#include "fs/super.h"
#include "lib/format.h"
#include "lib/string.h"
#include "tests/fs_util.h"

struct walk_stats {
	uint32_t entries, files, dirs, bytes, errors;
};

#define WALK_DEPTH   6
#define WALK_ENTRIES 400

/* Reads a whole file, counting bytes and errors. */
static void read_all(const char *path, struct walk_stats *s)
{
	struct file *f;
	int err = file_open(path, O_RDONLY, NULL, &f);
	if (err) {
		s->errors++;
		return;
	}
	uint8_t piece[512];
	long r;
	while ((r = file_read_kernel(f, piece, sizeof piece)) > 0)
		s->bytes += (uint32_t)r;
	if (r < 0)
		s->errors++;
	file_close(f);
}

/* Visits every entry under dir (a path), reading files and descending into directories. */
static void walk(const char *dir, int depth, struct walk_stats *s)
{
	struct file *d;
	if (file_open(dir, O_RDONLY, NULL, &d)) {
		s->errors++;
		return;
	}
	s->dirs++;
	struct fs_dirent de;
	long r;
	while (s->entries < WALK_ENTRIES && (r = file_read_kernel(d, &de, sizeof de)) > 0) {
		if (r != sizeof de || de.inum == 0)
			continue;
		char name[FS_NAME_LEN + 1];
		memcpy(name, de.name, FS_NAME_LEN);
		name[FS_NAME_LEN] = '\0';
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || name[0] == '\0')
			continue;
		s->entries++;
		char path[128];
		snprintf(path, sizeof path, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", name);
		struct inode *ip;
		int err = namei(path, NULL, &ip);
		if (err == 0) {
			err = ilock(ip);
			if (err)
				iput(ip);
		}
		if (err) {
			s->errors++;
			continue;
		}
		uint16_t type = ip->d.type;
		iunlockput(ip);
		if (type == T_DIR && depth < WALK_DEPTH)
			walk(path, depth + 1, s);
		else if (type == T_FILE && ++s->files)
			read_all(path, s);
	}
	file_close(d);
}

/*
 * Walks the whole tree, then tries to write, read back and delete a 20 KiB file; every
 * failure is counted, none may panic, and nothing may stay held. Passes as long as it
 * comes back: the grader checks the lines the kernel printed on the way.
 */
KTEST(fs, damaged)
{
	if (!fs_mounted()) {
		ktest_info("mounted=0");
		return;
	}
	uint32_t inodes0 = inode_in_use(), corrupt0 = fs_corrupt_count();
	int files0 = file_count();
	struct walk_stats s = {0};
	walk("/", 0, &s);

	static uint8_t data[20000];
	for (uint32_t i = 0; i < sizeof data; i++)
		data[i] = fs_pattern(7, 7, i);
	int probe = fsu_put("/damage-probe", data, sizeof data);
	uint32_t size = 0, hash = 0;
	if (probe == 0)
		probe = fsu_hash("/damage-probe", &size, &hash);
	if (probe == 0 && (size != sizeof data || hash != fnv1a(FNV_START, data, sizeof data)))
		probe = -ECORRUPT;
	int unlinked = fs_unlink("/damage-probe", NULL);
	struct bcache_stats bs = bcache_stats();
	ktest_info("mounted=1 entries=%u files=%u dirs=%u bytes=%u errors=%u corrupt=%u probe=%d "
	           "unlink=%d",
	           s.entries, s.files, s.dirs, s.bytes, s.errors, fs_corrupt_count() - corrupt0,
	           probe, unlinked);
	KCHECK(inode_in_use() == inodes0, "%u inodes still referenced, %u before", inode_in_use(),
	       inodes0);
	KCHECK(file_count() == files0, "%d files still open, %d before", file_count(), files0);
	KCHECK(bs.held == 0, "%u buffers still held", bs.held);
}

/*
 * The disk fails requests: a read error is an error return, and a write error in a commit
 * stops all later changes (-EIO) while reads go on. Alone: it leaves the file system
 * refusing changes for the rest of the boot.
 */
KTEST_ALONE(fs, io_error)
{
	KCHECK(fs_mounted(), "no file system is mounted: boot with a disk");
	static uint8_t data[5000];
	memset(data, 'e', sizeof data);
	KCHECK(fsu_put("/ioerr", data, sizeof data) == 0, "writing /ioerr");

	/* A read the disk fails: its block is not cached, so the read goes to the disk. */
	struct inode *ip;
	KCHECK(namei("/ioerr", NULL, &ip) == 0, "/ioerr has no name");
	uint32_t b = 0;
	if (ilock(ip) == 0) {
		bmap(ip, 2, false, &b);
		iunlock(ip);
	}
	iput(ip);
	KCHECK(b != 0, "file block 2 of /ioerr is not mapped");
	KCHECK(bcache_forget(b), "block %u is held or pinned and cannot be dropped", b);
	disk_inject_error(b, 1);
	uint32_t size, hash;
	int err = fsu_hash("/ioerr", &size, &hash);
	KCHECK(err == -EIO, "a read the disk failed returned %s, not an I/O error",
	       fs_strerror(err));
	KCHECK(fsu_hash("/ioerr", &size, &hash) == 0 && size == sizeof data,
	       "the next read of the same block failed too");

	/* A commit the disk fails: the log header's write. */
	disk_inject_error(fs_sb.log_start, 1);
	err = fsu_put("/ioerr2", data, 100);
	disk_inject_error(0, 0);
	KCHECK(err == -EIO, "a write whose commit failed returned %s, not an I/O error",
	       fs_strerror(err));
	err = fs_mkdir("/after", NULL);
	KCHECK(err == -EIO, "a change after a failed commit returned %s, not an I/O error",
	       fs_strerror(err));
	KCHECK(fsu_hash("/ioerr", &size, &hash) == 0 && size == sizeof data,
	       "reads stopped working after a failed commit");
	ktest_info("disk_errors=%lu", disk_stats().errors);
}
