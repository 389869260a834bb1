/*
 * Kernel address space (LPAE): direct map, W^X image, device window.
 *
 * head.S enters C with TTBR1 -> kernel_l2 mapping only the image (RWX) and
 * TTBR0 -> an identity map of the low 3 GiB. arch_mmu_init() then:
 *   1. maps RAM into the direct map at DIRECT_MAP_BASE + (pa - ram_base),
 *      2 MiB blocks where a block lies wholly inside a RAM bank, 4 KiB pages
 *      (level-3 tables from a small static pool) at unaligned bank edges,
 *      so that nothing but RAM is ever mapped cacheable; RAM beyond the
 *      768 MiB window is "high" memory, left unmapped here;
 *   2. re-maps the image W^X: text RX, rodata and symbols R, data/bss RW,
 *      nothing writable is executable (and SCTLR.WXN enforces it);
 *   3. switches TTBR0 walks off (TTBCR.EPD0): from then on every address
 *      below 0xC000_0000 faults until a user address space is installed.
 * The device window is filled on demand by arch_ioremap(), page by page,
 * with device-nGnRE, never-executable mappings.
 *
 * Invariant: kernel_l2 is the single level-2 table behind TTBR1 for the
 * kernel's lifetime; level-3 tables hang off it and are never freed.
 * Locking: boot is single threaded; later callers of arch_ioremap hold the
 * kernel lock (see docs/architecture.md).
 */
#include <arch/cpu.h>
#include <arch/internal.h>
#include <arch/memlayout.h>
#include <arch/pte.h>
#include <fw/dt.h>
#include <hal/arch.h>
#include <hal/mm_arch.h>
#include <lib/error.h>
#include <lib/log.h>

#define L2_ENTRIES 512
#define L3_ENTRIES 512
#define EDGE_L3_POOL 8

extern pte_t kernel_l2[L2_ENTRIES];
extern pte_t kimage_l3[8 * L3_ENTRIES];
extern pte_t devwin_l3[8 * L3_ENTRIES];

/* Kernel-memory window (KMEM, one static level-3 table): the kmap slot. */
#define KMAP_VA (KMEM_BASE + KMEM_SIZE - PAGE_SIZE)
#define KMEM_L3_TABLES (KMEM_SIZE >> L2_BLOCK_SHIFT)
static pte_t kmem_l3[KMEM_L3_TABLES * L3_ENTRIES] __attribute__((aligned(4096)));
static bool kmem_ready;
/* Frame-table region: its level-3 tables are the RAM boot hands over in
 * mm_arch_backing_prepare (contiguous, direct-mapped), one per 2 MiB of
 * the part the index uses; nothing beyond that part is ever mappable. */
static pte_t *ftable_l3;
static uint32_t ftable_prepared; /* bytes from FTABLE_BASE */
extern char __kimage_start[], __text_end[], __rodata_end[], __kimage_end[];

static pte_t edge_l3[EDGE_L3_POOL][L3_ENTRIES] __attribute__((aligned(4096)));
static unsigned edge_l3_used;
static paddr_t ram_base;     /* physical address at DIRECT_MAP_BASE */
static paddr_t kimage_phys;  /* physical address of __kimage_start */
static uint32_t devwin_next; /* next free offset in the device window */
static bool devwin_ready;
static const struct dt_info *mmu_dt;

static unsigned l2_index(uint32_t va)
{
	return (va - KERNEL_SPACE_BASE) >> L2_BLOCK_SHIFT;
}

paddr_t arch_virt_to_phys_kimage(const void *p)
{
	return (paddr_t)((uintptr_t)p - KIMAGE_BASE) + kimage_phys;
}

void arch_mmu_set_kimage_phys(paddr_t pa)
{
	kimage_phys = pa;
}

/* Is [pa, pa+len) wholly inside one RAM bank? */
static bool in_ram(const struct dt_info *dt, paddr_t pa, uint64_t len)
{
	for (unsigned i = 0; i < dt->nmem; i++) {
		paddr_t b = dt->mem[i].base, e = b + dt->mem[i].size;

		if (pa >= b && pa + len <= e)
			return true;
	}
	return false;
}

