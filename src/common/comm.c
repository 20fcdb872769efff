/* The calling thread's communication table during fl_discover, and the
 * exchanges the passes make through it (internal.h, faultline/comm.h). */
#include "internal.h"
#include <omp.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

static _Thread_local const fl_comm *current;
static _Thread_local int failed, failed_rank;
static _Thread_local int64_t view_rows; /* the rows of the views (fl__comm_fetch_rows) */
static _Thread_local double exchanging, lap_mark; /* seconds in the table's calls (fl__comm_lap) */

/* After a failed exchange (another rank gone, a signal caught while
 * waiting) the table is not called again: every later pass computes its
 * own groups of rows only, as before (no rank reads another's rows), the
 * exchanges leave the others' parts at zero, and fl__comm_leave reports
 * the failure; the report is dropped. */
static void fail_here(void)
{
	failed = 1;
	failed_rank = current->rank;
}

/* the table while exchanges work, else NULL */
static const fl_comm *table(void)
{
	return failed ? NULL : current;
}

/* The ranks' speeds in the passes cut by speed so far (fl__comm_timed):
 * speed[q] / speed_weight is rank q's groups a second over the mean
 * rank's, a mean over the passes weighted by their seconds, older passes
 * weighing SPEED_DECAY less a pass. Fixed room, no allocation that one
 * rank alone could fail: with more than SPEED_RANKS ranks, equal shares. */
#define SPEED_RANKS 64
#define SPEED_DECAY 0.9
static _Thread_local double speed[SPEED_RANKS], speed_weight;

void fl__comm_enter(const fl_comm *c, int64_t n_rows)
{
	current = c && c->size > 1 ? c : NULL;
	view_rows = n_rows;
	failed = 0;
	memset(speed, 0, sizeof speed); /* untimed */
	speed_weight = 0;
	exchanging = lap_mark = 0;
}

double fl__comm_lap(void)
{
	double s = exchanging - lap_mark;

	lap_mark = exchanging;
	return s;
}

/* The table's calls, timed: the seconds in them, waiting for the other
 * ranks included, are where a rank stood still (fl__comm_lap). */
static int reduce_f64(double *buf, int64_t n, int op)
{
	double t = fl__now();
	int rc = current->allreduce_f64(current->user, buf, n, op);

	exchanging += fl__now() - t;
	return rc;
}

static int reduce_i64(int64_t *buf, int64_t n, int op)
{
	double t = fl__now();
	int rc = current->allreduce_i64(current->user, buf, n, op);

	exchanging += fl__now() - t;
	return rc;
}

static int gather(const void *mine, void *all, const int64_t *bytes_of)
{
	double t = fl__now();
	int rc = current->allgather(current->user, mine, all, bytes_of);

	exchanging += fl__now() - t;
	return rc;
}

int fl__comm_leave(void)
{
	int bad = failed;

	current = NULL;
	failed = 0;
	view_rows = 0;
	return bad ? fl__error(FL_EIO, "rank %d: communication between the ranks failed",
			       failed_rank) : 0;
}

int fl__comm_ranks(void)
{
	return current ? current->size : 1;
}

int fl__comm_rank(void)
{
	return current ? current->rank : 0;
}

const fl_comm *fl__comm_pause(void)
{
	const fl_comm *c = current;

	current = NULL;
	return c;
}

void fl__comm_resume(const fl_comm *c)
{
	current = c;
}

int fl__comm_agree(int rc)
{
	int64_t v; /* the lowest rank that failed, as size - rank (0: none) */

	if (!table())
		return rc;
	v = rc ? current->size - current->rank : 0;
	if (reduce_i64(&v, 1, FL_COMM_MAX)) {
		fail_here();
		return rc;
	}
	if (rc || v == 0)
		return rc;
	return fl__error(FL_EINVAL, "rank %d failed (its own message says why)",
			 (int)(current->size - v));
}

void fl__comm_share(int64_t n, int64_t *g0, int64_t *g1)
{
	int64_t p = current ? current->size : 1, q = current ? current->rank : 0;

	*g0 = q * n / p;
	*g1 = (q + 1) * n / p;
}

