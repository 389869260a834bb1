/*
 * In-kernel KTAP suite `uspace`: user mode and user address spaces on the
 * real CPU and MMU, without threads (uarch_test_run runs user code with a
 * hook that sees its traps).
 *
 * User entry and exit through the system-call path with every register
 * kept and the frame being the context itself; user faults decoded (data
 * and prefetch aborts, alignment, undefined ARM, Thumb and VFP
 * instructions, kernel memory); the largest translation alignment allows
 * (2 MiB blocks, 64 KiB contiguous runs, 4 KiB pages); tables counted and
 * freed when empty; all-or-nothing mapping when tables run out; overlap,
 * range and W+X refusals; unmapping really invalidates the TLB (user code
 * touches, the kernel unmaps, the same code faults); ASID rollover keeps
 * spaces apart; user-memory access reports E_FAULT instead of faulting.
 * Benchmarks: the user null system call, map + unmap of a page, map +
 * unmap of 1 GiB of device memory.
 */
#include <arch/cpu.h>
#include <arch/internal.h>
#include <arch/pte.h>
#include <arch/trap.h>
#include <cairn/abi.h>
#include <hal/arch.h>
#include <hal/mm_arch.h>
#include <hal/uarch.h>
#include <lib/error.h>
#include <lib/ktest.h>
#include <lib/string.h>
#include <mm/devrange.h>
#include <mm/pool.h>

extern const char ucode_start[], ucode_end[];
extern const char uc_svc[], uc_load[], uc_store[], uc_ldm[], uc_jump[], uc_udf[], uc_vfp[],
	uc_thumb[], uc_loop_svc[], uc_loop_nop[];

#define CODE_VA 0x00010000u
#define STACK_VA 0x00020000u
#define DATA_VA 0x00040000u     /* RW view of the data frame */
#define RO_VA 0x00050000u       /* read-only view of the same frame */
#define DATA_MAGIC 0x1234abcdu

static uint32_t uc(const char *label)
{
	return CODE_VA + (uint32_t)(label - ucode_start);
}

static int q_alloc(void *ctx, paddr_t *pa)
{
	return pool_frame_alloc(ctx, 0, POOL_F_ZERO, pa);
}

static void q_free(void *ctx, paddr_t pa)
{
	pool_frame_free(ctx, pa, 0);
}

/* The test quota. A case that fails half way may leave frames charged to
 * it: it is then left as it is (still linked in its pool) and the next
 * case takes a fresh one. */
static struct quota quotas[8];
static unsigned quota_cur;
#define tq quotas[quota_cur]

