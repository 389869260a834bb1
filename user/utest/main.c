/*
 * utest: the worker process of the root task's user-level test suites.
 * It runs in its own address space with its own CSpace and does what the
 * commands of <cairn/utest_proto.h> say, so the suites can check what
 * another process sees: mappings that vanish, capabilities that are gone,
 * IPC that is cancelled, faults.
 */
#include <cairn/cairn.h>
#include <cairn/utest_proto.h>

/* WK_EXHAUST: allocate until the account (or the CSpace) says no. */
static void exhaust(unsigned kind, cptr_t slot, cptr_t limit, struct msg *r)
{
	static const unsigned type[] = { CAP_ENDPOINT, CAP_NOTIFICATION, CAP_THREAD, CAP_CSPACE,
					 CAP_VSPACE };
	uint32_t n = 0, va = 0x02000000u;
	cptr_t page = slot;
	int err = 0;

	if (kind == WK_EX_TABLES) {
		err = sys_mem_alloc(WK_ACCOUNT, POOL_ID_DIRECT, 0, CPTR_SELF, page);
		slot++;
	}
	while (!err && slot < limit) {
		if (kind < WK_EX_MEM)
			err = sys_obj_create(WK_ACCOUNT, type[kind], CPTR_SELF, slot,
					     kind == WK_EX_CSPACE ? 64 : 0);
		else if (kind == WK_EX_MEM)
			err = sys_mem_alloc(WK_ACCOUNT, POOL_ID_DIRECT, 0, CPTR_SELF, slot);
		else if (kind == WK_EX_TABLES) {
			err = sys_cap_copy(page, CPTR_SELF, slot);
			/* The worker's own regions (program, IPC buffer, stack)
			 * are E_EXIST: skip them. */
			while (!err && va < 0xc0000000u &&
			       (err = sys_map(WK_VSPACE, slot, va, R_READ, ATTR_DEFAULT)) == E_EXIST) {
				va += 0x00200000u;
				err = 0;
			}
			va += 0x00200000u;
			if (err || va >= 0xc0000000u) {
				sys_cap_delete(CPTR_SELF, slot);
				if (!err)
					err = E_RANGE;
				break;
			}
		} else if (kind == WK_EX_LEAVES) {
			err = sys_cap_copy(WK_CMD, CPTR_SELF, slot);
			slot += 63;
		} else
			err = E_INVAL;
		if (!err) {
			n++;
			slot++;
		}
	}
	r->mr[0] = (uint32_t)err;
	r->mr[1] = n;
	r->mr[2] = slot;
}

/* The CPU running the caller (SYSINFO_CPUS r3). */
static uint32_t my_cpu(void)
{
	struct sysregs s = { { SYSINFO_CPUS } };

	return cairn_syscall(SYS_SYSTEM_INFO, &s) ? 0xffffffffu : s.r[3];
}

/*
 * WK_ALLOC: one round over slots s..s + WK_ALLOC_SLOTS - 1, everything
 * from WK_ACCOUNT: an endpoint, a notification, a thread, a 64-slot
 * CSpace and an address space; pages of orders 0 to 4, each mapped in
 * that address space in a 2 MiB region of its own (five level-3 tables,
 * three level-2 ones, charged to the account); a copy of the order-0
 * page mapped in the worker's own space at va, found zeroed, written;
 * eight copies of the endpoint, in the new CSpace and in its own,
 * revoked; then all of it deleted, the address space with its pages
 * still mapped. 0, or the first failure as step << 16 | -error.
 */
enum { AL_EP, AL_NTFN, AL_THREAD, AL_CSPACE, AL_VSPACE, AL_PAGE, AL_COPY = AL_PAGE + 5,
       AL_EPCOPY, AL_END = AL_EPCOPY + 8 };
_Static_assert(AL_END <= WK_ALLOC_SLOTS, "WK_ALLOC_SLOTS: the slots of a round");

