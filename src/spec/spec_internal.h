/* Shared by the spec appliers (apply.c, mixture.c). */
#ifndef FL_SPEC_INTERNAL_H
#define FL_SPEC_INTERNAL_H

#include "common/internal.h"

#include <cJSON.h>

int fl_spec__apply_mixture(uint8_t *member, const cJSON *spec, const fl_spec_data *d,
			   const int64_t *rows, int64_t m);

#endif
