/*
 * The error-aware Gaussian mixture of Domino (Eyuboglu et al., "Domino:
 * discovering systematic errors with cross-modal embeddings", ICLR 2022),
 * fitted by EM (Dempster, Laird & Rubin 1977) in float32 on BLAS.
 *
 * Objective (mean over the n rows of a pass):
 *   (1/n) sum_i log sum_s exp(lj_is) + (1/n) log prior,
 *   lj_is = log pi_s + log N(z_i; mu_s, diag var_s) + gamma log p_s[y_i]
 *           + gamma_hat log(yhat_i . phat_s) + gamma_f log P(f_i | s),
 * the prior being Dirichlet(1 + alpha) on every p_s, phat_s and Beta on q_s
 * (alpha = FL_MIXTURE_PSEUDOCOUNT, weighted like its term), which keeps the
 * logs finite. Every update below maximises (or, for phat, increases) the
 * EM lower bound of that objective, so it never decreases:
 *  - pi, mu: the weighted moments; var: the weighted variance floored at
 *    reg Var(z_d) (the maximiser over var >= floor; adding reg instead, as
 *    scikit-learn does, is not a maximiser);
 *  - p_s: (label counts + alpha) / (n_s + C alpha);
 *  - phat_s: log(yhat . phat) is the log of a mixture over classes, so its
 *    EM update is that of mixture weights, phat_sc <- (phat_sc A_sc +
 *    alpha) / (...), A_sc = sum_i r_is yhat_ic / (yhat_i . phat_s).
 *    Domino's weighted mean of yhat is the maximiser only for one-hot yhat.
 *
 * Kernels: a block of rows is loaded as [z, z^2] (B x 2d); the E-step is one
 * sgemm with the stacked [mu/var, -1/(2 var)] (k x 2d), the M-step one sgemm
 * R^T [z, z^2]. Cancellation in that expansion costs about
 * eps * sum_d mu_sd^2 / var_sd nats; z is centred (PCA), which keeps it
 * small. The prediction term is a second, small sgemm (B x C by C x k).
 *
 * Threads and determinism as in src/cluster/kmeans.c: fixed blocks whose
 * size depends on d only, OpenMP threads take whole blocks, every reduction
 * runs in block order inside an `ordered` section, in double.
 */
#include "mixture_internal.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <time.h>

#define ALPHA FL_MIXTURE_PSEUDOCOUNT
/* A component whose total responsibility falls below this (a millionth of a
 * row) is dead: weight 0, parameters frozen. Removing it changes the
 * objective by less than DEAD_MASS / n. */
#define DEAD_MASS 1e-6
#define LOG_2PI 1.8378770664093453
/* Sums of a pass are reduced over at most this many fixed groups of blocks. */
#define MX_GROUPS 32

static pthread_mutex_t blas_lock = PTHREAD_MUTEX_INITIALIZER;
static int blas_users, blas_saved;

void fl_mixture__blas_enter(void)
{
	pthread_mutex_lock(&blas_lock);
	if (blas_users++ == 0) {
		blas_saved = openblas_get_num_threads();
		if (blas_saved != 1)
			openblas_set_num_threads(1);
	}
	pthread_mutex_unlock(&blas_lock);
}

void fl_mixture__blas_leave(void)
{
	pthread_mutex_lock(&blas_lock);
	if (--blas_users == 0 && blas_saved != 1)
		openblas_set_num_threads(blas_saved);
	pthread_mutex_unlock(&blas_lock);
}

int64_t fl_mixture__block(int64_t d)
{
	/* about 2 MiB of [z, z^2] per block: sgemm with k ~ 25 runs near its
	 * peak from ~2048 rows (measured), and the block stays in L2/L3 */
	int64_t b = 262144 / d;

	return b < 64 ? 64 : b > 2048 ? 2048 : b;
}

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

/* ---- one pass over the rows -------------------------------------------- */

enum mx_mode {
	MX_EM,      /* E-step, accumulate M-step statistics (and fill `out` if set) */
	MX_HARD,    /* responsibilities are one-hot from `hard` (-1: none): init */
	MX_PREDICT  /* E-step, fill `out` only */
};

/* Sums of one pass, reduced in block order. */
typedef struct mx_acc {
	double *s12; /* k x 2d: R^T [z, z^2] */
	double *nk;  /* k */
	double *nc;  /* C x k: label counts */
	double *a;   /* k x C: prediction statistics */
	double *f1, *f2; /* k: sum r f, sum r f^2 */
	double ll;
} mx_acc;

/* Everything a pass needs: the data, the float working copy of the model,
 * per-thread scratch and the sums. */
typedef struct mx_ctx {
	int64_t d, d2, block;
	int32_t k, C, threads;
	int use_labels, use_probs;
	fl_mixture_failure fk;
	/* float working model */
	float *w;    /* k x 2d */
	float *c;    /* k: log pi - (sum mu^2/var + log var + log 2 pi) / 2 */
	float *lab;  /* C x k: gamma log p */
	float *ph;   /* k x C: phat */
	float *fa, *fb, *fc; /* k: failure term coefficients */
	float gh;    /* gamma_hat */
	double fvar, ffloor; /* Gaussian failure term: Var(f) and its floor */
	/* per thread */
	float *xb, *lj, *pb, *pr, *s12p, *ap, *rowmax;
	double *groups; /* per group of blocks: s12 (k 2d), nk (k), nc (C k), f1, f2 (k),
			   a (k C), ll (1) */
	mx_acc acc;
	double *accbuf;
} mx_ctx;

