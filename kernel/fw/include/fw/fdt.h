/*
 * Flattened device tree (DTB, format version 17, readable when version 16).
 *
 * A blob is validated once, completely, by fdt_open(): the header, every
 * block's bounds (overflow-safe), the memory reservation map (must have its
 * terminator inside the blob) and the whole structure block (token
 * alignment, node names and property names NUL-terminated inside their
 * blocks, property lengths in bounds, BEGIN/END balanced, nesting at most
 * FDT_MAX_DEPTH, exactly one root, properties before subnodes, FDT_END
 * last). A rejected blob gives a negative `enum err` and a precise reason in
 * `why`. The accessors below rely on that validation for meaning but still
 * bounds-check every read, so a wrong node offset gives an error or a
 * nonsense answer, never a wild read or an endless loop.
 *
 * Nodes and properties are named by their offset inside the structure
 * block (an int; negative values are `enum err` codes). The blob is never
 * written and may sit at any alignment: all multi-byte values are read
 * byte by byte as big-endian. Pointers returned (names, property values)
 * point into the blob.
 *
 * An opened tree can be given an index (fdt_index): one pass that records
 * every node (offset, parent, end of its subtree, depth, phandles, where
 * its properties are) and every property (offset, hash of its name). The
 * lookups then cost a binary search and a scan of one node's properties
 * instead of walks of the structure block; their answers are the same.
 * The index has a fixed size: a tree with more than FDT_INDEX_NODES nodes
 * or FDT_INDEX_PROPS properties is not indexed (E_OVERFLOW, and the tree
 * stays open and correct, every lookup walking as without an index).
 */
#ifndef CAIRN_FDT_H
#define CAIRN_FDT_H

#include <lib/error.h>
#include <lib/types.h>

#define FDT_MAGIC 0xd00dfeedu
#define FDT_MAX_DEPTH 32     /* nesting limit, root = depth 1 */
#define FDT_MAX_CELLS 4      /* larger #address-cells/#size-cells: absurd */
#define FDT_WHY_LEN 96
#define FDT_INDEX_NODES 1024 /* index bound: nodes (QEMU virt has 56) */
#define FDT_INDEX_PROPS 4096 /* index bound: properties (QEMU virt has 270) */

#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u
#define FDT_END 9u

/* One node of the index, in document order (see fdt_index). */
struct fdt_index_node {
	int32_t off;           /* its BEGIN_NODE in the structure block */
	uint16_t parent;       /* index of its parent; FDT_INDEX_NONE for the root */
	uint16_t next;         /* index of the first node after its subtree */
	uint16_t depth;        /* 0 for the root */
	uint16_t flags;        /* FDT_IX_* */
	uint16_t first_prop;   /* its properties: prop[first_prop, + nprops) */
	uint16_t nprops;
	uint32_t phandle;      /* its first `phandle` when that is 4 bytes, else 0 */
	uint32_t linux_phandle; /* the same for `linux,phandle` */
};
_Static_assert(sizeof(struct fdt_index_node) == 24, "an index node: 24 bytes");

#define FDT_INDEX_NONE 0xffffu
#define FDT_IX_SEEN_PHANDLE 1u    /* a `phandle` was seen (the first one counts) */
#define FDT_IX_SEEN_LINUX 2u      /* a `linux,phandle` was seen */

/* One property of the index, in document order. */
struct fdt_index_prop {
	int32_t off;           /* its FDT_PROP token in the structure block */
	uint32_t hash;         /* FNV-1a of its name */
};
_Static_assert(sizeof(struct fdt_index_prop) == 8, "an index property: 8 bytes");

/* Storage for an index: 56 KiB with the bounds above. */
struct fdt_index {
	uint32_t nnodes;
	uint32_t nprops;
	uint32_t hint;         /* the node last found (lookups come in runs on one
				* node): a guess, checked before use */
	struct fdt_index_node node[FDT_INDEX_NODES];
	struct fdt_index_prop prop[FDT_INDEX_PROPS];
};

struct fdt {
	const uint8_t *blob;
	uint32_t totalsize;
	uint32_t version;
	uint32_t last_comp_version;
	uint32_t boot_cpuid;
	uint32_t off_struct;   /* structure block: [off_struct, +size_struct) */
	uint32_t size_struct;  /* for v16 blobs: up to and including FDT_END */
	uint32_t off_strings;
	uint32_t size_strings;
	uint32_t off_rsvmap;
	uint32_t nrsv;         /* reservation entries before the terminator */
	uint32_t nnodes;
	uint32_t strings_end;  /* just past the last NUL of the strings block (0: none) */
	int root;              /* offset of the root node */
	struct fdt_index *ix;  /* NULL when not indexed */
	const char *why;       /* reason of the last failure, never NULL */
	char why_buf[FDT_WHY_LEN];
};

/* Validate the blob at `blob` (at most `avail` readable bytes) and fill *f.
 * 0 on success; else E_FORMAT (magic, version, structure), E_TRUNC (a block
 * or item runs past its end), E_RANGE (offset outside its block), E_ALIGN,
 * E_DEPTH (nesting), E_INVAL (NULL blob); f->why says what exactly. */
int fdt_open(struct fdt *f, const void *blob, size_t avail);

/* Index the opened tree `f` into *ix (caller's storage, which must stay
 * in place while f is used; lookups write only its hint, so an indexed
 * tree is for one thread at a time) and use it for every lookup from
 * then on. 0 on success; E_OVERFLOW when the tree has more nodes or
 * properties than the index holds (f->why says which), E_INVAL when f is
 * not open: f is then left unindexed, still open and correct. */
