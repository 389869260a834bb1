/*
 * Kernel virtual memory layout (ARMv7-A LPAE, 3 GiB user / 1 GiB kernel).
 *
 * TTBCR.T1SZ = 2 makes TTBR1 translate 0xC000_0000..0xFFFF_FFFF, starting
 * at level 2 (512 entries of 2 MiB). TTBR0 translates everything below and
 * belongs to user address spaces (during early boot it holds an identity
 * map of the low 3 GiB, dropped once the kernel runs on its own tables).
 *
 *   0xFFFF_FFFF +--------------------------------------+
 *               | (unused, guard)                      |  64 MiB
 *   0xFC00_0000 +--------------------------------------+
 *               | frame-table region: 8 B per page of  | 128 MiB
 *               | 64 GiB of RAM index space, backed    |
 *               | lazily; level-3 tables taken at boot |
 *               | for the part the index uses only     |
 *   0xF400_0000 +--------------------------------------+
 *               | (unused, guard)                      |  30 MiB
 *   0xF220_0000 +--------------------------------------+
 *               | kernel-memory window (kmap slot)     |  2 MiB
 *   0xF200_0000 +--------------------------------------+
 *               | device window (MMIO, 4 KiB pages)     |  16 MiB
 *   0xF100_0000 +--------------------------------------+
 *               | kernel image (text, rodata, data,     |  16 MiB
 *               | bss), 4 KiB pages, W^X               |
 *   0xF000_0000 +--------------------------------------+
 *               | direct map of low RAM: VA = PA -     | 768 MiB
 *               | ram_base + 0xC000_0000, 2 MiB blocks |
 *   0xC000_0000 +--------------------------------------+
 *               | user (TTBR0)                         |
 *   0x0000_0000 +--------------------------------------+
 *
 * This header is included by assembly too: plain constants only.
 */
#ifndef ARCH_MEMLAYOUT_H
#define ARCH_MEMLAYOUT_H

#define KERNEL_SPACE_BASE 0xC0000000
#define DIRECT_MAP_BASE 0xC0000000
#define DIRECT_MAP_SIZE 0x30000000 /* 768 MiB */
#define KIMAGE_BASE 0xF0000000
#define KIMAGE_MAX 0x01000000 /* 16 MiB */
#define DEVWIN_BASE 0xF1000000
#define DEVWIN_SIZE 0x01000000
#define KMEM_BASE 0xF2000000
#define KMEM_SIZE 0x00200000 /* 2 MiB: one static level-3 table */
#define FTABLE_BASE 0xF4000000
#define FTABLE_SIZE 0x08000000 /* 128 MiB: 2^24 entries of 8 B, 64 GiB of RAM */

#define PAGE_SHIFT 12
#define PAGE_SIZE 4096
#define L2_BLOCK_SHIFT 21
#define L2_BLOCK_SIZE 0x200000

#define BOOT_STACK_SIZE 16384
/* Kernel stacks: one region of BOOT_STACK_SIZE per CPU, indexed by
 * MPIDR.Aff0 (kernel_stacks in head.S). The top CPU_LOCAL_SIZE bytes of a
 * region are that CPU's local words (word 0: its struct cpu, set by the
 * scheduler, read by the svc vector's IPC fast path); the stack proper
 * starts just below them. TPIDRPRW holds that stack top, which every entry
 * from user mode loads (vectors.S). Every exception mode stacks onto the
 * SVC stack (srsdb), so this is the only exception stack a CPU needs.
 * 8 CPUs: what a GICv2 serves (must equal HAL_MAX_CPUS, hal/arch.h). */
#define ARCH_MAX_CPUS 8
#define CPU_LOCAL_SIZE 8

#endif
