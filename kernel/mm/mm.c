/*
 * mm: the memory subsystem's boot sequence, its `mem:` summary,
 * the full report and the all-checkers walk (see mm/mm.h).
 *
 * Boot order and why:
 *   1. pmem     the map: RAM, reserved, segments, free ranges;
 *   2. frame    the index over RAM and the (empty) table region;
 *   3. steal    the object heap, contiguous, from the top of DIRECT,
 *               then, right below it, the page tables that make the used
 *               part of the table region mappable (the arch port says how
 *               much: on LPAE 4 KiB per GiB of index space), before the
 *               buddy owns the free ranges (the heap may exceed the
 *               buddy's 4 MiB blocks);
 *   4. buddy    takes the rest; grows the table for partial chunks;
 *   5. mark     the tables' and the heap's frames FRAME_KERNEL (opens
 *               their chunks);
 *   6. kheap    on the heap's direct-map address;
 *   7. pools    from the buddy's and the heap's totals;
 *   8. devices  validated against RAM and reserved memory, merged per page.
 * Reports format into a line buffer and hand each line to the caller's
 * callback: no console dependency.
 *
 * Locking: boot is single-threaded; reports read state under the kernel
 * lock held by the caller.
 */
#include <hal/mm_arch.h>
#include <lib/error.h>
#include <lib/printf.h>
#include <lib/string.h>
#include <mm/buddy.h>
#include <mm/devrange.h>
#include <mm/frame.h>
#include <mm/kheap.h>
#include <mm/mm.h>
#include <mm/pmem.h>
#include <mm/pool.h>

#define LINE_MAX_MM 160

/*
 * The physical map and the frame table over cfg's banks. When the frame
 * table cannot index all of them (more RAM than its region or
 * FRAME_MAX_ENTRIES describes), the banks are cut at a limit that fits,
 * lowered step by step (sections round the index space up), and what is
 * cut is reported in st: a machine with more RAM than this kernel can
 * describe still runs, on the RAM it can.
 */
static int map_ram(const struct mm_config *cfg, struct pmem_config *pc, struct mm_status *st,
		   const char **why)
{
	static struct pmem_range clipped[PMEM_MAX_BANKS];
	uint64_t entries = MIN(cfg->ftable_size / sizeof(struct frame), (uint64_t)FRAME_MAX_ENTRIES);
	paddr_t lo = (paddr_t)-1, hi = 0, limit = 0;
	uint64_t total = 0;
	int err;

	err = pmem_init(pc, why);
	if (!err)
		err = frame_init(cfg->ftable_va, cfg->ftable_size, why);
	if (err != E_NOMEM || cfg->nbanks > PMEM_MAX_BANKS)
		return err;
	for (unsigned i = 0; i < cfg->nbanks; i++) {
		lo = MIN(lo, cfg->banks[i].base);
		hi = MAX(hi, cfg->banks[i].base + cfg->banks[i].size);
		total += cfg->banks[i].size;
	}
	/* From the most the table could index down, 1/16 of it at a time. */
	for (unsigned step = 0; step < 16; step++) {
		unsigned n = 0;
		uint64_t kept = 0;

		limit = lo + ((entries * (16 - step) / 16) << PMEM_PAGE_SHIFT);
		if (limit >= hi)
			continue;
		for (unsigned i = 0; i < cfg->nbanks; i++) {
			struct pmem_range r = cfg->banks[i];

			if (r.base >= limit)
				continue;
			if (r.base + r.size > limit)
				r.size = limit - r.base;
			clipped[n++] = r;
			kept += r.size;
		}
		pc->banks = clipped;
		pc->nbanks = n;
		err = pmem_init(pc, why);
		if (!err)
			err = frame_init(cfg->ftable_va, cfg->ftable_size, why);
		if (err != E_NOMEM || n == 0)
			break;
	}
	if (!err) {
		st->ram_limit = limit;
		st->ram_left_out = total - pmem_ram_bytes();
		st->ram_span_max = entries << PMEM_PAGE_SHIFT;
	}
	return err;
}

