/*
 * Internal helpers shared by every module: error recording, checked
 * arithmetic for sizes read from files, small allocation wrappers.
 * Not installed; never included by the CLI.
 */
#ifndef FL_INTERNAL_H
#define FL_INTERNAL_H

#include "faultline.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define FL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define FL_ALLOC(...) __attribute__((__malloc__, __alloc_size__(__VA_ARGS__)))
#else
#define FL_PRINTF(a, b)
#define FL_ALLOC(...)
#endif

/* Every allocation of the library goes through one counting point
 * (alloc.c), so that tests can make the N-th one fail: malloc, calloc,
 * realloc and strdup are these functions in every file that includes this
 * header (stdlib.h and string.h are included above, so their declarations
 * keep the real names). free is untouched. Allocations made inside
 * OpenBLAS, LAPACKE, cJSON, zlib, libgomp and libc (fopen, qsort) are not
 * counted and cannot be made to fail. */
void *fl__alloc_malloc(size_t n) FL_ALLOC(1);
void *fl__alloc_calloc(size_t count, size_t size) FL_ALLOC(1, 2);
void *fl__alloc_realloc(void *p, size_t n);
char *fl__alloc_strdup(const char *s);
#define malloc(n) fl__alloc_malloc(n)
#define calloc(count, size) fl__alloc_calloc(count, size)
#define realloc(p, n) fl__alloc_realloc(p, n)
#define strdup(s) fl__alloc_strdup(s)

/* Test hook: the n-th allocation counted from now fails (returns NULL),
 * once; every other one succeeds (SQLite's "transient" mode: the caller
 * must recover from one failure, and later calls work again). n = 0 turns
 * it off. Not thread-safe with respect to which thread's allocation is the
 * n-th: tests run the library on one thread. */
void fl__alloc_fail_at(int64_t n);
/* Allocations counted since the process started (atomic). */
int64_t fl__alloc_count(void);

/* Record a one-line message for fl_last_error() and return `code`, so that
 * error paths read `return fl__error(FL_EFORMAT, "%s: ...", path);`. */
int fl__error(int code, const char *fmt, ...) FL_PRINTF(2, 3);

/* An n x d row-major matrix with row stride ld, at least min_rows rows:
 * 0, or FL_EINVAL with a message naming `what` ("the embedding") and what
 * is wrong with it (error.c). */
int fl__check_matrix(const void *x, int64_t n, int64_t d, int64_t ld, int64_t min_rows,
		     const char *what);

/* Overflow-checked size arithmetic: return 0 and set *out, or -1 on overflow. */
static inline int fl__mul_size(size_t a, size_t b, size_t *out)
{
	if (a != 0 && b > SIZE_MAX / a)
		return -1;
	*out = a * b;
	return 0;
}

static inline int fl__add_size(size_t a, size_t b, size_t *out)
{
	if (b > SIZE_MAX - a)
		return -1;
	*out = a + b;
	return 0;
}

/* malloc/calloc that record FL_ENOMEM with `what` when they fail. */
void *fl__malloc(size_t n, const char *what);
void *fl__calloc(size_t count, size_t size, const char *what);

/* A growing string (strbuf.c): start from {0}; after the last append,
 * fl__sb_finish returns the string (the caller's) or NULL with FL_ENOMEM
 * recorded, naming `what`. */
typedef struct fl_strbuf {
	char *s;
	size_t len, cap;
	int oom;
} fl_strbuf;

void fl__sb_printf(fl_strbuf *b, const char *fmt, ...) FL_PRINTF(2, 3);
/* a JSON string literal (fl__json_str) */
void fl__sb_json_str(fl_strbuf *b, const char *s);
char *fl__sb_finish(fl_strbuf *b, const char *what);

/* Strings from the user's data, made inert for the outputs (utf8.c).
 * fl__utf8_next: the code point at s (not at its NUL) and its length in
 * bytes; a byte that starts no valid UTF-8 sequence (RFC 3629) gives
 * FL_UTF8_BAD and length 1. */
#define FL_UTF8_BAD 0xffffffffu
size_t fl__utf8_next(const char *s, uint32_t *cp);
/* FL_UTF8_BAD or a control character (C0, DEL, C1): what a terminal may
 * act on rather than print. */
