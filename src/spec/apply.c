/*
 * Applying slice specs (faultline/spec.h). A spec is parsed with cJSON
 * (Debian's libcjson) and evaluated row by row; every failure names the
 * field, view or column at fault.
 */
#include "spec_internal.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

static const cJSON *field(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

static int need_number(double *out, const cJSON *o, const char *name, const char *type)
{
	const cJSON *f = field(o, name);

	if (!cJSON_IsNumber(f))
		return fl__error(FL_EFORMAT, "%s spec: \"%s\" missing or not a number", type, name);
	*out = f->valuedouble;
	return FL_OK;
}

/* The view named by the spec, with the dimension of its vector. */
static int find_view(const fl_spec_view **out, const fl_spec_data *d, const cJSON *spec,
		     int64_t dim, const char *type)
{
	const cJSON *name = field(spec, "view");

	if (!cJSON_IsString(name))
		return fl__error(FL_EFORMAT, "%s spec: \"view\" missing", type);
	for (int32_t v = 0; v < d->n_views; v++) {
		if (strcmp(d->views[v].name, name->valuestring) != 0)
			continue;
		if (d->views[v].dim != dim)
			return fl__error(FL_EINVAL, "view %s has %lld dimensions, the %s spec %lld",
					 name->valuestring, (long long)d->views[v].dim, type,
					 (long long)dim);
		*out = &d->views[v];
		return FL_OK;
	}
	return fl__error(FL_EINVAL, "the %s spec needs view %s, which was not given", type,
			 name->valuestring);
}

/* A float vector field; *out is owned by the caller. */
static int vector(float **out, int64_t *len, const cJSON *spec, const char *name, const char *type)
{
	const cJSON *arr = field(spec, name), *e;
	int64_t i = 0;

	*out = NULL;
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1)
		return fl__error(FL_EFORMAT, "%s spec: \"%s\" missing or empty", type, name);
	*len = cJSON_GetArraySize(arr);
	if (!(*out = fl__malloc((size_t)*len * sizeof **out, "spec vector")))
		return FL_ENOMEM;
	cJSON_ArrayForEach(e, arr) {
		if (!cJSON_IsNumber(e)) {
			free(*out);
			*out = NULL;
			return fl__error(FL_EFORMAT, "%s spec: \"%s\"[%lld] is not a number", type,
					 name, (long long)i);
		}
		(*out)[i++] = (float)e->valuedouble;
	}
	return FL_OK;
}

/* Row x of a view, L2-normalised into buf when asked. */
static const float *row_of(const fl_spec_view *v, int64_t r, int normalize, float *buf)
{
	const float *x = v->x + r * v->dim;
	double nrm = 0;

	if (!normalize)
		return x;
	for (int64_t j = 0; j < v->dim; j++)
		nrm += (double)x[j] * x[j];
	nrm = nrm > 0 ? 1.0 / sqrt(nrm) : 0;
	for (int64_t j = 0; j < v->dim; j++)
		buf[j] = (float)(x[j] * nrm);
	return buf;
}

/* w.x and |x - c|^2 in double, in four running sums (one order, fixed by
 * dim alone: the same bits for a row wherever it is evaluated). */
static double dot(const float *w, const float *x, int64_t dim)
{
	double a[4] = {0, 0, 0, 0};
	int64_t j = 0;

	for (; j + 4 <= dim; j += 4)
		for (int k = 0; k < 4; k++)
			a[k] += (double)w[j + k] * x[j + k];
	for (; j < dim; j++)
		a[0] += (double)w[j] * x[j];
	return (a[0] + a[1]) + (a[2] + a[3]);
}

static double dist2(const float *c, const float *x, int64_t dim)
{
	double a[4] = {0, 0, 0, 0};
	int64_t j = 0;

	for (; j + 4 <= dim; j += 4)
		for (int k = 0; k < 4; k++) {
			double e = (double)x[j + k] - c[j + k];

			a[k] += e * e;
		}
	for (; j < dim; j++)
		a[0] += ((double)x[j] - c[j]) * ((double)x[j] - c[j]);
	return (a[0] + a[1]) + (a[2] + a[3]);
}

/* dot(w, x) + bias >= threshold, as in double (dot), decided in float where
 * the float dot is further from the threshold than its error: dim float
 * products summed in any order are within (dim + 1) u sum |w_j x_j| of the
 * exact dot (u = 2^-24), and dot() within dim 2^-53 of it; the bound used
 * is twice their sum, plus the rounding of the double additions. A row
 * within it, or anything not finite, is decided by dot(). */
