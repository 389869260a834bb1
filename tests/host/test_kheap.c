/*
 * Host tests of the object heap and caches (kernel/kheap.c, kcache.c):
 * the size formula, caches, debug poisoning and red zones (corruption is
 * reported, never fatal), exhaustion without leaks.
 */
#include "htest.h"
#include "mm_fakes.h"

#include <cairn/error.h>
#include <cairn/kheap.h>
#include <cairn/pool.h>

#include <stdlib.h>

#define HEAP_PA 0x6F000000ull

static struct quota q;

/* A heap of `size` bytes on fake physical memory, pools, one root quota
 * on the kheap pool with everything it may promise. */
static int setup(uint64_t size)
{
	const char *why = NULL;
	void *va;
	int err;

	mmfake_reset();
	kheap_set_debug(false);
	va = mmfake_phys(HEAP_PA, (size_t)size);
	if (!va)
		return E_NOMEM;
	err = kheap_init(HEAP_PA, va, size, &why);
	if (err)
		return err;
	pool_init();
	memset(&q, 0, sizeof(q));
	return quota_create_root(&q, pool_get(POOL_KHEAP), pool_get(POOL_KHEAP)->quotable, "t");
}

static void check_cache(const struct kcache *c)
{
	const char *why = NULL;

	HT_ASSERT_MSG(kcache_check(c, &why) == 0, "kcache_check(%s): %s", c->name, why);
	HT_ASSERT_MSG(kheap_check(&why) == 0, "kheap_check: %s", why);
	HT_ASSERT_MSG(pool_check(&why) == 0, "pool_check: %s", why);
}

static void size_formula(void)
{
	const char *warn;

	HT_EQ(kheap_size_for(MiB(128)), MiB(2));
	HT_EQ(kheap_size_for(GiB(1)), MiB(16));
	HT_EQ(kheap_size_for(GiB(2)), MiB(32));
	HT_EQ(kheap_size_for(GiB(6)), MiB(64));       /* 96 MiB, clamped */
	HT_EQ(kheap_size_for(MiB(32)), MiB(1));       /* floor */
	HT_EQ(kheap_size_for(MiB(100)), KiB(1600));   /* 1.5625 MiB, 64 KiB granule */
	HT_EQ(kheap_size_for(MiB(100) + 1), KiB(1600));
	HT_EQ(kheap_choose_size(GiB(1), MiB(700), 0, &warn), MiB(16));
	HT_ASSERT(warn == NULL);
	HT_EQ(kheap_choose_size(GiB(1), MiB(700), MiB(4), &warn), MiB(4));
	HT_ASSERT(warn == NULL);
	HT_EQ(kheap_choose_size(GiB(1), MiB(700), MiB(3) + 1, &warn), MiB(3) + KiB(64));
	HT_EQ(kheap_choose_size(GiB(1), MiB(700), KiB(100), &warn), MiB(16));
	HT_ASSERT(warn != NULL);
	HT_EQ(kheap_choose_size(GiB(1), MiB(700), MiB(300), &warn), MiB(16));
	HT_ASSERT(warn != NULL);
	HT_EQ(kheap_choose_size(GiB(1), MiB(100), MiB(60), &warn), MiB(16));  /* > half */
	HT_ASSERT(warn != NULL);
	/* small direct memory caps the formula at a quarter of it */
	HT_EQ(kheap_choose_size(GiB(6), MiB(100), 0, &warn), MiB(25));
	HT_EQ(kheap_choose_size(GiB(6), KiB(200), 0, &warn), 0);
}

static void init_errors(void)
{
	void *va;
	const char *why = NULL;

	mmfake_reset();
	va = mmfake_phys(HEAP_PA, MiB(1));
	HT_EQ(kheap_init(HEAP_PA, va, 0, &why), E_INVAL);
	HT_EQ(kheap_init(HEAP_PA, va, KiB(100), &why), E_INVAL);
	HT_EQ(kheap_init(HEAP_PA, (char *)va + 4096, KiB(64), &why), E_ALIGN);
	HT_EQ(kheap_init(HEAP_PA, va, MiB(1), &why), 0);
	/* 256 pages: one bitmap page */
	HT_EQ(kheap_usable_bytes(), MiB(1) - 4096);
	HT_EQ(kheap_free_bytes(), MiB(1) - 4096);
}

