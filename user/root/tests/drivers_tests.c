/*
 * drivers: the servers of the system description, running, seen from a
 * client (the root task): console output through `uart`, the `rtc` clock
 * advancing, and the system-level revocation check -- revoking the device
 * range the root task gave the running rtc driver makes the driver fault
 * on its next device access, the root task gets the fault report, and the
 * rest of the system (the console) keeps serving.
 */
#include "root.h"

#include <cairn/server.h>
#include <string.h>



static int time_get(cptr_t tm, uint32_t *secs)
{
	struct msg m = { MSG_INFO(TIME_GET, 0, 0), { 0 }, 0 };
	int e = sys_call(tm, &m);

	if (!e && MSG_LABEL(m.info))
		e = (int)m.mr[0];
	*secs = m.mr[0];
	return e;
}

static void test_console_write_through_uart(struct utest *t)
{
	cptr_t con;
	const char *line = "uart server says: console check 4711\n";

	if (!servers_up(t))
		return;
	con = sysdesc_client("console");
	UT_ASSERT(con);
	UT_EQ(console_write(con, line, strlen(line)), (int)strlen(line));
}

static void test_rtc_time_advances(struct utest *t)
{
	cptr_t tm;
	uint32_t t1, t2, ticks0, ticks, hz;

	if (!servers_up(t))
		return;
	tm = sysdesc_client("time");
	UT_ASSERT(tm);
	UT_EQ(time_get(tm, &t1), 0);
	UT_ASSERT(t1 > 1600000000u);            /* after 2020: the host clock */
	/* Wait 1.2 s of timer ticks (yielding), then ask again. */
	sys_system_info(SYSINFO_TICK_HZ, &hz);
	sys_system_info(SYSINFO_TICKS, &ticks0);
	do {
		sys_yield();
		sys_system_info(SYSINFO_TICKS, &ticks);
	} while (ticks - ticks0 < hz * 12 / 10);
	UT_EQ(time_get(tm, &t2), 0);
	UT_ASSERT(t2 >= t1 + 1);
}

static void test_revoke_running_driver_device(struct utest *t)
{
	cptr_t tm, con, dev;
	struct msg m = { MSG_INFO(TIME_GET, 0, 0), { 0 }, 0 }, f;
	char who[24];
	uint32_t secs;

	if (!servers_up(t))
		return;
	tm = sysdesc_client("time");
	con = sysdesc_client("console");
	dev = sysdesc_device_cap("rtc", 0);
	UT_ASSERT(tm && con && dev);
	UT_EQ(time_get(tm, &secs), 0);
	/* Take the rtc driver's device range away while it runs. */
	UT_EQ(sys_cap_revoke(CPTR_SELF, dev), 0);
	/* Its next device access faults; the fault comes to the root task. */
	UT_EQ(sys_send(tm, &m), 0);
	UT_EQ(sysdesc_next_fault(&f, who, sizeof(who)), 0);
	UT_ASSERT(strcmp(who, "rtc") == 0);
	UT_EQ(MSG_LABEL(f.info), FAULT_LABEL_BASE + FAULT_DATA);
	UT_ASSERT(f.mr[1] >= 0x10000000u && f.mr[1] < 0x10001000u);   /* its RTC mapping */
	/* The rest of the system keeps serving. */
	{
		const char *after = "console still served after the rtc fault\n";

		UT_EQ(console_write(con, after, strlen(after)), 41);
	}
}

/* Sector I/O through the blk service, in chunks. */
static int blk_io(cptr_t blk, bool write, uint32_t sector, uint8_t *buf)
{
	for (unsigned off = 0; off < 512;) {
		struct msg m = { MSG_INFO(BLK_READ, 2, 0), { sector, off, 0, 0 }, 0 };
		size_t n = 0;

		if (write) {
			n = msg_put_data(&m, BLK_WRITE, 2, buf + off, 512 - off < 240 ? 512 - off : 240);
			m.mr[0] = sector;
			m.mr[1] = off;
		}
		if (sys_call(blk, &m))
			return E_STATE;
		if (MSG_LABEL(m.info))
			return (int)m.mr[0];
		if (!write)
			n = msg_get_data(&m, 0, buf + off, 512 - off);
		if (!n)
			return E_TRUNC;
		off += (unsigned)n;
	}
	return 0;
}

