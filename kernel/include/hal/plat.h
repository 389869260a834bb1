/*
 * The contract between portable kernel code and the board (platform) port:
 * console, interrupt controller, timer and power. platform/qemu-virt/
 * implements it for QEMU's virt machine; host tests fake it.
 */
#ifndef CAIRN_PLAT_H
#define CAIRN_PLAT_H

#include <lib/types.h>

struct dt_info;

/* Console on the board's default UART, usable before the device tree is
 * parsed (through the boot identity map). */
void plat_early_console_init(void);
/* Switch the console to the device named by /chosen/stdout-path. On error
 * the early console stays in use until arch_mmu_init ends it. */
int plat_console_init(const struct dt_info *dt);
/* A short description of the console in use ("pl011@0x9000000"). */
const char *plat_console_name(void);

/* Interrupt controller and timer. */
int plat_irq_init(const struct dt_info *dt);
/* Called by the architecture for every IRQ exception. */
void plat_irq_dispatch(void);
int plat_timer_init(const struct dt_info *dt, unsigned hz);
uint64_t plat_time_ns(void);
uint64_t plat_timer_ticks(void);
unsigned plat_timer_irq(void);
/* The kernel's tick: fn is called on every timer tick, in interrupt
 * context, after the tick is counted (boot registers sched_tick). */
void plat_timer_set_tick(void (*fn)(void));

/* The running CPU's tick count (plat_timer_ticks), and that of CPU
 * `index` (any CPU may read it; 0 for one that never ticked). */
uint64_t plat_timer_cpu_ticks(unsigned index);

/*
 * Secondary CPUs. plat_cpu_on starts the CPU whose affinity is mpidr at
 * physical address entry with r0 = ctx (PSCI CPU_ON): 0, or the firmware's
 * negative PSCI error (-1 not supported, -2 invalid parameters, -4 already
 * on, ...), which plat_psci_error_name names. On the CPU itself, once it
 * runs kernel code: plat_irq_init_cpu enables its interrupt controller
 * interface (and its banked registers), plat_timer_init_cpu starts its
 * tick (the one the boot CPU started, on its own timer).
 */
int plat_cpu_on(uint64_t mpidr, paddr_t entry, uint32_t ctx);
const char *plat_psci_error_name(int err);
int plat_irq_init_cpu(void);
/* Several CPUs: plat_ipi_send raises inter-processor interrupt `ipi` on
 * CPU index (it arrives there as interrupt plat_ipi_irq(ipi), banked per
 * CPU: each CPU unmasks it for itself); plat_irq_route delivers a device
 * interrupt to CPU index only. */
enum plat_ipi {
	PLAT_IPI_RESCHED,       /* pick again: a thread made ready, one stopped */
	PLAT_IPI_LOCK,          /* give the kernel lock back (a CPU alone: sched.c) */
	PLAT_IPI_COUNT
};
void plat_ipi_send(unsigned index, enum plat_ipi ipi);
unsigned plat_ipi_irq(enum plat_ipi ipi);
void plat_irq_route(unsigned irq, unsigned index);
int plat_timer_init_cpu(void);

/* PSCI: method from the device tree ("hvc"/"smc"); SYSTEM_OFF. */
void plat_psci_init(const struct dt_info *dt);
/* Returns only if PSCI is unavailable. */
void plat_poweroff(void);
/* PSCI SYSTEM_RESET: the machine restarts (firmware, then this kernel
 * again). Returns only if PSCI is unavailable. */
void plat_reset(void);

#endif
