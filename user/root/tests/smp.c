/*
 * smp: threads on every CPU, as user programs see them. Workers (each a
 * process of its own) are moved to CPUs with SYS_THREAD_SET_CPU and then
 * spin, serve, wait and churn there while the root task, on the boot CPU,
 * checks what the other CPUs did: that they run at the same time as it
 * (threads below its priority make progress while it never blocks), that
 * calls and signals cross CPUs, that a revocation or a suspension on the
 * boot CPU stops a thread running on another one before it returns, and
 * that capability operations on every CPU at once leave the kernel's
 * invariants and the quotas exact.
 *
 * With one CPU every case is skipped (the boots of tools/test run the
 * suite at -smp 1 and at -smp 4).
 */
#include "root.h"

#define SMP_VA 0x80000000u      /* the shared counters page, in root and workers */
#define SMP_MAX 8
#define SMP_WAIT_TICKS 200      /* 2 s: far beyond what any step here takes */

static uint32_t sysinfo(unsigned what, unsigned reg)
{
	struct sysregs r = { { what } };

	return cairn_syscall(SYS_SYSTEM_INFO, &r) ? 0 : r.r[reg];
}

static unsigned cpus(void)
{
	return sysinfo(SYSINFO_CPUS, 1);
}

/* The CPUs running threads other than the caller's, into cpu[]: how many.
 * (Not always 1..n-1: a CPU that did not come up leaves a gap.) */
static unsigned others(unsigned cpu[SMP_MAX])
{
	uint32_t mask = sysinfo(SYSINFO_CPUS, 2), me = sysinfo(SYSINFO_CPUS, 3);
	unsigned n = 0;

	for (unsigned i = 0; i < SMP_MAX; i++)
		if ((mask >> i & 1u) && i != me)
			cpu[n++] = i;
	return n;
}

static uint32_t ticks(void)
{
	return sysinfo(SYSINFO_TICKS, 1);
}

static bool need_cpus(struct utest *t, unsigned n)
{
	if (cpus() >= n)
		return true;
	t->skip = n == 2 ? "one CPU runs threads" : "fewer CPUs run threads";
	return false;
}

/* A page of counters mapped in the root task at SMP_VA; *page is its
 * capability, whose children the workers map. */
static volatile uint32_t *counters(struct utest *t, cptr_t *page)
{
	int err;

	*page = slot_alloc();
	err = sys_mem_alloc(SLOT_ACCOUNT, POOL_ID_DIRECT, 0, CPTR_SELF, *page);
	if (!err)
		err = sys_map(SLOT_VSPACE, *page, SMP_VA, R_READ | R_WRITE, ATTR_DEFAULT);
	if (err) {
		utest_fail(t, __FILE__, __LINE__, "the counters page: error %d", err);
		return NULL;
	}
	return (volatile uint32_t *)SMP_VA;
}

/* UT_ASSERT with a message of its own. */
#define SMP_ASSERT(cond, ...)                                               \
	do {                                                                \
		if (!(cond)) {                                              \
			utest_fail(t, __FILE__, __LINE__, __VA_ARGS__);     \
			return;                                             \
		}                                                           \
	} while (0)

static void counters_free(cptr_t page)
{
	sys_cap_revoke(CPTR_SELF, page);
	sys_unmap(page);
	sys_cap_delete(CPTR_SELF, page);
}

/* A child of `from` (a page capability) mapped in w at SMP_VA. */
static int share(struct worker *w, cptr_t from)
{
	cptr_t c = slot_alloc();
	int err = c ? sys_cap_mint(from, CPTR_SELF, c, R_READ | R_WRITE, 0, 0) : E_NOMEM;

	return err ? err : sys_map(w->p.vspace, c, SMP_VA, R_READ | R_WRITE, ATTR_DEFAULT);
}

/* A worker on CPU cpu at priority prio (below the root's: on one CPU it
 * would never run while the root task does). */
static int worker_on(struct worker *w, unsigned cpu, unsigned prio)
{
	int err = worker_new(w, true);

	if (!err)
		err = sys_thread_set_prio(w->p.thread, prio, SLOT_THREAD);
	if (!err)
		err = sys_thread_set_cpu(w->p.thread, cpu);
	return err;
}

