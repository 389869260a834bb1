/*
 * buddy: binary buddy allocator of physical frames, one per segment.
 *
 * Blocks are 2^order pages, order 0..BUDDY_MAX_ORDER (4 KiB .. 4 MiB),
 * naturally aligned, never crossing a segment: each segment (DIRECT,
 * DMA32, HIGH; see pmem.h) has its own free lists. Orders 0..9 are
 * doubly linked lists threaded through the frame table's head entries;
 * free order-10 blocks ("max chunks") are bits in a per-segment bitmap and
 * touch no frame-table entry, so that RAM nobody has used costs no frame
 * table. An allocation names the segments to try, in order (a fallback
 * list); the three usual lists are provided below.
 *
 * In front of each segment's lists sits a small LIFO cache of free single
 * pages (FRAME_CACHED, counted as free, merged only when drained), so that
 * order-0 alloc and free neither split nor merge; pool.c reaches it
 * through the two inline fast paths at the end of this header.
 *
 * The buddy allocator is also what grows the frame table: whenever it must
 * write entries of a 4 MiB chunk whose table pages are not mapped yet, it
 * finds two frames for them (buddy.c describes the bootstrap).
 *
 * Locking: every function here is called with the kernel lock held.
 */
#ifndef CAIRN_BUDDY_H
#define CAIRN_BUDDY_H

#include <cairn/error.h>
#include <cairn/frame.h>
#include <cairn/pmem.h>
#include <cairn/types.h>

#define BUDDY_MAX_ORDER 10
#define BUDDY_ORDERS (BUDDY_MAX_ORDER + 1)
_Static_assert(BUDDY_MAX_ORDER == FRAME_CHUNK_ORDER, "a max block is a table chunk");

/* Fallback lists: kernel objects (DIRECT only), 32-bit DMA (DMA32 then
 * DIRECT), user memory (HIGH, DMA32, DIRECT). Use with BUDDY_SEGS(). */
extern const uint8_t buddy_segs_kernel[1];
extern const uint8_t buddy_segs_dma32[2];
extern const uint8_t buddy_segs_user[3];
#define BUDDY_SEGS(list) (list), (unsigned)ARRAY_SIZE(list)

/*
 * Take over pmem's free ranges (pmem_init and frame_init first; any boot
 * steals before) and seal pmem. Whole aligned 4 MiB chunks become bitmap
 * bits; the partial chunks at range edges are opened (frame table backed)
 * and their pages listed. E_NOMEM (+ *why) if a partial chunk cannot get
 * frame-table backing. Re-initialising forgets all previous state.
 */
int buddy_init(const char **why);

/*
 * Allocate a block of 2^order pages from the first segment of segs[0..n)
 * that has one. The block's entries become ALLOC (head) / ALLOC_TAIL, all
 * recording `pool` (a pool id, or FRAME_POOL_KERNEL) and a map count of 0.
 * The contents are not zeroed (frame_zero). Returns 0 and *out = physical
 * address; E_INVAL (order > BUDDY_MAX_ORDER, bad segment, pool > 255),
 * E_NOMEM (no segment can supply it; nothing has changed).
 * Order 0 is served from a per-segment cache of single free pages first
 * (buddy.c: "Order-0 cache"), refilled from the lists in batches.
 * Fast path: a cached page, or a non-empty list at `order` in the first segment (segments
 * later in the list are then not looked at, so not validated either:
 * the lists are kernel constants, never user input).
 */
int buddy_alloc(const uint8_t *segs, unsigned nsegs, unsigned order, unsigned pool,
		paddr_t *out);

/*
 * Free the block of 2^order pages at pa, coalescing with free buddies of
 * the same segment. E_INVAL if pa is not the head of an allocated block of
 * exactly that order (misaligned, not RAM, double free, wrong order);
 * E_BUSY if a page of it is still mapped (map count > 0). On error nothing
 * changes.
 */
int buddy_free(paddr_t pa, unsigned order);
/* buddy_free, and E_INVAL also if the block's recorded pool is not `pool`
 * (pool_frame_free: one lookup for all its checks). */
int buddy_free_pool(paddr_t pa, unsigned order, unsigned pool);

/* Give every segment's cached order-0 pages back to the lists, where they
 * merge (they count as free either way). Pages cached in a segment. */
void buddy_drain_caches(void);

/*
 * The order-0 cache of each segment (buddy.c, "Order-0 cache"): a LIFO
 * stack of free single pages, FRAME_CACHED in the table, with their index
 * and page number (so neither fast path converts). Read-only outside
 * buddy.c but for the two inline fast paths below; 256 bytes, so that a
 * segment's cache is found with a shift.
 */