static uint32_t alloc_round(cptr_t s, uint32_t va)
{
	static const unsigned type[] = { CAP_ENDPOINT, CAP_NOTIFICATION, CAP_THREAD, CAP_CSPACE,
					 CAP_VSPACE };
	volatile uint32_t *mine = (volatile uint32_t *)(uintptr_t)va;
	unsigned step = 0;
	int err = 0;

#define AL_DO(call)                                                         	do {                                                                		step++;                                                     		if ((err = (call)) != 0)                                    			return step << 16 | (uint32_t)-err;                 	} while (0)
	for (unsigned i = 0; i < 5; i++)
		AL_DO(sys_obj_create(WK_ACCOUNT, type[i], CPTR_SELF, s + i, i == AL_CSPACE ? 64 : 0));
	for (unsigned k = 0; k < 5; k++) {
		AL_DO(sys_mem_alloc(WK_ACCOUNT, POOL_ID_DIRECT, k, CPTR_SELF, s + AL_PAGE + k));
		AL_DO(sys_map(s + AL_VSPACE, s + AL_PAGE + k, 0x10000000u + k * 0x20000000u,
			      R_READ | R_WRITE, ATTR_DEFAULT));
	}
	AL_DO(sys_cap_mint(s + AL_PAGE, CPTR_SELF, s + AL_COPY, R_READ | R_WRITE, 0, 0));
	AL_DO(sys_map(WK_VSPACE, s + AL_COPY, va, R_READ | R_WRITE, ATTR_DEFAULT));
	AL_DO(mine[0] == 0 && mine[1023] == 0 ? 0 : E_FORMAT);      /* zeroed */
	mine[0] = va;
	mine[1023] = ~va;
	AL_DO(mine[0] == va && mine[1023] == ~va ? 0 : E_FORMAT);
	for (unsigned i = 0; i < 4; i++) {
		AL_DO(sys_cap_copy(s + AL_EP, s + AL_CSPACE, 1 + i));
		AL_DO(sys_cap_copy(s + AL_EP, CPTR_SELF, s + AL_EPCOPY + i));
	}
	AL_DO(sys_cap_revoke(CPTR_SELF, s + AL_EP));
	for (unsigned i = 0; i < 4; i++) {
		struct cap_info ci;

		AL_DO(sys_cap_inspect(s + AL_EPCOPY + i, &ci) == E_NOCAP ? 0 : E_EXIST);
	}
	AL_DO(sys_unmap(s + AL_COPY));
	AL_DO(sys_cap_delete(CPTR_SELF, s + AL_COPY));
	for (unsigned i = 5; i-- > 0;)
		AL_DO(sys_cap_delete(CPTR_SELF, s + i));
	for (unsigned k = 0; k < 5; k++)
		AL_DO(sys_cap_delete(CPTR_SELF, s + AL_PAGE + k));
#undef AL_DO
	return 0;
}

/* WK_PINGPONG: count in, wait (WFE: under QEMU's round-robin TCG it ends
 * this vCPU's turn, so a waiting CPU costs the others no time slice) for
 * the other clients, then n calls; the wrong replies. */
/* n calls of ep, a WK_SERVE server (each reply mr0 + 1), the word at
 * *right (if not NULL) counting the right replies: the wrong replies, or
 * the first error (which ends them). */
static uint32_t calls(cptr_t ep, uint32_t n, volatile uint32_t *right)
{
	uint32_t wrong = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct msg x = { MSG_INFO(1, 1, 0), { i, 0, 0, 0 }, 0 };
		int err = sys_call(ep, &x);

		if (err)
			return (uint32_t)err;
		if (x.mr[0] != i + 1)
			wrong++;
		else if (right)
			(*right)++;
	}
	return wrong;
}

/* WK_REENTRY: where entries store their k, what they signal, their stack. */
static volatile uint32_t *reentry_mark;
static cptr_t reentry_ntfn;
static uint64_t reentry_stack[256];

/* Entered with THREAD_SET_REGS (r0 whatever the setter chose, r1 = k). */
static void __attribute__((noreturn, used)) reentry(uint32_t r0, uint32_t k)
{
	(void)r0;
	*reentry_mark = k;
	for (;;)
		sys_signal(reentry_ntfn);
}

