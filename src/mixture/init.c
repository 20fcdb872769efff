/*
 * Initialisation of the mixture (see fl_mixture_init in faultline/mixture.h):
 *  - CONFUSION: components seeded on label x prediction cells, the diagonal
 *    (correct) cells first, then the largest confusions, each starting as
 *    the moments of its cell's rows. This is Domino's "confusion" init
 *    without its requirement k >= C^2 (Domino seeds all C^2 cells round
 *    robin and, in its latest code, silently falls back to k-means when k
 *    is smaller).
 *  - KMEANS: k-means++ and 10 Lloyd iterations (src/cluster) on a sample.
 * Components left over are seeded by D^2 sampling of single rows.
 */
#include "em.h"
#include "stats/stats_internal.h"

#include <math.h>

typedef struct {
	int64_t count;
	int32_t cell;
	int diag;
} cell_rank;

static int cmp_cell(const void *a, const void *b)
{
	const cell_rank *x = a, *y = b;

	if (x->diag != y->diag)
		return x->diag ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return (x->cell > y->cell) - (x->cell < y->cell);
}

/* Component of every row under the confusion init (-1: its cell is not
 * seeded); returns the number of seeded components. */
static int32_t confusion_cells(int32_t *hard, const fl_mx_data *p, int32_t k)
{
	int32_t C = p->n_classes, nseed = 0;
	int both = p->labels && p->probs;
	int64_t ncell = both ? (int64_t)C * C : C;
	cell_rank *cr = fl__calloc((size_t)ncell, sizeof *cr, "confusion cells");
	int32_t *comp = fl__malloc((size_t)ncell * sizeof(int32_t), "confusion cells");

	if (!cr || !comp) {
		free(cr);
		free(comp);
		return -1;
	}
	for (int64_t i = 0; i < p->n; i++) {
		int64_t row = p->rows ? p->rows[i] : i;
		int32_t y = p->labels ? (int32_t)p->labels[row] : -1;
		int32_t yh = p->probs ? fl__argmax_row(fl_mx_probs_row(p, row), C) : -1;
		hard[i] = both ? y * C + yh : y >= 0 ? y : yh;
		cr[hard[i]].count++;
	}
	for (int64_t c = 0; c < ncell; c++) {
		cr[c].cell = (int32_t)c;
		cr[c].diag = !both || c / C == c % C;
		comp[c] = -1;
	}
	qsort(cr, (size_t)ncell, sizeof *cr, cmp_cell);
	/* diagonal (correct) cells first, then the largest confusions */
	for (int64_t q = 0; q < ncell && nseed < k; q++)
		if (cr[q].count >= 2)
			comp[cr[q].cell] = nseed++;
	for (int64_t i = 0; i < p->n; i++)
		hard[i] = comp[hard[i]];
	free(cr);
	free(comp);
	return nseed;
}

/* Every component left empty by a hard initialisation (weight 0: an unused
 * cell, an empty cluster) from a single row drawn by D^2 sampling (distance
 * to the nearest mean so far) among up to 16384 random rows; it starts with
 * the column variances, the global label/prediction/failure statistics of
 * those rows, and the weight of an average component. */
static int seed_rest(fl_mixture *m, mx_ctx *x, const fl_mx_data *p, const double *col_var,
		     fl_rng *rng)
{
	int32_t empty = 0;
	unsigned char *live = NULL;
	int64_t d = p->d, C = x->C, ns = p->n < 16384 ? p->n : 16384, *rows = NULL;
	double *d2 = NULL, gl[3] = {0, 0, 0};
	float *row = NULL;
	fl_mx_data one = *p;
	int rc = 0;

	for (int32_t s = 0; s < x->k; s++)
		empty += !(m->weights[s] > 0);
	if (!empty)
		return 0;
	rows = fl__malloc((size_t)ns * sizeof(int64_t), "mixture seeding");
	d2 = fl__malloc((size_t)ns * sizeof(double), "mixture seeding");
	row = fl__malloc((size_t)(2 * d) * sizeof(float), "mixture seeding");
	live = fl__malloc((size_t)x->k, "mixture seeding");
	if (!rows || !d2 || !row || !live) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int32_t s = 0; s < x->k; s++)
		live[s] = m->weights[s] > 0;
	fl_mixture__sample_rows(rows, ns, p->n, rng);
	for (int64_t i = 0; i < ns && p->rows; i++) /* positions -> rows */
		rows[i] = p->rows[rows[i]];
	one.rows = rows;
	one.n = ns;
	for (int64_t i = 0; i < ns; i++) {
		d2[i] = HUGE_VAL;
		fl_mixture__load_rows(&one, row, i, 1);
		for (int32_t s = 0; s < x->k; s++) {
			double t = 0;
			if (!live[s])
				continue;
			for (int64_t j = 0; j < d; j++)
				t += (row[j] - m->means[s * d + j]) * (row[j] - m->means[s * d + j]);
			d2[i] = t < d2[i] ? t : d2[i];
		}
	}
	/* global statistics of the sampled rows for the new components */
	for (int32_t s = 0; s < x->k; s++) {
		double tot = 0, u;
		int64_t pick = 0;

		if (live[s])
			continue;
		for (int64_t i = 0; i < ns; i++)
			tot += d2[i] < HUGE_VAL ? d2[i] : 1;
		u = fl__rng_uniform(rng) * tot;
		for (int64_t i = 0; i < ns; i++) {
			u -= d2[i] < HUGE_VAL ? d2[i] : 1;
			pick = i;
			if (u < 0)
				break;
		}
		fl_mixture__load_rows(&one, row, pick, 1);
		for (int64_t j = 0; j < d; j++) {
			m->means[s * d + j] = row[j];
			m->variances[s * d + j] = col_var[j] > m->floor[j] ? col_var[j] : m->floor[j];
		}
		for (int64_t i = 0; i < ns; i++) {
			double t = 0;
			for (int64_t j = 0; j < d; j++)
				t += (row[j] - m->means[s * d + j]) * (row[j] - m->means[s * d + j]);
			d2[i] = t < d2[i] ? t : d2[i];
		}
		m->weights[s] = 1.0 / x->k;
		for (int64_t c = 0; c < C && m->has_labels; c++)
			m->label_probs[s * C + c] = 0;
		for (int64_t c = 0; c < C && m->has_probs; c++)
			m->pred_probs[s * C + c] = 0;
		gl[0] = gl[1] = gl[2] = 0;
		for (int64_t i = 0; i < ns; i++) {
			int64_t r = rows[i];
			if (m->has_labels)
				m->label_probs[s * C + p->labels[r]] += 1.0 / (double)ns;
			for (int64_t c = 0; c < C && m->has_probs; c++)
				m->pred_probs[s * C + c] += p->probs[r * C + c] / (double)ns;
			if (m->failure != FL_MIXTURE_FAILURE_NONE) {
				gl[0] += p->failure[r];
				gl[1] += p->failure[r] * p->failure[r];
			}
		}
		for (int64_t c = 0; c < C && m->has_labels; c++)
			m->label_probs[s * C + c] = (m->label_probs[s * C + c] * (double)ns + ALPHA) /
						    ((double)ns + (double)C * ALPHA);
		for (int64_t c = 0; c < C && m->has_probs; c++)
			m->pred_probs[s * C + c] = (m->pred_probs[s * C + c] * (double)ns + ALPHA) /
						   ((double)ns + (double)C * ALPHA);
		if (m->failure == FL_MIXTURE_FAILURE_BERNOULLI) {
			m->fail_mean[s] = (gl[0] + ALPHA) / ((double)ns + 2 * ALPHA);
		} else if (m->failure == FL_MIXTURE_FAILURE_GAUSSIAN) {
			m->fail_mean[s] = gl[0] / (double)ns;
			m->fail_var[s] = fmax(x->fvar, x->ffloor);
		}
	}
	/* renormalise: the seeded components keep their relative weights */
	{
		double tot = 0;
		for (int32_t s = 0; s < x->k; s++)
			tot += m->weights[s];
		for (int32_t s = 0; s < x->k; s++)
			m->weights[s] /= tot;
	}
