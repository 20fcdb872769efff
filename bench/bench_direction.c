/*
 * bench_direction: seconds for failure directions on N = 100000 rows of
 * d = 512 (override: bench_direction [N d threads]): one objective-and-
 * gradient pass of the solver (and the GB/s of rows it streams: the pass
 * is bound by memory bandwidth), one logistic regression at a fixed lambda,
 * then fl_direction_fit with a fixed and with the automatic lambda. The
 * failure probability rises along a random direction. Not a test; prints,
 * never fails on a number.
 */
#include "direction/direction_internal.h"
#include "bench_util.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

static void die(const char *what)
{
	fprintf(stderr, "bench_direction: %s: %s\n", what, fl_last_error());
	exit(1);
}

int main(int argc, char **argv)
{
	int64_t n = argc > 1 ? atoll(argv[1]) : 100000, d = argc > 2 ? atoll(argv[2]) : 512;
	int32_t threads = argc > 3 ? atoi(argv[3]) : 0;
	float *x = malloc((size_t)(n * d) * sizeof(float));
	double *f = malloc((size_t)n * sizeof(double)), *u = malloc((size_t)d * sizeof(double));
	double *theta = calloc((size_t)d + 1, sizeof(double)), obj, t;
	double *grad = malloc(((size_t)d + 1) * sizeof(double));
	unsigned char *y = malloc((size_t)n);
	fl_direction_opts o = FL_DIRECTION_OPTS_INIT;
	fl_direction dir;
	fl_lr_info info;
	fl_rng rng;

	if (!x || !f || !u || !theta || !grad || !y)
		return 1;
	fl__rng_seed(&rng, 1, FL_STREAM_BENCH_DATA);
	for (int64_t j = 0; j < d; j++)
		u[j] = fl__rng_normal(&rng) / sqrt((double)d);
	for (int64_t i = 0; i < n; i++) {
		double s = 0;
		for (int64_t j = 0; j < d; j++) {
			x[i * d + j] = (float)(fl__rng_normal(&rng) + 2.0 * (j % 10 == i % 10));
			s += x[i * d + j] * u[j];
		}
		y[i] = fl__rng_uniform(&rng) < 1 / (1 + exp(-(2 * s - 3)));
		f[i] = y[i];
	}
	printf("n %lld, d %lld, threads %d (0 = all)\n", (long long)n, (long long)d, threads);

	fl_lr_data data = {x, d, d, NULL, n, NULL, NULL, NULL, y, NULL, NULL, 0};
	if (fl_direction__objective(&obj, grad, theta, &data, 0.01, threads)) /* warm up */
		die("objective");
	t = now();
	for (int r = 0; r < 5; r++)
		if (fl_direction__objective(&obj, grad, theta, &data, 0.01, threads))
			die("objective");
	t = (now() - t) / 5;
	printf("objective + gradient pass: %.4f s (%.1f GB/s of rows)\n", t,
	       (double)n * (double)d * 4 / t / 1e9);

	fl_lr_opts lo = {0.01, 200, 1e-4, threads};
	for (int64_t j = 0; j <= d; j++)
		theta[j] = 0;
	t = now();
	if (fl_direction__logreg(theta, &info, NULL, &data, &lo))
		die("logreg");
	printf("one logistic regression, lambda 0.01: %.3f s, %d iterations\n", now() - t,
	       info.n_iter);

	o.threads = threads;
	o.lambda = 0.01;
	t = now();
	if (fl_direction_fit(&dir, NULL, x, n, d, d, NULL, n, f, &o))
		die("fit");
	printf("fl_direction_fit, 2 folds, lambda 0.01: %.3f s (AUC %.3f)\n", now() - t, dir.auc);
	fl_direction_clear(&dir);
	o.lambda = 0;
	t = now();
	if (fl_direction_fit(&dir, NULL, x, n, d, d, NULL, n, f, &o))
		die("fit");
	printf("fl_direction_fit, 2 folds, automatic lambda (%.3g): %.3f s (AUC %.3f)\n",
	       dir.lambda, now() - t, dir.auc);
	fl_direction_clear(&dir);
	free(x);
	free(f);
	free(u);
	free(theta);
	free(grad);
	free(y);
	return 0;
}
