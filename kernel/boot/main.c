/*
 * kernel_main: the portable boot sequence.
 *
 *   1. early console (board default UART) so that errors can be seen;
 *   2. validate the device tree where the boot loader left it, copy its
 *      used part into the kernel image (the original may sit in memory
 *      that will be reused), parse it into struct dt_info;
 *   3. kernel command line, PSCI conduit, the console named by
 *      /chosen/stdout-path, the boot banner;
 *   4. the kernel's own address space (direct map, W^X, no identity map);
 *   5. the boot archive (cpio newc, from /chosen/linux,initrd-*), checked
 *      entry by entry and never trusted;
 *   6. interrupt controller and timer tick, interrupts on;
 *   7. the other CPUs (boot/smp.c): started, checked in, idle;
 *   8. what the command line asks: ktest=..., bench, or idle.
 * Any failure in 2-4 is a boot error: a clear message and a non-zero exit.
 */
#include <boot/args.h>
#include <boot/boot.h>
#include <boot/memarg.h>
#include <boot/roottask.h>
#include <boot/smp.h>
#include <fw/cpio.h>
#include <fw/dt.h>
#include <fw/fdt.h>
#include <hal/arch.h>
#include <hal/plat.h>
#include <lib/error.h>
#include <lib/ktest.h>
#include <lib/log.h>
#include <lib/panic.h>
#include <lib/parse.h>
#include <lib/printf.h>
#include <lib/string.h>
#include <mm/mm.h>
#include <sched/thread.h>

#define DTB_COPY_MAX (128 * 1024)

static uint8_t dtb_copy[DTB_COPY_MAX] __attribute__((aligned(8)));
static struct fdt kfdt;
static struct fdt_index kfdt_index;     /* 56 KiB: FDT_INDEX_NODES, FDT_INDEX_PROPS */
static char kfdt_index_why[FDT_WHY_LEN]; /* why the tree is not indexed ("": it is) */
static struct dt_info dt;
static const struct boot_params *bparams;
static const void *archive;
static size_t archive_len;
static const void *root_elf;            /* the archive's "root" program, if any */
static size_t root_elf_len;

const struct dt_info *boot_dt(void)
{
	return &dt;
}

const struct boot_params *boot_params(void)
{
	return bparams;
}

const void *boot_archive(size_t *len)
{
	*len = archive_len;
	return archive;
}

