/*
 * fl_discover: the whole pipeline of `faultline discover` in one call.
 *
 *   check the data, derive the failure signal           (prepare.c)
 *   split: a seeded, failure-stratified holdout half, whole groups with
 *     --group-column                                    (holdout.c)
 *   reduce each view wider than the PCA once, to 8-bit codes  (reduce_views)
 *   search the other half: in every view the mixture, the failure
 *     direction and k-means; in the metadata the predicate search
 *   make each slice's members the rows its spec selects (settle_members)
 *   confirm every slice's spec on the holdout half      (fl_report_confirm)
 *   explain away: search again among the rows outside the causes found,
 *     confirm among the holdout rows outside them       (search_again)
 *   group everything into causes, ranked by the failures each accounts
 *     for beyond the causes above it                    (fl_report_causes)
 *   describe by metadata and by phrases                 (fl_report_describe*)
 *
 * The methods see the discovery half as their own rows (the per-row
 * arrays gathered, the views read through the half's row index or its
 * reduction); their members are renamed back to the caller's rows before
 * the report takes them. With one method alone its raw top-K is reported, searched
 * once and ranked by its score, to compare with that method's peer tool.
 */
#include "candidate/candidate_internal.h"
#include "cluster/kmeans_internal.h"
#include "direction/direction_internal.h"
#include "mixture/mixture_internal.h"
#include "pipeline_internal.h"
#include "report/report_internal.h"
#include "spec/spec_internal.h"

#include <stdio.h>
#include <string.h>

/* A view reduced once for its methods (fl_lift): the PCA the mixture
 * fits, applied to every row of the discovery half, in 8-bit codes (the
 * mixture's working copy). pca.r == 0: the view is searched as it is (its
 * dimension within the PCA's, or normalised). */
typedef struct reduced {
	fl_pca pca;
	fl_mx_codes codes; /* discovery-half row k: codes row k */
	float *res2;       /* its squared distance from the PCA's subspace */
	fl_mx_codes held;  /* the k-th holdout row: codes row k (room_for_holdout) */
	uint8_t held_ready; /* held written */
} reduced;

/* The rows a search runs on: all of them, or the discovery half. Arrays
 * are borrowed from the caller (all rows) or owned here (a half's copies
 * of the per-row arrays but the probabilities, which the mixture reads
 * through rows); the views are always the caller's, read through
 * rows by the methods, or their reductions (red, read through zrows: the
 * position of each row in the half they were reduced on, NULL there). */
typedef struct half {
	int64_t n;
	int64_t *rows;        /* owned: the original row of each, NULL = identity */
	const double *failure;
	const int64_t *labels;
	const float **views;  /* owned array of the caller's views */
	fl_table *meta;       /* owned when rows, else NULL (the caller's is used) */
	fl_failure_summary *summary;
	int owned;
	const reduced *red;   /* n_views, or NULL */
	int64_t *zrows;       /* owned */
} half;

static void half_free(half *h)
{
	if (h->owned) {
		free((void *)(uintptr_t)h->failure);
		free((void *)(uintptr_t)h->labels);
		fl_table_free(h->meta);
	}
	free(h->views);
	free(h->rows);
	free(h->zrows);
	fl_failure_summary_free(h->summary);
}

/* After its search a half needs only its rows, failures and summary (to
 * settle and confirm): its copies of labels and metadata go before a later
 * search gathers its own. */
static void half_shed(half *h)
{
	if (!h->owned)
		return;
	free((void *)(uintptr_t)h->labels);
	fl_table_free(h->meta);
	h->labels = NULL;
	h->meta = NULL;
}

static void reduced_free(reduced *rd, int32_t n_views)
{
	for (int32_t v = 0; rd && v < n_views; v++) {
		fl_pca_clear(&rd[v].pca);
		fl_mx_codes_free(&rd[v].codes);
		fl_mx_codes_free(&rd[v].held);
		free(rd[v].res2);
	}
	free(rd);
}

/* Each view wider than the mixture's PCA reduced once on the rows of h
 * (the mixture's own fit: same rows, options and seed), for every method
 * and every search: a pass over the view's raw rows per search instead of
 * one per method and model fit. Not with normalised rows (the methods
 * then see unit rows, which a PCA of the raw rows does not describe). */
