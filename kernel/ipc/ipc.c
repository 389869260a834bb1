/*
 * IPC: endpoints, replies, notifications, fault messages. The fast paths
 * for call and reply-receive are in ipc/fastpath.h; docs/ipc.md has the
 * whole picture.
 *
 * An endpoint holds a FIFO of blocked senders or of blocked receivers
 * (never both). A message is an info word (label, length, capability
 * count), message registers MR0..MR3 in r2..r5 and MR4.. in the IPC buffer,
 * and the badge of the sender's capability, which the receiver gets in
 * r6. If either side has no IPC buffer a longer message is cut to the
 * four register words, and the received length says so. NBSEND with no
 * receiver waiting drops the message and returns 0 (as in seL4).
 *
 * A call delivers its message and blocks the caller until the receiver
 * answers: the receiver holds an implicit one-shot reply right
 * (thread->caller) that REPLY or REPLY_RECV uses, or that CAP_SAVE_REPLY
 * turns into a CAP_REPLY capability to answer later (SEND on it). A reply
 * carries no capabilities and its badge is 0; REPLY with no caller does
 * nothing and returns 0. Receiving on an endpoint again while a caller is
 * unanswered cancels that caller (E_CANCELLED), as does deleting its
 * reply capability; waiting on a notification keeps the reply right.
 *
 * Notifications are a word of bits: a send ORs the capability's badge in
 * (1 if it has none; the info word is ignored), a wait takes and clears
 * the word, blocking while it is zero; a poll returns E_AGAIN instead of
 * blocking. Interrupt lines signal them (irqobj.c), from interrupt context:
 * a signal only makes a waiter runnable, and asks for a reschedule when
 * the waiter outranks the running thread.
 *
 * A fault becomes a call on the thread's fault endpoint, built from the
 * fault record of the thread instead of its registers (which the handler
 * may want intact); a reply with label 0 resumes the thread where its pc
 * (possibly changed) says, any other label leaves it stopped (TS_FAULTED).
 */
#include <ipc/ipc.h>
#include <lib/log.h>
#include <lib/string.h>

/* ----------------------------------------------------------- objects */

static struct kcache cache_endpoint, cache_ntfn;
static void (*irq_unbind)(struct notification *n);

#if UINTPTR_MAX == 0xffffffffu
_Static_assert(sizeof(struct endpoint) <= 32, "endpoint: at most 32 bytes");
_Static_assert(sizeof(struct notification) <= 36, "notification: at most 36 bytes");
#endif

static bool endpoint_destroy(struct kobj *o, unsigned *work, unsigned budget);
static bool notification_destroy(struct kobj *o, unsigned *work, unsigned budget);
static void reply_cap_removed(struct slot *s);
static void reply_cap_moved(struct slot *s);
static void thread_detach(struct thread *t);

static const struct obj_type endpoint_type = {
	.name = "endpoint",
	.cache = &cache_endpoint,
	.size = sizeof(struct endpoint),
	.destroy = endpoint_destroy,
};
static const struct obj_type notification_type = {
	.name = "notification",
	.cache = &cache_ntfn,
	.size = sizeof(struct notification),
	.destroy = notification_destroy,
};
/* A reply capability names the caller weakly: the caller deletes it if it
 * dies first (thread_detach). */
static const struct obj_type reply_type = {
	.name = "reply",
	.weak = true,
	.cap_removed = reply_cap_removed,
	.cap_moved = reply_cap_moved,
};
static const struct thread_ipc_ops thread_ops = {
	.cancel = ipc_cancel,
	.detach = thread_detach,
};

void ipc_init(void)
{
	obj_type_register(CAP_ENDPOINT, &endpoint_type);
	obj_type_register(CAP_NOTIFICATION, &notification_type);
	obj_type_register(CAP_REPLY, &reply_type);
	thread_set_ipc_ops(&thread_ops);
	irq_unbind = NULL;
}

void notification_set_irq_unbind(void (*unbind)(struct notification *n))
{
	irq_unbind = unbind;
}

int endpoint_create(struct account *a, struct endpoint **out)
{
	return obj_alloc(&cache_endpoint, CAP_ENDPOINT, a, (void **)out);
}

int notification_create(struct account *a, struct notification **out)
{
	return obj_alloc(&cache_ntfn, CAP_NOTIFICATION, a, (void **)out);
}

