/*
 * Flattened device tree parser (see fw/fdt.h).
 *
 * Design: fdt_open() checks the header, every block boundary and then walks
 * the whole structure block once, so that a blob it accepts is known to be
 * well formed: every token 4-byte aligned and inside the block, every node
 * name and property name NUL-terminated inside its block, every property
 * value inside the block, BEGIN_NODE/END_NODE balanced with depth at most
 * FDT_MAX_DEPTH, exactly one root, properties before subnodes, FDT_END last.
 * All arithmetic on offsets and lengths taken from the blob is done so that
 * it cannot overflow (sizes are compared against what remains, never added
 * blindly), and the blob is read byte by byte, so it may sit at any address.
 *
 * Invariants the accessors keep even on an unvalidated blob or a bogus node
 * offset: every read goes through tag_at()/next_tag(), which check the
 * offset against the structure block and return an error instead of
 * reading past it; every walk advances the offset strictly, so it ends;
 * walks that keep a stack of ancestors bound it by FDT_MAX_DEPTH. Nothing
 * allocates and nothing writes to the blob (fdt_copy writes only its own
 * destination buffer). A string of the strings block is known to be
 * terminated when it starts before strings_end (the block's last NUL,
 * found once by fdt_open), so naming a property costs no scan.
 *
 * The index (fdt_index) is one more walk of the validated tree, recording
 * in document order each node's offset, parent, depth, the index just past
 * its subtree, its first `phandle` and `linux,phandle`, and each property's
 * offset and name hash. An accessor first looks the node offset up in it
 * (binary search); a hit answers from the index, a miss (no index, or an
 * offset that is not a node's) takes the walk, so the answers are those of
 * the walk either way: a node's properties are the PROP tokens between its
 * BEGIN_NODE and its first subnode, its first child is the next node in
 * document order if that one's parent is it, its next sibling the node
 * just past its subtree if they share the parent. Host tests compare every
 * lookup on indexed and unindexed trees.
 */
#include <fw/fdt.h>
#include <lib/string.h>

#define HDR_V16_SIZE 36u
#define HDR_V17_SIZE 40u
#define RSV_ENTRY_SIZE 16u
#define FDT_LAST_COMP 17u

/* Byte offsets of the header words. */
enum {
	H_MAGIC = 0,
	H_TOTALSIZE = 4,
	H_OFF_STRUCT = 8,
	H_OFF_STRINGS = 12,
	H_OFF_RSVMAP = 16,
	H_VERSION = 20,
	H_LAST_COMP = 24,
	H_BOOT_CPUID = 28,
	H_SIZE_STRINGS = 32,
	H_SIZE_STRUCT = 36,
};

uint32_t fdt_be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint64_t be64(const uint8_t *b)
{
	return (uint64_t)fdt_be32(b) << 32 | fdt_be32(b + 4);
}

/* ---- failure reasons ---- */

static uint32_t clamp32(size_t v)
{
	return (v >> 16 >> 16) ? 0xffffffffu : (uint32_t)v; /* no -Wtype-limits on ILP32 */
}

static size_t put_str(char *buf, size_t size, size_t n, const char *s)
{
	while (*s && n + 1 < size)
		buf[n++] = *s++;
	return n;
}

static size_t put_num(char *buf, size_t size, size_t n, uint32_t v, unsigned base)
{
	char tmp[12];
	int i = 0;

	if (base == 16)
		n = put_str(buf, size, n, "0x");
	do {
		tmp[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (i > 0 && n + 1 < size)
		buf[n++] = tmp[--i];
	return n;
}

/*
 * Record a failure: `fmt` may contain %x (0x-prefixed hex) and %u
 * (decimal), taking a then b. Returns err so callers can `return fail(...)`.
 */
static int fail(struct fdt *f, int err, const char *fmt, uint32_t a, uint32_t b)
{
	size_t n = 0;
	unsigned used = 0;

	for (; *fmt && n + 1 < sizeof(f->why_buf); fmt++) {
		if (fmt[0] == '%' && (fmt[1] == 'x' || fmt[1] == 'u')) {
			uint32_t v = used++ == 0 ? a : b;

			n = put_num(f->why_buf, sizeof(f->why_buf), n, v, fmt[1] == 'x' ? 16 : 10);
			fmt++;
		} else {
			f->why_buf[n++] = *fmt;
		}
	}
	f->why_buf[n] = '\0';
	f->why = f->why_buf;
	return err;
}

/* ---- bounded access to the structure and strings blocks ---- */

static const uint8_t *sblock(const struct fdt *f)
{
	return f->blob + f->off_struct;
}

/* Token at structure offset `off`, if a whole aligned word is there. */
static int tag_at(const struct fdt *f, int off, uint32_t *tag)
{
	if (!f || !f->blob || off < 0 || (off & 3) || f->size_struct < 4 ||
	    (uint32_t)off > f->size_struct - 4)
		return E_RANGE;
	*tag = fdt_be32(sblock(f) + off);
	return 0;
}

/* Offset `x` rounded up to 4, if it stays within the structure block. */
static int align_in(const struct fdt *f, uint64_t x)
{
	x = (x + 3) & ~(uint64_t)3;
	if (x > f->size_struct)
		return E_TRUNC;
	return (int)x;
}

/*
 * Read the token at `off` and return the offset of the token after it
 * (past a node's name or a property's value). Never reads outside the
 * structure block; E_FORMAT for an unknown token.
 */
static int next_tag(const struct fdt *f, int off, uint32_t *tag)
{
	uint32_t rest, len;
	int err = tag_at(f, off, tag);

	if (err)
		return err;
	rest = f->size_struct - (uint32_t)off - 4; /* bytes after the tag */
	switch (*tag) {
	case FDT_BEGIN_NODE:
		len = (uint32_t)strnlen((const char *)sblock(f) + off + 4, rest);
		if (len == rest)
			return E_TRUNC;
		return align_in(f, (uint64_t)off + 4 + len + 1);
	case FDT_PROP:
		if (rest < 8)
			return E_TRUNC;
		len = fdt_be32(sblock(f) + off + 4);
		if (len > rest - 8)
			return E_TRUNC;
		return align_in(f, (uint64_t)off + 12 + len);
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		return off + 4;
	default:
		return E_FORMAT;
	}
}

/* NUL-terminated string at `nameoff` inside the strings block, or NULL:
 * it is terminated inside the block when it starts before the block's
 * last NUL (strings_end is 0 for a closed tree). */
static const char *string_at(const struct fdt *f, uint32_t nameoff)
{
	if (nameoff >= f->strings_end)
		return NULL;
	return (const char *)f->blob + f->off_strings + nameoff;
}

/* The strings-block name at `nameoff` is exactly name[0..len). Reads stop
 * at that string's NUL, which is inside the block. */
static bool name_at_is(const struct fdt *f, uint32_t nameoff, const char *name, size_t len)
{
	const char *s = string_at(f, nameoff);

	if (!s)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] != name[i] || s[i] == '\0')
			return false;
	return s[len] == '\0';
}

