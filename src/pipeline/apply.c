/*
 * fl_apply and fl_check: the slices of a saved report re-measured on new
 * data (a new model's outputs on the same samples, or new samples), and
 * judged against limits for CI:
 *   max_failure_rate X  FAIL when a slice's failure rate exceeds X,
 *                       WARN when only the top of its 95% interval does;
 *   max_lift Y          FAIL when its lift exceeds Y, WARN when the top of
 *                       its interval divided by the overall rate does;
 *   max_regression Z    FAIL when its failure rate rose by more than Z since
 *                       it was found, WARN when by more than Z / 2;
 * and the whole data against two overall limits:
 *   max_overall_failure X     FAIL when the overall failure rate exceeds X;
 *   max_overall_regression Z  FAIL when it rose by more than Z since the saved
 *                             report, WARN when by more than Z / 2.
 */
#include "pipeline_internal.h"
#include "report/report_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* One saved slice applied: its rows in the new data become a candidate. */
static int apply_slice(fl_candidate *c, const fl_saved_slice *saved, const fl_spec_data *sd,
		       const fl_failure_summary *s, uint8_t *member, int binary)
{
	fl_strbuf b = {0};
	char rate[32];
	int64_t m = 0;
	int rc;

	memset(c, 0, sizeof *c);
	if ((rc = fl_spec_apply(member, saved->spec_json, sd, NULL, sd->n))) {
		char msg[1024];

		snprintf(msg, sizeof msg, "%s", fl_last_error());
		return rc == FL_ENOMEM ? rc : fl__error(rc, "slice %s: %s", saved->id, msg);
	}
	for (int64_t i = 0; i < sd->n; i++)
		m += member[i];
	c->members = fl__malloc((size_t)(m ? m : 1) * sizeof *c->members, "slice members");
	c->member_scores = fl__malloc((size_t)(m ? m : 1) * sizeof *c->member_scores, "slice members");
	if (!c->members || !c->member_scores)
		return FL_ENOMEM;
	for (int64_t i = 0, k = 0; i < sd->n; i++)
		if (member[i]) {
			c->members[k] = i;
			c->member_scores[k++] = 1;
		}
	c->n_members = m;
	if ((rc = fl_slice_stats_compute(&c->stats, s, c->members, m)))
		return rc;
	c->score = fl_slice_score(&c->stats, fl_failure_summary_mean(s));
	snprintf(c->method, sizeof c->method, "saved");
	snprintf(c->view, sizeof c->view, "%s", saved->id);
	fl__sb_printf(&b, "%s (when found: %lld rows, %s %s)", saved->label,
		      (long long)saved->size, binary ? "failure" : "mean failure",
		      fl_report__rate(rate, sizeof rate, saved->failure_rate, binary));
	if (!(c->description = fl__sb_finish(&b, "slice description")) ||
	    !(c->spec_json = fl__strdup(saved->spec_json)))
		return FL_ENOMEM;
	return 0;
}

static int apply_all(fl_report *r, const fl_saved_report *saved, const fl_prep *p,
		     const fl_data *d, const fl_failure_summary *s, const fl_apply_opts *o)
{
	fl_spec_data sd;
	fl_spec_view *sv = NULL;
	uint8_t *member = fl__malloc((size_t)p->n, "slice rows");
	char *dir = fl__folder_of(fl_saved_report_path(saved));
	int32_t n = fl_saved_report_n_slices(saved);
	int rc = 0;

	if (!member || !dir || (rc = fl_pipeline__spec_data(&sd, &sv, p, d, dir))) {
		rc = rc ? rc : FL_ENOMEM;
		goto cleanup;
	}
	for (int32_t i = 0; rc == 0 && i < n; i++) {
		fl_candidate c;

		memset(&c, 0, sizeof c);
		if ((rc = fl__progress(o->progress, o->progress_user, "apply", i, n)) == 0 &&
		    (rc = apply_slice(&c, fl_saved_report_slice(saved, i), &sd, s, member,
				       fl_saved_report_binary(saved))) == 0)
			rc = fl_report_add_candidates(r, &c, 1);
		fl_candidate_clear(&c);
	}
	/* no ranking: the slices keep the saved order, and so their ids */
cleanup:
	free(sv);
	free(member);
	free(dir);
	return rc;
}

