/*
 * Cross-fitted failure directions (Jain et al., "Distilling Model Failures
 * as Directions in Latent Space", 2022, section 3): split the rows into
 * stratified folds, fit the classifier of logreg.c on all folds but one and
 * score the one left out, so no row's score comes from a model that saw
 * its failure (Chernozhukov et al., "Double/debiased machine learning",
 * 2018, call this cross-fitting). The direction reported is the mean of the
 * fold models in the original space: a log-odds on the scale of the
 * cross-fitted scores. Also: the ROC AUC of the scores, and scoring new
 * rows.
 */
#include "stats/stats_internal.h"
#include "direction_internal.h"

#include <math.h>
#include <string.h>

int fl_direction__folds(int32_t *fold, const int64_t *rows, int64_t m,
			const unsigned char *failing, int32_t folds, uint64_t seed)
{
	int64_t *order = fl__malloc((size_t)(m > 0 ? m : 1) * sizeof(int64_t), "folds");
	int64_t nf = 0, np = 0, dealt = 0;
	fl_rng rng;

	if (!order)
		return FL_ENOMEM;
	/* failing entries first, then passing ones, each group shuffled */
	for (int64_t k = 0; k < m; k++)
		nf += failing[rows ? rows[k] : k] != 0;
	for (int64_t k = 0; k < m; k++) {
		if (failing[rows ? rows[k] : k])
			order[dealt++] = k;
		else
			order[nf + np++] = k;
	}
	fl__rng_seed(&rng, seed, FL_STREAM_FOLDS);
	for (int g = 0; g < 2; g++) {
		int64_t base = g ? nf : 0, len = g ? np : nf;
		for (int64_t i = len - 1; i > 0; i--) {
			int64_t j = (int64_t)fl__rng_below(&rng, (uint64_t)(i + 1));
			int64_t t = order[base + i];
			order[base + i] = order[base + j];
			order[base + j] = t;
		}
	}
	/* deal round-robin across both groups, so fold sizes differ by <= 1 */
	for (int64_t i = 0; i < m; i++)
		fold[order[i]] = (int32_t)(i % folds);
	free(order);
	return 0;
}

/* Column means and 1 / standard deviations of the scaled rows (double); a
 * constant column gets inv_s = 0 and so weight 0. The rows are summed in
 * fixed groups (a view's row groups, else at most STAT_GROUPS groups of
 * blocks of STAT_ROWS; each in row order, then the groups in order), so
 * that several ranks can each sum their share of the groups (the others'
 * left zero) and get the same sums. acc: (2 + STAT_GROUPS) x d. */
#define STAT_ROWS 4096
#define STAT_GROUPS 32
static void column_stats(float *mu, float *inv_s, const fl_lr_data *p, double *acc, float *buf)
{
	int64_t d = p->d, ng, g0, g1;
	double *part = acc + 2 * d;
	fl__layout lay; /* a view's rows: its row groups, each rank its own rows */

	if (p->codes || p->copy)
		fl__layout_blocks(&lay, p->m, STAT_ROWS, STAT_GROUPS);
	else
		fl__layout_view(&lay, p->m, p->rows, p->xrows, STAT_ROWS);
	ng = lay.n_groups;
	fl__layout_share(&lay, &g0, &g1);
	memset(acc, 0, (size_t)(2 * d) * sizeof(double));
	for (int pass = 0; pass < 2; pass++) {
		memset(part, 0, (size_t)(ng * d) * sizeof(double));
		for (int64_t g = g0; g < g1; g++) {
			double *s = part + g * d;

			for (int64_t k = lay.first[g]; k < lay.first[g + 1]; k++) {
				int64_t row = p->rows ? p->rows[k] : k;
				const float *src = fl_lr__row(p, row, buf);
				float sc = p->rscale ? p->rscale[row] : 1.0f;
				if (pass == 0)
					for (int64_t j = 0; j < d; j++)
						s[j] += src[j] * sc;
				else
					for (int64_t j = 0; j < d; j++) {
						double u = (double)(src[j] * sc) - (double)mu[j];
						s[j] += u * u;
					}
			}
		}
		fl__comm_sum_f64(part, ng * d);
		for (int64_t g = 0; g < ng; g++)
			for (int64_t j = 0; j < d; j++)
				acc[pass * d + j] += part[g * d + j];
		for (int64_t j = 0; j < d && pass == 0; j++)
			mu[j] = (float)(acc[j] / (double)p->m);
	}
	for (int64_t j = 0; j < d; j++) {
		double sd = sqrt(acc[d + j] / (double)p->m);
		/* below float32 resolution of the mean: constant up to rounding */
		inv_s[j] = sd > 1e-6 * fmax(fabs((double)mu[j]), 1e-30) && sd > 0 ? (float)(1 / sd) : 0.0f;
	}
}

