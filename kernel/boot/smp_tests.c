/*
 * Suite "cpus": the CPUs that came up really run. Every online CPU (the
 * boot CPU included) must count its own timer ticks; a secondary's struct
 * cpu sees its ticks and never a thread; the count online agrees with the
 * mask. With one CPU the suite checks the boot CPU alone.
 */
#include <boot/boot.h>
#include <boot/smp.h>
#include <fw/dt.h>
#include <hal/arch.h>
#include <hal/plat.h>
#include <lib/ktest.h>
#include <lib/log.h>
#include <sched/thread.h>

#define SMP_TEST_TICKS 10ull

static void test_online_count(struct ktest *t)
{
	uint32_t mask = smp_online_mask();

	KT_ASSERT(t, mask & (1u << arch_cpu_index()));
	KT_EQ(t, smp_online_count(), (unsigned)__builtin_popcount(mask));
	KT_ASSERT(t, smp_online_count() <= boot_dt()->ncpus);
	KT_ASSERT(t, (mask >> HAL_MAX_CPUS) == 0);
}

/* Each online CPU counts at least SMP_TEST_TICKS more ticks of its own
 * timer within 3 s (100 Hz: 0.1 s), seen from the boot CPU. */
static void test_every_cpu_ticks(struct ktest *t)
{
	uint32_t mask = smp_online_mask();
	uint64_t start[HAL_MAX_CPUS], t0 = plat_time_ns();
	bool all;

	for (unsigned i = 0; i < HAL_MAX_CPUS; i++)
		start[i] = plat_timer_cpu_ticks(i);
	do {
		all = true;
		for (unsigned i = 0; i < HAL_MAX_CPUS; i++)
			if ((mask & (1u << i)) && plat_timer_cpu_ticks(i) - start[i] < SMP_TEST_TICKS)
				all = false;
		if (!all)
			arch_wait_for_interrupt();
	} while (!all && plat_time_ns() - t0 < 3000000000ull);
	for (unsigned i = 0; i < HAL_MAX_CPUS; i++)
		if (mask & (1u << i))
			kprintf("    # cpu %u: %llu ticks (%llu during the test)\n", i,
				(unsigned long long)plat_timer_cpu_ticks(i),
				(unsigned long long)(plat_timer_cpu_ticks(i) - start[i]));
	for (unsigned i = 0; i < HAL_MAX_CPUS; i++)
		KT_ASSERT_MSG(t, !(mask & (1u << i)) ||
			      plat_timer_cpu_ticks(i) - start[i] >= SMP_TEST_TICKS,
			      "cpu %u counted %llu ticks in 3 s", i,
			      (unsigned long long)(plat_timer_cpu_ticks(i) - start[i]));
	/* No CPU that is not online ticks. */
	for (unsigned i = 0; i < HAL_MAX_CPUS; i++)
		KT_ASSERT_MSG(t, (mask & (1u << i)) || plat_timer_cpu_ticks(i) == 0,
			      "cpu %u is not online but ticks", i);
}

/* A secondary's own struct cpu: its ticks counted by sched_tick on it,
 * no thread ever, nothing on its ready queues. */
static void test_secondary_state(struct ktest *t)
{
	uint32_t mask = smp_online_mask();

	for (unsigned i = 0; i < HAL_MAX_CPUS; i++) {
		const struct cpu *c = &cpus[i];

		if (!(mask & (1u << i)) || i == arch_cpu_index())
			continue;
		KT_ASSERT_MSG(t, __atomic_load_n(&c->ticks, __ATOMIC_RELAXED) > 0,
			      "cpu %u: its struct cpu counted no tick", i);
		KT_ASSERT_MSG(t, __atomic_load_n(&c->cur, __ATOMIC_RELAXED) == NULL,
			      "cpu %u runs a thread", i);
		KT_EQ(t, c->ready_top, 0);
	}
	KT_ASSERT(t, this_cpu() == &cpus[arch_cpu_index()]);
}

static const struct ktest_case smp_cases[] = {
	KT_CASE(test_online_count),
	KT_CASE(test_every_cpu_ticks),
	KT_CASE(test_secondary_state),
};
KTEST_SUITE(smp_suite, "cpus", smp_cases);
