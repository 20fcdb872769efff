/*
 * The mixture's EM against a slow, obviously correct double-precision EM
 * from the same start (every parameter and the responsibilities within a
 * stated tolerance), plus properties: the objective never decreases (ours
 * and the reference's; Domino's weighted-mean update of phat does decrease
 * it on soft predictions), responsibilities sum to 1, 1 and 2 threads give
 * the same bits, a component that every row leaves is handled, the warm-up
 * stage, prediction with terms left out, the float kernels (exp, log) against libm, the 8-bit working copy, edge cases and argument checks.
 */
#include "check.h"
#include "mixture/mixture_internal.h"

#include <float.h>
#include <string.h>

/* ---- test data: k blobs in d dimensions, labels tied to blobs, soft
 * predictions, binary failure ---------------------------------------- */

typedef struct {
	int64_t n, d;
	int32_t C;
	float *z;
	int64_t *labels;
	float *probs;
	double *failure;
} tdata;

static void tdata_make(tdata *t, int64_t n, int64_t d, int32_t C, int blobs, uint64_t *st)
{
	double *mu = malloc((size_t)(blobs * d) * sizeof(double));

	t->n = n;
	t->d = d;
	t->C = C;
	t->z = malloc((size_t)(n * d) * sizeof(float));
	t->labels = malloc((size_t)n * sizeof(int64_t));
	t->probs = malloc((size_t)(n * C) * sizeof(float));
	t->failure = malloc((size_t)n * sizeof(double));
	for (int64_t l = 0; l < blobs * d; l++)
		mu[l] = 6 * (check_uniform(st) - 0.5);
	for (int64_t i = 0; i < n; i++) {
		int g = (int)(check_rand(st) % (uint64_t)blobs);
		int64_t y = check_uniform(st) < 0.8 ? g % C : (int64_t)(check_rand(st) % (uint64_t)C);
		int64_t p = check_uniform(st) < 0.75 ? y : (int64_t)(check_rand(st) % (uint64_t)C);
		double conf = 0.5 + 0.4 * check_uniform(st), rest = 0;

		for (int64_t l = 0; l < d; l++) {
			double e = 0;
			for (int q = 0; q < 4; q++)
				e += check_uniform(st) - 0.5;
			t->z[i * d + l] = (float)(mu[g * d + l] + (0.6 + 0.2 * g) * 1.7 * e);
		}
		t->labels[i] = y;
		for (int32_t c = 0; c < C; c++) {
			double v = c == p ? conf : (1 - conf) * (0.2 + check_uniform(st));
			t->probs[i * C + c] = (float)v;
			rest += c == p ? 0 : v;
		}
		for (int32_t c = 0; c < C; c++) /* the others share 1 - conf */
			if (c != p)
				t->probs[i * C + c] = (float)(t->probs[i * C + c] * (1 - conf) / rest);
		t->failure[i] = p != y;
	}
	free(mu);
}

static void tdata_free(tdata *t)
{
	free(t->z);
	free(t->labels);
	free(t->probs);
	free(t->failure);
}

/* ---- the reference: plain double EM, direct formulas ------------------ */

typedef struct {
	int32_t k;
	int64_t d;
	int32_t C;
	double g, gh, gf;
	int labels, probs, bern, domino_phat;
	double *w, *mu, *var, *p, *ph, *q, *floor;
} ref;

static void ref_from(ref *r, const fl_mixture *m, int domino_phat)
{
	size_t kd = (size_t)m->k * (size_t)m->d, kc = (size_t)m->k * (size_t)(m->n_classes + 1);

	r->k = m->k;
	r->d = m->d;
	r->C = m->n_classes;
	r->g = m->gamma;
	r->gh = m->gamma_hat;
	r->gf = m->gamma_f;
	r->labels = m->has_labels;
	r->probs = m->has_probs;
	r->bern = m->failure == FL_MIXTURE_FAILURE_BERNOULLI;
	r->domino_phat = domino_phat;
	r->w = malloc((size_t)m->k * sizeof(double));
	r->mu = malloc(kd * sizeof(double));
	r->var = malloc(kd * sizeof(double));
	r->p = calloc(kc, sizeof(double));
	r->ph = calloc(kc, sizeof(double));
	r->q = calloc((size_t)m->k, sizeof(double));
	r->floor = malloc((size_t)m->d * sizeof(double));
	memcpy(r->w, m->weights, (size_t)m->k * sizeof(double));
	memcpy(r->mu, m->means, kd * sizeof(double));
	memcpy(r->var, m->variances, kd * sizeof(double));
	memcpy(r->floor, m->floor, (size_t)m->d * sizeof(double));
	if (r->labels)
		memcpy(r->p, m->label_probs, (size_t)(m->k * m->n_classes) * sizeof(double));
	if (r->probs)
		memcpy(r->ph, m->pred_probs, (size_t)(m->k * m->n_classes) * sizeof(double));
	if (r->bern)
		memcpy(r->q, m->fail_mean, (size_t)m->k * sizeof(double));
}

static void ref_free(ref *r)
{
	free(r->w);
	free(r->mu);
	free(r->var);
	free(r->p);
	free(r->ph);
	free(r->q);
	free(r->floor);
}

