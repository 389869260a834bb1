/*
 * fuzz: random system calls against the kernel, seeded and reproducible.
 *
 * The root task's `fuzz` suite (user/root/tests/fuzz.c) starts this
 * program with an account of its own, a CSpace holding real capabilities
 * of every type (<cairn/fuzz_proto.h>) and a command: a seed, a number of
 * calls and a batch size. Each call is drawn from the seed: a system-call
 * number, then arguments from the classes that matter for it -- slots of
 * the right type most of the time, empty slots for destinations, slot
 * numbers outside the CSpace, rights, orders, sizes, virtual addresses
 * inside and outside the user half, aligned, unaligned and wrapping,
 * message lengths past the limit, capability transfers. A shadow of the
 * CSpace (what each slot was last seen to hold) steers the choices so
 * that calls succeed often enough to build deep state: memory mapped
 * (1 GiB and 2 MiB blocks of the bus window among it), capabilities
 * derived many levels and revoked, threads started on code that makes
 * IPC, callers blocked on endpoints and answered, faults delivered.
 *
 * Between calls, and checked by the fuzzer itself:
 *  - every status is 0 or one of the ABI's errors;
 *  - a page MAP_INFO says is mapped can be read (and written, when it
 *    says so, reading back what was written); a read-only one cannot be
 *    written; one it says is unmapped cannot be read (a stale TLB entry
 *    or page-table entry after unmap or revoke would be found here);
 *  - memory fresh from MEM_ALLOC reads zero when first mapped;
 *  - the fuzzer's own data (a canary array) and stack keep their values.
 * After each batch the kernel's invariant walkers run (SYSINFO_CHECK) and
 * the batch is reported to the root task. Any failure is reported with
 * the seed's call index and stops the run.
 *
 * A call that blocks (a call nobody answers, a receive nobody sends to)
 * is ended by the watchdog, a thread of lower priority that runs only
 * when the fuzzer's thread cannot: it suspends and resumes it, which
 * cancels the IPC (E_CANCELLED). The watchdog is also the fuzzer's fault
 * handler: the probes of unmapped pages fault on purpose and come back
 * through a landing; any other fault is reported as a failure.
 */
#include <cairn/cairn.h>
#include <cairn/fuzz_proto.h>
#include <string.h>

/* harness.S */
extern char fz_thread_serve[], fz_thread_call[], fz_thread_signal[], fz_thread_wait[];
extern uint32_t fz_probe_read(uint32_t va);
extern void fz_probe_write(uint32_t va, uint32_t value);
extern char fz_probe_read_insn[], fz_probe_write_insn[], fz_probe_landing[];
extern int fz_badsys(uint32_t n);
extern char fz_badsys_insn[], fz_badsys_landing[];

#define NRANDOM (FZ_CSLOTS - FZ_FIRST_RANDOM)
#define WD_PRIO 1               /* the watchdog: below every thread the fuzzer starts */
#define THREAD_PRIO_MIN 2
#define VA_WINDOW 0x10000000u   /* random mappings go to [VA_WINDOW, VA_WINDOW_END) */
#define VA_WINDOW_END 0x70000000u
#define VA_GIB 0x80000000u      /* a free 1 GiB aligned GiB */
#define USER_TOP 0xc0000000u
#define TRACKED 64              /* virtual addresses remembered for touching */
#define CANARY_WORDS 2048

/* The watchdog's CSpace. */
#define WD_MAIN 1               /* the fuzzer's thread */
#define WD_EP 2                 /* its fault endpoint (receive side) */
#define WD_NTFN 3               /* bound to the watchdog */
#define WD_REPORT 4             /* the root task's report endpoint */
#define WD_SLOTS 8

/* ------------------------------------------------------------ shared with the watchdog */

static volatile uint32_t probe_pc;      /* the instruction allowed to fault (0: none) */
static volatile uint32_t probe_pc2;     /* a second pc of the same (svc: before or after) */
static volatile uint32_t probe_landing;
static volatile uint32_t probe_faulted;
static volatile uint32_t call_index;
static volatile uint32_t rescues;
static volatile uint32_t cur_sys;       /* the call in progress (for the reports) */
static bool tracing;                    /* print every call and its result */

static uint8_t wd_stack[4096] __attribute__((aligned(8)));

/* ------------------------------------------------------------ random numbers */

static uint64_t rng;

static uint32_t rnd(void)
{
	/* xorshift64*, from a seed mixed by splitmix64 */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

static void rnd_seed(uint32_t seed)
{
	uint64_t z = (uint64_t)seed + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	rng = (z ^ (z >> 31)) | 1;
}

static uint32_t below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned percent)
{
	return below(100) < percent;
}

/* ------------------------------------------------------------ the CSpace shadow */

/* What each slot of the random range was last seen to hold: a cap_type,
 * or SH_UNKNOWN after a call that may have changed it unseen. Revokes
 * and transfers make it stale; each batch begins by inspecting every
 * slot again. */
#define SH_UNKNOWN 0xffu
static uint8_t shadow[FZ_CSLOTS];
static bool fresh[FZ_CSLOTS];           /* memory from MEM_ALLOC, never mapped or derived */
static uint32_t ok_calls[2];            /* bit n: call n returned 0 once */

static bool in_random(cptr_t s)
{
	return s >= FZ_FIRST_RANDOM && s < FZ_CSLOTS;
}

static void shadow_set(cptr_t s, unsigned type)
{
	if (in_random(s)) {
		shadow[s] = (uint8_t)type;
		fresh[s] = false;
	}
}

static uint32_t stats[FZS_COUNT];

/* Inspect every slot again; where the random calls lost the last
 * capability of a kind the harness holds (the account, the spaces, the
 * devices, IRQ control, the system), put a copy back, so that a run does
 * not dwindle into errors. */
