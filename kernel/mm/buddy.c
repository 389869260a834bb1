/*
 * buddy: per-segment binary buddy allocator over frame-table indices.
 *
 * Design. Blocks are named by their frame index (frame.h): sections are
 * 4 MiB aligned in both address and index space, so the buddy of the block
 * at idx of order o is idx ^ 2^o and never leaves its 4 MiB chunk. Lists
 * for orders 0..9 are threaded through the head entries (24-bit next/prev
 * indices in the 8-byte entry). Free order-10 blocks are bits in a bitmap
 * per segment: nothing in the frame table describes them, and their table
 * pages may not even exist.
 *
 *   chunk (4 MiB) = 1024 entries = 2 table pages
 *   free max chunk:  bitmap bit, no entries touched
 *   opened chunk:    |FREE o=9 ............|ALLOC o=0|FREE o=0|FREE o=8 ...|
 *                     head + FREE_TAILs      head      head     head + tails
 *
 * Invariants (buddy_check): a FREE entry is the head of exactly one listed
 * block of its order and segment; every other page of a free block is
 * FREE_TAIL; two free buddies of the same order and segment never coexist
 * (they are merged at once, up to a max chunk which goes to the bitmap);
 * every listed block lies in an open chunk; pages handed out per segment
 * = pages given at init - free pages.
 *
 * Order-0 cache. In front of each segment's lists sits a LIFO stack of
 * up to PCP_MAX single free pages (after Linux's per-CPU page lists; one
 * per segment here, since everything runs under the kernel lock). Their
 * entries are FRAME_CACHED (segment in word 1), they count as free pages
 * of the segment (buddy_free_pages and the checker add them to the lists'
 * count), and they are on no list, so they never merge while cached. An order-0 alloc pops the stack and an
 * order-0 free pushes onto it: no list links, no buddy lookup, no merge or
 * split, which is what kept the alloc/free pair of one page at ~430
 * instructions (the freed page merged up with its free buddy and the next
 * alloc split the block again). An empty stack is refilled with PCP_BATCH
 * pages taken from the lists (smallest blocks first, as an order-0 alloc
 * would); a full one drains its PCP_BATCH oldest pages back through the
 * merging free path. Nothing is lost to the cache: an alloc that finds no
 * block in a segment drains that segment's cache and tries again (so a
 * higher order, or a 4 MiB chunk, can still be formed), and
 * buddy_drain_caches gives everything back (tests, reports). The frame
 * table's backing pages do not come from the caches: cached pages are
 * scattered over many chunks, and a table page pins its chunk forever.
 *
 * Bootstrap of the frame table (who backs the table pages of a chunk?).
 * A chunk is opened (its two table pages mapped) the first time any of its
 * entries must be written: when a max chunk is split or allocated, or at
 * init for chunks that are only partly free. The two frames come from:
 *   1. the free lists of any segment, HIGH first (kernel structures that
 *      are not reached through the direct map should not use DIRECT): a
 *      listed block is in an open chunk, so taking one frame writes only
 *      entries that already exist; no recursion;
 *   2. else the free pages of the chunk being opened, when it has some not
 *      yet listed (a max chunk being split, a partial chunk at init): its
 *      top pages back its own table pages, whose entries then describe
 *      themselves (FRAME_TABLE) -- the chunk cannot coalesce to 4 MiB again,
 *      which costs one max block per such event, and only when every list
 *      of every segment was empty;
 *   3. else another free max chunk d, split by case 2 into the lists, then
 *      case 1. Depth of recursion: at most 2.
 * A table frame is never given back (the table only grows), so the cost
 * is exactly 8 bytes per page of every chunk ever touched, RAM or not.
 *
 * Locking: kernel lock held by every caller; nothing here blocks.
 */
#include <lib/error.h>
#include <lib/string.h>
#include <mm/buddy.h>
#include <mm/frame.h>
#include <mm/pmem.h>

#define NIL FRAME_NIL
#define CHUNK_PAGES FRAME_CHUNK_PAGES
#define TABLE_PAGES FRAME_TABLE_PAGES_PER_CHUNK
#define PCP_MAX BUDDY_PCP_MAX
#define PCP_BATCH 16u                         /* pages moved per refill or drain */

struct buddy_list {
	uint32_t head;                        /* first block, NIL if empty */
	uint32_t count;                       /* blocks on the list */
};

struct buddy_seg {
	uint32_t free_pages;                  /* < FRAME_MAX_ENTRIES: 32 bits do */
	struct buddy_list list[BUDDY_MAX_ORDER]; /* orders 0..9 */
	uint32_t nmax;                        /* free max chunks (bitmap bits) */
	uint32_t total_pages;
	uint32_t max_hint;                    /* no bit below this word */
	uint32_t maxfree[FRAME_MAX_CHUNKS / 32];
};

