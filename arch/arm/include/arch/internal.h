/*
 * Functions shared between files of the ARM port, not part of the
 * contract with kernel/.
 */
#ifndef ARCH_INTERNAL_H
#define ARCH_INTERNAL_H

#include <cairn/types.h>

/* head.S -> C entry. */
void arch_boot(uint32_t dtb_lo, uint32_t dtb_hi, uint32_t kphys, uint32_t mode);
void arch_mmu_set_kimage_phys(paddr_t pa);
void arch_pmu_init(void);

/* Set by arch_mmu_init(): the TTBR0 identity map is gone. */
extern bool arch_identity_gone;

/* Physical address of an object in the kernel image (static data). */
paddr_t arch_virt_to_phys_kimage(const void *p);
/* User address spaces (uarch.c), for self-tests: the descriptor mapping
 * va (0 if none) and its level; the ASID generation. */
struct uarch_vs;
uint64_t uarch_vs_descriptor(const struct uarch_vs *vs, uintptr_t va, unsigned *level);
uint32_t uarch_asid_generation(void);
/* TTBR0 walks on with an empty user space (end of arch_mmu_init). */
void uarch_init(void);
#endif
