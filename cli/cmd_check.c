/*
 * faultline check: known slices as CI gates. fl_check applies every slice
 * of a saved report to new data and judges it against the limits given.
 * Exit 0 when no slice fails, 1 when one does, 2 on a usage error, 3 when
 * the inputs are unusable (docs/cli.md).
 */
#include "discover.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int cmd_check(int argc, char **argv)
{
	args a;
	opt_list pos = {0};
	inputs in = {0};
	fl_check_opts co = FL_CHECK_OPTS_INIT;
	fl_saved_report *saved = NULL;
	fl_report *r = NULL;
	fl_verdict *v = NULL, overall;
	const char *markdown = NULL;
	int count[3] = {0, 0, 0}, rc;

	args_init(&a);
	{
		const opt table[] = {
			DATA_OPTIONS(a),
			{"max-failure-rate", OPT_LIMIT, "X", NULL, &co, "max_failure_rate"},
			{"max-lift", OPT_LIMIT, "Y", NULL, &co, "max_lift"},
			{"max-regression", OPT_LIMIT, "Z", NULL, &co, "max_regression"},
			{"max-overall-failure", OPT_LIMIT, "X", NULL, &co, "max_overall_failure"},
			{"max-overall-regression", OPT_LIMIT, "Z", NULL, &co, "max_overall_regression"},
			{"markdown", OPT_STR, "FILE", "also write a summary for a pull-request comment", &markdown, NULL},
			{"allow-view-drift", OPT_FLAG, NULL, "apply even to a view unlike the report's", &co.apply.allow_view_drift, NULL},
			{"quiet", OPT_FLAG, NULL, "no notes on stderr", &a.quiet, NULL},
			{NULL, OPT_FLAG, NULL, NULL, NULL, NULL}
		};

		rc = opts_parse(table, argc, argv, "check",
				"RUN.json --labels L.npy --probs P.npy [data options] --max-...=LIMIT", &pos);
	}
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if ((rc = check_data_args(&a, &pos, "check")))
		return rc;
	if (isnan(co.max_failure_rate) && isnan(co.max_lift) && isnan(co.max_regression) &&
	    isnan(co.max_overall_failure) && isnan(co.max_overall_regression))
		return usage_error("check", "need a limit: --max-failure-rate, --max-lift, "
				   "--max-regression, --max-overall-failure or --max-overall-regression");
	progress_init(a.quiet);
	co.apply.failure_kind = a.o.failure_kind;
	co.apply.progress = progress_cb;
	if ((rc = read_saved(&saved, &in, &a, pos.items[0])))
		goto cleanup;
	if ((rc = fl_check(&v, &overall, &r, saved, &in.data, &co))) {
		rc = lib_fail(rc, 0);
		goto cleanup;
	}
	for (int32_t i = 0; i < fl_report_n_slices(r); i++) {
		const fl_saved_slice *s = fl_saved_report_slice(saved, i);

		count[v[i].status]++;
		if (v[i].status != FL_PASS)
			printf("%s %s %s: %s\n", fl_status_name(v[i].status), s->id, s->label, v[i].why);
	}
	if (overall.status != FL_PASS)
		printf("%s overall: %s\n", fl_status_name(overall.status), overall.why);
	printf("check: %d slices, %d pass, %d warn, %d fail", count[0] + count[1] + count[2],
	       count[FL_PASS], count[FL_WARN], count[FL_FAIL]);
	if (!isnan(co.max_overall_failure) || !isnan(co.max_overall_regression))
		printf("; overall %s", fl_status_name(overall.status));
	putchar('\n');
	if (markdown && (rc = fl_check_write_markdown(markdown, r, saved, v, &overall))) {
		rc = fail(rc == FL_ENOMEM ? EXIT_INTERNAL : EXIT_OUTPUT, "%s", fl_last_error());
		goto cleanup;
	}
	rc = count[FL_FAIL] || overall.status == FL_FAIL ? EXIT_FINDING : EXIT_OK;
cleanup:
	free(v);
	fl_report_free(r);
	fl_saved_report_free(saved);
	inputs_free(&in);
	return rc;
}
