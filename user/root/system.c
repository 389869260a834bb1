/*
 * The system description: read dts/system.dts (system.dtb in the boot
 * archive), check it against the hardware device tree, start the servers
 * it declares with exactly the authority their nodes list, and serve them
 * afterwards: their faults (logged with the decoded reason; the server is
 * restarted or left stopped as its node says) and the shell's questions
 * (ps, devices, mem, caps, log, poweroff).
 *
 * A description that is wrong anywhere is rejected whole, with the node
 * and property named. A server that passes the description's checks but
 * cannot be built (its ELF lies about its segments, its memory exceeds
 * its quota, ...) is refused alone, with the reason, and so is every
 * server that uses a service only a refused server provides (it would
 * call an endpoint nobody serves); the others start. A refused server
 * keeps its row (`ps` says "refused") and nothing else: every capability
 * made for it is deleted, its account with what it paid for, so the root
 * task's quotas are what they were.
 */
#include "root.h"

#include <cairn/server.h>
#include <fw/cpio.h>
#include <fw/dt.h>
#include <fw/fdt.h>
#include <lib/error.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_SERVERS 16
#define MAX_PROVIDES 2
#define BADGE_FAULT 0x8000u

struct server {
	char name[24];
	const char *program;
	uint32_t prio;
	uint32_t quota[POOL_IDS];
	const char *devs[SRV_MAX_DEVICES];
	unsigned ndevs;
	uint64_t region[SRV_MAX_DEVICES][2];    /* explicit [base, size) ranges, then the
						 * bus windows of its host bridges */
	unsigned nregions;
	unsigned bridge_irq[SRV_MAX_DEVICES];   /* its host bridges' interrupt-map lines */
	unsigned nbridge_irqs;
	const char *provides[MAX_PROVIDES];
	unsigned nprovides;
	const char *uses[SRV_MAX_USES];
	unsigned nuses;
	bool restart;
	uint32_t pci_id[4];             /* pci-device: vendor << 16 | device, any of them */
	unsigned npci_ids;
	/* running */
	struct proc p;
	cptr_t account;
	cptr_t service[MAX_PROVIDES];   /* root's capability to each endpoint */
	cptr_t dev_caps[SRV_MAX_DEVICES];
	unsigned irq[SRV_MAX_DEVICES];
	unsigned faults, restarts;
	bool stopped;
	cptr_t slots[2];                /* [first, end) of the root's slots made for it */
	char refused[96];               /* non-empty: not started, and why */
};

static struct server servers[MAX_SERVERS];
static unsigned nservers;
static struct dt_info hw;
static struct fdt hwfdt;
static struct fdt_index hwfdt_index;    /* 56 KiB: FDT_INDEX_NODES, FDT_INDEX_PROPS */
static cptr_t root_ep;                  /* faults and questions */

/* The boot archive's regular files, listed on the first lookup so that
 * the system description and every server's program cost no walk of it;
 * an archive of more files is walked for each lookup instead. */
#define ARCHIVE_FILES 64                /* the build's archive has 26 */
static struct cpio_file archive_files[ARCHIVE_FILES];
static int archive_nfiles;              /* count, or cpio_list's error */
static bool archive_listed;

/* ------------------------------------------------------------ parsing */

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return E_FORMAT;
}

/* A string-list property into out[0..max): the number of strings (all of
 * them, also past max), 0 when absent, or -1 when it is not a list of
 * non-empty NUL-terminated strings (a silently shortened list would give
 * a server less than its node says). */
static int strings(const struct fdt *f, int node, const char *prop, const char **out,
		   unsigned max)
{
	const void *val;
	uint32_t len;
	const char *s;
	int n = 0;

	if (fdt_prop(f, node, prop, &val, &len) != 0)
		return 0;
	for (s = val; len; n++) {
		const char *z = memchr(s, '\0', len);
		size_t k = z ? (size_t)(z - s) : len;

		if (k == 0 || k == len)
			return -1;
		if ((unsigned)n < max)
			out[n] = s;
		s += k + 1;
		len -= (uint32_t)(k + 1);
	}
	return n;
}

static const struct dt_device *hw_device(const char *path)
{
	for (unsigned i = 0; i < hw.ndevices; i++)
		if (strcmp(hw.devices[i].path, path) == 0)
			return &hw.devices[i];
	return NULL;
}

/* cpio_find in the boot archive, through its list once made. */
static int archive_find(const char *name, const void **data, size_t *size)
{
	const void *archive = (const void *)(uintptr_t)bootinfo->archive_va;

	if (!archive_listed) {
		archive_nfiles = cpio_list(archive, bootinfo->archive_size, archive_files,
					   ARCHIVE_FILES);
		archive_listed = true;
	}
	if (archive_nfiles >= 0)
		return cpio_list_find(archive_files, (size_t)archive_nfiles, name, data, size);
	return cpio_find(archive, bootinfo->archive_size, name, data, size);
}

/* The program's file in the boot archive: 0, E_NOENT, or E_EXIST when
 * two files have its name (which one would run?). */
static int program_find(const char *name)
{
	return archive_find(name, NULL, NULL);
}

static const struct bootinfo_dev *range_of(uint64_t base, uint64_t size);

/* The page-rounded physical range of a server's i-th device or region. */
static void span_of(const struct server *s, unsigned i, uint64_t *base, uint64_t *end)
{
	if (i < s->ndevs) {
		const struct dt_device *dev = hw_device(s->devs[i]);

		*base = dev->reg[0].base & ~0xfffull;
		*end = (dev->reg[0].base + dev->reg[0].size + 0xfff) & ~0xfffull;
	} else {
		*base = s->region[i - s->ndevs][0];
		*end = *base + s->region[i - s->ndevs][1];
	}
}

/* Another server (parsed before `self`), or self's own devices, holding a
 * page of [b, b + z)? (own devices only when `mine`) */
static const struct server *region_taken_by(uint64_t b, uint64_t z, const struct server *self,
					    bool mine)
{
	for (const struct server *o = servers; o < self; o++)
		for (unsigned i = 0; i < o->ndevs + o->nregions; i++) {
			uint64_t ob, oe;

			span_of(o, i, &ob, &oe);
			if (b < oe && ob < b + z)
				return o;
		}
	for (unsigned i = 0; mine && i < self->ndevs; i++) {
		uint64_t ob, oe;

		span_of(self, i, &ob, &oe);
		if (b < oe && ob < b + z)
			return self;
	}
	return NULL;
}

