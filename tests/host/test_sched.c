/*
 * Host tests of the scheduler (kernel/sched/sched.c) and thread states
 * (kernel/sched/thread.c): O(1) pick of the highest priority over 256 levels,
 * FIFO round-robin within a level on timer ticks, preemption by a
 * higher-priority wake-up, priority changes of queued threads, suspend and
 * resume, and the threads' internal capability slots under revocation.
 */
#include "htest.h"
#include "mm_fakes.h"
#include "uarch_fakes.h"

#include <boot/boot.h>
#include <cap/cap.h>
#include <ipc/ipc.h>
#include <lib/error.h>
#include <mm/mm.h>
#include <sched/thread.h>

#include <stdlib.h>

#define GB(x) ((paddr_t)(x) << 30)
#define MB(x) ((paddr_t)(x) << 20)

static struct account *acct;

static void boot(void)
{
	uint32_t lim[POOL_COUNT] = { 4096, 0, 0, 4u << 20 };

	if (mmfake_boot_bank(GB(1), MB(8), NULL, 0) != 0)
		abort();
	ufake_reset();
	objects_init();
	sched_init();
	if (account_carve(account_boot(), lim, "proc", &acct) != 0)
		abort();
}

static struct thread *mk(unsigned prio)
{
	struct thread *t;

	if (thread_create(acct, &t) != 0)
		abort();
	t->prio = (uint8_t)prio;
	t->mcp = (uint8_t)prio;
	return t;
}

static void picks_highest_priority(void)
{
	struct thread *t[6];
	static const unsigned prios[6] = { 0, 31, 32, 200, 255, 64 };

	boot();
	for (int i = 0; i < 6; i++) {
		t[i] = mk(prios[i]);
		sched_ready(t[i]);
	}
	/* Highest first; each one blocks after running. */
	HT_ASSERT(sched_pick() == t[4]);
	t[4]->state = TS_BLOCKED_RECV;
	HT_ASSERT(sched_pick() == t[3]);
	t[3]->state = TS_BLOCKED_RECV;
	HT_ASSERT(sched_pick() == t[5]);
	t[5]->state = TS_BLOCKED_RECV;
	HT_ASSERT(sched_pick() == t[2]);
	t[2]->state = TS_BLOCKED_RECV;
	HT_ASSERT(sched_pick() == t[1]);
	t[1]->state = TS_BLOCKED_RECV;
	HT_ASSERT(sched_pick() == t[0]);
	t[0]->state = TS_BLOCKED_RECV;
	HT_ASSERT(sched_pick() == NULL);
	HT_ASSERT(cur_thread() == NULL);
}

static void round_robin_on_ticks(void)
{
	struct thread *a, *b, *c, *low;

	boot();
	a = mk(10);
	b = mk(10);
	c = mk(10);
	low = mk(9);
	sched_ready(a);
	sched_ready(b);
	sched_ready(c);
	sched_ready(low);
	HT_ASSERT(sched_pick() == a);
	/* Within its turn it keeps the CPU. */
	sched_tick();
	HT_ASSERT(sched_pick() == a);
	/* THREAD_TIMESLICE ticks end the turn: b, then c, then a again. */
	for (int i = 1; i < THREAD_TIMESLICE; i++)
		sched_tick();
	HT_ASSERT(sched_pick() == b);
	for (int i = 0; i < THREAD_TIMESLICE; i++)
		sched_tick();
	HT_ASSERT(sched_pick() == c);
	for (int i = 0; i < THREAD_TIMESLICE; i++)
		sched_tick();
	HT_ASSERT(sched_pick() == a);
	/* The lower level never runs while the higher one is busy. */
	for (int i = 0; i < 10 * THREAD_TIMESLICE; i++) {
		sched_tick();
		HT_ASSERT(sched_pick() != low);
	}
}

static void wakeup_preempts_lower(void)
{
	struct thread *lo, *hi, *same;

	boot();
	lo = mk(5);
	hi = mk(6);
	same = mk(5);
	sched_ready(lo);
	HT_ASSERT(sched_pick() == lo);
	sched_ready(same);
	HT_ASSERT(sched_pick() == lo);          /* same level: no preemption */
	sched_ready(hi);
	HT_ASSERT(this_cpu()->resched);
	HT_ASSERT(sched_pick() == hi);
	hi->state = TS_BLOCKED_NTFN;
	HT_ASSERT(sched_pick() == same);        /* lo went behind same */
}