static bool setup(struct ktest *t, struct uarch_pt_alloc *pta, uint32_t pages)
{
	if (quota_live(&tq) && quota_destroy(&tq) != 0 && ++quota_cur == ARRAY_SIZE(quotas)) {
		quota_cur--;
		ktest_fail(t, __FILE__, __LINE__, "test quotas leaked");
		return false;
	}
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

/* A space with the test code (RX), a stack page (RW) and a data frame
 * mapped RW at DATA_VA and read-only at RO_VA. */
struct uenv {
	struct uarch_pt_alloc pta;
	struct uarch_vs vs;
	paddr_t code, stack, data;
	uint32_t *kdata;        /* the data frame through the direct map */
};

static int env_frame(struct uenv *e, paddr_t *pa)
{
	return pool_frame_alloc(e->pta.ctx, 0, POOL_F_ZERO, pa);
}

/* Map the test code and a stack into vs (frames shared by the env). */
static int env_map_common(struct uenv *e, struct uarch_vs *vs)
{
	int err = uarch_vs_map(vs, &e->pta, CODE_VA, e->code, 4096, UATTR_NORMAL_WB,
			       R_READ | R_EXEC);

	if (!err)
		err = uarch_vs_map(vs, &e->pta, STACK_VA, e->stack, 4096, UATTR_NORMAL_WB,
				   R_READ | R_WRITE);
	return err;
}

static bool env_setup(struct ktest *t, struct uenv *e, uint32_t pages)
{
	memset(e, 0, sizeof(*e));
	if (!setup(t, &e->pta, pages))
		return false;
	if (uarch_vs_init(&e->vs, &e->pta) || env_frame(e, &e->code) || env_frame(e, &e->stack) ||
	    env_frame(e, &e->data)) {
		ktest_fail(t, __FILE__, __LINE__, "env frames");
		return false;
	}
	memcpy(mm_arch_direct_va(e->code, 4096), ucode_start, (size_t)(ucode_end - ucode_start));
	e->kdata = mm_arch_direct_va(e->data, 4096);
	e->kdata[0] = DATA_MAGIC;
	if (env_map_common(e, &e->vs) ||
	    uarch_vs_map(&e->vs, &e->pta, DATA_VA, e->data, 4096, UATTR_NORMAL_WB,
			 R_READ | R_WRITE) ||
	    uarch_vs_map(&e->vs, &e->pta, RO_VA, e->data, 4096, UATTR_NORMAL_WB, R_READ)) {
		ktest_fail(t, __FILE__, __LINE__, "env mappings");
		return false;
	}
	uarch_vs_activate(&e->vs);
	return true;
}

static void env_teardown(struct uenv *e)
{
	uarch_vs_activate(NULL);
	if (e->vs.root)
		uarch_vs_destroy(&e->vs, &e->pta);
	if (e->code)
		pool_frame_free(&tq, e->code, 0);
	if (e->stack)
		pool_frame_free(&tq, e->stack, 0);
	if (e->data)
		pool_frame_free(&tq, e->data, 0);
	e->code = e->stack = e->data = 0;
}

/* ------------------------------------------------------------- the hook */

#define REC_MAX 4

struct rec {
	unsigned n;                     /* traps seen */
	unsigned stop_at;               /* return NULL at this trap (1-based) */
	uint32_t kind[REC_MAX];
	struct uctx *at[REC_MAX];       /* the context pointer each trap got */
	struct uctx snap[REC_MAX];      /* its contents */
	struct ufault f;                /* the last fault */
	/* Called at a trap that does not stop, before resuming. */
	void (*act)(struct rec *r, struct uctx *c);
	void *arg;
};

static struct uctx *hook(struct uctx *ctx, uint32_t kind, const struct ufault *f, void *arg)
{
	struct rec *r = arg;
	unsigned i = r->n++;

	if (i < REC_MAX) {
		r->kind[i] = kind;
		r->at[i] = ctx;
		r->snap[i] = *ctx;
	}
	if (f)
		r->f = *f;
	if (r->n >= r->stop_at || f || r->n >= REC_MAX)
		return NULL;
	if (r->act)
		r->act(r, ctx);
	return ctx;
}

static void run(struct uctx *c, struct rec *r, uint32_t pc, uint32_t r1, bool hook_svc)
{
	uarch_ctx_init(c, pc, STACK_VA + 4096, 0);
	c->r[1] = r1;
	uarch_test_run(c, hook, r, hook_svc);
}

/* ------------------------------------------------------------- cases */

static void test_ctx_init_and_cpsr(struct ktest *t)
{
	struct uctx c;

	KT_EQ(t, uarch_sanitize_cpsr(0xffffffffu), 0xf80f0010u);       /* flags only, USR */
	KT_EQ(t, uarch_sanitize_cpsr(0x600001d3u), 0x60000010u);       /* SVC, A, I, F gone */
	KT_EQ(t, uarch_sanitize_cpsr(0x0000003fu), 0x10u);             /* T and SYS gone */
	memset(&c, 0xa5, sizeof(c));
	uarch_ctx_init(&c, 0x1000, 0x2000, 77);
	KT_EQ(t, c.pc, 0x1000);
	KT_EQ(t, c.sp, 0x2000);
	KT_EQ(t, c.r[0], 77);
	KT_EQ(t, c.r[12], 0);
	KT_EQ(t, c.lr, 0);
	KT_EQ(t, c.cpsr, CPSR_MODE_USR);
}

static void set_r0_100(struct rec *r, struct uctx *c)
{
	(void)r;
	c->r[0] = 100;
}

static void test_user_svc_round_trip(struct ktest *t)
{
	static struct uctx c;
	struct uenv e;
	struct rec r;
	uint32_t pc = uc(uc_svc);

	if (!env_setup(t, &e, 16))
		return;
	memset(&r, 0, sizeof(r));
	r.stop_at = 2;
	r.act = set_r0_100;
	uarch_ctx_init(&c, pc, STACK_VA + 4096, 7);
	for (unsigned i = 1; i < 13; i++)
		c.r[i] = 0x1000u + i;
	c.lr = 0xdead0;
	c.cpsr = uarch_sanitize_cpsr(0xf0000000u);      /* flags come back as set */
	uarch_test_run(&c, hook, &r, true);
	env_teardown(&e);
	KT_EQ(t, r.n, 2);
	KT_EQ(t, r.kind[0], TRAP_SVC);
	KT_EQ(t, r.kind[1], TRAP_SVC);
	/* The trap frame is the context itself, both times: the exit left
	 * SP_svc just past it. */
	KT_ASSERT(t, r.at[0] == &c && r.at[1] == &c);
	KT_EQ(t, r.snap[0].r[0], 42);
	KT_EQ(t, r.snap[0].pc, pc + 8);                 /* after the svc */
	for (unsigned i = 1; i < 13; i++)
		KT_EQ(t, r.snap[0].r[i], 0x1000u + i);
	KT_EQ(t, r.snap[0].sp, STACK_VA + 4096);
	KT_EQ(t, r.snap[0].lr, 0xdead0);
	KT_EQ(t, r.snap[0].cpsr & 0xff, CPSR_MODE_USR); /* USR, ARM, A/I/F clear */
	KT_EQ(t, r.snap[0].cpsr >> 28, 0xf);
	/* The kernel's r0 reached user mode, the rest stayed. */
	KT_EQ(t, r.snap[1].r[0], 101);
	KT_EQ(t, r.snap[1].pc, pc + 16);
	for (unsigned i = 1; i < 13; i++)
		KT_EQ(t, r.snap[1].r[i], 0x1000u + i);
	/* Kernel-mode svc still takes the kernel path. */
	__asm__ volatile("svc #0" ::: "memory", "lr");
	KT_EQ(t, tq.used, 0);
}

struct fault_case {
	const char *entry;
	uint32_t r1;
	uint32_t trap;          /* enum trap_kind */
	uint32_t kind;          /* enum fault_kind */
	uint32_t addr;
	bool write;
	const char *what;
};

static void test_user_faults_decoded(struct ktest *t)
{
	static struct uctx c;
	const struct fault_case cases[] = {
		{ uc_load, 0x00900000, TRAP_DABT, FAULT_DATA, 0x00900000, false,
		  "translation fault, level 2, read" },
		{ uc_load, 0x40000000, TRAP_DABT, FAULT_DATA, 0x40000000, false,
		  "translation fault, level 1, read" },
		{ uc_load, CODE_VA + 0x3000, TRAP_DABT, FAULT_DATA, CODE_VA + 0x3000, false,
		  "translation fault, level 3, read" },
		{ uc_store, RO_VA + 8, TRAP_DABT, FAULT_DATA, RO_VA + 8, true,
		  "permission fault, level 3, write" },
		{ uc_store, CODE_VA, TRAP_DABT, FAULT_DATA, CODE_VA, true, "permission fault" },
		{ uc_load, 0xC0000000u, TRAP_DABT, FAULT_DATA, 0xC0000000u, false,
		  "permission fault" },
		{ uc_ldm, STACK_VA + 2, TRAP_DABT, FAULT_ALIGN, STACK_VA + 2, false,
		  "alignment fault" },
		{ uc_jump, 0x00a00000, TRAP_PABT, FAULT_PREFETCH, 0x00a00000, false,
		  "prefetch abort: translation fault" },
		{ uc_jump, DATA_VA, TRAP_PABT, FAULT_PREFETCH, DATA_VA, false,
		  "prefetch abort: permission fault" },
		{ uc_jump, 0xF0000000u, TRAP_PABT, FAULT_PREFETCH, 0xF0000000u, false,
		  "permission fault" },
		{ uc_udf, 0, TRAP_UNDEF, FAULT_UNDEF, 0, false, "undefined instruction 0xe7f123f4" },
		{ uc_vfp, 0, TRAP_UNDEF, FAULT_UNDEF, 0, false, "undefined instruction 0xee000a10" },
		{ uc_thumb, 0, TRAP_UNDEF, FAULT_UNDEF, 0, false, "undefined instruction 0x0000de05" },
	};
	struct uenv e;
	struct rec r;

	if (!env_setup(t, &e, 16))
		return;
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct fault_case *fc = &cases[i];
		uint32_t pc = uc(fc->entry);

		memset(&r, 0, sizeof(r));
		r.stop_at = 1;
		run(&c, &r, pc, fc->r1, true);
		KT_ASSERT_MSG(t, r.n == 1 && r.kind[0] == fc->trap, "case %u: %u traps, kind %u", i,
			      r.n, (unsigned)r.kind[0]);
		KT_ASSERT_MSG(t, r.f.kind == fc->kind, "case %u: fault kind %u, want %u", i,
			      (unsigned)r.f.kind, (unsigned)fc->kind);
		KT_ASSERT_MSG(t, strstr(r.f.what, fc->what) != NULL, "case %u: \"%s\" lacks \"%s\"",
			      i, r.f.what, fc->what);
		KT_ASSERT_MSG(t, r.f.write == fc->write, "case %u: write %d", i, r.f.write);
		if (fc->trap == TRAP_PABT) {
			KT_EQ(t, r.f.addr, fc->addr);
			KT_EQ(t, r.f.pc, fc->addr);
		} else if (fc->trap == TRAP_DABT) {
			KT_EQ(t, r.f.addr, fc->addr);
			KT_EQ(t, r.f.pc, pc);
		} else if (fc->entry == uc_thumb) {
			KT_EQ(t, r.f.pc, pc + 8);
			KT_ASSERT(t, r.snap[0].cpsr & CPSR_T);
		} else {
			KT_EQ(t, r.f.pc, pc);
		}
		KT_ASSERT(t, r.at[0] == &c);
	}
	env_teardown(&e);
	KT_EQ(t, tq.used, 0);
}

/* At the first svc: unmap what the user just read (and optionally map
 * another frame there), then let it read again. */
struct swap {
	struct uenv *e;
	uintptr_t va;
	uint64_t size;
	paddr_t new_pa;         /* 0: leave it unmapped */
	int err;
};