static int go(struct worker *w, unsigned cmd, uint32_t a0, uint32_t a1, uint32_t a2)
{
	struct msg m = { MSG_INFO(cmd, 3, 0), { a0, a1, a2, 0 }, 0 };

	return sys_send(w->cmd, &m);
}

/* Busy-wait, never blocking or yielding, until every counter 1..m has
 * moved past its value in from[] (or the clock says it never will). */
static bool all_moved(volatile uint32_t *ctr, const uint32_t *from, unsigned m)
{
	uint32_t t0 = ticks();

	for (;;) {
		unsigned moved = 0;

		for (unsigned i = 1; i <= m; i++)
			moved += ctr[i] != from[i];
		if (moved == m)
			return true;
		if (ticks() - t0 > SMP_WAIT_TICKS)
			return false;
	}
}

/* Wait (busy) until w's thread is in state `state`, at most SMP_WAIT_TICKS. */
static unsigned wait_state(struct worker *w, unsigned state)
{
	uint32_t t0 = ticks();
	struct thread_info ti = { 0 };

	while (!sys_thread_info(w->p.thread, &ti) && ti.state != state &&
	       ticks() - t0 <= SMP_WAIT_TICKS)
		;
	return ti.state;
}

static void spin_ticks(uint32_t n)
{
	uint32_t t0 = ticks();

	while (ticks() - t0 < n)
		;
}

/* Workers below the root's priority, one per other CPU, spinning on their
 * counters: they run while the root task spins too (it never gives up
 * its CPU), each on its own CPU; suspended from the boot CPU each stops at
 * once, resumed each goes on, destroyed while running each goes away. */
static void test_every_cpu_runs_threads(struct utest *t)
{
	struct worker w[SMP_MAX];
	uint32_t zero[SMP_MAX] = { 0 }, seen[SMP_MAX] = { 0 };
	unsigned cpu[SMP_MAX], m = others(cpu);
	volatile uint32_t *ctr;
	cptr_t page;

	if (!need_cpus(t, 2))
		return;
	if (!(ctr = counters(t, &page)))
		return;
	for (unsigned i = 1; i <= m; i++) {
		struct thread_info ti;

		UT_EQ(worker_on(&w[i], cpu[i - 1], ROOT_PRIO - 1), 0);
		UT_EQ(share(&w[i], page), 0);
		UT_EQ(go(&w[i], WK_SPIN, SMP_VA + 4 * i, 0, 0), 0);
		UT_EQ(sys_thread_info(w[i].p.thread, &ti), 0);
		UT_EQ(ti.cpu, cpu[i - 1]);
	}
	SMP_ASSERT(all_moved(ctr, zero, m), "a worker below the root's priority never ran");
	for (unsigned i = 1; i <= m; i++) {
		struct thread_info ti;

		UT_EQ(sys_thread_info(w[i].p.thread, &ti), 0);
		UT_EQ(ti.state, TS_RUNNABLE);
		UT_EQ(ti.running_on, cpu[i - 1]);
	}
	/* Suspended from here: stopped there before the call returns. */
	for (unsigned i = 1; i <= m; i++) {
		struct thread_info ti;
		struct thread_regs regs;

		UT_EQ(sys_thread_suspend(w[i].p.thread), 0);
		seen[i] = ctr[i];
		UT_EQ(sys_thread_info(w[i].p.thread, &ti), 0);
		UT_EQ(ti.state, TS_INACTIVE);
		UT_EQ(ti.running_on, 0xff);
		UT_EQ(sys_thread_get_regs(w[i].p.thread, &regs), 0);
		UT_ASSERT(regs.pc >= 0x400000 && regs.pc < 0x500000);       /* in its text */
	}
	spin_ticks(3);
	for (unsigned i = 1; i <= m; i++)
		UT_EQ(ctr[i], seen[i]);
	for (unsigned i = 1; i <= m; i++)
		UT_EQ(sys_thread_resume(w[i].p.thread), 0);
	SMP_ASSERT(all_moved(ctr, seen, m), "a resumed worker did not go on");
	for (unsigned i = 1; i <= m; i++)
		worker_free(&w[i]);
	counters_free(page);
}

