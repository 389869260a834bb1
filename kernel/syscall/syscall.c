/*
 * System-call dispatch: decode, validate, invoke.
 *
 * Every handler looks up and checks all of its capabilities and arguments
 * before it changes anything (decode-then-invoke), so a call either
 * succeeds or leaves the system as it was; docs/abi.md lists each call's
 * errors. Slot indices, pointers, lengths, rights, addresses and sizes from
 * user space are all checked here; nothing below trusts them.
 *
 * Results: r0 = status; r1..r6 per call. A preempted call (E_RESTART
 * from revocation) is re-executed: its pc is moved back to the svc and no
 * register is changed, so the pending interrupt is taken on the way out
 * and the thread re-enters the same call later.
 */
#include <hal/arch.h>
#include <hal/plat.h>
#include <ipc/fastpath.h>
#include <ipc/ipc.h>
#include <lib/irq.h>
#include <lib/ktest.h>
#include <lib/log.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/pmem.h>
#include <mm/pool.h>
#include <sched/thread.h>
#include <syscall/asm_offsets.h>
#include <syscall/kcheck.h>

#define LOG_WRITE_MAX 256
#define LOG_READ_MAX 4096

/* ----------------------------------------------------------- lookups */

static struct slot *lookup(struct thread *t, cptr_t c, int *err)
{
	struct cspace *cs = thread_cspace(t);
	struct slot *s;

	if (!cs) {
		*err = E_STATE;
		return NULL;
	}
	if (c == CPTR_NULL || c >= cs->limit) {
		*err = E_RANGE;
		return NULL;
	}
	s = cspace_lookup(cs, c);
	if (!s || slot_empty(s)) {
		*err = E_NOCAP;
		return NULL;
	}
	return s;
}

/* A capability of a given type (CAP_NULL: any) with at least `rights`. */
static struct slot *lookup_typed(struct thread *t, cptr_t c, unsigned type, unsigned rights,
				 int *err)
{
	struct slot *s = lookup(t, c, err);

	if (!s)
		return NULL;
	if (type != CAP_NULL && slot_type(s) != type) {
		*err = E_TYPE;
		return NULL;
	}
	if ((slot_rights(s) & rights) != rights) {
		*err = E_PERM;
		return NULL;
	}
	return s;
}

/* The CSpace named by a cptr (CPTR_SELF: the caller's). */
static struct cspace *lookup_cspace(struct thread *t, cptr_t c, int *err)
{
	struct slot *s;

	if (c == CPTR_SELF) {
		struct cspace *cs = thread_cspace(t);

		if (!cs)
			*err = E_STATE;
		return cs;
	}
	s = lookup_typed(t, c, CAP_CSPACE, R_WRITE, err);
	return s ? (struct cspace *)s->obj : NULL;
}

/*
 * The occupied slot idx of the CSpace named by cref (E_RANGE for the null
 * or an out-of-range index, E_NOCAP for an empty slot); *csp gets the
 * CSpace.
 */
static struct slot *lookup_occupied(struct thread *t, cptr_t cref, uint32_t idx,
				    struct cspace **csp, int *err)
{
	struct cspace *cs = lookup_cspace(t, cref, err);
	struct slot *s;

	*csp = cs;
	if (!cs)
		return NULL;
	if (idx == CPTR_NULL || idx >= cs->limit) {
		*err = E_RANGE;
		return NULL;
	}
	s = cspace_lookup(cs, idx);
	if (!s || slot_empty(s)) {
		*err = E_NOCAP;
		return NULL;
	}
	return s;
}

/*
 * Check that slot idx of cs can receive a capability without changing
 * anything (E_RANGE, E_EXIST); the slot itself is made by claim_dst, the
 * last fallible step of a call.
 */
static int check_dst(struct cspace *cs, uint32_t idx)
{
	struct slot *s;

	if (idx == CPTR_NULL || idx >= cs->limit)
		return E_RANGE;
	s = cspace_lookup(cs, idx);
	if (s && !slot_empty(s))
		return E_EXIST;
	return 0;
}

static int claim_dst(struct cspace *cs, uint32_t idx, struct slot **out)
{
	return cspace_slot(cs, idx, out);
}

/* ----------------------------------------------------------- capabilities */

static int sys_cap_derive(struct thread *t, struct uctx *c, unsigned op)
{
	struct slot *src, *dst;
	struct cspace *cs;
	int err = 0;

	src = lookup(t, c->r[0], &err);
	if (!src)
		return err;
	cs = lookup_cspace(t, c->r[1], &err);
	if (!cs)
		return err;
	err = check_dst(cs, c->r[2]);
	if (err)
		return err;
	/* Validate what the operation itself checks before claiming. */
	if (op == SYS_CAP_MINT) {
		uint32_t a, b;

		err = cap_mint_check(src, c->r[3], c->r[4], c->r[5], &a, &b);
	} else {
		err = op == SYS_CAP_COPY ? cap_copy_check(src) : cap_move_check(src);
	}
	if (err)
		return err;
	err = claim_dst(cs, c->r[2], &dst);
	if (err)
		return err;
	switch (op) {
	case SYS_CAP_COPY:
		return cap_copy(src, dst);
	case SYS_CAP_MINT:
		return cap_mint(src, dst, c->r[3], c->r[4], c->r[5]);
	default:
		return cap_move(src, dst);
	}
}

static int sys_cap_delete(struct thread *t, struct uctx *c)
{
	struct cspace *cs;
	struct slot *s;
	int err = 0;

	s = lookup_occupied(t, c->r[0], c->r[1], &cs, &err);
	return s ? cap_delete(s) : err;
}

static int sys_cap_inspect(struct thread *t, struct uctx *c)
{
	struct slot *s;
	int err = 0;
	unsigned type;

	s = lookup(t, c->r[0], &err);
	if (!s)
		return err;
	type = slot_type(s);
	c->r[1] = type | slot_rights(s) << 8 | ((slot_flags(s) & SLOT_F_MAPPED) ? 1u : 0u) << 12 |
		  (slot_depth(s) & 0xffff) << 16;
	c->r[2] = c->r[3] = c->r[4] = c->r[5] = 0;
	switch (type) {
	case CAP_MEM:
	case CAP_DEVICE:
		c->r[2] = (uint32_t)slot_pa(s);
		c->r[3] = (uint32_t)(slot_pa(s) >> 32);
		c->r[4] = s->b;
		if (slot_flags(s) & SLOT_F_MAPPED)
			c->r[5] = s->map_va & ~0xfffu;
		break;
	case CAP_ENDPOINT:
	case CAP_NOTIFICATION:
	case CAP_IRQ_HANDLER:
		c->r[2] = s->a;
		break;
	case CAP_QUOTA:
		c->r[4] = quota_available(account_heap((struct account *)s->obj));
		break;
	case CAP_CSPACE:
		c->r[4] = ((struct cspace *)s->obj)->limit;
		/* slots backed by leaves (64 per leaf; the rest read empty) */
		c->r[5] = ((struct cspace *)s->obj)->leaves * CNODE_SLOTS;
		break;
	}
	return 0;
}