static uint32_t be32_at(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint32_t dtb_size;

static void load_device_tree(paddr_t pa)
{
	const void *hdr = arch_early_phys(pa, 8);
	const void *blob;
	struct fdt raw;
	uint32_t total;
	int err;

	if (!hdr)
		panic("boot: device tree address 0x%llx (r2) is not in RAM below 3 GiB",
		      (unsigned long long)pa);
	total = be32_at((const uint8_t *)hdr + 4);
	if (be32_at(hdr) != 0xd00dfeed)
		panic("boot: no device tree at 0x%llx (magic 0x%08x)",
		      (unsigned long long)pa, (unsigned)be32_at(hdr));
	blob = arch_early_phys(pa, total);
	if (!blob)
		panic("boot: device tree at 0x%llx claims %u bytes, beyond reachable RAM",
		      (unsigned long long)pa, (unsigned)total);
	err = fdt_open(&raw, blob, total);
	dtb_size = total;
	if (err)
		panic("boot: malformed device tree: %s (%s)", raw.why, err_name(err));
	err = fdt_copy(&kfdt, dtb_copy, sizeof(dtb_copy), &raw);
	if (err)
		panic("boot: device tree copy failed: %s (%s)", kfdt.why, err_name(err));
	/* A tree too large for the index is read by walking it: slower,
	 * the same answers (said with the other warnings). */
	if (fdt_index(&kfdt, &kfdt_index))
		strlcpy(kfdt_index_why, kfdt.why, sizeof(kfdt_index_why));
	err = dt_parse(&kfdt, &dt);
	if (err)
		panic("boot: device tree: %s (%s)", dt.why, err_name(err));
}

/* RAM named by mem= on the command line (boot/memarg.h), replacing
 * /memory once checked against the device tree; what happened is kept
 * for the line after the banner. */
static char memarg_note[MEMARG_WHY_MAX + 96];
static bool memarg_rejected;

static void apply_mem_args(const struct boot_params *bp)
{
	const char *vals[DT_MAX_MEM + 1];
	unsigned n = args_get_all("mem", vals, DT_MAX_MEM + 1);
	struct memarg_boot mb = { bp->kimage_phys, bp->kimage_size };
	char why[MEMARG_WHY_MAX];
	uint64_t before = 0;
	unsigned nbefore = dt.nmem;
	int err;

	if (n == 0)
		return;
	for (unsigned i = 0; i < dt.nmem; i++)
		before += dt.mem[i].size;
	err = memarg_apply(vals, n > DT_MAX_MEM ? DT_MAX_MEM + 1 : n, &mb, &dt, why, sizeof(why));
	if (err)
		ksnprintf(memarg_note, sizeof(memarg_note),
			  "%s (%s); using the device tree's /memory", why, err_name(err));
	else
		ksnprintf(memarg_note, sizeof(memarg_note),
			  "ram: from the command line (mem=), replacing the device tree's "
			  "%llu MiB in %u bank%s",
			  (unsigned long long)(before >> 20), nbefore, nbefore == 1 ? "" : "s");
	memarg_rejected = err != 0;
}

/*
 * What the device tree had beyond the kernel's tables, or wrong but not
 * fatal: one line per kind with how many, then the total and the first
 * warning in words. Nothing is left out silently.
 */
static void report_dt_warnings(void)
{
	if (kfdt_index_why[0])
		pr_warn("dt: not indexed, every lookup walks the tree: %s", kfdt_index_why);
	if (dt.mem_dropped)
		pr_warn("dt: %u memory bank%s beyond the first %u left unused (%llu MiB)",
			dt.mem_dropped, dt.mem_dropped == 1 ? "" : "s", DT_MAX_MEM,
			(unsigned long long)(dt.mem_dropped_bytes >> 20));
	if (dt.mem_empty)
		pr_warn("dt: %u zero-sized memory bank entr%s skipped", dt.mem_empty,
			dt.mem_empty == 1 ? "y" : "ies");
	if (dt.rsv_merged)
		pr_warn("dt: more than %u reserved ranges: %u merged into their nearest, "
			"%llu KiB between them reserved too", DT_MAX_RSV, dt.rsv_merged,
			(unsigned long long)(dt.rsv_merged_bytes >> 10));
	if (dt.cpus_dropped)
		pr_warn("dt: %u cpu%s beyond the first %u ignored", dt.cpus_dropped,
			dt.cpus_dropped == 1 ? "" : "s", DT_MAX_CPUS);
	if (dt.devices_dropped)
		pr_warn("dt: %u device%s beyond the first %u ignored (no device ranges for them)",
			dt.devices_dropped, dt.devices_dropped == 1 ? "" : "s", DT_MAX_DEVICES);
	if (dt.regs_dropped)
		pr_warn("dt: %u reg entr%s beyond %u per device ignored", dt.regs_dropped,
			dt.regs_dropped == 1 ? "y" : "ies", DT_MAX_REG);
	if (dt.windows_dropped)
		pr_warn("dt: %u bus window%s beyond the first %u ignored", dt.windows_dropped,
			dt.windows_dropped == 1 ? "" : "s", DT_MAX_WINDOWS);
	if (dt.bootargs_truncated)
		pr_warn("cmdline: /chosen/bootargs longer than %u bytes, the rest ignored",
			DT_BOOTARGS_MAX - 1);
	if (dt.warnings)
		pr_warn("dt: %u warning%s, the first: %s", dt.warnings,
			dt.warnings == 1 ? "" : "s", dt.first_warning);
}

static void banner(const struct boot_params *bp)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < dt.nmem; i++)
		total += dt.mem[i].size;
	pr_info("Cairn %s, a capability microkernel for ARMv7-A LPAE", CAIRN_VERSION);
	pr_info("cpu: %s, entered in %s mode", bp->cpu, bp->entry_mode);
	pr_info("ram: %llu MiB in %u bank%s", (unsigned long long)(total >> 20), dt.nmem,
		dt.nmem == 1 ? "" : "s");
	if (memarg_note[0] && memarg_rejected)
		pr_warn("%s", memarg_note);
	else if (memarg_note[0])
		pr_info("%s", memarg_note);
	for (unsigned i = 0; i < dt.nmem; i++)
		pr_info("ram: bank %u: 0x%010llx-0x%010llx (%llu MiB)", i,
			(unsigned long long)dt.mem[i].base,
			(unsigned long long)(dt.mem[i].base + dt.mem[i].size - 1),
			(unsigned long long)(dt.mem[i].size >> 20));
	for (unsigned i = 0; i < dt.nrsv; i++)
		pr_info("reserved: 0x%010llx-0x%010llx (%s)",
			(unsigned long long)dt.rsv[i].base,
			(unsigned long long)(dt.rsv[i].base + dt.rsv[i].size - 1),
			dt_rsv_source_name(&dt.rsv[i]));
	pr_info("kernel: image at 0x%010llx, %u KiB", (unsigned long long)bp->kimage_phys,
		(unsigned)(bp->kimage_size >> 10));
	pr_info("device tree: at 0x%010llx, %u bytes used, model \"%s\"",
		(unsigned long long)bp->dtb_phys, (unsigned)fdt_used_size(&kfdt), dt.model);
	pr_info("devices: %u nodes with registers (%u untranslatable)", dt.ndevices,
		dt_untranslatable_count(&dt));
	pr_info("console: %s", plat_console_name());
	pr_info("cmdline: \"%s\"", args_cmdline());
}

