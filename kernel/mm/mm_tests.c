/*
 * In-kernel tests and benchmarks of kernel memory on the real machine
 * (ktest suite `mem`; bench items frame_*, kcache_*, page_info_*): the
 * same code the host tests exercise, here with the real direct map, the
 * real frame-table backing and short-lived kmaps of high memory.
 */
#include <hal/arch.h>
#include <hal/mm_arch.h>
#include <lib/error.h>
#include <lib/ktest.h>
#include <lib/string.h>
#include <mm/devrange.h>
#include <mm/frame.h>
#include <mm/kheap.h>
#include <mm/mm.h>
#include <mm/pool.h>

#define TEST_QUOTA_PAGES 64

static void test_mm_check_after_boot(struct ktest *t)
{
	const char *why = NULL;

	KT_ASSERT_MSG(t, mm_check(&why) == 0, "mm_check: %s", why ? why : "?");
}

/* Allocate from `pool_id`, dirty through a kmap, free, allocate again with
 * POOL_F_ZERO: the page must read back as zeros. */
static void zero_and_reuse(struct ktest *t, unsigned pool_id)
{
	struct pool *p = pool_get(pool_id);
	struct quota q;
	paddr_t pa, pb;
	uint32_t *w;
	const char *why = NULL;

	if (!p || p->total == 0) {
		t->skip = "no RAM in this pool on this machine";
		return;
	}
	KT_EQ(t, quota_create_root(&q, p, 4, "ktest"), 0);
	KT_EQ(t, pool_frame_alloc(&q, 0, 0, &pa), 0);
	w = mm_arch_kmap(pa);
	KT_ASSERT(t, w != NULL);
	for (unsigned i = 0; i < 1024; i++)
		w[i] = 0xa5a50000u | i;
	KT_EQ(t, w[1023], 0xa5a503ffu);
	mm_arch_kunmap(w);
	KT_EQ(t, pool_frame_free(&q, pa, 0), 0);
	KT_EQ(t, pool_frame_alloc(&q, 0, POOL_F_ZERO, &pb), 0);
	w = mm_arch_kmap(pb);
	KT_ASSERT(t, w != NULL);
	for (unsigned i = 0; i < 1024; i++)
		if (w[i] != 0) {
			mm_arch_kunmap(w);
			KT_ASSERT_MSG(t, false, "word %u of 0x%llx is 0x%08x after zeroing", i,
				      (unsigned long long)pb, (unsigned)w[i]);
		}
	mm_arch_kunmap(w);
	KT_EQ(t, pool_frame_free(&q, pb, 0), 0);
	KT_EQ(t, quota_destroy(&q), 0);
	KT_ASSERT_MSG(t, mm_check(&why) == 0, "mm_check: %s", why ? why : "?");
}

static void test_high_memory_zero_reuse(struct ktest *t)
{
	zero_and_reuse(t, POOL_HIGH);
}

static void test_dma32_memory_zero_reuse(struct ktest *t)
{
	zero_and_reuse(t, POOL_DMA32);
}

static void test_quota_exhaustion(struct ktest *t)
{
	struct quota q;
	paddr_t pages[TEST_QUOTA_PAGES + 1];
	unsigned n = 0;
	uint32_t free_before = pool_free(pool_get(POOL_DIRECT));

	KT_EQ(t, quota_create_root(&q, pool_get(POOL_DIRECT), TEST_QUOTA_PAGES, "ktest"), 0);
	while (n <= TEST_QUOTA_PAGES && pool_frame_alloc(&q, 0, 0, &pages[n]) == 0)
		n++;
	KT_EQ(t, n, TEST_QUOTA_PAGES);
	KT_EQ(t, pool_frame_alloc(&q, 0, 0, &pages[n]), E_NOMEM);
	while (n > 0)
		KT_EQ(t, pool_frame_free(&q, pages[--n], 0), 0);
	KT_EQ(t, quota_destroy(&q), 0);
	KT_EQ(t, pool_free(pool_get(POOL_DIRECT)), free_before);
}

/* The inline object paths on the real heap: LIFO reuse through the
 * magazine, exact charge and credit, and what free refuses (double free,
 * interior, misaligned, another cache's object, outside the heap). */
