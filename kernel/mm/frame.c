/*
 * frame: the lazily backed frame table (see mm/frame.h for the model).
 *
 * This file owns the index (sections -> slots), the virtual region, the
 * "open chunk" bitmap and the table pages' mappings. It never allocates:
 * the frames that back a chunk are chosen by the buddy allocator and passed
 * in, which keeps the bootstrap in one place (buddy.c). What it guarantees:
 *
 *   - a chunk is open iff both of its table pages are mapped and were
 *     zeroed when mapped; backed_pages == 2 * open chunks;
 *   - no page of the region is ever mapped twice or unmapped again (the
 *     table only grows; a chunk is closed only by a failed open);
 *   - the index is a bijection between RAM-section pages and [0, nentries).
 *
 *   region:  | chunk 0 (8 KiB) | chunk 1 | chunk 2 | ...
 *   mapped:  |#################|         |#########|        (open chunks)
 *
 * Locking: kernel lock (callers); frame_init at boot only.
 */
#include <hal/mm_arch.h>
#include <lib/error.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/pmem.h>

struct frame_map frame_map;

static uintptr_t chunk_va(uint32_t chunk, unsigned page)
{
	return (uintptr_t)frame_map.table +
	       ((uintptr_t)chunk * FRAME_CHUNK_PAGES + (uintptr_t)page * FRAME_PER_TABLE_PAGE) *
		       sizeof(struct frame);
}

int frame_init(uintptr_t va, uintptr_t size, const char **why)
{
	struct pmem_range r, first, last;
	uint32_t lo_pfn, hi_pfn, shift, span_pfn = 0, nsec = 0, nslots = 0, prev_sec;
	uint64_t bytes;
	unsigned n;
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (!pmem_ram_range(0, &first)) {
		*why = "no whole RAM page";
		return E_INVAL;
	}
	if (!IS_ALIGNED(va, (uintptr_t)PMEM_PAGE_SIZE) ||
	    !IS_ALIGNED(size, (uintptr_t)PMEM_PAGE_SIZE)) {
		*why = "frame-table region not page aligned";
		return E_ALIGN;
	}
	if (va + size < va) {
		*why = "frame-table region wraps";
		return E_OVERFLOW;
	}
	for (n = 0; pmem_ram_range(n, &last); n++)
		;
	pmem_ram_range(n - 1, &last);
	lo_pfn = (uint32_t)(first.base >> PMEM_PAGE_SHIFT);
	hi_pfn = (uint32_t)((last.base + last.size) >> PMEM_PAGE_SHIFT); /* <= 2^28 */

	/* smallest section (>= one chunk) that covers the span in <= MAX sections */
	for (shift = FRAME_CHUNK_ORDER;; shift++) {
		uint32_t a = ALIGN_DOWN(lo_pfn, 1u << shift);
		uint64_t b = ALIGN_UP((uint64_t)hi_pfn, (uint64_t)1 << shift);

		nsec = (uint32_t)((b - a) >> shift);
		if (nsec <= FRAME_MAX_SECTIONS) {
			span_pfn = a;
			break;
		}
	}
	/* count the sections holding RAM (ranges are sorted) */
	prev_sec = 0xFFFFFFFFu;
	for (unsigned i = 0; pmem_ram_range(i, &r); i++) {
		uint32_t s0 = ((uint32_t)(r.base >> PMEM_PAGE_SHIFT) - span_pfn) >> shift;
		uint32_t s1 = ((uint32_t)((r.base + r.size) >> PMEM_PAGE_SHIFT) - 1 - span_pfn) >> shift;

		for (uint32_t s = s0; s <= s1; s++)
			if (s != prev_sec) {
				nslots++;
				prev_sec = s;
			}
	}
	bytes = ((uint64_t)nslots << shift) * sizeof(struct frame);
	if (((uint64_t)nslots << shift) > FRAME_MAX_ENTRIES) {
		*why = "RAM index space exceeds FRAME_MAX_ENTRIES (64 GiB)";
		return E_NOMEM;
	}
	if (bytes > size) {
		*why = "frame-table region too small for the RAM index space";
		return E_NOMEM;
	}

	/* decided: publish */
	memset(&frame_map, 0, sizeof(frame_map));
	frame_map.table = (struct frame *)va;
	frame_map.va_size = size;
	frame_map.span_pfn = span_pfn;
	frame_map.nsec = nsec;
	frame_map.sec_shift = shift;
	frame_map.nslots = nslots;
	frame_map.nentries = nslots << shift;
	for (uint32_t s = 0; s < FRAME_MAX_SECTIONS; s++)
		frame_map.sec_delta[s] = FRAME_MAX_ENTRIES - (s << shift);
	nslots = 0;
	for (unsigned i = 0; pmem_ram_range(i, &r); i++) {
		uint32_t s0 = ((uint32_t)(r.base >> PMEM_PAGE_SHIFT) - span_pfn) >> shift;
		uint32_t s1 = ((uint32_t)((r.base + r.size) >> PMEM_PAGE_SHIFT) - 1 - span_pfn) >> shift;

		for (uint32_t s = s0; s <= s1; s++)
			if (frame_map.sec_delta[s] == FRAME_MAX_ENTRIES - (s << shift)) {
				frame_map.sec_delta[s] = (nslots << shift) - (s << shift);
				frame_map.slot_sec[nslots] = (uint16_t)s;
				nslots++;
			}
	}
	return 0;
}

