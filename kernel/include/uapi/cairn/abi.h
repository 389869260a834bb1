/*
 * The Cairn system-call ABI: the one header shared by the kernel and user
 * programs. docs/abi.md documents every call; this file defines the
 * numbers. Nothing here depends on the kernel or on a C library.
 *
 * Calling convention (ARM, A32, `svc #0`):
 *
 *   r7        system call number (enum sys)
 *   r0..r6    arguments, in the order docs/abi.md gives
 *   r0        on return: status, 0 or a negative error (enum err)
 *   r1..r6    on return: results (per call); registers a call does not
 *             name as results are preserved, except r0
 *   r8..r12, sp, lr and the flags are preserved by every call.
 *
 * IPC calls (SEND, NBSEND, CALL, RECV, NBRECV, REPLY, REPLY_RECV) move a
 * message: r1 is its info word (label, length, capability count, see
 * MSG_*), r2..r5 are message registers MR0..MR3, and registers MR4 and up
 * live in the thread's IPC buffer (struct ipc_buffer). On a receive, r6
 * returns the badge of the capability the sender used.
 *
 * Capability pointers (cptr_t) are slot indices in the caller's CSpace.
 * CPTR_SELF names the caller's own CSpace where a call takes a CSpace.
 */
#ifndef CAIRN_ABI_H
#define CAIRN_ABI_H

/* ------------------------------------------------------------ errors */

/* Every error the kernel returns; the kernel uses the same enum inside. */
enum err {
	E_OK = 0,
	E_INVAL = -1,     /* malformed argument or input */
	E_RANGE = -2,     /* value, index or offset out of bounds */
	E_NOMEM = -3,     /* out of memory or quota */
	E_NOENT = -4,     /* no such object, node, property or file */
	E_EXIST = -5,     /* already present (destination slot occupied, already mapped) */
	E_OVERFLOW = -6,  /* arithmetic overflow / result does not fit */
	E_ALIGN = -7,     /* misaligned address or size */
	E_FORMAT = -8,    /* bad magic, version or structure in an input format */
	E_TRUNC = -9,     /* input shorter than its own header claims */
	E_DEPTH = -10,    /* nesting or derivation depth limit exceeded */
	E_PERM = -11,     /* insufficient rights, or operation refused on this capability */
	E_BUSY = -12,     /* resource in use */
	E_NOSYS = -13,    /* unknown system call or operation */
	E_NOCAP = -14,    /* the slot is empty */
	E_TYPE = -15,     /* the capability is of the wrong type for the call */
	E_CANCELLED = -16,/* IPC cancelled: the endpoint or a capability it depended on went away */
	E_FAULT = -17,    /* a user buffer is not mapped with the needed rights */
	E_AGAIN = -18,    /* a non-blocking call would have blocked */
	E_STATE = -19,    /* the object is not in a state that allows the call */
};

/* ------------------------------------------------------------ calls */

enum sys {
	/* IPC (r0 = capability, r1 = message info, r2..r5 = MR0..MR3) */
	SYS_CALL = 0,
	SYS_REPLY_RECV = 1,
	SYS_SEND = 2,
	SYS_NBSEND = 3,
	SYS_RECV = 4,
	SYS_NBRECV = 5,
	SYS_REPLY = 6,
	SYS_YIELD = 7,
	SYS_NULL = 8,
	/* capabilities */
	SYS_CAP_COPY = 10,
	SYS_CAP_MINT = 11,
	SYS_CAP_MOVE = 12,
	SYS_CAP_DELETE = 13,
	SYS_CAP_REVOKE = 14,
	SYS_CAP_INSPECT = 15,
	SYS_CAP_SAVE_REPLY = 16,
	/* objects and memory */
	SYS_OBJ_CREATE = 20,
	SYS_MEM_ALLOC = 21,
	SYS_QUOTA_CARVE = 22,
	SYS_QUOTA_INFO = 23,
	SYS_MAP = 24,
	SYS_UNMAP = 25,
	SYS_MAP_INFO = 26,
	/* threads */
	SYS_THREAD_CONFIGURE = 30,
	SYS_THREAD_SET_REGS = 31,
	SYS_THREAD_GET_REGS = 32,
	SYS_THREAD_RESUME = 33,
	SYS_THREAD_SUSPEND = 34,
	SYS_THREAD_SET_PRIO = 35,
	SYS_THREAD_INFO = 36,
	SYS_THREAD_BIND = 37,
	SYS_THREAD_SET_CPU = 38,
	/* interrupts */
	SYS_IRQ_GET = 40,
	SYS_IRQ_BIND = 41,
	SYS_IRQ_ACK = 42,
	/* system */
	SYS_LOG_WRITE = 50,
	SYS_LOG_READ = 51,
	SYS_SYSTEM_INFO = 52,
	SYS_POWEROFF = 53,
	SYS_CONSOLE = 54,
	SYS_COUNT = 55,         /* numbers from here on are a fault (FAULT_SYSCALL) */
};