static void float_dot(float fa[2], const float *w, const float *x, int64_t dim)
{
	float f = 0, a = 0;

#pragma omp simd reduction(+ : f, a)
	for (int64_t j = 0; j < dim; j++) {
		float p = w[j] * x[j];

		f += p;
		a += fabsf(p);
	}
	fa[0] = f;
	fa[1] = a;
}

/* 1 or 0 from the float dot and sum of |products| (fa, float_dot), or -1
 * when they leave it to dot() (the bound holds for any order of the float
 * sums, so products computed elsewhere decide the same) */
static int decided(const float fa[2], int64_t dim, double bias, double threshold)
{
	double t = (double)fa[0] + bias - threshold;
	double slack = 4.0 * (double)(dim + 2) * ldexp(1.0, -24) * (double)fa[1] +
		       ldexp(1.0, -48) * (fabs((double)fa[0]) + fabs(bias) + fabs(threshold));

	return t > slack ? 1 : t < -slack ? 0 : -1;
}

static int at_least(const float *w, const float *x, int64_t dim, double bias, double threshold)
{
	float fa[2];
	int k;

	float_dot(fa, w, x, dim);
	k = decided(fa, dim, bias, threshold);
	return k >= 0 ? k : dot(w, x, dim) + bias >= threshold;
}

/* The index of the centroid nearest x (ties to the lowest); -1 when none given. */
static int64_t nearest(const float *c, int64_t k, int64_t dim, const float *x)
{
	int64_t best = -1;
	double best_d = INFINITY;

	for (int64_t s = 0; s < k; s++) {
		double d2 = dist2(c + s * dim, x, dim);

		if (d2 < best_d) {
			best_d = d2;
			best = s;
		}
	}
	return best;
}

/* centroid: within radius (and nearest its own centroid); direction: w.x + b >= threshold (label given). */
/* The cache key of a k-means run's centroids (or a direction's weights, k
 * = 1) in view v: every byte of them. */
static char *vectors_key(const char *what, const fl_spec_view *v, int normalize, const float *c,
			 int64_t k, int64_t dim)
{
	const unsigned char *b = (const unsigned char *)c;
	size_t len = (size_t)(k * dim) * sizeof *c, h = 0;
	fl_strbuf s = {0};
	char hex[513];

	fl__sb_printf(&s, "%s:%zu:%s:%d:%lld:%lld:", what, strlen(v->name), v->name, normalize,
		      (long long)k, (long long)dim);
	for (size_t i = 0; i < len; i++) { /* in chunks: one printf per 256 bytes */
		hex[h++] = "0123456789abcdef"[b[i] >> 4];
		hex[h++] = "0123456789abcdef"[b[i] & 15];
		if (h == 512 || i + 1 == len) {
			hex[h] = 0;
			fl__sb_printf(&s, "%s", hex);
			h = 0;
		}
	}
	return fl__sb_finish(&s, "centroids key");
}

/* rows[0..m) of a view (NULL: 0..m-1) in its row groups (fl__layout_view):
 * with several ranks, this one's are the positions [*i0, *i1), its own rows */
static void own_rows(fl__layout *lay, const int64_t *rows, int64_t m, int64_t *i0, int64_t *i1)
{
	int64_t g0, g1;

	fl__layout_view(lay, m, NULL, rows, 1);
	fl__layout_share(lay, &g0, &g1);
	*i0 = lay->first[g0];
	*i1 = lay->first[g1];
}

/* nearest() for rows[0..m) (all rows when NULL) of view v, the same
 * answers, screened by float32 GEMM: per block of rows, the distances
 * |x|^2 + |c|^2 - 2 x.c with x.c from one sgemm, whose error is at most
 * ERR_BOUND x |x| |c| (a dot of dim float products, summed in any order:
 * dim u |x| |c|, u = 2^-24, doubled for safety). Only the centroids within
 * twice that bound of the nearest so found can be the nearest exactly;
 * nearest() decides among them, in index order, when there are two or
 * more (a lone one is the nearest: its exact distance is not needed). */
#define SCREEN_ROWS 256

