/*
 * Host tests of the kernel command-line parser and the log ring.
 */
#include <boot/args.h>
#include <lib/log.h>

#include <stdio.h>
#include <string.h>

#include "htest.h"

static void test_basic(void)
{
	HT_EQ(args_parse("  ktest=all bench  loglevel=3\tquiet "), 4);
	HT_STREQ(args_get("ktest"), "all");
	HT_STREQ(args_get("bench"), "");
	HT_STREQ(args_get("loglevel"), "3");
	HT_ASSERT(args_has("quiet"));
	HT_ASSERT(args_get("missing") == NULL);
	HT_ASSERT(args_get("ktes") == NULL);
}

static void test_override_and_empty(void)
{
	HT_EQ(args_parse("a=1 a=2 b= ="), 4);
	HT_STREQ(args_get("a"), "2");
	HT_STREQ(args_get("b"), "");
	HT_STREQ(args_get(""), "");
	HT_EQ(args_parse(""), 0);
	HT_EQ(args_parse(NULL), 0);
	HT_ASSERT(args_get("a") == NULL);
}

static void test_limits(void)
{
	char line[1024];
	size_t n = 0;

	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "k%d ", i);
	HT_EQ(args_parse(line), ARGS_MAX);
	HT_EQ(args_dropped(), 40 - ARGS_MAX);
	HT_ASSERT(args_has("k0"));
	HT_ASSERT(!args_has("k39"));
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	HT_EQ(args_parse(line), 1);
	HT_EQ(strlen(args_cmdline()), ARGS_LEN - 1);
}

static void test_log_ring_wraps(void)
{
	char buf[LOG_LINE_MAX * 2];
	uint64_t pos = 0, start = log_total();
	size_t n;

	log_set_sink(NULL);
	for (int i = 0; i < 5000; i++)
		klog(LOG_INFO, "line %d", i);
	HT_ASSERT(log_total() - start > LOG_RING_SIZE);
	/* Reading from 0 clamps to the oldest retained byte. */
	n = log_read(&pos, buf, sizeof(buf));
	HT_EQ(n, sizeof(buf));
	HT_EQ(pos, log_total() - LOG_RING_SIZE + sizeof(buf));
	pos = log_total() - 20;
	n = log_read(&pos, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	HT_EQ(n, 20);
	HT_ASSERT(strstr(buf, "line 4999\n") != NULL);
}

static void test_log_long_line_truncated(void)
{
	char big[1000], buf[LOG_LINE_MAX + 1];
	uint64_t pos = log_total();
	size_t n;

	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	klog(LOG_WARN, "%s", big);
	n = log_read(&pos, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	HT_EQ(n, LOG_LINE_MAX - 1);
	HT_ASSERT(strstr(buf, "warning: yyy") != NULL);
	HT_ASSERT(strcmp(buf + n - 4, "...\n") == 0);
}

static const struct htest_case cases[] = {
	HT_CASE(test_basic),
	HT_CASE(test_override_and_empty),
	HT_CASE(test_limits),
	HT_CASE(test_log_ring_wraps),
	HT_CASE(test_log_long_line_truncated),
};

int main(void)
{
	return htest_main("args", cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
