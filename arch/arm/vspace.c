/*
 * User address spaces on ARMv7-A LPAE: TTBR0 page tables, ASIDs, and
 * kernel access to user memory with the user's permissions.
 *
 * Layout. TTBCR.T0SZ = 0 and T1SZ = 2: TTBR0 translates 0..0xBFFF_FFFF for
 * the current space, TTBR1 the kernel above. A space is a level-1 table
 * (4 entries used; a whole page from the owner's allocator), a level-2
 * table per GiB in use that is not one block and a level-3 table per
 * 2 MiB region in use that is not one block, all DIRECT frames reached
 * through the direct map. "No user space" is not EPD0 but an empty
 * level-1 table with ASID 0 (empty_l1), so switching spaces is always
 * one TTBR0 write.
 *
 * Translations. The largest one alignment allows: a 1 GiB block in the
 * level-1 entry where va and pa are 1 GiB aligned and a whole GiB is left
 * (the long-descriptor format's level-1 block: output address bits
 * [39:30], the same attribute bits as a level-2 block), else 2 MiB blocks
 * at level 2 where va, pa and the remaining size allow, else 64 KiB runs
 * of 16 level-3 entries with the contiguous hint, else 4 KiB pages. Every
 * user translation is nG (tagged with the ASID), AF set, PXN (the kernel
 * never executes user memory), and XN unless the mapping is executable,
 * which is never writable. AP[1] gives PL0 access; AP[2] makes it
 * read-only. AttrIndx: MAIR (head.S) 1 normal WB, 2 normal NC, 3
 * device-nGnRE, 4 normal NC again for write-combine (ARMv7 has no
 * separate WC type; the alias lets uarch_vs_query report what was asked
 * for).
 *
 * Map and unmap walk each GiB once and, inside it, take a run of level-2
 * blocks as one loop over consecutive entries (one load to survey, one
 * store to write or to clear, per block), so 512 blocks cost about ten
 * thousand instructions and a 1 GiB block a few hundred. A range inside
 * one 2 MiB region whose level-3 table exists (the common small mapping)
 * takes a short path that walks once.
 *
 * Whole translations only. Unmap removes whole translations and never
 * splits one: a range whose start or end falls inside a block (1 GiB or
 * 2 MiB) or a 64 KiB contiguous run is refused with E_ALIGN before
 * anything changes. The capability layer always unmaps exactly what one
 * map made, so it is never refused; splitting would need a table
 * allocated (and charged) in the middle of an unmap, which cannot fail.
 * Map only writes entries that are empty (the survey makes sure), and a
 * level-1 or level-2 entry only changes between a table and a block
 * through 0: unmap clears the entry, invalidates the TLB (DSB, TLBI,
 * DSB) and only then may a later map write the other kind -- the
 * break-before-make sequence the architecture requires, by construction.
 *
 * Table lifetime. Every table descriptor (level 1 -> level 2, level 2 ->
 * level 3) carries in its bits [11:2], which the walker ignores in table
 * descriptors, the number of valid entries of the table it points to
 * (0..512). A table that becomes empty in an unmap is unlinked, the TLB
 * invalidated, and then it goes back through the caller's allocator --
 * except that a space keeps up to SPARES emptied tables (all zero, still
 * charged to it, their addresses in the unused words of the level-1 page)
 * and takes those first when it needs tables again, so that mapping and
 * unmapping in an otherwise empty region does not allocate, zero and free
 * two tables every time. A space thus holds tables for what is mapped
 * plus at most SPARES. Invariant: no table linked in a tree is empty.
 * Tables taken or freed are chained through their first word (a
 * page-aligned address is an invalid descriptor).
 *
 * Coherency. TTBCR gives both walks inner-shareable, inner and outer
 * write-back write-allocate attributes (IRGN/ORGN = 01, SH = 11), and all
 * tables are normal WB RAM, so the walker is coherent with the data cache:
 * no cache cleaning for descriptors, only a DSB before a new descriptor
 * may be used, and DSB, TLB invalidation, DSB after one is removed.
 * Descriptors are written with one STRD (64-bit single-copy atomic with
 * LPAE), so a walk never sees half of one. Newly mapped executable RAM is
 * cleaned to the point of unification and the I-cache invalidated.
 *
 * ASIDs. 8 bits; 0 is the empty space's, 1..255 are handed out in order
 * within a generation, each space recording its ASID and generation. When
 * they run out: TTBR0 goes to the empty space first (so no speculative
 * walk tags entries with an old ASID after the flush), the generation
 * advances, the whole TLB is invalidated, and numbering restarts; every
 * space gets a new ASID when it is next activated (lazily, in
 * uarch_vs_activate). An ASID is never reused within a generation, so
 * destroy only invalidates its entries.
 *
 * TLB maintenance of an unmap, before it returns: one TLBIMVAIS (ASID and
 * address) per translation removed, whatever its size -- an invalidation
 * by address removes every TLB entry that translates that address, so
 * one at any address of a block removes the whole block, also where an
 * implementation holds it as smaller entries -- while there are at most
 * FLUSH_MAX (32) of them; beyond that one TLBIASIDIS, which costs the same
 * one operation and is cheaper than 33 or more (the price: the space's
 * other TLB entries are refilled on use). So a 1 GiB block costs one
 * TLBIMVAIS and 512 blocks one TLBIASIDIS. A table unlinked by the unmap
 * always spans an address invalidated (or the whole ASID), and on the
 * Cortex-A15 the intermediate walk caches are tagged by ASID and
 * invalidated by the same operations, so no walk can reach a freed table.
 * The inner-shareable forms make all of this complete on every core once
 * SMP comes.
 */
#include <arch/cpu.h>
#include <arch/internal.h>
#include <arch/memlayout.h>
#include <arch/pte.h>
#include <cairn/abi.h>
#include <hal/arch.h>
#include <hal/mm_arch.h>
#include <hal/uarch.h>
#include <lib/error.h>
#include <lib/string.h>

