/*
 * k-means discovery on synthetic data with planted slices: every planted
 * slice must be identified (best precision@10 >= 0.8, the dcbench rule) and
 * covered (best Jaccard of whole member sets, printed and bounded), on three
 * seeds. Also: determinism (same seed, 1 vs 2 threads), the candidates'
 * invariants, a continuous failure signal, random failures giving no
 * remarkable slice, and argument checks.
 */
#include "check.h"
#include "faultline.h"
#include "planted.h"

#include <math.h>
#include <string.h>

/* the invariants every candidate list must satisfy */
static void check_candidates(const fl_candidate *c, int32_t nc, const fl_failure_summary *sum,
			     int64_t n, int64_t d, int64_t min_size)
{
	int ok = 1;
	unsigned char *seen = calloc((size_t)n, 1);

	for (int32_t q = 0; q < nc; q++) {
		fl_slice_stats st;
		ok &= c[q].n_members >= min_size && c[q].dim == d && c[q].centroid != NULL;
		ok &= strcmp(c[q].method, "kmeans") == 0 && strcmp(c[q].view, "emb") == 0;
		ok &= q == 0 || c[q - 1].score >= c[q].score;
		ok &= c[q].stats.failure_rate > fl_failure_summary_mean(sum);
		ok &= c[q].radius >= -c[q].member_scores[c[q].n_members - 1];
		for (int64_t m = 0; m < c[q].n_members; m++) {
			ok &= c[q].members[m] >= 0 && c[q].members[m] < n && !seen[c[q].members[m]];
			seen[c[q].members[m]] = 1; /* slices are disjoint */
			ok &= m == 0 || c[q].member_scores[m - 1] >= c[q].member_scores[m];
		}
		fl_slice_stats_compute(&st, sum, c[q].members, c[q].n_members);
		ok &= st.size == c[q].n_members && st.failure_rate == c[q].stats.failure_rate;
	}
	CHECK(ok);
	free(seen);
}

static void test_planted(uint64_t seed)
{
	fl_synth s;
	fl_synth_opts so = FL_SYNTH_OPTS_INIT;
	fl_discover_kmeans_opts o = FL_DISCOVER_KMEANS_OPTS_INIT;
	fl_failure_summary *sum = NULL;
	fl_candidate *c = NULL, *c2 = NULL;
	int32_t nc = 0, nc2 = 0;

	so.seed = seed;
	o.seed = seed;
	CHECK_RC(fl_synth_generate(&s, &so), 0);
	double *f = error_signal(&s);
	CHECK_RC(fl_failure_summary_new(&sum, f, s.n), 0);
	CHECK_RC(fl_discover_kmeans(&c, &nc, s.emb, s.n, s.d, s.d, "emb", sum, f, &o), 0);
	CHECK(nc >= s.n_slices);
	check_candidates(c, nc, sum, s.n, s.d, 20);
	printf("seed %llu: %d candidates\n  slice  kind       p@10  Jaccard\n",
	       (unsigned long long)seed, nc);
	for (int32_t j = 0; j < s.n_slices; j++) {
		recovery r = recover(&s, j, c, nc);
		printf("  %5d  %-9s  %.2f  %.3f\n", j,
		       s.kinds[j] == FL_SYNTH_SYMMETRIC ? "symmetric" : "confusion", r.p10, r.jaccard);
		CHECK(r.p10 >= 0.8);
		CHECK(r.jaccard >= 0.8);
	}
	/* the planted slices are the most remarkable: they lead the ranking */
	for (int32_t q = 0; q < nc && q < s.n_slices; q++)
		CHECK(s.truth[c[q].members[0]] >= 0);

	/* deterministic: again, and with 1 and 2 threads */
	CHECK_RC(fl_discover_kmeans(&c2, &nc2, s.emb, s.n, s.d, s.d, "emb", sum, f, &o), 0);
	CHECK(same_candidates(c, nc, c2, nc2));
	free_candidates(c2, nc2);
	free_candidates(c, nc);
	o.threads = 1;
	CHECK_RC(fl_discover_kmeans(&c, &nc, s.emb, s.n, s.d, s.d, "emb", sum, f, &o), 0);
	o.threads = 2;
	CHECK_RC(fl_discover_kmeans(&c2, &nc2, s.emb, s.n, s.d, s.d, "emb", sum, f, &o), 0);
	CHECK(same_candidates(c, nc, c2, nc2));
	free_candidates(c2, nc2);
	free_candidates(c, nc);

	/* normalised rows: a different geometry, the same guarantees */
	o.normalize = 1;
	CHECK_RC(fl_discover_kmeans(&c, &nc, s.emb, s.n, s.d, s.d, "emb", sum, f, &o), 0);
	check_candidates(c, nc, sum, s.n, s.d, 20);
	free_candidates(c, nc);

	fl_failure_summary_free(sum);
	free(f);
	fl_synth_clear(&s);
}

