/*
 * Same data, same rows: every slice fl_discover reports, saved as JSON
 * (fl_report_save), read back (fl_saved_report_load) and applied to the
 * data it was found in (fl_apply), selects exactly its members and its
 * holdout members: for every spec type (predicates, centroid, direction,
 * mixture_component), every predicate (values, ranges, missing, sets,
 * negations, the derived label and predicted columns, in the rich and the
 * SliceLine language) and every value. The metadata are hostile on purpose:
 * +-1e300, 1e-300, subnormals, -0, +-inf (also written as 1e999),
 * values on bin edges, heavy ties, missing cells in several spellings,
 * 17-digit decimals, categorical levels with quotes, commas, line breaks,
 * control and invalid UTF-8 bytes, long levels, many levels, odd column
 * names. The hostile values lean towards failing rows, so that the
 * predicate search builds slices on them. Seeded (FL_TEST_SEED replays).
 */
#include "check.h"

#include <string.h>
#include <unistd.h>

#include "faultline.h"

#define N_ROWS 2400

/* A cell of a CSV file, quoted when it needs to be. */
static void put_cell(FILE *fp, const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', fp);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', fp);
			fputc(*s, fp);
		}
		fputc('"', fp);
	} else {
		fputs(s, fp);
	}
	fputc(last ? '\n' : ',', fp);
}

static const char *pick(const char *const *v, size_t n, uint64_t *rng)
{
	return v[check_rand(rng) % n];
}

#define PICK(v, rng) pick(v, sizeof v / sizeof v[0], rng)

/* Planted groups of rows (5% each, failing 80%) on hostile values, so
 * that the search builds slices on them: +inf, -inf, an invalid UTF-8
 * level, a level of a column whose name is invalid UTF-8, a missing cell. */
enum { G_NONE, G_INF, G_NEG_INF, G_BYTES, G_NAME, G_MISSING, N_GROUPS };

