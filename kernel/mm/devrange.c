/*
 * devrange: device ranges and page_info (see mm/devrange.h).
 *
 * Design: one sorted array of disjoint, page-aligned ranges (DEVRANGE_MAX
 * entries of 24 bytes, static). A range is never split into pages: the
 * kernel's knowledge of a device page is derived from its range when asked
 * (page_info), which is the CapROS/Coyotos argument of seed 000 carried to
 * its end: no struct Page for device memory, hence no heap that has to
 * grow with device memory either.
 *
 *   0x0800_0000 [gic ][uart][rtc ]...[virtio x32 merged]...[pcie ecam ]
 *               sorted by base; find = binary search on the ends
 *
 * page_info for RAM reads the frame table when the page's chunk is open
 * and otherwise answers from the buddy's free-chunk bitmap and pmem's
 * reserved list, so asking about a page never grows the table.
 *
 * Locking: kernel lock.
 */
#include <lib/error.h>
#include <lib/string.h>
#include <mm/buddy.h>
#include <mm/devrange.h>
#include <mm/frame.h>
#include <mm/pmem.h>
#include <mm/pool.h>

static struct devrange ranges[DEVRANGE_MAX];
static unsigned nranges;

static paddr_t dr_end(const struct devrange *r)
{
	return r->base + r->size;
}

