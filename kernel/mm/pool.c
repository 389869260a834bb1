/*
 * pool: pools over the physical segments and the object heap, and the
 * quota tree of each (see mm/pool.h for the model).
 *
 * Design: pools are a static table (POOL_COUNT entries, built by
 * pool_init from the buddy and the heap). Quotas live in caller storage
 * and are linked into their pool's tree with intrusive sibling lists, so
 * creating, destroying, charging and crediting are O(1) and allocate
 * nothing; only pool_check walks the trees.
 *
 *   pool "high" (reserved = 300 + 100)
 *     root "init"  limit 300  carved 120  used 50
 *       child "shell"  limit 100  used 10
 *       child "net"    limit  20  used  0
 *     root "blk"   limit 100  used 0
 *
 * Frame allocation charges before it allocates and credits on failure, so
 * no error leaves a charge behind; freeing checks the frame-table entry's
 * pool against the quota's before anything changes (buddy_free_pool: one
 * lookup of the address for all the checks).
 *
 * Fast paths (order 0, docs/memory.md "Fast paths", `tools/bench`): inline
 * in pool.h. An alloc with no flags and quota room pops the order-0 cache
 * of the quota's segment (pool->pcp, buddy.h) and charges; an order-0
 * free validates the address completely with one lookup, pushes the page
 * on that cache and credits. Everything else, errors, an empty or full
 * cache included, is pool_frame_alloc_slow / pool_frame_free_slow here.
 *
 * Locking: kernel lock.
 */
#include <lib/error.h>
#include <lib/string.h>
#include <mm/buddy.h>
#include <mm/frame.h>
#include <mm/kheap.h>
#include <mm/pool.h>

_Static_assert((int)POOL_KHEAP == (int)PMEM_NSEGS, "frame pools mirror the segments");

static struct pool pools[POOL_COUNT];
static const char *const pool_names[POOL_COUNT] = { "direct", "dma32", "high", "kheap" };

void pool_init(void)
{
	memset(pools, 0, sizeof(pools));
	for (unsigned i = 0; i < POOL_COUNT; i++) {
		struct pool *p = &pools[i];

		p->name = pool_names[i];
		p->id = (uint8_t)i;
		if (i < PMEM_NSEGS) {
			uint32_t total = (uint32_t)buddy_total_pages(i);
			uint32_t fr = (uint32_t)buddy_free_pages(i);
			/* table growth still possible: 2 pages per 4 MiB chunk */
			uint32_t growth = (total + FRAME_CHUNK_PAGES - 1) / FRAME_CHUNK_PAGES *
					  FRAME_TABLE_PAGES_PER_CHUNK;

			p->kind = POOL_KIND_FRAMES;
			p->seg = (uint8_t)i;
			p->pcp = &buddy_pcp[i];
			p->head_w1 = i | i << 8;          /* pool id | segment << 8 */
			p->total = total;
			p->quotable = fr > growth ? fr - growth : 0;
		} else {
			p->kind = POOL_KIND_HEAP;
			p->seg = PMEM_SEG_DIRECT;
			p->head_w1 = 0xFFFFFFFFu;         /* no frame has it */
			p->total = (uint32_t)kheap_size();      /* <= 256 MiB */
			p->quotable = (uint32_t)(kheap_usable_bytes() / 8 * 7);
		}
	}
}

struct pool *pool_get(unsigned id)
{
	return id < POOL_COUNT ? &pools[id] : NULL;
}

struct pool *pool_by_name(const char *name)
{
	for (unsigned i = 0; name && i < POOL_COUNT; i++)
		if (strcmp(pools[i].name, name) == 0)
			return &pools[i];
	return NULL;
}

uint32_t pool_free(const struct pool *p)
{
	if (!p)
		return 0;
	return (uint32_t)(p->kind == POOL_KIND_FRAMES ? buddy_free_pages(p->seg) :
							 kheap_free_bytes());
}

/* ------------------------------------------------------------ quotas */

static void link_quota(struct quota **head, struct quota *q)
{
	q->prev = NULL;
	q->next = *head;
	if (*head)
		(*head)->prev = q;
	*head = q;
}

static bool is_pool(const struct pool *p)
{
	return p && p >= &pools[0] && p < &pools[POOL_COUNT];
}

static void quota_fill(struct quota *q, struct pool *p, struct quota *parent, uint32_t limit,
		       const char *name)
{
	memset(q, 0, sizeof(*q));
	q->pool = p;
	q->parent = parent;
	q->limit = limit;
	q->name = name ? name : "";
	q->magic = p->kind == POOL_KIND_HEAP ? QUOTA_MAGIC_HEAP : QUOTA_MAGIC_FRAMES;
	p->nquotas++;
}

int quota_create_root(struct quota *q, struct pool *p, uint64_t limit, const char *name)
{
	if (!q || quota_live(q) || !is_pool(p))
		return E_INVAL;
	if (limit > p->quotable - p->reserved)
		return E_NOMEM;
	quota_fill(q, p, NULL, (uint32_t)limit, name);
	p->reserved += (uint32_t)limit;
	link_quota(&p->roots, q);
	return 0;
}

int quota_create_child(struct quota *q, struct quota *parent, uint64_t limit,
		       const char *name)
{
	if (!q || quota_live(q) || !quota_live(parent) || q == parent)
		return E_INVAL;
	if (limit > quota_available(parent))
		return E_NOMEM;
	quota_fill(q, parent->pool, parent, (uint32_t)limit, name);
	parent->carved += (uint32_t)limit;
	parent->nchildren++;
	link_quota(&parent->children, q);
	return 0;
}

