/*
 * Exact top-K slice search over metadata predicates: SliceLine (Sagadeeva
 * & Boehm, "SliceLine: Fast, Linear-Algebra-based Slice Finding for ML
 * Model Debugging", SIGMOD 2021), on bitsets instead of sparse matrices.
 *
 * Objective: the K conjunctions S of predicates on distinct columns, with
 * at most max_level predicates, that maximise
 *     sc(S) = alpha (e_S / e - 1) - (1 - alpha) (n / |S| - 1)
 * among the valid ones (|S| >= min_support, sc(S) > 0). Inputs: one bitset
 * per predicate (build.c) and the failure signal (>= 0). Output: the top-K
 * in a total order (score, level, predicate indices).
 *
 * Enumeration is SliceLine's: level L joins two kept slices of level L-1
 * sharing their first L-2 predicates (lexicographic order makes every
 * candidate come from exactly one pair), and a candidate is evaluated only
 * if all its L parents were kept. Kept = size >= min_support, failure sum
 * > 0 and an upper bound on the score of every descendant >= the K-th best
 * score so far. Each of these three fails for every descendant of a slice
 * once it fails for the slice, so nothing that could reach the top-K is
 * lost; the search is exact, not a heuristic.
 *
 * The predicates may overlap (a value, the sets holding it and negations
 * of one column: build.c); nothing here assumes they are disjoint. "At
 * most one predicate per column" (space.column: "label" and "predicted"
 * share one) is a rule of the language, kept by the join: a candidate
 * needs all its parents, and a parent with two predicates of one column
 * is never made, so only the last predicates of the two joined slices
 * need comparing. The language is fixed before the search (build.c orders
 * each column's values once), so "exact" means: exact over the conjunctions
 * of the listed predicates.
 *
 * The bound (fl_predicates__bound). Let T be any descendant of the
 * candidate (a conjunction containing all its predicates), so T is a subset
 * of each parent P. With failure >= 0:
 *     |T| <= s_ub = min_P |P|,   E_T <= e_ub = min_P E_P,
 *     max_T <= m_ub = min_P max_P,   so   E_T <= min(e_ub, |T| m_ub).
 * sc grows with E_T (alpha, e > 0), hence for t = |T| in [min_support, s_ub]
 *     sc(T) <= f(t) = alpha (min(e_ub, t m_ub) / (t e) - 1) - (1 - alpha) (n / t - 1).
 * For t <= e_ub / m_ub, f(t) = alpha (m_ub / e - 1) - (1 - alpha)(n / t - 1)
 * does not decrease with t. For t >= e_ub / m_ub,
 * f(t) = (alpha e_ub / e - (1 - alpha) n) / t + 1 - 2 alpha is monotone.
 * So the maximum over the interval (taking t real, which only loosens it)
 * is at t in {min_support, clamp(e_ub / m_ub, min_support, s_ub), s_ub}:
 * the bound is the largest f there. Only "T is a subset of each parent"
 * and "failure >= 0" were used: the bound holds for any predicates (sets,
 * negations, overlapping ones), whatever rows they select. This is SliceLine's bound with n the
 * number of rows in both the score and the bound; the reference
 * implementations put the number of one-hot columns in the bound, which
 * loosens it when that number is below n and breaks it when above.
 * A slice is pruned only when its bound is below the K-th score by more
 * than 1e-9 relative (rounding), and a slice whose bound is not below it
 * may still tie with the K-th and win on the order: both keep it.
 *
 * Bounded work. Only the first max_columns columns that give predicates
 * are read (build.c). Level 1 costs one pass over each predicate's bitset. A
 * level L >= 2 makes at most max_joins joins: when its parents would make
 * more (Sum over groups of g (g - 1) / 2; a table of 100k columns has a
 * million predicates, so half a million million joins at level 2), it
 * starts from the parents with the highest bound only, as many as keep the
 * joins within max_joins (ties: slice order), and says so in a note. The
 * parents left out are those least likely to reach the top-K; slices of
 * that level and deeper are then the best among the parents joined, not
 * the exact top-K. Memory is bounded by max_slices per level.
 *
 * Sizes are popcounts of ANDed bitsets. Failure sums: for a 0/1 signal a
 * popcount against the failure bitset (exact integers); otherwise a sum
 * over the set bits in row order, which makes every sum the same double a
 * row-by-row loop gives. Threads expand the slices of a level in blocks;
 * the block's results are merged into the top-K and the next level in
 * slice order, so the output does not depend on the thread count.
 */
#include "predicates_internal.h"
#include "stats/stats_internal.h"

#include <math.h>
#include <omp.h>
#include <stddef.h>
#include <string.h>

/* Hot loops get a clone using the POPCNT instruction where the CPU has it
 * (the default x86-64 target lacks it and calls a library routine); the
 * level's counts also a version counting 8 words an instruction where the
 * CPU has AVX-512's VPOPCNTQ (integer counts: the same sums). */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
#if !defined(__clang__) || __clang_major__ >= 14
#define FL_POPCNT_CLONES __attribute__((target_clones("popcnt", "default")))
#define FL_VPOPCNTQ 1
#include <immintrin.h>
#endif
#endif
#ifndef FL_POPCNT_CLONES
#define FL_POPCNT_CLONES
#endif

