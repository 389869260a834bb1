/*
 * Host tests of pools and quotas (kernel/mm/pool.c) on a booted memory
 * subsystem: the quota tree, charging and crediting frames and heap
 * objects, exhaustion without partial state, credit to the right pool,
 * heap isolation between two "processes".
 */
#include "htest.h"
#include "mm_fakes.h"

#include <lib/error.h>
#include <mm/buddy.h>
#include <mm/frame.h>
#include <mm/kheap.h>
#include <mm/mm.h>
#include <mm/pool.h>

#include <stdlib.h>

#define GB(x) ((paddr_t)(x) << 30)
#define MB(x) ((paddr_t)(x) << 20)

/* 1 GiB at 0x4000_0000 (DIRECT 768 MiB + DMA32 256 MiB), 512 MiB HIGH. */
static const struct pmem_range banks[] = { { GB(1), GB(1) }, { GB(4), MB(512) } };
static const struct pmem_range rsv[] = { { 0x40010000, 0x200000 } };

static int boot(void)
{
	struct mm_config cfg = { 0 };
	struct mm_status st;

	cfg.banks = banks;
	cfg.nbanks = 2;
	cfg.reserved = rsv;
	cfg.nreserved = 1;
	cfg.direct_base = GB(1);
	cfg.direct_size = MB(768);
	cfg.ftable_size = 16u << 20;
	return mmfake_boot(&cfg, &st);
}

static void check_all(void)
{
	const char *why = NULL;

	HT_ASSERT_MSG(mm_check(&why) == 0, "mm_check: %s", why);
}

static void pools_after_boot(void)
{
	struct pool *p;

	HT_EQ(boot(), 0);
	HT_ASSERT(pool_by_name("direct") == pool_get(POOL_DIRECT));
	HT_ASSERT(pool_by_name("dma32") == pool_get(POOL_DMA32));
	HT_ASSERT(pool_by_name("high") == pool_get(POOL_HIGH));
	HT_ASSERT(pool_by_name("kheap") == pool_get(POOL_KHEAP));
	HT_ASSERT(pool_by_name("nope") == NULL);
	HT_ASSERT(pool_get(POOL_COUNT) == NULL);
	p = pool_get(POOL_HIGH);
	HT_EQ(p->kind, POOL_KIND_FRAMES);
	HT_EQ(p->total, MB(512) >> 12);
	HT_EQ(pool_free(p), MB(512) >> 12);
	/* quotable leaves room for the table to grow over all of it */
	HT_EQ(p->quotable, (MB(512) >> 12) - 2 * 128);
	p = pool_get(POOL_KHEAP);
	HT_EQ(p->kind, POOL_KIND_HEAP);
	HT_EQ(p->total, MB(24));                      /* 1.5 GiB / 64 */
	HT_EQ(p->quotable, (MB(24) - 4096) / 8 * 7);
	check_all();
}

static void quota_tree(void)
{
	struct quota root, a, b, c, a1;
	struct pool *p;

	HT_EQ(boot(), 0);
	p = pool_get(POOL_HIGH);
	memset(&root, 0, sizeof(root));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	memset(&a1, 0, sizeof(a1));
	HT_EQ(quota_create_root(&root, p, 1000, "init"), 0);
	HT_EQ(p->reserved, 1000);
	HT_EQ(quota_create_child(&a, &root, 600, "a"), 0);
	HT_EQ(quota_create_child(&b, &root, 300, "b"), 0);
	HT_EQ(quota_available(&root), 100);
	HT_EQ(quota_create_child(&c, &root, 200, "c"), E_NOMEM);  /* only 100 left */
	HT_ASSERT(!quota_live(&c));
	HT_EQ(root.carved, 900);
	HT_EQ(quota_create_child(&a1, &a, 500, "a1"), 0);
	HT_EQ(quota_available(&a), 100);
	check_all();
	HT_EQ(quota_destroy(&a), E_BUSY);                        /* has a child */
	HT_EQ(quota_destroy(&a1), 0);
	HT_EQ(quota_available(&a), 600);
	HT_EQ(quota_destroy(&a), 0);
	HT_EQ(root.carved, 300);
	HT_EQ(quota_available(&root), 700);
	HT_EQ(quota_destroy(&a), E_INVAL);                       /* dead */
	HT_EQ(quota_create_child(&c, &a, 1, "c"), E_INVAL);      /* dead parent */
	HT_EQ(quota_destroy(&b), 0);
	HT_EQ(quota_destroy(&root), 0);
	HT_EQ(p->reserved, 0);
	/* a pool cannot promise more than it has */
	HT_EQ(quota_create_root(&root, p, p->quotable + 1, "big"), E_NOMEM);
	HT_EQ(quota_create_root(&root, p, p->quotable, "all"), 0);
	HT_EQ(quota_create_root(&a, p, 1, "more"), E_NOMEM);
	HT_EQ(quota_destroy(&root), 0);
	check_all();
}

