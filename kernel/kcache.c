/*
 * kcache: typed object caches on the boot-sized heap (see cairn/kheap.h).
 *
 * Design (slab allocation after Bonwick, with SLUB's free list in the
 * objects): a cache owns slabs of 2^k heap pages, each aligned to its size
 * and starting with a struct kslab. Every slot is
 *
 *   | object (size bytes) | red zone (debug) | quota pointer | pad |
 *
 * and a slot's state is its trailer: a live quota (allocated), NULL (free,
 * on the slab's free list) or QUARANTINE (found corrupted; never reused).
 * A slab sits on exactly one of two lists: full (no free slot) or partial
 * (at least one free slot, possibly all of them). A slab with every slot
 * free ("empty": nothing in use, nothing quarantined) can go back to the
 * heap; a cache keeps at most one, its `spare`, which stays where it is on
 * the partial list, and gives the others back at once, so a
 * free-everything leaves the heap as it was, bar one slab per cache
 * (kcache_reap gives that one back too). Allocation takes from the first
 * partial slab, else a new slab.
 *
 * Fast paths: alloc = quota check + pop + trailer store; free = mask to
 * the slab, a multiply by the precomputed reciprocal to validate the slot,
 * push + credit. Relisting a slab happens only when it becomes full or
 * stops being full. An alloc/free pair on a slab that goes empty and back
 * (the common "one object at a time" pattern) touches no list at all: the
 * slab is the spare already, so nothing is released or relinked (before
 * the spare, it moved partial -> empty -> partial each time, ~160
 * instructions per pair). `tools/bench` (kcache_alloc_free) measures it.
 *
 * Debug mode: a free object is filled with POISON (bar its link word) and
 * its red zone with RZ_FREE; an allocated one has RZ_LIVE in its red zone.
 * Alloc checks the poison (use after free), free checks the red zone
 * (overflow). A corrupted object is quarantined and E_FORMAT returned:
 * kernel data structure corruption is reported, and the test suite checks
 * that it is, without aborting.
 *
 * Invariants (kcache_check): per slab, objects in use (= per_slab - nfree
 * - quarantined, not stored) match the slots' trailers, the free list has
 * nfree in-bounds slots with NULL trailers, and the slab is on the list
 * its counts say; per cache, sums agree, and at most one slab is empty,
 * which is then the spare.
 * Locking: kernel lock.
 */
#include <cairn/error.h>
#include <cairn/kheap.h>
#include <cairn/pool.h>
#include <cairn/string.h>

#define KCACHE_MAGIC 0xCAC4E5EDu
#define KSLAB_MAGIC 0x51AB51ABu
#define POISON 0x6b
#define RZ_LIVE 0xcc
#define RZ_FREE 0xbb
#define REDZONE_MIN 8u

enum { LIST_PARTIAL = 0, LIST_FULL = 1 };

struct kslab {
	uint32_t magic;
	uint32_t nfree;          /* slots on the free list */
	uint16_t quarantined;    /* slots found corrupted */
	uint8_t list;            /* LIST_* it is on */
	uint8_t reserved0;
	struct kcache *cache;
	struct kslab *next;
	struct kslab *prev;
	void *free;              /* first free slot */
};
_Static_assert(sizeof(struct kslab) <= 16 + 4 * sizeof(void *), "slab header: 28 bytes on ARM");

/* Trailer of a quarantined slot: never a quota address, and next to NULL
 * so that "free or quarantined" is one unsigned comparison on free. */
#define QUARANTINE ((struct quota *)(uintptr_t)1)

static struct kcache *caches;
static bool debug_default;

void kheap_set_debug(bool on)
{
	debug_default = on;
}

void kcache_forget_all(void)
{
	caches = NULL;
}

struct kcache *kcache_first(void)
{
	return caches;
}

/* ------------------------------------------------------------ slots */

static uint32_t obj_bytes(const struct kcache *c)
{
	return MAX(c->size, (uint32_t)sizeof(void *));
}

static struct quota **trailer_of(const struct kcache *c, void *obj)
{
	return (struct quota **)((char *)obj + c->trailer);
}

