/* Fuzz target: fl_table_read_csv, then every cell, value, code and level. */
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
	fl_table *t = NULL;

	if (fuzz_temp_file(path, sizeof path, data, size) != 0)
		return 0;
	if (fl_table_read_csv(&t, path) == 0)
		touch(t);
	fl_table_free(t);
	unlink(path);
	return 0;
}