static _Thread_local const double *test_rates;

void fl__comm_test_rates(const double *rate)
{
	test_rates = rate;
}

/* rank q's groups a second so far; 0 when it has none timed */
static double rate_of(int64_t p, int64_t q)
{
	if (test_rates)
		return test_rates[q] > 0 ? test_rates[q] : 0;
	return p <= SPEED_RANKS && speed_weight > 0 ? speed[q] / speed_weight : 0;
}

void fl__comm_cut(int64_t n, int64_t *cut)
{
	int64_t p = current ? current->size : 1;
	double total = 0, run = 0;

	for (int64_t q = 0; q < p; q++) /* equal shares until every rank is timed */
		total = total >= 0 && rate_of(p, q) > 0 ? total + rate_of(p, q) : -1;
	cut[0] = 0;
	for (int64_t q = 0; q < p; q++) {
		int64_t c, lo, hi;

		run += total > 0 ? rate_of(p, q) : 0;
		c = total > 0 ? (int64_t)llround((double)n * (run / total)) : (q + 1) * n / p;
		/* every rank keeps a group while there are enough, so that it
		 * stays timed */
		lo = n >= p ? cut[q] + 1 : cut[q];
		hi = n >= p ? n - (p - 1 - q) : n;
		cut[q + 1] = c < lo ? lo : c > hi ? hi : c;
	}
	cut[p] = n;
}

void fl__comm_timed(const int64_t *cut, const double *secs)
{
	int64_t p = current ? current->size : 1;
	double mean = 0, weight = 0;

	/* each rank's groups a second over the mean rank's: the pass's cost
	 * a group cancels, so passes of every kind add up */
	for (int64_t q = 0; q < p && p <= SPEED_RANKS; q++) {
		if (!(cut[q + 1] > cut[q] && secs[q] > 0))
			return; /* a rank without groups or time: the pass says nothing */
		mean += (double)(cut[q + 1] - cut[q]) / secs[q] / (double)p;
		weight += secs[q];
	}
	for (int64_t q = 0; q < p && p <= SPEED_RANKS; q++)
		speed[q] = SPEED_DECAY * speed[q] +
			   weight * ((double)(cut[q + 1] - cut[q]) / secs[q] / mean);
	speed_weight = SPEED_DECAY * speed_weight + weight;
}

void fl__comm_sum_f64(double *buf, int64_t n)
{
	if (table() && n > 0 && reduce_f64(buf, n, FL_COMM_SUM))
		fail_here();
}

void fl__comm_sum_i64(int64_t *buf, int64_t n)
{
	if (table() && n > 0 && reduce_i64(buf, n, FL_COMM_SUM))
		fail_here();
}

void fl__comm_max_i64(int64_t *buf, int64_t n)
{
	if (table() && n > 0 && reduce_i64(buf, n, FL_COMM_MAX))
		fail_here();
}

/* the first row of group g */
static int64_t group_row(int64_t g, int64_t n_rows, int64_t block, int64_t n_blocks,
			 int64_t n_groups)
{
	int64_t row = g * n_blocks / n_groups * block;

	return row < n_rows ? row : n_rows;
}

/* the first group of rank q's share of n_groups (the cut, or equal shares) */
static int64_t share_start(int64_t q, int64_t p, int64_t n_groups, const int64_t *cut)
{
	return cut ? cut[q] : q * n_groups / p;
}

