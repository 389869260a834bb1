/*
 * fuzz: the system-call fuzzer (user/fuzz/) against the running system.
 *
 * Each case runs one seed: a fuzzer process with an account carved for
 * it alone, a CSpace holding capabilities of every type
 * (<cairn/fuzz_proto.h>), beside the system's servers. It makes
 * `fuzz.calls` random calls (default 250000) and reports after every
 * batch of `fuzz.batch` (default 2000), once the kernel's invariant
 * walkers have run clean. The case then checks, with the fuzzer gone:
 *  - the walkers, again, from the root task;
 *  - the fuzzer's account: everything it paid for came back (nothing
 *    charged, nothing carved), then the root's carved figures as before;
 *  - the kernel logged no error;
 *  - the console server still answers.
 *
 * The command line: fuzz.seed=S (the first seed, default 1), fuzz.seeds=N
 * (cases run, 1 or 2, default 2), fuzz.calls=M, fuzz.batch=B, fuzz.trace=I
 * (print every call from index I on). A failure prints its seed and call
 * index: `ktest=fuzz fuzz.seed=S fuzz.seeds=1 fuzz.trace=I` repeats it
 * (exactly so under -icount, where preemption is deterministic too).
 */
#include "root.h"

#include <cairn/fuzz_proto.h>
#include <cairn/server.h>
#include <stdio.h>
#include <string.h>

#define FZ_DIRECT 2048          /* the fuzzer's account: pages (8 MiB) */
#define FZ_HEAP (384u * 1024u)  /* and kernel heap bytes */
#define FZ_MAX_SEEDS 2          /* cases: the run's first and second seed */

static const char *const fail_what[] = {
	[FZ_FAIL_WALKER] = "an invariant walker failed",
	[FZ_FAIL_FAULT] = "the fuzzer faulted unexpectedly",
	[FZ_FAIL_STALE] = "a page MAP_INFO says is unmapped was still readable",
	[FZ_FAIL_LOST] = "a page MAP_INFO says is mapped faulted",
	[FZ_FAIL_WRITE_RO] = "a write to a read-only mapping went through",
	[FZ_FAIL_DATA] = "memory did not hold what was written",
	[FZ_FAIL_CANARY] = "the fuzzer's own memory changed",
	[FZ_FAIL_RESULT] = "a status outside the ABI",
	[FZ_FAIL_ZERO] = "fresh memory was not zero",
};

static const char *const stat_name[FZS_COUNT] = {
	[FZS_OK] = "ok", [FZS_MAPPED] = "mapped", [FZS_BLOCK_MAPS] = "block-maps",
	[FZS_REVOKED] = "revoked", [FZS_DERIVED] = "derived", [FZS_CREATED] = "created",
	[FZS_IPC_DONE] = "ipc", [FZS_CAPS_MOVED] = "caps-received",
	[FZS_CAPS_SENT] = "caps-sent", [FZS_BLOCKED] = "blocked",
	[FZS_PROBES_FAULTED] = "unmapped-probes", [FZS_TOUCHED] = "touched",
	[FZS_THREADS_RUN] = "threads-run", [FZS_FAULTS_SEEN] = "faults-received",
	[FZS_WALKS] = "walks", [FZS_DISTINCT_CALLS] = "calls-succeeded",
	[FZS_SERVERS] = "servers-made", [FZS_REPLENISHED] = "replenished",
};

struct fuzzer {
	struct worker w;                /* its process, command, report and fault endpoints */
	cptr_t acct, window, drain;
	cptr_t mark;
};

static uint32_t ticks(void)
{
	uint32_t v = 0;

	sys_system_info(SYSINFO_TICKS, &v);
	return v;
}

