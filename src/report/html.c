/*
 * The HTML report: one self-contained page (inline CSS and SVG, no script,
 * nothing fetched) that a person can open anywhere: the run, the overall
 * picture, a chart of every slice's failure rate with its interval, the
 * ranked table, and a card per slice (description, metadata explanation,
 * phrases, held-out numbers, label x prediction breakdown and confusions,
 * overlap with the other slices, prototypes). Every string that comes from
 * the user's data is escaped. Ids that name images become thumbnails, read
 * only from inside one folder (the page's, or fl_report_set_thumbnail_dir):
 * metadata from elsewhere must not pull /home/me/private.png or
 * ../../secret.png into a page that will be shared.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "report_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Text for an HTML element or a double-quoted attribute. */
static void esc(FILE *fp, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '&': fputs("&amp;", fp); break;
		case '"': fputs("&quot;", fp); break;
		case '\'': fputs("&#39;", fp); break;
		default: fputc(*s, fp);
		}
	}
}

/* A rate or mean as the text table prints it (fl_report__fmt_rate). */
static void fig(FILE *fp, const fl_report *r, double x, int flags)
{
	char buf[32];

	fl_report__fmt_rate(buf, sizeof buf, x, r->binary, flags | FL_FIG_UNIT);
	fputs(isfinite(x) ? buf : "&ndash;", fp);
}

static void pct(FILE *fp, const fl_report *r, double x)
{
	fig(fp, r, x, 0);
}

static void excess(FILE *fp, const fl_report *r, double x)
{
	char buf[32];

	fl_report__fmt_excess(buf, sizeof buf, x, r->binary);
	fputs(buf, fp);
}

/* A compared slice's rows by how the two models did on them (`compare`):
 * the four counts, and a bar of their shares */
static void pairs(FILE *fp, const int64_t n[4])
{
	static const char *const what[4] = {"both right", "only base right",
					    "only candidate right", "both wrong"};
	static const char *const colour[4] = {"#bbb", "#c0392b", "#27ae60", "#555"};
	int64_t all = n[0] + n[1] + n[2] + n[3];

	fputs("<p class=\"pairs\">", fp);
	for (int k = 0; k < 4; k++)
		fprintf(fp, "%s<span style=\"color:%s\">&#9632;</span> %s %lld", k ? " &middot; " : "",
			colour[k], what[k], (long long)n[k]);
	fputs("<br><svg width=\"300\" height=\"10\" role=\"img\" aria-label=\"the four counts\">",
	      fp);
	for (int k = 0; k < 4 && all > 0; k++) { /* edges at the rounded running shares */
		int64_t before = 0;
		for (int q = 0; q < k; q++)
			before += n[q];
		int x0 = (int)((double)before * 300.0 / (double)all + 0.5);
		int x1 = (int)((double)(before + n[k]) * 300.0 / (double)all + 0.5);
		fprintf(fp, "<rect x=\"%d\" width=\"%d\" height=\"10\" fill=\"%s\"/>", x0,
			x1 - x0, colour[k]);
	}
	fputs("</svg></p>\n", fp);
}

/* What a slice's rate is called */
#define FAILURE(r) ((r)->binary ? "failure" : "mean failure")

static const char *const style =
	"body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:980px;color:#222}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}table{border-collapse:collapse}"
	"td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}"
	"td.n,th.n{text-align:right}.card{border:1px solid #ccc;border-radius:6px;padding:8px 14px;"
	"margin:14px 0}.yes{color:#186a2b;font-weight:600}.no{color:#a12;font-weight:600}"
	".muted{color:#666}code{background:#f4f4f4;padding:0 3px}";

/* Parameters that name input files: shown with the inputs, not the settings. */
static int is_input(const char *key)
{
	static const char *const keys[] = {"labels", "probs", "logits", "preds", "meta"};

	for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
		if (!strcmp(key, keys[k]))
			return 1;
	return 0;
}

