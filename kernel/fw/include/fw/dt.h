/*
 * Boot-time device-tree extraction: everything the kernel needs from the
 * DTB, gathered once by dt_parse() into a fixed-size struct dt_info.
 *
 * No allocation: every list has a fixed capacity. Running out of room is
 * a counted warning (the *_dropped fields and `warnings`), never an error,
 * and never loses what must not be lost: RAM banks beyond DT_MAX_MEM are
 * left unused (mem_dropped, mem_dropped_bytes: RAM not used is safe),
 * reserved ranges beyond DT_MAX_RSV are merged into the table (the two
 * nearest become their hull: rsv_merged, rsv_merged_bytes of RAM reserved
 * that nobody asked for), so no reservation is ever dropped. Strings are
 * either copied into the structure (bootargs, stdout_path, model, device
 * paths) or point into the blob (compatible lists), so the blob must stay
 * where it is while the dt_info is used: the kernel parses its own copy.
 * Errors are negative `enum err` values with a sentence in `why`.
 *
 * Cell sizes follow the specification: a node without #address-cells /
 * #size-cells gives its children 2 and 1; more than FDT_MAX_CELLS is
 * rejected as absurd. Device registers are translated to CPU physical
 * addresses through the `ranges` of every ancestor (an empty `ranges` is
 * the identity; a missing one below the root makes the address
 * untranslatable, as does an address outside every window).
 */
#ifndef CAIRN_DT_H
#define CAIRN_DT_H

#include <fw/fdt.h>
#include <lib/types.h>

#define DT_MAX_MEM 16
#define DT_MAX_RSV 32
#define DT_MAX_CPUS 16
#define DT_MAX_DEVICES 128
#define DT_MAX_REG 4
#define DT_MAX_WINDOWS 16
#define DT_MAX_IRQ_CELLS 6
#define DT_MAX_TIMER_PPI 4
#define DT_PATH_MAX 64
#define DT_BOOTARGS_MAX 256
#define DT_STDOUT_MAX 128
#define DT_STDOUT_OPTS_MAX 32
#define DT_MODEL_MAX 64
#define DT_WHY_MAX 128
#define DT_IRQ_MAX_HOPS 8     /* interrupt-parent chain limit (loops) */
#define DT_MPIDR_INVALID UINT64_MAX

struct dt_mem {
	paddr_t base;
	uint64_t size;
};

enum dt_rsv_source {
	DT_RSV_MEMRESERVE = 0,     /* the header's /memreserve/ block */
	DT_RSV_RESERVED_MEMORY = 1 /* a /reserved-memory child's reg */
};

struct dt_rsv {
	paddr_t base;
	uint64_t size;
	uint8_t source;            /* enum dt_rsv_source */
	bool no_map;               /* the child had `no-map` */
};

struct dt_reg {
	paddr_t base;              /* CPU physical address when translated,
				    * else the raw bus address (low 64 bits) */
	uint64_t size;
	bool translated;
};

enum dt_irq_status {
	DT_IRQ_NONE = 0,           /* no interrupt parent at all */
	DT_IRQ_OK,                 /* parent found, chain ends properly */
	DT_IRQ_MISSING,            /* a phandle on the chain names no node */
	DT_IRQ_LOOP,               /* the chain loops (or exceeds the hop limit) */
	DT_IRQ_BAD                 /* the parent is not an interrupt controller */
};

struct dt_device {
	char path[DT_PATH_MAX];    /* full path, e.g. "/pl011@9000000" */
	bool path_truncated;
	int node;                  /* structure offset in the parsed fdt */
	const char *compatible;    /* first compatible string, or "" */
	const char *compat_list;   /* whole compatible list (in the blob) */
	uint32_t compat_len;
	unsigned nreg;             /* entries in reg[] */
	unsigned nreg_total;       /* entries in the property */
	struct dt_reg reg[DT_MAX_REG];
	unsigned nirq_cells;       /* cells in `interrupts` (0: none) */
	uint32_t irq[DT_MAX_IRQ_CELLS]; /* its first cells, raw */
	uint32_t irq_parent;       /* effective interrupt-parent phandle, 0 none */
	uint32_t irq_parent_cells; /* its #interrupt-cells, 0 if unknown */
	uint8_t irq_status;        /* enum dt_irq_status */
};

/* An address window a bus decodes for the devices behind it: the CPU
 * side of a PCI host bridge's `ranges` entry (I/O or memory space). */
