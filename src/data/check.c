/*
 * Validation of a model's outputs before any analysis, and softmax for
 * logits. Every failure names the array and the first offending row (and
 * column), because the user has to find it in their own files. Probabilities
 * that do not sum to 1 are refused, never renormalised: they are usually raw
 * scores, and renormalising them would silently change every statistic.
 */
#include "common/internal.h"

#include <math.h>

#define PROB_RANGE_TOL 1e-6 /* float rounding of a probability near 0 or 1 */

static const char *nonfinite_name(double v)
{
	return isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
}

static const char *or_default(const char *name)
{
	return name ? name : "array";
}

int fl_check_labels(const int64_t *labels, int64_t n, int32_t n_classes, const char *name)
{
	name = or_default(name);
	if (n < 0 || n_classes < 1 || (n > 0 && !labels))
		return fl__error(FL_EINVAL, "%s: invalid arguments (n = %lld, classes = %d)", name,
				 (long long)n, (int)n_classes);
	for (int64_t i = 0; i < n; i++)
		if (labels[i] < 0 || labels[i] >= n_classes)
			return fl__error(FL_ERANGE, "%s: row %lld: label %lld outside [0, %d)", name,
					 (long long)i, (long long)labels[i], (int)n_classes);
	return 0;
}

int fl_check_probs(const float *probs, int64_t n, int32_t c, const char *name)
{
	name = or_default(name);
	if (n < 0 || c < 1 || (n > 0 && !probs))
		return fl__error(FL_EINVAL, "%s: invalid arguments (n = %lld, classes = %d)", name,
				 (long long)n, (int)c);
	for (int64_t i = 0; i < n; i++) {
		const float *row = probs + i * (int64_t)c;
		double sum = 0;

		for (int32_t j = 0; j < c; j++) {
			double v = row[j];
			if (!isfinite(v))
				return fl__error(FL_ERANGE, "%s: row %lld, column %d: probability is %s", name,
						 (long long)i, (int)j, nonfinite_name(v));
			if (v < -PROB_RANGE_TOL || v > 1 + PROB_RANGE_TOL)
				return fl__error(FL_ERANGE,
						 "%s: row %lld, column %d: probability %.9g outside [0, 1] (raw scores? pass them as --logits)",
						 name, (long long)i, (int)j, v);
			sum += v;
		}
		if (fabs(sum - 1) > FL_PROB_SUM_TOL)
			return fl__error(FL_ERANGE,
					 "%s: row %lld: probabilities sum to %.6g, not 1 (raw scores? pass them as --logits)",
					 name, (long long)i, sum);
	}
	return 0;
}

int fl_check_finite_f32(const float *x, int64_t n, int64_t d, int64_t ld, const char *name)
{
	name = or_default(name);
	if (n < 0 || d < 0 || ld < d || (n > 0 && d > 0 && !x))
		return fl__error(FL_EINVAL, "%s: invalid arguments (n = %lld, d = %lld, ld = %lld)", name,
				 (long long)n, (long long)d, (long long)ld);
	for (int64_t i = 0; i < n; i++)
		for (int64_t j = 0; j < d; j++)
			if (!isfinite(x[i * ld + j]))
				return fl__error(FL_ERANGE, "%s: row %lld, column %lld: value is %s", name,
						 (long long)i, (long long)j, nonfinite_name(x[i * ld + j]));
	return 0;
}

int fl_check_finite_f64(const double *x, int64_t n, const char *name)
{
	name = or_default(name);
	if (n < 0 || (n > 0 && !x))
		return fl__error(FL_EINVAL, "%s: invalid arguments (n = %lld)", name, (long long)n);
	for (int64_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return fl__error(FL_ERANGE, "%s: row %lld: value is %s", name, (long long)i,
					 nonfinite_name(x[i]));
	return 0;
}

int fl_softmax_rows(float *out, const float *logits, int64_t n, int32_t c, const char *name)
{
	int rc;

	if (c < 1 || (n > 0 && !out))
		return fl__error(FL_EINVAL, "%s: invalid arguments (n = %lld, classes = %d)",
				 or_default(name), (long long)n, (int)c);
	/* check everything first, so that `out` is untouched on failure even
	 * when it aliases `logits` */
	if ((rc = fl_check_finite_f32(logits, n, c, c, name)) != 0)
		return rc;
	for (int64_t i = 0; i < n; i++) {
		const float *x = logits + i * (int64_t)c;
		float *y = out + i * (int64_t)c;
		double mx = x[0], sum = 0;

		for (int32_t j = 1; j < c; j++)
			mx = fmax(mx, x[j]);
		for (int32_t j = 0; j < c; j++)
			sum += exp((double)x[j] - mx);
		/* x[j] is read before y[j] is written, so out == logits is safe */
		for (int32_t j = 0; j < c; j++)
			y[j] = (float)(exp((double)x[j] - mx) / sum);
	}
	return 0;
}
