/*
 * Causes: the results of every method, view and search grouped into a
 * short list of whole causes, each ranked by the failures it accounts for
 * beyond the causes above it.
 *
 * Every result is first measured on every row: its members (the discovery
 * rows its spec selects) with its holdout members (fl_candidate.whole), and
 * its excess, whole.size x (rate inside - rate outside): the failures a fix
 * of it would remove if it failed like the rest. Then weighted covering
 * (CN2-SD: Lavrac, Kavsek, Flach, Todorovski, JMLR 5, 2004) with weight 0
 * for the rows of the causes chosen so far:
 *
 *   gain(S) = |S'| x lower end of the 95% interval of rate(S') - rate(U \ S)
 *   U = the rows no chosen cause holds, S' = S within U
 *
 * (the interval of a difference of two rates: for a binary signal Wald's
 * with the largest variance a rate can have, so that a small fragment's
 * extreme rate buys it no narrower interval than any slice of its size
 * (fl__excess_lcb_sure); Welch's normal one for a continuous signal). The
 * result with the largest gain becomes the next cause (nearly: of it and
 * the results that are the same slice with a gain within LOOKAHEAD of its
 * own, the one after which the plain greedy covering sums the largest
 * gains, look_ahead()), results that replicated on the holdout before any
 * that did not; selection stops when no gain is positive or after `top`
 * causes. A result that overlaps a chosen cause with Jaccard >= SAME, or
 * has >= PART_SHARE of its rows inside one, is never chosen: it is a part
 * of the cause holding most of its rows. A result that is neither a cause
 * nor a part accounts for no failures beyond the causes, and is dropped.
 * Before a result becomes a cause it is checked against its parts
 * (diluted(): a union of causes found apart, or purer parts with rows that
 * fail little, gives way to them), and a rule that is the same slice again
 * heads it (speak_plainly()). A slice of a later search is measured
 * among the rows that search looked at (outside the causes before it:
 * fl_report__set_round_skip): it covers, and holds as parts, only those
 * rows, and is no cause when fewer than half of its rows were searched
 * (searched_mostly(): a union of earlier causes with a few more).
 * docs/causes.md says the same for users.
 *
 * Why: a fragment of a cause (one class of it, one cut of its range) holds
 * fewer excess failures than the cause, so the cause is chosen first and
 * the fragment becomes its part; a weaker cause hidden behind a stronger
 * one is measured against the rows the stronger one does not hold, where
 * its excess shows. Statistics stay those of every row and of the holdout,
 * never of the residual (classic covering's bias). The order is the order
 * of selection, so the first K causes never depend on K.
 */
#include "report_internal.h"
#include "stats/stats_internal.h"

#include <math.h>
#include <string.h>

#define SAME 0.5       /* Jaccard at or above which two results are one */
#define PART_SHARE 0.5 /* share of a result's rows inside a cause that makes it a part */
#define MAX_PARTS 8    /* parts kept per cause, by excess */
#define DILUTED 0.6    /* diluted(): the rest of a result fails < this share as much */
#define DILUTED_RULE 0.3 /* the same for a rule: its rows share a named property */
#define DISJOINT 0.1   /* diluted(): parts sharing < this share of their rows are apart */
#define UNION 0.6      /* diluted(): disjoint parts holding this share make a union */
#define REST_MIN 0.1   /* diluted(): a rest below this share is not measured */
#define AGAIN 0.8      /* Jaccard at or above which a result is the same slice found again */
#define LOOKAHEAD 0.1  /* look_ahead(): same-slice results within this share of the best gain */

enum { FREE, CAUSE, PART, DILUTE };

/* A result's rows on every row: its members, then its holdout members. */
static int64_t n_rows(const fl_candidate *c)
{
	return c->n_members + c->n_holdout_members;
}

static int64_t row_at(const fl_candidate *c, int64_t k)
{
	return k < c->n_members ? c->members[k] : c->holdout_members[k - c->n_members];
}

static int32_t round_of(const fl_candidate *c)
{
	return c->round > 1 && c->round <= FL_REPORT_ROUNDS ? c->round : 1;
}

/* Were at least half of c's rows searched by its search? A later search
 * looks outside the causes before it; a slice of it holding mostly their
 * rows is their union with something, not a cause of its own (as
 * cover.c's candidates). */