/* E-step: R (n x k) and the objective (mean, with the prior) */
static double ref_estep(const ref *r, const tdata *t, double *R)
{
	int64_t d = r->d;
	int32_t k = r->k, C = r->C;
	double ll = 0, prior = 0, a = FL_MIXTURE_PSEUDOCOUNT;

	for (int64_t i = 0; i < t->n; i++) {
		double mx = -HUGE_VAL, s = 0;
		for (int32_t c = 0; c < k; c++) {
			double v = r->w[c] > 0 ? log(r->w[c]) : -HUGE_VAL;
			for (int64_t j = 0; j < d && r->w[c] > 0; j++) {
				double u = t->z[i * d + j] - r->mu[c * d + j];
				v -= 0.5 * (log(6.283185307179586 * r->var[c * d + j]) + u * u / r->var[c * d + j]);
			}
			if (r->labels)
				v += r->g * log(r->p[c * C + t->labels[i]]);
			if (r->probs) {
				double dot = 0;
				for (int32_t q = 0; q < C; q++)
					dot += t->probs[i * C + q] * r->ph[c * C + q];
				v += r->gh * log(dot);
			}
			if (r->bern)
				v += r->gf * (t->failure[i] ? log(r->q[c]) : log1p(-r->q[c]));
			R[i * k + c] = v;
			mx = v > mx ? v : mx;
		}
		for (int32_t c = 0; c < k; c++)
			s += exp(R[i * k + c] - mx);
		for (int32_t c = 0; c < k; c++)
			R[i * k + c] = exp(R[i * k + c] - mx) / s;
		ll += mx + log(s);
	}
	for (int32_t c = 0; c < k; c++) {
		for (int32_t q = 0; q < C && r->labels; q++)
			prior += r->g * a * log(r->p[c * C + q]);
		for (int32_t q = 0; q < C && r->probs; q++)
			prior += r->gh * a * log(r->ph[c * C + q]);
		if (r->bern)
			prior += r->gf * a * (log(r->q[c]) + log1p(-r->q[c]));
	}
	return (ll + prior) / (double)t->n;
}

/* M-step from R, the direct way (two-pass variances) */
static void ref_mstep(ref *r, const tdata *t, const double *R)
{
	int64_t d = r->d;
	int32_t k = r->k, C = r->C;
	double a = FL_MIXTURE_PSEUDOCOUNT, tot = 0;

	for (int32_t c = 0; c < k; c++) {
		double ns = 0;
		for (int64_t i = 0; i < t->n; i++)
			ns += R[i * k + c];
		if (!(ns >= 1e-6) || r->w[c] <= 0) {
			r->w[c] = 0;
			continue;
		}
		r->w[c] = ns;
		tot += ns;
		for (int64_t j = 0; j < d; j++) {
			double m = 0, v = 0;
			for (int64_t i = 0; i < t->n; i++)
				m += R[i * k + c] * t->z[i * d + j];
			m /= ns;
			for (int64_t i = 0; i < t->n; i++)
				v += R[i * k + c] * (t->z[i * d + j] - m) * (t->z[i * d + j] - m);
			v /= ns;
			r->mu[c * d + j] = m;
			r->var[c * d + j] = v > r->floor[j] ? v : r->floor[j];
		}
		if (r->labels) {
			for (int32_t q = 0; q < C; q++) {
				double cnt = 0;
				for (int64_t i = 0; i < t->n; i++)
					cnt += t->labels[i] == q ? R[i * k + c] : 0;
				r->p[c * C + q] = (cnt + a) / (ns + C * a);
			}
		}
		if (r->probs) {
			double e[16], se = 0;
			for (int32_t q = 0; q < C; q++) {
				double acc = 0;
				for (int64_t i = 0; i < t->n; i++) {
					double dot = 0;
					for (int32_t u = 0; u < C; u++)
						dot += t->probs[i * C + u] * r->ph[c * C + u];
					acc += R[i * k + c] * t->probs[i * C + q] /
					       (r->domino_phat ? 1.0 : dot);
				}
				e[q] = r->domino_phat ? acc : r->ph[c * C + q] * acc;
				se += e[q];
			}
			for (int32_t q = 0; q < C; q++)
				r->ph[c * C + q] = (e[q] + a) / (se + C * a);
		}
		if (r->bern) {
			double f = 0;
			for (int64_t i = 0; i < t->n; i++)
				f += R[i * k + c] * t->failure[i];
			r->q[c] = (f + a) / (ns + 2 * a);
		}
	}
	for (int32_t c = 0; c < k; c++)
		r->w[c] /= tot;
}

/* ---- the tests ---------------------------------------------------------- */

static double max_rel(const double *a, const double *b, int64_t n, double scale_floor)
{
	double m = 0;

	for (int64_t i = 0; i < n; i++)
		m = fmax(m, fabs(a[i] - b[i]) / fmax(scale_floor, fabs(b[i])));
	return m;
}

/* Tolerances: after 8 iterations from the same start, float32 on BLAS and
 * the double reference agreed (worst over seeds 1..21) to 2.4e-6 relative
 * on variances, 8.4e-7 on phat, 1.8e-7 on means, 5.4e-7 absolute on
 * responsibilities; the bounds are about 10x that. */
#define TOL_PARAM 2e-5 /* weights, means (relative to 1), variances, p, phat, q */
#define TOL_RESP 5e-6  /* responsibilities, same parameters */

