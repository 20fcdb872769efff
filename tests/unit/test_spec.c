/* Slice specs applied to rows: each spec type against rows worked out by
 * hand (predicates: ==, in, missing, in_set, != and the derived true and
 * predicted class), and malformed specs / missing inputs failing with a
 * clear one-line message;
 * non-finite metadata (NaN is missing, +-inf are values at the ends of the
 * order) and text that is not UTF-8 (its "_hex" form). */
#include "faultline.h"
#include "check.h"
#include "spec/spec_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int apply(uint8_t *m, const char *spec, const fl_spec_data *d)
{
	return fl_spec_apply(m, spec, d, NULL, d->n);
}

static int same(const uint8_t *m, const char *want)
{
	for (size_t i = 0; i < strlen(want); i++)
		if (m[i] != (uint8_t)(want[i] - '0'))
			return 0;
	return 1;
}

#define PRED(p) "{\"type\":\"predicates\",\"predicates\":[" p "]}"

/* +-inf, NaN and bytes that are not UTF-8 in the metadata. */
static void test_hostile(void)
{
	char path[512];
	FILE *fp;
	fl_table *t = NULL;
	fl_spec_data d = FL_SPEC_DATA_INIT;
	uint8_t m[6];

	snprintf(path, sizeof path, "%s/spec_hostile.csv", FL_TEST_TMP);
	fp = fopen(path, "wb");
	CHECK(fp != NULL);
	if (!fp)
		return;
	fputs("x,\"c\xff\"\n5,caf\xe9\n inf ,cafe\n-Infinity,\n1e999,caf\xe9\nnan,x\n-nan,\xff\xfe\n", fp);
	CHECK(fclose(fp) == 0);
	CHECK_RC(fl_table_read_csv(&t, path), FL_OK);
	unlink(path);
	if (!t)
		return;
	d.n = 6;
	d.table = t;
	CHECK_EQ_INT(fl_table_missing(t, 0), 2); /* nan, -nan */
	/* open ends hold the infinities, which are values, not missing */
	CHECK_RC(apply(m, PRED("{\"column\":\"x\",\"op\":\"in\",\"low\":5,\"high\":null}"), &d), FL_OK);
	CHECK(same(m, "110100"));
	CHECK_RC(apply(m, PRED("{\"column\":\"x\",\"op\":\"in\",\"low\":null,\"high\":5}"), &d), FL_OK);
	CHECK(same(m, "001000"));
	CHECK_RC(apply(m, PRED("{\"column\":\"x\",\"op\":\"==\",\"value\":\"inf\"}"), &d), FL_OK);
	CHECK(same(m, "010100"));
	CHECK_RC(apply(m, PRED("{\"column\":\"x\",\"op\":\"==\",\"value\":\"-inf\"}"), &d), FL_OK);
	CHECK(same(m, "001000"));
	CHECK_RC(apply(m, PRED("{\"column\":\"x\",\"op\":\"==\",\"value\":null}"), &d), FL_OK);
	CHECK(same(m, "000011"));
	CHECK_RC(apply(m, PRED("{\"column\":\"x\",\"op\":\"==\",\"value\":\"five\"}"), &d), FL_OK);
	CHECK(same(m, "000000")); /* another type than the column's: no row */
	/* the predicate search's own test agrees: the last bin holds +inf */
	{
		fl_predicate last = {0, FL_PRED_RANGE, -1, 5, INFINITY, 0, NULL, 0, NULL};

		CHECK(fl_predicate_match(&last, t, 1) && fl_predicate_match(&last, t, 3) &&
		      fl_predicate_match(&last, t, 0) && !fl_predicate_match(&last, t, 4));
	}
	/* text that is not UTF-8: its bytes in hex (column and value) */
	CHECK_RC(apply(m, PRED("{\"column\":\"c?\",\"column_hex\":\"63ff\",\"op\":\"==\","
			       "\"value\":\"caf?\",\"value_hex\":\"636166e9\"}"), &d), FL_OK);
	CHECK(same(m, "100100"));
	CHECK_RC(apply(m, PRED("{\"column\":\"c\xff\",\"op\":\"==\",\"value\":\"\xff\xfe\"}"), &d), FL_OK);
	CHECK(same(m, "000001"));
	CHECK_RC(apply(m, PRED("{\"column\":\"c\",\"column_hex\":\"63f\",\"op\":\"==\",\"value\":\"x\"}"), &d),
		 FL_EFORMAT);
	CHECK_RC(apply(m, PRED("{\"column\":\"c\",\"column_hex\":\"6300\",\"op\":\"==\",\"value\":\"x\"}"), &d),
		 FL_EFORMAT);
	CHECK_RC(apply(m, PRED("{\"column\":\"c\xff\",\"op\":\"==\",\"value\":\"x\",\"value_hex\":\"zz\"}"), &d),
		 FL_EFORMAT);
	CHECK(strstr(fl_last_error(), "value_hex") != NULL);
	CHECK_RC(apply(m, PRED("{\"column\":\"c\xff\",\"op\":\"in\",\"low\":1,\"high\":2}"), &d), FL_EFORMAT);
	fl_table_free(t);
}