static void header(FILE *fp, const fl_report *r)
{
	int32_t replicated = 0, shown = 0;

	for (int32_t i = 0; i < r->n_slices; i++)
		replicated += r->slices[i].replicated;
	fprintf(fp, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<title>faultline report</title><style>%s</style></head><body>\n", style);
	fprintf(fp, "<h1>faultline report</h1>\n<p class=\"muted\">faultline %s &middot; ",
		fl_version());
	for (int32_t i = 0; i < r->n_params; i++) {
		if (is_input(r->params[i].key))
			continue;
		fputs(shown++ ? ", " : "", fp);
		esc(fp, r->params[i].key);
		fputc('=', fp);
		esc(fp, r->params[i].value);
	}
	fputs("</p>\n<p class=\"muted\">inputs:", fp);
	shown = 0;
	for (int32_t i = 0; i < r->n_params; i++) {
		if (!is_input(r->params[i].key))
			continue;
		fputs(shown++ ? ", " : " ", fp);
		esc(fp, r->params[i].key);
		fputs(" <code>", fp);
		esc(fp, r->params[i].value);
		fputs("</code>", fp);
	}
	for (int32_t v = 0; v < r->n_views; v++) {
		fputs(shown++ ? ", view " : " view ", fp);
		esc(fp, r->views[v].name);
		fputs(" <code>", fp);
		esc(fp, r->views[v].source);
		fputs("</code>", fp);
	}
	if (!strncmp(r->failure_name, "file:", 5)) {
		fputs(shown++ ? ", failure <code>" : " failure <code>", fp);
		esc(fp, r->failure_name + 5);
		fputs("</code>", fp);
	}
	fputs(shown ? "</p>\n<p>" : " &ndash;</p>\n<p>", fp);
	fprintf(fp, "%lld samples; failure signal <code>", (long long)r->n);
	esc(fp, r->failure_name);
	fputs(r->binary ? "</code>, overall rate " : "</code>, overall mean ", fp);
	pct(fp, r, r->overall);
	fputs("; views:", fp);
	for (int32_t v = 0; v < r->n_views; v++) {
		fputs(v ? ", " : " ", fp);
		esc(fp, r->views[v].name);
		fprintf(fp, " (%lld-d)", (long long)r->views[v].dim);
	}
	fprintf(fp, "%s.</p>\n<p><b>%d slices</b>", r->n_views ? "" : " none", (int)r->n_slices);
	if (r->n_holdout)
		fprintf(fp, ", <b>%d replicated</b> on %lld held-out samples (false discovery rate %g)",
			(int)replicated, (long long)r->n_holdout, r->confirm_q);
	fputs(".</p>\n", fp);
}

/* Failure rate of each slice with its 95% interval, against the overall rate. */
static void chart(FILE *fp, const fl_report *r)
{
	const int w = 900, row = 22, left = 60;
	double overall = r->overall, top = overall;
	int h = row * r->n_slices + 30;

	for (int32_t i = 0; i < r->n_slices; i++)
		if (isfinite(fl_report__shown(&r->slices[i])->ci_high) &&
		    fl_report__shown(&r->slices[i])->ci_high > top)
			top = fl_report__shown(&r->slices[i])->ci_high;
	top = top > 0 ? top * 1.05 : 1;
	fprintf(fp, "<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"failure rate per slice\">\n",
		w, h);
#define X(v) (left + (w - left - 20) * ((isfinite(v) ? (v) : 0) / top))
	fprintf(fp, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\" "
		"stroke-dasharray=\"4\"/><text x=\"%.1f\" y=\"%d\" font-size=\"11\">overall</text>\n",
		X(overall), X(overall), h - 16, X(overall) + 3, h - 4);
	for (int32_t i = 0; i < r->n_slices; i++) {
		const fl_candidate *c = &r->slices[i];
		const fl_slice_stats *st = fl_report__shown(c);
		int y = i * row + 12;

		fprintf(fp, "<text x=\"0\" y=\"%d\" font-size=\"12\">S%d</text>"
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#555\"/>"
			"<circle cx=\"%.1f\" cy=\"%d\" r=\"4\" fill=\"%s\"/>\n", y + 4, (int)i + 1,
			X(st->ci_low), y, X(st->ci_high), y, X(st->failure_rate), y,
			!c->has_holdout ? "#36c" : c->replicated ? "#186a2b" : "#a12");
	}
#undef X
	fputs("</svg>\n", fp);
}

/* The 2-D map: a sample of all rows in grey, the top slices' members in colour. */
static void map(FILE *fp, const fl_report *r)
{
	static const char *const colour[] = {"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd"};
	const int w = 900, h = 520, pad = 20, top = 5;
	double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
	int64_t step = r->n > 4000 ? r->n / 4000 : 1;

	for (int64_t i = 0; i < r->n; i++)
		for (int k = 0; k < 2; k++) {
			lo[k] = fmin(lo[k], r->map[2 * i + k]);
			hi[k] = fmax(hi[k], r->map[2 * i + k]);
		}
	for (int k = 0; k < 2; k++)
		if (!(hi[k] > lo[k]))
			hi[k] = lo[k] + 1;
	fputs("<h2>Map of view ", fp);
	esc(fp, r->map_view);
	fputs(" (first two principal components)</h2>\n<p>", fp);
	for (int32_t s = 0; s < r->n_slices && s < top; s++)
		fprintf(fp, "<span style=\"color:%s\">&#9679; S%d</span> ", colour[s], (int)s + 1);
	fprintf(fp, "<span class=\"muted\">&#9679; others (1 in %lld)</span></p>\n"
		"<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"map\">\n", (long long)step, w, h);
#define PX(i) (pad + (w - 2 * pad) * (r->map[2 * (i)] - lo[0]) / (hi[0] - lo[0]))
#define PY(i) (h - pad - (h - 2 * pad) * (r->map[2 * (i) + 1] - lo[1]) / (hi[1] - lo[1]))
	for (int64_t i = 0; i < r->n; i += step)
		fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.5\" fill=\"#bbb\"/>", PX(i), PY(i));
	fputc('\n', fp);
	for (int32_t s = (r->n_slices < top ? r->n_slices : top) - 1; s >= 0; s--) {
		const fl_candidate *c = &r->slices[s];

		for (int64_t k = 0; k < c->n_members + c->n_holdout_members; k++) {
			int64_t i = k < c->n_members ? c->members[k] : c->holdout_members[k - c->n_members];

			fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>", PX(i),
				PY(i), colour[s]);
		}
		fputc('\n', fp);
	}
