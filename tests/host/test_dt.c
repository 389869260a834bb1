/*
 * Host tests of the boot-time device-tree extraction (kernel/fw/dt.c).
 *
 * QEMU's own trees (tools/mkfixtures) must give the machine QEMU was asked
 * for: RAM, CPUs, the PL011, GIC, timer, PSCI conduit and the 32
 * virtio-mmio transports. Handwritten trees (tests/fixtures/dt-*.dts) cover
 * sparse RAM above 4 GiB, reservations, 1- and 2-cell initrd, stdout-path
 * through aliases, `ranges` translation, untranslatable devices, interrupt
 * parent loops and missing phandles, and malformed values that must be
 * rejected with a reason. Trees built in memory cover the capacities.
 */
#include <fw/dt.h>
#include <fw/fdt.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdtbuild.h"
#include "htest.h"

#define MB (1024ull * 1024)
#define GB (1024ull * MB)

static struct dt_info info;  /* ~40 KiB: not on the stack */
static struct dt_info info2;

static void *kept[64];
static unsigned nkept;

static void *keep(void *p)
{
	if (p && nkept < sizeof(kept) / sizeof(kept[0]))
		kept[nkept++] = p;
	return p;
}

/* Open fixture `name` into *f (the blob is kept alive). */
static int open_fixture(const char *name, struct fdt *f)
{
	char path[512];
	size_t len = 0;
	void *blob;

	memset(f, 0, sizeof(*f));
	f->why = "fixture missing";
	snprintf(path, sizeof(path), "%s/%s", htest_fixtures(), name);
	blob = keep(htest_read_file(path, &len));
	if (!blob) {
		printf("    # fixture %s missing (run tools/mkfixtures)\n", path);
		return E_NOENT;
	}
	return fdt_open(f, blob, len);
}

/* Open and parse fixture `name` into `out`. */
static int parse_fixture(const char *name, struct fdt *f, struct dt_info *out)
{
	int err = open_fixture(name, f);

	if (err) {
		printf("    # %s: open: %s (%s)\n", name, f->why, err_name(err));
		return err == E_NOENT ? E_NOSYS : err;
	}
	err = dt_parse(f, out);
	if (err)
		printf("    # %s: dt_parse: %s (%s)\n", name, out->why, err_name(err));
	return err;
}

static const struct dt_device *by_compat(const struct dt_info *d, const char *c)
{
	int i = dt_find_compatible(d, c, 0);

	return i >= 0 ? &d->devices[i] : NULL;
}

/* ---- QEMU's trees ---- */

struct virt_fixture {
	const char *file;
	uint64_t ram;
	unsigned smp;
	bool virt;
};

static const struct virt_fixture virt_fixtures[] = {
	{ "virt-128M-smp1.dtb", 128 * MB, 1, false },
	{ "virt-1G-smp1.dtb", 1 * GB, 1, false },
	{ "virt-1G-smp4.dtb", 1 * GB, 4, false },
	{ "virt-2G-smp2.dtb", 2 * GB, 2, false },
	{ "virt-6G-smp1-highmem.dtb", 6 * GB, 1, false },
	{ "virt-1G-smp1-virt.dtb", 1 * GB, 1, true },
	{ "virt-128M-smp1-initrd.dtb", 128 * MB, 1, false },
	{ "virt-chosen-1cell.dtb", 1 * GB, 1, false },
	{ "virt-chosen-2cell.dtb", 1 * GB, 1, false },
};

