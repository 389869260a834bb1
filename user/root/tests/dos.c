/*
 * dos: a hostile process cannot starve the others.
 *
 * The attacker is a utest worker with an account of its own (a small
 * quota carved from the root task's), its own CSpace and address space;
 * the victim is the root task itself (another account, another process)
 * and whatever it starts from its own account. Each case lets the
 * attacker do its worst and checks what the victim still gets:
 *
 *  - quota exhaustion: every kind of kernel object and memory the
 *    attacker can make, until its quota says E_NOMEM; the victim still
 *    makes the same, the pools still hold the victim's reserve, and once
 *    the attacker is gone every quota and free figure is exactly back;
 *  - CPU: spinners at the victim's priority take their round-robin share
 *    and no more, one at a lower priority takes nothing;
 *  - IPC flood: calls and signals as fast as the attacker can make them
 *    leave the victim's round trips their latency and half the CPU;
 *  - create/revoke churn with thousands of descendants: revocation is
 *    preemptible, so the victim's longest wait stays one time slice.
 *
 * Timing outside -icount follows the host's clock, so the bounds are
 * ratios and shares of work counted in the same loop, with the slack the
 * design allows (docs/reliability.md, "Denial of service").
 */
#include "root.h"

#include <stdlib.h>
#include <string.h>

#define DOS_SLICE_TICKS 2       /* round robin within a priority (docs/abi.md) */
#define DOS_WINDOW 40           /* ticks measured per figure */
#define DOS_SHARED_VA 0x80000000u   /* the counters page, in the victim and the attackers */

static uint32_t info(unsigned what)
{
	uint32_t v = 0;

	sys_system_info(what, &v);
	return v;
}

static uint32_t ticks(void)
{
	return info(SYSINFO_TICKS);
}

/* In a `bench` boot (dos_bench) the key figures are also printed as
 * tools/bench lines. */
static bool bench_mode;

static void figure(const char *name, unsigned v, const char *unit, const char *desc)
{
	if (bench_mode)
		uprintf("bench: %s %u %s # %s\n", name, v, unit, desc);
}

/* The kernel log's end now (an offset for log_errors_since). */
static uint32_t log_end(void)
{
	static char buf[1024];
	uint32_t pos = 0, got = 0, next = 0;

	while (!sys_log_read(SLOT_SYSTEM, buf, sizeof(buf), pos, &got, &next) && got)
		pos = next;
	return pos;
}

/* How many lines at error level the kernel logged from offset pos on
 * (a destruction that went wrong says so there, e.g. an object it could
 * not free or an account that died with memory charged). */
static unsigned log_errors_since(uint32_t pos)
{
	static char buf[1024 + 8];
	static const char what[] = "error: ";
	uint32_t got = 0, next = 0;
	unsigned n = 0, keep = 0, total;

	while (!sys_log_read(SLOT_SYSTEM, buf + keep, sizeof(buf) - 8 - 1, pos, &got, &next) &&
	       got) {
		char *p = buf;

		buf[keep + got] = 0;
		while ((p = strstr(p, what)) != NULL) {
			n++;
			p += sizeof(what) - 1;
		}
		/* A word cut at the end of this piece is found in the next
		 * (the bytes kept are shorter than the word: no match twice). */
		total = keep + got;
		keep = total < sizeof(what) - 2 ? total : sizeof(what) - 2;
		memmove(buf, buf + total - keep, keep);
		pos = next;
	}
	return n;
}

/* ------------------------------------------------------------ attackers */

struct attacker {
	cptr_t acct;            /* the root's capability of the attacker's account */
	cptr_t shared;          /* the counters page mapped into it (0: none) */
	struct worker w;
};

/* An attacker: an account of `direct` pages and `heap` bytes carved from
 * the root's, a utest worker paid from it with a CSpace of `cslots` at
 * `prio`, and a copy of the account at its WK_ACCOUNT. */
