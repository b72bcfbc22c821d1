/*
 * Pipes (kernel/fs/pipe.h). One spinlock per pipe guards the ring and the ends; readers
 * sleep on the read count, writers on the write count. Bytes are copied to and from the
 * iobuf with the lock held: a user copy (copyin/copyout) checks pages without faulting
 * or sleeping, so it may run under a spinlock.
 */
#include "fs/pipe.h"

#include <stdint.h>

#include "fs/errno.h"
#include "fs/iobuf.h"
#include "mm/kmalloc.h"
#include "sched/sleep.h"
#include "sync/spinlock.h"

struct pipe {
	struct spinlock lock;
	uint32_t nread, nwrite; /* bytes read and written since the start (free-running) */
	bool reader, writer;    /* the ends still open */
	char data[PIPE_SIZE];
};

static volatile uint32_t live;

int pipe_alloc(struct pipe **out)
{
	struct pipe *p = kmalloc(sizeof *p);
	if (p == NULL)
		return -ENOMEM;
	spin_init(&p->lock, "pipe");
	p->nread = p->nwrite = 0;
	p->reader = p->writer = true;
	__atomic_fetch_add(&live, 1, __ATOMIC_RELAXED);
	*out = p;
	return 0;
}

void pipe_close(struct pipe *p, bool writing_end)
{
	spin_lock(&p->lock);
	if (writing_end) {
		p->writer = false;
		wakeup(&p->nread);
	} else {
		p->reader = false;
		wakeup(&p->nwrite);
	}
	bool gone = !p->reader && !p->writer;
	spin_unlock(&p->lock);
	if (gone) {
		spin_deinit(&p->lock);
		kfree(p);
		__atomic_fetch_sub(&live, 1, __ATOMIC_RELAXED);
	}
}

int pipe_count(void)
{
	return (int)__atomic_load_n(&live, __ATOMIC_RELAXED);
}

/* Moves up to n bytes between the ring at position pos and io at `at`: one or two copies. */
static int ring_move(struct pipe *p, uint32_t pos, const struct iobuf *io, size_t at, size_t n,
                     bool into_ring)
{
	uint32_t start = pos % PIPE_SIZE;
	size_t first = PIPE_SIZE - start < n ? PIPE_SIZE - start : n;
	int err = iobuf_move(io, at, p->data + start, first, into_ring);
	if (err == 0 && first < n)
		err = iobuf_move(io, at + first, p->data, n - first, into_ring);
	return err;
}

long pipe_write(struct pipe *p, const struct iobuf *io, size_t n)
{
	size_t done = 0;
	int err = 0;
	spin_lock(&p->lock);
	while (done < n) {
		if (!p->reader) {
			err = -EPIPE;
			break;
		}
		uint32_t room = PIPE_SIZE - (p->nwrite - p->nread);
		if (room == 0) {
			wakeup(&p->nread);
			if (!sleep_on_interruptible(&p->nwrite, &p->lock)) {
				err = -EINTR; /* killed while waiting for room */
				break;
			}
			continue;
		}
		size_t m = n - done < room ? n - done : room;
		err = ring_move(p, p->nwrite, io, done, m, true);
		if (err)
			break;
		p->nwrite += (uint32_t)m;
		done += m;
	}
	wakeup(&p->nread);
	spin_unlock(&p->lock);
	return done ? (long)done : err;
}

long pipe_read(struct pipe *p, const struct iobuf *io, size_t n)
{
	spin_lock(&p->lock);
	while (p->nread == p->nwrite && p->writer) {
		if (!sleep_on_interruptible(&p->nread, &p->lock)) {
			spin_unlock(&p->lock);
			return -EINTR; /* killed while waiting for bytes */
		}
	}
	uint32_t have = p->nwrite - p->nread;
	size_t m = n < have ? n : have;
	int err = m ? ring_move(p, p->nread, io, 0, m, false) : 0;
	if (err == 0)
		p->nread += (uint32_t)m;
	wakeup(&p->nwrite);
	spin_unlock(&p->lock);
	return err ? err : (long)m;
}
