/*
 * cap_revoke: revocation seen from user level, across processes.
 *
 * A worker process (utest) holds capabilities derived from the root
 * task's; the root task revokes and the worker reports what it sees.
 */
#include "root.h"

#include <string.h>

#define WORKER_VA 0x40000000u   /* where the worker maps what it is given */
#define ROOT_VA 0x30000000u     /* root's own test mappings */

static struct worker wk;
static bool wk_ready;

static struct worker *worker(struct utest *t)
{
	if (!wk_ready) {
		int err = worker_new(&wk, true);

		if (err) {
			utest_fail(t, __FILE__, __LINE__, "worker_new: %d", err);
			return NULL;
		}
		wk_ready = true;
	}
	return &wk;
}

/* A fresh one-page memory capability in a new slot. */
static cptr_t new_mem(struct utest *t, unsigned order)
{
	cptr_t s = slot_alloc();
	int err = sys_mem_alloc(SLOT_ACCOUNT, POOL_ID_DIRECT, order, CPTR_SELF, s);

	if (err)
		utest_fail(t, __FILE__, __LINE__, "mem_alloc: %d", err);
	return err ? CPTR_NULL : s;
}

static cptr_t copy_of(cptr_t src)
{
	cptr_t s = slot_alloc();

	return sys_cap_copy(src, CPTR_SELF, s) ? CPTR_NULL : s;
}

static int worker_inspect(struct worker *w, cptr_t slot)
{
	struct msg r;

	if (worker_cmd(w, WK_INSPECT, slot, 0, 0, &r))
		return 1000;
	return (int)r.mr[0];
}

static void test_revoke_reaches_other_process(struct utest *t)
{
	struct worker *w = worker(t);
	cptr_t m, a;

	if (!w)
		return;
	m = new_mem(t, 0);
	a = copy_of(m);
	UT_ASSERT(m && a);
	UT_EQ(sys_cap_mint(a, w->p.cspace, WK_FIRST_FREE, R_READ, 0, 0), 0);
	UT_EQ(worker_inspect(w, WK_FIRST_FREE), 0);
	UT_EQ(sys_cap_revoke(CPTR_SELF, a), 0);
	UT_EQ(worker_inspect(w, WK_FIRST_FREE), E_NOCAP);
	UT_EQ(sys_cap_inspect(a, NULL), 0);             /* the revoked one stays */
	UT_EQ(sys_cap_inspect(m, NULL), 0);
}

static void test_mapped_ram_faults_after_revoke(struct utest *t)
{
	struct worker *w = worker(t);
	cptr_t m, i, mine;
	struct msg r;
	uint64_t pa;

	if (!w)
		return;
	m = new_mem(t, 0);
	i = copy_of(m);
	mine = copy_of(i);
	UT_ASSERT(m && i && mine);
	/* Mapped in the root task and in the worker, both through i. */
	UT_EQ(sys_map(SLOT_VSPACE, mine, ROOT_VA, R_READ | R_WRITE, ATTR_DEFAULT), 0);
	*(volatile uint32_t *)ROOT_VA = 0x12345678;
	UT_EQ(sys_cap_mint(i, w->p.cspace, WK_FIRST_FREE + 1, R_READ | R_WRITE, 0, 0), 0);
	UT_EQ(worker_cmd(w, WK_MAP, WK_FIRST_FREE + 1, WORKER_VA, R_READ | R_WRITE, &r), 0);
	UT_EQ(r.mr[0], 0);
	UT_EQ(worker_cmd(w, WK_READ, WORKER_VA, 0, 0, &r), 0);
	UT_EQ(r.mr[0], 0x12345678);
	UT_EQ(sys_map_info(SLOT_VSPACE, ROOT_VA, &pa, NULL, NULL), 0);

	UT_EQ(sys_cap_revoke(CPTR_SELF, i), 0);
	/* Gone from the root task's space (touching it would stop us)... */
	UT_EQ(sys_map_info(SLOT_VSPACE, ROOT_VA, NULL, NULL, NULL), E_NOENT);
	UT_EQ(sys_cap_inspect(mine, NULL), E_NOCAP);
	/* ...and the worker's next access faults, at that address. */
	UT_EQ(worker_cmd(w, WK_READ, WORKER_VA, 0, 0, &r), 1);
	UT_EQ(MSG_LABEL(r.info), FAULT_LABEL_BASE + FAULT_DATA);
	UT_EQ(r.mr[1], WORKER_VA);
	UT_EQ(worker_restart(w), 0);
	UT_EQ(worker_cmd(w, WK_PING, 41, 0, 0, &r), 0);
	UT_EQ(r.mr[0], 42);
	/* The memory itself lives on in m; a new mapping works. */
	mine = copy_of(m);
	UT_EQ(sys_map(SLOT_VSPACE, mine, ROOT_VA, R_READ, ATTR_DEFAULT), 0);
	UT_EQ(*(volatile uint32_t *)ROOT_VA, 0x12345678);
	UT_EQ(sys_unmap(mine), 0);
}

