/*
 * Host fakes of hal/uarch.h and their controls (tests/host/uarch_fakes.c).
 */
#ifndef UARCH_FAKES_H
#define UARCH_FAKES_H

#include <hal/uarch.h>

void ufake_reset(void);
/* uarch_irq_pending() returns true on every n-th call (0: never). */
void ufake_irq_pending_every(unsigned n);
/* How many times it returned true. */
unsigned ufake_irq_pending_hits(void);
/* Unmaps done (each stands for a TLB invalidation). */
unsigned ufake_invalidations(void);
/* Live mappings of vs. */
unsigned ufake_mappings(const struct uarch_vs *vs);
/* Is the line masked at the fake interrupt controller? */
bool ufake_irq_masked(unsigned irq);
/* Called by each arch_spin_relax (NULL: nothing): what other CPUs do
 * while this one waits. */
void ufake_on_relax(void (*fn)(void));

#endif
