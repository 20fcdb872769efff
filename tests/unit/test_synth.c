/*
 * Synthetic data: shapes, planted slice sizes, error rates inside and
 * outside the slices near their targets, the kinds' label/prediction
 * structure, probabilities, determinism, and invalid options; the optional
 * second view (which slices are clusters in it, the rest untouched) and
 * metadata slice (exactly the rows where its conjunction holds).
 */
#include "check.h"
#include "faultline.h"

#include <string.h>

/* |rate - target| within 5 binomial standard errors */
static int near_rate(double errors, double n, double target)
{
	return n > 0 && fabs(errors / n - target) <= 5 * sqrt(target * (1 - target) / n) + 1e-12;
}

static void test_defaults(uint64_t seed)
{
	fl_synth s;
	fl_synth_opts o = FL_SYNTH_OPTS_INIT;
	int64_t size[4] = {0}, err[4] = {0}, bg = 0, bg_err = 0, pred_hist[4][10] = {{0}};
	int probs_ok = 1, argmax_ok = 1, range_ok = 1;

	o.seed = seed;
	CHECK_RC(fl_synth_generate(&s, &o), 0);
	CHECK_EQ_INT(s.n, 10000);
	CHECK_EQ_INT(s.d, 32);
	CHECK_EQ_INT(s.n_classes, 10);
	CHECK_EQ_INT(s.n_slices, 4);
	CHECK(s.emb2 == NULL && s.visible2 == NULL && s.d2 == 0); /* optional parts off */
	CHECK(s.weather == NULL && s.camera == NULL && s.age == NULL && s.meta_slice == -1);
	for (int j = 0; j < 4; j++)
		CHECK_EQ_INT(s.kinds[j], j % 2 ? FL_SYNTH_SYMMETRIC : FL_SYNTH_CONFUSION);
	for (int64_t i = 0; i < s.n; i++) {
		int e = s.labels[i] != s.preds[i];
		double sum = 0;
		int32_t t = s.truth[i];

		range_ok &= t >= -1 && t < 4 && s.labels[i] >= 0 && s.labels[i] < 10 &&
			    s.preds[i] >= 0 && s.preds[i] < 10;
		if (t < -1 || t >= 4)
			continue;
		if (t < 0) {
			bg++;
			bg_err += e;
		} else {
			size[t]++;
			err[t] += e;
			if (e)
				pred_hist[t][s.preds[i]]++;
		}
		int64_t am = 0;
		for (int c = 0; c < 10; c++) {
			sum += s.probs[i * 10 + c];
			if (s.probs[i * 10 + c] > s.probs[i * 10 + am])
				am = c;
		}
		probs_ok &= fabs(sum - 1) < 1e-5;
		argmax_ok &= am == s.preds[i] && s.probs[i * 10 + am] == 0.8f;
	}
	CHECK(range_ok);
	CHECK(probs_ok);
	CHECK(argmax_ok);
	CHECK(near_rate((double)bg_err, (double)bg, 0.05));
	for (int j = 0; j < 4; j++) {
		int distinct = 0, top = 0;
		CHECK_EQ_INT(size[j], 200);
		CHECK(near_rate((double)err[j], 200, 0.6));
		for (int c = 0; c < 10; c++) {
			distinct += pred_hist[j][c] > 0;
			top = pred_hist[j][c] > top ? (int)pred_hist[j][c] : top;
		}
		/* a confusion predicts one wrong class, symmetric noise many */
		if (j % 2 == 0)
			CHECK_EQ_INT(distinct, 1);
		else
			CHECK(distinct >= 6 && top < err[j] / 2);
	}
	printf("seed %llu: background error %.4f, slice errors %.3f %.3f %.3f %.3f\n",
	       (unsigned long long)seed, (double)bg_err / (double)bg, err[0] / 200.0,
	       err[1] / 200.0, err[2] / 200.0, err[3] / 200.0);

	/* a planted slice is tight: its rows are closer to their own mean than
	 * background rows of its home class are to it */
	for (int j = 0; j < 4; j++) {
		double mean[32] = {0}, in = 0;
		for (int64_t i = 0; i < s.n; i++)
			if (s.truth[i] == j)
				for (int l = 0; l < 32; l++)
					mean[l] += s.emb[i * 32 + l] / 200.0;
		for (int64_t i = 0; i < s.n; i++) {
			double t = 0;
			for (int l = 0; l < 32; l++)
				t += (s.emb[i * 32 + l] - mean[l]) * (s.emb[i * 32 + l] - mean[l]);
			if (s.truth[i] == j)
				in = fmax(in, t);
		}
		CHECK(sqrt(in) < 0.3 * sqrt(32) * 1.6);
	}

	/* deterministic in the seed; another seed differs */
	fl_synth s2;
	CHECK_RC(fl_synth_generate(&s2, &o), 0);
	CHECK(memcmp(s.emb, s2.emb, (size_t)(s.n * s.d) * sizeof(float)) == 0);
	CHECK(memcmp(s.labels, s2.labels, (size_t)s.n * sizeof(int64_t)) == 0);
	CHECK(memcmp(s.preds, s2.preds, (size_t)s.n * sizeof(int64_t)) == 0);
	CHECK(memcmp(s.truth, s2.truth, (size_t)s.n * sizeof(int32_t)) == 0);
	CHECK(memcmp(s.probs, s2.probs, (size_t)s.n * 10 * sizeof(float)) == 0);
	fl_synth_clear(&s2);
	o.seed = seed + 1;
	CHECK_RC(fl_synth_generate(&s2, &o), 0);
	CHECK(memcmp(s.emb, s2.emb, (size_t)(s.n * s.d) * sizeof(float)) != 0);
	fl_synth_clear(&s2);
	fl_synth_clear(&s);
	CHECK(s.emb == NULL && s.n == 0);
	fl_synth_clear(NULL);
}

