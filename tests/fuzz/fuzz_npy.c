/* Fuzz target: fl_array_open on an arbitrary .npy, then every view. */
#include "fuzz_common.h"
#include "faultline.h"

static volatile double sink;

/* Touch every element of every view the array can give. */
static void touch(fl_array *a)
{
	size_t n = (size_t)fl_array_rows(a) * (size_t)fl_array_cols(a);
	const float *f;
	const double *d;
	const int64_t *l;
	double s = 0;

	if (fl_array_f32(a, &f) == 0)
		for (size_t i = 0; i < n; i++)
			s += f[i];
	if (fl_array_f64(a, &d) == 0)
		for (size_t i = 0; i < n; i++)
			s += d[i];
	if (fl_array_i64(a, &l) == 0)
		for (size_t i = 0; i < n; i++)
			s += (double)l[i];
	s += (double)strlen(fl_array_name(a)) + fl_array_ndim(a) + fl_array_is_mapped(a) +
	     (double)strlen(fl_dtype_name(fl_array_dtype(a)));
	sink = s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[4096];
	fl_array *a = NULL;

	if (fuzz_temp_file(path, sizeof path, data, size) != 0)
		return 0;
	if (fl_array_open(&a, path, NULL) == 0)
		touch(a);
	fl_array_free(a);
	unlink(path);
	return 0;
}