void fl__comm_gather_rows(void *base, size_t row_bytes, int64_t n_rows, int64_t block,
			  int64_t n_blocks, int64_t n_groups, const int64_t *cut)
{
	int64_t bytes_of[256], *b = bytes_of, p, lo, hi;
	char *rows = base, *mine = NULL;
	int rc = -1;

	if (!current || n_rows == 0)
		return;
	p = current->size;
	lo = group_row(share_start(current->rank, p, n_groups, cut), n_rows, block, n_blocks,
		       n_groups);
	hi = group_row(share_start(current->rank + 1, p, n_groups, cut), n_rows, block, n_blocks,
		       n_groups);
	if (!table()) { /* after a failed exchange: the others' rows zeros (valid indices) */
		memset(rows, 0, (size_t)lo * row_bytes);
		memset(rows + hi * (int64_t)row_bytes, 0, (size_t)(n_rows - hi) * row_bytes);
		return;
	}
	if (p <= 256 || (b = fl__malloc((size_t)p * sizeof *b, "rank sizes"))) {
		for (int64_t q = 0; q < p; q++)
			b[q] = (group_row(share_start(q + 1, p, n_groups, cut), n_rows, block,
					  n_blocks, n_groups) -
				group_row(share_start(q, p, n_groups, cut), n_rows, block, n_blocks,
					  n_groups)) * (int64_t)row_bytes;
		/* MPI forbids aliasing the send and receive buffers: send a copy */
		if ((mine = fl__malloc((size_t)(hi > lo ? hi - lo : 1) * row_bytes, "rows"))) {
			memcpy(mine, rows + lo * (int64_t)row_bytes, (size_t)(hi - lo) * row_bytes);
			rc = gather(mine, rows, b);
			if (rc) /* the others' rows are unknown: zeros, valid indices */
				memset(rows, 0, (size_t)n_rows * row_bytes);
			if (rc) /* and our own as computed */
				memcpy(rows + lo * (int64_t)row_bytes, mine, (size_t)(hi - lo) * row_bytes);
		}
	}
	if (rc)
		fail_here();
	free(mine);
	if (b != bytes_of)
		free(b);
}

/* rank q's first position (fl__comm_spans), given rank q - 1's */
static int64_t span_start(int64_t q, int64_t before, const int64_t *rows, int64_t m,
			  int64_t align)
{
	int64_t p = current ? current->size : 1, first, lo = 0, hi = m;

	if (q == 0 || q == p)
		return q ? m : 0;
	first = fl__comm_group_row(q * FL_ROW_GROUPS / p);
	while (lo < hi) { /* the first position whose row is at least first */
		int64_t mid = lo + (hi - lo) / 2;

		if ((rows ? rows[mid] : mid) < first)
			lo = mid + 1;
		else
			hi = mid;
	}
	lo = lo / align * align;
	return lo > before ? lo : before;
}

void fl__comm_spans(int64_t *span, const int64_t *rows, int64_t m, int64_t align)
{
	int64_t p = current ? current->size : 1;

	span[0] = 0;
	for (int64_t q = 1; q <= p; q++)
		span[q] = span_start(q, span[q - 1], rows, m, align);
}

int fl__comm_halo(float **halo, int64_t *h0, int64_t *h1, const float *x, int64_t ldx, int64_t d,
		  const int64_t *rows, int64_t m, int64_t align)
{
	int64_t p = current ? current->size : 1, q = current ? current->rank : 0;
	int64_t *span = NULL, *want = NULL, n_want = 0, off = 0;
	float *all = NULL;
	int rc = 0;

	*halo = NULL;
	*h0 = *h1 = 0;
	if (p == 1 || align <= 1)
		return 0;
	if (!(span = fl__malloc((size_t)(2 * (p + 1)) * sizeof *span, "rank sizes")))
		rc = FL_ENOMEM;
	if (rc == 0) {
		fl__comm_spans(span, rows, m, align);         /* where the spans start */
		fl__comm_spans(span + p + 1, rows, m, 1);     /* where the ranks' rows start */
		for (int64_t r = 1; r < p; r++)
			n_want += span[p + 1 + r] - span[r];
		want = fl__malloc((size_t)(n_want ? n_want : 1) * sizeof *want, "edge rows");
		all = fl__malloc((size_t)((n_want ? n_want : 1) * d) * sizeof *all, "edge rows");
		rc = want && all ? 0 : FL_ENOMEM;
	}
	if ((rc = fl__comm_agree(rc)) != 0)
		goto cleanup;
	for (int64_t r = 1, k = 0; r < p; r++)
		for (int64_t i = span[r]; i < span[p + 1 + r]; i++)
			want[k++] = rows ? rows[i] : i;
	if ((rc = fl__comm_fetch_rows(all, x, ldx, d, want, n_want)) != 0)
		goto cleanup;
	for (int64_t r = 1; r < q; r++)
		off += span[p + 1 + r] - span[r];
	if (q > 0 && span[p + 1 + q] > span[q]) { /* this rank's rows, to the front */
		*h0 = span[q];
		*h1 = span[p + 1 + q];
		memmove(all, all + off * d, (size_t)((*h1 - *h0) * d) * sizeof *all);
		*halo = all;
		all = NULL;
	}
cleanup:
	free(span);
	free(want);
	free(all);
	return rc;
}