static void ctx_free(mx_ctx *x)
{
	free(x->w);
	free(x->c);
	free(x->lab);
	free(x->ph);
	free(x->fa);
	free(x->fb);
	free(x->fc);
	free(x->xb);
	free(x->lj);
	free(x->pb);
	free(x->pr);
	free(x->s12p);
	free(x->ap);
	free(x->rowmax);
	free(x->groups);
	free(x->accbuf);
}

/* per-group sums besides s12 and ll: nk, nc, f1, f2, a */
static size_t accp_len(const mx_ctx *x)
{
	return (size_t)x->k * (size_t)(3 + 2 * x->C);
}

static int ctx_init(mx_ctx *x, int64_t d, int32_t k, int32_t C, int use_labels, int use_probs,
		    fl_mixture_failure fk, int32_t threads, int64_t max_rows)
{
	size_t t, B, kk = (size_t)k, cc = (size_t)(C > 0 ? C : 1), d2 = (size_t)(2 * d);
	size_t nacc = kk * d2 + kk + cc * kk + kk * cc + 2 * kk;

	memset(x, 0, sizeof *x);
	x->d = d;
	x->d2 = 2 * d;
	x->k = k;
	x->C = C;
	x->use_labels = use_labels;
	x->use_probs = use_probs;
	x->fk = fk;
	x->block = fl_mixture__block(d);
	x->threads = threads > 0 ? threads : omp_get_max_threads();
	if (max_rows > 0 && x->threads > (max_rows + x->block - 1) / x->block)
		x->threads = (int32_t)((max_rows + x->block - 1) / x->block);
	x->threads = x->threads < 1 ? 1 : x->threads;
	t = (size_t)x->threads;
	B = (size_t)x->block;
	if (kk * d2 > SIZE_MAX / 8 / t / 4 || B * d2 > SIZE_MAX / 8 / t)
		return fl__error(FL_ENOMEM, "mixture: workspace size overflows (k=%d, d=%lld)",
				 k, (long long)d);
	x->w = fl__malloc(kk * d2 * sizeof(float), "mixture model");
	x->c = fl__malloc(kk * sizeof(float), "mixture model");
	x->lab = fl__calloc(cc * kk, sizeof(float), "mixture model");
	x->ph = fl__calloc(kk * cc, sizeof(float), "mixture model");
	x->fa = fl__calloc(kk, sizeof(float), "mixture model");
	x->fb = fl__calloc(kk, sizeof(float), "mixture model");
	x->fc = fl__calloc(kk, sizeof(float), "mixture model");
	x->xb = fl__malloc(t * B * d2 * sizeof(float), "mixture blocks");
	x->lj = fl__malloc(t * B * kk * sizeof(float), "mixture blocks");
	x->pb = fl__malloc(t * B * kk * sizeof(float), "mixture blocks");
	x->pr = fl__malloc(t * B * cc * sizeof(float), "mixture blocks");
	x->s12p = fl__malloc(t * kk * d2 * sizeof(float), "mixture partial sums");
	x->ap = fl__malloc(t * kk * cc * sizeof(float), "mixture partial sums");
	x->rowmax = fl__malloc(t * B * sizeof(float), "mixture blocks");
	x->groups = fl__malloc((size_t)MX_GROUPS * (kk * d2 + kk * (3 + 2 * cc) + 1) * sizeof(double),
			       "mixture partial sums");
	x->accbuf = fl__malloc(nacc * sizeof(double), "mixture sums");
	if (!x->w || !x->c || !x->lab || !x->ph || !x->fa || !x->fb || !x->fc || !x->xb ||
	    !x->lj || !x->pb || !x->pr || !x->s12p || !x->ap || !x->rowmax || !x->groups ||
	    !x->accbuf) {
		ctx_free(x);
		return FL_ENOMEM;
	}
	x->acc.s12 = x->accbuf;
	x->acc.nk = x->acc.s12 + kk * d2;
	x->acc.nc = x->acc.nk + kk;
	x->acc.a = x->acc.nc + cc * kk;
	x->acc.f1 = x->acc.a + kk * cc;
	x->acc.f2 = x->acc.f1 + kk;
	return 0;
}

/* The float working copy of a model. */
static void ctx_load_model(mx_ctx *x, const fl_mixture *m)
{
	int64_t d = x->d;

	for (int32_t s = 0; s < x->k; s++) {
		double cs = 0;

		for (int64_t j = 0; j < d; j++) {
			double mu = m->means[s * d + j], v = m->variances[s * d + j];
			x->w[s * 2 * d + j] = (float)(mu / v);
			x->w[s * 2 * d + d + j] = (float)(-0.5 / v);
			cs += mu * mu / v + log(v) + LOG_2PI;
		}
		x->c[s] = m->weights[s] > 0 ? (float)(log(m->weights[s]) - 0.5 * cs) : -INFINITY;
		for (int32_t c = 0; c < x->C && x->use_labels; c++)
			x->lab[c * x->k + s] = (float)(m->gamma * log(m->label_probs[s * x->C + c]));
		for (int32_t c = 0; c < x->C && x->use_probs; c++)
			x->ph[s * x->C + c] = (float)m->pred_probs[s * x->C + c];
		if (x->fk == FL_MIXTURE_FAILURE_BERNOULLI) {
			double q = m->fail_mean[s];
			x->fa[s] = (float)(m->gamma_f * log(q));
			x->fb[s] = (float)(m->gamma_f * log1p(-q));
		} else if (x->fk == FL_MIXTURE_FAILURE_GAUSSIAN) {
			double v = m->fail_var[s];
			x->fa[s] = (float)m->fail_mean[s];
			x->fb[s] = (float)(-0.5 * m->gamma_f / v);
			x->fc[s] = (float)(-0.5 * m->gamma_f * (log(v) + LOG_2PI));
		}
	}
	x->gh = (float)m->gamma_hat;
}

