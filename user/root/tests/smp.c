/*
 * smp: threads on every CPU, as user programs see them. Workers (each a
 * process of its own) are moved to CPUs with SYS_THREAD_SET_CPU and then
 * spin, serve, wait and churn there while the root task, on the boot CPU,
 * checks what the other CPUs did: that they run at the same time as it
 * (threads below its priority make progress while it never blocks), that
 * calls and signals between threads of one CPU run beside those of the
 * others without taking the kernel lock alone, that calls and signals
 * cross CPUs, that a revocation or a suspension on the
 * boot CPU stops a thread running on another one before it returns, that
 * a device's interrupt goes to the CPU of the driver that bound it, and
 * that capability operations and the object and memory allocators used
 * on every CPU at once leave the kernel's invariants and the quotas exact.
 *
 * With one CPU every case is skipped (the boots of tools/test run the
 * suite at -smp 1 and at -smp 4).
 */
#include "root.h"

#define SMP_VA 0x80000000u      /* the shared counters page, in root and workers */
#define SMP_MAX 8
#define SMP_WAIT_TICKS 200      /* 2 s: far beyond what any step here takes */

static unsigned cpus(void)
{
	return sysinfo(SYSINFO_CPUS, 1);
}

/* The CPUs running threads other than the caller's, into cpu[]: how many.
 * (Not always 1..n-1: a CPU that did not come up leaves a gap.) */
static unsigned others(unsigned cpu[SMP_MAX])
{
	return cpus_running(cpu, sysinfo(SYSINFO_CPUS, 3));
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

/* A case that needs another CPU and the counters page: NULL when it is
 * skipped or failed. */
static volatile uint32_t *smp_counters(struct utest *t, cptr_t *page)
{
	return need_cpus(t, 2) ? counters(t, page) : NULL;
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

/* On each CPU cpu[i - 1], i = 1..m: a server srv[i] serving a new
 * endpoint ep[i] (worker_serve_on) and, when cli is not NULL, a client
 * cli[i] holding it to call (at WK_FIRST_FREE). 0 or the first error. */
static int serve_on_every_cpu(struct worker *srv, struct worker *cli, cptr_t *ep,
			      const unsigned *cpu, unsigned m)
{
	int err = 0;

	for (unsigned i = 1; i <= m && !err; i++) {
		err = worker_serve_on(&srv[i], cpu[i - 1], &ep[i]);
		if (!err && cli)
			err = worker_on_cpu(&cli[i], cpu[i - 1], WORKER_PRIO);
		if (!err && cli)
			err = sys_cap_mint(ep[i], cli[i].p.cspace, WK_FIRST_FREE, R_WRITE, 0, 0);
	}
	return err;
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

/* The kernel's invariant walkers: true when clean; otherwise t fails,
 * naming the step (what, k) and the walker that was not. */
static bool walkers_clean(struct utest *t, const char *what, unsigned k)
{
	uint32_t walkers = 0, items = 0;
	char name[17];
	int err = sys_kcheck(SLOT_SYSTEM, &walkers, &items, name);

	if (err)
		utest_fail(t, __FILE__, __LINE__, "%s %u: kcheck %d, walker %u (%s)", what, k, err,
			   (unsigned)walkers, name);
	return !err;
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

	if (!(ctr = smp_counters(t, &page)))
		return;
	for (unsigned i = 1; i <= m; i++) {
		struct thread_info ti;

		UT_EQ(worker_on_cpu(&w[i], cpu[i - 1], ROOT_PRIO - 1), 0);
		UT_EQ(worker_share(&w[i], page, SMP_VA), 0);
		UT_EQ(worker_send(&w[i], WK_SPIN, SMP_VA + 4 * i, 0, 0, 0), 0);
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

/* A thread on each other CPU waiting in user mode with WFE (a WK_PINGPONG
 * client whose partners never come): suspended from the boot CPU, each
 * stops before the call returns, as a spinning one does (the interrupt
 * that stops it also ends its WFE); resumed, it waits again; then freed. */
static void test_suspend_thread_in_wfe(struct utest *t)
{
	struct worker w[SMP_MAX];
	unsigned cpu[SMP_MAX], m = others(cpu);
	volatile uint32_t *ctr;
	struct wk_race *race;
	cptr_t page;

	if (!(ctr = smp_counters(t, &page)))
		return;
	race = (struct wk_race *)(uintptr_t)(SMP_VA + 256);
	race->arrived = 0;
	race->clients = m + 1;          /* one more than ever arrive */
	for (unsigned i = 1; i <= m; i++) {
		UT_EQ(worker_on_cpu(&w[i], cpu[i - 1], WORKER_PRIO), 0);
		UT_EQ(worker_share(&w[i], page, SMP_VA), 0);
		UT_EQ(worker_send(&w[i], WK_PINGPONG, CPTR_NULL, 1, SMP_VA + 256, i - 1), 0);
	}
	{
		uint32_t t0 = ticks();

		while (race->arrived < m && ticks() - t0 <= SMP_WAIT_TICKS)
			;
	}
	SMP_ASSERT(race->arrived == m, "%u of %u waiters arrived", (unsigned)race->arrived, m);
	for (unsigned i = 1; i <= m; i++) {
		struct thread_info ti;
		struct thread_regs regs;

		UT_EQ(sys_thread_suspend(w[i].p.thread), 0);
		UT_EQ(sys_thread_info(w[i].p.thread, &ti), 0);
		UT_EQ(ti.state, TS_INACTIVE);
		UT_EQ(ti.running_on, 0xff);
		UT_EQ(sys_thread_get_regs(w[i].p.thread, &regs), 0);
		UT_ASSERT(regs.pc >= 0x400000 && regs.pc < 0x500000);       /* in its text */
		UT_EQ(sys_thread_resume(w[i].p.thread), 0);
	}
	for (unsigned i = 1; i <= m; i++) {
		struct thread_info ti;

		UT_EQ(sys_thread_info(w[i].p.thread, &ti), 0);
		UT_EQ(ti.state, TS_RUNNABLE);
		worker_free(&w[i]);
	}
	counters_free(page);
}

/* Registers set from the boot CPU while a thread on another one enters a
 * system call: it signals a notification in a loop, and the root's own
 * calls keep the kernel lock taken, so that the entry often waits for
 * it when THREAD_SET_REGS stops the thread. The call it was entering is
 * not made with the registers set (r0 names a second notification, which
 * must never get a signal) and the thread goes on from the pc set (each
 * entry stores its r1 where the root sees it), every time. */
#define REENTRIES 200

static void test_registers_set_while_entering_a_call(struct utest *t)
{
	struct worker w;
	cptr_t n1 = slot_alloc(), n2 = slot_alloc(), page;
	unsigned cpu[SMP_MAX];
	volatile uint32_t *ctr;
	uint32_t bits = 0;
	struct msg r;

	if (!need_cpus(t, 2))
		return;
	others(cpu);
	if (!(ctr = counters(t, &page)))
		return;
	ctr[1] = 0xffffffffu;
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, n1, 0), 0);
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, n2, 0), 0);
	UT_EQ(worker_on_cpu(&w, cpu[0], WORKER_PRIO), 0);
	UT_EQ(worker_share(&w, page, SMP_VA), 0);
	UT_EQ(sys_cap_mint(n1, w.p.cspace, WK_FIRST_FREE, R_WRITE, 1, 0), 0);
	UT_EQ(sys_cap_mint(n2, w.p.cspace, WK_FIRST_FREE + 1, R_WRITE, 2, 0), 0);
	UT_EQ(worker_cmd(&w, WK_REENTRY, SMP_VA + 4, WK_FIRST_FREE, 0, &r), 0);
	UT_EQ(sys_wait(n1, &bits), 0);                  /* signalling */
	UT_EQ(bits, 1);
	/* (a failure breaks out: the worker and the page go either way) */
	for (uint32_t k = 1; k <= REENTRIES && !t->failed; k++) {
		uint32_t t0 = ticks();
		int err = sys_thread_set_regs(w.p.thread, r.mr[0], r.mr[1], WK_FIRST_FREE + 1, k);

		while (!err && ctr[1] != k && ticks() - t0 <= SMP_WAIT_TICKS)
			;
		if (err || ctr[1] != k)
			utest_fail(t, __FILE__, __LINE__, "entry %u: error %d, or the thread never "
				   "ran from the pc set (%u)", (unsigned)k, err, (unsigned)ctr[1]);
		else if (sys_poll(n2, &bits) != E_AGAIN)
			utest_fail(t, __FILE__, __LINE__, "entry %u: the call being entered was "
				   "made with the registers set (bits 0x%x)", (unsigned)k,
				   (unsigned)bits);
	}
	if (!t->failed && sys_poll(n1, &bits) != 0)
		utest_fail(t, __FILE__, __LINE__, "the thread no longer signals");
	worker_free(&w);
	UT_EQ(sys_cap_delete(CPTR_SELF, n1), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, n2), 0);
	counters_free(page);
}

