/*
 * The capability layer's invariant walker (cap.h, cap_check).
 *
 * It reads everything this layer owns and states, rule by rule, what must
 * hold between system calls. The passes:
 *
 *   1. every object in every type's cache gets its scratch counter zeroed;
 *   2. every slot of every CSpace, and every slot the caller's enumerator
 *      shows (threads' internal slots), is checked on its own and against
 *      its neighbours in the derivation tree, and adds one to the scratch
 *      counter of the object it references (weak and static objects
 *      aside);
 *   3. every object in the caches is checked: its type, references at
 *      least the capabilities counted, not forgotten (no references and
 *      not dying), the dying ones on the reap queue, the per-type counts;
 *   4. every address space: mapping capabilities pointing at it counted
 *      against maprefs, their pages against what its tables hold, its
 *      tables walked (uarch_vs_check);
 *   5. every account: each live quota a child of its parent account's.
 *
 * Local checks cannot see a sibling list that lost its head, so pass 2
 * also counts the slots reached from their parents' child lists and
 * compares that with the slots that have a parent. Depth strictly grows
 * from parent to child, so no parent chain can loop.
 *
 * The walk is linear in slots plus objects (pass 4 walks the slots once
 * per VS_CHUNK address spaces); it allocates nothing and writes only the
 * scratch counters.
 */
#include <cap/cap.h>
#include <lib/log.h>
#include <lib/string.h>
#include <mm/devrange.h>

#define SCRATCH_MAX 0xffffu         /* saturated: more than the counter holds */
#define VS_CHUNK 32u                /* address spaces per walk of the slots in pass 4 */

struct walk {
	uint32_t *items;
	const char *why;
	const struct slot *bad;      /* the slot the rule failed on (log) */
	uint32_t with_parent;        /* slots that have a parent */
	uint32_t reached;            /* slots reached from their parent's child list */
	uint32_t slots;              /* non-empty slots seen */
	/* pass 3 */
	uint32_t per_type[CAP_TYPE_COUNT];
	uint32_t dying;              /* dying objects not pinned: on the reap queue */
	/* pass 4 */
	struct vspace *vs[VS_CHUNK];
	uint32_t vs_pages[VS_CHUNK];
	uint32_t vs_maps[VS_CHUNK];
	unsigned nvs;
};

static int fail(struct walk *w, const struct slot *s, const char *why)
{
	w->why = why;
	w->bad = s;
	return E_FORMAT;
}

/* ------------------------------------------------------------ pass 1 */

static int zero_scratch(void *obj, void *arg)
{
	(void)arg;
	((struct kobj *)obj)->scratch = 0;
	return 0;
}

static int each_cached(int (*fn)(void *obj, void *arg), void *arg)
{
	for (unsigned t = 1; t < CAP_TYPE_COUNT; t++) {
		const struct obj_type *ty = obj_types[t];
		int err;

		if (!ty || !ty->cache)
			continue;
		/* A type registers one cache of its own; a cache shared by two
		 * types would be walked twice and its counts doubled. */
		for (unsigned u = 1; u < t; u++)
			if (obj_types[u] && obj_types[u]->cache == ty->cache)
				goto next;
		err = kcache_each(ty->cache, fn, arg);
		if (err)
			return err;
next:;
	}
	return 0;
}

/* ------------------------------------------------------------ pass 2 */

static bool slot_all_clear(const struct slot *s)
{
	return !s->info && !s->obj && !s->a && !s->b && !s->map_vs && !s->map_va && !s->parent &&
	       !s->child && !s->next && !s->prev;
}

/* A pointer from a live slot must reach a live slot. */
static bool live(const struct slot *s) { return s && !slot_empty(s); }