static void test_reference(uint64_t seed)
{
	uint64_t st = seed;
	tdata t;
	fl_mixture m0, m;
	fl_mixture_opts o = FL_MIXTURE_OPTS_INIT;
	ref r;
	double *R, obj_ref = 0, prev = -HUGE_VAL, worst[7] = {0};
	float *resp;
	int mono = 1, sums = 1;
	const int T = 8;

	tdata_make(&t, 900, 6, 3, 4, &st);
	o.k = 5;
	o.gamma_f = 1;
	o.tol = 0;
	o.warm_rows = -1;
	o.max_iter = 0;
	o.seed = seed;
	CHECK_RC(fl_mixture_fit(&m0, t.z, t.n, t.d, t.d, t.labels, t.probs, t.C, t.failure, &o), 0);
	o.max_iter = T;
	CHECK_RC(fl_mixture_fit(&m, t.z, t.n, t.d, t.d, t.labels, t.probs, t.C, t.failure, &o), 0);
	CHECK(m.has_labels && m.has_probs && m.failure == FL_MIXTURE_FAILURE_BERNOULLI);
	CHECK_EQ_INT(m.n_iter, T);

	/* the same start, T reference iterations */
	ref_from(&r, &m0, 0);
	R = malloc((size_t)(t.n * r.k) * sizeof(double));
	for (int it = 0; it <= T; it++) {
		obj_ref = ref_estep(&r, &t, R);
		mono &= obj_ref >= prev - 1e-12 * fabs(obj_ref);
		CHECK_NEAR(m.trace[it], obj_ref, 1e-5);
		prev = obj_ref;
		if (it < T)
			ref_mstep(&r, &t, R);
	}
	CHECK(mono);
	worst[0] = max_rel(m.weights, r.w, r.k, 1e-3);
	worst[1] = max_rel(m.means, r.mu, r.k * r.d, 1.0);
	worst[2] = max_rel(m.variances, r.var, r.k * r.d, 1e-3);
	worst[3] = max_rel(m.label_probs, r.p, r.k * r.C, 1e-3);
	worst[4] = max_rel(m.pred_probs, r.ph, r.k * r.C, 1e-3);
	worst[5] = max_rel(m.fail_mean, r.q, r.k, 1e-3);

	/* responsibilities of the same parameters: ours in float, the reference's */
	ref_free(&r);
	ref_from(&r, &m, 0);
	ref_estep(&r, &t, R);
	resp = malloc((size_t)(t.n * r.k) * sizeof(float));
	CHECK_RC(fl_mixture_predict(resp, NULL, NULL, &m, t.z, t.n, t.d, t.labels, t.probs,
				    t.failure, 0), 0);
	for (int64_t i = 0; i < t.n; i++) {
		double s = 0;
		for (int32_t c = 0; c < r.k; c++) {
			s += resp[i * r.k + c];
			worst[6] = fmax(worst[6], fabs(resp[i * r.k + c] - R[i * r.k + c]));
		}
		sums &= fabs(s - 1) < 1e-5;
	}
	CHECK(sums);
	printf("seed %llu: reference agreement after %d iterations: weights %.2g, means %.2g, "
	       "variances %.2g, p %.2g, phat %.2g, q %.2g (relative); responsibilities %.2g "
	       "(absolute)\n", (unsigned long long)seed, T, worst[0], worst[1], worst[2], worst[3],
	       worst[4], worst[5], worst[6]);
	for (int q = 0; q < 6; q++)
		CHECK(worst[q] <= TOL_PARAM);
	CHECK(worst[6] <= TOL_RESP);
	free(R);
	free(resp);
	ref_free(&r);
	fl_mixture_clear(&m0);
	fl_mixture_clear(&m);
	tdata_free(&t);
}

/* Monotone objective over a long run, ours (float rounding allowed) and
 * the reference's. Domino's weighted-mean phat update is not monotone on
 * soft predictions: shown on fixed data (`demo`), where it lowers the
 * objective (the reason for the EM update of mixture weights). */
static void test_monotone(uint64_t seed, int demo)
{
	uint64_t st = demo ? 1 : seed ^ 0x9e37;
	tdata t;
	fl_mixture m, m0;
	fl_mixture_opts o = FL_MIXTURE_OPTS_INIT;
	ref r;
	double *R, prev = -HUGE_VAL, worst_drop = 0;
	int ok = 1, domino_drops = 0;

	tdata_make(&t, 700, 4, 4, 5, &st);
	o.k = 8;
	o.tol = 0;
	o.max_iter = 60;
	o.warm_rows = -1;
	o.seed = demo ? 1 : seed;
	o.gamma_f = 2;
	CHECK_RC(fl_mixture_fit(&m, t.z, t.n, t.d, t.d, t.labels, t.probs, t.C, t.failure, &o), 0);
	for (int32_t i = 1; i <= m.n_iter; i++) {
		double drop = m.trace[i - 1] - m.trace[i];
		worst_drop = fmax(worst_drop, drop / fabs(m.trace[i]));
		/* float32 sums of ~1e3 rows: rounding below 1e-6 relative */
		ok &= drop <= 1e-6 * fabs(m.trace[i]);
	}
	printf("monotone: %d iterations, largest relative decrease %.2g\n", m.n_iter, worst_drop);
	CHECK(ok);

	o.max_iter = 0;
	CHECK_RC(fl_mixture_fit(&m0, t.z, t.n, t.d, t.d, t.labels, t.probs, t.C, t.failure, &o), 0);
	R = malloc((size_t)(t.n * o.k) * sizeof(double));
	for (int domino = 0; domino < 2; domino++) {
		int mono = 1;
		ref_from(&r, &m0, domino);
		prev = -HUGE_VAL;
		for (int it = 0; it < 60; it++) {
			double obj = ref_estep(&r, &t, R);
			if (obj < prev - 1e-12 * fabs(obj)) {
				mono = 0;
				domino_drops += domino;
			}
			prev = obj;
			ref_mstep(&r, &t, R);
		}
		if (!domino)
			CHECK(mono);
		ref_free(&r);
	}
	printf("monotone: Domino's weighted-mean phat lowered the objective in %d of 60 iterations%s\n",
	       domino_drops, demo ? " (fixed data)" : "");
	if (demo)
		CHECK(domino_drops > 0);
	free(R);
	fl_mixture_clear(&m);
	fl_mixture_clear(&m0);
	tdata_free(&t);
}