static bool all_bytes(const void *p, int v, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != (unsigned char)v)
			return false;
	return true;
}

/* Debug: a free slot still holds its poison and free red zone. */
static bool free_slot_intact(const struct kcache *c, void *obj)
{
	uint32_t ob = obj_bytes(c);

	return all_bytes((char *)obj + sizeof(void *), POISON, ob - sizeof(void *)) &&
	       all_bytes((char *)obj + ob, RZ_FREE, c->trailer - ob);
}

static bool live_redzone_intact(const struct kcache *c, void *obj)
{
	uint32_t ob = obj_bytes(c);

	return all_bytes((char *)obj + ob, RZ_LIVE, c->trailer - ob);
}

static void poison_free_slot(const struct kcache *c, void *obj)
{
	uint32_t ob = obj_bytes(c);

	memset(obj, POISON, ob);
	memset((char *)obj + ob, RZ_FREE, c->trailer - ob);
}

/* ------------------------------------------------------------ slab lists */

static struct kslab **list_head(struct kcache *c, unsigned list)
{
	return list == LIST_PARTIAL ? &c->partial : &c->full;
}

static void slab_unlink(struct kcache *c, struct kslab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		*list_head(c, s->list) = s->next;
	if (s->next)
		s->next->prev = s->prev;
}

static void slab_link(struct kcache *c, struct kslab *s, unsigned list)
{
	struct kslab **head = list_head(c, list);

	s->list = (uint8_t)list;
	s->prev = NULL;
	s->next = *head;
	if (*head)
		(*head)->prev = s;
	*head = s;
}

/* Objects in use in s (derived, so the fast paths keep one counter). */
static uint32_t slab_inuse(const struct kcache *c, const struct kslab *s)
{
	return c->per_slab - s->nfree - s->quarantined;
}

/* Full: no free slot; partial: at least one (empty slabs included). */
static unsigned slab_list_for(const struct kslab *s)
{
	return s->nfree == 0 ? LIST_FULL : LIST_PARTIAL;
}

/* Every slot free (so nothing quarantined either). */
static bool slab_empty(const struct kcache *c, const struct kslab *s)
{
	return s->nfree == c->per_slab;
}

static void slab_release(struct kcache *c, struct kslab *s)
{
	slab_unlink(c, s);
	if (c->spare == s)
		c->spare = NULL;
	s->magic = 0;
	c->nslabs--;
	kheap_page_free(s, c->slab_order);
}

/* s has just become empty: it is the spare now, unless another spare is
 * still empty, in which case s goes back to the heap. */
static void slab_emptied(struct kcache *c, struct kslab *s)
{
	struct kslab *sp = c->spare;

	if (sp && sp != s && slab_empty(c, sp))
		slab_release(c, s);
	else
		c->spare = s;
}

/* Put s on the list its counts call for, and apply the spare rule if it
 * is empty. */
static void slab_relist(struct kcache *c, struct kslab *s)
{
	unsigned want = slab_list_for(s);

	if (want != s->list) {
		slab_unlink(c, s);
		slab_link(c, s, want);
	}
	if (slab_empty(c, s) && c->spare != s)
		slab_emptied(c, s);
}

/* Tail of the fast paths when a slab changes list: a tail call, so that
 * the fast paths themselves need no stack frame for a call. */
static __attribute__((noinline)) int slab_relist0(struct kcache *c, struct kslab *s)
{
	slab_relist(c, s);
	return 0;
}

static int slab_new(struct kcache *c, struct kslab **out)
{
	struct kslab *s;
	void *mem;
	int err = kheap_page_alloc(c->slab_order, &mem);

	if (err)
		return err;
	s = mem;
	memset(s, 0, sizeof(*s));
	s->magic = KSLAB_MAGIC;
	s->cache = c;
	for (uint32_t i = c->per_slab; i-- > 0;) {
		void *obj = (char *)s + c->first + (uintptr_t)i * c->stride;

		if (c->flags & KCACHE_F_DEBUG)
			poison_free_slot(c, obj);
		*trailer_of(c, obj) = NULL;
		*(void **)obj = s->free;
		s->free = obj;
	}
	s->nfree = c->per_slab;
	c->nslabs++;
	slab_link(c, s, LIST_PARTIAL);
	*out = s;
	return 0;
}

