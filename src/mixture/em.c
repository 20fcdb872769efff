/*
 * EM passes of the error-aware mixture (the model and its objective are in
 * mixture.c): one pass over the rows computes the E-step and the sufficient
 * statistics of the M-step; the M-step turns them into parameters.
 *
 * Kernels: a block of rows is loaded as [z, z^2] (B x 2d); the E-step is one
 * float32 sgemm with the stacked [mu/var, -1/(2 var)] (k x 2d): the products
 * X M^T, X^2 V^T of the issue. The M-step's R^T [z, z^2] (R^T X, R^T X^2)
 * adds each row into the sums of the components whose responsibility is
 * not exactly 0 (the others add 0): components are far apart in 128
 * dimensions and exp underflows, about 2 of 25 a row (a dense sgemm did
 * 25). Each block's sums are float, as the sgemm's were, and are added in
 * double. Cancellation in that expansion costs about
 * eps * sum_d mu_sd^2 / var_sd nats; z is centred (PCA), which keeps it
 * small. Responsibilities: log-sum-exp shifted by the row maximum, with a
 * vectorisable exp (mixture_internal.h). The prediction term is one more
 * small sgemm (B x C by C x k) and a log per entry.
 *
 * M-step (each update maximises, or for phat increases, the EM lower bound
 * of the objective, so the objective never decreases):
 *  - pi, mu: the weighted moments; var: the weighted variance floored at
 *    reg Var(z_d) (the maximiser over var >= floor; adding reg instead, as
 *    scikit-learn does, is not a maximiser);
 *  - p_s: (label counts + alpha) / (n_s + C alpha);
 *  - phat_s: log(yhat . phat) is the log of a mixture over classes, so its
 *    update is that of mixture weights, phat_sc <- (phat_sc A_sc + alpha) /
 *    (...), A_sc = sum_i r_is yhat_ic / (yhat_i . phat_s). Domino's weighted
 *    mean of yhat maximises only for one-hot yhat.
 *
 * Threads and determinism: blocks of fixed size (depending on d only) are
 * cut into at most MX_GROUPS fixed groups; OpenMP threads take whole groups,
 * sum a group's blocks in block order, and the groups are summed in group
 * order, in double: results are bit-identical for any thread count, and no
 * thread waits on another inside the loop.
 *
 * Ranks: every rank holds every row of a pass (the codes, the labels, the
 * probabilities), and a group's sums are the same whichever rank makes
 * them, so the groups are cut among the ranks by their speed in the passes
 * before (fl__comm_cut), not in equal shares: on a machine whose cores
 * run at different speeds (a shared host's neighbours), the fast rank
 * takes more groups instead of waiting at every pass's exchange.
 */
#include "em.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <omp.h>

#define LOG_2PI 1.8378770664093453
/* Sums of a pass are reduced over at most this many fixed groups of blocks. */
#define MX_GROUPS 32
#ifndef FL_MX_BLOCK_BYTES
#define FL_MX_BLOCK_BYTES 1048576
#endif

int64_t fl_mixture__block(int64_t d)
{
	/* about 2 MiB of [z, z^2] per block: sgemm with k ~ 25 runs near its
	 * peak from ~2048 rows (measured), and the block stays in L2/L3 */
	int64_t b = FL_MX_BLOCK_BYTES / (8 * d);

	return b < 64 ? 64 : b > 2048 ? 2048 : b;
}

/* ---- one pass over the rows -------------------------------------------- */

void fl_mixture__ctx_free(mx_ctx *x)
{
	free(x->w);
	free(x->wt);
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
	free(x->used);
	free(x->ap);
	free(x->rowmax);
	free(x->groups);
	free(x->accbuf);
	free(x->cut);
}

/* per-group sums besides s12 and ll: nk, nc, f1, f2, a */
static size_t accp_len(const mx_ctx *x)
{
	return (size_t)x->k * (size_t)(3 + 2 * x->C);
}