static void yield_and_prio_change(void)
{
	struct thread *a, *b;

	boot();
	a = mk(7);
	b = mk(7);
	sched_ready(a);
	sched_ready(b);
	HT_ASSERT(sched_pick() == a);
	sched_yield();
	HT_ASSERT(sched_pick() == b);
	/* Raising a queued thread above the running one makes it next. */
	HT_EQ(thread_set_prio(a, 100, 100), 0);
	HT_ASSERT(sched_pick() == a);
	HT_EQ(thread_set_prio(a, 256, 0), E_RANGE);
	HT_EQ(a->prio, 100);
}

static void suspend_resume_needs_configuration(void)
{
	struct thread *t;
	struct cspace *cs;
	struct vspace *vs;
	struct slot *scs, *svs, *s;

	boot();
	t = mk(3);
	HT_EQ(thread_resume(t), E_STATE);       /* no CSpace / address space */
	HT_EQ(cspace_create(acct, 64, &cs), 0);
	HT_EQ(vspace_create(acct, &vs), 0);
	HT_EQ(cspace_slot(cs, 1, &scs), 0);
	HT_EQ(cspace_slot(cs, 2, &svs), 0);
	HT_EQ(cap_install_root(scs, CAP_CSPACE, R_ALL, &cs->obj, 0, 0), 0);
	HT_EQ(cap_install_root(svs, CAP_VSPACE, R_ALL, &vs->obj, 0, 0), 0);
	HT_EQ(thread_configure(t, svs, NULL, NULL, NULL), E_TYPE);
	HT_EQ(thread_configure(t, scs, svs, NULL, NULL), 0);
	HT_ASSERT(thread_cspace(t) == cs && thread_vspace(t) == vs);
	HT_EQ(cs->obj.refs, 2);                 /* slot 1 + the thread's copy */
	HT_EQ(thread_resume(t), 0);
	HT_EQ(t->state, TS_RUNNABLE);
	HT_ASSERT(sched_pick() == t);
	HT_EQ(thread_suspend(t), 0);
	HT_EQ(t->state, TS_INACTIVE);
	HT_ASSERT(sched_pick() == NULL);
	HT_EQ(thread_resume(t), 0);
	HT_ASSERT(sched_pick() == t);
	/* Its address space taken by revocation: it stops. A copy was
	 * derived to revoke through (the original cannot be revoked). */
	HT_EQ(cspace_slot(cs, 3, &s), 0);
	HT_EQ(cap_copy(svs, s), 0);
	HT_EQ(thread_configure(t, NULL, s, NULL, NULL), 0);
	HT_EQ(cap_revoke(s), 0);
	HT_ASSERT(slot_empty(&t->tslot[TSLOT_VSPACE]));
	HT_EQ(t->state, TS_INACTIVE);
	HT_EQ(thread_resume(t), E_STATE);
}

static void thread_destruction_releases_slots(void)
{
	struct thread *t;
	struct cspace *cs;
	struct vspace *vs;
	struct slot *st, *scs, *svs;
	uint32_t heap;

	boot();
	heap = acct->q[POOL_KHEAP].used;
	HT_EQ(cspace_create(acct, 64, &cs), 0);
	HT_EQ(vspace_create(acct, &vs), 0);
	HT_EQ(cspace_slot(cs, 1, &scs), 0);
	HT_EQ(cspace_slot(cs, 2, &svs), 0);
	HT_EQ(cspace_slot(cs, 3, &st), 0);
	HT_EQ(cap_install_root(scs, CAP_CSPACE, R_ALL, &cs->obj, 0, 0), 0);
	HT_EQ(cap_install_root(svs, CAP_VSPACE, R_ALL, &vs->obj, 0, 0), 0);
	t = mk(1);
	HT_EQ(cap_install_root(st, CAP_THREAD, R_ALL, &t->obj, 0, 0), 0);
	HT_EQ(thread_configure(t, scs, svs, NULL, NULL), 0);
	HT_EQ(thread_resume(t), 0);
	HT_EQ(vs->obj.refs, 2);
	HT_EQ(cap_delete(st), 0);
	HT_ASSERT(obj_reap(0));
	HT_EQ(obj_count(CAP_THREAD), 0);
	HT_EQ(vs->obj.refs, 1);
	HT_ASSERT(sched_pick() == NULL);
	/* Deleting the rest returns every heap byte. */
	HT_EQ(cap_delete(svs), 0);
	HT_EQ(cap_delete(scs), 0);
	HT_ASSERT(obj_reap(0));
	HT_EQ(acct->q[POOL_KHEAP].used, heap);
}

