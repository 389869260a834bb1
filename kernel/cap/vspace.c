/*
 * Memory objects, address spaces, and mapping capabilities.
 *
 * A RAM memory object is 2^order physically contiguous frames from one
 * pool, charged to an account's quota of that pool (and its 32-byte
 * header to the account's heap quota). A device range is not an object at
 * all: a CAP_DEVICE names [base, base + size) directly (a = base pfn,
 * b = pages) and what the kernel knows about any of its pages comes from
 * page_info() (devrange.h) -- nothing per page is stored.
 *
 * Mapping: a memory or device capability maps its whole range once, into
 * one address space; the mapping is recorded in the capability itself
 * (map_vs, map_va), so deleting or revoking the capability finds and
 * removes it without any per-page metadata. To map the same memory twice,
 * derive a second capability. Unmapping, deleting or revoking a
 * capability removes exactly what its map made, so a block (1 GiB or
 * 2 MiB) is never cut: there is no call that removes part of a mapping.
 * Page tables are charged to the DIRECT quota of the account that
 * created the address space.
 *
 * An address space whose last capability is deleted loses its page
 * tables at once (every mapping in it is gone); its 60-byte header stays
 * until the mapping capabilities that point at it are unmapped or
 * deleted, so they never point at freed memory.
 */
#include <cap/cap.h>
#include <hal/mm_arch.h>
#include <lib/log.h>
#include <lib/string.h>
#include <mm/devrange.h>
#include <mm/frame.h>

static struct kcache cache_memobj, cache_vspace;

#if UINTPTR_MAX == 0xffffffffu
_Static_assert(sizeof(struct memobj) == 32, "memory object: 32 bytes");
_Static_assert(sizeof(struct vspace) <= 64, "address space object: at most 64 bytes");
#endif

static bool memobj_destroy(struct kobj *o, unsigned *work, unsigned budget);
static bool vspace_destroy(struct kobj *o, unsigned *work, unsigned budget);
static bool vspace_pinned(const struct kobj *o);

static const struct obj_type memobj_type = {
	.name = "memobj",
	.cache = &cache_memobj,
	.size = sizeof(struct memobj),
	.align = 8,
	.destroy = memobj_destroy,
};
/* A device range is no object (its capabilities name the range; deleting
 * one removes its mapping like any memory capability, cap.c). */
static const struct obj_type device_type = {
	.name = "device",
};
static const struct obj_type vspace_type = {
	.name = "vspace",
	.cache = &cache_vspace,
	.size = sizeof(struct vspace),
	.align = 8,
	.destroy = vspace_destroy,
	.pinned = vspace_pinned,
};

void vspace_init(void)
{
	obj_type_register(CAP_MEM, &memobj_type);
	obj_type_register(CAP_DEVICE, &device_type);
	obj_type_register(CAP_VSPACE, &vspace_type);
}

int memobj_alloc(struct account *a, unsigned pool, unsigned order, struct memobj **out)
{
	struct memobj *m;
	paddr_t pa;
	int err;

	if (pool >= POOL_KHEAP || order > 10)
		return E_INVAL;
	if (!quota_live(&a->q[pool]))
		return E_NOMEM;
	err = obj_alloc(&cache_memobj, CAP_MEM, a, (void **)&m);
	if (err)
		return err;
	err = pool_frame_alloc(&a->q[pool], order, POOL_F_ZERO, &pa);
	if (err) {
		m->obj.flags |= KOBJ_DYING;
		obj_free(&m->obj);
		return err;
	}
	m->pa = pa;
	m->order = (uint8_t)order;
	m->pool = (uint8_t)pool;
	m->pages = 1u << order;
	*out = m;
	return 0;
}

static struct memobj static_mem[8];
static unsigned nstatic;

int memobj_static(paddr_t pa, uint32_t pages, struct memobj **out)
{
	struct memobj *m;

	if (nstatic >= ARRAY_SIZE(static_mem))
		return E_NOMEM;
	m = &static_mem[nstatic++];
	memset(m, 0, sizeof(*m));
	m->obj.type = CAP_MEM;
	m->obj.flags = KOBJ_STATIC;
	m->obj.refs = 1;
	m->pa = pa;
	m->pages = pages;
	m->flags = MEMOBJ_STATIC;
	m->pool = FRAME_POOL_KERNEL;
	*out = m;
	return 0;
}

static bool memobj_destroy(struct kobj *o, unsigned *work, unsigned budget)
{
	struct memobj *m = (struct memobj *)o;
	int err;

	(void)budget;
	(*work)++;
	if (m->flags & MEMOBJ_STATIC)
		return true;
	err = pool_frame_free(&m->obj.acct->q[m->pool], m->pa, m->order);
	if (err)
		pr_err("memobj: freeing 0x%llx order %u: %s", (unsigned long long)m->pa,
		       m->order, err_name(err));
	return true;
}

/* ----------------------------------------------------------- address spaces */

static int pt_alloc(void *ctx, paddr_t *pa)
{
	struct account *a = ctx;

	return pool_frame_alloc(&a->q[POOL_DIRECT], 0, POOL_F_ZERO, pa);
}

static void pt_free(void *ctx, paddr_t pa)
{
	struct account *a = ctx;

	if (pool_frame_free(&a->q[POOL_DIRECT], pa, 0))
		pr_err("vspace: page table 0x%llx could not be freed", (unsigned long long)pa);
}

static void pta_of(struct vspace *vs, struct uarch_pt_alloc *pta)
{
	pta->alloc = pt_alloc;
	pta->free = pt_free;
	pta->ctx = vs->obj.acct;
}