static void unmap_and_maybe_remap(struct rec *r, struct uctx *c)
{
	struct swap *s = r->arg;

	(void)c;
	uarch_vs_unmap(&s->e->vs, &s->e->pta, s->va, s->size);
	if (s->new_pa)
		s->err = uarch_vs_map(&s->e->vs, &s->e->pta, s->va, s->new_pa, s->size,
				      UATTR_NORMAL_WB, R_READ | R_WRITE);
}

static void test_unmap_invalidates_tlb(struct ktest *t)
{
	static struct uctx c;
	struct uenv e;
	struct rec r;
	struct swap s;
	paddr_t other, big;
	uint32_t *k;

	if (!env_setup(t, &e, 1024))
		return;
	/* A page: read, unmapped, read again -> translation fault. */
	memset(&r, 0, sizeof(r));
	memset(&s, 0, sizeof(s));
	s.e = &e;
	s.va = DATA_VA;
	s.size = 4096;
	r.stop_at = 3;
	r.act = unmap_and_maybe_remap;
	r.arg = &s;
	run(&c, &r, uc(uc_load), DATA_VA, true);
	KT_EQ(t, r.n, 2);
	KT_EQ(t, r.kind[0], TRAP_SVC);
	KT_EQ(t, r.snap[0].r[0], DATA_MAGIC);
	KT_EQ(t, r.kind[1], TRAP_DABT);
	KT_EQ(t, r.f.addr, DATA_VA);
	KT_ASSERT(t, strstr(r.f.what, "translation fault") != NULL);
	/* Unmapped and mapped to another frame in between: the second read
	 * sees the new frame, never the stale translation. */
	KT_EQ(t, env_frame(&e, &other), 0);
	k = mm_arch_direct_va(other, 4096);
	k[0] = 0x0badcafe;
	KT_EQ(t, uarch_vs_map(&e.vs, &e.pta, DATA_VA, e.data, 4096, UATTR_NORMAL_WB,
			      R_READ | R_WRITE), 0);
	memset(&r, 0, sizeof(r));
	s.new_pa = other;
	r.stop_at = 2;
	r.act = unmap_and_maybe_remap;
	r.arg = &s;
	run(&c, &r, uc(uc_load), DATA_VA, true);
	KT_EQ(t, s.err, 0);
	KT_EQ(t, r.n, 2);
	KT_EQ(t, r.snap[0].r[0], DATA_MAGIC);
	KT_EQ(t, r.snap[1].r[0], 0x0badcafe);
	uarch_vs_unmap(&e.vs, &e.pta, DATA_VA, 4096);
	KT_EQ(t, pool_frame_free(&tq, other, 0), 0);
	/* A 2 MiB block: the same. */
	if (pool_frame_alloc(&tq, 9, POOL_F_ZERO, &big) == 0) {
		if ((big & 0x1fffff) == 0) {
			((uint32_t *)mm_arch_direct_va(big, 0x200000))[1024] = 0x600d;
			KT_EQ(t, uarch_vs_map(&e.vs, &e.pta, 0x00200000, big, 0x200000,
					      UATTR_NORMAL_WB, R_READ | R_WRITE), 0);
			memset(&r, 0, sizeof(r));
			s.va = 0x00200000;
			s.size = 0x200000;
			s.new_pa = 0;
			r.stop_at = 3;
			r.act = unmap_and_maybe_remap;
			r.arg = &s;
			run(&c, &r, uc(uc_load), 0x00201000, true);
			KT_EQ(t, r.n, 2);
			KT_EQ(t, r.snap[0].r[0], 0x600d);
			KT_EQ(t, r.kind[1], TRAP_DABT);
			KT_EQ(t, r.f.addr, 0x00201000);
		}
		KT_EQ(t, pool_frame_free(&tq, big, 9), 0);
	}
	env_teardown(&e);
	KT_EQ(t, tq.used, 0);
}

static void test_largest_translation(struct ktest *t)
{
	struct uarch_pt_alloc pta;
	struct uarch_vs vs;
	unsigned level, attr, rights;
	uint64_t d;
	paddr_t pa = 0x40000000, got;   /* 2 MiB aligned RAM (never touched) */

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
	KT_ASSERT(t, (d & PTE_AF) && (d & PTE_AP_USER));
	KT_EQ(t, (d >> 2) & 7, MT_NORMAL);
	KT_EQ(t, vs.tables, 2);                         /* L1 + one L2, no L3 */
	KT_EQ(t, uarch_vs_query(&vs, 0x103ff123, &got, &attr, &rights), 0);
	KT_EQ(t, got, pa + 0x3ff123);
	KT_EQ(t, attr, UATTR_NORMAL_WB);
	KT_EQ(t, rights, R_READ);
	/* 64 KiB aligned: 16 entries with the contiguous hint. */
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x20010000, pa + 0x10000, 0x10000, UATTR_NORMAL_WB,
			      R_READ | R_EXEC), 0);
	for (uintptr_t va = 0x20010000; va < 0x20020000; va += 0x1000) {
		d = uarch_vs_descriptor(&vs, va, &level);
		KT_EQ(t, level, 3);
		KT_ASSERT(t, d & PTE_CONTIG);
		KT_ASSERT(t, !(d & PTE_XN) && (d & PTE_PXN));
		KT_EQ(t, d & PTE_ADDR_MASK, pa + 0x10000 + (va - 0x20010000));
	}
	KT_EQ(t, uarch_vs_query(&vs, 0x20014000, &got, &attr, &rights), 0);
	KT_EQ(t, rights, R_READ | R_EXEC);
	/* 76 KiB at a 64 KiB boundary: one run, then 3 plain pages. */
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x20040000, pa + 0x40000, 0x13000, UATTR_WRITE_COMBINE,
			      R_READ | R_WRITE), 0);
	KT_ASSERT(t, uarch_vs_descriptor(&vs, 0x2004f000, &level) & PTE_CONTIG);
	d = uarch_vs_descriptor(&vs, 0x20050000, &level);
	KT_ASSERT(t, !(d & PTE_CONTIG) && !(d & PTE_AP_RO) && (d & PTE_XN));
	KT_EQ(t, (d >> 2) & 7, MT_NORMAL_WC);
	KT_EQ(t, uarch_vs_query(&vs, 0x20052000, &got, &attr, &rights), 0);
	KT_EQ(t, attr, UATTR_WRITE_COMBINE);
	KT_EQ(t, rights, R_READ | R_WRITE);
	KT_EQ(t, uarch_vs_query(&vs, 0x20053000, &got, &attr, &rights), E_NOENT);
	/* va and pa disagree modulo 64 KiB: plain pages only. */
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x20080000, pa + 0x81000, 0x20000, UATTR_DEVICE,
			      R_READ | R_WRITE), 0);
	for (uintptr_t va = 0x20080000; va < 0x200a0000; va += 0x1000)
		KT_ASSERT(t, !(uarch_vs_descriptor(&vs, va, &level) & PTE_CONTIG));
	d = uarch_vs_descriptor(&vs, 0x20081000, &level);
	KT_EQ(t, (d >> 2) & 7, MT_DEVICE_nGnRE);
	KT_ASSERT(t, d & PTE_XN);
	KT_EQ(t, uarch_vs_query(&vs, 0x20081000, &got, &attr, &rights), 0);
	KT_EQ(t, attr, UATTR_DEVICE);
	KT_EQ(t, got, pa + 0x82000);
	/* 2 MiB aligned va but not pa: no block, 512 pages (in 64 KiB runs). */
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x20200000, pa + 0x10000, 0x200000, UATTR_NORMAL_WB,
			      R_READ), 0);
	d = uarch_vs_descriptor(&vs, 0x20200000, &level);
	KT_EQ(t, level, 3);
	KT_ASSERT(t, d & PTE_CONTIG);
	KT_EQ(t, uarch_vs_table_entries(&vs, 0x20200000, 3), 512);
	/* The last page of the user half and of the physical address space. */
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0xBFFFF000u, 0xfffffff000ull, 0x1000, UATTR_DEVICE,
			      R_READ), 0);
	KT_EQ(t, uarch_vs_query(&vs, 0xBFFFFFFCu, &got, &attr, &rights), 0);
	KT_EQ(t, got, 0xfffffffffcull);
	uarch_vs_unmap(&vs, &pta, 0xBFFFF000u, 0x1000);
	uarch_vs_unmap(&vs, &pta, 0x10000000, 0x400000);
	KT_EQ(t, uarch_vs_descriptor(&vs, 0x10000000, &level), 0);
	KT_EQ(t, uarch_vs_query(&vs, 0x10000000, &got, &attr, &rights), E_NOENT);
	uarch_vs_destroy(&vs, &pta);
	quota_destroy(&tq);
	KT_EQ(t, tq.used, 0);
}

