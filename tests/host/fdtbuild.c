/*
 * fdtbuild: see fdtbuild.h.
 */
#include "fdtbuild.h"

#include <fw/fdt.h>

#include <stdlib.h>
#include <string.h>

void fb_init(struct fb *b)
{
	memset(b, 0, sizeof(*b));
}

void fb_u32(struct fb *b, uint32_t v)
{
	if (b->sl + 4 <= sizeof(b->st)) {
		put32(b->st + b->sl, v);
		b->sl += 4;
	}
}

void fb_bytes(struct fb *b, const void *p, size_t n)
{
	if (b->sl + n + 3 <= sizeof(b->st)) {
		if (n)
			memcpy(b->st + b->sl, p, n);
		b->sl += n;
		while (b->sl & 3)
			b->st[b->sl++] = 0;
	}
}

void fb_begin(struct fb *b, const char *name)
{
	fb_u32(b, FDT_BEGIN_NODE);
	fb_bytes(b, name, strlen(name) + 1);
}

void fb_end(struct fb *b)
{
	fb_u32(b, FDT_END_NODE);
}

uint32_t fb_string(struct fb *b, const char *s)
{
	size_t n = strlen(s) + 1;

	for (size_t off = 0; off < b->strl; off += strlen(b->strs + off) + 1)
		if (strcmp(b->strs + off, s) == 0)
			return (uint32_t)off;
	if (b->strl + n > sizeof(b->strs))
		return 0;
	memcpy(b->strs + b->strl, s, n);
	b->strl += n;
	return (uint32_t)(b->strl - n);
}

void fb_prop(struct fb *b, const char *name, const void *val, uint32_t len)
{
	fb_u32(b, FDT_PROP);
	fb_u32(b, len);
	fb_u32(b, fb_string(b, name));
	fb_bytes(b, val, len);
}

void fb_prop_u32(struct fb *b, const char *name, uint32_t v)
{
	uint8_t c[4];

	put32(c, v);
	fb_prop(b, name, c, 4);
}

void fb_prop_str(struct fb *b, const char *name, const char *s)
{
	fb_prop(b, name, s, (uint32_t)strlen(s) + 1);
}

void fb_rsv(struct fb *b, uint64_t base, uint64_t size)
{
	if (b->rsvl + 16 <= sizeof(b->rsv)) {
		put32(b->rsv + b->rsvl, (uint32_t)(base >> 32));
		put32(b->rsv + b->rsvl + 4, (uint32_t)base);
		put32(b->rsv + b->rsvl + 8, (uint32_t)(size >> 32));
		put32(b->rsv + b->rsvl + 12, (uint32_t)size);
		b->rsvl += 16;
	}
}

/* Assemble header (v17), reservation map, structure and strings into a
 * malloc'd blob of exactly the right size (the caller frees it). The
 * caller adds FDT_END. */
uint8_t *fb_assemble(struct fb *b, size_t *len)
{
	size_t rsvsz = b->rsvl + (b->no_rsv_terminator ? 0 : 16);
	size_t off_rsv = 40, off_st = off_rsv + rsvsz, off_str = off_st + b->sl;
	size_t total = off_str + b->strl;
	uint8_t *p = calloc(1, total);

	if (!p)
		return NULL;
	put32(p + 0, FDT_MAGIC);
	put32(p + 4, (uint32_t)total);
	put32(p + 8, (uint32_t)off_st);
	put32(p + 12, (uint32_t)off_str);
	put32(p + 16, (uint32_t)off_rsv);
	put32(p + 20, 17);
	put32(p + 24, 16);
	put32(p + 28, 0);
	put32(p + 32, (uint32_t)b->strl);
	put32(p + 36, (uint32_t)b->sl);
	memcpy(p + off_rsv, b->rsv, b->rsvl);
	memcpy(p + off_st, b->st, b->sl);
	memcpy(p + off_str, b->strs, b->strl);
	*len = total;
	return p;
}
