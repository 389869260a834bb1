/*
 * Host tests of the flattened-device-tree parser (kernel/fw/fdt.c).
 *
 * Real trees: QEMU's own DTBs for several machine configurations (made by
 * tools/mkfixtures; a missing fixture is a failure, never a skip) must open
 * and answer path, property, phandle, memory and CPU questions correctly.
 * Hostile trees: every truncation, corrupted header words, hand-built
 * malformed structure blocks and tens of thousands of random byte flips;
 * none may crash or trip ASan/UBSan, every rejection must carry a reason,
 * and every accepted tree must survive a full walk and dt_parse.
 */
#include <fw/dt.h>
#include <fw/fdt.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdtbuild.h"
#include "htest.h"

#define MB (1024ull * 1024)
#define GB (1024ull * MB)

/* ---- fixtures ---- */

struct virt_fixture {
	const char *file;
	uint64_t ram;
	unsigned smp;
};

static const struct virt_fixture virt_fixtures[] = {
	{ "virt-128M-smp1.dtb", 128 * MB, 1 },
	{ "virt-1G-smp1.dtb", 1 * GB, 1 },
	{ "virt-1G-smp4.dtb", 1 * GB, 4 },
	{ "virt-2G-smp2.dtb", 2 * GB, 2 },
	{ "virt-6G-smp1-highmem.dtb", 6 * GB, 1 },
	{ "virt-1G-smp1-virt.dtb", 1 * GB, 1 },
	{ "virt-128M-smp1-initrd.dtb", 128 * MB, 1 },
	{ "virt-chosen-1cell.dtb", 1 * GB, 1 },
	{ "virt-chosen-2cell.dtb", 1 * GB, 1 },
	{ "virt-chosen-long.dtb", 1 * GB, 1 },
};

/* Fixture buffers stay referenced from here (no leak reports, no frees
 * needed on the early returns of failed assertions). */
static void *kept[256];
static unsigned nkept;

static void *keep(void *p)
{
	if (p && nkept < sizeof(kept) / sizeof(kept[0]))
		kept[nkept++] = p;
	return p;
}

static uint8_t *load(const char *name, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", htest_fixtures(), name);
	return keep(htest_read_file(path, len));
}

/* A malloc'd copy of exactly n bytes, so ASan sees any read past it. */
static uint8_t *dup_exact(const void *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);

	if (q && n)
		memcpy(q, p, n);
	return q;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- malformed trees come from the builder in fdtbuild.c ---- */

static uint8_t *fb_finish(struct fb *b, size_t *len)
{
	return keep(fb_assemble(b, len));
}

/* A minimal valid tree: / { #address-cells; #size-cells; memory; chosen }. */
static void fb_minimal_body(struct fb *b)
{
	static const uint8_t reg[16] = { 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0 };

	fb_begin(b, "");
	fb_prop_u32(b, "#address-cells", 2);
	fb_prop_u32(b, "#size-cells", 2);
	fb_prop_str(b, "compatible", "cairn,builder");
	fb_begin(b, "memory@40000000");
	fb_prop_str(b, "device_type", "memory");
	fb_prop(b, "reg", reg, sizeof(reg));
	fb_end(b);
	fb_begin(b, "chosen");
	fb_end(b);
	fb_end(b);
}

/* ---- full walks ---- */

/*
 * Visit every node and property of an opened tree the way a consumer
 * would, plus a sample of the O(n) queries; returns the node count. Used
 * on every accepted corrupted tree: it must neither crash nor loop.
 */
static int walk_everything(const struct fdt *f, bool deep)
{
	int node, depth = 0, count = 0;

	for (node = fdt_root(f); node >= 0; node = fdt_next_node(f, node, &depth)) {
		char path[256];
		const char *pname;
		const void *val;
		uint32_t len, v;
		uint64_t cells;

		count++;
		(void)fdt_node_name(f, node);
		for (int p = fdt_first_prop(f, node); p >= 0; p = fdt_next_prop(f, p)) {
			if (fdt_prop_at(f, p, &pname, &val, &len) == 0) {
				(void)fdt_prop(f, node, pname, NULL, NULL);
				if (len >= 8)
					(void)fdt_read_cells(val, 2, &cells);
				(void)fdt_stringlist_get(val, len, 1);
			}
		}
		(void)fdt_prop_u32(f, node, "phandle", &v);
		(void)fdt_node_is_compatible(f, node, "virtio,mmio");
		(void)fdt_address_cells(f, node);
		(void)fdt_size_cells(f, node);
		(void)fdt_first_child(f, node);
		(void)fdt_next_sibling(f, node);
		if (deep || count <= 4) {
			(void)fdt_parent(f, node);
			if (fdt_node_path(f, node, path, sizeof(path)) >= 0)
				(void)fdt_path(f, path);
		}
		if (count > 100000)
			break;
	}
	(void)fdt_path(f, "/chosen");
	(void)fdt_path(f, "serial0");
	(void)fdt_node_by_phandle(f, 0x8002);
	(void)fdt_find_compatible(f, -1, "arm,pl011");
	for (unsigned i = 0; i < fdt_num_mem_rsv(f); i++)
		(void)fdt_mem_rsv(f, i, NULL, NULL);
	return count;
}

static struct dt_info dt_scratch;

/* The accepted-input contract: walk it, parse it; a dt_parse failure is
 * fine but must come with a reason. Returns false on a contract breach. */
static bool accepted_survives(const struct fdt *f, bool deep)
{
	int err;

	walk_everything(f, deep);
	err = dt_parse(f, &dt_scratch);
	if (err > 0)
		return false;
	if (err < 0 && (!dt_scratch.why || !dt_scratch.why[0]))
		return false;
	return true;
}

/* ---- real trees ---- */

static void test_real_fixtures_open(void)
{
	for (size_t i = 0; i < sizeof(virt_fixtures) / sizeof(virt_fixtures[0]); i++) {
		size_t len = 0;
		uint8_t *blob = load(virt_fixtures[i].file, &len);
		struct fdt f;
		int root, err;

		HT_ASSERT_MSG(blob, "fixture %s/%s missing (run tools/mkfixtures)",
			      htest_fixtures(), virt_fixtures[i].file);
		err = fdt_open(&f, blob, len);
		HT_ASSERT_MSG(err == 0, "%s: %s (%s)", virt_fixtures[i].file, f.why, err_name(err));
		HT_EQ(f.version, 17);
		HT_ASSERT(f.nnodes > 40);
		HT_ASSERT(fdt_used_size(&f) <= len);
		HT_ASSERT(fdt_used_size(&f) > 2000);
		HT_ASSERT(fdt_used_size(&f) < 64 * 1024);
		root = fdt_root(&f);
		HT_ASSERT(root >= 0);
		HT_STREQ(fdt_node_name(&f, root), "");
		HT_ASSERT(fdt_node_is_compatible(&f, root, "linux,dummy-virt"));
		HT_ASSERT(!fdt_node_is_compatible(&f, root, "linux,dummy"));
		HT_STREQ(fdt_prop_string(&f, root, "model"), "linux,dummy-virt");
		HT_EQ(fdt_address_cells(&f, root), 2);
		HT_EQ(fdt_size_cells(&f, root), 2);
		HT_EQ(fdt_num_mem_rsv(&f), 0);
		HT_EQ(walk_everything(&f, true), (int)f.nnodes);
	}
}

