/*
 * Threads and the scheduler.
 *
 * Scheduling: 256 priorities (255 highest), one FIFO ready queue per
 * priority and a two-level bitmap to find the highest non-empty one in
 * O(1); round-robin within a level on timer ticks (THREAD_TIMESLICE ticks
 * per turn); a thread made runnable at a higher priority than the current
 * one preempts it at the next kernel exit.
 *
 * Per-CPU state (current thread, ready queues, idle) lives in struct cpu,
 * one per CPU (cpus[], by the HAL's CPU index). A thread joins the ready
 * queues of its own CPU (thread->cpu, the boot CPU until SYS_THREAD_SET_CPU
 * moves it) and runs only there; making it ready from another CPU queues
 * it there and interrupts that CPU (an SGI) when it should run at once.
 * With more than one CPU running threads every kernel entry from user
 * mode holds the kernel lock (docs/architecture.md, "Multiprocessor").
 */
#ifndef CAIRN_THREAD_H
#define CAIRN_THREAD_H

#include <cap/cap.h>
#include <hal/arch.h>
#include <lib/spinlock.h>

#define THREAD_TIMESLICE 2           /* timer ticks per round-robin turn */
#define THREAD_NAME_MAX 16

/* Internal capability slots of a thread (copies derived from the caps
 * given to THREAD_CONFIGURE: revoking those removes them). */
enum {
	TSLOT_CSPACE = 0,
	TSLOT_VSPACE = 1,
	TSLOT_IPCBUF = 2,
	TSLOT_FAULT = 3,
	TSLOT_COUNT = 4,
};

struct thread {
	struct kobj obj;
	struct uctx ctx;             /* user registers (saved by the arch entry) */
	uint8_t state;               /* enum thread_state (abi.h) */
	uint8_t prio;
	uint8_t mcp;                 /* max controlled priority */
	uint8_t tflags;              /* THREAD_F_* */
	uint32_t slice;              /* ticks left in this turn */
	struct thread *qnext;        /* ready queue / endpoint queue link */
	struct thread *qprev;
	void *wait_obj;              /* endpoint or notification blocked on */
	/* IPC state */
	uint32_t ipc_badge;          /* badge of the cap used to send (while blocked to send) */
	uint8_t ipc_call;            /* blocked sending a call (expects a reply) */
	uint8_t ipc_grant;           /* the send capability had R_GRANT */
	uint8_t cpu;                 /* the CPU whose ready queues it joins (SYS_THREAD_SET_CPU) */
	uint8_t reserved;
	struct thread *caller;       /* the thread waiting for our reply, or NULL */
	struct thread *callee;       /* while BLOCKED_REPLY: who holds our reply right */
	struct slot *reply_cap;      /* a CAP_REPLY slot naming us as caller, or NULL */
	struct notification *bound;  /* notification bound to this thread, or NULL */
	/* last fault (THREAD_INFO, and the fault message while it is sent) */
	uint8_t fault_kind;
	uint32_t fault_addr;
	uint32_t fault_pc;
	uint32_t fault_status;          /* DFSR/IFSR */
	uint32_t fault_aux;             /* syscall number or instruction */
	/* configuration */
	struct ipc_buffer *ipcbuf;   /* kernel pointer to the IPC buffer, or NULL */
	uintptr_t ipcbuf_va;
	struct slot tslot[TSLOT_COUNT];
	/* A revoke preempted mid-way (SYS_CAP_REVOKE returned E_RESTART):
	 * the CSpace of its target, referenced so that its slots stay, and
	 * the call's arguments; the re-executed call continues on that slot
	 * rather than looking its arguments up again, which the first part
	 * of the revoke may have deleted (syscall.c). */
	struct cspace *revoke_cs;
	uint32_t revoke_cptr, revoke_idx;
	char name[THREAD_NAME_MAX];
	struct thread *all_next;     /* all threads (reports) */
	struct thread *all_prev;
};
#define THREAD_F_IDLE 1u
#define THREAD_F_FAULT 2u            /* its current call is a fault message */

static inline struct cspace *thread_cspace(const struct thread *t)
{
	return (struct cspace *)t->tslot[TSLOT_CSPACE].obj;
}
static inline struct vspace *thread_vspace(const struct thread *t)
{
	return (struct vspace *)t->tslot[TSLOT_VSPACE].obj;
}

