/*
 * The Cairn user runtime: typed system calls, output, tests, processes.
 *
 * Every function returns the kernel's status (0 or a negative E_* code
 * from <cairn/abi.h>) unless it says otherwise; results come back through
 * pointer arguments, which may be NULL when not wanted. docs/abi.md is the
 * reference for each call's registers and errors.
 */
#ifndef CAIRN_CAIRN_H
#define CAIRN_CAIRN_H

#include <cairn/abi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------ raw calls */

struct sysregs {
	uint32_t r[7];          /* r0..r6 in; r0 status and r1..r6 results out */
};

/*
 * CAIRN_SYSCALL_FN(name, insn) defines `int name(uint32_t n, struct sysregs
 * *s)`: r7 = n, r0..r6 from *s, the instruction, r0..r6 back into *s;
 * returns r0. With "svc #0" it is the system call; benchmarks define the
 * same sequence with a nop to measure the user side alone.
 */
#define CAIRN_SYSCALL_FN(name, insn)                                              \
	static inline __attribute__((always_inline)) int name(uint32_t n, struct sysregs *s) \
	{                                                                         \
		register uint32_t r0 __asm__("r0") = s->r[0];                     \
		register uint32_t r1 __asm__("r1") = s->r[1];                     \
		register uint32_t r2 __asm__("r2") = s->r[2];                     \
		register uint32_t r3 __asm__("r3") = s->r[3];                     \
		register uint32_t r4 __asm__("r4") = s->r[4];                     \
		register uint32_t r5 __asm__("r5") = s->r[5];                     \
		register uint32_t r6 __asm__("r6") = s->r[6];                     \
		register uint32_t r7 __asm__("r7") = n;                           \
                                                                                  \
		__asm__ volatile(insn                                             \
				 : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3), "+r"(r4), \
				   "+r"(r5), "+r"(r6)                             \
				 : "r"(r7)                                        \
				 : "memory");                                     \
		s->r[0] = r0;                                                     \
		s->r[1] = r1;                                                     \
		s->r[2] = r2;                                                     \
		s->r[3] = r3;                                                     \
		s->r[4] = r4;                                                     \
		s->r[5] = r5;                                                     \
		s->r[6] = r6;                                                     \
		return (int)r0;                                                   \
	}

CAIRN_SYSCALL_FN(cairn_syscall, "svc #0")

static inline int sys0(uint32_t n)
{
	struct sysregs s = { { 0 } };

	return cairn_syscall(n, &s);
}

#define SYSCALL(n, ...)                                                     \
	({                                                                  \
		struct sysregs s_ = { { __VA_ARGS__ } };                    \
		cairn_syscall((n), &s_);                                    \
	})

/* ------------------------------------------------------------ IPC */

/* A short message: info word, MR0..MR3, and the badge on receive. Longer
 * messages put MR4.. in the IPC buffer (cairn_ipcbuf()->mr[4..]). */
struct msg {
	uint32_t info;
	uint32_t mr[4];
	uint32_t badge;
};

/* One IPC system call n on cap with message *m (in and out). */
int cairn_ipc(uint32_t n, cptr_t cap, struct msg *m);
/* The body of cairn_ipc() over a given system-call function (the
 * benchmarks build a nop version with it). */
#define CAIRN_IPC_BODY(sysfn, n, cap, m)                                    \
	do {                                                                \
		struct sysregs s_ = { { (cap), 0, 0, 0, 0, 0, 0 } };        \
		int err_;                                                   \
                                                                            \
		if ((n) != SYS_RECV && (n) != SYS_NBRECV) {                 \
			s_.r[1] = (m)->info;                                \
			s_.r[2] = (m)->mr[0];                               \
			s_.r[3] = (m)->mr[1];                               \
			s_.r[4] = (m)->mr[2];                               \
			s_.r[5] = (m)->mr[3];                               \
		}                                                           \
		err_ = sysfn((n), &s_);                                     \
		if ((n) == SYS_CALL || (n) == SYS_RECV || (n) == SYS_NBRECV || \
		    (n) == SYS_REPLY_RECV) {                                \
			(m)->info = s_.r[1];                                \
			(m)->mr[0] = s_.r[2];                               \
			(m)->mr[1] = s_.r[3];                               \
			(m)->mr[2] = s_.r[4];                               \
			(m)->mr[3] = s_.r[5];                               \
			(m)->badge = s_.r[6];                               \
		}                                                           \
		return err_;                                                \
	} while (0)