#define CONTIG_SPAN 0x10000u        /* 16 level-3 entries with the contiguous hint */
#define L2_SPAN (1u << 21)          /* a level-2 block; a level-3 table's reach */
#define L1_SPAN (1u << 30)          /* a level-1 block; a level-2 table's reach */
#define ENTRIES 512u
#define ASID_MAX 255u
#define FLUSH_MAX 32u           /* more leaf entries than this: invalidate the ASID */
#define TCOUNT_MASK (0x3ffull << 2)
#define SPARE_SLOT 8            /* root[8..]: spare tables (0: none); never walked */
#define SPARES 2

/* The current ASID generation (read by the svc vector's IPC fast path too). */
uint32_t uarch_asid_gen = 1;
static uint32_t asid_next = 1;
static const struct uarch_vs *asid_owner[ASID_MAX + 1];
static uint64_t empty_l1[4] __attribute__((aligned(32)));

/* ----------------------------------------------------------- descriptors */

static inline void pte_write(uint64_t *p, uint64_t v)
{
	__asm__ volatile("strd %1, %H1, [%0]" ::"r"(p), "r"(v) : "memory");
}

/* A table's kernel address: tables are DIRECT frames (get_table checks),
 * so this is the direct map's offset, without arch_phys_to_virt's checks. */
static paddr_t direct_base;     /* physical address at DIRECT_MAP_BASE */

static inline uint64_t *tva(paddr_t pa)
{
	return (uint64_t *)(uintptr_t)(DIRECT_MAP_BASE + (uint32_t)(pa - direct_base));
}

static uint64_t *table_va(uint64_t desc)
{
	return tva(desc & PTE_ADDR_MASK);
}

static bool is_table(uint64_t d) { return (d & PTE_TYPE_MASK) == PTE_TABLE; }
static bool is_block(uint64_t d) { return (d & PTE_TYPE_MASK) == PTE_BLOCK; }

/* Valid entries of the table a table descriptor points to. */
static unsigned tcount(uint64_t d) { return (unsigned)((d & TCOUNT_MASK) >> 2); }

static void tcount_add(uint64_t *d, int n)
{
	uint64_t c = (uint64_t)(tcount(*d) + n);

	pte_write(d, (*d & ~TCOUNT_MASK) | (c << 2));
}

static uint64_t leaf_bits(unsigned attr, unsigned rights)
{
	uint64_t d = PTE_AF | PTE_NG | PTE_AP_USER | PTE_PXN;

	switch (attr) {
	case UATTR_DEVICE:
		d |= PTE_ATTR(MT_DEVICE_nGnRE);
		break;
	case UATTR_NORMAL_NC:
		d |= PTE_ATTR(MT_NORMAL_NC) | PTE_SH_INNER;
		break;
	case UATTR_WRITE_COMBINE:
		d |= PTE_ATTR(MT_NORMAL_WC) | PTE_SH_INNER;
		break;
	default:
		d |= PTE_ATTR(MT_NORMAL) | PTE_SH_INNER;
		break;
	}
	if (!(rights & R_WRITE))
		d |= PTE_AP_RO;
	if (!(rights & R_EXEC) || attr == UATTR_DEVICE)
		d |= PTE_XN;
	return d;
}

static int get_table(const struct uarch_pt_alloc *pta, paddr_t *pa)
{
	int err = pta->alloc(pta->ctx, pa);

	if (!err && !arch_phys_to_virt(*pa, 4096)) {
		pta->free(pta->ctx, *pa);
		err = E_NOMEM;          /* the allocator must give DIRECT memory */
	}
	return err;
}

int uarch_vs_init(struct uarch_vs *vs, const struct uarch_pt_alloc *pta)
{
	paddr_t pa;
	int err;

	memset(vs, 0, sizeof(*vs));
	err = get_table(pta, &pa);
	if (err)
		return err;
	vs->root_pa = pa;
	vs->root = tva(pa);
	/* The allocator zeroes; the entries and spare slots for sure. */
	memset(vs->root, 0, (SPARE_SLOT + SPARES) * sizeof(uint64_t));
	vs->tables = 1;
	return 0;
}

static unsigned spare_count(const struct uarch_vs *vs)
{
	unsigned n = 0;

	for (unsigned i = 0; i < SPARES; i++)
		n += vs->root[SPARE_SLOT + i] != 0;
	return n;
}

static paddr_t spare_take(struct uarch_vs *vs)
{
	for (unsigned i = 0; i < SPARES; i++) {
		paddr_t pa = vs->root[SPARE_SLOT + i];

		if (pa) {
			vs->root[SPARE_SLOT + i] = 0;
			return pa;
		}
	}
	return 0;
}

/* A table no longer linked (all zero but word 0) and no longer reachable
 * by a walk: kept as a spare, or given back. */
static void release_table(struct uarch_vs *vs, const struct uarch_pt_alloc *pta, paddr_t pa)
{
	for (unsigned i = 0; i < SPARES; i++) {
		if (!vs->root[SPARE_SLOT + i]) {
			tva(pa)[0] = 0;
			vs->root[SPARE_SLOT + i] = pa;
			return;
		}
	}
	pta->free(pta->ctx, pa);
	vs->tables--;
}

/* Level-2 entry of va, or NULL if its level-2 table does not exist. */
static uint64_t *l2_entry(const struct uarch_vs *vs, uintptr_t va)
{
	uint64_t d1 = vs->root[va >> 30];

	if (!is_table(d1))
		return NULL;
	return &table_va(d1)[(va >> 21) & (ENTRIES - 1)];
}

