/*
 * Internals of src/stats shared with the discovery methods that threshold a
 * continuous failure signal (cluster, direction), and the automatic smallest
 * slice and argmax every method and the pipeline use.
 */
#ifndef FL_STATS_INTERNAL_H
#define FL_STATS_INTERNAL_H

#include "common/internal.h"

/* Otsu's threshold of n values (otsu.c): the split of the sorted
 * values maximising w0 w1 (mean1 - mean0)^2; "failing" = value > t. NaN for
 * a constant signal. `sorted` is n doubles of scratch. */
double fl__otsu_threshold(const double *f, int64_t n, double *sorted);

/* The 0/1 "failing" flags of n failure values (stats/otsu.c), the target of
 * k-means and direction discovery: failure == 1 for a binary signal, else
 * failure > Otsu's threshold (none for a constant signal). FL_ERANGE naming
 * the row of a non-finite value ("<who>: failure value of row ..."),
 * FL_ENOMEM. */
int fl__failing_flags(unsigned char *failing, const double *failure, int64_t n, const char *who);

/* The smallest slice a discovery method keeps (stats/slice_stats.c):
 * min_size when nonzero (callers reject negative ones), else the automatic
 * size of n rows that faultline/stats.h documents ("Smallest slice"). */
int64_t fl__auto_min_size(int64_t n, int64_t min_size);

/* The class of largest probability in one row of c, ties to the lowest
 * index (stats/failure.c; see fl_argmax_rows). */
int32_t fl__argmax_row(const float *p, int32_t c);

/* Scale-free arithmetic on a failure signal (stats/failure.c). A signal
 * may be any finite double: 1e300 overflows a sum of two rows, 1e-300 a
 * square underflows. Sums, means and squares are therefore taken of
 * f / 2^e, e = fl__failure_exponent(f, n), whose largest |value| lies in
 * [1, 2) (e in [-1022, 1022], 0 for a signal of zeros), and the results
 * scaled back by 2^e. Scaling by a power of two is exact, so for a signal
 * that did not overflow or underflow the results are the same bits as
 * without it, and a signal times 2^k gives the same bits times 2^k. */
int fl__failure_exponent(const double *f, int64_t n);
/* The scale 2^-e of that exponent (a normal double). */
double fl__failure_scale(int e);
/* The mean of f over rows[0..m) (rows NULL: the first m), computed on
 * f / 2^e: finite for every finite signal. NaN when m is 0. */
double fl__failure_mean(const double *f, const int64_t *rows, int64_t m);

/* Sums of a (scaled) failure signal over a set of rows (failure.c). */
typedef struct fl__sums {
	double n, s, ss;
} fl__sums;

static inline void fl__sums_add(fl__sums *a, double f)
{
	a->n += 1;
	a->s += f;
	a->ss += f * f;
}

/* |in| x the lower end of the 95% interval of rate(in) - rate(all \ in):
 * Agresti-Caffo for a binary signal, Welch's normal interval for a
 * continuous one (a single row borrows the variance of all rows). 0 when
 * in or the rest is empty. The excess failures of `in` beyond the rest
 * that the data vouch for; the covering's gain (report/causes.c) and the
 * predicate covering's (predicates/cover.c). */
double fl__excess_lcb(const fl__sums *in, const fl__sums *all, int binary);
/* The same with z standard errors instead of 1.96. */
double fl__excess_lower(const fl__sums *in, const fl__sums *all, int binary, double z);
/* fl__excess_lcb with, for a binary signal, the largest variance a rate
 * can have (1/4) on either side, whatever the rates (Wald's interval at
 * its widest): a small slice gains nothing from an extreme rate's narrow
 * interval. The causes' covering (report/causes.c). */
double fl__excess_lcb_sure(const fl__sums *in, const fl__sums *all, int binary);

#endif