int fl_mixture__ctx_init(mx_ctx *x, int64_t d, int32_t k, int32_t C, int use_labels, int use_probs,
		    fl_mixture_failure fk, int32_t threads, int64_t max_rows)
{
	size_t t, B, kk = (size_t)k, cc = (size_t)(C > 0 ? C : 1), d2 = (size_t)(2 * d);
	size_t P = (size_t)fl__comm_ranks();
	size_t nacc = kk * d2 + kk + cc * kk + kk * cc + 2 * kk + cc; /* sums, M-step scratch */

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
	x->used = fl__malloc(t * kk, "mixture partial sums");
	x->ap = fl__malloc(t * kk * cc * sizeof(float), "mixture partial sums");
	x->rowmax = fl__malloc(t * B * sizeof(float), "mixture blocks");
	x->groups = fl__malloc(((size_t)MX_GROUPS * (kk * d2 + kk * (3 + 2 * cc) + 1) + P) *
			       sizeof(double), "mixture partial sums");
	x->accbuf = fl__malloc(nacc * sizeof(double), "mixture sums");
	x->cut = fl__malloc((P + 1) * sizeof(int64_t), "mixture ranks");
	if (!x->w || !x->c || !x->lab || !x->ph || !x->fa || !x->fb || !x->fc || !x->xb ||
	    !x->lj || !x->pb || !x->pr || !x->s12p || !x->used || !x->ap || !x->rowmax || !x->groups ||
	    !x->accbuf || !x->cut) {
		fl_mixture__ctx_free(x);
		return FL_ENOMEM;
	}
	x->acc.s12 = x->accbuf;
	x->acc.nk = x->acc.s12 + kk * d2;
	x->acc.nc = x->acc.nk + kk;
	x->acc.a = x->acc.nc + cc * kk;
	x->acc.f1 = x->acc.a + kk * cc;
	x->acc.f2 = x->acc.f1 + kk;
	x->ev = x->acc.f2 + kk;
	return 0;
}

/* The float working copy of a model. */
void fl_mixture__ctx_load(mx_ctx *x, const fl_mixture *m)
{
	int64_t d = x->d;

	for (int32_t s = 0; s < x->k; s++) {
		double cs = 0;

		if (!(m->weights[s] > 0)) {
			/* dead: inert finite coefficients, and log pi = -inf, so that its
			 * responsibility is exactly 0 and nothing NaN reaches a row */
			for (int64_t j = 0; j < 2 * d; j++)
				x->w[s * 2 * d + j] = 0;
			x->c[s] = -INFINITY;
			for (int32_t c = 0; c < x->C; c++) {
				x->lab[c * x->k + s] = 0;
				x->ph[s * x->C + c] = 1.0f / (float)x->C;
			}
			x->fa[s] = x->fb[s] = x->fc[s] = 0;
			continue;
		}
		for (int64_t j = 0; j < d; j++) {
			double mu = m->means[s * d + j], v = m->variances[s * d + j];
			x->w[s * 2 * d + j] = (float)(mu / v);
			x->w[s * 2 * d + d + j] = (float)(-0.5 / v);
			cs += mu * mu / v + log(v) + LOG_2PI;
		}
		x->c[s] = (float)(log(m->weights[s]) - 0.5 * cs);
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

void fl_mixture__load_rows(const fl_mx_data *p, float *xb, int64_t i0, int64_t m)
{
	int64_t d = p->d;

	for (int64_t r = 0; r < m; r++) {
		int64_t row = p->rows ? p->rows[i0 + r] : i0 + r;
		float *o = xb + r * 2 * d;

		if (p->z) {
			const float *src = p->z + row * p->ldz;
#pragma omp simd
			for (int64_t j = 0; j < d; j++) {
				o[j] = src[j];
				o[d + j] = src[j] * src[j];
			}
		} else {
			const fl_mx_codes *c = p->codes;
			int64_t zr = p->zrows ? p->zrows[row] : row;
			const uint8_t *src = c->code + zr * d;
			const float *lo = c->lo + zr / FL_MX_QROWS * d;
			const float *st = c->step + zr / FL_MX_QROWS * d;
#pragma omp simd
			for (int64_t j = 0; j < d; j++) {
				float v = lo[j] + st[j] * (float)src[j];
				o[j] = v;
				o[d + j] = v * v;
			}
		}
	}
}

/* The predicted probabilities of the block's rows: a pointer into probs when
 * they are contiguous there, else gathered into buf. */
static const float *block_probs(const fl_mx_data *p, float *buf, int64_t i0, int64_t m)
{
	int64_t C = p->n_classes;

	if (!p->rows && !p->prows)
		return p->probs + i0 * C;
	for (int64_t r = 0; r < m; r++)
		memcpy(buf + r * C, fl_mx_probs_row(p, p->rows ? p->rows[i0 + r] : i0 + r),
		       (size_t)C * sizeof(float));
	return buf;
}

/* E-step of a block: lj (m x k) becomes the responsibilities; returns the
 * sum over the block's rows of log sum_s exp(lj). Fills `out` rows if set. */
static double e_step(const mx_ctx *x, const fl_mx_data *p, float *xb, float *lj, float *pb,
		     const float *prb, float *rowmax, int64_t i0, int64_t m, fl_mx_out *out)
{
	int64_t k = x->k, d2 = x->d2;
	double ll = 0;

	if (x->wt)
		fl__rows_times(lj, k, xb, m, d2, x->wt, k);
	else
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)k, (int)d2, 1.0f,
			    xb, (int)d2, x->w, (int)d2, 0.0f, lj, (int)k);
	if (x->use_probs) {
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)k, x->C, 1.0f,
			    prb, x->C, x->ph, x->C, 0.0f, pb, (int)k);