/* *auc := the ROC AUC of scores (m) for failing against passing entries,
 * ties counted half (mid-ranks). NaN when a class is empty. */
static int roc_auc(double *auc, const float *scores, const int64_t *rows, int64_t m,
		   const unsigned char *failing, fl_f32_row *tmp, int threads)
{
	double rank_sum = 0;
	int64_t nf = 0;
	int rc;

	for (int64_t k = 0; k < m; k++)
		tmp[k] = (fl_f32_row){scores[k], k};
	if ((rc = fl__comm_sort(tmp, m, sizeof(fl_f32_row), fl__cmp_f32_row, threads)) != 0)
		return rc;
	for (int64_t g = 0; g < m;) {
		int64_t e = g + 1;
		while (e < m && tmp[e].v == tmp[g].v)
			e++;
		for (int64_t j = g; j < e; j++)
			if (failing[rows ? rows[tmp[j].row] : tmp[j].row]) {
				rank_sum += (double)(g + 1 + e) / 2;
				nf++;
			}
		g = e;
	}
	*auc = nf == 0 || nf == m ? NAN :
	       (rank_sum - (double)nf * (double)(nf + 1) / 2) / ((double)nf * (double)(m - nf));
	return 0;
}

/* the scale of a row that normalises it (0 for a zero row) */
static float row_scale(const float *x, int64_t d)
{
	double s = 0;

	for (int64_t j = 0; j < d; j++)
		s += (double)x[j] * x[j];
	return s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
}

/* rscale[row] for the rows of p; several ranks: of the rows of this rank's
 * range only, the only ones its passes read (a pass over rows of others
 * reads a copy, with its own scales: choose_lambda) */
static void row_scales(float *rscale, const fl_lr_data *p, float *buf)
{
	int64_t lo = 0, hi = INT64_MAX;

	if (fl__comm_ranks() > 1 && !p->codes)
		fl__comm_rows(&lo, &hi);
	for (int64_t k = 0; k < p->m; k++) {
		int64_t row = p->rows ? p->rows[k] : k, xrow = p->xrows ? p->xrows[row] : row;

		if (xrow >= lo && xrow < hi)
			rscale[row] = row_scale(fl_lr__row(p, row, buf), p->d);
	}
}

/* The automatic penalty grid, largest first (standardised columns). */
static const double lambda_grid[] = {1, 0.1, 0.01, 0.001};
#define N_LAMBDA ((int)(sizeof lambda_grid / sizeof lambda_grid[0]))
#define LAMBDA_FALLBACK 1.0
#define INNER_ROWS 20000 /* most training rows the penalty is chosen on */

/* Class-balanced log-loss of decision values v (m entries of rows): the
 * data term of the objective, measured on rows the model did not see. */
static double balanced_logloss(const float *v, const int64_t *rows, int64_t m,
			       const unsigned char *failing)
{
	double l[2] = {0, 0};
	int64_t c[2] = {0, 0};

	for (int64_t k = 0; k < m; k++) {
		int fail = failing[rows[k]] != 0;
		double t = fail ? (double)v[k] : -(double)v[k];
		l[fail] += t > 0 ? log1p(exp(-t)) : -t + log1p(exp(t));
		c[fail]++;
	}
	return 0.5 * l[0] / (double)c[0] + 0.5 * l[1] / (double)c[1];
}

/* Choose lambda for a training set (tr.rows, tr.m) by an inner stratified
 * 2-fold cross-validation of the balanced log-loss over lambda_grid, from
 * the largest value down with warm starts, stopping when the loss rises
 * (it is U-shaped in lambda). Only the training rows are used, so the outer
 * fold's rows stay unseen. Inner models stop at a gradient tolerance of at
 * most 1e-2: that moves their held-out loss by about 1e-5 relative, far
 * less than the losses of penalties a decade apart differ. Scratch: 2 m
 * int64, m int32, m + d floats, 2 (d + 1) doubles. */