static void test_virt_machines(void)
{
	for (size_t k = 0; k < sizeof(virt_fixtures) / sizeof(virt_fixtures[0]); k++) {
		const struct virt_fixture *fx = &virt_fixtures[k];
		const struct dt_device *uart, *d;
		struct fdt f;
		unsigned virtio = 0;
		int i;

		HT_ASSERT_MSG(parse_fixture(fx->file, &f, &info) == 0, "%s", fx->file);
		HT_ASSERT_MSG(info.warnings == 0, "%s: %u warnings, first: %s", fx->file,
			      info.warnings, info.first_warning);
		HT_STREQ(info.model, "linux,dummy-virt");

		/* RAM */
		HT_EQ(info.nmem, 1);
		HT_EQ(info.mem[0].base, 0x40000000);
		HT_ASSERT_MSG(info.mem[0].size == fx->ram, "%s: 0x%llx", fx->file,
			      (unsigned long long)info.mem[0].size);
		if (fx->ram == 6 * GB)
			HT_EQ(info.mem[0].base + info.mem[0].size, 0x1C0000000ull);
		HT_EQ(info.nrsv, 0);

		/* CPUs */
		HT_EQ(info.ncpus, fx->smp);
		for (unsigned c = 0; c < info.ncpus; c++)
			HT_EQ(info.cpu_mpidr[c], c);

		/* Console */
		uart = by_compat(&info, "arm,pl011");
		HT_ASSERT(uart);
		HT_STREQ(uart->path, "/pl011@9000000");
		HT_STREQ(uart->compatible, "arm,pl011");
		HT_ASSERT(dt_device_is_compatible(uart, "arm,primecell"));
		HT_EQ(uart->nreg, 1);
		HT_ASSERT(uart->reg[0].translated);
		HT_EQ(uart->reg[0].base, 0x9000000);
		HT_EQ(uart->reg[0].size, 0x1000);
		HT_EQ(uart->nirq_cells, 3);
		HT_EQ(uart->irq[0], 0); /* SPI */
		HT_EQ(uart->irq[1], 1); /* number 1 */
		HT_EQ(uart->irq[2], 4); /* level high */
		HT_EQ(uart->irq_status, DT_IRQ_OK);
		HT_EQ(uart->irq_parent_cells, 3);
		HT_EQ(uart->irq_parent, info.gic.phandle);
		HT_ASSERT(info.stdout_resolved);
		HT_ASSERT(dt_device_by_path(&info, info.stdout_path) == uart);

		/* GIC, timer, PSCI */
		HT_ASSERT(info.gic.present);
		HT_EQ(info.gic.dist_base, 0x8000000);
		HT_EQ(info.gic.cpu_base, 0x8010000);
		HT_EQ(info.gic.dist_size, 0x10000);
		HT_ASSERT(info.gic.phandle != 0);
		HT_ASSERT(info.gic.device >= 0);
		HT_ASSERT(dt_device_is_compatible(&info.devices[info.gic.device],
						  "arm,cortex-a15-gic"));
		if (fx->virt) {
			HT_EQ(info.gic.hyp_base, 0x8030000);
			HT_EQ(info.gic.vcpu_base, 0x8040000);
			HT_STREQ(info.psci_method, "smc");
		} else {
			HT_EQ(info.gic.hyp_base, 0);
			HT_STREQ(info.psci_method, "hvc");
		}
		HT_ASSERT(info.timer.present);
		HT_EQ(info.timer.nppi, 4);
		HT_EQ(info.timer.ppi[0], 13);
		HT_EQ(info.timer.ppi[1], 14);
		HT_EQ(info.timer.ppi[2], 11);
		HT_EQ(info.timer.ppi[3], 10);

		/* Devices */
		HT_ASSERT_MSG(info.ndevices >= 38 && info.ndevices <= 64, "%u devices",
			      info.ndevices);
		HT_EQ(info.devices_dropped, 0);
		HT_EQ(dt_untranslatable_count(&info), 0);
		for (i = dt_find_compatible(&info, "virtio,mmio", 0); i >= 0;
		     i = dt_find_compatible(&info, "virtio,mmio", (unsigned)i + 1)) {
			d = &info.devices[i];
			HT_EQ(d->reg[0].base, 0xa000000 + 0x200 * virtio);
			HT_EQ(d->reg[0].size, 0x200);
			HT_EQ(d->nirq_cells, 3);
			HT_EQ(d->irq[1], 16 + virtio);
			virtio++;
		}
		HT_EQ(i, E_NOENT);
		HT_EQ(virtio, 32);
		d = dt_device_by_path(&info, "/pcie");
		HT_ASSERT(d);
		HT_ASSERT(dt_device_is_compatible(d, "pci-host-ecam-generic"));
		HT_ASSERT(d->reg[0].translated);
		/* Its windows, in `ranges` order: I/O, 32-bit and 64-bit
		 * memory (1 GiB aligned, 512 GiB); named by the bridge. */
		HT_EQ(info.nwindows, 3);
		HT_EQ(info.windows_dropped, 0);
		HT_EQ(info.windows[0].space, DT_WIN_IO);
		HT_EQ(info.windows[0].base, 0x3eff0000);
		HT_EQ(info.windows[0].size, 0x10000);
		HT_EQ(info.windows[1].space, DT_WIN_MEM32);
		HT_EQ(info.windows[1].base, 0x10000000);
		HT_EQ(info.windows[1].size, 0x2eff0000);
		HT_EQ(info.windows[2].space, DT_WIN_MEM64);
		HT_EQ(info.windows[2].base, 0x8000000000ull);
		HT_EQ(info.windows[2].size, 0x8000000000ull);
		for (unsigned w = 0; w < info.nwindows; w++) {
			HT_ASSERT(&info.devices[info.windows[w].device] == d);
			HT_ASSERT(!info.windows[w].prefetchable);
		}
		d = dt_device_by_path(&info, "/intc/v2m");
		HT_ASSERT(d);
		HT_EQ(d->reg[0].base, 0x8020000); /* through intc's empty ranges */
		d = dt_device_by_path(&info, "/flash@0");
		HT_ASSERT(d);
		HT_EQ(d->nreg, 2);
		HT_EQ(d->reg[1].base, 0x4000000);
		HT_ASSERT(dt_device_by_path(&info, "/memory") == NULL); /* RAM is not a device */
		HT_ASSERT(dt_device_by_path(&info, "/cpus/cpu@0") == NULL);
	}
}

static void test_virt_chosen(void)
{
	struct fdt f;

	HT_EQ(parse_fixture("virt-1G-smp1.dtb", &f, &info), 0);
	HT_ASSERT(!info.has_initrd);
	HT_STREQ(info.bootargs, "");
	HT_STREQ(info.stdout_path, "/pl011@9000000");
	HT_STREQ(info.stdout_options, "");

	/* QEMU's own -initrd/-append. */
	HT_EQ(parse_fixture("virt-128M-smp1-initrd.dtb", &f, &info), 0);
	HT_ASSERT(info.has_initrd);
	HT_ASSERT(info.initrd_start >= 0x40000000 && info.initrd_start < 0x48000000);
	HT_EQ(info.initrd_end - info.initrd_start, 1000);
	HT_STREQ(info.bootargs, "console=x foo=bar");
	HT_ASSERT(!info.bootargs_truncated);

	/* 1-cell values, options after ':'. */
	HT_EQ(parse_fixture("virt-chosen-1cell.dtb", &f, &info), 0);
	HT_ASSERT(info.has_initrd);
	HT_EQ(info.initrd_start, 0x44000000);
	HT_EQ(info.initrd_end, 0x44123457);
	HT_STREQ(info.bootargs, "ktest=all\tbench");
	HT_STREQ(info.stdout_path, "/pl011@9000000");
	HT_STREQ(info.stdout_options, "115200");
	HT_ASSERT(info.stdout_resolved);

	/* 2-cell values above 4 GiB, stdout-path through an alias. */
	HT_EQ(parse_fixture("virt-chosen-2cell.dtb", &f, &info), 0);
	HT_ASSERT(info.has_initrd);
	HT_EQ(info.initrd_start, 0x140000000ull);
	HT_EQ(info.initrd_end, 0x140200000ull);
	HT_STREQ(info.bootargs, "poweroff console=ttyAMA0");
	HT_STREQ(info.stdout_path, "/pl011@9000000");
	HT_STREQ(info.stdout_options, "115200n8");
	HT_ASSERT(dt_device_is_compatible(dt_device_by_path(&info, info.stdout_path),
					  "arm,pl011"));

	/* Over-long bootargs are truncated safely; "/pl011" is resolved. */
	HT_EQ(parse_fixture("virt-chosen-long.dtb", &f, &info), 0);
	HT_ASSERT(info.bootargs_truncated);
	HT_EQ(strlen(info.bootargs), DT_BOOTARGS_MAX - 1);
	HT_ASSERT(strncmp(info.bootargs, "word001=value word002=value ", 28) == 0);
	HT_ASSERT(info.warnings >= 1);
	HT_ASSERT(strstr(info.first_warning, "bootargs") != NULL);
	HT_STREQ(info.stdout_path, "/pl011@9000000");
	HT_ASSERT(info.stdout_resolved);
}