static int nearest_screened(int32_t *near, const float *c, int64_t k, int64_t dim,
			    const fl_spec_view *v, const int64_t *rows, int64_t m, int normalize,
			    int threads)
{
	int64_t n_blocks, s0, s1;
	fl__layout lay;
	double *cn = fl__malloc((size_t)(k ? k : 1) * sizeof *cn, "centroid norms");
	float *xb = fl__malloc((size_t)threads * SCREEN_ROWS * (size_t)dim * sizeof *xb, "spec rows");
	float *dots = fl__malloc((size_t)threads * SCREEN_ROWS * (size_t)(k ? k : 1) * sizeof *dots,
				 "spec distances");
	double err = 2.0 * (double)dim * ldexp(1.0, -24), cmax = 0;

	if (!cn || !xb || !dots) {
		free(cn);
		free(xb);
		free(dots);
		return FL_ENOMEM;
	}
	for (int64_t s = 0; s < k; s++) {
		cn[s] = 0;
		for (int64_t j = 0; j < dim; j++)
			cn[s] += (double)c[s * dim + j] * c[s * dim + j];
		cmax = cn[s] > cmax ? cn[s] : cmax;
	}
	cmax = sqrt(cmax);
	/* with several ranks, each the rows of its own range (a row's answer
	 * does not depend on its block), then exchanged */
	own_rows(&lay, rows, m, &s0, &s1);
	n_blocks = (s1 - s0 + SCREEN_ROWS - 1) / SCREEN_ROWS;
	fl__blas_single_enter();
#pragma omp parallel for num_threads(threads) schedule(static)
	for (int64_t b = 0; b < n_blocks; b++) {
		int t = omp_get_thread_num();
		int64_t i0 = s0 + b * SCREEN_ROWS, nb = s1 - i0 < SCREEN_ROWS ? s1 - i0 : SCREEN_ROWS;
		float *x = xb + (size_t)t * SCREEN_ROWS * (size_t)dim;
		float *dt = dots + (size_t)t * SCREEN_ROWS * (size_t)k;

		for (int64_t r = 0; r < nb; r++) {
			const float *src = row_of(v, rows ? rows[i0 + r] : i0 + r, normalize, x + r * dim);

			if (rows && i0 + r + FL_PREFETCH_ROWS < s1)
				fl__prefetch(v->x + rows[i0 + r + FL_PREFETCH_ROWS] * v->dim,
					     (size_t)dim * sizeof(float));

			if (src != x + r * dim)
				memcpy(x + r * dim, src, (size_t)dim * sizeof *x);
		}
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)k, (int)dim, 1.0f,
			    x, (int)dim, c, (int)dim, 0.0f, dt, (int)k);
		for (int64_t r = 0; r < nb; r++) {
			const float *xr = x + r * dim, *dr = dt + r * k;
			double xn, best = INFINITY, bound, exact = INFINITY;
			int64_t pick = -1, live = 0;
			float xf = 0;

			/* |x|^2 in float (within dim u of it), enlarged by twice that: it
			 * shifts every distance of the row alike and only sizes the bound */
#pragma omp simd reduction(+ : xf)
			for (int64_t j = 0; j < dim; j++)
				xf += xr[j] * xr[j];
			xn = (double)xf * (1.0 + 2.0 * (double)dim * ldexp(1.0, -24));
			for (int64_t s = 0; s < k; s++) {
				double d2 = xn + cn[s] - 2.0 * (double)dr[s];

				best = d2 < best ? d2 : best;
			}
			bound = 2.0 * 2.0 * err * sqrt(xn) * cmax; /* two dots, each within err */
			for (int64_t s = 0; s < k; s++)
				if (!(xn + cn[s] - 2.0 * (double)dr[s] > best + bound)) {
					live++;
					pick = s;
				}
			/* one centroid within the bound: it is the nearest, no exact
			 * distance needed; else (or not finite) nearest() among them */
			if (live != 1 || !isfinite(best + bound)) {
				pick = -1;
				for (int64_t s = 0; s < k; s++) {
					double e;

					if (xn + cn[s] - 2.0 * (double)dr[s] > best + bound)
						continue;
					e = dist2(c + s * dim, xr, dim);
					if (e < exact) {
						exact = e;
						pick = s;
					}
				}
			}
			near[i0 + r] = (int32_t)pick;
		}
	}
	fl__blas_single_leave();
	fl__layout_gather(&lay, near, sizeof *near);
	free(cn);
	free(xb);
	free(dots);
	return FL_OK;
}