/* Calls from the boot CPU to a server on each other CPU, and from a client
 * on CPU 1 to a server on the last CPU: every reply right, in order. */
static void test_calls_cross_cpus(struct utest *t)
{
	struct worker srv[SMP_MAX], cli;
	cptr_t ep[SMP_MAX];
	unsigned cpu[SMP_MAX], m = others(cpu);
	uint32_t ipis = sysinfo(SYSINFO_CPUS, 4);

	if (!need_cpus(t, 2))
		return;
	for (unsigned i = 1; i <= m; i++) {
		struct msg serve = { MSG_INFO(WK_SERVE, 1, 0), { WK_FIRST_FREE, 0, 0, 0 }, 0 };

		ep[i] = slot_alloc();
		UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, ep[i], 0), 0);
		UT_EQ(worker_on(&srv[i], cpu[i - 1], WORKER_PRIO), 0);
		UT_EQ(sys_cap_mint(ep[i], srv[i].p.cspace, WK_FIRST_FREE, R_READ, 0, 0), 0);
		UT_EQ(sys_send(srv[i].cmd, &serve), 0);
	}
	for (unsigned k = 0; k < 200 && !t->failed; k++) {
		unsigned i = 1 + k % m;
		struct msg q = { MSG_INFO(1, 1, 0), { k, 0, 0, 0 }, 0 };

		UT_EQ(sys_call(ep[i], &q), 0);
		UT_EQ(q.mr[0], k + 1);
	}
	SMP_ASSERT(sysinfo(SYSINFO_CPUS, 4) - ipis >= 200, "calls to other CPUs without "
		      "reschedule interrupts (%u)", (unsigned)(sysinfo(SYSINFO_CPUS, 4) - ipis));
	/* The first other CPU calls the server of the last (itself with
	 * two CPUs). */
	{
		struct msg r;

		UT_EQ(worker_on(&cli, cpu[0], WORKER_PRIO), 0);
		UT_EQ(sys_cap_mint(ep[m], cli.p.cspace, WK_FIRST_FREE, R_WRITE, 0, 0), 0);
		UT_EQ(worker_cmd(&cli, WK_CALL, WK_FIRST_FREE, 0, 0, &r), 0);
		UT_EQ(r.mr[0], 0);
		worker_free(&cli);
	}
	for (unsigned i = 1; i <= m; i++) {
		struct thread_info ti;

		UT_EQ(sys_thread_info(srv[i].p.thread, &ti), 0);
		UT_EQ(ti.cpu, cpu[i - 1]);
		worker_free(&srv[i]);
		sys_cap_delete(CPTR_SELF, ep[i]);
	}
}

/* A client and its server on each other CPU, all pairs at once: every
 * reply right, and most of each CPU's calls and reply-receives taken with
 * the kernel lock shared -- the pairs do not wait for each other (with the
 * lock only held alone, no call would count). The root task waits for
 * the reports blocked, so that its own calls do not take the lock meanwhile. */
#define SMP_PAIR_CALLS 2000

