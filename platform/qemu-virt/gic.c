/*
 * GICv2 driver.
 *
 * All shared peripheral interrupts are routed to CPU 0, level/edge as
 * configured by firmware, one priority (0xa0) for everything; the CPU
 * interface passes every priority (PMR 0xf0). Interrupts stay disabled at
 * the distributor until a handler is registered for them.
 *
 * Several CPUs: the CPU interface and the distributor's registers of
 * interrupts 0-31 (SGIs, PPIs: enable, pending, priority) are banked per
 * core at the same addresses, so each secondary sets up its own bank
 * (gic_init_cpu) after the boot CPU's gic_init; enabling a PPI enables it
 * for the calling core only. SPIs are routed to CPU 0 until
 * gic_route sends one to another core (the CPU of the thread that
 * handles it). SGI 0 is the reschedule interrupt between cores.
 */
#include "gic.h"

volatile char *gic_dist;
volatile char *gic_cpu;
unsigned gic_nirqs;

void gic_init(volatile void *dist, volatile void *cpu)
{
	gic_dist = dist;
	gic_cpu = cpu;
	gic_w32(gic_dist, GICD_CTLR, 0);
	gic_nirqs = ((gic_r32(gic_dist, GICD_TYPER) & 0x1f) + 1) * 32;
	if (gic_nirqs > 1020)
		gic_nirqs = 1020;
	for (unsigned i = 0; i < gic_nirqs; i += 32) {
		gic_w32(gic_dist, GICD_ICENABLER + i / 8, 0xffffffff);
		gic_w32(gic_dist, GICD_ICPENDR + i / 8, 0xffffffff);
	}
	for (unsigned i = 0; i < gic_nirqs; i += 4) {
		gic_w32(gic_dist, GICD_IPRIORITYR + i, 0xa0a0a0a0);
		if (i >= GIC_SPI_BASE)
			gic_w32(gic_dist, GICD_ITARGETSR + i, 0x01010101);
	}
	gic_w32(gic_dist, GICD_CTLR, 1);
	gic_w32(gic_cpu, GICC_PMR, 0xf0);
	gic_w32(gic_cpu, GICC_BPR, 0);
	gic_w32(gic_cpu, GICC_CTLR, 1);
}

unsigned gic_num_irqs(void)
{
	return gic_nirqs;
}

void gic_init_cpu(void)
{
	gic_w32(gic_dist, GICD_ICENABLER, 0xffffffff);
	gic_w32(gic_dist, GICD_ICPENDR, 0xffffffff);
	for (unsigned i = 0; i < GIC_SPI_BASE; i += 4)
		gic_w32(gic_dist, GICD_IPRIORITYR + i, 0xa0a0a0a0);
	gic_w32(gic_cpu, GICC_PMR, 0xf0);
	gic_w32(gic_cpu, GICC_BPR, 0);
	gic_w32(gic_cpu, GICC_CTLR, 1);
}

void gic_send_sgi(unsigned sgi, unsigned cpu)
{
	/* TargetListFilter 0: the CPUs of the list; the write is the
	 * interrupt, so everything before it must be visible first. */
	__asm__ volatile("dsb ishst" ::: "memory");
	gic_w32(gic_dist, GICD_SGIR, (1u << (16 + cpu)) | (sgi & 0xfu));
}

void gic_route(unsigned irq, unsigned cpu)
{
	volatile uint8_t *t = (volatile uint8_t *)(gic_dist + GICD_ITARGETSR + irq);

	if (irq >= GIC_SPI_BASE && irq < gic_nirqs && cpu < 8)
		*t = (uint8_t)(1u << cpu);
}
