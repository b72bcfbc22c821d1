/*
 * The NS16550A serial port. Its base address comes from the device tree. Polled
 * transmit (uart_putc) works from the first line of boot and in a panic; the
 * interrupt-driven console (kernel/dev/console.c) uses the FIFO and interrupt calls below.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define UART_FIFO_DEPTH 16 /* bytes the transmit FIFO takes once it reports empty */

void uart_init(uintptr_t base);
bool uart_ready(void);
void uart_putc(char c);
int uart_getc(void); /* -1 when no character is waiting */

/*
 * Caller must hold the console lock (kernel/dev/console.c): these share the interrupt-enable
 * register and the transmit FIFO with each other and with uart_putc.
 */
bool uart_tx_empty(void);        /* the transmit FIFO is empty: room for a FIFO's worth */
void uart_tx_byte(uint8_t byte); /* caller must know there is room */
void uart_rx_interrupt_enable(void);
void uart_tx_interrupt_set(bool on);
