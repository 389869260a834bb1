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
 *
 * Several CPUs: each has its own queues, and a thread is queued only on
 * its own CPU's (thread->cpu). All of it is shared data under the kernel
 * lock: a CPU that makes a thread of another CPU ready queues it there
 * and, when it should run before that CPU's current thread, sets that
 * CPU's resched and sends it the reschedule interrupt (sched_kick); the
 * interrupt's entry takes the lock and its exit picks. A thread runs on
 * at most one CPU: only the CPU itself changes its cpu->cur (sched_pick,
 * the fast paths), under the lock, and a runnable thread that is some
 * CPU's current one is never queued.
 */
#include <hal/arch.h>
#include <hal/plat.h>
#include <hal/uarch.h>
#include <lib/error.h>
#include <lib/irq.h>
#include <lib/log.h>
#include <lib/spinlock.h>
#include <lib/string.h>
#include <sched/thread.h>

struct cpu cpus[HAL_MAX_CPUS];
uint32_t sched_space_unloads;
/* (Mostly the ready queues: a head and a tail per priority.) */
#if UINTPTR_MAX == 0xffffffffu
_Static_assert(sizeof(struct cpu) <= 2136, "per-CPU state: at most 2136 bytes on ARM");
#endif

bool kernel_lock_on;
/* CPUs 0 .. cpu_span - 1 include every CPU that runs threads. */
static unsigned cpu_span = HAL_MAX_CPUS;
uint8_t sched_boot_cpu;
/* (Global: the svc vector's shared fast paths read its word, and count
 * themselves in the second while they wait for it to be free.) */
struct spinlock kernel_lock;
uint32_t kernel_lock_sharers_waiting;
/* A CPU alone (docs/architecture.md, "A CPU alone"): the index + 1 of the
 * CPU that keeps the lock across user mode, 0 for none; the CPUs running
 * threads and, of them, those waiting in the idle loop without the lock
 * (both counts under the lock). */
static uint8_t solo_cpu;
static unsigned cpus_running, cpus_idle;

/* c is the CPU alone (only c itself makes it so, or ends it). */
static inline bool alone(const struct cpu *c)
{
	return __atomic_load_n(&solo_cpu, __ATOMIC_RELAXED) == c->index + 1u;
}

