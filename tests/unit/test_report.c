/* Report: ranking order, confusions against a hand count, JSON rendering
 * (escaping, NaN as null, round-trip digits), atomic writes. */
#include "faultline.h"
#include "report/report_internal.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long len;

	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, fp) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	return buf;
}

static fl_candidate make_cand(const char *view, int32_t comp, double score,
			      const int64_t *rows, int64_t m, const fl_failure_summary *s)
{
	fl_candidate c;

	memset(&c, 0, sizeof c);
	c.members = malloc((size_t)m * sizeof *c.members);
	c.member_scores = malloc((size_t)m * sizeof *c.member_scores);
	for (int64_t i = 0; i < m; i++) {
		c.members[i] = rows[i];
		c.member_scores[i] = -(float)i / 3.0f;
	}
	c.n_members = m;
	c.score = score;
	c.component = comp;
	snprintf(c.method, sizeof c.method, "kmeans");
	snprintf(c.view, sizeof c.view, "%s", view);
	fl_slice_stats_compute(&c.stats, s, c.members, m);
	return c;
}

/* A predicate result on rows [lo, hi) with n_preds predicates. */
static fl_candidate make_rule(const char *text, int32_t n_preds, int32_t round, int64_t lo,
			      int64_t hi, const fl_failure_summary *s)
{
	int64_t *rows = malloc((size_t)(hi - lo) * sizeof *rows);
	char spec[512] = "{\"type\":\"predicates\",\"predicates\":[";
	fl_candidate c;

	for (int64_t i = lo; i < hi; i++)
		rows[i - lo] = i;
	c = make_cand("", n_preds, 1.0, rows, hi - lo, s);
	free(rows);
	snprintf(c.method, sizeof c.method, "predicates");
	for (int32_t k = 0; k < n_preds; k++)
		snprintf(spec + strlen(spec), sizeof spec - strlen(spec),
			 "%s{\"column\":\"c%d\",\"op\":\"==\",\"value\":\"v\"}", k ? "," : "", k);
	strcat(spec, "]}");
	c.spec_json = strdup(spec);
	c.description = strdup(text);
	c.round = round;
	c.replicated = 1;
	return c;
}

/* Causes (fl_report_causes) against planted ground truth: cause A (rows
 * 0-399, 85% failing) found as a 3-predicate rule, as a 2-predicate rule
 * of the same search, as a 1-predicate rule of a later search and as a
 * purer cluster of its first 100 rows; cause B (rows 1000-1199, 60%) as a
 * cluster; 5% elsewhere. A comes first, headed by the shortest rule of
 * its own search (a later search's rule holds its confirmation among other
 * rows: it does not head), the fragment is its part; B second; --top 1
 * gives A alone. */
static void test_causes(void)
{
	enum { M = 2000 };
	static double f[M];
	int64_t frag[100], b[200];
	fl_failure_summary *s = NULL;
	fl_report *r = NULL;
	fl_candidate c[5];

	for (int64_t i = 0; i < M; i++)
		f[i] = i < 400 ? i % 20 < 17 : i >= 1000 && i < 1200 ? i % 10 < 6 : i % 20 == 0;
	for (int64_t i = 0; i < 100; i++)
		frag[i] = i;
	for (int64_t i = 0; i < 200; i++)
		b[i] = 1000 + i;
	CHECK_RC(fl_failure_summary_new(&s, f, M), FL_OK);
	for (int32_t top = 1; top >= 0; top--) {
		CHECK_RC(fl_report_new(&r, s, M, "error"), FL_OK);
		c[0] = make_cand("emb", 0, 1.0, frag, 100, s);
		c[1] = make_rule("x >= 5 AND y = 1 AND z != 3", 3, 1, 0, 400, s);
		c[2] = make_rule("x >= 5", 1, 2, 0, 390, s);
		c[3] = make_rule("x >= 5 AND y = 1", 2, 1, 0, 396, s);
		c[4] = make_cand("emb", 1, 1.0, b, 200, s);
		for (int k = 0; k < 5; k++)
			c[k].replicated = 1;
		CHECK_RC(fl_report_add_candidates(r, c, 5), FL_OK);
		CHECK_RC(fl_report_causes(r, f, top), FL_OK);
		CHECK_EQ_INT(fl_report_n_slices(r), top ? 1 : 2);
		const fl_candidate *a = fl_report_slice(r, 0);
		CHECK(a && a->description && !strcmp(a->description, "x >= 5 AND y = 1"));
		CHECK(a && a->n_parts == 1 && a->parts[0].n_members == 100 &&
		      !strcmp(a->parts[0].method, "kmeans"));
		CHECK(a && a->n_also == 2);
		if (!top) {
			const fl_candidate *bc = fl_report_slice(r, 1);
			CHECK(bc && bc->n_members == 200 && bc->members[0] == 1000 && bc->n_parts == 0);
		}
		fl_report_free(r);
		r = NULL;
	}
	fl_failure_summary_free(s);
}

