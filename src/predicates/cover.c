/*
 * The rich language's candidates: weighted covering over predicate
 * searches (CN2-SD with weight 0: Lavrac, Kavsek, Flach, Todorovski, JMLR
 * 5, 2004), each result generalised while the generalisation holds the
 * same cause (a refinement must beat its generalisations: Lemmerich,
 * Becker, Puppe, ECML PKDD 2013).
 *
 * SliceLine's top-K holds one cause many times: the strongest with every
 * conjunct that removes a few rows ("rotation >= 45 AND batch != b3",
 * "... AND form != C"), and no second cause before hundreds of copies of
 * the first. So the search runs again and again:
 *
 *   1. search the rows no earlier candidate holds (SliceLine's exact top
 *      SEARCH_TOP; the cuts of the whole table every time);
 *   2. generalise the first GENERALISE results that name a property of
 *      the rows (names_rows(): not the predicted class alone, nor a set of
 *      true classes alone, nor either with filler; when none of the top
 *      does, the searches from then on leave out `predicted`, then sets):
 *      drop a predicate, widen a range by one bin or open it, add a value
 *      to `column = v` or to a set (at most SET_MOST values; never on
 *      `predicted`, nor on `label` alone: may_grow()). A step is allowed
 *      when the rows A it adds to the slice S fail like S
 *      (same_cause()): rate(A) - rate(rest) >= KEEP x (rate(S) -
 *      rate(rest)) with A clear of the rest; for a dropped conjunct
 *      KEEP_DROP, or whenever rate(S) - rate(A) has an interval reaching 0
 *      at 95% after Bonferroni over the predicates (a conjunct the data
 *      cannot tell from chance). Of the allowed steps the one of largest
 *      gain is taken, until none is left;
 *   3. the result of largest gain, |S| x the lower end of the 95% interval
 *      of rate(S) - rate(rest) (fl__excess_lcb) among the rows searched,
 *      is the next candidate (pick(): not one that is another result and
 *      filler), and its rows leave the search;
 *
 * until `top` candidates, no positive gain, a best whose gain is not
 * positive at 95% after Bonferroni over the predicates (the search picked
 * it as the best of many), or fewer rows than two of the smallest slices.
 * The candidates come in that order, each measured on every row of the
 * table; one goes when fewer than half of its rows were searched (a union
 * of earlier ones) or its interval does not clear the overall rate.
 */
#include "candidate/candidate_internal.h"
#include "predicates_internal.h"
#include "stats/stats_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEARCH_TOP 24 /* SliceLine's top-K of each search */
#define GENERALISE 8  /* results of a search generalised */
#define KEEP 0.6      /* added rows failing at least this share as much: the same cause */
#define KEEP_DROP 0.4 /* the same for the rows a dropped conjunct adds (as causes.c's rules) */
#define SET_MOST 3    /* most values in a set made by generalising */
#define SET_TRY 8     /* values tried for adding to a value or set */
#define WIDEN_MOST (4 + SET_TRY) /* generalisations of one predicate */
#define MAX_STEPS 64  /* generalising steps per result */

/* A conjunction of predicates, each owned (text and codes copied). */
typedef struct {
	fl_predicate *p;
	int32_t n;
} rule;

/* The rows, the failure and the rows still searched. */
typedef struct {
	const fl_table *t;
	int64_t n, words;
	const double *f;       /* failure / 2^e */
	const uint64_t *fbits; /* failure == 1 rows of a binary signal, else NULL */
	uint64_t *scope;       /* rows still searched */
	uint64_t *one, *acc, *sub, *rest; /* scratch */
	fl__sums all;          /* of the scope */
	double z_drop;         /* a conjunct's bar: 95% after Bonferroni over the predicates */
} space;

static void pred_free(fl_predicate *p)
{
	free(p->text);
	free(p->codes);
	p->text = NULL;
	p->codes = NULL;
}

static int pred_copy(fl_predicate *d, const fl_predicate *s)
{
	size_t len = strlen(s->text) + 1;

	*d = *s;
	d->text = fl__malloc(len, "predicate text");
	d->codes = s->n_codes ? fl__malloc((size_t)s->n_codes * sizeof *d->codes, "predicate values")
			      : NULL;
	if (!d->text || (s->n_codes && !d->codes)) {
		pred_free(d);
		return FL_ENOMEM;
	}
	memcpy(d->text, s->text, len);
	if (s->n_codes)
		memcpy(d->codes, s->codes, (size_t)s->n_codes * sizeof *d->codes);
	return 0;
}