static void test_same_cpu_pairs_beside_each_other(struct utest *t)
{
	struct worker srv[SMP_MAX], cli[SMP_MAX];
	cptr_t ep[SMP_MAX];
	unsigned cpu[SMP_MAX], m = others(cpu);

	if (!need_cpus(t, 2))
		return;
	for (unsigned i = 1; i <= m; i++) {
		struct msg serve = { MSG_INFO(WK_SERVE, 1, 0), { WK_FIRST_FREE, 0, 0, 0 }, 0 };

		ep[i] = slot_alloc();
		UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, ep[i], 0), 0);
		UT_EQ(worker_on(&srv[i], cpu[i - 1], WORKER_PRIO), 0);
		UT_EQ(worker_on(&cli[i], cpu[i - 1], WORKER_PRIO), 0);
		UT_EQ(sys_cap_mint(ep[i], srv[i].p.cspace, WK_FIRST_FREE, R_READ, 0, 0), 0);
		UT_EQ(sys_cap_mint(ep[i], cli[i].p.cspace, WK_FIRST_FREE, R_WRITE, 0, 0), 0);
		UT_EQ(sys_send(srv[i].cmd, &serve), 0);
	}
	for (unsigned i = 1; i <= m; i++)
		UT_EQ(go(&cli[i], WK_CALLS, WK_FIRST_FREE, SMP_PAIR_CALLS, 0), 0);
	for (unsigned i = 1; i <= m; i++) {
		struct msg r;

		UT_EQ(sys_recv(cli[i].report, &r), 0);
		UT_EQ(r.badge, WK_BADGE_REPORT);
		SMP_ASSERT(r.mr[0] == 0, "CPU %u: %u wrong replies (or error %d)", cpu[i - 1],
			   (unsigned)r.mr[0], (int)r.mr[0]);
		UT_EQ(r.mr[2], cpu[i - 1]);
		SMP_ASSERT(r.mr[1] >= SMP_PAIR_CALLS, "CPU %u: %u of %u calls and reply-receives "
			   "with the lock shared", cpu[i - 1], (unsigned)r.mr[1],
			   2 * SMP_PAIR_CALLS);
	}
	for (unsigned i = 1; i <= m; i++) {
		worker_free(&cli[i]);
		worker_free(&srv[i]);
		sys_cap_delete(CPTR_SELF, ep[i]);
	}
}

/* A revoke of 100,000 descendants on this CPU while a client/server pair
 * on every other CPU calls in a loop: the revoke stays preemptible (the
 * kernel lock is given up at each preemption point) and every pair goes
 * on being served while it runs. */
#define SMP_BIG_N 100000u
#define SMP_BESIDE_CALLS 200000u        /* more than a pair makes before the revoke ends */