static const struct server *region_taken(uint64_t b, uint64_t z, const struct server *self)
{
	return region_taken_by(b, z, self, true);
}

/*
 * A PCI host bridge's legacy interrupt lines: the distinct GIC SPIs its
 * `interrupt-map` routes INTA..INTD of its slots to, in the map's order.
 * Each entry is the child unit address (the bridge's #address-cells), the
 * child interrupt (its #interrupt-cells), the parent's phandle, the
 * parent's unit address and interrupt (the parent's #address-cells and
 * #interrupt-cells). 0 and the lines, E_NOENT without a map, E_FORMAT for
 * a map that does not parse (or routes to anything but GIC SPIs), E_RANGE
 * beyond max lines.
 */
static int bridge_lines(int node, unsigned *lines, unsigned max, unsigned *n)
{
	const uint8_t *p;
	const void *val;
	uint32_t len, ca, ci, left;

	*n = 0;
	if (fdt_prop(&hwfdt, node, "interrupt-map", &val, &len) != 0)
		return E_NOENT;
	if (fdt_prop_u32(&hwfdt, node, "#address-cells", &ca) || fdt_prop_u32(&hwfdt, node,
									  "#interrupt-cells", &ci))
		return E_FORMAT;
	if (len % 4 || ca > 4 || ci > 4)
		return E_FORMAT;
	p = val;
	left = len / 4;
	while (left) {
		uint32_t pa = 0, pi, phandle, cell0, line;
		int parent;

		if (left < ca + ci + 1)
			return E_FORMAT;
		phandle = fdt_be32(p + 4 * (ca + ci));
		parent = fdt_node_by_phandle(&hwfdt, phandle);
		if (parent < 0 || fdt_prop_u32(&hwfdt, parent, "#interrupt-cells", &pi) || pi != 3)
			return E_FORMAT;
		if (fdt_prop_u32(&hwfdt, parent, "#address-cells", &pa) == E_FORMAT || pa > 4)
			return E_FORMAT;
		if (left < ca + ci + 1 + pa + pi)
			return E_FORMAT;
		cell0 = fdt_be32(p + 4 * (ca + ci + 1 + pa));
		line = fdt_be32(p + 4 * (ca + ci + 1 + pa + 1));
		if (cell0 != 0 || line > 987)   /* an SPI: GIC lines 32..1019 */
			return E_FORMAT;
		line += 32;
		{
			unsigned k = 0;

			while (k < *n && lines[k] != line)
				k++;
			if (k == *n) {
				if (*n == max)
					return E_RANGE;
				lines[(*n)++] = line;
			}
		}
		p += 4 * (ca + ci + 1 + pa + pi);
		left -= ca + ci + 1 + pa + pi;
	}
	return 0;
}

/*
 * Parse and check the description in `blob` against the hardware tree
 * (already parsed into hw). Fills servers[]; on error returns E_FORMAT
 * with a message naming the node and property.
 */
