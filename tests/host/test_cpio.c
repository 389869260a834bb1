/*
 * Host tests of the boot-archive reader (kernel/fw/cpio.c).
 *
 * Archives are written in memory by a small newc writer below, and one is
 * made by the system's `cpio -o -H newc` when that tool exists (otherwise
 * the writer makes an equivalent one, with directories and block padding).
 * Well-formed archives must read back exactly; every malformation (magic,
 * hex digits, name sizes, data past the end, no trailer, truncation at
 * every byte, random flips) must give a clear error, never a crash.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, access */

#include <fw/cpio.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "htest.h"

/* ---- a newc writer ---- */

struct aw {
	uint8_t buf[65536];
	size_t len;
	uint32_t ino;
};

static void aw_init(struct aw *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = 1;
}

static void aw_pad(struct aw *a)
{
	while (a->len & 3)
		a->buf[a->len++] = 0;
}

/* One entry with an explicit magic and namesize (for malformed ones). */
static size_t aw_raw(struct aw *a, const char *magic, const char *name, uint32_t namesize,
		     const void *data, uint32_t size, uint32_t mode, uint32_t check)
{
	size_t start = a->len;
	size_t nl = strlen(name) + 1;
	char hdr[CPIO_HEADER_SIZE + 1];

	snprintf(hdr, sizeof(hdr), "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 magic, a->ino++, mode, 0u, 0u, 1u, 0u, size, 0u, 0u, 0u, 0u, namesize, check);
	memcpy(a->buf + a->len, hdr, CPIO_HEADER_SIZE);
	a->len += CPIO_HEADER_SIZE;
	memcpy(a->buf + a->len, name, nl);
	a->len += nl;
	aw_pad(a);
	if (size && data) {
		memcpy(a->buf + a->len, data, size);
		a->len += size;
	}
	aw_pad(a);
	return start;
}

static size_t aw_file(struct aw *a, const char *name, const void *data, uint32_t size)
{
	return aw_raw(a, "070701", name, (uint32_t)strlen(name) + 1, data, size, 0100644, 0);
}

static size_t aw_dir(struct aw *a, const char *name)
{
	return aw_raw(a, "070701", name, (uint32_t)strlen(name) + 1, NULL, 0, 040755, 0);
}

static size_t aw_trailer(struct aw *a)
{
	return aw_raw(a, "070701", "TRAILER!!!", 11, NULL, 0, 0, 0);
}

static void *kept[16];
static unsigned nkept;

static void *keep(void *p)
{
	if (p && nkept < sizeof(kept) / sizeof(kept[0]))
		kept[nkept++] = p;
	return p;
}

/* Exactly-sized heap copy so ASan catches reads past the end. */
static uint8_t *dup_exact(const void *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);

	if (q && n)
		memcpy(q, p, n);
	return q;
}

/* Iterate the whole archive; returns the final status, entry count in *n. */
static int run(const void *p, size_t len, unsigned *n, struct cpio_iter *it)
{
	struct cpio_entry e;
	int err;

	*n = 0;
	cpio_iter_init(it, p, len);
	while ((err = cpio_next(it, &e)) == 0) {
		(*n)++;
		if (*n > 100000)
			return 1; /* would be a bug: iteration must end */
	}
	return err;
}

static const char dtb_bytes[] = "\xd0\x0d\xfe\xed pretend this is a device tree";

static struct aw arch;

/* The standard test archive: file, directory, empty file, odd-sized
 * file, "./" name, nested name, trailer. */
/* Two files of one name ("./prog" beside "prog") and another. */
static void build_ambiguous(struct aw *a)
{
	aw_init(a);
	aw_file(a, "prog", "one", 3);
	aw_file(a, "other", "o", 1);
	aw_file(a, "./prog", "two", 3);
	aw_trailer(a);
}

static void build_standard(struct aw *a)
{
	aw_init(a);
	aw_file(a, "system.dtb", dtb_bytes, sizeof(dtb_bytes));
	aw_dir(a, "bin");
	aw_file(a, "empty", NULL, 0);
	aw_file(a, "odd", "12345", 5);
	aw_file(a, "./dotted", "dot", 3);
	aw_file(a, "bin/init", "\x7f" "ELF....", 8);
	aw_trailer(a);
}

