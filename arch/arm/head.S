/*
 * Kernel entry: zImage header, HYP->SVC drop, early page tables, MMU on.
 *
 * Entered with the Linux ARM boot protocol from U-Boot's bootz or from
 * QEMU's -kernel loader: r0 = 0, r1 = machine type (ignored), r2 = physical
 * address of the device tree, MMU and D-cache off, in SVC or HYP mode. The
 * image may be loaded at any 4 KiB-aligned physical address below 3 GiB
 * (0x4001_0000 direct, 0x4040_0000 via U-Boot), so everything before the
 * MMU is on is position independent: link-time addresses are turned into
 * physical ones by adding the load delta (phys(_start) - KIMAGE_BASE).
 *
 * Early tables (all in .bss, built here with the MMU off):
 *   boot_ttbr0_l1: identity map of the low 3 GiB with 1 GiB blocks
 *                  (0-1 GiB device, 1-3 GiB normal memory) so C code can
 *                  reach the DTB, the boot archive and the early UART
 *                  until arch_mmu_init() switches TTBR0 walks off.
 *   kernel_l2:     TTBR1 level-2 table for 0xC000_0000..0xFFFF_FFFF.
 *   kimage_l3:     8 level-3 tables mapping the image at KIMAGE_BASE.
 *
 * Registers kept across the early code: r4 = phys(_start), r6 = load delta,
 * r7 = DTB physical address, r8 = entry mode (CPSR mode bits at entry).
 *
 * Secondary CPUs (PSCI CPU_ON) enter at secondary_entry: the same HYP drop
 * and MMU switch-on (macros hyp_to_svc, mmu_on) on the tables the boot CPU
 * built, then their own stack and VBAR (cpu_stack_vbar) and
 * arch_secondary_boot; r7 there is the CPU_ON context (the CPU's index).
 */
#include <arch/memlayout.h>

#define MAIR0_VALUE 0x0444ff00 /* attr0 dev-nGnRnE, 1 normal WB, 2 normal NC, 3 dev-nGnRE */
#define MAIR1_VALUE 0x00000044 /* attr4 normal NC (user write-combine) */
#define TTBCR_VALUE 0xb5023500 /* EAE, T1SZ=2, SH1/SH0 inner, WBWA walks, T0SZ=0 */

/* Descriptor bits (low word). */
#define DESC_BLOCK 0x1
#define DESC_TABLE 0x3
#define DESC_PAGE 0x3
#define DESC_AF (1 << 10)
#define DESC_SH_INNER (3 << 8)
#define DESC_ATTR(n) ((n) << 2)
/* Upper word: XN is bit 54 => bit 22 of the high word, PXN bit 53 => 21. */
#define DESC_HI_XN ((1 << 22) | (1 << 21))

	.arch armv7ve
	.syntax unified
	.arm

/* In HYP mode (r8 = the entry mode bits): no traps to HYP, PL1 may use
 * the physical counter and timer, then into SVC with A/I/F masked.
 * Clobbers r0. Position independent. */
.macro hyp_to_svc
	cmp r8, #0x1a                   /* HYP? drop to SVC */
	bne 1f
	mov r0, #0
	mcr p15, 4, r0, c1, c1, 0       /* HCR = 0: no traps to HYP */
	mcr p15, 4, r0, c1, c1, 3       /* HSTR = 0 */
	ldr r0, =0x33ff
	mcr p15, 4, r0, c1, c1, 2       /* HCPTR: cp10/cp11 not trapped */
	mov r0, #3
	mcr p15, 4, r0, c14, c1, 0      /* CNTHCTL: PL1 may use phys counter/timer */
	mov r0, #0
	mcrr p15, 4, r0, r0, c14        /* CNTVOFF = 0 */
	mrc p15, 0, r0, c0, c0, 0
	mcr p15, 4, r0, c0, c0, 0       /* VPIDR = MIDR */
	mrc p15, 0, r0, c0, c0, 5
	mcr p15, 4, r0, c0, c0, 5       /* VMPIDR = MPIDR */
	mov r0, #(0x13 | 0x1c0)         /* SVC, A/I/F masked */
	msr spsr_cxsf, r0               /* SPSR_hyp: banked form is UNPREDICTABLE in HYP */
	adr r0, 1f
	msr elr_hyp, r0
	eret
1:
.endm