/* n signals of notification slot ntfn: the first error, or 0. */
static uint32_t signals(cptr_t ntfn, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		int err = sys_signal(ntfn);

		if (err)
			return (uint32_t)err;
	}
	return 0;
}

/* WK_PINGPONG, and WK_SIGNAL_RACE with `signal` set: the same race, n
 * signals of slot ep instead of n calls. */
static uint32_t pingpong(cptr_t ep, uint32_t n, struct wk_race *race, uint32_t me, bool signal)
{
	uint32_t wrong;
	uint64_t t0, t1;

	if (me >= WK_RACE_MAX)
		return n;
	__atomic_fetch_add(&race->arrived, 1, __ATOMIC_ACQ_REL);
	__asm__ volatile("dsb ish\n\tsev" ::: "memory");
	while (__atomic_load_n(&race->arrived, __ATOMIC_ACQUIRE) < race->clients)
		__asm__ volatile("wfe" ::: "memory");
	t0 = cairn_counter();
	wrong = signal ? signals(ep, n) : calls(ep, n, NULL);
	t1 = cairn_counter();
	race->stamp[me].start_lo = (uint32_t)t0;
	race->stamp[me].start_hi = (uint32_t)(t0 >> 32);
	race->stamp[me].end_lo = (uint32_t)t1;
	race->stamp[me].end_hi = (uint32_t)(t1 >> 32);
	return wrong;
}

