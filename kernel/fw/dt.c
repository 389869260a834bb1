/*
 * Boot-time device-tree extraction (see fw/dt.h).
 *
 * Design: one depth-first walk over the validated tree (fdt_next_node),
 * keeping a stack with one entry per open ancestor: the cell counts it
 * gives its children, its `ranges`, the effective interrupt-parent, what
 * kind of subtree it is (/cpus, /reserved-memory) and the length of its
 * path in a shared path buffer. Each node is classified once: RAM
 * (device_type "memory"), CPU (/cpus child), reserved range
 * (/reserved-memory child) or, when it has `reg`, a device; the timer and
 * PSCI nodes are recognised on the way. /memreserve/ is read before the
 * walk and /chosen after it (it may name aliases defined anywhere).
 *
 * Invariants: nothing is trusted that fdt_open did not check: every cell
 * count is bounded (FDT_MAX_CELLS), every property length is checked
 * against what is read from it, address arithmetic is checked for
 * wrap-around, and everything that follows references is bounded: the
 * ancestor stack by FDT_MAX_DEPTH (the parser's own limit), interrupt-parent
 * chains by DT_IRQ_MAX_HOPS. Resolved interrupt parents are cached, so a
 * tree with many devices costs a few phandle searches, not one per device.
 */
#include <fw/dt.h>
#include <lib/printf.h>
#include <lib/string.h>

#include <stdarg.h>

enum level_kind {
	K_OTHER,
	K_CPUS,        /* /cpus */
	K_IN_CPUS,     /* anything below /cpus */
	K_RSVMEM,      /* /reserved-memory */
	K_IN_RSVMEM,   /* anything below /reserved-memory */
};

struct level {
	int node;
	int ac, sc;                /* cells this node gives its children */
	const uint8_t *ranges;
	uint32_t ranges_len;
	bool has_ranges;
	bool path_truncated;
	uint8_t kind;
	uint32_t iparent;          /* effective interrupt-parent phandle */
	size_t path_len;
};

#define IRQ_CACHE 8
#define WALK_PATH_MAX 256

struct irq_cache {
	uint32_t phandle;
	uint32_t cells;
	uint8_t status;
};

struct walk {
	const struct fdt *f;
	struct dt_info *out;
	struct level lv[FDT_MAX_DEPTH + 1];
	char path[WALK_PATH_MAX];
	struct irq_cache cache[IRQ_CACHE];
	unsigned ncache;
};

static const char *const gic_compat[] = {
	"arm,cortex-a15-gic", "arm,gic-400", "arm,cortex-a7-gic", "arm,cortex-a9-gic",
};

static const char *const timer_compat[] = { "arm,armv7-timer", "arm,armv8-timer" };

static const char *const psci_compat[] = { "arm,psci", "arm,psci-0.2", "arm,psci-1.0" };

/* ---- errors and warnings ---- */

static int PRINTF_LIKE(3, 4) fail(struct dt_info *o, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(o->why_buf, sizeof(o->why_buf), fmt, ap);
	va_end(ap);
	o->why = o->why_buf;
	return err;
}

static void PRINTF_LIKE(2, 3) warn(struct dt_info *o, const char *fmt, ...)
{
	va_list ap;

	if (o->warnings++ == 0) {
		va_start(ap, fmt);
		kvsnprintf(o->first_warning, sizeof(o->first_warning), fmt, ap);
		va_end(ap);
	}
}

static const char *cur_path(const struct walk *w)
{
	return w->path[0] ? w->path : "/";
}

/* ---- small helpers ---- */