/* Waiter queues (endpoint and notification share the layout). */
static void q_remove(struct thread **head, struct thread **tail, struct thread *t)
{
	if (t->qprev)
		t->qprev->qnext = t->qnext;
	else
		*head = t->qnext;
	if (t->qnext)
		t->qnext->qprev = t->qprev;
	else
		*tail = t->qprev;
	t->qnext = t->qprev = NULL;
}

static void ep_remove(struct endpoint *ep, struct thread *t)
{
	q_remove(&ep->head, &ep->tail, t);
	if (!ep->head)
		ep->state = EP_IDLE;
}

static void wake(struct thread *t, int status)
{
	t->ctx.r[0] = (uint32_t)status;
	sched_ready(t);
}

void ipc_cancel(struct thread *t, int err)
{
	switch (t->state) {
	case TS_BLOCKED_SEND:
	case TS_BLOCKED_RECV:
		if (t->wait_obj)
			ep_remove(t->wait_obj, t);
		break;
	case TS_BLOCKED_NTFN: {
		struct notification *n = t->wait_obj;

		if (n)
			q_remove(&n->head, &n->tail, t);
		break;
	}
	case TS_BLOCKED_REPLY:
		if (t->callee) {
			t->callee->caller = NULL;
			t->callee = NULL;
		}
		if (t->reply_cap) {
			struct slot *r = t->reply_cap;

			t->reply_cap = NULL;
			r->obj = NULL;          /* no caller to cancel any more */
			cap_delete(r);
		}
		break;
	default:
		return;
	}
	t->wait_obj = NULL;
	if (t->tflags & THREAD_F_FAULT) {
		/* A fault nobody will answer: the thread stays stopped. */
		t->tflags &= (uint8_t)~THREAD_F_FAULT;
		sched_unready(t);
		t->state = TS_FAULTED;
		return;
	}
	wake(t, err);
}

static bool endpoint_destroy(struct kobj *o, unsigned *work, unsigned budget)
{
	struct endpoint *ep = (struct endpoint *)o;

	(void)budget;
	(*work)++;
	while (ep->head)
		ipc_cancel(ep->head, E_CANCELLED);
	return true;
}

static bool notification_destroy(struct kobj *o, unsigned *work, unsigned budget)
{
	struct notification *n = (struct notification *)o;

	(void)budget;
	(*work)++;
	if (n->bound)
		thread_bind_ntfn(n->bound, NULL);
	while (n->head)
		ipc_cancel(n->head, E_CANCELLED);
	if (n->irqs_bound && irq_unbind)
		irq_unbind(n);
	return true;
}

/* A dying thread: whoever waits for its reply never gets one, its saved
 * reply right goes, and its notification is free again. */
static void thread_detach(struct thread *t)
{
	if (t->caller) {
		struct thread *c = t->caller;

		t->caller = NULL;
		ipc_cancel(c, E_CANCELLED);
	}
	if (t->reply_cap) {
		struct slot *r = t->reply_cap;

		t->reply_cap = NULL;
		cap_delete(r);
	}
	thread_bind_ntfn(t, NULL);
}

/* ----------------------------------------------------------- transfer */

/* Copy capabilities named in from's IPC buffer to to's receive slots. */
static unsigned transfer_caps(struct thread *from, struct thread *to, unsigned n)
{
	struct ipc_buffer *fb = from->ipcbuf, *tb = to->ipcbuf;
	struct cspace *fcs = thread_cspace(from), *tcs;
	unsigned done = 0;

	if (!tb)
		return 0;
	tb->recv_caps = 0;
	if (!fb || !fcs || !tb->recv_slot)
		return 0;
	if (tb->recv_cspace == CPTR_SELF || tb->recv_cspace == 0) {
		tcs = thread_cspace(to);
	} else {
		struct slot *c = thread_cspace(to) ? cspace_lookup(thread_cspace(to), tb->recv_cspace)
						   : NULL;

		if (!c || slot_type(c) != CAP_CSPACE || !(slot_rights(c) & R_WRITE))
			return 0;
		tcs = (struct cspace *)c->obj;
	}
	if (!tcs)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		uint32_t src_idx = fb->caps[i], dst_idx = tb->recv_slot + i;
		struct slot *src, *dst;

		if (src_idx == CPTR_NULL || src_idx >= fcs->limit)
			break;
		src = cspace_lookup(fcs, src_idx);
		if (!src || slot_empty(src) || dst_idx >= tcs->limit)
			break;
		/* (makes the slot's leaf if it has none: the copy needs it) */
		if (cspace_slot(tcs, dst_idx, &dst) || !slot_empty(dst) || cap_copy(src, dst))
			break;
		done++;
	}
	tb->recv_caps = done;
	return done;
}

