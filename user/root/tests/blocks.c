/*
 * blocks: large translations seen from user level.
 *
 * A GiB of a bus window (QEMU virt's 64-bit PCIe window: no BAR is
 * assigned in it, so reads answer all ones and writes are ignored) is
 * mapped into a worker's address space as one level-1 block (no page
 * table is charged for it) or, 2 MiB further on, as 512 level-2 blocks
 * (one level-2 table); the worker reads and writes through it; unmap and
 * revocation remove it and the worker's next access faults. A mapping is
 * never split: a capability for part of a block-mapped range cannot be
 * mapped over it, and deleting or revoking such a part leaves the block
 * whole. RAM objects of 2 MiB (order 9) are mapped as level-2 blocks and
 * follow the same rules.
 */
#include "root.h"

#define ROOT_PART_VA 0x60000000u        /* root's own mapping of a part */
#define ROOT_RAM_VA 0x30400000u

static struct worker wk;
static bool wk_ready;

/* A worker of its own: a fresh address space, no spare page tables. */
static struct worker *worker(struct utest *t)
{
	if (!wk_ready) {
		int err = worker_new(&wk, true);

		if (err) {
			utest_fail(t, __FILE__, __LINE__, "worker_new: %d", err);
			return NULL;
		}
		wk_ready = true;
	}
	return &wk;
}

/* DIRECT pages the root task's account has used (it pays the workers'
 * page tables). */
static uint32_t tables_used(void)
{
	uint32_t used = 0;

	sys_quota_info(SLOT_ACCOUNT, POOL_ID_DIRECT, NULL, &used, NULL);
	return used;
}

/* The worker reads va: 0 and the word, or 1 when it faulted there (it is
 * restarted). Anything else: an error. */
static int wread(struct worker *w, uintptr_t va, uint32_t *v)
{
	struct msg r;
	int err = worker_cmd(w, WK_READ, va, 0, 0, &r);

	if (err == 0) {
		*v = r.mr[0];
		return 0;
	}
	if (err == 1 && MSG_LABEL(r.info) == FAULT_LABEL_BASE + FAULT_DATA && r.mr[1] == va &&
	    worker_restart(w) == 0)
		return 1;
	return -1000 + err;
}

static int wwrite(struct worker *w, uintptr_t va, uint32_t v)
{
	struct msg r;
	int err = worker_cmd(w, WK_WRITE, va, v, 0, &r);

	if (err == 1)
		worker_restart(w);
	return err;
}

/* A capability for 1 GiB + extra of a window, 1 GiB aligned, or skip. */
static cptr_t window(struct utest *t, uint64_t extra, uint64_t *pa)
{
	cptr_t s = slot_alloc();

	if (root_gib_window(extra, s, pa)) {
		t->skip = "no bus window with a 1 GiB aligned GiB (highmem=off?)";
		return CPTR_NULL;
	}
	return s;
}

static cptr_t mint(cptr_t src, uint32_t first, uint32_t pages)
{
	cptr_t s = slot_alloc();

	return sys_cap_mint(src, CPTR_SELF, s, R_READ | R_WRITE, first, pages) ? CPTR_NULL : s;
}

static void test_gib_block_mapped_as_one_block(struct utest *t)
{
	struct worker *w = worker(t);
	cptr_t win, a;
	uint64_t pa, got;
	uint32_t q0, v;
	unsigned rights, attr;

	if (!w)
		return;
	win = window(t, 0, &pa);
	if (!win)
		return;
	a = mint(win, 0, ROOT_GIB >> 12);
	UT_ASSERT(a);
	q0 = tables_used();
	UT_EQ(sys_map(w->p.vspace, a, ROOT_GIB_VA, R_READ | R_WRITE, ATTR_DEFAULT), 0);
	/* One level-1 block: no page table was needed for the GiB. */
	UT_EQ(tables_used(), q0);
	UT_EQ(sys_map_info(w->p.vspace, ROOT_GIB_VA + 0x3ffff004u, &got, &rights, &attr), 0);
	UT_EQ(got, pa + 0x3ffff004u);
	UT_EQ(rights, R_READ | R_WRITE);
	UT_EQ(attr, ATTR_DEVICE);
	/* Reads through it answer (all ones: no BAR there), writes do not
	 * fault, at both ends and in the middle. */
	UT_EQ(wread(w, ROOT_GIB_VA, &v), 0);
	UT_EQ(v, 0xffffffffu);
	UT_EQ(wread(w, ROOT_GIB_VA + 0x3ffffffcu, &v), 0);
	UT_EQ(v, 0xffffffffu);
	UT_EQ(wwrite(w, ROOT_GIB_VA + 0x12345670u, 0x600d), 0);
	UT_EQ(wread(w, ROOT_GIB_VA + 0x12345670u, &v), 0);
	UT_EQ(v, 0xffffffffu);
	/* Unmapped: gone from the space and from the TLB. */
	UT_EQ(sys_unmap(a), 0);
	UT_EQ(sys_map_info(w->p.vspace, ROOT_GIB_VA, NULL, NULL, NULL), E_NOENT);
	UT_EQ(wread(w, ROOT_GIB_VA + 0x3ffffffcu, &v), 1);
	UT_EQ(wread(w, ROOT_GIB_VA, &v), 1);
	UT_EQ(tables_used(), q0);
	UT_EQ(sys_cap_delete(CPTR_SELF, a), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, win), 0);
}