static void charge_and_credit_frames(void)
{
	struct quota q;
	struct pool *p;
	paddr_t pa;
	uint64_t free0;

	HT_EQ(boot(), 0);
	p = pool_get(POOL_DMA32);
	memset(&q, 0, sizeof(q));
	HT_EQ(quota_create_root(&q, p, 100, "proc"), 0);
	free0 = pool_free(p);
	HT_EQ(pool_frame_alloc(&q, 3, 0, &pa), 0);
	HT_EQ(q.used, 8);
	HT_EQ(p->charged, 8);
	HT_EQ(pmem_seg_of(pa), PMEM_SEG_DMA32);
	HT_EQ(frame_pool(frame_get(pa)), POOL_DMA32);
	HT_EQ(frame_pool(frame_get(pa + 7 * 4096)), POOL_DMA32);
	check_all();
	HT_EQ(quota_destroy(&q), E_BUSY);                         /* still charged */
	HT_EQ(pool_frame_free(&q, pa, 2), E_INVAL);               /* wrong order */
	HT_EQ(pool_frame_free(&q, pa + 4096, 3), E_INVAL);        /* not the head */
	HT_EQ(frame_ref(pa), 0);
	HT_EQ(pool_frame_free(&q, pa, 3), E_BUSY);                /* still mapped */
	HT_EQ(q.used, 8);
	HT_EQ(frame_unref(pa), 0);
	HT_EQ(pool_frame_free(&q, pa, 3), 0);
	HT_EQ(q.used, 0);
	HT_EQ(p->charged, 0);
	/* the 4 MiB chunk re-formed; the table page it needed came from the
	 * DIRECT lists (DMA32 and HIGH had none), so DMA32 is whole again */
	HT_EQ(pool_free(p), free0);
	HT_EQ(buddy_free_blocks(PMEM_SEG_DMA32, 10), free0 / 1024);
	HT_EQ(pool_frame_free(&q, pa, 3), E_INVAL);               /* double free */
	HT_EQ(pool_frame_alloc(&q, 11, 0, &pa), E_INVAL);
	HT_EQ(pool_frame_alloc(&q, 0, 0x80, &pa), E_INVAL);
	HT_EQ(quota_destroy(&q), 0);
	HT_EQ(pool_frame_alloc(&q, 0, 0, &pa), E_INVAL);          /* dead quota */
	check_all();
}

