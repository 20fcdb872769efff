/*
 * faultline/cluster.h - k-means++ in float32 on BLAS, and the baseline
 * discovery method built on it: cluster the failing samples of a view,
 * then turn every cluster into a slice over all samples.
 */
#ifndef FAULTLINE_CLUSTER_H
#define FAULTLINE_CLUSTER_H

#include "core.h"
#include "stats.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fl_kmeans_opts {
	int version;       /**< FL_KMEANS_OPTS_VERSION */
	int32_t k;         /**< clusters */
	int32_t max_iter;  /**< Lloyd iterations per restart */
	int32_t n_init;    /**< restarts; the lowest inertia wins */
	double tol;        /**< stop when relative inertia decrease < tol */
	uint64_t seed;
	int32_t threads;   /**< 0 = OpenMP default; results do not depend on it */
} fl_kmeans_opts;

#define FL_KMEANS_OPTS_VERSION 1
#define FL_KMEANS_OPTS_INIT {FL_KMEANS_OPTS_VERSION, 8, 100, 3, 1e-4, 0, 0}

/**
 * k-means++ seeding then Lloyd iterations, squared Euclidean distance,
 * distances computed as |x|^2 - 2 x.c + |c|^2 with an sgemm per row block.
 * Deterministic for a given seed whatever the thread count (reductions run
 * in a fixed block order). An empty cluster is re-seeded with the point
 * farthest from its centroid.
 * @param[out] centroids  k x d floats, caller-allocated
 * @param[out] assign     n cluster indices, caller-allocated (may be NULL)
 * @param[out] inertia    sum of squared distances to the assigned centroid (may be NULL)
 * @param x               n x d row-major, leading dimension ldx >= d
 * @return 0, FL_EINVAL (k < 1, k > n, d < 1), FL_ENOMEM
 */
FL_API int fl_kmeans_fit(float *centroids, int32_t *assign, double *inertia,
			 const float *x, int64_t n, int64_t d, int64_t ldx,
			 const fl_kmeans_opts *opts);

/**
 * Assign rows to their nearest centroid.
 * @param[out] assign  n indices
 * @param[out] dist2   n squared distances (may be NULL)
 */
FL_API int fl_kmeans_assign(int32_t *assign, float *dist2, const float *x,
			    int64_t n, int64_t d, int64_t ldx,
			    const float *centroids, int32_t k, int32_t threads);

/** A candidate slice found by a discovery method. */
typedef struct fl_candidate {
	int64_t *members;       /**< row indices, most typical first */
	float *member_scores;   /**< membership strength, same order, non-increasing */
	int64_t n_members;
	fl_slice_stats stats;
	double score;           /**< ranking score (method-specific, larger = better) */
	char method[32];        /**< "kmeans", ... */
	char view[64];          /**< view name */
	int32_t component;      /**< cluster index within its method/view */
	float *centroid;        /**< d floats (the slice spec), may be NULL */
	int64_t dim;            /**< length of centroid */
	float radius;           /**< max member distance to the centroid (kmeans) */
} fl_candidate;

/** Release the buffers inside a candidate (not the struct). Accepts NULL. */
FL_API void fl_candidate_clear(fl_candidate *c);

typedef struct fl_discover_kmeans_opts {
	int version;          /**< FL_DISCOVER_KMEANS_OPTS_VERSION */
	int32_t k;            /**< clusters of failing samples; 0 = automatic */
	int64_t min_size;     /**< slices smaller than this are dropped; 0 = automatic */
	int normalize;        /**< L2-normalise rows before clustering */
	uint64_t seed;
	int32_t threads;
	fl_progress_fn progress;
	void *progress_user;
} fl_discover_kmeans_opts;

#define FL_DISCOVER_KMEANS_OPTS_VERSION 1
#define FL_DISCOVER_KMEANS_OPTS_INIT {FL_DISCOVER_KMEANS_OPTS_VERSION, 0, 0, 0, 0, 0, NULL, NULL}

/**
 * Baseline discovery in one view: k-means of the failing samples (failure
 * above the median of non-zero... see the source for the exact rule), then
 * every sample goes to its nearest centroid, each cluster becomes a slice
 * whose members are ordered by distance to the centroid (nearest first;
 * member_scores = -distance). Slices are scored and returned best first.
 * @param[out] out     array of candidates, owned by the caller: clear each
 *                     with fl_candidate_clear, then free(*out)
 * @param[out] n_out   its length
 * @param x            n x d view embedding (row-major, ldx)
 * @param view_name    copied into each candidate
 * @param s            the failure summary of the same n rows
 */
FL_API int fl_discover_kmeans(fl_candidate **out, int32_t *n_out,
			      const float *x, int64_t n, int64_t d, int64_t ldx,
			      const char *view_name, const fl_failure_summary *s,
			      const double *failure,
			      const fl_discover_kmeans_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
