/*
 * faultline/stats.h - the per-sample failure signal and the statistics of a
 * slice (a set of rows).
 *
 * Failure signal: one double per sample, larger = worse. Derived from
 * labels and predictions (0/1 error, cross-entropy loss, 1 - confidence) or
 * given by the user (any per-sample metric). A signal whose values are all
 * 0 or 1 is "binary" and gets exact binomial statistics; any other is
 * "continuous" and gets rank-based statistics.
 *
 * Smallest slice: every discovery method (fl_discover_kmeans,
 * fl_discover_direction, fl_discover_mixture, fl_discover) drops slices of
 * fewer than `min_size` members. Its option's 0 means automatic:
 * max(10, ceil(0.002 n)) for n rows, i.e. 0.2% of the rows, at least 10
 * (an interval on fewer members says little).
 */
#ifndef FAULTLINE_STATS_H
#define FAULTLINE_STATS_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fl_failure_kind {
	FL_FAILURE_ERROR,      /**< 1 when argmax(probs) (or preds) != label, else 0 */
	FL_FAILURE_LOSS,       /**< -log(max(probs[label], 1e-12)) (cross-entropy) */
	FL_FAILURE_CONFIDENCE  /**< 1 - probs[label] */
} fl_failure_kind;

/** Name of a failure kind: "error", "loss", "1-confidence". */
FL_API const char *fl_failure_kind_name(fl_failure_kind k);

/**
 * Derive the failure signal.
 * @param[out] out  n doubles, caller-allocated
 * @param n         rows
 * @param n_classes C, the number of columns of probs
 * @param labels    n true labels in [0, C)
 * @param probs     n x C row-major probabilities, or NULL when preds is given
 *                  (then only FL_FAILURE_ERROR is available)
 * @param preds     n predicted labels, or NULL to use argmax(probs)
 *                  (ties broken towards the lowest class index)
 * @return 0; FL_EINVAL when the kind needs probs and probs is NULL (or an
 *         argument is invalid); FL_ERANGE for a label outside [0, C).
 * Inputs are assumed validated (fl_check_labels, fl_check_probs in
 * faultline/data.h). Loss and 1 - confidence are clamped at 0, since a
 * validated probability may exceed 1 by a rounding error.
 */
FL_API int fl_failure_compute(double *out, fl_failure_kind kind, int64_t n,
			      int32_t n_classes, const int64_t *labels,
			      const float *probs, const int64_t *preds);

/** Nonzero when every value is exactly 0 or 1. */
FL_API int fl_failure_is_binary(const double *failure, int64_t n);

/**
 * Predicted labels from probabilities (or any scores): the column of
 * largest value in each row, ties broken towards the lowest class index
 * (as fl_failure_compute does when preds is NULL), so the result does not
 * depend on how a model orders equal scores. NaN compares false, so a
 * NaN is chosen only in column 0 (check probabilities first: fl_check_probs).
 * @param[out] out   n labels in [0, n_classes), caller-allocated
 * @param probs      n x n_classes row-major
 * @param n          rows, >= 0
 * @param n_classes  columns, >= 1
 * @return 0; FL_EINVAL for a negative n, n_classes < 1, or NULL arrays
 *         with n > 0.
 */
FL_API int fl_argmax_rows(int64_t *out, const float *probs, int64_t n, int32_t n_classes);

/**
 * Precomputed facts about a failure signal, shared by every slice's
 * statistics: the total, whether it is binary, and for continuous signals
 * the mid-ranks used by the rank test.
 */
typedef struct fl_failure_summary fl_failure_summary;

/**
 * Summarise a failure signal: O(n) for a binary one, O(n log n) (a sort,
 * and 16 bytes a row while it runs, 8 kept) for a continuous one.
 * @param[out] out  owned by the caller (fl_failure_summary_free); NULL on failure
 * @param failure   n finite values; borrowed, must outlive the summary
 * @param n         rows, >= 0 (0 gives a summary whose mean is NaN)
 * @return 0; FL_ERANGE naming the row of a NaN or infinite value;
 *         FL_EINVAL; FL_ENOMEM.
 */
FL_API int fl_failure_summary_new(fl_failure_summary **out,
				  const double *failure, int64_t n);
FL_API void fl_failure_summary_free(fl_failure_summary *s);
FL_API int fl_failure_summary_binary(const fl_failure_summary *s);
/** Mean failure over all n rows. */
FL_API double fl_failure_summary_mean(const fl_failure_summary *s);

/** Statistics of a slice against the rest of the rows. */
typedef struct fl_slice_stats {
	int64_t size;                /**< members */
	double failure_rate;         /**< mean failure inside */
	double failure_rate_outside; /**< mean failure outside; NaN when the slice is everything */
	double lift;                 /**< inside / overall mean; NaN when the overall
	                                  mean is 0 or the slice is empty */
	double ci_low, ci_high;      /**< 95% interval of the inside rate: Wilson
	                                  score for binary signals, mean +/- 1.96
	                                  standard errors (t-free, clipped to the
	                                  signal's range; the whole range for one
	                                  member) for continuous ones. NaN when
	                                  the slice is empty. */
	double p_value;              /**< one-sided: inside > outside. Binary:
	                                  Fisher's exact test (hypergeometric
	                                  upper tail). Continuous: Mann-Whitney U
	                                  with tie and continuity corrections,
	                                  normal approximation. 1 when the slice
	                                  is empty or everything, or the signal
	                                  is constant. */
} fl_slice_stats;