/* QEMU virt's 64-bit PCIe MMIO window (/pcie ranges: 512 GiB at 512 GiB,
 * 1 GiB aligned); without a BAR in it, reads answer all ones and writes
 * are ignored (gpex's default for unassigned space). */
#define PCIE_WINDOW_PA 0x8000000000ull
#define GIB 0x40000000u

/* 1 GiB blocks at level 1 and runs of 2 MiB blocks at level 2: what is
 * mapped, what a user access sees through it, that unmap removes the
 * block from the TLB, that a table and a block replace each other in a
 * level-1 entry cleanly, and that unmap refuses (E_ALIGN, nothing
 * changed) any range whose start or end falls inside a block or a
 * contiguous run. */
static void test_gib_blocks(struct ktest *t)
{
	static struct uctx c;
	struct uenv e;
	struct rec r;
	struct swap s;
	unsigned level, attr, rights, tables;
	uint64_t d;
	paddr_t got;
	bool window = devrange_find(PCIE_WINDOW_PA) != NULL;

	if (!env_setup(t, &e, 64))
		return;
	tables = e.vs.tables;
	/* va and pa 1 GiB aligned: one level-1 block, no table. */
	KT_EQ(t, uarch_vs_map(&e.vs, &e.pta, GIB, PCIE_WINDOW_PA, GIB, UATTR_DEVICE,
			      R_READ | R_WRITE), 0);
	KT_EQ(t, e.vs.tables, tables);
	d = uarch_vs_descriptor(&e.vs, GIB + 0x12345000, &level);
	KT_EQ(t, level, 1);
	KT_EQ(t, d & PTE_TYPE_MASK, PTE_BLOCK);
	KT_EQ(t, d & PTE_ADDR_MASK, PCIE_WINDOW_PA);
	KT_ASSERT(t, (d & PTE_NG) && (d & PTE_AF) && (d & PTE_AP_USER) && (d & PTE_XN) &&
			     (d & PTE_PXN) && !(d & PTE_AP_RO));
	KT_EQ(t, (d >> 2) & 7, MT_DEVICE_nGnRE);
	KT_EQ(t, uarch_vs_query(&e.vs, 2 * GIB - 4, &got, &attr, &rights), 0);
	KT_EQ(t, got, PCIE_WINDOW_PA + GIB - 4);
	KT_EQ(t, attr, UATTR_DEVICE);
	KT_EQ(t, rights, R_READ | R_WRITE);
	KT_EQ(t, e.vs.pages_mapped, 4u + (GIB >> 12));
	/* Anything over it is refused. */
	KT_EQ(t, uarch_vs_map(&e.vs, &e.pta, GIB + 0x200000, e.data, 4096, UATTR_NORMAL_WB,
			      R_READ), E_EXIST);
	KT_EQ(t, uarch_vs_map(&e.vs, &e.pta, GIB - 0x1000, e.data, 0x2000, UATTR_NORMAL_WB,
			      R_READ), E_EXIST);
	/* Part of it cannot be unmapped: nothing changes. */
	KT_EQ(t, uarch_vs_unmap(&e.vs, &e.pta, GIB, 0x200000), E_ALIGN);
	KT_EQ(t, uarch_vs_unmap(&e.vs, &e.pta, GIB + 0x1000, GIB - 0x1000), E_ALIGN);
	KT_EQ(t, uarch_vs_unmap(&e.vs, &e.pta, GIB - 0x200000, 0x400000), E_ALIGN);
	KT_EQ(t, uarch_vs_unmap(&e.vs, &e.pta, 2 * GIB - 0x1000, 0x2000), E_ALIGN);
	KT_EQ(t, uarch_vs_descriptor(&e.vs, GIB, &level), d);
	KT_EQ(t, e.vs.pages_mapped, 4u + (GIB >> 12));
	if (window) {
		/* A user read through the block, then unmap (the whole GiB)
		 * at the svc: the same read faults, so the TLB lost it. */
		memset(&r, 0, sizeof(r));
		memset(&s, 0, sizeof(s));
		s.e = &e;
		s.va = GIB;
		s.size = GIB;
		r.stop_at = 3;
		r.act = unmap_and_maybe_remap;
		r.arg = &s;
		run(&c, &r, uc(uc_load), GIB + 0x3ffffffc, true);
		KT_EQ(t, r.n, 2);
		KT_EQ(t, r.kind[0], TRAP_SVC);
		KT_EQ(t, r.snap[0].r[0], 0xffffffffu);
		KT_EQ(t, r.kind[1], TRAP_DABT);
		KT_EQ(t, r.f.addr, GIB + 0x3ffffffc);
		KT_ASSERT(t, strstr(r.f.what, "translation fault, level 1") != NULL);
	} else {
		KT_EQ(t, uarch_vs_unmap(&e.vs, &e.pta, GIB, GIB), 0);
	}
	KT_EQ(t, uarch_vs_descriptor(&e.vs, GIB, &level), 0);
	KT_EQ(t, level, 1);
	KT_EQ(t, e.vs.pages_mapped, 4u);
	/* A table in that level-1 entry (a page), then emptied: a block
	 * takes the entry again, and a user read goes through the block, not
	 * through a stale walk of the old table (a RAM page would answer
	 * DATA_MAGIC, the window all ones). */
	KT_EQ(t, uarch_vs_map(&e.vs, &e.pta, GIB, e.data, 4096, UATTR_NORMAL_WB, R_READ), 0);
	KT_EQ(t, uarch_vs_map(&e.vs, &e.pta, GIB, PCIE_WINDOW_PA, GIB, UATTR_DEVICE, R_READ),
	      E_EXIST);
	if (window) {
		memset(&r, 0, sizeof(r));
		r.stop_at = 1;
		run(&c, &r, uc(uc_load), GIB, true);
		KT_EQ(t, r.snap[0].r[0], DATA_MAGIC);
	}
	KT_EQ(t, uarch_vs_unmap(&e.vs, &e.pta, GIB, 4096), 0);
	KT_EQ(t, uarch_vs_map(&e.vs, &e.pta, GIB, PCIE_WINDOW_PA, GIB, UATTR_DEVICE, R_READ), 0);
	KT_EQ(t, uarch_vs_descriptor(&e.vs, GIB, &level) & PTE_TYPE_MASK, PTE_BLOCK);
	KT_EQ(t, level, 1);
	if (window) {
		memset(&r, 0, sizeof(r));
		r.stop_at = 1;
		run(&c, &r, uc(uc_load), GIB, true);
		KT_EQ(t, r.snap[0].r[0], 0xffffffffu);
	}
	KT_EQ(t, uarch_vs_unmap(&e.vs, &e.pta, GIB, GIB), 0);
	KT_EQ(t, e.vs.tables, tables + 2);      /* the page's level-2 and level-3 tables, spares */

	/* pa only 2 MiB aligned: 512 level-2 blocks in one table. */
	KT_EQ(t, uarch_vs_map(&e.vs, &e.pta, GIB, PCIE_WINDOW_PA + 0x200000, GIB, UATTR_DEVICE,
			      R_READ), 0);
	for (uintptr_t va = GIB; va < 2 * GIB; va += 0x200000) {
		d = uarch_vs_descriptor(&e.vs, va, &level);
		if (level != 2 || (d & PTE_TYPE_MASK) != PTE_BLOCK ||
		    (d & PTE_ADDR_MASK) != PCIE_WINDOW_PA + 0x200000 + (va - GIB)) {
			ktest_fail(t, __FILE__, __LINE__, "block at 0x%08x: level %u, 0x%llx",
				   (unsigned)va, level, (unsigned long long)d);
			break;
		}
	}
	KT_EQ(t, uarch_vs_table_entries(&e.vs, GIB, 2), 512);
	KT_EQ(t, uarch_vs_query(&e.vs, GIB + 0x3ff001, &got, &attr, &rights), 0);
	KT_EQ(t, got, PCIE_WINDOW_PA + 0x5ff001);
	KT_EQ(t, uarch_vs_unmap(&e.vs, &e.pta, GIB + 0x1000, 0x1000), E_ALIGN);
	KT_EQ(t, uarch_vs_unmap(&e.vs, &e.pta, GIB, 0x201000), E_ALIGN);
	KT_EQ(t, uarch_vs_unmap(&e.vs, &e.pta, GIB + 0x100000, 0x200000), E_ALIGN);
	KT_EQ(t, uarch_vs_table_entries(&e.vs, GIB, 2), 512);
	/* Whole blocks may go one at a time (the kernel always unmaps what
	 * one map made; the arch allows any whole translations). */
	KT_EQ(t, uarch_vs_unmap(&e.vs, &e.pta, GIB + 0x200000, 0x200000), 0);
	KT_EQ(t, uarch_vs_table_entries(&e.vs, GIB, 2), 511);
	KT_EQ(t, uarch_vs_query(&e.vs, GIB + 0x200000, &got, &attr, &rights), E_NOENT);
	KT_EQ(t, uarch_vs_unmap(&e.vs, &e.pta, GIB, GIB), 0);
	KT_EQ(t, uarch_vs_descriptor(&e.vs, GIB, &level), 0);
	KT_EQ(t, level, 1);
	KT_EQ(t, e.vs.pages_mapped, 4u);

	/* Every size in one mapping: a 2 MiB block, a 1 GiB block, a 64 KiB
	 * run and a page; unmapping cuts none of them, and all go. */
	KT_EQ(t, uarch_vs_map(&e.vs, &e.pta, GIB - 0x200000, PCIE_WINDOW_PA + GIB - 0x200000,
			      0x200000 + GIB + 0x11000, UATTR_DEVICE, R_READ), 0);
	KT_EQ(t, uarch_vs_descriptor(&e.vs, GIB - 0x200000, &level) & PTE_TYPE_MASK, PTE_BLOCK);
	KT_EQ(t, level, 2);
	KT_EQ(t, uarch_vs_descriptor(&e.vs, GIB, &level) & PTE_TYPE_MASK, PTE_BLOCK);
	KT_EQ(t, level, 1);
	KT_ASSERT(t, uarch_vs_descriptor(&e.vs, 2 * GIB + 0xf000, &level) & PTE_CONTIG);
	KT_EQ(t, level, 3);
	d = uarch_vs_descriptor(&e.vs, 2 * GIB + 0x10000, &level);
	KT_ASSERT(t, d && !(d & PTE_CONTIG));
	KT_EQ(t, uarch_vs_unmap(&e.vs, &e.pta, 2 * GIB, 0x1000), E_ALIGN);
	KT_EQ(t, uarch_vs_unmap(&e.vs, &e.pta, 2 * GIB + 0x8000, 0x9000), E_ALIGN);
	KT_EQ(t, uarch_vs_unmap(&e.vs, &e.pta, 0, 2 * GIB + 0x8000), E_ALIGN);
	KT_EQ(t, uarch_vs_unmap(&e.vs, &e.pta, 2 * GIB + 0x10000, 0x1000), 0);
	KT_EQ(t, uarch_vs_unmap(&e.vs, &e.pta, GIB - 0x200000, 0x200000 + GIB + 0x10000), 0);
	for (uintptr_t va = GIB - 0x200000; va < 2 * GIB + 0x11000; va += 0x1000)
		if (uarch_vs_query(&e.vs, va, &got, &attr, &rights) != E_NOENT) {
			ktest_fail(t, __FILE__, __LINE__, "0x%08x still mapped", (unsigned)va);
			break;
		}
	KT_EQ(t, e.vs.pages_mapped, 4u);
	KT_EQ(t, uarch_vs_unmap(&e.vs, &e.pta, 2, 0x1000), E_ALIGN);
	KT_EQ(t, uarch_vs_unmap(&e.vs, &e.pta, 0xBFFFF000u, 0x2000), E_RANGE);
	KT_EQ(t, uarch_vs_unmap(&e.vs, &e.pta, GIB, 0), E_RANGE);
	env_teardown(&e);
	KT_EQ(t, tq.used, 0);
}

