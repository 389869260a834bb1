/*
 * String and memory functions (see lib/string.h).
 *
 * Plain byte loops, with word-sized fast paths in memcpy/memset/memmove
 * when both pointers share alignment (eight words a turn in memcpy and
 * memset, for the pages boot zeroes and copies). These functions are the
 * implementation of memcpy and friends, so the compiler must not turn their
 * loops back into calls to themselves: every function that could be
 * recognised as a memcpy/memset idiom is built without loop-pattern
 * distribution (GCC's -ftree-loop-distribute-patterns), which is what would
 * otherwise produce infinite recursion at -O2.
 */
#include <lib/string.h>

#include <stdint.h>

#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

typedef uintptr_t word_t;
#define WORD_SIZE sizeof(word_t)

/* Word copies go through a may_alias type so they do not break the
 * strict-aliasing rules for the caller's objects. */
typedef word_t __attribute__((may_alias)) alias_word_t;

NO_LIBCALL void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if ((((uintptr_t)d | (uintptr_t)s) & (WORD_SIZE - 1)) == 0) {
		/* Eight words a turn for pages and frames (boot zeroes and
		 * copies hundreds of them), then words, then bytes. */
		while (n >= 8 * WORD_SIZE) {
			const alias_word_t *sw = (const alias_word_t *)(const void *)s;
			alias_word_t *dw = (alias_word_t *)(void *)d;
			word_t w0 = sw[0], w1 = sw[1], w2 = sw[2], w3 = sw[3];
			word_t w4 = sw[4], w5 = sw[5], w6 = sw[6], w7 = sw[7];

			dw[0] = w0, dw[1] = w1, dw[2] = w2, dw[3] = w3;
			dw[4] = w4, dw[5] = w5, dw[6] = w6, dw[7] = w7;
			d += 8 * WORD_SIZE;
			s += 8 * WORD_SIZE;
			n -= 8 * WORD_SIZE;
		}
		while (n >= WORD_SIZE) {
			*(alias_word_t *)(void *)d = *(const alias_word_t *)(const void *)s;
			d += WORD_SIZE;
			s += WORD_SIZE;
			n -= WORD_SIZE;
		}
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

NO_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d == s || n == 0)
		return dst;
	/* Copying forwards is safe unless dst starts inside [src, src+n). */
	if ((uintptr_t)d - (uintptr_t)s >= n)
		return memcpy(dst, src, n);
	d += n;
	s += n;
	while (n--)
		*--d = *--s;
	return dst;
}

NO_LIBCALL void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	unsigned char b = (unsigned char)c;

	if (((uintptr_t)d & (WORD_SIZE - 1)) == 0 && n >= WORD_SIZE) {
		word_t w = (word_t)-1 / 0xff * b; /* b replicated in every byte */

		while (n >= 8 * WORD_SIZE) {
			alias_word_t *dw = (alias_word_t *)(void *)d;

			dw[0] = w, dw[1] = w, dw[2] = w, dw[3] = w;
			dw[4] = w, dw[5] = w, dw[6] = w, dw[7] = w;
			d += 8 * WORD_SIZE;
			n -= 8 * WORD_SIZE;
		}
		while (n >= WORD_SIZE) {
			*(alias_word_t *)(void *)d = w;
			d += WORD_SIZE;
			n -= WORD_SIZE;
		}
	}
	while (n--)
		*d++ = b;
	return dst;
}

NO_LIBCALL int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

NO_LIBCALL void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	for (; n; n--, p++)
		if (*p == (unsigned char)c)
			return (void *)(uintptr_t)p;
	return NULL;
}

NO_LIBCALL size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

NO_LIBCALL size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

NO_LIBCALL int strcmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	while (*x && *x == *y) {
		x++;
		y++;
	}
	return *x == *y ? 0 : (*x < *y ? -1 : 1);
}

NO_LIBCALL int strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	for (; n; n--, x++, y++) {
		if (*x != *y)
			return *x < *y ? -1 : 1;
		if (!*x)
			break;
	}
	return 0;
}

NO_LIBCALL char *strchr(const char *s, int c)
{
	char ch = (char)c;

	for (;; s++) {
		if (*s == ch)
			return (char *)(uintptr_t)s;
		if (!*s)
			return NULL;
	}
}

NO_LIBCALL char *strrchr(const char *s, int c)
{
	char ch = (char)c;
	const char *last = NULL;

	for (;; s++) {
		if (*s == ch)
			last = s;
		if (!*s)
			return (char *)(uintptr_t)last;
	}
}

NO_LIBCALL char *strstr(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);

	if (n == 0)
		return (char *)(uintptr_t)haystack;
	for (; *haystack; haystack++)
		if (*haystack == *needle && strncmp(haystack, needle, n) == 0)
			return (char *)(uintptr_t)haystack;
	return NULL;
}

NO_LIBCALL size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
