/*
 * Helpers the file-system tests share: whole files by path, the byte patterns the tests
 * and the graders agree on, and the FNV-1a hash the kernel prints so that a grader can
 * check a file's contents without the kernel printing them.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* FNV-1a, 32 bits: start with FNV_START, feed bytes in any pieces. */
#define FNV_START 2166136261u
uint32_t fnv1a(uint32_t h, const void *p, size_t n);

/* Byte i of version `version` of the test file with seed `seed` (grade/fsimage.py has the
   same formula). */
static inline uint8_t fs_pattern(uint32_t seed, uint32_t version, uint32_t i)
{
	return (uint8_t)((i * 31u + (i >> 10) * 17u + version * 101u + seed * 7u) % 251u);
}

/* Byte i of /pattern.bin, which the Makefile makes on the host (300 KiB + 123 bytes). */
#define PATTERN_BIN_SIZE (300 * 1024 + 123)
static inline uint8_t pattern_bin(uint32_t i)
{
	return (uint8_t)((i + i / 1024 * 7) % 251);
}

/* Writes n bytes as the whole contents of path (created if need be): 0 or an error. */
int fsu_put(const char *path, const void *data, size_t n);

/* Size and FNV-1a hash of path's contents, read in pieces: 0 or an error. */
int fsu_hash(const char *path, uint32_t *size, uint32_t *hash);

/* Free data blocks on the disk, or -1 on an error. */
long fsu_free_blocks(void);
