/*
 * shell: the console shell, a user-level program. It reads lines through
 * the uart server's "console" service and answers from what the services
 * it uses can tell: the root task (processes, devices, memory,
 * capabilities, the kernel log, power), and the rtc server (date). Input
 * may be a terminal or a pipe: characters are echoed as they come, and a
 * line ends at CR or LF.
 */
#include <cairn/cairn.h>
#include <cairn/server.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONSOLE SRV_USES(0)
#define TIME SRV_USES(1)
#define ROOT SRV_USES(2)
#define BLK SRV_USES(3)
#define PCI SRV_USES(4)
#define RNG SRV_USES(5)

static void con_write(const char *s, size_t len)
{
	console_write(CONSOLE, s, (unsigned int)len);
}

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (n > 0)
		con_write(buf, (size_t)n);
}

static size_t con_read(char *buf, size_t max)
{
	struct msg m = { MSG_INFO(CONSOLE_READ, 1, 0), { (uint32_t)max, 0, 0, 0 }, 0 };

	if (sys_call(CONSOLE, &m) || MSG_LABEL(m.info))
		return 0;
	return msg_get_text(&m, buf, max + 1);
}

/* Input read but not yet consumed (a pipe delivers many lines at once). */
static char pending[65];
static size_t npending, ipending;

static size_t read_line(char *line, size_t cap)
{
	size_t n = 0;

	for (;;) {
		if (ipending == npending) {
			npending = con_read(pending, 64);
			ipending = 0;
		}
		while (ipending < npending) {
			char c = pending[ipending++];

			if (c == '\r' || c == '\n') {
				con_write("\n", 1);
				line[n] = '\0';
				return n;
			}
			if ((c == 0x7f || c == 8) && n) {
				n--;
				con_write("\b \b", 3);
			} else if (c >= 0x20 && c < 0x7f && n + 1 < cap) {
				line[n++] = c;
				con_write(&c, 1);
			}
		}
	}
}

/* Print every row a root-service query returns. */
static void rows_of(cptr_t ep, unsigned op, const char *arg)
{
	for (unsigned row = 0;; row++) {
		struct msg m;
		char text[MSG_TEXT_MAX + 1];

		m.info = MSG_INFO(op, 4, 0);
		m.mr[0] = row;
		m.mr[1] = m.mr[2] = m.mr[3] = 0;
		if (arg)                        /* a name of up to 12 bytes in MR1..MR3 */
			memcpy(&m.mr[1], arg, strlen(arg) < 12 ? strlen(arg) : 12);
		if (sys_call(ep, &m) || MSG_LABEL(m.info))
			return;
		msg_get_text(&m, text, sizeof(text));
		out("%s\n", text);
	}
}

static void rows(unsigned op, const char *arg)
{
	rows_of(ROOT, op, arg);
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian). */
static void civil(uint32_t days, unsigned *y, unsigned *mo, unsigned *d)
{
	uint32_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*mo = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*mo <= 2);
}

static void cmd_date(void)
{
	struct msg m = { MSG_INFO(TIME_GET, 0, 0), { 0 }, 0 };
	unsigned y, mo, d;
	uint32_t t;

	if (sys_call(TIME, &m) || MSG_LABEL(m.info)) {
		out("date: the time service did not answer\n");
		return;
	}
	t = m.mr[0];
	civil(t / 86400, &y, &mo, &d);
	out("%04u-%02u-%02u %02u:%02u:%02u UTC\n", y, mo, d, (unsigned)(t % 86400 / 3600),
	    (unsigned)(t % 3600 / 60), (unsigned)(t % 60));
}

static void cmd_log(void)
{
	uint32_t off = 0;

	for (;;) {
		struct msg m = { MSG_INFO(ROOT_LOG, 1, 0), { off, 0, 0, 0 }, 0 };
		char text[MSG_TEXT_MAX + 1];
		size_t n;

		if (sys_call(ROOT, &m) || MSG_LABEL(m.info))
			return;
		n = msg_get_text(&m, text, sizeof(text));
		if (!n)
			return;
		con_write(text, n);
		off += (uint32_t)n;
	}
}

