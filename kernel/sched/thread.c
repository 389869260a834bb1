/*
 * Threads: creation, configuration through internal capability slots,
 * suspend/resume, priorities, destruction.
 *
 * A thread holds what it runs on -- CSpace, address space, IPC buffer
 * memory, fault endpoint -- as capabilities in four internal slots, each a
 * child of the capability given to THREAD_CONFIGURE. So revocation reaches
 * them like any other capability: revoking the address space's capability
 * takes the thread's copy away and the thread stops (it can no longer
 * run); revoking the IPC buffer's memory leaves it without a buffer.
 */
#include <hal/mm_arch.h>
#include <hal/uarch.h>
#include <lib/log.h>
#include <lib/string.h>
#include <mm/pmem.h>
#include <sched/thread.h>

static struct kcache cache_thread;
static struct thread *all_threads;
static bool configuring;
static const struct thread_ipc_ops *ipc_ops;

#if UINTPTR_MAX == 0xffffffffu
_Static_assert(sizeof(struct thread) <= 384, "thread: at most 384 bytes");
#endif

static bool thread_destroy(struct kobj *o, unsigned *work, unsigned budget);

static const struct obj_type thread_type = {
	.name = "thread",
	.cache = &cache_thread,
	.size = sizeof(struct thread),
	.align = 8,
	.destroy = thread_destroy,
};

static void slot_lost(struct slot *slots, unsigned which);

void thread_init(void)
{
	obj_type_register(CAP_THREAD, &thread_type);
	cap_set_internal_hook(slot_lost);
	all_threads = NULL;
	ipc_ops = NULL;
}

void thread_set_ipc_ops(const struct thread_ipc_ops *ops)
{
	ipc_ops = ops;
}

struct thread *thread_first(void)
{
	return all_threads;
}

int thread_create(struct account *a, struct thread **out)
{
	struct thread *t;
	int err;

	err = obj_alloc(&cache_thread, CAP_THREAD, a, (void **)&t);
	if (err)
		return err;
	t->state = TS_INACTIVE;
	t->cpu = sched_boot_cpu;
	/* User mode from the start: resumed before THREAD_SET_REGS, a thread
	 * runs at pc 0 in user mode (and faults there), never with the
	 * zeroed object's cpsr, whose mode field is no user mode. */
	uarch_ctx_init(&t->ctx, 0, 0, 0);
	strlcpy(t->name, "thread", sizeof(t->name));
	t->all_next = all_threads;
	if (all_threads)
		all_threads->all_prev = t;
	all_threads = t;
	*out = t;
	return 0;
}

void thread_set_name(struct thread *t, const char *name)
{
	strlcpy(t->name, name, sizeof(t->name));
}

static int install_internal(struct thread *t, unsigned which, struct slot *src, unsigned rights)
{
	struct slot *dst = &t->tslot[which];
	int err;

	err = cap_install_child(dst, src, slot_type(src), rights & slot_rights(src), src->obj,
				src->a, src->b);
	if (err)
		return err;
	dst->info |= SLOT_F_INTERNAL << 12;
	dst->map_va = which;
	return 0;
}

int thread_configure(struct thread *t, struct slot *cs, struct slot *vs, struct slot *ipcbuf,
		     struct slot *fault_ep)
{
	struct ipc_buffer *kbuf = NULL;
	uintptr_t ubuf = 0;
	int err = 0;

