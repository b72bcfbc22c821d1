/*
 * The device table: what reading and writing a device file (a T_DEVICE inode) does,
 * by its major number (kernel/abi/device.h). The console is major CONSOLE; tests may
 * register devices of their own.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct iobuf;

struct devsw {
	/* Each moves up to n bytes through io; returns the bytes moved or an error. */
	long (*read)(uint16_t minor, const struct iobuf *io, size_t n);
	long (*write)(uint16_t minor, const struct iobuf *io, size_t n);
};

/* Boot, or a test before it uses the device: `ops` must outlive its use. 0 or -EINVAL. */
int devsw_register(uint16_t major, const struct devsw *ops);

/* The driver of `major`, or NULL. */
const struct devsw *devsw_get(uint16_t major);

/* Registers the console as major CONSOLE (fs_init does it). */
void console_device_init(void);
