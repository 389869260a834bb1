/*
 * QEMU virt board glue: implements the platform contract (hal/plat.h) on
 * top of the PL011, GICv2, generic-timer and PSCI drivers, taking every
 * address and interrupt number from the device tree.
 *
 * Board knowledge used before the device tree is parsed: the early console
 * is the PL011 at VIRT_EARLY_UART (QEMU virt's first UART), reached through
 * the boot identity map; it is replaced by the /chosen/stdout-path device
 * as soon as that is known, and is gone with the identity map.
 */
#include <arch/cpu.h>
#include <fw/dt.h>
#include <hal/arch.h>
#include <hal/plat.h>
#include <lib/error.h>
#include <lib/irq.h>
#include <lib/log.h>
#include <lib/printf.h>
#include <lib/string.h>

#include "gic.h"
#include "pl011.h"
#include "virt.h"

#define VIRT_EARLY_UART 0x09000000u


static volatile void *uart;
static char console_name[64] = "none";

static void uart_sink(const char *s, size_t len)
{
	if (uart)
		pl011_write(uart, s, len);
}

void plat_early_console_init(void)
{
	uart = (volatile void *)(uintptr_t)VIRT_EARLY_UART;
	ksnprintf(console_name, sizeof(console_name), "pl011@0x%x (early, board default)",
		  VIRT_EARLY_UART);
	log_set_sink(uart_sink);
}

const char *plat_console_name(void)
{
	return console_name;
}

static int console_from_dt(const struct dt_info *dt);

/*
 * The console named by /chosen/stdout-path; when that is unusable, the
 * board UART, mapped into the device window like any device: the early
 * console reaches it through the boot identity map, which arch_mmu_init
 * removes, so keeping it would hang the first line printed after that.
 */
int plat_console_init(const struct dt_info *dt)
{
	int err = console_from_dt(dt);
	volatile void *base;

	if (!err)
		return 0;
	base = arch_ioremap(VIRT_EARLY_UART, 0x1000);
	if (base) {
		uart = base;
		ksnprintf(console_name, sizeof(console_name),
			  "pl011@0x%x (board default: stdout-path unusable)", VIRT_EARLY_UART);
	}
	return err;
}

static int console_from_dt(const struct dt_info *dt)
{
	const struct dt_device *dev;
	volatile void *base;

	if (!dt->stdout_path[0])
		return E_NOENT;
	dev = dt_device_by_path(dt, dt->stdout_path);
	if (!dev)
		return E_NOENT;
	if (!dt_device_is_compatible(dev, "arm,pl011"))
		return E_NOSYS;
	if (dev->nreg < 1 || !dev->reg[0].translated || dev->reg[0].size < 0x1000)
		return E_RANGE;
	base = arch_ioremap(dev->reg[0].base, 0x1000);
	if (!base)
		return E_NOMEM;
	pl011_init(base);
	uart = base;
	ksnprintf(console_name, sizeof(console_name), "pl011@0x%llx from %s",
		  (unsigned long long)dev->reg[0].base, dt->stdout_path);
	return 0;
}

/* ---- interrupts ---- */

int plat_irq_init(const struct dt_info *dt)
{
	volatile void *d, *c;

	if (!dt->gic.present)
		return E_NOENT;
	d = arch_ioremap(dt->gic.dist_base, 0x1000);
	c = arch_ioremap(dt->gic.cpu_base, 0x2000);
	if (!d || !c)
		return E_NOMEM;
	gic_init(d, c);
	pr_info("gic: GICv2, distributor 0x%llx, cpu interface 0x%llx, %u interrupts",
		(unsigned long long)dt->gic.dist_base, (unsigned long long)dt->gic.cpu_base,
		gic_num_irqs());
	return 0;
}

int plat_irq_init_cpu(void)
{
	if (!gic_dist)
		return E_NOENT;
	gic_init_cpu();
	return 0;
}

void plat_irq_dispatch(void)
{
	for (;;) {
		uint32_t iar = gic_ack();
		unsigned id = iar & 0x3ff;

		if (id >= 1020)
			return;
		irq_handle(id);
		gic_eoi(iar);
	}
}

void plat_irq_unmask(unsigned irq)
{
	gic_enable(irq);
}

void plat_irq_mask(unsigned irq)
{
	gic_disable(irq);
}

unsigned plat_irq_limit(void)
{
	return gic_num_irqs();
}

/* The inter-processor interrupts are SGIs 0 (PLAT_IPI_RESCHED) and 1
 * (PLAT_IPI_LOCK). */
void plat_ipi_send(unsigned index, enum plat_ipi ipi)
{
	gic_send_sgi((unsigned)ipi, index);
}

unsigned plat_ipi_irq(enum plat_ipi ipi)
{
	return (unsigned)ipi;
}

void plat_irq_route(unsigned irq, unsigned index)
{
	gic_route(irq, index);
}

/* ---- timer ---- */

int plat_timer_init(const struct dt_info *dt, unsigned hz)
{
	unsigned ppi;
	int err;

	/* /timer interrupts: secure phys, non-secure phys, virt, hyp (PPIs);
	 * the kernel runs non-secure PL1 and uses the non-secure physical one. */
	if (!dt->timer.present || dt->timer.nppi < 2)
		return E_NOENT;
	ppi = dt->timer.ppi[1];
	if (ppi >= 16)
		return E_RANGE;
	err = plat_timer_start(GIC_PPI_BASE + ppi, hz);
	if (err)
		return err;
	pr_info("timer: generic timer %u Hz, %u Hz tick on PPI %u (irq %u)",
		(unsigned)read_cntfrq(), hz, ppi, GIC_PPI_BASE + ppi);
	return 0;
}

/* ---- power ---- */

void plat_psci_init(const struct dt_info *dt)
{
	plat_psci_set_method(dt->psci_method[0] ? dt->psci_method : NULL);
}
