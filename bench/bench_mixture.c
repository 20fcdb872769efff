/*
 * bench_mixture: the error-aware mixture (PCA + EM) on a synthetic
 * N x D float32 view with C classes (default N = 100000, D = 512 reduced to
 * r = 128, K = 25, C = 10).
 *
 *   bench_mixture [N [D [r [K [threads [dir]]]]]]
 *
 * The input is generated block by block into <dir>/bench_mixture_<N>x<D>
 * {_emb,_labels,_probs}.npy by a child process (reused when present), then
 * memory-mapped with fl_array_open, so the peak RSS of this process counts
 * the input's resident pages honestly and nothing of its generation.
 *
 * Prints, in order:
 *  1. pipeline: fl_discover_mixture with its defaults (PCA, 8-bit
 *     projection, EM to tol, the assignment pass, candidates), run twice:
 *     first while the mapped input's pages are touched for the first time
 *     (in a VM with shadow paging that costs ~2 us a 4 kB page: ~0.2 s for
 *     400 MB), then with them resident, as for an array already in memory;
 *     seconds per stage, and the peak RSS (of the first run) against the
 *     embedding's size and against all the method's inputs;
 *  2. EM: seconds per full-data iteration, as the difference between runs of
 *     0 and `iters` iterations (tol 0, no warm-up) from the same start, and
 *     the GFLOP/s of its four products (X M^T, X^2 V^T, R^T X, R^T X^2:
 *     8 N r K flops) against plain cblas_sgemm calls of the same shapes in
 *     the same run, with OpenBLAS's own threads. (The sgemm operands, N x 2r
 *     floats, are allocated after the peak RSS above was read.)
 * Not a test: never fails on a number.
 */
#include "mixture/mixture_internal.h"
#include "bench_util.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "bench_mixture: %s: %s\n", what, fl_last_error());
	exit(1);
}

/* a version 1.0 .npy header for a float32 n x d array */
static void npy_header(FILE *fp, int64_t n, int64_t d)
{
	char h[128];
	int len = snprintf(h + 10, sizeof h - 10,
			   "{'descr': '<f4', 'fortran_order': False, 'shape': (%lld, %lld), }",
			   (long long)n, (long long)d);

	while ((10 + len + 1) % 64)
		h[10 + len++] = ' ';
	h[10 + len++] = '\n';
	memcpy(h, "\x93NUMPY\x01\x00", 8);
	h[8] = (char)(len & 0xff);
	h[9] = (char)(len >> 8);
	fwrite(h, 1, (size_t)(10 + len), fp);
}

/* C class blobs (centres N(0, 16/D) per coordinate, unit noise), four planted
 * slices of 2% each (tight sub-clusters, 60% errors), 5% background errors;
 * predicted probabilities put 0.8 on the predicted class. */
