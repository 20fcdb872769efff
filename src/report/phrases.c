/*
 * Phrase descriptions (Domino, Eyuboglu et al. 2022, section 4.2): in a
 * shared text-image space, the phrases whose embeddings point the way the
 * slice's mean moved away from the overall mean describe what is special
 * about it ("a photo of a dog in snow"). The score is the dot product of
 * the phrase embedding with that difference of means. The means' sums are
 * cut into the row groups (several ranks: each sums its own rows).
 */
#include "report_internal.h"

#include <string.h>

/* All of them or none: a report never holds a partial list. */
static int store_phrases(fl_report *r, const char *const *phrases, int32_t n)
{
	char **p = fl__calloc((size_t)n, sizeof *p, "phrases");

	for (int32_t i = 0; p && i < n; i++)
		if (!(p[i] = fl__strdup(phrases[i]))) {
			while (i-- > 0)
				free(p[i]);
			free(p);
			p = NULL;
		}
	if (!p)
		return FL_ENOMEM;
	r->phrases = p;
	r->n_phrases = n;
	return FL_OK;
}

/* The group of row (of n) among FL_ROW_GROUPS groups of n / G rows */
static int64_t group_of(int64_t row, int64_t n)
{
	int64_t g = n > 0 ? (int64_t)((double)row * FL_ROW_GROUPS / (double)n) : 0;

	g = g < 0 ? 0 : g >= FL_ROW_GROUPS ? FL_ROW_GROUPS - 1 : g;
	while (g > 0 && g * n / FL_ROW_GROUPS > row)
		g--;
	while (g < FL_ROW_GROUPS - 1 && (g + 1) * n / FL_ROW_GROUPS <= row)
		g++;
	return g;
}

/* out[0..d) := the sum of rows rows[0..m) of x (NULL: 0..m-1), cut into
 * the row groups of the n rows (fl__comm_row_groups): several ranks each
 * sum their own rows, the groups are added in order */
static void sum_rows(double *out, double *part, const float *x, int64_t n, int64_t d,
		     const int64_t *rows, const int64_t *rows2, int64_t m2, int64_t m)
{
	int64_t g0, g1;

	fl__comm_row_groups(&g0, &g1);
	memset(part, 0, (size_t)(FL_ROW_GROUPS * d) * sizeof *part);
	for (int64_t k = 0; k < m + m2; k++) {
		int64_t row = k < m ? (rows ? rows[k] : k) : rows2[k - m], g = group_of(row, n);

		if (g < g0 || g >= g1)
			continue;
		for (int64_t j = 0; j < d; j++)
			part[g * d + j] += x[row * d + j];
	}
	fl__comm_sum_f64(part, FL_ROW_GROUPS * d);
	memset(out, 0, (size_t)d * sizeof *out);
	for (int64_t g = 0; g < FL_ROW_GROUPS; g++)
		for (int64_t j = 0; j < d; j++)
			out[j] += part[g * d + j];
}

int fl_report_describe_phrases(fl_report *r, const float *x, int64_t d,
			       const char *const *phrases, const float *emb, int32_t n_phrases)
{
	double *all, *diff, *part;
	int rc;

	if (!x || d < 1 || !phrases || !emb || n_phrases < 1 || r->phrases)
		return fl__error(FL_EINVAL, "phrases need their embeddings and a view of at least 1 "
				 "dimension");
	all = fl__calloc((size_t)d, sizeof *all, "view mean");
	diff = fl__malloc((size_t)d * sizeof *diff, "slice mean");
	part = fl__malloc((size_t)(FL_ROW_GROUPS * d) * sizeof *part, "slice mean");
	if (!all || !diff || !part || (rc = store_phrases(r, phrases, n_phrases))) {
		free(all);
		free(diff);
		free(part);
		return FL_ENOMEM;
	}
	sum_rows(all, part, x, r->n, d, NULL, NULL, 0, r->n);
	for (int64_t j = 0; j < d; j++)
		all[j] /= (double)r->n;
	for (int32_t s = 0; s < r->n_slices; s++) {
		fl_candidate *c = &r->slices[s];
		int64_t m = c->n_members + c->n_holdout_members;

		if (m == 0)
			continue;
		sum_rows(diff, part, x, r->n, d, c->members, c->holdout_members, c->n_holdout_members,
			 c->n_members);
		for (int64_t j = 0; j < d; j++)
			diff[j] = diff[j] / (double)m - all[j];
		c->n_phrases = 0;
		for (int32_t p = 0; p < n_phrases; p++) {
			double score = 0;
			int32_t at;

			for (int64_t j = 0; j < d; j++)
				score += (double)emb[(int64_t)p * d + j] * diff[j];
			/* insertion into the best three; ties keep the earlier phrase */
			for (at = c->n_phrases; at > 0 && score > c->phrase_score[at - 1]; at--)
				;
			if (at >= 3)
				continue;
			for (int32_t q = (c->n_phrases < 3 ? c->n_phrases : 2); q > at; q--) {
				c->phrase_score[q] = c->phrase_score[q - 1];
				c->phrase_idx[q] = c->phrase_idx[q - 1];
			}
			c->phrase_score[at] = score;
			c->phrase_idx[at] = p;
			if (c->n_phrases < 3)
				c->n_phrases++;
		}
	}
	free(all);
	free(diff);
	free(part);
	return FL_OK;
}