	/* Validate everything first. */
	if (cs && slot_type(cs) != CAP_CSPACE)
		return E_TYPE;
	if (vs && slot_type(vs) != CAP_VSPACE)
		return E_TYPE;
	if (fault_ep && slot_type(fault_ep) != CAP_ENDPOINT)
		return E_TYPE;
	if (fault_ep && !(slot_rights(fault_ep) & R_WRITE))
		return E_PERM;
	if (ipcbuf) {
		if (slot_type(ipcbuf) != CAP_MEM)
			return E_TYPE;
		if ((slot_rights(ipcbuf) & (R_READ | R_WRITE)) != (R_READ | R_WRITE))
			return E_PERM;
		if (!(slot_flags(ipcbuf) & SLOT_F_MAPPED))
			return E_STATE;         /* map it first: its va is the buffer's */
		kbuf = mm_arch_direct_va(slot_pa(ipcbuf), sizeof(struct ipc_buffer));
		if (!kbuf)
			return E_INVAL;         /* not in the direct pool */
		ubuf = ipcbuf->map_va & ~0xfffu;
	}
	/* Replace; the old copies go without stopping the thread. */
	configuring = true;
	if (cs) {
		if (!slot_empty(&t->tslot[TSLOT_CSPACE]))
			cap_delete(&t->tslot[TSLOT_CSPACE]);
		err = install_internal(t, TSLOT_CSPACE, cs, R_ALL);
	}
	if (!err && vs) {
		/* Its new space takes effect at the kernel exit of the CPU
		 * it runs on: sched_exit switches TTBR0, so that no entry
		 * ever starts with vs_dirty set (the IPC fast paths rely on
		 * TTBR0 holding the running thread's space). On another CPU
		 * it is stopped first, before the old space's capability
		 * goes: the space may go with it, and that CPU runs in it
		 * until stopped (its TTBR0 is then left by space_unload). */
		struct cpu *rc = sched_running_cpu(t);

		if (rc) {
			sched_stall(t);
			rc->vs_dirty = true;
			rc->resched = true;
		}
		if (!slot_empty(&t->tslot[TSLOT_VSPACE]))
			cap_delete(&t->tslot[TSLOT_VSPACE]);
		err = install_internal(t, TSLOT_VSPACE, vs, R_ALL);
	}
	if (!err && ipcbuf) {
		if (!slot_empty(&t->tslot[TSLOT_IPCBUF]))
			cap_delete(&t->tslot[TSLOT_IPCBUF]);
		err = install_internal(t, TSLOT_IPCBUF, ipcbuf, R_READ | R_WRITE);
		if (!err) {
			t->ipcbuf = kbuf;
			t->ipcbuf_va = ubuf;
		}
	}
	if (!err) {
		if (!slot_empty(&t->tslot[TSLOT_FAULT]))
			cap_delete(&t->tslot[TSLOT_FAULT]);
		if (fault_ep)
			err = install_internal(t, TSLOT_FAULT, fault_ep, R_WRITE | R_GRANT);
	}
	configuring = false;
	/* Installing a child can fail only on the depth limit, checked
	 * per slot: what was installed stays, which is a valid state; a
	 * thread whose old space or CSpace went and whose new one did not
	 * come stops, as when one is revoked (slot_lost). */
	if (err && (slot_empty(&t->tslot[TSLOT_VSPACE]) || slot_empty(&t->tslot[TSLOT_CSPACE])) &&
	    t->state != TS_INACTIVE && t->state != TS_FAULTED)
		thread_suspend(t);
	return err;
}

/* An internal slot was deleted (the address space or CSpace went away):
 * the thread is stopped if it can no longer run. */
static void slot_lost(struct slot *slots, unsigned which)
{
	struct thread *t = (struct thread *)((uintptr_t)slots - offsetof(struct thread, tslot));

	if (configuring || (t->obj.flags & KOBJ_DYING))
		return;
	switch (which) {
	case TSLOT_IPCBUF:
		t->ipcbuf = NULL;
		t->ipcbuf_va = 0;
		break;
	case TSLOT_CSPACE:
	case TSLOT_VSPACE:
		if (t->state != TS_INACTIVE && t->state != TS_FAULTED) {
			pr_warn("thread %s: its %s was revoked; stopped", t->name,
				which == TSLOT_CSPACE ? "CSpace" : "address space");
			thread_suspend(t);
		}
		if (which == TSLOT_VSPACE) {
			struct cpu *rc = sched_running_cpu(t);

			if (rc)
				rc->vs_dirty = true;
		}
		break;
	}
}

