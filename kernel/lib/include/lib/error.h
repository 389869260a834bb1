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

#include <cairn/abi.h>   /* enum err: the ABI's error codes */

const char *err_name(int err);

#endif
