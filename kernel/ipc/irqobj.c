/*
 * Interrupt handler objects: interrupt lines delivered to user-level
 * drivers through notifications.
 *
 * IRQ_GET turns a line into a CAP_IRQ_HANDLER capability (one per line;
 * only shared peripheral interrupts, 32 and up, that the kernel does not
 * use itself). IRQ_BIND points the line at a notification: when it fires,
 * the kernel masks it at the interrupt controller, marks it pending and
 * signals the notification with the capability's badge bits (1 if it has
 * none). The driver handles the device and calls IRQ_ACK, which unmasks
 * the line. When the last handler capability of a line is deleted the
 * line is unbound and masked; when a bound notification dies the line is
 * unbound (and stays masked until bound again).
 *
 * Several CPUs: a line is delivered to the CPU of the thread that bound
 * it (its driver), so that the interrupt is taken where its handler
 * thread runs; a driver moved to another CPU binds again to move it.
 */
#include <hal/plat.h>
#include <ipc/ipc.h>
#include <lib/irq.h>
#include <lib/log.h>
#include <lib/string.h>

static struct irq_line lines[IRQ_MAX];
static uint16_t handler_caps[IRQ_MAX];      /* capabilities per claimed line */

static void handler_cap_added(struct slot *s);
static void handler_cap_removed(struct slot *s);
static void unbind_ntfn(struct notification *n);

/* The line to the running CPU, if it goes elsewhere. */
static void route_here(unsigned irq, struct irq_line *l)
{
	unsigned me = this_cpu()->index;

	if (l->cpu != me) {
		plat_irq_route(irq, me);
		l->cpu = (uint8_t)me;
	}
}

/* A handler capability names a line (a = line), no object. */
static const struct obj_type irq_handler_type = {
	.name = "irq_handler",
	.cap_added = handler_cap_added,
	.cap_removed = handler_cap_removed,
};

void irqobj_init(void)
{
	obj_type_register(CAP_IRQ_HANDLER, &irq_handler_type);
	notification_set_irq_unbind(unbind_ntfn);
}

static void handler_cap_added(struct slot *s)
{
	if (s->a < IRQ_MAX)
		handler_caps[s->a]++;
}

const struct irq_line *irqobj_line(unsigned irq)
{
	return irq < IRQ_MAX ? &lines[irq] : NULL;
}

static void line_fired(unsigned irq, void *arg)
{
	struct irq_line *l = arg;

	plat_irq_mask(irq);
	l->pending = 1;
	l->delivered++;
	if (l->ntfn)
		notification_signal(l->ntfn, l->bits);
}

int irqobj_get(unsigned irq, struct slot *dst)
{
	int err;

	if (irq < 32 || irq >= IRQ_MAX || irq >= plat_irq_limit())
		return E_RANGE;
	/* (an unclaimed line with a handler is the kernel's own) */
	if (lines[irq].claimed || irq_has_handler(irq))
		return E_BUSY;
	err = cap_install_root(dst, CAP_IRQ_HANDLER, R_READ | R_WRITE, NULL, irq, 0);
	if (err)
		return err;
	memset(&lines[irq], 0, sizeof(lines[irq]));
	lines[irq].claimed = 1;
	lines[irq].cpu = 0xff;          /* (routed at its first bind) */
	return 0;
}

int irqobj_bind(struct slot *h, struct slot *ns)
{
	unsigned irq = h->a;
	struct irq_line *l;
	struct notification *n;
	int err;

	if (slot_type(ns) != CAP_NOTIFICATION)
		return E_TYPE;
	if (!(slot_rights(ns) & R_WRITE))
		return E_PERM;
	if (irq >= IRQ_MAX)
		return E_RANGE;
	l = &lines[irq];
	n = (struct notification *)ns->obj;
	route_here(irq, l);
	/* On a claimed line the only handler is ours: registered at the
	 * first bind, kept until the line is released. */
	if (!irq_has_handler(irq)) {
		err = irq_register(irq, line_fired, l);     /* unmasks */
		if (err)
			return err;
	} else if (!l->pending) {
		plat_irq_unmask(irq);
	}
	_Static_assert(IRQ_MAX <= UINT16_MAX, "irqs_bound: one per line at most");
	if (l->ntfn)
		l->ntfn->irqs_bound--;
	l->ntfn = n;
	l->bits = ns->a ? ns->a : 1;
	n->irqs_bound++;
	return 0;
}

int irqobj_ack(struct slot *h)
{
	unsigned irq = h->a;
	struct irq_line *l;

	if (irq >= IRQ_MAX)
		return E_RANGE;
	l = &lines[irq];
	if (!l->pending)
		return E_STATE;
	l->pending = 0;
	if (l->ntfn)
		plat_irq_unmask(irq);
	return 0;
}

/* The last handler capability of a line is gone: unbind and mask it. */
static void release(unsigned irq)
{
	struct irq_line *l = &lines[irq];

	if (irq_has_handler(irq))
		irq_unregister(irq);
	if (l->ntfn)
		l->ntfn->irqs_bound--;
	memset(l, 0, sizeof(*l));
}

static void handler_cap_removed(struct slot *s)
{
	if (s->a < IRQ_MAX && handler_caps[s->a] && --handler_caps[s->a] == 0)
		release(s->a);
}

/* A notification is going away: unbind the lines signalling it. */
static void unbind_ntfn(struct notification *n)
{
	for (unsigned i = 0; i < IRQ_MAX && n->irqs_bound; i++)
		if (lines[i].ntfn == n) {
			plat_irq_mask(i);
			lines[i].ntfn = NULL;
			n->irqs_bound--;
		}
}

int irqobj_check(uint32_t irqs_bound, uint32_t *items, const char **why)
{
	uint32_t bound = 0;
	const char *w = NULL;

	for (unsigned irq = 0; irq < IRQ_MAX && !w; irq++) {
		const struct irq_line *l = &lines[irq];

		(*items)++;
		if (!l->claimed != !handler_caps[irq])
			w = "an IRQ line claimed without a handler capability, or the reverse";
		else if (l->ntfn && !l->claimed)
			w = "an IRQ line bound to a notification but not claimed";
		else if (l->ntfn && (l->ntfn->obj.type != CAP_NOTIFICATION ||
				     (l->ntfn->obj.flags & KOBJ_DYING)))
			w = "an IRQ line signals no live notification";
		bound += l->ntfn != NULL;
	}
	if (!w && bound != irqs_bound)
		w = "IRQ lines bound differ from what the notifications count";
	if (w) {
		*why = w;
		return E_FORMAT;
	}
	return 0;
}