static int popcount64(uint64_t x)
{
	return __builtin_popcountll(x);
}

/* The arguments are never NaN here, so plain comparisons stand for fmin
 * and fmax (which GCC calls in libm: a third of the search's time). */
static inline double bound(double alpha, double n, double mean, double min_support,
			   double size_ub, double err_ub, double max_ub)
{
	double t[3], best = -INFINITY, r;

	if (size_ub < min_support || !(err_ub > 0) || !(max_ub > 0))
		return -INFINITY;
	r = err_ub / max_ub;
	r = r > min_support ? r : min_support;
	t[0] = min_support;
	t[1] = r < size_ub ? r : size_ub;
	t[2] = size_ub;
	for (int k = 0; k < 3; k++) {
		double e = t[k] * max_ub < err_ub ? t[k] * max_ub : err_ub;
		double f = alpha * (e / (t[k] * mean) - 1) - (1 - alpha) * (n / t[k] - 1);
		best = f > best ? f : best;
	}
	return best;
}

double fl_predicates__bound(double alpha, double n, double mean, double min_support,
			    double size_ub, double err_ub, double max_ub)
{
	return bound(alpha, n, mean, min_support, size_ub, err_ub, max_ub);
}

/* The slices of one level: count x level predicate (active) indices,
 * ascending within a slice, slices in lexicographic order. */
typedef struct {
	int32_t level;
	int64_t count, cap;
	int32_t *items;
	int64_t *size;
	double *err, *emax;
} level_set;

static void level_free(level_set *s)
{
	free(s->items);
	free(s->size);
	free(s->err);
	free(s->emax);
	memset(s, 0, sizeof *s);
}

static int level_push(level_set *s, const int32_t *prefix, int32_t last, int64_t size, double err,
		      double emax)
{
	if (s->count == s->cap) {
		int64_t cap = s->cap ? 2 * s->cap : 1024;
		int32_t *it = realloc(s->items, (size_t)(cap * s->level) * sizeof *it);
		if (it)
			s->items = it;
		int64_t *sz = realloc(s->size, (size_t)cap * sizeof *sz);
		if (sz)
			s->size = sz;
		double *er = realloc(s->err, (size_t)cap * sizeof *er);
		if (er)
			s->err = er;
		double *em = realloc(s->emax, (size_t)cap * sizeof *em);
		if (em)
			s->emax = em;
		if (!it || !sz || !er || !em)
			return fl__error(FL_ENOMEM, "out of memory keeping %lld slices of level %d",
					 (long long)cap, s->level);
		s->cap = cap;
	}
	int32_t *dst = s->items + s->count * s->level;
	if (s->level > 1)
		memcpy(dst, prefix, (size_t)(s->level - 1) * sizeof *dst);
	dst[s->level - 1] = last;
	s->size[s->count] = size;
	s->err[s->count] = err;
	s->emax[s->count] = emax;
	s->count++;
	return 0;
}

/* Open addressing over the slices of a level, keyed by their predicates. */
typedef struct {
	int32_t *slot; /* slice index, -1 = empty */
	uint64_t mask;
} tuple_hash;

