/*
 * The free-block bitmap: allocating and freeing data blocks, inside transactions.
 */
#pragma once

#include <stdint.h>

/*
 * Finds a free data block, marks it used and zeroes it, both through the log. Returns 0
 * with *out set, -ENOSPC when none is free, -EIO, or -ECORRUPT. Caller must be inside an
 * operation (kernel/fs/log.h) with room for two more blocks (a bitmap block and the new
 * one).
 */
int balloc(uint32_t *out);

/*
 * Marks block b free through the log. -ECORRUPT (and a log line) if b is not a data block
 * or is free already. Caller must be inside an operation, with room for a bitmap block.
 */
int bfree(uint32_t b);

/* Data blocks free now, counted in the bitmap (tests: what a deletion gives back). */
int balloc_count_free(uint32_t *out);