int sysdesc_load(const void *blob, size_t size, char *err, size_t errlen)
{
	struct fdt f;
	int sv, node;
	uint32_t avail[POOL_IDS], sum[POOL_IDS] = { 0 };

	nservers = 0;
	if (fdt_open(&f, blob, size) != 0)
		return fail(err, errlen, "system.dtb: not a device tree (%s)", f.why);
	if (!fdt_prop_has_string(&f, fdt_root(&f), "compatible", "cairn,system-v1"))
		return fail(err, errlen, "/: compatible is not \"cairn,system-v1\"");
	sv = fdt_path(&f, "/servers");
	if (sv < 0)
		return fail(err, errlen, "/servers: missing");
	for (unsigned i = 0; i < POOL_IDS; i++) {
		uint32_t limit, used, carved;

		sys_quota_info(SLOT_ACCOUNT, i, &limit, &used, &carved);
		avail[i] = limit - used - carved;
	}
	for (node = fdt_first_child(&f, sv); node >= 0; node = fdt_next_sibling(&f, node)) {
		struct server *s;
		const void *val;
		uint32_t len;
		const char *nm = fdt_node_name(&f, node);
		int pe, n;

		if (nservers == MAX_SERVERS)
			return fail(err, errlen, "/servers: more than %u servers", MAX_SERVERS);
		/* The name is how ps, caps and the logs tell servers apart:
		 * never cut short, never twice. */
		if (strlen(nm) >= sizeof(servers[0].name))
			return fail(err, errlen, "/servers/%.32s...: node name longer than %u characters",
				    nm, (unsigned)sizeof(servers[0].name) - 1);
		for (unsigned o = 0; o < nservers; o++)
			if (strcmp(servers[o].name, nm) == 0)
				return fail(err, errlen, "/servers/%s: a second server of that name", nm);
		s = &servers[nservers++];
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "%s", nm);
		if (fdt_prop(&f, node, "program", &val, &len) != 0)
			return fail(err, errlen, "/servers/%s: missing property \"program\"", nm);
		s->program = fdt_prop_string(&f, node, "program");
		if (!s->program || !s->program[0])
			return fail(err, errlen, "/servers/%s: program: not a NUL-terminated name", nm);
		pe = program_find(s->program);
		if (pe)
			return fail(err, errlen, "/servers/%s: program: \"%.40s\" %s", nm, s->program,
				    pe == E_NOENT ? "is not in the boot archive" :
				    pe == E_EXIST ? "is in the boot archive more than once" :
				    "cannot be looked up: the boot archive is damaged");
		pe = fdt_prop_u32(&f, node, "priority", &s->prio);
		if (pe == E_NOENT)
			return fail(err, errlen, "/servers/%s: missing property \"priority\"", nm);
		if (pe)
			return fail(err, errlen, "/servers/%s: priority: needs one cell", nm);
		if (s->prio > SERVER_PRIO_MAX)
			return fail(err, errlen, "/servers/%s: priority: %u is above %u", nm,
				    (unsigned)s->prio, SERVER_PRIO_MAX);
		if (fdt_prop(&f, node, "quota", &val, &len) != 0 || len != 4 * POOL_IDS)
			return fail(err, errlen,
				    "/servers/%s: quota: needs <direct dma32 high heap-bytes>", nm);
		for (unsigned i = 0; i < POOL_IDS; i++)
			s->quota[i] = fdt_be32((const uint8_t *)val + 4 * i);
		if (!avail[POOL_ID_DMA32]) {
			/* All RAM is direct-mapped, and below 4 GiB: DMA-capable. */
			s->quota[POOL_ID_DIRECT] += s->quota[POOL_ID_DMA32];
			s->quota[POOL_ID_DMA32] = 0;
		}
		for (unsigned i = 0; i < POOL_IDS; i++) {
			sum[i] += s->quota[i];
			if (sum[i] > avail[i] || sum[i] < s->quota[i])
				return fail(err, errlen,
					    "/servers/%s: quota: %s beyond what exists (%u available)",
					    nm, i == POOL_ID_KHEAP ? "heap bytes" : "pages",
					    (unsigned)avail[i]);
		}
		n = strings(&f, node, "devices", s->devs, SRV_MAX_DEVICES);
		if (n < 0)
			return fail(err, errlen, "/servers/%s: devices: not a list of paths", nm);
		s->ndevs = (unsigned)n;
		if (s->ndevs > SRV_MAX_DEVICES)
			return fail(err, errlen, "/servers/%s: devices: more than %u", nm,
				    SRV_MAX_DEVICES);
		for (unsigned d = 0; d < s->ndevs; d++) {
			const struct dt_device *dev = hw_device(s->devs[d]);

			if (!dev)
				return fail(err, errlen,
					    "/servers/%s: devices: no hardware node \"%s\"", nm,
					    s->devs[d]);
			if (!dev->nreg || !dev->reg[0].translated)
				return fail(err, errlen,
					    "/servers/%s: devices: \"%s\" has no registers", nm,
					    s->devs[d]);
			if (strstr(dev->compatible, "gic"))
				return fail(err, errlen,
					    "/servers/%s: devices: \"%s\" is the kernel's", nm,
					    s->devs[d]);
			/* Least authority: one holder per device. */
			for (unsigned o = 0; o + 1 < nservers; o++)
				for (unsigned e = 0; e < servers[o].ndevs; e++)
					if (strcmp(servers[o].devs[e], s->devs[d]) == 0)
						return fail(err, errlen,
							    "/servers/%s: devices: \"%s\" is also "
							    "given to /servers/%s",
							    nm, s->devs[d], servers[o].name);
			{
				/* A page of it in another server's regions? */
				uint64_t b = dev->reg[0].base & ~0xfffull;
				uint64_t e = (dev->reg[0].base + dev->reg[0].size + 0xfff) & ~0xfffull;
				const struct server *o = region_taken_by(b, e - b, s, false);

				if (o)
					return fail(err, errlen,
						    "/servers/%s: devices: \"%s\" overlaps a range "
						    "given to /servers/%s", nm, s->devs[d], o->name);
			}
		}
		if (fdt_prop(&f, node, "regions", &val, &len) == 0) {
			if (len % 16 || len / 16 + s->ndevs > SRV_MAX_DEVICES)
				return fail(err, errlen,
					    "/servers/%s: regions: needs <base-hi base-lo size-hi size-lo>..., "
					    "at most %u ranges with the devices", nm, SRV_MAX_DEVICES);
			for (uint32_t k = 0; k < len / 16; k++) {
				const uint8_t *c = (const uint8_t *)val + 16 * k;
				uint64_t b = (uint64_t)fdt_be32(c) << 32 | fdt_be32(c + 4);
				uint64_t z = (uint64_t)fdt_be32(c + 8) << 32 | fdt_be32(c + 12);

				if (!z || ((b | z) & 0xfff) || b + z < b)
					return fail(err, errlen,
						    "/servers/%s: regions: 0x%llx+0x%llx is empty, "
						    "wraps or is not page aligned", nm,
						    (unsigned long long)b, (unsigned long long)z);
				if (!range_of(b, z))
					return fail(err, errlen,
						    "/servers/%s: regions: 0x%llx+0x%llx falls outside "
						    "the hardware's device ranges", nm,
						    (unsigned long long)b, (unsigned long long)z);
				if (region_taken(b, z, s))
					return fail(err, errlen,
						    "/servers/%s: regions: 0x%llx+0x%llx overlaps a range "
						    "given to /servers/%s", nm, (unsigned long long)b,
						    (unsigned long long)z, region_taken(b, z, s)->name);
				s->region[s->nregions][0] = b;
				s->region[s->nregions][1] = z;
				s->nregions++;
			}
		}
		/* A PCI host bridge comes with its bus windows (given after the
		 * regions) and its legacy interrupt lines (interrupt-map). */
		for (unsigned d = 0; d < s->ndevs; d++) {
			const struct dt_device *dev = hw_device(s->devs[d]);
			unsigned idx = (unsigned)(dev - hw.devices), nl = 0;
			int be;

			for (unsigned w = 0; w < hw.nwindows; w++) {
				const struct dt_window *win = &hw.windows[w];
				uint64_t b = win->base & ~0xfffull;
				uint64_t z = ((win->base + win->size + 0xfff) & ~0xfffull) - b;

				if (win->device != idx)
					continue;
				if (s->ndevs + s->nregions == SRV_MAX_DEVICES)
					return fail(err, errlen, "/servers/%s: devices: \"%s\": its bus "
						    "windows make more than %u ranges", nm, s->devs[d],
						    SRV_MAX_DEVICES);
				if (region_taken(b, z, s))
					return fail(err, errlen, "/servers/%s: devices: \"%s\": its window "
						    "0x%llx+0x%llx overlaps a range given to /servers/%s",
						    nm, s->devs[d], (unsigned long long)b,
						    (unsigned long long)z, region_taken(b, z, s)->name);
				s->region[s->nregions][0] = b;
				s->region[s->nregions][1] = z;
				s->nregions++;
			}
			be = bridge_lines(dev->node, s->bridge_irq + s->nbridge_irqs,
					  SRV_MAX_DEVICES - s->nbridge_irqs, &nl);
			if (be && be != E_NOENT)
				return fail(err, errlen, "/servers/%s: devices: \"%s\": interrupt-map: %s",
					    nm, s->devs[d], be == E_RANGE ? "more lines than the server "
					    "has interrupt slots" : "does not route to GIC SPIs");
			s->nbridge_irqs += nl;
		}
		if (s->nbridge_irqs && s->ndevs + s->nregions + s->nbridge_irqs > SRV_MAX_DEVICES)
			return fail(err, errlen, "/servers/%s: devices: %u ranges and %u bridge "
				    "interrupts are more than %u slots", nm, s->ndevs + s->nregions,
				    s->nbridge_irqs, SRV_MAX_DEVICES);
		n = strings(&f, node, "provides", s->provides, MAX_PROVIDES);
		if (n < 0)
			return fail(err, errlen, "/servers/%s: provides: not a list of names", nm);
		s->nprovides = (unsigned)n;
		if (s->nprovides > MAX_PROVIDES)
			return fail(err, errlen, "/servers/%s: provides: more than %u", nm,
				    MAX_PROVIDES);
		n = strings(&f, node, "uses", s->uses, SRV_MAX_USES);
		if (n < 0)
			return fail(err, errlen, "/servers/%s: uses: not a list of names", nm);
		s->nuses = (unsigned)n;
		if (s->nuses > SRV_MAX_USES)
			return fail(err, errlen, "/servers/%s: uses: more than %u", nm, SRV_MAX_USES);
		s->restart = fdt_prop(&f, node, "restart", &val, &len) == 0;
		if (fdt_prop(&f, node, "pci-device", &val, &len) == 0) {
			bool uses_pci = false, ok = len && len % 8 == 0 && len <= 8 * 4;

			for (unsigned u = 0; u < s->nuses; u++)
				uses_pci |= strcmp(s->uses[u], "pci") == 0;
			for (uint32_t k = 0; ok && k < len / 8; k++) {
				uint32_t v = fdt_be32((const uint8_t *)val + 8 * k);
				uint32_t d = fdt_be32((const uint8_t *)val + 8 * k + 4);

				ok = v <= 0xffff && d <= 0xffff && (v | d);
				s->pci_id[k] = v << 16 | d;
			}
			if (!ok || !uses_pci)
				return fail(err, errlen, "/servers/%s: pci-device: needs <vendor device>... "
					    "(16 bits each, at most 4) and uses \"pci\"", nm);
			s->npci_ids = len / 8;
		}
	}
	/* One provider per service: a second would never be called (clients
	 * get the first), and "root" is the root task's own. */
	for (unsigned i = 0; i < nservers; i++)
		for (unsigned p = 0; p < servers[i].nprovides; p++) {
			const char *sv_name = servers[i].provides[p];

			if (strcmp(sv_name, "root") == 0)
				return fail(err, errlen, "/servers/%s: provides: \"root\" is the root "
					    "task's service", servers[i].name);
			for (unsigned o = 0; o <= i; o++)
				for (unsigned q = 0; q < (o == i ? p : servers[o].nprovides); q++)
					if (strcmp(servers[o].provides[q], sv_name) == 0)
						return fail(err, errlen, "/servers/%s: provides: "
							    "\"%s\" is also provided by /servers/%s",
							    servers[i].name, sv_name,
							    servers[o].name);
		}
	/* A driver that names a PCI function needs the bus server running
	 * above the root task, which grants the claims right after starting
	 * it (pci_grants). */
	for (unsigned i = 0; i < nservers; i++) {
		const struct server *bus = NULL;

		for (unsigned o = 0; o < nservers; o++)
			for (unsigned p = 0; p < servers[o].nprovides; p++)
				if (strcmp(servers[o].provides[p], "pci") == 0)
					bus = &servers[o];
		if (servers[i].npci_ids && bus && bus->prio <= ROOT_PRIO)
			return fail(err, errlen, "/servers/%s: pci-device: the pci server's priority "
				    "%u is not above the root task's %u", servers[i].name,
				    (unsigned)bus->prio, ROOT_PRIO);
	}
	/* Every used service has a provider (or is the root task's). */
	for (unsigned i = 0; i < nservers; i++)
		for (unsigned u = 0; u < servers[i].nuses; u++) {
			bool found = strcmp(servers[i].uses[u], "root") == 0;

			for (unsigned o = 0; o < nservers && !found; o++)
				for (unsigned p = 0; p < servers[o].nprovides; p++)
					if (strcmp(servers[o].provides[p], servers[i].uses[u]) == 0)
						found = true;
			if (!found)
				return fail(err, errlen, "/servers/%s: uses: no server provides \"%s\"",
					    servers[i].name, servers[i].uses[u]);
		}
	return 0;
}

