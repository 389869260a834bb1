/*
 * kcheck: every invariant walker of the kernel, in one table, run on
 * demand (SYSINFO_CHECK, the fuzzer after each batch, in-kernel tests).
 *
 * Each walker reads its subsystem's structures and reports the first
 * inconsistency it finds; none changes anything, none aborts. They run
 * bottom up (memory first), so a failure names the lowest layer that is
 * wrong rather than a consequence of it in a layer above.
 */
#ifndef CAIRN_KCHECK_H
#define CAIRN_KCHECK_H

#include <lib/types.h>

struct kcheck_result {
	uint32_t walkers;            /* walkers run (all of them when clean) */
	uint32_t items;              /* items visited by all of them */
	int failed;                  /* index of the failing walker, or -1 */
	const char *name;            /* its name (NULL when clean) */
	const char *why;             /* what it found (NULL when clean) */
};

/* Run every walker in order until one fails. 0, or E_FORMAT with r
 * naming the walker and the reason. */
int kcheck_all(struct kcheck_result *r);
/* Number of walkers and the name of walker i (NULL past the last). */
unsigned kcheck_count(void);
const char *kcheck_name(unsigned i);

#endif