static int reduce_views(reduced **out, const half *h, const fl_data *d, const fl_discover_opts *o)
{
	static const fl_discover_mixture_opts mixture = FL_DISCOVER_MIXTURE_OPTS_INIT;
	reduced *rd;
	int rc = 0;

	*out = NULL;
	if (o->normalize || !(o->methods & (FL_METHOD_MIXTURE | FL_METHOD_KMEANS |
					    FL_METHOD_DIRECTION)))
		return 0;
	if (!(rd = fl__calloc((size_t)d->n_views + 1, sizeof *rd, "reduced views")))
		return FL_ENOMEM;
	for (int32_t v = 0; rc == 0 && v < d->n_views; v++) {
		fl_pca_opts po = FL_PCA_OPTS_INIT;
		int64_t dim = d->views[v].dim;

		if (dim <= o->pca_dims)
			continue;
		po.n_components = o->pca_dims;
		po.max_rows = mixture.pca_rows;
		po.seed = o->seed;
		po.threads = o->threads;
		if ((rc = fl_pca__fit(&rd[v].pca, h->views[v], h->rows, h->n, dim, dim, &po)) ||
		    rd[v].pca.r < 1)
			continue;
		rd[v].res2 = fl__malloc((size_t)(h->n ? h->n : 1) * sizeof(float), "reduced view");
		if (!rd[v].res2 || (rc = fl_mx_codes_alloc(&rd[v].codes, h->n, rd[v].pca.r)))
			rc = FL_ENOMEM;
		else
			rc = fl_pca__reduce(&rd[v].pca, h->views[v], h->rows, h->n, dim, o->threads,
					    &rd[v].codes, rd[v].res2);
	}
	for (int32_t v = 0; rc == 0 && v < d->n_views; v++)
		if (rd[v].pca.r > 0) {
			*out = rd;
			return 0;
		}
	reduced_free(rd, d->n_views); /* none reduced, or an error */
	return rc;
}

/* Room for the holdout rows of each reduced view in codes of its PCA,
 * written by the first confirmation's projection of every holdout row
 * (fl_spec__cache_reduced): the later confirmations then decide the rows of
 * their mixture specs on the codes and project only the rows the codes
 * leave open, not every holdout row again (200k x 512: the second 0.12 ->
 * 0.07 s; the same members). Made after the first search, whose scratch is
 * gone then. */
static int room_for_holdout(reduced *rd, const fl_data *d, const uint8_t *holdout, int64_t n)
{
	int64_t m = 0;
	int rc = 0;

	for (int64_t i = 0; i < n; i++)
		m += holdout[i] != 0;
	for (int32_t v = 0; rc == 0 && v < d->n_views; v++)
		if (rd[v].pca.r > 0)
			rc = fl_mx_codes_alloc(&rd[v].held, m, rd[v].pca.r);
	return rc;
}

/* h2 (rows a subset of h's, both ascending) reads h's reductions */
static int reduced_rows(half *h2, const half *h)
{
	int64_t k = 0;

	h2->red = h->red;
	if (!h->red)
		return 0;
	if (!(h2->zrows = fl__malloc((size_t)(h2->n ? h2->n : 1) * sizeof(int64_t), "reduced rows")))
		return FL_ENOMEM;
	for (int64_t i = 0; i < h2->n; i++) {
		while (h->rows && h->rows[k] < h2->rows[i])
			k++;
		h2->zrows[i] = h->rows ? k : h2->rows[i];
	}
	return 0;
}

/* Rows[0..m) of an n x d array of `size`-byte items, or NULL (FL_ENOMEM). */
static void *gather(const void *x, size_t size, int64_t d, const int64_t *rows, int64_t m)
{
	size_t row = size * (size_t)d;
	char *out = fl__malloc((m ? (size_t)m : 1) * row, "the discovery half");

	for (int64_t i = 0; out && i < m; i++)
		memcpy(out + (size_t)i * row, (const char *)x + (size_t)rows[i] * row, row);
	return out;
}

/* The rows with skip[i] == 0 (all rows when NULL): the discovery half, or
 * its rows outside the causes found so far. */
static int half_make(half *h, const fl_prep *p, const fl_data *d, const uint8_t *skip)
{
	int64_t m = 0;
	int rc;

	memset(h, 0, sizeof *h);
	if (!(h->views = fl__calloc((size_t)d->n_views + 1, sizeof *h->views, "views")))
		return FL_ENOMEM;
	if (!skip) {
		h->n = p->n;
		h->failure = p->failure;
		h->labels = p->labels;
		for (int32_t v = 0; v < d->n_views; v++)
			h->views[v] = d->views[v].x;
	} else {
		h->owned = 1;
		for (int64_t i = 0; i < p->n; i++)
			m += !skip[i];
		if (!(h->rows = fl__malloc((size_t)(m ? m : 1) * sizeof *h->rows, "the discovery half")))
			return FL_ENOMEM;
		for (int64_t i = 0, j = 0; i < p->n; i++)
			if (!skip[i])
				h->rows[j++] = i;
		h->n = m;
		if (!(h->failure = gather(p->failure, sizeof(double), 1, h->rows, m)) ||
		    (p->labels && !(h->labels = gather(p->labels, sizeof(int64_t), 1, h->rows, m))))
			return FL_ENOMEM;
		/* the views are read through h->rows, never copied: the methods
		 * take the rows of a view they search (their opts' rows) */
		for (int32_t v = 0; v < d->n_views; v++)
			h->views[v] = d->views[v].x;
		if (p->table && (rc = fl_table_subset(&h->meta, p->table, h->rows, m)))
			return rc;
	}
	return fl_failure_summary_new(&h->summary, h->failure, h->n);
}

/* The message of the last error, prefixed with what failed. */
static int prefixed(int rc, const char *what)
{
	char msg[1024];

	snprintf(msg, sizeof msg, "%s", fl_last_error());
	return fl__error(rc, "%s: %s", what, msg);
}

/* Candidates of one method are moved into the report, their members
 * renamed from the half's rows to the original ones. */
