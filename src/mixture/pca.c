/*
 * PCA: the mean of the rows and the r directions of largest variance, i.e.
 * the top eigenvectors of the covariance (1/(m-1)) sum_i (x_i - mu)(x_i - mu)^T
 * over the m rows used (all rows, or a seeded random subset: the leading
 * subspace of a d-dimensional covariance is pinned by far fewer rows than
 * a large evaluation set has).
 *
 * Two solvers, both on float32 products of row blocks summed in double in
 * block order (deterministic for any thread count, like src/cluster):
 *  - EXACT: the d x d covariance with ssyrk, then LAPACK dsyevr for its top
 *    r eigenpairs. Cost m d^2 / 2 multiply-adds.
 *  - RANDOMIZED: randomized subspace iteration (Halko, Martinsson & Tropp,
 *    "Finding structure with randomness", SIAM Review 2011, algorithm 4.4):
 *    Y = A Omega with a Gaussian d x l test matrix (l = r + oversample),
 *    q rounds of Q = qr(Y), Q' = qr(A^T Q), Y = A Q', then G = A^T qr(Y)
 *    (d x l, the transpose of B = Q^T A) and the exact eigenvectors of the
 *    small G^T G = B B^T. Cost (2 + 2q) m d l multiply-adds.
 *    AUTO picks the cheaper: EXACT when d <= 4 (1 + q) l.
 * Directions whose variance is at most rank_tol times the largest are
 * dropped (dead ReLU units give exactly constant columns).
 */
#include "mixture_internal.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <omp.h>

#define PCA_GROUPS 32 /* fixed groups of blocks summed apart (n_groups) */

/* automatic max_rows: max(AUTO_ROWS, AUTO_PER_DIM d) */
#define AUTO_ROWS 32768
#define AUTO_PER_DIM 32

void fl_pca_clear(fl_pca *p)
{
	if (!p)
		return;
	free(p->mean);
	free(p->components);
	free(p->variance);
	memset(p, 0, sizeof *p);
}

void fl_mixture__sample_rows(int64_t *out, int64_t m, int64_t n, fl_rng *rng)
{
	int64_t got = 0;

	/* Knuth's selection sampling: each row is kept with probability
	 * (still needed) / (still left), which yields m rows in order */
	for (int64_t i = 0; i < n && got < m; i++)
		if ((double)(n - i) * fl__rng_uniform(rng) < (double)(m - got))
			out[got++] = i;
}

/* m rows of [0, n) as runs of RUN consecutive rows starting at run
 * boundaries chosen uniformly without replacement (the last run may be
 * short), in increasing order. Every row has the same chance m / n of being
 * used, so the covariance is estimated without bias; runs rather than
 * scattered rows touch m / RUN stretches of a memory-mapped input instead
 * of m pages (a page fault costs ~15 us in a VM) and read whole cache
 * lines. */
#define RUN 64
static void sample_runs(int64_t *out, int64_t m, int64_t n, fl_rng *rng)
{
	int64_t runs = (n + RUN - 1) / RUN, want = (m + RUN - 1) / RUN, got = 0;

	for (int64_t q = 0; q < runs && got < m; q++) {
		if (!((double)(runs - q) * fl__rng_uniform(rng) < (double)(want)))
			continue;
		want--;
		for (int64_t i = q * RUN; i < (q + 1) * RUN && i < n && got < m; i++)
			out[got++] = i;
	}
	/* a short last run can leave a few rows to take: the next rows not used */
	for (int64_t i = 0, j = 0; got < m && i < n; i++) {
		while (j < got && out[j] < i)
			j++;
		if (j < got && out[j] == i)
			continue;
		out[got++] = i; /* appended out of order: sort below */
	}
	for (int64_t a = 1; a < got; a++) { /* nearly sorted: insertion sort */
		int64_t v = out[a], b = a;
		while (b > 0 && out[b - 1] > v) {
			out[b] = out[b - 1];
			b--;
		}
		out[b] = v;
	}
}

/* The rows of a pass: row i is x[rows ? rows[i] : i] minus mu. */
typedef struct pca_src {
	const float *x;
	int64_t n, d, ldx;
	const int64_t *rows;
	const float *mu;
	int64_t block, n_blocks;
	int threads;
	float *xb; /* per thread: block x d */
	const float *halo; /* rows h0 .. h1 - 1, read from here (fl__comm_halo) */
	int64_t h0, h1;
} pca_src;

/* about 1 MiB of rows per block: sgemm/ssyrk with d ~ 500 are near their
 * peak from ~256 rows, and the per-thread buffers stay small beside the
 * input */
