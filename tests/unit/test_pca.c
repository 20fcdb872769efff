/*
 * PCA against an exact SVD (LAPACK dgesdd, double precision, of the centred
 * rows): both solvers find the same subspace, variances and mean within a
 * stated tolerance; orthonormal components; 1 and 2 threads give the same
 * bits; a row subset keeps nearly all the captured variance; rank-deficient
 * data (dead units, duplicated columns) lose their null directions; the
 * projection against a double computation; fl__rows_times against the
 * chain it defines (bit for bit) and a double computation, a row's bits
 * the same in any call (alone, in groups of 7, in a subset: sgemm's are
 * not), and so a projected row's; argument checks.
 */
#include "check.h"
#include "mixture/mixture_internal.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

/* n x d rows: a rank-`rank` signal with singular values decaying from
 * `top` by factor `decay`, plus isotropic noise `noise`, plus an offset. */
static float *lowrank(int64_t n, int64_t d, int64_t rank, double top, double decay, double noise,
		      uint64_t *st)
{
	float *x = malloc((size_t)(n * d) * sizeof(float));
	double *v = malloc((size_t)(rank * d) * sizeof(double));

	for (int64_t q = 0; q < rank * d; q++)
		v[q] = check_uniform(st) - 0.5;
	for (int64_t i = 0; i < n; i++)
		for (int64_t j = 0; j < d; j++)
			x[i * d + j] = (float)(3.0 + 0.1 * (double)j + noise * (check_uniform(st) - 0.5));
	for (int64_t q = 0; q < rank; q++) {
		double s = top * pow(decay, (double)q);
		for (int64_t i = 0; i < n; i++) {
			double a = s * (check_uniform(st) - 0.5);
			for (int64_t j = 0; j < d; j++)
				x[i * d + j] += (float)(a * v[q * d + j]);
		}
	}
	free(v);
	return x;
}

typedef struct {
	double *mean, *var, *vt; /* vt: d x d, rows = right singular vectors */
	double total;
} svd_ref;

static void svd_exact(svd_ref *s, const float *x, int64_t n, int64_t d)
{
	double *a = malloc((size_t)(n * d) * sizeof(double)), *sv = malloc((size_t)d * sizeof(double));
	double *u = malloc((size_t)(n * d) * sizeof(double));

	s->mean = calloc((size_t)d, sizeof(double));
	s->var = malloc((size_t)d * sizeof(double));
	s->vt = malloc((size_t)(d * d) * sizeof(double));
	for (int64_t i = 0; i < n; i++)
		for (int64_t j = 0; j < d; j++)
			s->mean[j] += x[i * d + j] / (double)n;
	for (int64_t i = 0; i < n; i++)
		for (int64_t j = 0; j < d; j++)
			a[i * d + j] = x[i * d + j] - s->mean[j];
	CHECK_EQ_INT(LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', (lapack_int)n, (lapack_int)d, a,
				    (lapack_int)d, sv, u, (lapack_int)d, s->vt, (lapack_int)d), 0);
	s->total = 0;
	for (int64_t j = 0; j < d; j++) {
		s->var[j] = sv[j] * sv[j] / (double)(n - 1);
		s->total += s->var[j];
	}
	free(a);
	free(sv);
	free(u);
}

static void svd_free(svd_ref *s)
{
	free(s->mean);
	free(s->var);
	free(s->vt);
}

/* || P_a - P_b ||_F for the projectors on the first r rows of a (float) and b */
static double subspace_distance(const float *a, const double *b, int64_t r, int64_t d)
{
	double t = 0;

	for (int64_t i = 0; i < d; i++)
		for (int64_t j = 0; j < d; j++) {
			double pa = 0, pb = 0;
			for (int64_t q = 0; q < r; q++) {
				pa += (double)a[q * d + i] * a[q * d + j];
				pb += b[q * d + i] * b[q * d + j];
			}
			t += (pa - pb) * (pa - pb);
		}
	return sqrt(t);
}

static double orthonormality(const float *c, int64_t r, int64_t d)
{
	double worst = 0;

	for (int64_t p = 0; p < r; p++)
		for (int64_t q = 0; q < r; q++) {
			double t = 0;
			for (int64_t j = 0; j < d; j++)
				t += (double)c[p * d + j] * c[q * d + j];
			worst = fmax(worst, fabs(t - (p == q)));
		}
	return worst;
}

