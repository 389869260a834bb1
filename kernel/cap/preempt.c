/*
 * Preemption points of the long capability operations (revocation, the
 * reaper, CSpace teardown): every REVOKE_BATCH units of work they ask
 * whether to stop, give the CPU back and be restarted. Due when an
 * interrupt is pending, and, with several CPUs, when another CPU waits
 * for the kernel lock this one holds (what the scheduler's probe says:
 * a ticket behind this one's, or a fast path waiting to share it), so a
 * revocation of any size keeps every other CPU served.
 */
#include <cap/cap.h>
#include <hal/uarch.h>

uint32_t cap_preemptions_for_lock;
static bool (*lock_wanted)(void);

void cap_set_lock_probe(bool (*wanted)(void))
{
	lock_wanted = wanted;
}

bool cap_preempt_due(void)
{
	if (uarch_irq_pending())
		return true;
	if (lock_wanted && lock_wanted()) {
		cap_preemptions_for_lock++;
		return true;
	}
	return false;
}