static void shadow_sync(void)
{
	static const struct { cptr_t from; unsigned type; } keep[] = {
		{ FZ_ACCOUNT, CAP_QUOTA }, { FZ_VSPACE, CAP_VSPACE }, { FZ_CSPACE, CAP_CSPACE },
		{ FZ_DEVICE, CAP_DEVICE }, { FZ_WINDOW, CAP_DEVICE },
		{ FZ_IRQ_CONTROL, CAP_IRQ_CONTROL }, { FZ_SYSTEM, CAP_SYSTEM },
	};
	unsigned have[CAP_TYPE_COUNT] = { 0 };

	for (cptr_t s = FZ_FIRST_RANDOM; s < FZ_CSLOTS; s++) {
		struct cap_info ci;

		shadow[s] = sys_cap_inspect(s, &ci) ? CAP_NULL : (uint8_t)ci.type;
		if (shadow[s] != CAP_MEM)
			fresh[s] = false;
		if (shadow[s] < CAP_TYPE_COUNT)
			have[shadow[s]]++;
	}
	for (unsigned i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		if (have[keep[i].type])
			continue;
		for (cptr_t s = FZ_FIRST_RANDOM; s < FZ_CSLOTS; s++) {
			if (shadow[s] != CAP_NULL)
				continue;
			if (!sys_cap_copy(keep[i].from, CPTR_SELF, s)) {
				shadow[s] = (uint8_t)keep[i].type;
				have[keep[i].type]++;
				stats[FZS_REPLENISHED]++;
			}
			break;
		}
	}
}

/* A slot number that is never one of the harness's (1..FZ_FIRST_RANDOM-1):
 * the edges of the CSpace and of the ABI's cptr space. */
static cptr_t edge_slot(void)
{
	static const cptr_t edges[] = { 0, FZ_CSLOTS, FZ_CSLOTS + 1, CSPACE_SLOTS - 1,
					CSPACE_SLOTS, CSPACE_SLOTS + 1, 0x7fffffffu, 0x80000000u,
					0xfffffffeu, CPTR_SELF };
	uint32_t v;

	if (chance(80))
		return edges[below(sizeof(edges) / sizeof(edges[0]))];
	v = rnd();
	return v < FZ_CSLOTS ? v + FZ_CSLOTS : v;
}

static cptr_t any_slot(void)
{
	return chance(92) ? FZ_FIRST_RANDOM + below(NRANDOM) : edge_slot();
}

/* A slot the shadow says holds a capability of `type` (CAP_NULL: an empty
 * one), most of the time; any slot otherwise. */
static cptr_t slot_of(unsigned type)
{
	if (chance(85)) {
		cptr_t start = below(NRANDOM);

		for (cptr_t i = 0; i < NRANDOM; i++) {
			cptr_t s = FZ_FIRST_RANDOM + (start + i) % NRANDOM;

			if (shadow[s] == type)
				return s;
		}
	}
	return any_slot();
}

static cptr_t empty_slot(void)
{
	return slot_of(CAP_NULL);
}

/* A slot holding something (any type). */
static cptr_t full_slot(void)
{
	if (chance(90)) {
		cptr_t start = below(NRANDOM);

		for (cptr_t i = 0; i < NRANDOM; i++) {
			cptr_t s = FZ_FIRST_RANDOM + (start + i) % NRANDOM;

			if (shadow[s] != CAP_NULL)
				return s;
		}
	}
	return any_slot();
}

/* A destination CSpace: the caller's own, mostly. */
static cptr_t dest_cspace(void)
{
	if (chance(75))
		return CPTR_SELF;
	return chance(80) ? slot_of(CAP_CSPACE) : any_slot();
}

/* ------------------------------------------------------------ other arguments */

static uint32_t tracked[TRACKED];      /* virtual addresses mapped once */
static unsigned ntracked;

static void track(uint32_t va)
{
	tracked[ntracked % TRACKED] = va & ~0xfffu;
	ntracked++;
}

static uint32_t any_va(void)
{
	static const uint32_t edges[] = { 0, 0xfff, 0x1000, 0x00100000u, 0x00400000u,
					  0x7fffc000u, 0x7ffff000u, VA_GIB, VA_GIB + 0x200000u,
					  0xbfe00000u, 0xbffff000u, USER_TOP, 0xc0001000u,
					  0xfffff000u, 0xffffffffu };
	unsigned r = below(20);

	if (r < 11)             /* 64 KiB aligned in the window */
		return VA_WINDOW + (below((VA_WINDOW_END - VA_WINDOW) >> 16) << 16);
	if (r < 13)             /* 2 MiB aligned */
		return VA_WINDOW + (below((VA_WINDOW_END - VA_WINDOW) >> 21) << 21);
	if (r == 13)
		return VA_GIB;
	if (r == 14)
		return edges[below(sizeof(edges) / sizeof(edges[0]))];
	if (r == 15)            /* unaligned */
		return VA_WINDOW + (below((VA_WINDOW_END - VA_WINDOW) >> 12) << 12) + 1 + below(0xfff);
	if (r == 16)
		return rnd();
	if (ntracked)
		return tracked[below(ntracked < TRACKED ? ntracked : TRACKED)];
	return VA_WINDOW;
}

/* An address the kernel may be asked to write to: any_va(), but never the
 * fuzzer's own program, stack or IPC buffer (which it would be entitled
 * to overwrite, and which the canaries watch). */
static uint32_t write_va(void)
{
	uint32_t va = any_va();

	if ((va >= 0x1000 && va < 0x01000000u) || (va >= 0x7fff0000u && va < VA_GIB))
		return VA_WINDOW_END + (va & 0xffffu);
	return va;
}

static unsigned any_rights(void)
{
	static const unsigned common[] = { R_READ, R_READ | R_WRITE, R_READ | R_EXEC, R_ALL,
					   R_WRITE | R_GRANT, R_READ | R_WRITE | R_GRANT };

	if (chance(70))
		return common[below(sizeof(common) / sizeof(common[0]))];
	return chance(90) ? below(16) : rnd();
}

static uint32_t any_word(void)
{
	static const uint32_t edges[] = { 0, 1, 2, 3, 4, 7, 8, 15, 16, 63, 64, 65, 255, 256,
					  4095, 4096, 4097, 0x7fffffffu, 0x80000000u,
					  0xfffffffeu, 0xffffffffu };

	return chance(60) ? edges[below(sizeof(edges) / sizeof(edges[0]))] : rnd();
}

static uint32_t any_info(void)
{
	unsigned len, caps = 0;

	if (chance(70))
		len = below(5);
	else if (chance(80))
		len = below(65);
	else
		len = 65 + below(63);           /* past MSG_MAX_WORDS: E_INVAL */
	if (chance(20))
		caps = 1 + below(3);
	return MSG_INFO(chance(90) ? below(16) : rnd(), len, caps);
}

/* The capability part of a message: slots to send, where to receive. */
static void fill_ipcbuf(void)
{
	struct ipc_buffer *b = cairn_ipcbuf;

	for (unsigned i = 0; i < MSG_MAX_CAPS; i++) {
		b->caps[i] = full_slot();
		if (in_random(b->caps[i]))
			fresh[b->caps[i]] = false;      /* a copy may be written elsewhere */
	}
	b->recv_cspace = chance(80) ? CPTR_SELF : chance(50) ? 0 : dest_cspace();
	b->recv_slot = chance(70) ? empty_slot() : chance(50) ? 0 : any_slot();
	for (unsigned i = 4; i < 16; i++)
		b->mr[i] = rnd();
}

