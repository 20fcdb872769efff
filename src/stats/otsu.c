/* Otsu's threshold: the two-group split of a continuous failure signal
 * used to say which samples "fail" when the methods need a 0/1 target
 * (Otsu, "A threshold selection method from gray-level histograms", 1979,
 * on the sorted values instead of a histogram), and those 0/1 flags. */
#include "stats/stats_internal.h"

#include <math.h>
#include <string.h>

double fl__otsu_threshold(const double *f, int64_t n, double *sorted)
{
	/* sums of f / 2^e: finite for any finite signal, and the same split */
	double sc = fl__failure_scale(fl__failure_exponent(f, n));
	double total = 0, left = 0, best = -1, t = NAN;

	memcpy(sorted, f, (size_t)n * sizeof(double));
	qsort(sorted, (size_t)n, sizeof(double), fl__cmp_f64);
	for (int64_t i = 0; i < n; i++)
		total += sorted[i] * sc;
	for (int64_t i = 1; i < n; i++) {
		double w0, m0, m1, between;

		left += sorted[i - 1] * sc;
		if (sorted[i - 1] == sorted[i])
			continue;
		w0 = (double)i / (double)n;
		m0 = left / (double)i;
		m1 = (total - left) / (double)(n - i);
		between = w0 * (1 - w0) * (m1 - m0) * (m1 - m0);
		if (between > best) {
			best = between;
			t = sorted[i - 1];
		}
	}
	return t;
}

int fl__failing_flags(unsigned char *failing, const double *failure, int64_t n, const char *who)
{
	double *tmp, t;

	for (int64_t i = 0; i < n; i++)
		if (!isfinite(failure[i]))
			return fl__error(FL_ERANGE, "%s: failure value of row %lld is not finite", who,
					 (long long)i);
	if (fl_failure_is_binary(failure, n)) {
		for (int64_t i = 0; i < n; i++)
			failing[i] = failure[i] == 1;
		return 0;
	}
	if (!(tmp = fl__malloc((size_t)n * sizeof(double), "failure threshold")))
		return FL_ENOMEM;
	t = fl__otsu_threshold(failure, n, tmp);
	for (int64_t i = 0; i < n; i++)
		failing[i] = failure[i] > t; /* all false when t is NaN */
	free(tmp);
	return 0;
}