static void test_kcache_fast_paths(struct ktest *t)
{
	static struct kcache a, b;
	struct quota q;
	void *x, *y, *z;
	const char *why = NULL;

	memset(&q, 0, sizeof(q));
	KT_EQ(t, quota_create_root(&q, pool_get(POOL_KHEAP), 4096, "ktest"), 0);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	KT_EQ(t, kcache_create(&a, "ktest-a", 48, 0, 0), 0);
	KT_EQ(t, kcache_create(&b, "ktest-b", 48, 0, 0), 0);
	KT_EQ(t, kcache_alloc(&a, &q, &x), 0);
	KT_EQ(t, kcache_alloc(&b, &q, &z), 0);
	KT_EQ(t, q.used, a.stride + b.stride);
	KT_EQ(t, kcache_free(&a, x), 0);
	KT_EQ(t, kcache_free(&a, x), E_INVAL);                  /* double free */
	KT_EQ(t, kcache_alloc(&a, &q, &y), 0);
	KT_ASSERT(t, y == x);                                   /* LIFO */
	KT_EQ(t, kcache_free(&a, (char *)y + 4), E_INVAL);      /* interior */
	KT_EQ(t, kcache_free(&a, (char *)y + 1), E_INVAL);      /* misaligned */
	KT_EQ(t, kcache_free(&a, z), E_INVAL);                  /* b's object */
	KT_EQ(t, kcache_free(&a, &q), E_INVAL);                 /* not the heap */
	KT_EQ(t, kcache_free(&a, kheap_va()), E_INVAL);
	KT_EQ(t, q.used, a.stride + b.stride);
	KT_ASSERT_MSG(t, kcache_check(&a, &why) == 0, "kcache_check: %s", why ? why : "?");
	KT_EQ(t, kcache_free(&a, y), 0);
	KT_EQ(t, kcache_free(&b, z), 0);
	KT_EQ(t, q.used, 0);
	KT_EQ(t, kcache_destroy(&a), 0);
	KT_EQ(t, kcache_destroy(&b), 0);
	KT_EQ(t, quota_destroy(&q), 0);
	KT_ASSERT_MSG(t, mm_check(&why) == 0, "mm_check: %s", why ? why : "?");
}

static void test_page_info_device_and_ram(struct ktest *t)
{
	struct page_info pi;

	KT_ASSERT(t, devrange_count() > 0);
	KT_EQ(t, page_info(devrange_at(0)->base, &pi), 0);
	KT_EQ(t, pi.kind, PAGE_KIND_DEVICE);
	KT_EQ(t, page_info(kheap_pa(), &pi), 0);
	KT_EQ(t, pi.kind, PAGE_KIND_RAM);
}

static const struct ktest_case mem_cases[] = {
	KT_CASE(test_mm_check_after_boot),
	KT_CASE(test_high_memory_zero_reuse),
	KT_CASE(test_dma32_memory_zero_reuse),
	KT_CASE(test_quota_exhaustion),
	KT_CASE(test_page_info_device_and_ram),
	KT_CASE(test_kcache_fast_paths),
};
KTEST_SUITE(mem_suite, "mem", mem_cases);

/* ---- benchmarks: average instructions per operation ---- */

#define BENCH_N 256

/*
 * The allocators' fast paths are inline (pool.h, kheap.h), so a loop of
 * alloc + free could let the compiler carry values from one call into the
 * next (the object just allocated, the quota word just stored, the
 * magazine's top). BARRIER (all memory clobbered) between the calls stops
 * that: each call does all of its loads, checks and stores, and the freed
 * address is read back from where the alloc stored it, as for a caller
 * that frees an object it got long before. OPAQUE hides the constant
 * cache and quota addresses, which callers do not have either.
 */
#define OPAQUE(x)                                                           \
	do {                                                                \
		__typeof__(x) volatile opaque_ = (x);                       \
		(x) = opaque_;                                              \
	} while (0)
#define BARRIER() __atomic_signal_fence(__ATOMIC_SEQ_CST)

static struct quota bench_q;
static bool bench_q_ready;

