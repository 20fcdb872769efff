/* Shared by the spec appliers (apply.c, mixture.c) and the report readers
 * (saved.c, report/load.c). */
#ifndef FL_SPEC_INTERNAL_H
#define FL_SPEC_INTERNAL_H

#include "common/internal.h"

#include <cJSON.h>

int fl_spec__apply_mixture(uint8_t *member, const cJSON *spec, const fl_spec_data *d,
			   const int64_t *rows, int64_t m);

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
