/*
 * Error-aware mixture discovery (Domino, Eyuboglu et al., ICLR 2022): PCA a
 * view, fit the mixture over the reduced embedding, the label, the
 * prediction and (our addition) the failure itself, assign every row to its
 * most responsible component, and report the components that fail more
 * than everyone, ranked by their statistics.
 *
 * Departures from the reference implementation, each measured in
 * tests/unit/test_discover_mixture.c and docs/mixture.md:
 *  - ranking by the slice's failure statistics (lower end of the 95%
 *    interval of its rate over the overall rate), not by max_c |phat_s -
 *    p_s|, which cannot see a slice whose labels and predictions are both
 *    uniform (symmetric label noise);
 *  - a failure term gamma_f log P(f_i | s), which lets a component gather
 *    failures that labels and predictions do not tell apart;
 *  - the reduced embedding is held in 8 bits a value (fl_mx_codes: each
 *    column of each group of 256 rows coded between its minimum and
 *    maximum): the working copy is n x r bytes beside the (memory-mapped)
 *    input, and its rounding error, at most 1/510 of a group's range
 *    (about 0.01 standard deviations for Gaussian columns), is noise well
 *    inside any component;
 *  - with more than FIT_ROWS rows to code, the EM fits a uniform sample of
 *    FIT_ROWS of them (by the seed) and every row is then assigned by the
 *    fitted model from its own codes, a chunk at a time: the working copy
 *    stays FIT_ROWS x r bytes (64 MB) whatever n, where 5 million rows of a
 *    128-d view held 640 MB. Up to FIT_ROWS rows (the half of a million
 *    rows) every row is fitted, as before.
 */