/**
 * Compute a slice's statistics.
 * @param[out] out    filled
 * @param s           the failure summary of all n rows
 * @param members     row indices in [0, n), no duplicates (not checked), any
 *                    order: the statistics do not depend on it (continuous
 *                    sums are taken in row order), and any finite signal,
 *                    up to 1e308, gives finite rates and intervals
 * @param n_members   count; 0 gives size 0, NaN rates, p-value 1
 * @return 0; FL_EINVAL naming the member and row when a member is outside
 *         [0, n), or when n_members is negative or larger than n; FL_ENOMEM.
 * Costs O(n_members) plus, for a binary signal, the Fisher tail; for a
 * continuous one whose members are not in row order, a sorted copy.
 */
FL_API int fl_slice_stats_compute(fl_slice_stats *out,
				  const fl_failure_summary *s,
				  const int64_t *members, int64_t n_members);

/**
 * The score every discovery method ranks slices by, so that they rank on one
 * scale: the lower end of the 95% interval over the overall mean, a lower
 * bound on the lift in which small slices pay for their wide interval
 * (ci_low - overall when the overall mean is <= 0).
 */
FL_API double fl_slice_score(const fl_slice_stats *st, double overall);

/**
 * Wilson score interval for k successes in n trials at z (1.96 for 95%),
 * clamped to [0, 1]. n <= 0 gives [0, 1].
 * @param[out] lo, hi  the interval's ends
 */
FL_API void fl_wilson_interval(double *lo, double *hi, double k, double n, double z);

/**
 * One-sided Fisher exact p-value: P(X >= k) for X ~ Hypergeometric(N, K, n)
 * (N rows, K failures among them, n drawn, k failures drawn).
 * 1 when k is at or below the support's minimum, 0 above its maximum, NaN
 * for an impossible table (K or n outside [0, N]). Relative error below
 * about 1e-11 for N up to 1e7 and p down to 1e-300 (checked against
 * quad-precision sums); subnormal results lose digits, and a value below the
 * double range is 0. Thread-safe (no lgamma). Cost: O(sd of X) terms.
 */
FL_API double fl_fisher_greater(int64_t N, int64_t K, int64_t n, int64_t k);

/**
 * Split rows into a discovery half and a holdout half, stratified by
 * failure: binary signals put the same number of failing rows (to one) in
 * each half; continuous ones pair rows of adjacent failure and send one of
 * each pair to the holdout. Deterministic in `seed`.
 * @param[out] holdout  n bytes: 1 for a holdout row, 0 for a discovery row
 */
FL_API int fl_split_holdout(uint8_t *holdout, const double *failure, int64_t n, uint64_t seed);

/**
 * Split rows into a discovery half and a holdout half by whole groups
 * (augmented copies of one image, frames of one video, visits of one
 * patient): all rows of a group land in the same half, so no group is
 * seen by both the search and its confirmation.
 *
 * Balance: every group is held out with probability 1/2, and the split
 * meets two targets as far as whole groups allow: half of the rows in the
 * holdout, and half of the failure (the failing rows of a binary signal;
 * the sum of the failure's mid-ranks for a continuous one). Each misses
 * by at most half of what two groups hold, so by at most the largest
 * group's rows (resp. failing rows): with many small groups the halves are
 * as even and as stratified as fl_split_holdout's; a group larger than the
 * rest together leaves them uneven. Groups of one row each give a split
 * with the same guarantees as fl_split_holdout (not the same rows).
 *
 * Algorithm: dependent rounding. Each group starts at 1/2 in the holdout;
 * three at a time move along the directions that keep both sums exact,
 * with random signs that keep each group's chance at 1/2, until a group
 * reaches 0 or 1; of the roundings of the last two, the most even is
 * taken. O(n) time and 32 bytes of scratch per row (48 for a continuous
 * signal, plus a sort). Deterministic in `seed` (an RNG stream of its
 * own: it does not reproduce fl_split_holdout for the same seed).
 *
 * @param[out] holdout  n bytes: 1 for a holdout row, 0 for a discovery row
 * @param failure       n finite failure values (binary: all 0 or 1)
 * @param group         n group codes in [0, n): rows with equal codes are a
 *                      group; codes need not be contiguous (a group's
 *                      first row is a valid code, as are dense codes
 *                      0..G-1). A caller with missing group cells gives
 *                      each such row a code of its own.
 * @return 0; FL_EINVAL (a NULL pointer, n < 0, a code outside [0, n),
 *         naming the row); FL_ENOMEM
 */
FL_API int fl_split_holdout_grouped(uint8_t *holdout, const double *failure,
				    const int64_t *group, int64_t n, uint64_t seed);

/**
 * Benjamini-Hochberg adjusted p-values: adjusted[i] = min over j with
 * p_j >= p_i of p_j m / rank(p_j), capped at 1 (NaN counts as 1). A
 * hypothesis is rejected at false discovery rate q when adjusted <= q.
 * @param[out] adjusted  m doubles (may equal p)
 */
FL_API int fl_bh_adjust(double *adjusted, const double *p, int64_t m);

#ifdef __cplusplus
}
#endif
#endif
