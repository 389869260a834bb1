/*
 * obj: kernel objects, the capabilities that name them, and CSpaces.
 *
 * Every kernel object made at run time (thread, endpoint, notification,
 * CSpace, address space, memory object, account) starts with a struct
 * kobj and lives in a typed object cache of the fixed heap (kheap.h),
 * charged to the account that created it. `refs` counts the capabilities
 * naming the object (in CSpaces and in threads' internal slots) plus the
 * internal references listed per type in docs/capabilities.md; when it
 * drops to zero the object is queued for destruction (obj_reap), which
 * returns its memory and heap bytes to the account that paid.
 *
 * A capability lives in a slot (struct slot, 40 bytes): the object, the
 * type, the rights, type-specific words, the mapping it made if it is a
 * mapped memory capability, and its place in the derivation tree (parent,
 * first child, siblings). Rights only shrink along the tree. Revoking a
 * capability deletes every descendant, wherever it is.
 *
 * Locking: the kernel lock (one CPU now; see docs/architecture.md).
 */
#ifndef CAIRN_CAP_H
#define CAIRN_CAP_H

#include <cairn/abi.h>
#include <hal/uarch.h>
#include <lib/error.h>
#include <lib/types.h>
#include <mm/kheap.h>
#include <mm/pool.h>

/* Internal: a preemption point asked the caller to restart the call. */
#define E_RESTART (-100)

struct account;
struct slot;
struct cspace;

struct kobj {
	uint8_t type;                /* enum cap_type */
	uint8_t flags;               /* KOBJ_* */
	uint16_t scratch;            /* the invariant walker's counter (cap_check); nothing
				      * else reads or writes it */
	uint32_t refs;               /* capabilities + internal references */
	struct account *acct;        /* who paid; NULL for boot-time objects */
	struct kobj *reap_next;      /* on the reap queue once refs hit 0 */
};
#define KOBJ_STATIC 1u               /* not from a cache: never freed */
#define KOBJ_DYING 2u                /* queued for or in destruction */

static inline void obj_get(struct kobj *o) { o->refs++; }
/* Drop a reference; at zero the object is queued for destruction. */
void obj_put(struct kobj *o);
/*
 * Destroy queued objects, at most until `budget` units of work are done
 * and an interrupt is pending (budget 0: until the queue is empty).
 * Returns true when the queue is empty.
 */
bool obj_reap(unsigned budget);
/* Free a dead object's storage and drop its account reference (the
 * type's teardown has run). */
void obj_free(struct kobj *o);
/* Objects queued for destruction (kernel exit, tests, reports); read
 * inline so that an exit with nothing to reap costs one load. */
extern unsigned obj_reap_count;
static inline unsigned obj_reap_pending(void) { return obj_reap_count; }
/* Objects alive per type (tests, reports). */
uint32_t obj_count(unsigned type);
/* Empty the type table and the reap queue (once per boot of the heap;
 * before any type registers). */
void obj_init(void);

/* ----------------------------------------------------------- object types */

/*
 * What the generic code of this layer needs to know of a capability type:
 * where its objects live and what happens when one dies or a capability
 * to it comes and goes. This layer knows no type's behaviour; each type's
 * home registers its description at boot (boot/objects.c calls their
 * inits), and installation, deletion, moves and the reaper call through
 * it. That is how objects of the layers above (threads, endpoints,
 * notifications, IRQ handlers) die without this layer calling up.
 * Every hook may be NULL.
 */
struct obj_type {
	const char *name;
	struct kcache *cache;        /* the objects' storage; NULL: no object */
	uint32_t size, align;        /* of an object (align 0: the cache's default) */
	bool weak;                   /* its capabilities hold no reference */
	/* Tear down an object whose last reference went (its storage still
	 * there): true when done, false to be called again; long teardowns
	 * count work in *work and stop when it reaches budget (0: none). NULL:
	 * nothing to tear down (one unit of work). */
	bool (*destroy)(struct kobj *o, unsigned *work, unsigned budget);
	/* After destroy: true while something still points at the storage,
	 * which the type then frees itself (obj_free) when that goes. */
	bool (*pinned)(const struct kobj *o);
	void (*cap_added)(struct slot *s);      /* a capability was installed in s */
	void (*cap_removed)(struct slot *s);    /* s is being deleted (still intact) */
	void (*cap_moved)(struct slot *s);      /* a capability has moved to s */
};
/* The table, indexed by capability type (CAP_NULL and unknown: NULL). */
extern const struct obj_type *obj_types[CAP_TYPE_COUNT];
static inline const struct obj_type *obj_type_of(unsigned type)
{
	return type < CAP_TYPE_COUNT ? obj_types[type] : NULL;
}
/* What a capability's type asks of install, delete and move, one byte per
 * slot type value (0: nothing, the common case, one load to know it). */
