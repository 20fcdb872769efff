/*
 * Shared inside src/mixture (and with its unit tests and bench): the rows an
 * EM pass reads (float32, or half precision scaled per column, optionally a
 * row subset), the internal fit entry point, and small vectorisable float
 * kernels (exp, log, half <-> float). OpenBLAS is held at one thread with
 * fl__blas_single_enter/leave (src/common/blas.c).
 */
#ifndef FL_MIXTURE_INTERNAL_H
#define FL_MIXTURE_INTERNAL_H

#include "common/internal.h"

#include <string.h>

/* The rows of a fit: row i is z[rows ? rows[i] : i]. z is float32 (z != NULL,
 * leading dimension ldz) or half precision (h != NULL, leading dimension
 * ldh) times hscale[j] per column. labels/probs/failure are indexed by the
 * underlying row (rows[i]), and are NULL when absent. col_var (d values, or
 * NULL to compute) is the variance of each column over all rows: the
 * reference of the variance floor. */
typedef struct fl_mx_data {
	int64_t n, d;
	const float *z;
	int64_t ldz;
	const uint16_t *h;
	int64_t ldh;
	const float *hscale;
	const int64_t *rows;
	const int64_t *labels;
	const float *probs;
	int32_t n_classes;
	const double *failure;
	const double *col_var;
} fl_mx_data;

/* What a prediction pass writes per row (each may be NULL): resp (n x k),
 * assign, the responsibility of the assigned component, and a sort key
 * that orders rows by that responsibility beyond float precision: the sum
 * of the other components' responsibilities (1 - r without the rounding of
 * r to 1), or, where that sum underflows to 0, minus the log-odds of the
 * assigned component against the runner-up (negative: more certain still).
 * Smaller key = more certain. */
typedef struct fl_mx_out {
	float *resp;
	int32_t *assign;
	float *rmax;
	float *key;
	double objective; /* mean objective, without the prior */
} fl_mx_out;

/* fl_mixture_fit on `data` (validated by the caller). `start` (or NULL)
 * replaces the initialisation; `final` (or NULL, only for data without a
 * row subset) receives the last full-data pass's per-row results, those of
 * the returned model. */
int fl_mixture__fit_from(fl_mixture *out, const fl_mx_data *data, const fl_mixture_opts *opts,
			 const fl_mixture *start, fl_mx_out *final);
int fl_mixture__fit(fl_mixture *out, const fl_mx_data *data, const fl_mixture_opts *opts);

int fl_mixture__predict(fl_mx_out *out, const fl_mixture *m, const fl_mx_data *data,
			int32_t threads);

/* m rows of [0, n), uniformly without replacement, in increasing order. */
void fl_mixture__sample_rows(int64_t *out, int64_t m, int64_t n, fl_rng *rng);

/* Project rows with a fitted PCA: into z (float, leading dimension ldz), or,
 * when h is not NULL, into h (n x r halves) as half(z_j * inv_scale[j]).
 * FL_ERANGE naming the first row whose projection is not finite. */
int fl_pca__transform(const fl_pca *p, const float *x, int64_t n, int64_t ldx, int32_t threads,
		      float *z, int64_t ldz, uint16_t *h, const float *inv_scale);

/* Block of rows for EM passes: depends on d only (never on threads). */
int64_t fl_mixture__block(int64_t d);


/* ---- float kernels, written so that GCC vectorises loops over them ---- */

typedef union {
	float f;
	uint32_t u;
	int32_t i;
} fl_mx_bits;

/* exp(x) for x <= 0 (or -inf): Cephes' expf reduction and polynomial
 * (relative error about 1e-7); exactly 0 below -87, so a dead component's
 * -inf gives 0. */
static inline float fl_mx_exp(float x)
{
	fl_mx_bits b;
	int under = x < -87.0f;
	float k, f, p;
	int32_t ki;

	x = under ? -87.0f : x;
	ki = (int32_t)(x * 1.44269504088896341f - 0.5f); /* round to nearest, x <= 0 */
	k = (float)ki;
	f = x - k * 0.693359375f;
	f = f + k * 2.12194440e-4f;
	p = 1.9875691500e-4f;
	p = p * f + 1.3981999507e-3f;
	p = p * f + 8.3334519073e-3f;
	p = p * f + 4.1665795894e-2f;
	p = p * f + 1.6666665459e-1f;
	p = p * f + 5.0000001201e-1f;
	p = p * f * f + f + 1.0f;
	b.i = (ki + 127) << 23;
	return under ? 0.0f : p * b.f;
}

/* log(x) for normal x > 0: Cephes' logf (relative error about 1e-7). */
static inline float fl_mx_log(float x)
{
	fl_mx_bits b;
	float m, f, z, y, e;
	int big;

	b.f = x;
	e = (float)((int32_t)(b.u >> 23) - 127);
	b.u = (b.u & 0x007fffffu) | 0x3f800000u;
	m = b.f;
	big = m > 1.41421356f;
	m = big ? 0.5f * m : m;
	e = big ? e + 1.0f : e;
	f = m - 1.0f;
	z = f * f;
	y = 7.0376836292e-2f;
	y = y * f - 1.1514610310e-1f;
	y = y * f + 1.1676998740e-1f;
	y = y * f - 1.2420140846e-1f;
	y = y * f + 1.4249322787e-1f;
	y = y * f - 1.6668057665e-1f;
	y = y * f + 2.0000714765e-1f;
	y = y * f - 2.4999993993e-1f;
	y = y * f + 3.3333331174e-1f;
	y = y * f * z;
	y += -2.12194440e-4f * e;
	y += -0.5f * z;
	return f + y + 0.693359375f * e;
}

/* IEEE half precision, round to nearest even; values beyond the half range
 * saturate to +-65504 (callers scale columns so that this does not happen
 * in practice); NaN stays NaN. */
static inline uint16_t fl_mx_to_half(float f)
{
	fl_mx_bits b;
	uint32_t sign, x;
	uint16_t o;

	b.f = f;
	sign = b.u & 0x80000000u;
	x = b.u ^ sign;
	if (x > 0x7f800000u) {
		o = 0x7e00;
	} else if (x >= 0x477ff000u) { /* rounds to 65536 or more */
		o = 0x7bff;
	} else if (x < 0x38800000u) { /* below 2^-14: subnormal half or 0 */
		fl_mx_bits t;
		t.u = x;
		t.f += 0.5f; /* the sum's low bits are the rounded half */
		o = (uint16_t)(t.u - 0x3f000000u);
	} else {
		uint32_t odd = (x >> 13) & 1u;
		x += 0xc8000fffu; /* rebias (15 - 127) << 23, plus rounding */
		x += odd;
		o = (uint16_t)(x >> 13);
	}
	return (uint16_t)(o | (sign >> 16));
}

/* Half to float for finite halves: rebias by multiplying by 2^112, which
 * also normalises subnormals exactly. */
static inline float fl_mx_from_half(uint16_t h)
{
	fl_mx_bits b, m;

	b.u = (uint32_t)(h & 0x7fffu) << 13;
	m.u = 0x77800000u; /* 2^112 */
	b.f *= m.f;
	b.u |= (uint32_t)(h & 0x8000u) << 16;
	return b.f;
}

#endif
