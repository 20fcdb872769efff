/*
 * Predicate slices as discovery candidates: the rows of a slice, its
 * statistics, a plain-words description and a JSON spec that finds the
 * same rows in new data. The candidates keep SliceLine's exact top-K
 * (search.c) minus duplicates and slices whose 95% interval does not
 * clear the overall failure rate, and are scored like every other method
 * of `faultline discover` (lower bound on the lift).
 */
#include "candidate/candidate_internal.h"
#include "predicates_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int fl_predicate_slice_rows(int64_t **out, int64_t *n_out, const fl_predicate_result *r,
			    int32_t slice, const fl_table *t)
{
	const fl_predicate *p[64]; /* max_level <= 64 */
	const fl_predicate_slice *s;

	if (!out || !n_out)
		return fl__error(FL_EINVAL, "no place for the rows (out or n_out is NULL)");
	*out = NULL;
	*n_out = 0;
	if (!r || !t || slice < 0 || slice >= r->n_slices)
		return fl__error(FL_EINVAL, "no predicate slice %d: the search found %d", slice,
				 r ? r->n_slices : 0);
	s = &r->slices[slice];
	if (s->n_preds > 64)
		return fl__error(FL_EINVAL, "predicate slice %d has %d predicates (64 at most)", slice,
				 s->n_preds);
	for (int32_t j = 0; j < s->n_preds; j++) {
		const fl_predicate *q = &r->preds[s->preds[j]];
		/* numeric predicates carry a number in low; the others NaN */
		int wants_numeric = q->op == FL_PRED_RANGE || (q->op == FL_PRED_EQ && !isnan(q->low));
		if (q->column >= fl_table_cols(t) ||
		    (q->op != FL_PRED_MISSING &&
		     wants_numeric != (fl_table_col_type(t, q->column) == FL_COL_NUMERIC)))
			return fl__error(FL_EINVAL, "the metadata have no column %lld "
					 "of the type of predicate '%.100s'", (long long)q->column, q->text);
	}
	for (int32_t j = 0; j < s->n_preds; j++)
		p[j] = &r->preds[s->preds[j]];
	return fl_predicates__rows(out, n_out, p, s->n_preds, t);
}

/* description and spec of slice i */
static int describe(fl_candidate *c, const fl_predicate_result *r, int32_t i, const fl_table *t,
		    double alpha)
{
	const fl_predicate_slice *s = &r->slices[i];
	fl_strbuf d = {0}, j = {0};

	fl__sb_printf(&j, "%s", "{\"type\":\"predicates\",\"predicates\":[");
	for (int32_t k = 0; k < s->n_preds; k++) {
		const fl_predicate *p = &r->preds[s->preds[k]];
		if (k) {
			fl__sb_printf(&d, "%s", " AND ");
			fl__sb_printf(&j, "%s", ",");
		}
		fl__sb_printf(&d, "%s", p->text);
		fl_predicates__put_pred(&j, p, t);
	}
	fl__sb_printf(&j, "%s", "],\"sliceline_score\":");
	fl_predicates__put_num(&j, s->score);
	fl__sb_printf(&j, "%s", ",\"alpha\":");
	fl_predicates__put_num(&j, alpha);
	fl__sb_printf(&j, ",\"level\":%d}", s->n_preds);
	c->description = fl__sb_finish(&d, "slice description");
	c->spec_json = fl__sb_finish(&j, "slice spec");
	return c->description && c->spec_json ? 0 : FL_ENOMEM;
}

/* Does c (a candidate with stats) add nothing to k, a slice kept? They
 * share rows, the rows of c that k lacks (if any) do not fail clearly
 * more often than the whole data, and the rows they share do not fail
 * clearly more often than the rows of k that c lacks (if any). "Clearly":
 * the 95% interval (stats.ci_low) stays above. So c is k narrowed down
 * without concentrating its failures ("class = Shirt AND height >= 28"
 * after "class = Shirt"), k diluted ("weather = night" after "weather =
 * night AND camera = B"), or both. work: scratch of 3 n rows. */
static int adds_nothing(int *out, const fl_candidate *c, const fl_candidate *k,
			const fl_failure_summary *s, double overall, int64_t *work, int64_t n)
{
	int64_t *inter = work, *rest = work + n, *left = work + 2 * n, ni = 0, nr = 0, nl = 0;
	int64_t a = 0, b = 0;
	fl_slice_stats st, lk;
	int rc;

	*out = 0;
	while (a < c->n_members || b < k->n_members) {
		if (b == k->n_members || (a < c->n_members && c->members[a] < k->members[b]))
			rest[nr++] = c->members[a++];
		else if (a == c->n_members || k->members[b] < c->members[a])
			left[nl++] = k->members[b++];
		else {
			inter[ni++] = c->members[a++];
			b++;
		}
	}
	if (ni == 0)
		return 0;
	if (nr > 0) {
		if ((rc = fl_slice_stats_compute(&st, s, rest, nr)) != 0)
			return rc;
		if (st.ci_low > overall)
			return 0;
	}
	if (nl > 0) {
		if ((rc = fl_slice_stats_compute(&st, s, inter, ni)) != 0 ||
		    (rc = fl_slice_stats_compute(&lk, s, left, nl)) != 0)
			return rc;
		if (st.ci_low > lk.failure_rate)
			return 0;
	}
	*out = 1;
	return 0;
}