static int searched_mostly(const fl_candidate *c, uint8_t *const *skip)
{
	const uint8_t *scope = skip[round_of(c)];
	int64_t in = 0;

	if (!scope)
		return 1;
	for (int64_t k = 0; k < n_rows(c); k++)
		in += !scope[row_at(c, k)];
	return 2 * in >= n_rows(c);
}

/* Measure c on every row: whole statistics and excess. rows: scratch of n. */
static int measure(fl_candidate *c, const fl_failure_summary *s, int64_t *rows)
{
	int64_t m = n_rows(c);
	int rc;

	for (int64_t k = 0; k < m; k++)
		rows[k] = row_at(c, k);
	if ((rc = fl_slice_stats_compute(&c->whole, s, rows, m)))
		return rc;
	c->excess = m && c->whole.failure_rate_outside == c->whole.failure_rate_outside
			    ? (double)m * (c->whole.failure_rate - c->whole.failure_rate_outside)
			    : 0;
	return FL_OK;
}

/* The rate of a set of rows among u, and of u's other rows. */
static double rate_of(const fl__sums *a)
{
	return a->n > 0 ? a->s / a->n : 0;
}

/* How many results of the pool (a itself included) are a again: Jaccard
 * >= AGAIN on every row. mark: bit 8 used and left clear. */
static int32_t agreement(const fl_candidate *pool, int32_t n, int32_t a, uint8_t *mark)
{
	int64_t ma = n_rows(&pool[a]);
	int32_t agree = 0;

	for (int64_t k = 0; k < ma; k++)
		mark[row_at(&pool[a], k)] |= 8;
	for (int32_t o = 0; o < n; o++) {
		int64_t inter = 0, m = n_rows(&pool[o]);

		for (int64_t k = 0; k < m; k++)
			inter += (mark[row_at(&pool[o], k)] & 8) != 0;
		agree += m + ma > 0 && (double)inter >= AGAIN * (double)(m + ma - inter);
	}
	for (int64_t k = 0; k < ma; k++)
		mark[row_at(&pool[a], k)] &= (uint8_t)~8u;
	return agree;
}

#define MAX_DISJOINT 16

/* Is b, among the rows not covered (sums u), a union of other results
 * rather than a cause? Its parts are the free results with PART_SHARE of
 * their rows in b, Jaccard with b below AGAIN (not b again), that fail more than the
 * rows outside b. b is
 *  - diluted when the rest of b beyond its purer parts (those that fail
 *    more than b), at least REST_MIN of b, fails, beyond the outside rate,
 *    less than DILUTED times as much as b does (DILUTED_RULE for a rule:
 *    its rows share a property named in the data's terms, so a rest that
 *    fails less is the same cause, weaker, as rotated zeros beside rotated
 *    twos; a cluster's or direction's edge is the method's, and its
 *    diluted rest the method's spill-over): b is those parts with rows
 *    that fail little;
 *  - a union when it is not a rule (a cluster, a component, the top of a
 *    failure direction) and two or more of its parts that share less than
 *    DISJOINT of their rows hold UNION of its rows, each found by at least
 *    as many results (methods, views, searches: agreement()) as b: regions
 *    that more viewpoints found apart than together are causes apart,
 *    unless a rule (a description in the data's own terms) joins them;
 *    where fewer did (one method cut a region others found whole), b is
 *    the cause and they are its parts.
 * mark: scratch of n zeros, left zeroed (bit 1: in b, 2: in a purer part,
 * 4: in a disjoint part). */
