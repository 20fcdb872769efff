/* src/candidate: freeing an array of candidates, the order every method
 * returns them in, and the filter that keeps a candidate only when it
 * fails clearly more than everyone. */
#include "candidate/candidate_internal.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a candidate owning members 0..m-1 and a description */
static int fill(fl_candidate *c, int64_t m)
{
	memset(c, 0, sizeof *c);
	if (!(c->members = malloc((size_t)m * sizeof *c->members)) ||
	    !(c->description = fl__strdup("test")))
		return -1;
	for (int64_t i = 0; i < m; i++)
		c->members[i] = i;
	c->n_members = m;
	return 0;
}

/* c: a cluster of view emb found by `method`, rows lo..lo+m-1, spec
 * {"type":"cA"} (A = component), measured against s */
static void cluster(fl_candidate *c, int32_t component, int64_t lo, int64_t m, const char *method,
		    const fl_failure_summary *s)
{
	char spec[64];

	CHECK(fill(c, m) == 0);
	for (int64_t i = 0; i < m; i++)
		c->members[i] = lo + i;
	snprintf(spec, sizeof spec, "{\"type\":\"c%d\"}", (int)component);
	c->spec_json = fl__strdup(spec);
	snprintf(c->method, sizeof c->method, "%s", method);
	snprintf(c->view, sizeof c->view, "emb");
	c->component = component;
	fl_slice_stats_compute(&c->stats, s, c->members, m);
}

/* fl__candidates_shift against planted ground truth: four classes far
 * apart in 8-d; in each, 40 rows moved along e5 (cause A) and 40 along e6
 * (cause B), all failing; one cluster per class and cause, a ninth
 * holding A's cluster of class 0 and more (another summary of its rows,
 * linked to A's others through its shift) and a tenth in class 0 moved
 * along e7 alone. Two groups come, A's four clusters and B's, each the
 * union of its members with an any_of of their specs; nothing without
 * labels. */
static void test_shift(void)
{
	enum { K = 4, PER = 300, N = K * PER, D = 8, NC = 10 };
	static float x[N * D];
	static double f[N];
	static int64_t labels[N];
	fl_failure_summary *s = NULL;
	fl_candidate *c = calloc(NC, sizeof *c);
	int32_t nc = NC, got_a = 0, got_b = 0;
	uint64_t st = 5;

	for (int64_t i = 0; i < N; i++) {
		int64_t y = i / PER, k = i % PER;

		labels[i] = y;
		for (int j = 0; j < D; j++)
			x[i * D + j] = (float)(0.3 * (check_uniform(&st) - 0.5) + (j == y ? 5 : 0));
		x[i * D + 5] += k < 40 ? 2.0f : 0;
		x[i * D + 6] += k >= 40 && k < 80 ? 2.0f : 0;
		x[i * D + 7] += y == 0 && k >= 80 && k < 120 ? 2.0f : 0;
		f[i] = k < 120 || k % 20 == 0;
	}
	CHECK_RC(fl_failure_summary_new(&s, f, N), FL_OK);
	for (int32_t a = 0; a < NC && c; a++) {
		int64_t lo = a < K ? a * PER : a < 2 * K ? (a - K) * PER + 40 : a == 2 * K ? 0 : 80;

		cluster(&c[a], a, lo, a == 2 * K ? 60 : 40, a == 2 * K ? "kmeans" : "mixture", s);
	}
	CHECK_RC(fl__candidates_shift(&c, &nc, x, NULL, N, D, NULL, 0, f, s, 2), FL_OK);
	CHECK_EQ_INT(nc, NC);
	CHECK_RC(fl__candidates_shift(&c, &nc, x, NULL, N, D, labels, K, f, s, 2), FL_OK);
	CHECK_EQ_INT(nc, NC + 2);
	for (int32_t a = NC; c && a < nc; a++) {
		got_a += c[a].n_members == 160 && !strcmp(c[a].spec_json,
			"{\"type\":\"any_of\",\"of\":[{\"type\":\"c0\"},{\"type\":\"c1\"},"
			"{\"type\":\"c2\"},{\"type\":\"c3\"}]}");
		got_b += c[a].n_members == 160 && !strcmp(c[a].spec_json,
			"{\"type\":\"any_of\",\"of\":[{\"type\":\"c4\"},{\"type\":\"c5\"},"
			"{\"type\":\"c6\"},{\"type\":\"c7\"}]}");
		CHECK(!strcmp(c[a].method, "shift") && c[a].stats.failure_rate == 1.0);
		CHECK(c[a].description && !strcmp(c[a].description, "4 clusters of view emb shifted "
						  "alike from their classes, labels 0, 1, 2, 3"));
	}
	CHECK(got_a == 1 && got_b == 1);
	fl_candidates_free(c, nc);
	fl_failure_summary_free(s);
}

