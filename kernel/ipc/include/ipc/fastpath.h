/*
 * The fast paths, inlined into the system-call entry (kernel/syscall/syscall.c)
 * so that a call that qualifies costs one function frame. (From user mode,
 * call and reply-receive are taken by the svc vector's own copy of the
 * first two, in assembly: arch/arm/vectors.S, the same decisions; these
 * serve kentry_syscall's other callers and the in-kernel tests.)
 *   - call and reply-receive: a short message (at most MSG_REG_WORDS
 *     words, no capabilities) on an endpoint capability with the right, a
 *     partner already waiting, and priorities that make the partner the
 *     next thread to run anyway;
 *   - signal: a notification capability with the right and a waiter of
 *     higher priority than the signaller, which runs at once (the
 *     signaller is preempted: tail of its ready level, as sched_pick does);
 *   - wait: a notification capability with the right; bits pending are
 *     taken at once, else the waiter blocks and the head of the highest
 *     ready level runs (none ready: the general path, which idles);
 *   - yield: another thread ready at the caller's level runs, the caller
 *     goes to the tail of that level with a new turn.
 * No scheduling decision can be pending at a system-call entry (every
 * other kernel exit takes it in sched_exit, and the fast paths only ever
 * switch to the thread sched_pick would choose), so the running thread is
 * at least as high as every ready one. Everything else returns NULL and
 * takes the general path (ipc.c, sched.c), which has the same semantics;
 * docs/performance.md lists what each fast path checks and why nothing
 * else needs checking.
 */
#ifndef CAIRN_FASTPATH_H
#define CAIRN_FASTPATH_H

#include <hal/uarch.h>
#include <ipc/ipc.h>

/*
 * Several CPUs: call and reply-receive between two threads of the CPU
 * they run on also run with the kernel lock shared (the svc vector:
 * arch/arm/vectors.S, smp_share, makes these decisions), beside
 * the same paths on other CPUs (FAST_SHARED), and so do signal, wait and
 * yield (kentry_syscall_smp, with kernel_lock_share); everything else
 * holds it alone (FAST_ALONE, also one CPU's mode).
 * A shared section only reads what changes under the lock held alone
 * (slots, CSpaces, priorities, thread CPUs, another CPU's queues and
 * flags, the ASID generation), and writes only what no other sharer can
 * reach at that time:
 *   - its own CPU's struct cpu, ready queues and TTBR0 (and its current
 *     thread);
 *   - an endpoint or a notification whose home is its CPU: shared
 *     sections use one only from its home, and the home changes only
 *     under the lock held alone (any fast path alone makes its CPU the
 *     object's home), so at most one sharer uses it at a time;
 *   - the partner thread: a receiver waiting on that endpoint, the
 *     caller waiting for this thread's reply, or a waiter on that
 *     notification, all of this CPU.
 * It declines (and the path holding the lock alone runs instead) when it
 * would need more: an object of another home, a partner of another
 * CPU, a space without an ASID of this generation (the allocator), a
 * reschedule asked for by another CPU, a thread stopped by another CPU.
 * (No shared section sets a notification's bits: a signal with no waiter
 * takes the lock alone. So a shared reply-receive on another CPU that
 * reads its bound notification's word to be 0 reads what it is.)
 */
enum fast_mode { FAST_ALONE, FAST_SHARED };

/* An endpoint's or a notification's home (its `home` byte): shared,
 * the test; alone, this CPU made the home. */
static inline __attribute__((always_inline)) bool fast_home(const struct cpu *c, uint8_t *home,
							    enum fast_mode mode)
{
	if (mode == FAST_SHARED)
		return *home == c->index;
	*home = c->index;
	return true;
}

/* The switch to `to` needs no ASID allocation (only then may a shared
 * section make it). */
static inline __attribute__((always_inline)) bool fast_space_ok(const struct thread *from,
								const struct thread *to,
								enum fast_mode mode)
{
	const struct vspace *b = thread_vspace(to);

