/*
 * Host tests of the kernel's string and memory functions (kernel/lib/string.c).
 *
 * The functions are called through volatile function pointers so that the
 * compiler cannot replace the calls by its builtins: what runs is the
 * kernel's code (linked in ahead of libc). Results are compared with
 * simple reference loops written here, over many sizes and alignments,
 * including overlapping memmove in both directions.
 */
#include <lib/string.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "htest.h"

static void *(*volatile k_memcpy)(void *, const void *, size_t) = memcpy;
static void *(*volatile k_memmove)(void *, const void *, size_t) = memmove;
static void *(*volatile k_memset)(void *, int, size_t) = memset;
static int (*volatile k_memcmp)(const void *, const void *, size_t) = memcmp;
static void *(*volatile k_memchr)(const void *, int, size_t) = memchr;
static size_t (*volatile k_strlen)(const char *) = strlen;
static size_t (*volatile k_strnlen)(const char *, size_t) = strnlen;
static int (*volatile k_strcmp)(const char *, const char *) = strcmp;
static int (*volatile k_strncmp)(const char *, const char *, size_t) = strncmp;
static char *(*volatile k_strchr)(const char *, int) = strchr;
static char *(*volatile k_strrchr)(const char *, int) = strrchr;
static char *(*volatile k_strstr)(const char *, const char *) = strstr;
static size_t (*volatile k_strlcpy)(char *, const char *, size_t) = strlcpy;

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void fill_pattern(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed * 13 + 1);
}

static void test_memcpy(void)
{
	uint8_t src[200], dst[200], ref[200];

	for (size_t so = 0; so < 9; so++) {
		for (size_t doff = 0; doff < 9; doff++) {
			for (size_t n = 0; n < 80; n++) {
				fill_pattern(src, sizeof(src), 1);
				fill_pattern(dst, sizeof(dst), 2);
				fill_pattern(ref, sizeof(ref), 2);
				for (size_t i = 0; i < n; i++)
					ref[doff + i] = src[so + i];
				HT_ASSERT(k_memcpy(dst + doff, src + so, n) == dst + doff);
				for (size_t i = 0; i < sizeof(dst); i++)
					HT_ASSERT_MSG(dst[i] == ref[i], "so %zu do %zu n %zu at %zu",
						      so, doff, n, i);
			}
		}
	}
	HT_ASSERT(k_memcpy(NULL, NULL, 0) == NULL);
}

static void test_memmove_overlap(void)
{
	uint8_t buf[96], ref[96], tmp[96];

	for (size_t from = 0; from < 40; from++) {
		for (size_t to = 0; to < 40; to++) {
			for (size_t n = 0; n <= 56; n += (n < 20 ? 1 : 9)) {
				fill_pattern(buf, sizeof(buf), 3);
				fill_pattern(ref, sizeof(ref), 3);
				for (size_t i = 0; i < n; i++)
					tmp[i] = ref[from + i];
				for (size_t i = 0; i < n; i++)
					ref[to + i] = tmp[i];
				HT_ASSERT(k_memmove(buf + to, buf + from, n) == buf + to);
				for (size_t i = 0; i < sizeof(buf); i++)
					HT_ASSERT_MSG(buf[i] == ref[i], "from %zu to %zu n %zu at %zu",
						      from, to, n, i);
			}
		}
	}
	/* Large, word-aligned overlaps both ways. */
	{
		uint32_t w[256];

		for (unsigned i = 0; i < 256; i++)
			w[i] = i;
		k_memmove(w + 1, w, 255 * sizeof(uint32_t));
		for (unsigned i = 1; i < 256; i++)
			HT_EQ(w[i], i - 1);
		k_memmove(w, w + 1, 255 * sizeof(uint32_t));
		for (unsigned i = 0; i < 255; i++)
			HT_EQ(w[i], i);
	}
}