static int map_direct_block(const struct dt_info *dt, paddr_t blk)
{
	uint32_t va = DIRECT_MAP_BASE + (uint32_t)(blk - ram_base);
	pte_t *l3;

	if (in_ram(dt, blk, L2_BLOCK_SIZE)) {
		kernel_l2[l2_index(va)] = (blk & PTE_ADDR_MASK) | PTE_BLOCK | PTE_KERNEL_RW;
		return 0;
	}
	/* Partial block at a bank edge: map only the RAM pages. */
	if (edge_l3_used == EDGE_L3_POOL)
		return E_NOMEM;
	l3 = edge_l3[edge_l3_used++];
	for (unsigned i = 0; i < L3_ENTRIES; i++) {
		paddr_t pa = blk + ((paddr_t)i << PAGE_SHIFT);

		l3[i] = in_ram(dt, pa, PAGE_SIZE) ? (pa | PTE_PAGE | PTE_KERNEL_RW) : 0;
	}
	dsb();
	kernel_l2[l2_index(va)] = ((uint32_t)(uintptr_t)l3 - KIMAGE_BASE + kimage_phys) | PTE_TABLE;
	return 0;
}

static void kimage_wx(void)
{
	uint32_t start = (uint32_t)(uintptr_t)__kimage_start;
	uint32_t npages = ((uint32_t)(uintptr_t)__kimage_end - start) >> PAGE_SHIFT;

	for (uint32_t i = 0; i < npages; i++) {
		uint32_t va = start + (i << PAGE_SHIFT);
		pte_t attrs;

		if (va < (uint32_t)(uintptr_t)__text_end)
			attrs = PTE_KERNEL_RX;
		else if (va < (uint32_t)(uintptr_t)__rodata_end)
			attrs = PTE_KERNEL_RO;
		else
			attrs = PTE_KERNEL_RW;
		kimage_l3[i] = (kimage_l3[i] & PTE_ADDR_MASK) | PTE_PAGE | attrs;
	}
}

int arch_mmu_init(const struct dt_info *dt)
{
	paddr_t lowest = PADDR_MAX;
	int err;

	mmu_dt = dt;
	for (unsigned i = 0; i < dt->nmem; i++)
		if (dt->mem[i].base < lowest)
			lowest = dt->mem[i].base;
	if (lowest == PADDR_MAX)
		return E_NOENT;
	ram_base = ALIGN_DOWN(lowest, (paddr_t)L2_BLOCK_SIZE);

	for (unsigned i = 0; i < dt->nmem; i++) {
		paddr_t b = ALIGN_DOWN(dt->mem[i].base, (paddr_t)L2_BLOCK_SIZE);
		paddr_t e = dt->mem[i].base + dt->mem[i].size;

		for (paddr_t blk = b; blk < e; blk += L2_BLOCK_SIZE) {
			if (blk - ram_base >= DIRECT_MAP_SIZE)
				break;
			err = map_direct_block(dt, blk);
			if (err)
				return err;
		}
	}
	kimage_wx();
	/* The old RWX translations must be gone from the TLB before WXN is
	 * set, or WXN makes the cached writable text entries execute-never. */
	tlb_flush_all();
	/* End the identity map, enforce WXN, drop stale translations. */
	write_ttbcr(read_ttbcr() | (1u << 7)); /* EPD0 */
	isb();
	tlb_flush_all();
	write_sctlr(read_sctlr() | SCTLR_WXN);
	isb();
	tlb_flush_all();
	arch_identity_gone = true;
	uarch_init();
	return 0;
}

paddr_t arch_direct_map_base(void)
{
	return ram_base;
}

uint64_t arch_direct_map_size(void)
{
	return DIRECT_MAP_SIZE;
}

void *arch_phys_to_virt(paddr_t pa, size_t len)
{
	if (!mmu_dt || pa < ram_base || len > DIRECT_MAP_SIZE ||
	    pa - ram_base > DIRECT_MAP_SIZE - len || !in_ram(mmu_dt, pa, len))
		return NULL;
	return (void *)(uintptr_t)(DIRECT_MAP_BASE + (uint32_t)(pa - ram_base));
}

void *arch_ioremap(paddr_t pa, size_t len)
{
	paddr_t first = ALIGN_DOWN(pa, (paddr_t)PAGE_SIZE);
	uint64_t span;
	uint32_t npages, va;

	if (len == 0 || pa + len < pa || (pa + len - 1) >> 40)
		return NULL;
	span = ALIGN_UP(pa + len, (paddr_t)PAGE_SIZE) - first;
	npages = (uint32_t)(span >> PAGE_SHIFT);
	if (span > DEVWIN_SIZE || devwin_next + span > DEVWIN_SIZE)
		return NULL;
	if (!devwin_ready) {
		for (unsigned i = 0; i < 8; i++)
			kernel_l2[l2_index(DEVWIN_BASE) + i] =
				((uint32_t)(uintptr_t)&devwin_l3[i * L3_ENTRIES] -
				 KIMAGE_BASE + kimage_phys) | PTE_TABLE;
		dsb();
		isb();
		devwin_ready = true;
	}
	va = DEVWIN_BASE + devwin_next;
	for (uint32_t i = 0; i < npages; i++)
		devwin_l3[(devwin_next >> PAGE_SHIFT) + i] =
			(first + ((paddr_t)i << PAGE_SHIFT)) | PTE_PAGE | PTE_KERNEL_DEV;
	dsb();
	isb();
	devwin_next += (uint32_t)span;
	return (void *)(uintptr_t)(va + (uint32_t)(pa - first));
}