/*
 * The typed calls below, one per entry of enum sys, in the order of
 * docs/abi.md. Each comment gives the registers: "r0 ep, r1 info" means
 * the first C argument goes to r0, and so on; results named "-> r1 x" come
 * back through the pointer arguments. Every call also returns the status
 * (r0). Capability arguments are slots of the caller's CSpace; `dcs`/`cs`
 * name a CSpace (CPTR_SELF: the caller's own).
 */

/* SYS_SEND: r0 ep (endpoint, notification or reply cap), r1 info,
 * r2..r5 MR0..MR3. On a notification: signal (OR the cap's badge in). On
 * a CAP_REPLY (from sys_cap_save_reply): answer that caller, once. */
static inline int sys_send(cptr_t ep, struct msg *m) { return cairn_ipc(SYS_SEND, ep, m); }
/* SYS_NBSEND: as SEND, but never blocks (no receiver: dropped, returns 0). */
static inline int sys_nbsend(cptr_t ep, struct msg *m) { return cairn_ipc(SYS_NBSEND, ep, m); }
/* SYS_CALL: r0 ep, r1 info, r2..r5 MR0..MR3 -> r1 info, r2..r5 MR0..MR3
 * of the reply (m is overwritten with it; m->badge = 0). */
static inline int sys_call(cptr_t ep, struct msg *m) { return cairn_ipc(SYS_CALL, ep, m); }
/* SYS_RECV: r0 ep (endpoint or notification) -> r1 info, r2..r5 MRs,
 * r6 badge. A notification gives MR0 = badge = the bits signalled. */
static inline int sys_recv(cptr_t ep, struct msg *m) { return cairn_ipc(SYS_RECV, ep, m); }
/* SYS_NBRECV: as RECV, E_AGAIN instead of blocking (a notification: poll). */
static inline int sys_nbrecv(cptr_t ep, struct msg *m) { return cairn_ipc(SYS_NBRECV, ep, m); }
/* SYS_REPLY: r1 info, r2..r5 MRs: answer the thread's current caller
 * (none: nothing happens, returns 0). */
static inline int sys_reply(struct msg *m) { return cairn_ipc(SYS_REPLY, 0, m); }
/* SYS_REPLY_RECV: r0 ep, r1 info, r2..r5 MRs of the reply to the current
 * caller; then receive on ep -> r1 info, r2..r5 MRs, r6 badge (into m). */
static inline int sys_reply_recv(cptr_t ep, struct msg *m)
{
	return cairn_ipc(SYS_REPLY_RECV, ep, m);
}
/* Notifications: signal = send, wait = recv (bits in *bits), poll =
 * nbrecv (E_AGAIN when no bit is set). */
static inline int sys_signal(cptr_t n)
{
	struct msg m = { 0, { 0 }, 0 };

	return sys_send(n, &m);
}
static inline int sys_wait(cptr_t n, uint32_t *bits)
{
	struct msg m = { 0, { 0 }, 0 };
	int err = sys_recv(n, &m);

	if (bits)
		*bits = err ? 0 : m.badge;
	return err;
}
static inline int sys_poll(cptr_t n, uint32_t *bits)
{
	struct msg m = { 0, { 0 }, 0 };
	int err = sys_nbrecv(n, &m);

	if (bits)
		*bits = err ? 0 : m.badge;
	return err;
}
/* SYS_YIELD: to the next thread of the same priority. */
static inline int sys_yield(void) { return sys0(SYS_YIELD); }
/* SYS_NULL: returns 0 and does nothing (benchmarks). */
static inline int sys_null(void) { return sys0(SYS_NULL); }

/* ------------------------------------------------------------ capabilities */

