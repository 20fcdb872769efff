/*
 * fl_array accessors and views. A view is the file's own bytes when they
 * already are the requested type in host order, C order and aligned;
 * otherwise every element is decoded (byte swap, Fortran-to-C transpose,
 * type conversion) once into a cached buffer.
 */
#include "io/io_internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

enum { K_F, K_I, K_U };

typedef struct num {
	double f;
	int64_t i;
	uint64_t u;
} num;

/* IEEE 754 binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits.
 * Every half is exactly representable as a double. */
static double half_to_double(uint16_t h)
{
	unsigned e = (h >> 10) & 0x1f, m = h & 0x3ff;
	double v;

	if (e == 0)
		v = ldexp((double)m, -24);              /* zero, subnormal */
	else if (e == 31)
		v = m ? (double)NAN : (double)INFINITY;
	else
		v = ldexp((double)(m | 0x400), (int)e - 25);
	return (h & 0x8000) ? -v : v;
}

/* Decode element `idx` (in file order) into v; returns its kind. */
static int decode(const fl_array *a, size_t idx, num *v)
{
	const unsigned char *p = a->data + idx * a->itemsize;
	unsigned char b[8];

	if (a->swap) {
		for (size_t k = 0; k < a->itemsize; k++)
			b[k] = p[a->itemsize - 1 - k];
		p = b;
	}
#define LOAD(T, field, kind) do { T x_; memcpy(&x_, p, sizeof x_); v->field = x_; return kind; } while (0)
	switch (a->dtype) {
	case FL_DT_BOOL: v->i = p[0] != 0; return K_I;
	case FL_DT_I8: LOAD(int8_t, i, K_I);
	case FL_DT_I16: LOAD(int16_t, i, K_I);
	case FL_DT_I32: LOAD(int32_t, i, K_I);
	case FL_DT_I64: LOAD(int64_t, i, K_I);
	case FL_DT_U8: LOAD(uint8_t, u, K_U);
	case FL_DT_U16: LOAD(uint16_t, u, K_U);
	case FL_DT_U32: LOAD(uint32_t, u, K_U);
	case FL_DT_U64: LOAD(uint64_t, u, K_U);
	case FL_DT_F16: { uint16_t x; memcpy(&x, p, 2); v->f = half_to_double(x); return K_F; }
	case FL_DT_F32: LOAD(float, f, K_F);
	case FL_DT_F64: LOAD(double, f, K_F);
	}
#undef LOAD
	v->f = 0;
	return K_F;
}

/* The file's bytes can be handed out as they are. */
static int direct(const fl_array *a)
{
	return !a->swap && !a->fortran && (uintptr_t)a->data % a->itemsize == 0;
}

/* rows * cols, known to fit since the parser checked the byte size */
static size_t count(const fl_array *a)
{
	return (size_t)a->rows * (size_t)a->cols;
}

static void *alloc_view(const fl_array *a, size_t item)
{
	size_t n;

	if (fl__mul_size(count(a), item, &n) != 0) {
		fl__error(FL_ENOMEM, "%s: array too large to convert", a->name);
		return NULL;
	}
	return fl__malloc(n, a->name);
}

/* Host-order, C-order data: one tight loop per source type, the common
 * case (float32 -> float64 and the like) at memory speed. Returns 0 for
 * the types left to decode(): bool and float16. */
#define NATIVE_LOOP(SRC_T) \
	for (size_t k = 0; k < n; k++) { \
		SRC_T x_; \
		memcpy(&x_, a->data + k * sizeof x_, sizeof x_); \
		dst[k] = x_; \
	} \
	return 1
