/*
 * kheap: the fixed, boot-sized kernel object heap, and typed object caches.
 *
 * The heap is one physically contiguous region of DIRECT memory taken at
 * boot (pmem_steal), reached through the direct map, and never grown: its
 * size is fixed by kheap_size_for() from the amount of RAM, or by the
 * `kheap=SIZE` kernel argument. This is option 1 of seed 000 without its
 * weakness: device memory needs no per-page heap structure (devrange.h),
 * so nothing scales with the size of device ranges, and running out is an
 * error returned to the caller, charged to the process that caused it.
 *
 * Layer 1, heap pages (kheap.c): the region is cut into 4 KiB pages; two
 * bitmaps in the first page(s) of the region say which are in use and
 * where blocks start; blocks of 2^order pages (order <=
 * KHEAP_MAX_SLAB_ORDER) are allocated naturally aligned by first fit.
 * Only the caches use this layer.
 *
 * Layer 2, object caches (kcache.c, slab style after Bonwick and SLUB,
 * with Bonwick's magazines): one cache per object type, with a name, an
 * object size and alignment; slabs of 2^k heap pages aligned to their
 * size, header at the start, the free objects of a slab linked through
 * their first word; in front of them, per cache, a magazine: a LIFO array
 * of up to KCACHE_MAG free objects. kcache_alloc and kcache_free are
 * inline and touch only the magazine, the quota and the object's slot
 * header (O(1), no division, no list); the slabs are refilled from and
 * drained into in batches, out of line. Each slot starts with two words:
 * a check word (object address XOR cache address, present only in live
 * slabs of that cache: free refuses anything else in O(1)) and the quota
 * that paid for the object, so free credits the right process without
 * help (NULL in free slots: a double free is detected). In debug mode
 * (cache flag, or kheap_set_debug before creating caches) there is no
 * magazine, free objects are poisoned (0x6b) and each object has a red
 * zone after it (0xcc while allocated, 0xbb while free) checked on alloc,
 * on free and by kcache_check; a corrupted object is reported (E_FORMAT)
 * and quarantined, never reused, never a panic.
 *
 *   slab (2^k pages, aligned):
 *   | kslab header | chk | quota* | obj | rz | chk | quota* | obj | rz | ... |
 *                  <-------- stride --------->
 *
 * Locking: kernel lock. Nothing here sleeps; alloc and free are callable
 * with interrupts masked.
 */
#ifndef CAIRN_KHEAP_H
#define CAIRN_KHEAP_H

#include <lib/types.h>
#include <mm/pool.h>

#define KHEAP_PAGE_SIZE 4096u
#define KHEAP_MAX_SLAB_ORDER 4                       /* slabs up to 64 KiB */
#define KHEAP_GRANULE (KHEAP_PAGE_SIZE << KHEAP_MAX_SLAB_ORDER)
#define KHEAP_FORMULA_MIN MiB(1)
#define KHEAP_FORMULA_MAX MiB(64)
#define KHEAP_OVERRIDE_MIN KiB(256)
#define KHEAP_OVERRIDE_MAX MiB(256)

/*
 * The heap size for `ram_bytes` of RAM:
 *     clamp(round_down(ram / 64, 64 KiB), 1 MiB, 64 MiB)
 * (1 GiB -> 16 MiB, 128 MiB -> 2 MiB, 6 GiB -> 64 MiB). docs/memory.md
 * explains the choice.
 */
uint64_t kheap_size_for(uint64_t ram_bytes);

/*
 * The size to use: `override` (bytes from kheap=SIZE, 0 if absent) rounded
 * up to 64 KiB when it lies in [KHEAP_OVERRIDE_MIN, KHEAP_OVERRIDE_MAX]
 * and leaves at least half of `direct_free` for other uses; else the
 * formula (also capped to a quarter of direct_free, rounded down to 64
 * KiB), with *warn saying why the override was ignored (NULL if not).
 * Returns 0 for a machine too small for even 64 KiB.
 */
uint64_t kheap_choose_size(uint64_t ram_bytes, uint64_t direct_free, uint64_t override,
			   const char **warn);

/*
 * Take [pa, pa + size) mapped at va as the heap. size a multiple of 64 KiB,
 * va 64 KiB aligned (slabs are aligned to their size). E_INVAL (size),
 * E_ALIGN (va). Forgets all caches (re-initialising is for tests).
 */
int kheap_init(paddr_t pa, void *va, uint64_t size, const char **why);

/* Layer 1: 2^order aligned heap pages (order <= KHEAP_MAX_SLAB_ORDER).
 * E_INVAL, E_NOMEM. Contents undefined. */