/* mean squared distance of the rows with truth == t to their own mean */
static double spread2(const float *x, int64_t d, const int32_t *truth, int64_t n, int32_t t)
{
	double *mean = calloc((size_t)d, sizeof *mean), ss = 0;
	int64_t m = 0;

	for (int64_t i = 0; i < n; i++)
		if (truth[i] == t) {
			m++;
			for (int64_t l = 0; l < d; l++)
				mean[l] += x[i * d + l];
		}
	for (int64_t l = 0; l < d; l++)
		mean[l] /= (double)(m ? m : 1);
	for (int64_t i = 0; i < n; i++)
		if (truth[i] == t)
			for (int64_t l = 0; l < d; l++)
				ss += (x[i * d + l] - mean[l]) * (x[i * d + l] - mean[l]);
	free(mean);
	return m ? ss / (double)m : 0;
}

static void test_view2(uint64_t seed)
{
	fl_synth s, plain, s2;
	fl_synth_opts o = FL_SYNTH_OPTS_INIT;
	double bg_ss = 0, cls_mean[10][32] = {{0}};
	int64_t cls_n[10] = {0}, bg = 0;

	o.seed = seed;
	CHECK_RC(fl_synth_generate(&plain, &o), 0);
	o.view2 = 1;
	CHECK_RC(fl_synth_generate(&s, &o), 0);
	CHECK_EQ_INT(s.d2, 32);
	CHECK(s.emb2 != NULL && s.visible2 != NULL && s.meta_slice == -1);
	/* view 1 and the model's outputs are the same bits with or without view 2 */
	CHECK(memcmp(s.emb, plain.emb, (size_t)(s.n * s.d) * sizeof(float)) == 0);
	CHECK(memcmp(s.labels, plain.labels, (size_t)s.n * sizeof(int64_t)) == 0);
	CHECK(memcmp(s.preds, plain.preds, (size_t)s.n * sizeof(int64_t)) == 0);
	CHECK(memcmp(s.truth, plain.truth, (size_t)s.n * sizeof(int32_t)) == 0);
	CHECK(memcmp(s.probs, plain.probs, (size_t)s.n * 10 * sizeof(float)) == 0);
	fl_synth_clear(&plain);

	/* slices 0, 1 are clusters in view 2 (spread 0.3 per coordinate); 2, 3
	 * spread like their classes (unit noise and more: several classes) */
	for (int j = 0; j < 4; j++) {
		double v1 = spread2(s.emb, 32, s.truth, s.n, j), v2 = spread2(s.emb2, 32, s.truth, s.n, j);

		CHECK_EQ_INT(s.visible2[j], j < 2);
		CHECK(v1 < 1.5 * 0.09 * 32);
		if (j < 2)
			CHECK(v2 < 1.5 * 0.09 * 32);
		else
			CHECK(v2 > 0.8 * 32);
		printf("slice %d: squared spread %.2f in view 1, %.2f in view 2\n", j, v1, v2);
	}
	/* background rows of view 2: unit noise about their class centre */
	for (int64_t i = 0; i < s.n; i++)
		if (s.truth[i] < 0) {
			cls_n[s.labels[i]]++;
			for (int l = 0; l < 32; l++)
				cls_mean[s.labels[i]][l] += s.emb2[i * 32 + l];
		}
	for (int c = 0; c < 10; c++)
		for (int l = 0; l < 32; l++)
			cls_mean[c][l] /= (double)cls_n[c];
	for (int64_t i = 0; i < s.n; i++)
		if (s.truth[i] < 0) {
			bg++;
			for (int l = 0; l < 32; l++) {
				double t = s.emb2[i * 32 + l] - cls_mean[s.labels[i]][l];
				bg_ss += t * t;
			}
		}
	CHECK_NEAR(bg_ss / (double)bg / 32, 1.0, 0.05);
	/* view-1-only slice rows lie like background rows of their label */
	for (int j = 2; j < 4; j++) {
		double ss = 0;
		int64_t m = 0;

		for (int64_t i = 0; i < s.n; i++)
			if (s.truth[i] == j) {
				m++;
				for (int l = 0; l < 32; l++) {
					double t = s.emb2[i * 32 + l] - cls_mean[s.labels[i]][l];
					ss += t * t;
				}
			}
		CHECK_NEAR(ss / (double)m / 32, 1.0, 0.1);
	}

	/* deterministic; its own dimension */
	CHECK_RC(fl_synth_generate(&s2, &o), 0);
	CHECK(memcmp(s.emb2, s2.emb2, (size_t)(s.n * s.d2) * sizeof(float)) == 0);
	fl_synth_clear(&s2);
	o.d2 = 7;
	o.n = 500;
	o.n_slices = 6;
	CHECK_RC(fl_synth_generate(&s2, &o), 0);
	CHECK_EQ_INT(s2.d2, 7);
	for (int j = 0; j < 6; j++)
		CHECK_EQ_INT(s2.visible2[j], j % 4 < 2);
	fl_synth_clear(&s2);
	fl_synth_clear(&s);
}

