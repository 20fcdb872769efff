/* .npz reading: stored and deflated members, key selection, zip64 fields,
 * and corrupt archives (CRC, truncation, lying sizes, unsupported methods).
 * The fixtures come from tests/data/make_fixtures.py; the deflate bombs
 * are made here with zlib. */
#include "faultline.h"
#include "check.h"
#include "io/io_internal.h"

#include <string.h>
#include <zlib.h>

#define DATA(f) FL_TEST_DATA "/" f

/* a = arange(12).reshape(3, 4) * 0.5 (float64), b = [10, 20, 30] (int64) */
static void check_ab(const char *path)
{
	fl_array *a = NULL, *b = NULL;
	const double *d;
	const int64_t *l, *l2;
	char name[600];

	CHECK_RC(fl_array_open(&a, path, "a"), 0);
	CHECK_RC(fl_array_open(&b, path, "b.npy"), 0);     /* the full member name works too */
	if (!a || !b)
		goto done;
	snprintf(name, sizeof name, "%s:a", path);
	CHECK(!strcmp(fl_array_name(a), name));
	snprintf(name, sizeof name, "%s:b", path);
	CHECK(!strcmp(fl_array_name(b), name));
	CHECK(fl_array_rows(a) == 3 && fl_array_cols(a) == 4 && fl_array_dtype(a) == FL_DT_F64);
	CHECK(fl_array_rows(b) == 3 && fl_array_ndim(b) == 1 && fl_array_dtype(b) == FL_DT_I64);
	CHECK_RC(fl_array_f64(a, &d), 0);
	for (int i = 0; i < 12; i++)
		CHECK(d[i] == i * 0.5);
	CHECK_RC(fl_array_i64(b, &l), 0);
	CHECK_RC(fl_array_i64(b, &l2), 0);
	CHECK(l == l2 && l[0] == 10 && l[1] == 20 && l[2] == 30);
done:
	fl_array_free(a);
	fl_array_free(b);
}

static void test_members(void)
{
	fl_array *a = NULL;
	const float *f;

	check_ab(DATA("stored.npz"));
	check_ab(DATA("deflated.npz"));
	check_ab(DATA("zip64.npz"));

	CHECK_RC(fl_array_open(&a, DATA("deflated.npz"), "a"), 0);
	CHECK(!fl_array_is_mapped(a));                  /* inflated into a buffer */
	fl_array_free(a);

	CHECK_RC(fl_array_open(&a, DATA("single.npz"), NULL), 0);       /* the only member */
	CHECK(a && !strcmp(fl_array_name(a), DATA("single.npz") ":x"));
	CHECK_RC(fl_array_f32(a, &f), 0);
	CHECK(f && f[0] == 0 && f[4] == 4 && fl_array_rows(a) == 5);
	fl_array_free(a);
	/* a .npy ignores the key */
	CHECK_RC(fl_array_open(&a, DATA("ver1.npy"), "whatever"), 0);
	fl_array_free(a);
}

static void expect_fail(const char *path, const char *key, int code, const char *msg)
{
	fl_array *a = NULL;

	CHECK_RC(fl_array_open(&a, path, key), code);
	CHECK(a == NULL);
	CHECK(!strncmp(fl_last_error(), path, strlen(path)));
	CHECK(strchr(fl_last_error(), '\n') == NULL);
	if (!strstr(fl_last_error(), msg)) {
		fprintf(stderr, "%s: message \"%s\" lacks \"%s\"\n", path, fl_last_error(), msg);
		CHECK(0);
	}
}

