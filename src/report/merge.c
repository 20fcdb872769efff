/*
 * Fusion: one slice per failure mode, whatever found it.
 *
 * Candidates from every method and view are taken best score first; each
 * joins the first kept slice it overlaps strongly, else it is kept. Strong
 * overlap: Jaccard >= `jaccard` (the two member sets are mostly the same
 * rows), or >= `containment` of the weaker candidate's members lie in the
 * kept slice (a tighter or looser version of the same region). The kept
 * slice records what joined it (fl_candidate.also). Agreement counts in the
 * ranking: each distinct other (method, view) that found the slice raises
 * its score by AGREEMENT_BONUS (relative), up to MAX_AGREEMENT of them, so
 * a failure seen from two viewpoints outranks an equally strong one seen
 * from one. Cost: O(pairs x members) with one stamp array of n rows.
 */
#include "report_internal.h"

#include <string.h>

#define AGREEMENT_BONUS 0.1
#define MAX_AGREEMENT 3

static int cmp_score(const void *pa, const void *pb)
{
	const fl_candidate *a = pa, *b = pb;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (strcmp(a->method, b->method))
		return strcmp(a->method, b->method);
	if (strcmp(a->view, b->view))
		return strcmp(a->view, b->view);
	return (a->component > b->component) - (a->component < b->component);
}

/* distinct (method, view) pairs among a slice and what joined it, minus one */
static int32_t agreeing(const fl_candidate *c)
{
	int32_t extra = 0;

	for (int32_t i = 0; i < c->n_also; i++) {
		int seen = !strcmp(c->also[i].method, c->method) && !strcmp(c->also[i].view, c->view);

		for (int32_t j = 0; j < i && !seen; j++)
			seen = !strcmp(c->also[i].method, c->also[j].method) &&
			       !strcmp(c->also[i].view, c->also[j].view);
		extra += !seen;
	}
	return extra;
}

int32_t fl_report__agreeing(const fl_candidate *c)
{
	return agreeing(c);
}

static int add_source(fl_candidate *kept, const fl_candidate *c, double jac)
{
	fl_source *p = realloc(kept->also, (size_t)(kept->n_also + 1) * sizeof *p);

	if (!p)
		return fl__error(FL_ENOMEM, "out of memory merging slices");
	kept->also = p;
	p += kept->n_also++;
	memset(p, 0, sizeof *p);
	memcpy(p->method, c->method, sizeof p->method);
	memcpy(p->view, c->view, sizeof p->view);
	p->component = c->component;
	p->jaccard = jac;
	p->score = c->score;
	return FL_OK;
}

/* support[m]: how many merged results (besides the kept one) hold the kept
 * slice's m-th member. Stamps are left zeroed. */
static int count_support(fl_report *r, int32_t into, const fl_candidate *c, int32_t **support,
			 uint32_t *stamp)
{
	const fl_candidate *kept = &r->slices[into];

	if (!*support && !(*support = fl__calloc((size_t)kept->n_members, sizeof **support, "support")))
		return FL_ENOMEM;
	for (int64_t m = 0; m < c->n_members; m++)
		stamp[c->members[m]] = 1;
	for (int64_t m = 0; m < kept->n_members; m++)
		(*support)[m] += (int32_t)stamp[kept->members[m]];
	for (int64_t m = 0; m < c->n_members; m++)
		stamp[c->members[m]] = 0;
	return FL_OK;
}

typedef struct {
	int32_t support;
	int64_t pos;
} ranked_member;

static int cmp_support(const void *pa, const void *pb)
{
	const ranked_member *a = pa, *b = pb;

	if (a->support != b->support)
		return b->support - a->support;
	return (a->pos > b->pos) - (a->pos < b->pos);
}

/* A merged slice lists first the members that most results agree on, then
 * by the kept result's own order: rows found from several viewpoints are
 * the most typical of the failure. member_scores become the support plus
 * a fraction that falls with the original position, so they stay
 * non-increasing. */