/* A thread moved between two other CPUs while it yields in a loop beside
 * a spinner of its priority (so that each yield switches, on the yield
 * fast path): it runs where it was last sent and, every time, it is on
 * the ready queue of its own CPU only (the invariant walkers). */
#define MOVES 100

static void test_thread_moved_while_yielding(struct utest *t)
{
	struct worker y, s;
	unsigned cpu[SMP_MAX];
	uint32_t zero[SMP_MAX] = { 0 };
	volatile uint32_t *ctr;
	cptr_t page;

	if (!need_cpus(t, 3))
		return;
	others(cpu);
	if (!(ctr = counters(t, &page)))
		return;
	UT_EQ(worker_on_cpu(&s, cpu[0], WORKER_PRIO), 0);
	UT_EQ(worker_share(&s, page, SMP_VA), 0);
	UT_EQ(worker_send(&s, WK_SPIN, SMP_VA + 4, 0, 0, 0), 0);
	UT_EQ(worker_on_cpu(&y, cpu[0], WORKER_PRIO), 0);
	UT_EQ(worker_send(&y, WK_YIELD, 0, 0, 0, 0), 0);
	SMP_ASSERT(all_moved(ctr, zero, 1), "the spinner never ran");
	for (unsigned k = 0; k < MOVES && !t->failed; k++) {
		struct thread_info ti;

		UT_EQ(sys_thread_set_cpu(y.p.thread, cpu[1 - k % 2]), 0);
		if (!walkers_clean(t, "move", k))
			return;
		UT_EQ(sys_thread_info(y.p.thread, &ti), 0);
		UT_EQ(ti.cpu, cpu[1 - k % 2]);
		UT_EQ(ti.state, TS_RUNNABLE);
	}
	worker_free(&y);
	worker_free(&s);
	UT_EQ(sys_kcheck(SLOT_SYSTEM, NULL, NULL, NULL), 0);
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
	UT_EQ(serve_on_every_cpu(srv, NULL, ep, cpu, m), 0);
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

		UT_EQ(worker_on_cpu(&cli, cpu[0], WORKER_PRIO), 0);
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
 * reply right, and most of each CPU's calls and reply-receives taken
 * without taking the kernel lock alone (a ticket) -- with the lock shared,
 * or kept by a CPU alone while the others idle: the pairs do not wait for
 * each other (with the lock only held alone, every one would take it).
 * The root task waits for the reports blocked, so that its own calls do
 * not take the lock meanwhile. */
#define SMP_PAIR_CALLS 2000

static void test_same_cpu_pairs_beside_each_other(struct utest *t)
{
	struct worker srv[SMP_MAX], cli[SMP_MAX];
	cptr_t ep[SMP_MAX];
	unsigned cpu[SMP_MAX], m = others(cpu);

	if (!need_cpus(t, 2))
		return;
	UT_EQ(serve_on_every_cpu(srv, cli, ep, cpu, m), 0);
	for (unsigned i = 1; i <= m; i++)
		UT_EQ(worker_send(&cli[i], WK_CALLS, WK_FIRST_FREE, SMP_PAIR_CALLS, 0, 0), 0);
	for (unsigned i = 1; i <= m; i++) {
		struct msg r;

		UT_EQ(sys_recv(cli[i].report, &r), 0);
		UT_EQ(r.badge, WK_BADGE_REPORT);
		SMP_ASSERT(r.mr[0] == 0, "CPU %u: %u wrong replies (or error %d)", cpu[i - 1],
			   (unsigned)r.mr[0], (int)r.mr[0]);
		UT_EQ(r.mr[2], cpu[i - 1]);
		SMP_ASSERT(r.mr[1] <= SMP_PAIR_CALLS, "CPU %u: the kernel lock taken alone %u "
			   "times in %u calls and reply-receives", cpu[i - 1], (unsigned)r.mr[1],
			   2 * SMP_PAIR_CALLS);
	}
	for (unsigned i = 1; i <= m; i++) {
		worker_free(&cli[i]);
		worker_free(&srv[i]);
		sys_cap_delete(CPTR_SELF, ep[i]);
	}
}

/* Signal and wait between two threads of one CPU, on every other CPU at
 * once: a signaller and, above it, a waiter woken by each signal (so the
 * CPU changes hands at every signal and every wait), with the kernel
 * lock shared as for the IPC pairs above: each waiter counts exactly the
 * signals of its CPU, and each CPU takes the lock alone for at most half
 * of its signals and waits (held alone only, it takes it for every one;
 * with 2 CPUs the one pair runs on a CPU alone). */
#define SMP_SIGNALS 2000

static void test_same_cpu_signals_beside_each_other(struct utest *t)
{
	struct worker waiter[SMP_MAX], sig[SMP_MAX];
	cptr_t n[SMP_MAX];
	unsigned cpu[SMP_MAX], m = others(cpu);
	volatile uint32_t *ctr;
	cptr_t page;

	if (!(ctr = smp_counters(t, &page)))
		return;
	for (unsigned i = 1; i <= m; i++) {
		n[i] = slot_alloc();
		UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, n[i], 0), 0);
		UT_EQ(worker_on_cpu(&waiter[i], cpu[i - 1], WORKER_PRIO + 1), 0);
		UT_EQ(worker_share(&waiter[i], page, SMP_VA), 0);
		UT_EQ(sys_cap_mint(n[i], waiter[i].p.cspace, WK_FIRST_FREE, R_READ, 0, 0), 0);
		UT_EQ(worker_on_cpu(&sig[i], cpu[i - 1], WORKER_PRIO), 0);
		UT_EQ(sys_cap_mint(n[i], sig[i].p.cspace, WK_FIRST_FREE, R_WRITE, 0, 0), 0);
		ctr[i] = 0;
		UT_EQ(worker_send(&waiter[i], WK_WAIT_COUNT, WK_FIRST_FREE, SMP_VA + 4 * i, 0, 0), 0);
		UT_EQ(wait_state(&waiter[i], TS_BLOCKED_NTFN), TS_BLOCKED_NTFN);
	}
	for (unsigned i = 1; i <= m; i++)
		UT_EQ(worker_send(&sig[i], WK_SIGNALS, WK_FIRST_FREE, SMP_SIGNALS, 0, 0), 0);
	/* (every report read and every worker freed, failed or not: the
	 * cases after this one need the CPUs idle) */
	for (unsigned i = 1; i <= m; i++) {
		struct msg r = { 0 };
		int err = sys_recv(sig[i].report, &r);

		if (err || r.badge != WK_BADGE_REPORT || r.mr[0] || r.mr[2] != cpu[i - 1])
			utest_fail(t, __FILE__, __LINE__, "CPU %u: report %d, badge %#x, signal "
				   "error %d, from CPU %u", cpu[i - 1], err, (unsigned)r.badge,
				   (int)r.mr[0], (unsigned)r.mr[2]);
		else if (ctr[i] != SMP_SIGNALS)
			utest_fail(t, __FILE__, __LINE__, "CPU %u: the waiter woke %u times for %u "
				   "signals", cpu[i - 1], (unsigned)ctr[i], SMP_SIGNALS);
		else if (r.mr[1] > SMP_SIGNALS)
			utest_fail(t, __FILE__, __LINE__, "CPU %u: the kernel lock taken alone %u "
				   "times in %u signals and waits", cpu[i - 1], (unsigned)r.mr[1],
				   2 * SMP_SIGNALS);
	}
	for (unsigned i = 1; i <= m; i++) {
		worker_free(&waiter[i]);
		worker_free(&sig[i]);
		sys_cap_delete(CPTR_SELF, n[i]);
	}
	counters_free(page);
}