/* The nearest centroid of every row, from the cache or computed (and kept). */
static int nearest_rows(const int32_t **out, fl_spec_cache **cache, const fl_spec_data *d,
			const fl_spec_view *v, int normalize, const float *c, int64_t k, int64_t dim,
			const int64_t *rows, int64_t m, int threads)
{
	char *key = vectors_key("centroids", v, normalize, c, k, dim);
	int32_t *near, kk;
	int rc;

	if (!key)
		return FL_ENOMEM;
	if ((*out = fl_spec__cache_find(cache, key, d, rows, m, &kk))) {
		free(key);
		return 0;
	}
	if (!(near = fl__malloc((size_t)(m ? m : 1) * sizeof *near, "nearest centroids"))) {
		free(key);
		return FL_ENOMEM;
	}
	if ((rc = nearest_screened(near, c, k, dim, v, rows, m, normalize, threads))) {
		free(key);
		free(near);
		return rc;
	}
	if ((rc = fl_spec__cache_add(cache, d, rows, m, key, near, (int32_t)k))) {
		free(key);
		free(near);
		return rc;
	}
	*out = near;
	return 0;
}

/* Every row's float_dot with a direction's weights w, from the cache or
 * computed (this rank's rows; kept): the slices of one direction differ by
 * their threshold alone, and each read the view's rows again. */
static int direction_products(const float **out, fl_spec_cache **cache, const fl_spec_data *d,
			      const fl_spec_view *v, int normalize, const float *w, int64_t dim,
			      const int64_t *rows, int64_t m, int threads)
{
	char *key = vectors_key("direction", v, normalize, w, 1, dim);
	float *fa, *buf;
	int64_t i0, i1;
	fl__layout lay;
	int32_t k;
	int rc;

	if (!key)
		return FL_ENOMEM;
	if ((*out = fl_spec__cache_find(cache, key, d, rows, m, &k))) {
		free(key);
		return 0;
	}
	fa = fl__malloc(2 * (size_t)(m ? m : 1) * sizeof *fa, "direction products");
	buf = fl__malloc((size_t)(normalize ? threads * dim : 1) * sizeof *buf, "spec row");
	if (!fa || !buf) {
		free(key);
		free(fa);
		free(buf);
		return FL_ENOMEM;
	}
	own_rows(&lay, rows, m, &i0, &i1); /* several ranks: the rows of this one's range */
#pragma omp parallel for num_threads(threads) schedule(static) if (m * dim > 1 << 18)
	for (int64_t i = i0; i < i1; i++) {
		if (rows && i + FL_PREFETCH_ROWS < i1)
			fl__prefetch(v->x + rows[i + FL_PREFETCH_ROWS] * v->dim,
				     (size_t)dim * sizeof(float));
		float_dot(fa + 2 * i, w, row_of(v, rows ? rows[i] : i, normalize,
						 buf + (normalize ? omp_get_thread_num() * dim : 0)), dim);
	}
	free(buf);
	if ((rc = fl_spec__cache_add(cache, d, rows, m, key, fa, 1))) {
		free(key);
		free(fa);
		return rc;
	}
	*out = fa;
	return 0;
}

