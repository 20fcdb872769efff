/*
 * faultline apply: re-measure the slices of a saved report on new data (a
 * new model's outputs on the same samples, or new samples): every slice's
 * spec selects its rows in the new data, whose statistics are reported in
 * the saved order, as a report of the same schema.
 */
#include "discover.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The saved report's folder: relative model files of its specs live there. */
static char *folder_of(const char *path)
{
	char *dir = strdup(path), *slash;

	if (!dir)
		return NULL;
	if (!(slash = strrchr(dir, '/')))
		strcpy(dir, ".");
	else
		slash[slash == dir] = '\0';
	return dir;
}

/* One saved slice applied: its rows in the new data become a candidate. */
static int apply_slice(fl_candidate *c, const fl_saved_slice *saved, const fl_spec_data *sd,
		       const fl_failure_summary *s, uint8_t *member)
{
	char text[1024];
	double overall = fl_failure_summary_mean(s);
	int64_t m = 0;
	int rc;

	memset(c, 0, sizeof *c);
	if ((rc = fl_spec_apply(member, saved->spec_json, sd, NULL, sd->n)))
		return fail(exit_for_input(rc), "slice %s: %s", saved->id, fl_last_error());
	for (int64_t i = 0; i < sd->n; i++)
		m += member[i];
	c->members = malloc((size_t)(m ? m : 1) * sizeof *c->members);
	c->member_scores = malloc((size_t)(m ? m : 1) * sizeof *c->member_scores);
	if (!c->members || !c->member_scores)
		return fail(EXIT_INTERNAL, "out of memory");
	for (int64_t i = 0, k = 0; i < sd->n; i++)
		if (member[i]) {
			c->members[k] = i;
			c->member_scores[k++] = 1;
		}
	c->n_members = m;
	if ((rc = fl_slice_stats_compute(&c->stats, s, c->members, m)))
		return fail(EXIT_INTERNAL, "%s", fl_last_error());
	c->score = overall > 0 ? c->stats.ci_low / overall : c->stats.ci_low - overall;
	snprintf(c->method, sizeof c->method, "saved");
	snprintf(c->view, sizeof c->view, "%s", saved->id);
	snprintf(text, sizeof text, "%s (when found: %lld rows, failure %.4g)", saved->label,
		 (long long)saved->size, saved->failure_rate);
	c->description = strdup(text);
	c->spec_json = strdup(saved->spec_json);
	if (!c->description || !c->spec_json)
		return fail(EXIT_INTERNAL, "out of memory");
	return 0;
}

