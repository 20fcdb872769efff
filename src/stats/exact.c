/*
 * Statistics on counts: the Wilson score interval of a binomial rate and
 * the one-sided Fisher exact test, P(X >= k) for X ~ Hypergeometric(N, K, n).
 *
 * The hypergeometric pmf is evaluated as three binomial pmfs (as in R's
 * dhyper), each with Loader's saddle-point form ("Fast and accurate
 * computation of binomial probabilities", C. Loader, 2000): log-factorials
 * are split into Stirling's approximation, whose large terms cancel
 * analytically in the deviance bd0(), and a small correction stirlerr().
 * Subtracting lgamma() values instead loses about 1e-7 of relative accuracy
 * at N = 1e7 (lgamma(1e7) ~ 1.5e8, ulp ~ 3e-8), and glibc's lgamma writes the
 * global signgam, so it is not thread-safe. Only the first term of the tail
 * is evaluated this way; the rest follow from the exact ratio of successive
 * terms, summed relative to the first so that nothing underflows early.
 */
#include "common/internal.h"

#include <math.h>

#define LN_SQRT_2PI 0.918938533204672741780329736406
#define LN_2PI 1.837877066409345483560659472811

void fl_wilson_interval(double *lo, double *hi, double k, double n, double z)
{
	if (!(n > 0)) { /* no trials: no information */
		*lo = 0.0;
		*hi = 1.0;
		return;
	}
	double z2 = z * z;
	double center = (k + z2 / 2) / (n + z2);
	double half = z / (n + z2) * sqrt(k * (n - k) / n + z2 / 4);

	/* at k = 0 or k = n the bound is exactly 0 or 1; rounding must not
	 * leave a positive lower bound on a slice with no failure */
	*lo = k <= 0 ? 0.0 : fmax(0.0, center - half);
	*hi = k >= n ? 1.0 : fmin(1.0, center + half);
}

/* log(n!) - log(sqrt(2 pi n) (n/e)^n) for an integer n >= 1 */
static double stirlerr(double n)
{
	if (n <= 15) {
		double f = 1; /* n! is exact in a double up to 18! */

		for (int i = 2; i <= (int)n; i++)
			f *= i;
		return log(f) - (n + 0.5) * log(n) + n - LN_SQRT_2PI;
	}
	/* asymptotic series; the next term is below 1e-17 for n > 15 */
	double nn = n * n;
	return (1.0 / 12 - (1.0 / 360 - (1.0 / 1260 - (1.0 / 1680 - 1.0 / 1188 / nn) / nn) / nn) / nn) / n;
}

/* deviance x log(x / np) + np - x, by its series when x is close to np
 * (where the direct form cancels catastrophically) */
static double bd0(double x, double np)
{
	if (fabs(x - np) < 0.1 * (x + np)) {
		double v = (x - np) / (x + np), v2 = v * v;
		double s = (x - np) * v, ej = 2 * x * v;

		for (int j = 1; j < 1000; j++) {
			ej *= v2;
			double s1 = s + ej / (2 * j + 1);
			if (s1 == s)
				break;
			s = s1;
		}
		return s;
	}
	return x * log(x / np) + np - x;
}

/* log of the Binomial(n, p) pmf at x, q = 1 - p */
static double log_dbinom(double x, double n, double p, double q)
{
	if (x == 0)
		return n == 0 ? 0 : (p < 0.1 ? -bd0(n, n * q) - n * p : n * log(q));
	if (x == n)
		return q < 0.1 ? -bd0(n, n * p) - n * q : n * log(p);
	double lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(x, n * p) - bd0(n - x, n * q);
	return lc - 0.5 * (LN_2PI + log(x) + log1p(-x / n));
}

/* log P(X = x), X ~ Hypergeometric(N, K, n), for 0 < n < N and x in the support */
static double log_dhyper(double x, double N, double K, double n)
{
	double p = n / N, q = (N - n) / N;

	return log_dbinom(x, K, p, q) + log_dbinom(n - x, N - K, p, q) - log_dbinom(n, N, p, q);
}

double fl_fisher_greater(int64_t N, int64_t K, int64_t n, int64_t k)
{
	if (N < 0 || K < 0 || K > N || n < 0 || n > N)
		return NAN;
	int64_t lo = n + K - N > 0 ? n + K - N : 0, hi = n < K ? n : K;
	if (k <= lo)
		return 1.0;
	if (k > hi)
		return 0.0;

	/* lo < k <= hi implies 0 < n < N and 0 < K < N */
	double dN = (double)N, dK = (double)K, dn = (double)n;
	double mode = floor((dn + 1) * (dK + 1) / (dN + 2));
	double rest = dN - dK - dn; /* N - K - n, may be negative */
	/* terms shrink away from the mode and the ratio of successive terms
	 * shrinks too (the pmf is log-concave), so the remaining tail after a
	 * term t with ratio r is below t r / (1 - r): stop when that is
	 * negligible. Sum from k upward when k is past the mode; otherwise the
	 * upper tail is large and 1 - P(X <= k-1), summed downward, is as exact. */
	double t = 1, s = 1;
	if ((double)k > mode) {
		for (double x = (double)k; x < (double)hi; x++) {
			double r = (dK - x) * (dn - x) / ((x + 1) * (rest + x + 1));
			t *= r;
			s += t;
			if (t * r < 1e-17 * s * (1 - r))
				break;
		}
		double p = exp(log_dhyper((double)k, dN, dK, dn) + log(s));
		return fmin(1.0, p);
	}
	for (double x = (double)(k - 1); x > (double)lo; x--) {
		double r = x * (rest + x) / ((dK - x + 1) * (dn - x + 1));
		t *= r;
		s += t;
		if (t * r < 1e-17 * s * (1 - r))
			break;
	}
	double below = exp(log_dhyper((double)(k - 1), dN, dK, dn) + log(s));
	return fmax(0.0, fmin(1.0, 1.0 - below));
}