static void test_paths(void)
{
	size_t len = 0;
	uint8_t *blob = load("virt-1G-smp1.dtb", &len);
	struct fdt f;
	int n, m;

	HT_ASSERT_MSG(blob, "fixture virt-1G-smp1.dtb missing");
	HT_EQ(fdt_open(&f, blob, len), 0);
	HT_EQ(fdt_path(&f, "/"), fdt_root(&f));
	n = fdt_path(&f, "/chosen");
	HT_ASSERT(n >= 0);
	HT_STREQ(fdt_node_name(&f, n), "chosen");
	HT_STREQ(fdt_prop_string(&f, n, "stdout-path"), "/pl011@9000000");
	n = fdt_path(&f, "/memory");
	HT_ASSERT(n >= 0);
	HT_STREQ(fdt_node_name(&f, n), "memory@40000000");
	HT_EQ(fdt_path(&f, "/memory@40000000"), n);
	HT_EQ(fdt_path(&f, "//memory@40000000/"), n);
	HT_EQ(fdt_path(&f, "/memory@4000000"), E_NOENT);
	HT_EQ(fdt_path(&f, "/memory@400000000"), E_NOENT);
	HT_EQ(fdt_path(&f, "/memor"), E_NOENT);
	HT_EQ(fdt_path(&f, "/nonexistent"), E_NOENT);
	HT_EQ(fdt_path(&f, "/chosen/nothing"), E_NOENT);
	HT_EQ(fdt_path(&f, ""), E_NOENT);
	HT_EQ(fdt_path(&f, NULL), E_INVAL);
	HT_EQ(fdt_path(&f, "serial0"), E_NOENT); /* QEMU's tree has no /aliases */
	n = fdt_path(&f, "/pl011");
	HT_ASSERT(n >= 0);
	HT_STREQ(fdt_node_name(&f, n), "pl011@9000000");
	HT_EQ(fdt_path_n(&f, "/pl011@9000000:115200", 14), n);
	n = fdt_path(&f, "/intc/v2m");
	HT_ASSERT(n >= 0);
	HT_STREQ(fdt_node_name(&f, n), "v2m@8020000");
	m = fdt_path(&f, "/intc@8000000");
	HT_EQ(fdt_parent(&f, n), m);
	HT_EQ(fdt_parent(&f, m), fdt_root(&f));
	HT_EQ(fdt_parent(&f, fdt_root(&f)), E_NOENT);
	HT_EQ(fdt_parent(&f, n + 4), E_INVAL);
	n = fdt_path(&f, "/cpus/cpu@0");
	HT_ASSERT(n >= 0);
	HT_EQ(fdt_path(&f, "/cpus/cpu"), n);
	HT_EQ(fdt_path(&f, "/cpus/cpu@1"), E_NOENT);
	n = fdt_path(&f, "/gpio-keys/poweroff");
	HT_ASSERT(n >= 0);
	HT_STREQ(fdt_prop_string(&f, n, "label"), "GPIO Key Poweroff");

	/* Every node's path leads back to it (all fixtures). */
	for (size_t i = 0; i < sizeof(virt_fixtures) / sizeof(virt_fixtures[0]); i++) {
		uint8_t *b = load(virt_fixtures[i].file, &len);
		int node, count = 0;

		HT_ASSERT_MSG(b, "fixture %s missing", virt_fixtures[i].file);
		HT_EQ(fdt_open(&f, b, len), 0);
		for (node = fdt_root(&f); node >= 0; node = fdt_next_node(&f, node, NULL)) {
			char path[128];
			int plen = fdt_node_path(&f, node, path, sizeof(path));

			HT_ASSERT_MSG(plen > 0, "path of node 0x%x: %d", node, plen);
			HT_EQ(strlen(path), plen);
			HT_ASSERT_MSG(fdt_path(&f, path) == node, "%s: %s", virt_fixtures[i].file,
				      path);
			count++;
		}
		HT_EQ(node, E_NOENT);
		HT_EQ(count, (int)f.nnodes);
	}
}

static void test_node_path_overflow(void)
{
	size_t len = 0;
	uint8_t *blob = load("virt-1G-smp1.dtb", &len);
	struct fdt f;
	char buf[8];
	int n;

	HT_ASSERT_MSG(blob, "fixture virt-1G-smp1.dtb missing");
	HT_EQ(fdt_open(&f, blob, len), 0);
	n = fdt_path(&f, "/intc/v2m");
	HT_EQ(fdt_node_path(&f, n, buf, sizeof(buf)), E_OVERFLOW);
	HT_EQ(strlen(buf), 7);
	HT_ASSERT(strncmp(buf, "/intc@8", 7) == 0);
	HT_EQ(fdt_node_path(&f, fdt_root(&f), buf, 2), 1);
	HT_STREQ(buf, "/");
	HT_EQ(fdt_node_path(&f, fdt_root(&f), buf, 1), E_OVERFLOW);
	HT_STREQ(buf, "");
	HT_EQ(fdt_node_path(&f, 3, buf, sizeof(buf)), E_INVAL);
}

static void test_memory_and_cpus(void)
{
	for (size_t i = 0; i < sizeof(virt_fixtures) / sizeof(virt_fixtures[0]); i++) {
		const struct virt_fixture *fx = &virt_fixtures[i];
		size_t len = 0;
		uint8_t *blob = load(fx->file, &len);
		struct fdt f;
		const void *reg;
		uint32_t rlen;
		uint64_t base, size;
		int mem, cpus, cpu;
		unsigned ncpu = 0;

		HT_ASSERT_MSG(blob, "fixture %s missing", fx->file);
		HT_EQ(fdt_open(&f, blob, len), 0);
		mem = fdt_path(&f, "/memory");
		HT_ASSERT(mem >= 0);
		HT_STREQ(fdt_prop_string(&f, mem, "device_type"), "memory");
		HT_EQ(fdt_prop(&f, mem, "reg", &reg, &rlen), 0);
		HT_EQ(rlen, 16);
		HT_EQ(fdt_read_cells(reg, 2, &base), 0);
		HT_EQ(fdt_read_cells((const uint8_t *)reg + 8, 2, &size), 0);
		HT_EQ(base, 0x40000000);
		HT_ASSERT_MSG(size == fx->ram, "%s: RAM 0x%llx", fx->file, (unsigned long long)size);
		if (fx->ram == 6 * GB)
			HT_EQ(base + size, 0x1C0000000ull);
		cpus = fdt_path(&f, "/cpus");
		HT_ASSERT(cpus >= 0);
		HT_EQ(fdt_address_cells(&f, cpus), 1);
		HT_EQ(fdt_size_cells(&f, cpus), 0);
		for (cpu = fdt_first_child(&f, cpus); cpu >= 0; cpu = fdt_next_sibling(&f, cpu)) {
			uint32_t id;

			if (!fdt_prop_has_string(&f, cpu, "device_type", "cpu"))
				continue;
			HT_EQ(fdt_prop_u32(&f, cpu, "reg", &id), 0);
			HT_EQ(id, ncpu);
			ncpu++;
		}
		HT_EQ(cpu, E_NOENT);
		HT_ASSERT_MSG(ncpu == fx->smp, "%s: %u cpus", fx->file, ncpu);
	}
}

static void test_navigation_consistent(void)
{
	size_t len = 0;
	uint8_t *blob = load("virt-1G-smp4.dtb", &len);
	struct fdt f;
	int node, depth = 0, prev_depth = 0;

	HT_ASSERT_MSG(blob, "fixture virt-1G-smp4.dtb missing");
	HT_EQ(fdt_open(&f, blob, len), 0);
	for (node = fdt_root(&f); node >= 0; node = fdt_next_node(&f, node, &depth)) {
		int chain_depth = 0, p, c, kids = 0;

		HT_ASSERT(depth <= prev_depth + 1);
		prev_depth = depth;
		for (p = node; (p = fdt_parent(&f, p)) >= 0;)
			chain_depth++;
		HT_EQ(p, E_NOENT);
		HT_EQ(chain_depth, depth);
		for (c = fdt_first_child(&f, node); c >= 0; c = fdt_next_sibling(&f, c)) {
			HT_EQ(fdt_parent(&f, c), node);
			kids++;
		}
		HT_EQ(c, E_NOENT);
		if (strcmp(fdt_node_name(&f, node), "cpus") == 0)
			HT_EQ(kids, 5); /* cpu-map + 4 cpus */
	}
	HT_EQ(node, E_NOENT);
	/* Bogus offsets are rejected, not misread. */
	HT_EQ(fdt_first_child(&f, -4), E_RANGE);
	HT_EQ(fdt_first_child(&f, 2), E_RANGE);
	HT_EQ(fdt_next_sibling(&f, 0x7ffffff0), E_INVAL);
	HT_ASSERT(fdt_node_name(&f, 1 << 30) == NULL);
	HT_ASSERT(fdt_next_node(&f, fdt_first_prop(&f, fdt_root(&f)), NULL) < 0);
}

