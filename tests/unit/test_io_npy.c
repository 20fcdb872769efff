/* .npy reading (every dtype, byte order, version, Fortran order, zero-copy
 * and cached views, malformed files) and fl_npy_write round trips. The
 * fixtures come from tests/data/make_fixtures.py. */
#include "faultline.h"
#include "check.h"

#include <dirent.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#define DATA(f) FL_TEST_DATA "/" f

static const struct { const char *name; fl_dtype t; } dtypes[] = {
	{"bool", FL_DT_BOOL}, {"int8", FL_DT_I8}, {"int16", FL_DT_I16}, {"int32", FL_DT_I32},
	{"int64", FL_DT_I64}, {"uint8", FL_DT_U8}, {"uint16", FL_DT_U16}, {"uint32", FL_DT_U32},
	{"uint64", FL_DT_U64}, {"float16", FL_DT_F16}, {"float32", FL_DT_F32}, {"float64", FL_DT_F64},
};

/* Element i of dt_<name>_*.npy (make_fixtures.py: expected_values). */
typedef struct expect { int kind; int64_t i; uint64_t u; double f; } expect;

static expect expected(fl_dtype t, int i)
{
	static const int64_t smin[] = {INT8_MIN, INT16_MIN, INT32_MIN, INT64_MIN};
	static const int64_t smax[] = {INT8_MAX, INT16_MAX, INT32_MAX, INT64_MAX};
	static const uint64_t umax[] = {UINT8_MAX, UINT16_MAX, UINT32_MAX, UINT64_MAX};
	expect e = {0, 0, 0, 0};

	if (t == FL_DT_BOOL) {
		e.i = i % 3 == 0;
	} else if (t >= FL_DT_I8 && t <= FL_DT_I64) {
		e.i = i == 0 ? smin[t - FL_DT_I8] : i == 1 ? smax[t - FL_DT_I8] : i * 7 - 20;
	} else if (t >= FL_DT_U8 && t <= FL_DT_U64) {
		e.kind = 1;
		e.u = i == 1 ? umax[t - FL_DT_U8] : (uint64_t)i * 7;
	} else {
		e.kind = 2;
		e.f = (i - 5.5) * 0.25;
	}
	return e;
}

static void test_dtypes(void)
{
	char path[512];

	for (size_t d = 0; d < sizeof dtypes / sizeof dtypes[0]; d++)
		for (int be = 0; be < 2; be++) {
			fl_dtype t = dtypes[d].t;
			fl_array *a = NULL;
			const double *f64, *f64b;
			const float *f32;
			const int64_t *i64;
			int rc;

			snprintf(path, sizeof path, DATA("dt_%s_%s.npy"), dtypes[d].name, be ? "be" : "le");
			CHECK_RC(fl_array_open(&a, path, NULL), 0);
			if (!a)
				continue;
			CHECK_EQ_INT(fl_array_dtype(a), t);
			CHECK(!strcmp(fl_dtype_name(fl_array_dtype(a)), dtypes[d].name));
			CHECK_EQ_INT(fl_array_rows(a), 3);
			CHECK_EQ_INT(fl_array_cols(a), 4);
			CHECK_EQ_INT(fl_array_ndim(a), 2);
			CHECK(!strcmp(fl_array_name(a), path));
			/* host order is little-endian on every machine we test on */
			CHECK_EQ_INT(fl_array_is_mapped(a), !be || t == FL_DT_BOOL || t == FL_DT_I8 ||
				     t == FL_DT_U8);
			CHECK_RC(fl_array_f64(a, &f64), 0);
			CHECK_RC(fl_array_f32(a, &f32), 0);
			rc = fl_array_i64(a, &i64);
			for (int i = 0; i < 12; i++) {
				expect e = expected(t, i);
				double want = e.kind == 0 ? (double)e.i : e.kind == 1 ? (double)e.u : e.f;
				float wantf = e.kind == 0 ? (float)e.i : e.kind == 1 ? (float)e.u : (float)e.f;

				CHECK(f64[i] == want);
				CHECK(f32[i] == wantf);
				if (rc == 0)
					CHECK_EQ_INT(i64[i], e.kind == 0 ? e.i : (int64_t)e.u);
			}
			if (t == FL_DT_U64 || t >= FL_DT_F16) {
				/* uint64 max sits at row 0, column 1; floats fail at -1.375 */
				CHECK_EQ_INT(rc, FL_ERANGE);
				CHECK(strstr(fl_last_error(), t == FL_DT_U64 ? "row 0, column 1"
								     : "row 0, column 0") != NULL);
				CHECK(strstr(fl_last_error(), path) != NULL);
			} else {
				CHECK_EQ_INT(rc, 0);
			}
			/* a second request returns the same buffer (mapped or cached) */
			CHECK_RC(fl_array_f64(a, &f64b), 0);
			CHECK(f64b == f64);
			fl_array_free(a);
		}
}

