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

static inline int sys_send(cptr_t ep, struct msg *m) { return cairn_ipc(SYS_SEND, ep, m); }
static inline int sys_nbsend(cptr_t ep, struct msg *m) { return cairn_ipc(SYS_NBSEND, ep, m); }
static inline int sys_call(cptr_t ep, struct msg *m) { return cairn_ipc(SYS_CALL, ep, m); }
static inline int sys_recv(cptr_t ep, struct msg *m) { return cairn_ipc(SYS_RECV, ep, m); }
static inline int sys_nbrecv(cptr_t ep, struct msg *m) { return cairn_ipc(SYS_NBRECV, ep, m); }
static inline int sys_reply(struct msg *m) { return cairn_ipc(SYS_REPLY, 0, m); }
static inline int sys_reply_recv(cptr_t ep, struct msg *m)
{
	return cairn_ipc(SYS_REPLY_RECV, ep, m);
}
/* Notifications: signal = send, wait = recv (bits in *bits), poll. */
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
static inline int sys_yield(void) { return sys0(SYS_YIELD); }
static inline int sys_null(void) { return sys0(SYS_NULL); }

/* ------------------------------------------------------------ capabilities */

struct cap_info {
	unsigned type;          /* enum cap_type */
	unsigned rights;
	bool mapped;
	unsigned depth;
	uint64_t base;          /* memory/device: physical address; ep/ntfn/irq: badge/line */
	uint32_t size;          /* memory/device: pages; account: heap bytes available */
	uint32_t extra;         /* mapped: virtual address; CSpace: slots used */
};

static inline int sys_cap_copy(cptr_t src, cptr_t dcs, cptr_t dst)
{
	return SYSCALL(SYS_CAP_COPY, src, dcs, dst);
}
/* rights & source's; a1/a2: memory/device page offset and count (0 = to
 * the end), endpoint/notification badge in a1. */
static inline int sys_cap_mint(cptr_t src, cptr_t dcs, cptr_t dst, unsigned rights, uint32_t a1,
			       uint32_t a2)
{
	return SYSCALL(SYS_CAP_MINT, src, dcs, dst, rights, a1, a2);
}
static inline int sys_cap_move(cptr_t src, cptr_t dcs, cptr_t dst)
{
	return SYSCALL(SYS_CAP_MOVE, src, dcs, dst);
}
static inline int sys_cap_delete(cptr_t cs, cptr_t slot)
{
	return SYSCALL(SYS_CAP_DELETE, cs, slot);
}
static inline int sys_cap_revoke(cptr_t cs, cptr_t slot)
{
	return SYSCALL(SYS_CAP_REVOKE, cs, slot);
}
int sys_cap_inspect(cptr_t slot, struct cap_info *ci);
static inline int sys_cap_save_reply(cptr_t dst)
{
	return SYSCALL(SYS_CAP_SAVE_REPLY, dst);
}

/* ------------------------------------------------------------ objects */

static inline int sys_obj_create(cptr_t acct, unsigned type, cptr_t dcs, cptr_t dst, uint32_t arg)
{
	return SYSCALL(SYS_OBJ_CREATE, acct, type, dcs, dst, arg);
}
static inline int sys_mem_alloc(cptr_t acct, unsigned pool, unsigned order, cptr_t dcs,
				cptr_t dst)
{
	return SYSCALL(SYS_MEM_ALLOC, acct, pool, order, dcs, dst);
}
static inline int sys_quota_carve(cptr_t acct, cptr_t dcs, cptr_t dst, uint32_t direct,
				  uint32_t dma32, uint32_t high, uint32_t heap)
{
	return SYSCALL(SYS_QUOTA_CARVE, acct, dcs, dst, direct, dma32, high, heap);
}
int sys_quota_info(cptr_t acct, unsigned pool, uint32_t *limit, uint32_t *used,
		   uint32_t *carved);
static inline int sys_map(cptr_t vs, cptr_t mem, uintptr_t va, unsigned rights, unsigned attr)
{
	return SYSCALL(SYS_MAP, vs, mem, va, rights, attr);
}
static inline int sys_unmap(cptr_t mem) { return SYSCALL(SYS_UNMAP, mem); }
int sys_map_info(cptr_t vs, uintptr_t va, uint64_t *pa, unsigned *rights, unsigned *attr);

/* ------------------------------------------------------------ threads */

/* 0 for cspace/vspace/ipcbuf leaves that part as it is; 0 for the fault
 * endpoint removes it. */