int sysdesc_load_archive(char *err, size_t errlen)
{
	const void *sys;
	size_t len;

	int e = archive_find("system.dtb", &sys, &len);

	if (e == E_EXIST)
		return fail(err, errlen, "system.dtb is in the boot archive more than once");
	if (e)
		return fail(err, errlen, "no system.dtb in the boot archive");
	return sysdesc_load(sys, len, err, errlen);
}

int sysdesc_hardware(char *err, size_t errlen)
{
	int e = fdt_open(&hwfdt, (const void *)(uintptr_t)bootinfo->dtb_va, bootinfo->dtb_size);

	/* A tree too large for the index is read by walking it: slower,
	 * the same answers. */
	if (e == 0 && fdt_index(&hwfdt, &hwfdt_index) != 0)
		uprintf("root: hardware device tree not indexed, every lookup walks it: %s\n",
			hwfdt.why);
	if (e == 0)
		e = dt_parse(&hwfdt, &hw);
	if (e)
		return fail(err, errlen, "hardware device tree: %s", e ? hw.why : "");
	return 0;
}

/* ------------------------------------------------------------ starting */

/* The boot-info device range holding [base, base + size). */
static const struct bootinfo_dev *range_of(uint64_t base, uint64_t size)
{
	for (unsigned i = 0; i < bootinfo->ndev; i++) {
		const struct bootinfo_dev *d = &bootinfo->dev[i];
		uint64_t b = (uint64_t)d->base_hi << 32 | d->base_lo;
		uint64_t sz = (uint64_t)d->size_hi << 32 | d->size_lo;

		if (base >= b && base + size <= b + sz)
			return d;
	}
	return NULL;
}

static unsigned dev_irq(const struct dt_device *d)
{
	if (d->irq_status != DT_IRQ_OK || d->nirq_cells < 3 || d->irq_parent_cells != 3)
		return 0;
	return d->irq[0] == 0 ? 32 + d->irq[1] : 16 + d->irq[1];
}