/* The wider second guess: four classes apart in 12-d, in each 40 failing
 * rows moved along e4 + 0.8 e(5 + class) (a cause that moves every class
 * its own way as well: shifts at cosine 1 / 1.64 = 0.61 with each other,
 * below SHIFT_COS, above SHIFT_COS_WIDE), and a fifth cluster in class 0
 * moved along e10 alone. One group: the four, not the fifth. */
static void test_shift_wide(void)
{
	enum { K = 4, PER = 200, N = K * PER, D = 12, NC = 5 };
	static float x[N * D];
	static double f[N];
	static int64_t labels[N];
	fl_failure_summary *s = NULL;
	fl_candidate *c = calloc(NC, sizeof *c);
	int32_t nc = NC;
	uint64_t st = 9;

	for (int64_t i = 0; i < N; i++) {
		int64_t y = i / PER, k = i % PER;

		labels[i] = y;
		for (int j = 0; j < D; j++)
			x[i * D + j] = (float)(0.3 * (check_uniform(&st) - 0.5) + (j == y ? 5 : 0));
		if (k < 40) {
			x[i * D + 4] += 2.0f;
			x[i * D + 5 + y] += 1.6f;
		}
		x[i * D + 10] += y == 0 && k >= 40 && k < 80 ? 2.0f : 0;
		f[i] = k < 80 || k % 20 == 0;
	}
	CHECK_RC(fl_failure_summary_new(&s, f, N), FL_OK);
	for (int32_t a = 0; a < NC && c; a++)
		cluster(&c[a], a, a < K ? a * PER : 40, 40, "mixture", s);
	CHECK_RC(fl__candidates_shift(&c, &nc, x, NULL, N, D, labels, K, f, s, 2), FL_OK);
	CHECK_EQ_INT(nc, NC + 1);
	if (c && nc == NC + 1) {
		CHECK_EQ_INT(c[NC].n_members, 160);
		CHECK(!strcmp(c[NC].spec_json, "{\"type\":\"any_of\",\"of\":[{\"type\":\"c0\"},"
						"{\"type\":\"c1\"},{\"type\":\"c2\"},{\"type\":\"c3\"}]}"));
	}
	fl_candidates_free(c, nc);
	fl_failure_summary_free(s);
}

int main(void)
{
	enum { N = 400 };
	double f[N];
	fl_failure_summary *s = NULL;
	fl_candidate *a, c[4];

	/* NULL and an empty array are accepted; owned buffers are released
	 * (the sanitizer build reports a leak or a double free) */
	fl_candidates_free(NULL, 3);
	fl_candidates_free(calloc(1, sizeof(fl_candidate)), 0);
	a = calloc(3, sizeof *a);
	CHECK(a != NULL);
	if (a) {
		CHECK(fill(&a[0], 5) == 0);
		CHECK(fill(&a[2], 7) == 0);
		fl_candidates_free(a, 3);
	}

	/* score descending, then p-value ascending, then component */
	memset(c, 0, sizeof c);
	c[0].score = 1.0, c[0].stats.p_value = 0.01, c[0].component = 2;
	c[1].score = 2.0, c[1].stats.p_value = 0.50, c[1].component = 0;
	c[2].score = 1.0, c[2].stats.p_value = 0.01, c[2].component = 1;
	c[3].score = 1.0, c[3].stats.p_value = 0.001, c[3].component = 9;
	qsort(c, 4, sizeof *c, fl__candidate_cmp);
	CHECK(c[0].score == 2.0);
	CHECK_EQ_INT(c[1].component, 9);
	CHECK_EQ_INT(c[2].component, 1);
	CHECK_EQ_INT(c[3].component, 2);

	/* rows 0..39 all fail, the other 360 fail one in ten */
	for (int i = 0; i < N; i++)
		f[i] = i < 40 || i % 10 == 0;
	CHECK_RC(fl_failure_summary_new(&s, f, N), FL_OK);
	if (s) {
		CHECK(fill(&c[0], 40) == 0);
		CHECK_EQ_INT(fl__candidate_keep(&c[0], s, "kmeans", "clip"), 1);
		CHECK(strcmp(c[0].method, "kmeans") == 0 && strcmp(c[0].view, "clip") == 0);
		CHECK_EQ_INT(c[0].stats.size, 40);
		CHECK(c[0].score > 0);
		fl_candidate_clear(&c[0]);
		/* rows 100..199 fail at the overall rate or below: dropped, cleared */
		CHECK(fill(&c[0], 100) == 0);
		for (int64_t i = 0; i < 100; i++)
			c[0].members[i] = 100 + i;
		CHECK_EQ_INT(fl__candidate_keep(&c[0], s, "kmeans", "clip"), 0);
		CHECK(c[0].members == NULL && c[0].description == NULL && c[0].n_members == 0);
	}
	fl_failure_summary_free(s);
	test_shift();
	test_shift_wide();
	return check_done();
}
