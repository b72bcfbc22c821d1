/*
 * Kernel console output. One printf call is one unit: lines printed by different
 * harts never mix, as long as each line is printed by a single call.
 */
#pragma once

#include <stdarg.h>

void console_init(void);
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintf(const char *fmt, va_list ap);

/*
 * For panic(): from now on this hart prints without waiting for the console lock once
 * a short wait has failed, because the holder may be the hart that can never release.
 */
void console_enter_panic(void);