static uint64_t hash_items(const int32_t *it, int32_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL;

	for (int32_t k = 0; k < len; k++) {
		h = (h ^ (uint32_t)it[k]) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	return h;
}

static int hash_build(tuple_hash *h, const level_set *s)
{
	uint64_t size = 16;

	while (size < 2 * (uint64_t)s->count)
		size *= 2;
	h->mask = size - 1;
	if (!(h->slot = fl__malloc(size * sizeof *h->slot, "slice lookup table")))
		return FL_ENOMEM;
	memset(h->slot, 0xff, size * sizeof *h->slot);
	for (int64_t i = 0; i < s->count; i++) {
		uint64_t k = hash_items(s->items + i * s->level, s->level) & h->mask;
		while (h->slot[k] >= 0)
			k = (k + 1) & h->mask;
		h->slot[k] = (int32_t)i;
	}
	return 0;
}

static int64_t hash_find(const tuple_hash *h, const level_set *s, const int32_t *it)
{
	uint64_t k = hash_items(it, s->level) & h->mask;

	for (; h->slot[k] >= 0; k = (k + 1) & h->mask)
		if (!memcmp(s->items + (int64_t)h->slot[k] * s->level, it, (size_t)s->level * sizeof *it))
			return h->slot[k];
	return -1;
}

/* The K best slices so far, best first, in the result's total order. */
typedef struct {
	int32_t k, count, maxl;
	int32_t *items, *level; /* k x maxl, k */
	int64_t *size;
	double *err, *emax, *score;
} topk;

/* <0 when slice a (score sa, level la, items ia) goes before b */
static int order(double sa, int32_t la, const int32_t *ia, double sb, int32_t lb, const int32_t *ib)
{
	if (sa != sb)
		return sa > sb ? -1 : 1;
	if (la != lb)
		return la < lb ? -1 : 1;
	for (int32_t j = 0; j < la; j++)
		if (ia[j] != ib[j])
			return ia[j] < ib[j] ? -1 : 1;
	return 0;
}

static void topk_offer(topk *t, const int32_t *items, int32_t level, int64_t size, double err,
		       double emax, double score)
{
	int32_t pos = t->count;

	while (pos > 0 && order(score, level, items, t->score[pos - 1], t->level[pos - 1],
				t->items + (pos - 1) * t->maxl) < 0)
		pos--;
	if (pos >= t->k)
		return;
	int32_t last = t->count < t->k ? t->count : t->k - 1;
	for (int32_t j = last; j > pos; j--) {
		memcpy(t->items + j * t->maxl, t->items + (j - 1) * t->maxl, (size_t)t->maxl * sizeof(int32_t));
		t->level[j] = t->level[j - 1];
		t->size[j] = t->size[j - 1];
		t->err[j] = t->err[j - 1];
		t->emax[j] = t->emax[j - 1];
		t->score[j] = t->score[j - 1];
	}
	memcpy(t->items + pos * t->maxl, items, (size_t)level * sizeof(int32_t));
	t->level[pos] = level;
	t->size[pos] = size;
	t->err[pos] = err;
	t->emax[pos] = emax;
	t->score[pos] = score;
	if (t->count < t->k)
		t->count++;
}

/* Prune below this: the K-th score (0 while fewer than K valid slices are
 * known, since a valid score is > 0), less a rounding margin. */
static double topk_threshold(const topk *t)
{
	double tau = t->count == t->k ? t->score[t->k - 1] : 0;

	return tau - 1e-9 * fmax(1.0, fabs(tau));
}

/* Everything the workers read. */
typedef struct {
	const fl_pred_space *sp;
	const double *failure;
	const uint64_t *fbits; /* 0/1 signal: the failing rows; else NULL */
	double alpha, n, mean, minsup;
	int32_t max_level;
} ctx;

/* One evaluated extension of a slice. */
typedef struct {
	int32_t last;       /* the predicate added */
	int32_t keep;       /* a parent of the next level */
	int32_t valid;      /* to offer to the top-K */
	int64_t size;
	double err, emax, score;
} child;

/* One per thread; padded to its own cache lines (threads update len and
 * the counters all the time). */
typedef struct {
	child *c;
	int64_t len, cap;
	int64_t evaluated, pruned;
	uint64_t *base, *basef; /* scratch: the parent's bits, and those & failing */
	char pad[128 - 7 * 8];
} worker;

FL_POPCNT_CLONES
static void count_words(const uint64_t *a, const uint64_t *af, const uint64_t *b, int64_t words,
			int64_t *size, int64_t *err)
{
	int64_t s = 0, e = 0;

	for (int64_t w = 0; w < words; w++) {
		s += popcount64(a[w] & b[w]);
		e += popcount64(af[w] & b[w]);
	}
	*size = s;
	*err = e;
}

#ifdef FL_VPOPCNTQ
__attribute__((target("popcnt,avx512f,avx512vpopcntdq")))
static void count_words_512(const uint64_t *a, const uint64_t *af, const uint64_t *b, int64_t words,
			    int64_t *size, int64_t *err)
{
	__m512i s = _mm512_setzero_si512(), e = _mm512_setzero_si512();
	int64_t w = 0, ss, ee;

	for (; w + 8 <= words; w += 8) {
		__m512i bw = _mm512_loadu_si512(b + w);

		s = _mm512_add_epi64(s, _mm512_popcnt_epi64(_mm512_and_si512(_mm512_loadu_si512(a + w), bw)));
		e = _mm512_add_epi64(e, _mm512_popcnt_epi64(_mm512_and_si512(_mm512_loadu_si512(af + w), bw)));
	}
	count_words(a + w, af + w, b + w, words - w, &ss, &ee); /* the last words */
	*size = ss + _mm512_reduce_add_epi64(s);
	*err = ee + _mm512_reduce_add_epi64(e);
}
#endif

int fl_predicates__plain_counts;

/* size = |a AND b|, err = |af AND b| */
static void count_binary(const uint64_t *a, const uint64_t *af, const uint64_t *b, int64_t words,
			 int64_t *size, int64_t *err)
{
#ifdef FL_VPOPCNTQ
	if (!fl_predicates__plain_counts && __builtin_cpu_supports("avx512vpopcntdq")) {
		count_words_512(a, af, b, words, size, err);
		return;
	}
#endif
	count_words(a, af, b, words, size, err);
}

FL_POPCNT_CLONES
static void count_sum(const uint64_t *a, const uint64_t *b, int64_t words, const double *f,
		      int64_t *size, double *err, double *emax)
{
	int64_t s = 0;
	double e = 0, m = 0;

	for (int64_t w = 0; w < words; w++) {
		uint64_t x = a ? a[w] & b[w] : b[w];
		s += popcount64(x);
		while (x) {
			double v = f[w * 64 + __builtin_ctzll(x)];
			e += v;
			m = v > m ? v : m;
			x &= x - 1;
		}
	}
	*size = s;
	*err = e;
	*emax = m;
}

/* size, failure sum and largest failure of (a AND b); a may be NULL */
static void evaluate(const ctx *c, const uint64_t *a, const uint64_t *af, const uint64_t *b,
		     int64_t *size, double *err, double *emax)
{
	if (c->fbits) {
		int64_t s, e;
		if (a) {
			count_binary(a, af, b, c->sp->words, &s, &e);
		} else {
			count_binary(b, c->fbits, b, c->sp->words, &s, &e);
		}
		*size = s;
		*err = (double)e;
		*emax = e > 0 ? 1 : 0;
	} else {
		count_sum(a, b, c->sp->words, c->failure, size, err, emax);
	}
}

static int worker_push(worker *w, const child *ch)
{
	if (w->len == w->cap) {
		int64_t cap = w->cap ? 2 * w->cap : 256;
		child *nc = realloc(w->c, (size_t)cap * sizeof *nc);
		if (!nc)
			return -1;
		w->c = nc;
		w->cap = cap;
	}
	w->c[w->len++] = *ch;
	return 0;
}

/* Expand slice i of prev: its joins with slices i+1 .. gend-1 (same first
 * L-2 predicates). Appends the children worth keeping to w. */
static int expand(const ctx *c, const level_set *prev, const tuple_hash *h, int64_t i, int64_t gend,
		  double thr, worker *w)
{
	const fl_pred_space *sp = c->sp;
	int32_t L = prev->level + 1, lp = prev->level;
	const int32_t *A = prev->items + i * lp;
	int64_t words = sp->words;
	int32_t tuple[64];
	int64_t evaluated = 0, pruned = 0;
	const uint64_t *base = NULL, *basef = NULL;

	if (i + 1 >= gend)
		return 0; /* last of its group: nothing to join */
	/* the parent's rows: one predicate at level 1, else an AND */
	if (lp == 1) {
		base = sp->bits + (size_t)A[0] * (size_t)words;
	} else {
		const uint64_t *p0 = sp->bits + (size_t)A[0] * (size_t)words;
		memcpy(w->base, p0, (size_t)words * sizeof *w->base);
		for (int32_t k = 1; k < lp; k++) {
			const uint64_t *pk = sp->bits + (size_t)A[k] * (size_t)words;
			for (int64_t q = 0; q < words; q++)
				w->base[q] &= pk[q];
		}
		base = w->base;
	}
	if (c->fbits) {
		for (int64_t q = 0; q < words; q++)
			w->basef[q] = base[q] & c->fbits[q];
		basef = w->basef;
	}
	for (int64_t j = i + 1; j < gend; j++) {
		int32_t y = prev->items[j * lp + lp - 1];
		double s_ub, e_ub, m_ub;
		child ch;

		if (sp->column[A[lp - 1]] == sp->column[y])
			continue; /* two predicates of one column: not in the language */
		s_ub = (double)(prev->size[i] < prev->size[j] ? prev->size[i] : prev->size[j]);
		e_ub = prev->err[i] < prev->err[j] ? prev->err[i] : prev->err[j];
		m_ub = prev->emax[i] < prev->emax[j] ? prev->emax[i] : prev->emax[j];
		if (bound(c->alpha, c->n, c->mean, c->minsup, s_ub, e_ub, m_ub) < thr) {
			pruned++;
			continue;
		}
		if (L >= 3) {
			/* the other parents: A without its k-th predicate, plus y */
			int missing = 0;
			for (int32_t k = 0; k < lp - 1 && !missing; k++) {
				int32_t q = 0;
				for (int32_t r = 0; r < lp; r++)
					if (r != k)
						tuple[q++] = A[r];
				tuple[q] = y;
				int64_t p = hash_find(h, prev, tuple);
				if (p < 0) {
					missing = 1;
					break;
				}
				s_ub = fmin(s_ub, (double)prev->size[p]);
				e_ub = fmin(e_ub, prev->err[p]);
				m_ub = fmin(m_ub, prev->emax[p]);
			}
			if (missing || bound(c->alpha, c->n, c->mean, c->minsup, s_ub, e_ub, m_ub) < thr) {
				pruned++;
				continue;
			}
		}
		evaluated++;
		evaluate(c, base, basef, sp->bits + (size_t)y * (size_t)words, &ch.size, &ch.err, &ch.emax);
		ch.last = y;
		ch.score = ch.size > 0 ? fl_predicates__score(c->alpha, ch.err, (double)ch.size, c->n, c->mean)
				       : -INFINITY;
		ch.valid = (double)ch.size >= c->minsup && ch.score > 0 && ch.score >= thr;
		ch.keep = L < c->max_level &&
			  bound(c->alpha, c->n, c->mean, c->minsup, (double)ch.size, ch.err, ch.emax) >= thr;
		if ((ch.valid || ch.keep) && worker_push(w, &ch))
			return FL_ENOMEM;
	}
	w->evaluated += evaluated;
	w->pruned += pruned;
	return 0;
}

typedef struct {
	int32_t thread;
	int64_t off, len;
} unit_out;

/* Level prev->level + 1 from prev: fills next (when not the last level)
 * and the top-K. *stopped = 1 when next would exceed max_slices. */
static int run_level(const ctx *c, const fl_predicate_opts *o, int32_t nthreads, const level_set *prev,
		     level_set *next, topk *top, int64_t *evaluated, int64_t *pruned, int *stopped)
{
	int32_t L = prev->level + 1, lp = prev->level;
	int64_t m = prev->count, *gend = NULL;
	tuple_hash h = {NULL, 0};
	worker *ws = NULL;
	unit_out *uo = NULL;
	char stage[48];
	double last_report = omp_get_wtime();
	int rc = 0;
	const int64_t block_pairs = 1 << 16, max_units = 4096;

	snprintf(stage, sizeof stage, "predicates level=%d", L);
	if ((rc = fl__progress(o->progress, o->progress_user, stage, 0, m)) != 0)
		return rc;
	gend = fl__malloc((size_t)m * sizeof *gend, "slice groups");
	ws = fl__calloc((size_t)nthreads, sizeof *ws, "search threads");
	uo = fl__malloc((size_t)max_units * sizeof *uo, "search blocks");
	if (!gend || !ws || !uo || (L >= 3 && (rc = hash_build(&h, prev)) != 0)) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int32_t t = 0; t < nthreads; t++) {
		ws[t].base = fl__malloc((size_t)c->sp->words * sizeof(uint64_t), "search scratch");
		ws[t].basef = fl__malloc((size_t)c->sp->words * sizeof(uint64_t), "search scratch");
		if (!ws[t].base || !ws[t].basef) {
			rc = FL_ENOMEM;
			goto cleanup;
		}
	}
	/* groups: runs of slices sharing their first L-2 predicates */
	for (int64_t i = m - 1; i >= 0; i--)
		gend[i] = i + 1 < m && !memcmp(prev->items + i * lp, prev->items + (i + 1) * lp,
					       (size_t)(lp - 1) * sizeof(int32_t))
				  ? gend[i + 1] : i + 1;

	for (int64_t u0 = 0, u1; u0 < m && rc == 0; u0 = u1) {
		int64_t pairs = 0;
		double thr = topk_threshold(top);
		int failed = 0;

		/* a block: whole slices, about block_pairs joins (fixed by the data) */
		for (u1 = u0; u1 < m && u1 - u0 < max_units && pairs < block_pairs; u1++)
			pairs += gend[u1] - u1 - 1;
		for (int32_t t = 0; t < nthreads; t++)
			ws[t].len = 0;
#pragma omp parallel for num_threads(nthreads) schedule(dynamic, 1)
		for (int64_t u = u0; u < u1; u++) {
			worker *w = &ws[omp_get_thread_num()];
			int64_t start = w->len;
			if (expand(c, prev, &h, u, gend[u], thr, w) != 0) {
#pragma omp atomic write
				failed = 1;
			}
			uo[u - u0] = (unit_out){omp_get_thread_num(), start, w->len - start};
		}
		if (failed) {
			rc = fl__error(FL_ENOMEM, "out of memory evaluating slices of level %d", L);
			break;
		}
		/* merge in slice order: the same top-K and next level for any threads */
		for (int64_t u = u0; u < u1 && rc == 0; u++) {
			const child *ch = ws[uo[u - u0].thread].c + uo[u - u0].off;
			const int32_t *A = prev->items + u * lp;
			int32_t items[64];
			memcpy(items, A, (size_t)lp * sizeof *items);
			for (int64_t q = 0; q < uo[u - u0].len && rc == 0; q++) {
				items[lp] = ch[q].last;
				if (ch[q].valid)
					topk_offer(top, items, L, ch[q].size, ch[q].err, ch[q].emax, ch[q].score);
				if (!ch[q].keep || *stopped)
					continue;
				if (next->count >= o->max_slices)
					*stopped = 1;
				else
					rc = level_push(next, A, ch[q].last, ch[q].size, ch[q].err, ch[q].emax);
			}
		}
		if (rc == 0 && o->progress && omp_get_wtime() - last_report > 0.25) {
			rc = fl__progress(o->progress, o->progress_user, stage, u1, m);
			last_report = omp_get_wtime();
		}
	}
	for (int32_t t = 0; t < nthreads; t++) {
		*evaluated += ws[t].evaluated;
		*pruned += ws[t].pruned;
	}
	if (rc == 0)
		rc = fl__progress(o->progress, o->progress_user, stage, m, m);
cleanup:
	for (int32_t t = 0; ws && t < nthreads; t++) {
		free(ws[t].c);
		free(ws[t].base);
		free(ws[t].basef);
	}
	free(ws);
	free(uo);
	free(gend);
	free(h.slot);
	return rc;
}

