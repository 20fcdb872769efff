/*
 * faultline discover: read what a model did (labels, probabilities or
 * logits or predictions, or a failure signal), one or more embedding views
 * and optional metadata; fl_discover does the rest; write the report.
 */
#include "discover.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The command line's combinations (the library checks the values). */
int validate_args(args *a, const char *verb)
{
	char methods[128] = "";

	if (a->probs && a->logits)
		return usage_error(verb, "give --probs or --logits, not both");
	if (!a->failure && !a->labels)
		return usage_error(verb, "need --labels (with --probs, --logits or --preds) or --failure");
	if (!a->failure && !a->probs && !a->logits && !a->preds)
		return usage_error(verb, "--labels needs --probs, --logits or --preds");
	if (!a->failure && a->preds && !a->labels)
		return usage_error(verb, "--preds needs --labels");
	if ((a->phrases != NULL) != (a->phrase_emb != NULL) || (a->phrases != NULL) != (a->phrase_view != NULL))
		return usage_error(verb, "--phrases, --phrase-embeddings and --phrase-view go together");
	if (a->o.per_class && !a->labels)
		return usage_error(verb, "--per-class needs --labels");
	if (a->id_column && !a->meta)
		return usage_error(verb, "--id-column needs --meta");
	if (a->o.group_column && !a->meta)
		return usage_error(verb, "--group-column needs --meta");
	if (a->o.group_column && !a->o.holdout)
		return usage_error(verb, "--group-column keeps groups whole in the halves of the holdout: "
				   "drop --no-holdout or --group-column");
	if (a->max_members < 0)
		return usage_error(verb, "--max-members must be >= 0");
	for (int i = 0; i < a->views.n; i++) {
		const char *eq = strchr(a->views.items[i], '=');

		if (!eq || eq == a->views.items[i] || !eq[1] || eq - a->views.items[i] > 63)
			return usage_error(verb, "--view expects NAME=FILE.npy (name of 1-63 characters), got '%s'",
					   a->views.items[i]);
		for (int j = 0; j < i; j++)
			if (strncmp(a->views.items[j], a->views.items[i], (size_t)(eq - a->views.items[i] + 1)) == 0)
				return usage_error(verb, "view name '%.*s' given twice",
						   (int)(eq - a->views.items[i]), a->views.items[i]);
	}
	for (int i = 0; i < a->method_names.n; i++) {
		const char *m = a->method_names.items[i];
		int predicates = strcmp(m, "predicates") == 0;

		snprintf(methods + strlen(methods), sizeof methods - strlen(methods), "%s%s",
			 i ? "," : "", m);
		if (strchr(m, ',') || fl_discover_opts_set(&a->o, "methods", m) != 0)
			return usage_error(verb, "unknown method '%s' (mixture, kmeans, direction, predicates)", m);
		if (!predicates && a->views.n == 0)
			return usage_error(verb, "method %s needs a --view", m);
		if (predicates && !a->meta)
			return usage_error(verb, "method %s needs --meta", m);
	}
	if (a->method_names.n && fl_discover_opts_set(&a->o, "methods", methods) != 0)
		return usage_error(verb, "%s", fl_last_error());
	if (a->views.n == 0 && !a->meta)
		return usage_error(verb, "need a --view NAME=FILE.npy or --meta FILE.csv to search");
	a->o.progress = progress_cb;
	a->o.note = note_cb;
	a->o.note_user = &a->quiet;
	a->o.map = a->html != NULL;
	return 0;
}

/* The model files of the specs go beside the JSON report (OUT.json ->
 * OUT.mixture-VIEW.npz), kept with it. */
char *model_prefix(const char *json)
{
	size_t len;
	char *p;

	if (!json || strcmp(json, "-") == 0)
		return NULL;
	len = strlen(json);
	if (len > 5 && strcmp(json + len - 5, ".json") == 0)
		len -= 5;
	if ((p = malloc(len + 1)))
		snprintf(p, len + 1, "%.*s", (int)len, json);
	return p;
}

