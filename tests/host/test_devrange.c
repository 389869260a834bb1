/*
 * Host tests of device ranges and page_info (kernel/mm/devrange.c), on a
 * whole memory subsystem booted by mm_init with QEMU virt's map (1 GiB),
 * and of the `mem:` summary and report (kernel/mm/mm.c).
 */
#include "htest.h"
#include "mm_fakes.h"

#include <lib/error.h>
#include <mm/buddy.h>
#include <mm/devrange.h>
#include <mm/frame.h>
#include <mm/kheap.h>
#include <mm/mm.h>
#include <mm/pmem.h>
#include <mm/pool.h>

#include <stdio.h>
#include <stdlib.h>

#define MB(x) ((paddr_t)(x) << 20)

static const struct pmem_range banks[] = { { 0x40000000, 0x40000000 } };
static const struct pmem_range rsv[] = {
	{ 0x40010000, 0x300000 },   /* kernel image */
	{ 0x44000000, 0x20000 },    /* boot archive */
	{ 0x48000000, 0x100000 },   /* device tree */
	{ 0x0E000000, 0x100000 },   /* /reserved-memory outside RAM (secure) */
};
static struct mm_device devs[64];
static unsigned ndevs;

static void add_dev(paddr_t base, uint64_t size)
{
	devs[ndevs].base = base;
	devs[ndevs].size = size;
	devs[ndevs].tag = ndevs;
	ndevs++;
}

/* QEMU virt (cortex-a15), as dumped from the machine's device tree. */
static void qemu_devices(void)
{
	ndevs = 0;
	add_dev(0x00000000, 0x04000000);     /* flash bank 0 */
	add_dev(0x04000000, 0x04000000);     /* flash bank 1 */
	add_dev(0x08000000, 0x10000);        /* GIC distributor */
	add_dev(0x08010000, 0x10000);        /* GIC CPU interface */
	add_dev(0x09000000, 0x1000);         /* PL011 */
	add_dev(0x09010000, 0x1000);         /* PL031 */
	add_dev(0x09020000, 0x18);           /* fw_cfg: sub-page */
	add_dev(0x09030000, 0x1000);         /* PL061 */
	for (unsigned i = 0; i < 32; i++)    /* virtio-mmio, 0x200 apart */
		add_dev(0x0a000000 + i * 0x200, 0x200);
	add_dev(0x3f000000, 0x01000000);     /* PCIe ECAM */
	add_dev(0x10000000, 0x2eff0000);     /* PCIe MMIO */
	add_dev(0x3eff0000, 0x10000);        /* PCIe PIO */
	add_dev(0x50000000, 0x1000);         /* bogus: inside RAM */
}

static struct mm_status st;

static int boot(void)
{
	struct mm_config cfg = { 0 };

	qemu_devices();
	cfg.banks = banks;
	cfg.nbanks = 1;
	cfg.reserved = rsv;
	cfg.nreserved = ARRAY_SIZE(rsv);
	cfg.devices = devs;
	cfg.ndevices = ndevs;
	cfg.direct_base = 0x40000000;
	cfg.direct_size = MB(768);
	cfg.ftable_size = 24u << 20;
	return mmfake_boot(&cfg, &st);
}

static void check_all(void)
{
	const char *why = NULL;

	HT_ASSERT_MSG(mm_check(&why) == 0, "mm_check: %s", why);
}

static void boot_and_summary(void)
{
	char line[200];

	HT_EQ(boot(), 0);
	/* 32 virtio transports fill 4 pages: 4 ranges of 8 transports each
	 * (a page is the unit a mapping can grant); the device inside RAM is
	 * rejected with a warning, not fatally: 11 + 4 = 15 */
	HT_EQ(devrange_count(), 15);
	HT_EQ(st.devices_rejected, 1);
	HT_ASSERT(st.warning && strstr(st.warning, "RAM"));
	/* backed: the chunks cut by the image, the archive and the DTB (3),
	 * the 16 MiB heap at the top of DIRECT (4) and the chunk below it
	 * that holds the frame table's page table (1): 8 chunks of 8 KiB */
	HT_EQ(frame_backed_bytes(), 8 * 8192);
	mm_summary(line, sizeof(line));
	HT_STREQ(line, "mem: ram 1024 MiB in 1 bank, frame table 64 KiB backed (8 B/page), "
		       "heap 16384 KiB, 15 device ranges (24 B each)");
	check_all();
}

