/*
 * The error-aware Gaussian mixture of Domino (Eyuboglu et al., "Domino:
 * discovering systematic errors with cross-modal embeddings", ICLR 2022),
 * fitted by EM (Dempster, Laird & Rubin 1977) in float32 on BLAS.
 *
 * Objective (mean over the n rows):
 *   (1/n) sum_i log sum_s exp(lj_is) + (1/n) log prior,
 *   lj_is = log pi_s + log N(z_i; mu_s, diag var_s) + gamma log p_s[y_i]
 *           + gamma_hat log(yhat_i . phat_s) + gamma_f log P(f_i | s),
 * the prior being Dirichlet(1 + alpha) on every p_s, phat_s and Beta on q_s
 * (alpha = FL_MIXTURE_PSEUDOCOUNT, weighted like its term), which keeps the
 * logs finite. The passes and updates are in em.c, the initialisations in
 * init.c; this file drives them: column variances (the floor's reference),
 * initialisation, an optional warm-up on a random subset (the big early
 * moves of EM cost little there; it stops at 10 tol), then EM on all rows
 * until the objective changes by less than tol (10 tol after a warm-up
 * that converged).
 */
#include "em.h"
#include "stats/stats_internal.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

void fl_mixture_clear(fl_mixture *m)
{
	if (!m)
		return;
	free(m->weights);
	free(m->means);
	free(m->variances);
	free(m->label_probs);
	free(m->pred_probs);
	free(m->fail_mean);
	free(m->fail_var);
	free(m->floor);
	free(m->trace);
	memset(m, 0, sizeof *m);
}

/* ---- the fit ----------------------------------------------------------- */

/* The rows' underlying failure array scaled by 1 / scale (a power of two),
 * or NULL (FL_ENOMEM): the Gaussian failure term works on f / fail_scale,
 * whose largest |value| the fit puts in [1, 2), so that float32 EM sees
 * the same numbers for a signal and that signal times 1e19 (or 1e300,
 * whose squares overflow a double). `lim` clamps what prediction sees of
 * rows far outside the fit's range, so that they stay finite in float. */
static double *scaled_failure(const fl_mx_data *p, double scale, double lim)
{
	int64_t len = p->n;
	double *fs;

	for (int64_t i = 0; p->rows && i < p->n; i++)
		len = p->rows[i] + 1 > len ? p->rows[i] + 1 : len;
	if (!(fs = fl__malloc((size_t)(len ? len : 1) * sizeof *fs, "scaled failure")))
		return NULL;
	for (int64_t i = 0; i < len; i++) {
		double v = p->failure[i] / scale;
		fs[i] = v > lim ? lim : v < -lim ? -lim : v;
	}
	return fs;
}

/* The tolerance of EM with a warm-up (on the subset, then on all rows),
 * in units of tol. */
#define WARM_TOL 10

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Column variances of all rows (shifted by the first row: no cancellation
 * when the columns sit far from 0). */
static int column_variances(double *out, const fl_mx_data *p, mx_ctx *x)
{
	int64_t d = p->d;
	double *s1 = fl__calloc((size_t)(2 * d), sizeof(double), "column variances");
	float *first = fl__malloc((size_t)(2 * d) * sizeof(float), "column variances");
	float *row = fl__malloc((size_t)(2 * d) * sizeof(float), "column variances");

	(void)x;
	if (!s1 || !first || !row) {
		free(s1);
		free(first);
		free(row);
		return FL_ENOMEM;
	}
	fl_mixture__load_rows(p, first, 0, 1);
	for (int64_t i = 0; i < p->n; i++) {
		fl_mixture__load_rows(p, row, i, 1);
		for (int64_t j = 0; j < d; j++) {
			double t = (double)row[j] - first[j];
			s1[j] += t;
			s1[d + j] += t * t;
		}
	}
	for (int64_t j = 0; j < d; j++) {
		double mu = s1[j] / (double)p->n;
		out[j] = fmax(s1[d + j] / (double)p->n - mu * mu, 0);
	}
	free(s1);
	free(first);
	free(row);
	return 0;
}

