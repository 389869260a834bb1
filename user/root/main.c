/*
 * The root task: the first user program, holding every authority the
 * kernel hands out at boot (see docs/capabilities.md). It checks its boot
 * info, runs the user-level test suites and benchmarks the kernel command
 * line asks for (ktest=..., bench) and powers off after them (or at once
 * with `poweroff`); otherwise it starts the servers of the system
 * description and serves them (system.c).
 */
#include "root.h"

#include <cairn/server.h>
#include <stdlib.h>
#include <string.h>

const struct bootinfo *bootinfo;
bool root_reset_after_tests;

const struct bootinfo_dev *root_device(const char *prefix)
{
	for (unsigned i = 0; i < bootinfo->ndev; i++)
		if (strncmp(bootinfo->dev[i].name, prefix, strlen(prefix)) == 0)
			return &bootinfo->dev[i];
	return NULL;
}

int root_gib_window(uint64_t extra, cptr_t dst, uint64_t *pa)
{
	for (unsigned i = 0; i < bootinfo->ndev; i++) {
		const struct bootinfo_dev *d = &bootinfo->dev[i];
		uint64_t base = (uint64_t)d->base_hi << 32 | d->base_lo;
		uint64_t end = base + ((uint64_t)d->size_hi << 32 | d->size_lo);
		uint64_t g = (base + ROOT_GIB - 1) & ~(uint64_t)(ROOT_GIB - 1);

		if (!(d->flags & BOOTINFO_DEV_WINDOW) || g + ROOT_GIB + extra > end)
			continue;
		*pa = g;
		return sys_cap_mint(d->slot, CPTR_SELF, dst, R_READ | R_WRITE,
				    (uint32_t)((g - base) >> 12), (uint32_t)((ROOT_GIB + extra) >> 12));
	}
	return E_NOENT;
}

/* The value of "key=" in the command line, copied into buf; NULL if absent. */
const char *root_arg(const char *key, char *buf, size_t len)
{
	const char *p = bootinfo->cmdline;
	size_t klen = strlen(key);

	while (*p) {
		const char *end;

		while (*p == ' ')
			p++;
		end = strchr(p, ' ');
		if (!end)
			end = p + strlen(p);
		if ((size_t)(end - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t n = (size_t)(end - p) - klen - 1;

			if (n >= len)
				n = len - 1;
			memcpy(buf, p + klen + 1, n);
			buf[n] = '\0';
			return buf;
		}
		if ((size_t)(end - p) == klen && strncmp(p, key, klen) == 0) {
			buf[0] = '\0';
			return buf;
		}
		p = end;
	}
	return NULL;
}

uint32_t root_arg_u32(const char *key, uint32_t dflt)
{
	char buf[16];
	uint32_t v;

	if (!root_arg(key, buf, sizeof(buf)) || !cairn_parse_u32(buf, &v))
		return dflt;
	return v;
}

int root_servers_up(char *err, size_t errlen)
{
	static bool up;
	int e;

	if (up)
		return 0;
	e = sysdesc_hardware(err, errlen);
	if (!e)
		e = sysdesc_load_archive(err, errlen);
	if (!e)
		e = sysdesc_start_some(err, errlen, "console");
	if (!e)
		up = true;
	return e;
}

static cptr_t console;

static void console_out(const char *s, size_t len)
{
	console_write(console, s, (unsigned int)len);
}

/* The shell's `test [SUITE]`: the registered suites that leave the
 * running servers alone (the others claim the RTC's interrupt, restart
 * the machine or reload the description), output through the console. */
int root_run_tests_on_console(const char *suite)
{
	const struct utest_suite *beside[32];
	const struct utest_suite *const *all;
	unsigned n, nbeside = 0;
	int failures;
	bool known = !suite;

	all = utest_registered(&n);
	for (unsigned i = 0; i < n && nbeside < sizeof(beside) / sizeof(beside[0]); i++)
		if (all[i]->beside_servers) {
			beside[nbeside++] = all[i];
			known |= suite && strcmp(all[i]->name, suite) == 0;
		}
	if (!known)
		return -1;
	if (!console)
		console = sysdesc_client("console");
	cairn_out = console_out;
	failures = utest_run(beside, nbeside, suite ? suite : "all");
	cairn_out = NULL;
	return failures;
}

/* The user-level test suites the kernel left to the root task (ktest=):
 * every suite registered with UTEST_REGISTER in user/root/. Weak, so that
 * a build can replace the whole runner. Returns the failures. */
__attribute__((weak)) int root_run_tests(const char *selection)
{
	unsigned n;
	const struct utest_suite *const *suites = utest_registered(&n);

	return utest_run(suites, n, selection);
}

/* Start the servers of the system description and serve them; on a bad
 * description, say why and wait. */
static void start_system(void)
{
	char err[160];

	if (sysdesc_hardware(err, sizeof(err)) || sysdesc_load_archive(err, sizeof(err))) {
		uprintf("root: system description rejected: %s\n", err);
		return;
	}
	if (sysdesc_start(err, sizeof(err))) {
		uprintf("root: starting the servers failed: %s\n", err);
		return;
	}
	/* The uart server owns the console from now on; kernel and root
	 * task messages go to the kernel log ring (the shell's `log`). */
	sys_console(SLOT_SYSTEM, 1);
	uprintf("root: servers started\n");
	sysdesc_serve();
}

int cairn_main(uint32_t arg)
{
	struct spawn_env env;
	char sel[128];
	int failures = 0;
	bool ran = false;

	bootinfo = (const struct bootinfo *)(uintptr_t)arg;
	cairn_ipcbuf = (struct ipc_buffer *)(uintptr_t)bootinfo->ipcbuf_va;
	if (bootinfo->magic != BOOTINFO_MAGIC) {
		uprintf("root: bad boot info (magic 0x%08x)\n", (unsigned)bootinfo->magic);
		return 1;
	}
	uprintf("root: started, %u device ranges, %u slots free from %u, cmdline \"%s\"\n",
		bootinfo->ndev, bootinfo->cspace_slots - bootinfo->first_free,
		bootinfo->first_free, bootinfo->cmdline);
	slots_init(bootinfo->first_free, bootinfo->cspace_slots);
	env.account = SLOT_ACCOUNT;
	env.vspace = SLOT_VSPACE;
	env.archive = (const void *)(uintptr_t)bootinfo->archive_va;
	env.archive_len = bootinfo->archive_size;
	env.scratch_va = bootinfo->heap_va;
	spawn_init(&env);

	if (root_arg("ktest", sel, sizeof(sel))) {
		/* The kernel ran its own suites and left us the rest. */
		failures = root_run_tests(bootinfo->ktest);
		uprintf("root: user tests: %d failure%s\n", failures, failures == 1 ? "" : "s");
		ran = true;
	}
	if (root_arg("bench", sel, sizeof(sel))) {
		if (strcmp(sel, "smp") == 0 || strcmp(sel, "smp-pairs") == 0)
			root_bench_smp(strcmp(sel, "smp-pairs") == 0);
		else
			root_bench();
		ran = true;
	}
	if (root_reset_after_tests && !failures)
		sys_reset(SLOT_SYSTEM);
	if (ran || root_arg("poweroff", sel, sizeof(sel)))
		sys_poweroff(SLOT_SYSTEM, failures ? 1 : 0);
	start_system();
	return 0;
}