struct thing {
	uint64_t a[25];   /* 200 bytes */
};

static void caches_basic(void)
{
	static struct kcache c;
	enum { N = 300 };
	void *objs[N];
	uint64_t free0;

	HT_EQ(setup(MiB(2)), 0);
	free0 = kheap_free_bytes();
	memset(&c, 0, sizeof(c));
	HT_EQ(kcache_create(&c, "thing", sizeof(struct thing), 64, 0), 0);
	HT_EQ(c.stride % 64, 0);
	HT_ASSERT(c.per_slab >= 8);
	for (int i = 0; i < N; i++) {
		HT_EQ(kcache_alloc(&c, &q, &objs[i]), 0);
		HT_EQ((uintptr_t)objs[i] % 64, 0);
		memset(objs[i], i & 0xff, sizeof(struct thing));
	}
	HT_EQ(kcache_inuse(&c), N);
	HT_EQ(q.used, (uint64_t)N * c.stride);
	check_cache(&c);
	for (int i = 0; i < N; i++) {
		struct thing *t = objs[i];

		HT_EQ(t->a[24] & 0xff, (unsigned)(i & 0xff));  /* no overlap */
	}
	for (int i = 0; i < N; i += 2)
		HT_EQ(kcache_free(&c, objs[i]), 0);
	check_cache(&c);
	for (int i = 1; i < N; i += 2)
		HT_EQ(kcache_free(&c, objs[i]), 0);
	HT_EQ(q.used, 0);
	HT_EQ(kcache_inuse(&c), 0);
	HT_ASSERT(c.nslabs <= 1);                 /* one empty slab kept */
	check_cache(&c);
	kcache_reap(&c);
	HT_EQ(kheap_free_bytes(), free0);
	HT_EQ(kcache_destroy(&c), 0);
}

static void misuse_is_an_error(void)
{
	static struct kcache a, b;
	void *x, *y;
	struct quota frames_q;

	HT_EQ(setup(MiB(1)), 0);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	HT_EQ(kcache_create(&a, "a", 48, 0, 0), 0);
	HT_EQ(kcache_create(&b, "b", 48, 0, 0), 0);
	HT_EQ(kcache_create(&a, "a", 48, 0, 0), E_INVAL);   /* live already */
	HT_EQ(kcache_alloc(&a, &q, &x), 0);
	HT_EQ(kcache_alloc(&a, &q, &y), 0);
	HT_EQ(kcache_free(&b, x), E_INVAL);                 /* wrong cache */
	HT_EQ(kcache_free(&a, (char *)x + 8), E_INVAL);     /* interior pointer */
	HT_EQ(kcache_free(&a, NULL), E_INVAL);
	HT_EQ(kcache_free(&a, &frames_q), E_INVAL);          /* not in the heap */
	HT_EQ(kcache_free(&a, x), 0);
	HT_EQ(kcache_free(&a, x), E_INVAL);                 /* double free */
	HT_EQ(kcache_destroy(&a), E_BUSY);                  /* y still in use */
	/* a quota of a frames pool cannot pay for objects, nor a dead one */
	memset(&frames_q, 0, sizeof(frames_q));
	HT_EQ(kcache_alloc(&a, &frames_q, &x), E_INVAL);
	HT_EQ(quota_create_root(&frames_q, pool_get(POOL_HIGH), 0, "frames"), 0);
	HT_EQ(kcache_alloc(&a, &frames_q, &x), E_INVAL);
	HT_EQ(quota_destroy(&frames_q), 0);
	HT_EQ(kcache_free(&a, y), 0);
	check_cache(&a);
	HT_EQ(kcache_destroy(&a), 0);
	HT_EQ(kcache_destroy(&b), 0);
	HT_EQ(q.used, 0);
	/* sizes */
	{
		static struct kcache big, huge, odd;

		memset(&big, 0, sizeof(big));
		memset(&huge, 0, sizeof(huge));
		memset(&odd, 0, sizeof(odd));
		HT_EQ(kcache_create(&big, "big", 20000, 0, 0), 0);
		HT_EQ(big.slab_order, 4);
		HT_EQ(big.per_slab, 3);
		HT_EQ(kcache_create(&huge, "huge", 70000, 0, 0), E_INVAL);
		HT_EQ(kcache_create(&odd, "odd", 10, 3, 0), E_INVAL);  /* align not 2^n */
		HT_EQ(kcache_create(&odd, "odd", 0, 0, 0), E_INVAL);
		HT_EQ(kcache_destroy(&big), 0);
	}
}

