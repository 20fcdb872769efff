/*
 * Baseline slice discovery: cluster the failing samples of a view with
 * k-means, then let each cluster claim the samples (failing or not) that are
 * nearer its centroid than any other and within its radius. Statistics are
 * measured on every sample of the region, so failures that gather only
 * because all samples gather there do not make a slice. This is the
 * clustering-of-errors baseline of the slice discovery literature (as in
 * the error-clustering baselines of Eyuboglu et al., "Domino", ICLR 2022).
 *
 * Choices (documented for users in faultline/cluster.h):
 *  - failing = failure == 1 for binary signals; for continuous ones the
 *    upper group of Otsu's split (1-D two-means, exact by sorting).
 *  - k = clamp(round(sqrt(n_fail / 2)), 4, 32), the rule of thumb of
 *    Mardia, Kent & Bibby, "Multivariate Analysis", 1979.
 *  - over-split clusters are merged back (merge_clusters).
 *  - radius = 1.25 x the 90th percentile of the distances of the cluster's
 *    own failing samples.
 *  - score = lower end of the 95% interval of the failure rate (Wilson for
 *    binary signals) / the overall rate.
 * Why the merge and the radius: on fl_synth data (20 seeds; defaults /
 * slices of spread 0.6 and error 0.4 / spread 1, six slices of 1%, base
 * error 0.1), the mean best Jaccard between planted and found slices was
 * 0.956 / 0.908 / 0.879 with neither, 0.981 / 0.931 / 0.878 with the radius,
 * 0.948 / 0.953 / 0.947 with the merge, 1.000 / 0.998 / 0.946 with both
 * (precision@10 >= 0.99 throughout). Radius factors 1.0 and 1.5 did worse.
 */
#include "candidate/candidate_internal.h"
#include "stats/stats_internal.h"
#include "kmeans_internal.h"

#include <omp.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* The radius rule: a cluster's region ends at CORE_SLACK x the CORE_QUANTILE
 * quantile (nearest rank) of its failing rows' distances: the failures it
 * was fitted to, with room for the passing rows between them. */
#define CORE_QUANTILE 0.9
#define CORE_SLACK 1.25f

/* Merge two clusters only when normality is not rejected at 1%. */
#define AD_CRITICAL 1.035
/* Pair tests per rank between two agreements of the ranks */
#define MERGE_BATCH 4
#define TEST_FAILED 1
#define TEST_PASSED 2