	return mode == FAST_ALONE || thread_vspace(from) == b || uarch_vs_quick(&b->arch);
}

/* The bits of a message info word that are neither label, capability
 * count nor length: the general path delivers them as 0 (MSG_INFO), and
 * so do the fast paths. */
#define MSG_INFO_UNUSED 0xe00u
_Static_assert(MSG_INFO(0xfffffu, 0x7fu, 3u) == ~MSG_INFO_UNUSED, "info word layout");

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

/* TTBR0 holds from's space: no entry starts with cpu->vs_dirty set (a
 * thread that replaces its own space asks for the reschedule that
 * activates it, thread_configure). */
static inline void switch_to(struct cpu *c, struct thread *from, struct thread *to)
{
	struct vspace *a = thread_vspace(from), *b = thread_vspace(to);

	c->cur = to;
	if (a != b)
		uarch_vs_activate(&b->arch);
}

/* What sched_pick does when `next` (off every queue) replaces `t`, which
 * stays runnable (preempted or yielding): t to the tail of its level. */
/* t, this CPU's current thread, back to this CPU's queue and next run.
 * Only when no reschedule is asked of this CPU (fast_decided): with
 * several CPUs another one may have asked for one meanwhile -- t moved to
 * another CPU (SYS_THREAD_SET_CPU: queued here it would be on a queue not
 * its CPU's), or a thread readied here above it -- and the general path
 * takes that decision. */
static inline __attribute__((always_inline)) bool fast_decided(const struct cpu *c)
{
	return !c->resched;
}

/* A shared section declines when another CPU asked this one for a
 * reschedule (it stopped this CPU's thread, readied one here, or wants
 * this CPU's next exit to see that the others idle); alone, the wait's
 * switch is sched_pick's and needs no such test. */
static inline __attribute__((always_inline)) bool fast_shared_ok(const struct cpu *c,
								 enum fast_mode mode)
{
	return mode == FAST_ALONE || !c->resched;
}

static inline __attribute__((always_inline)) void fast_preempt(struct cpu *c, struct thread *t,
							       struct thread *next)
{
	if (!t->slice)
		t->slice = THREAD_TIMESLICE;
	sched_enqueue(c, t, false);
	if (!next->slice)
		next->slice = THREAD_TIMESLICE;
	c->switches++;
	switch_to(c, t, next);
}

static inline __attribute__((always_inline)) struct uctx *ipc_fastpath_call(struct thread *t,
									   enum fast_mode mode)
{
	struct cpu *c = this_cpu();
	uint32_t info = t->ctx.r[1] & ~MSG_INFO_UNUSED;
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
	if (ep->state != EP_RECV || r->prio < t->prio || r->cpu != c->index)
		return NULL;            /* (a receiver of another CPU runs there) */
	if (!fast_space_ok(t, r, mode) || !fast_home(c, &ep->home, mode))
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
	/* Whether the reply may carry capabilities: the caller's R_GRANT
	 * (ep_send's ipc_grant, which the general reply path reads). */
	t->ipc_grant = (s->info >> (8 + 3)) & 1u;
	_Static_assert(R_GRANT == 1u << 3, "R_GRANT is bit 3 of the rights");
	r->caller = t;
	r->state = TS_RUNNABLE;
	t->callee = r;
	t->state = TS_BLOCKED_REPLY;
	switch_to(c, t, r);
	return &r->ctx;
}