/* The metadata of a synthetic set, with hostile columns, written to path. */
static int write_meta(const char *path, const fl_synth *s, const int *group, uint64_t seed)
{
	static const char *const weather[] = {"sunny", "rain", "night"}, *const camera[] = {"A", "B", "C"};
	static const char *const missing[] = {"", "NA", " nan ", "NULL", "None", "n/a", "NaN", "-nan"};
	/* few distinct values: one predicate per value */
	static const char *const mag[] = {"1e300", "-1e300", "1e-300", "-1E-300", "0", "-0", "-0.0",
		"4.9406564584124654e-324", "1.7976931348623157e308", "-1.7976931348623157e308"};
	static const char *const pos_inf[] = {"inf", "+INF", "Infinity", "1e999"};
	static const char *const neg_inf[] = {"-inf", "-Infinity", "-1e999"};
	static const char *const flag[] = {"yes", "No", "T", "f", "TRUE", "false", "Y", "n"};
	static const char *const odd[] = {"a,b", "say \"hi\"", "line\nbreak", "cr\r\nlf", "caf\xc3\xa9",
		" spaced ", "\001ctl", "\x1b[31mred\x1b[0m", "back\\slash", "tab\there", "\xf0\x9f\x98\x80",
		"\xc3", "{\"json\":1}", "true", "-0", "</script>", "\xed\xa0\x80", "\\u0041"};
	uint64_t rng = seed ^ 0x5eedULL;
	char long_level[400], name[64], num[64];
	FILE *fp = fopen(path, "wb");

	if (!fp)
		return -1;
	memset(long_level, 'x', sizeof long_level - 1);
	long_level[sizeof long_level - 1] = 0;
	long_level[7] = '\xe9'; /* invalid UTF-8 in a long level */
	fputs("id,weather,camera,age,mag,wide,ties,tiny,tenths,odd,many,flag,empty,konst,"
	      "\"odd \"\"name\"\", \xff\",mixed\n", fp);
	for (int64_t i = 0; i < s->n; i++) {
		int bad = s->labels[i] != s->preds[i], g = group[i];
		double u = check_uniform(&rng), x;

		snprintf(name, sizeof name, "r%lld", (long long)i);
		put_cell(fp, name, 0);
		put_cell(fp, weather[s->weather[i]], 0);
		put_cell(fp, camera[s->camera[i]], 0);
		snprintf(num, sizeof num, "%d", (int)s->age[i]);
		put_cell(fp, num, 0);
		/* mag: +-inf in their groups (and now and then elsewhere) */
		put_cell(fp, g == G_INF || u < 0.01 ? PICK(pos_inf, &rng) :
			 g == G_NEG_INF || u > 0.99 ? PICK(neg_inf, &rng) :
			 u < 0.05 ? PICK(missing, &rng) : PICK(mag, &rng), 0);
		/* wide: many distinct values over the whole double range, +-inf at the ends */
		u = check_uniform(&rng);
		x = (check_uniform(&rng) - 0.5) * pow(10.0, floor(600 * check_uniform(&rng)) - 300);
		if (bad && u < 0.3)
			x = u < 0.15 ? INFINITY : 1e300 * (1 + u);
		else if (u > 0.97)
			x = -INFINITY;
		snprintf(num, sizeof num, "%.17g", x);
		put_cell(fp, g == G_MISSING ? PICK(missing, &rng) : num, 0);
		/* ties: integers with long runs, so that cuts land on data values */
		u = check_uniform(&rng);
		snprintf(num, sizeof num, "%d", bad && u < 0.4 ? 29 : (int)(30 * check_uniform(&rng)) % 30);
		put_cell(fp, num, 0);
		/* tiny: subnormals and their neighbours, and both zeros */
		u = check_uniform(&rng);
		x = (double)(check_rand(&rng) % 40) * 4.9406564584124654e-324 * (u < 0.5 ? -1 : 1);
		if (bad && u < 0.4)
			x = 1e-300 * (double)(1 + check_rand(&rng) % 5);
		snprintf(num, sizeof num, "%.17g", x);
		put_cell(fp, num, 0);
		/* tenths: k * 0.1 in double, 17 digits */
		u = check_uniform(&rng);
		snprintf(num, sizeof num, "%.17g", (double)(check_rand(&rng) % 60) * 0.1 + (bad && u < 0.3 ? 7 : 0));
		put_cell(fp, num, 0);
		/* odd levels; the invalid UTF-8 one is a group */
		u = check_uniform(&rng);
		put_cell(fp, g == G_BYTES ? "\xff\xfe bytes" : u < 0.03 ? "" : u < 0.05 ? long_level :
			 PICK(odd, &rng), 0);
		/* many levels */
		u = check_uniform(&rng);
		snprintf(num, sizeof num, "L%03d", bad && u < 0.3 ? 7 : (int)(check_rand(&rng) % 300));
		put_cell(fp, num, 0);
		u = check_uniform(&rng);
		put_cell(fp, u < 0.05 ? "" : bad && u < 0.4 ? "yes" : PICK(flag, &rng), 0);
		put_cell(fp, PICK(missing, &rng), 0);
		put_cell(fp, "42", 0);
		snprintf(num, sizeof num, "v\xff%d", g == G_NAME ? 9 : (int)(check_rand(&rng) % 4));
		put_cell(fp, num, 0);
		/* mixed spellings of numbers: spaces, signs, exponents */
		u = check_uniform(&rng);
		snprintf(num, sizeof num, u < 0.3 ? " %.3e " : u < 0.6 ? "+%.17g" : "%.1f",
			 bad && u < 0.3 ? 1e5 : floor(1000 * check_uniform(&rng)) / 8);
		put_cell(fp, num, 1);
	}
	return fclose(fp);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* members + holdout members of a, sorted, against b's members (sorted). */
static int same_rows(const fl_candidate *a, const fl_candidate *b, int64_t *buf, int64_t *buf2)
{
	int64_t m = a->n_members + a->n_holdout_members;

	if (m != b->n_members)
		return 0;
	memcpy(buf, a->members, (size_t)a->n_members * sizeof *buf);
	if (a->n_holdout_members)
		memcpy(buf + a->n_members, a->holdout_members, (size_t)a->n_holdout_members * sizeof *buf);
	memcpy(buf2, b->members, (size_t)m * sizeof *buf2);
	qsort(buf, (size_t)m, sizeof *buf, cmp_i64);
	qsort(buf2, (size_t)m, sizeof *buf2, cmp_i64);
	return !memcmp(buf, buf2, (size_t)m * sizeof *buf);
}

/* What the slices of a run exercised: a bit per spec type, and per
 * hostile value the predicates were built on. */
enum {
	SEEN_PREDICATES = 1, SEEN_CENTROID = 2, SEEN_DIRECTION = 4, SEEN_MIXTURE = 8,
	SEEN_INF = 16, SEEN_NEG_INF = 32, SEEN_VALUE_HEX = 64, SEEN_COLUMN_HEX = 128,
	SEEN_MISSING = 256, SEEN_IN_SET = 512, SEEN_NE = 1024, SEEN_LABEL = 2048, SEEN_PREDICTED = 4096,
	SEEN_ALL = 8191
};

static int seen(const char *spec)
{
	return (strstr(spec, "\"type\":\"predicates\"") ? SEEN_PREDICATES : 0) |
	       (strstr(spec, "\"type\":\"centroid\"") ? SEEN_CENTROID : 0) |
	       (strstr(spec, "\"type\":\"direction\"") ? SEEN_DIRECTION : 0) |
	       (strstr(spec, "\"type\":\"mixture_component\"") ? SEEN_MIXTURE : 0) |
	       (strstr(spec, "\"value\":\"inf\"") ? SEEN_INF : 0) |
	       (strstr(spec, "\"value\":\"-inf\"") ? SEEN_NEG_INF : 0) |
	       (strstr(spec, "\"value_hex\":") ? SEEN_VALUE_HEX : 0) |
	       (strstr(spec, "\"column_hex\":") ? SEEN_COLUMN_HEX : 0) |
	       (strstr(spec, "\"value\":null") ? SEEN_MISSING : 0) |
	       (strstr(spec, "\"op\":\"in_set\"") ? SEEN_IN_SET : 0) |
	       (strstr(spec, "\"op\":\"!=\"") ? SEEN_NE : 0) |
	       (strstr(spec, "\"derived\":\"label\"") ? SEEN_LABEL : 0) |
	       (strstr(spec, "\"derived\":\"predicted\"") ? SEEN_PREDICTED : 0);
}

/* Discover, save, load, apply: every slice must select its own rows. */
static void round_trip(const fl_data *d, const fl_discover_opts *o, const char *prefix, int *types)
{
	fl_report *r = NULL, *ra = NULL;
	fl_saved_report *saved = NULL;
	char json[600], model[640];
	int64_t *buf = malloc(2 * (size_t)d->n * sizeof *buf);

	snprintf(json, sizeof json, "%s.json", prefix);
	CHECK_RC(fl_discover(&r, d, o), 0);
	CHECK_RC(fl_report_save(r, json, NULL, 0), 0);
	CHECK_RC(fl_saved_report_load(&saved, json), 0);
	CHECK_RC(fl_apply(&ra, saved, d, NULL), 0);
	CHECK(r && ra && buf && fl_report_n_slices(ra) == fl_report_n_slices(r));
	for (int32_t i = 0; r && ra && buf && i < fl_report_n_slices(r) && i < fl_report_n_slices(ra); i++) {
		const fl_candidate *a = fl_report_slice(r, i), *b = fl_report_slice(ra, i);
		int ok = same_rows(a, b, buf, buf + d->n);

		*types |= seen(a->spec_json);
		CHECK(ok);
		if (!ok)
			fprintf(stderr, "  slice %d (%s/%s): %lld + %lld members, applied %lld; spec %.600s\n",
				(int)i, a->method, a->view, (long long)a->n_members,
				(long long)a->n_holdout_members, (long long)b->n_members, a->spec_json);
	}
	fl_report_free(ra);
	fl_saved_report_free(saved);
	fl_report_free(r);
	free(buf);
	unlink(json);
	for (int32_t v = 0; v < d->n_views; v++) {
		snprintf(model, sizeof model, "%s.mixture-%s.npz", prefix, d->views[v].name);
		unlink(model);
	}
}

/* Every method alone and all together, with and without a holdout, per
 * class or not, on one synthetic set. */
static void run_seed(uint64_t seed, int *types)
{
	/* then SliceLine's predicates (values and bins only), then predicates
	 * on the model's errors (failure from the labels: the derived columns) */
	static const uint32_t methods[] = {0, FL_METHOD_PREDICATES, FL_METHOD_MIXTURE,
		FL_METHOD_KMEANS, FL_METHOD_DIRECTION, FL_METHOD_PREDICATES, FL_METHOD_PREDICATES};
	fl_synth_opts so = FL_SYNTH_OPTS_INIT;
	fl_synth s;
	fl_table *meta = NULL;
	fl_view v[2] = {{"emb", NULL, 0, "emb.npy"}, {"emb2", NULL, 0, "emb2.npy"}};
	fl_data d = FL_DATA_INIT;
	char csv[512], prefix[512];
	int *group = NULL;
	double *failure = NULL;
	uint64_t rng = seed;

	so.n = N_ROWS;
	so.d = 8;
	so.n_classes = 4;
	so.n_slices = 3;
	so.slice_frac = 0.04;
	so.seed = seed;
	so.meta_slice = 1;
	so.view2 = seed % 2;
	so.d2 = 6;
	CHECK_RC(fl_synth_generate(&s, &so), 0);
	group = calloc((size_t)s.n, sizeof *group);
	failure = calloc((size_t)s.n, sizeof *failure);
	CHECK(group && failure);
	if (!group || !failure)
		goto cleanup;
	/* the failure: the model's errors (none on classes 0 and 1), and 80% in
	 * each planted group, in `label != 0 AND weather = rain AND camera != C`
	 * (a negation on the derived label column: `predicted != 0` would hold
	 * class 0's errors, which do not fail here) and in `predicted = 1 AND
	 * camera = A` (`label = 1` would miss the rows wrongly called 1) */
	for (int64_t i = 0; i < s.n; i++) {
		double u = check_uniform(&rng);
		int rule = (s.labels[i] != 0 && s.weather[i] == 1 && s.camera[i] != 2) ||
			   (s.preds[i] == 1 && s.camera[i] == 0);

		group[i] = u < 0.05 * (N_GROUPS - 1) ? 1 + (int)(u / 0.05) : G_NONE;
		failure[i] = group[i] || rule ? check_uniform(&rng) < 0.8 :
			     s.labels[i] > 1 && s.labels[i] != s.preds[i];
	}
	snprintf(csv, sizeof csv, "%s/same_rows_%llu.csv", FL_TEST_TMP, (unsigned long long)seed);
	snprintf(prefix, sizeof prefix, "%s/same_rows_%llu", FL_TEST_TMP, (unsigned long long)seed);
	CHECK(write_meta(csv, &s, group, seed) == 0);
	CHECK_RC(fl_table_read_csv(&meta, csv), 0);
	v[0].x = s.emb;
	v[0].dim = s.d;
	v[1].x = s.emb2;
	v[1].dim = s.d2;
	d.n = s.n;
	d.labels = s.labels;
	d.probs = s.probs;
	d.n_classes = s.n_classes;
	d.failure = failure;
	d.views = v;
	d.n_views = so.view2 ? 2 : 1;
	d.meta = meta;
	d.id_column = "id";
	for (size_t m = 0; meta && m < sizeof methods / sizeof methods[0]; m++) {
		fl_discover_opts o = FL_DISCOVER_OPTS_INIT;

		o.methods = methods[m];
		o.seed = seed + m;
		o.top = 40;
		o.components = 8;
		o.pca_dims = 6;
		o.threads = 2;
		o.bins = 8 + (int32_t)((seed + m) % 5);
		o.min_support = 20;
		o.holdout = (seed + m) % 3 != 2;
		o.normalize = (seed + m) % 2;
		o.per_class = (seed + m) % 4 < 2;
		o.model_prefix = prefix;
		o.predicate_language = m == 5;
		o.max_set = 2 + (int32_t)((seed + m) % 3);
		d.failure = m == 6 ? NULL : failure;
		round_trip(&d, &o, prefix, types);
	}
cleanup:
	fl_table_free(meta);
	unlink(csv);
	free(group);
	free(failure);
	fl_synth_clear(&s);
}

int main(void)
{
	uint64_t seed = check_seed(20261211);
	int types = 0;

	for (uint64_t k = 0; k < 4; k++)
		run_seed(seed + k, &types);
	/* every spec type and every planted hostile value made a slice */
	CHECK_EQ_INT(types, SEEN_ALL);
	return check_done();
}