int fl_discover_predicates(fl_candidate **out, int32_t *n_out, const fl_table *t,
			   const double *failure, const fl_failure_summary *s,
			   const fl_predicate_opts *opts)
{
	static const fl_predicate_opts defaults = FL_PREDICATE_OPTS_INIT;
	const fl_predicate_opts *o = opts ? opts : &defaults;
	fl_predicate_result *r = NULL;
	fl_predicate_opts so;
	fl_candidate *cand = NULL;
	fl_slice_stats probe;
	int32_t nc = 0, n_all;
	int64_t n, last, *scratch = NULL;
	unsigned char *gone = NULL;
	double overall;
	int rc;

	if (!out || !n_out)
		return fl__error(FL_EINVAL, "no place for the slices (out or n_out is NULL)");
	*out = NULL;
	*n_out = 0;
	if (!t || !s)
		return fl__error(FL_EINVAL, "the predicate search needs metadata and a failure summary");
	if (o->version == 1 || o->language == FL_PRED_LANG_SLICELINE)
		t = fl_table_base(t); /* as fl_predicates_search does */
	n = fl_table_rows(t);
	last = n - 1;
	if (n > 0 && fl_slice_stats_compute(&probe, s, &last, 1) != 0)
		return fl__error(FL_EINVAL, "the failure signal has fewer rows than the metadata's %lld",
				 (long long)n);
	/* the rich language: a covering of generalised results (cover.c) */
	if (o->version >= 2 && o->language == FL_PRED_LANG_RICH && o->top >= 1)
		return fl_predicates__cover(out, n_out, t, failure, s, o);
	so = *o;
	if ((rc = fl_predicates_search(&r, t, failure, &so)) != 0)
		return rc;
	overall = fl_failure_summary_mean(s);
	if (r->n_slices && (!(cand = fl__calloc((size_t)r->n_slices, sizeof *cand, "candidates")) ||
			    !(scratch = fl__malloc(3 * (size_t)n * sizeof *scratch, "slice rows")) ||
			    !(gone = fl__calloc((size_t)r->n_slices, 1, "candidates")))) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int32_t i = 0; i < r->n_slices; i++) {
		fl_candidate *c = &cand[nc];
		int dup = 0;

		if ((rc = fl_predicate_slice_rows(&c->members, &c->n_members, r, i, t)) != 0)
			goto cleanup;
		/* the same rows as a better slice: the longer conjunction adds nothing */
		for (int32_t k = 0; k < nc && !dup; k++)
			dup = cand[k].n_members == c->n_members &&
			      !memcmp(cand[k].members, c->members, (size_t)c->n_members * sizeof *c->members);
		if (!dup && (rc = fl_slice_stats_compute(&c->stats, s, c->members, c->n_members)) == 0)
			dup = !(c->stats.ci_low > overall);
		/* adds nothing to a kept slice: goes; unless that one adds nothing
		 * to it either and it is the larger (simpler) one: it replaces it */
		for (int32_t k = 0; k < nc && !dup && rc == 0; k++) {
			int back = 0;

			gone[k] = 0;
			if ((rc = adds_nothing(&dup, c, &cand[k], s, overall, scratch, n)) ||
			    !dup || c->n_members <= cand[k].n_members ||
			    (rc = adds_nothing(&back, &cand[k], c, s, overall, scratch, n)))
				continue;
			dup = !back;
			gone[k] = (unsigned char)back;
		}
		if (dup || rc) {
			fl_candidate_clear(c);
			if (rc)
				goto cleanup;
			continue;
		}
		for (int32_t k = 0, m = 0, before = nc; k <= before; k++) {
			if (k < before && gone[k]) {
				fl_candidate_clear(&cand[k]);
				nc--;
			} else if (m++ < k) {
				cand[m - 1] = cand[k];
				memset(&cand[k], 0, sizeof cand[k]);
			}
		}
		c = &cand[nc];
		if (!(c->member_scores = fl__malloc((size_t)c->n_members * sizeof *c->member_scores,
						    "member scores"))) {
			fl_candidate_clear(c);
			rc = FL_ENOMEM;
			goto cleanup;
		}
		for (int64_t k = 0; k < c->n_members; k++)
			c->member_scores[k] = 1.0f;
		c->score = fl_slice_score(&c->stats, overall);
		snprintf(c->method, sizeof c->method, "predicates");
		c->view[0] = 0;
		c->component = i;
		if ((rc = describe(c, r, i, t, o->alpha)) != 0) {
			fl_candidate_clear(c);
			goto cleanup;
		}
		nc++;
	}
	/* once more against the slices kept after a slice: it goes when it adds
	 * nothing to a larger one (larger: two slices never remove each
	 * other); then the first K */
	n_all = nc;
	for (int32_t q = 0, kept = 0; q < n_all && rc == 0; q++) {
		int drop = kept >= o->top;

		for (int32_t k = 0; k < n_all && !drop && rc == 0; k++)
			if (k != q && cand[k].n_members > cand[q].n_members)
				rc = adds_nothing(&drop, &cand[q], &cand[k], s, overall, scratch, n);
		if (drop) {
			fl_candidate_clear(&cand[q]);
			nc--;
		} else if (kept++ < q) {
			cand[kept - 1] = cand[q];
			memset(&cand[q], 0, sizeof cand[q]);
		}
	}
	if (rc) {
		nc = n_all; /* every slot, the cleared ones empty */
		goto cleanup;
	}
	if (nc)
		qsort(cand, (size_t)nc, sizeof *cand, fl__candidate_cmp);
	else {
		free(cand);
		cand = NULL;
	}
	*out = cand;
	*n_out = nc;
	cand = NULL;
cleanup:
	fl_candidates_free(cand, nc);
	fl_predicate_result_free(r);
	free(scratch);
	free(gone);
	return rc;
}
