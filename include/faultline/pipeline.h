/*
 * faultline/pipeline.h - one call per verb: discover, apply, check, compare.
 *
 * These are the library's entry points: each runs a whole verb of the
 * `faultline` command on arrays the caller already holds, and returns a
 * report (or verdicts) to render with faultline/report.h. The command line
 * and the Python package are clients of these four calls; neither holds an
 * algorithmic step of its own.
 *
 *   fl_report *r = NULL;
 *   fl_view views[] = {{"emb", emb, 64, "emb.npy"}};
 *   fl_data data = FL_DATA_INIT;
 *   fl_discover_opts o = FL_DISCOVER_OPTS_INIT;
 *
 *   data.n = n; data.labels = labels; data.probs = probs; data.n_classes = 10;
 *   data.views = views; data.n_views = 1;
 *   o.top = 5;
 *   if (fl_discover(&r, &data, &o) != 0)
 *           fprintf(stderr, "%s\n", fl_last_error());
 *   else
 *           fl_report_write_text(r, stdout);
 *   fl_report_free(r);
 *
 * Memory: every array in fl_data is borrowed, read in place and never
 * copied whole (numpy's memory can be passed as it is); the report keeps
 * pointers to the labels, the predictions and the metadata table, so they
 * must outlive it. What the report derives (the failure signal, argmax
 * predictions, softmax of logits) it owns.
 *
 * Options: each verb's options are a plain struct with a version field and
 * an FL_..._INIT initialiser (or fl_discover_opts_init); NULL means the
 * defaults. Every default is written once, here. The discover options are
 * also described by a table (fl_discover_option), so that a client can set
 * them by name from text (fl_discover_opts_set) and print their defaults
 * (fl_discover_opts_get) without repeating them.
 *
 * Progress and cancellation: `progress` is called with a stage name and
 * the units done of a total, at most a few times a second, from the
 * calling thread; when it returns non-zero the call stops as soon as it
 * can, frees what it made and returns FL_ECANCELED. No verb writes a file
 * the caller did not name (mixture models: see model_prefix), and a
 * failed or cancelled run leaves none behind.
 */
#ifndef FAULTLINE_PIPELINE_H
#define FAULTLINE_PIPELINE_H

#include <math.h>

#include "core.h"
#include "io.h"
#include "stats.h"
#include "spec.h"
#include "report.h"
#include "comm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the data of one model on one evaluation set ----------------------- */

/** An embedding view of the rows (borrowed): n x dim float32, row-major. */
typedef struct fl_view {
	const char *name;    /**< 1-63 bytes, unique among the views */
	const float *x;      /**< n x dim, contiguous rows */
	int64_t dim;
	const char *source;  /**< where it came from ("emb.npy"), named in messages
	                          and recorded in the report; NULL = the name */
} fl_view;

/**
 * What a model did on n samples, and the views of them. Every pointer is
 * borrowed and may be NULL unless the verb needs it. Give either a failure
 * signal, or labels with probabilities (or logits) and/or predictions.
 * The *_name strings say where each input came from ("labels.npy"): every
 * message about an input names it (defaults: "labels", "probs", ...).
 */
typedef struct fl_data {
	int version;                 /**< FL_DATA_VERSION */
	int64_t n;                   /**< rows */
	const int64_t *labels;       /**< n true labels in [0, n_classes) */
	const char *labels_name;
	const float *probs;          /**< n x n_classes probabilities (rows sum to 1),
	                                  or logits when probs_are_logits */
	int32_t n_classes;           /**< columns of probs; 0 without probs (then the
	                                  largest label or prediction + 1) */
	int probs_are_logits;        /**< softmax is applied to each row first */
	const char *probs_name;
	const int64_t *preds;        /**< n predicted labels; NULL = argmax of probs */
	const char *preds_name;
	const double *failure;       /**< n per-sample failure values (larger = worse);
	                                  when given, labels and probs are optional */
	const char *failure_name;
	const fl_view *views;
	int32_t n_views;
	const fl_table *meta;        /**< metadata, n rows, or NULL. With labels, the
	                                  predicate search and the descriptions also see
	                                  each row's true and predicted class as the
	                                  categorical columns "label" and "predicted"
	                                  (named by the class names when known; a name the
	                                  metadata already use gets " (faultline)"
	                                  appended); read in place, never copied */
	const char *meta_name;
	const char *id_column;       /**< meta column naming each sample (never a predicate) */
	const char *class_column;    /**< meta column naming each label; NULL = the first
	                                  categorical column constant within every label */
	const char *const *phrases;  /**< candidate descriptions of slices, or NULL */
	int32_t n_phrases;
	const float *phrase_emb;     /**< n_phrases x dim of phrase_view */
	const char *phrase_view;     /**< the view whose space the phrases are embedded in */
	const char *phrase_emb_name;
} fl_data;

