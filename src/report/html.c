/*
 * The HTML pages: one self-contained file each (inline CSS and SVG, no
 * script, nothing fetched) that a person can open anywhere and read
 * without us. A report's page: the run, an index of what follows, a chart
 * of every slice's rate with its interval, the ranked table, the map, and a
 * card per slice (description; the distributions of the columns it names,
 * inside vs outside; held-out numbers; label x prediction breakdown and
 * confusions; overlap with the other slices; typical members with their
 * label and prediction beside rows of the same classes the model got right,
 * as thumbnails when the ids name images). A comparison's page: the two
 * models by name and their four counts overall, then the same parts for
 * where the candidate is worse and where it is better. Every string from
 * the user's data is escaped.
 */
#include "html_internal.h"

#include <math.h>
#include <string.h>

#define esc fl_html__esc

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

/* What a slice's rate is called (k = 0: in a table, 1: on an axis, 2:
 * over a chart), what it counts (3) and the excess column's unit (4): a
 * comparison's rate is of the rows that regressed or improved. */
static const char *rate_name(const fl_report *r, int k)
{
	static const char *const name[4][5] = {
		{"failure", "failure rate", "Failure rate of each slice", "failures", " failures"},
		{"mean failure", "mean failure", "Mean failure of each slice", "failures", ""},
		{"regressed", "share regressed", "Share of each slice that regressed", "regressions",
		 " regressions"},
		{"improved", "share improved", "Share of each slice that improved", "improvements",
		 " improvements"}};
	int kind = !strcmp(r->failure_name, "regression") ? 2 :
		   !strcmp(r->failure_name, "improvement") ? 3 : !r->binary;

	return name[kind][k];
}

static const char style[] =
	"body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:980px;color:#222}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}h2.side{font-size:1.35em;"
	"border-top:3px solid #444;padding-top:.6em}table{border-collapse:collapse}"
	"td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}"
	"td.n,th.n{text-align:right}.card{border:1px solid #ccc;border-radius:6px;padding:8px 14px;"
	"margin:14px 0}.yes{color:#186a2b;font-weight:600}.no{color:#a12;font-weight:600}"
	".muted{color:#666}.wrong{color:#a12}code{background:#f4f4f4;padding:0 3px}.tick{fill:#555;font-size:11px}"
	"nav.index{background:#f6f6f6;border-radius:6px;padding:6px 12px}nav.index a{margin-right:.4em}"
	".up{float:right;font-size:12px;font-weight:normal}.note{background:#fff4d6;padding:4px 8px}"
	".dists{display:flex;flex-wrap:wrap;gap:4px 24px;align-items:flex-start}table.dist td,table.dist th{padding:1px 6px;"
	"font-size:12px;border:0}table.dist caption{text-align:left;font-weight:600}"
	".bar{display:inline-block;height:9px;vertical-align:middle}.bin{background:#c0392b}"
	".bout{background:#999}.examples{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-end}"
	".examples figure{margin:0;text-align:center;font-size:12px}.examples img{display:block;"
	"margin:auto;image-rendering:pixelated}.examples .right{border-left:2px solid #186a2b;"
	"padding-left:6px}.noimg{display:block;width:64px;height:64px;line-height:64px;margin:auto;"
	"background:#eee;color:#a12;font-size:11px}";

static void head(FILE *fp, const char *base, const char *cand)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>", fp);
	if (base) {
		fputs("faultline compare: ", fp);
		esc(fp, base);
		fputs(" &rarr; ", fp);
		esc(fp, cand);
	} else {
		fputs("faultline report", fp);
	}
	fprintf(fp, "</title><style>%s%s</style></head><body>\n", style, fl_html__map_style);
}

/* Parameters that name input files: shown with the inputs, not the settings. */
static int is_input(const char *key)
{
	static const char *const keys[] = {"labels", "probs", "logits", "preds", "meta"};

	for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
		if (!strcmp(key, keys[k]))
			return 1;
	return 0;
}

/* The run: its settings, then its inputs. */
static void run(FILE *fp, const fl_report *r)
{
	int32_t shown = 0;

	fprintf(fp, "<p class=\"muted\">faultline %s &middot; ", fl_version());
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
	fputs(shown ? "</p>\n" : " &ndash;</p>\n", fp);
}

