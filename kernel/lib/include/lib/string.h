/*
 * The kernel's string and memory functions.
 *
 * There is no libc in the kernel, so this header declares the handful of
 * <string.h> functions the kernel uses, with exactly the standard C
 * signatures and semantics: the compiler may emit calls to memcpy, memset,
 * memmove and memcmp on its own (structure copies, zeroing), and portable
 * kernel code compiled for host tests must mean the same thing on both
 * sides. strlcpy is the one non-standard addition (BSD semantics: always
 * NUL-terminates when size > 0, returns strlen(src) so truncation can be
 * detected). Nothing here allocates, and every function handles n == 0
 * without touching memory.
 */
#ifndef CAIRN_STRING_H
#define CAIRN_STRING_H

#include <stddef.h>

/* Copy n bytes; the regions must not overlap. Returns dst. */
void *memcpy(void *dst, const void *src, size_t n);
/* Copy n bytes; the regions may overlap. Returns dst. */
void *memmove(void *dst, const void *src, size_t n);
/* Fill n bytes with (unsigned char)c. Returns dst. */
void *memset(void *dst, int c, size_t n);
/* Compare n bytes as unsigned char: <0, 0 or >0. */
int memcmp(const void *a, const void *b, size_t n);
/* First byte equal to (unsigned char)c within n bytes, or NULL. */
void *memchr(const void *s, int c, size_t n);

/* Length of a NUL-terminated string. */
size_t strlen(const char *s);
/* Length of s, but at most max (never reads s[max] or beyond). */
size_t strnlen(const char *s, size_t max);
/* Compare strings as unsigned char: <0, 0 or >0. */
int strcmp(const char *a, const char *b);
/* Compare at most n characters. */
int strncmp(const char *a, const char *b, size_t n);
/* First occurrence of (char)c in s (c == 0 finds the terminator), or NULL. */
char *strchr(const char *s, int c);
/* Last occurrence of (char)c in s, or NULL. */
char *strrchr(const char *s, int c);
/* First occurrence of needle in haystack ("" matches at once), or NULL. */
char *strstr(const char *haystack, const char *needle);
/* Copy src into dst[size], truncating, NUL-terminated when size > 0.
 * Returns strlen(src); a result >= size means the copy was truncated. */
size_t strlcpy(char *dst, const char *src, size_t size);

#endif
