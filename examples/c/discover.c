/*
 * discover.c - find where a model fails through libfaultline, as
 * `faultline discover` does, and print the top slices.
 *
 *   discover DATA_DIR
 *
 * DATA_DIR holds labels.npy (N true labels), probs.npy (N x C softmax
 * outputs), emb.npy (N x D embedding) and meta.csv (N rows, an "id"
 * column): examples/fashion_mnist/data, for instance.
 */
#include <faultline.h>
#include <faultline/pipeline.h>

#include <stdio.h>

int main(int argc, char **argv)
{
	fl_array *labels = NULL, *probs = NULL, *emb = NULL;
	fl_table *meta = NULL;
	fl_report *report = NULL;
	fl_data data = FL_DATA_INIT;
	fl_discover_opts opts = FL_DISCOVER_OPTS_INIT;
	fl_view view = {"emb", NULL, 0, "emb.npy"};
	char p[4][4096];
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
		return 2;
	}
	snprintf(p[0], sizeof p[0], "%s/labels.npy", argv[1]);
	snprintf(p[1], sizeof p[1], "%s/probs.npy", argv[1]);
	snprintf(p[2], sizeof p[2], "%s/emb.npy", argv[1]);
	snprintf(p[3], sizeof p[3], "%s/meta.csv", argv[1]);
	/* The arrays are memory-mapped and read in place: keep them open
	 * until the report is freed. */
	if ((rc = fl_array_open(&labels, p[0], NULL)) != 0 ||
	    (rc = fl_array_open(&probs, p[1], NULL)) != 0 ||
	    (rc = fl_array_open(&emb, p[2], NULL)) != 0 ||
	    (rc = fl_table_read_csv(&meta, p[3])) != 0 ||
	    (rc = fl_array_i64(labels, &data.labels)) != 0 ||
	    (rc = fl_array_f32(probs, &data.probs)) != 0 ||
	    (rc = fl_array_f32(emb, &view.x)) != 0)
		goto cleanup;
	view.dim = fl_array_cols(emb);
	data.n = fl_array_rows(labels);
	data.n_classes = (int32_t)fl_array_cols(probs);
	data.views = &view;
	data.n_views = 1;
	data.meta = meta;
	data.id_column = "id";
	opts.top = 5;
	if ((rc = fl_discover(&report, &data, &opts)) != 0)
		goto cleanup;

	printf("%-4s %6s %8s %6s  %s\n", "id", "size", "failure", "lift", "description");
	for (int32_t i = 0; i < fl_report_n_slices(report); i++) {
		const fl_candidate *s = fl_report_slice(report, i);
		/* the method's own rule (predicates, direction), else the best
		 * metadata conjunction, else where it was found */
		const char *what = s->description ? s->description
				 : s->explanation ? s->explanation : s->method;

		printf("S%-3d %6lld %7.1f%% %6.2f  %s\n", (int)i + 1, (long long)s->stats.size,
		       100 * s->stats.failure_rate, s->stats.lift, what);
	}
cleanup:
	if (rc != 0)
		fprintf(stderr, "discover: %s\n", fl_last_error());
	fl_report_free(report);
	fl_table_free(meta);
	fl_array_free(emb);
	fl_array_free(probs);
	fl_array_free(labels);
	return rc == 0 ? 0 : 1;
}
