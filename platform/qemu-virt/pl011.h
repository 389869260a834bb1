/*
 * ARM PL011 UART (polled transmit; receive is a user-level driver's job).
 */
#ifndef PLAT_PL011_H
#define PLAT_PL011_H

#include <lib/types.h>

void pl011_init(volatile void *base);
void pl011_write(volatile void *base, const char *s, size_t len);

#endif