/* First range whose end is above pa (nranges if none). */
static unsigned first_above(paddr_t pa)
{
	unsigned lo = 0, hi = nranges;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (dr_end(&ranges[mid]) > pa)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void devrange_init(void)
{
	memset(ranges, 0, sizeof(ranges));
	nranges = 0;
}

/* The checks shared by every way in; `rounded` skips the alignment test
 * (devrange_add_device rounds first). */
static int validate(paddr_t base, uint64_t size, bool rounded, const char **why)
{
	paddr_t end;
	unsigned i;

	if (size == 0) {
		*why = "zero-sized device range";
		return E_INVAL;
	}
	if (__builtin_add_overflow(base, size, &end)) {
		*why = "device range wraps around the address space";
		return E_OVERFLOW;
	}
	if (end > PMEM_PHYS_LIMIT) {
		*why = "device range ends beyond 40 bits";
		return E_RANGE;
	}
	if (!rounded && !IS_ALIGNED(base | size, (uint64_t)PMEM_PAGE_SIZE)) {
		*why = "device range not 4 KiB aligned";
		return E_ALIGN;
	}
	if (rounded) {
		base = ALIGN_DOWN(base, (paddr_t)PMEM_PAGE_SIZE);
		size = ALIGN_UP(end, (paddr_t)PMEM_PAGE_SIZE) - base;
	}
	if (pmem_overlaps_ram(base, size)) {
		*why = "device range overlaps RAM";
		return E_BUSY;
	}
	if (pmem_overlaps_reserved(base, size)) {
		*why = "device range overlaps reserved memory";
		return E_PERM;
	}
	i = first_above(base);
	if (!rounded && i < nranges && ranges[i].base < base + size) {
		*why = "device range overlaps another device range";
		return E_EXIST;
	}
	return 0;
}

int devrange_validate(paddr_t base, uint64_t size, const char **why)
{
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	return validate(base, size, false, why);
}

static int insert_at(unsigned i, const struct devrange *r, const char **why)
{
	if (nranges == DEVRANGE_MAX) {
		*why = "device range table full";
		return E_NOMEM;
	}
	memmove(&ranges[i + 1], &ranges[i], (nranges - i) * sizeof(ranges[0]));
	ranges[i] = *r;
	nranges++;
	return 0;
}

int devrange_add(paddr_t base, uint64_t size, unsigned attrs, unsigned rights, uint32_t tag,
		 const char **why)
{
	struct devrange r;
	const char *dummy;
	int err;

	if (!why)
		why = &dummy;
	*why = NULL;
	if ((attrs & ~MEM_ATTRS_DEVICE_ALL) || (rights & ~(unsigned)(MEM_R | MEM_W))) {
		*why = "unknown attribute or rights bits (device memory is never executable)";
		return E_INVAL;
	}
	err = validate(base, size, false, why);
	if (err)
		return err;
	memset(&r, 0, sizeof(r));
	r.base = base;
	r.size = size;
	r.tag = tag;
	r.attrs = (uint8_t)(attrs | MEM_ATTR_BIT(MEM_ATTR_DEVICE));
	r.rights = (uint8_t)rights;
	return insert_at(first_above(base), &r, why);
}

int devrange_add_device(paddr_t base, uint64_t size, uint32_t tag, const char **why)
{
	struct devrange r;
	paddr_t b, e;
	unsigned i, j, devices = 1;
	const char *dummy;
	int err;

	if (!why)
		why = &dummy;
	*why = NULL;
	err = validate(base, size, true, why);
	if (err)
		return err;
	b = ALIGN_DOWN(base, (paddr_t)PMEM_PAGE_SIZE);
	e = ALIGN_UP(base + size, (paddr_t)PMEM_PAGE_SIZE);
	i = first_above(b);
	for (j = i; j < nranges && ranges[j].base < e; j++) {
		if (!(ranges[j].flags & DEVRANGE_F_DT)) {
			*why = "device range overlaps another device range";
			return E_EXIST;
		}
		devices += ranges[j].merged + 1u;
	}
	memset(&r, 0, sizeof(r));
	r.tag = tag;
	r.attrs = MEM_ATTR_BIT(MEM_ATTR_DEVICE);
	r.rights = MEM_R | MEM_W;
	r.flags = DEVRANGE_F_DT;
	r.merged = (uint8_t)MIN(devices - 1, 255u);
	if (j == i) {
		r.base = b;
		r.size = e - b;
		return insert_at(i, &r, why);
	}
	/* shares pages with ranges i..j-1: they become one */
	r.base = MIN(b, ranges[i].base);
	r.size = MAX(e, dr_end(&ranges[j - 1])) - r.base;
	r.tag = ranges[i].tag;
	ranges[i] = r;
	memmove(&ranges[i + 1], &ranges[j], (nranges - j) * sizeof(ranges[0]));
	nranges -= j - i - 1;
	return 0;
}

unsigned devrange_count(void)
{
	return nranges;
}

const struct devrange *devrange_at(unsigned i)
{
	return i < nranges ? &ranges[i] : NULL;
}

const struct devrange *devrange_find(paddr_t pa)
{
	unsigned i = first_above(pa);

	return i < nranges && ranges[i].base <= pa ? &ranges[i] : NULL;
}

size_t devrange_meta_bytes(void)
{
	return nranges * sizeof(struct devrange);
}

int devrange_check(const char **why)
{
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	for (unsigned i = 0; i < nranges; i++) {
		const struct devrange *r = &ranges[i];
		paddr_t end;

		if (r->size == 0 || __builtin_add_overflow(r->base, r->size, &end) ||
		    end > PMEM_PHYS_LIMIT || !IS_ALIGNED(r->base | r->size, (uint64_t)PMEM_PAGE_SIZE))
			*why = "device range empty, wrapping, beyond 40 bits or misaligned";
		else if (i > 0 && r->base < dr_end(&ranges[i - 1]))
			*why = "device ranges unsorted or overlapping";
		else if (pmem_overlaps_ram(r->base, r->size) ||
			 pmem_overlaps_reserved(r->base, r->size))
			*why = "device range overlaps RAM or reserved memory";
		else if (!(r->attrs & MEM_ATTR_BIT(MEM_ATTR_DEVICE)) ||
			 (r->attrs & ~MEM_ATTRS_DEVICE_ALL) || (r->rights & ~(MEM_R | MEM_W)))
			*why = "device range with bad attributes or rights";
		if (*why)
			return E_FORMAT;
	}
	return 0;
}

/* ------------------------------------------------------------ page_info */

static void ram_info(paddr_t pa, struct page_info *out)
{
	struct frame *f = frame_get(pa);

	out->kind = PAGE_KIND_RAM;
	out->seg = (uint8_t)pmem_seg_of(pa);
	out->attr = MEM_ATTR_NORMAL_WB;
	out->attrs = MEM_ATTR_BIT(MEM_ATTR_NORMAL_WB);
	out->pool = FRAME_POOL_NONE;
	out->frame = f;
	if (!f) {
		/* chunk not open: a free 4 MiB chunk, or never handed out */
		out->state = buddy_in_free_chunk(pa) ? PAGE_FREE :
			     pmem_is_reserved(pa)    ? PAGE_RESERVED :
						       PAGE_UNKNOWN;
		return;
	}
	switch (frame_state(f)) {
	case FRAME_FREE:
	case FRAME_FREE_TAIL:
	case FRAME_CACHED:
		out->state = PAGE_FREE;
		break;
	case FRAME_ALLOC:
	case FRAME_ALLOC_TAIL:
		out->state = PAGE_ALLOCATED;
		out->pool = (uint8_t)frame_pool(f);
		out->order = (uint8_t)frame_order(f);
		out->block_size = (uint64_t)PMEM_PAGE_SIZE << out->order;
		out->block = ALIGN_DOWN(pa, (paddr_t)out->block_size);
		out->map_count = frame_count(f);
		out->rights = MEM_R | MEM_W | MEM_X;
		out->attrs = MEM_ATTR_BIT(MEM_ATTR_NORMAL_WB) | MEM_ATTR_BIT(MEM_ATTR_NORMAL_NC) |
			     MEM_ATTR_BIT(MEM_ATTR_WRITE_COMBINE);
		break;
	case FRAME_KERNEL:
		out->state = PAGE_KERNEL;
		out->pool = (uint8_t)frame_pool(f);
		break;
	case FRAME_TABLE:
		out->state = PAGE_FRAME_TABLE;
		out->pool = FRAME_POOL_KERNEL;
		break;
	default:
		out->state = pmem_is_reserved(pa) ? PAGE_RESERVED : PAGE_UNKNOWN;
		break;
	}
}

int page_info(paddr_t pa, struct page_info *out)
{
	const struct devrange *r;

	if (!out)
		return E_INVAL;
	*out = (struct page_info){ 0 };    /* inline stores, no memset call */
	if (pa >= PMEM_PHYS_LIMIT)
		return E_RANGE;
	out->pa = ALIGN_DOWN(pa, (paddr_t)PMEM_PAGE_SIZE);
	if (pmem_is_ram(pa)) {
		ram_info(out->pa, out);
		return 0;
	}
	r = devrange_find(pa);
	if (!r)
		return E_NOENT;
	out->kind = PAGE_KIND_DEVICE;
	out->state = PAGE_DEVICE;
	out->attr = MEM_ATTR_DEVICE;
	out->attrs = r->attrs;
	out->rights = r->rights;
	out->pool = FRAME_POOL_NONE;
	out->block = r->base;
	out->block_size = r->size;
	out->range = r;
	return 0;
}