/* The order-0 caches (struct buddy_pcp in buddy.h, where the inline fast
 * paths use them). Their pages are not in free_pages (lists and bitmap
 * only); buddy_free_pages adds them. */
struct buddy_pcp buddy_pcp[PMEM_NSEGS] = {
	{ .top = buddy_pcp[0].e, .seg = 0 },
	{ .top = buddy_pcp[1].e, .seg = 1 },
	{ .top = buddy_pcp[2].e, .seg = 2 },
};
_Static_assert(PMEM_NSEGS == 3, "one order-0 cache per segment");

static struct buddy_seg bs[PMEM_NSEGS];
static uint32_t nchunk_words;

const uint8_t buddy_segs_kernel[1] = { PMEM_SEG_DIRECT };
const uint8_t buddy_segs_dma32[2] = { PMEM_SEG_DMA32, PMEM_SEG_DIRECT };
const uint8_t buddy_segs_user[3] = { PMEM_SEG_HIGH, PMEM_SEG_DMA32, PMEM_SEG_DIRECT };
static const uint8_t backing_segs[PMEM_NSEGS] = { PMEM_SEG_HIGH, PMEM_SEG_DMA32,
						  PMEM_SEG_DIRECT };

static int chunk_open(uint32_t c, uint32_t own_lo, uint32_t *own_hi);

/* ------------------------------------------------------------ lists */

static void list_push(struct buddy_seg *s, unsigned seg, uint32_t idx, unsigned order)
{
	uint32_t head = s->list[order].head;

	frame_set_free(frame_at(idx), order, seg, head, NIL);
	if (head != NIL)
		frame_set_prev(frame_at(head), idx);
	s->list[order].head = idx;
	s->list[order].count++;
}

static void list_remove(struct buddy_seg *s, uint32_t idx, unsigned order)
{
	struct frame *f = frame_at(idx);
	uint32_t next = frame_next(f), prev = frame_prev(f);

	if (prev == NIL)
		s->list[order].head = next;
	else
		frame_set_next(frame_at(prev), next);
	if (next != NIL)
		frame_set_prev(frame_at(next), prev);
	s->list[order].count--;
}

/* ------------------------------------------------------------ max chunks */

static void max_insert(struct buddy_seg *s, uint32_t chunk)
{
	s->maxfree[chunk >> 5] |= 1u << (chunk & 31);
	if ((chunk >> 5) < s->max_hint)
		s->max_hint = chunk >> 5;
	s->nmax++;
	s->free_pages += CHUNK_PAGES;
}

static bool max_take(struct buddy_seg *s, uint32_t *chunk)
{
	for (uint32_t w = s->max_hint; w < nchunk_words; w++) {
		uint32_t bits = s->maxfree[w];

		if (bits) {
			unsigned b = (unsigned)__builtin_ctz(bits);

			s->maxfree[w] = bits & (bits - 1);
			s->max_hint = w;
			s->nmax--;
			s->free_pages -= CHUNK_PAGES;
			*chunk = w * 32 + b;
			return true;
		}
	}
	s->max_hint = nchunk_words;
	return false;
}

/* ------------------------------------------------------------ blocks */

static void free_block(unsigned seg, uint32_t idx, unsigned order);
static uint32_t list_take(unsigned seg, unsigned order);
static int take_from_max(unsigned seg, unsigned order, uint32_t *out);

/* ------------------------------------------------------------ order-0 cache */

/* Pop a cached page of seg (its entry is the caller's to set), or NIL. */
static uint32_t pcp_pop(unsigned seg)
{
	struct buddy_pcp *c = &buddy_pcp[seg];

	if (c->top == c->e)
		return NIL;
	return frame_idx_of((--c->top)->f);
}

/* Push page idx of seg on its cache, which has room. */
static void pcp_push(unsigned seg, uint32_t idx, uint32_t pfn)
{
	struct buddy_pcp *c = &buddy_pcp[seg];

	frame_set(frame_at(idx), FRAME_CACHED, 0, seg);
	c->top->f = frame_at(idx);
	c->top->pfn = pfn;
	c->top++;
}

/* Give the n oldest cached pages of seg back to the lists (merging). */
static void pcp_drain(unsigned seg, uint32_t n)
{
	struct buddy_pcp *c = &buddy_pcp[seg];
	uint32_t have = buddy_pcp_count(c);

	if (n > have)
		n = have;
	for (uint32_t i = 0; i < n; i++)
		free_block(seg, frame_idx_of(c->e[i].f), 0);
	memmove(&c->e[0], &c->e[n], (have - n) * sizeof(c->e[0]));
	c->top -= n;
}