/* blk read N: the sector as a hex dump. */
static void cmd_blk(const char *args)
{
	uint8_t sector[512];
	uint32_t n;

	if (!args || strncmp(args, "read ", 5) != 0 || !*(args + 5)) {
		out("usage: blk read SECTOR\n");
		return;
	}
	if (!cairn_parse_u32(args + 5, &n)) {
		out("blk: bad sector number \"%s\"\n", args + 5);
		return;
	}
	for (unsigned off = 0; off < 512;) {
		struct msg m = { MSG_INFO(BLK_READ, 2, 0), { n, off, 0, 0 }, 0 };
		char text[MSG_TEXT_MAX + 1];
		size_t got;

		if (sys_call(BLK, &m) || MSG_LABEL(m.info)) {
			out("blk: sector %u: error %d\n", (unsigned)n, (int)m.mr[0]);
			return;
		}
		got = msg_get_text(&m, text, sizeof(text));
		if (!got)
			return;
		memcpy(sector + off, text, got);
		off += (unsigned)got;
	}
	for (unsigned i = 0; i < 512; i += 16) {
		char line[80];
		int k = snprintf(line, sizeof(line), "%03x:", i);

		for (unsigned j = 0; j < 16; j++)
			k += snprintf(line + k, sizeof(line) - (size_t)k, " %02x", sector[i + j]);
		k += snprintf(line + k, sizeof(line) - (size_t)k, "  ");
		for (unsigned j = 0; j < 16; j++)
			line[k++] = sector[i + j] >= 0x20 && sector[i + j] < 0x7f ? (char)sector[i + j] : '.';
		line[k++] = '\n';
		con_write(line, (size_t)k);
	}
}

static uint32_t boot_cycles;           /* kernel entry to the first prompt */

static uint32_t cycles(void)
{
	uint32_t v = 0;

	sys_system_info(SYSINFO_CYCLES_LO, &v);
	return v;
}

/* Cycles not spent idle: waiting for a device is not work. */
static uint32_t busy_cycles(void)
{
	uint32_t idle = 0;

	sys_system_info(SYSINFO_IDLE_LO, &idle);
	return cycles() - idle;
}

static void bench_line(const char *name, uint32_t v, const char *desc)
{
	out("bench: %s %u insns # %s\n", name, (unsigned)v, desc);
}

/*
 * System figures, read from the kernel's cycle counter (an instruction
 * count under QEMU -icount, as tools/bench runs it): minimum over runs,
 * less the cost of reading the counter itself.
 */
static void cmd_bench(void)
{
	uint32_t overhead = ~0u, con = ~0u, blk = ~0u;

	for (int i = 0; i < 16; i++) {
		uint32_t c0 = cycles(), d = cycles() - c0;

		overhead = d < overhead ? d : overhead;
	}
	bench_line("boot_to_shell_prompt", boot_cycles,
		   "kernel entry to the shell's first prompt (servers started, console handed over)");
	for (int i = 0; i < 16; i++) {
		struct msg m;
		uint32_t c0 = cycles(), d;

		msg_put_text(&m, CONSOLE_WRITE, "", 0);
		sys_call(CONSOLE, &m);
		d = cycles() - c0 - overhead;
		con = d < con ? d : con;
	}
	bench_line("console_request_roundtrip", con,
		   "an empty CONSOLE_WRITE call to the uart server and its reply");
	for (int i = 0; i < 4; i++) {
		uint32_t c0 = busy_cycles(), d;

		/* 4 KiB: eight sectors, each read from the disk at offset 0
		 * and carried in three chunks. */
		for (uint32_t sec = 0; sec < 8; sec++)
			for (uint32_t off = 0; off < 512; off += MSG_TEXT_MAX) {
				struct msg m = { MSG_INFO(BLK_READ, 2, 0),
						 { 16 + sec + (uint32_t)i * 8, off, 0, 0 }, 0 };

				sys_call(BLK, &m);
			}
		d = busy_cycles() - c0 - 2 * overhead;
		blk = d < blk ? d : blk;
	}
	bench_line("blk_read_4k", blk,
		   "read 4 KiB (8 sectors) through the blk server (idle time waiting for the disk excluded)");
}

static void cmd_test(const char *suite)
{
	struct msg m = { MSG_INFO(ROOT_TEST, 4, 0), { 0 }, 0 };

	if (suite)
		memcpy(&m.mr[1], suite, strlen(suite) < 12 ? strlen(suite) : 12);
	if (sys_call(ROOT, &m) || MSG_LABEL(m.info)) {
		out("test: the root task did not answer\n");
		return;
	}
	if ((int)m.mr[0] < 0)
		out("test: no suite \"%s\" (runtime, cap_revoke, faults)\n", suite);
	else
		out("test: %d failure%s\n", (int)m.mr[0], m.mr[0] == 1 ? "" : "s");
}

static void cmd_rng(void)
{
	struct msg m = { MSG_INFO(RNG_READ, 1, 0), { 16, 0, 0, 0 }, 0 };
	uint8_t bytes[16];
	size_t n;

	if (sys_call(RNG, &m) || MSG_LABEL(m.info)) {
		out("rng: no random bytes (%d)\n", MSG_LABEL(m.info) ? (int)m.mr[0] : -1);
		return;
	}
	n = msg_get_data(&m, 0, bytes, sizeof(bytes));
	out("rng:");
	for (size_t i = 0; i < n; i++)
		out(" %02x", bytes[i]);
	out("\n");
}

