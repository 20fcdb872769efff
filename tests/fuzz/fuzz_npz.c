/* Fuzz target: fl_array_open on an arbitrary .npz, by key and without. */
#include "fuzz_common.h"
#include "faultline.h"

static volatile double sink;

static void touch(fl_array *a)
{
	size_t n = (size_t)fl_array_rows(a) * (size_t)fl_array_cols(a);
	const float *f;
	const double *d;
	const int64_t *l;
	double s = (double)strlen(fl_array_name(a));

	if (fl_array_f32(a, &f) == 0)
		for (size_t i = 0; i < n; i++)
			s += f[i];
	if (fl_array_f64(a, &d) == 0)
		for (size_t i = 0; i < n; i++)
			s += d[i];
	if (fl_array_i64(a, &l) == 0)
		for (size_t i = 0; i < n; i++)
			s += (double)l[i];
	sink = s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {NULL, "a", "b", "x"};
	char path[4096];

	if (fuzz_temp_file(path, sizeof path, data, size) != 0)
		return 0;
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		fl_array *a = NULL;

		if (fl_array_open(&a, path, keys[k]) == 0)
			touch(a);
		fl_array_free(a);
	}
	unlink(path);
	return 0;
}
