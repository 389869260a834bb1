/*
 * The scheduler: 256 priorities, O(1) pick, round-robin within a level.
 *
 * Ready threads wait in one FIFO per priority; a two-level bitmap
 * (ready_top says which 32-level groups are non-empty, ready_bits which
 * levels in a group) finds the highest non-empty level with two count-
 * leading-zeros. The running thread is not on a queue: when it stops
 * running while still runnable (preempted, yielded, its turn over) it goes
 * to the tail of its level.
 *
 * Decisions are taken at kernel exit (sched_exit): a thread made runnable
 * at a higher priority than the current one, or the end of a turn (the
 * timer tick counts THREAD_TIMESLICE ticks), sets cpu->resched.
 */
#include <hal/arch.h>
#include <hal/plat.h>
#include <lib/irq.h>
#include <lib/log.h>
#include <lib/string.h>
#include <sched/thread.h>

struct cpu cpus[HAL_MAX_CPUS];

void sched_init(void)
{
	memset(cpus, 0, sizeof(cpus));
	sched_cpu_init();
}

/* The struct cpu the assembly entry paths of this CPU use (the svc
 * vector's IPC fast path loads it through TPIDRPRW). */
void sched_cpu_init(void)
{
	arch_cpu_set_local(&cpus[arch_cpu_index()]);
}

static inline unsigned highest(uint32_t w)
{
	return 31u - (unsigned)__builtin_clz(w);
}

void sched_ready(struct thread *t)
{
	struct cpu *c = this_cpu();

	t->state = TS_RUNNABLE;
	t->wait_obj = NULL;
	if (t == c->cur || t == c->next || (t->tflags & THREAD_F_QUEUED))
		return;
	if (!c->cur || c->cur->state != TS_RUNNABLE || t->prio > c->cur->prio)
		c->resched = true;
	/* The first thread made ready in this kernel entry waits in
	 * cpu->next, off the queues: if it is the one to run, sched_pick
	 * switches to it without a trip through its queue (a call waking
	 * its server, a reply-recv whose receive blocks); otherwise the
	 * kernel exit queues it (sched_settle). A second one sends the first
	 * to its queue, so the order they were made ready in is kept. */
	if (c->next)
		sched_enqueue(c, c->next, false);
	c->next = t;
}

void sched_unready(struct thread *t)
{
	struct cpu *c = this_cpu();

	if (t == c->next)
		c->next = NULL;
	sched_dequeue(c, t);
	if (t == c->cur)
		c->resched = true;
}

/* Change t's priority keeping its queue position consistent. */
void sched_set_prio(struct thread *t, unsigned prio)
{
	struct cpu *c = this_cpu();
	bool queued = t->tflags & THREAD_F_QUEUED;

	if (queued)
		sched_dequeue(c, t);
	t->prio = (uint8_t)prio;
	if (queued)
		sched_enqueue(c, t, false);
	c->resched = true;
}

void sched_yield(void)
{
	struct cpu *c = this_cpu();

	if (c->cur)
		c->cur->slice = 0;
	c->resched = true;
}

void sched_tick(void)
{
	struct cpu *c = this_cpu();

	/* (Read whole by other CPUs: the smp suite.) */
	__atomic_store_n(&c->ticks, c->ticks + 1, __ATOMIC_RELAXED);
	/* A thread the IPC fast path switched to may have no turn left (it
	 * does not hand out turns): that counts as the end of its turn. */
	if (c->cur && (c->cur->slice == 0 || --c->cur->slice == 0))
		c->resched = true;
}

struct thread *sched_pick(void)
{
	struct cpu *c = this_cpu();
	struct thread *cur = c->cur, *best = NULL, *next = NULL;
	unsigned p;

	if (!c->resched && cur && cur->state == TS_RUNNABLE) {
		sched_settle(c);
		return cur;
	}
	c->resched = false;
	if (c->ready_top) {
		unsigned g = highest(c->ready_top);

		p = (g << 5) | highest(c->ready_bits[g]);
		best = c->ready_head[p];
	}
	/* The thread held in next runs if it is above every queued one;
	 * otherwise it takes its place at the tail of its level (where
	 * sched_ready would have put it). */
	if (c->next) {
		next = c->next;
		c->next = NULL;
		if (!best || next->prio > best->prio)
			best = next;
		else
			sched_enqueue(c, next, false);
	}
	if (cur && cur->state == TS_RUNNABLE) {
		/* Keep running unless someone higher waits, or the turn is
		 * over and someone of the same level waits. */
		if (!best || best->prio < cur->prio ||
		    (best->prio == cur->prio && cur->slice)) {
			if (next && best == next)
				sched_enqueue(c, next, false);
			return cur;
		}
		if (!cur->slice)
			cur->slice = THREAD_TIMESLICE;
		sched_enqueue(c, cur, false);
	}
	if (!best)
		return c->cur = NULL;
	if (best != next)
		sched_dequeue_head(c, best);        /* (next is on no queue) */
	if (!best->slice)
		best->slice = THREAD_TIMESLICE;
	if (best != cur)
		c->switches++;
	return c->cur = best;
}

struct uctx *sched_exit(void)
{
	struct cpu *c = this_cpu();
	struct thread *prev = c->cur;

	for (;;) {
		struct thread *t;
		uint32_t flags;

		if (obj_reap_pending())
			obj_reap(64);
		t = sched_pick();
		if (t) {
			if (t != prev || c->vs_dirty) {
				uarch_vs_activate(&thread_vspace(t)->arch);
				c->vs_dirty = false;
			}
			return &t->ctx;
		}
		/* Nothing to run: wait for an interrupt with the kernel
		 * stack as it is (interrupts nest on it and return here). */
		c->vs_dirty = true;
		prev = NULL;
		{
			uint32_t t0 = (uint32_t)arch_cycles();

			flags = arch_irq_save();
			arch_irq_enable();
			if (!obj_reap_pending())
				arch_wait_for_interrupt();
			arch_irq_restore(flags);
			/* Waiting, and the interrupts taken while waiting. */
			c->idle_cycles += (uint32_t)arch_cycles() - t0;
		}
	}
}