static void generate(const char *emb, const char *lab, const char *prob, int64_t n, int64_t d,
		     int32_t C)
{
	int64_t *labels = malloc((size_t)n * sizeof(int64_t));
	float *probs = malloc((size_t)(n * C) * sizeof(float));
	float *row = malloc((size_t)d * sizeof(float));
	double *cen = malloc((size_t)((C + 4) * d) * sizeof(double));
	FILE *fp = fopen(emb, "wb");
	fl_rng rng;

	if (!labels || !probs || !row || !cen || !fp) {
		fprintf(stderr, "bench_mixture: cannot generate %s\n", emb);
		exit(1);
	}
	fl__rng_seed(&rng, 42, FL_STREAM_BENCH_CENTRES);
	for (int64_t l = 0; l < C * d; l++)
		cen[l] = 4.0 / sqrt((double)d) * fl__rng_normal(&rng);
	for (int64_t s = 0; s < 4; s++)
		for (int64_t l = 0; l < d; l++)
			cen[(C + s) * d + l] = cen[(s % C) * d + l] + fl__rng_normal(&rng);
	npy_header(fp, n, d);
	for (int64_t i = 0; i < n; i++) {
		double u = fl__rng_uniform(&rng);
		int64_t slice = u < 0.08 ? (int64_t)(u / 0.02) : -1;
		int64_t y = slice >= 0 ? slice % C : (int64_t)fl__rng_below(&rng, (uint64_t)C);
		const double *mu = cen + (slice >= 0 ? C + slice : y) * d;
		double sd = slice >= 0 ? 0.5 : 1.0;
		int err = fl__rng_uniform(&rng) < (slice >= 0 ? 0.6 : 0.05);
		int64_t p = err ? (y + 1 + (int64_t)fl__rng_below(&rng, (uint64_t)C - 1)) % C : y;

		for (int64_t l = 0; l < d; l++)
			row[l] = (float)(mu[l] + sd * fl__rng_normal(&rng));
		fwrite(row, sizeof(float), (size_t)d, fp);
		labels[i] = y;
		for (int32_t c = 0; c < C; c++)
			probs[i * C + c] = c == p ? 0.8f : 0.2f / (float)(C - 1);
	}
	if (fclose(fp) != 0 || fl_npy_write(lab, labels, FL_DT_I64, n, 0) != 0 ||
	    fl_npy_write(prob, probs, FL_DT_F32, n, C) != 0) {
		fprintf(stderr, "bench_mixture: cannot write the input files\n");
		exit(1);
	}
	free(labels);
	free(probs);
	free(row);
	free(cen);
}

/* the pipeline's stage times, from its progress calls (done = 0..3) */
static double stage_t[4];

static int on_progress(void *user, const char *stage, int64_t done, int64_t total)
{
	(void)user;
	(void)stage;
	if (done >= 0 && done < 4 && total == 3)
		stage_t[done] = now();
	return 0;
}

static double sgemm_time(const float *a, const float *b, float *c, int m, int nn, int k, int ta)
{
	double best = 1e300;

	for (int r = 0; r < 3; r++) {
		double t = now();
		if (ta) /* (K x N) (N x 2r) */
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, nn, k, 1.0f, a, m, b,
				    nn, 0.0f, c, nn);
		else    /* (N x 2r) (2r x K) */
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, nn, k, 1.0f, a, k, b,
				    k, 0.0f, c, nn);
		t = now() - t;
		best = t < best ? t : best;
	}
	return best;
}