static void validation_errors(void)
{
	const char *why = NULL;

	HT_EQ(boot(), 0);
	HT_EQ(devrange_add(0x0c000000, 0, 0, MEM_R, 1, &why), E_INVAL);
	HT_ASSERT(strstr(why, "zero"));
	HT_EQ(devrange_add(0xFFFFFFFFFFFFF000ull, 0x2000, 0, MEM_R, 1, &why), E_OVERFLOW);
	HT_ASSERT(strstr(why, "wraps"));
	HT_EQ(devrange_add(0xFFFFFFF000ull, 0x2000, 0, MEM_R, 1, &why), E_RANGE);
	HT_ASSERT(strstr(why, "40 bits"));
	HT_EQ(devrange_add(0x0c000800, 0x1000, 0, MEM_R, 1, &why), E_ALIGN);
	HT_EQ(devrange_add(0x0c000000, 0x800, 0, MEM_R, 1, &why), E_ALIGN);
	HT_ASSERT(strstr(why, "aligned"));
	HT_EQ(devrange_add(0x3ffff000 + 0x01000000, 0x2000, 0, MEM_R, 1, &why), E_BUSY);
	HT_EQ(devrange_add(0x7ffff000, 0x2000, 0, MEM_R, 1, &why), E_BUSY);
	HT_ASSERT(strstr(why, "RAM"));
	HT_EQ(devrange_add(0x0e0ff000, 0x2000, 0, MEM_R, 1, &why), E_PERM);
	HT_ASSERT(strstr(why, "reserved"));
	HT_EQ(devrange_add(0x09000000, 0x1000, 0, MEM_R, 1, &why), E_EXIST);
	HT_EQ(devrange_add(0x08fff000, 0x2000, 0, MEM_R, 1, &why), E_EXIST);
	HT_ASSERT(strstr(why, "another device"));
	HT_EQ(devrange_add(0x0c000000, 0x1000, 0, MEM_R | MEM_X, 1, &why), E_INVAL);
	HT_EQ(devrange_add(0x0c000000, 0x1000, 0x10, MEM_R, 1, &why), E_INVAL);
	/* sub-page devices merge, but never into an explicit range */
	HT_EQ(devrange_add(0x0c000000, 0x2000, MEM_ATTR_BIT(MEM_ATTR_WRITE_COMBINE),
			   MEM_R | MEM_W, 99, &why), 0);
	HT_EQ(devrange_add_device(0x0c001800, 0x100, 100, &why), E_EXIST);
	HT_EQ(devrange_add_device(0x0c000000, 0, 100, &why), E_INVAL);
	HT_EQ(devrange_add_device(0xFFFFFFFFFFFFFF00ull, 0x200, 100, &why), E_OVERFLOW);
	HT_EQ(devrange_validate(0x0d000000, 0x1000, &why), 0);
	HT_EQ(devrange_count(), 16);
	check_all();
}

static void metadata_is_constant(void)
{
	const char *why = NULL;
	size_t m0, m1, m2;

	HT_EQ(boot(), 0);
	m0 = devrange_meta_bytes();
	HT_EQ(m0, 15 * sizeof(struct devrange));
	HT_EQ(devrange_add(0x8000000000ull, 1ull << 30, 0, MEM_R | MEM_W, 1, &why), 0); /* 1 GiB */
	m1 = devrange_meta_bytes();
	HT_EQ(devrange_add(0x0d000000, 0x1000, 0, MEM_R | MEM_W, 2, &why), 0);          /* 4 KiB */
	m2 = devrange_meta_bytes();
	HT_EQ(m1 - m0, sizeof(struct devrange));
	HT_EQ(m2 - m1, sizeof(struct devrange));
	HT_EQ(sizeof(struct devrange), 24);
	/* and no frame-table, heap or buddy memory was spent on either */
	{
		uint64_t backed = frame_backed_bytes(), heapfree = kheap_free_bytes();

		HT_EQ(devrange_add(0x9000000000ull, 1ull << 36, 0, MEM_R, 3, &why), 0); /* 64 GiB */
		HT_EQ(frame_backed_bytes(), backed);
		HT_EQ(kheap_free_bytes(), heapfree);
	}
	check_all();
}

