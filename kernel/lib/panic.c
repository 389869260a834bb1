/*
 * panic(): see panic.h. Interrupts are masked first; a panic while
 * panicking (e.g. a fault in the backtrace walker) exits at once.
 */
#include <hal/arch.h>
#include <lib/log.h>
#include <lib/panic.h>
#include <lib/printf.h>

NORETURN void panic(const char *fmt, ...)
{
	static int depth;
	char msg[200];
	va_list ap;

	(void)arch_irq_save();
	if (depth++)
		arch_exit(PANIC_EXIT_STATUS);
	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kprintf("\nPANIC: %s\n", msg);
	arch_panic_dump();
	kprintf("PANIC: system halted (exit status %d)\n", PANIC_EXIT_STATUS);
	arch_exit(PANIC_EXIT_STATUS);
}