/* A continuous signal whose errors stand out (a loss): Otsu's split finds
 * them and the planted slices come back. */
static void test_continuous(uint64_t seed)
{
	fl_synth s;
	fl_synth_opts so = FL_SYNTH_OPTS_INIT;
	fl_failure_summary *sum = NULL;
	fl_candidate *c = NULL;
	int32_t nc = 0;
	uint64_t st = seed;

	so.seed = seed;
	CHECK_RC(fl_synth_generate(&s, &so), 0);
	double *f = error_signal(&s);
	for (int64_t i = 0; i < s.n; i++)
		f[i] = f[i] ? 1.5 + check_uniform(&st) : 0.4 * check_uniform(&st);
	CHECK_RC(fl_failure_summary_new(&sum, f, s.n), 0);
	CHECK_RC(fl_discover_kmeans(&c, &nc, s.emb, s.n, s.d, s.d, "emb", sum, f, NULL), 0);
	check_candidates(c, nc, sum, s.n, s.d, 20);
	for (int32_t j = 0; j < s.n_slices; j++)
		CHECK(recover(&s, j, c, nc).p10 >= 0.8);
	free_candidates(c, nc);
	fl_failure_summary_free(sum);
	free(f);
	fl_synth_clear(&s);
}

/* Failures independent of the embedding: nothing should look remarkable.
 * Several clusters are searched, so p-values well below 0.05 can occur by
 * chance; only a tiny one would mean the method manufactures slices. */
static void test_null(uint64_t seed)
{
	fl_synth s;
	fl_synth_opts so = FL_SYNTH_OPTS_INIT;
	fl_failure_summary *sum = NULL;
	fl_candidate *c = NULL;
	int32_t nc = 0;
	uint64_t st = seed ^ 0x5eed;

	so.seed = seed;
	CHECK_RC(fl_synth_generate(&s, &so), 0);
	double *f = malloc((size_t)s.n * sizeof(double)), best = 1;
	for (int64_t i = 0; i < s.n; i++)
		f[i] = check_uniform(&st) < 0.1;
	CHECK_RC(fl_failure_summary_new(&sum, f, s.n), 0);
	CHECK_RC(fl_discover_kmeans(&c, &nc, s.emb, s.n, s.d, s.d, "emb", sum, f, NULL), 0);
	for (int32_t q = 0; q < nc; q++)
		best = fmin(best, c[q].stats.p_value);
	printf("random failures: %d candidates, best p-value %.3g\n", nc, best);
	CHECK(best > 1e-4);
	CHECK(nc <= 2); /* the interval filter keeps noise regions out */
	free_candidates(c, nc);

	/* no failure at all: no candidates, no error */
	for (int64_t i = 0; i < s.n; i++)
		f[i] = 0;
	fl_failure_summary_free(sum);
	CHECK_RC(fl_failure_summary_new(&sum, f, s.n), 0);
	CHECK_RC(fl_discover_kmeans(&c, &nc, s.emb, s.n, s.d, s.d, "emb", sum, f, NULL), 0);
	CHECK_EQ_INT(nc, 0);
	free_candidates(c, nc);
	fl_failure_summary_free(sum);
	free(f);
	fl_synth_clear(&s);
}

/* One Gaussian cluster of failing rows among passing rows far away,
 * searched with k = 2: k-means cuts it in two, and the merge must put it
 * back whole. Returns whether it did. */
static int one_blob(uint64_t seed, int64_t blob, int64_t d, int threads, fl_candidate **keep,
		    int32_t *n_keep)
{
	int64_t n = 2 * blob, best = 0;
	uint64_t st = seed ^ 0xb10b;
	float *x = malloc((size_t)(n * d) * sizeof *x);
	double *f = malloc((size_t)n * sizeof *f);
	fl_failure_summary *sum = NULL;
	fl_discover_kmeans_opts o = FL_DISCOVER_KMEANS_OPTS_INIT;
	fl_candidate *c = NULL;
	int32_t nc = 0;

	for (int64_t i = 0; i < n; i++) {
		for (int64_t j = 0; j < d; j += 2) { /* Box-Muller, two at a time */
			double u = 1 - check_uniform(&st), v = check_uniform(&st), r = sqrt(-2 * log(u));

			x[i * d + j] = (float)(r * cos(6.283185307179586 * v) + (i < blob ? 0 : 12));
			x[i * d + j + 1] = (float)(r * sin(6.283185307179586 * v) + (i < blob ? 0 : 12));
		}
		f[i] = i < blob;
	}
	o.k = 2;
	o.seed = seed;
	o.threads = threads;
	CHECK_RC(fl_failure_summary_new(&sum, f, n), 0);
	CHECK_RC(fl_discover_kmeans(&c, &nc, x, n, d, d, "emb", sum, f, &o), 0);
	for (int32_t q = 0; q < nc; q++) {
		int64_t in = 0;

		for (int64_t m = 0; m < c[q].n_members; m++)
			in += c[q].members[m] < blob;
		best = in > best ? in : best;
	}
	if (keep) {
		*keep = c;
		*n_keep = nc;
	} else {
		free_candidates(c, nc);
	}
	fl_failure_summary_free(sum);
	free(x);
	free(f);
	return best >= blob * 95 / 100;
}

