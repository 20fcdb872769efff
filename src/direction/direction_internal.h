/*
 * Failure directions, shared inside src/direction (and with its unit tests):
 * the logistic-regression solver over a row subset of x, the decision
 * values of a model, the stratified folds and the cross-fitting core.
 */
#ifndef FL_DIRECTION_INTERNAL_H
#define FL_DIRECTION_INTERNAL_H

#include "candidate/candidate_internal.h"
#include "common/internal.h"

/* The rows one solver or scoring pass sees: entry k is row rows[k] (k when
 * rows is NULL) of x, multiplied by rscale[row] (when rscale is not NULL),
 * then z_j = (value_j - mu_j) * inv_s_j (when mu and inv_s are not NULL).
 * failing[row] (n flags) is the target of a fit. Nothing is copied. */
typedef struct fl_lr_data {
	const float *x;
	int64_t d, ldx;
	const int64_t *rows;
	int64_t m;
	const float *rscale;
	const float *mu, *inv_s;
	const unsigned char *failing;
	const int64_t *xrows; /* NULL, or entry row is x row xrows[row] (the data only) */
	const fl_mx_codes *codes; /* NULL, or x is not read: row k of x is row k of the
				     codes, decoded (a reduced view, fl_lift) */
	int copy;                 /* x is a copy every rank holds, not a view (its
				     passes' groups: fl__layout_blocks) */
} fl_lr_data;

/* The data of entry row `row` of p: a pointer into x, or buf (d floats)
 * holding the row decoded. */
static inline const float *fl_lr__row(const fl_lr_data *p, int64_t row, float *buf)
{
	int64_t xrow = p->xrows ? p->xrows[row] : row;

	if (!p->codes)
		return p->x + xrow * p->ldx;
	fl_mx_codes_row(p->codes, xrow, buf);
	return buf;
}

typedef struct fl_lr_opts {
	double lambda;    /* > 0 */
	int32_t max_iter; /* >= 1 */
	double tol;       /* relative max-norm of the gradient */
	int32_t threads;  /* >= 0 */
} fl_lr_opts;

typedef struct fl_lr_info {
	int32_t n_iter;
	int converged;
	double f_start, f_end;
} fl_lr_info;

/* Class-balanced L2 logistic regression on `data` (see fl_direction_fit):
 * theta (d + 1: weights of z, then the bias) is the start on entry and the
 * solution on return. trace (max_iter + 1 doubles, or NULL) receives the
 * objective at the start and after every iteration. Needs a failing and a
 * passing row (FL_EINVAL). Deterministic whatever `threads` is. */
int fl_direction__logreg(double *theta, fl_lr_info *info, double *trace,
			 const fl_lr_data *data, const fl_lr_opts *o);

/* The objective and its gradient (d + 1, or NULL) at theta, as the solver
 * computes them. */
int fl_direction__objective(double *f, double *grad, const double *theta,
			    const fl_lr_data *data, double lambda, int32_t threads);

/* out[k] = w.z_k + b for the m entries of data (w: d floats). */
int fl_direction__decision(float *out, const fl_lr_data *data, const float *w,
			   double b, int32_t threads);

/* Stratified folds: fold[k] in [0, folds) for the m entries of rows (all n
 * when rows is NULL): failing and passing rows are each dealt round-robin
 * in a seeded random order. */
int fl_direction__folds(int32_t *fold, const int64_t *rows, int64_t m,
			const unsigned char *failing, int32_t folds, uint64_t seed);

/* fl_direction_fit with the failing flags and the folds given (m entries
 * in the order of rows). fold_models (folds x (d + 1) doubles: weights then
 * bias, in the original space, or NULL) receives every fold's model. With
 * codes (d columns), x is not read: its rows are the codes' (fl_lr_data). */
int fl_direction__crossfit(fl_direction *out, float *scores, double *fold_models,
			   const float *x, const fl_mx_codes *codes, int64_t n, int64_t d,
			   int64_t ldx, const int64_t *rows, int64_t m,
			   const unsigned char *failing, const int32_t *fold,
			   const fl_direction_opts *o);

/* fl_direction_score on the m rows of x (or codes) listed in rows (NULL:
 * the first m). */
int fl_direction__score_rows(float *out, const fl_direction *dir, const float *x,
			    const fl_mx_codes *codes, int64_t n, int64_t ldx,
			    const int64_t *rows, int64_t m, const int64_t *xrows, int32_t threads);

/* The option checks of fl_direction__check alone. */
int fl_direction__check_opts(const fl_direction_opts *o);

/* Argument and option checks shared by the entry points (fn names the caller). */
int fl_direction__check(const float *x, int64_t n, int64_t d, int64_t ldx,
			const fl_direction_opts *o);

/* fl_discover_direction on a reduced view (lift->codes, r = lift->pca->r
 * columns, read through opts.rows; x unused; not with opts.normalize):
 * fitted there, its rules stated in the view's own coordinates (a linear
 * score stays linear). lift NULL: fl_discover_direction. */
int fl__discover_direction(fl_candidate **out, int32_t *n_out, const float *x, int64_t n,
			   int64_t d, int64_t ldx, const char *view_name, const int64_t *labels,
			   int32_t n_classes, const fl_failure_summary *s, const double *failure,
			   const fl_direction_opts *opts, const fl_lift *lift);

#endif
