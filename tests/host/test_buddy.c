/*
 * Host tests of the buddy allocator (kernel/mm/buddy.c) over pmem and the
 * frame table, with the fake frame-table region of mm_fakes.c.
 */
#include "htest.h"
#include "mm_fakes.h"

#include <lib/error.h>
#include <mm/buddy.h>
#include <mm/frame.h>
#include <mm/pmem.h>

#include <stdlib.h>

/*
 * A deliberately awkward machine: a small bank with odd edges, a bank that
 * crosses 4 GiB, a direct window that ends on a 2 MiB (not 4 MiB) boundary
 * so that one chunk is shared by DIRECT and DMA32, and reserved ranges that
 * cut chunks (one crosses the 4 GiB boundary).
 */
static const struct pmem_range awk_banks[] = {
	{ 0x40000000, 0x3003000 },                  /* 48 MiB + 12 KiB */
	{ 0xF0005000, 0x104000000 - 0xF0005000 },   /* to 4 GiB + 64 MiB */
};
static const struct pmem_range awk_rsv[] = {
	{ 0x40010000, 0x23000 },   /* kernel image */
	{ 0x41001000, 0x1000 },    /* one page */
	{ 0xFFFFF000, 0x2000 },    /* across 4 GiB */
};
static const struct pmem_config awk_cfg = {
	awk_banks, 2, awk_rsv, 3, 0x40000000, 0x1A00000 /* 26 MiB */
};

#define REGION (2u << 20)

static void check_all(void)
{
	const char *why = NULL;
	int err = buddy_check(&why);

	HT_ASSERT_MSG(err == 0, "buddy_check: %s", why);
	err = frame_check(&why);
	HT_ASSERT_MSG(err == 0, "frame_check: %s", why);
}

