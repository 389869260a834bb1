/*
 * Kernel command-line parsing (see args.h). The line is copied into a
 * static buffer and split in place: each word's '=' (if any) becomes a
 * NUL separating key and value. Bounded by ARGS_LEN and ARGS_MAX.
 */
#include <boot/args.h>
#include <lib/string.h>

static char line[ARGS_LEN];
static char words[ARGS_LEN];
static const char *keys[ARGS_MAX];
static const char *vals[ARGS_MAX];
static unsigned nargs, ndropped;

unsigned args_parse(const char *cmdline)
{
	size_t len = cmdline ? strnlen(cmdline, ARGS_LEN - 1) : 0;
	char *p = words;

	nargs = ndropped = 0;
	memcpy(line, cmdline ? cmdline : "", len);
	line[len] = '\0';
	memcpy(words, line, len + 1);
	while (*p) {
		char *start, *eq;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			*p++ = '\0';
		if (!*p)
			break;
		start = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		if (*p)
			*p++ = '\0';
		if (nargs == ARGS_MAX) {
			ndropped++;
			continue;
		}
		eq = strchr(start, '=');
		if (eq) {
			*eq = '\0';
			vals[nargs] = eq + 1;
		} else {
			vals[nargs] = "";
		}
		keys[nargs++] = start;
	}
	return nargs;
}

const char *args_get(const char *key)
{
	for (unsigned i = nargs; i-- > 0;)
		if (strcmp(keys[i], key) == 0)
			return vals[i];
	return NULL;
}

unsigned args_get_all(const char *key, const char **out, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nargs; i++)
		if (strcmp(keys[i], key) == 0) {
			if (n < max)
				out[n] = vals[i];
			n++;
		}
	return n;
}

bool args_has(const char *key)
{
	return args_get(key) != NULL;
}

unsigned args_dropped(void)
{
	return ndropped;
}

const char *args_cmdline(void)
{
	return line;
}
