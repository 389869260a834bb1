/*
 * Benchmarks with several CPUs (`bench=smp`, tools/bench's second boot,
 * -smp 4 under -icount; `bench=smp-pairs`, its boot without icount).
 *
 * Time base. Under -icount QEMU runs the vCPUs in turn on one host thread
 * (round-robin TCG) and every vCPU's instructions advance the one virtual
 * clock: 1 ns per instruction of whichever CPU runs. The cycle counter
 * (PMCCNTR) and the generic timer's count (CNTVCT) both follow that clock.
 * PMCCNTR is per CPU (each CPU's count starts when its PMU is set up, and
 * only the boot CPU lets user mode read it), so every PMCCNTR figure here is
 * taken by the root task on CPU 0 around something that returns to it: a
 * difference of the common clock, the instructions every CPU executed in
 * between. CNTVCT is one count for all CPUs (62.5 MHz on QEMU virt: 16
 * instructions a tick under icount), readable from user mode everywhere,
 * so a stamp taken on CPU 1 compares with one taken on CPU 0; the one-way
 * wake-up and the throughput use it. Without icount both follow host time.
 *
 * What round robin does to the figures: a CPU runs until it halts (WFI:
 * the kernel's idle loop), yields (WFE: a lock waiter, and the waits in
 * this file) or its share of the time to the next timer event is used up.
 * A thread woken on another CPU thus runs once the waker's CPU idles, and
 * a cross-core figure counts the instructions of both CPUs on the path,
 * one after the other: a schedule, not a speed. Throughput under icount
 * measures the same way: four busy CPUs take turns on one virtual clock,
 * so four pairs cannot beat one by more than what turns save; the boot
 * without icount (QEMU's multi-threaded TCG, one host thread per vCPU)
 * gives the ratio in host time, bounded by the host's cores.
 *
 * Each figure is printed as "bench: NAME VALUE UNIT # description".
 */
#include "root.h"

#include <stdio.h>

#define RUNS 64
#define SD_RUNS 16              /* shootdown runs: each ends with a fault */
#define SD_PAUSE 1024           /* the toucher's WFEs between touches (toucher) */
#define SHARED_VA 0x52000000u   /* the shared page in the root task */
#define WORKER_SHARED_VA 0x80000000u    /* ... and in the workers */
#define COUNT_VA 0x53000000u    /* the toucher's progress counter */
#define TOUCH_VA 0x54000000u    /* the page it touches */
#define RELAY_STAMP 0x800u      /* WK_RELAY's stamp, offset in the shared page */
#define WAIT_TICKS 200          /* 2 s: far beyond what any step here takes */
#define PAIRS_MAX 4

static uint32_t ticks(void)
{
	return sysinfo(SYSINFO_TICKS, 1);
}

static void report(const char *name, uint64_t v, const char *unit, const char *desc)
{
	uprintf("bench: %s %llu %s # %s\n", name, (unsigned long long)v, unit, desc);
}

/* A ratio a/b with three decimals ("1.970"), rounded. */
static void report_ratio(const char *name, uint64_t a, uint64_t b, const char *desc)
{
	uint64_t m = b ? (a * 1000 + b / 2) / b : 0;

	uprintf("bench: %s %u.%03u x # %s\n", name, (unsigned)(m / 1000), (unsigned)(m % 1000),
		desc);
}

/* Counter ticks to nanoseconds (under icount: instructions). */
static uint64_t ticks_ns(uint64_t t)
{
	uint32_t f = cairn_counter_freq();

	return f ? t / f * 1000000000ull + t % f * 1000000000ull / f : 0;
}

/* ------------------------------------------------------- cross-core IPC */

/* Root (CPU 0) calls a server on another CPU: the round trip as root's
 * cycle counter sees it, minimum over RUNS. */
