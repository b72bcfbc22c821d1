/*
 * The string, memory and small I/O helpers of user programs. Nothing here keeps state,
 * and only gets() and stat() make system calls, so the host tests (user/test_user.py)
 * build this file as it is.
 */
#include "user.h"

/* Every call user.h declares has the signature kernel/abi/syscall.h gives it. */
#define SAME_SIGNATURE(name, number, result, args)                                  \
	_Static_assert(__builtin_types_compatible_p(__typeof__(name), result args), \
	               #name " in user.h differs from kernel/abi/syscall.h");
SYSCALLS(SAME_SIGNATURE)
#undef SAME_SIGNATURE

char *strcpy(char *dst, const char *src)
{
	char *d = dst;
	while ((*d++ = *src++) != '\0')
		;
	return dst;
}

int strcmp(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

uint strlen(const char *s)
{
	const char *end = s;
	while (*end != '\0')
		end++;
	return (uint)(end - s);
}

char *strchr(const char *s, char c)
{
	for (;; s++) {
		if (*s == c)
			return (char *)s;
		if (*s == '\0')
			return 0;
	}
}

void *memset(void *dst, int c, uint n)
{
	unsigned char *d = dst;
	for (uint i = 0; i < n; i++)
		d[i] = (unsigned char)c;
	return dst;
}

/* Copies forward unless dst starts inside src, where it must copy backward. */
void *memmove(void *dst, const void *src, int n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if (n <= 0 || d == s)
		return dst;
	if (d < s || d >= s + n) {
		for (int i = 0; i < n; i++)
			d[i] = s[i];
	} else {
		for (int i = n - 1; i >= 0; i--)
			d[i] = s[i];
	}
	return dst;
}

void *memcpy(void *dst, const void *src, uint n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	for (uint i = 0; i < n; i++)
		d[i] = s[i];
	return dst;
}

int memcmp(const void *a, const void *b, uint n)
{
	const unsigned char *x = a, *y = b;
	for (uint i = 0; i < n; i++) {
		if (x[i] != y[i])
			return x[i] - y[i];
	}
	return 0;
}

/* Leading blanks, an optional sign, then decimal digits; stops at anything else. */
int atoi(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	int negative = *s == '-';
	if (*s == '-' || *s == '+')
		s++;
	unsigned int v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (unsigned int)(*s++ - '0');
	return negative ? (int)(0u - v) : (int)v;
}

char *gets(char *buf, int max)
{
	int n = 0;
	while (n + 1 < max) {
		char c;
		if (read(0, &c, 1) != 1)
			break;
		buf[n++] = c;
		if (c == '\n' || c == '\r')
			break;
	}
	if (max > 0)
		buf[n] = '\0';
	return buf;
}

int stat(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	int r = fstat(fd, st);
	close(fd);
	return r;
}