/* Rows [i0, i0 + m) of the pass as [z, z^2], into xb (m x 2d). */
static void load_block(const fl_mx_data *p, float *xb, int64_t i0, int64_t m)
{
	int64_t d = p->d;

	for (int64_t r = 0; r < m; r++) {
		int64_t row = p->rows ? p->rows[i0 + r] : i0 + r;
		float *o = xb + r * 2 * d;

		if (p->z) {
			const float *src = p->z + row * p->ldz;
			for (int64_t j = 0; j < d; j++)
				o[j] = src[j];
		} else {
			const uint16_t *src = p->h + row * p->ldh;
			for (int64_t j = 0; j < d; j++)
				o[j] = fl_mx_from_half(src[j]) * p->hscale[j];
		}
		for (int64_t j = 0; j < d; j++)
			o[d + j] = o[j] * o[j];
	}
}

/* The predicted probabilities of the block's rows: a pointer into probs when
 * the rows are contiguous, else gathered into buf. */
static const float *block_probs(const fl_mx_data *p, float *buf, int64_t i0, int64_t m)
{
	int64_t C = p->n_classes;

	if (!p->rows)
		return p->probs + i0 * C;
	for (int64_t r = 0; r < m; r++)
		memcpy(buf + r * C, p->probs + p->rows[i0 + r] * C, (size_t)C * sizeof(float));
	return buf;
}

/* E-step of a block: lj (m x k) becomes the responsibilities; returns the
 * sum over the block's rows of log sum_s exp(lj). Fills `out` rows if set. */
static double e_step(const mx_ctx *x, const fl_mx_data *p, float *xb, float *lj, float *pb,
		     const float *prb, float *rowmax, int64_t i0, int64_t m, fl_mx_out *out)
{
	int64_t k = x->k, d2 = x->d2;
	double ll = 0;

	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)k, (int)d2, 1.0f, xb,
		    (int)d2, x->w, (int)d2, 0.0f, lj, (int)k);
	if (x->use_probs) {
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)k, x->C, 1.0f,
			    prb, x->C, x->ph, x->C, 0.0f, pb, (int)k);
		for (int64_t t = 0; t < m * k; t++)
			lj[t] += x->gh * fl_mx_log(pb[t]);
	}
	for (int64_t r = 0; r < m; r++) {
		int64_t row = p->rows ? p->rows[i0 + r] : i0 + r;
		float *L = lj + r * k, mx;
		const float *lab = x->use_labels ? x->lab + p->labels[row] * k : NULL;

		for (int64_t s = 0; s < k; s++)
			L[s] += x->c[s];
		if (lab)
			for (int64_t s = 0; s < k; s++)
				L[s] += lab[s];
		if (x->fk == FL_MIXTURE_FAILURE_BERNOULLI) {
			float f = (float)p->failure[row], g = 1.0f - f;
			for (int64_t s = 0; s < k; s++)
				L[s] += f * x->fa[s] + g * x->fb[s];
		} else if (x->fk == FL_MIXTURE_FAILURE_GAUSSIAN) {
			float f = (float)p->failure[row];
			for (int64_t s = 0; s < k; s++)
				L[s] += (f - x->fa[s]) * (f - x->fa[s]) * x->fb[s] + x->fc[s];
		}
		mx = L[0];
		for (int64_t s = 1; s < k; s++)
			mx = L[s] > mx ? L[s] : mx;
		rowmax[r] = mx;
	}
	for (int64_t r = 0; r < m; r++) {
		float *L = lj + r * k, mx = rowmax[r], sum = 0, inv;
		int64_t best = 0;

		if (out && out->assign) /* ties to the lowest index */
			while (L[best] != mx)
				best++;
		for (int64_t s = 0; s < k; s++)
			L[s] = fl_mx_exp(L[s] - mx);
		for (int64_t s = 0; s < k; s++)
			sum += L[s];
		inv = 1.0f / sum;
		for (int64_t s = 0; s < k; s++)
			L[s] *= inv;
		ll += (double)mx + log((double)sum);
		if (out) {
			int64_t i = i0 + r;
			if (out->resp)
				memcpy(out->resp + i * k, L, (size_t)k * sizeof(float));
			if (out->assign) {
				float oth = 0;
				for (int64_t s = 0; s < k; s++)
					oth += s == best ? 0.0f : L[s];
				out->assign[i] = (int32_t)best;
				if (out->rmax)
					out->rmax[i] = L[best];
				/* the others' share, from their own exps: no 1 - r rounding */
				if (out->others)
					out->others[i] = oth;
				if (out->own)
					out->own[i] = mx;
			}
		}
	}
	return ll;
}

/* One pass over the rows of p. MX_EM and MX_HARD fill x->acc; every mode
 * sets x->acc.ll (0 for MX_HARD).
 *
 * Reduction order: blocks are cut into at most MX_GROUPS fixed groups of
 * consecutive blocks (by block index only); a group's sums are added in
 * block order by whichever thread takes it, then the groups in group
 * order. No thread ever waits for another inside the loop (an `ordered`
 * section would, and spin-waiting threads are costly when cores are
 * shared), and the result does not depend on the thread count. */
