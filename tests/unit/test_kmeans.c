/*
 * k-means against a slow double-precision Lloyd from the same start, plus
 * properties: inertia never increases, bit-identical results for 1 and 2
 * threads, edge cases (k = 1, k = n, duplicates, an empty cluster) and
 * argument checks.
 */
#include "check.h"
#include "cluster/kmeans_internal.h"

#include <string.h>

/* n x d: `c` Gaussian blobs, centres N(0, sep^2), unit noise; truth may be NULL */
static float *blobs(int64_t n, int64_t d, int c, double sep, uint64_t *st, int32_t *truth)
{
	float *x = malloc((size_t)(n * d) * sizeof(float));
	double *mu = malloc((size_t)(c * d) * sizeof(double));

	for (int64_t l = 0; l < c * d; l++)
		mu[l] = sep * (2 * check_uniform(st) - 1);
	for (int64_t i = 0; i < n; i++) {
		int g = (int)(i % c);
		for (int64_t l = 0; l < d; l++) {
			/* sum of 4 uniforms: a cheap bell shape with variance 1/3 */
			double z = 0;
			for (int q = 0; q < 4; q++)
				z += check_uniform(st) - 0.5;
			x[i * d + l] = (float)(mu[g * d + l] + 1.7 * z);
		}
		if (truth)
			truth[i] = g;
	}
	free(mu);
	return x;
}

/* Reference: plain double Lloyd from `c` until no assignment changes. */
static int ref_lloyd(double *c, int32_t *a, double *inertia, const float *x, int64_t n,
		     int64_t d, int32_t k)
{
	double *s = malloc((size_t)(k * d) * sizeof(double));
	int64_t *cnt = malloc((size_t)k * sizeof(int64_t));
	int it;

	for (int64_t i = 0; i < n; i++)
		a[i] = -1;
	for (it = 0; it < 500; it++) {
		int64_t changed = 0;
		*inertia = 0;
		memset(s, 0, (size_t)(k * d) * sizeof(double));
		memset(cnt, 0, (size_t)k * sizeof(int64_t));
		for (int64_t i = 0; i < n; i++) {
			int32_t best = 0;
			double bd = HUGE_VAL;
			for (int32_t j = 0; j < k; j++) {
				double t = 0;
				for (int64_t l = 0; l < d; l++)
					t += (x[i * d + l] - c[j * d + l]) * (x[i * d + l] - c[j * d + l]);
				if (t < bd)
					bd = t, best = j;
			}
			changed += a[i] != best;
			a[i] = best;
			*inertia += bd;
			cnt[best]++;
			for (int64_t l = 0; l < d; l++)
				s[best * d + l] += x[i * d + l];
		}
		if (!changed)
			break;
		for (int32_t j = 0; j < k; j++)
			for (int64_t l = 0; l < d && cnt[j]; l++)
				c[j * d + l] = s[j * d + l] / (double)cnt[j];
	}
	free(s);
	free(cnt);
	return it;
}

static void test_reference(uint64_t *st)
{
	int64_t n = 3000, d = 24;
	int32_t k = 6;
	float *x = blobs(n, d, 8, 1.0, st, NULL); /* 8 overlapping blobs, 6 centres: many steps */
	float init[6 * 24], cen[6 * 24];
	double ref[6 * 24], in, rin;
	int32_t *a = malloc((size_t)n * sizeof(int32_t)), *ra = malloc((size_t)n * sizeof(int32_t)), it;
	fl_km_data data = {x, n, d, d, NULL, 0, NULL, NULL, 0};
	fl_kmeans_opts o = FL_KMEANS_OPTS_INIT;

	for (int32_t j = 0; j < k; j++)
		for (int64_t l = 0; l < d; l++)
			ref[j * d + l] = init[j * d + l] = x[(j * 97) * d + l];
	o.k = k;
	o.max_iter = 500;
	o.tol = 0;
	CHECK_RC(fl_kmeans__fit(cen, a, &in, &it, &data, &o, init), 0);
	int rit = ref_lloyd(ref, ra, &rin, x, n, d, k);
	printf("reference: %d iterations here, %d in double\n", it, rit);
	CHECK(rit > 3); /* the test means something only if Lloyd had to move */
	int64_t same = 0;
	for (int64_t i = 0; i < n; i++)
		same += a[i] == ra[i];
	CHECK_EQ_INT(same, n);
	double worst = 0;
	for (int64_t l = 0; l < k * d; l++) {
		double e = fabs(cen[l] - ref[l]) / fmax(1.0, fabs(ref[l]));
		worst = e > worst ? e : worst;
	}
	printf("reference: worst centroid error %.3g, inertia %.9g vs %.9g\n", worst, in, rin);
	CHECK(worst < 1e-4);
	CHECK_NEAR(in, rin, 1e-4);
	free(x);
	free(a);
	free(ra);
}

