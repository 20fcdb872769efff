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

int fl_report__source_repeats(const fl_candidate *c, int32_t k)
{
	int seen = !strcmp(c->also[k].method, c->method) && !strcmp(c->also[k].view, c->view);

	for (int32_t j = 0; j < k && !seen; j++)
		seen = !strcmp(c->also[k].method, c->also[j].method) &&
		       !strcmp(c->also[k].view, c->also[j].view);
	return seen;
}

/* distinct (method, view) pairs among a slice and what joined it, minus one */
static int32_t agreeing(const fl_candidate *c)
{
	int32_t extra = 0;

	for (int32_t i = 0; i < c->n_also; i++)
		extra += !fl_report__source_repeats(c, i);
	return extra;
}

int32_t fl_report__agreeing(const fl_candidate *c)
{
	return agreeing(c);
}

double fl_report__agreement_factor(const fl_candidate *c)
{
	int32_t extra = agreeing(c);

	return 1.0 + AGREEMENT_BONUS * (extra < MAX_AGREEMENT ? extra : MAX_AGREEMENT);
}

void fl_report__add_source(fl_candidate *kept, const fl_candidate *c, double jac)
{
	fl_source *p = kept->also + kept->n_also++;

	memset(p, 0, sizeof *p);
	memcpy(p->method, c->method, sizeof p->method);
	memcpy(p->view, c->view, sizeof p->view);
	p->component = c->component;
	p->jaccard = jac;
	p->score = c->score;
}

/* support[m] += 1 for each of kept's members m that c holds. Stamps are
 * left zeroed. */