/* ------------------------------------------------------------ API */

int kcache_create(struct kcache *c, const char *name, uint32_t size, uint32_t align,
		  uint32_t flags)
{
	uint32_t ob, trailer, stride, first = 0, per = 0, order;
	const uint32_t ptr = (uint32_t)sizeof(void *);

	if (!c || c->magic == KCACHE_MAGIC || size == 0 || size > (1u << 16) ||
	    (align & (align - 1)) || align > KHEAP_PAGE_SIZE || (flags & ~KCACHE_F_DEBUG) ||
	    kheap_size() == 0)
		return E_INVAL;
	if (debug_default)
		flags |= KCACHE_F_DEBUG;
	align = MAX(align, ptr);
	ob = MAX(size, ptr);
	trailer = ALIGN_UP(ob + ((flags & KCACHE_F_DEBUG) ? REDZONE_MIN : 0), ptr);
	stride = ALIGN_UP(trailer + ptr, align);
	for (order = 0; order <= KHEAP_MAX_SLAB_ORDER; order++) {
		uint32_t bytes = KHEAP_PAGE_SIZE << order;

		first = ALIGN_UP((uint32_t)sizeof(struct kslab), align);
		per = bytes > first ? (bytes - first) / stride : 0;
		if (per >= 8)
			break;
	}
	if (order > KHEAP_MAX_SLAB_ORDER) {
		order = KHEAP_MAX_SLAB_ORDER;
		if (per == 0)
			return E_INVAL;
	}
	memset(c, 0, sizeof(*c));
	strlcpy(c->name, name ? name : "?", sizeof(c->name));
	c->size = size;
	c->align = align;
	c->stride = stride;
	c->trailer = trailer;
	c->first = first;
	c->per_slab = per;
	c->span = per * stride;
	c->recip = (uint32_t)((((uint64_t)1 << 32) + stride - 1) / stride);
	c->slab_order = (uint8_t)order;
	c->slab_mask = ~((uintptr_t)(KHEAP_PAGE_SIZE << order) - 1);
	c->heap_base = (uintptr_t)kheap_va();
	c->heap_size = (uintptr_t)kheap_size();
	c->flags = (uint8_t)flags;
	c->magic = KCACHE_MAGIC;
	c->next = caches;
	caches = c;
	return 0;
}