static void test_meta(uint64_t seed)
{
	fl_synth s;
	fl_synth_opts o = FL_SYNTH_OPTS_INIT;
	int64_t bg = 0, bg_err = 0, in = 0, in_err = 0, w[3] = {0}, c[3] = {0}, size[4] = {0};
	int64_t age_lo = 100, age_hi = 0, exact = 1;
	double age_sum = 0;

	o.seed = seed;
	o.meta_slice = 1;
	o.view2 = 1;
	CHECK_RC(fl_synth_generate(&s, &o), 0);
	CHECK_EQ_INT(s.meta_slice, 4);
	CHECK(s.weather && s.camera && s.age);
	for (int64_t i = 0; i < s.n; i++) {
		int32_t t = s.truth[i];
		int e = s.labels[i] != s.preds[i];
		int conj = s.weather[i] == FL_SYNTH_NIGHT && s.camera[i] == FL_SYNTH_CAMERA_B;

		exact &= (t == 4) == conj && t >= -1 && t <= 4 && s.weather[i] >= 0 &&
			 s.weather[i] < 3 && s.camera[i] >= 0 && s.camera[i] < 3;
		age_lo = s.age[i] < age_lo ? s.age[i] : age_lo;
		age_hi = s.age[i] > age_hi ? s.age[i] : age_hi;
		age_sum += s.age[i];
		if (t >= 0 && t < 4)
			size[t]++;
		if (t == 4) {
			in++;
			in_err += e;
		} else if (t < 0) {
			bg++;
			bg_err += e;
		}
		if (t < 0 || t == 4) { /* rows whose weather and camera were drawn freely */
			w[s.weather[i]]++;
			c[s.camera[i]]++;
		}
	}
	CHECK(exact);
	for (int j = 0; j < 4; j++)
		CHECK_EQ_INT(size[j], 200);
	CHECK(near_rate((double)in, (double)(in + bg), 0.05));
	CHECK(near_rate((double)in_err, (double)in, 0.6));
	CHECK(near_rate((double)bg_err, (double)bg, 0.05));
	CHECK(near_rate((double)w[FL_SYNTH_SUNNY], (double)(in + bg), 0.5));
	CHECK(near_rate((double)w[FL_SYNTH_NIGHT], (double)(in + bg), 0.2));
	CHECK(near_rate((double)c[FL_SYNTH_CAMERA_A], (double)(in + bg), 0.4));
	CHECK(near_rate((double)c[FL_SYNTH_CAMERA_B], (double)(in + bg), 0.25));
	CHECK(age_lo == 18 && age_hi == 80);
	CHECK_NEAR(age_sum / (double)s.n, 49.0, 0.02);
	/* nothing to see in an embedding: as spread as whole classes */
	CHECK(spread2(s.emb, 32, s.truth, s.n, 4) > 0.8 * 32);
	CHECK(spread2(s.emb2, 32, s.truth, s.n, 4) > 0.8 * 32);
	printf("metadata slice: %lld rows (%.2f%% of background), error %.3f\n", (long long)in,
	       100.0 * (double)in / (double)(in + bg), (double)in_err / (double)in);
	fl_synth_clear(&s);
}