void fl__comm_gather_spans(void *base, size_t row_bytes, const int64_t *span)
{
	int64_t p, q, *bytes_of;
	char *mine = NULL;
	int rc = -1;

	if (!current)
		return;
	p = current->size;
	q = current->rank;
	if (!table()) { /* after a failed exchange: the others' rows zeros (valid indices) */
		memset(base, 0, (size_t)span[q] * row_bytes);
		memset((char *)base + span[q + 1] * (int64_t)row_bytes, 0,
		       (size_t)(span[p] - span[q + 1]) * row_bytes);
		return;
	}
	if ((bytes_of = fl__malloc((size_t)p * sizeof *bytes_of, "rank sizes")) &&
	    (mine = fl__malloc((size_t)(span[q + 1] - span[q]) * row_bytes + 1, "rows"))) {
		for (int64_t r = 0; r < p; r++)
			bytes_of[r] = (span[r + 1] - span[r]) * (int64_t)row_bytes;
		/* MPI forbids aliasing the send and receive buffers: send a copy */
		memcpy(mine, (char *)base + span[q] * (int64_t)row_bytes, (size_t)bytes_of[q]);
		rc = gather(mine, base, bytes_of);
	}
	if (rc) { /* the run ends with FL_EIO; meanwhile zeros, valid indices */
		fail_here();
		memset(base, 0, (size_t)span[p] * row_bytes);
	}
	free(bytes_of);
	free(mine);
}

void fl__layout_blocks(fl__layout *l, int64_t m, int64_t block, int64_t max_groups)
{
	int64_t nb = (m + block - 1) / block;

	l->n_groups = nb < max_groups ? nb : max_groups;
	for (int64_t g = 0; g <= l->n_groups; g++) {
		int64_t k = l->n_groups ? g * nb / l->n_groups * block : 0;

		l->first[g] = k < m ? k : m;
	}
}

void fl__layout_view(fl__layout *l, int64_t m, const int64_t *rows, const int64_t *xrows,
		     int64_t block)
{
	if (view_rows <= 0) { /* not a view of fl_discover's: blocks */
		fl__layout_blocks(l, m, block, FL_ROW_GROUPS);
		return;
	}
	l->n_groups = FL_ROW_GROUPS;
	for (int64_t g = 0, k = 0; g <= FL_ROW_GROUPS; g++) {
		int64_t first = g < FL_ROW_GROUPS ? fl__comm_group_row(g) : INT64_MAX;

		while (k < m) {
			int64_t r = rows ? rows[k] : k;

			if ((xrows ? xrows[r] : r) >= first)
				break;
			k++;
		}
		l->first[g] = k;
	}
}

void fl__layout_share(const fl__layout *l, int64_t *g0, int64_t *g1)
{
	fl__comm_share(l->n_groups, g0, g1);
}

void fl__layout_gather(const fl__layout *l, void *base, size_t row_bytes)
{
	fl__layout_gather_cut(l, NULL, base, row_bytes);
}

void fl__layout_gather_cut(const fl__layout *l, const int64_t *cut, void *base, size_t row_bytes)
{
	int64_t spans[257] = {0}, *span = spans, p;

	if (!current)
		return;
	p = current->size;
	if (p > 256 && !(span = fl__malloc((size_t)(p + 1) * sizeof *span, "rank sizes"))) {
		fail_here(); /* the run ends with FL_EIO; meanwhile zeros, valid indices */
		memset(base, 0, (size_t)l->first[l->n_groups] * row_bytes);
		return;
	}
	for (int64_t q = 0; q <= p; q++)
		span[q] = l->first[cut ? cut[q] : q * l->n_groups / p];
	fl__comm_gather_spans(base, row_bytes, span);
	if (span != spans)
		free(span);
}

