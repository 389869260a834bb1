/*
 * The root task: the first user program, built by the kernel at boot.
 *
 * The kernel loads the ELF file "root" from the boot archive into a new
 * address space and gives the root task every authority there is, as
 * capabilities at the fixed slots of abi.h: its own CSpace, address space
 * and thread, an account holding every pool's free memory and heap, IRQ
 * control, system control, the boot archive and the hardware device tree
 * (read-only memory), and one device-range capability per device range
 * (except the interrupt controller, which stays the kernel's). A boot info
 * page at BOOTINFO_VA says where everything is.
 *
 * User address space of the root task:
 *   0x0010_0000  boot info (R)          0x0010_1000  IPC buffer (RW)
 *   0x0040_0000  the program (ELF segments with their own rights)
 *   0x0F00_0000  hardware device tree (R)
 *   0x1000_0000  boot archive (R)
 *   0x2000_0000 - 0x7000_0000  free for the root task
 *   0x7FFF_0000 - 0x8000_0000  stack (RW, 64 KiB; nothing below it)
 */
#include <boot/roottask.h>
#include <fw/cpio.h>
#include <fw/dt.h>
#include <fw/elf.h>
#include <hal/mm_arch.h>
#include <ipc/ipc.h>
#include <lib/log.h>
#include <lib/string.h>
#include <mm/devrange.h>
#include <sched/thread.h>

#define ROOT_CSPACE_SLOTS 65536u
#define ROOT_PRIO 128
#define ROOT_IPCBUF_VA (BOOTINFO_VA + 0x1000)
#define ROOT_DTB_VA 0x0F000000u
#define ROOT_ARCHIVE_VA 0x10000000u
#define ROOT_HEAP_VA 0x20000000u
#define ROOT_HEAP_END 0x70000000u
#define ROOT_STACK_TOP 0x80000000u
#define ROOT_STACK_PAGES 16u
_Static_assert(ROOT_ARCHIVE_VA + ROOTTASK_ARCHIVE_MAX + 4096u <= ROOT_HEAP_VA,
	       "the boot archive window ends below the root task's heap");
#define ROOT_HEAP_RESERVE 65536u       /* kernel heap bytes the root task does not get */

struct root_build {
	struct account *acct;
	struct cspace *cs;
	struct vspace *vs;
	struct thread *t;
	struct slot *acct_slot;
	uint32_t next;                 /* next free slot */
	const char *why;
};

static struct thread *root_thread;

struct thread *roottask_thread(void)
{
	return root_thread;
}

static int slot_at(struct root_build *b, uint32_t idx, struct slot **out)
{
	int err = cspace_slot(b->cs, idx, out);

	if (err)
		b->why = "CSpace slot";
	return err;
}

/*
 * Allocate `pages` of DIRECT memory as power-of-two blocks, each a memory
 * capability in the next slots, mapped at va.. with rights; copy
 * [data, data + len) to byte offset `off` of the region. The first slot
 * used goes to *first.
 */
static int alloc_map(struct root_build *b, uint32_t pages, uintptr_t va, unsigned rights,
		     const void *data, size_t len, size_t off, uint32_t *first)
{
	size_t pos = 0;                /* byte offset of the block in the region */

	if (first)
		*first = b->next;
	while (pages) {
		unsigned order = 31u - (unsigned)__builtin_clz(pages);
		struct memobj *m;
		struct slot *s;
		uint8_t *k;
		size_t bsize;
		int err;

		if (order > 10)
			order = 10;
		bsize = (size_t)4096 << order;
		err = memobj_alloc(b->acct, POOL_DIRECT, order, &m);
		if (err) {
			b->why = "memory for the program";
			return err;
		}
		err = slot_at(b, b->next++, &s);
		if (!err)
			err = cap_install_child(s, b->acct_slot, CAP_MEM, R_READ | R_WRITE | R_EXEC,
						&m->obj, (uint32_t)(m->pa >> 12), m->pages);
		if (err) {
			b->why = "memory capability";
			return err;
		}
		err = cap_map(s, b->vs, va + pos, rights, ATTR_DEFAULT);
		if (err) {
			b->why = "mapping the program";
			return err;
		}
		k = mm_arch_direct_va(m->pa, bsize);
		if (!k) {
			b->why = "direct map";
			return E_INVAL;
		}
		/* Copy the part of [off, off + len) that falls in this block. */
		if (data && off + len > pos && off < pos + bsize) {
			size_t from = off > pos ? off : pos;
			size_t to = MIN(off + len, pos + bsize);

			mm_arch_copy(k + (from - pos), (const uint8_t *)data + (from - off), to - from);
		}
		pos += bsize;
		pages -= 1u << order;
	}
	return 0;
}

