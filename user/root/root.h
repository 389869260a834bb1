/*
 * The root task's shared state and the test worker helpers.
 */
#ifndef ROOT_H
#define ROOT_H

#include <cairn/cairn.h>
#include <cairn/utest_proto.h>

#define ROOT_PRIO 128
#define WORKER_PRIO 129         /* workers run as soon as they are sent to */

extern const struct bootinfo *bootinfo;
/* Set by a test: restart the machine instead of powering off after the
 * suites (blk_persist). */
extern bool root_reset_after_tests;

/* The value of "key=" in the kernel command line, copied into buf (""
 * for a bare "key"); NULL if absent. */
const char *root_arg(const char *key, char *buf, size_t len);
/* A whole-number argument "key=N" (decimal or 0x hex), or dflt when it is
 * absent or not a number. */
uint32_t root_arg_u32(const char *key, uint32_t dflt);

/* A device range given at boot whose node name starts with prefix. */
const struct bootinfo_dev *root_device(const char *prefix);

/* Mint into dst a device capability for 1 GiB + extra bytes of a bus
 * window (BOOTINFO_DEV_WINDOW) starting at a 1 GiB aligned address (*pa):
 * what a level-1 block can map. E_NOENT when no window has one (QEMU
 * virt's 64-bit PCIe window, 512 GiB at 512 GiB, does). */
#define ROOT_GIB 0x40000000u
int root_gib_window(uint64_t extra, cptr_t dst, uint64_t *pa);
/* A 1 GiB aligned GiB of user address space that the root task and the
 * workers leave free (their stacks end at 0x8000_0000). */
#define ROOT_GIB_VA 0x80000000u

struct worker {
	struct proc p;
	cptr_t cmd;             /* root's capability to the worker's command endpoint */
	cptr_t report;          /* root's receive capability for reports and faults */
	cptr_t fault;           /* the badged fault capability given to the worker */
};

/* The root's side of a worker: its command and report endpoints and the
 * fault capability (the report endpoint with fault_badge), in new slots. */
int worker_endpoints(struct worker *w, uint32_t fault_badge);
/* spawn() with everything the program's process needs paid from the
 * account acct (a slot of the root task's) instead of the root's own. */
int spawn_paid(cptr_t acct, const char *program, unsigned cslots, unsigned prio, cptr_t fault,
	       struct proc *p);
/* root_servers_up() for a test case: false (and the case failed) if the
 * system's servers could not be started. */
bool servers_up(struct utest *t);
/* Spawn a utest worker (fault endpoint: the report endpoint, badged, or
 * none if !with_fault_ep) and start it. */
int worker_new(struct worker *w, bool with_fault_ep);
/* Send a command and wait for the report (0) or a fault (1, *out holds the
 * fault message; the worker is left stopped). Negative: an error. */
int worker_cmd(struct worker *w, unsigned cmd, uint32_t a0, uint32_t a1, uint32_t a2,
	       struct msg *out);
/* Register reg of SYS_SYSTEM_INFO(what); 0 if the call fails. */
uint32_t sysinfo(unsigned what, unsigned reg);
/* The CPUs running threads (SYSINFO_CPUS), lowest first, but `skip`
 * (~0u: none), into cpu[]: how many. (Not always consecutive: a CPU that
 * did not come up leaves a gap.) */
unsigned cpus_running(unsigned cpu[8], unsigned skip);
/* Send a command (labels and mr0..mr3) without waiting for the report. */
int worker_send(struct worker *w, unsigned cmd, uint32_t a0, uint32_t a1, uint32_t a2,
		uint32_t a3);
/* A worker (worker_new, with a fault endpoint) at priority prio, moved to
 * CPU cpu. */
int worker_on_cpu(struct worker *w, unsigned cpu, unsigned prio);
/* A child of the page capability `page` mapped in w at va, writable. */
int worker_share(struct worker *w, cptr_t page, uintptr_t va);
/* A server on CPU cpu at WORKER_PRIO serving a new endpoint *ep
 * (WK_SERVE, R_READ at its WK_FIRST_FREE). 0 or the first error. */
int worker_serve_on(struct worker *w, unsigned cpu, cptr_t *ep);
/* Restart a faulted worker at its entry point. */
int worker_restart(struct worker *w);
/* Delete everything of the worker (its thread, spaces, endpoints). */
void worker_free(struct worker *w);

/* Start the servers of the system description except the shell, once
 * (the suites that talk to them share them); 0 or an error with err set. */
int root_servers_up(char *err, size_t errlen);

/* The system description (system.c). */
#define SERVER_PRIO_MAX 254
int sysdesc_hardware(char *err, size_t errlen);
int sysdesc_load(const void *blob, size_t size, char *err, size_t errlen);
int sysdesc_load_archive(char *err, size_t errlen);
int sysdesc_start(char *err, size_t errlen);
/* Start all but the clients of the service skip_user_of: the servers that
 * use it and provide nothing themselves (tests run without the
 * interactive shell; the pci and rng servers, which use the console only
 * to tell of devices coming and going, still start). */
int sysdesc_start_some(char *err, size_t errlen, const char *skip_user_of);
cptr_t sysdesc_client(const char *service);
/* A capability to `service` with the badge its provider sees for `server`
 * (NULL: a badge no server has) and `rights` (tests that act as a client). */
cptr_t sysdesc_client_as(const char *service, const char *server, unsigned rights);
cptr_t sysdesc_device_cap(const char *server, unsigned i);
int sysdesc_next_fault(struct msg *m, char *server, size_t len);
void sysdesc_serve(void) __attribute__((noreturn));

/* The shell's `test [SUITE]`: the suites that can run beside the running
 * servers (cap_revoke, faults), output through the console service;
 * returns the failures (negative: no such suite). */
int root_run_tests_on_console(const char *suite);

/* The user-level test suites: each is a file of user/root/ that defines a
 * struct utest_suite and registers it with UTEST_REGISTER(suite, order);
 * root_run_tests() runs the ones `ktest=` selects (weak: replaceable). */
int root_run_tests(const char *selection);
/* Benchmarks (the `bench` argument). */
void root_bench(void);
/* The null call, the same-core round trip and the signal of root_bench,
 * each name after name_prefix, each description followed by desc_suffix. */
void bench_same_core(const char *name_prefix, const char *desc_suffix);
/* The several-CPU benchmarks (`bench=smp`; `bench=smp-pairs`: the
 * throughput of ping-pong pairs alone, for a boot without icount). */
void root_bench_smp(bool pairs_only);
/* The dos suite's CPU, IPC and churn figures as bench lines. */
void dos_bench(void);

#endif
