/*
 * Predicates from a metadata table (rules in faultline/predicates.h):
 * categorical and boolean values, the missing cell, in the rich language
 * the prefix sets of each column's values in failure order and the
 * negation of each value, and equal-frequency bins of numeric columns cut
 * at observed values (Fayyad & Irani's boundary points, IJCAI 1993: a cut
 * between two adjacent observed values, never in an empty gap). Produces
 * the predicate list of the result and one bitset per usable predicate for
 * the search. SliceLine (Sagadeeva & Boehm, SIGMOD 2021) expects its input
 * already binned and one-hot encoded; this file is that encoding, done
 * once (sets and negations are overlapping columns of the same encoding).
 */
#include "predicates_internal.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Significant digits of the shortest decimal that reads back as x. */
static int shortest_digits(double x)
{
	char buf[40];
	int p;

	for (p = 1; p < 17; p++) {
		snprintf(buf, sizeof buf, "%.*e", p - 1, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	return p;
}

/* The text of cut c (an observed value, finite), below < c the largest
 * value under it: c itself when it reads in at most TEXT_DIGITS
 * significant digits ("25.7", "9300.5": never a round number inside the
 * empty gap below c); else c cut down to the fewest digits, at least
 * TEXT_DIGITS, that stay above `below` ("0.533482" for 0.53348217...),
 * so the number read puts every observed value on the side c puts it. */
#define TEXT_DIGITS 6

static void cut_text(char *buf, size_t len, double below, double c)
{
	char tmp[48];

	if (shortest_digits(c) > TEXT_DIGITS)
		for (int p = TEXT_DIGITS; p < 17; p++) {
			double v;
			snprintf(tmp, sizeof tmp, "%.*e", p - 1, c);
			v = strtod(tmp, NULL);
			if (v > c) { /* rounded up: one unit of the last digit down */
				const char *e = strchr(tmp, 'e');
				double step = pow(10, (e ? atoi(e + 1) : 0) - (p - 1));
				snprintf(tmp, sizeof tmp, "%.*e", p - 1, v - step);
				v = strtod(tmp, NULL);
			}
			if (v > below && v <= c) {
				fl_predicates__fmt(buf, len, v == 0 ? 0.0 : v);
				return;
			}
		}
	fl_predicates__fmt(buf, len, c == 0 ? 0.0 : c); /* "0", never "-0" */
}

/* Sort m doubles (no NaN) ascending: LSD radix sort on their bits mapped
 * to order-preserving unsigned keys, 8 bits a pass, passes where every key
 * has the same byte skipped. tmp holds 2 m keys. (qsort was most of the
 * search's time on tables like Adult.) */
static void sort_doubles(double *x, int64_t m, uint64_t *tmp)
{
	uint64_t *a = tmp, *b = tmp + m;
	int64_t counts[8][256] = {{0}};

	/* the keys, and the counts of each byte of them, in one pass */
	for (int64_t i = 0; i < m; i++) {
		uint64_t u;
		memcpy(&u, &x[i], sizeof u);
		a[i] = u >> 63 ? ~u : u | 0x8000000000000000ULL;
		for (int d = 0; d < 8; d++)
			counts[d][(a[i] >> (8 * d)) & 255]++;
	}
	for (int shift = 0; shift < 64; shift += 8) {
		int64_t *count = counts[shift / 8];

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

/* bound_index(s, m, v, upper) for m >= 1 and v not NaN, without a branch
 * on the comparisons (each row's bin: the rows' values come in any order) */
static int64_t bound_index_flat(const double *s, int64_t m, double v, int upper)
{
	const double *b = s;

	while (m > 1) {
		int64_t half = m / 2;

		b += half * (int64_t)(upper ? b[half - 1] <= v : b[half - 1] < v);
		m -= half;
	}
	return (b - s) + (upper ? *b <= v : *b < v);
}

/* The position in (lo, hi) of the widest gap between neighbours of sorted
 * s, when it is at least GAP_SHARE of the finite range; else pos. */
#define GAP_SHARE 0.05
static int64_t widest_gap(const double *s, int64_t m, int64_t pos, int64_t lo, int64_t hi)
{
	double range = isfinite(s[0]) && isfinite(s[m - 1]) ? s[m - 1] - s[0] : 0, best = 0;
	int64_t at = pos;

	lo = lo < 1 ? 1 : lo;
	hi = hi > m - 1 ? m - 1 : hi;
	for (int64_t q = lo; q <= hi && range > 0; q++)
		if (s[q] - s[q - 1] > best) {
			best = s[q] - s[q - 1];
			at = q;
		}
	return best >= GAP_SHARE * range ? at : pos;
}

/* Equal-frequency cuts of sorted s[0, m): for j = 1..bins-1 the cut at
 * round(j m / bins), moved to the widest gap between observed values
 * within half a bin of it when that gap is wide (widest_gap: a cut
 * between two groups of values, as in `rotation >= 45` when nothing lies
 * between 8 and 45, rather than inside one), else to the nearer end of a
 * run of ties it falls in (never to 0 or m); duplicates and cuts below
 * +inf values dropped. cuts[k] = the observed value above cut k, text[k]
 * its text. Returns the count. */
static int32_t quantile_cuts(double *cuts, char (*text)[40], const double *s, int64_t m, int32_t bins)
{
	int64_t prev = 0, half = m / (2 * (int64_t)bins);
	int32_t k = 0;

	for (int32_t j = 1; j < bins; j++) {
		int64_t pos = (int64_t)llround((double)j * (double)m / bins);
		if (pos <= 0 || pos >= m)
			continue;
		pos = widest_gap(s, m, pos, pos - half, pos + half);
		if (s[pos - 1] == s[pos]) {
			int64_t lo = bound_index(s, m, s[pos], 0), hi = bound_index(s, m, s[pos], 1);
			if (lo == 0 && hi == m)
				continue;
			pos = lo == 0 ? hi : hi == m ? lo : pos - lo < hi - pos ? lo : hi;
		}
		if (pos <= prev || !isfinite(s[pos]))
			continue;
		cuts[k] = s[pos] == 0 ? 0.0 : s[pos];
		cut_text(text[k], sizeof text[k], s[pos - 1], cuts[k]);
		k++;
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
	const double *failure;
	int32_t group;   /* the search's column of the predicates being added */
	fl_pred_cuts *cuts;
} builder;

/* codes: FL_PRED_IN_SET's n_codes level codes (copied), else NULL */
static int add_pred(builder *b, int64_t col, fl_predicate_op op, int32_t code, double low,
		    double high, int64_t size, const char *text, const int32_t *codes, int32_t n_codes)
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
	*p = (fl_predicate){col, op, code, low, high, size, NULL, 0, NULL};
	if (!(p->text = fl__malloc(len, "predicate text")))
		return FL_ENOMEM;
	memcpy(p->text, text, len);
	r->n_preds++;
	if (codes) {
		if (!(p->codes = fl__malloc((size_t)n_codes * sizeof *p->codes, "predicate values")))
			return FL_ENOMEM;
		memcpy(p->codes, codes, (size_t)n_codes * sizeof *p->codes);
		p->n_codes = n_codes;
	}
	return 0;
}

/* Give predicate `pred` a bitset (cleared) when it is usable; *active =
 * its index in the space, or -1. */
static int add_active(builder *b, int32_t pred, int32_t *active)
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
	sp->column[*active] = b->group;
	sp->pred[*active] = pred;
	memset(sp->bits + (size_t)*active * (size_t)sp->words, 0, (size_t)sp->words * sizeof(uint64_t));
	return 0;
}

static void set_bit(builder *b, int32_t a, int64_t r)
{
	b->sp->bits[(size_t)a * (size_t)b->sp->words + (size_t)(r >> 6)] |= 1ULL << (r & 63);
}

/* With rowpred[r] = the column's local predicate of row r (0..npred-1, or
 * -1 for none), the predicates first..first+npred-1 already listed with
 * their sizes: set the bits of the usable ones. */
static int fill_bits(builder *b, int32_t first, int32_t npred, const int32_t *rowpred, int32_t *active)
{
	int rc;

	for (int32_t k = 0; k < npred; k++)
		if ((rc = add_active(b, first + k, &active[k])) != 0)
			return rc;
	for (int64_t r = 0; r < b->sp->n; r++) {
		int32_t a = rowpred[r] >= 0 ? active[rowpred[r]] : -1;
		if (a >= 0)
			set_bit(b, a, r);
	}
	return 0;
}

/* One more predicate of a categorical column holding the rows whose code
 * is among those with in[code] set (missing never): a set or a negation. */
static int add_union(builder *b, int64_t col, fl_predicate_op op, int32_t code, const int32_t *set,
		     int32_t n_set, const unsigned char *in, int32_t nlev, const int64_t *count,
		     const int32_t *codes, const char *text)
{
	int64_t size = 0;
	int32_t a;
	int rc;

	for (int32_t c = 0; c < nlev; c++)
		size += in[c] ? count[c] : 0;
	if ((rc = add_pred(b, col, op, code, NAN, NAN, size, text, op == FL_PRED_IN_SET ? set : NULL,
			   op == FL_PRED_IN_SET ? n_set : 0)) != 0 ||
	    (rc = add_active(b, b->r->n_preds - 1, &a)) != 0 || a < 0)
		return rc;
	/* a word of 64 rows at a time, without a branch on the rows' values */
	uint64_t *bits = b->sp->bits + (size_t)a * (size_t)b->sp->words;
	for (int64_t w = 0; w < b->sp->words; w++) {
		int64_t r0 = w * 64, r1 = r0 + 64 < b->sp->n ? r0 + 64 : b->sp->n;
		uint64_t word = 0;

		for (int64_t r = r0; r < r1; r++)
			word |= (uint64_t)((codes[r] >= 0) & in[codes[r] < 0 ? 0 : codes[r]]) << (r - r0);
		bits[w] = word;
	}
	return 0;
}

/* Scratch shared by the columns, sized for the largest. */
typedef struct {
	int32_t *rowpred, *local;
	int64_t *count;
	double *sorted, *fsum;
	uint64_t *keys;
	fl_f64_row *order;
	unsigned char *in;
	int32_t *set;
} scratch;

/* The rich language's sets and negations of a categorical column whose
 * values present are the codes with count > 0 (nv of them, nv >= 3).
 * Only values holding min_support rows or more take part: a set that adds
 * a rarer value, or a negation that takes one away, changes fewer rows
 * than the smallest slice holds (and such near copies of `= v` and of
 * "not missing" would multiply the joins of every level). */
static int sets_and_negations(builder *b, const fl_table *t, int64_t col, const fl_predicate_opts *o,
			      const scratch *w, int32_t nlev, int32_t nv)
{
	const int32_t *codes = fl_table_codes(t, col);
	const char *name = fl_table_col_name(t, col);
	int32_t nf = 0, most;
	fl_strbuf text = {0};
	char *txt;
	int rc = 0;

	if (nlev < 3)
		return 0;
	/* the values of min_support rows or more, highest failure rate first,
	 * ties in level order */
	for (int32_t c = 0; c < nlev; c++)
		if (w->count[c] && w->count[c] >= b->min_support)
			w->order[nf++] = (fl_f64_row){-(w->fsum[c] / (double)w->count[c]), c};
	qsort(w->order, (size_t)nf, sizeof *w->order, fl__cmp_f64_row);
	for (int32_t k = 0; k < nf; k++)
		w->set[k] = (int32_t)w->order[k].row;
	/* sets of 2..max_set of them, never all values present but one: that
	 * set is the negation of the one left out, which reads simpler */
	most = nf - (nf == nv ? 2 : 1) < o->max_set ? nf - (nf == nv ? 2 : 1) : o->max_set;
	memset(w->in, 0, (size_t)nlev);
	for (int32_t k = 0; k < most && rc == 0; k++) {
		w->in[w->set[k]] = 1;
		if (k == 0)
			continue;
		fl__sb_printf(&text, "%s in {", name);
		for (int32_t j = 0; j <= k; j++)
			fl__sb_printf(&text, "%s%s", j ? ", " : "", fl_table_level(t, col, w->set[j]));
		fl__sb_printf(&text, "}");
		if (!(txt = fl__sb_finish(&text, "predicate text")))
			return FL_ENOMEM;
		rc = add_union(b, col, FL_PRED_IN_SET, -1, w->set, k + 1, w->in, nlev, w->count, codes, txt);
		free(txt);
		memset(&text, 0, sizeof text);
	}
	/* `!= v`: every value present but v */
	for (int32_t c = 0; c < nlev && rc == 0; c++) {
		if (!w->count[c] || w->count[c] < b->min_support)
			continue;
		for (int32_t d = 0; d < nlev; d++)
			w->in[d] = d != c && w->count[d] > 0;
		fl__sb_printf(&text, "%s != %s", name, fl_table_level(t, col, c));
		if (!(txt = fl__sb_finish(&text, "predicate text")))
			return FL_ENOMEM;
		rc = add_union(b, col, FL_PRED_NE, c, NULL, 0, w->in, nlev, w->count, codes, txt);
		free(txt);
		memset(&text, 0, sizeof text);
	}
	return rc;
}

static int categorical_column(builder *b, const fl_table *t, int64_t col, const fl_predicate_opts *o,
			      const scratch *w)
{
	const int32_t *codes = fl_table_codes(t, col);
	const char *name = fl_table_col_name(t, col);
	int32_t nlev = fl_table_nlevels(t, col), npred = 0, first = b->r->n_preds, nv = 0;
	int64_t n = b->sp->n;
	char text[512];
	int rc;

	if (nlev > o->max_levels_per_column)
		return fl_predicates__note(b->r, o, "column '%.100s': %d distinct values (more than %d): "
					   "skipped", name, nlev, o->max_levels_per_column);
	memset(w->count, 0, (size_t)(nlev + 1) * sizeof *w->count);
	memset(w->fsum, 0, (size_t)(nlev + 1) * sizeof *w->fsum);
	for (int64_t r = 0; r < n; r++) {
		int32_t c = codes[r] < 0 ? nlev : codes[r];
		w->count[c]++;
		w->fsum[c] += b->failure[r];
	}
	for (int32_t c = 0; c <= nlev; c++)
		if (w->count[c] == n)
			return fl_predicates__note(b->r, o, "column '%.100s': %s: skipped", name,
						   c == nlev ? "every value is missing" : "constant");
	for (int32_t c = 0; c <= nlev; c++) {
		w->local[c] = -1;
		if (!w->count[c])
			continue;
		nv += c < nlev;
		if (c < nlev)
			snprintf(text, sizeof text, "%s = %s", name, fl_table_level(t, col, c));
		else
			snprintf(text, sizeof text, "%s is missing", name);
		if ((rc = add_pred(b, col, c < nlev ? FL_PRED_EQ : FL_PRED_MISSING, c < nlev ? c : -1,
				   NAN, NAN, w->count[c], text, NULL, 0)) != 0)
			return rc;
		w->local[c] = npred++;
	}
	for (int64_t r = 0; r < n; r++)
		w->rowpred[r] = w->local[codes[r] < 0 ? nlev : codes[r]];
	if ((rc = fill_bits(b, first, npred, w->rowpred, w->local)) != 0)
		return rc;
	if (o->language == FL_PRED_LANG_RICH && nv >= 3)
		rc = sets_and_negations(b, t, col, o, w, nlev, nv);
	return rc;
}

/* The distinct values of sorted s[0, m) into v, when there are at most
 * `most` of them; returns their count, or most + 1 when there are more. */
static int64_t distinct_values(double *v, const double *s, int64_t m, int32_t most)
{
	int64_t d = 0;

	for (int64_t i = 0; i < m && d <= most; i++)
		if (i == 0 || s[i] != s[i - 1]) {
			if (d < most)
				v[d] = s[i] == 0 ? 0.0 : s[i];
			d++;
		}
	return d;
}

/* The bits of the thresholds of a column cut into nb bins (rowpred[r]: the
 * bin of row r, nb when missing): lt[q] and ge[q], the active index of
 * `< c_q` (bins 0..q) and `>= c_q` (bins q + 1..nb - 1), or -1. A word of 64
 * rows at a time: each bin's rows in the word, then their unions from
 * either end, one per threshold (the rows of a threshold: one pass over
 * the rows for all of them). */
static void threshold_bits(builder *b, const int32_t *rowpred, int32_t nb, const int32_t *lt,
			   const int32_t *ge)
{
	const fl_pred_space *sp = b->sp;
	uint64_t bin[256], below[256], above[257];
	int any = 0;

	for (int32_t q = 0; q < nb - 1; q++)
		any |= lt[q] >= 0 || ge[q] >= 0;
	for (int64_t w = 0; any && w < sp->words; w++) {
		int64_t r0 = w * 64, r1 = r0 + 64 < sp->n ? r0 + 64 : sp->n;

		memset(bin, 0, (size_t)nb * sizeof *bin);
		for (int64_t r = r0; r < r1; r++)
			if (rowpred[r] >= 0 && rowpred[r] < nb)
				bin[rowpred[r]] |= 1ULL << (r - r0);
		above[nb] = 0;
		for (int32_t k = 0; k < nb; k++)
			below[k] = (k ? below[k - 1] : 0) | bin[k];
		for (int32_t k = nb - 1; k >= 0; k--)
			above[k] = above[k + 1] | bin[k];
		for (int32_t q = 0; q < nb - 1; q++) {
			if (lt[q] >= 0)
				sp->bits[(size_t)lt[q] * (size_t)sp->words + (size_t)w] = below[q];
			if (ge[q] >= 0)
				sp->bits[(size_t)ge[q] * (size_t)sp->words + (size_t)w] = above[q + 1];
		}
	}
}

static int numeric_column(builder *b, const fl_table *t, int64_t col, const fl_predicate_opts *o,
			  const fl_table *cuts_from, const scratch *w)
{
	const double *x = fl_table_numeric(t, col), *src = fl_table_numeric(cuts_from, col);
	const char *name = fl_table_col_name(t, col);
	int64_t n = b->sp->n, m = 0, ms = 0;
	int32_t nb, first = b->r->n_preds, npred;
	fl_pred_cut own, *cc = &own; /* bins <= 256 (checked by the caller) */
	double *edges = cc->edges;
	char (*cut)[40], text[512], lo[40];
	int32_t lt[256], ge[256];
	int rc, as_values, constant = 1;

	if (b->cuts && b->cuts->table == cuts_from && b->cuts->bins == o->bins &&
	    col < b->cuts->cols)
		cc = &b->cuts->col[col];
	else
		own.done = 0;
	edges = cc->edges;
	cut = cc->cut;

	for (int64_t r = 0; r < n; r++)
		if (!isnan(x[r])) {
			constant &= m == 0 || x[r] == w->sorted[0];
			w->sorted[m++] = x[r];
		}
	if (m == 0)
		return fl_predicates__note(b->r, o, "column '%.100s': every value is missing: skipped", name);
	if (constant && m == n)
		return fl_predicates__note(b->r, o, "column '%.100s': constant: skipped", name);
	/* the values the cuts come from: these rows', or cut_table's (kept) */
	if (!cc->done) {
		int64_t distinct;

		if (src != x) {
			int64_t ns = fl_table_rows(cuts_from);
			for (int64_t r = 0; r < ns; r++)
				if (!isnan(src[r]))
					w->sorted[ms++] = src[r];
		} else {
			ms = m;
		}
		sort_doubles(w->sorted, ms, w->keys);
		distinct = distinct_values(edges, w->sorted, ms, o->bins);
		/* few values: one predicate per value; else bins with cuts edges[0..nb-1) */
		cc->as_values = distinct <= o->bins;
		cc->nb = cc->as_values ? (int32_t)distinct
				       : quantile_cuts(edges, cut, w->sorted, ms, o->bins) + 1;
		cc->done = 1;
	}
	as_values = cc->as_values;
	nb = cc->nb;
	npred = nb + (m < n);
	memset(w->count, 0, (size_t)npred * sizeof *w->count);
	for (int64_t r = 0; r < n; r++) {
		int32_t k;
		if (isnan(x[r]))
			k = nb;
		else if (as_values) { /* a value cut_table lacks is in no predicate */
			k = nb > 0 ? (int32_t)bound_index_flat(edges, nb, x[r], 0) : 0;
			k = k < nb && edges[k] == x[r] ? k : -1;
		} else /* cuts <= x */
			k = nb > 1 ? (int32_t)bound_index_flat(edges, nb - 1, x[r], 1) : 0;
		w->rowpred[r] = k;
		if (k >= 0)
			w->count[k]++;
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
			if (nb == 1)
				snprintf(text, sizeof text, "%s is not missing", name);
			else if (k == 0)
				snprintf(text, sizeof text, "%s < %.39s", name, cut[k]);
			else if (k == nb - 1)
				snprintf(text, sizeof text, "%s >= %.39s", name, cut[k - 1]);
			else
				snprintf(text, sizeof text, "%s in [%.39s, %.39s)", name, cut[k - 1], cut[k]);
		}
		if ((rc = add_pred(b, col, op, -1, low, high, w->count[k], text, NULL, 0)) != 0)
			return rc;
	}
	if ((rc = fill_bits(b, first, npred, w->rowpred, w->local)) != 0 || as_values ||
	    o->language != FL_PRED_LANG_RICH)
		return rc;
	/* the rich language's thresholds `< c` and `>= c` at every cut c (the
	 * first `< c` and the last `>= c` are bins already): a range of
	 * several bins is one predicate, as an expert says "age >= 60" */
	for (int32_t q = 0; q < nb - 1 && rc == 0; q++)
		for (int above = 0; above < 2 && rc == 0; above++) {
			int32_t from = above ? q + 1 : 0, to = above ? nb - 1 : q;
			int32_t *a = above ? &ge[q] : &lt[q];
			int64_t size = 0;

			*a = -1;
			if (above ? q == nb - 2 : q == 0)
				continue;
			for (int32_t k = from; k <= to; k++)
				size += w->count[k];
			snprintf(text, sizeof text, "%s %s %.39s", name, above ? ">=" : "<", cut[q]);
			if ((rc = add_pred(b, col, FL_PRED_RANGE, -1, above ? edges[q] : -INFINITY,
					   above ? INFINITY : edges[q], size, text, NULL, 0)) == 0)
				rc = add_active(b, b->r->n_preds - 1, a);
		}
	if (rc == 0)
		threshold_bits(b, w->rowpred, nb, lt, ge);
	return rc;
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

/* The derived column tagged `tag` of a table, or -1. */
static int64_t derived_col(const fl_table *t, const char *tag)
{
	for (int64_t c = 0; c < fl_table_cols(t); c++)
		if (fl_table_col_derived(t, c) && !strcmp(fl_table_col_derived(t, c), tag))
			return c;
	return -1;
}

int fl_predicates__build(fl_predicate_result *r, fl_pred_space *sp, const fl_table *t,
			 const double *failure, const fl_predicate_opts *o, int64_t min_support,
			 fl_pred_cuts *cuts)
{
	int rich = o->language == FL_PRED_LANG_RICH;
	const fl_table *cuts_from = rich && o->cut_table ? o->cut_table : t;
	int64_t n = fl_table_rows(t), cols = fl_table_cols(t), maxlev = 257, rest = 0, last = 0;
	int64_t rows = n > fl_table_rows(cuts_from) ? n : fl_table_rows(cuts_from), *order = NULL;
	int64_t label = derived_col(t, "label"), predicted = derived_col(t, "predicted"), k = 0;
	int32_t used = 0, numeric = 0;
	builder b = {r, sp, 0, 0, min_support, failure, 0, cuts};
	unsigned char *skip = NULL;
	scratch w = {0};
	locale_t c_locale, old = (locale_t)0;
	int rc = 0;

	memset(sp, 0, sizeof *sp);
	sp->n = n;
	sp->words = (n + 63) / 64;
	for (int64_t c = 0; c < cols; c++) {
		numeric |= fl_table_col_type(t, c) == FL_COL_NUMERIC;
		if (fl_table_col_type(t, c) != FL_COL_NUMERIC && fl_table_nlevels(t, c) <= o->max_levels_per_column)
			maxlev = fl_table_nlevels(t, c) + 1 > maxlev ? fl_table_nlevels(t, c) + 1 : maxlev;
	}
	/* a numeric column's sort (24 bytes a row of cut_table, 240 MB at 10M
	 * rows): only when there is one */
	rows = numeric ? rows : 0;
	skip = fl__calloc((size_t)cols + 1, 1, "skipped columns");
	order = fl__malloc(((size_t)cols + 1) * sizeof *order, "columns");
	w.rowpred = fl__malloc((size_t)(n ? n : 1) * sizeof *w.rowpred, "predicate of each row");
	w.sorted = fl__malloc((size_t)(rows ? rows : 1) * sizeof *w.sorted, "sorted column");
	w.keys = fl__malloc(2 * (size_t)(rows ? rows : 1) * sizeof *w.keys, "sorted column");
	w.count = fl__malloc((size_t)maxlev * sizeof *w.count, "predicate sizes");
	w.fsum = fl__malloc((size_t)maxlev * sizeof *w.fsum, "predicate sizes");
	w.local = fl__malloc((size_t)maxlev * sizeof *w.local, "predicate sizes");
	w.order = fl__malloc((size_t)maxlev * sizeof *w.order, "value order");
	w.in = fl__malloc((size_t)maxlev, "value sets");
	w.set = fl__malloc((size_t)maxlev * sizeof *w.set, "value sets");
	if (!skip || !order || !w.rowpred || !w.sorted || !w.keys || !w.count || !w.fsum ||
	    !w.local || !w.order || !w.in || !w.set) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int32_t j = 0; j < o->n_skip; j++)
		skip[o->skip_cols[j]] = 1;
	/* the derived columns first (their predicates win ties with a metadata
	 * column of the same rows), none in SliceLine's language */
	for (int64_t c = 0; c < cols; c++)
		if (fl_table_col_derived(t, c) && !skip[c] && rich)
			order[k++] = c;
	for (int64_t c = 0; c < cols; c++)
		if (!fl_table_col_derived(t, c) && !skip[c])
			order[k++] = c;
	/* numbers are parsed and printed in the C locale, for this thread only */
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (c_locale)
		old = uselocale(c_locale);
	/* wide tables: the first max_columns columns that give predicates are
	 * searched, the columns after them are not even read */
	for (int64_t j = 0; j < k && rc == 0; j++) {
		int64_t c = order[j];
		int32_t before = r->n_preds;

		if (used == o->max_columns) {
			rest++;
			continue;
		}
		/* one predicate per column in a slice; label and predicted count
		 * as one column unless both may meet */
		b.group = (int32_t)(c == predicted && label >= 0 && !o->label_with_predicted ? label : c);
		if (fl_table_col_type(t, c) == FL_COL_NUMERIC)
			rc = numeric_column(&b, t, c, o, cuts_from, &w);
		else
			rc = categorical_column(&b, t, c, o, &w);
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
	free(order);
	free(w.rowpred);
	free(w.sorted);
	free(w.keys);
	free(w.count);
	free(w.fsum);
	free(w.local);
	free(w.order);
	free(w.in);
	free(w.set);
	return rc;
}

/* Whether p holds a value x of its numeric column, or code of its
 * categorical column (fl_predicate_match and fl_predicates__keep). */
static inline int holds_number(const fl_predicate *p, double x)
{
	switch (p->op) {
	case FL_PRED_MISSING: return isnan(x);
	case FL_PRED_EQ: return x == p->low;
	/* an infinite bound is an open end: +inf rows are in the last bin */
	case FL_PRED_RANGE: return !isnan(x) && x >= p->low && (x < p->high || p->high == INFINITY);
	case FL_PRED_IN_SET:
	case FL_PRED_NE: break; /* categorical predicates */
	}
	return 0;
}

static inline int holds_code(const fl_predicate *p, int32_t code)
{
	switch (p->op) {
	case FL_PRED_MISSING: return code < 0;
	case FL_PRED_EQ: return code == p->code;
	case FL_PRED_NE: return code >= 0 && code != p->code;
	case FL_PRED_IN_SET:
		for (int32_t k = 0; code >= 0 && k < p->n_codes; k++)
			if (code == p->codes[k])
				return 1;
		return 0;
	case FL_PRED_RANGE: break;
	}
	return 0;
}

int fl_predicate_match(const fl_predicate *p, const fl_table *t, int64_t row)
{
	if (!p || !t || row < 0 || row >= fl_table_rows(t) || p->column < 0 || p->column >= fl_table_cols(t))
		return 0;
	if (fl_table_col_type(t, p->column) == FL_COL_NUMERIC)
		return holds_number(p, fl_table_numeric(t, p->column)[row]);
	return holds_code(p, fl_table_codes(t, p->column)[row]);
}

/* bits &= the rows where `holds` (an expression of row), each set bit
 * tested without a branch on the outcome */
#define KEEP_WHERE(holds)                                                            \
	for (int64_t w = 0; w < words; w++) {                                        \
		uint64_t keep = 0;                                                   \
		for (uint64_t b = bits[w]; b; b &= b - 1) {                          \
			int bit = __builtin_ctzll(b);                                \
			int64_t row = w * 64 + bit;                                  \
			keep |= (uint64_t)(row < n && (holds)) << bit;               \
		}                                                                    \
		bits[w] = keep;                                                      \
	}

void fl_predicates__keep(uint64_t *bits, int64_t words, const fl_predicate *p, const fl_table *t)
{
	int64_t n = fl_table_rows(t);
	const double *x;
	const int32_t *codes;
	double lo = p->low, hi = p->high;
	int32_t c = p->code, open = p->high == INFINITY;

	if (p->column < 0 || p->column >= fl_table_cols(t)) {
		memset(bits, 0, (size_t)words * sizeof *bits);
		return;
	}
	/* holds_number and holds_code, the operator chosen once */
	if (fl_table_col_type(t, p->column) == FL_COL_NUMERIC) {
		x = fl_table_numeric(t, p->column);
		if (p->op == FL_PRED_MISSING)
			KEEP_WHERE(isnan(x[row]))
		else if (p->op == FL_PRED_EQ)
			KEEP_WHERE(x[row] == lo)
		else if (p->op == FL_PRED_RANGE) /* NaN is not >= lo */
			KEEP_WHERE((x[row] >= lo) & ((x[row] < hi) | open))
		else
			memset(bits, 0, (size_t)words * sizeof *bits);
		return;
	}
	codes = fl_table_codes(t, p->column);
	if (p->op == FL_PRED_MISSING)
		KEEP_WHERE(codes[row] < 0)
	else if (p->op == FL_PRED_EQ)
		KEEP_WHERE(codes[row] == c)
	else if (p->op == FL_PRED_NE)
		KEEP_WHERE((codes[row] >= 0) & (codes[row] != c))
	else
		KEEP_WHERE(holds_code(p, codes[row]))
}
#undef KEEP_WHERE

int fl_predicates__rows(int64_t **out, int64_t *n_out, const fl_predicate *const *p, int32_t n,
			const fl_table *t)
{
	int64_t rows_n = fl_table_rows(t), words = (rows_n + 63) / 64, m = 0, *rows = NULL;
	uint64_t *bits;

	*out = NULL;
	*n_out = 0;
	if (!(bits = fl__malloc((size_t)(words ? words : 1) * sizeof *bits, "slice rows")))
		return FL_ENOMEM;
	/* every row, narrowed by each predicate in turn (fl_predicate_match) */
	for (int64_t w = 0; w < words; w++)
		bits[w] = w < rows_n / 64 ? ~0ULL : (1ULL << (rows_n % 64)) - 1;
	for (int32_t k = 0; k < n; k++) {
		if (p[k])
			fl_predicates__keep(bits, words, p[k], t);
		else
			memset(bits, 0, (size_t)words * sizeof *bits);
	}
	for (int64_t w = 0; w < words; w++)
		m += __builtin_popcountll(bits[w]);
	if (m > 0 && !(rows = fl__malloc((size_t)m * sizeof *rows, "slice rows"))) {
		free(bits);
		return FL_ENOMEM;
	}
	m = 0;
	for (int64_t w = 0; rows && w < words; w++)
		for (uint64_t b = bits[w]; b; b &= b - 1)
			rows[m++] = w * 64 + __builtin_ctzll(b);
	free(bits);
	*out = rows;
	*n_out = m;
	return 0;
}
