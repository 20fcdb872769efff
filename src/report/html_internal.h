/* The HTML pages' parts: html.c (the pages, their index, table and cards)
 * calls html_figures.c (escaping; the interval chart, the map, the bars)
 * and html_thumbs.c (the images the ids name). */
#ifndef FL_HTML_INTERNAL_H
#define FL_HTML_INTERNAL_H

#include "report_internal.h"

#include <stdio.h>

/* Where thumbnails come from: the folder of fl_report_set_thumbnail_dir,
 * else the page's and, for a report read back from JSON, the report's;
 * each with its real path (NULL when it is not there). */
typedef struct fl_thumbs {
	char *base[2];
	char *root[2];
	int n;
} fl_thumbs;

/* One report's part of a page: a report page has one, a comparison's page
 * two. Its slices' anchors are `anchor` + "S1", "S2", ... */
typedef struct fl_html {
	FILE *fp;
	const fl_report *r;
	const char *anchor;
	const char *names[2]; /* the compared models': "base", "candidate" */
	fl_digest *dg;
	const fl_thumbs *th;
	struct row_index *x; /* html.c: which slices hold each row */
} fl_html;

/* Text for an HTML element or a double-quoted attribute (html_figures.c). */
void fl_html__esc(FILE *fp, const char *s);

/* The rate of every slice with its 95% interval, on an axis (`what` it
 * is: "failure rate"). */
void fl_html__chart(const fl_html *h, const char *what);
/* The map of r->map: a sample of every row in grey, the members of the
 * first FL_HTML_MAP_SLICES slices in colour, one of them alone when the
 * reader picks it (a link to #map-S3 shows S3 alone: CSS, no script), on
 * two axes. */
#define FL_HTML_MAP_SLICES 10
void fl_html__map(const fl_html *h);
/* The CSS of the map's picker. */
extern const char fl_html__map_style[];
/* Four counts (both right, only the base right, only the candidate right,
 * both wrong; the models by their names) and a bar of their shares. */
void fl_html__pairs(const fl_html *h, const int64_t n[4]);
/* The distributions of a slice's describing columns, inside vs outside. */
void fl_html__dists(const fl_html *h, int32_t i, const fl_dist *d, int32_t n);

/* Find the folders (see fl_thumbs) for a page written to `page`. */
int fl_html__thumbs_open(fl_thumbs *th, const fl_report *r, const char *page);
void fl_html__thumbs_close(fl_thumbs *th);
/* Does the id name an image file (.png, .jpg, .jpeg, .gif)? */
int fl_html__is_image(const char *id);
/* The image an id names as an <img>, when it is a PNG, JPEG or GIF inside
 * one of the folders: 1 written, 0 not (missing, outside, not an image),
 * or FL_ENOMEM. */
int fl_html__thumbnail(FILE *fp, const fl_thumbs *th, const char *id);

#endif