static void bench_cross_call(unsigned cpu)
{
	struct worker srv;
	cptr_t ep;
	uint32_t best = ~0u, sum = 0;
	bool wrong = false;
	char desc[160];

	if (worker_serve_on(&srv, cpu, &ep)) {
		uprintf("bench: smp cross-core call: setup failed\n");
		return;
	}
	for (int run = 0; run <= RUNS; run++) {
		struct msg c = { MSG_INFO(1, 1, 0), { (uint32_t)run, 0, 0, 0 }, 0 };
		uint32_t c0 = cairn_cycles(), d;

		wrong |= sys_call(ep, &c) != 0 || c.mr[0] != (uint32_t)run + 1;
		d = cairn_cycles() - c0;
		if (run == 0)
			continue;       /* warm-up */
		sum += d;
		if (d < best)
			best = d;
	}
	if (wrong) {
		uprintf("bench: smp cross-core call: wrong replies\n");
	} else {
		snprintf(desc, sizeof(desc), "call + reply, client on CPU 0, server waiting in "
			 "reply-recv on CPU %u (both CPUs' instructions on the path; average %u)",
			 cpu, (unsigned)(sum / RUNS));
		report("smp_ipc_roundtrip_cross_core", best, "insns", desc);
	}
	worker_free(&srv);
	sys_cap_delete(CPTR_SELF, ep);
}

/* A thread on another CPU blocked on a notification, signalled from CPU 0;
 * it signals back (WK_RELAY). The round trip through both wake-ups, halved
 * (root's cycle counter), and the one-way time from root's stamp before
 * its signal to the woken thread's first stamp (CNTVCT, both CPUs). */
static void bench_ipi_wakeup(unsigned cpu, cptr_t page, volatile uint8_t *shared)
{
	volatile uint32_t *stamp = (volatile uint32_t *)(shared + RELAY_STAMP);
	struct worker w;
	cptr_t n1 = slot_alloc(), n2 = slot_alloc();
	uint32_t best = ~0u;
	uint64_t oneway = 0;
	char desc[200];
	int err;

	err = sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, n1, 0);
	if (!err)
		err = sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, n2, 0);
	if (!err)
		err = worker_on_cpu(&w, cpu, WORKER_PRIO);
	if (!err)
		err = worker_share(&w, page, WORKER_SHARED_VA);
	if (!err)
		err = sys_cap_mint(n1, w.p.cspace, WK_FIRST_FREE, R_READ, 0, 0);
	if (!err)
		err = sys_cap_mint(n2, w.p.cspace, WK_FIRST_FREE + 1, R_WRITE, 0, 0);
	if (!err)
		err = worker_send(&w, WK_RELAY, WK_FIRST_FREE, WK_FIRST_FREE + 1,
			    WORKER_SHARED_VA + RELAY_STAMP, 0);
	if (err) {
		uprintf("bench: smp wake-up: setup failed (%d)\n", err);
		return;
	}
	for (int run = 0; run <= RUNS && !err; run++) {
		uint32_t bits = 0, c0, d;
		uint64_t t0, t1;

		stamp[0] = stamp[1] = 0;
		c0 = cairn_cycles();
		t0 = cairn_counter();
		err = sys_signal(n1);
		if (!err)
			err = sys_wait(n2, &bits);
		d = cairn_cycles() - c0;
		t1 = (uint64_t)stamp[1] << 32 | stamp[0];
		if (!err && (bits == 0 || t1 < t0))
			err = E_STATE;  /* not woken by the relay */
		if (run == 0)
			continue;
		oneway += t1 - t0;
		if (d < best)
			best = d;
	}
	if (err) {
		uprintf("bench: smp wake-up: failed (%d)\n", err);
	} else {
		snprintf(desc, sizeof(desc), "a thread blocked on a notification on CPU %u, "
			 "signalled from CPU 0, signals back: half the round trip (CPU 0's cycle "
			 "counter, both CPUs' instructions)", cpu);
		report("smp_ipi_wakeup_roundtrip_half", best / 2, "insns", desc);
		snprintf(desc, sizeof(desc), "the same one way: CNTVCT before the signal on CPU 0 to "
			 "CNTVCT when the wait returns on CPU %u, average of %u (16-insn ticks)",
			 cpu, RUNS);
		report("smp_ipi_wakeup_oneway", ticks_ns(oneway) / RUNS, "insns", desc);
	}
	worker_free(&w);
	sys_cap_delete(CPTR_SELF, n1);
	sys_cap_delete(CPTR_SELF, n2);
}

