/* CSV tables: type inference, missing values, RFC 4180 quoting, line ends,
 * BOM, malformed files naming their line, a 100k-level column, and
 * columns added or replaced without copying the table (and their subsets). The
 * fixtures come from tests/data/make_fixtures.py. */
#include "faultline.h"
#include "check.h"

#include <locale.h>
#include <string.h>

#define DATA(f) FL_TEST_DATA "/" f

static fl_table *load(const char *path)
{
	fl_table *t = NULL;

	CHECK_RC(fl_table_read_csv(&t, path), 0);
	return t;
}

static void check_codes(const fl_table *t, int64_t col, const int32_t *want, int64_t n)
{
	const int32_t *c = fl_table_codes(t, col);

	CHECK(c != NULL);
	for (int64_t i = 0; c && i < n; i++)
		CHECK_EQ_INT(c[i], want[i]);
}

static void test_types(void)
{
	static const int32_t flag[] = {1, 0, 1, 0}, city[] = {0, 1, 0, 2}, mixed[] = {0, 1, 2, 3};
	fl_table *t = load(DATA("types.csv"));
	const double *v;

	if (!t)
		return;
	CHECK_EQ_INT(fl_table_rows(t), 4);
	CHECK_EQ_INT(fl_table_cols(t), 7);
	CHECK(!strcmp(fl_table_col_name(t, 3), "city"));
	CHECK_EQ_INT(fl_table_find(t, "city"), 3);
	CHECK_EQ_INT(fl_table_find(t, "nope"), -1);
	CHECK_EQ_INT(fl_table_col_type(t, 0), FL_COL_NUMERIC);
	CHECK_EQ_INT(fl_table_col_type(t, 1), FL_COL_NUMERIC);
	CHECK_EQ_INT(fl_table_col_type(t, 2), FL_COL_BOOLEAN);
	CHECK_EQ_INT(fl_table_col_type(t, 3), FL_COL_CATEGORICAL);
	CHECK_EQ_INT(fl_table_col_type(t, 4), FL_COL_NUMERIC);          /* 0/1 is numeric */
	CHECK_EQ_INT(fl_table_col_type(t, 5), FL_COL_CATEGORICAL);      /* 1, yes, 2, 3 */
	CHECK_EQ_INT(fl_table_col_type(t, 6), FL_COL_BOOLEAN);          /* t, F, y, n */
	v = fl_table_numeric(t, 1);
	CHECK(v && v[0] == 0.5 && v[1] == -1250 && isinf(v[2]) && v[3] == 7);
	CHECK(fl_table_numeric(t, 0) && fl_table_numeric(t, 0)[3] == 4);
	CHECK(fl_table_codes(t, 0) == NULL && fl_table_numeric(t, 3) == NULL);
	check_codes(t, 2, flag, 4);
	check_codes(t, 6, flag, 4);
	check_codes(t, 3, city, 4);
	check_codes(t, 5, mixed, 4);
	CHECK_EQ_INT(fl_table_nlevels(t, 2), 2);
	CHECK(!strcmp(fl_table_level(t, 2, 1), "true") && !strcmp(fl_table_level(t, 2, 0), "false"));
	CHECK_EQ_INT(fl_table_nlevels(t, 3), 3);
	CHECK(!strcmp(fl_table_level(t, 3, 0), "Paris") && !strcmp(fl_table_level(t, 3, 2), "Nice"));
	CHECK(fl_table_level(t, 3, 3) == NULL && fl_table_level(t, 3, -1) == NULL);
	CHECK(!strcmp(fl_table_cell(t, 1, 1), " -1.25e3 "));            /* the text as written */
	CHECK(!strcmp(fl_table_cell(t, 1, 2), "No"));
	CHECK(fl_table_cell(t, 4, 0) == NULL && fl_table_cell(t, 0, 7) == NULL);
	CHECK_EQ_INT(fl_table_missing(t, 1), 0);
	fl_table_free(t);
}

