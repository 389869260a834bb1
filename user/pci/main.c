/*
 * pci: the PCI bus server. It holds a PCI host bridge -- its ECAM
 * configuration space (SRV_DEVICE(0)), its bus windows (the device slots
 * after it) and its legacy interrupt lines (the IRQ slots after those) --
 * and nothing else. At start it enumerates the buses behind the bridge,
 * sizes every BAR, assigns each from a window (64-bit memory BARs from
 * the window above 4 GiB when there is one, 32-bit ones below, I/O BARs
 * from the I/O window), enables the devices, and prints what it found.
 * It serves the "pci" protocol (PCI_LIST: a row per device and per BAR),
 * which the shell's `devices` shows.
 *
 * The windows are told apart by what the kernel's device ranges say of
 * them: one of at most 64 KiB is the I/O window (the PCI I/O space is 16
 * bits wide on every host bridge this runs on); one above 4 GiB is the
 * 64-bit memory window; the rest is the 32-bit memory window.
 *
 * Bridges behind the host bridge (PCIe root ports) get their bus numbers
 * and windows carved from the ones they sit in, and the buses behind them
 * are enumerated into those. Drivers claim the functions the root task
 * granted them (PCI_GRANT, from the system description's `pci-device`):
 * each BAR as a capability of exactly that BAR, their configuration
 * words, their INTx line forwarded to a notification of theirs.
 *
 * Root ports with a hot-plug slot (PCIe Slot Capabilities: Hot-Plug
 * Capable) get their hot-plug interrupt enabled (presence detect changed,
 * attention button) on the port's own INTx line. A device added to an
 * empty slot (presence detect changed, present) has the slot powered on,
 * is enumerated into the windows the port was given at start, and the
 * drivers that may claim it are told (PCI_WATCH). An attention button
 * press (QEMU's device_del) or a surprise removal takes the slot's
 * functions away: every BAR capability minted for them is revoked (which
 * removes the drivers' copies and every mapping made through them), their
 * interrupt is no longer forwarded, their drivers' claims end and the
 * drivers are told; then the slot is powered off, which is when QEMU lets
 * the device go. A device that cannot be given what it needs (a BAR
 * larger than what is left of the port's window, a bridge) is refused
 * and its slot powered off. A function's interrupt is forwarded only
 * while it asserts INTx (its Status register says so), so the port's
 * hot-plug events on a line it shares with a driver's device never wait
 * for that driver.
 */
#include <cairn/cairn.h>
#include <cairn/server.h>
#include <stdio.h>
#include <string.h>

#define ECAM_VA 0x40000000u
#define ECAM_BUSES 16               /* mapped: 16 buses of 1 MiB of configuration space */
#define MAX_FNS 32
#define MAX_SLOTS 8
#define NBARS 6
#define CSPACE_LIMIT 64                 /* the slots of our CSpace the allocator hands out */
#define WIN_SLOT(i) SRV_DEVICE(1 + (i))
#define ECAM_SLOT SRV_FIRST_FREE    /* the first 16 buses of the ECAM, minted */

enum win_kind { WIN_IO, WIN_MEM32, WIN_MEM64, WIN_KINDS };

struct window {
	bool present;
	uint64_t base, size, next;      /* next: the lowest free address */
};

struct bar {
	uint64_t base, size;            /* size 0: not implemented */
	uint8_t kind;                   /* enum win_kind */
	bool prefetchable, assigned;
};

struct fn {
	uint8_t bus, dev, func, header;
	uint16_t vendor, device;
	uint32_t class_rev;
	uint8_t pin;                    /* 1..4 = INTA..INTD, 0 none */
	uint8_t line;                   /* the bridge's INTx line it reaches (interrupt-map order) */
	struct bar bar[NBARS];
	int owner;                      /* index in grants[] of its driver, -1: none */
	int slot;                       /* index in slots[] of the hot-plug slot it sits in, -1 */
	bool present;                   /* false: the entry is free (removed, or never used) */
	bool hot_added;                 /* found in a slot at run time, not at start */
};

/* What the root task said each client may claim (PCI_GRANT, from the
 * system description's `pci-device`), and what it holds. */
#define MAX_GRANTS 8
struct grant {
	uint32_t badge;                 /* the client's */
	uint32_t id[4];                 /* vendor << 16 | device it may claim, any of them */
	unsigned nids;
	int fn;                         /* index in fns[] once claimed, -1 before */
	cptr_t ntfn;                    /* its interrupt notification (0: none) */
	cptr_t watch;                   /* its PCI_WATCH notification (0: none) */
	cptr_t bar_cap[NBARS];          /* the capability minted for each BAR (0: none) */
	char name[24];                  /* the client's server name, for the listing */
};
static struct grant grants[MAX_GRANTS];
static unsigned ngrants;

static struct window win[WIN_KINDS];   /* where BARs come from now (a bridge's, behind one) */
static bool behind_bridge;
static uint64_t io_bus_base;            /* the CPU address of I/O bus address 0 */
static cptr_t win_slot[WIN_KINDS];     /* each window's capability */
static unsigned nranges = 1;            /* ECAM + windows: the IRQ slots come after */
#define RECV_SLOT (ECAM_SLOT + 1)       /* where a driver's notification arrives */
static struct fn fns[MAX_FNS];
static unsigned nfns, next_bus = 1, dropped;

/* A root port's hot-plug slot: where its registers are, the bus behind
 * it, the windows it was given at start (what a device added later gets
 * its BARs from) and the bridges above it (for the interrupt swizzle). */
struct hpslot {
	uint8_t bus, dev, func;         /* the port */
	uint8_t exp;                    /* offset of its PCIe capability */
	uint8_t sec;                    /* the bus behind it */
	unsigned number;                /* Physical Slot Number (Slot Capabilities) */
	int port;                       /* the port's index in fns[] */
	struct window win[WIN_KINDS];   /* as given at start (next = base) */
	uint8_t up[4];                  /* device numbers of the bridges up to bus 0 */
	unsigned nup;
	bool configured;                /* its functions are enumerated and in fns[] */
};
static struct hpslot slots[MAX_SLOTS];
static unsigned nslots;
static int scanning_slot = -1;          /* the slot scan_fn records functions in */

/* Drivers signalled for a line and not yet acknowledged (bit = grant):
 * the line is unmasked when none is left. */
