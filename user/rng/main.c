/*
 * rng: the virtio entropy device on PCI (virtio-rng-pci), a user-level
 * driver over the PCI bus server. Its node in the system description
 * names the function it drives (`pci-device`); it asks the bus server for
 * it (PCI_CLAIM), for each of its BARs as a capability of exactly that BAR
 * (PCI_BAR: the reply carries it), for configuration-space words of its own
 * function (PCI_CFG_READ: the virtio capabilities say where the device's
 * registers are), and for its interrupt (PCI_IRQ with a notification;
 * PCI_IRQ_ACK after each). It drives the device through the modern
 * (virtio 1.x) interface with one request queue in a page of its own
 * memory, and serves the "rng" protocol: RNG_READ answers up to 16
 * bytes the device wrote, each read one request completed by the
 * device's interrupt.
 *
 * The device may come and go at run time (a hot-plug slot). Before
 * claiming, the driver gives the bus server a notification (PCI_WATCH):
 * the bus server signals it when a device it may claim is added and when
 * the one it claimed is removed. By then the bus server has revoked the
 * BAR capabilities (the mappings are gone) and ended the claim; the
 * driver, at its next request or while waiting for the device, sees the
 * signal, finds its claim ended (E_STATE), lets go of its queue page and
 * claims again when told of a new device. The driver is restarted by the
 * root task after a fault: it then starts from nothing (its CSpace and
 * globals are left as they were, so it clears them first).
 */
#include <cairn/cairn.h>
#include <cairn/server.h>
#include <stdio.h>
#include <string.h>

#define PCI SRV_USES(0)
#define BAR_SLOT(i) (SRV_FIRST_FREE + (i))
#define MEM_SLOT (SRV_FIRST_FREE + 6)
#define NTFN_SEND (SRV_FIRST_FREE + 8)  /* the interrupt's (badge IRQ_BIT), given away */
#define WATCH_SEND (SRV_FIRST_FREE + 9) /* PCI_WATCH's (badge WATCH_BIT), given away */
/* Both are copies of SRV_NTFN, the notification bound to our thread: a
 * signal ends a wait for requests too. (No device ranges: bits 0..7, the
 * device interrupts', are unused.) */
#define IRQ_BIT (1u << 16)
#define WATCH_BIT (1u << 17)
#define BAR_VA(i) (0x20000000u + (i) * 0x01000000u)
#define DMA_VA 0x30000000u
#define QSIZE 4

/* virtio PCI capability types and common-configuration registers. */
enum { VCAP_COMMON = 1, VCAP_NOTIFY = 2, VCAP_ISR = 3 };
#define C_DFSELECT 0x00
#define C_DF 0x04
#define C_GFSELECT 0x08
#define C_GF 0x0c
#define C_STATUS 0x14
#define C_QSELECT 0x16
#define C_QSIZE 0x18
#define C_QENABLE 0x1c
#define C_QNOTIFYOFF 0x1e
#define C_QDESC 0x20
#define C_QDRIVER 0x28
#define C_QDEVICE 0x30
#define S_ACK 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static volatile uint8_t *common, *isr, *notify;
static struct desc *descs;
static volatile uint16_t *avail;        /* flags, idx, ring[QSIZE] */
static volatile uint16_t *used;         /* flags, idx, then {u32 id, u32 len}[QSIZE] */
static uint64_t dma_pa;
static uint16_t last_used;
static uint8_t *buf;
static char bdf[16];
static int attached = E_NOENT;          /* 0: driving a device; else why not */
static uintptr_t probe_va;              /* the registers' address, for RNG_PROBE */

static int pci_call(struct msg *m, unsigned op, uint32_t a0, unsigned ncaps)
{
	int e;

	m->info = MSG_INFO(op, 1, ncaps);
	m->mr[0] = a0;
	e = sys_call(PCI, m);
	if (!e && MSG_LABEL(m->info))
		e = (int)m->mr[0];
	return e;
}

static uint32_t cfg_read(unsigned off)
{
	struct msg m;

	return pci_call(&m, PCI_CFG_READ, off, 0) ? 0xffffffffu : m.mr[0];
}

