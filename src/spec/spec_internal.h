/* Shared by the spec appliers (apply.c, mixture.c) and the report readers
 * (saved.c, report/load.c). */
#ifndef FL_SPEC_INTERNAL_H
#define FL_SPEC_INTERNAL_H

#include "common/internal.h"

#include <cJSON.h>

/* What a report remembers of a view it was built on (its "fingerprint"),
 * so that its rules are not applied to another model's embedding of the
 * same name and dimension: per column, the mean and standard deviation
 * over `rows` rows spread evenly, and the first n_values values of n_ids
 * rows by id (when the data have ids). Written by src/pipeline/view.c,
 * read back by saved.c. */
typedef struct fl_view_print {
	char *name;
	int64_t dim, rows;      /* rows == 0: nothing is known of the view */
	double *mean, *sd;      /* dim each */
	int32_t n_ids, n_values;
	char **ids;             /* n_ids */
	float *values;          /* n_ids x n_values */
} fl_view_print;

void fl_view_print_clear(fl_view_print *v);

/* The fingerprint of view `name` in a saved report, or NULL (none saved:
 * a report of an earlier faultline, or no such view) */
const fl_view_print *fl_spec__saved_view(const fl_saved_report *r, const char *name);

/* What fl_spec__apply_cached keeps between specs applied to the same rows
 * of the same data: each saved mixture model's assignment of those rows,
 * computed once for the specs of all its components; each k-means run's
 * nearest centroid of those rows, once for all its clusters; each failure
 * direction's float products with those rows, once for all its thresholds. */
typedef struct fl_spec_cache fl_spec_cache;

/* The per-row values `key` of c for these rows (and its k), or NULL; a call
 * for other data or rows empties the cache first (mixture.c). */
const void *fl_spec__cache_find(fl_spec_cache **c, const char *key, const fl_spec_data *d,
				const int64_t *rows, int64_t m, int32_t *k);
/* Keep key and values (malloc'd, for these rows) in *c, made when NULL,
 * which owns them then; 0, or FL_ENOMEM (nothing kept, nothing taken). */
int fl_spec__cache_add(fl_spec_cache **c, const fl_spec_data *d, const int64_t *rows, int64_t m,
		       char *key, void *values, int32_t k);

/* For these data and rows, view `view` was reduced by pca into codes,
 * position i of the rows being codes row i (borrowed, unchanged while the
 * cache holds them unless `fill`): a mixture spec whose model has that same
 * PCA then decides the rows the codes decide and projects only the others
 * (the same assignment, fewer products). With fill (the same codes,
 * writable; FL_EINVAL for others, or without ready) and *ready 0, the
 * codes are not written yet: the first such spec projects every row, as
 * without codes, writes the codes from those projections and sets *ready,
 * for later specs and later caches. *c is made when NULL; FL_EINVAL for
 * codes too few, FL_ENOMEM. A later call with other data or rows forgets
 * it. */
typedef struct fl_spec_reduced fl_spec_reduced;
struct fl_mx_codes;
typedef struct fl_spec_codes {
	const char *view;
	const struct fl_pca *pca;
	const struct fl_mx_codes *codes;
	struct fl_mx_codes *fill;   /* NULL: codes written */
	uint8_t *ready;
} fl_spec_codes;
int fl_spec__cache_reduced(fl_spec_cache **c, const fl_spec_data *d, const int64_t *rows,
			   int64_t m, const fl_spec_codes *codes);

/* fl_spec_apply with a cache (*cache NULL at first; created here, released
 * with fl_spec__cache_free). Entries hold for the same data and rows,
 * recognised by address (the caller keeps them unchanged meanwhile); a
 * call with another data or rows pointer or count starts the cache afresh. */
int fl_spec__apply_cached(uint8_t *member, const char *spec_json, const fl_spec_data *data,
			  const int64_t *rows, int64_t m, fl_spec_cache **cache);
void fl_spec__cache_free(fl_spec_cache *cache);

/* cache may be NULL (nothing kept) */
int fl_spec__apply_mixture(uint8_t *member, const cJSON *spec, const fl_spec_data *d,
			   const int64_t *rows, int64_t m, fl_spec_cache **cache);

/* A JSON number that is an integer in [lo, hi] (bounds within +-2^53) into
 * *out: 0; -1 when v is not a number, not integral or out of range (so
 * that no conversion of a hand-edited 1e300 or NaN is undefined). */
int fl_spec__integer(const cJSON *v, int64_t lo, int64_t hi, int64_t *out);

/* JSON text of a parsed value, every number with 17 significant digits, so
 * that it reads back as the same double (cJSON's printer may be 1 ulp off);
 * NULL with FL_ENOMEM recorded. */
char *fl_spec__print(const cJSON *v);

/* Is the parsed spec usable: every field an applier casts or indexes with
 * present and in range for the spec's own shape (check.c)? 0, or -1 with
 * the field and what is wrong written to buf (len bytes). */
int fl_spec__check(const cJSON *spec, char *buf, size_t len);

/* Parse a report file and check its schema version and "slices" array;
 * *doc is the caller's (cJSON_Delete) also on error. */
int fl_spec__read_report(cJSON **doc, const char *path);

#endif
