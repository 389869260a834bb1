/*
 * Kernel log: leveled messages, kept in a ring buffer and echoed to the
 * console.
 *
 * Every message becomes one line "[seconds.micros] text" (warnings and
 * errors carry a "warning: " / "error: " tag). Lines below the console
 * level are only kept in the ring. The ring holds the most recent
 * LOG_RING_SIZE bytes and can be read back (log_read) so that a user-level
 * shell can show the kernel's log after the console has a user-level owner.
 */
#ifndef CAIRN_LOG_H
#define CAIRN_LOG_H

#include <lib/types.h>
#include <stdarg.h>

enum log_level {
	LOG_ERR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

#define LOG_RING_SIZE 65536
#define LOG_LINE_MAX 256

typedef void (*log_sink_fn)(const char *s, size_t len);

void klog(enum log_level level, const char *fmt, ...) PRINTF_LIKE(2, 3);
void vklog(enum log_level level, const char *fmt, va_list ap);
#define pr_err(...) klog(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) klog(LOG_WARN, __VA_ARGS__)
#define pr_info(...) klog(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) klog(LOG_DEBUG, __VA_ARGS__)

/*
 * Who owns the console. At boot the kernel does; once a user-level driver
 * serves the console (SYS_CONSOLE), the kernel writes only errors to it
 * (and panics, which always print), and what programs write with
 * SYS_LOG_WRITE goes to the ring, where the shell shows it.
 */
void log_console_to_user(bool user);
/* SYS_LOG_WRITE: to the console while the kernel owns it, else the ring. */
void log_user_write(const char *s, size_t len);

/* Raw console output, no timestamp, not in the ring (KTAP, panic dumps). */
void kprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
void kputs_raw(const char *s, size_t len);

/* Where console output goes; NULL drops it (the ring still records). */
void log_set_sink(log_sink_fn sink);
void log_set_console_level(enum log_level level);
/* Copy up to len bytes of the ring starting at logical offset *pos
 * (0 = oldest retained byte); advances *pos; returns bytes copied. */
size_t log_read(uint64_t *pos, char *buf, size_t len);
/* Total bytes ever logged (the logical end of the ring). */
uint64_t log_total(void);

#endif
