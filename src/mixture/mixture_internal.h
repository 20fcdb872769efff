/*
 * Shared inside src/mixture (and with its unit tests and bench): the rows an
 * EM pass reads (float32 or 8-bit codes, optionally a row subset), the
 * internal fit entry point, and small vectorisable float kernels (exp,
 * log). OpenBLAS is held at one thread with
 * fl__blas_single_enter/leave (src/common/blas.c).
 */
#ifndef FL_MIXTURE_INTERNAL_H
#define FL_MIXTURE_INTERNAL_H

#include "candidate/candidate_internal.h"
#include "common/internal.h"

#include <math.h>
#include <string.h>

/* fl_mx_codes (a reduced view in 8 bits a value) is defined with fl_lift
 * in candidate_internal.h: the methods of a reduced view all read it. */
int fl_mx_codes_alloc(fl_mx_codes *c, int64_t n, int64_t r);
void fl_mx_codes_free(fl_mx_codes *c);
/* Rows i0 .. i0 + m - 1 of c (i0 a multiple of FL_MX_QROWS), projected
 * into z (m x c->r), to codes, as fl_pca__transform writes them; a group
 * of rows a thread (threads <= 0: OpenMP's default). */
void fl_mx_codes_encode(fl_mx_codes *c, const float *z, int64_t i0, int64_t m, int32_t threads);
/* Several ranks, each of which encoded its span (fl__comm_spans, align
 * FL_MX_QROWS) of rows 0 .. n - 1: every rank's codes, on every rank;
 * gspan: room for P + 1 values. One rank: nothing. */
void fl_mx_codes_gather_spans(fl_mx_codes *c, int64_t n, const int64_t *span, int64_t *gspan);

/* The rows of a fit: row i is z[rows ? rows[i] : i]. z is float32 (z != NULL,
 * leading dimension ldz) or 8-bit codes (codes != NULL). labels/probs/failure
 * are indexed by the underlying row (rows[i]), and are NULL when absent.
 * col_var (d values, or NULL to compute) is the variance of each column over
 * all rows: the reference of the variance floor. zrows (or NULL): the
 * underlying row `row` is codes row zrows[row] (a subset of a reduced view
 * read in place, its per-row arrays its own). prows (or NULL): the
 * predicted probabilities of the underlying row `row` are probs row
 * prows[row] (the caller's array read in place, not gathered). */
typedef struct fl_mx_data {
	int64_t n, d;
	const float *z;
	int64_t ldz;
	const fl_mx_codes *codes;
	const int64_t *rows;
	const int64_t *labels;
	const float *probs;
	int32_t n_classes;
	const double *failure;
	const double *col_var;
	const int64_t *zrows;
	const int64_t *prows;
} fl_mx_data;

/* The predicted probabilities of underlying row `row` */
static inline const float *fl_mx_probs_row(const fl_mx_data *p, int64_t row)
{
	return p->probs + (p->prows ? p->prows[row] : row) * p->n_classes;
}

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

/* The embedding-only assignment of codes rows 0..n-1 under m (no label,
 * prediction or failure term; m->d == codes->r), and sure[i] = 1 where
 * assign[i] is provably what fl_mixture__predict gives on the float
 * projection those codes were made from (screen.c); elsewhere assign[i]
 * is only the codes' guess. FL_EINVAL for another model, FL_ENOMEM. */
int fl_mixture__assign_codes(int32_t *assign, uint8_t *sure, const fl_mixture *m,
			     const fl_mx_codes *codes, int64_t n, int32_t threads);

/* m rows of [0, n), uniformly without replacement, in increasing order. */
void fl_mixture__sample_rows(int64_t *out, int64_t m, int64_t n, fl_rng *rng);

/* Project rows with a fitted PCA: into z (float, leading dimension ldz), or,
 * when codes is not NULL (allocated for n rows and p->r columns), into
 * codes. FL_ERANGE naming the first row whose projection is not finite. */
/* fl_pca_fit on the n rows of x named by xrows (NULL: the first n). */
int fl_pca__fit(fl_pca *out, const float *x, const int64_t *xrows, int64_t n, int64_t d,
		int64_t ldx, const fl_pca_opts *opts);

/* xrows: NULL, or row i is x row xrows[i]. */
int fl_pca__transform(const fl_pca *p, const float *x, const int64_t *xrows, int64_t n,
		      int64_t ldx, int32_t threads,
		      float *z, int64_t ldz, fl_mx_codes *codes);