static void test_zero_copy(void)
{
	fl_array *a = NULL, *b = NULL;
	const float *p1, *p2;
	const double *d1, *d2;
	const int64_t *i1, *i2;

	CHECK_RC(fl_array_open(&a, DATA("dt_float32_le.npy"), NULL), 0);
	CHECK_RC(fl_array_open(&b, DATA("dt_float32_le.npy"), NULL), 0);
	if (!a || !b)
		return;
	CHECK(fl_array_is_mapped(a));
	CHECK_RC(fl_array_f32(a, &p1), 0);
	CHECK_RC(fl_array_f32(a, &p2), 0);
	CHECK(p1 == p2);
	CHECK(((uintptr_t)p1 & 63) == 0);               /* data start 64-aligned in the page */
	CHECK_RC(fl_array_f32(b, &p2), 0);
	CHECK(p1 != p2);                                /* two maps, same bytes */
	CHECK(!memcmp(p1, p2, 12 * sizeof *p1));
	CHECK_RC(fl_array_f64(a, &d1), 0);              /* a converted, cached view */
	CHECK_RC(fl_array_f64(a, &d2), 0);
	CHECK(d1 == d2 && (const void *)d1 != (const void *)p1);
	fl_array_free(a);
	fl_array_free(b);

	CHECK_RC(fl_array_open(&a, DATA("dt_int64_le.npy"), NULL), 0);
	CHECK_RC(fl_array_i64(a, &i1), 0);
	CHECK_RC(fl_array_i64(a, &i2), 0);
	CHECK(fl_array_is_mapped(a) && i1 == i2 && i1[0] == INT64_MIN);
	fl_array_free(a);

	CHECK_RC(fl_array_open(&a, DATA("dt_float64_be.npy"), NULL), 0);
	CHECK(!fl_array_is_mapped(a));
	CHECK_RC(fl_array_f64(a, &d1), 0);
	CHECK_RC(fl_array_f64(a, &d2), 0);
	CHECK(d1 == d2 && d1[11] == 1.375);
	fl_array_free(a);
}

static void test_float16(void)
{
	fl_array *a = NULL;
	const double *d;
	const float *f;

	CHECK_RC(fl_array_open(&a, DATA("f16_special.npy"), NULL), 0);
	if (!a)
		return;
	CHECK_EQ_INT(fl_array_ndim(a), 1);
	CHECK_EQ_INT(fl_array_rows(a), 12);
	CHECK_EQ_INT(fl_array_cols(a), 1);
	CHECK_RC(fl_array_f64(a, &d), 0);
	CHECK_RC(fl_array_f32(a, &f), 0);
	CHECK(d[0] == 0 && !signbit(d[0]));
	CHECK(d[1] == 0 && signbit(d[1]));
	CHECK(d[2] == 1.0);
	CHECK(d[3] == 65504.0);
	CHECK(d[4] == ldexp(1, -14));                   /* smallest normal */
	CHECK(d[5] == ldexp(1, -24));                   /* smallest subnormal */
	CHECK(isinf(d[6]) && d[6] > 0);
	CHECK(isinf(d[7]) && d[7] < 0);
	CHECK(isnan(d[8]) && isnan(f[8]));
	CHECK(d[9] == 0.333251953125);                  /* 1/3 rounded to half */
	CHECK(d[10] == -3 * ldexp(1, -24));
	CHECK(d[11] == 0.5);
	for (int i = 0; i < 12; i++)
		CHECK(isnan(d[i]) || (double)f[i] == d[i]);
	fl_array_free(a);
}

