/*
 * Bulk zeroing and copying for the memory code (hal/mm_arch.h).
 *
 * Both move 32 bytes per instruction with eight-register LDM/STM: zeroing
 * takes four instructions per 64 bytes and copying four per 32, where the
 * word loops of memset and memcpy take about 24 and 21. Boot zeroes a few
 * hundred pages (the root task's program, stack and tables, the servers'
 * memory) and copies the root task's program into its frames, so these
 * are most of its zeroing and copying. Leaf functions: r4-r11 are saved
 * and restored (an even count, so the stack stays 8-byte aligned).
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
	push {r4-r11}
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
	pop {r4-r11}
	bx lr
	.size mm_arch_zero_pages, . - mm_arch_zero_pages

	.global mm_arch_copy
	.type mm_arch_copy, %function
/* r0 = dst, r1 = src, r2 = bytes; any alignment, fast when both are word aligned. */
mm_arch_copy:
	push {r4-r11}
	orr r3, r0, r1
	tst r3, #3
	bne 5f                          /* unaligned: bytes */
	subs r2, r2, #32
	blo 2f
1:	ldmia r1!, {r3-r10}
	stmia r0!, {r3-r10}
	subs r2, r2, #32
	bhs 1b
2:	add r2, r2, #32                 /* 0..31 left: words */
	b 4f
3:	ldr r3, [r1], #4
	str r3, [r0], #4
4:	subs r2, r2, #4
	bhs 3b
	add r2, r2, #4                  /* 0..3 left: bytes */
5:	b 7f
6:	ldrb r3, [r1], #1
	strb r3, [r0], #1
7:	subs r2, r2, #1
	bhs 6b
	pop {r4-r11}
	bx lr
	.size mm_arch_copy, . - mm_arch_copy
