/*
 * The NS16550A serial port. Its base address comes from the device tree. Polled
 * transmit (uart_putc) works from the first line of boot and in a panic; the
 * interrupt-driven console (kernel/dev/console.c) uses the FIFO and interrupt calls below.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define UART_FIFO_DEPTH 16 /* bytes the transmit FIFO takes once it reports empty */

/*
 * Caller must pass the base of an NS16550A register block taken from the device tree
 * and be the boot hart, before any other uart_*() call; it leaves the UART's interrupts
 * off.
 */
void uart_init(uintptr_t base);

/* Whether uart_init() ran, so that the other calls may touch the device. Any context. */
bool uart_ready(void);

/*
 * Sends one byte, spinning until the transmit register is free: works with interrupts
 * off and in a panic. Caller must hold the console lock (kernel/dev/console.c) so bytes
 * of two lines never mix, or be the panicking hart that took the console over.
 */
void uart_putc(char c);

/*
 * The next received byte, or -1 at once when none is waiting (it never waits). Reading
 * takes the byte out of the receive FIFO, so two readers would each get part of the
 * input: caller must hold the console lock, as console_interrupt() does.
 */
int uart_getc(void);

/*
 * Caller must hold the console lock (kernel/dev/console.c): these share the interrupt-enable
 * register and the transmit FIFO with each other and with uart_putc.
 */
bool uart_tx_empty(void);        /* the transmit FIFO is empty: room for a FIFO's worth */
void uart_tx_byte(uint8_t byte); /* caller must know there is room */
void uart_rx_interrupt_enable(void);
void uart_tx_interrupt_set(bool on);
