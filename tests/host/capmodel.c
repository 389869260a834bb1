/*
 * capmodel: the reference model of the capability system calls (see
 * capmodel.h for what it is and is not). Each system call is written as
 * docs/abi.md describes it: every check in the documented order, each
 * failing one returning its error with nothing changed, then the effect.
 * Data structures are flat arrays searched by loops; nothing here is
 * shared with or shaped like the kernel's code.
 */
#include "capmodel.h"

#include <cairn/abi.h>

#include <stdio.h>
#include <string.h>

#define TOP 0xC0000000u
#define PAGE 4096u

static bool bit(const uint8_t *map, unsigned i) { return map[i / 8] >> (i % 8) & 1; }
static void set_bit(uint8_t *map, unsigned i) { map[i / 8] |= (uint8_t)(1u << (i % 8)); }

void cm_init(struct cm *m)
{
	memset(m, 0, sizeof(*m));
	m->self = -1;
}

int cm_new_obj(struct cm *m, unsigned type, int acct)
{
	for (int i = 0; i < CM_MAXOBJ; i++) {
		struct cm_obj *o = &m->obj[i];

		if (o->state != CM_FREE)
			continue;
		memset(o, 0, sizeof(*o));
		o->type = (uint8_t)type;
		o->state = CM_LIVE;
		o->acct = acct;
		return i;
	}
	m->overflow = true;
	return -1;
}

int cm_find(const struct cm *m, int cs, uint32_t idx)
{
	for (int i = 0; i < CM_MAXSLOT; i++)
		if (m->slot[i].used && m->slot[i].cs == cs && m->slot[i].idx == idx)
			return i;
	return -1;
}

static int new_slot(struct cm *m)
{
	for (int i = 0; i < CM_MAXSLOT; i++)
		if (!m->slot[i].used) {
			memset(&m->slot[i], 0, sizeof(m->slot[i]));
			m->slot[i].used = true;
			m->slot[i].parent = -1;
			return i;
		}
	m->overflow = true;
	return -1;
}

int cm_put_root(struct cm *m, int cs, uint32_t idx, unsigned type, unsigned rights, int obj,
		uint32_t a, uint32_t b)
{
	int s = new_slot(m);

	if (s < 0)
		return -1;
	m->slot[s] = (struct cm_slot){ .used = true, .cs = cs, .idx = idx, .type = (uint8_t)type,
				       .rights = (uint8_t)rights, .root = true, .obj = obj,
				       .a = a, .b = b, .parent = -1 };
	return s;
}

void cm_grow(struct cm *m, int cs, uint32_t idx)
{
	set_bit(m->obj[cs].leaf, idx >> 6);
	m->obj[cs].mid |= 1ull << (idx >> 12);
}

bool cm_is_desc(const struct cm *m, int s, int anc)
{
	for (int p = m->slot[s].parent; p >= 0; p = m->slot[p].parent)
		if (p == anc)
			return true;
	return false;
}

uint32_t cm_descendants(const struct cm *m, int s)
{
	uint32_t n = 0;

	for (int i = 0; i < CM_MAXSLOT; i++)
		if (m->slot[i].used && cm_is_desc(m, i, s))
			n++;
	return n;
}

uint32_t cm_live(const struct cm *m, unsigned type)
{
	uint32_t n = 0;

	for (int i = 0; i < CM_MAXOBJ; i++)
		if (m->obj[i].state != CM_FREE && m->obj[i].type == type)
			n++;
	return n;
}

unsigned cm_leaves(const struct cm *m, int cs)
{
	unsigned n = 0;

	for (unsigned i = 0; i < CM_LEAVES / 8; i++)
		n += (unsigned)__builtin_popcount(m->obj[cs].leaf[i]);
	return n;
}

void cm_desc_counts(const struct cm *m, uint32_t *count)
{
	memset(count, 0, CM_MAXSLOT * sizeof(*count));
	for (int i = 0; i < CM_MAXSLOT; i++)
		if (m->slot[i].used)
			for (int p = m->slot[i].parent; p >= 0; p = m->slot[p].parent)
				count[p]++;
}

/* ----------------------------------------------------------- quotas */

static uint32_t avail(const struct cm_quota *q)
{
	return q->limit - q->used - q->carved;
}

/* Charge n units to pool p of account a: false (nothing charged) if the
 * quota is dead or has less than n left. */