/* ----------------------------------------------------------- objects */

/*
 * The common decoding of the calls that make an object from an account:
 * the account capability (with R_WRITE), the destination CSpace and an
 * empty destination slot in it, and room for one more level of
 * derivation under the account capability. Returns the account slot, or
 * NULL with *err set; nothing is changed.
 */
static struct slot *decode_creation(struct thread *t, cptr_t acct, cptr_t dcs, uint32_t dst,
				    struct cspace **cs, int *err)
{
	struct slot *as = lookup_typed(t, acct, CAP_QUOTA, R_WRITE, err);

	if (!as)
		return NULL;
	*cs = lookup_cspace(t, dcs, err);
	if (!*cs)
		return NULL;
	*err = check_dst(*cs, dst);
	if (!*err && slot_depth(as) + 1 > SLOT_DEPTH_MAX)
		*err = E_DEPTH;
	return *err ? NULL : as;
}


static int sys_obj_create(struct thread *t, struct uctx *c)
{
	struct slot *as, *dst;
	struct account *a;
	struct cspace *cs;
	struct kobj *o = NULL;
	unsigned type = c->r[1];
	int err = 0;

	as = decode_creation(t, c->r[0], c->r[2], c->r[3], &cs, &err);
	if (!as)
		return err;
	a = (struct account *)as->obj;
	switch (type) {
	case CAP_THREAD:
	case CAP_ENDPOINT:
	case CAP_NOTIFICATION:
	case CAP_VSPACE:
		if (c->r[4])
			return E_INVAL;
		break;
	case CAP_CSPACE:
		if (c->r[4] < 2 || c->r[4] > CSPACE_SLOTS)
			return E_RANGE;
		break;
	default:
		return E_TYPE;
	}
	err = claim_dst(cs, c->r[3], &dst);
	if (err)
		return err;
	switch (type) {
	case CAP_THREAD: {
		struct thread *nt;

		err = thread_create(a, &nt);
		if (!err) {
			nt->prio = 0;
			nt->mcp = 0;
		}
		o = err ? NULL : &nt->obj;
		break;
	}
	case CAP_ENDPOINT:
		err = endpoint_create(a, (struct endpoint **)&o);
		break;
	case CAP_NOTIFICATION:
		err = notification_create(a, (struct notification **)&o);
		break;
	case CAP_VSPACE:
		err = vspace_create(a, (struct vspace **)&o);
		break;
	case CAP_CSPACE:
		err = cspace_create(a, c->r[4], (struct cspace **)&o);
		break;
	}
	if (err)
		return err;
	return cap_install_child(dst, as, type, R_ALL, o, 0, 0);
}

static int sys_mem_alloc(struct thread *t, struct uctx *c)
{
	struct slot *as, *dst;
	struct memobj *m;
	struct cspace *cs;
	int err = 0;

	as = decode_creation(t, c->r[0], c->r[3], c->r[4], &cs, &err);
	if (!as)
		return err;
	if (c->r[1] >= POOL_KHEAP)
		return E_INVAL;
	if (c->r[2] > 10)
		return E_RANGE;
	err = claim_dst(cs, c->r[4], &dst);
	if (err)
		return err;
	err = memobj_alloc((struct account *)as->obj, c->r[1], c->r[2], &m);
	if (err)
		return err;
	return cap_install_child(dst, as, CAP_MEM, R_READ | R_WRITE | R_EXEC, &m->obj,
				 (uint32_t)(m->pa >> 12), m->pages);
}

static int sys_quota_carve(struct thread *t, struct uctx *c)
{
	struct slot *as, *dst;
	struct account *na;
	struct cspace *cs;
	uint32_t limit[POOL_COUNT];
	int err = 0;

	as = decode_creation(t, c->r[0], c->r[1], c->r[2], &cs, &err);
	if (!as)
		return err;
	limit[POOL_DIRECT] = c->r[3];
	limit[POOL_DMA32] = c->r[4];
	limit[POOL_HIGH] = c->r[5];
	limit[POOL_KHEAP] = c->r[6];
	err = claim_dst(cs, c->r[2], &dst);
	if (err)
		return err;
	err = account_carve((struct account *)as->obj, limit, t->name, &na);
	if (err)
		return err;
	/* A carved account is derived from the one it was carved from (the
	 * same type): it holds no right its parent lacks. */
	return cap_install_child(dst, as, CAP_QUOTA, slot_rights(as), &na->obj, 0, 0);
}

static int sys_quota_info(struct thread *t, struct uctx *c)
{
	struct slot *as;
	struct quota *q;
	int err = 0;

	as = lookup_typed(t, c->r[0], CAP_QUOTA, 0, &err);
	if (!as)
		return err;
	if (c->r[1] >= POOL_COUNT)
		return E_INVAL;
	q = &((struct account *)as->obj)->q[c->r[1]];
	if (!quota_live(q)) {
		c->r[1] = c->r[2] = c->r[3] = 0;
		return 0;
	}
	c->r[1] = q->limit;
	c->r[2] = q->used;
	c->r[3] = q->carved;
	return 0;
}

static int sys_map(struct thread *t, struct uctx *c)
{
	struct slot *vs, *m;
	int err = 0;

	vs = lookup_typed(t, c->r[0], CAP_VSPACE, R_WRITE, &err);
	if (!vs)
		return err;
	m = lookup(t, c->r[1], &err);
	if (!m)
		return err;
	if (c->r[4] != ATTR_DEFAULT && c->r[4] > ATTR_NORMAL_WB)
		return E_INVAL;
	return cap_map(m, (struct vspace *)vs->obj, c->r[2], c->r[3], c->r[4]);
}

static int sys_unmap(struct thread *t, struct uctx *c)
{
	struct slot *m;
	int err = 0;

	m = lookup(t, c->r[0], &err);
	if (!m)
		return err;
	return cap_unmap(m);
}

