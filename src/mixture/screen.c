/*
 * The embedding-only assignment of rows held as 8-bit codes, with a proof
 * per row that it is the assignment of the exact projection: a mixture
 * spec selects the rows whose float projection z has its highest
 * log-density in the spec's component (fl_mixture__predict on z), and the
 * codes v of a reduced view are that z rounded to within half a step per
 * value. Applied to the rows a view was reduced on, the spec need only
 * project (512 x 128 products a row at 200k x 512) the rows where the
 * codes leave the answer open.
 *
 * The bound. A component's log-density is L_s(x) = c_s + sum_j a_sj x_j +
 * b_sj x_j^2 (a = mu/var, b = -1/(2 var), the float coefficients of the
 * pass, em.c). With |z_j - v_j| <= delta_j,
 *   |L_s(z) - L_s(v)| <= sum_j (|a_sj + 2 b_sj v_j| + |b_sj| delta_j) delta_j
 *                     <= sum_j (|a_sj| + 2 |b_sj| |v_j| + |b_sj| delta_j) delta_j = Q_s,
 * whose row-dependent part sum_j |b_sj| |v_j| delta_j is one product of the
 * rows' |v| delta with |b| (an sgemm like the E-step's). Each side is
 * computed in float: a dot of 2d products, the squares and the constant,
 * within eps S of its value, eps = (2d + 8) 2^-24, S = |c_s| + sum_j
 * |a_sj x_j| + |b_sj| x_j^2 <= |c_s| + |a_s|_2 |x|_2 + max_j |b_sj| |x|_2^2;
 * for z, |x|_2 <= |v|_2 + |delta|_2. A row is decided when its highest
 * component s wins by more than the sum of both bounds against every other
 * live component t: L_s(v) - E_s > L_t(v) + E_t. Then the exact float
 * L_s(z) exceeds every L_t(z), and the pass's argmax (ties to the lowest
 * index) picks s. About 85% of the rows of the 200k x 512 benchmark are
 * decided; the others are projected.
 */
#include "em.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>

/* The largest |z - v| of a code of step `step` above `lo` (encode_group in
 * pca.c): half a step, with room for the float rounding of the encoding
 * (relative 2^-12 of a step) and of the decoding lo + step code (2^-21 of
 * the group's magnitude). */
static double code_error(float lo, float step)
{
	return (double)step * (0.5 + 0x1p-12) + 0x1p-21 * (fabs((double)lo) + 255.0 * (double)step);
}

