/*
 * faultline/spec.h - slice specs applied to data: which rows does a saved
 * slice rule select?
 *
 * Every discovery method writes, with each slice, the rule that finds it
 * again (the "spec" object of the JSON report, docs/report-json.md). This
 * module evaluates such a rule on any rows that carry the inputs it needs:
 * held-out rows of the same run (confirmation), or new data (a new model's
 * outputs, new samples). Spec types:
 *   centroid    view, centroid, radius [, normalize]: distance <= radius
 *   direction   view, weights, bias, threshold [, normalize, label]:
 *               w.x + b >= threshold (and the row's label is `label`)
 *   predicates  every predicate holds (see faultline/predicates.h)
 *   mixture_component  view, component, model.file: the component of
 *               highest responsibility under the saved model
 */
#ifndef FAULTLINE_SPEC_H
#define FAULTLINE_SPEC_H

#include "core.h"
#include "io.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A named embedding view of the rows a spec is applied to (borrowed). */
typedef struct fl_spec_view {
	const char *name;
	const float *x;   /**< n x dim, row-major, leading dimension dim */
	int64_t dim;
} fl_spec_view;

/** The data a spec is applied to; every pointer borrowed, any may be NULL.
 * Version 1 (without preds) is still accepted. */
typedef struct fl_spec_data {
	int version;            /**< FL_SPEC_DATA_VERSION */
	int64_t n;              /**< rows */
	const fl_spec_view *views;
	int32_t n_views;
	const fl_table *table;  /**< metadata, n rows, matched by column name */
	const int64_t *labels;  /**< n true labels */
	const float *probs;     /**< n x n_classes predicted probabilities */
	int32_t n_classes;
	const char *base_dir;   /**< relative model files of specs are looked up here
	                             first (the saved report's folder), or NULL */
	const int64_t *preds;   /**< n predicted labels (predicates on the "predicted"
	                             column); labels serve those on "label" */
	int32_t threads;        /**< version >= 3: OpenMP threads of the direction,
	                             centroid and mixture specs, 0 = all cores; the
	                             rows selected never depend on it */
} fl_spec_data;

#define FL_SPEC_DATA_VERSION 3
#define FL_SPEC_DATA_INIT {FL_SPEC_DATA_VERSION, 0, NULL, 0, NULL, NULL, NULL, 0, NULL, NULL, 0}

/**
 * Evaluate a spec on rows of `data`.
 * @param[out] member  m bytes: 1 when rows[i] (i when rows is NULL) belongs
 * @param spec_json    one spec object as written in the report
 * @param rows         m row indices in [0, data->n), or NULL for all n rows (m = n)
 * @return 0; FL_EFORMAT (the spec is not valid JSON, lacks a field or has
 *         one of the wrong kind, e.g. a label or component that is not an
 *         integer in range: named);
 *         FL_EINVAL (the data lack what the spec needs: a view of that name
 *         and dimension, a column, labels or
 *         predictions — the message names it);
 *         FL_EUNSUP (an unknown spec type); FL_EIO (a model file); FL_ENOMEM
 */
FL_API int fl_spec_apply(uint8_t *member, const char *spec_json, const fl_spec_data *data,
			 const int64_t *rows, int64_t m);

/* ---- saved reports ---------------------------------------------------- */

/** One slice of a saved JSON report, as needed to apply it to new data. */
typedef struct fl_saved_slice {
	char *id;             /**< "S1", ... */
	char *label;          /**< its description; when it has none, who found it, the
	                           metadata rule describing it (when one fits) and its
	                           top confusion: "kmeans/pixels: ink >= 0.6; Coat ->
	                           Shirt 18%" */
	char *spec_json;      /**< its spec object, re-serialised */
	int64_t size;         /**< as reported when it was found */
	double failure_rate;
	double failure_rate_outside;
} fl_saved_slice;

typedef struct fl_saved_report fl_saved_report;

/**
 * Read the slices of a report written by `faultline discover --json`.
 * @param[out] out  owned by the caller (fl_saved_report_free)
 * @return 0; FL_EIO (cannot read); FL_EFORMAT (not JSON, no "slices", a
 *         slice without "id", "spec" or a row count "size", naming it); FL_EUNSUP (a schema
 *         version this library does not know); FL_ENOMEM
 */
FL_API int fl_saved_report_load(fl_saved_report **out, const char *path);
FL_API void fl_saved_report_free(fl_saved_report *r);
FL_API int32_t fl_saved_report_n_slices(const fl_saved_report *r);
/** The path it was read from (borrowed): relative model files of its specs live beside it. */
FL_API const char *fl_saved_report_path(const fl_saved_report *r);
/** The overall failure rate (the mean of the signal) of the data the report
 *  was made on: its dataset.failure_rate; NaN when the report has none. */
FL_API double fl_saved_report_overall(const fl_saved_report *r);
/** Whether the report's failure signal was binary (dataset.failure.binary;
 *  1 when the report does not say): its rates read as percentages. */
FL_API int fl_saved_report_binary(const fl_saved_report *r);
/** Slice i (borrowed), or NULL out of range. */
FL_API const fl_saved_slice *fl_saved_report_slice(const fl_saved_report *r, int32_t i);

#ifdef __cplusplus
}
#endif
#endif
