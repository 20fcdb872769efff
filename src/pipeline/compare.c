/*
 * fl_compare: where did the candidate model regress against the base, and
 * where did it improve? Both models' outputs on the same samples give two
 * 0/1 failure signals: "only the base was right" (a regression) and "only
 * the candidate was right" (an improvement). The discover search runs on
 * the one asked for (every method, every view, held-out confirmation), and
 * every slice shows how the two models did on its rows.
 */
#include "pipeline_internal.h"
#include "report/report_internal.h"

#include <stdio.h>
#include <string.h>

int fl_compare(fl_report **out, const fl_data *base, const fl_data *cand, fl_compare_side side,
	       const fl_discover_opts *opts)
{
	static const fl_discover_opts defaults = FL_DISCOVER_OPTS_INIT;
	fl_prep a = {0}, *b = NULL;
	uint8_t *wrong_a = NULL, *wrong_b = NULL;
	int rc;

	if (!out || !base || !cand || (side != FL_COMPARE_REGRESSIONS && side != FL_COMPARE_IMPROVEMENTS))
		return fl__error(FL_EINVAL, "a comparison needs both models' data and a place for "
				 "its reports");
	*out = NULL;
	opts = opts ? opts : &defaults;
	if ((rc = fl_discover_opts_check(opts)))
		return rc;
	if (!base->labels || !cand->labels)
		return fl__error(FL_EINVAL, "compare: both models need labels");
	if (base->n != cand->n)
		return fl__error(FL_ESHAPE, "base %s has %lld rows, candidate %s has %lld",
				 base->labels_name ? base->labels_name : "labels", (long long)base->n,
				 cand->labels_name ? cand->labels_name : "labels", (long long)cand->n);
	if (!(b = fl__calloc(1, sizeof *b, "prepared data")))
		return FL_ENOMEM;
	if ((rc = fl_pipeline__prepare(&a, base, FL_FAILURE_ERROR, 0, 0)) ||
	    (rc = fl_pipeline__prepare(b, cand, FL_FAILURE_ERROR, 0, 0)))
		goto cleanup;
	wrong_a = fl__malloc((size_t)a.n, "base errors");
	wrong_b = fl__malloc((size_t)a.n, "candidate errors");
	b->failure = fl__malloc((size_t)a.n * sizeof *b->failure, "the failure signal");
	b->failure_name = fl__strdup(side == FL_COMPARE_REGRESSIONS ? "regression" : "improvement");
	if (!wrong_a || !wrong_b || !b->failure || !b->failure_name) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int64_t i = 0; i < a.n; i++) {
		if (a.labels[i] != b->labels[i]) {
			rc = fl__error(FL_EINVAL, "row %lld: label %lld in %s, %lld in %s: not the same samples",
				       (long long)i, (long long)a.labels[i],
				       base->labels_name ? base->labels_name : "the base's labels",
				       (long long)b->labels[i],
				       cand->labels_name ? cand->labels_name : "the candidate's labels");
			goto cleanup;
		}
		wrong_a[i] = a.preds[i] != a.labels[i];
		wrong_b[i] = b->preds[i] != b->labels[i];
		b->failure[i] = side == FL_COMPARE_REGRESSIONS ? wrong_b[i] && !wrong_a[i]
							       : wrong_a[i] && !wrong_b[i];
	}
	/* the search sees the candidate's outputs (for confusions and the mixture) */
	if ((rc = fl_pipeline__discover(out, b, cand, opts)) ||
	    (rc = fl_report_pair_counts(*out, wrong_a, wrong_b)))
		goto cleanup;
	rc = fl_report__set_owner(*out, b, fl_pipeline__prep_release);
	b = NULL;
cleanup:
	if (rc) {
		fl_report_free(*out);
		*out = NULL;
	}
	fl_pipeline__prep_free(&a);
	fl_pipeline__prep_release(b);
	free(wrong_a);
	free(wrong_b);
	return rc;
}
