/*
 * The fuzzer's hand-written pieces: code for the threads it starts, which
 * uses no stack and writes no memory (whatever registers a random call
 * gives it, such a thread can only make system calls and fault), and the
 * probes of the fuzzer's own thread, whose faults the watchdog turns into
 * a return through a landing (main.c, "probes").
 *
 * Threads: r0 = a slot (the one random argument), r1 anything. r8 keeps
 * the slot, r9 counts the rounds; after 64 rounds, or on the first error
 * of a blocking call, the thread executes an undefined instruction: it
 * stops (no fault endpoint) or its fault becomes a message.
 */
	.syntax unified
	.arm
	.text

#define SYS_CALL 0
#define SYS_REPLY_RECV 1
#define SYS_SEND 2
#define SYS_RECV 4
#define SYS_YIELD 7

	/* Serve: receive, then answer and receive again. */
	.global fz_thread_serve
	.balign 4
fz_thread_serve:
	mov r8, r0
	mov r9, #64
	mov r7, #SYS_RECV
	svc #0
	cmp r0, #0
	bne 9f
1:	subs r9, r9, #1
	beq 9f
	mov r0, r8
	mov r1, #1              /* label 0, one word */
	mov r2, r9
	mov r7, #SYS_REPLY_RECV
	svc #0
	cmp r0, #0
	beq 1b
9:	.word 0xe7f000f0        /* udf #0 */
	b 9b

	/* Call: the slot, 64 times (a label, two words, and the capability
	 * its IPC buffer names in caps[0], if it has a buffer). */
	.global fz_thread_call
	.balign 4
fz_thread_call:
	mov r8, r0
	mov r9, #64
1:	mov r0, r8
	movw r1, #0x7082        /* MSG_INFO(7, 2, 1) */
	mov r2, r9
	mov r3, r8
	mov r7, #SYS_CALL
	svc #0
	subs r9, r9, #1
	bne 1b
	.word 0xe7f000f0
	b 1b

	/* Signal (or send, blocking on an endpoint) and yield, 64 times. */
	.global fz_thread_signal
	.balign 4
fz_thread_signal:
	mov r8, r0
	mov r9, #64
1:	mov r0, r8
	mov r1, #0
	mov r7, #SYS_SEND
	svc #0
	mov r7, #SYS_YIELD
	svc #0
	subs r9, r9, #1
	bne 1b
	.word 0xe7f000f0
	b 1b

	/* Wait: receive on the slot, 64 times. */
	.global fz_thread_wait
	.balign 4
fz_thread_wait:
	mov r8, r0
	mov r9, #64
1:	mov r0, r8
	mov r7, #SYS_RECV
	svc #0
	subs r9, r9, #1
	bne 1b
	.word 0xe7f000f0
	b 1b

/*
 * Probes of the fuzzer's thread. The instruction at *_insn may fault; the
 * watchdog then sets the pc to fz_probe_landing (r0 = 0) with the same sp
 * and lr, so the probe returns as if it had read 0.
 */
	/* uint32_t fz_probe_read(uint32_t va) */
	.global fz_probe_read, fz_probe_read_insn
	.balign 4
fz_probe_read:
fz_probe_read_insn:
	ldr r0, [r0]
	bx lr

	/* void fz_probe_write(uint32_t va, uint32_t value) */
	.global fz_probe_write, fz_probe_write_insn
	.balign 4
fz_probe_write:
fz_probe_write_insn:
	str r1, [r0]
	bx lr

	.global fz_probe_landing
	.balign 4
fz_probe_landing:
	mov r0, #0
	bx lr

	/* int fz_badsys(uint32_t n): system call n, beyond SYS_COUNT (a
	 * fault); the watchdog lands it at fz_badsys_landing. */
	.global fz_badsys, fz_badsys_insn, fz_badsys_landing
	.balign 4
fz_badsys:
	push {r7, lr}
	mov r7, r0
fz_badsys_insn:
	svc #0
	pop {r7, pc}
fz_badsys_landing:
	pop {r7, pc}