static int inner_cv(double *lambda, const fl_lr_data *tr, const fl_lr_opts *lo, uint64_t seed,
		    int64_t *itr, int64_t *ite, int32_t *ifold, float *fv, double *th)
{
	int64_t m = tr->m, p = tr->d + 1, nf = 0;
	double best = HUGE_VAL;
	int rc;

	for (int64_t k = 0; k < m; k++)
		nf += tr->failing[tr->rows[k]] != 0;
	*lambda = LAMBDA_FALLBACK;
	if (nf < 2 || m - nf < 2)
		return 0; /* an inner fold would lack a class: regularise strongly */
	if ((rc = fl_direction__folds(ifold, tr->rows, m, tr->failing, 2, seed)) != 0)
		return rc;
	memset(th, 0, (size_t)(2 * p) * sizeof(double));
	for (int g = 0; g < N_LAMBDA; g++) {
		fl_lr_opts io = *lo;
		double loss = 0;

		io.lambda = lambda_grid[g];
		io.tol = fmax(io.tol, 1e-2);
		for (int32_t j = 0; j < 2; j++) {
			int64_t ntr = 0, nte = 0;
			fl_lr_info info;
			for (int64_t k = 0; k < m; k++) {
				if (ifold[k] == j)
					ite[nte++] = tr->rows[k];
				else
					itr[ntr++] = tr->rows[k];
			}
			fl_lr_data a = *tr, b = *tr;
			a.rows = itr, a.m = ntr, b.rows = ite, b.m = nte;
			if ((rc = fl_direction__logreg(th + j * p, &info, NULL, &a, &io)) != 0)
				return rc;
			for (int64_t q = 0; q < tr->d; q++)
				fv[q] = (float)th[j * p + q]; /* fv's head holds the weights */
			if ((rc = fl_direction__decision(fv + tr->d, &b, fv, th[j * p + tr->d],
							 lo->threads)) != 0)
				return rc;
			loss += 0.5 * balanced_logloss(fv + tr->d, ite, nte, tr->failing);
		}
		if (!(loss < best))
			break;
		best = loss;
		*lambda = lambda_grid[g];
	}
	return 0;
}

/* The penalty for a training set: inner_cv on every stride-th of its rows
 * (in row order), at most INNER_ROWS of them. The choice needs where the
 * held-out loss curve bottoms out over a grid a decade apart, not every
 * row: on 200k x 512 the inner fits were four fifths of the direction's
 * time. */
static int choose_lambda(double *lambda, const fl_lr_data *tr, const fl_lr_opts *lo,
			 uint64_t seed, int64_t *itr, int64_t *ite, int32_t *ifold, float *fv,
			 double *th)
{
	int64_t stride = (tr->m + INNER_ROWS - 1) / INNER_ROWS, *rows = NULL, *want = NULL;
	int64_t *at = NULL;
	fl_lr_data sub = *tr;
	float *local = NULL, *rs = NULL;
	int rc = 0;

	if (stride > 1) {
		if (!(rows = fl__malloc((size_t)(tr->m / stride + 1) * sizeof *rows, "inner rows")))
			return FL_ENOMEM;
		for (sub.m = 0; sub.m * stride < tr->m; sub.m++)
			rows[sub.m] = tr->rows[sub.m * stride];
		sub.rows = rows;
	}
	/* the inner fits' rows (at most INNER_ROWS) copied, from their owners
	 * with several ranks, and read from the copy: a pass over so few rows
	 * is one group of blocks, which one rank would read whole (copied with
	 * one rank too, so that the passes' groups are the same) */
	if (!tr->codes && sub.m > 0) {
		int64_t n_entry = sub.rows[sub.m - 1] + 1; /* rows in increasing order */

		local = fl__malloc((size_t)(sub.m * tr->d) * sizeof *local, "inner rows");
		want = fl__malloc((size_t)sub.m * sizeof *want, "inner rows");
		at = fl__malloc((size_t)n_entry * sizeof *at, "inner rows");
		rs = tr->rscale ? fl__malloc((size_t)n_entry * sizeof *rs, "inner rows") : NULL;
		rc = local && want && at && (rs || !tr->rscale) ? 0 : FL_ENOMEM;
		for (int64_t k = 0; rc == 0 && k < sub.m; k++) {
			want[k] = tr->xrows ? tr->xrows[sub.rows[k]] : sub.rows[k];
			at[sub.rows[k]] = k; /* entry row -> its row in local */
		}
		if ((rc = fl__comm_agree(rc)) == 0 &&
		    (rc = fl__comm_fetch_rows(local, tr->x, tr->ldx, tr->d, want, sub.m)) == 0) {
			for (int64_t k = 0; rs && k < sub.m; k++) /* the scales of rows of others */
				rs[sub.rows[k]] = row_scale(local + k * tr->d, tr->d);
			sub.x = local;
			sub.ldx = tr->d;
			sub.xrows = at;
			sub.rscale = rs ? rs : tr->rscale;
			sub.copy = 1;
		}
	}
	if (rc == 0)
		rc = inner_cv(lambda, &sub, lo, seed, itr, ite, ifold, fv, th);
	free(rows);
	free(want);
	free(at);
	free(local);
	free(rs);
	return rc;
}

