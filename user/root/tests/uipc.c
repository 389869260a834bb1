/*
 * uipc: IPC between address spaces as user programs see it: call and
 * reply with badges, rights on endpoints, notifications, message errors.
 */
#include "root.h"

static void test_call_reply_with_badge(struct utest *t)
{
	struct worker w;
	cptr_t ep = slot_alloc();
	struct msg m = { MSG_INFO(WK_CALL, 1, 0), { WK_FIRST_FREE, 0, 0, 0 }, 0 }, in, r;

	UT_EQ(worker_new(&w, true), 0);
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, ep, 0), 0);
	UT_EQ(sys_cap_mint(ep, w.p.cspace, WK_FIRST_FREE, R_WRITE, 0x42, 0), 0);
	UT_EQ(sys_send(w.cmd, &m), 0);          /* the worker calls ep */
	UT_EQ(sys_recv(ep, &in), 0);
	UT_EQ(in.badge, 0x42);
	UT_EQ(MSG_LABEL(in.info), 1);
	r.info = MSG_INFO(0, 1, 0);
	r.mr[0] = 7;
	UT_EQ(sys_reply(&r), 0);
	UT_EQ(sys_recv(w.report, &r), 0);
	UT_EQ(r.mr[0], 0);                      /* the worker's call returned 0 */
	worker_free(&w);
}

static void test_rights_on_endpoints(struct utest *t)
{
	cptr_t ep = slot_alloc(), ro = slot_alloc(), wo = slot_alloc();
	struct msg m = { MSG_INFO(1, 0, 0), { 0 }, 0 };

	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, ep, 0), 0);
	UT_EQ(sys_cap_mint(ep, CPTR_SELF, ro, R_READ, 0, 0), 0);
	UT_EQ(sys_cap_mint(ep, CPTR_SELF, wo, R_WRITE, 0, 0), 0);
	UT_EQ(sys_nbsend(ro, &m), E_PERM);
	UT_EQ(sys_nbrecv(wo, &m), E_PERM);
	UT_EQ(sys_nbrecv(ro, &m), E_AGAIN);
	m.info = MSG_INFO(1, 0, 1);             /* a capability without R_GRANT */
	UT_EQ(sys_nbsend(wo, &m), E_PERM);
	m.info = MSG_INFO(1, 65, 0);            /* longer than MSG_MAX_WORDS */
	UT_EQ(sys_nbsend(wo, &m), E_INVAL);
	{
		cptr_t badged = slot_alloc();

		UT_EQ(sys_cap_mint(wo, CPTR_SELF, badged, R_WRITE, 5, 0), 0);
		/* A badge is set once. */
		UT_EQ(sys_cap_mint(badged, CPTR_SELF, slot_alloc(), R_WRITE, 6, 0), E_PERM);
	}
}

static void test_notifications(struct utest *t)
{
	cptr_t n = slot_alloc(), b4 = slot_alloc(), b8 = slot_alloc();
	uint32_t bits;

	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, n, 0), 0);
	UT_EQ(sys_cap_mint(n, CPTR_SELF, b4, R_WRITE, 4, 0), 0);
	UT_EQ(sys_cap_mint(n, CPTR_SELF, b8, R_WRITE, 8, 0), 0);
	UT_EQ(sys_poll(n, &bits), E_AGAIN);
	UT_EQ(sys_signal(b4), 0);
	UT_EQ(sys_signal(b8), 0);
	UT_EQ(sys_signal(b4), 0);
	UT_EQ(sys_poll(n, &bits), 0);
	UT_EQ(bits, 12);
	UT_EQ(sys_poll(n, &bits), E_AGAIN);
	UT_EQ(sys_signal(b8), 0);
	UT_EQ(sys_wait(n, &bits), 0);           /* does not block: bits are set */
	UT_EQ(bits, 8);
	UT_EQ(sys_poll(b4, &bits), E_PERM);     /* write-only capability */
	UT_EQ(sys_signal(SLOT_VSPACE), E_TYPE);
}

static void test_irq_handler_errors(struct utest *t)
{
	cptr_t h = slot_alloc(), n = slot_alloc();

	UT_EQ(sys_irq_get(SLOT_IRQ_CONTROL, 30, CPTR_SELF, h), E_RANGE);    /* a PPI */
	UT_EQ(sys_irq_get(SLOT_IRQ_CONTROL, 5000, CPTR_SELF, h), E_RANGE);
	UT_EQ(sys_irq_get(SLOT_ACCOUNT, 40, CPTR_SELF, h), E_TYPE);
	UT_EQ(sys_irq_get(SLOT_IRQ_CONTROL, 40, CPTR_SELF, h), 0);
	UT_EQ(sys_irq_get(SLOT_IRQ_CONTROL, 40, CPTR_SELF, slot_alloc()), E_BUSY);
	UT_EQ(sys_irq_ack(h), E_STATE);         /* nothing pending */
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, n, 0), 0);
	UT_EQ(sys_irq_bind(h, SLOT_VSPACE), E_TYPE);
	UT_EQ(sys_irq_bind(h, n), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, h), 0);
	UT_EQ(sys_irq_get(SLOT_IRQ_CONTROL, 40, CPTR_SELF, h), 0);          /* free again */
	UT_EQ(sys_cap_delete(CPTR_SELF, h), 0);
}

