/*
 * The file system's error numbers. Every fs function that can fail returns 0 (or a
 * count) on success and one of these, negated, on failure: -ENOENT, -EIO, ... Lab 7's
 * system calls decide what user programs see of them; fs_strerror() names them for
 * kernel log lines and tests.
 */
#pragma once

enum {
	EPERM = 1,         /* not allowed (unlinking "." or "..", linking a directory) */
	EINTR = 4,         /* the waiting thread was interrupted: its process was killed */
	ENOENT = 2,        /* no such file or directory */
	EIO = 5,           /* the disk failed a request, or the file system is off */
	EBADF = 9,         /* not an open descriptor, or not open for that */
	ENOMEM = 12,       /* kernel memory ran out */
	EFAULT = 14,       /* a user address that is not mapped for the access */
	EEXIST = 17,       /* the name is taken */
	ENOTDIR = 20,      /* a path component is not a directory */
	EISDIR = 21,       /* a directory where a file is needed */
	EINVAL = 22,       /* an argument that makes no sense */
	ENFILE = 23,       /* every open-file or in-memory inode slot is in use */
	EMFILE = 24,       /* every descriptor of the table is in use */
	EFBIG = 27,        /* past the largest file the format (or this kernel) allows */
	ENOSPC = 28,       /* no free block or inode left */
	EMLINK = 31,       /* a link count would overflow */
	EPIPE = 32,        /* writing to a pipe nobody reads */
	ENAMETOOLONG = 36, /* a name longer than FS_NAME_LEN */
	ENOTEMPTY = 39,    /* removing a directory that still has entries */
	ENODEV = 19,       /* no file system mounted, or a device number with no driver */
	ENOBUFS = 105,     /* every buffer of the block cache is in use */
	ECORRUPT = 117,    /* the image contradicts itself: a kernel log line says where */
};

/* "no such file or directory", ... for a negative or positive error number. */
const char *fs_strerror(int err);
