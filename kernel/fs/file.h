/*
 * Open files: what a descriptor points at. An open file is an inode with an offset and
 * access rights, a device (a T_DEVICE inode, read and written by its driver), or one end
 * of a pipe. Descriptor tables (kernel/fs/fdtable.h) hold references to them; dup()
 * and fork() share one open file, offset included.
 *
 * Reads and writes move bytes through an iobuf (kernel/fs/iobuf.h): kernel memory, or a
 * user address space in lab 7.
 *
 * Every call returns a count or 0 on success and a negative error (kernel/fs/errno.h);
 * none may be called inside a transaction, and file_close() may free an inode.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/stat.h"

struct inode;
struct iobuf;
struct pipe;

#define NFILE 100 /* open files in the whole system */

enum file_kind { FILE_NONE, FILE_INODE, FILE_DEVICE, FILE_PIPE };

struct file {
	enum file_kind kind;
	uint32_t refs; /* descriptors and other holders; the file table's lock */
	bool readable, writable;
	struct inode *ip;      /* FILE_INODE and FILE_DEVICE */
	struct pipe *pipe;     /* FILE_PIPE */
	uint16_t major, minor; /* FILE_DEVICE */
	uint32_t off;          /* FILE_INODE: the next byte; guarded by the inode's lock */
};

/*
 * Opens path (relative to cwd, the root if NULL) with O_* flags (kernel/abi/fcntl.h):
 * O_CREATE makes a file if there is none, O_TRUNC empties a file opened for writing. A
 * directory may only be opened O_RDONLY (its contents are struct fs_dirent entries). 0
 * with *out holding one reference, or -ENOENT, -EISDIR, -EINVAL (bad flags), -ENFILE,
 * -ENODEV (a device with no driver), ...
 */
int file_open(const char *path, int flags, struct inode *cwd, struct file **out);

/* Both ends of a new pipe: *rf reads, *wf writes. */
int file_pipe(struct file **rf, struct file **wf);

/*
 * Reads up to n bytes into io: the bytes read (0 at the end of a file, or of a pipe with
 * no writer left), or -EBADF if f is not open for reading, or another error.
 */
long file_read(struct file *f, const struct iobuf *io, size_t n);

/*
 * Writes n bytes from io: n, or fewer if an error stopped it after some (a full disk,
 * a bad user address), or the error if none was written. A file write is split into as
 * many transactions as it needs; each leaves the file consistent.
 */
long file_write(struct file *f, const struct iobuf *io, size_t n);

/* One more reference to f. */
struct file *file_dup(struct file *f);

/* Drops a reference; the last closes the pipe end or puts the inode (which may free it). */
void file_close(struct file *f);

/* What fstat() returns; -EBADF for a pipe. */
int file_stat(struct file *f, struct stat *st);

/* Open files now (tests: every file was closed). */
int file_count(void);

/* Kernel-buffer conveniences for tests and the kernel itself. */
long file_read_kernel(struct file *f, void *buf, size_t n);
long file_write_kernel(struct file *f, const void *buf, size_t n);