#define BUDDY_PCP_MAX 31u
struct buddy_pcp {
	uint32_t n;                   /* pages cached; top = e[n - 1] */
	uint32_t reserved0;
	struct {
		uint32_t idx;
		uint32_t pfn;
	} e[BUDDY_PCP_MAX];
};
_Static_assert(sizeof(struct buddy_pcp) == 256, "order-0 cache: 256 bytes per segment");
extern struct buddy_pcp buddy_pcp[PMEM_NSEGS];

/* Fast path of pool_frame_alloc: one page of segment seg (< PMEM_NSEGS,
 * not checked) from its cache, recorded as pool's (<= 255); E_NOMEM if
 * the cache is empty (then buddy_alloc, which refills it). */
static inline int buddy_alloc_cached(unsigned seg, unsigned pool, paddr_t *out)
{
	struct buddy_pcp *c = &buddy_pcp[seg];
	uint32_t n = c->n;
	struct frame *f;

	if (n == 0)
		return E_NOMEM;
	c->n = --n;
	f = frame_at(c->e[n].idx);
	f->w0 = FRAME_ALLOC;
	f->w1 = pool | seg << 8;
	*out = (paddr_t)c->e[n].pfn << PMEM_PAGE_SHIFT;
	return 0;
}

/* Fast path of buddy_free_pool(pa, 0, pool): every check of buddy_free
 * (E_INVAL, E_BUSY, nothing changed), then a push; a full cache takes
 * the out-of-line path, which drains it first. */
static inline int buddy_free_cached(paddr_t pa, unsigned pool)
{
	uint32_t idx, w0, w1, n, pfn = (uint32_t)(pa >> PMEM_PAGE_SHIFT);
	struct buddy_pcp *c;
	struct frame *f;
	unsigned seg;

	if (pa >= PMEM_PHYS_LIMIT || (pa & (PMEM_PAGE_SIZE - 1)) || !frame_pfn_to_idx(pfn, &idx) ||
	    !frame_chunk_is_open(idx >> FRAME_CHUNK_ORDER))
		return E_INVAL;
	f = frame_at(idx);
	w0 = f->w0;
	w1 = f->w1;
	if ((w0 & 0xff) != FRAME_ALLOC || (w1 & 0xff) != pool)
		return E_INVAL;
	if (w0 >> 8)
		return E_BUSY;                   /* mapped */
	seg = (w1 >> 8) & 0xff;
	c = &buddy_pcp[seg];
	n = c->n;
	if (__builtin_expect(n == BUDDY_PCP_MAX, 0))
		return buddy_free_pool(pa, 0, pool);
	f->w0 = FRAME_CACHED;
	f->w1 = seg;
	c->e[n].idx = idx;
	c->e[n].pfn = pfn;
	c->n = n + 1;
	return 0;
}
uint32_t buddy_cached_pages(unsigned seg);

/* Pool id recorded for the allocated block at pa (head or tail page), or
 * E_INVAL if pa is not allocated. */
int buddy_block_pool(paddr_t pa, unsigned *order, unsigned *pool);

/*
 * Boot: record [pa, pa + size), stolen from pmem before buddy_init, as
 * FRAME_KERNEL pages of `pool`, opening their chunks. E_INVAL (not page
 * aligned, not RAM), E_BUSY (a page already has a state), E_NOMEM (no
 * frame-table backing). Pages marked before an E_NOMEM stay marked.
 */
int buddy_mark_kernel(paddr_t pa, uint64_t size, unsigned pool);

/* Is pa inside a free 4 MiB chunk (a bitmap block, no frame-table
 * entries)? For page_info on RAM whose chunk is not open. */
bool buddy_in_free_chunk(paddr_t pa);

/* Counters, per segment. */
uint64_t buddy_free_pages(unsigned seg);
uint64_t buddy_total_pages(unsigned seg);   /* pages given to the buddy at init */
uint32_t buddy_free_blocks(unsigned seg, unsigned order);

/*
 * Invariant walker: every list well linked (prev/next, no cycle), every
 * listed block FREE with the right order and segment, aligned, inside
 * usable RAM of its segment, tails FREE_TAIL, no two free buddies left
 * unmerged, no FREE head outside a list, no free page outside a free
 * block, bitmap chunks whole and usable, counters equal to the walk, and
 * pages handed out = total - free per segment. 0 or E_FORMAT (+ *why).
 */
int buddy_check(const char **why);

#endif
