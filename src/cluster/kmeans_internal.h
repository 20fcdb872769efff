/*
 * k-means entry points shared inside src/cluster (and with its unit tests):
 * the same solver as fl_kmeans_fit/fl_kmeans_assign, over a row subset of
 * x, optionally L2-normalised on the fly, from optional initial centroids.
 */
#ifndef FL_KMEANS_INTERNAL_H
#define FL_KMEANS_INTERNAL_H

#include "common/internal.h"

/* The rows a k-means run sees: row i is x[rows ? rows[i] : i], scaled to
 * unit norm when `normalize` (zero rows stay zero). Nothing is copied. */
typedef struct fl_km_data {
	const float *x;
	int64_t n, d, ldx;
	const int64_t *rows;
	int normalize;
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

#endif