static void test_capability_transfer(struct utest *t)
{
	struct worker w;
	cptr_t ep = slot_alloc(), snd = slot_alloc(), nogrant = slot_alloc(), m = slot_alloc();
	volatile struct ipc_buffer *b = (struct ipc_buffer *)(uintptr_t)bootinfo->ipcbuf_va;
	struct msg c = { MSG_INFO(WK_RECV_CAPS, 2, 0), { WK_FIRST_FREE, WK_FIRST_FREE + 1, 0, 0 },
			 0 },
		   x = { MSG_INFO(3, 1, 1), { 99, 0, 0, 0 }, 0 }, r;
	struct cap_info ci;

	UT_EQ(worker_new(&w, true), 0);
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, ep, 0), 0);
	UT_EQ(sys_cap_mint(ep, w.p.cspace, WK_FIRST_FREE, R_READ, 0, 0), 0);
	UT_EQ(sys_cap_mint(ep, CPTR_SELF, snd, R_WRITE | R_GRANT, 0x77, 0), 0);
	UT_EQ(sys_cap_mint(ep, CPTR_SELF, nogrant, R_WRITE, 0, 0), 0);
	UT_EQ(sys_mem_alloc(SLOT_ACCOUNT, POOL_ID_DIRECT, 0, CPTR_SELF, m), 0);
	UT_EQ(sys_send(w.cmd, &c), 0);          /* the worker waits for a capability */
	b->caps[0] = m;
	UT_EQ(sys_send(nogrant, &x), E_PERM);   /* carrying one needs R_GRANT */
	UT_EQ(sys_send(snd, &x), 0);
	UT_EQ(sys_recv(w.report, &r), 0);
	UT_EQ(r.mr[0], 0);
	UT_EQ(r.mr[1], 1);
	UT_EQ(r.mr[2], 1);
	UT_EQ(r.mr[3], 0x77);
	/* It arrived as a child of ours: the worker sees memory; revoking
	 * ours takes it back. */
	UT_EQ(worker_cmd(&w, WK_INSPECT, WK_FIRST_FREE + 1, 0, 0, &r), 0);
	UT_EQ(r.mr[0], 0);
	UT_EQ(r.mr[1], CAP_MEM);
	UT_EQ(sys_cap_inspect(m, &ci), 0);
	UT_EQ(sys_cap_revoke(CPTR_SELF, m), 0);
	UT_EQ(worker_cmd(&w, WK_INSPECT, WK_FIRST_FREE + 1, 0, 0, &r), 0);
	UT_EQ((int)r.mr[0], E_NOCAP);
	worker_free(&w);
}

static void test_bound_notification_ends_endpoint_wait(struct utest *t)
{
	struct worker w;
	cptr_t ep = slot_alloc(), n = slot_alloc(), nb = slot_alloc();
	struct msg c = { MSG_INFO(WK_RECV_CAPS, 2, 0), { WK_FIRST_FREE, 0, 0, 0 }, 0 }, r, x;
	struct thread_info ti;

	UT_EQ(worker_new(&w, true), 0);
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, ep, 0), 0);
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, n, 0), 0);
	UT_EQ(sys_cap_mint(n, CPTR_SELF, nb, R_WRITE, 0x20, 0), 0);
	UT_EQ(sys_cap_mint(ep, w.p.cspace, WK_FIRST_FREE, R_READ, 0, 0), 0);
	UT_EQ(sys_thread_bind(w.p.thread, SLOT_VSPACE), E_TYPE);
	UT_EQ(sys_thread_bind(w.p.thread, n), 0);
	UT_EQ(sys_thread_bind(SLOT_THREAD, n), E_BUSY);         /* bound elsewhere */
	/* The worker waits on the endpoint; a signal ends that wait. */
	UT_EQ(sys_send(w.cmd, &c), 0);
	UT_EQ(sys_thread_info(w.p.thread, &ti), 0);
	UT_EQ(ti.state, TS_BLOCKED_RECV);
	UT_EQ(sys_signal(nb), 0);
	UT_EQ(sys_recv(w.report, &r), 0);
	UT_EQ(r.mr[0], 0);
	UT_EQ(r.mr[3], 0x20);                   /* the bits, as the badge */
	UT_EQ(sys_thread_bind(w.p.thread, CPTR_NULL), 0);
	/* Bits already pending are taken before the endpoint (the root task
	 * itself, bound to a second notification, receiving where nothing
	 * is queued). */
	{
		cptr_t n2 = slot_alloc();

		UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, n2, 0), 0);
		UT_EQ(sys_thread_bind(SLOT_THREAD, n2), 0);
		UT_EQ(sys_signal(n2), 0);
		UT_EQ(sys_recv(ep, &x), 0);
		UT_EQ(MSG_LABEL(x.info), MSG_LABEL_NOTIFY);
		UT_EQ(x.badge, 1);
		UT_EQ(sys_thread_bind(SLOT_THREAD, CPTR_NULL), 0);
		UT_EQ(sys_nbrecv(ep, &x), E_AGAIN);
		UT_EQ(sys_cap_delete(CPTR_SELF, n2), 0);
	}
	UT_EQ(sys_nbrecv(n, &x), E_AGAIN);
	worker_free(&w);
}

