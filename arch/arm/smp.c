/*
 * The ARM side of multiprocessor bring-up (kernel/boot/smp.c is the
 * portable side, docs/boot.md section 5 the sequence).
 *
 * A CPU's index is its MPIDR.Aff0: QEMU virt with a GICv2 puts up to 8
 * cores in cluster 0, and head.S refuses any core outside it. The index
 * selects the CPU's kernel stack region (kernel_stacks, head.S), whose top
 * CPU_LOCAL_SIZE bytes are its local words: word 0 is its struct cpu,
 * which the svc vector's IPC fast path loads through TPIDRPRW.
 *
 * A secondary enters at secondary_entry (head.S) with the MMU off, turns
 * it on with the boot identity map and kernel_l2, and comes here on its
 * own stack with its own VBAR: arch_secondary_boot (boot.c) has
 * arch_secondary_cpu_init take the translation regime the boot CPU ended
 * with (TTBCR with TTBR0 walks off, SCTLR with WXN) and start its PMU
 * cycle counter, then hands over to the portable smp_secondary_main. Nothing in this file is shared between CPUs but the
 * two words the boot CPU writes before any CPU_ON (boot_ttbcr,
 * boot_sctlr), which secondaries only read, with their MMU and caches on.
 */
#include <arch/cpu.h>
#include <arch/internal.h>
#include <arch/memlayout.h>
#include <hal/arch.h>

_Static_assert(ARCH_MAX_CPUS == HAL_MAX_CPUS, "one CPU limit for kernel and arch");
_Static_assert(CPU_LOCAL_SIZE >= sizeof(void *) && CPU_LOCAL_SIZE % 8 == 0,
	       "local words keep the stack 8-byte aligned");

extern char kernel_stacks[];

static uint32_t boot_ttbcr, boot_sctlr;
static paddr_t entry_phys;      /* of secondary_entry: arch_boot tells */

void arch_set_secondary_entry(paddr_t pa)
{
	entry_phys = pa;
}

unsigned arch_cpu_index(void)
{
	return read_mpidr() & 0xffu;
}

uint64_t arch_cpu_mpidr(void)
{
	return read_mpidr() & 0x00ffffffu;       /* Aff2..Aff0, as /cpus reg says */
}

bool arch_cpu_index_of(uint64_t mpidr, unsigned *index)
{
	if ((mpidr & ~0xffull) != 0 || (mpidr & 0xffu) >= ARCH_MAX_CPUS)
		return false;
	*index = (unsigned)(mpidr & 0xffu);
	return true;
}

static void **local_words(unsigned index)
{
	return (void **)(kernel_stacks + (index + 1) * BOOT_STACK_SIZE - CPU_LOCAL_SIZE);
}

void arch_cpu_set_local(void *cpu)
{
	*local_words(arch_cpu_index()) = cpu;
}

/* arch_cpu_local (hal/arch.h, inline) reads the word at TPIDRPRW, the
 * stack top: the uarch self-tests, which move TPIDRPRW, copy the words
 * above the stack top they name. */

paddr_t arch_secondary_prepare(unsigned index)
{
	(void)index;
	boot_ttbcr = read_ttbcr() | (1u << 7);          /* EPD0: no TTBR0 walks */
	boot_sctlr = read_sctlr();
	dsb_ish();
	return entry_phys;
}

void arch_secondary_cpu_init(void)
{
	/* The identity map off and its entries gone from this core's TLB
	 * before WXN, as arch_mmu_init did on the boot CPU. */
	write_ttbcr(boot_ttbcr);
	isb();
	tlb_flush_local();
	write_cpacr(read_cpacr() & ~(0xfu << 20));      /* cp10, cp11: no access */
	write_sctlr(boot_sctlr);
	isb();
	tlb_flush_local();
	arch_pmu_init();
}