static int apply_linear(uint8_t *member, const cJSON *spec, const fl_spec_data *d,
			const int64_t *rows, int64_t m, int is_direction, fl_spec_cache **cache)
{
	const char *type = is_direction ? "direction" : "centroid";
	const fl_spec_view *v = NULL;
	const cJSON *lab = field(spec, "label");
	float *w = NULL, *buf = NULL, *others = NULL;
	const float *prod = NULL;
	const int32_t *near = NULL;
	double cut = 0, bias = 0;
	int64_t dim = 0, label = -1, n_others = 0, own = -1, i0, i1;
	fl__layout lay;
	int normalize = cJSON_IsTrue(field(spec, "normalize")), threads, rc;

	if ((rc = vector(&w, &dim, spec, is_direction ? "weights" : "centroid", type)) ||
	    (rc = need_number(&cut, spec, is_direction ? "threshold" : "radius", type)) ||
	    (is_direction && (rc = need_number(&bias, spec, "bias", type))) ||
	    (rc = find_view(&v, d, spec, dim, type)))
		goto cleanup;
	if (is_direction && lab && !cJSON_IsNull(lab)) {
		if (fl_spec__integer(lab, 0, INT64_C(1) << 53, &label) != 0) {
			rc = fl__error(FL_EFORMAT, "direction spec: \"label\" is not a class (an "
				       "integer >= 0)");
			goto cleanup;
		}
		if (!d->labels) {
			rc = fl__error(FL_EINVAL, "the direction spec of label %lld needs labels",
				       (long long)label);
			goto cleanup;
		}
	}
	threads = d->version >= 3 && d->threads > 0 ? d->threads : omp_get_max_threads();
	/* a normalised row for each thread */
	if (!(buf = fl__malloc((size_t)(normalize ? threads * dim : 1) * sizeof *buf, "spec row"))) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	/* k-means: also nearest to its own centroid among the run's ("centroids") */
	if (!is_direction && cJSON_IsArray(field(spec, "centroids"))) {
		const cJSON *row, *e;
		int64_t j = 0;

		n_others = cJSON_GetArraySize(field(spec, "centroids"));
		if (fl_spec__integer(field(spec, "component"), 0, n_others - 1, &own) != 0)
			own = -1;
		/* every row checked before allocating n_others x dim floats: a
		 * hostile spec must not make its size squared */
		cJSON_ArrayForEach(row, field(spec, "centroids")) {
			int numbers = cJSON_IsArray(row) && cJSON_GetArraySize(row) == dim;

			cJSON_ArrayForEach(e, row)
				numbers = numbers && cJSON_IsNumber(e);
			if (!numbers || own < 0) {
				rc = fl__error(FL_EFORMAT, "centroid spec: \"centroids\" must be %lld rows "
					       "of %lld numbers, with \"component\" one of them",
					       (long long)n_others, (long long)dim);
				goto cleanup;
			}
		}
		if (!(others = fl__malloc((size_t)(n_others * dim) * sizeof *others, "centroids"))) {
			rc = FL_ENOMEM;
			goto cleanup;
		}
		cJSON_ArrayForEach(row, field(spec, "centroids"))
			cJSON_ArrayForEach(e, row)
				others[j++] = (float)e->valuedouble;
	}
	/* with a cache, the nearest centroid of each row once for all the run's clusters */
	if (others && cache && (rc = nearest_rows(&near, cache, d, v, normalize, others, n_others, dim,
						  rows, m, threads)))
		goto cleanup;
	if (is_direction && cache &&
	    (rc = direction_products(&prod, cache, d, v, normalize, w, dim, rows, m, threads)))
		goto cleanup;
	/* rows apart: the same bits whatever the threads; with several ranks
	 * each the rows of its range (the same as direction_products'), then
	 * exchanged */
	own_rows(&lay, rows, m, &i0, &i1);
#pragma omp parallel for num_threads(threads) schedule(static) if (m * dim > 1 << 18)
	for (int64_t i = i0; i < i1; i++) {
		int64_t r = rows ? rows[i] : i;
		const float *x;
		int k;

		if ((near && near[i] != own) || (is_direction && label >= 0 && d->labels[r] != label)) {
			member[i] = 0;
			continue;
		}
		if (prod && (k = decided(prod + 2 * i, dim, bias, cut)) >= 0) {
			member[i] = (uint8_t)k;
			continue;
		}
		x = row_of(v, r, normalize, buf + (normalize ? omp_get_thread_num() * dim : 0));
		if (is_direction)
			member[i] = at_least(w, x, dim, bias, cut);
		else
			member[i] = sqrt(dist2(w, x, dim)) <= cut &&
				    (near || nearest(others, n_others, dim, x) == own);
	}
	fl__layout_gather(&lay, member, 1);
cleanup:
	free(w);
	free(buf);
	free(others);
	return rc;
}

/* One value a predicate compares a cell with, resolved against its
 * column: a number, a level code, a class; or nothing the column holds. */
typedef struct value {
	enum { V_NONE, V_NUM, V_CODE } kind;
	double x;       /* V_NUM */
	int64_t code;   /* V_CODE: a level code, or a class of a derived column */
} value;

/* One predicate of a spec, resolved against the data once. */
typedef struct pred {
	int64_t col;             /* its table column; -1 for a derived one */
	const int64_t *classes;  /* a derived column: the labels or the predictions */
	enum { P_RANGE, P_EQ, P_NE, P_SET, P_MISSING } kind;
	double lo, hi;           /* P_RANGE: lo <= x < hi, an infinite end open */
	value one;                 /* P_EQ, P_NE */
	value *set;                /* P_SET: n_set values (owned) */
	int32_t n_set;
} pred;

/* The bytes the hexadecimal text `hex` spells (the caller's), or NULL:
 * odd length, not hex, or a NUL byte (FL_EFORMAT naming `key` in *rc). */
