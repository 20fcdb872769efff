/*
 * Slice statistics against slow, obviously-correct references: Fisher's
 * exact test vs. exact binomial coefficients (small tables) and vs. a
 * long-double lgamma sum (large tables); Wilson vs. its textbook closed
 * form; Mann-Whitney vs. an O(n m) pair count. Then properties: a slice of
 * the worst rows has a tiny p, random slices have roughly uniform p-values.
 * The covering's excess bounds: Agresti-Caffo's and Welch's by their
 * formulas, the widest one for a binary signal by its own.
 */
#include "check.h"
#include "faultline.h"
#include "stats/stats_internal.h"

#include <string.h>

/* relative error |a - b| <= tol |b| (CHECK_NEAR is absolute below 1) */
#define CHECK_REL(a, b, tol) do { \
	double ra_ = (a), rb_ = (b); \
	if (fabs(ra_ - rb_) <= (tol) * fabs(rb_)) check_passed++; \
	else { check_failed++; fprintf(stderr, "%s:%d: %s ~ %s failed: %.17g vs %.17g (rel %g)\n", \
		__FILE__, __LINE__, #a, #b, ra_, rb_, (double)(tol)); } \
} while (0)

/* C(n, k) by products; exact while it fits in a long double mantissa (N <= 60) */
static long double choose_exact(int64_t n, int64_t k)
{
	long double c = 1;

	if (k < 0 || k > n)
		return 0;
	for (int64_t i = 0; i < k; i++)
		c = c * (long double)(n - i) / (long double)(i + 1);
	return c;
}

static double fisher_brute(int64_t N, int64_t K, int64_t n, int64_t k)
{
	long double s = 0;

	for (int64_t x = k < 0 ? 0 : k; x <= n; x++)
		s += choose_exact(K, x) * choose_exact(N - K, n - x);
	return (double)(s / choose_exact(N, n));
}

static long double lpmf_ld(int64_t N, int64_t K, int64_t n, int64_t x)
{
	return lgammal(K + 1.0L) - lgammal(x + 1.0L) - lgammal(K - x + 1.0L)
	     + lgammal(N - K + 1.0L) - lgammal(n - x + 1.0L) - lgammal(N - K - n + x + 1.0L)
	     - lgammal(N + 1.0L) + lgammal(n + 1.0L) + lgammal(N - n + 1.0L);
}

/* every term from lgammal, no recurrences; the smaller tail is summed */
static double fisher_ld(int64_t N, int64_t K, int64_t n, int64_t k)
{
	int64_t lo = n + K - N > 0 ? n + K - N : 0, hi = n < K ? n : K;
	double mode = floor(((double)n + 1) * ((double)K + 1) / ((double)N + 2));
	long double s = 0;

	if (k <= lo)
		return 1;
	if (k > hi)
		return 0;
	if ((double)k > mode) {
		for (int64_t x = k; x <= hi; x++) {
			long double t = expl(lpmf_ld(N, K, n, x));
			s += t;
			if (t < 1e-25L * s)
				break;
		}
		return (double)s;
	}
	for (int64_t x = k - 1; x >= lo; x--) {
		long double t = expl(lpmf_ld(N, K, n, x));
		s += t;
		if (t < 1e-25L * s)
			break;
	}
	return (double)(1 - s);
}

static void test_fisher_known(void)
{
	/* Fisher's tea-tasting table: 3 of 4 cups right, P = 17/70 */
	CHECK_REL(fl_fisher_greater(8, 4, 4, 3), 17.0 / 70, 1e-14);
	CHECK_REL(fl_fisher_greater(8, 4, 4, 4), 1.0 / 70, 1e-14);
	CHECK(fl_fisher_greater(8, 4, 4, 0) == 1.0);
	CHECK(fl_fisher_greater(8, 4, 4, 5) == 0.0);
	CHECK(fl_fisher_greater(10, 0, 5, 0) == 1.0);       /* no failures at all */
	CHECK(fl_fisher_greater(10, 10, 5, 5) == 1.0);      /* all failures */
	CHECK(fl_fisher_greater(10, 6, 7, 3) == 1.0);       /* k at the support minimum */
	CHECK(isnan(fl_fisher_greater(10, 11, 5, 1)));      /* K > N */

	/* 1% base rate, 10% inside a 1000-row slice of 1e6: tiny but positive */
	double p = fl_fisher_greater(1000000, 10000, 1000, 100);
	CHECK(p > 0 && p < 1e-30);
	CHECK_REL(p, fisher_ld(1000000, 10000, 1000, 100), 1e-9);

	/* all 1000 members fail where half of 1e7 rows do: P = prod (K-i)/(N-i),
	 * about 9e-302, still a normal double */
	long double prod = 1;
	for (int i = 0; i < 1000; i++)
		prod *= (5000000.0L - i) / (10000000.0L - i);
	p = fl_fisher_greater(10000000, 5000000, 1000, 1000);
	CHECK(p > 1e-303 && p < 1e-300);
	CHECK_REL(p, (double)prod, 1e-10);
	/* 2^-1070 is subnormal but representable; 2^-1100 is not */
	CHECK(fl_fisher_greater(10000000, 5000000, 1070, 1070) > 0);
	CHECK(fl_fisher_greater(10000000, 5000000, 1100, 1100) == 0);
}

static void test_fisher_random(uint64_t *rng)
{
	/* small tables: every k of the support, against exact coefficients */
	for (int t = 0; t < 300; t++) {
		int64_t N = 1 + (int64_t)(check_rand(rng) % 60);
		int64_t K = (int64_t)(check_rand(rng) % (uint64_t)(N + 1));
		int64_t n = (int64_t)(check_rand(rng) % (uint64_t)(N + 1));
		for (int64_t k = -1; k <= n + 1; k++) {
			double got = fl_fisher_greater(N, K, n, k), want = fisher_brute(N, K, n, k);
			if (!(fabs(got - want) <= 1e-12 * want))
				fprintf(stderr, "fisher N=%lld K=%lld n=%lld k=%lld\n",
					(long long)N, (long long)K, (long long)n, (long long)k);
			CHECK_REL(got, want, 1e-12);
		}
	}
	/* large tables, k spread from below the mean to far in the tail */
	for (int t = 0; t < 120; t++) {
		int64_t N = 1000 + (int64_t)(check_rand(rng) % 10000000);
		int64_t K = 1 + (int64_t)(check_rand(rng) % (uint64_t)(N / 4));
		int64_t n = 1 + (int64_t)(check_rand(rng) % (uint64_t)(N / 50 + 1));
		double mean = (double)n * (double)K / (double)N, sd = sqrt(mean) + 1;
		int64_t k = (int64_t)(mean + (check_uniform(rng) * 40 - 3) * sd);
		double got = fl_fisher_greater(N, K, n, k), want = fisher_ld(N, K, n, k);
		if (!(fabs(got - want) <= 1e-9 * want))
			fprintf(stderr, "fisher N=%lld K=%lld n=%lld k=%lld\n",
				(long long)N, (long long)K, (long long)n, (long long)k);
		CHECK_REL(got, want, 1e-9);
		/* P(X >= k) + P(X <= k-1) = 1, the lower tail read off the
		 * complement: n - X ~ Hypergeometric(N, N - K, n) */
		CHECK_NEAR(got + fl_fisher_greater(N, N - K, n, n - k + 1), 1.0, 1e-12);
	}
}

static void wilson_closed_form(double k, double n, double z, double *lo, double *hi)
{
	double p = k / n, z2 = z * z;
	double c = p + z2 / (2 * n), r = z * sqrt(p * (1 - p) / n + z2 / (4 * n * n));

	*lo = (c - r) / (1 + z2 / n);
	*hi = (c + r) / (1 + z2 / n);
}

static void test_wilson(uint64_t *rng)
{
	double lo, hi, wlo, whi;

	fl_wilson_interval(&lo, &hi, 0, 10, 1.96);
	CHECK(lo == 0);
	CHECK_NEAR(hi, 3.8416 / 13.8416, 1e-12); /* z^2 / (n + z^2) = 0.2775... */
	fl_wilson_interval(&lo, &hi, 10, 10, 1.96);
	CHECK_NEAR(lo, 10 / 13.8416, 1e-12);
	CHECK(hi == 1);
	fl_wilson_interval(&lo, &hi, 5, 10, 1.96);
	CHECK_NEAR(lo, 0.236593, 1e-5);
	CHECK_NEAR(hi, 0.763407, 1e-5);
	fl_wilson_interval(&lo, &hi, 0, 0, 1.96);
	CHECK(lo == 0 && hi == 1);
	for (int t = 0; t < 200; t++) {
		double n = (double)(1 + check_rand(rng) % 100000);
		double k = floor(check_uniform(rng) * (n + 1));
		fl_wilson_interval(&lo, &hi, k, n, 1.96);
		wilson_closed_form(k, n, 1.96, &wlo, &whi);
		CHECK_NEAR(lo, fmax(0, wlo), 1e-12);
		CHECK_NEAR(hi, fmin(1, whi), 1e-12);
		CHECK(lo <= k / n && k / n <= hi);
	}
}

/* the same normal approximation, from a brute-force U and tie count */
static double mann_whitney_brute(const double *x, int64_t n, const char *in)
{
	double u = 0, ties = 0, m1 = 0;

	for (int64_t i = 0; i < n; i++) {
		double t = 0;
		for (int64_t j = 0; j < n; j++) {
			t += x[i] == x[j];
			if (in[i] && !in[j])
				u += x[i] > x[j] ? 1 : x[i] == x[j] ? 0.5 : 0;
		}
		ties += t * t - 1; /* sums to t^3 - t over each tie group */
		m1 += in[i];
	}
	double m2 = (double)n - m1, N = (double)n;
	double var = m1 * m2 / 12 * ((N + 1) - ties / (N * (N - 1)));
	if (!(var > 0))
		return 1;
	return fmin(1, 0.5 * erfc((u - m1 * m2 / 2 - 0.5) / sqrt(var) / sqrt(2.0)));
}

static void test_mann_whitney(uint64_t *rng)
{
	enum { N = 150 };
	double x[N];
	char in[N];
	int64_t members[N];

	for (int t = 0; t < 200; t++) {
		int levels = 2 + (int)(check_rand(rng) % 8); /* few levels: many ties */
		int64_t m = 0, n = 2 + (int64_t)(check_rand(rng) % (N - 1));
		double shift = check_uniform(rng);
		for (int64_t i = 0; i < n; i++) {
			in[i] = check_uniform(rng) < 0.3;
			x[i] = 0.5 * (double)(check_rand(rng) % (uint64_t)levels);
			if (in[i] && check_uniform(rng) < shift)
				x[i] += 0.5;
			if (in[i])
				members[m++] = i;
		}
		x[0] = 0.25; /* never binary */
		fl_failure_summary *s = NULL;
		fl_slice_stats st;
		CHECK_RC(fl_failure_summary_new(&s, x, n), 0);
		CHECK(!fl_failure_summary_binary(s));
		CHECK_RC(fl_slice_stats_compute(&st, s, members, m), 0);
		CHECK_NEAR(st.p_value, mann_whitney_brute(x, n, in), 1e-10);
		fl_failure_summary_free(s);
	}
}

static void make_members(int64_t *members, int64_t m, int64_t n, uint64_t *rng, int64_t *perm)
{
	/* partial Fisher-Yates: m distinct rows */
	for (int64_t i = 0; i < n; i++)
		perm[i] = i;
	for (int64_t i = 0; i < m; i++) {
		int64_t j = i + (int64_t)(check_rand(rng) % (uint64_t)(n - i));
		int64_t tmp = perm[i];
		perm[i] = perm[j];
		perm[j] = tmp;
		members[i] = perm[i];
	}
}

static int cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x < y) - (x > y);
}