/* Deliver from's message (or its fault record) to to's registers. */
static void transfer(struct thread *from, struct thread *to, uint32_t badge, bool grant)
{
	uint32_t info = from->ctx.r[1];
	unsigned len, ncaps = 0;

	if (from->tflags & THREAD_F_FAULT) {
		to->ctx.r[2] = from->fault_pc;
		to->ctx.r[3] = from->fault_addr;
		to->ctx.r[4] = from->fault_status;
		to->ctx.r[5] = from->fault_aux;
		len = 4;
		if (to->ipcbuf) {
			to->ipcbuf->mr[4] = from->ctx.cpsr;
			to->ipcbuf->mr[5] = from->ctx.sp;
			to->ipcbuf->recv_caps = 0;
			len = 6;
		}
		to->ctx.r[1] = MSG_INFO(FAULT_LABEL_BASE + from->fault_kind, len, 0);
		to->ctx.r[6] = badge;
		to->ctx.r[0] = 0;
		return;
	}
	len = MSG_LEN(info);
	if (len > MSG_REG_WORDS) {
		if (from->ipcbuf && to->ipcbuf) {
			/* At most 60 aligned words: a word loop beats memcpy's
			 * alignment checks for the lengths messages have. */
			const unsigned int *src = from->ipcbuf->mr;
			unsigned int *dst = to->ipcbuf->mr;

			for (unsigned i = MSG_REG_WORDS; i < len; i++)
				dst[i] = src[i];
		} else
			len = MSG_REG_WORDS;    /* no buffer to carry the rest */
	}
	if (MSG_CAPS(info) && grant)
		ncaps = transfer_caps(from, to, MSG_CAPS(info));
	else if (to->ipcbuf)
		to->ipcbuf->recv_caps = 0;
	to->ctx.r[1] = MSG_INFO(MSG_LABEL(info), len, ncaps);
	to->ctx.r[2] = from->ctx.r[2];
	to->ctx.r[3] = from->ctx.r[3];
	to->ctx.r[4] = from->ctx.r[4];
	to->ctx.r[5] = from->ctx.r[5];
	to->ctx.r[6] = badge;
	to->ctx.r[0] = 0;
}

static int check_info(uint32_t info)
{
	return MSG_LEN(info) > MSG_MAX_WORDS ? E_INVAL : 0;
}

/* ----------------------------------------------------------- send/recv */

/* Answer caller c with t's message; c resumes (or stays stopped after a
 * fault answered with a non-zero label). */
static void answer(struct thread *t, struct thread *c)
{
	c->callee = NULL;
	if (c->tflags & THREAD_F_FAULT) {
		c->tflags &= (uint8_t)~THREAD_F_FAULT;
		if (MSG_LABEL(t->ctx.r[1]) == 0) {
			c->fault_kind = FAULT_NONE;
			sched_ready(c);         /* at its pc, registers as they are */
		} else {
			c->state = TS_FAULTED;
		}
		return;
	}
	/* Capabilities travel in a reply when the caller's capability had
	 * R_GRANT (its receive slot still decides whether it takes them). */
	transfer(t, c, 0, c->ipc_grant);
	sched_ready(c);
}

static void drop_caller(struct thread *t)
{
	struct thread *c = t->caller;

	if (c) {
		t->caller = NULL;
		c->callee = NULL;
		ipc_cancel(c, E_CANCELLED);
	}
}

/* Send from t (its registers) on endpoint ep with the given badge. */
static int ep_send(struct thread *t, struct endpoint *ep, uint32_t badge, bool grant, bool block,
		   bool call)
{
	if (ep->state == EP_RECV) {
		struct thread *r = ep->head;

		ep_remove(ep, r);
		r->wait_obj = NULL;
		transfer(t, r, badge, grant);
		if (call) {
			drop_caller(r);
			t->ipc_grant = grant;   /* for the reply */
			r->caller = t;
			t->callee = r;
			t->state = TS_BLOCKED_REPLY;
			sched_unready(t);
		}
		sched_ready(r);
		return 0;
	}
	if (!block)
		return 0;       /* NBSEND with no receiver: the message is dropped */
	t->ipc_badge = badge;
	t->ipc_call = call;
	t->ipc_grant = grant;
	t->wait_obj = ep;
	t->state = TS_BLOCKED_SEND;
	sched_unready(t);
	thread_q_push(&ep->head, &ep->tail, t);
	ep->state = EP_SEND;
	return 0;
}