static void test_tables_counted_and_freed(struct ktest *t)
{
	struct uarch_pt_alloc pta;
	struct uarch_vs vs;
	paddr_t pa = 0x40000000;
	unsigned level;

	if (!setup(t, &pta, 16))
		return;
	KT_EQ(t, uarch_vs_init(&vs, &pta), 0);
	KT_EQ(t, vs.tables, 1);
	KT_EQ(t, tq.used, 1);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x00100000, pa, 0x1000, UATTR_NORMAL_WB, R_READ), 0);
	KT_EQ(t, vs.tables, 3);
	KT_EQ(t, uarch_vs_table_entries(&vs, 0x00100000, 2), 1);
	KT_EQ(t, uarch_vs_table_entries(&vs, 0x00100000, 3), 1);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x00110000, pa, 0x10000, UATTR_NORMAL_WB, R_READ), 0);
	KT_EQ(t, vs.tables, 3);
	KT_EQ(t, uarch_vs_table_entries(&vs, 0x00100000, 3), 17);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x40000000, pa, 0x1000, UATTR_NORMAL_WB, R_READ), 0);
	KT_EQ(t, vs.tables, 5);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x00400000, pa, 0x200000, UATTR_NORMAL_WB, R_READ), 0);
	KT_EQ(t, vs.tables, 5);
	KT_EQ(t, uarch_vs_table_entries(&vs, 0x00100000, 2), 2);
	KT_EQ(t, vs.pages_mapped, 1 + 16 + 1 + 512);
	KT_EQ(t, tq.used, 5);
	/* Unmapping ranges that hold nothing changes nothing. */
	uarch_vs_unmap(&vs, &pta, 0x00120000, 0x10000);
	uarch_vs_unmap(&vs, &pta, 0x80000000u, 0x40000000);
	KT_EQ(t, vs.tables, 5);
	KT_EQ(t, uarch_vs_table_entries(&vs, 0x00100000, 3), 17);
	uarch_vs_unmap(&vs, &pta, 0x00100000, 0x1000);
	KT_EQ(t, vs.tables, 5);
	KT_EQ(t, uarch_vs_table_entries(&vs, 0x00100000, 3), 16);
	/* The level-3 table empties and is unlinked (kept: the first spare);
	 * the level-2 keeps the block. */
	uarch_vs_unmap(&vs, &pta, 0x00110000, 0x10000);
	KT_EQ(t, vs.tables, 5);
	KT_EQ(t, tq.used, 5);
	KT_EQ(t, uarch_vs_descriptor(&vs, 0x00110000, &level), 0);
	KT_EQ(t, level, 2);
	KT_EQ(t, uarch_vs_table_entries(&vs, 0x00100000, 2), 1);
	/* Second GiB: both of its tables go, one as the second spare, one
	 * back to the quota. */
	uarch_vs_unmap(&vs, &pta, 0x40000000, 0x1000);
	KT_EQ(t, vs.tables, 4);
	KT_EQ(t, tq.used, 4);
	KT_EQ(t, uarch_vs_descriptor(&vs, 0x40000000, &level), 0);
	KT_EQ(t, level, 1);
	uarch_vs_unmap(&vs, &pta, 0x00400000, 0x200000);
	KT_EQ(t, vs.tables, 3);                         /* root + 2 spares */
	KT_EQ(t, vs.pages_mapped, 0);
	KT_EQ(t, tq.used, 3);
	KT_EQ(t, uarch_vs_descriptor(&vs, 0x00400000, &level), 0);
	KT_EQ(t, level, 1);
	/* A region filled again takes the spares: nothing is allocated. */
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x00100000, pa, 0x2000, UATTR_NORMAL_WB, R_READ), 0);
	KT_EQ(t, vs.tables, 3);
	KT_EQ(t, tq.used, 3);
	KT_EQ(t, uarch_vs_table_entries(&vs, 0x00100000, 3), 2);
	/* and one more region needs a new table. */
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x00200000, pa, 0x1000, UATTR_NORMAL_WB, R_READ), 0);
	KT_EQ(t, vs.tables, 4);
	KT_EQ(t, tq.used, 4);
	uarch_vs_destroy(&vs, &pta);
	KT_EQ(t, tq.used, 0);
	quota_destroy(&tq);
}

