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
 * through the two inline fast paths below.
 *
 * The buddy allocator is also what grows the frame table: whenever it must
 * write entries of a 4 MiB chunk whose table pages are not mapped yet, it
 * finds two frames for them (buddy.c describes the bootstrap).
 *
 * Locking: every function here is called with the kernel lock held.
 */
#ifndef CAIRN_BUDDY_H
#define CAIRN_BUDDY_H

#include <lib/error.h>
#include <lib/types.h>
#include <mm/frame.h>
#include <mm/pmem.h>

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
 * stack of free single pages, FRAME_CACHED in the table, each with its
 * entry's address and its page number, so that neither fast path converts
 * between page numbers, indices and entries. Read-only outside buddy.c
 * but for the two inline fast paths below (pool.c reaches a segment's
 * cache through its pool); 256 bytes on ARM.
 */
#define BUDDY_PCP_MAX 31u
struct buddy_pcp_entry {
	struct frame *f;              /* the page's frame-table entry */
	uint32_t pfn;                 /* the page's number */
};
struct buddy_pcp {
	struct buddy_pcp_entry *top;  /* next free entry: e if empty, e + MAX if full */
	uint32_t seg;                 /* the segment it caches */
	struct buddy_pcp_entry e[BUDDY_PCP_MAX];
};
#if UINTPTR_MAX == 0xffffffffu
_Static_assert(sizeof(struct buddy_pcp) == 256, "order-0 cache: 256 bytes per segment");
#endif
extern struct buddy_pcp buddy_pcp[PMEM_NSEGS];

static inline uint32_t buddy_pcp_count(const struct buddy_pcp *c)
{
	return (uint32_t)(c->top - c->e);
}

/* Fast path of pool_frame_alloc: pop a page of cache c and make it an
 * allocated order-0 head whose entry word 1 is w1 (pool | segment << 8).
 * false if the cache is empty (then buddy_alloc, which refills it). */
static inline __attribute__((always_inline)) bool buddy_pcp_pop(struct buddy_pcp *c, uint32_t w1,
								paddr_t *out)
{
	struct buddy_pcp_entry *e = c->top;
	struct frame *f;
	uint32_t pfn;

	if (e == c->e)
		return false;
	e--;
	f = e->f;                     /* both read before any store */
	pfn = e->pfn;
	c->top = e;
	f->w0 = FRAME_ALLOC;
	f->w1 = w1;
	*out = (paddr_t)pfn << PMEM_PAGE_SHIFT;
	return true;
}

/* Fast path of pool_frame_free: cache the page pfn whose entry f the
 * caller found to be an allocated, unmapped order-0 head of c's segment.
 * false if the cache is full (then buddy_free_pool, which drains it). */
static inline __attribute__((always_inline)) bool buddy_pcp_push(struct buddy_pcp *c,
								 struct frame *f, uint32_t pfn)
{
	struct buddy_pcp_entry *e = c->top;

	if (e == &c->e[BUDDY_PCP_MAX])
		return false;
	f->w0 = FRAME_CACHED;
	f->w1 = c->seg;
	e->f = f;
	e->pfn = pfn;
	c->top = e + 1;
	return true;
}

/* Pages in the order-0 cache of seg. */
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