/* Each max_iter = t run is a prefix of the t + 1 run (same seed), so the
 * inertias it returns are the inertia after every update. */
static void test_monotone(uint64_t *st)
{
	int64_t n = 4000, d = 10;
	float *x = blobs(n, d, 12, 2.0, st, NULL);
	float cen[9 * 10], init[9 * 10];
	fl_kmeans_opts o = FL_KMEANS_OPTS_INIT;
	fl_km_data data = {x, n, d, d, NULL, 0, NULL, NULL, 0};
	double prev = HUGE_VAL, in;
	int increases = 0;

	o.k = 9;
	o.n_init = 1;
	o.tol = 0;
	o.seed = 7;
	for (int32_t t = 0; t <= 25; t++) {
		o.max_iter = t;
		CHECK_RC(fl_kmeans_fit(cen, NULL, &in, x, n, d, d, &o), 0);
		increases += in > prev * (1 + 1e-6);
		prev = in;
	}
	CHECK_EQ_INT(increases, 0);

	/* a centre far away owns no row: the empty cluster is re-seeded */
	int32_t *a = malloc((size_t)n * sizeof(int32_t)), it;
	int64_t cnt[9] = {0};
	for (int64_t l = 0; l < 9 * d; l++)
		init[l] = x[(l / d) * 31 * d + l % d];
	for (int64_t l = 0; l < d; l++)
		init[4 * d + l] = 1000.0f;
	prev = HUGE_VAL;
	increases = 0;
	for (int32_t t = 0; t <= 10; t++) {
		o.max_iter = t;
		CHECK_RC(fl_kmeans__fit(cen, a, &in, &it, &data, &o, init), 0);
		increases += in > prev * (1 + 1e-6);
		prev = in;
	}
	CHECK_EQ_INT(increases, 0);
	for (int64_t i = 0; i < n; i++)
		cnt[a[i]]++;
	for (int j = 0; j < 9; j++)
		CHECK(cnt[j] > 0);
	CHECK(cen[4 * d] < 100.0f);
	free(a);
	free(x);
}

static void test_threads(uint64_t *st)
{
	int64_t n = 20000, d = 40; /* 7 blocks of 3276 rows */
	float *x = blobs(n, d, 10, 2.0, st, NULL);
	float c1[10 * 40], c2[10 * 40];
	int32_t *a1 = malloc((size_t)n * sizeof(int32_t)), *a2 = malloc((size_t)n * sizeof(int32_t));
	double i1, i2;
	fl_kmeans_opts o = FL_KMEANS_OPTS_INIT;

	o.k = 10;
	o.seed = 3;
	o.threads = 1;
	CHECK_RC(fl_kmeans_fit(c1, a1, &i1, x, n, d, d, &o), 0);
	o.threads = 2;
	CHECK_RC(fl_kmeans_fit(c2, a2, &i2, x, n, d, d, &o), 0);
	CHECK(memcmp(c1, c2, sizeof c1) == 0);
	CHECK(memcmp(a1, a2, (size_t)n * sizeof(int32_t)) == 0);
	CHECK(memcmp(&i1, &i2, sizeof i1) == 0);
	o.threads = 3;
	CHECK_RC(fl_kmeans_fit(c2, a2, &i2, x, n, d, d, &o), 0);
	CHECK(memcmp(c1, c2, sizeof c1) == 0);

	/* the same rows with a leading dimension > d give the same bits */
	float *xp = calloc((size_t)(n * (d + 3)), sizeof(float));
	for (int64_t i = 0; i < n; i++)
		memcpy(xp + i * (d + 3), x + i * d, (size_t)d * sizeof(float));
	CHECK_RC(fl_kmeans_fit(c2, a2, &i2, xp, n, d, d + 3, &o), 0);
	CHECK(memcmp(c1, c2, sizeof c1) == 0);

	/* fl_kmeans_assign reproduces the fit's assignment and distances */
	float *dist2 = malloc((size_t)n * sizeof(float));
	CHECK_RC(fl_kmeans_assign(a2, dist2, x, n, d, d, c1, 10, 2), 0);
	CHECK(memcmp(a1, a2, (size_t)n * sizeof(int32_t)) == 0);
	double sum = 0, worst = 0;
	for (int64_t i = 0; i < n; i++) {
		double t = 0;
		for (int64_t l = 0; l < d; l++)
			t += (x[i * d + l] - c1[a1[i] * d + l]) * (double)(x[i * d + l] - c1[a1[i] * d + l]);
		sum += t;
		worst = fmax(worst, fabs(dist2[i] - t) / t);
	}
	CHECK(worst < 1e-3);
	CHECK_NEAR(i1, sum, 1e-4);
	free(dist2);
	free(xp);
	free(x);
	free(a1);
	free(a2);
}