/* A region and a rule that holds it whole and as much again, failing less
 * (a cluster of the thickest strokes in `stroke = thick`): the region's
 * gain is larger, yet the cause is shown as the rule, the region one more
 * finding of it (Jaccard 0.56 >= 0.5, the region all inside). A region of
 * a later search holding an earlier cause's rows is not that cause's
 * owner: the earlier rule stays a cause of its own. */
static void test_rule_heads(void)
{
	enum { M = 2000 };
	static double f[M];
	int64_t region[100], later[400];
	static uint8_t skip2[M];
	fl_failure_summary *s = NULL;
	fl_report *r = NULL;
	fl_candidate c[3];
	const fl_candidate *a;

	for (int64_t i = 0; i < M; i++)
		f[i] = i >= 1000 && i < 1100 ? i % 20 != 0 : i >= 1100 && i < 1180 ? i % 10 == 0 :
		       i >= 200 && i < 300 ? i % 10 < 8 : i % 20 == 0;
	for (int64_t i = 0; i < 100; i++)
		region[i] = 1000 + i;
	CHECK_RC(fl_failure_summary_new(&s, f, M), FL_OK);
	CHECK_RC(fl_report_new(&r, s, M, "error"), FL_OK);
	c[0] = make_cand("emb", 0, 1.0, region, 100, s);
	c[1] = make_rule("stroke = thick", 1, 1, 1000, 1180, s);
	c[0].replicated = 1;
	CHECK_RC(fl_report_add_candidates(r, c, 2), FL_OK);
	CHECK_RC(fl_report_causes(r, f, 0), FL_OK);
	a = fl_report_slice(r, 0);
	CHECK(a && a->description && !strcmp(a->description, "stroke = thick") && a->n_also == 1);
	fl_report_free(r);

	/* rows 200-299 fail 80% (an earlier rule); a second-round region holds
	 * them and rows 1000-1299, measured outside them */
	for (int64_t i = 0; i < 100; i++)
		later[i] = 200 + i;
	for (int64_t i = 0; i < 300; i++)
		later[100 + i] = 1000 + i;
	for (int64_t i = 200; i < 300; i++)
		skip2[i] = 1;
	CHECK_RC(fl_report_new(&r, s, M, "error"), FL_OK);
	c[0] = make_rule("zone = p", 1, 1, 200, 300, s);
	c[1] = make_cand("emb", 3, 1.0, later, 400, s);
	c[1].round = 2;
	c[1].replicated = 1;
	/* and one holding mostly the earlier rule's rows: their union with a
	 * few more, never a cause nor a purer part that would split the
	 * region (diluted()): one more finding of the rule (Jaccard 2/3) */
	c[2] = make_cand("emb", 4, 1.0, later, 150, s);
	c[2].round = 2;
	c[2].replicated = 1;
	CHECK_RC(fl_report_add_candidates(r, c, 3), FL_OK);
	CHECK_RC(fl_report__set_round_skip(r, 2, skip2), FL_OK);
	CHECK_RC(fl_report_causes(r, f, 0), FL_OK);
	CHECK_EQ_INT(fl_report_n_slices(r), 2);
	for (int32_t k = 0; k < fl_report_n_slices(r); k++) {
		a = fl_report_slice(r, k);
		CHECK(a->n_members == (a->component == 3 ? 400 : 100));
		CHECK(a->n_parts == 0 && a->n_also == (a->component == 3 ? 0 : 1));
	}
	fl_report_free(r);
	fl_failure_summary_free(s);
}

