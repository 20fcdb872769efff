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

typedef struct {
	double f;
	int64_t i;
} keyed;

static int cmp_keyed(const void *pa, const void *pb)
{
	const keyed *a = pa, *b = pb;

	if (a->f != b->f)
		return a->f < b->f ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

/* Rows k[a..b) in consecutive pairs; a coin sends one of each pair (and
 * maybe a last odd row) to the holdout. */
static void deal(uint8_t *holdout, const keyed *k, int64_t a, int64_t b, fl_rng *rng)
{
	for (; a + 1 < b; a += 2)
		holdout[k[a + (int64_t)(fl__rng_next(rng) >> 63)].i] = 1;
	if (a < b)
		holdout[k[a].i] = (uint8_t)(fl__rng_next(rng) >> 63);
}

int fl_split_holdout(uint8_t *holdout, const double *failure, int64_t n, uint64_t seed)
{
	keyed *k;
	fl_rng rng;
	int64_t n_pass = n; /* binary: rows [0, n_pass) pass, the rest fail */

	if (!holdout || !failure || n < 0)
		return fl__error(FL_EINVAL, "fl_split_holdout: invalid arguments");
	if (!(k = fl__malloc((size_t)(n ? n : 1) * sizeof *k, "holdout split")))
		return FL_ENOMEM;
	fl__rng_seed(&rng, seed, 0x686f6c64 /* "hold" */);
	/* binary: the order within each stratum is random (Fisher-Yates over the
	 * rows, then a stable sort by failure keeps it); continuous: sorted */
	for (int64_t i = 0; i < n; i++)
		k[i] = (keyed){failure[i], i};
	if (fl_failure_is_binary(failure, n)) {
		for (int64_t i = n - 1; i > 0; i--) {
			int64_t j = (int64_t)fl__rng_below(&rng, (uint64_t)i + 1);
			keyed t = k[i];

			k[i] = k[j];
			k[j] = t;
		}
		for (int64_t i = 0; i < n; i++)
			k[i].i = k[i].i * 2 + (k[i].f > 0.5); /* stratum in the low bit */
		for (int64_t i = 0; i < n; i++)
			k[i].f = (double)(k[i].i & 1) * (double)n + (double)i; /* stratum, then shuffled order */
		qsort(k, (size_t)n, sizeof *k, cmp_keyed);
		for (int64_t i = 0; i < n; i++) {
			if ((k[i].i & 1) && n_pass == n)
				n_pass = i;
			k[i].i >>= 1;
		}
	} else {
		qsort(k, (size_t)n, sizeof *k, cmp_keyed);
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
	keyed *k;
	double run = 1.0;

	if (m < 0 || (m > 0 && (!adjusted || !p)))
		return fl__error(FL_EINVAL, "fl_bh_adjust: invalid arguments");
	if (!(k = fl__malloc((size_t)(m ? m : 1) * sizeof *k, "p-value ranks")))
		return FL_ENOMEM;
	for (int64_t i = 0; i < m; i++)
		k[i] = (keyed){p[i] == p[i] ? p[i] : 1.0, i};
	qsort(k, (size_t)m, sizeof *k, cmp_keyed);
	for (int64_t r = m - 1; r >= 0; r--) {
		double q = k[r].f * (double)m / (double)(r + 1);

		run = q < run ? q : run;
		adjusted[k[r].i] = run;
	}
	free(k);
	return FL_OK;
}
