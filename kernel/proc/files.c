/*
 * Until the file layer exists, a process's file table holds nothing: the process layer
 * can already make, copy and free one. (Replaced when kernel/fs/ arrives.)
 */
#include "proc/files.h"

#include <stddef.h>

#include "mm/kmalloc.h"

struct proc_files {
	int unused;
};

struct proc_files *files_new(void)
{
	return kmalloc(sizeof(struct proc_files));
}

struct proc_files *files_copy(const struct proc_files *from)
{
	(void)from;
	return files_new();
}

void files_free(struct proc_files *f)
{
	if (f)
		kfree(f);
}
