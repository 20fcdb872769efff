/* The readable table of a report: one line per slice plus its top confusion
 * and prototypes, at most 100 columns wide. Names and values from the data
 * (view names, metadata values, class names, ids) are printed inert: a
 * control character or invalid UTF-8 shows as \xHH (fl__inert), so the
 * table cannot drive the terminal that shows it. */
#include "report_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define WIDTH 100

static void pct(char *buf, size_t len, double x, int binary)
{
	fl_report__fmt_rate(buf, len, x, binary, FL_FIG_UNIT);
}

/* Print `s` inert and indented, cut to the table width (between whole
 * characters and escapes). */
static void put_cut(FILE *fp, const char *indent, const char *s)
{
	char text[4 * 512 + 1];
	int room = WIDTH - (int)strlen(indent);

	if ((int)fl__inert(text, sizeof text, s) > room) {
		fl__inert(text, (size_t)room - 3 + 1, s);
		strcat(text, "...");
	}
	fprintf(fp, "%s%s\n", indent, text);
}

static void header(const fl_report *r, FILE *fp)
{
	char line[512], rate[16];
	int len, binary = r->binary;

	const char *fname = r->failure_name, *slash = strrchr(fname, '/');

	/* a signal from a file is named by the file's base name: the table
	 * stays narrow, and the same wherever the file lives */
	if (strncmp(fname, "file:", 5) == 0 && slash)
		fname = slash + 1;
	fl_report__rate(rate, sizeof rate, r->overall, binary);
	snprintf(line, sizeof line, "faultline %s: %lld samples, failure = %s (%s), overall %s",
		 fl_version(), (long long)r->n, fname,
		 r->binary ? "binary" : "continuous", rate);
	put_cut(fp, "", line);
	len = snprintf(line, sizeof line, "views:%s", r->n_views ? "" : " none");
	for (int32_t i = 0; i < r->n_views && len < (int)sizeof line; i++)
		len += snprintf(line + len, sizeof line - (size_t)len, "%s %s (%lld-d)",
				i ? "," : "", r->views[i].name, (long long)r->views[i].dim);
	if (r->n_cols > 0 && len < (int)sizeof line)
		snprintf(line + len, sizeof line - (size_t)len, "; metadata: %lld columns",
			 (long long)r->n_cols);
	put_cut(fp, "", line);
}

/* A part of a cause on one line: size, rate, excess, who found it, and its
 * description. */
static void part_line(const fl_report *r, const fl_candidate *c, FILE *fp)
{
	const fl_slice_stats *st = fl_report__shown(c);
	char rate[16], excess[16], line[512];
	int len;

	pct(rate, sizeof rate, st->failure_rate, r->binary);
	fl_report__fmt_excess(excess, sizeof excess, c->excess, r->binary);
	len = snprintf(line, sizeof line, "part: %lld rows, %s, excess %s: %s%s%s", (long long)st->size,
		       rate, excess, c->method,
		       c->view[0] ? "/" : "", c->view);
	if (len > 0 && len < (int)sizeof line && (c->description || fl_report__explanation_fits(c)))
		snprintf(line + len, sizeof line - (size_t)len, ": %s",
			 c->description ? c->description : c->explanation);
	put_cut(fp, "       ", line);
}

