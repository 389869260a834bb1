/*
 * In-kernel tests of IPC (ktest suite `ipc`): endpoints, calls and
 * replies, saved reply capabilities, capability transfer, cancellation,
 * notifications (also bound to a thread), interrupt handler objects, fault
 * delivery and the fast paths.
 *
 * The threads here never run user code: each case makes kernel threads,
 * plays the system-call layer by hand (makes a thread the current one,
 * sets its registers, calls ipc_send/ipc_recv/... with the slot the cptr
 * would have named) and checks registers, states, queues and badges.
 * Interrupts are masked during a case (the kernel lock). Everything a case
 * makes is charged to a heap quota of the suite and destroyed when the
 * case ends, and the ready queue is left empty; the last case checks that
 * every object and byte came back.
 */
#include <hal/arch.h>
#include <hal/plat.h>
#include <ipc/fastpath.h>
#include <ipc/ipc.h>
#include <lib/irq.h>
#include <lib/ktest.h>
#include <lib/log.h>
#include <lib/string.h>
#include <mm/pool.h>
#include <sched/thread.h>

#define ENV_THREADS 6
#define ENV_SLOTS 24
#define ENV_HEAP (96u << 10)

static const unsigned counted_types[] = { CAP_THREAD, CAP_ENDPOINT, CAP_NOTIFICATION,
					  CAP_CSPACE };

/* What the suite holds across cases. */
static struct account acct;
static bool acct_made;
static uint32_t baseline[ARRAY_SIZE(counted_types)];

/* What one case made, destroyed when it ends. */
static struct {
	struct thread *th[ENV_THREADS];
	unsigned nth;
	struct slot slot[ENV_SLOTS];     /* capabilities the case itself holds */
	unsigned nslot;
	uint32_t irqs;
	struct thread *cur;
	bool resched;
} env;
static struct ipc_buffer bufs[3];

static int env_begin(void)
{
	if (!acct_made) {
		memset(&acct, 0, sizeof(acct));
		acct.obj.type = CAP_QUOTA;
		acct.obj.flags = KOBJ_STATIC;
		acct.obj.refs = 1;
		strlcpy(acct.name, "ktest-ipc", sizeof(acct.name));
		if (quota_create_root(&acct.q[POOL_KHEAP], pool_get(POOL_KHEAP), ENV_HEAP,
				      "ktest-ipc"))
			return E_NOMEM;
		for (unsigned i = 0; i < ARRAY_SIZE(counted_types); i++)
			baseline[i] = obj_count(counted_types[i]);
		acct_made = true;
	}
	memset(&env, 0, sizeof(env));
	memset(bufs, 0, sizeof(bufs));
	env.irqs = arch_irq_save();
	env.cur = this_cpu()->cur;
	env.resched = this_cpu()->resched;
	return 0;
}

/* Destroy what the case made, whatever state it left it in. */
static void env_end(struct ktest *t)
{
	struct cpu *c = this_cpu();

	for (unsigned i = 0; i < env.nth; i++)
		thread_suspend(env.th[i]);      /* cancels IPC, off every queue */
	c->cur = env.cur;
	for (unsigned i = 0; i < env.nth; i++) {
		obj_get(&env.th[i]->obj);
		obj_put(&env.th[i]->obj);       /* last reference: destroyed */
	}
	obj_reap(0);
	for (unsigned i = env.nslot; i--;) {
		struct slot *s = &env.slot[i];

		if (slot_empty(s))
			continue;
		while (cap_revoke_any(s, 0) == E_RESTART)
			;
		cap_delete(s);
	}
	obj_reap(0);
	c->resched = env.resched;
	arch_irq_restore(env.irqs);
	if (sched_highest_ready() != -1)
		ktest_fail(t, __FILE__, __LINE__, "a thread was left on the ready queue");
	if (acct.q[POOL_KHEAP].used)
		ktest_fail(t, __FILE__, __LINE__, "%u heap bytes still charged after the case",
			   (unsigned)acct.q[POOL_KHEAP].used);
	if (quota_live(&acct.q[POOL_DIRECT]) && acct.q[POOL_DIRECT].used)
		ktest_fail(t, __FILE__, __LINE__, "%u page-table pages still charged after the case",
			   (unsigned)acct.q[POOL_DIRECT].used);
}

#define IPC_CASE(name)                                                      \
	static void name##_body(struct ktest *t);                           \
	static void name(struct ktest *t)                                   \
	{                                                                   \
		if (env_begin()) {                                          \
			ktest_fail(t, __FILE__, __LINE__, "no heap quota"); \
			return;                                             \
		}                                                           \
		name##_body(t);                                             \
		env_end(t);                                                 \
	}                                                                   \
	static void name##_body(struct ktest *t)

static struct thread *mk_thread(const char *name, unsigned prio)
{
	struct thread *th;

	if (env.nth == ENV_THREADS || thread_create(&acct, &th))
		return NULL;
	thread_set_name(th, name);
	th->prio = (uint8_t)prio;
	th->mcp = (uint8_t)prio;
	env.th[env.nth++] = th;
	return th;
}

static struct slot *new_slot(void)
{
	return env.nslot < ENV_SLOTS ? &env.slot[env.nslot++] : NULL;
}

static struct slot *install(unsigned type, struct kobj *o)
{
	struct slot *s = new_slot();

	if (!s || cap_install_root(s, type, R_ALL, o, 0, 0))
		return NULL;
	return s;
}

static struct slot *mk_ep(void)
{
	struct endpoint *e;

	return endpoint_create(&acct, &e) ? NULL : install(CAP_ENDPOINT, &e->obj);
}

static struct slot *mk_ntfn(void)
{
	struct notification *n;

	return notification_create(&acct, &n) ? NULL : install(CAP_NOTIFICATION, &n->obj);
}

static struct slot *mk_cspace(void)
{
	struct cspace *cs;

	return cspace_create(&acct, 64, &cs) ? NULL : install(CAP_CSPACE, &cs->obj);
}

/* A child of src with rights and badge, held by the case or put in a
 * CSpace slot. */
static struct slot *mint_to(struct slot *src, struct slot *dst, unsigned rights, uint32_t badge)
{
	return src && dst && cap_mint(src, dst, rights, badge, 0) == 0 ? dst : NULL;
}

static struct slot *mint(struct slot *src, unsigned rights, uint32_t badge)
{
	return mint_to(src, new_slot(), rights, badge);
}

static struct slot *cslot(struct slot *csc, uint32_t idx)
{
	struct slot *s;

	return cspace_slot((struct cspace *)csc->obj, idx, &s) ? NULL : s;
}

#define EP(s) ((struct endpoint *)(s)->obj)
#define NT(s) ((struct notification *)(s)->obj)
#define R0(th) ((int)(th)->ctx.r[0])

/* th makes a system call: it is the running thread. */
static void run(struct thread *th)
{
	struct cpu *c = this_cpu();

	sched_unready(th);
	th->state = TS_RUNNABLE;
	th->wait_obj = NULL;
	c->cur = th;
	c->resched = false;
}

static void msg(struct thread *th, uint32_t info, uint32_t m0, uint32_t m1, uint32_t m2,
		uint32_t m3)
{
	th->ctx.r[1] = info;
	th->ctx.r[2] = m0;
	th->ctx.r[3] = m1;
	th->ctx.r[4] = m2;
	th->ctx.r[5] = m3;
}

/* Ready and waiting to run: on its ready queue, or held in cpu->next
 * (the kernel exit queues it, sched_settle). */
static bool queued(const struct thread *th)
{
	const struct cpu *c = this_cpu();

	if (c->next == th)
		return true;
	for (const struct thread *x = c->ready_head[th->prio]; x; x = x->qnext)
		if (x == th)
			return true;
	return false;
}

/* ----------------------------------------------------------- endpoints */

IPC_CASE(test_send_wakes_waiting_receiver)
{
	struct thread *s = mk_thread("kt-snd", 10), *r = mk_thread("kt-rcv", 10);
	struct slot *ep = mk_ep(), *rs = mint(ep, R_READ, 0), *ws = mint(ep, R_WRITE, 0x42);

	KT_ASSERT(t, s && r && ep && rs && ws);
	run(r);
	KT_EQ(t, ipc_recv(r, rs, true), 0);
	KT_EQ(t, r->state, TS_BLOCKED_RECV);
	KT_ASSERT(t, r->wait_obj == EP(ep));
	KT_EQ(t, EP(ep)->state, EP_RECV);
	KT_ASSERT(t, EP(ep)->head == r && EP(ep)->tail == r);
	KT_ASSERT_MSG(t, this_cpu()->resched, "the current thread blocked: resched expected");
	KT_ASSERT(t, !queued(r));

	run(s);
	r->ctx.r[0] = 0xdead;
	msg(s, MSG_INFO(7, 3, 0), 11, 22, 33, 44);
	KT_EQ(t, ipc_send(s, ws, true, false), 0);
	KT_EQ(t, s->state, TS_RUNNABLE);
	KT_EQ(t, r->state, TS_RUNNABLE);
	KT_ASSERT(t, r->wait_obj == NULL);
	KT_ASSERT(t, queued(r));
	KT_EQ(t, EP(ep)->state, EP_IDLE);
	KT_ASSERT(t, EP(ep)->head == NULL && EP(ep)->tail == NULL);
	KT_EQ(t, R0(r), 0);
	KT_EQ(t, r->ctx.r[1], MSG_INFO(7, 3, 0));
	KT_EQ(t, r->ctx.r[2], 11);
	KT_EQ(t, r->ctx.r[3], 22);
	KT_EQ(t, r->ctx.r[4], 33);
	KT_EQ(t, r->ctx.r[6], 0x42);
	KT_ASSERT(t, r->caller == NULL);        /* a send, not a call */
}

IPC_CASE(test_senders_block_in_fifo_order)
{
	struct thread *s1 = mk_thread("kt-s1", 10), *s2 = mk_thread("kt-s2", 10);
	struct thread *r = mk_thread("kt-rcv", 10);
	struct slot *ep = mk_ep(), *rs = mint(ep, R_READ, 0);
	struct slot *w1 = mint(ep, R_WRITE, 1), *w2 = mint(ep, R_WRITE, 2);

	KT_ASSERT(t, s1 && s2 && r && rs && w1 && w2);
	run(s1);
	msg(s1, MSG_INFO(1, 1, 0), 100, 0, 0, 0);
	KT_EQ(t, ipc_send(s1, w1, true, false), 0);
	KT_EQ(t, s1->state, TS_BLOCKED_SEND);
	KT_EQ(t, s1->ipc_badge, 1);
	KT_EQ(t, s1->ipc_call, 0);
	KT_ASSERT(t, s1->wait_obj == EP(ep));
	KT_ASSERT(t, this_cpu()->resched);
	run(s2);
	msg(s2, MSG_INFO(2, 1, 0), 200, 0, 0, 0);
	KT_EQ(t, ipc_send(s2, w2, true, false), 0);
	KT_EQ(t, EP(ep)->state, EP_SEND);
	KT_ASSERT(t, EP(ep)->head == s1 && EP(ep)->tail == s2);

	run(r);
	s1->ctx.r[0] = s2->ctx.r[0] = 0xdead;
	KT_EQ(t, ipc_recv(r, rs, true), 0);
	KT_EQ(t, r->state, TS_RUNNABLE);        /* a sender was there: no wait */
	KT_EQ(t, r->ctx.r[1], MSG_INFO(1, 1, 0));
	KT_EQ(t, r->ctx.r[2], 100);
	KT_EQ(t, r->ctx.r[6], 1);
	KT_EQ(t, s1->state, TS_RUNNABLE);
	KT_EQ(t, R0(s1), 0);
	KT_ASSERT(t, EP(ep)->head == s2);
	KT_EQ(t, s2->state, TS_BLOCKED_SEND);
	KT_EQ(t, ipc_recv(r, rs, true), 0);
	KT_EQ(t, r->ctx.r[2], 200);
	KT_EQ(t, r->ctx.r[6], 2);
	KT_EQ(t, R0(s2), 0);
	KT_EQ(t, EP(ep)->state, EP_IDLE);
}

