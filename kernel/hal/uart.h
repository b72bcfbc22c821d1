/*
 * The NS16550A serial port, polled. Its base address comes from the device tree.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

void uart_init(uintptr_t base);
bool uart_ready(void);
void uart_putc(char c);
int uart_getc(void); /* -1 when no character is waiting */
