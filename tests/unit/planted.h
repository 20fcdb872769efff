/*
 * planted.h - measuring a discovery method against planted slices
 * (fl_synth ground truth): best precision@10 and best Jaccard over the
 * candidates, the synthetic error signal, and freeing candidate lists.
 */
#ifndef FL_PLANTED_H
#define FL_PLANTED_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "faultline.h"

typedef struct {
	double p10, jaccard;
} recovery;

/* best precision@10 and best Jaccard over the candidates, for planted slice j */
static inline recovery recover(const fl_synth *s, int32_t j, const fl_candidate *c, int32_t nc)
{
	recovery r = {0, 0};
	int64_t planted = 0;

	for (int64_t i = 0; i < s->n; i++)
		planted += s->truth[i] == j;
	for (int32_t q = 0; q < nc; q++) {
		int64_t top = c[q].n_members < 10 ? c[q].n_members : 10, hit = 0, inter = 0;

		for (int64_t m = 0; m < c[q].n_members; m++) {
			int in = s->truth[c[q].members[m]] == j;

			inter += in;
			hit += in && m < top;
		}
		r.p10 = fmax(r.p10, (double)hit / 10);
		r.jaccard = fmax(r.jaccard, (double)inter / (double)(planted + c[q].n_members - inter));
	}
	return r;
}

/* 1 where the synthetic model erred */
static inline double *error_signal(const fl_synth *s)
{
	double *f = malloc((size_t)s->n * sizeof(double));

	for (int64_t i = 0; f && i < s->n; i++)
		f[i] = s->labels[i] != s->preds[i];
	return f;
}

static inline void free_candidates(fl_candidate *c, int32_t nc)
{
	for (int32_t q = 0; q < nc; q++)
		fl_candidate_clear(&c[q]);
	free(c);
}

/* Two candidate lists are the same bits: members, scores and specs. */
static inline int same_candidates(const fl_candidate *a, int32_t na, const fl_candidate *b,
				  int32_t nb)
{
	if (na != nb)
		return 0;
	for (int32_t q = 0; q < na; q++)
		if (a[q].n_members != b[q].n_members || a[q].component != b[q].component ||
		    memcmp(&a[q].score, &b[q].score, sizeof(double)) ||
		    memcmp(a[q].members, b[q].members, (size_t)a[q].n_members * sizeof(int64_t)) ||
		    memcmp(a[q].member_scores, b[q].member_scores, (size_t)a[q].n_members * sizeof(float)) ||
		    (a[q].spec_json == NULL) != (b[q].spec_json == NULL) ||
		    (a[q].spec_json && strcmp(a[q].spec_json, b[q].spec_json)))
			return 0;
	return 1;
}

#endif
