/*
 * Host tests of the object heap and caches (kernel/mm/kheap.c, kcache.c):
 * the size formula, caches, debug poisoning and red zones (corruption is
 * reported, never fatal), exhaustion without leaks.
 */
#include "htest.h"
#include "mm_fakes.h"

#include <lib/error.h>
#include <mm/kheap.h>
#include <mm/pool.h>

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
	/* one empty slab kept, and the slabs of objects in the magazine */
	HT_ASSERT(c.nslabs <= 1 + kcache_magazine(&c));
	HT_ASSERT(kcache_magazine(&c) <= c.mag_cap);
	check_cache(&c);
	kcache_reap(&c);
	HT_EQ(kcache_magazine(&c), 0);
	HT_EQ(c.nslabs, 0);
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
 * The spare slab (seen on a debug cache, which has no magazine, so every
 * free reaches its slab): an alloc/free pair on a slab that goes empty and
 * back moves nothing (the slab stays the spare on the partial list), a
 * second slab that empties is given back at once.
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
	HT_EQ(kcache_create(&c, "spare", 64, 8, KCACHE_F_DEBUG), 0);
	HT_EQ(c.mag_cap, 0);
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
	/* bad pointers are refused */
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

/* ---- the magazine and the inline fast paths ---- */

static bool in_magazine(const struct kcache *c, const void *obj)
{
	for (uint32_t i = 0; i < kcache_magazine(c); i++)
		if (c->mag[i] == obj)
			return true;
	return false;
}

/* The quota word of obj's slot (the word before the object). */
static uintptr_t quota_word(const void *obj)
{
	return ((const uintptr_t *)obj)[-1];
}

#define SLAB_HDR_BYTES (16 + 4 * sizeof(void *))

/*
 * The magazine: the first alloc refills half of it from the slabs, frees
 * go to it (LIFO) and a full one drains its older half back to the slabs;
 * an alloc/free pair touches no slab at all (the slab header is byte for
 * byte the same after a hundred pairs); objects in it count as free.
 */
static void magazine_refill_and_drain(void)
{
	static struct kcache c;
	enum { N = 200 };
	static void *objs[N];
	unsigned char slab_before[SLAB_HDR_BYTES];
	void *obj, *again, *slab;
	uint32_t half;

	HT_EQ(setup(MiB(1)), 0);
	memset(&c, 0, sizeof(c));
	HT_EQ(kcache_create(&c, "mag", 64, 0, 0), 0);
	HT_EQ(c.mag_cap, KCACHE_MAG);
	half = (c.mag_cap + 1) / 2;
	HT_EQ(kcache_magazine(&c), 0);
	/* first alloc: refill half, hand out one */
	HT_EQ(kcache_alloc(&c, &q, &obj), 0);
	HT_EQ(kcache_magazine(&c), half - 1);
	HT_EQ(kcache_inuse(&c), 1);
	HT_EQ(quota_word(obj), (uintptr_t)&q);
	HT_EQ(q.used, c.stride);
	check_cache(&c);
	/* free: onto the magazine, credited, quota word cleared */
	HT_EQ(kcache_free(&c, obj), 0);
	HT_EQ(kcache_magazine(&c), half);
	HT_ASSERT(c.mag[half - 1] == obj);
	HT_EQ(quota_word(obj), 0);
	HT_EQ(q.used, 0);
	HT_EQ(kcache_inuse(&c), 0);
	check_cache(&c);
	/* LIFO, and pairs leave the slab alone */
	slab = (void *)((uintptr_t)obj & c.slab_mask);
	memcpy(slab_before, slab, sizeof(slab_before));
	for (int i = 0; i < 100; i++) {
		HT_EQ(kcache_alloc(&c, &q, &again), 0);
		HT_ASSERT(again == obj);
		HT_EQ(kcache_free(&c, again), 0);
	}
	HT_EQ(memcmp(slab_before, slab, sizeof(slab_before)), 0);
	HT_EQ(kcache_magazine(&c), half);
	HT_EQ(c.nslabs, 1);
	/* many objects: refills as needed, never over capacity when freeing */
	for (unsigned i = 0; i < N; i++) {
		HT_EQ(kcache_alloc(&c, &q, &objs[i]), 0);
		HT_ASSERT(kcache_magazine(&c) < c.mag_cap);
	}
	HT_EQ(kcache_inuse(&c), N);
	HT_EQ(q.used, (uint64_t)N * c.stride);
	check_cache(&c);
	for (unsigned i = 0; i < N; i++) {
		HT_EQ(kcache_free(&c, objs[i]), 0);
		HT_ASSERT(kcache_magazine(&c) <= c.mag_cap);
		HT_ASSERT(in_magazine(&c, objs[i]));          /* the newest stays */
		if (i % 37 == 0)
			check_cache(&c);
	}
	HT_EQ(kcache_inuse(&c), 0);
	HT_EQ(q.used, 0);
	HT_EQ(pool_get(POOL_KHEAP)->charged, 0);
	check_cache(&c);
	/* from empty: each free adds one, and a full magazine drains its
	 * older half on the next free */
	kcache_reap(&c);
	HT_EQ(kcache_magazine(&c), 0);
	for (unsigned i = 0; i < 3 * KCACHE_MAG; i++)
		HT_EQ(kcache_alloc(&c, &q, &objs[i]), 0);
	kcache_reap(&c);
	HT_EQ(kcache_magazine(&c), 0);
	for (unsigned i = 0; i < 3 * KCACHE_MAG; i++) {
		uint32_t before = kcache_magazine(&c);

		HT_EQ(kcache_free(&c, objs[i]), 0);
		HT_EQ(kcache_magazine(&c), before == c.mag_cap ? c.mag_cap - half + 1 : before + 1);
		HT_ASSERT(c.mag_top[-1] == objs[i]);
	}
	check_cache(&c);
	/* a cache whose slab holds fewer objects than KCACHE_MAG has a
	 * magazine of one slab's worth */
	{
		static struct kcache big;

		memset(&big, 0, sizeof(big));
		HT_EQ(kcache_create(&big, "big", 20000, 0, 0), 0);
		HT_EQ(big.mag_cap, big.per_slab);
		HT_EQ(kcache_alloc(&big, &q, &obj), 0);
		HT_EQ(kcache_free(&big, obj), 0);
		check_cache(&big);
		HT_EQ(kcache_destroy(&big), 0);
	}
	HT_EQ(kcache_destroy(&c), 0);
	HT_EQ(kheap_free_bytes(), kheap_usable_bytes());
}