static bool compat_any(const struct fdt *f, int node, const char *const *list, size_t n)
{
	const void *val;
	uint32_t len;

	if (fdt_prop(f, node, "compatible", &val, &len) != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (fdt_stringlist_contains(val, len, list[i]))
			return true;
	return false;
}

/* Node name equals `base` or is "base@unit". */
static bool name_is(const char *name, const char *base)
{
	size_t n = strlen(base);

	return name && strncmp(name, base, n) == 0 && (name[n] == '\0' || name[n] == '@');
}

/* Low 64 bits of `ncells` cells (for reporting an untranslatable address). */
static uint64_t low_bits(const uint8_t *p, int ncells)
{
	uint64_t v = 0;

	for (int i = ncells > 2 ? ncells - 2 : 0; i < ncells; i++)
		v = v << 32 | fdt_be32(p + 4 * i);
	return v;
}

/* ---- address translation ---- */

/*
 * Translate `*addr` (with `size`), an address in the space of the node at
 * depth `d`'s parent, up through every ancestor's `ranges` to the root's
 * space. False when some ancestor has no `ranges` or no window holds the
 * whole region.
 */
static bool translate(const struct walk *w, int d, uint64_t *addr, uint64_t size)
{
	uint64_t a = *addr;

	for (int k = d - 1; k >= 1; k--) {
		const struct level *bus = &w->lv[k];
		uint32_t cac = (uint32_t)bus->ac, pac = (uint32_t)w->lv[k - 1].ac;
		uint32_t csc = (uint32_t)bus->sc, esz = (cac + pac + csc) * 4;
		bool found = false;

		if (!bus->has_ranges)
			return false;
		if (bus->ranges_len == 0)
			continue; /* identity */
		if (esz == 0 || bus->ranges_len % esz)
			return false;
		for (uint32_t off = 0; off < bus->ranges_len && !found; off += esz) {
			const uint8_t *e = bus->ranges + off;
			uint64_t cb, pb, len, delta;

			if (fdt_read_cells(e, cac, &cb) || fdt_read_cells(e + 4 * cac, pac, &pb) ||
			    fdt_read_cells(e + 4 * (cac + pac), csc, &len))
				continue;
			if (a < cb || a - cb >= len)
				continue;
			delta = a - cb;
			if (size > len - delta || delta > UINT64_MAX - pb)
				continue;
			a = pb + delta;
			found = true;
		}
		if (!found)
			return false;
	}
	*addr = a;
	return true;
}

/* Entries in a `reg` of a node at depth d (its parent's cell counts). */
static int reg_count(const struct walk *w, int d, uint32_t len, uint32_t *n)
{
	uint32_t esz = (uint32_t)(w->lv[d - 1].ac + w->lv[d - 1].sc) * 4;

	if (esz == 0 || len % esz)
		return E_FORMAT;
	*n = len / esz;
	return 0;
}

/*
 * Entry i of `reg` (node at depth d): raw address and size. Returns 0, or
 * E_RANGE when a value does not fit 64 bits (*addr then holds the low bits).
 */
static int reg_entry(const struct walk *w, int d, const uint8_t *reg, uint32_t i,
		     uint64_t *addr, uint64_t *size)
{
	uint32_t ac = (uint32_t)w->lv[d - 1].ac, sc = (uint32_t)w->lv[d - 1].sc;
	const uint8_t *e = reg + (size_t)i * (ac + sc) * 4;

	*size = 0;
	if (fdt_read_cells(e, ac, addr)) {
		*addr = low_bits(e, (int)ac);
		return E_RANGE;
	}
	return fdt_read_cells(e + 4 * ac, sc, size);
}

/* ---- interrupt parents ---- */

/* interrupt-parent of `node` or its nearest ancestor that has one; 0 if none. */
static uint32_t effective_iparent(const struct fdt *f, int node)
{
	for (int hops = 0; node >= 0 && hops <= FDT_MAX_DEPTH; hops++) {
		uint32_t ph;

		if (fdt_prop_u32(f, node, "interrupt-parent", &ph) == 0)
			return ph;
		node = fdt_parent(f, node);
	}
	return 0;
}

/*
 * Resolve interrupt parent `phandle`: its #interrupt-cells into *cells and
 * whether the chain of interrupt parents above it ends (at a controller
 * without a parent or that is its own parent) within DT_IRQ_MAX_HOPS.
 */
static uint8_t resolve_irq(struct walk *w, uint32_t phandle, uint32_t *cells)
{
	uint32_t cur = phandle, next;
	uint8_t status = DT_IRQ_LOOP;
	struct irq_cache *c;

	*cells = 0;
	for (unsigned i = 0; i < w->ncache && i < IRQ_CACHE; i++) {
		if (w->cache[i].phandle == phandle) {
			*cells = w->cache[i].cells;
			return w->cache[i].status;
		}
	}
	for (unsigned hop = 0; hop < DT_IRQ_MAX_HOPS; hop++) {
		int node = fdt_node_by_phandle(w->f, cur);

		if (node < 0) {
			status = DT_IRQ_MISSING;
			break;
		}
		if (hop == 0) {
			uint32_t ic;

			if (fdt_prop_u32(w->f, node, "#interrupt-cells", &ic) != 0 ||
			    ic > DT_MAX_IRQ_CELLS) {
				status = DT_IRQ_BAD;
				break;
			}
			*cells = ic;
		}
		next = effective_iparent(w->f, node);
		if (next == 0 || next == cur) {
			status = DT_IRQ_OK;
			break;
		}
		cur = next;
	}
	c = &w->cache[w->ncache++ % IRQ_CACHE];
	c->phandle = phandle;
	c->cells = *cells;
	c->status = status;
	return status;
}

/* ---- RAM, reservations, CPUs ---- */

static int add_mem(struct walk *w, uint64_t base, uint64_t size)
{
	struct dt_info *o = w->out;
	unsigned i;

	if (size > UINT64_MAX - base)
		return fail(o, E_RANGE, "memory bank 0x%llx+0x%llx in %s wraps around",
			    (unsigned long long)base, (unsigned long long)size, cur_path(w));
	for (i = 0; i < o->nmem; i++) {
		const struct dt_mem *m = &o->mem[i];

		if (base < m->base + m->size && m->base < base + size)
			return fail(o, E_RANGE,
				    "memory bank 0x%llx+0x%llx in %s overlaps 0x%llx+0x%llx",
				    (unsigned long long)base, (unsigned long long)size,
				    cur_path(w), (unsigned long long)m->base,
				    (unsigned long long)m->size);
	}
	if (o->nmem == DT_MAX_MEM) {
		/* RAM left unused is safe; the machine runs on the banks kept. */
		o->mem_dropped++;
		o->mem_dropped_bytes += size;
		warn(o, "more than %u memory banks; 0x%llx+0x%llx in %s left unused", DT_MAX_MEM,
		     (unsigned long long)base, (unsigned long long)size, cur_path(w));
		return 0;
	}
	/* Keep the banks sorted by base. */
	for (i = o->nmem; i > 0 && o->mem[i - 1].base > base; i--)
		o->mem[i] = o->mem[i - 1];
	o->mem[i].base = base;
	o->mem[i].size = size;
	o->nmem++;
	return 0;
}

/* Bytes between two ranges (0 when they overlap or touch). */
static uint64_t rsv_gap(const struct dt_rsv *a, const struct dt_rsv *b)
{
	uint64_t ae = a->base + a->size, be = b->base + b->size;

	if (a->base >= be)
		return a->base - be;
	if (b->base >= ae)
		return b->base - ae;
	return 0;
}

/*
 * The table is full and one more range `extra` arrives: make room by
 * merging the two nearest of the DT_MAX_RSV + 1 ranges into their hull
 * (the extra one may be either). Over-reserving is safe, forgetting a
 * reservation is not. The hull keeps the first one's source and is no-map
 * if either was.
 */
static void rsv_merge(struct dt_info *o, const struct dt_rsv *extra)
{
	unsigned bi = 0, bj = 0;
	uint64_t best = UINT64_MAX;
	struct dt_rsv *a, m;
	const struct dt_rsv *b;

	for (unsigned i = 0; i <= DT_MAX_RSV && best; i++) {
		const struct dt_rsv *ri = i < DT_MAX_RSV ? &o->rsv[i] : extra;

		for (unsigned j = i + 1; j <= DT_MAX_RSV; j++) {
			const struct dt_rsv *rj = j < DT_MAX_RSV ? &o->rsv[j] : extra;
			uint64_t g = rsv_gap(ri, rj);

			if (g < best) {
				best = g;
				bi = i;
				bj = j;
				if (!g)
					break;
			}
		}
	}
	a = &o->rsv[bi];                /* bi < bj <= DT_MAX_RSV: bi is in the table */
	b = bj < DT_MAX_RSV ? &o->rsv[bj] : extra;
	m = *a;
	m.base = MIN(a->base, b->base);
	m.size = MAX(a->base + a->size, b->base + b->size) - m.base;
	m.no_map = a->no_map || b->no_map;
	*a = m;
	if (bj < DT_MAX_RSV)
		o->rsv[bj] = *extra;    /* the extra one takes the freed entry */
	o->rsv_merged++;
	o->rsv_merged_bytes += best;
}

static int add_rsv(struct walk *w, uint64_t base, uint64_t size, uint8_t source, bool no_map)
{
	struct dt_info *o = w->out;

	if (size == 0)
		return 0;
	if (size > UINT64_MAX - base)
		return fail(o, E_RANGE, "reserved range 0x%llx+0x%llx wraps around",
			    (unsigned long long)base, (unsigned long long)size);
	if (o->nrsv == DT_MAX_RSV) {
		struct dt_rsv extra = { base, size, source, no_map };

		rsv_merge(o, &extra);
		warn(o, "more than %u reserved ranges; 0x%llx+0x%llx merged with its nearest",
		     DT_MAX_RSV, (unsigned long long)base, (unsigned long long)size);
		return 0;
	}
	o->rsv[o->nrsv].base = base;
	o->rsv[o->nrsv].size = size;
	o->rsv[o->nrsv].source = source;
	o->rsv[o->nrsv].no_map = no_map;
	o->nrsv++;
	return 0;
}

static int do_memory(struct walk *w, int node, int d)
{
	const void *reg;
	uint32_t len, n;
	int err;

	if (fdt_prop(w->f, node, "reg", &reg, &len) != 0) {
		warn(w->out, "memory node %s has no reg", cur_path(w));
		return 0;
	}
	if (reg_count(w, d, len, &n))
		return fail(w->out, E_FORMAT, "memory node %s: reg of %u bytes is not a whole "
			    "number of (%d+%d)-cell entries", cur_path(w), (unsigned)len,
			    w->lv[d - 1].ac, w->lv[d - 1].sc);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t base, size;

		if (reg_entry(w, d, reg, i, &base, &size))
			return fail(w->out, E_RANGE, "memory node %s: entry %u does not fit 64 bits",
				    cur_path(w), (unsigned)i);
		if (size == 0) {
			w->out->mem_empty++;
			warn(w->out, "memory node %s: entry %u has size 0, skipped", cur_path(w),
			     (unsigned)i);
			continue;
		}
		if (!translate(w, d, &base, size))
			return fail(w->out, E_RANGE, "memory node %s: entry %u not translatable "
				    "to a CPU address", cur_path(w), (unsigned)i);
		err = add_mem(w, base, size);
		if (err)
			return err;
	}
	return 0;
}