static void test_errors(void)
{
	fl_array *b = NULL;

	expect_fail(DATA("stored.npz"), NULL, FL_EINVAL, "holds 2 arrays (a, b)");
	expect_fail(DATA("stored.npz"), "zz", FL_EINVAL, "no array 'zz'; available: a, b");
	expect_fail(DATA("deflated.npz"), "", FL_EINVAL, "available: a, b");
	expect_fail(DATA("corrupt_crc.npz"), "a", FL_EFORMAT, "corrupt_crc.npz:a: CRC-32 mismatch");
	CHECK_RC(fl_array_open(&b, DATA("corrupt_crc.npz"), "b"), 0);   /* b is intact */
	fl_array_free(b);
	expect_fail(DATA("truncated.npz"), "a", FL_EFORMAT, "no end of central directory");
	expect_fail(DATA("deflate_corrupt.npz"), "a", FL_EFORMAT, "deflate_corrupt.npz:a: corrupt deflate data");
	expect_fail(DATA("bad_method.npz"), NULL, FL_EUNSUP, "bad_method.npz:x: compression method 12");
	expect_fail(DATA("encrypted.npz"), "x", FL_EUNSUP, "encrypted");
	expect_fail(DATA("inner_bad.npz"), NULL, FL_EUNSUP, "inner_bad.npz:x: 3-D array (2, 2, 2)");
	expect_fail(DATA("empty.npz"), NULL, FL_EFORMAT, "empty archive");
	expect_fail(DATA("size_lie.npz"), NULL, FL_EFORMAT, "claims 3000000000 bytes from");
}

/* ---- deflate bombs ------------------------------------------------------ */