/*
 * What the inline free refuses, with nothing changed: double free (of an
 * object in the magazine), interior, misaligned and neighbouring
 * addresses, other caches' objects, anything outside the heap's object
 * pages (its bitmap page, its very first bytes, the stack), a NULL or
 * never created cache; and a never created cache refuses alloc.
 */
static void fast_path_rejects_bad_pointers(void)
{
	static struct kcache a, b, never;
	void *x, *y, *z;
	int local;
	uint32_t mag;
	uint64_t used;

	HT_EQ(setup(MiB(1)), 0);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&never, 0, sizeof(never));
	HT_EQ(kcache_create(&a, "a", 48, 0, 0), 0);
	HT_EQ(kcache_create(&b, "b", 48, 0, 0), 0);
	HT_EQ(kcache_alloc(&a, &q, &x), 0);
	HT_EQ(kcache_alloc(&a, &q, &y), 0);
	HT_EQ(kcache_alloc(&b, &q, &z), 0);
	mag = kcache_magazine(&a);
	used = q.used;
	HT_EQ(kcache_free(&a, (char *)x + 1), E_INVAL);          /* misaligned */
	HT_EQ(kcache_free(&a, (char *)x + sizeof(void *)), E_INVAL);  /* interior */
	HT_EQ(kcache_free(&a, (char *)x - sizeof(void *)), E_INVAL);  /* its header */
	HT_EQ(kcache_free(&a, (char *)x + a.stride / 2), E_INVAL);
	HT_EQ(kcache_free(&a, z), E_INVAL);                      /* b's object */
	HT_EQ(kcache_free(&b, x), E_INVAL);                      /* a's object */
	HT_EQ(kcache_free(&a, kheap_va()), E_INVAL);             /* heap base */
	HT_EQ(kcache_free(&a, (char *)kheap_va() + 2 * sizeof(void *)), E_INVAL);
	HT_EQ(kcache_free(&a, (char *)kheap_va() + 4096), E_INVAL);  /* first slab page */
	HT_EQ(kcache_free(&a, (char *)kheap_va() + kheap_size()), E_INVAL);  /* just past */
	HT_EQ(kcache_free(&a, &local), E_INVAL);                 /* the stack */
	HT_EQ(kcache_free(&a, NULL), E_INVAL);
	HT_EQ(kcache_free(NULL, x), E_INVAL);
	HT_EQ(kcache_free(&never, x), E_INVAL);                  /* never created */
	HT_EQ(kcache_alloc(&never, &q, &x), E_INVAL);
	HT_EQ(q.used, used);
	HT_EQ(kcache_magazine(&a), mag);
	/* the neighbouring slot: free (in the magazine or the slab) */
	HT_ASSERT(quota_word((char *)x + a.stride) == 0 || (char *)x + a.stride == (char *)y);
	check_cache(&a);
	check_cache(&b);
	/* a double free is refused by the fast path: the object sits in the
	 * magazine with its quota word NULL */
	HT_EQ(kcache_free(&a, x), 0);
	HT_ASSERT(in_magazine(&a, x));
	HT_EQ(kcache_free(&a, x), E_INVAL);
	HT_EQ(kcache_magazine(&a), mag + 1);
	HT_EQ(q.used, used - a.stride);
	/* objects in the magazine that were never handed out: refused too */
	for (uint32_t i = 0; i < kcache_magazine(&a); i++)
		HT_EQ(kcache_free(&a, a.mag[i]), E_INVAL);
	HT_EQ(kcache_magazine(&a), mag + 1);
	/* a dead quota, a frames quota, NULL: the inline alloc refuses */
	{
		struct quota dead, frames;

		memset(&dead, 0, sizeof(dead));
		memset(&frames, 0, sizeof(frames));
		HT_EQ(kcache_alloc(&a, &dead, &x), E_INVAL);
		HT_EQ(kcache_alloc(&a, NULL, &x), E_INVAL);
		HT_EQ(quota_create_root(&frames, pool_get(POOL_HIGH), 0, "frames"), 0);
		HT_EQ(kcache_alloc(&a, &frames, &x), E_INVAL);
		HT_EQ(quota_destroy(&frames), 0);
		HT_EQ(kcache_magazine(&a), mag + 1);
	}
	HT_EQ(kcache_free(&a, y), 0);
	HT_EQ(kcache_free(&b, z), 0);
	check_cache(&a);
	check_cache(&b);
	HT_EQ(kcache_destroy(&a), 0);
	HT_EQ(kcache_free(&a, y), E_INVAL);                      /* destroyed */
	HT_EQ(kcache_alloc(&a, &q, &y), E_INVAL);
	HT_EQ(kcache_destroy(&b), 0);
	HT_EQ(q.used, 0);
}