static void test_iterate(void)
{
	static const struct {
		const char *name;
		size_t size;
		uint32_t type;
	} want[] = {
		{ "system.dtb", sizeof(dtb_bytes), CPIO_MODE_FILE },
		{ "bin", 0, CPIO_MODE_DIR },
		{ "empty", 0, CPIO_MODE_FILE },
		{ "odd", 5, CPIO_MODE_FILE },
		{ "./dotted", 3, CPIO_MODE_FILE },
		{ "bin/init", 8, CPIO_MODE_FILE },
	};
	struct cpio_iter it;
	struct cpio_entry e;
	uint8_t *p;
	unsigned i = 0;
	int err;

	build_standard(&arch);
	p = keep(dup_exact(arch.buf, arch.len));
	HT_ASSERT(p);
	cpio_iter_init(&it, p, arch.len);
	while ((err = cpio_next(&it, &e)) == 0) {
		HT_ASSERT(i < sizeof(want) / sizeof(want[0]));
		HT_STREQ(e.name, want[i].name);
		HT_EQ(e.namelen, strlen(want[i].name));
		HT_EQ(e.size, want[i].size);
		HT_EQ(e.mode & CPIO_MODE_TYPE, want[i].type);
		HT_EQ(e.ino, i + 1);
		HT_EQ(e.nlink, 1);
		HT_EQ(e.offset & 3, 0);
		HT_EQ(((const uint8_t *)e.data - p) & 3, 0);
		HT_ASSERT((const uint8_t *)e.data + e.size <= p + arch.len);
		i++;
	}
	HT_EQ(err, E_NOENT);
	HT_EQ(i, sizeof(want) / sizeof(want[0]));
	HT_STREQ(it.why, "");
	HT_EQ(it.offset, arch.len);
	/* The end is sticky. */
	HT_EQ(cpio_next(&it, &e), E_NOENT);
	HT_EQ(cpio_next(&it, &e), E_NOENT);
	HT_EQ(cpio_next(NULL, &e), E_INVAL);
	HT_EQ(cpio_next(&it, NULL), E_INVAL);
}

static void test_find(void)
{
	const void *data;
	size_t size;
	uint8_t *p;

	build_standard(&arch);
	p = keep(dup_exact(arch.buf, arch.len));
	HT_ASSERT(p);
	HT_EQ(cpio_find(p, arch.len, "system.dtb", &data, &size), 0);
	HT_EQ(size, sizeof(dtb_bytes));
	HT_EQ(memcmp(data, dtb_bytes, size), 0);
	HT_EQ(cpio_find(p, arch.len, "odd", &data, &size), 0);
	HT_EQ(size, 5);
	HT_EQ(memcmp(data, "12345", 5), 0);
	HT_EQ(cpio_find(p, arch.len, "empty", &data, &size), 0);
	HT_EQ(size, 0);
	HT_EQ(cpio_find(p, arch.len, "dotted", &data, &size), 0);
	HT_EQ(memcmp(data, "dot", 3), 0);
	HT_EQ(cpio_find(p, arch.len, "./dotted", NULL, NULL), 0);
	HT_EQ(cpio_find(p, arch.len, "/bin/init", &data, &size), 0);
	HT_EQ(size, 8);
	HT_EQ(cpio_find(p, arch.len, "bin", &data, &size), E_NOENT); /* a directory */
	HT_EQ(cpio_find(p, arch.len, "no/such/file", &data, &size), E_NOENT);
	HT_EQ(cpio_find(p, arch.len, "system.dt", &data, &size), E_NOENT);
	HT_EQ(cpio_find(p, arch.len, "TRAILER!!!", &data, &size), E_NOENT);
	HT_EQ(cpio_find(p, arch.len, NULL, &data, &size), E_INVAL);
	/* A malformed archive is an error even when the file comes first. */
	HT_EQ(cpio_find(p, arch.len - 4, "system.dtb", &data, &size), E_TRUNC);
	/* Two files of one name (also "./x" beside "x"): ambiguous, neither
	 * is taken; the other names are still found. */
	build_ambiguous(&arch);
	p = keep(dup_exact(arch.buf, arch.len));
	HT_ASSERT(p);
	data = NULL;
	HT_EQ(cpio_find(p, arch.len, "prog", &data, &size), E_EXIST);
	HT_ASSERT(data == NULL);
	HT_EQ(cpio_find(p, arch.len, "other", &data, &size), 0);
}