static int reply_through(struct thread *t, struct slot *s)
{
	struct thread *c = (struct thread *)s->obj;

	if (!(slot_rights(s) & R_WRITE))
		return E_PERM;
	if (c && c->state == TS_BLOCKED_REPLY && c->reply_cap == s) {
		c->reply_cap = NULL;
		answer(t, c);
	}
	s->obj = NULL;
	cap_delete(s);          /* one shot */
	return 0;
}

int ipc_send(struct thread *t, struct slot *s, bool block, bool call)
{
	unsigned rights = slot_rights(s);

	switch (slot_type(s)) {
	case CAP_ENDPOINT:
		if (!(rights & R_WRITE))
			return E_PERM;
		if (check_info(t->ctx.r[1]))
			return E_INVAL;
		if (MSG_CAPS(t->ctx.r[1]) && !(rights & R_GRANT))
			return E_PERM;
		return ep_send(t, (struct endpoint *)s->obj, s->a, rights & R_GRANT, block, call);
	case CAP_NOTIFICATION:
		/* A signal carries no message: the info word is not looked at. */
		if (call)
			return E_TYPE;
		if (!(rights & R_WRITE))
			return E_PERM;
		notification_signal((struct notification *)s->obj, s->a ? s->a : 1);
		return 0;
	case CAP_REPLY:
		if (call)
			return E_TYPE;
		if (check_info(t->ctx.r[1]))
			return E_INVAL;
		return reply_through(t, s);
	}
	return E_TYPE;
}

static int ntfn_wait(struct thread *t, struct notification *n, bool block)
{
	if (n->word) {
		t->ctx.r[1] = MSG_INFO(0, 1, 0);
		t->ctx.r[2] = n->word;
		t->ctx.r[6] = n->word;
		n->word = 0;
		return 0;
	}
	if (!block)
		return E_AGAIN;
	t->wait_obj = n;
	t->state = TS_BLOCKED_NTFN;
	sched_unready(t);
	thread_q_push(&n->head, &n->tail, t);
	return 0;
}

/* Deliver a notification's bits to t as the MSG_LABEL_NOTIFY message. */
static void ntfn_deliver(struct thread *t, uint32_t bits)
{
	t->ctx.r[1] = MSG_INFO(MSG_LABEL_NOTIFY, 1, 0);
	t->ctx.r[2] = bits;
	t->ctx.r[6] = bits;
}

int thread_bind_ntfn(struct thread *t, struct notification *n)
{
	if (n && ((n->bound && n->bound != t) || (t->bound && t->bound != n)))
		return E_BUSY;
	if (!n) {
		if (t->bound)
			t->bound->bound = NULL;
		t->bound = NULL;
		return 0;
	}
	t->bound = n;
	n->bound = t;
	return 0;
}

static int ep_recv(struct thread *t, struct endpoint *ep, bool block)
{
	drop_caller(t);
	if (t->bound && t->bound->word) {
		/* The bound notification first: interrupts are not starved. */
		ntfn_deliver(t, t->bound->word);
		t->bound->word = 0;
		return 0;
	}
	if (ep->state == EP_SEND) {
		struct thread *snd = ep->head;

		ep_remove(ep, snd);
		snd->wait_obj = NULL;
		transfer(snd, t, snd->ipc_badge, snd->ipc_grant);
		if (snd->ipc_call || (snd->tflags & THREAD_F_FAULT)) {
			t->caller = snd;
			snd->callee = t;
			snd->state = TS_BLOCKED_REPLY;
		} else {
			wake(snd, 0);
		}
		return 0;
	}
	if (!block)
		return E_AGAIN;
	t->wait_obj = ep;
	t->state = TS_BLOCKED_RECV;
	sched_unready(t);
	thread_q_push(&ep->head, &ep->tail, t);
	ep->state = EP_RECV;
	return 0;
}

int ipc_recv(struct thread *t, struct slot *s, bool block)
{
	if (!(slot_rights(s) & R_READ))
		return slot_type(s) == CAP_ENDPOINT || slot_type(s) == CAP_NOTIFICATION ? E_PERM
											  : E_TYPE;
	switch (slot_type(s)) {
	case CAP_ENDPOINT:
		return ep_recv(t, (struct endpoint *)s->obj, block);
	case CAP_NOTIFICATION:
		return ntfn_wait(t, (struct notification *)s->obj, block);
	}
	return E_TYPE;
}

