/*
 * The one error enum of the kernel.
 *
 * Every fallible kernel function returns `int`: 0 (E_OK) on success or a
 * negative `enum err` value. The same numbers are the syscall ABI's error
 * codes, so there is exactly one place that defines them. err_name() gives
 * the symbolic name for logs and test output.
 */
#ifndef CAIRN_ERROR_H
#define CAIRN_ERROR_H

enum err {
	E_OK = 0,
	E_INVAL = -1,     /* malformed argument or input */
	E_RANGE = -2,     /* value or offset out of bounds */
	E_NOMEM = -3,     /* out of memory or quota */
	E_NOENT = -4,     /* no such object, node, property or file */
	E_EXIST = -5,     /* already present */
	E_OVERFLOW = -6,  /* arithmetic overflow / result does not fit */
	E_ALIGN = -7,     /* misaligned address or size */
	E_FORMAT = -8,    /* bad magic, version or structure in an input format */
	E_TRUNC = -9,     /* input shorter than its own header claims */
	E_DEPTH = -10,    /* nesting or recursion limit exceeded */
	E_PERM = -11,     /* insufficient rights */
	E_BUSY = -12,     /* resource in use */
	E_NOSYS = -13,    /* not implemented / unknown operation */
};

const char *err_name(int err);

#endif