int quota_destroy(struct quota *q)
{
	struct quota **head;

	if (!quota_live(q))
		return E_INVAL;
	if (q->nchildren || q->used)
		return E_BUSY;
	head = q->parent ? &q->parent->children : &q->pool->roots;
	if (q->prev)
		q->prev->next = q->next;
	else
		*head = q->next;
	if (q->next)
		q->next->prev = q->prev;
	if (q->parent) {
		q->parent->carved -= q->limit;
		q->parent->nchildren--;
	} else {
		q->pool->reserved -= q->limit;
	}
	q->pool->nquotas--;
	q->magic = 0;
	return 0;
}

/* ------------------------------------------------------------ frames */

static bool frames_quota(const struct quota *q)
{
	return q && q->magic == QUOTA_MAGIC_FRAMES;
}

static int frame_alloc_one(struct quota *q, unsigned order, unsigned flags, paddr_t *out)
{
	uint8_t seg = q->pool->seg;
	paddr_t pa;
	int err;

	err = quota_charge(q, 1u << order);
	if (err)
		return err;
	err = buddy_alloc(&seg, 1, order, q->pool->id, &pa);
	if (!err && (flags & POOL_F_ZERO)) {
		err = frame_zero(pa, order);
		if (err)
			buddy_free(pa, order);
	}
	if (err) {
		quota_credit(q, 1u << order);
		return err;
	}
	*out = pa;
	return 0;
}

/* Everything pool_frame_alloc (pool.h) does not do inline. */
int pool_frame_alloc_slow(struct quota *q, unsigned order, unsigned flags, paddr_t *out)
{
	if (!frames_quota(q) || order > BUDDY_MAX_ORDER || (flags & ~POOL_F_ZERO) || !out)
		return E_INVAL;
	return frame_alloc_one(q, order, flags, out);
}

int pool_frame_alloc_any(struct quota *const *qs, unsigned n, unsigned order, unsigned flags,
			 paddr_t *out, unsigned *which)
{
	int err = E_NOMEM;

	if (!qs || order > BUDDY_MAX_ORDER || (flags & ~POOL_F_ZERO) || !out)
		return E_INVAL;
	for (unsigned i = 0; i < n; i++)
		if (!frames_quota(qs[i]))
			return E_INVAL;
	for (unsigned i = 0; i < n; i++) {
		err = frame_alloc_one(qs[i], order, flags, out);
		if (err == 0 && which)
			*which = i;
		if (err != E_NOMEM)
			return err;
	}
	return err;
}

/* Everything pool_frame_free (pool.h) does not do inline, with every
 * check: one lookup (buddy_free_pool) for head of an allocated block of
 * this order, of q's pool, nothing mapped (E_INVAL / E_BUSY, nothing
 * changed). */
int pool_frame_free_slow(struct quota *q, paddr_t pa, unsigned order)
{
	uint32_t n;
	int err;

	if (!frames_quota(q) || order > BUDDY_MAX_ORDER)
		return E_INVAL;
	n = 1u << order;
	if (q->used < n)
		return E_INVAL;
	err = buddy_free_pool(pa, order, q->pool->id);
	if (err)
		return err;
	quota_credit(q, n);
	return 0;
}

/* ------------------------------------------------------------ check */

/*
 * Check the subtree at q (depth-first without recursion would need a
 * stack; quota trees mirror process trees, so recursion depth is bounded
 * by the caller's nesting, and a visit count guards against cycles).
 */
static const char *check_tree(const struct quota *q, const struct pool *p,
			      const struct quota *parent, uint64_t *used, uint32_t *count,
			      unsigned depth)
{
	for (; q; q = q->next) {
		uint64_t carved = 0;     /* 64-bit: a corrupt tree must not wrap */
		uint32_t nchildren = 0;
		const char *bad;

		if (++*count > p->nquotas || depth > 64)
			return "quota tree has a cycle or more quotas than counted";
		if (q->magic != (p->kind == POOL_KIND_HEAP ? QUOTA_MAGIC_HEAP : QUOTA_MAGIC_FRAMES) ||
		    q->pool != p || q->parent != parent)
			return "quota with bad magic, pool or parent";
		if (q->used > q->limit || q->carved > q->limit - q->used)
			return "quota over its limit";
		if (q->next && q->next->prev != q)
			return "quota sibling links broken";
		for (const struct quota *c = q->children; c; c = c->next) {
			carved += c->limit;
			if (++nchildren > p->nquotas)
				return "quota child list loops";
		}
		if (carved != q->carved || nchildren != q->nchildren)
			return "carved amount differs from the children's limits";
		*used += q->used;
		bad = check_tree(q->children, p, q, used, count, depth + 1);
		if (bad)
			return bad;
	}
	return NULL;
}

int pool_check(const char **why)
{
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	for (unsigned i = 0; i < POOL_COUNT; i++) {
		const struct pool *p = &pools[i];
		uint64_t reserved = 0, used = 0;
		uint32_t count = 0;

		for (const struct quota *q = p->roots; q; q = q->next) {
			reserved += q->limit;
			if (count++ > p->nquotas)
				break;
		}
		count = 0;
		*why = check_tree(p->roots, p, NULL, &used, &count, 0);
		if (!*why && (reserved != p->reserved || p->reserved > p->quotable))
			*why = "pool reserved differs from its roots or exceeds quotable";
		if (!*why && used != p->charged)
			*why = "pool charged differs from the quotas' use";
		if (!*why && count != p->nquotas)
			*why = "pool quota count differs from its trees";
		if (*why)
			return E_FORMAT;
	}
	return 0;
}
