/* Slice specs applied to rows: each spec type against rows worked out by
 * hand, and malformed specs / missing inputs failing with a clear message. */
#include "faultline.h"
#include "check.h"

#include <stdio.h>
#include <string.h>

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

int main(void)
{
	fl_table *t = NULL;
	float x[5 * 2] = {0, 0, 1, 0, 3, 0, 0, 2, 5, 5};
	int64_t labels[5] = {0, 1, 1, 0, 1}, rows[2] = {4, 1};
	fl_spec_view v = {"emb", x, 2};
	fl_spec_data d = FL_SPEC_DATA_INIT;
	uint8_t m[5];

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
	CHECK(strstr(fl_last_error(), "numbers") != NULL);
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