static void exhaustion_leaves_nothing(void)
{
	struct quota q, hq;
	struct pool *p;
	paddr_t pa, got[10];
	uint64_t free0;
	unsigned n = 0;

	HT_EQ(boot(), 0);
	p = pool_get(POOL_HIGH);
	memset(&q, 0, sizeof(q));
	HT_EQ(quota_create_root(&q, p, 5, "small"), 0);
	HT_EQ(pool_frame_alloc(&q, 2, 0, &pa), 0);
	free0 = pool_free(p);
	HT_EQ(pool_frame_alloc(&q, 1, 0, &got[0]), E_NOMEM);      /* quota: 4 + 2 > 5 */
	HT_EQ(q.used, 4);
	HT_EQ(pool_free(p), free0);
	HT_EQ(pool_frame_alloc(&q, 0, 0, &got[0]), 0);
	HT_EQ(pool_frame_alloc(&q, 0, 0, &got[1]), E_NOMEM);
	HT_EQ(pool_frame_free(&q, got[0], 0), 0);
	HT_EQ(pool_frame_free(&q, pa, 2), 0);
	HT_EQ(quota_destroy(&q), 0);
	/* the pool itself running dry: the kernel (which bypasses quotas)
	 * takes all but 10 pages of HIGH; a process with quota to spare gets
	 * those 10, then E_NOMEM with nothing charged */
	{
		static paddr_t held[200000];
		const uint8_t high[1] = { PMEM_SEG_HIGH };

		while (pool_free(p) > 10 && n < 200000 &&
		       buddy_alloc(high, 1, 0, POOL_ID_KERNEL, &held[n]) == 0)
			n++;
		HT_EQ(pool_free(p), 10);
		memset(&hq, 0, sizeof(hq));
		HT_EQ(quota_create_root(&hq, p, 100, "proc"), 0);
		for (unsigned i = 0; i < 10; i++)
			HT_EQ(pool_frame_alloc(&hq, 0, 0, &got[i]), 0);
		HT_EQ(pool_frame_alloc(&hq, 0, 0, &pa), E_NOMEM);
		HT_EQ(pool_frame_alloc(&hq, 3, 0, &pa), E_NOMEM);
		HT_EQ(hq.used, 10);
		HT_EQ(p->charged, 10);
		check_all();
		for (unsigned i = 0; i < 10; i++)
			HT_EQ(pool_frame_free(&hq, got[i], 0), 0);
		for (unsigned i = 0; i < n; i++)
			HT_EQ(buddy_free(held[i], 0), 0);
		HT_EQ(quota_destroy(&hq), 0);
		check_all();
	}
}

static void credit_goes_to_the_right_pool(void)
{
	struct quota qh, qd, qk;
	struct quota *qs[3] = { &qh, &qd, &qk };
	paddr_t pa[6];
	unsigned which;

	HT_EQ(boot(), 0);
	memset(&qh, 0, sizeof(qh));
	memset(&qd, 0, sizeof(qd));
	memset(&qk, 0, sizeof(qk));
	HT_EQ(quota_create_root(&qh, pool_get(POOL_HIGH), 4, "user high"), 0);
	HT_EQ(quota_create_root(&qd, pool_get(POOL_DMA32), 1, "user dma32"), 0);
	HT_EQ(quota_create_root(&qk, pool_get(POOL_DIRECT), 100, "user direct"), 0);
	/* user memory: HIGH, then DMA32, then DIRECT, each within its quota */
	for (unsigned i = 0; i < 6; i++) {
		HT_EQ(pool_frame_alloc_any(qs, 3, 0, POOL_F_ZERO, &pa[i], &which), 0);
		HT_EQ(which, i < 4 ? 0u : i == 4 ? 1u : 2u);
		HT_EQ(frame_pool(frame_get(pa[i])), qs[which]->pool->id);
	}
	HT_EQ(qh.used, 4);
	HT_EQ(qd.used, 1);
	HT_EQ(qk.used, 1);
	/* freeing through a quota of another pool is refused, nothing moves */
	HT_EQ(pool_frame_free(&qh, pa[4], 0), E_INVAL);
	HT_EQ(pool_frame_free(&qk, pa[0], 0), E_INVAL);
	HT_EQ(qh.used, 4);
	HT_EQ(pool_frame_free(&qd, pa[4], 0), 0);
	HT_EQ(qd.used, 0);
	HT_EQ(qh.used, 4);
	HT_EQ(pool_frame_free(&qk, pa[5], 0), 0);
	for (unsigned i = 0; i < 4; i++)
		HT_EQ(pool_frame_free(&qh, pa[i], 0), 0);
	HT_EQ(qh.used + qd.used + qk.used, 0);
	HT_EQ(pool_get(POOL_HIGH)->charged + pool_get(POOL_DMA32)->charged +
		      pool_get(POOL_DIRECT)->charged, 0);
	{
		struct quota *bad[1] = { NULL };

		HT_EQ(pool_frame_alloc_any(bad, 1, 0, 0, &pa[0], NULL), E_INVAL);
	}
	check_all();
}