#undef PX
#undef PY
	fputs("</svg>\n", fp);
}

/* The last cells of a slice's row: replicated, found by, description. */
static void row_end(FILE *fp, const fl_candidate *c)
{
	fprintf(fp, "<td>%s</td><td>", !c->has_holdout ? "&ndash;" : c->replicated ?
		"<span class=\"yes\">yes</span>" : "<span class=\"no\">no</span>");
	esc(fp, c->method);
	fputs(c->view[0] ? "/" : "", fp);
	esc(fp, c->view);
	if (c->n_also)
		fprintf(fp, " +%d", (int)c->n_also);
	fputs("</td><td>", fp);
	esc(fp, c->description ? c->description : fl_report__explanation_fits(c) ? c->explanation :
		c->explanation ? "(no rule fits)" : "");
	fputs("</td></tr>\n", fp);
}

static void table(FILE *fp, const fl_report *r)
{
	fprintf(fp, "<table><tr><th>slice</th><th class=\"n\">size</th><th class=\"n\">search + "
		"held out</th><th class=\"n\">%s</th><th>95%% interval</th><th class=\"n\">lift"
		"</th><th class=\"n\">excess%s</th><th>replicated</th><th>found by</th>"
		"<th>description</th></tr>\n", FAILURE(r), r->binary ? " failures" : "");
	for (int32_t i = 0; i < r->n_slices; i++) {
		const fl_candidate *c = &r->slices[i];
		const fl_slice_stats *st = fl_report__shown(c);

		fprintf(fp, "<tr><td><a href=\"#S%d\">S%d</a></td><td class=\"n\">%lld</td>"
			"<td class=\"n\">%lld + %lld</td><td class=\"n\">", (int)i + 1, (int)i + 1,
			(long long)st->size, (long long)c->n_members, (long long)c->n_holdout_members);
		pct(fp, r, st->failure_rate);
		fputs("</td><td>", fp);
		fig(fp, r, st->ci_low, FL_FIG_BOUND);
		fputs(" &ndash; ", fp);
		fig(fp, r, st->ci_high, FL_FIG_BOUND);
		if (isfinite(st->lift))
			fprintf(fp, "</td><td class=\"n\">%.2f</td><td class=\"n\">", st->lift);
		else
			fputs("</td><td class=\"n\">&ndash;</td><td class=\"n\">", fp);
		excess(fp, r, c->excess);
		fputs("</td>", fp);
		row_end(fp, c);
	}
	fputs("</table>\n", fp);
}