#define FL_DATA_VERSION 1
#define FL_DATA_INIT {FL_DATA_VERSION, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, \
		      NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL}

/* ---- discover ----------------------------------------------------------- */

/** The discovery methods, as bits of fl_discover_opts.methods. */
enum fl_method {
	FL_METHOD_MIXTURE = 1,     /**< error-aware mixture in each view (needs views) */
	FL_METHOD_KMEANS = 2,      /**< k-means of the failing rows in each view */
	FL_METHOD_DIRECTION = 4,   /**< failure direction in each view */
	FL_METHOD_PREDICATES = 8   /**< exact predicate search in the metadata */
};

/** A note for people (a column skipped, a search stopped early), one line. */
typedef void (*fl_note_fn)(void *user_data, const char *message);

/**
 * Options of fl_discover (and of each side of fl_compare). The numbers'
 * defaults, ranges and meanings are in the option table
 * (fl_discover_option); FL_DISCOVER_OPTS_INIT holds the defaults.
 */
typedef struct fl_discover_opts {
	int version;                 /**< FL_DISCOVER_OPTS_VERSION */
	uint32_t methods;            /**< FL_METHOD_* bits; 0 = every method whose inputs are given */
	fl_failure_kind failure_kind; /**< how labels + probs become a failure signal */
	int32_t top;                 /**< slices reported */
	int32_t k;                   /**< k-means clusters per view, 0 = automatic */
	int64_t min_size;            /**< smallest slice, 0 = automatic (stats.h, "Smallest slice") */
	int normalize;               /**< L2-normalise the views first (cosine geometry) */
	uint64_t seed;
	int32_t threads;             /**< 0 = all cores; results do not depend on it */
	double alpha;                /**< predicates: weight of failure against size */
	int32_t max_level;           /**< predicates: most predicates in a conjunction */
	double min_support;          /**< predicates: least rows (>= 1) or share of rows (< 1) */
	int32_t bins;                /**< predicates: equal-frequency bins per numeric column */
	int32_t max_set;             /**< predicates: most values in a set `col in {...}` (1: no
	                                  sets in the search; descriptions use up to 3) */
	int predicate_language;      /**< predicates: 0 rich, 1 SliceLine's own (fl_predicate_language) */
	int holdout;                 /**< search half the rows, confirm on the other half */
	double fdr;                  /**< false discovery rate of the confirmation */
	int32_t components;          /**< mixture: components per view */
	int32_t pca_dims;            /**< mixture: PCA dimensions per view */
	int per_class;               /**< direction: one direction per true class */
	int map;                     /**< give the report a 2-D map of the first view (HTML) */
	int32_t rounds;              /**< searches: the first on every row, each further one
	                                  among the rows outside the causes found so far
	                                  (explaining away; with the mixture or k-means
	                                  selected, without the failure direction); 1 = one
	                                  search */
	/** Where the mixture models are kept, so that their slices' specs can be
	 *  applied later: PREFIX.mixture-VIEW.npz (the report's JSON is usually
	 *  PREFIX.json). They are written only by fl_report_save, with the
	 *  report; until then they live in a temporary folder that
	 *  fl_report_free removes. NULL: the models live in a temporary folder
	 *  of $TMPDIR as long as the report does, and a JSON saved from it names
	 *  files ("mixture-VIEW.npz") that no folder holds. */
	const char *model_prefix;
	fl_progress_fn progress;
	void *progress_user;
	fl_note_fn note;
	void *note_user;
	/** Keep the rows of each group in one half of the holdout: the metadata
	 *  column (categorical, boolean or numeric; equal values are one group,
	 *  -0 = 0) whose equal cells mark rows that belong together (augmented
	 *  copies of one image, frames of one video, visits of one patient),
	 *  split by fl_split_holdout_grouped, which says how the halves stay
	 *  even and failure-stratified as far as whole groups allow. A row
	 *  whose cell is missing is a group of its own. The column is never a
	 *  predicate of the search (as the id column). NULL or "" = rows split
	 *  one by one (fl_split_holdout). Needs metadata and holdout (else
	 *  FL_EINVAL); recorded in the report's parameters as group_column.
	 *  Borrowed, as every text option: it must outlive the call. */
	const char *group_column;
	/** Record the wall time of each stage in the report (fl_report_add_timing:
	 *  prepare, split, each method and view, settle, confirm, causes,
	 *  describe, map), summed over the searches; its JSON then holds them. */
	int timings;
	/** Run on several processes (faultline/comm.h): every rank calls
	 *  fl_discover with the same data and options and gets the same report.
	 *  NULL or a table of size 1: this process alone. Borrowed. */
	const fl_comm *comm;
} fl_discover_opts;