static int64_t pca_block(int64_t d)
{
	int64_t b = 262144 / d;

	return b < 64 ? 64 : b > 4096 ? 4096 : b;
}

/* align: the block is a multiple of it */
static int src_init(pca_src *s, const float *x, int64_t n, int64_t d, int64_t ldx,
		    const int64_t *rows, const float *mu, int32_t threads, int64_t align)
{
	s->x = x;
	s->n = n;
	s->d = d;
	s->ldx = ldx;
	s->rows = rows;
	s->mu = mu;
	s->block = (pca_block(d) + align - 1) / align * align;
	s->n_blocks = (n + s->block - 1) / s->block;
	s->halo = NULL;
	s->h0 = s->h1 = 0;
	s->threads = threads > 0 ? threads : omp_get_max_threads();
	if (s->threads > s->n_blocks)
		s->threads = s->n_blocks > 0 ? (int)s->n_blocks : 1;
	s->xb = fl__malloc((size_t)s->threads * (size_t)(s->block * d) * sizeof(float), "PCA blocks");
	return s->xb ? 0 : FL_ENOMEM;
}

static void load_rows(const pca_src *s, float *dst, int64_t i0, int64_t m)
{
	int64_t d = s->d;

	for (int64_t r = 0; r < m; r++) {
		const float *src = i0 + r >= s->h0 && i0 + r < s->h1 ? s->halo + (i0 + r - s->h0) * d
				   : s->x + (s->rows ? s->rows[i0 + r] : i0 + r) * s->ldx;
		float *o = dst + r * d;

		if (s->rows && i0 + r + FL_PREFETCH_ROWS < s->n)
			fl__prefetch(s->x + s->rows[i0 + r + FL_PREFETCH_ROWS] * s->ldx,
				     (size_t)d * sizeof(float));
		if (s->mu)
#pragma omp simd
			for (int64_t j = 0; j < d; j++)
				o[j] = src[j] - s->mu[j];
		else
			memcpy(o, src, (size_t)d * sizeof(float));
	}
}

/* The number of fixed groups a pass over n_blocks blocks sums apart, plen
 * doubles each: at most PCA_GROUPS, fewer for large sums (a covariance
 * is d x d). Never the thread count: the sums must not depend on it. */
static int64_t n_groups(int64_t n_blocks, int64_t plen)
{
	int64_t g = plen > (1 << 16) ? 4 : PCA_GROUPS;

	return n_blocks < g ? n_blocks : g;
}

/* sum of the rows in double: each fixed group of blocks in block order,
 * then the groups in group order (no thread waits for another) */
static int row_mean(float *mean, const pca_src *s)
{
	int64_t d = s->d, ng = n_groups(s->n_blocks, d), g0, g1;
	double *part = fl__calloc((size_t)(ng ? ng : 1) * (size_t)d, sizeof(double), "PCA mean");

	if (!part)
		return FL_ENOMEM;
	fl__comm_share(ng, &g0, &g1); /* several ranks: this one's groups, then summed */
#pragma omp parallel for num_threads(s->threads) schedule(dynamic, 1)
	for (int64_t g = g0; g < g1; g++) {
		float *xb = s->xb + (size_t)omp_get_thread_num() * (size_t)(s->block * d);
		double *ps = part + (size_t)g * (size_t)d;

		for (int64_t b = g * s->n_blocks / ng; b < (g + 1) * s->n_blocks / ng; b++) {
			int64_t i0 = b * s->block, m = s->n - i0 < s->block ? s->n - i0 : s->block;

			load_rows(s, xb, i0, m);
			for (int64_t r = 0; r < m; r++)
				for (int64_t j = 0; j < d; j++)
					ps[j] += xb[r * d + j];
		}
	}
	fl__comm_sum_f64(part, ng * d);
	for (int64_t j = 0; j < d; j++) {
		double tot = 0;

		for (int64_t g = 0; g < ng; g++)
			tot += part[(size_t)g * (size_t)d + (size_t)j];
		mean[j] = (float)(tot / (double)s->n);
	}
	free(part);
	return 0;
}

/* A NaN or Inf in the rows used shows in their mean: then name the first
 * such row, before LAPACK sees it. (Rows outside a subset are checked by
 * the projection.) */