static int add_candidates(fl_report *r, const half *h, fl_candidate *cands, int32_t n_cands,
			  int rc, const char *what)
{
	for (int32_t i = 0; rc == 0 && h->rows && i < n_cands; i++)
		for (int64_t k = 0; k < cands[i].n_members; k++)
			cands[i].members[k] = h->rows[cands[i].members[k]];
	if (rc == 0)
		rc = fl_report_add_candidates(r, cands, n_cands);
	fl_candidates_free(cands, n_cands);
	return rc && rc != FL_ENOMEM && rc != FL_ECANCELED ? prefixed(rc, what) : rc;
}

/* A stage's seconds; with several ranks, then the part of them this rank
 * stood in the exchanges (FL_TIMING_EXCHANGES). */
static int timing(fl_report *r, const char *stage, double seconds, double exchanges)
{
	char what[128];
	int rc;

	if ((rc = fl_report_add_timing(r, stage, seconds)) || fl__comm_ranks() < 2)
		return rc;
	snprintf(what, sizeof what, "%s" FL_TIMING_EXCHANGES, stage);
	return fl_report_add_timing(r, what, exchanges);
}

/* The start of a stage's seconds (lap), and of its seconds in the exchanges */
static double stage_start(void)
{
	fl__comm_lap();
	return fl__now();
}

/* With opts.timings: the time since *t added to stage "WHAT[ VIEW]" of r;
 * *t = now. */
static int lap(fl_report *r, const fl_discover_opts *o, const char *what, const char *view,
	       double *t)
{
	char stage[96];
	double now;

	if (!o->timings)
		return 0;
	now = fl__now();
	snprintf(stage, sizeof stage, "%s%s%.60s", what, view ? " " : "", view ? view : "");
	now -= *t;
	*t += now;
	return timing(r, stage, now, fl__comm_lap());
}

/* Move a method's n candidates to the end of *all (rc: the method's). */
static int collect(fl_candidate **all, int32_t *n_all, fl_candidate *cands, int32_t n, int rc)
{
	fl_candidate *a = rc == 0 && n > 0 ? realloc(*all, (size_t)(*n_all + n) * sizeof *a) : NULL;

	if (a) {
		*all = a;
		memcpy(a + *n_all, cands, (size_t)n * sizeof *a);
		*n_all += n;
		free(cands);
		return 0;
	}
	fl_candidates_free(cands, n);
	return rc ? rc : n > 0 ? fl__error(FL_ENOMEM, "out of memory collecting slices") : 0;
}

/* The view methods (failure direction, mixture, k-means) in view v; with
 * more than one method, clusters that moved alike from their classes
 * become one more candidate each group (fl__candidates_shift). */
static int discover_view(fl_report *r, const half *h, const fl_prep *p, const fl_data *d,
			 const fl_discover_opts *o, int32_t v, int32_t round)
{
	const char *name = d->views[v].name;
	int64_t dim = d->views[v].dim;
	/* the methods search the view's reduction when there is one */
	const reduced *rv = h->red && h->red[v].pca.r > 0 ? &h->red[v] : NULL;
	fl_lift lift = {rv ? &rv->pca : NULL, rv ? &rv->codes : NULL, rv ? rv->res2 : NULL};
	const fl_lift *lp = rv ? &lift : NULL;
	const float *x = rv ? NULL : h->views[v];
	const int64_t *xrows = rv ? h->zrows : h->rows;
	int64_t xd = rv ? rv->pca.r : dim;
	fl_candidate *cands = NULL, *all = NULL;
	int32_t n_cands = 0, n_all = 0;
	char what[80];
	double t = stage_start();
	int rc = 0;

	snprintf(what, sizeof what, "view %s", name);
	if (o->methods & FL_METHOD_DIRECTION) {
		fl_direction_opts dopt = FL_DIRECTION_OPTS_INIT;

		dopt.per_class = o->per_class;
		dopt.normalize = o->normalize;
		dopt.min_size = o->min_size;
		dopt.seed = o->seed;
		dopt.threads = o->threads;
		dopt.progress = o->progress;
		dopt.progress_user = o->progress_user;
		dopt.rows = xrows;
		rc = fl__discover_direction(&cands, &n_cands, x, h->n, xd, xd, name, h->labels,
					    p->n_classes, h->summary, h->failure, &dopt, lp);
		if ((rc = collect(&all, &n_all, cands, n_cands, rc)) == 0)
			rc = lap(r, o, "direction", name, &t);
	}
	if (rc == 0 && (o->methods & FL_METHOD_MIXTURE)) {
		fl_discover_mixture_opts mo = FL_DISCOVER_MIXTURE_OPTS_INIT;
		char *path = NULL;

		if ((rc = fl_report__model_path(r, o->model_prefix, name, round, &path))) {
			fl_candidates_free(all, n_all);
			return rc;
		}
		mo.k = o->components;
		mo.pca_dims = o->pca_dims;
		mo.min_size = o->min_size;
		mo.model_path = path;
		mo.seed = o->seed;
		mo.threads = o->threads;
		mo.progress = o->progress;
		mo.progress_user = o->progress_user;
		mo.rows = xrows;
		rc = fl__discover_mixture(&cands, &n_cands, x, h->n, xd, xd, name, h->labels, p->probs,
					  h->rows, p->n_classes, h->summary, h->failure, &mo, lp);
		free(path);
		if ((rc = collect(&all, &n_all, cands, n_cands, rc)) == 0)
			rc = lap(r, o, "mixture", name, &t);
	}
	if (rc == 0 && (o->methods & FL_METHOD_KMEANS)) {
		fl_discover_kmeans_opts ko = FL_DISCOVER_KMEANS_OPTS_INIT;

		ko.k = o->k;
		ko.min_size = o->min_size;
		ko.normalize = o->normalize;
		ko.seed = o->seed;
		ko.threads = o->threads;
		ko.progress = o->progress;
		ko.progress_user = o->progress_user;
		ko.rows = xrows;
		rc = fl__discover_kmeans(&cands, &n_cands, x, h->n, xd, xd, name, h->summary,
					 h->failure, &ko, lp);
		if ((rc = collect(&all, &n_all, cands, n_cands, rc)) == 0)
			rc = lap(r, o, "kmeans", name, &t);
	}
	if (rc == 0 && (o->methods & (o->methods - 1)) &&
	    (rc = fl__candidates_shift(&all, &n_all, h->views[v], h->rows, h->n, dim, h->labels,
				       p->n_classes, h->failure, h->summary, o->threads)) == 0)
		rc = lap(r, o, "shift", name, &t);
	return add_candidates(r, h, all, n_all, rc, what);
}