/* SYS_CAP_INSPECT's results, decoded. */
struct cap_info {
	unsigned type;          /* enum cap_type */
	unsigned rights;
	bool mapped;
	unsigned depth;
	uint64_t base;          /* memory/device: physical address; ep/ntfn/irq: badge/line */
	uint32_t size;          /* memory/device: pages; account: heap bytes available;
				 * CSpace: slot limit */
	uint32_t extra;         /* mapped: virtual address; CSpace: slots backed by leaves */
};

/* SYS_CAP_COPY: r0 src, r1 dcs, r2 dst. Same rights, a child of src. */
static inline int sys_cap_copy(cptr_t src, cptr_t dcs, cptr_t dst)
{
	return SYSCALL(SYS_CAP_COPY, src, dcs, dst);
}
/* SYS_CAP_MINT: r0 src, r1 dcs, r2 dst, r3 rights, r4 a1, r5 a2. Rights
 * become rights & src's. Memory/device: a1 first page, a2 page count of
 * the subrange (0: to the end). Endpoint/notification: a1 the badge (0:
 * keep src's; non-zero on a src that has one: E_PERM), a2 must be 0.
 * Other types: a1 = a2 = 0. */
static inline int sys_cap_mint(cptr_t src, cptr_t dcs, cptr_t dst, unsigned rights, uint32_t a1,
			       uint32_t a2)
{
	return SYSCALL(SYS_CAP_MINT, src, dcs, dst, rights, a1, a2);
}
/* SYS_CAP_MOVE: r0 src, r1 dcs, r2 dst. src becomes empty. */
static inline int sys_cap_move(cptr_t src, cptr_t dcs, cptr_t dst)
{
	return SYSCALL(SYS_CAP_MOVE, src, dcs, dst);
}
/* SYS_CAP_DELETE: r0 cs, r1 slot. */
static inline int sys_cap_delete(cptr_t cs, cptr_t slot)
{
	return SYSCALL(SYS_CAP_DELETE, cs, slot);
}
/* SYS_CAP_REVOKE: r0 cs, r1 slot: delete every descendant of the slot's
 * capability (the capability itself stays). */
static inline int sys_cap_revoke(cptr_t cs, cptr_t slot)
{
	return SYSCALL(SYS_CAP_REVOKE, cs, slot);
}
/* SYS_CAP_INSPECT: r0 slot -> r1 type | rights << 8 | mapped << 12 |
 * depth << 16, r2/r3 base or badge lo/hi, r4 size, r5 extra (decoded
 * into *ci, zeroed on error). */
int sys_cap_inspect(cptr_t slot, struct cap_info *ci);
/* SYS_CAP_SAVE_REPLY: r0 dst (own CSpace): the current caller's reply
 * right becomes a CAP_REPLY capability (answer it with sys_send). */
static inline int sys_cap_save_reply(cptr_t dst)
{
	return SYSCALL(SYS_CAP_SAVE_REPLY, dst);
}

/* ------------------------------------------------------------ objects */

/* SYS_OBJ_CREATE: r0 account, r1 type (CAP_THREAD, CAP_ENDPOINT,
 * CAP_NOTIFICATION, CAP_CSPACE, CAP_VSPACE), r2 dcs, r3 dst, r4 arg
 * (CAP_CSPACE: slot limit, 2..CSPACE_SLOTS; others 0). */
static inline int sys_obj_create(cptr_t acct, unsigned type, cptr_t dcs, cptr_t dst, uint32_t arg)
{
	return SYSCALL(SYS_OBJ_CREATE, acct, type, dcs, dst, arg);
}
/* SYS_MEM_ALLOC: r0 account, r1 pool (POOL_ID_DIRECT, _DMA32, _HIGH),
 * r2 order (<= 10), r3 dcs, r4 dst: a CAP_MEM of 2^order zeroed,
 * physically contiguous pages. */
static inline int sys_mem_alloc(cptr_t acct, unsigned pool, unsigned order, cptr_t dcs,
				cptr_t dst)
{
	return SYSCALL(SYS_MEM_ALLOC, acct, pool, order, dcs, dst);
}
/* SYS_QUOTA_CARVE: r0 account, r1 dcs, r2 dst, r3 direct pages, r4 dma32
 * pages, r5 high pages, r6 heap bytes: a child account (CAP_QUOTA). */
