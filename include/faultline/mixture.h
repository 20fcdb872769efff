/*
 * faultline/mixture.h - PCA in float32 on BLAS/LAPACK, the error-aware
 * Gaussian mixture of Domino (Eyuboglu et al., ICLR 2022) fitted by EM on
 * BLAS, and the discovery method built on them: every mixture component is
 * a candidate slice, ranked by how much more it fails than everyone.
 *
 * Model. Each of k components s has a weight pi_s, a diagonal Gaussian
 * (mu_s, var_s) over the reduced embedding z, and optionally a categorical
 * p_s over the true label y, a categorical p^_s over the predicted class
 * (seen through the predicted probabilities y^), and a term on the failure
 * signal f: a Bernoulli q_s when f is binary, a Gaussian (m_s, v_s) when it
 * is continuous. The responsibilities are
 *
 *   log r_is = log pi_s + log N(z_i; mu_s, var_s) + gamma log p_s[y_i]
 *              + gamma_hat log(y^_i . p^_s) + gamma_f log P(f_i | s) - norm_i
 *
 * and EM maximises the mean over rows of log sum_s exp(...) (the objective
 * Domino maximises) plus a tiny Dirichlet prior that keeps every p_s, p^_s
 * and q_s away from 0 (see FL_MIXTURE_PSEUDOCOUNT). See docs/mixture.md for
 * the method, its options and what it is good and bad at.
 */
#ifndef FAULTLINE_MIXTURE_H
#define FAULTLINE_MIXTURE_H

#include "core.h"
#include "stats.h"
#include "candidate.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- PCA ------------------------------------------------------------ */

typedef enum fl_pca_solver {
	FL_PCA_AUTO = 0,       /**< EXACT when d <= 12 (r + oversample), else RANDOMIZED */
	FL_PCA_EXACT = 1,      /**< covariance (float32 ssyrk on row blocks, summed in
	                            double) and its top eigenvectors (LAPACK dsyevr) */
	FL_PCA_RANDOMIZED = 2  /**< randomized range finder with power iterations
	                            (Halko, Martinsson & Tropp 2011, alg. 4.4), QR by
	                            LAPACK, then the exact eigenvectors of the small
	                            projected covariance */
} fl_pca_solver;

/** Options of fl_pca_fit. Start from FL_PCA_OPTS_INIT. */
typedef struct fl_pca_opts {
	int version;            /**< FL_PCA_OPTS_VERSION */
	int32_t n_components;   /**< r, >= 1 (default 128); fewer are returned when d,
	                             the rows used, or the rank is smaller */
	int64_t max_rows;       /**< rows that estimate the mean and the basis: 0 =
	                             automatic (max(32768, 32 d)), -1 = all, else >= 2;
	                             when n is larger a seeded random subset is used
	                             (see fl_pca_fit) */
	fl_pca_solver solver;   /**< default FL_PCA_AUTO */
	int32_t oversample;     /**< RANDOMIZED: extra columns, >= 0 (default 10) */
	int32_t power_iter;     /**< RANDOMIZED: power iterations, >= 0 (default 2) */
	double rank_tol;        /**< directions whose variance is <= rank_tol x the
	                             largest are dropped (constant columns, duplicated
	                             features), in [0, 1) (default 1e-6) */
	uint64_t seed;          /**< row subset and random test matrix */
	int32_t threads;        /**< OpenMP threads, >= 0; 0 = omp_get_max_threads().
	                             Results do not depend on it, bit for bit. */
} fl_pca_opts;

#define FL_PCA_OPTS_VERSION 1
#define FL_PCA_OPTS_INIT {FL_PCA_OPTS_VERSION, 128, 0, FL_PCA_AUTO, 10, 2, 1e-6, 0, 0}

/** A fitted PCA. Arrays belong to the struct (fl_pca_clear). */
typedef struct fl_pca {
	int64_t d;              /**< input dimension */
	int64_t r;              /**< components kept */
	int64_t rows_used;      /**< rows the mean and basis were estimated from */
	float *mean;            /**< d */
	float *components;      /**< r x d row-major, orthonormal rows, variance descending */
	double *variance;       /**< r: variance along each component */
	double total_variance;  /**< trace of the covariance (all d directions) */
} fl_pca;