#define FL_DISCOVER_OPTS_VERSION 1
#define FL_DISCOVER_OPTS_INIT {FL_DISCOVER_OPTS_VERSION, 0, FL_FAILURE_ERROR, 10, 0, 0, 0, 0, \
			       0, 0.95, 3, 0.01, 10, 1, 0, 1, 0.05, 25, 128, 0, 0, 2, NULL, NULL, NULL, \
			       NULL, NULL, NULL, 0, NULL}

/** Set *o to the defaults (the same as FL_DISCOVER_OPTS_INIT). */
FL_API void fl_discover_opts_init(fl_discover_opts *o);

/** How an option's value is written. */
typedef enum fl_option_type {
	FL_OPTION_INT,     /**< an integer in [min, max] */
	FL_OPTION_NUM,     /**< a number in [min, max] (open ends: see help) */
	FL_OPTION_BOOL,    /**< "true"/"false" (also "1"/"0") */
	FL_OPTION_CHOICE,  /**< one of `choices` (comma-separated) */
	FL_OPTION_SET,     /**< any of `choices`, comma-separated ("mixture,kmeans") */
	FL_OPTION_STRING   /**< a text (a column name); "" = none (the field is NULL).
	                        The options hold the caller's pointer, borrowed and
	                        never copied or freed: it must outlive their use */
} fl_option_type;

/** One numeric, named or text option of fl_discover_opts (callbacks and paths excluded). */
typedef struct fl_option {
	const char *name;     /**< the field's name: "min_support" */
	fl_option_type type;
	const char *help;     /**< one line, without the default */
	const char *choices;  /**< CHOICE and SET: the values, comma-separated */
	const char *zero;     /**< INT: what 0 means ("automatic"), or NULL */
	double min, max;      /**< INT and NUM: the valid range */
} fl_option;

/** Number of options in the table. */
FL_API int32_t fl_discover_option_count(void);
/** Option i of the table (static), or NULL out of range. */
FL_API const fl_option *fl_discover_option(int32_t i);
/**
 * Set an option by name from text, checked against its type and range. A
 * FL_OPTION_STRING option keeps `value` itself (borrowed: keep it alive
 * while the options are used; "" sets NULL); the others are parsed.
 * @return 0; FL_EINVAL (no such option, or a value it cannot take: the
 *         message names the option, the value and what it accepts)
 */
FL_API int fl_discover_opts_set(fl_discover_opts *o, const char *name, const char *value);
/**
 * The value of an option as text ("0.95", "true", "automatic",
 * "mixture,kmeans", a column name or "" for none); of
 * FL_DISCOVER_OPTS_INIT for the defaults.
 * @return 0; FL_EINVAL (no such option, or len too small)
 */
FL_API int fl_discover_opts_get(const fl_discover_opts *o, const char *name, char *buf,
				size_t len);
/** Check every option (ranges, choices, version; group_column needs holdout).
 *  @return 0 or FL_EINVAL naming it */
FL_API int fl_discover_opts_check(const fl_discover_opts *o);

