/* src/candidate: freeing an array of candidates, the order every method
 * returns them in, and the filter that keeps a candidate only when it
 * fails clearly more than everyone. */
#include "candidate/candidate_internal.h"
#include "check.h"

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
	return check_done();
}
