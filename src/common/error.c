/* Thread-local error messages and the pinned error-code names. */
#include "internal.h"

#include <stdio.h>

static _Thread_local char last_error[512];

/* A message names the user's files, columns and values: it stays one line
 * of inert text whatever bytes they hold (fl__inert). */
int fl__error(int code, const char *fmt, ...)
{
	char raw[sizeof last_error];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	fl__inert(last_error, sizeof last_error, raw);
	return code;
}

int fl__check_matrix(const void *x, int64_t n, int64_t d, int64_t ld, int64_t min_rows,
		     const char *what)
{
	if (n < min_rows)
		return fl__error(FL_EINVAL, "%s has %lld row%s, needs at least %lld", what,
				 (long long)n, n == 1 ? "" : "s", (long long)min_rows);
	if (d < 1)
		return fl__error(FL_EINVAL, "%s has no columns", what);
	if (ld < d)
		return fl__error(FL_EINVAL, "%s: a row stride of %lld, less than its %lld columns",
				 what, (long long)ld, (long long)d);
	if (!x && n > 0)
		return fl__error(FL_EINVAL, "%s: no data (a NULL array)", what);
	return 0;
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
