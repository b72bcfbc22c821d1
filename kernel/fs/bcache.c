/*
 * The buffer cache (kernel/fs/bcache.h). One spinlock guards which block each buffer
 * holds, the reference and pin counts and the recycling list; each buffer's own mutex
 * guards its data. A thread finds (or claims) its buffer under the spinlock, then
 * sleeps on the buffer's mutex, never on the spinlock.
 */
#include "fs/bcache.h"

#include <stddef.h>

#include "dev/console.h"
#include "fs/disk.h"
#include "fs/errno.h"
#include "sync/spinlock.h"

static struct {
	struct spinlock lock;
	struct buf bufs[BCACHE_NBUF];
	/* The recycling list through newer/older: head.older is the most recently used,
	   head.newer the least. */
	struct buf head;
	uint64_t hits, misses;
	bool full_reported;
} cache = {.lock = SPINLOCK_INIT("bcache")};

static void unlink_buf(struct buf *b)
{
	b->newer->older = b->older;
	b->older->newer = b->newer;
}

/* Puts b at the most-recently-used end. */
static void link_front(struct buf *b)
{
	b->newer = &cache.head;
	b->older = cache.head.older;
	cache.head.older->newer = b;
	cache.head.older = b;
}

void bcache_init(void)
{
	cache.head.newer = cache.head.older = &cache.head;
	for (int i = 0; i < BCACHE_NBUF; i++) {
		struct buf *b = &cache.bufs[i];
		mutex_init(&b->lock, "buf");
		link_front(b);
	}
}

/* The buffer for blockno with one more reference, or NULL if none can be had. */
static struct buf *get(uint32_t blockno, bool *hit)
{
	spin_lock(&cache.lock);
	for (struct buf *b = cache.head.older; b != &cache.head; b = b->older) {
		if (b->blockno == blockno && (b->valid || b->refs || b->pins)) {
			b->refs++;
			*hit = b->valid;
			spin_unlock(&cache.lock);
			return b;
		}
	}
	/* Not cached: recycle the least recently used buffer nobody holds. */
	for (struct buf *b = cache.head.newer; b != &cache.head; b = b->newer) {
		if (b->refs == 0 && b->pins == 0) {
			b->blockno = blockno;
			b->valid = false;
			b->refs = 1;
			*hit = false;
			spin_unlock(&cache.lock);
			return b;
		}
	}
	bool report = !cache.full_reported;
	cache.full_reported = true;
	spin_unlock(&cache.lock);
	if (report)
		printf("sprout: fs: all %d buffers of the block cache are in use\n", BCACHE_NBUF);
	return NULL;
}

static void put(struct buf *b)
{
	spin_lock(&cache.lock);
	if (--b->refs == 0) {
		unlink_buf(b);
		link_front(b);
	}
	spin_unlock(&cache.lock);
}

int bread(uint32_t blockno, struct buf **out)
{
	bool hit;
	struct buf *b = get(blockno, &hit);
	if (b == NULL)
		return -ENOBUFS;
	mutex_lock(&b->lock);
	if (!b->valid) {
		int err = disk_read(blockno, b->data);
		if (err) {
			mutex_unlock(&b->lock);
			put(b);
			return err;
		}
		b->valid = true;
	}
	spin_lock(&cache.lock);
	if (hit)
		cache.hits++;
	else
		cache.misses++;
	spin_unlock(&cache.lock);
	*out = b;
	return 0;
}

int bget_blank(uint32_t blockno, struct buf **out)
{
	bool hit;
	struct buf *b = get(blockno, &hit);
	if (b == NULL)
		return -ENOBUFS;
	mutex_lock(&b->lock);
	/* The caller fills it whole: from now on its data is the block's. */
	b->valid = true;
	*out = b;
	return 0;
}

int bwrite(struct buf *b)
{
	return disk_write(b->blockno, b->data);
}

void brelse(struct buf *b)
{
	mutex_unlock(&b->lock);
	put(b);
}

void bpin(struct buf *b)
{
	spin_lock(&cache.lock);
	b->pins++;
	spin_unlock(&cache.lock);
}

void bunpin(struct buf *b)
{
	spin_lock(&cache.lock);
	b->pins--;
	spin_unlock(&cache.lock);
}

bool bcache_forget(uint32_t blockno)
{
	bool dropped = false;
	spin_lock(&cache.lock);
	for (int i = 0; i < BCACHE_NBUF; i++) {
		struct buf *b = &cache.bufs[i];
		if (b->blockno == blockno && b->valid && b->refs == 0 && b->pins == 0) {
			b->valid = false;
			dropped = true;
		}
	}
	spin_unlock(&cache.lock);
	return dropped;
}

struct bcache_stats bcache_stats(void)
{
	struct bcache_stats s = {0};
	spin_lock(&cache.lock);
	s.hits = cache.hits;
	s.misses = cache.misses;
	for (int i = 0; i < BCACHE_NBUF; i++) {
		s.held += cache.bufs[i].refs > 0;
		s.pinned += cache.bufs[i].pins > 0;
	}
	spin_unlock(&cache.lock);
	return s;
}
