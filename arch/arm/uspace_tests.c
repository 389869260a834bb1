/*
 * In-kernel KTAP suite `uspace`: user address spaces on the real MMU.
 * The largest translation alignment allows (2 MiB blocks, 64 KiB
 * contiguous runs, 4 KiB pages), all-or-nothing mapping when tables run
 * out, overlap and range checks, ASID rollover with isolation between
 * spaces kept, and user-memory access that reports E_FAULT instead of
 * faulting. User programs exercise the rest (cap_revoke, faults suites).
 */
#include <arch/internal.h>
#include <arch/pte.h>
#include <cairn/abi.h>
#include <cairn/arch.h>
#include <cairn/error.h>
#include <cairn/ktest.h>
#include <cairn/mm_arch.h>
#include <cairn/pool.h>
#include <cairn/string.h>
#include <cairn/uarch.h>

static int q_alloc(void *ctx, paddr_t *pa)
{
	return pool_frame_alloc(ctx, 0, POOL_F_ZERO, pa);
}

static void q_free(void *ctx, paddr_t pa)
{
	pool_frame_free(ctx, pa, 0);
}

static struct quota tq;

static bool setup(struct ktest *t, struct uarch_pt_alloc *pta, uint32_t pages)
{
	if (quota_live(&tq))
		quota_destroy(&tq);     /* left by a failed case */
	memset(&tq, 0, sizeof(tq));
	if (quota_create_root(&tq, pool_get(POOL_DIRECT), pages, "uspace") != 0) {
		ktest_fail(t, __FILE__, __LINE__, "quota");
		return false;
	}
	pta->alloc = q_alloc;
	pta->free = q_free;
	pta->ctx = &tq;
	return true;
}

static void teardown(struct uarch_vs *vs, struct uarch_pt_alloc *pta)
{
	uarch_vs_activate(NULL);
	if (vs->root)
		uarch_vs_destroy(vs, pta);
	quota_destroy(&tq);
}

static void test_largest_translation(struct ktest *t)
{
	struct uarch_pt_alloc pta;
	struct uarch_vs vs;
	unsigned level;
	uint64_t d;
	paddr_t pa = 0x40000000;        /* 2 MiB aligned RAM (never touched) */

	if (!setup(t, &pta, 16))
		return;
	KT_EQ(t, uarch_vs_init(&vs, &pta), 0);
	/* 4 MiB at a 2 MiB boundary: two level-2 blocks. */
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x10000000, pa, 0x400000, UATTR_NORMAL_WB, R_READ), 0);
	d = uarch_vs_descriptor(&vs, 0x10000000, &level);
	KT_EQ(t, level, 2);
	KT_EQ(t, d & PTE_TYPE_MASK, PTE_BLOCK);
	KT_EQ(t, d & PTE_ADDR_MASK, pa);
	d = uarch_vs_descriptor(&vs, 0x10200000, &level);
	KT_EQ(t, level, 2);
	KT_EQ(t, d & PTE_ADDR_MASK, pa + 0x200000);
	KT_ASSERT(t, (d & PTE_NG) && (d & PTE_PXN) && (d & PTE_XN) && (d & PTE_AP_RO));
	/* 64 KiB aligned: 16 entries with the contiguous hint. */
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x20010000, pa + 0x10000, 0x10000, UATTR_NORMAL_WB,
			      R_READ | R_EXEC), 0);
	for (uintptr_t va = 0x20010000; va < 0x20020000; va += 0x1000) {
		d = uarch_vs_descriptor(&vs, va, &level);
		KT_EQ(t, level, 3);
		KT_ASSERT(t, d & PTE_CONTIG);
		KT_ASSERT(t, !(d & PTE_XN));
	}
	/* 12 KiB: plain pages. */
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x20030000, pa + 0x30000, 0x3000, UATTR_DEVICE,
			      R_READ | R_WRITE), 0);
	d = uarch_vs_descriptor(&vs, 0x20031000, &level);
	KT_EQ(t, level, 3);
	KT_ASSERT(t, !(d & PTE_CONTIG) && !(d & PTE_AP_RO) && (d & PTE_XN));
	KT_EQ(t, (d >> 2) & 7, MT_DEVICE_nGnRE);
	uarch_vs_unmap(&vs, &pta, 0x10000000, 0x400000);
	KT_EQ(t, uarch_vs_descriptor(&vs, 0x10000000, &level), 0);
	/* A block over a region whose level-3 table is empty again: the
	 * table is given back, not leaked. */
	uarch_vs_unmap(&vs, &pta, 0x20010000, 0x10000);
	uarch_vs_unmap(&vs, &pta, 0x20030000, 0x3000);
	{
		uint32_t tables = vs.tables, used = tq.used;

		KT_EQ(t, uarch_vs_map(&vs, &pta, 0x20000000, pa, 0x200000, UATTR_NORMAL_WB, R_READ),
		      0);
		KT_EQ(t, vs.tables, tables - 1);
		KT_EQ(t, tq.used, used - 1);
		d = uarch_vs_descriptor(&vs, 0x20010000, &level);
		KT_EQ(t, level, 2);
	}
	teardown(&vs, &pta);
	KT_EQ(t, tq.used, 0);
}

