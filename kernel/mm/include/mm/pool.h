/*
 * pool: named memory pools and per-process quotas (seed 003).
 *
 * A pool is a source of memory with a name and a unit: one pool per
 * physical segment ("direct", "dma32", "high": frames, counted in pages)
 * and one for the kernel object heap ("kheap": counted in bytes). Each
 * pool has a total, the free amount (from the buddy allocator or the heap)
 * and the amount reserved to quotas.
 *
 * A quota is a process's right to hold memory of one pool: a limit, the
 * amount used (charged) and the amount carved into child quotas. A root
 * quota is carved from its pool (the pool's sum of root limits never
 * exceeds what the pool can promise, `quotable`); a child quota is carved
 * from its parent, which reduces the parent's available amount until the
 * child is destroyed. So
 *
 *     available(q) = limit - used - carved,  carved = sum(children's limits)
 *
 * and charging never walks up the tree: O(1). A process holds one quota per
 * pool it may use (storage is the caller's: embed struct quota in the
 * process object).
 *
 * Charging: every frame allocation through pool_frame_alloc charges
 * 2^order pages to the quota, and the frame table records the pool the
 * frame came from; freeing gives the pages back to the buddy and credits
 * the quota that the owner passes back, after checking it is a quota of
 * the frame's recorded pool (the owner -- the capability naming the frame
 * -- remembers which quota paid). Kernel-heap objects record their quota
 * in the object itself (kheap.h), so they are credited without help.
 * Exhaustion is E_NOMEM and leaves nothing charged.
 *
 * Invariants (pool_check): for every quota used + carved <= limit and
 * carved = sum of its children's limits; for every pool reserved = sum of
 * root limits <= quotable, and charged = sum of used over its quotas.
 *
 * Locking: kernel lock.
 */
#ifndef CAIRN_POOL_H
#define CAIRN_POOL_H

#include <lib/error.h>
#include <lib/types.h>
#include <mm/buddy.h>
#include <mm/frame.h>
#include <mm/pmem.h>

enum pool_id {
	POOL_DIRECT = PMEM_SEG_DIRECT,
	POOL_DMA32 = PMEM_SEG_DMA32,
	POOL_HIGH = PMEM_SEG_HIGH,
	POOL_KHEAP = 3,
	POOL_COUNT = 4,
};
#define POOL_ID_KERNEL FRAME_POOL_KERNEL   /* frames the kernel took itself */

enum pool_kind {
	POOL_KIND_FRAMES = 0,      /* unit: 4 KiB pages */
	POOL_KIND_HEAP = 1,        /* unit: bytes of the object heap */
};

struct quota;

/*
 * Amounts are in the pool's unit and fit 32 bits by construction: a
 * segment has at most FRAME_MAX_ENTRIES (2^24) pages and the heap at most
 * KHEAP_OVERRIDE_MAX (256 MiB) bytes; 32-bit counters keep the charge on
 * the object fast path to a handful of instructions on a 32-bit CPU.
 */
struct pool {
	const char *name;
	uint8_t id;
	uint8_t kind;              /* enum pool_kind */
	uint8_t seg;               /* frames: the segment */
	uint32_t total;            /* units in the pool */
	uint32_t quotable;         /* most that root quotas may reserve */
	uint32_t reserved;         /* sum of root quota limits */
	uint32_t charged;          /* sum of `used` over all its quotas */
	uint32_t nquotas;          /* live quotas (all depths) */
	struct quota *roots;       /* root quotas (sibling list) */
	/* frames: for the order-0 fast paths of pool.c */
	struct buddy_pcp *pcp;     /* the segment's order-0 cache (NULL: heap) */
	uint32_t head_w1;          /* frame entry word 1 of a block head of this pool */
};