static int alloc_model(fl_mixture *m, int32_t k, int64_t d, int32_t C)
{
	size_t kd = (size_t)k * (size_t)d;

	m->k = k;
	m->d = d;
	m->n_classes = C;
	m->weights = fl__calloc((size_t)k, sizeof(double), "mixture weights");
	m->means = fl__calloc(kd, sizeof(double), "mixture means");
	m->variances = fl__calloc(kd, sizeof(double), "mixture variances");
	m->floor = fl__calloc((size_t)d, sizeof(double), "mixture floor");
	if (m->has_labels)
		m->label_probs = fl__calloc((size_t)k * (size_t)C, sizeof(double), "mixture labels");
	if (m->has_probs)
		m->pred_probs = fl__calloc((size_t)k * (size_t)C, sizeof(double), "mixture predictions");
	if (m->failure != FL_MIXTURE_FAILURE_NONE)
		m->fail_mean = fl__calloc((size_t)k, sizeof(double), "mixture failure");
	if (m->failure == FL_MIXTURE_FAILURE_GAUSSIAN)
		m->fail_var = fl__calloc((size_t)k, sizeof(double), "mixture failure");
	if (!m->weights || !m->means || !m->variances || !m->floor ||
	    (m->has_labels && !m->label_probs) || (m->has_probs && !m->pred_probs) ||
	    (m->failure != FL_MIXTURE_FAILURE_NONE && !m->fail_mean) ||
	    (m->failure == FL_MIXTURE_FAILURE_GAUSSIAN && !m->fail_var))
		return FL_ENOMEM;
	return 0;
}

typedef struct {
	const fl_mixture_opts *o;
	double last;
	int32_t done;
	int cancelled;
} progress_state;

static void progress(progress_state *ps, int force)
{
	double t;

	if (!ps->o->progress)
		return;
	t = now_s();
	if (force || t - ps->last >= 0.25) {
		ps->cancelled |= ps->o->progress(ps->o->progress_user, "mixture", ps->done,
						 ps->o->max_iter) != 0;
		ps->last = t;
	}
}

/* EM on p from the model in m until tol or max_iter; trace (max_iter + 1
 * values) may be NULL. Returns the number of M-steps. */
static int32_t em_stage(fl_mixture *m, mx_ctx *x, const fl_mx_data *p, const double *col_var,
			const fl_mixture_opts *o, double *trace, int *converged, double *obj,
			fl_mx_out *out, progress_state *ps)
{
	double prev = -HUGE_VAL;
	int32_t it;

	*converged = 0;
	for (it = 0;; it++) {
		double cur;

		fl_mixture__ctx_load(x, m);
		fl_mixture__pass(x, p, MX_EM, NULL, out);
		cur = (x->acc.ll + fl_mixture__log_prior(m, x->C)) / (double)p->n;
		if (trace)
			trace[it] = cur;
		*obj = cur;
		if (it > 0 && fabs(cur - prev) < o->tol) {
			*converged = 1;
			break;
		}
		if (it == o->max_iter)
			break;
		fl_mixture__m_step(m, x, col_var, 0);
		prev = cur;
		if (ps) {
			ps->done = it + 1;
			progress(ps, 0);
			if (ps->cancelled)
				break;
		}
	}
	fl_mixture__gather_out(x, p, out); /* the last pass's rows, once */
	return it;
}