/* Is this device the kernel's own (never handed out)? */
static bool kernel_device(const struct dt_device *d)
{
	return d->compatible && (strstr(d->compatible, "-gic") || strstr(d->compatible, "gic-"));
}

static unsigned dev_irq(const struct dt_device *d)
{
	if (d->irq_status != DT_IRQ_OK || d->nirq_cells < 3 || d->irq_parent_cells != 3)
		return 0xffffffffu;
	return d->irq[0] == 0 ? 32 + d->irq[1] : 16 + d->irq[1];
}

/* Does the range lie inside one of the tree's bus windows (rounded out to
 * pages, as device ranges are)? */
static bool in_window(const struct dt_info *dt, const struct devrange *r)
{
	for (unsigned i = 0; i < dt->nwindows; i++) {
		paddr_t b = dt->windows[i].base & ~0xfffull;
		paddr_t e = (dt->windows[i].base + dt->windows[i].size + 0xfff) & ~0xfffull;

		if (r->base >= b && r->base + r->size <= e)
			return true;
	}
	return false;
}

static int give_devices(struct root_build *b, const struct dt_info *dt, struct bootinfo *bi)
{
	unsigned unlisted = 0;

	for (unsigned i = 0; i < devrange_count(); i++) {
		const struct devrange *r = devrange_at(i);
		const struct dt_device *d = r->tag < dt->ndevices ? &dt->devices[r->tag] : NULL;
		struct slot *s;
		int err;

		if (d && kernel_device(d))
			continue;
		err = slot_at(b, b->next, &s);
		if (err)
			return err;
		/* R_PREFETCH where the range permits more than device memory. */
		err = cap_install_root(s, CAP_DEVICE,
				       r->rights | (r->attrs & ~MEM_ATTR_BIT(MEM_ATTR_DEVICE) ?
						    R_PREFETCH : 0),
				       NULL, (uint32_t)(r->base >> 12), (uint32_t)(r->size >> 12));
		if (err) {
			b->why = "device capability";
			return err;
		}
		if (bi->ndev < BOOTINFO_MAX_DEV) {
			struct bootinfo_dev *bd = &bi->dev[bi->ndev++];

			bd->slot = b->next;
			bd->base_lo = (uint32_t)r->base;
			bd->base_hi = (uint32_t)(r->base >> 32);
			bd->size_lo = (uint32_t)r->size;
			bd->size_hi = (uint32_t)(r->size >> 32);
			bd->irq = d ? dev_irq(d) : 0xffffffffu;
			bd->flags = in_window(dt, r) ? BOOTINFO_DEV_WINDOW : 0;
			strlcpy(bd->name, d ? (d->path[0] == '/' ? d->path + 1 : d->path) : "?",
				sizeof(bd->name));
		} else {
			unlisted++;
		}
		b->next++;
	}
	if (unlisted)
		pr_warn("root: %u device ranges beyond the boot info's %u have capabilities "
			"(slots %u-%u) but are not listed", unlisted, BOOTINFO_MAX_DEV,
			(unsigned)(b->next - unlisted), (unsigned)(b->next - 1));
	return 0;
}

/* The root task's fixed windows (the map at the top of this file): a
 * segment in one of them would be refused by cap_map (E_EXIST) halfway
 * through the build, or would take the place the root task uses for its
 * heap, so it is refused before anything is allocated for the root task
 * and nothing needs undoing. */
static const struct {
	uint32_t va, size;
	const char *why;
} root_windows[] = {
	{ BOOTINFO_VA, 0x2000, "a segment covers the boot info and IPC buffer pages at 0x00100000" },
	{ ROOT_DTB_VA, ROOT_ARCHIVE_VA - ROOT_DTB_VA,
	  "a segment covers the device-tree window at 0x0f000000" },
	{ ROOT_ARCHIVE_VA, ROOT_HEAP_VA - ROOT_ARCHIVE_VA,
	  "a segment covers the boot-archive window at 0x10000000" },
	{ ROOT_HEAP_VA, ROOT_HEAP_END - ROOT_HEAP_VA,
	  "a segment covers the root task's free range 0x20000000-0x70000000" },
	{ ROOT_STACK_TOP - ROOT_STACK_PAGES * 4096, ROOT_STACK_PAGES * 4096,
	  "a segment covers the stack below 0x80000000" },
};