int fl__utf8_control(uint32_t c);
/* Text for a terminal: every control character (C0, DEL, C1) and every
 * byte of invalid UTF-8 written as \xHH, the rest as it is; at most n bytes
 * with the NUL, whole characters and escapes only. Returns the length
 * written. */
size_t fl__inert(char *out, size_t n, const char *s);
/* A JSON string literal that strict parsers read, given to put() in
 * pieces: '"' and '\\' escaped, control characters (C0, DEL, C1) as \uXXXX
 * (\n, \r, \t by name), each byte of invalid UTF-8 as \ufffd. */
void fl__json_str(const char *s, void (*put)(void *ctx, const char *text, size_t len), void *ctx);
/* Is `clean` the JSON writers' reading of `raw` (raw with each invalid
 * byte replaced by U+FFFD)? A spec names a metadata value as written. */
int fl__utf8_same(const char *raw, const char *clean);

/* A copy of s (NULL for NULL), or NULL with FL_ENOMEM recorded. */
char *fl__strdup(const char *s);

/* The whole of a file as a NUL-terminated string (the caller's), or NULL
 * with FL_EIO or FL_ENOMEM recorded, naming the path (file.c). */
char *fl__read_text(const char *path);

/* Create and open (write-only) a new "path.tmp.XXXXXX" in n bytes of tmp,
 * mode 0666 less the umask, for writing beside `path` and renaming over
 * it; -1 with errno set on failure (file.c). */
int fl__create_temp(char *tmp, size_t n, const char *path);

/* The absolute path a file name resolves to, links followed; for a file
 * not there yet, its folder resolved plus its name (the caller's; NULL with
 * FL_ENOMEM recorded). Two names of one file resolve alike (file.c). */
char *fl__resolve(const char *path);
/* The folder of a path ("." for a bare name or NULL), the caller's; NULL
 * with FL_ENOMEM recorded (file.c). */
char *fl__folder_of(const char *path);

/* A file written beside its destination and renamed into place once
 * everything it belongs with is written (file.c): open creates
 * "target.tmp.XXXXXX" (fl__create_temp) and fdopens it as fp; close flushes
 * and closes it, FL_EIO on any write error (a full disk); commit renames it
 * over the target; discard removes it. The target is the path with its
 * symbolic links resolved (a link stays a link). Only regular files are
 * replaced: a FIFO or a character device (/dev/stdout) is staged in
 * $TMPDIR and its bytes written to it at commit (stream); a directory,
 * a socket or a block device is refused at open. Each records its error;
 * after commit or discard the struct is empty (discard of an empty one
 * does nothing). */
typedef struct fl_staged {
	const char *path;
	char *tmp;
	char *target;
	FILE *fp;
	int stream;
} fl_staged;

int fl__stage_open(fl_staged *s, const char *path);
int fl__stage_close(fl_staged *s);
int fl__stage_commit(fl_staged *s);
void fl__stage_discard(fl_staged *s);

/* Rows per block of the blocked BLAS kernels (cluster/kmeans.c,
 * direction/logreg.c): about 512 KiB of float rows, enough for sgemm to run
 * near peak, little enough to stay in cache. Depends on d only, never on
 * the thread count, so results do not either. */
static inline int64_t fl__block_rows(int64_t d)
{
	int64_t b = 131072 / d;

	return b < 64 ? 64 : b > 1024 ? 1024 : b;
}

/* Passes that read rows through a list of row numbers (a half's rows, a
 * fold's) ask for the row FL_PREFETCH_ROWS ahead while they work on this
 * one: the hardware prefetcher follows only consecutive lines, and waiting
 * for each row's lines in turn left the direction's passes latency-bound
 * (1M x 128, one thread: its stage 2.45-2.59 -> 1.54-1.60 s; 2 to 16 rows
 * ahead all did as well). Only a hint: no result changes. */
#define FL_PREFETCH_ROWS 8
static inline void fl__prefetch(const void *p, size_t bytes)
{
	for (size_t b = 0; b < bytes; b += 64)
		__builtin_prefetch((const char *)p + b);
}

/* qsort comparators (sort.c). fl__cmp_f64: doubles ascending.
 * fl__cmp_f64_row / fl__cmp_f32_row: (value, row) pairs by value
 * ascending, ties by row, so the order is total and qsort's is
 * deterministic. */
typedef struct fl_f64_row {
	double v;
	int64_t row;
} fl_f64_row;

typedef struct fl_f32_row {
	float v;
	int64_t row;
} fl_f32_row;