static void test_properties(void)
{
	size_t len = 0;
	uint8_t *blob = load("virt-1G-smp1.dtb", &len);
	struct fdt f;
	const char *name, *s;
	const void *val;
	uint32_t plen, v;
	int root, p, uart, nprops = 0;
	bool saw_compat = false, saw_acells = false;

	HT_ASSERT_MSG(blob, "fixture virt-1G-smp1.dtb missing");
	HT_EQ(fdt_open(&f, blob, len), 0);
	root = fdt_root(&f);
	for (p = fdt_first_prop(&f, root); p >= 0; p = fdt_next_prop(&f, p)) {
		HT_EQ(fdt_prop_at(&f, p, &name, &val, &plen), 0);
		if (strcmp(name, "compatible") == 0) {
			saw_compat = true;
			HT_EQ(plen, sizeof("linux,dummy-virt"));
		}
		if (strcmp(name, "#address-cells") == 0) {
			saw_acells = true;
			HT_EQ(plen, 4);
			HT_EQ(get32(val), 2);
		}
		nprops++;
	}
	HT_EQ(p, E_NOENT);
	HT_ASSERT(saw_compat && saw_acells);
	HT_EQ(nprops, 5);
	HT_EQ(fdt_prop(&f, root, "no-such-property", &val, &plen), E_NOENT);
	HT_EQ(fdt_prop(&f, root, "#address-cell", NULL, NULL), E_NOENT);
	HT_EQ(fdt_prop(&f, root, "#address-cells", NULL, NULL), 0);
	HT_EQ(fdt_prop_u32(&f, root, "model", &v), E_FORMAT);

	uart = fdt_path(&f, "/pl011@9000000");
	HT_ASSERT(uart >= 0);
	HT_EQ(fdt_prop(&f, uart, "compatible", &val, &plen), 0);
	HT_STREQ(fdt_stringlist_get(val, plen, 0), "arm,pl011");
	HT_STREQ(fdt_stringlist_get(val, plen, 1), "arm,primecell");
	HT_ASSERT(fdt_stringlist_get(val, plen, 2) == NULL);
	HT_ASSERT(fdt_stringlist_get(val, plen - 1, 1) == NULL); /* unterminated tail */
	HT_ASSERT(fdt_prop_has_string(&f, uart, "compatible", "arm,primecell"));
	HT_ASSERT(!fdt_prop_has_string(&f, uart, "compatible", "arm,pl01"));
	HT_ASSERT(!fdt_prop_has_string(&f, uart, "compatible", "arm,pl011 arm"));
	HT_ASSERT(!fdt_prop_has_string(&f, uart, "compatible", ""));
	HT_ASSERT(fdt_prop_string(&f, uart, "compatible") == NULL); /* a list */
	s = fdt_prop_string(&f, uart, "clock-names");
	HT_ASSERT(s == NULL);
	HT_EQ(fdt_find_compatible(&f, -1, "arm,pl011"), uart);
	HT_EQ(fdt_find_compatible(&f, uart, "arm,pl011"), E_NOENT);
	HT_ASSERT(fdt_find_compatible(&f, -1, "virtio,mmio") >= 0);
	HT_ASSERT(fdt_prop(&f, uart, "dma-coherent", NULL, NULL) == E_NOENT);
	HT_EQ(fdt_prop(&f, fdt_path(&f, "/fw-cfg"), "dma-coherent", &val, &plen), 0);
	HT_EQ(plen, 0);
}

static void test_phandles(void)
{
	size_t len = 0;
	uint8_t *blob = load("virt-1G-smp1.dtb", &len);
	struct fdt f;
	uint32_t ph;
	int gic;

	HT_ASSERT_MSG(blob, "fixture virt-1G-smp1.dtb missing");
	HT_EQ(fdt_open(&f, blob, len), 0);
	HT_EQ(fdt_prop_u32(&f, fdt_root(&f), "interrupt-parent", &ph), 0);
	gic = fdt_node_by_phandle(&f, ph);
	HT_ASSERT(gic >= 0);
	HT_STREQ(fdt_node_name(&f, gic), "intc@8000000");
	HT_ASSERT(fdt_node_is_compatible(&f, gic, "arm,cortex-a15-gic"));
	HT_EQ(fdt_node_by_phandle(&f, 0), E_INVAL);
	HT_EQ(fdt_node_by_phandle(&f, 0xffffffff), E_INVAL);
	HT_EQ(fdt_node_by_phandle(&f, 0x1234567), E_NOENT);
	HT_STREQ(fdt_node_name(&f, fdt_node_by_phandle(&f, 0x8001)), "cpu@0");
}

static void test_read_cells(void)
{
	static const uint8_t c[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78,
				     0x9a, 0xbc, 0xde, 0xf0, 0, 0, 0, 1 };
	uint64_t v = 77;

	HT_EQ(fdt_read_cells(c, 0, &v), 0);
	HT_EQ(v, 0);
	HT_EQ(fdt_read_cells(c + 8, 1, &v), 0);
	HT_EQ(v, 0x12345678);
	HT_EQ(fdt_read_cells(c + 8, 2, &v), 0);
	HT_ASSERT(v == 0x123456789abcdef0ull);
	HT_EQ(fdt_read_cells(c + 4, 3, &v), 0); /* upper cell zero */
	HT_ASSERT(v == 0x123456789abcdef0ull);
	HT_EQ(fdt_read_cells(c, 4, &v), 0);
	HT_ASSERT(v == 0x123456789abcdef0ull);
	HT_EQ(fdt_read_cells(c + 8, 3, &v), E_RANGE); /* upper cell nonzero */
	HT_EQ(fdt_read_cells(c, 5, &v), E_RANGE);     /* absurd */
	HT_EQ(fdt_read_cells(c, 0xffffffff, &v), E_RANGE);
	HT_EQ(fdt_be32(c + 9), 0x3456789a);
}

static void test_cells_properties(void)
{
	struct fb *b = calloc(1, sizeof(*b));
	struct fdt f;
	size_t len;
	uint8_t *blob;
	int n;

	HT_ASSERT(b);
	keep(b);
	fb_init(b);
	fb_begin(b, "");
	fb_begin(b, "bus7");
	fb_prop_u32(b, "#address-cells", 7);
	fb_prop_u32(b, "#size-cells", 5);
	fb_end(b);
	fb_begin(b, "bus-bad");
	fb_prop(b, "#address-cells", "\0\0\1", 3);
	fb_end(b);
	fb_begin(b, "bus4");
	fb_prop_u32(b, "#address-cells", 4);
	fb_prop_u32(b, "#size-cells", 0);
	fb_end(b);
	fb_end(b);
	fb_u32(b, FDT_END);
	blob = fb_finish(b, &len);
	HT_ASSERT(blob);
	HT_EQ(fdt_open(&f, blob, len), 0);
	HT_EQ(fdt_address_cells(&f, fdt_root(&f)), 2); /* defaults */
	HT_EQ(fdt_size_cells(&f, fdt_root(&f)), 1);
	n = fdt_path(&f, "/bus7");
	HT_EQ(fdt_address_cells(&f, n), E_RANGE);
	HT_EQ(fdt_size_cells(&f, n), E_RANGE);
	n = fdt_path(&f, "/bus-bad");
	HT_EQ(fdt_address_cells(&f, n), E_FORMAT);
	n = fdt_path(&f, "/bus4");
	HT_EQ(fdt_address_cells(&f, n), 4);
	HT_EQ(fdt_size_cells(&f, n), 0);
	HT_EQ(fdt_address_cells(&f, 1), E_INVAL);
}