static bool charge(struct cm *m, int a, unsigned p, uint32_t n)
{
	struct cm_quota *q = &m->obj[a].q[p];

	if (!q->live || avail(q) < n)
		return false;
	q->used += n;
	return true;
}

static void refund(struct cm *m, int a, unsigned p, uint32_t n)
{
	if (a >= 0)
		m->obj[a].q[p].used -= n;
}

/* ----------------------------------------------------------- deaths */

static bool has_mapping_into(const struct cm *m, int vs)
{
	for (int i = 0; i < CM_MAXSLOT; i++)
		if (m->slot[i].used && m->slot[i].mapped && m->slot[i].map_vs == vs)
			return true;
	return false;
}

/* The object's storage goes: its own heap bytes back to who paid. */
static void free_obj(struct cm *m, int o)
{
	refund(m, m->obj[o].acct, CM_KHEAP, m->obj[o].heap);
	m->obj[o].state = CM_FREE;
}

/* A capability record goes (its descendants are the caller's business):
 * the mapping it made goes with it. */
static void unmap_slot(struct cm *m, int s)
{
	struct cm_slot *x = &m->slot[s];
	int vs = x->map_vs;

	x->mapped = false;
	x->map_vs = -1;
	if (m->obj[vs].state == CM_PINNED && !has_mapping_into(m, vs))
		free_obj(m, vs);
}

static void drop_slot(struct cm *m, int s)
{
	if (m->slot[s].mapped)
		unmap_slot(m, s);
	m->slot[s].used = false;
}

static void kill(struct cm *m, int o)
{
	struct cm_obj *x = &m->obj[o];
	static bool doomed[CM_MAXSLOT];

	switch (x->type) {
	case CAP_CSPACE:
		/* Every capability in it and every descendant of one, wherever
		 * that is; then the leaves and nodes it grew. */
		for (int i = 0; i < CM_MAXSLOT; i++)
			doomed[i] = m->slot[i].used && m->slot[i].cs == o;
		for (int i = 0; i < CM_MAXSLOT; i++) {
			if (!m->slot[i].used || doomed[i])
				continue;
			for (int p = m->slot[i].parent; p >= 0; p = m->slot[p].parent)
				if (m->slot[p].cs == o) {
					doomed[i] = true;
					break;
				}
		}
		for (int i = 0; i < CM_MAXSLOT; i++)
			if (doomed[i])
				drop_slot(m, i);
		refund(m, x->acct, CM_KHEAP, cm_leaves(m, o) * m->cost.leaf);
		refund(m, x->acct, CM_KHEAP, (uint32_t)__builtin_popcountll(x->mid) * m->cost.mid);
		free_obj(m, o);
		break;
	case CAP_MEM:
		refund(m, x->acct, x->pool, x->pages);
		free_obj(m, o);
		break;
	case CAP_VSPACE:
		/* Page tables go now, the header when no capability records a
		 * mapping here any more. */
		refund(m, x->acct, CM_DIRECT, x->tables);
		x->tables = 0;
		memset(x->region, 0, sizeof(x->region));
		if (has_mapping_into(m, o))
			x->state = CM_PINNED;
		else
			free_obj(m, o);
		break;
	case CAP_QUOTA:
		for (unsigned p = 0; p < CM_POOLS; p++)
			if (x->q[p].live && x->acct >= 0)
				m->obj[x->acct].q[p].carved -= x->q[p].limit;
		free_obj(m, o);
		break;
	default:
		free_obj(m, o);
		break;
	}
}

/* Destroy whatever nothing names any more, until nothing changes: an
 * object no capability names, an account besides no live object paid
 * for (child accounts included). The counts are made afresh each round. */
static void settle(struct cm *m)
{
	static uint32_t names[CM_MAXOBJ], pays[CM_MAXOBJ];
	bool again = true;

	while (again) {
		again = false;
		memset(names, 0, sizeof(names));
		memset(pays, 0, sizeof(pays));
		for (int i = 0; i < CM_MAXSLOT; i++)
			if (m->slot[i].used && m->slot[i].obj >= 0)
				names[m->slot[i].obj]++;
		for (int o = 0; o < CM_MAXOBJ; o++)
			if (m->obj[o].state != CM_FREE && m->obj[o].acct >= 0)
				pays[m->obj[o].acct]++;
		for (int o = 0; o < CM_MAXOBJ; o++) {
			struct cm_obj *x = &m->obj[o];

			if (x->state != CM_LIVE || x->ext || names[o])
				continue;
			if (x->type == CAP_QUOTA && pays[o])
				continue;
			kill(m, o);
			again = true;
			break;           /* the counts are stale now */
		}
	}
}

