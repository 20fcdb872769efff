/*
 * bench_kmeans: seconds per Lloyd iteration of fl_kmeans for N = 100000,
 * d = 128, k = 16 (override: bench_kmeans [N d k threads]), and how close
 * it runs to BLAS: its GFLOP/s (2 N k d per iteration, the distance
 * product) over those of one plain cblas_sgemm of the same shapes, measured
 * in the same run with OpenBLAS's own threads. Not a test; prints, never
 * fails on a number.
 */
#include "cluster/kmeans_internal.h"
#include "bench_util.h"

#include <cblas.h>
#include <stdio.h>
#include <time.h>

/* best of `reps` runs of fl_kmeans__fit from `init` with max_iter = iters */
static double time_fit(const fl_km_data *data, const float *init, float *cen, int32_t *assign,
		       fl_kmeans_opts *o, int32_t iters, int reps)
{
	double best = 1e300;
	int32_t done = -1;

	o->max_iter = iters;
	for (int r = 0; r < reps; r++) {
		double t = now();
		if (fl_kmeans__fit(cen, assign, NULL, &done, data, o, init) != 0) {
			fprintf(stderr, "bench_kmeans: %s\n", fl_last_error());
			exit(1);
		}
		t = now() - t;
		best = t < best ? t : best;
	}
	if (done != iters)
		fprintf(stderr, "bench_kmeans: converged after %d of %d iterations\n", done, iters);
	return best;
}

int main(int argc, char **argv)
{
	int64_t n = argc > 1 ? atoll(argv[1]) : 100000, d = argc > 2 ? atoll(argv[2]) : 128;
	int32_t k = argc > 3 ? atoi(argv[3]) : 16, threads = argc > 4 ? atoi(argv[4]) : 0;
	const int iters = 10, reps = 3;
	float *x = malloc((size_t)(n * d) * sizeof(float)), *cen = malloc((size_t)(k * d) * sizeof(float));
	float *init = malloc((size_t)(k * d) * sizeof(float)), *prod = malloc((size_t)(n * k) * sizeof(float));
	int32_t *assign = malloc((size_t)n * sizeof(int32_t));
	fl_kmeans_opts o = FL_KMEANS_OPTS_INIT;
	fl_rng rng;

	if (!x || !cen || !init || !prod || !assign)
		return 1;
	/* 4k overlapping blobs: Lloyd keeps moving for all the iterations timed */
	fl__rng_seed(&rng, 1, FL_STREAM_BENCH_DATA);
	for (int64_t i = 0; i < n; i++) {
		uint64_t g = fl__rng_below(&rng, (uint64_t)(4 * k));
		for (int64_t l = 0; l < d; l++)
			x[i * d + l] = (float)(0.3 * (double)((g * 2654435761u + (uint64_t)l * 40503u) % 17) / 17.0 +
					       fl__rng_normal(&rng));
	}
	for (int64_t l = 0; l < k * d; l++)
		init[l] = x[(l / d) * (n / k) * d + l % d];
	fl_km_data data = {x, n, d, d, NULL, 0, NULL, NULL, 0};
	o.k = k;
	o.tol = 0;
	o.threads = threads;

	/* per iteration: the difference between 0 and `iters` updates cancels
	 * the mean pass and the final assignment */
	double t0 = time_fit(&data, init, cen, assign, &o, 0, reps);
	double t1 = time_fit(&data, init, cen, assign, &o, iters, reps);
	double per_iter = (t1 - t0) / iters, flops = 2.0 * (double)n * (double)k * (double)d;

	double best = 1e300;
	for (int r = 0; r < 5; r++) {
		double t = now();
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)k, (int)d, -2.0f, x,
			    (int)d, init, (int)d, 0.0f, prod, (int)k);
		t = now() - t;
		best = t < best ? t : best;
	}
	printf("N=%lld d=%lld k=%d threads=%d (0 = default), OpenBLAS threads %d\n", (long long)n,
	       (long long)d, k, threads, openblas_get_num_threads());
	printf("lloyd: %.6f s per iteration, %.2f GFLOP/s\n", per_iter, flops / per_iter * 1e-9);
	printf("sgemm: %.6f s, %.2f GFLOP/s\n", best, flops / best * 1e-9);
	printf("ratio lloyd/sgemm GFLOP/s: %.3f\n", best / per_iter);
	free(x);
	free(cen);
	free(init);
	free(prod);
	free(assign);
	return 0;
}