static int sys_map_info(struct thread *t, struct uctx *c)
{
	struct slot *vs;
	paddr_t pa;
	unsigned attr, rights;
	int err = 0;

	vs = lookup_typed(t, c->r[0], CAP_VSPACE, R_READ, &err);
	if (!vs)
		return err;
	if (((struct vspace *)vs->obj)->dead)
		return E_STATE;
	err = uarch_vs_query(&((struct vspace *)vs->obj)->arch, c->r[1], &pa, &attr, &rights);
	if (err)
		return err;
	c->r[1] = (uint32_t)pa;
	c->r[2] = (uint32_t)(pa >> 32);
	c->r[3] = rights | attr << 8;
	return 0;
}

/* ----------------------------------------------------------- threads */

static struct thread *lookup_thread(struct thread *t, cptr_t c, unsigned rights, int *err)
{
	struct slot *s = lookup_typed(t, c, CAP_THREAD, rights, err);

	return s ? (struct thread *)s->obj : NULL;
}

static int sys_thread_configure(struct thread *t, struct uctx *c)
{
	struct slot *sl[4] = { NULL, NULL, NULL, NULL };
	struct thread *target;
	int err = 0;

	target = lookup_thread(t, c->r[0], R_WRITE, &err);
	if (!target)
		return err;
	for (unsigned i = 0; i < 4; i++) {
		if (c->r[1 + i] == CPTR_NULL)
			continue;
		sl[i] = lookup(t, c->r[1 + i], &err);
		if (!sl[i])
			return err;
	}
	return thread_configure(target, sl[0], sl[1], sl[2], sl[3]);
}

static int sys_thread_set_regs(struct thread *t, struct uctx *c)
{
	struct thread *target;
	int err = 0;

	target = lookup_thread(t, c->r[0], R_WRITE, &err);
	if (!target)
		return err;
	if (c->r[1] >= UARCH_USER_TOP || c->r[2] > UARCH_USER_TOP || (c->r[1] & 3))
		return E_RANGE;
	if (target == t)
		return E_STATE;         /* the caller's own registers are its own */
	sched_stall(target);            /* running on another CPU: its registers saved first */
	target->ctx.pc = c->r[1];
	target->ctx.sp = c->r[2];
	target->ctx.r[0] = c->r[3];
	target->ctx.r[1] = c->r[4];
	target->ctx.cpsr = uarch_sanitize_cpsr(0);
	return 0;
}

static int sys_thread_get_regs(struct thread *t, struct uctx *c)
{
	struct thread *target;
	int err = 0;

	target = lookup_thread(t, c->r[0], R_READ, &err);
	if (!target)
		return err;
	sched_stall(target);            /* running on another CPU: its registers saved first */
	c->r[1] = target->ctx.pc;
	c->r[2] = target->ctx.sp;
	c->r[3] = target->ctx.r[0];
	c->r[4] = target->ctx.r[1];
	c->r[5] = target->ctx.cpsr;
	return 0;
}

static int sys_thread_prio(struct thread *t, struct uctx *c)
{
	struct thread *target, *auth;
	int err = 0;

	target = lookup_thread(t, c->r[0], R_WRITE, &err);
	if (!target)
		return err;
	auth = lookup_thread(t, c->r[2], 0, &err);
	if (!auth)
		return err;
	if (c->r[1] > PRIO_MAX)
		return E_RANGE;
	if (c->r[1] > auth->mcp)
		return E_PERM;
	return thread_set_prio(target, c->r[1], c->r[1]);
}

static int sys_thread_info(struct thread *t, struct uctx *c)
{
	struct thread *target;
	int err = 0;

	target = lookup_thread(t, c->r[0], 0, &err);
	if (!target)
		return err;
	c->r[1] = target->state | (uint32_t)target->prio << 8 | (uint32_t)target->mcp << 16;
	c->r[2] = target->fault_kind;
	c->r[3] = target->fault_addr;
	{
		/* A thread stopped on another CPU (sched_stall) stays that
		 * CPU's current one until it gets the lock and picks again;
		 * it runs nowhere from the moment it is stopped. */
		const struct cpu *rc = target->state == TS_RUNNABLE ? sched_running_cpu(target) : NULL;

		c->r[4] = target->cpu | (uint32_t)(rc ? rc->index : 0xff) << 8;
	}
	return 0;
}

/* SYS_THREAD_SET_CPU: r0 thread (R_WRITE), r1 CPU index. The thread joins
 * that CPU's ready queues; running elsewhere, it moves at its CPU's next
 * decision (at once: that CPU is interrupted). */
static int sys_thread_set_cpu(struct thread *t, struct uctx *c)
{
	struct thread *target;
	int err = 0;

	target = lookup_thread(t, c->r[0], R_WRITE, &err);
	if (!target)
		return err;
	return sched_set_cpu(target, c->r[1]);
}

/* ----------------------------------------------------------- interrupts */

static int sys_irq_get(struct thread *t, struct uctx *c)
{
	struct slot *ctl, *dst;
	struct cspace *cs;
	int err = 0;

	ctl = lookup_typed(t, c->r[0], CAP_IRQ_CONTROL, 0, &err);
	if (!ctl)
		return err;
	cs = lookup_cspace(t, c->r[2], &err);
	if (!cs)
		return err;
	err = check_dst(cs, c->r[3]);
	if (err)
		return err;
	if (c->r[1] >= (uint32_t)plat_irq_limit())
		return E_RANGE;
	err = claim_dst(cs, c->r[3], &dst);
	if (err)
		return err;
	return irqobj_get(c->r[1], dst);
}

/* ----------------------------------------------------------- system */

static int sys_log_write(struct thread *t, struct uctx *c)
{
	char buf[LOG_WRITE_MAX];
	uint32_t len = c->r[1];
	int err;

	(void)t;
	if (len > LOG_WRITE_MAX)
		return E_RANGE;
	err = uarch_copy_from_user(buf, c->r[0], len);
	if (err)
		return err;
	log_user_write(buf, len);
	return 0;
}

static int sys_log_read(struct thread *t, struct uctx *c)
{
	char buf[256];
	uint64_t pos = c->r[3];
	uint32_t len = c->r[2], done = 0;
	int err = 0;

	if (!lookup_typed(t, c->r[0], CAP_SYSTEM, R_READ, &err))
		return err;
	if (len > LOG_READ_MAX)
		return E_RANGE;
	while (done < len) {
		size_t n = log_read(&pos, buf, MIN(sizeof(buf), len - done));

		if (!n)
			break;
		err = uarch_copy_to_user(c->r[1] + done, buf, n);
		if (err)
			return err;
		done += n;
	}
	c->r[1] = done;
	c->r[2] = (uint32_t)pos;
	return 0;
}

