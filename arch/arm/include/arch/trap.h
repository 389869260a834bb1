/*
 * Trap frame and exception kinds (layout shared with vectors.S).
 */
#ifndef ARCH_TRAP_H
#define ARCH_TRAP_H

#include <lib/types.h>

enum trap_kind {
	TRAP_RESET = 0,
	TRAP_UNDEF = 1,
	TRAP_SVC = 2,
	TRAP_PABT = 3,
	TRAP_DABT = 4,
	TRAP_IRQ = 6,
	TRAP_FIQ = 7,
};

struct trap_frame {
	uint32_t r[13];
	uint32_t sp_usr;
	uint32_t lr_usr;
	uint32_t lr_svc;
	uint32_t pc;
	uint32_t cpsr;
};
_Static_assert(sizeof(struct trap_frame) == 72, "trap frame layout is fixed by vectors.S");

void arch_trap(struct trap_frame *tf, uint32_t kind);

/*
 * Fault catching for kernel self-tests: while armed, an undefined
 * instruction, prefetch abort or data abort taken in kernel mode is
 * recorded here instead of being fatal, and execution resumes after the
 * faulting instruction (undef, data abort) or at lr (prefetch abort, as
 * after a call to a bad address). Disarmed after one catch.
 */
struct fault_catch {
	bool armed;
	bool caught;
	uint32_t kind;
	uint32_t fsr;
	uint32_t far;
	uint32_t pc;
	char what[128]; /* decoded description */
};
void arch_fault_catch_arm(struct fault_catch *fc);
void arch_fault_catch_disarm(void);

/* Decode an LPAE-format DFSR/IFSR status into text; returns buf. */
const char *arch_fsr_describe(uint32_t fsr, char *buf, size_t len);
/* Print the full report of a fatal trap (registers, decoded reason). */
void arch_trap_report(const struct trap_frame *tf, uint32_t kind);
const char *arch_mode_name(uint32_t cpsr);

/* Backtrace from an explicit frame pointer / first return address. */
void arch_backtrace_from(uintptr_t fp, uintptr_t pc, uintptr_t lr);

/* Semihosting: true once a probe found QEMU's semihosting absent. */
bool arch_semihost_available(void);

#endif
