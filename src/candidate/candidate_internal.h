/*
 * Internals of src/candidate shared with the discovery methods (cluster,
 * mixture, direction, predicates): the filter every method applies to its
 * candidates and the order it returns them in.
 */
#ifndef FL_CANDIDATE_INTERNAL_H
#define FL_CANDIDATE_INTERNAL_H

#include "common/internal.h"

/* The order every method returns its candidates in (candidate.c):
 * score descending, then p-value ascending, then component. For qsort. */
int fl__candidate_cmp(const void *a, const void *b);

/* A discovery method's candidate c (members set) measured on s: its stats,
 * score, method and view. 1 when it fails clearly more than everyone (the
 * lower end of its 95% interval above the overall rate); 0 when not, or an
 * error code: then c is cleared (candidate.c). */
int fl__candidate_keep(fl_candidate *c, const fl_failure_summary *s, const char *method,
		       const char *view);

#endif
