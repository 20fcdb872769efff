/* The report's state, shared by report.c (building, ranking), load.c (reading
 * one back from JSON) and the writers json.c, text.c and html.c. */
#ifndef FL_REPORT_INTERNAL_H
#define FL_REPORT_INTERNAL_H

#include "common/internal.h"

typedef struct fl_report_view {
	char *name, *source;
	int64_t dim;
	char *fingerprint; /* its JSON object (src/pipeline/view.c), or NULL */
} fl_report_view;

typedef struct fl_report_param {
	char *key, *value;
} fl_report_param;

typedef struct fl_report_stage_time {
	char *stage;
	double seconds;
} fl_report_stage_time;

typedef struct fl_report_row_id {
	int64_t row;
	char *id;
} fl_report_row_id;

/* Confusions a JSON report keeps per slice (and the HTML shows). */
#define FL_REPORT_CONFUSIONS 3
/* (label, prediction) cells of its members a JSON report keeps per slice. */
#define FL_REPORT_BREAKDOWN 6
/* Prototypes (ids of the first members) a JSON report keeps per slice. */
#define FL_REPORT_PROTOTYPES 5

/* What the writers show of a slice beyond its statistics (digest.c): the
 * distributions of the columns its description names, inside vs outside,
 * at most FL_DIST_COLUMNS columns of at most FL_DIST_BINS bins ("other"
 * and "missing" included); its typical members and, for contrast, up to
 * FL_REPORT_CONTRAST rows the model got right of the same classes. */
#define FL_DIST_COLUMNS 3
#define FL_DIST_BINS 12
#define FL_REPORT_CONTRAST 3
#define FL_REPORT_EXAMPLES (FL_REPORT_PROTOTYPES + FL_REPORT_CONTRAST)

typedef struct fl_dist {
	const char *column;             /* borrowed: the table's, the digest's or the report's */
	int32_t n_bins;
	const char *bin[FL_DIST_BINS];  /* what each bin holds: "Shirt", "< 0.41", "other" */
	int64_t inside[FL_DIST_BINS];   /* rows of the slice (both halves) in each bin */
	int64_t outside[FL_DIST_BINS];  /* the other rows in each bin */
} fl_dist;

typedef struct fl_example {
	int64_t row;
	const char *id;                 /* borrowed */
	int64_t label, pred;            /* -1 without labels */
	int typical;                    /* 1: a typical member; 0: a row outside it, right */
} fl_example;

/* Most searches of one run (fl_discover_opts.rounds). */
#define FL_REPORT_ROUNDS 10

struct fl_report {
	int64_t n;
	double overall;                 /* mean failure of all rows */
	int binary;                     /* every failure value is 0 or 1 */
	char *failure_name;
	fl_report_view *views;
	int32_t n_views;
	const fl_table *table;
	int64_t n_cols;                 /* metadata columns; 0 without */
	int64_t id_col;                 /* -1 when no id column */
	const int64_t *labels, *preds;  /* NULL when not recorded */
	int32_t n_classes;
	char **class_names;             /* NULL or n_classes strings */
	fl_report_param *params;
	int32_t n_params;
	fl_report_stage_time *timings;  /* fl_report_add_timing */
	int32_t n_timings;
	fl_candidate *slices;
	int32_t n_slices, cap_slices;
	char **phrases;                 /* the phrase list of describe_phrases, or NULL */
	int32_t n_phrases;
	float *map;                     /* n x 2 projection for the HTML map, or NULL */
	char *thumb_dir;                /* the folder thumbnails are read from, or NULL:
	                                   the HTML page's (fl_report_set_thumbnail_dir) */
	char map_view[64];
	char *source;                   /* the JSON file it was read from (load.c), or NULL */
	/* a comparison (fl_report_pair_counts): rows both models got right,
	 * only the base, only the candidate, neither, over all rows */
	int has_pairs;
	int64_t pairs[4];
	int64_t n_holdout;              /* rows of the holdout (0 without confirmation) */
	/* what a report made by the pipeline owns besides its slices (the
	 * predictions and arrays it borrows), released by fl_report_free */
	void *owner;
	void (*release)(void *owner);
	/* the mixture models of this run (save.c): files named `files` in
	 * `tmpdir` until fl_report_save moves them into `dir` */
	struct {
		char *tmpdir, *dir;
		char **files;
		int32_t n;
	} models;
	double confirm_q;               /* false discovery rate of the confirmation */
	/* the rows search r did not look at (the causes of the searches before
	 * it: fl_report__set_round_skip), n bytes each; NULL for r = 1 */
	uint8_t *round_skip[FL_REPORT_ROUNDS + 1];
	/* what a report read back from JSON (load.c) keeps instead of the
	 * table and labels it cannot see */
	struct {
		char *columns_json;     /* dataset.columns, re-serialised */
		fl_confusion *conf;     /* FL_REPORT_CONFUSIONS per slice */
		int32_t *n_conf;
		fl_confusion *cells;    /* FL_REPORT_BREAKDOWN per slice */
		int32_t *n_cells;
		fl_report_row_id *ids;  /* the prototypes' (row, id), sorted by row */
		int64_t n_ids;
		fl_dist *dists;         /* FL_DIST_COLUMNS per slice */
		int32_t *n_dists;       /* per slice; NULL until read back */
		fl_example *examples;   /* FL_REPORT_EXAMPLES per slice */
		int32_t *n_examples;
		char **texts;           /* the strings those point to */
		int64_t n_texts;
	} saved;
};

/* A writer's digest of the slices (digest.c): each column's bins and each
 * class's right rows, found once. fl_report__dists writes slice i's
 * distributions (at most FL_DIST_COLUMNS) and returns how many, or
 * FL_ENOMEM; fl_report__examples its examples (at most FL_REPORT_EXAMPLES,
 * typical ones first; none without an id column). A report read back from
 * JSON returns what it kept. What they point to lives as long as the
 * digest and the report. */
