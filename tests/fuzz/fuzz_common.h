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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Write the input to a temporary file; its path goes to `path`. */
static int fuzz_temp_file(char *path, size_t n, const uint8_t *data, size_t size)
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
