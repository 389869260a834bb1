/*
 * Bringing up the secondary CPUs (stage 1 of multiprocessor support,
 * docs/architecture.md "Multiprocessor", docs/boot.md section 5).
 */
#ifndef CAIRN_SMP_H
#define CAIRN_SMP_H

#include <lib/types.h>

struct dt_info;

/* How long the boot CPU waits for a started CPU to check in. */
#define SMP_CHECKIN_MS 1000

/*
 * On the boot CPU, with its interrupt controller and tick running: start
 * every other CPU /cpus lists (PSCI CPU_ON), wait for each to check in,
 * report each one that does not come up and why, then the line
 * "cpus: N online". Returns N (the boot CPU included).
 */
unsigned smp_boot(const struct dt_info *dt);

/* A secondary CPU's portable entry (from the architecture's entry code,
 * on its own stack with its MMU on): its struct cpu, its interrupt
 * controller interface and tick, the check-in; then it idles until
 * smp_start_threads, then returns the first thread the scheduler gives it
 * (the architecture enters it; from then on this CPU runs threads). */
struct uctx;
struct uctx *smp_secondary_main(uint32_t index);

/* On the boot CPU, as it leaves boot for the first thread: every CPU
 * online runs threads from now on (the kernel lock on, held by the boot
 * CPU until its first exit to user mode). Nothing with one CPU. */
void smp_start_threads(void);
/* smp_start_threads ran with more than one CPU online. */
bool smp_threads_running(void);

/* CPUs online (bit i: the CPU of index i) and how many. */
uint32_t smp_online_mask(void);
unsigned smp_online_count(void);

#endif