static void run_pass(mx_ctx *x, const fl_mx_data *p, enum mx_mode mode, const int32_t *hard,
		     fl_mx_out *out)
{
	int64_t k = x->k, d2 = x->d2, C = x->C, B = x->block;
	int64_t n_blocks = (p->n + B - 1) / B, n_groups = n_blocks < MX_GROUPS ? n_blocks : MX_GROUPS;
	size_t nap = accp_len(x), slot = (size_t)(k * d2) + nap + 1;
	double ll = 0;

	memset(x->accbuf, 0, ((size_t)(k * d2) + (size_t)k * (3 + 2 * (size_t)(C > 0 ? C : 1))) *
				     sizeof(double));
#pragma omp parallel for num_threads(x->threads) schedule(dynamic, 1)
	for (int64_t g = 0; g < n_groups; g++) {
		int t = omp_get_thread_num();
		float *xb = x->xb + (size_t)t * B * d2, *lj = x->lj + (size_t)t * B * k;
		float *pb = x->pb + (size_t)t * B * k, *pr = x->pr + (size_t)t * B * (C > 0 ? C : 1);
		float *s12p = x->s12p + (size_t)t * k * d2, *ap = x->ap + (size_t)t * k * (C > 0 ? C : 1);
		float *rowmax = x->rowmax + (size_t)t * B;
		double *gs = x->groups + (size_t)g * slot, *nkp = gs + k * d2, *ncp = nkp + k,
		       *f1p = ncp + C * k, *f2p = f1p + k, *apd = f2p + k, *llp = gs + slot - 1;

		memset(gs, 0, slot * sizeof(double));
		for (int64_t b = g * n_blocks / n_groups; b < (g + 1) * n_blocks / n_groups; b++) {
			int64_t i0 = b * B, m = p->n - i0 < B ? p->n - i0 : B;
			const float *prb = x->use_probs ? block_probs(p, pr, i0, m) : NULL;

			load_block(p, xb, i0, m);
			if (mode == MX_HARD) {
				memset(lj, 0, (size_t)(m * k) * sizeof(float));
				for (int64_t r = 0; r < m; r++)
					if (hard[i0 + r] >= 0)
						lj[r * k + hard[i0 + r]] = 1.0f;
			} else {
				*llp += e_step(x, p, xb, lj, pb, prb, rowmax, i0, m, out);
			}
			if (mode == MX_PREDICT)
				continue;
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, (int)d2, (int)m,
				    1.0f, lj, (int)k, xb, (int)d2, 0.0f, s12p, (int)d2);
			for (int64_t q = 0; q < k * d2; q++)
				gs[q] += s12p[q];
			for (int64_t r = 0; r < m; r++) {
				int64_t row = p->rows ? p->rows[i0 + r] : i0 + r;
				const float *R = lj + r * k;

				for (int64_t s = 0; s < k; s++)
					nkp[s] += R[s];
				if (x->use_labels) {
					double *nc = ncp + p->labels[row] * k;
					for (int64_t s = 0; s < k; s++)
						nc[s] += R[s];
				}
				if (x->fk != FL_MIXTURE_FAILURE_NONE) {
					double f = p->failure[row];
					for (int64_t s = 0; s < k; s++) {
						f1p[s] += R[s] * f;
						f2p[s] += R[s] * f * f;
					}
				}
			}
			if (x->use_probs) {
				/* EM: r / (yhat . phat); init: r itself (a weighted mean) */
				const float *rr = lj;
				if (mode == MX_EM) {
					for (int64_t q = 0; q < m * k; q++)
						pb[q] = lj[q] / pb[q];
					rr = pb;
				}
				cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, (int)C, (int)m,
					    1.0f, rr, (int)k, prb, (int)C, 0.0f, ap, (int)C);
				for (int64_t q = 0; q < k * C; q++)
					apd[q] += ap[q];
			}
		}
	}
	for (int64_t g = 0; g < n_groups; g++) {
		const double *gs = x->groups + (size_t)g * slot, *nkp = gs + k * d2, *ncp = nkp + k,
			     *f1p = ncp + C * k, *f2p = f1p + k, *apd = f2p + k;

		ll += gs[slot - 1];
		if (mode == MX_PREDICT)
			continue;
		for (int64_t q = 0; q < k * d2; q++)
			x->acc.s12[q] += gs[q];
		for (int64_t s = 0; s < k; s++) {
			x->acc.nk[s] += nkp[s];
			x->acc.f1[s] += f1p[s];
			x->acc.f2[s] += f2p[s];
		}
		for (int64_t q = 0; q < C * k && x->use_labels; q++)
			x->acc.nc[q] += ncp[q];
		for (int64_t q = 0; q < k * C && x->use_probs; q++)
			x->acc.a[q] += apd[q];
	}
	x->acc.ll = ll;
	if (out)
		out->objective = p->n > 0 ? ll / (double)p->n : NAN;
}

/* ---- M-step ------------------------------------------------------------ */

/* Parameters from the sums of the last pass. `hard`: the pass was MX_HARD
 * (initialisation): variances are shrunk towards the column variances by
 * one pseudo-row, so that a cluster of one row does not start as a spike,
 * and phat is the weighted mean of yhat. */
