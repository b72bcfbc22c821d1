/*
 * What a user program can call: the system calls (their numbers are in
 * kernel/abi/syscall.h, their stubs in user/usys.S) and the small C library of user/
 * (ulib.c, printf.c, umalloc.c). The names and signatures are the classic xv6/Unix V6
 * teaching interface, so programs written for it compile with their #include lines
 * changed to these headers.
 *
 * Programs start in _start (start.S), which calls main(argc, argv) and then exit() with
 * what main returns.
 */
#pragma once

#include <stdarg.h>

#include "abi/device.h"
#include "abi/fcntl.h"
#include "abi/stat.h"
#include "abi/syscall.h"
#include "types.h"

/* System calls: -1 on error (sbrk: (char *)-1). What each does: abi/syscall.h. */
int fork(void);
int exit(int) __attribute__((noreturn));
int wait(int *);
int pipe(int *);
int write(int, const void *, int);
int read(int, void *, int);
int close(int);
int kill(int);
int exec(const char *, char **);
int open(const char *, int);
int mknod(const char *, short, short);
int unlink(const char *);
int fstat(int, struct stat *);
int link(const char *, const char *);
int mkdir(const char *);
int chdir(const char *);
int dup(int);
int getpid(void);
char *sbrk(int);
int sleep(int);
int uptime(void);
int sysstats(struct sysstats *);

/* Strings and memory (ulib.c). */
char *strcpy(char *, const char *);
int strcmp(const char *, const char *);
uint strlen(const char *);
char *strchr(const char *, char c);
void *memset(void *, int, uint);
void *memmove(void *, const void *, int);
int memcmp(const void *, const void *, uint);
void *memcpy(void *, const void *, uint);
int atoi(const char *);

/*
 * Reads from fd 0 up to and including a newline, at most max - 1 bytes, and ends buf
 * with a NUL. At end of input buf is "" (or the last line without its newline).
 */
char *gets(char *buf, int max);

/* open(path, O_RDONLY), fstat, close: 0 or -1. */
int stat(const char *path, struct stat *st);

/*
 * Formatted output (printf.c): %d %i %u %x %X %o %p %s %c %%, with the flags - 0 + space
 * #, a width and a precision (digits or *), and the sizes hh h l ll z. printf writes to
 * fd 1, fprintf to fd, each in as few write()s as its buffer allows (one for a line of
 * up to 256 bytes). They return the characters written, or -1 if a write failed.
 * snprintf writes at most size - 1 characters and a NUL, and returns the length the
 * whole output would have had.
 */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vfprintf(int fd, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
int snprintf(char *buf, int size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * The heap (umalloc.c): blocks aligned to 16 bytes, taken from sbrk() and never given
 * back to the kernel. free(0) does nothing; freeing anything malloc did not return, or
 * freeing twice, prints a message and exits the program with status 1.
 */
void *malloc(uint);
void free(void *);

/* For tests: checks malloc's free list; returns the bytes on it, or -1 if it is broken. */
long malloc_check(void);