static void test_mapped_device_faults_after_revoke(struct utest *t)
{
	struct worker *w = worker(t);
	const struct bootinfo_dev *rtc = root_device("pl031");
	cptr_t i;
	struct msg r;

	if (!w)
		return;
	if (!rtc) {
		t->skip = "no pl031 device range";
		return;
	}
	i = copy_of(rtc->slot);
	UT_ASSERT(i);
	UT_EQ(sys_cap_mint(i, w->p.cspace, WK_FIRST_FREE + 2, R_READ, 0, 1), 0);
	UT_EQ(worker_cmd(w, WK_MAP, WK_FIRST_FREE + 2, WORKER_VA + 0x100000, R_READ, &r), 0);
	UT_EQ(r.mr[0], 0);
	/* RTCDR: seconds since the epoch, from the host clock. */
	UT_EQ(worker_cmd(w, WK_READ, WORKER_VA + 0x100000, 0, 0, &r), 0);
	UT_ASSERT(r.mr[0] > 1600000000u);
	UT_EQ(sys_cap_revoke(CPTR_SELF, i), 0);
	UT_EQ(worker_cmd(w, WK_READ, WORKER_VA + 0x100000, 0, 0, &r), 1);
	UT_EQ(MSG_LABEL(r.info), FAULT_LABEL_BASE + FAULT_DATA);
	UT_EQ(r.mr[1], WORKER_VA + 0x100000);
	UT_EQ(worker_restart(w), 0);
	UT_EQ(worker_inspect(w, WK_FIRST_FREE + 2), E_NOCAP);
	/* A device capability cannot be mapped executable. */
	UT_EQ(sys_map(SLOT_VSPACE, i, ROOT_VA, R_READ | R_EXEC, ATTR_DEFAULT), E_PERM);
}

static void test_siblings_and_ancestors_survive(struct utest *t)
{
	struct worker *w = worker(t);
	cptr_t m, a, b, a1;

	if (!w)
		return;
	m = new_mem(t, 0);
	a = copy_of(m);
	b = copy_of(m);
	a1 = copy_of(a);
	UT_ASSERT(m && a && b && a1);
	UT_EQ(sys_cap_mint(a1, w->p.cspace, WK_FIRST_FREE + 3, R_READ, 0, 0), 0);
	UT_EQ(sys_cap_mint(b, w->p.cspace, WK_FIRST_FREE + 4, R_READ, 0, 0), 0);
	UT_EQ(sys_cap_revoke(CPTR_SELF, a), 0);
	UT_EQ(sys_cap_inspect(a1, NULL), E_NOCAP);
	UT_EQ(worker_inspect(w, WK_FIRST_FREE + 3), E_NOCAP);
	UT_EQ(worker_inspect(w, WK_FIRST_FREE + 4), 0);         /* b's child */
	UT_EQ(sys_cap_inspect(a, NULL), 0);
	UT_EQ(sys_cap_inspect(b, NULL), 0);
	UT_EQ(sys_cap_inspect(m, NULL), 0);
}

static void test_revoke_intermediate(struct utest *t)
{
	cptr_t m = new_mem(t, 0), i, j, k;
	struct cap_info ci;

	i = copy_of(m);
	j = copy_of(i);
	k = copy_of(j);
	UT_ASSERT(m && i && j && k);
	UT_EQ(sys_cap_inspect(k, &ci), 0);
	UT_EQ(ci.depth, 4);     /* account -> m -> i -> j -> k */
	UT_EQ(sys_cap_revoke(CPTR_SELF, j), 0);
	UT_EQ(sys_cap_inspect(k, NULL), E_NOCAP);
	UT_EQ(sys_cap_inspect(j, NULL), 0);
	UT_EQ(sys_cap_revoke(CPTR_SELF, i), 0);
	UT_EQ(sys_cap_inspect(j, NULL), E_NOCAP);
	UT_EQ(sys_cap_inspect(i, NULL), 0);
	UT_EQ(sys_cap_inspect(m, NULL), 0);
}