static void compare(const char *what, const fl_pca *p, const svd_ref *s, int64_t r, double tol_sub,
		    double tol_var)
{
	double dist = subspace_distance(p->components, s->vt, r, p->d), worst_var = 0, worst_mean = 0;

	for (int64_t q = 0; q < r; q++)
		worst_var = fmax(worst_var, fabs(p->variance[q] - s->var[q]) / s->var[q]);
	for (int64_t j = 0; j < p->d; j++)
		worst_mean = fmax(worst_mean, fabs(p->mean[j] - s->mean[j]) / fmax(1, fabs(s->mean[j])));
	printf("%s: subspace distance %.2g, variances %.2g, mean %.2g, orthonormality %.2g, "
	       "total variance %.2g\n", what, dist, worst_var, worst_mean,
	       orthonormality(p->components, p->r, p->d), fabs(p->total_variance - s->total) / s->total);
	CHECK_EQ_INT(p->r, r);
	CHECK(dist <= tol_sub);
	CHECK(worst_var <= tol_var);
	CHECK(worst_mean <= 1e-6);
	CHECK(orthonormality(p->components, p->r, p->d) <= 1e-5);
	CHECK_NEAR(p->total_variance, s->total, 1e-5);
	/* signs: the largest entry of every component is positive */
	for (int64_t q = 0; q < p->r; q++) {
		int64_t arg = 0;
		for (int64_t j = 1; j < p->d; j++)
			if (fabs(p->components[q * p->d + j]) > fabs(p->components[q * p->d + arg]))
				arg = j;
		CHECK(p->components[q * p->d + arg] > 0);
	}
}

/* Tolerances: over seeds 1..20 the largest subspace distance was 2.1e-6
 * (exact) and 3.6e-7 (randomized, 2 power iterations), variances within
 * 5.5e-7 relative; the bounds (1e-4 exact, 1e-3 randomized) leave room for
 * other BLAS builds, not for a wrong subspace (which is at distance ~1). */
static void test_exact(uint64_t *st)
{
	int64_t n = 500, d = 40, r = 8;
	float *x = lowrank(n, d, r, 50, 0.8, 0.5, st);
	fl_pca p;
	fl_pca_opts o = FL_PCA_OPTS_INIT;
	svd_ref s;

	svd_exact(&s, x, n, d);
	o.n_components = (int32_t)r;
	o.solver = FL_PCA_EXACT;
	CHECK_RC(fl_pca_fit(&p, x, n, d, d, &o), 0);
	CHECK_EQ_INT(p.rows_used, n);
	compare("exact", &p, &s, r, 1e-4, 1e-4);
	fl_pca_clear(&p);
	/* AUTO picks EXACT here (d small): the same answer */
	o.solver = FL_PCA_AUTO;
	CHECK_RC(fl_pca_fit(&p, x, n, d, d, &o), 0);
	compare("auto", &p, &s, r, 1e-4, 1e-4);
	fl_pca_clear(&p);
	svd_free(&s);
	free(x);
}

static void test_randomized(uint64_t *st)
{
	int64_t n = 3000, d = 400, r = 10;
	float *x = lowrank(n, d, r, 200, 0.85, 1.0, st);
	fl_pca p, p2;
	fl_pca_opts o = FL_PCA_OPTS_INIT;
	svd_ref s;

	svd_exact(&s, x, n, d);
	o.n_components = (int32_t)r;
	o.solver = FL_PCA_RANDOMIZED;
	CHECK_RC(fl_pca_fit(&p, x, n, d, d, &o), 0);
	compare("randomized", &p, &s, r, 1e-3, 1e-3);
	/* AUTO: d = 400 > 12 (r + 10), randomized; the same bits */
	o.solver = FL_PCA_AUTO;
	CHECK_RC(fl_pca_fit(&p2, x, n, d, d, &o), 0);
	CHECK(!memcmp(p.components, p2.components, (size_t)(r * d) * sizeof(float)));
	fl_pca_clear(&p2);
	/* 1 and 2 threads, both solvers */
	for (int solver = FL_PCA_EXACT; solver <= FL_PCA_RANDOMIZED; solver++) {
		o.solver = (fl_pca_solver)solver;
		o.threads = 1;
		CHECK_RC(fl_pca_fit(&p2, x, n, d, d, &o), 0);
		fl_pca_clear(&p);
		o.threads = 2;
		CHECK_RC(fl_pca_fit(&p, x, n, d, d, &o), 0);
		CHECK(p.r == p2.r && !memcmp(p.components, p2.components, (size_t)(r * d) * sizeof(float)) &&
		      !memcmp(p.mean, p2.mean, (size_t)d * sizeof(float)) &&
		      !memcmp(p.variance, p2.variance, (size_t)r * sizeof(double)));
		fl_pca_clear(&p2);
	}
	fl_pca_clear(&p);
	svd_free(&s);
	free(x);
}