/* The pieces of a cause, folded: one row each. */
static void parts(FILE *fp, const fl_report *r, const fl_candidate *c)
{
	if (!c->n_parts)
		return;
	fprintf(fp, "<details><summary>%d part%s of this cause</summary>\n<table><tr><th class=\"n\">"
		"size</th><th class=\"n\">%s</th><th class=\"n\">excess%s</th>"
		"<th>replicated</th><th>found by</th><th>description</th></tr>\n", (int)c->n_parts,
		c->n_parts == 1 ? "" : "s", FAILURE(r), r->binary ? " failures" : "");
	for (int32_t k = 0; k < c->n_parts; k++) {
		const fl_candidate *p = &c->parts[k];

		fprintf(fp, "<tr><td class=\"n\">%lld</td><td class=\"n\">",
			(long long)fl_report__shown(p)->size);
		pct(fp, r, fl_report__shown(p)->failure_rate);
		fputs("</td><td class=\"n\">", fp);
		excess(fp, r, p->excess);
		fputs("</td>", fp);
		row_end(fp, p);
	}
	fputs("</table></details>\n", fp);
}

/* Which slices list each row: the slices of row m are slice[start[m] ..
 * start[m + 1]), once per listing. With it the overlaps of a slice cost
 * what its rows are shared, not a pass over every other slice (that was
 * quadratic in the slice count: docs/performance.md). */
typedef struct row_index {
	int64_t *start;  /* n + 1 */
	int32_t *slice;  /* every member of every slice */
	int64_t *inter;  /* per slice: rows shared with the current one */
	int32_t *touched; /* the slices with inter > 0 */
	uint8_t *mark;   /* per row: a member of the current slice */
} row_index;

static void row_index_free(row_index *x)
{
	free(x->start);
	free(x->slice);
	free(x->inter);
	free(x->touched);
	free(x->mark);
}