/* Parse a size argument: decimal or 0x hex, optional K/M/G suffix; 0 if
 * it is not one. */
static uint64_t parse_size(const char *s)
{
	const char *e;
	uint64_t v;

	if (!parse_u64(s, &v, &e))
		return 0;
	switch (*e) {
	case 'k': case 'K': return v > (UINT64_MAX >> 10) ? 0 : v << 10;
	case 'm': case 'M': return v > (UINT64_MAX >> 20) ? 0 : v << 20;
	case 'g': case 'G': return v > (UINT64_MAX >> 30) ? 0 : v << 30;
	}
	return v;
}

static void mm_report_line(void *ctx, const char *line)
{
	(void)ctx;
	pr_info("%s", line);
}

static struct pmem_range mm_banks[DT_MAX_MEM];
static struct pmem_range mm_rsv[DT_MAX_RSV + 3];
static struct mm_device mm_devs[DT_MAX_DEVICES * DT_MAX_REG + DT_MAX_WINDOWS];

/* Kernel memory: physical map, frame table, buddy, object heap, pools,
 * device ranges, all from the device tree. */
static void memory_init(const struct boot_params *bp)
{
	struct mm_config cfg;
	struct mm_status st;
	char line[160];
	unsigned nr = 0, nd = 0, nb = 0;
	uint64_t beyond = 0;
	const char *karg;
	int err;

	memset(&cfg, 0, sizeof(cfg));
	/* RAM beyond the 40 bits LPAE addresses cannot be used: left out,
	 * and said, not fatal. */
	for (unsigned i = 0; i < dt.nmem; i++) {
		paddr_t b = dt.mem[i].base;
		uint64_t sz = dt.mem[i].size;

		if (b >= PMEM_PHYS_LIMIT) {
			beyond += sz;
			continue;
		}
		if (sz > PMEM_PHYS_LIMIT - b) {
			beyond += sz - (PMEM_PHYS_LIMIT - b);
			sz = PMEM_PHYS_LIMIT - b;
		}
		mm_banks[nb].base = b;
		mm_banks[nb++].size = sz;
	}
	if (beyond)
		pr_warn("mem: %llu KiB of RAM beyond the 40-bit physical address space left out",
			(unsigned long long)(beyond >> 10));
	mm_rsv[nr].base = bp->kimage_phys;
	mm_rsv[nr++].size = bp->kimage_size;
	mm_rsv[nr].base = bp->dtb_phys;
	mm_rsv[nr++].size = dtb_size;
	if (dt.has_initrd && dt.initrd_end > dt.initrd_start) {
		mm_rsv[nr].base = dt.initrd_start;
		mm_rsv[nr++].size = dt.initrd_end - dt.initrd_start;
	}
	for (unsigned i = 0; i < dt.nrsv; i++) {
		mm_rsv[nr].base = dt.rsv[i].base;
		mm_rsv[nr++].size = dt.rsv[i].size;
	}
	for (unsigned i = 0; i < dt.ndevices; i++)
		for (unsigned j = 0; j < dt.devices[i].nreg; j++) {
			if (!dt.devices[i].reg[j].translated)
				continue;
			mm_devs[nd].base = dt.devices[i].reg[j].base;
			mm_devs[nd].size = dt.devices[i].reg[j].size;
			mm_devs[nd++].tag = i;
		}
	/* PCI host bridges' windows: device memory too, named by the bridge. */
	for (unsigned i = 0; i < dt.nwindows; i++) {
		mm_devs[nd].base = dt.windows[i].base;
		mm_devs[nd].size = dt.windows[i].size;
		mm_devs[nd].window = true;
		mm_devs[nd++].tag = dt.windows[i].device;
	}
	cfg.banks = mm_banks;
	cfg.nbanks = nb;
	cfg.reserved = mm_rsv;
	cfg.nreserved = nr;
	cfg.devices = mm_devs;
	cfg.ndevices = nd;
	cfg.direct_base = arch_direct_map_base();
	cfg.direct_size = arch_direct_map_size();
	cfg.ftable_va = arch_ftable_base();
	cfg.ftable_size = arch_ftable_size();
	karg = args_get("kheap");
	cfg.kheap_override = karg ? parse_size(karg) : 0;
	if (karg && cfg.kheap_override == 0)
		pr_warn("mem: kheap=%s is not a size (e.g. kheap=8M); using the formula", karg);
	cfg.debug = args_has("mm.debug");
	memset(&st, 0, sizeof(st));
	err = mm_init(&cfg, &st);
	if (err)
		panic("boot: kernel memory: %s (%s)", st.why ? st.why : "?", err_name(err));
	if (st.ram_left_out)
		pr_warn("mem: %llu MiB of RAM at and above 0x%010llx left out: the frame table "
			"indexes at most %llu MiB of RAM span",
			(unsigned long long)(st.ram_left_out >> 20), (unsigned long long)st.ram_limit,
			(unsigned long long)(st.ram_span_max >> 20));
	if (st.warning)
		pr_warn("mem: %s", st.warning);
	if (st.devices_rejected)
		pr_warn("mem: %u device ranges rejected", st.devices_rejected);
	mm_summary(line, sizeof(line));
	pr_info("%s", line);
	if (args_has("mm.report"))
		mm_report(mm_report_line, NULL);
}

