/*
 * pmem: the physical memory map (see mm/pmem.h for the model).
 *
 * Design: everything is a small sorted array of [base, size) ranges with a
 * fixed capacity, so building the map allocates nothing and lookups are
 * binary searches. pmem_init builds the new map in a scratch copy and
 * publishes it only when every input was valid, so a failed call leaves no
 * partial state. Free ranges are cut at the three segment boundaries
 * (direct_base, direct_base + direct_size, 4 GiB) so that the buddy
 * allocator can hand each one to exactly one segment.
 *
 *   RAM bank    |=========================================|
 *   reserved          [kimg]          [dtb]
 *   boundaries                  |direct end
 *   free        |====|      |===|=====|     |==============|
 *                 DIRECT     DIRECT DMA32      DMA32
 *
 * Locking: boot is single-threaded; after pmem_seal() the map is read-only.
 */
#include <lib/error.h>
#include <lib/string.h>
#include <mm/pmem.h>

struct pmem_map {
	bool ready;
	bool sealed;
	unsigned nbanks;                  /* as reported */
	uint64_t ram_bytes;               /* sum of reported sizes */
	paddr_t direct_base;
	uint64_t direct_size;
	unsigned nram;
	struct pmem_range ram[PMEM_MAX_BANKS];
	unsigned nrsv;
	struct pmem_range rsv[PMEM_MAX_RESERVED];
	unsigned nfree;
	struct pmem_range free[PMEM_MAX_FREE];
	uint8_t free_seg[PMEM_MAX_FREE];
	unsigned nstolen;
	struct pmem_range stolen[PMEM_MAX_STOLEN];
	uint8_t stolen_use[PMEM_MAX_STOLEN];
	uint8_t stolen_seg[PMEM_MAX_STOLEN];
	uint64_t seg_ram[PMEM_NSEGS];     /* RAM pages per segment */
	uint64_t seg_reserved[PMEM_NSEGS]; /* RAM pages inside reserved ranges */
};

static struct pmem_map pm;
static struct pmem_map pm_new;        /* scratch for pmem_init */

static const char *const seg_names[PMEM_NSEGS] = { "direct", "dma32", "high" };

/* ------------------------------------------------------------ helpers */

static unsigned seg_of(const struct pmem_map *m, paddr_t pa)
{
	if (pa >= m->direct_base && pa - m->direct_base < m->direct_size)
		return PMEM_SEG_DIRECT;
	return pa < PMEM_4G ? PMEM_SEG_DMA32 : PMEM_SEG_HIGH;
}

static paddr_t range_end(const struct pmem_range *r)
{
	return r->base + r->size;     /* stored ranges never wrap */
}

static void sort_ranges(struct pmem_range *r, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		struct pmem_range x = r[i];
		unsigned j = i;

		while (j > 0 && r[j - 1].base > x.base) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = x;
	}
}