/* What derivation allows between a capability and its parent. */
static const char *derivation_rule(const struct slot *s, const struct slot *p)
{
	unsigned t = slot_type(s), pt = slot_type(p);

	if (slot_depth(s) <= slot_depth(p))
		return "a capability is not deeper than its parent";
	if (t != pt) {
		/* Only an account makes capabilities of other types (objects,
		 * memory, carved accounts). */
		if (pt != CAP_QUOTA)
			return "a capability's parent of another type is not an account";
		return NULL;
	}
	if (slot_rights(s) & ~slot_rights(p))
		return "a derived capability has a right its parent lacks";
	if (t == CAP_QUOTA) {
		/* A copy names the same account, a carved one a child account,
		 * or a grandchild once the capability in between was deleted:
		 * an account below the parent's. */
		for (const struct account *a = (const struct account *)s->obj; a; a = a->parent)
			if (&a->obj == p->obj)
				return NULL;
		return "a derived quota names an account outside its parent's";
	}
	if (s->obj != p->obj)
		return "a derived capability names another object than its parent";
	switch (t) {
	case CAP_MEM:
	case CAP_DEVICE:
		if (s->a < p->a || s->b > p->b || s->a - p->a > p->b - s->b)
			return "a derived memory range leaves its parent's range";
		break;
	case CAP_ENDPOINT:
	case CAP_NOTIFICATION:
		if (p->a && s->a != p->a)
			return "a derived capability changed its parent's badge";
		break;
	case CAP_IRQ_HANDLER:
		if (s->a != p->a)
			return "a derived IRQ handler names another line";
		break;
	}
	return NULL;
}

static const char *object_rule(const struct slot *s)
{
	unsigned t = slot_type(s);
	const struct obj_type *ty = obj_type_of(t);

	switch (t) {
	case CAP_DEVICE: {
		const struct devrange *r = devrange_find(slot_pa(s));
		uint64_t end = ((uint64_t)s->a + s->b) << 12;

		if (s->obj)
			return "a device capability names an object";
		if (!s->b)
			return "an empty device range";
		if (!r || end > r->base + r->size)
			return "a device capability's range is not inside one device range";
		return NULL;
	}
	case CAP_MEM: {
		const struct memobj *m = (const struct memobj *)s->obj;
		uint64_t lo, hi;

		if (!m || m->obj.type != CAP_MEM)
			return "a memory capability names no memory object";
		lo = m->pa >> 12;
		hi = lo + m->pages;
		if (!s->b || s->a < lo || (uint64_t)s->a + s->b > hi)
			return "a memory capability's range leaves its object";
		return NULL;
	}
	case CAP_REPLY:
		/* Weak: its caller, or nobody once the caller went. */
		if (s->obj && s->obj->type != CAP_THREAD)
			return "a reply capability names something else than a thread";
		return NULL;
	case CAP_IRQ_HANDLER:
		return s->obj ? "an IRQ handler capability names an object" : NULL;
	}
	if (ty && ty->cache && !ty->weak) {
		if (!s->obj)
			return "a capability names no object";
		if (s->obj->type != t)
			return "a capability's object is of another type";
	}
	/* (A weak capability may outlive its object's last reference until
	 * the object's teardown deletes it.) */
	if (s->obj && !(obj_cap_flags[t] & OBJT_WEAK) && (s->obj->flags & KOBJ_DYING))
		return "a capability names a dying object";
	return NULL;
}

static const char *mapping_rule(const struct slot *s, bool internal)
{
	unsigned t = slot_type(s);

	if (slot_flags(s) & SLOT_F_MAPPED) {
		const struct vspace *vs = s->map_vs;

		if (t != CAP_MEM && t != CAP_DEVICE)
			return "a mapped capability is not memory";
		if (!vs || vs->obj.type != CAP_VSPACE)
			return "a mapped capability names no address space";
		if ((s->map_va & 0xfu) & ~slot_rights(s))
			return "a mapping has rights its capability lacks";
		if (!vs->dead) {
			uintptr_t va = s->map_va & ~0xfffu;
			uintptr_t last = va + ((uintptr_t)(s->b - 1) << 12);
			paddr_t pa;
			unsigned attr, rights;

			/* Both ends: the whole range was mapped in one call. */
			if (uarch_vs_query(&vs->arch, va, &pa, &attr, &rights) ||
			    pa != slot_pa(s) || rights != (s->map_va & 0xfu) ||
			    attr != ((s->map_va >> 4) & 0xfu))
				return "a mapping's first page is not what its capability mapped";
			if (uarch_vs_query(&vs->arch, last, &pa, &attr, &rights) ||
			    pa != slot_pa(s) + ((paddr_t)(s->b - 1) << 12))
				return "a mapping's last page is not what its capability mapped";
		}
		return NULL;
	}
	if (s->map_vs)
		return "an unmapped capability points at an address space";
	/* An internal slot keeps its index in map_va. */
	if (!internal && s->map_va)
		return "an unmapped capability records an address";
	return NULL;
}