/* The joins of the level after s: pairs of slices of s sharing their
 * first s->level - 1 predicates (saturating at INT64_MAX). */
static int64_t count_joins(const level_set *s)
{
	int64_t joins = 0, lp = s->level;

	for (int64_t i = 0, e; i < s->count; i = e) {
		for (e = i + 1; e < s->count && !memcmp(s->items + i * lp, s->items + e * lp,
						       (size_t)(lp - 1) * sizeof(int32_t)); e++)
			;
		int64_t g = e - i, add = g % 2 ? (g - 1) / 2 * g : g / 2 * (g - 1);
		joins = add > INT64_MAX - joins ? INT64_MAX : joins + add;
	}
	return joins;
}

/* When the parents in prev would make more than max_joins joins, keep the
 * ones with the highest bound (ties: slice order) while the joins stay
 * within max_joins, in their order, and note how many were left out. */
static int limit_joins(const ctx *c, const fl_predicate_opts *o, fl_predicate_result *r,
		       level_set *prev)
{
	int64_t joins = count_joins(prev), m = prev->count, lp = prev->level, kept = 0, made = 0;
	int64_t *group = NULL, *taken = NULL;
	fl_f64_row *rank = NULL;
	unsigned char *keep = NULL;
	int rc = 0;

	if (joins <= o->max_joins)
		return 0;
	group = fl__malloc((size_t)m * sizeof *group, "slice groups");
	taken = fl__calloc((size_t)m, sizeof *taken, "slice groups");
	rank = fl__malloc((size_t)m * sizeof *rank, "slice bounds");
	keep = fl__calloc((size_t)m, 1, "slice bounds");
	if (!group || !taken || !rank || !keep) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int64_t i = 0; i < m; i++) {
		group[i] = i > 0 && !memcmp(prev->items + (i - 1) * lp, prev->items + i * lp,
					   (size_t)(lp - 1) * sizeof(int32_t)) ? group[i - 1] : i;
		rank[i] = (fl_f64_row){-fl_predicates__bound(c->alpha, c->n, c->mean, c->minsup,
							     (double)prev->size[i], prev->err[i],
							     prev->emax[i]), i};
	}
	qsort(rank, (size_t)m, sizeof *rank, fl__cmp_f64_row);
	/* a parent joins every parent already taken in its group */
	for (; kept < m && made + taken[group[rank[kept].row]] <= o->max_joins; kept++) {
		made += taken[group[rank[kept].row]]++;
		keep[rank[kept].row] = 1;
	}
	for (int64_t i = 0, j = 0; i < m; i++) {
		if (!keep[i])
			continue;
		memmove(prev->items + j * lp, prev->items + i * lp, (size_t)lp * sizeof(int32_t));
		prev->size[j] = prev->size[i];
		prev->err[j] = prev->err[i];
		prev->emax[j] = prev->emax[i];
		j++;
	}
	prev->count = kept;
	rc = fl_predicates__note(r, o, "level %d: the %lld slices of level %d would make %lld joins "
				 "(more than max_joins, %lld): joined the %lld with the highest score "
				 "bound, left out %lld; slices of level %d and above are the best among "
				 "those, not an exact top-K", (int)lp + 1, (long long)m, (int)lp,
				 (long long)joins, (long long)o->max_joins, (long long)kept,
				 (long long)(m - kept), (int)lp + 1);