static void test_memory_and_quota_return(struct utest *t)
{
	struct worker *w = worker(t);
	uint32_t carved0, carved1, used, heap_used, limit;
	cptr_t acct = slot_alloc(), mem = slot_alloc(), ep = slot_alloc();

	if (!w)
		return;
	UT_EQ(sys_quota_info(SLOT_ACCOUNT, POOL_ID_DIRECT, NULL, NULL, &carved0), 0);
	UT_EQ(sys_quota_carve(SLOT_ACCOUNT, CPTR_SELF, acct, 64, 0, 0, 65536), 0);
	UT_EQ(sys_quota_info(SLOT_ACCOUNT, POOL_ID_DIRECT, NULL, NULL, &carved1), 0);
	UT_EQ(carved1, carved0 + 64);
	UT_EQ(sys_mem_alloc(acct, POOL_ID_DIRECT, 4, CPTR_SELF, mem), 0);
	UT_EQ(sys_mem_alloc(acct, POOL_ID_DIRECT, 6, CPTR_SELF, slot_alloc()), E_NOMEM);
	UT_EQ(sys_obj_create(acct, CAP_ENDPOINT, CPTR_SELF, ep, 0), 0);
	UT_EQ(sys_cap_mint(mem, w->p.cspace, WK_FIRST_FREE + 5, R_READ, 0, 0), 0);
	UT_EQ(sys_quota_info(acct, POOL_ID_DIRECT, &limit, &used, NULL), 0);
	UT_EQ(limit, 64);
	UT_EQ(used, 16);
	UT_EQ(sys_quota_info(acct, POOL_ID_KHEAP, NULL, &heap_used, NULL), 0);
	UT_ASSERT(heap_used > 0);
	/* Revoking the account destroys what was made from it. */
	UT_EQ(sys_cap_revoke(CPTR_SELF, acct), 0);
	UT_EQ(sys_cap_inspect(mem, NULL), E_NOCAP);
	UT_EQ(sys_cap_inspect(ep, NULL), E_NOCAP);
	UT_EQ(worker_inspect(w, WK_FIRST_FREE + 5), E_NOCAP);
	UT_EQ(sys_quota_info(acct, POOL_ID_DIRECT, NULL, &used, NULL), 0);
	UT_EQ(used, 0);
	UT_EQ(sys_quota_info(acct, POOL_ID_KHEAP, NULL, &heap_used, NULL), 0);
	UT_EQ(heap_used, 0);
	/* And deleting it gives its limits back to the parent. */
	UT_EQ(sys_cap_delete(CPTR_SELF, acct), 0);
	UT_EQ(sys_quota_info(SLOT_ACCOUNT, POOL_ID_DIRECT, NULL, NULL, &carved1), 0);
	UT_EQ(carved1, carved0);
}

static void test_blocked_ipc_cancelled(struct utest *t)
{
	struct worker *w = worker(t);
	cptr_t acct = slot_alloc(), ep = slot_alloc();
	struct thread_info ti;
	struct msg m = { MSG_INFO(WK_RECV, 1, 0), { WK_FIRST_FREE + 6, 0, 0, 0 }, 0 }, r;

	if (!w)
		return;
	UT_EQ(sys_quota_carve(SLOT_ACCOUNT, CPTR_SELF, acct, 0, 0, 0, 4096), 0);
	UT_EQ(sys_obj_create(acct, CAP_ENDPOINT, CPTR_SELF, ep, 0), 0);
	UT_EQ(sys_cap_mint(ep, w->p.cspace, WK_FIRST_FREE + 6, R_READ, 0, 0), 0);
	/* The worker blocks receiving on it... */
	UT_EQ(sys_send(w->cmd, &m), 0);
	UT_EQ(sys_thread_info(w->p.thread, &ti), 0);
	UT_EQ(ti.state, TS_BLOCKED_RECV);
	/* ...until the endpoint's last capability goes with the account. */
	UT_EQ(sys_cap_revoke(CPTR_SELF, acct), 0);
	UT_EQ(sys_recv(w->report, &r), 0);
	UT_EQ(r.badge, WK_BADGE_REPORT);
	UT_EQ((int)r.mr[0], E_CANCELLED);
	/* Same for a blocked caller. */
	UT_EQ(sys_obj_create(acct, CAP_ENDPOINT, CPTR_SELF, ep, 0), 0);
	UT_EQ(sys_cap_mint(ep, w->p.cspace, WK_FIRST_FREE + 6, R_WRITE, 7, 0), 0);
	m.info = MSG_INFO(WK_CALL, 1, 0);
	UT_EQ(sys_send(w->cmd, &m), 0);
	UT_EQ(sys_thread_info(w->p.thread, &ti), 0);
	UT_EQ(ti.state, TS_BLOCKED_SEND);
	UT_EQ(sys_cap_revoke(CPTR_SELF, acct), 0);
	UT_EQ(sys_recv(w->report, &r), 0);
	UT_EQ((int)r.mr[0], E_CANCELLED);
	UT_EQ(sys_cap_delete(CPTR_SELF, acct), 0);
}

