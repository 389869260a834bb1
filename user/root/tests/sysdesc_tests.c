/*
 * sysdesc: every class of invalid system description is rejected with its
 * message. The descriptions are the files of tests/fixtures/sysdesc, compiled into
 * the boot archive as sysdesc-NAME.dtb; each says in its root property
 * `expect` what the message must contain. The real dts/system.dts must be
 * accepted.
 */
#include "root.h"

#include <fw/cpio.h>
#include <fw/fdt.h>
#include <string.h>

static void test_system_dts_accepted(struct utest *t)
{
	const void *sys;
	size_t len;
	char err[160] = "";

	UT_EQ(sysdesc_hardware(err, sizeof(err)), 0);
	UT_EQ(cpio_find((const void *)(uintptr_t)bootinfo->archive_va, bootinfo->archive_size,
			"system.dtb", &sys, &len), 0);
	if (sysdesc_load(sys, len, err, sizeof(err))) {
		utest_fail(t, __FILE__, __LINE__, "system.dtb rejected: %s", err);
		return;
	}
}

static void test_invalid_descriptions_rejected(struct utest *t)
{
	struct cpio_iter it;
	struct cpio_entry e;
	unsigned checked = 0;

	UT_EQ(sysdesc_hardware((char[160]){ 0 }, 160), 0);
	cpio_iter_init(&it, (const void *)(uintptr_t)bootinfo->archive_va, bootinfo->archive_size);
	while (cpio_next(&it, &e) == 0) {
		struct fdt f;
		const char *expect;
		char err[160] = "";
		int r;

		if (strncmp(e.name, "sysdesc-", 8) != 0)
			continue;
		if (fdt_open(&f, e.data, e.size) != 0 ||
		    !(expect = fdt_prop_string(&f, fdt_root(&f), "expect"))) {
			utest_fail(t, __FILE__, __LINE__, "%s: no `expect` property", e.name);
			continue;
		}
		r = sysdesc_load(e.data, e.size, err, sizeof(err));
		if (r == 0 || !strstr(err, expect))
			utest_fail(t, __FILE__, __LINE__, "%s: got %d \"%s\", expected \"%s\"",
				   e.name, r, err, expect);
		else
			uprintf("    # %s: %s\n", e.name, err);
		checked++;
	}
	UT_ASSERT(checked >= 8);
}

static const struct utest_case cases[] = {
	UT_CASE(test_system_dts_accepted),
	UT_CASE(test_invalid_descriptions_rejected),
};

static const struct utest_suite suite_sysdesc = {
	.name = "sysdesc",
	.cases = cases,
	.ncases = sizeof(cases) / sizeof(cases[0]),
};
UTEST_REGISTER(suite_sysdesc, 40);
