/*
 * Open files (kernel/fs/file.h): the table of open files, opening by path, and reading
 * and writing each kind of file.
 */
#include "fs/file.h"

#include <stddef.h>

#include "abi/fcntl.h"
#include "fs/devsw.h"
#include "fs/dir.h"
#include "fs/errno.h"
#include "fs/fsops.h"
#include "fs/inode.h"
#include "fs/iobuf.h"
#include "fs/log.h"
#include "fs/pipe.h"
#include "sync/spinlock.h"

static struct {
	struct spinlock lock; /* refs and kind of every slot */
	struct file files[NFILE];
} ftable = {.lock = SPINLOCK_INIT("ftable")};

static struct file *file_alloc(void)
{
	spin_lock(&ftable.lock);
	for (int i = 0; i < NFILE; i++) {
		struct file *f = &ftable.files[i];
		if (f->refs == 0) {
			*f = (struct file){.kind = FILE_NONE, .refs = 1};
			spin_unlock(&ftable.lock);
			return f;
		}
	}
	spin_unlock(&ftable.lock);
	return NULL;
}

/* A slot taken by file_alloc() but not handed out. */
static void file_free(struct file *f)
{
	spin_lock(&ftable.lock);
	f->refs = 0;
	spin_unlock(&ftable.lock);
}

int file_count(void)
{
	int n = 0;
	spin_lock(&ftable.lock);
	for (int i = 0; i < NFILE; i++)
		n += ftable.files[i].refs > 0;
	spin_unlock(&ftable.lock);
	return n;
}

/* The inode path names, created as a file if O_CREATE asks and it does not exist. */
static int lookup_or_create(const char *path, int flags, struct inode *cwd, struct inode **out)
{
	if (!(flags & O_CREATE))
		return namei(path, cwd, out);
	char name[FS_NAME_LEN + 1];
	struct inode *dp, *ip = NULL;
	int err = nameiparent(path, cwd, &dp, name);
	if (err)
		return err;
	err = log_begin(FS_TX_SMALL);
	if (err == 0) {
		err = ilock(dp);
		if (err == 0) {
			err = fsop_create(dp, name, T_FILE, 0, 0, &ip);
			iunlock(dp);
		}
		int eerr = log_end();
		if (err == 0)
			err = eerr;
	}
	iput(dp);
	if (err && ip) {
		iput(ip);
		ip = NULL;
	}
	*out = ip;
	return err;
}

int file_open(const char *path, int flags, struct inode *cwd, struct file **out)
{
	int mode = flags & O_ACCMODE;
	if (mode == O_ACCMODE || (flags & ~(O_ACCMODE | O_CREATE | O_TRUNC)))
		return -EINVAL;
	struct inode *ip;
	int err = lookup_or_create(path, flags, cwd, &ip);
	if (err)
		return err;
	err = ilock(ip);
	if (err) {
		iput(ip);
		return err;
	}
	uint16_t type = ip->d.type, major = ip->d.major, minor = ip->d.minor;
	iunlock(ip);
	if (type == T_DIR && mode != O_RDONLY)
		err = -EISDIR;
	else if (type == T_DEVICE && devsw_get(major) == NULL)
		err = -ENODEV;
	else if (type == T_FILE && (flags & O_TRUNC) && mode != O_RDONLY)
		err = inode_truncate_all(ip, 0);
	struct file *f = err ? NULL : file_alloc();
	if (err == 0 && f == NULL)
		err = -ENFILE;
	if (err) {
		iput(ip);
		return err;
	}
	f->kind = type == T_DEVICE ? FILE_DEVICE : FILE_INODE;
	f->ip = ip;
	f->major = major;
	f->minor = minor;
	f->readable = mode != O_WRONLY;
	f->writable = mode != O_RDONLY;
	f->off = 0;
	*out = f;
	return 0;
}

