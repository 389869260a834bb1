/*
 * kcache: typed object caches on the boot-sized heap (see mm/kheap.h).
 *
 * Design (slab allocation after Bonwick, with SLUB's free list in the
 * objects and Bonwick's magazine in front): a cache owns slabs of 2^k heap
 * pages, each aligned to its size and starting with a struct kslab. Every
 * slot is
 *
 *   | check word | quota word | object (size bytes) | red zone (debug) | pad |
 *                             ^ the object's address; the two words are at -2, -1
 *
 * The check word is the object's address XOR the cache's, written for
 * every slot when the slab is made and cleared when the slab goes back to
 * the heap: only the start of a slot of a live slab of that cache carries
 * it. The quota word is the slot's state: a live quota (allocated), NULL
 * (free: on the slab's free list or in the cache's magazine) or
 * QUARANTINE (found corrupted; never reused).
 *
 * Slab layer. A slab sits on exactly one of two lists: full (no free slot)
 * or partial (at least one free slot, possibly all of them). A slab with
 * every slot free ("empty") can go back to the heap; a cache keeps at most
 * one, its `spare`, which stays where it is on the partial list, and gives
 * the others back at once. Taking a slot takes from the first partial
 * slab, else a new slab.
 *
 * Magazine. In front of the slabs, each cache keeps a LIFO array of free
 * objects (KCACHE_MAG, or one slab's worth if a slab holds fewer), which
 * its slabs count as taken. The inline fast paths (kheap.h) only touch
 * the magazine, the quota and the slot's quota word: alloc = quota check,
 * pop, charge, store the quota word; free = range and alignment (one
 * compare of the rotated offset), check word, quota word, credit, clear,
 * push. The slab bookkeeping happens here, in batches: an empty magazine
 * is refilled with half its capacity from the slabs, a full one gives its
 * older half back to them (slab_put: free list, counts, relisting, the
 * spare rule). When the heap has no page for a new slab, the other
 * caches' magazines are emptied and their empty slabs given back first
 * (shrink_others), so a magazine never makes an allocation fail that
 * would succeed without it. Debug caches have no magazine (capacity 0):
 * every alloc and free goes through the slab layer and its checks.
 *
 * Debug mode: a free object is filled with POISON (bar its link word) and
 * its red zone with RZ_FREE; an allocated one has RZ_LIVE in its red zone.
 * Alloc checks the poison (use after free), free checks the red zone
 * (overflow). A corrupted object is quarantined and E_FORMAT returned:
 * kernel data structure corruption is reported, and the test suite checks
 * that it is, without aborting.
 *
 * Invariants (kcache_check): the magazine within bounds, each of its
 * entries a slot of the cache with a NULL quota word, on no free list,
 * once; per slab, every check word right, slots taken (= per_slab - nfree
 * - quarantined, not stored) = quota words set + magazine entries in it,
 * the free list has nfree in-bounds slots with NULL quota words, and the
 * slab is on the list its counts say; per cache, sums agree, and at most
 * one slab is empty, which is then the spare.
 * Locking: kernel lock.
 */
#include <lib/error.h>
#include <lib/log.h>
#include <lib/string.h>
#include <mm/kheap.h>
#include <mm/pool.h>

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
_Static_assert(offsetof(struct kcache, mag_top) == 0, "fast-path fields first");

/* Quota word of a quarantined slot: never a quota address, and next to
 * NULL so that "free or quarantined" is one unsigned comparison on free. */
#define QUARANTINE ((struct quota *)(uintptr_t)1)

static struct kcache *caches;
static uint32_t caches_heap;         /* kheap_generation() the list belongs to */

/* The caches of the current heap: a heap made anew (kheap_init) starts
 * with none (the old list points into the old heap). */
static struct kcache **cache_list(void)
{
	if (caches_heap != kheap_generation()) {
		caches = NULL;
		caches_heap = kheap_generation();
	}
	return &caches;
}
static bool debug_default;

void kheap_set_debug(bool on)
{
	debug_default = on;
}

struct kcache *kcache_first(void)
{
	return *cache_list();
}

/* ------------------------------------------------------------ slots */

static uint32_t obj_bytes(const struct kcache *c)
{
	return MAX(c->size, (uint32_t)sizeof(void *));
}

/* The two header words of obj's slot: [0] check word, [1] quota. */
static uintptr_t *hdr_of(const void *obj)
{
	return (uintptr_t *)((uintptr_t)obj - KCACHE_HDR);
}

static struct quota *slot_quota(const void *obj)
{
	return (struct quota *)hdr_of(obj)[1];
}