/* Generic timer virtual count (CNTVCT), readable from user mode. */
static uint64_t vcount(void)
{
	uint32_t lo, hi;

	__asm__ volatile("isb; mrrc p15, 1, %0, %1, c14" : "=r"(lo), "=r"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint32_t vfreq(void)
{
	uint32_t f;

	__asm__ volatile("mrc p15, 0, %0, c14, c0, 0" : "=r"(f));
	return f;
}

#define BIG_N 100000u

static void test_revoke_100k_preemptible(struct utest *t)
{
	const struct bootinfo_dev *dev = root_device("pl031");
	cptr_t cs = slot_alloc(), x = slot_alloc(), own[10];
	uint32_t heap_limit, heap_used, ticks0, ticks1, pre0, pre1, hz;
	uint64_t c0, c1, periods;
	int err;

	if (!dev) {
		t->skip = "no pl031 device range";
		return;
	}
	/* 100,000 capabilities need about 4.3 MB of kernel heap. */
	UT_EQ(sys_quota_info(SLOT_ACCOUNT, POOL_ID_KHEAP, &heap_limit, &heap_used, NULL), 0);
	if (heap_limit - heap_used < 5u << 20) {
		t->skip = "kernel heap quota below 5 MiB (RAM too small)";
		return;
	}
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_CSPACE, CPTR_SELF, cs, 1u << 17), 0);
	UT_EQ(sys_cap_copy(dev->slot, CPTR_SELF, x), 0);
	for (uint32_t i = 1; i <= BIG_N - 10; i++) {
		err = sys_cap_copy(x, cs, i);
		if (err) {
			utest_fail(t, __FILE__, __LINE__, "copy %u: %d", (unsigned)i, err);
			return;
		}
	}
	for (int i = 0; i < 10; i++) {
		own[i] = copy_of(x);
		UT_ASSERT(own[i]);
	}
	UT_EQ(sys_system_info(SYSINFO_TICKS, &ticks0), 0);
	UT_EQ(sys_system_info(SYSINFO_TICK_HZ, &hz), 0);
	UT_EQ(sys_system_info(SYSINFO_PREEMPTIONS, &pre0), 0);
	c0 = vcount();
	UT_EQ(sys_cap_revoke(CPTR_SELF, x), 0);
	c1 = vcount();
	UT_EQ(sys_system_info(SYSINFO_TICKS, &ticks1), 0);
	UT_EQ(sys_system_info(SYSINFO_PREEMPTIONS, &pre1), 0);
	for (int i = 0; i < 10; i++)
		UT_EQ(sys_cap_inspect(own[i], NULL), E_NOCAP);
	/* The bound: at most 64 deletions between two looks for a pending
	 * interrupt, so the timer is served all along: every tick period
	 * that passed during the revoke was counted (one may be in flight). */
	periods = (c1 - c0) * hz / vfreq();
	uprintf("    # revoke of %u: %llu timer periods, %u ticks served, %u preemptions\n",
		BIG_N, (unsigned long long)periods, (unsigned)(ticks1 - ticks0),
		(unsigned)(pre1 - pre0));
	/* Several CPUs: a tick that comes while this CPU waits for the
	 * kernel lock (an emulated CPU holding it may be descheduled by the
	 * host) can merge with the next one; each is still served. */
	{
		struct sysregs r = { { SYSINFO_CPUS } };
		bool smp = !cairn_syscall(SYS_SYSTEM_INFO, &r) && r.r[1] > 1;

		UT_ASSERT(smp ? 2 * (ticks1 - ticks0 + 1) >= periods : ticks1 - ticks0 + 1 >= periods);
	}
	if (periods >= 2)
		UT_ASSERT(pre1 > pre0);
	UT_EQ(sys_cap_delete(CPTR_SELF, cs), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, x), 0);
}

