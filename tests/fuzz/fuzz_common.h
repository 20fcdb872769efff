/*
 * Shared by the fuzz targets: the readers take a path, so each input is
 * written to a fresh temporary file (in $TMPDIR or /tmp) first. Include it
 * before any other header.
 */
#ifndef FL_FUZZ_COMMON_H
#define FL_FUZZ_COMMON_H

/* mkstemp is POSIX; the libFuzzer build does not define this for us */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faultline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile double fuzz_sink;

/* Touch every element of every view the array can give. */
static inline void fuzz_touch_array(fl_array *a)
{
	size_t n = (size_t)fl_array_rows(a) * (size_t)fl_array_cols(a);
	const float *f;
	const double *d;
	const int64_t *l;
	double s = 0;

	if (fl_array_f32(a, &f) == 0)
		for (size_t i = 0; i < n; i++)
			s += f[i];
	if (fl_array_f64(a, &d) == 0)
		for (size_t i = 0; i < n; i++)
			s += d[i];
	if (fl_array_i64(a, &l) == 0)
		for (size_t i = 0; i < n; i++)
			s += (double)l[i];
	s += (double)strlen(fl_array_name(a)) + fl_array_ndim(a) + fl_array_is_mapped(a) +
	     (double)strlen(fl_dtype_name(fl_array_dtype(a)));
	fuzz_sink = s;
}


/* Write the input to a temporary file; its path goes to `path`. */
static inline int fuzz_temp_file(char *path, size_t n, const uint8_t *data, size_t size)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, n, "%s/fl_fuzz_XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	for (size_t off = 0; off < size;) {
		ssize_t w = write(fd, data + off, size - off);

		if (w <= 0) {
			close(fd);
			unlink(path);
			return -1;
		}
		off += (size_t)w;
	}
	close(fd);
	return 0;
}

#endif