/* Refill the empty cache of seg with up to PCP_BATCH pages; how many. */
static uint32_t pcp_refill(unsigned seg)
{
	struct buddy_pcp *c = &buddy_pcp[seg];
	uint32_t n = 0;

	while (n < PCP_BATCH && buddy_pcp_count(c) < PCP_MAX) {
		uint32_t idx = list_take(seg, 0);

		if (idx == NIL && take_from_max(seg, 0, &idx) != 0)
			break;
		pcp_push(seg, idx, frame_idx_to_pfn(idx));
		n++;
	}
	return n;
}

void buddy_drain_caches(void)
{
	for (unsigned seg = 0; seg < PMEM_NSEGS; seg++)
		pcp_drain(seg, PCP_MAX);
}

uint32_t buddy_cached_pages(unsigned seg)
{
	return seg < PMEM_NSEGS ? buddy_pcp_count(&buddy_pcp[seg]) : 0;
}

/*
 * Give the free block [idx, idx + 2^order) to segment seg, merging with
 * free buddies. Its chunk is open and its pages other than idx are
 * FREE_TAIL already.
 */
static void free_block(unsigned seg, uint32_t idx, unsigned order)
{
	struct buddy_seg *s = &bs[seg];

	s->free_pages += 1u << order;
	while (order < BUDDY_MAX_ORDER) {
		uint32_t b = idx ^ (1u << order);
		struct frame *fb = frame_at(b);

		if (frame_state(fb) != FRAME_FREE || frame_order(fb) != order ||
		    frame_seg(fb) != seg)
			break;
		list_remove(s, b, order);
		frame_set(fb, FRAME_FREE_TAIL, 0, 0);
		frame_set(frame_at(idx), FRAME_FREE_TAIL, 0, 0);
		idx &= ~(1u << order);
		order++;
	}
	if (order == BUDDY_MAX_ORDER) {
		frame_set(frame_at(idx), FRAME_FREE_TAIL, 0, 0);
		s->free_pages -= CHUNK_PAGES;   /* max_insert counts it again */
		max_insert(s, idx >> FRAME_CHUNK_ORDER);
	} else {
		list_push(s, seg, idx, order);
	}
}

/* Split the unlisted free block idx of order `from` down to `to`, listing
 * the upper halves; idx itself stays unlisted (the caller takes it). */
static void split_down(unsigned seg, uint32_t idx, unsigned from, unsigned to)
{
	while (from > to) {
		from--;
		list_push(&bs[seg], seg, idx + (1u << from), from);
	}
}

/* Unlisted block of `order` < MAX from the lists of seg, or NIL. */
static uint32_t list_take(unsigned seg, unsigned order)
{
	struct buddy_seg *s = &bs[seg];
	unsigned o = order;
	uint32_t idx;

	while (o < BUDDY_MAX_ORDER && s->list[o].head == NIL)
		o++;
	if (o == BUDDY_MAX_ORDER)
		return NIL;
	idx = s->list[o].head;
	list_remove(s, idx, o);
	split_down(seg, idx, o, order);
	s->free_pages -= 1u << order;
	return idx;
}

/* List [lo, hi) of seg as maximal aligned blocks; pages already FREE_TAIL. */
static void insert_range(unsigned seg, uint32_t lo, uint32_t hi)
{
	while (lo < hi) {
		unsigned o = lo ? (unsigned)__builtin_ctz(lo) : BUDDY_MAX_ORDER;

		if (o > BUDDY_MAX_ORDER)
			o = BUDDY_MAX_ORDER;
		while (lo + (1u << o) > hi)
			o--;
		free_block(seg, lo, o);
		lo += 1u << o;
	}
}

/* Head: ALLOC, order, pool and (bits 8-15 of word 1) the segment, so that
 * buddy_free needs no address comparison; tails: ALLOC_TAIL, order, pool. */
static void mark_alloc(uint32_t idx, unsigned order, unsigned pool, unsigned seg)
{
	uint32_t n = 1u << order;
	struct frame *f = frame_at(idx);

	f->w0 = FRAME_ALLOC | (uint32_t)order << 4;
	f->w1 = (uint32_t)pool | (uint32_t)seg << 8;
	for (uint32_t i = 1; i < n; i++)
		frame_set(f + i, FRAME_ALLOC_TAIL, order, pool);
}

static void fill_free_tail(uint32_t lo, uint32_t hi)
{
	for (uint32_t i = lo; i < hi; i++)
		frame_set(frame_at(i), FRAME_FREE_TAIL, 0, 0);
}

/* ------------------------------------------------------------ growth */

/*
 * Take a free max chunk of seg and make a block of `order` < MAX out of
 * it: open the chunk if needed (possibly backing it with its own top
 * pages), list what is left. Returns the unlisted block in *out.
 */
