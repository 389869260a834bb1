/*
 * capmodel: a reference model of Cairn's capability system calls, for the
 * differential test tests/host/test_capmodel.c.
 *
 * The model knows nothing of the kernel's data structures: a CSpace is an
 * object with a slot limit and the set of leaves it has grown, a
 * capability is a record in one flat array (where it is, what it names,
 * its rights and words, the record it was derived from), an account is
 * four (limit, used, carved) triples, an address space is the set of
 * 2 MiB regions it has page tables for. Every operation is a loop over
 * those arrays: slow, and meant to be obviously right. It is written from
 * docs/capabilities.md and docs/abi.md; the few costs it cannot know (the
 * heap bytes an object of each type takes, the device ranges and their
 * attributes) are configuration, read from the kernel once at setup.
 *
 * An operation is a system call as the caller's registers give it
 * (struct cm_op); cm_step computes the registers the kernel must return
 * and the state it must leave. Derivation depth follows the kernel's
 * definition (docs/capabilities.md): a derived capability's depth is its
 * parent's plus one at the time it is made, and it keeps it when an
 * ancestor is deleted.
 *
 * Objects die when nothing names them: no capability, and for an account
 * no object it paid for; a CSpace takes every capability in it and every
 * descendant of those with it; an address space's header outlives it
 * while capabilities still record mappings into it. cm_step settles those
 * deaths to a fixed point before it returns, as the kernel's reaper does
 * before the state is compared.
 */
#ifndef CAPMODEL_H
#define CAPMODEL_H

#include <stdbool.h>
#include <stdint.h>

#define CM_MAXOBJ 1024
#define CM_MAXSLOT 4096
#define CM_POOLS 4                   /* direct, dma32, high, kheap */
#define CM_KHEAP 3
#define CM_DIRECT 0
#define CM_DEPTH_MAX 1024u
#define CM_LEAVES 4096               /* 2^18 slots / 64 */
#define CM_MIDS 64
#define CM_REGIONS 1536              /* 2 MiB regions below 3 GiB */
#define CM_MAXDEV 4

enum cm_state { CM_FREE = 0, CM_LIVE, CM_PINNED /* address space header kept for mappings */ };

struct cm_quota {
	bool live;
	uint32_t limit, used, carved;
};

struct cm_obj {
	uint8_t type;                /* enum cap_type */
	uint8_t state;               /* enum cm_state */
	bool ext;                    /* referenced from outside the model: never dies */
	int acct;                    /* account that paid (object id), -1: outside the model */
	uint32_t heap;               /* heap bytes charged to acct for the object itself */
	/* CAP_QUOTA */
	struct cm_quota q[CM_POOLS];
	/* CAP_CSPACE */
	uint32_t limit;
	uint8_t leaf[CM_LEAVES / 8]; /* leaves grown (bitmap) */
	uint64_t mid;                /* interior nodes grown (bitmap) */
	/* CAP_MEM */
	uint32_t pages;
	uint8_t pool;
	/* CAP_VSPACE */
	uint8_t region[CM_REGIONS / 8]; /* 2 MiB regions with a page table */
	uint32_t tables;             /* page-table pages held, root included */
};

struct cm_slot {
	bool used;
	int cs;                      /* CSpace object id */
	uint32_t idx;
	uint8_t type, rights;
	bool root;                   /* an original */
	uint32_t depth;
	int obj;                     /* object id; -1: device range */
	uint32_t a, b;               /* mem: page offset in the object, pages; device: base
				      * pfn, pages; endpoint/notification: badge */
	int parent;                  /* slot record, -1: none */
	bool mapped;
	int map_vs;                  /* address-space object id */
	uint32_t map_va;
	uint8_t map_rights, map_attr;
};

struct cm_dev {
	uint32_t pfn, pages;
	uint8_t attrs;               /* bit ATTR_*: attributes the range permits */
};

struct cm_cost {
	uint32_t obj[16];            /* heap bytes of an object, by capability type */
	uint32_t leaf, mid;          /* heap bytes of a CSpace leaf and interior node */
};

/* Deliberate model errors, to check that the differential test and its
 * shrinker find what they must (test-only). */
enum cm_mutation {
	CM_MUT_NONE = 0,
	CM_MUT_REBADGE,              /* mint lets a badged endpoint be badged again */
};

struct cm {
	struct cm_obj obj[CM_MAXOBJ];
	struct cm_slot slot[CM_MAXSLOT];
	struct cm_dev dev[CM_MAXDEV];
	unsigned ndev;
	struct cm_cost cost;
	int self;                    /* the caller's CSpace */
	int mutation;
	bool overflow;               /* a table of the model is full: the run stops */
	/* Figures. */
	uint32_t max_depth, max_tree;
};

/* A system call: the number and r0..r6 as the caller sets them. */
struct cm_op {
	uint8_t sys;
	uint8_t irq_every;           /* the test's: an interrupt pending every n checks
				      * during the call (preemption); the model ignores it */
	uint32_t r[7];
};

/* Results: r0..r5 after the call; `nout` of them (from r0) are defined. */
struct cm_res {
	uint32_t r[6];
	unsigned nout;
};

void cm_init(struct cm *m);
/* Setup (outside any system call): a new object or an original
 * capability. cm_new_obj returns the id, -1 if the table is full. */
int cm_new_obj(struct cm *m, unsigned type, int acct);
int cm_put_root(struct cm *m, int cs, uint32_t idx, unsigned type, unsigned rights, int obj,
		uint32_t a, uint32_t b);
void cm_grow(struct cm *m, int cs, uint32_t idx);   /* mark idx's leaf and node grown */

void cm_step(struct cm *m, const struct cm_op *op, struct cm_res *res);

/* Queries for the generator and the comparison. */
int cm_find(const struct cm *m, int cs, uint32_t idx);   /* slot record or -1 */
bool cm_is_desc(const struct cm *m, int s, int anc);     /* s strictly below anc */
uint32_t cm_descendants(const struct cm *m, int s);
/* count[s] = descendants of every slot record s, in one pass. */
void cm_desc_counts(const struct cm *m, uint32_t *count);
uint32_t cm_live(const struct cm *m, unsigned type);     /* objects not freed */
unsigned cm_leaves(const struct cm *m, int cs);
/* One line for an operation (shrinker output), into buf. */
void cm_op_str(const struct cm_op *op, char *buf, unsigned len);

#endif
