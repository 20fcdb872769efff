/*
 * .npz archives: a zip file (PKWARE APPNOTE 6.3) whose members are .npy
 * images, stored (method 0) or raw-deflated (method 8). The archive is
 * mapped; we trust only the central directory (local headers may carry
 * zeros when a data descriptor follows) and use the local header just to
 * find where the data start (and check the sizes it states, when it does).
 * Stored members are parsed in place, so an aligned native-order member
 * stays zero-copy. Of a deflated member only the .npy header is inflated
 * when it is opened; the size the directory claims must be exactly that
 * header plus the data its shape describes (and no more than deflate can
 * produce from the compressed bytes). The data are inflated on the first
 * view (fl_io__array_inflate, inflate.c), so a caller that checks the
 * shape first never inflates an array it would refuse: a 4 MB member
 * claiming 4 GiB of rows costs a header's worth of work.
 */
#include "io/io_internal.h"

#include <stdio.h>
#include <string.h>

#include <zlib.h>

/* Deflate cannot expand beyond ~1032:1 (258-byte matches in 2 bits). */
#define MAX_DEFLATE_RATIO 1032
/* The most of a deflated member inflated to read its .npy header: numpy
 * writes headers of a few hundred bytes (and reads none above 10,000 by
 * default). */
#define HEADER_MAX ((size_t)1 << 20)

typedef struct zentry {
	const char *name;
	size_t name_len, key_len;       /* key: the name without ".npy" */
	unsigned flags, method;
	uint32_t crc;
	uint64_t csize, usize, off;
} zentry;

