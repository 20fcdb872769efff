/*
 * Internal helpers shared by every module: error recording, checked
 * arithmetic for sizes read from files, small allocation wrappers.
 * Not installed; never included by the CLI.
 */
#ifndef FL_INTERNAL_H
#define FL_INTERNAL_H

#include "faultline.h"

#include <stdarg.h>
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
/* a JSON string literal: quotes, backslashes, control bytes escaped */
void fl__sb_json_str(fl_strbuf *b, const char *s);
char *fl__sb_finish(fl_strbuf *b, const char *what);

/* A copy of s (NULL for NULL), or NULL with FL_ENOMEM recorded. */
char *fl__strdup(const char *s);

/* The whole of a file as a NUL-terminated string (the caller's), or NULL
 * with FL_EIO or FL_ENOMEM recorded, naming the path (file.c). */
char *fl__read_text(const char *path);

/* Create and open (write-only) a new "path.tmp.XXXXXX" in n bytes of tmp,
 * mode 0666 less the umask, for writing beside `path` and renaming over
 * it; -1 with errno set on failure (file.c). */
int fl__create_temp(char *tmp, size_t n, const char *path);

/* Otsu's threshold of n values (stats/otsu.c): the split of the sorted
 * values maximising w0 w1 (mean1 - mean0)^2; "failing" = value > t. NaN for
 * a constant signal. `sorted` is n doubles of scratch. */
double fl__otsu_threshold(const double *f, int64_t n, double *sorted);

/* The order every method returns its candidates in (report/candidate.c):
 * score descending, then p-value ascending, then component. For qsort. */
int fl__candidate_cmp(const void *a, const void *b);
/* Clear n candidates and free their array (NULL accepted). */
void fl__candidates_free(fl_candidate *c, int32_t n);

/* A discovery method's candidate c (members set) measured on s: its stats,
 * score, method and view. 1 when it fails clearly more than everyone (the
 * lower end of its 95% interval above the overall rate); 0 when not, or an
 * error code: then c is cleared (report/candidate.c). */
int fl__candidate_keep(fl_candidate *c, const fl_failure_summary *s, const char *method,
		       const char *view);

/* Call a progress callback (none when fn is NULL): 0 to go on, or
 * FL_ECANCELED recorded ("cancelled during <stage>") when it returned
 * non-zero (error.c). */
int fl__progress(fl_progress_fn fn, void *user, const char *stage, int64_t done, int64_t total);

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
uint64_t fl__rng_next(fl_rng *r);
/* uniform in [0, 1) with 53 random bits */
double fl__rng_uniform(fl_rng *r);
/* uniform integer in [0, n), unbiased */
uint64_t fl__rng_below(fl_rng *r, uint64_t n);
/* standard normal (Box-Muller, no cached second value) */
double fl__rng_normal(fl_rng *r);

#endif
