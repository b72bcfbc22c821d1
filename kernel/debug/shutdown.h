/*
 * Ending the kernel: a clean shutdown, or a stop with one of the exit statuses of
 * docs/protocol.md that QEMU passes on to whoever started it.
 */
#pragma once

#include "hal/power.h"

enum exit_status {
	EXIT_OK = 0,
	EXIT_PANIC = 1,
	EXIT_TESTS_FAILED = 2,
	EXIT_LAB_MISSING = 3,
};

/* Prints "sprout: shutdown", stops the other harts and powers off. */
__attribute__((noreturn)) void shutdown(enum exit_status status);
