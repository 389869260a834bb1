/*
 * The kernel object types, registered bottom up: the generic object code
 * (cap/obj.c) first, then each type's home, which gives the cap layer its
 * cache and hooks (struct obj_type). Called once per boot of the object
 * heap, after mm_init; host tests call it for every heap they make.
 */
#include <boot/boot.h>
#include <cap/cap.h>
#include <ipc/ipc.h>
#include <sched/thread.h>

void objects_init(void)
{
	obj_init();
	account_init();     /* cap/account.c: CAP_QUOTA */
	cspace_init();      /* cap/cspace.c: CAP_CSPACE */
	vspace_init();      /* cap/vspace.c: CAP_MEM, CAP_DEVICE, CAP_VSPACE */
	thread_init();      /* sched/thread.c: CAP_THREAD, internal slots */
	ipc_init();         /* ipc/ipc.c: CAP_ENDPOINT, CAP_NOTIFICATION, CAP_REPLY */
	irqobj_init();      /* ipc/irqobj.c: CAP_IRQ_HANDLER */
}