static inline __attribute__((always_inline)) struct uctx *
ipc_fastpath_reply_recv(struct thread *t, enum fast_mode mode)
{
	struct cpu *c = this_cpu();
	uint32_t info = t->ctx.r[1] & ~MSG_INFO_UNUSED;
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
	if (ep->state == EP_SEND || (int)caller->prio < sched_highest_queued() ||
	    caller->cpu != c->index || !fast_space_ok(t, caller, mode) ||
	    !fast_home(c, &ep->home, mode))
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

static inline __attribute__((always_inline)) struct uctx *ntfn_fastpath_signal(struct thread *t,
										enum fast_mode mode)
{
	struct cpu *c = this_cpu();
	struct notification *n;
	struct thread *w;
	struct slot *s;
	uint32_t bits;

	s = fast_lookup(t, t->ctx.r[0]);
	if (!s || (s->info & (0xff | (R_WRITE << 8))) != (CAP_NOTIFICATION | (R_WRITE << 8)))
		return NULL;
	n = (struct notification *)s->obj;
	w = n->head;
	if (!w || w->prio <= t->prio || w->cpu != c->index || !fast_decided(c) ||
	    !fast_space_ok(t, w, mode) || !fast_home(c, &n->home, mode))
		return NULL;
	/* The first waiter takes every bit (notification_signal). */
	n->head = w->qnext;
	if (n->head)
		n->head->qprev = NULL;
	else
		n->tail = NULL;
	w->qnext = NULL;
	w->wait_obj = NULL;
	bits = n->word | (s->a ? s->a : 1);
	n->word = 0;
	w->ctx.r[0] = 0;
	w->ctx.r[1] = MSG_INFO(0, 1, 0);
	w->ctx.r[2] = bits;
	w->ctx.r[6] = bits;
	w->state = TS_RUNNABLE;
	t->ctx.r[0] = 0;
	fast_preempt(c, t, w);
	return &w->ctx;
}

static inline __attribute__((always_inline)) struct uctx *ntfn_fastpath_wait(struct thread *t,
									      enum fast_mode mode)
{
	struct cpu *c = this_cpu();
	struct notification *n;
	struct thread *next;
	struct slot *s;
	unsigned g, p;

	s = fast_lookup(t, t->ctx.r[0]);
	if (!s || (s->info & (0xff | (R_READ << 8))) != (CAP_NOTIFICATION | (R_READ << 8)))
		return NULL;
	n = (struct notification *)s->obj;
	if (!fast_shared_ok(c, mode) || !fast_home(c, &n->home, mode))
		return NULL;
	if (n->word) {
		t->ctx.r[0] = 0;
		t->ctx.r[1] = MSG_INFO(0, 1, 0);
		t->ctx.r[2] = n->word;
		t->ctx.r[6] = n->word;
		n->word = 0;
		return &t->ctx;
	}
	if (!c->ready_top)
		return NULL;    /* nothing else to run: the general path idles */
	g = 31u - (unsigned)__builtin_clz(c->ready_top);
	p = (g << 5) | (31u - (unsigned)__builtin_clz(c->ready_bits[g]));
	next = c->ready_head[p];
	if (!fast_space_ok(t, next, mode))
		return NULL;
	/* Block on the notification (ntfn_wait) ... */
	t->wait_obj = n;
	t->state = TS_BLOCKED_NTFN;
	thread_q_push(&n->head, &n->tail, t);
	/* ... and run the head of the highest ready level (sched_pick). */
	sched_dequeue_head(c, next);
	if (!next->slice)
		next->slice = THREAD_TIMESLICE;
	c->switches++;
	switch_to(c, t, next);
	return &next->ctx;
}

static inline __attribute__((always_inline)) struct uctx *sched_fastpath_yield(struct thread *t,
										enum fast_mode mode)
{
	struct cpu *c = this_cpu();
	struct thread *next = c->ready_head[t->prio];

	if (!next || !fast_decided(c) || !fast_space_ok(t, next, mode))
		return NULL;    /* alone at its level, or a decision pending: the general path */
	t->ctx.r[0] = 0;
	t->slice = 0;   /* a yield ends the turn (sched_yield); fast_preempt gives a new one */
	sched_dequeue_head(c, next);
	fast_preempt(c, t, next);
	return &next->ctx;
}

#endif
