/*
 * devrange: device memory as capability-named physical ranges, and
 * page_info(), the one description of any physical page.
 *
 * A device range is [base, size) + the memory attributes it permits +
 * the most rights a mapping may have. It has no frame-table entries and no
 * per-page storage of any kind (seed 000: nothing in a "struct Page" is
 * needed for device memory, which is never free, never paged, never
 * pinned): a 1 GiB range costs the same 24 bytes as a 4 KiB one. The
 * ranges are one sorted array, so finding the range of a page is a binary
 * search, and whatever the kernel needs to know about a device page is
 * computed on demand by page_info(), which serves RAM pages too (from the
 * frame table): the mapping code has one path for both.
 *
 * Validation of a new range, in this order, each with its own error:
 *   zero size                       E_INVAL
 *   base + size wraps               E_OVERFLOW
 *   ends beyond 40 bits             E_RANGE
 *   base or size not 4 KiB aligned  E_ALIGN
 *   overlaps RAM                    E_BUSY
 *   overlaps reserved memory        E_PERM
 *   overlaps another device range   E_EXIST
 *   table full                      E_NOMEM
 * (and E_INVAL for unknown attribute or rights bits, or execute rights).
 *
 * Locking: kernel lock; ranges are added at boot and by the system
 * description, looked up on every mapping.
 */
#ifndef CAIRN_DEVRANGE_H
#define CAIRN_DEVRANGE_H

#include <lib/types.h>
#include <mm/frame.h>

/* Memory attributes a mapping may ask for (the arch maps them to MAIR). */
enum mem_attr {
	MEM_ATTR_DEVICE = 0,         /* device-nGnRE: registers */
	MEM_ATTR_NORMAL_NC = 1,      /* normal, non-cacheable */
	MEM_ATTR_WRITE_COMBINE = 2,  /* normal NC, writes may be merged (frame buffers) */
	MEM_ATTR_NORMAL_WB = 3,      /* normal write-back: RAM */
};
#define MEM_ATTR_BIT(a) (1u << (a))
#define MEM_ATTRS_DEVICE_ALL \
	(MEM_ATTR_BIT(MEM_ATTR_DEVICE) | MEM_ATTR_BIT(MEM_ATTR_NORMAL_NC) | \
	 MEM_ATTR_BIT(MEM_ATTR_WRITE_COMBINE))

/* Rights a mapping may have. */
enum mem_rights {
	MEM_R = 1,
	MEM_W = 2,
	MEM_X = 4,                   /* never for device memory */
};

#define DEVRANGE_MAX 512
#define DEVRANGE_F_DT 1u             /* from the device description: mergeable */

struct devrange {
	paddr_t base;
	uint64_t size;
	uint32_t tag;                /* caller's name (e.g. device index) */
	uint8_t attrs;               /* MEM_ATTR_BIT set: DEVICE always included */
	uint8_t rights;              /* MEM_R | MEM_W at most */
	uint8_t flags;               /* DEVRANGE_F_* */
	uint8_t merged;              /* devices coalesced into it, minus one */
};
_Static_assert(sizeof(struct devrange) == 24, "device range: 24 bytes whatever its size");

/* Forget all ranges. */
void devrange_init(void);

/* Check a candidate range without adding it (errors above; *why says). */
int devrange_validate(paddr_t base, uint64_t size, const char **why);

/*
 * Add [base, base + size) exactly as given, permitting `attrs` (DEVICE is
 * always permitted) and at most `rights`. Errors above.
 */
int devrange_add(paddr_t base, uint64_t size, unsigned attrs, unsigned rights, uint32_t tag,
		 const char **why);

/*
 * Add the registers of a device as found in the device tree: rounded out
 * to whole pages, DEVICE only, rights R|W. Devices that share a page (the
 * 32 virtio-mmio transports of QEMU virt sit 0x200 apart) end up in one
 * range, because page granularity is what a mapping can give: a range
 * that overlaps only other DEVRANGE_F_DT ranges is merged with them. Size
 * 0 and wrapping are rejected as in devrange_validate; E_EXIST if it
 * overlaps a range added with devrange_add.
 */
int devrange_add_device(paddr_t base, uint64_t size, uint32_t tag, const char **why);

unsigned devrange_count(void);
const struct devrange *devrange_at(unsigned i);
/* The range holding pa, or NULL. O(log n). */
const struct devrange *devrange_find(paddr_t pa);
/* Kernel bytes spent on device ranges (count * sizeof). */
size_t devrange_meta_bytes(void);
/* Sorted, disjoint, aligned, clear of RAM and reserved: 0 or E_FORMAT. */
int devrange_check(const char **why);

/* ----------------------------------------------------------- page_info */

enum page_kind {
	PAGE_KIND_RAM = 1,
	PAGE_KIND_DEVICE = 2,
};

enum page_state {
	PAGE_FREE = 1,               /* RAM in the buddy allocator */
	PAGE_ALLOCATED = 2,          /* RAM handed out (pool, block, map count) */
	PAGE_KERNEL = 3,             /* RAM taken at boot (object heap) */
	PAGE_FRAME_TABLE = 4,        /* RAM backing the frame table */
	PAGE_RESERVED = 5,           /* RAM never handed out */
	PAGE_DEVICE = 6,             /* device memory */
	PAGE_UNKNOWN = 7,            /* RAM stolen at boot but not yet recorded */
};

struct page_info {
	paddr_t pa;                  /* the page (aligned down) */
	uint8_t kind;                /* enum page_kind */
	uint8_t state;               /* enum page_state */
	uint8_t attr;                /* default attribute */
	uint8_t attrs;               /* permitted attributes (MEM_ATTR_BIT) */
	uint8_t rights;              /* permitted rights (enum mem_rights) */
	uint8_t seg;                 /* RAM: segment */
	uint8_t pool;                /* RAM: pool id, FRAME_POOL_KERNEL or _NONE */
	uint8_t order;               /* RAM allocated: order of its block */
	paddr_t block;               /* allocated block head / device range base */
	uint64_t block_size;         /* its size in bytes */
	uint32_t map_count;          /* RAM allocated: mappings of this page */
	const struct devrange *range; /* device: the owning range */
	struct frame *frame;         /* RAM: the entry, NULL if not in the table */
};

/*
 * Describe the page holding pa, RAM or device alike. 0; E_RANGE (pa
 * beyond 40 bits); E_NOENT (neither RAM nor a device range: a hole).
 * O(log banks) for RAM, O(log ranges) for devices; nothing is stored.
 */
int page_info(paddr_t pa, struct page_info *out);

#endif
