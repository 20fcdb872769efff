/* Otsu's threshold: the two-group split of a continuous failure signal
 * used to say which samples "fail" when the methods need a 0/1 target. */
#include "stats/stats_internal.h"

#include <math.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double fl__otsu_threshold(const double *f, int64_t n, double *sorted)
{
	double total = 0, left = 0, best = -1, t = NAN;

	memcpy(sorted, f, (size_t)n * sizeof(double));
	qsort(sorted, (size_t)n, sizeof(double), cmp_double);
	for (int64_t i = 0; i < n; i++)
		total += sorted[i];
	for (int64_t i = 1; i < n; i++) {
		double w0, m0, m1, between;

		left += sorted[i - 1];
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