/* rng probe: the driver reads its device's status register through its
 * mapping even when the device is gone (a test of revocation: the
 * access then faults, the root task reports it and restarts the driver). */
static void cmd_rng_probe(void)
{
	struct msg m = { MSG_INFO(RNG_PROBE, 0, 0), { 0 }, 0 };
	int e = sys_call(RNG, &m);

	if (e)
		out("rng probe: no answer (%d): the driver stopped during the access\n", e);
	else if (MSG_LABEL(m.info))
		out("rng probe: refused (%d)\n", (int)m.mr[0]);
	else
		out("rng probe: status 0x%02x\n", (unsigned)m.mr[0] & 0xff);
}

/* The kernel's own figures, exactly (bytes): what must come back to the
 * same value once everything a test made is gone. */
static void cmd_kmem(void)
{
	uint32_t heap = 0, ft = 0;
	int e = sys_system_info(SYSINFO_HEAP_FREE, &heap);

	if (!e)
		e = sys_system_info(SYSINFO_FRAME_TABLE, &ft);
	if (e)
		out("kmem: the kernel did not answer (%d)\n", e);
	else
		out("kmem: heap %u bytes free, frame table %u bytes backed\n", (unsigned)heap,
		    (unsigned)ft);
}

static void help(void)
{
	static const char text[] =
	    "commands:\n"
	    "  help          this list\n"
	    "  ps            servers: priority, state, memory and heap used/limit, faults\n"
	    "  devices       device ranges, their size, attributes and holder; PCI devices\n"
	    "  mem           RAM, kernel heap, the pools of the root task's account\n"
	    "  kmem          kernel heap free and frame table backed, in bytes\n"
	    "  caps NAME     the capabilities server NAME was given\n"
	    "  date          the time of day (rtc server)\n"
	    "  blk read N    sector N of the disk, in hex (blk server)\n"
	    "  rng           16 random bytes from the virtio-rng-pci device (rng server)\n"
	    "  rng probe     the rng driver reads its device's registers, there or not\n"
	    "  log           the kernel log\n"
	    "  test [SUITE]  user-level suites runtime, cap_revoke, faults (KTAP)\n"
	    "  bench         boot, console and disk figures (instructions under -icount)\n"
	    "  poweroff      turn the machine off\n";

	con_write(text, sizeof(text) - 1);
}

int cairn_main(uint32_t arg)
{
	char line[128];

	(void)arg;
	out("\nCairn shell. Type `help` for the commands.\n");
	boot_cycles = cycles();
	for (;;) {
		char *cmd, *rest;

		out("cairn> ");
		read_line(line, sizeof(line));
		cmd = line;
		while (*cmd == ' ')
			cmd++;
		rest = strchr(cmd, ' ');
		if (rest) {
			*rest++ = '\0';
			while (*rest == ' ')
				rest++;
		}
		if (!*cmd)
			continue;
		if (strcmp(cmd, "help") == 0)
			help();
		else if (strcmp(cmd, "ps") == 0)
			rows(ROOT_PS, NULL);
		else if (strcmp(cmd, "devices") == 0) {
			rows(ROOT_DEVICES, NULL);
			rows_of(PCI, PCI_LIST, NULL);   /* nothing if there is no pci server */
		}
		else if (strcmp(cmd, "mem") == 0)
			rows(ROOT_MEM, NULL);
		else if (strcmp(cmd, "caps") == 0 && rest && *rest)
			rows(ROOT_CAPS, rest);
		else if (strcmp(cmd, "date") == 0)
			cmd_date();
		else if (strcmp(cmd, "kmem") == 0)
			cmd_kmem();
		else if (strcmp(cmd, "rng") == 0 && rest && strcmp(rest, "probe") == 0)
			cmd_rng_probe();
		else if (strcmp(cmd, "rng") == 0)
			cmd_rng();
		else if (strcmp(cmd, "blk") == 0)
			cmd_blk(rest);
		else if (strcmp(cmd, "test") == 0)
			cmd_test(rest && *rest ? rest : NULL);
		else if (strcmp(cmd, "bench") == 0)
			cmd_bench();
		else if (strcmp(cmd, "log") == 0)
			cmd_log();
		else if (strcmp(cmd, "poweroff") == 0) {
			struct msg m = { MSG_INFO(ROOT_POWEROFF, 0, 0), { 0 }, 0 };

			out("powering off\n");
			sys_call(ROOT, &m);
		} else
			out("%s: unknown command (try `help`)\n", cmd);
	}
}