int cairn_main(uint32_t arg)
{
	(void)arg;
	for (;;) {
		struct msg m = { 0, { 0 }, 0 }, r;
		struct cap_info ci;
		int err = sys_recv(WK_CMD, &m);

		r.info = MSG_INFO(MSG_LABEL(m.info), 4, 0);
		r.mr[0] = r.mr[1] = r.mr[2] = r.mr[3] = 0;
		if (err) {
			r.info = MSG_INFO(0, 4, 0);
			r.mr[0] = (uint32_t)err;
			sys_send(WK_REPORT, &r);
			continue;
		}
		switch (MSG_LABEL(m.info)) {
		case WK_PING:
			r.mr[0] = m.mr[0] + 1;
			break;
		case WK_READ:
			r.mr[0] = *(volatile uint32_t *)(uintptr_t)m.mr[0];
			break;
		case WK_WRITE:
			*(volatile uint32_t *)(uintptr_t)m.mr[0] = m.mr[1];
			break;
		case WK_INSPECT:
			err = sys_cap_inspect(m.mr[0], &ci);
			r.mr[0] = (uint32_t)err;
			r.mr[1] = ci.type;
			r.mr[2] = ci.rights;
			break;
		case WK_RECV: {
			struct msg x = { 0, { 0 }, 0 };

			r.mr[0] = (uint32_t)sys_recv(m.mr[0], &x);
			break;
		}
		case WK_CALL: {
			struct msg x = { MSG_INFO(1, 0, 0), { 0 }, 0 };

			r.mr[0] = (uint32_t)sys_call(m.mr[0], &x);
			break;
		}
		case WK_UNDEF:
			__asm__ volatile(".word 0xe7f000f0");   /* permanently undefined */
			break;
		case WK_BADSYS: {
			struct sysregs s = { { 0 } };

			r.mr[0] = (uint32_t)cairn_syscall(m.mr[0], &s);
			break;
		}
		case WK_JUMP:
			((void (*)(void))(uintptr_t)m.mr[0])();
			break;
		case WK_SERVE: {
			struct msg x = { 0, { 0 }, 0 };
			cptr_t ep = m.mr[0];

			sys_recv(ep, &x);
			for (;;) {
				x.mr[0]++;
				sys_reply_recv(ep, &x);
			}
		}
		case WK_WAIT:
			for (;;)
				sys_wait(m.mr[0], NULL);
		case WK_STAMP: {
			volatile struct ipc_buffer *b = (struct ipc_buffer *)WK_IPCBUF;
			struct msg x = { 0, { 0 }, 0 };
			cptr_t ep = m.mr[0], slot = m.mr[1];

			b->recv_cspace = CPTR_SELF;
			b->recv_slot = slot;
			sys_recv(ep, &x);
			for (;;) {
				uint32_t t1 = cairn_cycles();

				if (MSG_CAPS(x.info))
					sys_cap_delete(CPTR_SELF, slot);
				x.info = MSG_INFO(0, MSG_LEN(x.info), 0);
				x.mr[0] = t1;
				x.mr[1] = cairn_cycles();
				sys_reply_recv(ep, &x);
			}
		}
		case WK_YIELD:
			for (;;)
				sys_yield();
		case WK_RECV_CAPS: {
			volatile struct ipc_buffer *b = (struct ipc_buffer *)WK_IPCBUF;
			struct msg x = { 0, { 0 }, 0 };

			b->recv_cspace = CPTR_SELF;
			b->recv_slot = m.mr[1];
			r.mr[0] = (uint32_t)sys_recv(m.mr[0], &x);
			r.mr[1] = MSG_CAPS(x.info);
			r.mr[2] = b->recv_caps;
			r.mr[3] = x.badge;
			b->recv_slot = 0;
			break;
		}
		case WK_EXHAUST:
			exhaust(m.mr[0], m.mr[1], m.mr[2], &r);
			break;
		case WK_CALLS: {
			struct sysregs before = { { SYSINFO_LOCK } }, after = { { SYSINFO_LOCK } };
			struct sysregs cpu = { { SYSINFO_CPUS } };

			cairn_syscall(SYS_SYSTEM_INFO, &before);
			r.mr[0] = calls(m.mr[0], m.mr[1], (volatile uint32_t *)(uintptr_t)m.mr[2]);
			cairn_syscall(SYS_SYSTEM_INFO, &after);
			r.mr[1] = after.r[1] - before.r[1];  /* the lock taken alone */
			cairn_syscall(SYS_SYSTEM_INFO, &cpu);
			r.mr[2] = cpu.r[3];
			break;
		}
		case WK_SIGNALS: {
			struct sysregs before = { { SYSINFO_LOCK } }, after = { { SYSINFO_LOCK } };

			cairn_syscall(SYS_SYSTEM_INFO, &before);
			r.mr[0] = signals(m.mr[0], m.mr[1]);
			cairn_syscall(SYS_SYSTEM_INFO, &after);
			r.mr[1] = after.r[1] - before.r[1];
			r.mr[2] = my_cpu();
			break;
		}
		case WK_WAIT_COUNT: {
			volatile uint32_t *ctr = (volatile uint32_t *)(uintptr_t)m.mr[1];

			for (;;)
				if (!sys_wait(m.mr[0], NULL))
					(*ctr)++;
		}
		case WK_SPIN: {
			/* The victim's loop in the dos suite, word for word:
			 * 1024 additions, then a look at the clock. */
			volatile uint32_t *c = (volatile uint32_t *)(uintptr_t)m.mr[0];
			uint32_t now;

			for (;;) {
				for (unsigned i = 0; i < 1024; i++)
					(*c)++;
				sys_system_info(SYSINFO_TICKS, &now);
			}
		}
		case WK_REENTRY:
			reentry_mark = (volatile uint32_t *)(uintptr_t)m.mr[0];
			reentry_ntfn = m.mr[1];
			r.mr[0] = (uint32_t)(uintptr_t)reentry;
			r.mr[1] = (uint32_t)(uintptr_t)(reentry_stack + 256);
			sys_send(WK_REPORT, &r);
			reentry(0, 0);
		case WK_FLOOD:
			for (;;) {
				struct msg x = { MSG_INFO(1, 1, 0), { 0 }, 0 };

				if (m.mr[1])
					sys_signal(m.mr[0]);
				else
					sys_call(m.mr[0], &x);
			}
		case WK_CHURN: {
			volatile uint32_t *rounds = (volatile uint32_t *)(uintptr_t)m.mr[2];
			cptr_t first = m.mr[0];

			for (;;) {
				if (!sys_obj_create(WK_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, first, 0)) {
					for (cptr_t i = 1; i <= m.mr[1]; i++)
						sys_cap_copy(first, CPTR_SELF, first + i);
					sys_cap_revoke(CPTR_SELF, first);
					sys_cap_delete(CPTR_SELF, first);
				}
				if (rounds)
					(*rounds)++;
			}
		}
		case WK_CHURN_SHARED: {
			volatile uint32_t *rounds = (volatile uint32_t *)(uintptr_t)m.mr[2];
			cptr_t own = WK_FIRST_FREE + 1, cs = m.mr[0];

			for (uint32_t k = 0;; k++) {
				if (!sys_obj_create(WK_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, own, 0)) {
					for (cptr_t i = 1; i <= 8; i++)
						sys_cap_copy(own, cs, m.mr[1] + i);
					/* (another CPU's copy, if it is there: its
					 * revoke then finds it gone) */
					sys_cap_delete(cs, m.mr[3] + 1 + k % 8);
					sys_cap_revoke(CPTR_SELF, own);
					sys_cap_delete(CPTR_SELF, own);
				}
				(*rounds)++;
			}
		}
		case WK_NOTIFIED: {
			volatile uint32_t *out = (volatile uint32_t *)(uintptr_t)m.mr[3];
			uint32_t bits = 0;

			err = sys_wait(m.mr[0], &bits);
			r.mr[2] = my_cpu();
			if (!err && m.mr[1]) {
				struct sysregs before = { { SYSINFO_LOCK } }, after = { { SYSINFO_LOCK } };

				*(volatile uint32_t *)(uintptr_t)m.mr[1] = 0;
				/* (the device quiet before the line is unmasked) */
				__asm__ volatile("dsb sy" ::: "memory");
				cairn_syscall(SYS_SYSTEM_INFO, &before);
				err = sys_irq_ack(m.mr[2]);
				cairn_syscall(SYS_SYSTEM_INFO, &after);
				r.mr[3] = after.r[1] - before.r[1];
			}
			r.mr[0] = bits;
			r.mr[1] = (uint32_t)err;
			if (out) {
				out[1] = r.mr[0];
				out[2] = r.mr[1];
				out[3] = r.mr[2];
				__atomic_store_n(&out[0], out[0] + 1, __ATOMIC_RELEASE);
			}
			break;
		}
		case WK_IRQ_BIND:
			r.mr[0] = (uint32_t)sys_irq_bind(m.mr[0], m.mr[1]);
			r.mr[1] = my_cpu();
			break;
		case WK_ALLOC: {
			volatile uint32_t *out = (volatile uint32_t *)(uintptr_t)m.mr[2];

			for (;;) {
				uint32_t failed = alloc_round(m.mr[0], m.mr[1]);

				if (failed) {
					out[1] = failed;
					for (;;)
						sys_recv(WK_CMD, &m);   /* stopped: it says no more */
				}
				__atomic_store_n(&out[0], out[0] + 1, __ATOMIC_RELEASE);
			}
		}
		case WK_MAP:
			r.mr[0] = (uint32_t)sys_map(WK_VSPACE, m.mr[0], m.mr[1], m.mr[2],
						    ATTR_DEFAULT);
			break;
		case WK_PINGPONG:
		case WK_SIGNAL_RACE:
			r.mr[0] = pingpong(m.mr[0], m.mr[1], (struct wk_race *)(uintptr_t)m.mr[2],
					   m.mr[3], MSG_LABEL(m.info) == WK_SIGNAL_RACE);
			break;
		case WK_RELAY: {
			volatile uint32_t *stamp = (volatile uint32_t *)(uintptr_t)m.mr[2];

			for (;;) {
				sys_wait(m.mr[0], NULL);
				if (stamp) {
					uint64_t now = cairn_counter();

					stamp[0] = (uint32_t)now;
					stamp[1] = (uint32_t)(now >> 32);
				}
				sys_signal(m.mr[1]);
			}
		}
		}
		sys_send(WK_REPORT, &r);
	}
}