/* The level-3 table holding va's entry, or NULL (no table, or a block). */
static inline uint64_t *l3_table(const struct uarch_vs *vs, uintptr_t va)
{
	uint64_t d = vs->root[va >> 30];

	if (!is_table(d))
		return NULL;
	d = table_va(d)[(va >> 21) & (ENTRIES - 1)];
	return is_table(d) ? table_va(d) : NULL;
}

/* Can [va, va + left) start with one translation of `span` bytes at va
 * (va and pa aligned to it, and at least that much left)? */
static inline bool fits(uintptr_t va, paddr_t pa, uint32_t left, uint32_t span)
{
	return left >= span && (((uint32_t)va | (uint32_t)pa) & (span - 1)) == 0;
}

/* The offset in [va, va + size) where the GiB holding va + off ends, or
 * size. Offsets and sizes inside the user half fit 32 bits. */
static inline uint32_t gib_end(uintptr_t va, uint32_t off, uint32_t size)
{
	uint32_t left = L1_SPAN - ((va + off) & (L1_SPAN - 1));

	return size - off < left ? size : off + left;
}

/*
 * Pass 1 of a map: is every page free, and how many tables are missing?
 * A GiB that will be one level-1 block needs no table; otherwise its
 * level-2 table is counted if missing, and a level-3 table for each
 * 2 MiB region that will not be a block and has none. A present entry
 * is never an empty table (see the invariant above), so a level-1 block
 * needs an empty level-1 entry, and a run of level-2 blocks is checked
 * with one load per block.
 */
static int map_survey(const struct uarch_vs *vs, uintptr_t va, paddr_t pa, uint32_t size,
		      unsigned *need)
{
	uint32_t off = 0;

	*need = 0;
	while (off < size) {
		uintptr_t v = va + off;
		uint64_t d1 = vs->root[v >> 30];
		uint32_t gend = gib_end(va, off, size);
		const uint64_t *t2;

		if (fits(v, pa + off, size - off, L1_SPAN)) {
			if (d1)
				return E_EXIST;
			off += L1_SPAN;
			continue;
		}
		if (is_block(d1))
			return E_EXIST;
		t2 = is_table(d1) ? table_va(d1) : NULL;
		if (!t2)
			(*need)++;                      /* a level-2 table */
		while (off < gend) {
			unsigned i, n;
			uint32_t step;
			uint64_t e2;

			v = va + off;
			i = (v >> 21) & (ENTRIES - 1);
			if (fits(v, pa + off, gend - off, L2_SPAN)) {
				n = (unsigned)((gend - off) >> 21);
				if (t2)
					for (unsigned k = 0; k < n; k++)
						if (t2[i + k])
							return E_EXIST;
				off += n << 21;
				continue;
			}
			step = MIN(gend - off, L2_SPAN - (v & (L2_SPAN - 1)));
			e2 = t2 ? t2[i] : 0;
			if (is_block(e2))
				return E_EXIST;
			if (!e2) {
				(*need)++;              /* a level-3 table */
			} else {
				const uint64_t *t3 = table_va(e2);

				for (uint32_t o = 0; o < step; o += 4096)
					if (t3[((v + o) >> 12) & (ENTRIES - 1)])
						return E_EXIST;
			}
			off += step;
		}
	}
	return 0;
}

/* Tables taken before anything is written, chained through word 0. */
struct table_chain {
	paddr_t head;
	unsigned n;
};

static void chain_push(struct table_chain *c, paddr_t pa, uint64_t *t)
{
	t[0] = c->head;         /* page aligned, or 0: an invalid descriptor */
	c->head = pa;
	c->n++;
}

static paddr_t chain_pop(struct table_chain *c)
{
	paddr_t pa = c->head;
	uint64_t *t = tva(pa);

	c->head = t[0];
	c->n--;
	t[0] = 0;               /* the rest is zero (allocator, or emptied) */
	return pa;
}

static uint64_t take_table(struct table_chain *c)
{
	return chain_pop(c) | PTE_TABLE;
}

/* Give back tables never linked (allocated for a map that failed). */
static void free_chain(const struct uarch_pt_alloc *pta, struct table_chain *c)
{
	while (c->n)
		pta->free(pta->ctx, chain_pop(c));
}

/*
 * Make instructions written through data mappings visible to instruction
 * fetch before a range is mapped executable: clean the data cache to the
 * point of unification by line, then invalidate the instruction caches
 * and the branch predictor (inner shareable). Pages outside the direct
 * map are reached through a short-lived kernel mapping.
 */
static void sync_icache(paddr_t pa, uint64_t size)
{
	uint32_t ctr, line;

	__asm__ volatile("mrc p15, 0, %0, c0, c0, 1" : "=r"(ctr));      /* CTR */
	line = 4u << ((ctr >> 16) & 0xf);                               /* DminLine */
	for (uint64_t off = 0; off < size; off += 4096) {
		paddr_t p = pa + off;
		uint8_t *k = arch_phys_to_virt(p, 4096);
		bool mapped = false;

		if (!k) {
			k = mm_arch_kmap(p);
			mapped = k != NULL;
		}
		if (!k)
			continue;
		for (uint32_t o = 0; o < 4096; o += line)       /* DCCMVAU */
			__asm__ volatile("mcr p15, 0, %0, c7, c11, 1" ::"r"(k + o) : "memory");
		if (mapped)
			mm_arch_kunmap(k);
	}
	dsb_ish();
	__asm__ volatile("mcr p15, 0, %0, c7, c1, 0" ::"r"(0) : "memory");     /* ICIALLUIS */
	__asm__ volatile("mcr p15, 0, %0, c7, c1, 6" ::"r"(0) : "memory");     /* BPIALLIS */
	dsb_ish();
	isb();
}

/* Write the level-3 entries of [off, end) (inside one 2 MiB region):
 * 64 KiB runs with the contiguous hint where va and pa allow, else
 * pages. Returns the entries written. */
