/* What the verbs of src/pipeline share: the data of one model checked and
 * completed (prepare.c), and the search of discover that compare reuses. */
#ifndef FL_PIPELINE_INTERNAL_H
#define FL_PIPELINE_INTERNAL_H

#include "common/internal.h"

/* fl_data checked, with what the verbs derive from it. Arrays are the
 * caller's unless marked owned; the whole struct is released by
 * fl_pipeline__prep_free (also when only partly filled). */
typedef struct fl_prep {
	int64_t n;
	double prepare_seconds;     /* wall time of fl_pipeline__prepare (opts.timings) */
	double prepare_exchanges;   /* of it, in the ranks' exchanges (fl__comm_lap) */
	int32_t n_classes;
	const int64_t *labels;
	const int64_t *preds;       /* the caller's, or argmax */
	const float *probs;         /* the caller's, or softmax */
	int64_t *argmax;            /* owned: predictions from probs */
	float *softmax;             /* owned: probabilities from logits */
	double *failure;            /* owned: the failure signal */
	char *failure_name;         /* owned: "error", "loss", "file:F.npy", ... */
	int64_t id_col;             /* -1 without */
	const char **class_names;   /* owned array of borrowed strings, or NULL */
	int64_t class_col;          /* the metadata column of the class names, or -1 */
	/* What the predicate search and the descriptions see: the metadata,
	 * with labels the derived column "label" in place of the class-name
	 * column (when it names each class differently; else after the
	 * others) and "predicted" last (fl_table_with_categorical: the
	 * metadata are not copied); NULL without metadata. */
	const fl_table *table;
	fl_table *with_label, *with_pred; /* owned: the two steps of table */
} fl_prep;

/* Check `d` and derive predictions, probabilities and (unless want_failure
 * is 0) the failure signal of `kind`, on up to `threads` threads (0: all).
 * On failure the message names the input; p is left for
 * fl_pipeline__prep_free. */
int fl_pipeline__prepare(fl_prep *p, const fl_data *d, fl_failure_kind kind, int want_failure,
			 int32_t threads);
void fl_pipeline__prep_free(fl_prep *p);
/* The input named in messages about all of the data: the first given
 * (labels, probabilities, predictions, failure, first view, metadata). */
const char *fl_pipeline__data_name(const fl_data *d);
/* The heap copy a report owns (fl_report__set_owner's release). */
void fl_pipeline__prep_release(void *p);

/* The rows of p and d as specs see them (views in *sv, the caller's to
 * free), relative model files looked up in base_dir. */
int fl_pipeline__spec_data(fl_spec_data *sd, fl_spec_view **sv, const fl_prep *p,
			   const fl_data *d, const char *base_dir);
/* Record d's views (name, dimension, source, fingerprint) in the report;
 * with a saved report, unless allow_drift, first check that each view
 * looks like the saved view of its name (fl_pipeline__view_check). */
int fl_pipeline__report_views(fl_report *r, const fl_prep *p, const fl_data *d,
			      const fl_saved_report *saved, int allow_drift);

struct fl_view_print;

/* The fingerprint of view v (view.c): what a report keeps of it */
int fl_pipeline__view_print(struct fl_view_print *out, const fl_prep *p, const fl_data *d,
			    int32_t v);
/* ... as the JSON object of the report's "views" (NULL: FL_ENOMEM) */
char *fl_pipeline__view_print_json(const struct fl_view_print *f);
/* 0 when view v (fingerprint now) looks like the one a report was built on
 * (fingerprint was); else FL_EINVAL saying how it differs */
int fl_pipeline__view_check(const struct fl_view_print *was, const struct fl_view_print *now,
			    const fl_prep *p, const fl_data *d, int32_t v);

/* The holdout rows of a discovery (*out owned by the caller; NULL without
 * a holdout): a failure-stratified half of the rows, or of the groups of
 * o->group_column (its name recorded in the report's parameters, notes
 * when cells are missing or the halves uneven). holdout.c */
int fl_pipeline__holdout(uint8_t **out, fl_report *r, const fl_prep *p, const fl_data *d,
			 const fl_discover_opts *o);
/* The metadata columns that are never predicates: the id column and the
 * group column. Fills skip[0..return). */
int32_t fl_pipeline__skip_cols(int64_t skip[2], const fl_prep *p, const fl_data *d,
			       const fl_discover_opts *o);

/* The report of a discovery on p's failure signal (compare passes its
 * own): everything fl_discover does after the checks. `o` is checked. */
int fl_pipeline__discover(fl_report **out, fl_prep *p, const fl_data *d,
			  const fl_discover_opts *o);

#endif