#pragma omp simd
		for (int64_t t = 0; t < m * k; t++)
			lj[t] += x->gh * fl_mx_log(pb[t]);
	}
	for (int64_t r = 0; r < m; r++) {
		int64_t row = p->rows ? p->rows[i0 + r] : i0 + r;
		float *L = lj + r * k, mx;
		const float *lab = x->use_labels ? x->lab + p->labels[row] * k : NULL;

#pragma omp simd
		for (int64_t s = 0; s < k; s++)
			L[s] += x->c[s];
		if (lab)
#pragma omp simd
			for (int64_t s = 0; s < k; s++)
				L[s] += lab[s];
		if (x->fk == FL_MIXTURE_FAILURE_BERNOULLI) {
			float f = (float)p->failure[row], g = 1.0f - f;
#pragma omp simd
			for (int64_t s = 0; s < k; s++)
				L[s] += f * x->fa[s] + g * x->fb[s];
		} else if (x->fk == FL_MIXTURE_FAILURE_GAUSSIAN) {
			float f = (float)p->failure[row];
#pragma omp simd
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

		float second = -INFINITY;

		if (out && out->assign) { /* ties to the lowest index; a NaN row stays in bounds */
			while (best < k - 1 && L[best] != mx)
				best++;
			for (int64_t s = 0; s < k; s++)
				second = s != best && L[s] > second ? L[s] : second;
		}
#pragma omp simd reduction(+ : sum)
		for (int64_t s = 0; s < k; s++) {
			L[s] = fl_mx_exp(L[s] - mx);
			sum += L[s];
		}
		inv = 1.0f / sum;
#pragma omp simd
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
				/* the others' share, from their own exps (no 1 - r rounding);
				 * once it underflows, minus the log-odds against the
				 * runner-up, which keeps ordering the most certain rows */
				if (out->key)
					out->key[i] = oth > 0 ? oth
						    : second > -INFINITY ? -(mx - second) : -FLT_MAX;
			}
		}
	}
	return ll;
}

/* The block's R^T [z, z^2] (lj: m x k, xb: m x 2d) into the rows s of
 * s12p (k x 2d) with used[s] set: the components some row has a nonzero
 * responsibility for, each row added in row order. */
