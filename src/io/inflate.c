/*
 * Raw deflate (RFC 1951) into a caller's buffer and CRC-32, with zlib, for
 * the .npz reader (npz.c) and for the views (array.c), which inflate a
 * member's data when they are first asked for (fl_io__array_inflate). A
 * file of its own so that array.c need not call npz.c, which calls npy.c,
 * which calls array.c.
 */
#include "io/io_internal.h"

#include <limits.h>
#include <string.h>
#include <sys/mman.h>

#define ZLIB_CONST
#include <zlib.h>

int fl_io__inflate(unsigned char *dst, size_t cap, const unsigned char *src, uint64_t csize,
		   size_t *got, const char **msg)
{
	size_t in_left = (size_t)csize, out_left = cap;
	z_stream zs;
	int zr;

	memset(&zs, 0, sizeof zs);
	*got = 0;
	*msg = "cannot initialise zlib";
	if (inflateInit2(&zs, -15) != Z_OK)
		return Z_MEM_ERROR;
	zs.next_out = dst;
	for (;;) {
		if (zs.avail_in == 0 && in_left > 0) {
			zs.next_in = src;
			zs.avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
			src += zs.avail_in;
			in_left -= zs.avail_in;
		}
		if (zs.avail_out == 0 && out_left > 0) {
			zs.avail_out = out_left > UINT_MAX ? UINT_MAX : (uInt)out_left;
			out_left -= zs.avail_out;
		}
		zr = inflate(&zs, Z_NO_FLUSH);
		if (zr != Z_OK)
			break;
	}
	*got = cap - out_left - zs.avail_out;
	*msg = zr == Z_DATA_ERROR && zs.msg ? zs.msg : zr == Z_STREAM_END ?
	       "size differs from the directory" : "truncated stream";
	inflateEnd(&zs);
	return zr;
}

int fl_io__inflate_error(const fl_array *a, int zr, const char *msg)
{
	if (zr == Z_MEM_ERROR)
		return fl__error(FL_ENOMEM, "%s: out of memory inflating", a->name);
	return fl__error(FL_EFORMAT, "%s: corrupt deflate data (%s)", a->name, msg);
}

uint32_t fl_io__crc32(const unsigned char *p, size_t n)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	for (; n > UINT_MAX; n -= UINT_MAX, p += UINT_MAX)
		crc = crc32(crc, p, UINT_MAX);
	return (uint32_t)crc32(crc, p, (uInt)n);
}

int fl_io__array_inflate(fl_array *a)
{
	const fl_npz_pending *z = &a->pending;
	unsigned char *dst;
	const char *msg;
	size_t got;
	int zr;

	if (!z->src)
		return 0;
	/* one spare byte: a stream that overruns the claimed size fills it */
	if (!(dst = fl__malloc((size_t)z->usize + 1, a->name)))
		return FL_ENOMEM;
	zr = fl_io__inflate(dst, (size_t)z->usize + 1, z->src, z->csize, &got, &msg);
	if (zr != Z_STREAM_END || got != z->usize) {
		free(dst);
		return fl_io__inflate_error(a, zr, msg);
	}
	if (fl_io__crc32(dst, (size_t)z->usize) != z->crc) {
		free(dst);
		return fl__error(FL_EFORMAT, "%s: CRC-32 mismatch: the archive is corrupt", a->name);
	}
	a->owned = dst;
	a->data = dst + z->data_off;
	memset(&a->pending, 0, sizeof a->pending);
	munmap(a->map, a->map_len);     /* nothing points into it now */
	a->map = NULL;
	a->map_len = 0;
	return 0;
}
