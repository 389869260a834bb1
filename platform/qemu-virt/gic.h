/*
 * GICv2 distributor and CPU interface.
 */
#ifndef PLAT_GIC_H
#define PLAT_GIC_H

#include <lib/types.h>

#define GIC_SPI_BASE 32
#define GIC_PPI_BASE 16

void gic_init(volatile void *dist, volatile void *cpu);
unsigned gic_num_irqs(void);
void gic_enable(unsigned irq);
void gic_disable(unsigned irq);
/* Acknowledge the highest-priority pending interrupt: returns the IAR value;
 * (iar & 0x3ff) >= 1020 means spurious. */
uint32_t gic_ack(void);
void gic_eoi(uint32_t iar);

#endif