static bool overlaps(paddr_t a, uint64_t asz, paddr_t b, uint64_t bsz)
{
	return asz && bsz && a < b + bsz && b < a + asz;
}

static void load_archive(void)
{
	struct cpio_iter it;
	struct cpio_entry e;
	const void *sys = NULL;
	size_t syslen = 0;
	const char *dup = NULL;
	unsigned files = 0;
	uint64_t size;
	int err;

	if (!dt.has_initrd) {
		pr_warn("archive: none (no /chosen/linux,initrd-start)");
		return;
	}
	size = dt.initrd_end - dt.initrd_start;
	if (size == 0) {
		pr_warn("archive: empty (/chosen/linux,initrd-start equals -end)");
		return;
	}
	if (overlaps(dt.initrd_start, size, bparams->kimage_phys, bparams->kimage_size)) {
		pr_warn("archive: 0x%llx-0x%llx overlaps the kernel image; ignored",
			(unsigned long long)dt.initrd_start, (unsigned long long)dt.initrd_end);
		return;
	}
	if (overlaps(dt.initrd_start, size, bparams->dtb_phys, dtb_size)) {
		pr_warn("archive: 0x%llx-0x%llx overlaps the device tree; ignored",
			(unsigned long long)dt.initrd_start, (unsigned long long)dt.initrd_end);
		return;
	}
	if (size > ROOTTASK_ARCHIVE_MAX) {
		pr_warn("archive: %llu bytes, more than the %u the root task's window holds; "
			"ignored", (unsigned long long)size, (unsigned)ROOTTASK_ARCHIVE_MAX);
		return;
	}
	archive = arch_phys_to_virt(dt.initrd_start, (size_t)size);
	if (!archive || size > SIZE_MAX) {
		pr_warn("archive: 0x%llx-0x%llx is not in the direct map; ignored",
			(unsigned long long)dt.initrd_start, (unsigned long long)dt.initrd_end);
		archive = NULL;
		return;
	}
	archive_len = (size_t)size;
	cpio_iter_init(&it, archive, archive_len);
	while ((err = cpio_next(&it, &e)) == 0) {
		files++;
		/* A name that matters given twice: the kernel would start
		 * one "root" and the root task read another (cpio_lookup
		 * takes the first), so the archive is refused as ambiguous. */
		if (strcmp(e.name, "system.dtb") == 0) {
			if (sys) {
				dup = e.name;
				break;
			}
			sys = e.data;
			syslen = e.size;
		} else if (strcmp(e.name, "root") == 0) {
			if (root_elf) {
				dup = e.name;
				break;
			}
			root_elf = e.data;
			root_elf_len = e.size;
		}
	}
	if (dup) {
		pr_warn("archive: rejected at offset %zu: a second file named \"%s\" (E_EXIST)",
			e.offset, dup);
		archive = NULL;
		archive_len = 0;
		root_elf = NULL;
		return;
	}
	if (err != E_NOENT) {
		pr_warn("archive: rejected at offset %zu: %s (%s)", it.offset, it.why,
			err_name(err));
		archive = NULL;
		archive_len = 0;
		root_elf = NULL;                /* nothing of a rejected archive is used */
		return;
	}
	pr_info("archive: %u files, %zu bytes at 0x%010llx", files, archive_len,
		(unsigned long long)dt.initrd_start);
	if (sys) {
		struct fdt sf;

		err = fdt_open(&sf, sys, syslen);
		if (err)
			pr_warn("archive: system.dtb is malformed: %s", sf.why);
		else
			pr_info("archive: system.dtb, %zu bytes, valid", syslen);
	} else {
		pr_warn("archive: no system.dtb");
	}
}


