/*
 * The free-block bitmap (kernel/fs/balloc.h). Allocation is next-fit: the search starts
 * where the previous one ended, so a file written in one go gets neighbouring blocks and
 * a search rarely rescans the full part of the disk. Each bitmap block's buffer lock
 * makes testing and setting a bit one step: two threads never take the same block.
 */
#include "fs/balloc.h"

#include <stdbool.h>

#include "fs/bcache.h"
#include "fs/errno.h"
#include "fs/log.h"
#include "fs/super.h"
#include "lib/string.h"

/* Where the next search starts (a hint: any value is safe, races included). */
static uint32_t next_fit;

static uint32_t bitmap_block(uint32_t b)
{
	return fs_sb.bitmap_start + b / FS_BITS_PER_BLOCK;
}

/* Takes the first free bit in [from, to) of the bitmap; 0 if none. */
static int take_in(uint32_t from, uint32_t to, uint32_t *out)
{
	for (uint32_t b = from; b < to;) {
		struct buf *bm;
		int err = bread(bitmap_block(b), &bm);
		if (err)
			return err;
		uint32_t end = (b / FS_BITS_PER_BLOCK + 1) * FS_BITS_PER_BLOCK;
		if (end > to)
			end = to;
		for (; b < end; b++) {
			uint32_t bit = b % FS_BITS_PER_BLOCK;
			if (bm->data[bit / 8] == 0xff && bit % 8 == 0 && b + 8 <= end) {
				b += 7; /* a whole byte in use */
				continue;
			}
			if (!(bm->data[bit / 8] & (1u << (bit % 8)))) {
				bm->data[bit / 8] |= (uint8_t)(1u << (bit % 8));
				log_write(bm);
				brelse(bm);
				*out = b;
				return 0;
			}
		}
		brelse(bm);
	}
	*out = 0;
	return 0;
}

int balloc(uint32_t *out)
{
	uint32_t start = next_fit;
	if (start < fs_sb.data_start || start >= fs_sb.nblocks)
		start = fs_sb.data_start;
	uint32_t b;
	int err = take_in(start, fs_sb.nblocks, &b);
	if (err == 0 && b == 0)
		err = take_in(fs_sb.data_start, start, &b);
	if (err)
		return err;
	if (b == 0)
		return -ENOSPC;
	next_fit = b + 1;
	struct buf *nb;
	err = bget_blank(b, &nb);
	if (err)
		return err; /* the bit stays set in this transaction: a leak, not a loss */
	memset(nb->data, 0, FS_BLOCK_SIZE);
	log_write(nb);
	brelse(nb);
	*out = b;
	return 0;
}

int bfree(uint32_t b)
{
	if (!fs_data_block(b))
		return fs_corrupt("freeing block %u, which is not a data block", b);
	struct buf *bm;
	int err = bread(bitmap_block(b), &bm);
	if (err)
		return err;
	uint32_t bit = b % FS_BITS_PER_BLOCK;
	uint8_t mask = (uint8_t)(1u << (bit % 8));
	if (!(bm->data[bit / 8] & mask)) {
		brelse(bm);
		return fs_corrupt("freeing block %u, which is free already", b);
	}
	bm->data[bit / 8] &= (uint8_t)~mask;
	log_write(bm);
	brelse(bm);
	return 0;
}

int balloc_count_free(uint32_t *out)
{
	uint32_t free = 0;
	for (uint32_t b = fs_sb.data_start; b < fs_sb.nblocks;) {
		struct buf *bm;
		int err = bread(bitmap_block(b), &bm);
		if (err)
			return err;
		uint32_t end = (b / FS_BITS_PER_BLOCK + 1) * FS_BITS_PER_BLOCK;
		if (end > fs_sb.nblocks)
			end = fs_sb.nblocks;
		for (; b < end; b++)
			free += !(bm->data[(b % FS_BITS_PER_BLOCK) / 8] & (1u << (b % 8)));
		brelse(bm);
	}
	*out = free;
	return 0;
}