/* captured variance of a basis on the rows x (about their own mean) */
static double captured(const fl_pca *p, const float *x, int64_t n, int64_t d, const double *mean)
{
	double t = 0;

	for (int64_t i = 0; i < n; i++)
		for (int64_t q = 0; q < p->r; q++) {
			double v = 0;
			for (int64_t j = 0; j < d; j++)
				v += (x[i * d + j] - mean[j]) * p->components[q * d + j];
			t += v * v;
		}
	return t / (double)(n - 1);
}

static void test_subset(uint64_t *st)
{
	int64_t n = 20000, d = 48, r = 12;
	float *x = lowrank(n, d, 16, 30, 0.88, 2.0, st);
	fl_pca full, sub;
	fl_pca_opts o = FL_PCA_OPTS_INIT;
	double mean[48] = {0}, cf, cs;

	o.n_components = (int32_t)r;
	o.max_rows = -1;
	CHECK_RC(fl_pca_fit(&full, x, n, d, d, &o), 0);
	o.max_rows = 2000;
	CHECK_RC(fl_pca_fit(&sub, x, n, d, d, &o), 0);
	CHECK_EQ_INT(full.rows_used, n);
	CHECK_EQ_INT(sub.rows_used, 2000);
	for (int64_t i = 0; i < n; i++)
		for (int64_t j = 0; j < d; j++)
			mean[j] += x[i * d + j] / (double)n;
	cf = captured(&full, x, n, d, mean);
	cs = captured(&sub, x, n, d, mean);
	printf("subset: 2000 of 20000 rows capture %.4f of the variance the full basis captures\n",
	       cs / cf);
	CHECK(cs <= cf * (1 + 1e-9));
	CHECK(cs >= 0.99 * cf);
	fl_pca_clear(&full);
	fl_pca_clear(&sub);
	free(x);
}

static void test_rank(uint64_t *st)
{
	int64_t n = 300, d = 20;
	float *x = lowrank(n, d, 6, 10, 0.9, 0, st);
	fl_pca p;
	fl_pca_opts o = FL_PCA_OPTS_INIT;
	int finite = 1;

	/* dead units: 5 columns exactly 0; a duplicated column */
	for (int64_t i = 0; i < n; i++) {
		for (int64_t j = 0; j < 5; j++)
			x[i * d + j] = 0;
		x[i * d + 7] = x[i * d + 6];
	}
	o.n_components = 20;
	CHECK_RC(fl_pca_fit(&p, x, n, d, d, &o), 0);
	printf("rank: rank-6 data, %lld directions kept\n", (long long)p.r);
	CHECK_EQ_INT(p.r, 6);
	for (int64_t q = 0; q < p.r * d; q++)
		finite &= isfinite(p.components[q]);
	CHECK(finite);
	fl_pca_clear(&p);
	/* constant rows: nothing to keep */
	for (int64_t q = 0; q < n * d; q++)
		x[q] = 1.5f;
	CHECK_RC(fl_pca_fit(&p, x, n, d, d, &o), 0);
	CHECK_EQ_INT(p.r, 0);
	fl_pca_clear(&p);
	free(x);
}

