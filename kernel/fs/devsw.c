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
#include "sched/mutex.h"
#include "sched/sleep.h"
#include "sched/thread.h"
#include "sync/spinlock.h"

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
 * Readers of the console wait on this channel; the console's input hook wakes them. The
 * lock orders a reader's last look for input before its sleep against the wakeup.
 */
static struct spinlock input_lock = SPINLOCK_INIT("console_input");
static char input_channel;

/* Interrupt context (console_set_input_hook()): bytes arrived. */
static void input_arrived(void)
{
	spin_lock(&input_lock);
	wakeup(&input_channel);
	spin_unlock(&input_lock);
}

/* Sleeps until a character is typed; false if the reader is interrupted (killed). */
static bool wait_for_input(void)
{
	bool awake = true;
	spin_lock(&input_lock);
	while (awake && !console_has_input())
		awake = sleep_on_interruptible(&input_channel, &input_lock);
	spin_unlock(&input_lock);
	return awake;
}

/*
 * Line editing: what is typed is echoed and collected into a line, which a read gets
 * only once Enter ends it. Backspace erases a character, Ctrl-U the line; Ctrl-D ends
 * the line as it is, so Ctrl-D on an empty line reads as the end of input (0 bytes).
 */
#define LINE_MAX   128
#define KEY_CTRL_D 0x04
#define KEY_BS     0x08
#define KEY_CTRL_U 0x15
#define KEY_DEL    0x7f

static struct mutex reader = MUTEX_INIT("console_reader");
static char line[LINE_MAX];
static size_t line_start, line_left; /* the part of the last line not read yet */

static void erase_one(size_t *len)
{
	if (*len > 0) {
		(*len)--;
		printf("\b \b");
	}
}

/* Collects the next line into `line`; false if the reader was interrupted (killed). */
static bool edit_line(void)
{
	size_t len = 0;
	for (;;) {
		int c = console_getc();
		if (c < 0) {
			if (!wait_for_input())
				return false;
			continue;
		}
		if (c == '\r')
			c = '\n';
		if (c == KEY_BS || c == KEY_DEL) {
			erase_one(&len);
		} else if (c == KEY_CTRL_U) {
			while (len > 0)
				erase_one(&len);
		} else if (c == KEY_CTRL_D) {
			break;
		} else if (len < LINE_MAX - 1 || c == '\n') {
			line[len++] = (char)c;
			printf("%c", c);
			if (c == '\n')
				break;
		}
	}
	line_start = 0;
	line_left = len;
	return true;
}

/* A read takes from the current line, editing a new one first if none is left. */
static long console_read(uint16_t minor, const struct iobuf *io, size_t n)
{
	(void)minor;
	mutex_lock(&reader);
	if (line_left == 0 && !edit_line()) {
		mutex_unlock(&reader);
		return -EINTR;
	}
	size_t m = n < line_left ? n : line_left;
	int err = m ? iobuf_move(io, 0, line + line_start, m, false) : 0;
	if (err == 0) {
		line_start += m;
		line_left -= m;
	}
	mutex_unlock(&reader);
	return err ? err : (long)m;
}

static const struct devsw console_ops = {console_read, console_write};

void console_device_init(void)
{
	devsw_register(CONSOLE, &console_ops);
	console_set_input_hook(input_arrived);
}