static void set_slot_quota(void *obj, struct quota *q)
{
	hdr_of(obj)[1] = (uintptr_t)q;
}

static uintptr_t check_word(const struct kcache *c, const void *obj)
{
	return (uintptr_t)obj ^ (uintptr_t)c;
}

static void *slot_at(const struct kcache *c, const struct kslab *s, uint32_t i)
{
	return (char *)s + c->first + (uintptr_t)i * c->stride;
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
	       all_bytes((char *)obj + ob, RZ_FREE, c->redzone);
}

static bool live_redzone_intact(const struct kcache *c, void *obj)
{
	return all_bytes((char *)obj + obj_bytes(c), RZ_LIVE, c->redzone);
}

static void poison_free_slot(const struct kcache *c, void *obj)
{
	uint32_t ob = obj_bytes(c);

	memset(obj, POISON, ob);
	memset((char *)obj + ob, RZ_FREE, c->redzone);
}

/*
 * The slab of obj if obj is the start of a slot of one of c's slabs
 * (every check, not only the fast path's: in the heap and aligned, a slab
 * header of c, a slot boundary by the reciprocal multiply, the check
 * word), else NULL.
 */
static struct kslab *slot_slab(const struct kcache *c, const void *obj)
{
	uintptr_t o = (uintptr_t)obj, d = o - c->obj_lo, off;
	struct kslab *s;

