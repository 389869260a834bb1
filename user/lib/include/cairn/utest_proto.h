/*
 * The protocol between the root task's test suites and the test worker
 * program ("utest"): the root SENDs a command to the worker's command
 * endpoint (its slot WK_CMD); the worker does it and SENDs the result to
 * its report endpoint (slot WK_REPORT), on which the root also receives
 * the worker's faults (its fault endpoint is the same endpoint with
 * another badge).
 */
#ifndef CAIRN_UTEST_PROTO_H
#define CAIRN_UTEST_PROTO_H

#include <stdint.h>

#define WK_CMD 1                /* worker slot: endpoint it receives commands on */
#define WK_REPORT 2             /* worker slot: endpoint it reports on */
#define WK_VSPACE 3             /* worker slot: its own address space */
#define WK_ACCOUNT 4            /* worker slot: an account, when the test gives one */
#define WK_FIRST_FREE 8         /* slots the tests fill */
#define WK_IPCBUF 0x00100000u   /* the worker's IPC buffer (spawn) */

#define WK_BADGE_REPORT 0x1u
#define WK_BADGE_FAULT 0x100u

enum wk_cmd {
	WK_PING = 1,            /* mr0 + 1 */
	WK_READ = 2,            /* mr0 = *(u32 *)mr0 */
	WK_WRITE = 3,           /* *(u32 *)mr0 = mr1 */
	WK_INSPECT = 4,         /* mr0 = status, mr1 = type, mr2 = rights of slot mr0 */
	WK_RECV = 5,            /* mr0 = status of a blocking receive on slot mr0 */
	WK_UNDEF = 6,           /* execute an undefined instruction */
	WK_BADSYS = 7,          /* an unknown system call number (mr0) */
	WK_JUMP = 8,            /* call address mr0 */
	WK_MAP = 9,             /* mr0 = status of mapping slot mr0 at mr1, rights mr2 */
	WK_CALL = 10,           /* mr0 = status of a call on slot mr0 */
	WK_SERVE = 11,          /* serve slot mr0 forever: reply mr0 + 1 (benchmarks) */
	WK_WAIT = 12,           /* wait on notification slot mr0 in a loop, forever */
	WK_RECV_CAPS = 13,      /* receive on slot mr0 accepting capabilities at slot mr1:
				 * mr0 = status, mr1 = MSG_CAPS of the info, mr2 = recv_caps,
				 * mr3 = badge */
	WK_STAMP = 14,          /* serve slot mr0 forever, accepting a capability at slot
				 * mr1 (deleted before the reply): reply with the length
				 * received, mr0 = cycle counter on receipt, mr1 = just
				 * before the reply-recv (one-way benchmarks) */
	WK_YIELD = 15,          /* yield in a loop, forever */
	WK_EXHAUST = 16,        /* allocate what mr0 (enum wk_exhaust) says into slots mr1..
				 * (below mr2) until a call fails: mr0 = its error, mr1 =
				 * how many succeeded, mr2 = the next slot */
	WK_SPIN = 17,           /* forever: add 1 to the word at mr0 1024 times, read the
				 * tick count */
	WK_FLOOD = 18,          /* forever: call (mr1 = 0) or signal (mr1 = 1) slot mr0 */
	WK_CHURN = 19,          /* forever: an endpoint from WK_ACCOUNT at slot mr0, mr1
				 * copies of it after it, revoke, delete; rounds counted in
				 * the word at mr2 (0: none) */
	WK_NOTIFIED = 20,       /* wait on notification slot mr0; then, if mr1 is not 0,
				 * write 0 to the word at mr1 (a device's interrupt enable:
				 * quiets a level-triggered line) and acknowledge the IRQ
				 * handler at slot mr2. mr0 = the bits, mr1 = the status of
				 * the wait (or of the acknowledge), mr2 = the CPU it ran on
				 * when woken, mr3 = the times its CPU took the kernel lock
				 * alone from just before the acknowledge to just after it
				 * (SYSINFO_LOCK r1: the second reading's own included);
				 * the first three into the words at mr3 (0: none) + 4,
				 * + 8, + 12, then the word at mr3 counts one up */
	WK_IRQ_BIND = 21,       /* mr0 = status of IRQ_BIND of handler slot mr0 to
				 * notification slot mr1, made on the worker's CPU (the line
				 * goes to it), mr1 = that CPU */
	WK_ALLOC = 22,          /* forever: rounds of kernel objects, memory of orders 0-4
				 * mapped in an address space of its own, capability copies
				 * revoked, all deleted again, from WK_ACCOUNT at slots
				 * mr0..mr0 + WK_ALLOC_SLOTS - 1, one page mapped in its
				 * own space at mr1 (checked zeroed); rounds counted in the
				 * word at mr2, the first failure (step << 16 | -error) in
				 * the word at mr2 + 4, after which it stops */
	WK_CALLS = 23,          /* call slot mr0 mr1 times (each reply mr0 + 1: WK_SERVE),
				 * adding 1 to the word at mr2 (0: none) after each right
				 * reply: mr0 = wrong replies or the first error, mr1 =
				 * the times its CPU took the kernel lock alone
				 * meanwhile (SYSINFO_LOCK r1), mr2 = its CPU */
	WK_PINGPONG = 24,       /* with the other clients of the struct wk_race at mr2
				 * (mr3: this client's index): arrive, wait until all
				 * have, then mr1 calls of slot mr0 (a WK_SERVE server),
				 * the counter (CNTVCT) stamped before the first and
				 * after the last; mr0 = replies that were wrong
				 * (throughput benchmarks) */
	WK_RELAY = 25,          /* forever: wait on notification slot mr0, store the
				 * counter (CNTVCT, 64 bits) at mr2 if not 0, signal
				 * notification slot mr1 (wake-up benchmarks) */
	WK_CHURN_SHARED = 27,   /* forever: an endpoint from WK_ACCOUNT at slot
				 * WK_FIRST_FREE + 1, 8 copies of it into the CSpace at
				 * slot mr0 from slot mr1 + 1 on, one slot of another's
				 * range there (mr3 + 1..8, in turn) deleted, revoke,
				 * delete; rounds counted in the word at mr2 */
	WK_SIGNALS = 28,        /* signal notification slot mr0 mr1 times: mr0 = the
				 * first error or 0, mr1 = the times its CPU took the
				 * kernel lock alone meanwhile (SYSINFO_LOCK r1), mr2 =
				 * its CPU */
	WK_WAIT_COUNT = 29,     /* forever: wait on notification slot mr0, adding 1 to
				 * the word at mr1 after each wait that returned 0 */
	WK_SIGNAL_RACE = 30,    /* WK_PINGPONG with mr1 signals of notification slot mr0
				 * (a WK_WAIT waiter above it on its CPU) instead of
				 * calls; mr0 = the first error or 0 */
	WK_REENTRY = 26,        /* report mr0 = a pc, mr1 = a stack top to enter it with
				 * (THREAD_SET_REGS, r1 = k): each entry stores k at mr0
				 * and signals notification slot mr1 in a loop; the
				 * command itself enters it with k = 0 */
};