static char *from_hex(const char *hex, const char *key, int *rc)
{
	size_t len = strlen(hex);
	char *out;

	if (len % 2 || !(out = fl__malloc(len / 2 + 1, "spec text"))) {
		*rc = len % 2 ? fl__error(FL_EFORMAT, "predicates spec: \"%s\" is not hexadecimal", key)
			      : FL_ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < len / 2; i++) {
		unsigned v = 0;

		for (int k = 0; k < 2; k++) {
			char c = hex[2 * i + (size_t)k];
			int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
				c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

			v = v * 16 + (unsigned)d;
			if (d < 0 || (v == 0 && k == 1)) { /* not hex, or a NUL byte */
				free(out);
				*rc = fl__error(FL_EFORMAT, "predicates spec: \"%s\" is not the "
						"hexadecimal of a text", key);
				return NULL;
			}
		}
		out[i] = (char)v;
	}
	out[len / 2] = '\0';
	return out;
}

/* The text of string field `name`, or the bytes of its "<name>_hex"
 * sibling when given (values that are not UTF-8 are written so); *owned
 * is the caller's when set. NULL when there is neither (or bad hex, with
 * FL_EFORMAT recorded in *rc). */
static const char *text_field(const cJSON *o, const char *name, char **owned, int *rc)
{
	char key[32];
	const cJSON *f = field(o, name), *h;

	*owned = NULL;
	snprintf(key, sizeof key, "%s_hex", name);
	h = field(o, key);
	if (!cJSON_IsString(h))
		return cJSON_IsString(f) ? f->valuestring : NULL;
	return *owned = from_hex(h->valuestring, key, rc);
}

/* JSON value v (its text in `text` when a string: the hex form already
 * decoded) as a value of column col: a number or "inf"/"-inf" on a numeric
 * column, true/false on a boolean one, a level on a categorical one; any
 * other (a value of another type) is V_NONE and matches no row. */
static value value_of(const cJSON *v, const char *text, const fl_table *t, int64_t col)
{
	fl_coltype type = fl_table_col_type(t, col);
	value out = {V_NONE, 0, -1};

	if (type == FL_COL_NUMERIC) {
		if (cJSON_IsNumber(v))
			out = (value){V_NUM, v->valuedouble, -1};
		else if (text && (!strcmp(text, "inf") || !strcmp(text, "-inf")))
			out = (value){V_NUM, text[0] == '-' ? -INFINITY : INFINITY, -1};
	} else if (type == FL_COL_BOOLEAN) {
		if (cJSON_IsBool(v))
			out = (value){V_CODE, 0, cJSON_IsTrue(v)};
	} else if (text) {
		for (int32_t c = 0; c < fl_table_nlevels(t, col) && out.kind == V_NONE; c++)
			if (strcmp(fl_table_level(t, col, c), text) == 0)
				out = (value){V_CODE, 0, c};
	}
	return out;
}

/* The values of an "in_set" predicate on table column col (values_hex,
 * when given, holds the same values' bytes). */
static int set_values(pred *out, const cJSON *p, const fl_table *t, int64_t col)
{
	const cJSON *vals = field(p, "values"), *hex = field(p, "values_hex"), *e;
	int32_t k = 0;
	int rc = FL_OK;

	out->n_set = cJSON_GetArraySize(vals);
	if (!(out->set = fl__calloc((size_t)out->n_set + 1, sizeof *out->set, "spec values")))
		return FL_ENOMEM;
	cJSON_ArrayForEach(e, vals) {
		const cJSON *h = cJSON_IsArray(hex) ? cJSON_GetArrayItem(hex, k) : NULL;
		char *owned = cJSON_IsString(h) ? from_hex(h->valuestring, "values_hex", &rc) : NULL;

		if (rc)
			return rc;
		out->set[k++] = value_of(e, owned ? owned : cJSON_IsString(e) ? e->valuestring : NULL,
					 t, col);
		free(owned);
	}
	return FL_OK;
}

/* A class (or classes) of a derived column, as values. */
static int class_values(pred *out, const cJSON *p)
{
	const cJSON *cls = field(p, out->kind == P_SET ? "classes" : "class"), *e;
	int32_t k = 0;

	if (out->kind != P_SET) {
		out->one = (value){V_CODE, 0, (int64_t)cls->valuedouble};
		return FL_OK;
	}
	out->n_set = cJSON_GetArraySize(cls);
	if (!(out->set = fl__calloc((size_t)out->n_set + 1, sizeof *out->set, "spec values")))
		return FL_ENOMEM;
	cJSON_ArrayForEach(e, cls)
		out->set[k++] = (value){V_CODE, 0, (int64_t)e->valuedouble};
	return FL_OK;
}

/* Resolve predicate p of a spec against the data (its shape already
 * checked: fl_spec__check). A value of another type than the column's
 * selects no row; a range on a column that is not numeric is malformed;
 * a derived column (the true or predicted class) needs the labels or the
 * predictions. */
