/*
 * kvcprintf and friends: a small printf engine for the kernel.
 *
 * Design: one formatting loop (kvcprintf) emits characters through a
 * callback; the buffer variants wrap it with a bounded writer that counts
 * what would have been written, like C's snprintf. Numbers are converted
 * into a local buffer big enough for a 64-bit octal value, so no width or
 * precision the caller passes can overrun anything: padding is emitted one
 * character at a time and precision is clamped.
 */
#include <lib/printf.h>

struct bufwriter {
	char *buf;
	size_t size;
	size_t len;
};

static void buf_putc(void *ctx, char c)
{
	struct bufwriter *w = ctx;

	if (w->size && w->len < w->size - 1)
		w->buf[w->len] = c;
	w->len++;
}

enum {
	F_LEFT = 1,
	F_ZERO = 2,
	F_PLUS = 4,
	F_SPACE = 8,
	F_ALT = 16,
	F_UPPER = 32,
};

struct spec {
	unsigned flags;
	int width;
	int prec; /* -1: none */
};

static int emit_pad(kputc_fn out, void *ctx, char c, int n)
{
	int i;

	for (i = 0; i < n; i++)
		out(ctx, c);
	return n > 0 ? n : 0;
}

static int emit_number(kputc_fn out, void *ctx, uint64_t v, bool neg,
		       unsigned base, const struct spec *s)
{
	const char *digits = (s->flags & F_UPPER) ? "0123456789ABCDEF"
						  : "0123456789abcdef";
	char tmp[24];
	int n = 0, count = 0, ndig, zeros, pad;
	char sign = 0;
	const char *prefix = "";
	int plen;

	/* 64-bit division is a library call on 32-bit targets: the high
	 * digits take it, the last 32 bits the machine's own division. */
	for (; v >> 32; v /= base)
		tmp[n++] = digits[v % base];
	for (uint32_t w = (uint32_t)v, b32 = base; n == 0 || w; w /= b32)
		tmp[n++] = digits[w % b32];
	if (s->prec == 0 && n == 1 && tmp[0] == '0')
		n = 0; /* "%.0d" of zero prints nothing */
	if (neg)
		sign = '-';
	else if (s->flags & F_PLUS)
		sign = '+';
	else if (s->flags & F_SPACE)
		sign = ' ';
	if ((s->flags & F_ALT) && base == 16)
		prefix = (s->flags & F_UPPER) ? "0X" : "0x";
	else if ((s->flags & F_ALT) && base == 8 && (n == 0 || tmp[n - 1] != '0'))
		prefix = "0";
	plen = (int)(prefix[0] ? (prefix[1] ? 2 : 1) : 0);
	ndig = n;
	zeros = s->prec > ndig ? s->prec - ndig : 0;
	pad = s->width - (ndig + zeros + plen + (sign ? 1 : 0));
	if (s->prec < 0 && (s->flags & F_ZERO) && !(s->flags & F_LEFT) && pad > 0) {
		zeros += pad;
		pad = 0;
	}
	if (!(s->flags & F_LEFT))
		count += emit_pad(out, ctx, ' ', pad);
	if (sign) {
		out(ctx, sign);
		count++;
	}
	for (int i = 0; i < plen; i++, count++)
		out(ctx, prefix[i]);
	count += emit_pad(out, ctx, '0', zeros);
	while (n > 0) {
		out(ctx, tmp[--n]);
		count++;
	}
	if (s->flags & F_LEFT)
		count += emit_pad(out, ctx, ' ', pad);
	return count;
}

static int emit_string(kputc_fn out, void *ctx, const char *str,
		       const struct spec *s)
{
	int len = 0, count = 0, pad;

	if (!str)
		str = "(null)";
	while (str[len] && (s->prec < 0 || len < s->prec))
		len++;
	pad = s->width - len;
	if (!(s->flags & F_LEFT))
		count += emit_pad(out, ctx, ' ', pad);
	for (int i = 0; i < len; i++, count++)
		out(ctx, str[i]);
	if (s->flags & F_LEFT)
		count += emit_pad(out, ctx, ' ', pad);
	return count;
}