/* The predicates of the rich language, by hand: sets and negations (no
 * missing cell in either), the true and predicted class by number, and
 * one malformed spec of each kind refused with a one-line message. */
static void test_sets_and_classes(void)
{
	/* color: red, blue, red, (missing), blue; night: t f f t t */
	fl_table *t = NULL;
	int64_t labels[5] = {0, 1, 1, 0, 2}, preds[5] = {0, 2, 1, 1, 2};
	fl_spec_data d = FL_SPEC_DATA_INIT;
	uint8_t m[5];
	static const struct {
		const char *spec, *field; /* field: what the message must name */
		int rc;
	} bad[] = {
		{PRED("{\"column\":\"color\",\"op\":\"in_set\"}"), "predicates[0].values", FL_EFORMAT},
		{PRED("{\"column\":\"color\",\"op\":\"in_set\",\"values\":\"red\"}"), "values", FL_EFORMAT},
		{PRED("{\"column\":\"color\",\"op\":\"in_set\",\"values\":[]}"), "values", FL_EFORMAT},
		{PRED("{\"column\":\"color\",\"op\":\"in_set\",\"values\":[\"red\",null]}"), "values", FL_EFORMAT},
		{PRED("{\"column\":\"color\",\"op\":\"in_set\",\"values\":[\"red\"],\"values_hex\":[\"72\",\"65\"]}"),
		 "values_hex", FL_EFORMAT},
		{PRED("{\"column\":\"color\",\"op\":\"in_set\",\"values\":[\"r\"],\"values_hex\":[\"7\"]}"),
		 "values_hex", FL_EFORMAT},
		{PRED("{\"column\":\"age\",\"op\":\"!=\"}"), "predicates[0].value", FL_EFORMAT},
		{PRED("{\"column\":\"age\",\"op\":\"!=\",\"value\":null}"), "value", FL_EFORMAT},
		{PRED("{\"column\":\"color\",\"op\":\"=~\",\"value\":\"red\"}"), "predicates[0].op", FL_EFORMAT},
		{PRED("{\"column\":\"label\",\"derived\":\"truth\",\"op\":\"==\",\"value\":\"a\",\"class\":0}"),
		 "derived", FL_EFORMAT},
		{PRED("{\"column\":\"label\",\"derived\":\"label\",\"op\":\"==\",\"value\":\"a\"}"),
		 "predicates[0].class", FL_EFORMAT},
		{PRED("{\"column\":\"label\",\"derived\":\"label\",\"op\":\"!=\",\"value\":\"a\",\"class\":-1}"),
		 "class", FL_EFORMAT},
		{PRED("{\"column\":\"label\",\"derived\":\"label\",\"op\":\"in\",\"low\":0,\"high\":1}"),
		 "derived", FL_EFORMAT},
		{PRED("{\"column\":\"label\",\"derived\":\"label\",\"op\":\"in_set\",\"values\":[\"a\",\"b\"],"
		      "\"classes\":[0]}"), "classes", FL_EFORMAT},
		{PRED("{\"column\":\"label\",\"derived\":\"label\",\"op\":\"in_set\",\"values\":[\"a\"],"
		      "\"classes\":[0.5]}"), "classes", FL_EFORMAT},
		{PRED("{\"column\":\"age\",\"op\":\"in_set\",\"values\":[10]},{\"column\":\"night\",\"op\":\"in\","
		      "\"low\":0}"), "night", FL_EFORMAT},
	};

	CHECK_RC(fl_table_read_csv(&t, FL_TEST_DATA "/spec_meta.csv"), FL_OK);
	if (!t)
		return;
	d.n = 5;
	d.table = t;
	d.labels = labels;
	d.preds = preds;
	/* sets: any of the values; never a missing cell */
	CHECK_RC(apply(m, PRED("{\"column\":\"color\",\"op\":\"in_set\",\"values\":[\"blue\",\"red\"]}"), &d), FL_OK);
	CHECK(same(m, "11101"));
	CHECK_RC(apply(m, PRED("{\"column\":\"color\",\"op\":\"in_set\",\"values\":[\"blue\",\"green\"]}"), &d), FL_OK);
	CHECK(same(m, "01001"));
	CHECK_RC(apply(m, PRED("{\"column\":\"color\",\"op\":\"in_set\",\"values\":[\"?\"],"
			       "\"values_hex\":[\"726564\"]}"), &d), FL_OK);
	CHECK(same(m, "10100"));
	CHECK_RC(apply(m, PRED("{\"column\":\"age\",\"op\":\"in_set\",\"values\":[25,55,\"x\"]}"), &d), FL_OK);
	CHECK(same(m, "01001"));
	/* negations: has a value, and not this one */
	CHECK_RC(apply(m, PRED("{\"column\":\"color\",\"op\":\"!=\",\"value\":\"red\"}"), &d), FL_OK);
	CHECK(same(m, "01001"));
	CHECK_RC(apply(m, PRED("{\"column\":\"color\",\"op\":\"!=\",\"value\":\"green\"}"), &d), FL_OK);
	CHECK(same(m, "11101"));
	CHECK_RC(apply(m, PRED("{\"column\":\"night\",\"op\":\"!=\",\"value\":true}"), &d), FL_OK);
	CHECK(same(m, "01100"));
	CHECK_RC(apply(m, PRED("{\"column\":\"age\",\"op\":\"!=\",\"value\":25}"), &d), FL_OK);
	CHECK(same(m, "10011"));
	/* the derived columns: by class number, whatever the names or the table */
	CHECK_RC(apply(m, PRED("{\"column\":\"label\",\"derived\":\"label\",\"op\":\"==\",\"value\":\"one\","
			       "\"class\":1}"), &d), FL_OK);
	CHECK(same(m, "01100"));
	CHECK_RC(apply(m, PRED("{\"column\":\"predicted (faultline)\",\"derived\":\"predicted\",\"op\":\"!=\","
			       "\"value\":\"two\",\"class\":2}"), &d), FL_OK);
	CHECK(same(m, "10110"));
	CHECK_RC(apply(m, PRED("{\"column\":\"label\",\"derived\":\"label\",\"op\":\"in_set\","
			       "\"values\":[\"zero\",\"two\"],\"classes\":[0,2]},{\"column\":\"color\",\"op\":\"==\","
			       "\"value\":\"blue\"}"), &d), FL_OK);
	CHECK(same(m, "00001"));
	/* without metadata, a spec on the classes alone still applies */
	d.table = NULL;
	CHECK_RC(apply(m, PRED("{\"column\":\"predicted\",\"derived\":\"predicted\",\"op\":\"==\",\"value\":\"1\","
			       "\"class\":1}"), &d), FL_OK);
	CHECK(same(m, "00110"));
	d.table = t;
	/* without labels or predictions: one line naming the column */
	d.labels = NULL;
	CHECK_RC(apply(m, PRED("{\"column\":\"label\",\"derived\":\"label\",\"op\":\"==\",\"value\":\"one\","
			       "\"class\":1}"), &d), FL_EINVAL);
	CHECK(strstr(fl_last_error(), "column label is the true class") && strstr(fl_last_error(), "no labels") &&
	      !strchr(fl_last_error(), '\n'));
	d.labels = labels;
	d.preds = NULL;
	CHECK_RC(apply(m, PRED("{\"column\":\"predicted\",\"derived\":\"predicted\",\"op\":\"==\",\"value\":\"1\","
			       "\"class\":1}"), &d), FL_EINVAL);
	CHECK(strstr(fl_last_error(), "column predicted is the predicted class") != NULL);
	d.preds = preds;
	d.version = 1; /* a caller of version 1 has no predictions field */
	CHECK_RC(apply(m, PRED("{\"column\":\"predicted\",\"derived\":\"predicted\",\"op\":\"==\",\"value\":\"1\","
			       "\"class\":1}"), &d), FL_EINVAL);
	CHECK_RC(apply(m, PRED("{\"column\":\"color\",\"op\":\"!=\",\"value\":\"red\"}"), &d), FL_OK);
	d.version = FL_SPEC_DATA_VERSION;
	/* malformed: refused, naming the field, on one line */
	for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
		int rc = apply(m, bad[k].spec, &d);
		int ok = rc == bad[k].rc && strstr(fl_last_error(), bad[k].field) && !strchr(fl_last_error(), '\n');

		if (!ok)
			printf("  malformed spec %d: rc %d, message '%s'\n", (int)k, rc, fl_last_error());
		CHECK(ok);
	}
	fl_table_free(t);
}

