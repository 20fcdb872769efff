/* The one counting point of the library's allocations, with a hook that
 * makes the N-th of them fail (SQLite's test_malloc.c practice, "transient"
 * mode) so that tests reach every out-of-memory path. internal.h maps
 * malloc, calloc, realloc and strdup to these functions; here they are the
 * real ones again. */
#define _DEFAULT_SOURCE 1 /* madvise */
#include "internal.h"

#undef malloc
#undef calloc
#undef realloc
#undef strdup

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

static atomic_int_least64_t n_allocs; /* allocations so far */
static atomic_int_least64_t fail_at;  /* the allocation number that fails, 0 = none */

/* Count one allocation; 1 when it is the one to fail. Relaxed order is
 * enough: tests that inject failures run one thread. */
static int count_and_fail(void)
{
	int64_t k = atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed) + 1;

	return k == atomic_load_explicit(&fail_at, memory_order_relaxed);
}

void fl__alloc_fail_at(int64_t n)
{
	int64_t now = atomic_load_explicit(&n_allocs, memory_order_relaxed);

	atomic_store_explicit(&fail_at, n > 0 ? now + n : 0, memory_order_relaxed);
}

int64_t fl__alloc_count(void)
{
	return atomic_load_explicit(&n_allocs, memory_order_relaxed);
}

/* Large blocks (rows of a view, workspaces) in transparent huge pages
 * where the kernel offers them on request ("madvise" mode, Debian's
 * default): one fault per 2 MB instead of one per 4 KB. On a VM, touching
 * a fresh 200 MB block took 0.8 s in 4 KB pages, 0.47 s in 2 MB ones; the
 * 200k x 512 discover 9.8 -> 7.7 s (docs/performance.md). Advice only. */
#define HUGE_PAGE ((uintptr_t)2 << 20)
#define HUGE_FROM ((size_t)8 << 20)

static void *huge(void *p, size_t n)
{
	uintptr_t a = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1), end = (uintptr_t)p + n;

	if (p && n >= HUGE_FROM && a + HUGE_PAGE <= end)
		(void)madvise((void *)a, (end - a) & ~(HUGE_PAGE - 1), MADV_HUGEPAGE);
	return p;
}

void *fl__alloc_malloc(size_t n)
{
	return count_and_fail() ? NULL : huge(malloc(n), n);
}

void *fl__alloc_calloc(size_t count, size_t size)
{
	return count_and_fail() ? NULL : huge(calloc(count, size), count * size);
}

void *fl__alloc_realloc(void *p, size_t n)
{
	return count_and_fail() ? NULL : realloc(p, n);
}

char *fl__alloc_strdup(const char *s)
{
	size_t len = strlen(s) + 1;
	char *p = count_and_fail() ? NULL : malloc(len);

	if (p)
		memcpy(p, s, len);
	return p;
}
