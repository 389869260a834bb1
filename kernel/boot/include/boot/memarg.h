/*
 * mem=SIZE[@START]: RAM described on the kernel command line.
 *
 * The convention of Linux on ARM: each mem= word names one bank of RAM,
 * SIZE bytes from START (K, M, G or T suffixes on both; START defaults to
 * the lowest RAM address the device tree gives), and the first mem= makes
 * the banks of the command line replace /memory. It exists for firmware
 * that cannot describe all the RAM: the 32-bit U-Boot rewrites /memory to
 * at most 2 GiB, whatever the machine has.
 *
 * The device tree stays the authority on everything else, and mem= is
 * checked against it before anything uses it: a bank must not overlap a
 * device's registers or a bus window, must hold the kernel image and the
 * boot archive (they are in RAM: the boot loader put them there), must not
 * cut a reserved region in part, and must not overlap another bank. Any
 * failure rejects the whole of mem= with the reason, and the kernel keeps
 * the device tree's /memory: a wrong command line costs RAM, never the
 * boot.
 */
#ifndef CAIRN_MEMARG_H
#define CAIRN_MEMARG_H

#include <fw/dt.h>
#include <lib/types.h>

#define MEMARG_WHY_MAX 160

/* What mem= is checked against besides the device tree. */
struct memarg_boot {
	paddr_t kimage;            /* the kernel image, [kimage, +kimage_size) */
	uint64_t kimage_size;
};

/*
 * Parse the n mem= values in vals[] (as given after "mem="), check them
 * against dt and boot, and on success replace dt->mem[] and dt->nmem with
 * them (sorted, page aligned inwards). Returns 0, or E_INVAL (a value that
 * is not SIZE[@START], a bank empty once page aligned, more banks than
 * DT_MAX_MEM), E_RANGE (a bank beyond the 40-bit physical address space),
 * E_EXIST (banks overlapping each other), E_BUSY (a bank overlapping a
 * device or window, or cutting a reserved region), E_NOENT (the kernel
 * image or the archive outside the banks); why then holds the reason
 * (naming the value and what it contradicts) and dt is unchanged.
 */
int memarg_apply(const char *const vals[], unsigned n, const struct memarg_boot *boot,
		 struct dt_info *dt, char *why, size_t whylen);

#endif
