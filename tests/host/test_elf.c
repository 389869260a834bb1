/*
 * Host tests of the ELF32 parser (kernel/fw/elf.c) used to load user
 * programs: a well-formed three-segment executable like the build makes,
 * then every truncation, each corrupted header field, segment layouts
 * that must be refused (W+X, overlap, wrap, beyond the user half, file
 * size above memory size, below 0x10000), with their documented errors,
 * the window check loaders make (elf_seg_overlapping), and thousands of
 * random byte flips with no sanitizer report.
 *
 * Then the real programs the build made (build/user/\*.elf, or the
 * directory $CAIRN_USER_ELFS; the build makes them before this test):
 * each must be accepted with the layout user/lib/user.ld promises, must
 * not read the TLS register (picolibc's errno: Cairn threads have none),
 * and the root task's ELF goes through every truncation, the same
 * corruptions and seeded random flips.
 */
#define _POSIX_C_SOURCE 200809L /* opendir */

#include "htest.h"

#include <cairn/abi.h>
#include <fw/elf.h>
#include <lib/error.h>

#include <dirent.h>
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
	set_ph(2, 1, 0x3000, 0x0, 0x10, 0x2000, 6);              /* at address 0 */
	HT_EQ(parse(IMG, &e, &why), E_RANGE);
	HT_ASSERT(strstr(why, "null pointers"));
	build();
	set_ph(2, 1, 0x3000, 0xf000, 0x10, 0x2000, 6);           /* starts below 0x10000 */
	HT_EQ(parse(IMG, &e, &why), E_RANGE);
	build();
	set_ph(2, 1, 0x3000, 0x10000, 0x10, 0x2000, 6);          /* at 0x10000: fine */
	HT_EQ(parse(IMG, &e, &why), 0);
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

/* elf_seg_overlapping: what loaders check against their own windows. */
static void overlapping_windows(void)
{
	struct elf_image e;
	const char *why;

	build();
	HT_EQ(parse(IMG, &e, &why), 0);
	HT_EQ(elf_seg_overlapping(&e, 0x100000, 0x1000), -1);     /* IPC buffer page */
	HT_EQ(elf_seg_overlapping(&e, 0x3ff000, 0x1000), -1);     /* the page before text */
	HT_EQ(elf_seg_overlapping(&e, 0x3ff000, 0x1001), 0);      /* one byte into it */
	HT_EQ(elf_seg_overlapping(&e, 0x400fff, 1), 0);
	HT_EQ(elf_seg_overlapping(&e, 0x401800, 4), 1);           /* rodata's page */
	HT_EQ(elf_seg_overlapping(&e, 0x404000, 0x1000), 2);      /* data's bss */
	HT_EQ(elf_seg_overlapping(&e, 0x405000, 0x1000), -1);
	HT_EQ(elf_seg_overlapping(&e, 0x400000, 0), -1);          /* empty window */
	HT_EQ(elf_seg_overlapping(&e, 0xfffff000u, 0x1000), -1);  /* top page, no wrap */
	HT_EQ(elf_seg_overlapping(&e, 0x300000, 0xbfd00000u), 0); /* a window over all */
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
				HT_ASSERT(e.seg[i].vaddr >= ELF_USER_BASE);
				HT_ASSERT(!((e.seg[i].rights & R_WRITE) && (e.seg[i].rights & R_EXEC)));
				HT_ASSERT((const uint8_t *)e.seg[i].data + e.seg[i].filesz <= img + IMG);
			}
		} else {
			HT_ASSERT(why != NULL);
		}
	}
	HT_ASSERT(accepted > 0);        /* flips in padding leave it valid */
}

/* ---- the programs the build made ---- */

static const char *user_dir(void)
{
	const char *d = getenv("CAIRN_USER_ELFS");

	return d && *d ? d : "build/user";
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The root task's ELF (malloc'd), or NULL after a failure. */
static uint8_t *load_root(size_t *len)
{
	char path[512];
	uint8_t *b;

	snprintf(path, sizeof(path), "%s/root.elf", user_dir());
	b = htest_read_file(path, len);
	if (!b)
		htest_fail(__FILE__, __LINE__, "%s missing: build it first (ninja)", path);
	return b;
}

/* Bytes of the file elf_parse needs: program headers and segment data. */
static size_t needed_len(const uint8_t *b)
{
	size_t need = rd32(b + 28) + 32u * (b[44] | b[45] << 8);

	for (unsigned i = 0; i < (unsigned)(b[44] | b[45] << 8); i++) {
		const uint8_t *p = b + rd32(b + 28) + 32 * i;

		if (rd32(p) == 1 && rd32(p + 20) && rd32(p + 4) + rd32(p + 16) > need)
			need = rd32(p + 4) + rd32(p + 16);
	}
	return need;
}

/* Where an executable segment reads TPIDRURO (mrc p15, 0, Rt, c13, c0,
 * 3), in ARM or Thumb-2 encoding: thread-local storage, which Cairn
 * threads do not have. Returns the address or 0. */
