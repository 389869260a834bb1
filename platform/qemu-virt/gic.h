/*
 * GICv2 distributor and CPU interface. The per-interrupt operations are
 * inline: they are on the path of every interrupt (acknowledge, mask,
 * end) and of every acknowledgement from a user-level driver (unmask).
 */
#ifndef PLAT_GIC_H
#define PLAT_GIC_H

#include <lib/types.h>

#define GIC_SPI_BASE 32
#define GIC_PPI_BASE 16

#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ICPENDR 0x280
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800
#define GICD_SGIR 0xf00

#define GICC_CTLR 0x000
#define GICC_PMR 0x004
#define GICC_BPR 0x008
#define GICC_IAR 0x00c
#define GICC_EOIR 0x010

/* Set once by gic_init. */
extern volatile char *gic_dist;
extern volatile char *gic_cpu;
extern unsigned gic_nirqs;

static inline void gic_w32(volatile char *base, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(base + off) = v;
}

static inline uint32_t gic_r32(volatile char *base, uint32_t off)
{
	return *(volatile uint32_t *)(base + off);
}

void gic_init(volatile void *dist, volatile void *cpu);
unsigned gic_num_irqs(void);
/* A secondary CPU's own interface and banked distributor registers. */
void gic_init_cpu(void);
/* Raise software-generated interrupt sgi (0-15) on CPU cpu. */
void gic_send_sgi(unsigned sgi, unsigned cpu);
/* Deliver shared interrupt irq to CPU cpu only. */
void gic_route(unsigned irq, unsigned cpu);

static inline void gic_enable(unsigned irq)
{
	if (irq < gic_nirqs)
		gic_w32(gic_dist, GICD_ISENABLER + (irq / 32) * 4, 1u << (irq % 32));
}

static inline void gic_disable(unsigned irq)
{
	if (irq < gic_nirqs)
		gic_w32(gic_dist, GICD_ICENABLER + (irq / 32) * 4, 1u << (irq % 32));
}

/* Acknowledge the highest-priority pending interrupt: returns the IAR value;
 * (iar & 0x3ff) >= 1020 means spurious. */
static inline uint32_t gic_ack(void)
{
	return gic_r32(gic_cpu, GICC_IAR);
}

static inline void gic_eoi(uint32_t iar)
{
	gic_w32(gic_cpu, GICC_EOIR, iar);
}

#endif
