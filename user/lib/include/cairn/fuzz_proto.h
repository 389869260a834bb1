/*
 * The protocol between the root task's `fuzz` suite and the system-call
 * fuzzer program ("fuzz", user/fuzz/): the slots the root task fills in
 * the fuzzer's CSpace before starting it, the command that says what to
 * run, and the reports that come back. docs/reliability.md, "Syscall
 * fuzzer", describes the whole.
 *
 * The fuzzer's random calls only ever name slots from FZ_FIRST_RANDOM
 * on (and slot numbers outside its CSpace); the slots below are its
 * harness and are never an argument of a random call.
 */
#ifndef CAIRN_FUZZ_PROTO_H
#define CAIRN_FUZZ_PROTO_H

/* Given by the root task. */
#define FZ_CMD 1                /* endpoint the fuzzer receives its command on */
#define FZ_REPORT 2             /* endpoint it reports on (badge FZ_BADGE_REPORT) */
#define FZ_SELF 3               /* its own thread */
#define FZ_VSPACE 4             /* its own address space */
#define FZ_ACCOUNT 5            /* its account (carved for it alone) */
#define FZ_SYSTEM 6             /* a system capability, R_READ only (walkers, log) */
#define FZ_ROOT_FAULT 7         /* the root's fault endpoint (badge FZ_BADGE_FAULT) */
#define FZ_IRQ_CONTROL 8        /* the IRQ control capability (a copy) */
#define FZ_DEVICE 9             /* a small device range no server uses */
#define FZ_WINDOW 10            /* 1 GiB + 2 MiB of a bus window, 1 GiB aligned (or empty) */
#define FZ_CSPACE 11            /* its own CSpace */
/* Made by the fuzzer for its watchdog thread. */
#define FZ_WD_CSPACE 12
#define FZ_WD_THREAD 13
#define FZ_WD_EP 14             /* the fuzzer's fault endpoint, served by the watchdog */
#define FZ_WD_NTFN 15           /* "I may block now": wakes the watchdog */
#define FZ_FIRST_RANDOM 32      /* the random calls' slots: FZ_FIRST_RANDOM .. FZ_CSLOTS-1 */
#define FZ_CSLOTS 256

#define FZ_BADGE_REPORT 0x1u
#define FZ_BADGE_FAULT 0x100u

#define FZ_PRIO 100             /* below the root task and every server */

/* The root's command (label FZ_GO): mr0 seed, mr1 calls, mr2 calls per
 * batch (the walkers run after each), mr3 the first call to trace (print
 * each call from there on; 0xffffffff: none). */
#define FZ_GO 1

/* Reports (labels); words beyond MR3 are in the IPC buffer. */
enum fz_report {
	FZ_REP_READY = 1,       /* set up: mr0 0 or the error of the set-up */
	FZ_REP_BATCH = 2,       /* mr0 calls done, mr1 walkers run, mr2 items visited */
	FZ_REP_DONE = 3,        /* mr0 calls; mr1.. the counters of enum fz_stat */
	FZ_REP_FAIL = 4,        /* mr0 call index, mr1 enum fz_fail, mr2/mr3 details;
				 * mr4..mr7 the walker's name (FZ_FAIL_WALKER) */
};

enum fz_fail {
	FZ_FAIL_WALKER = 1,     /* an invariant walker failed: mr2 walker, mr3 item */
	FZ_FAIL_FAULT = 2,      /* the fuzzer faulted unexpectedly: mr2 pc, mr3 address */
	FZ_FAIL_STALE = 3,      /* a page the kernel says is unmapped was still readable: mr2 va */
	FZ_FAIL_LOST = 4,       /* a page the kernel says is mapped faulted: mr2 va, mr3 rights */
	FZ_FAIL_WRITE_RO = 5,   /* a write to a read-only mapping succeeded: mr2 va */
	FZ_FAIL_DATA = 6,       /* memory did not hold what was written: mr2 va, mr3 value */
	FZ_FAIL_CANARY = 7,     /* the fuzzer's own memory changed: mr2 address, mr3 value */
	FZ_FAIL_RESULT = 9,     /* a result outside the ABI (status not 0 or an E_*): mr2 call, mr3 status */
	FZ_FAIL_ZERO = 10,      /* fresh memory not zero: mr2 va, mr3 value */
};

/* FZ_REP_DONE counters, mr[1 + FZS_*]. */
enum fz_stat {
	FZS_ERRORS = 0,         /* bit -e set: error code e was returned at least once */
	FZS_OK,                 /* calls that returned 0 */
	FZS_MAPPED,             /* successful maps */
	FZS_BLOCK_MAPS,         /* of them: 1 GiB or 2 MiB blocks (device window) */
	FZS_REVOKED,            /* successful revokes */
	FZS_DERIVED,            /* successful copies and mints */
	FZS_CREATED,            /* objects and memory made */
	FZS_IPC_DONE,           /* IPC calls that moved a message */
	FZS_CAPS_MOVED,         /* messages received that carried capabilities */
	FZS_CAPS_SENT,          /* messages sent with capabilities, delivered */
	FZS_BLOCKED,            /* calls that blocked and were ended by the watchdog */
	FZS_PROBES_FAULTED,     /* reads of unmapped pages that faulted, as they must */
	FZS_TOUCHED,            /* reads and writes of mapped pages that worked */
	FZS_THREADS_RUN,        /* threads started */
	FZS_FAULTS_SEEN,        /* fault messages the fuzzer received from its threads */
	FZS_WALKS,              /* walker runs */
	FZS_DISTINCT_CALLS,     /* system-call numbers that returned 0 at least once */
	FZS_SERVERS,            /* threads set up to serve an endpoint with an IPC buffer */
	FZS_REPLENISHED,        /* capabilities the harness gave back to the random range */
	FZS_COUNT,
};

#endif