/* ----------------------------------------------------------- lookups */

/* A capability of the caller's CSpace. */
static int lookup(const struct cm *m, uint32_t c, int *err)
{
	int s;

	if (c == CPTR_NULL || c >= m->obj[m->self].limit) {
		*err = E_RANGE;
		return -1;
	}
	s = cm_find(m, m->self, c);
	if (s < 0)
		*err = E_NOCAP;
	return s;
}

static int lookup_typed(const struct cm *m, uint32_t c, unsigned type, unsigned rights, int *err)
{
	int s = lookup(m, c, err);

	if (s < 0)
		return -1;
	if (type != CAP_NULL && m->slot[s].type != type) {
		*err = E_TYPE;
		return -1;
	}
	if ((m->slot[s].rights & rights) != rights) {
		*err = E_PERM;
		return -1;
	}
	return s;
}

/* A CSpace argument: CPTR_SELF or a CSpace capability with R_WRITE. */
static int lookup_cspace(const struct cm *m, uint32_t c, int *err)
{
	int s;

	if (c == CPTR_SELF)
		return m->self;
	s = lookup_typed(m, c, CAP_CSPACE, R_WRITE, err);
	return s < 0 ? -1 : m->slot[s].obj;
}

static int check_dst(const struct cm *m, int cs, uint32_t idx)
{
	if (idx == CPTR_NULL || idx >= m->obj[cs].limit)
		return E_RANGE;
	return cm_find(m, cs, idx) >= 0 ? E_EXIST : 0;
}

/* The destination slot is written: its leaf (and interior node) grows if
 * it was not there, charged to the CSpace's account. */
static int claim(struct cm *m, int cs, uint32_t idx)
{
	struct cm_obj *c = &m->obj[cs];
	bool need_mid = !(c->mid >> (idx >> 12) & 1), need_leaf = !bit(c->leaf, idx >> 6);
	uint32_t cost = (need_mid ? m->cost.mid : 0) + (need_leaf ? m->cost.leaf : 0);

	if (!charge(m, c->acct, CM_KHEAP, cost))
		return E_NOMEM;
	cm_grow(m, cs, idx);
	return 0;
}

/* A new capability record at (cs, idx), derived from parent (-1: none). */
static int put(struct cm *m, int cs, uint32_t idx, int parent, unsigned type, unsigned rights,
	       int obj, uint32_t a, uint32_t b)
{
	int s = new_slot(m);

	if (s < 0)
		return -1;
	m->slot[s] = (struct cm_slot){ .used = true, .cs = cs, .idx = idx, .type = (uint8_t)type,
				       .rights = (uint8_t)rights, .obj = obj, .a = a, .b = b,
				       .parent = parent, .map_vs = -1,
				       .depth = parent >= 0 ? m->slot[parent].depth + 1 : 0 };
	if (m->slot[s].depth > m->max_depth)
		m->max_depth = m->slot[s].depth;
	return s;
}

/* ----------------------------------------------------------- the calls */

static int derive(struct cm *m, const struct cm_op *op)
{
	int err = 0, src, cs;
	uint32_t a, b, rights;
	struct cm_slot *s;

	src = lookup(m, op->r[0], &err);
	if (src < 0)
		return err;
	cs = lookup_cspace(m, op->r[1], &err);
	if (cs < 0)
		return err;
	err = check_dst(m, cs, op->r[2]);
	if (err)
		return err;
	s = &m->slot[src];
	if (op->sys == SYS_CAP_MOVE) {
		err = claim(m, cs, op->r[2]);
		if (err)
			return err;
		/* The record moves, with its place in the tree and its mapping. */
		s->cs = cs;
		s->idx = op->r[2];
		return 0;
	}
	if (s->type == CAP_REPLY)
		return E_TYPE;
	if (s->depth + 1 > CM_DEPTH_MAX)
		return E_DEPTH;
	a = s->a;
	b = s->b;
	rights = s->rights;
	if (op->sys == SYS_CAP_MINT) {
		uint32_t a1 = op->r[4], a2 = op->r[5];

		if (op->r[3] & ~R_ALL)
			return E_INVAL;
		rights &= op->r[3];
		switch (s->type) {
		case CAP_MEM:
		case CAP_DEVICE:
			/* [a1, a1 + a2) pages of the source's range; a2 0: to its end. */
			if (a1 >= s->b)
				return E_RANGE;
			if (a2 == 0)
				a2 = s->b - a1;
			if ((uint64_t)a1 + a2 > s->b)
				return E_RANGE;
			a = s->a + a1;
			b = a2;
			break;
		case CAP_ENDPOINT:
		case CAP_NOTIFICATION:
			if (a2)
				return E_INVAL;
			if (a1) {
				if (s->a && m->mutation != CM_MUT_REBADGE)
					return E_PERM;   /* a badge is set once */
				a = a1;
			}
			break;
		default:
			if (a1 || a2)
				return E_INVAL;
			break;
		}
	}
	err = claim(m, cs, op->r[2]);
	if (err)
		return err;
	put(m, cs, op->r[2], src, s->type, rights, s->obj, a, b);
	return 0;
}