/* Notes name columns: passed on as inert text, like every message. */
typedef struct note_to {
	fl_note_fn fn;
	void *user;
} note_to;

static void inert_note(void *user, const char *message)
{
	const note_to *to = user;
	char text[1024];

	fl__inert(text, sizeof text, message);
	to->fn(to->user, text);
}

/* Predicate search over the metadata (the id and group columns are not predicates). */
#define PREDICATE_TOP 20

static int discover_meta(fl_report *r, const half *h, const fl_prep *p, const fl_data *d,
			 const fl_discover_opts *o)
{
	fl_predicate_opts po = FL_PREDICATE_OPTS_INIT;
	note_to to = {o->note, o->note_user};
	fl_candidate *cands = NULL;
	int32_t n_cands = 0;
	int64_t skip[2];
	double t = stage_start();
	int rc;

	po.alpha = o->alpha;
	po.max_level = o->max_level;
	if (o->min_support >= 1)
		po.min_support = (int64_t)o->min_support;
	else
		po.min_support_frac = o->min_support;
	po.bins = o->bins;
	po.max_set = o->max_set;
	po.language = (fl_predicate_language)o->predicate_language;
	po.cut_table = p->table; /* the same cuts as the descriptions, on all rows */
	/* alone, the predicate search is SliceLine with its top-K; among the
	 * other methods it gives as many slices whatever `top` is, so that
	 * the causes chosen never depend on how many are shown */
	po.top = o->methods != FL_METHOD_PREDICATES ? PREDICATE_TOP : o->top > 10 ? o->top : 10;
	po.skip_cols = skip;
	po.n_skip = fl_pipeline__skip_cols(skip, p, d, o);
	po.threads = o->threads;
	po.note = o->note ? inert_note : NULL;
	po.note_user = &to;
	po.progress = o->progress;
	po.progress_user = o->progress_user;
	rc = fl_discover_predicates(&cands, &n_cands, h->meta ? h->meta : p->table, h->failure,
				    h->summary, &po);
	rc = add_candidates(r, h, cands, n_cands, rc, d->meta_name ? d->meta_name : "metadata");
	return rc ? rc : lap(r, o, "predicates", NULL, &t);
}

/* The half's index of original row `row`, -1 when it is not one of its
 * rows (h->rows ascending: a binary search, not an index of every row,
 * which is 80 MB at 10M rows) */
static int64_t half_index(const half *h, int64_t row)
{
	int64_t lo = 0, hi = h->n;

	if (!h->rows)
		return row;
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;

		if (h->rows[mid] < row)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->n && h->rows[lo] == row ? lo : -1;
}

/* A slice is its rule: its members become exactly the discovery rows its
 * spec selects, so that the spec applied to the same data later selects
 * the members and holdout members again, nothing else. A method's own
 * members can differ slightly: a direction slice is the top of the
 * cross-fitted ranking while its spec thresholds the averaged direction;
 * a mixture assigns rows on the 8-bit coded projection, its spec on the
 * exact one; k-means measures distances in float, its spec in double.
 * Where they differ, rows still selected keep the method's order and
 * scores, rows the spec adds follow in row order with the last score, and
 * the statistics and score are measured again on the discovery half. */
