/*
 * The crash workload: a deterministic sequence of steps, each ONE transaction, that
 * changes files under /crash and records its own number in /crash/step. The grader
 * boots it again and again on the same image with a crash point (crash=POINT:N,
 * kernel/fs/crash.h) or kills QEMU at a random moment, and after each crash checks the
 * image on the host and the kernel's view after recovery against its own model of the
 * steps (grade/fsimage.py: crash_model). Both sides must agree on the steps below.
 *
 * Step s:
 *   s = 1   mkdir /crash, and /crash/step
 *   s >= 2  f = "abcd"[s % 4] (seed s % 4 + 1), by kind KINDS[(s / 4) % 5]:
 *           0  write f whole: SIZES[s % 7] bytes of version s
 *           1  append 2500 bytes of version s to f (write it whole with 2500 bytes if
 *              it is missing or would pass 20000)
 *           2  unlink f if it exists, else write it whole with 700 bytes
 *           3  if /crash/sub exists: unlink sub/inner and remove sub; else make sub and
 *              write sub/inner whole with 4000 bytes (seed 5)
 *           4  if f.ln exists, unlink it; else if f exists, link f.ln to it; else write
 *              f whole with 900 bytes
 *   and in every step, /crash/step := s (4 bytes, little-endian).
 * Byte i of version v of a file with seed e is fs_pattern(e, v, i); an appended piece
 * counts i from its own start. KINDS orders each file's cycle so that a file gets a
 * second name, is appended to through one name and unlinked under the other, and is
 * freed when its last name goes.
 */
#include "debug/ktest.h"
#include "fs/crash.h"
#include "fs/fs.h"
#include "fs/fsops.h"
#include "fs/log.h"
#include "fs/super.h"
#include "lib/format.h"
#include "lib/string.h"
#include "tests/fs_util.h"

#define STEPS_PER_BOOT 30
#define MAX_SIZE       20000

static const uint32_t SIZES[7] = {100, 1024, 3000, 8192, 11264, 15000, 500};
static const uint32_t KINDS[5] = {0, 4, 1, 2, 3};

static uint8_t content[MAX_SIZE];

/* Inodes to put once the step's transaction has ended. */
struct held {
	struct inode *ip[10];
	int n;
};

static void hold(struct held *h, struct inode *ip)
{
	if (ip && h->n < 10)
		h->ip[h->n++] = ip;
}

static void put_all(struct held *h)
{
	while (h->n > 0)
		iput(h->ip[--h->n]);
}

/* Room left in the running transaction (this test is the only one changing the disk). */
static uint32_t room(void)
{
	return log_capacity() - log_logged();
}

/* Gives name in dp (locked) the contents data[0..n), or appends them; creates it. */
static int write_bytes(struct inode *dp, const char *name, const void *data, uint32_t n,
                       bool append, struct held *h)
{
	struct inode *ip;
	int err = fsop_create(dp, name, T_FILE, 0, 0, &ip);
	hold(h, ip);
	if (err)
		return err;
	err = ilock(ip);
	if (err)
		return err;
	uint32_t off = 0;
	if (append) {
		off = ip->d.size;
	} else {
		bool done;
		err = inode_truncate(ip, 0, room(), &done);
		if (err == 0 && !done)
			err = -EFBIG; /* the step does not fit in one transaction */
	}
	struct iobuf io = iobuf_kernel((void *)data);
	for (uint32_t at = 0; err == 0 && at < n;) {
		long w = inode_write(ip, &io, at, off + at, n - at, room());
		if (w < 0)
			err = (int)w;
		else if (at + (uint32_t)w < n)
			err = -EFBIG;
		else
			at += (uint32_t)w;
	}
	iunlock(ip);
	return err;
}

static int write_pattern(struct inode *dp, const char *name, uint32_t seed, uint32_t version,
                         uint32_t n, bool append, struct held *h)
{
	for (uint32_t i = 0; i < n; i++)
		content[i] = fs_pattern(seed, version, i);
	return write_bytes(dp, name, content, n, append, h);
}