static void canary_detects_overflow(void)
{
	static struct kcache c;
	void *obj, *other;
	const char *why = NULL;
	uint64_t used;

	HT_EQ(setup(MiB(1)), 0);
	memset(&c, 0, sizeof(c));
	HT_EQ(kcache_create(&c, "dbg", 40, 0, KCACHE_F_DEBUG), 0);
	HT_EQ(kcache_alloc(&c, &q, &obj), 0);
	HT_EQ(kcache_alloc(&c, &q, &other), 0);
	check_cache(&c);
	used = q.used;
	((unsigned char *)obj)[40] = 0;                 /* one byte too far */
	HT_EQ(kcache_check(&c, &why), E_FORMAT);
	HT_ASSERT(why && strstr(why, "red zone"));
	printf("    # kcache_check reported: %s\n", why);
	HT_EQ(kcache_free(&c, obj), E_FORMAT);          /* reported, not freed */
	HT_EQ(c.corrupt, 1);
	HT_EQ(q.used, used - c.stride);                 /* the process is credited */
	check_cache(&c);                                /* quarantined: consistent */
	HT_EQ(kcache_free(&c, obj), E_INVAL);           /* and never freed twice */
	HT_EQ(kcache_free(&c, other), 0);
	HT_EQ(q.used, 0);
	HT_EQ(kcache_destroy(&c), 0);
}

static void poison_detects_use_after_free(void)
{
	static struct kcache c;
	void *obj, *again;
	const char *why = NULL;

	HT_EQ(setup(MiB(1)), 0);
	kheap_set_debug(true);                          /* the global switch */
	memset(&c, 0, sizeof(c));
	HT_EQ(kcache_create(&c, "uaf", 64, 0, 0), 0);
	HT_ASSERT(c.flags & KCACHE_F_DEBUG);
	HT_EQ(kcache_alloc(&c, &q, &obj), 0);
	HT_EQ(((unsigned char *)obj)[30], 0x6b);        /* poisoned, not zero */
	HT_EQ(kcache_free(&c, obj), 0);
	((unsigned char *)obj)[20] = 1;                 /* write after free */
	HT_EQ(kcache_check(&c, &why), E_FORMAT);
	HT_ASSERT(why && strstr(why, "poison"));
	printf("    # kcache_check reported: %s\n", why);
	/* the damaged object is first on the free list: handing it out fails */
	HT_EQ(kcache_alloc(&c, &q, &again), E_FORMAT);
	HT_EQ(q.used, 0);
	HT_EQ(c.corrupt, 1);
	check_cache(&c);
	HT_EQ(kcache_alloc(&c, &q, &again), 0);
	HT_ASSERT(again != obj);
	HT_EQ(kcache_free(&c, again), 0);
	HT_EQ(kcache_destroy(&c), 0);
	kheap_set_debug(false);
}

