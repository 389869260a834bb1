/*
 * The IPC fast paths, inlined into the system-call entry (kernel/syscall/syscall.c)
 * so that a call or reply-receive that qualifies costs one function
 * frame: a short message (at most MSG_REG_WORDS words, no capabilities)
 * on an endpoint capability with the right, a partner already waiting, and
 * priorities that make the partner the next thread to run anyway (no
 * scheduling decision can be pending at a system-call entry: every other
 * kernel exit takes it in sched_exit). Everything else returns NULL and takes the
 * general path in ipc.c, which has the same semantics.
 */
#ifndef CAIRN_FASTPATH_H
#define CAIRN_FASTPATH_H

#include <ipc/ipc.h>

static inline __attribute__((always_inline)) struct slot *fast_lookup(struct thread *t,
								      uint32_t idx)
{
	/* The current thread runs, so it has a CSpace (losing it stops a
	 * thread; resuming one needs it). */
	struct cspace *cs = thread_cspace(t);
	struct cnode_mid *m;
	struct cnode_leaf *l;

	if (idx - 1 >= cs->limit - 1)
		return NULL;
	if (idx < CNODE_SLOTS)
		l = cs->leaf0;
	else {
		m = cs->mid[idx >> (2 * CNODE_BITS)];
		if (!m)
			return NULL;
		l = m->leaf[(idx >> CNODE_BITS) & (CNODE_SLOTS - 1)];
	}
	return l ? &l->slot[idx & (CNODE_SLOTS - 1)] : NULL;
}

static inline void switch_to(struct cpu *c, struct thread *from, struct thread *to)
{
	struct vspace *a = thread_vspace(from), *b = thread_vspace(to);

	c->cur = to;
	if (a != b)
		uarch_vs_activate(&b->arch);
}

static inline __attribute__((always_inline)) struct uctx *ipc_fastpath_call(struct thread *t)
{
	struct cpu *c = this_cpu();
	uint32_t info = t->ctx.r[1];
	struct endpoint *ep;
	struct thread *r;
	struct slot *s;

	/* No scheduling decision can be pending here: every kernel exit but
	 * the fast paths goes through sched_exit, which takes it. */
	if ((info & 0x1ff) > MSG_REG_WORDS)                     /* caps or long */
		return NULL;
	s = fast_lookup(t, t->ctx.r[0]);
	if (!s || (s->info & (0xff | (R_WRITE << 8))) != (CAP_ENDPOINT | (R_WRITE << 8)))
		return NULL;
	ep = (struct endpoint *)s->obj;
	r = ep->head;
	/* A queued receiver has no caller (receiving drops it) and has an
	 * address space (losing it takes a thread off every queue). */
	if (ep->state != EP_RECV || r->prio < t->prio)
		return NULL;
	/* Dequeue the receiver. */
	ep->head = r->qnext;
	if (ep->head)
		ep->head->qprev = NULL;
	else {
		ep->tail = NULL;
		ep->state = EP_IDLE;
	}
	r->qnext = NULL;
	r->wait_obj = NULL;
	/* The message. */
	r->ctx.r[0] = 0;
	r->ctx.r[1] = info;
	__builtin_memcpy(&r->ctx.r[2], &t->ctx.r[2], 4 * sizeof(uint32_t));   /* MR0..MR3 */
	r->ctx.r[6] = s->a;
	r->caller = t;
	r->state = TS_RUNNABLE;
	t->callee = r;
	t->state = TS_BLOCKED_REPLY;
	switch_to(c, t, r);
	return &r->ctx;
}

static inline __attribute__((always_inline)) struct uctx *
ipc_fastpath_reply_recv(struct thread *t)
{
	struct cpu *c = this_cpu();
	uint32_t info = t->ctx.r[1];
	struct thread *caller = t->caller;
	struct endpoint *ep;
	struct slot *s;

	/* (a bound notification with bits pending must be delivered first:
	 * the general path does that) */
	if ((info & 0x1ff) > MSG_REG_WORDS || !caller || (caller->tflags & THREAD_F_FAULT) ||
	    (t->bound && t->bound->word))
		return NULL;
	s = fast_lookup(t, t->ctx.r[0]);
	if (!s || (s->info & (0xff | (R_READ << 8))) != (CAP_ENDPOINT | (R_READ << 8)))
		return NULL;
	ep = (struct endpoint *)s->obj;
	if (ep->state == EP_SEND || (int)caller->prio < sched_highest_ready())
		return NULL;
	/* The reply. */
	caller->ctx.r[0] = 0;
	caller->ctx.r[1] = info;
	__builtin_memcpy(&caller->ctx.r[2], &t->ctx.r[2], 4 * sizeof(uint32_t));
	caller->ctx.r[6] = 0;
	caller->callee = NULL;
	caller->state = TS_RUNNABLE;
	t->caller = NULL;
	/* Wait on the endpoint. */
	thread_q_push(&ep->head, &ep->tail, t);
	ep->state = EP_RECV;
	t->wait_obj = ep;
	t->state = TS_BLOCKED_RECV;
	switch_to(c, t, caller);
	return &caller->ctx;
}

#endif