static int same_model(const fl_mixture *a, const fl_mixture *b)
{
	size_t kd = (size_t)a->k * (size_t)a->d, kc = (size_t)a->k * (size_t)a->n_classes;

	return a->k == b->k && a->n_iter == b->n_iter && a->n_iter_warm == b->n_iter_warm &&
	       !memcmp(a->weights, b->weights, (size_t)a->k * sizeof(double)) &&
	       !memcmp(a->means, b->means, kd * sizeof(double)) &&
	       !memcmp(a->variances, b->variances, kd * sizeof(double)) &&
	       (!a->has_labels || !memcmp(a->label_probs, b->label_probs, kc * sizeof(double))) &&
	       (!a->has_probs || !memcmp(a->pred_probs, b->pred_probs, kc * sizeof(double))) &&
	       !memcmp(a->trace, b->trace, ((size_t)a->n_iter + 1) * sizeof(double));
}

/* 1 vs 2 threads, both inits, with the warm-up stage on */
static void test_threads(uint64_t seed)
{
	uint64_t st = seed ^ 0x7777;
	tdata t;
	fl_mixture a, b;
	fl_mixture_opts o = FL_MIXTURE_OPTS_INIT;

	tdata_make(&t, 9000, 8, 3, 6, &st);
	o.k = 7;
	o.seed = seed;
	o.gamma_f = 1;
	o.warm_rows = 3000;
	for (int init = 0; init < 2; init++) {
		o.init = (fl_mixture_init)init;
		o.threads = 1;
		CHECK_RC(fl_mixture_fit(&a, t.z, t.n, t.d, t.d, t.labels, t.probs, t.C, t.failure, &o), 0);
		o.threads = 2;
		CHECK_RC(fl_mixture_fit(&b, t.z, t.n, t.d, t.d, t.labels, t.probs, t.C, t.failure, &o), 0);
		CHECK(same_model(&a, &b));
		CHECK(a.n_iter_warm > 0 && a.converged);
		CHECK_EQ_INT(a.init, init);
		/* after the warm-up, EM on all rows stops at the first change
		 * below 10 tol, and not before */
		CHECK(a.n_iter >= 1 && fabs(a.trace[a.n_iter] - a.trace[a.n_iter - 1]) < 10 * o.tol);
		for (int32_t it = 1; it < a.n_iter; it++)
			CHECK(fabs(a.trace[it] - a.trace[it - 1]) >= 10 * o.tol);
		printf("threads: init %d, %d warm-up + %d iterations, identical for 1 and 2 threads\n",
		       init, a.n_iter_warm, a.n_iter);
		fl_mixture_clear(&a);
		fl_mixture_clear(&b);
	}
	tdata_free(&t);
}

/* A component started far from every row: all rows leave it at once; it is
 * dead (weight 0), never NaN, never assigned, and the fit goes on. */
static void test_degenerate(uint64_t seed)
{
	uint64_t st = seed ^ 0x4444;
	tdata t;
	fl_mixture s, m;
	fl_mixture_opts o = FL_MIXTURE_OPTS_INIT;
	fl_mx_data data;
	int32_t *assign;
	int finite = 1, hit = 0;

	tdata_make(&t, 600, 3, 3, 3, &st);
	o.k = 4;
	o.max_iter = 0;
	o.warm_rows = -1;
	o.gamma_f = 1;
	CHECK_RC(fl_mixture_fit(&s, t.z, t.n, t.d, t.d, t.labels, t.probs, t.C, t.failure, &o), 0);
	for (int64_t j = 0; j < t.d; j++)
		s.means[3 * t.d + j] = 1e4;
	data = (fl_mx_data){t.n, t.d, t.z, t.d, NULL, NULL, t.labels, t.probs, t.C,
			    t.failure, NULL, NULL, NULL};
	o.max_iter = 30;
	o.tol = 0;
	CHECK_RC(fl_mixture__fit_from(&m, &data, &o, &s, NULL), 0);
	CHECK(m.weights[3] == 0);
	for (int64_t q = 0; q < (int64_t)m.k * m.d; q++)
		finite &= isfinite(m.means[q]) && isfinite(m.variances[q]) && m.variances[q] > 0;
	for (int32_t c = 0; c < m.k; c++)
		finite &= isfinite(m.weights[c]) && isfinite(m.fail_mean[c]);
	for (int32_t i = 0; i <= m.n_iter; i++)
		finite &= isfinite(m.trace[i]);
	CHECK(finite);
	assign = malloc((size_t)t.n * sizeof(int32_t));
	CHECK_RC(fl_mixture_predict(NULL, assign, NULL, &m, t.z, t.n, t.d, t.labels, t.probs,
				    t.failure, 0), 0);
	for (int64_t i = 0; i < t.n; i++)
		hit += assign[i] == 3;
	CHECK_EQ_INT(hit, 0);
	free(assign);
	fl_mixture_clear(&s);
	fl_mixture_clear(&m);
	tdata_free(&t);
}

