/*
 * A process's open files and working directory, as the process layer sees them: made
 * with the process, copied by fork, given back at exit. The file layer (lab 8's
 * kernel/fs/) fills in what they hold.
 */
#pragma once

struct proc_files;

/* An empty table (no descriptors; the root as working directory), or NULL. */
struct proc_files *files_new(void);

/* A copy for fork: the same open files (each one more reference), the same directory. */
struct proc_files *files_copy(const struct proc_files *from);

/* Closes everything in f and frees it; NULL is allowed. May sleep. */
void files_free(struct proc_files *f);