static int row_index_build(row_index *x, const fl_report *r)
{
	int64_t total = 0;

	memset(x, 0, sizeof *x);
	for (int32_t j = 0; j < r->n_slices; j++)
		total += r->slices[j].n_members;
	if (!(x->start = fl__calloc((size_t)r->n + 1, sizeof *x->start, "slice overlaps")) ||
	    !(x->slice = fl__calloc((size_t)total + 1, sizeof *x->slice, "slice overlaps")) ||
	    !(x->inter = fl__calloc((size_t)r->n_slices + 1, sizeof *x->inter, "slice overlaps")) ||
	    !(x->touched = fl__calloc((size_t)r->n_slices + 1, sizeof *x->touched,
				      "slice overlaps")) ||
	    !(x->mark = fl__calloc((size_t)r->n + 1, 1, "slice marks"))) {
		row_index_free(x);
		return FL_ENOMEM;
	}
	for (int32_t j = 0; j < r->n_slices; j++) /* counts, then where each row's list ends */
		for (int64_t k = 0; k < r->slices[j].n_members; k++)
			x->start[r->slices[j].members[k]]++;
	for (int64_t m = 1; m < r->n; m++)
		x->start[m] += x->start[m - 1];
	x->start[r->n] = total;
	for (int32_t j = r->n_slices - 1; j >= 0; j--) /* filled from the back: ascending j */
		for (int64_t k = 0; k < r->slices[j].n_members; k++)
			x->slice[--x->start[r->slices[j].members[k]]] = j;
	return FL_OK;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

static double jaccard(const fl_candidate *a, const fl_candidate *b, int64_t inter)
{
	return (double)inter / (double)(a->n_members + b->n_members - inter);
}

/* Jaccard overlap of slice i with each other slice, where it is at least 5%. */
static void overlaps(FILE *fp, const fl_report *r, int32_t i, row_index *x)
{
	const fl_candidate *c = &r->slices[i];
	int32_t nt = 0, kept = 0;

	for (int64_t k = 0; k < c->n_members; k++) {
		int64_t m = c->members[k];

		if (x->mark[m])
			continue;
		x->mark[m] = 1;
		for (int64_t e = x->start[m], end = x->start[m + 1]; e < end; e++) {
			int32_t j = x->slice[e];

			if (x->inter[j]++ == 0)
				x->touched[nt++] = j;
		}
	}
	for (int32_t t = 0; t < nt; t++) { /* kept: those shown, then in slice order */
		int32_t j = x->touched[t];
		int64_t inter = x->inter[j];

		if (j != i && jaccard(c, &r->slices[j], inter) >= 0.05)
			x->touched[kept++] = j;
		else
			x->inter[j] = 0;
	}
	qsort(x->touched, (size_t)kept, sizeof *x->touched, cmp_i32);
	for (int32_t t = 0; t < kept; t++) {
		int32_t j = x->touched[t];

		fprintf(fp, "%s<a href=\"#S%d\">S%d</a> %.2f", t ? ", " : "<p>overlaps (Jaccard): ",
			(int)j + 1, (int)j + 1, jaccard(c, &r->slices[j], x->inter[j]));
		x->inter[j] = 0;
	}
	if (kept)
		fputs("</p>\n", fp);
	for (int64_t k = 0; k < c->n_members; k++)
		x->mark[c->members[k]] = 0;
}

#define THUMB_MAX_BYTES (256 * 1024)

/* The real path of an id under the folder base (real path `root`) in *out
 * (the caller's), or NULL when the id is absolute, has a ".." component,
 * does not exist, or leads (through a symbolic link) out of the folder.
 * Returns 0 or FL_ENOMEM. */
static int inside(char **out, const char *base, const char *root, const char *id)
{
	fl_strbuf b = {0};
	char *path, *real;
	size_t len = strlen(root);

	*out = NULL;
	if (id[0] == '/')
		return 0;
	for (const char *p = id; *p; p += strcspn(p, "/"), p += *p == '/')
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
			return 0;
	fl__sb_printf(&b, "%s/%s", base, id);
	if (!(path = fl__sb_finish(&b, "thumbnail path")))
		return FL_ENOMEM;
	real = realpath(path, NULL);
	free(path);
	if (real && (strncmp(real, root, len) != 0 ||
		     (real[len] != '/' && !(len == 1 && root[0] == '/')))) {
		free(real);
		real = NULL;
	}
	*out = real;
	return 0;
}

/* An image file as a data URI, when the id names one: only regular files
 * inside the folder (root its real path, see inside()) that exist, are at
 * most THUMB_MAX_BYTES and start like a PNG, JPEG or GIF are embedded;
 * anything else is left out. Returns 1 when written, 0 when not,
 * FL_ENOMEM. */
static int thumbnail(FILE *fp, const char *base, const char *root, const char *id)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char *buf;
	const char *mime;
	struct stat st;
	FILE *in;
	size_t len;
	char *path = NULL;
	int rc;

	if (!id || !*id || !root)
		return 0;
	if ((rc = inside(&path, base, root, id)) || !path)
		return rc;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 8 ||
	    st.st_size > THUMB_MAX_BYTES || !(in = fopen(path, "rb"))) {
		free(path);
		return 0;
	}
	free(path);
	if (!(buf = malloc((size_t)st.st_size))) {
		fclose(in);
		return fl__error(FL_ENOMEM, "out of memory reading the thumbnail %s", id);
	}
	len = fread(buf, 1, (size_t)st.st_size, in);
	fclose(in);
	if (len != (size_t)st.st_size) {
		free(buf);
		return 0;
	}
	mime = !memcmp(buf, "\x89PNG\r\n\x1a\n", 8) ? "image/png" :
	       !memcmp(buf, "\xff\xd8\xff", 3) ? "image/jpeg" :
	       !memcmp(buf, "GIF8", 4) ? "image/gif" : NULL;
	if (mime) {
		fprintf(fp, "<img width=\"64\" alt=\"\" src=\"data:%s;base64,", mime);
		for (size_t k = 0; k < len; k += 3) {
			unsigned v = (unsigned)buf[k] << 16 | (k + 1 < len ? (unsigned)buf[k + 1] << 8 : 0) |
				     (k + 2 < len ? buf[k + 2] : 0);

			fputc(b64[v >> 18 & 63], fp);
			fputc(b64[v >> 12 & 63], fp);
			fputc(k + 1 < len ? b64[v >> 6 & 63] : '=', fp);
			fputc(k + 2 < len ? b64[v & 63] : '=', fp);
		}
		fputs("\"> ", fp);
	}
	free(buf);
	return mime != NULL;
}

