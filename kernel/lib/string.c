/*
 * Memory and string functions. GCC may emit calls to memset, memcpy, memmove and
 * memcmp on its own, so they exist even where the kernel never names them. memset and
 * memcpy move 8 bytes at a time when their pointers allow it: pages are zeroed and
 * copied often (page tables, address spaces), and a byte loop costs 4 instructions a
 * byte.
 */
#include "lib/string.h"

#include <stdint.h>

/* Caller must pass n writable bytes at dst. */
void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	if ((uintptr_t)d % 8 == 0) {
		uint64_t word = 0x0101010101010101UL * (unsigned char)c;
		for (; n >= 8; n -= 8, d += 8)
			*(uint64_t *)d = word;
	}
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

/* Caller must pass non-overlapping ranges of n bytes (memmove for overlapping ones). */
void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if ((uintptr_t)d % 8 == 0 && (uintptr_t)s % 8 == 0)
		for (; n >= 8; n -= 8, d += 8, s += 8)
			*(uint64_t *)d = *(const uint64_t *)s;
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if (d < s) {
		while (n--)
			*d++ = *s++;
	} else {
		while (n--)
			d[n] = s[n];
	}
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (; *s; s++)
		if (*s == (char)c)
			return (char *)s;
	return c == 0 ? (char *)s : NULL;
}

/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);
	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