static int check_finite(const float *mean, const pca_src *s)
{
	int64_t d = s->d;

	for (int64_t j = 0; j < d; j++) {
		if (isfinite(mean[j]))
			continue;
		for (int64_t i = 0; i < s->n; i++) {
			const float *row = s->x + (s->rows ? s->rows[i] : i) * s->ldx;
			for (int64_t c = 0; c < d; c++)
				if (!isfinite(row[c]))
					return fl__error(FL_ERANGE, "PCA: row %lld, column %lld: value is %s",
							 (long long)(s->rows ? s->rows[i] : i), (long long)c,
							 isnan(row[c]) ? "NaN" : "infinite");
		}
		return fl__error(FL_ERANGE, "PCA: the mean of column %lld overflows", (long long)j);
	}
	return 0;
}

/* What a product pass computes over the shifted rows A (n x d). */
enum pca_op {
	OP_COV,   /* acc (d x d, upper, row-major) += A^T A */
	OP_ATQ,   /* acc (d x l, col-major) += A^T Q, Q = y (n x l col-major, ld n) */
	OP_AG     /* y (n x l col-major, ld n) = A g, g (d x l col-major, float) */
};

static int product_pass(const pca_src *s, enum pca_op op, double *acc, float *y,
			const float *g, int64_t l)
{
	int64_t d = s->d, plen = op == OP_COV ? d * d : op == OP_ATQ ? d * l : 0;
	int64_t ng = plen ? n_groups(s->n_blocks, plen) : s->n_blocks, g0, g1;
	float *part = NULL;
	double *gsum = NULL;

	if (plen && (!(part = fl__malloc((size_t)s->threads * (size_t)plen * sizeof(float),
					 "PCA partial products")) ||
		     !(gsum = fl__calloc((size_t)(ng ? ng : 1) * (size_t)plen, sizeof(double),
					 "PCA partial products")))) {
		free(part);
		return FL_ENOMEM;
	}
	/* fixed groups of blocks: each sums its blocks in block order, the
	 * groups are added in group order after the loop (with several ranks,
	 * this one's groups; the sums and the rows of y are exchanged) */
	fl__comm_share(ng, &g0, &g1);
#pragma omp parallel for num_threads(s->threads) schedule(dynamic, 1)
	for (int64_t q = g0; q < g1; q++) {
		int t = omp_get_thread_num();
		float *xb = s->xb + (size_t)t * (size_t)(s->block * d);
		float *pp = part ? part + (size_t)t * (size_t)plen : NULL;
		double *gs = gsum ? gsum + (size_t)q * (size_t)plen : NULL;

		for (int64_t b = q * s->n_blocks / ng; b < (q + 1) * s->n_blocks / ng; b++) {
			int64_t i0 = b * s->block, m = s->n - i0 < s->block ? s->n - i0 : s->block;

			load_rows(s, xb, i0, m);
			if (op == OP_COV)
				cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)m, 1.0f,
					    xb, (int)d, 0.0f, pp, (int)d);
			else if (op == OP_ATQ) /* xb read column-major is A_b^T (d x m) */
				cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)d, (int)l,
					    (int)m, 1.0f, xb, (int)d, y + i0, (int)s->n, 0.0f, pp,
					    (int)d);
			else
				cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)m, (int)l,
					    (int)d, 1.0f, xb, (int)d, g, (int)d, 0.0f, y + i0,
					    (int)s->n);
			if (op == OP_COV) {
				for (int64_t i = 0; i < d; i++)
					for (int64_t j = i; j < d; j++)
						gs[i * d + j] += pp[i * d + j];
			} else if (op == OP_ATQ) {
				for (int64_t k = 0; k < plen; k++)
					gs[k] += pp[k];
			}
		}
	}
	if (gsum)
		fl__comm_sum_f64(gsum, ng * plen);
	for (int64_t c = 0; op == OP_AG && c < l; c++) /* column c of y: n rows */
		fl__comm_gather_rows(y + c * s->n, sizeof(float), s->n, s->block, s->n_blocks, ng,
				     NULL);
	for (int64_t q = 0; gsum && q < ng; q++)
		for (int64_t k = 0; k < plen; k++)
			acc[k] += gsum[(size_t)q * (size_t)plen + (size_t)k];
	free(part);
	free(gsum);
	return 0;
}

/* Orthonormalise the columns of y (rows x cols, column-major) in place. */
static int orthonormalise(float *y, int64_t rows, int64_t cols, float *tau)
{
	lapack_int info = LAPACKE_sgeqrf(LAPACK_COL_MAJOR, (lapack_int)rows, (lapack_int)cols, y,
					 (lapack_int)rows, tau);

	if (info == 0)
		info = LAPACKE_sorgqr(LAPACK_COL_MAJOR, (lapack_int)rows, (lapack_int)cols,
				      (lapack_int)cols, y, (lapack_int)rows, tau);
	if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
		return fl__error(FL_ENOMEM, "PCA: out of memory in LAPACK QR");
	if (info != 0)
		return fl__error(FL_ENOCONV, "PCA: LAPACK QR failed (info %d)", (int)info);
	return 0;
}