/* Order-0 frames through the fast paths: every check of the slow path
 * (mapped, wrong pool, double free, not a head, quota), and the page
 * counted free while it sits in the segment's cache. */
static void order0_fast_paths(void)
{
	struct quota q, other;
	struct pool *p;
	paddr_t pa, pb;
	uint64_t free0;

	HT_EQ(boot(), 0);
	p = pool_get(POOL_DIRECT);
	memset(&q, 0, sizeof(q));
	memset(&other, 0, sizeof(other));
	HT_EQ(quota_create_root(&q, p, 4, "q"), 0);
	HT_EQ(quota_create_root(&other, pool_get(POOL_HIGH), 4, "other"), 0);
	free0 = pool_free(p);
	HT_EQ(pool_frame_alloc(&q, 0, 0, &pa), 0);
	HT_EQ(pool_free(p), free0 - 1);
	HT_EQ(q.used, 1);
	HT_EQ(frame_ref(pa), 0);
	HT_EQ(pool_frame_free(&q, pa, 0), E_BUSY);               /* mapped */
	HT_EQ(frame_unref(pa), 0);
	HT_EQ(pool_frame_free(&other, pa, 0), E_INVAL);          /* other pool */
	HT_EQ(pool_frame_free(&q, pa + 1, 0), E_INVAL);          /* misaligned */
	HT_EQ(pool_frame_free(&q, (paddr_t)1 << 40, 0), E_INVAL);
	HT_EQ(pool_frame_free(&q, 0x10000000, 0), E_INVAL);      /* not RAM */
	HT_EQ(q.used, 1);
	check_all();
	HT_EQ(pool_frame_free(&q, pa, 0), 0);
	HT_EQ(q.used, 0);
	HT_EQ(p->charged, 0);
	HT_EQ(pool_free(p), free0);                              /* cached, still free */
	HT_EQ(pool_frame_free(&q, pa, 0), E_INVAL);              /* double free */
	check_all();
	HT_EQ(pool_frame_alloc(&q, 0, 0, &pb), 0);
	HT_EQ(pb, pa);                                           /* LIFO */
	HT_EQ(frame_pool(frame_get(pb)), POOL_DIRECT);
	HT_EQ(pool_frame_free(&q, pb, 0), 0);
	/* a quota with no room is refused before the cache is touched */
	for (unsigned i = 0; i < 4; i++)
		HT_EQ(pool_frame_alloc(&q, 0, 0, &pb), 0);
	HT_EQ(pool_frame_alloc(&q, 0, 0, &pb), E_NOMEM);
	HT_EQ(q.used, 4);
	check_all();
	buddy_drain_caches();
	check_all();
}

/*
 * The inline order-0 paths work on the segment's cache through the pool
 * (pool->pcp): alloc pops it, free pushes it (LIFO); the checks they make
 * inline refuse, with nothing changed, a page of another quota's pool, a
 * page in the hole between the banks (a guard bit of the frame table), a
 * quota with nothing charged (the page is another quota's of the same
 * pool), a tail page of a larger block, and a full cache goes through the
 * slow path, which drains it.
 */