static void check_f64(const char *path, int64_t rows, int64_t cols, int ndim, const double *want)
{
	fl_array *a = NULL;
	const double *d;

	CHECK_RC(fl_array_open(&a, path, NULL), 0);
	if (!a)
		return;
	CHECK_EQ_INT(fl_array_rows(a), rows);
	CHECK_EQ_INT(fl_array_cols(a), cols);
	CHECK_EQ_INT(fl_array_ndim(a), ndim);
	CHECK_RC(fl_array_f64(a, &d), 0);
	for (int64_t i = 0; i < rows * cols; i++)
		CHECK_NEAR(d[i], want[i], 0);
	fl_array_free(a);
}

static void test_layouts(void)
{
	const double ver[] = {-2, -0.5, 1, 2.5, 4, 5.5}, four[] = {1, 2, 3, 4};
	const double crafted_i[] = {7, -8, 9, -10}, vec[] = {1.5, 2.5, 3.5}, scalar[] = {42.5};
	double fo[12], fi[12];
	fl_array *a = NULL;
	const int64_t *i64;
	const float *f;

	for (int i = 0; i < 12; i++) {
		fo[i] = i + 0.5;                        /* C order of the 3x4 array */
		fi[i] = i * 3 - 7;
	}
	check_f64(DATA("ver1.npy"), 6, 1, 1, ver);
	check_f64(DATA("ver2.npy"), 6, 1, 1, ver);
	check_f64(DATA("ver3.npy"), 6, 1, 1, ver);
	check_f64(DATA("fortran_f8.npy"), 3, 4, 2, fo);
	check_f64(DATA("fortran_i4_be.npy"), 3, 4, 2, fi);
	check_f64(DATA("vec_f4.npy"), 3, 1, 1, vec);
	check_f64(DATA("scalar_f8.npy"), 1, 1, 1, scalar);
	check_f64(DATA("empty_f4.npy"), 0, 1, 1, NULL);
	check_f64(DATA("empty2d_f8.npy"), 0, 3, 2, NULL);
	check_f64(DATA("crafted_order.npy"), 2, 2, 2, four);
	check_f64(DATA("crafted_dquote.npy"), 4, 1, 1, crafted_i);
	check_f64(DATA("crafted_native.npy"), 4, 1, 1, four);
	check_f64(DATA("crafted_v2.npy"), 4, 1, 1, four);
	check_f64(DATA("misaligned.npy"), 4, 1, 1, four);

	CHECK_RC(fl_array_open(&a, DATA("ver3.npy"), NULL), 0);
	CHECK(fl_array_is_mapped(a));
	fl_array_free(a);
	CHECK_RC(fl_array_open(&a, DATA("misaligned.npy"), NULL), 0);
	CHECK(!fl_array_is_mapped(a));                  /* data at byte 83: copied */
	fl_array_free(a);
	CHECK_RC(fl_array_open(&a, DATA("fortran_f8.npy"), NULL), 0);
	CHECK(!fl_array_is_mapped(a));
	CHECK_RC(fl_array_i64(a, &i64), FL_ERANGE);     /* 0.5 is not an integer */
	CHECK(strstr(fl_last_error(), "row 0, column 0: value 0.5") != NULL);
	fl_array_free(a);
	CHECK_RC(fl_array_open(&a, DATA("fortran_i4_be.npy"), NULL), 0);
	CHECK_RC(fl_array_i64(a, &i64), 0);
	CHECK_RC(fl_array_f32(a, &f), 0);
	CHECK(i64 && i64[1] == -4 && i64[4] == 5 && i64[11] == 26 && f[4] == 5.0f);
	fl_array_free(a);
	/* zero elements but 2^62 rows: no view may loop over the rows */
	CHECK_RC(fl_array_open(&a, DATA("empty_huge_rows.npy"), NULL), 0);
	CHECK(fl_array_rows(a) == INT64_C(4611686018427387904) && fl_array_cols(a) == 0);
	CHECK_RC(fl_array_f32(a, &f), 0);
	CHECK_RC(fl_array_i64(a, &i64), 0);
	fl_array_free(a);
	CHECK_RC(fl_array_open(&a, DATA("big_f8.npy"), NULL), 0);
	CHECK_RC(fl_array_i64(a, &i64), FL_ERANGE);     /* 1e19 > INT64_MAX */
	CHECK(strstr(fl_last_error(), "big_f8.npy: row 1: value 1e+19") != NULL);
	fl_array_free(a);
}

