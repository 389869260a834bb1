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
 *
 * A program that cannot be loaded (its ELF lies about its segments, a
 * segment covers the stack or the IPC buffer, its memory exceeds the
 * account) is refused with the reason in p->why, and leaves nothing
 * behind: every capability spawn made is deleted, newest first (children
 * before the memory objects they were minted from), and the slots it took
 * are given back, so the paying account has all its quota again. The
 * checks that need no kernel object come first, so most lies cost nothing.
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

cptr_t slots_mark(void)
{
	return next_slot;
}

void slots_release(cptr_t mark)
{
	if (mark > next_slot)
		return;
	/* Newest first: a child minted from a memory object (its mapping)
	 * sits after it and must go before it (an original with children
	 * cannot be deleted). Empty slots answer E_NOCAP, which is fine. */
	while (next_slot > mark)
		sys_cap_delete(CPTR_SELF, --next_slot);
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

/* Why a program cannot be loaded: *p->why and the error; nothing made is
 * kept (see the top of the file). */
static int refuse(struct proc *p, cptr_t mark, const char *why, int err)
{
	slots_release(mark);
	p->cspace = p->vspace = p->thread = p->ipcbuf = CPTR_NULL;
	p->why = why;
	return err;
}

int spawn(const char *name, unsigned cslots, unsigned prio, cptr_t fault_ep, struct proc *p)
{
	const void *data;
	size_t len;
	struct elf_image img;
	const char *why;
	cptr_t mark = slots_mark();
	int err;

	memset(p, 0, sizeof(*p));
	p->name = name;
	err = cpio_lookup(env.archive, env.archive_len, name, &data, &len);
	if (err)
		return refuse(p, mark, err == E_NOENT ? "not in the boot archive" :
			      "the boot archive is damaged", err);
	err = elf_parse(data, len, &img, &why);
	if (err)
		return refuse(p, mark, why, err);
	/* The windows spawn keeps for itself: a segment there would make
	 * the stack or IPC buffer mapping fail after everything else was
	 * built, or (were it allowed) share their memory with the program. */
	if (elf_seg_overlapping(&img, PROC_IPCBUF_VA, 4096) >= 0)
		return refuse(p, mark, "a segment covers the IPC buffer page at 0x00100000",
			      E_EXIST);
	if (elf_seg_overlapping(&img, PROC_STACK_TOP - (4096u << PROC_STACK_ORDER),
				4096u << PROC_STACK_ORDER) >= 0)
		return refuse(p, mark, "a segment covers the stack below 0x80000000", E_EXIST);
	for (unsigned i = 0; i < img.nseg; i++) {
		const struct elf_seg *s = &img.seg[i];
		uint32_t start = s->vaddr & ~0xfffu;

		if ((s->vaddr + s->memsz - start + 4095) >> 12 > 1024)
			return refuse(p, mark, "a segment larger than 4 MiB", E_RANGE);
	}
	p->cspace = slot_alloc();
	p->vspace = slot_alloc();
	p->thread = slot_alloc();
	if (!p->thread)
		return refuse(p, mark, "no free slots in the spawner's CSpace", E_NOMEM);
	err = sys_obj_create(env.account, CAP_CSPACE, CPTR_SELF, p->cspace, cslots);
	if (!err)
		err = sys_obj_create(env.account, CAP_VSPACE, CPTR_SELF, p->vspace, 0);
	if (!err)
		err = sys_obj_create(env.account, CAP_THREAD, CPTR_SELF, p->thread, 0);
	if (err)
		return refuse(p, mark, "its CSpace, address space and thread", err);
	for (unsigned i = 0; i < img.nseg; i++) {
		const struct elf_seg *s = &img.seg[i];
		uint32_t start = s->vaddr & ~0xfffu;
		uint32_t pages = (s->vaddr + s->memsz - start + 4095) >> 12;

		err = place(pages, s->data, s->filesz, s->vaddr - start, p->vspace, start, s->rights,
			    NULL);
		if (err)
			return refuse(p, mark, "memory for its segments", err);
	}
	err = place(1u << PROC_STACK_ORDER, NULL, 0, 0, p->vspace,
		    PROC_STACK_TOP - (4096u << PROC_STACK_ORDER), R_READ | R_WRITE, NULL);
	if (!err)
		err = place(1, NULL, 0, 0, p->vspace, PROC_IPCBUF_VA, R_READ | R_WRITE, &p->ipcbuf);
	if (err)
		return refuse(p, mark, "memory for its stack and IPC buffer", err);
	err = sys_thread_configure(p->thread, p->cspace, p->vspace, p->ipcbuf, fault_ep);
	if (!err)
		err = sys_thread_set_prio(p->thread, prio, cairn_self);
	if (err)
		return refuse(p, mark, "configuring its thread", err);
	p->entry = img.entry;
	p->stack_top = PROC_STACK_TOP;
	return 0;
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