static void order0_inline_paths(void)
{
	enum { N = 3 * BUDDY_PCP_MAX };
	struct quota q, q2, high;
	struct pool *p;
	struct buddy_pcp *c;
	paddr_t pa, pb, big, pages[N];
	uint32_t n0, free0;

	HT_EQ(boot(), 0);
	p = pool_get(POOL_DIRECT);
	c = p->pcp;
	HT_ASSERT(c == &buddy_pcp[PMEM_SEG_DIRECT]);
	HT_EQ(p->head_w1, POOL_DIRECT | PMEM_SEG_DIRECT << 8);
	HT_ASSERT(pool_get(POOL_KHEAP)->pcp == NULL);
	memset(&q, 0, sizeof(q));
	memset(&q2, 0, sizeof(q2));
	memset(&high, 0, sizeof(high));
	HT_EQ(quota_create_root(&q, p, N + 16, "q"), 0);
	HT_EQ(quota_create_root(&q2, p, 4, "q2"), 0);
	HT_EQ(quota_create_root(&high, pool_get(POOL_HIGH), 4, "high"), 0);
	free0 = pool_free(p);
	HT_EQ(pool_frame_alloc(&q, 0, 0, &pa), 0);     /* refills the cache */
	n0 = buddy_cached_pages(PMEM_SEG_DIRECT);
	HT_ASSERT(n0 > 0);
	HT_EQ(pool_frame_free(&q, pa, 0), 0);          /* pushed */
	HT_EQ(buddy_cached_pages(PMEM_SEG_DIRECT), n0 + 1);
	HT_EQ(c->top[-1].pfn, (uint32_t)(pa >> 12));
	HT_ASSERT(c->top[-1].f == frame_get(pa));
	HT_EQ(frame_state(frame_get(pa)), FRAME_CACHED);
	HT_EQ(pool_frame_alloc(&q, 0, 0, &pb), 0);     /* popped */
	HT_EQ(pb, pa);
	HT_EQ(buddy_cached_pages(PMEM_SEG_DIRECT), n0);
	HT_EQ(frame_get(pb)->w0, FRAME_ALLOC);
	HT_EQ(frame_get(pb)->w1, p->head_w1);
	/* refused inline, then by the slow path, nothing changed */
	HT_EQ(pool_frame_free(&high, pb, 0), E_INVAL);      /* another pool */
	HT_EQ(pool_frame_free(&q2, pb, 0), E_INVAL);        /* q2 has nothing charged */
	HT_EQ(pool_frame_free(&q, GB(3), 0), E_INVAL);      /* the hole between banks */
	HT_EQ(pool_frame_free(&q, GB(2) + MB(1), 0), E_INVAL);
	HT_EQ(pool_frame_alloc(&q, 2, 0, &big), 0);
	HT_EQ(pool_frame_free(&q, big + 4096, 0), E_INVAL); /* a tail page */
	HT_EQ(pool_frame_free(&q, big, 0), E_INVAL);        /* wrong order */
	HT_EQ(pool_frame_free(&q, big, 2), 0);
	HT_EQ(q.used, 1);
	HT_EQ(q2.used, 0);
	HT_EQ(buddy_cached_pages(PMEM_SEG_DIRECT), n0);
	check_all();
	HT_EQ(pool_frame_free(&q, pb, 0), 0);
	/* many pages: the inline free meets a full cache, the slow path
	 * drains half of it; the cache never holds more than its size */
	for (unsigned i = 0; i < N; i++)
		HT_EQ(pool_frame_alloc(&q, 0, 0, &pages[i]), 0);
	HT_EQ(q.used, N);
	for (unsigned i = 0; i < N; i++) {
		HT_EQ(pool_frame_free(&q, pages[i], 0), 0);
		HT_ASSERT(buddy_cached_pages(PMEM_SEG_DIRECT) <= BUDDY_PCP_MAX);
		HT_EQ(c->top[-1].pfn, (uint32_t)(pages[i] >> 12));
	}
	HT_EQ(q.used, 0);
	HT_EQ(p->charged, 0);
	HT_EQ(pool_free(p), free0);
	check_all();
	HT_EQ(quota_destroy(&q), 0);
	HT_EQ(quota_destroy(&q2), 0);
	HT_EQ(quota_destroy(&high), 0);
	buddy_drain_caches();
	check_all();
}

static void zeroed_high_frames(void)
{
	struct quota q;
	paddr_t pa, pb;
	unsigned char *p;

	HT_EQ(boot(), 0);
	memset(&q, 0, sizeof(q));
	HT_EQ(quota_create_root(&q, pool_get(POOL_HIGH), 16, "z"), 0);
	HT_EQ(pool_frame_alloc(&q, 1, 0, &pa), 0);
	p = mmfake_phys(pa, 8192);
	memset(p, 0xEE, 8192);
	HT_EQ(pool_frame_free(&q, pa, 1), 0);
	HT_EQ(pool_frame_alloc(&q, 1, POOL_F_ZERO, &pb), 0);
	HT_EQ(pb, pa);
	for (int i = 0; i < 8192; i++)
		HT_EQ(p[i], 0);
	HT_EQ(mmfake_kmap_held(), 0);
	HT_EQ(pool_frame_free(&q, pb, 1), 0);
	HT_EQ(quota_destroy(&q), 0);
}

