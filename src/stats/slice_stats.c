/*
 * Statistics of a slice (a set of rows) against the rest: failure rates,
 * lift, a 95% interval and a one-sided p-value for "inside > outside".
 * Binary signals: Wilson interval, Fisher's exact test (exact.c).
 * Continuous signals: mean +/- 1.96 standard errors, and the Mann-Whitney U
 * test with tie and continuity corrections under the normal approximation
 * (Lehmann, "Nonparametrics", 1975, ch. 1). The summary ranks all rows once
 * (O(n log n)) so that each slice costs O(members). Sums and squares are
 * taken of f / 2^e (fl__failure_exponent), so that any finite signal gives
 * finite statistics, the same bits as unscaled ones when those did not
 * overflow (the ranks are scale-free anyway).
 */
#include "common/internal.h"
#include "stats/stats_internal.h"

#include <math.h>
#include <string.h>

struct fl_failure_summary {
	int64_t n;
	const double *failure; /* borrowed */
	double total, min, max; /* total: of failure * scale */
	int e;                 /* scale = 2^-e (fl__failure_exponent) */
	double scale;
	int binary;
	double *ranks;         /* continuous only: mid-rank of each row, 1-based */
	double tie_term;       /* continuous only: sum over tie groups of t^3 - t */
};

/* mid-ranks: a group of t equal values at sorted positions [g, g+t) all get
 * the average of ranks g+1 .. g+t */
static int rank_signal(fl_failure_summary *s)
{
	int64_t n = s->n;
	size_t bytes;
	fl_f64_row *tmp = NULL;

	if (fl__mul_size((size_t)n, sizeof *tmp, &bytes))
		return fl__error(FL_ENOMEM, "failure summary: %lld rows overflow", (long long)n);
	tmp = fl__malloc(bytes, "failure ranks");
	s->ranks = fl__malloc((size_t)n * sizeof *s->ranks, "failure ranks");
	if (!tmp || !s->ranks) {
		free(tmp);
		return FL_ENOMEM;
	}
	for (int64_t i = 0; i < n; i++)
		tmp[i] = (fl_f64_row){s->failure[i], i};
	qsort(tmp, (size_t)n, sizeof *tmp, fl__cmp_f64_row);
	s->tie_term = 0;
	for (int64_t g = 0; g < n;) {
		int64_t e = g + 1;
		while (e < n && tmp[e].v == tmp[g].v)
			e++;
		double t = (double)(e - g), mid = (double)(g + 1 + e) / 2;
		for (int64_t j = g; j < e; j++)
			s->ranks[tmp[j].row] = mid;
		s->tie_term += t * t * t - t;
		g = e;
	}
	free(tmp);
	return 0;
}

int fl_failure_summary_new(fl_failure_summary **out, const double *failure, int64_t n)
{
	fl_failure_summary *s = NULL;
	int rc;

	if (!out)
		return fl__error(FL_EINVAL, "failure summary: out is NULL");
	*out = NULL;
	if (n < 0 || (n > 0 && !failure))
		return fl__error(FL_EINVAL, "failure summary: invalid arguments (n = %lld)", (long long)n);
	for (int64_t i = 0; i < n; i++)
		if (!isfinite(failure[i])) /* NaN would break the ranking */
			return fl__error(FL_ERANGE, "failure signal: row %lld: value is %s", (long long)i,
					 isnan(failure[i]) ? "NaN" : "infinite");
	if (!(s = fl__calloc(1, sizeof *s, "failure summary")))
		return FL_ENOMEM;
	s->n = n;
	s->failure = failure;
	s->min = n ? failure[0] : 0;
	s->max = s->min;
	s->e = fl__failure_exponent(failure, n);
	s->scale = fl__failure_scale(s->e);
	for (int64_t i = 0; i < n; i++) {
		s->total += failure[i] * s->scale;
		s->min = fmin(s->min, failure[i]);
		s->max = fmax(s->max, failure[i]);
	}
	s->binary = fl_failure_is_binary(failure, n);
	if (!s->binary && (rc = rank_signal(s)) != 0)
		goto fail;
	*out = s;
	return 0;
fail:
	fl_failure_summary_free(s);
	return rc;
}

void fl_failure_summary_free(fl_failure_summary *s)
{
	if (!s)
		return;
	free(s->ranks);
	free(s);
}

int fl_failure_summary_binary(const fl_failure_summary *s)
{
	return s->binary;
}

double fl_failure_summary_mean(const fl_failure_summary *s)
{
	return s->n ? ldexp(s->total / (double)s->n, s->e) : NAN;
}