/* Where thumbnails come from: the folder and its real path (NULL when it
 * does not exist: no thumbnails). */
typedef struct thumbs {
	const char *base;
	char *root;
} thumbs;

static int card(FILE *fp, const fl_report *r, int32_t i, row_index *x, const thumbs *th)
{
	const fl_candidate *c = &r->slices[i];
	fl_confusion conf[FL_REPORT_CONFUSIONS], cells[FL_REPORT_BREAKDOWN];
	int32_t nc = fl_report_confusions(r, i, conf, FL_REPORT_CONFUSIONS);
	int32_t nb = fl_report_breakdown(r, i, cells, FL_REPORT_BREAKDOWN);
	char b1[24], b2[24];

	if (nc < 0 || nb < 0)
		return FL_ENOMEM;
	fprintf(fp, "<div class=\"card\" id=\"S%d\"><h2>S%d &middot; %lld samples, %s ",
		(int)i + 1, (int)i + 1, (long long)fl_report__shown(c)->size, FAILURE(r));
	pct(fp, r, fl_report__shown(c)->failure_rate);
	fputs(" vs ", fp);
	pct(fp, r, fl_report__shown(c)->failure_rate_outside);
	fputs(r->binary ? " outside: " : " outside: excess ", fp);
	excess(fp, r, c->excess);
	fputs(r->binary ? " failures beyond the rate outside</h2>\n"
			: " (the sum beyond the mean outside)</h2>\n", fp);
	fprintf(fp, "<p>search half: %lld samples, %s ", (long long)c->stats.size, FAILURE(r));
	pct(fp, r, c->stats.failure_rate);
	fputs("</p>\n", fp);
	if (c->description) {
		fputs("<p><b>", fp);
		esc(fp, c->description);
		fputs("</b></p>\n", fp);
	}
	if (c->explanation) {
		fputs(fl_report__explanation_fits(c) ? "<p>metadata: <code>" :
		      "<p>metadata: no rule fits; the closest: <code>", fp);
		esc(fp, c->explanation);
		fprintf(fp, "</code> (precision %.0f%%, recall %.0f%%)</p>\n",
			100 * c->explanation_precision, 100 * c->explanation_recall);
	}
	for (int32_t k = 0; k < c->n_phrases; k++) {
		fputs(k ? ", &ldquo;" : "<p>phrases: &ldquo;", fp);
		esc(fp, r->phrases[c->phrase_idx[k]]);
		fputs("&rdquo;", fp);
	}
	if (c->n_phrases)
		fputs("</p>\n", fp);
	if (c->has_holdout) {
		fprintf(fp, "<p>held out: %lld samples, %s ", (long long)c->holdout.size, FAILURE(r));
		pct(fp, r, c->holdout.failure_rate);
		fputs(" vs ", fp);
		pct(fp, r, c->holdout.failure_rate_outside);
		fprintf(fp, " outside%s, adjusted p = %.2g: %s</p>\n",
			c->round > 1 ? " it and the causes above" : "", c->p_adjusted,
			c->replicated ? "<span class=\"yes\">replicated</span>" :
					"<span class=\"no\">not replicated</span>");
	}
	if (c->has_pair_counts)
		pairs(fp, c->pair_counts);
	fputs("<p>found by: ", fp);
	esc(fp, c->method);
	fputs(c->view[0] ? "/" : "", fp);
	esc(fp, c->view);
	for (int32_t k = 0; k < c->n_also; k++) {
		fputs(", ", fp);
		esc(fp, c->also[k].method);
		fputs(c->also[k].view[0] ? "/" : "", fp);
		esc(fp, c->also[k].view);
	}
	fputs("</p>\n", fp);
	if (nb > 0) { /* the label x prediction breakdown, errors in red */
		fputs("<table><tr><th>label</th><th>predicted</th><th class=\"n\">members</th>"
		      "<th class=\"n\">share of the slice</th></tr>\n", fp);
		for (int32_t k = 0; k < nb; k++) {
			fputs(cells[k].label != cells[k].pred ? "<tr class=\"no\"><td>" : "<tr><td>", fp);
			esc(fp, fl_report__class_name(r, cells[k].label, b1, sizeof b1));
			fputs("</td><td>", fp);
			esc(fp, fl_report__class_name(r, cells[k].pred, b2, sizeof b2));
			fprintf(fp, "</td><td class=\"n\">%lld</td><td class=\"n\">%.0f%%</td></tr>\n",
				(long long)cells[k].count, 100 * cells[k].share);
		}
		fputs("</table>\n", fp);
	}
	for (int32_t k = 0; k < nc; k++) {
		fputs(k ? ", " : "<p>failures: ", fp);
		esc(fp, fl_report__class_name(r, conf[k].label, b1, sizeof b1));
		fputs(" &rarr; ", fp);
		esc(fp, fl_report__class_name(r, conf[k].pred, b2, sizeof b2));
		fprintf(fp, " %.0f%%", 100 * conf[k].share);
	}
	if (nc > 0)
		fputs(" of the slice's failures</p>\n", fp);
	overlaps(fp, r, i, x);
	if (r->id_col >= 0 && c->n_members) {
		/* ids that look like file paths may be images: thumbnails first */
		if (strpbrk(fl_report__row_id(r, c->members[0]), "./")) {
			fputs("<p>", fp);
			for (int64_t k = 0; k < c->n_members && k < FL_REPORT_PROTOTYPES; k++)
				if (thumbnail(fp, th->base, th->root,
					      fl_report__row_id(r, c->members[k])) < 0)
					return FL_ENOMEM;
			fputs("</p>\n", fp);
		}
		fputs("<p>typical members: ", fp);
		for (int64_t k = 0; k < c->n_members && k < FL_REPORT_PROTOTYPES; k++) {
			fputs(k ? ", <code>" : "<code>", fp);
			esc(fp, fl_report__row_id(r, c->members[k]));
			fputs("</code>", fp);
		}
		fputs("</p>\n", fp);
	}
	parts(fp, r, c);
	fputs("</div>\n", fp);
	return FL_OK;
}