/**
 * The whole discovery pipeline of `faultline discover`: check the data;
 * derive the failure signal; split off a held-out half (opts.holdout);
 * run every selected method in every view and the predicate search in the
 * metadata on the other half; make each slice's members the rows of that
 * half its spec selects; confirm every slice on the held-out half
 * (Benjamini-Hochberg over all of them); search again among the rows
 * outside the causes found (opts.rounds); group everything into causes
 * with parts, ranked by the failures each accounts for beyond the causes
 * above it (fl_report_causes; one method alone: its raw ranking); describe
 * each cause and part by metadata and phrases.
 * Same data, same rows: each slice's spec, saved (fl_report_save), read
 * back (fl_saved_report_load) and applied to the same data (fl_apply),
 * selects exactly its members and holdout members, for every spec type
 * and every metadata value (NaN is missing, +-inf are ordered values:
 * docs/inputs.md). Where a method's own members differ from its rule (a
 * direction's cross-fitted ranking, a mixture's 8-bit working copy), the
 * rule's rows are the members and the statistics are measured on them.
 * @param[out] out  the report, owned by the caller (fl_report_free); NULL on failure
 * @param data      the inputs (borrowed; labels, predictions and meta must
 *                  outlive the report)
 * @param opts      NULL = defaults
 * @return 0; FL_EINVAL (an option, or the data lack what a method needs);
 *         FL_ESHAPE (row counts disagree); FL_ERANGE (NaN, Inf, a label out
 *         of range); FL_EIO (a temporary model file); FL_ECANCELED;
 *         FL_ENOMEM. The message names the input and the row.
 */
FL_API int fl_discover(fl_report **out, const fl_data *data, const fl_discover_opts *opts);

/* ---- apply and check ---------------------------------------------------- */

/** Options of fl_apply and fl_check. */
typedef struct fl_apply_opts {
	int version;                  /**< FL_APPLY_OPTS_VERSION */
	fl_failure_kind failure_kind;
	fl_progress_fn progress;      /**< called once per slice; non-zero cancels */
	void *progress_user;
	int allow_view_drift;         /**< apply even to a view that does not look like
	                                   the one the report was built on */
} fl_apply_opts;

#define FL_APPLY_OPTS_VERSION 1
#define FL_APPLY_OPTS_INIT {FL_APPLY_OPTS_VERSION, FL_FAILURE_ERROR, NULL, NULL, 0}

/**
 * Re-measure every slice of a saved report on new data (a new model's
 * outputs on the same samples, or new samples): each slice's spec selects
 * its rows, whose statistics make one slice of the new report, in the
 * saved order and under the saved ids. Relative model files of the specs
 * are looked up in the saved report's folder. A view of the saved report's
 * name must look like the one the report was built on (its fingerprint:
 * the profile of its columns' means and spreads, and a few rows by id;
 * src/pipeline/view.c): rules found in one model's embedding select
 * nonsense in another's. Unless opts.allow_view_drift, one that does not is
 * FL_EINVAL, naming it.
 * @param[out] out  owned by the caller (fl_report_free)
 * @return 0; the errors of fl_discover's data checks; FL_EINVAL for a
 *         view that does not look like the saved one; an error of
 *         fl_spec_apply naming the slice; FL_ECANCELED; FL_ENOMEM
 */
FL_API int fl_apply(fl_report **out, const fl_saved_report *saved, const fl_data *data,
		    const fl_apply_opts *opts);

/** A slice judged by fl_check. */
typedef enum fl_status { FL_PASS = 0, FL_WARN = 1, FL_FAIL = 2 } fl_status;

typedef struct fl_verdict {
	fl_status status;
	char why[256];     /**< "failure rate rose 0.1 -> 0.3 (> +0.05)", or "" */
} fl_verdict;