static int delete_revoke(struct cm *m, const struct cm_op *op)
{
	int err = 0, cs, s;

	cs = lookup_cspace(m, op->r[0], &err);
	if (cs < 0)
		return err;
	if (op->r[1] == CPTR_NULL || op->r[1] >= m->obj[cs].limit)
		return E_RANGE;
	s = cm_find(m, cs, op->r[1]);
	if (s < 0)
		return E_NOCAP;
	if (op->sys == SYS_CAP_REVOKE) {
		static bool doomed[CM_MAXSLOT];

		if (m->slot[s].root)
			return E_PERM;
		/* Every descendant, found first (the chains are walked while
		 * the tree is whole), then dropped. */
		for (int i = 0; i < CM_MAXSLOT; i++)
			doomed[i] = m->slot[i].used && cm_is_desc(m, i, s);
		for (int i = 0; i < CM_MAXSLOT; i++)
			if (doomed[i])
				drop_slot(m, i);
		return 0;
	}
	/* Delete: children go to the parent; an original keeps its. */
	{
		bool children = false;

		for (int i = 0; i < CM_MAXSLOT; i++)
			if (m->slot[i].used && m->slot[i].parent == s)
				children = true;
		if (children && m->slot[s].parent < 0)
			return E_BUSY;
		for (int i = 0; i < CM_MAXSLOT; i++)
			if (m->slot[i].used && m->slot[i].parent == s)
				m->slot[i].parent = m->slot[s].parent;
	}
	drop_slot(m, s);
	return 0;
}

static int inspect(const struct cm *m, const struct cm_op *op, struct cm_res *res)
{
	int err = 0, s = lookup(m, op->r[0], &err);
	const struct cm_slot *x;

	if (s < 0)
		return err;
	x = &m->slot[s];
	res->nout = 6;
	res->r[1] = x->type | (uint32_t)x->rights << 8 | (x->mapped ? 1u : 0u) << 12 |
		    (x->depth & 0xffff) << 16;
	res->r[2] = res->r[3] = res->r[4] = res->r[5] = 0;
	switch (x->type) {
	case CAP_MEM:
	case CAP_DEVICE:
		/* Memory: the page offset in the object; the test adds the
		 * object's base (the model does not know where frames are). */
		res->r[2] = x->a << 12;
		res->r[3] = x->a >> 20;
		res->r[4] = x->b;
		if (x->mapped)
			res->r[5] = x->map_va;
		break;
	case CAP_ENDPOINT:
	case CAP_NOTIFICATION:
		res->r[2] = x->a;
		break;
	case CAP_QUOTA:
		res->r[4] = avail(&m->obj[x->obj].q[CM_KHEAP]);
		break;
	case CAP_CSPACE:
		res->r[4] = m->obj[x->obj].limit;
		res->r[5] = cm_leaves(m, x->obj) * 64;
		break;
	}
	return 0;
}

/* What creation calls check in common: the account (R_WRITE), the
 * destination CSpace and slot, one more level of derivation. */
static int decode_creation(const struct cm *m, uint32_t acct, uint32_t dcs, uint32_t dst,
			   int *as, int *cs)
{
	int err = 0;

	*as = lookup_typed(m, acct, CAP_QUOTA, R_WRITE, &err);
	if (*as < 0)
		return err;
	*cs = lookup_cspace(m, dcs, &err);
	if (*cs < 0)
		return err;
	err = check_dst(m, *cs, dst);
	if (err)
		return err;
	return m->slot[*as].depth + 1 > CM_DEPTH_MAX ? E_DEPTH : 0;
}