#define WK_ALLOC_SLOTS 24

/* WK_PINGPONG's shared record: the clients count themselves in at
 * `arrived` and start once it reaches `clients`; each writes its stamps
 * into its own entry. */
#define WK_RACE_MAX 8
struct wk_race {
	volatile uint32_t arrived, clients, pad[2];
	struct {
		volatile uint32_t start_lo, start_hi, end_lo, end_hi;
	} stamp[WK_RACE_MAX];
};

/* What WK_EXHAUST allocates, each from the account at WK_ACCOUNT. */
enum wk_exhaust {
	WK_EX_ENDPOINT = 0,
	WK_EX_NOTIFICATION = 1,
	WK_EX_THREAD = 2,
	WK_EX_CSPACE = 3,       /* 64-slot CSpaces */
	WK_EX_VSPACE = 4,       /* address spaces (a level-1 table each) */
	WK_EX_MEM = 5,          /* single DIRECT pages */
	WK_EX_TABLES = 6,       /* one page, its copies mapped 2 MiB apart in WK_VSPACE
				 * (a level-3 table each, a level-2 one per GiB) */
	WK_EX_LEAVES = 7,       /* copies of WK_CMD 64 slots apart (a CSpace leaf each) */
	WK_EX_KINDS = 8,
};

#endif
