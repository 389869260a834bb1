/*
 * What the svc vector's IPC fast path (arch/arm/vectors.S) knows of the
 * kernel's structures: field offsets and constants, as plain numbers that
 * assembly can include. Each one is checked against the C definition at
 * compile time (_Static_assert in kernel/syscall/syscall.c), so a layout
 * change breaks the build instead of the fast path.
 */
#ifndef CAIRN_ASM_OFFSETS_H
#define CAIRN_ASM_OFFSETS_H

/* struct thread */
#define AO_T_CTX 16             /* struct uctx ctx (SP_svc - 72 while it runs) */
#define AO_T_STATE 88
#define AO_T_PRIO 89
#define AO_T_TFLAGS 91
#define AO_T_QNEXT 96
#define AO_T_QPREV 100
#define AO_T_WAIT_OBJ 104
#define AO_T_IPC_GRANT 113      /* uint8_t ipc_grant */
#define AO_T_CPU 114            /* uint8_t cpu */
#define AO_T_CALLER 116
#define AO_T_CALLEE 120
#define AO_T_BOUND 128
#define AO_T_CSPACE 164         /* tslot[TSLOT_CSPACE].obj */
#define AO_T_VSPACE 204         /* tslot[TSLOT_VSPACE].obj */

/* struct slot */
#define AO_SLOT_INFO 0
#define AO_SLOT_OBJ 4
#define AO_SLOT_A 8
#define AO_SLOT_SIZE 40

/* struct cspace, its nodes */
#define AO_CS_LIMIT 16
#define AO_CS_LEAF0 28
#define AO_CS_MID 32
#define AO_CNODE_BITS 6         /* leaf[] of a mid and slot[] of a leaf start at 0 */

/* struct endpoint, struct notification */
#define AO_EP_HEAD 16
#define AO_EP_TAIL 20
#define AO_EP_STATE 24
#define AO_EP_HOME 25
#define AO_NTFN_WORD 16

/* struct cpu, found through the CPU's local words: TPIDRPRW holds the
 * kernel stack top, the word there is the CPU's struct cpu (arch/arm/smp.c) */
#define AO_CPU_LOCAL_CPU 0
#define AO_CPU_CUR 0
#define AO_CPU_READY_TOP 4
#define AO_CPU_READY_BITS 8
#define AO_CPU_RESCHED 2092
#define AO_CPU_INDEX 2112
#define AO_CPU_IN_USER 2113
#define AO_CPU_IN_FAST 2115
#define AO_CPU_IN_SVC 2124

/* struct vspace */
#define AO_VS_ARCH 16
#define AO_VS_ASID_GEN 32       /* arch.asid_gen */
#define AO_VS_TTBR 40           /* arch.ttbr (64 bits) */

/* Constants of the ABI and of the kernel's enums. */
#define AO_SYS_CALL 0
#define AO_SYS_REPLY_RECV 1
#define AO_MSG_REG_WORDS 4
#define AO_MSG_INFO_UNUSED 0xe00  /* info bits the general path delivers as 0 */
#define AO_CAP_ENDPOINT 6
#define AO_R_READ 1
#define AO_R_WRITE 2
#define AO_R_GRANT 8
#define AO_TS_RUNNABLE 1
#define AO_TS_BLOCKED_RECV 3
#define AO_TS_BLOCKED_REPLY 4
#define AO_EP_IDLE 0
#define AO_EP_SEND 1
#define AO_EP_RECV 2
#define AO_THREAD_F_FAULT 2
#define AO_SHARE_HANDOVERS 8    /* a busy kernel lock changes hands so often before a fast
				 * path waiting to share it takes it instead */

#endif