static int64_t core_rank(int64_t n_failing)
{
	return (int64_t)ceil(CORE_QUANTILE * (double)n_failing); /* 1-based */
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

/* Anderson-Darling statistic of m values against a normal with their own
 * mean and variance, with the small-sample correction of D'Agostino &
 * Stephens, "Goodness-of-fit techniques", 1986, table 4.7 (where 1.035 is
 * the 1% critical value). Sorts p. */
static double anderson_darling(double *p, int64_t m)
{
	double mean = 0, var = 0, a = 0;

	for (int64_t i = 0; i < m; i++)
		mean += p[i] / (double)m;
	for (int64_t i = 0; i < m; i++)
		var += (p[i] - mean) * (p[i] - mean) / (double)(m - 1);
	if (!(var > 0))
		return 0; /* one point repeated: nothing separates anything */
	qsort(p, (size_t)m, sizeof(double), fl__cmp_f64);
	for (int64_t i = 0; i < m; i++) {
		double lo = 0.5 * erfc(-(p[i] - mean) / sqrt(2 * var));
		double hi = 0.5 * erfc((p[m - 1 - i] - mean) / sqrt(2 * var));
		a += (2.0 * (double)i + 1) * (log(fmax(lo, 1e-300)) + log(fmax(hi, 1e-300)));
	}
	a = -(double)m - a / (double)m;
	return a * (1 + 0.75 / (double)m + 2.25 / ((double)m * (double)m));
}

typedef struct {
	double dist;
	int32_t a, b;
} pair;

static int cmp_pair(const void *x, const void *y)
{
	const pair *p = x, *q = y;

	if (p->dist != q->dist)
		return p->dist < q->dist ? -1 : 1;
	return p->a != q->a ? (p->a > q->a) - (p->a < q->a) : (p->b > q->b) - (p->b < q->b);
}

/* State of the merge: the failing rows, their clusters, and per cluster the
 * count, the sum of rows and the core radius. */
typedef struct {
	const fl_km_data *fd;
	int32_t *af;
	int64_t k;
	int64_t *cnt;
	double *sum;
	float *dist, *rad, *row, *scratch;
	double *axis; /* 2 x d */
	int64_t *half; /* the rows of a pair that estimate its axis */
	uint8_t *side; /* their side of the axis' two means */
	int threads;
} merge_ws;

/* Row i of the failing data as k-means saw it (normalised as in kmeans.c). */
static void load_row(const fl_km_data *p, int64_t i, float *out)
{
	int64_t row = p->rows ? p->rows[i] : i;
	const float *src = out;
	float scale = 1;

	if (p->codes)
		fl_mx_codes_row(p->codes, row, out);
	else
		src = p->x + row * p->ldx;
	if (p->normalize) {
		double s = 0;
		for (int64_t j = 0; j < p->d; j++)
			s += (double)src[j] * src[j];
		scale = s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
	}
#pragma omp simd /* in place when decoded: no alias check */
	for (int64_t j = 0; j < p->d; j++)
		out[j] = src[j] * scale;
}

/* distances of cluster c's rows (every cluster's when c < 0) to their
 * mean, and the core radii. Several ranks: each measures its share of the
 * rows, the distances are exchanged. */
static void merge_refresh(merge_ws *w, int32_t c)
{
	int64_t d = w->fd->d, nf = w->fd->n, i0, i1;

	fl__comm_share(nf, &i0, &i1);
	for (int64_t i = i0; i < i1; i++) {
		int32_t a = w->af[i];
		double t = 0;
		if (c >= 0 && a != c)
			continue;
		load_row(w->fd, i, w->row);
		for (int64_t j = 0; j < d; j++) {
			double u = w->row[j] - w->sum[a * d + j] / (double)w->cnt[a];
			t += u * u;
		}
		if (w->fd->extra2)
			t += w->fd->extra2[w->fd->rows ? w->fd->rows[i] : i];
		w->dist[i] = (float)sqrt(t);
	}
	fl__comm_gather_rows(w->dist, sizeof(float), nf, 1, nf, fl__comm_ranks(), NULL);
	for (int32_t a = c < 0 ? 0 : c; a < (c < 0 ? w->k : c + 1); a++) {
		int64_t m = 0;

		for (int64_t i = 0; i < nf; i++)
			if (w->af[i] == a)
				w->scratch[m++] = w->dist[i];
		qsort(w->scratch, (size_t)m, sizeof(float), cmp_float);
		w->rad[a] = m ? CORE_SLACK * w->scratch[core_rank(m) - 1] : 0;
	}
}

/* The projections to test for the pair (a, b): core rows alternate, within
 * each cluster, between the half that estimates the axis and the half that
 * is projected on it (fitting the axis on the rows it projects would make
 * any sample look bimodal in high dimension). The axis is the difference
 * of the two clusters' means over the first half; when that half has
 * AXIS_ROWS rows a dimension or more, of the two means of 2-means (Lloyd,
 * from those means) refitted on the first half alone. k-means chose its
 * split on every row, the projected half included, and leaves a dip along
 * its own axis in both halves: one Gaussian of 3000 or 6000 rows in 128
 * dimensions cut in two by k-means came back whole 5 to 8 times in 16
 * (Anderson-Darling about 1.1-1.2 along that axis, 0.17-0.49 along random
 * ones; at 1M x 128 a planted cluster came out in pieces); refitted, 12 to
 * 15 times (test_discover_kmeans). With fewer rows the refit follows the
 * half's own noise: the quality benchmark's sevens with a patch, 15 to 158
 * rows a cluster in 32 dimensions, merged into their neighbours. Returns
 * the count (0 when a side empties). */
#define AXIS_ROWS 8  /* core rows a dimension in the first half for the refit */
#define AXIS_ITER 10 /* the refit's mean computations (at most 9 reassignments) */

/* r . mu (d values) */
static double dot_mu(const float *r, const double *mu, int64_t d)
{
	double t = 0;

	for (int64_t j = 0; j < d; j++)
		t += r[j] * mu[j];
	return t;
}

/* Row r's side (0 or 1) after one reassignment to the nearer of the means
 * mu (2 x d; ties keep side); 1 when it moved. */
static int nearer(const float *r, const double *mu, int64_t d, uint8_t *side)
{
	double t0 = 0, t1 = 0;
	int g;

	for (int64_t j = 0; j < d; j++) {
		t0 += (r[j] - mu[j]) * (r[j] - mu[j]);
		t1 += (r[j] - mu[d + j]) * (r[j] - mu[d + j]);
	}
	g = t0 < t1 ? 0 : t1 < t0 ? 1 : *side;
	if (g == *side)
		return 0;
	*side = (uint8_t)g;
	return 1;
}

static int64_t merge_projection(merge_ws *w, int32_t a, int32_t b, double *proj)
{
	int64_t d = w->fd->d, n[2] = {0, 0}, seen[2] = {0, 0}, m = 0, nh = 0;
	double *mu = w->axis;
	int iters;

	memset(mu, 0, (size_t)(2 * d) * sizeof(double));
	for (int64_t i = 0; i < w->fd->n; i++) { /* the first half, and its two means */
		int g = w->af[i] == a ? 0 : w->af[i] == b ? 1 : -1;

		if (g < 0 || w->dist[i] > w->rad[g ? b : a] || seen[g]++ % 2 != 0)
			continue;
		load_row(w->fd, i, w->row);
		n[g]++;
		w->half[nh] = i;
		w->side[nh++] = (uint8_t)g;
		for (int64_t j = 0; j < d; j++)
			mu[g * d + j] += w->row[j];
	}
	iters = nh >= AXIS_ROWS * d ? AXIS_ITER : 1;
	for (int it = 0; it < iters; it++) {
		int64_t moved = 0;

		if (!n[0] || !n[1])
			return 0;
		for (int64_t j = 0; j < 2 * d; j++)
			mu[j] /= (double)n[j / d];
		if (it == iters - 1)
			break;
		/* nearer mean; rows read in place (neither codes nor normalised)
		 * on the threads: each row's side is its own, the count an
		 * integer, the same for any thread count (at 4M x 128 the merge
		 * was half of k-means' time, on one thread) */
		if (!w->fd->codes && !w->fd->normalize) {
			const fl_km_data *fd = w->fd;

#pragma omp parallel for num_threads(w->threads) reduction(+ : moved) schedule(static) \
	if (nh >= 1024)
			for (int64_t h = 0; h < nh; h++) {
				int64_t row = fd->rows ? fd->rows[w->half[h]] : w->half[h];

				moved += nearer(fd->x + row * fd->ldx, mu, d, &w->side[h]);
			}
		} else {
			for (int64_t h = 0; h < nh; h++) {
				load_row(w->fd, w->half[h], w->row);
				moved += nearer(w->row, mu, d, &w->side[h]);
			}
		}
		if (!moved)
			break;
		memset(mu, 0, (size_t)(2 * d) * sizeof(double));
		n[0] = n[1] = 0;
		for (int64_t h = 0; h < nh; h++) {
			int g = w->side[h];

			load_row(w->fd, w->half[h], w->row);
			n[g]++;
			for (int64_t j = 0; j < d; j++)
				mu[g * d + j] += w->row[j];
		}
	}
	for (int64_t j = 0; j < d; j++)
		mu[j] -= mu[d + j];
	seen[0] = seen[1] = 0;
	for (int64_t i = 0; i < w->fd->n; i++) { /* the second half, projected */
		int g = w->af[i] == a ? 0 : w->af[i] == b ? 1 : -1;

		if (g >= 0 && w->dist[i] <= w->rad[g ? b : a] && seen[g]++ % 2 == 1)
			w->half[m++] = i;
	}
	if (!w->fd->codes && !w->fd->normalize) { /* in place, on the threads: as above */
		const fl_km_data *fd = w->fd;

#pragma omp parallel for num_threads(w->threads) schedule(static) if (m >= 1024)
		for (int64_t h = 0; h < m; h++) {
			int64_t row = fd->rows ? fd->rows[w->half[h]] : w->half[h];

			proj[h] = dot_mu(fd->x + row * fd->ldx, mu, d);
		}
	} else {
		for (int64_t h = 0; h < m; h++) {
			load_row(w->fd, w->half[h], w->row);
			proj[h] = dot_mu(w->row, mu, d);
		}
	}
	return m;
}

/* k-means splits a compact group of failures in two whenever two seeds land
 * in it, and Lloyd never undoes that; the slice then shows up as pieces.
 * Undo it: two clusters whose core balls overlap are merged when the core
 * rows of both, projected on the line through their two means (for large
 * pairs, the means refitted on half the rows: merge_projection), pass the
 * Anderson-Darling normality test (the split test of G-means, Hamerly &
 * Elkan, NIPS 2003; axis and projected rows are disjoint halves, see
 * merge_projection): nothing separates them. Core rows only, so that one
 * stray failure does not veto a merge. At the 1% level rather than
 * G-means' 0.01%: a split test wants few false splits, a merge test few
 * false merges (measured: on synthetic slices as wide as the background
 * noise the 0.01% level merged slices into background clusters, 1% did
 * not). Nearest pairs first, one merge at a time, until none passes; a pair
 * that failed is retested only after one of its clusters has grown (a test
 * reads only the rows, distances and radii of its two clusters, so its
 * result stands until one of them grows: with several ranks, the results
 * of the tests past the first pass are kept, not thrown away). On return cen holds
 * the means of the *k surviving clusters' failing rows, radius their core
 * radii, and af (the failing rows' clusters) is relabelled to match. */
static int merge_clusters(float *cen, float *radius, int32_t *k, int32_t *af,
			  const fl_km_data *fd, int threads)
{
	int64_t d = fd->d, nf = fd->n, kk = *k, ranks = fl__comm_ranks(), rank = fl__comm_rank();
	int64_t c0, c1;
	merge_ws w = {fd, af, kk, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		      threads > 0 ? threads : omp_get_max_threads()};
	/* a pair's test: 0 not known, TEST_FAILED, TEST_PASSED */
	unsigned char *known = fl__calloc((size_t)(kk * kk), 1, "cluster merge");
	int64_t *res = fl__malloc((size_t)(ranks * MERGE_BATCH) * sizeof(int64_t), "cluster merge");
	double *proj = fl__malloc((size_t)nf * sizeof(double), "cluster merge");
	pair *pairs = fl__malloc((size_t)(kk * kk) * sizeof(pair), "cluster merge");
	int rc = 0, merged = 1;

	w.cnt = fl__calloc((size_t)kk, sizeof(int64_t), "cluster merge");
	w.sum = fl__calloc((size_t)(kk * d), sizeof(double), "cluster merge");
	w.dist = fl__malloc((size_t)nf * sizeof(float), "cluster merge");
	w.scratch = fl__malloc((size_t)nf * sizeof(float), "cluster merge");
	w.rad = fl__malloc((size_t)kk * sizeof(float), "cluster merge");
	w.row = fl__malloc((size_t)d * sizeof(float), "cluster merge");
	w.axis = fl__malloc((size_t)(2 * d) * sizeof(double), "cluster merge");
	w.half = fl__malloc((size_t)(nf ? nf : 1) * sizeof(int64_t), "cluster merge");
	w.side = fl__malloc((size_t)(nf ? nf : 1), "cluster merge");
	if (!known || !res || !proj || !pairs || !w.cnt || !w.sum || !w.dist || !w.scratch || !w.rad ||
	    !w.row || !w.axis || !w.half || !w.side) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	fl__comm_share(kk, &c0, &c1); /* several ranks: each sums its clusters' rows */
	for (int64_t i = 0; i < nf; i++) {
		w.cnt[af[i]]++;
		if (af[i] < c0 || af[i] >= c1)
			continue;
		load_row(fd, i, w.row);
		for (int64_t j = 0; j < d; j++)
			w.sum[af[i] * d + j] += w.row[j];
	}
	fl__comm_sum_f64(w.sum, kk * d);
	merge_refresh(&w, -1);
	while (merged) {
		int64_t np = 0;
		for (int64_t a = 0; a < kk; a++)
			for (int64_t b = a + 1; b < kk && w.cnt[a]; b++) {
				double t = 0;
				if (!w.cnt[b] || known[a * kk + b] == TEST_FAILED)
					continue;
				for (int64_t j = 0; j < d; j++) {
					double u = w.sum[a * d + j] / (double)w.cnt[a] -
						   w.sum[b * d + j] / (double)w.cnt[b];
					t += u * u;
				}
				if (sqrt(t) < w.rad[a] + w.rad[b])
					pairs[np++] = (pair){sqrt(t), (int32_t)a, (int32_t)b};
			}
		qsort(pairs, (size_t)np, sizeof(pair), cmp_pair);
		merged = 0;
		/* the first pair that passes, MERGE_BATCH x P pairs at a time: rank
		 * r tests the round's pairs r, r + P, ... up to its first that
		 * passes, the ranks exchange what they found, and the first that
		 * passed is merged (every pair before it was tested and failed) */
		for (int64_t q0 = 0; q0 < np && !merged; q0 += ranks * MERGE_BATCH) {
			int64_t q, first = np, m, nb = ranks * MERGE_BATCH;
			int32_t a, b;
			unsigned char *kn;

			memset(res, 0, (size_t)nb * sizeof(int64_t));
			for (int64_t t = 0; t < MERGE_BATCH; t++) {
				if ((q = q0 + t * ranks + rank) >= np)
					break;
				kn = &known[pairs[q].a * kk + pairs[q].b];
				if (!*kn)
					*kn = (m = merge_projection(&w, pairs[q].a, pairs[q].b, proj)) >= 8 &&
						      anderson_darling(proj, m) < AD_CRITICAL
					      ? TEST_PASSED
					      : TEST_FAILED;
				res[t * ranks + rank] = *kn;
				if (*kn == TEST_PASSED)
					break;
			}
			fl__comm_sum_i64(res, nb);
			for (int64_t j = 0; j < nb && q0 + j < np; j++) {
				if (res[j]) /* tested, here or by another rank */
					known[pairs[q0 + j].a * kk + pairs[q0 + j].b] = (unsigned char)res[j];
				if (res[j] == TEST_PASSED && first == np)
					first = q0 + j;
			}
			if (first == np)
				continue;
			a = pairs[first].a;
			b = pairs[first].b;
			for (int64_t i = 0; i < nf; i++)
				af[i] = af[i] == b ? a : af[i];
			for (int64_t j = 0; j < d; j++)
				w.sum[a * d + j] += w.sum[b * d + j];
			w.cnt[a] += w.cnt[b];
			w.cnt[b] = 0;
			merge_refresh(&w, a);
			for (int64_t c = 0; c < kk; c++) /* a has grown: retest its pairs */
				known[a * kk + c] = known[c * kk + a] = 0;
			merged = 1;
		}
	}
	/* compact the survivors, in their order; scratch holds the new labels */
	int32_t live = 0, *relabel = (int32_t *)w.scratch;
	for (int64_t c = 0; c < kk; c++) {
		relabel[c] = w.cnt[c] ? live++ : -1;
		if (w.cnt[c])
			radius[relabel[c]] = w.rad[c];
		for (int64_t j = 0; j < d && w.cnt[c]; j++)
			cen[relabel[c] * d + j] = (float)(w.sum[c * d + j] / (double)w.cnt[c]);
	}
	for (int64_t i = 0; i < nf; i++)
		af[i] = relabel[af[i]];
	*k = live;
cleanup:
	free(known);
	free(res);
	free(proj);
	free(pairs);
	free(w.cnt);
	free(w.sum);
	free(w.dist);
	free(w.scratch);
	free(w.rad);
	free(w.row);
	free(w.axis);
	free(w.half);
	free(w.side);
	return rc;
}

typedef struct {
	int32_t c;
	float dist2;
	int64_t i;
} member;

static int cmp_member(const void *a, const void *b)
{
	const member *x = a, *y = b;

	if (x->c != y->c)
		return x->c < y->c ? -1 : 1;
	if (x->dist2 != y->dist2)
		return x->dist2 < y->dist2 ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/* best first; ties by p-value, then by cluster index, so the order is total */
/* The rule that finds the slice again: nearest to this centroid among all
 * of the run's, and within the radius (the same rule as in discovery). */
static char *centroid_spec(const fl_candidate *c, int normalize, const float *cen, int32_t k)
{
	fl_strbuf b = {0};

	fl__sb_printf(&b, "{\"type\":\"centroid\",\"view\":");
	fl__sb_json_str(&b, c->view);
	fl__sb_printf(&b, ",\"normalize\":%s,\"radius\":%.9g,\"component\":%d,\"centroid\":[",
		      normalize ? "true" : "false", (double)c->radius, (int)c->component);
	for (int64_t j = 0; j < c->dim; j++)
		fl__sb_printf(&b, "%s%.9g", j ? "," : "", (double)c->centroid[j]);
	fl__sb_printf(&b, "],\"centroids\":[");
	for (int64_t j = 0; j < (int64_t)k * c->dim; j++)
		fl__sb_printf(&b, "%s%.9g", j == 0 ? "[" : j % c->dim ? "," : "],[", (double)cen[j]);
	fl__sb_printf(&b, "%s]}", k ? "]" : "");
	return fl__sb_finish(&b, "k-means spec");
}

static int report(const fl_discover_kmeans_opts *o, const char *stage, int64_t done)
{
	return fl__progress(o->progress, o->progress_user, stage, done, 3);
}

int fl_discover_kmeans(fl_candidate **out, int32_t *n_out, const float *x, int64_t n,
		       int64_t d, int64_t ldx, const char *view_name,
		       const fl_failure_summary *s, const double *failure,
		       const fl_discover_kmeans_opts *opts)
{
	return fl__discover_kmeans(out, n_out, x, n, d, ldx, view_name, s, failure, opts, NULL);
}

/* The centroids k x d of a reduced view as k x D points of the view (lift) */
static float *lifted(const float *cen, int32_t k, const fl_lift *lift)
{
	int64_t d = lift->pca->r, D = lift->pca->d;
	float *out = fl__malloc((size_t)k * (size_t)D * sizeof(float), "k-means centroids");

	for (int32_t c = 0; out && c < k; c++)
		fl__lift_point(lift, cen + c * d, out + c * D);
	return out;
}

int fl__discover_kmeans(fl_candidate **out, int32_t *n_out, const float *x, int64_t n,
			int64_t d, int64_t ldx, const char *view_name,
			const fl_failure_summary *s, const double *failure,
			const fl_discover_kmeans_opts *opts, const fl_lift *lift)
{
	static const fl_discover_kmeans_opts defaults = FL_DISCOVER_KMEANS_OPTS_INIT;
	const fl_discover_kmeans_opts *o = opts ? opts : &defaults;
	fl_kmeans_opts ko = FL_KMEANS_OPTS_INIT;
	unsigned char *failing = NULL;
	int64_t *rows = NULL, n_fail = 0, n_in = 0, min_size;
	float *cen = NULL, *rad = NULL, *dist2 = NULL, *up = NULL, *xf = NULL, *e2f = NULL;
	int64_t D = lift ? lift->pca->d : d; /* the view's own dimension */
	int32_t *assign = NULL, nc = 0;
	member *mem = NULL;
	fl_candidate *cand = NULL;
	char stage[96];
	int rc = 0;

	if (!out || !n_out)
		return fl__error(FL_EINVAL, "no place for the slices (out or n_out is NULL)");
	*out = NULL;
	*n_out = 0;
	if (!lift && (rc = fl__check_matrix(x, n, d, ldx, 1, "the embedding")))
		return rc;
	if (!s || !failure)
		return fl__error(FL_EINVAL, "no failure signal or no failure summary");
	if (o->version != FL_DISCOVER_KMEANS_OPTS_VERSION || o->k < 0 || o->min_size < 0 ||
	    o->threads < 0 || (lift && (lift->pca->r != d || lift->codes->r != d ||
				       lift->codes->n < n || o->normalize)))
		return fl__error(FL_EINVAL, "invalid k-means options (k=%d, min_size=%lld, "
				 "threads=%d, version=%d)", o->k, (long long)o->min_size, o->threads,
				 o->version);
	snprintf(stage, sizeof stage, "kmeans view=%s", view_name ? view_name : "");
	if ((rc = report(o, stage, 0)) != 0)
		return rc;
	min_size = fl__auto_min_size(n, o->min_size);

	if (!(failing = fl__malloc((size_t)n, "failing rows")))
		return FL_ENOMEM;
	if ((rc = fl__failing_flags(failing, failure, n, "kmeans")) != 0)
		goto cleanup;
	for (int64_t i = 0; i < n; i++)
		n_fail += failing[i];
	if (!(rows = fl__malloc((size_t)(n_fail ? n_fail : 1) * sizeof(int64_t), "failing rows"))) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int64_t i = 0, j = 0; i < n; i++) /* the failing rows, as rows of x */
		if (failing[i])
			rows[j++] = o->rows ? o->rows[i] : i;
	free(failing);
	failing = NULL;
	if (n_fail < 2)
		goto done; /* nothing to cluster: no candidates */

	ko.k = o->k ? o->k : (int32_t)lround(sqrt((double)n_fail / 2));
	if (!o->k)
		ko.k = ko.k < 4 ? 4 : ko.k > 32 ? 32 : ko.k;
	ko.k = ko.k > n_fail ? (int32_t)n_fail : ko.k;
	ko.seed = o->seed;
	ko.threads = o->threads;
	cen = fl__malloc((size_t)ko.k * (size_t)d * sizeof(float), "k-means centroids");
	rad = fl__malloc((size_t)ko.k * sizeof(float), "k-means radii");
	assign = fl__malloc((size_t)n * sizeof(int32_t), "k-means assignment");
	cand = fl__calloc((size_t)ko.k, sizeof(fl_candidate), "candidates");
	if (!cen || !rad || !assign || !cand) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	fl_km_data all = {x, n, d, ldx, o->rows, o->normalize, lift ? lift->res2 : NULL,
			  lift ? lift->codes : NULL, !lift};
	/* the failing rows, which every pass of the fit and the merge reads,
	 * gathered once (decoded, with their residuals): read through the row
	 * index from a mapped file, each pass paid a cache and TLB miss per row
	 * (three quarters of k-means' time at 200k x 128) */
	xf = fl__malloc((size_t)n_fail * (size_t)d * sizeof(float), "failing rows");
	e2f = lift ? fl__malloc((size_t)n_fail * sizeof(float), "failing rows") : NULL;
	if (!xf || (lift && !e2f)) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int64_t i = 0; lift && i < n_fail; i++) {
		fl_mx_codes_row(lift->codes, rows[i], xf + i * d);
		e2f[i] = lift->res2[rows[i]];
	}
	/* several ranks: each copies the failing rows of its own range */
	if (!lift && (rc = fl__comm_fetch_rows(xf, x, ldx, d, rows, n_fail)) != 0)
		goto cleanup;
	fl_km_data fail_data = {xf, n_fail, d, d, NULL, o->normalize, e2f, NULL, 0};
	if ((rc = fl_kmeans__fit(cen, assign, NULL, NULL, &fail_data, &ko, NULL)) != 0 ||
	    (rc = merge_clusters(cen, rad, &ko.k, assign, &fail_data, o->threads)) != 0)
		goto cleanup;
	free(xf);
	free(e2f);
	free(rows);
	xf = e2f = NULL;
	rows = NULL;
	if (!(dist2 = fl__malloc((size_t)(n ? n : 1) * sizeof(float), "k-means distances"))) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	if ((rc = report(o, stage, 1)) != 0 ||
	    (rc = fl_kmeans__assign(assign, dist2, &all, cen, ko.k, o->threads)) != 0)
		goto cleanup;
	if ((rc = report(o, stage, 2)) != 0)
		goto cleanup;
	if (lift) { /* the rules in the view's coordinates */
		if (!(up = lifted(cen, ko.k, lift))) {
			rc = FL_ENOMEM;
			goto cleanup;
		}
		free(cen);
		cen = up;
		up = NULL;
	}

	/* the rows within their cluster's radius: the members */
	for (int64_t i = 0; i < n; i++)
		n_in += sqrtf(dist2[i]) <= rad[assign[i]];
	if (!(mem = fl__malloc((size_t)(n_in ? n_in : 1) * sizeof(member), "slice members"))) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int64_t i = 0, j = 0; i < n; i++)
		if (sqrtf(dist2[i]) <= rad[assign[i]])
			mem[j++] = (member){assign[i], dist2[i], i};
	free(assign);
	free(dist2);
	assign = NULL;
	dist2 = NULL;
	if ((rc = fl__comm_sort(mem, n_in, sizeof(member), cmp_member, o->threads)) != 0)
		goto cleanup;
	for (int64_t a = 0, b; a < n_in; a = b) {
		fl_candidate *c = &cand[nc];
		int64_t m = 0;
		float radius;

		for (b = a; b < n_in && mem[b].c == mem[a].c; b++)
			;
		radius = rad[mem[a].c];
		while (a + m < b && sqrtf(mem[a + m].dist2) <= radius)
			m++;
		if (m < min_size)
			continue;
		c->members = fl__malloc((size_t)m * sizeof(int64_t), "slice members");
		c->member_scores = fl__malloc((size_t)m * sizeof(float), "slice members");
		c->centroid = fl__malloc((size_t)D * sizeof(float), "slice centroid");
		if (!c->members || !c->member_scores || !c->centroid) {
			fl_candidate_clear(c);
			rc = FL_ENOMEM;
			goto cleanup;
		}
		for (int64_t r = 0; r < m; r++) {
			c->members[r] = mem[a + r].i;
			c->member_scores[r] = -sqrtf(mem[a + r].dist2);
		}
		c->n_members = m;
		if ((rc = fl__candidate_keep(c, s, "kmeans", view_name ? view_name : "")) < 0)
			goto cleanup;
		if (rc == 0)
			continue;
		rc = 0;
		c->component = mem[a].c;
		memcpy(c->centroid, cen + (int64_t)mem[a].c * D, (size_t)D * sizeof(float));
		c->dim = D;
		c->radius = radius;
		if (!(c->spec_json = centroid_spec(c, o->normalize, cen, ko.k))) {
			fl_candidate_clear(c);
			rc = FL_ENOMEM;
			goto cleanup;
		}
		nc++;
	}
	qsort(cand, (size_t)nc, sizeof(fl_candidate), fl__candidate_cmp);
done:
	if ((rc = report(o, stage, 3)) != 0)
		goto cleanup;
	*out = cand;
	*n_out = nc;
	cand = NULL;
cleanup:
	fl_candidates_free(cand, nc);
	free(failing);
	free(rows);
	free(xf);
	free(e2f);
	free(cen);
	free(rad);
	free(assign);
	free(dist2);
	free(mem);
	return rc;
}