static uint32_t line_pending[4];

/* Free slots of our CSpace for what we mint and keep (BAR capabilities,
 * drivers' notifications): taken and given back, so that devices coming
 * and going use the same few. */
static uint64_t cslot_used;

static cptr_t cslot_get(void)
{
	for (cptr_t c = RECV_SLOT + 1; c < CSPACE_LIMIT; c++)
		if (!(cslot_used & (1ull << c))) {
			cslot_used |= 1ull << c;
			return c;
		}
	return 0;
}

static void cslot_put(cptr_t c)
{
	if (c > RECV_SLOT && c < CSPACE_LIMIT)
		cslot_used &= ~(1ull << c);
}

static volatile uint8_t *cfg(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	return (volatile uint8_t *)(uintptr_t)(ECAM_VA + (bus << 20 | dev << 15 | fn << 12 | off));
}

static uint32_t rd32(unsigned b, unsigned d, unsigned f, unsigned off)
{
	return *(volatile uint32_t *)cfg(b, d, f, off);
}

static void wr32(unsigned b, unsigned d, unsigned f, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)cfg(b, d, f, off) = v;
}

static uint16_t rd16(unsigned b, unsigned d, unsigned f, unsigned off)
{
	return *(volatile uint16_t *)cfg(b, d, f, off);
}

static void wr16(unsigned b, unsigned d, unsigned f, unsigned off, uint16_t v)
{
	*(volatile uint16_t *)cfg(b, d, f, off) = v;
}

static uint8_t rd8(unsigned b, unsigned d, unsigned f, unsigned off)
{
	return *cfg(b, d, f, off);
}

static void wr8(unsigned b, unsigned d, unsigned f, unsigned off, uint8_t v)
{
	*cfg(b, d, f, off) = v;
}

#define PCI_CMD_INTX_OFF 0x400          /* Command: Interrupt Disable */
#define PCI_STS_INTX 0x08               /* Status: Interrupt Status (INTx asserted) */
#define PCI_STS_CAPS 0x10               /* Status: capability list present */

/* PCI Express capability registers (offsets from the capability) and the
 * bits of the slot registers this server uses. */
#define EXP_FLAGS 0x02
#define EXP_FLAGS_SLOT 0x0100           /* slot implemented */
#define EXP_SLTCAP 0x14
#define SLTCAP_HPC 0x40                 /* hot-plug capable */
#define SLTCAP_PSN_SHIFT 19
#define EXP_SLTCTL 0x18
#define SLTCTL_ABPE 0x0001              /* attention button pressed: interrupt */
#define SLTCTL_PDCE 0x0008              /* presence detect changed: interrupt */
#define SLTCTL_HPIE 0x0020              /* hot-plug interrupt enable */
#define SLTCTL_AIC 0x00c0               /* attention indicator: 01 on, 11 off */
#define SLTCTL_AIC_OFF 0x00c0
#define SLTCTL_PIC 0x0300               /* power indicator: 01 on, 10 blink, 11 off */
#define SLTCTL_PIC_ON 0x0100
#define SLTCTL_PIC_OFF 0x0300
#define SLTCTL_PCC 0x0400               /* power controller: 1 = off */
#define EXP_SLTSTA 0x1a
#define SLTSTA_ABP 0x0001               /* attention button pressed */
#define SLTSTA_PDC 0x0008               /* presence detect changed */
#define SLTSTA_EVENTS 0x001f            /* ABP, power fault, MRL, PDC, command completed */
#define SLTSTA_PDS 0x0040               /* presence detect state: a card is there */

/* Take size bytes, size aligned, from window k: 0 when it has no room. */
static uint64_t win_take(unsigned k, uint64_t size)
{
	struct window *w = &win[k];
	uint64_t at;

	if (!w->present || !size)
		return 0;
	at = (w->next + size - 1) & ~(size - 1);
	if (at < w->next || at + size < at || at + size > w->base + w->size)
		return 0;
	w->next = at + size;
	return at;
}

/* Size, assign and enable the BARs of an endpoint (header type 0). */
static void setup_bars(struct fn *f)
{
	unsigned b = f->bus, d = f->dev, fu = f->func;
	uint16_t cmd = rd16(b, d, fu, 0x04), enable = 0;

	wr16(b, d, fu, 0x04, cmd & ~0x7u);      /* decoding off while sizing */
	for (unsigned i = 0; i < NBARS; i++) {
		unsigned off = 0x10 + 4 * i;
		uint32_t orig = rd32(b, d, fu, off), lo, hi = 0xffffffffu;
		struct bar *bar = &f->bar[i];
		bool is64 = false;
		uint64_t mask, at;

		wr32(b, d, fu, off, 0xffffffffu);
		lo = rd32(b, d, fu, off);
		wr32(b, d, fu, off, orig);
		if (lo == 0)
			continue;                       /* not implemented */
		if (orig & 1) {                         /* I/O */
			bar->kind = WIN_IO;
			mask = (uint64_t)(lo & ~3u) | 0xffffffff00000000ull;
			mask |= 0xffff0000u;            /* 16-bit I/O space */
		} else {
			is64 = ((orig >> 1) & 3) == 2;
			bar->prefetchable = orig & 8;
			if (is64 && i + 1 < NBARS) {
				uint32_t orig_hi = rd32(b, d, fu, off + 4);

				wr32(b, d, fu, off + 4, 0xffffffffu);
				hi = rd32(b, d, fu, off + 4);
				wr32(b, d, fu, off + 4, orig_hi);
			}
			mask = (uint64_t)hi << 32 | (lo & ~0xfu);
			/* Behind a bridge the window above 4 GiB is its prefetchable
			 * one: only prefetchable BARs go there. */
			bar->kind = is64 && win[WIN_MEM64].present &&
					    (bar->prefetchable || !behind_bridge) ? WIN_MEM64 : WIN_MEM32;
		}
		bar->size = ~mask + 1;
		/* Whole pages, page aligned at least: a driver's capability for
		 * its BAR then covers nothing of another device. */
		at = win_take(bar->kind, bar->size < 4096 ? 4096 : bar->size);
		if (!at && bar->kind == WIN_MEM64)      /* no room above: below, if it fits */
			at = win_take(bar->kind = WIN_MEM32, bar->size < 4096 ? 4096 : bar->size);
		if (at) {
			bar->base = at;
			bar->assigned = true;
			if (bar->kind == WIN_IO) {
				/* I/O BARs hold the bus address, the window's offset. */
				wr32(b, d, fu, off, (uint32_t)(at - io_bus_base));
				enable |= 1;
			} else {
				wr32(b, d, fu, off, (uint32_t)at | (orig & 0xf));
				if (is64)
					wr32(b, d, fu, off + 4, (uint32_t)(at >> 32));
				enable |= 2;
			}
		}
		if (is64)
			i++;                            /* the upper half is the next BAR */
	}
	/* Decoding of what was assigned, bus mastering (DMA) for its driver;
	 * INTx off until a driver asks for it (PCI_IRQ): a function nobody
	 * drives cannot hold a shared line. */
	wr16(b, d, fu, 0x04,
	     (uint16_t)((cmd & ~0x7u) | enable | (enable ? 4 : 0) | PCI_CMD_INTX_OFF));
}

