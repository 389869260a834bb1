/*
 * GICv2 driver.
 *
 * All shared peripheral interrupts are routed to CPU 0, level/edge as
 * configured by firmware, one priority (0xa0) for everything; the CPU
 * interface passes every priority (PMR 0xf0). Interrupts stay disabled at
 * the distributor until a handler is registered for them.
 */
#include "gic.h"

#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ICPENDR 0x280
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800

#define GICC_CTLR 0x000
#define GICC_PMR 0x004
#define GICC_BPR 0x008
#define GICC_IAR 0x00c
#define GICC_EOIR 0x010

static volatile char *gicd;
static volatile char *gicc;
static unsigned nirqs;

static inline void w32(volatile char *base, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(base + off) = v;
}

static inline uint32_t r32(volatile char *base, uint32_t off)
{
	return *(volatile uint32_t *)(base + off);
}

void gic_init(volatile void *dist, volatile void *cpu)
{
	gicd = dist;
	gicc = cpu;
	w32(gicd, GICD_CTLR, 0);
	nirqs = ((r32(gicd, GICD_TYPER) & 0x1f) + 1) * 32;
	if (nirqs > 1020)
		nirqs = 1020;
	for (unsigned i = 0; i < nirqs; i += 32) {
		w32(gicd, GICD_ICENABLER + i / 8, 0xffffffff);
		w32(gicd, GICD_ICPENDR + i / 8, 0xffffffff);
	}
	for (unsigned i = 0; i < nirqs; i += 4) {
		w32(gicd, GICD_IPRIORITYR + i, 0xa0a0a0a0);
		if (i >= GIC_SPI_BASE)
			w32(gicd, GICD_ITARGETSR + i, 0x01010101);
	}
	w32(gicd, GICD_CTLR, 1);
	w32(gicc, GICC_PMR, 0xf0);
	w32(gicc, GICC_BPR, 0);
	w32(gicc, GICC_CTLR, 1);
}

unsigned gic_num_irqs(void)
{
	return nirqs;
}

void gic_enable(unsigned irq)
{
	if (irq < nirqs)
		w32(gicd, GICD_ISENABLER + (irq / 32) * 4, 1u << (irq % 32));
}

void gic_disable(unsigned irq)
{
	if (irq < nirqs)
		w32(gicd, GICD_ICENABLER + (irq / 32) * 4, 1u << (irq % 32));
}

uint32_t gic_ack(void)
{
	return r32(gicc, GICC_IAR);
}

void gic_eoi(uint32_t iar)
{
	w32(gicc, GICC_EOIR, iar);
}