static void m_step(fl_mixture *m, const mx_ctx *x, const double *col_var, int hard)
{
	int64_t d = x->d, C = x->C;
	double total = 0;

	for (int32_t s = 0; s < x->k; s++) {
		double ns = x->acc.nk[s];

		if (!(ns >= DEAD_MASS) || (!hard && m->weights[s] <= 0)) {
			m->weights[s] = 0; /* dead: parameters stay as they are */
			continue;
		}
		m->weights[s] = ns;
		total += ns;
		for (int64_t j = 0; j < d; j++) {
			double mu = x->acc.s12[s * 2 * d + j] / ns;
			double v = x->acc.s12[s * 2 * d + d + j] / ns - mu * mu;

			if (hard)
				v = (fmax(v, 0) * ns + col_var[j]) / (ns + 1);
			m->means[s * d + j] = mu;
			m->variances[s * d + j] = v > m->floor[j] ? v : m->floor[j];
		}
		if (x->use_labels)
			for (int64_t c = 0; c < C; c++)
				m->label_probs[s * C + c] =
					(x->acc.nc[c * x->k + s] + ALPHA) / (ns + (double)C * ALPHA);
		if (x->use_probs) {
			double *ph = m->pred_probs + s * C, e[256], se = 0, *ev = e;
			if (C > 256 && !(ev = malloc((size_t)C * sizeof(double))))
				ev = NULL;
			for (int64_t c = 0; c < C; c++) {
				double v = hard ? x->acc.a[s * C + c] : ph[c] * x->acc.a[s * C + c];
				if (ev)
					ev[c] = v;
				se += v;
			}
			for (int64_t c = 0; c < C && ev; c++)
				ph[c] = (ev[c] + ALPHA) / (se + (double)C * ALPHA);
			if (ev != e)
				free(ev);
		}
		if (m->failure == FL_MIXTURE_FAILURE_BERNOULLI) {
			m->fail_mean[s] = (x->acc.f1[s] + ALPHA) / (ns + 2 * ALPHA);
		} else if (m->failure == FL_MIXTURE_FAILURE_GAUSSIAN) {
			double mf = x->acc.f1[s] / ns, vf = x->acc.f2[s] / ns - mf * mf;
			if (hard)
				vf = (fmax(vf, 0) * ns + x->fvar) / (ns + 1);
			m->fail_mean[s] = mf;
			m->fail_var[s] = vf > x->ffloor ? vf : x->ffloor;
		}
	}
	for (int32_t s = 0; s < x->k; s++)
		m->weights[s] = total > 0 ? m->weights[s] / total : 0;
}

/* The log prior, as weighted in the objective (constant for dead components,
 * which keep their parameters). */
static double log_prior(const fl_mixture *m, int64_t C)
{
	double lp = 0;

	for (int32_t s = 0; s < m->k; s++) {
		for (int64_t c = 0; c < C && m->has_labels; c++)
			lp += m->gamma * ALPHA * log(m->label_probs[s * C + c]);
		for (int64_t c = 0; c < C && m->has_probs; c++)
			lp += m->gamma_hat * ALPHA * log(m->pred_probs[s * C + c]);
		if (m->failure == FL_MIXTURE_FAILURE_BERNOULLI)
			lp += m->gamma_f * ALPHA * (log(m->fail_mean[s]) + log1p(-m->fail_mean[s]));
	}
	return lp;
}

/* ---- initialisation ---------------------------------------------------- */

typedef struct {
	int64_t count;
	int32_t cell;
	int diag;
} cell_rank;

static int cmp_cell(const void *a, const void *b)
{
	const cell_rank *x = a, *y = b;

	if (x->diag != y->diag)
		return x->diag ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return (x->cell > y->cell) - (x->cell < y->cell);
}

static int32_t argmax_row(const float *p, int32_t C)
{
	int32_t b = 0;

	for (int32_t c = 1; c < C; c++)
		if (p[c] > p[b])
			b = c;
	return b;
}

/* Component of every row under the confusion init (-1: its cell is not
 * seeded); returns the number of seeded components. */
static int32_t confusion_cells(int32_t *hard, const fl_mx_data *p, int32_t k)
{
	int32_t C = p->n_classes, nseed = 0;
	int both = p->labels && p->probs;
	int64_t ncell = both ? (int64_t)C * C : C;
	cell_rank *cr = fl__calloc((size_t)ncell, sizeof *cr, "confusion cells");
	int32_t *comp = fl__malloc((size_t)ncell * sizeof(int32_t), "confusion cells");

	if (!cr || !comp) {
		free(cr);
		free(comp);
		return -1;
	}
	for (int64_t i = 0; i < p->n; i++) {
		int32_t y = p->labels ? (int32_t)p->labels[i] : -1;
		int32_t yh = p->probs ? argmax_row(p->probs + i * C, C) : -1;
		hard[i] = both ? y * C + yh : y >= 0 ? y : yh;
		cr[hard[i]].count++;
	}
	for (int64_t c = 0; c < ncell; c++) {
		cr[c].cell = (int32_t)c;
		cr[c].diag = !both || c / C == c % C;
		comp[c] = -1;
	}
	qsort(cr, (size_t)ncell, sizeof *cr, cmp_cell);
	/* diagonal (correct) cells first, then the largest confusions */
	for (int64_t q = 0; q < ncell && nseed < k; q++)
		if (cr[q].count >= 2)
			comp[cr[q].cell] = nseed++;
	for (int64_t i = 0; i < p->n; i++)
		hard[i] = comp[hard[i]];
	free(cr);
	free(comp);
	return nseed;
}

/* Components [from, k) from single rows drawn by D^2 sampling (distance to
 * the nearest mean so far) among up to 16384 random rows; they start with
 * the column variances and the global label/prediction/failure statistics,
 * and the weight of an average component. */