/*
 * A slab given back to the heap takes its check words with it: a stale
 * pointer into it is refused even after the same cache (same address,
 * same layout) or another one reuses the memory, and quotas are never
 * touched by it.
 */
static void stale_pointer_after_slab_release(void)
{
	static struct kcache c, d;
	void *obj, *other, *slab;
	uint64_t used;

	HT_EQ(setup(MiB(1)), 0);
	memset(&c, 0, sizeof(c));
	memset(&d, 0, sizeof(d));
	HT_EQ(kcache_create(&c, "c", 64, 0, 0), 0);
	HT_EQ(kcache_alloc(&c, &q, &obj), 0);
	HT_EQ(kcache_free(&c, obj), 0);
	HT_EQ(kcache_reap(&c), 1u);                  /* magazine drained, slab gone */
	HT_EQ(c.nslabs, 0);
	slab = (void *)((uintptr_t)obj & c.slab_mask);
	for (uint32_t i = 0; i < c.per_slab; i++) {
		const uintptr_t *w = (const uintptr_t *)((char *)slab + c.first + i * c.stride);

		HT_EQ(w[-2], 0);
		HT_EQ(w[-1], 0);
	}
	HT_EQ(kcache_free(&c, obj), E_INVAL);
	/* another cache of another layout takes the page */
	HT_EQ(kcache_create(&d, "d", 100, 0, 0), 0);
	HT_EQ(kcache_alloc(&d, &q, &other), 0);
	HT_ASSERT(((uintptr_t)other & d.slab_mask) == (uintptr_t)slab);
	memset(other, 0xff, 100);                    /* live data, not NULL */
	used = q.used;
	HT_EQ(kcache_free(&c, obj), E_INVAL);
	HT_EQ(kcache_free(&c, other), E_INVAL);
	HT_EQ(q.used, used);
	check_cache(&c);
	check_cache(&d);
	HT_EQ(kcache_free(&d, other), 0);
	HT_EQ(kcache_destroy(&d), 0);
	HT_EQ(kcache_destroy(&c), 0);
	HT_EQ(q.used, 0);
}