static void test_transform(uint64_t *st)
{
	int64_t n = 700, d = 24, ldx = 30, r = 5, ldz = 7;
	float *x = malloc((size_t)(n * ldx) * sizeof(float)), *z = malloc((size_t)(n * ldz) * sizeof(float));
	float *dense = lowrank(n, d, r, 20, 0.7, 0.3, st);
	fl_pca p;
	fl_pca_opts o = FL_PCA_OPTS_INIT;
	double worst = 0;

	for (int64_t i = 0; i < n; i++)
		for (int64_t j = 0; j < ldx; j++)
			x[i * ldx + j] = j < d ? dense[i * d + j] : NAN; /* padding is never read */
	o.n_components = (int32_t)r;
	CHECK_RC(fl_pca_fit(&p, x, n, d, ldx, &o), 0);
	CHECK_RC(fl_pca_transform(z, ldz, &p, x, n, ldx, 0), 0);
	for (int64_t i = 0; i < n; i++)
		for (int64_t q = 0; q < r; q++) {
			double v = 0;
			for (int64_t j = 0; j < d; j++)
				v += ((double)x[i * ldx + j] - p.mean[j]) * p.components[q * d + j];
			worst = fmax(worst, fabs(z[i * ldz + q] - v) / sqrt(p.variance[q]));
		}
	printf("transform: largest error %.2g standard deviations\n", worst);
	CHECK(worst < 1e-5);
	CHECK_RC(fl_pca_transform(z, ldz, &p, x, 0, ldx, 0), 0);
	CHECK_RC(fl_pca_transform(z, r - 1, &p, x, n, ldx, 0), FL_EINVAL);
	CHECK_RC(fl_pca_transform(z, ldz, &p, x, n, d - 1, 0), FL_EINVAL);
	CHECK_RC(fl_pca_transform(z, ldz, NULL, x, n, ldx, 0), FL_EINVAL);
	fl_pca_clear(&p);
	free(x);
	free(z);
	free(dense);
}

/* The chain fl__rows_times defines: z = sum over k in order, one rounding
 * a step (fused where the build fuses). */
static float chain(const float *x, const float *bt, int64_t d, int64_t lb, int64_t j)
{
	float acc = 0;

	for (int64_t k = 0; k < d; k++)
#ifdef __FMA__
		acc = fmaf(x[k], bt[k * lb + j], acc);
#else
		acc = x[k] * bt[k * lb + j] + acc;
#endif
	return acc;
}

static void test_rows_times(uint64_t *st)
{
	/* r: a whole strip, strips and a part, a part alone; m not a multiple of 6 */
	static const int64_t rs[] = {16, 37, 5, 128};
	int64_t m = 203, d = 71;
	float *x = malloc((size_t)(m * d) * sizeof(float));

	for (int64_t q = 0; q < m * d; q++)
		x[q] = (float)(check_uniform(st) * 4 - 2);
	for (size_t t = 0; t < sizeof rs / sizeof rs[0]; t++) {
		int64_t r = rs[t], lb = FL_ROWS_TIMES_LD(r), ldz = r + 3, differ = 0, other = 0;
		float *bt = calloc((size_t)(d * lb), sizeof(float));
		float *z = malloc((size_t)(m * ldz) * sizeof(float)), *y = malloc((size_t)(m * ldz) * sizeof(float));
		double worst = 0;

		for (int64_t k = 0; k < d; k++)
			for (int64_t j = 0; j < r; j++)
				bt[k * lb + j] = (float)(check_uniform(st) - 0.5);
		fl__rows_times(z, ldz, x, m, d, bt, r);
		for (int64_t i = 0; i < m; i++)
			for (int64_t j = 0; j < r; j++) {
				double v = 0;

				for (int64_t k = 0; k < d; k++)
					v += (double)x[i * d + k] * bt[k * lb + j];
				worst = fmax(worst, fabs(z[i * ldz + j] - v));
				differ += z[i * ldz + j] != chain(x + i * d, bt, d, lb, j);
			}
		/* the same rows one at a time, then in groups of 7 from row 1 (a
		 * tile of 6 and a row alone each: rows in other places than in the
		 * whole call) */
		for (int64_t i = 0; i < m; i++)
			fl__rows_times(y + i * ldz, ldz, x + i * d, 1, d, bt, r);
		for (int64_t i = 0; i < m; i++)
			differ += memcmp(y + i * ldz, z + i * ldz, (size_t)r * sizeof(float)) != 0;
		fl__rows_times(y, ldz, x, 1, d, bt, r);
		for (int64_t i = 1; i < m; i += 7)
			fl__rows_times(y + i * ldz, ldz, x + i * d, m - i < 7 ? m - i : 7, d, bt, r);
		for (int64_t i = 0; i < m; i++)
			differ += memcmp(y + i * ldz, z + i * ldz, (size_t)r * sizeof(float)) != 0;
		/* sgemm on the same rows one at a time: not always the same bits */
		for (int64_t i = 0; i < m; i++)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, (int)r, (int)d, 1.0f,
				    x + i * d, (int)d, bt, (int)lb, 0.0f, y + i * ldz, (int)ldz);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)r, (int)d, 1.0f, x,
			    (int)d, bt, (int)lb, 0.0f, z, (int)ldz);
		for (int64_t i = 0; i < m; i++)
			other += memcmp(y + i * ldz, z + i * ldz, (size_t)r * sizeof(float)) != 0;
		printf("rows_times %lld x %lld x %lld: largest error %.2g, %lld values off the chain "
		       "or off the row's own bits; sgemm: %lld of %lld rows differ alone\n",
		       (long long)m, (long long)d, (long long)r, worst, (long long)differ,
		       (long long)other, (long long)m);
		CHECK(worst < 1e-4);
		CHECK_EQ_INT(differ, 0);
		free(bt);
		free(z);
		free(y);
	}
	free(x);
}

