/*
 * The console: printf formats straight to the UART while holding a console lock, so
 * every call's output is contiguous. The lock is a raw atomic flag, not a lab spinlock:
 * the console must work before locks exist (lab 3) and while the kernel panics.
 * Before the device tree names the UART, output goes through the SBI legacy console.
 */
#include "console.h"

#include <stdbool.h>
#include <stdint.h>

#include "hal/atomic.h"
#include "hal/cpu.h"
#include "hal/sbi.h"
#include "hal/uart.h"
#include "hart.h"
#include "lib/format.h"
#include "platform.h"

static volatile uint32_t console_busy;
static int console_owner = -1;   /* hart id of the holder, for re-entry on one hart */
static bool panic_mode;

void console_init(void)
{
	uart_init(platform.uart_base);
}

static void put_raw(char c, void *ctx)
{
	(void)ctx;
	if (!uart_ready()) {
		sbi_legacy_putchar(c);
		return;
	}
	if (c == '\n')
		uart_putc('\r');
	uart_putc(c);
}

/* Returns false if it took over without the lock (panic mode only). */
static bool console_acquire(void)
{
	int me = (int)this_hart()->id;
	for (uint64_t spins = 0; atomic_swap_acquire(&console_busy, 1) != 0; spins++) {
		/* A panicking hart may not wait for a holder that may never come back. */
		if (panic_mode && (console_owner == me || spins > 10000000))
			return false;
		cpu_relax();
	}
	console_owner = me;
	return true;
}

static void console_release(void)
{
	console_owner = -1;
	atomic_store_release(&console_busy, 0);
}

void vprintf(const char *fmt, va_list ap)
{
	/* Interrupts off: a trap handler printing on this hart must not wait for us. */
	irq_state_t irq = cpu_irq_save();
	bool locked = console_acquire();
	vformat(put_raw, NULL, fmt, ap);
	if (locked)
		console_release();
	cpu_irq_restore(irq);
}

void printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void console_enter_panic(void)
{
	panic_mode = true;
}
