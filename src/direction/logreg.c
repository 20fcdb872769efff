/*
 * Class-balanced, L2-regularised logistic regression, the classifier of a
 * failure direction. Minimises over w (d) and b
 *   F = (1/m) sum_i c_i log(1 + exp(-y_i (w.z_i + b))) + lambda/2 |w|^2
 * with y_i = +1 for failing rows, -1 for passing ones, and c_i = m / (2
 * m_class): both classes weigh m/2 in total (the "balanced" weighting of
 * King & Zeng, "Logistic regression in rare events data", 2001). The bias
 * is not penalised. Gradient:
 *   dF/dw = (1/m) Z^T q + lambda w,  dF/db = (1/m) sum q,
 *   q_i = -c_i y_i / (1 + exp(y_i f_i)).
 *
 * Solver: L-BFGS (Nocedal & Wright, "Numerical Optimization", 2006,
 * algorithm 7.4 and 7.5) with 10 pairs, H0 = s.y / y.y, and Armijo
 * backtracking by safeguarded quadratic interpolation; the problem is
 * strongly convex in w, so s.y > 0 holds and no Wolfe search is needed.
 * Near the optimum the decrease of F falls below the noise of evaluating
 * it on float32 rows (about 1e-8 relative), while the gradient stays
 * accurate; there a step whose F change is within 1e-6 |F| is accepted
 * when the slope along it at the new point is at most 0.8 |slope at the
 * start| (the approximate Wolfe condition of Hager & Zhang, SIAM J. Optim.
 * 2005), so F may rise by at most that noise level.
 * Parameters and the two-loop recursion are double; the data stay float32.
 * Each evaluation is one pass over row blocks: rows are loaded (normalised,
 * standardised) into a per-thread block that stays in cache, then f = Z w
 * and g = Z^T q are two float32 sgemv on it, and block partial sums are
 * added in double in block order (as kmeans.c does), so the result does
 * not depend on the thread count. It stops when max|grad| <= tol x its
 * value at the start, at max_iter, or when the line search finds no
 * acceptable step (the precision of float32 rows is exhausted).
 */
#include "direction_internal.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#define LBFGS_PAIRS 10
#define ARMIJO_C1 1e-4
#define MAX_BACKTRACK 40
#define F_NOISE 1e-6
#define WOLFE_DELTA 0.1
#define LR_GROUPS 32 /* fixed groups of blocks summed apart (eval_pass) */

/* Per-thread block scratch; strides are multiples of 16 floats so every
 * thread's buffers have the same alignment and sgemv takes the same path. */
typedef struct lr_ws {
	const fl_lr_data *data;
	int64_t block, n_blocks, stride_z, stride_d;
	int threads;
	float *zb;   /* threads x block x d */
	float *fb;   /* threads x block */
	float *gb;   /* threads x d */
	float *wf;   /* d: the weights in float */
	double *gs;  /* LR_GROUPS x (d + 2): each group's gradient, bias term, loss */
	fl__layout lay; /* the groups of rows (a view's: each rank's own rows) */
} lr_ws;

static void ws_free(lr_ws *w)
{
	free(w->zb);
	free(w->fb);
	free(w->gb);
	free(w->wf);
	free(w->gs);
}

static int64_t round16(int64_t v)
{
	return (v + 15) / 16 * 16;
}