/* A CPU alone (docs/architecture.md): with every other CPU idle, the
 * root's CPU keeps the kernel lock across user mode; a thread made ready
 * on another CPU (resumed) runs there while the root spins in user mode,
 * never entering the kernel: the woken CPU's wish for the lock reaches
 * the root's CPU as the lock interrupt, whose exit gives the lock. Each
 * round waits until this CPU began to keep the lock after the suspension
 * (SYSINFO_LOCK r2), then resumes the spinner and watches its counter;
 * most rounds must have come through the lock interrupt taken here while
 * alone (r3) -- not through this CPU's tick, whose exit gives the lock
 * too, which is not what is tested (a woken CPU that did not ask would
 * wait for it). */
#define SMP_ALONE_ROUNDS 40

static uint32_t lock_info(unsigned reg)
{
	return sysinfo(SYSINFO_LOCK, reg);
}

static bool began_alone(uint32_t since)
{
	uint32_t t0 = ticks();

	while (lock_info(2) == since)
		if (ticks() - t0 > SMP_WAIT_TICKS)
			return false;
	return true;
}

static void test_cpu_alone_gives_way(struct utest *t)
{
	struct worker w;
	unsigned cpu[SMP_MAX], m = others(cpu);
	volatile uint32_t *ctr;
	uint32_t wishes = 0;
	cptr_t page;

	if (!(ctr = smp_counters(t, &page)))
		return;
	UT_EQ(worker_on_cpu(&w, cpu[m - 1], WORKER_PRIO), 0);
	UT_EQ(worker_share(&w, page, SMP_VA), 0);
	UT_EQ(worker_send(&w, WK_SPIN, SMP_VA + 4, 0, 0, 0), 0);
	for (unsigned k = 0; k < SMP_ALONE_ROUNDS; k++) {
		uint32_t solos, seen, w0;
		uint64_t c0, limit = 2ull * cairn_counter_freq();

		UT_EQ(sys_thread_suspend(w.p.thread), 0);
		seen = ctr[1];
		solos = lock_info(2);
		SMP_ASSERT(began_alone(solos), "round %u: this CPU never kept the kernel lock "
			   "with every other CPU idle (%u times before)", k, (unsigned)solos);
		w0 = lock_info(3);
		UT_EQ(sys_thread_resume(w.p.thread), 0);
		c0 = cairn_counter();
		while (ctr[1] == seen && cairn_counter() - c0 < limit)
			;
		SMP_ASSERT(ctr[1] != seen, "round %u: the thread resumed on CPU %u never ran "
			   "while this CPU's thread stayed in user mode", k, cpu[m - 1]);
		wishes += lock_info(3) != w0;
	}
	SMP_ASSERT(wishes >= SMP_ALONE_ROUNDS / 2, "only %u of %u wake-ups came through the "
		   "lock interrupt", (unsigned)wishes, SMP_ALONE_ROUNDS);
	worker_free(&w);
	counters_free(page);
}

/* A revoke of 100,000 descendants on this CPU while a client/server pair
 * on every other CPU calls in a loop: the revoke stays preemptible (the
 * kernel lock is given up at each preemption point) and every pair goes
 * on being served while it runs. */
#define SMP_BIG_N 100000u
#define SMP_BESIDE_CALLS 200000u        /* more than a pair makes before the revoke ends */
#define SMP_BESIDE_TRIES 3

/* One revoke beside the pairs: 1 when each pair that still had calls to
 * make when it began made some before it returned, 0 when one made none,
 * -1 when no CPU ever waited for the lock (or a check failed: t says). */
static int revoke_beside_pairs(struct utest *t, const unsigned *cpu, unsigned m)
{
	struct worker srv[SMP_MAX], cli[SMP_MAX];
	cptr_t ep[SMP_MAX], page, cs = slot_alloc(), n = slot_alloc(), x = slot_alloc(),
	      mine = slot_alloc();
	uint32_t before[SMP_MAX] = { 0 }, during[SMP_MAX], pre0, pre1, t0, t1;
	volatile uint32_t *ctr;
	int served = 1;

	if (!(ctr = counters(t, &page)))
		return -1;
	UT_EQ_R(sys_obj_create(SLOT_ACCOUNT, CAP_CSPACE, CPTR_SELF, cs, 1u << 17), 0, -1);
	UT_EQ_R(sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, n, 0), 0, -1);
	UT_EQ_R(sys_cap_copy(n, CPTR_SELF, x), 0, -1);
	UT_EQ_R(sys_cap_copy(x, CPTR_SELF, mine), 0, -1);
	for (uint32_t i = 1; i < SMP_BIG_N; i++) {
		int err = sys_cap_copy(x, cs, i);

		if (err) {
			utest_fail(t, __FILE__, __LINE__, "copy %u: %d", (unsigned)i, err);
			return -1;
		}
	}
	UT_EQ_R(serve_on_every_cpu(srv, cli, ep, cpu, m), 0, -1);
	for (unsigned i = 1; i <= m; i++) {
		UT_EQ_R(worker_share(&cli[i], page, SMP_VA), 0, -1);
		UT_EQ_R(worker_send(&cli[i], WK_CALLS, WK_FIRST_FREE, SMP_BESIDE_CALLS, SMP_VA + 4 * i, 0),
			0, -1);
	}
	if (!all_moved(ctr, before, m)) {
		utest_fail(t, __FILE__, __LINE__, "a pair never got a reply");
		return -1;
	}
	for (unsigned i = 1; i <= m; i++)
		before[i] = ctr[i];
	pre0 = sysinfo(SYSINFO_PREEMPTIONS, 2);
	t0 = ticks();
	UT_EQ_R(sys_cap_revoke(CPTR_SELF, x), 0, -1);
	t1 = ticks();
	pre1 = sysinfo(SYSINFO_PREEMPTIONS, 2);
	for (unsigned i = 1; i <= m; i++)
		during[i] = ctr[i] - before[i];
	for (unsigned i = 1; i <= m; i++) {
		struct msg r;

		UT_EQ_R(sys_recv(cli[i].report, &r), 0, -1);
		UT_EQ_R(r.mr[0], 0, -1);        /* every reply right */
		UT_EQ_R(ctr[i], SMP_BESIDE_CALLS, -1);
	}
	for (unsigned i = 1; i <= m; i++) {
		worker_free(&cli[i]);
		worker_free(&srv[i]);
		sys_cap_delete(CPTR_SELF, ep[i]);
	}
	UT_EQ_R(sys_cap_inspect(mine, NULL), E_NOCAP, -1);      /* the descendants are gone */
	UT_EQ_R(sys_cap_delete(CPTR_SELF, cs), 0, -1);
	UT_EQ_R(sys_cap_delete(CPTR_SELF, x), 0, -1);
	UT_EQ_R(sys_cap_delete(CPTR_SELF, n), 0, -1);
	counters_free(page);
	for (unsigned i = 1; i <= m; i++) {
		uprintf("    # revoke of %u (%u ticks, %u preemptions for the lock): CPU %u's pair "
			"served %u calls meanwhile\n",
			SMP_BIG_N, (unsigned)(t1 - t0), (unsigned)(pre1 - pre0), cpu[i - 1],
			(unsigned)during[i]);
		if (before[i] != SMP_BESIDE_CALLS && during[i] == 0)
			served = 0;
	}
	return pre1 == pre0 ? -1 : served;
}

/* The revoke gives the lock up whenever another CPU waits for it, and
 * each pair that still has calls to make when it begins makes some of
 * them before it returns. Nothing to see when no CPU ever waited: an
 * emulator running the CPUs in turn may run the whole revoke in one turn
 * (the several-CPU boot without instruction counting requires this case
 * to pass, not to be skipped). A pair served nothing may also be a
 * virtual CPU the host did not run while the revoke lasted (more guest
 * CPUs than host cores): the revoke is made again, up to
 * SMP_BESIDE_TRIES times; a kernel that keeps a CPU from the lock fails
 * every one. */
