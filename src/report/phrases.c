/*
 * Phrase descriptions (Domino, Eyuboglu et al. 2022, section 4.2): in a
 * shared text-image space, the phrases whose embeddings point the way the
 * slice's mean moved away from the overall mean describe what is special
 * about it ("a photo of a dog in snow"). The score is the dot product of
 * the phrase embedding with that difference of means.
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

int fl_report_describe_phrases(fl_report *r, const float *x, int64_t d,
			       const char *const *phrases, const float *emb, int32_t n_phrases)
{
	double *all, *diff;
	int rc;

	if (!x || d < 1 || !phrases || !emb || n_phrases < 1 || r->phrases)
		return fl__error(FL_EINVAL, "phrases need their embeddings and a view of at least 1 "
				 "dimension");
	all = fl__calloc((size_t)d, sizeof *all, "view mean");
	diff = fl__malloc((size_t)d * sizeof *diff, "slice mean");
	if (!all || !diff || (rc = store_phrases(r, phrases, n_phrases))) {
		free(all);
		free(diff);
		return FL_ENOMEM;
	}
	for (int64_t i = 0; i < r->n; i++)
		for (int64_t j = 0; j < d; j++)
			all[j] += x[i * d + j];
	for (int64_t j = 0; j < d; j++)
		all[j] /= (double)r->n;
	for (int32_t s = 0; s < r->n_slices; s++) {
		fl_candidate *c = &r->slices[s];
		int64_t m = c->n_members + c->n_holdout_members;

		if (m == 0)
			continue;
		memset(diff, 0, (size_t)d * sizeof *diff);
		for (int64_t k = 0; k < m; k++) {
			int64_t row = k < c->n_members ? c->members[k] :
						     c->holdout_members[k - c->n_members];

			for (int64_t j = 0; j < d; j++)
				diff[j] += x[row * d + j];
		}
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
	return FL_OK;
}
