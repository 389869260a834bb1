/*
 * Interrupt handler registry: one slot per interrupt number, plus counters
 * for observability (the shell's interrupt statistics, tests). Called with
 * interrupts masked; registration masks interrupts itself. Several CPUs:
 * registration happens on the boot CPU only (a secondary only reads the
 * slot of its timer PPI, registered before it starts), and the counters,
 * which every CPU's interrupts bump, are atomic.
 */
#include <hal/arch.h>
#include <lib/error.h>
#include <lib/irq.h>
#include <lib/log.h>

struct irq_slot {
	irq_handler_fn fn;
	void *arg;
	uint64_t count;
};

static struct irq_slot slots[IRQ_MAX];
static uint64_t unhandled;

int irq_register(unsigned irq, irq_handler_fn fn, void *arg)
{
	uint32_t flags;

	if (irq >= IRQ_MAX || irq >= plat_irq_limit() || !fn)
		return E_RANGE;
	flags = arch_irq_save();
	if (slots[irq].fn) {
		arch_irq_restore(flags);
		return E_BUSY;
	}
	slots[irq].fn = fn;
	slots[irq].arg = arg;
	plat_irq_unmask(irq);
	arch_irq_restore(flags);
	return 0;
}

void irq_unregister(unsigned irq)
{
	uint32_t flags;

	if (irq >= IRQ_MAX)
		return;
	flags = arch_irq_save();
	plat_irq_mask(irq);
	slots[irq].fn = NULL;
	slots[irq].arg = NULL;
	arch_irq_restore(flags);
}

void irq_handle(unsigned irq)
{
	if (irq >= IRQ_MAX || !slots[irq].fn) {
		unhandled++;
		if (irq < IRQ_MAX)
			plat_irq_mask(irq);
		pr_warn("irq: unexpected interrupt %u masked", irq);
		return;
	}
	__atomic_fetch_add(&slots[irq].count, 1, __ATOMIC_RELAXED);
	slots[irq].fn(irq, slots[irq].arg);
}

bool irq_has_handler(unsigned irq)
{
	return irq < IRQ_MAX && slots[irq].fn != NULL;
}

uint64_t irq_count(unsigned irq)
{
	return irq < IRQ_MAX ? __atomic_load_n(&slots[irq].count, __ATOMIC_RELAXED) : 0;
}

uint64_t irq_spurious_count(void)
{
	return unhandled;
}