/* In start_one and connect: a failed step refuses the server with the
 * step named (the call, not its arguments) and the error. */
#define TRY(what, x)                                                        \
	do {                                                                \
		int e_ = (x);                                               \
		if (e_) {                                                   \
			snprintf(s->refused, sizeof(s->refused), "%s (%s)", what, \
				 err_name(e_));                             \
			return e_;                                          \
		}                                                           \
	} while (0)

static cptr_t service_cap(const char *name)
{
	if (strcmp(name, "root") == 0)
		return root_ep;
	for (unsigned i = 0; i < nservers; i++)
		for (unsigned p = 0; p < servers[i].nprovides; p++)
			if (strcmp(servers[i].provides[p], name) == 0)
				return servers[i].service[p];
	return CPTR_NULL;
}

/* The server that provides `name` (NULL: the root task's). */
static struct server *provider(const char *name)
{
	for (unsigned i = 0; i < nservers; i++)
		for (unsigned p = 0; p < servers[i].nprovides; p++)
			if (strcmp(servers[i].provides[p], name) == 0)
				return &servers[i];
	return NULL;
}

/* Everything made for a server goes: its thread stops, its account is
 * revoked (every object and page it paid for, in any CSpace, and the
 * copies made of them) and deleted (the quota goes back to the root
 * task's), then the root task's other capabilities made for it (fault
 * badge, device and interrupt capabilities), newest first. The slots are
 * given back when they are the newest. */
static void teardown(struct server *s)
{
	if (s->p.thread)
		sys_thread_suspend(s->p.thread);
	if (s->account)
		sys_cap_revoke(CPTR_SELF, s->account);
	if (s->slots[1] == slots_mark())
		slots_release(s->slots[0]);
	else
		for (cptr_t c = s->slots[1]; c-- > s->slots[0];)
			sys_cap_delete(CPTR_SELF, c);
	memset(&s->p, 0, sizeof(s->p));
	memset(s->service, 0, sizeof(s->service));
	memset(s->dev_caps, 0, sizeof(s->dev_caps));
	memset(s->irq, 0, sizeof(s->irq));
	s->account = CPTR_NULL;
	s->stopped = true;
}

static void refuse(struct server *s)
{
	uprintf("root: server %s refused: %s\n", s->name, s->refused);
	teardown(s);
}

static int start_one(struct server *s, unsigned idx)
{
	cptr_t fault = slot_alloc(), ntfn = slot_alloc();
	struct spawn_env env;
	int e;

	s->account = slot_alloc();
	if (!s->account)
		TRY("slots in the root task's CSpace", E_NOMEM);
	TRY("its quota", sys_quota_carve(SLOT_ACCOUNT, CPTR_SELF, s->account, s->quota[0],
					 s->quota[1], s->quota[2], s->quota[3]));
	TRY("its fault endpoint", sys_cap_mint(root_ep, CPTR_SELF, fault, R_WRITE,
					       BADGE_FAULT | idx, 0));
	/* Its program's memory is paid from its own account. */
	spawn_env_get(&env);
	env.account = s->account;
	spawn_init(&env);
	e = spawn(s->program, 64, s->prio, fault, &s->p);
	env.account = SLOT_ACCOUNT;
	spawn_init(&env);
	if (e) {
		snprintf(s->refused, sizeof(s->refused), "program \"%s\": %s (%s)", s->program,
			 s->p.why ? s->p.why : "cannot be loaded", err_name(e));
		return e;
	}
	TRY("its capabilities", sys_cap_copy(s->p.vspace, s->p.cspace, SRV_VSPACE));
	TRY("its capabilities", sys_cap_copy(s->p.thread, s->p.cspace, SRV_THREAD));
	TRY("its capabilities", sys_cap_copy(s->account, s->p.cspace, SRV_ACCOUNT));
	TRY("its notification", sys_obj_create(s->account, CAP_NOTIFICATION, CPTR_SELF, ntfn, 0));
	/* Read (wait, poll) and write: a server may give badged send copies
	 * of it away (a PCI driver to the bus server, say), so that what it
	 * is told ends its wait for requests too. */
	TRY("its notification", sys_cap_mint(ntfn, s->p.cspace, SRV_NTFN, R_READ | R_WRITE, 0, 0));
	TRY("its notification", sys_thread_bind(s->p.thread, ntfn));
	for (unsigned p = 0; p < s->nprovides; p++) {
		s->service[p] = slot_alloc();
		TRY("its service endpoint",
		    sys_obj_create(s->account, CAP_ENDPOINT, CPTR_SELF, s->service[p], 0));
		TRY("its service endpoint",
		    sys_cap_mint(s->service[p], s->p.cspace, SRV_SERVICE + p * 0, R_READ, 0, 0));
	}
	for (unsigned d = 0; d < s->ndevs + s->nregions; d++) {
		const struct dt_device *dev = d < s->ndevs ? hw_device(s->devs[d]) : NULL;
		uint64_t base, end;
		const struct bootinfo_dev *r;
		uint64_t rbase;

		span_of(s, d, &base, &end);
		r = range_of(base, end - base);
		if (!r) {
			snprintf(s->refused, sizeof(s->refused), "device %u is in no device range", d);
			return E_NOENT;
		}
		rbase = (uint64_t)r->base_hi << 32 | r->base_lo;
		s->dev_caps[d] = slot_alloc();
		/* R_PREFETCH comes along where the root task's own has it (bus
		 * windows: a PCI bus server passes it on for prefetchable BARs). */
		TRY("its device capabilities",
		    sys_cap_mint(r->slot, CPTR_SELF, s->dev_caps[d], R_READ | R_WRITE | R_PREFETCH,
				 (uint32_t)((base - rbase) >> 12), (uint32_t)((end - base) >> 12)));
		TRY("its device capabilities",
		    sys_cap_copy(s->dev_caps[d], s->p.cspace, SRV_DEVICE(d)));
		s->irq[d] = dev ? dev_irq(dev) : 0;
		if (s->irq[d]) {
			cptr_t h = slot_alloc(), nb = slot_alloc();

			TRY("its interrupt", sys_irq_get(SLOT_IRQ_CONTROL, s->irq[d], CPTR_SELF, h));
			TRY("its interrupt", sys_cap_mint(ntfn, CPTR_SELF, nb, R_WRITE, 1u << d, 0));
			TRY("its interrupt", sys_irq_bind(h, nb));
			TRY("its interrupt", sys_cap_copy(h, s->p.cspace, SRV_IRQ(d)));
		}
	}
	/* Its host bridges' interrupt lines, in the IRQ slots after its ranges. */
	for (unsigned i = 0; i < s->nbridge_irqs; i++) {
		unsigned k = s->ndevs + s->nregions + i;
		cptr_t h = slot_alloc(), nb = slot_alloc();

		TRY("its bridge interrupts", sys_irq_get(SLOT_IRQ_CONTROL, s->bridge_irq[i],
							 CPTR_SELF, h));
		TRY("its bridge interrupts", sys_cap_mint(ntfn, CPTR_SELF, nb, R_WRITE, 1u << k, 0));
		TRY("its bridge interrupts", sys_irq_bind(h, nb));
		TRY("its bridge interrupts", sys_cap_copy(h, s->p.cspace, SRV_IRQ(k)));
	}
	return 0;
}

