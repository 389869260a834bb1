/*
 * Kernel objects: the typed caches, reference counting, the reap queue
 * that destroys objects whose last capability went away, and accounts
 * (one quota per pool; the CAP_QUOTA object).
 *
 * Destruction is queued rather than recursive: destroying a CSpace deletes
 * the capabilities in it, which may drop other objects to zero, and so on.
 * The queue is drained by obj_reap() with a work budget, so a long chain
 * of destructions is preemptible like revocation (cap.c): the revoke call
 * drains it before it returns; other paths leave what remains for the
 * next kernel exit or the idle loop.
 */
#include <lib/log.h>
#include <cap/cap.h>
#include <lib/string.h>
#include <sched/thread.h>

struct kcache cache_thread, cache_endpoint, cache_ntfn, cache_cspace, cache_vspace,
	cache_memobj, cache_account, cache_leaf, cache_mid;

static struct kobj *reap_head, *reap_tail;
static unsigned reap_n;
static uint32_t live[CAP_TYPE_COUNT];
static struct account boot_acct;
static bool boot_acct_ready;

/* Object sizes are part of the memory budget (docs/capabilities.md); the
 * figures hold for the 32-bit target (host tests have wider pointers). */
#if UINTPTR_MAX == 0xffffffffu
_Static_assert(sizeof(struct kobj) == 16, "object header: 16 bytes");
_Static_assert(sizeof(struct cnode_leaf) == 64 * 40, "CSpace leaf: 64 slots, 2560 bytes");
_Static_assert(sizeof(struct cnode_mid) == 256, "CSpace interior node: 256 bytes");
_Static_assert(sizeof(struct memobj) == 32, "memory object: 32 bytes");
_Static_assert(sizeof(struct endpoint) <= 32, "endpoint: at most 32 bytes");
_Static_assert(sizeof(struct notification) <= 36, "notification: at most 36 bytes");
_Static_assert(sizeof(struct account) <= 256, "account: at most 256 bytes");
_Static_assert(sizeof(struct cspace) <= 296, "CSpace object: at most 296 bytes");
_Static_assert(sizeof(struct vspace) <= 64, "address space object: at most 64 bytes");
_Static_assert(sizeof(struct thread) <= 384, "thread: at most 384 bytes");
#endif

static int mk(struct kcache *c, const char *name, uint32_t size, uint32_t align)
{
	/* obj_init runs once per boot of the heap (kheap_init forgot every
	 * cache); host tests boot many times. */
	memset(c, 0, sizeof(*c));
	return kcache_create(c, name, size, align, 0);
}

static const char *const pool_quota_names[POOL_COUNT] = {
	"boot/direct", "boot/dma32", "boot/high", "boot/kheap",
};

void obj_init(void)
{
	int err = 0;

	err |= mk(&cache_thread, "thread", sizeof(struct thread), 8);
	err |= mk(&cache_endpoint, "endpoint", sizeof(struct endpoint), 0);
	err |= mk(&cache_ntfn, "notification", sizeof(struct notification), 0);
	err |= mk(&cache_cspace, "cspace", sizeof(struct cspace), 0);
	err |= mk(&cache_vspace, "vspace", sizeof(struct vspace), 8);
	err |= mk(&cache_memobj, "memobj", sizeof(struct memobj), 8);
	err |= mk(&cache_account, "account", sizeof(struct account), 0);
	err |= mk(&cache_leaf, "cnode_leaf", sizeof(struct cnode_leaf), 0);
	err |= mk(&cache_mid, "cnode_mid", sizeof(struct cnode_mid), 0);
	if (err)
		pr_err("obj: object caches could not be created");
	reap_head = reap_tail = NULL;
	reap_n = 0;
	memset(live, 0, sizeof(live));
	boot_acct_ready = false;
}

/*
 * The boot account: root quotas over all that each pool can still promise,
 * made on first use (after the in-kernel tests, which make and destroy
 * quotas of their own), so it holds everything nobody else reserved.
 */
struct account *account_boot(void)
{
	if (boot_acct_ready)
		return &boot_acct;
	memset(&boot_acct, 0, sizeof(boot_acct));
	boot_acct.obj.type = CAP_QUOTA;
	boot_acct.obj.flags = KOBJ_STATIC;
	boot_acct.obj.refs = 1;
	strlcpy(boot_acct.name, "boot", sizeof(boot_acct.name));
	for (unsigned i = 0; i < POOL_COUNT; i++) {
		struct pool *p = pool_get(i);

		if (quota_create_root(&boot_acct.q[i], p, p->quotable - p->reserved,
				      pool_quota_names[i]))
			pr_err("obj: boot quota for pool %s failed", p->name);
	}
	boot_acct_ready = true;
	return &boot_acct;
}

