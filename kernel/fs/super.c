/*
 * Mounting (kernel/fs/super.h): the superblock is checked against the format and the
 * disk's real size before anything else is read, because every later range check
 * trusts it; then the log's recovery, the root, and the orphans a crash left.
 */
#include "fs/super.h"

#include <stdarg.h>

#include "dev/console.h"
#include "fs/crash.h"
#include "fs/disk.h"
#include "fs/errno.h"
#include "fs/inode.h"
#include "fs/log.h"
#include "lib/format.h"
#include "lib/string.h"

struct fs_superblock fs_sb;

static bool mounted;
static char mount_error[160];
static volatile uint32_t corrupt_reports;
static uint8_t super_block[FS_BLOCK_SIZE] __attribute__((aligned(64)));

bool fs_mounted(void)
{
	return mounted;
}

const char *fs_mount_error(void)
{
	return mount_error;
}

bool fs_data_block(uint32_t b)
{
	return b >= fs_sb.data_start && b < fs_sb.nblocks;
}

int fs_corrupt(const char *fmt, ...)
{
	char what[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	printf("sprout: fs: corrupt: %s\n", what);
	__atomic_fetch_add(&corrupt_reports, 1, __ATOMIC_RELAXED);
	return -ECORRUPT;
}

uint32_t fs_corrupt_count(void)
{
	return __atomic_load_n(&corrupt_reports, __ATOMIC_RELAXED);
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

/* NULL if sb describes a file system this kernel can use on this disk; else why not. */
static const char *check_super(const struct fs_superblock *sb, char *why, size_t size)
{
	uint64_t disk = disk_nblocks();
	uint64_t inode_end = (uint64_t)sb->inode_start + div_up(sb->ninodes, FS_INODES_PER_BLOCK);
	uint64_t bitmap_end = (uint64_t)sb->bitmap_start + div_up(sb->nblocks, FS_BITS_PER_BLOCK);
	if (sb->magic != FS_MAGIC)
		snprintf(why, size, "bad magic 0x%x (not a Sprout file system)", sb->magic);
	else if (sb->version != FS_VERSION)
		snprintf(why, size, "format version %u, but this kernel reads version %u",
		         sb->version, FS_VERSION);
	else if (sb->nblocks > disk)
		snprintf(why, size, "the superblock says %u blocks, but the disk has %lu",
		         sb->nblocks, (unsigned long)disk);
	else if (sb->ninodes < FS_ROOT_INUM + 1)
		snprintf(why, size, "%u inodes leave no room for the root", sb->ninodes);
	else if (sb->log_start < 2 || sb->nlog < 2)
		snprintf(why, size, "a log of %u blocks at block %u", sb->nlog, sb->log_start);
	else if (sb->nlog - 1 < FS_TX_UNLINK)
		snprintf(why, size, "a log of %u blocks: this kernel needs room for %u copies",
		         sb->nlog, FS_TX_UNLINK);
	else if ((uint64_t)sb->log_start + sb->nlog > sb->inode_start)
		snprintf(why, size, "the inode table (block %u) overlaps the log", sb->inode_start);
	else if (inode_end > sb->bitmap_start)
		snprintf(why, size, "the bitmap (block %u) overlaps the inode table",
		         sb->bitmap_start);
	else if (bitmap_end > sb->data_start)
		snprintf(why, size, "the data blocks (from %u) overlap the bitmap", sb->data_start);
	else if (sb->data_start >= sb->nblocks)
		snprintf(why, size, "no data blocks: they would start at %u of %u", sb->data_start,
		         sb->nblocks);
	else
		return NULL;
	return why;
}

static int refuse(int err, const char *why)
{
	mounted = false;
	crash_mount_end();
	strlcpy(mount_error, why, sizeof mount_error);
	printf("sprout: fs: cannot mount: %s\n", why);
	return err;
}

int fs_mount(void)
{
	char why[120];
	mount_error[0] = '\0';
	if (!disk_present())
		return refuse(-ENODEV, "no disk");
	int err = disk_read(1, super_block);
	if (err)
		return refuse(err, "the superblock cannot be read");
	struct fs_superblock sb;
	memcpy(&sb, super_block, sizeof sb);
	if (check_super(&sb, why, sizeof why))
		return refuse(-ECORRUPT, why);
	fs_sb = sb;

	crash_mount_begin(sb.log_start, sb.nlog);
	err = log_init(&sb);
	if (err) {
		snprintf(why, sizeof why, "the log cannot be recovered (%s)", fs_strerror(err));
		return refuse(err, why);
	}
	mounted = true;

	struct inode *root;
	err = iget(FS_ROOT_INUM, &root);
	if (err == 0) {
		err = ilock(root);
		if (err == 0) {
			if (root->d.type != T_DIR)
				err = -ECORRUPT;
			iunlock(root);
		}
		iput(root);
	}
	if (err) {
		snprintf(why, sizeof why, "the root (inode %d) is not a usable directory (%s)",
		         FS_ROOT_INUM, fs_strerror(err));
		return refuse(err, why);
	}
	int orphans = inode_free_orphans();
	crash_mount_end();
	struct log_stats ls = log_stats();
	printf("sprout: fs: mounted %u blocks, %u inodes, log %u blocks%s (%s)\n", sb.nblocks,
	       sb.ninodes, sb.nlog, ls.crash_safe ? "" : " without crash safety", disk_describe());
	if (orphans > 0)
		printf("sprout: fs: freed %d orphaned inode%s (open when the machine stopped)\n",
		       orphans, orphans == 1 ? "" : "s");
	else if (orphans < 0)
		printf("sprout: fs: looking for orphaned inodes failed (%s)\n",
		       fs_strerror(orphans));
	return 0;
}
