/*
 * fl_npy_write: a version 1.0, little-endian, C-order .npy, written to a
 * temporary file in the target's directory and renamed over the target
 * once every write, the flush, fsync and fclose have succeeded, so that a
 * failure (a full disk) never leaves a partial file behind.
 */
#include "io/io_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int fl_npy_write(const char *path, const void *data, fl_dtype dtype, int64_t rows, int64_t cols)
{
	const char *descr = dtype == FL_DT_F32 ? "<f4" : dtype == FL_DT_F64 ? "<f8" :
			    dtype == FL_DT_I64 ? "<i8" : dtype == FL_DT_I32 ? "<i4" : NULL;
	size_t item = dtype == FL_DT_F32 || dtype == FL_DT_I32 ? 4 : 8, count, bytes, hlen, n;
	char hdr[256], *tmp = NULL;
	FILE *f = NULL;
	int fd = -1, rc = 0, created = 0;

	if (!path || !descr || rows < 0 || cols < 0)
		return fl__error(FL_EINVAL, "%s: writing an array needs a path, rows, cols >= 0 and "
				 "dtype float32, float64, int64 or int32", path ? path : "(null)");
	if (fl__mul_size((size_t)rows, cols ? (size_t)cols : 1, &count) != 0 ||
	    fl__mul_size(count, item, &bytes) != 0)
		return fl__error(FL_EINVAL, "%s: %lld x %lld is too large to write",
				 path, (long long)rows, (long long)cols);
	if (!data && bytes > 0)
		return fl__error(FL_EINVAL, "%s: no data to write (a NULL array)", path);
	if (cols)
		snprintf(hdr + 10, sizeof hdr - 10, "{'descr': '%s', 'fortran_order': False, "
			 "'shape': (%lld, %lld), }", descr, (long long)rows, (long long)cols);
	else
		snprintf(hdr + 10, sizeof hdr - 10, "{'descr': '%s', 'fortran_order': False, "
			 "'shape': (%lld,), }", descr, (long long)rows);
	/* pad with spaces and '\n' so the data start at a multiple of 64 */
	hlen = strlen(hdr + 10);
	n = (10 + hlen + 1 + 63) / 64 * 64;
	memset(hdr + 10 + hlen, ' ', n - 11 - hlen);
	hdr[n - 1] = '\n';
	memcpy(hdr, "\x93NUMPY\x01\x00", 8);
	hdr[8] = (char)((n - 10) & 0xff);
	hdr[9] = (char)((n - 10) >> 8);

	tmp = fl__malloc(strlen(path) + 16, "temporary file name");
	if (!tmp)
		return FL_ENOMEM;
	fd = fl__create_temp(tmp, strlen(path) + 16, path);
	created = fd >= 0;
	if (fd < 0 || !(f = fdopen(fd, "wb"))) {
		rc = fl__error(FL_EIO, "%s: cannot create %s: %s", path, tmp, strerror(errno));
		goto cleanup;
	}
	fd = -1;
	if (fwrite(hdr, 1, n, f) != n)
		goto io_error;
	if (fl_io__host_little()) {
		if (bytes > 0 && fwrite(data, 1, bytes, f) != bytes)
			goto io_error;
	} else {
		const unsigned char *src = data;
		unsigned char chunk[4096];

		for (size_t off = 0; off < bytes; off += sizeof chunk) {
			size_t m = bytes - off < sizeof chunk ? bytes - off : sizeof chunk;

			for (size_t i = 0; i < m; i++)
				chunk[i] = src[off + (i - i % item) + (item - 1 - i % item)];
			if (fwrite(chunk, 1, m, f) != m)
				goto io_error;
		}
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		goto io_error;
	rc = fclose(f);
	f = NULL;
	if (rc != 0)
		goto io_error;
	if (rename(tmp, path) != 0) {
		rc = fl__error(FL_EIO, "%s: cannot rename %s into place: %s", path, tmp, strerror(errno));
		goto cleanup;
	}
	goto cleanup;
io_error:
	rc = fl__error(FL_EIO, "%s: write failed: %s", path, strerror(errno));
cleanup:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (rc != 0 && created)
		unlink(tmp);
	free(tmp);
	return rc;
}