static uint32_t tls_read_at(const struct elf_seg *sg)
{
	const uint8_t *d = sg->data;

	for (uint32_t i = 0; i + 4 <= sg->filesz; i += 2) {
		uint32_t w = rd32(d + i);
		uint16_t h1 = (uint16_t)(d[i] | d[i + 1] << 8);
		uint16_t h2 = (uint16_t)(d[i + 2] | d[i + 3] << 8);

		if (!(i & 3) && (w & 0x0fff0fffu) == 0x0e1d0f70u && (w >> 28) != 0xf)
			return sg->vaddr + i;
		if (h1 == 0xee1d && (h2 & 0x0fff) == 0x0f70)
			return sg->vaddr + i;
	}
	return 0;
}

static void built_programs(void)
{
	DIR *dir = opendir(user_dir());
	struct dirent *de;
	unsigned nprog = 0;
	bool root = false;

	HT_ASSERT_MSG(dir, "%s: no directory of user programs (build first)", user_dir());
	while ((de = readdir(dir))) {
		size_t nl = strlen(de->d_name), len;
		char path[512];
		uint8_t *b;
		struct elf_image e;
		const char *why;
		unsigned exec = 0;
		int err;

		if (nl < 5 || strcmp(de->d_name + nl - 4, ".elf") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", user_dir(), de->d_name);
		b = htest_read_file(path, &len);
		if (!b)
			continue;
		nprog++;
		root |= strcmp(de->d_name, "root.elf") == 0;
		err = elf_parse(b, len, &e, &why);
		if (err) {
			free(b);
			closedir(dir);
			HT_ASSERT_MSG(0, "%s: %s (%s)", path, err_name(err), why);
		}
		for (unsigned i = 0; i < e.nseg; i++) {
			const struct elf_seg *sg = &e.seg[i];
			uint32_t at = sg->rights & R_EXEC ? tls_read_at(sg) : 0;
			bool ok = (sg->vaddr & 0xfff) == 0 && sg->vaddr >= 0x00400000u &&
				  !((sg->rights & R_WRITE) && (sg->rights & R_EXEC)) && !at;

			exec += (sg->rights & R_EXEC) != 0;
			if (!ok) {
				free(b);
				closedir(dir);
				if (at)
					HT_ASSERT_MSG(0, "%s: reads TPIDRURO (thread-local storage, "
						      "e.g. picolibc's errno) at 0x%08x; Cairn threads "
						      "have no TLS", path, at);
				HT_ASSERT_MSG(0, "%s: segment %u at 0x%08x rights %u breaks "
					      "user.ld's layout", path, i, sg->vaddr, sg->rights);
			}
		}
		free(b);
		/* text, rodata (absent when empty: the linker leaves an empty
		 * PT_LOAD, which is skipped), data; _start first in text. */
		if (e.nseg < 2 || e.nseg > 3 || exec != 1 || e.seg[0].rights != (R_READ | R_EXEC) ||
		    e.entry != 0x00400000u) {
			closedir(dir);
			HT_ASSERT_MSG(0, "%s: %u segments, %u executable, entry 0x%08x: expected "
				      "text, rodata, data and _start at 0x00400000", path, e.nseg,
				      exec, e.entry);
		}
	}
	closedir(dir);
	HT_ASSERT_MSG(root, "%s/root.elf missing", user_dir());
	HT_ASSERT(nprog >= 2);
}

static void built_root_truncated(void)
{
	size_t len, need;
	uint8_t *b = load_root(&len);
	struct elf_image e;
	const char *why;

	if (!b)
		return;
	need = needed_len(b);
	HT_ASSERT(need <= len);
	for (size_t n = 0; n < need; n++) {
		int err = elf_parse(b, n, &e, &why);

		if (err != E_TRUNC) {
			free(b);
			HT_ASSERT_MSG(0, "length %zu of %zu: %d (%s)", n, need, err, why ? why : "");
		}
	}
	HT_EQ(elf_parse(b, need, &e, &why), 0);
	free(b);
}

static void built_root_corrupted(void)
{
	size_t len;
	uint8_t *b = load_root(&len);
	uint8_t *copy;
	struct elf_image e;
	const char *why;
	uint32_t phoff;
	int text = -1, rodata = -1, data = -1;

	if (!b)
		return;
	copy = malloc(len);
	HT_ASSERT(copy);
	memcpy(copy, b, len);
	phoff = rd32(b + 28);
	for (unsigned i = 0; i < (unsigned)(b[44] | b[45] << 8); i++) {
		uint8_t *p = b + phoff + 32 * i;

		if (rd32(p) != 1)
			continue;
		if (rd32(p + 24) == 5)
			text = (int)i;
		else if (rd32(p + 24) == 4)
			rodata = (int)i;
		else if (rd32(p + 24) == 6)
			data = (int)i;
	}
	if (text < 0 || rodata < 0 || data < 0) {
		free(b);
		free(copy);
		HT_ASSERT_MSG(0, "root.elf: no RX, R and RW segments");
	}
#define PH(i) (b + phoff + 32 * (unsigned)(i))
#define CHECK(expect, what)                                                         \
	do {                                                                        \
		int err_ = elf_parse(b, len, &e, &why);                             \
		memcpy(b, copy, len);                                               \
		if (err_ != (expect)) {                                             \
			free(b);                                                    \
			free(copy);                                                 \
			HT_ASSERT_MSG(0, "%s: %s, expected %s (%s)", what, err_name(err_), \
				      err_name(expect), why ? why : "");            \
		}                                                                   \
	} while (0)
	put32(PH(text) + 24, 7);
	CHECK(E_PERM, "text made writable");
	put32(PH(data) + 24, 7);
	CHECK(E_PERM, "data made executable");
	put32(PH(text) + 24, 4);
	CHECK(E_INVAL, "text not executable (entry outside)");
	put32(b + 24, rd32(PH(rodata) + 8));
	CHECK(E_INVAL, "entry in rodata");
	put32(b + 24, 0x00300000u);
	CHECK(E_INVAL, "entry below the program");
	put32(PH(data) + 8, rd32(PH(text) + 8));
	put32(PH(data) + 4, rd32(PH(text) + 4));
	CHECK(E_EXIST, "data over text");
	put32(PH(rodata) + 20, 0xfffff000u);
	CHECK(E_RANGE, "huge rodata memsz");
	put32(PH(data) + 8, 0xbffff000u);
	put32(PH(data) + 4, rd32(PH(data) + 4) & ~0xfffu);
	put32(PH(data) + 20, 0x2000);
	CHECK(E_RANGE, "data across 0xC000_0000");
	put32(PH(data) + 16, rd32(PH(data) + 20) + 1);
	CHECK(E_FORMAT, "data filesz above memsz");
	put32(PH(text) + 4, (uint32_t)len - 0x100);
	CHECK(E_TRUNC, "text beyond the end of the file");
	put32(PH(text) + 4, 0xfffff000u);
	CHECK(E_TRUNC, "text offset wraps");
	put32(PH(rodata) + 8, rd32(PH(rodata) + 8) + 4);
	CHECK(E_ALIGN, "rodata address and offset disagree");
	b[18] = 62;
	CHECK(E_FORMAT, "x86-64 machine");
	b[16] = 3;
	CHECK(E_FORMAT, "ET_DYN");
#undef CHECK
#undef PH
	free(copy);
	free(b);
}

static void built_root_random_flips(void)
{
	size_t len;
	uint8_t *b = load_root(&len);
	uint64_t state = 0x2545f4914f6cdd1dull;
	size_t need, span, hdrs;
	unsigned accepted = 0;

	if (!b)
		return;
	need = needed_len(b);
	span = need < 4096 ? need : 4096;
	hdrs = rd32(b + 28) + 32u * (b[44] | b[45] << 8);       /* ELF and program headers */
	HT_ASSERT(hdrs <= span);
	for (unsigned n = 0; n < 5000; n++) {
		size_t pos[4];
		uint8_t old[4];
		unsigned flips = 1 + (unsigned)(htest_rand(&state) % 4);
		struct elf_image e;
		const char *why;
		int err;

		for (unsigned k = 0; k < flips; k++) {
			uint64_t r = htest_rand(&state);

			/* Headers mostly; sometimes anywhere the parser reads. */
			pos[k] = (size_t)((r >> 8) % ((r & 3) ? hdrs : span));
			old[k] = b[pos[k]];
			b[pos[k]] ^= (uint8_t)(1u << (r % 8));
		}
		err = elf_parse(b, need, &e, &why);
		if (!err) {
			accepted++;
			for (unsigned i = 0; i < e.nseg; i++) {
				const struct elf_seg *sg = &e.seg[i];

				HT_ASSERT(sg->filesz <= sg->memsz);
				HT_ASSERT((uint64_t)sg->vaddr + sg->memsz <= ELF_USER_TOP);
				HT_ASSERT(sg->vaddr >= ELF_USER_BASE);
				HT_ASSERT(!((sg->rights & R_WRITE) && (sg->rights & R_EXEC)));
				HT_ASSERT((const uint8_t *)sg->data >= b &&
					  (const uint8_t *)sg->data + sg->filesz <= b + need);
			}
		} else {
			HT_ASSERT(why != NULL);
		}
		for (unsigned k = flips; k-- > 0;)
			b[pos[k]] = old[k];
	}
	free(b);
	HT_ASSERT(accepted > 0);
}

static const struct htest_case cases[] = {
	HT_CASE(good_executable),
	HT_CASE(every_truncation),
	HT_CASE(header_fields),
	HT_CASE(segment_layouts),
	HT_CASE(overlapping_windows),
	HT_CASE(random_flips),
	HT_CASE(built_programs),
	HT_CASE(built_root_truncated),
	HT_CASE(built_root_corrupted),
	HT_CASE(built_root_random_flips),
};

int main(void)
{
	return htest_main("elf", cases, (int)ARRAY_SIZE(cases));
}
