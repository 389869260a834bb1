/*
 * Host fakes of the arch/platform contracts (hal/arch.h, hal/plat.h)
 * that portable kernel code under test calls. Deterministic: time advances
 * 1 µs per call, interrupts are a flag.
 */
#include <hal/arch.h>
#include <hal/plat.h>

#include <stdio.h>
#include <stdlib.h>

static uint32_t fake_irq_masked;
static uint64_t fake_time;

uint32_t arch_irq_save(void)
{
	uint32_t old = fake_irq_masked;

	fake_irq_masked = 1;
	return old;
}

void arch_irq_restore(uint32_t state)
{
	fake_irq_masked = state;
}

uint64_t plat_time_ns(void)
{
	return fake_time += 1000;
}

NORETURN void arch_exit(int status)
{
	fprintf(stderr, "fake arch_exit(%d)\n", status);
	exit(100 + status);
}

/* One CPU: index 0, affinity 0. */
unsigned arch_cpu_index(void)
{
	return 0;
}

uint64_t arch_cpu_mpidr(void)
{
	return 0;
}

static void *fake_cpu_local;

void arch_cpu_set_local(void *cpu)
{
	fake_cpu_local = cpu;
}

void *arch_cpu_local(void)
{
	return fake_cpu_local;
}
