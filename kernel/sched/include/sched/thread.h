/*
 * Threads, the scheduler, and IPC (endpoints, notifications, replies,
 * interrupt handlers, fault delivery).
 *
 * Scheduling: 256 priorities (255 highest), one FIFO ready queue per
 * priority and a two-level bitmap to find the highest non-empty one in
 * O(1); round-robin within a level on timer ticks (THREAD_TIMESLICE ticks
 * per turn); a thread made runnable at a higher priority than the current
 * one preempts it at the next kernel exit.
 *
 * Per-CPU state (current thread, ready queues, idle) lives in struct cpu;
 * there is one now, see docs/architecture.md for the plan with more.
 */
#ifndef CAIRN_THREAD_H
#define CAIRN_THREAD_H

#include <cap/cap.h>

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
	uint16_t reserved;
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
	bool resched;                /* pick again before leaving the kernel */
	bool vs_dirty;               /* TTBR0 may not be cur's address space */
	uint32_t switches;
	uint32_t idle_cycles;        /* cycle counter time spent idle (wraps) */
	uint64_t ticks;
};
extern struct cpu cpu0;
static inline struct cpu *this_cpu(void) { return &cpu0; }
static inline struct thread *cur_thread(void) { return cpu0.cur; }

int thread_create(struct account *a, struct thread **out);
/* Called by the reaper: stop t, cancel its IPC, drop its internal slots. */
void thread_destroy(struct thread *t);
/* All threads (reports): first, then ->all_next. */
struct thread *thread_first(void);
void thread_set_name(struct thread *t, const char *name);
/* THREAD_CONFIGURE: copies of the caps into the internal slots. */
int thread_configure(struct thread *t, struct slot *cspace, struct slot *vspace,
		     struct slot *ipcbuf, struct slot *fault_ep);
int thread_resume(struct thread *t);
int thread_suspend(struct thread *t);
int thread_set_prio(struct thread *t, unsigned prio, unsigned mcp);
/* Cancel whatever t is blocked on (E_CANCELLED in r0 when it runs). */
void thread_cancel_ipc(struct thread *t, int err);
/* Called when an internal slot is deleted (the vspace or cspace went
 * away): the thread is stopped if it can no longer run. */
void thread_slot_lost(struct thread *t, unsigned which);

/* Scheduler. */
void sched_init(void);
void sched_ready(struct thread *t);          /* state RUNNABLE, enqueue */
void sched_unready(struct thread *t);        /* dequeue (state set by caller) */
void sched_yield(void);
void sched_tick(void);                       /* timer interrupt */
void sched_set_prio(struct thread *t, unsigned prio);
/* Highest priority with a ready thread, or -1. */
static inline int sched_highest_ready(void)
{
	const struct cpu *c = this_cpu();
	unsigned g;

	if (!c->ready_top)
		return -1;
	g = 31u - (unsigned)__builtin_clz(c->ready_top);
	return (int)((g << 5) | (31u - (unsigned)__builtin_clz(c->ready_bits[g])));
}
/* Choose the thread to run at kernel exit (switching address space);
 * NULL: nothing runnable (idle). */
struct thread *sched_pick(void);
/* The thread's context to return to, after sched_pick; idles if none. */
struct uctx *sched_exit(void);

/* IPC (kernel/ipc/ipc.c). Each takes the current thread and the slot named by
 * its cptr (already looked up; type checked here). Results go into the
 * current thread's context registers. */
struct endpoint {
	struct kobj obj;
	struct thread *head;         /* blocked senders or receivers */
	struct thread *tail;
	uint8_t state;               /* EP_IDLE, EP_SEND, EP_RECV */
	uint8_t reserved[3];
};
enum { EP_IDLE = 0, EP_SEND = 1, EP_RECV = 2 };

struct notification {
	struct kobj obj;
	uint32_t word;               /* signalled bits */
	struct thread *head;         /* waiting threads */
	struct thread *tail;
	uint32_t irqs_bound;         /* IRQ handlers pointing here */
	struct thread *bound;        /* thread it is bound to, or NULL */
};

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

int endpoint_create(struct account *a, struct endpoint **out);
int notification_create(struct account *a, struct notification **out);
void endpoint_destroy(struct endpoint *ep);          /* cancels every waiter */
void notification_destroy(struct notification *n);

/* System calls on the current thread t (registers in t->ctx). They return
 * 0 when the result registers are set (or t blocked), or a negative error
 * to be put in r0. */
int ipc_send(struct thread *t, struct slot *s, bool block, bool call);
int ipc_recv(struct thread *t, struct slot *s, bool block);
int ipc_reply(struct thread *t);
int ipc_reply_recv(struct thread *t, struct slot *s);
int ipc_save_reply(struct thread *t, struct slot *dst);
/* A CAP_REPLY capability is being deleted: its caller gets E_CANCELLED. */
void reply_cap_deleted(struct slot *s);
/* The fast paths for CALL and REPLY_RECV are in ipc/fastpath.h. */
/* THREAD_BIND: bind notification n (NULL: unbind) to t. E_BUSY if either
 * is bound elsewhere. */
int thread_bind_ntfn(struct thread *t, struct notification *n);
/* Notifications: signal from the kernel (IRQs) or SEND. */
void notification_signal(struct notification *n, uint32_t bits);
/* A fault of t: a call on its fault endpoint, or stop it. */
void fault_deliver(struct thread *t, const struct ufault *f);

/* Interrupt handler objects (kernel/ipc/irqobj.c). */
struct irq_line {
	struct notification *ntfn;   /* bound notification or NULL */
	uint32_t bits;               /* badge bits signalled */
	uint8_t claimed;             /* a handler capability exists */
	uint8_t pending;             /* delivered, not yet acknowledged */
	uint16_t reserved;
	uint64_t delivered;
};
int irqobj_get(unsigned irq, struct slot *dst);       /* IRQ_GET */
int irqobj_bind(struct slot *h, struct slot *ntfn);   /* IRQ_BIND */
int irqobj_ack(struct slot *h);                       /* IRQ_ACK */
/* A notification is going away: unbind the lines signalling it. */
void irqobj_unbind_ntfn(struct notification *n);
const struct irq_line *irqobj_line(unsigned irq);
void irqobj_release(unsigned irq);                    /* last handler cap deleted */

#endif