void sched_init(void)
{
	memset(cpus, 0, sizeof(cpus));
	for (unsigned i = 0; i < HAL_MAX_CPUS; i++)
		cpus[i].index = (uint8_t)i;
	kernel_lock_on = false;
	sched_cpu_init();
	this_cpu()->online = true;
	sched_boot_cpu = this_cpu()->index;
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

/* ----------------------------------------------------------- the kernel lock */

/* The wait for a ticket. Meanwhile the holder may be about to free the
 * page tables of the space this CPU still has in TTBR0 (its thread was
 * stopped here and its space replaced or destroyed: space_unload), and
 * asks it to load the empty table first; that is all a waiting CPU may do
 * (it holds nothing; the exit loads a space again, vs_dirty). */
static __attribute__((noinline, cold)) void lock_wait_unload(struct cpu *c)
{
	uarch_vs_activate(NULL);        /* (NULL: nothing shared is read) */
	__atomic_store_n(&c->unload, false, __ATOMIC_RELEASE);
}

static inline void lock_wait(uint16_t ticket)
{
	while ((uint16_t)__atomic_load_n(&kernel_lock.word, __ATOMIC_ACQUIRE) != ticket) {
		struct cpu *c = this_cpu();

		if (__atomic_load_n(&c->unload, __ATOMIC_ACQUIRE))
			lock_wait_unload(c);
		arch_spin_wait();
	}
}

/*
 * Two ways to hold it (docs/architecture.md, "Stage 3"). Alone: the
 * ticket lock, and then no CPU in a shared section. Shared: the CPU's
 * in_fast flag, set while nobody holds or waits for the ticket lock; the
 * svc vector's IPC fast paths between threads of one CPU run so, beside
 * each other (arch/arm/vectors.S, smp_share; ipc/fastpath.h, FAST_SHARED,
 * says what they may touch). Each side writes its mark (the flag; its
 * ticket) and then, after a full barrier, reads the other's: of a sharer
 * and a CPU taking the lock, at least one sees the other, so either the
 * sharer backs off or the taker waits for the flag to clear. A sharer
 * never waits with its flag set, so a shared section always ends; a CPU
 * that wants the lock keeps new sharers out from the moment it has a
 * ticket.
 */
static void kernel_lock_take(void)
{
	unsigned me = this_cpu()->index, solo;
	uint16_t ticket;

	/* Fast paths waiting for the lock to be free go first (a CPU that
	 * took it again at once, after a preemption point, say, would keep
	 * them out): a few turns for them to get in, each a YIELD, which
	 * also lets an emulator running the CPUs in turn run them. */
	for (unsigned n = 0; n < 64 && __atomic_load_n(&kernel_lock_sharers_waiting,
							__ATOMIC_RELAXED); n++)
		arch_spin_relax();
	ticket = spin_ticket(&kernel_lock);
	/* A CPU keeping the lock across user mode gives it back at the exit
	 * of the interrupt sent here. Full barrier between the ticket and
	 * this look (as between its mark and its look at the tickets, in
	 * solo_begin): of the two, at least one sees the other. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	solo = __atomic_load_n(&solo_cpu, __ATOMIC_RELAXED);
	if (solo && solo != me + 1)
		plat_ipi_send(solo - 1u, PLAT_IPI_LOCK);
	lock_wait(ticket);
	this_cpu()->lock_takes++;
	for (;;) {
		bool busy = false;

		for (unsigned i = 0; i < cpu_span; i++)
			busy |= i != me && __atomic_load_n(&cpus[i].in_fast, __ATOMIC_RELAXED);
		if (!busy)
			break;
		arch_spin_relax();
	}
	/* (acquire: what the sections wrote before their flags cleared) */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

/*
 * A C shared section that found the lock held or wanted (kernel_lock_share,
 * sched/thread.h): wait for it to be free *without* a ticket -- a CPU that
 * queued for it here would hold every other sharer back too, and with
 * more guest CPUs than host threads the lock would then stay wanted for
 * ever -- and share it then; take it alone (false) once it has changed
 * hands KERNEL_LOCK_SHARE_HANDOVERS times meanwhile (a stream of holders)
 * or a reschedule is asked of this CPU. While it waits the CPU is in the
 * kernel with its thread's registers saved, as after kernel_enter: in_svc
 * set, then in_user clear (release order), so a CPU stopping that thread
 * (sched_stall) need not wait for it; that CPU asks this one to
 * reschedule first, which ends the wait. It is counted in
 * kernel_lock_sharers_waiting, which a CPU about to take the lock alone
 * lets in first. The same protocol as the IPC fast paths'
 * (arch/arm/vectors.S, ipc_share_smp_wait).
 */
bool kernel_lock_share_wait(struct cpu *c)
{
	uint16_t served = (uint16_t)__atomic_load_n(&kernel_lock.word, __ATOMIC_RELAXED);
	bool shared = false;

	__atomic_store_n(&c->in_svc, true, __ATOMIC_RELAXED);
	__atomic_store_n(&c->in_user, false, __ATOMIC_RELEASE);
	__atomic_fetch_add(&kernel_lock_sharers_waiting, 1, __ATOMIC_RELAXED);
	for (;;) {
		uint32_t w;

		arch_spin_relax();
		if (__atomic_load_n(&c->resched, __ATOMIC_RELAXED))
			break;
		w = __atomic_load_n(&kernel_lock.word, __ATOMIC_RELAXED);
		if ((uint16_t)((uint16_t)w - served) >= KERNEL_LOCK_SHARE_HANDOVERS)
			break;
		if ((uint16_t)w != (uint16_t)(w >> 16))
			continue;
		if (kernel_lock_try_share(c)) {
			shared = true;
			break;
		}
	}
	if (shared) {
		__atomic_store_n(&c->in_svc, false, __ATOMIC_RELAXED);
		__atomic_store_n(&c->in_user, true, __ATOMIC_RELAXED);
	}
	__atomic_fetch_sub(&kernel_lock_sharers_waiting, 1, __ATOMIC_RELAXED);
	return shared;
}

/* The cap layer's preemption probe: while this CPU holds the lock, does
 * another want it -- a ticket behind this one's, or a fast path waiting
 * without one? */
static bool lock_wanted(void)
{
	uint32_t w = __atomic_load_n(&kernel_lock.word, __ATOMIC_RELAXED);

	if ((uint16_t)((w >> 16) - w) > 1)
		return true;
	return __atomic_load_n(&kernel_lock_sharers_waiting, __ATOMIC_RELAXED) != 0;
}

void kernel_enter(struct cpu *c)
{
	if (!kernel_lock_on || alone(c))
		return;                 /* (alone: it holds the lock already) */
	__atomic_store_n(&c->in_user, false, __ATOMIC_RELEASE);
	kernel_lock_take();
}

/*
 * A CPU alone. While every other CPU running threads waits in the idle
 * loop, none of them touches kernel state before it has taken the lock,
 * so the CPU leaving the kernel may keep it into user mode and run the
 * entries of one CPU (no lock to take, no sharing in the fast paths). It
 * marks itself (solo_cpu) and then, after a full barrier, looks for a
 * ticket behind its own; a CPU taking a ticket looks for the mark after
 * the same barrier (kernel_lock_take): either this CPU sees the ticket
 * and gives the lock back at once, or the other one sees the mark and
 * sends it the lock interrupt, whose exit gives the lock back (an
 * interrupt is taken in user mode at once, and in the kernel at the next
 * preemption point, which lock_wanted stops). Leaving it, the CPU's
 * entries become the locking ones again before the lock is given.
 */
static bool solo_alone(void)
{
	return cpus_idle + 1 == cpus_running && !lock_wanted();
}

static void solo_end(void)
{
	__atomic_store_n(&solo_cpu, 0, __ATOMIC_RELAXED);  /* (the unlock releases it) */
	uarch_smp_entries(false);
}

static bool solo_begin(struct cpu *c)
{
	__atomic_store_n(&solo_cpu, (uint8_t)(c->index + 1u), __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (lock_wanted()) {
		__atomic_store_n(&solo_cpu, 0, __ATOMIC_RELAXED);
		return false;
	}
	c->solos++;
	uarch_smp_entries(true);
	return true;
}

/* This CPU about to idle: when every other CPU but one idles then, that
 * one may keep the lock alone from its next exit; its fast paths, which
 * have no exit of their own, are sent there by a reschedule asked of it
 * (they decline on it; without an interrupt: it matters at its next
 * entry). */
static void idle_begin(struct cpu *c)
{
	c->idle = true;
	if (++cpus_idle + 1 != cpus_running)
		return;
	for (unsigned i = 0; i < cpu_span; i++)
		if (cpus[i].online && !cpus[i].idle)
			__atomic_store_n(&cpus[i].resched, true, __ATOMIC_RELAXED);
}

void kernel_exit(struct cpu *c)
{
	if (!kernel_lock_on)
		return;
	/* Set while the lock is still held: a CPU that gets it next and
	 * finds in_user set knows this CPU's thread may be running. */
	__atomic_store_n(&c->in_user, true, __ATOMIC_RELAXED);
	if (solo_alone()) {
		if (alone(c) || solo_begin(c))
			return;
	} else if (alone(c)) {
		solo_end();
	}
	spin_unlock(&kernel_lock);
}

/* A CPU alone ran a system call by the one-CPU path, without
 * kernel_enter. If it idled on the way it is alone no more (the idle loop
 * gave the lock up and took a ticket again) and exits as any CPU does,
 * which may make it alone again. Still alone, nothing: a CPU that wanted
 * the lock meanwhile has sent it the lock interrupt, which it takes as
 * soon as it is in user mode. */
void kernel_exit_solo(struct cpu *c)
{
	if (!alone(c))
		kernel_exit(c);
}

static void ipi_taken(unsigned irq, void *arg)
{
	struct cpu *c = this_cpu();

	(void)irq;
	(void)arg;
	c->ipis++;
	c->resched = true;
}

/* Another CPU wants the lock this one kept alone: the exit of this entry
 * gives it (kernel_exit). Nothing else to do; taken late, after the exit
 * that gave it, nothing at all. */
static void lock_wish_taken(unsigned irq, void *arg)
{
	struct cpu *c = this_cpu();

	(void)irq;
	(void)arg;
	if (alone(c))
		c->lock_wishes++;
}

static const struct {
	irq_handler_fn fn;
	const char *what;
} ipi_handlers[PLAT_IPI_COUNT] = {
	[PLAT_IPI_RESCHED] = { ipi_taken, "reschedule" },
	[PLAT_IPI_LOCK] = { lock_wish_taken, "lock" },
};

/* The ASID allocator's probe (uarch_set_space_probe). */
static struct uarch_vs *active_space(unsigned index)
{
	const struct thread *t;

	if (index >= HAL_MAX_CPUS || index == this_cpu()->index)
		return NULL;
	t = cpus[index].cur;
	if (!t || !thread_vspace(t))
		return NULL;
	return &thread_vspace(t)->arch;
}

static void space_unload(const struct uarch_vs *vs);

void sched_smp_start(uint32_t online)
{
	struct cpu *me = this_cpu();
	int err;

	if (online == (1u << me->index))
		return;                 /* one CPU: no lock, as before */
	for (unsigned i = 0; i < PLAT_IPI_COUNT; i++) {
		unsigned irq = plat_ipi_irq((enum plat_ipi)i);

		err = irq_register(irq, ipi_handlers[i].fn, NULL);
		if (err)
			pr_warn("smp: the %s interrupt %u: %s", ipi_handlers[i].what, irq,
				err_name(err));
	}
	for (unsigned i = 0; i < HAL_MAX_CPUS; i++)
		cpus[i].online = (online >> i) & 1u;
	cpu_span = 32u - (unsigned)__builtin_clz(online);
	cpus_running = (unsigned)__builtin_popcount(online);
	uarch_set_space_probe(active_space);
	uarch_set_space_unload(space_unload);
	cap_set_lock_probe(lock_wanted);
	kernel_lock_on = true;
	kernel_lock_take();
	uarch_smp_entries(false);
}

void sched_kick(struct cpu *c)
{
	if (c == this_cpu())
		return;
	plat_ipi_send(c->index, PLAT_IPI_RESCHED);
}

struct cpu *sched_running_cpu(const struct thread *t)
{
	struct cpu *me = this_cpu();

	if (me->cur == t)
		return me;
	if (!kernel_lock_on)
		return NULL;
	for (unsigned i = 0; i < HAL_MAX_CPUS; i++)
		if (cpus[i].cur == t)
			return &cpus[i];
	return NULL;
}

/* Another CPU into the kernel, its thread's registers saved, waiting
 * for the lock this CPU holds; its next pick comes before anything else
 * and loads its current thread's space again (vs_dirty). */
static void cpu_stop(struct cpu *rc)
{
	rc->resched = true;
	rc->vs_dirty = true;
	if (__atomic_load_n(&rc->in_user, __ATOMIC_ACQUIRE)) {
		sched_kick(rc);
		/* It takes the interrupt in user mode (interrupts are never
		 * masked there), saves its thread's registers and clears
		 * in_user before it waits for the lock. */
		while (__atomic_load_n(&rc->in_user, __ATOMIC_ACQUIRE))
			arch_spin_relax();
	}
}

void sched_stall(struct thread *t)
{
	struct cpu *rc = sched_running_cpu(t);

	if (!rc || rc == this_cpu())
		return;
	cpu_stop(rc);
	/* rc waits for the lock in an entry of t's, t's registers saved.
	 * That entry does nothing for t (rc->entry_void): whoever stopped t
	 * may read or set its registers, suspend or destroy it. A system
	 * call it was entering is made again when t runs: its pc goes back
	 * to the svc now, once, so that registers read or set from here on
	 * are the ones t resumes with. (in_svc was written before in_user
	 * was cleared: the acquire above orders the load.) */
	if (!rc->entry_void) {
		rc->entry_void = true;
		if (rc->in_svc)
			t->ctx.pc -= UARCH_SVC_SIZE;
	}
}

/*
 * uarch_vs_destroy's probe, before a space's tables are freed (this CPU
 * holds the lock alone): no other CPU may still have the space in TTBR0,
 * where its table walker could reach the freed tables (speculatively, on
 * hardware) and tag what it reads with the space's ASID after the flush.
 * A CPU not stopped by this one runs its current thread's space (every
 * exit loads it; vs_dirty clear), which is not vs: that thread holds a
 * capability to its space, and losing it stops the thread first
 * (slot_lost, thread_configure, thread_destroy: sched_stall, which sets
 * vs_dirty). An idle CPU is on the empty table. So only a stopped CPU --
 * in the kernel waiting for the lock, its thread's registers saved --
 * may hold vs, and it is asked to load the empty table, which its wait
 * does (lock_wait; a fast path waiting without a ticket leaves for the
 * general entry when a reschedule is asked of it, as sched_stall did).
 * Conservative: every stopped CPU is asked, whichever space it holds.
 */
static void space_unload(const struct uarch_vs *vs)
{
	unsigned me = this_cpu()->index;

	(void)vs;
	for (unsigned i = 0; i < cpu_span; i++) {
		struct cpu *rc = &cpus[i];

		if (i == me || !rc->online || !rc->vs_dirty || rc->idle)
			continue;
		cpu_stop(rc);           /* (stopped already: nothing more) */
		__atomic_store_n(&rc->unload, true, __ATOMIC_RELEASE);
		arch_spin_signal();     /* (its wait is a WFE) */
		while (__atomic_load_n(&rc->unload, __ATOMIC_ACQUIRE))
			arch_spin_relax();
		sched_space_unloads++;
	}
}

static void ready_remote(struct cpu *tc, struct thread *t);
static bool ready_elsewhere(struct thread *t);

int sched_set_cpu(struct thread *t, unsigned index)
{
	struct cpu *c = this_cpu(), *rc;

	if (index >= HAL_MAX_CPUS || !cpus[index].online)
		return E_RANGE;
	if (t->cpu == index)
		return 0;
	if ((t->tflags & THREAD_F_QUEUED) || t == c->next) {
		/* Ready: from its old CPU's queue (or this entry's next) to
		 * its new CPU's. */
		if (t == c->next)
			c->next = NULL;
		else
			sched_dequeue(&cpus[t->cpu], t);
		t->cpu = (uint8_t)index;
		ready_remote(&cpus[index], t);
		return 0;
	}
	t->cpu = (uint8_t)index;
	/* Running: its CPU's next pick sends it to its new one. */
	rc = sched_running_cpu(t);
	if (rc) {
		rc->resched = true;
		sched_kick(rc);
	}
	return 0;
}

/* ----------------------------------------------------------- queues */

/* t becomes ready on CPU tc (another than this one, but for
 * sched_set_cpu): its queue there, and tc told when t should run before
 * its current thread. (Out of
 * line and cold: the one-CPU paths keep their code and frames.) */
static __attribute__((noinline, cold)) void ready_remote(struct cpu *tc, struct thread *t)
{
	sched_enqueue(tc, t, false);
	if (!tc->cur || tc->cur->state != TS_RUNNABLE || t->prio > tc->cur->prio) {
		tc->resched = true;
		sched_kick(tc);
	}
}

/* sched_ready with several CPUs: t is some CPU's current thread (stalled
 * there, and resumed: it goes on), or belongs to another CPU (queued
 * there): true, nothing more to do here. */
static __attribute__((noinline, cold)) bool ready_elsewhere(struct thread *t)
{
	if (sched_running_cpu(t))
		return true;
	if (t->cpu != this_cpu()->index) {
		ready_remote(&cpus[t->cpu], t);
		return true;
	}
	return false;
}

void sched_ready(struct thread *t)
{
	struct cpu *c = this_cpu();

	t->state = TS_RUNNABLE;
	t->wait_obj = NULL;
	if (t == c->cur || t == c->next || (t->tflags & THREAD_F_QUEUED))
		return;
	if (__builtin_expect(kernel_lock_on, 0) && ready_elsewhere(t))
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

/* sched_unready of a thread that is not this CPU's current one, with
 * several CPUs: another CPU's (stalled: sched_stall came first). */
static __attribute__((noinline, cold)) void unready_elsewhere(struct thread *t)
{
	struct cpu *rc = sched_running_cpu(t);

	if (rc)
		rc->resched = true;
}

void sched_unready(struct thread *t)
{
	struct cpu *c = this_cpu();

	if (t == c->next)
		c->next = NULL;
	if (t->tflags & THREAD_F_QUEUED)
		sched_dequeue(&cpus[t->cpu], t);
	if (t == c->cur)
		c->resched = true;
	else if (__builtin_expect(kernel_lock_on, 0))
		unready_elsewhere(t);
}

/* Change t's priority keeping its queue position consistent. */
void sched_set_prio(struct thread *t, unsigned prio)
{
	struct cpu *c = this_cpu(), *tc = &cpus[t->cpu], *rc;
	bool queued = t->tflags & THREAD_F_QUEUED;

	if (queued)
		sched_dequeue(tc, t);
	t->prio = (uint8_t)prio;
	if (queued)
		sched_enqueue(tc, t, false);
	c->resched = true;
	if (!kernel_lock_on)
		return;
	/* Another CPU's decision may change: its current thread lowered, or
	 * one of its queue raised. */
	rc = sched_running_cpu(t);
	if (rc && rc != c) {
		rc->resched = true;
		sched_kick(rc);
	} else if (queued && tc != c && (!tc->cur || t->prio > tc->cur->prio)) {
		tc->resched = true;
		sched_kick(tc);
	}
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

	/* (Read whole by other CPUs: the cpus suite.) */
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
	if (__builtin_expect(kernel_lock_on, 0) && cur && cur->state == TS_RUNNABLE &&
	    cur->cpu != c->index) {
		/* Moved to another CPU (SYS_THREAD_SET_CPU): it runs there. */
		ready_remote(&cpus[cur->cpu], cur);
		cur = NULL;
	}
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
			if (kernel_lock_on) {
				/* Without the lock while it waits; interrupts are
				 * taken only with it held (so every handler runs
				 * under it): WFI wakes on one pending even while
				 * masked. A thread made ready here by another CPU
				 * comes with an interrupt, which ends the wait. */
				uarch_vs_activate(NULL);    /* no space of this CPU's while idle */
				if (alone(c))
					solo_end();
				idle_begin(c);
				spin_unlock(&kernel_lock);
				if (!__atomic_load_n(&c->resched, __ATOMIC_RELAXED) &&
				    !obj_reap_pending())
					arch_wait_for_interrupt();
				kernel_lock_take();
				c->idle = false;
				cpus_idle--;
				arch_irq_enable();
			} else {
				arch_irq_enable();
				if (!obj_reap_pending())
					arch_wait_for_interrupt();
			}
			arch_irq_restore(flags);
			/* Waiting, and the interrupts taken while waiting. */
			c->idle_cycles += (uint32_t)arch_cycles() - t0;
		}
	}
}

struct uctx *sched_secondary_run(void)
{
	struct cpu *c = this_cpu();
	struct uctx *ctx;

	for (unsigned i = 0; i < PLAT_IPI_COUNT; i++)
		plat_irq_unmask(plat_ipi_irq((enum plat_ipi)i));
	uarch_init_cpu();
	kernel_lock_take();
	uarch_smp_entries(false);
	ctx = sched_exit();
	kernel_exit(c);
	return ctx;
}