static int attacker_new(struct attacker *a, uint32_t direct, uint32_t heap, unsigned cslots,
			unsigned prio)
{
	struct worker *w = &a->w;
	int err;

	a->acct = slot_alloc();
	a->shared = CPTR_NULL;
	err = worker_endpoints(w, WK_BADGE_FAULT);
	if (!err)
		err = sys_quota_carve(SLOT_ACCOUNT, CPTR_SELF, a->acct, direct, 0, 0, heap);
	if (err)
		return err;
	err = spawn_paid(a->acct, "utest", cslots, prio, w->fault, &w->p);
	if (!err)
		err = sys_cap_mint(w->cmd, w->p.cspace, WK_CMD, R_READ, 0, 0);
	if (!err)
		err = sys_cap_mint(w->report, w->p.cspace, WK_REPORT, R_WRITE, WK_BADGE_REPORT, 0);
	if (!err)
		err = sys_cap_copy(w->p.vspace, w->p.cspace, WK_VSPACE);
	if (!err)
		err = sys_cap_copy(a->acct, w->p.cspace, WK_ACCOUNT);
	if (!err)
		err = proc_start(&w->p, 0);
	return err;
}

static cptr_t dos_drain;        /* an endpoint without children */

/* Everything of the attacker goes: its process, then whatever its account
 * paid for (revoke), then the account itself. Destruction a delete
 * queued may still be under way at the kernel's exit (the reaper stops
 * for interrupts); a revoke returns only when the queue is empty, so one
 * of a capability without children waits for all of it. */
static int attacker_free(struct attacker *a)
{
	int err;

	worker_free(&a->w);
	/* The root's mapping capability keeps the address space (and so
	 * the account) alive: it goes first. */
	if (a->shared)
		sys_cap_delete(CPTR_SELF, a->shared);
	err = sys_cap_revoke(CPTR_SELF, a->acct);
	if (!err)
		err = sys_cap_delete(CPTR_SELF, a->acct);
	if (!err)
		err = sys_cap_revoke(CPTR_SELF, dos_drain);
	return err;
}

/* Send a command that never reports (spin, flood, churn). */
static int attacker_go(struct attacker *a, unsigned cmd, uint32_t a0, uint32_t a1, uint32_t a2)
{
	struct msg m = { MSG_INFO(cmd, 3, 0), { a0, a1, a2, 0 }, 0 };

	return sys_send(a->w.cmd, &m);
}

/* Map a child of the counters page `page` into the attacker at DOS_SHARED_VA. */
static int attacker_share(struct attacker *a, cptr_t page)
{
	cptr_t c = slot_alloc();
	int err = c ? sys_cap_mint(page, CPTR_SELF, c, R_READ | R_WRITE, 0, 0) : E_NOMEM;

	if (!err)
		a->shared = c;
	return err ? err : sys_map(a->w.p.vspace, c, DOS_SHARED_VA, R_READ | R_WRITE, ATTR_DEFAULT);
}

/* ------------------------------------------------------------ figures */

struct figures {
	uint32_t used[POOL_IDS], carved[POOL_IDS];      /* the root's account */
	uint32_t pool_free[POOL_IDS];                   /* SYSINFO_POOL */
	uint32_t heap_free;                             /* SYSINFO_HEAP_FREE */
};

static void figures_get(struct figures *f)
{
	for (unsigned p = 0; p < POOL_IDS; p++) {
		uint32_t limit;

		sys_quota_info(SLOT_ACCOUNT, p, &limit, &f->used[p], &f->carved[p]);
		f->pool_free[p] = info(SYSINFO_POOL + p);
	}
	f->heap_free = info(SYSINFO_HEAP_FREE);
}

/* Units of a pool charged to all quotas (SYSINFO_POOL r2). */
static uint32_t pool_charged(unsigned pool)
{
	struct sysregs r = { { SYSINFO_POOL + pool } };

	return cairn_syscall(SYS_SYSTEM_INFO, &r) ? 0 : r.r[2];
}