/**
 * Fit a PCA: the mean of the rows and the r orthonormal directions of
 * largest variance (the top eigenvectors of the covariance, with 1/(m-1)
 * normalisation over the m rows used; signs fixed so that the largest
 * entry of each direction is positive).
 *
 * Rows used: all n when n <= max_rows, otherwise max_rows rows drawn as
 * random runs of 64 consecutive rows (seeded, without replacement: every
 * row has the same chance, and a memory-mapped input is touched in
 * stretches rather than page by page). With an embedding of a few hundred
 * dimensions, 32768 rows pin the leading subspace much more tightly than
 * the mixture needs, at a fraction of the cost (see docs/mixture.md); set
 * max_rows = -1 for all rows.
 *
 * Products run in float32 on row blocks (OpenBLAS held at one thread
 * while OpenMP threads take blocks; sums in double, in block order, so the
 * result does not depend on `threads`). Memory beyond the outputs:
 * d x d doubles (EXACT) or rows_used x (r + oversample) floats
 * (RANDOMIZED), plus O(threads x block x d).
 *
 * @param[out] out  filled; arrays owned by the caller (fl_pca_clear);
 *                  zeroed on error
 * @param x         n x d row-major floats, leading dimension ldx >= d; finite
 * @param opts      NULL for FL_PCA_OPTS_INIT
 * @return 0; FL_EINVAL (NULL arguments, n < 2, d < 1, ldx < d, options out
 *         of range or an unknown version); FL_ERANGE naming the row and
 *         column of a NaN or infinite value among the rows used; FL_ENOMEM;
 *         FL_ENOCONV when LAPACK fails (the message carries its info code).
 */
FL_API int fl_pca_fit(fl_pca *out, const float *x, int64_t n, int64_t d, int64_t ldx,
		      const fl_pca_opts *opts);

/**
 * Project rows: z = (x - mean) components^T, one float32 sgemm per row
 * block. Deterministic for any `threads` (>= 0, 0 = default).
 * @param[out] z  n x pca->r floats, leading dimension ldz >= r, caller-allocated
 * @param x       n x pca->d, leading dimension ldx >= d; n may be 0
 * @return 0, FL_EINVAL, FL_ENOMEM, FL_ERANGE naming the first row whose
 *         projection is not finite (NaN or Inf in x)
 */
FL_API int fl_pca_transform(float *z, int64_t ldz, const fl_pca *pca, const float *x,
			    int64_t n, int64_t ldx, int32_t threads);

/** Free the arrays of a PCA and zero it. Accepts NULL. */
FL_API void fl_pca_clear(fl_pca *pca);

/* ---- the mixture ---------------------------------------------------- */

/** Initialisation of fl_mixture_fit. */
typedef enum fl_mixture_init {
	/** Components seeded on label x prediction cells: the k most populated
	 * cells (y_i, argmax y^_i), every diagonal (correct) cell first when
	 * k >= C; each component starts as the moments of its cell's rows.
	 * Needs labels or probs (labels only: one cell per label; probs only:
	 * per predicted class); without either, KMEANS is used. Components
	 * left over (fewer populated cells than k) are seeded by D^2 sampling
	 * of rows. Deterministic, no seed needed. */
	FL_MIXTURE_INIT_CONFUSION = 0,
	/** k-means++ seeding plus 10 Lloyd iterations (fl_kmeans_fit) on up to
	 * 16384 rows of z; each component starts as the moments of its
	 * cluster. */
	FL_MIXTURE_INIT_KMEANS = 1
} fl_mixture_init;

/** Options of fl_mixture_fit. Start from FL_MIXTURE_OPTS_INIT. */
typedef struct fl_mixture_opts {
	int version;          /**< FL_MIXTURE_OPTS_VERSION */
	int32_t k;            /**< components, >= 1 (default 25) */
	double gamma;         /**< weight of the label term, >= 0 (default 10) */
	double gamma_hat;     /**< weight of the prediction term, >= 0 (default 10) */
	double gamma_f;       /**< weight of the failure term, >= 0 (default 0 in
	                           fl_mixture_fit; fl_discover_mixture has its own) */
	double reg;           /**< variance floor: var_sd >= reg x Var(z_d), the
	                           variance of column d over all rows; in [0, 1)
	                           (default 1e-6) */
	double tol;           /**< stop when the objective (mean over rows)
	                           changes by less than tol between iterations,
	                           >= 0 (default 1e-4); with a warm-up, EM on
	                           the subset stops at 10 tol, and on all rows
	                           after it too when it converged */
	int32_t max_iter;     /**< EM iterations over all rows, >= 0; 0 returns
	                           the initial model (default 200) */
	fl_mixture_init init; /**< default FL_MIXTURE_INIT_CONFUSION */
	int64_t warm_rows;    /**< first fit on a random subset of this many rows
	                           (to 10 tol, at most max_iter), then continue on all
	                           rows: 0 = automatic (min(n / 4, 32768) when
	                           n >= 65536, else none), -1 = none */
	uint64_t seed;        /**< every random choice */
	int32_t threads;      /**< OpenMP threads, >= 0; 0 = omp_get_max_threads().
	                           Results do not depend on it, bit for bit. */
	fl_progress_fn progress; /**< NULL, or called once per iteration with stage
	                              "mixture" and done/total = iteration/max_iter */
	void *progress_user;
} fl_mixture_opts;