static int map_l3(uint64_t *t3, uintptr_t va, paddr_t pa, uint32_t off, uint32_t end,
		  uint64_t bits)
{
	int n = 0;

	while (off < end) {
		uintptr_t vv = va + off;
		paddr_t pp = pa + off;
		unsigned i = (vv >> 12) & (ENTRIES - 1);

		if (((vv | (uint32_t)pp) & (CONTIG_SPAN - 1)) == 0 && end - off >= CONTIG_SPAN) {
			for (unsigned k = 0; k < 16; k++)
				pte_write(&t3[i + k], ((pp + k * 4096u) & PTE_ADDR_MASK) | bits |
							      PTE_CONTIG | PTE_PAGE);
			n += 16;
			off += CONTIG_SPAN;
		} else {
			pte_write(&t3[i], (pp & PTE_ADDR_MASK) | bits | PTE_PAGE);
			n++;
			off += 4096;
		}
	}
	return n;
}

/* The end of every map: executable RAM made coherent with instruction
 * fetch, the count, the descriptors visible to the walker. */
static inline __attribute__((always_inline)) void
map_done(struct uarch_vs *vs, paddr_t pa, uint64_t size, unsigned attr, unsigned rights)
{
	if ((rights & R_EXEC) && attr != UATTR_DEVICE)
		sync_icache(pa, size);
	vs->pages_mapped += (uint32_t)(size >> 12);
	dsb_ish();
	isb();
}

int uarch_vs_map(struct uarch_vs *vs, const struct uarch_pt_alloc *pta, uintptr_t va,
		 paddr_t pa, uint64_t size, unsigned attr, unsigned rights)
{
	struct table_chain st = { 0, 0 };
	uint64_t bits, *t3;
	uint32_t off = 0, sz;
	unsigned need, spares;
	int err;

	if ((rights & ~(unsigned)(R_READ | R_WRITE | R_EXEC)) || !(rights & R_READ) ||
	    ((rights & R_WRITE) && (rights & R_EXEC)) || attr > UATTR_NORMAL_WB)
		return E_INVAL;
	if ((va | pa | size) & 0xfff)
		return E_ALIGN;
	if (size == 0 || size > UARCH_USER_TOP || va > UARCH_USER_TOP - size ||
	    pa + size - 1 > 0xffffffffffull || pa + size < pa)
		return E_RANGE;
	sz = (uint32_t)size;
	bits = leaf_bits(attr, rights);
	t3 = l3_table(vs, va);
	if (t3 && ((va ^ (va + sz - 1)) >> 21) == 0) {
		/* Small: inside one 2 MiB region whose level-3 table exists
		 * (no block can be used there): no tables to take. */
		uint64_t *e2 = &table_va(vs->root[va >> 30])[(va >> 21) & (ENTRIES - 1)];

		for (uint32_t o = 0; o < sz; o += 4096)
			if (t3[((va + o) >> 12) & (ENTRIES - 1)])
				return E_EXIST;
		tcount_add(e2, map_l3(t3, va, pa, 0, sz, bits));
		map_done(vs, pa, size, attr, rights);
		return 0;
	}
	err = map_survey(vs, va, pa, sz, &need);
	if (err)
		return err;
	/* Every table before the first write: new ones, then the spares. */
	spares = MIN(need, spare_count(vs));
	while (st.n < need - spares) {
		paddr_t t;

		err = get_table(pta, &t);
		if (err) {
			free_chain(pta, &st);
			return err;
		}
		chain_push(&st, t, tva(t));
	}
	vs->tables += st.n;
	while (st.n < need) {
		paddr_t t = spare_take(vs);

		chain_push(&st, t, tva(t));
	}
	if (need)
		dsb_ish();              /* zeroed tables visible before they are linked */
	/*
	 * Only empty entries are written (the survey saw to it), so no valid
	 * translation is ever replaced and no break-before-make sequence is
	 * needed here: a table that unmap emptied was unlinked and its TLB
	 * entries invalidated before the entry became 0.
	 */
	while (off < sz) {
		uintptr_t v = va + off;
		uint64_t *l1e = &vs->root[v >> 30], *t2;
		uint32_t gend = gib_end(va, off, sz);
		int n2 = 0;

		if (fits(v, pa + off, sz - off, L1_SPAN)) {
			pte_write(l1e, ((pa + off) & PTE_ADDR_MASK) | bits | PTE_BLOCK);
			off += L1_SPAN;
			continue;
		}
		if (!is_table(*l1e))
			pte_write(l1e, take_table(&st));
		t2 = table_va(*l1e);
		while (off < gend) {
			unsigned i;
			uint64_t *e2;
			uint32_t end;

			v = va + off;
			i = (v >> 21) & (ENTRIES - 1);
			e2 = &t2[i];
			if (fits(v, pa + off, gend - off, L2_SPAN)) {
				/* A run of blocks to the end of the GiB (or of
				 * the range): one store and a 64-bit add each. */
				unsigned n = (unsigned)((gend - off) >> 21);
				uint64_t d = ((pa + off) & PTE_ADDR_MASK) | bits | PTE_BLOCK;

				for (unsigned k = 0; k < n; k++, d += L2_SPAN)
					pte_write(&e2[k], d);
				n2 += (int)n;
				off += n << 21;
				continue;
			}
			if (!is_table(*e2)) {
				pte_write(e2, take_table(&st));
				n2++;
			}
			end = MIN(gend, off + L2_SPAN - (v & (L2_SPAN - 1)));
			tcount_add(e2, map_l3(table_va(*e2), va, pa, off, end, bits));
			off = end;
		}
		tcount_add(l1e, n2);
	}
	while (st.n)                    /* none: the survey counted exactly */
		release_table(vs, pta, chain_pop(&st));
	map_done(vs, pa, size, attr, rights);
	return 0;
}

static bool asid_live(const struct uarch_vs *vs)
{
	return vs->asid && vs->asid_gen == uarch_asid_gen && asid_owner[vs->asid] == vs;
}