/* A bridge on the way to a bus: its device number on the bus above. */
struct upstream {
	unsigned dev;
	const struct upstream *up;
};

static void scan_bus(unsigned bus, const struct upstream *up);

/* Windows a bridge forwards, carved from the ones it sits in: enough for
 * what is behind it now and a device added later (4 KiB of I/O, 8 MiB
 * below 4 GiB, 64 MiB prefetchable above). */
#define BR_IO 0x1000u
#define BR_MEM32 0x800000u
#define BR_MEM64 0x4000000u

/* The offset of capability id in a function's list, 0: none. */
static unsigned find_cap(unsigned b, unsigned d, unsigned f, unsigned id)
{
	if (!(rd16(b, d, f, 0x06) & PCI_STS_CAPS))
		return 0;
	for (unsigned off = rd8(b, d, f, 0x34) & 0xfc, n = 0; off >= 0x40 && n < 48; n++) {
		if (rd8(b, d, f, off) == id)
			return off;
		off = rd8(b, d, f, off + 1) & 0xfc;
	}
	return 0;
}

/* A bridge that is a port with a hot-plug slot: remember it (with the
 * windows it was just given, in win[]). Its slot is set up once the bus
 * behind it has been enumerated (slot_start). */
static void slot_probe(unsigned bus, unsigned dev, unsigned func, unsigned sec,
		       const struct upstream *up)
{
	unsigned exp = find_cap(bus, dev, func, 0x10);
	struct hpslot *s;

	if (!exp || !(rd16(bus, dev, func, exp + EXP_FLAGS) & EXP_FLAGS_SLOT) ||
	    !(rd32(bus, dev, func, exp + EXP_SLTCAP) & SLTCAP_HPC))
		return;
	if (nslots == MAX_SLOTS) {
		uprintf("pci: %02x:%02x.%u: a hot-plug slot more than the %u kept: not handled\n",
			bus, dev, func, MAX_SLOTS);
		return;
	}
	s = &slots[nslots++];
	memset(s, 0, sizeof(*s));
	s->bus = (uint8_t)bus;
	s->dev = (uint8_t)dev;
	s->func = (uint8_t)func;
	s->exp = (uint8_t)exp;
	s->sec = (uint8_t)sec;
	s->number = rd32(bus, dev, func, exp + EXP_SLTCAP) >> SLTCAP_PSN_SHIFT;
	s->port = nfns ? (int)nfns - 1 : -1;   /* scan_fn entered the port last */
	memcpy(s->win, win, sizeof(win));
	s->up[s->nup++] = (uint8_t)dev;
	for (const struct upstream *u = up; u && s->nup < 4; u = u->up)
		s->up[s->nup++] = (uint8_t)u->dev;
}

static void setup_bridge(unsigned bus, unsigned dev, unsigned func, const struct upstream *up)
{
	struct window saved[WIN_KINDS];
	bool saved_behind = behind_bridge;
	const struct upstream here = { dev, up };
	unsigned sec = next_bus++;
	uint64_t io = win_take(WIN_IO, BR_IO), m32 = win_take(WIN_MEM32, BR_MEM32);
	uint64_t m64 = win_take(WIN_MEM64, BR_MEM64);
	uint16_t cmd = 0;

	/* Bus numbers: primary, secondary, subordinate (all below, for now). */
	wr8(bus, dev, func, 0x18, (uint8_t)bus);
	wr8(bus, dev, func, 0x19, (uint8_t)sec);
	wr8(bus, dev, func, 0x1a, ECAM_BUSES - 1);
	memcpy(saved, win, sizeof(win));
	win[WIN_IO] = (struct window){ io != 0, io, BR_IO, io };
	win[WIN_MEM32] = (struct window){ m32 != 0, m32, BR_MEM32, m32 };
	win[WIN_MEM64] = (struct window){ m64 != 0, m64, BR_MEM64, m64 };
	/* The bridge forwards I/O by bus address (the window's offset). */
	if (io) {
		uint32_t b = (uint32_t)(io - io_bus_base), l = b + BR_IO - 1;

		wr8(bus, dev, func, 0x1c, (uint8_t)((b >> 8) & 0xf0));
		wr8(bus, dev, func, 0x1d, (uint8_t)((l >> 8) & 0xf0));
		wr16(bus, dev, func, 0x30, (uint16_t)(b >> 16));
		wr16(bus, dev, func, 0x32, (uint16_t)(l >> 16));
		cmd |= 1;
	}
	if (m32) {
		wr16(bus, dev, func, 0x20, (uint16_t)((m32 >> 16) & 0xfff0));
		wr16(bus, dev, func, 0x22, (uint16_t)(((m32 + BR_MEM32 - 1) >> 16) & 0xfff0));
		cmd |= 2;
	}
	if (m64) {
		uint64_t l = m64 + BR_MEM64 - 1;

		wr16(bus, dev, func, 0x24, (uint16_t)(((m64 >> 16) & 0xfff0) | 1));
		wr16(bus, dev, func, 0x26, (uint16_t)(((l >> 16) & 0xfff0) | 1));
		wr32(bus, dev, func, 0x28, (uint32_t)(m64 >> 32));
		wr32(bus, dev, func, 0x2c, (uint32_t)(l >> 32));
		cmd |= 2;
	} else {
		wr16(bus, dev, func, 0x24, 0xfff1);     /* base above limit: closed */
		wr16(bus, dev, func, 0x26, 0x0001);
	}
	behind_bridge = true;
	slot_probe(bus, dev, func, sec, up);
	scan_bus(sec, &here);
	memcpy(win, saved, sizeof(win));
	behind_bridge = saved_behind;
	wr8(bus, dev, func, 0x1a, (uint8_t)(next_bus - 1));
	/* The port's own INTx on (it signals hot-plug events on it). */
	wr16(bus, dev, func, 0x04,
	     (uint16_t)((rd16(bus, dev, func, 0x04) | cmd | 4) & ~PCI_CMD_INTX_OFF));
}

