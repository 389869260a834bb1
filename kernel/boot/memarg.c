/*
 * mem=SIZE[@START] (see boot/memarg.h): parse, check against the device
 * tree, and only then replace its RAM banks. Nothing is changed until
 * every check has passed, so a rejected command line leaves the device
 * tree's /memory in force.
 */
#include <boot/memarg.h>
#include <lib/error.h>
#include <lib/parse.h>
#include <lib/printf.h>
#include <lib/string.h>

#define PAGE 4096ull
#define PHYS_LIMIT (1ull << 40)

/* A number with an optional K/M/G/T suffix, ending at `stop` or the end;
 * false when it is not one or does not fit 64 bits. */
static bool parse_amount(const char *s, char stop, uint64_t *out, const char **end)
{
	unsigned shift = 0;
	uint64_t v;

	if (!parse_u64(s, &v, &s))
		return false;
	switch (*s) {
	case 'k': case 'K': shift = 10; s++; break;
	case 'm': case 'M': shift = 20; s++; break;
	case 'g': case 'G': shift = 30; s++; break;
	case 't': case 'T': shift = 40; s++; break;
	}
	if (*s && *s != stop)
		return false;
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*out = v << shift;
	*end = s;
	return true;
}

static bool overlaps(paddr_t a, uint64_t asize, paddr_t b, uint64_t bsize)
{
	return a < b + bsize && b < a + asize;
}

static bool inside_banks(const struct dt_mem *m, unsigned n, paddr_t base, uint64_t size)
{
	for (unsigned i = 0; i < n; i++)
		if (base >= m[i].base && base + size <= m[i].base + m[i].size)
			return true;
	return false;
}

int memarg_apply(const char *const vals[], unsigned n, const struct memarg_boot *boot,
		 struct dt_info *dt, char *why, size_t whylen)
{
	struct dt_mem banks[DT_MAX_MEM];
	const char *src[DT_MAX_MEM];
	paddr_t deflt = dt->nmem ? dt->mem[0].base : 0;

	if (n == 0)
		return 0;
	if (n > DT_MAX_MEM) {
		ksnprintf(why, whylen, "%u mem= banks, at most %u", n, (unsigned)DT_MAX_MEM);
		return E_INVAL;
	}
	for (unsigned i = 0; i < n; i++) {
		const char *e;
		uint64_t size, start = deflt, lo, hi;
		bool at = false;

		if (!parse_amount(vals[i], '@', &size, &e) || size == 0 ||
		    ((at = *e == '@') && !parse_amount(e + 1, '\0', &start, &e)) || *e) {
			ksnprintf(why, whylen, "mem=%s: not SIZE[@START] (e.g. mem=6G@0x40000000)",
				  vals[i]);
			return E_INVAL;
		}
		if (!at && !dt->nmem) {
			ksnprintf(why, whylen, "mem=%s: no @START and no /memory to take it from",
				  vals[i]);
			return E_INVAL;
		}
		if (start >= PHYS_LIMIT || size > PHYS_LIMIT - start) {
			ksnprintf(why, whylen,
				  "mem=%s: ends beyond the 40-bit physical address space", vals[i]);
			return E_RANGE;
		}
		lo = (start + PAGE - 1) & ~(PAGE - 1);
		hi = (start + size) & ~(PAGE - 1);
		if (hi <= lo) {
			ksnprintf(why, whylen, "mem=%s: no whole page", vals[i]);
			return E_INVAL;
		}
		/* insertion by base: the banks stay sorted */
		unsigned j = i;

		while (j > 0 && banks[j - 1].base > lo) {
			banks[j] = banks[j - 1];
			src[j] = src[j - 1];
			j--;
		}
		banks[j].base = lo;
		banks[j].size = hi - lo;
		src[j] = vals[i];
	}
	for (unsigned i = 1; i < n; i++)
		if (banks[i].base < banks[i - 1].base + banks[i - 1].size) {
			ksnprintf(why, whylen, "mem=%s and mem=%s overlap", src[i - 1], src[i]);
			return E_EXIST;
		}
	for (unsigned i = 0; i < n; i++) {
		for (unsigned d = 0; d < dt->ndevices; d++)
			for (unsigned r = 0; r < dt->devices[d].nreg; r++) {
				const struct dt_reg *g = &dt->devices[d].reg[r];

				if (g->translated && g->size &&
				    overlaps(banks[i].base, banks[i].size, g->base, g->size)) {
					ksnprintf(why, whylen,
						  "mem=%s: overlaps the registers of %s at 0x%010llx",
						  src[i], dt->devices[d].path,
						  (unsigned long long)g->base);
					return E_BUSY;
				}
			}
		for (unsigned w = 0; w < dt->nwindows; w++) {
			const struct dt_window *g = &dt->windows[w];

			if (overlaps(banks[i].base, banks[i].size, g->base, g->size)) {
				ksnprintf(why, whylen,
					  "mem=%s: overlaps the bus window of %s at 0x%010llx",
					  src[i], dt->devices[g->device].path,
					  (unsigned long long)g->base);
				return E_BUSY;
			}
		}
		for (unsigned r = 0; r < dt->nrsv; r++) {
			const struct dt_rsv *g = &dt->rsv[r];
			paddr_t b = banks[i].base, e = b + banks[i].size;

			if (overlaps(b, banks[i].size, g->base, g->size) &&
			    (g->base < b || g->base + g->size > e)) {
				ksnprintf(why, whylen,
					  "mem=%s: cuts reserved region 0x%010llx-0x%010llx in part",
					  src[i], (unsigned long long)g->base,
					  (unsigned long long)(g->base + g->size - 1));
				return E_BUSY;
			}
		}
	}
	if (boot && boot->kimage_size &&
	    !inside_banks(banks, n, boot->kimage, boot->kimage_size)) {
		ksnprintf(why, whylen,
			  "mem=: the kernel image at 0x%010llx is outside the RAM it describes",
			  (unsigned long long)boot->kimage);
		return E_NOENT;
	}
	if (dt->has_initrd && dt->initrd_end > dt->initrd_start &&
	    !inside_banks(banks, n, dt->initrd_start, dt->initrd_end - dt->initrd_start)) {
		ksnprintf(why, whylen,
			  "mem=: the boot archive at 0x%010llx is outside the RAM it describes",
			  (unsigned long long)dt->initrd_start);
		return E_NOENT;
	}
	/* decided: replace */
	memcpy(dt->mem, banks, n * sizeof(banks[0]));
	dt->nmem = n;
	return 0;
}