#define OBJT_ADDED 1u                /* cap_added is set */
#define OBJT_REMOVED 2u              /* cap_removed is set */
#define OBJT_MOVED 4u                /* cap_moved is set */
#define OBJT_WEAK 8u                 /* weak */
extern uint8_t obj_cap_flags[256];
/* Register type t for capability type `type`, and (re)create its cache
 * (once per boot of the heap: kheap_init forgot every cache). */
void obj_type_register(unsigned type, const struct obj_type *t);
/* The owner of internal slots (threads, sched/thread.c) learns that one
 * of them was deleted: slots is the owner's slot array, which the index
 * of the slot in it (kept in the slot's map_va). */
void cap_set_internal_hook(void (*lost)(struct slot *slots, unsigned which));

/* ----------------------------------------------------------- accounts */

/* An account: one quota per pool (seed 003); the CAP_QUOTA object. */
struct account {
	struct kobj obj;
	struct account *parent;
	struct quota q[POOL_COUNT];
	char name[16];
};
/* Register the account type (CAP_QUOTA) and its cache. */
void account_init(void);
/* The boot account: root quotas over every pool (kernel objects made at
 * boot and the root task's account is carved from it). */
struct account *account_boot(void);
int account_carve(struct account *parent, const uint32_t limit[POOL_COUNT], const char *name,
		  struct account **out);
static inline struct quota *account_heap(struct account *a) { return &a->q[POOL_KHEAP]; }

/* Allocate an object of a typed cache charged to a's heap quota; the
 * header is initialised (type, refs 0, acct referenced). */
int obj_alloc(struct kcache *c, unsigned type, struct account *a, void **out);

/* ----------------------------------------------------------- slots */

struct vspace;

struct slot {
	uint32_t info;               /* type | rights << 8 | flags << 12 | depth << 16 */
	struct kobj *obj;            /* the object (device: NULL, range in a/b) */
	uint32_t a;                  /* mem/dev: base pfn; ep/ntfn: badge; irq: line */
	uint32_t b;                  /* mem/dev: pages; quota: -; cspace: - */
	struct vspace *map_vs;       /* mem/dev: the address space mapped into */
	uint32_t map_va;             /* mem/dev: va | attr << 0 (low 12 bits: rights | attr << 4) */
	struct slot *parent;         /* derivation tree */
	struct slot *child;          /* first child */
	struct slot *next;           /* siblings */
	struct slot *prev;
};
#if UINTPTR_MAX == 0xffffffffu
_Static_assert(sizeof(struct slot) == 40, "capability slot: 40 bytes on ARM");
#endif

#define SLOT_F_ROOT 1u               /* original capability: revoke refused */
#define SLOT_F_MAPPED 2u             /* mem/dev: map_vs/map_va are valid */
#define SLOT_F_INTERNAL 4u           /* a thread's internal slot */
#define SLOT_DEPTH_MAX 1024u

static inline unsigned slot_type(const struct slot *s) { return s->info & 0xff; }
static inline unsigned slot_rights(const struct slot *s) { return (s->info >> 8) & 0xf; }
static inline unsigned slot_flags(const struct slot *s) { return (s->info >> 12) & 0xf; }
static inline unsigned slot_depth(const struct slot *s) { return s->info >> 16; }
static inline bool slot_empty(const struct slot *s) { return slot_type(s) == CAP_NULL; }
/* Empty a slot: ten stores, not a memset call (every delete, move and
 * revoked descendant clears one). */
