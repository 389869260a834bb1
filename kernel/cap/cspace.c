/*
 * CSpaces: a three-level radix tree of capability slots.
 *
 * A slot index has 18 bits: 6 select an interior node in the CSpace
 * object, 6 a leaf in that node, 6 a slot in the leaf (64 slots of 40
 * bytes). Interior nodes and leaves are allocated the first time a slot
 * under them is written and charged to the CSpace's account, so a sparse
 * CSpace costs only what it uses, and the structure grows without ever
 * reallocating (slots never move, so the derivation tree can point at
 * them). Reading a slot whose leaf does not exist reads an empty slot.
 *
 * Destruction (the last capability to the CSpace is gone) deletes every
 * capability in it, leaf by leaf, with a work budget: the type's destroy
 * hook (cspace_destroy) is called by the reaper until it returns true.
 */
#include <cap/cap.h>
#include <lib/log.h>
#include <lib/string.h>

static struct kcache cache_cspace, cache_leaf, cache_mid;

#if UINTPTR_MAX == 0xffffffffu
_Static_assert(sizeof(struct cnode_leaf) == 64 * 40, "CSpace leaf: 64 slots, 2560 bytes");
_Static_assert(sizeof(struct cnode_mid) == 256, "CSpace interior node: 256 bytes");
_Static_assert(sizeof(struct cspace) <= 296, "CSpace object: at most 296 bytes");
#endif

static bool cspace_destroy(struct kobj *o, unsigned *work, unsigned budget);

static const struct obj_type cspace_type = {
	.name = "cspace",
	.cache = &cache_cspace,
	.size = sizeof(struct cspace),
	.destroy = cspace_destroy,
};

static int mk(struct kcache *c, const char *name, uint32_t size)
{
	/* Once per boot of the heap (kheap_init forgot every cache); host
	 * tests boot many times. */
	memset(c, 0, sizeof(*c));
	return kcache_create(c, name, size, 0, 0);
}

void cspace_init(void)
{
	obj_type_register(CAP_CSPACE, &cspace_type);
	if (mk(&cache_leaf, "cnode_leaf", sizeof(struct cnode_leaf)) |
	    mk(&cache_mid, "cnode_mid", sizeof(struct cnode_mid)))
		pr_err("cspace: the CSpace node caches could not be created");
}

int cspace_create(struct account *a, uint32_t limit, struct cspace **out)
{
	struct cspace *cs;
	int err;

	if (limit < 2 || limit > CSPACE_SLOTS)
		return E_RANGE;
	err = obj_alloc(&cache_cspace, CAP_CSPACE, a, (void **)&cs);
	if (err)
		return err;
	cs->limit = limit;
	*out = cs;
	return 0;
}

int cspace_slot_alloc(struct cspace *cs, uint32_t idx, struct slot **out)
{
	struct cnode_mid **mp, *m = NULL;
	struct cnode_leaf **lp, *l = NULL;
	struct quota *q;
	int err;

	if (idx == CPTR_NULL || idx >= cs->limit)
		return E_RANGE;
	mp = &cs->mid[idx >> (2 * CNODE_BITS)];
	q = account_heap(cs->obj.acct);
	if (!*mp) {
		err = kcache_alloc(&cache_mid, q, (void **)&m);
		if (err)
			return err;
		memset(m, 0, sizeof(*m));
	}
	lp = &(*mp ? *mp : m)->leaf[(idx >> CNODE_BITS) & (CNODE_SLOTS - 1)];
	if (!*lp) {
		err = kcache_alloc(&cache_leaf, q, (void **)&l);
		if (err) {
			if (m)
				kcache_free(&cache_mid, m);
			return err;
		}
		memset(l, 0, sizeof(*l));
		*lp = l;
		cs->leaves++;
		if (idx < CNODE_SLOTS)
			cs->leaf0 = l;
	}
	if (m)
		*mp = m;
	*out = &(*lp)->slot[idx & (CNODE_SLOTS - 1)];
	return 0;
}

static bool cspace_destroy(struct kobj *o, unsigned *work, unsigned budget)
{
	struct cspace *cs = (struct cspace *)o;

	while (cs->reap_cursor < CNODE_SLOTS * CNODE_SLOTS) {
		uint32_t i = cs->reap_cursor;
		struct cnode_mid *m = cs->mid[i / CNODE_SLOTS];
		struct cnode_leaf *l;

		if (!m) {
			cs->reap_cursor = ALIGN_UP(i + 1, CNODE_SLOTS);
			continue;
		}
		l = m->leaf[i % CNODE_SLOTS];
		if (l) {
			for (unsigned k = 0; k < CNODE_SLOTS; k++) {
				struct slot *s = &l->slot[k];

				if (slot_empty(s))
					continue;
				/* Descendants go first (they may be anywhere);
				 * then the capability itself. */
				if (s->child && cap_revoke_any(s, budget) == E_RESTART)
					return false;
				while (cap_delete(s) == E_BUSY) {
					/* A root with descendants that appeared
					 * meanwhile: cannot happen under the lock. */
					if (cap_revoke_any(s, 0))
						break;
				}
				(*work)++;
			}
			kcache_free(&cache_leaf, l);
			m->leaf[i % CNODE_SLOTS] = NULL;
			if (i == 0)
				cs->leaf0 = NULL;
			cs->leaves--;
			(*work)++;
		}
		cs->reap_cursor = i + 1;
		if (cs->reap_cursor % CNODE_SLOTS == 0) {
			kcache_free(&cache_mid, m);
			cs->mid[i / CNODE_SLOTS] = NULL;
		}
		if (budget && *work >= budget && cap_preempt_due())
			return false;
	}
	return true;
}