/* Centroid and direction specs against a slow, obvious reference: the
 * nearest centroid kept in the cache for all clusters of one run gives the
 * rows each spec gives alone, and no spec's rows depend on the threads. */
/* A k-means spec into spec (room for 64 k d + 4096 bytes): centroid own of
 * the k x d centroids c, every one of them listed, the given radius. */
static void centroid_spec(char *spec, int own, double radius, int normalize, const float *c,
			  int k, int d)
{
	char *p = spec;

	p += sprintf(p, "{\"type\":\"centroid\",\"view\":\"emb\",\"radius\":%.17g,"
		     "\"component\":%d,\"normalize\":%s,\"centroid\":[", radius, own,
		     normalize ? "true" : "false");
	for (int j = 0; j < d; j++)
		p += sprintf(p, "%s%.9g", j ? "," : "", c[own * d + j]);
	p += sprintf(p, "],\"centroids\":[");
	for (int s = 0; s < k; s++)
		for (int j = 0; j < d; j++)
			p += sprintf(p, "%s%s%.9g%s", j == 0 && s ? "," : "", j ? "," : "[",
				     c[s * d + j], j == d - 1 ? "]" : "");
	sprintf(p, "]}");
}

/* Ties in the nearest centroid go to the lowest index, cached (screened
 * by a float GEMM) as uncached: a centroid given twice (2 = 0) never owns
 * a row, and rows midway between 0 and 1 (in 512-d, where float dots
 * round most) belong to 0. */