/* How many slices, and how many replicated. */
static void found(FILE *fp, const fl_report *r)
{
	int32_t replicated = 0;

	for (int32_t i = 0; i < r->n_slices; i++)
		replicated += r->slices[i].replicated;
	fprintf(fp, "<p><b>%d slice%s</b>", (int)r->n_slices, r->n_slices == 1 ? "" : "s");
	if (r->n_holdout)
		fprintf(fp, ", <b>%d replicated</b> on %lld held-out samples (false discovery rate %g)",
			(int)replicated, (long long)r->n_holdout, r->confirm_q);
	fputs(".</p>\n", fp);
}

static void header(FILE *fp, const fl_report *r)
{
	fputs("<h1>faultline report</h1>\n", fp);
	run(fp, r);
	fprintf(fp, "<p>%lld samples; failure signal <code>", (long long)r->n);
	esc(fp, r->failure_name);
	fputs(r->binary ? "</code>, overall rate " : "</code>, overall mean ", fp);
	pct(fp, r, r->overall);
	fputs("; views:", fp);
	for (int32_t v = 0; v < r->n_views; v++) {
		fputs(v ? ", " : " ", fp);
		esc(fp, r->views[v].name);
		fprintf(fp, " (%lld-d)", (long long)r->views[v].dim);
	}
	fputs(r->n_views ? ".</p>\n" : " none.</p>\n", fp);
	found(fp, r);
}

/* The links to a report's parts and to each of its slices. */
static void index_of(const fl_html *h)
{
	const fl_report *r = h->r;
	const char *a = h->anchor;
	FILE *fp = h->fp;

	if (!r->n_slices) {
		fputs("no slice", h->fp);
		return;
	}
	fprintf(fp, "<a href=\"#%schart\">chart</a> <a href=\"#%stable\">table</a> ", a, a);
	if (r->map || (r->source && r->n_views))
		fprintf(fp, "<a href=\"#%smap\">map</a> ", a);
	fputs("&middot; slices:", fp);
	for (int32_t i = 0; i < r->n_slices; i++)
		fprintf(fp, " <a href=\"#%sS%d\">S%d</a>", a, (int)i + 1, (int)i + 1);
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
static void overlaps(const fl_html *h, int32_t i)
{
	const fl_report *r = h->r;
	const fl_candidate *c = &r->slices[i];
	row_index *x = h->x;
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

		fprintf(h->fp, "%s<a href=\"#%sS%d\">S%d</a> %.2f", t ? ", " : "<p>overlaps (Jaccard): ",
			h->anchor, (int)j + 1, (int)j + 1, jaccard(c, &r->slices[j], x->inter[j]));
		x->inter[j] = 0;
	}
	if (kept)
		fputs("</p>\n", h->fp);
	for (int64_t k = 0; k < c->n_members; k++)
		x->mark[c->members[k]] = 0;
}

/* A method and its view: "mixture/emb", "predicates". */
static void source(FILE *fp, const char *method, const char *view)
{
	esc(fp, method);
	fputs(view[0] ? "/" : "", fp);
	esc(fp, view);
}

/* A slice's row (i >= 0: slice i of the table, with its link, halves,
 * interval and lift) or a part's (i < 0): size, rate, excess, replicated,
 * found by, description. */
static void row(const fl_html *h, const fl_candidate *c, int32_t i)
{
	const fl_report *r = h->r;
	const fl_slice_stats *st = fl_report__shown(c);
	int32_t more = fl_report__agreeing(c);
	FILE *fp = h->fp;

	if (i >= 0)
		fprintf(fp, "<tr><td><a href=\"#%sS%d\">S%d</a></td>", h->anchor, (int)i + 1, (int)i + 1);
	fprintf(fp, i >= 0 ? "<td class=\"n\">%lld</td><td class=\"n\">" : "<tr><td class=\"n\">%lld</td>",
		(long long)st->size);
	if (i >= 0)
		fprintf(fp, "%lld + %lld</td>", (long long)c->n_members, (long long)c->n_holdout_members);
	fputs("<td class=\"n\">", fp);
	pct(fp, r, st->failure_rate);
	if (i >= 0) {
		fputs("</td><td>", fp);
		fig(fp, r, st->ci_low, FL_FIG_BOUND);
		fputs(" &ndash; ", fp);
		fig(fp, r, st->ci_high, FL_FIG_BOUND);
		if (isfinite(st->lift))
			fprintf(fp, "</td><td class=\"n\">%.2f", st->lift);
		else
			fputs("</td><td class=\"n\">&ndash;", fp);
	}
	fputs("</td><td class=\"n\">", fp);
	excess(fp, r, c->excess);
	fprintf(fp, "</td><td>%s</td><td>", !c->has_holdout ? "&ndash;" : c->replicated ?
		"<span class=\"yes\">yes</span>" : "<span class=\"no\">no</span>");
	source(fp, c->method, c->view);
	if (more)
		fprintf(fp, " +%d", (int)more);
	fputs("</td><td>", fp);
	esc(fp, c->description ? c->description : fl_report__explanation_fits(c) ? c->explanation :
		c->explanation ? "(no rule fits)" : "");
	fputs("</td></tr>\n", fp);
}

