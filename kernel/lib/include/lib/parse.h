/*
 * Number parsing shared by the kernel (command-line sizes) and the user
 * runtime (kernel/lib/parse.c is compiled into both).
 */
#ifndef CAIRN_PARSE_H
#define CAIRN_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * An unsigned number at s: decimal, or hexadecimal after "0x"/"0X". It
 * stops at the first character that is not a digit of the base and sets
 * *end there. false (nothing stored) if there is no digit or the value
 * does not fit 64 bits.
 */
bool parse_u64(const char *s, uint64_t *out, const char **end);

#endif
