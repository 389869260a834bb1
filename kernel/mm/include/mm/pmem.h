/*
 * pmem: the physical memory map, built once at boot.
 *
 * Inputs are plain arrays that the boot code fills from the device tree:
 * RAM banks (any number up to PMEM_MAX_BANKS, sparse, anywhere in the
 * 40-bit LPAE space) and reserved ranges (kernel image, device tree, boot
 * archive, /memreserve/, /reserved-memory), plus the kernel's direct-map
 * window [direct_base, direct_base + direct_size). From them pmem derives:
 *
 *   - the RAM ranges: banks trimmed to whole 4 KiB pages, adjacent banks
 *     merged; a page is RAM iff it lies in one of them;
 *   - the reserved ranges: rounded outwards to pages, sorted, merged;
 *   - three segments (after GNU Mach's biosmem, seed 004):
 *       DIRECT  RAM inside the direct-map window (kernel objects live here);
 *       DMA32   other RAM below 4 GiB (32-bit DMA masters);
 *       HIGH    RAM at or above 4 GiB (never kept mapped by the kernel);
 *     every RAM page is in exactly one segment (pmem_seg_of());
 *   - the free ranges: RAM minus reserved, cut at segment boundaries, so
 *     each free range lies in one bank and one segment. Boot code may take
 *     ("steal") aligned pieces of them before the buddy allocator takes the
 *     rest (pmem_seal()); a stolen piece is RAM that is neither free nor
 *     reserved.
 *
 * Invariants (pmem_check): every list sorted and disjoint; free ranges and
 * stolen ranges inside RAM, outside reserved ranges and inside one segment;
 * per segment, RAM pages = free + stolen + reserved-in-RAM pages.
 * All arithmetic on physical addresses is 64-bit and overflow-checked.
 *
 * Locking: pmem_init and pmem_steal run single-threaded at boot; afterwards
 * everything here is read-only.
 */
#ifndef CAIRN_PMEM_H
#define CAIRN_PMEM_H

#include <lib/types.h>

#define PMEM_PAGE_SHIFT 12
#define PMEM_PAGE_SIZE 4096u
#define PMEM_PHYS_BITS 40                 /* LPAE output address size */
#define PMEM_PHYS_LIMIT ((paddr_t)1 << PMEM_PHYS_BITS)
#define PMEM_4G ((paddr_t)1 << 32)

#define PMEM_MAX_BANKS 16                 /* RAM banks as reported */
#define PMEM_MAX_RESERVED 48              /* reserved ranges as given */
#define PMEM_MAX_FREE 96                  /* free ranges after cutting */
#define PMEM_MAX_STOLEN 8                 /* boot-time steals */

/* A physical range [base, base + size). */
struct pmem_range {
	paddr_t base;
	uint64_t size;
};

enum pmem_seg {
	PMEM_SEG_DIRECT = 0,
	PMEM_SEG_DMA32 = 1,
	PMEM_SEG_HIGH = 2,
	PMEM_NSEGS = 3,
};

/* What a stolen range is used for (reports and page_info). */
enum pmem_use {
	PMEM_USE_KHEAP = 0,
	PMEM_USE_OTHER = 1,
	PMEM_USE_FTABLE_PT = 2,       /* page tables of the frame-table region */
};

struct pmem_config {
	const struct pmem_range *banks;
	unsigned nbanks;
	const struct pmem_range *reserved;
	unsigned nreserved;
	paddr_t direct_base;              /* physical start of the direct map */
	uint64_t direct_size;             /* bytes (768 MiB on Cairn/ARM) */
};

struct pmem_seg_info {
	const char *name;                 /* "direct", "dma32", "high" */
	uint64_t ram_pages;               /* RAM pages in the segment */
	uint64_t reserved_pages;          /* of which inside reserved ranges */
	uint64_t stolen_pages;            /* of which stolen at boot */
	uint64_t free_pages;              /* of which in free ranges now */
	paddr_t lo;                       /* lowest RAM address (if ram_pages) */
	paddr_t hi;                       /* end of the highest RAM page */
};

/*
 * Build the map from cfg (copied; the arrays may be freed afterwards).
 * Errors (nothing is kept on error; *why says which input and why):
 *   E_INVAL    no banks, a zero-sized bank, too many banks/reserved ranges
 *   E_OVERFLOW a bank or reserved range or the direct window wraps
 *   E_RANGE    a bank ends beyond 40 bits
 *   E_EXIST    two banks overlap
 *   E_ALIGN    direct_base or direct_size not page aligned
 *   E_NOMEM    more free ranges than PMEM_MAX_FREE after cutting
 */
int pmem_init(const struct pmem_config *cfg, const char **why);

/* Segment of a physical address (meaningful for RAM addresses). O(1). */
unsigned pmem_seg_of(paddr_t pa);
/* "direct", "dma32", "high" (or "?" for an invalid index). */
const char *pmem_seg_name(unsigned seg);
/* Statistics of a segment; seg < PMEM_NSEGS. */
void pmem_seg_info(unsigned seg, struct pmem_seg_info *out);

/* Banks as reported (count and bytes, for the boot summary). */
unsigned pmem_bank_count(void);
uint64_t pmem_ram_bytes(void);          /* sum of reported bank sizes */
uint64_t pmem_ram_pages(void);          /* whole RAM pages */
/* The i-th page-trimmed RAM range (sorted), false past the end. */
bool pmem_ram_range(unsigned i, struct pmem_range *out);
/* Direct-map window as configured. */
void pmem_direct_window(paddr_t *base, uint64_t *size);

/* Is the page containing pa RAM / reserved? O(log n). */
bool pmem_is_ram(paddr_t pa);
bool pmem_is_reserved(paddr_t pa);
/* Does [base, base+size) meet RAM / a reserved range? size > 0 and the
 * range must not wrap (callers validate first); O(log n). */
bool pmem_overlaps_ram(paddr_t base, uint64_t size);
bool pmem_overlaps_reserved(paddr_t base, uint64_t size);

/* Free ranges (sorted) and the segment each lies in. */
unsigned pmem_free_count(void);
bool pmem_free_range(unsigned i, struct pmem_range *out, unsigned *seg);

/*
 * Boot only, before pmem_seal(): take `size` bytes aligned to `align`
 * (a power of two >= 4 KiB) from the top of the highest free range of
 * `seg` that can hold them. The piece is removed from the free ranges and
 * recorded as stolen with `use`. E_INVAL (bad size/align/seg), E_BUSY
 * (sealed), E_NOMEM (no range fits, or too many steals/ranges).
 */
int pmem_steal(unsigned seg, uint64_t size, uint64_t align, unsigned use, paddr_t *out);
/* Stolen ranges, for reports. */
unsigned pmem_stolen_count(void);
bool pmem_stolen_range(unsigned i, struct pmem_range *out, unsigned *use);
/* The buddy allocator owns the free ranges from now on: steals fail. */
void pmem_seal(void);

/* Invariant walker: 0, or E_FORMAT with *why naming the first problem. */
int pmem_check(const char **why);

#endif