/* ---------------------------------------------------- remote shootdown */

/*
 * The toucher: a thread of the root task's own address space, on another
 * CPU, touching a word of the mapping (a write for RAM; device memory of
 * the PCIe window reads as all ones and ignores writes, QEMU's gpex) and
 * counting its rounds in a page that stays mapped (count[0]; count[1] is
 * `pause`); between two touches it executes pause + 1 WFEs. Under round-robin TCG a WFE ends the vCPU's turn
 * (so CPU 1 takes a few instructions a turn, never a whole time slice that
 * would land in CPU 0's figure), and a broadcast TLBI on CPU 0 hands CPU 1
 * a turn: with pause 0 its next touch, its fault and its kernel entry up to
 * the kernel lock run inside the unmap being measured; with a long pause
 * they come after the unmap returned. Its TLB keeps the translation either
 * way: only a TLBI or a TTBR0 change with another ASID empties QEMU's.
 */
static __attribute__((noreturn, noinline)) void toucher(volatile uint32_t *touch,
							 volatile uint32_t *count)
{
	uint32_t pause = count[1];

	for (;;) {
		*touch = *touch + 1;
		*count = *count + 1;
		for (uint32_t i = 0; i <= pause; i++)
			__asm__ volatile("wfe" ::: "memory");
	}
}

static uint64_t toucher_stack[128];

struct sd {
	cptr_t thread, fault_recv, fault_send, count_page;
	volatile uint32_t *count;
};

static int sd_init(struct sd *s, unsigned cpu)
{
	int err;

	s->thread = slot_alloc();
	s->fault_recv = slot_alloc();
	s->fault_send = slot_alloc();
	s->count_page = slot_alloc();
	s->count = (volatile uint32_t *)COUNT_VA;
	if (!s->count_page)
		return E_NOMEM;
	err = sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, s->fault_recv, 0);
	if (!err)
		err = sys_cap_mint(s->fault_recv, CPTR_SELF, s->fault_send, R_WRITE, 1, 0);
	if (!err)
		err = sys_obj_create(SLOT_ACCOUNT, CAP_THREAD, CPTR_SELF, s->thread, 0);
	if (!err)
		err = sys_thread_configure(s->thread, SLOT_CSPACE, SLOT_VSPACE, 0, s->fault_send);
	if (!err)
		err = sys_thread_set_prio(s->thread, ROOT_PRIO, SLOT_THREAD);
	if (!err)
		err = sys_thread_set_cpu(s->thread, cpu);
	if (!err)
		err = sys_mem_alloc(SLOT_ACCOUNT, POOL_ID_DIRECT, 0, CPTR_SELF, s->count_page);
	if (!err)
		err = sys_map(SLOT_VSPACE, s->count_page, COUNT_VA, R_READ | R_WRITE,
			      ATTR_DEFAULT);
	return err;
}

static void sd_fini(struct sd *s)
{
	sys_thread_suspend(s->thread);
	sys_cap_delete(CPTR_SELF, s->thread);
	sys_unmap(s->count_page);
	sys_cap_delete(CPTR_SELF, s->count_page);
	sys_cap_delete(CPTR_SELF, s->fault_send);
	sys_cap_delete(CPTR_SELF, s->fault_recv);
}

/* Wait (yielding the vCPU: WFE) until the toucher has made `rounds` more
 * rounds: it runs in the address space and touches the mapping. */
