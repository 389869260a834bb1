/*
 * Functions shared between files of the ARM port, not part of the
 * contract with kernel/.
 */
#ifndef ARCH_INTERNAL_H
#define ARCH_INTERNAL_H

#include <lib/types.h>

/* head.S -> C entry. */
void arch_boot(uint32_t dtb_lo, uint32_t dtb_hi, uint32_t kphys, uint32_t mode);
void arch_mmu_set_kimage_phys(paddr_t pa);
void arch_pmu_init(void);
/* head.S -> C entry of a secondary CPU (boot.c), and its translation
 * regime and PMU (smp.c). */
void arch_secondary_boot(uint32_t index, uint32_t mode);
void arch_secondary_cpu_init(void);
/* Where a secondary enters (head.S secondary_entry, physical). */
void arch_set_secondary_entry(paddr_t pa);
/* The vector tables uarch_smp_entries switches between (vectors.S). */
void arch_set_smp_vectors(const void *locking, const void *alone);

/* Set by arch_mmu_init(): the TTBR0 identity map is gone. */
extern bool arch_identity_gone;

/* Physical address of an object in the kernel image (static data). */
paddr_t arch_virt_to_phys_kimage(const void *p);
/* User address spaces (vspace.c), for self-tests: the descriptor
 * translating va and its level (1..3; 0 if it is not valid); the number of
 * valid entries the level-2 or level-3 table covering va holds, as
 * counted in its table descriptor; the ASID generation, and a rollover
 * now (as when the ASIDs run out; the empty space becomes current). */
struct uarch_vs;
uint64_t uarch_vs_descriptor(const struct uarch_vs *vs, uintptr_t va, unsigned *level);
unsigned uarch_vs_table_entries(const struct uarch_vs *vs, uintptr_t va, unsigned level);
uint32_t uarch_asid_generation(void);
/* The generation itself: a space's TTBR0 value is current while its
 * asid_gen equals it (the svc vector's IPC fast path reads it). */
extern uint32_t uarch_asid_gen;
void uarch_asid_force_rollover(void);
/* TTBR0 walks on with an empty user space, VFP off for user mode (end of
 * arch_mmu_init). */
void uarch_init(void);

/* Traps from user mode other than the svc path (uarch.c, from vectors.S). */
struct uctx;
struct uctx *arch_user_trap(struct uctx *ctx, uint32_t kind);
struct uctx *arch_user_trap_smp(struct uctx *ctx, uint32_t kind);

/*
 * Running user code from a kernel self-test, without threads: enter ctx
 * (in the address space activated last) and come back when the hook
 * returns NULL. The hook sees every trap from user mode as (ctx, kind
 * (enum trap_kind), decoded fault or NULL for svc) and returns the context
 * to resume, normally ctx; interrupts are dispatched without it. With
 * hook_svc, svc from user mode reaches the hook too (a second vector table
 * routes it through the general path); without, svc takes the real system
 * call path (kentry_syscall). Traps during the run use the kernel stack
 * below the caller's frame.
 */
struct ufault;
typedef struct uctx *(*uarch_test_hook_fn)(struct uctx *ctx, uint32_t kind,
					   const struct ufault *f, void *arg);
void uarch_test_run(struct uctx *ctx, uarch_test_hook_fn hook, void *arg, bool hook_svc);
/* vectors.S: the two halves of uarch_test_run. */
void uarch_test_enter(struct uctx *ctx);
NORETURN void uarch_test_leave(void);
#endif