static int diluted(const fl_candidate *pool, int32_t n, int32_t b, const int32_t *state,
		   uint8_t *const *skip, const uint8_t *covered, const double *f, double scale,
		   const fl__sums *u, uint8_t *mark)
{
	const fl_candidate *c = &pool[b];
	fl__sums in = {0, 0, 0}, rest = {0, 0, 0}, out;
	int64_t mb = n_rows(c), in_disjoint = 0;
	int32_t apart[MAX_DISJOINT];
	int purer = 0, disjoint = 0;
	double excess_rate, rest_rate;

	for (int64_t k = 0; k < mb; k++)
		if (!covered[row_at(c, k)]) {
			mark[row_at(c, k)] = 1;
			fl__sums_add(&in, f[row_at(c, k)] * scale);
		}
	out = (fl__sums){u->n - in.n, u->s - in.s, u->ss - in.ss};
	for (int32_t o = 0; o < n; o++) {
		const fl_candidate *p = &pool[o];
		fl__sums ps = {0, 0, 0};
		int64_t inside = 0, shared = 0, m = n_rows(p);
		uint8_t bits;

		if (o == b || state[o] != FREE || m == 0 || p->replicated < c->replicated ||
		    !searched_mostly(p, skip))
			continue;
		for (int64_t k = 0; k < m; k++)
			if (!covered[row_at(p, k)]) {
				inside += (mark[row_at(p, k)] & 1) != 0;
				shared += (mark[row_at(p, k)] & 4) != 0;
				fl__sums_add(&ps, f[row_at(p, k)] * scale);
			}
		/* a part: mostly inside b, not b again, failing more than outside */
		if (ps.n < 1 || (double)inside < PART_SHARE * ps.n ||
		    (double)inside >= AGAIN * (in.n + ps.n - (double)inside) ||
		    !(rate_of(&ps) > rate_of(&out)))
			continue;
		bits = (uint8_t)((rate_of(&ps) > rate_of(&in) ? 2 : 0) |
				 ((double)shared < DISJOINT * ps.n ? 4 : 0));
		purer += (bits & 2) != 0;
		if ((bits & 4) && disjoint < MAX_DISJOINT)
			apart[disjoint++] = o;
		else
			bits &= 3;
		for (int64_t k = 0; k < m; k++)
			if (mark[row_at(p, k)] & 1) {
				in_disjoint += (bits & 4) && !(mark[row_at(p, k)] & 4);
				mark[row_at(p, k)] |= bits;
			}
	}
	for (int64_t k = 0; k < mb; k++) {
		int64_t i = row_at(c, k);

		if (mark[i] == 1)
			fl__sums_add(&rest, f[i] * scale);
		mark[i] = 0;
	}
	excess_rate = rate_of(&in) - rate_of(&out);
	/* a rest too small to measure leaves b its parts' union, not diluted */
	rest_rate = rest.n >= REST_MIN * in.n ? rate_of(&rest) - rate_of(&out) : excess_rate;
	if (strcmp(c->method, "predicates") != 0 && disjoint >= 2 &&
	    (double)in_disjoint >= UNION * in.n) {
		int32_t agree = agreement(pool, n, b, mark), apart_agree = INT32_MAX;

		for (int k = 0; k < disjoint; k++) {
			int32_t a = agreement(pool, n, apart[k], mark);

			apart_agree = a < apart_agree ? a : apart_agree;
		}
		if (apart_agree >= agree)
			return 1;
	}
	return purer && excess_rate > 0 &&
	       rest_rate < (strcmp(c->method, "predicates") ? DILUTED : DILUTED_RULE) * excess_rate;
}

/* The rows a gain is measured on: those no chosen cause covers and, for a
 * slice of search r > 1, that search looked at (skip[r] clear); u[r]
 * their fl__sums (u[1]: every uncovered row). */
typedef struct {
	uint8_t *covered;
	uint8_t *const *skip;
	fl__sums u[FL_REPORT_ROUNDS + 1];
} residual;

static void residual_init(residual *res, const double *f, int64_t n, double scale)
{
	for (int32_t r = 1; r <= FL_REPORT_ROUNDS; r++) {
		res->u[r] = (fl__sums){0, 0, 0};
		for (int64_t i = 0; i < n; i++)
			if (!res->skip[r] || !res->skip[r][i])
				fl__sums_add(&res->u[r], f[i] * scale);
	}
}

static void residual_cover(residual *res, int64_t i, double fi)
{
	if (res->covered[i])
		return;
	res->covered[i] = 1;
	for (int32_t r = 1; r <= FL_REPORT_ROUNDS; r++)
		if (!res->skip[r] || !res->skip[r][i]) {
			res->u[r].n -= 1;
			res->u[r].s -= fi;
			res->u[r].ss -= fi * fi;
		}
}