/* The kernel's memory attributes and translation regime, the early
 * tables (TTBR0 identity, TTBR1 kernel_l2; physical addresses with the
 * load delta in r6), local TLB, I-cache and predictor invalidation, then
 * MMU, caches and branch prediction on. Clobbers r0, r1. */
.macro mmu_on
	ldr r0, =MAIR0_VALUE
	mcr p15, 0, r0, c10, c2, 0
	mov r0, #MAIR1_VALUE
	mcr p15, 0, r0, c10, c2, 1      /* MAIR1 */
	ldr r0, =TTBCR_VALUE
	mcr p15, 0, r0, c2, c0, 2
	ldr r0, =boot_ttbr0_l1
	add r0, r0, r6
	mov r1, #0
	mcrr p15, 0, r0, r1, c2         /* TTBR0 */
	ldr r0, =kernel_l2
	add r0, r0, r6
	mcrr p15, 1, r0, r1, c2         /* TTBR1 */
	mov r0, #0
	mcr p15, 0, r0, c13, c0, 1      /* CONTEXTIDR: ASID 0 */
	mcr p15, 0, r0, c8, c7, 0       /* TLBIALL */
	mcr p15, 0, r0, c7, c5, 0       /* ICIALLU */
	mcr p15, 0, r0, c7, c5, 6       /* BPIALL */
	dsb
	isb
	mrc p15, 0, r0, c1, c0, 0
	ldr r1, =0x70002002             /* clear A, V, TRE, AFE, TE */
	bic r0, r0, r1
	ldr r1, =0x1805                 /* M, C, Z, I */
	orr r0, r0, r1
	mcr p15, 0, r0, c1, c0, 0
	isb
.endm

	.section .head, "ax"
	.global _start
_start:
	.rept 8
	mov r0, r0
	.endr
	b reset                         /* 0x20 */
	.word 0x016f2818                /* 0x24: zImage magic */
	.word 0                         /* 0x28: start (0: run where loaded) */
	.word _image_size               /* 0x2c: end, including bss */
	.word 0x04030201                /* 0x30: endianness marker */

reset:
	mov r7, r2
	mrs r8, cpsr
	and r8, r8, #0x1f
	hyp_to_svc
	cpsid aif
	/* MMU, caches and alignment checking off while we build tables. */
	mrc p15, 0, r0, c1, c0, 0
	bic r0, r0, #0x7                /* M, A, C */
	bic r0, r0, #0x1000             /* I */
	mcr p15, 0, r0, c1, c0, 0
	isb

	adr r4, _start                  /* phys(_start) */
	ldr r5, =_start                 /* link address = KIMAGE_BASE */
	sub r6, r4, r5                  /* load delta */

	/* Zero .bss (physical addresses). */
	ldr r0, =__bss_start
	ldr r1, =__bss_end
	add r0, r0, r6
	add r1, r1, r6
	mov r2, #0