/* A row projected alone, in a subset or with every row: the same bits. */
static void test_transform_rows(uint64_t *st)
{
	int64_t n = 1031, d = 150, r = 21, differ = 0;
	float *x = lowrank(n, d, r, 20, 0.8, 0.5, st);
	float *z = malloc((size_t)(n * r) * sizeof(float)), *y = malloc((size_t)(n * r) * sizeof(float));
	int64_t *rows = malloc((size_t)n * sizeof(int64_t)), m = 0;
	fl_pca p;
	fl_pca_opts o = FL_PCA_OPTS_INIT;

	o.n_components = (int32_t)r;
	CHECK_RC(fl_pca_fit(&p, x, n, d, d, &o), 0);
	CHECK_RC(fl_pca_transform(z, r, &p, x, n, d, 2), 0);
	for (int64_t i = n - 1; i >= 0; i -= 1 + i % 5) /* a subset, in no order */
		rows[m++] = i;
	CHECK_RC(fl_pca__transform(&p, x, rows, m, d, 1, y, r, NULL), 0);
	for (int64_t q = 0; q < m; q++)
		differ += memcmp(y + q * r, z + rows[q] * r, (size_t)r * sizeof(float)) != 0;
	for (int64_t i = 0; i < n; i += 7) {
		CHECK_RC(fl_pca_transform(y, r, &p, x + i * d, 1, d, 1), 0);
		differ += memcmp(y, z + i * r, (size_t)r * sizeof(float)) != 0;
	}
	printf("transform: %lld rows projected apart differ from the same rows projected together\n",
	       (long long)differ);
	CHECK_EQ_INT(differ, 0);
	fl_pca_clear(&p);
	free(x);
	free(z);
	free(y);
	free(rows);
}

static void test_invalid(void)
{
	float x[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
	fl_pca p;
	fl_pca_opts o = FL_PCA_OPTS_INIT;

	CHECK_RC(fl_pca_fit(NULL, x, 4, 3, 3, NULL), FL_EINVAL);
	CHECK_RC(fl_pca_fit(&p, NULL, 4, 3, 3, NULL), FL_EINVAL);
	CHECK(p.mean == NULL);
	CHECK_RC(fl_pca_fit(&p, x, 1, 3, 3, NULL), FL_EINVAL);
	CHECK_RC(fl_pca_fit(&p, x, 4, 3, 2, NULL), FL_EINVAL);
	o.n_components = 0;
	CHECK_RC(fl_pca_fit(&p, x, 4, 3, 3, &o), FL_EINVAL);
	o.n_components = 2;
	o.max_rows = 1;
	CHECK_RC(fl_pca_fit(&p, x, 4, 3, 3, &o), FL_EINVAL);
	o.max_rows = 0;
	o.rank_tol = 1;
	CHECK_RC(fl_pca_fit(&p, x, 4, 3, 3, &o), FL_EINVAL);
	o.rank_tol = 0;
	o.version = 2;
	CHECK_RC(fl_pca_fit(&p, x, 4, 3, 3, &o), FL_EINVAL);
	o.version = FL_PCA_OPTS_VERSION;
	/* a NaN is named by row and column */
	x[7] = NAN;
	CHECK_RC(fl_pca_fit(&p, x, 4, 3, 3, &o), FL_ERANGE);
	CHECK(strstr(fl_last_error(), "row 2, column 1") != NULL);
	x[7] = 7;
	/* 2 rows span one centred direction */
	CHECK_RC(fl_pca_fit(&p, x, 2, 3, 3, &o), 0);
	CHECK_EQ_INT(p.r, 1);
	fl_pca_clear(&p);
	fl_pca_clear(NULL);
}

int main(void)
{
	uint64_t seed = check_seed(1), st = seed;

	test_exact(&st);
	test_randomized(&st);
	test_subset(&st);
	test_rank(&st);
	test_transform(&st);
	test_rows_times(&st);
	test_transform_rows(&st);
	test_invalid();
	return check_done();
}