/* Prediction with terms left out; the Gaussian failure term; no side inputs */
static void test_terms(uint64_t seed)
{
	uint64_t st = seed ^ 0x1234;
	tdata t;
	fl_mixture m;
	fl_mixture_opts o = FL_MIXTURE_OPTS_INIT;
	float *r1, *r2;
	int32_t *a1;
	double obj = 0, *loss;
	int differ = 0, sums = 1;

	tdata_make(&t, 800, 4, 3, 3, &st);
	o.k = 3;
	o.gamma_f = 1;
	CHECK_RC(fl_mixture_fit(&m, t.z, t.n, t.d, t.d, t.labels, t.probs, t.C, t.failure, &o), 0);
	r1 = malloc((size_t)(t.n * 3) * sizeof(float));
	r2 = malloc((size_t)(t.n * 3) * sizeof(float));
	a1 = malloc((size_t)t.n * sizeof(int32_t));
	CHECK_RC(fl_mixture_predict(r1, a1, &obj, &m, t.z, t.n, t.d, t.labels, t.probs, t.failure, 0), 0);
	CHECK(isfinite(obj));
	/* embedding only: a different posterior, still a distribution */
	CHECK_RC(fl_mixture_predict(r2, NULL, NULL, &m, t.z, t.n, t.d, NULL, NULL, NULL, 0), 0);
	for (int64_t i = 0; i < t.n; i++) {
		double s = r2[i * 3] + r2[i * 3 + 1] + r2[i * 3 + 2];
		sums &= fabs(s - 1) < 1e-5;
		for (int c = 0; c < 3; c++)
			differ |= fabs(r1[i * 3 + c] - r2[i * 3 + c]) > 1e-3;
		/* argmax, ties to the lowest index */
		int b = 0;
		for (int c = 1; c < 3; c++)
			b = r1[i * 3 + c] > r1[i * 3 + b] ? c : b;
		sums &= a1[i] == b;
	}
	CHECK(sums);
	CHECK(differ);
	/* a Bernoulli model refuses a continuous signal */
	loss = malloc((size_t)t.n * sizeof(double));
	for (int64_t i = 0; i < t.n; i++)
		loss[i] = t.failure[i] + 0.1 * check_uniform(&st);
	CHECK_RC(fl_mixture_predict(NULL, a1, NULL, &m, t.z, t.n, t.d, NULL, NULL, loss, 0), FL_EINVAL);
	fl_mixture_clear(&m);

	/* continuous failure without labels: a Gaussian term */
	CHECK_RC(fl_mixture_fit(&m, t.z, t.n, t.d, t.d, NULL, NULL, 0, loss, &o), 0);
	CHECK(m.failure == FL_MIXTURE_FAILURE_GAUSSIAN && m.fail_var && !m.has_labels &&
	      !m.has_probs && m.n_classes == 0 && m.init == FL_MIXTURE_INIT_KMEANS);
	for (int32_t c = 0; c < m.k; c++)
		CHECK(m.fail_var[c] > 0 && isfinite(m.fail_mean[c]));
	for (int32_t i = 1; i <= m.n_iter; i++)
		CHECK(m.trace[i] >= m.trace[i - 1] - 1e-6 * fabs(m.trace[i]));
	fl_mixture_clear(&m);

	/* nothing but the embedding: a plain diagonal GMM */
	o.gamma_f = 0;
	CHECK_RC(fl_mixture_fit(&m, t.z, t.n, t.d, t.d, NULL, NULL, 0, t.failure, &o), 0);
	CHECK(m.failure == FL_MIXTURE_FAILURE_NONE && !m.fail_mean);
	fl_mixture_clear(&m);
	free(loss);
	free(r1);
	free(r2);
	free(a1);
	tdata_free(&t);
}

static void test_edges(void)
{
	float z[12] = {1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2}, one[2] = {3, 4};
	float zc[8] = {0, 5, 0, 6, 0, 7, 0, 8}; /* first column constant */
	fl_mixture m;
	fl_mixture_opts o = FL_MIXTURE_OPTS_INIT;

	/* k = n = 1 */
	o.k = 1;
	CHECK_RC(fl_mixture_fit(&m, one, 1, 2, 2, NULL, NULL, 0, NULL, &o), 0);
	CHECK(m.weights[0] == 1 && m.variances[0] > 0 && isfinite(m.objective));
	fl_mixture_clear(&m);
	/* identical rows, k = n */
	o.k = 6;
	CHECK_RC(fl_mixture_fit(&m, z, 6, 2, 2, NULL, NULL, 0, NULL, &o), 0);
	CHECK(isfinite(m.objective));
	for (int64_t q = 0; q < 12; q++)
		CHECK(m.variances[q] > 0);
	fl_mixture_clear(&m);
	/* a constant column: its floor is 1, nothing divides by 0 */
	o.k = 2;
	CHECK_RC(fl_mixture_fit(&m, zc, 4, 2, 2, NULL, NULL, 0, NULL, &o), 0);
	CHECK(m.floor[0] == 1 && isfinite(m.objective));
	fl_mixture_clear(&m);
}