typedef struct {
	int64_t row, k;
} wanted;

static int cmp_wanted(const void *a, const void *b)
{
	const wanted *x = a, *y = b;

	return x->row != y->row ? (x->row > y->row) - (x->row < y->row) : (x->k > y->k) - (x->k < y->k);
}

int64_t fl__comm_group_row(int64_t g)
{
	return g * view_rows / FL_ROW_GROUPS;
}

void fl__comm_row_groups(int64_t *g0, int64_t *g1)
{
	fl__comm_share(FL_ROW_GROUPS, g0, g1);
}

void fl_comm_rows(int32_t rank, int32_t size, int64_t n, int64_t *lo, int64_t *hi)
{
	int64_t g0, g1;

	if (size < 1 || rank < 0 || rank >= size || n < 0) { /* no such rank: no rows */
		*lo = *hi = 0;
		return;
	}
	g0 = (int64_t)rank * FL_ROW_GROUPS / size;
	g1 = ((int64_t)rank + 1) * FL_ROW_GROUPS / size;
	*lo = g0 * n / FL_ROW_GROUPS;
	*hi = g1 * n / FL_ROW_GROUPS;
}

void fl__comm_rows(int64_t *lo, int64_t *hi)
{
	fl_comm_rows(current ? current->rank : 0, current ? current->size : 1, view_rows, lo, hi);
}

int fl__comm_fetch_rows(float *out, const float *x, int64_t ld, int64_t d, const int64_t *rows,
			int64_t m)
{
	int64_t p = current ? current->size : 1, lo, hi, mine = 0;
	int64_t *bytes_of = NULL;
	wanted *w = NULL;
	float *got = NULL, *part = NULL;
	size_t row_bytes = (size_t)d * sizeof(float);
	int rc = 0;

	if (p == 1) {
		for (int64_t k = 0; k < m; k++)
			memcpy(out + k * d, x + rows[k] * ld, row_bytes);
		return 0;
	}
	fl__comm_rows(&lo, &hi);
	if ((w = fl__malloc((size_t)(m ? m : 1) * sizeof *w, "rows"))) {
		for (int64_t k = 0; k < m; k++) {
			w[k] = (wanted){rows[k], k};
			mine += rows[k] >= lo && (rows[k] < hi || current->rank == p - 1);
		}
	}
	if (!w || !(bytes_of = fl__calloc((size_t)p, sizeof *bytes_of, "rank sizes")) ||
	    !(got = fl__malloc((size_t)(m ? m : 1) * row_bytes, "rows")) ||
	    !(part = fl__malloc((size_t)(mine ? mine : 1) * row_bytes, "rows")))
		rc = FL_ENOMEM;
	if ((rc = fl__comm_agree(rc)) != 0)
		goto cleanup;
	/* the wanted rows by row: each rank's are a run of them, in rank order */
	qsort(w, (size_t)m, sizeof *w, cmp_wanted);
	for (int64_t j = 0, t = 0, r = 0; j < m; j++) {
		while (r < p - 1 && w[j].row >= fl__comm_group_row((r + 1) * FL_ROW_GROUPS / p))
			r++; /* the rank that holds the row (rows past the views': the last) */
		bytes_of[r] += (int64_t)row_bytes;
		if (r == current->rank)
			memcpy(part + t++ * d, x + w[j].row * ld, row_bytes);
	}
	if (!table() || gather(part, got, bytes_of)) {
		memset(got, 0, (size_t)m * row_bytes); /* the others' rows unknown */
		if (table())
			fail_here();
	}
	for (int64_t j = 0; j < m; j++)
		memcpy(out + w[j].k * d, got + j * d, row_bytes);
cleanup:
	free(w);
	free(bytes_of);
	free(got);
	free(part);
	return rc;
}

/* the fewest rows a thread sorts on its own */
#define SORT_RUN 4096

/* dst[lo, hi) := the sorted runs src[lo, mid) and src[mid, hi) merged,
 * the left run first among equals (stable) */
