/*
 * Host tests of capabilities (kernel/cap/cap.c, cspace.c, obj.c, vspace.c):
 * CSpace growth and limits, copy/mint/move/delete and their errors,
 * rights that only shrink, subranges, the derivation tree under revoke
 * (wide, deep, intermediate, across CSpaces), preemption and restart of a
 * 100,000-descendant revoke, destruction of unreachable objects with
 * memory and quota returned, mapping records and address-space teardown.
 */
#include "htest.h"
#include "mm_fakes.h"
#include "uarch_fakes.h"

#include <boot/boot.h>
#include <cap/cap.h>
#include <ipc/ipc.h>
#include <lib/error.h>
#include <mm/devrange.h>
#include <mm/frame.h>
#include <mm/kheap.h>
#include <mm/mm.h>
#include <mm/pool.h>
#include <sched/thread.h>

#include <stdlib.h>

#define GB(x) ((paddr_t)(x) << 30)
#define MB(x) ((paddr_t)(x) << 20)

static const struct mm_device devs[] = { { 0x09000000, 0x1000, 0, false }, { 0x10000000, MB(64), 1, false } };

static struct account *acct;       /* a "process" account */
static struct cspace *cs;          /* its CSpace */
static struct slot *acct_slot;

static void boot(void)
{
	uint32_t lim[POOL_COUNT] = { 4096, 0, 0, 10u << 20 };

	if (mmfake_boot_bank(GB(1), MB(16), devs, 2) != 0)
		abort();
	ufake_reset();
	objects_init();
	sched_init();
	HT_EQ(account_carve(account_boot(), lim, "proc", &acct), 0);
	HT_EQ(cspace_create(acct, CSPACE_SLOTS, &cs), 0);
	/* The process's own account capability, an original at slot 1. */
	HT_EQ(cspace_slot(cs, 1, &acct_slot), 0);
	HT_EQ(cap_install_root(acct_slot, CAP_QUOTA, R_ALL, &acct->obj, 0, 0), 0);
}

static struct slot *at(uint32_t idx)
{
	struct slot *s = NULL;

	if (cspace_slot(cs, idx, &s) != 0) {
		htest_fail(__FILE__, __LINE__, "cspace_slot(%u) failed", idx);
		abort();
	}
	return s;
}

static void check_mm(void)
{
	const char *why = NULL;

	HT_ASSERT_MSG(mm_check(&why) == 0, "mm_check: %s", why);
}

/* A device capability over 64 MiB at 0x1000_0000 (an original). */
static struct slot *device_root(uint32_t idx)
{
	struct slot *s = at(idx);

	if (cap_install_root(s, CAP_DEVICE, R_READ | R_WRITE, NULL, 0x10000, 16384) != 0)
		abort();
	return s;
}

static void cspace_growth_and_limits(void)
{
	struct cspace *small;
	struct slot *s;
	uint32_t used0;

	boot();
	used0 = acct->q[POOL_KHEAP].used;
	HT_EQ(cspace_slot(cs, 0, &s), E_RANGE);
	HT_EQ(cspace_slot(cs, CSPACE_SLOTS, &s), E_RANGE);
	HT_ASSERT(cspace_lookup(cs, 200000) == NULL);
	HT_EQ(cspace_slot(cs, 200000, &s), 0);
	HT_ASSERT(slot_empty(s));
	HT_ASSERT(cspace_lookup(cs, 200000) == s);
	HT_ASSERT(cspace_lookup(cs, 200001) == s + 1);     /* same leaf */
	HT_ASSERT(acct->q[POOL_KHEAP].used > used0);       /* leaf + node charged */
	/* A limited CSpace. */
	HT_EQ(cspace_create(acct, 100, &small), 0);
	HT_EQ(cspace_slot(small, 99, &s), 0);
	HT_EQ(cspace_slot(small, 100, &s), E_RANGE);
	HT_ASSERT(cspace_lookup(small, 100) == NULL);
	HT_EQ(cspace_create(acct, 1, &small), E_RANGE);
	HT_EQ(cspace_create(acct, CSPACE_SLOTS + 1, &small), E_RANGE);
}