/* Bytes of page tables taken at boot for the frame-table region. */
static uint64_t ftable_pt_bytes;

uint64_t mm_ftable_pt_bytes(void)
{
	return ftable_pt_bytes;
}

/*
 * Step 3a: page tables for the part of the frame-table region the index
 * uses, stolen from DIRECT (the port zeroes and installs them); *pa and
 * *cost say what was taken (cost 0: the port needs nothing).
 */
static int prepare_ftable(const struct mm_config *cfg, paddr_t *pa, uint64_t *cost,
			  const char **why)
{
	struct frame_layout fl;
	int err;

	frame_layout(&fl);
	*cost = mm_arch_backing_cost(cfg->ftable_va, fl.va_used);
	*pa = 0;
	if (*cost == 0)
		return 0;
	err = pmem_steal(PMEM_SEG_DIRECT, *cost, PMEM_PAGE_SIZE, PMEM_USE_FTABLE_PT, pa);
	if (err) {
		*why = "no direct memory for the frame table's page tables";
		return err;
	}
	err = mm_arch_backing_prepare(cfg->ftable_va, fl.va_used, *pa);
	if (err)
		*why = "the frame-table region cannot be prepared";
	return err;
}

int mm_init(const struct mm_config *cfg, struct mm_status *st)
{
	struct pmem_config pc;
	struct pmem_seg_info direct;
	const char *why = NULL, *warn = NULL;
	uint64_t heap, pt_cost;
	paddr_t heap_pa, pt_pa;
	void *heap_va;
	int err;

	if (!cfg || !st)
		return E_INVAL;
	memset(st, 0, sizeof(*st));
	pc.banks = cfg->banks;
	pc.nbanks = cfg->nbanks;
	pc.reserved = cfg->reserved;
	pc.nreserved = cfg->nreserved;
	pc.direct_base = cfg->direct_base;
	pc.direct_size = cfg->direct_size;
	err = map_ram(cfg, &pc, st, &why);
	if (err)
		goto fail;

	pmem_seg_info(PMEM_SEG_DIRECT, &direct);
	heap = kheap_choose_size(pmem_ram_bytes(), direct.free_pages * PMEM_PAGE_SIZE,
				 cfg->kheap_override, &warn);
	st->warning = warn;
	if (heap == 0) {
		why = "no room for the object heap in direct memory";
		err = E_NOMEM;
		goto fail;
	}
	err = pmem_steal(PMEM_SEG_DIRECT, heap, KHEAP_GRANULE, PMEM_USE_KHEAP, &heap_pa);
	if (err) {
		why = "no contiguous direct memory for the object heap";
		goto fail;
	}
	err = prepare_ftable(cfg, &pt_pa, &pt_cost, &why);
	if (err)
		goto fail;
	ftable_pt_bytes = pt_cost;
	err = buddy_init(&why);
	if (err)
		goto fail;
	if (pt_cost && buddy_mark_kernel(pt_pa, pt_cost, FRAME_POOL_KERNEL)) {
		why = "cannot record the frame table's page tables in the frame table";
		err = E_NOMEM;
		goto fail;
	}
	err = buddy_mark_kernel(heap_pa, heap, POOL_KHEAP);
	if (err) {
		why = "cannot record the object heap in the frame table";
		goto fail;
	}
	heap_va = mm_arch_direct_va(heap_pa, (size_t)heap);
	if (!heap_va) {
		why = "the object heap is not reachable through the direct map";
		err = E_RANGE;
		goto fail;
	}
	kheap_set_debug(cfg->debug);
	err = kheap_init(heap_pa, heap_va, heap, &why);
	if (err)
		goto fail;
	pool_init();

	devrange_init();
	for (unsigned i = 0; i < cfg->ndevices; i++) {
		const struct mm_device *d = &cfg->devices[i];

		/* A page-aligned bus window permits the normal non-cacheable
		 * and write-combining attributes too (which capability may use
		 * them is its R_PREFETCH right); anything else is a device's
		 * registers, device memory only. */
		if (d->window && !((d->base | d->size) & (PMEM_PAGE_SIZE - 1)) &&
		    devrange_add(d->base, d->size, MEM_ATTR_BIT(MEM_ATTR_NORMAL_NC) |
				 MEM_ATTR_BIT(MEM_ATTR_WRITE_COMBINE), MEM_R | MEM_W, d->tag,
				 &why) == 0)
			continue;
		if (devrange_add_device(d->base, d->size, d->tag, &why)) {
			st->devices_rejected++;
			if (!st->warning)
				st->warning = why;
		}
	}
	return 0;
fail:
	st->why = why ? why : err_name(err);
	return err;
}