static void test_memreserve(void)
{
	size_t len = 0;
	uint8_t *blob = load("dt-sparse.dtb", &len);
	struct fb *b = calloc(1, sizeof(*b));
	struct fdt f;
	uint64_t base, size;

	HT_ASSERT(b);
	keep(b);
	HT_ASSERT_MSG(blob, "fixture dt-sparse.dtb missing");
	HT_EQ(fdt_open(&f, blob, len), 0);
	HT_EQ(fdt_num_mem_rsv(&f), 2);
	HT_EQ(fdt_mem_rsv(&f, 0, &base, &size), 0);
	HT_EQ(base, 0x48000000);
	HT_EQ(size, 0x100000);
	HT_EQ(fdt_mem_rsv(&f, 1, &base, &size), 0);
	HT_EQ(base, 0x180000000ull);
	HT_EQ(size, 0x2000);
	HT_EQ(fdt_mem_rsv(&f, 2, &base, &size), E_NOENT);

	/* Built: 3 entries with terminator; then without one. */
	fb_init(b);
	fb_rsv(b, 0x1000, 0x2000);
	fb_rsv(b, 0, 0x10);  /* base 0 but size != 0: not a terminator */
	fb_rsv(b, 0x5000, 0);
	fb_minimal_body(b);
	fb_u32(b, FDT_END);
	blob = fb_finish(b, &len);
	HT_EQ(fdt_open(&f, blob, len), 0);
	HT_EQ(fdt_num_mem_rsv(&f), 3);
	b->no_rsv_terminator = true;
	blob = fb_finish(b, &len);
	/* Without a terminator the map runs into the structure block, whose
	 * first words are not zero: it must end at totalsize or overlap. */
	HT_ASSERT(fdt_open(&f, blob, len) < 0);
	HT_ASSERT(f.why && f.why[0]);

	/* A map that really runs to the end of the blob. */
	{
		uint8_t *p = calloc(1, 40 + 16 * 3);

		HT_ASSERT(p);
		keep(p);
		put32(p + 0, FDT_MAGIC);
		put32(p + 4, 40 + 16 * 3);
		put32(p + 8, 40);
		put32(p + 12, 40);
		put32(p + 16, 40);
		put32(p + 20, 17);
		put32(p + 24, 16);
		memset(p + 40, 0xee, 16 * 3);
		HT_EQ(fdt_open(&f, p, 40 + 16 * 3), E_TRUNC);
		HT_ASSERT(strstr(f.why, "terminator") != NULL);
	}
}

static void test_copy(void)
{
	size_t len = 0;
	uint8_t *blob = load("virt-2G-smp2.dtb", &len);
	struct fdt f, c, c0;
	uint8_t *buf;
	size_t used;
	int err;

	HT_ASSERT_MSG(blob, "fixture virt-2G-smp2.dtb missing");
	HT_EQ(fdt_open(&f, blob, len), 0);
	HT_EQ(f.totalsize, 1024 * 1024); /* QEMU pads to 1 MiB */
	used = fdt_used_size(&f);
	HT_EQ(used, (size_t)f.off_strings + f.size_strings);
	buf = keep(malloc(used));
	HT_ASSERT(buf);
	err = fdt_copy(&c, buf, used, &f);
	HT_ASSERT_MSG(err == 0, "%s", c.why);
	HT_EQ(c.totalsize, used);
	HT_EQ(get32(buf + 4), used);
	HT_EQ(fdt_used_size(&c), used);
	HT_EQ(c.nnodes, f.nnodes);
	HT_EQ(memcmp(buf + 8, blob + 8, used - 8), 0);
	HT_EQ(fdt_path(&c, "/pl011"), fdt_path(&f, "/pl011"));
	HT_EQ(walk_everything(&c, true), (int)f.nnodes);
	c0 = c;
	c0.why = "";

	err = fdt_copy(&c, buf, used - 1, &f);
	HT_EQ(err, E_NOMEM);
	HT_ASSERT(strstr(c.why, "needs") != NULL);
	HT_EQ(fdt_root(&c), E_INVAL); /* dst is closed */
	HT_EQ(fdt_copy(&c, buf, used, NULL), E_INVAL);

	/* In place (dst == src, buffer == blob) works too. */
	{
		uint8_t *b2 = keep(dup_exact(blob, len));

		HT_ASSERT(b2);
		HT_EQ(fdt_open(&f, b2, len), 0);
		HT_EQ(fdt_copy(&f, b2, len, &f), 0);
		HT_EQ(f.totalsize, used);
		HT_EQ(walk_everything(&f, false), (int)f.nnodes);
		HT_EQ(fdt_path(&f, "/pl011"), fdt_path(&c0, "/pl011"));
	}
}

static void test_version16(void)
{
	size_t len = 0, len17 = 0;
	uint8_t *blob = load("dt-buses-v16.dtb", &len);
	uint8_t *blob17 = load("dt-buses.dtb", &len17);
	uint8_t *buf;
	struct fdt f, f17, c;

	HT_ASSERT_MSG(blob && blob17, "fixture dt-buses{,-v16}.dtb missing");
	HT_EQ(fdt_open(&f, blob, len), 0);
	HT_EQ(fdt_open(&f17, blob17, len17), 0);
	HT_EQ(f.version, 16);
	HT_EQ(f.size_struct, f17.size_struct); /* found by scanning to FDT_END */
	HT_EQ(f.nnodes, f17.nnodes);
	HT_ASSERT(fdt_path(&f, "/soc/uart@9000") >= 0);
	HT_EQ(walk_everything(&f, true), (int)f.nnodes);
	buf = keep(malloc(len));
	HT_ASSERT(buf);
	HT_EQ(fdt_copy(&c, buf, len, &f), 0);
	HT_EQ(c.version, 16);
	HT_EQ(c.nnodes, f.nnodes);
}

/* ---- hostile inputs ---- */

static int rejected_ok(const struct fdt *f, int err)
{
	return err < 0 && f->why && f->why[0] && fdt_root(f) < 0;
}

static void test_bad_magic_and_version(void)
{
	size_t len = 0;
	uint8_t *orig = load("virt-128M-smp1.dtb", &len);
	uint8_t *b;
	struct fdt f;
	int err;

	HT_ASSERT_MSG(orig, "fixture virt-128M-smp1.dtb missing");
	b = keep(dup_exact(orig, len));
	HT_ASSERT(b);

	b[3] ^= 1;
	err = fdt_open(&f, b, len);
	HT_EQ(err, E_FORMAT);
	HT_ASSERT(strstr(f.why, "magic") != NULL);
	b[3] ^= 1;

	put32(b + 20, 15);
	err = fdt_open(&f, b, len);
	HT_EQ(err, E_FORMAT);
	HT_ASSERT(strstr(f.why, "version 15") != NULL);
	put32(b + 20, 18); /* newer, but compatible with 16: fine */
	HT_EQ(fdt_open(&f, b, len), 0);
	put32(b + 24, 18);
	err = fdt_open(&f, b, len);
	HT_EQ(err, E_FORMAT);
	HT_ASSERT(strstr(f.why, "18") != NULL);
	put32(b + 20, 17);
	put32(b + 24, 17);
	HT_EQ(fdt_open(&f, b, len), 0);
	put32(b + 20, 16);
	err = fdt_open(&f, b, len); /* last_comp 17 > version 16 */
	HT_EQ(err, E_FORMAT);
	put32(b + 24, 16);
	HT_EQ(fdt_open(&f, b, len), 0); /* as v16: size_struct ignored */

	HT_EQ(fdt_open(&f, NULL, len), E_INVAL);
	HT_ASSERT(f.why[0]);
	HT_EQ(fdt_open(NULL, b, len), E_INVAL);
	HT_EQ(fdt_open(&f, b, 0), E_TRUNC);
	HT_EQ(fdt_open(&f, b, 20), E_TRUNC);
	HT_EQ(fdt_open(&f, b, len - 1), E_TRUNC); /* totalsize > avail */
	HT_ASSERT(strstr(f.why, "totalsize") != NULL);
}