static void exhaustion_leaves_no_leak(void)
{
	static struct kcache c1, c2;
	enum { MAXO = 20000 };
	void **objs = calloc(MAXO, sizeof(void *));
	void *pages[512];
	unsigned npages = 0, n = 0;
	uint32_t *bitmap_before;
	size_t bitmap_bytes = 4096;
	uint64_t free0;
	void *obj;
	int err;

	HT_ASSERT(objs);
	HT_EQ(setup(MiB(1)), 0);
	free0 = kheap_free_bytes();
	bitmap_before = malloc(bitmap_bytes);
	memcpy(bitmap_before, kheap_va(), bitmap_bytes);
	memset(&c1, 0, sizeof(c1));
	memset(&c2, 0, sizeof(c2));
	HT_EQ(kcache_create(&c1, "c1", 100, 0, KCACHE_F_DEBUG), 0);
	HT_EQ(kcache_create(&c2, "c2", 3000, 0, 0), 0);
	/* the kernel itself holds most of the heap... */
	while (kheap_free_bytes() > KiB(96) && kheap_page_alloc(0, &pages[npages]) == 0)
		npages++;
	/* ...so objects run out of heap before the quota is reached */
	while (n < MAXO) {
		err = kcache_alloc(n % 3 ? &c1 : &c2, &q, &objs[n]);
		if (err)
			break;
		n++;
	}
	HT_EQ(err, E_NOMEM);
	HT_ASSERT(n > 10);
	HT_ASSERT(quota_available(&q) > 100000);        /* the heap, not the quota */
	HT_EQ(q.used, (uint64_t)((n + 2) / 3) * c2.stride + (uint64_t)(n - (n + 2) / 3) * c1.stride);
	HT_EQ(kcache_alloc(&c2, &q, &obj), E_NOMEM);    /* still nothing charged */
	HT_EQ(q.used, (uint64_t)((n + 2) / 3) * c2.stride + (uint64_t)(n - (n + 2) / 3) * c1.stride);
	check_cache(&c1);
	check_cache(&c2);
	for (unsigned i = 0; i < n; i++)
		HT_EQ(kcache_free(i % 3 ? &c1 : &c2, objs[i]), 0);
	for (unsigned i = 0; i < npages; i++)
		HT_EQ(kheap_page_free(pages[i], 0), 0);
	HT_EQ(q.used, 0);
	HT_EQ(kcache_destroy(&c1), 0);
	HT_EQ(kcache_destroy(&c2), 0);
	HT_EQ(kheap_free_bytes(), free0);
	HT_EQ(memcmp(bitmap_before, kheap_va(), bitmap_bytes), 0);   /* as it was */
	HT_EQ(pool_get(POOL_KHEAP)->charged, 0);
	free(bitmap_before);
	free(objs);
}

static void quota_exhaustion(void)
{
	static struct kcache c;
	struct quota small;
	void *objs[16];

	HT_EQ(setup(MiB(1)), 0);
	memset(&c, 0, sizeof(c));
	memset(&small, 0, sizeof(small));
	HT_EQ(kcache_create(&c, "ep", 64, 0, 0), 0);
	HT_EQ(quota_create_child(&small, &q, 10 * (uint64_t)c.stride, "small"), 0);
	for (int i = 0; i < 10; i++)
		HT_EQ(kcache_alloc(&c, &small, &objs[i]), 0);
	HT_EQ(kcache_alloc(&c, &small, &objs[10]), E_NOMEM);
	HT_EQ(small.used, small.limit);
	HT_EQ(kcache_inuse(&c), 10);
	HT_EQ(quota_destroy(&small), E_BUSY);
	for (int i = 0; i < 10; i++)
		HT_EQ(kcache_free(&c, objs[i]), 0);
	HT_EQ(quota_destroy(&small), 0);
	HT_EQ(q.carved, 0);
	check_cache(&c);
	HT_EQ(kcache_destroy(&c), 0);
}