cleanup:
	free(group);
	free(taken);
	free(rank);
	free(keep);
	return rc;
}

/* Level 1: every usable predicate is evaluated; those that may have a
 * descendant in the top-K become the first parents. */
static int first_level(const ctx *c, level_set *next, topk *top, int64_t *evaluated)
{
	const fl_pred_space *sp = c->sp;
	int64_t *size = NULL;
	double *err = NULL, *emax = NULL, thr;
	int rc = 0;

	size = fl__malloc((size_t)sp->n_active * sizeof *size, "level 1");
	err = fl__malloc((size_t)sp->n_active * sizeof *err, "level 1");
	emax = fl__malloc((size_t)sp->n_active * sizeof *emax, "level 1");
	if (!size || !err || !emax) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int32_t a = 0; a < sp->n_active; a++) {
		evaluate(c, NULL, NULL, sp->bits + (size_t)a * (size_t)sp->words, &size[a], &err[a], &emax[a]);
		double score = fl_predicates__score(c->alpha, err[a], (double)size[a], c->n, c->mean);
		if ((double)size[a] >= c->minsup && score > 0)
			topk_offer(top, &a, 1, size[a], err[a], emax[a], score);
	}
	*evaluated += sp->n_active;
	thr = topk_threshold(top);
	for (int32_t a = 0; a < sp->n_active && c->max_level > 1 && rc == 0; a++)
		if (fl_predicates__bound(c->alpha, c->n, c->mean, c->minsup, (double)size[a], err[a],
					 emax[a]) >= thr)
			rc = level_push(next, NULL, a, size[a], err[a], emax[a]);