/* Gain of c among the rows it is measured on. */
static double residual_gain(const fl_candidate *c, const residual *res, const double *f,
			    double scale, int binary)
{
	int32_t r = round_of(c);
	const uint8_t *skip = res->skip[r];
	fl__sums in = {0, 0, 0};

	for (int64_t k = 0; k < n_rows(c); k++) {
		int64_t i = row_at(c, k);

		if (!res->covered[i] && (!skip || !skip[i]))
			fl__sums_add(&in, f[i] * scale);
	}
	return fl__excess_lcb_sure(&in, &res->u[r], binary) / scale;
}

static int cmp_excess(const void *pa, const void *pb)
{
	const fl_candidate *a = pa, *b = pb;

	if (a->excess != b->excess)
		return a->excess > b->excess ? -1 : 1;
	return (n_rows(a) > n_rows(b)) - (n_rows(a) < n_rows(b));
}

/* Does a (gain ga) go before b (gain gb)? Replicated first, then the
 * larger gain; gains within 1e-9 of each other (one slice found by two
 * methods, its gain summed in another order) tie, broken by method, view,
 * search and component, so that the order does not hang on rounding. */
static int better(const fl_candidate *a, double ga, const fl_candidate *b, double gb)
{
	int c;

	if (a->replicated != b->replicated)
		return a->replicated > b->replicated;
	if (fabs(ga - gb) > 1e-9 * fmax(fabs(ga), fabs(gb)))
		return ga > gb;
	if ((c = strcmp(a->method, b->method)) != 0 || (c = strcmp(a->view, b->view)) != 0)
		return c < 0;
	if (a->round != b->round)
		return a->round < b->round;
	return a->component < b->component;
}

/* The report's slices and their parts, as one flat pool (parts emptied). */
static fl_candidate *flatten(fl_report *r, int32_t *n_out)
{
	int32_t n = r->n_slices, k = 0;
	fl_candidate *pool;

	for (int32_t s = 0; s < r->n_slices; s++)
		n += r->slices[s].n_parts;
	if (!(pool = fl__calloc((size_t)(n ? n : 1), sizeof *pool, "causes")))
		return NULL;
	for (int32_t s = 0; s < r->n_slices; s++) {
		fl_candidate *c = &r->slices[s];

		for (int32_t p = 0; p < c->n_parts; p++)
			pool[k++] = c->parts[p];
		free(c->parts);
		c->parts = NULL;
		c->n_parts = 0;
		pool[k++] = *c;
	}
	*n_out = n;
	return pool;
}

/* What covering decided for a pool of n results: each one's state, the
 * cause a part belongs to (index into order) and its Jaccard with it, and
 * the causes in the order chosen. */
typedef struct {
	int32_t *state, *owner, *order, n_causes;
	double *jac, *holds; /* holds: share of the cause's rows (in its scope) in the part */
} cover_plan;

static void plan_free(cover_plan *c)
{
	free(c->state);
	free(c->owner);
	free(c->order);
	free(c->jac);
	free(c->holds);
}

/* What one covering run reads, and its scratch. */
typedef struct {
	const fl_candidate *pool;
	int32_t n;
	const double *failure;
	int64_t n_all;
	uint8_t *const *skip;
	double scale;
	int binary;
	uint8_t *mark;  /* n_all zeros, left zeroed */
	int32_t *state; /* followed()'s copies: n states, n_all covered rows */
	uint8_t *covered;
} cover_in;

/* The next result to consider (the largest gain among the free ones the
 * rule allows; -1 when no gain is positive) and its gain. */
static int32_t best_free(const cover_in *x, const int32_t *state, const residual *res,
			 double *gain)
{
	int32_t best = -1;

	*gain = 0;
	for (int32_t c = 0; c < x->n; c++) {
		double g;

		if (state[c] != FREE || !searched_mostly(&x->pool[c], x->skip))
			continue;
		g = residual_gain(&x->pool[c], res, x->failure, x->scale, x->binary);
		if (g > 0 && (best < 0 || better(&x->pool[c], g, &x->pool[best], *gain))) {
			best = c;
			*gain = g;
		}
	}
	return best;
}

/* Make `best` the next cause: its rows among those its search looked at
 * are covered, and what overlaps it enough there is a part (a later
 * search's slice, a rule for other rows, can hold the rows of the causes
 * before it without being their cause). With a plan, each part's owner
 * and overlap are kept (the cause holding most of its rows). */
