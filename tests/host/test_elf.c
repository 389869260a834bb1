/*
 * Host tests of the ELF32 parser (kernel/elf.c) used to load user
 * programs: a well-formed three-segment executable like the build makes,
 * then every truncation, each corrupted header field, segment layouts
 * that must be refused (W+X, overlap, wrap, beyond the user half, file
 * size above memory size) with their documented errors, and thousands of
 * random byte flips with no sanitizer report.
 */
#include "htest.h"

#include <cairn/abi.h>
#include <cairn/elf.h>
#include <cairn/error.h>

#include <stdlib.h>
#include <string.h>

#define IMG 0x4000

static uint8_t img[IMG];

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint8_t *ph(unsigned i)
{
	return img + 52 + 32 * i;
}

static void set_ph(unsigned i, uint32_t type, uint32_t off, uint32_t va, uint32_t fsz,
		   uint32_t msz, uint32_t flags)
{
	uint8_t *p = ph(i);

	put32(p, type);
	put32(p + 4, off);
	put32(p + 8, va);
	put32(p + 12, va);
	put32(p + 16, fsz);
	put32(p + 20, msz);
	put32(p + 24, flags);
	put32(p + 28, 0x1000);
}

/* text RX at 0x400000 (file 0x1000), rodata R at 0x401000, data RW at
 * 0x402000 with bss; plus an ignored non-load header. */
static void build(void)
{
	memset(img, 0, sizeof(img));
	img[0] = 0x7f;
	img[1] = 'E';
	img[2] = 'L';
	img[3] = 'F';
	img[4] = 1;
	img[5] = 1;
	img[6] = 1;
	put16(img + 16, 2);
	put16(img + 18, 40);
	put32(img + 20, 1);
	put32(img + 24, 0x400010);      /* entry */
	put32(img + 28, 52);            /* phoff */
	put16(img + 40, 52);
	put16(img + 42, 32);
	put16(img + 44, 4);
	set_ph(0, 1, 0x1000, 0x400000, 0x800, 0x800, 5);
	set_ph(1, 1, 0x2000, 0x401000, 0x100, 0x100, 4);
	set_ph(2, 1, 0x3000, 0x402000, 0x10, 0x3000, 6);
	set_ph(3, 0x70000001, 0x3100, 0x402100, 8, 8, 4);   /* EXIDX-like: ignored */
	memset(img + 0x1000, 0xaa, 0x800);
}

static int parse(size_t len, struct elf_image *out, const char **why)
{
	return elf_parse(img, len, out, why);
}

static void good_executable(void)
{
	struct elf_image e;
	const char *why;

	build();
	HT_EQ(parse(IMG, &e, &why), 0);
	HT_EQ(e.entry, 0x400010);
	HT_EQ(e.nseg, 3);
	HT_EQ(e.seg[0].rights, R_READ | R_EXEC);
	HT_EQ(e.seg[1].rights, R_READ);
	HT_EQ(e.seg[2].rights, R_READ | R_WRITE);
	HT_EQ(e.seg[2].memsz, 0x3000);
	HT_EQ(e.seg[2].filesz, 0x10);
	HT_ASSERT(e.seg[0].data == img + 0x1000);
}

static void every_truncation(void)
{
	struct elf_image e;
	const char *why;

	build();
	for (size_t len = 0; len < 0x3010; len++) {
		int err = parse(len, &e, &why);

		HT_ASSERT_MSG(err == E_TRUNC, "length %zu: %d (%s)", len, err, why ? why : "");
		HT_ASSERT(why != NULL);
	}
	HT_EQ(parse(0x3010, &e, &why), 0);
	HT_EQ(elf_parse(NULL, 100, &e, &why), E_TRUNC);
}

static void header_fields(void)
{
	static const struct {
		unsigned off, size;
		uint32_t value;
		int err;
	} cases[] = {
		{ 0, 1, 0x7e, E_FORMAT },       /* magic */
		{ 3, 1, 'G', E_FORMAT },
		{ 4, 1, 2, E_FORMAT },          /* ELF64 */
		{ 5, 1, 2, E_FORMAT },          /* big-endian */
		{ 6, 1, 0, E_FORMAT },          /* version */
		{ 20, 4, 2, E_FORMAT },
		{ 16, 2, 3, E_FORMAT },         /* ET_DYN */
		{ 18, 2, 3, E_FORMAT },         /* x86 */
		{ 40, 2, 64, E_FORMAT },        /* header size */
		{ 42, 2, 56, E_FORMAT },        /* phentsize */
		{ 28, 4, 0x3ff0, E_TRUNC },     /* phoff near the end */
		{ 28, 4, 0xfffffff0u, E_TRUNC },/* phoff wraps */
		{ 44, 2, 0xffff, E_TRUNC },     /* phnum too big */
		{ 24, 4, 0x401000, E_INVAL },   /* entry in rodata */
		{ 24, 4, 0x400802, E_INVAL },   /* entry past text / unaligned */
		{ 24, 4, 0x400012, E_INVAL },   /* entry not word aligned */
	};

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		struct elf_image e;
		const char *why;

		build();
		if (cases[i].size == 1)
			img[cases[i].off] = (uint8_t)cases[i].value;
		else if (cases[i].size == 2)
			put16(img + cases[i].off, (uint16_t)cases[i].value);
		else
			put32(img + cases[i].off, cases[i].value);
		HT_ASSERT_MSG(parse(IMG, &e, &why) == cases[i].err, "case %u: got %d (%s)", i,
			      parse(IMG, &e, &why), why ? why : "");
	}
}