static void test_properties(uint64_t *rng, int binary)
{
	enum { N = 2000 };
	static double x[N], sorted[N];
	static int64_t members[N], perm[N];
	fl_failure_summary *s = NULL;
	fl_slice_stats st;
	int small = 0;

	for (int64_t i = 0; i < N; i++)
		x[i] = binary ? check_uniform(rng) < 0.2 : floor(-log(1 - check_uniform(rng)) * 20) / 20;
	CHECK_RC(fl_failure_summary_new(&s, x, N), 0);
	CHECK_EQ_INT(fl_failure_summary_binary(s), binary);

	/* the 60 worst rows */
	memcpy(sorted, x, sizeof x);
	qsort(sorted, N, sizeof *sorted, cmp_desc);
	int64_t m = 0;
	for (int64_t i = 0; i < N && m < 60; i++)
		if (x[i] >= sorted[59])
			members[m++] = i;
	CHECK_RC(fl_slice_stats_compute(&st, s, members, m), 0);
	CHECK(st.p_value < 1e-20);
	CHECK(st.failure_rate > st.failure_rate_outside);
	CHECK(st.lift > 1);

	/* random slices: p-values roughly uniform */
	for (int t = 0; t < 200; t++) {
		m = 20 + (int64_t)(check_rand(rng) % 400);
		make_members(members, m, N, rng, perm);
		CHECK_RC(fl_slice_stats_compute(&st, s, members, m), 0);
		CHECK(st.p_value >= 0 && st.p_value <= 1);
		CHECK(st.ci_low <= st.failure_rate && st.failure_rate <= st.ci_high);
		small += st.p_value < 0.05;
	}
	printf("%s: %d of 200 random slices with p < 0.05\n", binary ? "binary" : "continuous", small);
	CHECK(small >= 2 && small <= 24);
	fl_failure_summary_free(s);
}