/* ---- handwritten trees ---- */

static void test_sparse_memory_and_reservations(void)
{
	static const struct dt_mem want[] = {
		{ 0x20000000, 16 * MB }, { 0x40000000, 256 * MB }, { 0x80000000, 128 * MB },
		{ 0x100000000ull, 4 * GB }, { 0x880000000ull, 1 * GB },
	};
	const struct dt_device *uart;
	struct fdt f;

	HT_EQ(parse_fixture("dt-sparse.dtb", &f, &info), 0);
	HT_STREQ(info.model, "cairn,sparse-test");
	HT_EQ(info.nmem, 5);
	for (unsigned i = 0; i < 5; i++) {
		HT_EQ(info.mem[i].base, want[i].base);
		HT_EQ(info.mem[i].size, want[i].size);
	}
	HT_EQ(info.nrsv, 4);
	HT_EQ(info.rsv[0].source, DT_RSV_MEMRESERVE);
	HT_EQ(info.rsv[0].base, 0x48000000);
	HT_EQ(info.rsv[0].size, 0x100000);
	HT_EQ(info.rsv[1].source, DT_RSV_MEMRESERVE);
	HT_EQ(info.rsv[1].base, 0x180000000ull);
	HT_EQ(info.rsv[1].size, 0x2000);
	HT_STREQ(dt_rsv_source_name(&info.rsv[1]), "/memreserve/");
	HT_EQ(info.rsv[2].source, DT_RSV_RESERVED_MEMORY);
	HT_EQ(info.rsv[2].base, 0x4f000000);
	HT_EQ(info.rsv[2].size, 0x100000);
	HT_ASSERT(info.rsv[2].no_map);
	HT_STREQ(dt_rsv_source_name(&info.rsv[2]), "/reserved-memory, no-map");
	HT_EQ(info.rsv[3].base, 0x4e000000);
	HT_EQ(info.rsv[3].size, 0x200000);
	HT_ASSERT(!info.rsv[3].no_map);
	HT_STREQ(dt_rsv_source_name(&info.rsv[3]), "/reserved-memory");
	HT_EQ(info.rsv_merged, 0);

	HT_ASSERT(info.has_initrd);
	HT_EQ(info.initrd_start, 0x48000000);
	HT_EQ(info.initrd_end, 0x48100000);
	HT_STREQ(info.bootargs, "console=ttyAMA0 ktest=all loglevel=7");
	HT_STREQ(info.stdout_path, "/soc/serial@1000");
	HT_STREQ(info.stdout_options, "115200n8");
	HT_ASSERT(info.stdout_resolved);
	uart = dt_device_by_path(&info, info.stdout_path);
	HT_ASSERT(uart);
	HT_EQ(uart->reg[0].base, 0x9001000);
	HT_ASSERT(uart->reg[0].translated);
	/* Reserved-memory children and memory nodes are not devices. */
	HT_EQ(info.ndevices, 1);
	HT_EQ(info.ncpus, 0);
	HT_ASSERT(info.warnings >= 1); /* no CPUs */
	HT_ASSERT(!info.gic.present);
	HT_ASSERT(!info.timer.present);
	HT_STREQ(info.psci_method, "");
}