static void scan_fn(unsigned bus, unsigned dev, unsigned func, const struct upstream *up)
{
	uint32_t id = rd32(bus, dev, func, 0x00);
	struct fn *f;

	if ((id & 0xffff) == 0xffff)
		return;
	f = NULL;
	for (unsigned i = 0; i < nfns && !f; i++)
		if (!fns[i].present)
			f = &fns[i];                    /* a removed function's entry */
	if (!f && nfns == MAX_FNS) {
		dropped++;
		return;
	}
	if (!f)
		f = &fns[nfns++];
	memset(f, 0, sizeof(*f));
	f->present = true;
	f->slot = scanning_slot;
	f->hot_added = scanning_slot >= 0;
	f->bus = (uint8_t)bus;
	f->dev = (uint8_t)dev;
	f->func = (uint8_t)func;
	f->vendor = (uint16_t)id;
	f->device = (uint16_t)(id >> 16);
	f->class_rev = rd32(bus, dev, func, 0x08);
	f->header = rd8(bus, dev, func, 0x0e) & 0x7f;
	f->pin = rd8(bus, dev, func, 0x3d);
	f->owner = -1;
	if (f->pin >= 1 && f->pin <= 4) {
		/* The standard swizzle at every bridge up to the host's bus,
		 * then the host bridge's map (on virt the same swizzle). */
		unsigned p = f->pin, d = dev;

		for (const struct upstream *u = up; u; u = u->up) {
			p = (d + p - 1) % 4 + 1;
			d = u->dev;
		}
		f->line = (uint8_t)((d + p - 1) % 4);
	}
	if (f->header == 0)
		setup_bars(f);
	else if (f->header == 1 && next_bus < ECAM_BUSES && scanning_slot < 0)
		setup_bridge(bus, dev, func, up);       /* not in a hot-added slot: no bus numbers */
}

static void scan_bus(unsigned bus, const struct upstream *up)
{
	for (unsigned dev = 0; dev < 32; dev++) {
		if ((rd32(bus, dev, 0, 0x00) & 0xffff) == 0xffff)
			continue;
		scan_fn(bus, dev, 0, up);
		if (rd8(bus, dev, 0, 0x0e) & 0x80)      /* multi-function */
			for (unsigned func = 1; func < 8; func++)
				scan_fn(bus, dev, func, up);
	}
}

static const char *const kind_name[WIN_KINDS] = { "io", "mem32", "mem64" };

/* The BAR's size as the listing prints it: "16K", "256B". */
static const char *size_text(uint64_t size, char *buf, size_t len)
{
	snprintf(buf, len, "%llu%s", (unsigned long long)(size >= 1024 ? size >> 10 : size),
		 size >= 1024 ? "K" : "B");
	return buf;
}

static const struct hpslot *slot_of_port(unsigned i)
{
	for (unsigned k = 0; k < nslots; k++)
		if (slots[k].port == (int)i)
			return &slots[k];
	return NULL;
}

/* Row `row` of the PCI_LIST table: a header, then per device one line and
 * one per implemented BAR; a port with a hot-plug slot has a line for
 * the slot. -1 past the end. */
static int row_text(unsigned row, char *buf, size_t len)
{
	char sz[24];

	if (row == 0)
		return snprintf(buf, len, "%-10s %-9s %-6s %-4s %s", "PCI", "ID", "CLASS", "PIN",
				"HOLDER");
	row--;
	for (unsigned i = 0; i < nfns; i++) {
		const struct fn *f = &fns[i];
		const struct hpslot *hs = slot_of_port(i);

		if (!f->present)
			continue;
		if (row == 0)
			return snprintf(buf, len, "%02x:%02x.%u    %04x:%04x %06x %-4s %s%s",
					f->bus, f->dev, f->func, f->vendor, f->device,
					(unsigned)(f->class_rev >> 8),
					f->pin >= 1 && f->pin <= 4 ? (const char *[]){ "INTA", "INTB",
										"INTC", "INTD" }[f->pin - 1] : "-",
					f->header == 1 ? "bridge" :
					f->owner >= 0 ? grants[f->owner].name : "pci",
					f->hot_added ? " (hot-added)" : "");
		row--;
		if (hs) {
			if (row == 0) {
				bool on = !(rd16(hs->bus, hs->dev, hs->func, hs->exp + EXP_SLTCTL) &
					    SLTCTL_PCC);

				if (hs->configured)
					return snprintf(buf, len, "  slot %u hot-plug: bus %02x, %s",
							hs->number, hs->sec,
							on ? "powered on" : "powered off");
				return snprintf(buf, len, "  slot %u hot-plug: empty, %s; room for "
						"mem32 %lluK, mem64 pref %lluK, io %lluB", hs->number,
						on ? "powered on" : "powered off",
						(unsigned long long)(hs->win[WIN_MEM32].size >> 10),
						(unsigned long long)(hs->win[WIN_MEM64].size >> 10),
						(unsigned long long)hs->win[WIN_IO].size);
			}
			row--;
		}
		for (unsigned b = 0; b < NBARS; b++) {
			const struct bar *bar = &f->bar[b];

			if (!bar->size)
				continue;
			if (row == 0) {
				if (!bar->assigned)
					return snprintf(buf, len, "  BAR%u %-5s%s %s unassigned", b,
							kind_name[bar->kind],
							bar->prefetchable ? " pref" : "",
							size_text(bar->size, sz, sizeof(sz)));
				return snprintf(buf, len, "  BAR%u %-5s%s %s at 0x%010llx", b,
						kind_name[bar->kind], bar->prefetchable ? " pref" : "",
						size_text(bar->size, sz, sizeof(sz)),
						(unsigned long long)bar->base);
			}
			row--;
		}
	}
	return -1;
}

