/*
 * ARM generic timer (CP15 physical timer, non-secure PL1) as the kernel
 * tick source and clock.
 *
 * The counter CNTPCT runs at CNTFRQ (62.5 MHz on QEMU virt); plat_time_ns
 * converts it without 64-bit overflow. The tick is programmed through the
 * absolute compare value CNTP_CVAL, advanced by one period per tick so the
 * tick rate does not drift with interrupt latency. The interrupt number is
 * the /timer node's non-secure physical PPI (PPI 14 = GIC ID 30 on virt).
 */
#include <arch/cpu.h>
#include <hal/plat.h>
#include <lib/error.h>
#include <lib/irq.h>

#include "virt.h"

#define CNTP_CTL_ENABLE 1u
#define CNTP_CTL_IMASK 2u

static uint32_t freq;
static uint64_t period;
static uint64_t ticks;
static unsigned timer_irq;
static void (*tick_hook)(void);

static uint32_t counter_freq(void)
{
	if (!freq)
		freq = read_cntfrq();
	return freq;
}

uint64_t plat_time_ns(void)
{
	uint64_t cnt = read_cntpct();
	uint32_t f = counter_freq();

	if (!f)
		return 0;
	return cnt / f * 1000000000ull + cnt % f * 1000000000ull / f;
}

void plat_timer_set_tick(void (*fn)(void))
{
	tick_hook = fn;
}

uint64_t plat_timer_ticks(void)
{
	return ticks;
}

unsigned plat_timer_irq(void)
{
	return timer_irq;
}

static void timer_tick(unsigned irq, void *arg)
{
	uint64_t now = read_cntpct();
	uint64_t next = read_cntp_cval() + period;

	(void)irq;
	(void)arg;
	ticks++;
	if (next <= now) /* we fell behind (e.g. long masked section) */
		next = now + period;
	write_cntp_cval(next);
	isb();
	if (tick_hook)
		tick_hook();    /* the scheduler counts the running thread's turn */
}

int plat_timer_start(unsigned irq, unsigned hz)
{
	int err;

	if (hz == 0 || counter_freq() == 0 || hz > counter_freq())
		return E_INVAL;
	period = counter_freq() / hz;
	timer_irq = irq;
	write_cntp_ctl(CNTP_CTL_IMASK);
	write_cntp_cval(read_cntpct() + period);
	err = irq_register(irq, timer_tick, NULL);
	if (err)
		return err;
	write_cntp_ctl(CNTP_CTL_ENABLE);
	/* CNTKCTL.PL0VCTEN: user mode may read the virtual count and the
	 * frequency (a clock, like CLOCK_MONOTONIC); nothing else of the
	 * timer is reachable from user mode. */
	__asm__ volatile("mcr p15, 0, %0, c14, c1, 0" ::"r"(1u << 1));
	isb();
	return 0;
}
