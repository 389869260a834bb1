/*
 * Test workers: utest processes the suites command over IPC.
 */
#include "root.h"

int worker_endpoints(struct worker *w, uint32_t fault_badge)
{
	int err;

	w->cmd = slot_alloc();
	w->report = slot_alloc();
	w->fault = slot_alloc();
	if (!w->fault)
		return E_NOMEM;
	err = sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, w->cmd, 0);
	if (!err)
		err = sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, w->report, 0);
	if (!err)
		err = sys_cap_mint(w->report, CPTR_SELF, w->fault, R_WRITE, fault_badge, 0);
	return err;
}

int spawn_paid(cptr_t acct, const char *program, unsigned cslots, unsigned prio, cptr_t fault,
	       struct proc *p)
{
	struct spawn_env env, saved;
	int err;

	spawn_env_get(&saved);
	env = saved;
	env.account = acct;
	spawn_init(&env);
	err = spawn(program, cslots, prio, fault, p);
	spawn_init(&saved);
	return err;
}

bool servers_up(struct utest *t)
{
	char err[160];

	if (root_servers_up(err, sizeof(err))) {
		utest_fail(t, __FILE__, __LINE__, "system: %s", err);
		return false;
	}
	return true;
}

int worker_new(struct worker *w, bool with_fault_ep)
{
	int err = worker_endpoints(w, WK_BADGE_FAULT);

	if (err)
		return err;
	err = spawn("utest", 256, WORKER_PRIO, with_fault_ep ? w->fault : CPTR_NULL, &w->p);
	if (err)
		return err;
	err = sys_cap_mint(w->cmd, w->p.cspace, WK_CMD, R_READ, 0, 0);
	if (!err)
		err = sys_cap_mint(w->report, w->p.cspace, WK_REPORT, R_WRITE, WK_BADGE_REPORT, 0);
	if (!err)
		err = sys_cap_copy(w->p.vspace, w->p.cspace, WK_VSPACE);
	if (!err)
		err = proc_start(&w->p, 0);
	return err;
}

uint32_t sysinfo(unsigned what, unsigned reg)
{
	struct sysregs r = { { what } };

	return cairn_syscall(SYS_SYSTEM_INFO, &r) ? 0 : r.r[reg];
}

unsigned cpus_running(unsigned cpu[8], unsigned skip)
{
	uint32_t mask = sysinfo(SYSINFO_CPUS, 2);
	unsigned n = 0;

	for (unsigned i = 0; i < 8; i++)
		if ((mask >> i & 1u) && i != skip)
			cpu[n++] = i;
	return n;
}

int worker_send(struct worker *w, unsigned cmd, uint32_t a0, uint32_t a1, uint32_t a2,
		uint32_t a3)
{
	struct msg m = { MSG_INFO(cmd, 4, 0), { a0, a1, a2, a3 }, 0 };

	return sys_send(w->cmd, &m);
}

int worker_on_cpu(struct worker *w, unsigned cpu, unsigned prio)
{
	int err = worker_new(w, true);

	if (!err)
		err = sys_thread_set_prio(w->p.thread, prio, SLOT_THREAD);
	if (!err)
		err = sys_thread_set_cpu(w->p.thread, cpu);
	return err;
}

int worker_share(struct worker *w, cptr_t page, uintptr_t va)
{
	cptr_t c = slot_alloc();
	int err = c ? sys_cap_mint(page, CPTR_SELF, c, R_READ | R_WRITE, 0, 0) : E_NOMEM;

	return err ? err : sys_map(w->p.vspace, c, va, R_READ | R_WRITE, ATTR_DEFAULT);
}

int worker_serve_on(struct worker *w, unsigned cpu, cptr_t *ep)
{
	int err;

	*ep = slot_alloc();
	err = *ep ? sys_obj_create(SLOT_ACCOUNT, CAP_ENDPOINT, CPTR_SELF, *ep, 0) : E_NOMEM;
	if (!err)
		err = worker_on_cpu(w, cpu, WORKER_PRIO);
	if (!err)
		err = sys_cap_mint(*ep, w->p.cspace, WK_FIRST_FREE, R_READ, 0, 0);
	if (!err)
		err = worker_send(w, WK_SERVE, WK_FIRST_FREE, 0, 0, 0);
	return err;
}

int worker_cmd(struct worker *w, unsigned cmd, uint32_t a0, uint32_t a1, uint32_t a2,
	       struct msg *out)
{
	struct msg m = { MSG_INFO(cmd, 3, 0), { a0, a1, a2, 0 }, 0 };
	int err = sys_send(w->cmd, &m);

	if (err)
		return err;
	err = sys_recv(w->report, out);
	if (err)
		return err;
	if (out->badge == WK_BADGE_FAULT) {
		/* Answer with a non-zero label: the worker stays stopped. */
		struct msg r = { MSG_INFO(1, 0, 0), { 0 }, 0 };

		sys_reply(&r);
		return 1;
	}
	return 0;
}

int worker_restart(struct worker *w)
{
	return proc_restart(&w->p, 0);
}

void worker_free(struct worker *w)
{
	sys_thread_suspend(w->p.thread);
	sys_cap_delete(CPTR_SELF, w->p.thread);
	sys_cap_delete(CPTR_SELF, w->p.cspace);
	sys_cap_delete(CPTR_SELF, w->p.vspace);
	sys_cap_delete(CPTR_SELF, w->fault);
	sys_cap_delete(CPTR_SELF, w->report);
	sys_cap_delete(CPTR_SELF, w->cmd);
}
