/*
 * Host tests of the invariant walkers (kernel/syscall/kcheck.c and the
 * walkers of each layer it runs): clean on a real state built through the
 * kernel's own calls, and each walker catches a corruption of what it
 * owns, names itself, and is clean again once the corruption is undone.
 */
#include "htest.h"
#include "mm_fakes.h"
#include "uarch_fakes.h"

#include <boot/boot.h>
#include <cap/cap.h>
#include <ipc/ipc.h>
#include <lib/error.h>
#include <mm/mm.h>
#include <sched/thread.h>
#include <syscall/kcheck.h>

#include <stdlib.h>
#include <string.h>

#define GB(x) ((paddr_t)(x) << 30)
#define MB(x) ((paddr_t)(x) << 20)

static const struct mm_device devs[] = { { 0x10000000, MB(64), 1, false } };
static struct account *acct;
static struct cspace *cs;
static struct vspace *vs;
static struct thread *th[3];
static struct endpoint *ep;

static struct slot *at(uint32_t idx)
{
	struct slot *s = NULL;

	if (cspace_slot(cs, idx, &s) != 0)
		abort();
	return s;
}

static void expect_clean(void)
{
	struct kcheck_result r;

	HT_ASSERT_MSG(kcheck_all(&r) == 0, "kcheck: %s: %s", r.name ? r.name : "-",
		      r.why ? r.why : "-");
	HT_EQ(r.walkers, kcheck_count());
	HT_ASSERT(r.items > 0);
}

static void expect_caught(const char *walker)
{
	struct kcheck_result r;

	HT_EQ(kcheck_all(&r), E_FORMAT);
	HT_ASSERT_MSG(r.name && strcmp(r.name, walker) == 0, "caught by %s (%s), not %s",
		      r.name ? r.name : "nobody", r.why ? r.why : "-", walker);
}

/* A process: account, CSpace, address space, memory mapped twice through
 * derived capabilities, a device subrange, an endpoint with a badge copy,
 * three threads (one runnable, one blocked receiving, one inactive). */
static void boot(void)
{
	uint32_t lim[POOL_COUNT] = { 4096, 0, 0, 8u << 20 };
	struct memobj *m;
	struct slot *s;

	if (mmfake_boot_bank(GB(1), MB(16), devs, 1) != 0)
		abort();
	ufake_reset();
	objects_init();
	sched_init();
	HT_EQ(account_carve(account_boot(), lim, "proc", &acct), 0);
	HT_EQ(cspace_create(acct, 4096, &cs), 0);
	HT_EQ(cap_install_root(at(1), CAP_QUOTA, R_ALL, &acct->obj, 0, 0), 0);
	HT_EQ(cap_install_child(at(2), at(1), CAP_CSPACE, R_ALL, &cs->obj, 0, 0), 0);
	HT_EQ(vspace_create(acct, &vs), 0);
	HT_EQ(cap_install_child(at(3), at(1), CAP_VSPACE, R_ALL, &vs->obj, 0, 0), 0);
	HT_EQ(memobj_alloc(acct, POOL_DIRECT, 4, &m), 0);
	HT_EQ(cap_install_child(at(4), at(1), CAP_MEM, R_READ | R_WRITE, &m->obj,
				(uint32_t)(m->pa >> 12), 16), 0);
	HT_EQ(cap_mint(at(4), at(5), R_READ, 4, 8), 0);
	HT_EQ(cap_copy(at(4), at(6)), 0);
	HT_EQ(cap_map(at(5), vs, 0x400000, R_READ, ATTR_DEFAULT), 0);
	HT_EQ(cap_map(at(6), vs, 0x800000, R_READ | R_WRITE, ATTR_DEFAULT), 0);
	HT_EQ(cap_install_root(at(7), CAP_DEVICE, R_READ | R_WRITE, NULL, 0x10000, 16384), 0);
	HT_EQ(cap_mint(at(7), at(8), R_READ | R_WRITE, 16, 16), 0);
	HT_EQ(cap_map(at(8), vs, 0x1000000, R_READ | R_WRITE, ATTR_DEFAULT), 0);
	HT_EQ(endpoint_create(acct, &ep), 0);
	HT_EQ(cap_install_child(at(9), at(1), CAP_ENDPOINT, R_ALL, &ep->obj, 0, 0), 0);
	HT_EQ(cap_mint(at(9), at(10), R_WRITE, 42, 0), 0);
	for (unsigned i = 0; i < 3; i++) {
		HT_EQ(thread_create(acct, &th[i]), 0);
		HT_EQ(cap_install_child(at(11 + i), at(1), CAP_THREAD, R_ALL, &th[i]->obj, 0, 0), 0);
		HT_EQ(thread_configure(th[i], at(2), at(3), NULL, NULL), 0);
		th[i]->prio = th[i]->mcp = 10;
	}
	sched_ready(th[0]);
	sched_ready(th[1]);
	sched_settle(this_cpu());
	s = at(9);
	HT_EQ(ipc_recv(th[1], s, true), 0);     /* no sender: th[1] blocks */
	HT_EQ(th[1]->state, TS_BLOCKED_RECV);
	(void)s;
}