cleanup:
	free(size);
	free(err);
	free(emax);
	return rc;
}

static int validate(const fl_table *t, const double *failure, const fl_predicate_opts *o)
{
	int64_t n = fl_table_rows(t), cols = fl_table_cols(t);

	if (o->version != FL_PREDICATE_OPTS_VERSION)
		return fl__error(FL_EINVAL, "predicate search: unknown options version %d", o->version);
	if (!(o->alpha > 0 && o->alpha <= 1))
		return fl__error(FL_EINVAL, "predicate search: alpha = %g outside (0, 1]", o->alpha);
	if (o->max_level < 1 || o->max_level > 64)
		return fl__error(FL_EINVAL, "predicate search: max level %d outside [1, 64]", o->max_level);
	if (o->min_support < 0 || !(o->min_support_frac >= 0 && o->min_support_frac <= 1))
		return fl__error(FL_EINVAL, "predicate search: min support %lld / fraction %g: need a "
				 "count >= 0 and a fraction in [0, 1]", (long long)o->min_support,
				 o->min_support_frac);
	if (o->bins < 2 || o->bins > 256)
		return fl__error(FL_EINVAL, "predicate search: bins = %d outside [2, 256]", o->bins);
	if (o->top < 1 || o->max_levels_per_column < 1 || o->threads < 0 || o->n_skip < 0 ||
	    (o->n_skip > 0 && !o->skip_cols) || o->max_slices < 1 || o->max_slices > INT32_MAX ||
	    o->max_joins < 1 || o->max_columns < 1)
		return fl__error(FL_EINVAL, "predicate search: invalid options (top %d, max levels per "
				 "column %d, threads %d, %d columns to skip, max slices %lld, max joins "
				 "%lld, max columns %d)", o->top, o->max_levels_per_column, o->threads,
				 o->n_skip, (long long)o->max_slices, (long long)o->max_joins,
				 o->max_columns);
	for (int32_t k = 0; k < o->n_skip; k++)
		if (o->skip_cols[k] < 0 || o->skip_cols[k] >= cols)
			return fl__error(FL_EINVAL, "predicate search: column %lld to skip is outside the "
					 "table's %lld columns", (long long)o->skip_cols[k], (long long)cols);
	if ((unsigned)o->language > FL_PRED_LANG_SLICELINE || o->max_set < 1 || o->max_set > 64)
		return fl__error(FL_EINVAL, "predicate search: language %d (0 rich, 1 SliceLine), most "
				 "values in a set %d (1 to 64)", (int)o->language, o->max_set);
	for (int64_t c = 0; o->cut_table && o->language == FL_PRED_LANG_RICH && c < cols; c++)
		if (fl_table_cols(o->cut_table) != cols ||
		    strcmp(fl_table_col_name(o->cut_table, c), fl_table_col_name(t, c)) != 0 ||
		    fl_table_col_type(o->cut_table, c) != fl_table_col_type(t, c))
			return fl__error(FL_EINVAL, "predicate search: the table of the cuts has other "
					 "columns than the one searched (column %lld)", (long long)c);
	for (int64_t r = 0; r < n; r++)
		if (!isfinite(failure[r]) || failure[r] < 0)
			return fl__error(FL_ERANGE, "failure signal: row %lld: %s%s", (long long)r,
					 isnan(failure[r]) ? "NaN" : !isfinite(failure[r]) ? "infinite" :
					 "negative value", failure[r] < 0 && isfinite(failure[r]) ?
					 " (predicate search needs failure >= 0: shift the signal)" : "");
	return 0;
}