static void test_centroid_ties(void)
{
	enum { N = 64, D = 512, K = 3 };
	static float x[N * D], c[K * D];
	static uint8_t a[N], b[N];
	fl_spec_view v = {"emb", x, D};
	fl_spec_data d = FL_SPEC_DATA_INIT;
	fl_spec_cache *cache = NULL;
	char *spec = malloc(64 * K * D + 4096);
	uint64_t st = 3;

	for (int j = 0; j < D; j++) {
		c[j] = (float)(check_uniform(&st) * 2 - 1);
		c[D + j] = -c[j];
		c[2 * D + j] = c[j];
	}
	for (int64_t i = 0; i < N; i++) /* on the bisector plane of 0 and 1 (through 0) */
		for (int j = 0; j < D; j++)
			x[i * D + j] = j % 2 ? (float)(i + 1) : 0;
	for (int j = 0; j < D; j += 2) { /* c0 on even columns only: x.c0 = x.c1 = 0 */
		c[j + 1] = 0;
		c[D + j + 1] = 0;
		c[2 * D + j + 1] = 0;
	}
	d.n = N;
	d.views = &v;
	d.n_views = 1;
	for (int own = 0; own < K; own++) {
		centroid_spec(spec, own, 1e30, 0, c, K, D);
		CHECK_RC(fl_spec_apply(a, spec, &d, NULL, N), FL_OK);
		CHECK_RC(fl_spec__apply_cached(b, spec, &d, NULL, N, &cache), FL_OK);
		for (int64_t i = 0; i < N; i++)
			CHECK(a[i] == (own == 0) && b[i] == a[i]);
	}
	fl_spec__cache_free(cache);
	free(spec);
}

