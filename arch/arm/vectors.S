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
#include <syscall/asm_offsets.h>

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

.macro trap_entry lr_adjust, kind, common=trap_common
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
	b \common
.endm

	/* lr = faulting instruction + 4 (ARM) or + 2 (Thumb). */
.macro undef_entry common
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
	b \common
.endm

	/* svc: the registers straight into the thread's uctx (SP_svc points
	 * just past it while user code runs); from kernel mode, the general
	 * path. */
.macro svc_save
	srsdb sp!, #0x13
	sub sp, sp, #64
	stmia sp, {r0-r12}
	add ip, sp, #52
	stmia ip, {sp, lr}^
	mrs ip, spsr
	tst ip, #0xf                    /* USR is the only mode with low bits 0 */
	bne svc_kernel
.endm

vec_reset:
	trap_entry 0, TRAP_RESET
vec_undef:
	undef_entry trap_common
vec_svc:
	/* The system-call path: a thread's registers go straight into its
	 * struct uctx (SP_svc points just past it while user code runs),
	 * then, for CALL and REPLY_RECV, the fast path below; for the rest
	 * the kernel stack, kentry_syscall, and out through the context it
	 * returns. An svc from kernel mode (self-tests, the semihosting
	 * probe) takes the general path. */
	svc_save
	/* fp keeps the user's value: the unwinder ignores frame pointers
	 * outside the kernel's stack and image. r7 holds the call number. */
	cmp r7, #AO_SYS_REPLY_RECV      /* SYS_CALL is 0 */
	bls ipc_fast
	mov r0, sp
	mrc p15, 0, sp, c13, c0, 4      /* TPIDRPRW: this CPU's kernel stack top */
	bl kentry_syscall
	/* Back to user mode (a user context in r0): as trap_return, without
	 * the lr_svc that only kernel frames need. The instruction after the
	 * user-bank load touches no banked register. */
svc_resume:
	add sp, r0, #52
	ldmia sp, {sp, lr}^
	ldmia r0, {r0-r12}
	add sp, sp, #12
	rfeia sp!

