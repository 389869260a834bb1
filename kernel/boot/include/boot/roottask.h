/*
 * The root task: built by the kernel from the boot archive's "root" ELF
 * (kernel/boot/roottask.c documents what it is given).
 */
#ifndef CAIRN_ROOTTASK_H
#define CAIRN_ROOTTASK_H

#include <lib/types.h>

struct dt_info;
struct thread;

/* The largest boot archive the root task's window (0x1000_0000 up to its
 * heap at 0x2000_0000) holds, whatever its offset within a page. */
#define ROOTTASK_ARCHIVE_MAX ((256u << 20) - 4096u)

struct roottask_args {
	const void *elf;               /* the program */
	size_t elf_len;
	paddr_t archive_pa;            /* the boot archive (mapped read-only) */
	size_t archive_len;
	const void *dtb;               /* the hardware device tree (copied) */
	size_t dtb_len;
	const struct dt_info *dt;
	const char *cmdline;
	const char *ktest;             /* suites for user level (bootinfo ktest) */
	unsigned tick_hz;
};

/* Build the root task and make it runnable. 0, or an error and *why. */
int roottask_start(const struct roottask_args *ra, const char **why);
struct thread *roottask_thread(void);

#endif