static int connect(struct server *s, unsigned idx)
{
	for (unsigned u = 0; u < s->nuses; u++) {
		cptr_t ep = service_cap(s->uses[u]);

		TRY("its services", sys_cap_mint(ep, s->p.cspace, SRV_USES(u), R_WRITE | R_GRANT,
						 idx + 1, 0));
	}
	return 0;
}

/* Refuse every server that uses a service of a refused server, until
 * none is left (a chain of users goes whole). */
static void refuse_users(void)
{
	bool again = true;

	while (again) {
		again = false;
		for (unsigned i = 0; i < nservers; i++) {
			struct server *s = &servers[i];

			for (unsigned u = 0; !s->refused[0] && u < s->nuses; u++) {
				struct server *o = provider(s->uses[u]);

				if (o && o->refused[0]) {
					snprintf(s->refused, sizeof(s->refused),
						 "it uses \"%s\" of /servers/%s, which was refused",
						 s->uses[u], o->name);
					refuse(s);
					again = true;
				}
			}
		}
	}
}

/* Tell the PCI bus server `bus` which function each driver may claim
 * (the system description's pci-device), with the root task's own,
 * unbadged capability to its service. It runs above the root task
 * (sysdesc_load checks), so once started it waits for requests; if it
 * does not (it failed), it is not asked, and its drivers' claims fail. */
static void pci_grants(struct server *bus)
{
	for (unsigned i = 0; i < nservers; i++) {
		struct server *s = &servers[i];

		for (unsigned k = 0; k < s->npci_ids; k++) {
			struct thread_info ti;
			struct msg m = { MSG_INFO(PCI_GRANT, 8, 0), { i + 1, s->pci_id[k], 0, 0 }, 0 };
			char name[24] = { 0 };

			if (s->refused[0] || bus->refused[0] || bus->stopped)
				break;
			/* Its name (MR2..MR7), for the bus server's listing. */
			memcpy(name, s->name, strlen(s->name) < sizeof(name) ? strlen(s->name) :
									 sizeof(name) - 1);
			memcpy(&m.mr[2], name, 8);
			memcpy(&cairn_ipcbuf->mr[4], name + 8, 16);
			if (sys_thread_info(bus->p.thread, &ti) || ti.state != TS_BLOCKED_RECV ||
			    sys_call(service_cap("pci"), &m) || MSG_LABEL(m.info))
				uprintf("root: server %s: its pci-device %04x:%04x could not be "
					"granted (the pci server is not waiting for requests)\n",
					s->name, (unsigned)(s->pci_id[k] >> 16),
					(unsigned)(s->pci_id[k] & 0xffff));
		}
	}
}

int sysdesc_start(char *err, size_t errlen)
{
	return sysdesc_start_some(err, errlen, NULL);
}

int sysdesc_start_some(char *err, size_t errlen, const char *skip_user_of)
{
	unsigned refused = 0;
	int e;

	root_ep = slot_alloc();
	e = sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, root_ep, 0);
	if (e)
		return fail(err, errlen, "root endpoint: %s", err_name(e));
	/* Each server is built in slots of its own, so that a refused one
	 * can be undone without touching the others. */
	for (unsigned i = 0; i < nservers; i++) {
		struct server *s = &servers[i];

		s->slots[0] = slots_mark();
		e = start_one(s, i);
		s->slots[1] = slots_mark();
		if (e)
			refuse(s);
	}
	refuse_users();
	for (unsigned i = 0; i < nservers; i++)
		if (!servers[i].refused[0] && connect(&servers[i], i)) {
			refuse(&servers[i]);
			refuse_users();
		}
	/* The PCI bus server first (pass 0), told which function each
	 * driver may claim before any driver runs; then the rest. */
	for (unsigned pass = 0; pass < 2; pass++)
	for (unsigned i = 0; i < nservers; i++) {
		struct server *s = &servers[i];
		bool skip = false;

		if (pass == 1 && i == 0 && provider("pci"))
			pci_grants(provider("pci"));
		if (s->refused[0] || (pass == 0) != (s == provider("pci")))
			continue;
		for (unsigned u = 0; skip_user_of && !s->nprovides && u < s->nuses; u++)
			skip |= strcmp(s->uses[u], skip_user_of) == 0;
		if (skip) {
			s->stopped = true;
			continue;
		}
		e = proc_start(&s->p, 0);
		if (e) {
			snprintf(s->refused, sizeof(s->refused), "start (%s)", err_name(e));
			refuse(s);
			refuse_users();
		}
	}
	for (unsigned i = 0; i < nservers; i++)
		refused += servers[i].refused[0] != 0;
	if (refused)
		uprintf("root: %u of %u servers started, %u refused\n", nservers - refused,
			nservers, refused);
	return 0;
}

static void handle_fault(unsigned idx, const struct msg *m);
static bool serving;                    /* in sysdesc_serve: the console is the uart server's */

/* For the tests: a send capability to a service, the capability of a
 * server's device the root task holds (its copy's parent), and the next
 * fault report (handled as the serve loop would). */