static void test_map_checks_and_all_or_nothing(struct ktest *t)
{
	struct uarch_pt_alloc pta;
	struct uarch_vs vs;
	paddr_t pa;
	unsigned attr, rights;
	uint32_t used, tables, pages;

	if (!setup(t, &pta, 5))         /* root + L2 + L3, and two more */
		return;
	KT_EQ(t, uarch_vs_init(&vs, &pta), 0);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x100000, 0x40000000, 0x4000, UATTR_NORMAL_WB,
			      R_READ | R_WRITE), 0);
	/* [0x102000, 0x10a000) overlaps the first half: refused whole. */
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x102000, 0x40100000, 0x8000, UATTR_NORMAL_WB, R_READ),
	      E_EXIST);
	KT_EQ(t, uarch_vs_query(&vs, 0x108000, &pa, &attr, &rights), E_NOENT);
	/* A block over a region with pages, pages over a block. */
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x000000, 0x40000000, 0x200000, UATTR_NORMAL_WB, R_READ),
	      E_EXIST);
	/* Rights and attributes. */
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x200000, 0x40000000, 0x1000, UATTR_NORMAL_WB,
			      R_READ | R_WRITE | R_EXEC), E_INVAL);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x200000, 0x40000000, 0x1000, UATTR_NORMAL_WB,
			      R_WRITE | R_EXEC), E_INVAL);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x200000, 0x40000000, 0x1000, UATTR_NORMAL_WB, R_WRITE),
	      E_INVAL);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x200000, 0x40000000, 0x1000, UATTR_NORMAL_WB, 0),
	      E_INVAL);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x200000, 0x40000000, 0x1000, UATTR_NORMAL_WB,
			      R_READ | R_GRANT), E_INVAL);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x200000, 0x40000000, 0x1000, 4, R_READ), E_INVAL);
	/* Alignment and range. */
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x200800, 0x40000000, 0x1000, UATTR_NORMAL_WB,
			      R_READ), E_ALIGN);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x200000, 0x40000800, 0x1000, UATTR_NORMAL_WB,
			      R_READ), E_ALIGN);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x200000, 0x40000000, 0x1800, UATTR_NORMAL_WB,
			      R_READ), E_ALIGN);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0xBFFFF000u, 0x40000000, 0x2000, UATTR_NORMAL_WB,
			      R_READ), E_RANGE);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0xC0000000u, 0x40000000, 0x1000, UATTR_NORMAL_WB,
			      R_READ), E_RANGE);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x200000, 0x40000000, 0, UATTR_NORMAL_WB, R_READ),
	      E_RANGE);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x200000, 0xfffffff000ull, 0x2000, UATTR_DEVICE,
			      R_READ), E_RANGE);
	/* A range over many 2 MiB regions and into a new GiB needs hundreds
	 * of tables, one is left: the one taken goes back, nothing changes,
	 * nothing stays charged. */
	used = tq.used;
	tables = vs.tables;
	pages = vs.pages_mapped;
	KT_EQ(t, used, 3);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x3ff000, 0x40000000, 0x40002000, UATTR_NORMAL_WB,
			      R_READ), E_NOMEM);        /* two allocated, then none */
	KT_EQ(t, tq.used, used);
	KT_EQ(t, vs.tables, tables);
	KT_EQ(t, vs.pages_mapped, pages);
	KT_EQ(t, uarch_vs_query(&vs, 0x3ff000, &pa, &attr, &rights), E_NOENT);
	KT_EQ(t, uarch_vs_query(&vs, 0x400000, &pa, &attr, &rights), E_NOENT);
	/* With a spare table in hand: the spare is used first, and kept. */
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x3fe000, 0x40000000, 0x2000, UATTR_NORMAL_WB,
			      R_READ), 0);      /* one table: fits */
	KT_EQ(t, tq.used, used + 1);
	uarch_vs_unmap(&vs, &pta, 0x3fe000, 0x2000);
	KT_EQ(t, tq.used, used + 1);                    /* a spare now */
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x3ff000, 0x40000000, 0x40002000, UATTR_NORMAL_WB,
			      R_READ), E_NOMEM);
	KT_EQ(t, tq.used, used + 1);
	KT_EQ(t, vs.tables, tables + 1);
	KT_EQ(t, vs.pages_mapped, pages);
	KT_EQ(t, uarch_vs_map(&vs, &pta, 0x3fe000, 0x40000000, 0x2000, UATTR_NORMAL_WB,
			      R_READ), 0);
	KT_EQ(t, tq.used, used + 1);
	KT_EQ(t, uarch_vs_query(&vs, 0x3ff000, &pa, &attr, &rights), 0);
	KT_EQ(t, uarch_vs_query(&vs, 0x101000, &pa, &attr, &rights), 0);
	KT_EQ(t, pa, 0x40001000);
	KT_EQ(t, rights, R_READ | R_WRITE);
	uarch_vs_destroy(&vs, &pta);
	KT_EQ(t, tq.used, 0);
	quota_destroy(&tq);
}

