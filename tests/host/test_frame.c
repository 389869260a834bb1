/*
 * Host tests of the frame table (kernel/mm/frame.c): index over sparse and
 * large RAM, lazy backing checked by the MMU (the fake region is PROT_NONE
 * until a page is backed), the bootstrap, zeroing through kmap.
 */
#include "htest.h"
#include "mm_fakes.h"

#include <lib/error.h>
#include <mm/buddy.h>
#include <mm/frame.h>
#include <mm/kheap.h>
#include <mm/mm.h>
#include <mm/pmem.h>

#include <stdlib.h>

#define GB(x) ((paddr_t)(x) << 30)
#define MB(x) ((paddr_t)(x) << 20)

static const struct pmem_range sparse_banks[] = {
	{ GB(1), GB(1) },      /* 1 GiB at 0x4000_0000 */
	{ GB(4), GB(2) },      /* 2 GiB at 0x1_0000_0000 */
};
static const struct pmem_config sparse_cfg = { sparse_banks, 2, NULL, 0, GB(1), MB(768) };

static const struct pmem_range six_banks[] = { { GB(1), GB(6) } };  /* to 0x1_C000_0000 */
static const struct pmem_config six_cfg = { six_banks, 1, NULL, 0, GB(1), MB(768) };

static uintptr_t entry_va(paddr_t pa)
{
	uint32_t idx;

	if (frame_index(pa, &idx))
		return 0;
	return (uintptr_t)frame_map.table + (uintptr_t)idx * sizeof(struct frame);
}

static void check_all(void)
{
	const char *why = NULL;

	HT_ASSERT_MSG(frame_check(&why) == 0, "frame_check: %s", why);
	HT_ASSERT_MSG(buddy_check(&why) == 0, "buddy_check: %s", why);
}

static void entry_size(void)
{
	HT_EQ(sizeof(struct frame), 8);
	HT_EQ(FRAME_PER_TABLE_PAGE, 512);
	HT_EQ(FRAME_TABLE_PAGES_PER_CHUNK, 2);
	HT_EQ(FRAME_MAX_ENTRIES, 1u << 24);
}

static void sparse_banks_cost_nothing_until_used(void)
{
	struct frame_layout fl;
	const uint8_t high[1] = { PMEM_SEG_HIGH };
	paddr_t pa, first;
	uint32_t idx;

	HT_EQ(mmfake_init_core(&sparse_cfg, 32u << 20), 0);
	frame_layout(&fl);
	/* 5 GiB span in 640 sections of 8 MiB; only the 384 with RAM get
	 * index space: the 2 GiB hole costs no virtual space either */
	HT_EQ(fl.section_bytes, MB(8));
	HT_EQ(fl.nsec, 640);
	HT_EQ(fl.nslots, 384);
	HT_EQ(fl.nentries, (uint32_t)(GB(3) >> 12));
	HT_EQ(fl.va_used, (GB(3) >> 12) * 8);
	/* every free range is made of whole 4 MiB chunks: nothing is backed */
	HT_EQ(mmfake_backing_mapped(), 0);
	HT_EQ(frame_backed_bytes(), 0);
	check_all();

	/* the first allocation opens one chunk, backed by its own top pages */
	HT_EQ(buddy_alloc(BUDDY_SEGS(buddy_segs_kernel), 0, 1, &first), 0);
	HT_EQ(mmfake_backing_mapped(), 2);
	{
		paddr_t b0 = mmfake_backing_pa(entry_va(first));

		HT_ASSERT(b0 >> 22 == first >> 22);       /* same 4 MiB chunk */
		HT_EQ(frame_state(frame_get(b0)), FRAME_TABLE);
	}
	/* a thousand more pages from the same chunk cost nothing more */
	for (int i = 0; i < 1000; i++)
		HT_EQ(buddy_alloc(BUDDY_SEGS(buddy_segs_kernel), 0, 1, &pa), 0);
	HT_EQ(mmfake_backing_mapped(), 2);
	/* a page above 4 GiB opens one chunk there: two more table pages,
	 * taken from the lists (no self-backing needed any more) */
	HT_EQ(buddy_alloc(high, 1, 0, 1, &pa), 0);
	HT_ASSERT(pa >= GB(4));
	HT_EQ(mmfake_backing_mapped(), 4);
	HT_EQ(frame_backed_bytes(), 16384);
	HT_EQ(frame_state(frame_get(mmfake_backing_pa(entry_va(pa)))), FRAME_TABLE);
	/* untouched RAM, in either bank, is still unbacked; touching it
	 * would crash this program */
	HT_ASSERT(!mmfake_is_backed(entry_va(GB(1) + MB(512))));
	HT_ASSERT(!mmfake_is_backed(entry_va(GB(5))));
	HT_ASSERT(frame_get(GB(5)) == NULL);
	HT_ASSERT(frame_get(GB(3)) == NULL);        /* the hole */
	HT_EQ(frame_index(GB(3), &idx), E_NOENT);
	check_all();
}