static inline int sys_quota_carve(cptr_t acct, cptr_t dcs, cptr_t dst, uint32_t direct,
				  uint32_t dma32, uint32_t high, uint32_t heap)
{
	return SYSCALL(SYS_QUOTA_CARVE, acct, dcs, dst, direct, dma32, high, heap);
}
/* SYS_QUOTA_INFO: r0 account, r1 pool (POOL_ID_*, POOL_ID_KHEAP in bytes)
 * -> r1 limit, r2 used, r3 carved. */
int sys_quota_info(cptr_t acct, unsigned pool, uint32_t *limit, uint32_t *used,
		   uint32_t *carved);
/* SYS_MAP: r0 vspace, r1 memory or device cap, r2 va, r3 rights, r4 attr
 * (ATTR_*; ATTR_DEFAULT for the usual). The cap's whole range, once. */
static inline int sys_map(cptr_t vs, cptr_t mem, uintptr_t va, unsigned rights, unsigned attr)
{
	return SYSCALL(SYS_MAP, vs, mem, va, rights, attr);
}
/* SYS_UNMAP: r0 memory or device cap (the one that was mapped). */
static inline int sys_unmap(cptr_t mem) { return SYSCALL(SYS_UNMAP, mem); }
/* SYS_MAP_INFO: r0 vspace, r1 va -> r1/r2 pa lo/hi, r3 rights | attr << 8. */
int sys_map_info(cptr_t vs, uintptr_t va, uint64_t *pa, unsigned *rights, unsigned *attr);

/* ------------------------------------------------------------ threads */

/* SYS_THREAD_CONFIGURE: r0 thread, r1 cspace, r2 vspace, r3 ipcbuf (a
 * mapped RAM cap), r4 fault_ep. 0 for cspace/vspace/ipcbuf leaves that
 * part as it is; 0 for the fault endpoint removes it. */
static inline int sys_thread_configure(cptr_t t, cptr_t cs, cptr_t vs, cptr_t ipcbuf,
				       cptr_t fault_ep)
{
	return SYSCALL(SYS_THREAD_CONFIGURE, t, cs, vs, ipcbuf, fault_ep);
}
/* SYS_THREAD_SET_REGS: r0 thread, r1 pc, r2 sp, r3 its r0, r4 its r1
 * (ARM state, user mode; not the caller's own thread). */
static inline int sys_thread_set_regs(cptr_t t, uintptr_t pc, uintptr_t sp, uint32_t a0,
				      uint32_t a1)
{
	return SYSCALL(SYS_THREAD_SET_REGS, t, pc, sp, a0, a1);
}
/* SYS_THREAD_GET_REGS: r0 thread -> r1 pc, r2 sp, r3 r0, r4 r1, r5 cpsr. */
struct thread_regs {
	uint32_t pc, sp, r0, r1, cpsr;
};
int sys_thread_get_regs(cptr_t t, struct thread_regs *regs);
/* SYS_THREAD_RESUME, SYS_THREAD_SUSPEND: r0 thread. */
static inline int sys_thread_resume(cptr_t t) { return SYSCALL(SYS_THREAD_RESUME, t); }
static inline int sys_thread_suspend(cptr_t t) { return SYSCALL(SYS_THREAD_SUSPEND, t); }
/* SYS_THREAD_SET_PRIO: r0 thread, r1 prio (<= authority's maximum
 * controlled priority), r2 authority thread. Sets prio and mcp. */
static inline int sys_thread_set_prio(cptr_t t, unsigned prio, cptr_t authority)
{
	return SYSCALL(SYS_THREAD_SET_PRIO, t, prio, authority);
}
/* SYS_THREAD_SET_CPU: r0 thread, r1 CPU index (E_RANGE: no such CPU
 * running threads). The thread runs on that CPU from its next turn. */
static inline int sys_thread_set_cpu(cptr_t t, unsigned cpu)
{
	return SYSCALL(SYS_THREAD_SET_CPU, t, cpu);
}
/* SYS_THREAD_INFO: r0 thread -> r1 state | prio << 8 | mcp << 16,
 * r2 fault kind, r3 fault address, r4 its CPU | the CPU running it now
 * << 8 (0xff: none) (decoded into *ti). */
