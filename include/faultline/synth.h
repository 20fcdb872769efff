/*
 * faultline/synth.h - synthetic evaluation sets with planted failing slices,
 * the ground truth that discovery methods are tested against.
 *
 * Model: C classes, each a Gaussian blob in R^d (class centres drawn with
 * scale `separation`, within-class noise 1). A background model errs with
 * probability `base_error` everywhere. Planted slices are tight sub-clusters
 * (noise `slice_spread`) placed inside a class's region, where the error
 * rate is `slice_error`. Planted slice j is of kind:
 *   FL_SYNTH_CONFUSION  - errors predict one fixed wrong class (a
 *                         systematic confusion, "shirt read as T-shirt");
 *   FL_SYNTH_SYMMETRIC  - labels AND predictions are uniform at random over
 *                         all classes inside the slice (symmetric label
 *                         noise: no label/prediction divergence to see).
 * Kinds alternate CONFUSION, SYMMETRIC, CONFUSION, ... unless `symmetric`
 * is 0 (all CONFUSION). Predicted probabilities put mass `confidence` on
 * the predicted class and spread the rest evenly.
 */
#ifndef FAULTLINE_SYNTH_H
#define FAULTLINE_SYNTH_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fl_synth_kind { FL_SYNTH_CONFUSION = 0, FL_SYNTH_SYMMETRIC = 1 } fl_synth_kind;

typedef struct fl_synth_opts {
	int version;         /**< FL_SYNTH_OPTS_VERSION */
	int64_t n;           /**< rows */
	int64_t d;           /**< embedding dimension */
	int32_t n_classes;
	int32_t n_slices;    /**< planted slices */
	double slice_frac;   /**< fraction of rows in each planted slice */
	double base_error;   /**< error rate outside planted slices */
	double slice_error;  /**< error rate inside planted slices */
	double separation;   /**< scale of class centres */
	double slice_spread; /**< within-slice noise (background noise is 1) */
	double confidence;   /**< probability on the predicted class */
	int symmetric;       /**< alternate confusion / symmetric slices */
	uint64_t seed;
} fl_synth_opts;

#define FL_SYNTH_OPTS_VERSION 1
#define FL_SYNTH_OPTS_INIT {FL_SYNTH_OPTS_VERSION, 10000, 32, 10, 4, 0.02, 0.05, 0.6, 4.0, 0.3, 0.8, 1, 0}

typedef struct fl_synth {
	int64_t n, d;
	int32_t n_classes, n_slices;
	float *emb;       /**< n x d */
	int64_t *labels;  /**< n */
	int64_t *preds;   /**< n */
	float *probs;     /**< n x n_classes */
	int32_t *truth;   /**< n: planted slice index, or -1 */
	int32_t *kinds;   /**< n_slices: fl_synth_kind of each planted slice */
} fl_synth;

/** Generate; *out's buffers belong to the caller (fl_synth_clear). Deterministic in seed. */
FL_API int fl_synth_generate(fl_synth *out, const fl_synth_opts *opts);
/** Free the buffers of a generated set and zero it. Accepts NULL. */
FL_API void fl_synth_clear(fl_synth *s);

#ifdef __cplusplus
}
#endif
#endif