static int seed_rest(fl_mixture *m, mx_ctx *x, const fl_mx_data *p, const double *col_var,
		     int32_t from, fl_rng *rng)
{
	int64_t d = p->d, C = x->C, ns = p->n < 16384 ? p->n : 16384;
	int64_t *rows = fl__malloc((size_t)ns * sizeof(int64_t), "mixture seeding");
	double *d2 = fl__malloc((size_t)ns * sizeof(double), "mixture seeding");
	float *row = fl__malloc((size_t)(2 * d) * sizeof(float), "mixture seeding");
	double gl[3] = {0, 0, 0};
	fl_mx_data one = *p;
	int rc = 0;

	if (!rows || !d2 || !row) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	fl_mixture__sample_rows(rows, ns, p->n, rng);
	one.rows = rows;
	one.n = ns;
	for (int64_t i = 0; i < ns; i++) {
		d2[i] = HUGE_VAL;
		load_block(&one, row, i, 1);
		for (int32_t s = 0; s < from; s++) {
			double t = 0;
			if (m->weights[s] <= 0)
				continue;
			for (int64_t j = 0; j < d; j++)
				t += (row[j] - m->means[s * d + j]) * (row[j] - m->means[s * d + j]);
			d2[i] = t < d2[i] ? t : d2[i];
		}
	}
	/* global statistics of the sampled rows for the new components */
	for (int32_t s = from; s < x->k; s++) {
		double tot = 0, u;
		int64_t pick = 0;

		for (int64_t i = 0; i < ns; i++)
			tot += d2[i] < HUGE_VAL ? d2[i] : 1;
		u = fl__rng_uniform(rng) * tot;
		for (int64_t i = 0; i < ns; i++) {
			u -= d2[i] < HUGE_VAL ? d2[i] : 1;
			pick = i;
			if (u < 0)
				break;
		}
		load_block(&one, row, pick, 1);
		for (int64_t j = 0; j < d; j++) {
			m->means[s * d + j] = row[j];
			m->variances[s * d + j] = col_var[j] > m->floor[j] ? col_var[j] : m->floor[j];
		}
		for (int64_t i = 0; i < ns; i++) {
			double t = 0;
			for (int64_t j = 0; j < d; j++)
				t += (row[j] - m->means[s * d + j]) * (row[j] - m->means[s * d + j]);
			d2[i] = t < d2[i] ? t : d2[i];
		}
		m->weights[s] = 1.0 / x->k;
		for (int64_t c = 0; c < C && m->has_labels; c++)
			m->label_probs[s * C + c] = 0;
		for (int64_t c = 0; c < C && m->has_probs; c++)
			m->pred_probs[s * C + c] = 0;
		gl[0] = gl[1] = gl[2] = 0;
		for (int64_t i = 0; i < ns; i++) {
			int64_t r = rows[i];
			if (m->has_labels)
				m->label_probs[s * C + p->labels[r]] += 1.0 / (double)ns;
			for (int64_t c = 0; c < C && m->has_probs; c++)
				m->pred_probs[s * C + c] += p->probs[r * C + c] / (double)ns;
			if (m->failure != FL_MIXTURE_FAILURE_NONE) {
				gl[0] += p->failure[r];
				gl[1] += p->failure[r] * p->failure[r];
			}
		}
		for (int64_t c = 0; c < C && m->has_labels; c++)
			m->label_probs[s * C + c] = (m->label_probs[s * C + c] * (double)ns + ALPHA) /
						    ((double)ns + (double)C * ALPHA);
		for (int64_t c = 0; c < C && m->has_probs; c++)
			m->pred_probs[s * C + c] = (m->pred_probs[s * C + c] * (double)ns + ALPHA) /
						   ((double)ns + (double)C * ALPHA);
		if (m->failure == FL_MIXTURE_FAILURE_BERNOULLI) {
			m->fail_mean[s] = (gl[0] + ALPHA) / ((double)ns + 2 * ALPHA);
		} else if (m->failure == FL_MIXTURE_FAILURE_GAUSSIAN) {
			m->fail_mean[s] = gl[0] / (double)ns;
			m->fail_var[s] = fmax(x->fvar, x->ffloor);
		}
	}
	/* renormalise: the seeded components keep their relative weights */
	{
		double tot = 0;
		for (int32_t s = 0; s < x->k; s++)
			tot += m->weights[s];
		for (int32_t s = 0; s < x->k; s++)
			m->weights[s] /= tot;
	}
cleanup:
	free(rows);
	free(d2);
	free(row);
	return rc;
}

/* k-means++ and 10 Lloyd iterations on up to 16384 rows of z. */
static int init_kmeans(fl_mixture *m, mx_ctx *x, const fl_mx_data *p, const double *col_var,
		       const fl_mixture_opts *o)
{
	int64_t d = p->d, ns = p->n < 16384 ? p->n : 16384;
	int64_t *rows = fl__malloc((size_t)ns * sizeof(int64_t), "mixture init");
	float *zs = fl__malloc((size_t)(ns * 2 * d) * sizeof(float), "mixture init");
	float *cen = fl__malloc((size_t)o->k * (size_t)d * sizeof(float), "mixture init");
	int32_t *assign = fl__malloc((size_t)ns * sizeof(int32_t), "mixture init");
	fl_kmeans_opts ko = FL_KMEANS_OPTS_INIT;
	fl_mx_data sub = *p;
	fl_rng rng;
	int rc = 0;

	if (!rows || !zs || !cen || !assign) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	fl__rng_seed(&rng, o->seed, 0x6d78696e6974ULL);
	fl_mixture__sample_rows(rows, ns, p->n, &rng);
	sub.rows = rows;
	sub.n = ns;
	load_block(&sub, zs, 0, ns); /* [z, z^2]: k-means reads z with ldx = 2d */
	ko.k = o->k < ns ? o->k : (int32_t)ns;
	ko.n_init = 1;
	ko.max_iter = 10;
	ko.seed = o->seed;
	/* a few milliseconds of work in many small passes: threads would spend
	 * more time waiting for each other than computing */
	ko.threads = 1;
	if ((rc = fl_kmeans_fit(cen, assign, NULL, zs, ns, d, 2 * d, &ko)) != 0)
		goto cleanup;
	run_pass(x, &sub, MX_HARD, assign, NULL);
	for (int32_t s = 0; s < o->k; s++)
		m->weights[s] = 1; /* every cluster is live */
	m_step(m, x, col_var, 1);
	if (ko.k < o->k)
		rc = seed_rest(m, x, p, col_var, ko.k, &rng);
cleanup:
	free(rows);
	free(zs);
	free(cen);
	free(assign);
	return rc;
}

