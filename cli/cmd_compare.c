/*
 * faultline compare: where did the candidate model regress against the
 * base, and where did it improve? Reads both models' outputs and the
 * candidate's views and metadata; fl_compare searches each side.
 */
#include "discover.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct model_files {
	char labels[4200], outputs[4200];
} model_files;

/* DIR/labels.npy and the first of DIR/probs.npy, logits.npy, preds.npy. */
static int model_args(args *m, model_files *f, const args *a, const char *dir, const char *what)
{
	static const char *const kinds[] = {"probs", "logits", "preds"};

	*m = *a;
	m->probs = m->logits = m->preds = m->failure = NULL;
	snprintf(f->labels, sizeof f->labels, "%s/labels.npy", dir);
	m->labels = f->labels;
	for (int k = 0; k < 3; k++) {
		snprintf(f->outputs, sizeof f->outputs, "%s/%s.npy", dir, kinds[k]);
		if (access(f->outputs, R_OK) == 0) {
			*(k == 0 ? &m->probs : k == 1 ? &m->logits : &m->preds) = f->outputs;
			return 0;
		}
	}
	return fail(EXIT_INPUT, "%s %s: holds no probs.npy, logits.npy or preds.npy", what, dir);
}

/* One side searched and written under a title. */
static int one_side(const inputs *base, const inputs *cand, args *a, fl_compare_side side,
		    const char *json, const char *title)
{
	char *prefix = model_prefix(json);
	fl_report *r = NULL;
	int rc;

	a->o.model_prefix = prefix;
	if ((rc = fl_compare(&r, &base->data, &cand->data, side, &a->o)))
		rc = lib_fail(rc, 1);
	else {
		if (!json || strcmp(json, "-") != 0)
			printf("%s\n", title);
		rc = write_report(r, a, json);
	}
	fl_report_free(r);
	free(prefix);
	return rc;
}

int cmd_compare(int argc, char **argv)
{
	args a, ma, mb;
	model_files fa, fb;
	inputs in_a = {0}, in_b = {0};
	const char *base = NULL, *cand = NULL, *json_improved = NULL;
	int rc;

	args_init(&a);
	{
		const opt table[] = {
			{"base", OPT_STR, "A/", "the base model: A/labels.npy and A/probs.npy (or logits, preds)", &base, NULL},
			{"candidate", OPT_STR, "B/", "the candidate model, the same files for the same samples", &cand, NULL},
			SEARCH_OPTIONS(a),
			{"json", OPT_STR, "OUT.json", "write where the candidate is worse as JSON", &a.json, NULL},
			{"json-improved", OPT_STR, "OUT2.json", "write where the candidate is better as JSON", &json_improved, NULL},
			{NULL, OPT_FLAG, NULL, NULL, NULL, NULL}
		};

		rc = opts_parse(table, argc, argv, "compare",
				"--base A/ --candidate B/ --view NAME=E.npy [options]", NULL);
	}
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (!base || !cand)
		return usage_error("compare", "need --base A/ and --candidate B/");
	if ((rc = model_args(&ma, &fa, &a, base, "--base")) ||
	    (rc = model_args(&mb, &fb, &a, cand, "--candidate")))
		return rc;
	a.labels = mb.labels;
	a.probs = mb.probs;
	a.logits = mb.logits;
	a.preds = mb.preds;
	if ((rc = validate_args(&a, "compare")))
		return rc;
	progress_init(a.quiet);
	ma.meta = NULL;
	ma.id_column = ma.class_column = NULL;
	if ((rc = read_inputs(&in_a, &ma, 0)) || (rc = read_inputs(&in_b, &a, 1)) ||
	    (rc = one_side(&in_a, &in_b, &a, FL_COMPARE_REGRESSIONS, a.json,
			   "where the candidate is worse than the base:")))
		goto cleanup;
	a.html = NULL; /* the HTML page shows the regressions */
	a.o.map = 0;
	if (!a.json || strcmp(a.json, "-") != 0)
		printf("\n");
	rc = one_side(&in_a, &in_b, &a, FL_COMPARE_IMPROVEMENTS, json_improved,
		      "where the candidate is better than the base:");
cleanup:
	inputs_free(&in_a);
	inputs_free(&in_b);
	return rc;
}