/* Rows of x (xrows as in fl_pca__transform) into codes (allocated for n
 * rows of p->r: the codes fl_pca__transform writes) and res2 (n): each
 * row's squared distance from the PCA's subspace, |x - mean|^2 - |z|^2, at
 * least 0. A view reduced once for every method (fl_lift). */
int fl_pca__reduce(const fl_pca *p, const float *x, const int64_t *xrows, int64_t n,
		   int64_t ldx, int32_t threads, fl_mx_codes *codes, float *res2);

/* fl_discover_mixture on a reduced view (lift->codes, read through
 * opts.rows; x unused): lift->pca is the mixture's PCA (not refitted), its
 * components and rules in the view's coordinates. lift NULL:
 * fl_discover_mixture. prows (or NULL): row i's predicted probabilities
 * are probs row prows[i] (read in place; the caller checked them). */
int fl__discover_mixture(fl_candidate **out, int32_t *n_out, const float *x, int64_t n,
			 int64_t d, int64_t ldx, const char *view_name, const int64_t *labels,
			 const float *probs, const int64_t *prows, int32_t n_classes,
			 const fl_failure_summary *s,
			 const double *failure, const fl_discover_mixture_opts *opts,
			 const fl_lift *lift);

/* Block of rows for EM passes: depends on d only (never on threads). */
int64_t fl_mixture__block(int64_t d);


/* ---- float kernels, written so that GCC vectorises loops over them ---- */

typedef union {
	float f;
	uint32_t u;
	int32_t i;
} fl_mx_bits;

/* exp(x): Cephes' expf reduction and polynomial (relative error about
 * 1e-7); exactly 0 below -87, so a dead component's -inf gives 0; +inf
 * above log FLT_MAX; NaN for NaN. EM calls it for x <= 0. The argument of
 * the integer conversion is clamped so that no float is undefined
 * behaviour (a NaN once reached (int32_t)NaN and a negative shift). */
static inline float fl_mx_exp(float x)
{
	fl_mx_bits b;
	int under = x < -87.0f, over = x > 88.7228f, nan = x != x, hi;
	float in = x, k, f, p, y;
	int32_t ki;

	x = under || nan ? -87.0f : over ? 88.0f : x;
	y = x * 1.44269504088896341f;
	ki = (int32_t)(y < 0 ? y - 0.5f : y + 0.5f); /* round to nearest, in [-126, 128] */
	hi = ki > 127; /* 2^128 is not a float: 2^127 times 2 */
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
	b.u = (uint32_t)(ki - hi + 127) << 23;
	p = hi ? 2.0f * p : p;
	return nan ? in : under ? 0.0f : over ? INFINITY : p * b.f;
}

/* log(x) for normal x > 0: Cephes' logf polynomial (relative error about
 * 1e-7) after x = 2^e m, m in [sqrt(1/2), sqrt(2)), found with integer
 * arithmetic as in musl's logf. Other inputs are clamped to [FLT_MIN,
 * FLT_MAX] (0, subnormals and negatives give log FLT_MIN ~ -87.3, +inf
 * log FLT_MAX ~ 88.7); NaN gives NaN. The clamps and the NaN case are
 * integer operations on the bits, with no float select: GCC turned
 * `nan ? x : ...` into a branch around the polynomial, and a loop with a
 * branch does not vectorise (the E-step's log loop ran scalar, about 4x
 * slower; the same bits for every one of the 2^32 inputs). */
static inline float fl_mx_log(float x)
{
	fl_mx_bits b, r;
	float f, z, y, e;
	uint32_t xu, nan;
	int32_t i;

	b.f = x;
	xu = b.u;
	nan = (xu & 0x7fffffffu) > 0x7f800000u;
	i = b.i < 0x00800000 ? 0x00800000 : b.i; /* negatives, 0, subnormals: FLT_MIN */
	i = i > 0x7f7fffff ? 0x7f7fffff : i;     /* +inf: FLT_MAX */
	b.u = (uint32_t)i + (0x3f800000u - 0x3f3504f3u); /* m >= sqrt(1/2) moves to the next exponent */
	e = (float)((int32_t)(b.u >> 23) - 127);
	b.u = (b.u & 0x007fffffu) + 0x3f3504f3u;
	f = b.f - 1.0f;
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
	r.f = f + y + 0.693359375f * e;
	r.u = (r.u & (nan - 1u)) | (xu & (0u - nan)); /* NaN: x itself */
	return r.f;
}

#endif
