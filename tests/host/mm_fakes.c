/*
 * Host fakes of hal/mm_arch.h for the memory tests (see mm_fakes.h).
 *
 * Linked into every host test program: no main(), and nothing that
 * tests/host/fakes.c already defines.
 */
#define _DEFAULT_SOURCE
#include "mm_fakes.h"

#include <hal/mm_arch.h>
#include <lib/error.h>
#include <mm/buddy.h>
#include <mm/frame.h>
#include <mm/mm.h>
#include <mm/pmem.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FAKE_PAGE 4096u
#define MAX_WINDOWS 64
#define WINDOW_ALIGN 65536u

struct window {
	paddr_t pa;
	size_t len;
	void *map;            /* mmap'd block (len + alignment slack) */
	size_t maplen;
	unsigned char *host;  /* aligned host address standing for pa */
};

static struct {
	uintptr_t base;
	size_t size;
	unsigned char *mapped;    /* per page: 0/1 */
	paddr_t *pa;              /* per page */
	unsigned nmapped;
	unsigned fail_at;
	unsigned calls;
	size_t prepared;          /* bytes from base made mappable */
	paddr_t prepared_pa;      /* the page tables handed over for them */
} region;

static struct window windows[MAX_WINDOWS];
static unsigned nwindows;
static paddr_t direct_base;
static uint64_t direct_size;
static unsigned kmap_calls, kmap_held;
/* mmfake_phys_arena: one lazily backed host mapping for a whole range. */
static struct {
	paddr_t pa;
	uint64_t len;
	unsigned char *host;
} arena;

void mmfake_reset(void)
{
	if (region.base) {
		munmap((void *)region.base, region.size);
		free(region.mapped);
		free(region.pa);
	}
	memset(&region, 0, sizeof(region));
	for (unsigned i = 0; i < nwindows; i++)
		munmap(windows[i].map, windows[i].maplen);
	nwindows = 0;
	if (arena.host)
		munmap(arena.host, arena.len);
	memset(&arena, 0, sizeof(arena));
	direct_base = 0;
	direct_size = 0;
	kmap_calls = 0;
	kmap_held = 0;
}

uintptr_t mmfake_region_create(size_t size)
{
	void *p;

	if (region.base) {
		munmap((void *)region.base, region.size);
		free(region.mapped);
		free(region.pa);
		memset(&region, 0, sizeof(region));
	}
	p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmfake_region_create");
		abort();
	}
	region.base = (uintptr_t)p;
	region.size = size;
	region.mapped = calloc(size / FAKE_PAGE, 1);
	region.pa = calloc(size / FAKE_PAGE, sizeof(paddr_t));
	if (!region.mapped || !region.pa)
		abort();
	return region.base;
}

static long region_page(uintptr_t va)
{
	if (!region.base || va < region.base || va - region.base >= region.prepared ||
	    (va & (FAKE_PAGE - 1)))
		return -1;
	return (long)((va - region.base) / FAKE_PAGE);
}

/* As on ARM LPAE: one 4 KiB level-3 table per 2 MiB of region used. */
#define FAKE_PT_SPAN (2u << 20)

uint64_t mm_arch_backing_cost(uintptr_t va, uintptr_t len)
{
	uintptr_t lo = va & ~(uintptr_t)(FAKE_PT_SPAN - 1);
	uintptr_t hi = (va + len + FAKE_PT_SPAN - 1) & ~(uintptr_t)(FAKE_PT_SPAN - 1);

	return len ? (uint64_t)(hi - lo) / FAKE_PT_SPAN * FAKE_PAGE : 0;
}

int mm_arch_backing_prepare(uintptr_t va, uintptr_t len, paddr_t pa)
{
	uint64_t cost = mm_arch_backing_cost(va, len);

	/* pa must be direct-mapped RAM (checked by address only: the fake
	 * never touches it, so no host memory is made for it) */
	if (!region.base || va != region.base || len > region.size || region.prepared ||
	    (pa & (FAKE_PAGE - 1)) || pa < direct_base || cost > direct_size ||
	    pa - direct_base > direct_size - cost)
		return E_INVAL;
	region.prepared = len;
	region.prepared_pa = pa;
	return 0;
}

size_t mmfake_prepared(void)
{
	return region.prepared;
}

int mm_arch_map_backing(uintptr_t va, paddr_t pa)
{
	long pg = region_page(va);

	region.calls++;
	if (region.fail_at && --region.fail_at == 0)
		return E_NOMEM;
	if (pg < 0 || region.mapped[pg] || (pa & (FAKE_PAGE - 1)))
		return E_INVAL;
	if (mprotect((void *)va, FAKE_PAGE, PROT_READ | PROT_WRITE) != 0)
		return E_NOMEM;
	/* contents are garbage on real hardware: make them so here too */
	memset((void *)va, 0xA5, FAKE_PAGE);
	region.mapped[pg] = 1;
	region.pa[pg] = pa;
	region.nmapped++;
	return 0;
}

void mm_arch_unmap_backing(uintptr_t va)
{
	long pg = region_page(va);

	if (pg < 0 || !region.mapped[pg]) {
		fprintf(stderr, "mm_fakes: unmap of an unmapped table page\n");
		abort();
	}
	madvise((void *)va, FAKE_PAGE, MADV_DONTNEED);
	mprotect((void *)va, FAKE_PAGE, PROT_NONE);
	region.mapped[pg] = 0;
	region.pa[pg] = 0;
	region.nmapped--;
}

unsigned mmfake_backing_mapped(void)
{
	return region.nmapped;
}

bool mmfake_is_backed(uintptr_t va)
{
	long pg = region_page(va & ~(uintptr_t)(FAKE_PAGE - 1));

	return pg >= 0 && region.mapped[pg];
}

