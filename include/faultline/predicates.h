/*
 * faultline/predicates.h - exact search for the conjunctions of metadata
 * predicates on which a model fails ("night AND camera B",
 * "label = spam AND source = relay-7"), after SliceLine (Sagadeeva &
 * Boehm, "SliceLine: Fast, Linear-Algebra-based Slice Finding for ML
 * Model Debugging", SIGMOD 2021), in a richer language of predicates.
 *
 * Predicates. Every usable column of a metadata table (faultline/io.h)
 * becomes a list of predicates:
 *  - categorical and boolean columns: `column = value` for every value that
 *    occurs, plus `column is missing` when a cell is missing; and, in the
 *    rich language (the default), with the column's values ordered by
 *    failure rate on the rows searched (highest first, ties in level
 *    order): the sets `column in {v1, v2}`, `column in {v1, v2, v3}`, ...
 *    of the first 2..max_set values of that order, and `column != v` for
 *    every value v, on columns of 3 values or more (on 2, `!= a` is
 *    `= b`). Only values holding min_support rows or more take part
 *    (adding or taking away a rarer one changes fewer rows than a slice
 *    holds). A set never holds all values present but one: that is the
 *    negation of the one left out, which is listed. A set or a negation
 *    holds no missing cell (`column != v` is "has a value, and not v").
 *  - numeric columns with at most `bins` distinct values: `column = v` for
 *    every value v; with more: equal-frequency bins `column < c1`,
 *    `column in [c1, c2)`, ..., `column >= ck`, plus `column is missing`
 *    when a cell is missing. A column without any cut but with missing
 *    cells gives `column is not missing`.
 *    Cuts: the j/bins quantiles of the non-missing values (of cut_table
 *    when given), each moved to the nearer end of a run of tied values it
 *    falls in; duplicates and cuts above +inf dropped, so +-inf values fall
 *    in the first/last bin, whose infinite bound is an open end. A cut
 *    lies between two adjacent distinct observed values (a boundary point
 *    in the sense of Fayyad & Irani, IJCAI 1993: never inside an empty
 *    gap) and is the upper one of them, c: the bins are `x < c` and
 *    `x >= c`, fl_predicate.low/high hold c exactly, and the spec JSON
 *    writes c in the fewest digits that read back as c. The text writes c
 *    itself when it reads in 6 significant digits or fewer (`rotation >=
 *    25.7` when 25.7 is the smallest value at or above the cut, never a
 *    round number in the empty gap below it), else c cut down to the
 *    fewest digits (6 or more) that stay above the value below c
 *    (`x >= 0.533482` for 0.53348217...): text, spec and c select the
 *    same observed rows.
 *  - columns derived from the model's outputs (fl_table_col_derived
 *    "label" or "predicted": the true and predicted class of each row,
 *    level code = class index, added by the pipeline) are categorical
 *    columns like the others; they are listed first, and a slice never
 *    holds both (unless label_with_predicted): with a failure signal made
 *    from them, `label = cat AND predicted = dog` is a cell of the
 *    confusion matrix, not a finding. Their spec predicates name the class
 *    ("derived", "class"; see fl_discover_predicates).
 * In the SliceLine language (FL_PRED_LANG_SLICELINE) there are no sets or
 * negations, the search reads the columns of the file only (fl_table_base:
 * no derived column, and a column one replaced as it was), and cuts come
 * from the rows searched: SliceLine's own predicates, score and top-K.
 * Columns skipped, each with a note (see fl_predicate_result.notes): those
 * listed in skip_cols (an id column), categorical columns with more than
 * max_levels_per_column distinct values, and columns whose one predicate
 * would cover every row (constant, or all missing). On a table wider than
 * max_columns (default 1000) only the first max_columns columns that give
 * predicates are searched; one note counts the columns left out.
 *
 * Score. A slice S is a conjunction of predicates on distinct columns; with
 * |S| rows and mean failure e_S, over n rows of mean failure e:
 *     score(S) = alpha * (e_S / e - 1) - (1 - alpha) * (n / |S| - 1)
 * S is valid when |S| >= min_support and score(S) > 0. The search returns
 * the exact top-K valid slices with at most max_level predicates: the same
 * set, scores and order as scoring every such conjunction of the listed
 * predicates one by one, only faster (level-wise enumeration pruned by
 * size and by an upper bound on the score of every extension).
 *
 * Why the pruning stays exact with sets and negations. The bound (derived
 * in src/predicates/search.c) uses only two facts: an extension T of a
 * slice S (S AND more predicates) holds a subset of the rows of S and of
 * each of its parents, and failure >= 0. It never assumes that the
 * predicates of a column are disjoint, nor anything of their form, so it
 * holds for any list of predicates, overlapping ones included. What the
 * language adds is fixed before the search (the failure order of each
 * column's values is computed once, on the rows searched), so the search
 * is exact with respect to that list; "at most one predicate per column"
 * is a rule of the language, which the level-wise join keeps (a candidate
 * needs all its parents, and a parent with two predicates of one column
 * is never made). The prefix sets bound the language: a column of v
 * values adds at most max_set - 1 sets and v negations, not 2^v sets.
 * tests/unit/test_predicates.c enumerates this language independently and
 * checks the top-K against brute force.
 *
 * Order (total, deterministic, whatever the thread count): score
 * descending, then fewer predicates first, then the predicates' indices
 * (fl_predicate_result.preds) compared lexicographically. Slices with
 * identical rows (education = Bachelors vs education = Bachelors AND
 * education-num = 13) are distinct conjunctions and may both appear, as in
 * SliceLine; fl_discover_predicates keeps only the first.
 *
 * Failure signal: n finite values >= 0 (a 0/1 error or any loss-like
 * metric). Negative values are refused (FL_ERANGE): the score's ratio
 * e_S / e and the pruning bound assume failure >= 0; shift a signed metric
 * first. A signal that is 0 everywhere has no failing slice (empty result).
 *
 * Memory: one bitset per usable predicate (n / 8 bytes each; predicates
 * with fewer than min_support rows get none), plus 40-60 bytes per slice
 * kept as a parent for the next level, at most max_slices of them per
 * level; the input table is read, never copied.
 *
 * Time: level 1 reads each bitset once; every further level makes at most
 * max_joins joins (see that option), so a wide table (thousands of columns,
 * millions of predicates) is searched in bounded time: exactly up to the
 * first level that had to leave parents out, which a note names.
 */
