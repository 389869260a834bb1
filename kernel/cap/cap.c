/*
 * Capabilities: derivation tree, copy, mint, move, delete, revoke.
 *
 * Every capability but the originals made by the kernel has a parent: the
 * capability it was derived from (copy, mint, transfer in a message,
 * object creation from an account). Children of a slot form a doubly
 * linked sibling list headed by parent->child; every child points at its
 * parent. Revoking a capability deletes all of its descendants, deepest
 * first, without recursion: from the revoked slot go down first-child
 * links to a leaf, delete it, continue from its parent. Each deletion is
 * O(1) (plus the object's own teardown, queued to the reaper), and after
 * every REVOKE_BATCH deletions the loop looks for a pending interrupt; if
 * there is one it returns E_RESTART, the syscall layer rewinds the caller
 * to the svc instruction, the interrupt is taken on the way out, and the
 * re-executed call continues where the tree now stands. The revoke call
 * returns only when the tree below the slot is empty and every object it
 * made unreachable has been destroyed and its memory returned.
 *
 * Deleting a capability that has children hands them to its parent (they
 * stay revocable from above); deleting an original that has children is
 * refused (E_BUSY: revoke it first).
 *
 * Deleting a mapped memory or device capability removes its mapping
 * (vspace.c). What else a capability's coming and going means to its type
 * (a caller to cancel, an interrupt line to release) is the type's
 * business: this file calls the hooks of its struct obj_type (obj.c).
 */
#include <cap/cap.h>
#include <lib/log.h>
#include <lib/string.h>

#define REVOKE_BATCH 64

uint32_t cap_preemptions;
static void (*internal_lost)(struct slot *slots, unsigned which);

void cap_set_internal_hook(void (*lost)(struct slot *slots, unsigned which))
{
	internal_lost = lost;
}

static inline void cap_added(struct slot *s)
{
	if (__builtin_expect(obj_cap_flags[slot_type(s)] & OBJT_ADDED, 0))
		obj_types[slot_type(s)]->cap_added(s);
}

static void link_child(struct slot *child, struct slot *parent)
{
	child->parent = parent;
	child->prev = NULL;
	child->next = parent->child;
	if (parent->child)
		parent->child->prev = child;
	parent->child = child;
}

static void unlink(struct slot *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else if (s->parent)
		s->parent->child = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->parent = s->next = s->prev = NULL;
}

int cap_install_root(struct slot *dst, unsigned type, unsigned rights, struct kobj *obj,
		     uint32_t a, uint32_t b)
{
	if (!slot_empty(dst))
		return E_EXIST;
	slot_clear(dst);
	dst->info = slot_info(type, rights, SLOT_F_ROOT, 0);
	dst->obj = obj;
	dst->a = a;
	dst->b = b;
	if (obj)
		obj_get(obj);
	cap_added(dst);
	return 0;
}

int cap_install_child(struct slot *dst, struct slot *parent, unsigned type, unsigned rights,
		      struct kobj *obj, uint32_t a, uint32_t b)
{
	unsigned depth = slot_depth(parent) + 1;

	if (!slot_empty(dst))
		return E_EXIST;
	if (depth > SLOT_DEPTH_MAX)
		return E_DEPTH;
	/* Every field (link_child sets parent, next, prev): stores, not a
	 * memset call, on the path of every derivation and transfer. */
	dst->info = slot_info(type, rights, 0, depth);
	dst->obj = obj;
	dst->a = a;
	dst->b = b;
	dst->map_vs = NULL;
	dst->map_va = 0;
	dst->child = NULL;
	if (obj)
		obj_get(obj);
	link_child(dst, parent);
	cap_added(dst);
	return 0;
}

/* Can this capability be duplicated at all? */
int cap_copy_check(const struct slot *src)
{
	switch (slot_type(src)) {
	case CAP_NULL:
		return E_NOCAP;
	case CAP_REPLY:
		return E_TYPE;      /* one-shot: move it, do not copy it */
	}
	return slot_depth(src) + 1 > SLOT_DEPTH_MAX ? E_DEPTH : 0;
}

int cap_mint_check(const struct slot *src, unsigned rights, uint32_t a1, uint32_t a2,
		   uint32_t *a, uint32_t *b)
{
	int err = cap_copy_check(src);

	if (err)
		return err;
	if (rights & ~R_ALL)
		return E_INVAL;
	*a = src->a;
	*b = src->b;
	switch (slot_type(src)) {
	case CAP_MEM:
	case CAP_DEVICE:
		/* Subrange [a1, a1 + a2) pages of the source's range. */
		if (a1 >= src->b)
			return E_RANGE;
		if (a2 == 0)
			a2 = src->b - a1;
		if (a2 > src->b - a1)
			return E_RANGE;
		*a = src->a + a1;
		*b = a2;
		break;
	case CAP_ENDPOINT:
	case CAP_NOTIFICATION:
		if (a2)
			return E_INVAL;
		if (a1) {
			if (src->a)
				return E_PERM;      /* the badge is set once */
			*a = a1;
		}
		break;
	default:
		if (a1 || a2)
			return E_INVAL;
		break;
	}
	return 0;
}