/* A new object of account a, its header charged to a's heap quota. */
static int new_charged(struct cm *m, unsigned type, int a)
{
	int o;

	if (!charge(m, a, CM_KHEAP, m->cost.obj[type]))
		return -1;
	o = cm_new_obj(m, type, a);
	if (o < 0) {
		refund(m, a, CM_KHEAP, m->cost.obj[type]);
		return -1;
	}
	m->obj[o].heap = m->cost.obj[type];
	return o;
}

static int obj_create(struct cm *m, const struct cm_op *op)
{
	int as, cs, a, o, err = decode_creation(m, op->r[0], op->r[2], op->r[3], &as, &cs);
	unsigned type = op->r[1];

	if (err)
		return err;
	switch (type) {
	case CAP_ENDPOINT:
	case CAP_NOTIFICATION:
	case CAP_VSPACE:
		if (op->r[4])
			return E_INVAL;
		break;
	case CAP_CSPACE:
		if (op->r[4] < 2 || op->r[4] > CSPACE_SLOTS)
			return E_RANGE;
		break;
	default:
		return E_TYPE;      /* (threads are creatable but not modelled) */
	}
	err = claim(m, cs, op->r[3]);
	if (err)
		return err;
	a = m->slot[as].obj;
	if (type == CAP_VSPACE && !m->obj[a].q[CM_DIRECT].live)
		return E_NOMEM;
	o = new_charged(m, type, a);
	if (o < 0)
		return E_NOMEM;
	if (type == CAP_VSPACE) {
		/* Its root table, from the direct quota. */
		if (!charge(m, a, CM_DIRECT, 1)) {
			free_obj(m, o);
			return E_NOMEM;
		}
		m->obj[o].tables = 1;
	}
	if (type == CAP_CSPACE)
		m->obj[o].limit = op->r[4];
	put(m, cs, op->r[3], as, type, R_ALL, o, 0, 0);
	return 0;
}

static int mem_alloc(struct cm *m, const struct cm_op *op)
{
	int as, cs, a, o, err = decode_creation(m, op->r[0], op->r[3], op->r[4], &as, &cs);
	unsigned pool = op->r[1], order = op->r[2];

	if (err)
		return err;
	if (pool >= CM_KHEAP)
		return E_INVAL;
	if (order > 10)
		return E_RANGE;
	err = claim(m, cs, op->r[4]);
	if (err)
		return err;
	a = m->slot[as].obj;
	if (!m->obj[a].q[pool].live)
		return E_NOMEM;
	o = new_charged(m, CAP_MEM, a);
	if (o < 0)
		return E_NOMEM;
	if (!charge(m, a, pool, 1u << order)) {
		free_obj(m, o);
		return E_NOMEM;
	}
	m->obj[o].pages = 1u << order;
	m->obj[o].pool = (uint8_t)pool;
	put(m, cs, op->r[4], as, CAP_MEM, R_READ | R_WRITE | R_EXEC, o, 0, 1u << order);
	return 0;
}

static int quota_carve(struct cm *m, const struct cm_op *op)
{
	int as, cs, a, o, err = decode_creation(m, op->r[0], op->r[1], op->r[2], &as, &cs);
	uint32_t limit[CM_POOLS] = { op->r[3], op->r[4], op->r[5], op->r[6] };

	if (err)
		return err;
	err = claim(m, cs, op->r[2]);
	if (err)
		return err;
	a = m->slot[as].obj;
	/* Every pool's share (and for the heap, the account object itself)
	 * must be available; a pool the parent has no quota of gives none. */
	for (unsigned p = 0; p < CM_POOLS; p++) {
		const struct cm_quota *q = &m->obj[a].q[p];
		uint64_t need = (uint64_t)limit[p] + (p == CM_KHEAP ? m->cost.obj[CAP_QUOTA] : 0);

		if (!q->live ? limit[p] != 0 : need > avail(q))
			return E_NOMEM;
	}
	o = new_charged(m, CAP_QUOTA, a);
	if (o < 0)
		return E_NOMEM;
	for (unsigned p = 0; p < CM_POOLS; p++) {
		if (!m->obj[a].q[p].live)
			continue;
		m->obj[o].q[p] = (struct cm_quota){ .live = true, .limit = limit[p] };
		m->obj[a].q[p].carved += limit[p];
	}
	/* Derived from the account it was carved from: its rights, no more. */
	put(m, cs, op->r[2], as, CAP_QUOTA, m->slot[as].rights, o, 0, 0);
	return 0;
}

