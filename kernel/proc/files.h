/*
 * A process's open files and working directory: made with the process, copied by fork,
 * given back at exit. The descriptors are the file layer's (kernel/fs/fdtable.h).
 */
#pragma once

#include "fs/fdtable.h"

struct inode;

struct proc_files {
	struct fdtable fds;
	struct inode *cwd; /* NULL when no file system is mounted */
};

/* An empty table (no descriptors; the root as working directory), or NULL. */
struct proc_files *files_new(void);

/* A copy for fork: the same open files (each one more reference), the same directory. */
struct proc_files *files_copy(const struct proc_files *from);

/* Closes everything in f and frees it; NULL is allowed. May sleep. */
void files_free(struct proc_files *f);
