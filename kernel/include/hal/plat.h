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

/* PSCI: method from the device tree ("hvc"/"smc"); SYSTEM_OFF. */
void plat_psci_init(const struct dt_info *dt);
/* Returns only if PSCI is unavailable. */
void plat_poweroff(void);
/* PSCI SYSTEM_RESET: the machine restarts (firmware, then this kernel
 * again). Returns only if PSCI is unavailable. */
void plat_reset(void);

#endif
