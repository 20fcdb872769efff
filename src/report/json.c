/*
 * The JSON report (schema: docs/report-json.md). Numbers are written with
 * enough digits to round-trip (%.17g for double, %.9g for float), with a
 * '.' decimal point whatever the process locale, and NaN/Inf as null.
 * The file is written beside its destination and renamed into place, so a
 * failure never leaves a partial report or clobbers an old one.
 */
#include "report_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct jw {
	FILE *fp;
	int rc; /* FL_ENOMEM when a part could not be computed */
	fl_digest *dg;
} jw;

static void fp_put(void *ctx, const char *text, size_t len)
{
	fwrite(text, 1, len, ctx);
}

/* Valid for strict parsers whatever the bytes of the data (fl__json_str). */
static void put_str(jw *w, const char *s)
{
	fl__json_str(s, fp_put, w->fp);
}

/* A locale may print "0,5": numbers never contain ',' otherwise. */
static void put_num(jw *w, double x, int digits)
{
	char buf[40];

	if (!isfinite(x)) {
		fputs("null", w->fp);
		return;
	}
	snprintf(buf, sizeof buf, "%.*g", digits, x);
	for (char *p = buf; *p; p++)
		if (*p == ',')
			*p = '.';
	fputs(buf, w->fp);
}

static void put_double(jw *w, double x)
{
	put_num(w, x, 17);
}

static void put_float(jw *w, float x)
{
	put_num(w, x, 9);
}

static void put_key(jw *w, const char *key)
{
	put_str(w, key);
	fputc(':', w->fp);
}

static void put_int(jw *w, int64_t v)
{
	fprintf(w->fp, "%lld", (long long)v);
}

static const char *coltype_name(fl_coltype t)
{
	return t == FL_COL_NUMERIC ? "numeric" : t == FL_COL_BOOLEAN ? "boolean" : "categorical";
}

static void write_dataset(jw *w, const fl_report *r)
{
	FILE *fp = w->fp;

	fputs("\"dataset\":{", fp);
	put_key(w, "n");
	put_int(w, r->n);
	fputs(",\"failure\":{", fp);
	put_key(w, "signal");
	put_str(w, r->failure_name);
	fputs(",\"binary\":", fp);
	fputs(r->binary ? "true" : "false", fp);
	fputs(",\"mean\":", fp);
	put_double(w, r->overall);
	fputs("},\"failure_rate\":", fp);
	put_double(w, r->overall);
	if (r->n_classes > 0) {
		fputs(",\"n_classes\":", fp);
		put_int(w, r->n_classes);
	}
	if (r->has_pairs)
		fprintf(fp, ",\"comparison\":{\"both_right\":%lld,\"only_base_right\":%lld,"
			"\"only_candidate_right\":%lld,\"both_wrong\":%lld}", (long long)r->pairs[0],
			(long long)r->pairs[1], (long long)r->pairs[2], (long long)r->pairs[3]);
	fputs(",\"holdout\":", fp);
	if (r->n_holdout) {
		fputs("{\"rows\":", fp);
		put_int(w, r->n_holdout);
		fputs(",\"fdr\":", fp);
		put_double(w, r->confirm_q);
		fputc('}', fp);
	} else {
		fputs("null", fp);
	}
	fputs(",\"views\":[", fp);
	for (int32_t i = 0; i < r->n_views; i++) {
		fputs(i ? ",{" : "{", fp);
		put_key(w, "name");
		put_str(w, r->views[i].name);
		fputs(",\"dim\":", fp);
		put_int(w, r->views[i].dim);
		fputs(",\"source\":", fp);
		put_str(w, r->views[i].source);
		if (r->views[i].fingerprint) {
			fputs(",\"fingerprint\":", fp);
			fputs(r->views[i].fingerprint, fp);
		}
		fputc('}', fp);
	}
	fputs("],\"columns\":", fp);
	if (!r->table && r->saved.columns_json) { /* read back from JSON */
		fputs(r->saved.columns_json, fp);
		fputc('}', fp);
		return;
	}
	fputc('[', fp);
	for (int64_t j = 0; r->table && j < fl_table_cols(r->table); j++) {
		fputs(j ? ",{" : "{", fp);
		put_key(w, "name");
		put_str(w, fl_table_col_name(r->table, j));
		fputs(",\"type\":", fp);
		put_str(w, j == r->id_col ? "id" : coltype_name(fl_table_col_type(r->table, j)));
		fputs(",\"missing\":", fp);
		put_int(w, fl_table_missing(r->table, j));
		fputc('}', fp);
	}
	fputs("]}", fp);
}