void fl_predicate_result_free(fl_predicate_result *r)
{
	if (!r)
		return;
	for (int32_t i = 0; i < r->n_preds; i++) {
		free(r->preds[i].text);
		free(r->preds[i].codes);
	}
	for (int32_t i = 0; i < r->n_slices; i++)
		free(r->slices[i].preds);
	for (int32_t i = 0; i < r->n_notes; i++)
		free(r->notes[i]);
	free(r->preds);
	free(r->slices);
	free(r->notes);
	free(r);
}

/* e: the failure was searched as failure / 2^e; sums are given back in its units */
static int take_top(fl_predicate_result *r, const topk *top, const fl_pred_space *sp, int e)
{
	if (!top->count)
		return 0;
	if (!(r->slices = fl__calloc((size_t)top->count, sizeof *r->slices, "slices")))
		return FL_ENOMEM;
	for (int32_t i = 0; i < top->count; i++) {
		fl_predicate_slice *s = &r->slices[i];
		if (!(s->preds = fl__malloc((size_t)top->level[i] * sizeof *s->preds, "slice predicates")))
			return FL_ENOMEM;
		r->n_slices++;
		s->n_preds = top->level[i];
		for (int32_t j = 0; j < s->n_preds; j++)
			s->preds[j] = sp->pred[top->items[i * top->maxl + j]];
		s->size = top->size[i];
		s->error_sum = ldexp(top->err[i], e);
		s->error_max = ldexp(top->emax[i], e);
		s->score = top->score[i];
	}
	return 0;
}

int fl_predicates_search(fl_predicate_result **out, const fl_table *t, const double *failure,
			 const fl_predicate_opts *opts)
{
	return fl_predicates__search(out, t, failure, opts, NULL);
}