int thread_resume(struct thread *t)
{
	if (t->state != TS_INACTIVE && t->state != TS_FAULTED)
		return 0;                       /* already running or blocked */
	if (slot_empty(&t->tslot[TSLOT_VSPACE]) || slot_empty(&t->tslot[TSLOT_CSPACE]))
		return E_STATE;
	t->fault_kind = FAULT_NONE;
	sched_ready(t);
	return 0;
}

int thread_suspend(struct thread *t)
{
	switch (t->state) {
	case TS_INACTIVE:
		return 0;
	case TS_RUNNABLE:
		sched_stall(t);         /* running on another CPU: stopped there first */
		break;
	case TS_BLOCKED_SEND:
	case TS_BLOCKED_RECV:
	case TS_BLOCKED_REPLY:
	case TS_BLOCKED_NTFN:
		if (ipc_ops)
			ipc_ops->cancel(t, E_CANCELLED);
		break;
	}
	sched_unready(t);
	t->state = TS_INACTIVE;
	return 0;
}

int thread_set_prio(struct thread *t, unsigned prio, unsigned mcp)
{
	if (prio > PRIO_MAX || mcp > PRIO_MAX)
		return E_RANGE;
	t->mcp = (uint8_t)mcp;
	if (prio != t->prio)
		sched_set_prio(t, prio);
	return 0;
}

/* Called by the reaper: stop t, end its IPC, drop its internal slots. */
static bool thread_destroy(struct kobj *o, unsigned *work, unsigned budget)
{
	struct thread *t = (struct thread *)o;

	(void)budget;
	(*work)++;
	thread_suspend(t);
	if (ipc_ops)
		ipc_ops->detach(t);
	t->obj.flags |= KOBJ_DYING;
	if (t->revoke_cs) {
		obj_put(&t->revoke_cs->obj);       /* a revoke it never re-entered */
		t->revoke_cs = NULL;
	}
	for (unsigned i = 0; i < TSLOT_COUNT; i++)
		if (!slot_empty(&t->tslot[i]))
			cap_delete(&t->tslot[i]);
	if (t->all_prev)
		t->all_prev->all_next = t->all_next;
	else
		all_threads = t->all_next;
	if (t->all_next)
		t->all_next->all_prev = t->all_prev;
	{
		/* The current thread of a CPU (this one, or another that
		 * thread_suspend stalled): that CPU runs something else next
		 * and never touches t again. */
		struct cpu *rc = sched_running_cpu(t);

		if (rc) {
			rc->cur = NULL;
			rc->resched = true;
			rc->vs_dirty = true;
		}
	}
	return true;
}

int thread_each_internal(cap_visit_fn visit, void *arg)
{
	for (struct thread *t = all_threads; t; t = t->all_next) {
		for (unsigned i = 0; i < TSLOT_COUNT; i++) {
			int err = visit(&t->tslot[i], arg);

			if (err)
				return err;
		}
	}
	return 0;
}

/* ----------------------------------------------------------- check */