int main(int argc, char **argv)
{
	int64_t n = argc > 1 ? atoll(argv[1]) : 100000, d = argc > 2 ? atoll(argv[2]) : 512;
	int32_t r = argc > 3 ? atoi(argv[3]) : 128, k = argc > 4 ? atoi(argv[4]) : 25;
	int32_t threads = argc > 5 ? atoi(argv[5]) : 0, C = 10, iters = 5;
	const char *dir = argc > 6 ? argv[6] : "/tmp";
	char emb[512], lab[512], prob[512];
	struct stat st;
	fl_array *ae, *al, *ap;
	const float *x, *probs;
	const int64_t *labels;
	double *failure, t0, t_all = 0, t_cold = 0, rss_pipe = 0, rss_before, input_mb, other_mb;
	fl_failure_summary *sum;

	snprintf(emb, sizeof emb, "%s/bench_mixture_%lldx%lld_emb.npy", dir, (long long)n, (long long)d);
	snprintf(lab, sizeof lab, "%s/bench_mixture_%lldx%lld_labels.npy", dir, (long long)n, (long long)d);
	snprintf(prob, sizeof prob, "%s/bench_mixture_%lldx%lld_probs.npy", dir, (long long)n, (long long)d);
	if (stat(emb, &st) != 0 || stat(lab, &st) != 0 || stat(prob, &st) != 0) {
		pid_t pid = fork();
		int status = 0;
		if (pid == 0) {
			generate(emb, lab, prob, n, d, C);
			_exit(0);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0) {
			fprintf(stderr, "bench_mixture: generating the input failed\n");
			return 1;
		}
	}
	if (fl_array_open(&ae, emb, NULL) || fl_array_open(&al, lab, NULL) ||
	    fl_array_open(&ap, prob, NULL) || fl_array_f32(ae, &x) || fl_array_i64(al, &labels) ||
	    fl_array_f32(ap, &probs))
		die("open");
	if (!fl_array_is_mapped(ae))
		fprintf(stderr, "bench_mixture: warning: %s is not memory-mapped\n", emb);
	failure = malloc((size_t)n * sizeof(double));
	for (int64_t i = 0; i < n; i++) {
		int32_t b = 0;
		for (int32_t c = 1; c < C; c++)
			b = probs[i * C + c] > probs[i * C + b] ? c : b;
		failure[i] = b != labels[i];
	}
	if (fl_failure_summary_new(&sum, failure, n))
		die("failure summary");
	input_mb = (double)n * (double)d * 4 / 1048576.0;
	printf("N=%lld D=%lld r=%d K=%d C=%d threads=%d (0 = default: %d), OpenBLAS threads %d\n",
	       (long long)n, (long long)d, r, k, C, threads, omp_get_max_threads(),
	       openblas_get_num_threads());
	printf("input: %s, %.1f MiB (labels %.1f MiB, probs %.1f MiB, failure %.1f MiB)\n", emb,
	       input_mb, (double)n * 8 / 1048576.0, (double)(n * C) * 4 / 1048576.0,
	       (double)n * 8 / 1048576.0);

	rss_before = rss_mb(); /* the process, labels, probs, failure; not the embedding */
	/* 1. the whole method, defaults: first with the input's pages not yet
	 * touched by this process (every page of the mapped file is faulted in
	 * during the run), then again with them resident, as for an array
	 * already in memory (Domino's case) */
	for (int run = 0; run < 2; run++) {
		fl_discover_mixture_opts o = FL_DISCOVER_MIXTURE_OPTS_INIT;
		fl_candidate *cand = NULL;
		int32_t nc = 0;
		double t;

		o.k = k;
		o.pca_dims = r;
		o.threads = threads;
		o.progress = on_progress;
		t0 = now();
		if (fl_discover_mixture(&cand, &nc, x, n, d, d, "emb", labels, probs, C, sum, failure,
					&o))
			die("fl_discover_mixture");
		t = now() - t0;
		if (run == 0) {
			t_cold = t;
			rss_pipe = peak_rss_mb();
		} else {
			t_all = t;
		}
		printf("pipeline (%s): fl_discover_mixture %.3f s (PCA + projection %.3f s, EM %.3f s, "
		       "assignment + candidates %.3f s), %d candidates\n",
		       run ? "input resident" : "input mapped, first touch", t, stage_t[1] - stage_t[0],
		       stage_t[2] - stage_t[1], stage_t[3] - stage_t[2], nc);
		for (int32_t q = 0; q < nc; q++)
			fl_candidate_clear(&cand[q]);
		free(cand);
	}
	other_mb = (double)n * (8 + 4 * C + 8) / 1048576.0;
	printf("peak RSS %.1f MiB = embedding + %.1f%% = inputs (embedding, labels, probs, failure) + "
	       "%.1f%%; the method's own (peak - %.1f MiB resident before the call) = embedding + "
	       "%.1f%%\n", rss_pipe, 100.0 * (rss_pipe - input_mb) / input_mb,
	       100.0 * (rss_pipe - input_mb - other_mb) / (input_mb + other_mb), rss_before,
	       100.0 * (rss_pipe - rss_before - input_mb) / input_mb);
	/* the stages, separately */
	{
		fl_pca_opts po = FL_PCA_OPTS_INIT;
		fl_pca pca;
		fl_mixture m0, m1;
		fl_mixture_opts mo = FL_MIXTURE_OPTS_INIT;
		fl_mx_codes codes;
		double tp, tt, ti0, ti1;

		po.n_components = r;
		po.threads = threads;
		t0 = now();
		if (fl_pca_fit(&pca, x, n, d, d, &po))
			die("fl_pca_fit");
		tp = now() - t0;
		t0 = now();
		if (fl_mx_codes_alloc(&codes, n, pca.r) ||
		    fl_pca__transform(&pca, x, NULL, n, d, threads, NULL, 0, &codes))
			die("transform");
		tt = now() - t0;
		fl_mx_data data = {n, pca.r, NULL, 0, &codes, NULL, labels, probs, C, failure,
				   pca.variance, NULL, NULL};
		mo.k = k;
		mo.tol = 0;
		mo.warm_rows = -1;
		mo.threads = threads;
		mo.max_iter = 0;
		t0 = now();
		if (fl_mixture__fit(&m0, &data, &mo))
			die("fit");
		ti0 = now() - t0;
		mo.max_iter = iters;
		t0 = now();
		if (fl_mixture__fit(&m1, &data, &mo))
			die("fit");
		ti1 = now() - t0;
		double per = (ti1 - ti0) / iters;
		double flops = 8.0 * (double)n * (double)pca.r * (double)k;
		printf("stages: PCA fit %.3f s (%lld rows, %lld dims kept), projection to 8 bits %.3f s, "
		       "init + 1 pass %.3f s\n", tp, (long long)pca.rows_used, (long long)pca.r, tt, ti0);
		printf("EM: %.4f s per iteration (%d iterations timed), %.2f GFLOP/s in its products\n",
		       per, iters, flops / per * 1e-9);

		/* plain sgemm on the same shapes, OpenBLAS threads, after the RSS reading */
		int64_t r2 = 2 * pca.r;
		float *a = malloc((size_t)(n * r2) * sizeof(float));
		float *w = malloc((size_t)(r2 * k) * sizeof(float));
		float *c = malloc((size_t)(n * (k > r2 ? k : r2)) * sizeof(float));
		float *rr = malloc((size_t)(n * k) * sizeof(float));
		if (!a || !w || !c || !rr) {
			fprintf(stderr, "bench_mixture: no memory for the sgemm reference\n");
			return 1;
		}
		for (int64_t q = 0; q < n * r2; q++)
			a[q] = (float)((q * 2654435761u) % 1000) / 1000.0f;
		for (int64_t q = 0; q < r2 * k; q++)
			w[q] = (float)(q % 17) / 17.0f;
		for (int64_t q = 0; q < n * k; q++)
			rr[q] = 1.0f / (float)k;
		double te = sgemm_time(a, w, c, (int)n, k, (int)r2, 0);  /* E-step shape */
		double tm = sgemm_time(rr, a, c, k, (int)r2, (int)n, 1); /* M-step shape */
		double ref = flops / (te + tm) * 1e-9;
		printf("sgemm: E-step shape %.4f s + M-step shape %.4f s = %.2f GFLOP/s\n", te, tm, ref);
		printf("ratio EM/sgemm GFLOP/s: %.3f\n", (flops / per * 1e-9) / ref);
		printf("summary: N=%lld pipeline %.3f s (%.3f s with first touch), peak RSS %.1f MiB "
		       "(embedding %.1f MiB, +%.1f%%), EM %.4f s/iter, ratio %.3f\n", (long long)n,
		       t_all, t_cold, rss_pipe, input_mb, 100.0 * (rss_pipe - input_mb) / input_mb, per,
		       (flops / per * 1e-9) / ref);
		free(a);
		free(w);
		free(c);
		free(rr);
		fl_mx_codes_free(&codes);
		fl_pca_clear(&pca);
		fl_mixture_clear(&m0);
		fl_mixture_clear(&m1);
	}
	fl_failure_summary_free(sum);
	free(failure);
	fl_array_free(ae);
	fl_array_free(al);
	fl_array_free(ap);
	return 0;
}