/* Index of the first range whose end is above pa (n if none). */
static unsigned first_ending_above(const struct pmem_range *r, unsigned n, paddr_t pa)
{
	unsigned lo = 0, hi = n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (range_end(&r[mid]) > pa)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static bool overlaps(const struct pmem_range *r, unsigned n, paddr_t base, uint64_t size)
{
	unsigned i = first_ending_above(r, n, base);

	return i < n && r[i].base < base + size;
}

static bool contains(const struct pmem_range *r, unsigned n, paddr_t pa)
{
	unsigned i = first_ending_above(r, n, pa);

	return i < n && r[i].base <= pa;
}

/* Append [base, end) to the free list of m, cut at segment boundaries. */
static int add_free(struct pmem_map *m, paddr_t base, paddr_t end)
{
	paddr_t cuts[3];
	uint64_t dend;

	dend = m->direct_base + m->direct_size;
	cuts[0] = MIN(m->direct_base, dend);
	cuts[1] = dend;
	cuts[2] = PMEM_4G;
	/* sort the three cut points */
	for (int i = 1; i < 3; i++)
		for (int j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
			paddr_t t = cuts[j];

			cuts[j] = cuts[j - 1];
			cuts[j - 1] = t;
		}
	while (base < end) {
		paddr_t stop = end;

		for (int i = 0; i < 3; i++)
			if (cuts[i] > base && cuts[i] < stop) {
				stop = cuts[i];
				break;
			}
		if (m->nfree == PMEM_MAX_FREE)
			return E_NOMEM;
		m->free[m->nfree].base = base;
		m->free[m->nfree].size = stop - base;
		m->free_seg[m->nfree] = (uint8_t)seg_of(m, base);
		m->nfree++;
		base = stop;
	}
	return 0;
}

/*
 * RAM pages of segment s in m; also its lowest address and the end of its
 * highest page (when lo/hi are given and the segment has RAM). A segment
 * is an address interval intersected with RAM, so each RAM range is split
 * at the (at most three) boundaries and the pieces are classified.
 */
static uint64_t seg_walk(const struct pmem_map *m, unsigned s, paddr_t *lo, paddr_t *hi)
{
	paddr_t cand[3] = { m->direct_base, m->direct_base + m->direct_size, PMEM_4G };
	uint64_t pages = 0;

	for (unsigned i = 0; i < m->nram; i++) {
		paddr_t e = range_end(&m->ram[i]);

		for (paddr_t pa = m->ram[i].base; pa < e;) {
			paddr_t stop = e;

			for (int k = 0; k < 3; k++)
				if (cand[k] > pa && cand[k] < stop)
					stop = cand[k];
			if (seg_of(m, pa) == s) {
				pages += (stop - pa) >> PMEM_PAGE_SHIFT;
				if (lo && *lo > pa)
					*lo = pa;
				if (hi && *hi < stop)
					*hi = stop;
			}
			pa = stop;
		}
	}
	return pages;
}

/* ------------------------------------------------------------ init */

static int take_banks(struct pmem_map *m, const struct pmem_config *cfg, const char **why)
{
	struct pmem_range tmp[PMEM_MAX_BANKS];
	unsigned n = 0;

	if (cfg->nbanks == 0 || !cfg->banks) {
		*why = "no RAM banks";
		return E_INVAL;
	}
	if (cfg->nbanks > PMEM_MAX_BANKS) {
		*why = "more RAM banks than PMEM_MAX_BANKS";
		return E_INVAL;
	}
	for (unsigned i = 0; i < cfg->nbanks; i++) {
		paddr_t base = cfg->banks[i].base, end;

		if (cfg->banks[i].size == 0) {
			*why = "a RAM bank has zero size";
			return E_INVAL;
		}
		if (__builtin_add_overflow(base, cfg->banks[i].size, &end)) {
			*why = "a RAM bank wraps around the address space";
			return E_OVERFLOW;
		}
		if (end > PMEM_PHYS_LIMIT) {
			*why = "a RAM bank ends beyond 40 bits";
			return E_RANGE;
		}
		m->ram_bytes += cfg->banks[i].size;
		tmp[i] = cfg->banks[i];
	}
	m->nbanks = cfg->nbanks;
	sort_ranges(tmp, cfg->nbanks);
	for (unsigned i = 0; i < cfg->nbanks; i++) {
		paddr_t b = ALIGN_UP(tmp[i].base, (paddr_t)PMEM_PAGE_SIZE);
		paddr_t e = ALIGN_DOWN(tmp[i].base + tmp[i].size, (paddr_t)PMEM_PAGE_SIZE);

		if (i > 0 && tmp[i].base < tmp[i - 1].base + tmp[i - 1].size) {
			*why = "two RAM banks overlap";
			return E_EXIST;
		}
		if (b >= e)
			continue;             /* no whole page in this bank */
		if (n > 0 && range_end(&m->ram[n - 1]) == b) {
			m->ram[n - 1].size += e - b; /* adjacent banks: one range */
			continue;
		}
		m->ram[n].base = b;
		m->ram[n].size = e - b;
		n++;
	}
	m->nram = n;
	return 0;
}

static int take_reserved(struct pmem_map *m, const struct pmem_config *cfg, const char **why)
{
	struct pmem_range tmp[PMEM_MAX_RESERVED];
	unsigned n = 0;

	if (cfg->nreserved > PMEM_MAX_RESERVED) {
		*why = "more reserved ranges than PMEM_MAX_RESERVED";
		return E_INVAL;
	}
	if (cfg->nreserved && !cfg->reserved) {
		*why = "reserved ranges missing";
		return E_INVAL;
	}
	for (unsigned i = 0; i < cfg->nreserved; i++) {
		paddr_t base = cfg->reserved[i].base, end;

		if (cfg->reserved[i].size == 0)
			continue;
		if (__builtin_add_overflow(base, cfg->reserved[i].size, &end)) {
			*why = "a reserved range wraps around the address space";
			return E_OVERFLOW;
		}
		if (base >= PMEM_PHYS_LIMIT)
			continue;             /* nothing can live there */
		end = MIN(end, PMEM_PHYS_LIMIT);
		/* round outwards: a partly reserved page is reserved */
		tmp[n].base = ALIGN_DOWN(base, (paddr_t)PMEM_PAGE_SIZE);
		tmp[n].size = ALIGN_UP(end, (paddr_t)PMEM_PAGE_SIZE) - tmp[n].base;
		n++;
	}
	sort_ranges(tmp, n);
	m->nrsv = 0;
	for (unsigned i = 0; i < n; i++) {
		struct pmem_range *last = m->nrsv ? &m->rsv[m->nrsv - 1] : NULL;

		if (last && tmp[i].base <= range_end(last)) {
			paddr_t e = MAX(range_end(last), range_end(&tmp[i]));

			last->size = e - last->base;
			continue;
		}
		m->rsv[m->nrsv++] = tmp[i];
	}
	return 0;
}

static int build_free(struct pmem_map *m, const char **why)
{
	for (unsigned i = 0; i < m->nram; i++) {
		paddr_t cur = m->ram[i].base, end = range_end(&m->ram[i]);
		unsigned j = first_ending_above(m->rsv, m->nrsv, cur);

		for (; j < m->nrsv && m->rsv[j].base < end; j++) {
			if (m->rsv[j].base > cur && add_free(m, cur, m->rsv[j].base))
				goto full;
			cur = MAX(cur, range_end(&m->rsv[j]));
		}
		if (cur < end && add_free(m, cur, end))
			goto full;
	}
	return 0;
full:
	*why = "more free ranges than PMEM_MAX_FREE";
	return E_NOMEM;
}

int pmem_init(const struct pmem_config *cfg, const char **why)
{
	struct pmem_map *m = &pm_new;
	const char *dummy;
	paddr_t dend;
	int err;

	if (!why)
		why = &dummy;
	*why = NULL;
	memset(m, 0, sizeof(*m));
	if (!cfg) {
		*why = "no configuration";
		return E_INVAL;
	}
	if (!IS_ALIGNED(cfg->direct_base, (paddr_t)PMEM_PAGE_SIZE) ||
	    !IS_ALIGNED(cfg->direct_size, (uint64_t)PMEM_PAGE_SIZE)) {
		*why = "direct-map window not page aligned";
		return E_ALIGN;
	}
	if (__builtin_add_overflow(cfg->direct_base, cfg->direct_size, &dend)) {
		*why = "direct-map window wraps";
		return E_OVERFLOW;
	}
	m->direct_base = cfg->direct_base;
	m->direct_size = cfg->direct_size;
	err = take_banks(m, cfg, why);
	if (!err)
		err = take_reserved(m, cfg, why);
	if (!err)
		err = build_free(m, why);
	if (err)
		return err;
	/* reserved-in-RAM pages per segment = RAM - free, at this point */
	for (unsigned s = 0; s < PMEM_NSEGS; s++) {
		uint64_t fr = 0;

		for (unsigned i = 0; i < m->nfree; i++)
			if (m->free_seg[i] == s)
				fr += m->free[i].size >> PMEM_PAGE_SHIFT;
		m->seg_ram[s] = seg_walk(m, s, NULL, NULL);
		m->seg_reserved[s] = m->seg_ram[s] - fr;
	}
	m->ready = true;
	pm = *m;
	return 0;
}

/* ------------------------------------------------------------ queries */

unsigned pmem_seg_of(paddr_t pa)
{
	return seg_of(&pm, pa);
}

const char *pmem_seg_name(unsigned seg)
{
	return seg < PMEM_NSEGS ? seg_names[seg] : "?";
}

void pmem_seg_info(unsigned seg, struct pmem_seg_info *out)
{
	memset(out, 0, sizeof(*out));
	if (seg >= PMEM_NSEGS)
		return;
	out->name = seg_names[seg];
	out->ram_pages = pm.seg_ram[seg];
	out->reserved_pages = pm.seg_reserved[seg];
	for (unsigned i = 0; i < pm.nfree; i++)
		if (pm.free_seg[i] == seg)
			out->free_pages += pm.free[i].size >> PMEM_PAGE_SHIFT;
	for (unsigned i = 0; i < pm.nstolen; i++)
		if (pm.stolen_seg[i] == seg)
			out->stolen_pages += pm.stolen[i].size >> PMEM_PAGE_SHIFT;
	out->lo = PADDR_MAX;
	seg_walk(&pm, seg, &out->lo, &out->hi);
	if (out->lo == PADDR_MAX)
		out->lo = 0;
}

unsigned pmem_bank_count(void)
{
	return pm.nbanks;
}

uint64_t pmem_ram_bytes(void)
{
	return pm.ram_bytes;
}

uint64_t pmem_ram_pages(void)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < pm.nram; i++)
		n += pm.ram[i].size >> PMEM_PAGE_SHIFT;
	return n;
}

