/*
 * faultline/direction.h - failure directions: a linear classifier in a view
 * that predicts failure, fitted with cross-fitting so that every sample is
 * scored by a model that never saw it; the samples furthest along it form a
 * candidate slice, and anything embedded in the same space (phrases) can be
 * ranked along it.
 *
 * After Jain, Lawrence, Moitra & Madry, "Distilling Model Failures as
 * Directions in Latent Space" (ICLR 2023; arXiv 2206.14754, 2022), which
 * fits a class-balanced linear SVM per class on L2-normalised CLIP
 * embeddings with 2-fold cross-validation. faultline fits a class-balanced,
 * L2-regularised logistic regression instead: its decision values are
 * log-odds, so the values of different fold models share one scale and can
 * be ranked together, and the fit is a smooth convex problem (L-BFGS).
 */
#ifndef FAULTLINE_DIRECTION_H
#define FAULTLINE_DIRECTION_H

#include "core.h"
#include "stats.h"
#include "candidate.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options of fl_direction_fit and fl_discover_direction. Start from FL_DIRECTION_OPTS_INIT. */
typedef struct fl_direction_opts {
	int version;          /**< FL_DIRECTION_OPTS_VERSION */
	int32_t folds;        /**< cross-fitting folds, >= 2 (default 2, as the paper) */
	double lambda;        /**< L2 penalty on the weights of the standardised
	                           features, relative to the (class-balanced) mean
	                           loss; >= 0; 0 = automatic, chosen per fold by an
	                           inner cross-validation (default 0, see
	                           fl_direction_fit) */
	int normalize;        /**< nonzero: L2-normalise every row first (zero rows
	                           stay zero), as the paper does with CLIP
	                           embeddings (default 0, as fl_discover_kmeans) */
	int standardize;      /**< nonzero: centre every column and scale it to unit
	                           standard deviation before the fit, so the penalty
	                           treats columns alike; constant columns get weight 0
	                           (default 1). Folded into the reported weights. */
	int per_class;        /**< fl_discover_direction: one direction per true
	                           class (needs labels) instead of one for all rows
	                           (default 0) */
	int32_t max_iter;     /**< L-BFGS iterations per fold model, >= 1 (default 200) */
	double tol;           /**< a model stops when the gradient's max-norm falls
	                           below tol times its value at the start, in (0, 1)
	                           (default 1e-4) */
	int64_t min_size;     /**< fl_discover_direction: smallest slice, >= 0;
	                           0 = automatic (faultline/stats.h, "Smallest slice") */
	uint64_t seed;        /**< fold assignment; the only source of randomness */
	int32_t threads;      /**< OpenMP threads, >= 0; 0 = omp_get_max_threads().
	                           Results do not depend on it, bit for bit. */
	fl_progress_fn progress; /**< NULL, or called after each fold model: by
	                              fl_discover_direction with stage "direction
	                              view=<name>" and done = 0..total models of all
	                              classes, by fl_direction_fit with stage
	                              "direction" and done = 1..folds */
	void *progress_user;
	const int64_t *rows;  /**< NULL, or the rows of x the n rows fitted are:
	                           row i is x row rows[i] (x holds every row
	                           they name), so that a subset is searched
	                           without a copy; all else (labels, failure,
	                           members) stays indexed 0..n-1 (default NULL) */
} fl_direction_opts;

#define FL_DIRECTION_OPTS_VERSION 1
#define FL_DIRECTION_OPTS_INIT \
	{FL_DIRECTION_OPTS_VERSION, 2, 0, 0, 1, 0, 200, 1e-4, 0, 0, 0, NULL, NULL, NULL}

/**
 * A failure direction: the linear rule w.x + b in the space of the view's
 * rows (after L2 normalisation when `normalize`; standardisation is folded
 * into w and b). Larger values = more likely to fail; the value is a
 * class-balanced log-odds (0 = as likely to fail as not, had failures and
 * successes been equally common). Buffers belong to the struct
 * (fl_direction_clear).
 */