/* Run uc_load in vs reading va; the value read, or ~0 if it faulted. */
static uint32_t user_read(struct uarch_vs *vs, uintptr_t va)
{
	static struct uctx c;
	struct rec r;

	memset(&r, 0, sizeof(r));
	r.stop_at = 1;
	uarch_vs_activate(vs);
	run(&c, &r, uc(uc_load), va, true);
	return r.n == 1 && r.kind[0] == TRAP_SVC ? r.snap[0].r[0] : ~0u;
}

static void test_asid_rollover_keeps_isolation(struct ktest *t)
{
	static struct uarch_vs many[8];
	struct uenv e;
	struct uarch_vs b;
	paddr_t fb;
	uint32_t va = DATA_VA, got = 0, gen0, asid_a;

	if (!env_setup(t, &e, 64))
		return;
	/* Space a (the env) maps its data frame at va, b another frame. */
	KT_EQ(t, env_frame(&e, &fb), 0);
	*(uint32_t *)mm_arch_direct_va(fb, 4096) = 0xbbbb0002;
	KT_EQ(t, uarch_vs_init(&b, &e.pta), 0);
	KT_EQ(t, env_map_common(&e, &b), 0);
	KT_EQ(t, uarch_vs_map(&b, &e.pta, va, fb, 4096, UATTR_NORMAL_WB, R_READ), 0);
	KT_EQ(t, user_read(&e.vs, va), DATA_MAGIC);
	KT_EQ(t, user_read(&b, va), 0xbbbb0002);
	KT_EQ(t, user_read(&e.vs, va), DATA_MAGIC);
	/* Use up the ASIDs: each activation of a fresh space takes one. */
	gen0 = uarch_asid_generation();
	asid_a = e.vs.asid;
	for (unsigned i = 0; i < 300; i++) {
		struct uarch_vs *v = &many[i % 8];

		if (i >= 8)
			uarch_vs_destroy(v, &e.pta);
		KT_EQ(t, uarch_vs_init(v, &e.pta), 0);
		uarch_vs_activate(v);
	}
	KT_ASSERT(t, uarch_asid_generation() > gen0);
	/* Both old spaces get new ASIDs and still see their own page, never
	 * the other's stale translation -- from user mode and the kernel. */
	KT_EQ(t, user_read(&b, va), 0xbbbb0002);
	KT_EQ(t, user_read(&e.vs, va), DATA_MAGIC);
	KT_ASSERT(t, e.vs.asid != b.asid);
	KT_EQ(t, e.vs.asid_gen, uarch_asid_generation());
	(void)asid_a;
	KT_EQ(t, uarch_copy_from_user(&got, va, 4), 0);
	KT_EQ(t, got, DATA_MAGIC);
	/* A forced rollover: the spaces are numbered again in the order
	 * they are activated, and each still reads its own data. */
	gen0 = uarch_asid_generation();
	uarch_asid_force_rollover();
	KT_EQ(t, uarch_asid_generation(), gen0 + 1);
	KT_EQ(t, user_read(&b, va), 0xbbbb0002);
	KT_EQ(t, b.asid, 1);
	KT_EQ(t, user_read(&e.vs, va), DATA_MAGIC);
	KT_EQ(t, e.vs.asid, 2);
	KT_EQ(t, user_read(&b, va), 0xbbbb0002);
	KT_EQ(t, uarch_asid_generation(), gen0 + 1);
	/* Destroying the active space leaves no walk into its tables. */
	uarch_vs_activate(&b);
	uarch_vs_destroy(&b, &e.pta);
	KT_EQ(t, uarch_copy_from_user(&got, va, 4), E_FAULT);
	KT_EQ(t, user_read(&e.vs, va), DATA_MAGIC);
	uarch_vs_activate(NULL);
	for (unsigned i = 0; i < 8; i++)
		uarch_vs_destroy(&many[i], &e.pta);
	KT_EQ(t, pool_frame_free(&tq, fb, 0), 0);
	env_teardown(&e);
	KT_EQ(t, tq.used, 0);
}

static void test_copy_user_checks(struct ktest *t)
{
	struct uenv e;
	uint32_t buf[4] = { 1, 2, 3, 4 }, in[4];

	if (!env_setup(t, &e, 16))
		return;
	/* Read and write where the user may. */
	KT_EQ(t, uarch_copy_from_user(in, DATA_VA, 4), 0);
	KT_EQ(t, in[0], DATA_MAGIC);
	KT_EQ(t, uarch_copy_to_user(DATA_VA + 4092, buf, 4), 0);
	KT_EQ(t, e.kdata[1023], 1);
	KT_EQ(t, uarch_copy_from_user(in, RO_VA + 4092, 4), 0);
	KT_EQ(t, in[0], 1);
	KT_EQ(t, uarch_copy_from_user(in, CODE_VA, 4), 0);      /* executable, readable */
	/* Read-only and executable pages refuse writes; nothing is written. */
	KT_EQ(t, uarch_copy_to_user(RO_VA, buf, 4), E_FAULT);
	KT_EQ(t, uarch_copy_to_user(CODE_VA, buf, 4), E_FAULT);
	KT_EQ(t, e.kdata[0], DATA_MAGIC);
	/* Unmapped, partly unmapped (the page after), kernel addresses. */
	KT_EQ(t, uarch_copy_from_user(in, 0x00900000, 4), E_FAULT);
	memset(in, 0, sizeof(in));
	KT_EQ(t, uarch_copy_from_user(in, DATA_VA + 4088, 16), E_FAULT);
	KT_EQ(t, in[0], 0);
	KT_EQ(t, uarch_copy_to_user(DATA_VA + 4088, buf, 16), E_FAULT);
	KT_EQ(t, e.kdata[1022], 0);
	KT_EQ(t, uarch_copy_from_user(in, 0xC0000000u - 2, 4), E_FAULT);
	KT_EQ(t, uarch_copy_from_user(in, 0xF0000000u, 4), E_FAULT);
	KT_EQ(t, uarch_copy_to_user(0xFFFFFFF0u, buf, 16), E_FAULT);
	KT_EQ(t, uarch_copy_from_user(in, 0, 0), 0);
	/* Device memory is refused (the PL011: a read could have side effects). */
	KT_EQ(t, uarch_vs_map(&e.vs, &e.pta, 0x00800000, 0x09000000, 4096, UATTR_DEVICE,
			      R_READ | R_WRITE), 0);
	KT_EQ(t, uarch_copy_from_user(in, 0x00800fe0, 4), E_FAULT);
	KT_EQ(t, uarch_copy_to_user(0x00800000, buf, 4), E_FAULT);
	/* Nothing current: everything faults. */
	uarch_vs_activate(NULL);
	KT_EQ(t, uarch_copy_from_user(in, DATA_VA, 4), E_FAULT);
	env_teardown(&e);
	KT_EQ(t, tq.used, 0);
}

