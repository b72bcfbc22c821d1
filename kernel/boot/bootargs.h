/*
 * The kernel command line (device tree /chosen/bootargs, QEMU's -append): words of
 * the form key=value. See docs/protocol.md for the keys.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Copies the value of `key` into buf and returns true, or returns false if absent. */
bool bootarg(const char *key, char *buf, size_t size);

/* Reports keys that no part of the kernel knows. */
void bootargs_check(void);
