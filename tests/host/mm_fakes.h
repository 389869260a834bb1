/*
 * Host fakes of the memory hooks (hal/mm_arch.h) and their controls.
 *
 * The frame-table region is a real host reservation made PROT_NONE:
 * mm_arch_map_backing makes one page of it readable and writable, so a
 * test that touches a table entry whose page was never backed crashes,
 * which is the point (laziness is checked by the MMU, not by trust).
 * "Physical memory" that the kernel code reads or writes (object heap,
 * zeroing) is host memory created on demand per physical window.
 */
#ifndef MM_FAKES_H
#define MM_FAKES_H

#include <lib/types.h>
#include <mm/mm.h>
#include <mm/pmem.h>

/* Forget every fake mapping, window and counter (call first in a case). */
void mmfake_reset(void);
/* Reserve a fresh PROT_NONE frame-table region of `size` bytes. */
uintptr_t mmfake_region_create(size_t size);
/* Bytes of the region made mappable by mm_arch_backing_prepare (the
 * fake costs what ARM LPAE does: 4 KiB of tables per 2 MiB of region). */
size_t mmfake_prepared(void);
/* Table pages currently mapped, and whether the page at va is. */
unsigned mmfake_backing_mapped(void);
bool mmfake_is_backed(uintptr_t va);
/* The physical frame mapped at va (0 if none). */
paddr_t mmfake_backing_pa(uintptr_t va);
/* Make the n-th next mm_arch_map_backing call (1 = the next) fail with
 * E_NOMEM; 0 disables. */
void mmfake_backing_fail_at(unsigned n);
/* Physical window treated as direct-mapped by mm_arch_direct_va. */
void mmfake_set_direct(paddr_t base, uint64_t size);
/* Host memory standing for [pa, pa + len) (created zeroed on first use),
 * or NULL if it would partly overlap an existing window. */
void *mmfake_phys(paddr_t pa, size_t len);
/* From now on (until the next reset), memory of [pa, pa + len) outside
 * the windows made so far is one lazily backed host mapping, so that any
 * block of it can be reached whatever blocks were reached before (long
 * randomized runs allocate and free frames in every order). */
int mmfake_phys_arena(paddr_t pa, uint64_t len);
/* kmap calls so far, and kmaps still held. */
unsigned mmfake_kmap_calls(void);
unsigned mmfake_kmap_held(void);

/* Reset, then pmem_init + frame_init(region of region_size) + buddy_init. */
int mmfake_init_core(const struct pmem_config *cfg, size_t region_size);

/* Reset, then mm_init(cfg) with a fresh region of cfg->ftable_size bytes
 * (cfg->ftable_va is ignored) and cfg's direct window. */
int mmfake_boot(const struct mm_config *cfg, struct mm_status *st);

/* Boot the memory subsystem on one bank of `ram` bytes at 1 GiB (768 MiB
 * of it direct-mapped), a 2 MiB reservation at 0x4001_0000, the given
 * devices and a `heap`-byte object heap; 0 or the error of mm_init. */
int mmfake_boot_bank(uint64_t ram, uint64_t heap, const struct mm_device *devs,
		     unsigned ndevs);

#endif
