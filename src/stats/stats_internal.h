/*
 * Internals of src/stats shared with the discovery methods that threshold a
 * continuous failure signal (cluster, direction).
 */
#ifndef FL_STATS_INTERNAL_H
#define FL_STATS_INTERNAL_H

#include "common/internal.h"

/* Otsu's threshold of n values (otsu.c): the split of the sorted
 * values maximising w0 w1 (mean1 - mean0)^2; "failing" = value > t. NaN for
 * a constant signal. `sorted` is n doubles of scratch. */
double fl__otsu_threshold(const double *f, int64_t n, double *sorted);

#endif
