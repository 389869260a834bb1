/*
 * The user runtime: syscall helpers with several results, console output,
 * exit, and the KTAP test runner (the same format as the kernel's ktest,
 * so tools/test reads both alike).
 */
#include <cairn/cairn.h>
#include <cairn/server.h>
#include <lib/ktest.h>
#include <lib/parse.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

cptr_t cairn_self = SLOT_THREAD;
void (*cairn_out)(const char *s, size_t len);
struct ipc_buffer *cairn_ipcbuf = (struct ipc_buffer *)0x00100000;

static uint32_t *mr_at(struct msg *m, unsigned i)
{
	return i < 4 ? &m->mr[i] : (uint32_t *)&cairn_ipcbuf->mr[i];
}

size_t msg_put_data(struct msg *m, unsigned label, unsigned first, const void *data, size_t len)
{
	uint32_t words[MSG_MAX_WORDS];
	size_t max = (MSG_MAX_WORDS - first - 1) * 4;
	unsigned nw;

	if (len > max)
		len = max;
	memset(words, 0, sizeof(words));
	memcpy(words, data, len);
	nw = (unsigned)((len + 3) / 4);
	*mr_at(m, first) = (uint32_t)len;
	for (unsigned i = 0; i < nw; i++)
		*mr_at(m, first + 1 + i) = words[i];
	m->info = MSG_INFO(label, first + 1 + nw, 0);
	return len;
}

size_t msg_get_data(const struct msg *m, unsigned first, void *buf, size_t cap)
{
	unsigned words = MSG_LEN(m->info);
	size_t len = *mr_at((struct msg *)m, first);
	size_t have = words > first + 1 ? (words - first - 1) * 4 : 0;
	uint8_t *out = buf;

	if (len > have)
		len = have;
	if (len > cap)
		len = cap;
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(*mr_at((struct msg *)m, (unsigned)(first + 1 + i / 4)) >> (8 * (i % 4)));
	return len;
}

size_t msg_put_text(struct msg *m, unsigned label, const char *s, size_t len)
{
	return msg_put_data(m, label, 0, s, len);
}

size_t msg_get_text(const struct msg *m, char *buf, size_t cap)
{
	size_t n = msg_get_data(m, 0, buf, cap - 1);

	buf[n] = '\0';
	return n;
}

int cairn_ipc(uint32_t n, cptr_t cap, struct msg *m)
{
	CAIRN_IPC_BODY(cairn_syscall, n, cap, m);
}

int sys_cap_inspect(cptr_t slot, struct cap_info *ci)
{
	struct sysregs s = { { slot } };
	int err = cairn_syscall(SYS_CAP_INSPECT, &s);

	if (ci) {
		memset(ci, 0, sizeof(*ci));
		if (!err) {
			ci->type = s.r[1] & 0xff;
			ci->rights = (s.r[1] >> 8) & 0xf;
			ci->mapped = (s.r[1] >> 12) & 1;
			ci->depth = s.r[1] >> 16;
			ci->base = (uint64_t)s.r[3] << 32 | s.r[2];
			ci->size = s.r[4];
			ci->extra = s.r[5];
		}
	}
	return err;
}

int sys_quota_info(cptr_t acct, unsigned pool, uint32_t *limit, uint32_t *used, uint32_t *carved)
{
	struct sysregs s = { { acct, pool } };
	int err = cairn_syscall(SYS_QUOTA_INFO, &s);

	if (limit)
		*limit = err ? 0 : s.r[1];
	if (used)
		*used = err ? 0 : s.r[2];
	if (carved)
		*carved = err ? 0 : s.r[3];
	return err;
}

int sys_map_info(cptr_t vs, uintptr_t va, uint64_t *pa, unsigned *rights, unsigned *attr)
{
	struct sysregs s = { { vs, (uint32_t)va } };
	int err = cairn_syscall(SYS_MAP_INFO, &s);

	if (pa)
		*pa = err ? 0 : ((uint64_t)s.r[2] << 32 | s.r[1]);
	if (rights)
		*rights = err ? 0 : s.r[3] & 0xff;
	if (attr)
		*attr = err ? 0 : (s.r[3] >> 8) & 0xff;
	return err;
}

