/*
 * Differential test of the capability system calls against the reference
 * model (capmodel.c).
 *
 * One thread (the caller) runs on the host build of the kernel exactly as
 * tests/host/test_cap.c boots it; its CSpace is the model's "self". Each
 * step makes one system call through the real entry (kentry_syscall: the
 * decode of kernel/syscall/syscall.c, then kernel/cap/), with registers a
 * seeded generator picked by looking at the model's state (mostly valid
 * slots and objects, a share of wrong ones), and the model computes the
 * same call. After every step the test compares the returned registers
 * and the whole state: every slot of every live CSpace that the generator
 * can name (occupied or not, type, object identity, rights, words, depth,
 * original or not, its parent slot, its mapping), the leaves each CSpace
 * has grown, the translations of every live address space and its page
 * tables, every live account's four quotas (limit, used, carved), and the
 * number of live objects of each type; descendant counts (what a revoke
 * would remove) every 256 steps. Revokes and deletes are sometimes made
 * with an interrupt pending so that they are preempted and re-executed.
 *
 * A divergence stops the run; the sequence up to it is shrunk by delta
 * debugging (replayed on a fresh kernel and model each time, dropping
 * chunks of operations while it still diverges) and printed as op lines
 * with the seed. The case shrinker_finds_a_mutated_model checks that the
 * machinery works: a model with a planted error must be caught and its
 * reproducer shrunk to a few operations.
 *
 * Long runs: build/host/test_capmodel --seed N --ops M [--seeds K]
 * (or CAPMODEL_SEED, CAPMODEL_OPS, CAPMODEL_SEEDS in the environment).
 */
#define _POSIX_C_SOURCE 200809L   /* clock_gettime */
#include "capmodel.h"
#include "htest.h"
#include "mm_fakes.h"
#include "uarch_fakes.h"

#include <boot/boot.h>
#include <cap/cap.h>
#include <lib/error.h>
#include <mm/devrange.h>
#include <mm/frame.h>
#include <mm/kheap.h>
#include <mm/mm.h>
#include <mm/pool.h>
#include <sched/thread.h>

#include <stdlib.h>
#include <time.h>

#define GB(x) ((paddr_t)(x) << 30)
#define MB(x) ((paddr_t)(x) << 20)
#define PC0 0x10000u

/* A device's registers, and a bus window (normal non-cacheable and
 * write-combining permitted, to capabilities with R_PREFETCH). */
static const struct mm_device devs[] = { { 0x09000000, 0x1000, 0, false },
					 { 0x10000000, MB(64), 1, true } };

/* The slot indices the generator ever names (valid or not, depending on
 * the CSpace's limit): the comparison covers all of them. */
static const uint32_t bad_idx[] = { 0, 4999, 5000, 262143, 262144, 0xfffffffeu };
static const uint32_t far_idx[] = { 130, 4095, 4096, 4100, 12345 };
static uint32_t uni[160];
static unsigned nuni;

/* What the system-call layer links against and this test never reaches:
 * the kernel's built-in test and benchmark tables (empty here) and the
 * board reset of SYS_POWEROFF. */
__asm__(".pushsection .data\n"
	".globl __ktest_suites_start, __ktest_suites_end, __bench_start, __bench_end\n"
	"__ktest_suites_start:\n__ktest_suites_end:\n__bench_start:\n__bench_end:\n"
	".popsection");

void plat_reset(void)
{
	abort();
}

/* ----------------------------------------------------------- the world */

struct world {
	struct cm *m;
	struct thread *t;
	struct account *acct;
	void *kptr[CM_MAXOBJ];       /* model object id -> kernel object */
	uint32_t kbase[CM_MAXOBJ];   /* memory objects: first pfn */
	bool known[CM_MAXOBJ];
	uint32_t base_count[CAP_TYPE_COUNT];
	/* what the run reached */
	unsigned errs_seen[32];
	unsigned by_call[32][32];    /* results per call number */
	uint32_t restarts;
	uint32_t reboots;            /* fresh worlds started within a run */
	uint32_t max_tree, max_mapped;
	char why[256];
};

static struct world W;
static bool trace;             /* CAPMODEL_TRACE: every step of the reproducer */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Position of idx in uni (sorted), nuni if absent. */
static unsigned uni_pos(uint32_t idx)
{
	const uint32_t *p = bsearch(&idx, uni, nuni, sizeof(uni[0]), cmp_u32);

	return p ? (unsigned)(p - uni) : nuni;
}

static void init_universe(void)
{
	nuni = 0;
	for (uint32_t i = 1; i <= 48; i++)
		uni[nuni++] = i;
	for (uint32_t i = 64; i < 112; i++)
		uni[nuni++] = i;
	for (unsigned i = 0; i < ARRAY_SIZE(far_idx); i++)
		uni[nuni++] = far_idx[i];
	for (unsigned i = 0; i < ARRAY_SIZE(bad_idx); i++)
		if (bad_idx[i] != 0 && bad_idx[i] < CSPACE_SLOTS)
			uni[nuni++] = bad_idx[i];
	qsort(uni, nuni, sizeof(uni[0]), cmp_u32);
}

static struct slot *kslot(struct cspace *cs, uint32_t idx)
{
	struct slot *s = NULL;

	if (cspace_slot(cs, idx, &s) != 0)
		abort();
	return s;
}

/* Boot the kernel and the model in the same state; false on a failure
 * of the setup itself. */