static int ws_init(lr_ws *w, const fl_lr_data *data, int32_t threads)
{
	int64_t d = data->d;
	size_t t, sz;

	memset(w, 0, sizeof *w);
	w->data = data;
	w->block = fl__block_rows(d);
	w->n_blocks = (data->m + w->block - 1) / w->block;
	/* a thread per 4 blocks at most: small passes (inner folds of small
	 * classes) are not worth waking a team for */
	w->threads = threads > 0 ? threads : omp_get_max_threads();
	if (w->threads > (w->n_blocks + 3) / 4)
		w->threads = w->n_blocks > 4 ? (int)((w->n_blocks + 3) / 4) : 1;
	w->stride_z = round16(w->block * d);
	w->stride_d = round16(d > w->block ? d : w->block);
	t = (size_t)w->threads;
	if (fl__mul_size(t, (size_t)w->stride_z * sizeof(float), &sz))
		return fl__error(FL_ENOMEM, "direction: workspace size overflows (d=%lld)", (long long)d);
	w->zb = fl__malloc(sz, "direction blocks");
	w->fb = fl__malloc(t * (size_t)w->stride_d * sizeof(float), "direction blocks");
	w->gb = fl__malloc(t * (size_t)w->stride_d * sizeof(float), "direction blocks");
	/* rows read from a view: its row groups, so that a rank sums its own
	 * rows; codes or a copy: groups of consecutive blocks */
	if (data->codes || data->copy)
		fl__layout_blocks(&w->lay, data->m, w->block, LR_GROUPS);
	else
		fl__layout_view(&w->lay, data->m, data->rows, data->xrows, w->block);
	w->wf = fl__malloc((size_t)d * sizeof(float), "direction weights");
	w->gs = fl__malloc((size_t)LR_GROUPS * (size_t)(d + 2) * sizeof(double), "direction sums");
	if (!w->zb || !w->fb || !w->gb || !w->wf || !w->gs) {
		ws_free(w);
		return FL_ENOMEM;
	}
	return 0;
}

/* Entries [i0, i0 + rows) of the data into z (rows x d), as the model
 * sees them. */
static void load_rows(const fl_lr_data *p, float *z, int64_t i0, int64_t rows)
{
	int64_t d = p->d;
	int shift = p->mu && p->inv_s;

	for (int64_t r = 0; r < rows; r++) {
		int64_t row = p->rows ? p->rows[i0 + r] : i0 + r;
		float sc = p->rscale ? p->rscale[row] : 1.0f, *o = z + r * d;

		if (p->rows && !p->codes && i0 + r + FL_PREFETCH_ROWS < p->m) {
			int64_t ahead = p->rows[i0 + r + FL_PREFETCH_ROWS];

			fl__prefetch(p->x + (p->xrows ? p->xrows[ahead] : ahead) * p->ldx,
				     (size_t)d * sizeof(float));
		}
		const float *src = fl_lr__row(p, row, o), *mu = p->mu, *is = p->inv_s;

		if (shift) {
#pragma omp simd
			for (int64_t j = 0; j < d; j++)
				o[j] = (src[j] * sc - mu[j]) * is[j];
		} else {
#pragma omp simd
			for (int64_t j = 0; j < d; j++)
				o[j] = src[j] * sc;
		}
	}
}

/* log(1 + exp(-t)) and its derivative -1 / (1 + exp(t)), without overflow */
static double softplus_neg(double t)
{
	return t > 0 ? log1p(exp(-t)) : -t + log1p(exp(t));
}

static double dsoftplus_neg(double t)
{
	return t > 0 ? -exp(-t) / (1 + exp(-t)) : -1 / (1 + exp(t));
}

/* One pass: the loss sum and, when grad is not NULL, the data part of the
 * gradient (unscaled sums) at (wf, b), with class weights cw[0] (passing)
 * and cw[1] (failing).
 *
 * Reduction order: the rows are cut into fixed groups (w->lay: at most
 * LR_GROUPS groups of consecutive blocks, or a view's row groups); a
 * group's sums are added in block order by
 * whichever thread takes it, then the groups in group order (as em.c). No
 * thread waits for another inside the loop, and the result does not
 * depend on the thread count. */