/* The direction spec's float screen decides as its double dot does at the
 * threshold itself: for each row, thresholds at the row's own score
 * (selected: >=) and one double above it (not selected), against every row,
 * in 512-d (where float sums round most). The reference sums in the spec's
 * order (four running sums), which defines the rule's value. Applied with
 * a cache too: the direction's products, kept from the first threshold,
 * decide every other as well. */
static void test_direction_threshold(uint64_t seed)
{
	enum { N = 48, D = 512 };
	static float x[N * D], w[D];
	static uint8_t m[N], mc[N];
	double score[N], bias = 0.25;
	fl_spec_cache *cache = NULL;
	uint64_t st = seed + 5;
	fl_spec_view v = {"emb", x, D};
	fl_spec_data d = FL_SPEC_DATA_INIT;
	char *spec = malloc(32 * D + 4096), *p;
	int64_t wrong = 0, held = 0, wrong_cached = 0;

	for (int j = 0; j < D; j++)
		w[j] = (float)(check_uniform(&st) * 2 - 1);
	for (int64_t i = 0; i < N * D; i++) /* rows of mixed scale: wide sums that cancel */
		x[i] = (float)((check_uniform(&st) * 2 - 1) * (i % 7 == 0 ? 1e3 : 1));
	for (int64_t i = 0; i < N; i++) {
		double a[4] = {0, 0, 0, 0};

		for (int j = 0; j < D; j++)
			a[j % 4] += (double)w[j] * x[i * D + j];
		score[i] = (a[0] + a[1]) + (a[2] + a[3]) + bias;
	}
	d.n = N;
	d.views = &v;
	d.n_views = 1;
	for (int64_t t = 0; t < 2 * N; t++) {
		double thr = t % 2 ? nextafter(score[t / 2], INFINITY) : score[t / 2];

		p = spec + sprintf(spec, "{\"type\":\"direction\",\"view\":\"emb\",\"bias\":%.17g,"
				   "\"threshold\":%.17g,\"weights\":[", bias, thr);
		for (int j = 0; j < D; j++)
			p += sprintf(p, "%s%.9g", j ? "," : "", w[j]);
		sprintf(p, "]}");
		CHECK_RC(fl_spec_apply(m, spec, &d, NULL, N), FL_OK);
		CHECK_RC(fl_spec__apply_cached(mc, spec, &d, NULL, N, &cache), FL_OK);
		for (int64_t i = 0; i < N; i++) {
			wrong += m[i] != (score[i] >= thr);
			wrong_cached += mc[i] != (score[i] >= thr);
			held += m[i];
		}
	}
	CHECK_EQ_INT(wrong, 0);
	CHECK_EQ_INT(wrong_cached, 0);
	CHECK(held > N && held < 2 * N * N);
	fl_spec__cache_free(cache);
	free(spec);
}

