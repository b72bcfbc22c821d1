/*
 * Kernel console. One printf call is one unit: lines printed by different harts never
 * mix, as long as each line is printed by a single call. printf may be called from any
 * context, trap handlers included; it never sleeps.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

void console_init(void);
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintf(const char *fmt, va_list ap);

/*
 * Boot, once, with the interrupt controller up and console_interrupt() registered for
 * the UART's interrupt (lab 2): from now on typed characters arrive by interrupt and
 * output drains by interrupt instead of by polling.
 */
void console_start_interrupts(void);

/*
 * The UART's interrupt handler (interrupt context, interrupts off): received bytes go
 * to the input ring, and the transmit FIFO gets the next bytes of the output ring.
 */
void console_interrupt(void);

/*
 * Makes Ctrl-P typed on the console call handler() instead of being input: a debugging
 * key (lab 7 prints the process table). handler runs in interrupt context, after the
 * console lock is released, so it may print. Boot, once.
 */
void console_set_ctrl_p(void (*handler)(void));

/*
 * Makes the console call hook() whenever typed bytes have arrived: the console device
 * file (kernel/fs/devsw.c) wakes its readers from it. hook runs in interrupt context,
 * after the console lock is released. Boot, once.
 */
void console_set_input_hook(void (*hook)(void));

/* True if a typed character is waiting. Any context. */
bool console_has_input(void);

/* The next typed character, or -1 if none is waiting. Any context; never waits. */
int console_getc(void);

/* Typed characters lost because nobody read the input ring in time. */
uint64_t console_input_dropped(void);

/* Sends everything printed so far to the UART, waiting for it; then output is polled. */
void console_flush(void);

/*
 * For panic(): from now on this hart prints without waiting for the console lock once
 * a short wait has failed, because the holder may be the hart that can never release.
 * Output already queued is flushed first, and output is polled from then on.
 */
void console_enter_panic(void);