static int do_rsvmem_child(struct walk *w, int node, int d)
{
	bool no_map = fdt_prop(w->f, node, "no-map", NULL, NULL) == 0;
	const void *reg;
	uint32_t len, n;
	int err;

	if (fdt_prop(w->f, node, "reg", &reg, &len) != 0)
		return 0; /* dynamically placed (size/alloc-ranges): nothing fixed */
	if (reg_count(w, d, len, &n)) {
		warn(w->out, "reserved-memory node %s: malformed reg ignored", cur_path(w));
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint64_t base, size;

		if (reg_entry(w, d, reg, i, &base, &size) || !translate(w, d, &base, size)) {
			warn(w->out, "reserved-memory node %s: entry %u unusable", cur_path(w),
			     (unsigned)i);
			continue;
		}
		err = add_rsv(w, base, size, DT_RSV_RESERVED_MEMORY, no_map);
		if (err)
			return err;
	}
	return 0;
}

static void do_cpu(struct walk *w, int node, int d)
{
	struct dt_info *o = w->out;
	uint32_t ac = (uint32_t)w->lv[d - 1].ac;
	uint64_t mpidr = DT_MPIDR_INVALID;
	const void *reg;
	uint32_t len;

	if (o->ncpus == DT_MAX_CPUS) {
		o->cpus_dropped++;
		warn(o, "more than %u CPUs; %s ignored", DT_MAX_CPUS, cur_path(w));
		return;
	}
	if (fdt_prop(w->f, node, "reg", &reg, &len) != 0 || ac == 0 || len < 4 * ac ||
	    fdt_read_cells(reg, ac, &mpidr) != 0) {
		mpidr = DT_MPIDR_INVALID;
		warn(o, "cpu node %s: no usable reg (MPIDR)", cur_path(w));
	}
	o->cpu_mpidr[o->ncpus++] = mpidr;
}