static bool world_boot(int mutation)
{
	uint32_t lim[POOL_COUNT] = { 192, 0, 0, 48000 };
	struct account *boot_a;
	struct cspace *kcs, *self, *scratch;
	struct vspace *tvs;
	struct slot *s;
	uint32_t h0, h1, h2;
	int as, sid;

	if (mmfake_boot_bank(MB(128), MB(4), devs, 2) != 0 || mmfake_phys_arena(GB(1), MB(128)) != 0)
		return false;
	ufake_reset();
	objects_init();
	sched_init();
	boot_a = account_boot();
	if (!W.m)
		W.m = malloc(sizeof(*W.m));
	cm_init(W.m);
	W.m->mutation = mutation;
	memset(W.kptr, 0, sizeof(W.kptr));
	memset(W.known, 0, sizeof(W.known));
	/* Costs: object sizes from the type table, CSpace nodes measured. */
	for (unsigned t = 0; t < CAP_TYPE_COUNT; t++)
		if (obj_types[t] && obj_types[t]->cache)
			W.m->cost.obj[t] = obj_types[t]->cache->stride;
	if (cspace_create(boot_a, CSPACE_SLOTS, &scratch))
		return false;
	h0 = boot_a->q[POOL_KHEAP].used;
	kslot(scratch, 1);
	h1 = boot_a->q[POOL_KHEAP].used;
	kslot(scratch, 64);
	h2 = boot_a->q[POOL_KHEAP].used;
	W.m->cost.leaf = h2 - h1;
	W.m->cost.mid = h1 - h0 - W.m->cost.leaf;
	/* Device ranges, as the kernel knows them. */
	for (unsigned i = 0; i < ARRAY_SIZE(devs); i++) {
		const struct devrange *r = devrange_find(devs[i].base);

		if (!r)
			return false;
		W.m->dev[i] = (struct cm_dev){ (uint32_t)(r->base >> 12), (uint32_t)(r->size >> 12),
					       r->attrs };
	}
	W.m->ndev = ARRAY_SIZE(devs);
	/* The caller: a thread whose CSpace and address space hang off
	 * originals in a kernel-held CSpace, outside the model. */
	if (account_carve(boot_a, lim, "proc", &W.acct) || cspace_create(boot_a, 64, &kcs) ||
	    cspace_create(W.acct, 5000, &self) || vspace_create(boot_a, &tvs) ||
	    thread_create(boot_a, &W.t))
		return false;
	if (cap_install_root(kslot(kcs, 1), CAP_CSPACE, R_ALL, &self->obj, 0, 0) ||
	    cap_install_root(kslot(kcs, 2), CAP_VSPACE, R_ALL, &tvs->obj, 0, 0) ||
	    thread_configure(W.t, kslot(kcs, 1), kslot(kcs, 2), NULL, NULL) ||
	    thread_resume(W.t))
		return false;
	if (sched_pick() != W.t)
		return false;
	/* Its originals: the account, two device ranges. */
	s = kslot(self, 1);
	if (cap_install_root(s, CAP_QUOTA, R_ALL, &W.acct->obj, 0, 0) ||
	    cap_install_root(kslot(self, 2), CAP_DEVICE, R_READ | R_WRITE, NULL, 0x09000, 1) ||
	    cap_install_root(kslot(self, 3), CAP_DEVICE, R_READ | R_WRITE | R_PREFETCH, NULL, 0x10000,
			     16384))
		return false;
	/* The model of the same. */
	as = cm_new_obj(W.m, CAP_QUOTA, -1);
	sid = cm_new_obj(W.m, CAP_CSPACE, as);
	W.m->obj[as].ext = W.m->obj[sid].ext = true;
	for (unsigned p = 0; p < POOL_COUNT; p++) {
		const struct quota *q = &W.acct->q[p];

		W.m->obj[as].q[p] = (struct cm_quota){ quota_live(q), q->limit, q->used, q->carved };
	}
	W.m->obj[sid].limit = 5000;
	W.m->self = sid;
	cm_grow(W.m, sid, 1);
	cm_put_root(W.m, sid, 1, CAP_QUOTA, R_ALL, as, 0, 0);
	cm_put_root(W.m, sid, 2, CAP_DEVICE, R_READ | R_WRITE, -1, 0x09000, 1);
	cm_put_root(W.m, sid, 3, CAP_DEVICE, R_READ | R_WRITE | R_PREFETCH, -1, 0x10000, 16384);
	W.kptr[as] = W.acct;
	W.kptr[sid] = self;
	W.known[as] = W.known[sid] = true;
	for (unsigned t = 0; t < CAP_TYPE_COUNT; t++)
		W.base_count[t] = obj_count(t) - cm_live(W.m, t);
	return true;
}

/* ----------------------------------------------------------- one call */

static void kernel_call(const struct cm_op *op, uint32_t out[6])
{
	struct uctx *c = &W.t->ctx, *r;

	for (unsigned i = 0; i < 7; i++)
		c->r[i] = op->r[i];
	c->r[7] = op->sys;
	ufake_irq_pending_every(op->irq_every);
	for (;;) {
		c->pc = PC0;
		r = kentry_syscall(c);
		if (r != c) {
			snprintf(W.why, sizeof(W.why), "the caller did not come back from the call");
			break;
		}
		if (c->pc == PC0)
			break;
		/* Preempted: re-executed from the svc with the same registers. */
		W.restarts++;
		if (c->pc != PC0 - 4 || W.restarts > 100000000u)
			break;
	}
	ufake_irq_pending_every(0);
	/* What the idle loop and later exits would do. */
	while (!obj_reap(0))
		;
	for (unsigned i = 0; i < 6; i++)
		out[i] = c->r[i];
}

/* ----------------------------------------------------------- comparison */

#define FAIL(...)                                                                  \
	do {                                                                       \
		snprintf(W.why, sizeof(W.why), __VA_ARGS__);                       \
		return false;                                                      \
	} while (0)

static bool sync_objects(void)
{
	struct cm *m = W.m;

	for (int o = 0; o < CM_MAXOBJ; o++)
		if (W.known[o] && m->obj[o].state == CM_FREE)
			W.known[o] = false;
	for (int o = 0; o < CM_MAXOBJ; o++) {
		int s = -1;
		struct slot *k;

		if (W.known[o] || m->obj[o].state == CM_FREE)
			continue;
		/* Just made: the capability the call installed names it. */
		for (int i = 0; i < CM_MAXSLOT && s < 0; i++)
			if (m->slot[i].used && m->slot[i].obj == o)
				s = i;
		if (s < 0 || !W.kptr[m->slot[s].cs])
			FAIL("model object %d has no capability", o);
		k = cspace_lookup(W.kptr[m->slot[s].cs], m->slot[s].idx);
		if (!k || slot_empty(k))
			FAIL("new object: kernel slot %u is empty", m->slot[s].idx);
		for (int p = 0; p < CM_MAXOBJ; p++)
			if (W.known[p] && W.kptr[p] == k->obj)
				FAIL("new object: kernel object already known as %d", p);
		W.kptr[o] = k->obj;
		W.kbase[o] = k->a;
		W.known[o] = true;
	}
	return true;
}