/* ------------------------------------------------------------ capabilities */

typedef unsigned int cptr_t;

#define CPTR_NULL 0u            /* slot 0 is never used: "no capability" */
#define CPTR_SELF 0xffffffffu   /* "my own CSpace" where a call takes a CSpace */
#define CSPACE_BITS 18          /* a CSpace has at most 2^18 slots */
#define CSPACE_SLOTS (1u << CSPACE_BITS)

enum cap_type {
	CAP_NULL = 0,
	CAP_MEM = 1,            /* RAM memory object: physically contiguous frames from a pool */
	CAP_DEVICE = 2,         /* device range: [base, base + size) of device memory */
	CAP_QUOTA = 3,          /* a quota in one pool: allocate from it, carve children */
	CAP_VSPACE = 4,         /* address space */
	CAP_THREAD = 5,
	CAP_ENDPOINT = 6,
	CAP_NOTIFICATION = 7,
	CAP_REPLY = 8,          /* one-shot right to answer a call */
	CAP_IRQ_HANDLER = 9,    /* one interrupt line */
	CAP_CSPACE = 10,        /* a CSpace */
	CAP_IRQ_CONTROL = 11,   /* makes IRQ handler capabilities */
	CAP_SYSTEM = 12,        /* privileged operations: power off, log read */
	CAP_TYPE_COUNT = 13,
};

/* Rights. Derivation can only clear them. */
#define R_READ 1u
#define R_WRITE 2u
#define R_EXEC 4u       /* memory: may be mapped executable (never with write) */
#define R_GRANT 8u      /* endpoints: may transfer capabilities */
#define R_PREFETCH R_EXEC /* device ranges (never executable): may be mapped ATTR_NORMAL_NC
			   * or ATTR_WRITE_COMBINE where the range permits (a prefetchable BAR) */
#define R_ALL 15u

/* Memory attributes of a mapping (SYS_MAP attr argument). */
#define ATTR_DEFAULT 0xffu      /* RAM: normal write-back; device: device-nGnRE */
#define ATTR_DEVICE 0u
#define ATTR_NORMAL_NC 1u
#define ATTR_WRITE_COMBINE 2u
#define ATTR_NORMAL_WB 3u

/* SYS_OBJ_CREATE types (the subset of cap_type that can be created) and
 * SYS_CAP_INSPECT results use enum cap_type. */

/* Mint of a memory or device capability: the subrange is given in pages. */
/* Mint of an endpoint or notification: the badge (non-zero, set once). */

/* ------------------------------------------------------------ messages */

#define MSG_MAX_WORDS 64        /* MR0..MR63 */
#define MSG_REG_WORDS 4         /* MR0..MR3 travel in r2..r5 */
#define MSG_MAX_CAPS 3

/* Message info word: label (20 bits) | caps (2 bits) | length (7 bits) */
#define MSG_INFO(label, len, caps) \
	((((unsigned)(label) & 0xfffffu) << 12) | (((unsigned)(caps) & 3u) << 7) | \
	 ((unsigned)(len) & 0x7fu))
#define MSG_LABEL(info) ((unsigned)(info) >> 12)
#define MSG_CAPS(info) (((unsigned)(info) >> 7) & 3u)
#define MSG_LEN(info) ((unsigned)(info) & 0x7fu)

/*
 * The IPC buffer: one page of the thread's address space (configured with
 * SYS_THREAD_CONFIGURE), read and written by the kernel during IPC.
 *   mr[4..63]   message registers beyond the four in r2..r5
 *   caps[]      send: cptrs of capabilities to transfer; receive: unused
 *   recv_cspace, recv_slot   where a received capability goes (0: refuse caps)
 *   recv_caps   on receive: how many capabilities arrived (in recv_slot...)
 */
