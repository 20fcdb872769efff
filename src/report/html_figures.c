/*
 * The figures of the HTML page, drawn as inline SVG or CSS bars (nothing
 * fetched, no script): the failure rate of every slice with its interval on
 * an axis with values; the map (a view's first two principal components)
 * with its axes, every slice shown in its own colour, and a picker (links
 * to CSS :target, no script) that shows one slice alone; the four counts of a
 * comparison; the distributions of a slice's describing columns, inside vs
 * outside, as pairs of bars.
 */
#include "html_internal.h"

#include <math.h>
#include <string.h>

void fl_html__esc(FILE *fp, const char *s)
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

/* A round step (1, 2 or 5 x 10^k) giving about five ticks over `span`. */
static double tick_step(double span)
{
	double raw = span / 5, mag = pow(10, floor(log10(raw))), f = raw / mag;

	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

/* A tick's label: the value to the step's precision; a rate in percent. */
static void tick_label(char *buf, size_t len, double v, double step, int percent)
{
	int dec;

	if (percent) {
		v *= 100;
		step *= 100;
	}
	dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
	snprintf(buf, len, "%.*f%s", dec, fabs(v) < step / 2 ? 0.0 : v, percent ? "%" : "");
}

/* Ticks of [lo, hi] along the plot's bottom edge y0 from x0 to x1 (labels
 * below), or (vertical) along its left edge x0 from y1 (lo) up to y0 (hi)
 * (labels to the left); each with a grid line across the plot to `across`
 * (the y of its top edge, or the x of its right edge). */
static void axis(FILE *fp, double lo, double hi, double x0, double x1, double y0, double y1,
		 double across, int vertical, int percent)
{
	double step = tick_step(hi - lo);
	char label[32];

	for (double v = ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
		double at = vertical ? y1 - (y1 - y0) * (v - lo) / (hi - lo)
				     : x0 + (x1 - x0) * (v - lo) / (hi - lo);

		tick_label(label, sizeof label, v, step, percent);
		if (vertical)
			fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
				"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">%s</text>\n",
				x0, at, across, at, x0 - 4, at + 4, label);
		else
			fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
				"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\">%s</text>\n",
				at, across, at, y0, at, y0 + 15, label);
	}
	if (vertical)
		fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n", x0,
			y0, x0, y1);
	else
		fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n", x0,
			y0, x1, y0);
}

void fl_html__chart(const fl_html *h, const char *what)
{
	const fl_report *r = h->r;
	const int w = 900, row = 22, left = 60, right = 30, body = row * r->n_slices + 8;
	double top = r->overall;
	FILE *fp = h->fp;

	for (int32_t i = 0; i < r->n_slices; i++)
		if (isfinite(fl_report__shown(&r->slices[i])->ci_high))
			top = fmax(top, fl_report__shown(&r->slices[i])->ci_high);
	top = top > 0 ? top * 1.05 : 1;
	fprintf(fp, "<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"the rate of each "
		"slice with its 95%% interval\" font-size=\"12\">\n", w, body + 44);
#define X(v) (left + (w - left - right) * ((isfinite(v) ? (v) : 0) / top))
	axis(fp, 0, top, left, w - right, body, 0, 0, 0, r->binary);
	fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s of the slice (dot) and its 95%% "
		"interval (line)</text>\n", left + (w - left - right) / 2, body + 36, what);
	fprintf(fp, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\" "
		"stroke-dasharray=\"4\"/><text x=\"%.1f\" y=\"%d\" font-size=\"11\">overall</text>\n",
		X(r->overall), X(r->overall), body, X(r->overall) + 3, body - 3);
	for (int32_t i = 0; i < r->n_slices; i++) {
		const fl_candidate *c = &r->slices[i];
		const fl_slice_stats *st = fl_report__shown(c);
		int y = i * row + 12;

		fprintf(fp, "<a href=\"#%sS%d\"><text x=\"0\" y=\"%d\">S%d</text></a>"
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#555\"/>"
			"<circle cx=\"%.1f\" cy=\"%d\" r=\"4\" fill=\"%s\"/>\n", h->anchor, (int)i + 1,
			y + 4, (int)i + 1, X(st->ci_low), y, X(st->ci_high), y, X(st->failure_rate), y,
			!c->has_holdout ? "#36c" : c->replicated ? "#186a2b" : "#a12");
	}
#undef X
	fputs("</svg>\n", fp);
}

/* The picker: the map shows slice K alone while its (empty) element of
 * class tK is the page's target (the legend's links: no script). */
#define PICK(k) ".map .t" #k ":target~svg .m:not(.m" #k "){display:none}"
const char fl_html__map_style[] =
	".map a.pick{margin-left:.8em;white-space:nowrap}" PICK(1) PICK(2) PICK(3) PICK(4) PICK(5)
	PICK(6) PICK(7) PICK(8) PICK(9) PICK(10);
#undef PICK

