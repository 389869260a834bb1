/*
 * Hand-over from the architecture's entry code to the portable kernel.
 */
#ifndef CAIRN_BOOT_H
#define CAIRN_BOOT_H

#include <lib/types.h>

struct boot_params {
	paddr_t dtb_phys;      /* r2 at entry */
	paddr_t kimage_phys;   /* where the image was loaded */
	uint32_t kimage_size;  /* image + bss, bytes */
	const char *entry_mode; /* "SVC" or "HYP" */
	char cpu[64];          /* "Cortex-A15 r2p1 (MIDR 0x412fc0f1)" */
};

/* The portable boot sequence. Returns the context of the first thread to
 * run, which the entry code enters (uarch_enter_user); paths that never
 * run a thread (tests without a root task, panics) do not return. */
struct uctx;
struct uctx *kernel_main(const struct boot_params *bp);

/* Register every kernel object type (boot/objects.c). */
void objects_init(void);

/* Boot-time state the rest of the kernel (and self-tests) may inspect. */
struct dt_info;
const struct dt_info *boot_dt(void);
const struct boot_params *boot_params(void);
/* The boot archive as mapped in the kernel, or NULL. */
const void *boot_archive(size_t *len);

#define CAIRN_VERSION "0.1.0"
#define KERNEL_HZ 100

#endif