static int init_confusion(fl_mixture *m, mx_ctx *x, const fl_mx_data *p, const double *col_var,
			  const fl_mixture_opts *o)
{
	int32_t *hard = fl__malloc((size_t)p->n * sizeof(int32_t), "mixture init");
	int32_t nseed;
	fl_rng rng;
	int rc = 0;

	if (!hard)
		return FL_ENOMEM;
	nseed = confusion_cells(hard, p, o->k);
	if (nseed < 0) {
		free(hard);
		return FL_ENOMEM;
	}
	run_pass(x, p, MX_HARD, hard, NULL);
	for (int32_t s = 0; s < o->k; s++)
		m->weights[s] = 1;
	m_step(m, x, col_var, 1);
	fl__rng_seed(&rng, o->seed, 0x636f6e66ULL);
	if (nseed < o->k)
		rc = seed_rest(m, x, p, col_var, nseed, &rng);
	free(hard);
	return rc;
}

/* ---- the fit ----------------------------------------------------------- */

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
	load_block(p, first, 0, 1);
	for (int64_t i = 0; i < p->n; i++) {
		load_block(p, row, i, 1);
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
} progress_state;

static void progress(progress_state *ps, int force)
{
	double t;

	if (!ps->o->progress)
		return;
	t = now_s();
	if (force || t - ps->last >= 0.25) {
		ps->o->progress(ps->o->progress_user, "mixture", ps->done, ps->o->max_iter);
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

		ctx_load_model(x, m);
		run_pass(x, p, MX_EM, NULL, out);
		cur = (x->acc.ll + log_prior(m, x->C)) / (double)p->n;
		if (trace)
			trace[it] = cur;
		*obj = cur;
		if (it > 0 && fabs(cur - prev) < o->tol) {
			*converged = 1;
			break;
		}
		if (it == o->max_iter)
			break;
		m_step(m, x, col_var, 0);
		prev = cur;
		if (ps) {
			ps->done = it + 1;
			progress(ps, 0);
		}
	}
	return it;
}

int fl_mixture__fit_from(fl_mixture *out, const fl_mx_data *data, const fl_mixture_opts *o,
			 const fl_mixture *start, fl_mx_out *final)
{
	fl_mixture m;
	mx_ctx x;
	double *col_var = NULL, varf = 0;
	int64_t *wrows = NULL, warm = o->warm_rows, d = data->d;
	int32_t C = data->n_classes;
	int rc, converged = 0;
	progress_state ps = {o, 0, 0};

	memset(out, 0, sizeof *out);
	memset(&m, 0, sizeof m);
	m.gamma = o->gamma;
	m.gamma_hat = o->gamma_hat;
	m.gamma_f = o->gamma_f;
	m.has_labels = data->labels != NULL && o->gamma > 0;
	m.has_probs = data->probs != NULL && o->gamma_hat > 0;
	if (data->failure && o->gamma_f > 0) {
		double mu = 0;
		for (int64_t i = 0; i < data->n; i++)
			mu += data->failure[i] / (double)data->n;
		for (int64_t i = 0; i < data->n; i++)
			varf += (data->failure[i] - mu) * (data->failure[i] - mu) / (double)data->n;
		m.failure = fl_failure_is_binary(data->failure, data->n) ? FL_MIXTURE_FAILURE_BERNOULLI
			    : varf > 0 ? FL_MIXTURE_FAILURE_GAUSSIAN : FL_MIXTURE_FAILURE_NONE;
	}
	if (!m.has_labels && !m.has_probs)
		C = 0;
	if ((rc = alloc_model(&m, o->k, d, C)) != 0)
		goto cleanup;
	if ((rc = ctx_init(&x, d, o->k, C, m.has_labels, m.has_probs, m.failure, o->threads,
			   data->n)) != 0)
		goto cleanup;
	x.fvar = varf;
	x.ffloor = fmax(o->reg * varf, 1e-12 * varf);
	fl_mixture__blas_enter();
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
		if (m.failure == FL_MIXTURE_FAILURE_GAUSSIAN)
			memcpy(m.fail_var, start->fail_var, (size_t)o->k * sizeof(double));
	} else if (o->init == FL_MIXTURE_INIT_CONFUSION && (data->labels || data->probs) &&
		   data->n_classes >= 1) {
		m.init = FL_MIXTURE_INIT_CONFUSION;
		rc = init_confusion(&m, &x, data, col_var, o);
	} else {
		m.init = FL_MIXTURE_INIT_KMEANS;
		rc = init_kmeans(&m, &x, data, col_var, o);
	}
	if (rc)
		goto leave;

	if (warm == 0)
		warm = data->n >= 65536 ? (data->n / 4 < 32768 ? data->n / 4 : 32768) : -1;
	if (warm > 0 && warm < data->n && o->max_iter > 0) {
		fl_mx_data sub = *data;
		fl_rng rng;
		double obj;
		if (!(wrows = fl__malloc((size_t)warm * sizeof(int64_t), "mixture warm-up rows"))) {
			rc = FL_ENOMEM;
			goto leave;
		}
		fl__rng_seed(&rng, o->seed, 0x7761726dULL);
		fl_mixture__sample_rows(wrows, warm, data->n, &rng);
		sub.rows = wrows;
		sub.n = warm;
		m.n_iter_warm = em_stage(&m, &x, &sub, col_var, o, NULL, &converged, &obj, NULL, NULL);
	}
	if (!(m.trace = fl__malloc(((size_t)o->max_iter + 1) * sizeof(double), "mixture trace"))) {
		rc = FL_ENOMEM;
		goto leave;
	}
	m.n_iter = em_stage(&m, &x, data, col_var, o, m.trace, &m.converged, &m.objective, final,
			    &ps);
	progress(&ps, 1);