/* SYSINFO_CHECK: every invariant walker (syscall/kcheck.h); the system
 * capability in r1, since a walk is long and not preemptible. */
static int sys_kcheck(struct thread *t, struct uctx *c)
{
	struct kcheck_result r;
	char name[16];
	int err = 0;

	if (!lookup_typed(t, c->r[1], CAP_SYSTEM, R_READ, &err))
		return err;
	err = kcheck_all(&r);
	if (!err) {
		c->r[1] = r.walkers;
		c->r[2] = r.items;
		return 0;
	}
	c->r[1] = (uint32_t)r.failed;
	c->r[2] = r.items;
	memset(name, 0, sizeof(name));
	strlcpy(name, r.name, sizeof(name));
	memcpy(&c->r[3], name, sizeof(name));
	return err;
}

static int sys_system_info(struct thread *t, struct uctx *c)
{
	(void)t;
	switch (c->r[0]) {
	case SYSINFO_RAM_MIB:
		c->r[1] = (uint32_t)(pmem_ram_bytes() >> 20);
		return 0;
	case SYSINFO_TICKS:
		c->r[1] = (uint32_t)plat_timer_ticks();
		return 0;
	case SYSINFO_TICK_HZ:
		c->r[1] = 100;
		return 0;
	case SYSINFO_HEAP_FREE:
		c->r[1] = (uint32_t)kheap_free_bytes();
		return 0;
	case SYSINFO_CYCLES_LO:
		c->r[1] = (uint32_t)arch_cycles();
		return 0;
	case SYSINFO_PREEMPTIONS:
		c->r[1] = cap_preemptions;
		c->r[2] = cap_preemptions_for_lock;
		return 0;
	case SYSINFO_IDLE_LO:
		c->r[1] = this_cpu()->idle_cycles;
		return 0;
	case SYSINFO_FRAME_TABLE:
		c->r[1] = (uint32_t)frame_backed_bytes();
		return 0;
	case SYSINFO_CHECK:
		return sys_kcheck(t, c);
	case SYSINFO_CPUS: {
		uint32_t mask = 0, ipis = 0;

		for (unsigned i = 0; i < HAL_MAX_CPUS; i++) {
			mask |= (uint32_t)cpus[i].online << i;
			ipis += cpus[i].ipis;
		}
		c->r[1] = (uint32_t)__builtin_popcount(mask);
		c->r[2] = mask;
		c->r[3] = this_cpu()->index;
		c->r[4] = ipis;
		c->r[5] = sched_space_unloads;
		return 0;
	}
	case SYSINFO_LOCK:
		c->r[1] = this_cpu()->lock_takes;
		c->r[2] = this_cpu()->solos;
		c->r[3] = this_cpu()->lock_wishes;
		return 0;
	}
	if (c->r[0] >= SYSINFO_POOL && c->r[0] < SYSINFO_POOL + POOL_COUNT) {
		const struct pool *p = pool_get(c->r[0] - SYSINFO_POOL);

		if (!p)
			return E_RANGE;
		c->r[1] = pool_free(p);
		c->r[2] = p->charged;
		c->r[3] = p->reserved;
		return 0;
	}
	if (c->r[0] >= SYSINFO_KCACHE && c->r[0] < SYSINFO_KCACHE + 64) {
		const struct kcache *k = kcache_first();
		char name[16];

		for (uint32_t i = c->r[0] - SYSINFO_KCACHE; k && i; i--)
			k = k->next;
		if (!k)
			return E_RANGE;
		c->r[1] = kcache_inuse(k);
		c->r[2] = (uint32_t)kcache_bytes(k);
		memset(name, 0, sizeof(name));
		strlcpy(name, k->name, sizeof(name));
		memcpy(&c->r[3], name, sizeof(name));
		return 0;
	}
	return E_INVAL;
}

static int sys_poweroff(struct thread *t, struct uctx *c)
{
	int err = 0;

	if (!lookup_typed(t, c->r[0], CAP_SYSTEM, R_WRITE, &err))
		return err;
	if (c->r[2] == POWEROFF_RESET) {
		pr_info("reset requested by %s", t->name);
		plat_reset();
		return E_NOSYS;                 /* no PSCI: nothing happened */
	}
	if (c->r[2])
		return E_INVAL;
	{
		/* Kernel test failures of this boot count too. */
		int status = c->r[1] ? (int)c->r[1] : ktest_failures() ? 1 : 0;

		pr_info("poweroff: status %d, requested by %s", status, t->name);
		arch_exit(status);
	}
}

/* ----------------------------------------------------------- dispatch */

/* The calls that name a capability in r0 first (IPC). */
static int sys_ipc(struct thread *t, struct uctx *c, uint32_t n)
{
	struct slot *s;
	int err = 0;

	if (n == SYS_REPLY)
		return ipc_reply(t);
	s = lookup(t, c->r[0], &err);
	if (!s)
		return err;
	switch (n) {
	case SYS_RECV:
	case SYS_NBRECV:
		return ipc_recv(t, s, n == SYS_RECV);
	case SYS_REPLY_RECV:
		return ipc_reply_recv(t, s);
	}
	return ipc_send(t, s, n != SYS_NBSEND, n == SYS_CALL);
}

static int sys_yield(struct thread *t, struct uctx *c)
{
	(void)t;
	(void)c;
	sched_yield();
	return 0;
}

static int sys_null(struct thread *t, struct uctx *c)
{
	(void)t;
	(void)c;
	return 0;
}

static int sys_cap_copy_mint_move(struct thread *t, struct uctx *c)
{
	return sys_cap_derive(t, c, c->r[7]);
}

/*
 * A revoke is preemptible: E_RESTART re-executes the call with the same
 * registers. The part already done may have deleted what the arguments
 * name (the CSpace capability in r0 can be one of the descendants), so
 * a preempted revoke keeps its target's CSpace referenced in the thread
 * and the re-executed call continues on that slot; if the slot is empty
 * by then, what was below it went with it and the revoke is done.
 */