static int take_from_max(unsigned seg, unsigned order, uint32_t *out)
{
	struct buddy_seg *s = &bs[seg];
	uint32_t d, lo, hi;
	int err;

	if (!max_take(s, &d))
		return E_NOMEM;
	lo = d << FRAME_CHUNK_ORDER;
	hi = lo + CHUNK_PAGES;
	if (!frame_chunk_is_open(d)) {
		err = chunk_open(d, lo, &hi);
		if (err) {
			max_insert(s, d);
			return err;
		}
		fill_free_tail(lo, hi);
	}
	if (hi == lo + CHUNK_PAGES) {
		split_down(seg, lo, BUDDY_MAX_ORDER, order);
		s->free_pages += CHUNK_PAGES - (1u << order);
		*out = lo;
		return 0;
	}
	/* the chunk backs itself: list the rest, then take from the lists */
	insert_range(seg, lo, hi);
	*out = list_take(seg, order);
	return *out == NIL ? E_NOMEM : 0;
}

/* One frame for the frame table, from the lists (case 1 above), or NIL. */
static uint32_t backing_from_lists(void)
{
	for (unsigned i = 0; i < PMEM_NSEGS; i++) {
		uint32_t idx = list_take(backing_segs[i], 0);

		if (idx != NIL) {
			frame_set(frame_at(idx), FRAME_TABLE, 0, FRAME_POOL_KERNEL);
			return idx;
		}
	}
	return NIL;
}

/* One frame for the frame table from a max chunk (case 3), or NIL. */
static uint32_t backing_from_max(void)
{
	for (unsigned i = 0; i < PMEM_NSEGS; i++) {
		uint32_t idx;

		if (take_from_max(backing_segs[i], 0, &idx) == 0) {
			frame_set(frame_at(idx), FRAME_TABLE, 0, FRAME_POOL_KERNEL);
			return idx;
		}
	}
	return NIL;
}

/*
 * Open chunk c. [own_lo, *own_hi) are free pages of c not listed anywhere
 * that may back it (own_hi NULL: none); the pages used are cut off the top
 * and *own_hi lowered. On error everything taken is given back.
 */
static int chunk_open(uint32_t c, uint32_t own_lo, uint32_t *own_hi)
{
	uint32_t took[TABLE_PAGES];
	paddr_t pa[TABLE_PAGES];
	unsigned n = 0, nself = 0;
	int err;

	if (frame_chunk_is_open(c))
		return 0;
	while (n < TABLE_PAGES && (took[n] = backing_from_lists()) != NIL)
		n++;
	if (n < TABLE_PAGES && own_hi)
		nself = MIN(TABLE_PAGES - n, *own_hi - own_lo);
	while (n + nself < TABLE_PAGES) {
		/* a split max chunk refills the lists: use them first */
		took[n] = backing_from_lists();
		if (took[n] == NIL)
			took[n] = backing_from_max();
		if (took[n] == NIL)
			break;
		n++;
	}
	err = n + nself < TABLE_PAGES ? E_NOMEM : 0;
	if (!err) {
		for (unsigned i = 0; i < n; i++)
			pa[i] = frame_idx_to_pa(took[i]);
		for (unsigned j = 0; j < nself; j++)
			pa[n + j] = frame_idx_to_pa(*own_hi - nself + j);
		err = frame_chunk_back(c, pa);
	}
	if (err) {
		for (unsigned i = 0; i < n; i++)
			free_block(pmem_seg_of(frame_idx_to_pa(took[i])), took[i], 0);
		return err;
	}
	for (unsigned j = 0; j < nself; j++)
		frame_set(frame_at(*own_hi - nself + j), FRAME_TABLE, 0, FRAME_POOL_KERNEL);
	if (own_hi)
		*own_hi -= nself;
	return 0;
}

/* ------------------------------------------------------------ API */

static int alloc_max(unsigned seg, unsigned pool, uint32_t *out)
{
	struct buddy_seg *s = &bs[seg];
	uint32_t d;
	int err;

	if (!max_take(s, &d))
		return E_NOMEM;
	err = chunk_open(d, 0, NULL);
	if (err) {
		max_insert(s, d);
		return err;
	}
	*out = d << FRAME_CHUNK_ORDER;
	mark_alloc(*out, BUDDY_MAX_ORDER, pool, seg);
	return 0;
}

/* Everything but the fast path of buddy_alloc. */
static __attribute__((noinline)) int alloc_slow(const uint8_t *segs, unsigned nsegs,
						unsigned order, unsigned pool,
		      paddr_t *out)
{
	uint32_t idx;
	unsigned seg;
	int err;

	if (order > BUDDY_MAX_ORDER || pool > 0xff || !out || !segs)
		return E_INVAL;
	for (unsigned i = 0; i < nsegs; i++)
		if (segs[i] >= PMEM_NSEGS)
			return E_INVAL;
	for (unsigned i = 0; i < nsegs; i++) {
		bool drained = false;

		seg = segs[i];
retry:
		if (order == 0 && (buddy_cached_pages(seg) || pcp_refill(seg))) {
			idx = pcp_pop(seg);
			goto found;
		}
		if (order < BUDDY_MAX_ORDER) {
			idx = list_take(seg, order);
			if (idx != NIL)
				goto found;
			err = take_from_max(seg, order, &idx);
		} else {
			err = alloc_max(seg, pool, &idx);
			if (!err) {
				*out = frame_idx_to_pa(idx);
				return 0;
			}
		}
		if (!err)
			goto found;
		if (err != E_NOMEM)
			return err;
		if (!drained && buddy_cached_pages(seg)) {
			/* cached pages may complete a larger block */
			pcp_drain(seg, PCP_MAX);
			drained = true;
			goto retry;
		}
	}
	return E_NOMEM;
found:
	mark_alloc(idx, order, pool, seg);
	*out = frame_idx_to_pa(idx);
	return 0;
}

