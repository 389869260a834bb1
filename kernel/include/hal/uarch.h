/*
 * uarch: what the portable kernel needs from the architecture to run user
 * programs -- user contexts, kernel entry and exit, address spaces
 * (page tables and ASIDs) and the decoding of user faults.
 *
 * Execution model. The kernel runs on one kernel stack per CPU; a thread's
 * user registers live in its thread object (struct uctx). While a CPU runs
 * user code, the SVC-mode stack pointer points just past the current
 * thread's uctx, so every exception from user mode saves the registers
 * straight into the thread, then moves to the CPU's kernel stack and calls
 * one of the portable entry points below. Each entry point returns the
 * uctx to resume (the same thread or another one chosen by the scheduler);
 * the exit path restores it and leaves the kernel. Exceptions taken in
 * kernel mode (interrupts while idle, kernel self-tests) keep using the
 * kernel stack and return to the kernel as before.
 *
 * Locking: all of this runs with interrupts masked (a single big kernel
 * lock on one CPU, see docs/architecture.md).
 */
#ifndef CAIRN_UARCH_H
#define CAIRN_UARCH_H

#include <lib/types.h>

/* A user context: the same 72-byte layout as the trap frame
 * (r0-r12, sp, lr, lr_svc (unused for users), pc, cpsr). */
struct uctx {
	uint32_t r[13];
	uint32_t sp;
	uint32_t lr;
	uint32_t lr_svc;
	uint32_t pc;
	uint32_t cpsr;
};
_Static_assert(sizeof(struct uctx) == 72, "uctx = trap frame layout");

/* Initialise ctx for user mode (ARM state, interrupts enabled) at pc,
 * with stack sp and r0 = arg. */
void uarch_ctx_init(struct uctx *ctx, uintptr_t pc, uintptr_t sp, uint32_t arg);
/* Make a user-supplied cpsr safe: only the flags (NZCVQ, GE) are taken
 * from `cpsr`; mode stays USR, A/I/F clear, ARM state. */
uint32_t uarch_sanitize_cpsr(uint32_t cpsr);

/*
 * Leave the kernel into ctx (a thread's context). Sets the SVC stack so the
 * next exception from user mode saves into ctx, switches to the address
 * space last activated with uarch_vs_activate, restores and returns. Also
 * usable from the idle loop or at the end of boot (the kernel stack is
 * reset to its top).
 */
NORETURN void uarch_enter_user(struct uctx *ctx);

/* ----------------------------------------------------------- entry points
 * Implemented by the portable kernel (kernel/entry.c), called by the arch
 * code with interrupts masked on the kernel stack. Each returns the context
 * to resume. */
struct uctx *kentry_syscall(struct uctx *ctx);      /* svc #0 from user */
/* The same for SYS_CALL and SYS_REPLY_RECV (their C fast paths, then the
 * general path), for an arch entry that dispatches on r7 itself. */
struct uctx *kentry_call(struct uctx *ctx);
struct uctx *kentry_reply_recv(struct uctx *ctx);
/* The general path of system call n (no fast path tried): where the svc
 * vector's own IPC fast path goes when it declines. */
struct uctx *kentry_syscall_slow(struct uctx *ctx, uint32_t n);
struct uctx *kentry_irq(struct uctx *ctx);          /* IRQ taken in user mode */

/* A user fault, decoded by the arch code. */
struct ufault {
	uint32_t kind;          /* enum fault_kind (abi.h) */
	uint32_t pc;
	uint32_t addr;          /* faulting address (aborts) */
	uint32_t status;        /* DFSR/IFSR (aborts), instruction (undef) */
	bool write;             /* data abort on a write */
	char what[96];          /* decoded, e.g. "translation fault, level 3, write" */
};
struct uctx *kentry_fault(struct uctx *ctx, const struct ufault *f);
/* The same entries once several CPUs run threads (uarch_smp_entries):
 * each takes the kernel lock (SYS_NULL excepted) and gives it back. */
