/*
 * Number parsing (lib/parse.h). Portable: no kernel state, so the user
 * runtime compiles it too.
 */
#include <lib/parse.h>

bool parse_u64(const char *s, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	unsigned base = 10;
	bool digits = false;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
		digits = true;
	}
	if (!digits)
		return false;
	*out = v;
	*end = s;
	return true;
}
