/*
 * User-mode code for the `uspace` self-tests and benchmarks
 * (uspace_tests.c): position-independent snippets that uspace_tests.c
 * copies into a RAM frame and maps executable at a user address. Data
 * only in the kernel (.rodata); each snippet's offset from ucode_start is
 * its entry point. Inputs come in registers set in the user context.
 */
	.arch armv7-a
	.syntax unified
	.arm

	.section .rodata.ucode, "a"
	.balign 4
	.global ucode_start, ucode_end
	.global uc_svc, uc_load, uc_store, uc_ldm, uc_jump, uc_udf, uc_vfp, uc_thumb
	.global uc_loop_svc, uc_loop_nop
ucode_start:

	/* Two system calls; r0 = 42 at the first, its result + 1 at the second. */
uc_svc:
	mov r0, #42
	svc #0
	add r0, r0, #1
	svc #0
	udf #0

	/* r0 = [r1], svc, r0 = [r1] again, svc. */
uc_load:
	ldr r0, [r1]
	svc #0
	ldr r0, [r1]
	svc #0
	udf #0

	/* [r1] = r0. */
uc_store:
	str r0, [r1]
	svc #0
	udf #0

	/* A load multiple: an alignment fault when r1 is not word aligned. */
uc_ldm:
	ldm r1, {r2, r3}
	udf #0

	/* Branch to r1. */
uc_jump:
	bx r1

uc_udf:
	udf #0x1234

	/* vmov s0, r0: VFP is off for user mode. */
uc_vfp:
	.word 0xee000a10
	udf #0

	/* Thumb state, then a 16-bit undefined instruction. */
uc_thumb:
	add r2, pc, #1                  /* the Thumb code below, bit 0 set */
	bx r2
	.thumb
	udf #5
	.arm
	.balign 4

	/* Benchmark loops: r6 iterations of svc #0 (r7 = the call) / of nop. */
uc_loop_svc:
	svc #0
	subs r6, r6, #1
	bne uc_loop_svc
	udf #0

uc_loop_nop:
	nop
	subs r6, r6, #1
	bne uc_loop_nop
	udf #0

ucode_end:
