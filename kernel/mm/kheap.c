/*
 * kheap: the boot-sized object heap, layer 1 (heap pages); see
 * mm/kheap.h for the model and kcache.c for the object caches.
 *
 * Design: the region [base, base + size) is cut into 4 KiB pages; two
 * bitmaps (page in use; page starts a block) occupy the first page(s) of
 * the region itself, so the heap costs nothing outside itself and its
 * metadata is proportional to it (2 bits per 4 KiB: 1 KiB for 16 MiB).
 * The head bits let kheap_page_free reject a wrong order. Bits past the last page are set
 * so that no search can return them. Blocks of 2^order pages are aligned
 * to their size, which with a 64 KiB aligned base makes every slab aligned
 * to its size and lets kcache find a slab by masking an object's address.
 *
 *   region: | bitmap | page | page | page | ... |
 *   bits:      1       0/1    0/1
 *
 * Allocation is first fit from a hint (the lowest word that may have a
 * free bit); this layer is only used when a cache needs a new slab, never
 * on the object fast path.
 *
 * Invariants (kheap_check): free_pages = zero bits below npages; bitmap
 * pages and padding bits set; no zero bit below the hint's word.
 * Locking: kernel lock.
 */
#include <lib/error.h>
#include <lib/string.h>
#include <mm/kheap.h>

static struct {
	bool ready;
	uintptr_t base;
	paddr_t pa;
	uint64_t size;
	uint32_t npages;
	uint32_t nwords;
	uint32_t meta_pages;
	uint32_t free_pages;
	uint32_t hint;
	uint32_t *bitmap;        /* 1 = page in use */
	uint32_t *heads;         /* 1 = first page of an allocated block */
} kh;

uint64_t kheap_size_for(uint64_t ram_bytes)
{
	uint64_t s = ALIGN_DOWN(ram_bytes / 64, (uint64_t)KHEAP_GRANULE);

	return MIN(MAX(s, KHEAP_FORMULA_MIN), KHEAP_FORMULA_MAX);
}

uint64_t kheap_choose_size(uint64_t ram_bytes, uint64_t direct_free, uint64_t override,
			   const char **warn)
{
	uint64_t cap = ALIGN_DOWN(direct_free / 4, (uint64_t)KHEAP_GRANULE);
	const char *dummy;

	if (!warn)
		warn = &dummy;
	*warn = NULL;
	if (override) {
		uint64_t ov = ALIGN_UP(MIN(override, KHEAP_OVERRIDE_MAX), (uint64_t)KHEAP_GRANULE);

		if (override < KHEAP_OVERRIDE_MIN || override > KHEAP_OVERRIDE_MAX)
			*warn = "kheap= outside [256 KiB, 256 MiB]; using the formula";
		else if (ov > direct_free / 2)
			*warn = "kheap= larger than half the free direct memory; using the formula";
		else
			return ov;
	}
	return MIN(kheap_size_for(ram_bytes), cap);
}

/* Bumped by every kheap_init: caches made on an earlier heap are gone. */
static uint32_t kh_generation;

uint32_t kheap_generation(void)
{
	return kh_generation;
}

int kheap_init(paddr_t pa, void *va, uint64_t size, const char **why)
{
	uint32_t npages, nwords, meta_bytes, meta_pages;
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (size == 0 || !IS_ALIGNED(size, (uint64_t)KHEAP_GRANULE) ||
	    size / KHEAP_PAGE_SIZE > (1u << 24) || !va) {
		*why = "heap size not a positive multiple of 64 KiB (at most 64 GiB)";
		return E_INVAL;
	}
	if (!IS_ALIGNED((uintptr_t)va, (uintptr_t)KHEAP_GRANULE) ||
	    !IS_ALIGNED(pa, (paddr_t)KHEAP_PAGE_SIZE)) {
		*why = "heap not 64 KiB aligned in virtual memory";
		return E_ALIGN;
	}
	npages = (uint32_t)(size / KHEAP_PAGE_SIZE);
	nwords = (npages + 31) / 32;
	meta_bytes = nwords * 8;          /* two bitmaps */
	meta_pages = (meta_bytes + KHEAP_PAGE_SIZE - 1) / KHEAP_PAGE_SIZE;
	/* decided: act */
	kh_generation++;
	memset(&kh, 0, sizeof(kh));
	kh.base = (uintptr_t)va;
	kh.pa = pa;
	kh.size = size;
	kh.npages = npages;
	kh.nwords = nwords;
	kh.meta_pages = meta_pages;
	kh.bitmap = va;
	kh.heads = kh.bitmap + nwords;
	memset(va, 0, (size_t)meta_pages * KHEAP_PAGE_SIZE);
	for (uint32_t p = 0; p < meta_pages; p++)
		kh.bitmap[p / 32] |= 1u << (p % 32);
	for (uint32_t p = npages; p < nwords * 32; p++)
		kh.bitmap[p / 32] |= 1u << (p % 32);
	kh.free_pages = npages - meta_pages;
	kh.hint = meta_pages / 32;
	kh.ready = true;
	return 0;
}