/* Keep the eigenpairs (val[t], vec[t * d .. t * d + d)), sorted descending,
 * whose value clears the rank tolerance, with the sign that makes each
 * vector's largest entry positive. */
static void finish(fl_pca *p, const double *val, const double *vec, int64_t cand, double rank_tol,
		   double denom)
{
	int64_t d = p->d, r = 0;
	double top = cand > 0 ? val[0] : 0;

	for (int64_t t = 0; t < cand && r < p->r; t++) {
		double v = val[t] / denom, big = 0;
		int64_t arg = 0;

		if (!(val[t] > rank_tol * top) || !(val[t] > 0))
			break;
		for (int64_t j = 0; j < d; j++)
			if (fabs(vec[t * d + j]) > big)
				big = fabs(vec[t * d + j]), arg = j;
		for (int64_t j = 0; j < d; j++)
			p->components[r * d + j] =
				(float)(vec[t * d + arg] < 0 ? -vec[t * d + j] : vec[t * d + j]);
		p->variance[r] = v;
		r++;
	}
	p->r = r;
}

static int solve_exact(fl_pca *p, const pca_src *s, int64_t r, double rank_tol)
{
	int64_t d = s->d;
	double *cov = fl__calloc((size_t)(d * d), sizeof(double), "PCA covariance");
	double *w = fl__malloc((size_t)d * sizeof(double), "PCA eigenvalues");
	double *z = fl__malloc((size_t)(d * r) * sizeof(double), "PCA eigenvectors");
	double *val = fl__malloc((size_t)r * sizeof(double), "PCA eigenvalues");
	double *vec = fl__malloc((size_t)(d * r) * sizeof(double), "PCA eigenvectors");
	lapack_int *supp = fl__malloc((size_t)(2 * r) * sizeof(lapack_int), "PCA eigenvectors");
	lapack_int found = 0, info;
	int rc;

	if (!cov || !w || !z || !val || !vec || !supp) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	if ((rc = product_pass(s, OP_COV, cov, NULL, NULL, 0)) != 0)
		goto cleanup;
	p->total_variance = 0;
	for (int64_t i = 0; i < d; i++)
		p->total_variance += cov[i * d + i] / (double)(s->n - 1);
	/* the row-major upper triangle is the column-major lower one */
	info = LAPACKE_dsyevr(LAPACK_COL_MAJOR, 'V', 'I', 'L', (lapack_int)d, cov, (lapack_int)d, 0,
			      0, (lapack_int)(d - r + 1), (lapack_int)d, 0.0, &found, w, z,
			      (lapack_int)d, supp);
	if (info != 0 || found != r) {
		rc = info == LAPACK_WORK_MEMORY_ERROR ? FL_ENOMEM : FL_ENOCONV;
		fl__error(rc, "PCA: LAPACK dsyevr failed (info %d, %d of %lld eigenpairs)", (int)info,
			  (int)found, (long long)r);
		goto cleanup;
	}
	/* ascending -> descending; column t of z is eigenvector t */
	for (int64_t t = 0; t < r; t++) {
		val[t] = w[r - 1 - t];
		memcpy(vec + t * d, z + (r - 1 - t) * d, (size_t)d * sizeof(double));
	}
	finish(p, val, vec, r, rank_tol, (double)(s->n - 1));
cleanup:
	free(cov);
	free(w);
	free(z);
	free(val);
	free(vec);
	free(supp);
	return rc;
}