static void index_round_trip(void)
{
	struct pmem_range r;
	uint32_t idx, prev = 0;
	bool have_prev = false;

	HT_EQ(mmfake_init_core(&sparse_cfg, 32u << 20), 0);
	for (unsigned i = 0; pmem_ram_range(i, &r); i++)
		for (paddr_t pa = r.base; pa < r.base + r.size; pa += MB(1) + 0x3000) {
			HT_EQ(frame_index(pa, &idx), 0);
			HT_EQ(frame_idx_to_pa(idx), ALIGN_DOWN(pa, (paddr_t)4096));
			if (have_prev)
				HT_ASSERT(idx > prev);             /* monotonic */
			prev = idx;
			have_prev = true;
		}
	HT_EQ(frame_index(GB(1) - 4096, &idx), E_NOENT);
	HT_EQ(frame_index(GB(6), &idx), E_NOENT);
	HT_EQ(frame_index((paddr_t)1 << 40, &idx), E_RANGE);
}

static void six_gib(void)
{
	struct frame_layout fl;
	const uint8_t seg[3] = { PMEM_SEG_DIRECT, PMEM_SEG_DMA32, PMEM_SEG_HIGH };
	struct pmem_seg_info si;
	paddr_t pa, top = 0;
	uint32_t idx;
	unsigned n = 0;

	HT_EQ(mmfake_init_core(&six_cfg, 16u << 20), 0);
	frame_layout(&fl);
	HT_EQ(fl.nentries, (uint32_t)(GB(6) >> 12));
	HT_EQ(fl.va_used, 12u << 20);                 /* 12 MiB of VA at 8 B/page */
	HT_EQ(mmfake_backing_mapped(), 0);
	pmem_seg_info(PMEM_SEG_DIRECT, &si);
	HT_EQ(si.ram_pages, MB(768) >> 12);
	pmem_seg_info(PMEM_SEG_DMA32, &si);
	HT_EQ(si.ram_pages, (GB(4) - GB(1) - MB(768)) >> 12);
	pmem_seg_info(PMEM_SEG_HIGH, &si);
	HT_EQ(si.ram_pages, GB(3) >> 12);
	for (unsigned s = 0; s < 3; s++) {
		HT_EQ(buddy_alloc(&seg[s], 1, 0, 1, &pa), 0);
		HT_EQ(pmem_seg_of(pa), seg[s]);
	}
	HT_EQ(mmfake_backing_mapped(), 6);
	/* all of HIGH in 4 MiB blocks: every chunk gets opened */
	while (buddy_alloc(&seg[2], 1, 10, 1, &pa) == 0) {
		top = MAX(top, pa);
		n++;
	}
	HT_EQ(n, 767);                                /* 768 chunks, one split above */
	HT_EQ(top, GB(7) - MB(4));                     /* the last chunk, 0x1_BFC0_0000 */
	HT_EQ(frame_index(GB(7) - 4096, &idx), 0);
	HT_EQ(frame_idx_to_pa(idx), GB(7) - 4096);
	HT_EQ(frame_state(frame_at(idx)), FRAME_ALLOC_TAIL);
	HT_EQ(mmfake_backing_mapped(), 2 * (768 + 2));
	check_all();
}

/*
 * 64 GiB at 1 GiB: the largest machine the index describes, 2^24 entries,
 * the whole 128 MiB region. Every page can be handed out, including the
 * last one, index 2^24 - 1 (which a 24-bit "none" value would have
 * shadowed: lists end in self links), and the table stays within 8 bytes
 * per page even when every page is allocated.
 */