static uint32_t used_of(cptr_t acct, unsigned pool)
{
	uint32_t limit = 0, used = 0, carved = 0;

	sys_quota_info(acct, pool, &limit, &used, &carved);
	return used;
}

static uint32_t available(cptr_t acct, unsigned pool)
{
	uint32_t limit = 0, used = 0, carved = 0;

	sys_quota_info(acct, pool, &limit, &used, &carved);
	return limit - used - carved;
}

/* ------------------------------------------------------------ quota exhaustion */

#define EX_DIRECT 48            /* the attacker's quota: pages */
#define EX_HEAP 32768           /* and heap bytes */
#define EX_CSLOTS 8192

static const char *const ex_name[WK_EX_KINDS] = {
	"endpoints", "notifications", "threads", "cspaces", "vspaces", "pages",
	"page tables", "cspace leaves",
};

/* The victim makes one of what the attacker could no longer make. */
static int victim_makes(unsigned kind, cptr_t s1, cptr_t s2)
{
	static const unsigned type[] = { CAP_ENDPOINT, CAP_NOTIFICATION, CAP_THREAD, CAP_CSPACE,
					 CAP_VSPACE };
	int err;

	if (kind < WK_EX_MEM)
		return sys_obj_create(SLOT_ACCOUNT, type[kind], CPTR_SELF, s1,
				      kind == WK_EX_CSPACE ? 64 : 0) ?:
		       sys_cap_delete(CPTR_SELF, s1);
	if (kind == WK_EX_LEAVES)
		return sys_cap_copy(SLOT_ACCOUNT, CPTR_SELF, s1) ?: sys_cap_delete(CPTR_SELF, s1);
	/* Memory, mapped (a page table of the root's own if it needs one). */
	err = sys_mem_alloc(SLOT_ACCOUNT, POOL_ID_DIRECT, 0, CPTR_SELF, s1);
	if (!err)
		err = sys_cap_mint(s1, CPTR_SELF, s2, R_READ | R_WRITE, 0, 0);
	if (!err)
		err = sys_map(SLOT_VSPACE, s2, DOS_SHARED_VA + 0x00200000u, R_READ | R_WRITE,
			      ATTR_DEFAULT);
	if (!err) {
		*(volatile uint32_t *)(DOS_SHARED_VA + 0x00200000u) = 1;
		err = sys_unmap(s2);
	}
	sys_cap_delete(CPTR_SELF, s2);
	return err ?: sys_cap_delete(CPTR_SELF, s1);
}

/* One round: a fresh attacker exhausts each kind in turn, the victim
 * checks it still gets the same, the attacker's objects are revoked;
 * then the attacker goes. Returns through *t; `say` prints the counts. */