/* FNV-1a of name[0..len), stopping early at a NUL. */
static uint32_t name_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len && name[i]; i++) {
		h ^= (uint8_t)name[i];
		h *= 16777619u;
	}
	return h;
}

/* Index entry of the node at offset `node`, or NULL (no index, or not a
 * node's offset). The node last found and the one after it (a walk in
 * document order) are tried before the binary search. */
static const struct fdt_index_node *ix_node(const struct fdt *f, int node)
{
	struct fdt_index *ix = f ? f->ix : NULL;
	uint32_t lo = 0, hi;

	if (!ix)
		return NULL;
	hi = ix->hint;
	if (hi < ix->nnodes && ix->node[hi].off == node)
		return &ix->node[hi];
	if (hi + 1 < ix->nnodes && ix->node[hi + 1].off == node) {
		ix->hint = hi + 1;
		return &ix->node[hi + 1];
	}
	hi = ix->nnodes;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (ix->node[mid].off < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == ix->nnodes || ix->node[lo].off != node)
		return NULL;
	ix->hint = lo;
	return &ix->node[lo];
}

static bool is_node(const struct fdt *f, int node)
{
	uint32_t tag;

	if (ix_node(f, node))
		return true;
	return tag_at(f, node, &tag) == 0 && tag == FDT_BEGIN_NODE;
}

/* ---- fdt_open: header and whole-blob validation ---- */

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

static int check_rsvmap(struct fdt *f, uint32_t hdr)
{
	uint32_t room, n;

	if (f->off_rsvmap & 7)
		return fail(f, E_ALIGN, "memory reservation map offset %x not 8-byte aligned",
			    f->off_rsvmap, 0);
	if (f->off_rsvmap < hdr)
		return fail(f, E_RANGE, "memory reservation map offset %x inside the header",
			    f->off_rsvmap, 0);
	if (f->off_rsvmap > f->totalsize)
		return fail(f, E_RANGE, "memory reservation map offset %x past totalsize %x",
			    f->off_rsvmap, f->totalsize);
	room = (f->totalsize - f->off_rsvmap) / RSV_ENTRY_SIZE;
	for (n = 0;; n++) {
		const uint8_t *e = f->blob + f->off_rsvmap + (size_t)n * RSV_ENTRY_SIZE;

		if (n >= room)
			return fail(f, E_TRUNC,
				    "memory reservation map at %x has no terminator before totalsize %x",
				    f->off_rsvmap, f->totalsize);
		if (be64(e) == 0 && be64(e + 8) == 0)
			break;
	}
	f->nrsv = n;
	return 0;
}

/*
 * Walk the whole structure block (size f->size_struct, which for a v16
 * blob is only an upper bound) and check everything the accessors rely
 * on. On success f->root, f->nnodes are set and *end is the offset just
 * past FDT_END.
 */
