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
	c->score = fl_slice_score(&c->stats, overall);
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

/*
 * Load the new data named by `a`, apply every slice of the saved report
 * `run` and collect them, in the saved order, into *r. Everything created
 * is returned for the caller to free (also on error).
 */
int apply_saved(const args *a, const char *run, applied *out)
{
	fl_spec_view sv[OPT_LIST_MAX];
	fl_spec_data sd = FL_SPEC_DATA_INIT;
	uint8_t *member = NULL;
	char failure_name[4200], *dir = NULL;
	int64_t id_col = -1;
	int rc;

	if ((rc = fl_saved_report_load(&out->saved, run)))
		return fail(exit_for_input(rc), "%s", fl_last_error());
	if ((rc = load_outputs(&out->in, a)) || (rc = check_classes(&out->in, a)) ||
	    (rc = load_meta(&out->in, a, &id_col)) ||
	    (rc = derive_failure(&out->in, a, failure_name, sizeof failure_name)))
		return rc;
	if ((rc = fl_failure_summary_new(&out->summary, out->in.failure, out->in.n)) ||
	    (rc = fl_report_new(&out->report, out->summary, out->in.n, failure_name)) ||
	    (rc = fl_report_set_table(out->report, out->in.meta, id_col)) ||
	    (rc = fl_report_set_param(out->report, "applied", run)) ||
	    (out->in.labels && out->in.preds &&
	     (rc = fl_report_set_classes(out->report, out->in.labels, out->in.preds,
					 out->in.n_classes, out->in.class_names))))
		return fail(exit_for_input(rc), "%s", fl_last_error());
	if ((rc = load_views(&out->in, a, out->report)))
		return rc;
	for (int v = 0; v < out->in.n_views; v++)
		sv[v] = (fl_spec_view){out->in.view_name[v], out->in.view_x[v], out->in.view_d[v]};
	if (!(dir = folder_of(run)) || !(member = malloc((size_t)out->in.n))) {
		free(dir);
		return fail(EXIT_INTERNAL, "out of memory");
	}
	sd.n = out->in.n;
	sd.views = sv;
	sd.n_views = out->in.n_views;
	sd.table = out->in.meta;
	sd.labels = out->in.labels;
	sd.probs = out->in.probs;
	sd.n_classes = out->in.n_classes;
	sd.base_dir = dir;
	for (int32_t i = 0; rc == 0 && i < fl_saved_report_n_slices(out->saved); i++) {
		fl_candidate c;

		rc = apply_slice(&c, fl_saved_report_slice(out->saved, i), &sd, out->summary, member);
		if (rc == 0 && fl_report_add_candidates(out->report, &c, 1))
			rc = fail(EXIT_INTERNAL, "%s", fl_last_error());
		fl_candidate_clear(&c);
	}
	/* no ranking: the slices keep the saved order, and so their ids */
	free(member);
	free(dir);
	return rc;
}

void applied_free(applied *x)
{
	fl_report_free(x->report);
	fl_failure_summary_free(x->summary);
	fl_saved_report_free(x->saved);
	inputs_free(&x->in);
}

int cmd_apply(int argc, char **argv)
{
	args a = {0};
	opt_list pos = {0};
	applied x = {0};
	int rc;
	const opt table[] = {
		DATA_OPTIONS(a),
		{"json", OPT_STR, "OUT.json", "write the results as a report ('-' = stdout)", &a.json},
		{"max-members", OPT_INT, "M", "members listed per slice in JSON (default all)", &a.max_members},
		{"quiet", OPT_FLAG, NULL, "no notes on stderr", &a.quiet},
		{NULL, OPT_FLAG, NULL, NULL, NULL}
	};

	a.failure_kind = "error";
	rc = opts_parse(table, argc, argv, "apply", "RUN.json --labels L.npy --probs P.npy [--view N=E.npy] [options]", &pos);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if ((rc = check_data_args(&a, &pos, "apply")) || (rc = apply_saved(&a, pos.items[0], &x)))
		goto cleanup;
	if (a.json && (rc = fl_report_write_json(x.report, a.json, a.max_members))) {
		rc = fail(rc == FL_ENOMEM ? EXIT_INTERNAL : EXIT_OUTPUT, "%s", fl_last_error());
		goto cleanup;
	}
	if ((!a.json || strcmp(a.json, "-") != 0) && fl_report_write_text(x.report, stdout))
		rc = fail(EXIT_OUTPUT, "<stdout>: %s", fl_last_error());
cleanup:
	applied_free(&x);
	return rc;
}

int check_data_args(const args *a, const opt_list *pos, const char *verb)
{
	if (pos->n != 1)
		return usage_error(verb, "need exactly one saved report (RUN.json)");
	if (a->probs && a->logits)
		return usage_error(verb, "give --probs or --logits, not both");
	if (!a->failure && (!a->labels || (!a->probs && !a->logits && !a->preds)))
		return usage_error(verb, "need --labels with --probs, --logits or --preds, or --failure");
	return 0;
}