/* A program counter for a thread the fuzzer starts: one of the harness's
 * stackless loops, or an address that faults or is refused -- never the
 * fuzzer's own code or data, which a thread sharing its address space
 * could otherwise run into. */
static uint32_t any_pc(void)
{
	static const uint32_t bad[] = { 0, 4, 0x1000, USER_TOP - 4, USER_TOP, 0xfffffffcu,
					0x10000002u, VA_GIB };

	switch (below(12)) {
	case 0: case 1: return (uint32_t)(uintptr_t)fz_thread_serve;
	case 2: case 3: return (uint32_t)(uintptr_t)fz_thread_call;
	case 4: case 5: return (uint32_t)(uintptr_t)fz_thread_signal;
	case 6: case 7: return (uint32_t)(uintptr_t)fz_thread_wait;
	case 8: return VA_WINDOW_END + 0x1000u + (below(0x1000) << 2);  /* unmapped */
	default: return bad[below(sizeof(bad) / sizeof(bad[0]))];
	}
}

/* ------------------------------------------------------------ failures */

static uint32_t seed_now;
static uint32_t walk_walkers, walk_items;       /* the last clean walk */

static void report(unsigned label, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	struct msg m = { MSG_INFO(label, 4, 0), { a, b, c, d }, 0 };

	sys_send(FZ_REPORT, &m);
}

/* Wait for the root task to end the process (it sends nothing more). */
static void __attribute__((noreturn)) park(void)
{
	for (;;) {
		struct msg m = { 0, { 0 }, 0 };

		sys_recv(FZ_CMD, &m);
	}
}

static void __attribute__((noreturn)) fail(unsigned why, uint32_t a, uint32_t b)
{
	uprintf("fuzz: seed %u call %u: failure %u (%#x, %#x)\n", (unsigned)seed_now,
		(unsigned)call_index, why, (unsigned)a, (unsigned)b);
	report(FZ_REP_FAIL, call_index, why, a, b);
	park();
}

/* ------------------------------------------------------------ probes */

/* Read (write) a word the kernel may not have mapped: true if it faulted. */
static bool probe_read(uint32_t va, uint32_t *v)
{
	uint32_t x;

	probe_faulted = 0;
	probe_landing = (uint32_t)(uintptr_t)fz_probe_landing;
	probe_pc2 = probe_pc = (uint32_t)(uintptr_t)fz_probe_read_insn;
	x = fz_probe_read(va);
	probe_pc = probe_pc2 = 0;
	if (v)
		*v = x;
	return probe_faulted;
}

static bool probe_write(uint32_t va, uint32_t v)
{
	probe_faulted = 0;
	probe_landing = (uint32_t)(uintptr_t)fz_probe_landing;
	probe_pc2 = probe_pc = (uint32_t)(uintptr_t)fz_probe_write_insn;
	fz_probe_write(va, v);
	probe_pc = probe_pc2 = 0;
	return probe_faulted;
}

static bool is_device_pa(uint64_t pa);

/* Touch a tracked page and hold the kernel to what MAP_INFO says of it. */
static void touch(void)
{
	uint32_t va, v = 0, w;
	uint64_t pa;
	unsigned rights, attr;
	int err;

	if (!ntracked)
		return;
	va = tracked[below(ntracked < TRACKED ? ntracked : TRACKED)];
	err = sys_map_info(FZ_VSPACE, va, &pa, &rights, &attr);
	if (err == E_NOENT) {
		if (!probe_read(va, &v))
			fail(FZ_FAIL_STALE, va, v);
		stats[FZS_PROBES_FAULTED]++;
		return;
	}
	if (err || attr != ATTR_NORMAL_WB || is_device_pa(pa) || !(rights & R_READ))
		return;
	if (probe_read(va, &v))
		fail(FZ_FAIL_LOST, va, rights);
	if ((rights & R_WRITE) && chance(30)) {
		/* Make the page a usable IPC buffer for a thread the fuzzer may
		 * configure with it: capabilities it receives land in the
		 * fuzzer's CSpace. */
		struct ipc_buffer *b = (struct ipc_buffer *)(uintptr_t)va;
		uint32_t slot = empty_slot();

		if (probe_write((uint32_t)(uintptr_t)&b->recv_cspace, CPTR_SELF) ||
		    probe_write((uint32_t)(uintptr_t)&b->recv_slot, slot) ||
		    probe_read((uint32_t)(uintptr_t)&b->recv_slot, &v) || v != slot)
			fail(FZ_FAIL_DATA, va, v);
	} else if (rights & R_WRITE) {
		w = rnd();
		if (probe_write(va, w))
			fail(FZ_FAIL_LOST, va, rights);
		if (probe_read(va, &v) || v != w)
			fail(FZ_FAIL_DATA, va, v);
	} else if (!probe_write(va, v)) {
		fail(FZ_FAIL_WRITE_RO, va, rights);
	}
	stats[FZS_TOUCHED]++;
}

/* ------------------------------------------------------------ the device ranges */

static uint64_t dev_base[2], dev_end[2];

static bool is_device_pa(uint64_t pa)
{
	for (unsigned i = 0; i < 2; i++)
		if (pa >= dev_base[i] && pa < dev_end[i])
			return true;
	return false;
}

/* ------------------------------------------------------------ canaries */

static uint32_t canary[CANARY_WORDS];

static uint32_t canary_value(unsigned i)
{
	return 0xc0ffee00u ^ (i * 0x9e3779b9u);
}

static void canary_check(const uint32_t *stack_canary, unsigned n)
{
	for (unsigned i = 0; i < CANARY_WORDS; i++)
		if (canary[i] != canary_value(i))
			fail(FZ_FAIL_CANARY, (uint32_t)(uintptr_t)&canary[i], canary[i]);
	for (unsigned i = 0; i < n; i++)
		if (stack_canary[i] != ~canary_value(i))
			fail(FZ_FAIL_CANARY, (uint32_t)(uintptr_t)&stack_canary[i], stack_canary[i]);
}

/* ------------------------------------------------------------ one call */