int fl_apply(fl_report **out, const fl_saved_report *saved, const fl_data *data,
	     const fl_apply_opts *opts)
{
	static const fl_apply_opts defaults = FL_APPLY_OPTS_INIT;
	fl_failure_summary *s = NULL;
	fl_report *r = NULL;
	fl_prep *p = NULL;
	int rc;

	if (!out || !saved)
		return fl__error(FL_EINVAL, "no saved report to apply, or nowhere to put the result");
	*out = NULL;
	opts = opts ? opts : &defaults;
	if (opts->version != FL_APPLY_OPTS_VERSION || (unsigned)opts->failure_kind > 2)
		return fl__error(FL_EINVAL, "apply options: version %d (this library knows %d), "
				 "failure kind %d", opts->version, FL_APPLY_OPTS_VERSION,
				 (int)opts->failure_kind);
	if (!(p = fl__calloc(1, sizeof *p, "prepared data")))
		return FL_ENOMEM;
	if ((rc = fl_pipeline__prepare(p, data, opts->failure_kind, 1, 0)) ||
	    (rc = fl_failure_summary_new(&s, p->failure, p->n)) ||
	    (rc = fl_report_new(&r, s, p->n, p->failure_name)) ||
	    (rc = fl_report_set_table(r, data->meta, p->id_col)) ||
	    (rc = fl_report_set_param(r, "applied", fl_saved_report_path(saved))) ||
	    (p->labels && p->preds &&
	     (rc = fl_report_set_classes(r, p->labels, p->preds, p->n_classes, p->class_names))))
		goto cleanup;
	if ((rc = fl_pipeline__report_views(r, p, data, saved, opts->allow_view_drift)) || (rc = apply_all(r, saved, p, data, s, opts)) ||
	    (rc = fl_report__measure(r, p->failure)))
		goto cleanup;
	fl_report__set_owner(r, p, fl_pipeline__prep_release);
	p = NULL;
	*out = r;
	r = NULL;
cleanup:
	fl_report_free(r);
	fl_pipeline__prep_release(p);
	fl_failure_summary_free(s);
	return rc;
}

/* The worst status of one slice, and why. */
static fl_status judge(fl_verdict *v, const fl_candidate *c, const fl_saved_slice *saved,
		       double overall, int binary, const fl_check_opts *l)
{
	const char *rate = binary ? "failure rate" : "mean failure";
	const fl_slice_stats *st = &c->stats;
	size_t len = sizeof v->why;
	char *why = v->why;
	fl_status status = FL_PASS;

	why[0] = '\0';
#define RAISE(s, ...) do { if ((s) > status) { status = (s); snprintf(why, len, __VA_ARGS__); } } while (0)
	if (!isnan(l->max_failure_rate)) {
		if (st->failure_rate > l->max_failure_rate)
			RAISE(FL_FAIL, "%s %.4g > %.4g", rate, st->failure_rate, l->max_failure_rate);
		else if (st->ci_high > l->max_failure_rate)
			RAISE(FL_WARN, "%s %.4g, up to %.4g (95%%) > %.4g", rate, st->failure_rate,
			      st->ci_high, l->max_failure_rate);
	}
	if (!isnan(l->max_lift) && overall > 0) {
		if (st->lift > l->max_lift)
			RAISE(FL_FAIL, "lift %.3g > %.3g", st->lift, l->max_lift);
		else if (st->ci_high / overall > l->max_lift)
			RAISE(FL_WARN, "lift %.3g, up to %.3g (95%%) > %.3g", st->lift,
			      st->ci_high / overall, l->max_lift);
	}
	if (!isnan(l->max_regression) && !isnan(saved->failure_rate)) {
		double rise = st->failure_rate - saved->failure_rate;

		if (rise > l->max_regression)
			RAISE(FL_FAIL, "%s rose %.4g -> %.4g (> +%.4g)", rate, saved->failure_rate,
			      st->failure_rate, l->max_regression);
		else if (rise > l->max_regression / 2)
			RAISE(FL_WARN, "%s rose %.4g -> %.4g (> +%.4g / 2)", rate, saved->failure_rate,
			      st->failure_rate, l->max_regression);
	}
#undef RAISE
	if (st->size == 0 && status == FL_PASS)
		snprintf(why, len, "no rows in the new data");
	return v->status = status;
}

