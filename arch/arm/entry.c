/*
 * Entry from user mode on ARMv7-A: the decoding of user traps and faults,
 * and the calls into the kernel's entry points (kentry_*, hal/uarch.h).
 * Contexts are uarch.c, address spaces vspace.c.
 *
 * Entry and exit (vectors.S). While a thread runs, SP_svc points just past
 * its struct uctx, so the vector stubs save the user registers straight
 * into the thread with `srsdb sp!, #SVC` and `stm`. CALL and REPLY_RECV
 * from user mode are then done by the svc vector's own IPC fast path when
 * they qualify, on registers and without the kernel stack (falling back
 * to kentry_syscall_slow); otherwise the stubs load this CPU's kernel
 * stack top from TPIDRPRW and call kentry_syscall (the svc vector's short
 * path) or arch_user_trap (everything else, through trap_common), and
 * leave through the context those return: restore, `rfeia`, which leaves
 * SP_svc just past that context again. No register is copied twice and
 * nothing of a thread lives on the kernel stack between two entries.
 *
 * Self-tests can run user code without threads: uarch_test_run() enters a
 * context with a hook that sees every trap from user mode (svc too, through
 * a second vector table whose svc entry takes the general path) and ends
 * the run by returning NULL.
 */
#include <arch/cpu.h>
#include <arch/internal.h>
#include <arch/trap.h>
#include <cairn/abi.h>
#include <hal/arch.h>
#include <hal/plat.h>
#include <hal/uarch.h>
#include <lib/printf.h>
#include <lib/string.h>

/* ----------------------------------------------------------- user traps */

/* The instruction at a user pc (ARM, or Thumb: 16-bit, or the two
 * halfwords of a 32-bit one, first in the high half); 0 if unreadable. */
static uint32_t user_insn(const struct uctx *ctx)
{
	uint16_t hw[2];
	uint32_t insn;

	if (!(ctx->cpsr & CPSR_T))
		return uarch_copy_from_user(&insn, ctx->pc & ~3u, 4) ? 0 : insn;
	if (uarch_copy_from_user(&hw[0], ctx->pc & ~1u, 2))
		return 0;
	if ((hw[0] >> 11) < 0x1d)
		return hw[0];
	if (uarch_copy_from_user(&hw[1], (ctx->pc & ~1u) + 2, 2))
		return (uint32_t)hw[0] << 16;
	return (uint32_t)hw[0] << 16 | hw[1];
}

static void decode_fault(const struct uctx *ctx, uint32_t kind, struct ufault *f)
{
	char what[96];

	memset(f, 0, sizeof(*f));
	f->pc = ctx->pc;
	switch (kind) {
	case TRAP_DABT:
		f->status = read_dfsr();
		f->addr = read_dfar();
		f->write = (f->status & (1u << 11)) != 0;
		f->kind = (f->status & 0x3f) == 0x21 ? FAULT_ALIGN : FAULT_DATA;
		ksnprintf(f->what, sizeof(f->what), "data abort: %s at 0x%08x",
			  arch_fsr_describe(f->status, what, sizeof(what)), (unsigned)f->addr);
		break;
	case TRAP_PABT:
		f->status = read_ifsr();
		f->addr = read_ifar();
		f->kind = FAULT_PREFETCH;
		ksnprintf(f->what, sizeof(f->what), "prefetch abort: %s at 0x%08x",
			  arch_fsr_describe(f->status & ~(1u << 11), what, sizeof(what)),
			  (unsigned)f->addr);
		break;
	case TRAP_UNDEF:
		f->kind = FAULT_UNDEF;
		f->status = user_insn(ctx);
		ksnprintf(f->what, sizeof(f->what), "undefined instruction 0x%08x",
			  (unsigned)f->status);
		break;
	default:
		/* Reset or the unused vector: never taken from user mode. */
		f->kind = FAULT_UNDEF;
		ksnprintf(f->what, sizeof(f->what), "unexpected exception %u",
			  (unsigned)kind);
		break;
	}
}

static uarch_test_hook_fn test_hook;
static void *test_hook_arg;

static struct uctx *test_trap(struct uctx *ctx, uint32_t kind)
{
	struct ufault f;
	struct uctx *next;

	if (kind == TRAP_IRQ || kind == TRAP_FIQ) {
		plat_irq_dispatch();
		return ctx;
	}
	if (kind != TRAP_SVC)
		decode_fault(ctx, kind, &f);
	next = test_hook(ctx, kind, kind == TRAP_SVC ? NULL : &f, test_hook_arg);
	if (!next)
		uarch_test_leave();
	return next;
}

/* Everything from user mode but the svc vector's own path: called by
 * trap_common on the CPU's kernel stack. */
struct uctx *arch_user_trap(struct uctx *ctx, uint32_t kind)
{
	struct ufault f;

	if (__builtin_expect(test_hook != NULL, 0))
		return test_trap(ctx, kind);
	switch (kind) {
	case TRAP_IRQ:
	case TRAP_FIQ:
		return kentry_irq(ctx);
	case TRAP_SVC:
		return kentry_syscall(ctx);
	}
	decode_fault(ctx, kind, &f);
	return kentry_fault(ctx, &f);
}

/* The same with several CPUs running threads (vectors_smp). */
struct uctx *arch_user_trap_smp(struct uctx *ctx, uint32_t kind)
{
	struct ufault f;

	switch (kind) {
	case TRAP_IRQ:
	case TRAP_FIQ:
		return kentry_irq_smp(ctx);
	case TRAP_SVC:
		return kentry_syscall_smp(ctx);
	}
	decode_fault(ctx, kind, &f);
	return kentry_fault_smp(ctx, &f);
}

extern const char vectors[], vectors_test[];

void uarch_test_run(struct uctx *ctx, uarch_test_hook_fn hook, void *arg, bool hook_svc)
{
	uint32_t irq = arch_irq_save();
	uint32_t vbar = read_vbar();

	test_hook = hook;
	test_hook_arg = arg;
	if (hook_svc) {
		write_vbar((uint32_t)(uintptr_t)vectors_test);
		isb();
	}
	uarch_test_enter(ctx);
	write_vbar(vbar);
	isb();
	test_hook = NULL;
	test_hook_arg = NULL;
	arch_irq_restore(irq);
}