int buddy_alloc(const uint8_t *segs, unsigned nsegs, unsigned order, unsigned pool,
		paddr_t *out)
{
	/* fast path: the first segment has a block of this order listed */
	if (__builtin_expect(nsegs != 0 && order < BUDDY_MAX_ORDER && pool <= 0xff, 1)) {
		unsigned seg = segs[0];

		if (seg < PMEM_NSEGS) {
			struct buddy_seg *s = &bs[seg];
			struct buddy_list *l = &s->list[order];
			uint32_t idx;

			/* fastest: a cached page */
			if (order == 0 && buddy_pcp_pop(&buddy_pcp[seg], pool | seg << 8, out))
				return 0;
			idx = l->head;
			if (idx != NIL) {
				struct frame *f = frame_at(idx);
				uint32_t next = frame_next(f);

				l->head = next;
				l->count--;
				s->free_pages -= 1u << order;
				if (next != NIL)
					frame_set_prev(frame_at(next), NIL);
				f->w0 = FRAME_ALLOC | (uint32_t)order << 4;
				f->w1 = (uint32_t)pool | (uint32_t)seg << 8;
				for (uint32_t i = 1; i < (1u << order); i++)
					frame_set(f + i, FRAME_ALLOC_TAIL, order, pool);
				*out = frame_idx_to_pa(idx);
				return 0;
			}
		}
	}
	return alloc_slow(segs, nsegs, order, pool, out);
}

/*
 * buddy_free and buddy_free_pool: one lookup of pa, every check before any
 * change. pool == POOL_ANY: any recorded pool.
 */
#define POOL_ANY 0x100u

static inline int free_checked(paddr_t pa, unsigned order, unsigned pool)
{
	struct frame *f, *fb;
	uint32_t idx, n, head;
	unsigned seg;

	if (order > BUDDY_MAX_ORDER || pa >= PMEM_PHYS_LIMIT ||
	    !frame_pfn_to_idx((uint32_t)(pa >> PMEM_PAGE_SHIFT), &idx) ||
	    (pa & (PMEM_PAGE_SIZE - 1)) || !frame_chunk_is_open(idx >> FRAME_CHUNK_ORDER))
		return E_INVAL;
	n = 1u << order;
	f = frame_at(idx);
	if ((idx & (n - 1)) || (f->w0 & 0xff) != (FRAME_ALLOC | order << 4) ||
	    (pool != POOL_ANY && (f->w1 & 0xff) != pool))
		return E_INVAL;
	if (frame_count(f))
		return E_BUSY;
	seg = (f->w1 >> 8) & 0xff;
	if (order == 0) {
		/* onto the segment's cache (drain half of it if full) */
		if (__builtin_expect(buddy_cached_pages(seg) == PCP_MAX, 0))
			pcp_drain(seg, PCP_BATCH);
		pcp_push(seg, idx, (uint32_t)(pa >> PMEM_PAGE_SHIFT));
		return 0;
	}
	for (uint32_t i = 1; i < n; i++)
		if (frame_count(f + i))
			return E_BUSY;
	/* decided: act */
	for (uint32_t i = 1; i < n; i++)
		frame_set(f + i, FRAME_FREE_TAIL, 0, 0);
	if (order == BUDDY_MAX_ORDER)
		goto merge;
	fb = frame_at(idx ^ n);
	if (frame_state(fb) == FRAME_FREE && frame_order(fb) == order && frame_seg(fb) == seg)
		goto merge;
	/* the buddy is not free: push on the list */
	{
		struct buddy_seg *s = &bs[seg];
		struct buddy_list *l = &s->list[order];

		head = l->head;
		frame_set_free(f, order, seg, head, NIL);
		if (head != NIL)
			frame_set_prev(frame_at(head), idx);
		l->head = idx;
		l->count++;
		s->free_pages += n;
	}
	return 0;
merge:
	free_block(seg, idx, order);
	return 0;
}

int buddy_free(paddr_t pa, unsigned order)
{
	return free_checked(pa, order, POOL_ANY);
}

int buddy_free_pool(paddr_t pa, unsigned order, unsigned pool)
{
	return free_checked(pa, order, pool & 0xff);
}