static char user_ktest[BOOTINFO_KTEST];

static bool have_root(void)
{
	return root_elf != NULL;
}

/*
 * Start the root task from the archive's "root" program. Returns false
 * when there is none (or it cannot be built: the reason is logged).
 */
static bool start_root_task(void)
{
	struct roottask_args ra;
	const char *why = NULL;
	int err;

	if (!root_elf) {
		pr_warn("root: no program \"root\" in the boot archive");
		return false;
	}
	memset(&ra, 0, sizeof(ra));
	ra.elf = root_elf;
	ra.elf_len = root_elf_len;
	ra.archive_pa = dt.initrd_start;
	ra.archive_len = archive_len;
	ra.dtb = dtb_copy;
	ra.dtb_len = fdt_used_size(&kfdt);
	ra.dt = &dt;
	ra.cmdline = args_cmdline();
	ra.ktest = user_ktest;
	ra.tick_hz = KERNEL_HZ;
	err = roottask_start(&ra, &why);
	if (err) {
		pr_err("root: cannot start the program \"root\" of the boot archive: %s (%s)",
		       why ? why : "?", err_name(err));
		return false;
	}
	return true;
}

/* Leave boot: the context of the first thread to run (the entry code
 * enters it; from then on the kernel runs only on entries from user mode). */