static void test_missing(void)
{
	static const int32_t c[] = {0, 1, -1, 2, -1};
	fl_table *t = load(DATA("missing.csv"));
	const double *a, *b, *d;

	if (!t)
		return;
	CHECK_EQ_INT(fl_table_rows(t), 5);
	a = fl_table_numeric(t, 0);
	b = fl_table_numeric(t, 1);
	d = fl_table_numeric(t, 3);
	CHECK(a && a[0] == 1 && isnan(a[1]) && a[2] == 3 && isnan(a[3]) && a[4] == 5);
	CHECK_EQ_INT(fl_table_missing(t, 0), 2);
	CHECK(b && isnan(b[0]) && isnan(b[3]) && b[4] == 2.5);
	CHECK_EQ_INT(fl_table_missing(t, 1), 4);
	CHECK_EQ_INT(fl_table_col_type(t, 2), FL_COL_CATEGORICAL);      /* x, y, "", z, na */
	check_codes(t, 2, c, 5);
	CHECK_EQ_INT(fl_table_nlevels(t, 2), 3);
	CHECK_EQ_INT(fl_table_missing(t, 2), 2);
	CHECK_EQ_INT(fl_table_col_type(t, 3), FL_COL_NUMERIC);          /* all missing */
	CHECK_EQ_INT(fl_table_missing(t, 3), 5);
	CHECK(d && isnan(d[0]) && isnan(d[4]));
	CHECK(!strcmp(fl_table_cell(t, 3, 3), " ") && !strcmp(fl_table_cell(t, 1, 1), "N/A"));
	fl_table_free(t);
}

static void test_quoting(void)
{
	fl_table *t = load(DATA("quotes.csv"));
	const double *n;

	if (t) {
		CHECK_EQ_INT(fl_table_rows(t), 3);
		CHECK(!strcmp(fl_table_cell(t, 0, 0), "Smith, John"));
		CHECK(!strcmp(fl_table_cell(t, 0, 1), "He said \"hi\""));
		CHECK(!strcmp(fl_table_cell(t, 1, 0), "multi\nline\nfield"));
		CHECK(!strcmp(fl_table_cell(t, 2, 0), "") && !strcmp(fl_table_cell(t, 2, 1), ","));
		n = fl_table_numeric(t, 2);
		CHECK(n && n[0] == 1 && n[1] == 2 && n[2] == 3);
		fl_table_free(t);
	}
	if ((t = load(DATA("crlf.csv")))) {
		CHECK_EQ_INT(fl_table_rows(t), 2);
		CHECK(!strcmp(fl_table_cell(t, 1, 1), "b") && !strcmp(fl_table_col_name(t, 1), "y"));
		CHECK(fl_table_numeric(t, 0) && fl_table_numeric(t, 0)[1] == 2);
		fl_table_free(t);
	}
	if ((t = load(DATA("bom.csv")))) {
		CHECK_EQ_INT(fl_table_find(t, "x"), 0);
		CHECK_EQ_INT(fl_table_rows(t), 2);
		fl_table_free(t);
	}
	if ((t = load(DATA("nonl.csv")))) {
		CHECK_EQ_INT(fl_table_rows(t), 2);
		CHECK(!strcmp(fl_table_cell(t, 1, 1), "4"));
		fl_table_free(t);
	}
	if ((t = load(DATA("trailing_blank.csv")))) {
		CHECK_EQ_INT(fl_table_rows(t), 2);
		fl_table_free(t);
	}
	if ((t = load(DATA("header_only.csv")))) {
		CHECK(fl_table_rows(t) == 0 && fl_table_cols(t) == 3);
		CHECK_EQ_INT(fl_table_col_type(t, 2), FL_COL_NUMERIC);
		fl_table_free(t);
	}
	if ((t = load(DATA("pandas_index.csv")))) {              /* unnamed index column */
		CHECK(fl_table_cols(t) == 3 && !strcmp(fl_table_col_name(t, 0), ""));
		fl_table_free(t);
	}
}