int fl__cmp_f64(const void *a, const void *b);
int fl__cmp_f64_row(const void *a, const void *b);
int fl__cmp_f32_row(const void *a, const void *b);


/* Call a progress callback (none when fn is NULL): 0 to go on, or
 * FL_ECANCELED recorded ("cancelled during <stage>") when it returned
 * non-zero (error.c). */
int fl__progress(fl_progress_fn fn, void *user, const char *stage, int64_t done, int64_t total);

/* z (m x r, leading dimension ldz) = x (m x d, rows packed) times bt
 * (d x r, leading dimension FL_ROWS_TIMES_LD(r): r rounded up to 16, the
 * columns past r zero): each z[i][j] the sum over k of x[i][k] bt[k][j]
 * added in k order, a fused multiply-add a step (a product and a sum
 * without FMA), so that in one build a row's bits depend on that row
 * alone, unlike sgemm's (rows_times.c). */
#define FL_ROWS_TIMES_LD(r) (((r) + 15) / 16 * 16)
void fl__rows_times(float *z, int64_t ldz, const float *x, int64_t m, int64_t d, const float *bt,
		    int64_t r);

/* Hold OpenBLAS at one thread while our OpenMP threads call it (blas.c);
 * calls nest and may come from several threads. */
void fl__blas_single_enter(void);
void fl__blas_single_leave(void);

/* Deterministic RNG (splitmix64 seeding a xoshiro256**). Each consumer
 * seeds its own from (seed, stream) so results never depend on call order
 * across modules or on thread count. */
typedef struct fl_rng {
	uint64_t s[4];
} fl_rng;

void fl__rng_seed(fl_rng *r, uint64_t seed, uint64_t stream);

/* The streams, one per consumer: every seeded result depends on these
 * values, so they never change (a new consumer takes a new one). Most
 * spell their consumer's name in ASCII. */
#define FL_STREAM_HOLDOUT 0x686f6c64ULL       /* "hold": stats/split.c, fl_split_holdout */
#define FL_STREAM_GROUPS 0x67726f757073ULL    /* "groups": stats/split.c, fl_split_holdout_grouped */
#define FL_STREAM_FOLDS 0x666f6c6473ULL       /* "folds": direction/crossfit.c, stratified folds */
#define FL_STREAM_INNER 0x696e6e6572ULL       /* "inner": direction/crossfit.c, the inner split of
                                                 fold f (choice of lambda) takes the folds of
                                                 seed ^ (FL_STREAM_INNER + f) */
#define FL_STREAM_KMEANS 0x6b6d65616e73ULL    /* "kmeans": cluster/kmeans.c, k-means++ of restart
                                                 r on stream FL_STREAM_KMEANS + r */
#define FL_STREAM_PCA_RANGE 0x706361ULL       /* "pca": mixture/pca.c, the Gaussian test matrix
                                                 of the randomised range finder */
#define FL_STREAM_PCA_ROWS 0x726f7773ULL      /* "rows": mixture/pca.c, the rows of the basis */
#define FL_STREAM_MX_WARM 0x7761726dULL       /* "warm": mixture/mixture.c, the warm-up subset */
#define FL_STREAM_MX_FIT 0x666974ULL        /* "fit": mixture/discover_mixture.c, the rows
                                                 fitted when there are more than it fits */
#define FL_STREAM_MX_KMEANS 0x6d78696e6974ULL /* "mxinit": mixture/init.c, the k-means init's
                                                 rows and extra seeds */
#define FL_STREAM_MX_CONFUSION 0x636f6e66ULL  /* "conf": mixture/init.c, the confusion init's
                                                 extra seeds */
#define FL_STREAM_SYNTH_CENTRES 1             /* synth/synth.c: centres, slices' wrong classes */
#define FL_STREAM_SYNTH_SHUFFLE 2             /* synth/synth.c: which rows are planted */
#define FL_STREAM_SYNTH_ROWS 3                /* synth/synth.c: rows, labels, predictions */
#define FL_STREAM_SYNTH_VIEW2 4               /* synth/synth.c: the second view (view2) */
#define FL_STREAM_SYNTH_META 5                /* synth/synth.c: metadata columns (meta_slice) */
#define FL_STREAM_BENCH_DATA 0                /* bench/bench_*.c: synthetic inputs (each
                                                 program with its own seed) */