/* ---- devices, timer, PSCI ---- */

static void do_timer(struct walk *w, int node, int d)
{
	struct dt_info *o = w->out;
	const void *val;
	const uint8_t *p;
	uint32_t len, cells = 0;
	uint8_t st;

	if (o->timer.present || fdt_prop(w->f, node, "interrupts", &val, &len) != 0)
		return;
	st = w->lv[d].iparent ? resolve_irq(w, w->lv[d].iparent, &cells) : DT_IRQ_NONE;
	if ((st != DT_IRQ_OK && st != DT_IRQ_LOOP) || cells != 3 || len % 12) {
		warn(o, "timer %s: interrupts not in the 3-cell GIC format", cur_path(w));
		return;
	}
	p = val;
	for (uint32_t i = 0; i < len / 12 && o->timer.nppi < DT_MAX_TIMER_PPI; i++) {
		if (fdt_be32(p + 12 * i) != 1) {
			warn(o, "timer %s: interrupt %u is not a PPI", cur_path(w), (unsigned)i);
			o->timer.nppi = 0;
			return;
		}
		o->timer.ppi[o->timer.nppi] = fdt_be32(p + 12 * i + 4);
		o->timer.flags[o->timer.nppi] = fdt_be32(p + 12 * i + 8);
		o->timer.nppi++;
	}
	o->timer.present = o->timer.nppi > 0;
}

static void do_psci(struct walk *w, int node)
{
	const char *m = fdt_prop_string(w->f, node, "method");

	if (w->out->psci_method[0])
		return;
	if (m && (strcmp(m, "hvc") == 0 || strcmp(m, "smc") == 0))
		strlcpy(w->out->psci_method, m, sizeof(w->out->psci_method));
	else
		warn(w->out, "psci node %s: method missing or not hvc/smc", cur_path(w));
}

