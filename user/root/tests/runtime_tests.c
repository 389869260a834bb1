/*
 * runtime: the user runtime's own calls against the kernel -- that each
 * typed wrapper puts its arguments in the registers docs/abi.md gives and
 * decodes the results from the right ones -- and its helpers (numbers,
 * message data, the suite table).
 */
#include "root.h"

#include <string.h>

static void test_parse_u32(struct utest *t)
{
	static const struct {
		const char *s;
		bool ok;
		uint32_t v;
	} cases[] = {
		{ "0", true, 0 },          { "4711", true, 4711 },
		{ "4294967295", true, 0xffffffffu }, { "4294967296", false, 0 },
		{ "99999999999999999999", false, 0 }, { "0x10", true, 16 },
		{ "0XfFfFfFfF", true, 0xffffffffu }, { "0x100000000", false, 0 },
		{ "", false, 0 },          { "0x", false, 0 },
		{ "12a", false, 0 },       { "-1", false, 0 },
		{ " 1", false, 0 },        { "0xg", false, 0 },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t v = 0xdeadbeef;
		bool ok = cairn_parse_u32(cases[i].s, &v);

		if (ok != cases[i].ok || (ok && v != cases[i].v)) {
			utest_fail(t, __FILE__, __LINE__, "\"%s\": %d 0x%x", cases[i].s, ok,
				   (unsigned)v);
			return;
		}
	}
	UT_ASSERT(!cairn_parse_u32(NULL, NULL));
}

static void test_message_data_round_trip(struct utest *t)
{
	static const size_t lens[] = { 0, 1, 3, 4, 5, 12, 13, 16, 100, MSG_TEXT_MAX,
				       MSG_TEXT_MAX + 40 };
	char in[MSG_TEXT_MAX + 40], out[MSG_TEXT_MAX + 41];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (char)('a' + i % 26);
	for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t want = lens[i] > MSG_TEXT_MAX ? MSG_TEXT_MAX : lens[i];
		struct msg m;

		memset(&m, 0, sizeof(m));
		UT_EQ(msg_put_text(&m, 7, in, lens[i]), want);
		UT_EQ(MSG_LABEL(m.info), 7);
		UT_EQ(MSG_LEN(m.info), 1 + (want + 3) / 4);
		UT_EQ(msg_get_text(&m, out, sizeof(out)), want);
		UT_ASSERT(memcmp(in, out, want) == 0 && out[want] == '\0');
	}
}

/* The thread-register calls on a fresh, never started thread. */
static void test_thread_regs(struct utest *t)
{
	cptr_t th = slot_alloc(), ro = slot_alloc();
	struct thread_regs r;
	struct thread_info ti;

	UT_ASSERT(th && ro);
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_THREAD, CPTR_SELF, th, 0), 0);
	UT_EQ(sys_thread_set_regs(th, 0x00401234 & ~3u, 0x7fff0000, 11, 22), 0);
	UT_EQ(sys_thread_get_regs(th, &r), 0);
	UT_EQ(r.pc, 0x00401234 & ~3u);
	UT_EQ(r.sp, 0x7fff0000);
	UT_EQ(r.r0, 11);
	UT_EQ(r.r1, 22);
	UT_EQ(r.cpsr & 0x1f, 0x10);                     /* user mode */
	UT_EQ(r.cpsr & 0x20, 0);                        /* ARM state */
	UT_EQ(sys_thread_info(th, &ti), 0);
	UT_EQ(ti.state, TS_INACTIVE);
	UT_EQ(ti.prio, 0);
	UT_EQ(ti.fault_kind, FAULT_NONE);
	/* Its errors, and the rights each one needs. */
	UT_EQ(sys_thread_set_regs(th, 0x00400002, 0x7fff0000, 0, 0), E_RANGE);
	UT_EQ(sys_thread_set_regs(th, 0xc0000000u, 0x7fff0000, 0, 0), E_RANGE);
	UT_EQ(sys_thread_set_regs(SLOT_THREAD, 0x00400000, 0x7fff0000, 0, 0), E_STATE);
	UT_EQ(sys_cap_mint(th, CPTR_SELF, ro, R_WRITE, 0, 0), 0);
	UT_EQ(sys_thread_get_regs(ro, &r), E_PERM);
	UT_EQ(r.pc, 0);                                 /* zeroed on error */
	UT_EQ(sys_thread_info(ro, &ti), 0);             /* needs no right */
	UT_EQ(sys_cap_delete(CPTR_SELF, ro), 0);
	UT_EQ(sys_cap_mint(th, CPTR_SELF, ro, R_READ, 0, 0), 0);
	UT_EQ(sys_thread_get_regs(ro, &r), 0);
	UT_EQ(r.r1, 22);
	UT_EQ(sys_thread_set_regs(ro, 0x00400000, 0x7fff0000, 0, 0), E_PERM);
	UT_EQ(sys_thread_get_regs(SLOT_SYSTEM, &r), E_TYPE);
	UT_EQ(sys_cap_delete(CPTR_SELF, ro), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, th), 0);
	UT_EQ(sys_thread_get_regs(th, &r), E_NOCAP);
}