/* The fuzzer's CSpace, as <cairn/fuzz_proto.h> lays it out. */
static int fuzzer_fill(struct fuzzer *f)
{
	const struct bootinfo_dev *dev = root_device("virtio_mmio@a000000");
	cptr_t cs = f->w.p.cspace, r = FZ_FIRST_RANDOM;
	uint64_t pa;
	int err;

	err = sys_cap_mint(f->w.cmd, cs, FZ_CMD, R_READ, 0, 0);
	if (!err)
		err = sys_cap_mint(f->w.report, cs, FZ_REPORT, R_WRITE, FZ_BADGE_REPORT, 0);
	if (!err)
		err = sys_cap_copy(f->w.p.thread, cs, FZ_SELF);
	if (!err)
		err = sys_cap_copy(f->w.p.vspace, cs, FZ_VSPACE);
	if (!err)
		err = sys_cap_copy(f->acct, cs, FZ_ACCOUNT);
	if (!err)
		err = sys_cap_mint(SLOT_SYSTEM, cs, FZ_SYSTEM, R_READ, 0, 0);
	if (!err)
		err = sys_cap_copy(f->w.fault, cs, FZ_ROOT_FAULT);
	if (!err)
		err = sys_cap_copy(SLOT_IRQ_CONTROL, cs, FZ_IRQ_CONTROL);
	if (!err)
		err = sys_cap_copy(f->w.p.cspace, cs, FZ_CSPACE);
	if (!err && dev)
		err = sys_cap_mint(dev->slot, cs, FZ_DEVICE, R_READ | R_WRITE, 0, 0);
	if (!err && root_gib_window(0x200000u, f->window, &pa) == 0)
		err = sys_cap_copy(f->window, cs, FZ_WINDOW);
	/* The random range starts with copies of these (revocable by the
	 * fuzzer; the harness's own stay). */
	if (!err)
		err = sys_cap_copy(f->w.p.cspace, cs, r++);
	if (!err)
		err = sys_cap_copy(f->w.p.vspace, cs, r++);
	if (!err)
		err = sys_cap_copy(f->acct, cs, r++);
	if (!err)
		err = sys_cap_mint(SLOT_SYSTEM, cs, r++, R_READ, 0, 0);
	if (!err)
		err = sys_cap_copy(SLOT_IRQ_CONTROL, cs, r++);
	if (!err && dev)
		err = sys_cap_mint(dev->slot, cs, r++, R_READ | R_WRITE, 0, 0);
	if (!err && f->window && !sys_cap_inspect(f->window, NULL))
		err = sys_cap_copy(f->window, cs, r++);
	/* A client of the PCI bus server granted no function: its protocol
	 * under random messages too (it must keep answering). */
	if (!err) {
		cptr_t pci = sysdesc_client_as("pci", NULL, R_WRITE | R_GRANT);

		if (pci) {
			err = sys_cap_copy(pci, cs, r++);
			sys_cap_delete(CPTR_SELF, pci);
		}
	}
	return err;
}

static int fuzzer_new(struct fuzzer *f)
{
	int err;

	memset(f, 0, sizeof(*f));
	f->mark = slots_mark();
	f->acct = slot_alloc();
	f->window = slot_alloc();
	f->drain = slot_alloc();
	if (!f->drain)
		return E_NOMEM;
	err = worker_endpoints(&f->w, FZ_BADGE_FAULT);
	if (!err)
		err = sys_quota_carve(SLOT_ACCOUNT, CPTR_SELF, f->acct, FZ_DIRECT, 0, 0, FZ_HEAP);
	if (!err)
		err = sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, f->drain, 0);
	if (!err)
		err = spawn_paid(f->acct, "fuzz", FZ_CSLOTS, FZ_PRIO, f->w.fault, &f->w.p);
	if (!err)
		err = fuzzer_fill(f);
	if (!err)
		err = proc_start(&f->w.p, 0);
	return err;
}

/* Everything of the fuzzer goes: its threads stop, the copies of its
 * spaces it holds go (so nothing keeps them alive), then whatever its
 * account paid for. The account must then be empty. */
static void fuzzer_free(struct utest *t, struct fuzzer *f)
{
	uint32_t limit, used, carved;

	sys_thread_suspend(f->w.p.thread);
	UT_EQ(sys_cap_revoke(CPTR_SELF, f->w.p.cspace), 0);
	UT_EQ(sys_cap_revoke(CPTR_SELF, f->w.p.vspace), 0);
	UT_EQ(sys_cap_revoke(CPTR_SELF, f->w.p.thread), 0);
	if (!sys_cap_inspect(f->window, NULL))
		UT_EQ(sys_cap_revoke(CPTR_SELF, f->window), 0);
	UT_EQ(sys_cap_revoke(CPTR_SELF, f->acct), 0);
	/* A revoke returns when the reaper's queue is empty: this one, of a
	 * capability without children, waits for the destruction above. */
	UT_EQ(sys_cap_revoke(CPTR_SELF, f->drain), 0);
	for (unsigned p = 0; p < POOL_IDS; p++) {
		UT_EQ(sys_quota_info(f->acct, p, &limit, &used, &carved), 0);
		if (used || carved)
			ktap_diag("fuzz: pool %u: %u used, %u carved after the fuzzer went", p,
				  (unsigned)used, (unsigned)carved);
		UT_EQ(used, 0);
		UT_EQ(carved, 0);
	}
	slots_release(f->mark);
}