static int solve_randomized(fl_pca *p, const pca_src *s, int64_t r, int64_t l, int32_t q,
			    double rank_tol, uint64_t seed)
{
	int64_t d = s->d, m = s->n;
	float *y = NULL, *g = fl__malloc((size_t)(d * l) * sizeof(float), "PCA test matrix");
	float *tau = fl__malloc((size_t)l * sizeof(float), "PCA QR");
	double *acc = fl__malloc((size_t)(d * l) * sizeof(double), "PCA products");
	double *bbt = fl__malloc((size_t)(l * l) * sizeof(double), "PCA small matrix");
	double *w = fl__malloc((size_t)l * sizeof(double), "PCA eigenvalues");
	double *val = fl__malloc((size_t)l * sizeof(double), "PCA eigenvalues");
	double *vec = fl__malloc((size_t)(l * d) * sizeof(double), "PCA eigenvectors");
	size_t ysz;
	fl_rng rng;
	int rc = 0;

	if (fl__mul_size((size_t)m, (size_t)l * sizeof(float), &ysz) ||
	    !(y = fl__malloc(ysz, "PCA range")) || !g || !tau || !acc || !bbt || !w || !val || !vec) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	fl__rng_seed(&rng, seed, FL_STREAM_PCA_RANGE);
	for (int64_t t = 0; t < d * l; t++)
		g[t] = (float)fl__rng_normal(&rng);
	if ((rc = product_pass(s, OP_AG, NULL, y, g, l)) != 0)
		goto cleanup;
	for (int32_t it = 0; it <= q; it++) {
		if ((rc = orthonormalise(y, m, l, tau)) != 0)
			goto cleanup;
		memset(acc, 0, (size_t)(d * l) * sizeof(double));
		if ((rc = product_pass(s, OP_ATQ, acc, y, NULL, l)) != 0)
			goto cleanup;
		if (it == q)
			break; /* acc = A^T Q = B^T */
		for (int64_t t = 0; t < d * l; t++)
			g[t] = (float)acc[t];
		if ((rc = orthonormalise(g, d, l, tau)) != 0 ||
		    (rc = product_pass(s, OP_AG, NULL, y, g, l)) != 0)
			goto cleanup;
	}
	/* B B^T = G^T G (l x l), its eigenvectors u give B's right singular
	 * vectors G u / sigma */
	cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)l, (int)l, (int)d, 1.0, acc,
		    (int)d, acc, (int)d, 0.0, bbt, (int)l);
	{
		lapack_int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'U', (lapack_int)l, bbt,
						 (lapack_int)l, w);
		if (info != 0) {
			rc = info == LAPACK_WORK_MEMORY_ERROR ? FL_ENOMEM : FL_ENOCONV;
			fl__error(rc, "PCA: LAPACK dsyevd failed (info %d)", (int)info);
			goto cleanup;
		}
	}
	for (int64_t t = 0; t < l; t++) {
		int64_t c = l - 1 - t; /* descending */
		double sig = sqrt(fmax(w[c], 0));
		val[t] = w[c];
		for (int64_t j = 0; j < d; j++) {
			double v = 0;
			for (int64_t u = 0; u < l; u++)
				v += acc[u * d + j] * bbt[c * l + u];
			vec[t * d + j] = sig > 0 ? v / sig : 0;
		}
	}
	finish(p, val, vec, l < r ? l : r, rank_tol, (double)(m - 1));
cleanup:
	free(y);
	free(g);
	free(tau);
	free(acc);
	free(bbt);
	free(w);
	free(val);
	free(vec);
	return rc;
}

/* trace of the covariance: the mean squared norm of the shifted rows */
static double total_variance(const pca_src *s)
{
	double tot = 0;

	for (int64_t i = 0; i < s->n; i++) {
		const float *src = s->x + (s->rows ? s->rows[i] : i) * s->ldx;
		double t = 0;
		for (int64_t j = 0; j < s->d; j++) {
			double u = (double)src[j] - s->mu[j];
			t += u * u;
		}
		tot += t;
	}
	return tot / (double)(s->n - 1);
}

int fl_pca_fit(fl_pca *out, const float *x, int64_t n, int64_t d, int64_t ldx,
	       const fl_pca_opts *opts)
{
	return fl_pca__fit(out, x, NULL, n, d, ldx, opts);
}