cptr_t sysdesc_client_as(const char *service, const char *server, unsigned rights)
{
	cptr_t c = slot_alloc(), ep = service_cap(service);
	uint32_t badge = 0;

	for (unsigned i = 0; i < nservers && server; i++)
		if (strcmp(servers[i].name, server) == 0)
			badge = i + 1;
	if (!server)
		badge = 0x4001;                 /* no server's */
	if (!badge || !ep || sys_cap_mint(ep, CPTR_SELF, c, rights, badge, 0))
		return CPTR_NULL;
	return c;
}

cptr_t sysdesc_client(const char *service)
{
	cptr_t c = slot_alloc(), ep = service_cap(service);

	return ep && sys_cap_mint(ep, CPTR_SELF, c, R_WRITE, 0x4000, 0) == 0 ? c : CPTR_NULL;
}

cptr_t sysdesc_device_cap(const char *server, unsigned i)
{
	for (unsigned k = 0; k < nservers; k++)
		if (strcmp(servers[k].name, server) == 0 && i < servers[k].ndevs)
			return servers[k].dev_caps[i];
	return CPTR_NULL;
}

int sysdesc_next_fault(struct msg *m, char *server, size_t len)
{
	int e = sys_recv(root_ep, m);

	if (e)
		return e;
	if (!(m->badge & BADGE_FAULT) || (m->badge & ~BADGE_FAULT) >= nservers)
		return E_STATE;
	snprintf(server, len, "%s", servers[m->badge & ~BADGE_FAULT].name);
	handle_fault(m->badge & ~BADGE_FAULT, m);
	return 0;
}

/* ------------------------------------------------------------ serving */

static const char *const state_names[] = {
	"inactive", "runnable", "send", "recv", "reply", "wait", "faulted",
};

static int row_ps(unsigned row, char *buf, size_t len)
{
	struct thread_info ti;
	uint32_t lim, used, hlim, hused;
	const struct server *s;

	if (row == 0)
		return snprintf(buf, len, "%-8s %4s %-8s %14s %16s %s", "NAME", "PRIO", "STATE",
				"PAGES used/max", "HEAP used/max", "FAULTS");
	if (row > nservers)
		return -1;
	s = &servers[row - 1];
	if (s->refused[0])
		return snprintf(buf, len, "%-8s %4u %-8s %s", s->name, (unsigned)s->prio,
				"refused", s->refused);
	sys_thread_info(s->p.thread, &ti);
	sys_quota_info(s->account, POOL_ID_DIRECT, &lim, &used, NULL);
	sys_quota_info(s->account, POOL_ID_KHEAP, &hlim, &hused, NULL);
	return snprintf(buf, len, "%-8s %4u %-8s %7u/%-6u %8u/%-7u %u%s", s->name, ti.prio,
			ti.state < 7 ? state_names[ti.state] : "?", (unsigned)used, (unsigned)lim,
			(unsigned)hused, (unsigned)hlim, s->faults, s->stopped ? " (stopped)" : "");
}

static const char *holder(uint64_t base, uint64_t size)
{
	for (unsigned i = 0; i < nservers; i++)
		for (unsigned d = 0; !servers[i].refused[0] &&
				     d < servers[i].ndevs + servers[i].nregions; d++) {
			uint64_t b, e;

			span_of(&servers[i], d, &b, &e);
			if (b < base + size && base < e)
				return servers[i].name;
		}
	return "root";
}

static int row_devices(unsigned row, char *buf, size_t len)
{
	const struct bootinfo_dev *d;
	uint64_t base, size;

	if (row == 0)
		return snprintf(buf, len, "%-24s %-12s %10s  %-8s %s", "DEVICE", "BASE", "SIZE",
				"ATTR", "HOLDER");
	if (row > bootinfo->ndev)
		return -1;
	d = &bootinfo->dev[row - 1];
	base = (uint64_t)d->base_hi << 32 | d->base_lo;
	size = (uint64_t)d->size_hi << 32 | d->size_lo;
	return snprintf(buf, len, "%-24s 0x%010llx %9lluK  %-8s %s", d->name,
			(unsigned long long)base, (unsigned long long)(size >> 10),
			(d->flags & BOOTINFO_DEV_WINDOW) ? "window" : "device",
			holder(base, size));
}

static int row_mem(unsigned row, char *buf, size_t len)
{
	static const char *const pools[POOL_IDS] = { "direct", "dma32", "high", "kheap" };
	uint32_t v, lim, used, carved;

	switch (row) {
	case 0:
		sys_system_info(SYSINFO_RAM_MIB, &v);
		return snprintf(buf, len, "RAM %u MiB; kernel heap %u KiB free", (unsigned)v,
				(unsigned)(sys_system_info(SYSINFO_HEAP_FREE, &v) ? 0 : v >> 10));
	case 1:
		return snprintf(buf, len, "%-7s %10s %10s %10s (root task's account)", "POOL",
				"LIMIT", "USED", "CARVED");
	}
	if (row - 2 < POOL_IDS) {
		sys_quota_info(SLOT_ACCOUNT, row - 2, &lim, &used, &carved);
		return snprintf(buf, len, "%-7s %10u %10u %10u %s", pools[row - 2],
				(unsigned)lim, (unsigned)used, (unsigned)carved,
				row - 2 == POOL_ID_KHEAP ? "bytes" : "pages");
	}
	if (row == 2 + POOL_IDS) {
		sys_system_info(SYSINFO_FRAME_TABLE, &v);
		return snprintf(buf, len, "frame table: %u KiB backed; object caches:",
				(unsigned)(v >> 10));
	}
	{
		struct sysregs sr = { { SYSINFO_KCACHE + (row - 3 - POOL_IDS) } };
		char name[17];

		if (cairn_syscall(SYS_SYSTEM_INFO, &sr))
			return -1;
		memcpy(name, &sr.r[3], 16);
		name[16] = '\0';
		return snprintf(buf, len, "  %-16s %8u objects %8u bytes", name, (unsigned)sr.r[1],
				(unsigned)sr.r[2]);
	}
}