#define FL_STREAM_BENCH_CENTRES 1             /* bench/bench_mixture.c: class centres */
uint64_t fl__rng_next(fl_rng *r);
/* uniform in [0, 1) with 53 random bits */
double fl__rng_uniform(fl_rng *r);
/* uniform integer in [0, n), unbiased */
uint64_t fl__rng_below(fl_rng *r, uint64_t n);
/* standard normal (Box-Muller, no cached second value) */
double fl__rng_normal(fl_rng *r);

/* Several ranks (comm.c; faultline/comm.h). fl_discover makes its table
 * the calling thread's for the call (fl__comm_enter/leave); a pass over
 * fixed groups of row blocks then computes the groups of this rank only
 * (fl__comm_share), zeroes the others' partials and sums the partial
 * buffers over the ranks (fl__comm_sum_*), so that every rank adds the
 * same groups in group order. Per-row results computed by the owners of
 * their rows are exchanged with fl__comm_gather_rows. Without a table (or
 * with one rank) share is everything and the rest does nothing: the
 * single-process path is unchanged. A failed exchange is remembered and
 * fl__comm_leave returns it (FL_EIO), since passes have no error path. */
/* n_rows: the rows of the views (fl__comm_rows) */
void fl__comm_enter(const fl_comm *c, int64_t n_rows);
int fl__comm_leave(void);
int fl__comm_ranks(void);
int fl__comm_rank(void); /* this rank, 0 .. ranks - 1 */
/* The seconds this rank spent in the table's calls (waiting for the other
 * ranks included) since the last call, or since fl__comm_enter: where it
 * stood still in a stage (--timings) */
double fl__comm_lap(void);
/* Work a rank does alone (no exchange inside): pause returns the table,
 * resume(it) brings it back. */
const fl_comm *fl__comm_pause(void);
void fl__comm_resume(const fl_comm *c);
/* rc of work a rank did alone: 0 when every rank's was 0, else this rank's
 * own error, or an error naming the first rank that failed */
int fl__comm_agree(int rc);
/* [*g0, *g1): this rank's share of n groups (contiguous, by rank) */
void fl__comm_share(int64_t n, int64_t *g0, int64_t *g1);
/* Groups cut among the ranks by speed, for passes over data every rank
 * holds (the sums of a group do not depend on the rank that makes them):
 * cut[0..P] with rank q's groups [cut[q], cut[q + 1]) in proportion to its
 * speed in the passes cut so far since fl__comm_enter (its groups a
 * second over the mean rank's, the recent passes weighing more), one
 * group at least each while n >= P; equal shares until a pass timed every
 * rank, and with more than 64 ranks. fl__comm_timed adds a pass cut by
 * cut in which rank q spent secs[q] seconds (every rank's, brought by the
 * pass's exchange: every rank then holds the same speeds). */
void fl__comm_cut(int64_t n, int64_t *cut);
void fl__comm_timed(const int64_t *cut, const double *secs);
/* Tests only: rates (one a rank) that the calling thread's cuts take
 * instead of the measured ones, so that a test cuts unevenly on purpose;
 * NULL (the default) for the measured ones */
void fl__comm_test_rates(const double *rate);
/* buf[0..n) summed over the ranks, in place (nothing with one rank) */
void fl__comm_sum_f64(double *buf, int64_t n);
void fl__comm_sum_i64(int64_t *buf, int64_t n);
void fl__comm_max_i64(int64_t *buf, int64_t n);
/* base holds n_rows rows of row_bytes, in n_blocks blocks of block rows cut
 * into n_groups groups; each rank filled the rows of its share of the
 * groups (equal shares, or cut[q] .. cut[q + 1] - 1: fl__comm_cut):
 * afterwards every rank has every row */
void fl__comm_gather_rows(void *base, size_t row_bytes, int64_t n_rows, int64_t block,
			  int64_t n_blocks, int64_t n_groups, const int64_t *cut);
/* The rows of the views (fl__comm_enter's n_rows, n) cut into FL_ROW_GROUPS
 * fixed groups, group g rows [g n / G, (g + 1) n / G) (fl__comm_group_row);
 * rank q owns the groups [q G / P, (q + 1) G / P) (fl__comm_row_groups), so
 * its rows are one range (fl__comm_rows; with P > G some ranks own none).
 * Sums over scattered rows of a view (a class's rows) are cut into these
 * groups: each rank sums the rows of its groups, the same sums for any P. */
