/*
 * mm: kernel memory as a whole -- the boot entry that brings up pmem, the
 * frame table, the buddy allocator, the object heap, the pools and the
 * device ranges in the right order, the one-line `mem:` summary, the
 * fuller report and a global consistency check.
 *
 * The arch port calls mm_init once at boot, after its direct map is up
 * (the heap is reached through it) and before anything allocates; it
 * fills struct mm_config from the device tree (RAM banks, reserved ranges
 * including the kernel image, the DTB and the boot archive, device
 * registers) and from its own layout (direct window, frame-table region).
 *
 * Locking: boot is single-threaded; reports and checks take the kernel
 * lock like everything else.
 */
#ifndef CAIRN_MM_H
#define CAIRN_MM_H

#include <lib/types.h>
#include <mm/pmem.h>

struct mm_device {
	paddr_t base;              /* CPU physical address of the registers */
	uint64_t size;
	uint32_t tag;              /* caller's name, e.g. the DT device index */
	bool window;               /* a bus window (PCI memory): may also be mapped normal
				    * non-cacheable or write-combining, by capabilities
				    * with R_PREFETCH */
};

struct mm_config {
	const struct pmem_range *banks;
	unsigned nbanks;
	const struct pmem_range *reserved;
	unsigned nreserved;
	const struct mm_device *devices;
	unsigned ndevices;
	paddr_t direct_base;       /* physical address at the direct map's start */
	uint64_t direct_size;      /* 768 MiB on Cairn/ARM */
	uintptr_t ftable_va;       /* frame-table region (page aligned) */
	uintptr_t ftable_size;
	uint64_t kheap_override;   /* bytes from kheap=SIZE, 0 if absent */
	bool debug;                /* object caches poison and check red zones */
};

struct mm_status {
	const char *why;           /* why mm_init failed */
	const char *warning;       /* first non-fatal problem, or NULL */
	unsigned devices_rejected; /* device ranges that failed validation */
	/* RAM the frame table cannot describe (its region holds at most
	 * FRAME_MAX_ENTRIES entries): everything at and above ram_limit is
	 * left out, ram_left_out bytes of it; 0 when all RAM is used. */
	uint64_t ram_left_out;
	paddr_t ram_limit;
	uint64_t ram_span_max;     /* bytes of RAM span the frame table can index */
};

/*
 * Bring kernel memory up: pmem_init, frame_init, steal the object heap
 * from DIRECT (size by kheap_choose_size), buddy_init, record the heap's
 * frames, kheap_init, pool_init, then add every device (invalid ones are
 * counted and skipped, never fatal). RAM beyond what the frame-table
 * region can index is left out (st->ram_left_out says how much), not
 * fatal. 0, or the failing step's error with
 * st->why set; boot cannot continue without memory.
 */
int mm_init(const struct mm_config *cfg, struct mm_status *st);

/*
 * The boot summary, e.g.
 *   mem: ram 1024 MiB in 1 bank, frame table 24 KiB backed (8 B/page),
 *   heap 16384 KiB, 45 device ranges (24 B each)
 * (one line): the two per-unit costs that bound kernel metadata, 8 bytes
 * per RAM page used and a constant per device range whatever its size.
 * Returns the length it would have (as snprintf).
 */
int mm_summary(char *buf, size_t len);

/* Bytes of page tables taken at boot to make the frame-table region
 * mappable (mm_arch_backing_cost of the index space). */
uint64_t mm_ftable_pt_bytes(void);

typedef void (*mm_out_fn)(void *ctx, const char *line);

/* The fuller report, one line per call of out: RAM ranges, segments, the
 * frame table, the heap, each pool (total, free, reserved to quotas,
 * charged), each object cache (objects in use, bytes), device ranges. */
void mm_report(mm_out_fn out, void *ctx);

/* Every checker (pmem, frame, buddy, kheap, caches, pools, devices):
 * 0 or E_FORMAT with *why from the first that failed. */
int mm_check(const char **why);

#endif
