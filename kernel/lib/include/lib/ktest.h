/*
 * ktest: in-kernel test suites reported as KTAP on the console.
 *
 * A suite is a table of cases placed in the .ktest_suites section with
 * KTEST_SUITE(); `ktest=all` or `ktest=a,b` on the kernel command line
 * runs them after boot. A case receives a struct ktest and uses the KT_*
 * macros, which record a failure with file, line and message and return
 * from the case. Output follows KTAP version 1 with one subtest per suite.
 */
#ifndef CAIRN_KTEST_H
#define CAIRN_KTEST_H

#include <lib/types.h>

struct ktest {
	bool failed;
	const char *skip;
};

struct ktest_case {
	const char *name;
	void (*fn)(struct ktest *t);
};

struct ktest_suite {
	const char *name;
	const struct ktest_case *cases;
	unsigned ncases;
};

#define KTEST_SUITE(ident, sname, table)                                    \
	static const struct ktest_suite ident                               \
		__attribute__((section(".ktest_suites"), used, aligned(4))) = { \
			sname, table, ARRAY_SIZE(table)                     \
		}

#define KT_CASE(fn) { #fn, fn }

void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt, ...)
	PRINTF_LIKE(4, 5);

#define KT_ASSERT(t, cond)                                                  \
	do {                                                                \
		if (!(cond)) {                                              \
			ktest_fail(t, __FILE__, __LINE__, "%s", #cond);     \
			return;                                             \
		}                                                           \
	} while (0)

#define KT_ASSERT_MSG(t, cond, ...)                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			ktest_fail(t, __FILE__, __LINE__, __VA_ARGS__);     \
			return;                                             \
		}                                                           \
	} while (0)

#define KT_EQ(t, a, b)                                                      \
	do {                                                                \
		unsigned long long kt_a_ = (unsigned long long)(a);         \
		unsigned long long kt_b_ = (unsigned long long)(b);         \
		if (kt_a_ != kt_b_) {                                       \
			ktest_fail(t, __FILE__, __LINE__,                   \
				   "%s == %s: 0x%llx != 0x%llx", #a, #b,    \
				   kt_a_, kt_b_);                           \
			return;                                             \
		}                                                           \
	} while (0)

/* Run the suites named in `selection` ("all" or comma separated names).
 * Returns the number of failed cases. Names of no kernel suite count as
 * failures, unless `rest` is given: then they are copied there (comma
 * separated; "all" for "all") for the user-level suites to run. */
int ktest_run(const char *selection, char *rest, size_t rest_len);
/* Failures of the in-kernel suites this boot, summed over ktest_run calls
 * (0 if none ran): the exit status of a test boot counts them. */
int ktest_failures(void);
/* Does the comma separated list contain name? ("all" contains anything) */
bool ktest_selected(const char *selection, const char *name);

/* Benchmarks: items in .bench_items, run by the `bench` argument. */
struct bench_item {
	const char *name;
	const char *unit;
	const char *desc;
	uint64_t (*fn)(void);
};

#define BENCH_ITEM(ident, bname, bunit, bdesc, bfn)                         \
	static const struct bench_item ident                                \
		__attribute__((section(".bench_items"), used, aligned(4))) = { \
			bname, bunit, bdesc, bfn                            \
		}

void bench_run(void);

#endif
