/* Fuzz target: fl_table_read_csv, then every cell, value, code and level;
 * fl_table_read_csv_text on the same bytes (not NUL-terminated) agrees. */
#include "fuzz_common.h"
#include "faultline.h"

static volatile double sink;

static void touch(const fl_table *t)
{
	int64_t rows = fl_table_rows(t), cols = fl_table_cols(t);
	double s = 0;

	for (int64_t c = 0; c < cols; c++) {
		const char *name = fl_table_col_name(t, c);
		const double *v = fl_table_numeric(t, c);
		const int32_t *codes = fl_table_codes(t, c);
		int32_t nl = fl_table_nlevels(t, c);

		s += (double)strlen(name) + (double)fl_table_missing(t, c) + (double)fl_table_find(t, name);
		for (int32_t l = 0; l < nl; l++)
			s += (double)strlen(fl_table_level(t, c, l));
		for (int64_t r = 0; r < rows; r++) {
			s += (double)strlen(fl_table_cell(t, r, c));
			if (v)
				s += v[r] == v[r] ? v[r] : 0;
			if (codes && codes[r] >= 0)
				s += (double)strlen(fl_table_level(t, c, codes[r]));
		}
	}
	sink = s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[4096];
	fl_table *t = NULL, *m = NULL;
	int rc;

	if (fuzz_temp_file(path, sizeof path, data, size) != 0)
		return 0;
	if ((rc = fl_table_read_csv(&t, path)) == 0)
		touch(t);
	/* the same bytes from memory: the same outcome, the same shape */
	if (fl_table_read_csv_text(&m, (const char *)data, size, "text") != rc ||
	    (rc == 0 && (fl_table_rows(m) != fl_table_rows(t) || fl_table_cols(m) != fl_table_cols(t))))
		abort();
	if (m)
		touch(m);
	fl_table_free(m);
	fl_table_free(t);
	unlink(path);
	return 0;
}
