/* The report's state, shared by report.c (building, ranking), json.c and text.c. */
#ifndef FL_REPORT_INTERNAL_H
#define FL_REPORT_INTERNAL_H

#include "common/internal.h"

typedef struct fl_report_view {
	char *name, *source;
	int64_t dim;
} fl_report_view;

typedef struct fl_report_param {
	char *key, *value;
} fl_report_param;

struct fl_report {
	const fl_failure_summary *summary;
	int64_t n;
	char *failure_name;
	fl_report_view *views;
	int32_t n_views;
	const fl_table *table;
	int64_t id_col;                 /* -1 when no id column */
	const int64_t *labels, *preds;  /* NULL when not recorded */
	int32_t n_classes;
	char **class_names;             /* NULL or n_classes strings */
	fl_report_param *params;
	int32_t n_params;
	fl_candidate *slices;
	int32_t n_slices, cap_slices;
	char **phrases;                 /* the phrase list of describe_phrases, or NULL */
	int32_t n_phrases;
	float *map;                     /* n x 2 projection for the HTML map, or NULL */
	char map_view[64];
	int64_t n_holdout;              /* rows of the holdout (0 without confirmation) */
	double confirm_q;               /* false discovery rate of the confirmation */
};

/* Distinct other (method, view) pairs merged into a slice (merge.c). */
int32_t fl_report__agreeing(const fl_candidate *c);

/* The display name of class c: its name when known, else its number in buf. */
const char *fl_report__class_name(const fl_report *r, int64_t c, char *buf, size_t len);
/* The id of row i when an id column was given, else NULL. */
const char *fl_report__row_id(const fl_report *r, int64_t row);

#endif
