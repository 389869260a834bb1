/*
 * pci: the PCI bus server's authority, from the side of its clients (the
 * root task holds the service and can badge a capability as any client).
 * A client the system description grants no function gets nothing; the
 * driver it grants (rng, pci-device 1af4:1005) gets its function's
 * configuration words and capabilities of exactly its BARs, which cannot
 * be widened; capabilities sent where none are taken do not stay; the
 * driver itself serves its protocol from the device. Needs
 * a virtio-rng-pci on the bus (boot pci_devices_ktest).
 */
#include "root.h"

#include <cairn/server.h>

static int pci_op(cptr_t c, unsigned op, uint32_t a0, struct msg *m)
{
	int e;

	m->info = MSG_INFO(op, 1, 0);
	m->mr[0] = a0;
	m->mr[1] = m->mr[2] = m->mr[3] = 0;
	e = sys_call(c, m);
	return e ? e : MSG_LABEL(m->info) ? (int)m->mr[0] : 0;
}

/* The driver the bus server granted the function to serves its protocol:
 * a read is answered with 16 bytes the device wrote. The call waits until
 * the driver has attached, made its first request and said so (its line
 * on the console, which the boot checks) and receives; so the cases
 * below, which claim the function as that driver, come after it. */
static void test_rng_driver_serves(struct utest *t)
{
	struct msg m = { MSG_INFO(RNG_READ, 1, 0), { 16, 0, 0, 0 }, 0 };
	uint8_t bytes[16] = { 0 };
	unsigned nonzero = 0;
	cptr_t rng;

	if (!servers_up(t))
		return;
	rng = sysdesc_client("rng");
	UT_ASSERT(rng);
	UT_EQ(sys_call(rng, &m), 0);
	UT_EQ(MSG_LABEL(m.info), 0);
	UT_EQ(msg_get_data(&m, 0, bytes, sizeof(bytes)), 16);
	for (unsigned i = 0; i < 16; i++)
		nonzero += bytes[i] != 0;
	UT_ASSERT(nonzero > 0);         /* (16 zero bytes: 2^-128 from a real source) */
}

static void test_no_grant_no_device(struct utest *t)
{
	struct msg m;
	cptr_t c;

	if (!servers_up(t))
		return;
	c = sysdesc_client_as("pci", NULL, R_WRITE | R_GRANT);
	UT_ASSERT(c);
	UT_EQ(pci_op(c, PCI_CLAIM, 0, &m), E_PERM);
	UT_EQ(pci_op(c, PCI_BAR, 4, &m), E_PERM);
	UT_EQ(pci_op(c, PCI_CFG_READ, 0, &m), E_PERM);
	UT_EQ(pci_op(c, PCI_IRQ_ACK, 0, &m), E_PERM);
	UT_EQ(pci_op(c, PCI_WATCH, 0, &m), E_PERM);
	/* Only the root task's own capability (badge 0) grants. */
	m.info = MSG_INFO(PCI_GRANT, 2, 0);
	m.mr[0] = 0x4001;
	m.mr[1] = 0x1af41005u;
	UT_EQ(sys_call(c, &m), 0);
	UT_EQ(MSG_LABEL(m.info), 1);
	UT_EQ(m.mr[0], (uint32_t)E_PERM);
	UT_EQ(pci_op(c, PCI_CLAIM, 0, &m), E_PERM);
}