static void test_revoke_100k_beside_ipc(struct utest *t)
{
	unsigned cpu[SMP_MAX], m = others(cpu);
	uint32_t heap_limit, heap_used;

	if (!need_cpus(t, 2))
		return;
	/* 100,000 capabilities need about 4.3 MB of kernel heap. */
	UT_EQ(sys_quota_info(SLOT_ACCOUNT, POOL_ID_KHEAP, &heap_limit, &heap_used, NULL), 0);
	if (heap_limit - heap_used < 5u << 20) {
		t->skip = "kernel heap quota below 5 MiB (RAM too small)";
		return;
	}
	for (unsigned try = 1; try <= SMP_BESIDE_TRIES; try++) {
		int r = revoke_beside_pairs(t, cpu, m);

		if (t->failed || r == 1)
			return;
		if (r < 0) {
			t->skip = "no CPU waited for the kernel lock during the revoke (CPUs run in turn)";
			return;
		}
		uprintf("    # revoke %u of %u: a pair was not served during it\n", try,
			SMP_BESIDE_TRIES);
	}
	utest_fail(t, __FILE__, __LINE__, "a pair was not served during any of %u revokes",
		   SMP_BESIDE_TRIES);
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
	UT_EQ(worker_on_cpu(&w, last, WORKER_PRIO), 0);
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

	if (!(ctr = smp_counters(t, &page)))
		return;
	UT_EQ(sys_cap_mint(page, CPTR_SELF, mid, R_READ | R_WRITE, 0, 0), 0);
	for (unsigned i = 1; i <= m; i++) {
		UT_EQ(worker_on_cpu(&w[i], cpu[i - 1], ROOT_PRIO - 1), 0);
		UT_EQ(worker_share(&w[i], mid, SMP_VA), 0);
		UT_EQ(worker_send(&w[i], WK_SPIN, SMP_VA + 4 * i, 0, 0, 0), 0);
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
		UT_EQ(worker_on_cpu(&w[i], cpu[i - 1], ROOT_PRIO - 1), 0);
		UT_EQ(sys_cap_copy(acct[i], w[i].p.cspace, WK_ACCOUNT), 0);
		UT_EQ(worker_share(&w[i], page, SMP_VA), 0);
		UT_EQ(worker_send(&w[i], WK_CHURN, WK_FIRST_FREE, 32, SMP_VA + 4 * i, 0), 0);
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

/* One CSpace shared by a worker on every other CPU and the root task:
 * each worker, from an account of its own, creates an endpoint, puts 8
 * copies of it in its own range of the shared CSpace, deletes one of the
 * next worker's copies there, revokes and deletes, in a loop, while the
 * root task copies into and deletes from every range too and runs the
 * invariant walkers: clean every time; afterwards every account is empty
 * (each copy in the shared CSpace went with its endpoint) and none of
 * the root's is still carved. */
#define SHARED_RANGE 16                 /* slots of the shared CSpace per worker */

static void test_shared_cspace_on_every_cpu(struct utest *t)
{
	struct worker w[SMP_MAX];
	cptr_t acct[SMP_MAX], cs = slot_alloc(), ep = slot_alloc(), page;
	uint32_t zero[SMP_MAX] = { 0 }, used, carved0, carved1, limit;
	unsigned cpu[SMP_MAX], m = others(cpu);
	volatile uint32_t *ctr;

	if (!(ctr = smp_counters(t, &page)))
		return;
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_CSPACE, CPTR_SELF, cs, SHARED_RANGE * (SMP_MAX + 1)),
	      0);
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, ep, 0), 0);
	UT_EQ(sys_quota_info(SLOT_ACCOUNT, POOL_ID_KHEAP, &limit, &used, &carved0), 0);
	for (unsigned i = 1; i <= m; i++) {
		acct[i] = slot_alloc();
		UT_EQ(sys_quota_carve(SLOT_ACCOUNT, CPTR_SELF, acct[i], 0, 0, 0, 64 * 1024), 0);
		UT_EQ(worker_on_cpu(&w[i], cpu[i - 1], ROOT_PRIO - 1), 0);
		UT_EQ(sys_cap_copy(acct[i], w[i].p.cspace, WK_ACCOUNT), 0);
		UT_EQ(sys_cap_copy(cs, w[i].p.cspace, WK_FIRST_FREE), 0);
		UT_EQ(worker_share(&w[i], page, SMP_VA), 0);
		UT_EQ(worker_send(&w[i], WK_CHURN_SHARED, WK_FIRST_FREE, SHARED_RANGE * i,
				  SMP_VA + 4 * i, SHARED_RANGE * (i % m + 1)), 0);
	}
	/* The root's own copies in every range (the root's endpoint, a
	 * slot the worker may take or have taken: E_EXIST and E_NOCAP are
	 * part of it), and the walkers between. */
	for (unsigned k = 0; k < 20 && !t->failed; k++) {
		int err;

		for (unsigned i = 1; i <= m; i++) {
			cptr_t s = SHARED_RANGE * i + 1 + k % 8;

			err = sys_cap_copy(ep, cs, s);
			SMP_ASSERT(!err || err == E_EXIST, "copy into the shared CSpace: %d", err);
			err = sys_cap_delete(cs, s);
			SMP_ASSERT(!err || err == E_NOCAP, "delete from the shared CSpace: %d", err);
		}
		if (!walkers_clean(t, "round", k))
			return;
	}
	SMP_ASSERT(all_moved(ctr, zero, m), "a worker made no round in the shared CSpace");
	for (unsigned i = 1; i <= m; i++) {
		uint32_t lim, carved;

		worker_free(&w[i]);
		UT_EQ(sys_cap_revoke(CPTR_SELF, acct[i]), 0);
		UT_EQ(sys_quota_info(acct[i], POOL_ID_KHEAP, &lim, &used, &carved), 0);
		UT_EQ(used, 0);
		UT_EQ(sys_cap_delete(CPTR_SELF, acct[i]), 0);
	}
	UT_EQ(sys_cap_revoke(CPTR_SELF, ep), 0);        /* the root's copies left there */
	UT_EQ(sys_kcheck(SLOT_SYSTEM, NULL, NULL, NULL), 0);
	UT_EQ(sys_quota_info(SLOT_ACCOUNT, POOL_ID_KHEAP, &limit, &used, &carved1), 0);
	UT_EQ(carved1, carved0);
	UT_EQ(sys_cap_delete(CPTR_SELF, ep), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, cs), 0);
	counters_free(page);
}

/* Threads destroyed while busy on other CPUs, in every state a CPU can
 * hold one in: on each other CPU a client calling its server there and a
 * signaller signalling a waiter above them (the shared fast paths of
 * both kinds, and their waits for the lock the root's calls keep taking)
 * beside a spinner at the same priority (time slices, stops from user
 * mode), then, each round, the client, the server, the spinner, the
 * waiter or the signaller destroyed first, in the later rounds after a
 * suspension, the rest after. Every round the invariant walkers are
 * clean, and at the end the root's kernel heap is back where it was. */
#define BUSY_ROUNDS 6             /* each kind first; the last three suspended first */
#define BUSY_CPUS 3               /* other CPUs at most (as ALLOC_CPUS) */