static void test_revoke_100k_beside_ipc(struct utest *t)
{
	struct worker srv[SMP_MAX], cli[SMP_MAX];
	cptr_t ep[SMP_MAX], page, cs = slot_alloc(), n = slot_alloc(), x = slot_alloc(),
	      mine = slot_alloc();
	unsigned cpu[SMP_MAX], m = others(cpu);
	uint32_t before[SMP_MAX] = { 0 }, during[SMP_MAX], heap_limit, heap_used, pre0, pre1;
	volatile uint32_t *ctr;

	if (!need_cpus(t, 2))
		return;
	/* 100,000 capabilities need about 4.3 MB of kernel heap. */
	UT_EQ(sys_quota_info(SLOT_ACCOUNT, POOL_ID_KHEAP, &heap_limit, &heap_used, NULL), 0);
	if (heap_limit - heap_used < 5u << 20) {
		t->skip = "kernel heap quota below 5 MiB (RAM too small)";
		return;
	}
	if (!(ctr = counters(t, &page)))
		return;
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_CSPACE, CPTR_SELF, cs, 1u << 17), 0);
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, n, 0), 0);
	UT_EQ(sys_cap_copy(n, CPTR_SELF, x), 0);
	UT_EQ(sys_cap_copy(x, CPTR_SELF, mine), 0);
	for (uint32_t i = 1; i < SMP_BIG_N; i++) {
		int err = sys_cap_copy(x, cs, i);

		SMP_ASSERT(!err, "copy %u: %d", (unsigned)i, err);
	}
	for (unsigned i = 1; i <= m; i++) {
		struct msg serve = { MSG_INFO(WK_SERVE, 1, 0), { WK_FIRST_FREE, 0, 0, 0 }, 0 };

		ep[i] = slot_alloc();
		UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, ep[i], 0), 0);
		UT_EQ(worker_on(&srv[i], cpu[i - 1], WORKER_PRIO), 0);
		UT_EQ(worker_on(&cli[i], cpu[i - 1], WORKER_PRIO), 0);
		UT_EQ(share(&cli[i], page), 0);
		UT_EQ(sys_cap_mint(ep[i], srv[i].p.cspace, WK_FIRST_FREE, R_READ, 0, 0), 0);
		UT_EQ(sys_cap_mint(ep[i], cli[i].p.cspace, WK_FIRST_FREE, R_WRITE, 0, 0), 0);
		UT_EQ(sys_send(srv[i].cmd, &serve), 0);
		UT_EQ(go(&cli[i], WK_CALL_COUNT, WK_FIRST_FREE, SMP_VA + 4 * i, SMP_BESIDE_CALLS), 0);
	}
	SMP_ASSERT(all_moved(ctr, before, m), "a pair never got a reply");
	for (unsigned i = 1; i <= m; i++)
		before[i] = ctr[i];
	pre0 = sysinfo(SYSINFO_PREEMPTIONS, 2);
	UT_EQ(sys_cap_revoke(CPTR_SELF, x), 0);
	pre1 = sysinfo(SYSINFO_PREEMPTIONS, 2);
	for (unsigned i = 1; i <= m; i++)
		during[i] = ctr[i] - before[i];
	for (unsigned i = 1; i <= m; i++) {
		struct msg r;

		UT_EQ(sys_recv(cli[i].report, &r), 0);
		UT_EQ(r.mr[0], 0);              /* every reply right */
		UT_EQ(ctr[i], SMP_BESIDE_CALLS);
	}
	for (unsigned i = 1; i <= m; i++) {
		worker_free(&cli[i]);
		worker_free(&srv[i]);
		sys_cap_delete(CPTR_SELF, ep[i]);
	}
	UT_EQ(sys_cap_inspect(mine, NULL), E_NOCAP);     /* the descendants are gone */
	UT_EQ(sys_cap_delete(CPTR_SELF, cs), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, x), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, n), 0);
	counters_free(page);
	for (unsigned i = 1; i <= m; i++)
		uprintf("    # revoke of %u (%u preemptions for the lock): CPU %u's pair served %u "
			"calls meanwhile\n",
			SMP_BIG_N, (unsigned)(pre1 - pre0), cpu[i - 1], (unsigned)during[i]);
	/* The revoke gave the lock up whenever another CPU waited for it, and
	 * each pair that still had calls to make when it began made some of
	 * them before it returned. Nothing to see when no CPU ever waited:
	 * an emulator running the CPUs in turn may run the whole revoke in
	 * one turn (the several-CPU boot without instruction counting
	 * requires this case to pass, not to be skipped). */
	if (pre1 == pre0) {
		t->skip = "no CPU waited for the kernel lock during the revoke (CPUs run in turn)";
		return;
	}
	for (unsigned i = 1; i <= m; i++)
		SMP_ASSERT(before[i] == SMP_BESIDE_CALLS || during[i] > 0,
			   "CPU %u's pair was not served during the revoke", cpu[i - 1]);
}

/* A thread waiting on another CPU: woken by a signal from this one, and
 * cancelled (E_CANCELLED) when the endpoint it waits on goes. */
static void test_wakeups_cross_cpus(struct utest *t)
{
	struct worker w;
	cptr_t n = slot_alloc(), acct = slot_alloc(), ep = slot_alloc();
	struct msg m = { MSG_INFO(WK_RECV, 1, 0), { WK_FIRST_FREE, 0, 0, 0 }, 0 }, r;
	struct thread_info ti;
	unsigned cpu[SMP_MAX], last = others(cpu) ? cpu[others(cpu) - 1] : 0;

	if (!need_cpus(t, 2))
		return;
	UT_EQ(worker_on(&w, last, WORKER_PRIO), 0);
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, n, 0), 0);
	UT_EQ(sys_cap_mint(n, w.p.cspace, WK_FIRST_FREE, R_READ, 0, 0), 0);
	UT_EQ(sys_send(w.cmd, &m), 0);
	UT_EQ(wait_state(&w, TS_BLOCKED_NTFN), TS_BLOCKED_NTFN);
	UT_EQ(sys_signal(n), 0);
	UT_EQ(sys_recv(w.report, &r), 0);
	UT_EQ(r.badge, WK_BADGE_REPORT);
	UT_EQ(r.mr[0], 0);
	/* Blocked on an endpoint there; the endpoint goes with its account. */
	UT_EQ(sys_quota_carve(SLOT_ACCOUNT, CPTR_SELF, acct, 0, 0, 0, 4096), 0);
	UT_EQ(sys_obj_create(acct, CAP_ENDPOINT, CPTR_SELF, ep, 0), 0);
	UT_EQ(sys_cap_mint(ep, w.p.cspace, WK_FIRST_FREE + 1, R_READ, 0, 0), 0);
	m.mr[0] = WK_FIRST_FREE + 1;
	UT_EQ(sys_send(w.cmd, &m), 0);
	UT_EQ(wait_state(&w, TS_BLOCKED_RECV), TS_BLOCKED_RECV);
	UT_EQ(sys_thread_info(w.p.thread, &ti), 0);
	UT_EQ(ti.cpu, last);
	UT_EQ(sys_cap_revoke(CPTR_SELF, acct), 0);
	UT_EQ(sys_recv(w.report, &r), 0);
	UT_EQ((int)r.mr[0], E_CANCELLED);
	UT_EQ(sys_cap_delete(CPTR_SELF, acct), 0);
	worker_free(&w);
	sys_cap_delete(CPTR_SELF, n);
}