static int resolve(pred *out, const cJSON *p, const fl_spec_data *d)
{
	const cJSON *op = field(p, "op"), *val = field(p, "value"), *der = field(p, "derived");
	const char *name, *text, *o;
	char *owned = NULL;
	int rc = FL_OK;

	memset(out, 0, sizeof *out);
	if (!(name = text_field(p, "column", &owned, &rc)))
		return rc ? rc : fl__error(FL_EFORMAT, "predicates spec: a predicate has no \"column\"");
	o = cJSON_IsString(op) ? op->valuestring : "";
	out->kind = !strcmp(o, "in") ? P_RANGE : !strcmp(o, "in_set") ? P_SET :
		    !strcmp(o, "!=") ? P_NE : cJSON_IsNull(val) ? P_MISSING : P_EQ;
	out->col = -1;
	if (cJSON_IsString(der)) {
		int is_label = !strcmp(der->valuestring, "label");

		out->classes = is_label ? d->labels : d->version >= 2 ? d->preds : NULL;
		if (!out->classes)
			rc = fl__error(FL_EINVAL, "the predicates spec's column %s is the %s class of "
				       "each row: the data have no %s", name,
				       is_label ? "true" : "predicted", is_label ? "labels" : "predictions");
		else if (out->kind == P_RANGE || out->kind == P_MISSING)
			rc = fl__error(FL_EFORMAT, "predicates spec: the predicate on column %s is "
				       "malformed or does not fit its type", name);
		free(owned);
		return rc ? rc : class_values(out, p);
	}
	if (!d->table)
		rc = fl__error(FL_EINVAL, "the predicates spec needs a metadata table (column %s)", name);
	else if ((out->col = fl_table_find(d->table, name)) < 0)
		rc = fl__error(FL_EINVAL, "the predicates spec needs column %s, which the metadata lack",
			       name);
	else if ((strcmp(o, "in") && strcmp(o, "==") && strcmp(o, "!=") && strcmp(o, "in_set")) ||
		 ((out->kind == P_EQ || out->kind == P_NE) && !val) ||
		 (out->kind == P_NE && cJSON_IsNull(val)) ||
		 (out->kind == P_RANGE && !fl_table_numeric(d->table, out->col)) ||
		 (out->kind == P_SET && !cJSON_IsArray(field(p, "values"))))
		rc = fl__error(FL_EFORMAT, "predicates spec: the predicate on column %s "
			       "is malformed or does not fit its type", name);
	free(owned);
	if (rc)
		return rc;
	if (out->kind == P_RANGE) {
		const cJSON *lo = field(p, "low"), *hi = field(p, "high");

		out->lo = cJSON_IsNumber(lo) ? lo->valuedouble : -INFINITY;
		out->hi = cJSON_IsNumber(hi) ? hi->valuedouble : INFINITY;
	} else if (out->kind == P_SET) {
		return set_values(out, p, d->table, out->col);
	} else if (out->kind != P_MISSING) {
		if (!(text = cJSON_IsString(val) ? text_field(p, "value", &owned, &rc) : NULL) && rc)
			return rc;
		out->one = value_of(val, text, d->table, out->col);
		free(owned);
	}
	return FL_OK;
}

/* Does the (non-missing or missing) cell of row r equal value v? */
static int equals(const pred *p, const fl_table *t, int64_t r, const value *v)
{
	if (p->classes)
		return p->classes[r] == v->code;
	if (v->kind == V_NUM)
		return fl_table_numeric(t, p->col)[r] == v->x;
	return v->kind == V_CODE && fl_table_codes(t, p->col)[r] == v->code;
}

static int missing(const pred *p, const fl_table *t, int64_t r)
{
	const double *num;

	if (p->classes)
		return 0;
	num = fl_table_numeric(t, p->col);
	return num ? isnan(num[r]) : fl_table_codes(t, p->col)[r] < 0;
}

/* Does predicate p hold for row r? */
static int holds(const pred *p, const fl_table *t, int64_t r)
{
	switch (p->kind) {
	case P_RANGE: {
		double x = fl_table_numeric(t, p->col)[r];
		return !isnan(x) && x >= p->lo && (x < p->hi || p->hi == INFINITY);
	}
	case P_EQ:
		return equals(p, t, r, &p->one);
	case P_NE: /* has a value, and not this one */
		return !missing(p, t, r) && !equals(p, t, r, &p->one);
	case P_SET:
		for (int32_t k = 0; k < p->n_set; k++)
			if (equals(p, t, r, &p->set[k]))
				return 1;
		return 0;
	case P_MISSING:
		return missing(p, t, r);
	}
	return 0;
}