struct quota {
	struct pool *pool;
	struct quota *parent;      /* NULL for a root */
	struct quota *children;    /* first child */
	struct quota *next;        /* siblings (or the pool's roots) */
	struct quota *prev;
	const char *name;          /* for reports; caller-owned */
	uint32_t limit;
	uint32_t used;
	uint32_t carved;
	uint32_t nchildren;
	uint32_t magic;            /* QUOTA_MAGIC_* of its pool's kind while live */
};
/* The magic says the pool kind too, so that "a live heap quota" is one
 * comparison on the object fast path. */
#define QUOTA_MAGIC_FRAMES 0x51307A5Eu
#define QUOTA_MAGIC_HEAP 0x51307A5Fu
_Static_assert(sizeof(struct quota) <= 5 * sizeof(uint32_t) + 6 * sizeof(void *) + 4,
	       "struct quota budget: 5 words and 6 pointers (44 bytes on ARM)");

/* Flags of pool_frame_alloc. */
#define POOL_F_ZERO 1u             /* zero the block before returning it */

/*
 * Set up the pools from the buddy allocator (buddy_init first) and the
 * heap (kheap_init first; a zero-sized heap gives an empty kheap pool).
 * Forgets all quotas. Frame pools: total = pages given to the buddy,
 * quotable = free pages now - the worst-case growth of the frame table
 * (2 pages per 4 MiB). Heap pool: total = heap bytes, quotable = 7/8 of
 * the bytes objects can use (the rest absorbs slab fragmentation and the
 * kernel's own objects).
 */
void pool_init(void);

/* Pool by id (< POOL_COUNT) or by name; NULL if none. */
struct pool *pool_get(unsigned id);
struct pool *pool_by_name(const char *name);
/* Free units now (buddy free pages, or free heap bytes). */
uint32_t pool_free(const struct pool *p);

/*
 * Create a root quota of `limit` units in pool p, into caller storage q.
 * E_INVAL (NULL, q live already), E_NOMEM (the pool cannot promise that
 * much: reserved + limit > quotable). name is kept by pointer.
 */
int quota_create_root(struct quota *q, struct pool *p, uint64_t limit, const char *name);
/* Carve a child of `limit` units out of parent. E_INVAL, E_NOMEM
 * (limit > quota_available(parent)). */
int quota_create_child(struct quota *q, struct quota *parent, uint64_t limit,
		       const char *name);
/* Destroy: the limit returns to the parent (or the pool). E_BUSY while it
 * has children or charges; E_INVAL if q is not live. */
int quota_destroy(struct quota *q);

static inline bool quota_live(const struct quota *q)
{
	return q && (q->magic == QUOTA_MAGIC_FRAMES || q->magic == QUOTA_MAGIC_HEAP);
}

static inline bool quota_is_heap(const struct quota *q)
{
	return q && q->magic == QUOTA_MAGIC_HEAP;
}

static inline uint32_t quota_available(const struct quota *q)
{
	return q->limit - q->used - q->carved;
}

/* Charge `n` units: 0, or E_NOMEM (over the limit; nothing charged). The
 * caller has checked quota_live(q). O(1). */
static inline int quota_charge(struct quota *q, uint32_t n)
{
	if (n > q->limit - q->used - q->carved)
		return E_NOMEM;
	q->used += n;
	q->pool->charged += n;
	return 0;
}

/* Credit back `n` units charged earlier. n <= q->used (checked by the
 * callers that take n from outside, e.g. pool_frame_free). */
static inline void quota_credit(struct quota *q, uint32_t n)
{
	q->used -= n;
	q->pool->charged -= n;
}

/* The out-of-line halves of pool_frame_alloc and pool_frame_free
 * (pool.c): everything the inline fast paths below leave out, every error
 * included. Callers use pool_frame_alloc and pool_frame_free. */
int pool_frame_alloc_slow(struct quota *q, unsigned order, unsigned flags, paddr_t *out);
int pool_frame_free_slow(struct quota *q, paddr_t pa, unsigned order);