static void make_cause(const cover_in *x, int32_t best, int32_t *state, residual *res,
		       cover_plan *plan, double *share)
{
	const fl_candidate *b = &x->pool[best];
	const uint8_t *scope = x->skip[round_of(b)];
	uint8_t *mark = x->mark;
	int64_t mb = 0; /* its rows in that scope */

	state[best] = CAUSE;
	for (int64_t k = 0; k < n_rows(b); k++) {
		int64_t i = row_at(b, k);

		mark[i] = !scope || !scope[i];
		mb += mark[i];
		if (mark[i])
			residual_cover(res, i, x->failure[i] * x->scale);
	}
	for (int32_t c = 0; c < x->n; c++) {
		int64_t inter = 0, m = n_rows(&x->pool[c]);
		double sh, j;

		if (state[c] == CAUSE || m == 0)
			continue;
		for (int64_t k = 0; k < m; k++)
			inter += mark[row_at(&x->pool[c], k)];
		sh = (double)inter / (double)m;
		j = (double)inter / (double)(m + mb - inter);
		if (plan && sh > share[c]) {
			share[c] = sh;
			plan->jac[c] = j;
			plan->holds[c] = mb ? (double)inter / (double)mb : 0;
			plan->owner[c] = plan->n_causes - 1;
		}
		if (j >= SAME || sh >= PART_SHARE)
			state[c] = PART;
	}
	for (int64_t k = 0; k < n_rows(b); k++)
		mark[row_at(b, k)] = 0;
}

/* The gains of the causes the plain greedy covering chooses from this
 * state on, with `first` taken first (subject to diluted(), like any
 * choice), summed: lower bounds of the failures those causes account for
 * beyond each other. On x's copies: state and res are left as they were. */
static void followed(const cover_in *x, const int32_t *state, const residual *res, int32_t first,
		     double first_gain, double *total)
{
	int32_t *st = x->state, c = first;
	uint8_t *cov = x->covered;
	residual r = *res;
	double g = first_gain;

	*total = 0;
	memcpy(st, state, (size_t)x->n * sizeof *st);
	memcpy(cov, res->covered, (size_t)x->n_all);
	r.covered = cov;
	for (; c >= 0; c = best_free(x, st, &r, &g)) {
		if (diluted(x->pool, x->n, c, st, x->skip, cov, x->failure, x->scale, &r.u[1],
			    x->mark)) {
			st[c] = DILUTE;
			continue;
		}
		*total += g;
		make_cause(x, c, st, &r, NULL, NULL);
	}
}

/* Of `best` and the free results of the same holdout standing that are
 * the same slice (Jaccard >= SAME on every row, not its very rows again)
 * with a gain within LOOKAHEAD of its own, the one after which the plain
 * greedy covering sums the largest gains: the slice whose rows beyond the
 * other's are failures no other cause holds, rather than rows of another
 * cause (the top of a failure direction that takes most of one planted
 * cluster and a part of another, against the whole first cluster). It
 * looks at every later cause, never at `top`; a tie keeps `best`. */
static void look_ahead(const cover_in *x, const int32_t *state, const residual *res,
		       int32_t *best, double *best_gain)
{
	uint8_t *mark = x->mark;
	const fl_candidate *b = &x->pool[*best];
	int32_t pick = *best, b0 = *best;
	double pick_total = 0, pick_gain = *best_gain, g;
	int looked = 0;

	for (int64_t k = 0; k < n_rows(b); k++)
		mark[row_at(b, k)] = 1;
	for (int32_t c = 0; c < x->n; c++) {
		const fl_candidate *a = &x->pool[c];
		int64_t inter = 0, m = n_rows(a);
		double total;

		if (c == b0 || state[c] != FREE || a->replicated != b->replicated || m == 0 ||
		    !searched_mostly(a, x->skip))
			continue;
		for (int64_t k = 0; k < m; k++)
			inter += mark[row_at(a, k)];
		if ((double)inter < SAME * (double)(m + n_rows(b) - inter) ||
		    (inter == m && m == n_rows(b) && round_of(a) == round_of(b)))
			continue;
		g = residual_gain(a, res, x->failure, x->scale, x->binary);
		if (!(g >= (1 - LOOKAHEAD) * *best_gain))
			continue;
		for (int64_t k = 0; k < n_rows(b); k++) /* followed() uses mark */
			mark[row_at(b, k)] = 0;
		if (!looked++)
			followed(x, state, res, b0, *best_gain, &pick_total);
		followed(x, state, res, c, g, &total);
		if (total > pick_total + 1e-9 * fabs(pick_total)) {
			pick = c;
			pick_total = total;
			pick_gain = g;
		}
		for (int64_t k = 0; k < n_rows(b); k++)
			mark[row_at(b, k)] = 1;
	}
	for (int64_t k = 0; k < n_rows(b); k++)
		mark[row_at(b, k)] = 0;
	*best = pick;
	*best_gain = pick_gain;
}

