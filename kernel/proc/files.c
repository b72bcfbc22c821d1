/*
 * A process's open files and working directory (kernel/proc/files.h), on the file
 * layer's descriptor tables (kernel/fs/fdtable.h).
 */
#include "proc/files.h"

#include <stddef.h>

#include "fs/fs.h"
#include "mm/kmalloc.h"

struct proc_files *files_new(void)
{
	struct proc_files *f = kmalloc(sizeof *f);
	if (f == NULL)
		return NULL;
	fdtable_init(&f->fds);
	/* Without a file system, no directory: paths then fail with an error. */
	if (fs_root(&f->cwd) != 0)
		f->cwd = NULL;
	return f;
}

struct proc_files *files_copy(const struct proc_files *from)
{
	struct proc_files *f = kmalloc(sizeof *f);
	if (f == NULL)
		return NULL;
	fdtable_init(&f->fds);
	fdtable_copy(&f->fds, &from->fds);
	f->cwd = from->cwd ? idup(from->cwd) : NULL;
	return f;
}

void files_free(struct proc_files *f)
{
	if (f == NULL)
		return;
	fdtable_close_all(&f->fds);
	if (f->cwd)
		iput(f->cwd);
	kfree(f);
}