static void tlb_inval_asid_va(uint32_t asid, uintptr_t va)
{
	/* TLBIMVAIS: this address, this ASID, inner shareable; also the
	 * intermediate walk entries used to translate it. */
	__asm__ volatile("mcr p15, 0, %0, c8, c3, 1" ::"r"((va & ~0xfffu) | asid) : "memory");
}

static void tlb_inval_asid(uint32_t asid)
{
	/* TLBIASIDIS */
	__asm__ volatile("mcr p15, 0, %0, c8, c3, 2" ::"r"(asid) : "memory");
}

/* Leaf translations removed by one unmap, to invalidate: their addresses
 * while there are at most FLUSH_MAX, else the whole ASID. One entry per
 * translation, whatever its size: a TLB maintenance operation by MVA
 * removes every TLB entry that translates that address, so one operation
 * at any address of a block removes the block (also an implementation
 * that holds it as smaller entries must remove them all), and with it
 * the walk-cache entries of the tables above it. */
struct flush_list {
	unsigned n;
	bool all;
	uintptr_t va[FLUSH_MAX];
};

static void flush_note(struct flush_list *f, uintptr_t va)
{
	if (f->n < FLUSH_MAX)
		f->va[f->n++] = va;
	else
		f->all = true;
}

/* n translations of `span` bytes from va. */
static void flush_note_run(struct flush_list *f, uintptr_t va, unsigned n, uint32_t span)
{
	if (f->n + n > FLUSH_MAX) {
		f->all = true;
		return;
	}
	for (unsigned k = 0; k < n; k++)
		f->va[f->n++] = va + k * span;
}

/*
 * Does the boundary `a` (the start or the end of a range to unmap) fall
 * strictly inside one translation -- a 1 GiB or 2 MiB block or a 64 KiB
 * contiguous run -- so that the range holds only part of it? The
 * translation that holds the byte at `a` is looked at: if it also holds
 * the byte before, the boundary cuts it.
 */
static bool cuts(const struct uarch_vs *vs, uintptr_t a)
{
	uint64_t d1, d2, d3;

	if (a == 0 || a >= UARCH_USER_TOP)
		return false;
	d1 = vs->root[a >> 30];
	if (is_block(d1))
		return (a & (L1_SPAN - 1)) != 0;
	if (!is_table(d1))
		return false;
	d2 = table_va(d1)[(a >> 21) & (ENTRIES - 1)];
	if (is_block(d2))
		return (a & (L2_SPAN - 1)) != 0;
	if (!is_table(d2))
		return false;
	d3 = table_va(d2)[(a >> 12) & (ENTRIES - 1)];
	return (d3 & PTE_CONTIG) && (a & (CONTIG_SPAN - 1)) != 0;
}

/* Clear the level-3 entries of [v, v + step) (one 2 MiB region). */
static int unmap_l3(uint64_t *t3, uintptr_t v, uint32_t step, struct flush_list *fl)
{
	int n = 0;

	for (uint32_t o = 0; o < step; o += 4096) {
		unsigned i = ((v + o) >> 12) & (ENTRIES - 1);

		if (t3[i]) {
			pte_write(&t3[i], 0);
			n++;
			flush_note(fl, v + o);
		}
	}
	return n;
}

/* n entries of the table that *d points to were cleared: count them, and
 * unlink the table if it is now empty. Returns whether it was unlinked. */
static bool table_drop(uint64_t *d, unsigned n, struct table_chain *dead)
{
	paddr_t t;

	if (!n)
		return false;
	if (tcount(*d) != n) {
		tcount_add(d, -(int)n);
		return false;
	}
	t = *d & PTE_ADDR_MASK;
	pte_write(d, 0);
	chain_push(dead, t, tva(t));
	return true;
}

/*
 * The general walk of an unmap (the ends checked): whole level-1 blocks,
 * runs of level-2 blocks cleared with one load and one store each, and
 * level-3 entries; tables that become empty are unlinked onto `dead`.
 * Returns the 4 KiB pages cleared.
 */
static uint32_t unmap_walk(struct uarch_vs *vs, uintptr_t va, uint32_t sz,
			   struct flush_list *fl, struct table_chain *dead)
{
	uint32_t off = 0, cleared = 0;

	while (off < sz) {
		uintptr_t v = va + off;
		uint64_t *l1e = &vs->root[v >> 30], *t2;
		uint32_t gend = gib_end(va, off, sz);
		unsigned n2 = 0;

		if (!is_table(*l1e)) {
			if (is_block(*l1e)) {   /* whole: v and gend are GiB boundaries */
				pte_write(l1e, 0);
				cleared += L1_SPAN >> 12;
				flush_note(fl, v);
			}
			off = gend;
			continue;
		}
		t2 = table_va(*l1e);
		while (off < gend) {
			uint64_t *e2;
			uint32_t step;

			v = va + off;
			e2 = &t2[(v >> 21) & (ENTRIES - 1)];
			if (is_block(*e2)) {
				/* Whole (the ends cut no block), so v is 2 MiB
				 * aligned; clear the run of blocks from here. */
				unsigned n = (gend - off) >> 21, k = 0;

				do
					pte_write(&e2[k], 0);
				while (++k < n && is_block(e2[k]));
				n2 += k;
				cleared += k << 9;
				flush_note_run(fl, v, k, L2_SPAN);
				off += k << 21;
				continue;
			}
			step = MIN(gend - off, L2_SPAN - (v & (L2_SPAN - 1)));
			if (is_table(*e2)) {
				int n = unmap_l3(table_va(*e2), v, step, fl);

				cleared += (uint32_t)n;
				n2 += table_drop(e2, (unsigned)n, dead);
			}
			off += step;
		}
		table_drop(l1e, n2, dead);
	}
	return cleared;
}