static void segment_layouts(void)
{
	struct elf_image e;
	const char *why;

	build();
	set_ph(2, 1, 0x3000, 0x402000, 0x10, 0x3000, 7);         /* RWX */
	HT_EQ(parse(IMG, &e, &why), E_PERM);
	HT_ASSERT(strstr(why, "writable and executable"));
	build();
	set_ph(2, 1, 0x3000, 0x401800, 0x10, 0x100, 6);          /* shares rodata's page */
	HT_EQ(parse(IMG, &e, &why), E_ALIGN);                     /* offset/address differ */
	set_ph(2, 1, 0x3800, 0x401800, 0x10, 0x100, 6);
	HT_EQ(parse(IMG, &e, &why), E_EXIST);
	build();
	set_ph(2, 1, 0x3000, 0x402000, 0x20, 0x10, 6);           /* filesz > memsz */
	HT_EQ(parse(IMG, &e, &why), E_FORMAT);
	build();
	set_ph(2, 1, 0x3000, 0xbffff000u, 0x10, 0x2000, 6);      /* crosses 0xC000_0000 */
	HT_EQ(parse(IMG, &e, &why), E_RANGE);
	build();
	set_ph(2, 1, 0x3000, 0xfffff000u, 0x10, 0x2000, 6);      /* wraps */
	HT_EQ(parse(IMG, &e, &why), E_RANGE);
	build();
	set_ph(2, 1, 0x3000, 0x402000, 0x2000, 0x2000, 6);       /* data beyond the file */
	HT_EQ(parse(IMG, &e, &why), E_TRUNC);
	build();
	for (unsigned i = 0; i < 4; i++)                        /* no PT_LOAD at all */
		put32(ph(i), 6);
	HT_EQ(parse(IMG, &e, &why), E_RANGE);
	/* Nine loadable segments. */
	build();
	put16(img + 44, 9);
	for (unsigned i = 0; i < 9; i++)
		set_ph(i, 1, 0, 0x400000 + 0x1000 * i, 0, 0x100, i == 0 ? 5 : 4);
	HT_EQ(parse(IMG, &e, &why), E_RANGE);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	return htest_rand(&rng);
}

static void random_flips(void)
{
	unsigned accepted = 0;

	for (unsigned n = 0; n < 20000; n++) {
		struct elf_image e;
		const char *why;
		unsigned flips = 1 + (unsigned)(next_rand() % 4);
		int err;

		build();
		for (unsigned k = 0; k < flips; k++) {
			uint64_t r = next_rand();

			/* Mostly the headers, where the decisions are. */
			img[(r >> 8) % (r & 1 ? 52 + 4 * 32 : IMG)] ^= (uint8_t)(1u << (r % 8));
		}
		err = parse(IMG, &e, &why);
		if (err == 0) {
			accepted++;
			for (unsigned i = 0; i < e.nseg; i++) {
				HT_ASSERT(e.seg[i].filesz <= e.seg[i].memsz);
				HT_ASSERT((uint64_t)e.seg[i].vaddr + e.seg[i].memsz <= ELF_USER_TOP);
				HT_ASSERT(!((e.seg[i].rights & R_WRITE) && (e.seg[i].rights & R_EXEC)));
				HT_ASSERT((const uint8_t *)e.seg[i].data + e.seg[i].filesz <= img + IMG);
			}
		} else {
			HT_ASSERT(why != NULL);
		}
	}
	HT_ASSERT(accepted > 0);        /* flips in padding leave it valid */
}

static const struct htest_case cases[] = {
	HT_CASE(good_executable),
	HT_CASE(every_truncation),
	HT_CASE(header_fields),
	HT_CASE(segment_layouts),
	HT_CASE(random_flips),
};

int main(void)
{
	return htest_main("elf", cases, (int)ARRAY_SIZE(cases));
}
