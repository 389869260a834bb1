/*
 * Names for the error enum, for logs and tests.
 */
#include <lib/error.h>

const char *err_name(int err)
{
	switch (err) {
	case E_OK: return "E_OK";
	case E_INVAL: return "E_INVAL";
	case E_RANGE: return "E_RANGE";
	case E_NOMEM: return "E_NOMEM";
	case E_NOENT: return "E_NOENT";
	case E_EXIST: return "E_EXIST";
	case E_OVERFLOW: return "E_OVERFLOW";
	case E_ALIGN: return "E_ALIGN";
	case E_FORMAT: return "E_FORMAT";
	case E_TRUNC: return "E_TRUNC";
	case E_DEPTH: return "E_DEPTH";
	case E_PERM: return "E_PERM";
	case E_BUSY: return "E_BUSY";
	case E_NOSYS: return "E_NOSYS";
	case E_NOCAP: return "E_NOCAP";
	case E_TYPE: return "E_TYPE";
	case E_CANCELLED: return "E_CANCELLED";
	case E_FAULT: return "E_FAULT";
	case E_AGAIN: return "E_AGAIN";
	case E_STATE: return "E_STATE";
	}
	return "E_?";
}
