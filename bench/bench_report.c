/*
 * bench_report: seconds and peak memory of the report writers as the slice
 * count grows (issue 15, item 7): a report of S slices, each 200 random
 * rows (binary failure, 10% overall) described by two metadata columns of
 * a table (id, a category of 20 levels, a number) with labels and
 * predictions of 10 classes (so the pages draw each slice's columns inside
 * vs outside, and its examples beside right rows of the same classes),
 * written as HTML, as JSON,
 * read back from that JSON (fl_report_load_json, what `faultline report`
 * does) and written as HTML again. Each size runs in its own process, so
 * the peak RSS is that size's. The last columns are the time over the
 * previous size's, of the first HTML and of all four steps: about 2 per
 * doubling when linear, 4 when quadratic.
 * Two series: 200,000 rows whatever S (more slices share each row, and the
 * HTML's overlaps cost what the slices share: the pairs of slices with a
 * row in common grow as S^2 here), and rows growing with S (50 a slice,
 * each row in 4 slices on average: every cost should be linear).
 * Usage: bench_report [S ...] (default 1000 2000 4000 20000).
 * Not a test; never fails on a number.
 */
#include "bench_util.h"
#include "faultline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SLICE_ROWS 200

static int64_t ROWS; /* of the size running */

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Writes "html json load html2 rss" to fd; 0 or an error. */
static int run(int32_t slices, int fd)
{
	double *failure = malloc((size_t)ROWS * sizeof *failure);
	int64_t *labels = malloc((size_t)ROWS * sizeof *labels);
	int64_t *preds = malloc((size_t)ROWS * sizeof *preds);
	char *csv = malloc((size_t)ROWS * 32 + 16), *at = csv;
	fl_table *table = NULL;
	fl_failure_summary *sum = NULL;
	fl_report *r = NULL, *back = NULL;
	fl_candidate *c = calloc((size_t)slices, sizeof *c);
	char dir[] = "/tmp/bench_report.XXXXXX", html[64], json[64], line[128];
	double t[5];
	uint64_t seed = 42;
	int rc = -1;

	if (!c || !failure || !labels || !preds || !csv || !mkdtemp(dir))
		return -1;
	snprintf(html, sizeof html, "%s/r.html", dir);
	snprintf(json, sizeof json, "%s/r.json", dir);
	at += sprintf(at, "id,cat,x\n");
	for (int64_t i = 0; i < ROWS; i++) {
		failure[i] = next(&seed) % 10 == 0;
		labels[i] = i % 10;
		preds[i] = failure[i] ? (i + 1) % 10 : i % 10;
		at += sprintf(at, "r%lld,c%d,%.3f\n", (long long)i, (int)(next(&seed) % 20),
			      (double)(next(&seed) % 1000) / 1000);
	}
	if (fl_failure_summary_new(&sum, failure, ROWS) || fl_report_new(&r, sum, ROWS, "error") ||
	    fl_table_read_csv_text(&table, csv, (size_t)(at - csv), "bench.csv") ||
	    fl_report_set_table(r, table, 0) || fl_report_set_classes(r, labels, preds, 10, NULL))
		goto cleanup;
	for (int32_t s = 0; s < slices; s++) {
		if (!(c[s].members = malloc(SLICE_ROWS * sizeof *c[s].members)) ||
		    !(c[s].member_scores = calloc(SLICE_ROWS, sizeof *c[s].member_scores)))
			goto cleanup;
		for (int64_t k = 0; k < SLICE_ROWS; k++) /* distinct: one row per stride */
			c[s].members[k] = k * (ROWS / SLICE_ROWS) + (int64_t)(next(&seed) %
									(ROWS / SLICE_ROWS));
		qsort(c[s].members, SLICE_ROWS, sizeof *c[s].members, cmp_i64);
		c[s].n_members = SLICE_ROWS;
		snprintf(line, sizeof line, "cat = c%d AND x < 0.5", (int)(s % 20));
		if (!(c[s].description = strdup(line)))
			goto cleanup;
		snprintf(c[s].method, sizeof c[s].method, "kmeans");
		snprintf(c[s].view, sizeof c[s].view, "emb");
		c[s].component = s;
		if (fl_slice_stats_compute(&c[s].stats, sum, c[s].members, SLICE_ROWS))
			goto cleanup;
		c[s].score = fl_slice_score(&c[s].stats, 0.1);
	}
	if (fl_report_add_candidates(r, c, slices) || fl_report_rank(r, slices))
		goto cleanup;
	t[0] = now();
	if (fl_report_write_html(r, html))
		goto cleanup;
	t[1] = now();
	if (fl_report_write_json(r, json, 0))
		goto cleanup;
	t[2] = now();
	if (fl_report_load_json(&back, json))
		goto cleanup;
	t[3] = now();
	if (fl_report_write_html(back, html))
		goto cleanup;
	t[4] = now();
	snprintf(line, sizeof line, "%f %f %f %f %f\n", t[1] - t[0], t[2] - t[1], t[3] - t[2],
		 t[4] - t[3], peak_rss_mb());
	rc = write(fd, line, strlen(line)) == (ssize_t)strlen(line) ? 0 : -1;
cleanup:
	if (rc)
		fprintf(stderr, "bench_report: %s\n", fl_last_error());
	unlink(html);
	unlink(json);
	rmdir(dir);
	fl_report_free(back);
	fl_report_free(r);
	fl_candidates_free(c, slices);
	fl_failure_summary_free(sum);
	fl_table_free(table);
	free(failure);
	free(labels);
	free(preds);
	free(csv);
	return rc;
}