struct ipc_buffer {
	unsigned int mr[MSG_MAX_WORDS];
	unsigned int caps[MSG_MAX_CAPS];
	unsigned int recv_cspace;
	unsigned int recv_slot;
	unsigned int recv_caps;
	unsigned int user[56];  /* free for the runtime (e.g. thread-local data) */
};

/* ------------------------------------------------------------ faults */

/*
 * A thread's fault becomes a call on its fault endpoint: label FAULT_*,
 * MR0 = pc, MR1 = address (data/prefetch abort), MR2 = fault status
 * (DFSR/IFSR), MR3 = syscall number (FAULT_SYSCALL) or instruction
 * (FAULT_UNDEF), MR4 = cpsr, MR5 = sp. The badge identifies the thread (the
 * fault endpoint capability's badge). A reply with label 0 resumes the
 * thread (after the handler fixed what caused the fault or changed its
 * registers); no reply leaves it blocked.
 */
enum fault_kind {
	FAULT_NONE = 0,
	FAULT_DATA = 1,         /* data abort */
	FAULT_PREFETCH = 2,     /* prefetch abort */
	FAULT_UNDEF = 3,        /* undefined instruction */
	FAULT_SYSCALL = 4,      /* unknown system call number */
	FAULT_ALIGN = 5,        /* alignment fault (data) */
};
#define FAULT_LABEL_BASE 0xffff0u   /* label = FAULT_LABEL_BASE + kind */

/*
 * A thread may have a notification bound to it (SYS_THREAD_BIND): while it
 * waits on an endpoint, a signal of that notification ends the wait with
 * this label, MR0 and the badge (r6) holding the bits -- so one loop can
 * serve requests and interrupts.
 */
#define MSG_LABEL_NOTIFY 0xfffffu

/* ------------------------------------------------------------ threads */

#define PRIO_MAX 255
#define PRIO_COUNT 256

/* SYS_THREAD_SET_REGS / GET_REGS: which registers (r0 = thread cap,
 * r1 = pc, r2 = sp, r3 = arg0 (r0 of the thread), r4 = arg1 (r1)). */

/* Thread states reported by SYS_THREAD_INFO. */
enum thread_state {
	TS_INACTIVE = 0,        /* never started or suspended */
	TS_RUNNABLE = 1,
	TS_BLOCKED_SEND = 2,
	TS_BLOCKED_RECV = 3,
	TS_BLOCKED_REPLY = 4,
	TS_BLOCKED_NTFN = 5,
	TS_FAULTED = 6,         /* faulted with no fault endpoint: stopped */
};

/* ------------------------------------------------------------ system */

/* SYS_POWEROFF r2: 0 = power off (r1 the exit status), POWEROFF_RESET =
 * restart the machine. */
#define POWEROFF_RESET 1

#define SYSINFO_RAM_MIB 0
#define SYSINFO_TICKS 1
#define SYSINFO_TICK_HZ 2
#define SYSINFO_HEAP_FREE 3
#define SYSINFO_CYCLES_LO 4
#define SYSINFO_PREEMPTIONS 5     /* r1 long operations (revoke) preempted so far, r2 those
				   * preempted for another CPU waiting for the kernel lock */
#define SYSINFO_FRAME_TABLE 6     /* bytes of frame table backed by RAM */
#define SYSINFO_IDLE_LO 7         /* cycle-counter time spent idle (low word) */
#define SYSINFO_CHECK 8           /* r1 = a CAP_SYSTEM capability with R_READ: run every
				   * kernel invariant walker (docs/reliability.md). 0: clean,
				   * r1 walkers run, r2 items visited; E_FORMAT: r1 the
				   * failing walker's index, r2 its item, r3..r6 its name
				   * (16 bytes, NUL padded); the reason is in the log */
#define SYSINFO_CPUS 9            /* r1 CPUs running threads, r2 their mask (bit i: CPU i,
				   * SYS_THREAD_SET_CPU's index), r3 the caller's CPU, r4
				   * reschedule interrupts taken by all CPUs so far, r5
				   * times a CPU left an address space about to be freed
				   * while it waited for the kernel lock */
