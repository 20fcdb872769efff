/* Rules found in a view's reduced space, stated in the view's coordinates
 * (fl_lift, candidate_internal.h). */
#include "candidate/candidate_internal.h"

void fl__lift_point(const fl_lift *l, const float *z, float *x)
{
	const fl_pca *p = l->pca;

	for (int64_t j = 0; j < p->d; j++) {
		double v = p->mean[j];
		for (int64_t t = 0; t < p->r; t++)
			v += (double)z[t] * p->components[t * p->d + j];
		x[j] = (float)v;
	}
}

void fl__lift_linear(const fl_lift *l, const float *w, double b, float *wx, double *bx)
{
	const fl_pca *p = l->pca;
	double off = 0;

	for (int64_t j = 0; j < p->d; j++) {
		double v = 0;
		for (int64_t t = 0; t < p->r; t++)
			v += (double)w[t] * p->components[t * p->d + j];
		wx[j] = (float)v;
		off += v * p->mean[j];
	}
	*bx = b - off;
}
