/*
 * What `faultline discover` reads: its arguments and the inputs they name,
 * loaded and checked (discover_inputs.c) before any search.
 */
#ifndef FL_DISCOVER_H
#define FL_DISCOVER_H

#include "cli.h"

typedef struct args {
	const char *labels, *probs, *logits, *preds, *failure, *meta, *id_column;
	const char *class_column, *json, *failure_kind, *phrases, *phrase_emb, *phrase_view, *html;
	opt_list views, method_names;
	int64_t top, seed, threads, k, min_size, max_members, max_level, bins, components, pca_dims;
	double alpha, min_support, fdr;
	int quiet, normalize, methods, per_class, no_holdout;
} args;

/* Everything loaded; freed in one place. */
typedef struct inputs {
	fl_array *arrays[8 + 2 * OPT_LIST_MAX]; /* views may be read twice (compare) */
	int n_arrays;
	fl_table *meta;
	int64_t n;            /* rows, from the first input read */
	const char *n_from;   /* the input that set n */
	int32_t n_classes;
	const int64_t *labels, *preds;
	const float *probs;
	double *failure;      /* owned */
	float *softmax;       /* owned, from logits */
	int64_t *argmax;      /* owned, from probabilities */
	const char **class_names; /* borrowed strings, owned array */
	int n_views;
	char view_name[OPT_LIST_MAX][64];
	const float *view_x[OPT_LIST_MAX]; /* borrowed from the arrays */
	int64_t view_d[OPT_LIST_MAX];
	char *model_path[OPT_LIST_MAX]; /* mixture models written by this run (owned) */
	char *model_dir;                /* the folder of those files (owned) */
	int keep_models;                /* they belong to the report: keep on success */
} inputs;

/* The new data of `apply` and `check`, with the saved slices applied to it. */
typedef struct applied {
	inputs in;
	fl_saved_report *saved;
	fl_failure_summary *summary;
	fl_report *report;     /* one slice per saved slice, in the saved order */
} applied;

int apply_saved(const args *a, const char *run, applied *out);
void applied_free(applied *x);
/* exactly one RUN.json and a usable description of the new model's outputs */
int check_data_args(const args *a, const opt_list *pos, const char *verb);

/* The option rows naming the data of apply and check. */
#define DATA_OPTIONS(a) \
	{"labels", OPT_STR, "L.npy", "true labels of the new data", &(a).labels}, \
	{"probs", OPT_STR, "P.npy", "predicted probabilities, N x C", &(a).probs}, \
	{"logits", OPT_STR, "Z.npy", "raw scores, N x C (softmax is applied)", &(a).logits}, \
	{"preds", OPT_STR, "Y.npy", "predicted labels (default: argmax of --probs)", &(a).preds}, \
	{"failure", OPT_STR, "F.npy", "per-sample failure signal, larger = worse", &(a).failure}, \
	{"failure-kind", OPT_STR, "KIND", "error (default), loss or confidence", &(a).failure_kind}, \
	{"view", OPT_LIST, "NAME=E.npy", "a view the specs need, N x D (repeatable)", &(a).views}, \
	{"meta", OPT_STR, "meta.csv", "metadata the predicate specs need", &(a).meta}, \
	{"id-column", OPT_STR, "COL", "metadata column naming each sample", &(a).id_column}, \
	{"class-column", OPT_STR, "COL", "metadata column naming each label", &(a).class_column}