struct thread_info {
	unsigned state, prio, mcp;      /* enum thread_state */
	unsigned fault_kind;            /* enum fault_kind of the last fault */
	uint32_t fault_addr;
	unsigned cpu;                   /* the CPU it runs on (SYS_THREAD_SET_CPU) */
	unsigned running_on;            /* the CPU running it at the call, or 0xff */
};
int sys_thread_info(cptr_t t, struct thread_info *ti);
/* SYS_THREAD_BIND: r0 thread, r1 notification (0: unbind). While t waits
 * on an endpoint, a signal of n ends the wait with MSG_LABEL_NOTIFY. */
static inline int sys_thread_bind(cptr_t t, cptr_t n)
{
	return SYSCALL(SYS_THREAD_BIND, t, n);
}

/* ------------------------------------------------------------ interrupts, system */

/* SYS_IRQ_GET: r0 irq_control, r1 irq (GIC number, >= 32), r2 dcs, r3 dst. */
static inline int sys_irq_get(cptr_t ctl, unsigned irq, cptr_t dcs, cptr_t dst)
{
	return SYSCALL(SYS_IRQ_GET, ctl, irq, dcs, dst);
}
/* SYS_IRQ_BIND: r0 irq handler, r1 notification (signalled with the
 * handler's badge bits; the line stays masked until sys_irq_ack). */
static inline int sys_irq_bind(cptr_t h, cptr_t ntfn) { return SYSCALL(SYS_IRQ_BIND, h, ntfn); }
/* SYS_IRQ_ACK: r0 irq handler: unmask the line. */
static inline int sys_irq_ack(cptr_t h) { return SYSCALL(SYS_IRQ_ACK, h); }
/* SYS_LOG_WRITE: r0 pointer, r1 length (<= 256): to the kernel log and
 * console. Any thread. */
static inline int sys_log_write(const char *s, size_t len)
{
	return SYSCALL(SYS_LOG_WRITE, (uint32_t)(uintptr_t)s, (uint32_t)len);
}
/* SYS_LOG_READ: r0 system, r1 buffer, r2 length (<= 4096), r3 offset in
 * the log (0: the oldest line kept) -> r1 bytes copied, r2 the offset to
 * read from next. */
int sys_log_read(cptr_t sys, void *buf, size_t len, uint32_t offset, uint32_t *got,
		 uint32_t *next);
/* SYS_SYSTEM_INFO: r0 what (SYSINFO_*) -> r1 value. */
int sys_system_info(unsigned what, uint32_t *value);
/* SYSINFO_CHECK with a system capability: 0 (walkers run, items visited)
 * or E_FORMAT (walkers = the failing walker's index, name its name). */
int sys_kcheck(cptr_t system, uint32_t *walkers, uint32_t *items, char name[16]);
/* SYS_POWEROFF: r0 system, r1 status (QEMU's exit status), r2 0. Returns
 * only on error. */
static inline int sys_poweroff(cptr_t sys, int status)
{
	return SYSCALL(SYS_POWEROFF, sys, (uint32_t)status, 0);
}
/* SYS_POWEROFF with r2 = POWEROFF_RESET: restart the machine. */
static inline int sys_reset(cptr_t sys)
{
	return SYSCALL(SYS_POWEROFF, sys, 0, POWEROFF_RESET);
}
/* SYS_CONSOLE: r0 system, r1 1 = hand the console to user level, 0 =
 * back to the kernel. */
static inline int sys_console(cptr_t sys, unsigned user)
{
	return SYSCALL(SYS_CONSOLE, sys, user);
}

/* ------------------------------------------------------------ runtime */

/* Formatted output to the console through SYS_LOG_WRITE, or through
 * cairn_out when set (e.g. to a console service once a driver owns it). */
int uprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern void (*cairn_out)(const char *s, size_t len);
/* Program entry, called by crt0 with the kernel's argument in r0. */
int cairn_main(uint32_t arg);
/* Called when cairn_main returns: suspends the thread named by
 * cairn_self (default SLOT_THREAD) and never returns. */