/* Check one candidate blob against the contract; false on a breach. */
static bool check_candidate(const uint8_t *p, size_t n, bool deep, unsigned *accepted)
{
	struct fdt f;
	int err = fdt_open(&f, p, n);

	if (err == 0) {
		(*accepted)++;
		return accepted_survives(&f, deep);
	}
	return rejected_ok(&f, err);
}

static void test_truncation(void)
{
	size_t len = 0, used;
	uint8_t *orig = load("virt-1G-smp1.dtb", &len);
	uint8_t *compact;
	struct fdt f, c;
	unsigned accepted = 0, tried = 0;

	HT_ASSERT_MSG(orig, "fixture virt-1G-smp1.dtb missing");
	HT_EQ(fdt_open(&f, orig, len), 0);
	used = fdt_used_size(&f);
	compact = keep(malloc(used));
	HT_ASSERT(compact);
	HT_EQ(fdt_copy(&c, compact, used, &f), 0);

	for (size_t n = 0; n < used; n = n < 512 ? n + 1 : n + 61) {
		uint8_t *p = dup_exact(compact, n);
		struct fdt t;
		int err;

		HT_ASSERT(p);
		/* (a) the header still claims the full size. */
		err = fdt_open(&t, p, n);
		if (!rejected_ok(&t, err) || err != E_TRUNC) {
			free(p);
			HT_ASSERT_MSG(false, "length %zu: %d %s", n, err, t.why);
		}
		/* (b) the header claims what is there: the blocks run out. */
		if (n >= 8) {
			put32(p + 4, (uint32_t)n);
			if (!check_candidate(p, n, false, &accepted)) {
				free(p);
				HT_ASSERT_MSG(false, "length %zu breaks the contract", n);
			}
		}
		tried++;
		free(p);
	}
	HT_ASSERT(tried > 600);
	HT_EQ(accepted, 0); /* nothing shorter than the used size is whole */
	/* Exactly the used size, honest header: fine. */
	HT_EQ(fdt_open(&f, compact, used), 0);
}

static void test_header_corruption(void)
{
	size_t len = 0, used;
	uint8_t *orig = load("virt-1G-smp4.dtb", &len);
	uint8_t *compact;
	struct fdt f, c;
	unsigned accepted = 0;

	HT_ASSERT_MSG(orig, "fixture virt-1G-smp4.dtb missing");
	HT_EQ(fdt_open(&f, orig, len), 0);
	used = fdt_used_size(&f);
	compact = keep(malloc(used));
	HT_ASSERT(compact);
	HT_EQ(fdt_copy(&c, compact, used, &f), 0);

	for (unsigned w = 0; w < 10; w++) {
		uint32_t o = get32(compact + 4 * w);
		uint32_t vals[] = { 0, 0xffffffff, o + 1, o - 1, o + 4, o - 4, o + 8, o ^ 0x80000000,
				    o << 1, o >> 1, 40, 36, (uint32_t)used, (uint32_t)used + 1 };

		for (unsigned v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
			uint8_t *p = dup_exact(compact, used);
			bool ok;

			HT_ASSERT(p);
			put32(p + 4 * w, vals[v]);
			ok = check_candidate(p, used, true, &accepted);
			free(p);
			HT_ASSERT_MSG(ok, "header word %u = 0x%x breaks the contract", w, vals[v]);
		}
	}
	HT_ASSERT(accepted > 0); /* e.g. boot_cpuid changes are harmless */

	/* Specific outcomes. */
	{
		struct {
			unsigned word;
			uint32_t delta;
			int err;
		} cases[] = {
			{ 1, 0xffffffff, E_FORMAT },   /* totalsize 0 - 1 ... huge */
			{ 2, 1, E_ALIGN },             /* off_dt_struct misaligned */
			{ 4, 4, E_ALIGN },             /* off_mem_rsvmap misaligned */
			{ 9, 4, E_FORMAT },            /* structure block overlaps strings */
			{ 8, 1, E_TRUNC },             /* size_dt_strings past totalsize */
		};

		for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			uint8_t *p = keep(dup_exact(compact, used));
			int err;

			HT_ASSERT(p);
			if (cases[i].word == 1)
				put32(p + 4, 0);
			else
				put32(p + 4 * cases[i].word,
				      get32(p + 4 * cases[i].word) + cases[i].delta);
			err = fdt_open(&f, p, used);
			HT_ASSERT_MSG(err == cases[i].err, "word %u: %s (%s)", cases[i].word, f.why,
				      err_name(err));
		}
	}
	/* Overlapping blocks: strings inside structure. */
	{
		uint8_t *p = keep(dup_exact(compact, used));

		HT_ASSERT(p);
		put32(p + 12, get32(p + 8) + 64);
		put32(p + 32, 16);
		HT_ASSERT(fdt_open(&f, p, used) < 0);
		HT_ASSERT(f.why[0]);
	}
}

/* Build, open, expect `err` (0: success) and, on failure, a reason
 * containing `needle`. */
static bool expect_struct(struct fb *b, int err, const char *needle, const char **why)
{
	size_t len;
	uint8_t *blob = fb_finish(b, &len);
	struct fdt f;
	int got;

	if (!blob)
		return false;
	got = fdt_open(&f, blob, len);
	*why = f.why;
	if (got != err)
		return false;
	if (got == 0)
		return accepted_survives(&f, true);
	return rejected_ok(&f, got) && (!needle || strstr(f.why, needle));
}

#define EXPECT_STRUCT(b, err, needle)                                               \
	do {                                                                        \
		const char *why_ = "";                                              \
		HT_ASSERT_MSG(expect_struct(b, err, needle, &why_), "expected %s: %s", \
			      err_name(err), why_);                                 \
	} while (0)

