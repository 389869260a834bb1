/*
 * Accounts: one quota per pool (seed 003), the CAP_QUOTA object. Every
 * object, frame and page table is charged to an account; a child account
 * is carved from its parent's quotas, and gives them back when it dies.
 * The boot account holds whatever nobody else reserved.
 */
#include <cap/cap.h>
#include <lib/log.h>
#include <lib/string.h>

static struct kcache cache_account;
static struct account boot_acct;
static bool boot_acct_ready;

#if UINTPTR_MAX == 0xffffffffu
_Static_assert(sizeof(struct account) <= 256, "account: at most 256 bytes");
#endif

static const char *const pool_quota_names[POOL_COUNT] = {
	"boot/direct", "boot/dma32", "boot/high", "boot/kheap",
};

static bool account_destroy(struct kobj *o, unsigned *work, unsigned budget);

static const struct obj_type account_type = {
	.name = "account",
	.cache = &cache_account,
	.size = sizeof(struct account),
	.destroy = account_destroy,
};

void account_init(void)
{
	obj_type_register(CAP_QUOTA, &account_type);
	boot_acct_ready = false;
}

/*
 * The boot account: root quotas over all that each pool can still promise,
 * made on first use (after the in-kernel tests, which make and destroy
 * quotas of their own), so it holds everything nobody else reserved.
 */
struct account *account_boot(void)
{
	if (boot_acct_ready)
		return &boot_acct;
	memset(&boot_acct, 0, sizeof(boot_acct));
	boot_acct.obj.type = CAP_QUOTA;
	boot_acct.obj.flags = KOBJ_STATIC;
	boot_acct.obj.refs = 1;
	strlcpy(boot_acct.name, "boot", sizeof(boot_acct.name));
	for (unsigned i = 0; i < POOL_COUNT; i++) {
		struct pool *p = pool_get(i);

		if (quota_create_root(&boot_acct.q[i], p, p->quotable - p->reserved,
				      pool_quota_names[i]))
			pr_err("account: boot quota for pool %s failed", p->name);
	}
	boot_acct_ready = true;
	return &boot_acct;
}

static bool account_destroy(struct kobj *o, unsigned *work, unsigned budget)
{
	struct account *a = (struct account *)o;

	(void)budget;
	(*work)++;
	for (unsigned i = 0; i < POOL_COUNT; i++)
		if (quota_live(&a->q[i]) && quota_destroy(&a->q[i]))
			pr_err("account: account %s: quota %u still charged at destruction", a->name,
			       i);
	if (a->parent)
		obj_put(&a->parent->obj);
	return true;
}

int account_carve(struct account *parent, const uint32_t limit[POOL_COUNT], const char *name,
		  struct account **out)
{
	struct account *a;
	int err;

	/* Validate first: the child's heap bytes come from the parent too,
	 * on top of the object itself. */
	for (unsigned i = 0; i < POOL_COUNT; i++) {
		uint64_t need = limit[i];

		if (i == POOL_KHEAP)
			need += cache_account.stride;
		if (!quota_live(&parent->q[i]) ? limit[i] != 0
					       : need > quota_available(&parent->q[i]))
			return E_NOMEM;
	}
	err = obj_alloc(&cache_account, CAP_QUOTA, parent, (void **)&a);
	if (err)
		return err;
	a->parent = parent;
	obj_get(&parent->obj);
	strlcpy(a->name, name ? name : "account", sizeof(a->name));
	for (unsigned i = 0; i < POOL_COUNT; i++) {
		if (!quota_live(&parent->q[i]))
			continue;
		err = quota_create_child(&a->q[i], &parent->q[i], limit[i], a->name);
		if (err) {
			/* Cannot happen after the check above; undo anyway. */
			while (i--)
				if (quota_live(&a->q[i]))
					quota_destroy(&a->q[i]);
			obj_put(&parent->obj);
			a->obj.flags |= KOBJ_DYING;
			obj_free(&a->obj);
			return err;
		}
	}
	*out = a;
	return 0;
}