int cmd_apply(int argc, char **argv)
{
	args a = {0};
	inputs in = {0};
	opt_list pos = {0};
	fl_saved_report *saved = NULL;
	fl_failure_summary *s = NULL;
	fl_report *r = NULL;
	fl_spec_view sv[OPT_LIST_MAX];
	fl_spec_data sd = FL_SPEC_DATA_INIT;
	uint8_t *member = NULL;
	char failure_name[4200], *dir = NULL;
	int64_t id_col = -1;
	int rc;
	const opt table[] = {
		{"labels", OPT_STR, "L.npy", "true labels of the new data", &a.labels},
		{"probs", OPT_STR, "P.npy", "predicted probabilities, N x C", &a.probs},
		{"logits", OPT_STR, "Z.npy", "raw scores, N x C (softmax is applied)", &a.logits},
		{"preds", OPT_STR, "Y.npy", "predicted labels (default: argmax of --probs)", &a.preds},
		{"failure", OPT_STR, "F.npy", "per-sample failure signal, larger = worse", &a.failure},
		{"failure-kind", OPT_STR, "KIND", "error (default), loss or confidence", &a.failure_kind},
		{"view", OPT_LIST, "NAME=E.npy", "a view the specs need, N x D (repeatable)", &a.views},
		{"meta", OPT_STR, "meta.csv", "metadata the predicate specs need", &a.meta},
		{"id-column", OPT_STR, "COL", "metadata column naming each sample", &a.id_column},
		{"class-column", OPT_STR, "COL", "metadata column naming each label", &a.class_column},
		{"json", OPT_STR, "OUT.json", "write the results as a report ('-' = stdout)", &a.json},
		{"max-members", OPT_INT, "M", "members listed per slice in JSON (default all)", &a.max_members},
		{"quiet", OPT_FLAG, NULL, "no notes on stderr", &a.quiet},
		{NULL, OPT_FLAG, NULL, NULL, NULL}
	};

	a.failure_kind = "error";
	rc = opts_parse(table, argc, argv, "apply", "RUN.json --labels L.npy --probs P.npy "
			"[--view NAME=E.npy ...] [--meta M.csv] [options]", &pos);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (pos.n != 1)
		return usage_error("apply", "need exactly one saved report (RUN.json)");
	if (a.probs && a.logits)
		return usage_error("apply", "give --probs or --logits, not both");
	if (!a.failure && (!a.labels || (!a.probs && !a.logits && !a.preds)))
		return usage_error("apply", "need --labels with --probs, --logits or --preds, or --failure");
	if ((rc = fl_saved_report_load(&saved, pos.items[0]))) {
		rc = fail(exit_for_input(rc), "%s", fl_last_error());
		goto cleanup;
	}
	if ((rc = load_outputs(&in, &a)) || (rc = check_classes(&in, &a)) ||
	    (rc = load_meta(&in, &a, &id_col)) ||
	    (rc = derive_failure(&in, &a, failure_name, sizeof failure_name)))
		goto cleanup;
	if ((rc = fl_failure_summary_new(&s, in.failure, in.n)) ||
	    (rc = fl_report_new(&r, s, in.n, failure_name)) ||
	    (rc = fl_report_set_table(r, in.meta, id_col)) ||
	    (rc = fl_report_set_param(r, "applied", pos.items[0])) ||
	    (in.labels && in.preds &&
	     (rc = fl_report_set_classes(r, in.labels, in.preds, in.n_classes, in.class_names)))) {
		rc = fail(exit_for_input(rc), "%s", fl_last_error());
		goto cleanup;
	}
	if ((rc = load_views(&in, &a, r)))
		goto cleanup;
	for (int v = 0; v < in.n_views; v++)
		sv[v] = (fl_spec_view){in.view_name[v], in.view_x[v], in.view_d[v]};
	if (!(dir = folder_of(pos.items[0])) || !(member = malloc((size_t)in.n))) {
		rc = fail(EXIT_INTERNAL, "out of memory");
		goto cleanup;
	}
	sd.n = in.n;
	sd.views = sv;
	sd.n_views = in.n_views;
	sd.table = in.meta;
	sd.labels = in.labels;
	sd.probs = in.probs;
	sd.n_classes = in.n_classes;
	sd.base_dir = dir;
	for (int32_t i = 0; i < fl_saved_report_n_slices(saved); i++) {
		fl_candidate c;

		rc = apply_slice(&c, fl_saved_report_slice(saved, i), &sd, s, member);
		if (rc == 0 && fl_report_add_candidates(r, &c, 1))
			rc = fail(EXIT_INTERNAL, "%s", fl_last_error());
		fl_candidate_clear(&c);
		if (rc)
			goto cleanup;
	}
	/* no ranking: the slices keep the saved order, and so their ids */
	if (a.json && (rc = fl_report_write_json(r, a.json, a.max_members))) {
		rc = fail(rc == FL_ENOMEM ? EXIT_INTERNAL : EXIT_OUTPUT, "%s", fl_last_error());
		goto cleanup;
	}
	if ((!a.json || strcmp(a.json, "-") != 0) && fl_report_write_text(r, stdout))
		rc = fail(EXIT_OUTPUT, "<stdout>: %s", fl_last_error());
cleanup:
	free(member);
	free(dir);
	fl_report_free(r);
	fl_failure_summary_free(s);
	fl_saved_report_free(saved);
	inputs_free(&in);
	return rc;
}
