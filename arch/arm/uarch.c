/*
 * User mode on ARMv7-A: thread contexts and their sanitising, and the
 * pending-interrupt test of preemption points. Entry from user mode (the
 * trap decoding and the calls into the kernel's entry points) is entry.c;
 * the vector stubs and the exit are vectors.S; address spaces vspace.c.
 */
#include <arch/cpu.h>
#include <arch/internal.h>
#include <arch/trap.h>
#include <cairn/abi.h>
#include <hal/arch.h>
#include <hal/plat.h>
#include <hal/uarch.h>
#include <lib/string.h>

_Static_assert(sizeof(struct uctx) == sizeof(struct trap_frame), "uctx is a trap frame");

/* ----------------------------------------------------------- contexts */

void uarch_ctx_init(struct uctx *ctx, uintptr_t pc, uintptr_t sp, uint32_t arg)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->pc = (uint32_t)pc;
	ctx->sp = (uint32_t)sp;
	ctx->r[0] = arg;
	ctx->cpsr = uarch_sanitize_cpsr(0);
}

uint32_t uarch_sanitize_cpsr(uint32_t cpsr)
{
	/* Flags N Z C V Q and GE[3:0] from the caller; USR mode, ARM state,
	 * little-endian, IT clear, A/I/F clear. */
	return (cpsr & 0xf80f0000u) | CPSR_MODE_USR;
}

/* The vector tables for several CPUs (vectors.S, named by the entry code
 * at boot: arch_set_smp_vectors): [0] every entry but the shared fast
 * paths takes the kernel lock, [1] a CPU alone. */
static uint32_t smp_vbar[2];

void arch_set_smp_vectors(const void *locking, const void *alone)
{
	smp_vbar[0] = (uint32_t)(uintptr_t)locking;
	smp_vbar[1] = (uint32_t)(uintptr_t)alone;
}

void uarch_smp_entries(bool solo)
{
	write_vbar(smp_vbar[solo]);
	isb();
}

bool uarch_irq_pending(void)
{
	uint32_t isr;

	__asm__ volatile("mrc p15, 0, %0, c12, c1, 0" : "=r"(isr)); /* ISR */
	return (isr & (1u << 7)) != 0;                               /* I */
}