static void rule_free(rule *u)
{
	for (int32_t k = 0; u->p && k < u->n; k++)
		pred_free(&u->p[k]);
	free(u->p);
	u->p = NULL;
	u->n = 0;
}

/* out = the rows of u within the scope, predicate `drop` left out (none
 * when drop < 0). */
static void rule_bits(uint64_t *out, const rule *u, int32_t drop, const space *sp)
{
	memcpy(out, sp->scope, (size_t)sp->words * sizeof *out);
	for (int32_t k = 0; k < u->n; k++)
		if (k != drop)
			fl_predicates__keep(out, sp->words, &u->p[k], sp->t);
}

static fl__sums sums_of(const uint64_t *bits, const space *sp)
{
	fl__sums a = {0, 0, 0};

	for (int64_t w = 0; w < sp->words; w++) {
		if (sp->fbits) {
			double k = (double)__builtin_popcountll(bits[w] & sp->fbits[w]);

			a.n += (double)__builtin_popcountll(bits[w]);
			a.s += k;
			a.ss += k;
			continue;
		}
		for (uint64_t b = bits[w]; b; b &= b - 1)
			fl__sums_add(&a, sp->f[w * 64 + __builtin_ctzll(b)]);
	}
	return a;
}

static double rate(const fl__sums *a)
{
	return a->n > 0 ? a->s / a->n : 0;
}

/* May S (sums s) grow into G (sums g, S within G)? The rows A = G \ S
 * must fail like S: rate(A) - rate(rest) >= KEEP x (rate(S) - rate(rest)).
 * A conjunct dropped must in addition have earned its place: when rate(S)
 * - rate(A) has a 95% interval reaching 0, it goes whatever the rates (the
 * simpler words win); Bonferroni over the predicates the search could
 * have joined instead, since the search picked the conjunct that looked
 * best. A value or bin added must be clearly failing: rate(A)
 * - rate(rest) clear of 0. */
static int same_cause(const fl__sums *s, const fl__sums *g, const space *sp, int drop)
{
	fl__sums a = {g->n - s->n, g->s - s->s, g->ss - s->ss};
	fl__sums rest = {sp->all.n - g->n, sp->all.s - g->s, sp->all.ss - g->ss};
	fl__sums a_rest = {a.n + rest.n, a.s + rest.s, a.ss + rest.ss};
	int binary = sp->fbits != NULL;

	if (a.n < 1)
		return 1;
	if (drop && fl__excess_lower(s, g, binary, sp->z_drop) <= 0)
		return 1;
	return rate(&a) - rate(&rest) >= (drop ? KEEP_DROP : KEEP) * (rate(s) - rate(&rest)) &&
	       (drop || fl__excess_lcb(&a, &a_rest, binary) > 0);
}

/* The text of a bound in a bin's text "<name> < H", "<name> >= L" or
 * "<name> in [L, H)": its low end (high 0) or high end; NULL if it has none. */
static const char *bound_text(const char *text, size_t name_len, int high, int *len)
{
	const char *s = text + name_len, *e;

	if (!strncmp(s, " in [", 5)) {
		s += 5;
		e = strstr(s, ", ");
		if (!e)
			return NULL;
		if (high) {
			s = e + 2;
			e = s + strlen(s) - 1; /* the ')' */
		}
	} else if (!strncmp(s, " < ", 3) && high) {
		s += 3;
		e = s + strlen(s);
	} else if (!strncmp(s, " >= ", 4) && !high) {
		s += 4;
		e = s + strlen(s);
	} else {
		return NULL;
	}
	*len = (int)(e - s);
	return s;
}

/* The range of column p->column from the bin of r starting at `low` to the
 * bin ending at `high` (+-inf: open), as a predicate in *q (owned); 1 when
 * r has no such bin. */
