/*
 * arch_boot: first C code, called from head.S with the MMU on, running on
 * the boot stack at the image's virtual address; the boot identity map is
 * still live. Records what the entry code learned, turns on the PMU cycle
 * counter, describes the CPU and hands over to the portable kernel.
 */
#include <arch/cpu.h>
#include <arch/internal.h>
#include <boot/boot.h>
#include <boot/smp.h>
#include <hal/arch.h>
#include <hal/uarch.h>
#include <lib/printf.h>

extern char __kimage_start[], __kimage_end[];
extern char _start[], secondary_entry[];
extern const char vectors_smp[], vectors_solo[];   /* vectors.S */

static struct boot_params bp;

static const char *part_name(uint32_t midr)
{
	if ((midr >> 24) != 0x41)
		return "unknown ARM-compatible CPU";
	switch ((midr >> 4) & 0xfff) {
	case 0xc07: return "Cortex-A7";
	case 0xc08: return "Cortex-A8";
	case 0xc09: return "Cortex-A9";
	case 0xc0f: return "Cortex-A15";
	case 0xc0e: return "Cortex-A17";
	case 0xd03: return "Cortex-A53";
	case 0xd07: return "Cortex-A57";
	}
	return "ARM CPU";
}

void arch_boot(uint32_t dtb_lo, uint32_t dtb_hi, uint32_t kphys, uint32_t mode)
{
	uint32_t midr = read_midr();

	arch_pmu_init();
	arch_mmu_set_kimage_phys(kphys);
	arch_set_secondary_entry(kphys + (paddr_t)(secondary_entry - _start));
	arch_set_smp_vectors(vectors_smp, vectors_solo);
	bp.dtb_phys = ((paddr_t)dtb_hi << 32) | dtb_lo;
	bp.kimage_phys = kphys;
	bp.kimage_size = (uint32_t)(__kimage_end - __kimage_start);
	bp.entry_mode = mode == CPSR_MODE_HYP ? "HYP" : mode == CPSR_MODE_SVC ? "SVC" : "other";
	ksnprintf(bp.cpu, sizeof(bp.cpu), "%s r%up%u (MIDR 0x%08x)", part_name(midr),
		  (unsigned)((midr >> 20) & 0xf), (unsigned)(midr & 0xf), (unsigned)midr);
	/* (With several CPUs the entries that take the kernel lock are
	 * already in place: sched_smp_start.) */
	uarch_enter_user(kernel_main(&bp));
}

/* A secondary CPU, from head.S (secondary_entry) on its own stack with
 * the MMU on: its translation regime and PMU, then the portable side,
 * which returns its first thread once CPUs run threads (or never). */
void arch_secondary_boot(uint32_t index, uint32_t mode)
{
	struct uctx *first;

	(void)mode;
	arch_secondary_cpu_init();
	first = smp_secondary_main(index);   /* (its entries set: sched_secondary_run) */
	uarch_enter_user(first);
}