#define NATIVE_CONVERT(NAME, DST_T) \
static int NAME(const fl_array *a, DST_T *dst, size_t n) \
{ \
	switch (a->dtype) { \
	case FL_DT_I8: NATIVE_LOOP(int8_t); \
	case FL_DT_I16: NATIVE_LOOP(int16_t); \
	case FL_DT_I32: NATIVE_LOOP(int32_t); \
	case FL_DT_I64: NATIVE_LOOP(int64_t); \
	case FL_DT_U8: NATIVE_LOOP(uint8_t); \
	case FL_DT_U16: NATIVE_LOOP(uint16_t); \
	case FL_DT_U32: NATIVE_LOOP(uint32_t); \
	case FL_DT_U64: NATIVE_LOOP(uint64_t); \
	case FL_DT_F32: NATIVE_LOOP(float); \
	case FL_DT_F64: NATIVE_LOOP(double); \
	default: return 0; \
	} \
}
NATIVE_CONVERT(native_to_f32, float)
NATIVE_CONVERT(native_to_f64, double)

/* Source index of C-order element (r, c). */
static size_t src_index(const fl_array *a, int64_t r, int64_t c)
{
	return a->fortran ? (size_t)c * (size_t)a->rows + (size_t)r
			  : (size_t)r * (size_t)a->cols + (size_t)c;
}

static void convert_f32(const fl_array *a, float *dst)
{
	num v;

	if (count(a) == 0 || (!a->swap && !a->fortran && native_to_f32(a, dst, count(a))))
		return;     /* count first: a (2^62, 0) shape must not loop over rows */
	for (int64_t r = 0, k = 0; r < a->rows; r++)
		for (int64_t c = 0; c < a->cols; c++, k++) {
			int kind = decode(a, src_index(a, r, c), &v);

			dst[k] = kind == K_F ? (float)v.f : kind == K_I ? (float)v.i : (float)v.u;
		}
}

static void convert_f64(const fl_array *a, double *dst)
{
	num v;

	if (count(a) == 0 || (!a->swap && !a->fortran && native_to_f64(a, dst, count(a))))
		return;     /* count first: a (2^62, 0) shape must not loop over rows */
	for (int64_t r = 0, k = 0; r < a->rows; r++)
		for (int64_t c = 0; c < a->cols; c++, k++) {
			int kind = decode(a, src_index(a, r, c), &v);

			dst[k] = kind == K_F ? v.f : kind == K_I ? (double)v.i : (double)v.u;
		}
}

static int range_error(const fl_array *a, int64_t r, int64_t c, const char *what);

/* float64 values beyond the float32 range would become Inf (undefined
 * behaviour in ISO C): refused, naming the first. */
static int check_f32_range(const fl_array *a)
{
	num v;

	if (a->dtype != FL_DT_F64 || count(a) == 0)
		return 0;
	for (int64_t r = 0; r < a->rows; r++)
		for (int64_t c = 0; c < a->cols; c++) {
			decode(a, src_index(a, r, c), &v);
			if (isfinite(v.f) && fabs(v.f) > FLT_MAX) {
				char what[96];

				snprintf(what, sizeof what, "%g is beyond the float32 range (%g)", v.f,
					 (double)FLT_MAX);
				return range_error(a, r, c, what);
			}
		}
	return 0;
}

int fl_array_f32(fl_array *a, const float **out)
{
	int rc;

	if (!out || !a)
		return fl__error(FL_EINVAL, "no array, or nowhere to put its values (a NULL argument)");
	*out = NULL;
	if ((rc = fl_io__array_inflate(a)) != 0)
		return rc;
	if (a->dtype == FL_DT_F32 && direct(a)) {
		*out = (const float *)(const void *)a->data;
		return 0;
	}
	if (!a->f32) {
		if ((rc = check_f32_range(a)))
			return rc;
		if (!(a->f32 = alloc_view(a, sizeof *a->f32)))
			return FL_ENOMEM;
		convert_f32(a, a->f32);
	}
	*out = a->f32;
	return 0;
}

