/*
 * PL011 UART, transmit side, for the kernel console.
 *
 * The kernel writes with polling (it must work with interrupts masked and
 * from panic context). Initialization leaves the baud rate alone (U-Boot or
 * QEMU set it) and only makes sure the UART, its transmitter and receiver
 * are enabled with FIFOs on and 8N1 framing.
 */
#include "pl011.h"

#define UARTDR 0x00
#define UARTFR 0x18
#define UARTLCR_H 0x2c
#define UARTCR 0x30
#define UARTIMSC 0x38
#define FR_TXFF (1u << 5)
#define FR_BUSY (1u << 3)
#define LCR_H_FEN (1u << 4)
#define LCR_H_WLEN8 (3u << 5)
#define CR_UARTEN (1u << 0)
#define CR_TXE (1u << 8)
#define CR_RXE (1u << 9)

static inline uint32_t rd(volatile void *base, uint32_t off)
{
	return *(volatile uint32_t *)((volatile char *)base + off);
}

static inline void wr(volatile void *base, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)((volatile char *)base + off) = v;
}

void pl011_init(volatile void *base)
{
	uint32_t cr = rd(base, UARTCR);

	if ((cr & (CR_UARTEN | CR_TXE | CR_RXE)) == (CR_UARTEN | CR_TXE | CR_RXE))
		return; /* already running: do not disturb the baud rate */
	while (rd(base, UARTFR) & FR_BUSY)
		;
	wr(base, UARTCR, 0);
	wr(base, UARTLCR_H, LCR_H_FEN | LCR_H_WLEN8);
	wr(base, UARTIMSC, 0);
	wr(base, UARTCR, CR_UARTEN | CR_TXE | CR_RXE);
}

static void putc_raw(volatile void *base, char c)
{
	while (rd(base, UARTFR) & FR_TXFF)
		;
	wr(base, UARTDR, (uint8_t)c);
}

void pl011_write(volatile void *base, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			putc_raw(base, '\r');
		putc_raw(base, s[i]);
	}
}