int fl_mixture__fit_from(fl_mixture *out, const fl_mx_data *data, const fl_mixture_opts *o,
			 const fl_mixture *start, fl_mx_out *final)
{
	fl_mixture m;
	mx_ctx x;
	double *col_var = NULL, varf = 0, *fs = NULL;
	int64_t *wrows = NULL, warm = o->warm_rows, d = data->d;
	int32_t C = data->n_classes;
	int rc = 0, converged = 0;
	progress_state ps = {o, 0, 0, 0};
	fl_mx_data full = *data, sub;
	fl_mixture_opts loose = *o;

	memset(out, 0, sizeof *out);
	memset(&m, 0, sizeof m);
	memset(&x, 0, sizeof x);
	m.gamma = o->gamma;
	m.gamma_hat = o->gamma_hat;
	m.gamma_f = o->gamma_f;
	m.fail_scale = 1;
	m.has_labels = data->labels != NULL && o->gamma > 0;
	m.has_probs = data->probs != NULL && o->gamma_hat > 0;
	if (data->failure && o->gamma_f > 0 && fl_failure_is_binary(data->failure, data->n)) {
		m.failure = FL_MIXTURE_FAILURE_BERNOULLI;
	} else if (data->failure && o->gamma_f > 0) {
		double mu = 0, mx = 0;

		for (int64_t i = 0; i < data->n; i++) {
			double a = fabs(data->failure[data->rows ? data->rows[i] : i]);
			mx = a > mx ? a : mx;
		}
		m.fail_scale = ldexp(1.0, fl__failure_exponent(&mx, 1));
		if (!(fs = scaled_failure(data, m.fail_scale, HUGE_VAL))) {
			rc = FL_ENOMEM;
			goto cleanup;
		}
		full.failure = fs;
		for (int64_t i = 0; i < data->n; i++)
			mu += fs[data->rows ? data->rows[i] : i] / (double)data->n;
		for (int64_t i = 0; i < data->n; i++) {
			double t = fs[data->rows ? data->rows[i] : i] - mu;
			varf += t * t / (double)data->n;
		}
		m.failure = varf > 0 ? FL_MIXTURE_FAILURE_GAUSSIAN : FL_MIXTURE_FAILURE_NONE;
		m.fail_scale = varf > 0 ? m.fail_scale : 1;
	}
	sub = full;
	if (!m.has_labels && !m.has_probs)
		C = 0;
	if ((rc = alloc_model(&m, o->k, d, C)) != 0)
		goto cleanup;
	if ((rc = fl_mixture__ctx_init(&x, d, o->k, C, m.has_labels, m.has_probs, m.failure, o->threads,
			   data->n)) != 0)
		goto cleanup;
	x.fvar = varf;
	x.ffloor = fmax(o->reg * varf, 1e-12 * varf);
	fl__blas_single_enter();
	if (!(col_var = fl__malloc((size_t)d * sizeof(double), "column variances"))) {
		rc = FL_ENOMEM;
		goto leave;
	}
	if (data->col_var)
		memcpy(col_var, data->col_var, (size_t)d * sizeof(double));
	else if ((rc = column_variances(col_var, data, &x)) != 0)
		goto leave;
	for (int64_t j = 0; j < d; j++)
		m.floor[j] = col_var[j] > 0 ? fmax(o->reg * col_var[j], 1e-12 * col_var[j]) : 1.0;

	/* the warm-up subset, which also initialises: initial moments need no
	 * more rows than the warm-up itself */
	if (warm == 0)
		warm = data->n >= 65536 ? (data->n / 4 < 32768 ? data->n / 4 : 32768) : -1;
	if (warm > 0 && warm < data->n && o->max_iter > 0) {
		fl_rng rng;
		if (!(wrows = fl__malloc((size_t)warm * sizeof(int64_t), "mixture warm-up rows"))) {
			rc = FL_ENOMEM;
			goto leave;
		}
		fl__rng_seed(&rng, o->seed, FL_STREAM_MX_WARM);
		fl_mixture__sample_rows(wrows, warm, data->n, &rng);
		sub.rows = wrows;
		sub.n = warm;
	}
	if (start) {
		m.init = start->init;
		memcpy(m.weights, start->weights, (size_t)o->k * sizeof(double));
		memcpy(m.means, start->means, (size_t)(o->k * d) * sizeof(double));
		memcpy(m.variances, start->variances, (size_t)(o->k * d) * sizeof(double));
		if (m.has_labels)
			memcpy(m.label_probs, start->label_probs, (size_t)o->k * (size_t)C * sizeof(double));
		if (m.has_probs)
			memcpy(m.pred_probs, start->pred_probs, (size_t)o->k * (size_t)C * sizeof(double));
		if (m.failure != FL_MIXTURE_FAILURE_NONE)
			memcpy(m.fail_mean, start->fail_mean, (size_t)o->k * sizeof(double));
		if (m.failure == FL_MIXTURE_FAILURE_GAUSSIAN) {
			/* from the start's units to this fit's (a power of two: exact) */
			double u = start->fail_scale > 0 ? start->fail_scale / m.fail_scale : 1;

			memcpy(m.fail_var, start->fail_var, (size_t)o->k * sizeof(double));
			for (int32_t s = 0; s < o->k; s++) {
				m.fail_mean[s] *= u;
				m.fail_var[s] *= u * u;
			}
		}
	} else if (o->init == FL_MIXTURE_INIT_CONFUSION && (data->labels || data->probs) &&
		   data->n_classes >= 1) {
		m.init = FL_MIXTURE_INIT_CONFUSION;
		rc = fl_mixture__init_confusion(&m, &x, &sub, col_var, o);
	} else {
		m.init = FL_MIXTURE_INIT_KMEANS;
		rc = fl_mixture__init_kmeans(&m, &x, &sub, col_var, o);
	}
	if (rc)
		goto leave;
	/* with a warm-up, EM stops at WARM_TOL tol (1e-3 by default: Domino's
	 * and scikit-learn's tolerance) on the subset and, after a warm-up that
	 * converged, on all rows: a third of the iterations, every slice of the
	 * synthetic sets as it was and the quality benchmark's 140,000-row sets
	 * capturing the same causes at four seeds (docs/performance.md) */
	loose.tol = WARM_TOL * o->tol;
	if (sub.rows) {
		double obj;
		m.n_iter_warm = em_stage(&m, &x, &sub, col_var, &loose, NULL, &converged, &obj, NULL,
					 NULL);
	}
	if (!(m.trace = fl__malloc(((size_t)o->max_iter + 1) * sizeof(double), "mixture trace"))) {
		rc = FL_ENOMEM;
		goto leave;
	}
	m.n_iter = em_stage(&m, &x, &full, col_var, sub.rows && converged ? &loose : o, m.trace,
			    &m.converged, &m.objective, final, &ps);
	progress(&ps, 1);
	if (ps.cancelled)
		rc = fl__error(FL_ECANCELED, "cancelled during the mixture fit");
leave:
	fl__blas_single_leave();
	fl_mixture__ctx_free(&x);
cleanup:
	free(col_var);
	free(wrows);
	free(fs);
	if (rc) {
		fl_mixture_clear(&m);
		return rc;
	}
	*out = m;
	return 0;
}