int sys_thread_info(cptr_t t, struct thread_info *ti)
{
	struct sysregs s = { { t } };
	int err = cairn_syscall(SYS_THREAD_INFO, &s);

	if (ti) {
		memset(ti, 0, sizeof(*ti));
		if (!err) {
			ti->state = s.r[1] & 0xff;
			ti->prio = (s.r[1] >> 8) & 0xff;
			ti->mcp = (s.r[1] >> 16) & 0xff;
			ti->fault_kind = s.r[2];
			ti->fault_addr = s.r[3];
			ti->cpu = s.r[4] & 0xff;
			ti->running_on = (s.r[4] >> 8) & 0xff;
		}
	}
	return err;
}

int sys_thread_get_regs(cptr_t t, struct thread_regs *regs)
{
	struct sysregs s = { { t } };
	int err = cairn_syscall(SYS_THREAD_GET_REGS, &s);

	if (regs) {
		memset(regs, 0, sizeof(*regs));
		if (!err) {
			regs->pc = s.r[1];
			regs->sp = s.r[2];
			regs->r0 = s.r[3];
			regs->r1 = s.r[4];
			regs->cpsr = s.r[5];
		}
	}
	return err;
}

int sys_log_read(cptr_t sys, void *buf, size_t len, uint32_t offset, uint32_t *got,
		 uint32_t *next)
{
	struct sysregs s = { { sys, (uint32_t)(uintptr_t)buf, (uint32_t)len, offset } };
	int err = cairn_syscall(SYS_LOG_READ, &s);

	if (got)
		*got = err ? 0 : s.r[1];
	if (next)
		*next = err ? offset : s.r[2];
	return err;
}

int sys_system_info(unsigned what, uint32_t *value)
{
	struct sysregs s = { { what } };
	int err = cairn_syscall(SYS_SYSTEM_INFO, &s);

	if (value)
		*value = err ? 0 : s.r[1];
	return err;
}

int sys_kcheck(cptr_t system, uint32_t *walkers, uint32_t *items, char name[16])
{
	struct sysregs s = { { SYSINFO_CHECK, system } };
	int err = cairn_syscall(SYS_SYSTEM_INFO, &s);

	if (walkers)
		*walkers = s.r[1];
	if (items)
		*items = s.r[2];
	if (name) {
		memset(name, 0, 16);
		if (err == E_FORMAT)
			memcpy(name, &s.r[3], 15);
	}
	return err;
}

int uprintf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return n;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (cairn_out)
		cairn_out(buf, (size_t)n);
	else
		sys_log_write(buf, (size_t)n);
	return n;
}

bool cairn_parse_u32(const char *s, uint32_t *out)
{
	const char *end;
	uint64_t v;

	if (!s || !parse_u64(s, &v, &end) || *end || v > 0xffffffffu)
		return false;
	*out = (uint32_t)v;
	return true;
}

int console_write(cptr_t con, const char *s, unsigned int len)
{
	int done = 0;

	while (len) {
		struct msg m;
		size_t n = msg_put_text(&m, CONSOLE_WRITE, s, len);
		int err = sys_call(con, &m);

		if (err)
			return err;
		done += (int)m.mr[0];
		s += n;
		len -= (unsigned int)n;
	}
	return done;
}

static cptr_t out_console;

static void console_out(const char *s, size_t len)
{
	console_write(out_console, s, (unsigned int)len);
}

bool console_use(cptr_t con)
{
	struct cap_info ci;

	if (sys_cap_inspect(con, &ci) || ci.type != CAP_ENDPOINT)
		return false;
	out_console = con;
	cairn_out = console_out;
	return true;
}

__attribute__((weak, noreturn)) void cairn_exit(int status)
{
	(void)status;
	for (;;)
		sys_thread_suspend(cairn_self);
}

/* ------------------------------------------------------------ KTAP */

static struct {
	bool in_suite;
	const char *suite;
	unsigned suites;        /* top-level results so far */
	unsigned cases;         /* results so far in the open suite */
	unsigned failed;        /* failures in the open suite */
} ktap;

