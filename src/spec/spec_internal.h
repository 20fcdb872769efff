/* Shared by the spec appliers (apply.c, mixture.c) and the report readers
 * (saved.c, report/load.c). */
#ifndef FL_SPEC_INTERNAL_H
#define FL_SPEC_INTERNAL_H

#include "common/internal.h"

#include <cJSON.h>

/* What fl_spec__apply_cached keeps between specs applied to the same rows
 * of the same data: each saved mixture model's assignment of those rows,
 * computed once for the specs of all its components. */
typedef struct fl_spec_cache fl_spec_cache;

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

/* Parse a report file and check its schema version and "slices" array;
 * *doc is the caller's (cJSON_Delete) also on error. */
int fl_spec__read_report(cJSON **doc, const char *path);

#endif