int buddy_block_pool(paddr_t pa, unsigned *order, unsigned *pool)
{
	struct frame *f = frame_get(pa);

	if (!f || (frame_state(f) != FRAME_ALLOC && frame_state(f) != FRAME_ALLOC_TAIL))
		return E_INVAL;
	if (order)
		*order = frame_order(f);
	if (pool)
		*pool = frame_pool(f);
	return 0;
}

/* [pa, pa + size) is RAM throughout (banks are sorted; adjacent ones
 * together may cover it). */
static bool ram_covers(paddr_t pa, uint64_t size)
{
	struct pmem_range r;

	for (unsigned i = 0; size && pmem_ram_range(i, &r); i++)
		if (pa >= r.base && pa - r.base < r.size) {
			uint64_t n = MIN(size, r.base + r.size - pa);

			pa += n;
			size -= n;
		}
	return size == 0;
}

int buddy_mark_kernel(paddr_t pa, uint64_t size, unsigned pool)
{
	const uint64_t chunk = (uint64_t)CHUNK_PAGES * PMEM_PAGE_SIZE;
	paddr_t end = pa + size, p, next;
	uint32_t idx;

	if (!IS_ALIGNED(pa | size, (uint64_t)PMEM_PAGE_SIZE) || size == 0 || pool > 0xff ||
	    end < pa || !ram_covers(pa, size))
		return E_INVAL;
	/* A 4 MiB-aligned piece is one run of indices (sections are aligned
	 * and at least a chunk long): one lookup per piece, not per page. */
	for (p = pa; p < end; p = next) {
		next = MIN(ALIGN_DOWN(p, chunk) + chunk, end);
		if (frame_index(p, &idx))
			return E_INVAL;
	}
	for (p = pa; p < end; p = next) {
		uint32_t n;
		int err;

		next = MIN(ALIGN_DOWN(p, chunk) + chunk, end);
		n = (uint32_t)((next - p) >> PMEM_PAGE_SHIFT);
		frame_index(p, &idx);
		err = chunk_open(idx >> FRAME_CHUNK_ORDER, 0, NULL);
		if (err)
			return err;
		for (uint32_t i = 0; i < n; i++) {
			if (frame_state(frame_at(idx + i)) != FRAME_NONE)
				return E_BUSY;
			frame_set(frame_at(idx + i), FRAME_KERNEL, 0, pool);
		}
	}
	return 0;
}

int buddy_init(const char **why)
{
	struct pmem_range r;
	unsigned seg;
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	memset(bs, 0, sizeof(bs));
	memset(buddy_pcp, 0, sizeof(buddy_pcp));
	for (unsigned s = 0; s < PMEM_NSEGS; s++) {
		buddy_pcp[s].top = buddy_pcp[s].e;
		buddy_pcp[s].seg = s;
	}
	for (unsigned s = 0; s < PMEM_NSEGS; s++)
		for (unsigned o = 0; o < BUDDY_MAX_ORDER; o++)
			bs[s].list[o].head = NIL;
	nchunk_words = ((frame_map.nentries >> FRAME_CHUNK_ORDER) + 31) / 32;

	/* pass 1: whole chunks into the bitmaps (no table needed) */
	for (unsigned i = 0; pmem_free_range(i, &r, &seg); i++) {
		uint32_t lo, last, hi;

		if (frame_index(r.base, &lo) || frame_index(r.base + r.size - 1, &last) ||
		    last - lo + 1 != r.size >> PMEM_PAGE_SHIFT) {
			*why = "a free range is not contiguous in the frame index";
			return E_FORMAT;
		}
		hi = last + 1;
		bs[seg].total_pages += hi - lo;
		for (uint32_t c = ALIGN_UP(lo, CHUNK_PAGES); c + CHUNK_PAGES <= hi; c += CHUNK_PAGES)
			max_insert(&bs[seg], c >> FRAME_CHUNK_ORDER);
	}
	/* pass 2: the partial chunks at the edges of each range */
	for (unsigned i = 0; pmem_free_range(i, &r, &seg); i++) {
		uint32_t lo, hi, part[2][2];
		unsigned nparts = 0;

		frame_index(r.base, &lo);
		hi = lo + (uint32_t)(r.size >> PMEM_PAGE_SHIFT);
		if (ALIGN_UP(lo, CHUNK_PAGES) >= hi) {
			if (!(IS_ALIGNED(lo, CHUNK_PAGES) && hi - lo == CHUNK_PAGES)) {
				part[0][0] = lo;
				part[0][1] = hi;
				nparts = 1;
			}
		} else {
			if (!IS_ALIGNED(lo, CHUNK_PAGES)) {
				part[nparts][0] = lo;
				part[nparts][1] = ALIGN_UP(lo, CHUNK_PAGES);
				nparts++;
			}
			if (!IS_ALIGNED(hi, CHUNK_PAGES)) {
				part[nparts][0] = ALIGN_DOWN(hi, CHUNK_PAGES);
				part[nparts][1] = hi;
				nparts++;
			}
		}
		for (unsigned p = 0; p < nparts; p++) {
			uint32_t plo = part[p][0], phi = part[p][1];
			int err = chunk_open(plo >> FRAME_CHUNK_ORDER, plo, &phi);

			if (err) {
				*why = "no frame-table backing for a partial chunk";
				return err;
			}
			fill_free_tail(plo, phi);
			insert_range(seg, plo, phi);
		}
	}
	pmem_seal();
	return 0;
}

