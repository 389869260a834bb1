/*
 * frame: the frame table, one 8-byte entry per RAM page, lazily backed.
 *
 * Index. Entries are not indexed by raw page number (40-bit physical
 * addresses would need 2^28 entries) but by a compressed index over the
 * RAM span, in sections: the span is cut into at most FRAME_MAX_SECTIONS
 * equal, naturally aligned sections of 2^k pages (k >= 10, i.e. at least
 * 4 MiB, the largest buddy block; k is the smallest that fits the span),
 * and only sections that contain RAM get a slot of index space, in address
 * order. So a page's index is its offset in the span plus its section's
 * delta (sec_delta[section]: the section's first index less its first
 * offset): two table reads, no search, no division. Holes of a section or
 * more cost no index space at all (their pages get indices past every
 * real one, whose open-chunk bits are guard bits, never set); a hole
 * inside a section costs virtual address space but, like everything
 * else, no memory until used. Because sections are
 * aligned to 4 MiB in both address and index space, an aligned block of
 * 2^o pages (o <= 10) is one aligned run of indices and its buddy is
 * idx ^ 2^o: the buddy allocator works on indices directly.
 *
 * Backing. The table lives in a kernel virtual region given to frame_init
 * and starts with nothing mapped. It is backed a "chunk" at a time: the
 * 1024 entries of one aligned 4 MiB block of RAM, i.e. 8 KiB of table, two
 * pages. A chunk is "open" once its two table pages are mapped (and
 * zeroed); it then stays open. Who opens chunks, and where the backing
 * frames come from, is the buddy allocator's business (buddy.c explains
 * the bootstrap); frame_chunk_back() only installs the pages it is given.
 * Entries of a chunk that is not open must never be touched: on the host
 * the region is PROT_NONE there, so a stray access crashes the test.
 *
 * Entry layout (two 32-bit words; "index" = frame index, 24 bits):
 *
 *   word 0: bits 0-3 state, 4-7 order, 8-31 FREE: next index in the free
 *           list / ALLOC, ALLOC_TAIL: map count / others: 0
 *   word 1: bits 0-7 FREE: segment / ALLOC, ALLOC_TAIL, KERNEL, TABLE:
 *           pool id; bits 8-31 FREE: previous index / ALLOC: segment in
 *           bits 8-15 (so freeing needs no address comparison) / others: 0
 *
 * 24-bit links address all 2^24 indices (64 GiB of RAM), so no link value
 * is left over for "none": the end of a list is a link to the entry
 * itself (a block is never its own neighbour). frame_next/frame_prev turn
 * a self link into FRAME_NIL, a 32-bit value no index has, and the
 * setters turn FRAME_NIL back into one; callers only ever see FRAME_NIL.
 *
 * Only the head entry of a free block is meaningful (FREE); the other
 * pages of a free block are FREE_TAIL. A free page held in the buddy's
 * order-0 cache is CACHED (word 0 = 7, word 1 = its segment): free, but on
 * no list, so it never merges until the cache drains it. Every page of an allocated block
 * carries the block's order and pool, so the head of any page is found by
 * aligning its index down to the order. A free 4 MiB chunk is not in the
 * table at all (the buddy tracks it in a bitmap), which is why untouched
 * RAM costs nothing.
 *
 * Locking: kernel lock; all of this is called from the allocators.
 */
#ifndef CAIRN_FRAME_H
#define CAIRN_FRAME_H

#include <lib/types.h>
#include <mm/pmem.h>

enum frame_state {
	FRAME_NONE = 0,       /* no information: hole, reserved page, untouched */
	FRAME_FREE = 1,       /* head of a free buddy block */
	FRAME_FREE_TAIL = 2,  /* inside a free block (not its head) */
	FRAME_ALLOC = 3,      /* head of an allocated block */
	FRAME_ALLOC_TAIL = 4, /* inside an allocated block */
	FRAME_KERNEL = 5,     /* taken at boot for a kernel structure (heap) */
	FRAME_TABLE = 6,      /* backs a page of the frame table itself */
	FRAME_CACHED = 7,     /* free page in its segment's order-0 cache (buddy.c) */
};

struct frame {
	uint32_t w0;          /* state | order << 4 | (next or count) << 8 */
	uint32_t w1;          /* (segment or pool) | prev << 8 */
};
_Static_assert(sizeof(struct frame) == 8, "frame-table entry budget: 8 bytes");