static void cspace_out_of_heap_quota(void)
{
	struct account *tiny;
	struct cspace *c2;
	struct slot *s;
	uint32_t lim[POOL_COUNT] = { 0, 0, 0, 2048 };
	uint32_t before;

	boot();
	HT_EQ(account_carve(acct, lim, "tiny", &tiny), 0);
	HT_EQ(cspace_create(tiny, 1024, &c2), 0);
	before = tiny->q[POOL_KHEAP].used;
	/* A 2560-byte leaf does not fit what is left: an error, nothing charged. */
	HT_EQ(cspace_slot(c2, 5, &s), E_NOMEM);
	HT_EQ(tiny->q[POOL_KHEAP].used, before);
	HT_ASSERT(cspace_lookup(c2, 5) == NULL);
	check_mm();
}

static void copy_mint_rights_only_shrink(void)
{
	struct slot *r, *a, *b, *c;

	boot();
	r = device_root(10);
	a = at(11);
	b = at(12);
	c = at(13);
	HT_EQ(cap_mint(r, a, R_READ, 0, 0), 0);
	HT_EQ(slot_rights(a), R_READ);
	HT_EQ(slot_type(a), CAP_DEVICE);
	/* Asking for more than the source has gives only what it has. */
	HT_EQ(cap_mint(a, b, R_READ | R_WRITE, 0, 0), 0);
	HT_EQ(slot_rights(b), R_READ);
	HT_EQ(cap_copy(b, c), 0);
	HT_EQ(slot_rights(c), R_READ);
	HT_EQ(slot_depth(c), 3);
	HT_ASSERT(c->parent == b && b->parent == a && a->parent == r);
	/* Errors. */
	HT_EQ(cap_copy(r, a), E_EXIST);
	HT_EQ(cap_copy(at(50), at(51)), E_NOCAP);
	HT_EQ(cap_mint(r, at(52), 0x10, 0, 0), E_INVAL);
	HT_EQ(cap_copy(r, r), E_EXIST);
}

static void mint_subranges(void)
{
	struct slot *r, *a, *b;

	boot();
	r = device_root(10);
	a = at(11);
	b = at(12);
	HT_EQ(cap_mint(r, a, R_ALL, 16, 32), 0);              /* pages 16..47 */
	HT_EQ(slot_pa(a), 0x10010000ull);
	HT_EQ(a->b, 32);
	HT_EQ(cap_mint(a, b, R_ALL, 8, 0), 0);                /* to the end */
	HT_EQ(slot_pa(b), 0x10018000ull);
	HT_EQ(b->b, 24);
	HT_EQ(cap_mint(a, at(13), R_ALL, 32, 1), E_RANGE);    /* starts past the end */
	HT_EQ(cap_mint(a, at(13), R_ALL, 31, 2), E_RANGE);    /* runs past the end */
	HT_EQ(cap_mint(a, at(13), R_ALL, 1, 0xffffffffu), E_RANGE); /* would wrap */
	HT_ASSERT(slot_empty(at(13)));
}

static void move_keeps_tree(void)
{
	struct slot *r, *x, *y, *z, *m;

	boot();
	r = device_root(10);
	x = at(11);
	y = at(12);
	z = at(13);
	m = at(14);
	HT_EQ(cap_copy(r, x), 0);
	HT_EQ(cap_copy(x, y), 0);
	HT_EQ(cap_copy(x, z), 0);
	HT_EQ(cap_move(x, m), 0);
	HT_ASSERT(slot_empty(x));
	HT_ASSERT(m->parent == r && r->child == m);
	HT_ASSERT(y->parent == m && z->parent == m);
	HT_EQ(cap_descendants(m), 2);
	HT_EQ(cap_move(m, y), E_EXIST);
	HT_EQ(cap_move(x, at(20)), E_NOCAP);
	HT_EQ(cap_revoke(m), 0);
	HT_ASSERT(slot_empty(y) && slot_empty(z));
	HT_ASSERT(!slot_empty(m));
}

static void delete_hands_children_to_parent(void)
{
	struct slot *r, *x, *y, *z, *w;

	boot();
	r = device_root(10);
	x = at(11);
	y = at(12);
	z = at(13);
	w = at(14);
	HT_EQ(cap_copy(r, w), 0);
	HT_EQ(cap_copy(r, x), 0);
	HT_EQ(cap_copy(x, y), 0);
	HT_EQ(cap_copy(x, z), 0);
	HT_EQ(cap_delete(x), 0);
	HT_ASSERT(slot_empty(x));
	HT_ASSERT(y->parent == r && z->parent == r);
	HT_EQ(cap_descendants(r), 3);
	/* An original with descendants cannot just be deleted. */
	HT_EQ(cap_delete(r), E_BUSY);
	HT_EQ(cap_delete(at(40)), E_NOCAP);
	HT_EQ(cap_delete(w), 0);
	HT_EQ(cap_descendants(r), 2);
}