static int apply_predicates(uint8_t *member, const cJSON *spec, const fl_spec_data *d,
			    const int64_t *rows, int64_t m)
{
	const cJSON *list = field(spec, "predicates"), *p;
	int rc;

	if (!cJSON_IsArray(list))
		return fl__error(FL_EFORMAT, "predicates spec: \"predicates\" missing");
	memset(member, 1, (size_t)m);
	cJSON_ArrayForEach(p, list) {
		pred pr;

		rc = resolve(&pr, p, d);
		for (int64_t i = 0; rc == FL_OK && i < m; i++)
			if (member[i])
				member[i] = (uint8_t)holds(&pr, d->table, rows ? rows[i] : i);
		free(pr.set);
		if (rc)
			return rc;
	}
	return FL_OK;
}

int fl_spec_apply(uint8_t *member, const char *spec_json, const fl_spec_data *data,
		  const int64_t *rows, int64_t m)
{
	return fl_spec__apply_cached(member, spec_json, data, rows, m, NULL);
}

static int apply_one(uint8_t *member, const cJSON *spec, const fl_spec_data *data,
		     const int64_t *rows, int64_t m, fl_spec_cache **cache);

/* A row belongs when any spec of "of" selects it (checked: fl_spec__check). */
static int apply_any_of(uint8_t *member, const cJSON *spec, const fl_spec_data *data,
			const int64_t *rows, int64_t m, fl_spec_cache **cache)
{
	uint8_t *one = fl__malloc((size_t)(m ? m : 1), "slice rows");
	const cJSON *e;
	int rc = one ? FL_OK : FL_ENOMEM;

	memset(member, 0, (size_t)m);
	cJSON_ArrayForEach(e, field(spec, "of")) {
		if (rc || (rc = apply_one(one, e, data, rows, m, cache)))
			break;
		for (int64_t i = 0; i < m; i++)
			member[i] |= one[i];
	}
	free(one);
	return rc;
}

static int apply_one(uint8_t *member, const cJSON *spec, const fl_spec_data *data,
		     const int64_t *rows, int64_t m, fl_spec_cache **cache)
{
	const char *type = field(spec, "type")->valuestring;

	if (strcmp(type, "any_of") == 0)
		return apply_any_of(member, spec, data, rows, m, cache);
	if (strcmp(type, "centroid") == 0)
		return apply_linear(member, spec, data, rows, m, 0, cache);
	if (strcmp(type, "direction") == 0)
		return apply_linear(member, spec, data, rows, m, 1, cache);
	if (strcmp(type, "predicates") == 0)
		return apply_predicates(member, spec, data, rows, m);
	if (strcmp(type, "mixture_component") == 0)
		return fl_spec__apply_mixture(member, spec, data, rows, m, cache);
	return fl__error(FL_EUNSUP, "unknown slice spec type \"%s\"", type);
}

int fl_spec__apply_cached(uint8_t *member, const char *spec_json, const fl_spec_data *data,
			  const int64_t *rows, int64_t m, fl_spec_cache **cache)
{
	cJSON *spec;
	const cJSON *type;
	char why[160];
	int rc;

	if (!member || !spec_json || !data || data->version < 1 ||
	    data->version > FL_SPEC_DATA_VERSION || m < 0 ||
	    (!rows && m != data->n))
		return fl__error(FL_EINVAL, "a slice spec needs the spec, its data (version %d) and "
				 "the rows to test", FL_SPEC_DATA_VERSION);
	for (int64_t i = 0; rows && i < m; i++)
		if (rows[i] < 0 || rows[i] >= data->n)
			return fl__error(FL_EINVAL, "slice spec: row %lld is not one of the data's %lld",
					 (long long)rows[i], (long long)data->n);
	if (!(spec = cJSON_Parse(spec_json)))
		return fl__error(FL_EFORMAT, "slice spec is not valid JSON");
	type = field(spec, "type");
	if (fl_spec__check(spec, why, sizeof why) != 0)
		rc = fl__error(FL_EFORMAT, "slice spec: %s", why);
	else if (!cJSON_IsString(type))
		rc = fl__error(FL_EFORMAT, "slice spec has no \"type\"");
	else
		rc = apply_one(member, spec, data, rows, m, cache);
	cJSON_Delete(spec);
	return rc;
}