static double eval_pass(lr_ws *w, double b, const double cw[2], double *grad)
{
	const fl_lr_data *p = w->data;
	int64_t d = p->d, n_groups = w->lay.n_groups;
	int64_t g0, g1;
	double loss = 0;

	if (grad)
		memset(grad, 0, (size_t)(d + 1) * sizeof(double));
	/* with several ranks this one sums its groups; the others' stay 0 */
	fl__layout_share(&w->lay, &g0, &g1);
	if (fl__comm_ranks() > 1)
		memset(w->gs, 0, (size_t)(n_groups * (d + 2)) * sizeof(double));
#pragma omp parallel for num_threads(w->threads) schedule(dynamic, 1)
	for (int64_t g = g0; g < g1; g++) {
		int t = omp_get_thread_num();
		float *zb = w->zb + (size_t)t * (size_t)w->stride_z;
		float *fb = w->fb + (size_t)t * (size_t)w->stride_d;
		float *gb = w->gb + (size_t)t * (size_t)w->stride_d;
		double *gs = w->gs + (size_t)g * (size_t)(d + 2);

		memset(gs, 0, (size_t)(d + 2) * sizeof(double));
		for (int64_t i0 = w->lay.first[g]; i0 < w->lay.first[g + 1]; i0 += w->block) {
			int64_t end = w->lay.first[g + 1];
			int64_t rows = end - i0 < w->block ? end - i0 : w->block;
			double pl = 0, pq = 0;

			load_rows(p, zb, i0, rows);
			cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)d, 1.0f, zb, (int)d,
				    w->wf, 1, 0.0f, fb, 1);
			for (int64_t r = 0; r < rows; r++) {
				int64_t row = p->rows ? p->rows[i0 + r] : i0 + r;
				int fail = p->failing[row] != 0;
				double y = fail ? 1.0 : -1.0, c = cw[fail], mg = y * ((double)fb[r] + b);
				double q = c * y * dsoftplus_neg(mg);

				pl += c * softplus_neg(mg);
				pq += q;
				fb[r] = (float)q;
			}
			if (grad) {
				cblas_sgemv(CblasRowMajor, CblasTrans, (int)rows, (int)d, 1.0f, zb,
					    (int)d, fb, 1, 0.0f, gb, 1);
				for (int64_t j = 0; j < d; j++)
					gs[j] += gb[j];
				gs[d] += pq;
			}
			gs[d + 1] += pl;
		}
	}
	fl__comm_sum_f64(w->gs, n_groups * (d + 2));
	for (int64_t g = 0; g < n_groups; g++) {
		const double *gs = w->gs + (size_t)g * (size_t)(d + 2);

		loss += gs[d + 1];
		for (int64_t j = 0; grad && j <= d; j++)
			grad[j] += gs[j];
	}
	return loss;
}

/* The objective (and gradient) at theta; fills w->wf. */
static double evaluate(lr_ws *w, const double *theta, const double cw[2], double lambda,
		       double *grad)
{
	int64_t d = w->data->d, m = w->data->m;
	double reg = 0, loss;

	for (int64_t j = 0; j < d; j++) {
		w->wf[j] = (float)theta[j];
		reg += theta[j] * theta[j];
	}
	loss = eval_pass(w, theta[d], cw, grad);
	if (grad) {
		for (int64_t j = 0; j < d; j++)
			grad[j] = grad[j] / (double)m + lambda * theta[j];
		grad[d] /= (double)m;
	}
	return loss / (double)m + 0.5 * lambda * reg;
}

static int class_weights(const fl_lr_data *p, double cw[2])
{
	int64_t nf = 0;

	for (int64_t k = 0; k < p->m; k++)
		nf += p->failing[p->rows ? p->rows[k] : k] != 0;
	if (nf == 0 || nf == p->m)
		return fl__error(FL_EINVAL, "direction: logistic regression needs failing and passing "
				 "rows (%lld failing of %lld)", (long long)nf, (long long)p->m);
	cw[0] = (double)p->m / (2.0 * (double)(p->m - nf));
	cw[1] = (double)p->m / (2.0 * (double)nf);
	return 0;
}

static int check_data(const fl_lr_data *p)
{
	if ((!p->x && !p->codes) || (p->codes && p->codes->r != p->d) || p->d < 1 ||
	    p->ldx < p->d || p->m < 0 || p->d > INT32_MAX / 2)
		return fl__error(FL_EINVAL, "direction: invalid data (d=%lld, ldx=%lld, m=%lld)",
				 (long long)p->d, (long long)p->ldx, (long long)p->m);
	return 0;
}

int fl_direction__objective(double *f, double *grad, const double *theta,
			    const fl_lr_data *data, double lambda, int32_t threads)
{
	lr_ws w;
	double cw[2];
	int rc;

	if ((rc = check_data(data)) != 0 || (rc = class_weights(data, cw)) != 0 ||
	    (rc = ws_init(&w, data, threads)) != 0)
		return rc;
	fl__blas_single_enter();
	*f = evaluate(&w, theta, cw, lambda, grad);
	fl__blas_single_leave();
	ws_free(&w);
	return 0;
}

