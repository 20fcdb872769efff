/*
 * Shared by the spec fuzz targets (fuzz_spec.c, fuzz_saved_report.c): a
 * small fixed fl_spec_data every spec type can be applied to, built once
 * in a private temporary folder: N rows, view "e" of dimension D, a
 * metadata table (categorical, boolean and numeric columns, missing cells
 * in each), labels, predictions, probabilities of C classes, and a mixture model fitted
 * on the view and saved as "m.npz" in that folder (the data's base_dir,
 * so that a spec naming {"file":"m.npz"} finds it). The corpora's seed
 * specs use these names. Include after fuzz_common.h.
 */
#ifndef FL_FUZZ_SPEC_DATA_H
#define FL_FUZZ_SPEC_DATA_H

#include <stdlib.h>

#include "fuzz_common.h"

enum { FZ_N = 24, FZ_D = 6, FZ_C = 3 };

static const char fz_csv[] =
	"id,class,weather,camera,age,flag\n"
	"r0,class-0,night,A,23,true\n"  "r1,class-1,rain,B,27,false\n"
	"r2,class-2,night,B,,true\n"    "r3,class-0,sun,A,40,\n"
	"r4,class-1,night,B,31,false\n" "r5,class-2,NA,A,19,true\n"
	"r6,class-0,rain,B,55,false\n"  "r7,class-1,night,A,inf,true\n"
	"r8,class-2,sun,B,62,false\n"   "r9,class-0,night,B,23,true\n"
	"r10,class-1,rain,A,-inf,false\n" "r11,class-2,night,B,33,true\n"
	"r12,class-0,sun,A,47,false\n"  "r13,class-1,night,B,28,true\n"
	"r14,class-2,rain,A,36,false\n" "r15,class-0,night,B,44,true\n"
	"r16,class-1,sun,A,21,false\n"  "r17,class-2,night,B,39,true\n"
	"r18,class-0,rain,A,50,false\n" "r19,class-1,night,B,25,true\n"
	"r20,class-2,sun,A,58,false\n"  "r21,class-0,night,B,30,true\n"
	"r22,class-1,rain,A,42,false\n" "r23,class-2,night,B,35,true\n";

static struct {
	int ready;              /* 1 built, -1 failed (every input is then skipped) */
	char dir[4096];
	float x[FZ_N * FZ_D];
	int64_t labels[FZ_N];
	int64_t preds[FZ_N];
	float probs[FZ_N * FZ_C];
	fl_spec_view view;
	fl_table *table;
	fl_spec_data data;
} fz;

static const int64_t fz_rows[] = {3, 0, 23, 7, 7, 12};

static void fz_cleanup(void)
{
	char path[4200];

	snprintf(path, sizeof path, "%s/m.npz", fz.dir);
	unlink(path);
	rmdir(fz.dir);
	fl_table_free(fz.table);
}

/* Deterministic rows: three clusters along the label, plus a wobble. */
static int fz_build(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[4200];
	fl_pca pca;
	fl_mixture mx;
	fl_mixture_opts mo = FL_MIXTURE_OPTS_INIT;
	FILE *f;
	int rc;

	memset(&pca, 0, sizeof pca);
	memset(&mx, 0, sizeof mx);
	snprintf(fz.dir, sizeof fz.dir, "%s/fl_fuzz_spec_XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fz.dir))
		return -1;
	atexit(fz_cleanup);
	for (int i = 0; i < FZ_N; i++) {
		fz.labels[i] = i % FZ_C;
		fz.preds[i] = (i * 5) % FZ_C;
		for (int j = 0; j < FZ_D; j++)
			fz.x[i * FZ_D + j] = (float)(3 * (i % FZ_C == j % FZ_C) +
						     0.25 * ((i * 7 + j * 3) % 5) - 0.5);
		for (int c = 0; c < FZ_C; c++)
			fz.probs[i * FZ_C + c] = c == (i * 5) % FZ_C ? 0.8f : 0.1f;
	}
	snprintf(path, sizeof path, "%s/meta.csv", fz.dir);
	if (!(f = fopen(path, "w")))
		return -1;
	fputs(fz_csv, f);
	if (fclose(f) != 0 || fl_table_read_csv(&fz.table, path) != 0)
		return -1;
	unlink(path);
	mo.k = 3;
	mo.max_iter = 5;
	snprintf(path, sizeof path, "%s/m.npz", fz.dir);
	rc = fl_pca_fit(&pca, fz.x, FZ_N, FZ_D, FZ_D, NULL);
	if (rc == 0) {
		float z[FZ_N * FZ_D];

		rc = fl_pca_transform(z, pca.r, &pca, fz.x, FZ_N, FZ_D, 1);
		if (rc == 0)
			rc = fl_mixture_fit(&mx, z, FZ_N, pca.r, pca.r, fz.labels, fz.probs, FZ_C,
					    NULL, &mo);
		if (rc == 0)
			rc = fl_mixture_model_save(path, &pca, &mx);
	}
	fl_pca_clear(&pca);
	fl_mixture_clear(&mx);
	if (rc != 0)
		return -1;
	fz.view.name = "e";
	fz.view.x = fz.x;
	fz.view.dim = FZ_D;
	fz.data = (fl_spec_data)FL_SPEC_DATA_INIT;
	fz.data.n = FZ_N;
	fz.data.views = &fz.view;
	fz.data.n_views = 1;
	fz.data.table = fz.table;
	fz.data.labels = fz.labels;
	fz.data.preds = fz.preds;
	fz.data.probs = fz.probs;
	fz.data.n_classes = FZ_C;
	fz.data.base_dir = fz.dir;
	return 1;
}

/* The data, or NULL when they could not be built (said once on stderr). */
static const fl_spec_data *fz_data(void)
{
	if (!fz.ready) {
		fz.ready = fz_build();
		if (fz.ready < 0)
			fprintf(stderr, "fuzz: cannot build the spec data: %s\n", fl_last_error());
	}
	return fz.ready > 0 ? &fz.data : NULL;
}

/* Apply a spec to every row and to a few (repeated, unordered) rows. */
static void fz_apply(const char *spec_json)
{
	uint8_t member[FZ_N];
	const int64_t m = (int64_t)(sizeof fz_rows / sizeof fz_rows[0]);
	int s = 0;

	if (fl_spec_apply(member, spec_json, &fz.data, NULL, FZ_N) == 0)
		for (int i = 0; i < FZ_N; i++)
			s += member[i];
	if (fl_spec_apply(member, spec_json, &fz.data, fz_rows, m) == 0)
		for (int64_t i = 0; i < m; i++)
			s += member[i];
	fuzz_sink = s;
}

#endif