static void test_blk_write_read_back(struct utest *t)
{
	uint8_t out[512], in[512];
	cptr_t blk;

	if (!servers_up(t))
		return;
	blk = sysdesc_client("blk");
	UT_ASSERT(blk);
	for (unsigned i = 0; i < 512; i++)
		out[i] = (uint8_t)(i * 7 + 3);
	UT_EQ(blk_io(blk, true, 5, out), 0);
	memset(in, 0, sizeof(in));
	UT_EQ(blk_io(blk, false, 4, in), 0);            /* another sector in between */
	UT_EQ(blk_io(blk, false, 5, in), 0);
	UT_ASSERT(memcmp(in, out, sizeof(in)) == 0);
	{
		struct msg m = { MSG_INFO(BLK_INFO, 0, 0), { 0 }, 0 };

		UT_EQ(sys_call(blk, &m), 0);
		UT_EQ(m.mr[0], 2048);                   /* the 1 MiB test disk */
		m.info = MSG_INFO(BLK_READ, 2, 0);
		m.mr[0] = 2048;
		m.mr[1] = 0;
		UT_EQ(sys_call(blk, &m), 0);
		UT_EQ((int)m.mr[0], E_RANGE);           /* past the end */
	}
}

#define PERSIST_SECTOR 9
#define PERSIST_MAGIC "CAIRN-PERSIST-1"

/*
 * blk_persist (its own suite): the first boot writes a sector and restarts
 * the machine; the second boot, with the same disk image, finds it.
 */
static void test_blk_survives_reboot(struct utest *t)
{
	uint8_t buf[512];
	cptr_t blk;

	if (!servers_up(t))
		return;
	blk = sysdesc_client("blk");
	UT_ASSERT(blk);
	UT_EQ(blk_io(blk, false, PERSIST_SECTOR, buf), 0);
	if (memcmp(buf, PERSIST_MAGIC, sizeof(PERSIST_MAGIC)) != 0) {
		memset(buf, 0, sizeof(buf));
		memcpy(buf, PERSIST_MAGIC, sizeof(PERSIST_MAGIC));
		for (unsigned i = 64; i < 512; i++)
			buf[i] = (uint8_t)(i ^ 0x5a);
		UT_EQ(blk_io(blk, true, PERSIST_SECTOR, buf), 0);
		uprintf("# blk_persist: sector written; restarting the machine\n");
		root_reset_after_tests = true;  /* after this boot's KTAP is complete */
		return;
	}
	for (unsigned i = 64; i < 512; i++)
		UT_EQ(buf[i], (uint8_t)(i ^ 0x5a));
	uprintf("# blk_persist: the sector written before the restart is there\n");
}

static const struct utest_case persist_cases[] = {
	UT_CASE(test_blk_survives_reboot),
};

static const struct utest_suite suite_blk_persist = {
	.name = "blk_persist",
	.cases = persist_cases,
	.ncases = 1,
	.by_name_only = true,   /* restarts the machine */
};
UTEST_REGISTER(suite_blk_persist, 60);

static const struct utest_case cases[] = {
	UT_CASE(test_console_write_through_uart),
	UT_CASE(test_rtc_time_advances),
	UT_CASE(test_blk_write_read_back),
	UT_CASE(test_revoke_running_driver_device),
};

static const struct utest_suite suite_drivers = {
	.name = "drivers",
	.cases = cases,
	.ncases = sizeof(cases) / sizeof(cases[0]),
};
UTEST_REGISTER(suite_drivers, 50);