struct uctx *kentry_syscall_smp(struct uctx *ctx);
/* ... and the part of it after SYS_NULL, for a CALL or REPLY_RECV the
 * shared fast path declined or waited for: it reads nothing of ctx before
 * it has the lock (the thread may have been stopped, or destroyed and its
 * memory reused, while its CPU waited). */
struct uctx *kentry_syscall_locked(struct uctx *ctx);
struct uctx *kentry_irq_smp(struct uctx *ctx);
/* A CPU alone (uarch_smp_entries(true)): its system calls but call and
 * reply-recv, and where its IPC fast paths decline (n the call): the
 * one-CPU paths, no lock to take, the lock given back if the CPU idled. */
struct uctx *kentry_syscall_solo(struct uctx *ctx);
struct uctx *kentry_syscall_solo_slow(struct uctx *ctx, uint32_t n);
struct uctx *kentry_fault_smp(struct uctx *ctx, const struct ufault *f);
/* On each CPU, before it runs a thread with several CPUs running threads:
 * its entries from user mode become the _smp ones above (ARM: a second
 * vector table, so that one CPU pays nothing for the lock). solo: the
 * same for a CPU that keeps the lock across user mode while the others
 * idle (sched.c, "A CPU alone"): the svc vector's IPC fast paths then
 * share nothing (ARM: a third table). Called under the kernel lock. */
void uarch_smp_entries(bool solo);
/* On a secondary CPU before it runs a thread: user address spaces on (it
 * came up with TTBR0 walks off), as the boot CPU's uarch_init did. */
void uarch_init_cpu(void);
/* Several CPUs: the kernel tells the ASID allocator, through probe, the
 * address space CPU index's current thread runs in (NULL: none, or the
 * calling CPU), so that a rollover keeps those spaces' ASIDs valid. */
struct uarch_vs;
void uarch_set_space_probe(struct uarch_vs *(*probe)(unsigned index));
/* ... and, through unload, before a space's tables are freed
 * (uarch_vs_destroy), makes every other CPU that may still hold it in
 * TTBR0 leave it. */
void uarch_set_space_unload(void (*unload)(const struct uarch_vs *vs));

/* ----------------------------------------------------------- address spaces
 *
 * The user half of an address space: [0, UARCH_USER_TOP). The kernel half
 * (0xC000_0000 and up, TTBR1) is shared by all. Page tables are RAM frames
 * from the DIRECT pool, allocated and charged through the callbacks the
 * caller gives (so the portable kernel keeps quota accounting); a mapping
 * never allocates after it started writing entries (all-or-nothing).
 */
#define UARCH_USER_TOP 0xC0000000u
#define UARCH_PAGE_SIZE 4096u
/* Bytes of the system-call instruction (svc, ARM state: user mode runs
 * no Thumb code): an entry's saved pc is this far past it, and a call is
 * made again by putting the pc back by as much. */
#define UARCH_SVC_SIZE 4u

struct uarch_vs {
	paddr_t root_pa;        /* level-1 table (4 entries used) */
	uint64_t *root;         /* kernel pointer to it */
	uint32_t asid;          /* hardware ASID (8 bits) */
	uint32_t asid_gen;      /* generation it belongs to */
	uint32_t tables;        /* page-table pages held (L1 + L2 + L3) */
	uint64_t ttbr;          /* TTBR0 value (table | ASID) while asid_gen is current */
	uint32_t pages_mapped;  /* leaf translations, in 4 KiB units */
};

/* Page-table page allocator given by the caller: returns 0 and a zeroed
 * frame in DIRECT memory, or E_NOMEM. free gives one back. */
struct uarch_pt_alloc {
	int (*alloc)(void *ctx, paddr_t *pa);
	void (*free)(void *ctx, paddr_t pa);
	void *ctx;
};

/* Mapping attributes for uarch_vs_map. */
enum uarch_mattr {
	UATTR_DEVICE = 0,       /* device-nGnRE */
	UATTR_NORMAL_NC = 1,
	UATTR_WRITE_COMBINE = 2,
	UATTR_NORMAL_WB = 3,
};
/* Rights: R_READ | R_WRITE | R_EXEC from abi.h (W and X never together). */