static int check_struct(struct fdt *f, uint32_t *end)
{
	bool has_child[FDT_MAX_DEPTH + 1];
	uint32_t sz = f->size_struct, off = 0, depth = 0, len, nameoff, tag;
	const uint8_t *sb = sblock(f);
	const char *name;
	bool have_root = false;
	int next;

	for (;;) {
		if (sz - off < 4)
			return fail(f, E_TRUNC, "structure block ends at offset %x without FDT_END",
				    off, 0);
		tag = fdt_be32(sb + off);
		switch (tag) {
		case FDT_BEGIN_NODE:
			if (depth == 0 && have_root)
				return fail(f, E_FORMAT, "second root node at structure offset %x",
					    off, 0);
			if (depth >= FDT_MAX_DEPTH)
				return fail(f, E_DEPTH,
					    "nodes nested deeper than %u at structure offset %x",
					    FDT_MAX_DEPTH, off);
			name = (const char *)sb + off + 4;
			len = (uint32_t)strnlen(name, sz - off - 4);
			if (len == sz - off - 4)
				return fail(f, E_TRUNC,
					    "node name at structure offset %x runs past the block",
					    off, 0);
			if (depth == 0 && len != 0)
				return fail(f, E_FORMAT, "root node at %x has a name", off, 0);
			if (depth > 0 && len == 0)
				return fail(f, E_FORMAT, "empty node name at structure offset %x",
					    off, 0);
			if (memchr(name, '/', len))
				return fail(f, E_FORMAT, "node name at structure offset %x contains '/'",
					    off, 0);
			if (depth == 0) {
				have_root = true;
				f->root = (int)off;
			} else {
				has_child[depth] = true;
			}
			next = align_in(f, (uint64_t)off + 4 + len + 1);
			if (next < 0)
				return fail(f, E_TRUNC,
					    "node name padding at structure offset %x runs past the block",
					    off, 0);
			depth++;
			has_child[depth] = false;
			f->nnodes++;
			off = (uint32_t)next;
			break;
		case FDT_END_NODE:
			if (depth == 0)
				return fail(f, E_FORMAT,
					    "END_NODE without BEGIN_NODE at structure offset %x", off, 0);
			depth--;
			off += 4;
			break;
		case FDT_PROP:
			if (depth == 0)
				return fail(f, E_FORMAT, "property outside any node at structure offset %x",
					    off, 0);
			if (has_child[depth])
				return fail(f, E_FORMAT,
					    "property after a subnode at structure offset %x", off, 0);
			if (sz - off - 4 < 8)
				return fail(f, E_TRUNC,
					    "property header at structure offset %x runs past the block",
					    off, 0);
			len = fdt_be32(sb + off + 4);
			nameoff = fdt_be32(sb + off + 8);
			if (len > sz - off - 12)
				return fail(f, E_TRUNC,
					    "property at structure offset %x: length %x runs past the block",
					    off, len);
			if (nameoff >= f->size_strings)
				return fail(f, E_RANGE, "property name offset %x outside strings block (size %x)",
					    nameoff, f->size_strings);
			name = string_at(f, nameoff);
			if (!name)
				return fail(f, E_TRUNC,
					    "property name at strings offset %x not NUL-terminated", nameoff, 0);
			if (!*name)
				return fail(f, E_FORMAT, "empty property name at structure offset %x", off, 0);
			next = align_in(f, (uint64_t)off + 12 + len);
			if (next < 0)
				return fail(f, E_TRUNC,
					    "property value padding at structure offset %x runs past the block",
					    off, 0);
			off = (uint32_t)next;
			break;
		case FDT_NOP:
			off += 4;
			break;
		case FDT_END:
			if (depth != 0)
				return fail(f, E_FORMAT, "FDT_END at structure offset %x inside %u open nodes",
					    off, depth);
			if (!have_root)
				return fail(f, E_FORMAT, "no root node", 0, 0);
			*end = off + 4;
			return 0;
		default:
			return fail(f, E_FORMAT, "unknown token %x at structure offset %x", tag, off);
		}
	}
}