#define FL_MIXTURE_OPTS_VERSION 1
#define FL_MIXTURE_OPTS_INIT {FL_MIXTURE_OPTS_VERSION, 25, 10.0, 10.0, 0.0, 1e-6, 1e-4, \
			      200, FL_MIXTURE_INIT_CONFUSION, 0, 0, 0, NULL, NULL}

/** Pseudo-count of the Dirichlet (Beta) prior on p_s, p^_s and q_s: each
 * class gets FL_MIXTURE_PSEUDOCOUNT extra (weighted) rows, so that no
 * probability is 0 and an empty component falls back to uniform. */
#define FL_MIXTURE_PSEUDOCOUNT 1e-3

/** Kind of failure term in a model. */
typedef enum fl_mixture_failure {
	FL_MIXTURE_FAILURE_NONE = 0,
	FL_MIXTURE_FAILURE_BERNOULLI = 1, /**< binary signal: q_s = P(f = 1 | s) */
	FL_MIXTURE_FAILURE_GAUSSIAN = 2   /**< continuous signal: N(f; m_s, v_s) */
} fl_mixture_failure;

/**
 * A fitted mixture. Arrays belong to the struct (fl_mixture_clear); those
 * of absent terms are NULL. A component that lost every row has weight 0
 * and keeps its last parameters; it never takes a row back.
 */
typedef struct fl_mixture {
	int32_t k;            /**< components */
	int64_t d;            /**< dimension of z */
	int32_t n_classes;    /**< C of the label/prediction terms (0 when neither) */
	int has_labels;       /**< the label term is part of the model */
	int has_probs;        /**< the prediction term is part of the model */
	fl_mixture_failure failure; /**< the failure term, if any */
	double gamma, gamma_hat, gamma_f; /**< the weights the model was fitted with */
	fl_mixture_init init; /**< the initialisation actually used */
	double *weights;      /**< k: pi_s, summing to 1 */
	double *means;        /**< k x d */
	double *variances;    /**< k x d, each >= the floor */
	double *label_probs;  /**< k x C: p_s (has_labels) */
	double *pred_probs;   /**< k x C: p^_s (has_probs) */
	double *fail_mean;    /**< k: q_s (BERNOULLI) or m_s (GAUSSIAN) */
	double *fail_var;     /**< k: v_s (GAUSSIAN), else NULL */
	double fail_scale;    /**< GAUSSIAN: the term models f / fail_scale, so m_s and
	                           v_s are in those units: a power of two chosen by the
	                           fit so that the largest |f| / fail_scale lies in
	                           [1, 2) (any finite signal then fits in float32, and
	                           f times 2^j gives the same model with fail_scale
	                           times 2^j); 1 otherwise */
	double *floor;        /**< d: the variance floor of each dimension */
	double objective;     /**< mean objective over all rows at the returned
	                           parameters (log-likelihood with the weights
	                           gamma, plus the prior term / n) */
	double *trace;        /**< objective before each full-data iteration and at
	                           the end: n_iter + 1 values, non-decreasing up to
	                           float rounding */
	int32_t n_iter;       /**< EM iterations over all rows */
	int32_t n_iter_warm;  /**< iterations on the warm-up subset (0 if none) */
	int converged;        /**< the last change was below tol (10 tol
	                           after a warm-up that converged) */
} fl_mixture;