int uarch_vs_init(struct uarch_vs *vs, const struct uarch_pt_alloc *pta);
/*
 * Map [va, va + size) to [pa, pa + size) with attr and rights (user
 * accessible). va, pa and size 4 KiB aligned, va + size <= UARCH_USER_TOP.
 * The largest translation alignment allows is used: 1 GiB blocks (va and
 * pa 1 GiB aligned, a whole GiB left), 2 MiB blocks, 64 KiB runs with the
 * contiguous hint, 4 KiB pages. E_INVAL (bad rights or attr, W+X),
 * E_ALIGN, E_RANGE (beyond the user half), E_EXIST (any page of the range
 * already mapped: nothing changes), E_NOMEM (tables could not be
 * allocated: nothing changes).
 */
int uarch_vs_map(struct uarch_vs *vs, const struct uarch_pt_alloc *pta, uintptr_t va,
		 paddr_t pa, uint64_t size, unsigned attr, unsigned rights);
/*
 * Remove every translation in [va, va + size) and invalidate the TLB for
 * them (this ASID) before returning; page tables that become empty may be
 * freed through pta. Translations go whole or not at all: a block is
 * never split. If the start or the end of the range falls inside a
 * translation (a 1 GiB or 2 MiB block, a 64 KiB contiguous run) the call
 * is refused with E_ALIGN and nothing changes; a range that is what one
 * uarch_vs_map made (or parts of it not mapped at all) never is. Also
 * E_ALIGN for va or size not page aligned, E_RANGE for an empty range or
 * one beyond the user half. 0 otherwise, also when nothing was mapped.
 */
int uarch_vs_unmap(struct uarch_vs *vs, const struct uarch_pt_alloc *pta, uintptr_t va,
		   uint64_t size);
/* Look up one user va: 0 and the pa/attr/rights, or E_NOENT. */
int uarch_vs_query(const struct uarch_vs *vs, uintptr_t va, paddr_t *pa, unsigned *attr,
		   unsigned *rights);
/* Walk vs's tables (the invariant walker, cap_check): every descriptor
 * a valid user translation or table, table counts and the spares right,
 * vs->tables and vs->pages_mapped what the tree holds. 0 or E_FORMAT
 * with *why; changes nothing. *items counts the descriptors read. */
int uarch_vs_check(const struct uarch_vs *vs, uint32_t *items, const char **why);
/* Free every page table (mappings must all be gone, or are dropped) and
 * release the ASID (TLB entries of it invalidated), once no CPU has vs
 * in TTBR0 (the calling one leaves it; others through the unload hook). */
void uarch_vs_destroy(struct uarch_vs *vs, const struct uarch_pt_alloc *pta);
/* Make vs the current user address space (TTBR0 + ASID; assigns a new
 * ASID on first use or after a rollover). NULL: no user space (the empty
 * table; this CPU's registers only, so callable without the kernel lock). */
void uarch_vs_activate(struct uarch_vs *vs);
/* Whether uarch_vs_activate(vs) is the one register write (vs has an
 * ASID of the current generation), which a path that may not reach the
 * ASID allocator can make. */
extern uint32_t uarch_asid_gen;
static inline bool uarch_vs_quick(const struct uarch_vs *vs)
{
	return vs->asid_gen == uarch_asid_gen;
}

/* ----------------------------------------------------------- user memory
 * Copy to/from the *current* user address space with the user's
 * permissions (LDRT/STRT or an ATS1CU* probe): E_FAULT if any byte is not
 * accessible for that access. Never faults in the kernel. */
int uarch_copy_from_user(void *dst, uintptr_t usrc, size_t len);
int uarch_copy_to_user(uintptr_t udst, const void *src, size_t len);

/* Interrupt pending at the interrupt controller (for preemption points in
 * long operations). */
bool uarch_irq_pending(void);

#endif