static bool sd_touching(struct sd *s, uint32_t rounds)
{
	uint32_t c0 = s->count[0], t0 = ticks();

	while (s->count[0] - c0 < rounds)
		if (ticks() - t0 > WAIT_TICKS)
			return false;
		else
			__asm__ volatile("wfe" ::: "memory");
	return true;
}

/*
 * Map `mem` at va, start the toucher on `touch` (pause: see toucher), wait
 * until it touches, unmap (measured), then check that the toucher faulted
 * on `touch` and made at most the one round it may have been in when the
 * unmap returned. remote false: the same unmap with no toucher. Minimum
 * over SD_RUNS after a warm-up; 0 on any failure (said).
 */
static uint32_t sd_measure(struct sd *s, cptr_t mem, uintptr_t va, uintptr_t touch, bool remote,
			   uint32_t pause)
{
	uint32_t best = ~0u;

	s->count[1] = pause;
	for (int run = 0; run <= SD_RUNS; run++) {
		uint32_t c0, d, after;
		struct msg f;
		int err = sys_map(SLOT_VSPACE, mem, va, R_READ | R_WRITE, ATTR_DEFAULT);

		if (!err && remote)
			err = sys_thread_set_regs(s->thread, (uintptr_t)toucher,
						  (uintptr_t)&toucher_stack[128], touch, COUNT_VA);
		if (!err && remote)
			err = sys_thread_resume(s->thread);
		if (err) {
			uprintf("bench: smp shootdown: map/start failed (%d)\n", err);
			return 0;
		}
		if (remote && !sd_touching(s, 2)) {
			uprintf("bench: smp shootdown: the toucher never ran\n");
			return 0;
		}
		c0 = cairn_cycles();
		err = sys_unmap(mem);
		d = cairn_cycles() - c0;
		after = s->count[0];
		if (err) {
			uprintf("bench: smp shootdown: unmap failed (%d)\n", err);
			return 0;
		}
		if (remote) {
			err = sys_recv(s->fault_recv, &f);
			if (err || f.badge != 1 || MSG_LABEL(f.info) != FAULT_LABEL_BASE + FAULT_DATA ||
			    f.mr[1] != touch || s->count[0] - after > 1) {
				uprintf("bench: smp shootdown: the toucher did not fault at 0x%x after "
					"the unmap (error %d, label %u, address 0x%x, rounds after %u)\n",
					(unsigned)touch, err, (unsigned)MSG_LABEL(f.info),
					(unsigned)f.mr[1], (unsigned)(s->count[0] - after));
				return 0;
			}
			/* Leave it stopped (TS_FAULTED) until the next run. */
			f.info = MSG_INFO(1, 0, 0);
			sys_reply(&f);
		}
		if (run > 0 && d < best)
			best = d;
	}
	return best;
}

/* The three figures of one mapping: touched from `cpu` with the fault
 * after the unmap, with the fault inside it, and not touched. */
static void sd_report(struct sd *s, cptr_t mem, uintptr_t va, uintptr_t touch, const char *tag,
		      const char *what, unsigned cpu)
{
	char name[48], desc[240];
	uint32_t v;

	if ((v = sd_measure(s, mem, va, touch, true, SD_PAUSE))) {
		snprintf(name, sizeof(name), "smp_unmap_%s_remote", tag);
		snprintf(desc, sizeof(desc), "SYS_UNMAP on CPU 0 of %s that a thread of the same "
			 "space on CPU %u touches (its TLB holds it; TLBIMVAIS; it faults on its "
			 "next touch, after the call)", what, cpu);
		report(name, v, "insns", desc);
	}
	if ((v = sd_measure(s, mem, va, touch, true, 0))) {
		snprintf(name, sizeof(name), "smp_unmap_%s_remote_fault_inside", tag);
		snprintf(desc, sizeof(desc), "the same with CPU %u touching at every turn: its fault "
			 "and kernel entry up to the kernel lock run inside the call (round robin)",
			 cpu);
		report(name, v, "insns", desc);
	}
	if ((v = sd_measure(s, mem, va, touch, false, 0))) {
		snprintf(name, sizeof(name), "smp_unmap_%s_local", tag);
		snprintf(desc, sizeof(desc), "the same unmap with no other thread in the space");
		report(name, v, "insns", desc);
	}
}