/* k-means' own split leaves a dip along its axis: tested along it, one
 * Gaussian of 3000 or 6000 rows in 128 dimensions cut in two came back
 * whole 5 to 8 times in 16 (FL_TEST_SEED 1-7, 9, 11); along an axis
 * refitted on half the rows, 12 to 15 times. */
static void test_one_blob(uint64_t seed)
{
	int whole = 0;
	fl_candidate *c[2];
	int32_t nc[2];

	for (uint64_t r = 0; r < 8; r++)
		whole += one_blob(seed + r, 6000, 128, 0, NULL, NULL) +
			 one_blob(seed + r, 3000, 128, 0, NULL, NULL);
	printf("one Gaussian cut in two by k-means, merged back whole: %d of 16\n", whole);
	CHECK(whole >= 10);
	/* the merge test's passes on the threads (pairs of 1024 rows or more
	 * in a half): the same candidates for 1 and 3 threads */
	for (int t = 0; t < 2; t++)
		one_blob(seed, 6000, 128, t ? 3 : 1, &c[t], &nc[t]);
	CHECK_EQ_INT(nc[0], nc[1]);
	for (int32_t q = 0; q < nc[0] && nc[0] == nc[1]; q++)
		CHECK(c[0][q].n_members == c[1][q].n_members &&
		      !memcmp(c[0][q].members, c[1][q].members,
			      (size_t)c[0][q].n_members * sizeof *c[0][q].members) &&
		      c[0][q].score == c[1][q].score);
	free_candidates(c[0], nc[0]);
	free_candidates(c[1], nc[1]);
}

static int progress(void *user, const char *stage, int64_t done, int64_t total)
{
	int64_t *calls = user;

	calls[0]++;
	calls[1] = done == total && strcmp(stage, "kmeans view=v") == 0;
	return 0;
}

static void test_invalid(void)
{
	float x[40] = {0};
	double f[10] = {1, 0, 1, 0, 1, 0, 1, 0, 1, 1};
	fl_failure_summary *sum = NULL;
	fl_candidate *c = (fl_candidate *)1;
	int32_t nc = 7;
	fl_discover_kmeans_opts o = FL_DISCOVER_KMEANS_OPTS_INIT;
	int64_t calls[2] = {0, 0};

	CHECK_RC(fl_failure_summary_new(&sum, f, 10), 0);
	CHECK_RC(fl_discover_kmeans(&c, &nc, NULL, 10, 4, 4, "v", sum, f, NULL), FL_EINVAL);
	CHECK(c == NULL && nc == 0);
	CHECK_RC(fl_discover_kmeans(&c, &nc, x, 10, 4, 3, "v", sum, f, NULL), FL_EINVAL);
	CHECK_RC(fl_discover_kmeans(&c, &nc, x, 10, 4, 4, "v", NULL, f, NULL), FL_EINVAL);
	CHECK_RC(fl_discover_kmeans(&c, &nc, x, 10, 4, 4, "v", sum, NULL, NULL), FL_EINVAL);
	CHECK_RC(fl_discover_kmeans(NULL, &nc, x, 10, 4, 4, "v", sum, f, NULL), FL_EINVAL);
	o.k = -1;
	CHECK_RC(fl_discover_kmeans(&c, &nc, x, 10, 4, 4, "v", sum, f, &o), FL_EINVAL);
	o.k = 0;
	o.version = 0;
	CHECK_RC(fl_discover_kmeans(&c, &nc, x, 10, 4, 4, "v", sum, f, &o), FL_EINVAL);
	/* degenerate but valid: 10 identical rows make one region holding
	 * everything, no worse than overall, so no candidate; progress reported */
	o.version = FL_DISCOVER_KMEANS_OPTS_VERSION;
	o.progress = progress;
	o.progress_user = calls;
	CHECK_RC(fl_discover_kmeans(&c, &nc, x, 10, 4, 4, "v", sum, f, &o), 0);
	CHECK_EQ_INT(nc, 0);
	CHECK(calls[0] >= 2 && calls[1] == 1);
	free_candidates(c, nc);
	fl_failure_summary_free(sum);
}

int main(void)
{
	uint64_t seed = check_seed(1);

	for (uint64_t r = 0; r < 3; r++)
		test_planted(seed + r);
	test_continuous(seed);
	test_null(seed);
	test_one_blob(seed);
	test_invalid();
	return check_done();
}
