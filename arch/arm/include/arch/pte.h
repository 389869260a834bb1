/*
 * LPAE long-descriptor format: the one place that spells out descriptor
 * bits. Level-1 entries cover 1 GiB (block or table), level-2 entries
 * 2 MiB (block or table), level-3 entries 4 KiB pages; a block has the
 * same attribute bits at both levels and its output address in bits
 * [39:30] (level 1) or [39:21] (level 2); output addresses are 40 bits.
 */
#ifndef ARCH_PTE_H
#define ARCH_PTE_H

#include <stdint.h>

typedef uint64_t pte_t;
_Static_assert(sizeof(pte_t) == 8, "LPAE descriptors are 64-bit");

#define PTE_VALID (1ull << 0)
#define PTE_TABLE (3ull << 0)   /* level 1/2 table descriptor */
#define PTE_BLOCK (1ull << 0)   /* level 1/2 block descriptor */
#define PTE_PAGE (3ull << 0)    /* level 3 page descriptor */
#define PTE_TYPE_MASK 3ull
#define PTE_ATTR(n) ((uint64_t)(n) << 2)
#define PTE_AP_RO (1ull << 7)   /* AP[2]: read-only */
#define PTE_AP_USER (1ull << 6) /* AP[1]: PL0 access */
#define PTE_SH_INNER (3ull << 8)
#define PTE_AF (1ull << 10)
#define PTE_NG (1ull << 11)
#define PTE_CONTIG (1ull << 52)
#define PTE_PXN (1ull << 53)   /* privileged execute-never */
#define PTE_XN (1ull << 54)    /* execute-never at every privilege level (ARMv7) */
#define PTE_ADDR_MASK 0x000000fffffff000ull

/* MAIR0/MAIR1 attribute indexes (programmed in head.S). */
#define MT_DEVICE_nGnRnE 0
#define MT_NORMAL 1
#define MT_NORMAL_NC 2
#define MT_DEVICE_nGnRE 3
#define MT_NORMAL_WC 4  /* normal NC again: ARMv7's write-combining type */

#define PTE_KERNEL_RW (PTE_AF | PTE_SH_INNER | PTE_ATTR(MT_NORMAL) | PTE_XN | PTE_PXN)
#define PTE_KERNEL_RO (PTE_KERNEL_RW | PTE_AP_RO)
#define PTE_KERNEL_RX (PTE_AF | PTE_SH_INNER | PTE_ATTR(MT_NORMAL) | PTE_AP_RO)
#define PTE_KERNEL_DEV (PTE_AF | PTE_ATTR(MT_DEVICE_nGnRE) | PTE_XN | PTE_PXN)

#endif