/* A row subset, normalised on the fly, equals clustering an explicit copy. */
static void test_rows_normalize(uint64_t *st)
{
	int64_t n = 3000, d = 12, m = 0;
	float *x = blobs(n, d, 5, 4.0, st, NULL), *y = malloc((size_t)(n * d) * sizeof(float));
	int64_t *rows = malloc((size_t)n * sizeof(int64_t));
	float c1[5 * 12], c2[5 * 12];
	int32_t a1[3000], a2[3000];
	fl_kmeans_opts o = FL_KMEANS_OPTS_INIT;

	for (int64_t i = 0; i < n; i += 1 + (i % 3)) {
		double s = 0;
		for (int64_t l = 0; l < d; l++)
			s += (double)x[i * d + l] * x[i * d + l];
		for (int64_t l = 0; l < d; l++)
			y[m * d + l] = x[i * d + l] * (float)(1.0 / sqrt(s)); /* as the solver does */
		rows[m++] = i;
	}
	fl_km_data sub = {x, m, d, d, rows, 1, NULL, NULL, 0}, dense = {y, m, d, d, NULL, 0, NULL, NULL, 0};
	o.k = 5;
	CHECK_RC(fl_kmeans__fit(c1, a1, NULL, NULL, &sub, &o, NULL), 0);
	CHECK_RC(fl_kmeans__fit(c2, a2, NULL, NULL, &dense, &o, NULL), 0);
	CHECK(memcmp(c1, c2, sizeof c1) == 0);
	CHECK(memcmp(a1, a2, (size_t)m * sizeof(int32_t)) == 0);
	free(x);
	free(y);
	free(rows);
}

static void test_edges(uint64_t *st)
{
	int64_t n = 500, d = 6;
	float *x = blobs(n, d, 3, 5.0, st, NULL), c[20 * 6];
	int32_t a[500];
	double in, mean[6] = {0}, sse = 0;
	fl_kmeans_opts o = FL_KMEANS_OPTS_INIT;

	/* k = 1: the centroid is the mean, the inertia the total sum of squares */
	o.k = 1;
	CHECK_RC(fl_kmeans_fit(c, a, &in, x, n, d, d, &o), 0);
	for (int64_t i = 0; i < n; i++)
		for (int64_t l = 0; l < d; l++)
			mean[l] += x[i * d + l] / (double)n;
	for (int64_t i = 0; i < n; i++)
		for (int64_t l = 0; l < d; l++)
			sse += (x[i * d + l] - mean[l]) * (x[i * d + l] - mean[l]);
	for (int64_t l = 0; l < d; l++)
		CHECK_NEAR(c[l], mean[l], 1e-5);
	CHECK_NEAR(in, sse, 1e-5);
	int zero = 1;
	for (int64_t i = 0; i < n; i++)
		zero &= a[i] == 0;
	CHECK(zero);

	/* k = n: every row its own cluster, inertia 0 */
	o.k = 20;
	CHECK_RC(fl_kmeans_fit(c, a, &in, x, 20, d, d, &o), 0);
	int seen[20] = {0}, distinct = 0;
	for (int i = 0; i < 20; i++)
		distinct += !seen[a[i]]++;
	CHECK_EQ_INT(distinct, 20);
	CHECK(in < 1e-6);

	/* duplicates: 3 distinct points repeated; k = 3 finds them, k = 5 copes */
	float dup[60 * 6];
	for (int i = 0; i < 60; i++)
		memcpy(dup + i * d, x + (i % 3) * d, (size_t)d * sizeof(float));
	o.k = 3;
	CHECK_RC(fl_kmeans_fit(c, a, &in, dup, 60, d, d, &o), 0);
	CHECK(in < 1e-6);
	int ok = 1;
	for (int i = 0; i < 60; i++)
		for (int64_t l = 0; l < d; l++)
			ok &= fabsf(c[a[i] * d + l] - dup[i * d + l]) <= 1e-5f * fmaxf(1, fabsf(dup[i * d + l]));
	CHECK(ok);
	o.k = 5;
	CHECK_RC(fl_kmeans_fit(c, a, &in, dup, 60, d, d, &o), 0);
	CHECK(in < 1e-6);
	free(x);
}

