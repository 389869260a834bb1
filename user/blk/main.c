/*
 * blk: a virtio-mmio block driver, a user-level server.
 *
 * It is given one page of virtio-mmio transports (its SRV_DEVICE(0)) and
 * finds the block device among them by probing each transport's magic and
 * device id; everything else it needs comes from its own account: one
 * 16 KiB DMA block from the dma32 pool holds the virtqueue (legacy
 * virtio-mmio layout: descriptors and available ring in the first page,
 * used ring in the second) and the request header, sector buffer and
 * status byte in the third. Completion is interrupt-driven: the device's
 * interrupt arrives through the bound notification.
 *
 * The "blk" service (cairn/server.h): BLK_READ and BLK_WRITE move one
 * 512-byte sector in chunks (MR0 = sector, MR1 = offset in it; write
 * data after MR2 = its length); a read of offset 0 fetches the sector from the disk,
 * a write of the chunk that ends the sector writes it back; BLK_INFO
 * answers the capacity in sectors.
 */
#include <cairn/cairn.h>
#include <cairn/server.h>
#include <string.h>

#define MMIO_VA 0x10000000u
#define DMA_VA 0x20000000u
#define QSIZE 8

/* Legacy virtio-mmio registers. */
#define MAGIC 0x000
#define VERSION 0x004
#define DEVICE_ID 0x008
#define HOST_FEATURES 0x010
#define GUEST_FEATURES 0x020
#define GUEST_PAGE_SIZE 0x028
#define QUEUE_SEL 0x030
#define QUEUE_NUM_MAX 0x034
#define QUEUE_NUM 0x038
#define QUEUE_ALIGN 0x03c
#define QUEUE_PFN 0x040
#define QUEUE_NOTIFY 0x050
#define INT_STATUS 0x060
#define INT_ACK 0x064
#define STATUS 0x070
#define CONFIG 0x100

struct vdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
#define VD_NEXT 1
#define VD_WRITE 2

struct vreq {
	uint32_t type;          /* 0 read, 1 write */
	uint32_t reserved;
	uint64_t sector;
};

static volatile uint8_t *dev;
static uint64_t dma_pa;
static struct vdesc *desc;
static volatile uint16_t *avail;        /* flags, idx, ring[QSIZE] */
static volatile uint16_t *used;         /* flags, idx, then {id, len} pairs */
static struct vreq *req;
static uint8_t *sector_buf;
static volatile uint8_t *status;
static uint16_t used_seen;
static uint64_t cur_sector = ~0ull;
static uint64_t capacity;

static uint32_t rd(unsigned off) { return *(volatile uint32_t *)(dev + off); }
static void wr(unsigned off, uint32_t v) { *(volatile uint32_t *)(dev + off) = v; }

static int probe(void)
{
	struct cap_info ci;

	if (sys_cap_inspect(SRV_DEVICE(0), &ci) ||
	    sys_map(SRV_VSPACE, SRV_DEVICE(0), MMIO_VA, R_READ | R_WRITE, ATTR_DEFAULT))
		return E_NOCAP;
	/* The transports of the page we were given, 0x200 apart. */
	for (unsigned t = 0; t < ci.size * 4096 / 0x200; t++) {
		dev = (volatile uint8_t *)(MMIO_VA + t * 0x200);
		if (rd(MAGIC) == 0x74726976 && rd(DEVICE_ID) == 2)
			return 0;
	}
	return E_NOENT;
}

static int setup(void)
{
	cptr_t mem = SRV_FIRST_FREE;
	struct cap_info ci;
	uint8_t *base = (uint8_t *)DMA_VA;

	if (sys_mem_alloc(SRV_ACCOUNT, POOL_ID_DMA32, 2, CPTR_SELF, mem) &&
	    sys_mem_alloc(SRV_ACCOUNT, POOL_ID_DIRECT, 2, CPTR_SELF, mem))
		return E_NOMEM;         /* no dma32 RAM on small machines: direct is below 4 GiB too */
	if (sys_cap_inspect(mem, &ci) ||
	    sys_map(SRV_VSPACE, mem, DMA_VA, R_READ | R_WRITE, ATTR_NORMAL_NC))
		return E_NOMEM;
	dma_pa = ci.base;
	desc = (struct vdesc *)base;
	avail = (volatile uint16_t *)(base + QSIZE * sizeof(struct vdesc));
	used = (volatile uint16_t *)(base + 4096);
	req = (struct vreq *)(base + 8192);
	sector_buf = base + 8192 + 64;
	status = base + 8192 + 64 + 512;
	wr(STATUS, 0);
	wr(STATUS, 1 | 2);                              /* ACKNOWLEDGE | DRIVER */
	(void)rd(HOST_FEATURES);
	wr(GUEST_FEATURES, 0);
	wr(GUEST_PAGE_SIZE, 4096);
	wr(QUEUE_SEL, 0);
	if (rd(QUEUE_NUM_MAX) < QSIZE)
		return E_RANGE;
	wr(QUEUE_NUM, QSIZE);
	wr(QUEUE_ALIGN, 4096);
	wr(QUEUE_PFN, (uint32_t)(dma_pa >> 12));
	wr(STATUS, 1 | 2 | 4);                          /* DRIVER_OK */
	capacity = (uint64_t)rd(CONFIG + 4) << 32 | rd(CONFIG);
	return 0;
}

