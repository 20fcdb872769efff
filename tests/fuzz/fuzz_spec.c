/* Fuzz target: fl_spec_apply, a spec object against fixed data that every
 * spec type can use (fuzz_spec_data.h: a view, a metadata table, labels,
 * probabilities and a saved mixture model), on all rows and on a few. */
#include "fuzz_common.h"
#include "fuzz_spec_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec;

	if (!fz_data() || !(spec = malloc(size + 1)))
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	fz_apply(spec);
	free(spec);
	return 0;
}