static int settle_one(fl_candidate *c, const half *h, const fl_spec_data *sd, uint8_t *sel,
		      fl_spec_cache **cache)
{
	int64_t k = 0, j = 0, *members = NULL, *local = NULL;
	float *scores = NULL, last = 0;
	fl_slice_stats st;
	int same, rc;

	if ((rc = fl_spec__apply_cached(sel, c->spec_json, sd, h->rows, h->n, cache)))
		return rc;
	for (int64_t i = 0; i < h->n; i++)
		k += sel[i];
	same = k == c->n_members;
	for (int64_t m = 0; m < c->n_members && same; m++) {
		int64_t i = half_index(h, c->members[m]);

		same = i >= 0 && sel[i];
	}
	if (same)
		return 0;
	members = fl__malloc((size_t)(k ? k : 1) * sizeof *members, "slice members");
	scores = fl__malloc((size_t)(k ? k : 1) * sizeof *scores, "slice members");
	local = fl__malloc((size_t)(k ? k : 1) * sizeof *local, "slice members");
	if (!members || !scores || !local) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int64_t m = 0; m < c->n_members; m++) {
		int64_t i = half_index(h, c->members[m]);

		if (i < 0 || sel[i] != 1)
			continue;
		sel[i] = 2; /* taken */
		local[j] = i;
		members[j] = c->members[m];
		scores[j++] = last = c->member_scores ? c->member_scores[m] : 1.0f;
	}
	for (int64_t i = 0; i < h->n; i++)
		if (sel[i] == 1) {
			local[j] = i;
			members[j] = h->rows ? h->rows[i] : i;
			scores[j++] = last;
		}
	if ((rc = fl_slice_stats_compute(&st, h->summary, local, k)))
		goto cleanup;
	free(c->members);
	free(c->member_scores);
	c->members = members;
	c->member_scores = scores;
	c->n_members = k;
	members = NULL;
	scores = NULL;
	c->stats = st;
	c->score = fl_slice_score(&st, fl_failure_summary_mean(h->summary)) *
		   fl_report__agreement_factor(c);
cleanup:
	free(members);
	free(scores);
	free(local);
	return rc;
}

/* A rule's members are alike under it: they are listed worst failure
 * first (the failure signal, then the lower probability given to the true
 * class), then by row, so that the first members shown are the failures
 * the rule names. Its member scores are all equal. */
typedef struct {
	double f, p;
	int64_t row;
} worst;

static int cmp_worst(const void *pa, const void *pb)
{
	const worst *a = pa, *b = pb;

	if (a->f != b->f)
		return a->f > b->f ? -1 : 1;
	if (a->p != b->p)
		return a->p < b->p ? -1 : 1;
	return (a->row > b->row) - (a->row < b->row);
}

static int worst_first(fl_candidate *c, const half *h, const fl_spec_data *sd)
{
	worst *w = fl__malloc((size_t)(c->n_members ? c->n_members : 1) * sizeof *w, "slice members");
	int rc;

	if (!w)
		return FL_ENOMEM;
	for (int64_t m = 0; m < c->n_members; m++) {
		int64_t row = c->members[m], i = half_index(h, row);
		double p = sd->probs && sd->labels ? sd->probs[row * sd->n_classes + sd->labels[row]] : 0;

		w[m] = (worst){h->failure[i], p, row};
	}
	rc = fl__comm_sort(w, c->n_members, sizeof *w, cmp_worst, sd->threads);
	for (int64_t m = 0; m < c->n_members && rc == 0; m++)
		c->members[m] = w[m].row;
	free(w);
	return rc;
}

/* Settle the slices from index `first` on. */
static int settle_members(fl_report *r, const half *h, const fl_spec_data *sd, int32_t first)
{
	uint8_t *sel = fl__malloc((size_t)(h->n ? h->n : 1), "slice rows");
	fl_spec_cache *cache = NULL;
	int rc = sel ? 0 : FL_ENOMEM;

	/* the half's reductions: mixture specs project only the rows their
	 * codes leave open (sd's views are d's, in order) */
	for (int32_t v = 0; rc == 0 && h->red && v < sd->n_views; v++)
		if (h->red[v].pca.r > 0)
			rc = fl_spec__cache_reduced(&cache, sd, h->rows, h->n,
						    &(fl_spec_codes){sd->views[v].name, &h->red[v].pca,
								     &h->red[v].codes, NULL, NULL});
	for (int32_t s = first; rc == 0 && s < r->n_slices; s++) {
		fl_candidate *c = &r->slices[s];

		if (c->spec_json && (rc = settle_one(c, h, sd, sel, &cache)) && rc != FL_ENOMEM) {
			char what[160];

			snprintf(what, sizeof what, "the rule of slice %s/%s %d", c->method, c->view,
				 (int)c->component);
			rc = prefixed(rc, what);
		}
		if (rc == 0 && c->spec_json && strcmp(c->method, "predicates") == 0)
			rc = worst_first(c, h, sd);
	}
	fl_spec__cache_free(cache);
	free(sel);
	return rc;
}

/* Every method needs MIN_ROWS rows to search (a mixture or a PCA of one
 * row is not defined), and the confirmation as many to re-measure. */
#define MIN_ROWS 2