/* One request, waited for through the interrupt. */
static int transfer(uint64_t sector, bool write)
{
	uint16_t idx;

	if (sector >= capacity)
		return E_RANGE;
	req->type = write ? 1 : 0;
	req->reserved = 0;
	req->sector = sector;
	*status = 0xff;
	desc[0] = (struct vdesc){ dma_pa + 8192, sizeof(*req), VD_NEXT, 1 };
	desc[1] = (struct vdesc){ dma_pa + 8192 + 64, 512, (uint16_t)(VD_NEXT | (write ? 0 : VD_WRITE)),
				  2 };
	desc[2] = (struct vdesc){ dma_pa + 8192 + 64 + 512, 1, VD_WRITE, 0 };
	idx = avail[1];
	avail[2 + idx % QSIZE] = 0;
	__asm__ volatile("dmb" ::: "memory");
	avail[1] = (uint16_t)(idx + 1);
	__asm__ volatile("dmb" ::: "memory");
	wr(QUEUE_NOTIFY, 0);
	while (used[1] == used_seen) {
		/* Only the device's interrupt can end this wait: requests
		 * from clients wait in the endpoint queue meanwhile. */
		sys_wait(SRV_NTFN, NULL);
		wr(INT_ACK, rd(INT_STATUS));
		sys_irq_ack(SRV_IRQ(0));
	}
	used_seen = used[1];
	return *status == 0 ? 0 : E_FORMAT;
}

int cairn_main(uint32_t arg)
{
	struct msg m;
	int err, ready;

	(void)arg;
	ready = probe();
	if (!ready)
		ready = setup();
	err = sys_recv(SRV_SERVICE, &m);
	for (;;) {
		struct msg r = { MSG_INFO(0, 1, 0), { 0 }, 0 };
		unsigned op = MSG_LABEL(m.info), off = m.mr[1];

		if (err) {
			err = sys_recv(SRV_SERVICE, &m);
			continue;
		}
		if (op == MSG_LABEL_NOTIFY) {           /* a late interrupt: acknowledge */
			if (dev)
				wr(INT_ACK, rd(INT_STATUS));
			sys_irq_ack(SRV_IRQ(0));
			err = sys_recv(SRV_SERVICE, &m);
			continue;
		}
		if (ready) {
			r.info = MSG_INFO(1, 1, 0);
			r.mr[0] = (uint32_t)ready;
		} else if (op == BLK_INFO) {
			r.mr[0] = (uint32_t)capacity;
		} else if ((op == BLK_READ || op == BLK_WRITE) && off < 512) {
			int e = 0;

			if (op == BLK_READ && (off == 0 || cur_sector != m.mr[0])) {
				e = transfer(m.mr[0], false);
				cur_sector = e ? ~0ull : m.mr[0];
			} else if (op == BLK_WRITE && cur_sector != m.mr[0]) {
				e = transfer(m.mr[0], false);   /* read-modify-write */
				cur_sector = e ? ~0ull : m.mr[0];
			}
			if (!e && op == BLK_READ) {
				size_t n = 512 - off < MSG_TEXT_MAX ? 512 - off : MSG_TEXT_MAX;

				msg_put_text(&r, 0, (const char *)sector_buf + off, n);
			} else if (!e) {
				uint8_t buf[MSG_TEXT_MAX];
				size_t n = msg_get_data(&m, 2, buf, sizeof(buf));

				if (off + n > 512)
					n = 512 - off;
				memcpy(sector_buf + off, buf, n);
				if (off + n == 512)
					e = transfer(m.mr[0], true);
				r.mr[0] = (uint32_t)n;
			}
			if (e) {
				r.info = MSG_INFO(1, 1, 0);
				r.mr[0] = (uint32_t)e;
			}
		} else {
			r.info = MSG_INFO(1, 1, 0);
			r.mr[0] = (uint32_t)E_INVAL;
		}
		err = sys_reply_recv(SRV_SERVICE, &r);
		if (!err)
			m = r;
	}
}