/* ---- kernel-memory hooks (hal/mm_arch.h) ---- */

uintptr_t arch_ftable_base(void)
{
	return FTABLE_BASE;
}

uintptr_t arch_ftable_size(void)
{
	return FTABLE_SIZE;
}

static pte_t *kmem_pte(uintptr_t va)
{
	if (!kmem_ready) {
		for (unsigned i = 0; i < KMEM_L3_TABLES; i++)
			kernel_l2[l2_index(KMEM_BASE) + i] =
				((uint32_t)(uintptr_t)&kmem_l3[i * L3_ENTRIES] -
				 KIMAGE_BASE + kimage_phys) | PTE_TABLE;
		dsb();
		isb();
		kmem_ready = true;
	}
	return &kmem_l3[(va - KMEM_BASE) >> PAGE_SHIFT];
}

/* Level-3 tables for [FTABLE_BASE, FTABLE_BASE + round-up to 2 MiB). */
static uint32_t ftable_tables(uintptr_t va, uintptr_t len)
{
	return (uint32_t)(((uint64_t)(va - FTABLE_BASE) + len + L2_BLOCK_SIZE - 1) >>
			  L2_BLOCK_SHIFT);
}

uint64_t mm_arch_backing_cost(uintptr_t va, uintptr_t len)
{
	if (va != FTABLE_BASE || len > FTABLE_SIZE)
		return 0;
	return (uint64_t)ftable_tables(va, len) * PAGE_SIZE;
}

int mm_arch_backing_prepare(uintptr_t va, uintptr_t len, paddr_t pa)
{
	uint32_t n = ftable_tables(va, len);
	pte_t *l3;

	if (va != FTABLE_BASE || len > FTABLE_SIZE || ftable_prepared || (pa & (PAGE_SIZE - 1)))
		return E_INVAL;
	l3 = arch_phys_to_virt(pa, (size_t)n * PAGE_SIZE);
	if (!l3)
		return E_INVAL;
	for (uint32_t i = 0; i < n * L3_ENTRIES; i++)
		l3[i] = 0;
	dsb();
	for (uint32_t i = 0; i < n; i++)
		kernel_l2[l2_index(FTABLE_BASE) + i] = (pa + (paddr_t)i * PAGE_SIZE) | PTE_TABLE;
	dsb();
	isb();
	ftable_l3 = l3;
	ftable_prepared = (uint32_t)len;
	return 0;
}

int mm_arch_map_backing(uintptr_t va, paddr_t pa)
{
	pte_t *pte;

	if (va < FTABLE_BASE || va - FTABLE_BASE >= ftable_prepared || (va & (PAGE_SIZE - 1)) ||
	    (pa & (PAGE_SIZE - 1)) || (pa >> 40))
		return E_INVAL;
	pte = &ftable_l3[(va - FTABLE_BASE) >> PAGE_SHIFT];
	if (*pte & PTE_VALID)
		return E_INVAL;
	*pte = pa | PTE_PAGE | PTE_KERNEL_RW;
	dsb();
	isb();
	return 0;
}

void mm_arch_unmap_backing(uintptr_t va)
{
	if (va < FTABLE_BASE || va - FTABLE_BASE >= ftable_prepared)
		return;
	ftable_l3[(va - FTABLE_BASE) >> PAGE_SHIFT] = 0;
	tlb_flush_kva((uint32_t)va);
}

void *mm_arch_direct_va(paddr_t pa, size_t len)
{
	return arch_phys_to_virt(pa, len);
}

void *mm_arch_kmap(paddr_t pa)
{
	pte_t *pte = kmem_pte(KMAP_VA);

	if ((pa & (PAGE_SIZE - 1)) || (pa >> 40) || (*pte & PTE_VALID))
		return NULL;
	*pte = pa | PTE_PAGE | PTE_KERNEL_RW;
	dsb();
	isb();
	return (void *)(uintptr_t)KMAP_VA;
}

void mm_arch_kunmap(void *va)
{
	if ((uintptr_t)va != KMAP_VA)
		return;
	*kmem_pte(KMAP_VA) = 0;
	tlb_flush_kva(KMAP_VA);
}