static void merge(char *dst, const char *src, int64_t lo, int64_t mid, int64_t hi, size_t size,
		  int (*cmp)(const void *, const void *))
{
	int64_t i = lo, j = mid, k = lo;

	while (i < mid && j < hi) {
		const char *take = cmp(src + j * (int64_t)size, src + i * (int64_t)size) < 0 ?
					   src + j++ * (int64_t)size : src + i++ * (int64_t)size;
		memcpy(dst + k++ * (int64_t)size, take, size);
	}
	memcpy(dst + k * (int64_t)size, src + i * (int64_t)size, (size_t)(mid - i) * size);
	k += mid - i;
	memcpy(dst + k * (int64_t)size, src + j * (int64_t)size, (size_t)(hi - j) * size);
}

/* base[bound[0], bound[runs]) := its sorted runs base[bound[r], bound[r + 1])
 * merged, adjacent pairs at a time (log2(runs) rounds, the pairs of a round
 * on t threads); tmp holds as many rows as base; bound is overwritten. */
static void merge_runs(char *base, char *tmp, int64_t *bound, int64_t runs, size_t size,
		       int (*cmp)(const void *, const void *), int64_t t)
{
	char *src = base, *dst = tmp;
	int64_t lo = bound[0], hi = bound[runs];

	while (runs > 1) {
		int64_t pairs = (runs + 1) / 2;
		char *swap;

#pragma omp parallel for num_threads((int)t) schedule(static, 1)
		for (int64_t k = 0; k < pairs; k++) {
			int64_t r = 2 * k, end = r + 2 <= runs ? bound[r + 2] : bound[r + 1];

			merge(dst, src, bound[r], bound[r + 1], end, size, cmp);
		}
		for (int64_t k = 0; k < pairs; k++)
			bound[k] = bound[2 * k];
		bound[pairs] = hi;
		runs = pairs;
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != base)
		memcpy(base + lo * (int64_t)size, src + lo * (int64_t)size, (size_t)(hi - lo) * size);
}

int fl__comm_sort(void *base, int64_t n, size_t size, int (*cmp)(const void *, const void *),
		  int threads)
{
	int64_t p = current ? current->size : 1, q = current ? current->rank : 0, t,
		*bound = NULL;
	char *tmp = NULL;
	int rc = 0;

	/* a rank's part in t runs of at least SORT_RUN rows, one a thread */
	threads = threads > 0 ? threads : omp_get_max_threads();
	t = n / p / SORT_RUN < threads ? n / p / SORT_RUN : threads;
	t = t > 1 ? t : 1;
	if ((p == 1 && t == 1) || n < 64 * p) {
		qsort(base, (size_t)n, size, cmp);
		return 0;
	}
	if (!(bound = fl__malloc((size_t)(t > p ? t : p) * sizeof *bound + sizeof *bound, "sort")) ||
	    !(tmp = fl__malloc((size_t)n * size, "sort")))
		rc = FL_ENOMEM;
	if (rc && p == 1) { /* one process: qsort needs no room of ours */
		free(bound);
		free(tmp);
		qsort(base, (size_t)n, size, cmp);
		return 0;
	}
	if ((rc = fl__comm_agree(rc)) != 0)
		goto cleanup;
	/* rank q's part, rows [q n / p, (q + 1) n / p), sorted on its threads */
	for (int64_t r = 0; r <= t; r++)
		bound[r] = (q * t + r) * n / (p * t);
#pragma omp parallel for num_threads((int)t) schedule(static, 1)
	for (int64_t r = 0; r < t; r++)
		qsort((char *)base + bound[r] * (int64_t)size, (size_t)(bound[r + 1] - bound[r]),
		      size, cmp);
	merge_runs(base, tmp, bound, t, size, cmp, t);
	if (p > 1) { /* the parts gathered and merged */
		fl__comm_gather_rows(base, size, n, 1, n, p, NULL);
		for (int64_t r = 0; r <= p; r++)
			bound[r] = r * n / p;
		merge_runs(base, tmp, bound, p, size, cmp, t);
	}
cleanup:
	free(bound);
	free(tmp);
	return rc;
}