static void test_buses_and_translation(void)
{
	const struct dt_device *d;
	struct fdt f;

	HT_EQ(parse_fixture("dt-buses.dtb", &f, &info), 0);
	HT_STREQ(info.model, "cairn,bus-test");
	HT_EQ(info.nmem, 1);
	HT_EQ(info.mem[0].base, 0x80000000);

	d = dt_device_by_path(&info, "/soc/uart@9000");
	HT_ASSERT(d);
	HT_ASSERT(d->reg[0].translated);
	HT_EQ(d->reg[0].base, 0x1c009000);
	HT_EQ(d->reg[0].size, 0x1000);
	HT_EQ(d->irq_status, DT_IRQ_OK);
	HT_EQ(d->irq_parent_cells, 3);
	HT_EQ(d->irq[1], 5);
	HT_ASSERT(dt_device_by_path(&info, "/soc/uart") == d);
	HT_ASSERT(dt_device_by_path(&info, "soc/uart@9000") == d);
	HT_ASSERT(dt_device_by_path(&info, "/soc/uart@9") == NULL);
	HT_ASSERT(dt_device_by_path(&info, "/soc") == NULL);

	d = dt_device_by_path(&info, "/soc/high");
	HT_ASSERT(d);
	HT_ASSERT(d->reg[0].translated);
	HT_EQ(d->reg[0].base, 0x120000800ull); /* second window, above 4 GiB */

	d = dt_device_by_path(&info, "/soc/outside");
	HT_ASSERT(d);
	HT_ASSERT(!d->reg[0].translated);
	HT_EQ(d->reg[0].base, 0x200000); /* raw bus address kept */

	d = dt_device_by_path(&info, "/soc/straddle");
	HT_ASSERT(d);
	HT_ASSERT(!d->reg[0].translated); /* runs past the window's end */

	d = dt_device_by_path(&info, "/soc/sub/timer@100");
	HT_ASSERT(d);
	HT_EQ(d->nreg, 2);
	HT_ASSERT(d->reg[0].translated && d->reg[1].translated);
	HT_EQ(d->reg[0].base, 0x1c002100);
	HT_EQ(d->reg[1].base, 0x1c002200);

	d = dt_device_by_path(&info, "/soc/plain/rtc");
	HT_ASSERT(d);
	HT_ASSERT(d->reg[0].translated);
	HT_EQ(d->reg[0].base, 0x1c003000);

	d = dt_device_by_path(&info, "/soc/nor/flash@0");
	HT_ASSERT(d);
	HT_ASSERT(!d->reg[0].translated); /* nor has no ranges */

	d = dt_device_by_path(&info, "/i2c@1c0a0000");
	HT_ASSERT(d && d->reg[0].translated);
	HT_EQ(d->reg[0].base, 0x1c0a0000);
	d = dt_device_by_path(&info, "/i2c/eeprom@50");
	HT_ASSERT(d);
	HT_ASSERT(!d->reg[0].translated);
	HT_EQ(d->reg[0].base, 0x50);
	HT_EQ(d->reg[0].size, 0);

	HT_EQ(dt_untranslatable_count(&info), 4);

	/* The bridge's windows through soc's ranges; configuration space is
	 * none, and the one outside every soc window is dropped (warned). */
	d = dt_device_by_path(&info, "/soc/pcie");
	HT_ASSERT(d && d->reg[0].translated);
	HT_EQ(d->reg[0].base, 0x1c080000);
	HT_EQ(info.nwindows, 2);
	HT_EQ(info.windows[0].space, DT_WIN_IO);
	HT_EQ(info.windows[0].base, 0x1c090000);
	HT_EQ(info.windows[0].size, 0x1000);
	HT_EQ(info.windows[1].space, DT_WIN_MEM32);
	HT_EQ(info.windows[1].base, 0x120000000ull);
	HT_EQ(info.windows[1].size, 0x10000);
	HT_ASSERT(&info.devices[info.windows[0].device] == d);
	HT_ASSERT(&info.devices[info.windows[1].device] == d);

	/* Interrupt parents: a loop and a phandle that names nothing. */
	d = dt_device_by_path(&info, "/soc/looped");
	HT_ASSERT(d);
	HT_EQ(d->irq_status, DT_IRQ_LOOP);
	HT_EQ(d->irq_parent_cells, 1);
	HT_EQ(d->nirq_cells, 1);
	HT_EQ(d->irq[0], 9);
	d = dt_device_by_path(&info, "/orphan");
	HT_ASSERT(d);
	HT_EQ(d->irq_status, DT_IRQ_MISSING);
	HT_EQ(d->irq_parent, 0xdead);
	HT_EQ(d->irq_parent_cells, 0);
	HT_ASSERT(info.warnings >= 2);

	/* GIC-400 with virtualization registers, timer, PSCI, CPUs. */
	HT_ASSERT(info.gic.present);
	HT_EQ(info.gic.dist_base, 0x2c001000);
	HT_EQ(info.gic.cpu_base, 0x2c002000);
	HT_EQ(info.gic.cpu_size, 0x2000);
	HT_EQ(info.gic.hyp_base, 0x2c004000);
	HT_EQ(info.gic.vcpu_base, 0x2c006000);
	HT_ASSERT(info.timer.present);
	HT_EQ(info.timer.nppi, 4);
	HT_EQ(info.timer.ppi[1], 14);
	HT_EQ(info.timer.flags[1], 0xf08);
	HT_STREQ(info.psci_method, "smc");
	HT_EQ(info.ncpus, 3);
	HT_EQ(info.cpu_mpidr[0], 0);
	HT_EQ(info.cpu_mpidr[1], 1);
	HT_EQ(info.cpu_mpidr[2], 0x100);

	/* /chosen: 2-cell initrd, path with options, no alias. */
	HT_ASSERT(info.has_initrd);
	HT_EQ(info.initrd_start, 0x84000000);
	HT_EQ(info.initrd_end, 0x84200000);
	HT_STREQ(info.stdout_path, "/soc/uart@9000");
	HT_STREQ(info.stdout_options, "115200n8");
	HT_STREQ(info.bootargs, "quiet");

	/* dt_find_compatible walks forward from `start`. */
	HT_ASSERT(dt_find_compatible(&info, "simple-bus", 0) == E_NOENT); /* buses have no reg */
	HT_EQ(dt_find_compatible(&info, "arm,pl011", info.ndevices), E_NOENT);
	HT_EQ(dt_find_compatible(&info, "arm,pl011", 1000), E_NOENT);
	HT_ASSERT(dt_find_compatible(&info, "cairn,rtc", 0) >= 0);
}

static void test_version16_same_result(void)
{
	struct fdt f, f2;

	HT_EQ(parse_fixture("dt-buses.dtb", &f, &info), 0);
	HT_EQ(parse_fixture("dt-buses-v16.dtb", &f2, &info2), 0);
	HT_EQ(f2.version, 16);
	HT_EQ(info2.ndevices, info.ndevices);
	HT_EQ(info2.nmem, info.nmem);
	HT_EQ(info2.warnings, info.warnings);
	for (unsigned i = 0; i < info.ndevices; i++) {
		HT_STREQ(info2.devices[i].path, info.devices[i].path);
		HT_EQ(info2.devices[i].reg[0].base, info.devices[i].reg[0].base);
		HT_EQ(info2.devices[i].reg[0].translated, info.devices[i].reg[0].translated);
	}
}

