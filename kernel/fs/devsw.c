/*
 * The device table and the console device (kernel/fs/devsw.h). The console's reads
 * and writes go through kernel/dev/console.h: written bytes are printed, read bytes are
 * what was typed.
 */
#include "fs/devsw.h"

#include <stddef.h>

#include <stdbool.h>

#include "abi/device.h"
#include "dev/console.h"
#include "fs/errno.h"
#include "fs/iobuf.h"
#include "sched/thread.h"

static const struct devsw *table[NDEV];

int devsw_register(uint16_t major, const struct devsw *ops)
{
	if (major == 0 || major >= NDEV)
		return -EINVAL;
	__atomic_store_n(&table[major], ops, __ATOMIC_RELEASE);
	return 0;
}

const struct devsw *devsw_get(uint16_t major)
{
	return major < NDEV ? __atomic_load_n(&table[major], __ATOMIC_ACQUIRE) : NULL;
}

/* Prints the bytes in pieces; a NUL byte ends a piece, since printf stops at it. */
static long console_write(uint16_t minor, const struct iobuf *io, size_t n)
{
	(void)minor;
	char piece[129];
	size_t done = 0;
	while (done < n) {
		size_t m = n - done < sizeof piece - 1 ? n - done : sizeof piece - 1;
		int err = iobuf_move(io, done, piece, m, true);
		if (err)
			return done ? (long)done : err;
		piece[m] = '\0';
		for (size_t at = 0; at < m;) {
			printf("%s", piece + at);
			while (at < m && piece[at] != '\0')
				at++;
			at++; /* past the NUL: it is not shown */
		}
		done += m;
	}
	return (long)done;
}

/*
 * Waits for at least one typed character, then takes what has been typed, up to n bytes
 * or the end of a line. The console has no wait channel for input yet, so the reader
 * yields the hart between looks.
 */
static long console_read(uint16_t minor, const struct iobuf *io, size_t n)
{
	(void)minor;
	size_t done = 0;
	while (done < n) {
		int c = console_getc();
		if (c < 0) {
			if (done > 0)
				break;
			thread_yield();
			continue;
		}
		char ch = (char)c;
		int err = iobuf_move(io, done, &ch, 1, false);
		if (err)
			return done ? (long)done : err;
		done++;
		if (ch == '\n')
			break;
	}
	return (long)done;
}

static const struct devsw console_ops = {console_read, console_write};

void console_device_init(void)
{
	devsw_register(CONSOLE, &console_ops);
}