int cap_move_check(const struct slot *src)
{
	if (slot_empty(src))
		return E_NOCAP;
	return (slot_flags(src) & SLOT_F_INTERNAL) ? E_PERM : 0;
}

static int derive(struct slot *src, struct slot *dst, unsigned rights, uint32_t a, uint32_t b)
{
	if (!slot_empty(dst) || src == dst)
		return E_EXIST;
	return cap_install_child(dst, src, slot_type(src), rights & slot_rights(src), src->obj, a,
				 b);
}

int cap_copy(struct slot *src, struct slot *dst)
{
	int err = cap_copy_check(src);

	return err ? err : derive(src, dst, R_ALL, src->a, src->b);
}

int cap_mint(struct slot *src, struct slot *dst, unsigned rights, uint32_t a1, uint32_t a2)
{
	uint32_t a, b;
	int err = cap_mint_check(src, rights, a1, a2, &a, &b);

	return err ? err : derive(src, dst, rights, a, b);
}

int cap_move(struct slot *src, struct slot *dst)
{
	struct slot tmp;
	int err = cap_move_check(src);

	if (err)
		return err;
	if (!slot_empty(dst))
		return E_EXIST;
	if (src == dst)
		return 0;
	tmp = *src;
	*dst = tmp;
	/* Re-point the neighbours at the new slot. */
	if (dst->prev)
		dst->prev->next = dst;
	else if (dst->parent)
		dst->parent->child = dst;
	if (dst->next)
		dst->next->prev = dst;
	for (struct slot *c = dst->child; c; c = c->next)
		c->parent = dst;
	slot_clear(src);
	if (obj_cap_flags[slot_type(dst)] & OBJT_MOVED)
		obj_types[slot_type(dst)]->cap_moved(dst);
	return 0;
}

/* What dies with a capability (not its descendants). */
static void release(struct slot *s)
{
	unsigned f = obj_cap_flags[slot_type(s)];
	struct kobj *o = s->obj;

	/* A mapped memory or device capability takes its mapping with it
	 * (vspace.c: the mapping is recorded in the slot). */
	if (slot_flags(s) & SLOT_F_MAPPED)
		cap_unmap(s);
	if (__builtin_expect(f != 0, 0)) {
		if (f & OBJT_REMOVED)
			obj_types[slot_type(s)]->cap_removed(s);
		if (f & OBJT_WEAK)
			o = NULL;
	}
	if (slot_flags(s) & SLOT_F_INTERNAL) {
		unsigned which = s->map_va;

		slot_clear(s);
		if (internal_lost)
			internal_lost(s - which, which);
	} else {
		slot_clear(s);
	}
	if (o)
		obj_put(o);
}

int cap_delete(struct slot *s)
{
	struct slot *c, *last = NULL;

	if (slot_empty(s))
		return E_NOCAP;
	if (s->child) {
		if (!s->parent)
			return E_BUSY;
		/* Hand the children to s's parent, in place of s. */
		for (c = s->child; c; c = c->next) {
			c->parent = s->parent;
			last = c;
		}
		last->next = s->next;
		if (s->next)
			s->next->prev = last;
		s->child->prev = s->prev;
		if (s->prev)
			s->prev->next = s->child;
		else
			s->parent->child = s->child;
		s->parent = s->next = s->prev = s->child = NULL;
	} else {
		unlink(s);
	}
	release(s);
	return 0;
}

int cap_revoke_any(struct slot *s, unsigned budget)
{
	struct slot *n = s;
	unsigned work = 0;

	for (;;) {
		struct slot *p;

		if (!s->child)
			break;
		/* Down to a leaf below n. n is s or the parent of the last
		 * victim: when its children are gone it is the next leaf
		 * itself (post-order), so each step is amortised O(1). */
		while (n->child)
			n = n->child;
		p = n->parent;
		unlink(n);
		release(n);
		n = p;
		if (++work >= (budget ? budget : REVOKE_BATCH)) {
			work = 0;
			if (cap_preempt_due()) {
				cap_preemptions++;
				return E_RESTART;
			}
		}
	}
	/* Destroy what became unreachable before reporting success, with
	 * the same preemption rule. */
	if (!obj_reap(REVOKE_BATCH)) {
		cap_preemptions++;
		return E_RESTART;
	}
	return 0;
}

int cap_revoke(struct slot *s)
{
	if (slot_empty(s))
		return E_NOCAP;
	if (slot_flags(s) & SLOT_F_ROOT)
		return E_PERM;
	return cap_revoke_any(s, 0);
}

uint32_t cap_descendants(const struct slot *s)
{
	const struct slot *n = s->child;
	uint32_t count = 0;

	/* Pre-order walk without a stack. */
	while (n) {
		count++;
		if (n->child) {
			n = n->child;
			continue;
		}
		while (n != s && !n->next)
			n = n->parent;
		if (n == s)
			break;
		n = n->next;
	}
	return count;
}