int file_pipe(struct file **rf, struct file **wf)
{
	struct pipe *p;
	int err = pipe_alloc(&p);
	if (err)
		return err;
	struct file *r = file_alloc(), *w = r ? file_alloc() : NULL;
	if (w == NULL) {
		if (r)
			file_free(r);
		pipe_close(p, true);
		pipe_close(p, false);
		return -ENFILE;
	}
	*r = (struct file){.kind = FILE_PIPE, .refs = 1, .readable = true, .pipe = p};
	*w = (struct file){.kind = FILE_PIPE, .refs = 1, .writable = true, .pipe = p};
	*rf = r;
	*wf = w;
	return 0;
}

struct file *file_dup(struct file *f)
{
	spin_lock(&ftable.lock);
	f->refs++;
	spin_unlock(&ftable.lock);
	return f;
}

void file_close(struct file *f)
{
	spin_lock(&ftable.lock);
	if (--f->refs > 0) {
		spin_unlock(&ftable.lock);
		return;
	}
	struct file copy = *f;
	f->kind = FILE_NONE;
	spin_unlock(&ftable.lock);
	if (copy.kind == FILE_PIPE)
		pipe_close(copy.pipe, copy.writable);
	else if (copy.ip)
		iput(copy.ip); /* the last reference to an unlinked file frees it */
}

int file_stat(struct file *f, struct stat *st)
{
	if (f->kind != FILE_INODE && f->kind != FILE_DEVICE)
		return -EBADF;
	int err = ilock(f->ip);
	if (err)
		return err;
	inode_stat(f->ip, st);
	iunlock(f->ip);
	return 0;
}

long file_read(struct file *f, const struct iobuf *io, size_t n)
{
	if (!f->readable)
		return -EBADF;
	if (f->kind == FILE_PIPE)
		return pipe_read(f->pipe, io, n);
	if (f->kind == FILE_DEVICE) {
		const struct devsw *d = devsw_get(f->major);
		return d && d->read ? d->read(f->minor, io, n) : -ENODEV;
	}
	if (f->kind != FILE_INODE)
		return -EBADF;
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	int err = ilock(f->ip);
	if (err)
		return err;
	long r = inode_read(f->ip, io, 0, f->off, (uint32_t)n);
	if (r > 0)
		f->off += (uint32_t)r;
	iunlock(f->ip);
	return r;
}

long file_write(struct file *f, const struct iobuf *io, size_t n)
{
	if (!f->writable)
		return -EBADF;
	if (f->kind == FILE_PIPE)
		return pipe_write(f->pipe, io, n);
	if (f->kind == FILE_DEVICE) {
		const struct devsw *d = devsw_get(f->major);
		return d && d->write ? d->write(f->minor, io, n) : -ENODEV;
	}
	if (f->kind != FILE_INODE)
		return -EBADF;
	size_t done = 0;
	long err = 0;
	/* As many transactions as it takes: each writes what fits in its reservation. */
	while (done < n) {
		err = log_begin(FS_TX_WRITE);
		if (err)
			break;
		err = ilock(f->ip);
		long w = err;
		if (err == 0) {
			uint32_t want = n - done > UINT32_MAX ? UINT32_MAX : (uint32_t)(n - done);
			w = inode_write(f->ip, io, done, f->off, want, FS_TX_WRITE);
			if (w > 0)
				f->off += (uint32_t)w;
			iunlock(f->ip);
		}
		long eerr = log_end();
		if (w < 0) {
			err = w;
			break;
		}
		done += (size_t)w;
		if (eerr) {
			err = eerr;
			break;
		}
	}
	return done ? (long)done : err;
}

long file_read_kernel(struct file *f, void *buf, size_t n)
{
	struct iobuf io = iobuf_kernel(buf);
	return file_read(f, &io, n);
}

long file_write_kernel(struct file *f, const void *buf, size_t n)
{
	struct iobuf io = iobuf_kernel((void *)buf);
	return file_write(f, &io, n);
}
