/*
 * Boot archive reader: cpio "newc" (SVR4 portable ASCII, magic 070701;
 * 070702, the variant with a checksum, is accepted and its checksum
 * verified).
 *
 * Each entry is a 110-byte header of 13 eight-digit hex fields, then the
 * name (namesize bytes including its NUL), padded so that the data starts
 * at a multiple of 4 from the archive start, then filesize bytes of data,
 * padded to 4 again. The entry named "TRAILER!!!" ends the archive.
 *
 * The archive is never trusted: every field is checked (magic, hex
 * digits, name terminated exactly at namesize, sizes inside the archive)
 * before anything is returned, and a missing trailer is an error. Entries
 * point into the archive (no copies, no allocation); the archive may sit
 * at any alignment.
 */
#ifndef CAIRN_CPIO_H
#define CAIRN_CPIO_H

#include <lib/error.h>
#include <lib/types.h>

#define CPIO_HEADER_SIZE 110
#define CPIO_MODE_TYPE 0170000u
#define CPIO_MODE_FILE 0100000u
#define CPIO_MODE_DIR 0040000u
#define CPIO_MODE_SYMLINK 0120000u

struct cpio_entry {
	const char *name;      /* NUL-terminated, inside the archive */
	size_t namelen;        /* strlen(name) */
	const void *data;      /* file contents (symlink target), inside the archive */
	size_t size;
	uint32_t mode;         /* type and permission bits (CPIO_MODE_*) */
	uint32_t ino, uid, gid, nlink, mtime;
	size_t offset;         /* of the header, from the archive start */
};

struct cpio_iter {
	const uint8_t *base;
	size_t len;
	size_t offset;         /* next header; at an error: the bad header */
	int state;             /* 0 running, E_NOENT after the trailer, else the error */
	const char *why;       /* reason of the error ("" while fine) */
};

/* A regular file of a listed archive (cpio_list). */
struct cpio_file {
	const char *name;      /* without leading "./" and "/", inside the archive */
	const void *data;      /* inside the archive */
	size_t size;
};

/* Start iterating over archive[0..len). */
void cpio_iter_init(struct cpio_iter *it, const void *archive, size_t len);

/* Next entry into *e: 0; E_NOENT when the trailer was reached (the archive
 * is complete and valid); otherwise E_FORMAT (bad magic, hex digit, name),
 * E_TRUNC (header, name or data past the end, no trailer) or E_RANGE, with
 * it->why and it->offset describing it. Errors and the end are sticky. */
int cpio_next(struct cpio_iter *it, struct cpio_entry *e);

/* Find the regular file `name` ("./name" and "/name" in the archive match
 * too) in a whole, valid archive: 0 with *data and *size set; E_NOENT if not
 * there; E_EXIST if two files have that name (nothing set); any cpio_next
 * error if the archive is malformed anywhere. */
int cpio_find(const void *archive, size_t len, const char *name, const void **data,
	      size_t *size);

/* The same for an archive already found whole and valid (cpio_find or a
 * walk to the trailer): stops at the first match instead of checking the
 * rest again, so a lookup costs half a walk on average. Every header it
 * reads is still checked, so a damaged archive gives an error, never a
 * read outside archive[0..len). */
int cpio_lookup(const void *archive, size_t len, const char *name, const void **data,
		size_t *size);

/* Walk the whole archive once and list its regular files, in archive
 * order, into files[0..max): the count; E_OVERFLOW when it has more than
 * `max` (the rest is not looked at); any cpio_next error (nothing listed
 * may then be used). So that a reader that looks up many names (the root
 * task: every server's program, the system description) walks it once. */
int cpio_list(const void *archive, size_t len, struct cpio_file *files, size_t max);

/* cpio_find on a list made by cpio_list (n files): 0 with *data and *size
 * set, E_NOENT, or E_EXIST when two files have that name; the same
 * answers as cpio_find on the archive, without reading it. */
int cpio_list_find(const struct cpio_file *files, size_t n, const char *name,
		   const void **data, size_t *size);

#endif
