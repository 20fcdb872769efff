/* .npz reading: stored and deflated members, key selection, zip64 fields,
 * and corrupt archives (CRC, truncation, lying sizes, unsupported methods).
 * The fixtures come from tests/data/make_fixtures.py. */
#include "faultline.h"
#include "check.h"

#include <string.h>

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

int main(void)
{
	test_members();
	test_errors();
	return check_done();
}