static void page_info_ram_and_device(void)
{
	struct page_info pi;
	struct quota q;
	paddr_t pa;
	unsigned mapped;

	HT_EQ(boot(), 0);
	/* device page: computed from its range */
	HT_EQ(page_info(0x09000abc, &pi), 0);
	HT_EQ(pi.pa, 0x09000000);
	HT_EQ(pi.kind, PAGE_KIND_DEVICE);
	HT_EQ(pi.state, PAGE_DEVICE);
	HT_EQ(pi.attr, MEM_ATTR_DEVICE);
	HT_EQ(pi.rights, MEM_R | MEM_W);
	HT_EQ(pi.block, 0x09000000);
	HT_EQ(pi.block_size, 0x1000);
	HT_ASSERT(pi.range && pi.range->tag == 4);
	HT_ASSERT(pi.frame == NULL);
	HT_EQ(page_info(0x0a003e00, &pi), 0);            /* last virtio transport */
	HT_EQ(pi.block, 0x0a003000);
	HT_EQ(pi.block_size, 0x1000);
	HT_EQ(pi.range->merged, 7);                      /* 8 transports per page */
	HT_EQ(pi.range->tag, 8 + 24);
	HT_EQ(page_info(0x09020000, &pi), 0);            /* fw_cfg rounded up */
	HT_EQ(pi.block_size, 0x1000);
	/* allocated RAM: from the frame table, with owner pool and mappings */
	memset(&q, 0, sizeof(q));
	HT_EQ(quota_create_root(&q, pool_get(POOL_DMA32), 64, "p"), 0);
	HT_EQ(pool_frame_alloc(&q, 2, 0, &pa), 0);
	HT_EQ(frame_ref(pa + 0x2000), 0);
	HT_EQ(page_info(pa + 0x2123, &pi), 0);
	HT_EQ(pi.kind, PAGE_KIND_RAM);
	HT_EQ(pi.state, PAGE_ALLOCATED);
	HT_EQ(pi.pool, POOL_DMA32);
	HT_EQ(pi.seg, PMEM_SEG_DMA32);
	HT_EQ(pi.order, 2);
	HT_EQ(pi.block, pa);
	HT_EQ(pi.block_size, 0x4000);
	HT_EQ(pi.map_count, 1);
	HT_EQ(pi.attr, MEM_ATTR_NORMAL_WB);
	HT_EQ(pi.rights, MEM_R | MEM_W | MEM_X);
	HT_ASSERT(pi.frame == frame_get(pa + 0x2000));
	HT_EQ(frame_unref(pa + 0x2000), 0);
	HT_EQ(pool_frame_free(&q, pa, 2), 0);
	HT_EQ(page_info(pa, &pi), 0);
	HT_EQ(pi.state, PAGE_FREE);
	HT_EQ(pi.rights, 0);
	/* free RAM nobody touched: answered without growing the table */
	mapped = mmfake_backing_mapped();
	HT_EQ(page_info(0x7c000000, &pi), 0);
	HT_EQ(pi.state, PAGE_FREE);
	HT_ASSERT(pi.frame == NULL);
	HT_EQ(mmfake_backing_mapped(), mapped);
	/* reserved, heap and frame-table pages */
	HT_EQ(page_info(0x40100000, &pi), 0);
	HT_EQ(pi.state, PAGE_RESERVED);
	HT_EQ(pi.rights, 0);
	HT_EQ(page_info(kheap_pa() + 0x5000, &pi), 0);
	HT_EQ(pi.state, PAGE_KERNEL);
	HT_EQ(pi.pool, POOL_KHEAP);
	HT_EQ(page_info(mmfake_backing_pa((uintptr_t)frame_map.table), &pi), 0);
	HT_EQ(pi.state, PAGE_FRAME_TABLE);
	/* holes and the end of the physical space */
	HT_EQ(page_info(0x80000000, &pi), E_NOENT);
	HT_EQ(page_info(0x0e000000, &pi), E_NOENT);       /* reserved, not a device */
	HT_EQ(page_info((paddr_t)1 << 40, &pi), E_RANGE);
	HT_EQ(quota_destroy(&q), 0);
	check_all();
}

