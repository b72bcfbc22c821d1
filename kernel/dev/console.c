/*
 * The console: printf formats under a console lock, so every call's output is
 * contiguous. The lock is a raw atomic flag, not a lab spinlock: the console must work
 * before locks exist (lab 3), in trap handlers and while the kernel panics.
 *
 * Output is polled until console_start_interrupts(): each byte waits for the UART.
 * From then on printf only copies into a transmit ring and the UART's THR-empty
 * interrupt drains it, so a hart holds the lock for the copy, not for the wire. A panic
 * and a shutdown flush the ring and fall back to polling. Input arrives by the UART's
 * receive interrupt into an input ring that console_getc() reads.
 * Before the device tree names the UART, output goes through the SBI legacy console.
 */
#include "dev/console.h"

#include <stdbool.h>
#include <stdint.h>

#include "dev/platform.h"
#include "hal/atomic.h"
#include "hal/cpu.h"
#include "hal/sbi.h"
#include "hal/uart.h"
#include "lib/format.h"

#define TX_RING 4096 /* powers of two: the indices run freely and wrap */
#define RX_RING 256

static volatile uint32_t console_busy;
/* The holder's per-hart pointer (tp), for re-entry on one hart; NULL when free. */
static void *volatile console_owner;
static bool panic_mode;
static bool buffered; /* output through the ring (interrupts started) */

/* Both rings are guarded by the console lock; head - tail is what they hold. */
static struct {
	char buf[TX_RING];
	uint32_t head, tail;
} tx;
static struct {
	char buf[RX_RING];
	uint32_t head, tail;
	uint64_t dropped; /* bytes that arrived while the ring was full */
} rx;

void console_init(void)
{
	uart_init(platform.uart_base);
}

/* Returns false if it took over without the lock (panic mode only). */
static bool console_acquire(void)
{
	void *me = cpu_hart_pointer();
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
	console_owner = NULL;
	atomic_store_release(&console_busy, 0);
}

/*
 * Moves ring bytes into the UART while its FIFO takes them, and asks for the THR-empty
 * interrupt exactly while bytes are left. Caller must hold the console lock.
 */
static void tx_drain(void)
{
	while (tx.head != tx.tail && uart_tx_empty())
		for (int n = 0; n < UART_FIFO_DEPTH && tx.head != tx.tail; n++)
			uart_tx_byte((uint8_t)tx.buf[tx.tail++ % TX_RING]);
	uart_tx_interrupt_set(tx.head != tx.tail);
}

/* Caller must hold the console lock (or be panicking). */
static void put_byte(char c)
{
	if (!buffered) {
		uart_putc(c);
		return;
	}
	while (tx.head - tx.tail == TX_RING) /* full: wait for the wire, polled */
		tx_drain();
	tx.buf[tx.head++ % TX_RING] = c;
}

static void put_raw(char c, void *ctx)
{
	(void)ctx;
	if (!uart_ready()) {
		sbi_legacy_putchar(c);
		return;
	}
	if (c == '\n')
		put_byte('\r');
	put_byte(c);
}

void vprintf(const char *fmt, va_list ap)
{
	/* Interrupts off: a trap handler printing on this hart must not wait for us. */
	irq_state_t irq = cpu_irq_save();
	bool locked = console_acquire();
	vformat(put_raw, NULL, fmt, ap);
	if (buffered)
		tx_drain();
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

/* Caller must hold the console lock: empties the ring by polling and stops buffering. */
static void flush_and_poll(void)
{
	if (!buffered)
		return;
	while (tx.head != tx.tail)
		tx_drain();
	uart_tx_interrupt_set(false);
	buffered = false;
}

void console_enter_panic(void)
{
	panic_mode = true;
	bool locked = console_acquire();
	flush_and_poll();
	if (locked)
		console_release();
}

void console_flush(void)
{
	irq_state_t irq = cpu_irq_save();
	bool locked = console_acquire();
	flush_and_poll();
	if (locked)
		console_release();
	cpu_irq_restore(irq);
}

/* Called after typed bytes arrive (console_set_input_hook()); set once at boot. */
static void (*input_hook)(void);

void console_set_input_hook(void (*hook)(void))
{
	input_hook = hook;
}

bool console_has_input(void)
{
	return atomic_load_relaxed(&rx.head) != atomic_load_relaxed(&rx.tail);
}

/* Ctrl-P and what it runs (console_set_ctrl_p()); set once at boot. */
#define CTRL_P 0x10
static void (*ctrl_p_handler)(void);

void console_set_ctrl_p(void (*handler)(void))
{
	ctrl_p_handler = handler;
}

void console_interrupt(void)
{
	bool locked = console_acquire();
	bool ctrl_p = false, input = false;
	for (int c; (c = uart_getc()) >= 0;) {
		input = true;
		if (c == CTRL_P && ctrl_p_handler) {
			ctrl_p = true;
			continue;
		}
		if (rx.head - rx.tail == RX_RING)
			rx.dropped++;
		else
			rx.buf[rx.head++ % RX_RING] = (char)c;
	}
	if (buffered)
		tx_drain();
	if (locked)
		console_release();
	/* After the release: the handlers print, or take other locks. */
	if (ctrl_p)
		ctrl_p_handler();
	if (input && input_hook)
		input_hook();
}

void console_start_interrupts(void)
{
	irq_state_t irq = cpu_irq_save();
	bool locked = console_acquire();
	uart_rx_interrupt_enable();
	buffered = !panic_mode;
	if (locked)
		console_release();
	cpu_irq_restore(irq);
}

int console_getc(void)
{
	int c = -1;
	irq_state_t irq = cpu_irq_save();
	bool locked = console_acquire();
	if (rx.head != rx.tail)
		c = (unsigned char)rx.buf[rx.tail++ % RX_RING];
	if (locked)
		console_release();
	cpu_irq_restore(irq);
	return c;
}

uint64_t console_input_dropped(void)
{
	return rx.dropped;
}