static const char *check_thread(const struct thread *t)
{
	static const uint8_t role[TSLOT_COUNT] = {
		[TSLOT_CSPACE] = CAP_CSPACE,
		[TSLOT_VSPACE] = CAP_VSPACE,
		[TSLOT_IPCBUF] = CAP_MEM,
		[TSLOT_FAULT] = CAP_ENDPOINT,
	};
	bool queued = t->tflags & THREAD_F_QUEUED;
	bool running = sched_running_cpu(t) != NULL;
	const struct cpu *c;

	if (t->obj.type != CAP_THREAD)
		return "a thread on the thread list is no thread";
	if (t->state > TS_FAULTED)
		return "a thread in no known state";
	if (t->cpu >= HAL_MAX_CPUS || !cpus[t->cpu].online)
		return "a thread of a CPU that runs no threads";
	c = &cpus[t->cpu];
	if (t->slice > THREAD_TIMESLICE)
		return "a thread's turn is longer than a time slice";
	if (queued && (t->state != TS_RUNNABLE || running || t == c->next))
		return "a queued thread that is not runnable, or running";
	if (t->state == TS_RUNNABLE && !queued && !running && t != c->next &&
	    !(t->obj.flags & KOBJ_DYING))
		return "a runnable thread on no ready queue (it would never run)";
	if ((t->state == TS_BLOCKED_SEND || t->state == TS_BLOCKED_RECV ||
	     t->state == TS_BLOCKED_NTFN) != (t->wait_obj != NULL))
		return "a thread blocked on nothing, or waiting while not blocked";
	for (unsigned i = 0; i < TSLOT_COUNT; i++) {
		const struct slot *s = &t->tslot[i];

		if (slot_empty(s))
			continue;
		if (slot_type(s) != role[i] || s->map_va != i)
			return "a thread's internal slot holds the wrong type or index";
	}
	if (t->ipcbuf && slot_empty(&t->tslot[TSLOT_IPCBUF]))
		return "a thread keeps an IPC buffer whose capability went";
	return NULL;
}

/* One CPU's ready queues and bitmaps; *in_queues counts their threads. */
static const char *check_queues(const struct cpu *c, uint32_t threads, uint32_t *items,
				uint32_t *in_queues)
{
	for (unsigned p = 0; p < PRIO_COUNT; p++) {
		const struct thread *last = NULL;
		bool bit = c->ready_bits[p >> 5] & (1u << (p & 31));

		if (bit != (c->ready_head[p] != NULL))
			return "a ready bit differs from its queue";
		for (const struct thread *t = c->ready_head[p]; t; t = t->qnext) {
			(*items)++;
			if (++*in_queues > threads)
				return "the ready queues hold more than every thread (a loop)";
			if (t->qprev != last)
				return "a ready queue's back link is wrong";
			if (t->prio != p || !(t->tflags & THREAD_F_QUEUED))
				return "a thread on the ready queue of another priority, or unmarked";
			if (t->cpu != c->index)
				return "a thread on the ready queue of another CPU than its own";
			last = t;
		}
		if (c->ready_tail[p] != last)
			return "a ready queue's tail is not its last thread";
	}
	for (unsigned g = 0; g < PRIO_COUNT / 32; g++)
		if (((c->ready_top >> g) & 1u) != (c->ready_bits[g] != 0))
			return "a ready group bit differs from its levels";
	if (c->cur && (c->cur->tflags & THREAD_F_QUEUED))
		return "the running thread is on a ready queue";
	if (c->ready_top && !c->online)
		return "threads queued on a CPU that runs none";
	return NULL;
}

int sched_check(uint32_t *items, const char **why)
{
	const struct thread *prev = NULL;
	uint32_t threads = 0, queued = 0, in_queues = 0;
	const char *w = NULL;

	for (const struct thread *t = thread_first(); t && !w; t = t->all_next) {
		(*items)++;
		if (++threads > obj_count(CAP_THREAD))
			w = "the thread list is longer than the threads alive (or loops)";
		else if (t->all_prev != prev)
			w = "the thread list's back link is wrong";
		else
			w = check_thread(t);
		queued += (t->tflags & THREAD_F_QUEUED) != 0;
		prev = t;
	}
	for (unsigned i = 0; i < HAL_MAX_CPUS && !w; i++)
		w = check_queues(&cpus[i], threads, items, &in_queues);
	for (unsigned i = 0; i < HAL_MAX_CPUS && !w; i++)
		for (unsigned j = i + 1; j < HAL_MAX_CPUS && !w; j++)
			if (cpus[i].cur && cpus[i].cur == cpus[j].cur)
				w = "a thread is the current one of two CPUs";
	if (!w && queued != in_queues)
		w = "threads marked queued differ from those on the ready queues";
	if (w) {
		*why = w;
		return E_FORMAT;
	}
	return 0;
}
