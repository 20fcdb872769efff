/* Fuzz target: fl_saved_report_load (the reader of `apply`, `check` and
 * `compare`), then every slice's fields and its spec applied to the fixed
 * data of fuzz_spec_data.h; the report lies in the data's folder, so a
 * spec's relative model file "m.npz" is the saved model there. */
#include "fuzz_common.h"
#include "fuzz_spec_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[4200];
	fl_saved_report *r = NULL;
	int fd;

	if (!fz_data())
		return 0;
	snprintf(path, sizeof path, "%s/r_XXXXXX", fz.dir);
	if ((fd = mkstemp(path)) < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	if (fl_saved_report_load(&r, path) == 0) {
		double s = (double)strlen(fl_saved_report_path(r));

		for (int32_t i = 0; i < fl_saved_report_n_slices(r); i++) {
			const fl_saved_slice *sl = fl_saved_report_slice(r, i);

			s += (double)(strlen(sl->id) + strlen(sl->label)) + (double)sl->size +
			     sl->failure_rate + sl->failure_rate_outside;
			fz_apply(sl->spec_json);
		}
		s += fl_saved_report_slice(r, -1) == NULL;
		s += fl_saved_report_slice(r, fl_saved_report_n_slices(r)) == NULL;
		fuzz_sink = s;
	}
	fl_saved_report_free(r);
	unlink(path);
	return 0;
}
