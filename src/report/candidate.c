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