static void put16(unsigned char *p, unsigned v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void put32(unsigned char *p, unsigned long v) { put16(p, v & 0xffff); put16(p + 2, (v >> 16) & 0xffff); }

/* Deflate `n` bytes with a full flush (the output is byte-aligned and
 * refers to nothing before it) into out; returns its length. */
static size_t deflate_flushed(z_stream *zs, const unsigned char *in, size_t n, unsigned char *out,
			      size_t cap, int flush)
{
	zs->next_in = (unsigned char *)(uintptr_t)in;
	zs->avail_in = (uInt)n;
	zs->next_out = out;
	zs->avail_out = (uInt)cap;
	deflate(zs, flush);
	return cap - zs->avail_out;
}

/* An .npz of one member x.npy: a float32 .npy header of `rows` rows, then
 * `zeros` zero bytes (built from one flushed 1 MiB block repeated, so the
 * file is ~1/1000 of what it claims), with `claim` as the uncompressed size
 * in both headers, and the right CRC-32 unless bad_crc. */
static int write_bomb(const char *path, unsigned long rows, uint64_t zeros, uint64_t claim,
		      int bad_crc)
{
	static unsigned char chunk[1 << 20], zblock[1 << 16];
	unsigned char head[128], hblock[512], tail[64], lh[30], cd[46], eocd[22];
	size_t nh, nz, nt, hl;
	uint64_t csize, reps = zeros >> 20;
	uLong crc, zcrc;
	z_stream zs;
	FILE *fp;

	memset(head, ' ', sizeof head);
	memcpy(head, "\x93NUMPY\x01\x00", 8);
	put16(head + 8, 118);
	hl = (size_t)snprintf((char *)head + 10, 118, "{'descr': '<f4', 'fortran_order': False, "
			      "'shape': (%lu,), }", rows);
	head[10 + hl] = ' ';
	head[127] = '\n';
	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	nh = deflate_flushed(&zs, head, sizeof head, hblock, sizeof hblock, Z_FULL_FLUSH);
	nz = deflate_flushed(&zs, chunk, sizeof chunk, zblock, sizeof zblock, Z_FULL_FLUSH);
	nt = deflate_flushed(&zs, NULL, 0, tail, sizeof tail, Z_FINISH);
	deflateEnd(&zs);
	crc = crc32(crc32(0L, Z_NULL, 0), head, sizeof head);
	zcrc = crc32(crc32(0L, Z_NULL, 0), chunk, sizeof chunk);
	for (uint64_t k = 0; k < reps; k++)
		crc = crc32_combine(crc, zcrc, (z_off_t)sizeof chunk);
	csize = nh + reps * nz + nt;
	crc ^= bad_crc ? 1 : 0;

	memset(lh, 0, sizeof lh);
	put32(lh, 0x04034b50);
	put16(lh + 4, 20);
	put16(lh + 8, 8);
	put32(lh + 14, crc);
	put32(lh + 18, (unsigned long)csize);
	put32(lh + 22, (unsigned long)claim);
	put16(lh + 26, 5);
	memset(cd, 0, sizeof cd);
	put32(cd, 0x02014b50);
	put16(cd + 4, 20);
	put16(cd + 6, 20);
	memcpy(cd + 10, lh + 8, 18);     /* method .. uncompressed size */
	put16(cd + 28, 5);
	memset(eocd, 0, sizeof eocd);
	put32(eocd, 0x06054b50);
	put16(eocd + 8, 1);
	put16(eocd + 10, 1);
	put32(eocd + 12, 46 + 5);
	put32(eocd + 16, (unsigned long)(30 + 5 + csize));
	if (!(fp = fopen(path, "wb")))
		return -1;
	fwrite(lh, 1, sizeof lh, fp);
	fwrite("x.npy", 1, 5, fp);
	fwrite(hblock, 1, nh, fp);
	for (uint64_t k = 0; k < reps; k++)
		fwrite(zblock, 1, nz, fp);
	fwrite(tail, 1, nt, fp);
	fwrite(cd, 1, sizeof cd, fp);
	fwrite("x.npy", 1, 5, fp);
	fwrite(eocd, 1, sizeof eocd, fp);
	return fclose(fp) ? -1 : 0;
}

/* A 4 MB member inflating to 4 GB: opening it reads the header alone (the
 * caller sees the shape and can refuse it before any data are inflated);
 * a claimed size beyond what the header describes is refused at once; a
 * small bomb of the same making inflates to the right data. */
static void test_bomb(void)
{
	char path[512];
	fl_array *a = NULL;
	const float *f;
	uint64_t gb4 = 1000000000ULL * 4;

	snprintf(path, sizeof path, "%s/bomb.npz", FL_TEST_TMP);
	CHECK(write_bomb(path, 1000000000UL, gb4, 128 + gb4, 0) == 0);
	CHECK_RC(fl_array_open(&a, path, NULL), 0);
	if (a) {
		CHECK(fl_array_rows(a) == 1000000000 && fl_array_cols(a) == 1);
		CHECK(a->owned == NULL && a->data == NULL && a->pending.src != NULL);
		CHECK(!fl_array_is_mapped(a));
	}
	fl_array_free(a);       /* never inflated */

	/* the header says 10 rows, the archive claims 4 GB: a lie, refused */
	CHECK(write_bomb(path, 10, gb4, 128 + gb4, 0) == 0);
	expect_fail(path, NULL, FL_EFORMAT, "member claims 4000000128 bytes, but its .npy header "
		    "describes 168 (10 x 1 items of 4 bytes): refused before inflating");

	/* the same making at 2 MiB: the data inflate (on the first view) */
	a = NULL;
	CHECK(write_bomb(path, 1 << 19, 2 << 20, 128 + (2 << 20), 0) == 0);
	CHECK_RC(fl_array_open(&a, path, NULL), 0);
	CHECK_RC(fl_array_f32(a, &f), 0);
	CHECK(a && a->owned != NULL && f && f[0] == 0 && f[(1 << 19) - 1] == 0);
	fl_array_free(a);
	/* a wrong CRC: the header opens, the first view reports the damage */
	a = NULL;
	CHECK(write_bomb(path, 1 << 19, 2 << 20, 128 + (2 << 20), 1) == 0);
	CHECK_RC(fl_array_open(&a, path, NULL), 0);
	if (a) {
		CHECK_RC(fl_array_f32(a, &f), FL_EFORMAT);
		CHECK(strstr(fl_last_error(), "bomb.npz:x: CRC-32 mismatch") != NULL);
		CHECK(a->owned == NULL);
	}
	fl_array_free(a);
	remove(path);
}

int main(void)
{
	test_members();
	test_errors();
	test_bomb();
	return check_done();
}