static void table(const fl_html *h)
{
	const fl_report *r = h->r;

	fprintf(h->fp, "<table><tr><th>slice</th><th class=\"n\">size</th><th class=\"n\">search + "
		"held out</th><th class=\"n\">%s</th><th>95%% interval</th><th class=\"n\">lift"
		"</th><th class=\"n\">excess%s</th><th>replicated</th><th>found by</th>"
		"<th>description</th></tr>\n", rate_name(r, 0), rate_name(r, 4));
	for (int32_t i = 0; i < r->n_slices; i++)
		row(h, &r->slices[i], i);
	fputs("</table>\n", h->fp);
}

/* The pieces of a cause, folded: one row each. */
static void parts(const fl_html *h, const fl_candidate *c)
{
	if (!c->n_parts)
		return;
	fprintf(h->fp, "<details><summary>%d part%s of this cause</summary>\n<table><tr><th class=\"n\">"
		"size</th><th class=\"n\">%s</th><th class=\"n\">excess%s</th>"
		"<th>replicated</th><th>found by</th><th>description</th></tr>\n", (int)c->n_parts,
		c->n_parts == 1 ? "" : "s", rate_name(h->r, 0), rate_name(h->r, 4));
	for (int32_t k = 0; k < c->n_parts; k++)
		row(h, &c->parts[k], -1);
	fputs("</table></details>\n", h->fp);
}

/* An example's classes: "Shirt &rarr; Dress" (in red: wrong), "Shirt, right". */
static void classes(FILE *fp, const fl_report *r, const fl_example *e)
{
	char b1[24], b2[24];

	if (e->label < 0)
		return;
	fputs(e->label != e->pred ? "<span class=\"wrong\">" : "<span>", fp);
	esc(fp, fl_report__class_name(r, e->label, b1, sizeof b1));
	if (e->label != e->pred) {
		fputs(" &rarr; ", fp);
		esc(fp, fl_report__class_name(r, e->pred, b2, sizeof b2));
	} else {
		fputs(e->typical ? " (right)" : ", right", fp);
	}
	fputs("</span>", fp);
}

/* The typical members and, for contrast, right rows of the same classes:
 * as thumbnails when the ids name images (a note names those not found),
 * then as a list of ids. */