static void test_struct_corruptions(void)
{
	struct fb *b = keep(calloc(1, sizeof(struct fb)));
	static const uint8_t unterminated[8] = { 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h' };

	HT_ASSERT(b);

	/* The baseline is fine, with NOPs anywhere. */
	fb_init(b);
	fb_u32(b, FDT_NOP);
	fb_begin(b, "");
	fb_u32(b, FDT_NOP);
	fb_prop_u32(b, "#address-cells", 1);
	fb_u32(b, FDT_NOP);
	fb_begin(b, "child@1");
	fb_end(b);
	fb_u32(b, FDT_NOP);
	fb_end(b);
	fb_u32(b, FDT_NOP);
	fb_u32(b, FDT_END);
	EXPECT_STRUCT(b, 0, NULL);

	fb_init(b);
	fb_begin(b, "");
	fb_u32(b, 0x77);
	fb_end(b);
	fb_u32(b, FDT_END);
	EXPECT_STRUCT(b, E_FORMAT, "unknown token 0x77");

	/* Unterminated node name: the name runs to the end of the block. */
	fb_init(b);
	fb_begin(b, "");
	fb_u32(b, FDT_BEGIN_NODE);
	memcpy(b->st + b->sl, unterminated, sizeof(unterminated));
	b->sl += sizeof(unterminated);
	EXPECT_STRUCT(b, E_TRUNC, "node name");

	/* Property length huge. */
	fb_init(b);
	fb_begin(b, "");
	fb_u32(b, FDT_PROP);
	fb_u32(b, 0xfffffff0);
	fb_u32(b, fb_string(b, "x"));
	fb_end(b);
	fb_u32(b, FDT_END);
	EXPECT_STRUCT(b, E_TRUNC, "length 0xfffffff0");

	/* Property length one past the block. */
	fb_init(b);
	fb_begin(b, "");
	fb_u32(b, FDT_PROP);
	fb_u32(b, 13);
	fb_u32(b, fb_string(b, "x"));
	fb_end(b);
	fb_end(b);
	fb_u32(b, FDT_END);
	EXPECT_STRUCT(b, E_TRUNC, "property");

	/* Name offset huge. */
	fb_init(b);
	fb_begin(b, "");
	fb_string(b, "x");
	fb_u32(b, FDT_PROP);
	fb_u32(b, 0);
	fb_u32(b, 0x1234);
	fb_end(b);
	fb_u32(b, FDT_END);
	EXPECT_STRUCT(b, E_RANGE, "property name offset 0x1234 outside strings block");

	/* Name offset pointing at the last byte of an unterminated string. */
	fb_init(b);
	fb_begin(b, "");
	memcpy(b->strs, "abc", 3);
	b->strl = 3;
	fb_u32(b, FDT_PROP);
	fb_u32(b, 0);
	fb_u32(b, 1);
	fb_end(b);
	fb_u32(b, FDT_END);
	EXPECT_STRUCT(b, E_TRUNC, "not NUL-terminated");

	/* Unbalanced: a node never closed. */
	fb_init(b);
	fb_begin(b, "");
	fb_begin(b, "a");
	fb_end(b);
	fb_u32(b, FDT_END);
	EXPECT_STRUCT(b, E_FORMAT, "inside 1 open nodes");

	/* Unbalanced: one END_NODE too many. */
	fb_init(b);
	fb_begin(b, "");
	fb_end(b);
	fb_end(b);
	fb_u32(b, FDT_END);
	EXPECT_STRUCT(b, E_FORMAT, "END_NODE without BEGIN_NODE");

	/* Two roots. */
	fb_init(b);
	fb_begin(b, "");
	fb_end(b);
	fb_begin(b, "");
	fb_end(b);
	fb_u32(b, FDT_END);
	EXPECT_STRUCT(b, E_FORMAT, "second root");

	/* No root at all. */
	fb_init(b);
	fb_u32(b, FDT_NOP);
	fb_u32(b, FDT_END);
	EXPECT_STRUCT(b, E_FORMAT, "no root");

	/* Property outside any node, property after a subnode. */
	fb_init(b);
	fb_prop_u32(b, "x", 1);
	fb_begin(b, "");
	fb_end(b);
	fb_u32(b, FDT_END);
	EXPECT_STRUCT(b, E_FORMAT, "outside any node");
	fb_init(b);
	fb_begin(b, "");
	fb_begin(b, "a");
	fb_end(b);
	fb_prop_u32(b, "x", 1);
	fb_end(b);
	fb_u32(b, FDT_END);
	EXPECT_STRUCT(b, E_FORMAT, "after a subnode");

	/* No FDT_END. */
	fb_init(b);
	fb_begin(b, "");
	fb_end(b);
	EXPECT_STRUCT(b, E_TRUNC, "without FDT_END");

	/* Names: root with a name, empty child name, '/' in a name. */
	fb_init(b);
	fb_begin(b, "root");
	fb_end(b);
	fb_u32(b, FDT_END);
	EXPECT_STRUCT(b, E_FORMAT, "root node");
	fb_init(b);
	fb_begin(b, "");
	fb_begin(b, "");
	fb_end(b);
	fb_end(b);
	fb_u32(b, FDT_END);
	EXPECT_STRUCT(b, E_FORMAT, "empty node name");
	fb_init(b);
	fb_begin(b, "");
	fb_begin(b, "a/b");
	fb_end(b);
	fb_end(b);
	fb_u32(b, FDT_END);
	EXPECT_STRUCT(b, E_FORMAT, "'/'");

	/* Depth: exactly FDT_MAX_DEPTH is fine, one more is not, 1000 not. */
	fb_init(b);
	for (int i = 0; i < FDT_MAX_DEPTH; i++)
		fb_begin(b, i ? "n" : "");
	for (int i = 0; i < FDT_MAX_DEPTH; i++)
		fb_end(b);
	fb_u32(b, FDT_END);
	EXPECT_STRUCT(b, 0, NULL);
	fb_init(b);
	for (int i = 0; i <= FDT_MAX_DEPTH; i++)
		fb_begin(b, i ? "n" : "");
	for (int i = 0; i <= FDT_MAX_DEPTH; i++)
		fb_end(b);
	fb_u32(b, FDT_END);
	EXPECT_STRUCT(b, E_DEPTH, "deeper than 32");
	fb_init(b);
	for (int i = 0; i < 1000; i++)
		fb_begin(b, i ? "n" : "");
	for (int i = 0; i < 1000; i++)
		fb_end(b);
	fb_u32(b, FDT_END);
	EXPECT_STRUCT(b, E_DEPTH, "deeper");

	/* Empty property name. */
	fb_init(b);
	fb_begin(b, "");
	fb_prop_u32(b, "", 1);
	fb_end(b);
	fb_u32(b, FDT_END);
	EXPECT_STRUCT(b, E_FORMAT, "empty property name");

	/* Data after FDT_END is ignored. */
	fb_init(b);
	fb_begin(b, "");
	fb_end(b);
	fb_u32(b, FDT_END);
	fb_u32(b, 0xdeadbeef);
	EXPECT_STRUCT(b, 0, NULL);
}

/* ---- string lists ---- */

/* The plain definition: each NUL-terminated entry inside len, compared whole. */
static bool contains_ref(const char *p, uint32_t len, const char *s)
{
	while (len) {
		size_t n = 0;

		while (n < len && p[n])
			n++;
		if (n == len)
			return false;
		if (strcmp(p, s) == 0)
			return true;
		p += n + 1;
		len -= (uint32_t)(n + 1);
	}
	return false;
}

static void test_stringlist(void)
{
	static const char *const probes[] = { "", "a", "b", "ab", "abc", "bc", "ba", "c", "cd" };
	static const char alphabet[] = { 'a', 'b', 'c', '\0' };
	char list[8];

	HT_ASSERT(fdt_stringlist_contains("a\0bc", 5, "bc"));
	HT_ASSERT(!fdt_stringlist_contains("a\0bc", 5, "b"));
	HT_ASSERT(!fdt_stringlist_contains("a\0bc", 4, "bc"));      /* cut: no NUL */
	HT_ASSERT(fdt_stringlist_contains("a\0bc", 4, "a"));
	HT_ASSERT(fdt_stringlist_contains("\0x", 3, ""));
	HT_ASSERT(!fdt_stringlist_contains("x", 0, ""));
	HT_ASSERT(!fdt_stringlist_contains(NULL, 4, "a"));
	HT_ASSERT(!fdt_stringlist_contains("a", 2, NULL));
	/* Every list of up to 7 bytes over {a, b, c, NUL}, every probe. */
	for (uint32_t len = 0; len <= 7; len++) {
		uint32_t total = 1;

		for (uint32_t i = 0; i < len; i++)
			total *= 4;
		for (uint32_t code = 0; code < total; code++) {
			uint8_t *exact;

			for (uint32_t i = 0, c = code; i < len; i++, c /= 4)
				list[i] = alphabet[c % 4];
			exact = dup_exact(list, len);
			HT_ASSERT(exact);
			for (size_t k = 0; k < sizeof(probes) / sizeof(probes[0]); k++)
				HT_ASSERT_MSG(fdt_stringlist_contains(exact, len, probes[k]) ==
					      contains_ref((const char *)exact, len, probes[k]),
					      "list %u/%u, \"%s\"", (unsigned)code, (unsigned)len,
					      probes[k]);
			free(exact);
		}
	}
}

/* ---- the index answers as the walk does ---- */

#define AGREE_NAMES 96

static struct dt_info dt_plain, dt_indexed;

/* Property names to ask for: every name the tree uses, then names it
 * should not have (prefixes, extensions, empty, with a unit). */
static unsigned agree_names(const struct fdt *f, const char *names[AGREE_NAMES])
{
	static const char *const extra[] = {
		"", "reg", "compatible", "phandle", "linux,phandle", "#address-cells",
		"compat", "compatiblex", "interrupt-parent", "nonexistent", "reg@1",
	};
	unsigned n = 0;
	int node;

	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		names[n++] = extra[i];
	for (node = fdt_root(f); node >= 0; node = fdt_next_node(f, node, NULL))
		for (int p = fdt_first_prop(f, node); p >= 0 && n < AGREE_NAMES;
		     p = fdt_next_prop(f, p)) {
			const char *pn;
			bool have = false;

			if (fdt_prop_at(f, p, &pn, NULL, NULL) != 0)
				continue;
			for (unsigned k = 0; k < n && !have; k++)
				have = strcmp(names[k], pn) == 0;
			if (!have)
				names[n++] = pn;
		}
	return n;
}

/* Node questions about offset `off` answer the same on both trees. */
static void agree_at(const struct fdt *a, const struct fdt *b, int off, const char *const *names,
		     unsigned nnames)
{
	char pa[256], pb[256];
	int da = 3, db = 3;

	HT_ASSERT(fdt_node_name(a, off) == fdt_node_name(b, off));
	HT_EQ(fdt_first_child(a, off), fdt_first_child(b, off));
	HT_EQ(fdt_next_sibling(a, off), fdt_next_sibling(b, off));
	HT_EQ(fdt_parent(a, off), fdt_parent(b, off));
	HT_EQ(fdt_next_node(a, off, &da), fdt_next_node(b, off, &db));
	HT_EQ(da, db);
	HT_EQ(fdt_node_path(a, off, pa, sizeof(pa)), fdt_node_path(b, off, pb, sizeof(pb)));
	HT_STREQ(pa, pb);
	HT_EQ(fdt_node_path(a, off, pa, 6), fdt_node_path(b, off, pb, 6));
	HT_STREQ(pa, pb);
	HT_EQ(fdt_address_cells(a, off), fdt_address_cells(b, off));
	HT_EQ(fdt_size_cells(a, off), fdt_size_cells(b, off));
	for (unsigned k = 0; k < nnames; k++) {
		const void *va = NULL, *vb = NULL;
		uint32_t la = 7, lb = 7, ua = 9, ub = 9;

		HT_EQ(fdt_prop(a, off, names[k], &va, &la), fdt_prop(b, off, names[k], &vb, &lb));
		HT_ASSERT(va == vb);
		HT_EQ(la, lb);
		HT_EQ(fdt_prop_u32(a, off, names[k], &ua), fdt_prop_u32(b, off, names[k], &ub));
		HT_EQ(ua, ub);
		HT_ASSERT(fdt_prop_string(a, off, names[k]) == fdt_prop_string(b, off, names[k]));
	}
}

/* Every lookup on `b` (the blob of `a`, indexed) answers as on `a`: at
 * every node, at every other offset of the structure block and just
 * around it, by path, by phandle, by compatible, and dt_parse. */
static void index_agrees(const struct fdt *a, const struct fdt *b)
{
	const char *names[AGREE_NAMES];
	unsigned nnames = agree_names(a, names);
	int node;

	HT_ASSERT(b->ix && !a->ix);
	HT_EQ(b->ix->nnodes, a->nnodes);
	for (node = fdt_root(a); node >= 0; node = fdt_next_node(a, node, NULL)) {
		char path[256];

		agree_at(a, b, node, names, nnames);
		if (fdt_node_path(a, node, path, sizeof(path)) >= 0)
			HT_EQ(fdt_path(a, path), fdt_path(b, path));
		for (int p = fdt_first_prop(a, node); p >= 0; p = fdt_next_prop(a, p)) {
			const char *pn;
			const void *val;
			uint32_t len;

			if (fdt_prop_at(a, p, &pn, &val, &len) != 0)
				continue;
			if (len >= 4 && (strcmp(pn, "phandle") == 0 || strcmp(pn, "linux,phandle") == 0))
				HT_EQ(fdt_node_by_phandle(a, get32(val)),
				      fdt_node_by_phandle(b, get32(val)));
			if (strcmp(pn, "compatible") == 0 && len > 0) {
				const char *c = fdt_stringlist_get(val, len, 0);
				int x = -1, y = -1;

				do {
					x = c ? fdt_find_compatible(a, x, c) : E_NOENT;
					y = c ? fdt_find_compatible(b, y, c) : E_NOENT;
					HT_EQ(x, y);
				} while (x >= 0);
			}
		}
	}
	HT_EQ(node, E_NOENT);
	for (uint32_t ph = 0; ph < 40; ph++)
		HT_EQ(fdt_node_by_phandle(a, ph), fdt_node_by_phandle(b, ph));
	for (int off = -9; off < (int)a->size_struct + 9; off++)
		if (!fdt_node_name(a, off) || (off & 3))
			agree_at(a, b, off, names, 4);
	HT_EQ(fdt_path(a, "serial0"), fdt_path(b, "serial0"));
	HT_EQ(fdt_path(a, "/nowhere"), fdt_path(b, "/nowhere"));
	HT_EQ(dt_parse(a, &dt_plain), dt_parse(b, &dt_indexed));
	dt_plain.why = dt_indexed.why = NULL;
	HT_ASSERT(memcmp(&dt_plain, &dt_indexed, sizeof(dt_plain)) == 0);
}

static struct fdt_index test_ix;

static void test_index_same_answers(void)
{
	static const char *const files[] = {
		"virt-1G-smp1.dtb", "virt-1G-smp4.dtb", "virt-6G-smp1-highmem.dtb",
		"virt-1G-smp1-virt.dtb", "virt-chosen-2cell.dtb", "dt-buses.dtb", "dt-sparse.dtb",
		"dt-buses-v16.dtb",
	};
	struct fb *b = keep(malloc(sizeof(*b)));
	struct fdt a, x;
	uint8_t *blob;
	size_t len = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		blob = load(files[i], &len);
		HT_ASSERT_MSG(blob, "fixture %s missing", files[i]);
		HT_EQ(fdt_open(&a, blob, len), 0);
		HT_EQ(fdt_open(&x, blob, len), 0);
		HT_EQ(fdt_index(&x, &test_ix), 0);
		index_agrees(&a, &x);
	}

	/* What the index records by hand: NOPs among properties, a first
	 * `phandle` of 8 bytes (fdt_prop_u32 refuses it, so the 4-byte one
	 * after it names nothing), both phandles on one node, a property
	 * named by a suffix of another's name, duplicate names. */
	HT_ASSERT(b);
	fb_init(b);
	fb_begin(b, "");
	fb_prop_u32(b, "#address-cells", 1);
	fb_u32(b, FDT_NOP);
	fb_prop_u32(b, "#size-cells", 1);
	fb_begin(b, "a@1");
	fb_prop(b, "phandle", "\0\0\0\1\0\0\0\1", 8);
	fb_prop_u32(b, "phandle", 2);
	fb_u32(b, FDT_NOP);
	fb_prop_u32(b, "linux,phandle", 3);
	fb_begin(b, "b");
	fb_u32(b, FDT_NOP);
	fb_prop_u32(b, "linux,phandle", 4);
	fb_prop_u32(b, "phandle", 5);
	fb_prop_u32(b, "phandle", 6);
	fb_prop_str(b, "compatible", "x,y");
	fb_prop_str(b, "compatible", "x,z");
	fb_end(b);
	fb_u32(b, FDT_NOP);
	fb_end(b);
	fb_begin(b, "a@2");
	fb_prop(b, "linux,phandle", "\0\0\0\7\0", 5);
	fb_prop_u32(b, "phandle", 7);
	fb_end(b);
	fb_begin(b, "c");
	fb_end(b);
	fb_end(b);
	fb_u32(b, FDT_END);
	blob = fb_finish(b, &len);
	HT_EQ(fdt_open(&a, blob, len), 0);
	HT_EQ(fdt_open(&x, blob, len), 0);
	HT_EQ(fdt_index(&x, &test_ix), 0);
	index_agrees(&a, &x);
	HT_EQ(fdt_node_by_phandle(&x, 1), E_NOENT);
	HT_EQ(fdt_node_by_phandle(&x, 2), E_NOENT);
	HT_EQ(fdt_node_by_phandle(&x, 6), E_NOENT);
	HT_STREQ(fdt_node_name(&x, fdt_node_by_phandle(&x, 3)), "a@1");
	HT_STREQ(fdt_node_name(&x, fdt_node_by_phandle(&x, 5)), "b");
	HT_STREQ(fdt_node_name(&x, fdt_node_by_phandle(&x, 7)), "a@2");
	HT_STREQ(fdt_prop_string(&x, fdt_path(&x, "/a/b"), "compatible"), "x,y");
	HT_EQ(fdt_path(&x, "/a"), fdt_path(&x, "/a@1"));
}