/* Threads on every other CPU write a shared page in a loop; the root task
 * revokes their mappings' parent. When the revoke returns none of them can
 * write any more: each faults on its next access (at its counter), and no
 * counter moves after the revoke returned. The root's own mapping (a
 * sibling) stays. */
static void test_revoke_stops_every_cpu(struct utest *t)
{
	struct worker w[SMP_MAX];
	uint32_t zero[SMP_MAX] = { 0 }, after[SMP_MAX] = { 0 };
	unsigned cpu[SMP_MAX], m = others(cpu);
	volatile uint32_t *ctr;
	cptr_t page, mid = slot_alloc();

	if (!need_cpus(t, 2))
		return;
	if (!(ctr = counters(t, &page)))
		return;
	UT_EQ(sys_cap_mint(page, CPTR_SELF, mid, R_READ | R_WRITE, 0, 0), 0);
	for (unsigned i = 1; i <= m; i++) {
		UT_EQ(worker_on(&w[i], cpu[i - 1], ROOT_PRIO - 1), 0);
		UT_EQ(share(&w[i], mid), 0);
		UT_EQ(go(&w[i], WK_SPIN, SMP_VA + 4 * i, 0, 0), 0);
	}
	SMP_ASSERT(all_moved(ctr, zero, m), "a worker never ran");
	UT_EQ(sys_cap_revoke(CPTR_SELF, mid), 0);
	for (unsigned i = 1; i <= m; i++)
		after[i] = ctr[i];
	for (unsigned i = 1; i <= m; i++) {
		struct msg r;

		UT_EQ(sys_recv(w[i].report, &r), 0);
		UT_EQ(r.badge, WK_BADGE_FAULT);
		UT_EQ(MSG_LABEL(r.info), FAULT_LABEL_BASE + FAULT_DATA);
		UT_EQ(r.mr[1], SMP_VA + 4 * i);
	}
	spin_ticks(3);
	for (unsigned i = 1; i <= m; i++) {
		UT_EQ(ctr[i], after[i]);
		UT_ASSERT(after[i] > 0);
	}
	ctr[0] = 1;                     /* the root's own mapping is untouched */
	UT_EQ(ctr[0], 1);
	for (unsigned i = 1; i <= m; i++)
		worker_free(&w[i]);
	sys_cap_delete(CPTR_SELF, mid);
	counters_free(page);
}

/* Every other CPU creates, copies, revokes and deletes capabilities in its
 * own CSpace in a loop, paid from an account of its own, while the root
 * task runs the kernel's invariant walkers: clean every time; afterwards
 * every account is empty and the root's figures are back. */