/* Issue call n with *s; a call that may block wakes the watchdog first. */
static int issue(uint32_t n, struct sysregs *s, bool may_block)
{
	uint32_t before = rescues;
	int err;

	cur_sys = n;
	if (tracing)
		uprintf("fuzz: call %u: sys %u (%#x %#x %#x %#x %#x %#x %#x)",
			(unsigned)call_index, (unsigned)n, (unsigned)s->r[0], (unsigned)s->r[1],
			(unsigned)s->r[2], (unsigned)s->r[3], (unsigned)s->r[4], (unsigned)s->r[5],
			(unsigned)s->r[6]);
	if (may_block)
		sys_signal(FZ_WD_NTFN);
	err = cairn_syscall(n, s);
	if (rescues != before)
		stats[FZS_BLOCKED]++;
	if (err > 0 || err < E_STATE)
		fail(FZ_FAIL_RESULT, n, (uint32_t)err);
	if (tracing)
		uprintf(" -> %d\n", err);
	if (err)
		stats[FZS_ERRORS] |= 1u << -err;
	else {
		stats[FZS_OK]++;
		ok_calls[n / 32] |= 1u << (n % 32);
	}
	return err;
}

/*
 * Two sequences of calls that random choices alone rarely line up, each
 * call of them a real one with its own checks:
 *  - a server: a thread with an IPC buffer that accepts capabilities into
 *    the fuzzer's CSpace, started on the harness's serve or wait loop on
 *    an endpoint, so that calls and sends with capabilities find a
 *    receiver;
 *  - a derivation chain: a capability copied again and again from the
 *    last copy, so that revokes meet deep trees.
 */
static cptr_t find(unsigned type)
{
	cptr_t start = below(NRANDOM);

	for (cptr_t i = 0; i < NRANDOM; i++) {
		cptr_t s = FZ_FIRST_RANDOM + (start + i) % NRANDOM;

		if (shadow[s] == type)
			return s;
	}
	return CPTR_NULL;
}

static void make_server(void)
{
	cptr_t th = find(CAP_THREAD), mem = find(CAP_MEM), ep = find(CAP_ENDPOINT);
	cptr_t cs = find(CAP_CSPACE), vs = find(CAP_VSPACE);
	struct cap_info ci;
	struct sysregs s;
	uint64_t pa;
	unsigned r, a;
	uint32_t va;

	if (!th || !mem || !ep || !cs || !vs || sys_cap_inspect(mem, &ci) || !ci.mapped)
		return;
	va = ci.extra & ~0xfffu;
	/* Mapped here, writable: make it a buffer that accepts capabilities. */
	if (sys_map_info(FZ_VSPACE, va, &pa, &r, &a) || pa != ci.base || !(r & R_WRITE) ||
	    a != ATTR_NORMAL_WB) {
		return;
	}
	{
		struct ipc_buffer *b = (struct ipc_buffer *)(uintptr_t)va;

		if (probe_write((uint32_t)(uintptr_t)&b->recv_cspace, CPTR_SELF) ||
		    probe_write((uint32_t)(uintptr_t)&b->recv_slot, empty_slot()) ||
		    probe_write((uint32_t)(uintptr_t)&b->caps[0], full_slot()))
			fail(FZ_FAIL_LOST, va, r);
	}
	s = (struct sysregs){ { th, cs, vs, mem, chance(50) ? find(CAP_ENDPOINT) : 0 } };
	if (issue(SYS_THREAD_CONFIGURE, &s, false))
		return;
	{
		static char *const loops[] = { fz_thread_serve, fz_thread_wait, fz_thread_call };

		s = (struct sysregs){ { th, (uint32_t)(uintptr_t)loops[below(3)], 0, ep, 0 } };
	}
	if (issue(SYS_THREAD_SET_REGS, &s, false))
		return;
	/* Above the watchdog, so it serves before the watchdog ends a call. */
	s = (struct sysregs){ { th, THREAD_PRIO_MIN + below(FZ_PRIO - THREAD_PRIO_MIN), FZ_SELF } };
	if (issue(SYS_THREAD_SET_PRIO, &s, false))
		return;
	s = (struct sysregs){ { th } };
	if (!issue(SYS_THREAD_RESUME, &s, false)) {
		stats[FZS_THREADS_RUN]++;
		stats[FZS_SERVERS]++;
	}
}

static void derive_chain(void)
{
	cptr_t from = full_slot();
	unsigned n = 1 + below(24);

	for (unsigned i = 0; i < n && in_random(from); i++) {
		cptr_t to = find(CAP_NULL);
		unsigned type = shadow[from];
		struct sysregs s = { { from, CPTR_SELF, to, any_rights(), 0, 0 } };

		if (!to)
			return;
		if (issue(chance(70) ? SYS_CAP_COPY : SYS_CAP_MINT, &s, false))
			return;
		stats[FZS_DERIVED]++;
		fresh[from] = false;
		shadow_set(to, type);
		from = to;
	}
}

static const uint32_t gaps[] = { 9, 17, 18, 19, 27, 28, 29, 38, 39, 43, 44, 45, 46, 47, 48, 49 };

static char logbuf[512];

