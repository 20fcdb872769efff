/*
 * The per-sample failure signal derived from labels and predictions.
 * Inputs: n labels, an n x C probability matrix and/or n predicted labels.
 * Output: n doubles, larger = worse (0/1 error, cross-entropy, 1 - p[label]).
 */
#include "common/internal.h"
#include "stats/stats_internal.h"

#include <math.h>

const char *fl_failure_kind_name(fl_failure_kind k)
{
	switch (k) {
	case FL_FAILURE_ERROR: return "error";
	case FL_FAILURE_LOSS: return "loss";
	case FL_FAILURE_CONFIDENCE: return "1-confidence";
	}
	return "unknown";
}

/* argmax with ties to the lowest index, so results do not depend on how a
 * model happens to order equal scores */
int32_t fl__argmax_row(const float *p, int32_t c)
{
	int32_t best = 0;

	for (int32_t j = 1; j < c; j++)
		if (p[j] > p[best])
			best = j;
	return best;
}

int fl_argmax_rows(int64_t *out, const float *probs, int64_t n, int32_t n_classes)
{
	if (n < 0 || n_classes < 1 || (n > 0 && (!out || !probs)))
		return fl__error(FL_EINVAL, "probabilities: no argmax of %lld rows of %d classes",
				 (long long)n, (int)n_classes);
	for (int64_t i = 0; i < n; i++)
		out[i] = fl__argmax_row(probs + i * (int64_t)n_classes, n_classes);
	return 0;
}

int fl_failure_compute(double *out, fl_failure_kind kind, int64_t n,
		       int32_t n_classes, const int64_t *labels,
		       const float *probs, const int64_t *preds)
{
	if (n < 0 || n_classes < 1 || (n > 0 && (!out || !labels)))
		return fl__error(FL_EINVAL, "failure signal: invalid arguments (n = %lld, classes = %d)",
				 (long long)n, (int)n_classes);
	if (kind != FL_FAILURE_ERROR && kind != FL_FAILURE_LOSS && kind != FL_FAILURE_CONFIDENCE)
		return fl__error(FL_EINVAL, "failure signal: unknown kind %d", (int)kind);
	if (!probs && (kind != FL_FAILURE_ERROR || !preds))
		return fl__error(FL_EINVAL, "failure signal: '%s' needs predicted probabilities",
				 fl_failure_kind_name(kind));

	for (int64_t i = 0; i < n; i++) {
		int64_t y = labels[i];
		const float *row = probs ? probs + i * (int64_t)n_classes : NULL;

		/* validation is the caller's job, but an out-of-range label
		 * would read outside the row: refuse it rather than crash */
		if (y < 0 || y >= n_classes)
			return fl__error(FL_ERANGE, "labels: row %lld: label %lld outside [0, %d)",
					 (long long)i, (long long)y, (int)n_classes);
		switch (kind) {
		case FL_FAILURE_ERROR:
			out[i] = (preds ? preds[i] : fl__argmax_row(row, n_classes)) != y;
			break;
		case FL_FAILURE_LOSS:
			/* clamped at 0: a probability may exceed 1 by the rounding
			 * tolerance fl_check_probs allows */
			out[i] = fmax(0.0, -log(fmax((double)row[y], 1e-12)));
			break;
		case FL_FAILURE_CONFIDENCE:
			out[i] = fmax(0.0, 1.0 - (double)row[y]);
			break;
		}
	}
	return 0;
}

int fl_failure_is_binary(const double *failure, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		if (failure[i] != 0.0 && failure[i] != 1.0)
			return 0;
	return 1;
}

/* ilogb(mx) within [-1022, 1022], so that 2^-e is a normal double; 0 for
 * 0 (and for what is not finite, which the callers have refused). */
static int exponent_of(double mx)
{
	int e;

	if (!(mx > 0) || !isfinite(mx))
		return 0;
	e = ilogb(mx);
	return e < -1022 ? -1022 : e > 1022 ? 1022 : e;
}

int fl__failure_exponent(const double *f, int64_t n)
{
	double mx = 0;

	for (int64_t i = 0; i < n; i++)
		mx = fabs(f[i]) > mx ? fabs(f[i]) : mx;
	return exponent_of(mx);
}

double fl__failure_scale(int e)
{
	return ldexp(1.0, -e);
}

double fl__failure_mean(const double *f, const int64_t *rows, int64_t m)
{
	double sum = 0, mx = 0, sc;
	int e;

	if (m == 0)
		return NAN;
	for (int64_t k = 0; k < m; k++)
		mx = fabs(f[rows ? rows[k] : k]) > mx ? fabs(f[rows ? rows[k] : k]) : mx;
	e = exponent_of(mx);
	sc = fl__failure_scale(e);
	for (int64_t k = 0; k < m; k++)
		sum += f[rows ? rows[k] : k] * sc;
	return ldexp(sum / (double)m, e);
}

double fl__excess_lcb(const fl__sums *in, const fl__sums *all, int binary)
{
	return fl__excess_lower(in, all, binary, 1.959963984540054); /* two-sided 95% */
}

double fl__excess_lcb_sure(const fl__sums *in, const fl__sums *all, int binary)
{
	double out_n = all->n - in->n;

	if (!binary || in->n < 1 || out_n < 1)
		return fl__excess_lcb(in, all, binary);
	return in->n * (in->s / in->n - (all->s - in->s) / out_n -
			1.959963984540054 * sqrt(0.25 / in->n + 0.25 / out_n));
}

double fl__excess_lower(const fl__sums *in, const fl__sums *all, int binary, double z)
{
	fl__sums out = {all->n - in->n, all->s - in->s, all->ss - in->ss};
	double d, se;

	if (in->n < 1 || out.n < 1)
		return 0;
	if (binary) { /* Agresti-Caffo: one success and one failure added to each */
		double p1 = (in->s + 1) / (in->n + 2), p0 = (out.s + 1) / (out.n + 2);

		d = p1 - p0;
		se = sqrt(p1 * (1 - p1) / (in->n + 2) + p0 * (1 - p0) / (out.n + 2));
	} else {
		double m1 = in->s / in->n, m0 = out.s / out.n;
		double va = all->n > 1 ? (all->ss - all->s * all->s / all->n) / (all->n - 1) : 0;
		double v1 = in->n > 1 ? (in->ss - in->n * m1 * m1) / (in->n - 1) : va;
		double v0 = out.n > 1 ? (out.ss - out.n * m0 * m0) / (out.n - 1) : va;

		d = m1 - m0;
		se = sqrt((v1 > 0 ? v1 : 0) / in->n + (v0 > 0 ? v0 : 0) / out.n);
	}
	return in->n * (d - z * se);
}
