/*
 * fuzz_found: the kernel bugs the system-call fuzzer found, each as the
 * shortest sequence of calls that showed it (docs/reliability.md, "Syscall
 * fuzzer", lists them with the seed that found each). Every case ends
 * with the invariant walkers.
 */
#include "root.h"

static void walkers_clean(struct utest *t)
{
	uint32_t walkers, items;
	char name[16];

	UT_EQ(sys_kcheck(SLOT_SYSTEM, &walkers, &items, name), 0);
}

/* A thread resumed before any THREAD_SET_REGS ran at pc 0 with the zeroed
 * object's cpsr, whose mode field is no user mode: the exception return
 * stayed in the kernel's mode and the kernel took a prefetch abort at 0
 * (a panic; with a page at va 0, user code in a privileged mode). It
 * must fault at pc 0 in user mode, as a message to its fault endpoint. */
static void test_thread_resumed_without_registers(struct utest *t)
{
	cptr_t th = slot_alloc(), cs = slot_alloc(), vs = slot_alloc(), ep = slot_alloc();
	struct thread_info ti;
	struct msg m = { 0, { 0 }, 0 };

	UT_ASSERT(ep);
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_THREAD, CPTR_SELF, th, 0), 0);
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_CSPACE, CPTR_SELF, cs, 16), 0);
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_VSPACE, CPTR_SELF, vs, 0), 0);
	UT_EQ(sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, ep, 0), 0);
	UT_EQ(sys_thread_configure(th, cs, vs, 0, ep), 0);
	UT_EQ(sys_thread_resume(th), 0);
	UT_EQ(sys_recv(ep, &m), 0);             /* it runs (priority 0) and faults */
	UT_EQ(MSG_LABEL(m.info), FAULT_LABEL_BASE + FAULT_PREFETCH);
	UT_EQ(m.mr[0], 0);                      /* at pc 0 */
	UT_EQ(cairn_ipcbuf->mr[4] & 0x1f, 0x10); /* in user mode */
	UT_EQ(sys_thread_info(th, &ti), 0);
	UT_EQ(ti.state, TS_BLOCKED_REPLY);      /* waiting for an answer */
	UT_EQ(sys_thread_suspend(th), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, th), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, cs), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, vs), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, ep), 0);
	walkers_clean(t);
}

/* An account carved from an account capability with fewer rights held
 * R_ALL: a derived capability with rights its parent lacks (the
 * derivation walker's failure). It holds its parent's rights. */
static void test_carved_account_keeps_parent_rights(struct utest *t)
{
	cptr_t rw = slot_alloc(), child = slot_alloc();
	struct cap_info ci;

	UT_ASSERT(child);
	UT_EQ(sys_cap_mint(SLOT_ACCOUNT, CPTR_SELF, rw, R_READ | R_WRITE, 0, 0), 0);
	UT_EQ(sys_quota_carve(rw, CPTR_SELF, child, 4, 0, 0, 4096), 0);
	UT_EQ(sys_cap_inspect(child, &ci), 0);
	UT_EQ(ci.type, CAP_QUOTA);
	UT_EQ(ci.rights, R_READ | R_WRITE);
	walkers_clean(t);
	if (t->failed)
		return;
	UT_EQ(sys_cap_delete(CPTR_SELF, child), 0);
	UT_EQ(sys_cap_delete(CPTR_SELF, rw), 0);
}

/* RAM mapped with ATTR_DEVICE and R_EXEC: the page tables set XN (device
 * memory is never executable) while the capability recorded an
 * executable mapping (the mapping walker's failure). Refused: E_INVAL. */
static void test_device_attribute_never_executable(struct utest *t)
{
	cptr_t mem = slot_alloc();
	uint64_t pa;
	unsigned rights, attr;

	UT_ASSERT(mem);
	UT_EQ(sys_mem_alloc(SLOT_ACCOUNT, POOL_ID_DIRECT, 0, CPTR_SELF, mem), 0);
	UT_EQ(sys_map(SLOT_VSPACE, mem, ROOT_GIB_VA, R_READ | R_EXEC, ATTR_DEVICE), E_INVAL);
	UT_EQ(sys_map_info(SLOT_VSPACE, ROOT_GIB_VA, &pa, &rights, &attr), E_NOENT);
	UT_EQ(sys_map(SLOT_VSPACE, mem, ROOT_GIB_VA, R_READ, ATTR_DEVICE), 0);
	UT_EQ(sys_map_info(SLOT_VSPACE, ROOT_GIB_VA, &pa, &rights, &attr), 0);
	UT_EQ(rights, R_READ);
	UT_EQ(attr, ATTR_DEVICE);
	walkers_clean(t);
	UT_EQ(sys_cap_delete(CPTR_SELF, mem), 0);
	UT_EQ(sys_map_info(SLOT_VSPACE, ROOT_GIB_VA, &pa, &rights, &attr), E_NOENT);
}

static const struct utest_case cases[] = {
	UT_CASE(test_thread_resumed_without_registers),
	UT_CASE(test_carved_account_keeps_parent_rights),
	UT_CASE(test_device_attribute_never_executable),
};

static const struct utest_suite suite_fuzz_found = {
	.name = "fuzz_found",
	.cases = cases,
	.ncases = sizeof(cases) / sizeof(cases[0]),
};
UTEST_REGISTER(suite_fuzz_found, 12);