static int open_blob(struct fdt *f, const void *blob, size_t avail)
{
	const uint8_t *b = blob;
	uint32_t magic, hdr, end = 0, limit;
	int err;

	if (!blob)
		return fail(f, E_INVAL, "no device tree (NULL pointer)", 0, 0);
	if (avail < 4)
		return fail(f, E_TRUNC, "only %u bytes, not even a magic number", clamp32(avail), 0);
	magic = fdt_be32(b + H_MAGIC);
	if (magic != FDT_MAGIC)
		return fail(f, E_FORMAT, "bad magic %x (expected 0xd00dfeed)", magic, 0);
	if (avail < H_BOOT_CPUID) /* version and last_comp_version must be readable */
		return fail(f, E_TRUNC, "only %u bytes, shorter than the header", clamp32(avail), 0);
	f->version = fdt_be32(b + H_VERSION);
	f->last_comp_version = fdt_be32(b + H_LAST_COMP);
	if (f->version < 16)
		return fail(f, E_FORMAT, "unsupported version %u (need 16 or later)", f->version, 0);
	if (f->last_comp_version > FDT_LAST_COMP)
		return fail(f, E_FORMAT, "last compatible version %u is newer than %u",
			    f->last_comp_version, FDT_LAST_COMP);
	if (f->last_comp_version > f->version)
		return fail(f, E_FORMAT, "last compatible version %u above version %u",
			    f->last_comp_version, f->version);
	hdr = f->version >= 17 ? HDR_V17_SIZE : HDR_V16_SIZE;
	f->totalsize = fdt_be32(b + H_TOTALSIZE);
	if (f->totalsize < hdr)
		return fail(f, E_FORMAT, "totalsize %x smaller than the %u-byte header",
			    f->totalsize, hdr);
	if (f->totalsize > avail)
		return fail(f, E_TRUNC, "totalsize %x exceeds the %x bytes available",
			    f->totalsize, clamp32(avail));
	if (f->totalsize > 0x7fffffffu)
		return fail(f, E_RANGE, "totalsize %x is absurd", f->totalsize, 0);
	f->blob = b;
	f->off_struct = fdt_be32(b + H_OFF_STRUCT);
	f->off_strings = fdt_be32(b + H_OFF_STRINGS);
	f->off_rsvmap = fdt_be32(b + H_OFF_RSVMAP);
	f->boot_cpuid = fdt_be32(b + H_BOOT_CPUID);
	f->size_strings = fdt_be32(b + H_SIZE_STRINGS);

	/* Strings block. */
	if (f->off_strings < hdr)
		return fail(f, E_RANGE, "strings block offset %x inside the header", f->off_strings, 0);
	if (f->off_strings > f->totalsize)
		return fail(f, E_RANGE, "strings block offset %x past totalsize %x",
			    f->off_strings, f->totalsize);
	if (f->size_strings > f->totalsize - f->off_strings)
		return fail(f, E_TRUNC, "strings block (%x bytes at %x) extends past totalsize",
			    f->size_strings, f->off_strings);
	f->strings_end = f->size_strings;
	while (f->strings_end > 0 && b[f->off_strings + f->strings_end - 1] != '\0')
		f->strings_end--;

	/* Structure block. */
	if (f->off_struct & 3)
		return fail(f, E_ALIGN, "structure block offset %x not 4-byte aligned", f->off_struct, 0);
	if (f->off_struct < hdr)
		return fail(f, E_RANGE, "structure block offset %x inside the header", f->off_struct, 0);
	if (f->off_struct > f->totalsize)
		return fail(f, E_RANGE, "structure block offset %x past totalsize %x",
			    f->off_struct, f->totalsize);
	if (f->version >= 17) {
		f->size_struct = fdt_be32(b + H_SIZE_STRUCT);
		if (f->size_struct > f->totalsize - f->off_struct)
			return fail(f, E_TRUNC, "structure block (%x bytes at %x) extends past totalsize",
				    f->size_struct, f->off_struct);
	} else {
		/* v16 has no size: the block ends at FDT_END, found below. */
		limit = f->totalsize;
		if (f->off_strings >= f->off_struct)
			limit = f->off_strings;
		f->size_struct = limit - f->off_struct;
	}
	err = check_rsvmap(f, hdr);
	if (err)
		return err;
	err = check_struct(f, &end);
	if (err)
		return err;
	if (f->version < 17)
		f->size_struct = end;
	if (overlap(f->off_struct, f->size_struct, f->off_strings, f->size_strings))
		return fail(f, E_FORMAT, "structure block at %x overlaps strings block at %x",
			    f->off_struct, f->off_strings);
	if (overlap(f->off_rsvmap, (uint64_t)(f->nrsv + 1) * RSV_ENTRY_SIZE, f->off_struct,
		    f->size_struct) ||
	    overlap(f->off_rsvmap, (uint64_t)(f->nrsv + 1) * RSV_ENTRY_SIZE, f->off_strings,
		    f->size_strings))
		return fail(f, E_FORMAT, "memory reservation map at %x overlaps another block",
			    f->off_rsvmap, 0);
	return 0;
}

int fdt_open(struct fdt *f, const void *blob, size_t avail)
{
	int err;

	if (!f)
		return E_INVAL;
	memset(f, 0, sizeof(*f));
	f->why = "no error";
	f->root = E_NOENT;
	err = open_blob(f, blob, avail);
	if (err) {
		/* A rejected tree is closed: accessors then fail cleanly. */
		f->blob = NULL;
		f->totalsize = f->size_struct = f->size_strings = f->strings_end = 0;
		f->nrsv = f->nnodes = 0;
		f->root = E_NOENT;
	}
	return err;
}

/* ---- fdt_index ---- */

/* Record the property at `off` (its name already known terminated) in
 * the node `n`, and the node's phandles. */
static void index_prop(const struct fdt *f, struct fdt_index *ix, struct fdt_index_node *n,
		       int off, const char *name, uint32_t len)
{
	struct fdt_index_prop *p = &ix->prop[ix->nprops++];
	uint32_t v = len == 4 ? fdt_be32(sblock(f) + off + 12) : 0;

	p->off = off;
	p->hash = name_hash(name, SIZE_MAX);
	n->nprops++;
	/* fdt_prop_u32 reads the first property of a name, and only a
	 * 4-byte one counts; 0 is no phandle (fdt_node_by_phandle refuses it). */
	if (!(n->flags & FDT_IX_SEEN_PHANDLE) && strcmp(name, "phandle") == 0) {
		n->flags |= FDT_IX_SEEN_PHANDLE;
		n->phandle = v;
	} else if (!(n->flags & FDT_IX_SEEN_LINUX) && strcmp(name, "linux,phandle") == 0) {
		n->flags |= FDT_IX_SEEN_LINUX;
		n->linux_phandle = v;
	}
}