static void test_slice_edges(void)
{
	double bin[6] = {1, 0, 0, 1, 0, 0}, cont[5] = {0, 1, 2, 3, 10}, flat[4] = {0.3, 0.3, 0.3, 0.3};
	int64_t all[6] = {5, 4, 3, 2, 1, 0}, some[3] = {1, 2, 3}, bad[2] = {1, 6};
	fl_failure_summary *s = NULL;
	fl_slice_stats st;

	CHECK_RC(fl_failure_summary_new(&s, bin, 6), 0);
	CHECK(fl_failure_summary_binary(s));
	CHECK_NEAR(fl_failure_summary_mean(s), 1.0 / 3, 1e-15);
	CHECK_RC(fl_slice_stats_compute(&st, s, NULL, 0), 0);
	CHECK(st.size == 0 && isnan(st.failure_rate) && isnan(st.lift) && st.p_value == 1);
	CHECK_NEAR(st.failure_rate_outside, 1.0 / 3, 1e-15);
	CHECK_RC(fl_slice_stats_compute(&st, s, all, 6), 0);
	CHECK(isnan(st.failure_rate_outside) && st.p_value == 1);
	CHECK_NEAR(st.lift, 1, 1e-15);
	CHECK_RC(fl_slice_stats_compute(&st, s, all + 2, 4), 0); /* rows 3 2 1 0: 2 failures */
	CHECK_NEAR(st.failure_rate, 0.5, 1e-15);
	CHECK_NEAR(st.failure_rate_outside, 0, 1e-15);
	CHECK_NEAR(st.lift, 1.5, 1e-15);
	CHECK_REL(st.p_value, fl_fisher_greater(6, 2, 4, 2), 1e-15);
	CHECK_REL(st.p_value, 6.0 / 15, 1e-14); /* C(4,2) / C(6,4) */
	CHECK_RC(fl_slice_stats_compute(&st, s, bad, 2), FL_EINVAL);
	CHECK(strstr(fl_last_error(), "row 6") != NULL);
	CHECK_RC(fl_slice_stats_compute(&st, s, bad, -1), FL_EINVAL);
	fl_failure_summary_free(s);

	/* continuous interval: mean 2, sd 1, half-width 1.96 / sqrt(3) */
	CHECK_RC(fl_failure_summary_new(&s, cont, 5), 0);
	CHECK_RC(fl_slice_stats_compute(&st, s, some, 3), 0);
	CHECK_NEAR(st.failure_rate, 2, 1e-15);
	CHECK_NEAR(st.failure_rate_outside, 5, 1e-15);
	CHECK_NEAR(st.ci_low, 2 - 1.96 / sqrt(3), 1e-12);
	CHECK_NEAR(st.ci_high, 2 + 1.96 / sqrt(3), 1e-12);
	CHECK_RC(fl_slice_stats_compute(&st, s, all + 4, 2), 0); /* rows 1 0: clipped at min 0 */
	CHECK(st.ci_low == 0);
	CHECK_RC(fl_slice_stats_compute(&st, s, some, 1), 0);    /* one member: the whole range */
	CHECK(st.ci_low == 0 && st.ci_high == 10);
	fl_failure_summary_free(s);

	/* a constant signal carries no evidence */
	CHECK_RC(fl_failure_summary_new(&s, flat, 4), 0);
	CHECK(!fl_failure_summary_binary(s));
	CHECK_RC(fl_slice_stats_compute(&st, s, some, 2), 0);
	CHECK(st.p_value == 1);
	CHECK_NEAR(st.lift, 1, 1e-15);
	CHECK(st.ci_low == 0.3 && st.ci_high == 0.3);
	fl_failure_summary_free(s);

	/* all-zero binary signal: lift undefined, nothing significant */
	double zero[3] = {0, 0, 0};
	CHECK_RC(fl_failure_summary_new(&s, zero, 3), 0);
	CHECK_RC(fl_slice_stats_compute(&st, s, some, 2), 0);
	CHECK(isnan(st.lift) && st.p_value == 1 && st.failure_rate == 0);
	fl_failure_summary_free(s);

	/* a NaN in the signal is refused, naming the row */
	double nan_row[3] = {0.5, NAN, 1};
	s = (fl_failure_summary *)1;
	CHECK_RC(fl_failure_summary_new(&s, nan_row, 3), FL_ERANGE);
	CHECK(s == NULL);
	CHECK(strstr(fl_last_error(), "row 1") != NULL);
	fl_failure_summary_free(NULL);
}