/* A result that holds most of one cause and a piece of another (the top
 * of a failure direction across two planted clusters) gains a little more
 * than the first cause whole, with which it is the same slice (Jaccard
 * 0.74); taken first, it would leave that cause's other rows to nobody.
 * Cause A: rows 0-399 (rows 0-59 fail 50%, 60-399 70%), cause B: rows
 * 1000-1399 (65%), 5% elsewhere; the mixed result: rows 60-399 and
 * 1000-1059. The covering looks ahead: A and B whole, the mixed result one
 * more finding of A. */
static void test_look_ahead(void)
{
	enum { M = 4000 };
	static double f[M];
	int64_t mix[400], a[400], b[400];
	fl_failure_summary *s = NULL;
	fl_report *r = NULL;
	fl_candidate c[3];
	const fl_candidate *x;

	for (int64_t i = 0; i < M; i++)
		f[i] = i < 60 ? i % 2 == 0 : i < 400 ? i % 10 < 7 : i >= 1000 && i < 1400 ? i % 20 < 13 :
		       i % 20 == 0;
	for (int64_t i = 0; i < 400; i++) {
		a[i] = i;
		b[i] = 1000 + i;
		mix[i] = i < 340 ? 60 + i : 1000 + i - 340;
	}
	CHECK_RC(fl_failure_summary_new(&s, f, M), FL_OK);
	/* the look-ahead never looks at --top: A comes first at top 1 too */
	for (int32_t top = 1; top >= 0; top--) {
		CHECK_RC(fl_report_new(&r, s, M, "error"), FL_OK);
		c[0] = make_cand("emb", 0, 1.0, mix, 400, s);
		c[1] = make_cand("emb", 1, 1.0, a, 400, s);
		c[2] = make_cand("emb", 2, 1.0, b, 400, s);
		for (int k = 0; k < 3; k++)
			c[k].replicated = 1;
		CHECK(c[0].stats.failure_rate > c[1].stats.failure_rate); /* the mix gains more alone */
		CHECK_RC(fl_report_add_candidates(r, c, 3), FL_OK);
		CHECK_RC(fl_report_causes(r, f, top), FL_OK);
		CHECK_EQ_INT(fl_report_n_slices(r), top ? 1 : 2);
		x = fl_report_slice(r, 0);
		CHECK(x && x->component == 1 && x->n_members == 400 && x->n_also == 1);
		x = top ? NULL : fl_report_slice(r, 1);
		CHECK(top || (x && x->component == 2 && x->n_members == 400));
		fl_report_free(r);
	}
	fl_failure_summary_free(s);
}

/* The value of bin label `text` ("3", "1.5\xe2\x80\x932") holds x. */
static int bin_holds(const char *text, double x)
{
	char *end;
	double lo = strtod(text, &end), hi = lo;

	if (!strncmp(end, "\xe2\x80\x93", 3))
		hi = strtod(end + 3, NULL);
	return x >= lo && x <= hi;
}

/* What the pages show of a slice (digest.c), against a count by hand over
 * random data: the distributions of the columns its description names, its
 * typical members and the rows of the same classes the model got right. */