IPC_CASE(test_nonblocking_send_and_receive)
{
	struct thread *s = mk_thread("kt-snd", 10), *r = mk_thread("kt-rcv", 10);
	struct slot *ep = mk_ep(), *rs = mint(ep, R_READ, 0), *ws = mint(ep, R_WRITE, 3);

	KT_ASSERT(t, s && r && rs && ws);
	/* NBSEND with nobody waiting: dropped, 0. */
	run(s);
	msg(s, MSG_INFO(1, 1, 0), 5, 0, 0, 0);
	KT_EQ(t, ipc_send(s, ws, false, false), 0);
	KT_EQ(t, s->state, TS_RUNNABLE);
	KT_EQ(t, EP(ep)->state, EP_IDLE);
	KT_ASSERT(t, !this_cpu()->resched);
	/* NBRECV with nobody sending. */
	run(r);
	KT_EQ(t, ipc_recv(r, rs, false), E_AGAIN);
	KT_EQ(t, r->state, TS_RUNNABLE);
	KT_EQ(t, EP(ep)->state, EP_IDLE);
	/* NBRECV finds a blocked sender; NBSEND finds a waiting receiver. */
	run(s);
	KT_EQ(t, ipc_send(s, ws, true, false), 0);
	run(r);
	KT_EQ(t, ipc_recv(r, rs, false), 0);
	KT_EQ(t, r->ctx.r[2], 5);
	KT_EQ(t, r->ctx.r[6], 3);
	KT_EQ(t, s->state, TS_RUNNABLE);
	KT_EQ(t, ipc_recv(r, rs, true), 0);
	run(s);
	msg(s, MSG_INFO(1, 1, 0), 6, 0, 0, 0);
	KT_EQ(t, ipc_send(s, ws, false, false), 0);
	KT_EQ(t, r->state, TS_RUNNABLE);
	KT_EQ(t, r->ctx.r[2], 6);
}

IPC_CASE(test_rights_and_message_errors)
{
	struct thread *s = mk_thread("kt-snd", 10);
	struct slot *ep = mk_ep(), *rs = mint(ep, R_READ, 0), *ws = mint(ep, R_WRITE, 0);
	struct slot *n = mk_ntfn(), *cs = mk_cspace();

	KT_ASSERT(t, s && rs && ws && n && cs);
	run(s);
	msg(s, MSG_INFO(1, 0, 0), 0, 0, 0, 0);
	KT_EQ(t, ipc_send(s, rs, true, false), E_PERM);          /* no R_WRITE */
	KT_EQ(t, ipc_send(s, rs, true, true), E_PERM);
	KT_EQ(t, ipc_recv(s, ws, true), E_PERM);                 /* no R_READ */
	KT_EQ(t, ipc_reply_recv(s, ws), E_PERM);
	msg(s, MSG_INFO(1, 65, 0), 0, 0, 0, 0);
	KT_EQ(t, ipc_send(s, ws, true, false), E_INVAL);         /* > MSG_MAX_WORDS */
	KT_EQ(t, ipc_reply(s), E_INVAL);
	msg(s, MSG_INFO(1, 0, 1), 0, 0, 0, 0);
	KT_EQ(t, ipc_send(s, ws, true, false), E_PERM);          /* caps without R_GRANT */
	msg(s, MSG_INFO(1, 0, 0), 0, 0, 0, 0);
	KT_EQ(t, ipc_send(s, n, true, true), E_TYPE);            /* call on a notification */
	KT_EQ(t, ipc_send(s, cs, true, false), E_TYPE);
	KT_EQ(t, ipc_recv(s, cs, true), E_TYPE);
	KT_EQ(t, ipc_reply_recv(s, cs), E_TYPE);
	/* Nothing changed. */
	KT_EQ(t, s->state, TS_RUNNABLE);
	KT_EQ(t, EP(ep)->state, EP_IDLE);
	KT_EQ(t, NT(n)->word, 0);
	KT_ASSERT(t, !this_cpu()->resched);
}

IPC_CASE(test_call_and_reply)
{
	struct thread *c = mk_thread("kt-caller", 10), *r = mk_thread("kt-server", 10);
	struct slot *ep = mk_ep(), *rs = mint(ep, R_READ, 0), *ws = mint(ep, R_WRITE, 0x77);

	KT_ASSERT(t, c && r && rs && ws);
	run(r);
	KT_EQ(t, ipc_recv(r, rs, true), 0);
	run(c);
	msg(c, MSG_INFO(9, 1, 0), 5, 0, 0, 0);
	KT_EQ(t, ipc_send(c, ws, true, true), 0);
	KT_EQ(t, c->state, TS_BLOCKED_REPLY);
	KT_ASSERT(t, this_cpu()->resched);
	KT_ASSERT(t, !queued(c));
	KT_ASSERT(t, c->callee == r && r->caller == c);
	KT_EQ(t, r->state, TS_RUNNABLE);
	KT_EQ(t, r->ctx.r[1], MSG_INFO(9, 1, 0));
	KT_EQ(t, r->ctx.r[2], 5);
	KT_EQ(t, r->ctx.r[6], 0x77);

	run(r);
	c->ctx.r[0] = 0xdead;
	c->ctx.r[6] = 0xdead;
	msg(r, MSG_INFO(3, 2, 0), 6, 7, 0, 0);
	KT_EQ(t, ipc_reply(r), 0);
	KT_EQ(t, c->state, TS_RUNNABLE);
	KT_ASSERT(t, queued(c));
	KT_EQ(t, R0(c), 0);
	KT_EQ(t, c->ctx.r[1], MSG_INFO(3, 2, 0));
	KT_EQ(t, c->ctx.r[2], 6);
	KT_EQ(t, c->ctx.r[3], 7);
	KT_EQ(t, c->ctx.r[6], 0);               /* a reply has no badge */
	KT_ASSERT(t, r->caller == NULL && c->callee == NULL);
	KT_EQ(t, r->state, TS_RUNNABLE);
}

IPC_CASE(test_queued_call_then_reply_recv)
{
	struct thread *c = mk_thread("kt-caller", 10), *r = mk_thread("kt-server", 10);
	struct slot *ep = mk_ep(), *rs = mint(ep, R_READ, 0), *ws = mint(ep, R_WRITE, 1);

	KT_ASSERT(t, c && r && rs && ws);
	run(c);
	msg(c, MSG_INFO(4, 1, 0), 40, 0, 0, 0);
	KT_EQ(t, ipc_send(c, ws, true, true), 0);
	KT_EQ(t, c->state, TS_BLOCKED_SEND);
	KT_EQ(t, c->ipc_call, 1);
	run(r);
	KT_EQ(t, ipc_recv(r, rs, true), 0);
	KT_EQ(t, r->ctx.r[2], 40);
	KT_EQ(t, c->state, TS_BLOCKED_REPLY);
	KT_ASSERT(t, r->caller == c && c->callee == r);
	KT_ASSERT(t, !queued(c));
	/* REPLY_RECV checks its receive capability before it replies. */
	msg(r, MSG_INFO(0, 1, 0), 41, 0, 0, 0);
	KT_EQ(t, ipc_reply_recv(r, ws), E_PERM);
	KT_EQ(t, c->state, TS_BLOCKED_REPLY);
	KT_ASSERT(t, r->caller == c);
	KT_EQ(t, ipc_reply_recv(r, rs), 0);
	KT_EQ(t, c->state, TS_RUNNABLE);
	KT_EQ(t, R0(c), 0);
	KT_EQ(t, c->ctx.r[1], MSG_INFO(0, 1, 0));
	KT_EQ(t, c->ctx.r[2], 41);
	KT_EQ(t, r->state, TS_BLOCKED_RECV);
	KT_ASSERT(t, r->caller == NULL);
	KT_ASSERT(t, EP(ep)->head == r);
}

IPC_CASE(test_long_message_and_truncation)
{
	struct thread *s = mk_thread("kt-snd", 10), *r = mk_thread("kt-rcv", 10);
	struct slot *ep = mk_ep(), *rs = mint(ep, R_READ, 0), *ws = mint(ep, R_WRITE, 0);

	KT_ASSERT(t, s && r && rs && ws);
	s->ipcbuf = &bufs[0];
	r->ipcbuf = &bufs[1];
	for (unsigned i = 0; i < MSG_MAX_WORDS; i++)
		bufs[0].mr[i] = 1000 + i;
	/* Both buffers: all 64 words. */
	run(r);
	KT_EQ(t, ipc_recv(r, rs, true), 0);
	run(s);
	msg(s, MSG_INFO(5, MSG_MAX_WORDS, 0), 1, 2, 3, 4);
	KT_EQ(t, ipc_send(s, ws, true, false), 0);
	KT_EQ(t, r->ctx.r[1], MSG_INFO(5, MSG_MAX_WORDS, 0));
	KT_EQ(t, r->ctx.r[2], 1);
	KT_EQ(t, r->ctx.r[5], 4);
	KT_EQ(t, bufs[1].mr[3], 0);             /* MR0..3 travel in registers */
	for (unsigned i = MSG_REG_WORDS; i < MSG_MAX_WORDS; i++)
		KT_EQ(t, bufs[1].mr[i], 1000 + i);
	/* The receiver has no buffer: cut to the four register words. */
	memset(&bufs[1], 0, sizeof(bufs[1]));
	r->ipcbuf = NULL;
	run(r);
	KT_EQ(t, ipc_recv(r, rs, true), 0);
	run(s);
	msg(s, MSG_INFO(6, 10, 0), 1, 2, 3, 4);
	KT_EQ(t, ipc_send(s, ws, true, false), 0);
	KT_EQ(t, r->ctx.r[1], MSG_INFO(6, MSG_REG_WORDS, 0));
	KT_EQ(t, r->ctx.r[5], 4);
	/* The sender has none: the same. */
	r->ipcbuf = &bufs[1];
	s->ipcbuf = NULL;
	run(r);
	KT_EQ(t, ipc_recv(r, rs, true), 0);
	run(s);
	msg(s, MSG_INFO(7, 10, 0), 1, 2, 3, 4);
	KT_EQ(t, ipc_send(s, ws, true, false), 0);
	KT_EQ(t, r->ctx.r[1], MSG_INFO(7, MSG_REG_WORDS, 0));
	KT_EQ(t, bufs[1].mr[4], 0);
	/* Shorter messages keep their length. */
	run(r);
	KT_EQ(t, ipc_recv(r, rs, true), 0);
	run(s);
	msg(s, MSG_INFO(8, 2, 0), 1, 2, 3, 4);
	KT_EQ(t, ipc_send(s, ws, true, false), 0);
	KT_EQ(t, r->ctx.r[1], MSG_INFO(8, 2, 0));
}