static bool same_slot(const struct slot *k, const struct cm_slot *x, uint32_t idx)
{
	const struct cm *m = W.m;
	unsigned f = slot_flags(k);
	const struct slot *kp = NULL;
	uint32_t a = x->type == CAP_MEM ? W.kbase[x->obj] + x->a : x->a;

	if (slot_type(k) != x->type || slot_rights(k) != x->rights)
		FAIL("slot %u: type/rights %u/%x, model %u/%x", idx, slot_type(k), slot_rights(k),
		     x->type, x->rights);
	if (!!(f & SLOT_F_ROOT) != x->root || slot_depth(k) != x->depth)
		FAIL("slot %u: root/depth %u/%u, model %u/%u", idx, !!(f & SLOT_F_ROOT),
		     slot_depth(k), x->root, x->depth);
	if (k->obj != (x->obj >= 0 ? W.kptr[x->obj] : NULL))
		FAIL("slot %u: names another object (model %d)", idx, x->obj);
	if (k->a != a || k->b != x->b)
		FAIL("slot %u: words %x/%x, model %x/%x", idx, k->a, k->b, a, x->b);
	if (x->parent >= 0)
		kp = cspace_lookup(W.kptr[m->slot[x->parent].cs], m->slot[x->parent].idx);
	if (k->parent != kp)
		FAIL("slot %u: another parent (model: slot %u)", idx,
		     x->parent >= 0 ? m->slot[x->parent].idx : 0);
	if (!!(f & SLOT_F_MAPPED) != x->mapped)
		FAIL("slot %u: mapped %u, model %u", idx, !!(f & SLOT_F_MAPPED), x->mapped);
	if (x->mapped && (k->map_vs != W.kptr[x->map_vs] ||
			  k->map_va != (x->map_va | x->map_rights | (uint32_t)x->map_attr << 4)))
		FAIL("slot %u: mapping %x, model %x", idx, k->map_va, x->map_va);
	return true;
}

static bool same_state(bool deep)
{
	const struct cm *m = W.m;
	static int at[CM_MAXOBJ][160];
	static uint32_t desc[CM_MAXSLOT], vs_pages[CM_MAXOBJ], vs_maps[CM_MAXOBJ];
	uint32_t live[CAP_TYPE_COUNT] = { 0 };

	if (!sync_objects())
		return false;
	for (int o = 0; o < CM_MAXOBJ; o++)
		if (m->obj[o].state != CM_FREE)
			live[m->obj[o].type]++;
	for (unsigned t = 1; t < CAP_TYPE_COUNT; t++)
		if (obj_count(t) != W.base_count[t] + live[t])
			FAIL("%u objects of type %u, model %u", obj_count(t) - W.base_count[t], t,
			     live[t]);
	if (deep)
		cm_desc_counts(m, desc);
	memset(vs_pages, 0, sizeof(vs_pages));
	memset(vs_maps, 0, sizeof(vs_maps));
	for (int i = 0; i < CM_MAXSLOT; i++)
		if (m->slot[i].used && m->slot[i].mapped) {
			vs_pages[m->slot[i].map_vs] += m->slot[i].b;
			vs_maps[m->slot[i].map_vs]++;
		}
	/* Where the model's capabilities are, per CSpace and index. */
	for (int o = 0; o < CM_MAXOBJ; o++)
		if (m->obj[o].state != CM_FREE && m->obj[o].type == CAP_CSPACE)
			for (unsigned u = 0; u < nuni; u++)
				at[o][u] = -1;
	for (int i = 0; i < CM_MAXSLOT; i++) {
		const struct cm_slot *x = &m->slot[i];
		unsigned u;

		if (!x->used)
			continue;
		u = uni_pos(x->idx);
		if (u == nuni)
			FAIL("model slot at %u, outside the indices compared", x->idx);
		at[x->cs][u] = i;
	}
	for (int o = 0; o < CM_MAXOBJ; o++) {
		const struct cm_obj *x = &m->obj[o];

		if (x->state == CM_FREE)
			continue;
		switch (x->type) {
		case CAP_CSPACE: {
			struct cspace *cs = W.kptr[o];

			if (cs->limit != x->limit || cs->leaves != cm_leaves(m, o))
				FAIL("CSpace %d: limit %u leaves %u, model %u %u", o, cs->limit,
				     cs->leaves, x->limit, cm_leaves(m, o));
			for (unsigned u = 0; u < nuni; u++) {
				const struct slot *k;
				int s = at[o][u];

				if (uni[u] >= cs->limit)
					continue;
				k = cspace_lookup(cs, uni[u]);

				if ((k && !slot_empty(k)) != (s >= 0))
					FAIL("CSpace %d slot %u: occupied %u, model %u", o, uni[u],
					     k && !slot_empty(k), s >= 0);
				if (s >= 0 && !same_slot(k, &m->slot[s], uni[u]))
					return false;
				if (s >= 0 && deep) {
					uint32_t kd = cap_descendants(k), md = desc[s];

					if (kd != md)
						FAIL("CSpace %d slot %u: %u descendants, model %u", o,
						     uni[u], kd, md);
					if (md > W.max_tree)
						W.max_tree = md;
				}
			}
			break;
		}
		case CAP_QUOTA: {
			const struct account *a = W.kptr[o];

			for (unsigned p = 0; p < POOL_COUNT; p++) {
				const struct quota *q = &a->q[p];
				const struct cm_quota *mq = &x->q[p];

				if (quota_live(q) != mq->live ||
				    (mq->live && (q->limit != mq->limit || q->used != mq->used ||
						  q->carved != mq->carved)))
					FAIL("account %d pool %u: limit/used/carved %u/%u/%u, model "
					     "%u/%u/%u", o, p, q->limit, q->used, q->carved,
					     mq->limit, mq->used, mq->carved);
			}
			break;
		}
		case CAP_VSPACE: {
			const struct vspace *vs = W.kptr[o];
			uint32_t pages = vs_pages[o], n = vs_maps[o];

			if (vs->dead != (x->state == CM_PINNED))
				FAIL("address space %d: dead %u, model %u", o, vs->dead,
				     x->state == CM_PINNED);
			if (vs->dead)
				break;
			for (int i = 0; i < CM_MAXSLOT && n; i++) {
				const struct cm_slot *s = &m->slot[i];
				paddr_t pa, want;
				unsigned attr, rights;

				if (!s->used || !s->mapped || s->map_vs != o)
					continue;
				want = (paddr_t)(s->type == CAP_MEM ? W.kbase[s->obj] + s->a : s->a) << 12;
				if (uarch_vs_query(&vs->arch, s->map_va + (s->b - 1) * 4096u, &pa, &attr,
						   &rights) ||
				    pa != want + (paddr_t)(s->b - 1) * 4096u || attr != s->map_attr ||
				    rights != s->map_rights)
					FAIL("address space %d: the mapping at %x is not there as "
					     "the model has it", o, s->map_va);
			}
			if (vs->arch.pages_mapped != pages || ufake_mappings(&vs->arch) != n ||
			    vs->arch.tables != x->tables)
				FAIL("address space %d: %u pages in %u mappings, %u tables; model "
				     "%u in %u, %u", o, vs->arch.pages_mapped,
				     ufake_mappings(&vs->arch), vs->arch.tables, pages, n, x->tables);
			if (n > W.max_mapped)
				W.max_mapped = n;
			break;
		}
		}
	}
	return true;
}