static void expect_fixture_error(const char *name, int err, const char *needle)
{
	struct fdt f;
	int got;

	HT_EQ(open_fixture(name, &f), 0);
	got = dt_parse(&f, &info);
	HT_ASSERT_MSG(got == err, "%s: %s (%s)", name, info.why, err_name(got));
	HT_ASSERT_MSG(strstr(info.why, needle) != NULL, "%s: \"%s\"", name, info.why);
}

static void test_rejected_fixtures(void)
{
	struct fdt f;

	expect_fixture_error("dt-absurd-cells.dtb", E_RANGE, "absurd #address-cells");
	HT_ASSERT(info.why && strstr(info.why, "/weird-bus") != NULL);
	expect_fixture_error("dt-mem-overlap.dtb", E_RANGE, "overlaps");
	expect_fixture_error("dt-mem-wrap.dtb", E_RANGE, "wraps");
	expect_fixture_error("dt-initrd-backwards.dtb", E_RANGE, "below its start");
	/* The parser itself accepts these trees: the problems are semantic. */
	HT_EQ(open_fixture("dt-absurd-cells.dtb", &f), 0);
	HT_EQ(fdt_address_cells(&f, fdt_path(&f, "/weird-bus")), E_RANGE);
}

/* ---- trees built in memory: capacities and odd values ---- */

/* Property of up to 16 cells. */
static void fb_cells(struct fb *b, const char *name, unsigned n, const uint32_t *v)
{
	uint8_t c[64];

	if (n > 16)
		n = 16;
	for (unsigned i = 0; i < n; i++)
		put32(c + 4 * i, v[i]);
	fb_prop(b, name, c, 4 * n);
}

/* Root with 1/1 cells; the caller adds the rest and closes it. */
static void fb_start(struct fb *b)
{
	memset(b, 0, sizeof(*b));
	fb_begin(b, "");
	fb_prop_u32(b, "#address-cells", 1);
	fb_prop_u32(b, "#size-cells", 1);
}

static void fb_memory(struct fb *b, uint32_t base, uint32_t size)
{
	uint32_t reg[2] = { base, size };
	char name[32];

	snprintf(name, sizeof(name), "memory@%x", base);
	fb_begin(b, name);
	fb_prop_str(b, "device_type", "memory");
	fb_cells(b, "reg", 2, reg);
	fb_end(b);
}

/* Close the root, assemble a v17 blob and open it into *f. */
static int fb_open(struct fb *b, struct fdt *f)
{
	size_t total;
	uint8_t *p;

	fb_end(b);
	fb_u32(b, FDT_END);
	p = keep(fb_assemble(b, &total));
	if (!p)
		return E_NOMEM;
	return fdt_open(f, p, total);
}

static struct fb builder;

static void test_capacity_memory_banks(void)
{
	struct fb *b = &builder;
	struct fdt f;

	fb_start(b);
	for (uint32_t i = 0; i < DT_MAX_MEM; i++)
		fb_memory(b, 0x40000000 + i * 0x1000000, 0x100000);
	HT_EQ(fb_open(b, &f), 0);
	HT_EQ(dt_parse(&f, &info), 0);
	HT_EQ(info.nmem, DT_MAX_MEM);

	fb_start(b);
	for (uint32_t i = 0; i <= DT_MAX_MEM; i++) /* one too many */
		fb_memory(b, 0x40000000 + i * 0x1000000, 0x100000);
	HT_EQ(fb_open(b, &f), 0);
	/* The extra bank is left unused, counted and said; the rest is kept. */
	HT_EQ(dt_parse(&f, &info), 0);
	HT_EQ(info.nmem, DT_MAX_MEM);
	HT_EQ(info.mem_dropped, 1);
	HT_EQ(info.mem_dropped_bytes, 0x100000);
	HT_EQ(info.mem[DT_MAX_MEM - 1].base, 0x40000000 + (DT_MAX_MEM - 1) * 0x1000000);
	HT_EQ(info.warnings, 2); /* and no CPUs */
	HT_STREQ(info.first_warning, "more than 16 memory banks; 0x50000000+0x100000 in "
		 "/memory@50000000 left unused");

	/* Five hundred banks: the same, whatever the count. */
	fb_start(b);
	for (uint32_t i = 0; i < 500; i++)
		fb_memory(b, 0x40000000 + i * 0x100000, 0x1000);
	HT_EQ(fb_open(b, &f), 0);
	HT_EQ(dt_parse(&f, &info), 0);
	HT_EQ(info.nmem, DT_MAX_MEM);
	HT_EQ(info.mem_dropped, 500 - DT_MAX_MEM);
	HT_EQ(info.mem_dropped_bytes, (500 - DT_MAX_MEM) * 0x1000ull);

	/* Zero-sized entries are skipped with a warning; only zero ones: no RAM. */
	fb_start(b);
	fb_memory(b, 0x40000000, 0);
	fb_memory(b, 0x50000000, 0x1000);
	HT_EQ(fb_open(b, &f), 0);
	HT_EQ(dt_parse(&f, &info), 0);
	HT_EQ(info.nmem, 1);
	HT_EQ(info.mem_empty, 1);
	HT_STREQ(info.first_warning, "memory node /memory@40000000: entry 0 has size 0, skipped");
	fb_start(b);
	fb_memory(b, 0x40000000, 0);
	HT_EQ(fb_open(b, &f), 0);
	HT_EQ(dt_parse(&f, &info), E_NOENT);
	HT_STREQ(info.why, "no RAM: no device_type = \"memory\" node with a non-empty reg");

	/* A bank that wraps the 64-bit space (2+2 cells at the root), and
	 * one overlapping another. */
	memset(b, 0, sizeof(*b));
	fb_begin(b, "");
	fb_prop_u32(b, "#address-cells", 2);
	fb_prop_u32(b, "#size-cells", 2);
	fb_begin(b, "memory@0");
	fb_prop_str(b, "device_type", "memory");
	fb_prop(b, "reg", "\xff\xff\xff\xff\xff\xff\xf0\x00\0\0\0\0\0\0\x20\0", 16);
	fb_end(b);
	HT_EQ(fb_open(b, &f), 0);
	HT_EQ(dt_parse(&f, &info), E_RANGE);
	HT_STREQ(info.why, "memory bank 0xfffffffffffff000+0x2000 in /memory@0 wraps around");
	fb_start(b);
	fb_memory(b, 0x40000000, 0x10000000);
	fb_memory(b, 0x48000000, 0x1000);
	HT_EQ(fb_open(b, &f), 0);
	HT_EQ(dt_parse(&f, &info), E_RANGE);
	HT_STREQ(info.why, "memory bank 0x48000000+0x1000 in /memory@48000000 overlaps "
		 "0x40000000+0x10000000");

	/* Banks come out sorted whatever the tree order. */
	fb_start(b);
	fb_memory(b, 0x90000000, 0x1000);
	fb_memory(b, 0x10000000, 0x1000);
	fb_memory(b, 0x50000000, 0x1000);
	HT_EQ(fb_open(b, &f), 0);
	HT_EQ(dt_parse(&f, &info), 0);
	HT_EQ(info.nmem, 3);
	HT_EQ(info.mem[0].base, 0x10000000);
	HT_EQ(info.mem[1].base, 0x50000000);
	HT_EQ(info.mem[2].base, 0x90000000);

	/* No RAM at all, and a malformed memory reg. */
	fb_start(b);
	HT_EQ(fb_open(b, &f), 0);
	HT_EQ(dt_parse(&f, &info), E_NOENT);
	HT_ASSERT(strstr(info.why, "no RAM") != NULL);
	fb_start(b);
	fb_begin(b, "memory@0");
	fb_prop_str(b, "device_type", "memory");
	fb_prop(b, "reg", "\0\0\0\1\0\0", 6);
	fb_end(b);
	HT_EQ(fb_open(b, &f), 0);
	HT_EQ(dt_parse(&f, &info), E_FORMAT);
	HT_ASSERT(strstr(info.why, "/memory@0") != NULL);
}