static void page_info_agrees_everywhere(void)
{
	struct page_info pi;
	unsigned ram = 0, dev = 0, holes = 0;

	HT_EQ(boot(), 0);
	/* sweep the low 4 GiB in odd steps: the kind always matches pmem and
	 * the range table, RAM pages always report a segment-consistent state */
	for (paddr_t pa = 0x123; pa < ((paddr_t)1 << 32); pa += 0x1234567) {
		int err = page_info(pa, &pi);

		if (pmem_is_ram(pa)) {
			HT_EQ(err, 0);
			HT_EQ(pi.kind, PAGE_KIND_RAM);
			HT_EQ(pi.seg, pmem_seg_of(pa));
			HT_ASSERT(pi.state != PAGE_UNKNOWN && pi.state != PAGE_DEVICE);
			ram++;
		} else if (devrange_find(pa)) {
			HT_EQ(err, 0);
			HT_EQ(pi.kind, PAGE_KIND_DEVICE);
			HT_ASSERT(pi.range == devrange_find(pa));
			HT_ASSERT(pa >= pi.block && pa - pi.block < pi.block_size);
			dev++;
		} else {
			HT_EQ(err, E_NOENT);
			holes++;
		}
	}
	HT_ASSERT(ram > 10 && dev > 10 && holes > 10);
	check_all();
}

struct lines {
	unsigned n;
	char text[64][200];
};

static void collect(void *ctx, const char *line)
{
	struct lines *l = ctx;

	if (l->n < 64)
		snprintf(l->text[l->n++], sizeof(l->text[0]), "%s", line);
}

static bool has_line(const struct lines *l, const char *needle)
{
	for (unsigned i = 0; i < l->n; i++)
		if (strstr(l->text[i], needle))
			return true;
	return false;
}

static void full_report(void)
{
	static struct lines l;
	static struct kcache c;
	struct quota q;
	void *obj;

	HT_EQ(boot(), 0);
	memset(&c, 0, sizeof(c));
	memset(&q, 0, sizeof(q));
	HT_EQ(kcache_create(&c, "endpoint", 96, 0, 0), 0);
	HT_EQ(quota_create_root(&q, pool_get(POOL_KHEAP), 65536, "root"), 0);
	HT_EQ(kcache_alloc(&c, &q, &obj), 0);
	memset(&l, 0, sizeof(l));
	mm_report(collect, &l);
	for (unsigned i = 0; i < l.n; i++)
		printf("    # %s\n", l.text[i]);
	HT_ASSERT(strncmp(l.text[0], "mem: ram 1024 MiB in 1 bank,", 28) == 0);
	HT_ASSERT(has_line(&l, "pool direct: total"));
	HT_ASSERT(has_line(&l, "pool kheap: total 16777216 bytes"));
	HT_ASSERT(has_line(&l, "reserved to quotas 65536"));
	HT_ASSERT(has_line(&l, "cache endpoint: 1 objects in use, 1 slabs, 4096 bytes"));
	HT_ASSERT(has_line(&l, "devices: 15 ranges, 360 bytes of metadata"));
	HT_ASSERT(has_line(&l, "device 0x000a003000-0x000a003fff device rw tag 32 (merged)"));
	HT_EQ(kcache_free(&c, obj), 0);
	HT_EQ(kcache_destroy(&c), 0);
	HT_EQ(quota_destroy(&q), 0);
	check_all();
}