static void bench_shootdown(unsigned cpu)
{
	struct sd s;
	cptr_t pg = slot_alloc(), win = slot_alloc();
	uint64_t pa;

	if (!win || sd_init(&s, cpu) ||
	    sys_mem_alloc(SLOT_ACCOUNT, POOL_ID_DIRECT, 0, CPTR_SELF, pg)) {
		uprintf("bench: smp shootdown: setup failed\n");
		return;
	}
	sd_report(&s, pg, TOUCH_VA, TOUCH_VA + 0x40, "4k", "one 4 KiB RAM page", cpu);
	if (root_gib_window(0, win, &pa))
		uprintf("bench: smp shootdown: no 1 GiB aligned device window\n");
	else
		sd_report(&s, win, ROOT_GIB_VA, ROOT_GIB_VA + 0x1000, "1g",
			  "1 GiB, one level-1 block (PCIe window)", cpu);
	sys_cap_delete(CPTR_SELF, win);
	sys_cap_delete(CPTR_SELF, pg);
	sd_fini(&s);
}

/* ----------------------------------------------------------- throughput */

/* A ping-pong pair on one CPU: a client calling a server (ep an
 * endpoint), or with `signals` a signaller and, above it, a waiter woken
 * by each signal (ep a notification). */
struct pair {
	struct worker cli, srv;
	cptr_t ep;
	bool signals;
};

static int pair_new(struct pair *p, unsigned cpu, cptr_t page, bool signals)
{
	int err;

	p->signals = signals;
	if (!signals) {
		err = worker_serve_on(&p->srv, cpu, &p->ep);
	} else {
		p->ep = slot_alloc();
		err = sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, p->ep, 0);
		if (!err)
			err = worker_on_cpu(&p->srv, cpu, WORKER_PRIO + 1);
		if (!err)
			err = sys_cap_mint(p->ep, p->srv.p.cspace, WK_FIRST_FREE, R_READ, 0, 0);
		if (!err)
			err = worker_send(&p->srv, WK_WAIT, WK_FIRST_FREE, 0, 0, 0);
	}
	if (!err)
		err = worker_on_cpu(&p->cli, cpu, WORKER_PRIO);
	if (!err)
		err = sys_cap_mint(p->ep, p->cli.p.cspace, WK_FIRST_FREE, R_WRITE, 0, 0);
	if (!err)
		err = worker_share(&p->cli, page, WORKER_SHARED_VA);
	return err;
}

static void pair_free(struct pair *p)
{
	worker_free(&p->cli);
	worker_free(&p->srv);
	sys_cap_delete(CPTR_SELF, p->ep);
}

/*
 * The first k pairs race: each client makes n calls to its server (or n
 * signals to its waiter; both pinned on the pair's CPU) once all k
 * clients are in. The span from the
 * first start to the last end in counter ticks, best of `reps`; 0 if a
 * reply was wrong or a client faulted.
 */
static uint64_t race(struct pair *p, unsigned k, uint32_t n, unsigned reps,
		     volatile struct wk_race *r)
{
	uint64_t best = ~0ull;

	for (unsigned rep = 0; rep < reps; rep++) {
		uint64_t first = ~0ull, last = 0;

		r->arrived = 0;
		r->clients = k;
		/* The client on CPU 0 (the root's) last: above the root, it
		 * runs from the send on. */
		for (unsigned i = k; i-- > 0;)
			if (worker_send(&p[i].cli, p[i].signals ? WK_SIGNAL_RACE : WK_PINGPONG,
					WK_FIRST_FREE, n, WORKER_SHARED_VA, i))
				return 0;
		for (unsigned i = 0; i < k; i++) {
			struct msg m;
			uint64_t s, e;

			if (sys_recv(p[i].cli.report, &m) || m.badge != WK_BADGE_REPORT || m.mr[0]) {
				uprintf("bench: smp pairs: client %u failed (badge 0x%x, %u wrong)\n",
					i, (unsigned)m.badge, (unsigned)m.mr[0]);
				return 0;
			}
			s = (uint64_t)r->stamp[i].start_hi << 32 | r->stamp[i].start_lo;
			e = (uint64_t)r->stamp[i].end_hi << 32 | r->stamp[i].end_lo;
			if (s < first)
				first = s;
			if (e > last)
				last = e;
		}
		if (last - first < best)
			best = last - first;
	}
	return best;
}