/* Measure every result on every row and choose causes (the rule above). */
static int cover(cover_plan *plan, fl_candidate *pool, int32_t n, const double *failure,
		 int64_t n_all, uint8_t *const *skip, int32_t top)
{
	size_t nn = (size_t)(n ? n : 1), na = (size_t)(n_all ? n_all : 1);
	fl_failure_summary *s = NULL;
	/* fl__sums of f / 2^e cannot overflow; a binary signal stays 0 / 1 */
	double *share = NULL, scale = fl__failure_scale(fl__failure_exponent(failure, n_all));
	uint8_t *covered = NULL;
	int64_t *rows = NULL;
	residual res;
	cover_in x = {pool, n, failure, n_all, skip, scale, fl_failure_is_binary(failure, n_all),
		      NULL, NULL, NULL};
	int rc;

	memset(plan, 0, sizeof *plan);
	if ((rc = fl_failure_summary_new(&s, failure, n_all)))
		return rc;
	rows = fl__malloc(na * sizeof *rows, "cause rows");
	covered = fl__calloc(na, 1, "cause rows");
	x.mark = fl__calloc(na, 1, "cause rows");
	x.state = fl__malloc(nn * sizeof *x.state, "causes");
	x.covered = fl__malloc(na, "cause rows");
	share = fl__calloc(nn, sizeof *share, "causes");
	plan->state = fl__calloc(nn, sizeof *plan->state, "causes");
	plan->owner = fl__malloc(nn * sizeof *plan->owner, "causes");
	plan->order = fl__malloc(nn * sizeof *plan->order, "causes");
	plan->jac = fl__calloc(nn, sizeof *plan->jac, "causes");
	plan->holds = fl__calloc(nn, sizeof *plan->holds, "causes");
	if (!rows || !covered || !x.mark || !x.state || !x.covered || !share || !plan->state ||
	    !plan->owner || !plan->order || !plan->jac || !plan->holds) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	res.covered = covered;
	res.skip = skip;
	residual_init(&res, failure, n_all, scale);
	for (int32_t c = 0; c < n && rc == FL_OK; c++) {
		plan->owner[c] = -1;
		if ((rc = measure(&pool[c], s, rows)) == FL_OK)
			pool[c].score = residual_gain(&pool[c], &res, failure, scale, x.binary);
	}
	while (rc == FL_OK && (top == 0 || plan->n_causes < top)) {
		double best_gain;
		int32_t best = best_free(&x, plan->state, &res, &best_gain), first = best;

		if (best < 0)
			break;
		if (diluted(pool, n, best, plan->state, skip, covered, failure, scale, &res.u[1],
			    x.mark)) {
			plan->state[best] = DILUTE; /* its purer parts are the causes */
			continue;
		}
		look_ahead(&x, plan->state, &res, &best, &best_gain);
		if (best != first && diluted(pool, n, best, plan->state, skip, covered, failure,
					     scale, &res.u[1], x.mark)) {
			plan->state[best] = DILUTE;
			continue;
		}
		pool[best].score = best_gain;
		plan->order[plan->n_causes++] = best;
		make_cause(&x, best, plan->state, &res, plan, share);
	}
cleanup:
	if (rc)
		plan_free(plan);
	fl_failure_summary_free(s);
	free(share);
	free(covered);
	free(x.mark);
	free(x.state);
	free(x.covered);
	free(rows);
	return rc;
}