/* Well-separated blobs come back exactly, up to a relabelling. */
static void test_blobs(uint64_t *st)
{
	int64_t n = 2000, d = 16;
	int32_t truth[2000], a[2000], map[5];
	float *x = blobs(n, d, 5, 20.0, st, truth), c[5 * 16];
	fl_kmeans_opts o = FL_KMEANS_OPTS_INIT;

	o.k = 5;
	o.seed = 11;
	CHECK_RC(fl_kmeans_fit(c, a, NULL, x, n, d, d, &o), 0);
	for (int g = 0; g < 5; g++)
		map[g] = a[g]; /* rows 0..4 belong to blobs 0..4 */
	int64_t agree = 0;
	for (int64_t i = 0; i < n; i++)
		agree += a[i] == map[truth[i]];
	CHECK_EQ_INT(agree, n);
	free(x);
}

static void test_invalid(void)
{
	float x[40] = {0}, c[40];
	int32_t a[10];
	fl_kmeans_opts o = FL_KMEANS_OPTS_INIT;

	o.k = 0;
	CHECK_RC(fl_kmeans_fit(c, a, NULL, x, 10, 4, 4, &o), FL_EINVAL);
	o.k = 11;
	CHECK_RC(fl_kmeans_fit(c, a, NULL, x, 10, 4, 4, &o), FL_EINVAL);
	o.k = 2;
	CHECK_RC(fl_kmeans_fit(c, a, NULL, x, 10, 0, 4, &o), FL_EINVAL);
	CHECK_RC(fl_kmeans_fit(c, a, NULL, x, 10, 4, 3, &o), FL_EINVAL);
	CHECK_RC(fl_kmeans_fit(c, a, NULL, NULL, 10, 4, 4, &o), FL_EINVAL);
	CHECK_RC(fl_kmeans_fit(NULL, a, NULL, x, 10, 4, 4, &o), FL_EINVAL);
	o.n_init = 0;
	CHECK_RC(fl_kmeans_fit(c, a, NULL, x, 10, 4, 4, &o), FL_EINVAL);
	o.n_init = 1;
	o.tol = -1;
	CHECK_RC(fl_kmeans_fit(c, a, NULL, x, 10, 4, 4, &o), FL_EINVAL);
	o.tol = NAN;
	CHECK_RC(fl_kmeans_fit(c, a, NULL, x, 10, 4, 4, &o), FL_EINVAL);
	o.tol = 0;
	o.threads = -1;
	CHECK_RC(fl_kmeans_fit(c, a, NULL, x, 10, 4, 4, &o), FL_EINVAL);
	o.threads = 0;
	o.version = 99;
	CHECK_RC(fl_kmeans_fit(c, a, NULL, x, 10, 4, 4, &o), FL_EINVAL);
	CHECK(fl_last_error()[0] != '\0');
	CHECK_RC(fl_kmeans_assign(a, NULL, x, 10, 4, 4, c, 0, 0), FL_EINVAL);
	CHECK_RC(fl_kmeans_assign(NULL, NULL, x, 10, 4, 4, c, 2, 0), FL_EINVAL);
	CHECK_RC(fl_kmeans_assign(a, NULL, x, 10, 4, 2, c, 2, 0), FL_EINVAL);
	CHECK_RC(fl_kmeans_assign(a, NULL, x, 0, 4, 4, c, 2, 0), 0);
}

int main(void)
{
	uint64_t st = check_seed(20240611);

	test_reference(&st);
	test_monotone(&st);
	test_threads(&st);
	test_rows_normalize(&st);
	test_edges(&st);
	test_blobs(&st);
	test_invalid();
	return check_done();
}
