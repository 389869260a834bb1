/*
 * sysdesc: every class of invalid system description is rejected with its
 * message. The descriptions are the files of tests/fixtures/sysdesc, compiled into
 * the boot archive as sysdesc-NAME.dtb; each says in its root property
 * `expect` what the message must contain. The real dts/system.dts must be
 * accepted.
 *
 * And spawn() refusing a program that lies about its segments leaves
 * nothing behind: a copy of the rtc program, changed in memory and put
 * in an archive of its own, is spawned from a small account; each lie is
 * refused with its reason, and afterwards the account has nothing
 * charged, the root task's quotas and the kernel heap are as before and
 * the slots are free again. (tests/target/boots.py runs the same lies
 * through the real boot path, as servers of the system description.)
 */
#include "root.h"

#include <fw/cpio.h>
#include <fw/fdt.h>
#include <stdio.h>
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

/* ---- spawn's refusals */

static uint8_t lie_elf[48 * 1024];
static uint8_t lie_archive[sizeof(lie_elf) + 512];

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* The program header of the loadable segment with these flags. */
static uint8_t *lie_ph(uint32_t flags)
{
	uint32_t phoff = rd32(lie_elf + 28);
	unsigned phnum = lie_elf[44] | lie_elf[45] << 8;

	for (unsigned i = 0; i < phnum; i++) {
		uint8_t *ph = lie_elf + phoff + 32 * i;

		if (rd32(ph) == 1 && rd32(ph + 20) && rd32(ph + 24) == flags)
			return ph;
	}
	return NULL;
}

/* A newc archive holding lie_elf[0..len) as "bad" (cpio.h's layout). */
static size_t lie_pack(size_t len)
{
	static const char trailer[] = "TRAILER!!!";
	size_t n = 0;

	n += (size_t)snprintf((char *)lie_archive, 111, "070701%08X%08X%08X%08X%08X%08X%08X"
			      "%08X%08X%08X%08X%08X%08X", 1u, 0100644u, 0u, 0u, 1u, 0u,
			      (unsigned)len, 0u, 0u, 0u, 0u, 4u, 0u);
	memcpy(lie_archive + n, "bad", 4);
	n = (n + 4 + 3) & ~(size_t)3;
	memcpy(lie_archive + n, lie_elf, len);
	n = (n + len + 3) & ~(size_t)3;
	n += (size_t)snprintf((char *)lie_archive + n, 111, "070701%08X%08X%08X%08X%08X%08X"
			      "%08X%08X%08X%08X%08X%08X%08X", 0u, 0u, 0u, 0u, 1u, 0u, 0u, 0u, 0u,
			      0u, 0u, (unsigned)sizeof(trailer), 0u);
	memcpy(lie_archive + n, trailer, sizeof(trailer));
	return n + sizeof(trailer);
}