static void note_gic(struct walk *w, int node, const struct dt_device *dev, int index)
{
	struct dt_gic *g = &w->out->gic;

	if (g->present)
		return;
	if (dev->nreg < 2 || !dev->reg[0].translated || !dev->reg[1].translated) {
		warn(w->out, "GIC %s: distributor/CPU interface registers unusable", dev->path);
		return;
	}
	g->present = true;
	g->device = index;
	g->dist_base = dev->reg[0].base;
	g->dist_size = dev->reg[0].size;
	g->cpu_base = dev->reg[1].base;
	g->cpu_size = dev->reg[1].size;
	if (dev->nreg >= 4 && dev->reg[2].translated && dev->reg[3].translated) {
		g->hyp_base = dev->reg[2].base;
		g->vcpu_base = dev->reg[3].base;
	}
	if (fdt_prop_u32(w->f, node, "phandle", &g->phandle) != 0 &&
	    fdt_prop_u32(w->f, node, "linux,phandle", &g->phandle) != 0)
		g->phandle = 0;
}

/*
 * The address windows of a PCI host bridge (device_type "pci"): each
 * `ranges` entry is (3-cell PCI address, parent address, 2-cell size);
 * the space code in bits 25:24 of the first cell says I/O (1), 32-bit (2)
 * or 64-bit (3) memory; configuration space (0) is not a window. The
 * parent address is translated to a CPU address like a `reg` of this
 * node. Windows are device memory the bridge decodes: the kernel offers
 * them as device ranges like registers.
 */
static void note_windows(struct walk *w, int d, int index)
{
	struct dt_info *o = w->out;
	const struct level *l = &w->lv[d];
	uint32_t cac = (uint32_t)l->ac, pac = (uint32_t)w->lv[d - 1].ac, csc = (uint32_t)l->sc;
	uint32_t esz = (cac + pac + csc) * 4;

	if (!l->has_ranges || l->ranges_len == 0)
		return;
	if (cac != 3 || esz == 0 || l->ranges_len % esz) {
		warn(o, "PCI bridge %s: ranges not in (3, %u, %u)-cell entries", cur_path(w),
		     (unsigned)pac, (unsigned)csc);
		return;
	}
	for (uint32_t off = 0; off < l->ranges_len; off += esz) {
		const uint8_t *e = l->ranges + off;
		uint32_t space = (fdt_be32(e) >> 24) & 3;
		uint64_t base, size;
		struct dt_window *win;

		if (space == 0)
			continue;
		if (fdt_read_cells(e + 4 * cac, pac, &base) ||
		    fdt_read_cells(e + 4 * (cac + pac), csc, &size) || size == 0 ||
		    !translate(w, d, &base, size)) {
			warn(o, "PCI bridge %s: window %u unusable", cur_path(w),
			     (unsigned)(off / esz));
			continue;
		}
		if (o->nwindows == DT_MAX_WINDOWS) {
			o->windows_dropped++;
			warn(o, "more than %u bus windows; %s window %u dropped", DT_MAX_WINDOWS,
			     cur_path(w), (unsigned)(off / esz));
			continue;
		}
		win = &o->windows[o->nwindows++];
		win->base = base;
		win->size = size;
		win->device = (uint32_t)index;
		win->space = (uint8_t)space;
		win->prefetchable = (fdt_be32(e) >> 30) & 1;
	}
}

