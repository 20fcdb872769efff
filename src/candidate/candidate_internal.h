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

/* Clusters of one view (mixture, kmeans; members: 0..n-1, row i of the
 * data being x row xrows[i], or row i when xrows is NULL; d columns) that
 * moved alike from their classes become one more candidate each group,
 * appended to *cands (shift.c): the union of their members, its spec
 * {"type":"any_of","of":[their specs]}, method "shift". Nothing without
 * labels (labels NULL or n_classes < 2). */
/* A reduced view held in 8 bits a value: rows in groups of FL_MX_QROWS,
 * each column of a group coded linearly between its minimum and maximum,
 * value = lo[g r + j] + step[g r + j] code[i r + j] (g = i / FL_MX_QROWS),
 * so the rounding error is at most half a step, 1/510 of the group's range.
 * Written by the mixture's PCA (src/mixture/pca.c). */
#define FL_MX_QROWS 256
typedef struct fl_mx_codes {
	int64_t n, r;
	uint8_t *code;
	float *lo, *step;
} fl_mx_codes;

/* row i of c, decoded into out (c->r values) */
static inline void fl_mx_codes_row(const fl_mx_codes *c, int64_t i, float *out)
{
	const uint8_t *q = c->code + i * c->r;
	const float *lo = c->lo + i / FL_MX_QROWS * c->r, *st = c->step + i / FL_MX_QROWS * c->r;

#pragma omp simd /* out is never one of the inputs: no alias check, vectorised at -O2 too */
	for (int64_t j = 0; j < c->r; j++)
		out[j] = lo[j] + st[j] * (float)q[j];
}

/* A view searched in a reduced space (the pipeline's PCA of the view,
 * shared by its methods): the method sees z = C (x - mean), C the r x d
 * orthonormal rows of pca->components, in 8-bit codes, and res2[k] =
 * |x - mean|^2 - |z|^2 of its row k. Its rules stay in the view's own d
 * coordinates: a point c is mean + C^T c, a linear score w.z + b is
 * (C^T w).x + b - (C^T w).mean, and a distance to a lifted point is
 * |x - (mean + C^T c)|^2 = |z - c|^2 + res2 (lift.c). */
typedef struct fl_lift {
	const fl_pca *pca;
	const fl_mx_codes *codes;
	const float *res2;
} fl_lift;

/* x[0..d) = mean + C^T z (z: r values) */
void fl__lift_point(const fl_lift *l, const float *z, float *x);

/* the score w.z + b (w: r values) as wx.x + *bx (wx: d values) */
void fl__lift_linear(const fl_lift *l, const float *w, double b, float *wx, double *bx);

/* threads: 0 = OpenMP's default; the same candidates for any number */
int fl__candidates_shift(fl_candidate **cands, int32_t *n_cands, const float *x,
			 const int64_t *xrows, int64_t n, int64_t d, const int64_t *labels,
			 int32_t n_classes, const double *failure, const fl_failure_summary *s,
			 int32_t threads);

#endif