static bool exists(struct inode *dp, const char *name)
{
	uint32_t inum;
	return dir_find(dp, name, &inum, NULL) == 0;
}

/*
 * Size of name in dp (locked), or an error. The reference is dropped at once, inside the
 * transaction: the inode has a name, so putting it cannot free it, and a reference kept
 * to the end would stop an unlink in this step from freeing the file in this step.
 */
static long size_of(struct inode *dp, const char *name)
{
	struct inode *ip;
	int err = dir_lookup(dp, name, &ip, NULL);
	if (err)
		return err;
	err = ilock(ip);
	long size = err ? err : (long)ip->d.size;
	if (err == 0)
		iunlock(ip);
	iput(ip);
	return size;
}

static int unlink_in(struct inode *dp, const char *name, struct held *h)
{
	struct inode *victim;
	int err = fsop_unlink(dp, name, room() > 3 ? room() - 3 : 1, &victim);
	hold(h, victim);
	return err;
}

/* The step's changes, inside its transaction, with /crash (cd) locked. */
static int step_body(uint32_t s, struct inode *cd, struct held *h)
{
	char f[8], ln[8];
	snprintf(f, sizeof f, "%c", "abcd"[s % 4]);
	snprintf(ln, sizeof ln, "%c.ln", "abcd"[s % 4]);
	uint32_t seed = s % 4 + 1;
	struct inode *ip;
	long size;
	int err = 0;
	switch (KINDS[(s / 4) % 5]) {
	case 0:
		return write_pattern(cd, f, seed, s, SIZES[s % 7], false, h);
	case 1:
		size = size_of(cd, f);
		if (size < 0 || size + 2500 > MAX_SIZE)
			return write_pattern(cd, f, seed, s, 2500, false, h);
		return write_pattern(cd, f, seed, s, 2500, true, h);
	case 2:
		if (exists(cd, f))
			return unlink_in(cd, f, h);
		return write_pattern(cd, f, seed, s, 700, false, h);
	case 3:
		err = dir_lookup(cd, "sub", &ip, NULL);
		if (err == 0) {
			err = ilock(ip);
			if (err == 0) {
				err = unlink_in(ip, "inner", h);
				iunlock(ip);
			}
			iput(ip); /* named still: see size_of() */
			return err ? err : unlink_in(cd, "sub", h);
		}
		err = fsop_create(cd, "sub", T_DIR, 0, 0, &ip);
		hold(h, ip);
		if (err == 0)
			err = ilock(ip);
		if (err == 0) {
			err = write_pattern(ip, "inner", 5, s, 4000, false, h);
			iunlock(ip);
		}
		return err;
	default:
		if (exists(cd, ln))
			return unlink_in(cd, ln, h);
		err = dir_lookup(cd, f, &ip, NULL);
		if (err == -ENOENT)
			return write_pattern(cd, f, seed, s, 900, false, h);
		hold(h, ip);
		return err ? err : fsop_link(cd, ln, ip);
	}
}

/* Runs step s as one transaction. */
static int run_step(uint32_t s)
{
	struct held h = {.n = 0};
	struct inode *top; /* the root for step 1, /crash after */
	int err = s == 1 ? fs_root(&top) : namei("/crash", NULL, &top);
	if (err)
		return err;
	hold(&h, top);
	err = log_begin(log_capacity());
	if (err) {
		put_all(&h);
		return err;
	}
	struct inode *cd = top;
	if (s == 1) {
		err = ilock(top);
		if (err == 0) {
			err = fsop_create(top, "crash", T_DIR, 0, 0, &cd);
			hold(&h, cd);
			iunlock(top);
		}
	}
	if (err == 0)
		err = ilock(cd);
	if (err == 0) {
		if (s > 1)
			err = step_body(s, cd, &h);
		uint8_t le[4] = {(uint8_t)s, (uint8_t)(s >> 8), (uint8_t)(s >> 16),
		                 (uint8_t)(s >> 24)};
		if (err == 0)
			err = write_bytes(cd, "step", le, 4, false, &h);
		iunlock(cd);
	}
	int eerr = log_end();
	put_all(&h);
	return err ? err : eerr;
}

