/*
 * The two kinds of iobuf (kernel/fs/iobuf.h): kernel memory, copied with memcpy, and a
 * user address space, copied with copyin()/copyout(), which check every page and fail
 * instead of faulting.
 */
#include "fs/iobuf.h"

#include "fs/errno.h"
#include "lib/string.h"
#include "vm/addrspace.h"

static int move_kernel(const struct iobuf *io, size_t at, void *k, size_t n, bool into_k)
{
	char *mine = (char *)io->kbuf + at;
	if (into_k)
		memmove(k, mine, n);
	else
		memmove(mine, k, n);
	return 0;
}

static int move_user(const struct iobuf *io, size_t at, void *k, size_t n, bool into_k)
{
	int r = into_k ? copyin(io->as, k, io->va + at, n) : copyout(io->as, io->va + at, k, n);
	return r == 0 ? 0 : -EFAULT;
}

struct iobuf iobuf_kernel(void *buf)
{
	return (struct iobuf){.move = move_kernel, .kbuf = buf};
}

struct iobuf iobuf_user(const struct addrspace *as, uintptr_t va)
{
	return (struct iobuf){.move = move_user, .as = as, .va = va};
}