int fl_mixture__assign_codes(int32_t *assign, uint8_t *sure, const fl_mixture *m,
			     const fl_mx_codes *codes, int64_t n, int32_t threads)
{
	mx_ctx x;
	int64_t d = m->d, k = m->k, B, n_blocks;
	size_t kd = (size_t)(k * d);
	float *absb = NULL, *pv = NULL, *tq = NULL;
	double *na = NULL, *nb = NULL, *per = NULL;
	double eps = (double)(2 * d + 8) * 0x1p-24;
	fl_mx_data data = {n, d, NULL, 0, codes, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL};
	int rc;

	if (m->has_labels || m->has_probs || m->failure != FL_MIXTURE_FAILURE_NONE ||
	    codes->r != d || codes->n < n)
		return fl__error(FL_EINVAL, "mixture: the screened assignment takes an "
				 "embedding-only model of the codes' dimension");
	if ((rc = fl_mixture__ctx_init(&x, d, m->k, 0, 0, 0, FL_MIXTURE_FAILURE_NONE, threads, n)))
		return rc;
	B = x.block;
	n_blocks = (n + B - 1) / B;
	absb = fl__malloc(kd * sizeof *absb, "screened assignment");
	na = fl__malloc((size_t)k * sizeof *na, "screened assignment");
	nb = fl__malloc((size_t)k * sizeof *nb, "screened assignment");
	pv = fl__malloc((size_t)x.threads * (size_t)(B * d) * sizeof *pv, "screened assignment");
	tq = fl__malloc((size_t)x.threads * (size_t)(B * k) * sizeof *tq, "screened assignment");
	/* per thread: each component's group terms sum |a| delta, sum |b| delta^2 */
	per = fl__malloc((size_t)x.threads * (size_t)(2 * k) * sizeof *per, "screened assignment");
	if (!absb || !na || !nb || !pv || !tq || !per) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	fl_mixture__ctx_load(&x, m);
	for (int64_t s = 0; s < k; s++) {
		const float *a = x.w + s * 2 * d, *b = a + d;

		na[s] = nb[s] = 0;
		for (int64_t j = 0; j < d; j++) {
			absb[s * d + j] = fabsf(b[j]);
			na[s] += (double)a[j] * a[j];
			nb[s] = fabs((double)b[j]) > nb[s] ? fabs((double)b[j]) : nb[s];
		}
		na[s] = sqrt(na[s]);
	}
	fl__blas_single_enter();
#pragma omp parallel for num_threads(x.threads) schedule(dynamic, 1)
	for (int64_t blk = 0; blk < n_blocks; blk++) {
		int t = omp_get_thread_num();
		int64_t i0 = blk * B, mb = n - i0 < B ? n - i0 : B, g = -1;
		float *xb = x.xb + (size_t)t * (size_t)(B * 2 * d), *lj = x.lj + (size_t)t * (size_t)(B * k);
		float *p = pv + (size_t)t * (size_t)(B * d), *tb = tq + (size_t)t * (size_t)(B * k);
		double *ga = per + (size_t)t * (size_t)(2 * k), *gb = ga + k;

		fl_mixture__load_rows(&data, xb, i0, mb);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)mb, (int)k, (int)(2 * d), 1.0f,
			    xb, (int)(2 * d), x.w, (int)(2 * d), 0.0f, lj, (int)k);
		for (int64_t r = 0; r < mb; r++) {
			const float *lo = codes->lo + (i0 + r) / FL_MX_QROWS * d;
			const float *st = codes->step + (i0 + r) / FL_MX_QROWS * d;

			for (int64_t j = 0; j < d; j++)
				p[r * d + j] = fabsf(xb[r * 2 * d + j]) * (float)code_error(lo[j], st[j]);
		}
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)mb, (int)k, (int)d, 1.0f, p,
			    (int)d, absb, (int)d, 0.0f, tb, (int)k);
		for (int64_t r = 0; r < mb; r++) {
			int64_t i = i0 + r, best = -1;
			const float *v = xb + r * 2 * d, *lo = codes->lo + i / FL_MX_QROWS * d;
			const float *st = codes->step + i / FL_MX_QROWS * d;
			double vn = 0, dn = 0, xn, e_best, l_best = -INFINITY;
			int ok = 1;

			if (i / FL_MX_QROWS != g) { /* a new group: its per-component terms */
				g = i / FL_MX_QROWS;
				for (int64_t s = 0; s < k; s++) {
					const float *a = x.w + s * 2 * d, *b = a + d;

					ga[s] = gb[s] = 0;
					for (int64_t j = 0; j < d; j++) {
						double e = code_error(lo[j], st[j]);

						ga[s] += fabs((double)a[j]) * e;
						gb[s] += fabs((double)b[j]) * e * e;
					}
				}
			}
			for (int64_t j = 0; j < d; j++) {
				double e = code_error(lo[j], st[j]);

				vn += (double)v[j] * v[j];
				dn += e * e;
			}
			xn = sqrt(vn) + sqrt(dn); /* a bound on |v|_2 and on |z|_2 */
			for (int64_t s = 0; s < k; s++) {
				double l = (double)(lj[r * k + s] + x.c[s]);

				if (x.c[s] == -INFINITY) /* dead: -inf for every row */
					continue;
				if (best < 0 || l > l_best) {
					best = s;
					l_best = l;
				}
			}
			/* E_s: the codes' error Q_s (1e-3 for the float sums that bound it)
			 * plus both evaluations' rounding */
#define BOUND(s) ((ga[s] + 2.0 * (double)tb[r * k + (s)] + gb[s]) * (1.0 + 1e-3) + \
		  2.0 * eps * (fabs((double)x.c[s]) + na[s] * xn + nb[s] * xn * xn) + 1e-30)
			if (best < 0) {
				assign[i] = 0;
				sure[i] = 0;
				continue;
			}
			e_best = BOUND(best);
			for (int64_t s = 0; s < k && ok; s++) {
				double l = (double)(lj[r * k + s] + x.c[s]);

				if (s == best || x.c[s] == -INFINITY)
					continue;
				ok = l_best - e_best > l + BOUND(s);
			}
#undef BOUND
			assign[i] = (int32_t)best;
			sure[i] = (uint8_t)(ok && isfinite(l_best) && isfinite(e_best));
		}
	}
	fl__blas_single_leave();
cleanup:
	fl_mixture__ctx_free(&x);
	free(absb);
	free(na);
	free(nb);
	free(pv);
	free(tq);
	free(per);
	return rc;
}