static int make_range(fl_predicate *q, const fl_predicate *p, double low, double high,
		      const fl_predicate_result *r, const fl_table *t)
{
	const char *name = fl_table_col_name(t, p->column), *lt = NULL, *ht = NULL;
	size_t nl = strlen(name);
	int ll = 0, hl = 0;
	fl_strbuf b = {0};

	for (int32_t k = 0; k < r->n_preds; k++) {
		const fl_predicate *x = &r->preds[k];

		if (x->column != p->column || x->op != FL_PRED_RANGE)
			continue;
		if (x->low == low && isfinite(low))
			lt = bound_text(x->text, nl, 0, &ll);
		if (x->high == high && isfinite(high))
			ht = bound_text(x->text, nl, 1, &hl);
	}
	if ((isfinite(low) && !lt) || (isfinite(high) && !ht))
		return 1;
	if (!lt)
		fl__sb_printf(&b, "%s < %.*s", name, hl, ht);
	else if (!ht)
		fl__sb_printf(&b, "%s >= %.*s", name, ll, lt);
	else
		fl__sb_printf(&b, "%s in [%.*s, %.*s)", name, ll, lt, hl, ht);
	*q = *p;
	q->low = low;
	q->high = high;
	q->codes = NULL;
	q->n_codes = 0;
	q->text = fl__sb_finish(&b, "predicate text");
	return q->text ? 0 : FL_ENOMEM;
}

/* `column in {...}` from p (`= v` or a set) with code c added, its codes
 * highest failure rate first (rates: per level code, among the rows searched). */
static int make_set(fl_predicate *q, const fl_predicate *p, int32_t c, const fl__sums *lv,
		    const fl_table *t)
{
	int32_t n = p->op == FL_PRED_IN_SET ? p->n_codes : 1, *set;
	fl_strbuf b = {0};

	if (!(set = fl__malloc((size_t)(n + 1) * sizeof *set, "predicate values")))
		return FL_ENOMEM;
	for (int32_t k = 0; k < n; k++)
		set[k] = p->op == FL_PRED_IN_SET ? p->codes[k] : p->code;
	set[n] = c;
	for (int32_t k = 1; k <= n; k++) /* insertion sort: highest rate first, ties by code */
		for (int32_t j = k; j > 0 && (rate(&lv[set[j]]) > rate(&lv[set[j - 1]]) ||
					      (rate(&lv[set[j]]) == rate(&lv[set[j - 1]]) &&
					       set[j] < set[j - 1]));
		     j--) {
			int32_t tc = set[j];

			set[j] = set[j - 1];
			set[j - 1] = tc;
		}
	fl__sb_printf(&b, "%s in {", fl_table_col_name(t, p->column));
	for (int32_t k = 0; k <= n; k++)
		fl__sb_printf(&b, "%s%s", k ? ", " : "", fl_table_level(t, p->column, set[k]));
	fl__sb_printf(&b, "%s", "}");
	*q = *p;
	q->op = FL_PRED_IN_SET;
	q->code = -1;
	q->codes = set;
	q->n_codes = n + 1;
	q->text = fl__sb_finish(&b, "predicate text");
	if (!q->text) {
		free(set);
		q->codes = NULL;
		return FL_ENOMEM;
	}
	return 0;
}

/* Is code c one of p's values? */
static int holds_code(const fl_predicate *p, int32_t c)
{
	if (p->op == FL_PRED_EQ)
		return c == p->code;
	for (int32_t k = 0; k < p->n_codes; k++)
		if (p->codes[k] == c)
			return 1;
	return 0;
}

/* Is column c the derived column `what` ("label", "predicted")? */
static int derived(const fl_table *t, int64_t c, const char *what)
{
	const char *d = fl_table_col_derived(t, c);

	return d && !strcmp(d, what);
}

/* May a value or set of column c, in a rule of n predicates, grow? Not on
 * the predicted class: a set of predicted classes is a union of
 * confusions, not one cause. Nor on the true class alone: classes failing
 * alike with no condition in common are as many causes ("ones fail" and
 * "sevens fail"); with one (`label in {4, 6} AND contrast < 0.8`) they
 * share it. */
static int may_grow(const fl_table *t, int64_t c, int32_t n)
{
	return !derived(t, c, "predicted") && (!derived(t, c, "label") || n > 1);
}

