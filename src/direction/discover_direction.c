/*
 * Discovery along failure directions (Jain et al., "Distilling Model
 * Failures as Directions in Latent Space", 2022): per scope (all rows, or
 * one true class), fit a cross-fitted failure direction (crossfit.c), rank
 * the scope's rows by their cross-fitted decision values, and take the top
 * of that ranking as a candidate slice.
 *
 * The slice size is picked from a coarse grid (top 1, 2, 5, 10, 20% of the
 * scope, each at least min_size) by score = Wilson lower bound of the
 * failure rate / overall rate, the ranking scale of fl_discover_kmeans.
 * Choosing among five nested sets selects little on noise, and the
 * ranking cannot overfit the rows it ranks because each row's value comes
 * from a model that did not see it. The paper takes a fixed top-K per
 * class; the grid adapts the size to how far the failures extend.
 */
#include "candidate/candidate_internal.h"
#include "stats/stats_internal.h"
#include "direction_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const double grid[] = {0.01, 0.02, 0.05, 0.10, 0.20};
#define N_GRID ((int)(sizeof grid / sizeof grid[0]))

typedef struct {
	float v;
	int64_t row;
} ranked;

/* highest value first, ties by row */
static int cmp_ranked(const void *a, const void *b)
{
	const ranked *x = a, *y = b;

	if (x->v != y->v)
		return x->v > y->v ? -1 : 1;
	return (x->row > y->row) - (x->row < y->row);
}

/* descending; 0 before -0, so that equal floats are equal bits and the
 * sorted array is the same for any split of the sort */
static int cmp_float_desc(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x != y ? (x < y) - (x > y) : (signbit(x) != 0) - (signbit(y) != 0);
}

static char *spec_json(const fl_direction *dir, const char *view, int64_t label, double t,
		       const fl_lift *lift)
{
	fl_strbuf b = {0};
	const float *w = dir->weights;
	float *up = NULL;
	int64_t dim = dir->dim;
	double bias = dir->bias;

	if (lift) { /* the rule in the view's own coordinates */
		if (!(up = fl__malloc((size_t)lift->pca->d * sizeof(float), "direction spec")))
			return NULL;
		fl__lift_linear(lift, dir->weights, dir->bias, up, &bias);
		w = up;
		dim = lift->pca->d;
	}

	fl__sb_printf(&b, "{\"type\":\"direction\",\"view\":");
	fl__sb_json_str(&b, view);
	fl__sb_printf(&b, ",\"normalize\":%s", dir->normalize ? "true" : "false");
	if (label >= 0)
		fl__sb_printf(&b, ",\"label\":%lld", (long long)label);
	fl__sb_printf(&b, ",\"weights\":[");
	for (int64_t j = 0; j < dim; j++)
		fl__sb_printf(&b, "%s%.9g", j ? "," : "", (double)w[j]);
	free(up);
	fl__sb_printf(&b, "],\"bias\":%.17g,\"threshold\":%.17g,\"auc\":", bias, t);
	if (isfinite(dir->auc))
		fl__sb_printf(&b, "%.17g}", dir->auc);
	else
		fl__sb_printf(&b, "null}");
	return fl__sb_finish(&b, "direction spec");
}

/* Progress across scopes: every fold model of every scope is one unit. */
typedef struct {
	const fl_direction_opts *o;
	const char *stage;
	int64_t done, total;
} progress_ctx;

static int progress_fold(void *user, const char *stage, int64_t done, int64_t total)
{
	progress_ctx *p = user;

	(void)stage;
	(void)total;
	return p->o->progress(p->o->progress_user, p->stage, p->done + done, p->total);
}

/* The candidate of one scope (rows, m of them; all rows when rows is NULL),
 * or none (*made = 0). */