bool buddy_in_free_chunk(paddr_t pa)
{
	uint32_t idx, c;

	if (frame_index(pa, &idx))
		return false;
	c = idx >> FRAME_CHUNK_ORDER;
	for (unsigned s = 0; s < PMEM_NSEGS; s++)
		if ((bs[s].maxfree[c >> 5] >> (c & 31)) & 1)
			return true;
	return false;
}

uint64_t buddy_free_pages(unsigned seg)
{
	return seg < PMEM_NSEGS ? (uint64_t)bs[seg].free_pages + buddy_cached_pages(seg) : 0;
}

uint64_t buddy_total_pages(unsigned seg)
{
	return seg < PMEM_NSEGS ? bs[seg].total_pages : 0;
}

uint32_t buddy_free_blocks(unsigned seg, unsigned order)
{
	if (seg >= PMEM_NSEGS || order > BUDDY_MAX_ORDER)
		return 0;
	return order == BUDDY_MAX_ORDER ? bs[seg].nmax : bs[seg].list[order].count;
}

/* ------------------------------------------------------------ check */

/* Every page of the 2^order block at idx is RAM, unreserved, in seg. A
 * block is one physical run (sections are aligned and at least a block
 * long) and segments are address intervals, so this is a question about
 * ranges, answered in time independent of the block's size: the checker
 * stays cheap on 64 GiB. */
static bool block_usable(uint32_t idx, unsigned order, unsigned seg)
{
	paddr_t pa = frame_idx_to_pa(idx);
	uint64_t size = (uint64_t)PMEM_PAGE_SIZE << order;

	return ram_covers(pa, size) && !pmem_overlaps_reserved(pa, size) &&
	       pmem_seg_of(pa) == seg && pmem_seg_of(pa + size - 1) == seg;
}

static const char *check_lists(unsigned seg)
{
	const struct buddy_seg *s = &bs[seg];
	uint64_t pages = 0;

	for (unsigned o = 0; o < BUDDY_MAX_ORDER; o++) {
		uint32_t idx = s->list[o].head, prev = NIL, count = 0;

		while (idx != NIL) {
			const struct frame *f;
			uint32_t b;

			if (idx >= frame_map.nentries || ++count > frame_map.nentries)
				return "list index out of range or cycle";
			if (!frame_chunk_is_open(idx >> FRAME_CHUNK_ORDER))
				return "listed block in a chunk that is not open";
			f = frame_at(idx);
			if (frame_state(f) != FRAME_FREE || frame_order(f) != o ||
			    frame_seg(f) != seg)
				return "listed block with wrong state, order or segment";
			if (frame_prev(f) != prev)
				return "list back link broken";
			if (idx & ((1u << o) - 1))
				return "listed block misaligned";
			if (!block_usable(idx, o, seg))
				return "listed block outside usable RAM of its segment";
			for (uint32_t i = 1; i < (1u << o); i++)
				if (frame_state(frame_at(idx + i)) != FRAME_FREE_TAIL)
					return "page inside a listed block is not FREE_TAIL";
			b = idx ^ (1u << o);
			if (frame_state(frame_at(b)) == FRAME_FREE && frame_order(frame_at(b)) == o &&
			    frame_seg(frame_at(b)) == seg)
				return "two free buddies left unmerged";
			prev = idx;
			idx = frame_next(f);
		}
		if (count != s->list[o].count)
			return "list length differs from its counter";
		pages += (uint64_t)count << o;
	}
	{
		uint32_t nbits = 0;

		for (uint32_t w = 0; w < FRAME_MAX_CHUNKS / 32; w++) {
			uint32_t bits = s->maxfree[w];

			if (bits && (w >= nchunk_words || w < s->max_hint))
				return "max-chunk bit beyond the index or below the hint";
			for (; bits; bits &= bits - 1) {
				uint32_t c = w * 32 + (uint32_t)__builtin_ctz(bits);

				nbits++;
				for (unsigned t = 0; t < PMEM_NSEGS; t++)
					if (t != seg && (bs[t].maxfree[w] >> (c & 31) & 1))
						return "a max chunk is free in two segments";
				if (!block_usable(c << FRAME_CHUNK_ORDER, BUDDY_MAX_ORDER, seg))
					return "free max chunk outside usable RAM of its segment";
			}
		}
		if (nbits != s->nmax)
			return "max-chunk count differs from the bitmap";
		pages += (uint64_t)nbits * CHUNK_PAGES;
	}
	if ((uintptr_t)buddy_pcp[seg].top < (uintptr_t)buddy_pcp[seg].e ||
	    buddy_cached_pages(seg) > PCP_MAX || buddy_pcp[seg].seg != seg)
		return "order-0 cache over its size or of the wrong segment";
	for (uint32_t i = 0; i < buddy_cached_pages(seg); i++) {
		uintptr_t off = (uintptr_t)buddy_pcp[seg].e[i].f - (uintptr_t)frame_map.table;
		uint32_t idx = (uint32_t)(off / sizeof(struct frame));
		const struct frame *f;

		if (off % sizeof(struct frame) ||
		    off / sizeof(struct frame) >= frame_map.nentries ||
		    !frame_chunk_is_open(idx >> FRAME_CHUNK_ORDER))
			return "cached page out of range or in a chunk that is not open";
		if (buddy_pcp[seg].e[i].pfn != frame_idx_to_pfn(idx))
			return "cached page with a wrong page number";
		f = frame_at(idx);
		if (frame_state(f) != FRAME_CACHED || f->w0 >> 4 || f->w1 != seg)
			return "cached page not FRAME_CACHED of its segment";
		if (!block_usable(idx, 0, seg))
			return "cached page outside usable RAM of its segment";
	}
	if (pages != s->free_pages)
		return "free page counter differs from the lists";
	if ((uint64_t)s->free_pages + buddy_cached_pages(seg) > s->total_pages)
		return "more free pages than pages given";
	return NULL;
}

