/*
 * ktest runner and benchmark runner (see ktest.h).
 *
 * Suites come from the .ktest_suites section, bounded by linker symbols;
 * their order is link order. The runner prints the KTAP header, one
 * subtest per selected suite with the case results, and the suite result
 * line. Diagnostic lines ("# ...") precede a failing case's result.
 */
#include <lib/ktest.h>
#include <lib/log.h>
#include <lib/printf.h>
#include <lib/string.h>

extern const struct ktest_suite __ktest_suites_start[], __ktest_suites_end[];
extern const struct bench_item __bench_start[], __bench_end[];

void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kprintf("    # %s:%d: %s\n", file, line, msg);
	t->failed = true;
}

static bool suite_exists(const char *name, size_t len)
{
	for (const struct ktest_suite *s = __ktest_suites_start; s < __ktest_suites_end; s++)
		if (strlen(s->name) == len && strncmp(s->name, name, len) == 0)
			return true;
	return false;
}

static int failures_total;

int ktest_failures(void)
{
	return failures_total;
}

int ktest_run(const char *sel, char *rest, size_t rest_len)
{
	unsigned nsuites = 0, idx = 0;
	int failures = 0;
	const char *p;

	for (const struct ktest_suite *s = __ktest_suites_start; s < __ktest_suites_end; s++)
		if (ktest_selected(sel, s->name))
			nsuites++;
	kprintf("KTAP version 1\n1..%u\n", nsuites);
	for (const struct ktest_suite *s = __ktest_suites_start; s < __ktest_suites_end; s++) {
		unsigned failed = 0;

		if (!ktest_selected(sel, s->name))
			continue;
		idx++;
		kprintf("    KTAP version 1\n    # Subtest: %s\n    1..%u\n", s->name,
			s->ncases);
		for (unsigned i = 0; i < s->ncases; i++) {
			struct ktest t = { false, NULL };

			s->cases[i].fn(&t);
			if (t.failed) {
				failed++;
				kprintf("    not ok %u %s\n", i + 1, s->cases[i].name);
			} else if (t.skip) {
				kprintf("    ok %u %s # SKIP %s\n", i + 1, s->cases[i].name,
					t.skip);
			} else {
				kprintf("    ok %u %s\n", i + 1, s->cases[i].name);
			}
		}
		failures += (int)failed;
		kprintf("%s %u %s\n", failed ? "not ok" : "ok", idx, s->name);
	}
	/* Names that match no suite go to user level, or are reported and
	 * count as failures. */
	if (rest && rest_len)
		rest[0] = '\0';
	if (rest && rest_len > 3 && strcmp(sel, "all") == 0)
		strlcpy(rest, "all", rest_len);
	p = sel;
	while (strcmp(sel, "all") != 0 && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		size_t used = rest ? strlen(rest) : 0;

		if (len && !suite_exists(p, len)) {
			if (rest && used + len + 2 <= rest_len) {
				if (used)
					rest[used++] = ',';
				memcpy(rest + used, p, len);
				rest[used + len] = '\0';
			} else {
				kprintf("# ktest: no suite named '%.*s'\n", (int)len, p);
				failures++;
			}
		}
		if (!end)
			break;
		p = end + 1;
	}
	failures_total += failures;
	return failures;
}

void bench_run(void)
{
	for (const struct bench_item *b = __bench_start; b < __bench_end; b++) {
		uint64_t v = b->fn();

		kprintf("bench: %s %llu %s # %s\n", b->name, (unsigned long long)v,
			b->unit, b->desc);
	}
}