static void one_call(void)
{
	struct sysregs s = { { 0 } };
	unsigned op = below(100);
	uint32_t n, info_sent;
	int err;

	/* The mix: capability and memory calls most, IPC and threads next. */
	if (op < 8) {                                   /* IPC on a capability */
		static const uint32_t ipc[] = { SYS_SEND, SYS_NBSEND, SYS_CALL, SYS_RECV,
						SYS_NBRECV, SYS_REPLY_RECV, SYS_NBSEND, SYS_NBRECV };
		unsigned t = below(3);

		n = ipc[below(sizeof(ipc) / sizeof(ipc[0]))];
		if (n == SYS_CALL || n == SYS_REPLY_RECV)
			t = chance(85) ? 0 : below(3);  /* an endpoint, mostly */
		s.r[0] = slot_of(t == 0 ? CAP_ENDPOINT : t == 1 ? CAP_NOTIFICATION : CAP_REPLY);
		s.r[1] = any_info();
		for (unsigned i = 2; i < 6; i++)
			s.r[i] = rnd();
		fill_ipcbuf();
		info_sent = s.r[1];
		err = issue(n, &s, n == SYS_SEND || n == SYS_CALL || n == SYS_RECV ||
			    n == SYS_REPLY_RECV);
		if (!err && MSG_CAPS(info_sent) && (n == SYS_SEND || n == SYS_NBSEND || n == SYS_CALL))
			stats[FZS_CAPS_SENT]++;
		if (!err && n != SYS_NBSEND && n != SYS_SEND) {
			stats[FZS_IPC_DONE]++;
			if (MSG_LABEL(s.r[1]) >= FAULT_LABEL_BASE + FAULT_DATA &&
			    MSG_LABEL(s.r[1]) <= FAULT_LABEL_BASE + FAULT_ALIGN)
				stats[FZS_FAULTS_SEEN]++;
			if (cairn_ipcbuf->recv_caps) {
				stats[FZS_CAPS_MOVED]++;
				for (unsigned i = 0; i < cairn_ipcbuf->recv_caps; i++)
					shadow_set(cairn_ipcbuf->recv_slot + i, SH_UNKNOWN);
			}
		}
		return;
	}
	if (op < 10) {                                  /* reply, yield, null */
		n = op == 8 ? SYS_REPLY : chance(50) ? SYS_YIELD : SYS_NULL;
		s.r[1] = any_info();
		s.r[2] = rnd();
		fill_ipcbuf();
		issue(n, &s, false);
		return;
	}
	switch (op) {
	case 10 ... 17: {                               /* copy, mint */
		bool mint = op >= 13;
		cptr_t src = full_slot(), dcs = dest_cspace(), dst = empty_slot();
		unsigned type = in_random(src) ? shadow[src] : SH_UNKNOWN;

		s.r[0] = src;
		s.r[1] = dcs;
		s.r[2] = dst;
		if (mint) {
			s.r[3] = any_rights();
			if (type == CAP_MEM || type == CAP_DEVICE) {
				/* Subranges in pages: small ones, a 2 MiB block, a GiB. */
				static const uint32_t pages[] = { 0, 1, 2, 3, 16, 512, 513, 262144,
								  262145, 262656 };

				s.r[4] = chance(50) ? below(4) : chance(60) ? pages[below(10)] :
								     any_word();
				s.r[5] = chance(70) ? pages[below(10)] : any_word();
			} else if (type == CAP_ENDPOINT || type == CAP_NOTIFICATION) {
				s.r[4] = chance(50) ? 1u << below(32) : any_word();
				s.r[5] = chance(90) ? 0 : any_word();
			} else {
				s.r[4] = chance(90) ? 0 : any_word();
				s.r[5] = chance(90) ? 0 : any_word();
			}
		}
		err = issue(mint ? SYS_CAP_MINT : SYS_CAP_COPY, &s, false);
		if (!err) {
			stats[FZS_DERIVED]++;
			if (in_random(src))
				fresh[src] = false;
			if (dcs == CPTR_SELF)
				shadow_set(dst, type);
		}
		return;
	}
	case 18 ... 20: {                               /* move */
		cptr_t src = full_slot(), dcs = dest_cspace(), dst = empty_slot();

		s.r[0] = src;
		s.r[1] = dcs;
		s.r[2] = dst;
		if (!issue(SYS_CAP_MOVE, &s, false)) {
			bool f = in_random(src) && fresh[src];

			if (dcs == CPTR_SELF) {
				shadow_set(dst, in_random(src) ? shadow[src] : SH_UNKNOWN);
				if (in_random(dst))
					fresh[dst] = f;
			}
			shadow_set(src, CAP_NULL);
		}
		return;
	}
	case 21 ... 25: {                               /* delete */
		cptr_t sl = chance(90) ? full_slot() : any_slot();

		s.r[0] = chance(90) ? CPTR_SELF : dest_cspace();
		s.r[1] = sl;
		if (!issue(SYS_CAP_DELETE, &s, false) && s.r[0] == CPTR_SELF)
			shadow_set(sl, CAP_NULL);
		return;
	}
	case 26 ... 29:                                 /* revoke */
		s.r[0] = chance(90) ? CPTR_SELF : dest_cspace();
		s.r[1] = chance(90) ? full_slot() : any_slot();
		if (!issue(SYS_CAP_REVOKE, &s, false))
			stats[FZS_REVOKED]++;
		return;
	case 30 ... 31:                                 /* inspect */
		s.r[0] = any_slot();
		err = issue(SYS_CAP_INSPECT, &s, false);
		if (in_random(s.r[0]) && (err == 0 || err == E_NOCAP))
			shadow[s.r[0]] = err ? CAP_NULL : (uint8_t)(s.r[1] & 0xff);
		return;
	case 32: {                                      /* save the reply */
		cptr_t dst = empty_slot();

		s.r[0] = dst;
		if (!issue(SYS_CAP_SAVE_REPLY, &s, false))
			shadow_set(dst, CAP_REPLY);
		return;
	}
	case 33 ... 38: {                               /* create an object */
		static const unsigned types[] = { CAP_ENDPOINT, CAP_NOTIFICATION, CAP_THREAD,
						  CAP_CSPACE, CAP_VSPACE, CAP_ENDPOINT,
						  CAP_NOTIFICATION, CAP_THREAD };
		static const uint32_t cslots[] = { 2, 16, 64, 256, 0, 1, CSPACE_SLOTS,
						   CSPACE_SLOTS + 1 };
		cptr_t dcs = dest_cspace(), dst = empty_slot();
		unsigned type = chance(90) ? types[below(sizeof(types) / sizeof(types[0]))] :
					     below(16);

		s.r[0] = chance(95) ? slot_of(CAP_QUOTA) : any_slot();
		s.r[1] = type;
		s.r[2] = dcs;
		s.r[3] = dst;
		s.r[4] = type == CAP_CSPACE ? (chance(80) ? cslots[below(4)] : cslots[below(8)]) :
			 chance(90) ? 0 : any_word();
		err = issue(SYS_OBJ_CREATE, &s, false);
		if (!err) {
			stats[FZS_CREATED]++;
			if (dcs == CPTR_SELF)
				shadow_set(dst, type);
			if (type == CAP_THREAD && dcs == CPTR_SELF && in_random(dst) &&
			    chance(70)) {
				/* Give it a priority below the fuzzer's, from the
				 * harness's own thread (its maximum is FZ_PRIO). */
				struct sysregs p = { { dst, THREAD_PRIO_MIN +
						       below(FZ_PRIO - THREAD_PRIO_MIN + 1),
						       FZ_SELF } };

				issue(SYS_THREAD_SET_PRIO, &p, false);
			}
		}
		return;
	}
	case 39 ... 43: {                               /* allocate memory */
		cptr_t dcs = dest_cspace(), dst = empty_slot();
		unsigned order = chance(70) ? below(3) : chance(80) ? below(11) : below(16);

		s.r[0] = chance(95) ? slot_of(CAP_QUOTA) : any_slot();
		s.r[1] = chance(80) ? POOL_ID_DIRECT : chance(50) ? below(POOL_IDS + 1) : rnd();
		s.r[2] = order;
		s.r[3] = dcs;
		s.r[4] = dst;
		if (!issue(SYS_MEM_ALLOC, &s, false)) {
			stats[FZS_CREATED]++;
			if (dcs == CPTR_SELF) {
				shadow_set(dst, CAP_MEM);
				if (in_random(dst))
					fresh[dst] = true;
			}
		}
		return;
	}
	case 44 ... 45: {                               /* carve a quota */
		cptr_t dcs = dest_cspace(), dst = empty_slot();

		s.r[0] = slot_of(CAP_QUOTA);
		s.r[1] = dcs;
		s.r[2] = dst;
		s.r[3] = chance(80) ? below(64) : any_word();
		s.r[4] = chance(90) ? 0 : any_word();
		s.r[5] = chance(90) ? 0 : any_word();
		s.r[6] = chance(80) ? below(16384) : any_word();
		if (!issue(SYS_QUOTA_CARVE, &s, false) && dcs == CPTR_SELF)
			shadow_set(dst, CAP_QUOTA);
		return;
	}
	case 46:                                        /* quota info */
		s.r[0] = slot_of(CAP_QUOTA);
		s.r[1] = chance(90) ? below(POOL_IDS + 1) : rnd();
		issue(SYS_QUOTA_INFO, &s, false);
		return;
	case 47 ... 54: {                               /* map */
		cptr_t mem = chance(75) ? slot_of(CAP_MEM) : slot_of(CAP_DEVICE);
		uint32_t va = any_va();

		s.r[0] = chance(85) ? slot_of(CAP_VSPACE) : any_slot();
		s.r[1] = mem;
		s.r[2] = va;
		s.r[3] = chance(80) ? (chance(50) ? R_READ | R_WRITE : R_READ) : any_rights();
		s.r[4] = chance(80) ? ATTR_DEFAULT : chance(80) ? below(4) : rnd();
		if (!issue(SYS_MAP, &s, false)) {
			struct cap_info ci;
			uint64_t pa;
			unsigned r, a;

			stats[FZS_MAPPED]++;
			if (sys_cap_inspect(mem, &ci))
				return;
			if (ci.type == CAP_DEVICE && ci.size >= 512 && !(va & 0x1fffff))
				stats[FZS_BLOCK_MAPS]++;
			/* Into this address space (not one the fuzzer made)? */
			if (sys_map_info(FZ_VSPACE, va, &pa, &r, &a) || pa != ci.base)
				return;
			track(va);
			/* Fresh memory reads zero. */
			if (in_random(mem) && fresh[mem] && (r & R_READ) && a == ATTR_NORMAL_WB) {
				uint32_t v = 0;

				for (uint32_t off = 0; off < ci.size * 4096u && off < 65536;
				     off += 4096)
					if (probe_read(va + off, &v) || v)
						fail(FZ_FAIL_ZERO, va + off, v);
			}
			if (in_random(mem))
				fresh[mem] = false;
		}
		return;
	}
	case 55 ... 58: {                               /* unmap */
		cptr_t mem = chance(75) ? slot_of(CAP_MEM) : slot_of(CAP_DEVICE);

		s.r[0] = mem;
		issue(SYS_UNMAP, &s, false);
		return;
	}
	case 59 ... 60:                                 /* map info */
		s.r[0] = chance(85) ? slot_of(CAP_VSPACE) : any_slot();
		s.r[1] = any_va();
		issue(SYS_MAP_INFO, &s, false);
		return;
	case 61 ... 63:                                 /* configure a thread */
		s.r[0] = slot_of(CAP_THREAD);
		s.r[1] = chance(20) ? 0 : slot_of(CAP_CSPACE);
		s.r[2] = chance(20) ? 0 : slot_of(CAP_VSPACE);
		s.r[3] = chance(60) ? 0 : slot_of(CAP_MEM);
		s.r[4] = chance(50) ? 0 : slot_of(CAP_ENDPOINT);
		issue(SYS_THREAD_CONFIGURE, &s, false);
		return;
	case 64 ... 66:                                 /* registers */
		s.r[0] = slot_of(CAP_THREAD);
		s.r[1] = any_pc();
		s.r[2] = chance(80) ? VA_WINDOW + (below(1024) << 12) : any_word();
		s.r[3] = chance(85) ? full_slot() : any_slot();
		s.r[4] = rnd();
		issue(SYS_THREAD_SET_REGS, &s, false);
		return;
	case 67 ... 69:                                 /* resume */
		s.r[0] = slot_of(CAP_THREAD);
		if (!issue(SYS_THREAD_RESUME, &s, false))
			stats[FZS_THREADS_RUN]++;
		return;
	case 70 ... 71:
		s.r[0] = slot_of(CAP_THREAD);
		issue(SYS_THREAD_SUSPEND, &s, false);
		return;
	case 72: {
		bool own = chance(50);

		s.r[0] = slot_of(CAP_THREAD);
		s.r[1] = chance(80) ? THREAD_PRIO_MIN + below(FZ_PRIO - THREAD_PRIO_MIN + 1) :
				      any_word();
		s.r[2] = own ? FZ_SELF : slot_of(CAP_THREAD);
		issue(SYS_THREAD_SET_PRIO, &s, false);
		return;
	}
	case 73:
		s.r[0] = slot_of(CAP_THREAD);
		issue(chance(50) ? SYS_THREAD_INFO : SYS_THREAD_GET_REGS, &s, false);
		return;
	case 74:
		s.r[0] = slot_of(CAP_THREAD);
		s.r[1] = chance(30) ? 0 : slot_of(CAP_NOTIFICATION);
		issue(SYS_THREAD_BIND, &s, false);
		return;
	case 75 ... 76: {                               /* interrupts */
		static const uint32_t lines[] = { 0, 16, 31, 32, 33, 40, 47, 48, 64, 79, 80, 95,
						  127, 128, 159, 160, 287, 1019, 1020, 1023,
						  0xffffffffu };
		cptr_t dcs = dest_cspace(), dst = empty_slot();

		s.r[0] = slot_of(CAP_IRQ_CONTROL);
		s.r[1] = chance(60) ? 32 + below(96) : lines[below(sizeof(lines) / sizeof(lines[0]))];
		s.r[2] = dcs;
		s.r[3] = dst;
		if (!issue(SYS_IRQ_GET, &s, false) && dcs == CPTR_SELF)
			shadow_set(dst, CAP_IRQ_HANDLER);
		return;
	}
	case 77:
		s.r[0] = slot_of(CAP_IRQ_HANDLER);
		s.r[1] = chance(80) ? slot_of(CAP_NOTIFICATION) : any_slot();
		issue(chance(60) ? SYS_IRQ_BIND : SYS_IRQ_ACK, &s, false);
		return;
	case 78: {                                      /* the log */
		static const char line[] = "fuzz: a log line\n";
		unsigned r = below(10);

		if (r == 0 && chance(2)) {
			s.r[0] = (uint32_t)(uintptr_t)line;
			s.r[1] = sizeof(line) - 1;
		} else if (r < 5) {
			s.r[0] = chance(50) ? any_va() : (uint32_t)(uintptr_t)line;
			s.r[1] = chance(50) ? 0 : any_word() | 257; /* empty, or refused */
			if (s.r[1] && s.r[1] <= 256)
				s.r[1] = 0;
		} else {
			s.r[0] = any_va();      /* unmapped or not ours: E_FAULT, or empty */
			s.r[1] = below(3) ? 0 : 1 + below(256);
			if (s.r[1] && !(s.r[0] >= USER_TOP || s.r[0] + s.r[1] < s.r[0])) {
				uint64_t pa;

				/* Only where nothing is mapped: no stray lines on the console. */
				if (sys_map_info(FZ_VSPACE, s.r[0], &pa, NULL, NULL) != E_NOENT ||
				    sys_map_info(FZ_VSPACE, s.r[0] + s.r[1] - 1, &pa, NULL, NULL) !=
					    E_NOENT)
					s.r[1] = 0;
			}
		}
		issue(SYS_LOG_WRITE, &s, false);
		return;
	}
	case 79:
		s.r[0] = slot_of(CAP_SYSTEM);
		/* Into the fuzzer's buffer (no more than it holds), or anywhere
		 * else the kernel may refuse or write. */
		if (chance(70)) {
			s.r[1] = (uint32_t)(uintptr_t)logbuf;
			s.r[2] = below(sizeof(logbuf) + 1);
		} else {
			s.r[1] = write_va();
			s.r[2] = any_word();
		}
		s.r[3] = chance(70) ? below(8192) : any_word();
		issue(SYS_LOG_READ, &s, false);
		return;
	case 80 ... 81: {
		static const uint32_t what[] = { 0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 0xff, 0x100, 0x101,
						 0x105, 0x13f, 0x140, 0x1ff, 0x200, 0x202, 0x203,
						 0x204, 0x205, 0x300, 0xffffffffu };

		s.r[0] = what[below(sizeof(what) / sizeof(what[0]))];
		if (chance(2)) {
			/* The walkers through a random slot: mostly refused. */
			s.r[0] = SYSINFO_CHECK;
			s.r[1] = chance(20) ? slot_of(CAP_SYSTEM) : full_slot();
		}
		issue(SYS_SYSTEM_INFO, &s, false);
		return;
	}
	case 82:                                        /* refused: R_READ system caps only */
		s.r[0] = chance(60) ? slot_of(CAP_SYSTEM) : full_slot();
		s.r[1] = chance(50) ? 0 : any_word();
		s.r[2] = chance(50) ? 0 : any_word();
		issue(chance(50) ? SYS_POWEROFF : SYS_CONSOLE, &s, false);
		return;
	case 83:                                        /* numbers that are no call */
		if (chance(90)) {
			for (unsigned i = 0; i < 7; i++)
				s.r[i] = rnd();
			issue(gaps[below(sizeof(gaps) / sizeof(gaps[0]))], &s, false);
		} else {
			/* Beyond SYS_COUNT: a fault, handled by the watchdog. */
			uint32_t num = chance(50) ? SYS_COUNT + below(8) : rnd() | 0x100;

			cur_sys = num;
			probe_faulted = 0;
			probe_landing = (uint32_t)(uintptr_t)fz_badsys_landing;
			probe_pc = (uint32_t)(uintptr_t)fz_badsys_insn;
			probe_pc2 = probe_pc + 4;
			fz_badsys(num);
			probe_pc = probe_pc2 = 0;
			if (!probe_faulted)
				fail(FZ_FAIL_RESULT, num, 0);
		}
		return;
	case 84 ... 86:
		make_server();
		return;
	case 87:
		derive_chain();
		return;
	default:                                        /* 88..99: touch memory */
		touch();
		return;
	}
}