int fl_predicates__search(fl_predicate_result **out, const fl_table *t, const double *failure,
			  const fl_predicate_opts *opts, fl_pred_cuts *cuts)
{
	static const fl_predicate_opts defaults = FL_PREDICATE_OPTS_INIT;
	const fl_predicate_opts *o = opts ? opts : &defaults;
	fl_predicate_opts v2 = FL_PREDICATE_OPTS_INIT;
	fl_predicate_result *r = NULL;
	fl_pred_space sp = {0};
	level_set prev = {0}, next = {0};
	uint64_t *fbits = NULL;
	topk top = {0};
	int64_t n, minsup;
	double total = 0, *fs = NULL;
	int rc, stopped = 0, e;

	if (!out)
		return fl__error(FL_EINVAL, "no place for the search's result (out is NULL)");
	*out = NULL;
	if (!t || (fl_table_rows(t) > 0 && !failure))
		return fl__error(FL_EINVAL, "the predicate search needs metadata and a failure signal");
	if (o->version == 1) { /* the options before `language`: SliceLine's language */
		memcpy(&v2, o, offsetof(fl_predicate_opts, language));
		v2.version = FL_PREDICATE_OPTS_VERSION;
		v2.language = FL_PRED_LANG_SLICELINE;
		o = &v2;
	}
	/* SliceLine's language: the columns of the file, as they were */
	if (o->language == FL_PRED_LANG_SLICELINE)
		t = fl_table_base(t);
	if ((rc = validate(t, failure, o)) != 0)
		return rc;
	n = fl_table_rows(t);
	if (!(r = fl__calloc(1, sizeof *r, "predicate result")))
		return FL_ENOMEM;
	minsup = o->min_support > 0 ? o->min_support : (int64_t)ceil(o->min_support_frac * (double)n);
	minsup = minsup < 1 ? 1 : minsup;
	r->n_rows = n;
	r->min_support = minsup;
	/* the search runs on failure / 2^e (largest value in [1, 2)): sums of
	 * any finite signal are finite, and the scores are the same bits as
	 * the unscaled ones (a power of two cancels in every ratio) */
	e = fl__failure_exponent(failure, n);
	if (e != 0) {
		double sc = fl__failure_scale(e);
		if (!(fs = fl__malloc((size_t)n * sizeof *fs, "scaled failure"))) {
			fl_predicate_result_free(r);
			return FL_ENOMEM;
		}
		for (int64_t i = 0; i < n; i++)
			fs[i] = failure[i] * sc;
	}
	for (int64_t i = 0; i < n; i++)
		total += fs ? fs[i] : failure[i];
	r->mean_failure = n ? ldexp(total / (double)n, e) : NAN;
	if (n == 0) {
		rc = fl_predicates__note(r, o, "the table has no rows: no slice");
		goto done;
	}
	if ((rc = fl_predicates__build(r, &sp, t, fs ? fs : failure, o, minsup, cuts)) != 0)
		goto done;
	if (total == 0) {
		rc = fl_predicates__note(r, o, "the failure signal is 0 on every row: no slice");
		goto done;
	}
	if (sp.n_active == 0) {
		rc = fl_predicates__note(r, o, "no predicate holds between %lld and %lld rows: no slice",
					 (long long)minsup, (long long)(n - 1));
		goto done;
	}
	if (fl_failure_is_binary(failure, n)) {
		if (!(fbits = fl__calloc((size_t)sp.words, sizeof *fbits, "failure bitset"))) {
			rc = FL_ENOMEM;
			goto done;
		}
		for (int64_t i = 0; i < n; i++)
			if (failure[i] == 1)
				fbits[i >> 6] |= 1ULL << (i & 63);
	}
	ctx c = {&sp, fs ? fs : failure, fbits, o->alpha, (double)n, total / (double)n, (double)minsup,
		 o->max_level};
	top.k = o->top;
	top.maxl = o->max_level;
	top.items = fl__malloc((size_t)top.k * (size_t)top.maxl * sizeof(int32_t), "top slices");
	top.level = fl__malloc((size_t)top.k * sizeof(int32_t), "top slices");
	top.size = fl__malloc((size_t)top.k * sizeof(int64_t), "top slices");
	top.err = fl__malloc((size_t)top.k * sizeof(double), "top slices");
	top.emax = fl__malloc((size_t)top.k * sizeof(double), "top slices");
	top.score = fl__malloc((size_t)top.k * sizeof(double), "top slices");
	if (!top.items || !top.level || !top.size || !top.err || !top.emax || !top.score) {
		rc = FL_ENOMEM;
		goto done;
	}
	int32_t nthreads = o->threads ? o->threads : omp_get_max_threads();
	next.level = 1;
	if ((rc = first_level(&c, &next, &top, &r->evaluated[0])) != 0)
		goto done;
	r->levels_done = 1;
	for (int32_t L = 2; L <= o->max_level && next.count > 1 && !stopped; L++) {
		level_free(&prev);
		prev = next;
		memset(&next, 0, sizeof next);
		next.level = L;
		int32_t slot = L <= 8 ? L - 1 : 7;
		if ((rc = limit_joins(&c, o, r, &prev)) != 0 ||
		    (rc = run_level(&c, o, nthreads, &prev, &next, &top, &r->evaluated[slot],
				    &r->pruned[slot], &stopped)) != 0)
			goto done;
		r->levels_done = L;
		if (stopped)
			rc = fl_predicates__note(r, o, "search stopped after level %d: level %d would start "
						 "from more than %lld slices (raise min support, lower "
						 "the max level, or raise max_slices); the top slices "
						 "are exact up to level %d", L, L + 1,
						 (long long)o->max_slices, L);
	}
	if (rc == 0)
		rc = take_top(r, &top, &sp, e);
done:
	level_free(&prev);
	level_free(&next);
	fl_predicates__space_free(&sp);
	free(fbits);
	free(fs);
	free(top.items);
	free(top.level);
	free(top.size);
	free(top.err);
	free(top.emax);
	free(top.score);
	if (rc != 0) {
		fl_predicate_result_free(r);
		return rc;
	}
	*out = r;
	return 0;
}
