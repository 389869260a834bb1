/*
 * mm_arch: the hooks the portable memory code needs from the architecture.
 *
 * Kernel memory management (pmem, frame, buddy, kheap, kcache, devrange,
 * pool) is portable C; everything it needs that involves page tables is
 * one of the nine functions below, implemented by arch/<arch>/ and faked
 * by tests/host/mm_fakes.c. None of them may call back into the allocator
 * (they run with allocator state half-updated), none of them may sleep,
 * and all of them are called with the kernel lock held.
 *
 * The frame-table region is a range of kernel virtual addresses chosen by
 * the arch port and given to frame_init (base and size, page aligned). The
 * arch port must be able to install a 4 KiB page in the part of it the
 * index uses without allocating. Since that part is known only once the
 * RAM is (a 128 MiB region serves 64 GiB, a 1 GiB machine uses 2 MiB of
 * it), boot asks the port what the part costs in page tables
 * (mm_arch_backing_cost), takes that much from direct memory and hands it
 * over (mm_arch_backing_prepare) before the first chunk is backed: on ARM
 * LPAE, one 4 KiB level-3 table per 2 MiB of table, i.e. per GiB of RAM
 * index space.
 */
#ifndef CAIRN_MM_ARCH_H
#define CAIRN_MM_ARCH_H

#include <lib/types.h>

/*
 * Bytes of physical memory (a multiple of the page size, possibly 0) the
 * port needs to make every page of [va, va + len) mappable by
 * mm_arch_map_backing; [va, va + len) lies in the frame-table region.
 */
uint64_t mm_arch_backing_cost(uintptr_t va, uintptr_t len);

/*
 * Make [va, va + len) mappable, using the mm_arch_backing_cost(va, len)
 * bytes of direct-mapped RAM at the page-aligned `pa`, which the port owns
 * from then on (it zeroes them itself). Called once, at boot, before any
 * mm_arch_map_backing. E_INVAL if the range is outside the region or pa
 * is unusable (not page aligned, not direct-mapped); nothing changes then.
 */
int mm_arch_backing_prepare(uintptr_t va, uintptr_t len, paddr_t pa);

/*
 * Map the RAM frame `pa` at the page-aligned `va` inside the prepared part
 * of the frame-table region: normal write-back cacheable, kernel read-write, never
 * executable. The page was unmapped before. Returns 0, or a negative error
 * (E_INVAL for an address outside the prepared part or already mapped, E_NOMEM if
 * the port cannot install the mapping); on error nothing is mapped. The
 * caller zeroes the page itself after a successful call.
 */
int mm_arch_map_backing(uintptr_t va, paddr_t pa);

/*
 * Undo mm_arch_map_backing for `va` (used only to roll back a chunk whose
 * second page could not be mapped). Includes the TLB invalidation.
 */
void mm_arch_unmap_backing(uintptr_t va);

/*
 * Kernel virtual address of [pa, pa + len) through the direct map, or NULL
 * if any byte of it is outside the direct map. Pure arithmetic, no side
 * effects; used for the object heap and for zeroing DIRECT frames.
 */
void *mm_arch_direct_va(paddr_t pa, size_t len);

/*
 * Zero `bytes` (a multiple of the page size, possibly 0) at the page-aligned
 * kernel address `va` (the direct map or a kmap), with the port's fastest
 * stores. Used by frame_zero for every zeroed frame.
 */
void mm_arch_zero_pages(void *va, size_t bytes);
/*
 * Copy `bytes` from `src` to `dst` (kernel addresses, not overlapping, any
 * alignment) with the port's fastest loads and stores when both are word
 * aligned. Used to load the root task's program into its frames.
 */
void mm_arch_copy(void *dst, const void *src, size_t bytes);
/*
 * A short-lived kernel mapping of the one RAM page at the page-aligned
 * `pa` (any segment, typically DMA32 or HIGH), normal write-back, kernel
 * read-write. Returns its address or NULL if no mapping slot is free. At
 * most one kmap is held at a time by the memory code; it is released with
 * mm_arch_kunmap (which invalidates the TLB entry) before the next one.
 */
void *mm_arch_kmap(paddr_t pa);
void mm_arch_kunmap(void *va);

#endif