/* One step on both sides; false on a divergence (W.why says what). */
static bool step(const struct cm_op *op, bool deep)
{
	uint32_t k[6];
	struct cm_res r;

	W.why[0] = 0;
	kernel_call(op, k);
	if (W.why[0])
		return false;
	cm_step(W.m, op, &r);
	if (trace) {
		char line[200];

		cm_op_str(op, line, sizeof(line));
		printf("# trace: %-60s kernel %d model %d; quotas", line, (int)k[0], (int)r.r[0]);
		for (int o = 0; o < CM_MAXOBJ; o++)
			if (W.m->obj[o].state != CM_FREE && W.m->obj[o].type == CAP_QUOTA &&
			    W.known[o])
				printf(" [%d: %u/%u k %u/%u]", o, W.m->obj[o].q[0].used,
				       W.m->obj[o].q[3].used, ((struct account *)W.kptr[o])->q[0].used,
				       ((struct account *)W.kptr[o])->q[3].used);
		printf("\n");
	}
	if (W.m->overflow)
		FAIL("the model's tables are full");
	if (op->sys == SYS_CAP_INSPECT && r.r[0] == 0) {
		/* Memory capabilities: the model knows offsets, the kernel pages. */
		int s = cm_find(W.m, W.m->self, op->r[0]);

		if (s >= 0 && W.m->slot[s].type == CAP_MEM) {
			paddr_t pa = (paddr_t)(W.kbase[W.m->slot[s].obj] + W.m->slot[s].a) << 12;

			r.r[2] = (uint32_t)pa;
			r.r[3] = (uint32_t)(pa >> 32);
		}
	}
	for (unsigned i = 0; i < r.nout; i++)
		if (k[i] != r.r[i])
			FAIL("r%u = %d (0x%x), model %d (0x%x)", i, (int)k[i], k[i], (int)r.r[i],
			     r.r[i]);
	if ((int)k[0] <= 0 && (int)k[0] > -32) {
		W.errs_seen[-(int)k[0]]++;
		W.by_call[op->sys % 32][-(int)k[0]]++;
	}
	return same_state(deep);
}

/* ----------------------------------------------------------- generator */

struct gen {
	uint64_t rng;
	unsigned burst;              /* chain steps left */
	uint32_t chain_last, chain_next;
	unsigned fan;                /* fan-out steps left */
	uint32_t fan_src;
	unsigned fan_stage;          /* ending through a copy: 1 copied, 2 moved */
	uint32_t fan_d, fan_j;
	int fan_cs;
};

static uint32_t rnd(struct gen *g, uint32_t n)
{
	return n ? (uint32_t)(htest_rand(&g->rng) % n) : 0;
}

static bool chance(struct gen *g, unsigned percent)
{
	return rnd(g, 100) < percent;
}

static uint32_t any_idx(struct gen *g)
{
	unsigned p = rnd(g, 100);

	if (p < 80)
		return 1 + rnd(g, 48);
	if (p < 90)
		return 64 + rnd(g, 48);
	if (p < 96)
		return far_idx[rnd(g, ARRAY_SIZE(far_idx))];
	return bad_idx[rnd(g, ARRAY_SIZE(bad_idx))];
}

/* A slot of CSpace cs holding a capability of type (0: any), or -1. */
static int pick_cap(struct gen *g, int cs, unsigned type)
{
	const struct cm *m = W.m;
	int n = 0, pick = -1;

	for (int i = 0; i < CM_MAXSLOT; i++) {
		const struct cm_slot *s = &m->slot[i];

		if (s->used && s->cs == cs && (!type || s->type == type) && rnd(g, (uint32_t)++n) == 0)
			pick = i;
	}
	return pick;
}

/* A source (or any capability argument) in the caller's CSpace. */
static uint32_t src_arg(struct gen *g, unsigned type)
{
	int s = chance(g, 92) ? pick_cap(g, W.m->self, type) : -1;

	return s >= 0 ? W.m->slot[s].idx : any_idx(g);
}

/* A CSpace argument; *cs is the model's CSpace it names (-1: none). */
static uint32_t cs_arg(struct gen *g, int *cs)
{
	int s;

	*cs = W.m->self;
	if (chance(g, 60))
		return CPTR_SELF;
	s = chance(g, 90) ? pick_cap(g, W.m->self, CAP_CSPACE) : -1;
	if (s < 0) {
		*cs = -1;
		return chance(g, 50) ? CPTR_SELF : any_idx(g);
	}
	*cs = W.m->slot[s].obj;
	return W.m->slot[s].idx;
}

/* A destination: mostly an empty slot under cs's limit. */
static uint32_t dst_arg(struct gen *g, int cs)
{
	if (cs >= 0 && chance(g, 88)) {
		for (int tries = 0; tries < 8; tries++) {
			uint32_t i = any_idx(g);

			if (i != 0 && i < W.m->obj[cs].limit && cm_find(W.m, cs, i) < 0)
				return i;
		}
	}
	return any_idx(g);
}

