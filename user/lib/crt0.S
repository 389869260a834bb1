/*
 * User program entry: the kernel (or the spawning process) starts the
 * thread here with sp set and r0 = its argument; .bss is already zero
 * (fresh memory objects are zeroed).
 */
	.syntax unified
	.arm
	.section .text.start, "ax"
	.global _start
_start:
	mov fp, #0
	mov lr, #0
	bl cairn_main
	bl cairn_exit
1:	b 1b