void fl_direction_clear(fl_direction *dir)
{
	if (!dir)
		return;
	free(dir->weights);
	memset(dir, 0, sizeof *dir);
}

int fl_direction__crossfit(fl_direction *out, float *scores, double *fold_models,
			   const float *x, const fl_mx_codes *codes, int64_t n, int64_t d,
			   int64_t ldx, const int64_t *rows, int64_t m,
			   const unsigned char *failing, const int32_t *fold,
			   const fl_direction_opts *o)
{
	int64_t p = d + 1, nf = 0, *train = NULL, *test, *itr = NULL, *ite = NULL;
	int64_t mi = m < INNER_ROWS ? m : INNER_ROWS; /* the most rows inner_cv sees */
	float *rscale = NULL, *mu = NULL, *inv_s = NULL, *wf = NULL, *sc = NULL, *fv = NULL;
	float *rowbuf = NULL;
	double *theta = NULL, *acc = NULL, *mean = NULL, *th2 = NULL, log_lambda = 0, lam0 = 0;
	int same_lambda = 1;
	int32_t *ifold = NULL;
	int automatic = o->lambda == 0;
	fl_f32_row *tmp = NULL;
	int rc = 0;
	fl_lr_opts lo = {o->lambda, o->max_iter, o->tol, o->threads};
	fl_direction dir = {0};

	for (int64_t k = 0; k < m; k++)
		nf += failing[rows ? rows[k] : k] != 0;
	/* a fold's training rows, then its test rows */
	train = fl__malloc((size_t)(m > 0 ? m : 1) * sizeof(int64_t), "direction folds");
	rscale = o->normalize ? fl__malloc((size_t)n * sizeof(float), "row norms") : NULL;
	mu = fl__malloc((size_t)d * sizeof(float), "column means");
	inv_s = fl__malloc((size_t)d * sizeof(float), "column scales");
	wf = fl__malloc((size_t)d * sizeof(float), "direction weights");
	rowbuf = fl__malloc((size_t)d * sizeof(float), "a row");
	theta = fl__malloc((size_t)p * sizeof(double), "direction weights");
	acc = fl__malloc((size_t)((2 + STAT_GROUPS) * d) * sizeof(double), "column statistics");
	mean = fl__calloc((size_t)p, sizeof(double), "direction weights");
	fv = fl__malloc((size_t)(m + d) * sizeof(float), "direction scores");
	if (automatic) {
		itr = fl__malloc((size_t)(mi + 1) * sizeof(int64_t), "inner folds");
		ite = fl__malloc((size_t)(mi + 1) * sizeof(int64_t), "inner folds");
		ifold = fl__malloc((size_t)(mi + 1) * sizeof(int32_t), "inner folds");
		th2 = fl__malloc((size_t)(2 * p) * sizeof(double), "inner models");
	}
	sc = scores ? scores : fl__malloc((size_t)m * sizeof(float), "direction scores");
	dir.weights = fl__malloc((size_t)d * sizeof(float), "direction weights");
	if (!train || (o->normalize && !rscale) || !mu || !inv_s || !wf || !rowbuf || !theta ||
	    !acc || !mean || !fv || !sc || !dir.weights ||
	    (automatic && (!itr || !ite || !ifold || !th2))) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	fl_lr_data all = {x, d, ldx, rows, m, rscale, NULL, NULL, failing, o->rows, codes, 0};
	if (rscale)
		row_scales(rscale, &all, rowbuf);
	if (o->standardize) {
		column_stats(mu, inv_s, &all, acc, rowbuf);
	} else {
		for (int64_t j = 0; j < d; j++)
			mu[j] = 0, inv_s[j] = 1;
	}
	dir.converged = 1;
	for (int32_t f = 0; f < o->folds; f++) {
		int64_t ntr = 0, nte = 0;
		fl_lr_info info;
		double b;

		for (int64_t k = 0; k < m; k++)
			nte += fold[k] == f;
		test = train + (m - nte);
		nte = 0;
		for (int64_t k = 0; k < m; k++) {
			int64_t row = rows ? rows[k] : k;
			if (fold[k] == f)
				test[nte++] = row;
			else
				train[ntr++] = row;
		}
		fl_lr_data tr = {x, d, ldx, train, ntr, rscale, mu, inv_s, failing, o->rows, codes, 0};
		fl_lr_data te = {x, d, ldx, test, nte, rscale, mu, inv_s, failing, o->rows, codes, 0};
		if (automatic &&
		    (rc = choose_lambda(&lo.lambda, &tr, &lo, o->seed ^ (FL_STREAM_INNER + (uint64_t)f),
					itr, ite, ifold, fv, th2)) != 0)
			goto cleanup;
		log_lambda += log(lo.lambda) / o->folds;
		same_lambda &= f == 0 || lo.lambda == lam0;
		lam0 = lo.lambda;
		memset(theta, 0, (size_t)p * sizeof(double));
		if ((rc = fl_direction__logreg(theta, &info, NULL, &tr, &lo)) != 0)
			goto cleanup;
		dir.n_iter = info.n_iter > dir.n_iter ? info.n_iter : dir.n_iter;
		dir.converged &= info.converged;
		for (int64_t j = 0; j < d; j++)
			wf[j] = (float)theta[j];
		if ((rc = fl_direction__decision(fv, &te, wf, theta[d], o->threads)) != 0)
			goto cleanup;
		for (int64_t k = 0, t = 0; k < m; k++) /* back to the order of rows */
			if (fold[k] == f)
				sc[k] = fv[t++];
		/* fold f's model in the original space: w_j inv_s_j, b - sum mu_j w_j inv_s_j */
		b = theta[d];
		for (int64_t j = 0; j < d; j++) {
			double wj = theta[j] * inv_s[j];
			b -= (double)mu[j] * wj;
			mean[j] += wj / o->folds;
			if (fold_models)
				fold_models[f * p + j] = wj;
		}
		mean[d] += b / o->folds;
		if (fold_models)
			fold_models[f * p + d] = b;
		if ((rc = fl__progress(o->progress, o->progress_user, "direction", f + 1, o->folds)))
			goto cleanup;
	}
	for (int64_t j = 0; j < d; j++)
		dir.weights[j] = (float)mean[j];
	dir.dim = d;
	dir.bias = mean[d];
	dir.normalize = o->normalize != 0;
	dir.n_rows = m;
	dir.n_failing = nf;
	dir.folds = o->folds;
	dir.lambda = same_lambda ? lam0 : exp(log_lambda);
	/* the ranks in the room of the folds' arrays */
	free(train);
	free(fv);
	train = NULL;
	fv = NULL;
	if (!(tmp = fl__malloc((size_t)(m > 0 ? m : 1) * sizeof(fl_f32_row), "direction ranks"))) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	rc = roc_auc(&dir.auc, sc, rows, m, failing, tmp, o->threads);
cleanup:
	free(train);
	free(rscale);
	free(mu);
	free(inv_s);
	free(wf);
	free(rowbuf);
	free(theta);
	free(acc);
	free(mean);
	free(tmp);
	free(fv);
	free(itr);
	free(ite);
	free(ifold);
	free(th2);
	if (sc != scores)
		free(sc);
	if (rc)
		fl_direction_clear(&dir);
	*out = dir;
	return rc;
}

