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

/** The data a spec is applied to; every pointer borrowed, any may be NULL. */
typedef struct fl_spec_data {
	int version;            /**< FL_SPEC_DATA_VERSION */
	int64_t n;              /**< rows */
	const fl_spec_view *views;
	int32_t n_views;
	const fl_table *table;  /**< metadata, n rows, matched by column name */
	const int64_t *labels;  /**< n true labels */
	const float *probs;     /**< n x n_classes predicted probabilities */
	int32_t n_classes;
} fl_spec_data;

#define FL_SPEC_DATA_VERSION 1
#define FL_SPEC_DATA_INIT {FL_SPEC_DATA_VERSION, 0, NULL, 0, NULL, NULL, NULL, 0}

/**
 * Evaluate a spec on rows of `data`.
 * @param[out] member  m bytes: 1 when rows[i] (i when rows is NULL) belongs
 * @param spec_json    one spec object as written in the report
 * @param rows         m row indices in [0, data->n), or NULL for all n rows (m = n)
 * @return 0; FL_EFORMAT (the spec is not valid JSON or lacks a field, named);
 *         FL_EINVAL (the data lack what the spec needs: a view of that name
 *         and dimension, a column, labels — the message names it);
 *         FL_EUNSUP (an unknown spec type); FL_EIO (a model file); FL_ENOMEM
 */
FL_API int fl_spec_apply(uint8_t *member, const char *spec_json, const fl_spec_data *data,
			 const int64_t *rows, int64_t m);

#ifdef __cplusplus
}
#endif
#endif