static inline void slot_clear(struct slot *s)
{
	s->info = 0;
	s->obj = NULL;
	s->a = s->b = 0;
	s->map_vs = NULL;
	s->map_va = 0;
	s->parent = s->child = s->next = s->prev = NULL;
}
static inline uint32_t slot_info(unsigned type, unsigned rights, unsigned flags, unsigned depth)
{
	return type | (rights & 0xf) << 8 | (flags & 0xf) << 12 | depth << 16;
}

/*
 * Install a new original capability (no parent) in the empty slot dst.
 * Takes a reference on obj. E_EXIST if dst is occupied.
 */
int cap_install_root(struct slot *dst, unsigned type, unsigned rights, struct kobj *obj,
		     uint32_t a, uint32_t b);
/* Install a capability derived from parent into the empty dst: child of
 * parent in the tree, same object (reference taken). */
int cap_install_child(struct slot *dst, struct slot *parent, unsigned type, unsigned rights,
		      struct kobj *obj, uint32_t a, uint32_t b);

/* What copy, mint and move check of their source and arguments, with the
 * same errors, for callers that validate before they claim a destination
 * (decode, then invoke). cap_mint_check also gives the new capability's
 * words. */
int cap_copy_check(const struct slot *src);
int cap_mint_check(const struct slot *src, unsigned rights, uint32_t a1, uint32_t a2,
		   uint32_t *a, uint32_t *b);
int cap_move_check(const struct slot *src);
/* The operations of the capability syscalls (validation first; nothing
 * changes on error). */
int cap_copy(struct slot *src, struct slot *dst);
/* Mint: rights & new_rights; mem/dev: subrange [a1, a1 + a2) pages of the
 * source's range (a2 == 0: to its end); ep/ntfn: badge a1 (non-zero, only
 * if the source has none). */
int cap_mint(struct slot *src, struct slot *dst, unsigned rights, uint32_t a1, uint32_t a2);
int cap_move(struct slot *src, struct slot *dst);
/* Delete the capability in s: unmap if mapped, drop the object reference.
 * Descendants are handed to s's parent; E_BUSY if s is a root with
 * descendants. May return E_RESTART (preempted). */
int cap_delete(struct slot *s);
/* Delete every descendant of s (s stays). E_NOCAP (empty), E_PERM (root
 * capability). Preemptible: E_RESTART after bounded work when an interrupt
 * is pending; calling again continues. */
int cap_revoke(struct slot *s);
/* Revoke without the root check (kernel use: destroying objects). */
int cap_revoke_any(struct slot *s, unsigned budget);
/* Number of descendants (tests). */
uint32_t cap_descendants(const struct slot *s);
/* Work units done by preemptible operations since boot, and how often
 * they were preempted (tests, reports). */
extern uint32_t cap_preemptions;
/* Of those, the ones due to another CPU waiting for the kernel lock. */
extern uint32_t cap_preemptions_for_lock;
/* A preemption point is due: an interrupt is pending, or (several CPUs)
 * another CPU waits for the kernel lock this one holds -- what the probe
 * the scheduler gives says (cap_set_lock_probe; none: never). */
bool cap_preempt_due(void);
void cap_set_lock_probe(bool (*wanted)(void));

/* ----------------------------------------------------------- checks */

/*
 * The capability layer's invariant walker (check.c): every CSpace and
 * every slot in it, plus the slots `each_extra` shows (threads' internal
 * slots, which live above this layer; NULL: none), against the rules of
 * the derivation tree, of derivation (rights, subranges, badges, objects),
 * of mappings and of reference counts; every object of every type's
 * cache (its type, its references, the reap queue, the per-type counts);
 * every account's quotas against its parent's; every address space's
 * tables (uarch_vs_check) against the mapping capabilities that point at
 * it. 0 or E_FORMAT with *why; it writes nothing but the objects'
 * scratch counters. *items counts the slots and objects visited.
 */
typedef int (*cap_visit_fn)(struct slot *s, void *arg);
int cap_check(int (*each_extra)(cap_visit_fn visit, void *arg), uint32_t *items,
	      const char **why);
/* The reap queue: every entry dying, the count right, no cycle. */
int obj_check_queue(uint32_t *items, const char **why);

/* ----------------------------------------------------------- CSpaces */

#define CNODE_BITS 6
#define CNODE_SLOTS (1u << CNODE_BITS)