#ifndef FAULTLINE_PREDICATES_H
#define FAULTLINE_PREDICATES_H

#include "core.h"
#include "io.h"
#include "stats.h"
#include "candidate.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Receives one note (a column skipped, a search stopped early), one line
 * without a newline, from the thread that called the search. */
typedef void (*fl_predicate_note_fn)(void *user_data, const char *message);

/** The language of predicates (see the top of this file). */
typedef enum fl_predicate_language {
	FL_PRED_LANG_RICH = 0,     /**< values, sets of values, negations, bins cut at the
	                                values of cut_table, the derived columns */
	FL_PRED_LANG_SLICELINE = 1 /**< SliceLine's: values and equal-frequency bins of the
	                                rows searched; no sets, negations or derived columns */
} fl_predicate_language;

/** Options of fl_predicates_search and fl_discover_predicates. Start from
 * FL_PREDICATE_OPTS_INIT. Version 1 (options up to max_columns) is still
 * accepted and searches the SliceLine language, as it did. */
typedef struct fl_predicate_opts {
	int version;               /**< FL_PREDICATE_OPTS_VERSION */
	double alpha;              /**< weight of the failure term, in (0, 1] (default 0.95) */
	int32_t max_level;         /**< most predicates in a slice, 1..64 (default 3) */
	int64_t min_support;       /**< least rows of a valid slice; > 0 overrides
	                                min_support_frac (default 0) */
	double min_support_frac;   /**< when min_support is 0: ceil(frac * n), at least 1;
	                                in [0, 1] (default 0.01) */
	int32_t bins;              /**< numeric bins, 2..256 (default 10) */
	int32_t top;               /**< K, slices returned, >= 1 (default 10) */
	int32_t max_levels_per_column; /**< categorical columns with more distinct values
	                                    are skipped with a note, >= 1 (default 1000) */
	const int64_t *skip_cols;  /**< column indices not to use (e.g. an id column), or NULL */
	int32_t n_skip;            /**< length of skip_cols, >= 0 */
	int32_t threads;           /**< OpenMP threads, >= 0; 0 = omp_get_max_threads().
	                                Results do not depend on it. */
	int64_t max_slices;        /**< most slices kept per level as parents of the next;
	                                when a level would keep more, the search stops after
	                                that level with a note (results exact up to it);
	                                >= 1, at most INT32_MAX (default 4,000,000: about
	                                250 MB at level 3) */
	fl_predicate_note_fn note; /**< NULL, or called for every note */
	void *note_user;
	fl_progress_fn progress;   /**< NULL, or called with stage "predicates level=L",
	                                done/total = slices of level L-1 expanded so far */
	void *progress_user;
	int64_t max_joins;         /**< most joins (pairs of slices of one level, each a
	                                candidate of the next) a level makes, >= 1 (default
	                                16,777,216: a few seconds a level). A level whose
	                                parents would make more joins starts from those with
	                                the highest score bound only, with a note; its slices
	                                and deeper ones are then not an exact top-K. Bounds
	                                the time on wide tables (100k columns: a million
	                                predicates) */
	int32_t max_columns;       /**< most columns searched, >= 1 (default 1000): the
	                                first max_columns columns (in table order, skipped
	                                ones not counted) that give predicates; the columns
	                                after them are not read, and a note says how many */
	fl_predicate_language language; /**< default FL_PRED_LANG_RICH */
	int32_t max_set;           /**< rich: most values in a set `column in {...}`, 1..64
	                                (1: no sets; default 3) */
	const fl_table *cut_table; /**< rich: NULL, or a table with the columns (names, types,
	                                order) of the one searched, e.g. all the rows when
	                                the search sees a part of them: numeric columns are
	                                cut at its quantiles and observed values (and one
	                                with at most `bins` distinct values there gives one
	                                predicate per value), so searches of different rows
	                                of it cut each column at the same values */
	int label_with_predicted;  /**< nonzero: a slice may hold a predicate on the derived
	                                "label" column and one on "predicted" (default 0) */
} fl_predicate_opts;