static void test_digest(void)
{
	enum { M = 600, C = 4 };
	static double f[M];
	static int64_t labels[M], preds[M], rows[M];
	static const char *const cats[5] = {"a", "b", "c", "d", ""};
	uint64_t rng = check_seed(11);
	fl_failure_summary *s = NULL;
	fl_table *t = NULL;
	fl_report *r = NULL;
	fl_digest *dg = NULL;
	fl_strbuf csv = {0};
	fl_dist d[FL_DIST_COLUMNS];
	fl_example ex[FL_REPORT_EXAMPLES];
	double x[M];
	int cat[M];
	int64_t m = 0;
	char *text;

	fl__sb_printf(&csv, "id,cat,x\n");
	for (int64_t i = 0; i < M; i++) {
		cat[i] = (int)(check_rand(&rng) % 5); /* 4: missing */
		x[i] = (double)(check_rand(&rng) % 1000) / 100.0;
		labels[i] = (int64_t)(check_rand(&rng) % C);
		preds[i] = check_rand(&rng) % 3 ? labels[i] : (labels[i] + 1) % C;
		f[i] = labels[i] != preds[i];
		fl__sb_printf(&csv, "r%lld,%s,%.2f\n", (long long)i, cats[cat[i]], x[i]);
		if ((cat[i] == 1 && x[i] < 6) || i % 97 == 0)
			rows[m++] = i;
	}
	text = fl__sb_finish(&csv, "csv");
	CHECK_RC(fl_table_read_csv_text(&t, text, strlen(text), "digest.csv"), FL_OK);
	CHECK_RC(fl_failure_summary_new(&s, f, M), FL_OK);
	CHECK_RC(fl_report_new(&r, s, M, "error"), FL_OK);
	CHECK_RC(fl_report_set_table(r, t, 0), FL_OK);
	CHECK_RC(fl_report_set_classes(r, labels, preds, C, NULL), FL_OK);
	fl_candidate c = make_rule("cat = b AND x < 6 AND label in {0, 1} AND id = r3", 3, 1, 0, 1, s);
	free(c.members);
	c.members = malloc((size_t)m * sizeof *c.members);
	memcpy(c.members, rows, (size_t)m * sizeof *rows);
	c.n_members = m;
	CHECK_RC(fl_report_add_candidates(r, &c, 1), FL_OK);
	CHECK_RC(fl_report__digest_new(&dg, r), FL_OK);
	/* the id column is never one; at most FL_DIST_COLUMNS, in order */
	CHECK_EQ_INT(fl_report__dists(dg, 0, d), 3);
	CHECK(!strcmp(d[0].column, "cat") && !strcmp(d[1].column, "x") && !strcmp(d[2].column, "label"));
	for (int k = 0; k < 3; k++) {
		int64_t in = 0, out = 0;

		for (int32_t b = 0; b < d[k].n_bins; b++) {
			int64_t want_in = 0, want_out = 0;

			for (int64_t i = 0; i < M; i++) {
				int member = 0, hit;

				for (int64_t q = 0; q < m; q++)
					member |= rows[q] == i;
				if (k == 0) /* a level, or the other levels, or missing */
					hit = !strcmp(d[0].bin[b], "(missing)") ? cat[i] == 4 :
					      !strcmp(d[0].bin[b], "(others)") ? 0 : !strcmp(cats[cat[i]], d[0].bin[b]);
				else if (k == 1)
					hit = bin_holds(d[1].bin[b], x[i]);
				else
					hit = labels[i] == strtol(d[2].bin[b], NULL, 10) &&
					      strcmp(d[2].bin[b], "(others)");
				want_in += member && hit;
				want_out += !member && hit;
			}
			if (strcmp(d[k].bin[b], "(others)") != 0) {
				CHECK_EQ_INT(d[k].inside[b], want_in);
				CHECK_EQ_INT(d[k].outside[b], want_out);
			}
			in += d[k].inside[b];
			out += d[k].outside[b];
		}
		CHECK_EQ_INT(in, m);
		CHECK_EQ_INT(out, M - m);
	}
	CHECK(!strcmp(d[0].bin[0], "b") && d[0].inside[0] >= m - 7); /* the rule's level first */
	CHECK(!strcmp(d[0].bin[d[0].n_bins - 1], "(missing)"));
	/* the typical members, then the first right row of each of their
	 * classes (failing ones first) outside the slice */
	int32_t ne = fl_report__examples(dg, 0, ex), typical = 0;
	CHECK(ne > FL_REPORT_PROTOTYPES);
	for (int32_t k = 0; k < ne; k++) {
		if (ex[k].typical) {
			CHECK(k == typical && ex[k].row == rows[k] && ex[k].label == labels[rows[k]] &&
			      ex[k].pred == preds[rows[k]] && !strcmp(ex[k].id, fl_table_cell(t, rows[k], 0)));
			typical++;
			continue;
		}
		int64_t first = -1;
		for (int64_t i = 0; i < M && first < 0; i++) {
			int member = 0;

			for (int64_t q = 0; q < m; q++)
				member |= rows[q] == i;
			if (!member && labels[i] == ex[k].label && preds[i] == labels[i])
				first = i;
		}
		CHECK_EQ_INT(ex[k].row, first);
		CHECK(ex[k].label == ex[k].pred);
	}
	CHECK_EQ_INT(typical, FL_REPORT_PROTOTYPES);
	fl_report__digest_free(dg);
	fl_report_free(r);
	fl_table_free(t);
	fl_failure_summary_free(s);
	free(text);
}