#define SYSINFO_LOCK 10           /* the caller's CPU and the kernel lock: r1 times it took
				   * the lock alone (a ticket), r2 times it began to keep
				   * the lock across user mode while every other CPU idled,
				   * r3 lock interrupts (another CPU's wish for the lock)
				   * it took while keeping it (docs/architecture.md) */
#define SYSINFO_KCACHE 0x100      /* + i: object cache i: r1 objects in use, r2 bytes,
				   * r3..r6 its name (16 bytes, NUL padded); E_RANGE past the last */
#define SYSINFO_POOL 0x200        /* + POOL_ID_*: r1 free units (pages; heap: bytes), r2 charged
				   * to all quotas, r3 reserved to root quotas */

/* ------------------------------------------------------------ boot info */

/*
 * The root task starts with r0 = BOOTINFO_VA, a read-only page describing
 * what it was given. Its CSpace holds the capabilities at the fixed slots
 * below, then one device-range capability per device range (dev[] gives
 * each one's slot), and nothing from first_free on.
 */
#define BOOTINFO_VA 0x00100000u
#define BOOTINFO_MAGIC 0xCA1B0071u
#define BOOTINFO_MAX_DEV 48
#define BOOTINFO_CMDLINE 256
#define BOOTINFO_KTEST 128

#define SLOT_CSPACE 1           /* the root task's CSpace */
#define SLOT_VSPACE 2           /* its address space */
#define SLOT_THREAD 3           /* its thread */
#define SLOT_ACCOUNT 4          /* its quotas: every pool's free memory */
#define SLOT_IRQ_CONTROL 5
#define SLOT_SYSTEM 6
#define SLOT_IPCBUF 7           /* the memory of its IPC buffer */
#define SLOT_ARCHIVE 8          /* the boot archive, read-only memory */
#define SLOT_BOOTINFO 9         /* this page, read-only */
#define SLOT_DTB 10             /* the hardware device tree, read-only memory */
#define SLOT_FIRST_DEV 16

/* Pools (SYS_MEM_ALLOC pool argument, SYS_QUOTA_* indices). */
#define POOL_ID_DIRECT 0        /* RAM in the kernel's direct map */
#define POOL_ID_DMA32 1         /* RAM below 4 GiB not in the direct map */
#define POOL_ID_HIGH 2          /* RAM above 4 GiB */
#define POOL_ID_KHEAP 3         /* kernel object heap (bytes) */
#define POOL_IDS 4

struct bootinfo_dev {
	unsigned int slot;
	unsigned int base_lo, base_hi;
	unsigned int size_lo, size_hi;
	unsigned int irq;            /* first interrupt (GIC number) or 0xffffffff */
	unsigned int flags;          /* BOOTINFO_DEV_* */
	char name[24];               /* device-tree node name, e.g. "pl011@9000000" */
};
/* The range is an address window of a bus (a PCI host bridge's I/O or
 * memory window, named by the bridge's node), not a device's registers. */
#define BOOTINFO_DEV_WINDOW 0x1u

struct bootinfo {
	unsigned int magic;
	unsigned int version;        /* 1 */
	unsigned int first_free;     /* first empty slot of the CSpace */
	unsigned int cspace_slots;   /* slots the CSpace may use */
	unsigned int archive_va;     /* the boot archive, mapped read-only */
	unsigned int archive_size;
	unsigned int dtb_va;         /* the hardware device tree, mapped read-only */
	unsigned int dtb_size;
	unsigned int ipcbuf_va;      /* the IPC buffer of the root thread */
	unsigned int stack_top;
	unsigned int heap_va;        /* free user virtual memory from here ... */
	unsigned int heap_end;       /* ... to here */
	unsigned int pool_limit[POOL_IDS];  /* the account's limits (pages; heap: bytes) */
	unsigned int tick_hz;
	unsigned int ndev;
	struct bootinfo_dev dev[BOOTINFO_MAX_DEV];
	char cmdline[BOOTINFO_CMDLINE];
	/* ktest=: the suites the kernel did not run itself ("all", or a
	 * comma list; empty if none): the root task runs them, and reports
	 * names it does not know either. */
	char ktest[BOOTINFO_KTEST];
};

#endif