/* Does rule u, without its predicate `skip` (-1: none; its rows sum to
 * *us), name a property of the rows? The predicted class is where failures
 * of any cause land (a column of the confusion matrix): its rule would
 * head as one cause every failure landing there, and a conjunct holding
 * most rows, or another cause's, would not make it one. So the rule's
 * predicates on anything else must select rows that fail like it on their
 * own, KEEP_DROP of its excess rate over the rest (the predicted class
 * narrows a cause: `predicted = 1 AND camera = A`). Nor does a set of true
 * classes alone (may_grow()). */
static int names_rows(const rule *u, int32_t skip, const fl__sums *us, const space *sp)
{
	int32_t other = 0, predicted = 0, classes = 0;

	for (int32_t k = 0; k < u->n; k++)
		if (k != skip) {
			int pr = derived(sp->t, u->p[k].column, "predicted");

			predicted += pr;
			other += !pr;
			classes += derived(sp->t, u->p[k].column, "label") &&
				   u->p[k].op == FL_PRED_IN_SET;
		}
	if (other == 1 && classes == 1) /* true classes alone, as many causes (may_grow) */
		return 0;
	if (!other || !predicted)
		return other > 0;
	memcpy(sp->sub, sp->scope, (size_t)sp->words * sizeof *sp->sub);
	for (int32_t k = 0; k < u->n; k++)
		if (k != skip && !derived(sp->t, u->p[k].column, "predicted"))
			fl_predicates__keep(sp->sub, sp->words, &u->p[k], sp->t);
	fl__sums in = sums_of(sp->sub, sp);
	fl__sums rest = {sp->all.n - in.n, sp->all.s - in.s, sp->all.ss - in.ss};

	return rest.n > 0 && rate(&in) - rate(&rest) >= KEEP_DROP * (rate(us) - rate(&rest)) &&
	       fl__excess_lcb(&in, &sp->all, sp->fbits != NULL) > 0;
}

/* The generalisations of predicate p of a rule of n_preds: *n_out <=
 * WIDEN_MOST predicates in out (owned). A range: one bin more on either side, or open on either
 * side; a value or a set: one of the SET_TRY values failing most among the
 * rows searched (present there) added, up to SET_MOST values and never all
 * values but one (a negation). */
static int widen(fl_predicate *out, int32_t *n_out, const fl_predicate *p, int32_t n_preds,
		 const fl_predicate_result *r, const space *sp, fl__sums *levels_sums)
{
	int32_t m = 0;
	int rc = 0;

	*n_out = 0;
	if (p->op == FL_PRED_RANGE) {
		double lo = -INFINITY, hi = INFINITY;

		for (int32_t k = 0; k < r->n_preds; k++) { /* the next cut on either side */
			const fl_predicate *x = &r->preds[k];

			if (x->column != p->column || x->op != FL_PRED_RANGE)
				continue;
			if (x->low < p->low && x->low > lo)
				lo = x->low;
			if (x->high > p->high && x->high < hi)
				hi = x->high;
		}
		const double ends[4][2] = {{lo, p->high}, {-INFINITY, p->high}, {p->low, hi},
					   {p->low, INFINITY}};
		for (int32_t k = 0; k < 4 && rc == 0; k++) {
			double a = ends[k][0], b = ends[k][1];

			if ((a == p->low && b == p->high) || (isinf(a) && isinf(b)) ||
			    (k == 1 && a == lo) || (k == 3 && b == hi))
				continue;
			if ((rc = make_range(&out[m], p, a, b, r, sp->t)) == 0)
				m++;
			else if (rc > 0) /* a cut the bins of this search lack */
				rc = 0;
		}
	} else if (((p->op == FL_PRED_EQ && p->code >= 0) ||
		    (p->op == FL_PRED_IN_SET && p->n_codes < SET_MOST)) &&
		   may_grow(sp->t, p->column, n_preds)) {
		const int32_t *codes = fl_table_codes(sp->t, p->column);
		int32_t levels = fl_table_nlevels(sp->t, p->column), present = 0;
		int32_t held = p->op == FL_PRED_IN_SET ? p->n_codes : 1;
		int32_t best[SET_TRY], nb = 0;

		for (int32_t c = 0; c < levels; c++)
			levels_sums[c] = (fl__sums){0, 0, 0};
		for (int64_t w = 0; w < sp->words; w++)
			for (uint64_t bits = sp->scope[w]; bits; bits &= bits - 1) {
				int64_t i = w * 64 + __builtin_ctzll(bits);

				if (codes[i] >= 0)
					fl__sums_add(&levels_sums[codes[i]], sp->f[i]);
			}
		/* the SET_TRY values failing most, ties by code */
		for (int32_t c = 0; c < levels; c++) {
			int32_t j;

			present += levels_sums[c].n > 0;
			if (levels_sums[c].n < 1 || holds_code(p, c))
				continue;
			for (j = nb; j > 0 && rate(&levels_sums[c]) > rate(&levels_sums[best[j - 1]]); j--)
				if (j < SET_TRY)
					best[j] = best[j - 1];
			if (j < SET_TRY)
				best[j] = c;
			nb += nb < SET_TRY;
		}
		for (int32_t k = 0; k < nb && held + 2 < present && rc == 0; k++)
			if ((rc = make_set(&out[m], p, best[k], levels_sums, sp->t)) == 0)
				m++;
	}
	*n_out = m;
	return rc;
}