struct cpu {
	struct thread *cur;          /* running thread (NULL: idle) */
	uint32_t ready_top;          /* bit i: ready_bits[i] != 0 */
	uint32_t ready_bits[PRIO_COUNT / 32];
	struct thread *ready_head[PRIO_COUNT];
	struct thread *ready_tail[PRIO_COUNT];
	struct thread *next;         /* made ready in this kernel entry, not queued yet */
	bool resched;                /* pick again before leaving the kernel */
	bool vs_dirty;               /* TTBR0 may not be cur's address space */
	uint32_t switches;
	uint32_t idle_cycles;        /* cycle counter time spent idle (wraps) */
	uint64_t ticks;
	/* Several CPUs (after the assembly's offsets above). */
	uint8_t index;               /* its HAL CPU index: cpus[index] */
	bool in_user;                /* between its exit to user mode and its next kernel lock */
	bool online;                 /* runs threads */
	bool in_fast;                /* holds the kernel lock shared (vectors.S, smp_share) */
	uint32_t ipis;               /* reschedule interrupts taken */
	uint32_t lock_takes;         /* times it took the kernel lock alone (a ticket) */
	bool in_svc;                 /* its entry waiting for the lock is a system call */
	bool entry_void;             /* another CPU stopped that entry's thread (sched_stall) */
	bool idle;                   /* waits in the idle loop without the lock */
	bool unload;                 /* asked to load the empty table while it waits
				      * for the lock (sched.c, space_unload) */
	uint32_t solos;              /* times it began to keep the lock across user
				      * mode, every other CPU idle (sched.c) */
	uint32_t lock_wishes;        /* lock interrupts taken while keeping it */
};
extern struct cpu cpus[HAL_MAX_CPUS];
/* Times a CPU waiting for the lock left a space about to be freed
 * (sched.c, space_unload; under the lock). */
extern uint32_t sched_space_unloads;
static inline struct cpu *this_cpu(void) { return (struct cpu *)arch_cpu_local(); }
static inline struct thread *cur_thread(void) { return this_cpu()->cur; }

int thread_create(struct account *a, struct thread **out);
/* All threads (reports): first, then ->all_next. */
struct thread *thread_first(void);
void thread_set_name(struct thread *t, const char *name);
/* THREAD_CONFIGURE: copies of the caps into the internal slots. */
int thread_configure(struct thread *t, struct slot *cspace, struct slot *vspace,
		     struct slot *ipcbuf, struct slot *fault_ep);
int thread_resume(struct thread *t);
int thread_suspend(struct thread *t);
int thread_set_prio(struct thread *t, unsigned prio, unsigned mcp);
/* Register the thread type and its cache (and the internal-slot hook). */
void thread_init(void);

/*
 * What a thread's suspension and death need from the IPC layer above
 * (ipc/ipc.c registers them in ipc_init): this layer queues and runs
 * threads, the IPC layer knows what they wait on.
 */
struct thread_ipc_ops {
	/* t is blocked in IPC (TS_BLOCKED_*): take it off what it waits on
	 * and make it runnable with err in r0 (or leave it TS_FAULTED). */
	void (*cancel)(struct thread *t, int err);
	/* t dies: cancel the caller waiting for its reply, delete its reply
	 * capability, unbind its notification. */
	void (*detach)(struct thread *t);
};
void thread_set_ipc_ops(const struct thread_ipc_ops *ops);

/* The invariant walkers of this layer (thread.c): the thread
 * list, each thread's state, priority and internal slots, the ready
 * queues and their bitmaps. 0 or E_FORMAT with *why. */
int sched_check(uint32_t *items, const char **why);
/* Show every thread's internal slots to visit (cap_check's enumerator);
 * stops at, and returns, visit's first non-zero result. */
int thread_each_internal(cap_visit_fn visit, void *arg);

/* Scheduler. sched_init: every CPU's state empty, the boot CPU's local
 * word set; sched_cpu_init: a secondary's local word. */
void sched_init(void);
void sched_cpu_init(void);