#define FL_ROW_GROUPS 32
int64_t fl__comm_group_row(int64_t g);
void fl__comm_row_groups(int64_t *g0, int64_t *g1);
void fl__comm_rows(int64_t *lo, int64_t *hi);
/* span[0..P]: rank q's positions of rows[0..m) (view rows in increasing
 * order; NULL: the rows 0..m-1) are [span[q], span[q + 1]), the rows of its
 * range (fl__comm_rows), each boundary rounded down to a multiple of align
 * (a group of align positions stays with one rank, whose span then starts
 * with up to align - 1 rows of the rank before: fl__comm_halo fetches
 * them). For passes whose rows' results do not
 * depend on the rows they come with (projections, assignments): then
 * fl__comm_gather_spans(base, row_bytes, span) gives every rank every
 * row's result. */
void fl__comm_spans(int64_t *span, const int64_t *rows, int64_t m, int64_t align);
void fl__comm_gather_spans(void *base, size_t row_bytes, const int64_t *span);
/* The rows of this rank's span (align > 1) that lie before its range:
 * positions [*h0, *h1) of rows, fetched from their owners into *halo
 * (malloc'd, (h1 - h0) x d; NULL when none), so that the span's passes
 * read no other rank's rows of x. Collective; FL_ENOMEM or 0. */
int fl__comm_halo(float **halo, int64_t *h0, int64_t *h1, const float *x, int64_t ldx, int64_t d,
		  const int64_t *rows, int64_t m, int64_t align);
/* How a summing pass cuts its m rows (positions of a list) into fixed
 * groups, summed apart and then in group order; each group's rows in
 * blocks from its first. fl__layout_blocks: groups of consecutive blocks
 * of `block` rows, at most max_groups (<= FL_ROW_GROUPS) of them, for rows
 * every rank holds (a copy, codes). fl__layout_view: the positions of each
 * row group (fl__comm_row_groups) of the view rows xrows[rows[k]]
 * (increasing; NULL arrays: the identity), for rows read from a view:
 * then every rank's groups are its
 * own rows (outside fl_discover, fl__layout_blocks). _share: this rank's
 * groups; _gather: the per-row results of every rank's groups, on every
 * rank. */
typedef struct fl__layout {
	int64_t n_groups;
	int64_t first[FL_ROW_GROUPS + 1]; /* group g: positions [first[g], first[g + 1]) */
} fl__layout;
void fl__layout_blocks(fl__layout *l, int64_t m, int64_t block, int64_t max_groups);
void fl__layout_view(fl__layout *l, int64_t m, const int64_t *rows, const int64_t *xrows,
		     int64_t block);
void fl__layout_share(const fl__layout *l, int64_t *g0, int64_t *g1);
void fl__layout_gather(const fl__layout *l, void *base, size_t row_bytes);
/* the same when the ranks' groups were cut[q] .. cut[q + 1] - 1 (fl__comm_cut) */
void fl__layout_gather_cut(const fl__layout *l, const int64_t *cut, void *base, size_t row_bytes);
/* out[k d, (k + 1) d) := x[rows[k] ld, + d) for k < m, on every rank; x is
 * a view (n rows). A rank reads only the rows of its own range of x
 * (fl__comm_rows) and the ranks exchange them: steps that read scattered rows of a view (a sample, the failing
 * rows) go through here, so that no rank reads past its range. rows need
 * not be sorted. FL_ENOMEM, or 0 (a failed exchange: fl__comm_leave). */
int fl__comm_fetch_rows(float *out, const float *x, int64_t ld, int64_t d, const int64_t *rows,
			int64_t m);

/* qsort(base, n, size, cmp), the work shared by the ranks and threads:
 * rank q sorts the q-th of P equal parts, as one run a thread (threads <= 0:
 * omp_get_max_threads(); at least 4096 rows a run), every rank merges the
 * gathered runs (stable, pairs of runs on the threads). The result is
 * qsort's when cmp is a total order (ties broken, by row for instance),
 * whatever P and the threads. 0, or an error on every rank (FL_ENOMEM where
 * memory ran out, "rank R failed" on the others). */
int fl__comm_sort(void *base, int64_t n, size_t size, int (*cmp)(const void *, const void *),
		  int threads);

/* Seconds of a monotonic clock (clock.c), for stage timings. */
double fl__now(void);

#endif