static void test_malformed(void)
{
	static const struct { const char *file; int code; const char *msg; } bad[] = {
		{"bad_magic.npy", FL_EFORMAT, "bad magic"},
		{"bad_version.npy", FL_EUNSUP, "version 4.0"},
		{"too_short.npy", FL_EFORMAT, "(3 bytes)"},
		{"empty.npy", FL_EFORMAT, "(0 bytes)"},
		{"trunc_header.npy", FL_EFORMAT, "truncated header"},
		{"hlen_past_end.npy", FL_EFORMAT, "truncated header"},
		{"trunc_data.npy", FL_EFORMAT, "trunc_data.npy: truncated: shape (10000, 10) float32 "
					       "needs 400000 bytes, file has 1234 after the header"},
		{"shape_too_big.npy", FL_EFORMAT, "shape (1000000, 1000) float64 needs 8000000000 bytes"},
		{"huge_shape.npy", FL_EFORMAT, "overflows"},
		{"huge_dim.npy", FL_EFORMAT, "2^63"},
		{"neg_dim.npy", FL_EFORMAT, "bad value for 'shape'"},
		{"dtype_c8.npy", FL_EUNSUP, "'<c8' (complex)"},
		{"dtype_O.npy", FL_EUNSUP, "'|O' (object"},
		{"dtype_struct.npy", FL_EUNSUP, "structured dtype"},
		{"dtype_garbage.npy", FL_EFORMAT, "bad dtype '<x4'"},
		{"three_d.npy", FL_EUNSUP, "3-D array (2, 3, 4)"},
		{"garbage_header.npy", FL_EFORMAT, "not a Python dict"},
		{"missing_comma.npy", FL_EFORMAT, "expected ',' or '}' after 'descr'"},
		{"missing_key.npy", FL_EFORMAT, "lacks 'shape'"},
		{"dup_key.npy", FL_EFORMAT, "duplicate key 'descr'"},
		{"unknown_key.npy", FL_EFORMAT, "unexpected key 'x'"},
		{"trailing_junk.npy", FL_EFORMAT, "junk after"},
		{"no_such_file.npy", FL_EIO, "cannot open"},
		{"", FL_EIO, "not a regular file"},     /* the directory itself */
	};
	char path[512];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fl_array *a = (fl_array *)&path;        /* must be reset to NULL */
		const char *msg;

		snprintf(path, sizeof path, "%s/%s", FL_TEST_DATA, bad[i].file);
		CHECK_RC(fl_array_open(&a, path, NULL), bad[i].code);
		msg = fl_last_error();
		CHECK(a == NULL);
		CHECK(!strncmp(msg, path, strlen(path)));       /* names the file first */
		CHECK(strchr(msg, '\n') == NULL);
		if (!strstr(msg, bad[i].msg)) {
			fprintf(stderr, "%s: message \"%s\" lacks \"%s\"\n", bad[i].file, msg, bad[i].msg);
			CHECK(0);
		}
	}
	CHECK_RC(fl_array_open(NULL, DATA("ver1.npy"), NULL), FL_EINVAL);
}

static int count_temps(const char *prefix)
{
	DIR *d = opendir(FL_TEST_TMP);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix)) && strstr(e->d_name, ".tmp.");
	if (d)
		closedir(d);
	return n;
}