/* ------------------------------------------------------------ the watchdog */

static void wd_rescue(void)
{
	struct thread_info ti;

	if (sys_thread_info(WD_MAIN, &ti))
		return;
	if (ti.state >= TS_BLOCKED_SEND && ti.state <= TS_BLOCKED_NTFN) {
		rescues++;
		sys_thread_suspend(WD_MAIN);
		sys_thread_resume(WD_MAIN);
	}
}

static void wd_fault(const struct msg *m)
{
	uint32_t pc = m->mr[0];
	struct thread_regs regs;

	if (probe_pc && (pc == probe_pc || pc == probe_pc2) && !sys_thread_get_regs(WD_MAIN, &regs) &&
	    !sys_thread_set_regs(WD_MAIN, probe_landing, regs.sp, 0, 0)) {
		struct msg r = { MSG_INFO(0, 0, 0), { 0 }, 0 };

		probe_faulted = 1;
		sys_reply(&r);
		return;
	}
	/* Unexpected: report it and leave the fuzzer stopped. */
	{
		struct msg f = { MSG_INFO(FZ_REP_FAIL, 4, 0),
				 { call_index, FZ_FAIL_FAULT, pc, m->mr[1] }, 0 };

		sys_send(WD_REPORT, &f);
	}
}

static void __attribute__((noreturn)) wd_main(void)
{
	for (;;) {
		struct msg m = { 0, { 0 }, 0 };

		if (sys_recv(WD_EP, &m))
			continue;
		if (MSG_LABEL(m.info) == MSG_LABEL_NOTIFY) {
			/* The fuzzer cannot run: a fault queued, or a call blocked. */
			struct msg f = { 0, { 0 }, 0 };

			if (!sys_nbrecv(WD_EP, &f) && MSG_LABEL(f.info) != MSG_LABEL_NOTIFY)
				wd_fault(&f);
			else
				wd_rescue();
			continue;
		}
		wd_fault(&m);
	}
}