static void w8(volatile uint8_t *p, uint8_t v) { *p = v; }
static void w16(volatile uint8_t *p, uint16_t v) { *(volatile uint16_t *)p = v; }
static void w32(volatile uint8_t *p, uint32_t v) { *(volatile uint32_t *)p = v; }
static uint8_t r8(volatile uint8_t *p) { return *p; }
static uint16_t r16(volatile uint8_t *p) { return *(volatile uint16_t *)p; }
static uint32_t r32(volatile uint8_t *p) { return *(volatile uint32_t *)p; }

/* Claim the function, take and map its BARs, find the virtio registers. */
static int attach(void)
{
	uintptr_t bar_va[6] = { 0 };
	uint32_t mask, notify_mul = 0, qnotify;
	struct msg m;
	struct cap_info ci;
	int e;

	e = pci_call(&m, PCI_CLAIM, 0, 0);
	if (e)
		return e;
	mask = m.mr[2];
	snprintf(bdf, sizeof(bdf), "%02x:%02x.%u", (unsigned)(m.mr[0] >> 8),
		 (unsigned)(m.mr[0] >> 3) & 0x1f, (unsigned)m.mr[0] & 7);
	for (unsigned i = 0; i < 6; i++) {
		if (!(mask & (1u << i)))
			continue;
		cairn_ipcbuf->recv_cspace = CPTR_SELF;
		cairn_ipcbuf->recv_slot = BAR_SLOT(i);
		e = pci_call(&m, PCI_BAR, i, 0);
		cairn_ipcbuf->recv_slot = 0;
		if (e)
			return e;
		if (MSG_CAPS(m.info) != 1 || m.mr[2])   /* I/O BARs: not used */
			continue;
		if (sys_cap_inspect(BAR_SLOT(i), &ci) || ci.type != CAP_DEVICE)
			return E_TYPE;
		e = sys_map(SRV_VSPACE, BAR_SLOT(i), BAR_VA(i), R_READ | R_WRITE, ATTR_DEFAULT);
		if (e)
			return e;
		bar_va[i] = BAR_VA(i);
	}
	/* The virtio capabilities in the capability list. */
	for (unsigned off = cfg_read(0x34) & 0xfc, n = 0; off && n < 48; n++) {
		uint32_t w0 = cfg_read(off), w1 = cfg_read(off + 4), w2 = cfg_read(off + 8);
		unsigned bar = w1 & 0xff, type = w0 >> 24;

		if ((w0 & 0xff) == 0x09 && bar < 6 && bar_va[bar]) {
			volatile uint8_t *p = (volatile uint8_t *)(bar_va[bar] + w2);

			if (type == VCAP_COMMON)
				common = p;
			else if (type == VCAP_ISR)
				isr = p;
			else if (type == VCAP_NOTIFY) {
				notify = p;
				notify_mul = cfg_read(off + 16);
			}
		}
		off = (w0 >> 8) & 0xfc;
	}
	if (!common || !isr || !notify)
		return E_NOENT;
	probe_va = (uintptr_t)common;

	/* Reset, acknowledge, features (VERSION_1 only). */
	w8(common + C_STATUS, 0);
	while (r8(common + C_STATUS))
		;
	w8(common + C_STATUS, S_ACK | S_DRIVER);
	w32(common + C_DFSELECT, 1);
	if (!(r32(common + C_DF) & 1))
		return E_FORMAT;                        /* not a modern device */
	w32(common + C_GFSELECT, 0);
	w32(common + C_GF, 0);
	w32(common + C_GFSELECT, 1);
	w32(common + C_GF, 1);
	w8(common + C_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	if (!(r8(common + C_STATUS) & S_FEATURES_OK))
		return E_FORMAT;

	/* Queue 0 in a page of our own: descriptors, driver and device areas,
	 * the buffer the device writes. */
	e = sys_mem_alloc(SRV_ACCOUNT, POOL_ID_DIRECT, 0, CPTR_SELF, MEM_SLOT);
	if (!e)
		e = sys_map(SRV_VSPACE, MEM_SLOT, DMA_VA, R_READ | R_WRITE, ATTR_DEFAULT);
	if (!e)
		e = sys_cap_inspect(MEM_SLOT, &ci);
	if (e)
		return e;
	dma_pa = ci.base;
	descs = (struct desc *)DMA_VA;
	avail = (volatile uint16_t *)(DMA_VA + 0x100);
	used = (volatile uint16_t *)(DMA_VA + 0x200);
	buf = (uint8_t *)(DMA_VA + 0x800);
	w16(common + C_QSELECT, 0);
	if (r16(common + C_QSIZE) < QSIZE)
		return E_RANGE;
	w16(common + C_QSIZE, QSIZE);
	w32(common + C_QDESC, (uint32_t)dma_pa);
	w32(common + C_QDESC + 4, (uint32_t)(dma_pa >> 32));
	w32(common + C_QDRIVER, (uint32_t)(dma_pa + 0x100));
	w32(common + C_QDRIVER + 4, (uint32_t)((dma_pa + 0x100) >> 32));
	w32(common + C_QDEVICE, (uint32_t)(dma_pa + 0x200));
	w32(common + C_QDEVICE + 4, (uint32_t)((dma_pa + 0x200) >> 32));
	qnotify = r16(common + C_QNOTIFYOFF);
	notify += qnotify * notify_mul;
	w16(common + C_QENABLE, 1);

	/* The interrupt: our notification, signalled by the bus server. */
	sys_cap_delete(CPTR_SELF, NTFN_SEND);
	e = sys_cap_mint(SRV_NTFN, CPTR_SELF, NTFN_SEND, R_WRITE, IRQ_BIT, 0);
	if (e)
		return e;
	cairn_ipcbuf->caps[0] = NTFN_SEND;
	e = pci_call(&m, PCI_IRQ, 0, 1);
	if (e)
		return e;
	w8(common + C_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	return 0;
}

/* Let go of what the device had of ours: the queue page, the interrupt's
 * send capability, the register pointers. The BAR capabilities are not
 * ours to let go: the bus server revoked them when the device went, and
 * with them our mappings. Returns how many BAR slots still hold one (0
 * once the bus server has done its part). */
static unsigned detach(void)
{
	unsigned held = 0;

	sys_unmap(MEM_SLOT);
	sys_cap_delete(CPTR_SELF, MEM_SLOT);
	sys_cap_delete(CPTR_SELF, NTFN_SEND);
	for (unsigned i = 0; i < 6; i++) {
		struct cap_info ci;

		held += sys_cap_inspect(BAR_SLOT(i), &ci) == 0;
	}
	common = isr = notify = NULL;
	last_used = 0;
	attached = E_NOENT;
	return held;
}

/* Our copies of the BAR capabilities, given back (after a failed attach,
 * or at start after a restart: the device may still be there). */
static void release_bars(void)
{
	for (unsigned i = 0; i < 6; i++) {
		sys_unmap(BAR_SLOT(i));
		sys_cap_delete(CPTR_SELF, BAR_SLOT(i));
	}
}

/* The device is gone (our claim ended): say so, and let go. */
static void gone(void)
{
	unsigned held = detach();

	if (held)
		uprintf("rng: virtio-rng-pci at %s is gone: detached, but %u BAR capabilit%s "
			"still here: not revoked\n", bdf, held, held == 1 ? "y is" : "ies are");
	else
		uprintf("rng: virtio-rng-pci at %s is gone: detached (its BAR capabilities "
			"were revoked)\n", bdf);
}

static int request(unsigned want, uint32_t *got);

/* Claim a device, and read from it once to show it works. */
static void attach_and_say(void)
{
	uint32_t got = 0;
	char hex[3 * 16 + 1];
	size_t n = 0;
	int err;

	err = attach();
	if (err) {
		uprintf("rng: no virtio-rng-pci to drive (%d)\n", err);
		detach();
		release_bars();
		attached = err;
		return;
	}
	attached = 0;
	err = request(16, &got);
	hex[0] = '\0';
	for (unsigned i = 0; !err && i < got && i < 16; i++)
		n += (size_t)snprintf(hex + n, sizeof(hex) - n, " %02x", buf[i]);
	if (err)
		uprintf("rng: virtio-rng-pci at %s: the first request failed (%d)\n", bdf, err);
	else
		uprintf("rng: virtio-rng-pci at %s: %u bytes from the device:%s\n", bdf,
			(unsigned)got, hex);
}

/* The bus server said something changed (WATCH_BIT): a device we drive
 * that is gone (our claim ended: E_STATE) is let go; with none, a device
 * that came is claimed. */
static void watch_event(void)
{
	struct msg m;

	if (!attached && pci_call(&m, PCI_CFG_READ, 0, 0) == E_STATE)
		gone();
	if (attached)
		attach_and_say();
}


/* One request: the device fills up to 16 bytes of buf; the length. */
static int request(unsigned want, uint32_t *got)
{
	uint32_t bits;
	unsigned slot = last_used % QSIZE;

	descs[slot].addr = dma_pa + 0x800;
	descs[slot].len = want;
	descs[slot].flags = 2;                          /* device writes */
	descs[slot].next = 0;
	avail[2 + slot] = (uint16_t)slot;
	__sync_synchronize();
	avail[1] = (uint16_t)(last_used + 1);
	__sync_synchronize();
	w16(notify, 0);                                 /* queue 0 */
	while (used[1] == last_used) {
		struct msg m;

		if (sys_wait(SRV_NTFN, &bits))
			return E_CANCELLED;
		if (bits & WATCH_BIT) {
			/* Removed while we wait? Then the registers are gone. */
			if (pci_call(&m, PCI_CFG_READ, 0, 0) == E_STATE) {
				gone();
				return E_CANCELLED;
			}
		}
		if (!(bits & IRQ_BIT))
			continue;
		(void)r8(isr);                          /* read to clear: INTx deasserts */
		pci_call(&m, PCI_IRQ_ACK, 0, 0);
	}
	__sync_synchronize();
	*got = ((volatile uint32_t *)(used + 2))[2 * slot + 1];
	last_used++;
	return 0;
}

/* Start from nothing: after a restart the CSpace and the globals are as
 * the last run left them. */
static int start(void)
{
	struct msg m;
	int e;

	detach();
	release_bars();
	probe_va = 0;
	sys_cap_delete(CPTR_SELF, WATCH_SEND);
	sys_poll(SRV_NTFN, NULL);                       /* a last run's bits */
	e = sys_cap_mint(SRV_NTFN, CPTR_SELF, WATCH_SEND, R_WRITE, WATCH_BIT, 0);
	if (e)
		return e;
	cairn_ipcbuf->caps[0] = WATCH_SEND;
	return pci_call(&m, PCI_WATCH, 0, 1);
}

#define CONSOLE SRV_USES(1)

int cairn_main(uint32_t arg)
{
	struct msg m;
	int err;

	(void)arg;
	err = start();
	if (err)
		uprintf("rng: the bus server cannot tell us of devices coming and going (%d)\n",
			err);
	attach_and_say();
	/* What happens from now on (a device coming or going) on the
	 * console; what was said at start is in the kernel log (the console
	 * is still the kernel's while the servers start, or a test's). */
	console_use(CONSOLE);     /* device news on the console as it happens */
	err = sys_recv(SRV_SERVICE, &m);
	for (;;) {
		if (err) {
			err = sys_recv(SRV_SERVICE, &m);
			continue;
		}
		if (MSG_LABEL(m.info) == MSG_LABEL_NOTIFY) {
			/* Told while waiting for requests. An interrupt bit
			 * now is a late one of a request that ended: the
			 * device asserts nothing we still wait for. */
			if (m.badge & WATCH_BIT)
				watch_event();
			if ((m.badge & IRQ_BIT) && !attached) {
				struct msg a;

				(void)r8(isr);
				pci_call(&a, PCI_IRQ_ACK, 0, 0);
			}
			err = sys_recv(SRV_SERVICE, &m);
			continue;
		}
		unsigned op = MSG_LABEL(m.info);

		if (op == RNG_READ && !attached) {
			uint32_t got = 0;
			unsigned want = m.mr[0] > 16 ? 16 : m.mr[0] ? m.mr[0] : 16;
			int e = request(want, &got);

			if (e) {
				m.info = MSG_INFO(1, 1, 0);
				m.mr[0] = (uint32_t)e;
			} else {
				msg_put_data(&m, 0, 0, buf, got);
			}
		} else if (op == RNG_PROBE && probe_va) {
			/* On purpose through the old mapping, told or not. */
			uprintf("rng: probing the device's status register at 0x%08x (%s)\n",
				(unsigned)(probe_va + C_STATUS), attached ? "the device is gone" :
				"the device is there");
			m.info = MSG_INFO(0, 1, 0);
			m.mr[0] = r8((volatile uint8_t *)(probe_va + C_STATUS));
		} else {
			m.info = MSG_INFO(1, 1, 0);
			m.mr[0] = (uint32_t)(op == RNG_READ || op == RNG_PROBE ? attached : E_NOSYS);
		}
		err = sys_reply_recv(SRV_SERVICE, &m);
	}
}
