/*
 * Exception dispatch and fault reporting.
 *
 * arch_trap() is called from vectors.S with the saved frame. IRQs go to
 * the platform's interrupt controller. SVC from kernel mode is used for
 * two things only: the semihosting probe (an `svc 0x123456` reaching us
 * means QEMU was started without semihosting) and the null call used by
 * the exception round-trip benchmark. Undefined instructions and aborts in
 * kernel mode are bugs: they are reported in full (mode, PC/LR with
 * symbols, decoded DFSR/IFSR with DFAR/IFAR, all registers, backtrace)
 * and the kernel stops, unless a self-test armed a fault catcher.
 * Traps from user mode never come here: trap_common (vectors.S) sends
 * them to arch_user_trap (uarch.c), which hands them to the portable
 * kernel as system calls, interrupts or decoded faults.
 */
#include <arch/cpu.h>
#include <arch/trap.h>
#include <hal/arch.h>
#include <hal/plat.h>
#include <lib/log.h>
#include <lib/panic.h>
#include <lib/printf.h>

#define SEMIHOST_SVC_IMM 0x123456

static struct fault_catch *catcher;
static bool semihost_absent;
static uint32_t null_svc_count;

void arch_fault_catch_arm(struct fault_catch *fc)
{
	fc->armed = true;
	fc->caught = false;
	fc->what[0] = '\0';
	catcher = fc;
}

void arch_fault_catch_disarm(void)
{
	if (catcher)
		catcher->armed = false;
	catcher = NULL;
}

bool arch_semihost_available(void)
{
	return !semihost_absent;
}

const char *arch_mode_name(uint32_t cpsr)
{
	switch (cpsr & CPSR_MODE_MASK) {
	case CPSR_MODE_USR: return "USR";
	case CPSR_MODE_FIQ: return "FIQ";
	case CPSR_MODE_IRQ: return "IRQ";
	case CPSR_MODE_SVC: return "SVC";
	case CPSR_MODE_MON: return "MON";
	case CPSR_MODE_ABT: return "ABT";
	case CPSR_MODE_HYP: return "HYP";
	case CPSR_MODE_UND: return "UND";
	case CPSR_MODE_SYS: return "SYS";
	}
	return "???";
}

static const char *const kind_name[] = {
	[TRAP_RESET] = "reset", [TRAP_UNDEF] = "undefined instruction",
	[TRAP_SVC] = "supervisor call", [TRAP_PABT] = "prefetch abort",
	[TRAP_DABT] = "data abort", [5] = "unused vector",
	[TRAP_IRQ] = "IRQ", [TRAP_FIQ] = "FIQ",
};

/* Long-descriptor (LPAE) fault status, DFSR/IFSR bits [5:0]. */
const char *arch_fsr_describe(uint32_t fsr, char *buf, size_t len)
{
	uint32_t st = fsr & 0x3f;
	unsigned level = st & 3;
	const char *what = NULL;
	bool has_level = false;

	switch (st >> 2) {
	case 0x0: what = "address size fault"; has_level = true; break;
	case 0x1: what = "translation fault"; has_level = true; break;
	case 0x2: what = "access flag fault"; has_level = true; break;
	case 0x3: what = "permission fault"; has_level = true; break;
	case 0x5: what = "external abort on table walk"; has_level = true; break;
	case 0x7: what = "parity error on table walk"; has_level = true; break;
	}
	if (!what) {
		switch (st) {
		case 0x10: what = "synchronous external abort"; break;
		case 0x11: what = "asynchronous external abort"; break;
		case 0x18: what = "synchronous parity error"; break;
		case 0x19: what = "asynchronous parity error"; break;
		case 0x21: what = "alignment fault"; break;
		case 0x22: what = "debug event"; break;
		case 0x30: what = "TLB conflict abort"; break;
		default: what = "unknown fault status"; break;
		}
	}
	if (has_level)
		ksnprintf(buf, len, "%s, level %u%s%s (status 0x%02x)", what, level,
			  (fsr & (1u << 11)) ? ", write" : ", read",
			  (fsr & (1u << 13)) ? ", cache maintenance" : "",
			  (unsigned)st);
	else
		ksnprintf(buf, len, "%s%s (status 0x%02x)", what,
			  (fsr & (1u << 11)) ? ", write" : ", read", (unsigned)st);
	return buf;
}

static void print_addr(const char *label, uint32_t addr)
{
	char sym[80];

	if (arch_symbolize(addr, sym, sizeof(sym)))
		kprintf("  %-4s 0x%08x <%s>\n", label, (unsigned)addr, sym);
	else
		kprintf("  %-4s 0x%08x\n", label, (unsigned)addr);
}