int fl_array_f64(fl_array *a, const double **out)
{
	int rc;

	if (!out || !a)
		return fl__error(FL_EINVAL, "no array, or nowhere to put its values (a NULL argument)");
	*out = NULL;
	if ((rc = fl_io__array_inflate(a)) != 0)
		return rc;
	if (a->dtype == FL_DT_F64 && direct(a)) {
		*out = (const double *)(const void *)a->data;
		return 0;
	}
	if (!a->f64) {
		if (!(a->f64 = alloc_view(a, sizeof *a->f64)))
			return FL_ENOMEM;
		convert_f64(a, a->f64);
	}
	*out = a->f64;
	return 0;
}

static int range_error(const fl_array *a, int64_t r, int64_t c, const char *what)
{
	if (a->ndim == 2)
		return fl__error(FL_ERANGE, "%s: row %lld, column %lld: %s", a->name,
				 (long long)r, (long long)c, what);
	return fl__error(FL_ERANGE, "%s: row %lld: %s", a->name, (long long)r, what);
}

int fl_array_i64(fl_array *a, const int64_t **out)
{
	int64_t *dst;
	char what[96];
	num v;
	int rc = 0;

	if (!out || !a)
		return fl__error(FL_EINVAL, "no array, or nowhere to put its values (a NULL argument)");
	*out = NULL;
	if ((rc = fl_io__array_inflate(a)) != 0)
		return rc;
	if (a->dtype == FL_DT_I64 && direct(a)) {
		*out = (const int64_t *)(const void *)a->data;
		return 0;
	}
	if (a->i64) {
		*out = a->i64;
		return 0;
	}
	if (!(dst = alloc_view(a, sizeof *dst)))
		return FL_ENOMEM;
	for (int64_t r = 0, k = 0; count(a) > 0 && r < a->rows && rc == 0; r++)
		for (int64_t c = 0; c < a->cols && rc == 0; c++, k++) {
			int kind = decode(a, src_index(a, r, c), &v);

			if (kind == K_I) {
				dst[k] = v.i;
			} else if (kind == K_U && v.u <= (uint64_t)INT64_MAX) {
				dst[k] = (int64_t)v.u;
			} else if (kind == K_U) {
				snprintf(what, sizeof what, "value %llu exceeds the int64 range",
					 (unsigned long long)v.u);
				rc = range_error(a, r, c, what);
			} else if (v.f >= -9223372036854775808.0 && v.f < 9223372036854775808.0 &&
				   (double)(int64_t)v.f == v.f) {
				dst[k] = (int64_t)v.f;
			} else {
				snprintf(what, sizeof what, "value %.17g is not an integer in the int64 "
					 "range", v.f);
				rc = range_error(a, r, c, what);
			}
		}
	if (rc != 0) {
		free(dst);
		return rc;
	}
	a->i64 = dst;
	*out = dst;
	return 0;
}

void fl_array_free(fl_array *a)
{
	if (!a)
		return;
	if (a->map)
		munmap(a->map, a->map_len);
	free(a->owned);
	free(a->f32);
	free(a->f64);
	free(a->i64);
	free(a->name);
	free(a);
}

int64_t fl_array_rows(const fl_array *a) { return a ? a->rows : 0; }
int64_t fl_array_cols(const fl_array *a) { return a ? a->cols : 0; }
int fl_array_ndim(const fl_array *a) { return a ? a->ndim : 0; }
fl_dtype fl_array_dtype(const fl_array *a) { return a ? a->dtype : FL_DT_F64; }
const char *fl_array_name(const fl_array *a) { return a && a->name ? a->name : ""; }

int fl_array_is_mapped(const fl_array *a)
{
	uintptr_t m = a ? (uintptr_t)a->map : 0;

	return m && (uintptr_t)a->data >= m && (uintptr_t)a->data <= m + a->map_len && direct(a);
}

const char *fl_dtype_name(fl_dtype t)
{
	static const char *const names[] = {
		"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
		"uint64", "float16", "float32", "float64"
	};

	return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}