static void print_stats(uint32_t seed, uint32_t calls, const uint32_t *st, uint32_t dt)
{
	char line[160];
	size_t n = 0;
	unsigned nerr = (unsigned)__builtin_popcount(st[FZS_ERRORS]);
	uint32_t hz = 0;

	sys_system_info(SYSINFO_TICK_HZ, &hz);
	ktap_diag("fuzz: seed %u: %u calls in %u ticks (%u calls/s), %u of 19 error codes "
		  "(mask %#x)", (unsigned)seed, (unsigned)calls, (unsigned)dt,
		  dt && hz ? (unsigned)((uint64_t)calls * hz / dt) : 0, nerr,
		  (unsigned)st[FZS_ERRORS]);
	/* The counters, a few to a line (a diagnostic line holds 200 bytes). */
	for (unsigned i = 1; i < FZS_COUNT; i++) {
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%u", stat_name[i],
				      (unsigned)st[i]);
		if (n > 100 || i == FZS_COUNT - 1) {
			ktap_diag("fuzz: seed %u:%s", (unsigned)seed, line);
			n = 0;
		}
	}
}

static void run_seed(struct utest *t, unsigned index)
{
	uint32_t first = root_arg_u32("fuzz.seed", 1);
	uint32_t nseeds = root_arg_u32("fuzz.seeds", FZ_MAX_SEEDS);
	uint32_t calls = root_arg_u32("fuzz.calls", 250000);
	uint32_t batch = root_arg_u32("fuzz.batch", 2000);
	uint32_t trace = root_arg_u32("fuzz.trace", 0xffffffffu);
	uint32_t seed = first + index, t0, done = 0, walkers = 0, items = 0;
	uint32_t st[FZS_COUNT], log0 = 0, got, next, w, it, carved0[POOL_IDS], lim, used;
	static char logbuf[1024];
	struct fuzzer f;
	struct msg m;
	char err[160], name[16];
	cptr_t con;
	int e;

	if (index >= nseeds) {
		t->skip = "fuzz.seeds says fewer seeds";
		return;
	}
	if (!servers_up(t))
		return;
	while (!sys_log_read(SLOT_SYSTEM, logbuf, sizeof(logbuf), log0, &got, &next) && got)
		log0 = next;
	for (unsigned p = 0; p < POOL_IDS; p++)
		sys_quota_info(SLOT_ACCOUNT, p, &lim, &used, &carved0[p]);

	e = fuzzer_new(&f);
	if (e) {
		ktap_diag("fuzz: the fuzzer could not be started: %s (%d)",
			  f.w.p.why ? f.w.p.why : "set-up", e);
		UT_EQ(e, 0);
	}
	UT_EQ(sys_recv(f.w.report, &m), 0);
	UT_EQ(m.badge, FZ_BADGE_REPORT);
	UT_EQ(MSG_LABEL(m.info), FZ_REP_READY);
	UT_EQ(m.mr[0], 0);

	t0 = ticks();
	m = (struct msg){ MSG_INFO(FZ_GO, 4, 0), { seed, calls, batch, trace }, 0 };
	UT_EQ(sys_send(f.w.cmd, &m), 0);
	for (;;) {
		UT_EQ(sys_recv(f.w.report, &m), 0);
		if (m.badge == FZ_BADGE_FAULT) {
			ktap_diag("fuzz: seed %u: a fuzzer thread faulted (pc %#x, address %#x) "
				  "after call %u", (unsigned)seed, (unsigned)m.mr[0],
				  (unsigned)m.mr[1], (unsigned)done);
			UT_ASSERT(m.badge != FZ_BADGE_FAULT);
		}
		if (MSG_LABEL(m.info) == FZ_REP_BATCH) {
			/* Progress now and then: a hang or a panic is then placed
			 * within 50,000 calls (tools/fuzz traces from there). */
			if (m.mr[0] / 50000 != done / 50000 && m.mr[0] < calls)
				ktap_diag("fuzz: seed %u: %u calls, walkers clean", (unsigned)seed,
					  (unsigned)m.mr[0]);
			done = m.mr[0];
			walkers = m.mr[1];
			items = m.mr[2];
			continue;
		}
		if (MSG_LABEL(m.info) == FZ_REP_FAIL) {
			unsigned why = m.mr[1], at = m.mr[0];
			/* A walker's failure is found at the end of a batch: trace
			 * the whole batch; any other at the call itself. */
			unsigned back = why == FZ_FAIL_WALKER ? batch : 20;

			ktap_diag("fuzz: seed %u, call %u: %s (%#x, %#x)", (unsigned)seed, at,
				  why < sizeof(fail_what) / sizeof(fail_what[0]) && fail_what[why] ?
					  fail_what[why] : "?",
				  (unsigned)m.mr[2], (unsigned)m.mr[3]);
			ktap_diag("fuzz: repeat: ktest=fuzz fuzz.seed=%u fuzz.seeds=1 fuzz.calls=%u "
				  "fuzz.trace=%u", (unsigned)seed, at + 1, at > back ? at - back : 0);
			UT_ASSERT(MSG_LABEL(m.info) != FZ_REP_FAIL);
		}
		UT_EQ(MSG_LABEL(m.info), FZ_REP_DONE);
		break;
	}
	UT_EQ(m.mr[0], calls);
	for (unsigned i = 0; i < FZS_COUNT; i++)
		st[i] = cairn_ipcbuf->mr[1 + i];
	st[0] = m.mr[1];
	st[1] = m.mr[2];
	st[2] = m.mr[3];
	print_stats(seed, calls, st, ticks() - t0);
	ktap_diag("fuzz: seed %u: the last walk: %u walkers, %u items", (unsigned)seed,
		  (unsigned)walkers, (unsigned)items);

	fuzzer_free(t, &f);
	if (t->failed)
		return;
	for (unsigned p = 0; p < POOL_IDS; p++) {
		uint32_t carved = 0;

		sys_quota_info(SLOT_ACCOUNT, p, &lim, &used, &carved);
		UT_EQ(carved, carved0[p]);
	}
	e = sys_kcheck(SLOT_SYSTEM, &w, &it, name);
	if (e)
		ktap_diag("fuzz: after seed %u: walker %u (%.16s) failed at item %u", (unsigned)seed,
			  (unsigned)w, name, (unsigned)it);
	UT_EQ(e, 0);
	/* Nothing the kernel calls an error in its log. */
	{
		unsigned errors = 0;
		uint32_t pos = log0;

		while (!sys_log_read(SLOT_SYSTEM, logbuf, sizeof(logbuf) - 1, pos, &got, &next) &&
		       got) {
			logbuf[got] = 0;
			for (char *p = logbuf; (p = strstr(p, "error: ")) != NULL; p += 7) {
				if (!errors)
					ktap_diag("fuzz: the kernel logged: %.100s", p);
				errors++;
			}
			pos = next;
		}
		UT_EQ(errors, 0);
	}
	/* The bus server still answers. */
	{
		cptr_t pci = sysdesc_client_as("pci", NULL, R_WRITE);
		struct msg q = { MSG_INFO(PCI_LIST, 1, 0), { 0 }, 0 };

		if (pci) {
			UT_EQ(sys_call(pci, &q), 0);
			UT_EQ(MSG_LABEL(q.info), 0);
			sys_cap_delete(CPTR_SELF, pci);
		}
	}
	con = sysdesc_client("console");
	UT_ASSERT(con);
	snprintf(err, sizeof(err), "fuzz: the console still answers after seed %u\n",
		 (unsigned)seed);
	UT_EQ(console_write(con, err, strlen(err)), (int)strlen(err));
}

static void test_seed_1(struct utest *t) { run_seed(t, 0); }
static void test_seed_2(struct utest *t) { run_seed(t, 1); }

static const struct utest_case cases[] = {
	UT_CASE(test_seed_1),
	UT_CASE(test_seed_2),
};

static const struct utest_suite suite_fuzz = {
	.name = "fuzz",
	.cases = cases,
	.ncases = sizeof(cases) / sizeof(cases[0]),
	.by_name_only = true,
};
UTEST_REGISTER(suite_fuzz, 95);