static void test_threads_destroyed_while_busy(struct utest *t)
{
	struct worker srv[SMP_MAX], cli[SMP_MAX], spin[SMP_MAX], wt[SMP_MAX], sg[SMP_MAX];
	cptr_t ep[SMP_MAX], nt[SMP_MAX], page, mark;
	unsigned cpu[SMP_MAX], m = others(cpu);
	uint32_t limit, used0 = 0, used1 = 0;
	volatile uint32_t *ctr;

	if (!need_cpus(t, 2))
		return;
	if (m > BUSY_CPUS)
		m = BUSY_CPUS;
	if (!(ctr = counters(t, &page)))
		return;
	mark = slots_mark();
	for (unsigned k = 0; k < BUSY_ROUNDS && !t->failed; k++) {
		uint32_t zero[SMP_MAX] = { 0 };
		struct worker *first[5] = { cli, srv, spin, wt, sg };
		struct worker *w = first[k % 5];

		for (unsigned i = 1; i <= 3 * m; i++)
			ctr[i] = 0;
		UT_EQ(serve_on_every_cpu(srv, cli, ep, cpu, m), 0);
		for (unsigned i = 1; i <= m; i++) {
			UT_EQ(worker_share(&cli[i], page, SMP_VA), 0);
			UT_EQ(worker_send(&cli[i], WK_CALLS, WK_FIRST_FREE, 1u << 30, SMP_VA + 4 * i, 0),
			      0);
			UT_EQ(worker_on_cpu(&spin[i], cpu[i - 1], WORKER_PRIO), 0);
			UT_EQ(worker_share(&spin[i], page, SMP_VA), 0);
			UT_EQ(worker_send(&spin[i], WK_SPIN, SMP_VA + 4 * (m + i), 0, 0, 0), 0);
			nt[i] = slot_alloc();
			UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, nt[i], 0), 0);
			UT_EQ(worker_on_cpu(&wt[i], cpu[i - 1], WORKER_PRIO + 1), 0);
			UT_EQ(worker_share(&wt[i], page, SMP_VA), 0);
			UT_EQ(sys_cap_mint(nt[i], wt[i].p.cspace, WK_FIRST_FREE, R_READ, 0, 0), 0);
			UT_EQ(worker_send(&wt[i], WK_WAIT_COUNT, WK_FIRST_FREE, SMP_VA + 4 * (2 * m + i),
					  0, 0), 0);
			UT_EQ(worker_on_cpu(&sg[i], cpu[i - 1], WORKER_PRIO), 0);
			UT_EQ(sys_cap_mint(nt[i], sg[i].p.cspace, WK_FIRST_FREE, R_WRITE, 0, 0), 0);
			UT_EQ(worker_send(&sg[i], WK_FLOOD, WK_FIRST_FREE, 1, 0, 0), 0);
		}
		SMP_ASSERT(all_moved(ctr, zero, m), "round %u: a pair never got a reply", k);
		SMP_ASSERT(all_moved(ctr + m, zero, m), "round %u: a spinner never ran", k);
		SMP_ASSERT(all_moved(ctr + 2 * m, zero, m), "round %u: a waiter never woke", k);
		/* The chosen ones go first (their capability deleted while
		 * they run, or suspended first in the later rounds). */
		for (unsigned i = 1; i <= m; i++) {
			if (k >= 3)
				UT_EQ(sys_thread_suspend(w[i].p.thread), 0);
			UT_EQ(sys_cap_delete(CPTR_SELF, w[i].p.thread), 0);
		}
		if (!walkers_clean(t, "round", k))
			return;
		for (unsigned i = 1; i <= m; i++) {
			worker_free(&cli[i]);
			worker_free(&srv[i]);
			worker_free(&spin[i]);
			worker_free(&wt[i]);
			worker_free(&sg[i]);
			UT_EQ(sys_cap_delete(CPTR_SELF, ep[i]), 0);
			UT_EQ(sys_cap_delete(CPTR_SELF, nt[i]), 0);
		}
		slots_release(mark);
		UT_EQ(sys_kcheck(SLOT_SYSTEM, NULL, NULL, NULL), 0);
		/* A revoke (of nothing: the page's children went with the
		 * slots) returns only once the reaper has destroyed all it
		 * had queued; then the heap, after the first round (the
		 * root's CSpace then has the nodes for every slot a round
		 * takes). */
		UT_EQ(sys_cap_revoke(CPTR_SELF, page), 0);
		UT_EQ(sys_quota_info(SLOT_ACCOUNT, POOL_ID_KHEAP, &limit, k ? &used1 : &used0, NULL),
		      0);
	}
	counters_free(page);
	UT_EQ(sys_kcheck(SLOT_SYSTEM, NULL, NULL, NULL), 0);
	uprintf("    # smp: %u rounds of threads destroyed while busy; kernel heap used after "
		"the first %u bytes, after the last %u\n", BUSY_ROUNDS, (unsigned)used0,
		(unsigned)used1);
	UT_EQ(used1, used0);
}

/* One notification, a waiter on every other CPU, queued in turn: m
 * signals from the boot CPU, each with its own badge bit, wake the
 * waiters once each in the order they waited (the first signal the
 * first waiter, and so on), each on its own CPU, each woken by a
 * reschedule interrupt (its CPU idled); nothing is left in the word. */
static void test_signal_wakes_waiters_on_every_cpu(struct utest *t)
{
	struct worker w[SMP_MAX];
	cptr_t n = slot_alloc(), badged[SMP_MAX];
	unsigned cpu[SMP_MAX], m = others(cpu);
	uint32_t from[SMP_MAX] = { 0 }, ipis;
	volatile uint32_t *ctr;
	cptr_t page;

	if (!(ctr = smp_counters(t, &page)))
		return;
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, n, 0), 0);
	for (unsigned i = 1; i <= m; i++) {
		badged[i] = slot_alloc();
		UT_EQ(sys_cap_mint(n, CPTR_SELF, badged[i], R_WRITE, 1u << i, 0), 0);
		UT_EQ(worker_on_cpu(&w[i], cpu[i - 1], WORKER_PRIO), 0);
		UT_EQ(worker_share(&w[i], page, SMP_VA), 0);
		UT_EQ(sys_cap_mint(n, w[i].p.cspace, WK_FIRST_FREE, R_READ, 0, 0), 0);
		UT_EQ(worker_send(&w[i], WK_NOTIFIED, WK_FIRST_FREE, 0, 0, SMP_VA + 64 * i), 0);
		UT_EQ(wait_state(&w[i], TS_BLOCKED_NTFN), TS_BLOCKED_NTFN);
	}
	ipis = sysinfo(SYSINFO_CPUS, 4);
	for (unsigned i = 1; i <= m; i++)
		UT_EQ(sys_signal(badged[i]), 0);
	for (unsigned i = 1; i <= m; i++) {
		struct msg r;

		UT_EQ(sys_recv(w[i].report, &r), 0);
		UT_EQ(r.badge, WK_BADGE_REPORT);
		UT_EQ(r.mr[0], 1u << i);                /* the i-th signal's bit, alone */
		UT_EQ(r.mr[1], 0);
		UT_EQ(r.mr[2], cpu[i - 1]);             /* woken where it waited */
		UT_EQ(ctr[16 * i], from[i] + 1);        /* once */
	}
	SMP_ASSERT(sysinfo(SYSINFO_CPUS, 4) - ipis >= m, "%u waiters on idle CPUs woken with "
		   "%u reschedule interrupts", m, (unsigned)(sysinfo(SYSINFO_CPUS, 4) - ipis));
	UT_EQ(sys_poll(n, NULL), E_AGAIN);
	for (unsigned i = 1; i <= m; i++) {
		worker_free(&w[i]);
		sys_cap_delete(CPTR_SELF, badged[i]);
	}
	sys_cap_delete(CPTR_SELF, n);
	counters_free(page);
}

/*
 * Device interrupts. The device is QEMU virt's PL061 GPIO, which no
 * server of the system description holds: pin 0 made level-sensitive with
 * its event level equal to the pin's present value raises the
 * controller's interrupt line (SPI 7) the moment the pin's enable bit is
 * set and drops it when the bit is cleared. The test raises the line
 * with one store; the driver quiets it with another before IRQ_ACK.
 *
 * Which CPU took an interrupt is not reported by the kernel; it shows in
 * the reschedule interrupts (SYSINFO_CPUS r4). The driver waits on its
 * CPU, which idles; the root task spins on the boot CPU without entering
 * the kernel but to read the clock. Taken on the driver's CPU, the
 * interrupt makes the driver ready there: no reschedule interrupt
 * anywhere. Taken on another CPU, the driver's CPU has to be woken by one.
 */
#define GPIO_VA (SMP_VA + 0x1000u)      /* the GPIO's registers, in root and drivers */
#define GPIO_DATA 0x3fc                 /* (address bits 9:2 select the pins: all) */
#define GPIO_IS 0x404                   /* 1: level-sensitive */
#define GPIO_IBE 0x408
#define GPIO_IEV 0x40c                  /* level-sensitive: 1 high, 0 low */
#define GPIO_IE 0x410
#define GPIO_MIS 0x418
#define GPIO_IC 0x41c
#define GPIO_PIN 0x1u                   /* pin 0 (pin 3 is the power button) */
#define IRQ_OUT 16                      /* WK_NOTIFIED's record: words 16-19 */