static void do_device(struct walk *w, int node, int d, const void *reg, uint32_t len,
		      const char *dtype)
{
	struct dt_info *o = w->out;
	struct dt_device dev;
	const void *val;
	uint32_t n = 0, vlen;
	int index = -1;

	memset(&dev, 0, sizeof(dev));
	dev.node = node;
	dev.compatible = "";
	if (strlcpy(dev.path, cur_path(w), sizeof(dev.path)) >= sizeof(dev.path) ||
	    w->lv[d].path_truncated)
		dev.path_truncated = true;
	if (fdt_prop(w->f, node, "compatible", &val, &vlen) == 0 && vlen > 0) {
		if (((const char *)val)[vlen - 1] == '\0') {
			dev.compatible = val;
			dev.compat_list = val;
			dev.compat_len = vlen;
		} else {
			warn(o, "device %s: compatible is not NUL-terminated", dev.path);
		}
	}
	if (reg_count(w, d, len, &n)) {
		warn(o, "device %s: malformed reg (%u bytes, %d+%d cells)", dev.path,
		     (unsigned)len, w->lv[d - 1].ac, w->lv[d - 1].sc);
		n = 0;
	}
	dev.nreg_total = n;
	dev.nreg = n < DT_MAX_REG ? n : DT_MAX_REG;
	if (n > DT_MAX_REG) {
		o->regs_dropped += n - DT_MAX_REG;
		warn(o, "device %s: %u reg entries, the first %u used", dev.path, (unsigned)n,
		     DT_MAX_REG);
	}
	for (uint32_t i = 0; i < dev.nreg; i++) {
		struct dt_reg *r = &dev.reg[i];

		r->translated = reg_entry(w, d, reg, i, &r->base, &r->size) == 0 &&
				translate(w, d, &r->base, r->size);
	}
	if (fdt_prop(w->f, node, "interrupts", &val, &vlen) == 0) {
		if (vlen % 4)
			warn(o, "device %s: interrupts of %u bytes", dev.path, (unsigned)vlen);
		dev.nirq_cells = vlen / 4;
		for (uint32_t i = 0; i < dev.nirq_cells && i < DT_MAX_IRQ_CELLS; i++)
			dev.irq[i] = fdt_be32((const uint8_t *)val + 4 * i);
	}
	dev.irq_parent = w->lv[d].iparent;
	if (dev.nirq_cells && dev.irq_parent) {
		dev.irq_status = resolve_irq(w, dev.irq_parent, &dev.irq_parent_cells);
		if (dev.irq_status != DT_IRQ_OK)
			warn(o, "device %s: interrupt parent 0x%x unusable (%s)", dev.path,
			     (unsigned)dev.irq_parent,
			     dev.irq_status == DT_IRQ_MISSING ? "no such phandle" :
			     dev.irq_status == DT_IRQ_LOOP ? "loop" : "not a controller");
	}
	if (o->ndevices < DT_MAX_DEVICES) {
		index = (int)o->ndevices;
		o->devices[o->ndevices++] = dev;
	} else {
		o->devices_dropped++;
		warn(o, "more than %u devices; %s dropped", DT_MAX_DEVICES, dev.path);
	}
	if (compat_any(w->f, node, gic_compat, ARRAY_SIZE(gic_compat)))
		note_gic(w, node, &dev, index);
	if (index >= 0 && dtype && strcmp(dtype, "pci") == 0)
		note_windows(w, d, index);
}

/* ---- the walk ---- */

static int cells_of(struct walk *w, const char *prop, int v)
{
	if (v == E_RANGE)
		return fail(w->out, E_RANGE, "absurd %s in %s (more than %u)", prop, cur_path(w),
			    FDT_MAX_CELLS);
	if (v < 0)
		return fail(w->out, E_FORMAT, "malformed %s in %s", prop, cur_path(w));
	return 0;
}

static int enter(struct walk *w, int node, int d)
{
	const struct fdt *f = w->f;
	struct dt_info *o = w->out;
	struct level *l = &w->lv[d], *p = d > 0 ? &w->lv[d - 1] : NULL;
	const char *name = fdt_node_name(f, node);
	const char *dtype;
	const void *val;
	uint32_t len;
	size_t base = p ? p->path_len : 0, nl;
	int err;

	if (!name)
		return fail(o, E_FORMAT, "bad node at structure offset 0x%x", (unsigned)node);

	/* Path of this node in w->path. */
	memset(l, 0, sizeof(*l));
	l->node = node;
	l->path_truncated = p ? p->path_truncated : false;
	nl = strlen(name);
	if (d == 0) {
		l->path_len = 0;
	} else if (!l->path_truncated && base + 1 + nl < sizeof(w->path)) {
		w->path[base] = '/';
		memcpy(w->path + base + 1, name, nl);
		l->path_len = base + 1 + nl;
	} else {
		l->path_truncated = true;
		l->path_len = base;
	}
	w->path[l->path_len] = '\0';

	l->ac = fdt_address_cells(f, node);
	err = cells_of(w, "#address-cells", l->ac);
	if (err)
		return err;
	l->sc = fdt_size_cells(f, node);
	err = cells_of(w, "#size-cells", l->sc);
	if (err)
		return err;
	if (fdt_prop(f, node, "ranges", &val, &len) == 0) {
		l->has_ranges = true;
		l->ranges = val;
		l->ranges_len = len;
	}
	l->iparent = p ? p->iparent : 0;
	if (fdt_prop(f, node, "interrupt-parent", &val, &len) == 0) {
		if (len == 4)
			l->iparent = fdt_be32(val);
		else
			warn(o, "%s: interrupt-parent of %u bytes ignored", cur_path(w),
			     (unsigned)len);
	}
	if (d == 1 && strcmp(name, "cpus") == 0)
		l->kind = K_CPUS;
	else if (d == 1 && strcmp(name, "reserved-memory") == 0)
		l->kind = K_RSVMEM;
	else if (p && (p->kind == K_CPUS || p->kind == K_IN_CPUS))
		l->kind = K_IN_CPUS;
	else if (p && (p->kind == K_RSVMEM || p->kind == K_IN_RSVMEM))
		l->kind = K_IN_RSVMEM;
	else
		l->kind = K_OTHER;

	if (d == 0) {
		const char *model = fdt_prop_string(f, node, "model");

		if (model)
			strlcpy(o->model, model, sizeof(o->model));
		return 0;
	}
	dtype = fdt_prop_string(f, node, "device_type");
	if (p->kind == K_CPUS) {
		if (dtype && strcmp(dtype, "cpu") == 0)
			do_cpu(w, node, d);
		return 0;
	}
	if (l->kind == K_IN_CPUS)
		return 0;
	if (p->kind == K_RSVMEM)
		return do_rsvmem_child(w, node, d);
	if (l->kind == K_IN_RSVMEM)
		return 0;
	if (dtype && strcmp(dtype, "memory") == 0)
		return do_memory(w, node, d);
	if (compat_any(f, node, timer_compat, ARRAY_SIZE(timer_compat)))
		do_timer(w, node, d);
	if (d == 1 && (name_is(name, "psci") ||
		       compat_any(f, node, psci_compat, ARRAY_SIZE(psci_compat))))
		do_psci(w, node);
	if (fdt_prop(f, node, "reg", &val, &len) == 0)
		do_device(w, node, d, val, len, dtype);
	return 0;
}