/*
 * A C shared section's wait for a busy kernel lock (kernel_lock_share_wait,
 * sched.c), the other CPUs played by the relax hook: no ticket taken;
 * shared as soon as the lock is free; given up after
 * KERNEL_LOCK_SHARE_HANDOVERS hand-overs, or at a reschedule asked of the
 * CPU; meanwhile in the kernel (in_user clear, in_svc set) and counted
 * among the waiting sharers.
 */
extern uint32_t kernel_lock_sharers_waiting;
static unsigned relax_turns, free_at;
static bool seen_in_kernel, seen_counted;

static void watch(void)
{
	struct cpu *c = this_cpu();

	relax_turns++;
	seen_in_kernel = !c->in_user && c->in_svc && !c->in_fast;
	seen_counted = kernel_lock_sharers_waiting == 1;
}

static void holder_leaves(void)         /* the lock free at turn free_at */
{
	watch();
	if (relax_turns == free_at)
		kernel_lock.word = 0x00010001u;
}

static void holders_stream(void)        /* held by one CPU after another */
{
	watch();
	kernel_lock.word += 0x00010001u;
}

static void resched_asked(void)
{
	watch();
	this_cpu()->resched = true;
}

static void wait_from(struct cpu *c, void (*others)(void))
{
	kernel_lock.word = 0x00010000u;         /* held: next 1, served 0 */
	c->in_user = true;
	c->in_svc = c->in_fast = c->resched = false;
	relax_turns = 0;
	seen_in_kernel = seen_counted = false;
	ufake_on_relax(others);
}

static void lock_shared_after_a_wait_without_ticket(void)
{
	struct cpu *c;

	boot();
	c = this_cpu();
	free_at = 3;
	wait_from(c, holder_leaves);
	HT_ASSERT(kernel_lock_share_wait(c));
	HT_EQ(relax_turns, 3);
	HT_ASSERT(seen_in_kernel && seen_counted);
	HT_ASSERT(c->in_fast && c->in_user && !c->in_svc);
	HT_EQ(kernel_lock.word, 0x00010001u);   /* no ticket taken */
	HT_EQ(kernel_lock_sharers_waiting, 0);
	kernel_lock_unshare(c);
	/* A stream of holders: the lock taken alone after so many. */
	wait_from(c, holders_stream);
	HT_ASSERT(!kernel_lock_share_wait(c));
	HT_EQ(relax_turns, KERNEL_LOCK_SHARE_HANDOVERS);
	HT_ASSERT(seen_in_kernel && seen_counted);
	HT_ASSERT(!c->in_fast && !c->in_user && c->in_svc);
	HT_EQ(kernel_lock_sharers_waiting, 0);
	/* A reschedule asked of this CPU ends the wait at once. */
	wait_from(c, resched_asked);
	HT_ASSERT(!kernel_lock_share_wait(c));
	HT_EQ(relax_turns, 1);
	HT_ASSERT(!c->in_fast && !c->in_user);
	/* Free but a reschedule asked: kernel_lock_share declines too. */
	ufake_on_relax(NULL);
	kernel_lock.word = 0x00010001u;
	c->resched = true;
	HT_ASSERT(!kernel_lock_share(c));
	HT_ASSERT(!c->in_fast);
	c->resched = false;
	HT_ASSERT(kernel_lock_share(c));
	HT_ASSERT(c->in_fast);
	kernel_lock_unshare(c);
	HT_ASSERT(!c->in_fast);
	kernel_lock.word = 0;
}

static const struct htest_case cases[] = {
	HT_CASE(picks_highest_priority),
	HT_CASE(round_robin_on_ticks),
	HT_CASE(wakeup_preempts_lower),
	HT_CASE(yield_and_prio_change),
	HT_CASE(suspend_resume_needs_configuration),
	HT_CASE(thread_destruction_releases_slots),
	HT_CASE(lock_shared_after_a_wait_without_ticket),
};

int main(void)
{
	return htest_main("sched", cases, (int)ARRAY_SIZE(cases));
}