#define FL_PREDICATE_OPTS_VERSION 2
#define FL_PREDICATE_OPTS_INIT {FL_PREDICATE_OPTS_VERSION, 0.95, 3, 0, 0.01, 10, 10, 1000, \
	NULL, 0, 0, 4000000, NULL, NULL, NULL, NULL, 16777216, 1000, FL_PRED_LANG_RICH, 3, NULL, 0}

/** What a predicate tests. */
typedef enum fl_predicate_op {
	FL_PRED_EQ,       /**< categorical/boolean: code == `code`;
	                       numeric: value == `low` (and high == low) */
	FL_PRED_RANGE,    /**< numeric: low <= value < high, value not missing
	                       (low = -inf / high = +inf for an open end) */
	FL_PRED_MISSING,  /**< the cell is missing */
	FL_PRED_IN_SET,   /**< categorical: code is one of `codes` (never missing) */
	FL_PRED_NE        /**< categorical/boolean: code != `code`, not missing */
} fl_predicate_op;

/** One predicate on one column. */
typedef struct fl_predicate {
	int64_t column;        /**< table column */
	fl_predicate_op op;
	int32_t code;          /**< FL_PRED_EQ and FL_PRED_NE on categorical/boolean: the
	                            level code (fl_table_level); -1 otherwise */
	double low, high;      /**< numeric FL_PRED_EQ and FL_PRED_RANGE; NaN otherwise */
	int64_t size;          /**< rows it holds */
	char *text;            /**< plain words: "class = Shirt", "age in [37, 45)",
	                            "age < 37", "age >= 60", "age = 3", "age is missing",
	                            "class in {Bag, Ankle boot}", "class != Sneaker" */
	int32_t n_codes;       /**< FL_PRED_IN_SET: the set's size; 0 otherwise */
	int32_t *codes;        /**< FL_PRED_IN_SET: its level codes, highest failure rate
	                            first (owned by the result); NULL otherwise */
} fl_predicate;