/* "label":L,"label_name":...,"predicted":P,"predicted_name":... */
static void put_classes(jw *w, const fl_report *r, int64_t label, int64_t pred)
{
	char buf[24];

	put_key(w, "label");
	put_int(w, label);
	fputs(",\"label_name\":", w->fp);
	put_str(w, fl_report__class_name(r, label, buf, sizeof buf));
	fputs(",\"predicted\":", w->fp);
	put_int(w, pred);
	fputs(",\"predicted_name\":", w->fp);
	put_str(w, fl_report__class_name(r, pred, buf, sizeof buf));
}

/* "confusions" (failing cells) or "breakdown" (every cell) of slice i */
static void write_cells(jw *w, const fl_report *r, int32_t i, int failing)
{
	fl_confusion conf[FL_REPORT_BREAKDOWN];
	int32_t nc = failing ? fl_report_confusions(r, i, conf, FL_REPORT_CONFUSIONS)
			     : fl_report_breakdown(r, i, conf, FL_REPORT_BREAKDOWN);

	if (nc < 0) {
		w->rc = nc;
		nc = 0;
	}
	fputs(failing ? ",\"confusions\":[" : ",\"breakdown\":[", w->fp);
	for (int32_t k = 0; k < nc; k++) {
		fputs(k ? ",{" : "{", w->fp);
		put_classes(w, r, conf[k].label, conf[k].pred);
		fputs(",\"count\":", w->fp);
		put_int(w, conf[k].count);
		fputs(",\"share\":", w->fp);
		put_double(w, conf[k].share);
		fputc('}', w->fp);
	}
	fputc(']', w->fp);
}

/* Open the array `key` of n items (n < 0: an error, recorded); 0 when
 * there is none to write. */
static int open_array(jw *w, int32_t n, const char *key)
{
	if (n < 0)
		w->rc = n;
	if (n > 0)
		fprintf(w->fp, ",\"%s\":[", key);
	return n > 0;
}

/* The distributions of the columns slice i's description names. */
static void write_dists(jw *w, int32_t i)
{
	fl_dist d[FL_DIST_COLUMNS];
	int32_t n = fl_report__dists(w->dg, i, d);

	if (!open_array(w, n, "distributions"))
		return;
	for (int32_t k = 0; k < n; k++) {
		fputs(k ? ",{\"column\":" : "{\"column\":", w->fp);
		put_str(w, d[k].column);
		for (int part = 0; part < 3; part++) {
			fputs(part == 0 ? ",\"bins\":[" : part == 1 ? ",\"inside\":[" : ",\"outside\":[",
			      w->fp);
			for (int32_t b = 0; b < d[k].n_bins; b++) {
				if (b)
					fputc(',', w->fp);
				if (part == 0)
					put_str(w, d[k].bin[b]);
				else
					put_int(w, part == 1 ? d[k].inside[b] : d[k].outside[b]);
			}
			fputc(']', w->fp);
		}
		fputc('}', w->fp);
	}
	fputc(']', w->fp);
}

/* Slice i's typical members and the right rows shown beside them. */
static void write_examples(jw *w, const fl_report *r, int32_t i)
{
	fl_example ex[FL_REPORT_EXAMPLES];
	int32_t n = fl_report__examples(w->dg, i, ex);

	if (!open_array(w, n, "examples"))
		return;
	for (int32_t k = 0; k < n; k++) {
		fputs(k ? ",{\"row\":" : "{\"row\":", w->fp);
		put_int(w, ex[k].row);
		fputs(",\"id\":", w->fp);
		put_str(w, ex[k].id);
		if (ex[k].label >= 0) {
			fputc(',', w->fp);
			put_classes(w, r, ex[k].label, ex[k].pred);
		}
		fputs(ex[k].typical ? ",\"typical\":true}" : ",\"typical\":false}", w->fp);
	}
	fputc(']', w->fp);
}

/* One entry of found_by; jaccard is the overlap with the slice's members. */
static void put_source(jw *w, const char *method, const char *view, int32_t component,
		       double jaccard, double score)
{
	fputs("{\"method\":", w->fp);
	put_str(w, method);
	fputs(",\"view\":", w->fp);
	if (view[0])
		put_str(w, view);
	else
		fputs("null", w->fp); /* metadata methods see no view */
	fputs(",\"component\":", w->fp);
	put_int(w, component);
	fputs(",\"jaccard\":", w->fp);
	put_double(w, jaccard);
	fputs(",\"score\":", w->fp);
	put_double(w, score);
	fputc('}', w->fp);
}