int kheap_page_alloc(unsigned order, void **out);
/* E_INVAL if va is not an allocated block of that order. */
int kheap_page_free(void *va, unsigned order);

uint64_t kheap_size(void);          /* bytes of the region */
uint64_t kheap_usable_bytes(void);  /* region minus the page bitmap */
uint64_t kheap_free_bytes(void);    /* heap pages not allocated */
paddr_t kheap_pa(void);
void *kheap_va(void);
/* Bitmap and counters agree; 0 or E_FORMAT (+ *why). */
int kheap_check(const char **why);

/* ----------------------------------------------------------- caches */

#define KCACHE_F_DEBUG 1u       /* poisoning and red zones */
#define KCACHE_NAME_MAX 24
#define KCACHE_MAG 16u          /* most free objects a cache's magazine holds */
/* Every slot starts with two words before its object: the slot's check
 * word (its object's address XOR its cache's, written when the slab is
 * made, cleared when it goes back to the heap) and the quota that paid
 * for the object (NULL while it is free). */
#define KCACHE_HDR (2 * sizeof(uintptr_t))
#define KCACHE_WORD_SHIFT (sizeof(uintptr_t) == 8 ? 3 : 2)

struct kslab;

struct kcache {
	/* read by the inline fast paths below; keep them first */
	void **mag_top;         /* next free entry of mag[] (== mag: empty) */
	void **mag_lim;         /* mag + capacity (== mag in debug mode: no magazine) */
	uintptr_t obj_lo;       /* lowest address an object can have (heap + header) */
	uintptr_t obj_words;    /* (highest - lowest) / word size: the range check */
	uint32_t stride;        /* bytes per slot (header, object, red zone, padding) */
	uint32_t size;          /* object size as asked */
	void *mag[KCACHE_MAG];  /* the magazine: free objects, LIFO (taken, for their slabs) */
	char name[KCACHE_NAME_MAX];
	uint32_t align;         /* object alignment */
	uint32_t redzone;       /* bytes of red zone after the object (debug) */
	uint32_t first;         /* offset of slot 0's object in a slab */
	uint32_t per_slab;      /* slots per slab */
	uint32_t span;          /* per_slab * stride */
	uint32_t recip;         /* ceil(2^32 / stride): slot index by multiply */
	uint32_t mag_cap;       /* magazine capacity (0 in debug mode) */
	uintptr_t slab_mask;    /* ~(slab bytes - 1) */
	uint8_t slab_order;     /* slab = 2^slab_order heap pages */
	uint8_t flags;
	uint16_t reserved0;
	struct kslab *partial;  /* slabs with a free slot (empty ones too) */
	struct kslab *full;     /* slabs with no free slot */
	struct kslab *spare;    /* the one empty slab kept, if it is still empty */
	uint32_t nslabs;
	uint32_t corrupt;       /* objects found corrupted (quarantined) */
	uint32_t magic;
	struct kcache *next;    /* all caches, for reports */
};

/*
 * Create a cache of objects of `size` bytes aligned to `align` (a power of
 * two <= 4096; 0 means pointer alignment) in caller storage c (static, in
 * practice). flags: KCACHE_F_DEBUG. name is copied (truncated). E_INVAL
 * (size 0, bad align, object too big for a 64 KiB slab, c live already,
 * heap not initialised).
 */
int kcache_create(struct kcache *c, const char *name, uint32_t size, uint32_t align,
		  uint32_t flags);
/* Release every slab. E_BUSY while objects are in use (quarantined
 * objects do not count: they are dropped). */
int kcache_destroy(struct kcache *c);

/* The out-of-line halves of kcache_alloc and kcache_free (kcache.c):
 * everything the inline fast paths below leave out. Callers use
 * kcache_alloc and kcache_free. */
int kcache_alloc_slow(struct kcache *c, struct quota *q, void **out);
int kcache_free_slow(struct kcache *c, void *obj);

/*
 * Allocate one object, charged (stride bytes) to q, a live quota of the
 * kheap pool. Contents are undefined (poisoned in debug mode). E_INVAL (q
 * not a heap quota, c not a cache), E_NOMEM (quota or heap exhausted:
 * nothing charged), E_FORMAT (debug: the free object about to be handed
 * out was written after its free; it is quarantined, nothing charged).
 *
 * Inline fast path: a live heap quota with room and an object in the
 * magazine: charge, pop, record the quota in the slot. Anything else
 * (empty magazine, debug mode, any error) is kcache_alloc_slow.
 */
