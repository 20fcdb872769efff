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
 *
 * Optional second view (`view2` nonzero): `emb2`, n x d2, is another
 * encoder of the same rows: class centres drawn afresh (same scale, in
 * d2 dimensions), unit noise drawn independently of view 1. Planted slice j
 * is visible in view 2 when j mod 4 is 0 or 1 (slices 0, 1, 4, 5, ...):
 * there it is again a tight sub-cluster (its own centre, a typical point of
 * its home class, spread `slice_spread`). Otherwise it is seen in view 1
 * only: in view 2 its rows lie like background rows of their label's class.
 * With the default 4 slices: 0 confusion in both views, 1 symmetric noise
 * in both views, 2 confusion in view 1 only, 3 symmetric noise in view 1
 * only. View 2 uses its own random streams: emb, labels, preds, probs and
 * truth are the same bits with or without it.
 *
 * Optional metadata slice (`meta_slice` nonzero): every row gets
 *   weather in {0 sunny, 1 rain, 2 night} with probabilities 0.5, 0.3, 0.2,
 *   camera  in {0 A, 1 B, 2 C}            with probabilities 0.4, 0.25, 0.35,
 *   age     uniform integer in [18, 80], independent of everything;
 * and the rows with weather = night AND camera = B (5% of the rows outside
 * the embedding slices) form one more planted slice, truth index
 * n_slices (`meta_slice` of the result). Its rows draw a class uniformly
 * and sit like background rows of that class in every view (nothing to see
 * in an embedding); the model errs on them with probability `slice_error`,
 * predicting another class uniformly. Rows of embedding slices never have
 * that conjunction (their weather and camera are redrawn until they do
 * not), so the metadata slice is exactly the rows where it holds. Turning
 * it on changes which rows are background, hence emb, labels and preds.
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
	                          each slice at least 1 row and all together in n
	                          (default 0.02) */
	double base_error;   /**< error rate outside planted slices, in [0, 1] (0.05) */
	double slice_error;  /**< error rate inside planted slices, in [0, 1] (0.6) */
	double separation;   /**< scale of class centres, >= 0 (default 4) */
	double slice_spread; /**< within-slice noise, >= 0; background noise is 1 (0.3) */
	double confidence;   /**< probability on the predicted class, in (1/C, 1] (0.8) */
	int symmetric;       /**< nonzero: alternate confusion / symmetric slices (1) */
	uint64_t seed;
	int view2;           /**< nonzero: also generate view 2, `emb2` (default 0) */
	int64_t d2;          /**< dimension of view 2, >= 0; 0 = d (default 0) */
	int meta_slice;      /**< nonzero: weather / camera / age columns and the
	                          planted slice weather = night AND camera = B (0) */
} fl_synth_opts;

#define FL_SYNTH_OPTS_VERSION 1
#define FL_SYNTH_OPTS_INIT {FL_SYNTH_OPTS_VERSION, 10000, 32, 10, 4, 0.02, 0.05, 0.6, 4.0, 0.3, 0.8, 1, 0, 0, 0, 0}

/** Codes of the metadata columns (fl_synth.weather, fl_synth.camera). */
typedef enum fl_synth_weather { FL_SYNTH_SUNNY = 0, FL_SYNTH_RAIN = 1, FL_SYNTH_NIGHT = 2 } fl_synth_weather;
typedef enum fl_synth_camera { FL_SYNTH_CAMERA_A = 0, FL_SYNTH_CAMERA_B = 1, FL_SYNTH_CAMERA_C = 2 } fl_synth_camera;

/** A generated set. Every array belongs to the struct (fl_synth_clear). */
typedef struct fl_synth {
	int64_t n, d;
	int32_t n_classes, n_slices;
	float *emb;       /**< n x d */
	int64_t *labels;  /**< n */
	int64_t *preds;   /**< n */
	float *probs;     /**< n x n_classes */
	int32_t *truth;   /**< n: planted slice index (n_slices for the metadata
	                       slice), or -1 */
	int32_t *kinds;   /**< n_slices: fl_synth_kind of each planted slice */
	/* with opts.view2; else d2 = 0 and the arrays NULL */
	int64_t d2;
	float *emb2;      /**< n x d2, view 2 */
	int32_t *visible2; /**< n_slices: 1 when slice j is a cluster in view 2 too */
	/* with opts.meta_slice; else meta_slice = -1 and the arrays NULL */
	int32_t meta_slice; /**< truth index of the metadata slice (n_slices), or -1 */
	int32_t *weather; /**< n: fl_synth_weather */
	int32_t *camera;  /**< n: fl_synth_camera */
	int32_t *age;     /**< n: 18 to 80 */
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
