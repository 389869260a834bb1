/*
 * Benchmarks of the kernel interface from user level (the `bench`
 * argument). Each figure is the cycle counter difference around the
 * operation, minimum over runs; under QEMU -icount the counter counts
 * instructions, so the figures are exact and repeatable, and include the
 * few user instructions of the call stubs. Output lines follow the
 * kernel's: "bench: NAME VALUE UNIT # description".
 */
#include "root.h"

#include <stdio.h>

#define RUNS 64

static uint32_t overhead;
static const char *prefix = "", *suffix = "";  /* of names, descriptions: bench_same_core */

/*
 * The user side of a measurement, for subtracting: the same register
 * set-up and read-back as cairn_syscall()/cairn_ipc(), with the svc
 * replaced by a nop. Kernel instructions = total - dry run.
 */
CAIRN_SYSCALL_FN(dry_syscall, "nop")

static __attribute__((noipa)) int dry_ipc(uint32_t n, cptr_t cap, struct msg *m)
{
	CAIRN_IPC_BODY(dry_syscall, n, cap, m);
}

static void report(const char *name, uint32_t v, const char *desc)
{
	uprintf("bench: %s%s %u insns # %s%s\n", prefix, name, (unsigned)v, desc, suffix);
}

#define MEASURE(best, ...)                                                 \
	do {                                                                \
		best = ~0u;                                                 \
		for (int run_ = 0; run_ < RUNS; run_++) {                   \
			uint32_t c0_ = cairn_cycles();                      \
			__VA_ARGS__;                                        \
			uint32_t d_ = cairn_cycles() - c0_;                 \
			if (d_ < best)                                      \
				best = d_;                                  \
		}                                                           \
		best = best > overhead ? best - overhead : 0;               \
	} while (0)

static void bench_null(void)
{
	uint32_t v, dry;

	MEASURE(overhead, (void)0);
	MEASURE(v, sys_null());
	MEASURE(dry, {
		struct sysregs s_ = { { 0 } };
		dry_syscall(SYS_NULL, &s_);
	});
	report("null_syscall_total", v, "SYS_NULL as a program sees it: stub, svc, kernel, return");
	report("null_syscall_kernel", v - dry,
	       "kernel instructions of SYS_NULL (total minus the stub run with a nop)");
}

static void bench_ipc(void)
{
	struct worker w;
	cptr_t ep = slot_alloc(), n = slot_alloc();
	struct msg m = { MSG_INFO(WK_SERVE, 1, 0), { WK_FIRST_FREE, 0, 0, 0 }, 0 };
	uint32_t v;

	if (worker_new(&w, true) || sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, ep, 0) ||
	    sys_cap_mint(ep, w.p.cspace, WK_FIRST_FREE, R_READ, 0, 0) || sys_send(w.cmd, &m)) {
		uprintf("bench: ipc setup failed\n");
		return;
	}
	/* The worker waits in REPLY_RECV on ep: call it. */
	MEASURE(v, {
		struct msg c = { MSG_INFO(1, 1, 0), { 1, 0, 0, 0 }, 0 };
		sys_call(ep, &c);
	});
	{
		uint32_t dry;
		struct msg x = { 0, { 0 }, 0 };

		/* The user side of both: the caller's stub, and the
		 * worker's loop body (increment, reply-recv stub). */
		MEASURE(dry, {
			struct msg c = { MSG_INFO(1, 1, 0), { 1, 0, 0, 0 }, 0 };
			dry_ipc(SYS_CALL, ep, &c);
			x.mr[0]++;
			dry_ipc(SYS_REPLY_RECV, WK_FIRST_FREE, &x);
		});
		report("ipc_roundtrip_total", v,
		       "call + reply-recv between two address spaces (fast path, 1 word)");
		report("ipc_roundtrip_kernel", v - dry,
		       "kernel instructions of that round trip (total minus user side run with nops)");
	}
	/* Signal to a thread waiting on a notification (higher priority). */
	if (sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, n, 0) == 0) {
		struct worker w2;
		struct msg c = { MSG_INFO(WK_WAIT, 1, 0), { WK_FIRST_FREE, 0, 0, 0 }, 0 };

		if (worker_new(&w2, true) == 0 &&
		    sys_cap_mint(n, w2.p.cspace, WK_FIRST_FREE, R_READ, 0, 0) == 0 &&
		    sys_send(w2.cmd, &c) == 0) {
			MEASURE(v, sys_signal(n));
			report("ntfn_signal_to_waiting", v,
			       "signal wakes a higher-priority waiter, which waits again");
		}
	}
}

/*
 * One-way figures of the general IPC path: the worker (higher priority)
 * stamps the cycle counter when its receive returns and just before its
 * reply-recv, so the call (root's stamp to the worker's first) and the
 * reply (worker's second to root's) are measured apart. Each includes
 * the user side of one stub (set-up before the svc, read-back after),
 * subtracted as the dry run of that stub.
 */