/* A tree of `nodes` nodes below the root or `props` empty properties on
 * the root. */
static uint8_t *many(struct fb *b, unsigned nodes, unsigned props, size_t *len)
{
	fb_init(b);
	fb_begin(b, "");
	for (unsigned i = 0; i < props; i++)
		fb_prop(b, i % 2 ? "p" : "q", NULL, 0);
	for (unsigned i = 0; i < nodes; i++) {
		fb_begin(b, "n");
		fb_end(b);
	}
	fb_end(b);
	fb_u32(b, FDT_END);
	return fb_finish(b, len);
}

static void test_index_bounds(void)
{
	struct fb *b = keep(malloc(sizeof(*b)));
	struct fdt a, x;
	uint8_t *blob;
	size_t len = 0;

	HT_ASSERT(b);
	/* Exactly full: the root and FDT_INDEX_NODES - 1 nodes. */
	blob = many(b, FDT_INDEX_NODES - 1, FDT_INDEX_PROPS, &len);
	HT_EQ(fdt_open(&x, blob, len), 0);
	HT_EQ(fdt_index(&x, &test_ix), 0);
	HT_EQ(test_ix.nnodes, FDT_INDEX_NODES);
	HT_EQ(test_ix.nprops, FDT_INDEX_PROPS);
	HT_EQ(fdt_open(&a, blob, len), 0);
	index_agrees(&a, &x);

	/* One node more: refused with the bound, the tree still answers. */
	blob = many(b, FDT_INDEX_NODES, 1, &len);
	HT_EQ(fdt_open(&x, blob, len), 0);
	HT_EQ(fdt_index(&x, &test_ix), E_OVERFLOW);
	HT_STREQ(x.why, "more than 1024 nodes (the index holds 1024)");
	HT_ASSERT(x.ix == NULL);
	HT_EQ(fdt_next_sibling(&x, fdt_first_child(&x, fdt_root(&x))),
	      fdt_first_child(&x, fdt_root(&x)) + 12);
	HT_EQ(fdt_prop(&x, fdt_root(&x), "q", NULL, NULL), 0);

	/* One property more. */
	blob = many(b, 0, FDT_INDEX_PROPS + 1, &len);
	HT_EQ(fdt_open(&x, blob, len), 0);
	HT_EQ(fdt_index(&x, &test_ix), E_OVERFLOW);
	HT_STREQ(x.why, "more than 4096 properties (the index holds 4096)");
	HT_ASSERT(x.ix == NULL);
	HT_EQ(fdt_prop(&x, fdt_root(&x), "p", NULL, NULL), 0);

	/* Not open: nothing to index. */
	HT_ASSERT(fdt_open(&x, "junk", 4) < 0);
	HT_EQ(fdt_index(&x, &test_ix), E_INVAL);
	HT_ASSERT(x.ix == NULL);
	HT_EQ(fdt_index(NULL, &test_ix), E_INVAL);
	HT_EQ(fdt_open(&x, blob, len), 0);
	HT_EQ(fdt_index(&x, NULL), E_INVAL);
}

