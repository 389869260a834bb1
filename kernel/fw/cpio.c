/*
 * cpio "newc" reader (see fw/cpio.h).
 *
 * Design: an iterator that checks one header at a time and only then
 * returns the entry: the header must be whole, the magic right, every
 * field eight hex digits, the name exactly namesize bytes with its only
 * NUL at the end, name and data inside the archive. Offsets are compared
 * with what remains of the archive before anything is added, so no
 * arithmetic on hostile sizes can wrap. Padding is relative to the archive
 * start (as cpio writes it); padding after the last entry may be missing.
 *
 * Invariants: it->offset only grows and never exceeds it->len; once an
 * error or the trailer is seen the iterator stays there, so loops over
 * cpio_next always end.
 */
#include <fw/cpio.h>
#include <lib/string.h>

#define TRAILER "TRAILER!!!"

enum {
	F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE, F_DEVMAJOR,
	F_DEVMINOR, F_RDEVMAJOR, F_RDEVMINOR, F_NAMESIZE, F_CHECK, F_COUNT
};

static const char *const bad_hex_msgs[F_COUNT] = {
	"bad hex digit in c_ino", "bad hex digit in c_mode", "bad hex digit in c_uid",
	"bad hex digit in c_gid", "bad hex digit in c_nlink", "bad hex digit in c_mtime",
	"bad hex digit in c_filesize", "bad hex digit in c_devmajor",
	"bad hex digit in c_devminor", "bad hex digit in c_rdevmajor",
	"bad hex digit in c_rdevminor", "bad hex digit in c_namesize",
	"bad hex digit in c_check",
};

void cpio_iter_init(struct cpio_iter *it, const void *archive, size_t len)
{
	it->base = archive;
	it->len = archive ? len : 0;
	it->offset = 0;
	it->state = 0;
	it->why = "";
}

static int stop(struct cpio_iter *it, int err, const char *why)
{
	it->state = err;
	it->why = why;
	return err;
}

static bool hex8(const uint8_t *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		uint8_t c = p[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		v = v << 4 | d;
	}
	*out = v;
	return true;
}

/* Bytes of padding to bring `off` to a multiple of 4. */
static size_t pad4(size_t off)
{
	return (4 - (off & 3)) & 3;
}

int cpio_next(struct cpio_iter *it, struct cpio_entry *e)
{
	uint32_t f[F_COUNT];
	const uint8_t *h;
	size_t off, rest, namesize, filesize, skip;
	bool crc;

	if (!it || !e)
		return E_INVAL;
	if (it->state)
		return it->state;
	off = it->offset;
	rest = it->len - off;
	if (rest == 0)
		return stop(it, E_TRUNC, "archive ends without a TRAILER!!! entry");
	if (rest < CPIO_HEADER_SIZE)
		return stop(it, E_TRUNC, "header runs past the end of the archive");
	h = it->base + off;
	if (memcmp(h, "070701", 6) == 0)
		crc = false;
	else if (memcmp(h, "070702", 6) == 0)
		crc = true;
	else
		return stop(it, E_FORMAT, "bad magic (not 070701 newc)");
	for (int i = 0; i < F_COUNT; i++)
		if (!hex8(h + 6 + 8 * i, &f[i]))
			return stop(it, E_FORMAT, bad_hex_msgs[i]);

	/* Name: namesize bytes including the NUL, all inside the archive. */
	namesize = f[F_NAMESIZE];
	rest -= CPIO_HEADER_SIZE;
	if (namesize == 0)
		return stop(it, E_FORMAT, "c_namesize is 0 (no room for the NUL)");
	if (namesize > rest)
		return stop(it, E_TRUNC, "name runs past the end of the archive");
	e->name = (const char *)h + CPIO_HEADER_SIZE;
	e->namelen = strnlen(e->name, namesize);
	if (e->namelen != namesize - 1)
		return stop(it, E_FORMAT, e->namelen == namesize ?
			    "name is not NUL-terminated within c_namesize" :
			    "name has a NUL before c_namesize");
	rest -= namesize;
	skip = pad4(off + CPIO_HEADER_SIZE + namesize);
	if (e->namelen == sizeof(TRAILER) - 1 && memcmp(e->name, TRAILER, e->namelen) == 0) {
		/* The end: whatever follows (block padding) is not looked at;
		 * offset is just past the trailer (and its padding, if there). */
		it->offset = it->len - rest + (skip < rest ? skip : rest);
		it->state = E_NOENT;
		it->why = "";
		return E_NOENT;
	}
	if (skip > rest)
		return stop(it, E_TRUNC, "name padding runs past the end of the archive");
	rest -= skip;

	/* Data. */
	filesize = f[F_FILESIZE];
	if (filesize > rest)
		return stop(it, E_TRUNC, "c_filesize runs past the end of the archive");
	e->data = it->base + (it->len - rest);
	e->size = filesize;
	if (crc) {
		uint32_t sum = 0;

		for (size_t i = 0; i < filesize; i++)
			sum += ((const uint8_t *)e->data)[i];
		if (sum != f[F_CHECK])
			return stop(it, E_FORMAT, "data checksum (070702 c_check) mismatch");
	}
	rest -= filesize;
	skip = pad4(it->len - rest);
	rest -= skip < rest ? skip : rest; /* padding after the last bytes may be cut */

	e->mode = f[F_MODE];
	e->ino = f[F_INO];
	e->uid = f[F_UID];
	e->gid = f[F_GID];
	e->nlink = f[F_NLINK];
	e->mtime = f[F_MTIME];
	e->offset = off;
	it->offset = it->len - rest;
	return 0;
}