/* The option rows of the search, shared by discover and compare. */
#define SEARCH_OPTIONS(a) \
	{"view", OPT_LIST, "NAME=E.npy", "an embedding view, N x D (repeatable)", &(a).views}, \
	{"meta", OPT_STR, "meta.csv", "metadata table, one row per sample", &(a).meta}, \
	{"id-column", OPT_STR, "COL", "metadata column naming each sample", &(a).id_column}, \
	{"class-column", OPT_STR, "COL", "metadata column naming each label", &(a).class_column}, \
	{"top", OPT_INT, "K", "slices to report (default 10)", &(a).top}, \
	{"k", OPT_INT, "K", "clusters per view (default: automatic)", &(a).k}, \
	{"min-size", OPT_INT, "M", "smallest slice reported (default: automatic)", &(a).min_size}, \
	{"normalize", OPT_FLAG, NULL, "L2-normalise embeddings (cosine geometry)", &(a).normalize}, \
	{"max-members", OPT_INT, "M", "members listed per slice in JSON (default all)", &(a).max_members}, \
	{"seed", OPT_INT, "S", "random seed (default 0)", &(a).seed}, \
	{"threads", OPT_INT, "T", "threads (default: all cores); results do not depend on it", &(a).threads}, \
	{"method", OPT_LIST, "NAME", "only this method (repeatable): mixture, kmeans, direction, predicates", &(a).method_names}, \
	{"alpha", OPT_NUM, "A", "predicates: weight of failure vs size, (0, 1] (default 0.95)", &(a).alpha}, \
	{"max-level", OPT_INT, "L", "predicates: most predicates per slice (default 3)", &(a).max_level}, \
	{"min-support", OPT_NUM, "S", "predicates: least rows, a count or a fraction (default 0.01)", &(a).min_support}, \
	{"bins", OPT_INT, "B", "predicates: equal-frequency bins per numeric column (default 10)", &(a).bins}, \
	{"phrases", OPT_STR, "FILE", "candidate descriptions, one phrase per line", &(a).phrases}, \
	{"phrase-embeddings", OPT_STR, "P.npy", "their embeddings, in the space of --phrase-view", &(a).phrase_emb}, \
	{"phrase-view", OPT_STR, "NAME", "the view the phrases were embedded for (e.g. CLIP)", &(a).phrase_view}, \
	{"no-holdout", OPT_FLAG, NULL, "search all rows; confirm nothing (small data only)", &(a).no_holdout}, \
	{"fdr", OPT_NUM, "Q", "false discovery rate of the holdout confirmation (default 0.05)", &(a).fdr}, \
	{"components", OPT_INT, "K", "mixture: components per view (default 25)", &(a).components}, \
	{"pca-dims", OPT_INT, "D", "mixture: PCA dimensions per view (default 128)", &(a).pca_dims}, \
	{"per-class", OPT_FLAG, NULL, "direction: one failure direction per true class", &(a).per_class}, \
	{"html", OPT_STR, "OUT.html", "also write a self-contained HTML report", &(a).html}, \
	{"quiet", OPT_FLAG, NULL, "no progress or notes on stderr", &(a).quiet}

/* cmd_discover.c: the search, shared with compare */
void discover_defaults(args *a);
int validate_args(args *a);
/* Summary, report, views, search, fusion, confirmation, ranking, descriptions. */
int discover_build(inputs *in, const args *a, int64_t id_col, const char *failure_name,
		   fl_failure_summary **s, fl_report **r);
/* The JSON report (when json is not NULL) and the table on stdout. */
int discover_write(inputs *in, const args *a, const fl_report *r, const char *json);

void inputs_free(inputs *in);
/* Forget the views and the models written for them (kept when the report
 * naming them was written), so that a second search can load them again. */
void inputs_reset_views(inputs *in);
/* Open "path" or "archive.npz:key"; want_2d: 0 = 1-D, 1 = a view, 2 = classes. */
int open_array(inputs *in, fl_array **out, const char *spec, const char *what, int want_2d);
/* Labels, probabilities (or logits, softmaxed) and predictions. */
int load_outputs(inputs *in, const args *a);
/* Class count, label and prediction ranges, argmax predictions. */
int check_classes(inputs *in, const args *a);
/* The failure signal; its name goes to `name`. */
int derive_failure(inputs *in, const args *a, char *name, size_t len);
/* The metadata table, its id column and class names. */
int load_meta(inputs *in, const args *a, int64_t *id_col);
/* Every view, read, checked and recorded in the report. */
int load_views(inputs *in, const args *a, fl_report *r);

#endif
