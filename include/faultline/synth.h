/*
 * faultline/synth.h - synthetic evaluation sets with planted failing slices,
 * the ground truth that discovery methods are tested against.
 *
 * Model: C classes, each a Gaussian blob in R^d with unit noise per
 * coordinate. Class centres are Gaussian with per-coordinate standard
 * deviation separation / sqrt(d), so two centres lie about
 * separation * sqrt(2) noise units apart whatever d. Background rows draw a
 * class uniformly; a background model errs with probability `base_error`,
 * predicting one of the other classes uniformly. Planted slice j lives in
 * class j mod C: its centre is a typical point of that class (the class
 * centre plus unit noise) and its rows are that centre plus noise of
 * standard deviation `slice_spread` (tight sub-clusters). Each slice has
 * round(slice_frac * n) rows, scattered at random positions; inside, the
 * error rate is `slice_error`. Planted slice j is of kind:
 *   FL_SYNTH_CONFUSION  - labels are the home class; errors predict one
 *                         fixed wrong class (a systematic confusion, "shirt
 *                         read as T-shirt");
 *   FL_SYNTH_SYMMETRIC  - labels are uniform over all classes and an error
 *                         moves the prediction to another class uniformly, so
 *                         labels AND predictions are uniform inside the slice
 *                         (symmetric label noise: no label/prediction
 *                         divergence to see).
 * Kinds alternate CONFUSION, SYMMETRIC, CONFUSION, ... unless `symmetric`
 * is 0 (all CONFUSION). Predicted probabilities put mass `confidence` on
 * the predicted class and spread the rest evenly, so argmax(probs) = preds.
 */
#ifndef FAULTLINE_SYNTH_H
#define FAULTLINE_SYNTH_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fl_synth_kind { FL_SYNTH_CONFUSION = 0, FL_SYNTH_SYMMETRIC = 1 } fl_synth_kind;

/** Options of fl_synth_generate. Start from FL_SYNTH_OPTS_INIT. */
typedef struct fl_synth_opts {
	int version;         /**< FL_SYNTH_OPTS_VERSION */
	int64_t n;           /**< rows, >= 1 (default 10000) */
	int64_t d;           /**< embedding dimension, >= 1 (default 32) */
	int32_t n_classes;   /**< >= 2 (default 10) */
	int32_t n_slices;    /**< planted slices, >= 0 (default 4) */
	double slice_frac;   /**< fraction of rows in each planted slice, in [0, 1];
	                          all slices together must fit in n (default 0.02) */
	double base_error;   /**< error rate outside planted slices, in [0, 1] (0.05) */
	double slice_error;  /**< error rate inside planted slices, in [0, 1] (0.6) */
	double separation;   /**< scale of class centres, >= 0 (default 4) */
	double slice_spread; /**< within-slice noise, >= 0; background noise is 1 (0.3) */
	double confidence;   /**< probability on the predicted class, in (1/C, 1] (0.8) */
	int symmetric;       /**< nonzero: alternate confusion / symmetric slices (1) */
	uint64_t seed;
} fl_synth_opts;

#define FL_SYNTH_OPTS_VERSION 1
#define FL_SYNTH_OPTS_INIT {FL_SYNTH_OPTS_VERSION, 10000, 32, 10, 4, 0.02, 0.05, 0.6, 4.0, 0.3, 0.8, 1, 0}

/** A generated set. Every array belongs to the struct (fl_synth_clear). */
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

/**
 * Generate a set. Deterministic: the same options give the same bits.
 * @param[out] out  filled; its buffers belong to the caller (fl_synth_clear).
 *                  Zeroed on error.
 * @param opts      NULL for FL_SYNTH_OPTS_INIT
 * @return 0, FL_EINVAL (out NULL, an option out of range, an unknown
 *         version), FL_ENOMEM
 */
FL_API int fl_synth_generate(fl_synth *out, const fl_synth_opts *opts);
/** Free the buffers of a generated set and zero it. Accepts NULL. */
FL_API void fl_synth_clear(fl_synth *s);

#ifdef __cplusplus
}
#endif
#endif