/* Descriptions: slices planted as metadata rules are described by those
 * rules (a threshold: by the column, at the quantile cut nearest, fitting),
 * and the descriptions (made on the threads, one slice each) are the same
 * for 1 and 3 threads. */
static void test_describe(void)
{
	enum { M = 3000, K = 7 };
	static double f[M];
	static int64_t rows[K][M];
	static const char *const want[K] = {"kind = b", "kind = c", "size ", "size ",
					    "kind = a AND size ", "kind = d", "size "};
	static const char *const kinds[4] = {"a", "b", "c", "d"};
	uint64_t rng = check_seed(5);
	int64_t m[K] = {0};
	fl_failure_summary *s = NULL;
	fl_table *t = NULL;
	fl_report *r[2] = {NULL, NULL};
	fl_strbuf csv = {0};
	char *text;

	fl__sb_printf(&csv, "id,kind,size,noise\n");
	for (int64_t i = 0; i < M; i++) {
		int k = (int)(check_rand(&rng) % 4);
		int size = (int)(check_rand(&rng) % 100);
		int in[K] = {k == 1, k == 2, size >= 70, size < 20, k == 0 && size >= 50, k == 3,
			     size < 40};

		f[i] = (double)(check_rand(&rng) % 2);
		fl__sb_printf(&csv, "r%lld,%s,%d,%d\n", (long long)i, kinds[k], size,
			      (int)(check_rand(&rng) % 1000));
		for (int j = 0; j < K; j++)
			if (in[j])
				rows[j][m[j]++] = i;
	}
	text = fl__sb_finish(&csv, "csv");
	CHECK_RC(fl_table_read_csv_text(&t, text, strlen(text), "describe.csv"), FL_OK);
	CHECK_RC(fl_failure_summary_new(&s, f, M), FL_OK);
	for (int threads = 1, a = 0; threads <= 3; threads += 2, a++) {
		fl_candidate c[K];

		CHECK_RC(fl_report_new(&r[a], s, M, "error"), FL_OK);
		for (int j = 0; j < K; j++)
			c[j] = make_cand("emb", j, 1.0 / (j + 1), rows[j], m[j], s);
		CHECK_RC(fl_report_add_candidates(r[a], c, K), FL_OK);
		CHECK_RC(fl_report__describe(r[a], t, 0, threads), FL_OK);
	}
	for (int j = 0; r[0] && r[1] && j < K; j++) {
		const fl_candidate *a = &r[0]->slices[j], *b = &r[1]->slices[j];

		const char *w = want[a->component];
		int ok = a->explanation && fl_report__explanation_fits(a) &&
			 (w[strlen(w) - 1] == ' ' ? !strncmp(a->explanation, w, strlen(w))
						   : !strcmp(a->explanation, w));

		if (!ok)
			fprintf(stderr, "slice %d: described as '%s' (precision %.2f, recall %.2f), "
				"planted '%s...'\n", (int)a->component,
				a->explanation ? a->explanation : "(none)", a->explanation_precision,
				a->explanation_recall, w);
		CHECK(ok);
		CHECK(b->explanation && a->explanation && strcmp(a->explanation, b->explanation) == 0 &&
		      a->explanation_precision == b->explanation_precision &&
		      a->explanation_recall == b->explanation_recall);
	}
	fl_report_free(r[0]);
	fl_report_free(r[1]);
	fl_failure_summary_free(s);
	fl_table_free(t);
	free(text);
}