/** One slice of the result: a conjunction of predicates. */
typedef struct fl_predicate_slice {
	int32_t n_preds;       /**< its level, 1..max_level */
	int32_t *preds;        /**< n_preds indices into fl_predicate_result.preds, ascending
	                            (so in column order); points into the result */
	int64_t size;          /**< |S| */
	double error_sum;      /**< sum of failure over its rows (in row order) */
	double error_max;      /**< largest failure among its rows */
	double score;          /**< the SliceLine score */
} fl_predicate_slice;

/** The result of a search. Everything is owned by the result. */
typedef struct fl_predicate_result {
	fl_predicate *preds;   /**< every predicate built, by column (derived columns
	                            first, then table order), within a column by
	                            value/bin, missing, sets (shortest first), negations
	                            (level order); including those below min_support */
	int32_t n_preds;
	fl_predicate_slice *slices; /**< the top-K valid slices, best first (the order above) */
	int32_t n_slices;
	char **notes;          /**< columns skipped and why, early stops; one line each */
	int32_t n_notes;
	int64_t n_rows;        /**< n */
	double mean_failure;   /**< e */
	int64_t min_support;   /**< the count used */
	int32_t levels_done;   /**< levels searched: max_level, or fewer when a level kept
	                            fewer than two slices to join, or the search stopped
	                            at max_slices (then a note says so) */
	int64_t evaluated[8];  /**< slices evaluated (sizes and sums computed) at levels
	                            1..8 (index 0 = level 1); deeper levels add to [7] */
	int64_t pruned[8];     /**< joins of each level dropped without evaluation (score
	                            bound below the K-th score, or a parent not kept) */
} fl_predicate_result;

/**
 * Exact SliceLine top-K over a metadata table.
 *
 * Enumeration: level 1 scores every predicate; level L joins two slices of
 * level L-1 that share their first L-2 predicates, and keeps a candidate
 * only when all L of its parents were kept (Apriori). A slice is kept as a
 * parent when it holds at least min_support rows, some failure, and an
 * upper bound on the score of any of its extensions reaches the current
 * K-th best score. Sizes are popcounts of ANDed bitsets (one per predicate);
 * failure sums are popcounts against a failure bitset for a 0/1 signal, and
 * sums over the set bits, in row order, otherwise. Candidates are evaluated
 * on `threads` OpenMP threads in fixed blocks; the top-K and the parents of
 * the next level are updated in a fixed order, so results are identical
 * for any thread count. Exact unless a note says a level left parents out
 * (max_joins) or the search stopped early (max_slices).
 *
 * @param[out] out   the result, owned by the caller (fl_predicate_result_free);
 *                   NULL on error
 * @param t          the table (borrowed, read only)
 * @param failure    fl_table_rows(t) values, finite and >= 0
 * @param opts       NULL for FL_PREDICATE_OPTS_INIT
 * @return 0 (also when nothing is found: n_slices = 0, with notes saying why
 *         when it is the data's fault: no rows, no usable column, no failure);
 *         FL_EINVAL (NULL arguments, an option out of range, a skip_cols
 *         index outside the table, an unknown version); FL_ERANGE naming
 *         the row of a NaN, infinite or negative failure; FL_ENOMEM.
 */
FL_API int fl_predicates_search(fl_predicate_result **out, const fl_table *t,
				const double *failure, const fl_predicate_opts *opts);

/** Release a result. Accepts NULL. */
FL_API void fl_predicate_result_free(fl_predicate_result *r);

/**
 * The rows of slice `slice` of a result, in row order, recomputed from the
 * table the result was built from (or another table with the same columns).
 * @param[out] out    rows, owned by the caller (free()); NULL when there are none
 * @param[out] n_out  their count
 * @return 0; FL_EINVAL for a slice index out of range or a table without
 *         the columns; FL_ENOMEM
 */
FL_API int fl_predicate_slice_rows(int64_t **out, int64_t *n_out,
				   const fl_predicate_result *r, int32_t slice,
				   const fl_table *t);