static int examples(const fl_html *h, int32_t i)
{
	fl_example ex[FL_REPORT_EXAMPLES];
	int32_t n = fl_report__examples(h->dg, i, ex), missing = 0;
	FILE *fp = h->fp;
	int rc;

	if (n > 0 && fl_html__is_image(ex[0].id)) {
		fputs("<div class=\"examples\">\n", fp);
		for (int32_t k = 0; k < n; k++) {
			if (!ex[k].typical && (k == 0 || ex[k - 1].typical))
				fputs("<span class=\"muted\">rows of the same classes it got right:</span>\n",
				      fp);
			fputs(ex[k].typical ? "<figure>" : "<figure class=\"right\">", fp);
			if ((rc = fl_html__thumbnail(fp, h->th, ex[k].id)) < 0)
				return rc;
			if (rc == 0) {
				fputs("<span class=\"noimg\">no image</span>", fp);
				missing++;
			}
			fputs("<figcaption>", fp);
			classes(fp, h->r, &ex[k]);
			fputs("</figcaption></figure>\n", fp);
		}
		fputs("</div>\n", fp);
	}
	if (missing) {
		fprintf(fp, "<p class=\"note\">%d of these %d images could not be shown: not found "
			"inside <code>", (int)missing, (int)n);
		for (int k = 0; k < h->th->n; k++) {
			fputs(k ? "</code> or <code>" : "", fp);
			esc(fp, h->th->base[k]);
		}
		fputs("</code> (only files inside it are read: give the images' folder with "
		      "<code>--thumbnails DIR</code>), or not a PNG, JPEG or GIF.</p>\n", fp);
	}
	for (int32_t k = 0; k < n; k++) {
		fputs(k == 0 ? "<p>typical members: " : !ex[k].typical && ex[k - 1].typical ?
		      "</p>\n<p>for contrast, rows of the same classes it got right: " : ", ", fp);
		fputs("<code>", fp);
		esc(fp, ex[k].id);
		fputs("</code> ", fp);
		classes(fp, h->r, &ex[k]);
	}
	if (n > 0)
		fputs("</p>\n", fp);
	return n < 0 ? n : FL_OK;
}

/* The label x prediction breakdown (errors in red) and the confusions. */
static int cells(const fl_html *h, int32_t i)
{
	fl_confusion conf[FL_REPORT_CONFUSIONS], cell[FL_REPORT_BREAKDOWN];
	const fl_report *r = h->r;
	int32_t nc = fl_report_confusions(r, i, conf, FL_REPORT_CONFUSIONS);
	int32_t nb = fl_report_breakdown(r, i, cell, FL_REPORT_BREAKDOWN);
	char b1[24], b2[24];
	FILE *fp = h->fp;

	if (nc < 0 || nb < 0)
		return FL_ENOMEM;
	nc = fl_report__readable(conf, nc);
	nb = fl_report__readable(cell, nb);
	for (int32_t k = 0; k < nb; k++) {
		fputs(k ? "" : "<table><tr><th>label</th><th>predicted</th><th class=\"n\">members"
		      "</th><th class=\"n\">share of the slice</th></tr>\n", fp);
		fputs(cell[k].label != cell[k].pred ? "<tr class=\"no\"><td>" : "<tr><td>", fp);
		esc(fp, fl_report__class_name(r, cell[k].label, b1, sizeof b1));
		fputs("</td><td>", fp);
		esc(fp, fl_report__class_name(r, cell[k].pred, b2, sizeof b2));
		fprintf(fp, "</td><td class=\"n\">%lld</td><td class=\"n\">%.0f%%</td></tr>\n",
			(long long)cell[k].count, 100 * cell[k].share);
	}
	if (nb > 0)
		fputs("</table>\n", fp);
	for (int32_t k = 0; k < nc; k++) {
		fputs(k ? ", " : "<p>failures: ", fp);
		esc(fp, fl_report__class_name(r, conf[k].label, b1, sizeof b1));
		fputs(" &rarr; ", fp);
		esc(fp, fl_report__class_name(r, conf[k].pred, b2, sizeof b2));
		fprintf(fp, " %.0f%%", 100 * conf[k].share);
	}
	if (nc > 0)
		fputs(" of the slice's failures</p>\n", fp);
	return FL_OK;
}

