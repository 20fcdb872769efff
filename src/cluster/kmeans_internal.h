/*
 * k-means entry points shared inside src/cluster (and with its unit tests):
 * the same solver as fl_kmeans_fit/fl_kmeans_assign, over a row subset of
 * x, optionally L2-normalised on the fly, from optional initial centroids.
 */
#ifndef FL_KMEANS_INTERNAL_H
#define FL_KMEANS_INTERNAL_H

#include "candidate/candidate_internal.h"
#include "common/internal.h"

/* The rows a k-means run sees: row i is x[rows ? rows[i] : i], scaled to
 * unit norm when `normalize` (zero rows stay zero). Nothing is copied.
 * With codes (a reduced view, d = codes->r; then x is not read) the row is
 * that row of the codes, decoded. extra2 (NULL, or one value per row of x)
 * is added to every squared distance of that row: the part of a reduced
 * row's distance outside the reduced space (fl_lift); it moves no row to
 * another centre. */
typedef struct fl_km_data {
	const float *x;
	int64_t n, d, ldx;
	const int64_t *rows;
	int normalize;
	const float *extra2;
	const fl_mx_codes *codes;
	int view; /* x is a view of fl_discover's, rows its rows: the passes are
		     cut at its row groups (fl__layout_view), each rank its own */
} fl_km_data;

/* fl_kmeans_fit on `data`. `init` (k x d, or NULL for k-means++) replaces
 * the seeding of every restart; *n_iter (may be NULL) receives the number
 * of centroid updates of the winning restart. */
int fl_kmeans__fit(float *centroids, int32_t *assign, double *inertia,
		   int32_t *n_iter, const fl_km_data *data,
		   const fl_kmeans_opts *opts, const float *init);

/* fl_kmeans_assign on `data` */
int fl_kmeans__assign(int32_t *assign, float *dist2, const fl_km_data *data,
		      const float *centroids, int32_t k, int32_t threads);

/* fl_discover_kmeans on a reduced view (lift->codes, r = lift->pca->r
 * columns, read through opts.rows; x unused; not with opts.normalize):
 * clustered there, each row's distances completed by lift->res2, its
 * centroids and rules stated in the view's own coordinates. lift NULL:
 * fl_discover_kmeans. */
int fl__discover_kmeans(fl_candidate **out, int32_t *n_out, const float *x, int64_t n,
			int64_t d, int64_t ldx, const char *view_name,
			const fl_failure_summary *s, const double *failure,
			const fl_discover_kmeans_opts *opts, const fl_lift *lift);

#endif
