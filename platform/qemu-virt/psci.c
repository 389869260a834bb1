/*
 * PSCI calls: power off, reset, CPU_ON for secondary cores. The
 * conduit, HVC or SMC, comes from the device tree's /psci node: HVC when
 * QEMU emulates firmware at EL2, SMC with virtualization=on.
 */
#include <hal/plat.h>

#include "virt.h"

#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_CPU_ON 0x84000003u                 /* SMC32: target, entry, context */

enum psci_conduit { PSCI_NONE, PSCI_HVC, PSCI_SMC };
static enum psci_conduit conduit;

void plat_psci_set_method(const char *method)
{
	if (!method)
		conduit = PSCI_NONE;
	else if (method[0] == 'h' && method[1] == 'v' && method[2] == 'c' && !method[3])
		conduit = PSCI_HVC;
	else if (method[0] == 's' && method[1] == 'm' && method[2] == 'c' && !method[3])
		conduit = PSCI_SMC;
	else
		conduit = PSCI_NONE;
}

static int32_t psci_call(uint32_t fn, uint32_t a1, uint32_t a2, uint32_t a3)
{
	register uint32_t r0 __asm__("r0") = fn;
	register uint32_t r1 __asm__("r1") = a1;
	register uint32_t r2 __asm__("r2") = a2;
	register uint32_t r3 __asm__("r3") = a3;

	if (conduit == PSCI_HVC)
		__asm__ volatile(".arch_extension virt\n\thvc #0"
				 : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3)::"memory");
	else if (conduit == PSCI_SMC)
		__asm__ volatile(".arch_extension sec\n\tsmc #0"
				 : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3)::"memory");
	else
		return -1;
	return (int32_t)r0;
}

void plat_reset(void)
{
	psci_call(PSCI_SYSTEM_RESET, 0, 0, 0);
}

void plat_poweroff(void)
{
	psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
}

int plat_cpu_on(uint64_t mpidr, paddr_t entry, uint32_t ctx)
{
	if (conduit == PSCI_NONE)
		return -1;                      /* NOT_SUPPORTED: no firmware to ask */
	if (entry >> 32 || mpidr >> 32)
		return -2;                      /* INVALID_PARAMETERS for the 32-bit call */
	return psci_call(PSCI_CPU_ON, (uint32_t)mpidr, (uint32_t)entry, ctx);
}

const char *plat_psci_error_name(int err)
{
	switch (err) {
	case 0: return "SUCCESS";
	case -1: return "NOT_SUPPORTED";
	case -2: return "INVALID_PARAMETERS";
	case -3: return "DENIED";
	case -4: return "ALREADY_ON";
	case -5: return "ON_PENDING";
	case -6: return "INTERNAL_FAILURE";
	case -7: return "NOT_PRESENT";
	case -8: return "DISABLED";
	case -9: return "INVALID_ADDRESS";
	}
	return "unknown";
}