static void revoke_errors(void)
{
	struct slot *r;

	boot();
	r = device_root(10);
	HT_EQ(cap_revoke(at(30)), E_NOCAP);
	HT_EQ(cap_revoke(r), E_PERM);             /* originals are never revoked */
	HT_EQ(cap_copy(r, at(11)), 0);
	HT_EQ(cap_revoke(at(11)), 0);             /* nothing below: fine */
	HT_ASSERT(!slot_empty(at(11)));
}

static void revoke_intermediate_keeps_siblings_and_ancestors(void)
{
	struct slot *r, *a, *b, *a1, *a2, *b1;
	struct cspace *other;

	boot();
	HT_EQ(cspace_create(acct, 1024, &other), 0);
	r = device_root(10);
	a = at(11);
	b = at(12);
	HT_EQ(cap_copy(r, a), 0);
	HT_EQ(cap_copy(r, b), 0);
	/* Descendants of a in another CSpace. */
	HT_EQ(cspace_slot(other, 1, &a1), 0);
	HT_EQ(cspace_slot(other, 2, &a2), 0);
	HT_EQ(cap_copy(a, a1), 0);
	HT_EQ(cap_mint(a1, a2, R_READ, 1, 1), 0);
	b1 = at(13);
	HT_EQ(cap_copy(b, b1), 0);
	HT_EQ(cap_revoke(a), 0);
	HT_ASSERT(slot_empty(a1) && slot_empty(a2));
	HT_ASSERT(!slot_empty(a) && !slot_empty(b) && !slot_empty(b1) && !slot_empty(r));
	HT_EQ(cap_descendants(r), 3);
	HT_EQ(cap_descendants(a), 0);
}

static void revoke_deep_chain(void)
{
	struct slot *r, *prev;
	enum { DEPTH = 1000 };

	boot();
	r = device_root(10);
	prev = r;
	for (uint32_t i = 0; i < DEPTH; i++) {
		struct slot *s = at(100 + i);

		HT_EQ(cap_copy(prev, s), 0);
		prev = s;
	}
	HT_EQ(cap_copy(prev, at(5000)), 0);       /* depth 1001 */
	HT_EQ(cap_copy(at(5000), at(5001)), 0);
	HT_EQ(cap_copy(at(5001), at(5002)), 0);
	/* The depth limit. */
	for (uint32_t i = 5002; slot_depth(at(i)) < SLOT_DEPTH_MAX; i++)
		HT_EQ(cap_copy(at(i), at(i + 1)), 0);
	{
		uint32_t last = 5002 + (SLOT_DEPTH_MAX - 1003);

		HT_EQ(slot_depth(at(last)), SLOT_DEPTH_MAX);
		HT_EQ(cap_copy(at(last), at(9000)), E_DEPTH);
	}
	HT_EQ(cap_revoke(at(100)), 0);
	HT_EQ(cap_descendants(r), 1);
}