void cairn_exit(int status) __attribute__((noreturn));
extern cptr_t cairn_self;

/* The cycle counter (PMCCNTR), readable when the kernel was booted with
 * `bench`; instructions under QEMU -icount. */
static inline uint32_t cairn_cycles(void)
{
	uint32_t v;

	__asm__ volatile("mrc p15, 0, %0, c9, c13, 0" : "=r"(v));
	return v;
}

/* The generic timer's virtual count (CNTVCT) and its frequency (CNTFRQ),
 * readable from user mode on every CPU (the kernel sets CNTKCTL.PL0VCTEN):
 * one count for all CPUs, so stamps taken on different CPUs compare. It
 * follows QEMU's virtual clock: under -icount 1 ns per guest instruction of
 * any CPU, without icount host time. */
static inline uint64_t cairn_counter(void)
{
	uint32_t lo, hi;

	__asm__ volatile("isb\n\tmrrc p15, 1, %0, %1, c14" : "=r"(lo), "=r"(hi) :: "memory");
	return (uint64_t)hi << 32 | lo;
}

static inline uint32_t cairn_counter_freq(void)
{
	uint32_t f;

	__asm__ volatile("mrc p15, 0, %0, c14, c0, 0" : "=r"(f));
	return f;
}

/* A whole string as an unsigned 32-bit number: decimal, or hex after
 * 0x. False for anything else (empty, junk, overflow). Use it rather
 * than strtoul(): picolibc's errno is thread-local and Cairn threads have
 * no TLS (see user/lib/README.md). */
bool cairn_parse_u32(const char *s, uint32_t *out);

/* The thread's IPC buffer (spawned programs: 0x0010_0000; the root task
 * sets it from its boot info). */
extern struct ipc_buffer *cairn_ipcbuf;
/* Text in a message: MR0 = length, the bytes from MR1 on (MR1..MR3 in m,
 * the rest in the IPC buffer); at most MSG_TEXT_MAX bytes. put returns the
 * bytes stored (and sets m->info's length), get the bytes copied out
 * (NUL-terminated, cap > 0). */
#define MSG_TEXT_MAX ((MSG_MAX_WORDS - 1) * 4)
size_t msg_put_text(struct msg *m, unsigned label, const char *s, size_t len);
size_t msg_get_text(const struct msg *m, char *buf, size_t cap);
/* The same for bytes after `first` leading words of the caller's own:
 * MR[first] = length, data from MR[first + 1]. */
size_t msg_put_data(struct msg *m, unsigned label, unsigned first, const void *data,
		    size_t len);
size_t msg_get_data(const struct msg *m, unsigned first, void *buf, size_t cap);

/* ------------------------------------------------------------ tests (KTAP) */

/*
 * KTAP output in the kernel's format (kernel/lib/ktest.c), so tools/test reads
 * user and kernel results alike:
 *
 *   KTAP version 1                 ktap_plan(2)
 *   1..2
 *       KTAP version 1             ktap_suite_begin("ipc", 3)
 *       # Subtest: ipc
 *       1..3
 *       # why it failed            ktap_diag("why it failed")
 *       not ok 1 call_reply        ktap_ok(false, "call_reply")
 *       ok 2 badges                ktap_ok(true, "badges")
 *       ok 3 grant # SKIP no IRQ   ktap_skip("no IRQ", "grant")
 *   not ok 1 ipc                   ktap_suite_end()
 *
 * Case numbers and suite numbers count themselves. ktap_ok() outside a
 * suite prints a top-level result. ktap_ok returns ok; ktap_suite_end the
 * number of failed cases of the suite.
 */