/* ---- /chosen ---- */

static int cell_value(const void *val, uint32_t len, uint64_t *out)
{
	if (len == 4) {
		*out = fdt_be32(val);
		return 0;
	}
	if (len == 8) {
		*out = (uint64_t)fdt_be32(val) << 32 | fdt_be32((const uint8_t *)val + 4);
		return 0;
	}
	return E_FORMAT;
}

static int do_chosen(struct walk *w)
{
	const struct fdt *f = w->f;
	struct dt_info *o = w->out;
	const void *val, *vend;
	uint32_t len, lend;
	bool has_start, has_end;
	int chosen = fdt_path(f, "/chosen");

	if (chosen < 0)
		return 0;

	if (fdt_prop(f, chosen, "bootargs", &val, &len) == 0) {
		size_t n = strnlen(val, len);

		if (n == len && len)
			warn(o, "/chosen/bootargs is not NUL-terminated");
		if (n >= sizeof(o->bootargs)) {
			o->bootargs_truncated = true;
			warn(o, "/chosen/bootargs truncated to %u bytes",
			     (unsigned)sizeof(o->bootargs) - 1);
			n = sizeof(o->bootargs) - 1;
		}
		memcpy(o->bootargs, val, n);
		o->bootargs[n] = '\0';
	}

	if (fdt_prop(f, chosen, "stdout-path", &val, &len) == 0 ||
	    fdt_prop(f, chosen, "linux,stdout-path", &val, &len) == 0) {
		const char *s = val, *colon;
		size_t n = strnlen(s, len), pl;
		int node;

		colon = memchr(s, ':', n);
		pl = colon ? (size_t)(colon - s) : n;
		if (colon) {
			size_t ol = n - pl - 1;

			if (ol >= sizeof(o->stdout_options))
				ol = sizeof(o->stdout_options) - 1;
			memcpy(o->stdout_options, colon + 1, ol);
			o->stdout_options[ol] = '\0';
		}
		node = fdt_path_n(f, s, pl);
		if (node >= 0 && fdt_node_path(f, node, o->stdout_path,
					       sizeof(o->stdout_path)) >= 0) {
			o->stdout_resolved = true;
		} else {
			if (pl >= sizeof(o->stdout_path))
				pl = sizeof(o->stdout_path) - 1;
			memcpy(o->stdout_path, s, pl);
			o->stdout_path[pl] = '\0';
			warn(o, "/chosen/stdout-path \"%s\" names no node", o->stdout_path);
		}
	}

	has_start = fdt_prop(f, chosen, "linux,initrd-start", &val, &len) == 0;
	has_end = fdt_prop(f, chosen, "linux,initrd-end", &vend, &lend) == 0;
	if (has_start != has_end)
		return fail(o, E_FORMAT, "/chosen has linux,initrd-%s without linux,initrd-%s",
			    has_start ? "start" : "end", has_start ? "end" : "start");
	if (has_start) {
		if (cell_value(val, len, &o->initrd_start))
			return fail(o, E_FORMAT, "/chosen/linux,initrd-start has %u bytes "
				    "(expected 4 or 8)", (unsigned)len);
		if (cell_value(vend, lend, &o->initrd_end))
			return fail(o, E_FORMAT, "/chosen/linux,initrd-end has %u bytes "
				    "(expected 4 or 8)", (unsigned)lend);
		if (o->initrd_end < o->initrd_start)
			return fail(o, E_RANGE, "initrd end 0x%llx below its start 0x%llx",
				    (unsigned long long)o->initrd_end,
				    (unsigned long long)o->initrd_start);
		o->has_initrd = true;
	}
	return 0;
}

