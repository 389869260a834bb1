/*
 * Host fakes of the user-mode contract (hal/uarch.h) for tests of the
 * portable capability code: an address space is a list of mapped ranges,
 * page tables are pages taken through the caller's allocator (one root
 * page, plus one per 2 MiB region touched), so quota charging of page
 * tables is exercised; "interrupt pending" is driven by the test.
 */
#include "uarch_fakes.h"

#include <cairn/abi.h>
#include <hal/arch.h>
#include <hal/plat.h>
#include <lib/error.h>
#include <lib/irq.h>
#include <lib/spinlock.h>

#include <stdlib.h>
#include <string.h>

#define MAXMAP 4096
#define MAXPT 1024

struct fmap {
	const struct uarch_vs *vs;
	uintptr_t va;
	uint64_t size;
	paddr_t pa;
	unsigned attr, rights;
};
struct fpt {
	const struct uarch_vs *vs;
	uintptr_t region;            /* 2 MiB region, or ~0 for the root */
	paddr_t pa;
};

static struct fmap maps[MAXMAP];
static unsigned maps_hi;             /* maps[maps_hi..] have never been used since the reset */
static struct fpt pts[MAXPT];
static unsigned pending_after, pending_calls, pending_hits;
static const struct uarch_vs *active;
static unsigned invalidations;

static void (*relax_fn)(void);

void ufake_reset(void)
{
	memset(maps, 0, sizeof(maps));
	maps_hi = 0;
	memset(pts, 0, sizeof(pts));
	pending_after = pending_calls = pending_hits = 0;
	active = NULL;
	invalidations = 0;
	relax_fn = NULL;
}

void ufake_irq_pending_every(unsigned n)
{
	pending_after = n;
	pending_calls = 0;
}

unsigned ufake_irq_pending_hits(void)
{
	return pending_hits;
}

unsigned ufake_invalidations(void)
{
	return invalidations;
}

unsigned ufake_mappings(const struct uarch_vs *vs)
{
	unsigned n = 0;

	for (unsigned i = 0; i < maps_hi; i++)
		if (maps[i].vs == vs && maps[i].size)
			n++;
	return n;
}

bool uarch_irq_pending(void)
{
	if (!pending_after)
		return false;
	if (++pending_calls % pending_after == 0) {
		pending_hits++;
		return true;
	}
	return false;
}

static int pt_get(struct uarch_vs *vs, const struct uarch_pt_alloc *pta, uintptr_t region)
{
	int free_i = -1;
	paddr_t pa;
	int err;

	for (int i = 0; i < MAXPT; i++) {
		if (pts[i].vs == vs && pts[i].region == region)
			return 0;
		if (!pts[i].vs && free_i < 0)
			free_i = i;
	}
	if (free_i < 0)
		return E_NOMEM;
	err = pta->alloc(pta->ctx, &pa);
	if (err)
		return err;
	pts[free_i].vs = vs;
	pts[free_i].region = region;
	pts[free_i].pa = pa;
	vs->tables++;
	return 0;
}

int uarch_vs_init(struct uarch_vs *vs, const struct uarch_pt_alloc *pta)
{
	memset(vs, 0, sizeof(*vs));
	return pt_get(vs, pta, ~(uintptr_t)0);
}

int uarch_vs_map(struct uarch_vs *vs, const struct uarch_pt_alloc *pta, uintptr_t va,
		 paddr_t pa, uint64_t size, unsigned attr, unsigned rights)
{
	int free_i = -1;

	if ((va | pa | size) & 0xfff)
		return E_ALIGN;
	if (size == 0 || va + size > UARCH_USER_TOP || va + size < va)
		return E_RANGE;
	if ((rights & R_WRITE) && (rights & R_EXEC))
		return E_INVAL;
	for (int i = 0; i < (int)maps_hi; i++) {
		if (maps[i].vs == vs && maps[i].size && va < maps[i].va + maps[i].size &&
		    maps[i].va < va + size)
			return E_EXIST;
		if (!maps[i].size && free_i < 0)
			free_i = i;
	}
	if (free_i < 0 && maps_hi < MAXMAP)
		free_i = (int)maps_hi;
	if (free_i < 0)
		return E_NOMEM;
	/* One table page per 2 MiB region (all-or-nothing is the arch's
	 * job; the fake takes the tables before recording the mapping). */
	for (uintptr_t r = va >> 21; r <= (va + size - 1) >> 21; r++) {
		int err = pt_get(vs, pta, r);

		if (err)
			return err;
	}
	maps[free_i] = (struct fmap){ vs, va, size, pa, attr, rights };
	if ((unsigned)free_i >= maps_hi)
		maps_hi = (unsigned)free_i + 1;
	vs->pages_mapped += (uint32_t)(size >> 12);
	return 0;
}

int uarch_vs_unmap(struct uarch_vs *vs, const struct uarch_pt_alloc *pta, uintptr_t va,
		   uint64_t size)
{
	(void)pta;
	if ((va | size) & 0xfff)
		return E_ALIGN;
	if (size == 0 || va >= UARCH_USER_TOP || size > UARCH_USER_TOP - va)
		return E_RANGE;
	/* The fake's translations are whole mappings: cutting one is the
	 * arch's E_ALIGN, as cutting a block is. */
	for (int i = 0; i < (int)maps_hi; i++)
		if (maps[i].vs == vs && maps[i].size && va < maps[i].va + maps[i].size &&
		    maps[i].va < va + size && (va > maps[i].va || va + size < maps[i].va + maps[i].size))
			return E_ALIGN;
	for (int i = 0; i < (int)maps_hi; i++)
		if (maps[i].vs == vs && maps[i].size && va <= maps[i].va &&
		    maps[i].va + maps[i].size <= va + size) {
			vs->pages_mapped -= (uint32_t)(maps[i].size >> 12);
			memset(&maps[i], 0, sizeof(maps[i]));
			invalidations++;
		}
	return 0;
}