cleanup:
	free(rows);
	free(d2);
	free(row);
	free(live);
	return rc;
}

/* k-means++ and 10 Lloyd iterations on up to 16384 rows of z. */
int fl_mixture__init_kmeans(fl_mixture *m, mx_ctx *x, const fl_mx_data *p, const double *col_var,
		       const fl_mixture_opts *o)
{
	int64_t d = p->d, ns = p->n < 16384 ? p->n : 16384;
	int64_t *rows = fl__malloc((size_t)ns * sizeof(int64_t), "mixture init");
	float *zs = fl__malloc((size_t)(ns * 2 * d) * sizeof(float), "mixture init");
	float *cen = fl__malloc((size_t)o->k * (size_t)d * sizeof(float), "mixture init");
	int32_t *assign = fl__malloc((size_t)ns * sizeof(int32_t), "mixture init");
	fl_kmeans_opts ko = FL_KMEANS_OPTS_INIT;
	fl_mx_data sub = *p;
	fl_rng rng;
	int rc = 0;

	if (!rows || !zs || !cen || !assign) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	fl__rng_seed(&rng, o->seed, FL_STREAM_MX_KMEANS);
	fl_mixture__sample_rows(rows, ns, p->n, &rng);
	for (int64_t i = 0; i < ns && p->rows; i++) /* positions -> rows */
		rows[i] = p->rows[rows[i]];
	sub.rows = rows;
	sub.n = ns;
	fl_mixture__load_rows(&sub, zs, 0, ns); /* [z, z^2]: k-means reads z with ldx = 2d */
	ko.k = o->k < ns ? o->k : (int32_t)ns;
	ko.n_init = 1;
	ko.max_iter = 10;
	ko.seed = o->seed;
	/* a few milliseconds of work in many small passes: threads would spend
	 * more time waiting for each other than computing */
	ko.threads = 1;
	if ((rc = fl_kmeans_fit(cen, assign, NULL, zs, ns, d, 2 * d, &ko)) != 0)
		goto cleanup;
	fl_mixture__pass(x, &sub, MX_HARD, assign, NULL);
	for (int32_t s = 0; s < o->k; s++)
		m->weights[s] = 1; /* every cluster is live */
	fl_mixture__m_step(m, x, col_var, 1);
	rc = seed_rest(m, x, p, col_var, &rng);
cleanup:
	free(rows);
	free(zs);
	free(cen);
	free(assign);
	return rc;
}

int fl_mixture__init_confusion(fl_mixture *m, mx_ctx *x, const fl_mx_data *p, const double *col_var,
			  const fl_mixture_opts *o)
{
	int32_t *hard = fl__malloc((size_t)p->n * sizeof(int32_t), "mixture init");
	int32_t nseed;
	fl_rng rng;
	int rc = 0;

	if (!hard)
		return FL_ENOMEM;
	nseed = confusion_cells(hard, p, o->k);
	if (nseed < 0) {
		free(hard);
		return FL_ENOMEM;
	}
	fl_mixture__pass(x, p, MX_HARD, hard, NULL);
	for (int32_t s = 0; s < o->k; s++)
		m->weights[s] = 1;
	fl_mixture__m_step(m, x, col_var, 1);
	fl__rng_seed(&rng, o->seed, FL_STREAM_MX_CONFUSION);
	rc = seed_rest(m, x, p, col_var, &rng);
	free(hard);
	return rc;
}

