/*
 * Exception vectors and the trap frame.
 *
 * Every exception is handled on the SVC-mode stack: the stub for each
 * vector adjusts the banked LR to the address of interest, pushes it with
 * SPSR using `srsdb sp!, #SVC`, switches to SVC mode, and saves the rest
 * of the interrupted context, giving this frame (see struct trap_frame):
 *
 *   sp+0   r0 .. r12
 *   sp+52  sp_usr      (user bank, whatever the interrupted mode)
 *   sp+56  lr_usr
 *   sp+60  lr_svc      (SVC bank LR at exception time)
 *   sp+64  pc          (return address, or faulting instruction, see below)
 *   sp+68  cpsr        (SPSR of the exception mode = interrupted CPSR)
 *
 * The frame is 72 bytes; when SVC mode was interrupted its SP was exactly
 * frame + 72. `pc` holds: undef/prefetch/data abort -> the faulting
 * instruction; IRQ -> the instruction to resume; SVC -> the instruction
 * after `svc`. arch_trap() may edit the frame (e.g. to skip an instruction)
 * before the return path restores it with `rfeia`.
 */
#include <arch/memlayout.h>

	.arch armv7ve
	.syntax unified
	.arm

#define TRAP_RESET 0
#define TRAP_UNDEF 1
#define TRAP_SVC 2
#define TRAP_PABT 3
#define TRAP_DABT 4
#define TRAP_IRQ 6
#define TRAP_FIQ 7

	.text
	.balign 32
	.global vectors
vectors:
	b vec_reset
	b vec_undef
	b vec_svc
	b vec_pabt
	b vec_dabt
	b vec_reset
	b vec_irq
	b vec_fiq

.macro trap_entry lr_adjust, kind
	.if \lr_adjust
	sub lr, lr, #\lr_adjust
	.endif
	srsdb sp!, #0x13
	cps #0x13
	sub sp, sp, #64
	stmia sp, {r0-r12}
	add r0, sp, #52
	stmia r0, {sp, lr}^
	str lr, [sp, #60]
	mov r0, sp
	mov r1, #\kind
	b trap_common
.endm

vec_reset:
	trap_entry 0, TRAP_RESET
vec_undef:
	/* lr = faulting instruction + 4 (ARM) or + 2 (Thumb). */
	srsdb sp!, #0x13
	cps #0x13
	sub sp, sp, #64
	stmia sp, {r0-r12}
	add r0, sp, #52
	stmia r0, {sp, lr}^
	str lr, [sp, #60]
	ldr r1, [sp, #68]
	ldr r2, [sp, #64]
	tst r1, #0x20
	subeq r2, r2, #4
	subne r2, r2, #2
	str r2, [sp, #64]
	mov r0, sp
	mov r1, #TRAP_UNDEF
	b trap_common
vec_svc:
	/* The system-call path: a thread's registers go straight into its
	 * struct uctx (SP_svc points just past it while user code runs),
	 * then the kernel stack, kentry_syscall, and out through the context
	 * it returns. An svc from kernel mode (self-tests, the semihosting
	 * probe) takes the general path. */
	srsdb sp!, #0x13
	sub sp, sp, #64
	stmia sp, {r0-r12}
	add r0, sp, #52
	stmia r0, {sp, lr}^
	mov r0, sp                      /* the frame, for either path */
	mrs r1, spsr
	tst r1, #0xf                    /* USR is the only mode with low bits 0 */
	strne lr, [sp, #60]             /* lr_svc matters to kernel frames only */
	movne r1, #TRAP_SVC
	bne trap_common
	mrc p15, 0, sp, c13, c0, 4      /* TPIDRPRW: this CPU's kernel stack top */
	/* fp keeps the user's value: the unwinder ignores frame pointers
	 * outside the kernel's stack and image. r7 still holds the call
	 * number: the two IPC fast paths are entered directly. */
	cmp r7, #1                      /* SYS_REPLY_RECV; SYS_CALL is 0 */
	bhi 1f
	bne 2f
	bl kentry_reply_recv
	b 3f
2:	bl kentry_call
	b 3f
1:	bl kentry_syscall
	/* Back to user mode (a user context in r0): as trap_return, without
	 * the lr_svc that only kernel frames need. The instruction after the
	 * user-bank load touches no banked register. */
3:	add sp, r0, #52
	ldmia sp, {sp, lr}^
	ldmia r0, {r0-r12}
	add sp, sp, #12
	rfeia sp!
vec_pabt:
	trap_entry 4, TRAP_PABT
vec_dabt:
	trap_entry 8, TRAP_DABT
vec_irq:
	trap_entry 4, TRAP_IRQ
vec_fiq:
	trap_entry 4, TRAP_FIQ

trap_common:
	ldr r2, [sp, #68]
	tst r2, #0xf
	beq user_trap
	mov r4, sp
	bic sp, sp, #7                  /* AAPCS: 8-byte aligned stack for C */
	ldr fp, [r4, #44]               /* interrupted r11: lets backtraces cross the trap */
	bl arch_trap
	mov sp, r4
	.global trap_return
trap_return:
	add r0, sp, #52
	ldmia r0, {sp, lr}^
	nop
	ldr lr, [sp, #60]
	ldmia sp, {r0-r12}
	add sp, sp, #64
	rfeia sp!

	/* A trap from user mode: the frame is the thread's uctx. Run the
	 * handler on the kernel stack and resume the context it returns
	 * (SP_svc ends just past that context, ready for the next entry). */
user_trap:
	mov r0, sp
	mrc p15, 0, sp, c13, c0, 4      /* this CPU's kernel stack top */
	mov fp, #0
	bl arch_user_trap
	mov sp, r0
	b trap_return

	/* uarch_enter_user(ctx): leave the kernel into a thread. The kernel
	 * stack is abandoned: the next entry starts again at its top. */
	.global uarch_enter_user
uarch_enter_user:
	mov sp, r0
	b trap_return

	/* Self-tests running user code (uarch_test_run): save the caller's
	 * callee-saved registers and stack, make traps from user mode use the
	 * stack below them (TPIDRPRW), enter ctx. uarch_test_leave, called on
	 * that stack by the hook's trap, restores all that and returns from
	 * uarch_test_enter. */
	.global uarch_test_enter
uarch_test_enter:
	push {r4-r12, lr}               /* 40 bytes: sp stays 8-byte aligned */
	ldr r1, =test_saved
	mrc p15, 0, r2, c13, c0, 4
	str r2, [r1]                    /* the CPU's kernel stack top */
	str sp, [r1, #4]
	mcr p15, 0, sp, c13, c0, 4
	mov sp, r0
	b trap_return

	.global uarch_test_leave
uarch_test_leave:
	ldr r1, =test_saved
	ldr r2, [r1]
	ldr sp, [r1, #4]
	mcr p15, 0, r2, c13, c0, 4
	pop {r4-r12, pc}

	/* The vector table of uarch_test_run(hook_svc): svc from user mode
	 * takes the general path to arch_user_trap. */
	.balign 32
	.global vectors_test
vectors_test:
	b vec_reset
	b vec_undef
	b vec_svc_general
	b vec_pabt
	b vec_dabt
	b vec_reset
	b vec_irq
	b vec_fiq
vec_svc_general:
	trap_entry 0, TRAP_SVC

	.ltorg

	.bss
	.balign 8
test_saved:
	.space 8
