/*
 * faultline apply: re-measure the slices of a saved report on new data (a
 * new model's outputs on the same samples, or new samples) with fl_apply,
 * and write the result as a report of the same schema.
 */
#include "discover.h"

#include <stdio.h>
#include <string.h>

int read_saved(fl_saved_report **saved, inputs *in, const args *a, const char *run)
{
	int rc;

	if ((rc = fl_saved_report_load(saved, run)))
		return fail(exit_for_input(rc), "%s", fl_last_error());
	return read_inputs(in, a, 1);
}

int cmd_apply(int argc, char **argv)
{
	args a;
	opt_list pos = {0};
	inputs in = {0};
	fl_saved_report *saved = NULL;
	fl_apply_opts ao = FL_APPLY_OPTS_INIT;
	fl_report *r = NULL;
	int rc;

	args_init(&a);
	{
		const opt table[] = {
			DATA_OPTIONS(a),
			{"json", OPT_STR, "OUT.json", "write the results as a report ('-' = stdout)", &a.json, NULL},
			{"max-members", OPT_INT, "M", "members listed per slice in JSON (default all)", &a.max_members, NULL},
			{"allow-view-drift", OPT_FLAG, NULL, "apply even to a view unlike the report's", &ao.allow_view_drift, NULL},
			{"quiet", OPT_FLAG, NULL, "no notes on stderr", &a.quiet, NULL},
			{NULL, OPT_FLAG, NULL, NULL, NULL, NULL}
		};

		rc = opts_parse(table, argc, argv, "apply",
				"RUN.json --labels L.npy --probs P.npy [--view N=E.npy] [options]", &pos);
	}
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if ((rc = check_data_args(&a, &pos, "apply")))
		return rc;
	progress_init(a.quiet);
	ao.failure_kind = a.o.failure_kind;
	ao.progress = progress_cb;
	if ((rc = read_saved(&saved, &in, &a, pos.items[0])) == 0) {
		if ((rc = fl_apply(&r, saved, &in.data, &ao)))
			rc = lib_fail(rc, 0);
		else
			rc = write_report(r, &a, a.json);
	}
	fl_report_free(r);
	fl_saved_report_free(saved);
	inputs_free(&in);
	return rc;
}