/* The lower bounds of |in| x (rate(in) - rate(rest)) the causes' covering
 * ranks by, against their textbook formulas on random sums. */
static void test_excess_bounds(uint64_t *rng)
{
	const double z = 1.959963984540054;

	for (int t = 0; t < 200; t++) {
		double n1 = 1 + (double)(check_rand(rng) % 300), n0 = 1 + (double)(check_rand(rng) % 3000);
		double k1 = floor(check_uniform(rng) * (n1 + 1)), k0 = floor(check_uniform(rng) * (n0 + 1));
		fl__sums in = {n1, k1, k1}, all = {n1 + n0, k1 + k0, k1 + k0};
		double p1 = (k1 + 1) / (n1 + 2), p0 = (k0 + 1) / (n0 + 2);
		double ac = n1 * (p1 - p0 - z * sqrt(p1 * (1 - p1) / (n1 + 2) + p0 * (1 - p0) / (n0 + 2)));
		double wide = n1 * (k1 / n1 - k0 / n0 - z * sqrt(0.25 / n1 + 0.25 / n0));

		CHECK_NEAR(fl__excess_lcb(&in, &all, 1), ac, 1e-9 * (1 + fabs(ac)));
		CHECK_NEAR(fl__excess_lcb_sure(&in, &all, 1), wide, 1e-9 * (1 + fabs(wide)));
		/* the widest interval: below Wald's at the rates' own variance */
		CHECK(fl__excess_lcb_sure(&in, &all, 1) <=
		      n1 * (k1 / n1 - k0 / n0 - z * sqrt(k1 / n1 * (1 - k1 / n1) / n1 +
						       k0 / n0 * (1 - k0 / n0) / n0)) + 1e-9);
	}
	/* a 46-row fragment at 93% against 3000 rows at 30%: +-8 points by
	 * Agresti-Caffo, +-14 at the widest */
	fl__sums frag = {46, 43, 43}, all = {3046, 943, 943};
	double d = 43.0 / 46 - 900.0 / 3000;
	CHECK_NEAR(d - fl__excess_lcb_sure(&frag, &all, 1) / 46, 0.1462, 0.001);
	CHECK(d - fl__excess_lcb(&frag, &all, 1) / 46 < 0.11);
	/* a continuous signal: Welch's interval, the same in both */
	fl__sums c_in = {3, 1 + 2 + 4.5, 1 + 4 + 20.25}, c_all = {6, 7.5 + 0.5 + 1 + 0.25,
								  25.25 + 0.25 + 1 + 0.0625};
	double m1 = 7.5 / 3, m0 = 1.75 / 3, v1 = (25.25 - 3 * m1 * m1) / 2, v0 = (1.3125 - 3 * m0 * m0) / 2;
	CHECK_NEAR(fl__excess_lcb(&c_in, &c_all, 0), 3 * (m1 - m0 - z * sqrt(v1 / 3 + v0 / 3)), 1e-12);
	CHECK_NEAR(fl__excess_lcb_sure(&c_in, &c_all, 0), fl__excess_lcb(&c_in, &c_all, 0), 0);
	/* an empty side has no bound */
	fl__sums none = {0, 0, 0};
	CHECK(fl__excess_lcb_sure(&none, &all, 1) == 0 && fl__excess_lcb_sure(&all, &all, 1) == 0);
}

int main(void)
{
	uint64_t seed = check_seed(20240501), rng = seed;

	test_fisher_known();
	test_fisher_random(&rng);
	test_wilson(&rng);
	test_mann_whitney(&rng);
	test_properties(&rng, 1);
	test_properties(&rng, 0);
	test_slice_edges();
	test_excess_bounds(&rng);
	return check_done();
}