/* One series: each size in its own process; rows_per_slice 0: 200,000 rows. */
static int series(int32_t n, const int32_t *sizes, int64_t rows_per_slice)
{
	int32_t prev = 0;
	double prev_total = 0, prev_html = 0;

	if (rows_per_slice)
		printf("\nrows = %lld x slices (each row in %.0f slices on average)\n",
		       (long long)rows_per_slice, (double)SLICE_ROWS / (double)rows_per_slice);
	else
		printf("\nrows fixed at 200,000 (each row in S / 1000 slices on average)\n");
	printf("%8s %9s %9s %9s %9s %9s %9s %9s\n", "slices", "html s", "json s", "load s",
	       "html2 s", "peak MiB", "html x", "all x");
	for (int32_t i = 0; i < n; i++) {
		int32_t s = sizes[i];
		double f[5], total;
		char buf[128] = {0};
		int pipefd[2], status;
		pid_t pid;

		ROWS = rows_per_slice ? rows_per_slice * s : 200000;
		if (s < 1 || pipe(pipefd) || (pid = fork()) < 0)
			return 1;
		if (pid == 0) {
			close(pipefd[0]);
			_exit(run(s, pipefd[1]) ? 1 : 0);
		}
		close(pipefd[1]);
		if (read(pipefd[0], buf, sizeof buf - 1) <= 0 || waitpid(pid, &status, 0) < 0 ||
		    sscanf(buf, "%lf %lf %lf %lf %lf", &f[0], &f[1], &f[2], &f[3], &f[4]) != 5)
			return 1;
		close(pipefd[0]);
		total = f[0] + f[1] + f[2] + f[3];
		printf("%8d %9.3f %9.3f %9.3f %9.3f %9.0f", (int)s, f[0], f[1], f[2], f[3], f[4]);
		if (prev)
			printf(" %9.2f %9.2f  (slices x%.2g)", f[0] / prev_html, total / prev_total,
			       (double)s / prev);
		printf("\n");
		fflush(stdout);
		prev = s;
		prev_total = total;
		prev_html = f[0];
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const int32_t dflt[] = {1000, 2000, 4000, 20000};
	int32_t sizes[64], n = 0;

	for (int i = 1; i < argc && n < 64; i++)
		sizes[n++] = atoi(argv[i]);
	if (!n)
		for (n = 0; n < 4; n++)
			sizes[n] = dflt[n];
	printf("report writers: S slices of %d random rows each\n", SLICE_ROWS);
	return series(n, sizes, 0) || series(n, sizes, 50);
}