/* The distinct views among a slice's sources ("meta" for metadata methods). */
static void put_views(jw *w, const fl_candidate *c)
{
	int32_t listed = 0;

	for (int32_t k = -1; k < c->n_also; k++) {
		const char *v = k < 0 ? c->view : c->also[k].view;
		int seen = 0;

		v = v[0] ? v : "meta";
		for (int32_t j = -1; j < k && !seen; j++) {
			const char *u = j < 0 ? c->view : c->also[j].view;

			seen = !strcmp(u[0] ? u : "meta", v);
		}
		if (!seen) {
			if (listed++)
				fputc(',', w->fp);
			put_str(w, v);
		}
	}
}

/* size, failure_rate, failure_rate_outside, lift, ci95, p_value */
static void put_stats(jw *w, const fl_slice_stats *st)
{
	fputs("\"size\":", w->fp);
	put_int(w, st->size);
	fputs(",\"failure_rate\":", w->fp);
	put_double(w, st->failure_rate);
	fputs(",\"failure_rate_outside\":", w->fp);
	put_double(w, st->failure_rate_outside);
	fputs(",\"lift\":", w->fp);
	put_double(w, st->lift);
	fputs(",\"ci95\":[", w->fp);
	put_double(w, st->ci_low);
	fputc(',', w->fp);
	put_double(w, st->ci_high);
	fputs("],\"p_value\":", w->fp);
	put_double(w, st->p_value);
}

/* Members on every row: the discovery rows first (most typical first),
 * then the holdout rows (in row order), each with its half (0: search,
 * 1: holdout) and score (a holdout row takes the last discovery score). */
static void write_members(jw *w, const fl_candidate *c, int64_t max_members)
{
	int64_t all = c->n_members + c->n_holdout_members;
	int64_t m = max_members > 0 && max_members < all ? max_members : all;
	float last = c->n_members && c->member_scores ? c->member_scores[c->n_members - 1] : 0;
	FILE *fp = w->fp;

	fputs(",\"n_members_listed\":", fp);
	put_int(w, m);
	fputs(",\"members\":[", fp);
	for (int64_t k = 0; k < m; k++) {
		if (k)
			fputc(',', fp);
		put_int(w, k < c->n_members ? c->members[k] : c->holdout_members[k - c->n_members]);
	}
	fputs("],\"member_half\":[", fp);
	for (int64_t k = 0; k < m; k++)
		fputs(k == 0 ? (k < c->n_members ? "0" : "1") : k < c->n_members ? ",0" : ",1", fp);
	fputs("],\"member_scores\":[", fp);
	for (int64_t k = 0; k < m; k++) {
		if (k)
			fputc(',', fp);
		put_float(w, k < c->n_members && c->member_scores ? c->member_scores[k] : last);
	}
	fputc(']', fp);
}

/* A cause (i >= 0: the report's slice i, with its cells, prototypes and
 * parts) or one of its parts (i < 0), named `id`. */