static void test_irq_pending_reads_isr(struct ktest *t)
{
	uint32_t irq = arch_irq_save();
	uint64_t t0 = read_cntpct(), limit = read_cntfrq() / 10;
	bool seen;

	/* Interrupts masked, the timer ticking at 100 Hz: within 100 ms one
	 * is pending (and taken once they are unmasked again). */
	while (!(seen = uarch_irq_pending()) && read_cntpct() - t0 < limit)
		;
	arch_irq_restore(irq);
	KT_ASSERT(t, seen);
}

static const struct ktest_case cases[] = {
	KT_CASE(test_ctx_init_and_cpsr),
	KT_CASE(test_user_svc_round_trip),
	KT_CASE(test_user_faults_decoded),
	KT_CASE(test_unmap_invalidates_tlb),
	KT_CASE(test_largest_translation),
	KT_CASE(test_gib_blocks),
	KT_CASE(test_tables_counted_and_freed),
	KT_CASE(test_map_checks_and_all_or_nothing),
	KT_CASE(test_asid_rollover_keeps_isolation),
	KT_CASE(test_copy_user_checks),
	KT_CASE(test_irq_pending_reads_isr),
};
KTEST_SUITE(uspace_suite, "uspace", cases);

/* ------------------------------------------------------------- benches */

#define BENCH_N 1000u

static struct uctx bench_ctx;

static uint32_t run_loop(const char *entry, uint32_t n)
{
	struct rec r;
	uint32_t t0, t1;

	memset(&r, 0, sizeof(r));
	r.stop_at = 1;
	uarch_ctx_init(&bench_ctx, uc(entry), STACK_VA + 4096, 0);
	bench_ctx.r[6] = n;
	bench_ctx.r[7] = SYS_NULL;
	t0 = (uint32_t)arch_cycles();
	uarch_test_run(&bench_ctx, hook, &r, false);
	t1 = (uint32_t)arch_cycles();
	return r.kind[0] == TRAP_UNDEF ? t1 - t0 : 0;
}

static uint64_t bench_user_null_svc(void)
{
	static struct ktest dummy;
	struct uenv e;
	uint32_t with, without;

	if (!env_setup(&dummy, &e, 16))
		return 0;
	run_loop(uc_loop_svc, 1);       /* warm up */
	run_loop(uc_loop_nop, 1);
	with = run_loop(uc_loop_svc, BENCH_N);
	without = run_loop(uc_loop_nop, BENCH_N);
	env_teardown(&e);
	quota_destroy(&tq);
	return with > without ? (with - without) / BENCH_N : 0;
}
BENCH_ITEM(bench_unull, "user_null_svc_round_trip", "insns",
	   "user svc #0 (SYS_NULL) to user: vector into the context, kentry_syscall, rfe "
	   "(loop with nop subtracted)",
	   bench_user_null_svc);

static uint64_t bench_map_4k(void)
{
	static struct ktest dummy;
	struct uenv e;
	uint32_t t0, t1;

	if (!env_setup(&dummy, &e, 16))
		return 0;
	/* A neighbour keeps the tables: the steady state of a live space. */
	uarch_vs_map(&e.vs, &e.pta, DATA_VA + 0x1000, e.data, 4096, UATTR_NORMAL_WB, R_READ);
	t0 = (uint32_t)arch_cycles();
	for (unsigned i = 0; i < BENCH_N; i++) {
		uarch_vs_map(&e.vs, &e.pta, DATA_VA + 0x2000, e.data, 4096, UATTR_NORMAL_WB,
			     R_READ | R_WRITE);
		uarch_vs_unmap(&e.vs, &e.pta, DATA_VA + 0x2000, 4096);
	}
	t1 = (uint32_t)arch_cycles();
	env_teardown(&e);
	quota_destroy(&tq);
	return (t1 - t0) / BENCH_N;
}
BENCH_ITEM(bench_m4k, "map_unmap_4k", "insns",
	   "uarch_vs_map + uarch_vs_unmap of one RAM page in a live region (active space: "
	   "TLBIMVAIS)",
	   bench_map_4k);

static uint64_t bench_map_4k_tables(void)
{
	static struct ktest dummy;
	struct uenv e;
	uint32_t t0, t1;

	if (!env_setup(&dummy, &e, 16))
		return 0;
	t0 = (uint32_t)arch_cycles();
	for (unsigned i = 0; i < BENCH_N; i++) {
		uarch_vs_map(&e.vs, &e.pta, 0x40000000, e.data, 4096, UATTR_NORMAL_WB, R_READ);
		uarch_vs_unmap(&e.vs, &e.pta, 0x40000000, 4096);
	}
	t1 = (uint32_t)arch_cycles();
	env_teardown(&e);
	quota_destroy(&tq);
	return (t1 - t0) / BENCH_N;
}
BENCH_ITEM(bench_m4kt, "map_unmap_4k_empty_gib", "insns",
	   "the same in an empty GiB: a level-2 and a level-3 table linked and unlinked each "
	   "time (the space's spare tables)",
	   bench_map_4k_tables);

/* Map + unmap of 1 GiB of device memory in the 64-bit PCIe window (only
 * descriptors are written; nothing is accessed), at user va 0x4000_0000
 * and pa `pa`. */
static uint64_t bench_map_1g(paddr_t pa)
{
	static struct ktest dummy;
	struct uenv e;
	uint32_t t0, t1;
	const unsigned n = 16;

	if (!env_setup(&dummy, &e, 16))
		return 0;
	t0 = (uint32_t)arch_cycles();
	for (unsigned i = 0; i < n; i++) {
		if (uarch_vs_map(&e.vs, &e.pta, GIB, pa, GIB, UATTR_DEVICE, R_READ | R_WRITE) ||
		    uarch_vs_unmap(&e.vs, &e.pta, GIB, GIB)) {
			t1 = t0;        /* report 0: not what it claims to measure */
			goto out;
		}
	}
	t1 = (uint32_t)arch_cycles();
out:
	env_teardown(&e);
	quota_destroy(&tq);
	return (t1 - t0) / n;
}

static uint64_t bench_map_1g_block(void)
{
	return bench_map_1g(PCIE_WINDOW_PA);
}
BENCH_ITEM(bench_m1g, "map_1g_device_1g_aligned", "insns",
	   "uarch_vs_map + uarch_vs_unmap of 1 GiB of device memory, va and pa 1 GiB aligned: "
	   "one level-1 block, no table, one TLBIMVAIS",
	   bench_map_1g_block);

static uint64_t bench_map_1g_2m(void)
{
	return bench_map_1g(PCIE_WINDOW_PA + 0x200000);
}
BENCH_ITEM(bench_m1g2m, "map_1g_device_2m_aligned", "insns",
	   "the same with pa only 2 MiB aligned: 512 level-2 blocks in one level-2 table (a "
	   "spare), one TLBIASIDIS",
	   bench_map_1g_2m);