static struct uctx *enter_scheduler(void)
{
	struct uctx *ctx;

	/* Interrupts masked from here to the first thread (boot ran with
	 * them on): the kernel lock is taken and held with them masked, and
	 * the entry into that thread must not take one (uarch_enter_user). */
	arch_irq_save();
	smp_start_threads();
	ctx = sched_exit();
	kernel_exit(this_cpu());
	return ctx;
}

struct uctx *kernel_main(const struct boot_params *bp)
{
	const char *sel;
	int err;

	bparams = bp;
	sched_init();                   /* this CPU's struct cpu, before anyone asks */
	plat_early_console_init();
	load_device_tree(bp->dtb_phys);
	args_parse(dt.bootargs);
	apply_mem_args(bp);
	plat_psci_init(&dt);
	err = plat_console_init(&dt);
	banner(bp);
	report_dt_warnings();
	if (err)
		pr_warn("console: /chosen/stdout-path unusable (%s); using the board UART",
			err_name(err));
	if (args_dropped())
		pr_warn("cmdline: %u words beyond the first %u ignored", args_dropped(),
			ARGS_MAX);
	err = arch_mmu_init(&dt);
	if (err)
		panic("boot: kernel address space: %s", err_name(err));
	pr_info("mmu: direct map and W^X kernel image active, identity map removed");
	memory_init(bp);
	objects_init();
	load_archive();
	err = plat_irq_init(&dt);
	if (err)
		panic("boot: interrupt controller: %s", err_name(err));
	plat_timer_set_tick(sched_tick);        /* round robin within a priority */
	err = plat_timer_init(&dt, KERNEL_HZ);
	if (err)
		panic("boot: timer: %s", err_name(err));
	arch_irq_enable();
	smp_boot(&dt);

	if ((sel = args_get("ktest")) != NULL) {
		int failures;

		if (strcmp(sel, "panic") == 0)
			panic("deliberate panic requested by ktest=panic");
		if (strcmp(sel, "fault") == 0) {
			/* Unhandled kernel data abort: nothing is mapped below
			 * 0xC000_0000 once the identity map is gone. */
			volatile uint32_t *volatile bad = (volatile uint32_t *)(uintptr_t)0x10;

			pr_info("ktest=fault: reading address 0x10");
			(void)*bad;
			panic("ktest=fault: the read of 0x10 did not fault");
		}
		bool user = !args_has("ktest.kernel") && have_root();

		failures = ktest_run(sel, user ? user_ktest : NULL, sizeof(user_ktest));
		pr_info("ktest: %d failure%s", failures, failures == 1 ? "" : "s");
		/* The root task runs the user-level suites of the selection and
		 * powers off; the exit status counts both. */
		if (user && start_root_task())
			return enter_scheduler();
		/* A root task that is there but cannot start ran none of the
		 * user-level suites: not a pass (start_root_task said why). */
		if (user) {
			pr_err("ktest: the user-level suites did not run (no root task)");
			failures++;
		}
		arch_exit(failures ? 1 : 0);
	}
	if (args_has("bench")) {
		bench_run();
		/* Then the root task's benchmarks of the system calls, which
		 * read the cycle counter from user mode. */
		if (have_root()) {
			arch_pmu_user_access(true);
			if (start_root_task())
				return enter_scheduler();
		}
		arch_exit(0);
	}
	if (args_has("poweroff")) {
		pr_info("poweroff requested on the command line");
		arch_exit(0);
	}
	if (!start_root_task()) {
		pr_info("boot complete; no root task, idling (Ctrl-A X leaves QEMU)");
		for (;;)
			arch_wait_for_interrupt();
	}
	pr_info("boot complete; entering the root task");
	return enter_scheduler();
}