int kvcprintf(kputc_fn out, void *ctx, const char *fmt, va_list ap)
{
	int count = 0;

	while (*fmt) {
		struct spec s = { 0, 0, -1 };
		int lng = 0; /* -2 hh, -1 h, 0 int, 1 long, 2 long long, 3 size */
		const char *start = fmt;
		uint64_t uv;
		int64_t sv;
		unsigned base;

		if (*fmt != '%') {
			out(ctx, *fmt++);
			count++;
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				s.flags |= F_LEFT;
			else if (*fmt == '0')
				s.flags |= F_ZERO;
			else if (*fmt == '+')
				s.flags |= F_PLUS;
			else if (*fmt == ' ')
				s.flags |= F_SPACE;
			else if (*fmt == '#')
				s.flags |= F_ALT;
			else
				break;
		}
		if (*fmt == '*') {
			s.width = va_arg(ap, int);
			if (s.width < 0) {
				s.flags |= F_LEFT;
				s.width = s.width == INT32_MIN ? 0 : -s.width;
			}
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9') {
				if (s.width < 100000)
					s.width = s.width * 10 + (*fmt - '0');
				fmt++;
			}
		}
		if (*fmt == '.') {
			fmt++;
			s.prec = 0;
			if (*fmt == '*') {
				s.prec = va_arg(ap, int);
				if (s.prec < 0)
					s.prec = -1;
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9') {
					if (s.prec < 100000)
						s.prec = s.prec * 10 + (*fmt - '0');
					fmt++;
				}
			}
		}
		if (s.width > 4096)
			s.width = 4096;
		if (s.prec > 4096)
			s.prec = 4096;
		switch (*fmt) {
		case 'h':
			lng = -1;
			if (*++fmt == 'h') {
				lng = -2;
				fmt++;
			}
			break;
		case 'l':
			lng = 1;
			if (*++fmt == 'l') {
				lng = 2;
				fmt++;
			}
			break;
		case 'j':
			lng = 2;
			fmt++;
			break;
		case 'z':
		case 't':
			lng = 3;
			fmt++;
			break;
		}
		base = 10;
		switch (*fmt) {
		case 'd':
		case 'i':
			if (lng == 2)
				sv = va_arg(ap, long long);
			else if (lng == 1)
				sv = va_arg(ap, long);
			else if (lng == 3)
				sv = va_arg(ap, ptrdiff_t);
			else
				sv = va_arg(ap, int);
			if (lng == -1)
				sv = (short)sv;
			else if (lng == -2)
				sv = (signed char)sv;
			uv = sv < 0 ? (uint64_t)0 - (uint64_t)sv : (uint64_t)sv;
			count += emit_number(out, ctx, uv, sv < 0, 10, &s);
			break;
		case 'X':
			s.flags |= F_UPPER;
			/* fall through */
		case 'x':
			base = 16;
			goto unsigned_conv;
		case 'o':
			base = 8;
			goto unsigned_conv;
		case 'u':
		unsigned_conv:
			if (lng == 2)
				uv = va_arg(ap, unsigned long long);
			else if (lng == 1)
				uv = va_arg(ap, unsigned long);
			else if (lng == 3)
				uv = va_arg(ap, size_t);
			else
				uv = va_arg(ap, unsigned int);
			if (lng == -1)
				uv = (unsigned short)uv;
			else if (lng == -2)
				uv = (unsigned char)uv;
			count += emit_number(out, ctx, uv, false, base, &s);
			break;
		case 'p':
			s.flags |= F_ALT;
			uv = (uintptr_t)va_arg(ap, void *);
			count += emit_number(out, ctx, uv, false, 16, &s);
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);
			int pad = s.width - 1;

			if (!(s.flags & F_LEFT))
				count += emit_pad(out, ctx, ' ', pad);
			out(ctx, c);
			count++;
			if (s.flags & F_LEFT)
				count += emit_pad(out, ctx, ' ', pad);
			break;
		}
		case 's':
			count += emit_string(out, ctx, va_arg(ap, const char *), &s);
			break;
		case '%':
			out(ctx, '%');
			count++;
			break;
		default:
			/* Unknown or truncated conversion: print it as is. */
			while (start < fmt) {
				out(ctx, *start++);
				count++;
			}
			if (*fmt) {
				out(ctx, *fmt);
				count++;
			} else {
				continue;
			}
			break;
		}
		fmt++;
	}
	return count;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct bufwriter w = { buf, size, 0 };
	int n = kvcprintf(buf_putc, &w, fmt, ap);

	if (size)
		buf[w.len < size ? w.len : size - 1] = '\0';
	return n;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