static void test_refused_programs_leave_nothing(struct utest *t)
{
	static const struct {
		const char *lie;
		unsigned field;         /* offset in the data segment's header, or 0xff: entry */
		uint32_t flags, value;
		const char *why;
		int err;
	} lies[] = {
		{ "W+X text", 24, 5, 7, "writable and executable", E_PERM },
		{ "data over the IPC buffer", 8, 6, 0x00100000u, "IPC buffer", E_EXIST },
		{ "data over the stack", 8, 6, 0x7fffe000u, "stack", E_EXIST },
		{ "data at address 0", 8, 6, 0, "null pointers", E_RANGE },
		{ "data in kernel space", 8, 6, 0xc0000000u, "outside the user", E_RANGE },
		{ "64 MiB of bss", 20, 6, 0x04000000u, "larger than 4 MiB", E_RANGE },
		/* Refused after pages were allocated and mapped: they go back. */
		{ "1 MiB of bss", 20, 6, 0x00100000u, "memory for its segments", E_NOMEM },
		{ "entry outside", 0xff, 0, 0x00500000u, "entry point", E_INVAL },
	};
	const void *rtc;
	size_t len, alen;
	struct spawn_env env, saved;
	cptr_t first = slots_mark(), acct = slot_alloc(), drain = slot_alloc();
	uint32_t used0[POOL_IDS], heap0;

	UT_EQ(cpio_find((const void *)(uintptr_t)bootinfo->archive_va, bootinfo->archive_size,
			"rtc", &rtc, &len), 0);
	if (len > sizeof(lie_elf))
		len = sizeof(lie_elf);          /* the segments are in the first pages */
	UT_EQ(sys_quota_carve(SLOT_ACCOUNT, CPTR_SELF, acct, 16, 0, 0, 32768), 0);
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, drain, 0), 0);
	spawn_env_get(&saved);
	env = saved;
	env.account = acct;
	env.archive = lie_archive;
	/* Twice over: the first round grows the root's CSpace leaves and
	 * the kernel's object caches to their working size; the second must
	 * change nothing at all. */
	for (unsigned round = 0; round < 2 && !t->failed; round++)
		for (unsigned i = 0; i < sizeof(lies) / sizeof(lies[0]) && !t->failed; i++) {
			struct proc p;
			cptr_t mark;
			uint8_t *ph;
			int err;

			memcpy(lie_elf, rtc, len);
			ph = lie_ph(lies[i].flags ? lies[i].flags : 5);
			UT_ASSERT(ph);
			if (lies[i].field == 0xff)
				wr32(lie_elf + 24, lies[i].value);
			else
				wr32(ph + lies[i].field, lies[i].value);
			alen = lie_pack(len);
			env.archive_len = alen;
			for (unsigned k = 0; k < POOL_IDS; k++)
				sys_quota_info(SLOT_ACCOUNT, k, NULL, &used0[k], NULL);
			UT_EQ(sys_system_info(SYSINFO_HEAP_FREE, &heap0), 0);
			mark = slots_mark();
			spawn_init(&env);
			err = spawn("bad", 64, 10, CPTR_NULL, &p);
			spawn_init(&saved);
			sys_cap_revoke(CPTR_SELF, drain);       /* the reaper is done */
			if (err != lies[i].err || !p.why || !strstr(p.why, lies[i].why)) {
				utest_fail(t, __FILE__, __LINE__, "%s: %d \"%s\", expected %d \"%s\"",
					   lies[i].lie, err, p.why ? p.why : "", lies[i].err,
					   lies[i].why);
				break;
			}
			UT_EQ(slots_mark(), mark);
			for (unsigned k = 0; k < POOL_IDS; k++) {
				uint32_t used, now;

				sys_quota_info(acct, k, NULL, &used, NULL);
				UT_EQ(used, 0);
				if (round) {
					sys_quota_info(SLOT_ACCOUNT, k, NULL, &now, NULL);
					UT_EQ(now, used0[k]);
				}
			}
			if (round) {
				uint32_t heap;

				UT_EQ(sys_system_info(SYSINFO_HEAP_FREE, &heap), 0);
				UT_EQ(heap, heap0);
			}
			if (round)
				uprintf("    # spawn refused %s: %s\n", lies[i].lie, p.why);
		}
	/* The unchanged program is accepted from the same archive. */
	if (!t->failed) {
		struct proc p;

		memcpy(lie_elf, rtc, len);
		env.archive_len = lie_pack(len);
		spawn_init(&env);
		UT_EQ(spawn("bad", 64, 10, CPTR_NULL, &p), 0);
		spawn_init(&saved);
	}
	/* Everything goes, and the slots too: later suites see the root's
	 * CSpace as they would without this one. */
	sys_cap_revoke(CPTR_SELF, acct);
	slots_release(first);
}

static const struct utest_case cases[] = {
	UT_CASE(test_system_dts_accepted),
	UT_CASE(test_invalid_descriptions_rejected),
	UT_CASE(test_refused_programs_leave_nothing),
};

static const struct utest_suite suite_sysdesc = {
	.name = "sysdesc",
	.cases = cases,
	.ncases = sizeof(cases) / sizeof(cases[0]),
};
UTEST_REGISTER(suite_sysdesc, 40);
