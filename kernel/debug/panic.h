/*
 * Fatal errors. panic() prints the message, the hart, the boot phase and a backtrace,
 * stops every hart and powers off with exit status 1 (docs/protocol.md).
 */
#pragma once

#include <stdint.h>

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

/*
 * panic() for reports that know more than a message: after the "panic: hart" line it
 * calls details(ctx) (e.g. to print a trap frame), and the backtrace starts from `fp`
 * (e.g. the s0 of trapped code) instead of the caller's frame. If details (or anything
 * else in the report) faults, the report ends there: one line names the fault and the
 * machine powers off with the panic status.
 */
__attribute__((noreturn, format(printf, 4, 5))) void
panic_report(uintptr_t fp, void (*details)(const void *ctx), const void *ctx, const char *fmt, ...);

/* Prints "backtrace:" and one line per frame, starting from frame pointer fp. */
void backtrace_from(uintptr_t fp);

#define assert(cond)                                                                            \
	do {                                                                                    \
		if (!(cond))                                                                    \
			panic("assertion failed: %s (%s:%d, in %s)", #cond, __FILE__, __LINE__, \
			      __func__);                                                        \
	} while (0)