int vspace_create(struct account *a, struct vspace **out)
{
	struct uarch_pt_alloc pta;
	struct vspace *vs;
	int err;

	if (!quota_live(&a->q[POOL_DIRECT]))
		return E_NOMEM;
	err = obj_alloc(&cache_vspace, CAP_VSPACE, a, (void **)&vs);
	if (err)
		return err;
	pta_of(vs, &pta);
	err = uarch_vs_init(&vs->arch, &pta);
	if (err) {
		vs->obj.flags |= KOBJ_DYING;
		obj_free(&vs->obj);
		return err;
	}
	*out = vs;
	return 0;
}

/* The last capability is gone: drop the page tables now; the header
 * stays while mapping capabilities point here. */
static bool vspace_destroy(struct kobj *o, unsigned *work, unsigned budget)
{
	struct vspace *vs = (struct vspace *)o;
	struct uarch_pt_alloc pta;

	(void)budget;
	(*work)++;
	if (!vs->dead) {
		pta_of(vs, &pta);
		uarch_vs_destroy(&vs->arch, &pta);
		vs->dead = true;
	}
	return true;
}

static bool vspace_pinned(const struct kobj *o)
{
	return ((const struct vspace *)o)->maprefs != 0;
}

static void ram_pages_ref(paddr_t pa, uint32_t pages, bool ref)
{
	for (uint32_t i = 0; i < pages; i++) {
		paddr_t p = pa + ((paddr_t)i << 12);

		if (ref)
			frame_ref(p);
		else
			frame_unref(p);
	}
}

int cap_map(struct slot *s, struct vspace *vs, uintptr_t va, unsigned rights, unsigned attr)
{
	struct uarch_pt_alloc pta;
	unsigned type = slot_type(s);
	uint64_t size = (uint64_t)s->b << 12;
	int err;

	if (type != CAP_MEM && type != CAP_DEVICE)
		return E_TYPE;
	if (slot_flags(s) & SLOT_F_MAPPED)
		return E_EXIST;
	if (vs->dead)
		return E_STATE;
	if (rights & ~(R_READ | R_WRITE | R_EXEC))
		return E_INVAL;
	if (!(rights & R_READ) || ((rights & R_WRITE) && (rights & R_EXEC)))
		return E_INVAL;                 /* no write-only, never W+X */
	if (rights & ~slot_rights(s))
		return E_PERM;
	if (va & 0xfff)
		return E_ALIGN;
	if (size == 0 || size > UARCH_USER_TOP || va > UARCH_USER_TOP - size)
		return E_RANGE;
	if (type == CAP_DEVICE) {
		const struct devrange *r = devrange_find(slot_pa(s));

		if (!r)
			return E_NOENT;
		if (rights & R_EXEC)
			return E_PERM;
		if (attr == ATTR_DEFAULT)
			attr = ATTR_DEVICE;
		if (attr > ATTR_NORMAL_WB || !(r->attrs & MEM_ATTR_BIT(attr)))
			return E_PERM;
		/* Anything but device memory: the capability's R_PREFETCH,
		 * which derivation never adds. */
		if (attr != ATTR_DEVICE && !(slot_rights(s) & R_PREFETCH))
			return E_PERM;
	} else {
		if (attr == ATTR_DEFAULT)
			attr = ATTR_NORMAL_WB;
		if (attr > ATTR_NORMAL_WB)
			return E_INVAL;
		/* Device-type memory is never executable (the page tables
		 * would set XN behind the caller's back). */
		if (attr == ATTR_DEVICE && (rights & R_EXEC))
			return E_INVAL;
	}
	pta_of(vs, &pta);
	err = uarch_vs_map(&vs->arch, &pta, va, slot_pa(s), size, attr, rights);
	if (err)
		return err;
	s->map_vs = vs;
	s->map_va = (uint32_t)va | rights | attr << 4;
	s->info |= SLOT_F_MAPPED << 12;
	vs->maprefs++;
	if (type == CAP_MEM && !(((struct memobj *)s->obj)->flags & MEMOBJ_STATIC))
		ram_pages_ref(slot_pa(s), s->b, true);
	return 0;
}

int cap_unmap(struct slot *s)
{
	struct vspace *vs;

	if (slot_type(s) != CAP_MEM && slot_type(s) != CAP_DEVICE)
		return E_TYPE;
	if (!(slot_flags(s) & SLOT_F_MAPPED))
		return E_STATE;
	vs = s->map_vs;
	if (!vs->dead) {
		struct uarch_pt_alloc pta;
		int err;

		/* Exactly what cap_map mapped, so whole translations: the arch
		 * refuses only ranges that cut one. Should it ever refuse,
		 * the mapping and the frames' map counts stay (the frames
		 * cannot be freed while mapped): leaked, not corrupted. */
		pta_of(vs, &pta);
		err = uarch_vs_unmap(&vs->arch, &pta, s->map_va & ~0xfffu, (uint64_t)s->b << 12);
		if (err) {
			pr_err("vspace: unmap of the mapping at 0x%08x refused: %s",
			       (unsigned)(s->map_va & ~0xfffu), err_name(err));
			return err;
		}
	}
	if (slot_type(s) == CAP_MEM && !(((struct memobj *)s->obj)->flags & MEMOBJ_STATIC))
		ram_pages_ref(slot_pa(s), s->b, false);
	s->info &= ~(SLOT_F_MAPPED << 12);
	s->map_vs = NULL;
	s->map_va = 0;
	if (--vs->maprefs == 0 && vs->dead) {
		/* Torn down by the reaper (which sets dead and dequeues in one
		 * step) and kept only for the mapping capabilities. */
		obj_free(&vs->obj);
	}
	return 0;
}
