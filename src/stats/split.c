/*
 * The discovery / holdout split: a seeded half of the rows, stratified by
 * failure so that both halves have the same failure rate (to the row).
 * Binary signal: failing and passing rows are each shuffled and dealt
 * alternately. Continuous signal: rows sorted by failure are taken in
 * consecutive pairs and a coin sends one of each pair to the holdout, so
 * both halves have the same distribution of failure.
 */
#include "common/internal.h"

#include <string.h>

/* Rows k[a..b) in consecutive pairs; a coin sends one of each pair (and
 * maybe a last odd row) to the holdout. */
static void deal(uint8_t *holdout, const fl_f64_row *k, int64_t a, int64_t b, fl_rng *rng)
{
	for (; a + 1 < b; a += 2)
		holdout[k[a + (int64_t)(fl__rng_next(rng) >> 63)].row] = 1;
	if (a < b)
		holdout[k[a].row] = (uint8_t)(fl__rng_next(rng) >> 63);
}

int fl_split_holdout(uint8_t *holdout, const double *failure, int64_t n, uint64_t seed)
{
	fl_f64_row *k;
	fl_rng rng;
	int64_t n_pass = n; /* binary: rows [0, n_pass) pass, the rest fail */

	if (!holdout || !failure || n < 0)
		return fl__error(FL_EINVAL, "cannot split %lld rows into halves", (long long)n);
	if (!(k = fl__malloc((size_t)(n ? n : 1) * sizeof *k, "holdout split")))
		return FL_ENOMEM;
	fl__rng_seed(&rng, seed, FL_STREAM_HOLDOUT);
	/* binary: the order within each stratum is random (Fisher-Yates over the
	 * rows, then a stable sort by failure keeps it); continuous: sorted */
	for (int64_t i = 0; i < n; i++)
		k[i] = (fl_f64_row){failure[i], i};
	if (fl_failure_is_binary(failure, n)) {
		for (int64_t i = n - 1; i > 0; i--) {
			int64_t j = (int64_t)fl__rng_below(&rng, (uint64_t)i + 1);
			fl_f64_row t = k[i];

			k[i] = k[j];
			k[j] = t;
		}
		for (int64_t i = 0; i < n; i++)
			k[i].row = k[i].row * 2 + (k[i].v > 0.5); /* stratum in the low bit */
		for (int64_t i = 0; i < n; i++)
			k[i].v = (double)(k[i].row & 1) * (double)n + (double)i; /* stratum, then shuffled order */
		qsort(k, (size_t)n, sizeof *k, fl__cmp_f64_row);
		for (int64_t i = 0; i < n; i++) {
			if ((k[i].row & 1) && n_pass == n)
				n_pass = i;
			k[i].row >>= 1;
		}
	} else {
		qsort(k, (size_t)n, sizeof *k, fl__cmp_f64_row);
	}
	memset(holdout, 0, (size_t)n);
	deal(holdout, k, 0, n_pass, &rng);
	deal(holdout, k, n_pass, n, &rng);
	free(k);
	return FL_OK;
}

/* Benjamini-Hochberg adjusted p-values (step-up, monotone, capped at 1). */
int fl_bh_adjust(double *adjusted, const double *p, int64_t m)
{
	fl_f64_row *k;
	double run = 1.0;

	if (m < 0 || (m > 0 && (!adjusted || !p)))
		return fl__error(FL_EINVAL, "cannot adjust %lld p-values", (long long)m);
	if (!(k = fl__malloc((size_t)(m ? m : 1) * sizeof *k, "p-value ranks")))
		return FL_ENOMEM;
	for (int64_t i = 0; i < m; i++)
		k[i] = (fl_f64_row){p[i] == p[i] ? p[i] : 1.0, i};
	qsort(k, (size_t)m, sizeof *k, fl__cmp_f64_row);
	for (int64_t r = m - 1; r >= 0; r--) {
		double q = k[r].v * (double)m / (double)(r + 1);

		run = q < run ? q : run;
		adjusted[k[r].row] = run;
	}
	free(k);
	return FL_OK;
}