int fdt_index(struct fdt *f, struct fdt_index *ix);

/* Bytes from the blob start that hold data: the furthest end of header,
 * reservation map (with terminator), structure and strings blocks. */
size_t fdt_used_size(const struct fdt *f);

/* Copy the used part of the opened `src` into buf[bufsize], set totalsize
 * in the copy to the used size and open the copy as *dst. E_NOMEM when it
 * does not fit (dst->why says so). dst and src must be distinct. */
int fdt_copy(struct fdt *dst, void *buf, size_t bufsize, const struct fdt *src);

/* ---- nodes ---- */

/* The root node. */
int fdt_root(const struct fdt *f);
/* First subnode of `node`, or E_NOENT. */
int fdt_first_child(const struct fdt *f, int node);
/* Next node after `node` with the same parent, or E_NOENT. */
int fdt_next_sibling(const struct fdt *f, int node);
/* Parent of `node` (a forward walk from the root, O(n)); E_NOENT for the
 * root, E_INVAL when `node` is not a node offset. */
int fdt_parent(const struct fdt *f, int node);
/* Next node in document order (depth-first). *depth (if not NULL) is
 * updated by the change in nesting (+1 into a child, 0 sibling, -k back
 * out); E_NOENT after the last node. Start with fdt_root(). */
int fdt_next_node(const struct fdt *f, int node, int *depth);
/* Name of the node ("" for the root, "uart@9000000"), or NULL. */
const char *fdt_node_name(const struct fdt *f, int node);
/* Full path of `node` into buf[size] ("/", "/soc/uart@1000"). Returns the
 * length; E_OVERFLOW if it did not fit (buf then holds a truncated,
 * terminated prefix), E_INVAL for a bad node. */
int fdt_node_path(const struct fdt *f, int node, char *buf, size_t size);
/* Node at an absolute path. A component without '@' also matches a node
 * whose name is that component followed by "@unit". A path not starting
 * with '/' starts with an alias from /aliases. E_NOENT if absent. */
int fdt_path(const struct fdt *f, const char *path);
/* Same, for the first `len` characters of `path`. */
int fdt_path_n(const struct fdt *f, const char *path, size_t len);
/* Subnode of `node` with this name (same unit-address rule). */
int fdt_subnode(const struct fdt *f, int node, const char *name, size_t len);
/* Node whose `phandle` (or `linux,phandle`) is `phandle`; E_NOENT if none,
 * E_INVAL for phandle 0 or 0xffffffff. */
int fdt_node_by_phandle(const struct fdt *f, uint32_t phandle);
/* Next node after `node` in document order (from the start when node < 0)
 * whose compatible list contains `compat`; E_NOENT if none. */
int fdt_find_compatible(const struct fdt *f, int node, const char *compat);

/* ---- properties ---- */

/* Look up property `name` of `node`: *val, *len (either may be NULL).
 * E_NOENT if absent. */
int fdt_prop(const struct fdt *f, int node, const char *name, const void **val,
	     uint32_t *len);
/* First property of `node` / the one after `prop`; E_NOENT at the end. */
int fdt_first_prop(const struct fdt *f, int node);
int fdt_next_prop(const struct fdt *f, int prop);
/* Name, value and length of the property at offset `prop`. */
int fdt_prop_at(const struct fdt *f, int prop, const char **name, const void **val,
		uint32_t *len);
/* A single-cell property (exactly 4 bytes) as a number. E_NOENT if absent,
 * E_FORMAT if its length is not 4. */
int fdt_prop_u32(const struct fdt *f, int node, const char *name, uint32_t *out);
/* The property is a string list (NUL-terminated strings) containing `s`. */
bool fdt_prop_has_string(const struct fdt *f, int node, const char *name,
			 const char *s);
/* `compatible` of `node` contains `compat`. */
bool fdt_node_is_compatible(const struct fdt *f, int node, const char *compat);
/* The property's value is one NUL-terminated string (no earlier NUL):
 * the string, or NULL when absent or not a proper string. */
const char *fdt_prop_string(const struct fdt *f, int node, const char *name);
/* The index'th string of a string list, or NULL. */
const char *fdt_stringlist_get(const void *val, uint32_t len, unsigned index);
/* A string list (val, len) contains `s` as a whole entry. */
bool fdt_stringlist_contains(const void *val, uint32_t len, const char *s);

/* ---- cells ---- */

/* Big-endian 32-bit value at p (any alignment). */
uint32_t fdt_be32(const void *p);
/* `ncells` big-endian cells at p as one number. 0 cells give 0; more than
 * 2 cells are accepted only when the upper cells are 0 (E_RANGE if not);
 * ncells > FDT_MAX_CELLS is E_RANGE (absurd). */
int fdt_read_cells(const void *p, uint32_t ncells, uint64_t *out);
/* #address-cells / #size-cells that `node` gives its children: the
 * property, or the defaults 2 and 1 when absent. E_FORMAT if malformed,
 * E_RANGE if greater than FDT_MAX_CELLS. */
int fdt_address_cells(const struct fdt *f, int node);
int fdt_size_cells(const struct fdt *f, int node);

/* ---- memory reservation map ---- */

/* Number of /memreserve/ entries (before the terminator). */
unsigned fdt_num_mem_rsv(const struct fdt *f);
/* Entry `index`: 0, or E_NOENT past the end. */
int fdt_mem_rsv(const struct fdt *f, unsigned index, uint64_t *base, uint64_t *size);

#endif