/* Deterministic random numbers for the flip test. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	return htest_rand(&rng_state);
}

static void test_random_flips(void)
{
	static const char *const files[] = {
		"virt-1G-smp1.dtb", "virt-1G-smp4.dtb", "virt-1G-smp1-virt.dtb",
		"dt-buses.dtb", "dt-sparse.dtb", "dt-buses-v16.dtb", "virt-chosen-2cell.dtb",
	};
	const unsigned iterations = 24000;
	uint8_t *compact[sizeof(files) / sizeof(files[0])];
	size_t used[sizeof(files) / sizeof(files[0])];
	unsigned accepted = 0, rejected = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t len = 0;
		uint8_t *orig = load(files[i], &len);
		struct fdt f, c;

		HT_ASSERT_MSG(orig, "fixture %s missing", files[i]);
		HT_EQ(fdt_open(&f, orig, len), 0);
		used[i] = fdt_used_size(&f);
		compact[i] = keep(malloc(used[i]));
		HT_ASSERT(compact[i]);
		HT_EQ(fdt_copy(&c, compact[i], used[i], &f), 0);
	}
	rng_state = 0x9e3779b97f4a7c15ull;
	for (unsigned it = 0; it < iterations; it++) {
		unsigned which = (unsigned)(rng() % (sizeof(files) / sizeof(files[0])));
		size_t n = used[which];
		uint8_t *p = dup_exact(compact[which], n);
		unsigned flips = 1 + (unsigned)(rng() % 4);
		struct fdt f;
		int err;
		bool ok;

		HT_ASSERT(p);
		for (unsigned k = 0; k < flips; k++) {
			uint64_t r = rng();
			size_t pos;

			/* A third of the flips hit the header and the first
			 * structure words, where they matter most. */
			if (r % 3 == 0)
				pos = (size_t)(r >> 8) % (n < 128 ? n : 128);
			else
				pos = (size_t)(r >> 8) % n;
			if ((r >> 4) & 1)
				p[pos] ^= (uint8_t)(1u << ((r >> 5) & 7));
			else
				p[pos] = (uint8_t)(r >> 40);
		}
		err = fdt_open(&f, p, n);
		if (err == 0) {
			accepted++;
			ok = accepted_survives(&f, (it & 63) == 0);
			if ((it & 15) == 0) {
				struct fdt x = f;

				HT_EQ(fdt_index(&x, &test_ix), 0);
				index_agrees(&f, &x);
			}
		} else {
			rejected++;
			ok = rejected_ok(&f, err);
		}
		free(p);
		HT_ASSERT_MSG(ok, "iteration %u (%s) breaks the contract: err %d why \"%s\"", it,
			      files[which], err, err ? f.why : dt_scratch.why);
	}
	printf("    # random flips: %u accepted, %u rejected\n", accepted, rejected);
	HT_ASSERT(accepted > iterations / 10);
	HT_ASSERT(rejected > iterations / 20);
}

static const struct htest_case cases[] = {
	HT_CASE(test_real_fixtures_open),
	HT_CASE(test_paths),
	HT_CASE(test_node_path_overflow),
	HT_CASE(test_memory_and_cpus),
	HT_CASE(test_navigation_consistent),
	HT_CASE(test_properties),
	HT_CASE(test_phandles),
	HT_CASE(test_read_cells),
	HT_CASE(test_cells_properties),
	HT_CASE(test_memreserve),
	HT_CASE(test_copy),
	HT_CASE(test_version16),
	HT_CASE(test_bad_magic_and_version),
	HT_CASE(test_truncation),
	HT_CASE(test_header_corruption),
	HT_CASE(test_struct_corruptions),
	HT_CASE(test_stringlist),
	HT_CASE(test_index_same_answers),
	HT_CASE(test_index_bounds),
	HT_CASE(test_random_flips),
};

int main(void)
{
	return htest_main("fdt", cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
