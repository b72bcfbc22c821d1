/*
 * The kernel functions that the allocators call, for the host: panic() and
 * lab_missing() print like the kernel's and exit with the kernel's exit statuses
 * (docs/protocol.md), so a test can run code in a child process and check how it
 * ended.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "debug/lab.h"
#include "mm/mm_port.h"

/*
 * _exit, not exit: a panic leaves the allocator's state half-changed and the test's
 * memory held, and neither atexit handlers nor the leak checker should run on that.
 */
void panic(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fprintf(stderr, "panic: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fflush(stderr);
	_exit(1);
}

void lab_missing(const char *what, const char *handout)
{
	printf("\n%s is not implemented yet: see %s\n", what, handout);
	fflush(stdout);
	_exit(3);
}
