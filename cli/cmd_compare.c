/*
 * faultline compare: where did the candidate model regress against the
 * base, and where did it improve? Both models' outputs on the same samples
 * give two failure signals: "only the base was right" (a regression) and
 * "only the candidate was right" (an improvement). The discover search runs
 * on each (every method, every view, held-out confirmation), and every
 * slice shows how the two models did on its rows.
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

static int load_model(inputs *in, const args *m)
{
	int rc = load_outputs(in, m);

	return rc ? rc : check_classes(in, m);
}

/* One search on `failure` (already in in->failure), written under a title. */
static int one_side(inputs *in, const args *a, int64_t id_col, const char *name,
		    const uint8_t *wrong_a, const uint8_t *wrong_b, const char *title)
{
	fl_failure_summary *s = NULL;
	fl_report *r = NULL;
	int rc;

	if ((rc = discover_build(in, a, id_col, name, &s, &r)) == 0) {
		fl_report_pair_counts(r, wrong_a, wrong_b);
		if (!a->json || strcmp(a->json, "-") != 0)
			printf("%s\n", title);
		rc = discover_write(in, a, r, a->json);
	}
	fl_report_free(r);
	fl_failure_summary_free(s);
	return rc;
}

int cmd_compare(int argc, char **argv)
{
	args a = {0}, ma, mb;
	model_files fa, fb;
	inputs in = {0}, in_a = {0}, in_b = {0};
	const char *base = NULL, *cand = NULL, *json_improved = NULL;
	uint8_t *wrong_a = NULL, *wrong_b = NULL;
	int64_t id_col = -1;
	int rc;
	const opt table[] = {
		{"base", OPT_STR, "A/", "the base model: A/labels.npy and A/probs.npy (or logits, preds)", &base},
		{"candidate", OPT_STR, "B/", "the candidate model, the same files for the same samples", &cand},
		SEARCH_OPTIONS(a),
		{"json", OPT_STR, "OUT.json", "write where the candidate is worse as JSON", &a.json},
		{"json-improved", OPT_STR, "OUT2.json", "write where the candidate is better as JSON", &json_improved},
		{NULL, OPT_FLAG, NULL, NULL, NULL}
	};

	discover_defaults(&a);
	rc = opts_parse(table, argc, argv, "compare", "--base A/ --candidate B/ --view NAME=E.npy [options]",
			NULL);
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
	if ((rc = validate_args(&a)))
		return rc;
	progress_init(a.quiet);
	if ((rc = load_model(&in_a, &ma)) || (rc = load_model(&in_b, &mb)))
		goto cleanup;
	if (in_a.n != in_b.n) {
		rc = fail(EXIT_INPUT, "base %s has %lld rows, candidate %s has %lld", fa.labels,
			  (long long)in_a.n, fb.labels, (long long)in_b.n);
		goto cleanup;
	}
	wrong_a = malloc((size_t)in_a.n);
	wrong_b = malloc((size_t)in_a.n);
	in.failure = malloc((size_t)in_a.n * sizeof *in.failure);
	if (!wrong_a || !wrong_b || !in.failure) {
		rc = fail(EXIT_INTERNAL, "out of memory");
		goto cleanup;
	}
	for (int64_t i = 0; i < in_a.n; i++) {
		if (in_a.labels[i] != in_b.labels[i]) {
			rc = fail(EXIT_INPUT, "row %lld: label %lld in %s, %lld in %s: not the same samples",
				  (long long)i, (long long)in_a.labels[i], fa.labels,
				  (long long)in_b.labels[i], fb.labels);
			goto cleanup;
		}
		wrong_a[i] = in_a.preds[i] != in_a.labels[i];
		wrong_b[i] = in_b.preds[i] != in_b.labels[i];
		in.failure[i] = wrong_b[i] && !wrong_a[i];
	}
	/* the search sees the candidate's outputs (for confusions and the mixture) */
	in.n = in_b.n;
	in.n_from = fb.labels;
	in.labels = in_b.labels;
	in.preds = in_b.preds;
	in.probs = in_b.probs;
	in.n_classes = in_b.n_classes;
	if ((rc = load_meta(&in, &a, &id_col)) ||
	    (rc = one_side(&in, &a, id_col, "regression", wrong_a, wrong_b,
			   "where the candidate is worse than the base:")))
		goto cleanup;
	for (int64_t i = 0; i < in.n; i++)
		in.failure[i] = wrong_a[i] && !wrong_b[i];
	inputs_reset_views(&in);
	a.json = json_improved;
	a.html = NULL; /* the HTML page shows the regressions */
	if (!a.json || strcmp(a.json, "-") != 0)
		printf("\n");
	rc = one_side(&in, &a, id_col, "improvement", wrong_a, wrong_b,
		      "where the candidate is better than the base:");
cleanup:
	free(wrong_a);
	free(wrong_b);
	inputs_free(&in);
	inputs_free(&in_a);
	inputs_free(&in_b);
	return rc;
}