int dt_parse(const struct fdt *f, struct dt_info *out)
{
	struct walk walk_storage; /* about 2 KiB of stack */
	struct walk *w = &walk_storage;
	int node, depth = 0, err;

	if (!out)
		return E_INVAL;
	memset(out, 0, sizeof(*out));
	out->why = "no error";
	out->gic.device = -1;
	if (!f || fdt_root(f) < 0)
		return fail(out, E_INVAL, "device tree not opened");
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->out = out;

	for (unsigned i = 0; i < fdt_num_mem_rsv(f); i++) {
		uint64_t base, size;

		fdt_mem_rsv(f, i, &base, &size);
		err = add_rsv(w, base, size, DT_RSV_MEMRESERVE, false);
		if (err)
			return err;
	}

	for (node = fdt_root(f); node >= 0; node = fdt_next_node(f, node, &depth)) {
		if (depth < 0 || depth > FDT_MAX_DEPTH)
			return fail(out, E_DEPTH, "node at 0x%x has depth %d", (unsigned)node, depth);
		err = enter(w, node, depth);
		if (err)
			return err;
	}
	if (node != E_NOENT)
		return fail(out, node, "walking the tree failed at depth %d", depth);
	w->path[0] = '\0';

	err = do_chosen(w);
	if (err)
		return err;
	if (out->nmem == 0)
		return fail(out, E_NOENT, "no RAM: no device_type = \"memory\" node with a "
			    "non-empty reg");
	if (out->ncpus == 0)
		warn(out, "no /cpus/cpu nodes");
	return 0;
}

/* ---- queries ---- */

bool dt_device_is_compatible(const struct dt_device *dev, const char *compat)
{
	return dev && fdt_stringlist_contains(dev->compat_list, dev->compat_len, compat);
}

int dt_find_compatible(const struct dt_info *info, const char *compat, unsigned start)
{
	for (unsigned i = start; info && i < info->ndevices; i++)
		if (dt_device_is_compatible(&info->devices[i], compat))
			return (int)i;
	return E_NOENT;
}

/* Path `dev` matches query `q` component by component, where a query
 * component without '@' also matches "component@unit". */
static bool path_matches_loose(const char *dev, const char *q)
{
	for (;;) {
		const char *de, *qe;
		size_t dl, ql;

		while (*dev == '/')
			dev++;
		while (*q == '/')
			q++;
		if (!*dev || !*q)
			return !*dev && !*q;
		de = strchr(dev, '/');
		qe = strchr(q, '/');
		dl = de ? (size_t)(de - dev) : strlen(dev);
		ql = qe ? (size_t)(qe - q) : strlen(q);
		if (ql > dl || strncmp(dev, q, ql) != 0)
			return false;
		if (ql != dl && (dev[ql] != '@' || memchr(q, '@', ql)))
			return false;
		dev += dl;
		q += ql;
	}
}

const struct dt_device *dt_device_by_path(const struct dt_info *info, const char *path)
{
	if (!info || !path || !*path)
		return NULL;
	for (unsigned i = 0; i < info->ndevices; i++)
		if (!info->devices[i].path_truncated && strcmp(info->devices[i].path, path) == 0)
			return &info->devices[i];
	for (unsigned i = 0; i < info->ndevices; i++)
		if (!info->devices[i].path_truncated &&
		    path_matches_loose(info->devices[i].path, path))
			return &info->devices[i];
	return NULL;
}

unsigned dt_untranslatable_count(const struct dt_info *info)
{
	unsigned n = 0;

	for (unsigned i = 0; info && i < info->ndevices; i++) {
		const struct dt_device *d = &info->devices[i];

		for (unsigned r = 0; r < d->nreg; r++) {
			if (!d->reg[r].translated) {
				n++;
				break;
			}
		}
	}
	return n;
}

const char *dt_rsv_source_name(const struct dt_rsv *rsv)
{
	if (!rsv)
		return "?";
	if (rsv->source == DT_RSV_MEMRESERVE)
		return "/memreserve/";
	return rsv->no_map ? "/reserved-memory, no-map" : "/reserved-memory";
}