/* Memory and quota come back when the capabilities go. */
static void revoke_returns_memory_and_quota(void)
{
	struct slot *m, *cp, *vsl;
	struct memobj *mo;
	struct vspace *vs;
	struct cspace *other;
	uint32_t used_frames, used_heap, free_before;

	boot();
	used_frames = acct->q[POOL_DIRECT].used;
	used_heap = acct->q[POOL_KHEAP].used;
	free_before = pool_free(pool_get(POOL_DIRECT));
	HT_EQ(cspace_create(acct, 64, &other), 0);
	HT_EQ(cap_install_child(at(12), acct_slot, CAP_CSPACE, R_ALL, &other->obj, 0, 0), 0);
	/* A memory object from the account, as SYS_MEM_ALLOC makes it. */
	HT_EQ(memobj_alloc(acct, POOL_DIRECT, 3, &mo), 0);
	m = at(10);
	HT_EQ(cap_install_child(m, acct_slot, CAP_MEM, R_ALL, &mo->obj, (uint32_t)(mo->pa >> 12),
				mo->pages), 0);
	/* An address space, mapped through a copy held elsewhere. */
	HT_EQ(vspace_create(acct, &vs), 0);
	vsl = at(11);
	HT_EQ(cap_install_child(vsl, acct_slot, CAP_VSPACE, R_ALL, &vs->obj, 0, 0), 0);
	HT_EQ(cspace_slot(other, 1, &cp), 0);
	HT_EQ(cap_copy(m, cp), 0);
	HT_EQ(cap_map(cp, vs, 0x400000, R_READ | R_WRITE, ATTR_DEFAULT), 0);
	HT_EQ(ufake_mappings(&vs->arch), 1);
	{
		struct page_info pi;

		HT_EQ(page_info(mo->pa, &pi), 0);
		HT_EQ(pi.map_count, 1);
	}
	HT_EQ(obj_count(CAP_MEM), 1);
	HT_ASSERT(acct->q[POOL_DIRECT].used > used_frames);
	/* Revoking the memory capability's parent... the account is an
	 * original here, so revoke the memory capability: the copy goes,
	 * and with it the mapping. */
	HT_EQ(cap_revoke(m), 0);
	HT_ASSERT(slot_empty(cp));
	HT_EQ(ufake_mappings(&vs->arch), 0);
	HT_EQ(obj_count(CAP_MEM), 1);             /* m still names it */
	HT_EQ(cap_delete(m), 0);
	HT_ASSERT(obj_reap(0));
	HT_EQ(obj_count(CAP_MEM), 0);
	HT_EQ(cap_delete(vsl), 0);
	HT_ASSERT(obj_reap(0));
	HT_EQ(obj_count(CAP_VSPACE), 0);
	/* The other CSpace's leaf stays charged until it goes too. */
	HT_EQ(cap_delete(at(12)), 0);
	HT_ASSERT(obj_reap(0));
	HT_EQ(acct->q[POOL_DIRECT].used, used_frames);
	HT_EQ(acct->q[POOL_KHEAP].used, used_heap);
	HT_EQ(pool_free(pool_get(POOL_DIRECT)), free_before);
	check_mm();
}

/* An address space deleted under live mapping capabilities. */
static void vspace_dies_before_its_mappings(void)
{
	struct slot *m, *vsl;
	struct memobj *mo;
	struct vspace *vs;
	uint32_t used;

	boot();
	used = acct->q[POOL_DIRECT].used;
	HT_EQ(memobj_alloc(acct, POOL_DIRECT, 0, &mo), 0);
	m = at(10);
	HT_EQ(cap_install_child(m, acct_slot, CAP_MEM, R_ALL, &mo->obj, (uint32_t)(mo->pa >> 12),
				1), 0);
	HT_EQ(vspace_create(acct, &vs), 0);
	vsl = at(11);
	HT_EQ(cap_install_child(vsl, acct_slot, CAP_VSPACE, R_ALL, &vs->obj, 0, 0), 0);
	HT_EQ(cap_map(m, vs, 0x1000, R_READ, ATTR_DEFAULT), 0);
	HT_EQ(cap_map(m, vs, 0x2000, R_READ, ATTR_DEFAULT), E_EXIST);   /* maps once */
	HT_EQ(cap_delete(vsl), 0);
	HT_ASSERT(obj_reap(0));
	HT_ASSERT(vs->dead);                      /* tables gone, header kept */
	HT_EQ(obj_count(CAP_VSPACE), 1);
	HT_EQ(cap_delete(m), 0);                  /* unmaps from a dead space */
	HT_EQ(obj_count(CAP_VSPACE), 0);
	HT_ASSERT(obj_reap(0));
	HT_EQ(acct->q[POOL_DIRECT].used, used);
	check_mm();
}

