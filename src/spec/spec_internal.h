/* Shared by the spec appliers (apply.c, mixture.c) and the report readers
 * (saved.c, report/load.c). */
#ifndef FL_SPEC_INTERNAL_H
#define FL_SPEC_INTERNAL_H

#include "common/internal.h"

#include <cJSON.h>

int fl_spec__apply_mixture(uint8_t *member, const cJSON *spec, const fl_spec_data *d,
			   const int64_t *rows, int64_t m);

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
