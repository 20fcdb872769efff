/*
 * OpenBLAS held at one thread while our own OpenMP threads run BLAS calls.
 *
 * Debian's OpenBLAS is the pthread build, which would start its own threads
 * inside each of ours (oversubscription, and a result that could depend on
 * how it splits a product). So while any solver runs, OpenBLAS is held at
 * 1 thread; one process-wide count of running solvers restores the caller's
 * setting when the last one leaves. A BLAS call made meanwhile by another
 * thread of the process runs single-threaded: slower, never wrong.
 */
#include "internal.h"

#include <cblas.h>
#include <pthread.h>

static pthread_mutex_t blas_lock = PTHREAD_MUTEX_INITIALIZER;
static int blas_users, blas_saved;

void fl__blas_single_enter(void)
{
	pthread_mutex_lock(&blas_lock);
	if (blas_users++ == 0) {
		blas_saved = openblas_get_num_threads();
		if (blas_saved != 1)
			openblas_set_num_threads(1);
	}
	pthread_mutex_unlock(&blas_lock);
}

void fl__blas_single_leave(void)
{
	pthread_mutex_lock(&blas_lock);
	if (--blas_users == 0 && blas_saved != 1)
		openblas_set_num_threads(blas_saved);
	pthread_mutex_unlock(&blas_lock);
}
