/*
 * faultline report: render a saved JSON report again, as the table, an HTML
 * page or JSON, without the data it was found in. The HTML map needs the
 * first view: read from the file the report names (as given to discover,
 * else beside the report) when it is still there with the same shape.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The path of the report's first view: as recorded, or, when that is a
 * relative path that does not exist from here, the same relative to the
 * report's folder. NULL when neither exists. */
static char *view_path(const char *run, const char *source)
{
	const char *slash = strrchr(run, '/');
	char *p;

	if (access(source, R_OK) == 0)
		return strdup(source);
	if (source[0] == '/' || !slash)
		return NULL;
	if (!(p = malloc((size_t)(slash - run) + strlen(source) + 2)))
		return NULL;
	sprintf(p, "%.*s/%s", (int)(slash - run), run, source);
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	return NULL;
}

/* The map of the HTML page, from the first view when it can be read; a
 * note otherwise (the page is written without the map). */
static int add_map(fl_report *r, const char *run, int quiet)
{
	const char *name = NULL, *source = NULL, *seed = fl_report_param_value(r, "seed");
	int64_t dim = 0;
	fl_array *arr = NULL;
	const float *x;
	char *path;
	int rc = 0;

	if (fl_report_view_info(r, 0, &name, &dim, &source) != 0)
		return 0; /* no view: no map */
	if (!(path = view_path(run, source))) {
		if (!quiet)
			fprintf(stderr, "faultline: note: view %s (%s) not found: the page has no map\n",
				name, source);
		return 0;
	}
	if (fl_array_open(&arr, path, NULL) || fl_array_rows(arr) != fl_report_n_rows(r) ||
	    fl_array_cols(arr) != dim || fl_array_f32(arr, &x) ||
	    fl_check_finite_f32(x, fl_array_rows(arr), dim, dim, path)) {
		if (!quiet)
			fprintf(stderr, "faultline: note: view %s (%s) is not the %lld x %lld array the "
				"report was made from: the page has no map\n", name, path,
				(long long)fl_report_n_rows(r), (long long)dim);
	} else if (fl_report_set_map(r, name, x, dim, seed ? strtoull(seed, NULL, 10) : 0)) {
		rc = fail(EXIT_INTERNAL, "%s", fl_last_error());
	}
	fl_array_free(arr);
	free(path);
	return rc;
}

int cmd_report(int argc, char **argv)
{
	const char *html = NULL, *json = NULL, *thumbs = NULL;
	int quiet = 0, rc;
	opt_list pos = {{0}, 0};
	fl_report *r = NULL;
	const opt table[] = {
		{"html", OPT_STR, "OUT.html", "write the self-contained HTML page", &html, NULL},
		{"thumbnails", OPT_STR, "DIR", "folder of the images the ids name (default: the page's)", &thumbs, NULL},
		{"json", OPT_STR, "OUT.json", "write the report as JSON again ('-' = stdout)", &json, NULL},
		{"quiet", OPT_FLAG, NULL, "no notes on stderr", &quiet, NULL},
		{NULL, OPT_FLAG, NULL, NULL, NULL, NULL}
	};

	rc = opts_parse(table, argc, argv, "report",
			"RUN.json [--html OUT.html [--thumbnails DIR]] [--json OUT.json]", &pos);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (pos.n != 1)
		return usage_error("report", "expected one saved report (RUN.json), got %d", pos.n);
	if ((rc = fl_report_load_json(&r, pos.items[0])))
		return fail(exit_for_input(rc), "%s", fl_last_error());
	if (html && (rc = add_map(r, pos.items[0], quiet)))
		goto cleanup;
	if (json && (rc = fl_report_write_json(r, json, 0))) {
		rc = fail(rc == FL_ENOMEM ? EXIT_INTERNAL : EXIT_OUTPUT, "%s", fl_last_error());
		goto cleanup;
	}
	if (html && ((rc = fl_report_set_thumbnail_dir(r, thumbs)) ||
		     (rc = fl_report_write_html(r, html)))) {
		rc = fail(rc == FL_ENOMEM ? EXIT_INTERNAL : EXIT_OUTPUT, "%s", fl_last_error());
		goto cleanup;
	}
	if ((!json || strcmp(json, "-") != 0) && fl_report_write_text(r, stdout))
		rc = fail(EXIT_OUTPUT, "<stdout>: %s", fl_last_error());
cleanup:
	fl_report_free(r);
	return rc;
}