IPC_CASE(test_receive_cancels_unanswered_caller)
{
	struct thread *c = mk_thread("kt-caller", 10), *r = mk_thread("kt-server", 10);
	struct slot *ep = mk_ep(), *rs = mint(ep, R_READ, 0), *ws = mint(ep, R_WRITE, 0);
	struct slot *n = mk_ntfn();

	KT_ASSERT(t, c && r && rs && ws && n);
	run(r);
	KT_EQ(t, ipc_recv(r, rs, true), 0);
	run(c);
	msg(c, MSG_INFO(1, 0, 0), 0, 0, 0, 0);
	KT_EQ(t, ipc_send(c, ws, true, true), 0);
	KT_EQ(t, c->state, TS_BLOCKED_REPLY);
	/* Polling a notification keeps the reply right. */
	run(r);
	KT_EQ(t, ipc_recv(r, n, false), E_AGAIN);
	KT_ASSERT(t, r->caller == c);
	KT_EQ(t, c->state, TS_BLOCKED_REPLY);
	/* Receiving on an endpoint drops it: the caller is cancelled. */
	c->ctx.r[0] = 0;
	KT_EQ(t, ipc_recv(r, rs, true), 0);
	KT_EQ(t, r->state, TS_BLOCKED_RECV);
	KT_ASSERT(t, r->caller == NULL && c->callee == NULL);
	KT_EQ(t, c->state, TS_RUNNABLE);
	KT_EQ(t, R0(c), E_CANCELLED);
	KT_ASSERT(t, queued(c));
}

IPC_CASE(test_reply_without_caller)
{
	struct thread *s = mk_thread("kt-snd", 10), *r = mk_thread("kt-rcv", 10);
	struct slot *ep = mk_ep(), *rs = mint(ep, R_READ, 0), *ws = mint(ep, R_WRITE, 9);

	KT_ASSERT(t, s && r && rs && ws);
	run(r);
	msg(r, MSG_INFO(1, 1, 0), 1, 0, 0, 0);
	KT_EQ(t, ipc_reply(r), 0);              /* nobody to answer: nothing */
	KT_EQ(t, r->state, TS_RUNNABLE);
	KT_ASSERT(t, !this_cpu()->resched);
	/* REPLY_RECV without a caller is a receive: first a queued sender... */
	run(s);
	msg(s, MSG_INFO(2, 1, 0), 22, 0, 0, 0);
	KT_EQ(t, ipc_send(s, ws, true, false), 0);
	run(r);
	KT_EQ(t, ipc_reply_recv(r, rs), 0);
	KT_EQ(t, r->state, TS_RUNNABLE);
	KT_EQ(t, r->ctx.r[2], 22);
	KT_EQ(t, r->ctx.r[6], 9);
	KT_EQ(t, s->state, TS_RUNNABLE);
	/* ...then a wait. */
	KT_EQ(t, ipc_reply_recv(r, rs), 0);
	KT_EQ(t, r->state, TS_BLOCKED_RECV);
}

IPC_CASE(test_saved_reply_capability)
{
	struct thread *c = mk_thread("kt-caller", 10), *r = mk_thread("kt-server", 10);
	struct slot *ep = mk_ep(), *rs = mint(ep, R_READ, 0), *ws = mint(ep, R_WRITE, 0);
	struct slot *rep = new_slot(), *moved = new_slot();

	KT_ASSERT(t, c && r && rs && ws && rep && moved);
	run(r);
	KT_EQ(t, ipc_save_reply(r, rep), E_STATE);      /* no caller */
	KT_EQ(t, ipc_recv(r, rs, true), 0);
	run(c);
	msg(c, MSG_INFO(1, 1, 0), 10, 0, 0, 0);
	KT_EQ(t, ipc_send(c, ws, true, true), 0);
	run(r);
	KT_EQ(t, ipc_save_reply(r, rep), 0);
	KT_EQ(t, slot_type(rep), CAP_REPLY);
	KT_ASSERT(t, rep->obj == &c->obj);
	KT_ASSERT(t, c->reply_cap == rep);
	KT_ASSERT(t, r->caller == NULL && c->callee == NULL);
	/* Receiving again no longer cancels the caller. */
	KT_EQ(t, ipc_recv(r, rs, false), E_AGAIN);
	KT_EQ(t, c->state, TS_BLOCKED_REPLY);
	/* Moving the capability keeps the caller's link. */
	KT_EQ(t, cap_move(rep, moved), 0);
	KT_ASSERT(t, c->reply_cap == moved);
	KT_EQ(t, cap_copy(moved, rep), E_TYPE);         /* one shot: no copies */
	/* SEND on it answers the caller; the capability is used up. */
	msg(r, MSG_INFO(4, 1, 0), 99, 0, 0, 0);
	KT_EQ(t, ipc_send(r, moved, true, true), E_TYPE);
	KT_EQ(t, ipc_send(r, moved, true, false), 0);
	KT_EQ(t, c->state, TS_RUNNABLE);
	KT_EQ(t, R0(c), 0);
	KT_EQ(t, c->ctx.r[1], MSG_INFO(4, 1, 0));
	KT_EQ(t, c->ctx.r[2], 99);
	KT_ASSERT(t, slot_empty(moved));
	KT_ASSERT(t, c->reply_cap == NULL);
	/* Deleting a saved reply capability cancels its caller. */
	KT_EQ(t, ipc_recv(r, rs, true), 0);
	run(c);
	KT_EQ(t, ipc_send(c, ws, true, true), 0);
	run(r);
	KT_EQ(t, ipc_save_reply(r, rep), 0);
	KT_EQ(t, c->state, TS_BLOCKED_REPLY);
	KT_EQ(t, cap_delete(rep), 0);
	KT_EQ(t, c->state, TS_RUNNABLE);
	KT_EQ(t, R0(c), E_CANCELLED);
	KT_ASSERT(t, c->reply_cap == NULL);
}

/* ----------------------------------------------------------- capability transfer */

IPC_CASE(test_capability_transfer)
{
	struct thread *s = mk_thread("kt-snd", 10), *r = mk_thread("kt-rcv", 10);
	struct slot *ep = mk_ep(), *n = mk_ntfn(), *e2 = mk_ep();
	struct slot *css = mk_cspace(), *csr = mk_cspace();
	struct slot *snd, *rcv, *c5, *c6, *got0, *got1;

	KT_ASSERT(t, s && r && ep && n && e2 && css && csr);
	KT_EQ(t, thread_configure(s, css, NULL, NULL, NULL), 0);
	KT_EQ(t, thread_configure(r, csr, NULL, NULL, NULL), 0);
	s->ipcbuf = &bufs[0];
	r->ipcbuf = &bufs[1];
	snd = mint_to(ep, cslot(css, 3), R_WRITE | R_GRANT, 7);
	rcv = mint_to(ep, cslot(csr, 3), R_READ, 0);
	c5 = mint_to(n, cslot(css, 5), R_ALL, 0);
	c6 = mint_to(e2, cslot(css, 6), R_WRITE, 0x66);
	KT_ASSERT(t, snd && rcv && c5 && c6);
	bufs[0].caps[0] = 5;
	bufs[0].caps[1] = 6;
	bufs[1].recv_cspace = CPTR_SELF;
	bufs[1].recv_slot = 20;
	bufs[1].recv_caps = 0xdead;

	run(r);
	KT_EQ(t, ipc_recv(r, rcv, true), 0);
	run(s);
	msg(s, MSG_INFO(1, 1, 2), 123, 0, 0, 0);
	KT_EQ(t, ipc_send(s, snd, true, false), 0);
	KT_EQ(t, R0(r), 0);
	KT_EQ(t, r->ctx.r[1], MSG_INFO(1, 1, 2));
	KT_EQ(t, r->ctx.r[2], 123);
	KT_EQ(t, r->ctx.r[6], 7);
	KT_EQ(t, bufs[1].recv_caps, 2);
	got0 = cslot(csr, 20);
	got1 = cslot(csr, 21);
	KT_ASSERT(t, got0 && got1);
	KT_EQ(t, slot_type(got0), CAP_NOTIFICATION);
	KT_ASSERT(t, got0->obj == n->obj);
	KT_ASSERT_MSG(t, got0->parent == c5, "a transferred capability is the sender's child");
	KT_EQ(t, slot_type(got1), CAP_ENDPOINT);
	KT_EQ(t, slot_rights(got1), R_WRITE);
	KT_EQ(t, got1->a, 0x66);                /* badge kept */
	KT_ASSERT(t, got1->parent == c6);
	KT_ASSERT(t, slot_empty(cslot(csr, 22)));
	/* Revoking the sender's capability reaches the copy. */
	KT_EQ(t, cap_revoke(c5), 0);
	KT_ASSERT(t, slot_empty(got0));
	KT_EQ(t, slot_type(got1), CAP_ENDPOINT);
}