/* z with P(Z > z) = p, by bisection on erfc. */
static double z_of(double p)
{
	double lo = 0, hi = 40;

	for (int k = 0; k < 100; k++) {
		double mid = 0.5 * (lo + hi);

		if (0.5 * erfc(mid / sqrt(2.0)) > p)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

/* Generalise u in place (step 2 of the file's comment). r: the search's
 * result (its bins); lv: scratch of one sums per level of any column; g:
 * scratch of WIDEN_MOST predicates. *hollow = 1 (and u is left as it is)
 * when a conjunct the same cause would drop leaves a rule that names
 * nothing (names_rows()): u is that rule with filler. */
static int generalise(rule *u, const fl_predicate_result *r, const space *sp, fl__sums *lv,
		      fl_predicate *g, int *hollow)
{
	fl_predicate chosen = {0};
	int rc = 0;

	for (int32_t step = 0; step < MAX_STEPS && rc == 0; step++) {
		fl__sums s, gs;
		double best = -INFINITY;
		int32_t at = -1, ng = 0;

		rule_bits(sp->acc, u, -1, sp);
		s = sums_of(sp->acc, sp);
		for (int32_t k = 0; k < u->n && rc == 0; k++) {
			if ((rc = widen(g, &ng, &u->p[k], u->n, r, sp, lv)) != 0) {
				for (int32_t j = 0; j < ng; j++)
					pred_free(&g[j]);
				break;
			}
			/* j = -1: drop predicate k (while another is left); the
			 * rows of the others once, each g[j] narrows them */
			rule_bits(sp->rest, u, k, sp);
			for (int32_t j = u->n > 1 ? -1 : 0; j < ng; j++) {
				double gain;
				int same;

				memcpy(sp->one, sp->rest, (size_t)sp->words * sizeof *sp->one);
				if (j >= 0)
					fl_predicates__keep(sp->one, sp->words, &g[j], sp->t);
				gs = sums_of(sp->one, sp);
				if (j >= 0 && gs.n == s.n) /* the same rows in longer words */
					continue;
				same = same_cause(&s, &gs, sp, j < 0);
				if (j < 0 && !names_rows(u, k, &gs, sp)) {
					*hollow |= same;
					continue;
				}
				gain = fl__excess_lcb(&gs, &sp->all, sp->fbits != NULL);
				if (!(gain > 0 && gain > best && same))
					continue;
				best = gain;
				at = k;
				pred_free(&chosen);
				if (j >= 0) { /* taken out of g */
					chosen = g[j];
					g[j].text = NULL;
					g[j].codes = NULL;
				}
			}
			for (int32_t j = 0; j < ng; j++)
				pred_free(&g[j]);
		}
		if (rc || at < 0 || *hollow)
			break;
		pred_free(&u->p[at]);
		if (chosen.text) {
			u->p[at] = chosen;
			chosen = (fl_predicate){0};
		} else {
			memmove(&u->p[at], &u->p[at + 1], (size_t)(u->n - at - 1) * sizeof *u->p);
			u->n--;
		}
	}
	pred_free(&chosen);
	return rc;
}

static int64_t count_bits(const uint64_t *b, int64_t words)
{
	int64_t k = 0;

	for (int64_t w = 0; w < words; w++)
		k += __builtin_popcountll(b[w]);
	return k;
}

/* Step 3 of the file's comment: the result of largest positive gain
 * (ties: the first) of the nf generalised results (their rows: words
 * words each in fb), or -1. A result that holds another (nine tenths of
 * its rows) with rows that do not fail like it (same_cause) is that one
 * and filler, and is passed over: the gain, an excess, grows with any
 * rows that fail more than the rest. */
static int32_t pick(const double *gain, const uint64_t *fb, int32_t nf, const space *sp)
{
	unsigned char passed[GENERALISE] = {0};

	for (;;) {
		int32_t b = -1;
		int64_t nb;
		int filler = 0;

		for (int32_t i = 0; i < nf; i++)
			if (!passed[i] && gain[i] > 0 && (b < 0 || gain[i] > gain[b]))
				b = i;
		if (b < 0)
			return -1;
		nb = count_bits(fb + b * sp->words, sp->words);
		for (int32_t i = 0; i < nf && !filler; i++) {
			int64_t ni = count_bits(fb + i * sp->words, sp->words), both;
			fl__sums in, all;

			if (i == b || ni >= nb)
				continue;
			for (int64_t w = 0; w < sp->words; w++)
				sp->one[w] = fb[i * sp->words + w] & fb[b * sp->words + w];
			both = count_bits(sp->one, sp->words);
			if (10 * both < 9 * ni)
				continue;
			in = sums_of(sp->one, sp);
			all = sums_of(fb + b * sp->words, sp);
			filler = !same_cause(&in, &all, sp, 0);
		}
		if (!filler)
			return b;
		passed[b] = 1;
	}
}

/* Slice i of r as a rule of its own (copies). */
static int rule_of(rule *u, const fl_predicate_result *r, int32_t i)
{
	const fl_predicate_slice *sl = &r->slices[i];
	int rc = 0;

	u->n = 0;
	if (!(u->p = fl__calloc((size_t)sl->n_preds, sizeof *u->p, "slice predicates")))
		return FL_ENOMEM;
	for (int32_t k = 0; k < sl->n_preds && rc == 0; k++)
		if ((rc = pred_copy(&u->p[k], &r->preds[sl->preds[k]])) == 0)
			u->n++;
	return rc;
}

/* The candidate of rule u (on every row of t), `searched` of its rows
 * among the rows searched; *kept = 0 when fewer than half of its rows were
 * searched (mostly rows of earlier candidates: their union, not a cause of
 * its own). Its excess among the rows searched has cleared the corrected
 * bar; its rate on every row need not clear the overall rate, which the
 * causes before it raise (a weaker cause hidden behind a stronger one). */
static int candidate_of(fl_candidate *c, int *kept, const rule *u, const fl_table *t,
			const fl_failure_summary *s, int32_t component, int64_t searched)
{
	const fl_predicate *p[64]; /* max_level <= 64 */
	fl_strbuf d = {0};
	double overall = fl_failure_summary_mean(s);
	int rc;

	*kept = 0;
	memset(c, 0, sizeof *c);
	for (int32_t k = 0; k < u->n; k++)
		p[k] = &u->p[k];
	if ((rc = fl_predicates__rows(&c->members, &c->n_members, p, u->n, t)) != 0 ||
	    2 * searched < c->n_members ||
	    (rc = fl_slice_stats_compute(&c->stats, s, c->members, c->n_members)) != 0) {
		fl_candidate_clear(c);
		return rc;
	}
	if (!(c->member_scores = fl__malloc((size_t)c->n_members * sizeof *c->member_scores,
					    "member scores"))) {
		fl_candidate_clear(c);
		return FL_ENOMEM;
	}
	for (int64_t k = 0; k < c->n_members; k++)
		c->member_scores[k] = 1.0f;
	for (int32_t k = 0; k < u->n; k++)
		fl__sb_printf(&d, "%s%s", k ? " AND " : "", u->p[k].text);
	c->description = fl__sb_finish(&d, "slice description");
	c->spec_json = fl_predicates__spec_json(p, u->n, t);
	if (!c->description || !c->spec_json) {
		fl_candidate_clear(c);
		return FL_ENOMEM;
	}
	c->score = fl_slice_score(&c->stats, overall);
	snprintf(c->method, sizeof c->method, "predicates");
	c->component = component;
	*kept = 1;
	return 0;
}

int fl_predicates__cover(fl_candidate **out, int32_t *n_out, const fl_table *t,
			 const double *failure, const fl_failure_summary *s,
			 const fl_predicate_opts *o)
{
	int64_t n = fl_table_rows(t), words = (n + 63) / 64, minsup, *rows = NULL;
	int32_t most_levels = 1, nc = 0;
	fl_predicate_opts so = *o;
	fl_pred_cuts cuts = {0};
	fl_candidate *cand = NULL;
	fl__sums *lv = NULL;
	fl_predicate *g = NULL;
	uint64_t *bits = NULL, *fbits = NULL, *fb = NULL;
	int64_t *skip = NULL, predicted = -1;
	double *subf = NULL, *fs = NULL, scale;
	const double *f;
	space sp;
	int rc = 0;

	*out = NULL;
	*n_out = 0;
	for (int64_t c = 0; c < fl_table_cols(t); c++) {
		if (fl_table_col_type(t, c) != FL_COL_NUMERIC && fl_table_nlevels(t, c) > most_levels)
			most_levels = fl_table_nlevels(t, c);
		if (derived(t, c, "predicted"))
			predicted = c;
	}
	bits = fl__calloc((size_t)(5 * words + 1), sizeof *bits, "row bitsets");
	subf = fl__malloc((size_t)(n + 1) * sizeof *subf, "failure");
	rows = fl__malloc((size_t)(n + 1) * sizeof *rows, "slice rows");
	cand = fl__calloc((size_t)o->top, sizeof *cand, "candidates");
	lv = fl__malloc((size_t)most_levels * sizeof *lv, "value sums");
	g = fl__calloc(WIDEN_MOST, sizeof *g, "predicates");
	fb = fl__malloc((size_t)(GENERALISE * words + 1) * sizeof *fb, "row bitsets");
	skip = fl__malloc((size_t)(o->n_skip + 1) * sizeof *skip, "skipped columns");
	scale = fl__failure_scale(fl__failure_exponent(failure, n));
	/* the signal in the units its sums are taken in: itself when the scale
	 * is 1 (a 0/1 failure), not a copy (40 MB at 5M rows) */
	if (scale != 1 && (fs = fl__malloc((size_t)(n + 1) * sizeof *fs, "failure")))
		for (int64_t i = 0; i < n; i++)
			fs[i] = failure[i] * scale;
	f = scale != 1 ? fs : failure;
	if (!bits || (scale != 1 && !fs) || !subf || !rows || !cand || !lv || !g || !fb || !skip) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	if (fl_failure_is_binary(failure, n)) {
		if (!(fbits = fl__calloc((size_t)words + 1, sizeof *fbits, "failure bitset"))) {
			rc = FL_ENOMEM;
			goto cleanup;
		}
		for (int64_t i = 0; i < n; i++)
			if (failure[i] == 1)
				fbits[i >> 6] |= 1ULL << (i & 63);
	}
	sp = (space){t, n, words, f, fbits, bits, bits + words, bits + 2 * words, bits + 3 * words,
		      bits + 4 * words, {0, 0, 0}, 0};
	for (int64_t i = 0; i < n; i++)
		sp.scope[i >> 6] |= 1ULL << (i & 63);
	minsup = o->min_support > 0 ? o->min_support : (int64_t)ceil(o->min_support_frac * (double)n);
	minsup = minsup < 1 ? 1 : minsup;
	so.top = SEARCH_TOP;
	so.min_support = minsup; /* the same smallest slice in every search */
	so.cut_table = o->cut_table ? o->cut_table : t; /* the same cuts, computed once */
	cuts = (fl_pred_cuts){so.cut_table, so.bins, fl_table_cols(so.cut_table),
			      fl__calloc((size_t)fl_table_cols(so.cut_table) + 1, sizeof *cuts.col,
					 "column cuts")};
	if (!cuts.col) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int32_t it = 0; nc < o->top && rc == 0; it++) {
		fl_predicate_result *r = NULL;
		fl_table *sub = NULL;
		rule best = {0}, found[GENERALISE] = {{0}};
		double gain[GENERALISE];
		int32_t nf = 0, best_at;
		int64_t m = 0, searched;
		int kept;

		for (int64_t i = 0; i < n; i++)
			if (sp.scope[i >> 6] >> (i & 63) & 1) {
				subf[m] = failure[i];
				rows[m++] = i;
			}
		sp.all = sums_of(sp.scope, &sp);
		if (m < 2 * minsup || sp.all.s == 0)
			break;
		so.note = it == 0 ? o->note : NULL; /* the notes on the columns once */
		if ((rc = fl_table_subset(&sub, t, rows, m)) != 0 ||
		    (rc = fl_predicates__search(&r, sub, subf, &so, &cuts)) != 0) {
			fl_table_free(sub);
			break;
		}
		sp.z_drop = z_of(0.025 / (r->n_preds > 1 ? r->n_preds : 1));
		/* the first GENERALISE results that name rows (names_rows) */
		for (int32_t i = 0; i < r->n_slices && nf < GENERALISE && rc == 0; i++) {
			int hollow = 0;

			if ((rc = rule_of(&found[nf], r, i)) == 0 &&
			    (rc = generalise(&found[nf], r, &sp, lv, g, &hollow)) == 0) {
				rule_bits(fb + nf * words, &found[nf], -1, &sp);
				fl__sums in = sums_of(fb + nf * words, &sp);
				if (hollow || !names_rows(&found[nf], -1, &in, &sp)) {
					rule_free(&found[nf]);
					continue;
				}
				gain[nf] = fl__excess_lcb(&in, &sp.all, fbits != NULL);
			}
			nf++;
		}
		/* a top crowded by rules naming nothing: search without the
		 * predicted class from now on, then without sets too (generalising
		 * still makes those of one cause) */
		if (rc == 0 && nf == 0 && (so.max_set > 1 || (predicted >= 0 && so.skip_cols != skip))) {
			if (predicted >= 0 && so.skip_cols != skip) {
				for (int32_t k = 0; k < o->n_skip; k++)
					skip[k] = o->skip_cols[k];
				skip[o->n_skip] = predicted;
				so.skip_cols = skip;
				so.n_skip = o->n_skip + 1;
			} else {
				so.max_set = 1;
			}
			fl_predicate_result_free(r);
			fl_table_free(sub);
			continue;
		}
		best_at = rc ? -1 : pick(gain, fb, nf, &sp);
		if (best_at >= 0) {
			best = found[best_at];
			found[best_at] = (rule){0};
			memcpy(sp.acc, fb + best_at * words, (size_t)words * sizeof *sp.acc);
		}
		for (int32_t i = 0; i < nf; i++)
			rule_free(&found[i]);
		fl_predicate_result_free(r);
		fl_table_free(sub);
		if (rc || best.n == 0) {
			rule_free(&best);
			break;
		}
		/* the best of many (its rows in sp.acc): its excess must clear the
		 * corrected bar too */
		fl__sums in = sums_of(sp.acc, &sp);
		if (fl__excess_lower(&in, &sp.all, fbits != NULL, sp.z_drop) <= 0) {
			rule_free(&best);
			break;
		}
		/* its rows leave the search */
		searched = 0;
		for (int64_t w = 0; w < words; w++) {
			searched += __builtin_popcountll(sp.acc[w]);
			sp.scope[w] &= ~sp.acc[w];
		}
		rc = candidate_of(&cand[nc], &kept, &best, t, s, it, searched);
		nc += rc == 0 && kept;
		rule_free(&best);
	}
	if (rc == 0) {
		*out = nc ? cand : NULL;
		*n_out = nc;
		if (nc)
			cand = NULL;
	}
cleanup:
	free(cuts.col);
	fl_candidates_free(cand, nc);
	free(bits);
	free(fbits);
	free(fb);
	free(fs);
	free(subf);
	free(rows);
	free(lv);
	free(g);
	free(skip);
	return rc;
}
