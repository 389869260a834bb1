/*
 * Kernel objects: the type table, reference counting, and the reap queue
 * that destroys objects whose last capability went away.
 *
 * This file knows no object type: each type's home registers a struct
 * obj_type (its cache and hooks) at boot, and the reaper calls its
 * destroy hook. Destruction is queued rather than recursive: destroying a
 * CSpace deletes the capabilities in it, which may drop other objects to
 * zero, and so on. The queue is drained by obj_reap() with a work budget,
 * so a long chain of destructions is preemptible like revocation (cap.c):
 * the revoke call drains it before it returns; other paths leave what
 * remains for the next kernel exit or the idle loop.
 *
 * Locking: the kernel lock (docs/architecture.md).
 */
#include <cap/cap.h>
#include <lib/log.h>
#include <lib/string.h>

const struct obj_type *obj_types[CAP_TYPE_COUNT];
uint8_t obj_cap_flags[256];
static struct kobj *reap_head, *reap_tail;
unsigned obj_reap_count;       /* objects on the reap list (obj_reap_pending) */
static uint32_t live[CAP_TYPE_COUNT];
/* True while obj_reap runs: a destroy hook may revoke (cspace_destroy,
 * for a capability with children), and the revoke's own call of
 * obj_reap must not start on the queue's head, the object being
 * destroyed right now: that would destroy and free it twice. */
static bool reaping;

/* Object sizes are part of the memory budget (docs/capabilities.md); the
 * figures hold for the 32-bit target (host tests have wider pointers).
 * Each type's own size is asserted in its file. */
#if UINTPTR_MAX == 0xffffffffu
_Static_assert(sizeof(struct kobj) == 16, "object header: 16 bytes");
#endif

void obj_init(void)
{
	memset(obj_types, 0, sizeof(obj_types));
	memset(obj_cap_flags, 0, sizeof(obj_cap_flags));
	reap_head = reap_tail = NULL;
	obj_reap_count = 0;
	reaping = false;
	memset(live, 0, sizeof(live));
}

void obj_type_register(unsigned type, const struct obj_type *t)
{
	if (type == CAP_NULL || type >= CAP_TYPE_COUNT) {
		pr_err("obj: no capability type %u to register %s for", type, t->name);
		return;
	}
	if (t->cache) {
		memset(t->cache, 0, sizeof(*t->cache));
		if (kcache_create(t->cache, t->name, t->size, t->align, 0))
			pr_err("obj: the %s cache could not be created", t->name);
	}
	obj_types[type] = t;
	obj_cap_flags[type] = (uint8_t)((t->cap_added ? OBJT_ADDED : 0) |
					(t->cap_removed ? OBJT_REMOVED : 0) |
					(t->cap_moved ? OBJT_MOVED : 0) | (t->weak ? OBJT_WEAK : 0));
}

uint32_t obj_count(unsigned type)
{
	return type < CAP_TYPE_COUNT ? live[type] : 0;
}

int obj_alloc(struct kcache *c, unsigned type, struct account *a, void **out)
{
	struct kobj *o;
	int err;

	if (!a || a->obj.type != CAP_QUOTA)
		return E_INVAL;
	err = kcache_alloc(c, account_heap(a), (void **)&o);
	if (err)
		return err;
	memset(o, 0, c->size);
	o->type = (uint8_t)type;
	o->acct = a;
	obj_get(&a->obj);
	live[type]++;
	*out = o;
	return 0;
}

void obj_put(struct kobj *o)
{
	if (o->refs == 0 || (o->flags & KOBJ_DYING)) {
		/* A reference dropped twice is a kernel bug; keep going. */
		if (o->refs)
			o->refs--;
		return;
	}
	if (--o->refs)
		return;
	if (o->flags & KOBJ_STATIC)
		return;
	o->flags |= KOBJ_DYING;
	o->reap_next = NULL;
	if (reap_tail)
		reap_tail->reap_next = o;
	else
		reap_head = o;
	reap_tail = o;
	obj_reap_count++;
}

/* Free the storage of a dead object and drop its account reference. */
void obj_free(struct kobj *o)
{
	struct account *a = o->acct;
	const struct obj_type *t = obj_type_of(o->type);

	if (o->type < CAP_TYPE_COUNT && live[o->type])
		live[o->type]--;
	if (t && t->cache && kcache_free(t->cache, o))
		pr_err("obj: freeing a %s object failed", t->name);
	if (a)
		obj_put(&a->obj);
}

bool obj_reap(unsigned budget)
{
	unsigned work = 0;

	/* Nested (from a destroy hook): what the hook queued is behind the
	 * current object, and the outer loop gets to it. */
	if (reaping)
		return true;
	reaping = true;
	while (reap_head) {
		struct kobj *o = reap_head;
		const struct obj_type *t = obj_type_of(o->type);
		bool done;

		if (t && t->destroy) {
			done = t->destroy(o, &work, budget);
		} else {
			work++;
			done = true;
		}
		if (done) {
			/* The teardown may have queued more objects behind o. */
			reap_head = o->reap_next;
			if (!reap_head)
				reap_tail = NULL;
			obj_reap_count--;
			if (!t || !t->pinned || !t->pinned(o))
				obj_free(o);
		}
		if (budget && work >= budget) {
			if (cap_preempt_due()) {
				reaping = false;
				return reap_head == NULL;
			}
			work = 0;
		}
	}
	reaping = false;
	return true;
}

int obj_check_queue(uint32_t *items, const char **why)
{
	unsigned n = 0;
	const struct kobj *last = NULL;

	for (const struct kobj *o = reap_head; o; o = o->reap_next) {
		(*items)++;
		if (++n > obj_reap_count) {
			*why = "reap queue longer than its count (or a cycle)";
			return E_FORMAT;
		}
		if (!(o->flags & KOBJ_DYING) || (o->flags & KOBJ_STATIC)) {
			*why = "an object on the reap queue is not dying, or static";
			return E_FORMAT;
		}
		if (o->refs) {
			*why = "an object on the reap queue is still referenced";
			return E_FORMAT;
		}
		last = o;
	}
	if (n != obj_reap_count) {
		*why = "reap queue shorter than its count";
		return E_FORMAT;
	}
	if (last != reap_tail) {
		*why = "reap queue tail is not its last entry";
		return E_FORMAT;
	}
	return 0;
}
