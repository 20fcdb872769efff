/* realpath is XSI; SIGXFSZ too */
#define _XOPEN_SOURCE 700
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
#include <limits.h>

typedef struct model_files {
	char labels[4200], outputs[4200];
} model_files;

/* DIR/NAME.npy into out, DIR's trailing slashes dropped ("B/" gives
 * "B/labels.npy", not "B//labels.npy"; "/" stays "/") */
static void join(char *out, size_t size, const char *dir, const char *name)
{
	size_t len = strlen(dir);

	while (len > 1 && dir[len - 1] == '/')
		len--;
	snprintf(out, size, "%.*s%s%s.npy", (int)len, dir, !len || dir[len - 1] == '/' ? "" : "/", name);
}

/* DIR/labels.npy and the first of DIR/probs.npy, logits.npy, preds.npy. */
static int model_args(args *m, model_files *f, const args *a, const char *dir, const char *what)
{
	static const char *const kinds[] = {"probs", "logits", "preds"};

	*m = *a;
	m->probs = m->logits = m->preds = m->failure = NULL;
	join(f->labels, sizeof f->labels, dir, "labels");
	m->labels = f->labels;
	for (int k = 0; k < 3; k++) {
		join(f->outputs, sizeof f->outputs, dir, kinds[k]);
		if (access(f->outputs, R_OK) == 0) {
			*(k == 0 ? &m->probs : k == 1 ? &m->logits : &m->preds) = f->outputs;
			return 0;
		}
	}
	return fail(EXIT_INPUT, "%s %s: holds no probs.npy, logits.npy or preds.npy", what, dir);
}

/* The file a name resolves to: its folder's real path and its base name
 * (the caller's), or NULL when the folder is not there. */
static char *resolve(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096], *real, *out = NULL;

	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash == path ? 1 : slash - path) : 1,
		 slash ? path : ".");
	if ((real = realpath(dir, NULL)) && (out = malloc(strlen(real) + strlen(path) + 2)))
		sprintf(out, "%s/%s", real, slash ? slash + 1 : path);
	free(real);
	return out;
}

/* The two reports of a comparison, and their model files (OUT.mixture-VIEW.npz
 * beside OUT.json), must be distinct files: refused before anything is written. */
static int distinct_outputs(const char *json, const char *json_improved)
{
	char *a, *b, *pa, *pb;
	int same;

	if (!json || !json_improved || !strcmp(json, "-") || !strcmp(json_improved, "-"))
		return 0;
	a = resolve(json);
	b = resolve(json_improved);
	pa = a ? model_prefix(a) : NULL;
	pb = b ? model_prefix(b) : NULL;
	same = (a && b && !strcmp(a, b)) || (pa && pb && !strcmp(pa, pb));
	free(a);
	free(b);
	free(pa);
	free(pb);
	if (same)
		return usage_error("compare", "--json %s and --json-improved %s name the same report "
				   "or the same model files", json, json_improved);
	return 0;
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
	if ((rc = distinct_outputs(a.json, json_improved)))
		return rc;
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