leave:
	fl_mixture__blas_leave();
	ctx_free(&x);
cleanup:
	free(col_var);
	free(wrows);
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
	int rc = ctx_init(&x, m->d, m->k, m->n_classes, use_labels, use_probs, fk, threads,
			  data->n);

	if (rc)
		return rc;
	fl_mixture__blas_enter();
	ctx_load_model(&x, m);
	run_pass(&x, data, MX_PREDICT, NULL, out);
	fl_mixture__blas_leave();
	ctx_free(&x);
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
		return fl__error(FL_EINVAL, "fl_mixture_fit: invalid options (version=%d, k=%d, n=%lld, "
				 "gamma=%g, gamma_hat=%g, gamma_f=%g, reg=%g, tol=%g, max_iter=%d, "
				 "init=%d, warm_rows=%lld, threads=%d)",
				 o->version, o->k, (long long)n, o->gamma, o->gamma_hat, o->gamma_f,
				 o->reg, o->tol, o->max_iter, (int)o->init, (long long)o->warm_rows,
				 o->threads);
	return 0;
}

static int check_side(const char *fn, int64_t n, const int64_t *labels, const float *probs,
		      int32_t C, const double *failure)
{
	int rc;

	if ((labels || probs) && C < 2)
		return fl__error(FL_EINVAL, "%s: n_classes=%d, need at least 2", fn, C);
	if (labels && (rc = fl_check_labels(labels, n, C, "labels")) != 0)
		return fl__error(FL_EINVAL, "%s: %s", fn, fl_last_error());
	if (probs && (rc = fl_check_probs(probs, n, C, "probs")) != 0)
		return fl__error(FL_EINVAL, "%s: %s", fn, fl_last_error());
	if (failure && (rc = fl_check_finite_f64(failure, n, "failure")) != 0)
		return fl__error(FL_EINVAL, "%s: %s", fn, fl_last_error());
	return 0;
}

int fl_mixture_fit(fl_mixture *out, const float *z, int64_t n, int64_t d, int64_t ldz,
		   const int64_t *labels, const float *probs, int32_t n_classes,
		   const double *failure, const fl_mixture_opts *opts)
{
	static const fl_mixture_opts defaults = FL_MIXTURE_OPTS_INIT;
	const fl_mixture_opts *o = opts ? opts : &defaults;
	fl_mx_data data = {n, d, z, ldz, NULL, 0, NULL, NULL, labels, probs, n_classes, failure, NULL};
	int rc;

	if (!out)
		return fl__error(FL_EINVAL, "fl_mixture_fit: out is NULL");
	memset(out, 0, sizeof *out);
	if (!z || n < 1 || d < 1 || ldz < d || d > INT32_MAX / 2)
		return fl__error(FL_EINVAL, "fl_mixture_fit: invalid data (z=%p, n=%lld, d=%lld, ldz=%lld)",
				 (const void *)z, (long long)n, (long long)d, (long long)ldz);
	if ((rc = check_opts(o, n)) != 0 ||
	    (rc = check_side("fl_mixture_fit", n, labels, probs, n_classes, failure)) != 0)
		return rc;
	if ((rc = fl_check_finite_f32(z, n, d, ldz, "z")) != 0)
		return fl__error(FL_EINVAL, "fl_mixture_fit: %s", fl_last_error());
	if (!labels && !probs)
		data.n_classes = 0;
	return fl_mixture__fit(out, &data, o);
}

int fl_mixture_predict(float *resp, int32_t *assign, double *objective, const fl_mixture *m,
		       const float *z, int64_t n, int64_t ldz, const int64_t *labels,
		       const float *probs, const double *failure, int32_t threads)
{
	fl_mx_out out = {resp, assign, NULL, NULL, NULL, 0};
	fl_mx_data data;
	int rc;

	if (!m || !m->weights || !z || n < 0 || ldz < m->d || threads < 0)
		return fl__error(FL_EINVAL, "fl_mixture_predict: invalid arguments (n=%lld, ldz=%lld, "
				 "threads=%d)", (long long)n, (long long)ldz, threads);
	labels = m->has_labels ? labels : NULL;
	probs = m->has_probs ? probs : NULL;
	failure = m->failure != FL_MIXTURE_FAILURE_NONE ? failure : NULL;
	if ((rc = check_side("fl_mixture_predict", n, labels, probs, m->n_classes, failure)) != 0)
		return rc;
	if (failure && m->failure == FL_MIXTURE_FAILURE_BERNOULLI &&
	    !fl_failure_is_binary(failure, n))
		return fl__error(FL_EINVAL, "fl_mixture_predict: the model's failure term is a "
				 "Bernoulli, but the failure signal is not binary");
	if (n == 0) {
		if (objective)
			*objective = NAN;
		return 0;
	}
	data = (fl_mx_data){n, m->d, z, ldz, NULL, 0, NULL, NULL, labels, probs, m->n_classes,
			    failure, NULL};
	rc = fl_mixture__predict(&out, m, &data, threads);
	if (!rc && objective)
		*objective = out.objective;
	return rc;
}