static void sixty_four_gib_every_page_usable(void)
{
	static const struct pmem_range bank[] = { { GB(1), GB(64) } };
	static const struct pmem_config cfg = { bank, 1, NULL, 0, GB(1), MB(768) };
	static const uint8_t all[3] = { PMEM_SEG_HIGH, PMEM_SEG_DMA32, PMEM_SEG_DIRECT };
	const paddr_t last = GB(65) - 4096;
	struct frame_layout fl;
	uint64_t pages = GB(64) >> 12, got = 0, blocks = 0;
	paddr_t pa, last_chunk = 0;
	uint32_t idx;

	HT_EQ(mmfake_init_core(&cfg, 128u << 20), 0);
	frame_layout(&fl);
	HT_EQ(fl.nentries, 1u << 24);
	HT_EQ(fl.va_used, 128u << 20);
	HT_EQ(mmfake_prepared(), 128u << 20);
	HT_EQ(frame_index(last, &idx), 0);
	HT_EQ(idx, FRAME_MAX_ENTRIES - 1);
	HT_EQ(buddy_free_pages(PMEM_SEG_DIRECT) + buddy_free_pages(PMEM_SEG_DMA32) +
		      buddy_free_pages(PMEM_SEG_HIGH), pages);
	/* hand out everything, largest blocks first */
	for (int order = BUDDY_MAX_ORDER; order >= 0; order--)
		while (buddy_alloc(all, 3, (unsigned)order, 1, &pa) == 0) {
			got += 1ull << order;
			blocks++;
			if (pa == GB(65) - MB(4))
				last_chunk = pa;
		}
	HT_EQ(buddy_free_pages(PMEM_SEG_DIRECT) + buddy_free_pages(PMEM_SEG_DMA32) +
		      buddy_free_pages(PMEM_SEG_HIGH), 0);
	/* what is not handed out backs the table: at most 8 B per page */
	HT_EQ(got + frame_backed_bytes() / 4096, pages);
	HT_ASSERT(frame_backed_bytes() <= pages * sizeof(struct frame));
	printf("    # 64 GiB handed out: %llu blocks, %llu KiB of frame table backed\n",
	       (unsigned long long)blocks, (unsigned long long)(frame_backed_bytes() >> 10));
	check_all();
	/* the top chunk again, as 1024 single pages: the last page goes on and
	 * off the order-0 lists, first and last in them, beside its neighbours */
	HT_ASSERT(last_chunk != 0);
	HT_EQ(buddy_free(last_chunk, BUDDY_MAX_ORDER), 0);
	buddy_drain_caches();
	check_all();
	for (unsigned i = 0; i < 1024; i++)
		HT_EQ(buddy_alloc(all, 1, 0, 1, &pa), 0);
	HT_EQ(frame_state(frame_get(last)), FRAME_ALLOC);
	HT_EQ(buddy_free(last, 0), 0);
	HT_EQ(buddy_free(last - 8192, 0), 0);
	HT_EQ(buddy_free(last - 4 * 4096, 0), 0);
	buddy_drain_caches();
	check_all();
	HT_EQ(buddy_free_pages(PMEM_SEG_HIGH), 3);
	HT_EQ(buddy_free(last - 4096, 0), 0);     /* merges with the last page */
	buddy_drain_caches();
	check_all();
	HT_EQ(buddy_free_blocks(PMEM_SEG_HIGH, 1), 1);
	HT_EQ(frame_state(frame_get(last - 4096)), FRAME_FREE);
	HT_EQ(frame_order(frame_get(last - 4096)), 1);
}

static void region_errors(void)
{
	const char *why = NULL;
	uintptr_t va;

	mmfake_reset();
	HT_EQ(pmem_init(&six_cfg, &why), 0);
	va = mmfake_region_create(16u << 20);
	HT_EQ(frame_init(va, 8u << 20, &why), E_NOMEM);  /* needs 12 MiB */
	HT_ASSERT(why != NULL);
	HT_EQ(frame_init(va + 8, 16u << 20, &why), E_ALIGN);
	HT_EQ(frame_init(va, (16u << 20) + 100, &why), E_ALIGN);
	HT_EQ(frame_init(va, 12u << 20, &why), 0);
}