static double dot(const double *a, const double *b, int64_t p)
{
	double s = 0;

	for (int64_t j = 0; j < p; j++)
		s += a[j] * b[j];
	return s;
}

static double max_abs(const double *a, int64_t p)
{
	double s = 0;

	for (int64_t j = 0; j < p; j++)
		s = fmax(s, fabs(a[j]));
	return s;
}

/* The L-BFGS direction dir = -H grad from the stored pairs (two-loop). */
static void two_loop(double *dir, const double *grad, const double *S, const double *Y,
		     const double *rho, double *alpha, int n_pairs, int newest, int64_t p)
{
	for (int64_t j = 0; j < p; j++)
		dir[j] = -grad[j];
	for (int k = 0; k < n_pairs; k++) {
		int s = (newest - k + LBFGS_PAIRS) % LBFGS_PAIRS;
		alpha[s] = rho[s] * dot(S + s * p, dir, p);
		for (int64_t j = 0; j < p; j++)
			dir[j] -= alpha[s] * Y[s * p + j];
	}
	if (n_pairs > 0) {
		const double *s0 = S + newest * p, *y0 = Y + newest * p;
		double gamma = dot(s0, y0, p) / dot(y0, y0, p);
		for (int64_t j = 0; j < p; j++)
			dir[j] *= gamma;
	}
	for (int k = n_pairs - 1; k >= 0; k--) {
		int s = (newest - k + LBFGS_PAIRS) % LBFGS_PAIRS;
		double beta = rho[s] * dot(Y + s * p, dir, p);
		for (int64_t j = 0; j < p; j++)
			dir[j] += (alpha[s] - beta) * S[s * p + j];
	}
}