static void page_layer(void)
{
	void *a, *b, *c;

	HT_EQ(setup(MiB(1)), 0);
	HT_EQ(kheap_page_alloc(4, &a), 0);
	HT_EQ(((uintptr_t)a - (uintptr_t)kheap_va()) % KiB(64), 0);
	HT_EQ(kheap_page_alloc(0, &b), 0);
	HT_EQ(kheap_page_alloc(2, &c), 0);
	HT_EQ(((uintptr_t)c - (uintptr_t)kheap_va()) % KiB(16), 0);
	HT_EQ(kheap_page_free(c, 1), E_INVAL);          /* too small an order */
	HT_EQ(kheap_page_free(c, 3), E_INVAL);          /* too large an order */
	HT_EQ(kheap_page_free((char *)c + 4096, 0), E_INVAL); /* inside a block */
	HT_EQ(kheap_page_free((char *)b + 1, 0), E_INVAL);
	HT_EQ(kheap_page_free(kheap_va(), 0), E_INVAL); /* the bitmap page */
	HT_EQ(kheap_page_free(a, 4), 0);
	HT_EQ(kheap_page_free(a, 4), E_INVAL);
	HT_EQ(kheap_page_free(b, 0), 0);
	HT_EQ(kheap_page_free(c, 2), 0);
	HT_EQ(kheap_page_alloc(5, &a), E_INVAL);
	HT_EQ(kheap_free_bytes(), kheap_usable_bytes());
	{
		const char *why = NULL;

		HT_EQ(kheap_check(&why), 0);
	}
}

/*
 * The spare slab: an alloc/free pair on a slab that goes empty and back
 * moves nothing (the slab stays the spare on the partial list), a second
 * slab that empties is given back at once, and a quarantined slot is
 * never counted as free.
 */
static void spare_slab(void)
{
	static struct kcache c;
	static void *objs[512];
	void *obj;
	uint64_t free0;
	unsigned n;

	HT_EQ(setup(MiB(1)), 0);
	free0 = kheap_free_bytes();
	memset(&c, 0, sizeof(c));
	HT_EQ(kcache_create(&c, "spare", 64, 8, 0), 0);
	for (int i = 0; i < 100; i++) {
		HT_EQ(kcache_alloc(&c, &q, &obj), 0);
		HT_EQ(kcache_free(&c, obj), 0);
	}
	HT_EQ(c.nslabs, 1);
	HT_ASSERT(c.spare != NULL && c.spare == c.partial);
	HT_ASSERT(c.full == NULL);
	check_cache(&c);
	/* fill two slabs and a bit, then free everything: one slab stays */
	n = 2 * c.per_slab + 1;
	HT_ASSERT(n <= 512);
	for (unsigned i = 0; i < n; i++)
		HT_EQ(kcache_alloc(&c, &q, &objs[i]), 0);
	HT_EQ(c.nslabs, 3);
	check_cache(&c);
	for (unsigned i = 0; i < n; i++) {
		HT_EQ(kcache_free(&c, objs[i]), 0);
		HT_ASSERT(c.nslabs >= 1);
	}
	HT_EQ(c.nslabs, 1);
	HT_EQ(kcache_inuse(&c), 0);
	HT_EQ(q.used, 0);
	check_cache(&c);
	/* bad pointers are still refused outside debug mode */
	HT_EQ(kcache_alloc(&c, &q, &obj), 0);
	HT_EQ(kcache_free(&c, (char *)obj + 4), E_INVAL);     /* inside a slot */
	HT_EQ(kcache_free(&c, (char *)obj - 64 * 1024), E_INVAL);
	HT_EQ(kcache_free(&c, obj), 0);
	HT_EQ(kcache_free(&c, obj), E_INVAL);                 /* double free */
	check_cache(&c);
	HT_EQ(kcache_reap(&c), 1u);
	HT_EQ(c.nslabs, 0);
	HT_ASSERT(c.spare == NULL);
	HT_EQ(kheap_free_bytes(), free0);
	HT_EQ(kcache_destroy(&c), 0);
}

static const struct htest_case cases[] = {
	HT_CASE(size_formula),
	HT_CASE(init_errors),
	HT_CASE(caches_basic),
	HT_CASE(misuse_is_an_error),
	HT_CASE(canary_detects_overflow),
	HT_CASE(poison_detects_use_after_free),
	HT_CASE(exhaustion_leaves_no_leak),
	HT_CASE(quota_exhaustion),
	HT_CASE(page_layer),
	HT_CASE(spare_slab),
};

int main(void)
{
	return htest_main("kheap", cases, (int)ARRAY_SIZE(cases));
}