static void exhaust_round(struct utest *t, bool say)
{
	struct attacker a;
	struct msg r;
	cptr_t s1 = slot_alloc(), s2 = slot_alloc();

	UT_EQ(attacker_new(&a, EX_DIRECT, EX_HEAP, EX_CSLOTS, WORKER_PRIO), 0);
	for (unsigned k = 0; k < WK_EX_KINDS; k++) {
		/* Objects go three times: the CSpace leaves that hold them
		 * stay (paid from the attacker's quota), so the second and
		 * third run must agree exactly: same count, same quota used
		 * after the revoke. Page tables and leaves go once (they
		 * stay with the address space and the CSpace). */
		unsigned runs = k < WK_EX_TABLES ? 3 : 1;
		uint32_t count[3] = { 0 }, kept_heap[3] = { 0 }, kept_direct[3] = { 0 };

		for (unsigned run = 0; run < runs; run++) {
			uint32_t heap, direct, heap0, direct0, charged_heap, charged_direct;

			heap0 = used_of(a.acct, POOL_ID_KHEAP);
			direct0 = used_of(a.acct, POOL_ID_DIRECT);
			charged_heap = pool_charged(POOL_ID_KHEAP);
			charged_direct = pool_charged(POOL_ID_DIRECT);
			UT_EQ(worker_cmd(&a.w, WK_EXHAUST, k, WK_FIRST_FREE, EX_CSLOTS, &r), 0);
			heap = used_of(a.acct, POOL_ID_KHEAP);
			direct = used_of(a.acct, POOL_ID_DIRECT);
			/* Everything it caused was charged to its own account:
			 * the pools' charges (all quotas) grew by exactly what
			 * its quota did. */
			UT_EQ(pool_charged(POOL_ID_KHEAP) - charged_heap, heap - heap0);
			UT_EQ(pool_charged(POOL_ID_DIRECT) - charged_direct, direct - direct0);
			if (say && run == runs - 1)
				ktap_diag("dos: attacker made %u %s, then %d; quota used heap "
					  "%u/%u, direct %u/%u", (unsigned)r.mr[1], ex_name[k],
					  (int)r.mr[0], (unsigned)heap, EX_HEAP, (unsigned)direct,
					  EX_DIRECT);
			UT_EQ((int)r.mr[0], E_NOMEM);   /* the quota said no ... */
			UT_ASSERT(r.mr[1] > 0);         /* ... after it said yes */
			UT_ASSERT(heap <= EX_HEAP && direct <= EX_DIRECT);
			/* The victim still gets the same; the pools still hold
			 * what the victim's quota promises. */
			UT_EQ(victim_makes(k, s1, s2), 0);
			UT_ASSERT(info(SYSINFO_POOL + POOL_ID_KHEAP) >=
				  available(SLOT_ACCOUNT, POOL_ID_KHEAP));
			UT_ASSERT(info(SYSINFO_POOL + POOL_ID_DIRECT) >=
				  available(SLOT_ACCOUNT, POOL_ID_DIRECT));
			/* Revoke what the attacker made: its quota comes back. */
			UT_EQ(sys_cap_revoke(a.w.p.cspace, WK_ACCOUNT), 0);
			UT_EQ(sys_cap_revoke(a.w.p.cspace, WK_CMD), 0);
			count[run] = r.mr[1];
			kept_heap[run] = used_of(a.acct, POOL_ID_KHEAP);
			kept_direct[run] = used_of(a.acct, POOL_ID_DIRECT);
		}
		if (runs == 3) {
			UT_EQ(count[2], count[1]);
			UT_EQ(kept_heap[2], kept_heap[1]);
			UT_EQ(kept_direct[2], kept_direct[1]);
		}
	}
	UT_EQ(attacker_free(&a), 0);
}

static void test_quota_exhaustion(struct utest *t)
{
	struct figures before, after;
	uint32_t log0;
	cptr_t first;

	dos_drain = slot_alloc();
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, dos_drain, 0), 0);
	first = slot_alloc();

	/* Round 1 brings the root's CSpace leaves and the object caches to
	 * their working size; round 2, over the same slots, must leave
	 * every figure exactly as it found it. */
	slots_init(first, bootinfo->cspace_slots);
	exhaust_round(t, false);
	if (t->failed)
		return;
	slots_init(first, bootinfo->cspace_slots);
	figures_get(&before);
	log0 = log_end();
	exhaust_round(t, true);
	if (t->failed)
		return;
	figures_get(&after);
	UT_EQ(log_errors_since(log0), 0);
	for (unsigned p = 0; p < POOL_IDS; p++) {
		UT_EQ(after.used[p], before.used[p]);
		UT_EQ(after.carved[p], before.carved[p]);
		UT_EQ(after.pool_free[p], before.pool_free[p]);
	}
	UT_EQ(after.heap_free, before.heap_free);
	ktap_diag("dos: after the attacker: heap free %u B, direct free %u pages, as before",
		  (unsigned)after.heap_free, (unsigned)after.pool_free[POOL_ID_DIRECT]);
}

/* ------------------------------------------------------------ CPU */

struct spin_result {
	uint32_t victim;        /* loop iterations of the victim */
	uint32_t others;        /* of the spinners (shared counters) */
	uint32_t max_gap;       /* longest stretch in ticks between two looks of the victim */
	uint32_t ticks;
};