/**
 * Nonzero when row `row` of table `t` satisfies predicate `p` (built on a
 * table with the same column types).
 */
FL_API int fl_predicate_match(const fl_predicate *p, const fl_table *t, int64_t row);

/**
 * Predicate search as a discovery method: the candidates of `faultline
 * discover --meta`.
 *
 * Runs fl_predicates_search (in the rich language for the top 4K slices,
 * which hold many near copies of one finding: a value, sets holding it,
 * negations), then turns its slices into at most K candidates, best
 * SliceLine score first, dropping (noise control; the raw search keeps
 * them all), each against the slices kept before it:
 *  (a) a slice whose rows equal those of a kept one;
 *  (b) a slice that adds nothing to a kept one: they share rows, its rows
 *      outside the kept one (if any) do not fail clearly more often than
 *      the whole data, and the rows they share do not fail clearly more
 *      often than the kept slice's other rows (if any); "clearly": the 95%
 *      interval of those rows (as stats.ci_low) stays above that rate. So
 *      a kept slice narrowed down without concentrating its failures
 *      ("class = Shirt AND height >= 28" after "class = Shirt"), diluted
 *      ("weather = night", "weather = night AND camera != C" after
 *      "weather = night AND camera = B") or both goes. Applied in SliceLine
 *      order against the slices kept before; when the kept one adds
 *      nothing to the new one either and the new one is larger, the new
 *      (simpler) one replaces it. Then once more: a slice goes when it
 *      adds nothing to a larger one kept after it;
 *  (c) a slice whose 95% interval (stats.ci_low) does not clear the
 *      overall failure rate.
 * Each candidate has:
 *  - method "predicates", view "" (metadata), component = the slice's rank
 *    in the search result (0-based);
 *  - members: every row of the slice in row order, member_scores all 1
 *    (membership is all or nothing);
 *  - stats from fl_slice_stats_compute; score = stats.ci_low / overall
 *    mean (a lower bound on the lift, the score the report ranks every
 *    method by);
 *  - description: the predicates in plain words joined by " AND "
 *    ("class = Shirt AND brightness in [0.31, 0.42)");
 *  - spec_json, one object re-identifying the slice in new data:
 *    {"type":"predicates","predicates":[P, ...],"sliceline_score":X,
 *     "alpha":A,"level":L}
 *    where each P is {"column":NAME,"op":"==","value":V} (V a string for
 *    categorical, true/false for boolean, a number for numeric, null for
 *    missing), {"column":NAME,"op":"in","low":LO,"high":HI} (numeric,
 *    low <= x < high, x not missing; null for an open end, both null for
 *    "not missing"), {"column":NAME,"op":"in_set","values":[V, ...]}
 *    (the cell is one of the values, in failure order) or
 *    {"column":NAME,"op":"!=","value":V} (the cell has a value, not V).
 *    On a derived column P also has "derived":"label" or "predicted"
 *    (right after "column") and the class numbers (level codes): "class":K
 *    for == and !=, "classes":[K, ...] for in_set; fl_spec_apply applies
 *    it to the labels or predictions by number. Numbers are written in the
 *    fewest digits that round-trip. Text that is not UTF-8 also comes as
 *    "column_hex", "value_hex" or "values_hex" (its bytes in hex).
 * Candidates are returned best first (score, then p-value, then component).
 *
 * @param[out] out    candidates owned by the caller: fl_candidate_clear each,
 *                    then free(*out); NULL when there are none or on error
 * @param[out] n_out  their count
 * @param t           the metadata table, fl_table_rows(t) rows
 * @param failure     the same rows' failure signal (see fl_predicates_search)
 * @param s           the summary of `failure` (fl_failure_summary_new)
 * @param opts        NULL for FL_PREDICATE_OPTS_INIT (notes go to opts->note)
 * @return as fl_predicates_search; FL_EINVAL also for a NULL s, or one
 *         that summarises fewer rows than the table has
 */
FL_API int fl_discover_predicates(fl_candidate **out, int32_t *n_out,
				  const fl_table *t, const double *failure,
				  const fl_failure_summary *s,
				  const fl_predicate_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