static void test_map_checks_and_all_or_nothing(struct ktest *t)
{
	struct uarch_pt_alloc pta;
	struct uarch_vs vs;
	paddr_t pa;
	unsigned attr, rights;
	uint32_t used, tables;

	if (!setup(t, &pta, 3))         /* root + L2 + one L3 */
		return;
	KT_EQ(t, uarch_vs_init(&vs, &pta), 0);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x100000, 0x40000000, 0x4000, UATTR_NORMAL_WB,
			      R_READ | R_WRITE), 0);
	/* [0x102000, 0x10a000) overlaps the first half: refused whole. */
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x102000, 0x40100000, 0x8000, UATTR_NORMAL_WB, R_READ),
	      E_EXIST);
	KT_EQ(t, uarch_vs_query(&vs, 0x108000, &pa, &attr, &rights), E_NOENT);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x200000, 0x40000000, 0x1000, UATTR_NORMAL_WB,
			      R_READ | R_WRITE | R_EXEC), E_INVAL);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0xBFFFF000u, 0x40000000, 0x2000, UATTR_NORMAL_WB,
			      R_READ), E_RANGE);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x200800, 0x40000000, 0x1000, UATTR_NORMAL_WB,
			      R_READ), E_ALIGN);
	/* A second 2 MiB region needs a table the quota cannot pay: nothing
	 * changes, nothing stays charged. */
	used = tq.used;
	tables = vs.tables;
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x3ff000, 0x40000000, 0x2000, UATTR_NORMAL_WB,
			      R_READ), E_NOMEM);
	KT_EQ(t, tq.used, used);
	KT_EQ(t, vs.tables, tables);
	KT_EQ(t, uarch_vs_query(&vs, 0x3ff000, &pa, &attr, &rights), E_NOENT);
	KT_EQ(t, uarch_vs_query(&vs, 0x101000, &pa, &attr, &rights), 0);
	KT_EQ(t, pa, 0x40001000);
	KT_EQ(t, rights, R_READ | R_WRITE);
	teardown(&vs, &pta);
	KT_EQ(t, tq.used, 0);
}

static void test_asid_rollover_keeps_isolation(struct ktest *t)
{
	static struct uarch_vs many[8];
	struct uarch_pt_alloc pta;
	struct uarch_vs a, b;
	paddr_t fa, fb;
	uint32_t va = 0x00800000, got = 0, gen0;
	uint32_t *ka, *kb;

	if (!setup(t, &pta, 32))
		return;
	KT_EQ(t, pool_frame_alloc(&tq, 0, POOL_F_ZERO, &fa), 0);
	KT_EQ(t, pool_frame_alloc(&tq, 0, POOL_F_ZERO, &fb), 0);
	ka = mm_arch_direct_va(fa, 4096);
	kb = mm_arch_direct_va(fb, 4096);
	KT_ASSERT(t, ka && kb);
	*ka = 0xaaaa0001;
	*kb = 0xbbbb0002;
	KT_EQ(t, uarch_vs_init(&a, &pta), 0);
	KT_EQ(t, uarch_vs_init(&b, &pta), 0);
	KT_EQ(t, uarch_vs_map(&a, &pta, va, fa, 4096, UATTR_NORMAL_WB, R_READ), 0);
	KT_EQ(t, uarch_vs_map(&b, &pta, va, fb, 4096, UATTR_NORMAL_WB, R_READ), 0);
	uarch_vs_activate(&a);
	KT_EQ(t, uarch_copy_from_user(&got, va, 4), 0);
	KT_EQ(t, got, 0xaaaa0001);
	uarch_vs_activate(&b);
	KT_EQ(t, uarch_copy_from_user(&got, va, 4), 0);
	KT_EQ(t, got, 0xbbbb0002);
	/* Use up the ASIDs (reusing a few spaces, destroyed to free their
	 * numbers is not needed: each activation of a fresh space takes one). */
	gen0 = uarch_asid_generation();
	for (unsigned i = 0; i < 300; i++) {
		struct uarch_vs *v = &many[i % 8];

		if (i >= 8)
			uarch_vs_destroy(v, &pta);
		KT_EQ(t, uarch_vs_init(v, &pta), 0);
		uarch_vs_activate(v);
	}
	KT_ASSERT(t, uarch_asid_generation() > gen0);
	/* After the rollover both old spaces get new ASIDs and still see
	 * their own page, never the other's stale translation. */
	uarch_vs_activate(&a);
	KT_EQ(t, uarch_copy_from_user(&got, va, 4), 0);
	KT_EQ(t, got, 0xaaaa0001);
	uarch_vs_activate(&b);
	KT_EQ(t, uarch_copy_from_user(&got, va, 4), 0);
	KT_EQ(t, got, 0xbbbb0002);
	KT_ASSERT(t, a.asid != b.asid);
	/* Unmapped: the access is refused, not a kernel fault. */
	uarch_vs_unmap(&b, &pta, va, 4096);
	KT_EQ(t, uarch_copy_from_user(&got, va, 4), E_FAULT);
	/* Read-only: reading works, writing is refused. */
	uarch_vs_activate(&a);
	KT_EQ(t, uarch_copy_to_user(va, &got, 4), E_FAULT);
	KT_EQ(t, uarch_copy_from_user(&got, 0xC0000000u - 2, 4), E_FAULT);
	uarch_vs_activate(NULL);
	for (unsigned i = 0; i < 8; i++)
		uarch_vs_destroy(&many[i], &pta);
	uarch_vs_destroy(&a, &pta);
	uarch_vs_destroy(&b, &pta);
	KT_EQ(t, pool_frame_free(&tq, fa, 0), 0);
	KT_EQ(t, pool_frame_free(&tq, fb, 0), 0);
	teardown(&a, &pta);
	KT_EQ(t, tq.used, 0);
}

static const struct ktest_case cases[] = {
	KT_CASE(test_largest_translation),
	KT_CASE(test_map_checks_and_all_or_nothing),
	KT_CASE(test_asid_rollover_keeps_isolation),
};
KTEST_SUITE(uspace_suite, "uspace", cases);