/**
 * Fit the mixture by EM.
 *
 * E-step: for a block of rows, [z, z^2] (block x 2d) times the stacked
 * [mu/var ; -1/(2 var)] (2d x k) in one float32 sgemm, plus per-component
 * constants, plus the label term (a lookup), plus gamma_hat log of probs x
 * p^^T (another sgemm), plus the failure term; responsibilities by a
 * max-shifted log-sum-exp. M-step: R^T [z, z^2] (k x 2d) in one sgemm,
 * label counts, and for p^ the EM update of mixture weights
 * p^_sc <- p^_sc sum_i r_is y^_ic / (y^_i . p^_s) (which, unlike Domino's
 * weighted mean of y^, never lowers the objective when y^ is soft).
 * Variances are floored at reg x Var(z_d) (the constrained maximiser, so
 * EM stays monotone). Never materialises n x k x d: memory beyond the
 * inputs is O(threads x block x (2d + k + C) + k x d) (block <= 2048 rows).
 *
 * Deterministic: the same inputs and seed give the same bits whatever
 * `threads` is (fixed row blocks, every sum reduced in block order, in
 * double). OpenBLAS is held at one thread while the call runs.
 *
 * @param[out] out     filled; owned by the caller (fl_mixture_clear);
 *                     zeroed on error
 * @param z            n x d row-major floats (leading dimension ldz >= d), finite
 * @param labels       n labels in [0, n_classes), or NULL (no label term)
 * @param probs        n x n_classes row-major predicted probabilities, rows
 *                     summing to 1, or NULL (no prediction term)
 * @param n_classes    C >= 2 when labels or probs are given, else ignored
 * @param failure      n finite failure values, or NULL (no failure term; also
 *                     none when gamma_f is 0); any finite magnitude (a
 *                     continuous signal is modelled in units of fail_scale)
 * @param opts         NULL for FL_MIXTURE_OPTS_INIT
 * @return 0 (also when max_iter is reached: see converged); FL_EINVAL for
 *         NULL arguments, n < 1, d < 1, ldz < d, k > n, a label out of
 *         range, options out of range or an unknown version; FL_ENOMEM.
 */
FL_API int fl_mixture_fit(fl_mixture *out, const float *z, int64_t n, int64_t d,
			  int64_t ldz, const int64_t *labels, const float *probs,
			  int32_t n_classes, const double *failure,
			  const fl_mixture_opts *opts);

/**
 * Responsibilities of rows under a fitted model (one E-step). Each term
 * whose input is given (and is part of the model) is used; a term whose
 * input is NULL is left out, which gives the posterior given the other
 * inputs: labels, probs and failure all NULL give the posterior given the
 * embedding alone (what fl_discover_mixture assigns slices by).
 * @param[out] resp    n x k floats (row sums 1), or NULL
 * @param[out] assign  n components (argmax responsibility, ties to the lowest
 *                     index), or NULL
 * @param[out] objective  the mean over rows of log sum_s exp(lj_s) for the
 *                     terms used (no prior), or NULL; NaN when n is 0
 * @param z            n x m->d rows, leading dimension ldz >= m->d
 * @return 0; FL_EINVAL (bad sizes, a label out of range, probabilities that
 *         do not sum to 1, a non-binary failure for a Bernoulli term,
 *         threads < 0); FL_ENOMEM
 */
FL_API int fl_mixture_predict(float *resp, int32_t *assign, double *objective,
			      const fl_mixture *m, const float *z, int64_t n, int64_t ldz,
			      const int64_t *labels, const float *probs,
			      const double *failure, int32_t threads);

/** Free the arrays of a mixture and zero it. Accepts NULL. */
FL_API void fl_mixture_clear(fl_mixture *m);

/* ---- discovery ------------------------------------------------------ */

/** How fl_discover_mixture assigns rows to components once the mixture is fitted. */
typedef enum fl_mixture_assign {
	/** By the posterior given the embedding alone (weights and Gaussians;
	 * the label, prediction and failure terms shape the components during
	 * the fit but do not decide membership). A slice is then a region of
	 * the view: its statistics do not restate its definition, and its spec
	 * applies to new rows without labels. Domino's predict_proba does the
	 * same. */
	FL_MIXTURE_ASSIGN_EMBEDDING = 0,
	/** By the full posterior of the fit (embedding, label, prediction,
	 * failure): components are then coherent in error type, but membership
	 * uses the outcome, so a slice's failure rate partly restates how it was
	 * chosen (a component of scattered errors of one label -> prediction
	 * cell fails 100% by construction). */
	FL_MIXTURE_ASSIGN_JOINT = 1
} fl_mixture_assign;