bool pmem_ram_range(unsigned i, struct pmem_range *out)
{
	if (i >= pm.nram)
		return false;
	*out = pm.ram[i];
	return true;
}

void pmem_direct_window(paddr_t *base, uint64_t *size)
{
	*base = pm.direct_base;
	*size = pm.direct_size;
}

bool pmem_is_ram(paddr_t pa)
{
	return contains(pm.ram, pm.nram, pa);
}

bool pmem_is_reserved(paddr_t pa)
{
	return contains(pm.rsv, pm.nrsv, pa);
}

bool pmem_overlaps_ram(paddr_t base, uint64_t size)
{
	return size && overlaps(pm.ram, pm.nram, base, size);
}

bool pmem_overlaps_reserved(paddr_t base, uint64_t size)
{
	return size && overlaps(pm.rsv, pm.nrsv, base, size);
}

unsigned pmem_free_count(void)
{
	return pm.nfree;
}

bool pmem_free_range(unsigned i, struct pmem_range *out, unsigned *seg)
{
	if (i >= pm.nfree)
		return false;
	*out = pm.free[i];
	if (seg)
		*seg = pm.free_seg[i];
	return true;
}

/* ------------------------------------------------------------ stealing */

int pmem_steal(unsigned seg, uint64_t size, uint64_t align, unsigned use, paddr_t *out)
{
	if (!pm.ready || seg >= PMEM_NSEGS || size == 0 ||
	    !IS_ALIGNED(size, (uint64_t)PMEM_PAGE_SIZE) || align < PMEM_PAGE_SIZE ||
	    (align & (align - 1)) != 0)
		return E_INVAL;
	if (pm.sealed)
		return E_BUSY;
	if (pm.nstolen == PMEM_MAX_STOLEN)
		return E_NOMEM;
	for (unsigned k = pm.nfree; k-- > 0;) {
		struct pmem_range r = pm.free[k];
		paddr_t end = range_end(&r), start;
		bool lower, upper;

		if (pm.free_seg[k] != seg || r.size < size)
			continue;
		start = ALIGN_DOWN(end - size, (paddr_t)align);
		if (start < r.base)
			continue;
		lower = start > r.base;
		upper = start + size < end;
		if (lower && upper && pm.nfree == PMEM_MAX_FREE)
			return E_NOMEM;
		/* decided: now act */
		if (lower && upper) {
			memmove(&pm.free[k + 2], &pm.free[k + 1],
				(pm.nfree - k - 1) * sizeof(pm.free[0]));
			memmove(&pm.free_seg[k + 2], &pm.free_seg[k + 1], pm.nfree - k - 1);
			pm.nfree++;
			pm.free[k].size = start - r.base;
			pm.free[k + 1].base = start + size;
			pm.free[k + 1].size = end - (start + size);
			pm.free_seg[k + 1] = (uint8_t)seg;
		} else if (lower) {
			pm.free[k].size = start - r.base;
		} else if (upper) {
			pm.free[k].base = start + size;
			pm.free[k].size = end - (start + size);
		} else {
			memmove(&pm.free[k], &pm.free[k + 1],
				(pm.nfree - k - 1) * sizeof(pm.free[0]));
			memmove(&pm.free_seg[k], &pm.free_seg[k + 1], pm.nfree - k - 1);
			pm.nfree--;
		}
		pm.stolen[pm.nstolen].base = start;
		pm.stolen[pm.nstolen].size = size;
		pm.stolen_use[pm.nstolen] = (uint8_t)use;
		pm.stolen_seg[pm.nstolen] = (uint8_t)seg;
		pm.nstolen++;
		*out = start;
		return 0;
	}
	return E_NOMEM;
}

