/*
 * Ticket spinlocks.
 *
 * A lock is one 32-bit word: the ticket being served in the low half, the
 * next ticket to hand out in the high half. Taking it is one atomic add to
 * the high half (the taker's ticket is the old high half) and a wait until
 * the low half reaches that ticket; giving it back adds one to the low
 * half. CPUs are served in the order they asked, so no CPU waits for ever
 * behind others that keep retaking the lock.
 *
 * Waiting uses arch_spin_wait (WFE on ARM, woken by the SEV of
 * arch_spin_signal after every release), which also lets an emulator
 * running the CPUs in turn switch to the lock's holder at once. The
 * acquire and release orderings are the __atomic builtins': everything
 * done under the lock is seen by its next holder.
 *
 * Portable: host tests build it with their own arch_spin_* (no-ops).
 */
#ifndef CAIRN_SPINLOCK_H
#define CAIRN_SPINLOCK_H

#include <lib/types.h>

void arch_spin_wait(void);
void arch_spin_signal(void);
/* One turn of a wait for something no SEV announces (YIELD on ARM: never
 * sleeps, and lets an emulator run the other CPUs). */
void arch_spin_relax(void);

struct spinlock {
	uint32_t word;          /* next << 16 | owner */
};
#define SPINLOCK_INIT { 0 }

/* spin_lock in two halves, for a taker with something to do between
 * taking its ticket and waiting for its turn. */
static inline uint16_t spin_ticket(struct spinlock *l)
{
	return (uint16_t)(__atomic_fetch_add(&l->word, 1u << 16, __ATOMIC_ACQUIRE) >> 16);
}

static inline void spin_wait(struct spinlock *l, uint16_t ticket)
{
	while ((uint16_t)__atomic_load_n(&l->word, __ATOMIC_ACQUIRE) != ticket)
		arch_spin_wait();
}

static inline void spin_lock(struct spinlock *l)
{
	spin_wait(l, spin_ticket(l));
}

static inline void spin_unlock(struct spinlock *l)
{
	/* Only the holder writes the low half: a plain increment of it,
	 * made visible with release order, is the whole hand-over. The add
	 * must not carry into the high half. */
	uint16_t *owner = (uint16_t *)&l->word;     /* little-endian: the low half */

	__atomic_store_n(owner, (uint16_t)(*owner + 1), __ATOMIC_RELEASE);
	arch_spin_signal();
}

/* Held by someone (a report, an assertion): the halves differ. */
static inline bool spin_is_locked(const struct spinlock *l)
{
	uint32_t w = __atomic_load_n(&l->word, __ATOMIC_RELAXED);

	return (uint16_t)w != (uint16_t)(w >> 16);
}

#endif