int fl_mixture__fit(fl_mixture *out, const fl_mx_data *data, const fl_mixture_opts *opts)
{
	return fl_mixture__fit_from(out, data, opts, NULL, NULL);
}

int fl_mixture__predict(fl_mx_out *out, const fl_mixture *m, const fl_mx_data *data,
			int32_t threads)
{
	mx_ctx x;
	int use_labels = m->has_labels && data->labels, use_probs = m->has_probs && data->probs;
	fl_mixture_failure fk = data->failure ? m->failure : FL_MIXTURE_FAILURE_NONE;
	fl_mx_data scaled = *data;
	double *fs = NULL;
	int rc;

	/* the Gaussian term's units; 2^60 x the fit's largest value stays
	 * finite in float when squared */
	if (fk == FL_MIXTURE_FAILURE_GAUSSIAN) {
		double u = m->fail_scale > 0 && isfinite(m->fail_scale) ? m->fail_scale : 1;

		if (!(fs = scaled_failure(data, u, 0x1p60)))
			return FL_ENOMEM;
		scaled.failure = fs;
	}
	if ((rc = fl_mixture__ctx_init(&x, m->d, m->k, m->n_classes, use_labels, use_probs, fk, threads,
				       data->n)) != 0) {
		free(fs);
		return rc;
	}
	/* a rule, applied to any rows: each row's embedding terms its own bits,
	 * whichever rows it comes with (fl__rows_times), as its projection's
	 * (the probabilities' term, which specs do not use, is an sgemm's) */
	if (!(x.wt = fl__calloc((size_t)(x.d2 * FL_ROWS_TIMES_LD(x.k)), sizeof(float),
				"mixture assignment"))) {
		fl_mixture__ctx_free(&x);
		free(fs);
		return FL_ENOMEM;
	}
	fl__blas_single_enter();
	fl_mixture__ctx_load(&x, m);
	for (int64_t s = 0; s < x.k; s++)
		for (int64_t j = 0; j < x.d2; j++)
			x.wt[j * FL_ROWS_TIMES_LD(x.k) + s] = x.w[s * x.d2 + j];
	fl_mixture__pass(&x, &scaled, MX_PREDICT, NULL, out);
	fl_mixture__gather_out(&x, &scaled, out);
	fl__blas_single_leave();
	fl_mixture__ctx_free(&x);
	free(fs);
	return 0;
}

/* ---- public entry points ------------------------------------------------ */