static void test_invalid(void)
{
	float z[8] = {0, 1, 2, 3, 4, 5, 6, 7}, probs[8] = {1, 0, 0.5f, 0.5f, 0, 1, 0.2f, 0.8f};
	int64_t labels[4] = {0, 1, 1, 0}, bad[4] = {0, 1, 2, 0};
	fl_mixture m;
	fl_mixture_opts o = FL_MIXTURE_OPTS_INIT;

	o.k = 2;
	CHECK_RC(fl_mixture_fit(NULL, z, 4, 2, 2, NULL, NULL, 0, NULL, &o), FL_EINVAL);
	CHECK_RC(fl_mixture_fit(&m, NULL, 4, 2, 2, NULL, NULL, 0, NULL, &o), FL_EINVAL);
	CHECK(m.weights == NULL);
	CHECK_RC(fl_mixture_fit(&m, z, 4, 2, 1, NULL, NULL, 0, NULL, &o), FL_EINVAL);
	CHECK_RC(fl_mixture_fit(&m, z, 0, 2, 2, NULL, NULL, 0, NULL, &o), FL_EINVAL);
	CHECK_RC(fl_mixture_fit(&m, z, 4, 2, 2, bad, NULL, 2, NULL, &o), FL_EINVAL);
	CHECK(strstr(fl_last_error(), "row 2") != NULL);
	CHECK_RC(fl_mixture_fit(&m, z, 4, 2, 2, labels, NULL, 1, NULL, &o), FL_EINVAL);
	o.k = 5;
	CHECK_RC(fl_mixture_fit(&m, z, 4, 2, 2, labels, probs, 2, NULL, &o), FL_EINVAL);
	o.k = 2;
	o.reg = 1;
	CHECK_RC(fl_mixture_fit(&m, z, 4, 2, 2, labels, probs, 2, NULL, &o), FL_EINVAL);
	o.reg = 1e-6;
	o.version = 99;
	CHECK_RC(fl_mixture_fit(&m, z, 4, 2, 2, labels, probs, 2, NULL, &o), FL_EINVAL);
	o.version = FL_MIXTURE_OPTS_VERSION;
	z[3] = NAN;
	CHECK_RC(fl_mixture_fit(&m, z, 4, 2, 2, labels, probs, 2, NULL, &o), FL_EINVAL);
	z[3] = 3;
	CHECK_RC(fl_mixture_fit(&m, z, 4, 2, 2, labels, probs, 2, NULL, &o), 0);
	CHECK_RC(fl_mixture_predict(NULL, NULL, NULL, &m, z, 4, 1, labels, probs, NULL, 0), FL_EINVAL);
	CHECK_RC(fl_mixture_predict(NULL, NULL, NULL, NULL, z, 4, 2, labels, probs, NULL, 0), FL_EINVAL);
	CHECK_RC(fl_mixture_predict(NULL, NULL, NULL, &m, z, 0, 2, NULL, NULL, NULL, 0), 0);
	fl_mixture_clear(&m);
	fl_mixture_clear(NULL);
}

/* ---- float kernels ------------------------------------------------------ */

static double normal(uint64_t *st)
{
	return sqrt(-2 * log(1 - check_uniform(st))) * cos(6.283185307179586 * check_uniform(st));
}

/* The 8-bit working copy of a projection: per group of FL_MX_QROWS rows and
 * column, the codes span the group's range exactly (code 0 at its minimum,
 * 255 at its maximum), every value decodes within half a step, a group of
 * identical rows decodes exactly, any thread count gives the same bytes, and EM on
 * the codes equals EM on their decoded floats. */