int fdt_index(struct fdt *f, struct fdt_index *ix)
{
	uint16_t open[FDT_MAX_DEPTH + 1];   /* indexes of the open nodes */
	uint32_t depth = 0, tag;
	int off, next;

	if (!f)
		return E_INVAL;
	f->ix = NULL;
	if (!ix || !f->blob || f->root < 0)
		return fail(f, E_INVAL, "no index: device tree not opened", 0, 0);
	ix->nnodes = ix->nprops = ix->hint = 0;
	for (off = f->root;; off = next) {
		struct fdt_index_node *n;

		next = next_tag(f, off, &tag);
		if (next < 0)
			break;                 /* not after fdt_open's checks */
		if (tag == FDT_BEGIN_NODE) {
			if (ix->nnodes == FDT_INDEX_NODES)
				return fail(f, E_OVERFLOW, "more than %u nodes (the index holds %u)",
					    FDT_INDEX_NODES, FDT_INDEX_NODES);
			if (depth > FDT_MAX_DEPTH)
				break;
			n = &ix->node[ix->nnodes];
			memset(n, 0, sizeof(*n));
			n->off = off;
			n->parent = depth ? open[depth - 1] : FDT_INDEX_NONE;
			n->depth = (uint16_t)depth;
			n->first_prop = (uint16_t)ix->nprops;
			open[depth++] = (uint16_t)ix->nnodes++;
		} else if (tag == FDT_END_NODE) {
			if (depth == 0)
				break;
			ix->node[open[--depth]].next = (uint16_t)ix->nnodes;
			if (depth == 0) {
				f->ix = ix;            /* the root closed: done */
				return 0;
			}
		} else if (tag == FDT_PROP) {
			const uint8_t *p = sblock(f) + off;
			const char *name = string_at(f, fdt_be32(p + 8));

			if (depth == 0 || !name)
				break;
			if (ix->nprops == FDT_INDEX_PROPS)
				return fail(f, E_OVERFLOW, "more than %u properties (the index holds %u)",
					    FDT_INDEX_PROPS, FDT_INDEX_PROPS);
			index_prop(f, ix, &ix->node[open[depth - 1]], off, name, fdt_be32(p + 4));
		} else if (tag != FDT_NOP) {
			break;
		}
	}
	return fail(f, E_FORMAT, "no index: malformed structure at offset %x", (uint32_t)off, 0);
}

size_t fdt_used_size(const struct fdt *f)
{
	uint64_t used, e;

	if (!f || !f->blob)
		return 0;
	used = f->version >= 17 ? HDR_V17_SIZE : HDR_V16_SIZE;
	e = (uint64_t)f->off_rsvmap + (uint64_t)(f->nrsv + 1) * RSV_ENTRY_SIZE;
	used = MAX(used, e);
	e = (uint64_t)f->off_struct + f->size_struct;
	used = MAX(used, e);
	e = (uint64_t)f->off_strings + f->size_strings;
	used = MAX(used, e);
	return (size_t)used;
}

int fdt_copy(struct fdt *dst, void *buf, size_t bufsize, const struct fdt *src)
{
	size_t used;
	uint8_t *b = buf;

	if (!dst)
		return E_INVAL;
	if (!src || !src->blob || !buf) {
		memset(dst, 0, sizeof(*dst));
		dst->root = E_NOENT;
		return fail(dst, E_INVAL, "nothing to copy (source not opened)", 0, 0);
	}
	used = fdt_used_size(src);
	if (used > bufsize) {
		/* Leave dst as a closed tree with the reason. */
		uint32_t need = (uint32_t)used;

		memset(dst, 0, sizeof(*dst));
		dst->root = E_NOENT;
		return fail(dst, E_NOMEM, "device tree needs %x bytes, buffer has %x", need,
			    clamp32(bufsize));
	}
	memmove(b, src->blob, used);
	b[H_TOTALSIZE] = (uint8_t)(used >> 24);
	b[H_TOTALSIZE + 1] = (uint8_t)(used >> 16);
	b[H_TOTALSIZE + 2] = (uint8_t)(used >> 8);
	b[H_TOTALSIZE + 3] = (uint8_t)used;
	return fdt_open(dst, b, used);
}

/* ---- nodes ---- */

int fdt_root(const struct fdt *f)
{
	if (!f || !f->blob)
		return E_INVAL;
	return is_node(f, f->root) ? f->root : E_FORMAT;
}

const char *fdt_node_name(const struct fdt *f, int node)
{
	uint32_t tag;

	if (ix_node(f, node))
		return (const char *)sblock(f) + node + 4;
	if (next_tag(f, node, &tag) < 0 || tag != FDT_BEGIN_NODE)
		return NULL;
	return (const char *)sblock(f) + node + 4;
}

/* Offset of the first token after the node's own properties (a subnode's
 * BEGIN_NODE or the node's END_NODE). */
static int after_props(const struct fdt *f, int node)
{
	uint32_t tag;
	int off = next_tag(f, node, &tag), next;

	if (off < 0)
		return off;
	if (tag != FDT_BEGIN_NODE)
		return E_INVAL;
	for (;;) {
		next = next_tag(f, off, &tag);
		if (next < 0)
			return next;
		if (tag != FDT_PROP && tag != FDT_NOP)
			return off;
		off = next;
	}
}

/* Offset just past the END_NODE that closes `node`. */
static int skip_subtree(const struct fdt *f, int node)
{
	uint32_t tag;
	int off = node, depth = 0;

	for (;;) {
		int next = next_tag(f, off, &tag);

		if (next < 0)
			return next;
		if (tag == FDT_BEGIN_NODE) {
			depth++;
		} else if (tag == FDT_END_NODE) {
			if (--depth == 0)
				return next;
		} else if (tag == FDT_END) {
			return E_FORMAT;
		}
		off = next;
	}
}