/* The victim's work: the spinners' loop (utest's WK_SPIN), adding to
 * ctr[DOS_VICTIM], for DOS_WINDOW ticks; the others' work is what the
 * first n words of ctr gained meanwhile. */
#define DOS_VICTIM 15
static void victim_spin(volatile uint32_t *ctr, unsigned n, struct spin_result *res)
{
	uint32_t start, now, last, before = 0, after = 0, mine;

	start = ticks();
	while ((now = ticks()) == start)
		;
	start = last = now;
	mine = ctr[DOS_VICTIM];
	for (unsigned i = 0; i < n; i++)
		before += ctr[i];
	res->max_gap = 0;
	do {
		for (unsigned i = 0; i < 1024; i++)
			ctr[DOS_VICTIM]++;
		now = ticks();
		if (now - last > res->max_gap)
			res->max_gap = now - last;
		last = now;
	} while (now - start < DOS_WINDOW);
	for (unsigned i = 0; i < n; i++)
		after += ctr[i];
	res->victim = ctr[DOS_VICTIM] - mine;
	res->others = after - before;
	res->ticks = now - start;
}

static void test_cpu_spinners(struct utest *t)
{
	struct attacker a[4];
	cptr_t page = slot_alloc(), mine = slot_alloc();
	volatile uint32_t *ctr = (volatile uint32_t *)DOS_SHARED_VA;
	struct spin_result alone, with[4], low;
	unsigned made = 0;

	UT_EQ(sys_mem_alloc(SLOT_ACCOUNT, POOL_ID_DIRECT, 0, CPTR_SELF, page), 0);
	UT_EQ(sys_cap_mint(page, CPTR_SELF, mine, R_READ | R_WRITE, 0, 0), 0);
	UT_EQ(sys_map(SLOT_VSPACE, mine, DOS_SHARED_VA, R_READ | R_WRITE, ATTR_DEFAULT), 0);
	victim_spin(ctr, 0, &alone);
	/* Spinners at the victim's own priority, one then three. */
	for (unsigned k = 1; k <= 3; k += 2) {
		unsigned share_pm, ratio_pm;

		for (; made < k; made++) {
			UT_EQ(attacker_new(&a[made], 32, 16384, 64, ROOT_PRIO), 0);
			UT_EQ(attacker_share(&a[made], page), 0);
			UT_EQ(attacker_go(&a[made], WK_SPIN, DOS_SHARED_VA + 4 * made, 0, 0), 0);
		}
		victim_spin(ctr, k, &with[k]);
		share_pm = (unsigned)(1000ull * with[k].victim / (with[k].victim + with[k].others));
		ratio_pm = (unsigned)(1000ull * with[k].victim / alone.victim);
		ktap_diag("dos: cpu: %u spinner%s at the victim's priority: victim share %u/1000 "
			  "(fair %u), throughput %u/1000 of alone, longest wait %u ticks",
			  k, k == 1 ? "" : "s", share_pm, 1000 / (k + 1), ratio_pm,
			  (unsigned)with[k].max_gap);
		/* Round robin: the victim does 1/(k+1) of all the work of one
		 * loop, give or take half (a turn is 2 ticks of a 40-tick
		 * window, and the host's speed varies from turn to turn);
		 * between two looks at the clock it waits at most the k
		 * others' turns and the tick that ended its own. Its
		 * throughput against alone's is the same share measured on
		 * the host's clock: only bounded below (host noise). */
		figure(k == 1 ? "dos_cpu_share_1_spinner" : "dos_cpu_share_3_spinners", share_pm,
		       "permille", k == 1 ? "victim's share of the work beside 1 spinner (fair 500)"
					  : "victim's share of the work beside 3 spinners (fair 250)");
		figure(k == 1 ? "dos_cpu_wait_1_spinner" : "dos_cpu_wait_3_spinners",
		       (unsigned)with[k].max_gap, "ticks",
		       k == 1 ? "victim's longest wait beside 1 spinner (bound 3)"
			      : "victim's longest wait beside 3 spinners (bound 7)");
		UT_ASSERT(share_pm >= 500 / (k + 1) && share_pm <= 1500 / (k + 1));
		UT_ASSERT(with[k].max_gap <= DOS_SLICE_TICKS * k + 1);
		UT_ASSERT(ratio_pm >= 250 / (k + 1));
	}
	/* The console still answers while three spin beside it. */
	{
		uint32_t t0 = ticks();

		ktap_diag("dos: cpu: the root task still writes while 3 spin beside it");
		UT_ASSERT(ticks() - t0 <= DOS_SLICE_TICKS * 3 + 1);
	}
	for (unsigned i = 0; i < made; i++)
		UT_EQ(attacker_free(&a[i]), 0);
	/* A spinner below the victim's priority never runs while it works. */
	UT_EQ(attacker_new(&a[0], 32, 16384, 64, ROOT_PRIO - 1), 0);
	UT_EQ(attacker_share(&a[0], page), 0);
	UT_EQ(attacker_go(&a[0], WK_SPIN, DOS_SHARED_VA, 0, 0), 0);
	victim_spin(ctr, 1, &low);
	ktap_diag("dos: cpu: a spinner one priority below: its work %u, victim %u/1000 of alone",
		  (unsigned)low.others, (unsigned)(1000ull * low.victim / alone.victim));
	figure("dos_cpu_low_spinner_work", (unsigned)low.others, "loops",
	       "work of a spinner one priority below the victim");
	UT_EQ(low.others, 0);
	UT_ASSERT(low.max_gap <= 1);
	UT_EQ(attacker_free(&a[0]), 0);
	UT_EQ(sys_unmap(mine), 0);
	UT_EQ(sys_cap_revoke(CPTR_SELF, page), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, page), 0);
}

