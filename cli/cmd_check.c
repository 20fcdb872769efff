/*
 * faultline check: known slices as CI gates. Every slice of a saved report
 * is applied to new data (as `apply` does) and judged against limits:
 *   --max-failure-rate X  FAIL when its failure rate exceeds X,
 *                         WARN when only the top of its 95% interval does;
 *   --max-lift Y          FAIL when its lift exceeds Y, WARN when the top
 *                         of its interval divided by the overall rate does;
 *   --max-regression Z    FAIL when its failure rate rose by more than Z
 *                         since it was found, WARN when by more than Z / 2.
 * Exit 0 when no slice fails, 1 when one does, 2 on a usage error, 3 when
 * the inputs are unusable (docs/cli.md).
 */
#include "discover.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { PASS, WARN, FAIL };

static const char *const status_name[] = {"PASS", "WARN", "FAIL"};

typedef struct limits {
	double max_rate, max_lift, max_regression; /* NaN = not checked */
} limits;

/* The worst status of one slice, and why, in `why`. */
static int judge(const fl_candidate *c, const fl_saved_slice *saved, double overall,
		 const limits *l, char *why, size_t len)
{
	const fl_slice_stats *st = &c->stats;
	int status = PASS;

	why[0] = '\0';
#define RAISE(s, ...) do { if ((s) > status) { status = (s); snprintf(why, len, __VA_ARGS__); } } while (0)
	if (l->max_rate == l->max_rate) {
		if (st->failure_rate > l->max_rate)
			RAISE(FAIL, "failure rate %.4g > %.4g", st->failure_rate, l->max_rate);
		else if (st->ci_high > l->max_rate)
			RAISE(WARN, "failure rate %.4g, up to %.4g (95%%) > %.4g", st->failure_rate,
			      st->ci_high, l->max_rate);
	}
	if (l->max_lift == l->max_lift && overall > 0) {
		if (st->lift > l->max_lift)
			RAISE(FAIL, "lift %.3g > %.3g", st->lift, l->max_lift);
		else if (st->ci_high / overall > l->max_lift)
			RAISE(WARN, "lift %.3g, up to %.3g (95%%) > %.3g", st->lift,
			      st->ci_high / overall, l->max_lift);
	}
	if (l->max_regression == l->max_regression && saved->failure_rate == saved->failure_rate) {
		double rise = st->failure_rate - saved->failure_rate;

		if (rise > l->max_regression)
			RAISE(FAIL, "failure rate rose %.4g -> %.4g (> +%.4g)", saved->failure_rate,
			      st->failure_rate, l->max_regression);
		else if (rise > l->max_regression / 2)
			RAISE(WARN, "failure rate rose %.4g -> %.4g (> +%.4g / 2)", saved->failure_rate,
			      st->failure_rate, l->max_regression);
	}
#undef RAISE
	if (st->size == 0 && status == PASS)
		snprintf(why, len, "no rows in the new data");
	return status;
}

/* A pull-request comment: a summary line and a table of the slices not passing. */
static int write_markdown(const char *path, const applied *x, const int *status,
			  char (*why)[256], const int *count)
{
	char tmp[4300];
	FILE *fp;
	int fd, ok;

	if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof tmp)
		return fail(EXIT_OUTPUT, "%s: path too long", path);
	if ((fd = mkstemp(tmp)) < 0 || !(fp = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		return fail(EXIT_OUTPUT, "%s: cannot write: %s", path, strerror(errno));
	}
	fchmod(fd, 0644);
	fprintf(fp, "### faultline check: %s\n\n%d slices: %d pass, %d warn, %d fail\n",
		count[FAIL] ? "FAIL" : count[WARN] ? "WARN" : "PASS",
		count[PASS] + count[WARN] + count[FAIL], count[PASS], count[WARN], count[FAIL]);
	if (count[WARN] + count[FAIL]) {
		fputs("\n| status | slice | rows | failure rate | why |\n|---|---|---|---|---|\n", fp);
		for (int32_t i = 0; i < fl_report_n_slices(x->report); i++) {
			const fl_candidate *c = fl_report_slice(x->report, i);
			const fl_saved_slice *s = fl_saved_report_slice(x->saved, i);

			if (status[i] == PASS)
				continue;
			fprintf(fp, "| %s | %s: ", status_name[status[i]], s->id);
			for (const char *p = s->label; *p; p++) /* a '|' would end the cell */
				fputs(*p == '|' ? "\\|" : *p == '\n' ? " " : (char[2]){*p, 0}, fp);
			fprintf(fp, " | %lld | %.1f%% | %s |\n", (long long)c->stats.size,
				100 * c->stats.failure_rate, why[i]);
		}
	}
	ok = fflush(fp) == 0 && !ferror(fp);
	ok = (fclose(fp) == 0) && ok;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return fail(EXIT_OUTPUT, "%s: write failed: %s", path, strerror(errno));
	}
	return 0;
}