static int scope_candidate(fl_candidate *c, int *made, const float *x, int64_t n, int64_t d,
			   int64_t ldx, const int64_t *rows, int64_t m,
			   const unsigned char *failing, const double *failure,
			   const fl_failure_summary *s, int64_t label, int64_t min_size, const char *view,
			   const fl_direction_opts *o, const fl_lift *lift)
{
	fl_direction dir = {0};
	int32_t *fold = NULL;
	float *scores = NULL;
	ranked *rk = NULL;
	int64_t *members = NULL, best_m = 0;
	double overall = fl_failure_summary_mean(s), best = -HUGE_VAL;
	fl_slice_stats best_st = {0};
	int rc = 0;
	char text[256];

	*made = 0;
	fold = fl__malloc((size_t)m * sizeof(int32_t), "folds");
	scores = fl__malloc((size_t)m * sizeof(float), "direction scores");
	if (!fold || !scores) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	if ((rc = fl_direction__folds(fold, rows, m, failing, o->folds, o->seed)) != 0 ||
	    (rc = fl_direction__crossfit(&dir, scores, NULL, x, lift ? lift->codes : NULL, n, d,
					 ldx, rows, m, failing, fold, o)) != 0)
		goto cleanup;
	/* the ranking after the fit: the fit's per-row arrays are gone */
	free(fold);
	fold = NULL;
	rk = fl__malloc((size_t)m * sizeof(ranked), "direction ranking");
	members = fl__malloc((size_t)m * sizeof(int64_t), "slice members");
	if (!rk || !members) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int64_t k = 0; k < m; k++)
		rk[k] = (ranked){scores[k], rows ? rows[k] : k};
	if ((rc = fl__comm_sort(rk, m, sizeof(ranked), cmp_ranked, o->threads)) != 0)
		goto cleanup;
	for (int64_t k = 0; k < m; k++)
		members[k] = rk[k].row;
	for (int g = 0; g < N_GRID; g++) {
		int64_t size = (int64_t)ceil(grid[g] * (double)m);
		fl_slice_stats st;
		double score;

		size = size < min_size ? min_size : size;
		if (size > (int64_t)ceil(grid[N_GRID - 1] * (double)m) || size < 1)
			continue;
		while (size < m && rk[size].v == rk[size - 1].v)
			size++; /* rows tied with the last member are members */
		if (size == best_m)
			continue;
		if ((rc = fl_slice_stats_compute(&st, s, members, size)) != 0)
			goto cleanup;
		score = fl_slice_score(&st, overall);
		if (score > best) {
			best = score;
			best_m = size;
			best_st = st;
		}
	}
	/* no slice clearly worse than everyone, or than its own class (which
	 * alone would explain it: the direction added nothing) */
	double scope_mean = fl__failure_mean(failure, rows, m);
	if (best_m == 0 || !(best_st.ci_low > overall) || !(best_st.ci_low > scope_mean))
		goto cleanup;

	c->members = fl__malloc((size_t)best_m * sizeof(int64_t), "slice members");
	c->member_scores = fl__malloc((size_t)best_m * sizeof(float), "slice members");
	if (!c->members || !c->member_scores) {
		rc = FL_ENOMEM;
		goto fail;
	}
	for (int64_t k = 0; k < best_m; k++) {
		c->members[k] = rk[k].row;
		c->member_scores[k] = rk[k].v;
	}
	c->n_members = best_m;
	c->stats = best_st;
	c->score = best;
	snprintf(c->method, sizeof c->method, "direction");
	snprintf(c->view, sizeof c->view, "%s", view);
	c->component = label >= 0 ? (int32_t)label : -1;
	if (label >= 0)
		snprintf(text, sizeof text, "label %lld: top %.3g%% of the class along its failure "
			 "direction in view %s", (long long)label, 100.0 * (double)best_m / (double)m, view);
	else
		snprintf(text, sizeof text, "top %.3g%% along the failure direction of view %s",
			 100.0 * (double)best_m / (double)m, view);
	/* the spec's threshold: the averaged direction, applied to the scope,
	 * selects as many rows as the slice has (the last cross-fitted value
	 * would not do: averaging fold models shrinks the spread of values
	 * where they disagree, and a rule for the top 1% could then select
	 * almost nothing) */
	free(rk);
	free(members);
	rk = NULL;
	members = NULL;
	if ((rc = fl_direction__score_rows(scores, &dir, x, lift ? lift->codes : NULL, n, ldx, rows,
					   m, o->rows,
					   o->threads)) != 0)
		goto fail;
	/* equal scores are equal floats (0 and -0 apart): the value read at
	 * best_m - 1 is the same for any order of ties */
	if ((rc = fl__comm_sort(scores, m, sizeof(float), cmp_float_desc, o->threads)) != 0)
		goto fail;
	if (!(c->description = fl__malloc(strlen(text) + 1, "slice description")) ||
	    !(c->spec_json = spec_json(&dir, view, label, (double)scores[best_m - 1], lift))) {
		rc = FL_ENOMEM;
		goto fail;
	}
	memcpy(c->description, text, strlen(text) + 1);
	*made = 1;
	goto cleanup;
fail:
	fl_candidate_clear(c);
cleanup:
	fl_direction_clear(&dir);
	free(fold);
	free(scores);
	free(rk);
	free(members);
	return rc;
}

int fl_discover_direction(fl_candidate **out, int32_t *n_out, const float *x, int64_t n,
			  int64_t d, int64_t ldx, const char *view_name, const int64_t *labels,
			  int32_t n_classes, const fl_failure_summary *s, const double *failure,
			  const fl_direction_opts *opts)
{
	return fl__discover_direction(out, n_out, x, n, d, ldx, view_name, labels, n_classes, s,
				      failure, opts, NULL);
}

