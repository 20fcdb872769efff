/*
 * What the writers show of a slice besides its statistics, derived from the
 * data once per page or JSON (and kept in the JSON, for `faultline report`):
 *  - the distribution, inside the slice and outside it, of each column its
 *    description (else its closest metadata rule) names: the levels of a
 *    categorical column (the most frequent inside first; the rest as
 *    "(others)"), a numeric column in bins cut at the whole column's
 *    sextiles (so that outside, every bin holds about as many rows and the
 *    slice's own shape stands out), missing cells as a bin of their own;
 *    the derived columns "label" and "predicted" by class;
 *  - example rows: the slice's typical members (its prototypes) and, for
 *    contrast, rows outside it that the model got right, of the classes of
 *    those members (of their failing ones first).
 * Linear in the slices: a column's bins and whole-data counts and the rows
 * each class got right are found once, on first use; a slice then costs
 * its own rows (outside = whole - inside).
 */
#include "report_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define NUM_BINS 6 /* quantile bins of a numeric column */
#define WHAT "column distribution" /* what an allocation failure names */

typedef char bin_text[48];

typedef struct level_count {
	int64_t count, level;
} level_count;

/* A column as the distributions bin it. Level n_levels counts missing cells. */
typedef struct column {
	int ready;
	const char *name;
	const int32_t *codes;  /* a categorical table column: each row's level, -1 missing */
	const double *x;       /* a numeric one: each row's value, NaN missing */
	const int64_t *cls;    /* "label" or "predicted": each row's class */
	int32_t n_levels;      /* levels, bins or classes */
	double cut[NUM_BINS];  /* numeric: bin k holds cut[k - 1] <= x < cut[k] */
	int64_t *whole;        /* rows per level over all rows, n_levels + 1 */
	int64_t *inside;       /* scratch: rows per level in the current slice */
	level_count *touched;  /* scratch: (rows inside, level) of the levels with rows inside */
	const char **names;    /* each level's text */
	bin_text *text;        /* the texts of bins and of unnamed classes */
} column;

struct fl_digest {
	const fl_report *r;
	int64_t n_table;       /* table columns; "label" is n_table, "predicted" n_table + 1 */
	column *cols;
	char derived[2][32];   /* the names of "label" and "predicted" */
	uint8_t *mark;         /* per row: in the current slice */
	int64_t *right, *start; /* rows predicted right by class: right[start[c] .. start[c + 1]) */
};

static void column_free(column *c)
{
	free(c->whole);
	free(c->inside);
	free(c->touched);
	free(c->names);
	free(c->text);
	memset(c, 0, sizeof *c);
}

void fl_report__digest_free(fl_digest *d)
{
	if (!d)
		return;
	for (int64_t j = 0; d->cols && j < d->n_table + 2; j++)
		column_free(&d->cols[j]);
	free(d->cols);
	free(d->mark);
	free(d->right);
	free(d->start);
	free(d);
}

/* The name a derived column has in the descriptions: "label", or "label
 * (faultline)" when the metadata has a column of that name (as prepare.c
 * names it). */
static void derived_name(char *buf, size_t len, const fl_table *t, const char *base)
{
	snprintf(buf, len, t && fl_table_find(t, base) >= 0 ? "%s (faultline)" : "%s", base);
}

int fl_report__digest_new(fl_digest **out, const fl_report *r)
{
	fl_digest *d = fl__calloc(1, sizeof *d, "slice digest");

	*out = NULL;
	if (!d)
		return FL_ENOMEM;
	d->r = r;
	d->n_table = r->table ? fl_table_cols(r->table) : 0;
	derived_name(d->derived[0], sizeof d->derived[0], r->table, "label");
	derived_name(d->derived[1], sizeof d->derived[1], r->table, "predicted");
	if (!(d->cols = fl__calloc((size_t)d->n_table + 2, sizeof *d->cols, "slice digest")) ||
	    !(d->mark = fl__calloc((size_t)r->n, 1, "slice digest"))) {
		fl_report__digest_free(d);
		return FL_ENOMEM;
	}
	*out = d;
	return FL_OK;
}