int fl_pca__fit(fl_pca *out, const float *x, const int64_t *xrows, int64_t n, int64_t d,
		int64_t ldx, const fl_pca_opts *opts)
{
	static const fl_pca_opts defaults = FL_PCA_OPTS_INIT;
	const fl_pca_opts *o = opts ? opts : &defaults;
	pca_src src = {0};
	int64_t *rows = NULL, m, r, l;
	float *local = NULL; /* several ranks: the rows used, fetched */
	fl_pca_solver solver;
	int rc;

	if (!out)
		return fl__error(FL_EINVAL, "no PCA to fit (out is NULL)");
	memset(out, 0, sizeof *out);
	if ((rc = fl__check_matrix(x, n, d, ldx, 2, "the data of the PCA")))
		return rc;
	if (d > INT32_MAX / 8 ||
	    o->version != FL_PCA_OPTS_VERSION || o->n_components < 1 || o->max_rows < -1 ||
	    o->max_rows == 1 || (o->solver != FL_PCA_AUTO && o->solver != FL_PCA_EXACT &&
				 o->solver != FL_PCA_RANDOMIZED) ||
	    o->oversample < 0 || o->power_iter < 0 || !(o->rank_tol >= 0 && o->rank_tol < 1) ||
	    o->threads < 0)
		return fl__error(FL_EINVAL, "invalid PCA options for %lld columns (n_components=%d, "
				 "max_rows=%lld, solver=%d, oversample=%d, power_iter=%d, rank_tol=%g, "
				 "threads=%d, version=%d)", (long long)d, o->n_components,
				 (long long)o->max_rows, (int)o->solver, o->oversample, o->power_iter,
				 o->rank_tol, o->threads, o->version);
	m = o->max_rows == -1 ? n : o->max_rows ? o->max_rows
		: AUTO_ROWS > AUTO_PER_DIM * d ? AUTO_ROWS : AUTO_PER_DIM * d;
	m = m < n ? m : n;
	r = o->n_components < d ? o->n_components : d;
	r = r < m - 1 ? r : m - 1; /* m rows span at most m - 1 centred directions */
	l = r + o->oversample;
	l = l < d ? l : d;
	l = l < m ? l : m;
	solver = o->solver;
	if (solver == FL_PCA_AUTO)
		solver = d <= 4 * (1 + (int64_t)o->power_iter) * l ? FL_PCA_EXACT : FL_PCA_RANDOMIZED;
	if (l >= d)
		solver = FL_PCA_EXACT; /* nothing to gain: the range is everything */

	out->d = d;
	out->r = r;
	out->rows_used = m;
	out->mean = fl__malloc((size_t)d * sizeof(float), "PCA mean");
	out->components = fl__malloc((size_t)(r * d) * sizeof(float), "PCA components");
	out->variance = fl__malloc((size_t)r * sizeof(double), "PCA variances");
	if (m < n) {
		fl_rng rng;
		if ((rows = fl__malloc((size_t)m * sizeof(int64_t), "PCA rows"))) {
			fl__rng_seed(&rng, o->seed, FL_STREAM_PCA_ROWS);
			sample_runs(rows, m, n, &rng);
			for (int64_t i = 0; xrows && i < m; i++) /* as rows of x */
				rows[i] = xrows[rows[i]];
		}
	}
	if (!out->mean || !out->components || !out->variance || (m < n && !rows)) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	if (fl__comm_ranks() > 1) {
		/* several ranks: the rows fetched from their owners (at most
		 * max_rows rows), so that no rank reads outside its range */
		const int64_t *want = m < n ? rows : xrows;
		int64_t *all = want ? NULL : fl__malloc((size_t)(m ? m : 1) * sizeof *all, "PCA rows");

		for (int64_t i = 0; all && i < m; i++)
			all[i] = i;
		if (!(local = fl__malloc((size_t)((m ? m : 1) * d) * sizeof(float), "PCA rows")) ||
		    (!want && !all))
			rc = FL_ENOMEM;
		if ((rc = fl__comm_agree(rc)) == 0)
			rc = fl__comm_fetch_rows(local, x, ldx, d, want ? want : all, m);
		free(all);
		if (rc)
			goto cleanup;
	}
	if ((rc = src_init(&src, local ? local : x, m, d, local ? d : ldx,
			   local ? NULL : m < n ? rows : xrows, NULL, o->threads, 1)) != 0)
		goto cleanup;
	fl__blas_single_enter();
	if ((rc = row_mean(out->mean, &src)) == 0 && (rc = check_finite(out->mean, &src)) == 0) {
		src.mu = out->mean;
		if (solver == FL_PCA_EXACT) {
			rc = solve_exact(out, &src, r, o->rank_tol);
		} else {
			rc = solve_randomized(out, &src, r, l, o->power_iter, o->rank_tol, o->seed);
			out->total_variance = rc ? 0 : total_variance(&src);
		}
	}
	fl__blas_single_leave();
cleanup:
	free(src.xb);
	free(rows);
	free(local);
	if (rc)
		fl_pca_clear(out);
	return rc;
}

int fl_mx_codes_alloc(fl_mx_codes *c, int64_t n, int64_t r)
{
	int64_t groups = (n + FL_MX_QROWS - 1) / FL_MX_QROWS;
	size_t sz;

	memset(c, 0, sizeof *c);
	if (fl__mul_size((size_t)n, (size_t)r, &sz) ||
	    !(c->code = fl__malloc(sz, "reduced view (8-bit codes)")) ||
	    !(c->lo = fl__malloc((size_t)(groups * r) * sizeof(float), "reduced view")) ||
	    !(c->step = fl__malloc((size_t)(groups * r) * sizeof(float), "reduced view"))) {
		fl_mx_codes_free(c);
		return FL_ENOMEM;
	}
	c->n = n;
	c->r = r;
	return 0;
}