int fl__discover_direction(fl_candidate **out, int32_t *n_out, const float *x, int64_t n,
			  int64_t d, int64_t ldx, const char *view_name, const int64_t *labels,
			  int32_t n_classes, const fl_failure_summary *s, const double *failure,
			  const fl_direction_opts *opts, const fl_lift *lift)
{
	static const fl_direction_opts defaults = FL_DIRECTION_OPTS_INIT;
	const fl_direction_opts *o = opts ? opts : &defaults;
	fl_direction_opts so;
	const char *view = view_name ? view_name : "";
	unsigned char *failing = NULL;
	int64_t *rows = NULL, *start = NULL, *cnt = NULL, *nfail = NULL, min_size;
	int32_t n_scopes, nc = 0, eligible = 0;
	fl_candidate *cand = NULL;
	progress_ctx pc;
	char stage[96];
	int rc;

	if (!out || !n_out)
		return fl__error(FL_EINVAL, "no place for the slices (out or n_out is NULL)");
	*out = NULL;
	*n_out = 0;
	if (lift && (lift->pca->r != d || lift->codes->r != d || lift->codes->n < n ||
		     o->normalize))
		return fl__error(FL_EINVAL, "direction: a reduced view needs its r columns, its "
				 "rows, and rows not normalised");
	if ((rc = lift ? fl_direction__check_opts(o) : fl_direction__check(x, n, d, ldx, o)) != 0)
		return rc;
	if (!s || !failure)
		return fl__error(FL_EINVAL, "no failure signal or no failure summary");
	if (o->per_class && (!labels || n_classes < 1))
		return fl__error(FL_EINVAL, "a direction per class needs labels and at least 1 class");
	n_scopes = o->per_class ? n_classes : 1;
	min_size = fl__auto_min_size(n, o->min_size);
	snprintf(stage, sizeof stage, "direction view=%s", view);

	failing = fl__malloc((size_t)n, "failing rows");
	start = fl__calloc((size_t)n_scopes + 1, sizeof(int64_t), "classes");
	cnt = fl__calloc((size_t)n_scopes, sizeof(int64_t), "classes");
	nfail = fl__calloc((size_t)n_scopes, sizeof(int64_t), "classes");
	rows = o->per_class ? fl__malloc((size_t)n * sizeof(int64_t), "class rows") : NULL;
	cand = fl__calloc((size_t)n_scopes, sizeof(fl_candidate), "candidates");
	if (!failing || !start || !cnt || !nfail || (o->per_class && !rows) || !cand) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	if ((rc = fl__failing_flags(failing, failure, n, "direction")) != 0)
		goto cleanup;
	/* scopes: rows grouped by class (in row order), or all rows */
	for (int64_t i = 0; i < n; i++) {
		int64_t c = o->per_class ? labels[i] : 0;
		if (c < 0 || c >= n_scopes) {
			rc = fl__error(FL_ERANGE, "labels: row %lld: label %lld outside [0, %d)",
				       (long long)i, (long long)c, n_classes);
			goto cleanup;
		}
		cnt[c]++;
		nfail[c] += failing[i];
	}
	for (int32_t c = 0; c < n_scopes; c++)
		start[c + 1] = start[c] + cnt[c];
	if (rows) {
		memset(cnt, 0, (size_t)n_scopes * sizeof(int64_t));
		for (int64_t i = 0; i < n; i++)
			rows[start[labels[i]] + cnt[labels[i]]++] = i;
	}
	/* a scope needs failing and passing rows in every training set, and
	 * room for a slice of min_size within its top 20% */
#define ELIGIBLE(c) (nfail[c] >= 2 && cnt[c] - nfail[c] >= 2 && \
		     min_size <= (int64_t)ceil(grid[N_GRID - 1] * (double)cnt[c]))
	for (int32_t c = 0; c < n_scopes; c++)
		eligible += ELIGIBLE(c);
	so = *o;
	pc = (progress_ctx){o, stage, 0, (int64_t)eligible * o->folds};
	if (o->progress) {
		so.progress = progress_fold;
		so.progress_user = &pc;
		if ((rc = fl__progress(o->progress, o->progress_user, stage, 0, pc.total)))
			goto cleanup;
	}
	for (int32_t c = 0; c < n_scopes; c++) {
		int made;
		if (!ELIGIBLE(c))
			continue;
		rc = scope_candidate(&cand[nc], &made, x, n, d, ldx, rows ? rows + start[c] : NULL,
				     cnt[c], failing, failure, s, o->per_class ? c : -1, min_size, view,
				     &so, lift);
		if (rc)
			goto cleanup;
		nc += made;
		pc.done += o->folds;
	}
#undef ELIGIBLE
	qsort(cand, (size_t)nc, sizeof(fl_candidate), fl__candidate_cmp);
	if (nc > 0) {
		*out = cand;
		*n_out = nc;
		cand = NULL;
	}
cleanup:
	fl_candidates_free(cand, nc);
	free(failing);
	free(start);
	free(cnt);
	free(nfail);
	free(rows);
	return rc;
}