#include "candidate/candidate_internal.h"
#include "stats/stats_internal.h"
#include "mixture_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The shared part of every spec of this run: the model it needs. */
static char *model_json(const fl_pca *p, const fl_mixture *m, const char *path)
{
	fl_strbuf b = {0};
	char fp[17];

	fl_mixture_model_fingerprint(fp, p, m);
	fl__sb_printf(&b, "\"model\":{\"file\":");
	if (path) /* the file's name: it lives beside the report that names it */
		fl__sb_json_str(&b, strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
	else
		fl__sb_printf(&b, "null");
	fl__sb_printf(&b, ",\"fingerprint\":\"%s\",\"input_dim\":%lld,\"pca_dims\":%lld,\"k\":%d,"
		   "\"n_classes\":%d,\"terms\":[\"embedding\"", fp, (long long)p->d,
	       (long long)p->r, m->k, m->n_classes);
	if (m->has_labels)
		fl__sb_printf(&b, ",\"label\"");
	if (m->has_probs)
		fl__sb_printf(&b, ",\"prediction\"");
	if (m->failure == FL_MIXTURE_FAILURE_BERNOULLI)
		fl__sb_printf(&b, ",\"failure_bernoulli\"");
	else if (m->failure == FL_MIXTURE_FAILURE_GAUSSIAN)
		fl__sb_printf(&b, ",\"failure_gaussian\"");
	fl__sb_printf(&b, "],\"gamma\":%.17g,\"gamma_hat\":%.17g,\"gamma_f\":%.17g}", m->gamma, m->gamma_hat,
	       m->gamma_f);
	return fl__sb_finish(&b, "mixture spec");
}

/* joint: membership used every term of the model, else the embedding only */
static char *spec_json(const char *view, int32_t s, const fl_mixture *m, const char *model,
		       int joint)
{
	fl_strbuf b = {0};

	fl__sb_printf(&b, "{\"type\":\"mixture_component\",\"view\":");
	fl__sb_json_str(&b, view);
	fl__sb_printf(&b, ",\"component\":%d,\"rule\":\"argmax_responsibility\",\"inputs\":[\"embedding\"",
	       s);
	if (joint && m->has_labels)
		fl__sb_printf(&b, ",\"label\"");
	if (joint && m->has_probs)
		fl__sb_printf(&b, ",\"prediction\"");
	if (joint && m->failure != FL_MIXTURE_FAILURE_NONE)
		fl__sb_printf(&b, ",\"failure\"");
	fl__sb_printf(&b, "],\"weight\":%.17g,%s}", m->weights[s], model);
	return fl__sb_finish(&b, "mixture spec");
}

static int alloc_rows(fl_mx_out *fo, int64_t n)
{
	fo->assign = fl__malloc((size_t)n * sizeof(int32_t), "mixture assignment");
	fo->key = fl__malloc((size_t)n * sizeof(float), "mixture assignment");
	return fo->assign && fo->key ? 0 : FL_ENOMEM;
}

#define FIT_ROWS ((int64_t)1 << 19)
#define ASSIGN_CHUNK ((int64_t)1 << 16) /* a multiple of the codes' groups */

/* The sample a fit of more than FIT_ROWS rows takes: rows (of 0..n-1, in
 * order), their rows of x (xrows), their labels and failures gathered.
 * NULL arrays where the input has none. */
typedef struct fit_sample {
	int64_t *rows, *xrows, *labels;
	double *failure;
} fit_sample;

static void fit_sample_free(fit_sample *f)
{
	free(f->rows);
	free(f->xrows);
	free(f->labels);
	free(f->failure);
}

static int fit_sample_make(fit_sample *f, int64_t n, const int64_t *xrows,
			   const int64_t *labels, const double *failure, uint64_t seed)
{
	size_t b = (size_t)FIT_ROWS * sizeof(int64_t);
	fl_rng rng;

	fl__rng_seed(&rng, seed, FL_STREAM_MX_FIT);
	if (!(f->rows = fl__malloc(b, "mixture sample")) ||
	    !(f->xrows = fl__malloc(b, "mixture sample")) ||
	    (labels && !(f->labels = fl__malloc(b, "mixture sample"))) ||
	    !(f->failure = fl__malloc((size_t)FIT_ROWS * sizeof(double), "mixture sample")))
		return FL_ENOMEM;
	fl_mixture__sample_rows(f->rows, FIT_ROWS, n, &rng);
	for (int64_t i = 0; i < FIT_ROWS; i++) {
		int64_t row = f->rows[i];

		f->xrows[i] = xrows ? xrows[row] : row;
		if (labels)
			f->labels[i] = labels[row];
		f->failure[i] = failure[row];
	}
	return 0;
}

/* Every row's component under m (fo: n rows), from its own projection by p,
 * coded ASSIGN_CHUNK rows at a time; `side` has the label, prediction and
 * failure terms (a joint assignment) or none. */
static int assign_chunks(fl_mx_out *fo, const fl_mixture *m, const fl_pca *p, const float *x,
			 int64_t n, int64_t ldx, const fl_mx_data *side,
			 const fl_discover_mixture_opts *o)
{
	fl_mx_codes cc = {0};
	/* the rows of a chunk as rows of x, even when they are x's own: with
	 * several ranks, each projects the rows of its range (fl__comm_spans) */
	int64_t *idx = o->rows ? NULL : fl__malloc(ASSIGN_CHUNK * sizeof *idx, "chunk rows");
	int rc = !o->rows && !idx ? FL_ENOMEM : fl_mx_codes_alloc(&cc, ASSIGN_CHUNK, p->r);

	for (int64_t c0 = 0; rc == 0 && c0 < n; c0 += ASSIGN_CHUNK) {
		int64_t mc = n - c0 < ASSIGN_CHUNK ? n - c0 : ASSIGN_CHUNK;
		fl_mx_out part = {NULL, fo->assign + c0, NULL, fo->key + c0, 0};
		fl_mx_data data = *side;

		data.n = mc;
		data.codes = &cc;
		data.labels = side->labels ? side->labels + c0 : NULL;
		data.failure = side->failure ? side->failure + c0 : NULL;
		data.prows = side->prows ? side->prows + c0 : NULL;
		if (side->probs && !side->prows)
			data.probs = side->probs + c0 * side->n_classes;
		for (int64_t i = 0; idx && i < mc; i++)
			idx[i] = c0 + i;
		if ((rc = fl_pca__transform(p, x, o->rows ? o->rows + c0 : idx, mc, ldx, o->threads,
					    NULL, 0, &cc)) == 0)
			rc = fl_mixture__predict(&part, m, &data, o->threads);
	}
	fl_mx_codes_free(&cc);
	free(idx);
	return rc;
}

static int report(const fl_discover_mixture_opts *o, const char *stage, int64_t done)
{
	return fl__progress(o->progress, o->progress_user, stage, done, 3);
}

static int check_args(const float *x, int64_t n, int64_t d, int64_t ldx, const int64_t *labels,
		      const float *probs, const int64_t *prows, int32_t C, const fl_failure_summary *s,
		      const double *failure, const fl_discover_mixture_opts *o, const fl_lift *lift)
{
	int rc;

	if (lift ? lift->pca->r != d || lift->codes->r != d || lift->codes->n < n || n < 2
		 : (rc = fl__check_matrix(x, n, d, ldx, 2, "the embedding")) != 0)
		return lift ? fl__error(FL_EINVAL, "mixture: a reduced view of %lld columns and "
					"%lld rows, not %lld and %lld", (long long)lift->codes->r,
					(long long)lift->codes->n, (long long)d, (long long)n) : rc;
	if (!s || !failure)
		return fl__error(FL_EINVAL, "no failure signal or no failure summary");
	if (o->version != FL_DISCOVER_MIXTURE_OPTS_VERSION || o->k < 1 || o->pca_dims < 1 ||
	    o->pca_rows < -1 || o->pca_rows == 1 || !(o->gamma >= 0 && o->gamma < HUGE_VAL) ||
	    !(o->gamma_hat >= 0 && o->gamma_hat < HUGE_VAL) ||
	    !(o->gamma_f < HUGE_VAL) || !(o->reg >= 0 && o->reg < 1) ||
	    !(o->tol >= 0) || o->max_iter < 0 || o->warm_rows < -1 || o->min_size < 0 ||
	    o->threads < 0 ||
	    (o->assign != FL_MIXTURE_ASSIGN_EMBEDDING && o->assign != FL_MIXTURE_ASSIGN_JOINT) ||
	    (o->init != FL_MIXTURE_INIT_CONFUSION && o->init != FL_MIXTURE_INIT_KMEANS))
		return fl__error(FL_EINVAL, "invalid mixture options (k=%d, pca_dims=%d, "
				 "pca_rows=%lld, gamma=%g, gamma_hat=%g, gamma_f=%g, reg=%g, tol=%g, "
				 "max_iter=%d, min_size=%lld, threads=%d, version=%d)", o->k, o->pca_dims,
				 (long long)o->pca_rows, o->gamma, o->gamma_hat, o->gamma_f, o->reg,
				 o->tol, o->max_iter, (long long)o->min_size, o->threads, o->version);
	if ((labels || probs) && C < 2)
		return fl__error(FL_EINVAL, "the mixture needs at least 2 classes, has %d", C);
	if ((labels && fl_check_labels(labels, n, C, "labels") != 0) ||
	    (probs && !prows && fl_check_probs(probs, n, C, "probs") != 0))
		return FL_EINVAL; /* the message names the array and its row */
	return 0;
}

/* The members of every component, grouped by component (counting sort)
 * and ordered within; cand[] gets one candidate per component that passes
 * the filters. */
static int build_candidates(fl_candidate *cand, int32_t *nc, const fl_mx_out *fo,
			    const fl_mixture *m, const fl_pca *p, int64_t n,
			    const fl_failure_summary *s, const char *view, int64_t min_size,
			    const char *model, int joint, int threads)
{
	int64_t *start = fl__calloc((size_t)m->k + 1, sizeof(int64_t), "slice members");
	fl_f32_row *mem = fl__malloc((size_t)n * sizeof(fl_f32_row), "slice members");
	int rc = 0;

	*nc = 0;
	if (!start || !mem) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int64_t i = 0; i < n; i++)
		start[fo->assign[i] + 1]++;
	for (int32_t c = 0; c < m->k; c++)
		start[c + 1] += start[c];
	for (int64_t i = 0; i < n; i++) /* rows in order: each group starts sorted by row */
		mem[start[fo->assign[i]]++] = (fl_f32_row){fo->key[i], i};
	for (int32_t c = m->k; c > 0; c--)
		start[c] = start[c - 1];
	start[0] = 0;

	for (int32_t comp = 0; comp < m->k; comp++) {
		int64_t a = start[comp], sz = start[comp + 1] - a;
		fl_candidate *c = &cand[*nc];

		if (sz < min_size || sz == 0)
			continue;
		/* most responsible first (the key of fl_mx_out), then by row */
		if ((rc = fl__comm_sort(mem + a, sz, sizeof(fl_f32_row), fl__cmp_f32_row, threads)) != 0)
			goto cleanup;
		c->members = fl__malloc((size_t)sz * sizeof(int64_t), "slice members");
		c->member_scores = fl__malloc((size_t)sz * sizeof(float), "slice members");
		c->centroid = fl__malloc((size_t)p->d * sizeof(float), "slice centroid");
		if (!c->members || !c->member_scores || !c->centroid) {
			fl_candidate_clear(c);
			rc = FL_ENOMEM;
			goto cleanup;
		}
		for (int64_t q = 0; q < sz; q++) {
			c->members[q] = mem[a + q].row;
			/* the responsibility, from the same sum as the sort key: the
			 * scores are non-increasing in member order */
			c->member_scores[q] = 1.0f - (mem[a + q].v > 0 ? mem[a + q].v : 0.0f);
		}
		c->n_members = sz;
		if ((rc = fl__candidate_keep(c, s, "mixture", view)) < 0)
			goto cleanup;
		if (rc == 0)
			continue;
		rc = 0;
		c->component = comp;
		c->dim = p->d;
		for (int64_t j = 0; j < p->d; j++) {
			double v = p->mean[j];
			for (int64_t t = 0; t < p->r; t++)
				v += m->means[comp * p->r + t] * p->components[t * p->d + j];
			c->centroid[j] = (float)v;
		}
		c->radius = 0;
		if (!(c->spec_json = spec_json(view, comp, m, model, joint))) {
			fl_candidate_clear(c);
			rc = fl__error(FL_ENOMEM, "out of memory writing a slice spec");
			goto cleanup;
		}
		(*nc)++;
	}
cleanup:
	free(start);
	free(mem);
	return rc;
}

