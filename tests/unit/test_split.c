/* Holdout split (stratified, seeded; by groups) and Benjamini-Hochberg
 * adjustment against a brute-force definition. */
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

/* Planted groups for the grouped split: n rows in groups of 1..max_size
 * rows, the rows of a group scattered (a shuffle), each group's code its
 * first row; a group fails with its own rate (binary) or shifts its
 * rows' failure (continuous). */
static void plant_groups(int64_t *group, double *f, int64_t n, int max_size, int binary,
			 uint64_t *st)
{
	int64_t *perm = malloc((size_t)n * sizeof *perm);

	for (int64_t i = 0; i < n; i++)
		perm[i] = i;
	for (int64_t i = n - 1; i > 0; i--) {
		int64_t j = (int64_t)(check_rand(st) % (uint64_t)(i + 1)), t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (int64_t i = 0; i < n;) {
		int64_t size = 1 + (int64_t)(check_rand(st) % (uint64_t)max_size), first = n;
		double rate = check_uniform(st) < 0.2 ? 0.8 : 0.05, shift = 3 * check_uniform(st);

		for (int64_t j = i; j < i + size && j < n; j++)
			first = perm[j] < first ? perm[j] : first;
		for (int64_t j = i; j < i + size && j < n; j++) {
			group[perm[j]] = first;
			f[perm[j]] = binary ? (double)(check_uniform(st) < rate) : shift + check_uniform(st);
		}
		i += size;
	}
	free(perm);
}

/* The grouped split's promises on one planted data set: no group in both
 * halves; rows and failure within the largest group's of half. */
static void check_grouped(const int64_t *group, const double *f, int64_t n, int binary,
			  uint64_t seed)
{
	uint8_t *h = malloc((size_t)n), *h2 = malloc((size_t)n);
	int64_t *side = malloc((size_t)n * sizeof *side), *size = calloc((size_t)n, sizeof *size);
	double *fail = calloc((size_t)n, sizeof *fail), max_fail = 0, fail_h = 0, total = 0;
	int64_t max_size = 0, n_h = 0, straddle = 0;

	CHECK_RC(fl_split_holdout_grouped(h, f, group, n, seed), FL_OK);
	for (int64_t i = 0; i < n; i++)
		side[i] = -1;
	for (int64_t i = 0; i < n; i++) {
		int64_t g = group[i];

		straddle += side[g] >= 0 && side[g] != h[i];
		side[g] = h[i];
		size[g]++;
		fail[g] += f[i];
		n_h += h[i];
		fail_h += h[i] ? f[i] : 0;
		total += f[i];
	}
	for (int64_t g = 0; g < n; g++) {
		max_size = size[g] > max_size ? size[g] : max_size;
		max_fail = fail[g] > max_fail ? fail[g] : max_fail;
	}
	CHECK_EQ_INT(straddle, 0);
	CHECK(fabs((double)n_h - 0.5 * (double)n) <= (double)max_size);
	if (binary)
		CHECK(fabs(fail_h - 0.5 * total) <= max_fail);
	else /* the halves' mean failure, closely */
		CHECK(fabs(fail_h / (double)n_h - (total - fail_h) / (double)(n - n_h)) < 0.1);
	CHECK_RC(fl_split_holdout_grouped(h2, f, group, n, seed), FL_OK);
	CHECK(memcmp(h, h2, (size_t)n) == 0);         /* deterministic */
	CHECK_RC(fl_split_holdout_grouped(h2, f, group, n, seed + 1), FL_OK);
	CHECK(memcmp(h, h2, (size_t)n) != 0);         /* seeded */
	free(h);
	free(h2);
	free(side);
	free(size);
	free(fail);
}

static void test_grouped(uint64_t *st)
{
	enum { N = 3001 };
	static int64_t group[N];
	static double f[N];
	static uint8_t h[N];
	int64_t n_h = 0, fail_h = 0, fail_all = 0, held[2] = {0, 0};

	for (int t = 0; t < 12; t++) {
		int binary = t % 3 != 2, max_size = t < 6 ? 8 : 40;

		plant_groups(group, f, N, max_size, binary, st);
		check_grouped(group, f, N, binary, (uint64_t)t);
	}
	/* groups of one row: as stratified as fl_split_holdout */
	for (int64_t i = 0; i < N; i++) {
		group[i] = i;
		f[i] = check_uniform(st) < 0.1;
	}
	CHECK_RC(fl_split_holdout_grouped(h, f, group, N, 3), FL_OK);
	for (int64_t i = 0; i < N; i++) {
		n_h += h[i];
		fail_h += h[i] && f[i] > 0;
		fail_all += f[i] > 0;
	}
	CHECK(llabs(2 * n_h - N) <= 2);
	CHECK(llabs(2 * fail_h - fail_all) <= 2);
	/* each group is held out with probability 1/2: over 400 seeds, a group
	 * of 30 rows and one of 1 (4 standard deviations: 0.1) */
	plant_groups(group, f, 300, 8, 1, st);
	for (int64_t i = 0; i < 30; i++)
		group[i] = 0;
	group[30] = 30;
	for (uint64_t seed = 0; seed < 400; seed++) {
		CHECK_RC(fl_split_holdout_grouped(h, f, group, 300, seed), FL_OK);
		held[0] += h[0];
		held[1] += h[30];
	}
	CHECK(held[0] > 160 && held[0] < 240);
	CHECK(held[1] > 160 && held[1] < 240);
	/* two groups: one in each half; one group: all in one half */
	for (int64_t i = 0; i < 10; i++) {
		group[i] = i < 7 ? 0 : 7;
		f[i] = i % 2;
	}
	for (uint64_t seed = 0; seed < 20; seed++) {
		CHECK_RC(fl_split_holdout_grouped(h, f, group, 10, seed), FL_OK);
		CHECK(h[0] != h[9]);
	}
	memset(group, 0, 10 * sizeof *group);
	CHECK_RC(fl_split_holdout_grouped(h, f, group, 10, 1), FL_OK);
	for (int64_t i = 1; i < 10; i++)
		CHECK(h[i] == h[0]);
	CHECK_RC(fl_split_holdout_grouped(h, f, group, 0, 1), FL_OK);
	group[3] = 10;
	CHECK_RC(fl_split_holdout_grouped(h, f, group, 10, 1), FL_EINVAL);
	group[3] = -1;
	CHECK_RC(fl_split_holdout_grouped(h, f, group, 10, 1), FL_EINVAL);
	CHECK_RC(fl_split_holdout_grouped(h, f, NULL, 10, 1), FL_EINVAL);
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

	test_grouped(&st);

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
