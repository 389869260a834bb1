/*
 * fdtbuild: a small flattened-device-tree writer for host tests, used to
 * build valid and deliberately malformed trees in memory (structure block,
 * strings, reservation map, v17 header). Linked into every host test.
 */
#ifndef FDTBUILD_H
#define FDTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

struct fb {
	uint8_t st[65536];
	size_t sl;
	char strs[2048];
	size_t strl;
	uint8_t rsv[4096];
	size_t rsvl;
	bool no_rsv_terminator;
};

void fb_init(struct fb *b);
void fb_u32(struct fb *b, uint32_t v);
void fb_bytes(struct fb *b, const void *p, size_t n);
void fb_begin(struct fb *b, const char *name);
void fb_end(struct fb *b);
uint32_t fb_string(struct fb *b, const char *s);
void fb_prop(struct fb *b, const char *name, const void *val, uint32_t len);
void fb_prop_u32(struct fb *b, const char *name, uint32_t v);
void fb_prop_str(struct fb *b, const char *name, const char *s);
void fb_rsv(struct fb *b, uint64_t base, uint64_t size);
uint8_t *fb_assemble(struct fb *b, size_t *len);

#endif