/* The whole data: its failure rate now against the limit and the saved one. */
static void judge_overall(fl_verdict *v, double now, double then, int binary,
			  const fl_check_opts *l)
{
	const char *rate = binary ? "failure rate" : "mean failure";
	size_t len = sizeof v->why;
	char *why = v->why;
	fl_status status = FL_PASS;

	why[0] = '\0';
#define RAISE(s, ...) do { if ((s) > status) { status = (s); snprintf(why, len, __VA_ARGS__); } } while (0)
	if (!isnan(l->max_overall_failure) && now > l->max_overall_failure)
		RAISE(FL_FAIL, "overall %s %.4g > %.4g", rate, now, l->max_overall_failure);
	if (!isnan(l->max_overall_regression)) {
		if (now - then > l->max_overall_regression)
			RAISE(FL_FAIL, "overall %s rose %.4g -> %.4g (> +%.4g)", rate, then, now,
			      l->max_overall_regression);
		else if (now - then > l->max_overall_regression / 2)
			RAISE(FL_WARN, "overall %s rose %.4g -> %.4g (> +%.4g / 2)", rate, then, now,
			      l->max_overall_regression);
	}
#undef RAISE
	v->status = status;
}

int fl_check(fl_verdict **verdicts, fl_verdict *overall, fl_report **applied,
	     const fl_saved_report *saved, const fl_data *data, const fl_check_opts *opts)
{
	fl_report *r = NULL;
	fl_verdict *v = NULL;
	int32_t n;
	int rc;

	if (!verdicts || !opts || opts->version != FL_CHECK_OPTS_VERSION)
		return fl__error(FL_EINVAL, "a check needs a saved report, its data, a place for the "
				 "verdicts and limits (version %d)", FL_CHECK_OPTS_VERSION);
	*verdicts = NULL;
	if (applied)
		*applied = NULL;
	if (overall)
		memset(overall, 0, sizeof *overall);
	if (isnan(opts->max_failure_rate) && isnan(opts->max_lift) && isnan(opts->max_regression) &&
	    isnan(opts->max_overall_failure) && isnan(opts->max_overall_regression))
		return fl__error(FL_EINVAL, "check: no limit (max_failure_rate, max_lift, max_regression, "
				 "max_overall_failure or max_overall_regression)");
	if (opts->max_failure_rate < 0 || opts->max_lift <= 0 || opts->max_regression < 0 ||
	    opts->max_overall_failure < 0 || opts->max_overall_regression < 0)
		return fl__error(FL_EINVAL, "check: limits must be >= 0 (max_lift > 0)");
	if (!isnan(opts->max_overall_regression) && isnan(fl_saved_report_overall(saved)))
		return fl__error(FL_EINVAL, "%s: no overall failure rate (dataset.failure_rate) to "
				 "check a regression against", fl_saved_report_path(saved));
	if ((rc = fl_apply(&r, saved, data, &opts->apply)))
		return rc;
	n = fl_report_n_slices(r);
	if (!(v = fl__calloc((size_t)n + 1, sizeof *v, "verdicts"))) {
		fl_report_free(r);
		return FL_ENOMEM;
	}
	for (int32_t i = 0; i < n; i++)
		judge(&v[i], fl_report_slice(r, i), fl_saved_report_slice(saved, i), r->overall,
		      r->binary, opts);
	if (overall)
		judge_overall(overall, r->overall, fl_saved_report_overall(saved), r->binary, opts);
	*verdicts = v;
	if (applied)
		*applied = r;
	else
		fl_report_free(r);
	return 0;
}