#define FRAME_CHUNK_ORDER 10
#define FRAME_CHUNK_PAGES (1u << FRAME_CHUNK_ORDER)
#define FRAME_PER_TABLE_PAGE (PMEM_PAGE_SIZE / (uint32_t)sizeof(struct frame))
#define FRAME_TABLE_PAGES_PER_CHUNK (FRAME_CHUNK_PAGES / FRAME_PER_TABLE_PAGE)
#define FRAME_MAX_SECTIONS 1024
#define FRAME_MAX_ENTRIES (1u << 24)          /* 64 GiB of RAM index space */
#define FRAME_MAX_CHUNKS (FRAME_MAX_ENTRIES >> FRAME_CHUNK_ORDER)
#define FRAME_LINK_MASK 0xFFFFFFu             /* a free-list link: 24 bits */
#define FRAME_NIL 0xFFFFFFFFu                 /* no block (never stored) */
#define FRAME_COUNT_MAX 0xFFFFFFu             /* map count saturation */
#define FRAME_POOL_KERNEL 0xFEu               /* pool id: the kernel itself */
#define FRAME_POOL_NONE 0xFFu
_Static_assert(FRAME_TABLE_PAGES_PER_CHUNK == 2, "8 KiB of table per 4 MiB chunk");
_Static_assert(FRAME_MAX_ENTRIES - 1 == FRAME_LINK_MASK, "every index fits a 24-bit link");

/*
 * A page of a section with no RAM gets index FRAME_MAX_ENTRIES + its
 * offset in the section (>= nentries), whose chunk bits lie in guard words
 * of open_bits that are never set: the inline lookup needs no separate
 * "no section" test. Sections are at most 2^18 pages (2^28 pages of 40-bit
 * space over 1024 sections), so 8 guard words cover any offset.
 */
#define FRAME_OPEN_GUARD_WORDS 8u

/* Read-only outside frame.c; exported for the inline lookups below. */
struct frame_map {
	struct frame *table;      /* base of the virtual region */
	uintptr_t va_size;        /* bytes of region given to frame_init */
	uint32_t span_pfn;        /* first page of section 0 */
	uint32_t nsec;            /* sections in the span */
	uint32_t sec_shift;       /* log2 pages per section (>= 10) */
	uint32_t nslots;          /* sections with RAM */
	uint32_t nentries;        /* nslots << sec_shift */
	uint32_t backed_pages;    /* table pages mapped */
	uint32_t open_bits[FRAME_MAX_CHUNKS / 32 + FRAME_OPEN_GUARD_WORDS];
	/* index of pfn = (pfn - span_pfn) + sec_delta[section]: the section's
	 * first index minus its first offset, or, with no RAM,
	 * FRAME_MAX_ENTRIES minus its first offset */
	uint32_t sec_delta[FRAME_MAX_SECTIONS];
	uint16_t slot_sec[FRAME_MAX_SECTIONS]; /* section of each slot */
};
extern struct frame_map frame_map;

/* ---------------------------------------------------------- index */

/* Index of pfn, or an index >= FRAME_MAX_ENTRIES (>= nentries) if no RAM
 * section holds it; false only when pfn is outside the span. */
static inline __attribute__((always_inline)) bool frame_pfn_index(uint32_t pfn, uint32_t *idx)
{
	uint32_t off = pfn - frame_map.span_pfn;      /* wraps when below */
	uint32_t sec = off >> frame_map.sec_shift;

	if (sec >= frame_map.nsec)
		return false;
	*idx = off + frame_map.sec_delta[sec];
	return true;
}

/* Frame index of page frame number pfn; false if no RAM section holds it. */
static inline bool frame_pfn_to_idx(uint32_t pfn, uint32_t *idx)
{
	return frame_pfn_index(pfn, idx) && *idx < frame_map.nentries;
}

/* Physical page frame number of a valid index. */
static inline uint32_t frame_idx_to_pfn(uint32_t idx)
{
	uint32_t slot = idx >> frame_map.sec_shift;

	return frame_map.span_pfn + ((uint32_t)frame_map.slot_sec[slot] << frame_map.sec_shift) +
	       (idx & ((1u << frame_map.sec_shift) - 1));
}

static inline paddr_t frame_idx_to_pa(uint32_t idx)
{
	return (paddr_t)frame_idx_to_pfn(idx) << PMEM_PAGE_SHIFT;
}

static inline bool frame_chunk_is_open(uint32_t chunk)
{
	return (frame_map.open_bits[chunk >> 5] >> (chunk & 31)) & 1;
}

/* Entry of a valid index in an open chunk. */
static inline struct frame *frame_at(uint32_t idx)
{
	return &frame_map.table[idx];
}

/* Entry of page pfn in *f if a RAM section holds it and its chunk is
 * open; else false (frame_get for a page number: the fast paths' lookup). */
static inline __attribute__((always_inline)) bool frame_of_pfn(uint32_t pfn, struct frame **f)
{
	uint32_t idx;

	if (!frame_pfn_index(pfn, &idx) || !frame_chunk_is_open(idx >> FRAME_CHUNK_ORDER))
		return false;                 /* (no section: a guard bit, never set) */
	*f = frame_at(idx);
	return true;
}

/* ---------------------------------------------------------- fields */

static inline unsigned frame_state(const struct frame *f) { return f->w0 & 0xf; }
static inline unsigned frame_order(const struct frame *f) { return (f->w0 >> 4) & 0xf; }
/* Index of an entry of the table. */
static inline uint32_t frame_idx_of(const struct frame *f)
{
	return (uint32_t)(f - frame_map.table);
}

