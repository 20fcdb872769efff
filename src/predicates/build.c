/*
 * Predicates from a metadata table: categorical and boolean values, the
 * missing cell, and equal-frequency bins of numeric columns with readable
 * edges (rules in faultline/predicates.h). Produces the predicate list of
 * the result and one bitset per usable predicate for the search.
 * SliceLine (Sagadeeva & Boehm, SIGMOD 2021) expects its input already
 * binned and one-hot encoded; this file is that encoding, done once.
 */
#include "predicates_internal.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

int fl_predicates__note(fl_predicate_result *r, const fl_predicate_opts *o, const char *fmt, ...)
{
	char buf[512], *copy, **notes;
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	len = strlen(buf) + 1;
	notes = realloc(r->notes, (size_t)(r->n_notes + 1) * sizeof *notes);
	if (!notes)
		return fl__error(FL_ENOMEM, "out of memory recording a note");
	r->notes = notes;
	if (!(copy = fl__malloc(len, "note")))
		return FL_ENOMEM;
	memcpy(copy, buf, len);
	r->notes[r->n_notes++] = copy;
	if (o->note)
		o->note(o->note_user, copy);
	return 0;
}

/* A locale may print "0,5" (when the caller's C-locale switch failed). */
static void fix_point(char *s)
{
	for (; *s; s++)
		if (*s == ',')
			*s = '.';
}

