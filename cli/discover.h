/*
 * What the verbs that read a model's outputs share: their arguments, the
 * files those name read into an fl_data (inputs.c), and the option rows.
 * Everything past reading is the library's (fl_discover, fl_apply,
 * fl_check, fl_compare).
 */
#ifndef FL_DISCOVER_H
#define FL_DISCOVER_H

#include "cli.h"

typedef struct args {
	const char *labels, *probs, *logits, *preds, *failure, *meta, *id_column;
	const char *class_column, *json, *phrases, *phrase_emb, *phrase_view, *html, *thumbnails;
	opt_list views, method_names;
	int64_t max_members;
	int quiet;
	fl_discover_opts o; /* the library's options, set through its table */
} args;

/* Everything read; freed in one place. The fl_data borrows from the rest. */
typedef struct inputs {
	fl_array *arrays[8 + OPT_LIST_MAX];
	int n_arrays;
	fl_table *meta;
	int64_t n;            /* rows, from the first input read */
	const char *n_from;   /* the input that set n */
	fl_view views[OPT_LIST_MAX];
	char view_name[OPT_LIST_MAX][64];
	char **phrases;
	fl_data data;
	/* typed views of the arrays, taken only once every file is open and
	 * its rows counted (a compressed member is inflated at its view) */
	struct {
		fl_array *arr;
		const int64_t **i64;
		const float **f32;
		const double **f64;
	} views_due[8 + OPT_LIST_MAX];
	int n_due;
} inputs;

/* Set a's defaults: the library's options and their callbacks. */
void args_init(args *a);
/* Read every file `a` names (views only when with_views); the messages
 * name the file. Returns an exit code. */
int read_inputs(inputs *in, const args *a, int with_views);
void inputs_free(inputs *in);
/* The exit code of a library error: out of memory, cancelled, an output
 * (FL_EIO, when eio_is_output) or else an input. Prints the message. */
int lib_fail(int rc, int eio_is_output);

/* OUT.json -> OUT (the models' prefix), the caller's; NULL for none or "-". */
char *model_prefix(const char *json);
/* Save the report (JSON, --html page, models) and print its table unless
 * the JSON goes to stdout. Returns an exit code. */
int write_report(fl_report *r, const args *a, const char *json);
/* Read the saved report `run` and the data `a` names (apply and check). */
int read_saved(fl_saved_report **saved, inputs *in, const args *a, const char *run);

/* exactly one RUN.json and a usable description of the new model's outputs */
int check_data_args(const args *a, const opt_list *pos, const char *verb);
/* The search's option combinations, for discover and compare. */
int validate_args(args *a, const char *verb);

/* The option rows naming the data of apply and check. */
#define DATA_OPTIONS(a) \
	{"labels", OPT_STR, "L.npy", "true labels of the new data", &(a).labels, NULL}, \
	{"probs", OPT_STR, "P.npy", "predicted probabilities, N x C", &(a).probs, NULL}, \
	{"logits", OPT_STR, "Z.npy", "raw scores, N x C (softmax is applied)", &(a).logits, NULL}, \
	{"preds", OPT_STR, "Y.npy", "predicted labels (default: argmax of --probs)", &(a).preds, NULL}, \
	{"failure", OPT_STR, "F.npy", "per-sample failure signal, larger = worse", &(a).failure, NULL}, \
	LIB_OPT("failure-kind", "KIND", "failure_kind", &(a).o), \
	{"view", OPT_LIST, "NAME=E.npy", "a view the specs need, N x D (repeatable)", &(a).views, NULL}, \
	{"meta", OPT_STR, "meta.csv", "metadata the predicate specs need", &(a).meta, NULL}, \
	{"id-column", OPT_STR, "COL", "metadata column naming each sample", &(a).id_column, NULL}, \
	{"class-column", OPT_STR, "COL", "metadata column naming each label", &(a).class_column, NULL}

/* The option rows of the search, shared by discover and compare. */
#define SEARCH_OPTIONS(a) \
	{"view", OPT_LIST, "NAME=E.npy", "an embedding view, N x D (repeatable)", &(a).views, NULL}, \
	{"meta", OPT_STR, "meta.csv", "metadata table, one row per sample", &(a).meta, NULL}, \
	{"id-column", OPT_STR, "COL", "metadata column naming each sample", &(a).id_column, NULL}, \
	{"class-column", OPT_STR, "COL", "metadata column naming each label", &(a).class_column, NULL}, \
	LIB_OPT("top", "K", "top", &(a).o), \
	LIB_OPT("k", "K", "k", &(a).o), \
	LIB_OPT("min-size", "M", "min_size", &(a).o), \
	LIB_OPT("rounds", "R", "rounds", &(a).o), \
	{"normalize", OPT_LIBFLAG, NULL, NULL, &(a).o, "normalize"}, \
	{"max-members", OPT_INT, "M", "members listed per slice in JSON (default all)", &(a).max_members, NULL}, \
	LIB_OPT("seed", "S", "seed", &(a).o), \
	LIB_OPT("threads", "T", "threads", &(a).o), \
	{"method", OPT_LIST, "NAME", "only this method (repeatable): mixture, kmeans, direction, predicates", &(a).method_names, "methods"}, \
	LIB_OPT("alpha", "A", "alpha", &(a).o), \
	LIB_OPT("max-level", "L", "max_level", &(a).o), \
	LIB_OPT("min-support", "S", "min_support", &(a).o), \
	LIB_OPT("bins", "B", "bins", &(a).o), \
	LIB_OPT("max-set", "M", "max_set", &(a).o), \
	LIB_OPT("predicate-language", "LANG", "predicate_language", &(a).o), \
	{"phrases", OPT_STR, "FILE", "candidate descriptions, one phrase per line", &(a).phrases, NULL}, \
	{"phrase-embeddings", OPT_STR, "P.npy", "their embeddings, in the space of --phrase-view", &(a).phrase_emb, NULL}, \
	{"phrase-view", OPT_STR, "NAME", "the view the phrases were embedded for (e.g. CLIP)", &(a).phrase_view, NULL}, \
	{"no-holdout", OPT_LIBFLAG, NULL, "search all rows; confirm nothing (small data only)", &(a).o, "holdout"}, \
	LIB_OPT("group-column", "COL", "group_column", &(a).o), \
	LIB_OPT("fdr", "Q", "fdr", &(a).o), \
	LIB_OPT("components", "K", "components", &(a).o), \
	LIB_OPT("pca-dims", "D", "pca_dims", &(a).o), \
	{"per-class", OPT_LIBFLAG, NULL, NULL, &(a).o, "per_class"}, \
	{"timings", OPT_LIBFLAG, NULL, NULL, &(a).o, "timings"}, \
	{"html", OPT_STR, "OUT.html", "also write a self-contained HTML report", &(a).html, NULL}, \
	{"thumbnails", OPT_STR, "DIR", "folder of the images the ids name (default: the page's)", &(a).thumbnails, NULL}, \
	{"quiet", OPT_FLAG, NULL, "no progress or notes on stderr", &(a).quiet, NULL}

#endif
