/*
 * Interrupt handler registry.
 *
 * The platform acknowledges an interrupt, calls irq_handle() with its
 * number and signals end-of-interrupt afterwards. Handlers run with
 * interrupts masked and must be short.
 */
#ifndef CAIRN_IRQ_H
#define CAIRN_IRQ_H

#include <lib/types.h>

#define IRQ_MAX 1024

typedef void (*irq_handler_fn)(unsigned irq, void *arg);

/* Install a handler and unmask the interrupt. E_RANGE for a bad number,
 * E_BUSY if one is installed already. */
int irq_register(unsigned irq, irq_handler_fn fn, void *arg);
void irq_unregister(unsigned irq);
/* Dispatch; an interrupt without handler is counted and masked. */
void irq_handle(unsigned irq);
/* Is a handler registered for irq? */
bool irq_has_handler(unsigned irq);
uint64_t irq_count(unsigned irq);
uint64_t irq_spurious_count(void);

/* Platform hooks used by the registry. */
void plat_irq_unmask(unsigned irq);
void plat_irq_mask(unsigned irq);
unsigned plat_irq_limit(void);

#endif