/* Name without a leading "./" or "/" (repeated). */
static const char *strip_name(const char *s)
{
	for (;;) {
		if (s[0] == '.' && s[1] == '/')
			s += 2;
		else if (s[0] == '/')
			s++;
		else
			return s;
	}
}

int cpio_find(const void *archive, size_t len, const char *name, const void **data,
	      size_t *size)
{
	struct cpio_iter it;
	struct cpio_entry e;
	const void *found = NULL;
	size_t found_size = 0;
	bool have = false, dup = false;
	int err;

	if (!name)
		return E_INVAL;
	name = strip_name(name);
	cpio_iter_init(&it, archive, len);
	while ((err = cpio_next(&it, &e)) == 0) {
		if ((e.mode & CPIO_MODE_TYPE) == CPIO_MODE_FILE &&
		    strcmp(strip_name(e.name), name) == 0) {
			/* Two files of one name: readers that stop at the
			 * first (cpio_lookup) and at the last would disagree
			 * about what the name holds, so neither is taken. */
			if (have)
				dup = true;
			found = e.data;
			found_size = e.size;
			have = true;
		}
	}
	if (err != E_NOENT)
		return err;
	if (dup)
		return E_EXIST;
	if (!have)
		return E_NOENT;
	if (data)
		*data = found;
	if (size)
		*size = found_size;
	return 0;
}

int cpio_lookup(const void *archive, size_t len, const char *name, const void **data,
		size_t *size)
{
	struct cpio_iter it;
	struct cpio_entry e;
	int err;

	if (!name)
		return E_INVAL;
	name = strip_name(name);
	cpio_iter_init(&it, archive, len);
	while ((err = cpio_next(&it, &e)) == 0) {
		if ((e.mode & CPIO_MODE_TYPE) == CPIO_MODE_FILE &&
		    strcmp(strip_name(e.name), name) == 0) {
			if (data)
				*data = e.data;
			if (size)
				*size = e.size;
			return 0;
		}
	}
	return err;
}

int cpio_list(const void *archive, size_t len, struct cpio_file *files, size_t max)
{
	struct cpio_iter it;
	struct cpio_entry e;
	size_t n = 0;
	int err;

	if (!files && max)
		return E_INVAL;
	cpio_iter_init(&it, archive, len);
	while ((err = cpio_next(&it, &e)) == 0) {
		if ((e.mode & CPIO_MODE_TYPE) != CPIO_MODE_FILE)
			continue;
		if (n == max)
			return E_OVERFLOW;
		files[n].name = strip_name(e.name);
		files[n].data = e.data;
		files[n].size = e.size;
		n++;
	}
	return err == E_NOENT ? (int)n : err;
}

int cpio_list_find(const struct cpio_file *files, size_t n, const char *name,
		   const void **data, size_t *size)
{
	const struct cpio_file *found = NULL;

	if (!name || (!files && n))
		return E_INVAL;
	name = strip_name(name);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(files[i].name, name) != 0)
			continue;
		if (found)
			return E_EXIST;    /* ambiguous, as for cpio_find */
		found = &files[i];
	}
	if (!found)
		return E_NOENT;
	if (data)
		*data = found->data;
	if (size)
		*size = found->size;
	return 0;
}