/* An empty slot of cs that the comparison covers, 0 if none. */
static uint32_t free_in(struct gen *g, int cs)
{
	unsigned start = rnd(g, nuni);

	for (unsigned u = 0; u < nuni; u++) {
		uint32_t i = uni[(start + u) % nuni];

		if (i < W.m->obj[cs].limit && cm_find(W.m, cs, i) < 0)
			return i;
	}
	return 0;
}

static uint32_t rights_arg(struct gen *g)
{
	return chance(g, 94) ? rnd(g, 16) : 16u << rnd(g, 4);
}

static void gen_op(struct gen *g, struct cm_op *op)
{
	struct cm *m = W.m;
	unsigned p;
	int cs, s;

	memset(op, 0, sizeof(*op));
	/* Chain bursts: copy the last link, delete the one before: the
	 * depth grows by one every two calls while few slots are used, up
	 * to the limit (E_DEPTH). */
	if (!g->burst && rnd(g, 2500) == 0) {
		s = pick_cap(g, m->self, 0);
		if (s >= 0 && !m->slot[s].root) {
			g->burst = 600 + rnd(g, 2000);
			g->chain_last = m->slot[s].idx;
			g->chain_next = 0;
		}
	}
	if (g->burst) {
		g->burst--;
		if (g->chain_next && cm_find(m, m->self, g->chain_next) >= 0) {
			/* The copy worked: the old link goes, its child moves up. */
			op->sys = SYS_CAP_DELETE;
			op->r[0] = CPTR_SELF;
			op->r[1] = g->chain_last;
			g->chain_last = g->chain_next;
			g->chain_next = 0;
			return;
		}
		g->chain_next = 0;
		s = cm_find(m, m->self, g->chain_last);
		if (s < 0 || (m->slot[s].depth >= CM_DEPTH_MAX && chance(g, 80))) {
			g->burst = 0;       /* broken, or at the limit (E_DEPTH seen) */
		} else {
			for (unsigned u = 0; u < nuni && !g->chain_next; u++) {
				uint32_t i = uni[(u + rnd(g, nuni)) % nuni];

				if (i < m->obj[m->self].limit && cm_find(m, m->self, i) < 0)
					g->chain_next = i;
			}
			if (g->chain_next) {
				op->sys = SYS_CAP_COPY;
				op->r[0] = g->chain_last;
				op->r[1] = CPTR_SELF;
				op->r[2] = g->chain_next;
				return;
			}
			g->burst = 0;
		}
	}
	/* Fan-out bursts: many copies below one capability, in every CSpace
	 * at hand, then a revoke of it with an interrupt pending, so that the
	 * revoke is preempted and re-executed. */
	if (g->fan_stage == 1) {
		/* The source (a CSpace capability) moves into the CSpace it
		 * names, to be revoked through its newest copy, which is the
		 * first victim. */
		int src = cm_find(m, m->self, g->fan_src);

		g->fan_stage = 0;
		if (src >= 0 && cm_find(m, m->self, g->fan_d) >= 0) {
			g->fan_cs = m->slot[src].obj;
			g->fan_j = free_in(g, g->fan_cs);
			if (g->fan_j) {
				op->sys = SYS_CAP_MOVE;
				op->r[0] = g->fan_src;
				op->r[1] = g->fan_d;
				op->r[2] = g->fan_j;
				g->fan_stage = 2;
				return;
			}
		}
	} else if (g->fan_stage == 2) {
		g->fan_stage = 0;
		if (cm_find(m, g->fan_cs, g->fan_j) >= 0) {
			op->sys = SYS_CAP_REVOKE;
			op->r[0] = g->fan_d;
			op->r[1] = g->fan_j;
			op->irq_every = (uint8_t)(chance(g, 70) ? 1 : 2);
			return;
		}
	}
	if (!g->fan && !g->burst && rnd(g, 600) == 0) {
		s = chance(g, 30) ? pick_cap(g, m->self, CAP_CSPACE) : -1;
		if (s < 0)
			s = pick_cap(g, m->self, 0);
		if (s >= 0 && !m->slot[s].root) {
			g->fan = 80 + rnd(g, 120);
			g->fan_src = m->slot[s].idx;
		}
	}
	if (g->fan) {
		int src = cm_find(m, m->self, g->fan_src);

		if (src < 0) {
			g->fan = 0;
		} else if (--g->fan == 0) {
			if (m->slot[src].type == CAP_CSPACE && (m->slot[src].rights & R_WRITE) &&
			    chance(g, 60) && (g->fan_d = free_in(g, m->self)) != 0) {
				op->sys = SYS_CAP_COPY;
				op->r[0] = g->fan_src;
				op->r[1] = CPTR_SELF;
				op->r[2] = g->fan_d;
				g->fan_stage = 1;
				return;
			}
			op->sys = SYS_CAP_REVOKE;
			op->r[0] = CPTR_SELF;
			op->r[1] = g->fan_src;
			op->irq_every = (uint8_t)(chance(g, 70) ? 1 : 2);
			return;
		} else {
			int from = src;

			/* From the source or one of its descendants in self. */
			for (int k = 0; k < 3; k++) {
				int c = pick_cap(g, m->self, 0);

				if (c >= 0 && cm_is_desc(m, c, src))
					from = c;
			}
			op->sys = SYS_CAP_COPY;
			op->r[0] = m->slot[from].idx;
			op->r[1] = cs_arg(g, &cs);
			op->r[2] = dst_arg(g, cs);
			return;
		}
	}
	p = rnd(g, 120);
	if (p < 16) {
		op->sys = SYS_CAP_COPY;
		op->r[0] = src_arg(g, 0);
		op->r[1] = cs_arg(g, &cs);
		op->r[2] = dst_arg(g, cs);
	} else if (p < 32) {
		op->sys = SYS_CAP_MINT;
		op->r[0] = src_arg(g, 0);
		op->r[1] = cs_arg(g, &cs);
		op->r[2] = dst_arg(g, cs);
		op->r[3] = rights_arg(g);
		s = cm_find(m, m->self, op->r[0]);
		switch (s >= 0 ? m->slot[s].type : 0) {
		case CAP_MEM:
		case CAP_DEVICE: {
			uint32_t b = m->slot[s].b;

			op->r[4] = chance(g, 90) ? rnd(g, b < 64 ? b : 64) : b + rnd(g, 2);
			op->r[5] = chance(g, 40) ? 0 : chance(g, 90) ? 1 + rnd(g, 8)
								     : 0xffffffffu - rnd(g, 2);
			break;
		}
		case CAP_ENDPOINT:
		case CAP_NOTIFICATION:
			op->r[4] = chance(g, 50) ? 0 : 1 + rnd(g, 1000);
			op->r[5] = chance(g, 95) ? 0 : 1;
			break;
		default:
			op->r[4] = chance(g, 92) ? 0 : rnd(g, 3);
			op->r[5] = chance(g, 96) ? 0 : 1;
			break;
		}
	} else if (p < 40) {
		op->sys = SYS_CAP_MOVE;
		op->r[0] = src_arg(g, 0);
		op->r[1] = cs_arg(g, &cs);
		op->r[2] = dst_arg(g, cs);
	} else if (p < 52 || (p >= 118)) {
		op->sys = p < 46 || p >= 118 ? SYS_CAP_DELETE : SYS_CAP_REVOKE;
		op->r[0] = cs_arg(g, &cs);
		s = cs >= 0 && chance(g, 90) ? pick_cap(g, cs, 0) : -1;
		/* Rarely the original account capability: without it nothing
		 * more is made. */
		if (s >= 0 && m->slot[s].root && m->slot[s].type == CAP_QUOTA && !chance(g, 2))
			s = pick_cap(g, cs, 0);
		if (s >= 0 && op->sys == SYS_CAP_REVOKE && chance(g, 50)) {
			/* Of a few candidates, the one with most below it. */
			uint32_t best = cm_descendants(m, s);

			for (int k = 0; k < 4; k++) {
				int c = pick_cap(g, cs, 0);
				uint32_t d = c >= 0 && !m->slot[c].root ? cm_descendants(m, c) : 0;

				if (d > best) {
					best = d;
					s = c;
				}
			}
		}
		op->r[1] = s >= 0 ? m->slot[s].idx : any_idx(g);
		if (chance(g, 25))
			op->irq_every = (uint8_t)(chance(g, 70) ? 1 : 2);
	} else if (p < 56) {
		op->sys = SYS_CAP_INSPECT;
		op->r[0] = src_arg(g, 0);
	} else if (p < 68) {
		static const uint32_t types[] = { CAP_ENDPOINT, CAP_NOTIFICATION, CAP_VSPACE,
						  CAP_CSPACE };
		static const uint32_t limits[] = { 2, 3, 48, 64, 100, 5000, 262144, 0, 1, 262145 };

		op->sys = SYS_OBJ_CREATE;
		op->r[0] = src_arg(g, CAP_QUOTA);
		op->r[1] = chance(g, 95) ? types[rnd(g, 4)] : (uint32_t[]){ 0, 1, 3, 99 }[rnd(g, 4)];
		op->r[2] = cs_arg(g, &cs);
		op->r[3] = dst_arg(g, cs);
		if (op->r[1] == CAP_CSPACE)
			op->r[4] = limits[chance(g, 95) ? rnd(g, 6) : rnd(g, ARRAY_SIZE(limits))];
		else
			op->r[4] = chance(g, 97) ? 0 : 1;
	} else if (p < 76) {
		op->sys = SYS_MEM_ALLOC;
		op->r[0] = src_arg(g, CAP_QUOTA);
		op->r[1] = chance(g, 88) ? 0 : rnd(g, 5);
		op->r[2] = chance(g, 97) ? rnd(g, 5) : 10 + rnd(g, 3);
		op->r[3] = cs_arg(g, &cs);
		op->r[4] = dst_arg(g, cs);
	} else if (p < 81) {
		op->sys = SYS_QUOTA_CARVE;
		op->r[0] = src_arg(g, CAP_QUOTA);
		op->r[1] = cs_arg(g, &cs);
		op->r[2] = dst_arg(g, cs);
		op->r[3] = rnd(g, 48);
		op->r[4] = chance(g, 90) ? 0 : rnd(g, 3);
		op->r[5] = chance(g, 90) ? 0 : rnd(g, 3);
		op->r[6] = chance(g, 95) ? rnd(g, 16000) : 0xffffffffu - rnd(g, 100);
	} else if (p < 84) {
		op->sys = SYS_QUOTA_INFO;
		op->r[0] = src_arg(g, CAP_QUOTA);
		op->r[1] = chance(g, 95) ? rnd(g, 4) : 4 + rnd(g, 3);
	} else if (p < 106) {
		static const uint32_t rights[] = { R_READ, R_READ | R_WRITE, R_READ | R_EXEC,
						   R_READ | R_WRITE, R_READ };
		static const uint32_t bad_rights[] = { 0, R_WRITE, R_READ | R_WRITE | R_EXEC,
						       R_EXEC, 0x10 | R_READ, R_READ | R_GRANT };

		op->sys = SYS_MAP;
		op->r[0] = src_arg(g, CAP_VSPACE);
		s = chance(g, 50) ? pick_cap(g, m->self, CAP_MEM) : pick_cap(g, m->self, CAP_DEVICE);
		op->r[1] = s >= 0 && chance(g, 95) ? m->slot[s].idx : src_arg(g, 0);
		op->r[2] = chance(g, 90) ? (rnd(g, 12) << 21) + (rnd(g, 24) << 12)
			 : (uint32_t[]){ 0xBFFFF000u, 0xC0000000u, 0x1010, 0xFFFFF000u,
					 0xBC000000u }[rnd(g, 5)];
		op->r[3] = chance(g, 92) ? rights[rnd(g, ARRAY_SIZE(rights))]
					 : bad_rights[rnd(g, ARRAY_SIZE(bad_rights))];
		op->r[4] = chance(g, 85) ? ATTR_DEFAULT : chance(g, 90) ? rnd(g, 4) : 4 + rnd(g, 8);
	} else {
		op->sys = SYS_UNMAP;
		s = -1;
		for (int tries = 0; tries < 4 && s < 0; tries++) {
			s = pick_cap(g, m->self, chance(g, 50) ? CAP_MEM : CAP_DEVICE);
			if (s >= 0 && !m->slot[s].mapped && tries < 3)
				s = -1;
		}
		op->r[0] = s >= 0 ? m->slot[s].idx : src_arg(g, 0);
	}
}