static inline int sys_thread_configure(cptr_t t, cptr_t cs, cptr_t vs, cptr_t ipcbuf,
				       cptr_t fault_ep)
{
	return SYSCALL(SYS_THREAD_CONFIGURE, t, cs, vs, ipcbuf, fault_ep);
}
static inline int sys_thread_set_regs(cptr_t t, uintptr_t pc, uintptr_t sp, uint32_t a0,
				      uint32_t a1)
{
	return SYSCALL(SYS_THREAD_SET_REGS, t, pc, sp, a0, a1);
}
static inline int sys_thread_resume(cptr_t t) { return SYSCALL(SYS_THREAD_RESUME, t); }
static inline int sys_thread_suspend(cptr_t t) { return SYSCALL(SYS_THREAD_SUSPEND, t); }
static inline int sys_thread_set_prio(cptr_t t, unsigned prio, cptr_t authority)
{
	return SYSCALL(SYS_THREAD_SET_PRIO, t, prio, authority);
}
/* Bind notification n to thread t (0: unbind): its endpoint receives then
 * also end with MSG_LABEL_NOTIFY when n is signalled. */
static inline int sys_thread_bind(cptr_t t, cptr_t n)
{
	return SYSCALL(SYS_THREAD_BIND, t, n);
}
struct thread_info {
	unsigned state, prio, mcp;      /* enum thread_state */
	unsigned fault_kind;
	uint32_t fault_addr;
};
int sys_thread_info(cptr_t t, struct thread_info *ti);

/* ------------------------------------------------------------ interrupts, system */

static inline int sys_irq_get(cptr_t ctl, unsigned irq, cptr_t dcs, cptr_t dst)
{
	return SYSCALL(SYS_IRQ_GET, ctl, irq, dcs, dst);
}
static inline int sys_irq_bind(cptr_t h, cptr_t ntfn) { return SYSCALL(SYS_IRQ_BIND, h, ntfn); }
static inline int sys_irq_ack(cptr_t h) { return SYSCALL(SYS_IRQ_ACK, h); }
static inline int sys_log_write(const char *s, size_t len)
{
	return SYSCALL(SYS_LOG_WRITE, (uint32_t)(uintptr_t)s, (uint32_t)len);
}
int sys_system_info(unsigned what, uint32_t *value);
/* Hand the console to user level (1) or back to the kernel (0). */
static inline int sys_console(cptr_t sys, unsigned user)
{
	return SYSCALL(SYS_CONSOLE, sys, user);
}
static inline int sys_poweroff(cptr_t sys, int status)
{
	return SYSCALL(SYS_POWEROFF, sys, (uint32_t)status, 0);
}
static inline int sys_reset(cptr_t sys)
{
	return SYSCALL(SYS_POWEROFF, sys, 0, POWEROFF_RESET);
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

struct utest {
	bool failed;
	const char *skip;
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
};

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
#define UT_EQ(a, b)                                                         \
	do {                                                                \
		long long ut_a_ = (long long)(a), ut_b_ = (long long)(b);   \
		if (ut_a_ != ut_b_) {                                       \
			utest_fail(t, __FILE__, __LINE__, "%s == %s: %lld != %lld", \
				   #a, #b, ut_a_, ut_b_);                   \
			return;                                             \
		}                                                           \
	} while (0)
/* Run the suites of `suites` selected by `selection` ("all" or a comma
 * list) as one KTAP document; returns the number of failed cases. */
int utest_run(const struct utest_suite *const *suites, unsigned n, const char *selection);
bool utest_selected(const char *selection, const char *name);

/* ------------------------------------------------------------ processes */

/* A process made by spawn(): objects in the spawner's CSpace. */
struct proc {
	const char *name;
	cptr_t cspace, vspace, thread, ipcbuf;  /* slots in the spawner's CSpace */
	uint32_t entry, stack_top;
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

void spawn_init(const struct spawn_env *env);
void spawn_env_get(struct spawn_env *out);
/*
 * Load the ELF program `name` of the boot archive into a new address space
 * with a new CSpace of `cslots` slots and a thread at `prio` (authority:
 * the spawner's thread), with `fault_ep` (a slot of the spawner, 0 for
 * none) as its fault endpoint. The thread is configured, not started:
 * proc_start() starts it with r0 = arg.
 */
int spawn(const char *name, unsigned cslots, unsigned prio, cptr_t fault_ep, struct proc *p);
int proc_start(struct proc *p, uint32_t arg);
/* Start again at the entry point (after a fault, say). */
int proc_restart(struct proc *p, uint32_t arg);

#endif