static volatile uint32_t *gpio(unsigned off)
{
	return (volatile uint32_t *)(GPIO_VA + off);
}

struct irq_rig {
	cptr_t page, dev, handler, ntfn;
	volatile uint32_t *ctr;
};

/* The counters page, the GPIO mapped here and set up (the line low), its
 * line claimed, a notification for it. false: skipped or failed. */
static bool rig_up(struct utest *t, struct irq_rig *g)
{
	const struct bootinfo_dev *d = root_device("pl061");
	int err;

	if (!d || d->irq == 0xffffffffu) {
		t->skip = "no pl061 with an interrupt";
		return false;
	}
	if (!(g->ctr = counters(t, &g->page)))
		return false;
	g->dev = slot_alloc();
	g->handler = slot_alloc();
	g->ntfn = slot_alloc();
	err = sys_cap_copy(d->slot, CPTR_SELF, g->dev);
	if (!err)
		err = sys_map(SLOT_VSPACE, g->dev, GPIO_VA, R_READ | R_WRITE, ATTR_DEFAULT);
	if (!err)
		err = sys_irq_get(SLOT_IRQ_CONTROL, d->irq, CPTR_SELF, g->handler);
	if (!err)
		err = sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, g->ntfn, 0);
	if (err) {
		utest_fail(t, __FILE__, __LINE__, "the GPIO and its line %u: error %d", d->irq, err);
		return false;
	}
	*gpio(GPIO_IE) = 0;
	*gpio(GPIO_IS) = GPIO_PIN;
	*gpio(GPIO_IBE) = 0;
	*gpio(GPIO_IEV) = *gpio(GPIO_DATA) & GPIO_PIN;
	*gpio(GPIO_IC) = GPIO_PIN;
	if (*gpio(GPIO_MIS)) {
		utest_fail(t, __FILE__, __LINE__, "the GPIO's interrupt is up before it is enabled");
		return false;
	}
	return true;
}

static void rig_down(struct irq_rig *g)
{
	*gpio(GPIO_IE) = 0;
	*gpio(GPIO_IS) = 0;
	*gpio(GPIO_IEV) = 0;
	*gpio(GPIO_IC) = 0xff;
	sys_cap_delete(CPTR_SELF, g->handler);          /* the line released */
	sys_cap_revoke(CPTR_SELF, g->dev);
	sys_unmap(g->dev);
	sys_cap_delete(CPTR_SELF, g->dev);
	sys_cap_delete(CPTR_SELF, g->ntfn);
	counters_free(g->page);
}

/* A driver worker on cpu: the counters page and the GPIO mapped in it, the
 * line's handler at WK_FIRST_FREE, the notification (badge: the bits the
 * line signals once bound through it) at WK_FIRST_FREE + 1. */
static int driver_on(struct worker *w, struct irq_rig *g, unsigned cpu, uint32_t bits)
{
	cptr_t dev = slot_alloc();
	int err = worker_on_cpu(w, cpu, WORKER_PRIO);

	if (!err)
		err = worker_share(w, g->page, SMP_VA);
	if (!err)
		err = dev ? sys_cap_mint(g->dev, CPTR_SELF, dev, R_READ | R_WRITE, 0, 0) : E_NOMEM;
	if (!err)
		err = sys_map(w->p.vspace, dev, GPIO_VA, R_READ | R_WRITE, ATTR_DEFAULT);
	if (!err)
		err = sys_cap_copy(g->handler, w->p.cspace, WK_FIRST_FREE);
	if (!err)
		err = sys_cap_mint(g->ntfn, w->p.cspace, WK_FIRST_FREE + 1, R_READ | R_WRITE, bits,
				   0);
	return err;
}

/* The driver binds the line itself, on its CPU: *cpu is where it ran. */
static int driver_bind(struct worker *w, unsigned *cpu)
{
	struct msg r;
	int err = worker_cmd(w, WK_IRQ_BIND, WK_FIRST_FREE, WK_FIRST_FREE + 1, 0, &r);

	if (err)
		return err < 0 ? err : E_STATE;
	*cpu = r.mr[1];
	return (int)r.mr[0];
}

/* One interrupt raised here and handled by the driver w: it got `bits`
 * on CPU `cpu`, quieted the device and acknowledged the line, exactly
 * once (the line has nothing pending after, the notification no bits).
 * *ipis: the reschedule interrupts taken between the raise and the
 * driver's record of it; *locks (if not NULL): the kernel lock taken
 * alone on the driver's CPU around its acknowledge (WK_NOTIFIED's mr3). */
static void driver_take(struct utest *t, struct irq_rig *g, struct worker *w, uint32_t bits,
			unsigned cpu, uint32_t *ipis, uint32_t *locks)
{
	volatile uint32_t *out = g->ctr + IRQ_OUT;
	uint32_t n0 = out[0], i0, t0;
	struct thread_info ti;
	struct msg r;

	UT_EQ(worker_send(w, WK_NOTIFIED, WK_FIRST_FREE + 1, GPIO_VA + GPIO_IE, WK_FIRST_FREE,
		  SMP_VA + 4 * IRQ_OUT), 0);
	UT_EQ(wait_state(w, TS_BLOCKED_NTFN), TS_BLOCKED_NTFN);
	i0 = sysinfo(SYSINFO_CPUS, 4);
	*gpio(GPIO_IE) = GPIO_PIN;                      /* the line goes up */
	t0 = ticks();
	while (__atomic_load_n(&out[0], __ATOMIC_ACQUIRE) == n0)
		SMP_ASSERT(ticks() - t0 <= SMP_WAIT_TICKS, "no interrupt reached the driver on "
			   "CPU %u (the GPIO's raised: %u)", cpu, (unsigned)*gpio(GPIO_MIS));
	*ipis = sysinfo(SYSINFO_CPUS, 4) - i0;
	UT_EQ(out[0], n0 + 1);
	UT_EQ(out[1], bits);                            /* the line's bits, through the wait */
	UT_EQ(out[2], 0);                               /* its IRQ_ACK */
	UT_EQ(out[3], cpu);                             /* woken on its own CPU */
	UT_EQ(sys_recv(w->report, &r), 0);
	UT_EQ(r.badge, WK_BADGE_REPORT);
	UT_EQ(r.mr[0], bits);
	UT_EQ(r.mr[2], cpu);
	if (locks)
		*locks = r.mr[3];
	UT_EQ(sys_thread_info(w->p.thread, &ti), 0);
	UT_EQ(ti.cpu, cpu);
	UT_EQ(*gpio(GPIO_MIS), 0);                      /* quieted by the driver */
	UT_EQ(sys_irq_ack(g->handler), E_STATE);        /* acknowledged, nothing pending */
	UT_EQ(sys_poll(g->ntfn, NULL), E_AGAIN);        /* delivered once */
}

/* For every CPU running threads (the boot CPU too), a driver there binds
 * the line and gets two of its interrupts: on that CPU, taken there. On
 * the other CPUs (the root task spins on its own, so none is alone) the
 * acknowledge runs with the kernel lock shared: at most half of them may
 * take it alone (each would: the lock taken for the acknowledge and for
 * the reading after it, 2; shared, only the reading's, 1). */
static void test_device_interrupt_on_every_cpu(struct utest *t)
{
	uint32_t mask = sysinfo(SYSINFO_CPUS, 2), me = sysinfo(SYSINFO_CPUS, 3);
	unsigned acks = 0, locked = 0;
	struct irq_rig g;

	if (!need_cpus(t, 2) || !rig_up(t, &g))
		return;
	for (unsigned c = 0; c < SMP_MAX && !t->failed; c++) {
		struct worker w;
		unsigned bound = 0xff;

		if (!(mask >> c & 1u))
			continue;
		UT_EQ(driver_on(&w, &g, c, 1u << c), 0);
		UT_EQ(driver_bind(&w, &bound), 0);
		UT_EQ(bound, c);
		for (unsigned k = 0; k < 2 && !t->failed; k++) {
			uint32_t ipis = 0, locks = 0;

			driver_take(t, &g, &w, 1u << c, c, &ipis, &locks);
			SMP_ASSERT(t->failed || ipis == 0, "the line bound on CPU %u was taken on "
				   "another CPU (%u reschedule interrupts)", c, (unsigned)ipis);
			if (c != me) {
				acks++;
				locked += locks >= 2;
			}
		}
		worker_free(&w);
	}
	rig_down(&g);
	SMP_ASSERT(t->failed || 2 * locked <= acks, "%u of %u acknowledges on the drivers' CPUs "
		   "took the kernel lock alone", locked, acks);
}

