/*
 * ARM generic timer (CP15 physical timer, non-secure PL1) as the kernel
 * tick source and clock.
 *
 * The counter CNTPCT runs at CNTFRQ (62.5 MHz on QEMU virt); plat_time_ns
 * converts it without 64-bit overflow. The tick is programmed through the
 * absolute compare value CNTP_CVAL, advanced by one period per tick so the
 * tick rate does not drift with interrupt latency. The interrupt number is
 * the /timer node's non-secure physical PPI (PPI 14 = GIC ID 30 on virt).
 *
 * Every CPU has its own timer and its own bank of the PPI: the boot CPU
 * registers the handler and starts its tick (plat_timer_start), each
 * secondary starts its own with the same period (plat_timer_init_cpu).
 * Each CPU counts its ticks in its own slot of ticks[]; only that CPU
 * writes it, others read it whole (64-bit atomic accesses).
 */
#include <arch/cpu.h>
#include <hal/arch.h>
#include <hal/plat.h>
#include <lib/error.h>
#include <lib/irq.h>

#include "virt.h"

#define CNTP_CTL_ENABLE 1u
#define CNTP_CTL_IMASK 2u

static uint32_t freq;
static uint64_t period;
static uint64_t ticks[HAL_MAX_CPUS];
static unsigned timer_irq;
static void (*tick_hook)(void);

static void timer_enable(void);

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
	return plat_timer_cpu_ticks(arch_cpu_index());
}

uint64_t plat_timer_cpu_ticks(unsigned index)
{
	return index < HAL_MAX_CPUS ? __atomic_load_n(&ticks[index], __ATOMIC_RELAXED) : 0;
}

unsigned plat_timer_irq(void)
{
	return timer_irq;
}

static void timer_tick(unsigned irq, void *arg)
{
	uint64_t now = read_cntpct();
	uint64_t next = read_cntp_cval() + period;
	uint64_t *mine = &ticks[arch_cpu_index()];

	(void)irq;
	(void)arg;
	__atomic_store_n(mine, *mine + 1, __ATOMIC_RELAXED);
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
	timer_enable();
	return 0;
}

/* This CPU's timer on (its first compare value already set). */
static void timer_enable(void)
{
	write_cntp_ctl(CNTP_CTL_ENABLE);
	/* CNTKCTL.PL0VCTEN: user mode may read the virtual count and the
	 * frequency (a clock, like CLOCK_MONOTONIC); nothing else of the
	 * timer is reachable from user mode. */
	__asm__ volatile("mcr p15, 0, %0, c14, c1, 0" ::"r"(1u << 1));
	isb();
}

int plat_timer_init_cpu(void)
{
	if (!period || !irq_has_handler(timer_irq))
		return E_NOENT;
	write_cntp_ctl(CNTP_CTL_IMASK);
	write_cntp_cval(read_cntpct() + period);
	plat_irq_unmask(timer_irq);             /* this CPU's bank of the PPI */
	timer_enable();
	return 0;
}