/* A stored link: FRAME_NIL becomes a link to the entry itself. */
static inline uint32_t frame_link_store(const struct frame *f, uint32_t link)
{
	return (link == FRAME_NIL ? frame_idx_of(f) : link) & FRAME_LINK_MASK;
}

static inline uint32_t frame_link_load(const struct frame *f, uint32_t stored)
{
	return stored == frame_idx_of(f) ? FRAME_NIL : stored;
}

static inline uint32_t frame_next(const struct frame *f) { return frame_link_load(f, f->w0 >> 8); }
static inline uint32_t frame_prev(const struct frame *f) { return frame_link_load(f, f->w1 >> 8); }
static inline unsigned frame_seg(const struct frame *f) { return f->w1 & 0xff; }
static inline unsigned frame_pool(const struct frame *f) { return f->w1 & 0xff; }
static inline uint32_t frame_count(const struct frame *f) { return f->w0 >> 8; }

static inline void frame_set_free(struct frame *f, unsigned order, unsigned seg,
				  uint32_t next, uint32_t prev)
{
	f->w0 = FRAME_FREE | (uint32_t)order << 4 | frame_link_store(f, next) << 8;
	f->w1 = (uint32_t)seg | frame_link_store(f, prev) << 8;
}

static inline void frame_set_next(struct frame *f, uint32_t next)
{
	f->w0 = (f->w0 & 0xff) | frame_link_store(f, next) << 8;
}

static inline void frame_set_prev(struct frame *f, uint32_t prev)
{
	f->w1 = (f->w1 & 0xff) | frame_link_store(f, prev) << 8;
}

/* Any non-FREE state: order, pool (or 0) and a zero count. */
static inline void frame_set(struct frame *f, unsigned state, unsigned order, unsigned pool)
{
	f->w0 = (uint32_t)state | (uint32_t)order << 4;
	f->w1 = (uint32_t)pool;
}

/* ---------------------------------------------------------- API */

/*
 * Lay out the index over pmem's RAM ranges (pmem_init first) and take the
 * virtual region [va, va + size) for the table; maps nothing. Errors:
 * E_INVAL (no RAM page), E_ALIGN (va or size not page aligned),
 * E_OVERFLOW (region wraps), E_NOMEM (the index needs more than the region
 * or than FRAME_MAX_ENTRIES); *why explains. Re-initialising forgets all
 * previous state (the region is assumed fresh and unmapped).
 */
int frame_init(uintptr_t va, uintptr_t size, const char **why);

/*
 * Open chunk `chunk`: map pa[i] as the i-th table page of the chunk through
 * mm_arch_map_backing, zero the pages (all entries FRAME_NONE). The caller
 * owns pa[] and must record them as FRAME_TABLE once the chunk is open.
 * E_INVAL (chunk out of range), E_EXIST (already open), or the hook's
 * error, in which case nothing stays mapped.
 */
int frame_chunk_back(uint32_t chunk, const paddr_t pa[FRAME_TABLE_PAGES_PER_CHUNK]);

/* Entry of pa if pa is in a RAM section and its chunk is open; else NULL. */
struct frame *frame_get(paddr_t pa);
/* Index of pa: 0, E_RANGE (beyond 40 bits) or E_NOENT (no RAM section). */
int frame_index(paddr_t pa, uint32_t *idx);

/*
 * Mapping counts of allocated pages, for the mapping code: +1 / -1 on the
 * page at pa. E_INVAL if pa is not an allocated page (or the count is
 * already 0 for unref), E_OVERFLOW when the count would pass
 * FRAME_COUNT_MAX. A block with a mapped page cannot be freed.
 */
int frame_ref(paddr_t pa);
int frame_unref(paddr_t pa);

/*
 * Zero the 2^order pages at pa: through the direct map when they are
 * direct-mapped, else one short-lived kmap per page (DMA32, HIGH).
 * E_NOMEM if a kmap slot is unavailable (pages before it are zeroed).
 */
int frame_zero(paddr_t pa, unsigned order);

struct frame_layout {
	uintptr_t va;             /* region base */
	uintptr_t va_size;        /* region size */
	uintptr_t va_used;        /* bytes of index space (entries * 8) */
	uint64_t section_bytes;   /* RAM bytes per section */
	uint32_t nsec;            /* sections spanned */
	uint32_t nslots;          /* sections with RAM */
	uint32_t nentries;
	uint32_t open_chunks;
	uint64_t backed_bytes;    /* table memory actually mapped */
};
void frame_layout(struct frame_layout *out);
/* Bytes of frame table backed by RAM (the `mem:` line figure). */
uint64_t frame_backed_bytes(void);

/*
 * Walk every open chunk: states and fields valid, allocated blocks whole
 * (head plus tails of the same order and pool), free heads aligned with
 * their tails marked, FRAME_NONE only on holes and reserved pages, and as
 * many FRAME_TABLE pages as table pages mapped. 0 or E_FORMAT (+ *why).
 */
int frame_check(const char **why);

#endif