static void slot_start(void);

static int setup(void)
{
	struct cap_info ci;
	int err;

	/* The windows, by kind. */
	for (unsigned i = 0; i + 1 < SRV_MAX_DEVICES; i++) {
		unsigned k;

		if (sys_cap_inspect(WIN_SLOT(i), &ci) || ci.type != CAP_DEVICE)
			continue;
		k = (uint64_t)ci.size * 4096u <= 0x10000u ? WIN_IO :
		    ci.base >= 0x100000000ull ? WIN_MEM64 : WIN_MEM32;
		if (win[k].present)
			continue;
		win[k].present = true;
		win_slot[k] = WIN_SLOT(i);
		if (k == WIN_IO)
			io_bus_base = ci.base;
		nranges = 2 + i > nranges ? 2 + i : nranges;
		win[k].base = win[k].next = ci.base;
		win[k].size = (uint64_t)ci.size * 4096u;
	}
	/* The first buses of the configuration space. */
	err = sys_cap_inspect(SRV_DEVICE(0), &ci);
	if (err)
		return err;
	err = sys_cap_mint(SRV_DEVICE(0), CPTR_SELF, ECAM_SLOT, R_READ | R_WRITE, 0,
			   ci.size < ECAM_BUSES * 256 ? ci.size : ECAM_BUSES * 256);
	if (!err)
		err = sys_map(SRV_VSPACE, ECAM_SLOT, ECAM_VA, R_READ | R_WRITE, ATTR_DEFAULT);
	if (err)
		return err;
	scan_bus(0, NULL);
	slot_start();
	return 0;
}

/* ------------------------------------------------------------ drivers */

/* The INTx line (its index in the host bridge's interrupt-map order) a
 * function's pin reaches (scan_fn: swizzled at every bridge). */
static unsigned fn_line(const struct fn *f)
{
	return f->line;
}

static struct grant *grant_of(uint32_t badge)
{
	for (unsigned i = 0; i < ngrants; i++)
		if (grants[i].badge == badge)
			return &grants[i];
	return NULL;
}

static unsigned grant_index(const struct grant *g)
{
	return (unsigned)(g - grants);
}

static bool grant_may_claim(const struct grant *g, const struct fn *f)
{
	for (unsigned k = 0; k < g->nids; k++)
		if (((uint32_t)f->vendor << 16 | f->device) == g->id[k])
			return true;
	return false;
}

/* Line k may be unmasked: nobody we signalled still has to answer. */
static void line_done(unsigned k, uint32_t grant_bit)
{
	if (!(line_pending[k] & grant_bit))
		return;
	line_pending[k] &= ~grant_bit;
	if (!line_pending[k])
		sys_irq_ack(SRV_IRQ(nranges + k));
}

/* ------------------------------------------------------------ hot-plug */

static uint16_t slot_rd16(const struct hpslot *s, unsigned reg)
{
	return rd16(s->bus, s->dev, s->func, s->exp + reg);
}

/* One Slot Control command: the power controller and power indicator
 * set, the attention indicator off, hot-plug interrupts (presence detect
 * changed, attention button) on. QEMU completes it at once; powering off
 * a slot with a card in it is what makes QEMU let the card go. */
static void slot_power(const struct hpslot *s, bool on)
{
	uint16_t ctl = slot_rd16(s, EXP_SLTCTL);

	ctl &= (uint16_t)~(SLTCTL_PIC | SLTCTL_AIC | SLTCTL_PCC);
	ctl |= SLTCTL_AIC_OFF | SLTCTL_HPIE | SLTCTL_PDCE | SLTCTL_ABPE;
	ctl |= on ? SLTCTL_PIC_ON : SLTCTL_PIC_OFF | SLTCTL_PCC;
	wr16(s->bus, s->dev, s->func, s->exp + EXP_SLTCTL, ctl);
}

/* Take the slot's functions away: nothing of them stays with anyone.
 * Each BAR capability we minted is revoked (the driver's copies and every
 * mapping made through them go, everywhere) and deleted, the interrupt
 * is no longer forwarded (the notification we held is deleted and the
 * line no longer waits for that driver), the claim ends and the driver's
 * PCI_WATCH notification is signalled. The driver need not do anything
 * for this: a driver that never answers loses the device all the same. */
static void slot_take_away(struct hpslot *s, const char *why)
{
	for (unsigned i = 0; i < nfns; i++) {
		struct fn *f = &fns[i];
		unsigned revoked = 0;

		if (!f->present || f->slot != (int)(s - slots))
			continue;
		/* Decoding, bus mastering and INTx off first: the card is
		 * quiet while its capabilities go. */
		wr16(f->bus, f->dev, f->func, 0x04, PCI_CMD_INTX_OFF);
		if (f->owner >= 0) {
			struct grant *g = &grants[f->owner];

			for (unsigned k = 0; k < NBARS; k++) {
				if (!g->bar_cap[k])
					continue;
				sys_cap_revoke(CPTR_SELF, g->bar_cap[k]);
				sys_cap_delete(CPTR_SELF, g->bar_cap[k]);
				cslot_put(g->bar_cap[k]);
				g->bar_cap[k] = 0;
				revoked++;
			}
			if (g->ntfn) {
				sys_cap_delete(CPTR_SELF, g->ntfn);
				cslot_put(g->ntfn);
				g->ntfn = 0;
			}
			g->fn = -1;
			f->owner = -1;
			if (f->pin)
				line_done(f->line, 1u << grant_index(g));
			if (g->watch)
				sys_signal(g->watch);
			uprintf("pci: slot %u: %02x:%02x.%u %04x:%04x removed (%s): %u BAR "
				"capabilit%s revoked from %s, its interrupt no longer forwarded\n",
				s->number, f->bus, f->dev, f->func, f->vendor, f->device, why, revoked,
				revoked == 1 ? "y" : "ies", g->name);
		} else {
			uprintf("pci: slot %u: %02x:%02x.%u %04x:%04x removed (%s): no driver held it\n",
				s->number, f->bus, f->dev, f->func, f->vendor, f->device, why);
		}
		f->present = false;
	}
	s->configured = false;
}