static void test_malformed(void)
{
	static const struct { const char *file; int code; const char *msg; } bad[] = {
		{"ragged.csv", FL_EFORMAT, "ragged.csv: line 17: 3 fields, header has 5"},
		{"unterminated.csv", FL_EFORMAT, "line 4: unterminated quoted field"},
		{"after_quote.csv", FL_EFORMAT, "line 2: unexpected text after a closing quote"},
		{"dup_header.csv", FL_EFORMAT, "duplicate column name 'name'"},
		{"blank_header.csv", FL_EFORMAT, "line 1: empty header"},
		{"empty.csv", FL_EFORMAT, "empty file"},
		{"bom_only.csv", FL_EFORMAT, "empty file"},
		{"no_such.csv", FL_EIO, "cannot open"},
		{"", FL_EIO, "directory"},
	};
	char path[512];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fl_table *t = NULL;

		snprintf(path, sizeof path, "%s/%s", FL_TEST_DATA, bad[i].file);
		CHECK_RC(fl_table_read_csv(&t, path), bad[i].code);
		CHECK(t == NULL);
		CHECK(!strncmp(fl_last_error(), path, strlen(path)));
		CHECK(strchr(fl_last_error(), '\n') == NULL);
		if (!strstr(fl_last_error(), bad[i].msg)) {
			fprintf(stderr, "%s: message \"%s\" lacks \"%s\"\n", bad[i].file,
				fl_last_error(), bad[i].msg);
			CHECK(0);
		}
	}
	CHECK_RC(fl_table_read_csv(NULL, DATA("types.csv")), FL_EINVAL);
}

/* 100k distinct values: codes in order of first appearance, every level
 * found again when it repeats. */
static void test_many_levels(void)
{
	const char *path = FL_TEST_TMP "/io_levels.csv";
	enum { N = 100000 };
	FILE *f = fopen(path, "w");
	fl_table *t;
	const int32_t *c, *c2;
	char want[32];

	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "id,level,again\n");
	for (int i = 0; i < N; i++)
		fprintf(f, "%d,v%d,w%d\n", i, i, (i * 7919) % 1000);
	CHECK(fclose(f) == 0);
	if (!(t = load(path)))
		return;
	CHECK_EQ_INT(fl_table_rows(t), N);
	CHECK_EQ_INT(fl_table_nlevels(t, 1), N);
	CHECK_EQ_INT(fl_table_nlevels(t, 2), 1000);
	c = fl_table_codes(t, 1);
	c2 = fl_table_codes(t, 2);
	for (int i = 0; c && i < N; i += 997) {
		CHECK_EQ_INT(c[i], i);
		snprintf(want, sizeof want, "v%d", i);
		CHECK(!strcmp(fl_table_level(t, 1, c[i]), want));
		snprintf(want, sizeof want, "w%d", (i * 7919) % 1000);
		CHECK(c2 && !strcmp(fl_table_level(t, 2, c2[i]), want));
	}
	CHECK(c && c[N - 1] == N - 1);
	fl_table_free(t);
	remove(path);
}

/* The library parses numbers in the C locale whatever LC_NUMERIC says. */
static void test_locale(void)
{
	static const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"};
	fl_table *t;

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (setlocale(LC_NUMERIC, names[i])) {
			if ((t = load(DATA("types.csv")))) {
				CHECK(fl_table_numeric(t, 1) && fl_table_numeric(t, 1)[0] == 0.5);
				fl_table_free(t);
			}
			setlocale(LC_NUMERIC, "C");
			return;
		}
	printf("test_locale: no comma-decimal locale installed, skipped\n");
}

/* Columns added to (or replacing one of) a table: the table's columns read in place, the new
 * ones' codes, levels and cells, their tag; chained, subset, freed in any
 * order of creation; bad arguments refused. */
