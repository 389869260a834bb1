/*
 * Secondary CPU bring-up, the portable side.
 *
 * The boot CPU, once its GIC and timer tick run (kernel_main), walks
 * /cpus: for each CPU other than itself it asks the architecture for the
 * CPU's index (its MPIDR.Aff0 on ARM; a CPU without one is reported and
 * skipped), the entry address, and the platform to start it (PSCI
 * CPU_ON); then it waits up to SMP_CHECKIN_MS for the CPU to check in.
 * Whatever goes wrong is said with the CPU and the reason, and the boot
 * goes on with the CPUs that came up. (`smp.hold=N` on the command line
 * makes CPU N hold before its check-in: the test of that bound.)
 *
 * A secondary (smp_secondary_main) sets its own struct cpu as its local
 * word, enables its GIC CPU interface and its timer tick, checks in, and
 * idles in WFI with interrupts enabled while the boot CPU finishes boot
 * (its in-kernel tests among it). Its ticks go through the same handler
 * as the boot CPU's: the platform's per-CPU count and sched_tick on its
 * own struct cpu, whose current thread is NULL. When the boot CPU leaves
 * boot for the first thread (smp_start_threads) it turns the kernel lock
 * on and raises `threads`; each secondary then enters the scheduler
 * (sched_secondary_run) and from there on runs threads like the boot CPU.
 *
 * Sharing before that: online, setup_err and threads are the only words
 * both sides write or read while both run: each is written by one side
 * with a release store and read by the other with acquire loads. A
 * secondary logs nothing before it runs the scheduler.
 */
#include <boot/args.h>
#include <boot/smp.h>
#include <fw/dt.h>
#include <hal/arch.h>
#include <hal/plat.h>
#include <lib/error.h>
#include <lib/log.h>
#include <lib/parse.h>
#include <sched/thread.h>

static uint32_t online;         /* bit i: CPU i checked in (release/acquire) */
static int setup_err[HAL_MAX_CPUS];  /* a secondary's own set-up failed: why */
/* smp.hold=N (tests): CPU N starts but never checks in, so that the boot
 * CPU's bound is exercised; written before any CPU_ON. */
static unsigned hold_index = HAL_MAX_CPUS;
static bool threads;            /* smp_start_threads ran (release/acquire) */

uint32_t smp_online_mask(void)
{
	return __atomic_load_n(&online, __ATOMIC_ACQUIRE);
}

unsigned smp_online_count(void)
{
	return (unsigned)__builtin_popcount(smp_online_mask());
}

struct uctx *smp_secondary_main(uint32_t index)
{
	unsigned me = arch_cpu_index();
	int err;

	/* index is what the boot CPU passed to CPU_ON for this CPU; the
	 * CPU's own index is the authority (they agree unless the firmware
	 * started another CPU than the one asked for, which then never
	 * checks in where it is expected: a timeout, reported). */
	(void)index;
	sched_cpu_init();
	if (me == hold_index)
		for (;;)
			arch_wait_for_interrupt();      /* interrupts masked: for good */
	err = plat_irq_init_cpu();
	if (!err)
		err = plat_timer_init_cpu();
	if (err) {
		/* Reported by the boot CPU; this one stays off the count,
		 * with interrupts masked. */
		__atomic_store_n(&setup_err[me], err, __ATOMIC_RELEASE);
		for (;;)
			arch_wait_for_interrupt();
	}
	__atomic_fetch_or(&online, 1u << me, __ATOMIC_RELEASE);
	arch_irq_enable();
	while (!__atomic_load_n(&threads, __ATOMIC_ACQUIRE))
		arch_wait_for_interrupt();      /* (its tick ends each wait) */
	arch_irq_save();
	return sched_secondary_run();
}

void smp_start_threads(void)
{
	sched_smp_start(smp_online_mask());
	__atomic_store_n(&threads, true, __ATOMIC_RELEASE);
}

bool smp_threads_running(void)
{
	return kernel_lock_on;
}

/* Wait for CPU `index` to check in (or to report a failure): 0, the
 * error it reported, or E_AGAIN. */
static int wait_checkin(unsigned index)
{
	uint64_t t0 = plat_time_ns();

	for (;;) {
		int err = __atomic_load_n(&setup_err[index], __ATOMIC_ACQUIRE);

		if (smp_online_mask() & (1u << index))
			return 0;
		if (err)
			return err;
		if (plat_time_ns() - t0 > SMP_CHECKIN_MS * 1000000ull)
			return E_AGAIN;
	}
}

unsigned smp_boot(const struct dt_info *dt)
{
	uint64_t self = arch_cpu_mpidr();
	uint32_t tried = 0;
	unsigned self_index = arch_cpu_index();

	const char *hold = args_get("smp.hold");
	const char *end;
	uint64_t v;

	if (hold && parse_u64(hold, &v, &end) && !*end && v < HAL_MAX_CPUS)
		hold_index = (unsigned)v;
	__atomic_fetch_or(&online, 1u << self_index, __ATOMIC_RELEASE);
	tried |= 1u << self_index;
	for (unsigned i = 0; i < dt->ncpus; i++) {
		uint64_t mpidr = dt->cpu_mpidr[i];
		unsigned index;
		int err;

		if (mpidr == self)
			continue;
		if (mpidr == DT_MPIDR_INVALID) {
			pr_warn("cpu %u: did not come up (no usable reg in /cpus)", i);
			continue;
		}
		if (!arch_cpu_index_of(mpidr, &index)) {
			pr_warn("cpu %u: did not come up (MPIDR 0x%llx: this kernel runs at most "
				"%u CPUs, affinity 0-%u of cluster 0)", i, (unsigned long long)mpidr,
				HAL_MAX_CPUS, HAL_MAX_CPUS - 1);
			continue;
		}
		if (tried & (1u << index)) {
			pr_warn("cpu %u: did not come up (MPIDR 0x%llx listed twice in /cpus)", i,
				(unsigned long long)mpidr);
			continue;
		}
		tried |= 1u << index;
		err = plat_cpu_on(mpidr, arch_secondary_prepare(index), index);
		if (err) {
			pr_warn("cpu %u: did not come up (PSCI error %d, %s)", i, err,
				plat_psci_error_name(err));
			continue;
		}
		err = wait_checkin(index);
		if (err == E_AGAIN)
			pr_warn("cpu %u: did not come up (no check-in within %u ms)", i,
				SMP_CHECKIN_MS);
		else if (err)
			pr_warn("cpu %u: did not come up (its interrupt controller or timer: %s)",
				i, err_name(err));
	}
	if (smp_online_count() < dt->ncpus)
		pr_info("cpus: %u online (of %u in the device tree)", smp_online_count(),
			dt->ncpus);
	else
		pr_info("cpus: %u online", smp_online_count());
	return smp_online_count();
}