static void test_driver_gets_exactly_its_bars(struct utest *t)
{
	struct msg m;
	struct cap_info ci, c1_unused;
	cptr_t c, bar = slot_alloc(), wider = slot_alloc();
	uint32_t mask;

	if (!servers_up(t))
		return;
	c = sysdesc_client_as("pci", "rng", R_WRITE | R_GRANT);
	UT_ASSERT(c && wider);
	UT_EQ(pci_op(c, PCI_CLAIM, 0, &m), 0);
	UT_EQ(m.mr[1], 0x1af41005u);
	mask = m.mr[2];
	UT_ASSERT(mask & (1u << 4));                    /* the modern registers, 64-bit */
	UT_EQ(pci_op(c, PCI_CFG_READ, 0, &m), 0);
	UT_EQ(m.mr[0], 0x10051af4u);
	UT_EQ(pci_op(c, PCI_CFG_READ, 4096, &m), E_RANGE);
	UT_EQ(pci_op(c, PCI_CFG_READ, 2, &m), E_RANGE);
	UT_EQ(pci_op(c, PCI_BAR, 6, &m), E_RANGE);
	cairn_ipcbuf->recv_cspace = CPTR_SELF;
	cairn_ipcbuf->recv_slot = bar;
	UT_EQ(pci_op(c, PCI_BAR, 4, &m), 0);
	cairn_ipcbuf->recv_slot = 0;
	UT_EQ(MSG_CAPS(m.info), 1);
	UT_EQ(m.mr[0], 16384);                          /* its size */
	UT_EQ(sys_cap_inspect(bar, &ci), 0);
	UT_EQ(ci.type, CAP_DEVICE);
	UT_EQ(ci.size, 4);                              /* exactly 16 KiB of the window */
	UT_ASSERT(ci.base >= 0x8000000000ull);          /* above 4 GiB */
	UT_EQ(ci.base & 0x3fff, 0);
	/* Nothing of the window beyond it can be derived from it. */
	UT_EQ(sys_cap_mint(bar, CPTR_SELF, wider, R_READ | R_WRITE, 0, 5), E_RANGE);
	UT_EQ(sys_cap_mint(bar, CPTR_SELF, wider, R_READ | R_WRITE, 4, 1), E_RANGE);
	/* Prefetchable: R_PREFETCH, so it maps write-combining; a copy
	 * minted without it maps device memory only. */
	UT_ASSERT(ci.rights & R_PREFETCH);
	UT_EQ(sys_map(SLOT_VSPACE, bar, ROOT_GIB_VA, R_READ | R_WRITE, ATTR_WRITE_COMBINE), 0);
	{
		uint64_t pa;
		unsigned r, a;

		UT_EQ(sys_map_info(SLOT_VSPACE, ROOT_GIB_VA, &pa, &r, &a), 0);
		UT_EQ(a, ATTR_WRITE_COMBINE);
		UT_EQ(pa, ci.base);
	}
	UT_EQ(sys_unmap(bar), 0);
	UT_EQ(sys_cap_mint(bar, CPTR_SELF, wider, R_READ | R_WRITE, 0, 0), 0);
	UT_EQ(sys_map(SLOT_VSPACE, wider, ROOT_GIB_VA, R_READ | R_WRITE, ATTR_WRITE_COMBINE), E_PERM);
	UT_EQ(sys_map(SLOT_VSPACE, wider, ROOT_GIB_VA, R_READ | R_WRITE, ATTR_NORMAL_NC), E_PERM);
	UT_EQ(sys_map(SLOT_VSPACE, wider, ROOT_GIB_VA, R_READ | R_WRITE, ATTR_DEVICE), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, wider), 0);
	/* Never executable, whatever R_PREFETCH is spelled as. */
	UT_EQ(sys_map(SLOT_VSPACE, bar, ROOT_GIB_VA, R_READ | R_EXEC, ATTR_DEVICE), E_PERM);
	/* The BAR holding the MSI-X table (BAR1) is not prefetchable. */
	{
		cptr_t b1 = slot_alloc();
		struct cap_info c1;

		cairn_ipcbuf->recv_cspace = CPTR_SELF;
		cairn_ipcbuf->recv_slot = b1;
		UT_EQ(pci_op(c, PCI_BAR, 1, &m), 0);
		cairn_ipcbuf->recv_slot = 0;
		UT_EQ(sys_cap_inspect(b1, &c1), 0);
		UT_EQ(c1.rights & R_PREFETCH, 0);
		UT_EQ(sys_map(SLOT_VSPACE, b1, ROOT_GIB_VA, R_READ | R_WRITE, ATTR_WRITE_COMBINE),
		      E_PERM);
		UT_EQ(sys_cap_delete(CPTR_SELF, b1), 0);
	}
	/* A fixed device's registers: never anything but device memory. */
	{
		const struct bootinfo_dev *u = root_device("pl011");
		cptr_t uc = slot_alloc();

		UT_ASSERT(u && uc);
		UT_EQ(sys_cap_mint(u->slot, CPTR_SELF, uc, R_READ | R_WRITE | R_PREFETCH, 0, 0), 0);
		UT_EQ(sys_cap_inspect(uc, &c1_unused), 0);
		UT_EQ(c1_unused.rights & R_PREFETCH, 0);
		UT_EQ(sys_map(SLOT_VSPACE, uc, ROOT_GIB_VA, R_READ, ATTR_NORMAL_NC), E_PERM);
		UT_EQ(sys_cap_delete(CPTR_SELF, uc), 0);
	}
	/* Through a capability without R_GRANT, the reply carries nothing. */
	UT_EQ(sys_cap_delete(CPTR_SELF, bar), 0);
	{
		cptr_t nogrant = sysdesc_client_as("pci", "rng", R_WRITE);

		UT_ASSERT(nogrant);
		cairn_ipcbuf->recv_slot = bar;
		UT_EQ(pci_op(nogrant, PCI_BAR, 4, &m), 0);
		cairn_ipcbuf->recv_slot = 0;
		UT_EQ(MSG_CAPS(m.info), 0);
		UT_EQ(sys_cap_inspect(bar, &ci), E_NOCAP);
	}
}