void fl_mx_codes_free(fl_mx_codes *c)
{
	free(c->code);
	free(c->lo);
	free(c->step);
	memset(c, 0, sizeof *c);
}

/* Rows i0 .. i0 + m - 1 (one group), projected into z (m x r), to codes. */
static void encode_group(fl_mx_codes *c, const float *z, int64_t i0, int64_t m)
{
	int64_t r = c->r, g = i0 / FL_MX_QROWS;

	for (int64_t j = 0; j < r; j++) {
		float lo = z[j], hi = z[j], inv;
		for (int64_t q = 1; q < m; q++) {
			lo = z[q * r + j] < lo ? z[q * r + j] : lo;
			hi = z[q * r + j] > hi ? z[q * r + j] : hi;
		}
		c->lo[g * r + j] = lo;
		c->step[g * r + j] = (float)(((double)hi - lo) / 255.0); /* no overflow */
		inv = hi > lo ? (float)(255.0 / ((double)hi - lo)) : 0.0f;
		for (int64_t q = 0; q < m; q++) {
			float t = (z[q * r + j] - lo) * inv + 0.5f;
			c->code[(i0 + q) * r + j] = (uint8_t)(t < 255.0f ? t : 255.0f);
		}
	}
}

void fl_mx_codes_encode(fl_mx_codes *c, const float *z, int64_t i0, int64_t m, int32_t threads)
{
	int64_t n_groups = (m + FL_MX_QROWS - 1) / FL_MX_QROWS;

#pragma omp parallel for num_threads(threads > 0 ? threads : omp_get_max_threads()) \
	schedule(static) if (n_groups > 1)
	for (int64_t g = 0; g < n_groups; g++) {
		int64_t q0 = g * FL_MX_QROWS;

		encode_group(c, z + q0 * c->r, i0 + q0, m - q0 < FL_MX_QROWS ? m - q0 : FL_MX_QROWS);
	}
}

void fl_mx_codes_gather_spans(fl_mx_codes *c, int64_t n, const int64_t *span, int64_t *gspan)
{
	int64_t p = fl__comm_ranks();

	if (p < 2)
		return;
	for (int64_t q = 0; q < p; q++) /* the boundaries are whole groups */
		gspan[q] = span[q] / FL_MX_QROWS;
	gspan[p] = (n + FL_MX_QROWS - 1) / FL_MX_QROWS;
	fl__comm_gather_spans(c->code, (size_t)c->r, span);
	fl__comm_gather_spans(c->lo, (size_t)c->r * sizeof(float), gspan);
	fl__comm_gather_spans(c->step, (size_t)c->r * sizeof(float), gspan);
}

/* Several ranks: the rows every rank projected (its span of the rows,
 * fl__comm_spans), and the first row that is not finite of all. */
static void exchange_rows(const pca_src *s, float *z, int64_t ldz, fl_mx_codes *codes,
			  float *res2, int64_t *span, int64_t *bad)
{
	int64_t neg = -*bad;

	if (z)
		fl__comm_gather_spans(z, (size_t)ldz * sizeof(float), span);
	if (res2)
		fl__comm_gather_spans(res2, sizeof(float), span);
	if (codes) /* spans are whole groups of FL_MX_QROWS rows */
		fl_mx_codes_gather_spans(codes, s->n, span, span + fl__comm_ranks() + 1);
	fl__comm_max_i64(&neg, 1);
	*bad = -neg;
}

/* fl_pca__transform, and with res2 each row's squared distance from the
 * PCA's subspace, |x - mean|^2 - |z|^2 (at least 0) */