static uint32_t rd16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const unsigned char *p) { return rd16(p) | rd16(p + 2) << 16; }
static uint64_t rd64(const unsigned char *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* Locate the central directory via the (zip64) end-of-central-directory. */
static int find_directory(const unsigned char *m, size_t len, const char *path,
			  uint64_t *off, uint64_t *size, uint64_t *count)
{
	size_t i, stop = len > 22 + 65535 ? len - 22 - 65535 : 0;

	if (len < 22)
		goto missing;
	for (i = len - 22;; i--) {
		if (rd32(m + i) == 0x06054b50 && rd16(m + i + 20) <= len - 22 - i)
			break;
		if (i == stop)
			goto missing;
	}
	*count = rd16(m + i + 10);
	*size = rd32(m + i + 12);
	*off = rd32(m + i + 16);
	if (*count == 0xFFFF || *size == 0xFFFFFFFF || *off == 0xFFFFFFFF) {
		uint64_t z;

		if (i < 20 || rd32(m + i - 20) != 0x07064b50)
			return fl__error(FL_EFORMAT, "%s: zip64 archive without its end locator", path);
		z = rd64(m + i - 20 + 8);
		if (z > len || len - z < 56 || rd32(m + z) != 0x06064b50)
			return fl__error(FL_EFORMAT, "%s: zip64 end record missing or corrupt", path);
		*count = rd64(m + z + 32);
		*size = rd64(m + z + 40);
		*off = rd64(m + z + 48);
	}
	if (*off > len || *size > len - *off)
		return fl__error(FL_EFORMAT, "%s: central directory lies past the end of the file "
				 "(truncated archive?)", path);
	return 0;
missing:
	return fl__error(FL_EFORMAT, "%s: not a zip archive: no end of central directory "
			 "(truncated?)", path);
}

/* Parse the central directory entry at *pp, advance *pp. */
static int read_entry(const unsigned char **pp, const unsigned char *end, const char *path,
		      zentry *z)
{
	const unsigned char *p = *pp, *x, *xe;
	size_t nlen, xlen, clen;
	int need_u, need_c, need_o;

	if (end - p < 46 || rd32(p) != 0x02014b50)
		return fl__error(FL_EFORMAT, "%s: corrupt zip central directory", path);
	nlen = rd16(p + 28);
	xlen = rd16(p + 30);
	clen = rd16(p + 32);
	if ((size_t)(end - p) - 46 < nlen + xlen + clen)
		return fl__error(FL_EFORMAT, "%s: corrupt zip central directory", path);
	z->flags = rd16(p + 8);
	z->method = rd16(p + 10);
	z->crc = rd32(p + 16);
	z->csize = rd32(p + 20);
	z->usize = rd32(p + 24);
	z->off = rd32(p + 42);
	z->name = (const char *)p + 46;
	z->name_len = nlen;
	z->key_len = nlen >= 4 && !memcmp(z->name + nlen - 4, ".npy", 4) ? nlen - 4 : nlen;
	/* zip64 extra field (id 1): 8-byte values, present only for the
	 * fields saturated at 0xFFFFFFFF, in the order usize, csize, offset */
	need_u = z->usize == 0xFFFFFFFF;
	need_c = z->csize == 0xFFFFFFFF;
	need_o = z->off == 0xFFFFFFFF;
	for (x = p + 46 + nlen, xe = x + xlen; xe - x >= 4; x += 4 + rd16(x + 2)) {
		const unsigned char *v = x + 4;
		size_t sz = rd16(x + 2);

		if (sz > (size_t)(xe - v))
			break;
		if (rd16(x) != 1)
			continue;
		if (need_u && sz >= 8)
			z->usize = rd64(v), v += 8, sz -= 8, need_u = 0;
		if (need_c && sz >= 8)
			z->csize = rd64(v), v += 8, sz -= 8, need_c = 0;
		if (need_o && sz >= 8)
			z->off = rd64(v), need_o = 0;
	}
	if (need_u || need_c || need_o)
		return fl__error(FL_EFORMAT, "%s: member '%.*s' lacks its zip64 sizes", path,
				 (int)(nlen > 60 ? 60 : nlen), z->name);
	*pp = p + 46 + nlen + xlen + clen;
	return 0;
}

/* Append a member's key to a comma-separated list for messages. */
static void list_key(char *list, size_t n, const zentry *z)
{
	size_t k = strlen(list);

	if (k > 0 && k + 2 < n)
		list[k++] = ',', list[k++] = ' ';
	for (size_t i = 0; i < z->key_len && k + 1 < n; i++)
		list[k++] = (unsigned char)z->name[i] < 0x20 ? '?' : z->name[i];
	list[k] = '\0';
	if (k + 1 >= n)
		memcpy(list + n - 4, "...", 4);
}

/* Open a deflated member: inflate and parse its .npy header only, check
 * the claimed size against it, and leave the data pending. */
static int open_deflated(fl_array *a, const unsigned char *src, const zentry *z)
{
	size_t want = z->usize < HEADER_MAX ? (size_t)z->usize : HEADER_MAX, got, pre = 0, hlen = 0;
	size_t bytes;
	unsigned char *head;
	const char *msg;
	int zr, rc;

	/* csize is bounded by the file size, so the product cannot overflow */
	if (z->usize > z->csize * MAX_DEFLATE_RATIO + 1024 || z->usize >= SIZE_MAX)
		return fl__error(FL_EFORMAT, "%s: member claims %llu bytes from %llu compressed, "
				 "more than deflate can produce", a->name,
				 (unsigned long long)z->usize, (unsigned long long)z->csize);
	if (!(head = fl__malloc(want ? want : 1, a->name)))
		return FL_ENOMEM;
	zr = fl_io__inflate(head, want, src, z->csize, &got, &msg);
	if (got < want || zr == Z_MEM_ERROR) {
		free(head);
		return fl_io__inflate_error(a, zr, msg);
	}
	/* the header's length (fl_io__npy_parse checks the rest) */
	if (got >= 10 && !memcmp(head, "\x93NUMPY", 6) && head[6] == 1)
		pre = 10, hlen = (size_t)head[8] | (size_t)head[9] << 8;
	else if (got >= 12 && !memcmp(head, "\x93NUMPY", 6) && (head[6] == 2 || head[6] == 3))
		pre = 12, hlen = (size_t)head[8] | (size_t)head[9] << 8 | (size_t)head[10] << 16 |
				 (size_t)head[11] << 24;
	if (pre && hlen > got - pre && got < z->usize) {
		free(head);
		return fl__error(FL_EUNSUP, "%s: .npy header of %zu bytes (more than %zu are not "
				 "read from an archive)", a->name, hlen, HEADER_MAX);
	}
	/* the header lies within head (or the image is shorter than a header,
	 * and the parser says so): it reads nothing past the header, so the
	 * prefix stands for the whole image of usize bytes */
	rc = fl_io__npy_parse(a, head, pre && hlen <= got - pre ? (size_t)z->usize : got);
	free(head);
	a->data = NULL;
	if (rc != 0)
		return rc;
	bytes = (size_t)a->rows * (size_t)a->cols * a->itemsize; /* checked by the parser */
	if (pre + hlen + bytes != z->usize)
		return fl__error(FL_EFORMAT, "%s: member claims %llu bytes, but its .npy header "
				 "describes %zu (%lld x %lld items of %zu bytes): refused before "
				 "inflating", a->name, (unsigned long long)z->usize, pre + hlen + bytes,
				 (long long)a->rows, (long long)a->cols, a->itemsize);
	a->pending = (fl_npz_pending){src, z->csize, z->usize, z->crc, pre + hlen};
	return 0;
}

int fl_io__npz_select(fl_array *a, const char *path, const char *key)
{
	const unsigned char *m = a->map, *p, *end, *data;
	uint64_t cd_off = 0, cd_size = 0, count = 0, start, n = 0, found = 0, npy = 0;
	size_t klen = key ? strlen(key) : 0;
	zentry z, pick;
	char list[200] = "";
	int rc;

	memset(&pick, 0, sizeof pick);
	rc = find_directory(m, a->map_len, path, &cd_off, &cd_size, &count);
	if (rc != 0)
		return rc;
	p = m + cd_off;
	end = p + cd_size;
	for (uint64_t i = 0; i < count; i++) {
		if ((rc = read_entry(&p, end, path, &z)) != 0)
			return rc;
		if (z.name_len > 0 && z.name[z.name_len - 1] == '/')
			continue;                       /* a directory */
		n++;
		npy += z.key_len < z.name_len;
		list_key(list, sizeof list, &z);
		/* duplicates: the last wins, as with numpy.load */
		if (!key || (z.key_len == klen && !memcmp(z.name, key, klen)) ||
		    (z.name_len == klen && !memcmp(z.name, key, klen)))
			pick = z, found++;
	}
	if (n == 0)
		return fl__error(FL_EFORMAT, "%s: empty archive (no arrays)", path);
	/* a zip of something else: torch.save writes one (data.pkl, data/0, ...) */
	if (npy == 0)
		return fl__error(FL_EFORMAT, "%s: not a NumPy file (a zip without .npy members, such "
				 "as a PyTorch .pt; it holds %s): save the array with numpy.save",
				 path, list);
	if (!key && n > 1)
		return fl__error(FL_EINVAL, "%s: holds %llu arrays (%s); choose one by name",
				 path, (unsigned long long)n, list);
	if (!found)
		return fl__error(FL_EINVAL, "%s: no array '%s'; available: %s", path, key, list);

	/* a->name = "path:key", control characters in the key made visible */
	free(a->name);
	if (!(a->name = fl__malloc(strlen(path) + pick.key_len + 2, "array name")))
		return FL_ENOMEM;
	snprintf(a->name, strlen(path) + 2, "%s:", path);
	for (size_t i = 0, k = strlen(path) + 1; i <= pick.key_len; i++, k++)
		a->name[k] = i == pick.key_len ? '\0' :
			     (unsigned char)pick.name[i] < 0x20 ? '?' : pick.name[i];

	if (pick.flags & 1)
		return fl__error(FL_EUNSUP, "%s: encrypted archive members are not supported", a->name);
	if (pick.method != 0 && pick.method != 8)
		return fl__error(FL_EUNSUP, "%s: compression method %u is not supported (only "
				 "stored and deflate)", a->name, pick.method);
	if (pick.off > a->map_len || a->map_len - pick.off < 30 || rd32(m + pick.off) != 0x04034b50)
		return fl__error(FL_EFORMAT, "%s: bad local header offset (corrupt archive)", a->name);
	/* without a data descriptor (flag 3) the local header states the sizes
	 * too (0xFFFFFFFF: in its zip64 field): they must be the directory's */
	if (!(rd16(m + pick.off + 6) & 8) &&
	    ((rd32(m + pick.off + 18) != 0xFFFFFFFF && rd32(m + pick.off + 18) != pick.csize) ||
	     (rd32(m + pick.off + 22) != 0xFFFFFFFF && rd32(m + pick.off + 22) != pick.usize)))
		return fl__error(FL_EFORMAT, "%s: local header sizes (%lu compressed, %lu) differ from "
				 "the central directory's (%llu, %llu): corrupt archive", a->name,
				 (unsigned long)rd32(m + pick.off + 18), (unsigned long)rd32(m + pick.off + 22),
				 (unsigned long long)pick.csize, (unsigned long long)pick.usize);
	start = pick.off + 30 + rd16(m + pick.off + 26) + rd16(m + pick.off + 28);
	if (start > a->map_len || pick.csize > a->map_len - start)
		return fl__error(FL_EFORMAT, "%s: member data run past the end of the file "
				 "(truncated archive)", a->name);
	if (pick.method == 0 && pick.csize != pick.usize)
		return fl__error(FL_EFORMAT, "%s: stored member sizes disagree (%llu vs %llu)",
				 a->name, (unsigned long long)pick.csize, (unsigned long long)pick.usize);
	data = m + start;
	if (pick.method == 8)
		return open_deflated(a, data, &pick);
	if (fl_io__crc32(data, (size_t)pick.usize) != pick.crc)
		return fl__error(FL_EFORMAT, "%s: CRC-32 mismatch: the archive is corrupt", a->name);
	return fl_io__npy_parse(a, data, (size_t)pick.usize);
}
