/* Fuzz target: fl_array_open on an arbitrary .npy, then every view. */
#include "fuzz_common.h"
#include "faultline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[4096];
	fl_array *a = NULL;

	if (fuzz_temp_file(path, sizeof path, data, size) != 0)
		return 0;
	if (fl_array_open(&a, path, NULL) == 0)
		fuzz_touch_array(a);
	fl_array_free(a);
	unlink(path);
	return 0;
}