static int row_caps(const char *name, unsigned row, char *buf, size_t len)
{
	static const char *const types[] = { "null", "mem", "device", "account", "vspace",
					     "thread", "endpoint", "ntfn", "reply", "irq",
					     "cspace", "irqctl", "system" };
	for (unsigned i = 0; i < nservers; i++) {
		const struct server *s = &servers[i];
		struct cap_info ci;
		unsigned n = 0;

		if (strcmp(s->name, name) != 0)
			continue;
		if (s->refused[0])
			return row == 0 ? snprintf(buf, len, "%s was refused: it has no capabilities",
						   name) : -1;
		if (row == 0)
			return snprintf(buf, len, "%-4s %-9s %-6s %s", "SLOT", "TYPE", "RIGHTS",
					"RANGE / BADGE");
		/* The server's capabilities as the root task gave them. */
		for (unsigned d = 0; d < s->ndevs + s->nregions; d++)
			if (++n == row && sys_cap_inspect(s->dev_caps[d], &ci) == 0)
				return snprintf(buf, len, "%-4u %-9s %c%c%c%c   0x%010llx +%u pages",
						SRV_DEVICE(d), types[ci.type],
						ci.rights & R_READ ? 'r' : '-',
						ci.rights & R_WRITE ? 'w' : '-',
						ci.rights & R_EXEC ? (ci.type == CAP_DEVICE ? 'p' : 'x') :
								     '-',
						ci.rights & R_GRANT ? 'g' : '-',
						(unsigned long long)ci.base, (unsigned)ci.size);
		for (unsigned d = 0; d < s->ndevs; d++)
			if (s->irq[d] && ++n == row)
				return snprintf(buf, len, "%-4u %-9s %-6s line %u", SRV_IRQ(d), "irq",
						"rw--", s->irq[d]);
		for (unsigned k = 0; k < s->nbridge_irqs; k++)
			if (++n == row)
				return snprintf(buf, len, "%-4u %-9s %-6s line %u (bridge)",
						SRV_IRQ(s->ndevs + s->nregions + k), "irq", "rw--",
						s->bridge_irq[k]);
		for (unsigned u = 0; u < s->nuses; u++)
			if (++n == row)
				return snprintf(buf, len, "%-4u %-9s %-6s %s, badge %u", SRV_USES(u),
						"endpoint", "-w-g", s->uses[u], i + 1);
		for (unsigned p = 0; p < s->nprovides; p++)
			if (++n == row)
				return snprintf(buf, len, "%-4u %-9s %-6s %s (receive)", SRV_SERVICE,
						"endpoint", "r---", s->provides[p]);
		return -1;
	}
	return row == 0 ? snprintf(buf, len, "no server named \"%s\"", name) : -1;
}

static bool provides(const struct server *s, const char *service)
{
	for (unsigned p = 0; p < s->nprovides; p++)
		if (strcmp(s->provides[p], service) == 0)
			return true;
	return false;
}

static void handle_fault(unsigned idx, const struct msg *m)
{
	static const char *const kinds[] = { "none", "data abort", "prefetch abort",
					     "undefined instruction", "unknown system call",
					     "alignment fault" };
	static cptr_t console;
	struct server *s = &servers[idx];
	unsigned kind = MSG_LABEL(m->info) - FAULT_LABEL_BASE;
	struct msg r = { MSG_INFO(1, 0, 0), { 0 }, 0 };
	char text[160];
	int n;

	s->faults++;
	n = snprintf(text, sizeof(text), "root: server %s: %s at pc 0x%08x, address 0x%08x "
		     "(status 0x%x); %s\n", s->name, kind < 6 ? kinds[kind] : "fault",
		     (unsigned)m->mr[0], (unsigned)m->mr[1], (unsigned)m->mr[2],
		     s->restart ? "restarting it" : "left stopped");
	uprintf("%s", text);
	/* Once the uart server owns the console the line above went to the
	 * kernel log; say it on the console as well, unless the server that
	 * faulted is the console's own. */
	if (serving && !provides(s, "console")) {
		if (!console)
			console = sysdesc_client("console");
		if (console && n > 0)
			console_write(console, text, (unsigned)(n < (int)sizeof(text) ? n :
								(int)sizeof(text) - 1));
	}
	sys_reply(&r);                          /* non-zero label: it stays stopped */
	if (s->restart && proc_restart(&s->p, 0) == 0)
		s->restarts++;
	else
		s->stopped = true;
}

void sysdesc_serve(void)
{
	serving = true;
	for (;;) {
		struct msg m, r;
		char text[MSG_TEXT_MAX + 1];
		int n = -1;
		unsigned op;

		if (sys_recv(root_ep, &m))
			continue;
		if (m.badge & BADGE_FAULT) {
			if ((m.badge & ~BADGE_FAULT) < nservers)
				handle_fault(m.badge & ~BADGE_FAULT, &m);
			continue;
		}
		op = MSG_LABEL(m.info);
		switch (op) {
		case ROOT_PS:
			n = row_ps(m.mr[0], text, sizeof(text));
			break;
		case ROOT_DEVICES:
			n = row_devices(m.mr[0], text, sizeof(text));
			break;
		case ROOT_MEM:
			n = row_mem(m.mr[0], text, sizeof(text));
			break;
		case ROOT_CAPS: {
			char name[13];

			memcpy(name, &m.mr[1], 12);
			name[12] = '\0';
			n = row_caps(name, m.mr[0], text, sizeof(text));
			break;
		}
		case ROOT_LOG: {
			uint32_t got;

			if (sys_log_read(SLOT_SYSTEM, text, 200, m.mr[0], &got, NULL) == 0) {
				n = (int)got;
				text[n] = '\0';
				msg_put_text(&r, 0, text, (size_t)n);
				sys_reply(&r);
				continue;
			}
			break;
		}
		case ROOT_POWEROFF:
			sys_poweroff(SLOT_SYSTEM, 0);
			break;
		case ROOT_TEST: {
			/* The tests do IPC of their own, which would drop the
			 * shell's reply right: keep it in a slot meanwhile. */
			static cptr_t reply_slot;
			char name[13];

			if (!reply_slot)
				reply_slot = slot_alloc();
			memcpy(name, &m.mr[1], 12);
			name[12] = '\0';
			if (sys_cap_save_reply(reply_slot))
				continue;
			r.info = MSG_INFO(0, 1, 0);
			r.mr[0] = (uint32_t)root_run_tests_on_console(name[0] ? name : NULL);
			sys_send(reply_slot, &r);
			continue;
		}
		}
		if (n < 0) {
			r.info = MSG_INFO(1, 1, 0);
			r.mr[0] = (uint32_t)E_RANGE;
		} else {
			msg_put_text(&r, 0, text, (size_t)n);
		}
		sys_reply(&r);
	}
}