static int card(const fl_html *h, int32_t i)
{
	const fl_report *r = h->r;
	const fl_candidate *c = &r->slices[i];
	fl_dist dist[FL_DIST_COLUMNS];
	int32_t nd = fl_report__dists(h->dg, i, dist);
	FILE *fp = h->fp;
	int rc;

	if (nd < 0)
		return nd;
	fprintf(fp, "<div class=\"card\" id=\"%sS%d\"><h2>S%d &middot; %lld samples, %s ", h->anchor,
		(int)i + 1, (int)i + 1, (long long)fl_report__shown(c)->size, rate_name(r, 0));
	pct(fp, r, fl_report__shown(c)->failure_rate);
	fputs(" vs ", fp);
	pct(fp, r, fl_report__shown(c)->failure_rate_outside);
	fputs(r->binary ? " outside: " : " outside: excess ", fp);
	excess(fp, r, c->excess);
	if (r->binary)
		fprintf(fp, " %s beyond the rate outside", rate_name(r, 3));
	else
		fputs(" (the sum beyond the mean outside)", fp);
	fputs(" <a class=\"up\" href=\"#top\">&uarr; index</a></h2>\n", fp);
	fprintf(fp, "<p>search half: %lld samples, %s ", (long long)c->stats.size, rate_name(r, 0));
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
	fl_html__dists(h, i, dist, nd);
	for (int32_t k = 0; k < c->n_phrases; k++) {
		fputs(k ? ", &ldquo;" : "<p>phrases: &ldquo;", fp);
		esc(fp, r->phrases[c->phrase_idx[k]]);
		fputs("&rdquo;", fp);
	}
	if (c->n_phrases)
		fputs("</p>\n", fp);
	if (c->has_holdout) {
		fprintf(fp, "<p>held out: %lld samples, %s ", (long long)c->holdout.size, rate_name(r, 0));
		pct(fp, r, c->holdout.failure_rate);
		fputs(" vs ", fp);
		pct(fp, r, c->holdout.failure_rate_outside);
		fprintf(fp, " outside%s, adjusted p = %.2g: %s</p>\n",
			c->round > 1 ? " it and the causes above" : "", c->p_adjusted,
			c->replicated ? "<span class=\"yes\">replicated</span>" :
					"<span class=\"no\">not replicated</span>");
	}
	if (c->has_pair_counts)
		fl_html__pairs(h, c->pair_counts);
	fputs("<p>found by: ", fp);
	source(fp, c->method, c->view);
	for (int32_t k = 0; k < c->n_also; k++)
		if (!fl_report__source_repeats(c, k)) {
			fputs(", ", fp);
			source(fp, c->also[k].method, c->also[k].view);
		}
	fputs("</p>\n", fp);
	if ((rc = cells(h, i)))
		return rc;
	overlaps(h, i);
	if ((rc = examples(h, i)))
		return rc;
	parts(h, c);
	fputs("</div>\n", fp);
	return FL_OK;
}

/* A report's chart, table, map and cards. */
static int body(const fl_html *h)
{
	const fl_report *r = h->r;
	const char *a = h->anchor;
	FILE *fp = h->fp;
	int rc = FL_OK;

	if (!r->n_slices)
		return FL_OK;
	fprintf(fp, "<h2 id=\"%schart\">%s (95%% interval)</h2>\n", a,
		rate_name(r, 2));
	fl_html__chart(h, rate_name(r, 1));
	fprintf(fp, "<h2 id=\"%stable\">Slices</h2>\n", a);
	table(h);
	if (r->map) {
		fprintf(fp, "<h2 id=\"%smap\">Map of view ", a);
		esc(fp, r->map_view);
		fputs(" (first two principal components)</h2>\n", fp);
		fl_html__map(h);
	} else if (r->source && r->n_views) { /* read back: the view was not found */
		fprintf(fp, "<h2 id=\"%smap\">Map</h2>\n<p class=\"note\">No map: the view <b>", a);
		esc(fp, r->views[0].name);
		fputs("</b> this report was made from (<code>", fp);
		esc(fp, r->views[0].source);
		fputs("</code>) was not found as named nor beside the report, or is not the array it "
		      "was made from.</p>\n", fp);
	}
	for (int32_t i = 0; i < r->n_slices && rc == FL_OK; i++)
		rc = card(h, i);
	return rc;
}

/* Set up one report's part of a page (the thumbnails' folders from the
 * page's path); close with part_close. */
static int part_open(fl_html *h, row_index *x, fl_thumbs *th, FILE *fp, const fl_report *r,
		     const char *anchor, const char *page)
{
	int rc;

	memset(h, 0, sizeof *h);
	memset(th, 0, sizeof *th);
	h->fp = fp;
	h->r = r;
	h->anchor = anchor;
	h->names[0] = "base";
	h->names[1] = "candidate";
	h->th = th;
	h->x = x;
	if ((rc = row_index_build(x, r)))
		return rc;
	if ((rc = fl_report__digest_new(&h->dg, r)) || (rc = fl_html__thumbs_open(th, r, page))) {
		fl_report__digest_free(h->dg);
		row_index_free(x);
	}
	return rc;
}

static void part_close(fl_html *h, fl_thumbs *th)
{
	fl_report__digest_free(h->dg);
	row_index_free(h->x);
	fl_html__thumbs_close(th);
}