static void map_checks(void)
{
	struct slot *d, *ro, *vsl;
	struct vspace *vs;

	boot();
	d = device_root(10);
	HT_EQ(vspace_create(acct, &vs), 0);
	vsl = at(11);
	HT_EQ(cap_install_child(vsl, acct_slot, CAP_VSPACE, R_ALL, &vs->obj, 0, 0), 0);
	ro = at(12);
	HT_EQ(cap_mint(d, ro, R_READ, 0, 1), 0);
	HT_EQ(cap_map(ro, vs, 0x1000, R_READ | R_WRITE, ATTR_DEFAULT), E_PERM);
	HT_EQ(cap_map(d, vs, 0x1000, R_READ | R_EXEC, ATTR_DEFAULT), E_PERM);
	HT_EQ(cap_map(d, vs, 0x1000, R_WRITE, ATTR_DEFAULT), E_INVAL);
	HT_EQ(cap_map(d, vs, 0x1001, R_READ, ATTR_DEFAULT), E_ALIGN);
	HT_EQ(cap_map(d, vs, 0xBF000000u, R_READ, ATTR_DEFAULT), E_RANGE);   /* 64 MiB past the top */
	HT_EQ(cap_map(d, vs, 0x1000, R_READ, ATTR_NORMAL_WB), E_PERM);      /* not for devices */
	HT_EQ(cap_map(vsl, vs, 0x1000, R_READ, ATTR_DEFAULT), E_TYPE);
	HT_EQ(cap_map(ro, vs, 0x1000, R_READ, ATTR_DEFAULT), 0);
	HT_EQ(cap_map(d, vs, 0x0, R_READ | R_WRITE, ATTR_DEFAULT), E_EXIST); /* overlaps ro */
	HT_EQ(cap_unmap(ro), 0);
	HT_EQ(cap_unmap(ro), E_STATE);
	HT_EQ(cap_map(d, vs, 0x0, R_READ | R_WRITE, ATTR_DEFAULT), 0);
	HT_EQ(cap_revoke(d) == E_PERM, 1);
}

/* 100,000 descendants, with an interrupt pending every so often: the
 * revoke stops, reports E_RESTART, and continues when called again. */
static void revoke_100k_is_preemptible(void)
{
	struct cspace *other;
	struct slot *r, *x;
	uint32_t heap_before;
	unsigned restarts = 0;
	int err;

	boot();
	HT_EQ(cspace_create(acct, CSPACE_SLOTS, &other), 0);
	r = device_root(10);
	x = at(11);
	HT_EQ(cap_copy(r, x), 0);
	heap_before = acct->q[POOL_KHEAP].used;
	for (uint32_t i = 1; i <= 100000; i++) {
		struct slot *s;

		HT_EQ(cspace_slot(i & 1 ? other : cs, 1000 + i / 2, &s), 0);
		/* A binary tree (parent of i is i / 2) spread over two
		 * CSpaces, under x. */
		HT_EQ(cap_copy(i == 1 ? x : cspace_lookup((i / 2) & 1 ? other : cs, 1000 + i / 4),
			       s), 0);
	}
	HT_EQ(cap_descendants(x), 100000);
	/* An interrupt is always pending: every call does one batch. */
	ufake_irq_pending_every(1);
	HT_EQ(cap_revoke(x), E_RESTART);
	HT_EQ(cap_descendants(x), 100000 - 64);
	restarts = 1;
	while ((err = cap_revoke(x)) == E_RESTART) {
		restarts++;
		HT_ASSERT(restarts < 100000);
	}
	HT_EQ(err, 0);
	ufake_irq_pending_every(0);
	HT_EQ(cap_descendants(x), 0);
	/* 100,000 deletions in batches of 64: the bound on work between
	 * two looks at the interrupt controller. */
	HT_EQ(restarts, 100000 / 64);
	HT_EQ(cspace_lookup(other, 1001)->info, 0);
	HT_EQ(cspace_lookup(cs, 1001)->info, 0);
	HT_ASSERT(acct->q[POOL_KHEAP].used >= heap_before);   /* leaves stay allocated */
	HT_ASSERT(!slot_empty(x) && !slot_empty(r));
}

/* Deleting the last capability of a CSpace destroys what it held. */
static void cspace_destruction_cascades(void)
{
	struct cspace *inner;
	struct slot *cap_inner, *s;
	struct memobj *mo[3];
	uint32_t used_f, used_h;

	boot();
	used_f = acct->q[POOL_DIRECT].used;
	used_h = acct->q[POOL_KHEAP].used;
	HT_EQ(cspace_create(acct, 4096, &inner), 0);
	cap_inner = at(10);
	HT_EQ(cap_install_child(cap_inner, acct_slot, CAP_CSPACE, R_ALL, &inner->obj, 0, 0), 0);
	for (int i = 0; i < 3; i++) {
		HT_EQ(memobj_alloc(acct, POOL_DIRECT, (unsigned)i, &mo[i]), 0);
		HT_EQ(cspace_slot(inner, 100 + 1000 * (uint32_t)i, &s), 0);
		HT_EQ(cap_install_child(s, acct_slot, CAP_MEM, R_ALL, &mo[i]->obj,
					(uint32_t)(mo[i]->pa >> 12), mo[i]->pages), 0);
	}
	HT_EQ(obj_count(CAP_MEM), 3);
	HT_EQ(cap_delete(cap_inner), 0);
	HT_ASSERT(obj_reap_pending() > 0);
	HT_ASSERT(obj_reap(0));
	HT_EQ(obj_count(CAP_MEM), 0);
	HT_EQ(obj_count(CAP_CSPACE), 1);          /* only cs */
	HT_EQ(acct->q[POOL_DIRECT].used, used_f);
	HT_EQ(acct->q[POOL_KHEAP].used, used_h);
	check_mm();
}