/* ------------------------------------------------------------ set-up */

static int setup(void)
{
	static const unsigned make[] = { CAP_ENDPOINT, CAP_ENDPOINT, CAP_ENDPOINT,
					 CAP_NOTIFICATION, CAP_NOTIFICATION, CAP_THREAD,
					 CAP_THREAD, CAP_THREAD, CAP_VSPACE, CAP_CSPACE };
	struct cap_info ci;
	cptr_t s = FZ_FIRST_RANDOM;
	int err;

	/* The watchdog: its own CSpace (the fuzzer's thread, its fault
	 * endpoint, a notification bound to it, the report endpoint), the
	 * fuzzer's address space, a stack in the fuzzer's data. */
	err = sys_obj_create(FZ_ACCOUNT, CAP_CSPACE, CPTR_SELF, FZ_WD_CSPACE, WD_SLOTS);
	if (!err)
		err = sys_obj_create(FZ_ACCOUNT, CAP_THREAD, CPTR_SELF, FZ_WD_THREAD, 0);
	if (!err)
		err = sys_obj_create(FZ_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, FZ_WD_EP, 0);
	if (!err)
		err = sys_obj_create(FZ_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, FZ_WD_NTFN, 0);
	if (!err)
		err = sys_cap_copy(FZ_SELF, FZ_WD_CSPACE, WD_MAIN);
	if (!err)
		err = sys_cap_mint(FZ_WD_EP, FZ_WD_CSPACE, WD_EP, R_READ, 0, 0);
	if (!err)
		err = sys_cap_copy(FZ_WD_NTFN, FZ_WD_CSPACE, WD_NTFN);
	if (!err)
		err = sys_cap_copy(FZ_REPORT, FZ_WD_CSPACE, WD_REPORT);
	if (!err)
		err = sys_thread_configure(FZ_WD_THREAD, FZ_WD_CSPACE, FZ_VSPACE, 0, FZ_ROOT_FAULT);
	if (!err)
		err = sys_thread_bind(FZ_WD_THREAD, FZ_WD_NTFN);
	if (!err)
		err = sys_thread_set_prio(FZ_WD_THREAD, WD_PRIO, FZ_SELF);
	if (!err)
		err = sys_thread_set_regs(FZ_WD_THREAD, (uint32_t)(uintptr_t)wd_main,
					  (uint32_t)(uintptr_t)(wd_stack + sizeof(wd_stack)), 0, 0);
	if (!err)
		err = sys_thread_resume(FZ_WD_THREAD);
	/* The fuzzer's own faults go to the watchdog from now on. */
	if (!err)
		err = sys_thread_configure(FZ_SELF, 0, 0, 0, FZ_WD_EP);
	if (err)
		return err;

	/* The device ranges (never touched, only mapped). */
	if (!sys_cap_inspect(FZ_DEVICE, &ci)) {
		dev_base[0] = ci.base;
		dev_end[0] = ci.base + (uint64_t)ci.size * 4096u;
	}
	if (!sys_cap_inspect(FZ_WINDOW, &ci)) {
		dev_base[1] = ci.base;
		dev_end[1] = ci.base + (uint64_t)ci.size * 4096u;
	}

	/* The random range: the root task put copies of the CSpace, address
	 * space, account, system, IRQ control and device capabilities at its
	 * start; add objects of every other kind. */
	while (s < FZ_CSLOTS && !sys_cap_inspect(s, &ci))
		s++;
	for (unsigned i = 0; i < sizeof(make) / sizeof(make[0]) && !err; i++, s++)
		err = sys_obj_create(FZ_ACCOUNT, make[i], CPTR_SELF, s,
				     make[i] == CAP_CSPACE ? 64 : 0);
	for (unsigned order = 0; order < 4 && !err; order++, s++)
		err = sys_mem_alloc(FZ_ACCOUNT, POOL_ID_DIRECT, order, CPTR_SELF, s);
	return err;
}

