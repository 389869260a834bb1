/*
 * mm_arch_zero_pages (hal/mm_arch.h): zero whole pages through a kernel
 * mapping. Eight registers of zeros go out 32 bytes per store, two stores
 * a turn: four instructions per 64 bytes, where memset's loop of word
 * stores takes about 24. Boot zeroes a few hundred pages (the root task's
 * program and stack, the servers' memory), so this is most of its
 * zeroing.
 */
	.arch armv7ve
	.syntax unified
	.arm

	.text
	.global mm_arch_zero_pages
	.type mm_arch_zero_pages, %function
/* r0 = va (page aligned), r1 = bytes (a multiple of the page size, 0 allowed). */
mm_arch_zero_pages:
	cmp r1, #0
	bxeq lr
	push {r4-r9}
	mov r2, #0
	mov r3, #0
	mov r4, #0
	mov r5, #0
	mov r6, #0
	mov r7, #0
	mov r8, #0
	mov r9, #0
1:	stmia r0!, {r2-r9}
	stmia r0!, {r2-r9}
	subs r1, r1, #64
	bne 1b
	pop {r4-r9}
	bx lr
	.size mm_arch_zero_pages, . - mm_arch_zero_pages
