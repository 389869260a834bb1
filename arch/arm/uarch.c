/*
 * User mode on ARMv7-A LPAE: entering and leaving threads, user address
 * spaces (TTBR0 page tables and ASIDs), user faults, user memory access.
 *
 * Entry and exit. While a thread runs, SP_svc points just past its struct
 * uctx, so the vector stubs (vectors.S) save the user registers directly
 * into the thread; they then switch to this CPU's kernel stack and call
 * kentry_syscall (svc) or arch_user_trap (everything else), and leave
 * through the context those return, which leaves SP_svc just past that
 * context again. No register is copied twice and nothing of a thread
 * lives on the kernel stack between two entries.
 *
 * Address spaces. TTBCR.T0SZ = 0 and T1SZ = 2: TTBR0 translates
 * 0..0xBFFF_FFFF for the current thread, TTBR1 the kernel above. A user
 * space is a level-1 table (4 entries, one page from the owner's
 * allocator), level-2 tables per GiB and level-3 tables per 2 MiB, all
 * frames of DIRECT memory reached through the direct map. The table walk is
 * inner-shareable write-back (TTBCR IRGN0/ORGN0/SH0), coherent with the
 * data cache, so writing a descriptor needs a DSB before it is used, and no
 * cache cleaning. Tables are kept until the address space is destroyed
 * (charged to its owner), so mapping never allocates beyond the first use
 * of a 2 MiB region, and unmapping never frees.
 *
 * Mappings use the largest translation alignment allows: 2 MiB blocks at
 * level 2 where va, pa and the remaining size allow, else 64 KiB runs of
 * 16 level-3 entries with the contiguous hint, else 4 KiB pages. Every
 * user translation is nG (tagged with the ASID), PXN (the kernel never
 * executes user memory), and XN unless the mapping is executable, which is
 * never writable.
 *
 * ASIDs: 8 bits, 255 usable (0 is the empty address space's). Each space
 * records the ASID and the generation it was given in; activating a space
 * whose generation is old gives it the next free ASID, and when the 255
 * are used up the generation advances, the whole TLB is invalidated and
 * numbering restarts -- every space gets a fresh ASID the next time it is
 * activated. Unmapping invalidates by ASID and address (or the whole
 * ASID for large ranges) before it returns.
 */
#include <arch/cpu.h>
#include <arch/internal.h>
#include <arch/memlayout.h>
#include <arch/pte.h>
#include <arch/trap.h>
#include <cairn/abi.h>
#include <cairn/arch.h>
#include <cairn/error.h>
#include <cairn/log.h>
#include <cairn/mm_arch.h>
#include <cairn/printf.h>
#include <cairn/string.h>
#include <cairn/uarch.h>

#define L2_SPAN (1u << 21)
#define L1_SPAN (1u << 30)
#define ENTRIES 512u
#define ASID_MAX 255u
#define FLUSH_PAGES_MAX 32u     /* beyond this, invalidate the whole ASID */

_Static_assert(sizeof(struct uctx) == sizeof(struct trap_frame), "uctx is a trap frame");

static uint32_t asid_gen = 1;
static uint32_t asid_next = 1;
static const struct uarch_vs *asid_owner[ASID_MAX + 1];
static uint64_t empty_l1[4] __attribute__((aligned(32)));

/* ----------------------------------------------------------- contexts */

void uarch_ctx_init(struct uctx *ctx, uintptr_t pc, uintptr_t sp, uint32_t arg)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->pc = (uint32_t)pc;
	ctx->sp = (uint32_t)sp;
	ctx->r[0] = arg;
	ctx->cpsr = uarch_sanitize_cpsr(0);
}

uint32_t uarch_sanitize_cpsr(uint32_t cpsr)
{
	/* Flags N Z C V Q and GE[3:0] from the caller; USR mode, ARM state,
	 * little-endian, A/I/F clear. */
	return (cpsr & 0xf80f0000u) | CPSR_MODE_USR;
}

bool uarch_irq_pending(void)
{
	uint32_t isr;

	__asm__ volatile("mrc p15, 0, %0, c12, c1, 0" : "=r"(isr)); /* ISR */
	return (isr & (1u << 7)) != 0;
}

/* ----------------------------------------------------------- page tables */

static uint64_t *table_va(uint64_t desc)
{
	return arch_phys_to_virt(desc & PTE_ADDR_MASK, 4096);
}

static bool is_table(uint64_t d) { return (d & PTE_TYPE_MASK) == PTE_TABLE; }
static bool is_block(uint64_t d) { return (d & PTE_TYPE_MASK) == PTE_BLOCK; }

static uint64_t leaf_bits(unsigned attr, unsigned rights)
{
	uint64_t d = PTE_AF | PTE_NG | PTE_AP_USER | PTE_PXN;

	switch (attr) {
	case UATTR_DEVICE:
		d |= PTE_ATTR(MT_DEVICE_nGnRE);
		break;
	case UATTR_NORMAL_NC:
	case UATTR_WRITE_COMBINE:       /* ARMv7 has no separate WC type */
		d |= PTE_ATTR(MT_NORMAL_NC) | PTE_SH_INNER;
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
	vs->root = arch_phys_to_virt(pa, 4096);
	memset(vs->root, 0, 4096);
	vs->tables = 1;
	return 0;
}

/* Level-2 entry of va, or NULL if its level-2 table does not exist. */
static uint64_t *l2_entry(const struct uarch_vs *vs, uintptr_t va)
{
	uint64_t d1 = vs->root[va >> 30];

	if (!is_table(d1))
		return NULL;
	return &table_va(d1)[(va >> 21) & (ENTRIES - 1)];
}

/* Will [va, va + size) use a block at va? */
static bool block_fits(uintptr_t va, paddr_t pa, uint64_t left)
{
	return (va & (L2_SPAN - 1)) == 0 && (pa & (L2_SPAN - 1)) == 0 && left >= L2_SPAN;
}

/*
 * Pass 1 of a map: is every page free, and how many tables are missing?
 * Tables found missing at level 2 are counted once per GiB, level 3 once per
 * 2 MiB region that will not be a block.
 */
static int map_survey(const struct uarch_vs *vs, uintptr_t va, paddr_t pa, uint64_t size,
		      unsigned *need)
{
	uint64_t off = 0;
	uintptr_t last_gib = ~(uintptr_t)0;

	*need = 0;
	while (off < size) {
		uintptr_t v = va + (uintptr_t)off;
		uint64_t *e2 = l2_entry(vs, v);
		uint64_t step;

		if (!e2 && (v >> 30) != last_gib) {
			(*need)++;                      /* a level-2 table */
			last_gib = v >> 30;
		}
		if (block_fits(v, pa + off, size - off)) {
			if (e2 && *e2) {
				/* A block needs the whole slot empty. */
				if (is_block(*e2))
					return E_EXIST;
				for (unsigned i = 0; i < ENTRIES; i++)
					if (table_va(*e2)[i])
						return E_EXIST;
			}
			step = L2_SPAN;
		} else {
			uint64_t end = MIN(size - off, (uint64_t)L2_SPAN - (v & (L2_SPAN - 1)));

			if (e2 && is_block(*e2))
				return E_EXIST;
			if (!e2 || !*e2) {
				(*need)++;              /* a level-3 table */
			} else {
				uint64_t *t3 = table_va(*e2);

				for (uint64_t o = 0; o < end; o += 4096)
					if (t3[((v + (uintptr_t)o) >> 12) & (ENTRIES - 1)])
						return E_EXIST;
			}
			step = end;
		}
		off += step;
	}
	return 0;
}

/* Tables taken before writing anything, chained through their first word. */
struct table_stash {
	paddr_t head;
	unsigned n;
};

static uint64_t take_table(struct uarch_vs *vs, struct table_stash *st)
{
	paddr_t pa = st->head;
	uint64_t *t = arch_phys_to_virt(pa, 4096);

	st->head = t[0];
	st->n--;
	memset(t, 0, 4096);
	vs->tables++;
	return pa | PTE_TABLE;
}

static void drop_stash(const struct uarch_pt_alloc *pta, struct table_stash *st)
{
	while (st->n) {
		paddr_t pa = st->head;

		st->head = ((uint64_t *)arch_phys_to_virt(pa, 4096))[0];
		st->n--;
		pta->free(pta->ctx, pa);
	}
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

int uarch_vs_map(struct uarch_vs *vs, const struct uarch_pt_alloc *pta, uintptr_t va,
		 paddr_t pa, uint64_t size, unsigned attr, unsigned rights)
{
	struct table_stash st = { 0, 0 };
	uint64_t bits, off = 0;
	unsigned need;
	int err;

	if ((rights & ~(unsigned)(R_READ | R_WRITE | R_EXEC)) || !(rights & R_READ) ||
	    ((rights & R_WRITE) && (rights & R_EXEC)) || attr > UATTR_NORMAL_WB)
		return E_INVAL;
	if ((va | pa | size) & 0xfff)
		return E_ALIGN;
	if (size == 0 || size > UARCH_USER_TOP || va > UARCH_USER_TOP - size ||
	    pa + size - 1 > 0xffffffffffull || pa + size < pa)
		return E_RANGE;
	err = map_survey(vs, va, pa, size, &need);
	if (err)
		return err;
	while (st.n < need) {
		paddr_t t;

		err = get_table(pta, &t);
		if (err) {
			drop_stash(pta, &st);
			return err;
		}
		((uint64_t *)arch_phys_to_virt(t, 4096))[0] = st.head;
		st.head = t;
		st.n++;
	}
	bits = leaf_bits(attr, rights);
	while (off < size) {
		uintptr_t v = va + (uintptr_t)off;
		paddr_t p = pa + off;
		uint64_t *l1e = &vs->root[v >> 30];
		uint64_t *e2;

		if (!is_table(*l1e))
			*l1e = take_table(vs, &st);
		e2 = &table_va(*l1e)[(v >> 21) & (ENTRIES - 1)];
		if (block_fits(v, p, size - off)) {
			if (is_table(*e2)) {
				/* An empty level-3 table kept from earlier (the
				 * survey checked it is empty): the block takes
				 * its place and the table goes back. */
				paddr_t old = *e2 & PTE_ADDR_MASK;

				*e2 = 0;
				dsb_ish();
				pta->free(pta->ctx, old);
				vs->tables--;
			}
			*e2 = (p & PTE_ADDR_MASK) | bits | PTE_BLOCK;
			off += L2_SPAN;
			continue;
		}
		if (!is_table(*e2))
			*e2 = take_table(vs, &st);
		{
			uint64_t *t3 = table_va(*e2);
			uint64_t end = MIN(size, off + L2_SPAN - (v & (L2_SPAN - 1)));

			while (off < end) {
				uintptr_t vv = va + (uintptr_t)off;
				paddr_t pp = pa + off;
				unsigned i = (vv >> 12) & (ENTRIES - 1);

				if (((vv | pp) & 0xffff) == 0 && end - off >= 0x10000) {
					for (unsigned k = 0; k < 16; k++)
						t3[i + k] = ((pp + k * 4096u) & PTE_ADDR_MASK) | bits |
							    PTE_CONTIG | PTE_PAGE;
					off += 0x10000;
				} else {
					t3[i] = (pp & PTE_ADDR_MASK) | bits | PTE_PAGE;
					off += 4096;
				}
			}
		}
	}
	drop_stash(pta, &st);           /* normally empty: the survey counted exactly */
	if ((rights & R_EXEC) && attr != UATTR_DEVICE)
		sync_icache(pa, size);
	vs->pages_mapped += (uint32_t)(size >> 12);
	dsb_ish();                      /* descriptors visible to the walker */
	isb();
	return 0;
}

static bool asid_live(const struct uarch_vs *vs)
{
	return vs->asid && vs->asid_gen == asid_gen && asid_owner[vs->asid] == vs;
}

static void tlb_inval_asid_va(uint32_t asid, uintptr_t va)
{
	/* TLBIMVAIS: this address, this ASID, inner shareable. */
	__asm__ volatile("mcr p15, 0, %0, c8, c3, 1" ::"r"((va & ~0xfffu) | asid) : "memory");
}

static void tlb_inval_asid(uint32_t asid)
{
	/* TLBIASIDIS */
	__asm__ volatile("mcr p15, 0, %0, c8, c3, 2" ::"r"(asid) : "memory");
}

void uarch_vs_unmap(struct uarch_vs *vs, const struct uarch_pt_alloc *pta, uintptr_t va,
		    uint64_t size)
{
	uint64_t off = 0;
	uint32_t cleared = 0;

	(void)pta;
	if (size == 0 || va >= UARCH_USER_TOP || size > UARCH_USER_TOP - va)
		return;
	while (off < size) {
		uintptr_t v = va + (uintptr_t)off;
		uint64_t *e2 = l2_entry(vs, v);
		uint64_t step = (uint64_t)L2_SPAN - (v & (L2_SPAN - 1));

		if (e2 && is_block(*e2) && (v & (L2_SPAN - 1)) == 0 && size - off >= L2_SPAN) {
			*e2 = 0;
			cleared += L2_SPAN >> 12;
		} else if (e2 && is_table(*e2)) {
			uint64_t *t3 = table_va(*e2);
			uint64_t end = MIN(size - off, step);

			for (uint64_t o = 0; o < end; o += 4096) {
				unsigned i = ((v + (uintptr_t)o) >> 12) & (ENTRIES - 1);

				if (t3[i]) {
					t3[i] = 0;
					cleared++;
				}
			}
		}
		off += MIN(size - off, step);
	}
	vs->pages_mapped -= MIN(vs->pages_mapped, cleared);
	dsb_ish();
	if (asid_live(vs)) {
		if ((size >> 12) <= FLUSH_PAGES_MAX) {
			for (uint64_t o = 0; o < size; o += 4096)
				tlb_inval_asid_va(vs->asid, va + (uintptr_t)o);
		} else {
			tlb_inval_asid(vs->asid);
		}
	}
	/* With an old generation the ASID's entries went with the flush at
	 * rollover; a space never activated has none. */
	__asm__ volatile("mcr p15, 0, %0, c7, c5, 6" ::"r"(0) : "memory"); /* BPIALL */
	dsb_ish();
	isb();
}

int uarch_vs_query(const struct uarch_vs *vs, uintptr_t va, paddr_t *pa, unsigned *attr,
		   unsigned *rights)
{
	uint64_t *e2, d;
	unsigned idx;

	if (va >= UARCH_USER_TOP)
		return E_NOENT;
	e2 = l2_entry(vs, va);
	if (!e2 || !*e2)
		return E_NOENT;
	if (is_block(*e2)) {
		d = *e2;
		*pa = (d & PTE_ADDR_MASK & ~(uint64_t)(L2_SPAN - 1)) | (va & (L2_SPAN - 1));
	} else {
		d = table_va(*e2)[(va >> 12) & (ENTRIES - 1)];
		if (!d)
			return E_NOENT;
		*pa = (d & PTE_ADDR_MASK) | (va & 0xfff);
	}
	idx = (unsigned)(d >> 2) & 7;
	*attr = idx == MT_DEVICE_nGnRE ? UATTR_DEVICE
		: idx == MT_NORMAL_NC  ? UATTR_NORMAL_NC
				       : UATTR_NORMAL_WB;
	*rights = R_READ | ((d & PTE_AP_RO) ? 0 : R_WRITE) | ((d & PTE_XN) ? 0 : R_EXEC);
	return 0;
}

/* The descriptor of va (tests): 0 if unmapped; *level 2 or 3. */
uint64_t uarch_vs_descriptor(const struct uarch_vs *vs, uintptr_t va, unsigned *level)
{
	uint64_t *e2 = l2_entry(vs, va);

	*level = 2;
	if (!e2 || !*e2 || is_block(*e2))
		return e2 ? *e2 : 0;
	*level = 3;
	return table_va(*e2)[(va >> 12) & (ENTRIES - 1)];
}

void uarch_vs_destroy(struct uarch_vs *vs, const struct uarch_pt_alloc *pta)
{
	if (!vs->root)
		return;
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
	pta->free(pta->ctx, vs->root_pa);
	vs->root = NULL;
	vs->root_pa = 0;
	vs->tables = 0;
	vs->pages_mapped = 0;
	vs->asid = 0;
	vs->asid_gen = 0;
}

static void asid_assign(struct uarch_vs *vs)
{
	if (asid_next > ASID_MAX) {
		/* Rollover: a new generation, every old ASID forgotten. */
		asid_gen++;
		asid_next = 1;
		memset(asid_owner, 0, sizeof(asid_owner));
		tlb_flush_all();
	}
	vs->asid = asid_next++;
	vs->asid_gen = asid_gen;
	vs->ttbr = (uint64_t)vs->root_pa | ((uint64_t)vs->asid << 48);
	asid_owner[vs->asid] = vs;
}

uint32_t uarch_asid_generation(void)
{
	return asid_gen;
}

/*
 * Called once the kernel runs on its own tables (arch_mmu_init): TTBR0
 * walks on for good, "no user space" being an empty level-1 table with
 * ASID 0, so that activating a space is one register write.
 */
void uarch_init(void)
{
	write_ttbr0(arch_virt_to_phys_kimage(empty_l1));
	isb();
	write_ttbcr(read_ttbcr() & ~(1u << 7));         /* EPD0 off */
	isb();
	tlb_flush_all();
}

static __attribute__((noinline)) void activate_slow(struct uarch_vs *vs)
{
	if (!vs) {
		write_ttbr0(arch_virt_to_phys_kimage(empty_l1));
		isb();
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
	if (vs && vs->asid_gen == asid_gen) {
		write_ttbr0(vs->ttbr);
		return;
	}
	activate_slow(vs);
}

/* ----------------------------------------------------------- user memory */

/* Can the current user space access [va, va + len) for read (or write)? */
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
		if (par & 1)
			return false;
	}
	return true;
}

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

/* ----------------------------------------------------------- user traps */

struct uctx *arch_user_trap(struct uctx *ctx, uint32_t kind);

struct uctx *arch_user_trap(struct uctx *ctx, uint32_t kind)
{
	struct ufault f;
	char what[96];

	switch (kind) {
	case TRAP_IRQ:
		return kentry_irq(ctx);
	case TRAP_SVC:
		return kentry_syscall(ctx);
	}
	memset(&f, 0, sizeof(f));
	f.pc = ctx->pc;
	switch (kind) {
	case TRAP_DABT:
		f.status = read_dfsr();
		f.addr = read_dfar();
		f.write = (f.status & (1u << 11)) != 0;
		f.kind = (f.status & 0x3f) == 0x21 ? FAULT_ALIGN : FAULT_DATA;
		ksnprintf(f.what, sizeof(f.what), "data abort: %s at 0x%08x",
			  arch_fsr_describe(f.status, what, sizeof(what)), (unsigned)f.addr);
		break;
	case TRAP_PABT:
		f.status = read_ifsr();
		f.addr = read_ifar();
		f.kind = FAULT_PREFETCH;
		ksnprintf(f.what, sizeof(f.what), "prefetch abort: %s at 0x%08x",
			  arch_fsr_describe(f.status & ~(1u << 11), what, sizeof(what)),
			  (unsigned)f.addr);
		break;
	default: {
		uint32_t insn = 0;

		f.kind = FAULT_UNDEF;
		if (uarch_copy_from_user(&insn, ctx->pc & ~3u, 4) == 0)
			f.status = insn;
		ksnprintf(f.what, sizeof(f.what), "undefined instruction 0x%08x",
			  (unsigned)f.status);
		break;
	}
	}
	return kentry_fault(ctx, &f);
}
