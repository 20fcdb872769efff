/*
 * faultline synth: write a synthetic evaluation set with planted failing
 * slices (see faultline/synth.h) as .npy files plus a metadata CSV, so the
 * discovery methods can be tried, and tested, against known ground truth.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_meta(const char *path, const fl_synth *s)
{
	char tmp[4300];
	FILE *fp;
	int fd, ok;

	snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0 || !(fp = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		return fail(EXIT_OUTPUT, "%s: cannot write: %s", path, strerror(errno));
	}
	static const char *const weather[] = {"sunny", "rain", "night"}, *const camera[] = {"A", "B", "C"};

	fchmod(fd, 0644);
	fputs(s->weather ? "id,class,weather,camera,age\n" : "id,class\n", fp);
	for (int64_t i = 0; i < s->n; i++) {
		fprintf(fp, "row-%06lld,class-%lld", (long long)i, (long long)s->labels[i]);
		if (s->weather)
			fprintf(fp, ",%s,%s,%d", weather[s->weather[i]], camera[s->camera[i]],
				(int)s->age[i]);
		fputc('\n', fp);
	}
	ok = fflush(fp) == 0 && !ferror(fp);
	ok = (fclose(fp) == 0) && ok;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return fail(EXIT_OUTPUT, "%s: write failed: %s", path, strerror(errno));
	}
	return 0;
}

static int write_all(const char *dir, const fl_synth *s)
{
	const struct {
		const char *file;
		const void *data;
		fl_dtype dtype;
		int64_t cols;
	} files[] = {
		{"emb.npy", s->emb, FL_DT_F32, s->d},
		{"labels.npy", s->labels, FL_DT_I64, 0},
		{"preds.npy", s->preds, FL_DT_I64, 0},
		{"probs.npy", s->probs, FL_DT_F32, s->n_classes},
		{"truth.npy", s->truth, FL_DT_I32, 0},
		{"emb2.npy", s->emb2, FL_DT_F32, s->d2},
	};
	char path[4200];

	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return fail(EXIT_OUTPUT, "%s: cannot create directory: %s", dir, strerror(errno));
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (!files[i].data)
			continue;
		if (snprintf(path, sizeof path, "%s/%s", dir, files[i].file) >= (int)sizeof path)
			return fail(EXIT_OUTPUT, "%s: path too long", dir);
		if (fl_npy_write(path, files[i].data, files[i].dtype, s->n, files[i].cols))
			return fail(EXIT_OUTPUT, "%s", fl_last_error());
	}
	snprintf(path, sizeof path, "%s/meta.csv", dir);
	return write_meta(path, s);
}

int cmd_synth(int argc, char **argv)
{
	fl_synth_opts so = FL_SYNTH_OPTS_INIT;
	fl_synth s = {0};
	const char *out = NULL;
	int64_t n = so.n, d = so.d, classes = so.n_classes, slices = so.n_slices, d2 = 0;
	int64_t seed = (int64_t)so.seed;
	int no_symmetric = 0, rc;
	const opt table[] = {
		{"out", OPT_STR, "DIR", "directory to write (created if missing)", &out, NULL},
		{"n", OPT_INT, "N", "samples (default)", &n, NULL},
		{"d", OPT_INT, "D", "embedding dimension (default)", &d, NULL},
		{"classes", OPT_INT, "C", "classes (default)", &classes, NULL},
		{"slices", OPT_INT, "S", "planted failing slices (default)", &slices, NULL},
		{"slice-frac", OPT_NUM, "F", "fraction of samples in each slice (default)", &so.slice_frac, NULL},
		{"base-error", OPT_NUM, "E", "error rate outside the slices (default)", &so.base_error, NULL},
		{"slice-error", OPT_NUM, "E", "error rate inside the slices (default)", &so.slice_error, NULL},
		{"no-symmetric", OPT_FLAG, NULL, "plant only confusion slices (no symmetric label noise)", &no_symmetric, NULL},
		{"view2", OPT_FLAG, NULL, "also write a view emb2.npy (slices 0, 1, 4, 5, ... visible)", &so.view2, NULL},
		{"d2", OPT_INT, "D", "dimension of the second view (default: D)", &d2, NULL},
		{"meta-slice", OPT_FLAG, NULL, "weather, camera, age columns; plant weather=night AND camera=B", &so.meta_slice, NULL},
		{"seed", OPT_INT, "S", "random seed (default)", &seed, NULL},
		{NULL, OPT_FLAG, NULL, NULL, NULL, NULL}
	};

	rc = opts_parse(table, argc, argv, "synth", "--out DIR [options]", NULL);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (!out)
		return usage_error("synth", "need --out DIR");
	if (n < 1 || d < 1 || classes < 2 || classes > 100000 || slices < 0 || slices > 1000 || d2 < 0)
		return usage_error("synth", "need n >= 1, d >= 1, 2 <= classes <= 100000, 0 <= slices <= 1000, d2 >= 0");
	if (d2 && !so.view2)
		return usage_error("synth", "--d2 needs --view2");
	so.n = n;
	so.d = d;
	so.n_classes = (int32_t)classes;
	so.n_slices = (int32_t)slices;
	so.symmetric = !no_symmetric;
	so.seed = (uint64_t)seed;
	so.d2 = d2;
	if ((rc = fl_synth_generate(&s, &so)))
		return rc == FL_ENOMEM ? fail(EXIT_INTERNAL, "%s", fl_last_error()) :
		       usage_error("synth", "%s", fl_last_error());
	rc = write_all(out, &s);
	if (rc == 0)
		printf("wrote %lld samples, %d planted slices%s to %s/\n", (long long)s.n,
		       (int)s.n_slices, s.meta_slice >= 0 ? " and a metadata slice" : "", out);
	fl_synth_clear(&s);
	return rc;
}