typedef struct fl_direction {
	int64_t dim;          /**< d */
	float *weights;       /**< d weights: the mean of the fold models' weights */
	double bias;          /**< the mean of the fold models' biases */
	int normalize;        /**< rows must be L2-normalised before w.x + b */
	int64_t n_rows;       /**< rows fitted */
	int64_t n_failing;    /**< failing rows among them */
	double auc;           /**< ROC AUC of the cross-fitted decision values for
	                           failing against passing rows: 0.5 = failure is not
	                           linearly predictable in this view, 1 = perfectly */
	int32_t folds;        /**< fold models averaged */
	double lambda;        /**< the penalty used (the geometric mean of the fold
	                           models' choices when chosen automatically) */
	int32_t n_iter;       /**< most L-BFGS iterations taken by a fold model */
	int converged;        /**< every fold model met tol (else it stopped at
	                           max_iter or at float32 precision; its weights are
	                           still the best it found) */
} fl_direction;

/** Release the buffers inside a direction (not the struct) and zero it. Accepts NULL. */
FL_API void fl_direction_clear(fl_direction *dir);

/**
 * Fit a failure direction with cross-fitting.
 *
 * 1. Failing rows: a binary signal (every value 0 or 1 over all n rows) is
 *    used as is; a continuous one is split at Otsu's threshold of all n
 *    values (failing = value > t, as fl_discover_kmeans does), so a loss
 *    separates the errors from the rest. A constant signal has no failing
 *    rows.
 * 2. Folds: the fitted rows are split into `folds` groups, stratified (each
 *    group gets every folds-th failing and every folds-th passing row in a
 *    seeded random order), so every group's failure rate is the overall one.
 * 3. Per fold k, a logistic regression is trained on the other folds,
 *    minimising  (1/m) sum_i c_i log(1 + exp(-y_i (w.z_i + b))) + lambda/2 |w|^2
 *    over its m training rows, y = +1 failing / -1 passing, z the
 *    (normalised, standardised) row, c_i = m / (2 m_class(i)) so failing and
 *    passing rows weigh the same in total (class balance), the bias
 *    unpenalised. Solver: L-BFGS (10 pairs, Armijo backtracking) in double
 *    on float32 row blocks (sgemv), until the gradient's max-norm drops by
 *    `tol`. The rows of fold k are then scored by that model: no row is
 *    scored by a model that saw it. The scores of different folds share the
 *    log-odds scale, so they are ranked together.
 * 4. The reported direction is the mean of the fold models (weights and
 *    bias, mapped back to the original space), not a model refitted on all
 *    rows: it costs no further fit, and its values stay class-balanced
 *    log-odds like the cross-fitted scores.
 * Standardisation statistics (column means and deviations) come from the
 * fitted rows' features only, never from their failure.
 * lambda: the best penalty depends on rows per dimension and on how
 * linear the failures are (measured: 0.1 for 1,100-row classes of 32-d
 * synthetic data, 0.01-0.03 for 1,000-row classes of a 64-d CNN embedding,
 * 0.001 for all 10,000 of its rows, 1 for a class with 8 failures). So by
 * default (lambda = 0) each fold model picks its own from 1, 0.1, 0.01,
 * 0.001 by a stratified 2-fold cross-validation inside its training rows
 * (nested: the rows it will score take no part), minimising the
 * class-balanced log-loss on the inner held-out half; the path runs from 1
 * down with warm starts and stops at the first value whose loss is not
 * lower. A training set with fewer than 2 failing or 2 passing rows gets
 * 1. The choice is made on half the training rows and used on all of
 * them, so it errs towards a stronger penalty. It costs about three times
 * a fit at a fixed lambda (bench/bench_direction.c).
 *
 * Deterministic for a seed whatever `threads` is. Cost: about
 * folds x iterations passes over the fitted rows (two float32 sgemv per
 * row block each), plus O(threads x block x d) scratch and 16 bytes a row.
 * OpenBLAS is held at one thread while it runs (see fl_kmeans_fit).
 *
 * @param[out] out     filled (buffers owned by the caller, fl_direction_clear);
 *                     zeroed on error
 * @param[out] scores  n_rows cross-fitted decision values in the order of
 *                     `rows` (row i's when rows is NULL), or NULL
 * @param x            n x d row-major floats, leading dimension ldx >= d
 * @param rows         the rows to fit, indices in [0, n) without duplicates,
 *                     or NULL for all n
 * @param n_rows       their count (n when rows is NULL)
 * @param failure      n failure values (all n are used for the threshold)
 * @param opts         NULL for FL_DIRECTION_OPTS_INIT (per_class and min_size
 *                     are ignored)
 * @return 0; FL_EINVAL for invalid arguments or options, or fewer than 2
 *         failing or 2 passing rows among those fitted (message says so);
 *         FL_ERANGE for a non-finite failure value or row index out of
 *         range; FL_ENOMEM.
 */