static void test_linear_cache(uint64_t seed)
{
	enum { N = 3000, D = 37, K = 5 };
	static float x[N * D], c[K * D];
	uint64_t st = seed + 11;
	fl_spec_view v = {"emb", x, D};
	fl_spec_data d = FL_SPEC_DATA_INIT;
	static uint8_t alone[N], cached[N], ref[N];
	fl_spec_cache *cache = NULL;
	int64_t rows[N / 2], wrong = 0;
	char *spec = malloc(64 * K * D + 4096);

	for (int64_t i = 0; i < N * D; i++)
		x[i] = (float)(check_uniform(&st) * 4 - 2);
	for (int64_t i = 0; i < K * D; i++)
		c[i] = (float)(check_uniform(&st) * 2 - 1);
	for (int64_t i = 0; i < N / 2; i++)
		rows[i] = (int64_t)(check_rand(&st) % N);
	d.n = N;
	d.views = &v;
	d.n_views = 1;
	for (int normalize = 0; normalize < 2; normalize++)
		for (int32_t own = 0; own < K; own++) {
			centroid_spec(spec, own, normalize ? 1.1 : 6.0, normalize, c, K, D);
			d.threads = 1;
			CHECK_RC(fl_spec_apply(alone, spec, &d, rows, N / 2), FL_OK);
			d.threads = 3;
			CHECK_RC(fl_spec__apply_cached(cached, spec, &d, rows, N / 2, &cache), FL_OK);
			/* the reference: within the radius of its centroid and nearest it */
			for (int64_t i = 0; i < N / 2; i++) {
				const float *r = x + rows[i] * D;
				double nrm = 0, best = INFINITY, d2[K];
				int near = -1;

				for (int j = 0; j < D; j++)
					nrm += (double)r[j] * r[j];
				nrm = normalize ? 1 / sqrt(nrm) : 1;
				for (int k = 0; k < K; k++) {
					d2[k] = 0;
					for (int j = 0; j < D; j++) {
						double e = (double)(float)(r[j] * nrm) - c[k * D + j];
						d2[k] += e * e;
					}
					if (d2[k] < best)
						best = d2[k], near = k;
				}
				/* the sum's order may move a row lying on the radius (1e-9) */
				ref[i] = near == own && sqrt(d2[own]) <= (normalize ? 1.1 : 6.0);
				wrong += alone[i] != cached[i] ||
					 (alone[i] != ref[i] &&
					  fabs(sqrt(d2[own]) - (normalize ? 1.1 : 6.0)) > 1e-9);
			}
		}
	fl_spec__cache_free(cache);
	CHECK_EQ_INT(wrong, 0);
	/* a direction: the same rows with 1 and 4 threads */
	{
		char *p = spec;
		int64_t differ = 0, held = 0;

		p += sprintf(p, "{\"type\":\"direction\",\"view\":\"emb\",\"bias\":0.1,\"threshold\":0.5,"
			     "\"weights\":[");
		for (int j = 0; j < D; j++)
			p += sprintf(p, "%s%.9g", j ? "," : "", c[j]);
		sprintf(p, "]}");
		d.threads = 1;
		CHECK_RC(fl_spec_apply(alone, spec, &d, NULL, N), FL_OK);
		d.threads = 4;
		CHECK_RC(fl_spec_apply(cached, spec, &d, NULL, N), FL_OK);
		for (int64_t i = 0; i < N; i++) {
			differ += alone[i] != cached[i];
			held += alone[i];
		}
		CHECK(differ == 0 && held > 0 && held < N);
	}
	free(spec);
}

