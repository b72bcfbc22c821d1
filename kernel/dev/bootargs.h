/*
 * The kernel command line (device tree /chosen/bootargs, QEMU's -append): words of
 * the form key=value. See docs/protocol.md for the keys.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Copies the value of `key` into buf and returns true, or returns false if absent. */
bool bootarg(const char *key, char *buf, size_t size);

/*
 * The value of `key` as a whole number in [min, max], or `fallback` if the key is
 * absent. A value that is not such a number is reported on the console, naming what
 * the key means (`what`, e.g. "a rate in Hz"), and `fallback` is used instead.
 */
unsigned bootarg_uint(const char *key, unsigned min, unsigned max, unsigned fallback,
                      const char *what);

/* Reports keys that no part of the kernel knows. */
void bootargs_check(void);
