/*
 * ARMv7-A system-register and barrier accessors.
 *
 * One inline function per CP15 register the kernel uses, named after the
 * architectural register, so that no other file writes raw mcr/mrc lines.
 */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <stdint.h>

#define CPSR_MODE_MASK 0x1f
#define CPSR_MODE_USR 0x10
#define CPSR_MODE_FIQ 0x11
#define CPSR_MODE_IRQ 0x12
#define CPSR_MODE_SVC 0x13
#define CPSR_MODE_MON 0x16
#define CPSR_MODE_ABT 0x17
#define CPSR_MODE_HYP 0x1a
#define CPSR_MODE_UND 0x1b
#define CPSR_MODE_SYS 0x1f
#define CPSR_T (1u << 5)
#define CPSR_F (1u << 6)
#define CPSR_I (1u << 7)
#define CPSR_A (1u << 8)

#define SCTLR_M (1u << 0)
#define SCTLR_A (1u << 1)
#define SCTLR_C (1u << 2)
#define SCTLR_Z (1u << 11)
#define SCTLR_I (1u << 12)
#define SCTLR_WXN (1u << 19)

#define CP15_RW32(name, op1, crn, crm, op2)                                 \
	static inline uint32_t read_##name(void)                            \
	{                                                                   \
		uint32_t v;                                                 \
		__asm__ volatile("mrc p15, " #op1 ", %0, " #crn ", " #crm   \
				 ", " #op2 : "=r"(v));                      \
		return v;                                                   \
	}                                                                   \
	static inline void write_##name(uint32_t v)                         \
	{                                                                   \
		__asm__ volatile("mcr p15, " #op1 ", %0, " #crn ", " #crm   \
				 ", " #op2 ::"r"(v) : "memory");            \
	}

#define CP15_RW64(name, op1, crm)                                           \
	static inline uint64_t read_##name(void)                            \
	{                                                                   \
		uint32_t lo, hi;                                            \
		__asm__ volatile("mrrc p15, " #op1 ", %0, %1, " #crm        \
				 : "=r"(lo), "=r"(hi));                     \
		return ((uint64_t)hi << 32) | lo;                           \
	}                                                                   \
	static inline void write_##name(uint64_t v)                         \
	{                                                                   \
		__asm__ volatile("mcrr p15, " #op1 ", %0, %1, " #crm        \
				 ::"r"((uint32_t)v), "r"((uint32_t)(v >> 32)) \
				 : "memory");                               \
	}

CP15_RW32(midr, 0, c0, c0, 0)
CP15_RW32(mpidr, 0, c0, c0, 5)
CP15_RW32(sctlr, 0, c1, c0, 0)
CP15_RW32(cpacr, 0, c1, c0, 2)
CP15_RW32(ttbcr, 0, c2, c0, 2)
CP15_RW32(dfsr, 0, c5, c0, 0)
CP15_RW32(ifsr, 0, c5, c0, 1)
CP15_RW32(dfar, 0, c6, c0, 0)
CP15_RW32(ifar, 0, c6, c0, 2)
CP15_RW32(par32, 0, c7, c4, 0)
CP15_RW32(mair0, 0, c10, c2, 0)
CP15_RW32(mair1, 0, c10, c2, 1)
CP15_RW32(vbar, 0, c12, c0, 0)
CP15_RW32(contextidr, 0, c13, c0, 1)
CP15_RW32(tpidrprw, 0, c13, c0, 4)
/* PMU */
CP15_RW32(pmcr, 0, c9, c12, 0)
CP15_RW32(pmcntenset, 0, c9, c12, 1)
CP15_RW32(pmccntr, 0, c9, c13, 0)
CP15_RW32(pmuserenr, 0, c9, c14, 0)
/* Generic timer (physical, PL1) */
CP15_RW32(cntfrq, 0, c14, c0, 0)
CP15_RW32(cntp_ctl, 0, c14, c2, 1)
CP15_RW32(cntp_tval, 0, c14, c2, 0)
CP15_RW64(ttbr0, 0, c2)
CP15_RW64(ttbr1, 1, c2)
CP15_RW64(par64, 0, c7)
CP15_RW64(cntpct, 0, c14)
CP15_RW64(cntp_cval, 2, c14)

static inline void dsb(void) { __asm__ volatile("dsb sy" ::: "memory"); }
static inline void dsb_ish(void) { __asm__ volatile("dsb ish" ::: "memory"); }
static inline void dmb(void) { __asm__ volatile("dmb sy" ::: "memory"); }
static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void wfi(void) { __asm__ volatile("wfi" ::: "memory"); }

static inline uint32_t read_cpsr(void)
{
	uint32_t v;
	__asm__ volatile("mrs %0, cpsr" : "=r"(v));
	return v;
}

static inline void irq_enable(void) { __asm__ volatile("cpsie i" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cpsid i" ::: "memory"); }

/* TLB maintenance (inner shareable forms, valid on UP too). */
static inline void tlb_flush_all(void)
{
	dsb_ish();
	__asm__ volatile("mcr p15, 0, %0, c8, c3, 0" ::"r"(0) : "memory"); /* TLBIALLIS */
	__asm__ volatile("mcr p15, 0, %0, c7, c1, 6" ::"r"(0) : "memory"); /* BPIALLIS */
	dsb_ish();
	isb();
}

/* This core's TLB only: a CPU coming up drops its own stale entries
 * (the boot identity map) without disturbing the others. */
static inline void tlb_flush_local(void)
{
	dsb();
	__asm__ volatile("mcr p15, 0, %0, c8, c7, 0" ::"r"(0) : "memory"); /* TLBIALL */
	__asm__ volatile("mcr p15, 0, %0, c7, c5, 6" ::"r"(0) : "memory"); /* BPIALL */
	dsb();
	isb();
}

static inline void tlb_flush_kva(uint32_t va)
{
	dsb_ish();
	/* TLBIMVAAIS: all ASIDs, inner shareable */
	__asm__ volatile("mcr p15, 0, %0, c8, c3, 3" ::"r"(va & ~0xfffu) : "memory");
	dsb_ish();
	isb();
}

static inline void icache_inval_all(void)
{
	__asm__ volatile("mcr p15, 0, %0, c7, c5, 0" ::"r"(0) : "memory"); /* ICIALLU */
	__asm__ volatile("mcr p15, 0, %0, c7, c5, 6" ::"r"(0) : "memory"); /* BPIALL */
	dsb();
	isb();
}

#endif
