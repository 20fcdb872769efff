/*
 * faultline/cluster.h - k-means++ in float32 on BLAS, and the baseline
 * discovery method built on it: cluster the failing samples of a view,
 * then turn every cluster into a slice over all samples.
 */
#ifndef FAULTLINE_CLUSTER_H
#define FAULTLINE_CLUSTER_H

#include "core.h"
#include "stats.h"
#include "candidate.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Options of fl_kmeans_fit. Start from FL_KMEANS_OPTS_INIT.
 */
typedef struct fl_kmeans_opts {
	int version;       /**< FL_KMEANS_OPTS_VERSION */
	int32_t k;         /**< clusters, 1 <= k <= n (default 8) */
	int32_t max_iter;  /**< centroid updates per restart, >= 0; 0 returns the
	                        seeding (default 100) */
	int32_t n_init;    /**< restarts from independent seedings, >= 1; the
	                        lowest inertia wins, ties to the first (default 3) */
	double tol;        /**< a restart stops when the inertia decreases by less
	                        than tol times its previous value, or when no row
	                        changes cluster; >= 0 (default 1e-4) */
	uint64_t seed;     /**< the only source of randomness */
	int32_t threads;   /**< OpenMP threads, >= 0; 0 = omp_get_max_threads().
	                        Results do not depend on it, bit for bit. */
} fl_kmeans_opts;

#define FL_KMEANS_OPTS_VERSION 1
#define FL_KMEANS_OPTS_INIT {FL_KMEANS_OPTS_VERSION, 8, 100, 3, 1e-4, 0, 0}

/**
 * k-means: minimise the inertia, the sum over rows of the squared Euclidean
 * distance to the nearest of k centroids.
 *
 * Seeding is greedy k-means++ (each centre the best of 2 + floor(ln k)
 * candidates drawn with probability proportional to the squared distance to
 * the centres so far); then Lloyd iterations. Distances of a block of rows
 * to all centroids come from one float32 sgemm (|x|^2 - 2 x.c + |c|^2, on
 * rows shifted by the data mean); the distance to the chosen centroid, and
 * so the inertia, is then computed directly. Centroid sums are accumulated
 * in double. An empty cluster is re-seeded with the row farthest from its
 * centroid (among clusters that keep a row).
 *
 * Deterministic: the same inputs and seed give the same bits whatever
 * `threads` is (rows are processed in fixed blocks and every reduction runs
 * in block order). Memory beyond the outputs: n (3 + floor(ln k)) floats
 * for the seeding (each row's distance to its nearest centre and to the
 * candidates of the next), n
 * indices when assign is NULL, and O(threads * block * (d + k) + k * d)
 * scratch (block <= 1024 rows).
 *
 * BLAS: OpenBLAS is held at one thread while the call runs (its threads
 * would compete with ours) and restored afterwards; a BLAS call made
 * meanwhile by another thread of the process runs single-threaded.
 *
 * @param[out] centroids  k x d floats, row-major, caller-allocated
 * @param[out] assign     n cluster indices in [0, k), caller-allocated, or NULL
 * @param[out] inertia    the inertia of the returned centroids, or NULL
 * @param x               n x d row-major floats, leading dimension ldx >= d
 * @param opts            NULL for FL_KMEANS_OPTS_INIT
 * @return 0; FL_EINVAL for k < 1, k > n, d < 1, ldx < d, a NULL x or
 *         centroids, an option out of range or an unknown version;
 *         FL_ENOMEM. On error the outputs are unspecified.
 */
FL_API int fl_kmeans_fit(float *centroids, int32_t *assign, double *inertia,
			 const float *x, int64_t n, int64_t d, int64_t ldx,
			 const fl_kmeans_opts *opts);

/**
 * Assign rows to their nearest centroid (ties to the lowest index), with
 * the same kernel and determinism as fl_kmeans_fit.
 * @param[out] assign  n indices in [0, k), caller-allocated
 * @param[out] dist2   n squared distances to the assigned centroid, or NULL
 * @param x            n x d row-major, leading dimension ldx >= d; n may be 0
 * @param centroids    k x d row-major
 * @param threads      as in fl_kmeans_opts
 * @return 0, FL_EINVAL (NULL arrays, k < 1, d < 1, ldx < d, threads < 0),
 *         FL_ENOMEM
 */
FL_API int fl_kmeans_assign(int32_t *assign, float *dist2, const float *x,
			    int64_t n, int64_t d, int64_t ldx,
			    const float *centroids, int32_t k, int32_t threads);


