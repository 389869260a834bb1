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
 */
#include <cairn/cairn.h>
#include <cairn/server.h>
#include <stdio.h>
#include <string.h>

#define ECAM_VA 0x40000000u
#define ECAM_BUSES 16               /* mapped: 16 buses of 1 MiB of configuration space */
#define MAX_FNS 32
#define NBARS 6
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
static cptr_t next_free = RECV_SLOT + 1;
static struct fn fns[MAX_FNS];
static unsigned nfns, next_bus = 1, dropped;

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
	/* Decoding of what was assigned, bus mastering (DMA) for its driver. */
	wr16(b, d, fu, 0x04, (uint16_t)((cmd & ~0x7u) | enable | (enable ? 4 : 0)));
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
	scan_bus(sec, &here);
	memcpy(win, saved, sizeof(win));
	behind_bridge = saved_behind;
	wr8(bus, dev, func, 0x1a, (uint8_t)(next_bus - 1));
	wr16(bus, dev, func, 0x04, (uint16_t)(rd16(bus, dev, func, 0x04) | cmd | 4));
}

static void scan_fn(unsigned bus, unsigned dev, unsigned func, const struct upstream *up)
{
	uint32_t id = rd32(bus, dev, func, 0x00);
	struct fn *f;

	if ((id & 0xffff) == 0xffff)
		return;
	if (nfns == MAX_FNS) {
		dropped++;
		return;
	}
	f = &fns[nfns++];
	memset(f, 0, sizeof(*f));
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
	else if (f->header == 1 && next_bus < ECAM_BUSES)
		setup_bridge(bus, dev, func, up);
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

/* Row `row` of the PCI_LIST table: a header, then per device one line and
 * one per implemented BAR. -1 past the end. */
static int row_text(unsigned row, char *buf, size_t len)
{
	if (row == 0)
		return snprintf(buf, len, "%-10s %-9s %-6s %-4s %s", "PCI", "ID", "CLASS", "PIN",
				"HOLDER");
	row--;
	for (unsigned i = 0; i < nfns; i++) {
		const struct fn *f = &fns[i];

		if (row == 0)
			return snprintf(buf, len, "%02x:%02x.%u    %04x:%04x %06x %-4s %s",
					f->bus, f->dev, f->func, f->vendor, f->device,
					(unsigned)(f->class_rev >> 8),
					f->pin >= 1 && f->pin <= 4 ? (const char *[]){ "INTA", "INTB",
										"INTC", "INTD" }[f->pin - 1] : "-",
					f->header == 1 ? "bridge" :
					f->owner >= 0 ? grants[f->owner].name : "pci");
		row--;
		for (unsigned b = 0; b < NBARS; b++) {
			const struct bar *bar = &f->bar[b];

			if (!bar->size)
				continue;
			if (row == 0) {
				if (!bar->assigned)
					return snprintf(buf, len, "  BAR%u %-5s%s %llu%s unassigned", b,
							kind_name[bar->kind],
							bar->prefetchable ? " pref" : "",
							(unsigned long long)(bar->size >= 1024 ?
									     bar->size >> 10 :
									     bar->size),
							bar->size >= 1024 ? "K" : "B");
				return snprintf(buf, len, "  BAR%u %-5s%s %llu%s at 0x%010llx", b,
						kind_name[bar->kind], bar->prefetchable ? " pref" : "",
						(unsigned long long)(bar->size >= 1024 ? bar->size >> 10 :
								     bar->size),
						bar->size >= 1024 ? "K" : "B",
						(unsigned long long)bar->base);
			}
			row--;
		}
	}
	return -1;
}

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

/* A line fired (notification bits): tell the drivers of the functions on
 * it; the line stays masked until one of them acknowledges. A line no
 * driver holds stays masked. */
static void forward_irqs(uint32_t bits)
{
	for (unsigned k = 0; k < 4; k++) {
		if (!(bits & (1u << (nranges + k))))
			continue;
		for (unsigned g = 0; g < ngrants; g++) {
			const struct grant *gr = &grants[g];

			if (gr->fn >= 0 && gr->ntfn && fns[gr->fn].pin &&
			    fn_line(&fns[gr->fn]) == k)
				sys_signal(gr->ntfn);
		}
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
	if (MSG_CAPS(m->info) && (op != PCI_IRQ || !m->badge || !grant_of(m->badge) ||
				  grant_of(m->badge)->fn < 0))
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
	if (op == PCI_CLAIM) {
		if (g->fn < 0)
			for (unsigned i = 0; i < nfns && g->fn < 0; i++)
				for (unsigned k = 0; k < g->nids && g->fn < 0; k++)
					if (fns[i].owner < 0 && fns[i].header == 0 &&
					    ((uint32_t)fns[i].vendor << 16 | fns[i].device) ==
						    g->id[k]) {
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
			int e;

			if (next_free >= 64)
				return reply_recv(m, E_NOMEM, 0, 0, 0);
			/* A prefetchable BAR may be mapped write-combining. */
			e = sys_cap_mint(win_slot[bar->kind], CPTR_SELF, next_free,
					 R_READ | R_WRITE | (bar->prefetchable ? R_PREFETCH : 0),
					 (uint32_t)((bar->base - w->base) >> 12),
					 (uint32_t)(((bar->size < 4096 ? 4096 : bar->size) + 4095) >> 12));
			if (e)
				return reply_recv(m, e, 0, 0, 0);
			*c = next_free++;
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
			if (next_free >= 64) {
				sys_cap_delete(CPTR_SELF, RECV_SLOT);
				return reply_recv(m, E_NOMEM, 0, 0, 0);
			}
			g->ntfn = next_free++;
		} else {
			sys_cap_delete(CPTR_SELF, g->ntfn);
		}
		sys_cap_move(RECV_SLOT, CPTR_SELF, g->ntfn);
		return reply_recv(m, 0, fn_line(f), 0, 0);
	case PCI_IRQ_ACK:
		if (!f->pin)
			return reply_recv(m, E_NOENT, 0, 0, 0);
		sys_irq_ack(SRV_IRQ(nranges + fn_line(f)));
		return reply_recv(m, 0, 0, 0, 0);
	}
	return reply_recv(m, E_NOSYS, 0, 0, 0);
}

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