/* Capabilities sent to the bus server by clients it takes none from go at
 * once: a driver's own PCI_IRQ still finds the receive slot free. */
static void test_stray_capabilities_do_not_stick(struct utest *t)
{
	cptr_t nobody, drv, n = slot_alloc();
	struct msg m;

	if (!servers_up(t))
		return;
	nobody = sysdesc_client_as("pci", NULL, R_WRITE | R_GRANT);
	drv = sysdesc_client_as("pci", "rng", R_WRITE | R_GRANT);
	UT_ASSERT(nobody && drv && n);
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_NOTIFICATION, CPTR_SELF, n, 0), 0);
	cairn_ipcbuf->caps[0] = n;
	for (unsigned op = PCI_LIST; op <= PCI_WATCH; op++) {
		m.info = MSG_INFO(op, 1, 1);
		m.mr[0] = 0;
		UT_EQ(sys_call(nobody, &m), 0);
	}
	/* Also from the driver, with requests that take no capability. */
	m.info = MSG_INFO(PCI_CFG_READ, 1, 1);
	m.mr[0] = 0;
	UT_EQ(sys_call(drv, &m), 0);
	UT_EQ(pci_op(drv, PCI_CLAIM, 0, &m), 0);
	/* PCI_WATCH takes one: without, E_INVAL (the driver's stays). */
	UT_EQ(pci_op(drv, PCI_WATCH, 0, &m), E_INVAL);
	cairn_ipcbuf->caps[0] = n;
	m.info = MSG_INFO(PCI_IRQ, 1, 1);
	m.mr[0] = 0;
	UT_EQ(sys_call(drv, &m), 0);
	UT_EQ(MSG_LABEL(m.info), 0);                    /* taken: the slot was free */
	UT_EQ(sys_cap_delete(CPTR_SELF, n), 0);
}

static const struct utest_case cases[] = {
	UT_CASE(test_rng_driver_serves),
	UT_CASE(test_no_grant_no_device),
	UT_CASE(test_driver_gets_exactly_its_bars),
	UT_CASE(test_stray_capabilities_do_not_stick),
};

static const struct utest_suite suite_pci = {
	.name = "pci",
	.cases = cases,
	.ncases = sizeof(cases) / sizeof(cases[0]),
	.by_name_only = true,
};
UTEST_REGISTER(suite_pci, 55);