static void bench_ipc_oneway(struct worker *w, cptr_t ep, const char *what, unsigned len,
			     cptr_t cap)
{
	uint32_t call = ~0u, reply = ~0u, dry;
	char name[48], desc[120];
	struct msg c;

	for (unsigned i = 4; i < len; i++)
		cairn_ipcbuf->mr[i] = i;
	if (cap)
		cairn_ipcbuf->caps[0] = cap;
	for (int run = 0; run < RUNS; run++) {
		uint32_t c0, c3;

		c.info = MSG_INFO(1, len, cap ? 1 : 0);
		c.mr[0] = c.mr[1] = c.mr[2] = c.mr[3] = 0;
		c0 = cairn_cycles();
		if (sys_call(ep, &c))
			return;
		c3 = cairn_cycles();
		if (MSG_LEN(c.info) != len)
			return;
		if (c.mr[0] - c0 < call)
			call = c.mr[0] - c0;
		if (c3 - c.mr[1] < reply)
			reply = c3 - c.mr[1];
	}
	MEASURE(dry, {
		struct msg d = { MSG_INFO(1, len, 0), { 0 }, 0 };
		dry_ipc(SYS_CALL, ep, &d);
	});
	(void)w;
	call = call > overhead + dry ? call - overhead - dry : 0;
	reply = reply > overhead + dry ? reply - overhead - dry : 0;
	snprintf(name, sizeof(name), "ipc_call_%s_kernel", what);
	snprintf(desc, sizeof(desc), "kernel instructions of a call with %s to a waiting "
		 "higher-priority server (%s path)", what, len <= 4 && !cap ? "fast" : "general");
	report(name, call, desc);
	snprintf(name, sizeof(name), "ipc_reply_recv_%s_kernel", what);
	snprintf(desc, sizeof(desc), "kernel instructions of the server's reply-recv to that call "
		 "(reply of the same length)");
	report(name, reply, desc);
}

static void bench_ipc_slow(void)
{
	struct worker w;
	cptr_t ep = slot_alloc(), gift = slot_alloc();
	struct msg m = { MSG_INFO(WK_STAMP, 2, 0), { WK_FIRST_FREE, WK_FIRST_FREE + 1, 0, 0 }, 0 };

	if (worker_new(&w, true) || sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, ep, 0) ||
	    sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, gift, 0) ||
	    sys_cap_mint(ep, w.p.cspace, WK_FIRST_FREE, R_READ, 0, 0) || sys_send(w.cmd, &m)) {
		uprintf("bench: slow ipc setup failed\n");
		return;
	}
	bench_ipc_oneway(&w, ep, "1w", 1, 0);
	bench_ipc_oneway(&w, ep, "10w", 10, 0);
	bench_ipc_oneway(&w, ep, "1cap", 1, gift);
	worker_free(&w);
	sys_cap_delete(CPTR_SELF, gift);
	sys_cap_delete(CPTR_SELF, ep);
}

/* Two threads of the same priority yielding to each other: half the
 * round trip, the user side (two stubs and the worker's loop) subtracted. */
static void bench_yield(void)
{
	struct worker w;
	struct msg m = { MSG_INFO(WK_YIELD, 0, 0), { 0 }, 0 };
	uint32_t v, dry;

	if (worker_new(&w, true))
		return;
	if (sys_thread_set_prio(w.p.thread, ROOT_PRIO, cairn_self) || sys_send(w.cmd, &m)) {
		worker_free(&w);
		return;
	}
	MEASURE(v, sys_yield());
	MEASURE(dry, {
		struct sysregs s_ = { { 0 } };
		dry_syscall(SYS_YIELD, &s_);
		dry_syscall(SYS_YIELD, &s_);
	});
	report("yield_kernel", (v > dry ? v - dry : 0) / 2,
	       "kernel instructions of a yield to a thread of the same priority (half the "
	       "round trip)");
	worker_free(&w);
}

static void bench_map(void)
{
	cptr_t m = slot_alloc();
	uint32_t v;

	if (sys_mem_alloc(SLOT_ACCOUNT, POOL_ID_DIRECT, 0, CPTR_SELF, m))
		return;
	/* Tables exist after the first run; the minimum is the steady state. */
	MEASURE(v, {
		sys_map(SLOT_VSPACE, m, 0x50000000, R_READ | R_WRITE, ATTR_DEFAULT);
		sys_unmap(m);
	});
	report("map_unmap_4k", v, "map and unmap one 4 KiB RAM page (TLB invalidated)");
}

static void bench_map_device(void)
{
	const struct bootinfo_dev *big = NULL;
	cptr_t d = slot_alloc();
	uint32_t v;
	char desc[96];

	/* The largest device's registers (bus windows aside: they are larger
	 * than the user half). */
	for (unsigned i = 0; i < bootinfo->ndev; i++)
		if (!(bootinfo->dev[i].flags & BOOTINFO_DEV_WINDOW) &&
		    (!big || bootinfo->dev[i].size_lo > big->size_lo ||
		     bootinfo->dev[i].size_hi > big->size_hi))
			big = &bootinfo->dev[i];
	if (!big || sys_cap_copy(big->slot, CPTR_SELF, d))
		return;
	MEASURE(v, {
		sys_map(SLOT_VSPACE, d, 0x40000000, R_READ, ATTR_DEFAULT);
		sys_unmap(d);
	});
	snprintf(desc, sizeof(desc), "map + unmap of the largest device range (%s, %u MiB)",
		 big->name, (unsigned)(((uint64_t)big->size_hi << 32 | big->size_lo) >> 20));
	report("map_unmap_device_range", v, desc);
}