/* one-sided Mann-Whitney p-value for "members rank higher than the rest" */
static double mann_whitney_greater(const fl_failure_summary *s, double rank_sum, int64_t m)
{
	double N = (double)s->n, m1 = (double)m, m2 = N - m1;
	double u = rank_sum - m1 * (m1 + 1) / 2;
	double var = m1 * m2 / 12 * ((N + 1) - s->tie_term / (N * (N - 1)));

	/* var == 0: an empty slice, everything, or a constant signal */
	if (m == 0 || m == s->n || !(var > 0))
		return 1.0;
	double z = (u - m1 * m2 / 2 - 0.5) / sqrt(var);
	return fmin(1.0, 0.5 * erfc(z / sqrt(2.0)));
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int fl_slice_stats_compute(fl_slice_stats *out, const fl_failure_summary *s,
			   const int64_t *members, int64_t n_members)
{
	int64_t n, m = n_members, *sorted = NULL;
	double sum = 0, rank_sum = 0, mean_all;
	int in_order = 1;

	if (!out || !s || m < 0 || (m > 0 && !members))
		return fl__error(FL_EINVAL, "slice statistics: invalid arguments");
	n = s->n;
	if (m > n)
		return fl__error(FL_EINVAL, "slice statistics: %lld members but only %lld rows",
				 (long long)m, (long long)n);
	for (int64_t j = 0; j < m; j++) {
		int64_t r = members[j];
		if (r < 0 || r >= n)
			return fl__error(FL_EINVAL, "slice statistics: member %lld: row %lld outside [0, %lld)",
					 (long long)j, (long long)r, (long long)n);
		in_order &= j == 0 || members[j - 1] < r;
	}
	/* continuous sums are rounded: taken in row order, so that one set of
	 * rows has one set of statistics, whichever method listed it (a tie
	 * between two methods' equal slices then stays a tie); 0/1 sums are
	 * exact in any order */
	if (!s->binary && !in_order) {
		if (!(sorted = fl__malloc((size_t)m * sizeof *sorted, "slice statistics")))
			return FL_ENOMEM;
		memcpy(sorted, members, (size_t)m * sizeof *sorted);
		qsort(sorted, (size_t)m, sizeof *sorted, cmp_i64);
		members = sorted;
	}
	for (int64_t j = 0; j < m; j++) {
		sum += s->failure[members[j]] * s->scale;
		if (!s->binary)
			rank_sum += s->ranks[members[j]];
	}

	mean_all = fl_failure_summary_mean(s);
	out->size = m;
	out->failure_rate = m ? ldexp(sum / (double)m, s->e) : NAN;
	out->failure_rate_outside = m < n ? ldexp((s->total - sum) / (double)(n - m), s->e) : NAN;
	out->lift = mean_all != 0 ? out->failure_rate / mean_all : NAN;
	out->ci_low = out->ci_high = NAN;
	out->p_value = 1.0;
	if (m == 0) {
		free(sorted);
		return 0;
	}

	if (s->binary) {
		/* 0/1 sums are exact integers in a double */
		int64_t k = (int64_t)llround(sum), K = (int64_t)llround(s->total);
		fl_wilson_interval(&out->ci_low, &out->ci_high, (double)k, (double)m, 1.96);
		out->p_value = fl_fisher_greater(n, K, m, k);
		return 0; /* sorted is NULL: binary */
	}

	/* continuous: normal interval, clipped to the signal's range because a
	 * mean cannot leave it (a lone member gets the whole range) */
	double mean = sum / (double)m, ss = 0; /* of failure * scale */
	for (int64_t j = 0; j < m; j++) {
		double d = s->failure[members[j]] * s->scale - mean;
		ss += d * d;
	}
	if (m > 1) {
		double half = 1.96 * sqrt(ss / (double)(m - 1) / (double)m);
		out->ci_low = fmax(s->min, ldexp(mean - half, s->e));
		out->ci_high = fmin(s->max, ldexp(mean + half, s->e));
	} else {
		out->ci_low = s->min;
		out->ci_high = s->max;
	}
	out->p_value = mann_whitney_greater(s, rank_sum, m);
	free(sorted);
	return 0;
}

double fl_slice_score(const fl_slice_stats *st, double overall)
{
	return overall > 0 ? st->ci_low / overall : st->ci_low - overall;
}

/* 0.2% of the rows: a slice any smaller is rarely worth a look on large
 * sets; at least 10, since an interval on fewer members says little. */
int64_t fl__auto_min_size(int64_t n, int64_t min_size)
{
	int64_t m;

	if (min_size)
		return min_size;
	m = (int64_t)ceil(0.002 * (double)n);
	return m < 10 ? 10 : m;
}