/** Options of fl_discover_mixture. Start from FL_DISCOVER_MIXTURE_OPTS_INIT. */
typedef struct fl_discover_mixture_opts {
	int version;          /**< FL_DISCOVER_MIXTURE_OPTS_VERSION */
	int32_t k;            /**< components (default 25; fewer when n is small) */
	int32_t pca_dims;     /**< reduced dimension, >= 1 (default 128; d if smaller) */
	int64_t pca_rows;     /**< fl_pca_opts.max_rows (default 0 = automatic) */
	double gamma;         /**< label term (default 10) */
	double gamma_hat;     /**< prediction term (default 10) */
	double gamma_f;       /**< failure term, >= 0, or < 0 for automatic (the
	                           default): 0 when labels or probs are given (it
	                           adds nothing to them, measured in docs/mixture.md),
	                           1 otherwise, so that the mixture is error-aware
	                           with a failure signal alone */
	double reg, tol;      /**< as in fl_mixture_opts (1e-6, 1e-4) */
	int32_t max_iter;     /**< as in fl_mixture_opts (200) */
	fl_mixture_init init; /**< as in fl_mixture_opts (CONFUSION) */
	int64_t warm_rows;    /**< as in fl_mixture_opts (0 = automatic) */
	fl_mixture_assign assign; /**< default FL_MIXTURE_ASSIGN_EMBEDDING */
	int64_t min_size;     /**< slices with fewer members are dropped, >= 0;
	                           0 = automatic (faultline/stats.h, "Smallest slice") */
	const char *model_path; /**< NULL, or a file to save the fitted model to
	                             (fl_mixture_model_save), named in each spec */
	uint64_t seed;
	int32_t threads;      /**< results do not depend on it */
	fl_progress_fn progress; /**< NULL, or called with stage "mixture view=<name>"
	                              and done = 0..3 of total = 3 */
	void *progress_user;
	const int64_t *rows;  /**< NULL, or the rows of x the n rows searched are:
	                           row i is x row rows[i] (x holds every row they
	                           name), so that a subset is searched without a
	                           copy; labels, probs, failure and members stay
	                           indexed 0..n-1 */
} fl_discover_mixture_opts;

#define FL_DISCOVER_MIXTURE_OPTS_VERSION 1
#define FL_DISCOVER_MIXTURE_OPTS_INIT {FL_DISCOVER_MIXTURE_OPTS_VERSION, 25, 128, 0, \
		10.0, 10.0, -1.0, 1e-6, 1e-4, 200, FL_MIXTURE_INIT_CONFUSION, 0, \
		FL_MIXTURE_ASSIGN_EMBEDDING, 0, NULL, 0, 0, NULL, NULL, NULL}