/* The pairs' throughput: one pair, then one per CPU (up to PAIRS_MAX),
 * of calls ("smp_pairs_") or, with `signals`, of signals to a waiter
 * ("smp_signal_pairs_"). */
static void bench_pairs(cptr_t page, volatile uint8_t *shared, bool wall, bool signals)
{
	struct pair p[PAIRS_MAX];
	unsigned cpu[8], ncpu = cpus_running(cpu, ~0u), k = ncpu < PAIRS_MAX ? ncpu : PAIRS_MAX;
	uint32_t n = root_arg_u32("smp.rt", wall ? 1000 : 10000);
	unsigned reps = wall ? 3 : 1;
	const char *unit = wall ? "ns" : "insns", *sfx = wall ? "_wall" : "";
	const char *pre = signals ? "smp_signal_pairs" : "smp_pairs";
	const char *what = signals ? "signals" : "calls";
	uint64_t t1, tk;
	char name[48], desc[240];

	for (unsigned i = 0; i < k; i++)
		if (pair_new(&p[i], cpu[i], page, signals)) {
			uprintf("bench: %s: setup failed\n", pre);
			return;
		}
	t1 = race(p, 1, n, reps, (volatile struct wk_race *)shared);
	tk = t1 ? race(p, k, n, reps, (volatile struct wk_race *)shared) : 0;
	if (t1 && tk) {
		uint64_t ns1 = ticks_ns(t1), nsk = ticks_ns(tk);

		snprintf(name, sizeof(name), "%s_1_per_roundtrip%s", pre, sfx);
		snprintf(desc, sizeof(desc), "one ping-pong pair (%s on CPU %u), %u %s: "
			 "CNTVCT span / %s%s", signals ? "signaller and higher waiter" :
			 "client and server", cpu[0], (unsigned)n, what, what,
			 wall ? ", host time, best of 3" : "");
		report(name, ns1 / n, unit, desc);
		snprintf(name, sizeof(name), "%s_%u_per_roundtrip%s", pre, k, sfx);
		snprintf(desc, sizeof(desc), "%u pairs, one per CPU, %u %s each: first start to "
			 "last end / all %s%s", k, (unsigned)n, what, what,
			 wall ? ", host time, best of 3" : "");
		report(name, nsk / ((uint64_t)n * k), unit, desc);
		snprintf(name, sizeof(name), "%s_%u_vs_1%s", pre, k, sfx);
		snprintf(desc, sizeof(desc), "throughput of %u pairs over one pair (ideal %u%s)", k, k,
			 wall ? "; bounded by the host's cores" :
			 "; under icount the CPUs take turns on one clock: a schedule, not a speed");
		report_ratio(name, (uint64_t)k * t1, tk, desc);
	}
	for (unsigned i = 0; i < k; i++)
		pair_free(&p[i]);
}

/* --------------------------------------------------------------- driver */

/* One call to a server on each other CPU: under icount's round robin a
 * CPU runs only while the others wait, so until the root task first
 * waits, the other CPUs have not reached their idle loops (on hardware
 * they are there long before), and CPU 0 would not yet be alone
 * (docs/architecture.md, "A CPU alone"). */