static void test_gib_block_removed_by_revoke(struct utest *t)
{
	struct worker *w = worker(t);
	cptr_t win, p;
	uint64_t pa;
	uint32_t v;
	struct msg r;

	if (!w)
		return;
	win = window(t, 0, &pa);
	if (!win)
		return;
	p = mint(win, 0, ROOT_GIB >> 12);
	UT_ASSERT(p);
	/* The worker maps its own copy (a child of p) with its own call. */
	UT_EQ(sys_cap_mint(p, w->p.cspace, WK_FIRST_FREE, R_READ | R_WRITE, 0, 0), 0);
	UT_EQ(worker_cmd(w, WK_MAP, WK_FIRST_FREE, ROOT_GIB_VA, R_READ | R_WRITE, &r), 0);
	UT_EQ(r.mr[0], 0);
	UT_EQ(wread(w, ROOT_GIB_VA + 0x20000000u, &v), 0);
	UT_EQ(v, 0xffffffffu);
	/* Revoking p deletes the worker's capability and its block. */
	UT_EQ(sys_cap_revoke(CPTR_SELF, p), 0);
	UT_EQ(sys_map_info(w->p.vspace, ROOT_GIB_VA + 0x20000000u, NULL, NULL, NULL), E_NOENT);
	UT_EQ(wread(w, ROOT_GIB_VA + 0x20000000u, &v), 1);
	UT_EQ(worker_cmd(w, WK_INSPECT, WK_FIRST_FREE, 0, 0, &r), 0);
	UT_EQ((int)r.mr[0], E_NOCAP);
	UT_EQ(sys_cap_delete(CPTR_SELF, p), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, win), 0);
}

static void test_gib_of_2m_blocks(struct utest *t)
{
	struct worker *w = worker(t);
	cptr_t win, p, b;
	uint64_t pa, got;
	uint32_t q0, v;

	if (!w)
		return;
	win = window(t, 0x200000, &pa);
	if (!win)
		return;
	/* pa 2 MiB past a GiB boundary: no level-1 block fits. */
	p = mint(win, 0x200, ROOT_GIB >> 12);
	b = p ? mint(p, 0, 0) : CPTR_NULL;
	UT_ASSERT(b);
	q0 = tables_used();
	UT_EQ(sys_map(w->p.vspace, b, ROOT_GIB_VA, R_READ | R_WRITE, ATTR_DEFAULT), 0);
	/* 512 level-2 blocks: one level-2 table, no level-3 table. */
	UT_EQ(tables_used(), q0 + 1);
	UT_EQ(sys_map_info(w->p.vspace, ROOT_GIB_VA + 0x3ff008u, &got, NULL, NULL), 0);
	UT_EQ(got, pa + 0x200000u + 0x3ff008u);
	UT_EQ(wread(w, ROOT_GIB_VA + 0x1ffffcu, &v), 0);
	UT_EQ(v, 0xffffffffu);
	UT_EQ(wwrite(w, ROOT_GIB_VA + 0x200000u, 1), 0);
	UT_EQ(wread(w, ROOT_GIB_VA + 0x3ffffffcu, &v), 0);
	UT_EQ(v, 0xffffffffu);
	/* Revoking the parent removes all 512, first and last included. */
	UT_EQ(sys_cap_revoke(CPTR_SELF, p), 0);
	UT_EQ(sys_cap_inspect(b, NULL), E_NOCAP);
	UT_EQ(wread(w, ROOT_GIB_VA, &v), 1);
	UT_EQ(wread(w, ROOT_GIB_VA + 0x3ffffffcu, &v), 1);
	UT_EQ(wread(w, ROOT_GIB_VA + 0x1234568u, &v), 1);
	/* The emptied table is kept as one of the space's spares. */
	UT_EQ(tables_used(), q0 + 1);
	UT_EQ(sys_cap_delete(CPTR_SELF, p), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, win), 0);
}