IPC_CASE(test_capability_transfer_limits)
{
	struct thread *s = mk_thread("kt-snd", 10), *r = mk_thread("kt-rcv", 10);
	struct slot *ep = mk_ep(), *n = mk_ntfn();
	struct slot *css = mk_cspace(), *csr = mk_cspace(), *cs3 = mk_cspace();
	struct slot *snd, *nogrant, *rcv, *c5;

	KT_ASSERT(t, s && r && ep && n && css && csr && cs3);
	KT_EQ(t, thread_configure(s, css, NULL, NULL, NULL), 0);
	KT_EQ(t, thread_configure(r, csr, NULL, NULL, NULL), 0);
	s->ipcbuf = &bufs[0];
	r->ipcbuf = &bufs[1];
	snd = mint_to(ep, cslot(css, 3), R_WRITE | R_GRANT, 0);
	nogrant = mint_to(ep, cslot(css, 4), R_WRITE, 0);
	rcv = mint_to(ep, cslot(csr, 3), R_READ, 0);
	c5 = mint_to(n, cslot(css, 5), R_ALL, 0);
	KT_ASSERT(t, snd && nogrant && rcv && c5);
	KT_ASSERT(t, mint_to(cs3, cslot(csr, 9), R_WRITE, 0));     /* another CSpace */
	bufs[0].caps[0] = 5;
	bufs[0].caps[1] = 7;                    /* empty: the transfer ends there */
	bufs[1].recv_cspace = CPTR_SELF;
	bufs[1].recv_slot = 20;

	/* Without R_GRANT: refused, the receiver keeps waiting. */
	run(r);
	KT_EQ(t, ipc_recv(r, rcv, true), 0);
	run(s);
	msg(s, MSG_INFO(1, 0, 2), 0, 0, 0, 0);
	KT_EQ(t, ipc_send(s, nogrant, true, false), E_PERM);
	KT_EQ(t, r->state, TS_BLOCKED_RECV);
	/* An empty source slot ends the transfer: one of two arrives. */
	KT_EQ(t, ipc_send(s, snd, true, false), 0);
	KT_EQ(t, r->ctx.r[1], MSG_INFO(1, 0, 1));
	KT_EQ(t, bufs[1].recv_caps, 1);
	KT_EQ(t, slot_type(cslot(csr, 20)), CAP_NOTIFICATION);
	/* Occupied destination: the message arrives without capabilities. */
	bufs[0].caps[1] = 5;
	bufs[1].recv_caps = 0xdead;
	run(r);
	KT_EQ(t, ipc_recv(r, rcv, true), 0);
	run(s);
	msg(s, MSG_INFO(2, 0, 1), 0, 0, 0, 0);
	KT_EQ(t, ipc_send(s, snd, true, false), 0);
	KT_EQ(t, r->state, TS_RUNNABLE);
	KT_EQ(t, r->ctx.r[1], MSG_INFO(2, 0, 0));
	KT_EQ(t, bufs[1].recv_caps, 0);
	/* recv_slot 0 refuses capabilities. */
	bufs[1].recv_slot = 0;
	bufs[1].recv_caps = 0xdead;
	run(r);
	KT_EQ(t, ipc_recv(r, rcv, true), 0);
	run(s);
	msg(s, MSG_INFO(3, 0, 1), 0, 0, 0, 0);
	KT_EQ(t, ipc_send(s, snd, true, false), 0);
	KT_EQ(t, r->ctx.r[1], MSG_INFO(3, 0, 0));
	KT_EQ(t, bufs[1].recv_caps, 0);
	/* Into another CSpace named by a CSpace capability of the receiver,
	 * from a sender that blocked first (the transfer happens at the
	 * receive). */
	bufs[1].recv_cspace = 9;
	bufs[1].recv_slot = 40;
	run(s);
	msg(s, MSG_INFO(4, 0, 2), 0, 0, 0, 0);
	KT_EQ(t, ipc_send(s, snd, true, false), 0);
	KT_EQ(t, s->state, TS_BLOCKED_SEND);
	run(r);
	KT_EQ(t, ipc_recv(r, rcv, true), 0);
	KT_EQ(t, r->ctx.r[1], MSG_INFO(4, 0, 2));
	KT_EQ(t, bufs[1].recv_caps, 2);
	KT_EQ(t, slot_type(cslot(cs3, 40)), CAP_NOTIFICATION);
	KT_EQ(t, slot_type(cslot(cs3, 41)), CAP_NOTIFICATION);
	KT_ASSERT(t, slot_empty(cslot(csr, 40)));
	/* A reply carries capabilities only to a caller whose capability
	 * had R_GRANT: through `nogrant`, none arrive; through `snd`, the
	 * replier's endpoint capability (its slot 3) lands in slot 50. */
	for (unsigned grant = 0; grant < 2; grant++) {
		s->ipcbuf = &bufs[0];
		r->ipcbuf = &bufs[1];
		bufs[1].recv_slot = 0;
		run(r);
		KT_EQ(t, ipc_recv(r, rcv, true), 0);
		run(s);
		msg(s, MSG_INFO(5, 0, 0), 0, 0, 0, 0);
		KT_EQ(t, ipc_send(s, grant ? snd : nogrant, true, true), 0);
		KT_EQ(t, s->state, TS_BLOCKED_REPLY);
		s->ipcbuf = &bufs[1];                   /* the caller receives into slot 50 */
		r->ipcbuf = &bufs[0];
		bufs[1].recv_cspace = CPTR_SELF;
		bufs[1].recv_slot = 50;
		bufs[0].caps[0] = 3;
		run(r);
		msg(r, MSG_INFO(0, 0, 1), 0, 0, 0, 0);
		KT_EQ(t, ipc_reply(r), 0);
		KT_EQ(t, s->ctx.r[1], MSG_INFO(0, 0, grant));
		KT_EQ(t, bufs[1].recv_caps, grant);
		KT_EQ(t, slot_type(cslot(css, 50)), grant ? CAP_ENDPOINT : CAP_NULL);
	}
}

/* ----------------------------------------------------------- cancellation */

IPC_CASE(test_endpoint_destroy_cancels_waiters)
{
	struct thread *r1 = mk_thread("kt-r1", 10), *r2 = mk_thread("kt-r2", 20);
	struct thread *s1 = mk_thread("kt-s1", 10);
	struct slot *ep = mk_ep(), *rs = mint(ep, R_READ, 0);
	struct slot *ep2 = mk_ep(), *ws = mint(ep2, R_WRITE, 0);

	KT_ASSERT(t, r1 && r2 && s1 && rs && ws);
	run(r1);
	KT_EQ(t, ipc_recv(r1, rs, true), 0);
	run(r2);
	KT_EQ(t, ipc_recv(r2, rs, true), 0);
	run(s1);
	msg(s1, MSG_INFO(1, 0, 0), 0, 0, 0, 0);
	KT_EQ(t, ipc_send(s1, ws, true, true), 0);
	KT_EQ(t, s1->state, TS_BLOCKED_SEND);
	this_cpu()->cur = NULL;
	/* The last capabilities go: the endpoints are destroyed. */
	KT_EQ(t, cap_delete(rs), 0);
	KT_EQ(t, cap_delete(ep), 0);
	KT_EQ(t, cap_delete(ws), 0);
	KT_EQ(t, cap_delete(ep2), 0);
	KT_EQ(t, r1->state, TS_BLOCKED_RECV);   /* destruction is queued */
	obj_reap(0);
	KT_EQ(t, r1->state, TS_RUNNABLE);
	KT_EQ(t, R0(r1), E_CANCELLED);
	KT_ASSERT(t, r1->wait_obj == NULL && queued(r1));
	KT_EQ(t, r2->state, TS_RUNNABLE);
	KT_EQ(t, R0(r2), E_CANCELLED);
	KT_EQ(t, s1->state, TS_RUNNABLE);
	KT_EQ(t, R0(s1), E_CANCELLED);
	KT_EQ(t, sched_highest_ready(), 20);
}

IPC_CASE(test_suspend_cancels_ipc)
{
	struct thread *c = mk_thread("kt-caller", 10), *r = mk_thread("kt-server", 10);
	struct thread *w = mk_thread("kt-waiter", 10);
	struct slot *ep = mk_ep(), *rs = mint(ep, R_READ, 0), *ws = mint(ep, R_WRITE, 0);

	KT_ASSERT(t, c && r && w && rs && ws);
	run(r);
	KT_EQ(t, ipc_recv(r, rs, true), 0);
	run(c);
	msg(c, MSG_INFO(1, 0, 0), 0, 0, 0, 0);
	KT_EQ(t, ipc_send(c, ws, true, true), 0);
	run(w);
	KT_EQ(t, ipc_recv(w, rs, true), 0);
	this_cpu()->cur = NULL;
	/* A waiting receiver. */
	KT_EQ(t, thread_suspend(w), 0);
	KT_EQ(t, w->state, TS_INACTIVE);
	KT_EQ(t, R0(w), E_CANCELLED);
	KT_ASSERT(t, !queued(w));
	KT_EQ(t, EP(ep)->state, EP_IDLE);
	/* A caller waiting for its reply: the server's right goes. */
	KT_EQ(t, thread_suspend(c), 0);
	KT_EQ(t, c->state, TS_INACTIVE);
	KT_EQ(t, R0(c), E_CANCELLED);
	KT_ASSERT(t, r->caller == NULL);
	KT_ASSERT(t, !queued(c));
	/* ipc_cancel on a thread that waits for nothing changes nothing. */
	run(r);
	ipc_cancel(r, E_CANCELLED);
	KT_EQ(t, r->state, TS_RUNNABLE);
}

/* ----------------------------------------------------------- notifications */

IPC_CASE(test_notification_signal_wait_poll)
{
	struct thread *w = mk_thread("kt-waiter", 10), *s = mk_thread("kt-signaller", 10);
	struct slot *n = mk_ntfn(), *b4 = mint(n, R_WRITE, 4), *b8 = mint(n, R_WRITE, 8);
	struct slot *plain = mint(n, R_WRITE, 0), *rd = mint(n, R_READ, 0);

	KT_ASSERT(t, w && s && b4 && b8 && plain && rd);
	run(w);
	KT_EQ(t, ipc_recv(w, rd, false), E_AGAIN);      /* poll: nothing */
	KT_EQ(t, ipc_recv(w, b4, false), E_PERM);       /* write-only */
	KT_EQ(t, ipc_send(w, rd, true, false), E_PERM); /* read-only */
	run(s);
	msg(s, MSG_INFO(1, 70, 3), 0, 0, 0, 0);         /* a signal ignores the info */
	KT_EQ(t, ipc_send(s, b4, true, false), 0);
	KT_EQ(t, ipc_send(s, b8, false, false), 0);
	KT_EQ(t, ipc_send(s, b4, true, false), 0);
	KT_EQ(t, NT(n)->word, 12);
	run(w);
	KT_EQ(t, ipc_recv(w, rd, false), 0);
	KT_EQ(t, w->ctx.r[1], MSG_INFO(0, 1, 0));
	KT_EQ(t, w->ctx.r[2], 12);
	KT_EQ(t, w->ctx.r[6], 12);
	KT_EQ(t, NT(n)->word, 0);
	KT_EQ(t, ipc_recv(w, rd, false), E_AGAIN);
	/* A wait with bits pending does not block. */
	run(s);
	KT_EQ(t, ipc_send(s, b8, true, false), 0);
	run(w);
	KT_EQ(t, ipc_recv(w, rd, true), 0);
	KT_EQ(t, w->state, TS_RUNNABLE);
	KT_EQ(t, w->ctx.r[2], 8);
	/* Without: it blocks until a signal; badge 0 signals bit 0. */
	KT_EQ(t, ipc_recv(w, rd, true), 0);
	KT_EQ(t, w->state, TS_BLOCKED_NTFN);
	KT_ASSERT(t, w->wait_obj == NT(n) && NT(n)->head == w);
	KT_ASSERT(t, this_cpu()->resched);
	run(s);
	w->ctx.r[0] = 0xdead;
	KT_EQ(t, ipc_send(s, plain, true, false), 0);
	KT_EQ(t, w->state, TS_RUNNABLE);
	KT_ASSERT(t, queued(w));
	KT_EQ(t, R0(w), 0);
	KT_EQ(t, w->ctx.r[2], 1);
	KT_EQ(t, w->ctx.r[6], 1);
	KT_EQ(t, NT(n)->word, 0);
	KT_ASSERT(t, NT(n)->head == NULL);
	KT_EQ(t, s->state, TS_RUNNABLE);        /* signalling never blocks */
}

IPC_CASE(test_notification_wakeup_priority)
{
	struct thread *cur = mk_thread("kt-running", 100);
	struct thread *lo = mk_thread("kt-low", 50), *hi = mk_thread("kt-high", 200);
	struct slot *n = mk_ntfn(), *rd = mint(n, R_READ, 0);

	KT_ASSERT(t, cur && lo && hi && rd);
	run(lo);
	KT_EQ(t, ipc_recv(lo, rd, true), 0);
	/* As from interrupt context while `cur` runs. */
	run(cur);
	notification_signal(NT(n), 2);
	KT_EQ(t, lo->state, TS_RUNNABLE);
	KT_EQ(t, lo->ctx.r[2], 2);
	KT_ASSERT_MSG(t, !this_cpu()->resched, "a lower-priority wake-up must not preempt");
	KT_ASSERT(t, this_cpu()->cur == cur);
	run(hi);
	KT_EQ(t, ipc_recv(hi, rd, true), 0);
	run(cur);
	notification_signal(NT(n), 4);
	KT_EQ(t, hi->state, TS_RUNNABLE);
	KT_ASSERT_MSG(t, this_cpu()->resched, "a higher-priority wake-up must preempt");
	KT_EQ(t, sched_highest_ready(), 200);
	/* While idle any wake-up reschedules. */
	run(lo);
	KT_EQ(t, ipc_recv(lo, rd, true), 0);
	this_cpu()->cur = NULL;
	this_cpu()->resched = false;
	notification_signal(NT(n), 8);
	KT_ASSERT(t, this_cpu()->resched);
	/* Nobody waits: the bits accumulate. */
	notification_signal(NT(n), 16);
	notification_signal(NT(n), 32);
	KT_EQ(t, NT(n)->word, 48);
}