int ipc_reply(struct thread *t)
{
	struct thread *c = t->caller;
	int err = check_info(t->ctx.r[1]);

	if (err)
		return err;
	if (!c)
		return 0;       /* nobody to answer: nothing happens */
	t->caller = NULL;
	answer(t, c);
	return 0;
}

int ipc_reply_recv(struct thread *t, struct slot *s)
{
	int err = check_info(t->ctx.r[1]);

	/* Check the receive side first: the call changes nothing on error. */
	if (err)
		return err;
	if (slot_type(s) != CAP_ENDPOINT && slot_type(s) != CAP_NOTIFICATION)
		return E_TYPE;
	if (!(slot_rights(s) & R_READ))
		return E_PERM;
	ipc_reply(t);
	return ipc_recv(t, s, true);
}

int ipc_save_reply(struct thread *t, struct slot *dst)
{
	struct thread *c = t->caller;
	int err;

	if (!c)
		return E_STATE;
	err = cap_install_root(dst, CAP_REPLY, R_WRITE, NULL, 0, 0);
	if (err)
		return err;
	dst->obj = &c->obj;     /* weak: the caller deletes it if it dies */
	c->reply_cap = dst;
	c->callee = NULL;
	t->caller = NULL;
	return 0;
}

/* A CAP_REPLY capability moved: its caller follows it. */
static void reply_cap_moved(struct slot *s)
{
	if (s->obj)
		((struct thread *)s->obj)->reply_cap = s;
}

/* A CAP_REPLY capability is being deleted: its caller gets E_CANCELLED. */
static void reply_cap_removed(struct slot *s)
{
	struct thread *c = (struct thread *)s->obj;

	if (!c || c->reply_cap != s)
		return;
	c->reply_cap = NULL;
	s->obj = NULL;
	if (c->state == TS_BLOCKED_REPLY)
		ipc_cancel(c, E_CANCELLED);
}

/* ----------------------------------------------------------- notifications */

void notification_signal(struct notification *n, uint32_t bits)
{
	struct thread *t = n->head;

	if (!t && n->bound && n->bound->state == TS_BLOCKED_RECV) {
		/* Its thread waits on an endpoint: end that wait. */
		t = n->bound;
		ep_remove(t->wait_obj, t);
		t->wait_obj = NULL;
		ntfn_deliver(t, n->word | bits);
		n->word = 0;
		wake(t, 0);
		return;
	}
	if (t) {
		q_remove(&n->head, &n->tail, t);
		t->wait_obj = NULL;
		t->ctx.r[1] = MSG_INFO(0, 1, 0);
		t->ctx.r[2] = n->word | bits;
		t->ctx.r[6] = n->word | bits;
		n->word = 0;
		wake(t, 0);
		return;
	}
	n->word |= bits;
}

/* ----------------------------------------------------------- faults */

void fault_deliver(struct thread *t, const struct ufault *f)
{
	struct slot *s = &t->tslot[TSLOT_FAULT];

	t->fault_kind = (uint8_t)f->kind;
	t->fault_addr = f->addr;
	t->fault_pc = f->pc;
	t->fault_status = f->kind == FAULT_UNDEF || f->kind == FAULT_SYSCALL ? 0 : f->status;
	t->fault_aux = f->kind == FAULT_UNDEF || f->kind == FAULT_SYSCALL ? f->status : 0;
	if (slot_type(s) == CAP_ENDPOINT && (slot_rights(s) & R_WRITE)) {
		t->tflags |= THREAD_F_FAULT;
		ep_send(t, (struct endpoint *)s->obj, s->a, false, true, true);
		return;
	}
	pr_warn("fault: thread %s: %s at pc 0x%08x; stopped (no fault endpoint)", t->name,
		f->what, (unsigned)f->pc);
	sched_unready(t);
	t->state = TS_FAULTED;
}


/* ----------------------------------------------------------- check */

struct ipc_walk {
	uint32_t *items;
	uint32_t threads;            /* threads alive: every queue is shorter */
	uint32_t on_ep, on_ntfn;     /* threads found on the queues */
	uint32_t irqs_bound;         /* IRQ lines the notifications count */
	const char *why;
};

/* A waiter queue: links both ways, the tail last, each thread waiting on
 * obj in `state`, no longer than the threads alive. */
