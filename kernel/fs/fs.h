/*
 * The file system's interface to the rest of the kernel: what lab 7's system calls
 * wrap, each in a few lines.
 *
 *   open(path, flags)     file_open(path, flags, p->cwd, &f); fd_install(&p->fds, f)
 *   read(fd, addr, n)     io = iobuf_user(p->as, addr); file_read(fd_get(&p->fds, fd), &io, n)
 *   write(fd, addr, n)    the same with file_write()
 *   close(fd)             fd_close(&p->fds, fd)
 *   dup(fd)               fd_dup(&p->fds, fd)
 *   pipe(fds)             file_pipe(&r, &w); fd_install() both
 *   fstat(fd, addr)       file_stat(f, &st), then copyout() st
 *   link(old, new)        fs_link(old, new, p->cwd)
 *   unlink(path)          fs_unlink(path, p->cwd)
 *   mkdir(path)           fs_mkdir(path, p->cwd)
 *   mknod(path, maj, min) fs_mknod(path, p->cwd, maj, min)
 *   chdir(path)           fs_chdir(path, p->cwd, &dir); iput(old cwd); p->cwd = dir
 *   exec(path, ...)       namei(path, p->cwd, &ip); ilock(ip); inode_read() the ELF
 *                         headers and segments (into the new address space through
 *                         iobuf_user); iunlock(ip); iput(ip)
 *
 * A process's working directory is an inode reference (fs_root() gives the first one);
 * its descriptors a struct fdtable (kernel/fs/fdtable.h). Paths are kernel strings:
 * copyinstr() them first. Errors are negative numbers from kernel/fs/errno.h. None of
 * these may be called inside a transaction or while holding a spinlock.
 */
#pragma once

#include <stdint.h>

#include "abi/device.h"
#include "abi/fcntl.h"
#include "abi/stat.h"
#include "fs/dir.h"
#include "fs/errno.h"
#include "fs/fdtable.h"
#include "fs/file.h"
#include "fs/inode.h"
#include "fs/iobuf.h"

/* Boot, once, scheduler phase: the buffer cache, the device table, crash points. */
void fs_init(void);

/* A reference to the root directory (a first working directory). */
int fs_root(struct inode **out);

int fs_mkdir(const char *path, struct inode *cwd);
int fs_mknod(const char *path, struct inode *cwd, uint16_t major, uint16_t minor);
int fs_link(const char *oldpath, const char *newpath, struct inode *cwd);
int fs_unlink(const char *path, struct inode *cwd);

/* The directory path names, referenced (the caller puts the old working directory). */
int fs_chdir(const char *path, struct inode *cwd, struct inode **newcwd);