static int sys_cap_revoke(struct thread *t, struct uctx *c)
{
	struct cspace *cs = t->revoke_cs, *now;
	struct slot *s;
	int err = 0;

	if (cs) {
		now = lookup_cspace(t, c->r[0], &err);
		if (c->r[0] != t->revoke_cptr || c->r[1] != t->revoke_idx || (now && now != cs)) {
			/* Not the preempted call (the registers were set
			 * meanwhile): forget it. */
			t->revoke_cs = NULL;
			obj_put(&cs->obj);
			cs = NULL;
		}
	}
	if (cs) {
		/* Re-executed after a preemption: continue on the slot found
		 * the first time (a CSpace argument that no longer resolves
		 * is the revoke's own doing). An emptied slot means that what
		 * was below it went with it: done. */
		s = cspace_lookup(cs, t->revoke_idx);
		err = s && !slot_empty(s) ? cap_revoke(s) : 0;
	} else {
		err = 0;
		s = lookup_occupied(t, c->r[0], c->r[1], &cs, &err);
		if (!s)
			return err;
		/* Referenced before the revoke starts: the capabilities that
		 * keep the CSpace alive may be among the victims. */
		obj_get(&cs->obj);
		t->revoke_cptr = c->r[0];
		t->revoke_idx = c->r[1];
		err = cap_revoke(s);
	}
	if (err == E_RESTART) {
		t->revoke_cs = cs;
	} else {
		t->revoke_cs = NULL;
		obj_put(&cs->obj);
	}
	return err;
}

static int sys_cap_save_reply(struct thread *t, struct uctx *c)
{
	struct cspace *cs = thread_cspace(t);
	struct slot *dst;
	int err;

	if (!cs)
		return E_STATE;
	err = check_dst(cs, c->r[0]);
	if (err)
		return err;
	if (!t->caller)
		return E_STATE;
	err = claim_dst(cs, c->r[0], &dst);
	return err ? err : ipc_save_reply(t, dst);
}

static int sys_thread_resume(struct thread *t, struct uctx *c)
{
	int err = 0;
	struct thread *x = lookup_thread(t, c->r[0], R_WRITE, &err);

	return x ? thread_resume(x) : err;
}

static int sys_thread_suspend(struct thread *t, struct uctx *c)
{
	int err = 0;
	struct thread *x = lookup_thread(t, c->r[0], R_WRITE, &err);

	return x ? thread_suspend(x) : err;
}

static int sys_irq_bind(struct thread *t, struct uctx *c)
{
	int err = 0;
	struct slot *h = lookup_typed(t, c->r[0], CAP_IRQ_HANDLER, 0, &err), *s;

	if (!h)
		return err;
	s = lookup(t, c->r[1], &err);
	return s ? irqobj_bind(h, s) : err;
}

static int sys_irq_ack(struct thread *t, struct uctx *c)
{
	int err = 0;
	struct slot *h = lookup_typed(t, c->r[0], CAP_IRQ_HANDLER, 0, &err);

	return h ? irqobj_ack(h) : err;
}

static int sys_thread_bind(struct thread *t, struct uctx *c)
{
	struct thread *x;
	struct slot *n = NULL;
	int err = 0;

	x = lookup_thread(t, c->r[0], R_WRITE, &err);
	if (!x)
		return err;
	if (c->r[1] != CPTR_NULL) {
		n = lookup_typed(t, c->r[1], CAP_NOTIFICATION, R_READ, &err);
		if (!n)
			return err;
	}
	return thread_bind_ntfn(x, n ? (struct notification *)n->obj : NULL);
}

static int sys_console(struct thread *t, struct uctx *c)
{
	int err = 0;

	if (!lookup_typed(t, c->r[0], CAP_SYSTEM, R_WRITE, &err))
		return err;
	if (c->r[1] > 1)
		return E_INVAL;
	if (c->r[1])
		pr_info("console: handed to user level (%s); kernel log in the ring", t->name);
	log_console_to_user(c->r[1] != 0);
	if (!c->r[1])
		pr_info("console: back to the kernel");
	return 0;
}

typedef int (*sys_fn)(struct thread *t, struct uctx *c);

/* Every call but IPC, by number; NULL: unknown. */
static const sys_fn sys_table[SYS_COUNT] = {
	[SYS_YIELD] = sys_yield,
	[SYS_NULL] = sys_null,
	[SYS_CAP_COPY] = sys_cap_copy_mint_move,
	[SYS_CAP_MINT] = sys_cap_copy_mint_move,
	[SYS_CAP_MOVE] = sys_cap_copy_mint_move,
	[SYS_CAP_DELETE] = sys_cap_delete,
	[SYS_CAP_REVOKE] = sys_cap_revoke,
	[SYS_CAP_INSPECT] = sys_cap_inspect,
	[SYS_CAP_SAVE_REPLY] = sys_cap_save_reply,
	[SYS_OBJ_CREATE] = sys_obj_create,
	[SYS_MEM_ALLOC] = sys_mem_alloc,
	[SYS_QUOTA_CARVE] = sys_quota_carve,
	[SYS_QUOTA_INFO] = sys_quota_info,
	[SYS_MAP] = sys_map,
	[SYS_UNMAP] = sys_unmap,
	[SYS_MAP_INFO] = sys_map_info,
	[SYS_THREAD_CONFIGURE] = sys_thread_configure,
	[SYS_THREAD_SET_REGS] = sys_thread_set_regs,
	[SYS_THREAD_GET_REGS] = sys_thread_get_regs,
	[SYS_THREAD_RESUME] = sys_thread_resume,
	[SYS_THREAD_SUSPEND] = sys_thread_suspend,
	[SYS_THREAD_SET_PRIO] = sys_thread_prio,
	[SYS_THREAD_INFO] = sys_thread_info,
	[SYS_THREAD_BIND] = sys_thread_bind,
	[SYS_THREAD_SET_CPU] = sys_thread_set_cpu,
	[SYS_IRQ_GET] = sys_irq_get,
	[SYS_IRQ_BIND] = sys_irq_bind,
	[SYS_IRQ_ACK] = sys_irq_ack,
	[SYS_LOG_WRITE] = sys_log_write,
	[SYS_LOG_READ] = sys_log_read,
	[SYS_SYSTEM_INFO] = sys_system_info,
	[SYS_POWEROFF] = sys_poweroff,
	[SYS_CONSOLE] = sys_console,
};

static int dispatch(struct thread *t, struct uctx *c, uint32_t n)
{
	if (n <= SYS_REPLY)
		return sys_ipc(t, c, n);
	if (n < SYS_COUNT && sys_table[n])
		return sys_table[n](t, c);
	return E_NOSYS;
}

/* Everything but the fast paths; kept out of line so that the fast paths
 * do not pay for its stack frame. The svc vector's own IPC fast path
 * (vectors.S) comes here directly when it declines. */