static int check_slot(struct walk *w, struct slot *s, bool internal)
{
	const char *why;
	unsigned t = slot_type(s);

	(*w->items)++;
	if (slot_empty(s))
		return slot_all_clear(s) ? 0 : fail(w, s, "an empty slot holds leftovers");
	w->slots++;
	if (t >= CAP_TYPE_COUNT)
		return fail(w, s, "a slot of no capability type");
	if (((slot_flags(s) & SLOT_F_INTERNAL) != 0) != internal)
		return fail(w, s, internal ? "a thread's internal slot is not marked internal"
					   : "a CSpace slot is marked internal");
	if (slot_depth(s) > SLOT_DEPTH_MAX)
		return fail(w, s, "a capability deeper than the limit");
	if (((slot_flags(s) & SLOT_F_ROOT) != 0) != (s->parent == NULL))
		return fail(w, s, "an original with a parent, or a derived capability without");
	/* The tree, locally: every link answered by its target. */
	if (s->parent) {
		if (!live(s->parent))
			return fail(w, s, "a capability's parent slot is empty");
		w->with_parent++;
		if (!s->prev && s->parent->child != s)
			return fail(w, s, "a first child its parent does not point at");
		why = derivation_rule(s, s->parent);
		if (why)
			return fail(w, s, why);
	} else if (s->prev || s->next) {
		return fail(w, s, "an original with siblings");
	}
	if (s->prev && (!live(s->prev) || s->prev->next != s || s->prev->parent != s->parent))
		return fail(w, s, "a sibling link not answered");
	if (s->next && (!live(s->next) || s->next->prev != s || s->next->parent != s->parent))
		return fail(w, s, "a sibling link not answered");
	if (s->child) {
		uint32_t n = 0, bound = w->slots + 1u + (1u << 24);

		if (!live(s->child) || s->child->parent != s || s->child->prev)
			return fail(w, s, "a first-child link not answered");
		for (const struct slot *c = s->child; c; c = c->next)
			if (++n > bound)
				return fail(w, s, "a child list that loops");
		w->reached += n;
	}
	why = object_rule(s);
	if (!why)
		why = mapping_rule(s, internal);
	if (why)
		return fail(w, s, why);
	if (s->obj && !(s->obj->flags & KOBJ_STATIC) && !(obj_cap_flags[t] & OBJT_WEAK) &&
	    s->obj->scratch != SCRATCH_MAX)
		s->obj->scratch++;
	return 0;
}

static int visit_internal(struct slot *s, void *arg)
{
	return check_slot(arg, s, true);
}

static int check_cspace(void *obj, void *arg)
{
	struct cspace *cs = obj;
	struct walk *w = arg;
	uint32_t leaves = 0;
	int err;

	(*w->items)++;
	if (cs->limit < 2 || cs->limit > CSPACE_SLOTS)
		return fail(w, NULL, "a CSpace's limit is out of range");
	if (cs->leaf0 != (cs->mid[0] ? cs->mid[0]->leaf[0] : NULL))
		return fail(w, NULL, "a CSpace's first-leaf shortcut is stale");
	for (uint32_t m = 0; m < CNODE_SLOTS; m++) {
		struct cnode_mid *mid = cs->mid[m];

		if (!mid)
			continue;
		for (uint32_t l = 0; l < CNODE_SLOTS; l++) {
			struct cnode_leaf *leaf = mid->leaf[l];

			if (!leaf)
				continue;
			leaves++;
			for (uint32_t k = 0; k < CNODE_SLOTS; k++) {
				uint32_t idx = (m << (2 * CNODE_BITS)) | (l << CNODE_BITS) | k;
				struct slot *s = &leaf->slot[k];

				if ((idx == CPTR_NULL || idx >= cs->limit) && !slot_empty(s))
					return fail(w, s, "a capability in slot 0 or beyond the limit");
				err = check_slot(w, s, false);
				if (err)
					return err;
			}
		}
	}
	/* A dying CSpace frees its leaves as it goes (the reaper's cursor). */
	if (leaves != cs->leaves)
		return fail(w, NULL, "a CSpace's leaf count differs from its tree");
	return 0;
}