int uarch_vs_unmap(struct uarch_vs *vs, const struct uarch_pt_alloc *pta, uintptr_t va,
		   uint64_t size)
{
	struct table_chain dead = { 0, 0 };
	struct flush_list fl;
	uintptr_t end = va + (uintptr_t)size;
	uint64_t *l1e, *e2;
	uint32_t cleared;

	if ((va | size) & 0xfff)
		return E_ALIGN;
	if (size == 0 || va >= UARCH_USER_TOP || size > UARCH_USER_TOP - va)
		return E_RANGE;
	fl.n = 0;
	fl.all = false;
	l1e = &vs->root[va >> 30];
	e2 = is_table(*l1e) ? &table_va(*l1e)[(va >> 21) & (ENTRIES - 1)] : NULL;
	if (e2 && is_table(*e2) && ((va ^ (end - 1)) >> 21) == 0) {
		/* Small: inside one 2 MiB region with a level-3 table, where
		 * only a contiguous run can be cut by an end. */
		uint64_t *t3 = table_va(*e2);

		if (((va & (CONTIG_SPAN - 1)) && (t3[(va >> 12) & (ENTRIES - 1)] & PTE_CONTIG)) ||
		    ((end & (CONTIG_SPAN - 1)) && (t3[(end >> 12) & (ENTRIES - 1)] & PTE_CONTIG)))
			return E_ALIGN;
		cleared = (uint32_t)unmap_l3(t3, va, (uint32_t)size, &fl);
		if (table_drop(e2, cleared, &dead))
			table_drop(l1e, 1, &dead);
	} else {
		/* Whole translations only: nothing changes if an end cuts one. */
		if (cuts(vs, va) || cuts(vs, end))
			return E_ALIGN;
		cleared = unmap_walk(vs, va, (uint32_t)size, &fl, &dead);
	}
	vs->pages_mapped -= MIN(vs->pages_mapped, cleared);
	dsb_ish();                      /* the cleared entries reach the walker */
	/* A space without a live ASID has no TLB entries: a rollover flushed
	 * them (with TTBR0 away from it) and it was not active since. Every
	 * unlinked table spans an address noted above, so its walk-cache
	 * entries go too. */
	if (asid_live(vs) && (fl.n || fl.all)) {
		if (fl.all) {
			tlb_inval_asid(vs->asid);
		} else {
			for (unsigned i = 0; i < fl.n; i++)
				tlb_inval_asid_va(vs->asid, fl.va[i]);
		}
		__asm__ volatile("mcr p15, 0, %0, c7, c1, 6" ::"r"(0) : "memory"); /* BPIALLIS */
		dsb_ish();
		isb();
	}
	/* Only now can no walk reach the unlinked tables. */
	while (dead.n)
		release_table(vs, pta, chain_pop(&dead));
	return 0;
}

int uarch_vs_query(const struct uarch_vs *vs, uintptr_t va, paddr_t *pa, unsigned *attr,
		   unsigned *rights)
{
	uint64_t d, span;
	unsigned idx;

	if (va >= UARCH_USER_TOP)
		return E_NOENT;
	d = vs->root[va >> 30];
	span = L1_SPAN;
	if (is_table(d)) {
		d = table_va(d)[(va >> 21) & (ENTRIES - 1)];
		span = L2_SPAN;
		if (is_table(d)) {
			d = table_va(d)[(va >> 12) & (ENTRIES - 1)];
			span = 4096;
		}
	}
	if (!d)
		return E_NOENT;
	*pa = (d & PTE_ADDR_MASK & ~(span - 1)) | (va & (span - 1));
	idx = (unsigned)(d >> 2) & 7;
	*attr = idx == MT_NORMAL_NC  ? UATTR_NORMAL_NC
		: idx == MT_NORMAL_WC ? UATTR_WRITE_COMBINE
		: idx == MT_NORMAL    ? UATTR_NORMAL_WB
				      : UATTR_DEVICE;
	*rights = R_READ | ((d & PTE_AP_RO) ? 0 : R_WRITE) | ((d & PTE_XN) ? 0 : R_EXEC);
	return 0;
}

/* ----------------------------------------------------------- check */

/* Bits every user translation has, and the output address a block or
 * page of `span` bytes may use. */
static const char *leaf_rule(uint64_t d, uint64_t span)
{
	const uint64_t must = PTE_AF | PTE_NG | PTE_AP_USER | PTE_PXN;
	unsigned idx = (unsigned)(d >> 2) & 7;

	if ((d & must) != must)
		return "a user translation without AF, nG, user access or PXN";
	if (!(d & PTE_AP_RO) && !(d & PTE_XN))
		return "a user translation both writable and executable";
	if (idx != MT_NORMAL && idx != MT_NORMAL_NC && idx != MT_NORMAL_WC &&
	    idx != MT_DEVICE_nGnRE)
		return "a user translation of an unknown memory type";
	if (idx == MT_DEVICE_nGnRE && !(d & PTE_XN))
		return "an executable device translation";
	if ((d & PTE_ADDR_MASK) & (span - 1))
		return "a block's output address is not aligned to it";
	return NULL;
}

static bool table_pa_ok(uint64_t d)
{
	paddr_t pa = d & PTE_ADDR_MASK;

	return arch_phys_to_virt(pa, 4096) != NULL;
}

