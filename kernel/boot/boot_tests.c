/*
 * In-kernel tests of the boot path (ktest suites `boot` and `timer`):
 * what kernel_main derived from the device tree and the boot archive, and
 * that the timer interrupt is really taken.
 */
#include <boot/args.h>
#include <boot/boot.h>
#include <fw/cpio.h>
#include <fw/dt.h>
#include <fw/fdt.h>
#include <hal/arch.h>
#include <hal/plat.h>
#include <lib/irq.h>
#include <lib/ktest.h>
#include <lib/log.h>
#include <lib/string.h>

static void test_ram_found(struct ktest *t)
{
	const struct dt_info *dt = boot_dt();
	const struct boot_params *bp = boot_params();
	bool kernel_in_ram = false;

	KT_ASSERT(t, dt->nmem >= 1);
	for (unsigned i = 0; i < dt->nmem; i++) {
		KT_ASSERT(t, dt->mem[i].size > 0);
		if (bp->kimage_phys >= dt->mem[i].base &&
		    bp->kimage_phys + bp->kimage_size <= dt->mem[i].base + dt->mem[i].size)
			kernel_in_ram = true;
	}
	KT_ASSERT_MSG(t, kernel_in_ram, "kernel image 0x%llx not inside any RAM bank",
		      (unsigned long long)bp->kimage_phys);
}

static void test_devices_found(struct ktest *t)
{
	const struct dt_info *dt = boot_dt();

	KT_ASSERT(t, dt->ndevices > 0);
	KT_ASSERT(t, dt->gic.present);
	KT_ASSERT(t, dt->timer.present);
	KT_ASSERT(t, dt->ncpus >= 1);
	KT_ASSERT(t, dt->psci_method[0] != '\0');
}

static void test_console_from_stdout_path(struct ktest *t)
{
	KT_ASSERT_MSG(t, strstr(plat_console_name(), "early") == NULL,
		      "console still the early board default: %s", plat_console_name());
}

static void test_cmdline_parsed(struct ktest *t)
{
	KT_ASSERT(t, args_get("ktest") != NULL);
	KT_ASSERT(t, args_get("no-such-argument") == NULL);
}

static void test_archive_valid(struct ktest *t)
{
	size_t len;
	const void *a = boot_archive(&len);
	const void *data;
	size_t dlen;
	struct fdt f;

	KT_ASSERT_MSG(t, a != NULL, "no boot archive");
	KT_EQ(t, cpio_find(a, len, "system.dtb", &data, &dlen), 0);
	KT_EQ(t, fdt_open(&f, data, dlen), 0);
	KT_EQ(t, cpio_find(a, len, "no/such/file", &data, &dlen), E_NOENT);
}

static void test_log_ring(struct ktest *t)
{
	char buf[LOG_LINE_MAX];
	uint64_t start = log_total(), pos;
	size_t n;

	pr_debug("ktest log probe %d", 4242);
	KT_ASSERT(t, log_total() > start);
	pos = start;
	n = log_read(&pos, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	KT_ASSERT_MSG(t, strstr(buf, "debug: ktest log probe 4242\n") != NULL, "ring: %s", buf);
	KT_EQ(t, pos, log_total());
}

static const struct ktest_case boot_cases[] = {
	KT_CASE(test_ram_found),
	KT_CASE(test_devices_found),
	KT_CASE(test_console_from_stdout_path),
	KT_CASE(test_cmdline_parsed),
	KT_CASE(test_archive_valid),
	KT_CASE(test_log_ring),
};
KTEST_SUITE(boot_suite, "boot", boot_cases);

/* Wait until `n` more ticks were counted or `limit_ns` passed. */
static uint64_t wait_ticks(uint64_t n, uint64_t limit_ns)
{
	uint64_t start = plat_timer_ticks(), t0 = plat_time_ns();

	while (plat_timer_ticks() - start < n && plat_time_ns() - t0 < limit_ns)
		arch_wait_for_interrupt();
	return plat_timer_ticks() - start;
}

static void test_timer_interrupt_taken(struct ktest *t)
{
	unsigned irq = plat_timer_irq();
	uint64_t before = irq_count(irq);
	uint64_t got = wait_ticks(3, 2000000000ull);

	KT_ASSERT_MSG(t, got >= 3, "only %llu ticks in 2 s", (unsigned long long)got);
	KT_ASSERT(t, irq_count(irq) - before >= 3);
	KT_EQ(t, irq_spurious_count(), 0);
}

static void test_timer_rate(struct ktest *t)
{
	uint64_t t0, t1, got;

	wait_ticks(1, 1000000000ull);
	t0 = plat_time_ns();
	got = wait_ticks(5, 2000000000ull);
	t1 = plat_time_ns();
	KT_EQ(t, got, 5);
	/* 5 ticks at KERNEL_HZ take at least 4 full periods. */
	KT_ASSERT_MSG(t, t1 - t0 >= 4ull * (1000000000ull / KERNEL_HZ),
		      "5 ticks in %llu ns", (unsigned long long)(t1 - t0));
}

static void test_time_monotonic(struct ktest *t)
{
	uint64_t a = plat_time_ns(), b = plat_time_ns();

	KT_ASSERT(t, b >= a);
	KT_ASSERT(t, a > 0);
}

static const struct ktest_case timer_cases[] = {
	KT_CASE(test_timer_interrupt_taken),
	KT_CASE(test_timer_rate),
	KT_CASE(test_time_monotonic),
};
KTEST_SUITE(timer_suite, "timer", timer_cases);