enum dt_window_space {
	DT_WIN_IO = 1,
	DT_WIN_MEM32 = 2,
	DT_WIN_MEM64 = 3,
};

struct dt_window {
	paddr_t base;              /* CPU physical address */
	uint64_t size;
	uint32_t device;           /* index in devices[] of the bridge */
	uint8_t space;             /* enum dt_window_space */
	bool prefetchable;
};
_Static_assert(sizeof(struct dt_window) == 24, "a bus window: 24 bytes (16 in dt_info)");

struct dt_gic {
	bool present;
	int device;                /* index in devices[] */
	paddr_t dist_base;
	uint64_t dist_size;
	paddr_t cpu_base;
	uint64_t cpu_size;
	paddr_t hyp_base;          /* virtualization extensions; 0 if absent */
	paddr_t vcpu_base;
	uint32_t phandle;
};

struct dt_timer {
	bool present;
	unsigned nppi;
	uint32_t ppi[DT_MAX_TIMER_PPI];   /* secure phys, phys, virt, hyp */
	uint32_t flags[DT_MAX_TIMER_PPI]; /* third interrupt cell */
};

struct dt_info {
	const char *why;           /* reason of a dt_parse failure */
	char why_buf[DT_WHY_MAX];
	char model[DT_MODEL_MAX];  /* root `model`, or "" */

	unsigned nmem;             /* RAM banks, sorted by base, disjoint */
	struct dt_mem mem[DT_MAX_MEM];
	unsigned mem_dropped;      /* warnings: banks beyond DT_MAX_MEM, unused */
	uint64_t mem_dropped_bytes;
	unsigned mem_empty;        /* warnings: zero-sized bank entries skipped */

	unsigned nrsv;             /* reserved ranges */
	struct dt_rsv rsv[DT_MAX_RSV];
	unsigned rsv_merged;       /* warnings: merges to stay within DT_MAX_RSV */
	uint64_t rsv_merged_bytes; /* bytes between merged ranges, now reserved */

	char bootargs[DT_BOOTARGS_MAX];
	bool bootargs_truncated;
	char stdout_path[DT_STDOUT_MAX];      /* resolved full path, or as given */
	char stdout_options[DT_STDOUT_OPTS_MAX]; /* after ':' ("115200n8") */
	bool stdout_resolved;                 /* names an existing node */
	bool has_initrd;
	paddr_t initrd_start;
	paddr_t initrd_end;        /* exclusive */

	unsigned ncpus;
	uint64_t cpu_mpidr[DT_MAX_CPUS];
	unsigned cpus_dropped;     /* warnings: beyond DT_MAX_CPUS */

	char psci_method[8];       /* "hvc", "smc" or "" */
	struct dt_gic gic;
	struct dt_timer timer;

	unsigned ndevices;
	struct dt_device devices[DT_MAX_DEVICES];
	unsigned devices_dropped;  /* warnings: beyond DT_MAX_DEVICES */
	unsigned regs_dropped;     /* warnings: reg entries beyond DT_MAX_REG */

	unsigned nwindows;         /* PCI host bridge windows, in tree order */
	struct dt_window windows[DT_MAX_WINDOWS];
	unsigned windows_dropped;  /* warnings: beyond DT_MAX_WINDOWS */

	unsigned warnings;         /* all non-fatal problems, counted */
	char first_warning[DT_WHY_MAX];
};

/* Fill *out from the opened tree `f` (which must stay in place). 0, or
 * E_FORMAT/E_RANGE/E_OVERFLOW/E_NOENT/E_INVAL with out->why set. out is
 * zeroed first; after a failure it holds only what was found before the
 * problem and must not be used. Uses about 2 KiB of stack. */
int dt_parse(const struct fdt *f, struct dt_info *out);

/* Index of the first device at or after `start` whose compatible list
 * contains `compat`; E_NOENT if none. */
int dt_find_compatible(const struct dt_info *info, const char *compat, unsigned start);
/* The device at `path` (exact path, or components without '@' matching
 * "name@unit"), or NULL. */
const struct dt_device *dt_device_by_path(const struct dt_info *info, const char *path);
/* The device's compatible list contains `compat`. */
bool dt_device_is_compatible(const struct dt_device *dev, const char *compat);
/* Devices with at least one untranslatable reg entry. */
unsigned dt_untranslatable_count(const struct dt_info *info);
/* "/memreserve/", "/reserved-memory" or "/reserved-memory, no-map". */
const char *dt_rsv_source_name(const struct dt_rsv *rsv);

#endif