static void test_capacity_devices_cpus_reservations(void)
{
	struct fb *b = &builder;
	struct fdt f;
	char name[32];

	fb_start(b);
	fb_memory(b, 0x40000000, 0x10000000);
	fb_begin(b, "cpus");
	fb_prop_u32(b, "#address-cells", 1);
	fb_prop_u32(b, "#size-cells", 0);
	for (uint32_t i = 0; i < DT_MAX_CPUS + 4; i++) {
		snprintf(name, sizeof(name), "cpu@%x", i);
		fb_begin(b, name);
		fb_prop_str(b, "device_type", "cpu");
		fb_prop_u32(b, "reg", i);
		fb_end(b);
	}
	fb_end(b);
	fb_begin(b, "reserved-memory");
	fb_prop_u32(b, "#address-cells", 1);
	fb_prop_u32(b, "#size-cells", 1);
	fb_prop(b, "ranges", NULL, 0);
	for (uint32_t i = 0; i < DT_MAX_RSV + 8; i++) {
		uint32_t reg[2] = { 0x48000000 + i * 0x1000, 0x1000 };

		snprintf(name, sizeof(name), "r@%x", reg[0]);
		fb_begin(b, name);
		fb_cells(b, "reg", 2, reg);
		fb_end(b);
	}
	fb_end(b);
	for (uint32_t i = 0; i < DT_MAX_DEVICES + 12; i++) {
		uint32_t reg[2] = { 0x10000000 + i * 0x1000, 0x1000 };

		snprintf(name, sizeof(name), "dev@%x", reg[0]);
		fb_begin(b, name);
		fb_prop_str(b, "compatible", "cairn,dev");
		fb_cells(b, "reg", 2, reg);
		fb_end(b);
	}
	HT_EQ(fb_open(b, &f), 0);
	HT_EQ(dt_parse(&f, &info), 0);
	HT_EQ(info.ncpus, DT_MAX_CPUS);
	HT_EQ(info.cpus_dropped, 4);
	HT_EQ(info.cpu_mpidr[DT_MAX_CPUS - 1], DT_MAX_CPUS - 1);
	HT_EQ(info.nrsv, DT_MAX_RSV);
	HT_EQ(info.rsv_merged, 8);
	HT_EQ(info.rsv_merged_bytes, 0);   /* they touch: merged at no cost */
	/* Every page asked for is still reserved. */
	for (uint32_t i = 0; i < DT_MAX_RSV + 8; i++) {
		uint64_t pa = 0x48000000 + i * 0x1000;
		bool in = false;

		for (unsigned k = 0; k < info.nrsv; k++)
			in |= pa >= info.rsv[k].base && pa + 0x1000 <= info.rsv[k].base + info.rsv[k].size;
		HT_ASSERT_MSG(in, "reserved page 0x%llx lost", (unsigned long long)pa);
	}
	HT_EQ(info.ndevices, DT_MAX_DEVICES);
	HT_EQ(info.devices_dropped, 12);
	HT_EQ(info.warnings, 4 + 8 + 12);
	HT_EQ(info.devices[DT_MAX_DEVICES - 1].reg[0].base,
	      0x10000000 + (DT_MAX_DEVICES - 1) * 0x1000);
}

/*
 * More reservations than the table holds, far apart: the nearest two are
 * merged each time, the bytes between them counted, none lost; no-map
 * survives a merge.
 */
