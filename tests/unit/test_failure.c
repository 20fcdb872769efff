/*
 * The failure signal on hand-made predictions: 0/1 error (argmax ties to
 * the lowest class, or given predictions), cross-entropy with its 1e-12
 * floor, 1 - confidence; fl_argmax_rows; the binary test; the summary's
 * mean and flag.
 */
#include "check.h"
#include "faultline.h"

#include <string.h>

enum { N = 5, C = 3 };

static const int64_t labels[N] = {0, 1, 2, 1, 0};
static const float probs[N * C] = {
	0.7f, 0.2f, 0.1f,  /* right */
	0.6f, 0.3f, 0.1f,  /* wrong */
	0.4f, 0.4f, 0.2f,  /* wrong, tie between 0 and 1 */
	0.4f, 0.4f, 0.2f,  /* tie broken towards class 0, so wrong for label 1 */
	0.0f, 0.5f, 0.5f,  /* p[label] = 0: loss hits the floor */
};

static void test_kinds(void)
{
	double f[N];
	static const int64_t preds[N] = {0, 1, 0, 1, 2};

	CHECK(strcmp(fl_failure_kind_name(FL_FAILURE_ERROR), "error") == 0);
	CHECK(strcmp(fl_failure_kind_name(FL_FAILURE_LOSS), "loss") == 0);
	CHECK(strcmp(fl_failure_kind_name(FL_FAILURE_CONFIDENCE), "1-confidence") == 0);

	CHECK_RC(fl_failure_compute(f, FL_FAILURE_ERROR, N, C, labels, probs, NULL), 0);
	CHECK(f[0] == 0 && f[1] == 1 && f[2] == 1 && f[3] == 1 && f[4] == 1);
	CHECK(fl_failure_is_binary(f, N));

	/* given predictions win over probs, and need no probs */
	CHECK_RC(fl_failure_compute(f, FL_FAILURE_ERROR, N, C, labels, probs, preds), 0);
	CHECK(f[0] == 0 && f[1] == 0 && f[2] == 1 && f[3] == 0 && f[4] == 1);
	CHECK_RC(fl_failure_compute(f, FL_FAILURE_ERROR, N, C, labels, NULL, preds), 0);
	CHECK(f[0] == 0 && f[1] == 0 && f[2] == 1 && f[3] == 0 && f[4] == 1);

	CHECK_RC(fl_failure_compute(f, FL_FAILURE_LOSS, N, C, labels, probs, NULL), 0);
	CHECK_NEAR(f[0], -log((double)0.7f), 1e-12);
	CHECK_NEAR(f[1], -log((double)0.3f), 1e-12);
	CHECK_NEAR(f[2], -log((double)0.2f), 1e-12);
	CHECK_NEAR(f[3], -log((double)0.4f), 1e-12);
	CHECK_NEAR(f[4], -log(1e-12), 1e-12);
	CHECK(!fl_failure_is_binary(f, N));

	CHECK_RC(fl_failure_compute(f, FL_FAILURE_CONFIDENCE, N, C, labels, probs, NULL), 0);
	CHECK_NEAR(f[0], 1 - (double)0.7f, 1e-15);
	CHECK_NEAR(f[1], 1 - (double)0.3f, 1e-15);
	CHECK_NEAR(f[4], 1, 1e-15);

	/* a probability a rounding error above 1 does not make failure negative */
	const float over[2] = {1.0000005f, 0.0f};
	const int64_t zero = 0;
	CHECK_RC(fl_failure_compute(f, FL_FAILURE_LOSS, 1, 2, &zero, over, NULL), 0);
	CHECK(f[0] == 0);
	CHECK_RC(fl_failure_compute(f, FL_FAILURE_CONFIDENCE, 1, 2, &zero, over, NULL), 0);
	CHECK(f[0] == 0);
}

static void test_errors(void)
{
	double f[N];
	static const int64_t preds[N] = {0, 1, 0, 1, 2};
	const int64_t bad[2] = {0, 3};

	CHECK_RC(fl_failure_compute(f, FL_FAILURE_LOSS, N, C, labels, NULL, preds), FL_EINVAL);
	CHECK(strstr(fl_last_error(), "loss") != NULL);
	CHECK_RC(fl_failure_compute(f, FL_FAILURE_ERROR, N, C, labels, NULL, NULL), FL_EINVAL);
	CHECK_RC(fl_failure_compute(f, (fl_failure_kind)7, N, C, labels, probs, NULL), FL_EINVAL);
	CHECK_RC(fl_failure_compute(f, FL_FAILURE_ERROR, -1, C, labels, probs, NULL), FL_EINVAL);
	CHECK_RC(fl_failure_compute(f, FL_FAILURE_CONFIDENCE, 2, C, bad, probs, NULL), FL_ERANGE);
	CHECK(strstr(fl_last_error(), "row 1") != NULL);
	CHECK_RC(fl_failure_compute(NULL, FL_FAILURE_ERROR, 0, C, NULL, probs, NULL), 0);
}

/* fl_argmax_rows: the predictions the error kind uses, ties to the lowest class */
static void test_argmax(void)
{
	int64_t am[N] = {-1, -1, -1, -1, -1};
	double f[N];

	CHECK_RC(fl_argmax_rows(am, probs, N, C), 0);
	CHECK(am[0] == 0 && am[1] == 0 && am[2] == 0 && am[3] == 0 && am[4] == 1);
	CHECK_RC(fl_failure_compute(f, FL_FAILURE_ERROR, N, C, labels, NULL, am), 0);
	for (int i = 0; i < N; i++)
		CHECK(f[i] == (am[i] != labels[i]));
	CHECK_RC(fl_argmax_rows(am, probs, 1, 1), 0);
	CHECK(am[0] == 0);
	CHECK_RC(fl_argmax_rows(NULL, NULL, 0, C), 0);
	CHECK_RC(fl_argmax_rows(am, probs, -1, C), FL_EINVAL);
	CHECK_RC(fl_argmax_rows(am, probs, N, 0), FL_EINVAL);
	CHECK_RC(fl_argmax_rows(am, NULL, N, C), FL_EINVAL);
}

static void test_binary_and_summary(void)
{
	const double b[4] = {0, 1, 1, 0}, c[4] = {0, 1, 0.5, 0}, neg0[2] = {-0.0, 1};
	fl_failure_summary *s = NULL;

	CHECK(fl_failure_is_binary(b, 4));
	CHECK(!fl_failure_is_binary(c, 4));
	CHECK(fl_failure_is_binary(neg0, 2));
	CHECK(fl_failure_is_binary(NULL, 0));

	CHECK_RC(fl_failure_summary_new(&s, b, 4), 0);
	CHECK(fl_failure_summary_binary(s));
	CHECK_NEAR(fl_failure_summary_mean(s), 0.5, 1e-15);
	fl_failure_summary_free(s);
	CHECK_RC(fl_failure_summary_new(&s, c, 4), 0);
	CHECK(!fl_failure_summary_binary(s));
	CHECK_NEAR(fl_failure_summary_mean(s), 0.375, 1e-15);
	fl_failure_summary_free(s);
	CHECK_RC(fl_failure_summary_new(&s, NULL, 0), 0);
	CHECK(isnan(fl_failure_summary_mean(s)));
	fl_failure_summary_free(s);
	CHECK_RC(fl_failure_summary_new(&s, NULL, 3), FL_EINVAL);
	CHECK(s == NULL);
	CHECK_RC(fl_failure_summary_new(NULL, b, 4), FL_EINVAL);
}

int main(void)
{
	test_kinds();
	test_errors();
	test_argmax();
	test_binary_and_summary();
	return check_done();
}