/* Walk open chunks: no orphan FREE heads/tails; count pages handed out. */
static const char *check_chunks(uint64_t used[PMEM_NSEGS])
{
	uint32_t nchunks = frame_map.nentries >> FRAME_CHUNK_ORDER;
	uint32_t heads[PMEM_NSEGS][BUDDY_MAX_ORDER], cached[PMEM_NSEGS] = { 0 };

	memset(heads, 0, sizeof(heads));
	for (uint32_t c = 0; c < nchunks; c++) {
		uint32_t base = c << FRAME_CHUNK_ORDER, i = 0;
		bool maxfree = false;

		if (!frame_chunk_is_open(c))
			continue;
		for (unsigned s = 0; s < PMEM_NSEGS; s++)
			maxfree |= (bs[s].maxfree[c >> 5] >> (c & 31)) & 1;
		while (i < CHUNK_PAGES) {
			const struct frame *f = frame_at(base + i);
			unsigned st = frame_state(f);

			if (maxfree && st != FRAME_FREE_TAIL)
				return "a free max chunk has a page that is not FREE_TAIL";
			if (st == FRAME_FREE) {
				if (frame_seg(f) >= PMEM_NSEGS || frame_order(f) >= BUDDY_MAX_ORDER)
					return "FREE head with bad segment or order";
				heads[frame_seg(f)][frame_order(f)]++;
				i += 1u << frame_order(f);
				continue;
			}
			if (st == FRAME_FREE_TAIL && !maxfree)
				return "FREE_TAIL page outside any free block";
			if (st == FRAME_CACHED) {
				if (f->w1 >= PMEM_NSEGS)
					return "cached page with a bad segment";
				cached[f->w1]++;
			}
			if (st == FRAME_ALLOC || st == FRAME_ALLOC_TAIL || st == FRAME_TABLE)
				used[pmem_seg_of(frame_idx_to_pa(base + i))]++;
			i++;
		}
	}
	for (unsigned s = 0; s < PMEM_NSEGS; s++)
		for (unsigned o = 0; o < BUDDY_MAX_ORDER; o++)
			if (heads[s][o] != bs[s].list[o].count)
				return "a FREE head is not on its list";
	for (unsigned s = 0; s < PMEM_NSEGS; s++)
		if (cached[s] != buddy_cached_pages(s))
			return "FRAME_CACHED pages and the cache differ (lost or twice cached)";
	return NULL;
}

int buddy_check(const char **why)
{
	uint64_t used[PMEM_NSEGS] = { 0 };
	const char *bad = NULL, *dummy;

	if (!why)
		why = &dummy;
	for (unsigned s = 0; s < PMEM_NSEGS && !bad; s++)
		bad = check_lists(s);
	if (!bad)
		bad = check_chunks(used);
	for (unsigned s = 0; s < PMEM_NSEGS && !bad; s++)
		if (used[s] != bs[s].total_pages - bs[s].free_pages - buddy_cached_pages(s))
			bad = "pages handed out differ from total - free";
	*why = bad;
	return bad ? E_FORMAT : 0;
}