int cmd_check(int argc, char **argv)
{
	args a = {0};
	opt_list pos = {0};
	applied x = {0};
	limits l = {NAN, NAN, NAN};
	const char *markdown = NULL;
	int count[3] = {0, 0, 0}, *status = NULL, rc;
	char (*why)[256] = NULL;
	const opt table[] = {
		DATA_OPTIONS(a),
		{"max-failure-rate", OPT_NUM, "X", "FAIL a slice whose failure rate exceeds X", &l.max_rate},
		{"max-lift", OPT_NUM, "Y", "FAIL a slice whose lift exceeds Y", &l.max_lift},
		{"max-regression", OPT_NUM, "Z", "FAIL a slice whose failure rate rose by more than Z", &l.max_regression},
		{"markdown", OPT_STR, "FILE", "also write a summary for a pull-request comment", &markdown},
		{"quiet", OPT_FLAG, NULL, "no notes on stderr", &a.quiet},
		{NULL, OPT_FLAG, NULL, NULL, NULL}
	};

	a.failure_kind = "error";
	rc = opts_parse(table, argc, argv, "check", "RUN.json --labels L.npy --probs P.npy [data options] --max-...=LIMIT",
			&pos);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if ((rc = check_data_args(&a, &pos, "check")))
		return rc;
	if (l.max_rate != l.max_rate && l.max_lift != l.max_lift &&
	    l.max_regression != l.max_regression)
		return usage_error("check", "need --max-failure-rate, --max-lift or --max-regression");
	if (!(l.max_rate != l.max_rate || l.max_rate >= 0) || !(l.max_lift != l.max_lift || l.max_lift > 0) ||
	    !(l.max_regression != l.max_regression || l.max_regression >= 0))
		return usage_error("check", "limits must be >= 0 (--max-lift > 0)");
	if ((rc = apply_saved(&a, pos.items[0], &x)))
		goto cleanup;
	status = calloc((size_t)fl_report_n_slices(x.report) + 1, sizeof *status);
	why = calloc((size_t)fl_report_n_slices(x.report) + 1, sizeof *why);
	if (!status || !why) {
		rc = fail(EXIT_INTERNAL, "out of memory");
		goto cleanup;
	}
	for (int32_t i = 0; i < fl_report_n_slices(x.report); i++) {
		const fl_saved_slice *s = fl_saved_report_slice(x.saved, i);

		status[i] = judge(fl_report_slice(x.report, i), s,
				  fl_failure_summary_mean(x.summary), &l, why[i], sizeof why[i]);
		count[status[i]]++;
		if (status[i] != PASS)
			printf("%s %s %s: %s\n", status_name[status[i]], s->id, s->label, why[i]);
	}
	printf("check: %d slices, %d pass, %d warn, %d fail\n",
	       count[PASS] + count[WARN] + count[FAIL], count[PASS], count[WARN], count[FAIL]);
	if (markdown && (rc = write_markdown(markdown, &x, status, why, count)))
		goto cleanup;
	rc = count[FAIL] ? EXIT_FINDING : EXIT_OK;
cleanup:
	free(status);
	free(why);
	applied_free(&x);
	return rc;
}