int main(void)
{
	enum { N = 12 };
	double failure[N] = {1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	int64_t labels[N] = {0, 0, 1, 0, 1, 2, 0, 1, 2, 0, 1, 2};
	int64_t preds[N] = {1, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 0};
	const char *names[3] = {"cat \"tabby\"", "dog\\wolf", "bird\n"};
	int64_t a_rows[3] = {0, 1, 2}, b_rows[4] = {3, 4, 5, 11}, all[N];
	fl_failure_summary *s = NULL;
	fl_report *r = NULL;
	fl_candidate c[3];
	fl_confusion conf[4];
	char path[512], *json;

	test_causes();
	test_rule_heads();
	test_look_ahead();
	test_digest();
	test_describe();
	for (int i = 0; i < N; i++)
		all[i] = i;
	CHECK_RC(fl_failure_summary_new(&s, failure, N), FL_OK);
	CHECK_RC(fl_report_new(&r, s, N, "error"), FL_OK);
	CHECK_RC(fl_report_add_view(r, "emb\"x", 4, "e.npy"), FL_OK);
	CHECK_RC(fl_report_set_classes(r, labels, preds, 3, names), FL_OK);
	CHECK_RC(fl_report_set_param(r, "seed", "7"), FL_OK);

	/* Equal scores tie-break on view then component; the whole-data slice
	 * has no outside rate (NaN -> null in JSON). */
	c[0] = make_cand("b", 0, 2.0, b_rows, 4, s);
	c[1] = make_cand("a", 5, 2.0, a_rows, 3, s);
	c[2] = make_cand("a", 1, 0.5, all, N, s);
	CHECK_RC(fl_report_add_candidates(r, c, 3), FL_OK);
	CHECK(c[0].members == NULL); /* moved */
	CHECK_RC(fl_report_rank(r, 0), FL_OK);
	CHECK_EQ_INT(fl_report_n_slices(r), 3);
	CHECK(strcmp(fl_report_slice(r, 0)->view, "a") == 0);
	CHECK_EQ_INT(fl_report_slice(r, 0)->component, 5);
	CHECK(strcmp(fl_report_slice(r, 1)->view, "b") == 0);
	CHECK_EQ_INT(fl_report_slice(r, 2)->n_members, N);

	/* Slice S1 = rows 0,1,2: failing pairs (0->1) x2, (1->2) x1. */
	CHECK_EQ_INT(fl_report_confusions(r, 0, conf, 4), 2);
	CHECK_EQ_INT(conf[0].label, 0);
	CHECK_EQ_INT(conf[0].pred, 1);
	CHECK_EQ_INT(conf[0].count, 2);
	CHECK_NEAR(conf[0].share, 2.0 / 3.0, 1e-12);
	CHECK_EQ_INT(conf[1].label, 1);
	/* Whole data: failing rows 0,1,2,11 -> (0,1) x2, (1,2), (2,0); ties by label. */
	CHECK_EQ_INT(fl_report_confusions(r, 2, conf, 4), 3);
	CHECK_EQ_INT(conf[2].label, 2);
	CHECK_EQ_INT(conf[2].pred, 0);

	snprintf(path, sizeof path, "%s/report_test.json", FL_TEST_TMP);
	CHECK_RC(fl_report_write_json(r, path, 2), FL_OK);
	json = slurp(path);
	CHECK(json != NULL);
	if (json) {
		CHECK(strstr(json, "\"version\":2,") != NULL);
		CHECK(strstr(json, "\"name\":\"emb\\\"x\"") != NULL);
		CHECK(strstr(json, "\"label_name\":\"cat \\\"tabby\\\"\"") != NULL);
		CHECK(strstr(json, "\"predicted_name\":\"dog\\\\wolf\"") != NULL);
		CHECK(strstr(json, "\"bird\\n\"") != NULL);
		CHECK(strstr(json, "\"failure_rate_outside\":null") != NULL);
		CHECK(strstr(json, "NaN") == NULL && strstr(json, "nan") == NULL);
		CHECK(strstr(json, "\"failure_rate\":0.33333333333333331") != NULL);
		CHECK(strstr(json, "\"members\":[0,1],\"member_half\":[0,0],\"member_scores\":[-0,-0.333333343]") != NULL);
		CHECK(strstr(json, "\"n_members_listed\":2") != NULL);
		CHECK(strstr(json, "\"id\":\"S3\"") != NULL);
		free(json);
	}
	/* A report that cannot be written leaves nothing and keeps what was there. */
	CHECK_RC(fl_report_write_json(r, "/nonexistent-dir/x.json", 0), FL_EIO);
	CHECK(strstr(fl_last_error(), "/nonexistent-dir/x.json") != NULL);

	/* Keep the top 1 only. */
	CHECK_RC(fl_report_rank(r, 1), FL_OK);
	CHECK_EQ_INT(fl_report_n_slices(r), 1);
	CHECK(fl_report_slice(r, 1) == NULL);
	CHECK_RC(fl_report_rank(r, -1), FL_EINVAL);

	unlink(path);
	fl_report_free(r);

	/* Fusion: {0..5} and {0..4} (Jaccard 5/6) merge, with a 10% agreement
	 * bonus as they come from two views; {6..8} stays alone; {0,1,6}
	 * overlaps neither enough (Jaccard 1/3 and 1/4, containment 2/3). */
	{
		int64_t big[6] = {0, 1, 2, 3, 4, 5}, sub[5] = {0, 1, 2, 3, 4}, other[3] = {6, 7, 8};
		int64_t mixed[3] = {0, 1, 6};
		fl_candidate m[4];

		CHECK_RC(fl_report_new(&r, s, N, "error"), FL_OK);
		m[0] = make_cand("emb", 0, 3.0, big, 6, s);
		m[1] = make_cand("clip", 2, 2.0, sub, 5, s);
		m[2] = make_cand("emb", 1, 1.0, other, 3, s);
		m[3] = make_cand("emb", 4, 0.5, mixed, 3, s);
		CHECK_RC(fl_report_add_candidates(r, m, 4), FL_OK);
		CHECK_RC(fl_report_merge(r, 0.5, 0.8), FL_OK);
		CHECK_RC(fl_report_rank(r, 0), FL_OK);
		CHECK_EQ_INT(fl_report_n_slices(r), 3);
		CHECK_EQ_INT(fl_report_slice(r, 0)->n_also, 1);
		CHECK(strcmp(fl_report_slice(r, 0)->also[0].view, "clip") == 0);
		CHECK_NEAR(fl_report_slice(r, 0)->also[0].jaccard, 5.0 / 6.0, 1e-12);
		CHECK_NEAR(fl_report_slice(r, 0)->score, 3.3, 1e-12);
		CHECK_EQ_INT(fl_report_slice(r, 1)->n_also, 0);
		CHECK_EQ_INT(fl_report_slice(r, 2)->component, 4);
		CHECK_RC(fl_report_merge(r, 0, 0.8), FL_EINVAL);
		fl_report_free(r);

		/* Members that several results agree on are listed first:
		 * {3,4,5} merges into {0..5}, whose order becomes 3,4,5,0,1,2
		 * with non-increasing scores. */
		{
			int64_t tail[3] = {3, 4, 5};
			const fl_candidate *top;

			CHECK_RC(fl_report_new(&r, s, N, "error"), FL_OK);
			m[0] = make_cand("emb", 0, 3.0, big, 6, s);
			m[1] = make_cand("clip", 0, 2.0, tail, 3, s);
			CHECK_RC(fl_report_add_candidates(r, m, 2), FL_OK);
			CHECK_RC(fl_report_merge(r, 0.5, 0.8), FL_OK);
			top = fl_report_slice(r, 0);
			CHECK_EQ_INT(fl_report_n_slices(r), 1);
			CHECK_EQ_INT(top->members[0], 3);
			CHECK_EQ_INT(top->members[2], 5);
			CHECK_EQ_INT(top->members[3], 0);
			for (int k = 1; k < 6; k++)
				CHECK(top->member_scores[k] <= top->member_scores[k - 1]);
		}

		/* Phrases: the top slice {0..5} sits east of the rest in x;
		 * "east" leads, "west" (pointing away) is last of three. */
		{
			float x[N * 2], emb[4 * 2] = {1, 0, -1, 0, 0, 1, 0.5f, 0.1f};
			const char *ph[4] = {"east", "west", "north", "east-ish"};

			for (int i = 0; i < N; i++) {
				x[2 * i] = i < 6 ? 3.0f : 0.0f;
				x[2 * i + 1] = (float)(i % 2);
			}
			CHECK_RC(fl_report_describe_phrases(r, x, 2, ph, emb, 4), FL_OK);
			CHECK_EQ_INT(fl_report_slice(r, 0)->n_phrases, 3);
			CHECK_EQ_INT(fl_report_slice(r, 0)->phrase_idx[0], 0);
			CHECK_EQ_INT(fl_report_slice(r, 0)->phrase_idx[1], 3);
			CHECK_NEAR(fl_report_slice(r, 0)->phrase_score[0], 1.5, 1e-9);
			CHECK_RC(fl_report_describe_phrases(r, x, 2, ph, emb, 4), FL_EINVAL); /* once */
		}
		fl_report_free(r);
	}
	fl_report_free(NULL);
	fl_failure_summary_free(s);
	return check_done();
}