int fl_report__write_html_fp(const fl_report *r, FILE *fp, const char *page)
{
	fl_html h;
	fl_thumbs th;
	row_index x;
	int rc;

	if ((rc = part_open(&h, &x, &th, fp, r, "", page)))
		return rc;
	head(fp, NULL, NULL);
	header(fp, r);
	fputs("<nav id=\"top\" class=\"index\"><b>On this page:</b> ", fp);
	index_of(&h);
	fputs("</nav>\n", fp);
	rc = body(&h);
	fputs("</body></html>\n", fp);
	part_close(&h, &th);
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

/* A comparison's page: the models by name, their counts over all rows,
 * then each side. */
static int compare_page(FILE *fp, const fl_report *worse, const fl_report *better,
			const char *base, const char *cand, const char *page)
{
	const fl_report *side[2] = {worse, better};
	static const char *const anchor[2] = {"worse-", "better-"};
	fl_html h[2];
	fl_thumbs th[2];
	row_index x[2];
	int rc, k;

	for (k = 0; k < 2; k++) {
		if ((rc = part_open(&h[k], &x[k], &th[k], fp, side[k], anchor[k], page))) {
			if (k)
				part_close(&h[0], &th[0]);
			return rc;
		}
		h[k].names[0] = base;
		h[k].names[1] = cand;
	}
	head(fp, base, cand);
	fputs("<h1>faultline compare: <i>", fp);
	esc(fp, base);
	fputs("</i> (base) &rarr; <i>", fp);
	esc(fp, cand);
	fputs("</i> (candidate)</h1>\n", fp);
	run(fp, worse);
	fprintf(fp, "<p>%lld samples, the same labels.", (long long)worse->n);
	if (worse->has_pairs) {
		const int64_t *p = worse->pairs;
		double n = (double)worse->n;

		fputs(" <i>", fp);
		esc(fp, base);
		fprintf(fp, "</i> is wrong on %.1f%% of them, <i>", 100 * (double)(p[2] + p[3]) / n);
		esc(fp, cand);
		fprintf(fp, "</i> on %.1f%%.</p>\n", 100 * (double)(p[1] + p[3]) / n);
		fl_html__pairs(&h[0], p);
	} else {
		fputs("</p>\n", fp);
	}
	fputs("<nav id=\"top\" class=\"index\"><b>On this page:</b>", fp);
	for (k = 0; k < 2; k++) {
		fprintf(fp, "<br><a href=\"#%s\">where <i>", k ? "better" : "worse");
		esc(fp, cand);
		fprintf(fp, "</i> is %s</a>: ", k ? "better" : "worse");
		index_of(&h[k]);
	}
	fputs("</nav>\n", fp);
	for (k = 0, rc = FL_OK; k < 2 && rc == FL_OK; k++) {
		fprintf(fp, "<h2 class=\"side\" id=\"%s\">Where <i>", k ? "better" : "worse");
		esc(fp, cand);
		fprintf(fp, "</i> is %s than <i>", k ? "better" : "worse");
		esc(fp, base);
		fputs("</i></h2>\n<p>Rows only <i>", fp);
		esc(fp, k ? cand : base);
		fputs("</i> got right: ", fp);
		pct(fp, side[k], side[k]->overall);
		fputs(" of all.</p>\n", fp);
		found(fp, side[k]);
		rc = body(&h[k]);
	}
	fputs("</body></html>\n", fp);
	for (k = 0; k < 2; k++)
		part_close(&h[k], &th[k]);
	return rc;
}

int fl_report_write_compare_html(const fl_report *worse, const fl_report *better,
				 const char *base_name, const char *cand_name, const char *path)
{
	fl_staged st;
	int rc;

	if (!worse || !better || !path || worse->n != better->n)
		return fl__error(FL_EINVAL, "a comparison's page needs both of its reports, of the "
				 "same rows, and a path");
	if ((rc = fl__stage_open(&st, path)))
		return rc;
	if ((rc = compare_page(st.fp, worse, better, base_name ? base_name : "base",
			       cand_name ? cand_name : "candidate", path)) ||
	    (rc = fl__stage_close(&st)) || (rc = fl__stage_commit(&st)))
		fl__stage_discard(&st);
	return rc;
}
