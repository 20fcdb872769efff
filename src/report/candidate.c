/* Candidates: the common currency of discovery methods and the report. */
#include "common/internal.h"

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
	memset(c, 0, sizeof *c);
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