/*
 * Allocate 2^order frames from q's pool (a frames pool), charged to q;
 * the frames record q's pool. flags: POOL_F_ZERO. E_INVAL (q not a live
 * frames quota, bad order or flags), E_NOMEM (quota or pool exhausted).
 * On any error nothing is charged or allocated.
 *
 * Inline fast path: order 0, no flags, a live frames quota with room and
 * a page in the order-0 cache of the quota's segment (buddy.h): pop it,
 * mark its entry allocated, charge. Everything else is
 * pool_frame_alloc_slow.
 */
static inline __attribute__((always_inline)) int pool_frame_alloc(struct quota *q, unsigned order,
								 unsigned flags, paddr_t *out)
{
	struct pool *p;
	uint32_t used;

	if (__builtin_expect((order | flags) != 0, 0))
		goto slow;
	if (__builtin_expect(!q, 0))
		goto slow;
	if (__builtin_expect(!out, 0))
		goto slow;
	if (__builtin_expect(q->magic != QUOTA_MAGIC_FRAMES, 0))
		goto slow;
	used = q->used;
	if (__builtin_expect(q->limit - used - q->carved == 0, 0))
		goto slow;
	p = q->pool;
	if (__builtin_expect(!buddy_pcp_pop(p->pcp, p->head_w1, out), 0))
		goto slow;
	q->used = used + 1;
	p->charged++;
	return 0;
slow:
	return pool_frame_alloc_slow(q, order, flags, out);
}

/* Try quotas qs[0..n) in order (e.g. the process's high, dma32, direct
 * quotas): the first whose quota and pool can supply the block wins.
 * *which (optional) gets its position. Errors as pool_frame_alloc. */
int pool_frame_alloc_any(struct quota *const *qs, unsigned n, unsigned order, unsigned flags,
			 paddr_t *out, unsigned *which);
/*
 * Free the block of 2^order frames at pa and credit q. E_INVAL if q is not
 * live, pa is not the head of an allocated block of that order, the block
 * belongs to another pool than q's, or q was charged less than the block;
 * E_BUSY if a page is still mapped. On error nothing changes.
 *
 * Inline fast path, order 0: every check of the slow path in one lookup
 * of the address (below 40 bits, page aligned, a RAM section, an open
 * chunk; the entry an allocated, unmapped order-0 head of q's pool; q
 * charged), then a push on the segment's order-0 cache and the credit.
 * Anything else, errors included, is pool_frame_free_slow, which tells
 * the errors apart.
 */
static inline __attribute__((always_inline)) int pool_frame_free(struct quota *q, paddr_t pa,
								unsigned order)
{
	struct pool *p;
	struct frame *f;
	uint32_t used, pfn;

	/* (an allocated head of q's pool has word 1 exactly pool | seg << 8,
	 * and the pool's segment is seg; word 0 exactly FRAME_ALLOC means
	 * order 0 and map count 0) */
	if (__builtin_expect(order != 0, 0))
		goto slow;
	if (__builtin_expect(!q, 0))
		goto slow;
	if (__builtin_expect(q->magic != QUOTA_MAGIC_FRAMES, 0))
		goto slow;
	used = q->used;
	if (__builtin_expect(used == 0 ||
			     (uint32_t)(pa >> 32) >= (uint32_t)(PMEM_PHYS_LIMIT >> 32) ||
			     ((uint32_t)pa << (32 - PMEM_PAGE_SHIFT)) != 0, 0))
		goto slow;                       /* beyond 40 bits or not page aligned */
	pfn = (uint32_t)(pa >> PMEM_PAGE_SHIFT);
	if (__builtin_expect(!frame_of_pfn(pfn, &f), 0))
		goto slow;
	p = q->pool;
	if (__builtin_expect(f->w0 != FRAME_ALLOC || f->w1 != p->head_w1, 0))
		goto slow;
	if (__builtin_expect(!buddy_pcp_push(p->pcp, f, pfn), 0))
		goto slow;
	q->used = used - 1;
	p->charged--;
	return 0;
slow:
	return pool_frame_free_slow(q, pa, order);
}

/* Walk every pool's quota tree; 0 or E_FORMAT (+ *why). */
int pool_check(const char **why);

#endif