static void test_reservations_merged_not_lost(void)
{
	struct fb *b = &builder;
	struct fdt f;
	uint64_t extra = 0;

	fb_start(b);
	fb_memory(b, 0x40000000, 0x40000000);
	/* 40 one-page ranges 1 MiB apart, then one 2 pages after the last. */
	for (uint32_t i = 0; i < 40; i++)
		fb_rsv(b, 0x40000000 + i * 0x100000, 0x1000);
	fb_rsv(b, 0x40000000 + 39 * 0x100000 + 0x3000, 0x1000);
	HT_EQ(fb_open(b, &f), 0);
	HT_EQ(dt_parse(&f, &info), 0);
	HT_EQ(info.nrsv, DT_MAX_RSV);
	HT_EQ(info.rsv_merged, 40 + 1 - DT_MAX_RSV);
	/* Eight merges of ranges 1 MiB - 4 KiB apart, and the last one 8 KiB
	 * from its neighbour: the cheapest merge there is. */
	extra = 8 * (0x100000ull - 0x1000) + 0x2000;
	HT_EQ(info.rsv_merged_bytes, extra);
	for (uint32_t i = 0; i < 41; i++) {
		uint64_t pa = i < 40 ? 0x40000000 + i * 0x100000 : 0x40000000 + 39 * 0x100000 + 0x3000;
		bool in = false;

		for (unsigned k = 0; k < info.nrsv; k++)
			in |= pa >= info.rsv[k].base && pa + 0x1000 <= info.rsv[k].base + info.rsv[k].size;
		HT_ASSERT_MSG(in, "reserved page 0x%llx lost", (unsigned long long)pa);
	}
	HT_STREQ(info.first_warning, "more than 32 reserved ranges; 0x42000000+0x1000 merged "
		 "with its nearest");
}

static void test_odd_values(void)
{
	struct fb *b = &builder;
	struct fdt f;
	const struct dt_device *d;
	static const uint32_t five_regs[10] = { 1, 1, 2, 1, 3, 1, 4, 1, 5, 1 };

	/* Initrd: bad lengths, only one end, empty. */
	fb_start(b);
	fb_memory(b, 0x40000000, 0x10000000);
	fb_begin(b, "chosen");
	fb_prop(b, "linux,initrd-start", "\0\0\1", 3);
	fb_prop_u32(b, "linux,initrd-end", 0x100);
	fb_end(b);
	HT_EQ(fb_open(b, &f), 0);
	HT_EQ(dt_parse(&f, &info), E_FORMAT);
	HT_ASSERT(strstr(info.why, "4 or 8") != NULL);

	fb_start(b);
	fb_memory(b, 0x40000000, 0x10000000);
	fb_begin(b, "chosen");
	fb_prop_u32(b, "linux,initrd-start", 0x100);
	fb_end(b);
	HT_EQ(fb_open(b, &f), 0);
	HT_EQ(dt_parse(&f, &info), E_FORMAT);
	HT_ASSERT(strstr(info.why, "without linux,initrd-end") != NULL);

	fb_start(b);
	fb_memory(b, 0x40000000, 0x10000000);
	fb_begin(b, "chosen");
	fb_prop_u32(b, "linux,initrd-start", 0x100);
	fb_prop_u32(b, "linux,initrd-end", 0x100);
	fb_prop(b, "bootargs", "abc", 3); /* not terminated */
	fb_prop_str(b, "stdout-path", "nosuchalias:9600");
	fb_end(b);
	/* Deep nesting: the device path does not fit DT_PATH_MAX. */
	fb_begin(b, "a-rather-long-bus-name@0");
	fb_prop(b, "ranges", NULL, 0);
	fb_begin(b, "another-rather-long-bus-name@0");
	fb_prop(b, "ranges", NULL, 0);
	fb_begin(b, "device-with-a-long-name@1000");
	fb_cells(b, "reg", 3, (const uint32_t[]){ 0, 0x1000, 0x10 }); /* default 2+1 cells */
	fb_prop(b, "compatible", "x,unterminated", 14);
	fb_end(b);
	fb_end(b);
	fb_end(b);
	/* Five reg entries (4 kept), interrupts longer than kept. */
	fb_begin(b, "many@1");
	fb_cells(b, "reg", 10, five_regs);
	fb_end(b);
	fb_begin(b, "irqs@9");
	fb_prop_u32(b, "reg", 9); /* wrong size for 1+1 cells: warning */
	fb_cells(b, "interrupts", 8, five_regs);
	fb_end(b);
	/* interrupt-parent pointing at a node that is not a controller,
	 * and at a chain of controllers longer than the hop limit. */
	fb_begin(b, "notctl");
	fb_prop_u32(b, "phandle", 0x50);
	fb_end(b);
	for (uint32_t i = 0; i < DT_IRQ_MAX_HOPS + 2; i++) {
		char name[16];

		snprintf(name, sizeof(name), "ctl%u", i);
		fb_begin(b, name);
		fb_prop_u32(b, "phandle", 0x60 + i);
		fb_prop(b, "interrupt-controller", NULL, 0);
		fb_prop_u32(b, "#interrupt-cells", 1);
		fb_prop_u32(b, "interrupt-parent", 0x60 + i + 1);
		fb_end(b);
	}
	fb_begin(b, "bad-parent@2");
	fb_cells(b, "reg", 2, (const uint32_t[]){ 2, 1 });
	fb_prop_u32(b, "interrupt-parent", 0x50);
	fb_prop_u32(b, "interrupts", 3);
	fb_end(b);
	fb_begin(b, "long-chain@3");
	fb_cells(b, "reg", 2, (const uint32_t[]){ 3, 1 });
	fb_prop_u32(b, "interrupt-parent", 0x60);
	fb_prop_u32(b, "interrupts", 3);
	fb_end(b);
	fb_begin(b, "self@4");
	fb_cells(b, "reg", 2, (const uint32_t[]){ 4, 1 });
	fb_prop_u32(b, "interrupt-parent", 0x60 + DT_IRQ_MAX_HOPS + 1); /* last: parent missing */
	fb_prop_u32(b, "interrupts", 3);
	fb_end(b);
	HT_EQ(fb_open(b, &f), 0);
	HT_EQ(dt_parse(&f, &info), 0);

	HT_ASSERT(info.has_initrd);
	HT_EQ(info.initrd_end, info.initrd_start);
	HT_STREQ(info.bootargs, "abc");
	HT_STREQ(info.stdout_path, "nosuchalias");
	HT_STREQ(info.stdout_options, "9600");
	HT_ASSERT(!info.stdout_resolved);

	HT_EQ(info.ndevices, 6);
	d = &info.devices[0];
	HT_ASSERT(d->path_truncated);
	HT_EQ(strlen(d->path), DT_PATH_MAX - 1);
	HT_STREQ(d->compatible, "");
	HT_ASSERT(!dt_device_is_compatible(d, "x,unterminated"));
	HT_ASSERT(d->reg[0].translated); /* two empty ranges: identity */
	HT_EQ(d->reg[0].base, 0x1000);
	HT_EQ(d->reg[0].size, 0x10);

	d = dt_device_by_path(&info, "/many@1");
	HT_ASSERT(d);
	HT_EQ(d->nreg_total, 5);
	HT_EQ(d->nreg, DT_MAX_REG);
	HT_EQ(info.regs_dropped, 1);
	HT_EQ(d->reg[3].base, 4);

	d = dt_device_by_path(&info, "/irqs");
	HT_ASSERT(d);
	HT_EQ(d->nreg, 0);
	HT_EQ(d->nirq_cells, 8);
	HT_EQ(d->irq[DT_MAX_IRQ_CELLS - 1], 1);
	HT_EQ(d->irq_status, DT_IRQ_NONE); /* no interrupt-parent anywhere */

	d = dt_device_by_path(&info, "/bad-parent");
	HT_ASSERT(d);
	HT_EQ(d->irq_status, DT_IRQ_BAD);
	d = dt_device_by_path(&info, "/long-chain");
	HT_ASSERT(d);
	HT_EQ(d->irq_status, DT_IRQ_LOOP); /* more hops than allowed */
	HT_EQ(d->irq_parent_cells, 1);
	d = dt_device_by_path(&info, "/self");
	HT_ASSERT(d);
	HT_EQ(d->irq_status, DT_IRQ_MISSING); /* its parent 0x6a does not exist */
	HT_ASSERT(info.warnings >= 6);
}