	if ((d & (sizeof(uintptr_t) - 1)) || (d >> KCACHE_WORD_SHIFT) >= c->obj_words)
		return NULL;
	s = (struct kslab *)(o & c->slab_mask);
	off = o - (uintptr_t)s - c->first;       /* huge if below slot 0 */
	if (s->magic != KSLAB_MAGIC || s->cache != c || off >= c->span ||
	    (uint32_t)(((uint64_t)off * c->recip) >> 32) * c->stride != off)
		return NULL;
	if (hdr_of(obj)[0] != check_word(c, obj))
		return NULL;
	return s;
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

/* Slots of s not free in it: objects in use, in the magazine or
 * quarantined are not counted here (derived, so that the slab paths keep
 * one counter). */
static uint32_t slab_taken(const struct kcache *c, const struct kslab *s)
{
	return c->per_slab - s->nfree - s->quarantined;
}

/* Full: no free slot; partial: at least one (empty slabs included). */
static unsigned slab_list_for(const struct kslab *s)
{
	return s->nfree == 0 ? LIST_FULL : LIST_PARTIAL;
}

/* Every slot free (so nothing quarantined, in use or in the magazine). */
static bool slab_empty(const struct kcache *c, const struct kslab *s)
{
	return s->nfree == c->per_slab;
}

static void slab_release(struct kcache *c, struct kslab *s)
{
	slab_unlink(c, s);
	if (c->spare == s)
		c->spare = NULL;
	/* no check word may outlive the slab: a stale pointer into this
	 * memory must never pass for an object of c again */
	for (uint32_t i = 0; i < c->per_slab; i++) {
		uintptr_t *h = hdr_of(slot_at(c, s, i));

		h[0] = 0;
		h[1] = 0;
	}
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

static unsigned shrink_others(const struct kcache *c);

static int slab_new(struct kcache *c, struct kslab **out)
{
	struct kslab *s;
	void *mem;
	int err = kheap_page_alloc(c->slab_order, &mem);

	/* out of heap: other caches' magazines and spare slabs may hold
	 * whole slabs; give them back and try once more */
	if (err == E_NOMEM && shrink_others(c))
		err = kheap_page_alloc(c->slab_order, &mem);
	if (err)
		return err;
	s = mem;
	memset(s, 0, sizeof(*s));
	s->magic = KSLAB_MAGIC;
	s->cache = c;
	for (uint32_t i = c->per_slab; i-- > 0;) {
		void *obj = slot_at(c, s, i);
		uintptr_t *h = hdr_of(obj);

		if (c->flags & KCACHE_F_DEBUG)
			poison_free_slot(c, obj);
		h[0] = check_word(c, obj);
		h[1] = 0;
		*(void **)obj = s->free;
		s->free = obj;
	}
	s->nfree = c->per_slab;
	c->nslabs++;
	slab_link(c, s, LIST_PARTIAL);
	*out = s;
	return 0;
}

/* Take a free slot from the slabs (the first partial slab, else a new
 * one); its quota word stays NULL. */
static int slab_get(struct kcache *c, void **out)
{
	struct kslab *s = c->partial;
	void *obj;
	int err;

	if (!s && (err = slab_new(c, &s)) != 0)
		return err;
	obj = s->free;
	s->free = *(void **)obj;
	s->nfree--;
	if (s->nfree == 0)
		slab_relist(c, s);      /* now full */
	*out = obj;
	return 0;
}

/* Give a free slot (quota word NULL) back to its slab. */
static void slab_put(struct kcache *c, void *obj)
{
	struct kslab *s = (struct kslab *)((uintptr_t)obj & c->slab_mask);
	bool was_full = s->nfree == 0;

	*(void **)obj = s->free;
	s->free = obj;
	s->nfree++;
	if (was_full || slab_empty(c, s))
		slab_relist(c, s);
}

/* ------------------------------------------------------------ magazine */

/* Refill the empty magazine with up to half its capacity; 0 if it got at
 * least one object, else the slabs' error (E_NOMEM). */
static int mag_refill(struct kcache *c)
{
	uint32_t want = (c->mag_cap + 1) / 2;
	int err = 0;

	for (uint32_t i = 0; i < want; i++) {
		void *obj;

		err = slab_get(c, &obj);
		if (err)
			break;
		*c->mag_top++ = obj;
	}
	return c->mag_top != c->mag ? 0 : err;
}

/* Give the n oldest objects of the magazine back to their slabs. */
static void mag_drain(struct kcache *c, uint32_t n)
{
	uint32_t have = kcache_magazine(c);

	if (n > have)
		n = have;
	for (uint32_t i = 0; i < n; i++)
		slab_put(c, c->mag[i]);
	memmove(&c->mag[0], &c->mag[n], (have - n) * sizeof(c->mag[0]));
	c->mag_top -= n;
}

static unsigned release_empty(struct kcache *c)
{
	unsigned n = 0;

	for (struct kslab *s = c->partial, *next; s; s = next) {
		next = s->next;
		if (slab_empty(c, s)) {
			slab_release(c, s);
			n++;
		}
	}
	return n;
}

/* Heap exhausted while c needs a slab: empty every other cache's
 * magazine and give their empty slabs back. Slabs released. */
static unsigned shrink_others(const struct kcache *c)
{
	unsigned n = 0;

	for (struct kcache *k = *cache_list(); k; k = k->next) {
		if (k == c)
			continue;
		mag_drain(k, KCACHE_MAG);
		n += release_empty(k);
	}
	return n;
}

/* ------------------------------------------------------------ API */

int kcache_create(struct kcache *c, const char *name, uint32_t size, uint32_t align,
		  uint32_t flags)
{
	uint32_t ob, rz, stride, first = 0, per = 0, order;
	const uint32_t ptr = (uint32_t)sizeof(void *), hdr = (uint32_t)KCACHE_HDR;
	uint64_t usable = kheap_usable_bytes();

	if (!c || c->magic == KCACHE_MAGIC || size == 0 || size > (1u << 16) ||
	    (align & (align - 1)) || align > KHEAP_PAGE_SIZE || (flags & ~KCACHE_F_DEBUG) ||
	    kheap_size() == 0)
		return E_INVAL;
	if (debug_default)
		flags |= KCACHE_F_DEBUG;
	align = MAX(align, ptr);
	ob = MAX(size, ptr);
	rz = (flags & KCACHE_F_DEBUG) ? REDZONE_MIN : 0;
	stride = ALIGN_UP(hdr + ob + rz, align);
	for (order = 0; order <= KHEAP_MAX_SLAB_ORDER; order++) {
		uint32_t bytes = KHEAP_PAGE_SIZE << order;

		/* slot i: header at first - hdr + i * stride, object at first + i * stride */
		first = ALIGN_UP((uint32_t)sizeof(struct kslab) + hdr, align);
		per = bytes > first - hdr ? (bytes - (first - hdr)) / stride : 0;
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
	/* debug: every byte between the object and the next slot's header */
	c->redzone = (flags & KCACHE_F_DEBUG) ? stride - hdr - ob : 0;
	c->first = first;
	c->per_slab = per;
	c->span = per * stride;
	c->recip = (uint32_t)((((uint64_t)1 << 32) + stride - 1) / stride);
	c->slab_order = (uint8_t)order;
	c->slab_mask = ~((uintptr_t)(KHEAP_PAGE_SIZE << order) - 1);
	/* objects lie in the heap's pages after its bitmaps */
	c->obj_lo = (uintptr_t)kheap_va() + (uintptr_t)(kheap_size() - usable) + hdr;
	c->obj_words = (uintptr_t)(usable - hdr) >> KCACHE_WORD_SHIFT;
	c->mag_cap = (flags & KCACHE_F_DEBUG) ? 0 : MIN(KCACHE_MAG, per);
	c->mag_top = c->mag;
	c->mag_lim = c->mag + c->mag_cap;
	c->flags = (uint8_t)flags;
	c->magic = KCACHE_MAGIC;
	c->next = *cache_list();
	*cache_list() = c;
	return 0;
}

int kcache_destroy(struct kcache *c)
{
	if (!c || c->magic != KCACHE_MAGIC)
		return E_INVAL;
	if (kcache_inuse(c))
		return E_BUSY;
	mag_drain(c, KCACHE_MAG);
	while (c->partial)
		slab_release(c, c->partial);
	while (c->full)
		slab_release(c, c->full);
	for (struct kcache **pp = cache_list(); *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	/* the fast paths now see an empty magazine and an empty heap range */
	c->mag_top = c->mag_lim = c->mag;
	c->mag_cap = 0;
	c->obj_words = 0;
	c->magic = 0;
	return 0;
}

/* Debug mode: no magazine; each object comes from its slab with its
 * poison checked. */
static int alloc_debug(struct kcache *c, struct quota *q, void **out)
{
	void *obj;
	int err;

	err = quota_charge(q, c->stride);
	if (err)
		return err;
	err = slab_get(c, &obj);
	if (err) {
		quota_credit(q, c->stride);
		return err;
	}
	if (!free_slot_intact(c, obj)) {
		/* written after it was freed: take it out of service (it was
		 * taken off the free list as if allocated; count it instead as
		 * quarantined) */
		struct kslab *s = (struct kslab *)((uintptr_t)obj & c->slab_mask);

		set_slot_quota(obj, QUARANTINE);
		s->quarantined++;
		c->corrupt++;
		quota_credit(q, c->stride);
		return E_FORMAT;
	}
	set_slot_quota(obj, q);
	{
		uint32_t ob = obj_bytes(c);

		memset(obj, POISON, sizeof(void *));
		memset((char *)obj + ob, RZ_LIVE, c->redzone);
	}
	*out = obj;
	return 0;
}

int kcache_alloc_slow(struct kcache *c, struct quota *q, void **out)
{
	void *obj;
	int err;

	if (!c || c->magic != KCACHE_MAGIC || !quota_is_heap(q) || !out)
		return E_INVAL;
	if (c->flags & KCACHE_F_DEBUG)
		return alloc_debug(c, q, out);
	err = quota_charge(q, c->stride);
	if (err)
		return err;
	if (c->mag_top == c->mag && (err = mag_refill(c)) != 0) {
		quota_credit(q, c->stride);
		return err;
	}
	obj = *--c->mag_top;
	set_slot_quota(obj, q);
	*out = obj;
	return 0;
}

/* Free with the debug red-zone check (and poisoning); no magazine. */
static int free_debug(struct kcache *c, struct kslab *s, void *obj, struct quota *q)
{
	if (!live_redzone_intact(c, obj)) {
		/* overflowed: quarantine it, but the process paid, so credit */
		set_slot_quota(obj, QUARANTINE);
		s->quarantined++;
		c->corrupt++;
		if (quota_is_heap(q))
			quota_credit(q, c->stride);
		return E_FORMAT;               /* nfree unchanged: same list */
	}
	quota_credit(q, c->stride);
	poison_free_slot(c, obj);
	set_slot_quota(obj, NULL);
	slab_put(c, obj);
	return 0;
}

int kcache_free_slow(struct kcache *c, void *obj)
{
	struct kslab *s;
	struct quota *q;

	if (!c || c->magic != KCACHE_MAGIC || !(s = slot_slab(c, obj)))
		return E_INVAL;                  /* not the start of a slot of c */
	q = slot_quota(obj);
	if ((uintptr_t)q <= (uintptr_t)QUARANTINE)
		return E_INVAL;                  /* double free (NULL), or quarantined */
	if (c->flags & KCACHE_F_DEBUG)
		return free_debug(c, s, obj, q);
	if (c->mag_top == c->mag_lim)
		mag_drain(c, (c->mag_cap + 1) / 2);
	quota_credit(q, c->stride);
	set_slot_quota(obj, NULL);
	*c->mag_top++ = obj;
	return 0;
}

unsigned kcache_reap(struct kcache *c)
{
	if (!c || c->magic != KCACHE_MAGIC)
		return 0;
	mag_drain(c, KCACHE_MAG);
	return release_empty(c);
}

uint32_t kcache_inuse(const struct kcache *c)
{
	const struct kslab *lists[2] = { c->partial, c->full };
	uint32_t n = 0;

	for (unsigned l = 0; l < 2; l++)
		for (const struct kslab *s = lists[l]; s; s = s->next)
			n += slab_taken(c, s);
	return n - kcache_magazine(c);
}

int kcache_each(const struct kcache *c, int (*fn)(void *obj, void *arg), void *arg)
{
	const struct kslab *lists[2] = { c->partial, c->full };

	for (unsigned l = 0; l < 2; l++) {
		for (const struct kslab *s = lists[l]; s; s = s->next) {
			for (uint32_t i = 0; i < c->per_slab; i++) {
				void *obj = slot_at(c, s, i);
				uintptr_t q = (uintptr_t)slot_quota(obj);
				int err;

				/* NULL: free (on a free list or in the magazine);
				 * QUARANTINE: found corrupted, never handed out. */
				if (q <= (uintptr_t)QUARANTINE)
					continue;
				err = fn(obj, arg);
				if (err)
					return err;
			}
		}
	}
	return 0;
}

uint64_t kcache_bytes(const struct kcache *c)
{
	return (uint64_t)c->nslabs * (KHEAP_PAGE_SIZE << c->slab_order);
}

/* ------------------------------------------------------------ check */

static bool on_free_list(const struct kslab *s, const void *obj, uint32_t limit)
{
	for (const void *p = s->free; p && limit--; p = *(void *const *)p)
		if (p == obj)
			return true;
	return false;
}

/* The magazine: within bounds, every entry a slot of c that is free
 * (quota word NULL), on no free list and in the magazine once. */
static const char *check_magazine(const struct kcache *c)
{
	uint32_t n;

	if (c->mag_cap > KCACHE_MAG || ((c->flags & KCACHE_F_DEBUG) && c->mag_cap) ||
	    c->mag_lim != c->mag + c->mag_cap ||
	    (uintptr_t)c->mag_top < (uintptr_t)c->mag ||
	    (uintptr_t)c->mag_top > (uintptr_t)c->mag_lim)
		return "magazine bounds broken";
	n = kcache_magazine(c);
	for (uint32_t i = 0; i < n; i++) {
		const void *obj = c->mag[i];
		const struct kslab *s = slot_slab(c, obj);

		if (!s)
			return "magazine entry is not a slot of the cache";
		if (slot_quota(obj) != NULL)
			return "magazine entry is allocated (quota word set)";
		if (on_free_list(s, obj, s->nfree))
			return "magazine entry also on its slab's free list";
		for (uint32_t j = 0; j < i; j++)
			if (c->mag[j] == obj)
				return "object twice in the magazine";
	}
	return NULL;
}

static uint32_t in_magazine(const struct kcache *c, const struct kslab *s)
{
	uint32_t n = 0;

	for (void *const *p = c->mag; p < c->mag_top; p++)
		if (((uintptr_t)*p & c->slab_mask) == (uintptr_t)s)
			n++;
	return n;
}

static const char *check_slab(const struct kcache *c, const struct kslab *s, unsigned list)
{
	uint32_t nfree = 0, nused = 0, nquar = 0, nmag = in_magazine(c, s);
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
		if (slot_quota(p) != NULL)
			return "free-list object has a quota";
		if ((c->flags & KCACHE_F_DEBUG) && !free_slot_intact(c, (void *)p))
			return "free object written after free (poison damaged)";
		p = *(void *const *)p;
	}
	if (nfree != s->nfree)
		return "free list shorter than counted";
	for (uint32_t i = 0; i < c->per_slab; i++) {
		void *obj = slot_at(c, s, i);
		struct quota *q = slot_quota(obj);

		if (hdr_of(obj)[0] != check_word(c, obj)) {
			/* Where, and what was written: the first clue to
			 * whoever wrote there. */
			const uint32_t *w = (const uint32_t *)hdr_of(obj);

			pr_err("kcache %s: slot %u of the slab at %p (object %p): check word "
			       "0x%08x, not 0x%08x; then 0x%08x 0x%08x 0x%08x 0x%08x", c->name,
			       (unsigned)i, (const void *)s, obj, (unsigned)w[0],
			       (unsigned)check_word(c, obj), (unsigned)w[1], (unsigned)w[2],
			       (unsigned)w[3], (unsigned)w[4]);
			return "slot check word damaged";
		}
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
	if (nused + nmag != slab_taken(c, s) || nquar != s->quarantined)
		return "slot quota words disagree with the slab counts and the magazine";
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
	*why = check_magazine(c);
	if (*why)
		return E_FORMAT;
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