IPC_CASE(test_notification_destroy_cancels)
{
	struct thread *w = mk_thread("kt-waiter", 10);
	struct slot *n = mk_ntfn(), *rd = mint(n, R_READ, 0);

	KT_ASSERT(t, w && rd);
	run(w);
	KT_EQ(t, ipc_recv(w, rd, true), 0);
	KT_EQ(t, w->state, TS_BLOCKED_NTFN);
	this_cpu()->cur = NULL;
	KT_EQ(t, cap_delete(rd), 0);
	KT_EQ(t, cap_delete(n), 0);
	obj_reap(0);
	KT_EQ(t, w->state, TS_RUNNABLE);
	KT_EQ(t, R0(w), E_CANCELLED);
	KT_ASSERT(t, w->wait_obj == NULL);
}

IPC_CASE(test_bound_notification)
{
	struct thread *r = mk_thread("kt-server", 10), *x = mk_thread("kt-other", 10);
	struct thread *s = mk_thread("kt-client", 10);
	struct slot *ep = mk_ep(), *rs = mint(ep, R_READ, 0), *ws = mint(ep, R_WRITE, 5);
	struct slot *n = mk_ntfn(), *n2 = mk_ntfn();

	KT_ASSERT(t, r && x && s && rs && ws && n && n2);
	KT_EQ(t, thread_bind_ntfn(r, NT(n)), 0);
	KT_ASSERT(t, r->bound == NT(n) && NT(n)->bound == r);
	KT_EQ(t, thread_bind_ntfn(x, NT(n)), E_BUSY);
	KT_EQ(t, thread_bind_ntfn(r, NT(n2)), E_BUSY);
	/* A signal ends the endpoint wait of the bound thread. */
	run(r);
	KT_EQ(t, ipc_recv(r, rs, true), 0);
	KT_EQ(t, r->state, TS_BLOCKED_RECV);
	this_cpu()->cur = NULL;
	notification_signal(NT(n), 0x10);
	KT_EQ(t, r->state, TS_RUNNABLE);
	KT_EQ(t, R0(r), 0);
	KT_EQ(t, r->ctx.r[1], MSG_INFO(MSG_LABEL_NOTIFY, 1, 0));
	KT_EQ(t, r->ctx.r[2], 0x10);
	KT_EQ(t, r->ctx.r[6], 0x10);
	KT_EQ(t, EP(ep)->state, EP_IDLE);
	KT_EQ(t, NT(n)->word, 0);
	/* Pending bits come before a queued sender. */
	notification_signal(NT(n), 0x20);
	run(s);
	msg(s, MSG_INFO(3, 1, 0), 33, 0, 0, 0);
	KT_EQ(t, ipc_send(s, ws, true, false), 0);
	run(r);
	KT_EQ(t, ipc_recv(r, rs, true), 0);
	KT_EQ(t, r->ctx.r[1], MSG_INFO(MSG_LABEL_NOTIFY, 1, 0));
	KT_EQ(t, r->ctx.r[2], 0x20);
	KT_EQ(t, s->state, TS_BLOCKED_SEND);
	KT_EQ(t, ipc_recv(r, rs, true), 0);
	KT_EQ(t, r->ctx.r[1], MSG_INFO(3, 1, 0));
	KT_EQ(t, r->ctx.r[6], 5);
	/* Unbound: a signal only sets bits. */
	KT_EQ(t, thread_bind_ntfn(r, NULL), 0);
	KT_ASSERT(t, r->bound == NULL && NT(n)->bound == NULL);
	KT_EQ(t, ipc_recv(r, rs, true), 0);
	notification_signal(NT(n), 1);
	KT_EQ(t, r->state, TS_BLOCKED_RECV);
	KT_EQ(t, NT(n)->word, 1);
}

/* ----------------------------------------------------------- interrupts */

static void kt_dummy_irq(unsigned irq, void *arg)
{
	(void)irq;
	(void)arg;
}

/* A shared peripheral interrupt nobody uses, from `from` on. */
static unsigned free_line(unsigned from)
{
	for (unsigned l = from; l < plat_irq_limit() && l < IRQ_MAX; l++)
		if (!irq_has_handler(l) && !irqobj_line(l)->claimed)
			return l;
	return 0;
}

IPC_CASE(test_irq_handler_claim)
{
	unsigned l = free_line(100), k = l ? free_line(l + 1) : 0;
	struct slot *h = new_slot(), *h2 = new_slot(), *hc = new_slot();

	KT_ASSERT_MSG(t, l && k, "no free interrupt lines above 100");
	KT_ASSERT(t, h && h2 && hc);
	KT_EQ(t, irqobj_get(plat_timer_irq(), h), E_RANGE);    /* the kernel's PPI */
	KT_EQ(t, irqobj_get(31, h), E_RANGE);
	KT_EQ(t, irqobj_get(plat_irq_limit(), h), E_RANGE);
	/* A line with a kernel handler is the kernel's. */
	KT_EQ(t, irq_register(k, kt_dummy_irq, NULL), 0);
	KT_EQ(t, irqobj_get(k, h), E_BUSY);
	irq_unregister(k);
	KT_ASSERT(t, slot_empty(h));
	/* One handler capability per line. */
	KT_EQ(t, irqobj_get(l, h), 0);
	KT_EQ(t, slot_type(h), CAP_IRQ_HANDLER);
	KT_EQ(t, h->a, l);
	KT_ASSERT(t, h->obj == NULL);
	KT_ASSERT(t, irqobj_line(l)->claimed);
	KT_EQ(t, irqobj_get(l, h2), E_BUSY);
	/* Copies share the line; the last one to go releases it. */
	KT_EQ(t, cap_copy(h, hc), 0);
	KT_EQ(t, cap_delete(hc), 0);
	KT_ASSERT(t, irqobj_line(l)->claimed);
	KT_EQ(t, cap_delete(h), 0);
	KT_ASSERT(t, !irqobj_line(l)->claimed);
	KT_EQ(t, irqobj_get(l, h2), 0);
}

IPC_CASE(test_irq_bind_fire_ack)
{
	unsigned l = free_line(100);
	struct thread *w = mk_thread("kt-driver", 10);
	struct slot *h = new_slot(), *n = mk_ntfn(), *ep = mk_ep();
	struct slot *nb = mint(n, R_WRITE, 0x100), *nr = mint(n, R_READ, 0);
	uint64_t count;

	KT_ASSERT_MSG(t, l, "no free interrupt line above 100");
	KT_ASSERT(t, w && h && ep && nb && nr);
	KT_EQ(t, irqobj_get(l, h), 0);
	KT_EQ(t, irqobj_bind(h, nr), E_PERM);   /* needs R_WRITE */
	KT_EQ(t, irqobj_bind(h, ep), E_TYPE);
	KT_EQ(t, irqobj_ack(h), E_STATE);       /* nothing pending */
	KT_EQ(t, irqobj_bind(h, nb), 0);
	KT_ASSERT(t, irq_has_handler(l));
	KT_ASSERT(t, irqobj_line(l)->ntfn == NT(n));
	KT_EQ(t, irqobj_line(l)->bits, 0x100);
	KT_EQ(t, NT(n)->irqs_bound, 1);
	/* The line fires (through the kernel's dispatch, as the GIC driver
	 * would call it): masked, pending, the notification signalled. */
	count = irq_count(l);
	irq_handle(l);
	KT_EQ(t, irq_count(l), count + 1);
	KT_EQ(t, irqobj_line(l)->pending, 1);
	KT_EQ(t, irqobj_line(l)->delivered, 1);
	KT_EQ(t, NT(n)->word, 0x100);
	run(w);
	KT_EQ(t, ipc_recv(w, nr, true), 0);
	KT_EQ(t, w->ctx.r[6], 0x100);
	KT_EQ(t, irqobj_ack(h), 0);
	KT_EQ(t, irqobj_line(l)->pending, 0);
	KT_EQ(t, irqobj_ack(h), E_STATE);
	/* A driver waiting when it fires is woken with the bits. */
	KT_EQ(t, ipc_recv(w, nr, true), 0);
	KT_EQ(t, w->state, TS_BLOCKED_NTFN);
	this_cpu()->cur = NULL;
	irq_handle(l);
	KT_EQ(t, w->state, TS_RUNNABLE);
	KT_EQ(t, w->ctx.r[2], 0x100);
	KT_EQ(t, irqobj_ack(h), 0);
	/* Rebinding to an unbadged capability signals bit 0. */
	KT_EQ(t, irqobj_bind(h, n), 0);
	KT_EQ(t, irqobj_line(l)->bits, 1);
	KT_EQ(t, NT(n)->irqs_bound, 1);
	NT(n)->word = 0;
	irq_handle(l);
	KT_EQ(t, NT(n)->word, 1);
	KT_EQ(t, irqobj_line(l)->delivered, 3);
	KT_EQ(t, irqobj_ack(h), 0);
}

IPC_CASE(test_irq_unbound_on_release_and_ntfn_destroy)
{
	unsigned l = free_line(100);
	struct slot *h = new_slot(), *n = mk_ntfn(), *n2 = mk_ntfn();

	KT_ASSERT_MSG(t, l, "no free interrupt line above 100");
	KT_ASSERT(t, h && n && n2);
	KT_EQ(t, irqobj_get(l, h), 0);
	KT_EQ(t, irqobj_bind(h, n), 0);
	/* The notification dies: the line is unbound (still claimed). */
	KT_EQ(t, cap_delete(n), 0);
	obj_reap(0);
	KT_ASSERT(t, irqobj_line(l)->ntfn == NULL);
	KT_ASSERT(t, irqobj_line(l)->claimed);
	irq_handle(l);                          /* fires into nothing */
	KT_EQ(t, irqobj_line(l)->pending, 1);
	/* Bound again, then the handler capability goes: unbound, released. */
	KT_EQ(t, irqobj_bind(h, n2), 0);
	KT_EQ(t, NT(n2)->irqs_bound, 1);
	KT_EQ(t, cap_delete(h), 0);
	KT_ASSERT(t, !irq_has_handler(l));
	KT_ASSERT(t, !irqobj_line(l)->claimed);
	KT_ASSERT(t, irqobj_line(l)->ntfn == NULL);
	KT_EQ(t, NT(n2)->irqs_bound, 0);
}

/* ----------------------------------------------------------- faults */

static void fault_at(struct ufault *f, unsigned kind, uint32_t pc, uint32_t addr, uint32_t status)
{
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->pc = pc;
	f->addr = addr;
	f->status = status;
	strlcpy(f->what, "ktest translation fault, level 3, write", sizeof(f->what));
}