/* A card is in the slot: power it, enumerate it into the port's windows
 * (as they were given at start: the slot holds one card), and tell the
 * drivers that may claim it. A card that cannot be given what it needs
 * is refused: its functions are forgotten and the slot powered off. */
static void slot_add(struct hpslot *s)
{
	struct upstream chain[4];
	struct window saved[WIN_KINDS];
	bool saved_behind = behind_bridge;
	const char *refused = NULL;
	char why[160];
	unsigned found = 0;

	slot_power(s, true);
	for (unsigned i = 0; i < s->nup; i++)
		chain[i] = (struct upstream){ s->up[i], i + 1 < s->nup ? &chain[i + 1] : NULL };
	memcpy(saved, win, sizeof(win));
	memcpy(win, s->win, sizeof(win));
	behind_bridge = true;
	scanning_slot = (int)(s - slots);
	scan_bus(s->sec, &chain[0]);
	scanning_slot = -1;
	memcpy(win, saved, sizeof(win));
	behind_bridge = saved_behind;
	s->configured = true;

	for (unsigned i = 0; i < nfns && !refused; i++) {
		const struct fn *f = &fns[i];

		if (!f->present || f->slot != (int)(s - slots))
			continue;
		found++;
		if (f->header != 0) {
			snprintf(why, sizeof(why), "%02x:%02x.%u is a bridge (header type %u): "
				 "no bus numbers are kept for one", f->bus, f->dev, f->func, f->header);
			refused = why;
		}
		for (unsigned b = 0; b < NBARS && !refused; b++) {
			const struct bar *bar = &f->bar[b];
			const struct window *w = &s->win[bar->kind];
			char sz[24], wsz[24];

			if (!bar->size || bar->assigned)
				continue;
			snprintf(why, sizeof(why), "%02x:%02x.%u BAR%u %s%s %s does not fit the "
				 "port's %s window (%s)", f->bus, f->dev, f->func, b,
				 kind_name[bar->kind], bar->prefetchable ? " pref" : "",
				 size_text(bar->size, sz, sizeof(sz)), kind_name[bar->kind],
				 w->present ? size_text(w->size, wsz, sizeof(wsz)) : "none");
			refused = why;
		}
	}
	if (!found) {
		uprintf("pci: slot %u: a card is present but no function answers: slot powered off\n",
			s->number);
		s->configured = false;
		slot_power(s, false);
		return;
	}
	if (refused) {
		uprintf("pci: slot %u: device refused: %s; slot powered off\n", s->number, refused);
		for (unsigned i = 0; i < nfns; i++)
			if (fns[i].present && fns[i].slot == (int)(s - slots)) {
				wr16(fns[i].bus, fns[i].dev, fns[i].func, 0x04, PCI_CMD_INTX_OFF);
				fns[i].present = false;
			}
		s->configured = false;
		slot_power(s, false);
		return;
	}
	for (unsigned i = 0; i < nfns; i++) {
		const struct fn *f = &fns[i];
		unsigned told = 0;
		char text[MSG_TEXT_MAX + 1];

		if (!f->present || f->slot != (int)(s - slots))
			continue;
		for (unsigned g = 0; g < ngrants; g++)
			if (grants[g].fn < 0 && grants[g].watch && grant_may_claim(&grants[g], f)) {
				sys_signal(grants[g].watch);
				told++;
			}
		uprintf("pci: slot %u: %02x:%02x.%u %04x:%04x added%s\n", s->number, f->bus, f->dev,
			f->func, f->vendor, f->device,
			told ? ", its driver told" : ": no driver for it, held by pci");
		for (unsigned b = 0; b < NBARS; b++) {
			const struct bar *bar = &f->bar[b];
			char sz[24];

			if (!bar->size)
				continue;
			snprintf(text, sizeof(text), "  BAR%u %-5s%s %s at 0x%010llx", b,
				 kind_name[bar->kind], bar->prefetchable ? " pref" : "",
				 size_text(bar->size, sz, sizeof(sz)), (unsigned long long)bar->base);
			uprintf("pci: %s\n", text);
		}
	}
}

/* The slot's events, until none is left: presence detect changed (a card
 * came: add it; a card went while configured: a surprise removal) and
 * the attention button (QEMU's device_del: take the functions away, then
 * power the slot off, upon which QEMU removes the card and reports
 * presence detect changed, the slot now empty). Each event is cleared
 * by writing back exactly the bits read: QEMU ignores a write that
 * clears bits that were not set. */
static bool slot_events(struct hpslot *s)
{
	bool any = false;

	for (unsigned n = 0; n < 8; n++) {
		uint16_t sta = slot_rd16(s, EXP_SLTSTA), ev = sta & SLTSTA_EVENTS;
		bool present = sta & SLTSTA_PDS;

		if (!ev)
			break;
		any = true;
		wr16(s->bus, s->dev, s->func, s->exp + EXP_SLTSTA, ev);
		if (ev & SLTSTA_PDC) {
			if (present && !s->configured) {
				slot_add(s);
			} else if (!present && s->configured) {
				uprintf("pci: slot %u: surprise removal: the card went without the "
					"attention button\n", s->number);
				slot_take_away(s, "surprise removal");
				slot_power(s, false);
			} else if (!present) {
				uprintf("pci: slot %u: empty, powered off\n", s->number);
			}
		} else if (ev & SLTSTA_ABP) {
			if (s->configured) {
				slot_take_away(s, "attention button");
				slot_power(s, false);
			} else {
				uprintf("pci: slot %u: attention button with nothing configured in "
					"the slot: ignored\n", s->number);
			}
		}
	}
	return any;
}

/* At start, after the bus behind each port has been enumerated: a slot
 * with a card stays powered, an empty one is powered off; its events go
 * to the port's INTx line. */