int mm_summary(char *buf, size_t len)
{
	unsigned banks = pmem_bank_count(), devs = devrange_count();

	return ksnprintf(buf, len,
			 "mem: ram %llu MiB in %u bank%s, frame table %llu KiB backed "
			 "(%u B/page), heap %llu KiB, %u device range%s (%u B each)",
			 (unsigned long long)(pmem_ram_bytes() >> 20), banks,
			 banks == 1 ? "" : "s", (unsigned long long)(frame_backed_bytes() >> 10),
			 (unsigned)sizeof(struct frame), (unsigned long long)(kheap_size() >> 10),
			 devs, devs == 1 ? "" : "s", (unsigned)sizeof(struct devrange));
}

static void emit(mm_out_fn out, void *ctx, const char *fmt, ...) PRINTF_LIKE(3, 4);

static void emit(mm_out_fn out, void *ctx, const char *fmt, ...)
{
	char line[LINE_MAX_MM];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	out(ctx, line);
}

static const char *attr_names(unsigned attrs, char *buf, size_t len)
{
	static const char *const names[] = { "device", "nc", "wc", "wb" };
	size_t n = 0;

	buf[0] = 0;
	for (unsigned a = 0; a < 4; a++)
		if (attrs & MEM_ATTR_BIT(a))
			n += (size_t)ksnprintf(buf + n, n < len ? len - n : 0, "%s%s",
					       n ? "," : "", names[a]);
	return buf;
}