int fl_direction__check_opts(const fl_direction_opts *o)
{
	if (o->version != FL_DIRECTION_OPTS_VERSION || o->folds < 2 || !(o->lambda >= 0) ||
	    !isfinite(o->lambda) || o->max_iter < 1 || !(o->tol > 0 && o->tol < 1) ||
	    o->min_size < 0 || o->threads < 0)
		return fl__error(FL_EINVAL, "invalid direction options (version=%d, folds=%d, "
				 "lambda=%g, max_iter=%d, tol=%g, min_size=%lld, threads=%d)",
				 o->version, o->folds, o->lambda, o->max_iter, o->tol,
				 (long long)o->min_size, o->threads);
	return 0;
}

int fl_direction__check(const float *x, int64_t n, int64_t d, int64_t ldx,
			const fl_direction_opts *o)
{
	int rc = fl__check_matrix(x, n, d, ldx, 1, "the embedding");

	if (rc == 0 && d > INT32_MAX / 2)
		rc = fl__error(FL_EINVAL, "the embedding has %lld columns, too many", (long long)d);
	return rc ? rc : fl_direction__check_opts(o);
}

int fl_direction_fit(fl_direction *out, float *scores, const float *x, int64_t n, int64_t d,
		     int64_t ldx, const int64_t *rows, int64_t n_rows, const double *failure,
		     const fl_direction_opts *opts)
{
	static const fl_direction_opts defaults = FL_DIRECTION_OPTS_INIT;
	const fl_direction_opts *o = opts ? opts : &defaults;
	unsigned char *failing = NULL, *seen = NULL;
	int32_t *fold = NULL;
	int64_t m = rows ? n_rows : n, nf = 0;
	int rc;

	if (!out)
		return fl__error(FL_EINVAL, "no direction to fit (out is NULL)");
	memset(out, 0, sizeof *out);
	if ((rc = fl_direction__check(x, n, d, ldx, o)) != 0)
		return rc;
	if (!failure)
		return fl__error(FL_EINVAL, "no failure signal (a NULL array)");
	if ((rows && (n_rows < 0 || n_rows > n)) || (!rows && n_rows != n))
		return fl__error(FL_EINVAL, "%lld rows to fit of an embedding of %lld",
				 (long long)n_rows, (long long)n);
	failing = fl__malloc((size_t)n, "failing rows");
	seen = rows ? fl__calloc((size_t)n, 1, "fitted rows") : NULL;
	fold = fl__malloc((size_t)(m > 0 ? m : 1) * sizeof(int32_t), "folds");
	if (!failing || (rows && !seen) || !fold) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int64_t k = 0; rows && k < m; k++) {
		if (rows[k] < 0 || rows[k] >= n || seen[rows[k]]) {
			rc = fl__error(FL_ERANGE, "rows to fit: rows[%lld] = %lld is outside [0, %lld) "
				       "or repeated", (long long)k, (long long)rows[k], (long long)n);
			goto cleanup;
		}
		seen[rows[k]] = 1;
	}
	if ((rc = fl__failing_flags(failing, failure, n, "direction")) != 0)
		goto cleanup;
	for (int64_t k = 0; k < m; k++)
		nf += failing[rows ? rows[k] : k];
	if (nf < 2 || m - nf < 2) {
		rc = fl__error(FL_EINVAL, "a failure direction needs at least 2 failing and 2 "
			       "passing rows (%lld failing of %lld)", (long long)nf, (long long)m);
		goto cleanup;
	}
	if ((rc = fl_direction__folds(fold, rows, m, failing, o->folds, o->seed)) != 0)
		goto cleanup;
	rc = fl_direction__crossfit(out, scores, NULL, x, NULL, n, d, ldx, rows, m, failing, fold, o);