fl_status fl_verdicts_worst(const fl_verdict *v, int32_t n)
{
	fl_status worst = FL_PASS;

	for (int32_t i = 0; v && i < n; i++)
		worst = v[i].status > worst ? v[i].status : worst;
	return worst;
}

const char *fl_status_name(fl_status s)
{
	return s == FL_FAIL ? "FAIL" : s == FL_WARN ? "WARN" : "PASS";
}

/* Text from a report as inert Markdown in a table cell: a '|' would end the
 * cell, HTML would be rendered, a control character would reach the
 * terminal of whoever prints the file. */
static void md_cell(FILE *fp, const char *s)
{
	for (const char *q = s; *q;) {
		uint32_t cp;
		size_t len = fl__utf8_next(q, &cp);
		const char *rep = cp == '|' ? "\\|" : cp == '\\' ? "\\\\" : cp == '<' ? "&lt;" :
				  cp == '>' ? "&gt;" : cp == '&' ? "&amp;" : NULL;

		if (rep)
			fputs(rep, fp);
		else if (fl__utf8_control(cp))
			for (size_t k = 0; k < len; k++)
				fprintf(fp, "\\\\x%02x", (unsigned char)q[k]);
		else
			fwrite(q, 1, len, fp);
		q += len;
	}
}

int fl_check_write_markdown(const char *path, const fl_report *applied,
			    const fl_saved_report *saved, const fl_verdict *verdicts,
			    const fl_verdict *overall)
{
	int32_t n = fl_report_n_slices(applied), count[3] = {0, 0, 0};
	fl_status worst = fl_verdicts_worst(verdicts, n);
	const char *rate = applied->binary ? "failure rate" : "mean failure";
	char now[32], then[32];
	fl_staged st;
	FILE *fp;
	int rc;

	for (int32_t i = 0; i < n; i++)
		count[verdicts[i].status]++;
	if (overall && overall->status > worst)
		worst = overall->status;
	if ((rc = fl__stage_open(&st, path)))
		return rc;
	fp = st.fp;
	fprintf(fp, "### faultline check: %s\n\n", fl_status_name(worst));
	fprintf(fp, "overall %s %s", rate, fl_report__rate(now, sizeof now, applied->overall,
							     applied->binary));
	if (!isnan(fl_saved_report_overall(saved)))
		fprintf(fp, " (%s in the saved report)", fl_report__rate(then, sizeof then,
			fl_saved_report_overall(saved), fl_saved_report_binary(saved)));
	if (overall && overall->status != FL_PASS)
		fprintf(fp, ": **%s** %s", fl_status_name(overall->status), overall->why);
	fprintf(fp, "\n\n%d slices: %d pass, %d warn, %d fail\n", (int)n, (int)count[FL_PASS],
		(int)count[FL_WARN], (int)count[FL_FAIL]);
	if (count[FL_WARN] + count[FL_FAIL]) {
		fprintf(fp, "\n| status | slice | rows | %s | why |\n|---|---|---|---|---|\n", rate);
		for (int32_t i = 0; i < n; i++) {
			const fl_candidate *c = fl_report_slice(applied, i);
			const fl_saved_slice *s = fl_saved_report_slice(saved, i);

			if (verdicts[i].status == FL_PASS)
				continue;
			fprintf(fp, "| %s | ", fl_status_name(verdicts[i].status));
			md_cell(fp, s->id);
			fputs(": ", fp);
			md_cell(fp, s->label);
			fprintf(fp, " | %lld | %s | %s |\n", (long long)c->stats.size,
				fl_report__rate(now, sizeof now, c->stats.failure_rate, applied->binary),
				verdicts[i].why);
		}
	}
	if ((rc = fl__stage_close(&st)) || (rc = fl__stage_commit(&st)))
		fl__stage_discard(&st);
	return rc;
}