static void heap_pages_are_recorded(void)
{
	static const struct pmem_range banks[] = { { GB(1), GB(1) } };
	struct mm_config cfg = { 0 };
	struct mm_status st;
	paddr_t heap;

	cfg.banks = banks;
	cfg.nbanks = 1;
	cfg.direct_base = GB(1);
	cfg.direct_size = MB(768);
	cfg.ftable_size = 8u << 20;
	HT_EQ(mmfake_boot(&cfg, &st), 0);
	HT_EQ(kheap_size(), MB(16));
	heap = kheap_pa();
	HT_EQ(heap, GB(1) + MB(768) - MB(16));         /* the top of DIRECT */
	/* The frame table's page tables (one 4 KiB level-3 table: 1 GiB of
	 * index space is 2 MiB of table) sit right below the heap, and are
	 * what cuts a chunk: buddy_init opens it with two of its own pages and
	 * lists the rest, which then back the heap's 4 chunks (8 table
	 * pages). Nothing else is backed. */
	HT_EQ(mm_ftable_pt_bytes(), 4096);
	HT_EQ(mmfake_prepared(), MB(2));
	HT_EQ(mmfake_backing_mapped(), 10);
	HT_EQ(pmem_seg_of(mmfake_backing_pa(entry_va(heap))), PMEM_SEG_DIRECT);
	HT_EQ(frame_state(frame_get(heap - 4096)), FRAME_KERNEL);
	HT_EQ(frame_pool(frame_get(heap - 4096)), FRAME_POOL_KERNEL);
	/* the chunk's own table pages, its top two free ones */
	HT_EQ(frame_state(frame_get(heap - 8192)), FRAME_TABLE);
	HT_EQ(frame_state(frame_get(heap - 12288)), FRAME_TABLE);
	for (paddr_t pa = heap; pa < heap + MB(16); pa += 4096) {
		HT_EQ(frame_state(frame_get(pa)), FRAME_KERNEL);
		HT_EQ(frame_pool(frame_get(pa)), 3);
	}
	check_all();
}

static void zero_high_memory(void)
{
	const uint8_t high[1] = { PMEM_SEG_HIGH }, dma[1] = { PMEM_SEG_DMA32 };
	paddr_t pa, pb;
	unsigned char *p;

	HT_EQ(mmfake_init_core(&sparse_cfg, 32u << 20), 0);
	HT_EQ(buddy_alloc(high, 1, 0, 1, &pa), 0);
	p = mmfake_phys(pa, 4096);
	HT_ASSERT(p != NULL);
	memset(p, 0x5A, 4096);
	HT_EQ(buddy_free(pa, 0), 0);
	HT_EQ(buddy_alloc(high, 1, 0, 1, &pb), 0);
	HT_EQ(pb, pa);                                 /* reused: LIFO list */
	HT_EQ(p[100], 0x5A);
	HT_EQ(frame_zero(pb, 0), 0);
	for (int i = 0; i < 4096; i++)
		HT_EQ(p[i], 0);
	HT_EQ(mmfake_kmap_calls(), 1);
	HT_EQ(mmfake_kmap_held(), 0);
	/* an order-2 block: one short-lived mapping per page */
	HT_EQ(buddy_alloc(dma, 1, 2, 1, &pa), 0);
	p = mmfake_phys(pa, 4 * 4096);
	HT_ASSERT(p != NULL);
	memset(p, 0x77, 4 * 4096);
	HT_EQ(frame_zero(pa, 2), 0);
	for (int i = 0; i < 4 * 4096; i++)
		HT_EQ(p[i], 0);
	HT_EQ(mmfake_kmap_calls(), 5);
	/* direct memory needs no kmap */
	HT_EQ(buddy_alloc(BUDDY_SEGS(buddy_segs_kernel), 1, 1, &pa), 0);
	p = mmfake_phys(pa, 8192);
	memset(p, 1, 8192);
	HT_EQ(frame_zero(pa, 1), 0);
	HT_EQ(p[8191], 0);
	HT_EQ(mmfake_kmap_calls(), 5);
}

static void map_count_limits(void)
{
	paddr_t pa;
	struct frame *f;

	HT_EQ(mmfake_init_core(&sparse_cfg, 32u << 20), 0);
	HT_EQ(buddy_alloc(BUDDY_SEGS(buddy_segs_user), 0, 2, &pa), 0);
	HT_EQ(frame_ref(pa), 0);
	f = frame_get(pa);
	f->w0 = (f->w0 & 0xff) | (FRAME_COUNT_MAX << 8);  /* pretend 16M mappings */
	HT_EQ(frame_ref(pa), E_OVERFLOW);
	HT_EQ(frame_count(f), FRAME_COUNT_MAX);
	f->w0 &= 0xff;
	HT_EQ(frame_unref(pa), E_INVAL);
	HT_EQ(frame_ref(GB(3)), E_INVAL);              /* hole */
	HT_EQ(frame_ref(GB(5)), E_INVAL);              /* free chunk, unbacked */
	HT_EQ(buddy_free(pa, 0), 0);
	HT_EQ(frame_ref(pa), E_INVAL);                 /* free page */
}

