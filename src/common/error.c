/* Thread-local error messages and the pinned error-code names. */
#include "internal.h"

#include <stdio.h>

static _Thread_local char last_error[512];

int fl__error(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof last_error, fmt, ap);
	va_end(ap);
	return code;
}

void *fl__malloc(size_t n, const char *what)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		fl__error(FL_ENOMEM, "out of memory allocating %zu bytes for %s", n, what);
	return p;
}

void *fl__calloc(size_t count, size_t size, const char *what)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (!p)
		fl__error(FL_ENOMEM, "out of memory allocating %zu x %zu bytes for %s",
			  count, size, what);
	return p;
}

const char *fl_last_error(void)
{
	return last_error;
}

const char *fl_strerror(int code)
{
	switch (code) {
	case FL_OK: return "success";
	case FL_ENOMEM: return "out of memory";
	case FL_EINVAL: return "invalid argument";
	case FL_EIO: return "input/output error";
	case FL_EFORMAT: return "malformed file";
	case FL_ESHAPE: return "shape mismatch";
	case FL_ENOCONV: return "did not converge";
	case FL_ERANGE: return "value out of range";
	case FL_EUNSUP: return "unsupported input";
	case FL_ECANCELED: return "cancelled";
	default: return "unknown error";
	}
}

const char *fl_version(void)
{
	return FL_VERSION_STRING;
}

int fl__progress(fl_progress_fn fn, void *user, const char *stage, int64_t done, int64_t total)
{
	if (fn && fn(user, stage, done, total) != 0)
		return fl__error(FL_ECANCELED, "cancelled during %s", stage);
	return 0;
}