static void test_log_read(struct utest *t)
{
	static char buf[4096];
	uint32_t got = 0, next = 0, off = 0, total = 0;
	cptr_t weak = slot_alloc();

	UT_ASSERT(weak);
	/* The kernel's log from the oldest byte kept to its end. */
	for (unsigned i = 0; i < 64; i++) {
		UT_EQ(sys_log_read(SLOT_SYSTEM, buf, sizeof(buf), off, &got, &next), 0);
		UT_ASSERT(got <= sizeof(buf));
		if (!got)
			break;
		UT_ASSERT(next > off);
		if (!total)
			UT_ASSERT(memchr(buf, ']', got) != NULL);       /* timestamped lines */
		total += got;
		off = next;
	}
	UT_ASSERT(total > 0);
	UT_EQ(sys_log_read(SLOT_SYSTEM, buf, 16, off, &got, &next), 0);
	UT_EQ(next, off + got);         /* nothing, unless a line came meanwhile */
	UT_EQ(sys_log_read(SLOT_SYSTEM, buf, 4097, 0, &got, NULL), E_RANGE);
	UT_EQ(sys_log_read(SLOT_SYSTEM, (void *)0x1000, 16, 0, &got, NULL), E_FAULT);
	UT_EQ(sys_log_read(SLOT_SYSTEM, (void *)BOOTINFO_VA, 16, 0, &got, NULL), E_FAULT);
	UT_EQ(sys_log_read(SLOT_CSPACE, buf, 16, 0, &got, NULL), E_TYPE);
	UT_EQ(sys_cap_mint(SLOT_SYSTEM, CPTR_SELF, weak, R_WRITE, 0, 0), 0);
	UT_EQ(sys_log_read(weak, buf, 16, 0, &got, &next), E_PERM);
	UT_EQ(got, 0);
	UT_EQ(next, 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, weak), 0);
}

static void test_inspect_and_map_info(struct utest *t)
{
	struct cap_info ci;
	uint64_t pa;
	unsigned rights, attr;
	uint32_t limit, used, carved;

	UT_EQ(sys_cap_inspect(SLOT_SYSTEM, &ci), 0);
	UT_EQ(ci.type, CAP_SYSTEM);
	UT_EQ(sys_cap_inspect(SLOT_CSPACE, &ci), 0);
	UT_EQ(ci.type, CAP_CSPACE);
	UT_EQ(ci.size, bootinfo->cspace_slots);         /* its limit */
	UT_EQ(sys_cap_inspect(SLOT_BOOTINFO, &ci), 0);
	UT_EQ(ci.type, CAP_MEM);
	UT_ASSERT(ci.mapped);
	UT_EQ(ci.size, 1);
	UT_EQ(ci.extra, BOOTINFO_VA);
	UT_EQ(sys_map_info(SLOT_VSPACE, BOOTINFO_VA, &pa, &rights, &attr), 0);
	UT_EQ(pa, ci.base);
	UT_EQ(rights, R_READ);
	UT_EQ(sys_map_info(SLOT_VSPACE, 0x1000, &pa, &rights, &attr), E_NOENT);
	UT_EQ(pa, 0);
	UT_EQ(sys_quota_info(SLOT_ACCOUNT, POOL_ID_KHEAP, &limit, &used, &carved), 0);
	UT_ASSERT(used > 0 && used <= limit);
	UT_EQ(sys_quota_info(SLOT_ACCOUNT, POOL_IDS, &limit, &used, &carved), E_INVAL);
	UT_EQ(sys_cap_inspect(CPTR_NULL, &ci), E_RANGE);
	UT_EQ(ci.type, CAP_NULL);
	UT_EQ(sys_cap_inspect(bootinfo->cspace_slots - 1, &ci), E_NOCAP);
}