static void m_sums(float *s12p, uint8_t *used, const float *lj, const float *xb, int64_t m,
		   int64_t k, int64_t d2)
{
	memset(used, 0, (size_t)k);
	for (int64_t r = 0; r < m; r++) {
		const float *xr = xb + r * d2;

		for (int64_t s = 0; s < k; s++) {
			float w = lj[r * k + s], *acc = s12p + s * d2;

			if (w == 0.0f)
				continue;
			if (!used[s]) {
				used[s] = 1;
#pragma omp simd
				for (int64_t j = 0; j < d2; j++)
					acc[j] = w * xr[j];
			} else {
#pragma omp simd
				for (int64_t j = 0; j < d2; j++)
					acc[j] += w * xr[j];
			}
		}
	}
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
void fl_mixture__pass(mx_ctx *x, const fl_mx_data *p, enum mx_mode mode, const int32_t *hard,
		     fl_mx_out *out)
{
	int64_t k = x->k, d2 = x->d2, C = x->C, B = x->block;
	int64_t n_blocks = (p->n + B - 1) / B, n_groups = n_blocks < MX_GROUPS ? n_blocks : MX_GROUPS;
	size_t nap = accp_len(x), slot = (size_t)(k * d2) + nap + 1;
	int64_t g0 = 0, g1 = n_groups, ranks = fl__comm_ranks(), me = fl__comm_rank();
	double ll = 0, t0;

	memset(x->accbuf, 0, ((size_t)(k * d2) + (size_t)k * (3 + 2 * (size_t)(C > 0 ? C : 1))) *
				     sizeof(double));
	/* with several ranks this one sums its groups, cut by the ranks' speeds
	 * in the passes before; the others' and their seconds stay 0 */
	if (ranks > 1) {
		fl__comm_cut(n_groups, x->cut);
		g0 = x->cut[me];
		g1 = x->cut[me + 1];
		memset(x->groups, 0, ((size_t)n_groups * slot + (size_t)ranks) * sizeof(double));
	}
	t0 = fl__now();
#pragma omp parallel for num_threads(x->threads) schedule(dynamic, 1)
	for (int64_t g = g0; g < g1; g++) {
		int t = omp_get_thread_num();
		float *xb = x->xb + (size_t)t * B * d2, *lj = x->lj + (size_t)t * B * k;
		float *pb = x->pb + (size_t)t * B * k, *pr = x->pr + (size_t)t * B * (C > 0 ? C : 1);
		float *s12p = x->s12p + (size_t)t * k * d2, *ap = x->ap + (size_t)t * k * (C > 0 ? C : 1);
		float *rowmax = x->rowmax + (size_t)t * B;
		uint8_t *used = x->used + (size_t)t * k;
		double *gs = x->groups + (size_t)g * slot, *nkp = gs + k * d2, *ncp = nkp + k,
		       *f1p = ncp + C * k, *f2p = f1p + k, *apd = f2p + k, *llp = gs + slot - 1;

		memset(gs, 0, slot * sizeof(double));
		for (int64_t b = g * n_blocks / n_groups; b < (g + 1) * n_blocks / n_groups; b++) {
			int64_t i0 = b * B, m = p->n - i0 < B ? p->n - i0 : B;
			const float *prb = x->use_probs ? block_probs(p, pr, i0, m) : NULL;

			fl_mixture__load_rows(p, xb, i0, m);
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
			m_sums(s12p, used, lj, xb, m, k, d2);
			for (int64_t s = 0; s < k; s++)
				if (used[s])
#pragma omp simd
					for (int64_t q = s * d2; q < (s + 1) * d2; q++)
						gs[q] += s12p[q];
			/* the other sums, from the nonzero responsibilities too: a
			 * zero adds +0, which leaves a double sum as it was */
			for (int64_t r = 0; r < m; r++) {
				int64_t row = p->rows ? p->rows[i0 + r] : i0 + r;
				const float *R = lj + r * k;
				double *nc = x->use_labels ? ncp + p->labels[row] * k : NULL;
				double f = x->fk != FL_MIXTURE_FAILURE_NONE ? p->failure[row] : 0;

				for (int64_t s = 0; s < k; s++) {
					if (R[s] == 0.0f)
						continue;
					nkp[s] += R[s];
					if (nc)
						nc[s] += R[s];
					if (x->fk != FL_MIXTURE_FAILURE_NONE) {
						f1p[s] += R[s] * f;
						f2p[s] += R[s] * f * f;
					}
				}
			}
			if (x->use_probs) {
				/* EM: r / (yhat . phat); init: r itself (a weighted mean) */
				const float *rr = lj;
				if (mode == MX_EM) {
#pragma omp simd
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
	if (ranks > 1) {
		double *secs = x->groups + (size_t)n_groups * slot;

		secs[me] = fl__now() - t0;
		fl__comm_sum_f64(x->groups, n_groups * (int64_t)slot + ranks);
		fl__comm_timed(x->cut, secs);
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

void fl_mixture__gather_out(const mx_ctx *x, const fl_mx_data *p, fl_mx_out *out)
{
	int64_t B = x->block, n_blocks = (p->n + B - 1) / B;
	int64_t n_groups = n_blocks < MX_GROUPS ? n_blocks : MX_GROUPS;

	/* the rows of each rank's groups in the last pass (its cut) */
	if (!out || fl__comm_ranks() < 2 || p->n == 0)
		return;
	if (out->resp)
		fl__comm_gather_rows(out->resp, (size_t)x->k * sizeof(float), p->n, B, n_blocks,
				     n_groups, x->cut);
	if (out->assign)
		fl__comm_gather_rows(out->assign, sizeof(int32_t), p->n, B, n_blocks, n_groups, x->cut);
	if (out->assign && out->rmax)
		fl__comm_gather_rows(out->rmax, sizeof(float), p->n, B, n_blocks, n_groups, x->cut);
	if (out->assign && out->key)
		fl__comm_gather_rows(out->key, sizeof(float), p->n, B, n_blocks, n_groups, x->cut);
}

/* ---- M-step ------------------------------------------------------------ */

/* Parameters from the sums of the last pass. `hard`: the pass was MX_HARD
 * (initialisation): variances are shrunk towards the column variances by
 * one pseudo-row, so that a cluster of one row does not start as a spike,
 * and phat is the weighted mean of yhat. */
void fl_mixture__m_step(fl_mixture *m, const mx_ctx *x, const double *col_var, int hard)
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
			double *ph = m->pred_probs + s * C, se = 0, *ev = x->ev;
			for (int64_t c = 0; c < C; c++) {
				double v = hard ? x->acc.a[s * C + c] : ph[c] * x->acc.a[s * C + c];
				ev[c] = v;
				se += v;
			}
			for (int64_t c = 0; c < C; c++)
				ph[c] = (ev[c] + ALPHA) / (se + (double)C * ALPHA);
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
double fl_mixture__log_prior(const fl_mixture *m, int64_t C)
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