struct cnode_leaf {
	struct slot slot[CNODE_SLOTS];
};
struct cnode_mid {
	struct cnode_leaf *leaf[CNODE_SLOTS];
};

/* A CSpace: a three-level radix tree over 18-bit slot indices. Levels
 * are allocated when a slot under them is first written, charged to the
 * CSpace's account; reading an absent part is an empty slot. */
struct cspace {
	struct kobj obj;
	uint32_t limit;              /* slot indices < limit are usable */
	uint32_t leaves;             /* leaves allocated */
	uint32_t reap_cursor;        /* destruction progress */
	struct cnode_leaf *leaf0;    /* the leaf of slots 0..63, where IPC capabilities
				      * usually live: one load on the fast path */
	struct cnode_mid *mid[CNODE_SLOTS];
};

/* Register the CSpace type and the caches of CSpaces and their nodes. */
void cspace_init(void);
int cspace_create(struct account *a, uint32_t limit, struct cspace **out);
/* The slot at idx if its leaf exists (it may be empty), else NULL.
 * E_RANGE-style errors are the caller's: idx >= limit gives NULL.
 * Inline: every system call that names a capability starts here. */
static inline struct slot *cspace_lookup(struct cspace *cs, uint32_t idx)
{
	struct cnode_mid *m;
	struct cnode_leaf *l;

	if (idx >= cs->limit)
		return NULL;
	if (idx < CNODE_SLOTS)
		return cs->leaf0 ? &cs->leaf0->slot[idx] : NULL;
	m = cs->mid[idx >> (2 * CNODE_BITS)];
	if (!m)
		return NULL;
	l = m->leaf[(idx >> CNODE_BITS) & (CNODE_SLOTS - 1)];
	if (!l)
		return NULL;
	return &l->slot[idx & (CNODE_SLOTS - 1)];
}

/* The slot at idx, allocating the path to it. E_RANGE (idx 0 or >=
 * limit), E_NOMEM. Inline when the slot's leaf exists (the common case);
 * cspace_slot_alloc does the rest. */
int cspace_slot_alloc(struct cspace *cs, uint32_t idx, struct slot **out);
static inline int cspace_slot(struct cspace *cs, uint32_t idx, struct slot **out)
{
	struct cnode_mid *m;
	struct cnode_leaf *l;

	if (idx != CPTR_NULL && idx < cs->limit && (m = cs->mid[idx >> (2 * CNODE_BITS)]) &&
	    (l = m->leaf[(idx >> CNODE_BITS) & (CNODE_SLOTS - 1)])) {
		*out = &l->slot[idx & (CNODE_SLOTS - 1)];
		return 0;
	}
	return cspace_slot_alloc(cs, idx, out);
}

/* ----------------------------------------------------------- memory */

/* A RAM memory object: 2^order contiguous frames from one pool. */
struct memobj {
	struct kobj obj;
	paddr_t pa;
	uint8_t order;
	uint8_t pool;
	uint8_t flags;               /* MEMOBJ_* */
	uint8_t reserved;
	uint32_t pages;              /* static objects: any page count */
};
#define MEMOBJ_STATIC 1u             /* boot archive, DTB, boot info: not freeable */

/* Register the memory, device and address-space types and their caches. */
void vspace_init(void);
int memobj_alloc(struct account *a, unsigned pool, unsigned order, struct memobj **out);
/* A memory object over existing memory (boot archive, DTB): never freed. */
int memobj_static(paddr_t pa, uint32_t pages, struct memobj **out);

/* An address space. */
struct vspace {
	struct kobj obj;
	struct uarch_vs arch;
	uint32_t maprefs;            /* mapping capabilities pointing here */
	bool dead;                   /* page tables gone (last capability deleted) */
};

int vspace_create(struct account *a, struct vspace **out);
/* Map the memory or device capability s into vs at va with rights and
 * attr (ATTR_* of abi.h). Errors in docs/abi.md (SYS_MAP). */
int cap_map(struct slot *s, struct vspace *vs, uintptr_t va, unsigned rights, unsigned attr);
int cap_unmap(struct slot *s);
/* Physical address of the start of a mem/dev capability's range. */
static inline paddr_t slot_pa(const struct slot *s) { return (paddr_t)s->a << 12; }

#endif
