/*
 * kcheck: the table of invariant walkers (syscall/kcheck.h).
 *
 * The walkers belong to their layers (mm_check's parts in kernel/mm/,
 * cap_check in kernel/cap/check.c, sched_check in kernel/sched/,
 * ipc_check in kernel/ipc/); this layer, the lowest that sees them all,
 * only runs them in order. Cost: linear in what they walk (every frame
 * of RAM for the frame table, every slot of every CSpace for the
 * capabilities): a debugging and testing call, not a fast one, and only
 * a holder of the system capability may make it.
 */
#include <cap/cap.h>
#include <ipc/ipc.h>
#include <lib/log.h>
#include <mm/buddy.h>
#include <mm/devrange.h>
#include <mm/frame.h>
#include <mm/kheap.h>
#include <mm/pmem.h>
#include <mm/pool.h>
#include <sched/thread.h>
#include <syscall/kcheck.h>

static int check_pmem(uint32_t *n, const char **why) { (void)n; return pmem_check(why); }
static int check_frame(uint32_t *n, const char **why) { (void)n; return frame_check(why); }
static int check_buddy(uint32_t *n, const char **why) { (void)n; return buddy_check(why); }
static int check_kheap(uint32_t *n, const char **why) { (void)n; return kheap_check(why); }
static int check_pool(uint32_t *n, const char **why) { (void)n; return pool_check(why); }
static int check_devrange(uint32_t *n, const char **why) { (void)n; return devrange_check(why); }

static int check_kcaches(uint32_t *n, const char **why)
{
	for (const struct kcache *c = kcache_first(); c; c = c->next) {
		int err = kcache_check(c, why);

		if (err)
			return err;
		(*n)++;
	}
	return 0;
}

static int check_caps(uint32_t *n, const char **why)
{
	return cap_check(thread_each_internal, n, why);
}

static int check_sched(uint32_t *n, const char **why) { return sched_check(n, why); }

static int check_ipc(uint32_t *n, const char **why)
{
	uint32_t irqs_bound = 0;
	int err = ipc_check(n, &irqs_bound, why);

	return err ? err : irqobj_check(irqs_bound, n, why);
}

static const struct walker {
	const char *name;
	int (*run)(uint32_t *items, const char **why);
} walkers[] = {
	{ "pmem", check_pmem },
	{ "frame", check_frame },
	{ "buddy", check_buddy },
	{ "kheap", check_kheap },
	{ "kcache", check_kcaches },
	{ "pool", check_pool },
	{ "devrange", check_devrange },
	{ "caps", check_caps },
	{ "sched", check_sched },
	{ "ipc", check_ipc },
};

unsigned kcheck_count(void) { return ARRAY_SIZE(walkers); }

const char *kcheck_name(unsigned i)
{
	return i < ARRAY_SIZE(walkers) ? walkers[i].name : NULL;
}

int kcheck_all(struct kcheck_result *r)
{
	r->walkers = r->items = 0;
	r->failed = -1;
	r->name = r->why = NULL;
	for (unsigned i = 0; i < ARRAY_SIZE(walkers); i++) {
		const char *why = NULL;
		int err = walkers[i].run(&r->items, &why);

		if (err) {
			r->failed = (int)i;
			r->name = walkers[i].name;
			r->why = why ? why : "(no reason given)";
			pr_err("kcheck: %s: %s", r->name, r->why);
			return E_FORMAT;
		}
		r->walkers++;
	}
	return 0;
}