/* ------------------------------------------------------------ pass 3 */

static bool pinned(const struct kobj *o)
{
	const struct obj_type *ty = obj_type_of(o->type);

	return ty && ty->pinned && ty->pinned(o);
}

static int check_object(void *obj, void *arg)
{
	struct kobj *o = obj;
	struct walk *w = arg;

	(*w->items)++;
	if (o->type == CAP_NULL || o->type >= CAP_TYPE_COUNT || !obj_types[o->type] ||
	    !obj_types[o->type]->cache)
		return fail(w, NULL, "an object of no cached type in a type's cache");
	w->per_type[o->type]++;
	if (o->flags & KOBJ_STATIC)
		return fail(w, NULL, "a static object in a cache");
	if (!o->acct || o->acct->obj.type != CAP_QUOTA)
		return fail(w, NULL, "an object paid for by no account");
	if (o->flags & KOBJ_DYING) {
		if (o->scratch)
			return fail(w, NULL, "a capability names a dying object");
		/* Pinned ones left the queue and wait for their last user. */
		if (!pinned(o))
			w->dying++;
		return 0;
	}
	if (!o->refs)
		return fail(w, NULL, "a live object with no references (never destroyed)");
	if (o->scratch != SCRATCH_MAX && o->refs < o->scratch)
		return fail(w, NULL, "an object has fewer references than capabilities naming it");
	return 0;
}

/* ------------------------------------------------------------ pass 4 */

static int tally_mapping(struct slot *s, struct walk *w)
{
	if (!(slot_flags(s) & SLOT_F_MAPPED))
		return 0;
	for (unsigned i = 0; i < w->nvs; i++) {
		if (s->map_vs == w->vs[i]) {
			w->vs_maps[i]++;
			w->vs_pages[i] += s->b;
			break;
		}
	}
	return 0;
}

static int tally_internal(struct slot *s, void *arg)
{
	return tally_mapping(s, arg);
}

static int tally_cspace(void *obj, void *arg)
{
	struct cspace *cs = obj;

	for (uint32_t m = 0; m < CNODE_SLOTS; m++)
		for (uint32_t l = 0; cs->mid[m] && l < CNODE_SLOTS; l++)
			for (uint32_t k = 0; cs->mid[m]->leaf[l] && k < CNODE_SLOTS; k++)
				tally_mapping(&cs->mid[m]->leaf[l]->slot[k], arg);
	return 0;
}

struct vs_pass {
	struct walk *w;
	int (*each_extra)(cap_visit_fn visit, void *arg);
	struct kcache *cspaces;
	uint32_t skip, seen;         /* address spaces before this chunk */
};

static int settle_chunk(struct vs_pass *p)
{
	struct walk *w = p->w;
	int err;

	if (!w->nvs)
		return 0;
	err = kcache_each(p->cspaces, tally_cspace, w);
	if (!err && p->each_extra)
		err = p->each_extra(tally_internal, w);
	if (err)
		return err;
	for (unsigned i = 0; i < w->nvs; i++) {
		const struct vspace *vs = w->vs[i];

		if (vs->maprefs != w->vs_maps[i])
			return fail(w, NULL, "an address space's mapping count differs from its "
					     "mapping capabilities");
		if (!vs->dead && vs->arch.pages_mapped != w->vs_pages[i])
			return fail(w, NULL, "an address space maps other pages than its mapping "
					     "capabilities");
	}
	w->nvs = 0;
	return 0;
}