int uarch_vs_query(const struct uarch_vs *vs, uintptr_t va, paddr_t *pa, unsigned *attr,
		   unsigned *rights)
{
	for (int i = 0; i < (int)maps_hi; i++)
		if (maps[i].vs == vs && maps[i].size && va >= maps[i].va &&
		    va < maps[i].va + maps[i].size) {
			*pa = maps[i].pa + (va - maps[i].va);
			*attr = maps[i].attr;
			*rights = maps[i].rights;
			return 0;
		}
	return E_NOENT;
}

/* The fake's tables are its records: pages and tables counted from them,
 * every mapping page aligned, W+X refused. */
int uarch_vs_check(const struct uarch_vs *vs, uint32_t *items, const char **why)
{
	uint32_t pages = 0, tables = 0;

	for (int i = 0; i < (int)maps_hi; i++) {
		if (maps[i].vs != vs || !maps[i].size)
			continue;
		(*items)++;
		if ((maps[i].va | maps[i].size) & 0xfff) {
			*why = "a fake mapping not page aligned";
			return E_FORMAT;
		}
		if ((maps[i].rights & R_WRITE) && (maps[i].rights & R_EXEC)) {
			*why = "a fake mapping both writable and executable";
			return E_FORMAT;
		}
		pages += (uint32_t)(maps[i].size >> 12);
	}
	for (int i = 0; i < MAXPT; i++)
		tables += pts[i].vs == vs;
	if (pages != vs->pages_mapped || tables != vs->tables) {
		*why = "fake address space counts differ from its records";
		return E_FORMAT;
	}
	return 0;
}

void uarch_vs_destroy(struct uarch_vs *vs, const struct uarch_pt_alloc *pta)
{
	for (int i = 0; i < (int)maps_hi; i++)
		if (maps[i].vs == vs)
			memset(&maps[i], 0, sizeof(maps[i]));
	for (int i = 0; i < MAXPT; i++)
		if (pts[i].vs == vs) {
			pta->free(pta->ctx, pts[i].pa);
			memset(&pts[i], 0, sizeof(pts[i]));
		}
	vs->tables = 0;
	vs->pages_mapped = 0;
	if (active == vs)
		active = NULL;
}

/* (Read only by the shared fast paths, which never run here.) */
uint32_t uarch_asid_gen = 0;

void uarch_vs_activate(struct uarch_vs *vs)
{
	active = vs;
}

void uarch_ctx_init(struct uctx *ctx, uintptr_t pc, uintptr_t sp, uint32_t arg)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->pc = (uint32_t)pc;
	ctx->sp = (uint32_t)sp;
	ctx->r[0] = arg;
	ctx->cpsr = 0x10;
}

uint32_t uarch_sanitize_cpsr(uint32_t cpsr)
{
	return (cpsr & 0xf80f0000u) | 0x10;
}

NORETURN void uarch_enter_user(struct uctx *ctx)
{
	(void)ctx;
	abort();
}

int uarch_copy_from_user(void *dst, uintptr_t usrc, size_t len)
{
	if (!usrc)
		return E_FAULT;
	memcpy(dst, (const void *)usrc, len);
	return 0;
}

int uarch_copy_to_user(uintptr_t udst, const void *src, size_t len)
{
	if (!udst)
		return E_FAULT;
	memcpy((void *)udst, src, len);
	return 0;
}

/* Arch and platform entry points the capability code reaches. */
uint64_t arch_cycles(void)
{
	static uint64_t c;

	return c += 10;
}

void arch_irq_enable(void)
{
}

void arch_wait_for_interrupt(void)
{
}

/* One CPU on the host: nothing ever waits for a lock or an interrupt
 * from another CPU (a test plays the other CPUs in ufake_on_relax). */
void arch_spin_wait(void)
{
}

void arch_spin_signal(void)
{
}

void ufake_on_relax(void (*fn)(void))
{
	relax_fn = fn;
}

void arch_spin_relax(void)
{
	if (relax_fn)
		relax_fn();
}

void plat_ipi_send(unsigned index, enum plat_ipi ipi)
{
	(void)index;
	(void)ipi;
}

unsigned plat_ipi_irq(enum plat_ipi ipi)
{
	return (unsigned)ipi;
}

void plat_irq_route(unsigned irq, unsigned index)
{
	(void)irq;
	(void)index;
}

void uarch_init_cpu(void)
{
}

void uarch_set_space_probe(struct uarch_vs *(*probe)(unsigned index))
{
	(void)probe;
}

void uarch_set_space_unload(void (*unload)(const struct uarch_vs *vs))
{
	(void)unload;
}

void uarch_smp_entries(bool solo)
{
	(void)solo;
}

void arch_pmu_user_access(bool on)
{
	(void)on;
}

static bool masked[1024];

void plat_irq_mask(unsigned irq)
{
	if (irq < 1024)
		masked[irq] = true;
}

void plat_irq_unmask(unsigned irq)
{
	if (irq < 1024)
		masked[irq] = false;
}

bool ufake_irq_masked(unsigned irq)
{
	return irq < 1024 && masked[irq];
}

unsigned plat_irq_limit(void)
{
	return 288;
}

uint64_t plat_timer_ticks(void)
{
	return 0;
}

void plat_irq_dispatch(void)
{
}