static int quota_info(const struct cm *m, const struct cm_op *op, struct cm_res *res)
{
	int err = 0, s = lookup_typed(m, op->r[0], CAP_QUOTA, 0, &err);
	const struct cm_quota *q;

	if (s < 0)
		return err;
	if (op->r[1] >= CM_POOLS)
		return E_INVAL;
	q = &m->obj[m->slot[s].obj].q[op->r[1]];
	res->nout = 4;
	res->r[1] = q->live ? q->limit : 0;
	res->r[2] = q->live ? q->used : 0;
	res->r[3] = q->live ? q->carved : 0;
	return 0;
}

static const struct cm_dev *dev_of(const struct cm *m, uint32_t pfn)
{
	for (unsigned i = 0; i < m->ndev; i++)
		if (pfn >= m->dev[i].pfn && pfn - m->dev[i].pfn < m->dev[i].pages)
			return &m->dev[i];
	return NULL;
}

static int map(struct cm *m, const struct cm_op *op)
{
	int err = 0, vsl, s, vs;
	uint32_t va = op->r[2], rights = op->r[3], attr = op->r[4];
	struct cm_slot *x;
	uint64_t size;

	vsl = lookup_typed(m, op->r[0], CAP_VSPACE, R_WRITE, &err);
	if (vsl < 0)
		return err;
	s = lookup(m, op->r[1], &err);
	if (s < 0)
		return err;
	if (attr != ATTR_DEFAULT && attr > ATTR_NORMAL_WB)
		return E_INVAL;
	x = &m->slot[s];
	vs = m->slot[vsl].obj;
	size = (uint64_t)x->b * PAGE;
	if (x->type != CAP_MEM && x->type != CAP_DEVICE)
		return E_TYPE;
	if (x->mapped)
		return E_EXIST;                 /* a capability maps once */
	if (rights & ~(R_READ | R_WRITE | R_EXEC))
		return E_INVAL;
	if (!(rights & R_READ) || ((rights & R_WRITE) && (rights & R_EXEC)))
		return E_INVAL;
	if (rights & ~x->rights)
		return E_PERM;
	if (va % PAGE)
		return E_ALIGN;
	if (size == 0 || size > TOP || va > TOP - size)
		return E_RANGE;
	if (x->type == CAP_DEVICE) {
		const struct cm_dev *d = dev_of(m, x->a);

		if (!d)
			return E_NOENT;
		if (rights & R_EXEC)
			return E_PERM;
		if (attr == ATTR_DEFAULT)
			attr = ATTR_DEVICE;
		if (!(d->attrs >> attr & 1))
			return E_PERM;
		if (attr != ATTR_DEVICE && !(x->rights & R_PREFETCH))
			return E_PERM;          /* NC and WC: the capability's R_PREFETCH */
	} else {
		if (attr == ATTR_DEFAULT)
			attr = ATTR_NORMAL_WB;
		if (attr == ATTR_DEVICE && (rights & R_EXEC))
			return E_INVAL;         /* device-type memory never executes */
	}
	/* Any page already mapped in the space. */
	for (int i = 0; i < CM_MAXSLOT; i++) {
		const struct cm_slot *y = &m->slot[i];

		if (y->used && y->mapped && y->map_vs == vs && va < y->map_va + (uint64_t)y->b * PAGE &&
		    y->map_va < va + size)
			return E_EXIST;
	}
	/* A page table per 2 MiB region touched, charged to the space's
	 * account; tables taken before one fails stay with the space. */
	for (uint32_t r = va >> 21; r <= (uint32_t)((va + size - 1) >> 21); r++) {
		struct cm_obj *v = &m->obj[vs];

		if (bit(v->region, r))
			continue;
		if (!charge(m, v->acct, CM_DIRECT, 1))
			return E_NOMEM;
		set_bit(v->region, r);
		v->tables++;
	}
	x->mapped = true;
	x->map_vs = vs;
	x->map_va = va;
	x->map_rights = (uint8_t)rights;
	x->map_attr = (uint8_t)attr;
	return 0;
}