/* The step /crash/step records: 0 if there is no /crash yet. */
static int current_step(uint32_t *s)
{
	struct file *f;
	int err = file_open("/crash/step", O_RDONLY, NULL, &f);
	if (err == -ENOENT) {
		*s = 0;
		return 0;
	}
	if (err)
		return err;
	uint8_t le[4] = {0};
	long r = file_read_kernel(f, le, 4);
	file_close(f);
	if (r != 4)
		return r < 0 ? (int)r : -ECORRUPT;
	*s = le[0] | (uint32_t)le[1] << 8 | (uint32_t)le[2] << 16 | (uint32_t)le[3] << 24;
	return 0;
}

/* Prints every entry of dir (a path) and, for files, their size and hash. */
static int report_dir(const char *dir)
{
	struct file *d;
	int err = file_open(dir, O_RDONLY, NULL, &d);
	if (err)
		return err == -ENOENT ? 0 : err;
	char names[160] = "";
	size_t len = 0;
	struct fs_dirent de;
	long r;
	while ((r = file_read_kernel(d, &de, sizeof de)) == sizeof de) {
		if (de.inum == 0)
			continue;
		char name[FS_NAME_LEN + 1], path[64];
		memcpy(name, de.name, FS_NAME_LEN);
		name[FS_NAME_LEN] = '\0';
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		len += snprintf(names + len, sizeof names - len, "%s%s", len ? "," : "", name);
		snprintf(path, sizeof path, "%s/%s", dir, name);
		uint32_t size, hash;
		struct inode *ip;
		err = namei(path, NULL, &ip);
		if (err)
			break;
		err = ilock(ip);
		uint16_t type = err ? 0 : ip->d.type;
		uint16_t nlink = err ? 0 : ip->d.nlink;
		if (err == 0)
			iunlock(ip);
		iput(ip);
		if (err)
			break;
		if (type == T_FILE) {
			err = fsu_hash(path, &size, &hash);
			if (err)
				break;
			ktest_info("file=%s size=%u hash=0x%x nlink=%u", path, size, hash, nlink);
		}
	}
	file_close(d);
	if (r < 0 && err == 0)
		err = (int)r;
	ktest_info("dir=%s entries=%s", dir, names[0] ? names : "-");
	return err;
}

/*
 * Reports the state recovery left, then runs up to STEPS_PER_BOOT steps; the grader's
 * crash point or kill is meant to stop it first. An error fails the running test.
 */
static void crash_workload(void)
{
	KCHECK(fs_mounted(), "no file system is mounted: boot with a disk");
	uint32_t s;
	int err = current_step(&s);
	KCHECK(err == 0, "reading /crash/step: %s", fs_strerror(err));
	ktest_info("state step=%u recovered=%lu", s, log_stats().recovered);
	err = report_dir("/crash");
	KCHECK(err == 0, "reading /crash: %s", fs_strerror(err));
	err = report_dir("/crash/sub");
	KCHECK(err == 0, "reading /crash/sub: %s", fs_strerror(err));
	uint32_t commits0 = crash_commits();
	for (uint32_t i = 1; i <= STEPS_PER_BOOT; i++) {
		err = run_step(s + i);
		KCHECK(err == 0, "step %u: %s", s + i, fs_strerror(err));
		ktest_info("done step=%u commits=%u", s + i, crash_commits() - commits0);
	}
}

/* Crashes at named points (grade/lab_fs.py: crash). Alone: it changes the disk for good. */
KTEST_ALONE(fs, crash)
{
	crash_workload();
}

/* The same workload, killed at random moments (grade/lab_fs.py: crash_random). */
KTEST_ALONE(fs, crash_random)
{
	crash_workload();
}