static int slice_lines(const fl_report *r, int32_t i, FILE *fp)
{
	const fl_candidate *c = &r->slices[i];
	const fl_slice_stats *st = fl_report__shown(c);
	char rate[16], lo[16], hi[16], out[16], ci[40], id[16], found[100], line[512], excess[16], lift[16];
	fl_confusion conf[2];
	int32_t nc;
	int binary = r->binary;

	pct(rate, sizeof rate, st->failure_rate, binary);
	pct(out, sizeof out, st->failure_rate_outside, binary);
	fl_report__fmt_rate(lo, sizeof lo, st->ci_low, binary, FL_FIG_BOUND);
	fl_report__fmt_rate(hi, sizeof hi, st->ci_high, binary, FL_FIG_BOUND);
	snprintf(ci, sizeof ci, "[%s, %s]", lo, hi);
	snprintf(id, sizeof id, "S%d", (int)i + 1);
	if (fl_report__agreeing(c))
		snprintf(found, sizeof found, "%s%s%s +%d", c->method, c->view[0] ? "/" : "", c->view,
			 (int)fl_report__agreeing(c));
	else
		snprintf(found, sizeof found, "%s%s%s", c->method, c->view[0] ? "/" : "", c->view);
	fl_report__fmt_excess(excess, sizeof excess, c->excess, binary);
	if (isfinite(st->lift))
		snprintf(lift, sizeof lift, "%.2f", st->lift);
	else
		snprintf(lift, sizeof lift, "-");
	fl__inert(line, 41, found);
	fprintf(fp, "%-4s %7lld %7s %-14s %7s %6s %7s  %s\n", id, (long long)st->size,
		rate, ci, out, lift, excess, line);
	if (c->description)
		put_cut(fp, "     ", c->description);
	if (c->explanation) {
		snprintf(line, sizeof line, "metadata: %s%s (precision %.0f%%, recall %.0f%%)",
			 fl_report__explanation_fits(c) ? "" : "no rule fits; the closest: ",
			 c->explanation, 100 * c->explanation_precision, 100 * c->explanation_recall);
		put_cut(fp, "     ", line);
	}
	if (c->n_phrases) {
		int len = snprintf(line, sizeof line, "phrases:");

		for (int32_t k = 0; k < c->n_phrases && len < (int)sizeof line; k++)
			len += snprintf(line + len, sizeof line - (size_t)len, "%s \"%s\"", k ? "," : "",
					r->phrases[c->phrase_idx[k]]);
		put_cut(fp, "     ", line);
	}
	if (fl_report__agreeing(c)) { /* each (method, view) once */
		int len = snprintf(line, sizeof line, "also found by:"), listed = 0;

		for (int32_t k = 0; k < c->n_also && len < (int)sizeof line; k++)
			if (!fl_report__source_repeats(c, k))
				len += snprintf(line + len, sizeof line - (size_t)len, "%s %s%s%s",
						listed++ ? "," : "", c->also[k].method,
						c->also[k].view[0] ? "/" : "", c->also[k].view);
		put_cut(fp, "     ", line);
	}
	if (c->has_holdout) {
		char sr[16], hr[16], ho[16], hp[16];

		fl_report__rate(sr, sizeof sr, c->stats.failure_rate, binary);
		fl_report__rate(hr, sizeof hr, c->holdout.failure_rate, binary);
		fl_report__rate(ho, sizeof ho, c->holdout.failure_rate_outside, binary);
		/* Fisher's p underflows to 0 below about 1e-308 */
		snprintf(hp, sizeof hp, c->p_adjusted > 0 ? "%.2g" : "<1e-300", c->p_adjusted);
		snprintf(line, sizeof line, "search %lld rows %s; holdout %lld rows, %s vs %s%s, "
			 "adjusted p %s: %s", (long long)c->stats.size, sr, (long long)c->holdout.size,
			 hr, ho, c->round > 1 ? " outside it and the causes above" : " outside", hp,
			 c->replicated ? "replicated" : "NOT replicated");
		put_cut(fp, "     ", line);
	}
	if (c->has_pair_counts) {
		snprintf(line, sizeof line, "both right %lld, only base right %lld, only candidate "
			 "right %lld, both wrong %lld", (long long)c->pair_counts[0],
			 (long long)c->pair_counts[1], (long long)c->pair_counts[2],
			 (long long)c->pair_counts[3]);
		put_cut(fp, "     ", line);
	}
	if ((nc = fl_report_confusions(r, i, conf, 2)) < 0)
		return nc;
	if ((nc = fl_report__readable(conf, nc)) > 0) {
		char b1[24], b2[24], b3[24], b4[24];
		int len = snprintf(line, sizeof line, "confusions: %s -> %s %.0f%%",
				   fl_report__class_name(r, conf[0].label, b1, sizeof b1),
				   fl_report__class_name(r, conf[0].pred, b2, sizeof b2),
				   100.0 * conf[0].share);

		if (nc > 1 && len > 0 && len < (int)sizeof line)
			snprintf(line + len, sizeof line - (size_t)len, ", %s -> %s %.0f%%",
				 fl_report__class_name(r, conf[1].label, b3, sizeof b3),
				 fl_report__class_name(r, conf[1].pred, b4, sizeof b4),
				 100.0 * conf[1].share);
		put_cut(fp, "     ", line);
	}
	if (r->id_col >= 0 && c->n_members > 0) {
		int len = snprintf(line, sizeof line, "typical:");

		for (int64_t k = 0; k < c->n_members && k < 4 && len < (int)sizeof line; k++)
			len += snprintf(line + len, sizeof line - (size_t)len, "%s %s", k ? "," : "",
					fl_report__row_id(r, c->members[k]));
		put_cut(fp, "     ", line);
	}
	for (int32_t k = 0; k < c->n_parts; k++)
		part_line(r, &c->parts[k], fp);
	return FL_OK;
}

int fl_report_write_text(const fl_report *r, FILE *fp)
{
	int rc = FL_OK;

	header(r, fp);
	fputc('\n', fp);
	if (r->n_slices == 0) {
		fputs("no slice fails more than the rest of the data.\n", fp);
	} else {
		fprintf(fp, "%-4s %7s %7s %-14s %7s %6s %7s  %s\n", "id", "size", "fail", "95% CI",
			"outside", "lift", "excess", "found by");
		for (int32_t i = 0; i < r->n_slices && rc == FL_OK; i++)
			rc = slice_lines(r, i, fp);
	}
	if (rc)
		return rc;
	if (fflush(fp) != 0 || ferror(fp))
		return fl__error(FL_EIO, "write failed");
	return FL_OK;
}