static int order_by_support(fl_candidate *c, const int32_t *support)
{
	int64_t m = c->n_members;
	ranked_member *rk = fl__malloc((size_t)(m ? m : 1) * sizeof *rk, "member order");
	int64_t *rows = fl__malloc((size_t)(m ? m : 1) * sizeof *rows, "member order");

	if (!rk || !rows) {
		free(rk);
		free(rows);
		return FL_ENOMEM;
	}
	for (int64_t i = 0; i < m; i++)
		rk[i] = (ranked_member){support[i], i};
	qsort(rk, (size_t)m, sizeof *rk, cmp_support);
	for (int64_t i = 0; i < m; i++) {
		rows[i] = c->members[rk[i].pos];
		c->member_scores[i] = (float)rk[i].support + 0.5f * (1.0f - (float)rk[i].pos / (float)m);
	}
	free(c->members);
	free(rk);
	c->members = rows;
	return FL_OK;
}

int fl_report_merge(fl_report *r, double jaccard, double containment)
{
	uint32_t *stamp;
	int32_t **support, n_kept = 0;
	int rc = FL_OK;

	if (!(jaccard > 0 && jaccard <= 1) || !(containment > 0 && containment <= 1))
		return fl__error(FL_EINVAL, "merge thresholds must be in (0, 1]");
	if (r->n_slices < 2)
		return FL_OK;
	stamp = fl__calloc((size_t)r->n, sizeof *stamp, "merge marks");
	support = fl__calloc((size_t)r->n_slices, sizeof *support, "merge support");
	if (!stamp || !support) {
		free(stamp);
		free(support);
		return FL_ENOMEM;
	}
	qsort(r->slices, (size_t)r->n_slices, sizeof *r->slices, cmp_score);
	for (int32_t i = 0; i < r->n_slices; i++) {
		fl_candidate *c = &r->slices[i];
		int32_t into = -1;
		double jac = 0;

		for (int32_t k = 0; k < n_kept && into < 0; k++) {
			fl_candidate *kept = &r->slices[k];
			int64_t inter = 0;

			/* stamps k+1 mark the kept slice's rows: no clearing between pairs */
			for (int64_t m = 0; m < kept->n_members; m++)
				stamp[kept->members[m]] = (uint32_t)k + 1;
			for (int64_t m = 0; m < c->n_members; m++)
				inter += stamp[c->members[m]] == (uint32_t)k + 1;
			jac = (double)inter / (double)(kept->n_members + c->n_members - inter);
			if (jac >= jaccard || (double)inter >= containment * (double)c->n_members)
				into = k;
			for (int64_t m = 0; m < kept->n_members; m++)
				stamp[kept->members[m]] = 0;
		}
		if (into >= 0 && (rc = count_support(r, into, c, &support[into], stamp)))
			break;
		if (into < 0) {
			if (n_kept != i) {
				r->slices[n_kept] = *c;
				memset(c, 0, sizeof *c);
			}
			n_kept++;
			continue;
		}
		if ((rc = add_source(&r->slices[into], c, jac)))
			break;
		fl_candidate_clear(c);
	}
	/* a predicate slice's rows are all equally members: they stay in row order */
	for (int32_t i = 0; i < n_kept && rc == 0; i++)
		if (support[i] && strcmp(r->slices[i].method, "predicates") != 0)
			rc = order_by_support(&r->slices[i], support[i]);
	for (int32_t i = 0; i < r->n_slices; i++)
		free(support[i]);
	free(support);
	free(stamp);
	if (rc)
		return rc;
	for (int32_t i = n_kept; i < r->n_slices; i++)
		fl_candidate_clear(&r->slices[i]);
	r->n_slices = n_kept;
	for (int32_t i = 0; i < n_kept; i++) {
		int32_t extra = agreeing(&r->slices[i]);

		r->slices[i].score *= 1.0 + AGREEMENT_BONUS * (extra < MAX_AGREEMENT ? extra : MAX_AGREEMENT);
	}
	return FL_OK;
}
