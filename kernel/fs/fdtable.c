/*
 * Descriptor tables (kernel/fs/fdtable.h).
 */
#include "fs/fdtable.h"

#include <stddef.h>

#include "fs/errno.h"

void fdtable_init(struct fdtable *t)
{
	for (int i = 0; i < NOFILE; i++)
		t->fd[i] = NULL;
}

int fd_install(struct fdtable *t, struct file *f)
{
	for (int i = 0; i < NOFILE; i++) {
		if (t->fd[i] == NULL) {
			t->fd[i] = f;
			return i;
		}
	}
	return -EMFILE;
}

struct file *fd_get(const struct fdtable *t, int fd)
{
	return fd >= 0 && fd < NOFILE ? t->fd[fd] : NULL;
}

int fd_close(struct fdtable *t, int fd)
{
	struct file *f = fd_get(t, fd);
	if (f == NULL)
		return -EBADF;
	t->fd[fd] = NULL;
	file_close(f);
	return 0;
}

int fd_dup(struct fdtable *t, int fd)
{
	struct file *f = fd_get(t, fd);
	if (f == NULL)
		return -EBADF;
	int nfd = fd_install(t, file_dup(f));
	if (nfd < 0)
		file_close(f);
	return nfd;
}

void fdtable_copy(struct fdtable *dst, const struct fdtable *src)
{
	for (int i = 0; i < NOFILE; i++)
		dst->fd[i] = src->fd[i] ? file_dup(src->fd[i]) : NULL;
}

void fdtable_close_all(struct fdtable *t)
{
	for (int i = 0; i < NOFILE; i++)
		fd_close(t, i);
}