static void test_capability_churn_on_every_cpu(struct utest *t)
{
	struct worker w[SMP_MAX];
	cptr_t acct[SMP_MAX];
	uint32_t zero[SMP_MAX] = { 0 }, used0, used1, carved0, carved1, limit;
	unsigned cpu[SMP_MAX], m = others(cpu);
	volatile uint32_t *ctr;
	cptr_t page;

	if (!need_cpus(t, 2))
		return;
	UT_EQ(sys_quota_info(SLOT_ACCOUNT, POOL_ID_KHEAP, &limit, &used0, &carved0), 0);
	if (!(ctr = counters(t, &page)))
		return;
	for (unsigned i = 1; i <= m; i++) {
		acct[i] = slot_alloc();
		UT_EQ(sys_quota_carve(SLOT_ACCOUNT, CPTR_SELF, acct[i], 0, 0, 0, 64 * 1024), 0);
		UT_EQ(worker_on(&w[i], cpu[i - 1], ROOT_PRIO - 1), 0);
		UT_EQ(sys_cap_copy(acct[i], w[i].p.cspace, WK_ACCOUNT), 0);
		UT_EQ(share(&w[i], page), 0);
		UT_EQ(go(&w[i], WK_CHURN, WK_FIRST_FREE, 32, SMP_VA + 4 * i), 0);
	}
	for (unsigned k = 0; k < 20 && !t->failed; k++) {
		uint32_t walkers = 0, items = 0;
		char name[17];

		UT_EQ(sys_kcheck(SLOT_SYSTEM, &walkers, &items, name), 0);
	}
	SMP_ASSERT(all_moved(ctr, zero, m), "a churning worker made no round");
	for (unsigned i = 1; i <= m; i++) {
		worker_free(&w[i]);
		UT_EQ(sys_cap_revoke(CPTR_SELF, acct[i]), 0);
		{
			uint32_t lim, used, carved;

			UT_EQ(sys_quota_info(acct[i], POOL_ID_KHEAP, &lim, &used, &carved), 0);
			UT_EQ(used, 0);
		}
		UT_EQ(sys_cap_delete(CPTR_SELF, acct[i]), 0);
	}
	counters_free(page);
	UT_EQ(sys_kcheck(SLOT_SYSTEM, NULL, NULL, NULL), 0);
	UT_EQ(sys_quota_info(SLOT_ACCOUNT, POOL_ID_KHEAP, &limit, &used1, &carved1), 0);
	UT_EQ(carved1, carved0);
}

/* SYS_THREAD_SET_CPU's errors: no such CPU, a thread capability that
 * cannot write, something else than a thread. */
static void test_set_cpu_errors(struct utest *t)
{
	cptr_t ro = slot_alloc();

	UT_EQ(sys_thread_set_cpu(SLOT_THREAD, 8), E_RANGE);
	UT_EQ(sys_thread_set_cpu(SLOT_THREAD, 0xffffffffu), E_RANGE);
	{
		uint32_t mask = sysinfo(SYSINFO_CPUS, 2);
		unsigned absent = 0;

		while (absent < SMP_MAX && (mask >> absent & 1u))
			absent++;
		UT_EQ(sys_thread_set_cpu(SLOT_THREAD, absent), E_RANGE);  /* none, or one not up */
	}
	UT_EQ(sys_thread_set_cpu(SLOT_VSPACE, 0), E_TYPE);
	UT_EQ(sys_cap_mint(SLOT_THREAD, CPTR_SELF, ro, R_READ, 0, 0), 0);
	UT_EQ(sys_thread_set_cpu(ro, 0), E_PERM);
	UT_EQ(sys_thread_set_cpu(SLOT_THREAD, sysinfo(SYSINFO_CPUS, 3)), 0);   /* where it is */
	sys_cap_delete(CPTR_SELF, ro);
}

static const struct utest_case cases[] = {
	UT_CASE(test_set_cpu_errors),
	UT_CASE(test_every_cpu_runs_threads),
	UT_CASE(test_calls_cross_cpus),
	UT_CASE(test_same_cpu_pairs_beside_each_other),
	UT_CASE(test_wakeups_cross_cpus),
	UT_CASE(test_revoke_stops_every_cpu),
	UT_CASE(test_revoke_100k_beside_ipc),
	UT_CASE(test_capability_churn_on_every_cpu),
};

static const struct utest_suite suite_smp = {
	.name = "smp",
	.cases = cases,
	.ncases = sizeof(cases) / sizeof(cases[0]),
};
UTEST_REGISTER(suite_smp, 13);