unsigned pmem_stolen_count(void)
{
	return pm.nstolen;
}

bool pmem_stolen_range(unsigned i, struct pmem_range *out, unsigned *use)
{
	if (i >= pm.nstolen)
		return false;
	*out = pm.stolen[i];
	if (use)
		*use = pm.stolen_use[i];
	return true;
}

void pmem_seal(void)
{
	pm.sealed = true;
}

/* ------------------------------------------------------------ check */

static bool sorted_disjoint(const struct pmem_range *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		paddr_t e;

		if (r[i].size == 0 || __builtin_add_overflow(r[i].base, r[i].size, &e) ||
		    !IS_ALIGNED(r[i].base | r[i].size, (uint64_t)PMEM_PAGE_SIZE))
			return false;
		if (i > 0 && r[i].base < range_end(&r[i - 1]))
			return false;
	}
	return true;
}

/* [base, base+size) wholly inside one range of r? */
static bool inside_one(const struct pmem_range *r, unsigned n, paddr_t base, uint64_t size)
{
	unsigned i = first_ending_above(r, n, base);

	return i < n && r[i].base <= base && base + size <= range_end(&r[i]);
}

int pmem_check(const char **why)
{
	const char *dummy;
	uint64_t fr[PMEM_NSEGS] = { 0 }, st[PMEM_NSEGS] = { 0 };

	if (!why)
		why = &dummy;
	*why = NULL;
	if (!pm.ready) {
		*why = "pmem not initialised";
		return E_FORMAT;
	}
	if (!sorted_disjoint(pm.ram, pm.nram) || !sorted_disjoint(pm.rsv, pm.nrsv) ||
	    !sorted_disjoint(pm.free, pm.nfree)) {
		*why = "a range list is unsorted, overlapping or misaligned";
		return E_FORMAT;
	}
	for (unsigned i = 0; i < pm.nfree; i++) {
		const struct pmem_range *r = &pm.free[i];

		if (!inside_one(pm.ram, pm.nram, r->base, r->size)) {
			*why = "a free range is not inside one RAM range";
			return E_FORMAT;
		}
		if (overlaps(pm.rsv, pm.nrsv, r->base, r->size)) {
			*why = "a free range overlaps a reserved range";
			return E_FORMAT;
		}
		if (seg_of(&pm, r->base) != pm.free_seg[i] ||
		    seg_of(&pm, range_end(r) - 1) != pm.free_seg[i]) {
			*why = "a free range straddles a segment boundary";
			return E_FORMAT;
		}
		fr[pm.free_seg[i]] += r->size >> PMEM_PAGE_SHIFT;
	}
	for (unsigned i = 0; i < pm.nstolen; i++) {
		const struct pmem_range *r = &pm.stolen[i];

		if (!inside_one(pm.ram, pm.nram, r->base, r->size) ||
		    overlaps(pm.rsv, pm.nrsv, r->base, r->size) ||
		    overlaps(pm.free, pm.nfree, r->base, r->size)) {
			*why = "a stolen range is outside RAM or meets a free/reserved range";
			return E_FORMAT;
		}
		for (unsigned j = 0; j < i; j++)
			if (r->base < range_end(&pm.stolen[j]) &&
			    pm.stolen[j].base < range_end(r)) {
				*why = "two stolen ranges overlap";
				return E_FORMAT;
			}
		st[pm.stolen_seg[i]] += r->size >> PMEM_PAGE_SHIFT;
	}
	for (unsigned s = 0; s < PMEM_NSEGS; s++) {
		struct pmem_seg_info si;

		pmem_seg_info(s, &si);
		if (si.free_pages != fr[s] || si.stolen_pages != st[s] ||
		    si.ram_pages != seg_walk(&pm, s, NULL, NULL) ||
		    si.ram_pages != si.reserved_pages + si.free_pages + si.stolen_pages) {
			*why = "segment page counts disagree with the range lists";
			return E_FORMAT;
		}
	}
	return 0;
}