static void test_system_and_trivial_calls(struct utest *t)
{
	uint32_t v = 0;

	UT_EQ(sys_null(), 0);
	UT_EQ(sys_yield(), 0);
	UT_EQ(sys_system_info(SYSINFO_TICK_HZ, &v), 0);
	UT_EQ(v, bootinfo->tick_hz);
	UT_EQ(sys_system_info(0x99, &v), E_INVAL);
	UT_EQ(v, 0);
	UT_EQ(sys0(9), E_NOSYS);                       /* a gap in enum sys */
	UT_EQ(sys_log_write("", 0), 0);
	UT_EQ(sys_log_write((const char *)0x1000, 4), E_FAULT);
	UT_EQ(sys_log_write("x", 257), E_RANGE);
	UT_EQ(sys_poweroff(SLOT_CSPACE, 0), E_TYPE);
}

/* The suite table is sorted by order and holds this suite. */
/* The boot info states the account's limits, and a CSpace's backed slots. */
static void test_boot_info_limits_and_cspace(struct utest *t)
{
	struct cap_info ci;
	uint32_t limit;

	for (unsigned i = 0; i < POOL_IDS; i++) {
		UT_EQ(sys_quota_info(SLOT_ACCOUNT, i, &limit, NULL, NULL), 0);
		UT_EQ(bootinfo->pool_limit[i], limit);
	}
	UT_ASSERT(bootinfo->pool_limit[POOL_ID_DIRECT] > 0);
	UT_EQ(sys_cap_inspect(SLOT_CSPACE, &ci), 0);
	UT_EQ(ci.type, CAP_CSPACE);
	UT_EQ(ci.size, bootinfo->cspace_slots);
	UT_ASSERT(ci.extra >= 64 && ci.extra % 64 == 0);        /* leaves, 64 slots each */
}

static void test_registered_suites(struct utest *t)
{
	unsigned n;
	const struct utest_suite *const *s = utest_registered(&n);
	bool me = false;

	UT_ASSERT(n >= 2);
	for (unsigned i = 0; i < n; i++) {
		me |= strcmp(s[i]->name, "runtime") == 0;
		for (unsigned k = 0; k < i; k++)
			UT_ASSERT(strcmp(s[i]->name, s[k]->name) != 0);
	}
	UT_ASSERT(me);
	UT_ASSERT(strcmp(s[0]->name, "runtime") == 0);          /* order 05 */
}

static const struct utest_case cases[] = {
	UT_CASE(test_parse_u32),
	UT_CASE(test_message_data_round_trip),
	UT_CASE(test_thread_regs),
	UT_CASE(test_log_read),
	UT_CASE(test_inspect_and_map_info),
	UT_CASE(test_system_and_trivial_calls),
	UT_CASE(test_boot_info_limits_and_cspace),
	UT_CASE(test_registered_suites),
};

static const struct utest_suite suite_runtime = {
	.name = "runtime",
	.cases = cases,
	.ncases = sizeof(cases) / sizeof(cases[0]),
	.beside_servers = true,
};
UTEST_REGISTER(suite_runtime, 05);