svc_kernel:
	str lr, [sp, #60]               /* lr_svc matters to kernel frames only */
	mov r0, sp
	mov r1, #TRAP_SVC
	b trap_kernel                   /* (trap_common, its mode known) */

/*
 * The IPC fast path of CALL and REPLY_RECV, without a C frame. The same
 * decisions as ipc_fastpath_call / ipc_fastpath_reply_recv (ipc/fastpath.h,
 * which kentry_call and kentry_reply_recv run; docs/performance.md lists
 * every check and why it is enough), made on registers: the thread's
 * registers are already saved in its uctx, so r6, r8..r12 and lr are
 * free, r0 (the slot index) is only read and r7 (the call number, for
 * the general path) kept until the switch is certain, while r1..r5 (the
 * info word and MR0..MR3) stay live and are handed to the thread
 * switched to as they are. Every check comes before
 * the first store; a refusal leaves everything as it was and goes to the
 * general path (kentry_syscall_slow) with r7 still the call number.
 * Offsets and constants: syscall/asm_offsets.h, checked in syscall.c.
 *
 *   sp   the current thread's uctx: its fields are at TC(offset)
 *   r11  the thread to switch to (receiver, or caller answered)
 *   r10  the slot, then that thread's address space
 *   r9   the CSpace, then the endpoint
 */
#define TC(off) ((off) - AO_T_CTX)

	/* A short message: at most MSG_REG_WORDS words, no capabilities.
	 * The info word's unused bits are delivered as 0 (MSG_INFO). */
.macro ipc_short_message fail
	bic r1, r1, #AO_MSG_INFO_UNUSED
	ubfx r8, r1, #0, #9             /* length and capability count */
	cmp r8, #AO_MSG_REG_WORDS
	bhi \fail
.endm

	/* fast_lookup of the slot named by r0 (the bounds of cspace_lookup),
	 * then an endpoint capability with \rights: the slot in r10. */
.macro ipc_lookup rights, fail
	ldr r9, [sp, #TC(AO_T_CSPACE)]  /* a running thread has its CSpace */
	sub r10, r0, #1
	ldr r8, [r9, #AO_CS_LIMIT]
	sub r8, r8, #1
	cmp r10, r8
	bhs \fail                       /* 0 (CPTR_NULL), or not below limit */
	cmp r0, #(1 << AO_CNODE_BITS)
	ldrlo r10, [r9, #AO_CS_LEAF0]   /* slots 0..63: one load */
	blo 90f
	lsr r8, r0, #(2 * AO_CNODE_BITS)
	add r8, r9, r8, lsl #2
	ldr r8, [r8, #AO_CS_MID]
	cmp r8, #0
	beq \fail
	ubfx r10, r0, #AO_CNODE_BITS, #AO_CNODE_BITS
	ldr r10, [r8, r10, lsl #2]
90:	cmp r10, #0
	beq \fail                       /* no leaf */
	and r8, r0, #((1 << AO_CNODE_BITS) - 1)
	add r8, r8, r8, lsl #2
	add r10, r10, r8, lsl #3        /* + AO_SLOT_SIZE (40) * index */
	ldr r8, [r10, #AO_SLOT_INFO]
	and r9, r8, #0xff
	cmp r9, #AO_CAP_ENDPOINT
	bne \fail
	tst r8, #(\rights << 8)
	beq \fail
.endm

	/* Z set when nobody holds or waits for the kernel lock (the halves
	 * of its word equal); r8 scratch. */
.macro lock_free_test
	ldr r8, =kernel_lock
	ldr r8, [r8]
	eor r8, r8, r8, ror #16
	lsls r8, r8, #16
.endm

	/* kernel_lock_sharers_waiting \op 1, atomically; r8..r10 scratch. */
.macro sharers_waiting op
	ldr r9, =kernel_lock_sharers_waiting
2:	ldrex r8, [r9]
	\op r8, r8, #1
	strex r10, r8, [r9]
	cmp r10, #0
	bne 2b
.endm

	/* Several CPUs (ipc/fastpath.h, FAST_SHARED): this CPU's struct cpu
	 * in r12 for the whole path, the kernel lock shared -- the flag set,
	 * a full barrier, then the lock word read: held or wanted (its halves
	 * differ) and the path declines -- and no reschedule asked for by
	 * another CPU (which also marks a thread stopped there: sched_stall). */
.macro smp_share fail, busy
	mrc p15, 0, r12, c13, c0, 4
	ldr r12, [r12, #AO_CPU_LOCAL_CPU]
	mov r8, #1
	strb r8, [r12, #AO_CPU_IN_FAST]
	dmb ish
	lock_free_test                  /* Z: next == owner, nobody holds or waits */
	bne \busy\()_wait
\busy:
	dmb ish                         /* (acquire: nothing below is read before the lock word) */
	ldrb r8, [r12, #AO_CPU_RESCHED]
	cmp r8, #0
	bne \fail
.endm

	/* ... and the partner (r11) a thread of this CPU, the endpoint (r9)
	 * homed here, the partner's space with an ASID of this generation
	 * (the switch then needs no allocator). r6, r8 scratch. */
.macro smp_partner_checks fail
	ldrb r6, [r12, #AO_CPU_INDEX]
	ldrb r8, [r11, #AO_T_CPU]
	cmp r8, r6
	bne \fail
	ldrb r8, [r9, #AO_EP_HOME]
	cmp r8, r6
	bne \fail
	ldr r6, [r11, #AO_T_VSPACE]
	ldr r6, [r6, #AO_VS_ASID_GEN]
	ldr r8, =uarch_asid_gen
	ldr r8, [r8]
	cmp r6, r8
	bne \fail
.endm

	/* A CPU alone (it keeps the kernel lock across user mode, every other
	 * CPU idle: sched.c, solo_begin): this CPU's struct cpu in r12, and
	 * the partner (r11) a thread of this CPU. r6, r8 scratch. */
.macro solo_partner_check fail
	mrc p15, 0, r12, c13, c0, 4
	ldr r12, [r12, #AO_CPU_LOCAL_CPU]
	ldrb r6, [r12, #AO_CPU_INDEX]
	ldrb r8, [r11, #AO_T_CPU]
	cmp r8, r6
	bne \fail
.endm

/*
 * CALL and REPLY_RECV, \smp = 0 for one CPU (labels ipc_*), 1 for the
 * shared fast paths of several CPUs (labels ipc_*_smp), 2 for a CPU alone
 * (labels ipc_*_solo): the same code but for the sharing and the checks
 * above (1: a switch that needs no ASID test; 2: only the partner's CPU).
 */
.macro ipc_fast_paths smp, sfx
ipc_fast\sfx:
	.if \smp == 1
	/* (the flags of the compare with SYS_REPLY_RECV are lost below) */
	smp_share ipc_decline\sfx, ipc_share\sfx
	cmp r7, #AO_SYS_REPLY_RECV
	.endif
	beq rr_fast\sfx
	/* CALL: a receiver waits on the endpoint, at the caller's priority
	 * or above (so it is the thread sched_pick would run); it has no
	 * caller (receiving drops it) and an address space (losing it takes
	 * a thread off every queue). */
	ipc_short_message ipc_decline\sfx
	ipc_lookup AO_R_WRITE, ipc_decline\sfx
	ldr r9, [r10, #AO_SLOT_OBJ]     /* the endpoint */
	ldrb r8, [r9, #AO_EP_STATE]
	cmp r8, #AO_EP_RECV
	bne ipc_decline\sfx
	ldr r11, [r9, #AO_EP_HEAD]      /* the receiver */
	ldrb r8, [sp, #TC(AO_T_PRIO)]
	ldrb r6, [r11, #AO_T_PRIO]
	cmp r6, r8
	blo ipc_decline\sfx
	.if \smp == 1
	smp_partner_checks ipc_decline\sfx
	.elseif \smp == 2
	solo_partner_check ipc_decline\sfx
	.endif
	/* Taken: nothing below declines. The receiver off the queue. */
	ldr r8, [r11, #AO_T_QNEXT]
	mov r6, #0
	str r8, [r9, #AO_EP_HEAD]
	cmp r8, #0
	strne r6, [r8, #AO_T_QPREV]
	streq r6, [r9, #AO_EP_TAIL]
	strbeq r6, [r9, #AO_EP_STATE]   /* EP_IDLE (0) */
	str r6, [r11, #AO_T_QNEXT]
	str r6, [r11, #AO_T_WAIT_OBJ]
	/* The badge, the reply right (and whether the reply may carry
	 * capabilities: the caller's R_GRANT), the states. */
	ldr r6, [r10, #AO_SLOT_A]
	ldr r8, [r10, #AO_SLOT_INFO]
	ubfx r8, r8, #(8 + 3), #1       /* R_GRANT (AO_R_GRANT) of the rights at bits 8..11 */
	strb r8, [sp, #TC(AO_T_IPC_GRANT)]
	sub r8, sp, #AO_T_CTX
	str r8, [r11, #AO_T_CALLER]
	str r11, [sp, #TC(AO_T_CALLEE)]
	mov r8, #AO_TS_RUNNABLE
	strb r8, [r11, #AO_T_STATE]
	mov r8, #AO_TS_BLOCKED_REPLY
	strb r8, [sp, #TC(AO_T_STATE)]
	.if \smp == 0
	mrc p15, 0, r12, c13, c0, 4     /* TPIDRPRW: the kernel stack top, */
	ldr r12, [r12, #AO_CPU_LOCAL_CPU] /* where this CPU's struct cpu is named */
	.endif
	/* Switch to r11 (this CPU's struct cpu in r12): cpu->cur, and TTBR0
	 * when the spaces differ. No entry starts with cpu->vs_dirty set
	 * (thread.c), so TTBR0 holds the current thread's space. */
ipc_switch\sfx:
	str r11, [r12, #AO_CPU_CUR]
	ldr r8, [sp, #TC(AO_T_VSPACE)]
	ldr r10, [r11, #AO_T_VSPACE]
	cmp r8, r10
	beq ipc_exit\sfx
	.if \smp != 1
	/* uarch_vs_activate: an ASID of this generation is one write. */
	movw r8, #:lower16:uarch_asid_gen
	movt r8, #:upper16:uarch_asid_gen
	ldr r9, [r10, #AO_VS_ASID_GEN]
	ldr r8, [r8]
	cmp r8, r9
	bne ipc_activate_slow\sfx
	.endif
	ldrd r8, r9, [r10, #AO_VS_TTBR]
	mcrr p15, 0, r8, r9, c2         /* TTBR0; no ISB: the exception return synchronizes */
	/* Into r11: r0 = 0, r1..r5 the message, r6 the badge, the rest
	 * from its uctx; SP_svc ends just past that uctx. */
ipc_exit\sfx:
	.if \smp == 1
	/* The lock no longer shared: everything written above is seen
	 * before the flag clears. */
	mov r8, #0
	dmb ish
	strb r8, [r12, #AO_CPU_IN_FAST]
	.endif
	add sp, r11, #(AO_T_CTX + 28)
	ldmia sp!, {r7-r12}
	ldmia sp, {sp, lr}^
	mov r0, #0                      /* (touches no banked register) */
	add sp, sp, #12
	rfeia sp!

	/* REPLY_RECV: a caller waits for the reply and it is not a fault
	 * message; no bound notification has bits pending (the general path
	 * delivers those first); the endpoint holds no senders (the receive
	 * would take one); the caller at least as high as every queued ready
	 * thread (no decision is pending at an entry: the running thread is
	 * at least as high as every ready one, and cpu->next is empty). */
rr_fast\sfx:
	ipc_short_message ipc_decline\sfx
	ldr r11, [sp, #TC(AO_T_CALLER)]
	cmp r11, #0
	beq ipc_decline\sfx
	ldrb r8, [r11, #AO_T_TFLAGS]
	tst r8, #AO_THREAD_F_FAULT
	bne ipc_decline\sfx
	ldr r8, [sp, #TC(AO_T_BOUND)]
	cmp r8, #0
	ldrne r8, [r8, #AO_NTFN_WORD]
	cmpne r8, #0
	bne ipc_decline\sfx
	ipc_lookup AO_R_READ, ipc_decline\sfx
	ldr r9, [r10, #AO_SLOT_OBJ]     /* the endpoint */
	ldrb r8, [r9, #AO_EP_STATE]
	cmp r8, #AO_EP_SEND
	beq ipc_decline\sfx
	.if \smp == 1
	smp_partner_checks ipc_decline\sfx
	.elseif \smp == 2
	solo_partner_check ipc_decline\sfx
	.else
	mrc p15, 0, r12, c13, c0, 4     /* this CPU's struct cpu (as above) */
	ldr r12, [r12, #AO_CPU_LOCAL_CPU]
	.endif
	ldr r8, [r12, #AO_CPU_READY_TOP]
	cmp r8, #0
	beq 1f
	clz r8, r8
	rsb r8, r8, #31                 /* highest group */
	add r10, r12, r8, lsl #2
	ldr r10, [r10, #AO_CPU_READY_BITS]
	clz r10, r10
	rsb r10, r10, #31
	orr r8, r10, r8, lsl #5         /* highest queued priority */
	ldrb r10, [r11, #AO_T_PRIO]
	cmp r10, r8
	blo ipc_decline\sfx
1:	/* Taken. The reply: the caller runnable, the reply right gone. */
	mov r10, #0
	str r10, [r11, #AO_T_CALLEE]
	str r10, [sp, #TC(AO_T_CALLER)]
	mov r8, #AO_TS_RUNNABLE
	strb r8, [r11, #AO_T_STATE]
	/* The receive: t to the tail of the endpoint's queue (thread_q_push). */
	ldr r8, [r9, #AO_EP_TAIL]
	sub lr, sp, #AO_T_CTX
	str r10, [sp, #TC(AO_T_QNEXT)]
	str r8, [sp, #TC(AO_T_QPREV)]
	cmp r8, #0
	strne lr, [r8, #AO_T_QNEXT]
	streq lr, [r9, #AO_EP_HEAD]
	str lr, [r9, #AO_EP_TAIL]
	mov r8, #AO_EP_RECV
	strb r8, [r9, #AO_EP_STATE]
	str r9, [sp, #TC(AO_T_WAIT_OBJ)]
	mov r8, #AO_TS_BLOCKED_RECV
	strb r8, [sp, #TC(AO_T_STATE)]
	mov r6, #0                      /* a reply has no badge */
	b ipc_switch\sfx

	.if \smp != 1
	/* A space without an ASID of this generation: uarch_vs_activate
	 * on the kernel stack, keeping the message. */
ipc_activate_slow\sfx:
	mrc p15, 0, sp, c13, c0, 4
	push {r1-r6, r11, r12}
	add r0, r10, #AO_VS_ARCH
	bl uarch_vs_activate
	pop {r1-r6, r11, r12}
	b ipc_exit\sfx
	.endif
.endm

/*
 * The IPC fast path of CALL and REPLY_RECV, without a C frame. The same
 * decisions as ipc_fastpath_call / ipc_fastpath_reply_recv (ipc/fastpath.h,
 * which kentry_call and kentry_reply_recv run; docs/performance.md lists
 * every check and why it is enough), made on registers: the thread's
 * registers are already saved in its uctx, so r6, r8..r12 and lr are
 * free, r0 (the slot index) is only read and r7 (the call number, for
 * the general path) kept until the switch is certain, while r1..r5 (the
 * info word and MR0..MR3) stay live and are handed to the thread
 * switched to as they are. Every check comes before
 * the first store; a refusal leaves everything as it was and goes to the
 * general path (kentry_syscall_slow) with r7 still the call number.
 * Offsets and constants: syscall/asm_offsets.h, checked in syscall.c.
 *
 *   sp   the current thread's uctx: its fields are at TC(offset)
 *   r11  the thread to switch to (receiver, or caller answered)
 *   r10  the slot, then that thread's address space
 *   r9   the CSpace, then the endpoint
 */
	ipc_fast_paths 0, ""

	/* Declined: the general path, from the registers saved in the uctx. */
ipc_decline:
	mov r0, sp
	mrc p15, 0, sp, c13, c0, 4
	mov r1, r7
	bl kentry_syscall_slow
	b svc_resume

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
trap_kernel:
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

/*
 * The entries once several CPUs run threads (uarch_smp_entries switches
 * each CPU's VBAR here): the same frames, but every entry from user mode
 * goes to the C entries that take the kernel lock (kentry_*_smp), but
 * for the svc vector's IPC fast paths, which run with the lock shared
 * (ipc_fast_paths 1: beside the same paths on other CPUs, between threads
 * of this CPU). One CPU keeps the table above and pays nothing.
 */
	/* The svc vector of several CPUs: CALL and REPLY_RECV to the IPC fast
	 * paths at \fast, the rest to \entry (a CPU alone's: one CPU's). */
.macro svc_vector fast, entry=kentry_syscall_smp
	svc_save
	cmp r7, #AO_SYS_REPLY_RECV      /* SYS_CALL is 0 */
	bls \fast
	mov r0, sp
	mrc p15, 0, sp, c13, c0, 4
	bl \entry
	b svc_resume
.endm

	.balign 32
	.global vectors_smp
vectors_smp:
	b vec_reset
	b vec_undef_smp
	b vec_svc_smp
	b vec_pabt_smp
	b vec_dabt_smp
	b vec_reset
	b vec_irq_smp
	b vec_fiq_smp

vec_undef_smp:
	undef_entry trap_common_smp
vec_pabt_smp:
	trap_entry 4, TRAP_PABT, trap_common_smp
vec_dabt_smp:
	trap_entry 8, TRAP_DABT, trap_common_smp
vec_irq_smp:
	trap_entry 4, TRAP_IRQ, trap_common_smp
vec_fiq_smp:
	trap_entry 4, TRAP_FIQ, trap_common_smp
vec_svc_smp:
	svc_vector ipc_fast_smp

	/* Declined with the lock shared: the flag cleared (nothing was
	 * written), then the entry that takes the lock. Not through
	 * kentry_syscall_smp, whose SYS_NULL test reads the frame without
	 * the lock: after a wait (below) the thread may be gone. */
ipc_decline_smp:
	mov r8, #0
	strb r8, [r12, #AO_CPU_IN_FAST]
ipc_slow_smp:
	mov r0, sp
	mrc p15, 0, sp, c13, c0, 4
	bl kentry_syscall_locked
	b svc_resume

	/* The lock held or wanted: the flag cleared, and while it stays so
	 * (until it has gone from holder to holder AO_SHARE_HANDOVERS times)
	 * a wait without a ticket -- a CPU that queued for it here would hold
	 * every other sharer back too -- then the sharing tried again; after
	 * that, the lock taken, in turn with the others. While it
	 * waits the CPU is in the kernel with its thread's registers saved:
	 * in_user clear (release order, as kernel_enter), in_svc set before,
	 * so that a CPU stopping that thread (sched_stall) need not wait for
	 * it and puts its pc back at the svc; that CPU asks this one to
	 * reschedule first, which the section sees and declines. Shared
	 * again, in_svc is cleared and in_user set again: the section ends in
	 * user mode or declines to kentry_syscall_locked. */
ipc_share_smp_wait:
	mov r8, #1
	strb r8, [r12, #AO_CPU_IN_SVC]
	mov r8, #0
	strb r8, [r12, #AO_CPU_IN_FAST]
	dmb ish
	strb r8, [r12, #AO_CPU_IN_USER]
	sharers_waiting add             /* seen by the lock's holder and takers */
	ldr r6, =kernel_lock
	ldrh r6, [r6]                   /* the ticket served now */
1:	yield
	/* A reschedule asked of this CPU (its thread stopped, say) makes
	 * the section decline anyway: the general entry at once, whose
	 * wait for a ticket also answers the holder's request to leave a
	 * space that goes (sched.c, space_unload). */
	ldrb r8, [r12, #AO_CPU_RESCHED]
	cmp r8, #0
	bne ipc_share_smp_give_up
	ldr r8, =kernel_lock
	ldr r8, [r8]
	sub r9, r8, r6
	uxth r9, r9
	cmp r9, #AO_SHARE_HANDOVERS
	bhs ipc_share_smp_give_up
	eor r8, r8, r8, ror #16
	lsls r8, r8, #16
	bne 1b
	mov r8, #1
	strb r8, [r12, #AO_CPU_IN_FAST]
	dmb ish
	lock_free_test
	movne r8, #0
	strbne r8, [r12, #AO_CPU_IN_FAST]
	bne 1b
	mov r8, #0
	strb r8, [r12, #AO_CPU_IN_SVC]
	mov r8, #1
	strb r8, [r12, #AO_CPU_IN_USER]
	sharers_waiting sub
	b ipc_share_smp
ipc_share_smp_give_up:
	sharers_waiting sub
	b ipc_slow_smp

	ipc_fast_paths 1, _smp

/*
 * A CPU alone: it keeps the kernel lock across user mode while every
 * other CPU idles (kernel_exit, sched.c), and its entries are those of
 * vectors_smp but for the svc vector's IPC fast paths, which are the one
 * CPU's with the partner's CPU checked (ipc_fast_paths 2): nothing to
 * share, nobody else in the kernel; the other system calls take the
 * one-CPU C entry (kentry_syscall_solo: the C fast paths of signal, wait,
 * yield and interrupt acknowledge, nothing to lock). The other C entries
 * find the CPU alone and take no lock; their exit gives it back when
 * another CPU wants it.
 */
	.balign 32
	.global vectors_solo
vectors_solo:
	b vec_reset
	b vec_undef_smp
	b vec_svc_solo
	b vec_pabt_smp
	b vec_dabt_smp
	b vec_reset
	b vec_irq_smp
	b vec_fiq_smp

vec_svc_solo:
	svc_vector ipc_fast_solo, kentry_syscall_solo

	/* Declined: the general path of one CPU (r7 the call number), whose
	 * exit gives the lock back if the CPU idled on the way. */
ipc_decline_solo:
	mov r0, sp
	mrc p15, 0, sp, c13, c0, 4
	mov r1, r7
	bl kentry_syscall_solo_slow
	b svc_resume

	ipc_fast_paths 2, _solo

trap_common_smp:
	ldr r2, [sp, #68]
	tst r2, #0xf
	bne trap_kernel
	mov r0, sp
	mrc p15, 0, sp, c13, c0, 4
	mov fp, #0
	bl arch_user_trap_smp
	mov sp, r0
	b trap_return

	/* uarch_enter_user(ctx): leave the kernel into a thread. The kernel
	 * stack is abandoned: the next entry starts again at its top. */
	.global uarch_enter_user
uarch_enter_user:
	/* Interrupts masked first: from the moment sp names the thread's
	 * context, an interrupt taken in this mode would push its frame just
	 * below that context (the thread object's slot header and the
	 * object before it in its slab). The return restores them. */
	cpsid i
	mov sp, r0
	b trap_return

	/* Self-tests running user code (uarch_test_run): save the caller's
	 * callee-saved registers and stack, make traps from user mode use the
	 * stack below them (TPIDRPRW, with a copy of the CPU's local words
	 * above it, as above every stack top TPIDRPRW names), enter ctx. uarch_test_leave, called on
	 * that stack by the hook's trap, restores all that and returns from
	 * uarch_test_enter. */
	.global uarch_test_enter
uarch_test_enter:
	push {r4-r12, lr}               /* 40 bytes: sp stays 8-byte aligned */
	ldr r1, =test_saved
	mrc p15, 0, r2, c13, c0, 4
	str r2, [r1]                    /* the CPU's kernel stack top */
	ldr r3, [r2]                    /* its local words (struct cpu): */
	push {r3, r4}                   /* the same above the test's stack top */
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
	add sp, sp, #8                  /* the local words */
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
