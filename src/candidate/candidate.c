/* Candidates: the common currency of discovery methods and the report. */
#include "candidate/candidate_internal.h"

#include <stdio.h>
#include <string.h>

void fl_candidate_clear(fl_candidate *c)
{
	if (!c)
		return;
	free(c->members);
	free(c->member_scores);
	free(c->centroid);
	free(c->description);
	free(c->spec_json);
	free(c->also);
	free(c->holdout_members);
	free(c->explanation);
	fl_candidates_free(c->parts, c->n_parts);
	memset(c, 0, sizeof *c);
}

void fl_candidates_free(fl_candidate *c, int32_t n)
{
	for (int32_t i = 0; c && i < n; i++)
		fl_candidate_clear(&c[i]);
	free(c);
}

int fl__candidate_cmp(const void *a, const void *b)
{
	const fl_candidate *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->stats.p_value != y->stats.p_value)
		return x->stats.p_value < y->stats.p_value ? -1 : 1;
	return (x->component > y->component) - (x->component < y->component);
}

int fl__candidate_keep(fl_candidate *c, const fl_failure_summary *s, const char *method,
		       const char *view)
{
	double overall = fl_failure_summary_mean(s);
	int rc;

	if ((rc = fl_slice_stats_compute(&c->stats, s, c->members, c->n_members)) != 0) {
		fl_candidate_clear(c);
		return rc;
	}
	/* not clearly worse than everyone: the lower 95% bound of its rate
	 * must clear the overall rate, or the slice is likely noise */
	if (!(c->stats.ci_low > overall)) {
		fl_candidate_clear(c);
		return 0;
	}
	c->score = fl_slice_score(&c->stats, overall);
	snprintf(c->method, sizeof c->method, "%s", method);
	snprintf(c->view, sizeof c->view, "%s", view);
	return 1;
}