int fl_report__write_html_fp(const fl_report *r, FILE *fp, const char *page)
{
	const char *slash = page ? strrchr(page, '/') : NULL;
	thumbs th = {r->thumb_dir, NULL};
	fl_strbuf b = {0};
	row_index x;
	int rc;

	if ((rc = row_index_build(&x, r)))
		return rc;
	if (!th.base && !slash) { /* the page's folder */
		th.base = ".";
	} else if (!th.base) {
		fl__sb_printf(&b, "%.*s", (int)(slash == page ? 1 : slash - page), page);
		if (!(th.base = fl__sb_finish(&b, "thumbnail folder"))) {
			row_index_free(&x);
			return FL_ENOMEM;
		}
	}
	if (r->id_col >= 0)
		th.root = realpath(th.base, NULL);
	header(fp, r);
	if (r->n_slices) {
		fputs("<h2>Failure rate of each slice (95% interval)</h2>\n", fp);
		chart(fp, r);
		fputs("<h2>Slices</h2>\n", fp);
		table(fp, r);
		if (r->map)
			map(fp, r);
	}
	for (int32_t i = 0; i < r->n_slices && rc == FL_OK; i++)
		rc = card(fp, r, i, &x, &th);
	fputs("</body></html>\n", fp);
	row_index_free(&x);
	free(th.root);
	free(b.s);
	return rc;
}

int fl_report_write_html(const fl_report *r, const char *path)
{
	fl_staged st;
	int rc;

	if ((rc = fl__stage_open(&st, path)))
		return rc;
	if ((rc = fl_report__write_html_fp(r, st.fp, path)) || (rc = fl__stage_close(&st)) ||
	    (rc = fl__stage_commit(&st)))
		fl__stage_discard(&st);
	return rc;
}