static uint64_t total_free(void)
{
	uint64_t n = 0;

	for (unsigned s = 0; s < PMEM_NSEGS; s++)
		n += buddy_free_pages(s);
	return n;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static void init_counts(void)
{
	struct pmem_seg_info si;
	uint64_t table_pages;

	HT_EQ(mmfake_init_core(&awk_cfg, REGION), 0);
	check_all();
	if (htest_failed)
		return;
	/* every free page of pmem is in the buddy, minus the frames that back
	 * the table of the partial chunks (nothing else has been allocated) */
	table_pages = mmfake_backing_mapped();
	HT_ASSERT(table_pages > 0);
	HT_EQ(frame_backed_bytes(), table_pages * 4096);
	{
		uint64_t given = 0;

		for (unsigned s = 0; s < PMEM_NSEGS; s++) {
			pmem_seg_info(s, &si);
			HT_EQ(buddy_total_pages(s), si.free_pages);
			given += si.free_pages;
		}
		HT_EQ(total_free() + table_pages, given);
	}
	/* segments: 26 MiB direct, the rest of bank 0 and bank 1 below 4 GiB
	 * dma32, 64 MiB above 4 GiB high */
	pmem_seg_info(PMEM_SEG_DIRECT, &si);
	HT_EQ(si.ram_pages, 0x1A00000 / 4096);
	pmem_seg_info(PMEM_SEG_HIGH, &si);
	HT_EQ(si.ram_pages, (64u << 20) / 4096);
	HT_EQ(si.reserved_pages, 1);             /* the page at 4 GiB */
}

static void alloc_free_basic(void)
{
	paddr_t pa, pb;
	uint64_t before, mapped0;

	HT_EQ(mmfake_init_core(&awk_cfg, REGION), 0);
	before = total_free();
	mapped0 = mmfake_backing_mapped();
	HT_EQ(buddy_alloc(BUDDY_SEGS(buddy_segs_kernel), 0, 7, &pa), 0);
	HT_EQ(pmem_seg_of(pa), PMEM_SEG_DIRECT);
	HT_ASSERT(pa % 4096 == 0);
	HT_EQ(buddy_alloc(BUDDY_SEGS(buddy_segs_user), 4, 7, &pb), 0);
	HT_EQ(pmem_seg_of(pb), PMEM_SEG_HIGH);
	HT_ASSERT(pb % (4096 << 4) == 0);
	check_all();
	HT_EQ(buddy_free(pa, 0), 0);
	HT_EQ(buddy_free(pb, 4), 0);
	check_all();
	/* the only cost of the round trip is frame-table growth */
	HT_EQ(total_free(), before - (mmfake_backing_mapped() - mapped0));
}

static void invalid_frees(void)
{
	paddr_t pa;
	uint64_t before;

	HT_EQ(mmfake_init_core(&awk_cfg, REGION), 0);
	HT_EQ(buddy_alloc(BUDDY_SEGS(buddy_segs_dma32), 2, 9, &pa), 0);
	before = total_free();
	HT_EQ(buddy_free(pa + 4096, 2), E_INVAL);     /* misaligned / tail */
	HT_EQ(buddy_free(pa, 1), E_INVAL);            /* wrong order */
	HT_EQ(buddy_free(pa, 11), E_INVAL);           /* bad order */
	HT_EQ(buddy_free(0x10000000, 0), E_INVAL);    /* not RAM */
	HT_EQ(buddy_free(0x40010000, 0), E_INVAL);    /* reserved */
	HT_EQ(buddy_free((paddr_t)1 << 41, 0), E_INVAL);
	HT_EQ(frame_ref(pa + 4096), 0);               /* a mapped tail page */
	HT_EQ(buddy_free(pa, 2), E_BUSY);
	HT_EQ(frame_unref(pa + 4096), 0);
	HT_EQ(frame_unref(pa + 4096), E_INVAL);
	HT_EQ(total_free(), before);
	check_all();
	HT_EQ(buddy_free(pa, 2), 0);
	HT_EQ(buddy_free(pa, 2), E_INVAL);            /* double free */
	check_all();
	{
		uint8_t bad[1] = { 3 };

		HT_EQ(buddy_alloc(bad, 1, 0, 1, &pa), E_INVAL);
		HT_EQ(buddy_alloc(BUDDY_SEGS(buddy_segs_user), 11, 1, &pa), E_INVAL);
		HT_EQ(buddy_alloc(BUDDY_SEGS(buddy_segs_user), 0, 256, &pa), E_INVAL);
	}
}

static void fallback_order(void)
{
	paddr_t pa;
	unsigned n = 0;
	uint64_t direct = 0;

	HT_EQ(mmfake_init_core(&awk_cfg, REGION), 0);
	/* dma32 takes DMA32 first... */
	HT_EQ(buddy_alloc(BUDDY_SEGS(buddy_segs_dma32), 0, 1, &pa), 0);
	HT_EQ(pmem_seg_of(pa), PMEM_SEG_DMA32);
	HT_ASSERT(pa < ((paddr_t)1 << 32));
	/* ...and falls back to DIRECT once DMA32 is empty */
	while (buddy_free_pages(PMEM_SEG_DMA32) > 0) {
		HT_EQ(buddy_alloc(BUDDY_SEGS(buddy_segs_dma32), 0, 1, &pa), 0);
		HT_EQ(pmem_seg_of(pa), PMEM_SEG_DMA32);
		n++;
	}
	HT_ASSERT(n > 1000);
	HT_EQ(buddy_alloc(BUDDY_SEGS(buddy_segs_dma32), 0, 1, &pa), 0);
	HT_EQ(pmem_seg_of(pa), PMEM_SEG_DIRECT);
	/* kernel objects never leave DIRECT */
	while (buddy_alloc(BUDDY_SEGS(buddy_segs_kernel), 0, 1, &pa) == 0) {
		HT_EQ(pmem_seg_of(pa), PMEM_SEG_DIRECT);
		direct++;
	}
	HT_EQ(buddy_free_pages(PMEM_SEG_DIRECT), 0);
	HT_ASSERT(buddy_free_pages(PMEM_SEG_HIGH) > 0);
	check_all();
}

static void no_merge_across_segments(void)
{
	/* the chunk at 0x4180_0000 holds DIRECT (to 0x41A0_0000) and DMA32 */
	paddr_t pa;
	uint32_t idx;

	HT_EQ(mmfake_init_core(&awk_cfg, REGION), 0);
	HT_EQ(frame_index(0x41800000, &idx), 0);
	HT_ASSERT(frame_chunk_is_open(idx >> FRAME_CHUNK_ORDER));
	HT_EQ(frame_state(frame_at(idx)), FRAME_FREE);
	HT_EQ(frame_order(frame_at(idx)), 9);
	HT_EQ(frame_seg(frame_at(idx)), PMEM_SEG_DIRECT);
	/* the DMA32 half is listed separately (parts of it may already back
	 * the frame table: DMA32 is preferred to DIRECT for that) */
	{
		unsigned dma_heads = 0;

		for (uint32_t i = 512; i < 1024; i++)
			if (frame_state(frame_at(idx + i)) == FRAME_FREE) {
				HT_EQ(frame_seg(frame_at(idx + i)), PMEM_SEG_DMA32);
				dma_heads++;
			}
		HT_ASSERT(dma_heads > 0);
	}
	/* 4 MiB blocks exist elsewhere, but never this mixed chunk */
	HT_EQ(buddy_alloc(BUDDY_SEGS(buddy_segs_kernel), 10, 1, &pa), 0);
	HT_ASSERT(pa != 0x41800000);
	HT_EQ(buddy_free(pa, 10), 0);
	check_all();
}

static void exhaustion_and_full_free(void)
{
	enum { MAXB = 200000 };
	paddr_t *held = malloc(MAXB * sizeof(paddr_t));
	unsigned n = 0, n2 = 0;
	uint64_t free0, mapped0, free1;
	paddr_t pa;

	HT_ASSERT(held);
	HT_EQ(mmfake_init_core(&awk_cfg, REGION), 0);
	free0 = total_free();
	mapped0 = mmfake_backing_mapped();
	while (buddy_alloc(BUDDY_SEGS(buddy_segs_user), 0, 2, &pa) == 0 && n < MAXB)
		held[n++] = pa;
	HT_EQ(buddy_alloc(BUDDY_SEGS(buddy_segs_user), 0, 2, &pa), E_NOMEM);
	HT_EQ(buddy_alloc(BUDDY_SEGS(buddy_segs_user), 10, 2, &pa), E_NOMEM);
	HT_EQ(total_free(), 0);
	/* every page went either to us or to the frame table */
	HT_EQ(n + (mmfake_backing_mapped() - mapped0), free0);
	check_all();
	for (unsigned i = 0; i < n; i++)
		HT_EQ(buddy_free(held[i], 0), 0);
	check_all();
	free1 = total_free();
	HT_EQ(free1, free0 - (mmfake_backing_mapped() - mapped0));
	/* the table is grown now: a second round gives back exactly as much */
	while (buddy_alloc(BUDDY_SEGS(buddy_segs_user), 0, 2, &pa) == 0 && n2 < MAXB)
		held[n2++] = pa;
	HT_EQ(n2, free1);
	for (unsigned i = 0; i < n2; i++)
		HT_EQ(buddy_free(held[n2 - 1 - i], 0), 0);
	HT_EQ(total_free(), free1);
	/* and coalescing restored the big blocks, once the order-0 caches
	 * (which hold up to 32 pages of a segment unmerged) are drained */
	check_all();
	buddy_drain_caches();
	HT_EQ(total_free(), free1);
	HT_ASSERT(buddy_free_blocks(PMEM_SEG_HIGH, 10) >= 15);
	check_all();
	free(held);
}

struct held {
	paddr_t pa;
	unsigned order;
};

static void random_stress(void)
{
	enum { STEPS = 4000, MAXH = 4096 };
	static struct held h[MAXH];
	static const uint8_t *lists[] = { buddy_segs_kernel, buddy_segs_dma32, buddy_segs_user };
	static const unsigned nlists[] = { 1, 2, 3 };
	unsigned nh = 0, nomem = 0, allocs = 0;
	unsigned char *owned;
	uint64_t free0, mapped0;

	HT_EQ(mmfake_init_core(&awk_cfg, REGION), 0);
	owned = calloc(frame_map.nentries, 1);
	HT_ASSERT(owned);
	free0 = total_free();
	mapped0 = mmfake_backing_mapped();
	rng = 0x1234567887654321ull;
	for (unsigned step = 0; step < STEPS; step++) {
		uint32_t r = rnd() % 100;

		if (nh < MAXH && (nh == 0 || r < 55)) {
			uint32_t pick = rnd() % 100, which = rnd() % 3;
			unsigned order = pick < 40 ? 0 : pick < 70 ? 1 + rnd() % 3 :
					 pick < 95 ? 4 + rnd() % 6 : 10;
			paddr_t pa;
			uint32_t idx;
			int err = buddy_alloc(lists[which], nlists[which], order, which, &pa);

			if (err == E_NOMEM) {
				nomem++;
			} else {
				HT_EQ(err, 0);
				HT_ASSERT(pa % ((paddr_t)4096 << order) == 0);
				HT_EQ(frame_index(pa, &idx), 0);
				for (uint32_t i = 0; i < (1u << order); i++) {
					HT_ASSERT_MSG(!owned[idx + i], "block 0x%llx overlaps",
						      (unsigned long long)pa);
					owned[idx + i] = 1;
				}
				{
					bool ok = false;

					for (unsigned k = 0; k < nlists[which]; k++)
						ok |= pmem_seg_of(pa) == lists[which][k];
					HT_ASSERT(ok);
				}
				h[nh].pa = pa;
				h[nh].order = order;
				nh++;
				allocs++;
			}
		} else if (nh > 0) {
			unsigned k = rnd() % nh;
			uint32_t idx;

			HT_EQ(frame_index(h[k].pa, &idx), 0);
			for (uint32_t i = 0; i < (1u << h[k].order); i++)
				owned[idx + i] = 0;
			HT_EQ(buddy_free(h[k].pa, h[k].order), 0);
			h[k] = h[--nh];
		}
		check_all();
		if (htest_failed) {
			printf("    # at step %u\n", step);
			break;
		}
	}
	while (nh > 0 && !htest_failed) {
		nh--;
		HT_EQ(buddy_free(h[nh].pa, h[nh].order), 0);
	}
	check_all();
	HT_EQ(total_free(), free0 - (mmfake_backing_mapped() - mapped0));
	HT_ASSERT(allocs > 1500);
	printf("    # %u allocations, %u E_NOMEM, %u table pages grown\n", allocs, nomem,
	       mmfake_backing_mapped() - (unsigned)mapped0);
	free(owned);
}

static void backing_failure_leaves_no_trace(void)
{
	paddr_t pa;
	uint64_t free0;
	unsigned mapped0;
	const uint8_t high[1] = { PMEM_SEG_HIGH };

	HT_EQ(mmfake_init_core(&awk_cfg, REGION), 0);
	free0 = total_free();
	mapped0 = mmfake_backing_mapped();
	/* a 4 MiB block must open a fresh chunk: its second table page
	 * fails to map, and nothing may remain of the attempt */
	mmfake_backing_fail_at(2);
	HT_EQ(buddy_alloc(high, 1, 10, 1, &pa), E_NOMEM);
	HT_EQ(total_free(), free0);
	HT_EQ(mmfake_backing_mapped(), mapped0);
	check_all();
	mmfake_backing_fail_at(0);
	HT_EQ(buddy_alloc(high, 1, 10, 1, &pa), 0);
	HT_EQ(mmfake_backing_mapped(), mapped0 + 2);
	HT_EQ(total_free(), free0 - 1024 - 2);
	check_all();
}

/*
 * The order-0 cache: freed single pages are cached (FRAME_CACHED, counted
 * as free, on no list, so not merged), reused LIFO, drained in batches
 * when full, and merge back into whole chunks when drained; a larger
 * block that needs the cached pages drains the cache rather than fail.
 */
static void order0_cache(void)
{
	enum { N = 100 };
	const uint8_t high[1] = { PMEM_SEG_HIGH };
	paddr_t pa[N], pb;
	uint64_t free0, max0;
	uint32_t idx;
	struct frame *f;

	HT_EQ(mmfake_init_core(&awk_cfg, REGION), 0);
	free0 = buddy_free_pages(PMEM_SEG_HIGH);
	max0 = buddy_free_blocks(PMEM_SEG_HIGH, 10);
	HT_EQ(buddy_cached_pages(PMEM_SEG_HIGH), 0);
	HT_EQ(buddy_alloc(high, 1, 0, 1, &pa[0]), 0);
	HT_EQ(buddy_free_pages(PMEM_SEG_HIGH), free0 - 1);
	check_all();
	/* a freed page is cached, free, reused first */
	HT_EQ(buddy_free(pa[0], 0), 0);
	HT_ASSERT(buddy_cached_pages(PMEM_SEG_HIGH) > 0);
	HT_EQ(buddy_free_pages(PMEM_SEG_HIGH), free0);
	HT_EQ(frame_index(pa[0], &idx), 0);
	f = frame_at(idx);
	HT_EQ(frame_state(f), FRAME_CACHED);
	HT_EQ(frame_seg(f), PMEM_SEG_HIGH);
	HT_EQ(buddy_free(pa[0], 0), E_INVAL);          /* double free of a cached page */
	HT_EQ(frame_ref(pa[0]), E_INVAL);              /* not allocated */
	check_all();
	HT_EQ(buddy_alloc(high, 1, 0, 1, &pb), 0);
	HT_EQ(pb, pa[0]);
	HT_EQ(frame_state(f), FRAME_ALLOC);
	HT_EQ(buddy_free(pb, 0), 0);
	/* many pages: refills and drains, the cache never over its size */
	for (unsigned i = 0; i < N; i++)
		HT_EQ(buddy_alloc(high, 1, 0, 1, &pa[i]), 0);
	HT_EQ(buddy_free_pages(PMEM_SEG_HIGH), free0 - N);
	check_all();
	for (unsigned i = 0; i < N; i++) {
		HT_EQ(buddy_free(pa[i], 0), 0);
		HT_ASSERT(buddy_cached_pages(PMEM_SEG_HIGH) <= 32);
	}
	HT_EQ(buddy_free_pages(PMEM_SEG_HIGH), free0);
	HT_ASSERT(buddy_cached_pages(PMEM_SEG_HIGH) > 0);
	check_all();
	/* drained, everything merges back to the chunks there were */
	buddy_drain_caches();
	HT_EQ(buddy_cached_pages(PMEM_SEG_HIGH), 0);
	HT_EQ(buddy_free_pages(PMEM_SEG_HIGH), free0);
	HT_EQ(buddy_free_blocks(PMEM_SEG_HIGH, 10), max0);
	check_all();
	/* the checkers see a corrupted cache entry */
	HT_EQ(buddy_alloc(high, 1, 0, 1, &pa[0]), 0);
	HT_EQ(buddy_free(pa[0], 0), 0);
	HT_EQ(frame_index(pa[0], &idx), 0);
	frame_at(idx)->w0 = FRAME_FREE_TAIL;
	{
		const char *why = NULL;

		HT_EQ(buddy_check(&why), E_FORMAT);
		HT_ASSERT(why != NULL);
	}
	frame_at(idx)->w0 = FRAME_CACHED;
	check_all();
	/* ...and a cache entry naming the wrong page or no entry at all */
	{
		struct buddy_pcp *c = &buddy_pcp[PMEM_SEG_HIGH];
		struct buddy_pcp_entry saved = c->top[-1];
		struct buddy_pcp_entry *top = c->top;
		const char *why = NULL;

		HT_ASSERT(c->top > c->e);
		HT_ASSERT(saved.f == frame_at(idx));
		HT_EQ(saved.pfn, (uint32_t)(pa[0] >> 12));
		c->top[-1].pfn++;
		HT_EQ(buddy_check(&why), E_FORMAT);
		c->top[-1] = saved;
		c->top[-1].f = (struct frame *)((char *)saved.f + 4);
		HT_EQ(buddy_check(&why), E_FORMAT);
		c->top[-1] = saved;
		c->top = c->e + BUDDY_PCP_MAX + 1;
		HT_EQ(buddy_check(&why), E_FORMAT);
		c->top = c->e;
		HT_EQ(buddy_check(&why), E_FORMAT);          /* a CACHED page on no cache */
		c->top = top;
		check_all();
	}
}

/* A block that needs cached pages to form drains the cache rather than
 * fail: take all of HIGH in single pages, give them back (most land in
 * the cache or merge), then a 4 MiB block must still be found. */
static void cache_drained_for_larger_blocks(void)
{
	enum { MAXB = 20000 };
	const uint8_t high[1] = { PMEM_SEG_HIGH };
	paddr_t *held = malloc(MAXB * sizeof(paddr_t)), pa;
	unsigned n = 0;

	HT_ASSERT(held);
	HT_EQ(mmfake_init_core(&awk_cfg, REGION), 0);
	while (n < MAXB && buddy_alloc(high, 1, 0, 1, &held[n]) == 0)
		n++;
	HT_EQ(buddy_free_pages(PMEM_SEG_HIGH), 0);
	/* free all but one page of one chunk... */
	for (unsigned i = 1; i < n; i++)
		HT_EQ(buddy_free(held[i], 0), 0);
	HT_ASSERT(buddy_cached_pages(PMEM_SEG_HIGH) > 0);
	/* ...then the last one: the cache holds pages of that chunk */
	HT_EQ(buddy_free(held[0], 0), 0);
	check_all();
	for (unsigned k = 0; k < 16; k++) {
		if (buddy_alloc(high, 1, 10, 1, &held[k]) != 0) {
			HT_ASSERT_MSG(k >= 15, "only %u max blocks", k);
			break;
		}
		n = k + 1;
	}
	HT_ASSERT(n >= 15);
	HT_EQ(buddy_cached_pages(PMEM_SEG_HIGH), 0);
	check_all();
	for (unsigned k = 0; k < n; k++)
		HT_EQ(buddy_free(held[k], 10), 0);
	(void)pa;
	check_all();
	free(held);
}

static const struct htest_case cases[] = {
	HT_CASE(init_counts),
	HT_CASE(alloc_free_basic),
	HT_CASE(invalid_frees),
	HT_CASE(fallback_order),
	HT_CASE(no_merge_across_segments),
	HT_CASE(exhaustion_and_full_free),
	HT_CASE(random_stress),
	HT_CASE(backing_failure_leaves_no_trace),
	HT_CASE(order0_cache),
	HT_CASE(cache_drained_for_larger_blocks),
};

int main(void)
{
	return htest_main("buddy", cases, (int)ARRAY_SIZE(cases));
}
