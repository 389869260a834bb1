/*
 * Kernel log: see log.h.
 *
 * Design: each call formats its line into a bounded stack buffer (longer
 * lines are truncated with "..."), appends it to a byte ring and passes it
 * to the console sink when its level is at or below the console level.
 * The ring is addressed by a 64-bit logical byte count that only grows;
 * the byte at logical offset p lives at ring[p % LOG_RING_SIZE], and the
 * retained window is [total - LOG_RING_SIZE, total).
 *
 * Concurrency: interrupts are masked while a line is appended and written,
 * so lines from interrupt context never interleave with others on this
 * CPU. (SMP will add a spinlock here; see docs/architecture.md.)
 */
#include <hal/arch.h>
#include <hal/plat.h>
#include <lib/log.h>
#include <lib/printf.h>

static char ring[LOG_RING_SIZE];
static uint64_t ring_total;
static log_sink_fn sink;
static enum log_level console_level = LOG_INFO;

static const char *const level_tag[] = {
	[LOG_ERR] = "error: ",
	[LOG_WARN] = "warning: ",
	[LOG_INFO] = "",
	[LOG_DEBUG] = "debug: ",
};

void log_set_sink(log_sink_fn s)
{
	sink = s;
}

void log_set_console_level(enum log_level level)
{
	console_level = level;
}

uint64_t log_total(void)
{
	return ring_total;
}

static void ring_append(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		ring[(ring_total + i) % LOG_RING_SIZE] = s[i];
	ring_total += len;
}

size_t log_read(uint64_t *pos, char *buf, size_t len)
{
	uint64_t oldest = ring_total > LOG_RING_SIZE ? ring_total - LOG_RING_SIZE : 0;
	size_t n = 0;

	if (*pos < oldest)
		*pos = oldest;
	while (n < len && *pos < ring_total) {
		buf[n++] = ring[*pos % LOG_RING_SIZE];
		(*pos)++;
	}
	return n;
}

void vklog(enum log_level level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	uint64_t ns = plat_time_ns();
	uint32_t sec = (uint32_t)(ns / 1000000000u);
	uint32_t usec = (uint32_t)(ns % 1000000000u / 1000u);
	int n, m;
	uint32_t flags;

	if ((unsigned)level > LOG_DEBUG)
		level = LOG_DEBUG;
	n = ksnprintf(line, sizeof(line), "[%5u.%06u] %s", (unsigned)sec,
		      (unsigned)usec, level_tag[level]);
	m = kvsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	n += m;
	if (n > (int)sizeof(line) - 2) {
		n = (int)sizeof(line) - 2;
		line[n - 3] = line[n - 2] = line[n - 1] = '.';
	}
	line[n++] = '\n';
	line[n] = '\0';

	flags = arch_irq_save();
	ring_append(line, (size_t)n);
	if (sink && level <= console_level)
		sink(line, (size_t)n);
	arch_irq_restore(flags);
}

void klog(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vklog(level, fmt, ap);
	va_end(ap);
}

static bool console_user;
static enum log_level console_level_saved = LOG_INFO;

void log_console_to_user(bool user)
{
	uint32_t flags = arch_irq_save();

	if (user && !console_user) {
		console_level_saved = console_level;
		console_level = LOG_ERR;
	} else if (!user && console_user) {
		console_level = console_level_saved;
	}
	console_user = user;
	arch_irq_restore(flags);
}

void log_user_write(const char *s, size_t len)
{
	uint32_t flags = arch_irq_save();

	if (console_user)
		ring_append(s, len);
	else if (sink)
		sink(s, len);
	arch_irq_restore(flags);
}

void kputs_raw(const char *s, size_t len)
{
	if (sink)
		sink(s, len);
}

struct raw_ctx {
	char buf[128];
	size_t len;
};

static void raw_putc(void *ctx, char c)
{
	struct raw_ctx *r = ctx;

	r->buf[r->len++] = c;
	if (r->len == sizeof(r->buf)) {
		kputs_raw(r->buf, r->len);
		r->len = 0;
	}
}

void kprintf(const char *fmt, ...)
{
	struct raw_ctx r;
	va_list ap;
	uint32_t flags;

	r.len = 0;
	flags = arch_irq_save();
	va_start(ap, fmt);
	kvcprintf(raw_putc, &r, fmt, ap);
	va_end(ap);
	if (r.len)
		kputs_raw(r.buf, r.len);
	arch_irq_restore(flags);
}