/**
 * Error-aware mixture discovery in one view.
 *
 * 1. PCA (fl_pca_fit) to min(pca_dims, d) dimensions (fewer when the view
 *    is rank-deficient); the reduced rows are kept as 8-bit codes: each
 *    column of each group of 256 rows coded linearly between the group's
 *    minimum and maximum (rounding error at most 1/510 of that range; what
 *    it changes is measured in docs/mixture.md), so the working copy costs
 *    about n x r bytes (plus 8 bytes per column per 256 rows) beside the
 *    (memory-mapped) input.
 * 2. fl_mixture_fit on them with labels, probs and the failure signal
 *    (gamma_f > 0: a Bernoulli term for a binary signal, a Gaussian one for
 *    a continuous signal).
 * 3. Hard assignment: every row joins the component of largest
 *    responsibility, given the embedding alone by default (see
 *    fl_mixture_assign), so slices are disjoint regions of the view.
 *    Members are ordered by that responsibility, most certain first, beyond
 *    float precision: by the sum of the other components' responsibilities
 *    (1 - r without r's rounding to 1), and where even that underflows, by
 *    the log-odds against the runner-up; ties by row index. member_scores =
 *    the responsibility.
 * 4. Every component becomes a candidate: fl_slice_stats_compute on its
 *    members; dropped when it has fewer than min_size members or when the
 *    lower end of its 95% interval does not clear the overall mean.
 * 5. score = stats.ci_low / overall mean (a lower bound on the lift), as in
 *    fl_discover_kmeans, so the report ranks both methods together
 *    (ci_low - overall when the overall mean is <= 0). Components are
 *    ranked by failure, never by label/prediction divergence: Domino's
 *    max_c (p^_s - p_s) cannot see a slice whose labels and predictions are
 *    both uniform (symmetric label noise). Returned best first; ties by
 *    p-value, then component.
 *
 * Each candidate has method "mixture", component = its index in the model,
 * centroid = its mean mapped back to the view's space (pca mean + mu_s
 * components), dim = d, radius 0, description NULL, and spec_json =
 *   {"type":"mixture_component","view":V,"component":s,
 *    "rule":"argmax_responsibility","inputs":["embedding"],"weight":pi_s,
 *    "model":{"file":model_path or null,"fingerprint":"<16 hex>",
 *             "input_dim":d,"pca_dims":r,"k":k,"n_classes":C,
 *             "terms":["embedding","label",...],"gamma":..,"gamma_hat":..,
 *             "gamma_f":..}}
 * ("inputs" lists label, prediction and failure too with
 * FL_MIXTURE_ASSIGN_JOINT): a row of new data belongs to the slice when
 * component s has its largest responsibility, given those inputs, under
 * the model. The model (PCA and mixture) is one file shared by all the
 * view's slices (fl_mixture_model_save), named by its fingerprint, so the
 * report stays small (a model is ~r (d + 2k) numbers).
 *
 * Deterministic for a seed, whatever `threads` is. A view whose rows are
 * all equal gives no candidates (and 0).
 *
 * @param[out] out     array of *n_out candidates owned by the caller: clear
 *                     each with fl_candidate_clear, then free(*out); NULL when
 *                     there are none or on error
 * @param[out] n_out   its length
 * @param x            n x d view embedding (row-major, leading dimension ldx)
 * @param view_name    copied into each candidate; may be NULL ("")
 * @param labels       n labels in [0, n_classes), or NULL
 * @param probs        n x n_classes predicted probabilities, or NULL
 * @param n_classes    C, when labels or probs are given
 * @param s            the failure summary of the same n rows
 * @param failure      the n values s was built from
 * @param opts         NULL for FL_DISCOVER_MIXTURE_OPTS_INIT
 * @return 0; FL_EINVAL (NULL arguments, n < 2, d < 1, ldx < d, options out
 *         of range or an unknown version, a label out of range, probabilities
 *         that do not sum to 1); FL_ERANGE (a NaN or infinite value in x,
 *         naming its row); FL_ENOMEM; FL_EIO (model_path could not be
 *         written); FL_ENOCONV (LAPACK failed)
 */
FL_API int fl_discover_mixture(fl_candidate **out, int32_t *n_out, const float *x,
			       int64_t n, int64_t d, int64_t ldx, const char *view_name,
			       const int64_t *labels, const float *probs, int32_t n_classes,
			       const fl_failure_summary *s, const double *failure,
			       const fl_discover_mixture_opts *opts);

/* ---- saved models ------------------------------------------------------ */

/**
 * Save a PCA and a mixture fitted on its output as one .npz archive
 * (stored, uncompressed) readable by numpy.load: arrays pca_mean (d),
 * pca_components (r x d), pca_variance (r), weights (k), means (k x r),
 * variances (k x r), floor (r), label_probs / pred_probs (k x C) and
 * fail_mean / fail_var (k) when present, fail_scale (1) with fail_var, and
 * config (float64: k, r, C, has_labels, has_probs, failure kind, gamma,
 * gamma_hat, gamma_f). A model saved before fail_scale existed loads with
 * fail_scale 1.
 * Written to a temporary file and renamed into place; every write checked.
 * @return 0; FL_EINVAL (NULL arguments, mixture dimension != pca->r); FL_EIO;
 *         FL_ENOMEM
 */
FL_API int fl_mixture_model_save(const char *path, const fl_pca *pca, const fl_mixture *m);

/**
 * Load a model written by fl_mixture_model_save.
 * @param[out] pca, m  filled, owned by the caller; zeroed on error
 * A hand-edited or corrupt file is refused, not trusted: sizes are read from
 * the arrays before anything is allocated, and values must be in range
 * (weights in [0, 1] summing to 1, positive variances, probabilities in
 * (0, 1], every coefficient fl_mixture_predict derives finite in float32).
 * @return 0; FL_EIO; FL_EFORMAT (a missing array, inconsistent shapes, a
 *         value out of range, naming it)
 */
FL_API int fl_mixture_model_load(fl_pca *pca, fl_mixture *m, const char *path);

/**
 * The fingerprint of a model: 64-bit FNV-1a over its parameters' bytes
 * (float32 PCA arrays, double mixture arrays, config), written as 16
 * lowercase hex digits + NUL into hex[17]. A spec names the model it
 * needs by this value.
 */
FL_API void fl_mixture_model_fingerprint(char hex[17], const fl_pca *pca, const fl_mixture *m);

#ifdef __cplusplus
}
#endif
#endif