static void test_add_column(void)
{
	static const int32_t lab[] = {2, 0, 1, 2}, pred[] = {2, 2, -1, 0}, half_pred[] = {2, -1};
	static const char *const names[] = {"cat", "dog", "bird"};
	static const int64_t rows[] = {1, 2};
	fl_table *t = load(DATA("types.csv")), *a = NULL, *b = NULL, *s = NULL, *alone = NULL;
	int32_t bad[] = {0, 3, 0, 0};

	if (!t)
		return;
	CHECK_RC(fl_table_with_categorical(&a, t, fl_table_cols(t), "label", "label", lab, 4, names, 3), 0);
	CHECK_RC(fl_table_with_categorical(&b, a, fl_table_cols(a), "predicted", "predicted", pred, 4, names, 3), 0);
	if (!a || !b)
		goto done;
	CHECK_EQ_INT(fl_table_cols(b), 9);
	CHECK_EQ_INT(fl_table_rows(b), 4);
	for (int64_t c = 0; c < 7; c++) {
		CHECK(!strcmp(fl_table_col_name(b, c), fl_table_col_name(t, c)));
		CHECK(fl_table_col_type(b, c) == fl_table_col_type(t, c));
		CHECK(fl_table_numeric(b, c) == fl_table_numeric(t, c)); /* not copied */
		CHECK(fl_table_codes(b, c) == fl_table_codes(t, c));
		CHECK(fl_table_col_derived(b, c) == NULL);
		for (int64_t r = 0; r < 4; r++)
			CHECK(!strcmp(fl_table_cell(b, r, c), fl_table_cell(t, r, c)));
	}
	CHECK_EQ_INT(fl_table_find(b, "label"), 7);
	CHECK_EQ_INT(fl_table_find(b, "predicted"), 8);
	CHECK(fl_table_col_type(b, 8) == FL_COL_CATEGORICAL && fl_table_nlevels(b, 8) == 3);
	CHECK(!strcmp(fl_table_col_derived(b, 7), "label") && !strcmp(fl_table_col_derived(b, 8), "predicted"));
	check_codes(b, 7, lab, 4);
	check_codes(b, 8, pred, 4);
	CHECK_EQ_INT(fl_table_missing(b, 8), 1);
	CHECK(!strcmp(fl_table_level(b, 7, 1), "dog"));
	CHECK(!strcmp(fl_table_cell(b, 0, 7), "bird") && !strcmp(fl_table_cell(b, 2, 8), ""));
	/* a subset keeps every column (its level texts are b's: b outlives it) */
	CHECK_RC(fl_table_subset(&s, b, rows, 2), 0);
	if (s) {
		CHECK_EQ_INT(fl_table_cols(s), 9);
		check_codes(s, 8, half_pred, 2);
		CHECK_EQ_INT(fl_table_missing(s, 8), 1);
		CHECK(!strcmp(fl_table_cell(s, 0, 3), fl_table_cell(t, 1, 3)));
		CHECK(!strcmp(fl_table_cell(s, 1, 7), "dog") && !strcmp(fl_table_col_derived(s, 7), "label"));
		CHECK(fl_table_numeric(s, 1)[1] == fl_table_numeric(t, 1)[2] ||
		      (isnan(fl_table_numeric(s, 1)[1]) && isnan(fl_table_numeric(t, 1)[2])));
	}
	/* a column alone */
	CHECK_RC(fl_table_with_categorical(&alone, NULL, fl_table_cols(NULL), "label", NULL, lab, 4, names, 3), 0);
	CHECK(alone && fl_table_cols(alone) == 1 && !strcmp(fl_table_cell(alone, 3, 0), "bird") &&
	      fl_table_col_derived(alone, 0) == NULL);
	fl_table_free(s);
	fl_table_free(b);
	fl_table_free(a);
	s = b = a = NULL;
	/* a column replaced: same position, the others untouched, a subset keeps it */
	CHECK_RC(fl_table_with_categorical(&a, t, 3, "label", "label", lab, 4, names, 3), 0);
	if (a) {
		CHECK_EQ_INT(fl_table_cols(a), 7);
		CHECK(!strcmp(fl_table_col_name(a, 3), "label") && fl_table_find(a, "city") < 0);
		CHECK(!strcmp(fl_table_cell(a, 0, 3), "bird") && !strcmp(fl_table_cell(a, 0, 4), "0"));
		CHECK(fl_table_codes(a, 2) == fl_table_codes(t, 2));
		CHECK_RC(fl_table_subset(&s, a, rows, 2), 0);
		CHECK(s && !strcmp(fl_table_cell(s, 1, 3), "dog") && !strcmp(fl_table_cell(s, 1, 0), "3"));
		fl_table_free(s);
		fl_table_free(a);
		s = a = NULL;
	}
	/* a column may take the name of the one it replaces */
	CHECK_RC(fl_table_with_categorical(&a, t, 3, "city", NULL, lab, 4, names, 3), 0);
	fl_table_free(a);
	a = NULL;
	CHECK_RC(fl_table_with_categorical(&a, t, 8, "x", NULL, lab, 4, names, 3), FL_EINVAL);
	/* refused: a name the table has, a code out of range, other rows, no name */
	CHECK_RC(fl_table_with_categorical(&a, t, fl_table_cols(t), "city", NULL, lab, 4, names, 3), FL_EINVAL);
	CHECK(a == NULL && strstr(fl_last_error(), "'city'") != NULL);
	CHECK_RC(fl_table_with_categorical(&a, t, fl_table_cols(t), "x", NULL, bad, 4, names, 3), FL_EINVAL);
	CHECK(strstr(fl_last_error(), "row 1") != NULL);
	CHECK_RC(fl_table_with_categorical(&a, t, fl_table_cols(t), "x", NULL, lab, 3, names, 3), FL_EINVAL);
	CHECK_RC(fl_table_with_categorical(&a, t, fl_table_cols(t), NULL, NULL, lab, 4, names, 3), FL_EINVAL);
	CHECK_RC(fl_table_with_categorical(NULL, t, fl_table_cols(t), "x", NULL, lab, 4, names, 3), FL_EINVAL);
done:
	fl_table_free(alone);
	fl_table_free(s);
	fl_table_free(b);
	fl_table_free(a);
	fl_table_free(t);
}