/* cpio_lookup: the same answers as cpio_find on a valid archive; stops at
 * the first match (damage after it is not looked at), an error for damage
 * before it. */
static void test_lookup(void)
{
	static const char *const names[] = { "system.dtb", "odd", "empty", "dotted", "./dotted",
					      "/bin/init", "bin", "no/such/file", "TRAILER!!!" };
	const void *d1, *d2;
	size_t s1, s2;
	uint8_t *p;

	build_standard(&arch);
	p = keep(dup_exact(arch.buf, arch.len));
	HT_ASSERT(p);
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int a = cpio_find(p, arch.len, names[i], &d1, &s1);

		HT_EQ(cpio_lookup(p, arch.len, names[i], &d2, &s2), a);
		if (a == 0)
			HT_ASSERT_MSG(d1 == d2 && s1 == s2, "%s", names[i]);
	}
	HT_EQ(cpio_lookup(p, arch.len, NULL, &d2, &s2), E_INVAL);
	/* Cut short: the first file is still found, a later one is not. */
	HT_EQ(cpio_lookup(p, arch.len - 4, "system.dtb", &d2, &s2), 0);
	HT_EQ(cpio_lookup(p, arch.len - 4, "no/such/file", &d2, &s2), E_TRUNC);
	/* A bad first header: an error whatever is looked up. */
	p[0] = 'X';
	HT_EQ(cpio_lookup(p, arch.len, "system.dtb", &d2, &s2), E_FORMAT);
}

/* cpio_list + cpio_list_find: the answers of cpio_find; the bound. */
static void test_list(void)
{
	static const char *const names[] = { "system.dtb", "odd", "empty", "dotted", "./dotted",
					      "/bin/init", "bin", "no/such/file", "TRAILER!!!",
					      "prog", "other", "" };
	struct cpio_file files[8];
	const void *d1, *d2;
	size_t s1, s2;
	uint8_t *p;
	int n;

	for (int round = 0; round < 2; round++) {
		if (round == 0)
			build_standard(&arch);
		else
			build_ambiguous(&arch);
		p = keep(dup_exact(arch.buf, arch.len));
		HT_ASSERT(p);
		n = cpio_list(p, arch.len, files, 8);
		HT_ASSERT(n >= 3);
		for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			int a = cpio_find(p, arch.len, names[i], &d1, &s1);

			d2 = NULL;
			HT_EQ(cpio_list_find(files, (size_t)n, names[i], &d2, &s2), a);
			if (a == 0)
				HT_ASSERT_MSG(d1 == d2 && s1 == s2, "%s", names[i]);
			else
				HT_ASSERT(d2 == NULL);
		}
		/* Exactly full, one short. */
		HT_EQ(cpio_list(p, arch.len, files, (size_t)n), n);
		HT_EQ(cpio_list(p, arch.len, files, (size_t)n - 1), E_OVERFLOW);
	}
	HT_EQ(cpio_list_find(files, 0, "prog", &d2, &s2), E_NOENT);
	HT_EQ(cpio_list_find(files, (size_t)n, NULL, &d2, &s2), E_INVAL);
	HT_EQ(cpio_list(p, arch.len, NULL, 4), E_INVAL);
	/* A damaged archive is its error, as for cpio_find. */
	HT_EQ(cpio_list(p, arch.len - 4, files, 8), cpio_find(p, arch.len - 4, "x", NULL, NULL));
	p[0] = 'X';
	HT_EQ(cpio_list(p, arch.len, files, 8), E_FORMAT);
}