paddr_t mmfake_backing_pa(uintptr_t va)
{
	long pg = region_page(va & ~(uintptr_t)(FAKE_PAGE - 1));

	return pg >= 0 ? region.pa[pg] : 0;
}

void mmfake_backing_fail_at(unsigned n)
{
	region.fail_at = n;
}

void mmfake_set_direct(paddr_t base, uint64_t size)
{
	direct_base = base;
	direct_size = size;
}

void *mmfake_phys(paddr_t pa, size_t len)
{
	struct window *w;
	size_t maplen;
	uintptr_t p;

	if (len == 0)
		return NULL;
	for (unsigned i = 0; i < nwindows; i++) {
		w = &windows[i];
		if (pa >= w->pa && pa - w->pa <= w->len && len <= w->len - (pa - w->pa))
			return w->host + (pa - w->pa);
		if (pa < w->pa + w->len && w->pa < pa + len)
			return NULL; /* partial overlap: the fake cannot merge */
	}
	if (arena.host && pa >= arena.pa && len <= arena.len && pa - arena.pa <= arena.len - len)
		return arena.host + (pa - arena.pa);
	if (nwindows == MAX_WINDOWS)
		return NULL;
	w = &windows[nwindows];
	maplen = len + WINDOW_ALIGN;
	w->map = mmap(NULL, maplen, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (w->map == MAP_FAILED)
		return NULL;
	w->maplen = maplen;
	p = ((uintptr_t)w->map + WINDOW_ALIGN - 1) & ~(uintptr_t)(WINDOW_ALIGN - 1);
	w->host = (unsigned char *)p;
	w->pa = pa;
	w->len = len;
	nwindows++;
	return w->host;
}

int mmfake_phys_arena(paddr_t pa, uint64_t len)
{
	void *p;

	if (arena.host)
		return E_EXIST;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
		 0);
	if (p == MAP_FAILED)
		return E_NOMEM;
	arena.pa = pa;
	arena.len = len;
	arena.host = p;
	return 0;
}

void *mm_arch_direct_va(paddr_t pa, size_t len)
{
	if (len == 0 || pa < direct_base || pa - direct_base >= direct_size ||
	    len > direct_size - (pa - direct_base))
		return NULL;
	return mmfake_phys(pa, len);
}

void mm_arch_zero_pages(void *va, size_t bytes)
{
	if (((uintptr_t)va & (FAKE_PAGE - 1)) || (bytes & (FAKE_PAGE - 1))) {
		fprintf(stderr, "mm_fakes: zero_pages of %zu bytes at %p\n", bytes, va);
		abort();
	}
	memset(va, 0, bytes);
}

void mm_arch_copy(void *dst, const void *src, size_t bytes)
{
	memcpy(dst, src, bytes);
}

void *mm_arch_kmap(paddr_t pa)
{
	void *va;

	kmap_calls++;
	if (kmap_held || (pa & (FAKE_PAGE - 1)))
		return NULL;
	va = mmfake_phys(pa, FAKE_PAGE);
	if (va)
		kmap_held++;
	return va;
}

void mm_arch_kunmap(void *va)
{
	if (!va || !kmap_held) {
		fprintf(stderr, "mm_fakes: kunmap without kmap\n");
		abort();
	}
	kmap_held--;
}

unsigned mmfake_kmap_calls(void)
{
	return kmap_calls;
}

unsigned mmfake_kmap_held(void)
{
	return kmap_held;
}

int mmfake_init_core(const struct pmem_config *cfg, size_t region_size)
{
	uintptr_t va;
	const char *why = NULL;
	int err;

	mmfake_reset();
	va = mmfake_region_create(region_size);
	mmfake_set_direct(cfg->direct_base, cfg->direct_size);
	err = pmem_init(cfg, &why);
	if (!err)
		err = frame_init(va, region_size, &why);
	if (!err) {
		struct frame_layout fl;

		/* the tables' memory is not taken from pmem here: only mm_init
		 * does that; the fake never touches it */
		frame_layout(&fl);
		err = mm_arch_backing_prepare(va, fl.va_used, cfg->direct_base);
		why = err ? "prepare" : why;
	}
	if (!err)
		err = buddy_init(&why);
	if (err)
		printf("    # mmfake_init_core: %s (%s)\n", why ? why : "?", err_name(err));
	return err;
}

int mmfake_boot(const struct mm_config *cfg, struct mm_status *st)
{
	struct mm_config c = *cfg;
	int err;

	mmfake_reset();
	c.ftable_va = mmfake_region_create(c.ftable_size);
	mmfake_set_direct(c.direct_base, c.direct_size);
	err = mm_init(&c, st);
	if (err)
		printf("    # mmfake_boot: %s (%s)\n", st->why ? st->why : "?", err_name(err));
	return err;
}

int mmfake_boot_bank(uint64_t ram, uint64_t heap, const struct mm_device *devs, unsigned ndevs)
{
	static struct pmem_range bank;
	static const struct pmem_range rsv = { 0x40010000, 0x200000 };
	struct mm_config cfg = { 0 };
	struct mm_status st;

	bank.base = 1ull << 30;
	bank.size = ram;
	cfg.banks = &bank;
	cfg.nbanks = 1;
	cfg.reserved = &rsv;
	cfg.nreserved = 1;
	cfg.devices = devs;
	cfg.ndevices = ndevs;
	cfg.direct_base = 1ull << 30;
	cfg.direct_size = 768ull << 20;
	cfg.ftable_size = 16u << 20;
	cfg.kheap_override = heap;
	return mmfake_boot(&cfg, &st);
}