void ktap_plan(unsigned nsuites);
void ktap_suite_begin(const char *name, unsigned ncases);
bool ktap_ok(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ktap_skip(const char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ktap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
unsigned ktap_suite_end(void);

/* Test suites on top of it: cases are functions, assertions return from
 * them, utest_run() prints the document. */
struct utest {
	bool failed;
	const char *skip;       /* set (and return) to skip the case */
};
struct utest_case {
	const char *name;
	void (*fn)(struct utest *t);
};
struct utest_suite {
	const char *name;
	const struct utest_case *cases;
	unsigned ncases;
	bool by_name_only;      /* not part of "all" (e.g. it restarts the machine) */
	bool beside_servers;    /* may run while the system's servers run (shell `test`) */
};

/*
 * UTEST_REGISTER(suite, order): add `suite` (a struct utest_suite) to the
 * program's suite table, which utest_registered() returns sorted by
 * `order` (two digits, 00..99). A program's suites are thus one file
 * each; user.ld collects the .utest_suites.* sections.
 */
#define UTEST_REGISTER(suite, order)                                                \
	static const struct utest_suite *const utest_reg_##suite                    \
		__attribute__((used, section(".utest_suites." #order))) = &(suite)
const struct utest_suite *const *utest_registered(unsigned *n);

void utest_fail(struct utest *t, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define UT_CASE(fn) { #fn, fn }
/* The assertions use the case's `struct utest *t` and return from it. */
#define UT_ASSERT(cond)                                                     \
	do {                                                                \
		if (!(cond)) {                                              \
			utest_fail(t, __FILE__, __LINE__, "%s", #cond);     \
			return;                                             \
		}                                                           \
	} while (0)
#define UT_EQ(a, b) UT_EQ_R(a, b, )
/* ... in a helper that returns `ret` when the check fails. */
#define UT_EQ_R(a, b, ret)                                                  \
	do {                                                                \
		long long ut_a_ = (long long)(a), ut_b_ = (long long)(b);   \
		if (ut_a_ != ut_b_) {                                       \
			utest_fail(t, __FILE__, __LINE__, "%s == %s: %lld != %lld", \
				   #a, #b, ut_a_, ut_b_);                   \
			return ret;                                         \
		}                                                           \
	} while (0)
/* Run the suites of `suites` selected by `selection` ("all" or a comma
 * list; by_name_only suites only by name) as one KTAP document; names
 * that match no suite are reported and counted. Returns the number of
 * failed cases (plus unknown names). */
int utest_run(const struct utest_suite *const *suites, unsigned n, const char *selection);
bool utest_selected(const char *selection, const char *name);

/* ------------------------------------------------------------ processes */

/* A process made by spawn(): objects in the spawner's CSpace. */
struct proc {
	const char *name;
	cptr_t cspace, vspace, thread, ipcbuf;  /* slots in the spawner's CSpace */
	uint32_t entry, stack_top;
	const char *why;        /* after a failed spawn(): the reason, in words */
};

/* The spawner's environment (set by the root task's startup). */
struct spawn_env {
	cptr_t account;         /* pays for everything */
	cptr_t vspace;          /* the spawner's own address space (scratch mappings) */
	const void *archive;    /* the boot archive */
	size_t archive_len;
	uintptr_t scratch_va;   /* free virtual range of the spawner for copying */
};

/* A slot allocator over the spawner's CSpace: a bump pointer. */
void slots_init(cptr_t first, cptr_t limit);
cptr_t slot_alloc(void);
/* The next slot slot_alloc() would give; slots_release(mark) deletes the
 * capabilities in every slot allocated since (newest first) and gives the
 * slots back. For undoing a half-built thing, by whoever allocated last. */
cptr_t slots_mark(void);
void slots_release(cptr_t mark);

void spawn_init(const struct spawn_env *env);
void spawn_env_get(struct spawn_env *out);
/*
 * Load the ELF program `name` of the boot archive into a new address space
 * with a new CSpace of `cslots` slots and a thread at `prio` (authority:
 * the spawner's thread), with `fault_ep` (a slot of the spawner, 0 for
 * none) as its fault endpoint. The thread is configured, not started:
 * proc_start() starts it with r0 = arg. On failure p->why says why (the
 * ELF parser's reason for a lying program) and nothing is left: the
 * account has its quota back and the slots are free again.
 */
int spawn(const char *name, unsigned cslots, unsigned prio, cptr_t fault_ep, struct proc *p);
int proc_start(struct proc *p, uint32_t arg);
/* Start again at the entry point (after a fault, say). */
int proc_restart(struct proc *p, uint32_t arg);

#endif
