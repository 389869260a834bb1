/*
 * Formatted output into buffers (portable, no libc).
 *
 * Supports the conversions the kernel uses: %d %i %u %x %X %o %c %s %p %%
 * with flags '-', '0', ' ', '+', '#', field width and precision (numbers
 * and '*'), and length modifiers hh, h, l, ll, z, t, j. %p prints 0x and
 * the pointer's hex digits. Unknown conversions are printed literally.
 */
#ifndef CAIRN_PRINTF_H
#define CAIRN_PRINTF_H

#include <lib/types.h>
#include <stdarg.h>

/* Like C's vsnprintf: writes at most size-1 characters plus NUL (when
 * size > 0) and returns the length the full output would have had. */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Output callback form, for unbounded sinks such as the console. */
typedef void (*kputc_fn)(void *ctx, char c);
int kvcprintf(kputc_fn out, void *ctx, const char *fmt, va_list ap);

#endif