cleanup:
	free(failing);
	free(seen);
	free(fold);
	return rc;
}

int fl_direction__score_rows(float *out, const fl_direction *dir, const float *x,
			    const fl_mx_codes *codes, int64_t n, int64_t ldx,
			    const int64_t *rows, int64_t m, const int64_t *xrows, int32_t threads)
{
	fl_lr_data data = {x, dir->dim, ldx, rows, m, NULL, NULL, NULL, NULL, xrows, codes, 0};
	float *rscale = NULL, *buf = NULL;
	int rc;

	if (m == 0)
		return 0;
	if (dir->normalize) {
		rscale = fl__malloc((size_t)n * sizeof(float), "row norms");
		buf = fl__malloc((size_t)dir->dim * sizeof(float), "a row");
		if (!rscale || !buf) {
			free(rscale);
			free(buf);
			return FL_ENOMEM;
		}
		row_scales(rscale, &data, buf);
		data.rscale = rscale;
	}
	rc = fl_direction__decision(out, &data, dir->weights, dir->bias, threads);
	free(rscale);
	free(buf);
	return rc;
}

int fl_direction_score(float *out, const fl_direction *dir, const float *x, int64_t n,
		       int64_t ldx, int32_t threads)
{
	if (!out || !dir || !dir->weights || dir->dim < 1 || (n > 0 && !x) || n < 0 ||
	    ldx < dir->dim || threads < 0)
		return fl__error(FL_EINVAL, "cannot score %lld rows (row stride %lld, %d threads) "
				 "with a direction of %lld dimensions", (long long)n, (long long)ldx,
				 threads, (long long)(dir ? dir->dim : 0));
	return fl_direction__score_rows(out, dir, x, NULL, n, ldx, NULL, n, NULL, threads);
}
