/*
 * The discovery / holdout split: a seeded half of the rows, stratified by
 * failure so that both halves have the same failure rate (to the row).
 * Binary signal: failing and passing rows are each shuffled and dealt
 * alternately. Continuous signal: rows sorted by failure are taken in
 * consecutive pairs and a coin sends one of each pair to the holdout, so
 * both halves have the same distribution of failure.
 *
 * Grouped split (fl_split_holdout_grouped): whole groups go to one half.
 * Each group g gets a fraction x_g = 1/2 of belonging to the holdout, which
 * meets both targets exactly: sum x_g rows_g = n / 2 and sum x_g w_g = W / 2,
 * w the failure (binary) or its mid-rank (continuous), summed per group.
 * Dependent rounding then walks x to a 0/1 vertex: three fractional groups
 * at a time move along the null space of the two constraints (the cross
 * product of their rows and w) until one reaches 0 or 1, so both sums stay
 * exact; the direction's sign is drawn with the probabilities that keep
 * every x_g a martingale (Srinivasan, "Distributions on level-sets with
 * applications to approximation algorithms", FOCS 2001), so each group is
 * held out with probability 1/2. At most two groups are left fractional
 * (the iterated rounding of Beck & Fiala, 1981); of their roundings, the
 * one that errs least (relatively, in the worse of the two sums) is taken,
 * which moves each sum by at most half of those two groups' (as rounding
 * each to its nearer end would). O(n), plus a sort for a continuous signal.
 */
#include "common/internal.h"

#include <math.h>
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
		/* the passing rows, then the failing ones, each in shuffled order
		 * (a stable partition: the sort by (stratum, position) it replaces) */
		fl_f64_row *fail = NULL;
		int64_t nf = 0;
		for (int64_t i = 0; i < n; i++)
			nf += k[i].v > 0.5;
		if (nf && !(fail = fl__malloc((size_t)nf * sizeof *fail, "holdout split"))) {
			free(k);
			return FL_ENOMEM;
		}
		n_pass = 0;
		nf = 0;
		for (int64_t i = 0; i < n; i++) {
			if (k[i].v > 0.5)
				fail[nf++] = k[i];
			else
				k[n_pass++] = k[i];
		}
		if (nf)
			memcpy(k + n_pass, fail, (size_t)nf * sizeof *fail);
		free(fail);
	} else {
		qsort(k, (size_t)n, sizeof *k, fl__cmp_f64_row);
	}
	memset(holdout, 0, (size_t)n);
	deal(holdout, k, 0, n_pass, &rng);
	deal(holdout, k, n_pass, n, &rng);
	free(k);
	return FL_OK;
}

/* Components of x within this of 0 or 1 are taken as there. */
#define SNAP 1e-12

/* One step of the rounding on the fractional groups t[0..3): move x along
 * the null space of (rows, w) until one of them is 0 or 1. */
static void step(double *x, const double *rows, const double *w, const int64_t *t, fl_rng *rng)
{
	const double a[3] = {rows[t[0]], rows[t[1]], rows[t[2]]}, b[3] = {w[t[0]], w[t[1]], w[t[2]]};
	double u[3], up = HUGE_VAL, down = HUGE_VAL, step_len, umax = 0, amax = 0, bmax = 0;
	int ju = 0, jd = 0, j_end;

	u[0] = a[1] * b[2] - a[2] * b[1];
	u[1] = a[2] * b[0] - a[0] * b[2];
	u[2] = a[0] * b[1] - a[1] * b[0];
	for (int j = 0; j < 3; j++) {
		umax = fmax(umax, fabs(u[j]));
		amax = fmax(amax, a[j]);
		bmax = fmax(bmax, fabs(b[j]));
	}
	/* w parallel to rows (equal means), or so nearly that u is mostly
	 * rounding noise: keeping the rows keeps w (nearly) too. Past the
	 * threshold, u's rounding moves a sum by at most 1e-10 of a group's
	 * per step. */
	if (umax <= 1e-6 * amax * bmax || umax == 0) {
		u[0] = a[1];
		u[1] = -a[0];
		u[2] = 0;
	}
	for (int j = 0; j < 3; j++) { /* longest steps along +u and -u */
		double xj = x[t[j]], to_up, to_down;

		if (u[j] == 0)
			continue;
		to_up = u[j] > 0 ? (1 - xj) / u[j] : xj / -u[j];
		to_down = u[j] > 0 ? xj / u[j] : (1 - xj) / -u[j];
		if (to_up < up)
			up = to_up, ju = j;
		if (to_down < down)
			down = to_down, jd = j;
	}
	/* +up with probability down / (up + down): E[change of x] = 0 */
	if (fl__rng_uniform(rng) * (up + down) < down)
		step_len = up, j_end = ju;
	else
		step_len = -down, j_end = jd;
	for (int j = 0; j < 3; j++) {
		double *xj = &x[t[j]];

		*xj += step_len * u[j];
		if (j == j_end || *xj < SNAP || *xj > 1 - SNAP)
			*xj = *xj < 0.5 ? 0 : 1;
	}
}