/*
 * The kernel lock (docs/architecture.md, "Multiprocessor"). Off while
 * one CPU runs threads; sched_smp_start turns it on, held by the boot
 * CPU, before any other CPU runs a thread, and from then on:
 * kernel_enter is the first thing every entry from user mode does after
 * the thread's registers are saved (the system calls that read only the
 * caller's own registers excepted), kernel_exit the last thing before the
 * return to user mode; the idle loop gives the lock up while it waits.
 * kernel_enter clears the CPU's in_user flag before it waits for the lock
 * (with release order: the saved registers are visible first), which is
 * what sched_stall waits for. A CPU whose exit finds every other CPU
 * idle and nobody waiting keeps the lock into user mode (a CPU alone, its
 * entries those of one CPU); the first CPU to want the lock then sends it
 * the lock interrupt, whose exit gives the lock back.
 */
extern bool kernel_lock_on;
/* The CPU new threads join (the boot CPU's index). */
extern uint8_t sched_boot_cpu;
void kernel_enter(struct cpu *c);
void kernel_exit(struct cpu *c);
/* The exit of a CPU alone's one-CPU system-call path (which took no
 * kernel_enter): kernel_exit if the CPU stopped being alone on the way. */
void kernel_exit_solo(struct cpu *c);
/*
 * The lock held shared from C (docs/architecture.md, "Stage 3"; the svc
 * vector's smp_share and ipc_share_smp_wait are the same for the IPC fast
 * paths), for a system call's section between threads of this CPU, with
 * interrupts masked and never waiting inside it. This CPU's in_fast flag
 * set, a full barrier, then the lock word: free (its halves equal), and
 * the CPU holds it shared, with acquire order (nothing of the section is
 * read before the lock word); held or wanted, the flag is cleared and the
 * CPU waits without a ticket (kernel_lock_share_wait) and tries again. A
 * CPU taking the lock alone sets its ticket and then reads every flag,
 * after the same barrier: at least one of the two sees the other. False:
 * the caller takes the lock alone instead (kentry_syscall_locked), which
 * it must also do when shared but a reschedule was asked of this CPU (its
 * thread may have been stopped, even destroyed, while it waited: nothing
 * of it may be read then). Shared until kernel_lock_unshare (release
 * order: what the section wrote is seen by the next holder).
 */
#define KERNEL_LOCK_SHARE_HANDOVERS 8   /* a busy lock changes hands so often before
					 * a CPU waiting to share it takes it instead */
extern struct spinlock kernel_lock;
bool kernel_lock_share_wait(struct cpu *c);

