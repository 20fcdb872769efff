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

#if defined(__GNUC__)
#define FL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define FL_PRINTF(a, b)
#endif

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

/* A file written beside its destination and renamed into place once
 * everything it belongs with is written (file.c): open creates
 * "path.tmp.XXXXXX" (fl__create_temp) and fdopens it as fp; close flushes
 * and closes it, FL_EIO on any write error (a full disk); commit renames it
 * over path; discard removes it. Each records its error; after commit or
 * discard the struct is empty (discard of an empty one does nothing). */
typedef struct fl_staged {
	const char *path;
	char *tmp;
	FILE *fp;
} fl_staged;

int fl__stage_open(fl_staged *s, const char *path);
int fl__stage_close(fl_staged *s);
int fl__stage_commit(fl_staged *s);
void fl__stage_discard(fl_staged *s);

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