void fl_html__map(const fl_html *h)
{
	static const char *const colour[FL_HTML_MAP_SLICES] = {
		"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd",
		"#8c564b", "#e377c2", "#17becf", "#bcbd22", "#393b79"};
	const fl_report *r = h->r;
	const int w = 900, ht = 540, left = 60, right = 12, top = 10, bottom = 46;
	const int shown = r->n_slices < FL_HTML_MAP_SLICES ? r->n_slices : FL_HTML_MAP_SLICES;
	double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
	int64_t step = r->n > 4000 ? r->n / 4000 : 1;
	const char *a = h->anchor;
	FILE *fp = h->fp;

	for (int64_t i = 0; i < r->n; i++)
		for (int k = 0; k < 2; k++) {
			lo[k] = fmin(lo[k], r->map[2 * i + k]);
			hi[k] = fmax(hi[k], r->map[2 * i + k]);
		}
	for (int k = 0; k < 2; k++)
		if (!(hi[k] > lo[k]))
			hi[k] = lo[k] + 1;
	fputs("<div class=\"map\">", fp);
	for (int s = 0; s < shown; s++)
		fprintf(fp, "<span id=\"%smap-S%d\" class=\"t%d\"></span>", a, s + 1, s + 1);
	fprintf(fp, "show: <a class=\"pick\" href=\"#%smap\">every slice</a>", a);
	for (int s = 0; s < shown; s++)
		fprintf(fp, "<a class=\"pick\" href=\"#%smap-S%d\"><span style=\"color:%s\">&#9679;"
			"</span> S%d</a>", a, s + 1, colour[s], s + 1);
	fprintf(fp, " <span class=\"muted\"><span style=\"color:#bbb\">&#9679;</span> other rows "
		"(1 in %lld)%s</span>\n<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"map\" "
		"font-size=\"12\">\n", (long long)step, r->n_slices > shown ?
		"; the first 10 slices are drawn" : "", w, ht);
#define PX(v) (left + (w - left - right) * ((v) - lo[0]) / (hi[0] - lo[0]))
#define PY(v) (ht - bottom - (ht - bottom - top) * ((v) - lo[1]) / (hi[1] - lo[1]))
	axis(fp, lo[0], hi[0], left, w - right, ht - bottom, top, top, 0, 0);
	axis(fp, lo[1], hi[1], left, w - right, top, ht - bottom, w - right, 1, 0);
	fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">first principal component</text>"
		"<text transform=\"translate(14 %d) rotate(-90)\" text-anchor=\"middle\">second "
		"principal component</text>\n", left + (w - left - right) / 2, ht - 8,
		top + (ht - bottom - top) / 2);
	fputs("<g fill=\"#bbb\">", fp);
	for (int64_t i = 0; i < r->n; i += step)
		fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.5\"/>", PX(r->map[2 * i]),
			PY(r->map[2 * i + 1]));
	fputs("</g>\n", fp);
	for (int s = shown - 1; s >= 0; s--) { /* S1 on top */
		const fl_candidate *c = &r->slices[s];

		fprintf(fp, "<g class=\"m m%d\" fill=\"%s\">", s + 1, colour[s]);
		for (int64_t k = 0; k < c->n_members + c->n_holdout_members; k++) {
			int64_t i = k < c->n_members ? c->members[k] : c->holdout_members[k - c->n_members];

			fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"/>", PX(r->map[2 * i]),
				PY(r->map[2 * i + 1]));
		}
		fputs("</g>\n", fp);
	}
#undef PX
#undef PY
	fputs("</svg></div>\n", fp);
}

void fl_html__pairs(const fl_html *h, const int64_t n[4])
{
	static const char *const colour[4] = {"#bbb", "#c0392b", "#27ae60", "#555"};
	int64_t all = n[0] + n[1] + n[2] + n[3];
	FILE *fp = h->fp;

	fputs("<p class=\"pairs\">", fp);
	for (int k = 0; k < 4; k++) {
		fprintf(fp, "%s<span style=\"color:%s\">&#9632;</span> ", k ? " &middot; " : "",
			colour[k]);
		if (k == 0 || k == 3) {
			fputs(k ? "both wrong" : "both right", fp);
		} else {
			fputs("only ", fp);
			fl_html__esc(fp, h->names[k - 1]);
			fputs(" right", fp);
		}
		fprintf(fp, " %lld", (long long)n[k]);
	}
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

/* A share as a bar of up to 100 pixels and its percentage. */
static void bar(FILE *fp, const char *cls, int64_t count, int64_t all)
{
	double share = all > 0 ? (double)count / (double)all : 0;

	fprintf(fp, "<td><span class=\"bar %s\" style=\"width:%dpx\"></span> ", cls,
		(int)(100 * share + 0.5));
	if (count > 0 && share < 0.005)
		fputs("&lt;1%</td>", fp);
	else
		fprintf(fp, "%.0f%%</td>", 100 * share);
}

void fl_html__dists(const fl_html *h, int32_t i, const fl_dist *d, int32_t n)
{
	FILE *fp = h->fp;

	if (n <= 0)
		return;
	fprintf(fp, "<p class=\"muted\">the columns named above, in S%d and outside it (the share "
		"of the rows with each value)</p>\n<div class=\"dists\">\n", (int)i + 1);
	for (int32_t k = 0; k < n; k++) {
		int64_t in = 0, out = 0;

		for (int32_t b = 0; b < d[k].n_bins; b++) {
			in += d[k].inside[b];
			out += d[k].outside[b];
		}
		fputs("<table class=\"dist\"><caption>", fp);
		fl_html__esc(fp, d[k].column);
		fprintf(fp, "</caption><tr><th></th><th>in S%d</th><th>outside</th></tr>\n", (int)i + 1);
		for (int32_t b = 0; b < d[k].n_bins; b++) {
			fputs("<tr><td>", fp);
			fl_html__esc(fp, d[k].bin[b]);
			fputs("</td>", fp);
			bar(fp, "bin", d[k].inside[b], in);
			bar(fp, "bout", d[k].outside[b], out);
			fputs("</tr>\n", fp);
		}
		fputs("</table>\n", fp);
	}
	fputs("</div>\n", fp);
}