/* ------------------------------------------------------------ IPC flood */

struct rtt_result {
	uint32_t calls;         /* round trips completed in the window */
	uint32_t median, max;   /* cycles per round trip */
};

#define RTT_SAMPLES 512

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void victim_calls(cptr_t ep, struct rtt_result *res)
{
	static uint32_t sample[RTT_SAMPLES];
	uint32_t start, now;

	res->calls = res->max = 0;
	start = ticks();
	while ((now = ticks()) == start)
		;
	start = now;
	do {
		struct msg m = { MSG_INFO(1, 1, 0), { res->calls, 0, 0, 0 }, 0 };
		uint32_t c0 = info(SYSINFO_CYCLES_LO), d;

		sys_call(ep, &m);
		d = info(SYSINFO_CYCLES_LO) - c0;
		sample[res->calls % RTT_SAMPLES] = d;
		if (d > res->max)
			res->max = d;
		res->calls++;
		now = ticks();
	} while (now - start < DOS_WINDOW);
	qsort(sample, res->calls < RTT_SAMPLES ? res->calls : RTT_SAMPLES, sizeof(sample[0]),
	      cmp_u32);
	res->median = sample[(res->calls < RTT_SAMPLES ? res->calls : RTT_SAMPLES) / 2];
}

static void test_ipc_flood(struct utest *t)
{
	struct worker server;
	struct attacker a;
	cptr_t ep = slot_alloc(), nt = slot_alloc();
	struct rtt_result alone, flood[2];
	static const char *const how[2] = { "calls to the victim's server",
					    "signals to a notification the victim holds" };

	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, ep, 0), 0);
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, nt, 0), 0);
	/* The victim's server: another process of the victim's account. */
	UT_EQ(worker_new(&server, true), 0);
	UT_EQ(sys_cap_mint(ep, server.p.cspace, WK_FIRST_FREE, R_READ, 0, 0), 0);
	{
		struct msg m = { MSG_INFO(WK_SERVE, 1, 0), { WK_FIRST_FREE, 0, 0, 0 }, 0 };

		UT_EQ(sys_send(server.cmd, &m), 0);
	}
	victim_calls(ep, &alone);
	UT_ASSERT(alone.calls > 0);
	for (unsigned mode = 0; mode < 2; mode++) {
		unsigned served_pm, median_pm;
		uint32_t bits;

		UT_EQ(attacker_new(&a, 32, 16384, 64, ROOT_PRIO), 0);
		UT_EQ(sys_cap_mint(mode ? nt : ep, a.w.p.cspace, WK_FIRST_FREE, R_WRITE, 0x66, 0), 0);
		UT_EQ(attacker_go(&a, WK_FLOOD, WK_FIRST_FREE, mode, 0), 0);
		victim_calls(ep, &flood[mode]);
		UT_EQ(sys_thread_suspend(a.w.p.thread), 0);
		if (mode) {
			/* The attacker's signals arrived: the word holds its badge. */
			UT_EQ(sys_poll(nt, &bits), 0);
			UT_EQ(bits, 0x66);
		}
		UT_EQ(attacker_free(&a), 0);
		served_pm = (unsigned)(1000ull * flood[mode].calls / alone.calls);
		median_pm = (unsigned)(1000ull * flood[mode].median / alone.median);
		ktap_diag("dos: ipc: flood of %s: victim served %u/1000 of alone (%u of %u "
			  "calls in %u ticks)", how[mode], served_pm, (unsigned)flood[mode].calls,
			  (unsigned)alone.calls, DOS_WINDOW);
		ktap_diag("dos: ipc: median round trip %u/1000 of alone (%u cycles), longest %u "
			  "cycles (alone %u)", median_pm, (unsigned)alone.median,
			  (unsigned)flood[mode].max, (unsigned)alone.max);
		/* A round trip of the victim waits behind at most one of the
		 * attacker's (the server runs above both, the endpoint queue
		 * is FIFO): the median stays within twice alone's. Signals
		 * are the attacker's own work: half the CPU, give or take
		 * half. Calls are mostly the server's work, and a tick that
		 * lands in the server counts for the server, not for the
		 * caller's turn: the attacker's turns stretch more than the
		 * victim's (whose loop also reads the clock), so only a
		 * tenth is asserted (docs/reliability.md). */
		figure(mode ? "dos_ipc_served_signal_flood" : "dos_ipc_served_call_flood", served_pm,
		       "permille", mode ? "victim's calls beside a signal flood, of alone"
					: "victim's calls beside a call flood, of alone");
		figure(mode ? "dos_ipc_median_signal_flood" : "dos_ipc_median_call_flood", median_pm,
		       "permille", "victim's median round trip beside the flood, of alone");
		figure(mode ? "dos_ipc_longest_signal_flood" : "dos_ipc_longest_call_flood",
		       (unsigned)flood[mode].max, "insns", "victim's longest round trip beside the flood");
		UT_ASSERT(served_pm >= (mode ? 250 : 100));
		UT_ASSERT(median_pm <= 2000);
	}
	worker_free(&server);
}