static void test_revoke_errors(struct utest *t)
{
	cptr_t empty = slot_alloc();

	UT_EQ(sys_cap_revoke(CPTR_SELF, empty), E_NOCAP);
	UT_EQ(sys_cap_revoke(CPTR_SELF, SLOT_ACCOUNT), E_PERM);     /* an original */
	UT_EQ(sys_cap_revoke(CPTR_SELF, bootinfo->dev[0].slot), E_PERM);
	UT_EQ(sys_cap_revoke(CPTR_SELF, CPTR_NULL), E_RANGE);
	UT_EQ(sys_cap_revoke(CPTR_SELF, bootinfo->cspace_slots), E_RANGE);
	UT_EQ(sys_cap_revoke(SLOT_VSPACE, 20), E_TYPE);             /* not a CSpace */
	UT_EQ(sys_cap_delete(CPTR_SELF, empty), E_NOCAP);
}

static void test_nothing_reachable_after_revoke(struct utest *t)
{
	struct worker *w = worker(t);
	cptr_t m, i, gone;
	struct msg r;

	if (!w)
		return;
	m = new_mem(t, 0);
	i = copy_of(m);
	gone = copy_of(i);
	UT_ASSERT(m && i && gone);
	UT_EQ(sys_cap_mint(i, w->p.cspace, WK_FIRST_FREE + 7, R_READ, 0, 0), 0);
	UT_EQ(sys_cap_revoke(CPTR_SELF, i), 0);
	UT_EQ(worker_cmd(w, WK_MAP, WK_FIRST_FREE + 7, WORKER_VA + 0x200000, R_READ, &r), 0);
	UT_EQ((int)r.mr[0], E_NOCAP);
	UT_EQ(sys_cap_copy(gone, CPTR_SELF, slot_alloc()), E_NOCAP);
	UT_EQ(sys_map(SLOT_VSPACE, gone, ROOT_VA, R_READ, ATTR_DEFAULT), E_NOCAP);
	UT_EQ(sys_cap_mint(gone, CPTR_SELF, slot_alloc(), R_READ, 0, 0), E_NOCAP);
}

/*
 * After everything above (processes made and gone, mappings revoked,
 * blocked calls cancelled, 100,000 descendants revoked): every invariant
 * walker of the kernel is clean; and the call is refused without the
 * system capability's read right.
 */
static void test_kernel_invariants_hold(struct utest *t)
{
	uint32_t walkers = 0, items = 0;
	char name[16];
	cptr_t ro = slot_alloc(), none = slot_alloc();
	int err;

	err = sys_kcheck(SLOT_SYSTEM, &walkers, &items, name);
	if (err) {
		utest_fail(t, __FILE__, __LINE__, "kcheck: %d, walker %u (%s)", err,
			   (unsigned)walkers, name);
		return;
	}
	UT_ASSERT(walkers >= 10);
	UT_ASSERT(items > 1000);
	UT_EQ(sys_cap_mint(SLOT_SYSTEM, CPTR_SELF, none, R_WRITE, 0, 0), 0);
	UT_EQ(sys_kcheck(none, NULL, NULL, NULL), E_PERM);
	UT_EQ(sys_kcheck(SLOT_CSPACE, NULL, NULL, NULL), E_TYPE);
	UT_EQ(sys_kcheck(ro, NULL, NULL, NULL), E_NOCAP);
	UT_EQ(sys_cap_delete(CPTR_SELF, none), 0);
}

static const struct utest_case cases[] = {
	UT_CASE(test_revoke_reaches_other_process),
	UT_CASE(test_mapped_ram_faults_after_revoke),
	UT_CASE(test_mapped_device_faults_after_revoke),
	UT_CASE(test_siblings_and_ancestors_survive),
	UT_CASE(test_revoke_intermediate),
	UT_CASE(test_memory_and_quota_return),
	UT_CASE(test_blocked_ipc_cancelled),
	UT_CASE(test_revoke_100k_preemptible),
	UT_CASE(test_revoke_errors),
	UT_CASE(test_nothing_reachable_after_revoke),
	UT_CASE(test_kernel_invariants_hold),
};

static const struct utest_suite suite_cap_revoke = {
	.name = "cap_revoke",
	.cases = cases,
	.ncases = sizeof(cases) / sizeof(cases[0]),
	.beside_servers = true,
};
UTEST_REGISTER(suite_cap_revoke, 10);