static inline bool kernel_lock_try_share(struct cpu *c)
{
	uint32_t w;

	__atomic_store_n(&c->in_fast, true, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	w = __atomic_load_n(&kernel_lock.word, __ATOMIC_RELAXED);
	if ((uint16_t)w == (uint16_t)(w >> 16)) {
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		return true;
	}
	__atomic_store_n(&c->in_fast, false, __ATOMIC_RELAXED);
	return false;
}

static inline void kernel_lock_unshare(struct cpu *c)
{
	__atomic_store_n(&c->in_fast, false, __ATOMIC_RELEASE);
}

static inline bool kernel_lock_share(struct cpu *c)
{
	if (!kernel_lock_try_share(c) && !kernel_lock_share_wait(c))
		return false;
	if (__atomic_load_n(&c->resched, __ATOMIC_RELAXED)) {
		kernel_lock_unshare(c);
		return false;
	}
	return true;
}

/* On the boot CPU before the first thread runs: the lock on, taken, and
 * each CPU of `online` (a mask) marked to run threads. */
void sched_smp_start(uint32_t online);
/* A secondary, once started: its reschedule interrupt unmasked, the lock
 * taken, the first thread to run (after idling as long as there is none),
 * the lock given back: the context to enter. */
struct uctx *sched_secondary_run(void);
/* The CPU t is the current thread of, or NULL. */
struct cpu *sched_running_cpu(const struct thread *t);
/* t, running on another CPU, stops there: the call returns once that CPU
 * is in the kernel with t's registers saved, waiting for the lock this
 * CPU holds; after it gets the lock it sees whatever was done to t (it
 * is told to reschedule). Nothing when t runs on no other CPU. */
void sched_stall(struct thread *t);
/* Move t to CPU index's ready queues (SYS_THREAD_SET_CPU). */
int sched_set_cpu(struct thread *t, unsigned index);
/* CPU c should reschedule: from another CPU, by an interrupt. */
void sched_kick(struct cpu *c);
void sched_ready(struct thread *t);          /* state RUNNABLE, enqueue */
void sched_unready(struct thread *t);        /* dequeue (state set by caller) */
void sched_yield(void);
void sched_tick(void);                       /* timer interrupt */
void sched_set_prio(struct thread *t, unsigned prio);
/*
 * The ready queues, for the scheduler and the fast paths that switch
 * threads without it (ipc/fastpath.h): t joins the tail (or the front) of
 * its level / leaves it. THREAD_F_QUEUED marks a thread on a ready queue;
 * the running thread is never on one.
 */
#define THREAD_F_QUEUED 0x80u
static inline void sched_enqueue(struct cpu *c, struct thread *t, bool front)
{
	unsigned p = t->prio;

	if (t->tflags & THREAD_F_QUEUED)
		return;
	t->tflags |= THREAD_F_QUEUED;
	if (front) {
		t->qprev = NULL;
		t->qnext = c->ready_head[p];
		if (c->ready_head[p])
			c->ready_head[p]->qprev = t;
		else
			c->ready_tail[p] = t;
		c->ready_head[p] = t;
	} else {
		t->qnext = NULL;
		t->qprev = c->ready_tail[p];
		if (c->ready_tail[p])
			c->ready_tail[p]->qnext = t;
		else
			c->ready_head[p] = t;
		c->ready_tail[p] = t;
	}
	c->ready_bits[p >> 5] |= 1u << (p & 31);
	c->ready_top |= 1u << (p >> 5);
}

static inline void sched_dequeue(struct cpu *c, struct thread *t)
{
	unsigned p = t->prio;

	if (!(t->tflags & THREAD_F_QUEUED))
		return;
	t->tflags &= (uint8_t)~THREAD_F_QUEUED;
	if (t->qprev)
		t->qprev->qnext = t->qnext;
	else
		c->ready_head[p] = t->qnext;
	if (t->qnext)
		t->qnext->qprev = t->qprev;
	else
		c->ready_tail[p] = t->qprev;
	t->qnext = t->qprev = NULL;
	if (!c->ready_head[p]) {
		c->ready_bits[p >> 5] &= ~(1u << (p & 31));
		if (!c->ready_bits[p >> 5])
			c->ready_top &= ~(1u << (p >> 5));
	}
}

/* A kernel exit that keeps the current thread without sched_pick: the
 * thread held in cpu->next goes to its queue. */
static inline void sched_settle(struct cpu *c)
{
	if (c->next) {
		sched_enqueue(c, c->next, false);
		c->next = NULL;
	}
}

/* sched_dequeue for t at the head of its level (what the scheduler picks). */
static inline void sched_dequeue_head(struct cpu *c, struct thread *t)
{
	unsigned p = t->prio;
	struct thread *n = t->qnext;

	t->tflags &= (uint8_t)~THREAD_F_QUEUED;
	c->ready_head[p] = n;
	t->qnext = NULL;
	if (n) {
		n->qprev = NULL;
		return;
	}
	c->ready_tail[p] = NULL;
	c->ready_bits[p >> 5] &= ~(1u << (p & 31));
	if (!c->ready_bits[p >> 5])
		c->ready_top &= ~(1u << (p >> 5));
}

/* Highest priority with a queued ready thread, or -1: at a system-call
 * entry (the fast paths) every ready thread is queued. */
static inline int sched_highest_queued(void)
{
	const struct cpu *c = this_cpu();
	unsigned g;

	if (!c->ready_top)
		return -1;
	g = 31u - (unsigned)__builtin_clz(c->ready_top);
	return (int)((g << 5) | (31u - (unsigned)__builtin_clz(c->ready_bits[g])));
}
/* Highest priority with a ready thread (queued or held in cpu->next), or -1. */
static inline int sched_highest_ready(void)
{
	const struct cpu *c = this_cpu();
	int q = sched_highest_queued();

	return c->next && (int)c->next->prio > q ? (int)c->next->prio : q;
}
/* Choose the thread to run at kernel exit (switching address space);
 * NULL: nothing runnable (idle). */
struct thread *sched_pick(void);
/* The thread's context to return to, after sched_pick; idles if none. */
struct uctx *sched_exit(void);

/* Append t to a FIFO of waiting threads (endpoint or notification). */
static inline void thread_q_push(struct thread **head, struct thread **tail, struct thread *t)
{
	t->qnext = NULL;
	t->qprev = *tail;
	if (*tail)
		(*tail)->qnext = t;
	else
		*head = t;
	*tail = t;
}

#endif
