/*
 * faultline/report.h - the ranked list of error slices of one run, and its
 * JSON and text renderings.
 *
 * A report collects candidate slices from every discovery method and view,
 * ranks them, keeps the top K, and writes them out. It also knows the
 * dataset summary (rows, failure signal, views, metadata columns), the run's
 * parameters, and optionally labels, predictions, class names and sample
 * ids, from which each slice's dominant confusions and prototypes are
 * derived. The JSON schema is documented in docs/report-json.md.
 *
 * Errors: a building call (add_*, set_*, merge, confirm, describe*) that
 * fails, FL_ENOMEM included, leaves the report as it was; a writer that
 * fails leaves no file behind.
 */
#ifndef FAULTLINE_REPORT_H
#define FAULTLINE_REPORT_H

#include <stdio.h>

#include "core.h"
#include "cluster.h"
#include "io.h"
#include "spec.h"

#ifdef __cplusplus
extern "C" {
#endif

/** JSON schema version written in the report's "version" field. */
#define FL_REPORT_SCHEMA_VERSION 2

typedef struct fl_report fl_report;

/**
 * @param[out] out     owned by the caller (fl_report_free)
 * @param s            failure summary of the n rows (borrowed; must outlive the report)
 * @param failure_name how the signal was made: "error", "loss", "1-confidence",
 *                     or "file:F.npy" (copied)
 */
FL_API int fl_report_new(fl_report **out, const fl_failure_summary *s,
			 int64_t n, const char *failure_name);
FL_API void fl_report_free(fl_report *r);

/**
 * Read a report back from the JSON that fl_report_write_json wrote, to
 * render it again (fl_report_write_text, _html, _json; fl_report_set_map)
 * without the data it was found in: each slice's statistics, sources,
 * descriptions, holdout, members as listed, and what the JSON digested from
 * the labels and the table (confusions with class names, prototypes).
 * Building calls (merge, confirm, describe) need the data and do not apply.
 * @param[out] out  owned by the caller (fl_report_free)
 * @return 0; FL_EIO (cannot read); FL_EFORMAT (not JSON, or a field
 *         missing or out of range: the message names the slice and field);
 *         FL_EUNSUP (another schema version); FL_ENOMEM
 */
FL_API int fl_report_load_json(fl_report **out, const char *path);

/** Record a view (name, dimension, source file). Strings are copied. */
FL_API int fl_report_add_view(fl_report *r, const char *name, int64_t dim,
			      const char *source);
/** Record the metadata table (borrowed; must outlive the report). */
FL_API int fl_report_set_table(fl_report *r, const fl_table *t, int64_t id_col);
/**
 * Record labels and predictions (borrowed, n each) for confusion
 * summaries, and optionally class names (n_classes strings, copied; NULL
 * for numeric labels).
 */
FL_API int fl_report_set_classes(fl_report *r, const int64_t *labels,
				 const int64_t *preds, int32_t n_classes,
				 const char *const *class_names);
/** Record a run parameter shown in the report (key and value copied). */
FL_API int fl_report_set_param(fl_report *r, const char *key, const char *value);

/**
 * Add `seconds` of wall time to stage `stage` (copied; a stage named
 * before accumulates), as `fl_discover` does with opts.timings: the JSON
 * report then has "timings": {"stage": seconds, ...} in its parameters, in
 * the order the stages were first named.
 */
FL_API int fl_report_add_timing(fl_report *r, const char *stage, double seconds);
/**
 * On several ranks (fl_discover_opts.comm) each stage is followed by
 * "STAGE" FL_TIMING_EXCHANGES: the part of its seconds this rank spent in
 * the exchanges, waiting for the other ranks included (within the stage's
 * time, not added to it).
 */
#define FL_TIMING_EXCHANGES ": exchanges"
/** Stages timed so far. */
FL_API int32_t fl_report_n_timings(const fl_report *r);
/** Stage i (0 <= i < fl_report_n_timings) and its seconds; NULL when out of range. */
FL_API const char *fl_report_timing(const fl_report *r, int32_t i, double *seconds);

/**
 * Move candidates into the report: their buffers now belong to the report
 * and each `cands[i]` is zeroed. The array itself stays the caller's.
 */
FL_API int fl_report_add_candidates(fl_report *r, fl_candidate *cands, int32_t n);

/**
 * Fuse candidates that describe the same failure: taken best score first,
 * a candidate joins the first kept slice whose members it overlaps with
 * Jaccard >= `jaccard`, or whose members hold >= `containment` of its own
 * (0: no containment rule, only near-duplicates fuse);
 * the kept slice lists it in `also`. Each distinct other (method, view)
 * that joined a slice raises its score by 10% (at most 3 of them count),
 * so agreement between viewpoints ranks higher. A merged slice (unless
 * found by the predicate search, whose rows stay in row order) lists first
 * the members that most merged results hold; its member_scores become that
 * count plus a fraction falling with the original position. Call before
 * fl_report_rank.
 * Defaults used by the CLI: FL_MERGE_JACCARD, FL_MERGE_CONTAINMENT.
 */
FL_API int fl_report_merge(fl_report *r, double jaccard, double containment);

#define FL_MERGE_JACCARD 0.5
#define FL_MERGE_CONTAINMENT 0.8

/**
 * Confirm every slice not confirmed yet on held-out rows: apply its spec
 * (fl_spec_apply) to the rows with holdout[i] = 1, measure it there
 * against the other holdout rows; then adjust the holdout p-values of all
 * confirmed slices together (Benjamini-Hochberg) and mark a slice
 * replicated when its adjusted p-value is <= q. Calls with different
 * holdout rows (a later search's, among the rows outside earlier causes)
 * add their slices to one adjustment. The slices' own members and
 * statistics should come from the other rows (discovery), so that the
 * holdout is untouched by the search. Afterwards fl_report_rank puts
 * replicated slices first.
 * @param data     the rows (all n) with the views, table and labels specs need
 * @param failure  the n failure values
 * @param holdout  n bytes, 1 for a holdout row
 * @param q        false discovery rate, e.g. 0.05
 * @return 0; an error of fl_spec_apply, naming the slice; FL_ENOMEM
 */
FL_API int fl_report_confirm(fl_report *r, const fl_spec_data *data, const double *failure,
			     const uint8_t *holdout, double q);

/**
 * Group the slices into causes and rank them (causes.c explains the rule):
 * every slice is measured on every row (fl_candidate.whole, .excess, its
 * members and holdout members together); by weighted covering, the slice
 * with the most excess failures among the rows no cause holds yet (lower
 * 95% bound; replicated ones first) becomes the next cause, and the slices
 * that overlap a cause with Jaccard >= 0.5 or lie half or more inside one
 * become its parts (fl_candidate.parts, the 8 with most excess). What is
 * neither is dropped. Causes stay in the order chosen; `score` becomes
 * the bound at the time a cause was chosen. Slices that have parts are
 * regrouped from scratch.
 * @param failure  the n failure values
 * @param top      most causes (0: all); the first K never depend on top
 * @return 0; FL_EINVAL; FL_ENOMEM (the slices are then left ungrouped)
 */
FL_API int fl_report_causes(fl_report *r, const double *failure, int32_t top);

/**
 * Describe every slice by metadata: the conjunction of at most two
 * predicates (fl_predicates_search with slice membership as the target,
 * holding at least a quarter of the slice) with the best F1 of precision
 * (share of its rows in the slice) and recall (share of the slice it
 * covers). Membership is the slice's members plus its holdout members.
 * Slices found by the predicate search already are their description.
 * The slices are described on OpenMP's threads (omp_get_max_threads()),
 * a search each, as many at once as 256 MB of scratch allows (about 64
 * bytes a row a search); the descriptions do not depend on the count.
 * @param t        the metadata of all n rows (the report's table when NULL)
 * @param skip_col a column never used (the id column), or -1
 */
FL_API int fl_report_describe(fl_report *r, const fl_table *t, int64_t skip_col);

/**
 * Describe every slice by phrases, as Domino does: in a view whose space
 * the phrases were embedded in (a CLIP image embedding and its text
 * embeddings), score each phrase by phrase . (mean of the slice's rows -
 * mean of all rows) and keep the three best. Membership is the slice's
 * members plus its holdout members.
 * @param x        n x d view (row-major)
 * @param phrases  n_phrases strings (copied into the report)
 * @param emb      n_phrases x d phrase embeddings
 */
FL_API int fl_report_describe_phrases(fl_report *r, const float *x, int64_t d,
				      const char *const *phrases, const float *emb,
				      int32_t n_phrases);

/**
 * Count, over each slice's rows (members and holdout members), how two
 * models did: both right, only the base right, only the candidate right,
 * both wrong (written with the slice as "comparison"); and the same over
 * all rows (the dataset's "comparison").
 * @param base_wrong, cand_wrong  n flags: the model erred on the row (nonzero)
 */
FL_API int fl_report_pair_counts(fl_report *r, const uint8_t *base_wrong,
				 const uint8_t *cand_wrong);

/**
 * Sort all candidates by score (descending; ties by method, view, then
 * component, so the order is deterministic) and keep the first `top`
 * (0 = keep all). Slices are then named "S1", "S2", ... in rank order.
 */
FL_API int fl_report_rank(fl_report *r, int32_t top);

/** Rows of the data the report describes. */
FL_API int64_t fl_report_n_rows(const fl_report *r);
/** View i's name, dimension and source file (borrowed); FL_EINVAL out of range. */
FL_API int fl_report_view_info(const fl_report *r, int32_t i, const char **name, int64_t *dim,
			       const char **source);
/** The value of a run parameter (borrowed), or NULL when not recorded. */
FL_API const char *fl_report_param_value(const fl_report *r, const char *key);

/** Number of slices (after ranking: at most `top`). */
FL_API int32_t fl_report_n_slices(const fl_report *r);
/** Slice i in rank order (borrowed). */
FL_API const fl_candidate *fl_report_slice(const fl_report *r, int32_t i);

/** A (label, prediction) cell of a slice: true label -> predicted label. */
typedef struct fl_confusion {
	int64_t label, pred;
	int64_t count;  /**< members with this (label, pred) */
	double share;   /**< count / failing members (fl_report_confusions) or
	                     / members (fl_report_breakdown) */
} fl_confusion;

/**
 * The up to `max` most frequent confusions among a slice's failing members
 * (label != pred), most frequent first; ties by (label, pred).
 * @return the number written; 0 when no labels/predictions were recorded;
 *         FL_ENOMEM (negative)
 */
FL_API int32_t fl_report_confusions(const fl_report *r, int32_t slice,
				    fl_confusion *out, int32_t max);

/**
 * The label x prediction breakdown of a slice: the up to `max` most frequent
 * (label, pred) cells among all its members, correct ones included, most
 * frequent first (ties by label, pred); `share` is count / members.
 * @return the number written; 0 when no labels/predictions were recorded;
 *         FL_ENOMEM (negative)
 */
FL_API int32_t fl_report_breakdown(const fl_report *r, int32_t slice,
				   fl_confusion *out, int32_t max);

/**
 * Write the report as JSON to `path` ("-" = stdout). Written to a temporary
 * file in the same directory then renamed, so a failure (full disk, bad
 * directory) leaves no partial file and overwrites nothing.
 * @param max_members  members listed per slice (0 = all)
 */
FL_API int fl_report_write_json(const fl_report *r, const char *path,
				int64_t max_members);

/**
 * Save a report: its JSON (`json`; "-" = stdout; NULL = none), its HTML page
 * (`html`, or NULL) and the mixture models its specs name (when the JSON
 * goes to a file), as one unit. Each file is written beside its
 * destination first; only when all were written are they renamed into
 * place, so a failure (a full disk, a missing folder) leaves every earlier
 * file, and the models an earlier report names, as they were.
 * @param max_members  members listed per slice (0 = all)
 * @return 0; FL_EIO naming the file; FL_EINVAL (json and html the same
 *         file); FL_ENOMEM
 */
FL_API int fl_report_save(fl_report *r, const char *json, const char *html,
			  int64_t max_members);

/**
 * Give the HTML report a 2-D map: the first two principal components of a
 * view (n x d, row-major), on which it draws a sample of all rows and the
 * members of the top slices. The projection is computed here (fl_pca_fit).
 */
FL_API int fl_report_set_map(fl_report *r, const char *view, const float *x, int64_t d,
			     uint64_t seed);

/**
 * The folder the HTML page takes thumbnails from. When the id column holds
 * paths of images, the page embeds the PNG, JPEG or GIF files (at most
 * 256 kB) they name, read relative to this folder, and only those that lie
 * inside it: an absolute id, one with a ".." component, or one that a
 * symbolic link leads out of the folder is never read.
 * @param dir  a folder (copied), or NULL (the default): the folder of the
 *             HTML page being written
 * @return 0; FL_EINVAL (r is NULL); FL_ENOMEM
 */
FL_API int fl_report_set_thumbnail_dir(fl_report *r, const char *dir);

/**
 * Write a self-contained HTML page (inline CSS and SVG; no script, nothing
 * fetched): the run, the overall picture, a chart of each slice's failure
 * rate with its interval, the ranked table, and a card per slice. Every
 * string from the data is HTML-escaped; thumbnails come only from the
 * folder of fl_report_set_thumbnail_dir. Written beside `path` and renamed.
 */
FL_API int fl_report_write_html(const fl_report *r, const char *path);

/**
 * Write the page of a comparison (fl_compare, both sides) as one
 * self-contained HTML file, as fl_report_write_html writes a report's:
 * the two models by name in its title and heading, how often each is
 * wrong and the four counts over all rows (both right, only the base
 * right, only the candidate right, both wrong), an index, then where the
 * candidate is worse (`worse`, FL_COMPARE_REGRESSIONS) and where it is
 * better (`better`, FL_COMPARE_IMPROVEMENTS), each with its chart, table,
 * map (when the report has one) and a card per slice with its four counts.
 * Thumbnails come from the folder of fl_report_set_thumbnail_dir of each
 * report, else the page's. Written beside `path` and renamed.
 * @param base_name, cand_name  the models' names as the page shows them
 *                              (escaped; NULL: "base", "candidate")
 * @return 0; FL_EINVAL (a report missing, or reports of different row
 *         counts); FL_EIO naming the file; FL_ENOMEM
 */
FL_API int fl_report_write_compare_html(const fl_report *worse, const fl_report *better,
					const char *base_name, const char *cand_name,
					const char *path);

/**
 * Write a readable table (at most 100 columns wide) to an open stream.
 * The library writes only where it is told.
 */
FL_API int fl_report_write_text(const fl_report *r, FILE *fp);

#ifdef __cplusplus
}
#endif
#endif
