/*
 * Synthetic data: shapes, planted slice sizes, error rates inside and
 * outside the slices near their targets, the kinds' label/prediction
 * structure, probabilities, determinism, and invalid options.
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

	fl_synth_opts bad_opts[8];
	for (int q = 0; q < 8; q++)
		bad_opts[q] = (fl_synth_opts)FL_SYNTH_OPTS_INIT;
	bad_opts[0].n = 0;
	bad_opts[1].n_classes = 1;
	bad_opts[2].slice_frac = 0.3; /* 4 x 30% > 100% */
	bad_opts[3].slice_error = 1.5;
	bad_opts[4].confidence = 0.1; /* not above 1/C: argmax would not be the prediction */
	bad_opts[5].version = 2;
	bad_opts[6].d = 0;
	bad_opts[7].separation = NAN;
	for (int q = 0; q < 8; q++) {
		CHECK_RC(fl_synth_generate(&s, &bad_opts[q]), FL_EINVAL);
		CHECK(s.emb == NULL);
	}
	CHECK_RC(fl_synth_generate(NULL, NULL), FL_EINVAL);
}

int main(void)
{
	uint64_t seed = check_seed(1);

	test_defaults(seed);
	test_options();
	return check_done();
}
