/*
 * The contract between portable kernel code and the architecture port.
 *
 * kernel/ calls only these functions for anything that needs CP15, inline
 * assembly or knowledge of the page-table format; arch/arm/ implements
 * them. Host unit tests provide small fakes.
 */
#ifndef CAIRN_ARCH_H
#define CAIRN_ARCH_H

#include <lib/types.h>

struct dt_info;

/* Interrupt masking; nests by saving the previous state. arch_irq_restore
 * puts back exactly the saved state, masking again if it was masked (the
 * kernel runs with interrupts masked: every exception masks them, and a
 * return to user mode must start masked). */
uint32_t arch_irq_save(void);
void arch_irq_restore(uint32_t state);
void arch_irq_enable(void);
/* Wait for an interrupt (low power); returns after one was taken. */
void arch_wait_for_interrupt(void);

/*
 * CPUs. At most HAL_MAX_CPUS, each named by an index below it (on ARM its
 * MPIDR.Aff0; the architecture refuses cores it cannot index).
 */
#define HAL_MAX_CPUS 8
/* The running CPU's index, and its MPIDR affinity (as /cpus reg says). */
unsigned arch_cpu_index(void);
uint64_t arch_cpu_mpidr(void);
/* The index of the CPU whose affinity is mpidr; false when the
 * architecture has no stack and no index for such a CPU. */
bool arch_cpu_index_of(uint64_t mpidr, unsigned *index);
/* The running CPU's local word: its struct cpu, set once per CPU
 * (sched_init, sched_cpu_init) before anything reads it; the assembly
 * entry paths use it too. arch_cpu_local is a register read and a load,
 * the same value on a CPU for good after it is set (kernel code never
 * moves between CPUs), so calls may be merged (const). */
void arch_cpu_set_local(void *cpu);
#if defined(__arm__)
/* ARM: TPIDRPRW holds the address of the CPU's local word (the top of its
 * stack, arch/arm/smp.c): a coprocessor read and a load, inline (the
 * ACLE intrinsic, not inline assembly), which every path that asks for
 * its CPU takes. */
#include <arm_acle.h>
static inline void *arch_cpu_local(void)
{
	return *(void *const *)(uintptr_t)__arm_mrc(15, 0, 13, 0, 4);
}
#else
void *arch_cpu_local(void) __attribute__((const));
#endif
/* Before a secondary CPU is started: the physical address it must enter
 * at (the firmware's CPU_ON entry point); everything it will read with
 * its MMU off is in memory by then. */
paddr_t arch_secondary_prepare(unsigned index);

/* Monotonic instruction/cycle counter (PMU cycle counter). */
uint64_t arch_cycles(void);
/* Let user mode read the cycle counter (benchmarks only: it is a timing
 * channel, so it is off unless the `bench` argument asks). */
void arch_pmu_user_access(bool on);

/*
 * Early physical access: returns a kernel pointer to [pa, pa+len) while the
 * boot identity map is live (before arch_mmu_init), or NULL if that range
 * is not reachable. Used to read the DTB and the boot archive.
 */
const void *arch_early_phys(paddr_t pa, size_t len);

/*
 * Build the kernel's final address space from the device tree: direct map
 * of low RAM, W^X kernel image, device window; ends the boot identity
 * map. Returns 0 or a negative error (boot cannot continue).
 */
int arch_mmu_init(const struct dt_info *dt);

/* Physical address mapped at the start of the direct map, and its size. */
paddr_t arch_direct_map_base(void);
uint64_t arch_direct_map_size(void);
/* The kernel virtual region reserved for the frame table (lazily backed
 * through mm_arch_map_backing). */
uintptr_t arch_ftable_base(void);
uintptr_t arch_ftable_size(void);

/* Kernel pointer to [pa, pa+len) through the direct map, or NULL. */
void *arch_phys_to_virt(paddr_t pa, size_t len);

/* Map device registers [pa, pa+len) into the kernel device window
 * (uncached, device-nGnRE, never executable). NULL when out of space. */
void *arch_ioremap(paddr_t pa, size_t len);

/* Print a backtrace starting at the caller. */
void arch_backtrace(void);
/* For panic(): print the caller's registers and a backtrace. */
void arch_panic_dump(void);
/* Symbolize a kernel text address: "name+0xoff" into buf. false if unknown. */
bool arch_symbolize(uintptr_t addr, char *buf, size_t len);

/* Leave the machine: semihosting exit with status if QEMU offers it, else
 * PSCI SYSTEM_OFF, else halt forever. */
NORETURN void arch_exit(int status);

#endif