FL_API int fl_direction_fit(fl_direction *out, float *scores, const float *x, int64_t n,
			    int64_t d, int64_t ldx, const int64_t *rows, int64_t n_rows,
			    const double *failure, const fl_direction_opts *opts);

/**
 * Apply a direction to rows: out[i] = w.x_i + b, x_i L2-normalised first
 * when dir->normalize. Rank phrases (text embeddings in the same space) by
 * this value to describe a direction.
 * @param[out] out  n floats, caller-allocated
 * @param dir       a fitted direction
 * @param x         n x dir->dim row-major, leading dimension ldx >= dim; n may be 0
 * @param threads   as in fl_direction_opts
 * @return 0; FL_EINVAL (NULL pointers, ldx < dim, threads < 0)
 */
FL_API int fl_direction_score(float *out, const fl_direction *dir, const float *x,
			      int64_t n, int64_t ldx, int32_t threads);

/**
 * Discovery along failure directions in one view.
 *
 * 1. One direction (fl_direction_fit) over all rows, or with per_class one
 *    per true class over that class's rows. A scope (all rows, or a class)
 *    is skipped when it has fewer than 2 failing or 2 passing rows, or is
 *    too small for a slice of min_size within its top 20%.
 * 2. Its rows are ranked by cross-fitted decision value. The slice is the
 *    top of that ranking; its size is chosen on a coarse grid, the top 1%,
 *    2%, 5%, 10% or 20% of the scope (each raised to min_size), as the one
 *    whose score is best. A grid of five nested sets, rather than every
 *    cutoff, keeps the choice from chasing noise at the boundary; the
 *    ranking itself is honest because it is cross-fitted. Rows tied with
 *    the last member's value are members too.
 * 3. Statistics: fl_slice_stats_compute over all n rows (so a class's slice
 *    is compared with everyone). score = stats.ci_low / overall mean, as in
 *    fl_discover_kmeans (ci_low - overall when the overall mean is <= 0).
 *    Dropped: slices whose ci_low does not exceed the overall mean, or
 *    the mean of their class (per class: the class alone would explain
 *    such a slice, the direction added nothing).
 *
 * Candidates: method "direction"; component = the class, or -1 for the
 * all-rows direction; members by decision value, highest first (ties by
 * row), member_scores = those values; centroid NULL; description such as
 * "top 5% along the failure direction of view emb" or "label 3: top 10% of
 * the class along its failure direction in view emb"; spec_json
 *   {"type":"direction","view":"emb","normalize":false,"label":3,
 *    "weights":[d floats],"bias":b,"threshold":t,"auc":a}
 * ("label" only per class; "auc" null when undefined): a new row belongs
 * when (its label is `label` and) w.x + b >= t, x L2-normalised first when
 * normalize is true. t is set so that the rule selects as many of the
 * scope's rows as the slice has members (ties aside): the same share of
 * new data. The rows it selects here are not exactly the members, which
 * were ranked by cross-fitted values; "auc" is the direction's cross-fitted
 * AUC in its scope. Candidates are returned best first; ties by p-value,
 * then component.
 *
 * @param[out] out      array of *n_out candidates owned by the caller: clear
 *                      each with fl_candidate_clear, then free(*out); NULL
 *                      when there are none or on error
 * @param[out] n_out    its length
 * @param x             n x d view embedding (row-major, leading dimension ldx)
 * @param view_name     copied into each candidate; may be NULL ("")
 * @param labels        n true labels in [0, n_classes), or NULL; needed by per_class
 * @param n_classes     number of classes (ignored when labels is NULL)
 * @param s             the failure summary of the same n rows
 * @param failure       the n values s was built from
 * @param opts          NULL for FL_DIRECTION_OPTS_INIT
 * @return 0; FL_EINVAL (NULL arguments, n < 1, d < 1, ldx < d, per_class
 *         without labels, options out of range or an unknown version);
 *         FL_ERANGE (a label outside [0, n_classes)); FL_ENOMEM.
 */
FL_API int fl_discover_direction(fl_candidate **out, int32_t *n_out, const float *x,
				 int64_t n, int64_t d, int64_t ldx, const char *view_name,
				 const int64_t *labels, int32_t n_classes,
				 const fl_failure_summary *s, const double *failure,
				 const fl_direction_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