int fl_discover_mixture(fl_candidate **out, int32_t *n_out, const float *x, int64_t n,
			int64_t d, int64_t ldx, const char *view_name, const int64_t *labels,
			const float *probs, int32_t n_classes, const fl_failure_summary *s,
			const double *failure, const fl_discover_mixture_opts *opts)
{
	return fl__discover_mixture(out, n_out, x, n, d, ldx, view_name, labels, probs, NULL,
				    n_classes, s, failure, opts, NULL);
}

int fl__discover_mixture(fl_candidate **out, int32_t *n_out, const float *x, int64_t n,
			 int64_t d, int64_t ldx, const char *view_name, const int64_t *labels,
			 const float *probs, const int64_t *prows, int32_t n_classes,
			 const fl_failure_summary *s,
			 const double *failure, const fl_discover_mixture_opts *opts,
			 const fl_lift *lift)
{
	static const fl_discover_mixture_opts defaults = FL_DISCOVER_MIXTURE_OPTS_INIT;
	const fl_discover_mixture_opts *o = opts ? opts : &defaults;
	const char *view = view_name ? view_name : "";
	fl_pca_opts po = FL_PCA_OPTS_INIT;
	fl_mixture_opts mo = FL_MIXTURE_OPTS_INIT;
	fl_pca pca = {0};
	const fl_pca *pp = lift ? lift->pca : &pca; /* the view's PCA: the shared one, or fitted here */
	fl_mixture mix = {0};
	fl_mx_out fo = {NULL, NULL, NULL, NULL, 0};
	fl_candidate *cand = NULL;
	fl_mx_codes codes = {0};
	const fl_mx_codes *cv = NULL;
	fit_sample fs = {0};
	float *fp = NULL; /* the fitted rows' probabilities, gathered */
	char stage[96], *model = NULL;
	int32_t nc = 0;
	int64_t min_size, nf = !lift && n > FIT_ROWS ? FIT_ROWS : n; /* the rows fitted */
	int rc;

	if (!out || !n_out)
		return fl__error(FL_EINVAL, "no place for the slices (out or n_out is NULL)");
	*out = NULL;
	*n_out = 0;
	if ((rc = check_args(x, n, d, ldx, labels, probs, prows, n_classes, s, failure, o, lift)) != 0)
		return rc;
	snprintf(stage, sizeof stage, "mixture view=%s", view);
	if ((rc = report(o, stage, 0)) != 0)
		return rc;
	min_size = fl__auto_min_size(n, o->min_size);

	po.n_components = o->pca_dims;
	po.max_rows = o->pca_rows;
	po.seed = o->seed;
	po.threads = o->threads;
	if (!lift && (rc = fl_pca__fit(&pca, x, o->rows, n, d, ldx, &po)) != 0)
		goto cleanup;
	if (pp->r < 1) { /* every column constant: no direction to cluster on */
		rc = report(o, stage, 3);
		goto cleanup;
	}
	/* the view's codes: the reduced view's, read in place (its rows: a
	 * later search's subset reads them through o->rows), or the
	 * projection of x (of the rows fitted) */
	if (nf < n && (rc = fit_sample_make(&fs, n, o->rows, labels, failure, o->seed)))
		goto cleanup;
	/* the fitted rows' probabilities side by side, as every EM pass reads them */
	if (probs && (prows || nf < n)) {
		if (!(fp = fl__malloc((size_t)nf * (size_t)n_classes * sizeof *fp, "mixture probs"))) {
			rc = FL_ENOMEM;
			goto cleanup;
		}
		for (int64_t i = 0; i < nf; i++) {
			int64_t row = nf < n ? fs.rows[i] : i;

			memcpy(fp + i * n_classes, probs + (prows ? prows[row] : row) * n_classes,
			       (size_t)n_classes * sizeof *fp);
		}
	}
	if (!lift && ((rc = fl_mx_codes_alloc(&codes, nf, pp->r)) != 0 ||
		      (rc = fl_pca__transform(&pca, x, nf < n ? fs.xrows : o->rows, nf, ldx,
					      o->threads, NULL, 0, &codes))))
		goto cleanup;
	cv = lift ? lift->codes : &codes;
	if ((rc = report(o, stage, 1)) != 0)
		goto cleanup;

	mo.k = o->k < n ? o->k : (int32_t)n;
	mo.gamma = o->gamma;
	mo.gamma_hat = o->gamma_hat;
	mo.gamma_f = o->gamma_f >= 0 ? o->gamma_f : labels || probs ? 0.0 : 1.0;
	mo.reg = o->reg;
	mo.tol = o->tol;
	mo.max_iter = o->max_iter;
	mo.init = o->init;
	mo.warm_rows = o->warm_rows;
	mo.seed = o->seed;
	mo.threads = o->threads;
	{
		fl_mx_data data = {nf, pp->r, NULL, 0, cv, NULL, labels, probs,
				   labels || probs ? n_classes : 0, failure, pp->variance,
				   lift ? o->rows : NULL, prows};
		fl_mx_data all = data;
		int joint = o->assign == FL_MIXTURE_ASSIGN_JOINT;

		if (nf < n) {
			data.labels = fs.labels;
			data.failure = fs.failure;
		}
		if (fp) {
			data.probs = fp;
			data.prows = NULL;
		}
		/* the per-row results come from the fit's last pass (joint) or from
		 * an embedding-only pass after the fit (then they are allocated
		 * after it, not held during it) */
		if (joint && (rc = alloc_rows(&fo, n)) != 0)
			goto cleanup;
		if ((rc = fl_mixture__fit_from(&mix, &data, &mo, NULL,
					       joint && nf == n ? &fo : NULL)) != 0)
			goto cleanup;
		fit_sample_free(&fs);
		memset(&fs, 0, sizeof fs);
		free(fp);
		fp = NULL;
		if (nf < n) { /* every row from its own codes, the sample's gone */
			fl_mx_codes_free(&codes);
			if (!joint) {
				all.labels = NULL;
				all.probs = NULL;
				all.failure = NULL;
			}
			if ((!joint && (rc = alloc_rows(&fo, n)) != 0) ||
			    (rc = assign_chunks(&fo, &mix, pp, x, n, ldx, &all, o)) != 0)
				goto cleanup;
		} else if (!joint) {
			data.labels = NULL;
			data.probs = NULL;
			data.failure = NULL;
			if ((rc = alloc_rows(&fo, n)) != 0 ||
			    (rc = fl_mixture__predict(&fo, &mix, &data, o->threads)) != 0)
				goto cleanup;
		}
	}
	fl_mx_codes_free(&codes); /* the working copy is not needed past the last pass */
	if ((rc = report(o, stage, 2)) != 0)
		goto cleanup;

	if (o->model_path && (rc = fl_mixture_model_save(o->model_path, pp, &mix)) != 0)
		goto cleanup;
	if (!(model = model_json(pp, &mix, o->model_path)) ||
	    !(cand = fl__calloc((size_t)mix.k, sizeof(fl_candidate), "candidates"))) {
		rc = fl__error(FL_ENOMEM, "out of memory building mixture candidates");
		goto cleanup;
	}
	if ((rc = build_candidates(cand, &nc, &fo, &mix, pp, n, s, view, min_size, model,
				   o->assign == FL_MIXTURE_ASSIGN_JOINT, o->threads)) != 0)
		goto cleanup;
	qsort(cand, (size_t)nc, sizeof(fl_candidate), fl__candidate_cmp);
	if ((rc = report(o, stage, 3)) != 0)
		goto cleanup;
	if (nc == 0) {
		free(cand);
		cand = NULL;
	}
	*out = cand;
	*n_out = nc;
	cand = NULL;
cleanup:
	fl_candidates_free(cand, nc);
	free(model);
	fit_sample_free(&fs);
	free(fp);
	fl_mx_codes_free(&codes);
	free(fo.assign);
	free(fo.key);
	fl_pca_clear(&pca);
	fl_mixture_clear(&mix);
	return rc;
}