/** Options of fl_discover_kmeans. Start from FL_DISCOVER_KMEANS_OPTS_INIT. */
typedef struct fl_discover_kmeans_opts {
	int version;          /**< FL_DISCOVER_KMEANS_OPTS_VERSION */
	int32_t k;            /**< clusters of failing samples, >= 0; 0 = automatic:
	                           round(sqrt(n_failing / 2)) clamped to [4, 32];
	                           never more than n_failing */
	int64_t min_size;     /**< slices with fewer members are dropped, >= 0;
	                           0 = automatic (faultline/stats.h, "Smallest slice") */
	int normalize;        /**< nonzero: L2-normalise rows (zero rows stay zero)
	                           before clustering and assigning; centroids and
	                           radii then live in that normalised space */
	uint64_t seed;        /**< k-means seed */
	int32_t threads;      /**< as in fl_kmeans_opts; results do not depend on it */
	fl_progress_fn progress; /**< NULL, or called with stage "kmeans view=<name>"
	                              and done = 0..3 of total = 3 */
	void *progress_user;
	const int64_t *rows;  /**< NULL, or the rows of x the n rows searched are:
	                           row i is x row rows[i] (x holds every row they
	                           name), so that a subset is searched without a
	                           copy; failure and members stay indexed 0..n-1 */
} fl_discover_kmeans_opts;

#define FL_DISCOVER_KMEANS_OPTS_VERSION 1
#define FL_DISCOVER_KMEANS_OPTS_INIT \
	{FL_DISCOVER_KMEANS_OPTS_VERSION, 0, 0, 0, 0, 0, NULL, NULL, NULL}

/**
 * Baseline discovery in one view: regions of the embedding where failures
 * gather, found by clustering the failing samples.
 *
 * 1. Failing samples: for a binary signal, failure == 1; for a continuous
 *    one, failure > t where t is Otsu's threshold (the split of the sorted
 *    values maximising the between-group variance, i.e. exact 1-D
 *    two-means; it separates the errors from the rest of a loss). A
 *    constant signal has no failing samples.
 * 2. k-means (fl_kmeans_fit, n_init 3) on the failing samples.
 * 3. Over-split clusters are merged back: two clusters whose regions overlap
 *    are merged when their failing samples, projected on the line through
 *    the two centroids, look like one Gaussian (Anderson-Darling test at 1%,
 *    the axis estimated on one half of the samples and the test run on the
 *    other; with 8 or more core samples a dimension in that half, the
 *    axis joins the means of 2-means refitted on that half alone, as
 *    k-means' own split leaves a dip along its axis). Centroids become the
 *    means of their failing samples.
 * 4. Regions: a cluster's radius is 1.25 x the 90th percentile of its
 *    failing samples' distances to its centroid. Every sample (failing or
 *    not) goes to its nearest centroid and is a member of that cluster's
 *    slice when within the radius; samples outside every radius belong to
 *    no slice, so slices are disjoint. (On synthetic planted slices the
 *    radius keeps the passing samples around a dense knot of failures out
 *    of its slice and raises the Jaccard overlap with the planted set.)
 *    A new sample belongs to the slice when this centroid is its nearest
 *    among the run's centroids and it is within `radius` of it.
 * 5. Each region's members, ordered by distance to the centroid (nearest
 *    first, ties by row index; member_scores = -distance), get
 *    fl_slice_stats_compute. Dropped: fewer than min_size members, or a
 *    95% interval whose lower end does not clear the overall mean (a
 *    slice that may be no worse than everyone is not reported).
 * 6. score = stats.ci_low / overall mean: a lower bound on the lift, which
 *    rewards a high failure rate and charges small slices for their wide
 *    interval (ci_low - overall when the overall mean is <= 0).
 *    Returned best first; ties by p-value, then component.
 *
 * Deterministic for a seed, whatever `threads` is. Fewer than two failing
 * samples give no candidates (and 0).
 *
 * @param[out] out     array of *n_out candidates owned by the caller: clear
 *                     each with fl_candidate_clear, then free(*out); NULL
 *                     when there are none or on error
 * @param[out] n_out   its length
 * @param x            n x d view embedding (row-major, leading dimension ldx)
 * @param view_name    copied into each candidate; may be NULL ("")
 * @param s            the failure summary of the same n rows
 * @param failure      the n values s was built from
 * @param opts         NULL for FL_DISCOVER_KMEANS_OPTS_INIT
 * @return 0; FL_EINVAL (NULL arguments, n < 1, d < 1, ldx < d, options out
 *         of range or an unknown version); FL_ENOMEM
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
