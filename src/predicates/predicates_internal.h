/*
 * Shared between the files of src/predicates and their tests: the bitset
 * space of usable predicates (build.c), the score and its bound (search.c).
 */
#ifndef FL_PREDICATES_INTERNAL_H
#define FL_PREDICATES_INTERNAL_H

#include "common/internal.h"

/* The usable ("active") predicates: those with min_support <= size < n.
 * Bitset a covers words 64-bit words at bits + a * words; bit r of the
 * set is (word r / 64) >> (r % 64). Bits past n are zero. */
typedef struct fl_pred_space {
	int64_t n, words;
	int32_t n_active;
	uint64_t *bits;   /* n_active x words */
	int32_t *column;  /* active -> its column for the search: two predicates of one
	                     column never meet in a slice (the derived "predicted" column
	                     has the "label" column's, unless label_with_predicted) */
	int32_t *pred;    /* active -> index into fl_predicate_result.preds (increasing) */
} fl_pred_space;

/* Nonzero: the search counts with the plain loop even where the CPU has
 * AVX-512's VPOPCNTQ (search.c; for the tests, which run both). */
extern int fl_predicates__plain_counts;

/* A numeric column's cuts, from the values of the cut table (o->cut_table,
 * else the table searched) and o->bins: the same for every search of rows
 * of that table, so the covering's searches compute them once. */
typedef struct fl_pred_cut {
	int done;
	int32_t nb, as_values; /* bins; as_values: one predicate a value (nb values) */
	double edges[256];     /* the values, or the nb - 1 cuts */
	char cut[256][40];     /* the cuts as text */
} fl_pred_cut;

typedef struct fl_pred_cuts {
	const fl_table *table; /* the cut table they come from */
	int32_t bins;
	int64_t cols;
	fl_pred_cut *col;      /* cols entries, each filled on first use */
} fl_pred_cuts;

/* Build r->preds and r->notes from the table and the bitsets of the active
 * predicates; notes also go to o->note. failure (n values >= 0, any
 * positive scale) orders the values of a column for its sets. cuts (may be
 * NULL): the numeric columns' cuts, kept between searches with the same cut
 * table and bins. */
int fl_predicates__build(fl_predicate_result *r, fl_pred_space *sp, const fl_table *t,
			 const double *failure, const fl_predicate_opts *o, int64_t min_support,
			 fl_pred_cuts *cuts);

/* fl_predicates_search with the numeric columns' cuts kept in cuts (may be
 * NULL) between calls (search.c). */
int fl_predicates__search(fl_predicate_result **out, const fl_table *t, const double *failure,
			  const fl_predicate_opts *opts, fl_pred_cuts *cuts);
void fl_predicates__space_free(fl_pred_space *sp);

/* Append a note to r (and pass it to o->note). */
int fl_predicates__note(fl_predicate_result *r, const fl_predicate_opts *o, const char *fmt, ...)
	FL_PRINTF(3, 4);

/* Shortest decimal text of a finite double that reads back as the same
 * double ('.' whatever the locale); buf of at least 32 bytes. */
void fl_predicates__fmt(char *buf, size_t len, double x);

/* bits[0..words) &= the rows of t that p holds (bit r: row r): as
 * fl_predicate_match row by row, the column looked up once. */
void fl_predicates__keep(uint64_t *bits, int64_t words, const fl_predicate *p, const fl_table *t);

/* The rows of t (ascending) that every one of p[0..n) holds: *out, owned,
 * NULL when none (build.c). */
int fl_predicates__rows(int64_t **out, int64_t *n_out, const fl_predicate *const *p, int32_t n,
			const fl_table *t);

/* JSON (spec_json.c): a finite number in the fewest digits that read back
 * as it, null otherwise; one predicate as a spec's "predicates" entry. */
void fl_predicates__put_num(fl_strbuf *b, double x);
void fl_predicates__put_pred(fl_strbuf *b, const fl_predicate *p, const fl_table *t);

/* The spec of the conjunction of p[0..n), predicates of a result built on
 * t, as fl_discover_predicates writes it (without the score fields):
 * {"type":"predicates","predicates":[...]}; the caller's, or NULL with
 * FL_ENOMEM recorded. */
char *fl_predicates__spec_json(const fl_predicate *const *p, int32_t n, const fl_table *t);

/* The SliceLine score of a slice of `size` rows whose failure sums to
 * err_sum, over n rows of mean failure mean. */
static inline double fl_predicates__score(double alpha, double err_sum, double size, double n,
					  double mean)
{
	return alpha * (err_sum / size / mean - 1) - (1 - alpha) * (n / size - 1);
}

/* Upper bound on the score of every slice T with min_support <= |T| <=
 * size_ub, 0 < failure sum <= err_ub and largest failure <= max_ub
 * (failure >= 0): see search.c. -INFINITY when there is no such T (a
 * slice without failure scores <= -alpha and is never valid). */
double fl_predicates__bound(double alpha, double n, double mean, double min_support,
			    double size_ub, double err_ub, double max_ub);

/* The rich language's candidates (cover.c): weighted covering over
 * predicate searches, each result generalised; at most o->top, in the
 * order found, measured on every row of t. Arguments as
 * fl_discover_predicates (checked by it). */
int fl_predicates__cover(fl_candidate **out, int32_t *n_out, const fl_table *t,
			 const double *failure, const fl_failure_summary *s,
			 const fl_predicate_opts *o);

#endif