/* From `off`, skip NOPs: the offset of the `want` token found there
 * (FDT_BEGIN_NODE or FDT_PROP), or E_NOENT at any other token. */
static int tag_or_end(const struct fdt *f, int off, uint32_t want)
{
	uint32_t tag;

	for (;;) {
		int next = next_tag(f, off, &tag);

		if (next < 0)
			return next;
		if (tag == want)
			return off;
		if (tag != FDT_NOP)
			return E_NOENT;
		off = next;
	}
}

static int node_or_end(const struct fdt *f, int off)
{
	return tag_or_end(f, off, FDT_BEGIN_NODE);
}

int fdt_first_child(const struct fdt *f, int node)
{
	const struct fdt_index_node *n = ix_node(f, node);
	int off;

	if (n) {
		const struct fdt_index *ix = f->ix;
		uint32_t i = (uint32_t)(n - ix->node);

		if (i + 1 < ix->nnodes && ix->node[i + 1].parent == i)
			return ix->node[i + 1].off;
		return E_NOENT;
	}
	off = after_props(f, node);

	return off < 0 ? off : node_or_end(f, off);
}

int fdt_next_sibling(const struct fdt *f, int node)
{
	const struct fdt_index_node *n = ix_node(f, node);
	int off;

	if (n) {
		const struct fdt_index *ix = f->ix;

		if (n->parent == FDT_INDEX_NONE || n->next >= ix->nnodes ||
		    ix->node[n->next].parent != n->parent)
			return E_NOENT;
		return ix->node[n->next].off;
	}
	if (!is_node(f, node))
		return E_INVAL;
	if (node == f->root)
		return E_NOENT;
	off = skip_subtree(f, node);
	return off < 0 ? off : node_or_end(f, off);
}

int fdt_next_node(const struct fdt *f, int node, int *depth)
{
	const struct fdt_index_node *n = ix_node(f, node);
	uint32_t tag;
	int off, rel = 1;

	if (n) {
		if (n + 1 >= f->ix->node + f->ix->nnodes)
			return E_NOENT;
		if (depth)
			*depth += (int)n[1].depth - (int)n->depth;
		return n[1].off;
	}
	if (!is_node(f, node))
		return E_INVAL;
	off = next_tag(f, node, &tag);
	while (off >= 0) {
		int next = next_tag(f, off, &tag);

		if (next < 0)
			return next;
		if (tag == FDT_BEGIN_NODE) {
			if (depth)
				*depth += rel;
			return off;
		}
		if (tag == FDT_END_NODE)
			rel--;
		else if (tag == FDT_END)
			return E_NOENT;
		off = next;
	}
	return off;
}

/* Fill chain[0..] with the offsets of root .. node; returns the count. */
static int ancestry(const struct fdt *f, int node, int chain[FDT_MAX_DEPTH + 1])
{
	const struct fdt_index_node *n = ix_node(f, node);
	uint32_t tag;
	int off, depth = 0;

	if (n) {
		/* Validation bounds the depth by FDT_MAX_DEPTH - 1. */
		depth = (int)n->depth + 1;
		for (int k = depth - 1; k >= 0; k--) {
			chain[k] = n->off;
			if (n->parent != FDT_INDEX_NONE)
				n = &f->ix->node[n->parent];
		}
		return depth;
	}
	if (!is_node(f, node))
		return E_INVAL;
	off = fdt_root(f);
	if (off < 0)
		return off;
	for (;;) {
		int next = next_tag(f, off, &tag);

		if (next < 0)
			return next;
		if (tag == FDT_BEGIN_NODE) {
			if (depth > FDT_MAX_DEPTH)
				return E_DEPTH;
			chain[depth++] = off;
			if (off == node)
				return depth;
		} else if (tag == FDT_END_NODE) {
			if (--depth <= 0)
				return E_INVAL;
		} else if (tag == FDT_END) {
			return E_INVAL;
		}
		off = next;
	}
}

int fdt_parent(const struct fdt *f, int node)
{
	const struct fdt_index_node *in = ix_node(f, node);
	int chain[FDT_MAX_DEPTH + 1];
	int n;

	if (in)
		return in->parent == FDT_INDEX_NONE ? E_NOENT : f->ix->node[in->parent].off;
	n = ancestry(f, node, chain);

	if (n < 0)
		return n;
	return n >= 2 ? chain[n - 2] : E_NOENT;
}

int fdt_node_path(const struct fdt *f, int node, char *buf, size_t size)
{
	int chain[FDT_MAX_DEPTH + 1];
	int n;
	size_t len = 0;
	bool fits = true;

	if (!buf || size == 0)
		return E_INVAL;
	buf[0] = '\0';
	n = ancestry(f, node, chain);
	if (n < 0)
		return n;
	for (int i = n == 1 ? 0 : 1; i < n && fits; i++) {
		const char *name = fdt_node_name(f, chain[i]);

		if (len + 1 < size)
			buf[len++] = '/';
		else
			fits = false;
		for (; name && *name && fits; name++) {
			if (len + 1 < size)
				buf[len++] = *name;
			else
				fits = false;
		}
	}
	buf[len] = '\0';
	return fits ? (int)len : E_OVERFLOW;
}