static struct quota *bench_quota(void)
{
	if (!bench_q_ready &&
	    quota_create_root(&bench_q, pool_get(POOL_DIRECT), 64, "bench") == 0)
		bench_q_ready = true;
	return bench_q_ready ? &bench_q : NULL;
}

static uint64_t bench_frame_order(unsigned order)
{
	struct quota *q = bench_quota();
	uint32_t t0, t1;
	paddr_t pa;

	if (!q || pool_frame_alloc(q, order, 0, &pa) != 0)
		return 0;
	pool_frame_free(q, pa, order); /* warm up */
	t0 = (uint32_t)arch_cycles();
	OPAQUE(q);
	for (unsigned i = 0; i < BENCH_N; i++) {
		pool_frame_alloc(q, order, 0, &pa);
		BARRIER();
		pool_frame_free(q, pa, order);
		BARRIER();
	}
	t1 = (uint32_t)arch_cycles();
	return (t1 - t0) / BENCH_N;
}

static uint64_t bench_frame0(void)
{
	return bench_frame_order(0);
}
BENCH_ITEM(bench_f0, "frame_alloc_free_order0", "insns",
	   "pool_frame_alloc + pool_frame_free of one 4 KiB frame (quota charged)",
	   bench_frame0);

static uint64_t bench_frame4(void)
{
	return bench_frame_order(4);
}
BENCH_ITEM(bench_f4, "frame_alloc_free_order4", "insns",
	   "pool_frame_alloc + pool_frame_free of a 64 KiB block (split, coalesce)",
	   bench_frame4);

static uint64_t bench_kcache(void)
{
	static struct kcache c;
	static bool ready;
	struct quota *hq = NULL;
	struct kcache *cp;
	static struct quota heapq;
	uint32_t t0, t1;
	void *obj;

	if (!ready) {
		if (kcache_create(&c, "bench64", 64, 8, 0) != 0 ||
		    quota_create_root(&heapq, pool_get(POOL_KHEAP), 65536, "bench") != 0)
			return 0;
		ready = true;
	}
	hq = &heapq;
	cp = &c;
	if (kcache_alloc(cp, hq, &obj) != 0)
		return 0;
	kcache_free(cp, obj);
	t0 = (uint32_t)arch_cycles();
	OPAQUE(cp);
	OPAQUE(hq);
	for (unsigned i = 0; i < BENCH_N; i++) {
		kcache_alloc(cp, hq, &obj);
		BARRIER();
		kcache_free(cp, obj);
		BARRIER();
	}
	t1 = (uint32_t)arch_cycles();
	return (t1 - t0) / BENCH_N;
}
BENCH_ITEM(bench_kc, "kcache_alloc_free", "insns",
	   "kcache_alloc + kcache_free of a 64-byte object (heap quota charged)",
	   bench_kcache);

static uint64_t bench_frame_lookup(void)
{
	paddr_t pa = kheap_pa();
	volatile struct frame *sink;
	uint32_t t0, t1;

	t0 = (uint32_t)arch_cycles();
	for (unsigned i = 0; i < BENCH_N; i++)
		sink = frame_get(pa + ((paddr_t)(i & 7) << 12));
	t1 = (uint32_t)arch_cycles();
	(void)sink;
	return (t1 - t0) / BENCH_N;
}
BENCH_ITEM(bench_fl, "frame_table_lookup", "insns",
	   "frame_get(pa): physical address to frame-table entry", bench_frame_lookup);

static uint64_t bench_devinfo(void)
{
	struct page_info pi;
	paddr_t pa;
	uint32_t t0, t1;

	if (devrange_count() == 0)
		return 0;
	pa = devrange_at(devrange_count() / 2)->base;
	t0 = (uint32_t)arch_cycles();
	for (unsigned i = 0; i < BENCH_N; i++)
		page_info(pa, &pi);
	t1 = (uint32_t)arch_cycles();
	return (t1 - t0) / BENCH_N;
}
BENCH_ITEM(bench_di, "device_page_info", "insns",
	   "page_info() of a device page: computed from its range, nothing stored",
	   bench_devinfo);