static int install(struct root_build *b, uint32_t idx, unsigned type, unsigned rights,
		   struct kobj *o)
{
	struct slot *s;
	int err = slot_at(b, idx, &s);

	return err ? err : cap_install_root(s, type, rights, o, 0, 0);
}

int roottask_start(const struct roottask_args *ra, const char **why)
{
	struct root_build b;
	struct elf_image img;
	struct bootinfo *bi;
	struct memobj *arch_mem;
	struct slot *s;
	uint32_t limit[POOL_COUNT], slot_bi, slot_ipc;
	struct account *boot = account_boot();
	int err;

	memset(&b, 0, sizeof(b));
	*why = NULL;
	err = elf_parse(ra->elf, ra->elf_len, &img, why);
	if (err)
		return err;
	for (unsigned i = 0; i < ARRAY_SIZE(root_windows); i++)
		if (elf_seg_overlapping(&img, root_windows[i].va, root_windows[i].size) >= 0) {
			*why = root_windows[i].why;
			return E_EXIST;
		}

	/* The account: everything the boot account can still promise. */
	for (unsigned i = 0; i < POOL_COUNT; i++)
		limit[i] = quota_live(&boot->q[i]) ? quota_available(&boot->q[i]) : 0;
	if (limit[POOL_KHEAP] < ROOT_HEAP_RESERVE + 65536) {
		*why = "kernel heap too small for a root task";
		return E_NOMEM;
	}
	limit[POOL_KHEAP] -= ROOT_HEAP_RESERVE;
	err = account_carve(boot, limit, "root", &b.acct);
	if (err) {
		*why = "root account";
		return err;
	}
	err = cspace_create(b.acct, ROOT_CSPACE_SLOTS, &b.cs);
	if (!err)
		err = vspace_create(b.acct, &b.vs);
	if (!err)
		err = thread_create(b.acct, &b.t);
	if (err) {
		*why = "root objects";
		return err;
	}
	thread_set_name(b.t, "root");
	err = install(&b, SLOT_CSPACE, CAP_CSPACE, R_ALL, &b.cs->obj);
	if (!err)
		err = install(&b, SLOT_VSPACE, CAP_VSPACE, R_ALL, &b.vs->obj);
	if (!err)
		err = install(&b, SLOT_THREAD, CAP_THREAD, R_ALL, &b.t->obj);
	if (!err)
		err = install(&b, SLOT_ACCOUNT, CAP_QUOTA, R_ALL, &b.acct->obj);
	if (!err)
		err = install(&b, SLOT_IRQ_CONTROL, CAP_IRQ_CONTROL, R_ALL, NULL);
	if (!err)
		err = install(&b, SLOT_SYSTEM, CAP_SYSTEM, R_READ | R_WRITE, NULL);
	if (err) {
		*why = b.why ? b.why : "initial capabilities";
		return err;
	}
	b.acct_slot = cspace_lookup(b.cs, SLOT_ACCOUNT);

	/* Boot info page and IPC buffer (slots 9 and 7 are moved there). */
	b.next = SLOT_FIRST_DEV;
	err = alloc_map(&b, 1, BOOTINFO_VA, R_READ, NULL, 0, 0, &slot_bi);
	if (!err)
		err = alloc_map(&b, 1, ROOT_IPCBUF_VA, R_READ | R_WRITE, NULL, 0, 0, &slot_ipc);
	if (err)
		goto fail;
	cap_move(cspace_lookup(b.cs, slot_bi), cspace_lookup(b.cs, SLOT_BOOTINFO));
	cap_move(cspace_lookup(b.cs, slot_ipc), cspace_lookup(b.cs, SLOT_IPCBUF));
	b.next = SLOT_FIRST_DEV;
	s = cspace_lookup(b.cs, SLOT_BOOTINFO);
	bi = mm_arch_direct_va(slot_pa(s), 4096);
	_Static_assert(sizeof(struct bootinfo) <= 4096, "boot info fits a page");
	memset(bi, 0, sizeof(*bi));
	bi->magic = BOOTINFO_MAGIC;
	bi->version = 1;
	bi->cspace_slots = ROOT_CSPACE_SLOTS;
	bi->ipcbuf_va = ROOT_IPCBUF_VA;
	bi->stack_top = ROOT_STACK_TOP;
	bi->heap_va = ROOT_HEAP_VA;
	bi->heap_end = ROOT_HEAP_END;
	bi->tick_hz = ra->tick_hz;
	for (unsigned i = 0; i < POOL_IDS && i < POOL_COUNT; i++)
		bi->pool_limit[i] = quota_live(&b.acct->q[i]) ? b.acct->q[i].limit : 0;
	strlcpy(bi->cmdline, ra->cmdline, sizeof(bi->cmdline));
	if (ra->ktest)
		strlcpy(bi->ktest, ra->ktest, sizeof(bi->ktest));

	/* Devices first, so their slots are dense from SLOT_FIRST_DEV. */
	err = give_devices(&b, ra->dt, bi);
	if (err)
		goto fail;

	/* The boot archive, read-only, where it lies. */
	if (ra->archive_len > ROOTTASK_ARCHIVE_MAX) {
		b.why = "boot archive larger than its window";
		err = E_RANGE;
		goto fail;
	}
	if (ra->archive_len) {
		paddr_t base = ALIGN_DOWN(ra->archive_pa, (paddr_t)4096);
		uint32_t pages = (uint32_t)((ra->archive_pa + ra->archive_len - base + 4095) >> 12);

		err = memobj_static(base, pages, &arch_mem);
		if (!err)
			err = slot_at(&b, SLOT_ARCHIVE, &s);
		if (!err)
			err = cap_install_root(s, CAP_MEM, R_READ, &arch_mem->obj,
					       (uint32_t)(base >> 12), pages);
		if (!err)
			err = cap_map(s, b.vs, ROOT_ARCHIVE_VA, R_READ, ATTR_DEFAULT);
		if (err) {
			b.why = "boot archive";
			goto fail;
		}
		bi->archive_va = ROOT_ARCHIVE_VA + (uint32_t)(ra->archive_pa - base);
		bi->archive_size = (uint32_t)ra->archive_len;
	}
	/* A copy of the hardware device tree. */
	if (ra->dtb_len) {
		uint32_t first;

		err = alloc_map(&b, (uint32_t)((ra->dtb_len + 4095) >> 12), ROOT_DTB_VA, R_READ,
				ra->dtb, ra->dtb_len, 0, &first);
		if (err)
			goto fail;
		/* One block when it is a power of two pages, else several:
		 * slot SLOT_DTB names the first. */
		cap_move(cspace_lookup(b.cs, first), cspace_lookup(b.cs, SLOT_DTB));
		if (first + 1 == b.next)
			b.next = first;
		bi->dtb_va = ROOT_DTB_VA;
		bi->dtb_size = (uint32_t)ra->dtb_len;
	}
	/* The program. */
	for (unsigned i = 0; i < img.nseg; i++) {
		const struct elf_seg *sg = &img.seg[i];
		uintptr_t start = ALIGN_DOWN((uintptr_t)sg->vaddr, 4096);
		uintptr_t end = ALIGN_UP((uintptr_t)sg->vaddr + sg->memsz, 4096);

		err = alloc_map(&b, (uint32_t)((end - start) >> 12), start, sg->rights, sg->data,
				sg->filesz, sg->vaddr - start, NULL);
		if (err)
			goto fail;
	}
	err = alloc_map(&b, ROOT_STACK_PAGES, ROOT_STACK_TOP - ROOT_STACK_PAGES * 4096,
			R_READ | R_WRITE, NULL, 0, 0, NULL);
	if (err)
		goto fail;
	bi->first_free = b.next;

	err = thread_configure(b.t, cspace_lookup(b.cs, SLOT_CSPACE),
			       cspace_lookup(b.cs, SLOT_VSPACE), cspace_lookup(b.cs, SLOT_IPCBUF),
			       NULL);
	if (err) {
		b.why = "thread configuration";
		goto fail;
	}
	uarch_ctx_init(&b.t->ctx, img.entry, ROOT_STACK_TOP, BOOTINFO_VA);
	thread_set_prio(b.t, ROOT_PRIO, PRIO_MAX);
	err = thread_resume(b.t);
	if (err) {
		b.why = "start";
		goto fail;
	}
	root_thread = b.t;
	pr_info("root: loaded %u segments, entry 0x%08x, %u device ranges, %u slots used",
		img.nseg, (unsigned)img.entry, bi->ndev, (unsigned)b.next);
	return 0;
fail:
	*why = b.why ? b.why : "setup";
	return err;
}