/* kcache_check sees a damaged magazine or check word, and free refuses
 * an object whose check word is damaged (a leak, never corruption). */
static void check_catches_bad_magazine(void)
{
	static struct kcache c;
	void *obj, *live;
	const char *why = NULL;
	uintptr_t saved;
	void **top;

	HT_EQ(setup(MiB(1)), 0);
	memset(&c, 0, sizeof(c));
	HT_EQ(kcache_create(&c, "c", 64, 0, 0), 0);
	HT_EQ(kcache_alloc(&c, &q, &live), 0);
	HT_EQ(kcache_alloc(&c, &q, &obj), 0);
	HT_EQ(kcache_free(&c, obj), 0);
	check_cache(&c);
	top = c.mag_top;
	/* an allocated object in the magazine */
	*c.mag_top++ = live;
	HT_EQ(kcache_check(&c, &why), E_FORMAT);
	HT_ASSERT(why && strstr(why, "allocated"));
	c.mag_top--;
	/* an object twice */
	*c.mag_top++ = obj;
	HT_EQ(kcache_check(&c, &why), E_FORMAT);
	HT_ASSERT(why && strstr(why, "twice"));
	c.mag_top--;
	/* not a slot */
	*c.mag_top++ = (char *)obj + 8;
	HT_EQ(kcache_check(&c, &why), E_FORMAT);
	c.mag_top--;
	/* top out of bounds */
	c.mag_top = c.mag_lim + 1;
	HT_EQ(kcache_check(&c, &why), E_FORMAT);
	c.mag_top = top;
	check_cache(&c);
	/* a damaged check word */
	saved = ((uintptr_t *)live)[-2];
	((uintptr_t *)live)[-2] ^= 0x100;
	HT_EQ(kcache_check(&c, &why), E_FORMAT);
	HT_ASSERT(why && strstr(why, "check word"));
	HT_EQ(kcache_free(&c, live), E_INVAL);
	HT_EQ(q.used, c.stride);                     /* nothing credited */
	((uintptr_t *)live)[-2] = saved;
	check_cache(&c);
	HT_EQ(kcache_free(&c, live), 0);
	HT_EQ(kcache_destroy(&c), 0);
}

/* Out of heap, a cache that needs a slab empties the other caches'
 * magazines and takes back their empty slabs before it gives up. */
static void exhaustion_drains_other_magazines(void)
{
	static struct kcache a, b;
	void *pages[512], *obj;
	unsigned npages = 0;

	HT_EQ(setup(MiB(1)), 0);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	HT_EQ(kcache_create(&a, "a", 64, 0, 0), 0);
	HT_EQ(kcache_create(&b, "b", 40, 0, 0), 0);
	HT_EQ(kcache_alloc(&a, &q, &obj), 0);
	HT_EQ(kcache_free(&a, obj), 0);
	HT_ASSERT(kcache_magazine(&a) > 0);
	HT_EQ(a.nslabs, 1);
	while (npages < 512 && kheap_page_alloc(0, &pages[npages]) == 0)
		npages++;
	HT_EQ(kheap_free_bytes(), 0);
	/* b needs a page: a's magazine and its (now empty) slab give one */
	HT_EQ(kcache_alloc(&b, &q, &obj), 0);
	HT_EQ(kcache_magazine(&a), 0);
	HT_EQ(a.nslabs, 0);
	check_cache(&a);
	check_cache(&b);
	HT_EQ(kcache_free(&b, obj), 0);
	/* and with nothing left to take back, E_NOMEM, nothing charged */
	HT_EQ(kcache_reap(&b), 1u);
	HT_EQ(kheap_page_alloc(0, &pages[npages]), 0);
	npages++;
	HT_EQ(kcache_alloc(&a, &q, &obj), E_NOMEM);
	HT_EQ(q.used, 0);
	while (npages > 0)
		HT_EQ(kheap_page_free(pages[--npages], 0), 0);
	HT_EQ(kcache_destroy(&a), 0);
	HT_EQ(kcache_destroy(&b), 0);
	HT_EQ(kheap_free_bytes(), kheap_usable_bytes());
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
	HT_CASE(magazine_refill_and_drain),
	HT_CASE(fast_path_rejects_bad_pointers),
	HT_CASE(stale_pointer_after_slab_release),
	HT_CASE(check_catches_bad_magazine),
	HT_CASE(exhaustion_drains_other_magazines),
};

int main(void)
{
	return htest_main("kheap", cases, (int)ARRAY_SIZE(cases));
}
