/*
 * htest runner: see htest.h.
 */
#include "htest.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

bool htest_failed;
static const char *skip_reason;

void htest_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("    # %s:%d: assertion failed: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	htest_failed = true;
}

void htest_skip(const char *why)
{
	skip_reason = why;
}

const char *htest_fixtures(void)
{
	const char *d = getenv("CAIRN_FIXTURES");

	return d && *d ? d : "build/fixtures";
}

void *htest_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	buf = malloc(n ? (size_t)n : 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf)
		*len = (size_t)n;
	return buf;
}

int htest_main(const char *suite, const struct htest_case *cases, int n)
{
	int failures = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	printf("KTAP version 1\n1..1\n");
	printf("    KTAP version 1\n    # Subtest: %s\n    1..%d\n", suite, n);
	for (int i = 0; i < n; i++) {
		htest_failed = false;
		skip_reason = NULL;
		cases[i].fn();
		if (htest_failed) {
			failures++;
			printf("    not ok %d %s\n", i + 1, cases[i].name);
		} else if (skip_reason) {
			printf("    ok %d %s # SKIP %s\n", i + 1, cases[i].name,
			       skip_reason);
		} else {
			printf("    ok %d %s\n", i + 1, cases[i].name);
		}
	}
	printf("%s 1 %s\n", failures ? "not ok" : "ok", suite);
	return failures ? 1 : 0;
}

uint64_t htest_rand(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dull;
}