/** Limits of fl_check; NaN = not checked. At least one must be set. */
typedef struct fl_check_opts {
	int version;             /**< FL_CHECK_OPTS_VERSION */
	double max_failure_rate; /**< FAIL a slice above; WARN when only its interval's top is */
	double max_lift;         /**< FAIL a slice above; WARN when only its interval's top /
	                              overall is */
	double max_regression;   /**< FAIL a slice whose rate rose by more since it was found;
	                              WARN when by more than half of it */
	fl_apply_opts apply;
	double max_overall_regression; /**< FAIL when the overall failure rate (the mean of
	                              the signal) rose by more since the saved report;
	                              WARN when by more than half of it */
	double max_overall_failure; /**< FAIL when the overall failure rate is above */
} fl_check_opts;

#define FL_CHECK_OPTS_VERSION 2
#define FL_CHECK_OPTS_INIT {FL_CHECK_OPTS_VERSION, (double)NAN, (double)NAN, (double)NAN, \
			    FL_APPLY_OPTS_INIT, (double)NAN, (double)NAN}

/** Number of limits in the table of fl_check_opts (every one FL_OPTION_NUM,
 *  unset by default). */
FL_API int32_t fl_check_option_count(void);
/** Limit i of the table (static): its field's name ("max_overall_regression")
 *  and help, or NULL out of range. */
FL_API const fl_option *fl_check_option(int32_t i);
/**
 * Set a limit by name from text ("0.05").
 * @return 0; FL_EINVAL (no such limit, or not a finite number >= 0, max_lift
 *         > 0: the message names the option and the value)
 */
FL_API int fl_check_opts_set(fl_check_opts *o, const char *name, const char *value);

/**
 * Known slices as CI gates: apply the saved report to new data (fl_apply),
 * judge every slice against the slice limits, and the whole data against
 * the overall ones (a model worse everywhere fails even when no saved
 * slice got worse than the rest).
 * @param[out] verdicts  one per saved slice, in the saved order (free())
 * @param[out] overall   the verdict on the whole data (PASS with an empty why
 *                       when no overall limit is set), or NULL when not wanted
 * @param[out] applied   the applied report (fl_report_free), or NULL when not wanted
 * @return 0 (whatever the verdicts); FL_EINVAL (no limit, a negative one, or
 *         max_overall_regression against a saved report without an overall
 *         failure rate); the errors of fl_apply
 */
FL_API int fl_check(fl_verdict **verdicts, fl_verdict *overall, fl_report **applied,
		    const fl_saved_report *saved, const fl_data *data, const fl_check_opts *opts);
/** The worst status among n verdicts (FL_PASS for none). */
FL_API fl_status fl_verdicts_worst(const fl_verdict *v, int32_t n);
/** "PASS", "WARN" or "FAIL". */
FL_API const char *fl_status_name(fl_status s);
/**
 * Write a pull-request comment of a check (Markdown: a summary line, the
 * overall failure rate then and now with its verdict, and a table of the
 * slices not passing, each with its description) to `path`, through a
 * temporary file. Rates of a binary signal read as percentages, means of a
 * continuous one as values.
 * @param overall  the overall verdict of fl_check, or NULL
 */
FL_API int fl_check_write_markdown(const char *path, const fl_report *applied,
				   const fl_saved_report *saved, const fl_verdict *verdicts,
				   const fl_verdict *overall);

/* ---- compare ------------------------------------------------------------ */

/** Which side of a comparison fl_compare searches. */
typedef enum fl_compare_side {
	FL_COMPARE_REGRESSIONS,  /**< rows only the base got right */
	FL_COMPARE_IMPROVEMENTS  /**< rows only the candidate got right */
} fl_compare_side;

/**
 * Where did the candidate model regress against the base (or improve)?
 * Both models' outputs on the same samples (the same labels, row for row)
 * give a 0/1 failure signal, "only the base was right" (regressions) or
 * "only the candidate was right" (improvements), searched as fl_discover
 * does with the candidate's views, metadata and outputs; every slice
 * carries the four both-right / only-base / only-candidate / both-wrong
 * counts of its rows.
 * @param base  labels with probs/logits or preds of the base model (its
 *              views and meta are not used)
 * @param cand  the candidate's outputs, with the views and metadata
 * @return 0; FL_ESHAPE (row counts differ); FL_EINVAL (labels differ: not
 *         the same samples, naming the row); the errors of fl_discover
 */
FL_API int fl_compare(fl_report **out, const fl_data *base, const fl_data *cand,
		      fl_compare_side side, const fl_discover_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