/* ------------------------------------------------------------ create/revoke churn */

#define CHURN_COPIES 2048
#define DOS_CHURN_VA (DOS_SHARED_VA + 0x00400000u)     /* the victim's view */

static void test_revoke_churn(struct utest *t)
{
	struct attacker a;
	cptr_t page = slot_alloc(), mine = slot_alloc();
	volatile uint32_t *rounds = (volatile uint32_t *)DOS_CHURN_VA;
	struct spin_result alone, churn;
	struct figures before, after;
	uint32_t pre0, pre1, r0, r1, log0;
	cptr_t first;

	UT_EQ(sys_mem_alloc(SLOT_ACCOUNT, POOL_ID_DIRECT, 0, CPTR_SELF, page), 0);
	UT_EQ(sys_cap_mint(page, CPTR_SELF, mine, R_READ | R_WRITE, 0, 0), 0);
	UT_EQ(sys_map(SLOT_VSPACE, mine, DOS_CHURN_VA, R_READ | R_WRITE, ATTR_DEFAULT), 0);
	victim_spin(rounds, 0, &alone);
	/* A first attacker brings the root's own tables and leaves to
	 * their working size. The second reuses its slots: on fresh ones
	 * it could cross into a CSpace leaf of the root's not grown yet
	 * (2.5 KiB of the root's heap), depending only on how many slots
	 * the suites before it took. */
	first = slots_mark();
	UT_EQ(attacker_new(&a, 32, 262144, CHURN_COPIES + 64, ROOT_PRIO), 0);
	UT_EQ(attacker_share(&a, page), 0);
	UT_EQ(attacker_free(&a), 0);
	slots_release(first);
	figures_get(&before);
	log0 = log_end();
	UT_EQ(attacker_new(&a, 32, 262144, CHURN_COPIES + 64, ROOT_PRIO), 0);
	UT_EQ(attacker_share(&a, page), 0);
	UT_EQ(attacker_go(&a, WK_CHURN, WK_FIRST_FREE, CHURN_COPIES, DOS_SHARED_VA), 0);
	pre0 = info(SYSINFO_PREEMPTIONS);
	r0 = *rounds;
	victim_spin(rounds, 0, &churn);
	r1 = *rounds;
	pre1 = info(SYSINFO_PREEMPTIONS);
	/* Stopped wherever it was (a CSpace holding capabilities with
	 * children, a revoke half done): all it had comes back. */
	UT_EQ(attacker_free(&a), 0);
	figures_get(&after);
	for (unsigned p = 0; p < POOL_IDS; p++) {
		UT_EQ(after.used[p], before.used[p]);
		UT_EQ(after.carved[p], before.carved[p]);
	}
	UT_EQ(log_errors_since(log0), 0);
	ktap_diag("dos: churn: %u rounds of create, %u copies, revoke beside the victim; "
		  "%u revocations preempted; victim throughput %u/1000 of alone, longest wait "
		  "%u ticks", (unsigned)(r1 - r0), CHURN_COPIES, (unsigned)(pre1 - pre0),
		  (unsigned)(1000ull * churn.victim / alone.victim), (unsigned)churn.max_gap);
	figure("dos_churn_throughput", (unsigned)(1000ull * churn.victim / alone.victim),
	       "permille", "victim's work beside create/2048 copies/revoke, of alone");
	figure("dos_churn_wait", (unsigned)churn.max_gap, "ticks",
	       "victim's longest wait beside the churn (bound 3)");
	figure("dos_churn_preempted", (unsigned)(pre1 - pre0), "revokes",
	       "revocations preempted during the churn window");
	UT_ASSERT(r1 - r0 > 0);                 /* the attacker did churn */
	UT_ASSERT(churn.max_gap <= DOS_SLICE_TICKS + 1);
	UT_ASSERT(1000ull * churn.victim / alone.victim >= 250);
	UT_EQ(sys_unmap(mine), 0);
	UT_EQ(sys_cap_revoke(CPTR_SELF, page), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, page), 0);
}

/* The `bench` boot (root_bench): the CPU, IPC and churn cases under
 * -icount, where ticks and the cycle counter count instructions and
 * every figure is the same on every run. */
void dos_bench(void)
{
	struct utest t = { false, NULL };

	bench_mode = true;
	dos_drain = slot_alloc();
	if (sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, dos_drain, 0)) {
		uprintf("bench: dos setup failed\n");
		return;
	}
	test_cpu_spinners(&t);
	if (!t.failed)
		test_ipc_flood(&t);
	if (!t.failed)
		test_revoke_churn(&t);
	if (t.failed)
		uprintf("bench: dos a case failed (see the lines above)\n");
	bench_mode = false;
}

static const struct utest_case cases[] = {
	UT_CASE(test_quota_exhaustion),
	UT_CASE(test_cpu_spinners),
	UT_CASE(test_ipc_flood),
	UT_CASE(test_revoke_churn),
};

static const struct utest_suite suite_dos = {
	.name = "dos",
	.cases = cases,
	.ncases = sizeof(cases) / sizeof(cases[0]),
};
UTEST_REGISTER(suite_dos, 90);