static inline __attribute__((always_inline)) int kcache_alloc(struct kcache *c, struct quota *q,
							      void **out)
{
	void **top = c->mag_top;
	uint32_t stride = c->stride;
	uintptr_t *obj;

	/* (top <= mag also sends a cache never created, all zeros, to the slow
	 * path, which refuses it) */
	if (__builtin_expect(!q, 0))
		goto slow;
	if (__builtin_expect((uintptr_t)top <= (uintptr_t)c->mag, 0))
		goto slow;
	if (__builtin_expect(q->magic != QUOTA_MAGIC_HEAP, 0))
		goto slow;
	if (__builtin_expect(stride > q->limit - q->used - q->carved, 0))
		goto slow;
	q->used += stride;
	q->pool->charged += stride;
	obj = *--top;
	c->mag_top = top;
	obj[-1] = (uintptr_t)q;
	*out = obj;
	return 0;
slow:
	return kcache_alloc_slow(c, q, out);
}

/*
 * Free an object of c and credit the quota recorded in it. E_INVAL (not an
 * object of c, or already free), E_FORMAT (debug: its red zone was
 * overwritten; the object is quarantined and its quota credited).
 *
 * Inline fast path, every check in O(1) whatever the caller passes: the
 * address lies in the heap and is word aligned (one compare of the
 * rotated offset), the slot's check word says it is the start of a slot
 * of c, the slot's quota word says it is allocated (NULL: free, so a
 * double free; 1: quarantined). Then credit, clear the quota word and
 * push on the magazine; a full magazine (or debug mode) is
 * kcache_free_slow, which drains half of it to the slabs.
 */
static inline __attribute__((always_inline)) int kcache_free(struct kcache *c, void *obj)
{
	const unsigned sh = KCACHE_WORD_SHIFT;
	uintptr_t o = (uintptr_t)obj, d, *w;
	struct quota *q;
	void **top;
	uint32_t stride;

	if (!c)
		return E_INVAL;
	d = o - c->obj_lo;
	if (((d >> sh) | (d << (8 * sizeof(uintptr_t) - sh))) >= c->obj_words)
		return E_INVAL;                  /* outside the heap, or misaligned */
	/* o is a heap address now, whatever object the caller's pointer came
	 * from; when that was a variable the compiler can see (a test), it
	 * would warn about w[-2] of it: the range check above makes the loads
	 * safe, so the warning is off for them. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
	w = (uintptr_t *)o;                      /* header: w[-2] check, w[-1] quota */
	if ((w[-2] ^ o) != (uintptr_t)c)
		return E_INVAL;                  /* not the start of a slot of c */
	q = (struct quota *)w[-1];
	if ((uintptr_t)q <= 1)
		return E_INVAL;                  /* free (double free) or quarantined */
	top = c->mag_top;
	if (__builtin_expect(top == c->mag_lim, 0))
		return kcache_free_slow(c, obj);
	stride = c->stride;
	q->used -= stride;
	q->pool->charged -= stride;
	w[-1] = 0;
#pragma GCC diagnostic pop
	*top++ = obj;
	c->mag_top = top;
	return 0;
}

/* Give the magazine's objects back to their slabs and empty slabs back
 * to the heap (one is kept otherwise); how many slabs. */
unsigned kcache_reap(struct kcache *c);
/*
 * Walk c: the magazine (bounds; each entry a free slot of c, on no free
 * list, once), slab lists and counters, free lists (bounds, alignment, no
 * cycle), slots' check and quota words, and in debug mode poison of free
 * objects and red zones of all objects. 0 or E_FORMAT (+ *why); never
 * aborts.
 */
int kcache_check(const struct kcache *c, const char **why);

/* Objects of c in use (walks c's slabs, less the magazine: for reports
 * and tests). */
uint32_t kcache_inuse(const struct kcache *c);
/* Call fn on every object of c in use (not free, not quarantined), in
 * slab order, until it returns non-zero (returned). fn must not allocate
 * from or free to c. For the invariant walkers (syscall/kcheck.h). */
int kcache_each(const struct kcache *c, int (*fn)(void *obj, void *arg), void *arg);
/* Bytes of heap held by c's slabs. */
uint64_t kcache_bytes(const struct kcache *c);
/* All live caches (creation order reversed), for reports. */
struct kcache *kcache_first(void);
/* Debug mode for caches created from now on. */
void kheap_set_debug(bool on);
/* Objects in c's magazine. */
static inline uint32_t kcache_magazine(const struct kcache *c)
{
	return (uint32_t)(c->mag_top - (void *const *)c->mag);
}
/* Incremented by each kheap_init: the caches list (kcache.c) belongs to
 * one heap and starts empty on a new one. */
uint32_t kheap_generation(void);

#endif