/* A level-3 table: pages only, contiguous runs whole and consecutive. */
static const char *check_l3(const uint64_t *t3, unsigned *valid, uint32_t *pages,
			    uint32_t *items)
{
	*valid = 0;
	for (unsigned i = 0; i < ENTRIES; i++) {
		uint64_t d = t3[i];
		const char *why;

		(*items)++;
		if (!d)
			continue;
		if ((d & PTE_TYPE_MASK) != PTE_PAGE)
			return "a level-3 entry that is not a page";
		why = leaf_rule(d, 4096);
		if (why)
			return why;
		if ((d & PTE_CONTIG) && (i % 16) == 0) {
			for (unsigned k = 1; k < 16; k++) {
				uint64_t e = t3[i + k];

				if (!(e & PTE_CONTIG) || (e & ~PTE_ADDR_MASK) != (d & ~PTE_ADDR_MASK) ||
				    (e & PTE_ADDR_MASK) != (d & PTE_ADDR_MASK) + k * 4096u)
					return "a contiguous run that is not 16 consecutive pages alike";
			}
			if ((d & PTE_ADDR_MASK) & (CONTIG_SPAN - 1))
				return "a contiguous run's output is not 64 KiB aligned";
		} else if ((d & PTE_CONTIG) && !(t3[i & ~15u] & PTE_CONTIG)) {
			return "a contiguous hint outside a whole run";
		}
		(*valid)++;
		(*pages)++;
	}
	return NULL;
}

static const char *check_l2(const uint64_t *t2, unsigned *valid, uint32_t *pages,
			    uint32_t *tables, uint32_t *items)
{
	*valid = 0;
	for (unsigned i = 0; i < ENTRIES; i++) {
		uint64_t d = t2[i];
		const char *why;
		unsigned n;

		(*items)++;
		if (!d)
			continue;
		(*valid)++;
		if (is_block(d)) {
			why = leaf_rule(d, L2_SPAN);
			if (why)
				return why;
			*pages += L2_SPAN >> 12;
			continue;
		}
		if (!is_table(d))
			return "a level-2 entry of no type";
		if (!table_pa_ok(d))
			return "a level-3 table outside the direct map";
		(*tables)++;
		why = check_l3(table_va(d), &n, pages, items);
		if (why)
			return why;
		if (!n)
			return "an empty level-3 table still linked";
		if (n != tcount(d))
			return "a level-3 table's count differs from its entries";
	}
	return NULL;
}

int uarch_vs_check(const struct uarch_vs *vs, uint32_t *items, const char **why)
{
	uint32_t pages = 0, tables = 1;
	const char *w = NULL;

	if (!vs->root || vs->root != tva(vs->root_pa))
		w = "an address space's root is not its table";
	for (unsigned i = 0; !w && i < SPARE_SLOT + SPARES; i++) {
		uint64_t d = vs->root[i];
		unsigned n;

		(*items)++;
		if (!d)
			continue;
		if (i >= SPARE_SLOT) {
			if ((d & 0xfff) || !arch_phys_to_virt(d, 4096))
				w = "a spare table that is not a direct-map page";
			tables++;
			continue;
		}
		if (i >= (UARCH_USER_TOP >> 30)) {
			w = "a level-1 entry beyond the user half";
		} else if (is_block(d)) {
			w = leaf_rule(d, L1_SPAN);
			pages += L1_SPAN >> 12;
		} else if (!is_table(d)) {
			w = "a level-1 entry of no type";
		} else if (!table_pa_ok(d)) {
			w = "a level-2 table outside the direct map";
		} else {
			tables++;
			w = check_l2(table_va(d), &n, &pages, &tables, items);
			if (!w && !n)
				w = "an empty level-2 table still linked";
			if (!w && n != tcount(d))
				w = "a level-2 table's count differs from its entries";
		}
	}
	if (!w && tables != vs->tables)
		w = "an address space's table count differs from its tree";
	if (!w && pages != vs->pages_mapped)
		w = "an address space's page count differs from its tree";
	if (w) {
		*why = w;
		return E_FORMAT;
	}
	return 0;
}

uint64_t uarch_vs_descriptor(const struct uarch_vs *vs, uintptr_t va, unsigned *level)
{
	uint64_t *e2;

	*level = 1;
	if (!is_table(vs->root[va >> 30]))
		return vs->root[va >> 30];
	e2 = l2_entry(vs, va);
	*level = 2;
	if (!is_table(*e2))
		return *e2;
	*level = 3;
	return table_va(*e2)[(va >> 12) & (ENTRIES - 1)];
}

unsigned uarch_vs_table_entries(const struct uarch_vs *vs, uintptr_t va, unsigned level)
{
	uint64_t *e2;

	if (!is_table(vs->root[va >> 30]))
		return 0;
	if (level == 2)
		return tcount(vs->root[va >> 30]);
	e2 = l2_entry(vs, va);
	return is_table(*e2) ? tcount(*e2) : 0;
}

static bool vs_is_current(const struct uarch_vs *vs)
{
	return (read_ttbr0() & 0xffffffffffull) == vs->root_pa;
}

static void switch_to_empty(void)
{
	write_ttbr0(arch_virt_to_phys_kimage(empty_l1));
	isb();
}

static void (*space_unload)(const struct uarch_vs *vs);

void uarch_set_space_unload(void (*unload)(const struct uarch_vs *vs))
{
	space_unload = unload;
}

void uarch_vs_destroy(struct uarch_vs *vs, const struct uarch_pt_alloc *pta)
{
	if (!vs->root)
		return;
	/* No walk may reach tables about to be freed, on this CPU or
	 * another, nor tag an entry with the ASID after its flush below. */
	if (vs_is_current(vs))
		switch_to_empty();
	if (space_unload)
		space_unload(vs);
	if (asid_live(vs)) {
		dsb_ish();
		tlb_inval_asid(vs->asid);
		dsb_ish();
		isb();
		asid_owner[vs->asid] = NULL;
	}
	for (unsigned i = 0; i < 4; i++) {
		uint64_t d1 = vs->root[i];

		if (!is_table(d1))
			continue;
		for (unsigned j = 0; j < ENTRIES; j++) {
			uint64_t d2 = table_va(d1)[j];

			if (is_table(d2))
				pta->free(pta->ctx, d2 & PTE_ADDR_MASK);
		}
		pta->free(pta->ctx, d1 & PTE_ADDR_MASK);
	}
	for (unsigned i = 0; i < SPARES; i++)
		if (vs->root[SPARE_SLOT + i])
			pta->free(pta->ctx, vs->root[SPARE_SLOT + i]);
	pta->free(pta->ctx, vs->root_pa);
	memset(vs, 0, sizeof(*vs));
}