/* Save the report (JSON, page, models) and print its table unless the JSON goes to stdout. */
int write_report(fl_report *r, const args *a, const char *json)
{
	int rc;

	if (progress_cancelled())
		return progress_cancelled();
	if ((rc = fl_report_set_thumbnail_dir(r, a->thumbnails)) ||
	    (rc = fl_report_save(r, json, a->html, a->max_members)))
		return fail(rc == FL_ENOMEM ? EXIT_INTERNAL : EXIT_OUTPUT, "%s", fl_last_error());
	if ((!json || strcmp(json, "-") != 0) && fl_report_write_text(r, stdout))
		return fail(EXIT_OUTPUT, "<stdout>: %s", fl_last_error());
	return 0;
}

void print_timings(const fl_report *r, double write)
{
	size_t tail = strlen(FL_TIMING_EXCHANGES), len;
	double total = write, s, x;
	const char *stage, *next;

	fprintf(stderr, "faultline: timings (wall seconds)\n");
	for (int32_t i = 0; (stage = fl_report_timing(r, i, &s)) != NULL; i++) {
		/* several ranks: a stage's seconds in the exchanges follow it */
		next = fl_report_timing(r, i + 1, &x);
		len = strlen(stage);
		if (next && strlen(next) == len + tail && !strncmp(next, stage, len) &&
		    !strcmp(next + len, FL_TIMING_EXCHANGES)) {
			fprintf(stderr, "  %-28.60s %8.3f  (%.3f exchanging)\n", stage, s, x);
			i++;
		} else {
			fprintf(stderr, "  %-28.60s %8.3f\n", stage, s);
		}
		total += s;
	}
	fprintf(stderr, "  %-28s %8.3f\n  %-28s %8.3f\n", "write", write, "total", total);
}

int cmd_discover(int argc, char **argv)
{
	args a;
	inputs in = {0};
	fl_report *r = NULL;
	int rc;

	args_init(&a);
	{
		const opt table[] = {
			{"labels", OPT_STR, "L.npy", "true labels, integers in [0, C)", &a.labels, NULL},
			{"probs", OPT_STR, "P.npy", "predicted probabilities, N x C, rows sum to 1", &a.probs, NULL},
			{"logits", OPT_STR, "Z.npy", "raw scores, N x C (softmax is applied)", &a.logits, NULL},
			{"preds", OPT_STR, "Y.npy", "predicted labels (default: argmax of --probs)", &a.preds, NULL},
			{"failure", OPT_STR, "F.npy", "per-sample failure signal, larger = worse", &a.failure, NULL},
			LIB_OPT("failure-kind", "KIND", "failure_kind", &a.o),
			SEARCH_OPTIONS(a),
			{"json", OPT_STR, "OUT.json", "write the report as JSON ('-' = stdout)", &a.json, NULL},
			{NULL, OPT_FLAG, NULL, NULL, NULL, NULL}
		};

		rc = opts_parse(table, argc, argv, "discover",
				"--labels L.npy --probs P.npy --view NAME=E.npy [--meta M.csv] [options]", NULL);
	}
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if ((rc = validate_args(&a, "discover")) || (rc = ranks_start()))
		return rc;
	/* several ranks: each runs the same discover, rank 0 writes the report */
	a.o.comm = ranks_comm();
	a.quiet |= cli_rank > 0;
	progress_init(a.quiet);
	double t = now();
	if ((rc = read_inputs(&in, &a, 1)) == 0) {
		/* ranks other than 0 never write the report: their mixture models
		 * stay in $TMPDIR, never beside the JSON (a rank ended by mpirun
		 * cannot remove them) */
		char *prefix = cli_rank == 0 ? model_prefix(a.json) : NULL;
		double read = now() - t;

		a.o.model_prefix = prefix;
		if (cli_rank == 0 && a.json && strcmp(a.json, "-") != 0 && !prefix)
			rc = fail(EXIT_INTERNAL, "out of memory");
		else if ((rc = fl_discover(&r, &in.data, &a.o)) ||
			 (a.o.timings && (rc = fl_report_add_timing(r, "read", read))))
			rc = lib_fail(rc, 1);
		else if ((rc = ranks_agree(0)) == 0 && cli_rank == 0) {
			t = now();
			if ((rc = write_report(r, &a, a.json)) == 0 && a.o.timings) {
				print_timings(r, now() - t);
				ranks_print_volume();
			}
		}
		free(prefix);
	}
	progress_done();
	fl_report_free(r);
	inputs_free(&in);
	return ranks_end(rc);
}