static int transform(const fl_pca *p, const float *x, const int64_t *xrows, int64_t n,
		     int64_t ldx, int32_t threads, float *z, int64_t ldz, fl_mx_codes *codes,
		     float *res2)
{
	pca_src s;
	int64_t d = p->d, r = p->r, bad = INT64_MAX, me = fl__comm_rank(), P = fl__comm_ranks();
	int64_t *span, i0s, nbq;
	float *zb = NULL, *ct, *halo = NULL;
	int rc, nt;

	if (n == 0)
		return 0;
	if ((rc = src_init(&s, x, n, d, ldx, xrows, p->mean, threads, codes ? FL_MX_QROWS : 1)) != 0)
		return rc;
	nt = s.threads;
	/* the components as columns (d x r), for fl__rows_times: a row's
	 * projection the same bits whichever rows it is projected with */
	ct = fl__calloc((size_t)(d * FL_ROWS_TIMES_LD(r)), sizeof(float), "PCA projection");
	span = fl__malloc((size_t)(2 * (P + 1)) * sizeof *span, "rank sizes");
	if (!ct || !span ||
	    (codes && !(zb = fl__malloc((size_t)nt * (size_t)(s.block * r) * sizeof(float),
					"PCA projection")))) {
		free(ct);
		free(span);
		free(s.xb);
		return FL_ENOMEM;
	}
	for (int64_t j = 0; j < r; j++)
		for (int64_t k = 0; k < d; k++)
			ct[k * FL_ROWS_TIMES_LD(r) + j] = p->components[j * d + k];
	/* several ranks: this one's rows, whole groups of FL_MX_QROWS for the
	 * codes (a row's projection does not depend on its block), the rows of
	 * a group that lie before its range fetched from their owner */
	fl__comm_spans(span, xrows, n, codes ? FL_MX_QROWS : 1);
	if ((rc = fl__comm_halo(&halo, &s.h0, &s.h1, x, ldx, d, xrows, n,
				codes ? FL_MX_QROWS : 1)) != 0) {
		free(ct);
		free(span);
		free(zb);
		free(s.xb);
		return rc;
	}
	s.halo = halo;
	i0s = span[me];
	nbq = (span[me + 1] - i0s + s.block - 1) / s.block;
	/* the first row that is not finite: the least over the blocks, whatever
	 * order they finish in */
#pragma omp parallel num_threads(nt)
	{
		int t = omp_get_thread_num();
		float *xb = s.xb + (size_t)t * (size_t)(s.block * d);
		float *ob = zb ? zb + (size_t)t * (size_t)(s.block * r) : NULL;

#pragma omp for schedule(static, 1) reduction(min : bad)
		for (int64_t b = 0; b < nbq; b++) {
			int64_t i0 = i0s + b * s.block, first = -1;
			int64_t m = span[me + 1] - i0 < s.block ? span[me + 1] - i0 : s.block;
			float *out = ob ? ob : z + i0 * ldz;
			int64_t ldo = ob ? r : ldz;

			load_rows(&s, xb, i0, m);
			fl__rows_times(out, ldo, xb, m, d, ct, r);
			for (int64_t q = 0; q < m && first < 0; q++)
				for (int64_t j = 0; j < r; j++)
					if (!isfinite(out[q * ldo + j])) {
						first = i0 + q;
						break;
					}
			for (int64_t q = 0; res2 && q < m; q++) {
				double all = 0, in = 0;
				for (int64_t j = 0; j < d; j++)
					all += (double)xb[q * d + j] * xb[q * d + j];
				for (int64_t j = 0; j < r; j++)
					in += (double)out[q * ldo + j] * out[q * ldo + j];
				res2[i0 + q] = all > in ? (float)(all - in) : 0.0f;
			}
			for (int64_t g = 0; ob && first < 0 && g < m; g += FL_MX_QROWS)
				encode_group(codes, ob + g * r, i0 + g,
					     m - g < FL_MX_QROWS ? m - g : FL_MX_QROWS);
			if (first >= 0 && first < bad)
				bad = first;
		}
	}
	free(ct);
	free(s.xb);
	free(zb);
	if (P > 1)
		exchange_rows(&s, z, ldz, codes, res2, span, &bad);
	free(span);
	free(halo);
	if (bad != INT64_MAX)
		return fl__error(FL_ERANGE, "PCA projection: row %lld is not finite (NaN or Inf in the "
				 "embedding?)", (long long)bad);
	return 0;
}

int fl_pca__transform(const fl_pca *p, const float *x, const int64_t *xrows, int64_t n,
		      int64_t ldx, int32_t threads, float *z, int64_t ldz, fl_mx_codes *codes)
{
	return transform(p, x, xrows, n, ldx, threads, z, ldz, codes, NULL);
}

int fl_pca__reduce(const fl_pca *p, const float *x, const int64_t *xrows, int64_t n,
		   int64_t ldx, int32_t threads, fl_mx_codes *codes, float *res2)
{
	return transform(p, x, xrows, n, ldx, threads, NULL, 0, codes, res2);
}

int fl_pca_transform(float *z, int64_t ldz, const fl_pca *pca, const float *x, int64_t n,
		     int64_t ldx, int32_t threads)
{
	if (!pca || !pca->mean || !pca->components || pca->r < 1 || !z || ldz < pca->r ||
	    (n > 0 && !x) || n < 0 || ldx < pca->d || threads < 0)
		return fl__error(FL_EINVAL, "cannot project %lld rows (row strides %lld and %lld, "
				 "%d threads)", (long long)n, (long long)ldz,
				 (long long)ldx, threads);
	return fl_pca__transform(pca, x, NULL, n, ldx, threads, z, ldz, NULL);
}
