/*
 * printf-style formatting into any sink: the console (kernel/dev/console.c) and fixed
 * buffers (snprintf) share one implementation.
 *
 * Conversions: %d %i %u %x %X %p %s %c %%, with l, ll and z size modifiers, a field
 * width, '0' padding and '-' left alignment. %pS prints a code address as
 * symbol+offset from the kernel's own symbol table.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

typedef void (*format_sink)(char c, void *ctx);

void vformat(format_sink sink, void *ctx, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