IPC_CASE(test_fault_delivered_to_handler)
{
	struct thread *h = mk_thread("kt-handler", 10), *f = mk_thread("kt-faulter", 10);
	struct slot *ep = mk_ep(), *hr = mint(ep, R_READ, 0), *fw = mint(ep, R_WRITE, 0x99);
	struct ufault fl;

	KT_ASSERT(t, h && f && hr && fw);
	KT_EQ(t, thread_configure(f, NULL, NULL, NULL, fw), 0);
	KT_EQ(t, slot_type(&f->tslot[TSLOT_FAULT]), CAP_ENDPOINT);
	h->ipcbuf = &bufs[1];
	bufs[1].recv_caps = 0xdead;
	run(h);
	KT_EQ(t, ipc_recv(h, hr, true), 0);
	/* A data abort. */
	run(f);
	f->ctx.r[0] = 0x5555;
	f->ctx.sp = 0x7ff0;
	f->ctx.cpsr = 0x10;
	f->ctx.pc = 0x1000;
	fault_at(&fl, FAULT_DATA, 0x1000, 0xdead0, 0x807);
	fault_deliver(f, &fl);
	KT_EQ(t, f->state, TS_BLOCKED_REPLY);
	KT_ASSERT(t, this_cpu()->resched);
	KT_ASSERT(t, !queued(f));
	KT_EQ(t, f->fault_kind, FAULT_DATA);
	KT_EQ(t, f->fault_addr, 0xdead0);
	KT_EQ(t, h->state, TS_RUNNABLE);
	KT_ASSERT(t, h->caller == f);
	KT_EQ(t, R0(h), 0);
	KT_EQ(t, h->ctx.r[1], MSG_INFO(FAULT_LABEL_BASE + FAULT_DATA, 6, 0));
	KT_EQ(t, h->ctx.r[2], 0x1000);          /* MR0 pc */
	KT_EQ(t, h->ctx.r[3], 0xdead0);         /* MR1 address */
	KT_EQ(t, h->ctx.r[4], 0x807);           /* MR2 status */
	KT_EQ(t, h->ctx.r[5], 0);               /* MR3 */
	KT_EQ(t, bufs[1].recv_caps, 0);
	KT_EQ(t, bufs[1].mr[4], 0x10);          /* MR4 cpsr */
	KT_EQ(t, bufs[1].mr[5], 0x7ff0);        /* MR5 sp */
	KT_EQ(t, h->ctx.r[6], 0x99);            /* the fault capability's badge */
	/* The handler moves the pc on and answers with label 0: resumed there,
	 * its registers untouched by the reply. */
	f->ctx.pc = 0x1004;
	run(h);
	msg(h, MSG_INFO(0, 2, 0), 1, 2, 0, 0);
	KT_EQ(t, ipc_reply(h), 0);
	KT_EQ(t, f->state, TS_RUNNABLE);
	KT_ASSERT(t, queued(f));
	KT_EQ(t, f->ctx.pc, 0x1004);
	KT_EQ(t, f->ctx.r[0], 0x5555);
	KT_EQ(t, f->ctx.r[1], 0);
	KT_EQ(t, f->fault_kind, FAULT_NONE);
	KT_EQ(t, f->tflags & THREAD_F_FAULT, 0);
	/* An undefined instruction to a handler without an IPC buffer: the
	 * message is cut to MR0..MR3; MR3 is the instruction. */
	h->ipcbuf = NULL;
	KT_EQ(t, ipc_recv(h, hr, true), 0);
	run(f);
	fault_at(&fl, FAULT_UNDEF, 0x2000, 0, 0xe7f000f0);
	fault_deliver(f, &fl);
	KT_EQ(t, h->ctx.r[1], MSG_INFO(FAULT_LABEL_BASE + FAULT_UNDEF, 4, 0));
	KT_EQ(t, h->ctx.r[2], 0x2000);
	KT_EQ(t, h->ctx.r[4], 0);
	KT_EQ(t, h->ctx.r[5], 0xe7f000f0);
	KT_EQ(t, f->fault_kind, FAULT_UNDEF);
}

IPC_CASE(test_fault_queued_and_left_stopped)
{
	struct thread *h = mk_thread("kt-handler", 10), *f = mk_thread("kt-faulter", 10);
	struct slot *ep = mk_ep(), *hr = mint(ep, R_READ, 0), *fw = mint(ep, R_WRITE, 3);
	struct slot *rep = new_slot();
	struct ufault fl;

	KT_ASSERT(t, h && f && hr && fw && rep);
	KT_EQ(t, thread_configure(f, NULL, NULL, NULL, fw), 0);
	/* No handler waiting: the fault message queues like a call. */
	run(f);
	f->ctx.r[0] = 0x5555;
	fault_at(&fl, FAULT_PREFETCH, 0x3000, 0x3000, 0x7);
	fault_deliver(f, &fl);
	KT_EQ(t, f->state, TS_BLOCKED_SEND);
	KT_ASSERT(t, f->tflags & THREAD_F_FAULT);
	run(h);
	KT_EQ(t, ipc_recv(h, hr, true), 0);
	KT_EQ(t, h->ctx.r[1], MSG_INFO(FAULT_LABEL_BASE + FAULT_PREFETCH, 4, 0));
	KT_EQ(t, h->ctx.r[3], 0x3000);
	KT_EQ(t, h->ctx.r[6], 3);
	KT_EQ(t, f->state, TS_BLOCKED_REPLY);
	KT_ASSERT(t, h->caller == f);
	/* A non-zero label leaves it stopped. */
	msg(h, MSG_INFO(1, 0, 0), 0, 0, 0, 0);
	KT_EQ(t, ipc_reply(h), 0);
	KT_EQ(t, f->state, TS_FAULTED);
	KT_ASSERT(t, !queued(f));
	KT_EQ(t, f->ctx.r[0], 0x5555);
	/* A fault whose handler drops the reply right: stopped, not woken
	 * with an error in r0. */
	run(h);
	KT_EQ(t, ipc_recv(h, hr, true), 0);
	run(f);
	fault_deliver(f, &fl);
	KT_EQ(t, f->state, TS_BLOCKED_REPLY);
	run(h);
	KT_EQ(t, ipc_recv(h, hr, false), E_AGAIN);
	KT_EQ(t, f->state, TS_FAULTED);
	KT_EQ(t, f->ctx.r[0], 0x5555);
	/* Answered later through a saved reply capability, label 0. */
	KT_EQ(t, ipc_recv(h, hr, true), 0);
	run(f);
	fault_deliver(f, &fl);
	run(h);
	KT_EQ(t, ipc_save_reply(h, rep), 0);
	msg(h, MSG_INFO(0, 0, 0), 0, 0, 0, 0);
	KT_EQ(t, ipc_send(h, rep, true, false), 0);
	KT_EQ(t, f->state, TS_RUNNABLE);
	KT_EQ(t, f->ctx.r[0], 0x5555);
	KT_ASSERT(t, slot_empty(rep));
	/* The fault endpoint destroyed under a queued fault: stopped. */
	run(f);
	fault_deliver(f, &fl);
	KT_EQ(t, f->state, TS_BLOCKED_SEND);
	this_cpu()->cur = NULL;
	while (cap_revoke_any(ep, 0) == E_RESTART)
		;
	KT_ASSERT(t, slot_empty(&f->tslot[TSLOT_FAULT]));
	KT_EQ(t, f->state, TS_BLOCKED_SEND);
	KT_EQ(t, cap_delete(ep), 0);
	obj_reap(0);
	KT_EQ(t, f->state, TS_FAULTED);
	KT_EQ(t, f->ctx.r[0], 0x5555);
	KT_ASSERT(t, !queued(f));
}