static void test_write(void)
{
	const char *path = FL_TEST_TMP "/io_rt.npy";
	float f[6] = {1.5f, -2, 3.25f, 1e30f, -0.0f, 7};
	double d[3] = {0.1, -1e-300, 2.5};
	int64_t l[4] = {INT64_MIN, -1, 0, INT64_MAX};
	int32_t w[2] = {-5, 5};
	fl_array *a = NULL;
	const float *fp;
	const double *dp;
	const int64_t *lp;
	struct rlimit old, small;

	remove(path);
	CHECK_RC(fl_npy_write(path, f, FL_DT_F32, 2, 3), 0);
	CHECK_RC(fl_array_open(&a, path, NULL), 0);
	CHECK(fl_array_ndim(a) == 2 && fl_array_rows(a) == 2 && fl_array_cols(a) == 3);
	CHECK(fl_array_is_mapped(a));
	CHECK_RC(fl_array_f32(a, &fp), 0);
	CHECK(fp && !memcmp(fp, f, sizeof f));
	fl_array_free(a);

	CHECK_RC(fl_npy_write(path, d, FL_DT_F64, 3, 0), 0);    /* overwrite, 1-D */
	CHECK_RC(fl_array_open(&a, path, NULL), 0);
	CHECK(fl_array_ndim(a) == 1 && fl_array_rows(a) == 3 && fl_array_dtype(a) == FL_DT_F64);
	CHECK_RC(fl_array_f64(a, &dp), 0);
	CHECK(dp && !memcmp(dp, d, sizeof d));
	fl_array_free(a);

	CHECK_RC(fl_npy_write(path, l, FL_DT_I64, 4, 1), 0);
	CHECK_RC(fl_array_open(&a, path, NULL), 0);
	CHECK_RC(fl_array_i64(a, &lp), 0);
	CHECK(lp && !memcmp(lp, l, sizeof l) && fl_array_cols(a) == 1 && fl_array_ndim(a) == 2);
	fl_array_free(a);

	CHECK_RC(fl_npy_write(path, w, FL_DT_I32, 2, 0), 0);
	CHECK_RC(fl_array_open(&a, path, NULL), 0);
	CHECK_RC(fl_array_i64(a, &lp), 0);
	CHECK(fl_array_dtype(a) == FL_DT_I32 && lp && lp[0] == -5 && lp[1] == 5);
	fl_array_free(a);

	CHECK_RC(fl_npy_write(path, NULL, FL_DT_F32, 0, 5), 0);  /* empty is fine */
	CHECK_RC(fl_npy_write(path, w, FL_DT_U8, 2, 0), FL_EINVAL);
	CHECK_RC(fl_npy_write(path, w, FL_DT_I32, -1, 0), FL_EINVAL);
	CHECK_RC(fl_npy_write(path, NULL, FL_DT_I32, 2, 0), FL_EINVAL);
	CHECK_RC(fl_npy_write(FL_TEST_TMP "/no/such/dir/x.npy", f, FL_DT_F32, 2, 3), FL_EIO);
	CHECK(strstr(fl_last_error(), "no/such/dir/x.npy") != NULL);

	/* a full disk (here: a file size limit) is an error and leaves neither
	 * the target nor the temporary file behind */
	remove(path);
	signal(SIGXFSZ, SIG_IGN);
	if (getrlimit(RLIMIT_FSIZE, &old) == 0) {
		static float big[100000];

		small = old;
		small.rlim_cur = 4096;
		if (setrlimit(RLIMIT_FSIZE, &small) == 0) {
			CHECK_RC(fl_npy_write(path, big, FL_DT_F32, 100000, 0), FL_EIO);
			FILE *fh;

			setrlimit(RLIMIT_FSIZE, &old);
			CHECK((fh = fopen(path, "rb")) == NULL);
			if (fh)
				fclose(fh);
		}
	}
	CHECK_EQ_INT(count_temps("io_rt.npy"), 0);
}

int main(void)
{
	test_dtypes();
	test_zero_copy();
	test_float16();
	test_layouts();
	test_malformed();
	test_write();
	return check_done();
}