static void checker_catches_corruption(void)
{
	paddr_t pa;
	struct frame *f, saved;
	const char *why = NULL;

	HT_EQ(mmfake_init_core(&sparse_cfg, 32u << 20), 0);
	HT_EQ(buddy_alloc(BUDDY_SEGS(buddy_segs_user), 3, 2, &pa), 0);
	f = frame_get(pa + 4096);
	saved = *f;
	frame_set(f, FRAME_ALLOC_TAIL, 2, 2);          /* tail with a wrong order */
	HT_EQ(frame_check(&why), E_FORMAT);
	HT_ASSERT(why != NULL);
	*f = saved;
	/* a free head whose order is changed behind the buddy's back */
	HT_EQ(buddy_free(pa, 3), 0);
	f = frame_get(pa);
	saved = *f;
	f->w0 = (f->w0 & ~0xf0u) | (2u << 4);
	HT_EQ(buddy_check(&why), E_FORMAT);
	*f = saved;
	check_all();
}

/*
 * Pages of sections without RAM get an index at or above FRAME_MAX_ENTRIES
 * whose chunk bit lies in a guard word of the open-chunk bitmap, never
 * set: the inline lookup (frame_of_pfn) needs no "no section" test. Holds
 * for the widest possible sections too (RAM at 1 GiB and just below
 * 1 TiB: sections of 2^18 pages, the last guard word).
 */
static void hole_sections_hit_guard_bits(void)
{
	static const struct pmem_range far_banks[] = {
		{ GB(1), GB(1) },
		{ ((paddr_t)1 << 40) - GB(1), GB(1) },
	};
	static const struct pmem_config far_cfg = { far_banks, 2, NULL, 0, GB(1), MB(768) };
	const char *why = NULL;
	struct frame *f;
	uint32_t idx, words = (uint32_t)ARRAY_SIZE(frame_map.open_bits);

	HT_EQ(words, FRAME_MAX_CHUNKS / 32 + FRAME_OPEN_GUARD_WORDS);
	HT_EQ(mmfake_init_core(&sparse_cfg, 32u << 20), 0);
	for (paddr_t pa = GB(2); pa < GB(4); pa += MB(8) - 0x1000) {
		HT_ASSERT(frame_pfn_index((uint32_t)(pa >> 12), &idx));
		HT_ASSERT(idx >= FRAME_MAX_ENTRIES);
		HT_ASSERT((idx >> 15) < words);
		HT_ASSERT(!frame_of_pfn((uint32_t)(pa >> 12), &f));
		HT_ASSERT(frame_get(pa) == NULL);
		HT_EQ(frame_index(pa, &idx), E_NOENT);
		HT_EQ(buddy_free(pa, 0), E_INVAL);
	}
	HT_EQ(frame_check(&why), 0);
	frame_map.open_bits[FRAME_MAX_CHUNKS / 32 + 3] = 1;
	HT_EQ(frame_check(&why), E_FORMAT);
	HT_ASSERT(why && strstr(why, "guard"));
	frame_map.open_bits[FRAME_MAX_CHUNKS / 32 + 3] = 0;
	check_all();

	HT_EQ(mmfake_init_core(&far_cfg, 8u << 20), 0);
	HT_EQ(frame_map.sec_shift, 18);
	for (paddr_t pa = GB(2); pa < ((paddr_t)1 << 40) - GB(1); pa += GB(7) + 0x5000) {
		HT_ASSERT(frame_pfn_index((uint32_t)(pa >> 12), &idx));
		HT_ASSERT(idx >= FRAME_MAX_ENTRIES);
		HT_ASSERT((idx >> 15) < words);
		HT_ASSERT(frame_get(pa) == NULL);
	}
	/* the last page of a hole section: the highest guard word */
	HT_ASSERT(frame_pfn_index((uint32_t)((GB(3) - 4096) >> 12), &idx));
	HT_EQ(idx >> 15, words - 1);
	HT_ASSERT(frame_get(((paddr_t)1 << 40) - 4096) == NULL);   /* RAM, chunk not open */
	HT_EQ(frame_index(((paddr_t)1 << 40) - 4096, &idx), 0);
	check_all();
}

static const struct htest_case cases[] = {
	HT_CASE(entry_size),
	HT_CASE(sparse_banks_cost_nothing_until_used),
	HT_CASE(index_round_trip),
	HT_CASE(six_gib),
	HT_CASE(sixty_four_gib_every_page_usable),
	HT_CASE(region_errors),
	HT_CASE(heap_pages_are_recorded),
	HT_CASE(zero_high_memory),
	HT_CASE(map_count_limits),
	HT_CASE(checker_catches_corruption),
	HT_CASE(hole_sections_hit_guard_bits),
};

int main(void)
{
	return htest_main("frame", cases, (int)ARRAY_SIZE(cases));
}
