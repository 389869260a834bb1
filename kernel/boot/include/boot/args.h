/*
 * Kernel command line (/chosen/bootargs): space separated words, each
 * `key=value` or a bare `flag`. Unknown words are kept and reported once
 * at boot, never fatal. Documented arguments: see docs/boot.md.
 */
#ifndef CAIRN_ARGS_H
#define CAIRN_ARGS_H

#include <lib/types.h>

#define ARGS_MAX 32
#define ARGS_LEN 256

/* Parse a command line (copied; truncated at ARGS_LEN - 1 bytes; words
 * beyond ARGS_MAX are dropped and counted). Returns the word count. */
unsigned args_parse(const char *cmdline);
/* Value of `key` ("" for a bare flag) or NULL when absent. Later words
 * override earlier ones. */
const char *args_get(const char *key);
bool args_has(const char *key);
/* Every value of `key` in command-line order, at most max of them in
 * vals[]; returns how many there are (possibly more than max). */
unsigned args_get_all(const char *key, const char **vals, unsigned max);
/* Number of words dropped because of ARGS_MAX. */
unsigned args_dropped(void);
/* The command line as parsed (for the banner). */
const char *args_cmdline(void);

#endif
