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

/* DIR without its trailing slashes into buf; its last part */
static const char *last_part(char *buf, size_t size, const char *dir)
{
	size_t len = strlen(dir);

	while (len > 1 && dir[len - 1] == '/')
		len--;
	snprintf(buf, size, "%.*s", (int)len, dir);
	return strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
}

/* A model's name on the page: its folder's last part ("runs/v2/" gives
 * "v2"); the folder as given when the other's last part is the same;
 * `dflt` for ".", ".." and "/". */
static void model_name(char *out, size_t size, const char *dir, const char *other,
		       const char *dflt)
{
	char mine[4096], theirs[4096];
	const char *a = last_part(mine, sizeof mine, dir), *b = last_part(theirs, sizeof theirs, other);

	snprintf(out, size, "%s", !*a || !strcmp(a, ".") || !strcmp(a, "..") ? dflt :
		 strcmp(a, b) ? a : mine);
}

/* The outputs of a comparison (its two reports, their model files
 * OUT.mixture-VIEW.npz beside OUT.json, and its page) must be distinct
 * files in folders that exist: refused before anything is read, so that a
 * typo leaves no report without its page. */
static int check_outputs(const char *json, const char *json_improved, const char *html)
{
	const char *name[3] = {json, json_improved, html};
	static const char *const flag[3] = {"--json", "--json-improved", "--html"};
	char *real[3] = {NULL, NULL, NULL}, *prefix[3] = {NULL, NULL, NULL};
	int rc = 0;

	for (int k = 0; k < 3 && !rc; k++)
		if (name[k] && strcmp(name[k], "-") != 0) {
			if (!(real[k] = resolve(name[k])))
				rc = fail(EXIT_OUTPUT, "%s: cannot write %s there: no such folder",
					  name[k], flag[k]);
			prefix[k] = k < 2 && real[k] ? model_prefix(real[k]) : NULL;
		}
	for (int i = 0; i < 3 && !rc; i++)
		for (int j = i + 1; j < 3 && !rc; j++)
			if ((real[i] && real[j] && !strcmp(real[i], real[j])) ||
			    (prefix[i] && prefix[j] && !strcmp(prefix[i], prefix[j])))
				rc = usage_error("compare", "%s %s and %s %s name the same file or the "
						 "same model files", flag[i], name[i], flag[j], name[j]);
	for (int k = 0; k < 3; k++) {
		free(real[k]);
		free(prefix[k]);
	}
	return rc;
}

/* One side searched (the report in *out, the caller's), its JSON written
 * and its table printed under a title. */
static int one_side(fl_report **out, const inputs *base, const inputs *cand, args *a,
		    fl_compare_side side, const char *json, const char *title)
{
	char *prefix = model_prefix(json);
	int rc;

	a->o.model_prefix = prefix;
	if ((rc = fl_compare(out, &base->data, &cand->data, side, &a->o)))
		rc = lib_fail(rc, 1);
	else {
		if (!json || strcmp(json, "-") != 0)
			printf("%s\n", title);
		rc = write_report(*out, a, json);
	}
	free(prefix);
	return rc;
}

int cmd_compare(int argc, char **argv)
{
	args a, ma, mb;
	model_files fa, fb;
	inputs in_a = {0}, in_b = {0};
	fl_report *worse = NULL, *better = NULL;
	const char *base = NULL, *cand = NULL, *json_improved = NULL, *html;
	const char *base_name = NULL, *cand_name = NULL;
	char names[2][4096];
	int rc;

	args_init(&a);
	{
		const opt table[] = {
			{"base", OPT_STR, "A/", "the base model: A/labels.npy and A/probs.npy (or logits, preds)", &base, NULL},
			{"candidate", OPT_STR, "B/", "the candidate model, the same files for the same samples", &cand, NULL},
			{"base-name", OPT_STR, "NAME", "the base model's name on the page (default: A's last part)", &base_name, NULL},
			{"candidate-name", OPT_STR, "NAME", "the candidate's name on the page (default: B's)", &cand_name, NULL},
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
	if ((rc = check_outputs(a.json, json_improved, a.html)))
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
	model_name(names[0], sizeof names[0], base, cand, "base");
	model_name(names[1], sizeof names[1], cand, base, "candidate");
	progress_init(a.quiet);
	ma.meta = NULL;
	ma.id_column = ma.class_column = NULL;
	html = a.html;
	a.html = NULL; /* one page for both sides, written last */
	if ((rc = read_inputs(&in_a, &ma, 0)) || (rc = read_inputs(&in_b, &a, 1)) ||
	    (rc = one_side(&worse, &in_a, &in_b, &a, FL_COMPARE_REGRESSIONS, a.json,
			   "where the candidate is worse than the base:")))
		goto cleanup;
	a.o.map = 0; /* the page maps the regressions */
	if (!a.json || strcmp(a.json, "-") != 0)
		printf("\n");
	if ((rc = one_side(&better, &in_a, &in_b, &a, FL_COMPARE_IMPROVEMENTS, json_improved,
			   "where the candidate is better than the base:")))
		goto cleanup;
	if (html && (rc = fl_report_write_compare_html(worse, better, base_name ? base_name : names[0],
						       cand_name ? cand_name : names[1], html)))
		rc = fail(rc == FL_ENOMEM ? EXIT_INTERNAL : EXIT_OUTPUT, "%s", fl_last_error());
cleanup:
	fl_report_free(worse);
	fl_report_free(better);
	inputs_free(&in_a);
	inputs_free(&in_b);
	return rc;
}
