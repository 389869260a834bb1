/*
 * Host tests of the kernel command-line parser and the log ring.
 */
#include <boot/args.h>
#include <boot/memarg.h>
#include <lib/error.h>
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

static void test_get_all(void)
{
	const char *v[2];

	HT_EQ(args_parse("mem=1G mem=2G@0x80000000 x=1 mem=3G"), 4);
	HT_EQ(args_get_all("mem", v, 2), 3);
	HT_STREQ(v[0], "1G");
	HT_STREQ(v[1], "2G@0x80000000");
	HT_EQ(args_get_all("x", v, 2), 1);
	HT_EQ(args_get_all("y", v, 2), 0);
}

/* QEMU virt as U-Boot hands it over with -m 6G: /memory cut to 2 GiB. */
static void virt_dt(struct dt_info *dt)
{
	memset(dt, 0, sizeof(*dt));
	dt->nmem = 1;
	dt->mem[0].base = 0x40000000;
	dt->mem[0].size = 2ull << 30;
	dt->ndevices = 2;
	strcpy(dt->devices[0].path, "/pl011@9000000");
	dt->devices[0].nreg = 1;
	dt->devices[0].reg[0] = (struct dt_reg){ 0x09000000, 0x1000, true };
	strcpy(dt->devices[1].path, "/pcie@10000000");
	dt->devices[1].nreg = 1;
	dt->devices[1].reg[0] = (struct dt_reg){ 0x4010000000ull, 0x10000000, true };
	dt->nwindows = 1;
	dt->windows[0] = (struct dt_window){ 0x8000000000ull, 0x8000000000ull, 1,
					     DT_WIN_MEM64, false };
	dt->nrsv = 1;
	dt->rsv[0] = (struct dt_rsv){ 0xbff00000, 0x100000, DT_RSV_MEMRESERVE, false };
	dt->has_initrd = true;
	dt->initrd_start = 0x48000000;
	dt->initrd_end = 0x48100000;
}

static int apply(struct dt_info *dt, char *why, const char *a, const char *b)
{
	const char *v[2] = { a, b };
	static const struct memarg_boot kimg = { 0x40400000, 0x100000 };

	why[0] = 0;
	return memarg_apply(v, b ? 2 : 1, &kimg, dt, why, MEMARG_WHY_MAX);
}

static void test_mem_arg_describes_ram(void)
{
	struct dt_info dt;
	char why[MEMARG_WHY_MAX];

	virt_dt(&dt);
	HT_EQ(apply(&dt, why, "6G@0x40000000", NULL), 0);
	HT_EQ(dt.nmem, 1);
	HT_EQ(dt.mem[0].base, 0x40000000);
	HT_EQ(dt.mem[0].size, 6ull << 30);
	/* default START: the device tree's lowest RAM; sorted; suffixes on both;
	 * unaligned edges shrink to whole pages */
	virt_dt(&dt);
	HT_EQ(apply(&dt, why, "1G@5G", "1G"), 0);
	HT_EQ(dt.nmem, 2);
	HT_EQ(dt.mem[0].base, 0x40000000);
	HT_EQ(dt.mem[1].base, 5ull << 30);
	virt_dt(&dt);
	HT_EQ(apply(&dt, why, "0x3ffff000@0x40000800", NULL), 0);
	HT_EQ(dt.mem[0].base, 0x40001000);
	HT_EQ(dt.mem[0].size, 0x3fffe000);
}

/* Each contradiction is refused with its reason, and /memory is kept. */
static void test_mem_arg_refused(void)
{
	static const struct {
		const char *a, *b;
		int err;
		const char *why;
	} bad[] = {
		{ "6X", NULL, E_INVAL, "mem=6X: not SIZE[@START]" },
		{ "", NULL, E_INVAL, "not SIZE[@START]" },
		{ "0@0x40000000", NULL, E_INVAL, "not SIZE[@START]" },
		{ "1G@", NULL, E_INVAL, "not SIZE[@START]" },
		{ "1G@0x40000000junk", NULL, E_INVAL, "not SIZE[@START]" },
		{ "99999999999999999999", NULL, E_INVAL, "not SIZE[@START]" },
		{ "16777216T", NULL, E_INVAL, "not SIZE[@START]" },
		{ "2K@0x40000800", NULL, E_INVAL, "no whole page" },
		{ "1T@0x40000000", NULL, E_RANGE, "40-bit" },
		{ "0x1000@0xfffffffffffff000", NULL, E_RANGE, "40-bit" },
		{ "2G@0x40000000", "1G@0x80000000", E_EXIST, "overlap" },
		{ "2G@0x08000000", NULL, E_BUSY, "registers of /pl011@9000000" },
		{ "1G@0x4000000000", NULL, E_BUSY, "registers of /pcie@10000000" },
		{ "1G@0x8000000000", NULL, E_BUSY, "bus window of /pcie@10000000" },
		{ "0x7ff80000@0x40000000", NULL, E_BUSY, "cuts reserved region 0x00bff00000" },
		{ "1G@0x80000000", "1G@0x1000000000", E_NOENT, "kernel image" },
		{ "64M@0x40000000", NULL, E_NOENT, "boot archive" },
	};
	struct dt_info dt, orig;
	char why[MEMARG_WHY_MAX];

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		virt_dt(&dt);
		orig = dt;
		HT_ASSERT_MSG(apply(&dt, why, bad[i].a, bad[i].b) == bad[i].err, "%s: %s", bad[i].a, why);
		HT_ASSERT_MSG(strstr(why, bad[i].why) != NULL, "%s: \"%s\"", bad[i].a, why);
		HT_ASSERT(memcmp(&dt, &orig, sizeof(dt)) == 0);
	}
	/* more banks than the device tree's table holds */
	{
		const char *v[DT_MAX_MEM + 1];

		for (unsigned i = 0; i <= DT_MAX_MEM; i++)
			v[i] = "4K";
		virt_dt(&dt);
		HT_EQ(memarg_apply(v, DT_MAX_MEM + 1, NULL, &dt, why, sizeof(why)), E_INVAL);
		HT_ASSERT(strstr(why, "at most 16") != NULL);
	}
	/* no /memory and no START */
	virt_dt(&dt);
	dt.nmem = 0;
	HT_EQ(apply(&dt, why, "1G", NULL), E_INVAL);
	HT_ASSERT(strstr(why, "no @START") != NULL);
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
	HT_CASE(test_get_all),
	HT_CASE(test_mem_arg_describes_ram),
	HT_CASE(test_mem_arg_refused),
	HT_CASE(test_log_ring_wraps),
	HT_CASE(test_log_long_line_truncated),
};

int main(void)
{
	return htest_main("args", cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