/* 1 GiB of a bus window mapped and unmapped at ROOT_GIB_VA: with pa 1 GiB
 * aligned (one level-1 block), and 2 MiB further on (512 level-2
 * blocks). */
static void bench_map_gib(void)
{
	cptr_t win = slot_alloc(), a = slot_alloc(), b = slot_alloc();
	uint64_t pa;
	uint32_t v;
	int err = 0;

	if (root_gib_window(0x200000, win, &pa) ||
	    sys_cap_mint(win, CPTR_SELF, a, R_READ | R_WRITE, 0, ROOT_GIB >> 12) ||
	    sys_cap_mint(win, CPTR_SELF, b, R_READ | R_WRITE, 0x200, ROOT_GIB >> 12)) {
		uprintf("bench: no 1 GiB aligned device window\n");
		return;
	}
	MEASURE(v, {
		err |= sys_map(SLOT_VSPACE, a, ROOT_GIB_VA, R_READ | R_WRITE, ATTR_DEFAULT);
		err |= sys_unmap(a);
	});
	if (!err)
		report("map_unmap_1g_device_1g_aligned", v,
		       "map + unmap of 1 GiB of a device window, va and pa 1 GiB aligned: "
		       "one level-1 block");
	MEASURE(v, {
		err |= sys_map(SLOT_VSPACE, b, ROOT_GIB_VA, R_READ | R_WRITE, ATTR_DEFAULT);
		err |= sys_unmap(b);
	});
	if (!err)
		report("map_unmap_1g_device_2m_aligned", v,
		       "the same with pa only 2 MiB aligned: 512 level-2 blocks");
	if (err)
		uprintf("bench: mapping the device window failed\n");
	sys_cap_delete(CPTR_SELF, a);
	sys_cap_delete(CPTR_SELF, b);
	sys_cap_delete(CPTR_SELF, win);
}

static void bench_revoke(unsigned n)
{
	cptr_t cs = slot_alloc(), x = slot_alloc();
	uint32_t c0, v;
	char name[32];

	if (sys_obj_create(SLOT_ACCOUNT, CAP_CSPACE, CPTR_SELF, cs, n + 2) ||
	    sys_cap_copy(bootinfo->dev[0].slot, CPTR_SELF, x))
		return;
	for (unsigned i = 1; i <= n; i++)
		if (sys_cap_copy(x, cs, i))
			return;
	c0 = cairn_cycles();
	sys_cap_revoke(CPTR_SELF, x);
	v = cairn_cycles() - c0;
	snprintf(name, sizeof(name), "revoke_%u", n);
	report(name, v, "revoke a capability with N descendants in another CSpace");
	sys_cap_delete(CPTR_SELF, cs);
	sys_cap_delete(CPTR_SELF, x);
}

/* An interrupt (the RTC's, raised by writing its match register) taken
 * in user mode, signalled to a notification, and received by the program
 * waiting on it; then acknowledged. */
static void bench_irq(void)
{
	const struct bootinfo_dev *rtc = root_device("pl031");
	cptr_t d = slot_alloc(), h = slot_alloc(), n = slot_alloc();
	volatile uint32_t *regs = (volatile uint32_t *)0x31000000;
	uint32_t v, bits;

	if (!rtc || rtc->irq == 0xffffffffu || sys_cap_copy(rtc->slot, CPTR_SELF, d) ||
	    sys_map(SLOT_VSPACE, d, (uintptr_t)regs, R_READ | R_WRITE, ATTR_DEFAULT) ||
	    sys_irq_get(SLOT_IRQ_CONTROL, rtc->irq, CPTR_SELF, h) ||
	    sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, n, 0) || sys_irq_bind(h, n))
		return;
	regs[4] = 1;                    /* RTCIMSC */
	MEASURE(v, {
		regs[1] = regs[0];      /* RTCMR = RTCDR: interrupt now */
		sys_wait(n, &bits);
		regs[7] = 1;            /* RTCICR */
		sys_irq_ack(h);
	});
	regs[4] = 0;
	report("irq_to_user_handler", v,
	       "device interrupt -> notification -> waiting program, plus the ack call");
	sys_cap_delete(CPTR_SELF, h);
	sys_unmap(d);
}

void bench_same_core(const char *name_prefix, const char *desc_suffix)
{
	prefix = name_prefix;
	suffix = desc_suffix;
	bench_null();
	bench_ipc();
	prefix = suffix = "";
}

void root_bench(void)
{
	bench_null();
	bench_ipc();
	bench_ipc_slow();
	bench_yield();
	bench_irq();
	bench_map();
	bench_map_device();
	bench_map_gib();
	bench_revoke(1);
	bench_revoke(100);
	bench_revoke(10000);
	dos_bench();
}
