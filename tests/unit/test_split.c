/* Holdout split (stratified, seeded) and Benjamini-Hochberg adjustment
 * against a brute-force definition. */
#include "faultline.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

/* min over j with p_j >= p_i of p_j m / rank_j, by brute force */
static double bh_ref(const double *p, int64_t m, int64_t i)
{
	double best = 1.0;

	for (int64_t j = 0; j < m; j++) {
		int64_t rank = 0;

		if (p[j] < p[i])
			continue;
		for (int64_t t = 0; t < m; t++)
			rank += p[t] < p[j] || (p[t] == p[j] && t <= j);
		if (p[j] * (double)m / (double)rank < best)
			best = p[j] * (double)m / (double)rank;
	}
	return best;
}

int main(void)
{
	uint64_t st = check_seed(11);
	enum { N = 1001 };
	double f[N], g[N], p[40], adj[40];
	uint8_t h[N], h2[N];
	int64_t fail_h = 0, fail_d = 0, n_h = 0;
	double sum_h = 0, sum_d = 0;

	for (int i = 0; i < N; i++) {
		f[i] = check_uniform(&st) < 0.1;
		g[i] = check_uniform(&st) * 3.0;
	}
	CHECK_RC(fl_split_holdout(h, f, N, 5), FL_OK);
	for (int i = 0; i < N; i++) {
		n_h += h[i];
		fail_h += h[i] && f[i] > 0;
		fail_d += !h[i] && f[i] > 0;
	}
	CHECK(n_h == N / 2 || n_h == N / 2 + 1);
	CHECK(llabs(fail_h - fail_d) <= 1);           /* stratified to the row */
	CHECK_RC(fl_split_holdout(h2, f, N, 5), FL_OK);
	CHECK(memcmp(h, h2, N) == 0);                 /* deterministic */
	CHECK_RC(fl_split_holdout(h2, f, N, 6), FL_OK);
	CHECK(memcmp(h, h2, N) != 0);                 /* seeded */

	/* continuous: the halves' means agree closely (paired by rank) */
	CHECK_RC(fl_split_holdout(h, g, N, 1), FL_OK);
	n_h = 0;
	for (int i = 0; i < N; i++) {
		if (h[i])
			sum_h += g[i], n_h++;
		else
			sum_d += g[i];
	}
	CHECK(fabs(sum_h / (double)n_h - sum_d / (double)(N - n_h)) < 0.02);

	/* BH against its definition, with ties and a NaN */
	for (int t = 0; t < 20; t++) {
		for (int i = 0; i < 40; i++)
			p[i] = check_uniform(&st) < 0.3 ? 0.001 * (double)(check_rand(&st) % 5) :
							 check_uniform(&st);
		p[7] = NAN;
		CHECK_RC(fl_bh_adjust(adj, p, 40), FL_OK);
		p[7] = 1.0;
		for (int i = 0; i < 40; i++)
			CHECK_NEAR(adj[i], bh_ref(p, 40, i), 1e-12);
	}
	CHECK_RC(fl_bh_adjust(NULL, p, 3), FL_EINVAL);
	return check_done();
}