int main(void)
{
	fl_table *t = NULL;
	float x[5 * 2] = {0, 0, 1, 0, 3, 0, 0, 2, 5, 5};
	int64_t labels[5] = {0, 1, 1, 0, 1}, rows[2] = {4, 1};
	fl_spec_view v = {"emb", x, 2};
	fl_spec_data d = FL_SPEC_DATA_INIT;
	uint8_t m[5];

	test_hostile();
	test_sets_and_classes();
	test_linear_cache(check_seed(20261201));
	test_centroid_ties();
	test_direction_threshold(check_seed(20261201));
	CHECK_RC(fl_table_read_csv(&t, FL_TEST_DATA "/spec_meta.csv"), FL_OK);
	d.n = 5;
	d.views = &v;
	d.n_views = 1;
	d.table = t;
	d.labels = labels;

	/* predicates: categorical ==, boolean ==, numeric range, missing */
	CHECK_RC(apply(m, "{\"type\":\"predicates\",\"predicates\":[{\"column\":\"color\",\"op\":\"==\",\"value\":\"red\"}]}", &d), FL_OK);
	CHECK(same(m, "10100"));
	CHECK_RC(apply(m, "{\"type\":\"predicates\",\"predicates\":[{\"column\":\"night\",\"op\":\"==\",\"value\":true},"
			  "{\"column\":\"age\",\"op\":\"in\",\"low\":20,\"high\":null}]}", &d), FL_OK);
	CHECK(same(m, "00011"));
	CHECK_RC(apply(m, "{\"type\":\"predicates\",\"predicates\":[{\"column\":\"age\",\"op\":\"==\",\"value\":null}]}", &d), FL_OK);
	CHECK(same(m, "00100"));
	CHECK_RC(apply(m, "{\"type\":\"predicates\",\"predicates\":[{\"column\":\"color\",\"op\":\"==\",\"value\":null}]}", &d), FL_OK);
	CHECK(same(m, "00010"));
	/* centroid: within radius 1.5 of (0,0) and nearest to it among two */
	CHECK_RC(apply(m, "{\"type\":\"centroid\",\"view\":\"emb\",\"radius\":1.5,\"centroid\":[0,0]}", &d), FL_OK);
	CHECK(same(m, "11000"));
	CHECK_RC(apply(m, "{\"type\":\"centroid\",\"view\":\"emb\",\"radius\":2.5,\"component\":0,"
			  "\"centroid\":[0,0],\"centroids\":[[0,0],[1.2,0]]}", &d), FL_OK);
	CHECK(same(m, "10010")); /* (1,0) is nearer the other centroid */
	/* direction: x0 + x1 - 4 >= 0, then only label 1 */
	CHECK_RC(apply(m, "{\"type\":\"direction\",\"view\":\"emb\",\"weights\":[1,1],\"bias\":-4,\"threshold\":-1.5}", &d), FL_OK);
	CHECK(same(m, "00101"));
	CHECK_RC(apply(m, "{\"type\":\"direction\",\"view\":\"emb\",\"label\":1,\"weights\":[1,1],\"bias\":-4,\"threshold\":-2.5}", &d), FL_OK);
	CHECK(same(m, "00101"));
	/* any_of: a row any of its specs selects (red, or within 1.5 of (0,0)) */
	CHECK_RC(apply(m, "{\"type\":\"any_of\",\"of\":[" PRED("{\"column\":\"color\",\"op\":\"==\",\"value\":\"red\"}")
			  ",{\"type\":\"centroid\",\"view\":\"emb\",\"radius\":1.5,\"centroid\":[0,0]}]}", &d), FL_OK);
	CHECK(same(m, "11100"));
	CHECK_RC(apply(m, "{\"type\":\"any_of\",\"of\":[]}", &d), FL_EFORMAT);
	CHECK(strstr(fl_last_error(), "\"of\"") != NULL);
	CHECK_RC(apply(m, "{\"type\":\"any_of\",\"of\":[{\"type\":\"any_of\",\"of\":[" PRED("") "]}]}", &d),
		 FL_EFORMAT);
	CHECK_RC(apply(m, "{\"type\":\"any_of\",\"of\":[" PRED("") ",{\"type\":\"direction\",\"view\":\"emb\","
			  "\"weights\":[1,1],\"threshold\":0}]}", &d), FL_EFORMAT);
	CHECK(strstr(fl_last_error(), "\"of\"[1]") != NULL && strstr(fl_last_error(), "bias") != NULL);
	/* a row subset */
	CHECK_RC(fl_spec_apply(m, "{\"type\":\"predicates\",\"predicates\":[{\"column\":\"color\",\"op\":\"==\",\"value\":\"blue\"}]}", &d, rows, 2), FL_OK);
	CHECK(m[0] == 1 && m[1] == 1);

	/* errors name what is missing */
	CHECK_RC(apply(m, "{not json", &d), FL_EFORMAT);
	CHECK_RC(apply(m, "{\"type\":\"teleport\"}", &d), FL_EUNSUP);
	CHECK_RC(apply(m, "{\"type\":\"centroid\",\"view\":\"clip\",\"radius\":1,\"centroid\":[0,0]}", &d), FL_EINVAL);
	CHECK(strstr(fl_last_error(), "clip") != NULL);
	CHECK_RC(apply(m, "{\"type\":\"centroid\",\"view\":\"emb\",\"radius\":1,\"centroid\":[0,0,0]}", &d), FL_EINVAL);
	CHECK_RC(apply(m, "{\"type\":\"predicates\",\"predicates\":[{\"column\":\"shoe\",\"op\":\"==\",\"value\":\"x\"}]}", &d), FL_EINVAL);
	CHECK(strstr(fl_last_error(), "shoe") != NULL);
	CHECK_RC(apply(m, "{\"type\":\"direction\",\"view\":\"emb\",\"weights\":[1,1],\"threshold\":0}", &d), FL_EFORMAT);
	CHECK(strstr(fl_last_error(), "bias") != NULL);
	/* hand-edited numbers that are no class or component (1e300 was an
	 * undefined conversion), and a slice size that is no count */
	CHECK_RC(apply(m, "{\"type\":\"direction\",\"view\":\"emb\",\"label\":1e300,\"weights\":[1,1],\"bias\":0,\"threshold\":0}", &d), FL_EFORMAT);
	CHECK(strstr(fl_last_error(), "label") != NULL);
	CHECK_RC(apply(m, "{\"type\":\"direction\",\"view\":\"emb\",\"label\":0.5,\"weights\":[1,1],\"bias\":0,\"threshold\":0}", &d), FL_EFORMAT);
	CHECK_RC(apply(m, "{\"type\":\"centroid\",\"view\":\"emb\",\"radius\":1,\"component\":-1e300,"
			  "\"centroid\":[0,0],\"centroids\":[[0,0],[1,0]]}", &d), FL_EFORMAT);
	CHECK(strstr(fl_last_error(), "component") != NULL);
	CHECK_RC(apply(m, "{\"type\":\"centroid\",\"view\":\"emb\",\"radius\":1,\"component\":0,"
			  "\"centroid\":[0,0],\"centroids\":[[0,0],[\"a\",0]]}", &d), FL_EFORMAT);
	CHECK(strstr(fl_last_error(), "centroids[1]") != NULL);
	{
		const char *path = FL_TEST_TMP "/test_spec_saved.json";
		const char *sizes[] = {"1e300", "-1", "2.5", "null", "3"};
		fl_saved_report *r = NULL;

		for (int i = 0; i < 5; i++) {
			FILE *f = fopen(path, "w");

			CHECK(f != NULL);
			fprintf(f, "{\"version\":%d,\"slices\":[{\"id\":\"S1\",\"size\":%s,\"spec\":"
				"{\"type\":\"predicates\",\"predicates\":[]}}]}", FL_REPORT_SCHEMA_VERSION, sizes[i]);
			fclose(f);
			CHECK_RC(fl_saved_report_load(&r, path), i < 4 ? FL_EFORMAT : FL_OK);
			CHECK(i < 4 ? strstr(fl_last_error(), "size") != NULL :
			      fl_saved_report_slice(r, 0)->size == 3);
			fl_saved_report_free(r);
			r = NULL;
		}
		remove(path);
	}
	CHECK_RC(fl_spec_apply(m, "{\"type\":\"predicates\",\"predicates\":[]}", &d, rows + 0, 1) , FL_OK);
	rows[0] = 9;
	CHECK_RC(fl_spec_apply(m, "{\"type\":\"predicates\",\"predicates\":[]}", &d, rows, 1), FL_EINVAL);
	/* a table of some rows, sharing the parent's text and codes */
	{
		int64_t pick[3] = {4, 2, 3};
		fl_table *sub = NULL;
		int64_t age = fl_table_find(t, "age"), color = fl_table_find(t, "color");

		CHECK_RC(fl_table_subset(&sub, t, pick, 3), FL_OK);
		CHECK_EQ_INT(fl_table_rows(sub), 3);
		CHECK(strcmp(fl_table_cell(sub, 0, 0), "e") == 0);
		CHECK_EQ_INT(fl_table_codes(sub, color)[1], fl_table_codes(t, color)[2]);
		CHECK_EQ_INT(fl_table_missing(sub, age), 1);
		CHECK_EQ_INT(fl_table_missing(sub, color), 1);
		CHECK_NEAR(fl_table_numeric(sub, age)[0], 55, 0);
		fl_table_free(sub);
		pick[0] = 5;
		CHECK_RC(fl_table_subset(&sub, t, pick, 3), FL_EINVAL);
		CHECK(sub == NULL);
	}
	fl_table_free(t);
	return check_done();
}