const fl_slice_stats *fl_report__shown(const fl_candidate *c)
{
	return c->whole.size > 0 || n_rows(c) == 0 ? &c->whole : &c->stats;
}

int fl_report__measure(fl_report *r, const double *failure)
{
	fl_failure_summary *s = NULL;
	int64_t *rows = fl__malloc((size_t)(r->n ? r->n : 1) * sizeof *rows, "slice rows");
	int rc = rows ? fl_failure_summary_new(&s, failure, r->n) : FL_ENOMEM;

	for (int32_t i = 0; rc == FL_OK && i < r->n_slices; i++)
		rc = measure(&r->slices[i], s, rows);
	fl_failure_summary_free(s);
	free(rows);
	return rc;
}

int fl_report__set_round_skip(fl_report *r, int32_t round, const uint8_t *skip)
{
	uint8_t *copy;

	if (round < 2 || round > FL_REPORT_ROUNDS)
		return fl__error(FL_EINVAL, "search %d: searches are numbered 2 to %d", (int)round,
				 FL_REPORT_ROUNDS);
	if (!(copy = fl__malloc((size_t)(r->n ? r->n : 1), "rows of a search")))
		return FL_ENOMEM;
	memcpy(copy, skip, (size_t)r->n);
	free(r->round_skip[round]);
	r->round_skip[round] = copy;
	return FL_OK;
}

/* Predicates in a rule (its spec's "predicates" entries); INT32_MAX for a
 * result that is not a rule. */
static int32_t rule_length(const fl_candidate *c)
{
	int32_t k = 0;

	if (strcmp(c->method, "predicates") != 0 || !c->spec_json)
		return INT32_MAX;
	for (const char *q = c->spec_json; (q = strstr(q, "{\"column\":")) != NULL; q++)
		k++;
	return k;
}

/* A cause found both as a region and as a rule (a predicate result with
 * Jaccard >= AGAIN, or >= SAME holding AGAIN of the region's rows: the
 * region is a purer piece of the rule, as a cluster of the thickest
 * strokes in `stroke = thick`; or >= SAME with clusters grouped by their
 * shift, a guess the rule's words replace) is shown as the rule, in the
 * data's own terms, and as the shortest such rule (`rotation >= 45`, not
 * `rotation >= 45 AND patch = false`, when both hold the same rows): the
 * others become more findings of it. The cause keeps its gain. */
static void speak_plainly(cover_plan *plan, fl_candidate *pool, int32_t n)
{
	for (int32_t h = 0; h < plan->n_causes; h++) {
		int32_t head = plan->order[h], rule = -1, best = rule_length(&pool[head]);

		for (int32_t p = 0; p < n; p++)
			/* of the same search or an earlier one, replicated if the head
			 * is: its held-out confirmation is the cause's */
			if (plan->state[p] == PART && plan->owner[p] == h &&
			    (plan->jac[p] >= AGAIN ||
			     (plan->jac[p] >= SAME && (plan->holds[p] >= AGAIN ||
						       !strcmp(pool[head].method, "shift")))) &&
			    round_of(&pool[p]) <= round_of(&pool[head]) &&
			    pool[p].replicated >= pool[head].replicated &&
			    (rule_length(&pool[p]) < best ||
			     (rule >= 0 && rule_length(&pool[p]) == best && plan->jac[p] > plan->jac[rule]))) {
				rule = p;
				best = rule_length(&pool[p]);
			}
		if (rule < 0)
			continue;
		pool[rule].score = pool[head].score;
		plan->state[rule] = CAUSE;
		plan->state[head] = PART;
		plan->owner[head] = h;
		plan->jac[head] = plan->jac[rule];
		plan->order[h] = rule;
	}
}

int fl_report__cause_rows(fl_report *r, const double *failure, uint8_t *rows, int32_t *n_causes)
{
	cover_plan plan;
	int rc;

	*n_causes = 0;
	memset(rows, 0, (size_t)r->n);
	if ((rc = cover(&plan, r->slices, r->n_slices, failure, r->n, r->round_skip, 0)))
		return rc;
	speak_plainly(&plan, r->slices, r->n_slices);
	for (int32_t h = 0; h < plan.n_causes; h++) {
		const fl_candidate *c = &r->slices[plan.order[h]];

		if (c->has_holdout && !c->replicated)
			continue;
		for (int64_t k = 0; k < n_rows(c); k++)
			rows[row_at(c, k)] = 1;
		++*n_causes;
	}
	plan_free(&plan);
	return FL_OK;
}

