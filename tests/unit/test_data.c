/*
 * Validation of model outputs: each bad input fails with the right code and
 * a message naming the array, the row (and column); softmax matches a
 * direct double-precision reference and survives huge logits.
 */
#include "check.h"
#include "faultline.h"

#include <string.h>

/* the last error message contains every given fragment */
static int msg_has(const char *a, const char *b, const char *c)
{
	const char *m = fl_last_error();
	int ok = strstr(m, a) && (!b || strstr(m, b)) && (!c || strstr(m, c));

	if (!ok)
		fprintf(stderr, "unexpected message: %s\n", m);
	return ok;
}

static void test_labels(void)
{
	int64_t y[20] = {0};

	CHECK_RC(fl_check_labels(y, 20, 10, "labels.npy"), 0);
	y[17] = 12;
	CHECK_RC(fl_check_labels(y, 20, 10, "labels.npy"), FL_ERANGE);
	CHECK(strcmp(fl_last_error(), "labels.npy: row 17: label 12 outside [0, 10)") == 0);
	y[17] = 0;
	y[3] = -1;
	CHECK_RC(fl_check_labels(y, 20, 10, "preds.npy"), FL_ERANGE);
	CHECK(msg_has("preds.npy", "row 3", "label -1"));
	CHECK_RC(fl_check_labels(y, 20, 0, "labels.npy"), FL_EINVAL);
	CHECK_RC(fl_check_labels(NULL, 0, 3, "labels.npy"), 0);
}

static void test_probs(void)
{
	float p[4 * 3] = {
		0.2f, 0.3f, 0.5f,
		1.0f, 0.0f, 0.0f,
		0.3333333f, 0.3333333f, 0.3333334f,
		0.0f, 0.0f, 1.0f,
	};

	CHECK_RC(fl_check_probs(p, 4, 3, "probs.npy"), 0);
	p[3 * 3 + 0] = 0.73f; /* row 3 sums to 1.73 */
	CHECK_RC(fl_check_probs(p, 4, 3, "probs.npy"), FL_ERANGE);
	CHECK(strcmp(fl_last_error(),
		     "probs.npy: row 3: probabilities sum to 1.73, not 1 (raw scores? pass them as --logits)") == 0);
	p[3 * 3 + 0] = 0.0f;
	p[1 * 3 + 0] = 0.9985f; /* sum 0.9985: outside the 1e-3 tolerance */
	CHECK_RC(fl_check_probs(p, 4, 3, "probs.npy"), FL_ERANGE);
	CHECK(msg_has("probs.npy: row 1:", "0.9985", "--logits"));
	p[1 * 3 + 0] = 0.9995f; /* inside it */
	CHECK_RC(fl_check_probs(p, 4, 3, "probs.npy"), 0);
	p[1 * 3 + 0] = 1.0f;

	p[2 * 3 + 1] = NAN;
	CHECK_RC(fl_check_probs(p, 4, 3, "probs.npy"), FL_ERANGE);
	CHECK(msg_has("probs.npy", "row 2, column 1", "NaN"));
	p[2 * 3 + 1] = INFINITY;
	CHECK_RC(fl_check_probs(p, 4, 3, "probs.npy"), FL_ERANGE);
	CHECK(msg_has("probs.npy", "row 2, column 1", "Inf"));
	p[2 * 3 + 1] = 0.3333333f;

	/* negative beyond the tolerance: a logit, not a rounding error */
	float q[2] = {-0.5f, 1.5f};
	CHECK_RC(fl_check_probs(q, 1, 2, "scores.npy"), FL_ERANGE);
	CHECK(msg_has("scores.npy", "row 0, column 0", "--logits"));
	float r[2] = {-1e-7f, 1.0f}; /* within 1e-6 of [0, 1] */
	CHECK_RC(fl_check_probs(r, 1, 2, "probs.npy"), 0);
}

static void test_finite(void)
{
	float emb[3 * 5] = {0}; /* 3 rows of 4 values, leading dimension 5 */
	double f[4] = {0, 1, 2, 3};

	emb[2 * 5 + 4] = INFINITY; /* padding, outside the checked columns */
	CHECK_RC(fl_check_finite_f32(emb, 3, 4, 5, "emb.npy"), 0);
	emb[1 * 5 + 2] = -INFINITY;
	CHECK_RC(fl_check_finite_f32(emb, 3, 4, 5, "emb.npy"), FL_ERANGE);
	CHECK(msg_has("emb.npy", "row 1, column 2", "-Inf"));
	CHECK_RC(fl_check_finite_f32(emb, 3, 4, 3, "emb.npy"), FL_EINVAL); /* ld < d */

	CHECK_RC(fl_check_finite_f64(f, 4, "failure.npy"), 0);
	f[2] = NAN;
	CHECK_RC(fl_check_finite_f64(f, 4, "failure.npy"), FL_ERANGE);
	CHECK(msg_has("failure.npy", "row 2", "NaN"));
}

static void test_softmax(uint64_t *rng)
{
	enum { N = 50, C = 7 };
	float x[N * C], y[N * C];

	for (int i = 0; i < N * C; i++)
		x[i] = (float)(check_uniform(rng) * 40 - 20);
	CHECK_RC(fl_softmax_rows(y, x, N, C, "logits.npy"), 0);
	for (int i = 0; i < N; i++) {
		double z = 0;
		for (int j = 0; j < C; j++)
			z += exp((double)x[i * C + j]);
		for (int j = 0; j < C; j++)
			CHECK_NEAR(y[i * C + j], exp((double)x[i * C + j]) / z, 1e-7);
	}
	CHECK_RC(fl_check_probs(y, N, C, "softmax"), 0);

	/* in place, and logits whose exp overflows a double */
	float big[3] = {1000.0f, 1000.0f, -1000.0f};
	CHECK_RC(fl_softmax_rows(big, big, 1, 3, "logits.npy"), 0);
	CHECK_NEAR(big[0], 0.5, 1e-7);
	CHECK_NEAR(big[1], 0.5, 1e-7);
	CHECK(big[2] == 0);

	/* a NaN anywhere fails before anything is written */
	memcpy(y, x, sizeof x);
	y[10 * C + 3] = NAN;
	CHECK_RC(fl_softmax_rows(y, y, N, C, "logits.npy"), FL_ERANGE);
	CHECK(msg_has("logits.npy", "row 10, column 3", "NaN"));
	CHECK(memcmp(y, x, sizeof(float) * 10 * C) == 0);
}

int main(void)
{
	uint64_t rng = check_seed(7);

	test_labels();
	test_probs();
	test_finite();
	test_softmax(&rng);
	return check_done();
}
