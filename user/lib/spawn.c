/*
 * Processes: load an ELF program of the boot archive into a new address
 * space with a new CSpace and thread, all paid by one account.
 *
 * Each segment is one memory object (2^order pages), filled through a
 * scratch mapping in the spawner's own address space, then mapped into the
 * new space through a child capability minted with the segment's rights
 * (never writable and executable); the memory object's first capability
 * stays with the spawner, so revoking it takes the program's memory away.
 * The stack (16 KiB under 0x8000_0000) and the IPC buffer (one page at
 * 0x0010_0000) are made the same way. The archive and ELF parsing code is
 * the kernel's own (kernel/fw/cpio.c, kernel/fw/elf.c), compiled for user space.
 */
#include <cairn/cairn.h>
#include <fw/cpio.h>
#include <fw/elf.h>
#include <string.h>

#define PROC_IPCBUF_VA 0x00100000u
#define PROC_STACK_TOP 0x80000000u
#define PROC_STACK_ORDER 2

static struct spawn_env env;
static cptr_t next_slot, slot_limit;

void slots_init(cptr_t first, cptr_t limit)
{
	next_slot = first;
	slot_limit = limit;
}

cptr_t slot_alloc(void)
{
	return next_slot < slot_limit ? next_slot++ : CPTR_NULL;
}

void spawn_init(const struct spawn_env *e)
{
	env = *e;
}

void spawn_env_get(struct spawn_env *out)
{
	*out = env;
}

static unsigned order_for(uint32_t pages)
{
	unsigned o = 0;

	while ((1u << o) < pages)
		o++;
	return o;
}

/* A zeroed memory object of the 2^order pages that hold `pages`, data
 * copied at offset off, and a child capability of its first `pages` pages
 * with `rights` mapped at va in vs (exactly those pages: the rest of the
 * block must not cover the next segment). Returns the child's slot through
 * *mapped (the parent's is the one before it). */
static int place(uint32_t pages, const void *data, size_t len, size_t off, cptr_t vs,
		 uintptr_t va, unsigned rights, cptr_t *mapped)
{
	unsigned order = order_for(pages);
	cptr_t m = slot_alloc(), c = slot_alloc();
	int err;

	if (!m || !c)
		return E_NOMEM;
	err = sys_mem_alloc(env.account, POOL_ID_DIRECT, order, CPTR_SELF, m);
	if (err)
		return err;
	if (len) {
		err = sys_map(env.vspace, m, env.scratch_va, R_READ | R_WRITE, ATTR_DEFAULT);
		if (err)
			return err;
		memcpy((void *)(env.scratch_va + off), data, len);
		err = sys_unmap(m);
		if (err)
			return err;
	}
	err = sys_cap_mint(m, CPTR_SELF, c, rights, 0, pages);
	if (err)
		return err;
	err = sys_map(vs, c, va, rights, ATTR_DEFAULT);
	if (err)
		return err;
	if (mapped)
		*mapped = c;
	return 0;
}

int spawn(const char *name, unsigned cslots, unsigned prio, cptr_t fault_ep, struct proc *p)
{
	const void *data;
	size_t len;
	struct elf_image img;
	const char *why;
	int err;

	memset(p, 0, sizeof(*p));
	p->name = name;
	if (cpio_lookup(env.archive, env.archive_len, name, &data, &len))
		return E_NOENT;
	err = elf_parse(data, len, &img, &why);
	if (err)
		return err;
	p->cspace = slot_alloc();
	p->vspace = slot_alloc();
	p->thread = slot_alloc();
	if (!p->thread)
		return E_NOMEM;
	err = sys_obj_create(env.account, CAP_CSPACE, CPTR_SELF, p->cspace, cslots);
	if (!err)
		err = sys_obj_create(env.account, CAP_VSPACE, CPTR_SELF, p->vspace, 0);
	if (!err)
		err = sys_obj_create(env.account, CAP_THREAD, CPTR_SELF, p->thread, 0);
	if (err)
		return err;
	for (unsigned i = 0; i < img.nseg; i++) {
		const struct elf_seg *s = &img.seg[i];
		uint32_t start = s->vaddr & ~0xfffu;
		uint32_t pages = (s->vaddr + s->memsz - start + 4095) >> 12;

		if (pages > 1024)
			return E_RANGE;
		err = place(pages, s->data, s->filesz, s->vaddr - start, p->vspace, start, s->rights,
			    NULL);
		if (err)
			return err;
	}
	err = place(1u << PROC_STACK_ORDER, NULL, 0, 0, p->vspace,
		    PROC_STACK_TOP - (4096u << PROC_STACK_ORDER), R_READ | R_WRITE, NULL);
	if (!err)
		err = place(1, NULL, 0, 0, p->vspace, PROC_IPCBUF_VA, R_READ | R_WRITE, &p->ipcbuf);
	if (!err)
		err = sys_thread_configure(p->thread, p->cspace, p->vspace, p->ipcbuf, fault_ep);
	if (!err)
		err = sys_thread_set_prio(p->thread, prio, cairn_self);
	p->entry = img.entry;
	p->stack_top = PROC_STACK_TOP;
	return err;
}

int proc_start(struct proc *p, uint32_t arg)
{
	int err = sys_thread_set_regs(p->thread, p->entry, p->stack_top, arg, 0);

	return err ? err : sys_thread_resume(p->thread);
}

int proc_restart(struct proc *p, uint32_t arg)
{
	int err = sys_thread_suspend(p->thread);

	return err ? err : proc_start(p, arg);
}