#define RTC_DR 0x00
#define RTC_MR 0x04
#define RTC_IMSC 0x10
#define RTC_ICR 0x1c

static void test_interrupt_to_notification(struct utest *t)
{
	const struct bootinfo_dev *rtc = root_device("pl031");
	cptr_t d = slot_alloc(), h = slot_alloc(), n = slot_alloc(), nb = slot_alloc();
	volatile uint32_t *regs = (volatile uint32_t *)0x31000000;
	uint32_t bits;

	if (!rtc || rtc->irq == 0xffffffffu) {
		t->skip = "no pl031 with an interrupt";
		return;
	}
	UT_EQ(sys_cap_copy(rtc->slot, CPTR_SELF, d), 0);
	UT_EQ(sys_map(SLOT_VSPACE, d, (uintptr_t)regs, R_READ | R_WRITE, ATTR_DEFAULT), 0);
	UT_EQ(sys_irq_get(SLOT_IRQ_CONTROL, rtc->irq, CPTR_SELF, h), 0);
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, n, 0), 0);
	UT_EQ(sys_cap_mint(n, CPTR_SELF, nb, R_WRITE, 0x10, 0), 0);
	UT_EQ(sys_irq_bind(h, nb), 0);
	for (int round = 0; round < 2; round++) {
		/* A match register equal to the count raises the interrupt now. */
		regs[RTC_IMSC / 4] = 1;
		regs[RTC_MR / 4] = regs[RTC_DR / 4];
		UT_EQ(sys_wait(n, &bits), 0);           /* blocks until delivered */
		UT_EQ(bits, 0x10);
		regs[RTC_ICR / 4] = 1;
		UT_EQ(sys_irq_ack(h), 0);               /* unmasks the line */
		UT_EQ(sys_irq_ack(h), E_STATE);
	}
	regs[RTC_IMSC / 4] = 0;
	UT_EQ(sys_cap_delete(CPTR_SELF, h), 0);
	UT_EQ(sys_unmap(d), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, d), 0);
}

/* Call and reply-receive as the fast path takes them (the server waits,
 * above the caller; four words, no capabilities): every word both ways,
 * the info word's unused bits delivered as 0 (as the general path does),
 * no badge on the reply, the caller's other registers kept; the server's
 * capability in the first leaf of its CSpace (slot 8) and beyond it
 * (slot 100: the three-load lookup). */
static void test_fast_call_reply_recv(struct utest *t)
{
	static const cptr_t server_slot[2] = { WK_FIRST_FREE, 100 };

	for (unsigned i = 0; i < 2; i++) {
		struct worker w;
		cptr_t ep = slot_alloc();
		struct msg m = { MSG_INFO(WK_SERVE, 1, 0), { server_slot[i], 0, 0, 0 }, 0 };

		UT_EQ(worker_new(&w, true), 0);
		UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, ep, 0), 0);
		UT_EQ(sys_cap_mint(ep, w.p.cspace, server_slot[i], R_READ, 0, 0), 0);
		UT_EQ(sys_send(w.cmd, &m), 0);  /* it serves: mr0 + 1, the rest as sent */
		for (uint32_t k = 0; k < 4; k++) {
			volatile uint32_t keep = 0x5eed0000u + k;
			struct msg c = { MSG_INFO(0x123 + k, 4, 0) | 0xe00u,
					 { k, 20 + k, 30 + k, 40 + k }, 0x77 };

			UT_EQ(sys_call(ep, &c), 0);
			UT_EQ(c.info, MSG_INFO(0x123 + k, 4, 0));
			UT_EQ(c.mr[0], k + 1);
			UT_EQ(c.mr[1], 20 + k);
			UT_EQ(c.mr[2], 30 + k);
			UT_EQ(c.mr[3], 40 + k);
			UT_EQ(c.badge, 0);
			UT_EQ(keep, 0x5eed0000u + k);
		}
		worker_free(&w);
	}
}

static const struct utest_case cases[] = {
	UT_CASE(test_call_reply_with_badge),
	UT_CASE(test_fast_call_reply_recv),
	UT_CASE(test_rights_on_endpoints),
	UT_CASE(test_notifications),
	UT_CASE(test_irq_handler_errors),
	UT_CASE(test_capability_transfer),
	UT_CASE(test_interrupt_to_notification),
	UT_CASE(test_bound_notification_ends_endpoint_wait),
};

static const struct utest_suite suite_uipc = {
	.name = "uipc",
	.cases = cases,
	.ncases = sizeof(cases) / sizeof(cases[0]),
};
UTEST_REGISTER(suite_uipc, 30);