static int enough_rows(const fl_prep *p, const fl_data *d, const uint8_t *holdout)
{
	int64_t held = 0;

	for (int64_t i = 0; holdout && i < p->n; i++)
		held += holdout[i];
	if (!holdout && p->n < MIN_ROWS)
		return fl__error(FL_EINVAL, "%s: %lld row%s, too few to search (at least %d)",
				 fl_pipeline__data_name(d), (long long)p->n, p->n == 1 ? "" : "s",
				 MIN_ROWS);
	if (holdout && (held < MIN_ROWS || p->n - held < MIN_ROWS))
		return fl__error(FL_EINVAL, "%s: %lld row%s, too few to search one half and confirm "
				 "on the other (at least %d in each; without a holdout, %d in all)",
				 fl_pipeline__data_name(d), (long long)p->n,
				 p->n == 1 ? "" : "s", MIN_ROWS, MIN_ROWS);
	return 0;
}

/* One search of the rows of half h: the view methods in every view, then
 * the predicates; its results are marked with the round. */
static int search_round(fl_report *r, const half *h, const fl_prep *p, const fl_data *d,
			const fl_discover_opts *o, int32_t round)
{
	int32_t first = r->n_slices;
	int rc = 0;

	for (int32_t v = 0; rc == 0 && v < d->n_views; v++)
		rc = discover_view(r, h, p, d, o, v, round);
	if (rc == 0 && (o->methods & FL_METHOD_PREDICATES))
		rc = discover_meta(r, h, p, d, o);
	for (int32_t s = first; s < r->n_slices; s++)
		r->slices[s].round = round;
	return rc;
}

static int confirm(fl_report *r, const fl_spec_data *sd, const fl_prep *p, const uint8_t *holdout,
		   const uint8_t *within, const fl_discover_opts *o, reduced *red)
{
	fl_spec_codes *held = fl__malloc((size_t)(sd->n_views + 1) * sizeof *held, "reduced views");
	int32_t n_held = 0;
	int rc;

	if (!held)
		return FL_ENOMEM;
	/* sd's views are d's, in order */
	for (int32_t v = 0; red && v < sd->n_views; v++)
		if (red[v].pca.r > 0 && red[v].held.code)
			held[n_held++] = (fl_spec_codes){sd->views[v].name, &red[v].pca, &red[v].held,
							 &red[v].held, &red[v].held_ready};
	rc = fl_report__confirm_within(r, sd, p->failure, holdout, within, o->fdr, held, n_held);
	free(held);

	return rc && rc != FL_ENOMEM && rc != FL_ECANCELED ? prefixed(rc, "confirming on the holdout")
							   : rc;
}

/* Explaining away: search again among the discovery rows outside the
 * causes found so far (replicated ones, when confirmed), and confirm what
 * is found among the holdout rows outside them, until `rounds` searches
 * ran or nothing new is found. The new slices' members are still every
 * discovery row their spec selects (settled on h, the whole half). */
static int search_again(fl_report *r, const half *h, const fl_prep *p, const fl_data *d,
			const fl_discover_opts *o, const fl_spec_data *sd, const uint8_t *holdout,
			reduced *red)
{
	uint8_t *cause = fl__malloc((size_t)p->n, "rows of causes");
	uint8_t *skip = fl__malloc((size_t)p->n, "rows of causes");
	uint8_t *outside = fl__malloc((size_t)p->n, "rows of causes");
	fl_discover_opts again = *o;
	int rc = cause && skip && outside ? 0 : FL_ENOMEM;

	/* the later searches run every method but the failure direction: one
	 * direction separates the failing rows of the cause found first, and
	 * among the rows outside it found nothing that the mixture, k-means
	 * and the predicates did not, on the quality benchmark at four seeds
	 * (docs/performance.md); it cost a fifth of the second search */
	if (o->methods & (FL_METHOD_MIXTURE | FL_METHOD_KMEANS))
		again.methods &= ~(uint32_t)FL_METHOD_DIRECTION;

	for (int32_t round = 2; rc == 0 && round <= o->rounds; round++) {
		int32_t first = r->n_slices, n_causes = 0;
		int64_t searched = 0, confirmed = 0;
		double t = stage_start();
		half h2 = {0};

		if ((rc = fl_report__cause_rows(r, p->failure, cause, &n_causes)) || n_causes == 0)
			break;
		for (int64_t i = 0; i < p->n; i++) {
			skip[i] = cause[i] || (holdout && holdout[i]);
			outside[i] = !cause[i];
			searched += !skip[i];
			confirmed += holdout && holdout[i] && !cause[i];
		}
		if (searched < MIN_ROWS || (holdout && confirmed < MIN_ROWS) ||
		    (rc = fl_report__set_round_skip(r, round, cause)))
			break;
		if ((rc = half_make(&h2, p, d, skip)) == 0)
			rc = reduced_rows(&h2, h);
		if (rc == 0 && (rc = lap(r, o, "split", NULL, &t)) == 0)
			rc = search_round(r, &h2, p, d, &again, round);
		half_free(&h2);
		t = stage_start();
		if (rc == 0 && (rc = settle_members(r, h, sd, first)) == 0)
			rc = lap(r, o, "settle", NULL, &t);
		if (rc == 0 && holdout && (rc = confirm(r, sd, p, holdout, outside, o, red)) == 0)
			rc = lap(r, o, "confirm", NULL, &t);
		if (r->n_slices == first)
			break;
	}
	free(cause);
	free(skip);
	free(outside);
	return rc;
}