/* CSV text in memory (fl_table_read_csv_text): the same table as the file
 * (types, levels, values), not NUL-terminated, copied; errors name `name`. */
static void test_text(void)
{
	static const char text[] = "x,city,flag\n1.5,Paris,true\n,\"Lyon, FR\",false\n3,Paris,\nXX";
	fl_table *t = NULL;

	CHECK_RC(fl_table_read_csv_text(&t, text, sizeof text - 4, "metadata"), 0); /* without "\nXX" */
	if (t) {
		CHECK_EQ_INT(fl_table_rows(t), 3);
		CHECK_EQ_INT(fl_table_col_type(t, 0), FL_COL_NUMERIC);
		CHECK_EQ_INT(fl_table_col_type(t, 1), FL_COL_CATEGORICAL);
		CHECK_EQ_INT(fl_table_col_type(t, 2), FL_COL_BOOLEAN);
		CHECK(fl_table_numeric(t, 0)[0] == 1.5 && isnan(fl_table_numeric(t, 0)[1]));
		CHECK(!strcmp(fl_table_level(t, 1, 1), "Lyon, FR"));
		CHECK_EQ_INT(fl_table_missing(t, 2), 1);
	}
	fl_table_free(t);
	t = NULL;
	CHECK_RC(fl_table_read_csv_text(&t, "a,b\n1,2\n3\n", 10, "metadata"), FL_EFORMAT);
	CHECK(t == NULL && strstr(fl_last_error(), "metadata: line 3: 1 field, header has 2"));
	CHECK_RC(fl_table_read_csv_text(&t, "", 0, "metadata"), FL_EFORMAT);
	CHECK(strstr(fl_last_error(), "metadata: empty file"));
	CHECK_RC(fl_table_read_csv_text(&t, NULL, 3, NULL), FL_EINVAL);
	CHECK_RC(fl_table_read_csv_text(NULL, "a\n1\n", 4, NULL), FL_EINVAL);
}

int main(void)
{
	test_types();
	test_missing();
	test_quoting();
	test_malformed();
	test_many_levels();
	test_locale();
	test_add_column();
	test_text();
	return check_done();
}