static void write_slice(jw *w, const fl_report *r, const fl_candidate *c, int32_t i,
			const char *id, int64_t max_members)
{
	FILE *fp = w->fp;

	fputs("{\"id\":", fp);
	put_str(w, id);
	if (i >= 0)
		fprintf(fp, ",\"rank\":%d", (int)i + 1);
	fputc(',', fp);
	put_stats(w, fl_report__shown(c));
	fputs(",\"excess_failures\":", fp);
	put_double(w, c->excess);
	fputs(",\"score\":", fp);
	put_double(w, c->score);
	fputs(",\"round\":", fp);
	put_int(w, c->round);
	fputs(",\"search\":{", fp);
	put_stats(w, &c->stats);
	fputc('}', fp);
	fputs(",\"found_by\":[", fp);
	put_source(w, c->method, c->view, c->component, 1.0, c->score);
	for (int32_t k = 0; k < c->n_also; k++) {
		fputc(',', fp);
		put_source(w, c->also[k].method, c->also[k].view, c->also[k].component,
			   c->also[k].jaccard, c->also[k].score);
	}
	fputs("],\"views\":[", fp);
	put_views(w, c);
	fputs("],\"agreement\":", fp);
	put_int(w, fl_report__agreeing(c));
	if (c->description) {
		fputs(",\"description\":", fp);
		put_str(w, c->description);
	}
	if (c->spec_json) {
		fputs(",\"spec\":", fp);
		fputs(c->spec_json, fp);
	}
	if (c->explanation) {
		fputs(",\"explanation\":{\"predicates\":", fp);
		put_str(w, c->explanation);
		fputs(",\"precision\":", fp);
		put_double(w, c->explanation_precision);
		fputs(",\"recall\":", fp);
		put_double(w, c->explanation_recall);
		fputs(fl_report__explanation_fits(c) ? ",\"fits\":true}" : ",\"fits\":false}", fp);
	}
	if (c->n_phrases) {
		fputs(",\"phrases\":[", fp);
		for (int32_t k = 0; k < c->n_phrases; k++) {
			fputs(k ? ",{\"text\":" : "{\"text\":", fp);
			put_str(w, r->phrases[c->phrase_idx[k]]);
			fputs(",\"score\":", fp);
			put_double(w, c->phrase_score[k]);
			fputc('}', fp);
		}
		fputc(']', fp);
	}
	if (c->has_pair_counts) {
		fprintf(fp, ",\"comparison\":{\"both_right\":%lld,\"only_base_right\":%lld,"
			"\"only_candidate_right\":%lld,\"both_wrong\":%lld}",
			(long long)c->pair_counts[0], (long long)c->pair_counts[1],
			(long long)c->pair_counts[2], (long long)c->pair_counts[3]);
	}
	fputs(",\"replicated\":", fp);
	fputs(!c->has_holdout ? "null" : c->replicated ? "true" : "false", fp);
	if (c->has_holdout) {
		fputs(",\"holdout\":{", fp);
		put_stats(w, &c->holdout);
		fputs(",\"p_adjusted\":", fp);
		put_double(w, c->p_adjusted);
		fputc('}', fp);
	}
	if (i >= 0) {
		write_cells(w, r, i, 1);
		write_cells(w, r, i, 0);
	}
	if (i >= 0 && r->id_col >= 0) {
		fputs(",\"prototypes\":[", fp);
		for (int64_t k = 0; k < c->n_members && k < FL_REPORT_PROTOTYPES; k++) {
			if (k)
				fputc(',', fp);
			put_str(w, fl_report__row_id(r, c->members[k]));
		}
		fputc(']', fp);
	}
	if (i >= 0) {
		write_dists(w, i);
		write_examples(w, r, i);
		fputs(",\"parts\":[", fp);
		for (int32_t k = 0; k < c->n_parts; k++) {
			char pid[48];

			snprintf(pid, sizeof pid, "%s.%d", id, (int)k + 1);
			fputs(k ? ",\n  " : "\n  ", fp);
			write_slice(w, r, &c->parts[k], -1, pid, max_members);
		}
		fputc(']', fp);
	}
	write_members(w, c, max_members);
	fputc('}', fp);
}

static void write_report(jw *w, const fl_report *r, int64_t max_members)
{
	FILE *fp = w->fp;

	fprintf(fp, "{\"version\":%d,\"faultline\":", FL_REPORT_SCHEMA_VERSION);
	put_str(w, fl_version());
	fputc(',', fp);
	write_dataset(w, r);
	fputs(",\"parameters\":{", fp);
	for (int32_t i = 0; i < r->n_params; i++) {
		if (i)
			fputc(',', fp);
		put_key(w, r->params[i].key);
		put_str(w, r->params[i].value);
	}
	if (r->n_timings) {
		fputs(r->n_params ? ",\"timings\":{" : "\"timings\":{", fp);
		for (int32_t i = 0; i < r->n_timings; i++) {
			if (i)
				fputc(',', fp);
			put_key(w, r->timings[i].stage);
			fprintf(fp, "%.3f", r->timings[i].seconds);
		}
		fputc('}', fp);
	}
	fputs("},\"slices\":[", fp);
	for (int32_t i = 0; i < r->n_slices; i++) {
		char id[16];

		snprintf(id, sizeof id, "S%d", (int)i + 1);
		fputs(i ? ",\n" : "\n", fp);
		write_slice(w, r, &r->slices[i], i, id, max_members);
	}
	fputs("\n]}\n", fp);
}

int fl_report__write_json_fp(const fl_report *r, FILE *fp, int64_t max_members)
{
	jw w = {NULL, FL_OK, NULL};

	w.fp = fp;
	if ((w.rc = fl_report__digest_new(&w.dg, r)))
		return w.rc;
	write_report(&w, r, max_members);
	fl_report__digest_free(w.dg);
	return w.rc;
}

int fl_report_write_json(const fl_report *r, const char *path, int64_t max_members)
{
	fl_staged st;
	int rc;

	if (strcmp(path, "-") == 0) {
		rc = fl_report__write_json_fp(r, stdout, max_members);
		if (fflush(stdout) != 0 || ferror(stdout))
			return fl__error(FL_EIO, "<stdout>: write failed");
		return rc;
	}
	if ((rc = fl__stage_open(&st, path)))
		return rc;
	if ((rc = fl_report__write_json_fp(r, st.fp, max_members)) || (rc = fl__stage_close(&st)) ||
	    (rc = fl__stage_commit(&st)))
		fl__stage_discard(&st);
	return rc;
}
