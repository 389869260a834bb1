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
 * Layer 2, object caches (kcache.c, slab style after Bonwick and SLUB):
 * one cache per object type, with a name, an object size and alignment;
 * slabs of 2^k heap pages aligned to their size, header at the start, the
 * free objects of a slab linked through their first word. Alloc pops the
 * first free object of the first partial slab, free pushes it back: O(1),
 * no division (the slab of an object is its address masked); a cache
 * keeps one empty slab, its spare, in place on the partial list. Each object
 * slot ends with a trailer holding the quota that paid for it, so free
 * credits the right process without help (NULL in free slots: a double
 * free is detected). In debug mode (cache flag, or kheap_set_debug before
 * creating caches) free objects are poisoned (0x6b) and each object has a
 * red zone after it (0xcc while allocated, 0xbb while free) checked on
 * alloc, on free and by kcache_check; a corrupted object is reported
 * (E_FORMAT) and quarantined, never reused, never a panic.
 *
 *   slab (2^k pages, aligned):
 *   | kslab header | obj | rz | quota* | obj | rz | quota* | ... |
 *                  <------- stride ------>
 *
 * Locking: kernel lock. Nothing here sleeps; alloc and free are callable
 * with interrupts masked.
 */
#ifndef CAIRN_KHEAP_H
#define CAIRN_KHEAP_H

#include <cairn/pool.h>
#include <cairn/types.h>

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

struct kslab;

struct kcache {
	char name[KCACHE_NAME_MAX];
	uint32_t size;          /* object size as asked */
	uint32_t align;         /* object alignment */
	uint32_t stride;        /* bytes per slot (object, red zone, trailer) */
	uint32_t trailer;       /* offset of the quota pointer in a slot */
	uint32_t first;         /* offset of slot 0 in a slab */
	uint32_t per_slab;      /* slots per slab */
	uint32_t span;          /* per_slab * stride */
	uint32_t recip;         /* ceil(2^32 / stride): slot index by multiply */
	uintptr_t slab_mask;    /* ~(slab bytes - 1) */
	uintptr_t heap_base;    /* the heap, so free rejects foreign pointers */
	uintptr_t heap_size;
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

/*
 * Allocate one object, charged (stride bytes) to q, a live quota of the
 * kheap pool. Contents are undefined (poisoned in debug mode). E_INVAL (q
 * not a heap quota, c not a cache), E_NOMEM (quota or heap exhausted:
 * nothing charged), E_FORMAT (debug: the free object about to be handed
 * out was written after its free; it is quarantined, nothing charged).
 */
int kcache_alloc(struct kcache *c, struct quota *q, void **out);
/*
 * Free an object of c and credit the quota recorded in it. E_INVAL (not an
 * object of c, or already free), E_FORMAT (debug: its red zone was
 * overwritten; the object is quarantined and its quota credited).
 */
int kcache_free(struct kcache *c, void *obj);
/* Give empty slabs back to the heap (one is kept otherwise); count. */
unsigned kcache_reap(struct kcache *c);
/*
 * Walk c: slab lists and counters, free lists (bounds, alignment, no
 * cycle), slots' trailers, and in debug mode poison of free objects and
 * red zones of all objects. 0 or E_FORMAT (+ *why); never aborts.
 */
int kcache_check(const struct kcache *c, const char **why);

/* Objects of c in use (walks c's slabs: for reports and tests). */
uint32_t kcache_inuse(const struct kcache *c);
/* Bytes of heap held by c's slabs. */
uint64_t kcache_bytes(const struct kcache *c);
/* All live caches (creation order reversed), for reports. */
struct kcache *kcache_first(void);
/* Debug mode for caches created from now on. */
void kheap_set_debug(bool on);
/* Internal to kheap.c/kcache.c: kheap_init forgets every cache. */
void kcache_forget_all(void);

#endif