static void settle(const unsigned *other, unsigned n)
{
	cptr_t mark = slots_mark();     /* (the slots given back: the figures' slot numbers as before) */

	for (unsigned i = 0; i < n; i++) {
		struct worker srv;
		struct msg c = { MSG_INFO(1, 1, 0), { 0, 0, 0, 0 }, 0 };
		cptr_t ep;

		if (worker_serve_on(&srv, other[i], &ep)) {
			uprintf("bench: smp: a server on CPU %u: setup failed\n", other[i]);
			continue;
		}
		if (sys_call(ep, &c) != 0 || c.mr[0] != 1)
			uprintf("bench: smp: a server on CPU %u: wrong reply\n", other[i]);
		worker_free(&srv);
		sys_cap_delete(CPTR_SELF, ep);
	}
	slots_release(mark);
}

/* The same-core figures again with a thread of another CPU waiting in
 * user mode (a WK_PINGPONG client whose partners never come: WFE in a
 * loop, never entering the kernel), so that CPU 0 is not alone: the svc
 * vector's shared fast paths, and the general paths taking the lock. */
static void busy_same_core(unsigned cpu, unsigned online, cptr_t page,
			   volatile uint8_t *shared)
{
	volatile struct wk_race *race = (volatile struct wk_race *)(shared + 0x900);
	cptr_t mark = slots_mark();
	struct worker w;
	char sfx[80];

	race->arrived = 0;
	race->clients = 2;              /* one more than ever arrive */
	if (worker_on_cpu(&w, cpu, ROOT_PRIO - 1) || worker_share(&w, page, WORKER_SHARED_VA) ||
	    worker_send(&w, WK_PINGPONG, CPTR_NULL, 1, WORKER_SHARED_VA + 0x900, 0)) {
		uprintf("bench: smp: a waiter on CPU %u: setup failed\n", cpu);
		return;
	}
	{
		/* (Polled with system calls: waiting in user mode only, CPU 0
		 * kept its turn -- under icount's round robin the waiter had
		 * not arrived after 2 s of virtual time, with or without CPU 0
		 * keeping the lock alone.) */
		uint32_t t0 = sysinfo(SYSINFO_TICKS, 1);

		while (race->arrived == 0 && sysinfo(SYSINFO_TICKS, 1) - t0 < 200)
			;
	}
	if (race->arrived == 0)
		uprintf("bench: smp: the waiter on CPU %u never arrived\n", cpu);
	snprintf(sfx, sizeof(sfx), " [on CPU 0, %u CPUs online, CPU %u busy]", online, cpu);
	bench_same_core("smp_busy_", sfx);
	worker_free(&w);
	slots_release(mark);
}

void root_bench_smp(bool pairs_only)
{
	unsigned other[8], n = cpus_running(other, 0);
	cptr_t page = slot_alloc();
	volatile uint8_t *shared = (volatile uint8_t *)SHARED_VA;

	if (sysinfo(SYSINFO_CPUS, 3) != 0 || n == 0) {
		uprintf("bench: smp: needs the root task on CPU 0 and another CPU running threads "
			"(%u others)\n", n);
		return;
	}
	if (!page || sys_mem_alloc(SLOT_ACCOUNT, POOL_ID_DIRECT, 0, CPTR_SELF, page) ||
	    sys_map(SLOT_VSPACE, page, SHARED_VA, R_READ | R_WRITE, ATTR_DEFAULT)) {
		uprintf("bench: smp: no shared page\n");
		return;
	}
	if (!pairs_only) {
		char sfx[48];

		snprintf(sfx, sizeof(sfx), " [on CPU 0, %u CPUs online]", n + 1);
		settle(other, n);
		bench_same_core("smp_", sfx);
		busy_same_core(other[0], n + 1, page, shared);
		bench_cross_call(other[0]);
		bench_ipi_wakeup(other[0], page, shared);
		bench_shootdown(other[0]);
	}
	bench_pairs(page, shared, pairs_only, false);
	bench_pairs(page, shared, pairs_only, true);
	sys_unmap(page);
	sys_cap_delete(CPTR_SELF, page);
}
