/*
 * The holdout split of a discovery: rows one by one (fl_split_holdout),
 * or whole groups, the equal cells of a metadata column, kept in one half
 * (fl_split_holdout_grouped) so that near-copies of a sample (augmented
 * images, frames of a video, visits of a patient) are never searched in
 * one half and confirmed in the other.
 */
#include "pipeline_internal.h"

#include <stdio.h>
#include <string.h>

#define NAME(s, dflt) ((s) ? (s) : (dflt))

static const char *group_name(const fl_discover_opts *o)
{
	return o->group_column && o->group_column[0] ? o->group_column : NULL;
}

/* A note for people, inert whatever bytes the column's name holds. */
static void note(const fl_discover_opts *o, const char *message)
{
	char text[1024];

	if (!o->note)
		return;
	fl__inert(text, sizeof text, message);
	o->note(o->note_user, text);
}

/* Each row's group: the first row holding its value (equal numbers are one
 * value, -0 = 0), or the row itself when its cell is missing. */
static int group_codes(int64_t *code, int64_t *n_groups, int64_t *n_missing, const fl_table *t,
		       int64_t col, int64_t n)
{
	const double *x = fl_table_numeric(t, col);
	const int32_t *c = fl_table_codes(t, col);
	int64_t m = 0;

	*n_groups = *n_missing = 0;
	if (!x && !c)
		return fl__error(FL_EINVAL, "column %lld: neither numbers nor codes", (long long)col);
	if (x) {
		fl_f64_row *k = fl__malloc((size_t)(n ? n : 1) * sizeof *k, "the groups");

		if (!k)
			return FL_ENOMEM;
		for (int64_t i = 0; i < n; i++) {
			if (x[i] == x[i])
				k[m++] = (fl_f64_row){x[i], i};
			else
				code[i] = i, ++*n_missing;
		}
		qsort(k, (size_t)m, sizeof *k, fl__cmp_f64_row); /* equal values by row */
		for (int64_t i = 0; i < m; i++) {
			if (i > 0 && k[i].v == k[i - 1].v) {
				code[k[i].row] = code[k[i - 1].row];
			} else {
				code[k[i].row] = k[i].row;
				++*n_groups;
			}
		}
		free(k);
	} else {
		int32_t levels = fl_table_nlevels(t, col);
		int64_t *first = fl__malloc((size_t)(levels > 0 ? levels : 1) * sizeof *first, "the groups");

		if (!first)
			return FL_ENOMEM;
		for (int32_t l = 0; l < levels; l++)
			first[l] = -1;
		for (int64_t i = 0; i < n; i++) {
			if (c[i] < 0 || c[i] >= levels) {
				code[i] = i;
				++*n_missing;
				continue;
			}
			if (first[c[i]] < 0) {
				first[c[i]] = i;
				++*n_groups;
			}
			code[i] = first[c[i]];
		}
		free(first);
	}
	*n_groups += *n_missing;
	return 0;
}

/* Split by the groups of the column into holdout (n bytes, the caller's). */
static int split_grouped(uint8_t *holdout, fl_report *r, const fl_prep *p, const fl_data *d,
			 const fl_discover_opts *o)
{
	const char *meta = NAME(d->meta_name, "metadata"), *name = group_name(o);
	int64_t col, *code, n_groups, n_missing, held = 0, largest = 0;
	char msg[512];
	int rc;

	if (!d->meta)
		return fl__error(FL_EINVAL, "group column '%s' needs metadata", name);
	if ((col = fl_table_find(d->meta, name)) < 0)
		return fl__error(FL_EINVAL, "%s: no column '%s' (group column)", meta, name);
	if (!(code = fl__malloc((size_t)p->n * sizeof *code, "the groups")))
		return FL_ENOMEM;
	if ((rc = group_codes(code, &n_groups, &n_missing, d->meta, col, p->n)) ||
	    (rc = fl_split_holdout_grouped(holdout, p->failure, code, p->n, o->seed)))
		goto cleanup;
	for (int64_t i = 0; i < p->n; i++)
		held += holdout[i];
	if (held < 2 || p->n - held < 2) {
		rc = fl__error(FL_EINVAL, "%s: group column '%s' has %lld group%s in %lld rows: too few "
			       "to search one half and confirm on the other (at least 2 rows in each)",
			       meta, name, (long long)n_groups, n_groups == 1 ? "" : "s",
			       (long long)p->n);
		goto cleanup;
	}
	if (n_missing > 0) {
		snprintf(msg, sizeof msg, "group column '%s': %lld row%s with a missing cell, each a "
			 "group of its own", name, (long long)n_missing, n_missing == 1 ? "" : "s");
		note(o, msg);
	}
	if (5 * held < 2 * p->n || 5 * held > 3 * p->n) { /* outside 40-60% of the rows */
		int64_t *size = fl__calloc((size_t)p->n, sizeof *size, "the groups");

		if (!size) {
			rc = FL_ENOMEM;
			goto cleanup;
		}
		for (int64_t i = 0; i < p->n; i++)
			if (++size[code[i]] > largest)
				largest = size[code[i]];
		free(size);
		snprintf(msg, sizeof msg, "group column '%s': the halves are uneven, %lld rows searched "
			 "and %lld held out, as whole groups allow (%lld groups, the largest of %lld rows)",
			 name, (long long)(p->n - held), (long long)held, (long long)n_groups,
			 (long long)largest);
		note(o, msg);
	}
	rc = fl_report_set_param(r, "group_column", name);
cleanup:
	free(code);
	return rc;
}

int fl_pipeline__holdout(uint8_t **out, fl_report *r, const fl_prep *p, const fl_data *d,
			 const fl_discover_opts *o)
{
	uint8_t *holdout;
	int rc;

	*out = NULL;
	if (!o->holdout)
		return 0;
	if (!(holdout = fl__malloc((size_t)p->n, "holdout rows")))
		return FL_ENOMEM;
	rc = group_name(o) ? split_grouped(holdout, r, p, d, o)
			     : fl_split_holdout(holdout, p->failure, p->n, o->seed);
	if (rc) {
		free(holdout);
		return rc;
	}
	*out = holdout;
	return 0;
}

int32_t fl_pipeline__skip_cols(int64_t skip[2], const fl_prep *p, const fl_data *d,
			       const fl_discover_opts *o)
{
	int32_t n = 0;

	if (p->id_col >= 0)
		skip[n++] = p->id_col;
	if (group_name(o) && o->holdout && d->meta &&
	    (skip[n] = fl_table_find(d->meta, group_name(o))) >= 0 && skip[n] != p->id_col)
		n++;
	return n;
}
