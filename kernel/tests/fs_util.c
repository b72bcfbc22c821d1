/*
 * File-system test helpers (kernel/tests/fs_util.h).
 */
#include "tests/fs_util.h"

#include "fs/balloc.h"
#include "fs/fs.h"

uint32_t fnv1a(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

int fsu_put(const char *path, const void *data, size_t n)
{
	struct file *f;
	int err = file_open(path, O_CREATE | O_TRUNC | O_WRONLY, NULL, &f);
	if (err)
		return err;
	long w = file_write_kernel(f, data, n);
	file_close(f);
	if (w < 0)
		return (int)w;
	return (size_t)w == n ? 0 : -EIO;
}

int fsu_hash(const char *path, uint32_t *size, uint32_t *hash)
{
	struct file *f;
	int err = file_open(path, O_RDONLY, NULL, &f);
	if (err)
		return err;
	uint8_t piece[256];
	uint32_t h = FNV_START, total = 0;
	long r;
	while ((r = file_read_kernel(f, piece, sizeof piece)) > 0) {
		h = fnv1a(h, piece, (size_t)r);
		total += (uint32_t)r;
	}
	file_close(f);
	if (r < 0)
		return (int)r;
	*size = total;
	*hash = h;
	return 0;
}

long fsu_free_blocks(void)
{
	uint32_t n;
	return balloc_count_free(&n) == 0 ? (long)n : -1;
}
