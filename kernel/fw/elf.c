/*
 * ELF32 parsing for user programs (fw/elf.h). Pure function of its
 * input: the image is read through bounds-checked little-endian loads, so
 * a truncated or hostile file is rejected, never followed.
 */
#include <cairn/abi.h>
#include <fw/elf.h>
#include <lib/error.h>
#include <lib/string.h>

#define PT_LOAD 1
#define PF_X 1
#define PF_W 2
#define PF_R 4

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static int fail(const char **why, const char *msg, int err)
{
	*why = msg;
	return err;
}

int elf_parse(const void *img, size_t len, struct elf_image *out, const char **why)
{
	const uint8_t *b = img;
	uint32_t phoff, phnum, phentsize;
	bool entry_ok = false;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (!img || len < 52)
		return fail(why, "shorter than an ELF header", E_TRUNC);
	if (b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F')
		return fail(why, "not an ELF file (magic)", E_FORMAT);
	if (b[4] != 1)
		return fail(why, "not ELF32", E_FORMAT);
	if (b[5] != 1)
		return fail(why, "not little-endian", E_FORMAT);
	if (b[6] != 1 || le32(b + 20) != 1)
		return fail(why, "unknown ELF version", E_FORMAT);
	if (le16(b + 16) != 2)
		return fail(why, "not an executable (ET_EXEC)", E_FORMAT);
	if (le16(b + 18) != 40)
		return fail(why, "not an ARM executable", E_FORMAT);
	if (le16(b + 40) != 52)
		return fail(why, "unexpected ELF header size", E_FORMAT);
	out->entry = le32(b + 24);
	phoff = le32(b + 28);
	phentsize = le16(b + 42);
	phnum = le16(b + 44);
	if (phentsize != 32)
		return fail(why, "unexpected program header size", E_FORMAT);
	if (phoff > len || phnum > (len - phoff) / 32)
		return fail(why, "program headers beyond the file", E_TRUNC);
	for (uint32_t i = 0; i < phnum; i++) {
		const uint8_t *ph = b + phoff + 32 * i;
		uint32_t off = le32(ph + 4), va = le32(ph + 8), fsz = le32(ph + 16);
		uint32_t msz = le32(ph + 20), flags = le32(ph + 24);
		struct elf_seg *sg;

		if (le32(ph) != PT_LOAD || msz == 0)
			continue;
		if (out->nseg == ELF_MAX_SEGS)
			return fail(why, "too many loadable segments", E_RANGE);
		if (fsz > msz)
			return fail(why, "segment file size exceeds its memory size", E_FORMAT);
		if (off > len || fsz > len - off)
			return fail(why, "segment data beyond the file", E_TRUNC);
		if (va >= ELF_USER_TOP || msz > ELF_USER_TOP - va ||
		    ALIGN_UP((uint64_t)va + msz, 4096) > ELF_USER_TOP)
			return fail(why, "segment outside the user address space", E_RANGE);
		/* Memory at and near address 0 would let null pointers (and
		 * small offsets from them) read or run the program instead of
		 * faulting: no loader maps it. */
		if (va < ELF_USER_BASE)
			return fail(why, "segment below 0x10000 (null pointers would not fault)",
				    E_RANGE);
		if ((off & 0xfff) != (va & 0xfff) && fsz)
			return fail(why, "segment offset and address differ within a page",
				    E_ALIGN);
		if ((flags & PF_W) && (flags & PF_X))
			return fail(why, "segment both writable and executable", E_PERM);
		/* No two segments may share a page (their rights differ). */
		for (unsigned k = 0; k < out->nseg; k++) {
			uint64_t a0 = ALIGN_DOWN((uint64_t)va, 4096);
			uint64_t a1 = ALIGN_UP((uint64_t)va + msz, 4096);
			uint64_t b0 = ALIGN_DOWN((uint64_t)out->seg[k].vaddr, 4096);
			uint64_t b1 = ALIGN_UP((uint64_t)out->seg[k].vaddr + out->seg[k].memsz,
					       4096);

			if (a0 < b1 && b0 < a1)
				return fail(why, "segments overlap or share a page", E_EXIST);
		}
		sg = &out->seg[out->nseg++];
		sg->vaddr = va;
		sg->memsz = msz;
		sg->data = b + off;
		sg->filesz = fsz;
		sg->rights = R_READ | ((flags & PF_W) ? R_WRITE : 0) | ((flags & PF_X) ? R_EXEC : 0);
		if ((flags & PF_X) && out->entry >= va && out->entry - va < msz)
			entry_ok = true;
	}
	if (out->nseg == 0)
		return fail(why, "no loadable segment", E_RANGE);
	if (!entry_ok)
		return fail(why, "entry point outside the executable segments", E_INVAL);
	if (out->entry & 3)
		return fail(why, "entry point not word aligned (ARM state)", E_INVAL);
	return 0;
}

int elf_seg_overlapping(const struct elf_image *img, uint32_t va, uint32_t size)
{
	uint64_t b0 = ALIGN_DOWN((uint64_t)va, 4096);
	uint64_t b1 = ALIGN_UP((uint64_t)va + size, 4096);

	for (unsigned i = 0; i < img->nseg; i++) {
		uint64_t a0 = ALIGN_DOWN((uint64_t)img->seg[i].vaddr, 4096);
		uint64_t a1 = ALIGN_UP((uint64_t)img->seg[i].vaddr + img->seg[i].memsz, 4096);

		if (size && a0 < b1 && b0 < a1)
			return (int)i;
	}
	return -1;
}
