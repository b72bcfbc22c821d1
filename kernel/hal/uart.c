/*
 * NS16550A driver: transmit waits for (or, interrupt-driven, is told of) an empty
 * transmit FIFO, receive reads a byte only when the line status says one is there.
 * Register offsets and bits are those of the 16550 data sheet; QEMU's model needs no
 * baud-rate setup.
 */
#include "hal/uart.h"

#include "hal/mmio.h"

#define UART_RBR             0 /* receive buffer (read) */
#define UART_THR             0 /* transmit holding (write) */
#define UART_IER             1 /* interrupt enable */
#define UART_FCR             2 /* FIFO control (write) */
#define UART_LCR             3 /* line control */
#define UART_LSR             5 /* line status */

#define LCR_8N1              0x03
#define FCR_ENABLE_AND_CLEAR 0x07
#define LSR_DATA_READY       0x01
#define LSR_THR_EMPTY        0x20
#define IER_RX_AVAILABLE     0x01
#define IER_THR_EMPTY        0x02

static uintptr_t uart_base;
static uint8_t ier; /* what we last wrote to IER: the register is shared by RX and TX */

void uart_init(uintptr_t base)
{
	uart_base = base;
	ier = 0;
	mmio_write8(uart_base + UART_IER, ier);
	mmio_write8(uart_base + UART_LCR, LCR_8N1);
	mmio_write8(uart_base + UART_FCR, FCR_ENABLE_AND_CLEAR);
}

bool uart_ready(void)
{
	return uart_base != 0;
}

void uart_putc(char c)
{
	while (!(mmio_read8(uart_base + UART_LSR) & LSR_THR_EMPTY))
		;
	mmio_write8(uart_base + UART_THR, (uint8_t)c);
}

int uart_getc(void)
{
	if (!(mmio_read8(uart_base + UART_LSR) & LSR_DATA_READY))
		return -1;
	return mmio_read8(uart_base + UART_RBR);
}

bool uart_tx_empty(void)
{
	return mmio_read8(uart_base + UART_LSR) & LSR_THR_EMPTY;
}

void uart_tx_byte(uint8_t byte)
{
	mmio_write8(uart_base + UART_THR, byte);
}

void uart_rx_interrupt_enable(void)
{
	ier |= IER_RX_AVAILABLE;
	mmio_write8(uart_base + UART_IER, ier);
}

/* The THR-empty interrupt fires when the FIFO drains, and at once if it is empty now. */
void uart_tx_interrupt_set(bool on)
{
	uint8_t want = on ? ier | IER_THR_EMPTY : ier & ~IER_THR_EMPTY;
	if (want != ier) {
		ier = want;
		mmio_write8(uart_base + UART_IER, ier);
	}
}