static const char *col_name(const fl_digest *d, int64_t j)
{
	const fl_report *r = d->r;

	if (j < d->n_table)
		return j == r->id_col ? NULL : fl_table_col_name(r->table, j);
	if (!r->labels || !r->preds)
		return NULL;
	return d->derived[j - d->n_table];
}

/* The level of a row in a ready column: n_levels for a missing cell. */
static int32_t level(const column *c, int64_t row)
{
	if (c->codes)
		return c->codes[row] < 0 ? c->n_levels : c->codes[row];
	if (c->cls)
		return (int32_t)c->cls[row];
	if (isnan(c->x[row]))
		return c->n_levels;
	int32_t lo = 0, hi = c->n_levels - 1; /* the bins whose lower cut is <= x */
	while (lo < hi) {
		int32_t mid = (lo + hi + 1) / 2;

		if (c->cut[mid - 1] <= c->x[row])
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* A numeric column's cuts at the sextiles of its values (distinct, above
 * the least), and each bin named by the values it holds ("16-30", "4"). */
static int numeric_bins(column *c, int64_t n)
{
	double *v = fl__malloc((size_t)(n ? n : 1) * sizeof *v, WHAT);
	int64_t m = 0, first = 0;
	int32_t k = 0;

	if (!v)
		return FL_ENOMEM;
	for (int64_t i = 0; i < n; i++)
		if (!isnan(c->x[i]))
			v[m++] = c->x[i];
	qsort(v, (size_t)m, sizeof *v, fl__cmp_f64);
	for (int32_t q = 1; q < NUM_BINS && m > 0; q++) {
		double cut = v[q * m / NUM_BINS];

		if (cut > (k ? c->cut[k - 1] : v[0]))
			c->cut[k++] = cut;
	}
	c->n_levels = k + 1;
	if (!(c->text = fl__calloc((size_t)c->n_levels, sizeof *c->text, WHAT))) {
		free(v);
		return FL_ENOMEM;
	}
	for (int32_t b = 0; b <= k && m > 0; b++) { /* bin b: v[first .. last] */
		int64_t last = first;

		while (last + 1 < m && (b == k || v[last + 1] < c->cut[b]))
			last++;
		snprintf(c->text[b], sizeof c->text[b], v[first] == v[last] ? "%.4g" : "%.4g\xe2\x80\x93%.4g",
			 v[first], v[last]);
		first = last + 1;
	}
	if (m == 0)
		snprintf(c->text[0], sizeof c->text[0], "(none)");
	free(v);
	return FL_OK;
}

/* Column j's levels, their texts and whole-data counts, on first use (on
 * failure, none: the next use tries again). */
static int ready(fl_digest *d, int64_t j)
{
	const fl_report *r = d->r;
	column *c = &d->cols[j];
	int rc = FL_OK;

	if (c->ready)
		return FL_OK;
	c->name = col_name(d, j);
	if (j >= d->n_table) {
		c->cls = j == d->n_table ? r->labels : r->preds;
		c->n_levels = r->n_classes;
		if (!(c->text = fl__calloc((size_t)c->n_levels, sizeof *c->text, WHAT)))
			return FL_ENOMEM;
	} else if (fl_table_col_type(r->table, j) == FL_COL_NUMERIC) {
		c->x = fl_table_numeric(r->table, j);
		rc = numeric_bins(c, r->n);
	} else {
		c->codes = fl_table_codes(r->table, j);
		c->n_levels = fl_table_nlevels(r->table, j);
	}
	if (rc || !(c->whole = fl__calloc((size_t)c->n_levels + 1, sizeof *c->whole, WHAT)) ||
	    !(c->inside = fl__calloc((size_t)c->n_levels + 1, sizeof *c->inside, WHAT)) ||
	    !(c->touched = fl__calloc((size_t)c->n_levels + 1, sizeof *c->touched, WHAT)) ||
	    !(c->names = fl__calloc((size_t)c->n_levels, sizeof *c->names, WHAT))) {
		column_free(c);
		return rc ? rc : FL_ENOMEM;
	}
	for (int32_t k = 0; k < c->n_levels; k++)
		c->names[k] = c->codes ? fl_table_level(r->table, j, k) :
			      c->cls ? fl_report__class_name(r, k, c->text[k], sizeof c->text[k]) :
				       c->text[k];
	for (int64_t i = 0; i < r->n; i++)
		c->whole[level(c, i)]++;
	c->ready = 1;
	return FL_OK;
}

/* The columns the slice's description (else its metadata rule) names, in
 * order, each once: each term of "A AND B" starts with a column's name
 * and a space (the longest such name). */
static int32_t describing(const fl_digest *d, const fl_candidate *c, int64_t *out)
{
	const char *t = c->description ? c->description : c->explanation;
	int32_t n = 0;

	while (t && *t && n < FL_DIST_COLUMNS) {
		const char *end = strstr(t, " AND ");
		size_t best_len = 0;
		int64_t best = -1;

		for (int64_t j = 0; j < d->n_table + 2; j++) {
			const char *name = col_name(d, j);
			size_t len = name ? strlen(name) : 0;

			if (len > best_len && !strncmp(t, name, len) && t[len] == ' ' &&
			    (!end || t + len <= end)) {
				best = j;
				best_len = len;
			}
		}
		for (int32_t k = 0; k < n && best >= 0; k++)
			if (out[k] == best)
				best = -1;
		if (best >= 0)
			out[n++] = best;
		t = end ? end + 5 : NULL;
	}
	return n;
}

static int64_t row_of(const fl_candidate *c, int64_t k)
{
	return k < c->n_members ? c->members[k] : c->holdout_members[k - c->n_members];
}

/* Most rows inside first, then by level. */
static int cmp_inside(const void *pa, const void *pb)
{
	const level_count *a = pa, *b = pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return (a->level > b->level) - (a->level < b->level);
}

static void add_bin(fl_dist *o, const char *text, int64_t in, int64_t out)
{
	o->bin[o->n_bins] = text;
	o->inside[o->n_bins] = in;
	o->outside[o->n_bins++] = out;
}

/* Slice c's distribution over column col: the bins of a numeric column in
 * order, else the levels most present inside (at most FL_DIST_BINS - 2)
 * and the others together; then the missing cells, when any. */
static void one_dist(column *col, const fl_candidate *c, int64_t n, fl_dist *o)
{
	int64_t all = c->n_members + c->n_holdout_members, in_other = 0, out_other = 0;
	int32_t nt = 0, miss = col->n_levels, shown;

	o->column = col->name;
	o->n_bins = 0;
	for (int64_t k = 0; k < all; k++) {
		int32_t l = level(col, row_of(c, k));

		if (col->inside[l]++ == 0 && l != miss)
			col->touched[nt++].level = l;
	}
	if (col->x) { /* every bin, in order */
		nt = col->n_levels;
		for (int32_t l = 0; l < nt; l++)
			col->touched[l].level = l;
	} else {
		for (int32_t t = 0; t < nt; t++)
			col->touched[t].count = col->inside[col->touched[t].level];
		qsort(col->touched, (size_t)nt, sizeof *col->touched, cmp_inside);
	}
	shown = col->x || nt <= FL_DIST_BINS - 2 ? nt : FL_DIST_BINS - 2;
	in_other = all - col->inside[miss];
	out_other = n - all - (col->whole[miss] - col->inside[miss]);
	for (int32_t t = 0; t < shown; t++) {
		int32_t l = (int32_t)col->touched[t].level;

		add_bin(o, col->names[l], col->inside[l], col->whole[l] - col->inside[l]);
		in_other -= col->inside[l];
		out_other -= col->whole[l] - col->inside[l];
	}
	if (in_other > 0 || out_other > 0)
		add_bin(o, "(others)", in_other, out_other);
	if (col->whole[miss] > 0)
		add_bin(o, "(missing)", col->inside[miss], col->whole[miss] - col->inside[miss]);
	for (int64_t k = 0; k < all; k++)
		col->inside[level(col, row_of(c, k))] = 0;
}

int32_t fl_report__dists(fl_digest *d, int32_t i, fl_dist *out)
{
	const fl_report *r = d->r;
	const fl_candidate *c = &r->slices[i];
	int64_t cols[FL_DIST_COLUMNS];
	int32_t n;
	int rc;

	if (r->saved.n_dists) { /* read back from JSON */
		memcpy(out, &r->saved.dists[(size_t)i * FL_DIST_COLUMNS],
		       (size_t)r->saved.n_dists[i] * sizeof *out);
		return r->saved.n_dists[i];
	}
	n = describing(d, c, cols);
	for (int32_t k = 0; k < n; k++) {
		if ((rc = ready(d, cols[k])))
			return rc;
		one_dist(&d->cols[cols[k]], c, r->n, &out[k]);
	}
	return n;
}

/* The rows the model got right, by class (a counting sort), on first use. */
static int right_rows(fl_digest *d)
{
	const fl_report *r = d->r;
	int64_t n_right = 0;

	if (d->start)
		return FL_OK;
	for (int64_t i = 0; i < r->n; i++)
		n_right += r->labels[i] == r->preds[i];
	if (!(d->right = fl__malloc((size_t)(n_right ? n_right : 1) * sizeof *d->right, "example rows")) ||
	    !(d->start = fl__calloc((size_t)r->n_classes + 1, sizeof *d->start, "example rows"))) {
		free(d->right);
		d->right = NULL;
		return FL_ENOMEM;
	}
	for (int64_t i = 0; i < r->n; i++)
		if (r->labels[i] == r->preds[i])
			d->start[r->labels[i] + 1]++;
	for (int32_t k = 0; k < r->n_classes; k++)
		d->start[k + 1] += d->start[k];
	for (int64_t i = 0, *at = d->right; i < r->n; i++) /* rows ascending within a class */
		if (r->labels[i] == r->preds[i])
			at[d->start[r->labels[i]]++] = i;
	for (int32_t k = r->n_classes; k > 0; k--) /* back to the starts */
		d->start[k] = d->start[k - 1];
	d->start[0] = 0;
	return FL_OK;
}

/* For contrast, the first row (by row) of each class of the typical
 * members (failing ones first) that the model got right, outside the slice. */
static int32_t contrast(fl_digest *d, const fl_candidate *c, fl_example *ex, int32_t n)
{
	const fl_report *r = d->r;
	int64_t all = c->n_members + c->n_holdout_members;
	int32_t typical = n;

	for (int64_t k = 0; k < all; k++)
		d->mark[row_of(c, k)] = 1;
	for (int pass = 0; pass < 2; pass++)
		for (int32_t t = 0; t < typical && n < typical + FL_REPORT_CONTRAST; t++) {
			int64_t cls = ex[t].label, e;
			int seen = 0;

			if ((ex[t].label == ex[t].pred) != pass)
				continue;
			for (int32_t q = typical; q < n; q++)
				seen |= ex[q].label == cls;
			for (e = d->start[cls]; !seen && e < d->start[cls + 1] && d->mark[d->right[e]]; e++)
				;
			if (seen || e == d->start[cls + 1])
				continue;
			ex[n] = (fl_example){d->right[e], fl_report__row_id(r, d->right[e]), cls, cls, 0};
			n++;
		}
	for (int64_t k = 0; k < all; k++)
		d->mark[row_of(c, k)] = 0;
	return n;
}

int32_t fl_report__examples(fl_digest *d, int32_t i, fl_example *out)
{
	const fl_report *r = d->r;
	const fl_candidate *c = &r->slices[i];
	int32_t n = 0;
	int rc;

	if (r->id_col < 0)
		return 0;
	if (r->saved.n_examples && r->saved.n_examples[i]) { /* read back from JSON */
		memcpy(out, &r->saved.examples[(size_t)i * FL_REPORT_EXAMPLES],
		       (size_t)r->saved.n_examples[i] * sizeof *out);
		return r->saved.n_examples[i];
	}
	for (; n < c->n_members && n < FL_REPORT_PROTOTYPES; n++) {
		int64_t row = c->members[n];

		out[n] = (fl_example){row, fl_report__row_id(r, row), r->labels ? r->labels[row] : -1,
				      r->labels && r->preds ? r->preds[row] : -1, 1};
	}
	if (!r->labels || !r->preds)
		return n;
	if ((rc = right_rows(d)))
		return rc;
	return contrast(d, c, out, n);
}