static void test_codes(uint64_t seed)
{
	uint64_t st = seed;
	int64_t n = 1000, d = 20, r = 8, groups = (n + FL_MX_QROWS - 1) / FL_MX_QROWS;
	float *x = malloc((size_t)(n * d) * sizeof(float)), *z = malloc((size_t)(n * r) * sizeof(float));
	float *dec = malloc((size_t)(n * r) * sizeof(float));
	int64_t *labels = malloc((size_t)n * sizeof(int64_t));
	fl_pca_opts po = FL_PCA_OPTS_INIT;
	fl_mixture_opts mo = FL_MIXTURE_OPTS_INIT;
	fl_mixture m1, m2;
	fl_mx_codes c1, c2;
	fl_pca p;
	double worst = 0;
	int ends = 1, same;

	for (int64_t i = 0; i < n; i++) {
		labels[i] = i % 3;
		for (int64_t j = 0; j < d; j++) /* heavy tails in some columns */
			x[i * d + j] = (float)(normal(&st) * (j % 4 == 0 ? exp(2 * check_uniform(&st)) : 1) +
					       3.0 * (double)labels[i] * (j == 1));
	}
	for (int64_t i = 1; i < FL_MX_QROWS; i++) /* group 0: one row, repeated */
		memcpy(x + i * d, x, (size_t)d * sizeof(float));
	po.n_components = (int32_t)r;
	CHECK_RC(fl_pca_fit(&p, x, n, d, d, &po), 0);
	CHECK_EQ_INT(p.r, r);
	CHECK_RC(fl_pca_transform(z, r, &p, x, n, d, 1), 0);
	CHECK_RC(fl_mx_codes_alloc(&c1, n, r), 0);
	CHECK_RC(fl_mx_codes_alloc(&c2, n, r), 0);
	CHECK_RC(fl_pca__transform(&p, x, NULL, n, d, 1, NULL, 0, &c1), 0);
	CHECK_RC(fl_pca__transform(&p, x, NULL, n, d, 2, NULL, 0, &c2), 0);
	same = !memcmp(c1.code, c2.code, (size_t)(n * r)) &&
	       !memcmp(c1.lo, c2.lo, (size_t)(groups * r) * sizeof(float)) &&
	       !memcmp(c1.step, c2.step, (size_t)(groups * r) * sizeof(float));
	CHECK(same);
	for (int64_t g = 0; g < groups; g++)
		for (int64_t j = 0; j < r; j++) {
			int64_t a = g * FL_MX_QROWS, b = a + FL_MX_QROWS < n ? a + FL_MX_QROWS : n;
			float lo = z[a * r + j], hi = lo, step = c1.step[g * r + j];
			int saw0 = 0, saw255 = 0;
			for (int64_t i = a; i < b; i++) {
				float v = z[i * r + j], got = c1.lo[g * r + j] + step * c1.code[i * r + j];
				lo = v < lo ? v : lo;
				hi = v > hi ? v : hi;
				saw0 |= c1.code[i * r + j] == 0;
				saw255 |= c1.code[i * r + j] == 255;
				worst = fmax(worst, step > 0 ? fabs(got - v) / step : fabs(got - v));
				dec[i * r + j] = got;
			}
			if (g == 0) /* constant: step 0, exact */
				ends &= step == 0 && hi == lo && c1.lo[j] == lo;
			else
				ends &= c1.lo[g * r + j] == lo && saw0 && saw255 &&
					fabs(lo + 255.0 * step - hi) <= 1e-5 * (hi - lo);
		}
	printf("codes: worst rounding error %.4f steps\n", worst);
	CHECK(ends);
	CHECK(worst <= 0.5 + 1e-3);

	/* EM on the codes is EM on the floats they decode to */
	{
		fl_mx_data q = {n, r, NULL, 0, &c1, NULL, labels, NULL, 3, NULL, p.variance, NULL, NULL};
		fl_mx_data f = {n, r, dec, r, NULL, NULL, labels, NULL, 3, NULL, p.variance, NULL, NULL};
		double worst_mean = 0;
		mo.k = 3;
		mo.warm_rows = -1;
		CHECK_RC(fl_mixture__fit(&m1, &q, &mo), 0);
		CHECK_RC(fl_mixture__fit(&m2, &f, &mo), 0);
		CHECK_EQ_INT(m1.n_iter, m2.n_iter);
		for (int64_t t = 0; t < 3 * r; t++)
			worst_mean = fmax(worst_mean, fabs(m1.means[t] - m2.means[t]));
		CHECK(worst_mean < 1e-5);
		fl_mixture_clear(&m1);
		fl_mixture_clear(&m2);
	}
	fl_mx_codes_free(&c2);
	CHECK(c2.code == NULL);
	fl_mx_codes_free(&c1);
	fl_pca_clear(&p);
	free(x);
	free(z);
	free(dec);
	free(labels);
}

static void test_kernels(uint64_t seed)
{
	uint64_t st = seed;
	double worst_exp = 0, worst_log = 0;

	for (int i = 0; i < 200000; i++) {
		float x = (float)(-87.0 * check_uniform(&st));
		double e = exp((double)x), got = fl_mx_exp(x);
		float y = (float)ldexp(0.5 + check_uniform(&st), (int)(check_rand(&st) % 200) - 100);
		worst_exp = fmax(worst_exp, fabs(got - e) / e);
		worst_log = fmax(worst_log, fabs(fl_mx_log(y) - log((double)y)) / fmax(1e-3, fabs(log((double)y))));
	}
	printf("kernels: exp relative error %.2g, log error %.2g\n", worst_exp, worst_log);
	CHECK(worst_exp < 5e-7);
	CHECK(worst_log < 5e-7);
	CHECK(fl_mx_exp(-INFINITY) == 0 && fl_mx_exp(-200.0f) == 0 && fl_mx_exp(0.0f) == 1.0f);
	CHECK(fl_mx_log(1.0f) == 0.0f);
}

/* Every float is a defined input (the sanitizer build runs this under
 * UBSan: a NaN once reached (int32_t)NaN and a left shift of a negative
 * value): exp is 0 below -87, +inf above log FLT_MAX, NaN for NaN, within
 * 5e-7 of exp between; log clamps to [FLT_MIN, FLT_MAX], NaN for NaN. */