static void test_options(void)
{
	fl_synth s;
	fl_synth_opts o = FL_SYNTH_OPTS_INIT;

	/* symmetric = 0: every slice a confusion; odd shapes */
	o.n = 777;
	o.d = 3;
	o.n_classes = 3;
	o.n_slices = 5;
	o.slice_frac = 0.05;
	o.symmetric = 0;
	o.base_error = 0;
	o.slice_error = 1;
	CHECK_RC(fl_synth_generate(&s, &o), 0);
	int64_t planted = 0, bad = 0;
	for (int j = 0; j < 5; j++)
		CHECK_EQ_INT(s.kinds[j], FL_SYNTH_CONFUSION);
	for (int64_t i = 0; i < s.n; i++) {
		planted += s.truth[i] >= 0;
		bad += (s.truth[i] >= 0) != (s.labels[i] != s.preds[i]);
	}
	CHECK_EQ_INT(planted, 5 * 39);
	CHECK_EQ_INT(bad, 0);
	fl_synth_clear(&s);

	CHECK_RC(fl_synth_generate(&s, NULL), 0); /* defaults */
	CHECK_EQ_INT(s.n, 10000);
	fl_synth_clear(&s);

	fl_synth_opts bad_opts[10];
	for (int q = 0; q < 10; q++)
		bad_opts[q] = (fl_synth_opts)FL_SYNTH_OPTS_INIT;
	bad_opts[0].n = 0;
	bad_opts[1].n_classes = 1;
	bad_opts[2].slice_frac = 0.3; /* 4 x 30% > 100% */
	bad_opts[3].slice_error = 1.5;
	bad_opts[4].confidence = 0.1; /* not above 1/C: argmax would not be the prediction */
	bad_opts[5].version = 2;
	bad_opts[6].d = 0;
	bad_opts[7].separation = NAN;
	bad_opts[8].view2 = 1;
	bad_opts[8].d2 = -1;
	bad_opts[9].slice_frac = 1e-9; /* slices of 0 rows */
	for (int q = 0; q < 10; q++) {
		CHECK_RC(fl_synth_generate(&s, &bad_opts[q]), FL_EINVAL);
		CHECK(s.emb == NULL);
	}
	CHECK_RC(fl_synth_generate(NULL, NULL), FL_EINVAL);
}

int main(void)
{
	uint64_t seed = check_seed(1);

	test_defaults(seed);
	test_view2(seed);
	test_meta(seed);
	test_options();
	return check_done();
}