/* A driver bound on CPU a is moved to CPU b. Until it binds again the line
 * still goes to a (abi.md: delivery follows IRQ_BIND, not
 * SYS_THREAD_SET_CPU): the interrupt reaches it on b, through a
 * reschedule interrupt from a, which is also what shows that the check of
 * the case before can fail. Bound again from b, the line is taken on b. */
static void test_device_interrupt_follows_rebind(struct utest *t)
{
	unsigned cpu[SMP_MAX], m = others(cpu), a, b, bound = 0xff;
	uint32_t ipis = 0;
	struct irq_rig g;
	struct worker w;

	if (!need_cpus(t, 2) || !rig_up(t, &g))
		return;
	a = cpu[0];
	b = m >= 2 ? cpu[m - 1] : sysinfo(SYSINFO_CPUS, 3);
	UT_EQ(driver_on(&w, &g, a, 0x40), 0);
	UT_EQ(driver_bind(&w, &bound), 0);
	UT_EQ(bound, a);
	driver_take(t, &g, &w, 0x40, a, &ipis, NULL);
	if (t->failed)
		return;
	UT_EQ(ipis, 0);
	UT_EQ(sys_thread_set_cpu(w.p.thread, b), 0);
	driver_take(t, &g, &w, 0x40, b, &ipis, NULL);
	if (t->failed)
		return;
	SMP_ASSERT(ipis >= 1, "moved from CPU %u to %u without binding again, the line "
		   "was taken on %u already", a, b, b);
	UT_EQ(driver_bind(&w, &bound), 0);
	UT_EQ(bound, b);
	driver_take(t, &g, &w, 0x40, b, &ipis, NULL);
	if (t->failed)
		return;
	SMP_ASSERT(ipis == 0, "bound again on CPU %u, the line was taken elsewhere (%u "
		   "reschedule interrupts)", b, (unsigned)ipis);
	worker_free(&w);
	rig_down(&g);
}

/*
 * The allocators from every CPU at once. A worker on each CPU (the first
 * ALLOC_CPUS; on the boot CPU at the root's priority, sharing it round
 * robin) makes and destroys objects, memory of orders 0-4, the page tables of its own
 * address space and CSpace leaves from an account of its own, in rounds
 * (WK_ALLOC), while the root task runs every invariant walker of the
 * kernel -- the frame table, buddy, heap, object caches and pools among
 * them -- again and again: clean every time, and every worker makes
 * rounds between the first and the last of them. Then the workers stop
 * wherever they are, one by one while the others go on, and each account
 * is revoked: nothing left used or carved in it; the root's own account
 * and the page pools' free pages exactly as before, the walkers clean.
 */
#define ALLOC_CPUS 4                    /* at most: each more slows every round of the
					 * others (one kernel lock; under QEMU, TLB
					 * broadcasts wait for every CPU) */
#define ALLOC_CHECKS 3                  /* walker runs during the churn */
#define ALLOC_STEP 2                    /* rounds of every worker after each */
#define ALLOC_VA (SMP_VA + 0x2000u)     /* a worker's own mapping of a round */
#define ALLOC_DIRECT 96                 /* an account: pages (31 a round, 9 tables) */
#define ALLOC_HEAP 65536                /* and heap bytes */

struct alloc_figures {
	uint32_t used[POOL_IDS], carved[POOL_IDS], charged[POOL_IDS], free[POOL_IDS];
};

static void alloc_figures(struct alloc_figures *f)
{
	for (unsigned p = 0; p < POOL_IDS; p++) {
		struct sysregs r = { { SYSINFO_POOL + p } };
		uint32_t limit;

		sys_quota_info(SLOT_ACCOUNT, p, &limit, &f->used[p], &f->carved[p]);
		f->charged[p] = f->free[p] = 0;
		if (!cairn_syscall(SYS_SYSTEM_INFO, &r)) {
			f->free[p] = r.r[1];
			f->charged[p] = r.r[2];
		}
	}
}

/* The workers of every CPU, each with an account; started churning when
 * go_on. */
static void alloc_workers(struct utest *t, struct worker *w, cptr_t *acct, unsigned *cpu,
			  unsigned n, cptr_t page, bool go_on)
{
	for (unsigned i = 0; i < n; i++) {
		acct[i] = slot_alloc();
		UT_EQ(sys_quota_carve(SLOT_ACCOUNT, CPTR_SELF, acct[i], ALLOC_DIRECT, 0, 0,
				      ALLOC_HEAP), 0);
		UT_EQ(worker_on_cpu(&w[i], cpu[i], i ? ROOT_PRIO - 1 : ROOT_PRIO), 0);
		UT_EQ(sys_cap_copy(acct[i], w[i].p.cspace, WK_ACCOUNT), 0);
		UT_EQ(worker_share(&w[i], page, SMP_VA), 0);
		if (go_on)
			UT_EQ(worker_send(&w[i], WK_ALLOC, WK_FIRST_FREE, ALLOC_VA, SMP_VA + 64 * i, 0), 0);
	}
}