int kheap_page_alloc(unsigned order, void **out)
{
	uint32_t n, mask;

	if (!kh.ready || order > KHEAP_MAX_SLAB_ORDER || !out)
		return E_INVAL;
	n = 1u << order;
	mask = (1u << n) - 1;     /* n <= 16 */
	if (kh.free_pages < n)
		return E_NOMEM;
	for (uint32_t w = kh.hint; w < kh.nwords; w++) {
		uint32_t bits = kh.bitmap[w];

		if (bits == 0xFFFFFFFFu) {
			if (w == kh.hint)
				kh.hint = w + 1;
			continue;
		}
		for (uint32_t g = 0; g < 32; g += n)
			if (!(bits & (mask << g))) {
				kh.bitmap[w] = bits | mask << g;
				kh.heads[w] |= 1u << g;
				kh.free_pages -= n;
				*out = (void *)(kh.base + ((uintptr_t)(w * 32 + g) * KHEAP_PAGE_SIZE));
				return 0;
			}
	}
	return E_NOMEM;
}

int kheap_page_free(void *va, unsigned order)
{
	uintptr_t off = (uintptr_t)va - kh.base;
	uint32_t page, n, mask, w, g;

	if (!kh.ready || order > KHEAP_MAX_SLAB_ORDER || (uintptr_t)va < kh.base ||
	    off >= kh.size || !IS_ALIGNED(off, (uintptr_t)KHEAP_PAGE_SIZE << order))
		return E_INVAL;
	page = (uint32_t)(off / KHEAP_PAGE_SIZE);
	n = 1u << order;
	mask = (1u << n) - 1;
	w = page / 32;
	g = page % 32;
	/* a block: head bit at its first page, used pages with no other head,
	 * and the page after it not a continuation (used without a head) */
	if (page < kh.meta_pages || (kh.bitmap[w] & (mask << g)) != mask << g ||
	    (kh.heads[w] & (mask << g)) != 1u << g)
		return E_INVAL;
	if (page + n < kh.npages) {
		uint32_t nx = page + n;

		if ((kh.bitmap[nx / 32] >> (nx % 32) & 1) && !(kh.heads[nx / 32] >> (nx % 32) & 1))
			return E_INVAL;
	}
	kh.bitmap[w] &= ~(mask << g);
	kh.heads[w] &= ~(1u << g);
	kh.free_pages += n;
	if (w < kh.hint)
		kh.hint = w;
	return 0;
}

uint64_t kheap_size(void)
{
	return kh.ready ? kh.size : 0;
}

uint64_t kheap_usable_bytes(void)
{
	return kh.ready ? (uint64_t)(kh.npages - kh.meta_pages) * KHEAP_PAGE_SIZE : 0;
}

uint64_t kheap_free_bytes(void)
{
	return kh.ready ? (uint64_t)kh.free_pages * KHEAP_PAGE_SIZE : 0;
}

paddr_t kheap_pa(void)
{
	return kh.pa;
}

void *kheap_va(void)
{
	return (void *)kh.base;
}

int kheap_check(const char **why)
{
	uint32_t zeros = 0;
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (!kh.ready)
		return 0;
	for (uint32_t p = 0; p < kh.nwords * 32; p++) {
		bool used = (kh.bitmap[p / 32] >> (p % 32)) & 1;

		if ((p < kh.meta_pages || p >= kh.npages) && !used) {
			*why = "bitmap page or padding bit clear";
			return E_FORMAT;
		}
		if (!used && (kh.heads[p / 32] >> (p % 32) & 1)) {
			*why = "block head bit on a free page";
			return E_FORMAT;
		}
		if (!used) {
			if (p / 32 < kh.hint) {
				*why = "free heap page below the search hint";
				return E_FORMAT;
			}
			zeros++;
		}
	}
	if (zeros != kh.free_pages) {
		*why = "free page count differs from the bitmap";
		return E_FORMAT;
	}
	return 0;
}