static void slot_start(void)
{
	for (unsigned k = 0; k < nslots; k++) {
		struct hpslot *s = &slots[k];
		uint16_t sta;

		for (unsigned i = 0; i < nfns; i++)
			if (fns[i].present && fns[i].bus == s->sec) {
				fns[i].slot = (int)k;
				s->configured = true;
			}
		sta = slot_rd16(s, EXP_SLTSTA);
		wr16(s->bus, s->dev, s->func, s->exp + EXP_SLTSTA, sta & SLTSTA_EVENTS);
		slot_power(s, s->configured);
		uprintf("pci: slot %u at %02x:%02x.%u: native hot-plug, bus %02x, interrupt on "
			"INT%c (line %u); windows", s->number, s->bus, s->dev, s->func, s->sec,
			s->port >= 0 ? 'A' + fns[s->port].pin - 1 : '?',
			s->port >= 0 ? fns[s->port].line : 0);
		for (unsigned w = 0; w < WIN_KINDS; w++)
			if (s->win[w].present)
				uprintf(" %s 0x%010llx+%lluK", kind_name[w],
					(unsigned long long)s->win[w].base,
					(unsigned long long)(s->win[w].size >> 10));
		uprintf("; %s\n", s->configured ? "a card is in it" : "empty");
	}
}

/* A line fired (notification bits): first the hot-plug slots whose port
 * signals on it, then the drivers of the functions on it that assert
 * INTx now. The line stays masked until each of those acknowledges
 * (PCI_IRQ_ACK); with none, it is unmasked at once. A line that keeps
 * firing with nothing found asserting it (64 times in a row) is left
 * masked, and said so: it would otherwise keep this server busy. */
#define LINE_IDLE_FIRES 64

static void forward_irqs(uint32_t bits)
{
	static unsigned idle_fires[4];

	for (unsigned k = 0; k < 4; k++) {
		bool handled = false;

		if (!(bits & (1u << (nranges + k))))
			continue;
		for (unsigned i = 0; i < nslots; i++)
			if (slots[i].port >= 0 && fns[slots[i].port].line == k)
				handled |= slot_events(&slots[i]);
		for (unsigned g = 0; g < ngrants; g++) {
			const struct grant *gr = &grants[g];
			const struct fn *f = gr->fn >= 0 ? &fns[gr->fn] : NULL;

			if (f && gr->ntfn && f->pin && f->line == k &&
			    (rd16(f->bus, f->dev, f->func, 0x06) & PCI_STS_INTX)) {
				line_pending[k] |= 1u << g;
				sys_signal(gr->ntfn);
			}
		}
		if (line_pending[k])
			continue;                       /* unmasked by the last PCI_IRQ_ACK */
		idle_fires[k] = handled ? 0 : idle_fires[k] + 1;
		if (idle_fires[k] < LINE_IDLE_FIRES)
			sys_irq_ack(SRV_IRQ(nranges + k));
		else if (idle_fires[k] == LINE_IDLE_FIRES)
			uprintf("pci: INTx line %u keeps firing with nothing asserting it: left "
				"masked\n", k);
	}
}

/* Reply to a driver: status in MR0 for errors (label 1), or the words. */
static int reply_recv(struct msg *m, int status, uint32_t a, uint32_t b, uint32_t c)
{
	m->info = MSG_INFO(status ? 1 : 0, status ? 1 : 3, 0);
	m->mr[0] = status ? (uint32_t)status : a;
	m->mr[1] = b;
	m->mr[2] = c;
	return sys_reply_recv(SRV_SERVICE, m);
}