/* An archive from the system's cpio (or, without it, an equivalent one). */
static void test_system_cpio(void)
{
	char dir[] = "/tmp/cairn-cpio-XXXXXX";
	char cmd[1024], path[512];
	const void *data;
	size_t len = 0, size;
	struct cpio_iter it;
	struct cpio_entry e;
	uint8_t *p = NULL;
	unsigned files = 0, dirs = 0;
	int err;

	if (access("/usr/bin/cpio", X_OK) == 0 || access("/bin/cpio", X_OK) == 0) {
		HT_ASSERT(mkdtemp(dir) != NULL);
		snprintf(cmd, sizeof(cmd), "mkdir -p %s/in/sub && cd %s/in && "
			 "printf 'hello, world\\n' > hello.txt && : > empty && "
			 "printf 'abcde' > sub/five && "
			 "printf '%%s\\n' . hello.txt empty sub sub/five | "
			 "cpio -o -H newc --quiet > %s/a.cpio", dir, dir, dir);
		HT_ASSERT_MSG(system(cmd) == 0, "%s", cmd);
		snprintf(path, sizeof(path), "%s/a.cpio", dir);
		p = keep(htest_read_file(path, &len));
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		HT_ASSERT(system(cmd) == 0);
		HT_ASSERT(p);
		HT_EQ(len % 512, 0); /* cpio pads to its block size */
	} else {
		/* Same layout, with trailing block padding like cpio's. */
		aw_init(&arch);
		aw_dir(&arch, ".");
		aw_file(&arch, "hello.txt", "hello, world\n", 13);
		aw_file(&arch, "empty", NULL, 0);
		aw_dir(&arch, "sub");
		aw_file(&arch, "sub/five", "abcde", 5);
		aw_trailer(&arch);
		arch.len = (arch.len + 511) / 512 * 512;
		p = keep(dup_exact(arch.buf, arch.len));
		len = arch.len;
		HT_ASSERT(p);
	}
	cpio_iter_init(&it, p, len);
	while ((err = cpio_next(&it, &e)) == 0) {
		if ((e.mode & CPIO_MODE_TYPE) == CPIO_MODE_DIR)
			dirs++;
		else if ((e.mode & CPIO_MODE_TYPE) == CPIO_MODE_FILE)
			files++;
	}
	HT_ASSERT_MSG(err == E_NOENT, "%s at %zu", it.why, it.offset);
	HT_EQ(files, 3);
	HT_EQ(dirs, 2);
	HT_EQ(cpio_find(p, len, "hello.txt", &data, &size), 0);
	HT_EQ(size, 13);
	HT_EQ(memcmp(data, "hello, world\n", 13), 0);
	HT_EQ(cpio_find(p, len, "sub/five", &data, &size), 0);
	HT_EQ(size, 5);
	HT_EQ(memcmp(data, "abcde", 5), 0);
	HT_EQ(cpio_find(p, len, "empty", &data, &size), 0);
	HT_EQ(size, 0);
	HT_EQ(cpio_find(p, len, "sub", &data, &size), E_NOENT);
}

/* Status of iterating a malformed copy of `a`. */
static int status_of(const struct aw *a, size_t len, struct cpio_iter *it)
{
	uint8_t *p = dup_exact(a->buf, len);
	unsigned n;
	int err;

	if (!p)
		return 99;
	err = run(p, len, &n, it);
	free(p);
	it->base = NULL;
	return err;
}

static void test_bad_magic(void)
{
	struct cpio_iter it;
	size_t second;

	build_standard(&arch);
	arch.buf[5] = '7'; /* 070707: the old binary/odc formats */
	HT_EQ(status_of(&arch, arch.len, &it), E_FORMAT);
	HT_ASSERT(strstr(it.why, "magic") != NULL);
	HT_EQ(it.offset, 0);

	/* A bad second header is reported at its own offset. */
	aw_init(&arch);
	aw_file(&arch, "a", "x", 1);
	second = aw_file(&arch, "b", "y", 1);
	aw_trailer(&arch);
	arch.buf[second] = 'X';
	HT_EQ(status_of(&arch, arch.len, &it), E_FORMAT);
	HT_EQ(it.offset, second);
	HT_ASSERT(strstr(it.why, "magic") != NULL);
}