int frame_chunk_back(uint32_t chunk, const paddr_t pa[FRAME_TABLE_PAGES_PER_CHUNK])
{
	unsigned i;
	int err = 0;

	if (chunk >= frame_map.nentries >> FRAME_CHUNK_ORDER)
		return E_INVAL;
	if (frame_chunk_is_open(chunk))
		return E_EXIST;
	for (i = 0; i < FRAME_TABLE_PAGES_PER_CHUNK; i++) {
		err = mm_arch_map_backing(chunk_va(chunk, i), pa[i]);
		if (err)
			break;
	}
	if (err) {
		while (i-- > 0)
			mm_arch_unmap_backing(chunk_va(chunk, i));
		return err;
	}
	for (i = 0; i < FRAME_TABLE_PAGES_PER_CHUNK; i++)
		memset((void *)chunk_va(chunk, i), 0, PMEM_PAGE_SIZE);
	frame_map.open_bits[chunk >> 5] |= 1u << (chunk & 31);
	frame_map.backed_pages += FRAME_TABLE_PAGES_PER_CHUNK;
	return 0;
}

int frame_index(paddr_t pa, uint32_t *idx)
{
	if (pa >= PMEM_PHYS_LIMIT)
		return E_RANGE;
	return frame_pfn_to_idx((uint32_t)(pa >> PMEM_PAGE_SHIFT), idx) ? 0 : E_NOENT;
}

struct frame *frame_get(paddr_t pa)
{
	struct frame *f;

	if (pa >= PMEM_PHYS_LIMIT || !frame_of_pfn((uint32_t)(pa >> PMEM_PAGE_SHIFT), &f))
		return NULL;
	return f;
}

static struct frame *allocated_page(paddr_t pa)
{
	struct frame *f = frame_get(pa);

	if (!f || (frame_state(f) != FRAME_ALLOC && frame_state(f) != FRAME_ALLOC_TAIL))
		return NULL;
	return f;
}

int frame_ref(paddr_t pa)
{
	struct frame *f = allocated_page(pa);

	if (!f)
		return E_INVAL;
	if (frame_count(f) == FRAME_COUNT_MAX)
		return E_OVERFLOW;
	f->w0 += 1u << 8;
	return 0;
}

int frame_unref(paddr_t pa)
{
	struct frame *f = allocated_page(pa);

	if (!f || frame_count(f) == 0)
		return E_INVAL;
	f->w0 -= 1u << 8;
	return 0;
}

int frame_zero(paddr_t pa, unsigned order)
{
	uint64_t bytes = (uint64_t)PMEM_PAGE_SIZE << order;
	void *va;

	if (order > FRAME_CHUNK_ORDER || !IS_ALIGNED(pa, (paddr_t)PMEM_PAGE_SIZE))
		return E_INVAL;
	va = mm_arch_direct_va(pa, (size_t)bytes);
	if (va) {
		mm_arch_zero_pages(va, (size_t)bytes);
		return 0;
	}
	for (uint64_t off = 0; off < bytes; off += PMEM_PAGE_SIZE) {
		va = mm_arch_kmap(pa + off);
		if (!va)
			return E_NOMEM;
		mm_arch_zero_pages(va, PMEM_PAGE_SIZE);
		mm_arch_kunmap(va);
	}
	return 0;
}

void frame_layout(struct frame_layout *out)
{
	out->va = (uintptr_t)frame_map.table;
	out->va_size = frame_map.va_size;
	out->va_used = (uintptr_t)frame_map.nentries * sizeof(struct frame);
	out->section_bytes = (uint64_t)PMEM_PAGE_SIZE << frame_map.sec_shift;
	out->nsec = frame_map.nsec;
	out->nslots = frame_map.nslots;
	out->nentries = frame_map.nentries;
	out->open_chunks = frame_map.backed_pages / FRAME_TABLE_PAGES_PER_CHUNK;
	out->backed_bytes = frame_backed_bytes();
}

uint64_t frame_backed_bytes(void)
{
	return (uint64_t)frame_map.backed_pages * PMEM_PAGE_SIZE;
}

/* ------------------------------------------------------------ check */

