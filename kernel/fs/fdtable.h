/*
 * A descriptor table: the small numbers a process uses for its open files. Lab 7 embeds
 * one in each process; until then the tests make their own. A table is used by one
 * thread at a time (the process's): its functions take no lock.
 *
 *   struct fdtable t;
 *   fdtable_init(&t);
 *   struct file *f;
 *   if (file_open("/README.md", O_RDONLY, NULL, &f) == 0) {
 *           int fd = fd_install(&t, f);   // the table now holds f's reference
 *           ...
 *           fd_close(&t, fd);
 *   }
 */
#pragma once

#include "fs/file.h"

#define NOFILE 16 /* descriptors per table */

struct fdtable {
	struct file *fd[NOFILE];
};

void fdtable_init(struct fdtable *t);

/*
 * Puts f in the lowest free descriptor and returns it; the table takes over the caller's
 * reference. -EMFILE if the table is full (the caller keeps its reference then).
 */
int fd_install(struct fdtable *t, struct file *f);

/* The open file behind fd, or NULL if fd is not open (the table keeps its reference). */
struct file *fd_get(const struct fdtable *t, int fd);

/* Closes fd: 0 or -EBADF. */
int fd_close(struct fdtable *t, int fd);

/* A new descriptor for the same open file (dup): the new fd, -EBADF or -EMFILE. */
int fd_dup(struct fdtable *t, int fd);

/* Makes dst (empty) share every open file of src, as fork() does. */
void fdtable_copy(struct fdtable *dst, const struct fdtable *src);

/* Closes every descriptor, as exit() does. */
void fdtable_close_all(struct fdtable *t);