void ktap_plan(unsigned nsuites)
{
	uprintf("KTAP version 1\n1..%u\n", nsuites);
	ktap.in_suite = false;
	ktap.suites = 0;
}

void ktap_suite_begin(const char *name, unsigned ncases)
{
	uprintf("    KTAP version 1\n    # Subtest: %s\n    1..%u\n", name, ncases);
	ktap.in_suite = true;
	ktap.suite = name;
	ktap.cases = 0;
	ktap.failed = 0;
}

/* One result line "ok N desc[ # SKIP why]", indented inside a suite. */
static void ktap_result(bool ok, const char *skip, const char *fmt, va_list ap)
{
	char desc[160];
	unsigned n;

	vsnprintf(desc, sizeof(desc), fmt, ap);
	if (ktap.in_suite) {
		n = ++ktap.cases;
		if (!ok)
			ktap.failed++;
	} else {
		n = ++ktap.suites;
	}
	uprintf("%s%s %u %s%s%s\n", ktap.in_suite ? "    " : "", ok ? "ok" : "not ok", n, desc,
		skip ? " # SKIP " : "", skip ? skip : "");
}

bool ktap_ok(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ktap_result(ok, NULL, fmt, ap);
	va_end(ap);
	return ok;
}

void ktap_skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ktap_result(true, why ? why : "", fmt, ap);
	va_end(ap);
}

void ktap_diag(const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	uprintf("%s# %s\n", ktap.in_suite ? "    " : "", msg);
}

unsigned ktap_suite_end(void)
{
	unsigned failed = ktap.failed;

	ktap.in_suite = false;
	uprintf("%s %u %s\n", failed ? "not ok" : "ok", ++ktap.suites, ktap.suite);
	return failed;
}

/* ------------------------------------------------------------ tests */

extern const struct utest_suite *const __utest_suites_start[], *const __utest_suites_end[];

const struct utest_suite *const *utest_registered(unsigned *n)
{
	*n = (unsigned)(__utest_suites_end - __utest_suites_start);
	return __utest_suites_start;
}

void utest_fail(struct utest *t, const char *file, int line, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->failed = true;
	ktap_diag("%s:%d: %s", file, line, msg);
}

bool utest_selected(const char *sel, const char *name)
{
	return sel && ktest_selected(sel, name);
}

static bool suite_selected(const char *sel, const struct utest_suite *s)
{
	if (s->by_name_only && sel && strcmp(sel, "all") == 0)
		return false;
	return utest_selected(sel, s->name);
}

int utest_run(const struct utest_suite *const *suites, unsigned n, const char *sel)
{
	unsigned nsel = 0;
	int failures = 0;

	/* Names that match no suite are reported and count as failures. */
	for (const char *p = sel; p && *p && strcmp(sel, "all") != 0;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		bool found = false;

		for (unsigned i = 0; i < n; i++)
			if (strlen(suites[i]->name) == len && strncmp(p, suites[i]->name, len) == 0)
				found = true;
		if (len && !found) {
			uprintf("# ktest: no suite named '%.*s'\n", (int)len, p);
			failures++;
		}
		if (!end)
			break;
		p = end + 1;
	}
	for (unsigned i = 0; i < n; i++)
		if (suite_selected(sel, suites[i]))
			nsel++;
	if (!nsel)
		return failures;
	ktap_plan(nsel);
	for (unsigned i = 0; i < n; i++) {
		const struct utest_suite *s = suites[i];

		if (!suite_selected(sel, s))
			continue;
		ktap_suite_begin(s->name, s->ncases);
		for (unsigned c = 0; c < s->ncases; c++) {
			struct utest t = { false, NULL };

			s->cases[c].fn(&t);
			if (t.failed)
				ktap_ok(false, "%s", s->cases[c].name);
			else if (t.skip)
				ktap_skip(t.skip, "%s", s->cases[c].name);
			else
				ktap_ok(true, "%s", s->cases[c].name);
		}
		failures += (int)ktap_suite_end();
	}
	return failures;
}