IPC_CASE(test_fault_without_endpoint_stops)
{
	struct thread *f = mk_thread("kt-faulter", 10);
	struct ufault fl;
	char buf[512];
	uint64_t pos = log_total();
	size_t n;

	KT_ASSERT(t, f);
	run(f);
	fault_at(&fl, FAULT_DATA, 0x1000, 0x10, 0x807);
	fault_deliver(f, &fl);
	KT_EQ(t, f->state, TS_FAULTED);
	KT_ASSERT(t, this_cpu()->resched);
	KT_ASSERT(t, !queued(f));
	KT_EQ(t, f->fault_kind, FAULT_DATA);
	KT_EQ(t, f->fault_addr, 0x10);
	n = log_read(&pos, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	KT_ASSERT_MSG(t, strstr(buf, "fault: thread kt-faulter: ktest translation fault, level 3, "
				     "write at pc 0x00001000") != NULL,
		      "log: %s", buf);
}

/* ----------------------------------------------------------- fast paths */

IPC_CASE(test_fastpath_round_trip)
{
	struct thread *c = mk_thread("kt-client", 10), *r = mk_thread("kt-server", 10);
	struct slot *ep = mk_ep(), *cs = mk_cspace();
	struct cpu *cpu = this_cpu();

	KT_ASSERT(t, c && r && ep && cs);
	KT_EQ(t, thread_configure(c, cs, NULL, NULL, NULL), 0);
	KT_EQ(t, thread_configure(r, cs, NULL, NULL, NULL), 0);
	KT_ASSERT(t, mint_to(ep, cslot(cs, 3), R_WRITE, 0x11));
	KT_ASSERT(t, mint_to(ep, cslot(cs, 4), R_READ, 0));
	run(r);
	KT_EQ(t, ipc_recv(r, cslot(cs, 4), true), 0);
	run(c);
	for (uint32_t i = 0; i < 3; i++) {
		struct uctx *u;

		cpu->resched = false;
		c->ctx.r[0] = 3;
		msg(c, MSG_INFO(5, 2, 0), i, i + 1, i + 2, i + 3);
		c->ipc_grant = true;    /* (left by an earlier call with R_GRANT) */
		u = ipc_fastpath_call(c, FAST_ALONE);
		KT_ASSERT_MSG(t, u == &r->ctx, "call %u: fast path not taken", (unsigned)i);
		KT_ASSERT(t, cpu->cur == r);
		KT_EQ(t, r->state, TS_RUNNABLE);
		KT_EQ(t, c->state, TS_BLOCKED_REPLY);
		KT_ASSERT(t, r->caller == c && c->callee == r);
		KT_EQ(t, R0(r), 0);
		KT_EQ(t, r->ctx.r[1], MSG_INFO(5, 2, 0));
		KT_EQ(t, r->ctx.r[2], i);
		KT_EQ(t, r->ctx.r[5], i + 3);
		KT_EQ(t, r->ctx.r[6], 0x11);
		KT_ASSERT(t, !c->ipc_grant);    /* no R_GRANT: the reply carries no capability */
		KT_EQ(t, EP(ep)->state, EP_IDLE);
		KT_EQ(t, sched_highest_ready(), -1);    /* a direct switch: no queue */

		r->ctx.r[0] = 4;
		msg(r, MSG_INFO(0, 1, 0), 77 + i, 0, 0, 0);
		u = ipc_fastpath_reply_recv(r, FAST_ALONE);
		KT_ASSERT_MSG(t, u == &c->ctx, "reply_recv %u: fast path not taken", (unsigned)i);
		KT_ASSERT(t, cpu->cur == c);
		KT_EQ(t, c->state, TS_RUNNABLE);
		KT_EQ(t, R0(c), 0);
		KT_EQ(t, c->ctx.r[1], MSG_INFO(0, 1, 0));
		KT_EQ(t, c->ctx.r[2], 77 + i);
		KT_EQ(t, c->ctx.r[6], 0);
		KT_EQ(t, r->state, TS_BLOCKED_RECV);
		KT_ASSERT(t, r->wait_obj == EP(ep) && EP(ep)->head == r);
		KT_EQ(t, EP(ep)->state, EP_RECV);
		KT_ASSERT(t, r->caller == NULL && c->callee == NULL);
		KT_EQ(t, sched_highest_ready(), -1);
		KT_ASSERT(t, !cpu->resched);
	}
}

IPC_CASE(test_fastpath_declines)
{
	struct thread *c = mk_thread("kt-client", 10), *r = mk_thread("kt-server", 10);
	struct thread *x = mk_thread("kt-other", 50);
	struct slot *ep = mk_ep(), *cs = mk_cspace();
	struct cpu *cpu = this_cpu();

	KT_ASSERT(t, c && r && x && ep && cs);
	KT_EQ(t, thread_configure(c, cs, NULL, NULL, NULL), 0);
	KT_EQ(t, thread_configure(r, cs, NULL, NULL, NULL), 0);
	KT_ASSERT(t, mint_to(ep, cslot(cs, 3), R_WRITE, 0x11));
	KT_ASSERT(t, mint_to(ep, cslot(cs, 4), R_READ, 0));
	run(r);
	KT_EQ(t, ipc_recv(r, cslot(cs, 4), true), 0);
	run(c);
	/* Each of these takes the general path; nothing changes. */
	static const struct {
		uint32_t cptr, info;
	} no[] = {
		{ 3, MSG_INFO(1, 5, 0) },               /* longer than the registers */
		{ 3, MSG_INFO(1, 0, 1) },               /* a capability */
		{ 4, MSG_INFO(1, 0, 0) },               /* no R_WRITE */
		{ 0, MSG_INFO(1, 0, 0) },               /* null cptr */
		{ 9, MSG_INFO(1, 0, 0) },               /* empty slot */
		{ 70000, MSG_INFO(1, 0, 0) },           /* beyond the CSpace */
		/* (no case for a pending scheduling decision: none can be
		 * pending at a system-call entry, see ipc/fastpath.h) */
	};
	for (unsigned i = 0; i < ARRAY_SIZE(no); i++) {
		c->ctx.r[0] = no[i].cptr;
		c->ctx.r[1] = no[i].info;
		KT_ASSERT_MSG(t, ipc_fastpath_call(c, FAST_ALONE) == NULL, "case %u taken", i);
		KT_ASSERT(t, cpu->cur == c);
		KT_EQ(t, c->state, TS_RUNNABLE);
		KT_EQ(t, r->state, TS_BLOCKED_RECV);
		KT_ASSERT(t, EP(ep)->head == r);
	}
	cpu->resched = false;
	/* A receiver of lower priority. */
	r->prio = 5;
	c->ctx.r[0] = 3;
	c->ctx.r[1] = MSG_INFO(1, 0, 0);
	KT_ASSERT(t, ipc_fastpath_call(c, FAST_ALONE) == NULL);
	KT_EQ(t, r->state, TS_BLOCKED_RECV);
	r->prio = 10;
	/* With the lock shared: an endpoint homed on another CPU, a receiver
	 * of another CPU (the decisions of the svc vector's smp copy). */
	EP(ep)->home = (uint8_t)(cpu->index + 1);
	KT_ASSERT(t, ipc_fastpath_call(c, FAST_SHARED) == NULL);
	EP(ep)->home = cpu->index;
	r->cpu = (uint8_t)(cpu->index + 1);
	KT_ASSERT(t, ipc_fastpath_call(c, FAST_SHARED) == NULL);
	r->cpu = cpu->index;
	KT_EQ(t, r->state, TS_BLOCKED_RECV);
	KT_ASSERT(t, EP(ep)->head == r && cpu->cur == c);
	/* The general path: same result. */
	KT_EQ(t, ipc_send(c, cslot(cs, 3), true, true), 0);
	KT_EQ(t, c->state, TS_BLOCKED_REPLY);
	KT_ASSERT(t, r->caller == c);
	/* Reply-receive: a thread of higher priority than the caller is ready. */
	run(r);
	r->ctx.r[0] = 4;
	r->ctx.r[1] = MSG_INFO(0, 0, 0);
	/* (queued, as every ready thread is at a system-call entry) */
	x->state = TS_RUNNABLE;
	sched_enqueue(cpu, x, false);
	cpu->resched = false;
	KT_ASSERT(t, ipc_fastpath_reply_recv(r, FAST_ALONE) == NULL);
	KT_EQ(t, c->state, TS_BLOCKED_REPLY);
	sched_unready(x);
	x->state = TS_INACTIVE;
	/* A long reply; a sender queued on the endpoint; no caller. */
	r->ctx.r[1] = MSG_INFO(0, 5, 0);
	KT_ASSERT(t, ipc_fastpath_reply_recv(r, FAST_ALONE) == NULL);
	r->ctx.r[1] = MSG_INFO(0, 0, 0);
	run(x);
	KT_EQ(t, thread_configure(x, cs, NULL, NULL, NULL), 0);
	KT_EQ(t, ipc_send(x, cslot(cs, 3), true, false), 0);
	KT_EQ(t, EP(ep)->state, EP_SEND);
	run(r);
	KT_ASSERT(t, ipc_fastpath_reply_recv(r, FAST_ALONE) == NULL);
	KT_EQ(t, c->state, TS_BLOCKED_REPLY);
	KT_ASSERT(t, EP(ep)->head == x);
	/* The general path again: reply, then take x's message. */
	KT_EQ(t, ipc_reply_recv(r, cslot(cs, 4)), 0);
	KT_EQ(t, c->state, TS_RUNNABLE);
	KT_EQ(t, r->state, TS_RUNNABLE);
	KT_EQ(t, x->state, TS_RUNNABLE);
	KT_ASSERT(t, r->caller == NULL);
	KT_ASSERT(t, ipc_fastpath_reply_recv(r, FAST_ALONE) == NULL);
}

/* Signal and wait: the fast paths hand the CPU over as sched_pick would. */
IPC_CASE(test_fastpath_signal_wait)
{
	struct thread *s = mk_thread("kt-signaller", 10), *w = mk_thread("kt-waiter", 20);
	struct slot *n = mk_ntfn(), *cs = mk_cspace();
	struct cpu *cpu = this_cpu();

	KT_ASSERT(t, s && w && n && cs);
	KT_EQ(t, thread_configure(s, cs, NULL, NULL, NULL), 0);
	KT_EQ(t, thread_configure(w, cs, NULL, NULL, NULL), 0);
	KT_ASSERT(t, mint_to(n, cslot(cs, 5), R_WRITE, 0x4));
	KT_ASSERT(t, mint_to(n, cslot(cs, 6), R_READ, 0));
	/* Nothing else ready: the wait declines (the general path idles). */
	run(w);
	w->ctx.r[0] = 6;
	KT_ASSERT(t, ntfn_fastpath_wait(w, FAST_ALONE) == NULL);
	KT_EQ(t, w->state, TS_RUNNABLE);
	KT_ASSERT(t, NT(n)->head == NULL);
	for (unsigned i = 0; i < 3; i++) {
		struct uctx *u;

		/* w waits; s, queued, runs. */
		s->state = TS_RUNNABLE;
		sched_enqueue(cpu, s, false);
		run(w);
		w->ctx.r[0] = 6;
		u = ntfn_fastpath_wait(w, FAST_ALONE);
		KT_ASSERT_MSG(t, u == &s->ctx, "wait %u: fast path not taken", i);
		KT_ASSERT(t, cpu->cur == s && !queued(s));
		KT_EQ(t, w->state, TS_BLOCKED_NTFN);
		KT_ASSERT(t, NT(n)->head == w && w->wait_obj == NT(n));
		KT_EQ(t, sched_highest_ready(), -1);
		/* s signals: w, higher, runs at once; s is preempted. */
		s->ctx.r[0] = 5;
		u = ntfn_fastpath_signal(s, FAST_ALONE);
		KT_ASSERT_MSG(t, u == &w->ctx, "signal %u: fast path not taken", i);
		KT_ASSERT(t, cpu->cur == w);
		KT_EQ(t, w->state, TS_RUNNABLE);
		KT_EQ(t, R0(w), 0);
		KT_EQ(t, w->ctx.r[1], MSG_INFO(0, 1, 0));
		KT_EQ(t, w->ctx.r[2], 0x4);
		KT_EQ(t, w->ctx.r[6], 0x4);
		KT_EQ(t, R0(s), 0);
		KT_ASSERT(t, NT(n)->head == NULL && NT(n)->word == 0 && w->wait_obj == NULL);
		KT_ASSERT(t, queued(s) && s->state == TS_RUNNABLE && s->slice > 0);
		KT_EQ(t, sched_highest_ready(), 10);
		KT_ASSERT(t, !cpu->resched);
		sched_unready(s);
	}
	/* Bits pending: the wait takes them without blocking. */
	run(s);
	NT(n)->word = 0x30;
	s->ctx.r[0] = 6;
	KT_ASSERT(t, ntfn_fastpath_wait(s, FAST_ALONE) == &s->ctx);
	KT_EQ(t, s->ctx.r[2], 0x30);
	KT_EQ(t, NT(n)->word, 0);
	KT_EQ(t, s->state, TS_RUNNABLE);
	/* Declines: wrong rights either way, a waiter not above the
	 * signaller, an endpoint. */
	s->ctx.r[0] = 5;
	KT_ASSERT(t, ntfn_fastpath_wait(s, FAST_ALONE) == NULL);
	s->ctx.r[0] = 6;
	KT_ASSERT(t, ntfn_fastpath_signal(s, FAST_ALONE) == NULL);
	run(w);
	KT_EQ(t, ipc_recv(w, cslot(cs, 6), true), 0);
	KT_EQ(t, w->state, TS_BLOCKED_NTFN);
	run(s);
	s->prio = 20;
	s->ctx.r[0] = 5;
	KT_ASSERT(t, ntfn_fastpath_signal(s, FAST_ALONE) == NULL);
	KT_EQ(t, w->state, TS_BLOCKED_NTFN);
	s->prio = 10;
	KT_ASSERT(t, ntfn_fastpath_signal(s, FAST_ALONE) == &w->ctx);
	KT_EQ(t, w->ctx.r[2], 0x4);
	sched_unready(s);
	s->state = TS_INACTIVE;
}

/* With the lock shared (several CPUs: kentry_syscall_smp) signal and
 * wait use a notification only from its home, which a fast path holding
 * the lock alone makes its CPU; a waiter of another CPU, or a reschedule
 * asked of this CPU, sends them to the lock held alone. */
IPC_CASE(test_fastpath_signal_wait_shared)
{
	struct thread *s = mk_thread("kt-sh-signaller", 10), *w = mk_thread("kt-sh-waiter", 20);
	struct slot *n = mk_ntfn(), *cs = mk_cspace();
	struct cpu *cpu = this_cpu();
	uint8_t other = (uint8_t)(cpu->index + 1);

	KT_ASSERT(t, s && w && n && cs);
	KT_EQ(t, thread_configure(s, cs, NULL, NULL, NULL), 0);
	KT_EQ(t, thread_configure(w, cs, NULL, NULL, NULL), 0);
	KT_ASSERT(t, mint_to(n, cslot(cs, 5), R_WRITE, 0x4));
	KT_ASSERT(t, mint_to(n, cslot(cs, 6), R_READ, 0));
	NT(n)->home = other;
	/* Bits pending, homed elsewhere: shared declines, alone takes them
	 * and makes this CPU the home. */
	run(s);
	NT(n)->word = 0x30;
	s->ctx.r[0] = 6;
	KT_ASSERT(t, ntfn_fastpath_wait(s, FAST_SHARED) == NULL);
	KT_EQ(t, NT(n)->word, 0x30);
	KT_ASSERT(t, ntfn_fastpath_wait(s, FAST_ALONE) == &s->ctx);
	KT_EQ(t, NT(n)->home, cpu->index);
	KT_EQ(t, s->ctx.r[2], 0x30);
	/* Homed here: shared takes them too; not with a reschedule asked. */
	NT(n)->word = 0x1;
	cpu->resched = true;
	s->ctx.r[0] = 6;
	KT_ASSERT(t, ntfn_fastpath_wait(s, FAST_SHARED) == NULL);
	KT_EQ(t, NT(n)->word, 0x1);
	cpu->resched = false;
	KT_ASSERT(t, ntfn_fastpath_wait(s, FAST_SHARED) == &s->ctx);
	KT_EQ(t, s->ctx.r[2], 0x1);
	KT_EQ(t, NT(n)->word, 0);
	/* w blocks (shared: s is ready, homed here), s signals (shared). */
	s->state = TS_RUNNABLE;
	sched_enqueue(cpu, s, false);
	run(w);
	w->ctx.r[0] = 6;
	NT(n)->home = other;
	KT_ASSERT(t, ntfn_fastpath_wait(w, FAST_SHARED) == NULL);
	KT_ASSERT(t, cpu->cur == w && NT(n)->head == NULL);
	NT(n)->home = cpu->index;
	KT_ASSERT(t, ntfn_fastpath_wait(w, FAST_SHARED) == &s->ctx);
	KT_EQ(t, w->state, TS_BLOCKED_NTFN);
	KT_ASSERT(t, cpu->cur == s && NT(n)->head == w);
	s->ctx.r[0] = 5;
	NT(n)->home = other;
	KT_ASSERT(t, ntfn_fastpath_signal(s, FAST_SHARED) == NULL);
	NT(n)->home = cpu->index;
	w->cpu = other;
	KT_ASSERT(t, ntfn_fastpath_signal(s, FAST_SHARED) == NULL);
	w->cpu = cpu->index;
	KT_EQ(t, w->state, TS_BLOCKED_NTFN);
	KT_ASSERT(t, ntfn_fastpath_signal(s, FAST_SHARED) == &w->ctx);
	KT_ASSERT(t, cpu->cur == w && queued(s));
	KT_EQ(t, w->ctx.r[2], 0x4);
	KT_ASSERT(t, NT(n)->head == NULL && NT(n)->word == 0);
	sched_unready(s);
	s->state = TS_INACTIVE;
}

IPC_CASE(test_fastpath_yield)
{
	struct thread *a = mk_thread("kt-yield-a", 30), *b = mk_thread("kt-yield-b", 30);
	struct thread *low = mk_thread("kt-yield-low", 5);
	struct cpu *cpu = this_cpu();

	KT_ASSERT(t, a && b && low);
	/* Only a lower thread ready: a yield declines (general path). */
	low->state = TS_RUNNABLE;
	sched_enqueue(cpu, low, false);
	run(a);
	KT_ASSERT(t, sched_fastpath_yield(a, FAST_ALONE) == NULL);
	KT_ASSERT(t, cpu->cur == a);
	/* b at the same level: it runs, a goes behind it with a new turn. */
	b->state = TS_RUNNABLE;
	sched_enqueue(cpu, b, false);
	KT_ASSERT(t, sched_fastpath_yield(a, FAST_ALONE) == &b->ctx);
	KT_ASSERT(t, cpu->cur == b && queued(a) && !queued(b));
	KT_EQ(t, a->slice, THREAD_TIMESLICE);
	KT_EQ(t, R0(a), 0);
	KT_ASSERT(t, sched_fastpath_yield(b, FAST_ALONE) == &a->ctx);
	KT_ASSERT(t, cpu->cur == a && queued(b) && !queued(a));
	/* Shared (several CPUs), the same; not with a reschedule asked. */
	cpu->resched = true;
	KT_ASSERT(t, sched_fastpath_yield(a, FAST_SHARED) == NULL);
	KT_ASSERT(t, cpu->cur == a);
	cpu->resched = false;
	KT_ASSERT(t, sched_fastpath_yield(a, FAST_SHARED) == &b->ctx);
	KT_ASSERT(t, cpu->cur == b && queued(a) && !queued(b));
	KT_ASSERT(t, sched_fastpath_yield(b, FAST_SHARED) == &a->ctx);
	sched_unready(b);
	sched_unready(low);
	b->state = low->state = TS_INACTIVE;
}

/* A thread made ready that should run next waits in cpu->next, off the
 * queues; a second one sends it to its queue first, in order. */
IPC_CASE(test_sched_next_held_and_flushed)
{
	struct thread *cur = mk_thread("kt-cur", 10), *h1 = mk_thread("kt-high1", 40);
	struct thread *h2 = mk_thread("kt-high2", 40), *low = mk_thread("kt-low", 5);
	struct cpu *cpu = this_cpu();

	KT_ASSERT(t, cur && h1 && h2 && low);
	run(cur);
	/* A lower thread: held, no pick needed; the exit queues it. */
	sched_ready(low);
	KT_ASSERT(t, cpu->next == low && !cpu->resched);
	KT_EQ(t, sched_highest_queued(), -1);
	sched_settle(cpu);
	KT_ASSERT(t, cpu->next == NULL && cpu->ready_head[5] == low);
	/* A higher one: held, and a pick is due. */
	sched_ready(h1);
	KT_ASSERT(t, cpu->next == h1 && cpu->ready_head[40] == NULL && cpu->resched);
	KT_EQ(t, sched_highest_ready(), 40);
	KT_EQ(t, sched_highest_queued(), 5);
	sched_ready(h1);                        /* again: no change */
	KT_ASSERT(t, cpu->next == h1 && cpu->ready_head[40] == NULL);
	/* A pick runs h1 directly; cur goes to its queue. */
	KT_ASSERT(t, sched_pick() == h1);
	KT_ASSERT(t, cpu->next == NULL && cpu->ready_head[10] == cur);
	/* Two made ready: the first queued, the second held; the pick
	 * takes them in that order. */
	run(cur);
	h1->state = TS_BLOCKED_RECV;
	sched_ready(h1);
	sched_ready(h2);
	KT_ASSERT(t, cpu->next == h2 && cpu->ready_head[40] == h1 && h1->qnext == NULL);
	KT_ASSERT(t, sched_pick() == h1);
	KT_ASSERT(t, cpu->next == NULL && cpu->ready_head[40] == h2);
	/* Made ready, then blocked again before any pick. */
	run(cur);
	sched_unready(h2);
	h2->state = TS_BLOCKED_RECV;
	sched_ready(h2);
	KT_ASSERT(t, cpu->next == h2);
	sched_unready(h2);
	h2->state = TS_BLOCKED_RECV;
	KT_ASSERT(t, cpu->next == NULL && !queued(h2));
	KT_ASSERT(t, sched_pick() == cur || cpu->cur == cur);
	sched_unready(low);
	cur->state = h1->state = h2->state = low->state = TS_INACTIVE;
}

/* ----------------------------------------------------------- last */

/* Every object and heap byte the suite used came back. */
static void test_everything_returned(struct ktest *t)
{
	KT_ASSERT_MSG(t, acct_made, "no case ran");
	for (unsigned i = 0; i < ARRAY_SIZE(counted_types); i++)
		KT_ASSERT_MSG(t, obj_count(counted_types[i]) == baseline[i],
			      "objects of type %u: %u, %u before the suite", counted_types[i],
			      (unsigned)obj_count(counted_types[i]), (unsigned)baseline[i]);
	for (const struct thread *th = thread_first(); th; th = th->all_next)
		KT_ASSERT_MSG(t, strncmp(th->name, "kt-", 3) != 0, "thread %s left", th->name);
	KT_EQ(t, acct.obj.refs, 1);
	KT_EQ(t, acct.q[POOL_KHEAP].used, 0);
	KT_EQ(t, quota_destroy(&acct.q[POOL_KHEAP]), 0);
	acct_made = false;
}

/* A thread that replaces its own address space asks for a reschedule, so
 * the exit activates the new space (sched_exit) and no system-call entry
 * starts with cpu->vs_dirty set: the IPC fast paths switch TTBR0 only
 * when the two threads' spaces differ, which is right only while TTBR0
 * holds the running thread's space. */
IPC_CASE(test_own_space_change_reschedules)
{
	struct thread *c = mk_thread("kt-self", 10), *o = mk_thread("kt-other", 10);
	struct cpu *cpu = this_cpu();
	bool dirty = cpu->vs_dirty;
	struct slot *vs = NULL;
	struct vspace *v;

	KT_ASSERT(t, c && o);
	/* Page tables come from the direct pool: a few pages of quota, kept
	 * with the suite's account like its heap quota. */
	if (!quota_live(&acct.q[POOL_DIRECT]))
		KT_EQ(t, quota_create_root(&acct.q[POOL_DIRECT], pool_get(POOL_DIRECT), 8,
					   "ktest-ipc-direct"), 0);
	if (vspace_create(&acct, &v) == 0)
		vs = install(CAP_VSPACE, &v->obj);
	KT_ASSERT(t, vs != NULL);
	run(c);
	cpu->vs_dirty = false;
	KT_EQ(t, thread_configure(o, NULL, vs, NULL, NULL), 0);
	KT_ASSERT_MSG(t, !cpu->resched && !cpu->vs_dirty, "another thread's space: nothing to do");
	KT_EQ(t, thread_configure(c, NULL, vs, NULL, NULL), 0);
	KT_ASSERT(t, cpu->vs_dirty);
	KT_ASSERT_MSG(t, cpu->resched, "own space replaced: the exit must pick (and activate)");
	cpu->vs_dirty = dirty;
}

static const struct ktest_case ipc_cases[] = {
	KT_CASE(test_send_wakes_waiting_receiver),
	KT_CASE(test_senders_block_in_fifo_order),
	KT_CASE(test_nonblocking_send_and_receive),
	KT_CASE(test_rights_and_message_errors),
	KT_CASE(test_call_and_reply),
	KT_CASE(test_queued_call_then_reply_recv),
	KT_CASE(test_long_message_and_truncation),
	KT_CASE(test_receive_cancels_unanswered_caller),
	KT_CASE(test_reply_without_caller),
	KT_CASE(test_saved_reply_capability),
	KT_CASE(test_capability_transfer),
	KT_CASE(test_capability_transfer_limits),
	KT_CASE(test_endpoint_destroy_cancels_waiters),
	KT_CASE(test_suspend_cancels_ipc),
	KT_CASE(test_notification_signal_wait_poll),
	KT_CASE(test_notification_wakeup_priority),
	KT_CASE(test_notification_destroy_cancels),
	KT_CASE(test_bound_notification),
	KT_CASE(test_irq_handler_claim),
	KT_CASE(test_irq_bind_fire_ack),
	KT_CASE(test_irq_unbound_on_release_and_ntfn_destroy),
	KT_CASE(test_fault_delivered_to_handler),
	KT_CASE(test_fault_queued_and_left_stopped),
	KT_CASE(test_fault_without_endpoint_stops),
	KT_CASE(test_fastpath_round_trip),
	KT_CASE(test_fastpath_declines),
	KT_CASE(test_fastpath_signal_wait),
	KT_CASE(test_fastpath_signal_wait_shared),
	KT_CASE(test_fastpath_yield),
	KT_CASE(test_sched_next_held_and_flushed),
	KT_CASE(test_own_space_change_reschedules),
	KT_CASE(test_everything_returned),
};
KTEST_SUITE(ipc_suite, "ipc", ipc_cases);