/* Search the discovery half (or everything without a holdout), confirm
 * every slice on the holdout half, and search again outside the causes
 * found (explaining away). One method alone searches once: its raw
 * results, to compare with that method's peer tool. */
static int search(fl_report *r, const fl_prep *p, const fl_data *d, const fl_discover_opts *o)
{
	uint8_t *holdout = NULL;
	fl_spec_view *sv = NULL;
	fl_spec_data sd = FL_SPEC_DATA_INIT;
	reduced *red = NULL;
	half h = {0};
	double t = stage_start();
	int rc = 0;

	if ((rc = fl_pipeline__holdout(&holdout, r, p, d, o)))
		return rc;
	if ((rc = enough_rows(p, d, holdout))) {
		free(holdout);
		return rc;
	}
	rc = half_make(&h, p, d, holdout);
	if (rc == 0 && (rc = lap(r, o, "split", NULL, &t)) == 0 &&
	    (rc = reduce_views(&red, &h, d, o)) == 0) {
		h.red = red;
		if (!red || (rc = lap(r, o, "reduce", NULL, &t)) == 0)
			rc = search_round(r, &h, p, d, o, 1);
		half_shed(&h);
	}
	t = stage_start();
	if (rc == 0 && (rc = fl_pipeline__spec_data(&sd, &sv, p, d, fl_report__model_dir(r))) == 0)
		sd.threads = o->threads;
	if (rc ||
	    (rc = settle_members(r, &h, &sd, 0)) || (rc = lap(r, o, "settle", NULL, &t)) ||
	    (holdout && ((red && (o->methods & FL_METHOD_MIXTURE) &&
			  (rc = room_for_holdout(red, d, holdout, p->n))) ||
			 (rc = confirm(r, &sd, p, holdout, NULL, o, red)) ||
			 (rc = lap(r, o, "confirm", NULL, &t)))))
		goto cleanup;
	if (o->methods & (o->methods - 1))
		rc = search_again(r, &h, p, d, o, &sd, holdout, red);
cleanup:
	half_free(&h);
	reduced_free(red, d->n_views);
	free(sv);
	free(holdout);
	return rc;
}

/* The options as the report's parameters record them. */
static int record_params(fl_report *r, const fl_data *d, const fl_discover_opts *o)
{
	static const char *const keys[] = {"seed", "top", "k", "min_size", "normalize",
		"components", "pca_dims", "holdout", "fdr", "alpha", "max_level", "min_support", "bins",
		"max_set", "predicate_language"};
	char buf[96];
	int rc = 0;

	if (fl_discover_opts_get(o, "methods", buf, sizeof buf))
		return FL_EINVAL;
	rc |= fl_report_set_param(r, "methods", buf);
	/* the input files (the views' are recorded with the views) */
	if (d->labels && d->labels_name)
		rc |= fl_report_set_param(r, "labels", d->labels_name);
	if ((d->probs || d->preds) && (d->probs ? d->probs_name : d->preds_name))
		rc |= fl_report_set_param(r, !d->probs ? "preds" : d->probs_are_logits ? "logits" : "probs",
					  d->probs ? d->probs_name : d->preds_name);
	if (d->meta && d->meta_name)
		rc |= fl_report_set_param(r, "meta", d->meta_name);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *key = keys[i];

		if ((!strcmp(key, "components") || !strcmp(key, "pca_dims")) &&
		    !(o->methods & FL_METHOD_MIXTURE))
			continue;
		if ((!strcmp(key, "alpha") || !strcmp(key, "max_level") ||
		     !strcmp(key, "min_support") || !strcmp(key, "bins") || !strcmp(key, "max_set") ||
		     !strcmp(key, "predicate_language")) &&
		    !(o->methods & FL_METHOD_PREDICATES))
			continue;
		if (!strcmp(key, "holdout")) { /* "half" or "none" */
			rc |= fl_report_set_param(r, "holdout", o->holdout ? "half" : "none");
			continue;
		}
		if (fl_discover_opts_get(o, key, buf, sizeof buf))
			return FL_EINVAL;
		if (!strcmp(key, "k") || !strcmp(key, "min_size")) /* 0 = "auto" */
			snprintf(buf, sizeof buf, "%s", strcmp(buf, "automatic") ? buf : "auto");
		rc |= fl_report_set_param(r, key, buf);
	}
	return rc ? FL_ENOMEM : 0;
}

/* Phrases ranked along every slice in the view they were embedded for. */
static int describe_phrases(fl_report *r, const fl_data *d)
{
	int32_t v = 0;
	int rc;

	if (!d->phrases)
		return 0;
	while (v < d->n_views && strcmp(d->views[v].name, d->phrase_view ? d->phrase_view : "") != 0)
		v++;
	if (v == d->n_views)
		return fl__error(FL_EINVAL, "phrase view %s is not one of the views",
				 d->phrase_view ? d->phrase_view : "(none)");
	if (!d->phrase_emb)
		return fl__error(FL_EINVAL, "phrases without their embeddings");
	if ((rc = fl_check_finite_f32(d->phrase_emb, d->n_phrases, d->views[v].dim, d->views[v].dim,
				      d->phrase_emb_name ? d->phrase_emb_name : "phrase embeddings")))
		return rc;
	return fl_report_describe_phrases(r, d->views[v].x, d->views[v].dim, d->phrases,
					  d->phrase_emb, d->n_phrases);
}