static void test_kernel_edges(uint64_t seed)
{
	static const float big[] = {-INFINITY, -FLT_MAX, -1e30f, -1e10f, -87.5f, -87.0f, -1e-30f,
				    -0.0f, 0.0f, 1e-30f, 1.0f, 10.0f, 88.0f, 88.5f, 88.8f, 1e10f,
				    FLT_MAX, INFINITY};
	uint64_t st = seed ^ 0xe4e4;
	double worst = 0;
	int ok = 1;

	for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
		float x = big[i], e = fl_mx_exp(x);
		double want = exp((double)x);

		ok &= x < -87.0f ? e == 0 : x > 88.7228f ? e == INFINITY
		      : fabs(e - want) <= 5e-7 * want;
	}
	CHECK(ok);
	for (int i = 0; i < 100000; i++) { /* the positive side, up to log FLT_MAX */
		float x = (float)(88.72 * check_uniform(&st));
		worst = fmax(worst, fabs(fl_mx_exp(x) - exp((double)x)) / exp((double)x));
	}
	CHECK(worst < 5e-7);
	CHECK(isnan(fl_mx_exp(NAN)) && isnan(fl_mx_exp(-NAN)) && isnan(fl_mx_log(NAN)));
	CHECK(fabs(fl_mx_log(0.0f) - log(FLT_MIN)) < 1e-4 && fl_mx_log(-1.0f) == fl_mx_log(0.0f));
	CHECK(fl_mx_log(1e-45f) == fl_mx_log(0.0f) && fl_mx_log(-INFINITY) == fl_mx_log(0.0f));
	CHECK(fabs(fl_mx_log(INFINITY) - log(FLT_MAX)) < 1e-4 && fl_mx_log(FLT_MAX) == fl_mx_log(INFINITY));
}

/* The Gaussian failure term at any scale: a loss, times 2^70 (exactly the
 * same model, fail_scale times 2^70), times 1e300 and 1e-300 (finite
 * parameters, the same assignments); a saved model keeps fail_scale, and
 * predicting on it with the signal gives the fit's assignments. */
static void test_failure_scale(uint64_t seed)
{
	static const double factor[] = {0x1p70, 1e300, 1e-300};
	uint64_t st = seed ^ 0x5ca1e;
	tdata t;
	fl_mixture m0, m;
	fl_mixture_opts o = FL_MIXTURE_OPTS_INIT;
	double *loss, *f;
	int32_t *a0, *a;

	tdata_make(&t, 800, 4, 3, 3, &st);
	loss = malloc((size_t)t.n * sizeof *loss);
	f = malloc((size_t)t.n * sizeof *f);
	a0 = malloc((size_t)t.n * sizeof *a0);
	a = malloc((size_t)t.n * sizeof *a);
	for (int64_t i = 0; i < t.n; i++)
		loss[i] = 3 * t.failure[i] + check_uniform(&st);
	o.k = 3;
	o.gamma_f = 1;
	CHECK_RC(fl_mixture_fit(&m0, t.z, t.n, t.d, t.d, NULL, NULL, 0, loss, &o), 0);
	CHECK(m0.failure == FL_MIXTURE_FAILURE_GAUSSIAN && m0.fail_scale == 2);
	CHECK_RC(fl_mixture_predict(NULL, a0, NULL, &m0, t.z, t.n, t.d, NULL, NULL, loss, 0), 0);
	for (int q = 0; q < 3; q++) {
		int same = 1, finite = 1;

		for (int64_t i = 0; i < t.n; i++)
			f[i] = loss[i] * factor[q];
		CHECK_RC(fl_mixture_fit(&m, t.z, t.n, t.d, t.d, NULL, NULL, 0, f, &o), 0);
		CHECK_RC(fl_mixture_predict(NULL, a, NULL, &m, t.z, t.n, t.d, NULL, NULL, f, 0), 0);
		for (int64_t i = 0; i < t.n; i++)
			same &= a[i] == a0[i];
		for (int32_t c = 0; c < m.k; c++)
			finite &= isfinite(m.fail_mean[c]) && m.fail_var[c] > 0 && isfinite(m.fail_var[c]);
		for (int32_t i = 0; i <= m.n_iter; i++)
			finite &= isfinite(m.trace[i]);
		CHECK(same && finite);
		CHECK(m.fail_scale > 0 && fabs(m.fail_scale / (2 * factor[q]) - 1) < 1);
		if (q == 0) { /* a power of two: the very same fit, in other units */
			CHECK(m.fail_scale == 0x1p71 && m.n_iter == m0.n_iter);
			CHECK(!memcmp(m.fail_mean, m0.fail_mean, (size_t)m.k * sizeof(double)) &&
			      !memcmp(m.fail_var, m0.fail_var, (size_t)m.k * sizeof(double)) &&
			      !memcmp(m.means, m0.means, (size_t)(m.k * m.d) * sizeof(double)));
		}
		fl_mixture_clear(&m);
	}
	free(loss);
	free(f);
	free(a0);
	free(a);
	fl_mixture_clear(&m0);
	tdata_free(&t);
}

int main(void)
{
	uint64_t seed = check_seed(1);

	test_kernels(seed);
	test_kernel_edges(seed);
	test_failure_scale(seed);
	test_codes(seed);
	for (uint64_t r = 0; r < 3; r++)
		test_reference(seed + r);
	test_monotone(seed, 0);
	test_monotone(seed, 1);
	test_threads(seed);
	test_degenerate(seed);
	test_terms(seed);
	test_edges();
	test_invalid();
	return check_done();
}