typedef struct fl_digest fl_digest;
int fl_report__digest_new(fl_digest **out, const fl_report *r);
void fl_report__digest_free(fl_digest *d);
int32_t fl_report__dists(fl_digest *d, int32_t i, fl_dist *out);
int32_t fl_report__examples(fl_digest *d, int32_t i, fl_example *out);

/* The writers to an open stream (json.c, html.c); `page` is where the HTML
 * page will live (its folder holds the thumbnails unless thumb_dir is set). */
int fl_report__write_json_fp(const fl_report *r, FILE *fp, int64_t max_members);
int fl_report__write_html_fp(const fl_report *r, FILE *fp, const char *page);

/* What the pipeline gives a report (save.c): an owner released with it;
 * the path to write the mixture model of `view` to while the run lasts
 * in search `round` (in a temporary folder made on the first call: beside
 * `prefix` when given, else in $TMPDIR), the caller's; that folder, or NULL. */
int fl_report__set_owner(fl_report *r, void *owner, void (*release)(void *));
/* View i's fingerprint: json (a JSON object) is the report's from here on */
void fl_report__set_view_print(fl_report *r, int32_t i, char *json);
int fl_report__model_path(fl_report *r, const char *prefix, const char *view, int32_t round,
			  char **out);
const char *fl_report__model_dir(const fl_report *r);
void fl_report__models_free(fl_report *r);

/* The rows of the causes the covering of fl_report_causes chooses among
 * the report's slices (replicated ones only, when confirmed), each as the
 * report will show it (a rule naming a cluster's rows takes its place),
 * without grouping them: rows[i] = 1 for a row of one (rows: n bytes). */
int fl_report__cause_rows(fl_report *r, const double *failure, uint8_t *rows, int32_t *n_causes);

/* A slice's statistics as the report shows them: on every row once
 * measured (fl_report_causes), else on the rows it was found in. */
const fl_slice_stats *fl_report__shown(const fl_candidate *c);
/* Measure every slice on every row without grouping (fl_candidate.whole,
 * .excess), as fl_report_causes does. */
int fl_report__measure(fl_report *r, const double *failure);

/* fl_report_confirm, testing each slice only among the holdout rows
 * `within` (all when NULL): a later search's, outside the causes before
 * it. Its members are still every holdout row its spec selects. red[0..n_red):
 * views whose holdout rows (ascending) the caller reduced into codes, for
 * the mixture specs of the same PCA (fl_spec__cache_reduced). */
struct fl_spec_codes;
int fl_report__confirm_within(fl_report *r, const fl_spec_data *data, const double *failure,
			      const uint8_t *holdout, const uint8_t *within, double q,
			      const struct fl_spec_codes *red, int32_t n_red);

/* Does the slice's metadata description fit it (precision and recall both
 * at least one half)? 0 without one (describe.c). */
int fl_report__explanation_fits(const fl_candidate *c);
/* fl_report_describe on at most `threads` threads (<= 0: omp_get_max_threads()) */
int fl_report__describe(fl_report *r, const fl_table *t, int64_t skip_col, int threads);

/* Keep a copy of the rows search `round` (2..FL_REPORT_ROUNDS) did not
 * look at, so that fl_report_causes measures its slices among the others. */
int fl_report__set_round_skip(fl_report *r, int32_t round, const uint8_t *skip);

/* Record c (with its Jaccard overlap jac) in kept's `also`, whose room
 * was made beforehand (merge.c). */
void fl_report__add_source(fl_candidate *kept, const fl_candidate *c, double jac);

/* Does also[k] name a (method, view) the slice or an earlier also[] names
 * (merge.c)? The writers list each pair once. */
int fl_report__source_repeats(const fl_candidate *c, int32_t k);
/* Distinct other (method, view) pairs merged into a slice (merge.c). */
int32_t fl_report__agreeing(const fl_candidate *c);
/* What fl_report_merge multiplies a slice's score by for that agreement. */
double fl_report__agreement_factor(const fl_candidate *c);

/* fl_report__fmt_rate with its unit, returning buf: "40.7%", "4.07" */
const char *fl_report__rate(char *buf, size_t len, double x, int binary);

/* How many of n cells (most frequent first) have a share that reads as at
 * least 1%: the writers leave out those that would read "0%". */
int32_t fl_report__readable(const fl_confusion *c, int32_t n);

/* The display name of class c: its name when known, else its number in buf. */
const char *fl_report__class_name(const fl_report *r, int64_t c, char *buf, size_t len);

/* The figures every writer prints (text, HTML; JSON keeps every digit), so
 * that one figure reads the same everywhere. A failure rate or mean: a
 * binary signal's as a percentage with one decimal ("38.4%", "38.4"
 * without FL_FIG_UNIT), another signal's in its own units, 4 significant
 * digits ("2.384"), 3 for the bound of an interval (FL_FIG_BOUND: "2.24");
 * "-" when not finite. */
#define FL_FIG_UNIT 1
#define FL_FIG_BOUND 2
void fl_report__fmt_rate(char *buf, size_t len, double x, int binary, int flags);
/* Excess failures: whole when binary or 100 or more ("3652"), else 3
 * significant digits ("0.417"); never "-0". */
void fl_report__fmt_excess(char *buf, size_t len, double x, int binary);
/* The id of row i when an id column was given (of a prototype only, in a
 * report read back from JSON: "?" for other rows), else NULL. */
const char *fl_report__row_id(const fl_report *r, int64_t row);
/* fl_report_row_id by row, for qsort and bsearch */
int fl_report__cmp_row_id(const void *a, const void *b);

#endif