static void test_bad_hex_digit(void)
{
	static const char *const names[] = {
		"c_ino", "c_mode", "c_uid", "c_gid", "c_nlink", "c_mtime", "c_filesize",
		"c_devmajor", "c_devminor", "c_rdevmajor", "c_rdevminor", "c_namesize", "c_check",
	};
	static const char bad[] = { 'g', 'G', ' ', '-', 'x', '\0', (char)0xff };
	struct cpio_iter it;

	for (unsigned field = 0; field < 13; field++) {
		for (unsigned k = 0; k < sizeof(bad); k++) {
			build_standard(&arch);
			arch.buf[6 + 8 * field + (k % 8)] = (uint8_t)bad[k];
			HT_EQ(status_of(&arch, arch.len, &it), E_FORMAT);
			HT_ASSERT_MSG(strstr(it.why, names[field]) != NULL, "field %u: %s", field,
				      it.why);
			HT_ASSERT(strstr(it.why, "hex") != NULL);
		}
	}
	/* Lower-case hex is fine. */
	build_standard(&arch);
	memcpy(arch.buf + 6 + 8 * 1, "000081a4", 8);
	HT_EQ(status_of(&arch, arch.len, &it), E_NOENT);
}

static void test_sizes(void)
{
	struct cpio_iter it;
	size_t off;

	/* c_filesize past the end. */
	aw_init(&arch);
	aw_raw(&arch, "070701", "big", 4, "abc", 3, 0100644, 0);
	aw_trailer(&arch);
	memcpy(arch.buf + 6 + 8 * 6, "00010000", 8);
	HT_EQ(status_of(&arch, arch.len, &it), E_TRUNC);
	HT_ASSERT(strstr(it.why, "c_filesize") != NULL);
	memcpy(arch.buf + 6 + 8 * 6, "FFFFFFFF", 8);
	HT_EQ(status_of(&arch, arch.len, &it), E_TRUNC);

	/* c_namesize 0, huge, too small (no NUL inside), too big (NUL early). */
	aw_init(&arch);
	aw_raw(&arch, "070701", "name", 0, NULL, 0, 0100644, 0);
	aw_trailer(&arch);
	HT_EQ(status_of(&arch, arch.len, &it), E_FORMAT);
	HT_ASSERT(strstr(it.why, "c_namesize") != NULL);
	aw_init(&arch);
	aw_raw(&arch, "070701", "name", 0xffffffff, NULL, 0, 0100644, 0);
	aw_trailer(&arch);
	HT_EQ(status_of(&arch, arch.len, &it), E_TRUNC);
	aw_init(&arch);
	aw_raw(&arch, "070701", "name", 4, NULL, 0, 0100644, 0);
	aw_trailer(&arch);
	HT_EQ(status_of(&arch, arch.len, &it), E_FORMAT);
	HT_ASSERT(strstr(it.why, "NUL") != NULL);
	aw_init(&arch);
	aw_raw(&arch, "070701", "name", 7, NULL, 0, 0100644, 0);
	aw_trailer(&arch);
	HT_EQ(status_of(&arch, arch.len, &it), E_FORMAT);
	/* Trailer name without NUL at namesize. */
	aw_init(&arch);
	aw_raw(&arch, "070701", "TRAILER!!!", 10, NULL, 0, 0, 0);
	HT_EQ(status_of(&arch, arch.len, &it), E_FORMAT);

	/* Missing trailer; empty archive; NULL archive. */
	aw_init(&arch);
	aw_file(&arch, "a", "x", 1);
	off = arch.len;
	HT_EQ(status_of(&arch, arch.len, &it), E_TRUNC);
	HT_ASSERT(strstr(it.why, "TRAILER") != NULL);
	HT_EQ(it.offset, off);
	HT_EQ(status_of(&arch, 0, &it), E_TRUNC);
	{
		unsigned n;

		HT_EQ(run(NULL, 100, &n, &it), E_TRUNC);
		HT_EQ(cpio_find(NULL, 100, "a", NULL, NULL), E_TRUNC);
	}
	/* Only a trailer: valid and empty. */
	aw_init(&arch);
	aw_trailer(&arch);
	HT_EQ(status_of(&arch, arch.len, &it), E_NOENT);
	/* Data padding cut off after the last file: no trailer. */
	aw_init(&arch);
	aw_file(&arch, "odd", "12345", 5);
	HT_EQ(status_of(&arch, arch.len - 3, &it), E_TRUNC);
}