static int unmap(struct cm *m, const struct cm_op *op)
{
	int err = 0, s = lookup(m, op->r[0], &err);

	if (s < 0)
		return err;
	if (m->slot[s].type != CAP_MEM && m->slot[s].type != CAP_DEVICE)
		return E_TYPE;
	if (!m->slot[s].mapped)
		return E_STATE;
	unmap_slot(m, s);
	return 0;
}

void cm_step(struct cm *m, const struct cm_op *op, struct cm_res *res)
{
	int r;

	memset(res, 0, sizeof(*res));
	res->nout = 1;
	switch (op->sys) {
	case SYS_CAP_COPY:
	case SYS_CAP_MINT:
	case SYS_CAP_MOVE:
		r = derive(m, op);
		break;
	case SYS_CAP_DELETE:
	case SYS_CAP_REVOKE:
		r = delete_revoke(m, op);
		break;
	case SYS_CAP_INSPECT:
		r = inspect(m, op, res);
		break;
	case SYS_OBJ_CREATE:
		r = obj_create(m, op);
		break;
	case SYS_MEM_ALLOC:
		r = mem_alloc(m, op);
		break;
	case SYS_QUOTA_CARVE:
		r = quota_carve(m, op);
		break;
	case SYS_QUOTA_INFO:
		r = quota_info(m, op, res);
		break;
	case SYS_MAP:
		r = map(m, op);
		break;
	case SYS_UNMAP:
		r = unmap(m, op);
		break;
	default:
		r = E_NOSYS;
		break;
	}
	if (r) {
		res->nout = 1;
	}
	res->r[0] = (uint32_t)r;
	settle(m);
}

static const char *cptr(uint32_t v, char *buf, unsigned len)
{
	if (v == CPTR_SELF)
		snprintf(buf, len, "SELF");
	else
		snprintf(buf, len, "%u", v);
	return buf;
}

void cm_op_str(const struct cm_op *op, char *buf, unsigned len)
{
	const uint32_t *r = op->r;
	char c[16];

	switch (op->sys) {
	case SYS_CAP_COPY:
	case SYS_CAP_MOVE:
		snprintf(buf, len, "%s src=%u dcs=%s dst=%u", op->sys == SYS_CAP_COPY ? "copy" : "move",
			 r[0], cptr(r[1], c, sizeof(c)), r[2]);
		break;
	case SYS_CAP_MINT:
		snprintf(buf, len, "mint src=%u dcs=%s dst=%u rights=0x%x a1=%u a2=%u", r[0],
			 cptr(r[1], c, sizeof(c)), r[2], r[3], r[4], r[5]);
		break;
	case SYS_CAP_DELETE:
	case SYS_CAP_REVOKE:
		snprintf(buf, len, "%s cs=%s slot=%u", op->sys == SYS_CAP_DELETE ? "delete" : "revoke",
			 cptr(r[0], c, sizeof(c)), r[1]);
		break;
	case SYS_CAP_INSPECT:
		snprintf(buf, len, "inspect slot=%u", r[0]);
		break;
	case SYS_UNMAP:
		snprintf(buf, len, "unmap slot=%u", r[0]);
		break;
	case SYS_OBJ_CREATE:
		snprintf(buf, len, "obj_create acct=%u type=%u dcs=%s dst=%u arg=%u", r[0], r[1],
			 cptr(r[2], c, sizeof(c)), r[3], r[4]);
		break;
	case SYS_MEM_ALLOC:
		snprintf(buf, len, "mem_alloc acct=%u pool=%u order=%u dcs=%s dst=%u", r[0], r[1],
			 r[2], cptr(r[3], c, sizeof(c)), r[4]);
		break;
	case SYS_QUOTA_CARVE:
		snprintf(buf, len, "quota_carve acct=%u dcs=%s dst=%u direct=%u dma32=%u high=%u "
			 "heap=%u", r[0], cptr(r[1], c, sizeof(c)), r[2], r[3], r[4], r[5], r[6]);
		break;
	case SYS_QUOTA_INFO:
		snprintf(buf, len, "quota_info acct=%u pool=%u", r[0], r[1]);
		break;
	case SYS_MAP:
		snprintf(buf, len, "map vs=%u cap=%u va=0x%x rights=0x%x attr=0x%x", r[0], r[1], r[2],
			 r[3], r[4]);
		break;
	default:
		snprintf(buf, len, "sys%u %u %u %u %u %u %u %u", op->sys, r[0], r[1], r[2], r[3],
			 r[4], r[5], r[6]);
		break;
	}
}
