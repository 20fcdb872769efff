/*
 * faultline/data.h - validation of a model's outputs before any analysis.
 *
 * Rules (documented in docs/inputs.md):
 *  - labels and predictions are integers in [0, C);
 *  - probabilities are finite, in [0, 1], and each row sums to 1 within
 *    FL_PROB_SUM_TOL; otherwise the call fails, naming the row and its sum,
 *    and suggests --logits (raw scores are never silently renormalised);
 *  - logits are finite; fl_softmax_rows turns them into probabilities;
 *  - embeddings and failure values are finite.
 * Each check names the array (`name`; NULL reads "array") and the first
 * offending row (and column), returns FL_ERANGE for a bad value and
 * FL_EINVAL for bad arguments (negative sizes, NULL data with rows).
 */
#ifndef FAULTLINE_DATA_H
#define FAULTLINE_DATA_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FL_PROB_SUM_TOL 1e-3

/** Every label in [0, n_classes). FL_ERANGE naming `name` and the row otherwise. */
FL_API int fl_check_labels(const int64_t *labels, int64_t n, int32_t n_classes,
			   const char *name);
/**
 * n x c row-major probabilities: finite, in [0, 1] give or take 1e-6 (float
 * rounding), each row summing to 1 +/- FL_PROB_SUM_TOL (summed in double).
 * Messages, e.g.: "probs.npy: row 3: probabilities sum to 1.73, not 1 (raw
 * scores? pass them as --logits)", "probs.npy: row 2, column 1: probability
 * is NaN".
 */
FL_API int fl_check_probs(const float *probs, int64_t n, int32_t c, const char *name);
/** n x d values (row i starts at x + i * ld, ld >= d) all finite; names row and column. */
FL_API int fl_check_finite_f32(const float *x, int64_t n, int64_t d, int64_t ld,
			       const char *name);
/** n values all finite; names the row. */
FL_API int fl_check_finite_f64(const double *x, int64_t n, const char *name);

/**
 * Row-wise softmax of n x c logits (finite) into `out` (may equal `logits`),
 * computed in double with the max subtracted. Every logit is checked first,
 * so on failure (FL_ERANGE naming row and column) `out` is untouched.
 */
FL_API int fl_softmax_rows(float *out, const float *logits, int64_t n, int32_t c,
			   const char *name);

#ifdef __cplusplus
}
#endif
#endif