static void count_support(const fl_candidate *kept, const fl_candidate *c, int32_t *support,
			  uint32_t *stamp)
{
	for (int64_t m = 0; m < c->n_members; m++)
		stamp[c->members[m]] = 1;
	for (int64_t m = 0; m < kept->n_members; m++)
		support[m] += (int32_t)stamp[kept->members[m]];
	for (int64_t m = 0; m < c->n_members; m++)
		stamp[c->members[m]] = 0;
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
 * non-increasing. rk and rows: scratch of n_members each. */
static void order_by_support(fl_candidate *c, const int32_t *support, ranked_member *rk,
			     int64_t *rows)
{
	int64_t m = c->n_members;

	if (m == 0)
		return;
	for (int64_t i = 0; i < m; i++)
		rk[i] = (ranked_member){support[i], i};
	qsort(rk, (size_t)m, sizeof *rk, cmp_support);
	for (int64_t i = 0; i < m; i++) {
		rows[i] = c->members[rk[i].pos];
		c->member_scores[i] = (float)rk[i].support + 0.5f * (1.0f - (float)rk[i].pos / (float)m);
	}
	memcpy(c->members, rows, (size_t)m * sizeof *rows);
}

/* A candidate in score order, and where it sits in r->slices. */
typedef struct {
	fl_candidate c; /* a shallow copy: the buffers stay r->slices[orig]'s */
	int32_t orig;
} sorted_cand;

static int cmp_sorted(const void *a, const void *b)
{
	return cmp_score(&((const sorted_cand *)a)->c, &((const sorted_cand *)b)->c);
}

/* Three passes, so that a failed allocation leaves the report as it was:
 * decide (which candidate joins which kept slice), allocate everything,
 * then move and free, which cannot fail. */
int fl_report_merge(fl_report *r, double jaccard, double containment)
{
	int32_t n = r->n_slices, n_kept = 0, *into = NULL, *kept = NULL, *n_join = NULL;
	int32_t **support = NULL;
	uint32_t *stamp = NULL;
	sorted_cand *sc = NULL;
	double *jac = NULL;
	ranked_member *rk = NULL;
	int64_t *rows = NULL, most = 0;
	int rc = FL_OK;

	if (!(jaccard > 0 && jaccard <= 1) || !(containment >= 0 && containment <= 1))
		return fl__error(FL_EINVAL, "merge thresholds must be in (0, 1] (containment: "
				 "[0, 1], 0 for none)");
	if (n < 2)
		return FL_OK;
	stamp = fl__calloc((size_t)r->n, sizeof *stamp, "merge marks");
	sc = fl__malloc((size_t)n * sizeof *sc, "merge order");
	into = fl__malloc((size_t)n * sizeof *into, "merge targets");
	kept = fl__malloc((size_t)n * sizeof *kept, "merge targets");
	n_join = fl__calloc((size_t)n, sizeof *n_join, "merge targets");
	jac = fl__malloc((size_t)n * sizeof *jac, "merge overlaps");
	support = fl__calloc((size_t)n, sizeof *support, "merge support");
	if (!stamp || !sc || !into || !kept || !n_join || !jac || !support) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int32_t i = 0; i < n; i++)
		sc[i] = (sorted_cand){r->slices[i], i};
	qsort(sc, (size_t)n, sizeof *sc, cmp_sorted);

	/* 1. decide: each candidate, best first, joins the first kept slice it
	 * overlaps enough (into[i] = its index in kept[]), or is kept (-1) */
	for (int32_t i = 0; i < n; i++) {
		const fl_candidate *c = &sc[i].c;

		into[i] = -1;
		jac[i] = 0;
		for (int32_t k = 0; k < n_kept && into[i] < 0; k++) {
			const fl_candidate *kc = &sc[kept[k]].c;
			int64_t inter = 0;

			/* stamps k+1 mark the kept slice's rows: no clearing between pairs */
			for (int64_t m = 0; m < kc->n_members; m++)
				stamp[kc->members[m]] = (uint32_t)k + 1;
			for (int64_t m = 0; m < c->n_members; m++)
				inter += stamp[c->members[m]] == (uint32_t)k + 1;
			jac[i] = (double)inter / (double)(kc->n_members + c->n_members - inter);
			if (jac[i] >= jaccard ||
			    (containment > 0 && (double)inter >= containment * (double)c->n_members))
				into[i] = k;
			for (int64_t m = 0; m < kc->n_members; m++)
				stamp[kc->members[m]] = 0;
		}
		if (into[i] < 0)
			kept[n_kept++] = i;
		else
			n_join[into[i]]++;
	}

	/* 2. allocate: support counts, room in `also` (stored back into
	 * r->slices at once, so that the report never holds a stale pointer),
	 * and the scratch of order_by_support */
	for (int32_t k = 0; k < n_kept; k++) {
		fl_candidate *kc = &sc[kept[k]].c;
		fl_source *p;

		if (!n_join[k])
			continue;
		if (!(support[k] = fl__calloc((size_t)kc->n_members, sizeof **support, "support")) ||
		    !(p = realloc(kc->also, (size_t)(kc->n_also + n_join[k]) * sizeof *p))) {
			rc = support[k] ? fl__error(FL_ENOMEM, "out of memory merging slices") : FL_ENOMEM;
			goto cleanup;
		}
		kc->also = r->slices[sc[kept[k]].orig].also = p;
		if (strcmp(kc->method, "predicates") != 0 && kc->n_members > most)
			most = kc->n_members;
	}
	if (most && (!(rk = fl__malloc((size_t)most * sizeof *rk, "member order")) ||
		     !(rows = fl__malloc((size_t)most * sizeof *rows, "member order")))) {
		rc = FL_ENOMEM;
		goto cleanup;
	}

	/* 3. move: nothing fails from here on */
	for (int32_t i = 0; i < n; i++) {
		fl_candidate *c = &sc[i].c;

		if (into[i] < 0)
			continue;
		count_support(&sc[kept[into[i]]].c, c, support[into[i]], stamp);
		fl_report__add_source(&sc[kept[into[i]]].c, c, jac[i]);
		fl_candidate_clear(c);
	}
	/* a predicate slice's rows are all equally members: they stay in row order */
	for (int32_t k = 0; k < n_kept; k++) {
		fl_candidate *kc = &sc[kept[k]].c;

		if (support[k] && strcmp(kc->method, "predicates") != 0)
			order_by_support(kc, support[k], rk, rows);
		r->slices[k] = *kc;
	}
	for (int32_t k = n_kept; k < n; k++)
		memset(&r->slices[k], 0, sizeof r->slices[k]);
	r->n_slices = n_kept;
	for (int32_t i = 0; i < n_kept; i++)
		r->slices[i].score *= fl_report__agreement_factor(&r->slices[i]);
cleanup:
	for (int32_t k = 0; support && k < n; k++)
		free(support[k]);
	free(support);
	free(stamp);
	free(sc);
	free(into);
	free(kept);
	free(n_join);
	free(jac);
	free(rk);
	free(rows);
	return rc;
}