static void test_checksum_variant(void)
{
	struct cpio_iter it;
	const void *data;
	size_t size;
	uint8_t *p;

	aw_init(&arch);
	aw_raw(&arch, "070702", "crc", 4, "\x01\x02\xff", 3, 0100644, 0x102);
	aw_trailer(&arch);
	HT_EQ(status_of(&arch, arch.len, &it), E_NOENT);
	p = keep(dup_exact(arch.buf, arch.len));
	HT_ASSERT(p);
	HT_EQ(cpio_find(p, arch.len, "crc", &data, &size), 0);
	HT_EQ(size, 3);
	aw_init(&arch);
	aw_raw(&arch, "070702", "crc", 4, "\x01\x02\xff", 3, 0100644, 0x103);
	aw_trailer(&arch);
	HT_EQ(status_of(&arch, arch.len, &it), E_FORMAT);
	HT_ASSERT(strstr(it.why, "checksum") != NULL);
}

static void test_truncation_every_byte(void)
{
	size_t trailer, whole;

	aw_init(&arch);
	aw_file(&arch, "system.dtb", dtb_bytes, sizeof(dtb_bytes));
	aw_dir(&arch, "bin");
	aw_file(&arch, "empty", NULL, 0);
	aw_file(&arch, "odd", "12345", 5);
	trailer = aw_trailer(&arch);
	whole = trailer + CPIO_HEADER_SIZE + 11; /* the trailer's name is complete */
	for (size_t n = 0; n <= arch.len; n++) {
		struct cpio_iter it;
		int err = status_of(&arch, n, &it);

		if (n < whole) {
			HT_ASSERT_MSG(err < 0 && err != E_NOENT, "length %zu: %d", n, err);
			HT_ASSERT_MSG(it.why && it.why[0], "length %zu: no reason", n);
			HT_ASSERT(it.offset <= n);
		} else {
			HT_ASSERT_MSG(err == E_NOENT, "length %zu: %d (%s)", n, err, it.why);
		}
	}
}

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_random_flips(void)
{
	unsigned ok = 0, bad = 0;

	build_standard(&arch);
	for (unsigned i = 0; i < 20000; i++) {
		uint8_t *p = dup_exact(arch.buf, arch.len);
		struct cpio_iter it;
		const void *data;
		size_t size;
		unsigned n;
		int err;

		HT_ASSERT(p);
		for (unsigned k = 1 + (unsigned)(rng() % 3); k; k--) {
			uint64_t r = rng();

			if (r & 1)
				p[(r >> 8) % arch.len] ^= (uint8_t)(1u << ((r >> 4) & 7));
			else
				p[(r >> 8) % arch.len] = "0123456789abcdefgX\0 "[(r >> 32) % 20];
		}
		err = run(p, arch.len, &n, &it);
		if (err == E_NOENT)
			ok++;
		else
			bad++;
		if (err == 1 || err == 0 || (err != E_NOENT && (!it.why || !it.why[0])) ||
		    n > 7) {
			free(p);
			HT_ASSERT_MSG(false, "iteration %u: status %d after %u entries", i, err, n);
		}
		(void)cpio_find(p, arch.len, "system.dtb", &data, &size);
		(void)cpio_lookup(p, arch.len, "odd", &data, &size);
		free(p);
	}
	printf("    # random flips: %u still valid, %u rejected\n", ok, bad);
	HT_ASSERT(bad > 1000);
}

static const struct htest_case cases[] = {
	HT_CASE(test_iterate),
	HT_CASE(test_find),
	HT_CASE(test_lookup),
	HT_CASE(test_list),
	HT_CASE(test_system_cpio),
	HT_CASE(test_bad_magic),
	HT_CASE(test_bad_hex_digit),
	HT_CASE(test_sizes),
	HT_CASE(test_checksum_variant),
	HT_CASE(test_truncation_every_byte),
	HT_CASE(test_random_flips),
};

int main(void)
{
	return htest_main("cpio", cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