static const char *check_queue(struct ipc_walk *w, const struct thread *head,
			       const struct thread *tail, const void *obj, unsigned state,
			       uint32_t *n)
{
	const struct thread *last = NULL;

	*n = 0;
	for (const struct thread *t = head; t; t = t->qnext) {
		(*w->items)++;
		if (++*n > w->threads)
			return "a waiter queue longer than every thread (a loop)";
		if (t->qprev != last)
			return "a waiter queue's back link is wrong";
		if (t->wait_obj != obj || t->state != state)
			return "a thread on a waiter queue waits on something else";
		if (t->tflags & THREAD_F_QUEUED)
			return "a waiting thread is also on a ready queue";
		last = t;
	}
	return tail != last ? "a waiter queue's tail is not its last thread" : NULL;
}

static int check_endpoint(void *obj, void *arg)
{
	const struct endpoint *ep = obj;
	struct ipc_walk *w = arg;
	uint32_t n;

	(*w->items)++;
	if (ep->state > EP_RECV || (ep->state == EP_IDLE) != (ep->head == NULL))
		w->why = "an endpoint's state differs from its queue";
	else
		w->why = check_queue(w, ep->head, ep->tail, ep,
				     ep->state == EP_SEND ? TS_BLOCKED_SEND : TS_BLOCKED_RECV, &n);
	if (w->why)
		return E_FORMAT;
	w->on_ep += ep->head ? n : 0;
	return 0;
}

static int check_notification(void *obj, void *arg)
{
	const struct notification *ntfn = obj;
	struct ipc_walk *w = arg;
	uint32_t n;

	(*w->items)++;
	w->why = check_queue(w, ntfn->head, ntfn->tail, ntfn, TS_BLOCKED_NTFN, &n);
	if (!w->why && ntfn->head && ntfn->word)
		w->why = "a notification keeps bits while threads wait on it";
	if (!w->why && ntfn->bound && ntfn->bound->bound != ntfn)
		w->why = "a notification is bound to a thread not bound to it";
	if (w->why)
		return E_FORMAT;
	w->on_ntfn += n;
	w->irqs_bound += ntfn->irqs_bound;
	return 0;
}

static const char *check_ipc_thread(const struct thread *t)
{
	if (t->caller && (t->caller->callee != t || t->caller->state != TS_BLOCKED_REPLY))
		return "a thread's caller does not wait for its reply";
	if (t->callee && t->callee->caller != t)
		return "a thread waits for a reply from one that does not hold its call";
	if (t->reply_cap && (slot_type(t->reply_cap) != CAP_REPLY ||
			     t->reply_cap->obj != &t->obj))
		return "a thread's saved reply capability does not name it";
	if ((t->callee || t->reply_cap) && t->state != TS_BLOCKED_REPLY)
		return "a thread with a reply pending is not waiting for it";
	if (t->callee && t->reply_cap)
		return "a thread's reply is both held and saved";
	if (t->bound && t->bound->bound != t)
		return "a thread is bound to a notification bound elsewhere";
	if (t->bound && t->bound->word && t->state == TS_BLOCKED_RECV)
		return "a thread waits on an endpoint while its notification has bits";
	return NULL;
}

int ipc_check(uint32_t *items, uint32_t *irqs_bound, const char **why)
{
	struct ipc_walk w = { items, obj_count(CAP_THREAD), 0, 0, 0, NULL };
	uint32_t ep_waiters = 0, ntfn_waiters = 0;
	int err;

	for (const struct thread *t = thread_first(); t && !w.why; t = t->all_next) {
		(*items)++;
		w.why = check_ipc_thread(t);
		ep_waiters += t->state == TS_BLOCKED_SEND || t->state == TS_BLOCKED_RECV;
		ntfn_waiters += t->state == TS_BLOCKED_NTFN;
	}
	err = w.why ? E_FORMAT : kcache_each(&cache_endpoint, check_endpoint, &w);
	if (!err)
		err = kcache_each(&cache_ntfn, check_notification, &w);
	/* Every blocked thread is on the queue of what it waits on (a
	 * thread blocked elsewhere would never be woken). */
	if (!err && (w.on_ep != ep_waiters || w.on_ntfn != ntfn_waiters)) {
		w.why = "threads blocked in IPC differ from those on the queues";
		err = E_FORMAT;
	}
	*irqs_bound = w.irqs_bound;
	if (err)
		*why = w.why ? w.why : "(no reason)";
	return err ? E_FORMAT : 0;
}