int kcache_destroy(struct kcache *c)
{
	if (!c || c->magic != KCACHE_MAGIC)
		return E_INVAL;
	if (kcache_inuse(c))
		return E_BUSY;
	while (c->partial)
		slab_release(c, c->partial);
	while (c->full)
		slab_release(c, c->full);
	for (struct kcache **pp = &caches; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->magic = 0;
	return 0;
}

/* Everything kcache_alloc does not do inline: argument errors, a new or
 * recycled slab, debug checks. */
static __attribute__((noinline)) int alloc_slow(struct kcache *c, struct quota *q, void **out)
{
	struct kslab *s;
	void *obj;
	int err;

	if (!c || c->magic != KCACHE_MAGIC || !quota_is_heap(q) || !out)
		return E_INVAL;
	err = quota_charge(q, c->stride);
	if (err)
		return err;
	s = c->partial;
	if (!s && (err = slab_new(c, &s)) != 0) {
		quota_credit(q, c->stride);
		return err;
	}
	obj = s->free;
	if ((c->flags & KCACHE_F_DEBUG) && !free_slot_intact(c, obj)) {
		/* written after it was freed: take it out of service */
		s->free = *(void **)obj;
		s->nfree--;
		s->quarantined++;
		*trailer_of(c, obj) = QUARANTINE;
		c->corrupt++;
		slab_relist(c, s);
		quota_credit(q, c->stride);
		return E_FORMAT;
	}
	s->free = *(void **)obj;
	s->nfree--;
	if (s->nfree == 0)
		slab_relist(c, s);
	*trailer_of(c, obj) = q;
	if (c->flags & KCACHE_F_DEBUG) {
		uint32_t ob = obj_bytes(c);

		memset(obj, POISON, sizeof(void *));
		memset((char *)obj + ob, RZ_LIVE, c->trailer - ob);
	}
	*out = obj;
	return 0;
}

int kcache_alloc(struct kcache *c, struct quota *q, void **out)
{
	struct kslab *s = c->partial;
	struct pool *p;
	uint32_t stride, nfree;
	void *obj;

	/* fast path: a partial slab, no debug, a live heap quota with room */
	if (__builtin_expect(!s || (c->flags & KCACHE_F_DEBUG) || !quota_is_heap(q), 0))
		return alloc_slow(c, q, out);
	stride = c->stride;
	if (__builtin_expect(stride > q->limit - q->used - q->carved, 0))
		return alloc_slow(c, q, out);
	q->used += stride;
	p = q->pool;
	p->charged += stride;
	obj = s->free;
	*trailer_of(c, obj) = q;
	*out = obj;
	s->free = *(void **)obj;
	nfree = s->nfree - 1;
	s->nfree = nfree;
	if (__builtin_expect(nfree == 0, 0))
		return slab_relist0(c, s);       /* now full */
	return 0;
}

/* Free with the debug red-zone check (and poisoning). */
static __attribute__((noinline)) int free_debug(struct kcache *c, struct kslab *s, void *obj,
						struct quota *q)
{
	bool was_full = s->nfree == 0;

	if (!live_redzone_intact(c, obj)) {
		/* overflowed: quarantine it, but the process paid, so credit */
		*trailer_of(c, obj) = QUARANTINE;
		s->quarantined++;
		c->corrupt++;
		if (quota_is_heap(q))
			quota_credit(q, c->stride);
		slab_relist(c, s);
		return E_FORMAT;
	}
	quota_credit(q, c->stride);
	poison_free_slot(c, obj);
	*trailer_of(c, obj) = NULL;
	*(void **)obj = s->free;
	s->free = obj;
	s->nfree++;
	if (was_full || s->nfree == c->per_slab)
		slab_relist(c, s);
	return 0;
}

int kcache_free(struct kcache *c, void *obj)
{
	struct kslab *s;
	struct quota *q;
	uintptr_t off;
	uint32_t nfree, stride;

	/* O(1) validation, also outside debug mode: in the heap, a slab of
	 * this cache, the start of a slot (reciprocal multiply), allocated */
	if (!c || (uintptr_t)obj - c->heap_base >= c->heap_size)
		return E_INVAL;                  /* NULL or not in the heap */
	s = (struct kslab *)((uintptr_t)obj & c->slab_mask);
	off = (uintptr_t)obj - (uintptr_t)s - c->first;   /* huge if below first */
	stride = c->stride;
	if (s->magic != KSLAB_MAGIC || s->cache != c || off >= c->span ||
	    (uint32_t)(((uint64_t)off * c->recip) >> 32) * stride != off)
		return E_INVAL;                  /* not the start of a slot of c */
	q = *trailer_of(c, obj);
	if ((uintptr_t)q <= (uintptr_t)QUARANTINE)
		return E_INVAL;                  /* double free (NULL), or quarantined */
	if (__builtin_expect(c->flags & KCACHE_F_DEBUG, 0))
		return free_debug(c, s, obj, q);
	q->used -= stride;
	q->pool->charged -= stride;
	*trailer_of(c, obj) = NULL;
	*(void **)obj = s->free;
	s->free = obj;
	nfree = s->nfree;
	s->nfree = nfree + 1;
	/* relist only if it was full, or is now empty and not the spare */
	if (__builtin_expect(nfree == 0 || (nfree + 1 == c->per_slab && c->spare != s), 0))
		return slab_relist0(c, s);
	return 0;
}

unsigned kcache_reap(struct kcache *c)
{
	unsigned n = 0;

	if (!c || c->magic != KCACHE_MAGIC)
		return 0;
	for (struct kslab *s = c->partial, *next; s; s = next) {
		next = s->next;
		if (slab_empty(c, s)) {
			slab_release(c, s);
			n++;
		}
	}
	return n;
}

uint32_t kcache_inuse(const struct kcache *c)
{
	const struct kslab *lists[2] = { c->partial, c->full };
	uint32_t n = 0;

	for (unsigned l = 0; l < 2; l++)
		for (const struct kslab *s = lists[l]; s; s = s->next)
			n += slab_inuse(c, s);
	return n;
}

uint64_t kcache_bytes(const struct kcache *c)
{
	return (uint64_t)c->nslabs * (KHEAP_PAGE_SIZE << c->slab_order);
}

/* ------------------------------------------------------------ check */

static const char *check_slab(const struct kcache *c, const struct kslab *s, unsigned list)
{
	uint32_t nfree = 0, nused = 0, nquar = 0;
	const char *base = (const char *)s + c->first;
	uintptr_t span = (uintptr_t)c->per_slab * c->stride;
	const void *p = s->free;

	if (s->magic != KSLAB_MAGIC || s->cache != c)
		return "slab with a bad magic or cache";
	if (((uintptr_t)s & ~c->slab_mask) != 0)
		return "slab not aligned to its size";
	if (s->list != list || slab_list_for(s) != list)
		return "slab on the wrong list for its counts";
	if (s->nfree + s->quarantined > c->per_slab)
		return "slab counts do not add up";
	while (p) {
		uintptr_t off = (uintptr_t)p - (uintptr_t)base;

		if ((uintptr_t)p < (uintptr_t)base || off >= span || off % c->stride)
			return "free list points outside the slab or between slots";
		if (++nfree > s->nfree)
			return "free list longer than counted (cycle?)";
		if (*trailer_of(c, (void *)p) != NULL)
			return "free-list object has a trailer";
		if ((c->flags & KCACHE_F_DEBUG) && !free_slot_intact(c, (void *)p))
			return "free object written after free (poison damaged)";
		p = *(void *const *)p;
	}
	if (nfree != s->nfree)
		return "free list shorter than counted";
	for (uint32_t i = 0; i < c->per_slab; i++) {
		void *obj = (char *)base + (uintptr_t)i * c->stride;
		struct quota *q = *trailer_of(c, obj);

		if (q == QUARANTINE) {
			nquar++;
		} else if (q) {
			nused++;
			if ((c->flags & KCACHE_F_DEBUG) && !live_redzone_intact(c, obj))
				return "allocated object overflowed its red zone";
			if (!quota_is_heap(q))
				return "allocated object without a live heap quota";
		}
	}
	if (nused != slab_inuse(c, s) || nquar != s->quarantined)
		return "slot trailers disagree with the slab counts";
	return NULL;
}

int kcache_check(const struct kcache *c, const char **why)
{
	const struct kslab *lists[2];
	uint32_t nslabs = 0, nempty = 0;
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (!c || c->magic != KCACHE_MAGIC) {
		*why = "not a live cache";
		return E_FORMAT;
	}
	lists[LIST_PARTIAL] = c->partial;
	lists[LIST_FULL] = c->full;
	for (unsigned l = 0; l < 2; l++) {
		const struct kslab *prev = NULL;

		for (const struct kslab *s = lists[l]; s; s = s->next) {
			if (++nslabs > c->nslabs) {
				*why = "more slabs on the lists than counted";
				return E_FORMAT;
			}
			if (s->prev != prev) {
				*why = "slab list back link broken";
				return E_FORMAT;
			}
			*why = check_slab(c, s, l);
			if (*why)
				return E_FORMAT;
			if (slab_empty(c, s)) {
				if (s != c->spare) {
					*why = "an empty slab that is not the cache's spare";
					return E_FORMAT;
				}
				nempty++;
			}
			prev = s;
		}
	}
	if (nslabs != c->nslabs || nempty > 1) {
		*why = "cache counters differ from its slabs";
		return E_FORMAT;
	}
	return 0;
}