/* Node name `nm` matches the path component name[0..len). */
static bool name_matches(const char *nm, const char *name, size_t len)
{
	if (strncmp(nm, name, len) != 0 || strnlen(nm, len) != len)
		return false;
	if (nm[len] == '\0')
		return true;
	return nm[len] == '@' && !memchr(name, '@', len);
}

int fdt_subnode(const struct fdt *f, int node, const char *name, size_t len)
{
	int child;

	if (!name)
		return E_INVAL;
	for (child = fdt_first_child(f, node); child >= 0; child = fdt_next_sibling(f, child)) {
		const char *nm = fdt_node_name(f, child);

		if (nm && name_matches(nm, name, len))
			return child;
	}
	return child == E_NOENT ? E_NOENT : child;
}

/* The property at `off` was found: its value and length, and `off`. */
static int prop_found(const struct fdt *f, int off, const void **val, uint32_t *plen)
{
	const uint8_t *p = sblock(f) + off;

	if (val)
		*val = p + 12;
	if (plen)
		*plen = fdt_be32(p + 4);
	return off;
}

/* Property of `node` named name[0..len). */
static int prop_n(const struct fdt *f, int node, const char *name, size_t len,
		  const void **val, uint32_t *plen)
{
	const struct fdt_index_node *n = ix_node(f, node);
	uint32_t tag;
	int off;

	if (n) {
		const struct fdt_index_prop *p = &f->ix->prop[n->first_prop], *end = p + n->nprops;
		uint32_t h = name_hash(name, len);

		for (; p < end; p++)
			if (p->hash == h && name_at_is(f, fdt_be32(sblock(f) + p->off + 8), name, len))
				return prop_found(f, p->off, val, plen);
		return E_NOENT;
	}
	off = next_tag(f, node, &tag);
	if (off < 0)
		return off;
	if (tag != FDT_BEGIN_NODE)
		return E_INVAL;
	for (;;) {
		int next = next_tag(f, off, &tag);

		if (next < 0)
			return next;
		if (tag == FDT_PROP) {
			if (name_at_is(f, fdt_be32(sblock(f) + off + 8), name, len))
				return prop_found(f, off, val, plen);
		} else if (tag != FDT_NOP) {
			return E_NOENT;
		}
		off = next;
	}
}

int fdt_path_n(const struct fdt *f, const char *path, size_t len)
{
	const char *p = path, *end;
	int node;

	if (!path)
		return E_INVAL;
	len = strnlen(path, len);
	end = path + len;
	if (len == 0)
		return E_NOENT;
	node = fdt_root(f);
	if (node < 0)
		return node;
	if (*p != '/') {
		/* Alias: the first component names a property of /aliases
		 * whose value is an absolute path. */
		const char *slash = memchr(p, '/', len);
		size_t alen = slash ? (size_t)(slash - p) : len;
		const void *val;
		uint32_t vlen;
		int aliases = fdt_subnode(f, node, "aliases", 7);

		if (aliases < 0)
			return aliases == E_NOENT ? E_NOENT : aliases;
		if (prop_n(f, aliases, p, alen, &val, &vlen) < 0)
			return E_NOENT;
		if (vlen < 2 || ((const char *)val)[0] != '/' ||
		    strnlen(val, vlen) != vlen - 1)
			return E_NOENT;
		node = fdt_path_n(f, val, vlen - 1); /* absolute: no recursion */
		if (node < 0)
			return node;
		p += alen;
	}
	while (p < end) {
		const char *c;

		while (p < end && *p == '/')
			p++;
		if (p == end)
			break;
		c = p;
		while (p < end && *p != '/')
			p++;
		node = fdt_subnode(f, node, c, (size_t)(p - c));
		if (node < 0)
			return node;
	}
	return node;
}

int fdt_path(const struct fdt *f, const char *path)
{
	if (!path)
		return E_INVAL;
	return fdt_path_n(f, path, strlen(path));
}

int fdt_node_by_phandle(const struct fdt *f, uint32_t phandle)
{
	int node;

	if (phandle == 0 || phandle == 0xffffffffu)
		return E_INVAL;
	if (f && f->ix) {
		for (uint32_t i = 0; i < f->ix->nnodes; i++) {
			const struct fdt_index_node *n = &f->ix->node[i];

			if (n->phandle == phandle || n->linux_phandle == phandle)
				return n->off;
		}
		return E_NOENT;
	}
	for (node = fdt_root(f); node >= 0; node = fdt_next_node(f, node, NULL)) {
		uint32_t v;

		if (fdt_prop_u32(f, node, "phandle", &v) == 0 && v == phandle)
			return node;
		if (fdt_prop_u32(f, node, "linux,phandle", &v) == 0 && v == phandle)
			return node;
	}
	return node == E_NOENT ? E_NOENT : node;
}

int fdt_find_compatible(const struct fdt *f, int node, const char *compat)
{
	node = node < 0 ? fdt_root(f) : fdt_next_node(f, node, NULL);
	for (; node >= 0; node = fdt_next_node(f, node, NULL))
		if (fdt_node_is_compatible(f, node, compat))
			return node;
	return node;
}

/* ---- properties ---- */

int fdt_prop(const struct fdt *f, int node, const char *name, const void **val,
	     uint32_t *len)
{
	int off;

	if (!name)
		return E_INVAL;
	off = prop_n(f, node, name, strlen(name), val, len);
	return off < 0 ? off : 0;
}

