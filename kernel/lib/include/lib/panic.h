/*
 * panic(): stop the kernel when continuing would corrupt state.
 *
 * Prints "PANIC: <message>" on the console (bypassing the log level),
 * the calling CPU's registers and a symbolized backtrace, then leaves QEMU
 * with exit status PANIC_EXIT_STATUS (semihosting) or powers off. Never
 * reachable from user input: user mistakes are errors, not panics.
 */
#ifndef CAIRN_PANIC_H
#define CAIRN_PANIC_H

#include <lib/types.h>

#define PANIC_EXIT_STATUS 2

NORETURN void panic(const char *fmt, ...) PRINTF_LIKE(1, 2);

#define assert(cond)                                                        \
	do {                                                                \
		if (!(cond))                                                \
			panic("assertion failed: %s (%s:%d)", #cond,        \
			      __FILE__, __LINE__);                          \
	} while (0)

#endif