/* A near-duplicate part is one more finding of its cause (fl_candidate.also). */
static int add_also(fl_candidate *cause, const fl_candidate *part, double jac)
{
	fl_source *a = realloc(cause->also, (size_t)(cause->n_also + 1) * sizeof *a);

	if (!a)
		return fl__error(FL_ENOMEM, "out of memory grouping causes");
	cause->also = a;
	fl_report__add_source(cause, part, jac);
	return FL_OK;
}

int fl_report_causes(fl_report *r, const double *failure, int32_t top)
{
	fl_candidate *pool = NULL, *causes = NULL;
	cover_plan plan = {0};
	int32_t n = 0, nc;
	int rc;

	if (!r || !failure || top < 0)
		return fl__error(FL_EINVAL, "causes need a report, the failure of every row and top >= 0");
	if (!(pool = flatten(r, &n)))
		return FL_ENOMEM;
	/* the pool owns every result now; they go back to the report below */
	free(r->slices);
	r->slices = pool;
	r->n_slices = r->cap_slices = n;
	if ((rc = cover(&plan, pool, n, failure, r->n, r->round_skip, top)))
		return rc;
	nc = plan.n_causes;
	speak_plainly(&plan, pool, n);
	if (!(causes = fl__calloc((size_t)(nc ? nc : 1), sizeof *causes, "causes")))
		goto nomem;
	for (int32_t h = 0; h < nc; h++) {
		int32_t k = 0;

		for (int32_t c = 0; c < n; c++)
			k += plan.state[c] == PART && plan.owner[c] == h;
		if (k && !(causes[h].parts = fl__calloc((size_t)k, sizeof *causes[h].parts, "cause parts")))
			goto nomem;
	}
	/* nothing fails from here on but the `also` records, which leave a
	 * cause whole either way */
	for (int32_t h = 0; h < nc; h++) {
		fl_candidate *parts = causes[h].parts, *c = &causes[h];

		*c = pool[plan.order[h]];
		c->parts = parts;
		c->n_parts = 0;
		/* a result that is the cause again is one more finding of it */
		for (int32_t p = 0; p < n; p++)
			if (plan.state[p] == PART && plan.owner[p] == h && plan.jac[p] >= SAME) {
				if (rc == FL_OK)
					rc = add_also(c, &pool[p], plan.jac[p]);
				fl_candidate_clear(&pool[p]);
			} else if (plan.state[p] == PART && plan.owner[p] == h) {
				parts[c->n_parts++] = pool[p];
			}
		if (c->n_parts > 1)
			qsort(parts, (size_t)c->n_parts, sizeof *parts, cmp_excess);
		/* the same rule found by two searches (its rows, its words) is one part */
		for (int32_t p = 1, k = 1; p <= c->n_parts; p++) {
			if (p == c->n_parts) {
				c->n_parts = k;
				break;
			}
			if (parts[p].description && parts[k - 1].description &&
			    n_rows(&parts[p]) == n_rows(&parts[k - 1]) &&
			    strcmp(parts[p].description, parts[k - 1].description) == 0)
				fl_candidate_clear(&parts[p]);
			else
				parts[k++] = parts[p];
		}
		while (c->n_parts > MAX_PARTS)
			fl_candidate_clear(&parts[--c->n_parts]);
		if (c->n_parts == 0) {
			free(parts);
			c->parts = NULL;
		}
	}
	for (int32_t c = 0; c < n; c++)
		if (plan.state[c] != CAUSE && !(plan.state[c] == PART && plan.owner[c] >= 0))
			fl_candidate_clear(&pool[c]);
	free(pool);
	r->slices = causes;
	r->n_slices = r->cap_slices = nc;
	plan_free(&plan);
	return rc;
nomem:
	for (int32_t h = 0; causes && h < nc; h++)
		free(causes[h].parts);
	free(causes);
	plan_free(&plan);
	return FL_ENOMEM;
}
