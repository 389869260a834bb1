/*
 * htest: the host unit-test framework.
 *
 * Each tests/host/test_<suite>.c is one program that runs one KTAP suite:
 * it lists its cases in a table and calls htest_main(). Assertions record a
 * failure with file, line and a message, then return from the test case; the
 * program prints KTAP ("KTAP version 1", "1..N", "ok/not ok N name") on stdout
 * and exits 1 if any case failed. Programs run with the repository root as the
 * working directory; CAIRN_FIXTURES names the directory of generated fixtures.
 */
#ifndef HTEST_H
#define HTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct htest_case {
	const char *name;
	void (*fn)(void);
};

/* Set by the HT_* macros when the current case fails. */
extern bool htest_failed;

void htest_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Mark the current case skipped (reported as "ok N name # SKIP why"). */
void htest_skip(const char *why);
int htest_main(const char *suite, const struct htest_case *cases, int n);
/* Directory with generated fixtures ($CAIRN_FIXTURES or "build/fixtures"). */
const char *htest_fixtures(void);
/* Read a whole file into a malloc'd buffer; NULL if missing. */
void *htest_read_file(const char *path, size_t *len);

#define HT_CASE(fn) { #fn, fn }

#define HT_ASSERT(cond)                                                     \
	do {                                                                \
		if (!(cond)) {                                              \
			htest_fail(__FILE__, __LINE__, "%s", #cond);        \
			return;                                             \
		}                                                           \
	} while (0)

#define HT_ASSERT_MSG(cond, ...)                                            \
	do {                                                                \
		if (!(cond)) {                                              \
			htest_fail(__FILE__, __LINE__, __VA_ARGS__);        \
			return;                                             \
		}                                                           \
	} while (0)

#define HT_EQ(a, b)                                                         \
	do {                                                                \
		long long ht_a_ = (long long)(a), ht_b_ = (long long)(b);   \
		if (ht_a_ != ht_b_) {                                       \
			htest_fail(__FILE__, __LINE__,                      \
				   "%s == %s: 0x%llx != 0x%llx", #a, #b,    \
				   ht_a_, ht_b_);                           \
			return;                                             \
		}                                                           \
	} while (0)

#define HT_STREQ(a, b)                                                      \
	do {                                                                \
		const char *ht_a_ = (a), *ht_b_ = (b);                      \
		if (!ht_a_ || !ht_b_ || strcmp(ht_a_, ht_b_) != 0) {        \
			htest_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", \
				   #a, #b, ht_a_ ? ht_a_ : "(null)",        \
				   ht_b_ ? ht_b_ : "(null)");               \
			return;                                             \
		}                                                           \
	} while (0)

/* xorshift64*: deterministic pseudo-random numbers from *state (seed it
 * with a non-zero value). */
uint64_t htest_rand(uint64_t *state);

#endif
