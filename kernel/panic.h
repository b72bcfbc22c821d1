/*
 * Fatal errors. panic() prints the message, the hart, the boot phase and a backtrace,
 * stops every hart and powers off with exit status 1 (docs/protocol.md).
 */
#pragma once

#include <stdint.h>

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

/* Prints "backtrace:" and one line per frame, starting from frame pointer fp. */
void backtrace_from(uintptr_t fp);

#define assert(cond)                                                                   \
	do {                                                                           \
		if (!(cond))                                                           \
			panic("assertion failed: %s (%s:%d, in %s)", #cond, __FILE__,  \
			      __LINE__, __func__);                                     \
	} while (0)