static void describe_fault(uint32_t kind, char *buf, size_t len,
			   uint32_t *fsr, uint32_t *far)
{
	char what[96];

	*fsr = *far = 0;
	if (kind == TRAP_DABT) {
		*fsr = read_dfsr();
		*far = read_dfar();
		ksnprintf(buf, len, "data abort: %s at 0x%08x",
			  arch_fsr_describe(*fsr, what, sizeof(what)), (unsigned)*far);
	} else if (kind == TRAP_PABT) {
		*fsr = read_ifsr();
		*far = read_ifar();
		ksnprintf(buf, len, "prefetch abort: %s at 0x%08x",
			  arch_fsr_describe(*fsr & ~(1u << 11), what, sizeof(what)),
			  (unsigned)*far);
	} else {
		ksnprintf(buf, len, "%s", kind < ARRAY_SIZE(kind_name) ? kind_name[kind] : "?");
	}
}

void arch_trap_report(const struct trap_frame *tf, uint32_t kind)
{
	char desc[160];
	uint32_t fsr, far;
	uint32_t mode = tf->cpsr & CPSR_MODE_MASK;
	/* SVC-mode interrupted contexts had sp = frame end; user ones sp_usr. */
	uint32_t sp = mode == CPSR_MODE_USR || mode == CPSR_MODE_SYS
			      ? tf->sp_usr
			      : (uint32_t)(uintptr_t)(tf + 1);
	uint32_t lr = mode == CPSR_MODE_USR || mode == CPSR_MODE_SYS ? tf->lr_usr
								      : tf->lr_svc;

	describe_fault(kind, desc, sizeof(desc), &fsr, &far);
	kprintf("  %s in %s mode\n", desc, arch_mode_name(tf->cpsr));
	print_addr("pc", tf->pc);
	print_addr("lr", lr);
	if (kind == TRAP_DABT)
		kprintf("  DFSR 0x%08x  DFAR 0x%08x\n", (unsigned)fsr, (unsigned)far);
	else if (kind == TRAP_PABT)
		kprintf("  IFSR 0x%08x  IFAR 0x%08x\n", (unsigned)fsr, (unsigned)far);
	for (int i = 0; i < 13; i += 4) {
		kprintf(" ");
		for (int j = i; j < i + 4 && j < 13; j++)
			kprintf(" %sr%d = 0x%08x", j < 10 ? " " : "", j, (unsigned)tf->r[j]);
		kprintf("\n");
	}
	kprintf("   sp = 0x%08x   lr = 0x%08x   pc = 0x%08x cpsr = 0x%08x\n",
		(unsigned)sp, (unsigned)lr, (unsigned)tf->pc, (unsigned)tf->cpsr);
	if (mode != CPSR_MODE_USR)
		arch_backtrace_from(tf->r[11], tf->pc, lr);
}

static NORETURN void trap_fatal(struct trap_frame *tf, uint32_t kind)
{
	char desc[160];
	uint32_t fsr, far;

	describe_fault(kind, desc, sizeof(desc), &fsr, &far);
	kprintf("\nPANIC: unexpected %s in kernel (%s mode)\n",
		kind < ARRAY_SIZE(kind_name) ? kind_name[kind] : "exception",
		arch_mode_name(tf->cpsr));
	arch_trap_report(tf, kind);
	arch_exit(PANIC_EXIT_STATUS);
}

static bool try_catch(struct trap_frame *tf, uint32_t kind)
{
	struct fault_catch *fc = catcher;
	uint32_t fsr, far;

	if (!fc || !fc->armed)
		return false;
	describe_fault(kind, fc->what, sizeof(fc->what), &fsr, &far);
	fc->kind = kind;
	fc->fsr = fsr;
	fc->far = far;
	fc->pc = tf->pc;
	fc->caught = true;
	fc->armed = false;
	catcher = NULL;
	if (kind == TRAP_PABT)
		tf->pc = tf->lr_svc; /* return from the call to the bad address */
	else
		tf->pc += (tf->cpsr & CPSR_T) ? 2 : 4;
	return true;
}

static void kernel_svc(struct trap_frame *tf)
{
	uint32_t insn = *(const uint32_t *)(uintptr_t)(tf->pc - 4);
	uint32_t imm = insn & 0xffffff;

	if (imm == SEMIHOST_SVC_IMM) {
		/* QEMU intercepts this SVC when semihosting is enabled; that
		 * it reached us means it is not. */
		semihost_absent = true;
		tf->r[0] = (uint32_t)-1;
		return;
	}
	if (imm == 0) {
		null_svc_count++;
		return;
	}
	trap_fatal(tf, TRAP_SVC);
}

void arch_trap(struct trap_frame *tf, uint32_t kind)
{
	bool from_user = (tf->cpsr & CPSR_MODE_MASK) == CPSR_MODE_USR;

	switch (kind) {
	case TRAP_IRQ:
		plat_irq_dispatch();
		return;
	case TRAP_SVC:
		if (!from_user) {
			kernel_svc(tf);
			return;
		}
		break;
	case TRAP_UNDEF:
	case TRAP_PABT:
	case TRAP_DABT:
		if (!from_user && try_catch(tf, kind))
			return;
		break;
	default:
		break;
	}
	trap_fatal(tf, kind);
}