void mm_report(mm_out_fn out, void *ctx)
{
	char line[LINE_MAX_MM];
	struct pmem_range r;
	struct frame_layout fl;
	paddr_t dbase;
	uint64_t dsize;
	unsigned use;

	mm_summary(line, sizeof(line));
	out(ctx, line);
	for (unsigned i = 0; pmem_ram_range(i, &r); i++)
		emit(out, ctx, "mem: ram 0x%010llx-0x%010llx (%llu KiB)",
		     (unsigned long long)r.base, (unsigned long long)(r.base + r.size - 1),
		     (unsigned long long)(r.size >> 10));
	pmem_direct_window(&dbase, &dsize);
	emit(out, ctx, "mem: direct window 0x%010llx-0x%010llx (%llu MiB)",
	     (unsigned long long)dbase, (unsigned long long)(dbase + dsize - 1),
	     (unsigned long long)(dsize >> 20));
	for (unsigned s = 0; s < PMEM_NSEGS; s++) {
		struct pmem_seg_info si;

		pmem_seg_info(s, &si);
		if (!si.ram_pages) {
			emit(out, ctx, "mem: segment %s: empty", si.name);
			continue;
		}
		emit(out, ctx,
		     "mem: segment %s: 0x%010llx-0x%010llx, %llu pages, %llu reserved, "
		     "%llu taken at boot, %llu free",
		     si.name, (unsigned long long)si.lo, (unsigned long long)(si.hi - 1),
		     (unsigned long long)si.ram_pages, (unsigned long long)si.reserved_pages,
		     (unsigned long long)si.stolen_pages, (unsigned long long)buddy_free_pages(s));
	}
	for (unsigned i = 0; pmem_stolen_range(i, &r, &use); i++)
		emit(out, ctx, "mem: taken at boot 0x%010llx-0x%010llx (%s)",
		     (unsigned long long)r.base, (unsigned long long)(r.base + r.size - 1),
		     use == PMEM_USE_KHEAP       ? "object heap" :
		     use == PMEM_USE_FTABLE_PT ? "frame-table page tables" : "other");
	frame_layout(&fl);
	emit(out, ctx,
	     "mem: frame table: region 0x%llx, %llu of %llu KiB of index space, "
	     "%u sections of %llu MiB (%u with RAM), %u chunks open, %llu KiB backed, "
	     "%llu KiB of page tables",
	     (unsigned long long)fl.va, (unsigned long long)(fl.va_used >> 10),
	     (unsigned long long)(fl.va_size >> 10), (unsigned)fl.nsec,
	     (unsigned long long)(fl.section_bytes >> 20), (unsigned)fl.nslots,
	     (unsigned)fl.open_chunks,
	     (unsigned long long)(fl.backed_bytes >> 10),
	     (unsigned long long)(ftable_pt_bytes >> 10));
	emit(out, ctx, "mem: heap: 0x%010llx, %llu KiB, %llu KiB free",
	     (unsigned long long)kheap_pa(), (unsigned long long)(kheap_size() >> 10),
	     (unsigned long long)(kheap_free_bytes() >> 10));
	for (unsigned i = 0; i < POOL_COUNT; i++) {
		const struct pool *p = pool_get(i);
		const char *unit = p->kind == POOL_KIND_FRAMES ? "pages" : "bytes";

		emit(out, ctx,
		     "pool %s: total %llu %s, free %llu, reserved to quotas %llu "
		     "(of %llu quotable), charged %llu, %u quotas",
		     p->name, (unsigned long long)p->total, unit,
		     (unsigned long long)pool_free(p), (unsigned long long)p->reserved,
		     (unsigned long long)p->quotable, (unsigned long long)p->charged,
		     (unsigned)p->nquotas);
	}
	for (const struct kcache *c = kcache_first(); c; c = c->next)
		emit(out, ctx,
		     "cache %s: %llu objects in use, %u slabs, %llu bytes "
		     "(object %u B, slot %u B, %u per slab, %u of %u in the magazine)%s",
		     c->name, (unsigned long long)kcache_inuse(c), (unsigned)c->nslabs,
		     (unsigned long long)kcache_bytes(c), (unsigned)c->size,
		     (unsigned)c->stride, (unsigned)c->per_slab, (unsigned)kcache_magazine(c),
		     (unsigned)c->mag_cap, (c->flags & KCACHE_F_DEBUG) ? ", debug" : "");
	emit(out, ctx, "devices: %u ranges, %u bytes of metadata (%u B each, whatever the size)",
	     devrange_count(), (unsigned)devrange_meta_bytes(),
	     (unsigned)sizeof(struct devrange));
	for (unsigned i = 0; i < devrange_count(); i++) {
		const struct devrange *d = devrange_at(i);
		char attrs[32];

		emit(out, ctx, "device 0x%010llx-0x%010llx %s %s%s tag %u%s",
		     (unsigned long long)d->base, (unsigned long long)(d->base + d->size - 1),
		     attr_names(d->attrs, attrs, sizeof(attrs)), (d->rights & MEM_R) ? "r" : "",
		     (d->rights & MEM_W) ? "w" : "", (unsigned)d->tag,
		     d->merged ? " (merged)" : "");
	}
}

int mm_check(const char **why)
{
	const char *dummy;
	int err;

	if (!why)
		why = &dummy;
	err = pmem_check(why);
	if (!err)
		err = frame_check(why);
	if (!err)
		err = buddy_check(why);
	if (!err)
		err = kheap_check(why);
	for (const struct kcache *c = kcache_first(); c && !err; c = c->next)
		err = kcache_check(c, why);
	if (!err)
		err = pool_check(why);
	if (!err)
		err = devrange_check(why);
	return err;
}