__attribute__((noinline)) struct uctx *kentry_syscall_slow(struct uctx *c, uint32_t n)
{
	struct thread *t = cur_thread();
	int ret;

	if (n >= SYS_COUNT) {
		struct ufault f;

		memset(&f, 0, sizeof(f));
		f.kind = FAULT_SYSCALL;
		f.pc = c->pc - UARCH_SVC_SIZE;
		f.status = n;
		strlcpy(f.what, "unknown system call", sizeof(f.what));
		return kentry_fault(c, &f);
	}
	ret = dispatch(t, c, n);
	if (this_cpu()->cur != t)
		return sched_exit();    /* t was destroyed by its own call */
	if (ret == E_RESTART) {
		c->pc -= UARCH_SVC_SIZE; /* re-execute the svc after the interrupt */
		return sched_exit();
	}
	/* A blocked thread's r0 is written when it is woken. */
	if (t->state == TS_RUNNABLE || ret)
		c->r[0] = (uint32_t)ret;
	if (this_cpu()->resched || obj_reap_pending())
		return sched_exit();
	sched_settle(this_cpu());
	return c;
}

/* What the svc vector's IPC fast path (arch/arm/vectors.S) reads and
 * writes: the offsets and constants of syscall/asm_offsets.h. */
_Static_assert(AO_SYS_CALL == SYS_CALL && AO_SYS_REPLY_RECV == SYS_REPLY_RECV, "asm: calls");
_Static_assert(AO_MSG_INFO_UNUSED == MSG_INFO_UNUSED, "asm: info word");
_Static_assert(AO_MSG_REG_WORDS == MSG_REG_WORDS && AO_CAP_ENDPOINT == CAP_ENDPOINT &&
	       AO_R_READ == R_READ && AO_R_WRITE == R_WRITE && AO_R_GRANT == R_GRANT,
	       "asm: ABI constants");
_Static_assert(AO_TS_RUNNABLE == TS_RUNNABLE && AO_TS_BLOCKED_RECV == TS_BLOCKED_RECV &&
	       AO_TS_BLOCKED_REPLY == TS_BLOCKED_REPLY, "asm: thread states");
_Static_assert(AO_EP_IDLE == EP_IDLE && AO_EP_SEND == EP_SEND && AO_EP_RECV == EP_RECV,
	       "asm: endpoint states");
_Static_assert(AO_THREAD_F_FAULT == THREAD_F_FAULT && AO_CNODE_BITS == CNODE_BITS,
	       "asm: flags, CSpace geometry");