static int check_opts(const fl_mixture_opts *o, int64_t n)
{
	if (o->version != FL_MIXTURE_OPTS_VERSION || o->k < 1 || o->k > n ||
	    !(o->gamma >= 0 && o->gamma < HUGE_VAL) || !(o->gamma_hat >= 0 && o->gamma_hat < HUGE_VAL) ||
	    !(o->gamma_f >= 0 && o->gamma_f < HUGE_VAL) || !(o->reg >= 0 && o->reg < 1) ||
	    !(o->tol >= 0) || o->max_iter < 0 || o->warm_rows < -1 || o->threads < 0 ||
	    (o->init != FL_MIXTURE_INIT_CONFUSION && o->init != FL_MIXTURE_INIT_KMEANS))
		return fl__error(FL_EINVAL, "invalid mixture options (version=%d, k=%d, n=%lld, "
				 "gamma=%g, gamma_hat=%g, gamma_f=%g, reg=%g, tol=%g, max_iter=%d, "
				 "init=%d, warm_rows=%lld, threads=%d)",
				 o->version, o->k, (long long)n, o->gamma, o->gamma_hat, o->gamma_f,
				 o->reg, o->tol, o->max_iter, (int)o->init, (long long)o->warm_rows,
				 o->threads);
	return 0;
}

static int check_side(int64_t n, const int64_t *labels, const float *probs, int32_t C,
		      const double *failure)
{
	if ((labels || probs) && C < 2)
		return fl__error(FL_EINVAL, "the mixture needs at least 2 classes, has %d", C);
	if ((labels && fl_check_labels(labels, n, C, "labels") != 0) ||
	    (probs && fl_check_probs(probs, n, C, "probs") != 0) ||
	    (failure && fl_check_finite_f64(failure, n, "failure") != 0))
		return FL_EINVAL; /* the message names the array and its row */
	return 0;
}

int fl_mixture_fit(fl_mixture *out, const float *z, int64_t n, int64_t d, int64_t ldz,
		   const int64_t *labels, const float *probs, int32_t n_classes,
		   const double *failure, const fl_mixture_opts *opts)
{
	static const fl_mixture_opts defaults = FL_MIXTURE_OPTS_INIT;
	const fl_mixture_opts *o = opts ? opts : &defaults;
	fl_mx_data data = {n, d, z, ldz, NULL, NULL, labels, probs, n_classes, failure, NULL, NULL, NULL};
	int rc;

	if (!out)
		return fl__error(FL_EINVAL, "no mixture to fit (out is NULL)");
	memset(out, 0, sizeof *out);
	if ((rc = fl__check_matrix(z, n, d, ldz, 1, "the projected embedding")) != 0)
		return rc;
	if (d > INT32_MAX / 2)
		return fl__error(FL_EINVAL, "the projected embedding has %lld columns, too many",
				 (long long)d);
	if ((rc = check_opts(o, n)) != 0 ||
	    (rc = check_side(n, labels, probs, n_classes, failure)) != 0)
		return rc;
	if (fl_check_finite_f32(z, n, d, ldz, "the projected embedding") != 0)
		return FL_EINVAL;
	if (!labels && !probs)
		data.n_classes = 0;
	return fl_mixture__fit(out, &data, o);
}

int fl_mixture_predict(float *resp, int32_t *assign, double *objective, const fl_mixture *m,
		       const float *z, int64_t n, int64_t ldz, const int64_t *labels,
		       const float *probs, const double *failure, int32_t threads)
{
	fl_mx_out out = {resp, assign, NULL, NULL, 0};
	fl_mx_data data;
	int rc;

	if (!m || !m->weights || !z || n < 0 || ldz < m->d || threads < 0)
		return fl__error(FL_EINVAL, "cannot assign %lld rows (row stride %lld, %d threads) "
				 "to a mixture of %lld dimensions", (long long)n, (long long)ldz,
				 threads, (long long)(m ? m->d : 0));
	labels = m->has_labels ? labels : NULL;
	probs = m->has_probs ? probs : NULL;
	failure = m->failure != FL_MIXTURE_FAILURE_NONE ? failure : NULL;
	if ((rc = check_side(n, labels, probs, m->n_classes, failure)) != 0)
		return rc;
	if (failure && m->failure == FL_MIXTURE_FAILURE_BERNOULLI &&
	    !fl_failure_is_binary(failure, n))
		return fl__error(FL_EINVAL, "the mixture's failure term is a Bernoulli, but the "
				 "failure signal is not binary");
	if (n == 0) {
		if (objective)
			*objective = NAN;
		return 0;
	}
	data = (fl_mx_data){n, m->d, z, ldz, NULL, NULL, labels, probs, m->n_classes,
			    failure, NULL, NULL, NULL};
	rc = fl_mixture__predict(&out, m, &data, threads);
	if (!rc && objective)
		*objective = out.objective;
	return rc;
}