static int collect_vspace(void *obj, void *arg)
{
	struct vs_pass *p = arg;
	struct walk *w = p->w;
	struct vspace *vs = obj;

	if (p->seen++ < p->skip)
		return 0;
	if (!vs->dead) {
		int err = uarch_vs_check(&vs->arch, w->items, &w->why);

		if (err)
			return err;
	} else if (!(vs->obj.flags & KOBJ_DYING)) {
		return fail(w, NULL, "an address space without tables is not dying");
	}
	w->vs[w->nvs] = vs;
	w->vs_maps[w->nvs] = w->vs_pages[w->nvs] = 0;
	if (++w->nvs == VS_CHUNK)
		return 1;                /* a chunk is full: settle it, go on */
	return 0;
}

static int check_vspaces(struct walk *w, int (*each_extra)(cap_visit_fn, void *))
{
	const struct obj_type *ty = obj_type_of(CAP_VSPACE);
	const struct obj_type *cs = obj_type_of(CAP_CSPACE);
	struct vs_pass p = { w, each_extra, cs ? cs->cache : NULL, 0, 0 };
	int err;

	if (!ty || !ty->cache || !p.cspaces)
		return 0;
	for (;;) {
		bool full;

		p.seen = 0;
		w->nvs = 0;
		err = kcache_each(ty->cache, collect_vspace, &p);
		if (err < 0)
			return err;
		full = err == 1;
		p.skip += w->nvs;
		err = settle_chunk(&p);
		if (err || !full)
			return err;
	}
}

/* ------------------------------------------------------------ pass 5 */

static int check_account(void *obj, void *arg)
{
	const struct account *a = obj;
	struct walk *w = arg;

	(*w->items)++;
	if (a->obj.flags & KOBJ_DYING)
		return 0;
	if (!a->parent || a->parent->obj.type != CAP_QUOTA)
		return fail(w, NULL, "a carved account has no parent account");
	for (unsigned i = 0; i < POOL_COUNT; i++) {
		if (!quota_live(&a->q[i]))
			continue;
		if (a->q[i].parent != &a->parent->q[i])
			return fail(w, NULL, "an account's quota is not a child of its parent's");
	}
	return 0;
}

/* ------------------------------------------------------------ all */

int cap_check(int (*each_extra)(cap_visit_fn visit, void *arg), uint32_t *items,
	      const char **why)
{
	static struct walk w;       /* too big for a kernel stack frame; one walk at a time */
	const struct obj_type *cs = obj_type_of(CAP_CSPACE);
	const struct obj_type *acct = obj_type_of(CAP_QUOTA);
	int err;

	memset(&w, 0, sizeof(w));
	w.items = items;
	if (!cs || !cs->cache) {
		*why = "no CSpace type registered";
		return E_FORMAT;
	}
	err = each_cached(zero_scratch, &w);
	if (!err)
		err = kcache_each(cs->cache, check_cspace, &w);
	if (!err && each_extra)
		err = each_extra(visit_internal, &w);
	if (!err && w.reached != w.with_parent)
		err = fail(&w, NULL, "slots with a parent differ from those their parents list");
	if (!err)
		err = each_cached(check_object, &w);
	for (unsigned t = 1; !err && t < CAP_TYPE_COUNT; t++)
		if (obj_types[t] && obj_types[t]->cache && w.per_type[t] != obj_count(t))
			err = fail(&w, NULL, "a type's object count differs from its cache");
	if (!err && w.dying != obj_reap_pending())
		err = fail(&w, NULL, "dying objects differ from the reap queue");
	if (!err)
		err = obj_check_queue(items, &w.why) ? E_FORMAT : 0;
	if (!err)
		err = check_vspaces(&w, each_extra);
	if (!err && acct && acct->cache)
		err = kcache_each(acct->cache, check_account, &w);
	if (err) {
		*why = w.why ? w.why : "(no reason)";
		if (w.bad)
			pr_err("cap_check: slot %p: info 0x%x obj %p a 0x%x b 0x%x parent %p", (const void *)w.bad,
			       (unsigned)w.bad->info, (const void *)w.bad->obj, (unsigned)w.bad->a,
			       (unsigned)w.bad->b, (const void *)w.bad->parent);
		return E_FORMAT;
	}
	return 0;
}
