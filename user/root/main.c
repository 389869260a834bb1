/*
 * The root task: the first user program, holding every authority the
 * kernel hands out at boot (see docs/capabilities.md). Today it runs the
 * user-level test suites and benchmarks the kernel command line asks for
 * (ktest=..., bench) and powers off after them; otherwise it waits.
 */
#include "root.h"

#include <cairn/server.h>
#include <stdlib.h>
#include <string.h>

const struct bootinfo *bootinfo;
bool root_reset_after_tests;

static const struct utest_suite *const suites[] = {
	&suite_cap_revoke,
	&suite_faults,
	&suite_uipc,
	&suite_sysdesc,
	&suite_drivers,
	&suite_blk_persist,
};

const struct bootinfo_dev *root_device(const char *prefix)
{
	for (unsigned i = 0; i < bootinfo->ndev; i++)
		if (strncmp(bootinfo->dev[i].name, prefix, strlen(prefix)) == 0)
			return &bootinfo->dev[i];
	return NULL;
}

/* The value of "key=" in the command line, copied into buf; NULL if absent. */
static const char *arg_value(const char *key, char *buf, size_t len)
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

static cptr_t console;

static void console_out(const char *s, size_t len)
{
	while (len) {
		struct msg m;
		size_t n = msg_put_text(&m, CONSOLE_WRITE, s, len);

		if (sys_call(console, &m))
			return;
		s += n;
		len -= n;
	}
}

/* Suites that leave the running servers alone (the others claim the RTC's
 * interrupt, restart the machine or reload the description). */
static const struct utest_suite *const shell_suites[] = {
	&suite_cap_revoke,
	&suite_faults,
};

int root_run_tests_on_console(const char *suite)
{
	int failures;
	bool known = !suite;

	for (unsigned i = 0; suite && i < sizeof(shell_suites) / sizeof(shell_suites[0]); i++)
		known |= strcmp(shell_suites[i]->name, suite) == 0;
	if (!known)
		return -1;
	if (!console)
		console = sysdesc_client("console");
	cairn_out = console_out;
	failures = utest_run(shell_suites, sizeof(shell_suites) / sizeof(shell_suites[0]),
			     suite ? suite : "all");
	cairn_out = NULL;
	return failures;
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

	if (arg_value("ktest", sel, sizeof(sel))) {
		/* The kernel ran its own suites and left us the rest. */
		failures = utest_run(suites, sizeof(suites) / sizeof(suites[0]), bootinfo->ktest);
		uprintf("root: user tests: %d failure%s\n", failures, failures == 1 ? "" : "s");
		ran = true;
	}
	if (arg_value("bench", sel, sizeof(sel))) {
		root_bench();
		ran = true;
	}
	if (root_reset_after_tests && !failures)
		sys_reset(SLOT_SYSTEM);
	if (ran || arg_value("poweroff", sel, sizeof(sel)))
		sys_poweroff(SLOT_SYSTEM, failures ? 1 : 0);
	start_system();
	return 0;
}
