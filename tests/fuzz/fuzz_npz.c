/* Fuzz target: fl_array_open on an arbitrary .npz, by key and without. */
#include "fuzz_common.h"
#include "faultline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {NULL, "a", "b", "x"};
	char path[4096];

	if (fuzz_temp_file(path, sizeof path, data, size) != 0)
		return 0;
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		fl_array *a = NULL;

		if (fl_array_open(&a, path, keys[k]) == 0)
			fuzz_touch_array(a);
		fl_array_free(a);
	}
	unlink(path);
	return 0;
}