static void bank_plural_and_override(void)
{
	static const struct pmem_range two[] = { { 0x40000000, 0x8000000 },
						  { 0x100000000ull, 0x8000000 } };
	struct mm_config cfg = { 0 };
	char line[200];

	cfg.banks = two;
	cfg.nbanks = 2;
	cfg.direct_base = 0x40000000;
	cfg.direct_size = MB(768);
	cfg.ftable_size = 8u << 20;
	cfg.kheap_override = 3u << 20;
	HT_EQ(mmfake_boot(&cfg, &st), 0);
	HT_ASSERT(st.warning == NULL);
	mm_summary(line, sizeof(line));
	/* the 3 MiB heap at the top of the 128 MiB of DIRECT leaves 1 MiB of
	 * its chunk free: buddy_init opens that chunk (backed by its own top
	 * pages), and the heap pages are recorded in it: 8 KiB in all */
	HT_STREQ(line, "mem: ram 256 MiB in 2 banks, frame table 8 KiB backed (8 B/page), "
		       "heap 3072 KiB, 0 device ranges (24 B each)");
	check_all();
}

static void boot_errors(void)
{
	struct mm_config cfg = { 0 };
	static const struct pmem_range wrap[] = { { 0xFFFFFFFFFFFFF000ull, 0x2000 } };

	cfg.banks = wrap;
	cfg.nbanks = 1;
	cfg.direct_size = MB(768);
	cfg.ftable_size = 8u << 20;
	HT_EQ(mmfake_boot(&cfg, &st), E_OVERFLOW);
	HT_ASSERT(st.why != NULL);
	cfg.nbanks = 0;
	HT_EQ(mmfake_boot(&cfg, &st), E_INVAL);
}

/* A legal machine with more RAM than the frame table can index boots on
 * the RAM it can index and says how much it left out. */
static void more_ram_than_the_frame_table_indexes(void)
{
	static const struct pmem_range big[] = { { GiB(1), GiB(16) } };
	static const struct pmem_range multi[] = {
		{ GiB(1), GiB(1) }, { GiB(4), GiB(4) }, { GiB(32), GiB(8) },
	};
	struct mm_config cfg = { 0 };
	const char *why = NULL;

	cfg.direct_base = GiB(1);
	cfg.direct_size = MB(768);
	cfg.ftable_size = 24u << 20;              /* 3 Mi entries: 12 GiB of span */
	cfg.banks = big;
	cfg.nbanks = 1;
	HT_EQ(mmfake_boot(&cfg, &st), 0);
	HT_EQ(st.ram_left_out, GiB(4));
	HT_EQ(st.ram_limit, GiB(13));
	HT_EQ(st.ram_span_max, GiB(12));
	HT_EQ(pmem_ram_bytes(), GiB(12));
	HT_ASSERT(pmem_is_ram(GiB(13) - 4096));
	HT_ASSERT(!pmem_is_ram(GiB(13)));
	HT_EQ(mm_check(&why), 0);

	/* Several banks with holes: the one beyond the indexable span goes. */
	cfg.banks = multi;
	cfg.nbanks = 3;
	HT_EQ(mmfake_boot(&cfg, &st), 0);
	HT_EQ(st.ram_left_out, GiB(8));
	HT_EQ(pmem_ram_bytes(), GiB(5));
	HT_ASSERT(pmem_is_ram(GiB(8) - 4096));
	HT_ASSERT(!pmem_is_ram(GiB(32)));
	HT_EQ(mm_check(&why), 0);

	/* What fits is all used. */
	cfg.nbanks = 2;
	HT_EQ(mmfake_boot(&cfg, &st), 0);
	HT_EQ(st.ram_left_out, 0);
	HT_EQ(pmem_ram_bytes(), GiB(5));
}

static const struct htest_case cases[] = {
	HT_CASE(boot_and_summary),
	HT_CASE(validation_errors),
	HT_CASE(metadata_is_constant),
	HT_CASE(page_info_ram_and_device),
	HT_CASE(page_info_agrees_everywhere),
	HT_CASE(full_report),
	HT_CASE(bank_plural_and_override),
	HT_CASE(boot_errors),
	HT_CASE(more_ram_than_the_frame_table_indexes),
};

int main(void)
{
	return htest_main("devrange", cases, (int)ARRAY_SIZE(cases));
}
