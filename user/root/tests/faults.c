/*
 * faults: every kind of user fault arrives as a message on the thread's
 * fault endpoint with its decoded reason; a thread without one is stopped
 * and the kernel logs it; other processes keep running.
 */
#include "root.h"

static struct worker w1, w2;
static bool ready;

static bool setup(struct utest *t)
{
	if (ready)
		return true;
	if (worker_new(&w1, true) || worker_new(&w2, true)) {
		utest_fail(t, __FILE__, __LINE__, "workers could not be made");
		return false;
	}
	ready = true;
	return true;
}

/* Fault w1 with cmd; check kind and address; restart it; w2 still works. */
static void expect_fault(struct utest *t, unsigned cmd, uint32_t arg, unsigned kind,
			 uint32_t addr, struct msg *r)
{
	struct msg p;

	if (!setup(t))
		return;
	UT_EQ(worker_cmd(&w1, cmd, arg, 0, 0, r), 1);
	UT_EQ(MSG_LABEL(r->info), FAULT_LABEL_BASE + kind);
	UT_EQ(r->badge, WK_BADGE_FAULT);
	if (addr)
		UT_EQ(r->mr[1], addr);
	UT_EQ(worker_cmd(&w2, WK_PING, 1, 0, 0, &p), 0);
	UT_EQ(p.mr[0], 2);
	UT_EQ(worker_restart(&w1), 0);
	UT_EQ(worker_cmd(&w1, WK_PING, 5, 0, 0, &p), 0);
	UT_EQ(p.mr[0], 6);
}

static void test_data_abort(struct utest *t)
{
	struct msg r;

	expect_fault(t, WK_READ, 0x5000, FAULT_DATA, 0x5000, &r);
	if (t->failed)
		return;
	UT_ASSERT(r.mr[0] >= 0x400000 && r.mr[0] < 0x500000);     /* pc in its text */
	UT_EQ(r.mr[2] & 0x3c, 0x04);                                /* translation fault */
}

static void test_write_to_read_only(struct utest *t)
{
	struct msg r;

	/* The worker's text is mapped read-execute. */
	expect_fault(t, WK_WRITE, 0x400000, FAULT_DATA, 0x400000, &r);
	if (t->failed)
		return;
	UT_EQ(r.mr[2] & 0x3c, 0x0c);                                /* permission fault */
	UT_ASSERT(r.mr[2] & (1u << 11));                            /* on a write */
}

static void test_prefetch_abort(struct utest *t)
{
	struct msg r;

	expect_fault(t, WK_JUMP, 0x6000, FAULT_PREFETCH, 0x6000, &r);
	if (t->failed)
		return;
	UT_EQ(r.mr[0], 0x6000);
}

static void test_undefined_instruction(struct utest *t)
{
	struct msg r;

	expect_fault(t, WK_UNDEF, 0, FAULT_UNDEF, 0, &r);
	if (t->failed)
		return;
	UT_EQ(r.mr[3], 0xe7f000f0);
}

static void test_unknown_syscall(struct utest *t)
{
	struct msg r;

	expect_fault(t, WK_BADSYS, 999, FAULT_SYSCALL, 0, &r);
	if (t->failed)
		return;
	UT_EQ(r.mr[3], 999);
}

static void test_no_fault_endpoint_stops_thread(struct utest *t)
{
	struct worker w3;
	struct thread_info ti;
	struct msg m = { MSG_INFO(WK_UNDEF, 0, 0), { 0 }, 0 }, p;

	if (!setup(t))
		return;
	UT_EQ(worker_new(&w3, false), 0);
	UT_EQ(sys_send(w3.cmd, &m), 0);         /* it runs at once (higher priority) */
	UT_EQ(sys_thread_info(w3.p.thread, &ti), 0);
	UT_EQ(ti.state, TS_FAULTED);
	UT_EQ(ti.fault_kind, FAULT_UNDEF);
	UT_EQ(worker_cmd(&w2, WK_PING, 9, 0, 0, &p), 0);
	UT_EQ(p.mr[0], 10);
	worker_free(&w3);
}

static const struct utest_case cases[] = {
	UT_CASE(test_data_abort),
	UT_CASE(test_write_to_read_only),
	UT_CASE(test_prefetch_abort),
	UT_CASE(test_undefined_instruction),
	UT_CASE(test_unknown_syscall),
	UT_CASE(test_no_fault_endpoint_stops_thread),
};

static const struct utest_suite suite_faults = {
	.name = "faults",
	.cases = cases,
	.ncases = sizeof(cases) / sizeof(cases[0]),
	.beside_servers = true,
};
UTEST_REGISTER(suite_faults, 20);