/* The m <= 2 groups left fractional: the rounding whose larger relative
 * error (of the rows, of w, each over those groups' total) is smallest,
 * ties by a coin. Rounding each to its nearer end errs by at most 1/2 in
 * both, so the one chosen does too. */
static void round_last(double *x, const double *rows, const double *w, const int64_t *t,
		       int64_t m, fl_rng *rng)
{
	double rows_tot = 0, w_tot = 0, best = HUGE_VAL;
	int pick = 0, ties = 0;

	if (m == 0)
		return;
	for (int64_t j = 0; j < m; j++) {
		rows_tot += rows[t[j]];
		w_tot += fabs(w[t[j]]);
	}
	for (int r = 0; r < 1 << m; r++) {
		double e_rows = 0, e_w = 0, cost;

		for (int64_t j = 0; j < m; j++) {
			double d = (double)(r >> j & 1) - x[t[j]];

			e_rows += d * rows[t[j]];
			e_w += d * w[t[j]];
		}
		cost = fmax(fabs(e_rows) / rows_tot, w_tot > 0 ? fabs(e_w) / w_tot : 0);
		if (cost < best - 1e-12) {
			best = cost;
			pick = r;
			ties = 1;
		} else if (cost <= best + 1e-12 && fl__rng_below(rng, (uint64_t)++ties) == 0) {
			pick = r;
		}
	}
	for (int64_t j = 0; j < m; j++)
		x[t[j]] = (double)(pick >> j & 1);
}

int fl_split_holdout_grouped(uint8_t *holdout, const double *failure, const int64_t *group,
			     int64_t n, uint64_t seed)
{
	double *rows = NULL, *w = NULL, *x = NULL;
	int64_t *active = NULL, m = 0;
	fl_f64_row *k = NULL;
	fl_rng rng;
	int rc = FL_OK;

	if (!holdout || !failure || !group || n < 0)
		return fl__error(FL_EINVAL, "cannot split %lld rows into halves by group", (long long)n);
	for (int64_t i = 0; i < n; i++)
		if (group[i] < 0 || group[i] >= n)
			return fl__error(FL_EINVAL, "row %lld: group code %lld is outside [0, %lld)",
					 (long long)i, (long long)group[i], (long long)n);
	rows = fl__calloc((size_t)(n ? n : 1), sizeof *rows, "holdout groups");
	w = fl__calloc((size_t)(n ? n : 1), sizeof *w, "holdout groups");
	x = fl__calloc((size_t)(n ? n : 1), sizeof *x, "holdout groups");
	active = fl__malloc((size_t)(n ? n : 1) * sizeof *active, "holdout groups");
	if (!rows || !w || !x || !active) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	if (fl_failure_is_binary(failure, n)) {
		for (int64_t i = 0; i < n; i++)
			w[group[i]] += failure[i];
	} else { /* mid-ranks, 1..n */
		if (!(k = fl__malloc((size_t)(n ? n : 1) * sizeof *k, "holdout groups"))) {
			rc = FL_ENOMEM;
			goto cleanup;
		}
		for (int64_t i = 0; i < n; i++)
			k[i] = (fl_f64_row){failure[i], i};
		qsort(k, (size_t)n, sizeof *k, fl__cmp_f64_row);
		for (int64_t i = 0, e; i < n; i = e) {
			for (e = i + 1; e < n && k[e].v == k[i].v; e++)
				;
			for (int64_t r = i; r < e; r++)
				w[group[k[r].row]] += 0.5 * (double)(i + 1 + e);
		}
	}
	for (int64_t i = 0; i < n; i++)
		rows[group[i]] += 1;
	for (int64_t g = 0; g < n; g++)
		if (rows[g] > 0) {
			x[g] = 0.5;
			active[m++] = g;
		}
	/* the groups in a seeded order (Fisher-Yates), rounded from the end */
	fl__rng_seed(&rng, seed, FL_STREAM_GROUPS);
	for (int64_t i = m - 1; i > 0; i--) {
		int64_t j = (int64_t)fl__rng_below(&rng, (uint64_t)i + 1), t = active[i];

		active[i] = active[j];
		active[j] = t;
	}
	while (m >= 3) {
		int64_t t[3] = {active[m - 3], active[m - 2], active[m - 1]};

		step(x, rows, w, t, &rng);
		m -= 3;
		for (int j = 0; j < 3; j++)
			if (x[t[j]] > 0 && x[t[j]] < 1)
				active[m++] = t[j];
	}
	round_last(x, rows, w, active, m, &rng);
	for (int64_t i = 0; i < n; i++)
		holdout[i] = x[group[i]] > 0.5;
cleanup:
	free(rows);
	free(w);
	free(x);
	free(active);
	free(k);
	return rc;
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