int fl_direction__logreg(double *theta, fl_lr_info *info, double *trace,
			 const fl_lr_data *data, const fl_lr_opts *o)
{
	int64_t d = data->d, p = d + 1;
	lr_ws w;
	double cw[2], f, g0, *buf = NULL;
	double *g, *gn, *xn, *dir, *S, *Y, *rho, *alpha;
	int n_pairs = 0, newest = -1, rc;
	fl_lr_info inf = {0, 0, 0, 0};

	if ((rc = check_data(data)) != 0)
		return rc;
	if (!theta || !(o->lambda > 0) || o->max_iter < 1 || !(o->tol > 0) || o->threads < 0)
		return fl__error(FL_EINVAL, "direction: invalid solver options (lambda=%g, "
				 "max_iter=%d, tol=%g, threads=%d)", o->lambda, o->max_iter,
				 o->tol, o->threads);
	if ((rc = class_weights(data, cw)) != 0 || (rc = ws_init(&w, data, o->threads)) != 0)
		return rc;
	buf = fl__malloc((size_t)(4 * p + 2 * LBFGS_PAIRS * p + 2 * LBFGS_PAIRS) * sizeof(double),
			 "L-BFGS state");
	if (!buf) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	g = buf, gn = g + p, xn = gn + p, dir = xn + p, S = dir + p;
	Y = S + LBFGS_PAIRS * p, rho = Y + LBFGS_PAIRS * p, alpha = rho + LBFGS_PAIRS;

	fl__blas_single_enter();
	f = inf.f_start = evaluate(&w, theta, cw, o->lambda, g);
	if (trace)
		trace[0] = f;
	g0 = max_abs(g, p);
	inf.converged = g0 == 0;
	while (!inf.converged && inf.n_iter < o->max_iter) {
		double slope, step = 1, fn = f;
		int accepted = 0;

		two_loop(dir, g, S, Y, rho, alpha, n_pairs, newest, p);
		slope = dot(g, dir, p);
		if (!(slope < 0)) { /* not a descent direction (rounding): restart */
			n_pairs = 0;
			for (int64_t j = 0; j < p; j++)
				dir[j] = -g[j];
			slope = dot(g, dir, p);
		}
		if (n_pairs == 0) /* first step: unit length */
			step = fmin(1.0, 1.0 / sqrt(-slope));
		for (int k = 0; k < MAX_BACKTRACK; k++) {
			for (int64_t j = 0; j < p; j++)
				xn[j] = theta[j] + step * dir[j];
			fn = evaluate(&w, xn, cw, o->lambda, gn);
			if (fn < f && fn <= f + ARMIJO_C1 * step * slope) {
				accepted = 1;
				break;
			}
			/* F flat within its float32 noise: judge the step by the
			 * slope at the new point instead (approximate Wolfe) */
			if (fabs(fn - f) <= F_NOISE * fabs(f) &&
			    dot(gn, dir, p) <= (1 - 2 * WOLFE_DELTA) * -slope) {
				accepted = 1;
				break;
			}
			/* minimiser of the quadratic through f, slope and fn, kept in
			 * [0.1, 0.5] x step */
			double q = -slope * step * step / (2 * (fn - f - slope * step));
			step = isfinite(q) ? fmin(0.5 * step, fmax(0.1 * step, q)) : 0.5 * step;
		}
		if (!accepted)
			break; /* no decrease measurable in float32: as good as it gets */
		newest = (newest + 1) % LBFGS_PAIRS;
		for (int64_t j = 0; j < p; j++) {
			S[newest * p + j] = xn[j] - theta[j];
			Y[newest * p + j] = gn[j] - g[j];
		}
		double sy = dot(S + newest * p, Y + newest * p, p);
		if (sy > 1e-12 * sqrt(dot(S + newest * p, S + newest * p, p) *
				      dot(Y + newest * p, Y + newest * p, p))) {
			rho[newest] = 1 / sy;
			n_pairs += n_pairs < LBFGS_PAIRS;
		} else { /* curvature lost in rounding: drop the pair */
			newest = (newest - 1 + LBFGS_PAIRS) % LBFGS_PAIRS;
		}
		memcpy(theta, xn, (size_t)p * sizeof(double));
		memcpy(g, gn, (size_t)p * sizeof(double));
		f = fn;
		inf.n_iter++;
		if (trace)
			trace[inf.n_iter] = f;
		inf.converged = max_abs(g, p) <= o->tol * g0;
	}
	fl__blas_single_leave();
	inf.f_end = f;
	if (info)
		*info = inf;
cleanup:
	ws_free(&w);
	free(buf);
	return rc;
}

int fl_direction__decision(float *out, const fl_lr_data *data, const float *wv, double b,
			   int32_t threads)
{
	lr_ws w;
	int64_t g0, g1;
	int rc;

	if ((rc = check_data(data)) != 0)
		return rc;
	if (data->m == 0)
		return 0;
	if ((rc = ws_init(&w, data, threads)) != 0)
		return rc;
	memcpy(w.wf, wv, (size_t)data->d * sizeof(float));
	/* with several ranks this one scores the blocks of its groups, then
	 * the ranks exchange the scores */
	fl__layout_share(&w.lay, &g0, &g1);
	fl__blas_single_enter();
#pragma omp parallel num_threads(w.threads)
	{
		int t = omp_get_thread_num();
		float *zb = w.zb + (size_t)t * (size_t)w.stride_z;
		float *fb = w.fb + (size_t)t * (size_t)w.stride_d;

#pragma omp for schedule(dynamic, 1)
		for (int64_t g = g0; g < g1; g++)
			for (int64_t i0 = w.lay.first[g]; i0 < w.lay.first[g + 1]; i0 += w.block) {
				int64_t end = w.lay.first[g + 1];
				int64_t rows = end - i0 < w.block ? end - i0 : w.block;

				load_rows(data, zb, i0, rows);
				cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)data->d, 1.0f,
					    zb, (int)data->d, w.wf, 1, 0.0f, fb, 1);
				for (int64_t r = 0; r < rows; r++)
					out[i0 + r] = (float)((double)fb[r] + b);
			}
	}
	fl__blas_single_leave();
	fl__layout_gather(&w.lay, out, sizeof(float));
	ws_free(&w);
	return 0;
}