static int prop_or_end(const struct fdt *f, int off)
{
	return tag_or_end(f, off, FDT_PROP);
}

/* The first property after the token at `off`, which must be `want`. */
static int prop_after(const struct fdt *f, int off, uint32_t want)
{
	uint32_t tag;
	int next = next_tag(f, off, &tag);

	if (next < 0)
		return next;
	if (tag != want)
		return E_INVAL;
	return prop_or_end(f, next);
}

int fdt_first_prop(const struct fdt *f, int node)
{
	return prop_after(f, node, FDT_BEGIN_NODE);
}

int fdt_next_prop(const struct fdt *f, int prop)
{
	return prop_after(f, prop, FDT_PROP);
}

int fdt_prop_at(const struct fdt *f, int prop, const char **name, const void **val,
		uint32_t *len)
{
	uint32_t tag;
	int next = next_tag(f, prop, &tag);
	const uint8_t *p;
	const char *pn;

	if (next < 0)
		return next;
	if (tag != FDT_PROP)
		return E_INVAL;
	p = sblock(f) + prop;
	pn = string_at(f, fdt_be32(p + 8));
	if (!pn)
		return E_RANGE;
	if (name)
		*name = pn;
	if (val)
		*val = p + 12;
	if (len)
		*len = fdt_be32(p + 4);
	return 0;
}

int fdt_prop_u32(const struct fdt *f, int node, const char *name, uint32_t *out)
{
	const void *val;
	uint32_t len;
	int err = fdt_prop(f, node, name, &val, &len);

	if (err)
		return err;
	if (len != 4)
		return E_FORMAT;
	*out = fdt_be32(val);
	return 0;
}

const char *fdt_stringlist_get(const void *val, uint32_t len, unsigned index)
{
	const char *s = val;

	if (!val)
		return NULL;
	while (len) {
		size_t n = strnlen(s, len);

		if (n == len)
			return NULL; /* unterminated tail */
		if (index-- == 0)
			return s;
		s += n + 1;
		len -= (uint32_t)(n + 1);
	}
	return NULL;
}

bool fdt_stringlist_contains(const void *val, uint32_t len, const char *s)
{
	const char *p = val;

	if (!val || !s)
		return false;
	/* One pass over each entry: compare while equal, then find its end.
	 * An entry without its NUL inside len ends the list, unmatched. */
	while (len) {
		uint32_t i = 0;

		while (i < len && p[i] && p[i] == s[i])
			i++;
		if (i < len && p[i] == '\0' && s[i] == '\0')
			return true;
		while (i < len && p[i])
			i++;
		if (i == len)
			return false;
		p += i + 1;
		len -= i + 1;
	}
	return false;
}

bool fdt_prop_has_string(const struct fdt *f, int node, const char *name, const char *s)
{
	const void *val;
	uint32_t len;

	if (fdt_prop(f, node, name, &val, &len) != 0)
		return false;
	return fdt_stringlist_contains(val, len, s);
}

bool fdt_node_is_compatible(const struct fdt *f, int node, const char *compat)
{
	return fdt_prop_has_string(f, node, "compatible", compat);
}

const char *fdt_prop_string(const struct fdt *f, int node, const char *name)
{
	const void *val;
	uint32_t len;

	if (fdt_prop(f, node, name, &val, &len) != 0 || len == 0)
		return NULL;
	if (strnlen(val, len) != len - 1)
		return NULL;
	return val;
}

/* ---- cells ---- */

int fdt_read_cells(const void *p, uint32_t ncells, uint64_t *out)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	if (ncells > FDT_MAX_CELLS)
		return E_RANGE;
	for (uint32_t i = 0; i < ncells; i++) {
		if (i + 2 < ncells) {
			if (fdt_be32(b + 4 * i) != 0)
				return E_RANGE;
			continue;
		}
		v = v << 32 | fdt_be32(b + 4 * i);
	}
	*out = v;
	return 0;
}

static int cells_prop(const struct fdt *f, int node, const char *name, int dflt)
{
	uint32_t v;
	int err;

	if (!is_node(f, node))
		return E_INVAL;
	err = fdt_prop_u32(f, node, name, &v);
	if (err == E_NOENT)
		return dflt;
	if (err)
		return err;
	if (v > FDT_MAX_CELLS)
		return E_RANGE;
	return (int)v;
}

int fdt_address_cells(const struct fdt *f, int node)
{
	return cells_prop(f, node, "#address-cells", 2);
}

int fdt_size_cells(const struct fdt *f, int node)
{
	return cells_prop(f, node, "#size-cells", 1);
}

/* ---- memory reservation map ---- */

unsigned fdt_num_mem_rsv(const struct fdt *f)
{
	return f && f->blob ? f->nrsv : 0;
}

int fdt_mem_rsv(const struct fdt *f, unsigned index, uint64_t *base, uint64_t *size)
{
	const uint8_t *e;

	if (!f || !f->blob || index >= f->nrsv)
		return E_NOENT;
	e = f->blob + f->off_rsvmap + (size_t)index * RSV_ENTRY_SIZE;
	if (base)
		*base = be64(e);
	if (size)
		*size = be64(e + 8);
	return 0;
}