static void test_allocators_on_every_cpu(struct utest *t)
{
	struct worker w[SMP_MAX];
	cptr_t acct[SMP_MAX], page, mark;
	uint32_t mask = sysinfo(SYSINFO_CPUS, 2), from[SMP_MAX], t0, walkers = 0, items = 0;
	struct alloc_figures before, after;
	unsigned cpu[SMP_MAX], n = 0, checks = 0;
	volatile uint32_t *ctr;
	char name[17] = { 0 };

	if (!need_cpus(t, 2))
		return;
	for (unsigned c = 0; c < SMP_MAX && n < ALLOC_CPUS; c++)
		if (mask >> c & 1u)
			cpu[n++] = c;
	if (!(ctr = counters(t, &page)))
		return;
	/* Once without churn, over the same slots: the root's CSpace has the
	 * leaves the run needs before the figures are taken. (worker_free
	 * leaves the pages of a worker's program in the root's slots.) */
	mark = slots_mark();
	alloc_workers(t, w, acct, cpu, n, page, false);
	if (t->failed)
		return;
	for (unsigned i = 0; i < n; i++)
		worker_free(&w[i]);
	slots_release(mark);
	alloc_figures(&before);
	alloc_workers(t, w, acct, cpu, n, page, true);
	if (t->failed)
		return;
	for (unsigned i = 0; i < n; i++)
		from[i] = ctr[16 * i];
	/* The walkers, then ALLOC_STEP rounds of every worker, again and
	 * again. (A walk holds the kernel lock: run back to back, the walks
	 * would leave the workers hardly a round.) */
	for (checks = 0; checks < ALLOC_CHECKS; checks++) {
		uint32_t at[SMP_MAX];
		int err = sys_kcheck(SLOT_SYSTEM, &walkers, &items, name);

		SMP_ASSERT(!err, "kcheck during the churn: %d, walker %u (%s)", err,
			   (unsigned)walkers, name);
		UT_ASSERT(walkers >= 10);       /* pmem, frame, buddy, kheap, kcache, pool, ... */
		for (unsigned i = 0; i < n; i++)
			at[i] = ctr[16 * i];
		t0 = ticks();
		for (;;) {
			unsigned behind = 0;

			for (unsigned i = 0; i < n; i++) {
				uint32_t failed = ctr[16 * i + 1];

				SMP_ASSERT(!failed, "CPU %u: round %u failed at step %u: error %d",
					   cpu[i], (unsigned)(ctr[16 * i] - from[i]),
					   (unsigned)(failed >> 16), -(int)(failed & 0xffff));
				behind += ctr[16 * i] - at[i] < ALLOC_STEP;
			}
			if (!behind)
				break;
			/* (the clock now and then only: the workers' calls wait
			 * for the kernel lock when this one holds it) */
			for (volatile unsigned k = 0; k < 20000; k++)
				;
			SMP_ASSERT(ticks() - t0 <= SMP_WAIT_TICKS * 10, "%u of %u workers made "
				   "fewer than %u rounds in 20 s", behind, n, ALLOC_STEP);
		}
	}
	/* Stopped one by one, the others still churning; each account then
	 * revoked (a round half done with it). */
	for (unsigned i = 0; i < n; i++) {
		uint32_t limit, used, carved;

		worker_free(&w[i]);
		UT_EQ(ctr[16 * i + 1], 0);
		UT_EQ(sys_cap_revoke(CPTR_SELF, acct[i]), 0);
		for (unsigned p = 0; p < POOL_IDS; p++) {
			UT_EQ(sys_quota_info(acct[i], p, &limit, &used, &carved), 0);
			UT_EQ(used, 0);
			UT_EQ(carved, 0);
		}
		UT_EQ(sys_cap_delete(CPTR_SELF, acct[i]), 0);
		UT_EQ(sys_kcheck(SLOT_SYSTEM, NULL, NULL, NULL), 0);
	}
	ktap_diag("smp: allocators: %u CPUs, %u walker runs, rounds between them %u each at "
		  "least, %u on CPU %u", n, checks, ALLOC_STEP,
		  (unsigned)(ctr[16 * (n - 1)] - from[n - 1]), cpu[n - 1]);
	slots_release(mark);            /* (the workers' program pages too) */
	alloc_figures(&after);
	for (unsigned p = 0; p < POOL_IDS; p++) {
		UT_EQ(after.used[p], before.used[p]);
		UT_EQ(after.carved[p], before.carved[p]);
		UT_EQ(after.charged[p], before.charged[p]);
		if (p != POOL_ID_KHEAP)         /* (the object caches keep a spare slab) */
			UT_EQ(after.free[p], before.free[p]);
	}
	counters_free(page);
	UT_EQ(sys_kcheck(SLOT_SYSTEM, NULL, NULL, NULL), 0);
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

/*
 * A thread running on another CPU given a new address space, its old one
 * going with it (the thread's own copy was its last capability): the
 * configure stops the thread on its CPU before the old space's tables are
 * freed, and that CPU, which still holds the old space in TTBR0 while it
 * waits for the kernel lock, is asked to leave it first (its table walker
 * could otherwise reach freed tables, speculatively on hardware). After
 * the call the thread never writes through the old space again; it goes
 * on in the new, empty one, where its first instruction faults (no fault
 * endpoint: it stops, faulted, at its own pc). SYSINFO_CPUS r5 counts the
 * requests to leave a space: exactly one each round, the other CPUs idle.
 * Every round's pages come back: the root's account as before.
 */
#define UNLOAD_ROUNDS 16

/* One round: w, started on its CPU, spinning on ctr[1]. */
static void space_replaced_round(struct utest *t, struct worker *w, unsigned k,
				 volatile uint32_t *ctr, cptr_t nvs)
{
	struct thread_info ti = { 0 };
	uint32_t zero[2] = { 0 }, seen, u0, u1, t0;

	SMP_ASSERT(all_moved(ctr, zero, 1), "round %u: the worker never ran", k);
	/* The thread's own copy (its internal slot) becomes the space's
	 * last capability: the root's goes to its parent, the account, and
	 * the worker's CSpace's copy is deleted. */
	UT_EQ(sys_cap_delete(w->p.cspace, WK_VSPACE), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, w->p.vspace), 0);
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_VSPACE, CPTR_SELF, nvs, 0), 0);
	u0 = sysinfo(SYSINFO_CPUS, 5);
	UT_EQ(sys_thread_configure(w->p.thread, CPTR_NULL, nvs, CPTR_NULL, CPTR_NULL), 0);
	u1 = sysinfo(SYSINFO_CPUS, 5);
	seen = ctr[1];
	t0 = ticks();
	while (ticks() - t0 < 3)
		SMP_ASSERT(ctr[1] == seen, "round %u: the worker wrote through its old space "
			   "after it was replaced (%u, then %u)", k, (unsigned)seen,
			   (unsigned)ctr[1]);
	SMP_ASSERT(u1 - u0 == 1, "round %u: %u requests to leave the old space, not 1", k,
		   (unsigned)(u1 - u0));
	UT_EQ(wait_state(w, TS_FAULTED), TS_FAULTED);
	UT_EQ(sys_thread_info(w->p.thread, &ti), 0);
	UT_EQ(ti.fault_kind, FAULT_PREFETCH);
	SMP_ASSERT(ti.fault_addr != 0 && ti.fault_addr < SMP_VA,
		   "round %u: fault at 0x%x, not in the worker's text", k, (unsigned)ti.fault_addr);
}

static void test_space_left_before_its_tables_go(struct utest *t)
{
	unsigned cpu[SMP_MAX], m = others(cpu);
	uint32_t used0 = 0, used1 = 0, limit;
	volatile uint32_t *ctr;
	cptr_t page, mark;

	if (!(ctr = smp_counters(t, &page)))
		return;
	mark = slots_mark();
	for (unsigned k = 0; k < UNLOAD_ROUNDS && !t->failed; k++) {
		struct worker w;
		cptr_t nvs = slot_alloc();
		int err;

		ctr[1] = 0;
		err = worker_on_cpu(&w, cpu[k % m], WORKER_PRIO);
		if (!err)
			err = worker_share(&w, page, SMP_VA);
		if (!err)
			err = worker_send(&w, WK_SPIN, SMP_VA + 4, 0, 0, 0);
		UT_EQ(err, 0);
		if (!err)
			space_replaced_round(t, &w, k, ctr, nvs);
		worker_free(&w);
		sys_cap_delete(CPTR_SELF, nvs);
		slots_release(mark);
		if (!walkers_clean(t, "round", k))
			break;
		/* The pages, after the first round (the root's CSpace then
		 * has the nodes for every slot a round takes) and the last;
		 * a revoke (of nothing) waits for the reaper. */
		UT_EQ(sys_cap_revoke(CPTR_SELF, page), 0);
		UT_EQ(sys_quota_info(SLOT_ACCOUNT, POOL_ID_DIRECT, &limit, k ? &used1 : &used0,
				     NULL), 0);
	}
	counters_free(page);
	uprintf("    # smp: %u threads given a new space while running; direct pages used "
		"after the first %u, after the last %u\n", UNLOAD_ROUNDS, (unsigned)used0,
		(unsigned)used1);
	UT_EQ(used1, used0);
}

static const struct utest_case cases[] = {
	UT_CASE(test_set_cpu_errors),
	UT_CASE(test_every_cpu_runs_threads),
	UT_CASE(test_suspend_thread_in_wfe),
	UT_CASE(test_registers_set_while_entering_a_call),
	UT_CASE(test_thread_moved_while_yielding),
	UT_CASE(test_calls_cross_cpus),
	UT_CASE(test_same_cpu_pairs_beside_each_other),
	UT_CASE(test_same_cpu_signals_beside_each_other),
	UT_CASE(test_cpu_alone_gives_way),
	UT_CASE(test_wakeups_cross_cpus),
	UT_CASE(test_revoke_stops_every_cpu),
	UT_CASE(test_revoke_100k_beside_ipc),
	UT_CASE(test_capability_churn_on_every_cpu),
	UT_CASE(test_shared_cspace_on_every_cpu),
	UT_CASE(test_threads_destroyed_while_busy),
	UT_CASE(test_space_left_before_its_tables_go),
	UT_CASE(test_signal_wakes_waiters_on_every_cpu),
	UT_CASE(test_device_interrupt_on_every_cpu),
	UT_CASE(test_device_interrupt_follows_rebind),
	UT_CASE(test_allocators_on_every_cpu),
};

static const struct utest_suite suite_smp = {
	.name = "smp",
	.cases = cases,
	.ncases = sizeof(cases) / sizeof(cases[0]),
};
UTEST_REGISTER(suite_smp, 13);
