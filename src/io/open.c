/*
 * fl_array_open: map a file and dispatch on its magic, to the .npy header
 * parser (npy.c) or to the .npz member selector (npz.c), which parses the
 * member with the same parser. Kept apart from both so that neither reader
 * calls the other's caller.
 */
#include "io/io_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int set_name(fl_array *a, const char *path)
{
	size_t n = strlen(path) + 1;

	if (!(a->name = fl__malloc(n, "array name")))
		return FL_ENOMEM;
	memcpy(a->name, path, n);
	return 0;
}

int fl_array_open(fl_array **out, const char *path, const char *key)
{
	fl_array *a = NULL;
	struct stat st;
	int fd = -1, rc;
	void *map;

	if (!out)
		return fl__error(FL_EINVAL, "%s: nowhere to open the array (out is NULL)",
				 path ? path : "array");
	*out = NULL;
	if (!path)
		return fl__error(FL_EINVAL, "no array file named (path is NULL)");
	a = fl__calloc(1, sizeof *a, "array");
	if (!a)
		return FL_ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = fl__error(FL_EIO, "%s: cannot open: %s", path, strerror(errno));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = fl__error(FL_EIO, "%s: not a regular file", path);
		goto cleanup;
	}
	if (st.st_size < 6) {
		rc = fl__error(FL_EFORMAT, "%s: not a .npy or .npz file (%lld bytes)",
			       path, (long long)st.st_size);
		goto cleanup;
	}
	if ((uintmax_t)st.st_size > SIZE_MAX) {
		rc = fl__error(FL_EUNSUP, "%s: file too large to map", path);
		goto cleanup;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		rc = fl__error(FL_EIO, "%s: cannot map: %s", path, strerror(errno));
		goto cleanup;
	}
	a->map = map;
	a->map_len = (size_t)st.st_size;
	if (!memcmp(map, "\x93NUMPY", 6)) {
		rc = set_name(a, path);
		if (rc == 0)
			rc = fl_io__npy_parse(a, map, a->map_len);
	} else if (!memcmp(map, "PK", 2)) {
		rc = fl_io__npz_select(a, path, key);
	} else if (((const unsigned char *)map)[0] == 0x80 && ((const unsigned char *)map)[1] <= 5) {
		/* pickle protocols 2-5 start with PROTO: torch.save's legacy format, pickle.dump */
		rc = fl__error(FL_EFORMAT, "%s: not a NumPy file (a Python pickle, such as "
			       "pickle.dump or torch.save write): save the array with numpy.save", path);
	} else {
		rc = fl__error(FL_EFORMAT, "%s: not a .npy or .npz file (bad magic): save the array "
			       "with numpy.save", path);
	}
cleanup:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		fl_array_free(a);
	else
		*out = a;
	return rc;
}