2:	cmp r0, r1
	strlo r2, [r0], #4
	blo 2b

	/* TTBR0 identity map: 1 GiB blocks for VA 0..3 GiB. */
	ldr r0, =boot_ttbr0_l1
	add r0, r0, r6
	ldr r1, =(DESC_BLOCK | DESC_AF | DESC_ATTR(0))
	ldr r2, =DESC_HI_XN
	str r1, [r0, #0]
	str r2, [r0, #4]
	ldr r1, =(0x40000000 | DESC_BLOCK | DESC_AF | DESC_SH_INNER | DESC_ATTR(1))
	mov r2, #0
	str r1, [r0, #8]
	str r2, [r0, #12]
	add r1, r1, #0x40000000
	str r1, [r0, #16]
	str r2, [r0, #20]

	/* TTBR1 level 2: entries for KIMAGE_BASE point to kimage_l3[0..7]. */
	ldr r0, =kernel_l2
	add r0, r0, r6
	ldr r1, =kimage_l3
	add r1, r1, r6
	orr r1, r1, #DESC_TABLE
	add r2, r0, #(((KIMAGE_BASE - KERNEL_SPACE_BASE) >> L2_BLOCK_SHIFT) * 8)
	mov r3, #8
	mov r5, #0
3:	str r1, [r2], #4
	str r5, [r2], #4
	add r1, r1, #PAGE_SIZE
	subs r3, r3, #1
	bne 3b

	/* kimage_l3: map every page of the image (RWX for now; arch_mmu_init
	 * applies W^X once in C). */
	ldr r0, =kimage_l3
	add r0, r0, r6
	ldr r1, =_image_size
	add r1, r1, #PAGE_SIZE
	sub r1, r1, #1
	lsr r1, r1, #PAGE_SHIFT         /* pages */
	ldr r2, =(DESC_PAGE | DESC_AF | DESC_SH_INNER | DESC_ATTR(1))
	orr r2, r2, r4                  /* phys(_start) is page aligned */
4:	str r2, [r0], #4
	str r5, [r0], #4
	add r2, r2, #PAGE_SIZE
	subs r1, r1, #1
	bne 4b

	/* Invalidate any stale cache lines over the tables we just wrote. */
	ldr r0, =__pt_start
	ldr r1, =__pt_end
	add r0, r0, r6
	add r1, r1, r6
5:	mcr p15, 0, r0, c7, c6, 1       /* DCIMVAC */
	add r0, r0, #64
	cmp r0, r1
	blo 5b
	dsb

	mmu_on
	ldr pc, =high_entry

/*
 * A secondary CPU, started by PSCI CPU_ON (kernel/boot/smp.c): in SVC or
 * HYP mode, MMU and caches off, r0 = the context given to CPU_ON (its
 * index). The boot CPU has built the kernel's tables long before: the
 * boot identity map (boot_ttbr0_l1, never changed after the code above
 * wrote it with the caches off) lets this code turn the MMU on where it
 * runs, and kernel_l2 is the kernel's one TTBR1 table. arch_secondary_boot
 * then takes the boot CPU's final TTBCR and SCTLR (identity map off, WXN).
 */
	.global secondary_entry
secondary_entry:
	mov r7, r0
	mrs r8, cpsr
	and r8, r8, #0x1f
	hyp_to_svc
	cpsid aif
	mrc p15, 0, r0, c1, c0, 0
	bic r0, r0, #0x7                /* M, A, C */
	bic r0, r0, #0x1000             /* I */
	mcr p15, 0, r0, c1, c0, 0
	isb
	adr r4, _start
	ldr r5, =_start
	sub r6, r4, r5                  /* load delta */
	mmu_on
	ldr pc, =secondary_high

	.text
high_entry:
	bl cpu_stack_vbar
	mov r0, r7                      /* dtb phys (low word) */
	mov r1, #0                      /* dtb phys (high word) */
	mov r2, r4                      /* kernel image phys base */
	mov r3, r8                      /* entry mode */
	mov fp, #0                      /* terminate backtraces */
	mov lr, #0
	bl arch_boot
	b .

secondary_high:
	bl cpu_stack_vbar
	mov r0, r7                      /* the index given to CPU_ON */
	mov r1, r8                      /* entry mode */
	mov fp, #0
	mov lr, #0
	bl arch_secondary_boot
	b .

	/* This CPU's kernel stack, by MPIDR.Aff0, below its local words; its
	 * top also goes to TPIDRPRW, where the user-mode entry paths find it.
	 * The kernel's vector table. Clobbers r0, r1. */
cpu_stack_vbar:
	mrc p15, 0, r0, c0, c0, 5       /* MPIDR */
	tst r0, #0xff00
	tsteq r0, #0xff0000
	bne .                           /* not cluster 0: smp.c never starts one */
	and r0, r0, #0xff
	cmp r0, #ARCH_MAX_CPUS
	bhs .                           /* a core this kernel has no stack for */
	ldr sp, =kernel_stacks + BOOT_STACK_SIZE - CPU_LOCAL_SIZE
	mov r1, #BOOT_STACK_SIZE
	mla sp, r0, r1, sp
	mcr p15, 0, sp, c13, c0, 4      /* TPIDRPRW */
	ldr r0, =vectors
	mcr p15, 0, r0, c12, c0, 0      /* VBAR */
	isb
	bx lr

	.ltorg

	.section .bss.pagetables, "aw", %nobits
	.balign 4096
	.global __pt_start
__pt_start:
	.global kernel_l2
kernel_l2:
	.space 4096
	.global kimage_l3
kimage_l3:
	.space 8 * 4096
	.global devwin_l3
devwin_l3:
	.space 8 * 4096
	.global boot_ttbr0_l1
boot_ttbr0_l1:
	.space 32
	.balign 64
	.global __pt_end
__pt_end:

	.section .bss.stack, "aw", %nobits
	.balign 8
	.global kernel_stacks
kernel_stacks:
	.space BOOT_STACK_SIZE * ARCH_MAX_CPUS