static int serve_driver(struct msg *m)
{
	unsigned op = MSG_LABEL(m->info);
	struct grant *g;
	struct fn *f;

	/* A capability only a claimed driver's PCI_IRQ keeps; any other one
	 * goes at once (a client could otherwise fill RECV_SLOT for good). */
	if (MSG_CAPS(m->info) && !(op == PCI_WATCH && m->badge && grant_of(m->badge)) &&
	    (op != PCI_IRQ || !m->badge || !grant_of(m->badge) || grant_of(m->badge)->fn < 0))
		sys_cap_delete(CPTR_SELF, RECV_SLOT);

	if (op == PCI_GRANT) {
		/* The root task's only (badge 0); a client's IDs accumulate. */
		g = m->badge == 0 ? grant_of(m->mr[0]) : NULL;
		if (m->badge != 0 || (!g && ngrants == MAX_GRANTS) || (g && g->nids == 4))
			return reply_recv(m, E_PERM, 0, 0, 0);
		if (!g) {
			g = &grants[ngrants++];
			memset(g, 0, sizeof(*g));
			g->badge = m->mr[0];
			g->fn = -1;
			if (MSG_LEN(m->info) >= 8) {
				memcpy(g->name, &m->mr[2], 8);
				memcpy(g->name + 8, &cairn_ipcbuf->mr[4], 15);
			}
		}
		g->id[g->nids++] = m->mr[1];
		return reply_recv(m, 0, 0, 0, 0);
	}
	g = m->badge ? grant_of(m->badge) : NULL;
	if (!g)
		return reply_recv(m, E_PERM, 0, 0, 0);
	if (op == PCI_WATCH) {
		/* The notification arrived with the call; a new one replaces
		 * the old (a restarted driver's). */
		cptr_t c = g->watch ? g->watch : cslot_get();

		if (!MSG_CAPS(m->info) || !cairn_ipcbuf->recv_caps || !c) {
			if (MSG_CAPS(m->info))
				sys_cap_delete(CPTR_SELF, RECV_SLOT);
			if (c && !g->watch)
				cslot_put(c);
			return reply_recv(m, c ? E_INVAL : E_NOMEM, 0, 0, 0);
		}
		if (g->watch)
			sys_cap_delete(CPTR_SELF, g->watch);
		sys_cap_move(RECV_SLOT, CPTR_SELF, c);
		g->watch = c;
		return reply_recv(m, 0, 0, 0, 0);
	}
	if (op == PCI_CLAIM) {
		if (g->fn < 0)
			for (unsigned i = 0; i < nfns && g->fn < 0; i++)
				if (fns[i].present && fns[i].owner < 0 && fns[i].header == 0 &&
				    grant_may_claim(g, &fns[i])) {
					fns[i].owner = (int)(g - grants);
					g->fn = (int)i;
				}
		if (g->fn < 0)
			return reply_recv(m, E_NOENT, 0, 0, 0);
		f = &fns[g->fn];
		{
			uint32_t mask = 0;

			for (unsigned b = 0; b < NBARS; b++)
				if (f->bar[b].assigned)
					mask |= 1u << b;
			return reply_recv(m, 0, (uint32_t)f->bus << 8 | f->dev << 3 | f->func,
					  (uint32_t)f->vendor << 16 | f->device, mask);
		}
	}
	if (g->fn < 0)
		return reply_recv(m, E_STATE, 0, 0, 0);         /* claim first */
	f = &fns[g->fn];
	switch (op) {
	case PCI_BAR: {
		const struct bar *bar = m->mr[0] < NBARS ? &f->bar[m->mr[0]] : NULL;
		cptr_t *c = bar ? &g->bar_cap[m->mr[0]] : NULL;

		if (!bar || !bar->assigned)
			return reply_recv(m, E_RANGE, 0, 0, 0);
		if (!*c) {
			/* Exactly the BAR's pages, minted from its window once;
			 * ours stays the parent of what the driver holds, so
			 * revoking it reaches the driver's copies. */
			const struct window *w = &win[bar->kind];
			cptr_t slot = cslot_get();
			int e;

			if (!slot)
				return reply_recv(m, E_NOMEM, 0, 0, 0);
			/* A prefetchable BAR may be mapped write-combining. */
			e = sys_cap_mint(win_slot[bar->kind], CPTR_SELF, slot,
					 R_READ | R_WRITE | (bar->prefetchable ? R_PREFETCH : 0),
					 (uint32_t)((bar->base - w->base) >> 12),
					 (uint32_t)(((bar->size < 4096 ? 4096 : bar->size) + 4095) >> 12));
			if (e) {
				cslot_put(slot);
				return reply_recv(m, e, 0, 0, 0);
			}
			*c = slot;
		}
		/* The reply carries it (the driver calls with R_GRANT). */
		cairn_ipcbuf->caps[0] = *c;
		m->info = MSG_INFO(0, 3, 1);
		m->mr[0] = (uint32_t)bar->size;
		m->mr[1] = 0;
		m->mr[2] = bar->kind == WIN_IO;
		return sys_reply_recv(SRV_SERVICE, m);
	}
	case PCI_CFG_READ:
		if (m->mr[0] > 4092 || (m->mr[0] & 3))
			return reply_recv(m, E_RANGE, 0, 0, 0);
		return reply_recv(m, 0, rd32(f->bus, f->dev, f->func, m->mr[0]), 0, 0);
	case PCI_IRQ:
		/* The driver's notification arrived with the call. */
		if (!f->pin || !MSG_CAPS(m->info) || !cairn_ipcbuf->recv_caps) {
			if (MSG_CAPS(m->info))
				sys_cap_delete(CPTR_SELF, RECV_SLOT);
			return reply_recv(m, f->pin ? E_INVAL : E_NOENT, 0, 0, 0);
		}
		if (!g->ntfn) {
			g->ntfn = cslot_get();
			if (!g->ntfn) {
				sys_cap_delete(CPTR_SELF, RECV_SLOT);
				return reply_recv(m, E_NOMEM, 0, 0, 0);
			}
		} else {
			sys_cap_delete(CPTR_SELF, g->ntfn);
		}
		sys_cap_move(RECV_SLOT, CPTR_SELF, g->ntfn);
		/* Its INTx on now that someone takes it. */
		wr16(f->bus, f->dev, f->func, 0x04,
		     (uint16_t)(rd16(f->bus, f->dev, f->func, 0x04) & ~PCI_CMD_INTX_OFF));
		return reply_recv(m, 0, fn_line(f), 0, 0);
	case PCI_IRQ_ACK:
		if (!f->pin)
			return reply_recv(m, E_NOENT, 0, 0, 0);
		line_done(fn_line(f), 1u << grant_index(g));
		return reply_recv(m, 0, 0, 0, 0);
	}
	return reply_recv(m, E_NOSYS, 0, 0, 0);
}

#define CONSOLE SRV_USES(0)

int cairn_main(uint32_t arg)
{
	struct msg m;
	char text[MSG_TEXT_MAX + 1];
	int err;

	(void)arg;
	err = setup();
	if (err) {
		uprintf("pci: cannot map the configuration space (%d)\n", err);
		return 1;
	}
	uprintf("pci: %u function%s on %u bus%s; windows", nfns, nfns == 1 ? "" : "s", next_bus,
		next_bus == 1 ? "" : "es");
	for (unsigned k = 0; k < WIN_KINDS; k++)
		if (win[k].present)
			uprintf(" %s 0x%010llx+%lluM", kind_name[k], (unsigned long long)win[k].base,
				(unsigned long long)(win[k].size >> 20));
	uprintf("%s\n", dropped ? " (more functions than it keeps: not listed)" : "");
	for (unsigned row = 1; row_text(row, text, sizeof(text)) >= 0; row++)
		uprintf("pci: %s\n", text);

	/* From now on through the console: the root task's grants come
	 * first (it finds us waiting for requests only if nothing else
	 * blocked us on the way here). */
	console_use(CONSOLE);     /* device news on the console as it happens */
	/* A driver's notification (PCI_IRQ) lands in RECV_SLOT. */
	cairn_ipcbuf->recv_cspace = CPTR_SELF;
	cairn_ipcbuf->recv_slot = RECV_SLOT;
	err = sys_recv(SRV_SERVICE, &m);
	for (;;) {
		if (err) {
			err = sys_recv(SRV_SERVICE, &m);
			continue;
		}
		if (MSG_LABEL(m.info) >= PCI_CLAIM && MSG_LABEL(m.info) != MSG_LABEL_NOTIFY) {
			err = serve_driver(&m);
			continue;
		}
		if (MSG_CAPS(m.info))                   /* nothing else takes one */
			sys_cap_delete(CPTR_SELF, RECV_SLOT);
		if (MSG_LABEL(m.info) == PCI_LIST) {
			int n = row_text(m.mr[0], text, sizeof(text));

			if (n < 0) {
				m.info = MSG_INFO(1, 1, 0);
				m.mr[0] = (uint32_t)E_RANGE;
			} else {
				msg_put_text(&m, 0, text, strlen(text));
			}
		} else if (MSG_LABEL(m.info) == MSG_LABEL_NOTIFY) {
			forward_irqs(m.badge);
			err = sys_recv(SRV_SERVICE, &m);
			continue;
		} else {
			m.info = MSG_INFO(1, 1, 0);
			m.mr[0] = (uint32_t)E_NOSYS;
		}
		err = sys_reply_recv(SRV_SERVICE, &m);
	}
}
