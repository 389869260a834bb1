/*
 * Small architecture services: interrupt masking, the PMU cycle counter,
 * leaving the machine (semihosting exit or PSCI), early physical access.
 */
#include <arch/cpu.h>
#include <arch/internal.h>
#include <arch/memlayout.h>
#include <arch/trap.h>
#include <hal/arch.h>
#include <hal/plat.h>
#include <lib/spinlock.h>

#define SEMIHOST_SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

bool arch_identity_gone;

uint32_t arch_irq_save(void)
{
	uint32_t cpsr = read_cpsr();

	irq_disable();
	return cpsr & CPSR_I;
}

/* Exactly the state saved: masked again if it was masked, whatever ran
 * between (the idle loop enables interrupts to take them, and its caller
 * must go back to user mode with them masked: from the moment sp names a
 * thread's context, an interrupt would push its frame below it). */
void arch_irq_restore(uint32_t state)
{
	if (state)
		irq_disable();
	else
		irq_enable();
}

void arch_irq_enable(void)
{
	irq_enable();
}

void arch_wait_for_interrupt(void)
{
	dsb();
	wfi();
}

/* Spinlocks (lib/spinlock.h): a waiter sleeps in WFE until some CPU's
 * SEV; a release makes its store visible to every core first. */
void arch_spin_wait(void)
{
	__asm__ volatile("wfe" ::: "memory");
}

void arch_spin_signal(void)
{
	__asm__ volatile("dsb ishst\n\tsev" ::: "memory");
}

void arch_spin_relax(void)
{
	__asm__ volatile("yield" ::: "memory");
}

void arch_pmu_init(void)
{
	/* PMCR: E (enable), C (reset cycle counter); count every cycle. */
	write_pmcr((read_pmcr() & ~(1u << 3)) | 1u | (1u << 2));
	write_pmcntenset(1u << 31);
	isb();
}

void arch_pmu_user_access(bool on)
{
	write_pmuserenr(on ? 1u : 0u);          /* EN: PL0 may read the counters */
	isb();
}

uint64_t arch_cycles(void)
{
	/* 32-bit counter; callers measure short intervals. */
	return read_pmccntr();
}

const void *arch_early_phys(paddr_t pa, size_t len)
{
	/* The boot identity map covers VA 0..3 GiB (1-3 GiB as memory). */
	if (arch_identity_gone || pa < 0x40000000u || len > KERNEL_SPACE_BASE ||
	    pa > (paddr_t)KERNEL_SPACE_BASE - len)
		return NULL;
	return (const void *)(uintptr_t)pa;
}

/* Semihosting call: returns r0, or -1 when the probe found it absent. */
static int32_t semihost_call(uint32_t op, const void *arg)
{
	register uint32_t r0 __asm__("r0") = op;
	register const void *r1 __asm__("r1") = arg;

	__asm__ volatile("svc 0x123456" : "+r"(r0) : "r"(r1) : "memory", "lr");
	return (int32_t)r0;
}

NORETURN void arch_exit(int status)
{
	static volatile uint32_t block[2];

	irq_disable();
	if (arch_semihost_available()) {
		block[0] = ADP_STOPPED_APPLICATION_EXIT;
		block[1] = (uint32_t)status;
		semihost_call(SEMIHOST_SYS_EXIT_EXTENDED, (const void *)block);
	}
	plat_poweroff();
	for (;;)
		wfi();
}