static void test_part_of_a_block_is_never_split(struct utest *t)
{
	struct worker *w = worker(t);
	cptr_t win, y, z;
	uint64_t pa;
	uint32_t v;

	if (!w)
		return;
	win = window(t, 0, &pa);
	if (!win)
		return;
	y = mint(win, 0, ROOT_GIB >> 12);
	z = y ? mint(y, 0x200, 0x200) : CPTR_NULL;      /* its second 2 MiB */
	UT_ASSERT(z);
	UT_EQ(sys_map(w->p.vspace, y, ROOT_GIB_VA, R_READ | R_WRITE, ATTR_DEFAULT), 0);
	/* The part cannot be mapped over the block (nor anything else). */
	UT_EQ(sys_map(w->p.vspace, z, ROOT_GIB_VA + 0x200000u, R_READ, ATTR_DEFAULT), E_EXIST);
	/* Mapped elsewhere, it is a mapping of its own; revoking y's
	 * descendants removes that one and leaves y's block whole. */
	UT_EQ(sys_map(SLOT_VSPACE, z, ROOT_PART_VA, R_READ, ATTR_DEFAULT), 0);
	UT_EQ(*(volatile uint32_t *)ROOT_PART_VA, 0xffffffffu);
	UT_EQ(sys_cap_revoke(CPTR_SELF, y), 0);
	UT_EQ(sys_cap_inspect(z, NULL), E_NOCAP);
	UT_EQ(sys_map_info(SLOT_VSPACE, ROOT_PART_VA, NULL, NULL, NULL), E_NOENT);
	UT_EQ(sys_map_info(w->p.vspace, ROOT_GIB_VA + 0x200000u, NULL, NULL, NULL), 0);
	UT_EQ(wread(w, ROOT_GIB_VA + 0x200000u, &v), 0);
	UT_EQ(wread(w, ROOT_GIB_VA + 0x3ffffffcu, &v), 0);
	/* Unmapping y takes the whole block. */
	UT_EQ(sys_unmap(y), 0);
	UT_EQ(wread(w, ROOT_GIB_VA + 0x200000u, &v), 1);
	UT_EQ(sys_cap_delete(CPTR_SELF, y), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, win), 0);
}

static void test_ram_block_same_rules(struct utest *t)
{
	struct worker *w = worker(t);
	cptr_t m = slot_alloc(), c, part;
	uint64_t pa, got;
	uint32_t v;

	if (!w)
		return;
	/* 2 MiB of RAM, 2 MiB aligned (a buddy block): one level-2 block. */
	UT_EQ(sys_mem_alloc(SLOT_ACCOUNT, POOL_ID_DIRECT, 9, CPTR_SELF, m), 0);
	c = mint(m, 0, 0);
	part = mint(m, 256, 1);
	UT_ASSERT(c && part);
	UT_EQ(sys_map(w->p.vspace, c, ROOT_GIB_VA + 0x200000u, R_READ | R_WRITE, ATTR_DEFAULT), 0);
	UT_EQ(sys_map_info(w->p.vspace, ROOT_GIB_VA + 0x3ff000u, &got, NULL, NULL), 0);
	UT_EQ(sys_cap_inspect(m, NULL), 0);
	/* A page of it mapped in the root task is the same memory. */
	UT_EQ(sys_map(SLOT_VSPACE, part, ROOT_RAM_VA, R_READ | R_WRITE, ATTR_DEFAULT), 0);
	UT_EQ(sys_map_info(SLOT_VSPACE, ROOT_RAM_VA, &pa, NULL, NULL), 0);
	UT_EQ(got, pa + 0xff000u);
	*(volatile uint32_t *)(ROOT_RAM_VA + 8) = 0x5eed;
	UT_EQ(wread(w, ROOT_GIB_VA + 0x300008u, &v), 0);
	UT_EQ(v, 0x5eed);
	/* A part over the block: refused; the part's own mapping deleted:
	 * the block stays whole. */
	UT_EQ(sys_map(w->p.vspace, mint(m, 256, 1), ROOT_GIB_VA + 0x300000u, R_READ,
		      ATTR_DEFAULT), E_EXIST);
	UT_EQ(sys_cap_delete(CPTR_SELF, part), 0);
	UT_EQ(wread(w, ROOT_GIB_VA + 0x300008u, &v), 0);
	UT_EQ(v, 0x5eed);
	UT_EQ(wread(w, ROOT_GIB_VA + 0x3ffffcu, &v), 0);
	/* Deleting the mapping capability removes the block. */
	UT_EQ(sys_cap_delete(CPTR_SELF, c), 0);
	UT_EQ(wread(w, ROOT_GIB_VA + 0x300008u, &v), 1);
	UT_EQ(wread(w, ROOT_GIB_VA + 0x200000u, &v), 1);
	UT_EQ(sys_cap_revoke(CPTR_SELF, m), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, m), 0);
}

static const struct utest_case cases[] = {
	UT_CASE(test_gib_block_mapped_as_one_block),
	UT_CASE(test_gib_block_removed_by_revoke),
	UT_CASE(test_gib_of_2m_blocks),
	UT_CASE(test_part_of_a_block_is_never_split),
	UT_CASE(test_ram_block_same_rules),
};

static const struct utest_suite suite_blocks = {
	.name = "blocks",
	.cases = cases,
	.ncases = sizeof(cases) / sizeof(cases[0]),
	.beside_servers = true,
};
UTEST_REGISTER(suite_blocks, 15);