#if UINTPTR_MAX == 0xffffffffu
#define AO_CHECK(name, type, field) \
	_Static_assert(AO_##name == offsetof(type, field), "asm offset " #name)
AO_CHECK(T_CTX, struct thread, ctx);
AO_CHECK(T_STATE, struct thread, state);
AO_CHECK(T_PRIO, struct thread, prio);
AO_CHECK(T_TFLAGS, struct thread, tflags);
AO_CHECK(T_QNEXT, struct thread, qnext);
AO_CHECK(T_QPREV, struct thread, qprev);
AO_CHECK(T_WAIT_OBJ, struct thread, wait_obj);
AO_CHECK(T_IPC_GRANT, struct thread, ipc_grant);
AO_CHECK(T_CALLER, struct thread, caller);
AO_CHECK(T_CALLEE, struct thread, callee);
AO_CHECK(T_BOUND, struct thread, bound);
AO_CHECK(T_CSPACE, struct thread, tslot[TSLOT_CSPACE].obj);
AO_CHECK(T_VSPACE, struct thread, tslot[TSLOT_VSPACE].obj);
AO_CHECK(SLOT_INFO, struct slot, info);
AO_CHECK(SLOT_OBJ, struct slot, obj);
AO_CHECK(SLOT_A, struct slot, a);
_Static_assert(AO_SLOT_SIZE == sizeof(struct slot), "asm: slot size");
AO_CHECK(CS_LIMIT, struct cspace, limit);
AO_CHECK(CS_LEAF0, struct cspace, leaf0);
AO_CHECK(CS_MID, struct cspace, mid);
_Static_assert(offsetof(struct cnode_leaf, slot) == 0 && offsetof(struct cnode_mid, leaf) == 0,
	       "asm: CSpace nodes");
AO_CHECK(EP_HEAD, struct endpoint, head);
AO_CHECK(EP_TAIL, struct endpoint, tail);
AO_CHECK(EP_STATE, struct endpoint, state);
AO_CHECK(NTFN_WORD, struct notification, word);
AO_CHECK(CPU_CUR, struct cpu, cur);
AO_CHECK(CPU_READY_TOP, struct cpu, ready_top);
AO_CHECK(CPU_READY_BITS, struct cpu, ready_bits);
AO_CHECK(CPU_RESCHED, struct cpu, resched);
AO_CHECK(CPU_INDEX, struct cpu, index);
AO_CHECK(CPU_IN_USER, struct cpu, in_user);
AO_CHECK(CPU_IN_FAST, struct cpu, in_fast);
AO_CHECK(CPU_IN_SVC, struct cpu, in_svc);
AO_CHECK(T_CPU, struct thread, cpu);
AO_CHECK(EP_HOME, struct endpoint, home);
AO_CHECK(VS_ARCH, struct vspace, arch);
AO_CHECK(VS_ASID_GEN, struct vspace, arch.asid_gen);
AO_CHECK(VS_TTBR, struct vspace, arch.ttbr);
_Static_assert(sizeof(((struct thread *)0)->state) == 1 && sizeof(((struct thread *)0)->prio) == 1 &&
	       sizeof(((struct thread *)0)->tflags) == 1 && sizeof(((struct endpoint *)0)->state) == 1 &&
	       sizeof(((struct thread *)0)->cpu) == 1 && sizeof(((struct endpoint *)0)->home) == 1 &&
	       sizeof(((struct cpu *)0)->resched) == 1 && sizeof(((struct cpu *)0)->in_fast) == 1 &&
	       sizeof(((struct cpu *)0)->index) == 1 && sizeof(((struct cpu *)0)->in_user) == 1,
	       "asm: byte fields");
#undef AO_CHECK
#endif

/* The fast paths drop the frame pointer: they call nothing that could
 * fault, so no backtrace ever crosses them. */
__attribute__((optimize("omit-frame-pointer"))) struct uctx *kentry_call(struct uctx *c)
{
	struct uctx *r = ipc_fastpath_call(cur_thread(), FAST_ALONE);

	return r ? r : kentry_syscall_slow(c, SYS_CALL);
}

__attribute__((optimize("omit-frame-pointer"))) struct uctx *kentry_reply_recv(struct uctx *c)
{
	struct uctx *r = ipc_fastpath_reply_recv(cur_thread(), FAST_ALONE);

	return r ? r : kentry_syscall_slow(c, SYS_REPLY_RECV);
}

/*
 * Signal, wait, yield and interrupt acknowledge: their fast paths, and
 * where those decline, the general path -- kentry_syscall_slow, or for a
 * CPU alone kentry_syscall_solo_slow, whose exit gives the lock back if
 * the CPU idled (a fast path never does). Each is made twice, `solo`
 * constant in both; only tail calls, so none needs a stack frame.
 */
static inline __attribute__((always_inline)) struct uctx *declined(struct uctx *c, uint32_t n,
								   bool solo)
{
	return solo ? kentry_syscall_solo_slow(c, n) : kentry_syscall_slow(c, n);
}

static inline __attribute__((always_inline)) struct uctx *signal_entry(struct uctx *c, bool solo)
{
	struct uctx *r = ntfn_fastpath_signal(cur_thread(), FAST_ALONE);

	return r ? r : declined(c, SYS_SEND, solo);
}

static inline __attribute__((always_inline)) struct uctx *wait_entry(struct uctx *c, bool solo)
{
	struct uctx *r = ntfn_fastpath_wait(cur_thread(), FAST_ALONE);

	return r ? r : declined(c, SYS_RECV, solo);
}

static inline __attribute__((always_inline)) struct uctx *yield_entry(struct uctx *c, bool solo)
{
	struct uctx *r = sched_fastpath_yield(cur_thread(), FAST_ALONE);

	return r ? r : declined(c, SYS_YIELD, solo);
}

/* SYS_IRQ_ACK on a handler capability (any rights): the acknowledgement
 * itself, without the general path's dispatch; anything else (no such
 * capability, another type) declines and gets its error there. Shared
 * (several CPUs, kentry_other_smp): only on the CPU the line is delivered
 * to (the line's CPU, set by IRQ_BIND under the lock held alone, is its
 * home), so no two shared acknowledges of one line meet, and only with
 * the line pending (its mark otherwise written only by its interrupt,
 * taken there with the lock held alone); every error declines. The GIC's
 * set-enable register is a write of one bit. */
static inline __attribute__((always_inline)) struct uctx *irq_ack_fast(struct thread *t,
								       struct uctx *c,
								       enum fast_mode mode)
{
	struct slot *s = fast_lookup(t, c->r[0]);
	const struct irq_line *l;

	if (!s || slot_type(s) != CAP_IRQ_HANDLER)
		return NULL;
	if (mode == FAST_SHARED && (!(l = irqobj_line(s->a)) || l->cpu != this_cpu()->index ||
				    !l->pending))
		return NULL;
	c->r[0] = (uint32_t)irqobj_ack(s);
	return c;
}

static inline __attribute__((always_inline)) struct uctx *irq_ack_entry(struct uctx *c, bool solo)
{
	struct uctx *r = irq_ack_fast(cur_thread(), c, FAST_ALONE);

	return r ? r : declined(c, SYS_IRQ_ACK, solo);
}

#define FAST_ENTRIES(sfx, solo)                                                                 \
	static __attribute__((noinline, optimize("omit-frame-pointer"))) struct uctx *          \
	kentry_signal##sfx(struct uctx *c) { return signal_entry(c, solo); }                    \
	static __attribute__((noinline, optimize("omit-frame-pointer"))) struct uctx *          \
	kentry_wait##sfx(struct uctx *c) { return wait_entry(c, solo); }                        \
	static __attribute__((noinline, optimize("omit-frame-pointer"))) struct uctx *          \
	kentry_yield##sfx(struct uctx *c) { return yield_entry(c, solo); }                      \
	static __attribute__((noinline, optimize("omit-frame-pointer"))) struct uctx *          \
	kentry_irq_ack##sfx(struct uctx *c) { return irq_ack_entry(c, solo); }                  \
	/* Every call but call, reply-recv and null (kept out of the entry,                    \
	 * whose null path is the shortest there is). */                                        \
	static __attribute__((noinline, optimize("omit-frame-pointer"))) struct uctx *          \
	kentry_other##sfx(struct uctx *c, uint32_t n)                                           \
	{                                                                                       \
		if (n == SYS_SEND)                                                              \
			return kentry_signal##sfx(c);                                           \
		if (n == SYS_RECV)                                                              \
			return kentry_wait##sfx(c);                                             \
		if (n == SYS_YIELD)                                                             \
			return kentry_yield##sfx(c);                                            \
		if (n == SYS_IRQ_ACK)                                                           \
			return kentry_irq_ack##sfx(c);                                          \
		return declined(c, n, solo);                                                    \
	}

FAST_ENTRIES(, false)
FAST_ENTRIES(_solo, true)

/* The entry: only tail calls, so it needs no stack frame of its own. */
__attribute__((optimize("omit-frame-pointer"))) struct uctx *kentry_syscall(struct uctx *c)
{
	uint32_t n = c->r[7];

	_Static_assert(SYS_CALL == 0 && SYS_REPLY_RECV == 1, "fast paths first");
	if (n <= SYS_REPLY_RECV)
		return n == SYS_CALL ? kentry_call(c) : kentry_reply_recv(c);
	if (n == SYS_NULL) {
		c->r[0] = 0;
		return c;
	}
	return kentry_other(c, n);
}

struct uctx *kentry_irq(struct uctx *c)
{
	struct cpu *cpu = this_cpu();

	plat_irq_dispatch();
	/* Nothing made ready above the interrupted thread, its turn not
	 * over, nothing to reap: back to it (c is its context). */
	if (!cpu->resched && !obj_reap_pending()) {
		sched_settle(cpu);
		return c;
	}
	return sched_exit();
}

struct uctx *kentry_fault(struct uctx *c, const struct ufault *f)
{
	struct thread *t = cur_thread();

	(void)c;
	if (t)
		fault_deliver(t, f);
	return sched_exit();
}

/*
 * Several CPUs (the arch's second set of entries, taken once
 * sched_smp_start turned the kernel lock on): the same paths under the
 * lock. Another CPU may have stopped the entry's thread (sched_stall)
 * after it trapped and before it got the lock -- to read or set its
 * registers, suspend or destroy it: sched_stall marks the entry void
 * (and a system call's pc back at its svc). Such an entry does nothing
 * for its thread and touches none of its context (which may be gone);
 * the thread, if it runs again, goes on from its registers as they are
 * then (a call it was entering made again). Called once, right after
 * the lock is taken: it also clears the mark.
 */
static inline bool entry_thread_stopped(struct cpu *cpu, const struct uctx *c)
{
	const struct thread *t = (const struct thread *)((const char *)c -
							 offsetof(struct thread, ctx));

	if (cpu->entry_void) {
		cpu->entry_void = false;
		return true;
	}
	return cpu->cur != t || t->state != TS_RUNNABLE;
}

__attribute__((noinline)) struct uctx *kentry_syscall_locked(struct uctx *c)
{
	struct cpu *cpu = this_cpu();
	struct uctx *r;

	cpu->in_svc = true;             /* (seen by sched_stall once in_user is clear) */
	kernel_enter(cpu);
	cpu->in_svc = false;
	r = entry_thread_stopped(cpu, c) ? sched_exit() : kentry_syscall(c);
	kernel_exit(cpu);
	return r;
}

_Static_assert(AO_SHARE_HANDOVERS == KERNEL_LOCK_SHARE_HANDOVERS, "one protocol, C and asm");

/*
 * Signal, wait and yield between threads of this CPU, and the interrupt
 * acknowledge of a line delivered to this CPU, with the lock
 * shared, beside the same paths and the IPC fast paths on other CPUs
 * (ipc/fastpath.h, FAST_SHARED, says what they may touch). Until the
 * section has the lock shared nobody can have stopped this CPU's thread:
 * that takes the lock alone and waits for this CPU's in_user to clear,
 * which only kernel_enter and a wait for the lock to be free
 * (kernel_lock_share_wait) do -- and after such a wait a reschedule asked
 * of this CPU makes kernel_lock_share decline before cur is read.
 * Declined, or the lock held or wanted: the entry that takes it alone,
 * whose fast paths try again (alone they may make the object's home this
 * CPU). One inline body, n constant in each of the four entries made
 * from it.
 */
static inline __attribute__((always_inline)) struct uctx *shared_entry(struct uctx *c, uint32_t n)
{
	struct cpu *cpu = this_cpu();

	if (kernel_lock_share(cpu)) {
		struct thread *t = cpu->cur;
		struct uctx *r = n == SYS_SEND ? ntfn_fastpath_signal(t, FAST_SHARED) :
				 n == SYS_RECV ? ntfn_fastpath_wait(t, FAST_SHARED) :
				 n == SYS_YIELD ? sched_fastpath_yield(t, FAST_SHARED) :
						  irq_ack_fast(t, c, FAST_SHARED);

		kernel_lock_unshare(cpu);
		if (r)
			return r;
	}
	return kentry_syscall_locked(c);
}

static __attribute__((noinline)) struct uctx *kentry_signal_shared(struct uctx *c)
{
	return shared_entry(c, SYS_SEND);
}

static __attribute__((noinline)) struct uctx *kentry_wait_shared(struct uctx *c)
{
	return shared_entry(c, SYS_RECV);
}

static __attribute__((noinline)) struct uctx *kentry_yield_shared(struct uctx *c)
{
	return shared_entry(c, SYS_YIELD);
}

static __attribute__((noinline)) struct uctx *kentry_irq_ack_shared(struct uctx *c)
{
	return shared_entry(c, SYS_IRQ_ACK);
}

/* The rest of the entry below: only tail calls, no frame. */
static __attribute__((noinline, optimize("omit-frame-pointer"))) struct uctx *
kentry_other_smp(struct uctx *c, uint32_t n)
{
	if (n == SYS_SEND)
		return kentry_signal_shared(c);
	if (n == SYS_RECV)
		return kentry_wait_shared(c);
	if (n == SYS_YIELD)
		return kentry_yield_shared(c);
	if (n == SYS_IRQ_ACK)
		return kentry_irq_ack_shared(c);
	return kentry_syscall_locked(c);
}

/* The entry: SYS_NULL reads and writes only the caller's own registers,
 * so it takes no lock, and no frame either (as kentry_syscall); signal,
 * wait, yield and the interrupt acknowledge try the lock shared first. */
__attribute__((optimize("omit-frame-pointer"))) struct uctx *kentry_syscall_smp(struct uctx *c)
{
	uint32_t n = c->r[7];

	if (n == SYS_NULL) {
		c->r[0] = 0;
		return c;
	}
	return kentry_other_smp(c, n);
}

/*
 * A CPU alone (sched.c, "A CPU alone"; the svc vector of its table): it
 * holds the kernel lock across user mode and no other CPU runs kernel
 * code, so nobody can have stopped its thread and nothing needs the lock
 * taken: the one-CPU paths (the C fast paths of signal, wait, yield and
 * interrupt acknowledge first). Only a CPU that stopped being alone on
 * the way, which only the general path can do (by idling), has an exit
 * to make (kernel_exit_solo). SYS_NULL apart, as in kentry_syscall:
 * only a tail call, no frame.
 */
__attribute__((optimize("omit-frame-pointer"))) struct uctx *kentry_syscall_solo(struct uctx *c)
{
	uint32_t n = c->r[7];

	if (n == SYS_NULL) {
		c->r[0] = 0;
		return c;
	}
	return kentry_other_solo(c, n);
}

/* ... and the general path of call n, where its IPC fast paths decline. */
struct uctx *kentry_syscall_solo_slow(struct uctx *c, uint32_t n)
{
	struct uctx *r = kentry_syscall_slow(c, n);

	kernel_exit_solo(this_cpu());
	return r;
}

struct uctx *kentry_irq_smp(struct uctx *c)
{
	struct cpu *cpu = this_cpu();
	struct uctx *r;
	bool stopped;

	kernel_enter(cpu);
	stopped = entry_thread_stopped(cpu, c);
	plat_irq_dispatch();
	if (!cpu->resched && !obj_reap_pending() && !stopped) {
		sched_settle(cpu);
		r = c;
	} else {
		r = sched_exit();
	}
	kernel_exit(cpu);
	return r;
}

struct uctx *kentry_fault_smp(struct uctx *c, const struct ufault *f)
{
	struct cpu *cpu = this_cpu();
	struct uctx *r;

	kernel_enter(cpu);
	/* A stopped thread's fault is taken again when it runs (its pc is
	 * the faulting instruction). */
	r = entry_thread_stopped(cpu, c) ? sched_exit() : kentry_fault(c, f);
	kernel_exit(cpu);
	return r;
}
