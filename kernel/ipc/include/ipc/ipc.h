/*
 * IPC: endpoints, notifications, replies, fault messages (ipc.c), and
 * interrupt handler objects (irqobj.c); the fast paths are in
 * ipc/fastpath.h. docs/ipc.md has the semantics.
 */
#ifndef CAIRN_IPC_H
#define CAIRN_IPC_H

#include <sched/thread.h>

/* Register the endpoint, notification and reply types (and the thread IPC
 * hooks); irqobj_init the IRQ handler type. */
void ipc_init(void);
void irqobj_init(void);

/* An endpoint: a FIFO of blocked senders or of blocked receivers. */
struct endpoint {
	struct kobj obj;
	struct thread *head;         /* blocked senders or receivers */
	struct thread *tail;
	uint8_t state;               /* EP_IDLE, EP_SEND, EP_RECV */
	uint8_t home;                /* the one CPU whose shared fast paths may use it (fastpath.h) */
	uint8_t reserved[2];
};
enum { EP_IDLE = 0, EP_SEND = 1, EP_RECV = 2 };

/* A notification: a word of signalled bits and the threads waiting for it. */
struct notification {
	struct kobj obj;
	uint32_t word;               /* signalled bits */
	struct thread *head;         /* waiting threads */
	struct thread *tail;
	uint16_t irqs_bound;         /* IRQ handlers pointing here (at most IRQ_MAX) */
	uint8_t home;                /* the one CPU whose shared fast paths may use it (fastpath.h) */
	uint8_t reserved;
	struct thread *bound;        /* thread it is bound to, or NULL */
};

int endpoint_create(struct account *a, struct endpoint **out);
int notification_create(struct account *a, struct notification **out);

/* The IPC system calls on the current thread t (registers in t->ctx),
 * given the slot its cptr names (looked up; the type is checked here).
 * They return 0 when the result registers are set (or t blocked), or a
 * negative error to be put in r0. */
int ipc_send(struct thread *t, struct slot *s, bool block, bool call);
int ipc_recv(struct thread *t, struct slot *s, bool block);
int ipc_reply(struct thread *t);
int ipc_reply_recv(struct thread *t, struct slot *s);
int ipc_save_reply(struct thread *t, struct slot *dst);
/* Cancel whatever t is blocked on (E_CANCELLED in r0 when it runs). */
void ipc_cancel(struct thread *t, int err);
/* The fast paths for CALL and REPLY_RECV are in ipc/fastpath.h. */
/* THREAD_BIND: bind notification n (NULL: unbind) to t. E_BUSY if either
 * is bound elsewhere. */
int thread_bind_ntfn(struct thread *t, struct notification *n);
/* Notifications: signal from the kernel (IRQs) or SEND. */
void notification_signal(struct notification *n, uint32_t bits);
/* Called when a notification with IRQ lines bound to it (irqs_bound) dies,
 * to unbind them (registered by irqobj_init). */
void notification_set_irq_unbind(void (*unbind)(struct notification *n));
/* A fault of t: a call on its fault endpoint, or stop it. */
void fault_deliver(struct thread *t, const struct ufault *f);

/* The invariant walkers of this layer: every endpoint's and
 * notification's queue against the states of the threads on it, calls
 * against replies (caller/callee, saved reply capabilities), notification
 * bindings; *irqs_bound gets the IRQ lines all notifications count as
 * bound to them, which irqobj_check compares with the lines (irqobj.c).
 * 0 or E_FORMAT with *why. */
int ipc_check(uint32_t *items, uint32_t *irqs_bound, const char **why);
int irqobj_check(uint32_t irqs_bound, uint32_t *items, const char **why);

/* Interrupt handler objects (kernel/ipc/irqobj.c). */
struct irq_line {
	struct notification *ntfn;   /* bound notification or NULL */
	uint32_t bits;               /* badge bits signalled */
	uint8_t claimed;             /* a handler capability exists */
	uint8_t pending;             /* delivered, not yet acknowledged */
	uint8_t cpu;                 /* the CPU it is delivered to (that of its last bind) */
	uint8_t reserved;
	uint64_t delivered;
};
int irqobj_get(unsigned irq, struct slot *dst);       /* IRQ_GET */
int irqobj_bind(struct slot *h, struct slot *ntfn);   /* IRQ_BIND */
int irqobj_ack(struct slot *h);                       /* IRQ_ACK */
const struct irq_line *irqobj_line(unsigned irq);

#endif