/* ------------------------------------------------------------ the run */

/* Run the walkers; a failure is reported and ends the run. */
static void walk(void)
{
	uint32_t walkers = 0, items = 0, w[4];
	char name[16];
	int err = sys_kcheck(FZ_SYSTEM, &walkers, &items, name);

	stats[FZS_WALKS]++;
	if (!err) {
		walk_walkers = walkers;
		walk_items = items;
		return;
	}
	memcpy(w, name, sizeof(w));
	cairn_ipcbuf->mr[4] = w[0];
	cairn_ipcbuf->mr[5] = w[1];
	cairn_ipcbuf->mr[6] = w[2];
	cairn_ipcbuf->mr[7] = w[3];
	{
		struct msg f = { MSG_INFO(FZ_REP_FAIL, 8, 0),
				 { call_index, FZ_FAIL_WALKER, walkers, items }, 0 };

		sys_send(FZ_REPORT, &f);
	}
	park();
}

int cairn_main(uint32_t arg)
{
	uint32_t stack_canary[64];
	struct msg m = { 0, { 0 }, 0 };
	uint32_t seed, calls, batch, trace;
	int err;

	(void)arg;
	for (unsigned i = 0; i < CANARY_WORDS; i++)
		canary[i] = canary_value(i);
	for (unsigned i = 0; i < 64; i++)
		stack_canary[i] = ~canary_value(i);
	err = setup();
	report(FZ_REP_READY, (uint32_t)err, 0, 0, 0);
	if (err)
		park();
	while (sys_recv(FZ_CMD, &m) || MSG_LABEL(m.info) != FZ_GO)
		;
	seed = m.mr[0];
	calls = m.mr[1];
	batch = m.mr[2] ? m.mr[2] : 1000;
	trace = m.mr[3];
	seed_now = seed;
	rnd_seed(seed);

	for (call_index = 0; call_index < calls;) {
		uint32_t end = call_index + batch < calls ? call_index + batch : calls;

		for (; call_index < end; call_index++) {
			if (call_index % 1000 == 0)
				shadow_sync();
			tracing = call_index >= trace;
			one_call();
			/* Tracing: the walkers after every call, to find the one
			 * that broke an invariant. */
			if (tracing)
				walk();
		}
		canary_check(stack_canary, 64);
		walk();
		report(FZ_REP_BATCH, call_index, walk_walkers, walk_items, 0);
	}
	stats[FZS_DISTINCT_CALLS] = (uint32_t)__builtin_popcount(ok_calls[0]) +
				    (uint32_t)__builtin_popcount(ok_calls[1]);
	for (unsigned i = 0; i < FZS_COUNT; i++)
		cairn_ipcbuf->mr[1 + i] = stats[i];
	m.info = MSG_INFO(FZ_REP_DONE, 1 + FZS_COUNT, 0);
	m.mr[0] = calls;
	m.mr[1] = stats[0];
	m.mr[2] = stats[1];
	m.mr[3] = stats[2];
	sys_send(FZ_REPORT, &m);
	park();
}