static void heap_isolation(void)
{
	static struct kcache c;
	enum { MAXO = 100000 };
	struct quota a, b;
	void **oa = malloc(MAXO * sizeof(void *)), **ob = malloc(MAXO * sizeof(void *));
	struct pool *p;
	unsigned na = 0, nb = 0;
	uint64_t half;

	HT_ASSERT(oa && ob);
	HT_EQ(boot(), 0);
	p = pool_get(POOL_KHEAP);
	memset(&c, 0, sizeof(c));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	HT_EQ(kcache_create(&c, "cnode", 256, 0, 0), 0);
	half = p->quotable / 2;
	HT_EQ(quota_create_root(&a, p, half, "process A"), 0);
	HT_EQ(quota_create_root(&b, p, half, "process B"), 0);
	/* A allocates until its quota says no */
	while (na < MAXO && kcache_alloc(&c, &a, &oa[na]) == 0)
		na++;
	HT_EQ(kcache_alloc(&c, &a, &oa[na]), E_NOMEM);
	HT_EQ(na, half / c.stride);
	HT_ASSERT(quota_available(&a) < c.stride);
	/* B still gets everything it was promised */
	while (nb < MAXO && kcache_alloc(&c, &b, &ob[nb]) == 0)
		nb++;
	HT_EQ(nb, half / c.stride);
	HT_EQ(kcache_alloc(&c, &b, &ob[nb]), E_NOMEM);
	HT_EQ(p->charged, (uint64_t)(na + nb) * c.stride);
	check_all();
	/* and A's objects credit A, B's credit B */
	for (unsigned i = 0; i < na; i++)
		HT_EQ(kcache_free(&c, oa[i]), 0);
	HT_EQ(a.used, 0);
	HT_EQ(b.used, (uint64_t)nb * c.stride);
	for (unsigned i = 0; i < nb; i++)
		HT_EQ(kcache_free(&c, ob[i]), 0);
	HT_EQ(b.used, 0);
	HT_EQ(quota_destroy(&a), 0);
	HT_EQ(quota_destroy(&b), 0);
	HT_EQ(kcache_destroy(&c), 0);
	HT_EQ(kheap_free_bytes(), kheap_usable_bytes());
	check_all();
	free(oa);
	free(ob);
}

static void checker_catches_bad_accounting(void)
{
	struct quota q, ch;
	const char *why = NULL;

	HT_EQ(boot(), 0);
	memset(&q, 0, sizeof(q));
	memset(&ch, 0, sizeof(ch));
	HT_EQ(quota_create_root(&q, pool_get(POOL_DIRECT), 100, "q"), 0);
	HT_EQ(quota_create_child(&ch, &q, 10, "ch"), 0);
	q.carved = 5;                                  /* corrupt */
	HT_EQ(pool_check(&why), E_FORMAT);
	HT_ASSERT(why != NULL);
	q.carved = 10;
	ch.used = 11;                                  /* over its limit */
	HT_EQ(pool_check(&why), E_FORMAT);
	ch.used = 0;
	HT_EQ(pool_check(&why), 0);
	HT_EQ(quota_destroy(&ch), 0);
	HT_EQ(quota_destroy(&q), 0);
}

static const struct htest_case cases[] = {
	HT_CASE(pools_after_boot),
	HT_CASE(quota_tree),
	HT_CASE(charge_and_credit_frames),
	HT_CASE(exhaustion_leaves_nothing),
	HT_CASE(credit_goes_to_the_right_pool),
	HT_CASE(order0_fast_paths),
	HT_CASE(order0_inline_paths),
	HT_CASE(zeroed_high_frames),
	HT_CASE(heap_isolation),
	HT_CASE(checker_catches_bad_accounting),
};

int main(void)
{
	return htest_main("pool", cases, (int)ARRAY_SIZE(cases));
}