static void test_memset(void)
{
	uint8_t buf[100];

	for (size_t off = 0; off < 9; off++) {
		for (size_t n = 0; n < 70; n++) {
			for (size_t i = 0; i < sizeof(buf); i++)
				buf[i] = 0x11;
			HT_ASSERT(k_memset(buf + off, 0x1a5, n) == buf + off); /* (unsigned char)0xa5 */
			for (size_t i = 0; i < sizeof(buf); i++)
				HT_EQ(buf[i], i >= off && i < off + n ? 0xa5 : 0x11);
		}
	}
	k_memset(buf, 0, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		HT_EQ(buf[i], 0);
}

static void test_memcmp_memchr(void)
{
	uint8_t a[40], b[40];

	fill_pattern(a, sizeof(a), 5);
	fill_pattern(b, sizeof(b), 5);
	HT_EQ(k_memcmp(a, b, sizeof(a)), 0);
	HT_EQ(k_memcmp(a, b, 0), 0);
	b[17] = (uint8_t)(a[17] + 1);
	HT_EQ(sign(k_memcmp(a, b, sizeof(a))), -1);
	HT_EQ(sign(k_memcmp(b, a, sizeof(a))), 1);
	HT_EQ(k_memcmp(a, b, 17), 0);
	/* Bytes compare as unsigned char. */
	a[0] = 0x80;
	b[0] = 0x7f;
	HT_EQ(sign(k_memcmp(a, b, 1)), 1);

	HT_ASSERT(k_memchr(a, a[30], sizeof(a)) == a + 30); /* pattern bytes are distinct */
	HT_ASSERT(k_memchr(a, a[30], 30) == NULL);
	{
		const char *s = "hello";

		HT_ASSERT(k_memchr(s, 'l', 5) == s + 2);
		HT_ASSERT(k_memchr(s, 'o', 4) == NULL);
		HT_ASSERT(k_memchr(s, 0x100 + 'h', 5) == s); /* (unsigned char)c */
		HT_ASSERT(k_memchr(s, 0, 6) == s + 5);
		HT_ASSERT(k_memchr(s, 'h', 0) == NULL);
	}
}

static void test_strlen_strnlen(void)
{
	char *exact = malloc(5); /* "abcde" without NUL: ASan guards the end */

	HT_ASSERT(exact);
	memcpy(exact, "abcde", 5);
	HT_EQ(k_strlen(""), 0);
	HT_EQ(k_strlen("a"), 1);
	HT_EQ(k_strlen("hello, world"), 12);
	HT_EQ(k_strnlen("hello", 3), 3);
	HT_EQ(k_strnlen("hello", 5), 5);
	HT_EQ(k_strnlen("hello", 100), 5);
	HT_EQ(k_strnlen("hello", 0), 0);
	HT_EQ(k_strnlen(exact, 5), 5); /* must not read exact[5] */
	HT_EQ(k_strnlen(exact, 2), 2);
	free(exact);
}

static void test_strcmp_strncmp(void)
{
	HT_EQ(k_strcmp("", ""), 0);
	HT_EQ(k_strcmp("abc", "abc"), 0);
	HT_EQ(sign(k_strcmp("abc", "abd")), -1);
	HT_EQ(sign(k_strcmp("abd", "abc")), 1);
	HT_EQ(sign(k_strcmp("ab", "abc")), -1);
	HT_EQ(sign(k_strcmp("abc", "ab")), 1);
	HT_EQ(sign(k_strcmp("", "a")), -1);
	HT_EQ(sign(k_strcmp("\x80", "\x7f")), 1); /* unsigned char */

	HT_EQ(k_strncmp("abcdef", "abcxyz", 3), 0);
	HT_EQ(sign(k_strncmp("abcdef", "abcxyz", 4)), -1);
	HT_EQ(k_strncmp("abc", "abd", 0), 0);
	HT_EQ(k_strncmp("abc", "abc", 100), 0); /* stops at the NUL */
	HT_EQ(sign(k_strncmp("ab", "abc", 3)), -1);
	HT_EQ(sign(k_strncmp("\xff", "a", 1)), 1);
}

static void test_strchr_strrchr_strstr(void)
{
	const char *s = "a/b/c";

	HT_ASSERT(k_strchr(s, '/') == s + 1);
	HT_ASSERT(k_strrchr(s, '/') == s + 3);
	HT_ASSERT(k_strchr(s, 'x') == NULL);
	HT_ASSERT(k_strrchr(s, 'x') == NULL);
	HT_ASSERT(k_strchr(s, '\0') == s + 5);
	HT_ASSERT(k_strrchr(s, '\0') == s + 5);
	HT_ASSERT(k_strchr(s, 'a') == s);
	HT_ASSERT(k_strrchr(s, 'a') == s);
	HT_ASSERT(k_strchr("", 'a') == NULL);

	HT_ASSERT(k_strstr(s, "") == s);
	HT_ASSERT(k_strstr(s, "b/c") == s + 2);
	HT_ASSERT(k_strstr(s, "b/d") == NULL);
	HT_ASSERT(k_strstr("aaab", "aab") != NULL);
	HT_STREQ(k_strstr("aaab", "aab"), "aab");
	HT_ASSERT(k_strstr("ab", "abc") == NULL);
	HT_ASSERT(k_strstr("", "a") == NULL);
	HT_ASSERT(k_strstr("", "") != NULL);
}

static void test_strlcpy(void)
{
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	HT_EQ(k_strlcpy(buf, "abc", sizeof(buf)), 3);
	HT_STREQ(buf, "abc");
	HT_EQ(k_strlcpy(buf, "0123456789", sizeof(buf)), 10); /* truncated */
	HT_STREQ(buf, "0123456");
	HT_EQ(k_strlcpy(buf, "01234567", sizeof(buf)), 8);
	HT_STREQ(buf, "0123456");
	HT_EQ(k_strlcpy(buf, "0123456", sizeof(buf)), 7);    /* just fits */
	HT_STREQ(buf, "0123456");
	memset(buf, 'x', sizeof(buf));
	HT_EQ(k_strlcpy(buf, "abc", 0), 3);                  /* nothing written */
	HT_EQ(buf[0], 'x');
	HT_EQ(k_strlcpy(buf, "abc", 1), 3);
	HT_STREQ(buf, "");
	HT_EQ(k_strlcpy(buf, "", sizeof(buf)), 0);
	HT_STREQ(buf, "");
}

static const struct htest_case cases[] = {
	HT_CASE(test_memcpy),
	HT_CASE(test_memmove_overlap),
	HT_CASE(test_memset),
	HT_CASE(test_memcmp_memchr),
	HT_CASE(test_strlen_strnlen),
	HT_CASE(test_strcmp_strncmp),
	HT_CASE(test_strchr_strrchr_strstr),
	HT_CASE(test_strlcpy),
};

int main(void)
{
	return htest_main("string", cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