static void clean_through_derive_map_revoke(void)
{
	boot();
	expect_clean();
	HT_EQ(cap_revoke(at(4)), 0);            /* both mappings go with the copies */
	HT_EQ(vs->maprefs, 1u);
	expect_clean();
	HT_EQ(cap_delete(at(13)), 0);           /* th[2]'s last capability: it dies */
	obj_reap(0);
	expect_clean();
}

static void caught_derivation_tree(void)
{
	struct slot *s5, *s6;
	uint32_t info;

	boot();
	s5 = at(5);
	s6 = at(6);
	/* A sibling link that is not answered. */
	HT_ASSERT(s6->next == s5 || s5->next == s6);
	{
		struct slot *first = s6->next == s5 ? s6 : s5, *second = first->next;

		second->prev = NULL;
		expect_caught("caps");
		second->prev = first;
	}
	expect_clean();
	/* A right the parent lacks. */
	info = s5->info;
	s5->info |= R_EXEC << 8;
	expect_caught("caps");
	s5->info = info;
	/* A subrange that leaves its parent's range. */
	s5->b += 16;
	expect_caught("caps");
	s5->b -= 16;
	/* Fewer references than capabilities. */
	ep->obj.refs--;
	expect_caught("caps");
	ep->obj.refs++;
	expect_clean();
}

static void caught_mappings(void)
{
	boot();
	vs->arch.pages_mapped++;
	expect_caught("caps");
	vs->arch.pages_mapped--;
	vs->maprefs++;
	expect_caught("caps");
	vs->maprefs--;
	expect_clean();
}

static void caught_scheduler(void)
{
	struct cpu *c = this_cpu();

	boot();
	/* A runnable thread taken off its queue would never run again. */
	HT_ASSERT(th[0]->tflags & THREAD_F_QUEUED);
	sched_dequeue(c, th[0]);
	expect_caught("sched");
	sched_enqueue(c, th[0], false);
	expect_clean();
	c->ready_bits[0] ^= 1u << 3;
	expect_caught("sched");
	c->ready_bits[0] ^= 1u << 3;
	expect_clean();
}

static void caught_ipc(void)
{
	boot();
	/* A receiver whose state says it sends. */
	th[1]->state = TS_BLOCKED_SEND;
	expect_caught("ipc");
	th[1]->state = TS_BLOCKED_RECV;
	ep->state = EP_SEND;
	expect_caught("ipc");
	ep->state = EP_RECV;
	th[0]->callee = th[2];
	expect_caught("ipc");
	th[0]->callee = NULL;
	expect_clean();
}

static void caught_memory(void)
{
	struct quota *q = &acct->q[POOL_DIRECT];

	boot();
	q->used++;
	expect_caught("pool");
	q->used--;
	expect_clean();
}

static const struct htest_case cases[] = {
	HT_CASE(clean_through_derive_map_revoke),
	HT_CASE(caught_derivation_tree),
	HT_CASE(caught_mappings),
	HT_CASE(caught_scheduler),
	HT_CASE(caught_ipc),
	HT_CASE(caught_memory),
};

int main(void)
{
	return htest_main("kcheck", cases, (int)ARRAY_SIZE(cases));
}