/* ----------------------------------------------------------- runs */

static void print_op(const char *prefix, unsigned n, const struct cm_op *op)
{
	char line[200];

	cm_op_str(op, line, sizeof(line));
	printf("%s%4u  %s%s", prefix, n, line, op->irq_every ? "" : "\n");
	if (op->irq_every)
		printf("  [interrupt pending every %u checks]\n", op->irq_every);
}

/* Replay ops[0..n) on a fresh world: the index of the first step that
 * diverges, or -1. */
static long replay(const struct cm_op *ops, size_t n, int mutation)
{
	if (!world_boot(mutation)) {
		snprintf(W.why, sizeof(W.why), "setup failed");
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (!step(&ops[i], true))
			return (long)i;
	return -1;
}

/*
 * Delta debugging (ddmin): drop chunks of the sequence, from halves down
 * to single operations, while the rest still diverges. The result is
 * 1-minimal: dropping any one operation makes the divergence go.
 */
static size_t shrink(struct cm_op *ops, size_t n, int mutation, unsigned *replays)
{
	static struct cm_op trial[1u << 20];
	size_t chunk = n / 2 ? n / 2 : 1;

	*replays = 0;
	while (n > 1) {
		bool removed = false;

		for (size_t start = 0; start < n; start += chunk) {
			size_t end = start + chunk < n ? start + chunk : n, k = 0;
			long at;

			if (end - start == n)
				continue;
			for (size_t i = 0; i < n; i++)
				if (i < start || i >= end)
					trial[k++] = ops[i];
			(*replays)++;
			at = replay(trial, k, mutation);
			if (at >= 0) {
				/* Keep what still diverges, cut after the step that does. */
				n = (size_t)at + 1;
				memcpy(ops, trial, n * sizeof(*ops));
				removed = true;
				break;
			}
		}
		if (!removed) {
			if (chunk == 1)
				break;
			chunk /= 2;
		} else if (chunk > n / 2) {
			chunk = n / 2 ? n / 2 : 1;
		}
		if (*replays > 4000)
			break;
	}
	return n;
}

/* Does the caller still hold an account capability it can create with?
 * (Without one, a run only shuffles what is left.) */
static bool can_create(void)
{
	for (int i = 0; i < CM_MAXSLOT; i++) {
		const struct cm_slot *x = &W.m->slot[i];

		if (x->used && x->cs == W.m->self && x->type == CAP_QUOTA && (x->rights & R_WRITE))
			return true;
	}
	return false;
}

struct run_result {
	uint64_t ops;
	long diverged_at;            /* -1: none */
	size_t shrunk;               /* reproducer length */
	unsigned replays;
	double seconds;
};

/* Run `nops` generated operations from seed; on a divergence, shrink
 * and print the reproducer. */
static struct run_result run(uint64_t seed, uint64_t nops, int mutation, bool quiet)
{
	static struct cm_op log[1u << 20];
	struct run_result res = { 0, -1, 0, 0, 0 };
	struct gen g = { .rng = seed * 0x9e3779b97f4a7c15ull + 1 };
	struct timespec t0, t1;
	size_t logged = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!world_boot(mutation)) {
		htest_fail(__FILE__, __LINE__, "setup failed");
		return res;
	}
	for (uint64_t i = 0; i < nops; i++) {
		struct cm_op op;

		if (logged == ARRAY_SIZE(log) || ((i & 255) == 0 && i && !can_create())) {
			/* Too long to keep for shrinking, or nothing can be made
			 * any more: start a new world. */
			if (!world_boot(mutation))
				break;
			logged = 0;
			g.burst = g.fan = g.fan_stage = 0;
			W.reboots++;
		}
		gen_op(&g, &op);
		log[logged++] = op;
		res.ops++;
		if (!step(&op, (i & 255) == 255)) {
			char why[256];

			memcpy(why, W.why, sizeof(why));
			res.diverged_at = (long)i;
			if (!quiet)
				printf("# divergence at op %llu of seed %llu: %s\n",
				       (unsigned long long)i, (unsigned long long)seed, why);
			res.shrunk = shrink(log, logged, mutation, &res.replays);
			trace = getenv("CAPMODEL_TRACE") != NULL;
			replay(log, res.shrunk, mutation);
			trace = false;
			printf("# reproducer (seed %llu, %zu ops, %u replays): %s\n",
			       (unsigned long long)seed, res.shrunk, res.replays, W.why);
			for (size_t k = 0; k < res.shrunk; k++)
				print_op("#   ", (unsigned)k, &log[k]);
			break;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res.seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return res;
}

static void report(uint64_t ops, double secs)
{
	unsigned nerr = 0;

	printf("# %llu ops in %.2f s (%.0f ops/s); %u restarts of preempted calls; %u fresh "
	       "worlds\n", (unsigned long long)ops, secs, secs > 0 ? (double)ops / secs : 0.0,
	       W.restarts, W.reboots);
	printf("# results seen:");
	for (unsigned e = 0; e < 32; e++)
		if (W.errs_seen[e]) {
			printf(" %s=%u", e ? err_name(-(int)e) : "0", W.errs_seen[e]);
			nerr += e != 0;
		}
	if (getenv("CAPMODEL_STATS"))
		for (unsigned c = 0; c < 32; c++) {
			bool any = false;

			for (unsigned e = 0; e < 32; e++)
				if (W.by_call[c][e]) {
					if (!any)
						printf("\n# sys %2u:", c);
					any = true;
					printf(" %s=%u", e ? err_name(-(int)e) : "0", W.by_call[c][e]);
				}
		}
	printf("\n# %u distinct error codes; max depth %u, max descendants of one slot %u, "
	       "max mappings in one space %u\n", nerr, W.m->max_depth, W.max_tree, W.max_mapped);
}

/* ----------------------------------------------------------- cases */

static uint64_t opt_seed = 1, opt_ops = 45000, opt_seeds = 4;

static void model_agrees_with_kernel(void)
{
	uint64_t total = 0;
	double secs = 0;

	memset(W.errs_seen, 0, sizeof(W.errs_seen));
	memset(W.by_call, 0, sizeof(W.by_call));
	W.restarts = W.max_tree = W.max_mapped = W.reboots = 0;
	for (uint64_t s = opt_seed; s < opt_seed + opt_seeds; s++) {
		struct run_result r = run(s, opt_ops, CM_MUT_NONE, false);

		total += r.ops;
		secs += r.seconds;
		HT_ASSERT_MSG(r.diverged_at < 0, "seed %llu diverged at op %ld (reproducer above)",
			      (unsigned long long)s, r.diverged_at);
	}
	report(total, secs);
	/* The run must reach the states it is meant to. */
	HT_ASSERT(W.errs_seen[-E_NOMEM] && W.errs_seen[-E_EXIST] && W.errs_seen[-E_RANGE]);
	HT_ASSERT(W.errs_seen[-E_BUSY] && W.errs_seen[-E_PERM] && W.errs_seen[-E_NOCAP]);
	HT_ASSERT(W.restarts > 0);
}

static void shrinker_finds_a_mutated_model(void)
{
	const char *e = getenv("CAPMODEL_MUTSEED");
	struct run_result r = run(e ? strtoull(e, NULL, 0) : 3, 200000, CM_MUT_REBADGE, true);

	printf("# planted error found at op %ld, shrunk to %zu ops in %u replays (%.2f s)\n",
	       r.diverged_at, r.shrunk, r.replays, r.seconds);

	HT_ASSERT_MSG(r.diverged_at >= 0, "a model that lets a badge be set twice went unnoticed");
	HT_ASSERT_MSG(r.shrunk >= 2 && r.shrunk <= 10, "reproducer of %zu ops", r.shrunk);
}

/* Replay a fixed sequence on both sides; false (and the reason printed)
 * at the first divergence. */
static bool directed(const struct cm_op *ops, size_t n)
{
	long at = replay(ops, n, CM_MUT_NONE);

	if (at >= 0) {
		printf("# directed sequence diverges at op %ld: %s\n", at, W.why);
		for (size_t k = 0; k <= (size_t)at; k++)
			print_op("#   ", (unsigned)k, &ops[k]);
	}
	return at < 0;
}

#define OP(s, ...) ((struct cm_op){ .sys = (s), .r = { __VA_ARGS__ } })

/*
 * A revoke named through a CSpace capability that is itself one of the
 * descendants it removes, preempted after the batch that removed it: the
 * re-executed call must still finish the revoke and report success.
 */
static void preempted_revoke_through_a_descendant(void)
{
	static struct cm_op ops[128];
	size_t n = 0;

	ops[n++] = OP(SYS_OBJ_CREATE, 1, CAP_CSPACE, CPTR_SELF, 20, 64);   /* B */
	ops[n++] = OP(SYS_CAP_COPY, 20, CPTR_SELF, 21);                    /* X names B */
	for (uint32_t i = 30; i < 112; i++)
		if (i < 49 || i >= 64)
			ops[n++] = OP(SYS_CAP_COPY, 21, CPTR_SELF, i);     /* 67 below X */
	ops[n++] = OP(SYS_CAP_COPY, 21, CPTR_SELF, 22);                    /* D, the newest */
	ops[n++] = OP(SYS_CAP_MOVE, 21, 20, 1);                            /* X into B */
	ops[n] = OP(SYS_CAP_REVOKE, 22, 1);                                /* through D */
	ops[n++].irq_every = 1;
	HT_ASSERT(directed(ops, n));
	HT_ASSERT(W.restarts > 0);
}

/*
 * A revoke whose first batch deletes the last capability of the CSpace
 * that holds the target (the CSpace was made from the target account
 * capability): the CSpace must outlive the preempted revoke, which then
 * finishes and reports success; the CSpace and the target go after.
 */
static void preempted_revoke_of_a_cspace_s_own_maker(void)
{
	static struct cm_op ops[128];
	size_t n = 0;

	ops[n++] = OP(SYS_CAP_COPY, 1, CPTR_SELF, 20);                     /* A, an account */
	for (uint32_t i = 30; i < 112; i++)
		if (i < 49 || i >= 64)
			ops[n++] = OP(SYS_CAP_COPY, 20, CPTR_SELF, i);     /* 67 below A */
	ops[n++] = OP(SYS_OBJ_CREATE, 20, CAP_CSPACE, CPTR_SELF, 21, 64);  /* B, the newest */
	ops[n++] = OP(SYS_CAP_MOVE, 20, 21, 1);                            /* A into B */
	ops[n] = OP(SYS_CAP_REVOKE, 21, 1);
	ops[n++].irq_every = 1;
	ops[n++] = OP(SYS_CAP_INSPECT, 21);                                /* gone: E_NOCAP */
	HT_ASSERT(directed(ops, n));
	HT_ASSERT(W.restarts > 0);
	HT_EQ(obj_count(CAP_CSPACE), W.base_count[CAP_CSPACE] + 1);       /* only self */
}

static const struct htest_case cases[] = {
	HT_CASE(preempted_revoke_through_a_descendant),
	HT_CASE(preempted_revoke_of_a_cspace_s_own_maker),
	HT_CASE(model_agrees_with_kernel),
	HT_CASE(shrinker_finds_a_mutated_model),
};

int main(int argc, char **argv)
{
	const char *e;
	bool seeds_given = false;

	if ((e = getenv("CAPMODEL_SEED")))
		opt_seed = strtoull(e, NULL, 0);
	if ((e = getenv("CAPMODEL_OPS")))
		opt_ops = strtoull(e, NULL, 0);
	if ((e = getenv("CAPMODEL_SEEDS"))) {
		opt_seeds = strtoull(e, NULL, 0);
		seeds_given = true;
	}
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seed")) {
			opt_seed = strtoull(argv[i + 1], NULL, 0);
			if (!seeds_given)
				opt_seeds = 1;      /* one seed unless told otherwise */
		} else if (!strcmp(argv[i], "--ops")) {
			opt_ops = strtoull(argv[i + 1], NULL, 0);
		} else if (!strcmp(argv[i], "--seeds")) {
			opt_seeds = strtoull(argv[i + 1], NULL, 0);
			seeds_given = true;
		} else {
			fprintf(stderr, "usage: %s [--seed N] [--ops M] [--seeds K]\n", argv[0]);
			return 2;
		}
	}
	init_universe();
	return htest_main("capmodel", cases, (int)ARRAY_SIZE(cases));
}