/* Stolen at boot but not yet marked is the one legitimate FRAME_NONE RAM. */
static bool is_stolen(paddr_t pa)
{
	struct pmem_range r;

	for (unsigned i = 0; pmem_stolen_range(i, &r, NULL); i++)
		if (pa >= r.base && pa - r.base < r.size)
			return true;
	return false;
}

static const char *check_entry(uint32_t idx, uint32_t *ntable)
{
	const struct frame *f = frame_at(idx);
	paddr_t pa = frame_idx_to_pa(idx);
	unsigned st = frame_state(f), order = frame_order(f);
	bool usable = pmem_is_ram(pa) && !pmem_is_reserved(pa);
	uint32_t head, n;

	if (st == FRAME_NONE) {
		if (f->w0 || f->w1)
			return "FRAME_NONE entry with stale fields";
		return usable && !is_stolen(pa) ? "usable RAM page with no state" : NULL;
	}
	if (!usable)
		return "an entry describes a hole or a reserved page";
	switch (st) {
	case FRAME_FREE:
		if (order >= FRAME_CHUNK_ORDER || (idx & ((1u << order) - 1)))
			return "free head with a bad order or misaligned";
		if (frame_seg(f) != pmem_seg_of(pa))
			return "free head in the wrong segment";
		n = 1u << order;
		for (uint32_t i = 1; i < n; i++)
			if (frame_state(frame_at(idx + i)) != FRAME_FREE_TAIL)
				return "page inside a free block is not FREE_TAIL";
		return NULL;
	case FRAME_FREE_TAIL:
		return f->w1 >> 8 || f->w0 >> 4 ? "FREE_TAIL with stale fields" : NULL;
	case FRAME_CACHED:
		if (f->w0 >> 4 || f->w1 >> 8)
			return "cached page with stale fields";
		return frame_seg(f) != pmem_seg_of(pa) ? "cached page in the wrong segment" : NULL;
	case FRAME_ALLOC:
	case FRAME_ALLOC_TAIL:
		if (order > FRAME_CHUNK_ORDER)
			return "allocated page with a bad order";
		head = idx & ~((1u << order) - 1);
		if ((st == FRAME_ALLOC) != (head == idx))
			return "allocated head/tail at the wrong place";
		if (frame_state(frame_at(head)) != FRAME_ALLOC ||
		    frame_order(frame_at(head)) != order ||
		    frame_pool(frame_at(head)) != frame_pool(f))
			return "allocated page disagrees with its block head";
		if (st == FRAME_ALLOC ? (f->w1 >> 8) != pmem_seg_of(pa) : (f->w1 >> 8) != 0)
			return "allocated page with a wrong segment or stale fields";
		return NULL;
	case FRAME_KERNEL:
		return order || f->w0 >> 8 || f->w1 >> 8 ? "kernel page with stale fields" : NULL;
	case FRAME_TABLE:
		(*ntable)++;
		return order || f->w0 >> 8 || f->w1 >> 8 ? "table page with stale fields" : NULL;
	default:
		return "invalid state";
	}
}

int frame_check(const char **why)
{
	uint32_t nchunks = frame_map.nentries >> FRAME_CHUNK_ORDER, ntable = 0, nopen = 0;
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	for (uint32_t s = 0; s < frame_map.nsec; s++) {
		uint32_t base = frame_map.sec_delta[s] + (s << frame_map.sec_shift);

		if (base != FRAME_MAX_ENTRIES &&
		    (base >= frame_map.nentries || (base & ((1u << frame_map.sec_shift) - 1)) ||
		     frame_map.slot_sec[base >> frame_map.sec_shift] != s)) {
			*why = "section and slot tables disagree";
			return E_FORMAT;
		}
	}
	for (uint32_t w = FRAME_MAX_CHUNKS / 32; w < ARRAY_SIZE(frame_map.open_bits); w++)
		if (frame_map.open_bits[w]) {
			*why = "a guard word of the open-chunk bitmap is set";
			return E_FORMAT;
		}
	for (uint32_t c = 0; c < nchunks; c++) {
		if (!frame_chunk_is_open(c))
			continue;
		nopen++;
		for (uint32_t i = 0; i < FRAME_CHUNK_PAGES; i++) {
			const char *bad = check_entry(c * FRAME_CHUNK_PAGES + i, &ntable);

			if (bad) {
				*why = bad;
				return E_FORMAT;
			}
		}
	}
	for (uint32_t c = nchunks; c < FRAME_MAX_CHUNKS; c++)
		if (frame_chunk_is_open(c)) {
			*why = "a chunk beyond the index space is open";
			return E_FORMAT;
		}
	if (nopen * FRAME_TABLE_PAGES_PER_CHUNK != frame_map.backed_pages) {
		*why = "backed page count disagrees with the open chunks";
		return E_FORMAT;
	}
	if (ntable != frame_map.backed_pages) {
		*why = "FRAME_TABLE pages and mapped table pages differ in number";
		return E_FORMAT;
	}
	return 0;
}
