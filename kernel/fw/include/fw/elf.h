/*
 * ELF32 executables for user programs (ARM, little-endian, static).
 *
 * elf_parse() checks an image completely before anything is loaded and
 * describes its loadable segments; every rejection has its own error and a
 * reason in *why:
 *   shorter than the ELF header, or tables beyond the file   E_TRUNC
 *   bad magic, class, data encoding, version, type, machine   E_FORMAT
 *   header sizes other than ELF32's                           E_FORMAT
 *   more than ELF_MAX_SEGS loadable segments, or none         E_RANGE
 *   file size larger than memory size in a segment            E_FORMAT
 *   a segment beyond the user half or wrapping                E_RANGE
 *   a segment below ELF_USER_BASE (address 0 and near it)     E_RANGE
 *   segment offset and address disagree modulo the page       E_ALIGN
 *   two segments sharing a page                               E_EXIST
 *   a segment both writable and executable                    E_PERM
 *   the entry point outside every executable segment          E_INVAL
 */
#ifndef CAIRN_ELF_H
#define CAIRN_ELF_H

#include <lib/types.h>

#define ELF_MAX_SEGS 8
#define ELF_USER_TOP 0xC0000000u
#define ELF_USER_BASE 0x00010000u    /* nothing loaded below: null pointers fault */

struct elf_seg {
	uint32_t vaddr;              /* where it starts (may be unaligned) */
	uint32_t memsz;              /* bytes in memory (the rest zero) */
	const void *data;            /* file bytes */
	uint32_t filesz;
	unsigned rights;             /* R_READ | R_WRITE | R_EXEC */
};

struct elf_image {
	uint32_t entry;
	unsigned nseg;
	struct elf_seg seg[ELF_MAX_SEGS];
};

int elf_parse(const void *img, size_t len, struct elf_image *out, const char **why);

/*
 * The index of the first segment of a parsed image that has a page in
 * common with [va, va + size) (both rounded out to pages), or -1: how a
 * loader checks the program against the windows it keeps for itself
 * (stack, IPC buffer, boot info) before it allocates anything.
 */
int elf_seg_overlapping(const struct elf_image *img, uint32_t va, uint32_t size);

#endif