/* Every method whose inputs are given, or the selected ones (which must have them). */
static int select_methods(uint32_t *methods, const fl_data *d, const fl_prep *p, uint32_t asked)
{
	static const char *const names[] = {"mixture", "kmeans", "direction", "predicates"};

	*methods = asked;
	for (int m = 0; m < 4; m++) {
		int needs_view = (1u << m) != FL_METHOD_PREDICATES;
		int has = needs_view ? d->n_views > 0 : p->table != NULL;

		if (!asked && has)
			*methods |= 1u << m;
		else if ((asked & 1u << m) && !has)
			return fl__error(FL_EINVAL, "method %s needs %s", names[m],
					 needs_view ? "a view" : "metadata, or labels with predictions");
	}
	if (!*methods)
		return fl__error(FL_EINVAL, "need a view, metadata, or labels with predictions to search");
	return 0;
}

int fl_pipeline__discover(fl_report **out, fl_prep *p, const fl_data *d,
			  const fl_discover_opts *opts)
{
	fl_discover_opts o = *opts;
	fl_failure_summary *s = NULL;
	fl_report *r = NULL;
	double t;
	int rc;

	if ((rc = select_methods(&o.methods, d, p, opts->methods)))
		return rc;
	if (o.per_class && !p->labels)
		return fl__error(FL_EINVAL, "option per_class needs labels");
	if (d->phrases && (!d->phrase_emb || !d->phrase_view))
		return fl__error(FL_EINVAL, "phrases need their embeddings and their view");
	if ((rc = fl_failure_summary_new(&s, p->failure, p->n)) ||
	    (rc = fl_report_new(&r, s, p->n, p->failure_name)) ||
	    (rc = fl_report_set_table(r, d->meta, p->id_col)) || (rc = record_params(r, d, &o)) ||
	    (p->labels && p->preds &&
	     (rc = fl_report_set_classes(r, p->labels, p->preds, p->n_classes, p->class_names))))
		goto cleanup;
	if ((o.timings && (rc = timing(r, "prepare", p->prepare_seconds, p->prepare_exchanges))) ||
	    (rc = fl_pipeline__report_views(r, p, d, NULL, 0)) || (rc = search(r, p, d, &o)))
		goto cleanup;
	t = stage_start();
	if (!o.holdout && o.note)
		o.note(o.note_user, "no holdout: slices are measured on the data they were found in; "
		       "their p-values are optimistic and nothing is confirmed");
	if ((o.methods & (o.methods - 1) ? (rc = fl_report_causes(r, p->failure, o.top))
					  : (rc = fl_report_rank(r, o.top)) ||
					    (rc = fl_report__measure(r, p->failure))) ||
	    (rc = lap(r, &o, "causes", NULL, &t)) ||
	    /* descriptions say who the rows are in the metadata's terms, not
	     * what the model did with them (the confusions say that): label,
	     * not predicted; without metadata, none */
	    (rc = fl_report__describe(r, !d->meta ? NULL : p->with_label ? p->with_label : p->table,
				      p->id_col, o.threads)) ||
	    (rc = describe_phrases(r, d)) || (rc = lap(r, &o, "describe", NULL, &t)))
		goto cleanup;
	if (o.map && d->n_views > 0 && p->n > 1 &&
	    (rc = fl_report_set_map(r, d->views[0].name, d->views[0].x, d->views[0].dim, o.seed)) == 0)
		rc = lap(r, &o, "map", NULL, &t);
cleanup:
	fl_failure_summary_free(s);
	if (rc) {
		fl_report_free(r);
		r = NULL;
	}
	*out = r;
	return rc;
}

int fl_discover(fl_report **out, const fl_data *data, const fl_discover_opts *opts)
{
	static const fl_discover_opts defaults = FL_DISCOVER_OPTS_INIT;
	fl_prep *p = NULL;
	double t;
	int rc;

	if (!out)
		return fl__error(FL_EINVAL, "nowhere to put the report (out is NULL)");
	*out = NULL;
	opts = opts ? opts : &defaults;
	if ((rc = fl_discover_opts_check(opts)))
		return rc;
	if (!(p = fl__calloc(1, sizeof *p, "prepared data")))
		return FL_ENOMEM;
	/* with several ranks, each computes its share of every pass over the
	 * rows (faultline/comm.h) */
	fl__comm_enter(opts->comm, data->n);
	t = stage_start();
	rc = fl_pipeline__prepare(p, data, opts->failure_kind, 1, opts->threads);
	p->prepare_seconds = fl__now() - t;
	p->prepare_exchanges = fl__comm_lap();
	if (rc == 0)
		rc = fl_pipeline__discover(out, p, data, opts);
	rc = fl__comm_leave() ? FL_EIO : rc;
	if (rc) {
		fl_report_free(*out);
		*out = NULL;
		fl_pipeline__prep_release(p);
		return rc;
	}
	/* the report borrows the predictions and class names derived here */
	return fl_report__set_owner(*out, p, fl_pipeline__prep_release);
}