/* A dying CSpace that holds a capability with children revokes them
 * from inside the reaper: that revoke must not reap the CSpace again
 * (it is the reaper's current object), or the CSpace is destroyed and
 * freed twice and its account loses a reference it still needs. */
static void cspace_destruction_revokes_inside_the_reaper(void)
{
	struct cspace *inner;
	struct slot *cap_inner, *s, *m;
	struct memobj *mo;
	uint32_t used_h, refs;

	boot();
	used_h = acct->q[POOL_KHEAP].used;
	refs = acct->obj.refs;
	HT_EQ(cspace_create(acct, 4096, &inner), 0);
	cap_inner = at(10);
	HT_EQ(cap_install_child(cap_inner, acct_slot, CAP_CSPACE, R_ALL, &inner->obj, 0, 0), 0);
	HT_EQ(memobj_alloc(acct, POOL_DIRECT, 0, &mo), 0);
	HT_EQ(cspace_slot(inner, 100, &m), 0);
	HT_EQ(cap_install_child(m, acct_slot, CAP_MEM, R_ALL, &mo->obj,
				(uint32_t)(mo->pa >> 12), mo->pages), 0);
	for (uint32_t i = 1; i <= 200; i++) {
		HT_EQ(cspace_slot(inner, 100 + i, &s), 0);
		HT_EQ(cap_copy(m, s), 0);
	}
	HT_EQ(cap_delete(cap_inner), 0);
	HT_ASSERT(obj_reap(0));
	HT_EQ(obj_reap_pending(), 0);
	HT_EQ(obj_count(CAP_MEM), 0);
	HT_EQ(obj_count(CAP_CSPACE), 1);          /* only cs */
	HT_EQ(acct->q[POOL_KHEAP].used, used_h);
	HT_EQ(acct->obj.refs, refs);
	check_mm();
}

static void account_carving(void)
{
	struct account *child;
	uint32_t too_much[POOL_COUNT] = { 5000, 0, 0, 0 };
	uint32_t ok[POOL_COUNT] = { 100, 0, 0, 8192 };
	struct memobj *m;

	boot();
	HT_EQ(account_carve(acct, too_much, "big", &child), E_NOMEM);
	HT_EQ(account_carve(acct, ok, "kid", &child), 0);
	HT_EQ(acct->q[POOL_DIRECT].carved, 100);
	HT_EQ(memobj_alloc(child, POOL_DIRECT, 7, &m), E_NOMEM);      /* 128 > 100 */
	HT_EQ(memobj_alloc(child, POOL_DIRECT, 6, &m), 0);
	HT_EQ(child->q[POOL_DIRECT].used, 64);
	HT_EQ(memobj_alloc(child, POOL_DMA32, 0, &m) != 0, 1);          /* no quota there */
	HT_EQ(memobj_alloc(child, POOL_KHEAP, 0, &m), E_INVAL);
}

static const struct htest_case cases[] = {
	HT_CASE(cspace_growth_and_limits),
	HT_CASE(cspace_out_of_heap_quota),
	HT_CASE(copy_mint_rights_only_shrink),
	HT_CASE(mint_subranges),
	HT_CASE(move_keeps_tree),
	HT_CASE(delete_hands_children_to_parent),
	HT_CASE(revoke_errors),
	HT_CASE(revoke_intermediate_keeps_siblings_and_ancestors),
	HT_CASE(revoke_deep_chain),
	HT_CASE(revoke_returns_memory_and_quota),
	HT_CASE(vspace_dies_before_its_mappings),
	HT_CASE(map_checks),
	HT_CASE(revoke_100k_is_preemptible),
	HT_CASE(cspace_destruction_cascades),
	HT_CASE(cspace_destruction_revokes_inside_the_reaper),
	HT_CASE(account_carving),
};

int main(void)
{
	return htest_main("cap", cases, (int)ARRAY_SIZE(cases));
}