static struct uarch_vs *(*space_probe)(unsigned index);

void uarch_set_space_probe(struct uarch_vs *(*probe)(unsigned index))
{
	space_probe = probe;
}

/* A new generation: off every old ASID first (no speculative walk may tag
 * an entry with one after the flush), then an empty TLB. */
static void asid_rollover(void)
{
	switch_to_empty();
	uarch_asid_gen++;
	asid_next = 1;
	memset(asid_owner, 0, sizeof(asid_owner));
	/* Other CPUs keep running in their spaces until their next switch:
	 * those spaces keep their ASIDs into the new generation (reserved),
	 * so no other space gets one of them while they are in use. What
	 * those CPUs put in their TLBs after the flush below is theirs. */
	for (unsigned i = 0; space_probe && i < ARCH_MAX_CPUS; i++) {
		struct uarch_vs *vs = space_probe(i);

		if (vs && vs->asid) {
			vs->asid_gen = uarch_asid_gen;
			asid_owner[vs->asid] = vs;
		}
	}
	tlb_flush_all();
}

static void asid_assign(struct uarch_vs *vs)
{
	while (asid_next <= ASID_MAX && asid_owner[asid_next])
		asid_next++;            /* (reserved at the rollover) */
	if (asid_next > ASID_MAX)
		asid_rollover();
	while (asid_owner[asid_next])
		asid_next++;            /* at most the other CPUs' ASIDs */
	vs->asid = asid_next++;
	vs->asid_gen = uarch_asid_gen;
	vs->ttbr = (uint64_t)vs->root_pa | ((uint64_t)vs->asid << 48);
	asid_owner[vs->asid] = vs;
}

uint32_t uarch_asid_generation(void)
{
	return uarch_asid_gen;
}

void uarch_asid_force_rollover(void)
{
	asid_rollover();
}

/*
 * Called once the kernel runs on its own tables (arch_mmu_init): TTBR0
 * walks on for good, "no user space" being the empty level-1 table with
 * ASID 0, so that activating a space is one register write. User mode
 * gets no VFP/Advanced SIMD (CPACR cp10/cp11 no access): its use is an
 * undefined instruction.
 */
void uarch_init(void)
{
	direct_base = arch_direct_map_base();
	uarch_init_cpu();
}

/* The same on a secondary CPU before it runs threads (it came up with
 * TTBR0 walks off: nothing of user mode until now). */
void uarch_init_cpu(void)
{
	switch_to_empty();
	write_ttbcr(read_ttbcr() & ~(1u << 7));         /* EPD0 off */
	isb();
	write_cpacr(read_cpacr() & ~(0xfu << 20));      /* cp10, cp11: no access */
	isb();
	tlb_flush_all();
}

static __attribute__((noinline)) void activate_slow(struct uarch_vs *vs)
{
	if (!vs) {
		switch_to_empty();
		return;
	}
	if (!asid_live(vs))
		asid_assign(vs);
	write_ttbr0(vs->ttbr);
	isb();
}

__attribute__((optimize("omit-frame-pointer"))) void uarch_vs_activate(struct uarch_vs *vs)
{
	/* The common case (a space with an ASID of this generation) is a
	 * compare and one register write: within a generation an ASID
	 * belongs to one space only. No ISB: the exception return to user
	 * mode synchronizes the context, and the kernel's own accesses go
	 * through TTBR1; the one kernel use of TTBR0 (user_ok) starts with
	 * an ISB. */
	if (vs && uarch_vs_quick(vs)) {
		write_ttbr0(vs->ttbr);
		return;
	}
	activate_slow(vs);
}

/* ----------------------------------------------------------- user memory */

/*
 * Can the current user space access [va, va + len) for read (or write)?
 * ATS1CUR/ATS1CUW translate with PL0's permissions; PAR (64-bit format
 * with LPAE) has F in bit 0 and the MAIR attribute byte in [63:56].
 * Device memory is refused too: the kernel's copy could have side effects
 * there, make unaligned accesses or take an external abort.
 */
static bool user_ok(uintptr_t va, size_t len, bool write)
{
	uintptr_t end;

	if (len == 0)
		return true;
	if (va >= UARCH_USER_TOP || len > UARCH_USER_TOP - va)
		return false;
	end = va + len;
	isb();                          /* a TTBR0 switch just before is visible */
	for (uintptr_t p = va & ~0xfffu; p < end; p += 4096) {
		uint64_t par;

		if (write)
			__asm__ volatile("mcr p15, 0, %0, c7, c8, 3" ::"r"(p) : "memory"); /* ATS1CUW */
		else
			__asm__ volatile("mcr p15, 0, %0, c7, c8, 2" ::"r"(p) : "memory"); /* ATS1CUR */
		isb();
		par = read_par64();
		if ((par & 1) || (par >> 60) == 0)
			return false;
		if (p + 4096 < p)
			break;
	}
	return true;
}

/* After the check the copy goes through the user address itself (TTBR0
 * of the current space): interrupts are masked and only this CPU changes
 * page tables, so nothing can unmap in between. */
int uarch_copy_from_user(void *dst, uintptr_t usrc, size_t len)
{
	if (!user_ok(usrc, len, false))
		return E_FAULT;
	memcpy(dst, (const void *)usrc, len);
	return 0;
}

int uarch_copy_to_user(uintptr_t udst, const void *src, size_t len)
{
	if (!user_ok(udst, len, true))
		return E_FAULT;
	memcpy((void *)udst, src, len);
	return 0;
}