void fl_predicates__fmt(char *buf, size_t len, double x)
{
	int p;

	for (p = 1; p < 17; p++) {
		snprintf(buf, len, "%.*g", p, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	snprintf(buf, len, "%.*g", p, x);
	/* "1.17e+05" reads worse than "117000": plain digits for moderate
	 * magnitudes, with as many decimals as the p significant digits need */
	if (strchr(buf, 'e') && fabs(x) >= 1e-4 && fabs(x) < 1e15) {
		int e = (int)floor(log10(fabs(x))), dec = p - 1 - e;
		snprintf(buf, len, "%.*f", dec > 0 ? dec : 0, x);
		if (strtod(buf, NULL) != x)
			snprintf(buf, len, "%.*g", p, x);
	}
	fix_point(buf);
}

/* The number with the fewest significant digits in (a, b], b finite and
 * a < b: cuts fall between two data values, and any edge in that gap puts
 * the same rows on each side, so the shortest is the one to print. */
static double nice_edge(double a, double b)
{
	char buf[40];
	double cand[2] = {b, isfinite(a) ? a + (b - a) / 2 : b};

	for (int p = 1; p <= 17; p++)
		for (int k = 0; k < 2; k++) {
			snprintf(buf, sizeof buf, "%.*e", p - 1, cand[k]);
			double v = strtod(buf, NULL);
			if (v > a && v <= b)
				return v == 0 ? 0.0 : v; /* "0", never "-0" */
		}
	return b;
}

/* Sort m doubles (no NaN) ascending: LSD radix sort on their bits mapped
 * to order-preserving unsigned keys, 8 bits a pass, passes where every key
 * has the same byte skipped. tmp holds 2 m keys. (qsort was most of the
 * search's time on tables like Adult.) */
static void sort_doubles(double *x, int64_t m, uint64_t *tmp)
{
	uint64_t *a = tmp, *b = tmp + m;
	int64_t count[256];

	for (int64_t i = 0; i < m; i++) {
		uint64_t u;
		memcpy(&u, &x[i], sizeof u);
		a[i] = u >> 63 ? ~u : u | 0x8000000000000000ULL;
	}
	for (int shift = 0; shift < 64; shift += 8) {
		memset(count, 0, sizeof count);
		for (int64_t i = 0; i < m; i++)
			count[(a[i] >> shift) & 255]++;
		if (m == 0 || count[(a[0] >> shift) & 255] == m)
			continue;
		for (int64_t d = 0, sum = 0; d < 256; d++) {
			int64_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (int64_t i = 0; i < m; i++)
			b[count[(a[i] >> shift) & 255]++] = a[i];
		uint64_t *t = a;
		a = b;
		b = t;
	}
	for (int64_t i = 0; i < m; i++) {
		uint64_t u = a[i] >> 63 ? a[i] & 0x7fffffffffffffffULL : ~a[i];
		memcpy(&x[i], &u, sizeof u);
	}
}

/* first index in s[0, m) with s[i] >= v (lower) or s[i] > v (upper) */
static int64_t bound_index(const double *s, int64_t m, double v, int upper)
{
	int64_t lo = 0, hi = m;

	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if (upper ? s[mid] <= v : s[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Equal-frequency cuts of sorted s[0, m): for j = 1..bins-1 the cut at
 * round(j m / bins), moved to the nearer end of a run of ties it falls in
 * (never to 0 or m), duplicates and cuts below +inf values dropped.
 * edges[k] = the readable edge of cut k. Returns the count. */
static int32_t quantile_edges(double *edges, const double *s, int64_t m, int32_t bins)
{
	int64_t prev = 0;
	int32_t k = 0;

	for (int32_t j = 1; j < bins; j++) {
		int64_t pos = (int64_t)llround((double)j * (double)m / bins);
		if (pos <= 0 || pos >= m)
			continue;
		if (s[pos - 1] == s[pos]) {
			int64_t lo = bound_index(s, m, s[pos], 0), hi = bound_index(s, m, s[pos], 1);
			if (lo == 0 && hi == m)
				continue;
			pos = lo == 0 ? hi : hi == m ? lo : pos - lo < hi - pos ? lo : hi;
		}
		if (pos <= prev || !isfinite(s[pos]))
			continue;
		edges[k++] = nice_edge(s[pos - 1], s[pos]);
		prev = pos;
	}
	return k;
}

/* growable arrays of the result's predicates and the space's bitsets */
typedef struct {
	fl_predicate_result *r;
	fl_pred_space *sp;
	int32_t cap_preds, cap_active;
	int64_t min_support;
} builder;

static int add_pred(builder *b, int64_t col, fl_predicate_op op, int32_t code, double low,
		    double high, int64_t size, const char *text)
{
	fl_predicate_result *r = b->r;
	fl_predicate *p;
	size_t len = strlen(text) + 1;

	if (r->n_preds == b->cap_preds) {
		int32_t cap = b->cap_preds ? 2 * b->cap_preds : 64;
		fl_predicate *np = realloc(r->preds, (size_t)cap * sizeof *np);
		if (!np)
			return fl__error(FL_ENOMEM, "out of memory listing predicates");
		r->preds = np;
		b->cap_preds = cap;
	}
	p = &r->preds[r->n_preds];
	*p = (fl_predicate){col, op, code, low, high, size, NULL};
	if (!(p->text = fl__malloc(len, "predicate text")))
		return FL_ENOMEM;
	memcpy(p->text, text, len);
	r->n_preds++;
	return 0;
}

/* Give predicate `pred` (of column col) a bitset when it is usable;
 * *active = its index in the space, or -1. */
static int add_active(builder *b, int32_t pred, int64_t col, int32_t *active)
{
	fl_pred_space *sp = b->sp;
	int64_t size = b->r->preds[pred].size;

	*active = -1;
	if (size < b->min_support || size >= sp->n)
		return 0;
	if (sp->n_active == b->cap_active) {
		int32_t cap = b->cap_active ? 2 * b->cap_active : 64;
		size_t bytes;
		if (fl__mul_size((size_t)cap * (size_t)sp->words, sizeof(uint64_t), &bytes))
			return fl__error(FL_ENOMEM, "predicate bitsets: size overflows");
		uint64_t *nb = realloc(sp->bits, bytes);
		int32_t *nc = realloc(sp->column, (size_t)cap * sizeof *nc);
		if (nc)
			sp->column = nc;
		int32_t *np = realloc(sp->pred, (size_t)cap * sizeof *np);
		if (np)
			sp->pred = np;
		if (nb)
			sp->bits = nb;
		if (!nb || !nc || !np)
			return fl__error(FL_ENOMEM, "out of memory allocating predicate bitsets "
					 "(%d predicates of %lld rows)", cap, (long long)sp->n);
		b->cap_active = cap;
	}
	*active = sp->n_active++;
	sp->column[*active] = (int32_t)col;
	sp->pred[*active] = pred;
	memset(sp->bits + (size_t)*active * (size_t)sp->words, 0, (size_t)sp->words * sizeof(uint64_t));
	return 0;
}

/* With rowpred[r] = the column's local predicate of row r (0..npred-1),
 * the predicates first..first+npred-1 already listed with their sizes:
 * set the bits of the usable ones. */
static int fill_bits(builder *b, int64_t col, int32_t first, int32_t npred, const int32_t *rowpred,
		     int32_t *active)
{
	int rc;

	for (int32_t k = 0; k < npred; k++)
		if ((rc = add_active(b, first + k, col, &active[k])) != 0)
			return rc;
	for (int64_t r = 0; r < b->sp->n; r++) {
		int32_t a = active[rowpred[r]];
		if (a >= 0)
			b->sp->bits[(size_t)a * (size_t)b->sp->words + (size_t)(r >> 6)] |= 1ULL << (r & 63);
	}
	return 0;
}

static int categorical_column(builder *b, const fl_table *t, int64_t col, const fl_predicate_opts *o,
			      int32_t *rowpred, int64_t *count, int32_t *local)
{
	const int32_t *codes = fl_table_codes(t, col);
	const char *name = fl_table_col_name(t, col);
	int32_t nlev = fl_table_nlevels(t, col), npred = 0, first = b->r->n_preds;
	int64_t n = b->sp->n;
	char text[512];
	int rc;

	if (nlev > o->max_levels_per_column)
		return fl_predicates__note(b->r, o, "column '%.100s': %d distinct values (more than %d): "
					   "skipped", name, nlev, o->max_levels_per_column);
	memset(count, 0, (size_t)(nlev + 1) * sizeof *count);
	for (int64_t r = 0; r < n; r++)
		count[codes[r] < 0 ? nlev : codes[r]]++;
	for (int32_t c = 0; c <= nlev; c++)
		if (count[c] == n)
			return fl_predicates__note(b->r, o, "column '%.100s': %s: skipped", name,
						   c == nlev ? "every value is missing" : "constant");
	for (int32_t c = 0; c <= nlev; c++) {
		local[c] = -1;
		if (!count[c])
			continue;
		if (c < nlev)
			snprintf(text, sizeof text, "%s = %s", name, fl_table_level(t, col, c));
		else
			snprintf(text, sizeof text, "%s is missing", name);
		if ((rc = add_pred(b, col, c < nlev ? FL_PRED_EQ : FL_PRED_MISSING, c < nlev ? c : -1,
				   NAN, NAN, count[c], text)) != 0)
			return rc;
		local[c] = npred++;
	}
	for (int64_t r = 0; r < n; r++)
		rowpred[r] = local[codes[r] < 0 ? nlev : codes[r]];
	return fill_bits(b, col, first, npred, rowpred, local);
}

static int numeric_column(builder *b, const fl_table *t, int64_t col, const fl_predicate_opts *o,
			  int32_t *rowpred, double *sorted, uint64_t *keys, int64_t *count, int32_t *active)
{
	const double *x = fl_table_numeric(t, col);
	const char *name = fl_table_col_name(t, col);
	int64_t n = b->sp->n, m = 0, distinct = 0;
	int32_t nb, first = b->r->n_preds, npred;
	double edges[256]; /* bins <= 256 (checked by the caller) */
	char text[512], lo[40], hi[40];
	int rc, as_values;

	for (int64_t r = 0; r < n; r++)
		if (!isnan(x[r]))
			sorted[m++] = x[r];
	if (m == 0)
		return fl_predicates__note(b->r, o, "column '%.100s': every value is missing: skipped", name);
	sort_doubles(sorted, m, keys);
	for (int64_t i = 0; i < m && distinct <= o->bins; i++)
		if (i == 0 || sorted[i] != sorted[i - 1])
			edges[distinct < o->bins ? distinct : 0] = sorted[i] == 0 ? 0.0 : sorted[i], distinct++;
	if (distinct == 1 && m == n)
		return fl_predicates__note(b->r, o, "column '%.100s': constant: skipped", name);
	/* few values: one predicate per value; else bins with edges[0..nb) */
	as_values = distinct <= o->bins;
	nb = as_values ? (int32_t)distinct : quantile_edges(edges, sorted, m, o->bins) + 1;
	npred = nb + (m < n);
	memset(count, 0, (size_t)npred * sizeof *count);
	for (int64_t r = 0; r < n; r++) {
		int32_t k;
		if (isnan(x[r]))
			k = nb;
		else if (as_values)
			k = (int32_t)bound_index(edges, nb, x[r], 0);
		else
			k = (int32_t)bound_index(edges, nb - 1, x[r], 1); /* edges <= x */
		rowpred[r] = k;
		count[k]++;
	}
	for (int32_t k = 0; k < npred; k++) {
		double low = NAN, high = NAN;
		fl_predicate_op op = FL_PRED_RANGE;
		if (k == nb) {
			op = FL_PRED_MISSING;
			snprintf(text, sizeof text, "%s is missing", name);
		} else if (as_values) {
			op = FL_PRED_EQ;
			low = high = edges[k];
			fl_predicates__fmt(lo, sizeof lo, low);
			snprintf(text, sizeof text, "%s = %s", name, lo);
		} else {
			low = k ? edges[k - 1] : -INFINITY;
			high = k < nb - 1 ? edges[k] : INFINITY;
			fl_predicates__fmt(lo, sizeof lo, low);
			fl_predicates__fmt(hi, sizeof hi, high);
			if (nb == 1)
				snprintf(text, sizeof text, "%s is not missing", name);
			else if (k == 0)
				snprintf(text, sizeof text, "%s < %s", name, hi);
			else if (k == nb - 1)
				snprintf(text, sizeof text, "%s >= %s", name, lo);
			else
				snprintf(text, sizeof text, "%s in [%s, %s)", name, lo, hi);
		}
		if ((rc = add_pred(b, col, op, -1, low, high, count[k], text)) != 0)
			return rc;
	}
	return fill_bits(b, col, first, npred, rowpred, active);
}

void fl_predicates__space_free(fl_pred_space *sp)
{
	if (!sp)
		return;
	free(sp->bits);
	free(sp->column);
	free(sp->pred);
	memset(sp, 0, sizeof *sp);
}

int fl_predicates__build(fl_predicate_result *r, fl_pred_space *sp, const fl_table *t,
			 const fl_predicate_opts *o, int64_t min_support)
{
	int64_t n = fl_table_rows(t), cols = fl_table_cols(t), maxlev = 257, rest = 0, last = 0;
	int32_t used = 0;
	builder b = {r, sp, 0, 0, min_support};
	unsigned char *skip = NULL;
	int32_t *rowpred = NULL, *local = NULL;
	int64_t *count = NULL;
	double *sorted = NULL;
	uint64_t *keys = NULL;
	locale_t c_locale, old = (locale_t)0;
	int rc = 0;

	memset(sp, 0, sizeof *sp);
	sp->n = n;
	sp->words = (n + 63) / 64;
	for (int64_t c = 0; c < cols; c++)
		if (fl_table_col_type(t, c) != FL_COL_NUMERIC && fl_table_nlevels(t, c) <= o->max_levels_per_column)
			maxlev = fl_table_nlevels(t, c) + 1 > maxlev ? fl_table_nlevels(t, c) + 1 : maxlev;
	skip = fl__calloc((size_t)cols + 1, 1, "skipped columns");
	rowpred = fl__malloc((size_t)n * sizeof *rowpred, "predicate of each row");
	sorted = fl__malloc((size_t)n * sizeof *sorted, "sorted column");
	keys = fl__malloc(2 * (size_t)n * sizeof *keys, "sorted column");
	count = fl__malloc((size_t)maxlev * sizeof *count, "predicate sizes");
	local = fl__malloc((size_t)maxlev * sizeof *local, "predicate sizes");
	if (!skip || !rowpred || !sorted || !keys || !count || !local) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int32_t k = 0; k < o->n_skip; k++)
		skip[o->skip_cols[k]] = 1;
	/* numbers are parsed and printed in the C locale, for this thread only */
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (c_locale)
		old = uselocale(c_locale);
	/* wide tables: the first max_columns columns that give predicates are
	 * searched, the columns after them are not even read */
	for (int64_t c = 0; c < cols && rc == 0; c++) {
		int32_t before = r->n_preds;

		if (skip[c])
			continue;
		if (used == o->max_columns) {
			rest++;
			continue;
		}
		if (fl_table_col_type(t, c) == FL_COL_NUMERIC)
			rc = numeric_column(&b, t, c, o, rowpred, sorted, keys, count, local);
		else
			rc = categorical_column(&b, t, c, o, rowpred, count, local);
		used += r->n_preds > before;
		last = c;
	}
	if (c_locale) {
		uselocale(old);
		freelocale(c_locale);
	}
	if (rc == 0 && rest > 0)
		rc = fl_predicates__note(r, o, "%lld columns not searched: the search uses the first %d "
					 "columns that give predicates (max_columns), here the columns up "
					 "to '%.100s' (column %lld of %lld); put the columns to search "
					 "first, or pass fewer", (long long)rest, o->max_columns,
					 fl_table_col_name(t, last), (long long)last + 1, (long long)cols);
cleanup:
	free(skip);
	free(rowpred);
	free(sorted);
	free(keys);
	free(count);
	free(local);
	return rc;
}