static void test_queries_defensive(void)
{
	struct dt_rsv r = { 0, 0, DT_RSV_MEMRESERVE, false };
	struct fdt f;

	HT_ASSERT(dt_device_by_path(NULL, "/x") == NULL);
	HT_ASSERT(dt_device_by_path(&info, NULL) == NULL);
	HT_ASSERT(dt_device_by_path(&info, "") == NULL);
	HT_ASSERT(!dt_device_is_compatible(NULL, "x"));
	HT_EQ(dt_find_compatible(NULL, "x", 0), E_NOENT);
	HT_EQ(dt_untranslatable_count(NULL), 0);
	HT_STREQ(dt_rsv_source_name(&r), "/memreserve/");
	HT_EQ(dt_parse(NULL, &info), E_INVAL);
	HT_ASSERT(info.why[0]);
	HT_EQ(dt_parse(&f, NULL), E_INVAL);
	memset(&f, 0, sizeof(f));
	HT_EQ(dt_parse(&f, &info), E_INVAL); /* never opened */
	HT_ASSERT(fdt_open(&f, "garbage!", 8) < 0);
	HT_EQ(dt_parse(&f, &info), E_INVAL); /* failed open */
}

/* xorshift64*, fixed seed. */
static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Flips in the handwritten trees, where the rarer paths are: every tree
 * fdt_open accepts must parse or fail with a reason. */
static void test_parse_flipped_trees(void)
{
	static const char *const files[] = { "dt-buses.dtb", "dt-sparse.dtb" };
	unsigned parsed = 0, failed = 0;

	rng_state = 0x0123456789abcdefull;
	for (size_t k = 0; k < 2; k++) {
		char path[512];
		size_t len = 0;
		uint8_t *orig;

		snprintf(path, sizeof(path), "%s/%s", htest_fixtures(), files[k]);
		orig = keep(htest_read_file(path, &len));
		HT_ASSERT_MSG(orig, "fixture %s missing", path);
		for (unsigned it = 0; it < 4000; it++) {
			uint8_t *p = malloc(len);
			struct fdt f;
			int err;

			HT_ASSERT(p);
			memcpy(p, orig, len);
			for (unsigned n = 1 + (unsigned)(rng() % 3); n; n--) {
				uint64_t r = rng();

				p[(r >> 8) % len] ^= (uint8_t)(1u << (r & 7));
			}
			if (fdt_open(&f, p, len) == 0) {
				err = dt_parse(&f, &info);
				if (err == 0) {
					parsed++;
					(void)dt_untranslatable_count(&info);
					(void)dt_device_by_path(&info, info.stdout_path);
				} else {
					failed++;
				}
				if (err > 0 || (err < 0 && !info.why[0])) {
					free(p);
					HT_ASSERT_MSG(false, "%s iteration %u: %d", files[k], it, err);
				}
			}
			free(p);
		}
	}
	printf("    # flipped trees: %u parsed, %u rejected by dt_parse\n", parsed, failed);
	HT_ASSERT(parsed > 1000);
}

static const struct htest_case cases[] = {
	HT_CASE(test_virt_machines),
	HT_CASE(test_virt_chosen),
	HT_CASE(test_sparse_memory_and_reservations),
	HT_CASE(test_buses_and_translation),
	HT_CASE(test_version16_same_result),
	HT_CASE(test_rejected_fixtures),
	HT_CASE(test_capacity_memory_banks),
	HT_CASE(test_capacity_devices_cpus_reservations),
	HT_CASE(test_reservations_merged_not_lost),
	HT_CASE(test_odd_values),
	HT_CASE(test_queries_defensive),
	HT_CASE(test_parse_flipped_trees),
};

int main(void)
{
	return htest_main("dt", cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