uint32_t obj_count(unsigned type)
{
	return type < CAP_TYPE_COUNT ? live[type] : 0;
}

unsigned obj_reap_pending(void)
{
	return reap_n;
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
	reap_n++;
}

static struct kcache *cache_of(unsigned type)
{
	switch (type) {
	case CAP_THREAD: return &cache_thread;
	case CAP_ENDPOINT: return &cache_endpoint;
	case CAP_NOTIFICATION: return &cache_ntfn;
	case CAP_CSPACE: return &cache_cspace;
	case CAP_VSPACE: return &cache_vspace;
	case CAP_MEM: return &cache_memobj;
	case CAP_QUOTA: return &cache_account;
	}
	return NULL;
}

static void account_teardown(struct account *a);

/* Free the storage of a dead object and drop its account reference. */
void obj_free(struct kobj *o)
{
	struct account *a = o->acct;
	struct kcache *c = cache_of(o->type);

	if (o->type < CAP_TYPE_COUNT && live[o->type])
		live[o->type]--;
	if (c && kcache_free(c, o))
		pr_err("obj: freeing a %u object failed", o->type);
	if (a)
		obj_put(&a->obj);
}

static bool destroy_step(struct kobj *o, unsigned *work, unsigned budget)
{
	switch (o->type) {
	case CAP_CSPACE:
		return cspace_destroy_step((struct cspace *)o, work, budget);
	case CAP_VSPACE:
		(*work)++;
		return vspace_teardown((struct vspace *)o);
	case CAP_MEM:
		(*work)++;
		memobj_release((struct memobj *)o);
		return true;
	case CAP_THREAD:
		(*work)++;
		thread_destroy((struct thread *)o);
		return true;
	case CAP_ENDPOINT:
		(*work)++;
		endpoint_destroy((struct endpoint *)o);
		return true;
	case CAP_NOTIFICATION:
		(*work)++;
		notification_destroy((struct notification *)o);
		return true;
	case CAP_QUOTA:
		(*work)++;
		account_teardown((struct account *)o);
		return true;
	}
	return true;
}

bool obj_reap(unsigned budget)
{
	unsigned work = 0;

	while (reap_head) {
		struct kobj *o = reap_head;

		if (destroy_step(o, &work, budget)) {
			/* The step may have queued more objects behind o. */
			reap_head = o->reap_next;
			if (!reap_head)
				reap_tail = NULL;
			reap_n--;
			if (o->type != CAP_VSPACE || ((struct vspace *)o)->maprefs == 0)
				obj_free(o);
		}
		if (budget && work >= budget) {
			if (uarch_irq_pending())
				return reap_head == NULL;
			work = 0;
		}
	}
	return true;
}

/* ----------------------------------------------------------- accounts */

static void account_teardown(struct account *a)
{
	for (unsigned i = 0; i < POOL_COUNT; i++)
		if (quota_live(&a->q[i]) && quota_destroy(&a->q[i]))
			pr_err("obj: account %s: quota %u still charged at destruction", a->name,
			       i);
	if (a->parent)
		obj_put(&a->parent->obj);
}

int account_carve(struct account *parent, const uint32_t limit[POOL_COUNT], const char *name,
		  struct account **out)
{
	struct account *a;
	int err;

	/* Validate first: the child's heap bytes come from the parent too,
	 * on top of the object itself. */
	for (unsigned i = 0; i < POOL_COUNT; i++) {
		uint64_t need = limit[i];

		if (i == POOL_KHEAP)
			need += cache_account.stride;
		if (!quota_live(&parent->q[i]) ? limit[i] != 0
					       : need > quota_available(&parent->q[i]))
			return E_NOMEM;
	}
	err = obj_alloc(&cache_account, CAP_QUOTA, parent, (void **)&a);
	if (err)
		return err;
	a->parent = parent;
	obj_get(&parent->obj);
	strlcpy(a->name, name ? name : "account", sizeof(a->name));
	for (unsigned i = 0; i < POOL_COUNT; i++) {
		if (!quota_live(&parent->q[i]))
			continue;
		err = quota_create_child(&a->q[i], &parent->q[i], limit[i], a->name);
		if (err) {
			/* Cannot happen after the check above; undo anyway. */
			while (i--)
				if (quota_live(&a->q[i]))
					quota_destroy(&a->q[i]);
			obj_put(&parent->obj);
			a->obj.flags |= KOBJ_DYING;
			obj_free(&a->obj);
			return err;
		}
	}
	*out = a;
	return 0;
}
